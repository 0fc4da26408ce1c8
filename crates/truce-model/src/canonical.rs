//! Checking that bytes are already in canonical JSON (RFC 8785) form, in one pass over them and
//! without building a value or a second copy.
//!
//! The check is a strict subset of the rule: it vouches for the bytes only when they are
//! certainly canonical — no whitespace, object keys printable ASCII without escapes and strictly
//! increasing (for ASCII, byte order is JCS's UTF-16 order, and strictly increasing also rules out
//! a repeated key), strings escaped exactly as JCS escapes them, every number written as
//! ECMAScript writes its double, valid UTF-8, nesting well within `serde_json`'s limit. Anything
//! else (a non-ASCII key, an unusual escape, a malformed document) is undecided, and the caller
//! falls back to the general path ([`crate::entry::decode`]: parse, re-encode, compare), which
//! then decides, with its own error. So every answer here is the one the general path gives.

use std::ops::Range;

/// The most members of a top-level object the fast path reads (an envelope has seven fields).
const MEMBERS: usize = 8;
/// Nesting beyond this is left to the general path (`serde_json` refuses beyond 128).
const DEPTH: u32 = 100;

/// What a token of the tape is.
pub(crate) mod kind {
    /// An object: its members (key, value) follow.
    pub const OBJ: u8 = 0;
    /// An array: its values follow.
    pub const ARR: u8 = 1;
    /// An object key (printable ASCII, no escapes).
    pub const KEY: u8 = 2;
    /// A string without escapes.
    pub const STR: u8 = 3;
    /// A string with escapes.
    pub const ESC: u8 = 4;
    /// A number.
    pub const NUM: u8 = 5;
    /// `true`.
    pub const TRUE: u8 = 6;
    /// `false`.
    pub const FALSE: u8 = 7;
    /// `null`.
    pub const NULL: u8 = 8;
}

/// One token of canonical JSON: its kind, its bytes (a string's with its quotes) and the index
/// of the token after it (after a container's last token, for a container).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tok {
    pub kind: u8,
    pub start: u32,
    pub end: u32,
    pub next: u32,
}

impl Tok {
    /// The token's bytes.
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// A string's text when it holds no escape (the bytes between its quotes).
    pub fn plain<'a>(&self, bytes: &'a [u8]) -> Option<&'a str> {
        if self.kind != kind::STR {
            return None;
        }
        // Checked as UTF-8 by `scan`.
        std::str::from_utf8(&bytes[self.start as usize + 1..self.end as usize - 1]).ok()
    }
}

/// Scans `bytes` into `tape` when they are certainly one canonical JSON value; `false` when
/// undecided (`tape` then holds nothing useful).
pub(crate) fn scan(bytes: &[u8], tape: &mut Vec<Tok>) -> bool {
    tape.clear();
    if u32::try_from(bytes.len()).is_err() {
        return false;
    }
    // Strings are checked for escapes below; their other bytes must be UTF-8, checked at once.
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_err() {
        return false;
    }
    let mut s = Scanner {
        b: bytes,
        i: 0,
        tape,
    };
    s.value(0).is_some() && s.i == bytes.len()
}

/// One member of the top-level object: its key, where the member starts (its key's opening
/// quote) and where its value lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    /// The key's text (printable ASCII, no escapes).
    pub key: &'a str,
    /// Offset of the key's opening quote.
    pub start: usize,
    /// The value's bytes.
    pub value: Range<usize>,
    /// The value's token.
    pub tok: usize,
}

/// The members of a canonical top-level object, in key order.
#[derive(Debug)]
pub(crate) struct Members<'a> {
    list: [Option<Member<'a>>; MEMBERS],
    len: usize,
}

impl<'a> Members<'a> {
    /// The members in key order.
    pub fn iter(&self) -> impl Iterator<Item = &Member<'a>> {
        self.list[..self.len].iter().flatten()
    }
}

/// The members of `bytes` when they are certainly one canonical JSON object with at most eight
/// members (its tokens in `tape`); `None` when undecided.
pub(crate) fn object<'a>(bytes: &'a [u8], tape: &mut Vec<Tok>) -> Option<Members<'a>> {
    if !scan(bytes, tape) || tape.first()?.kind != kind::OBJ {
        return None;
    }
    let mut members = Members {
        list: Default::default(),
        len: 0,
    };
    for (k, v) in children(tape, 0) {
        if members.len == MEMBERS {
            return None;
        }
        let (key, value) = (tape[k], tape[v]);
        members.list[members.len] = Some(Member {
            key: std::str::from_utf8(&bytes[key.start as usize + 1..key.end as usize - 1]).ok()?,
            start: key.start as usize,
            value: value.span(),
            tok: v,
        });
        members.len += 1;
    }
    Some(members)
}

/// An object's members as (key token, value token), or an array's values as (value token,
/// value token).
pub(crate) fn children(tape: &[Tok], at: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let (is_obj, end) = tape
        .get(at)
        .map_or((false, 0), |t| (t.kind == kind::OBJ, t.next as usize));
    let mut i = at + 1;
    std::iter::from_fn(move || {
        if i >= end {
            return None;
        }
        let k = i;
        let v = if is_obj { k + 1 } else { k };
        i = tape.get(v)?.next as usize;
        Some((k, v))
    })
}

/// The text of a string value without escapes (the bytes between its quotes); `None` for any
/// other value or a string holding an escape.
pub(crate) fn plain_str(bytes: &[u8]) -> Option<&str> {
    let inner = bytes.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.contains(&b'\\') || inner.contains(&b'"') {
        return None;
    }
    std::str::from_utf8(inner).ok()
}

/// A canonical number's value, as `serde_json` reads it: exactly, without `serde_json`, when it
/// has at most 15 significant digits and no exponent (then both this and `serde_json` round the
/// quotient of two exact doubles once, correctly); `serde_json`'s own reading otherwise.
pub(crate) fn number(token: &[u8]) -> Option<f64> {
    if let Some(f) = short_decimal(token) {
        return Some(f);
    }
    serde_json::from_slice(token).ok()
}

/// `-?digits(.digits)?` with at most 15 significant digits: its double.
fn short_decimal(token: &[u8]) -> Option<f64> {
    let (neg, digits) = match token.strip_prefix(b"-") {
        Some(d) => (true, d),
        None => (false, token),
    };
    let (int, frac) = match digits.iter().position(|&c| c == b'.') {
        Some(p) => (&digits[..p], &digits[p + 1..]),
        None => (digits, &[][..]),
    };
    if int.is_empty() || !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    if digits.contains(&b'.') && frac.is_empty() {
        return None;
    }
    let mut m: u64 = 0;
    let mut significant = 0;
    for &c in int.iter().chain(frac) {
        if m > 0 || c != b'0' {
            significant += 1;
        }
        m = m * 10 + u64::from(c - b'0');
        if significant > 15 {
            return None;
        }
    }
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let f = (m as f64) / *POW10.get(frac.len())?;
    Some(if neg { -f } else { f })
}

struct Scanner<'a, 't> {
    b: &'a [u8],
    i: usize,
    tape: &'t mut Vec<Tok>,
}

impl<'a> Scanner<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn push(&mut self, kind: u8, start: usize) -> usize {
        let n = self.tape.len();
        self.tape.push(Tok {
            kind,
            start: start as u32,
            end: self.i as u32,
            next: n as u32 + 1,
        });
        n
    }

    fn literal(&mut self, word: &[u8], kind: u8) -> Option<()> {
        if self.b[self.i..].starts_with(word) {
            let start = self.i;
            self.i += word.len();
            self.push(kind, start);
            Some(())
        } else {
            None
        }
    }

    /// Closes container token `n`: its end and the index after its last token.
    fn close(&mut self, n: usize) {
        let next = self.tape.len() as u32;
        if let Some(t) = self.tape.get_mut(n) {
            t.end = self.i as u32;
            t.next = next;
        }
    }

    fn value(&mut self, depth: u32) -> Option<()> {
        if depth > DEPTH {
            return None;
        }
        let start = self.i;
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let n = self.push(kind::OBJ, start);
                if self.peek()? == b'}' {
                    self.i += 1;
                    self.close(n);
                    return Some(());
                }
                let mut prev: &[u8] = &[];
                let mut first = true;
                loop {
                    let key = self.key()?;
                    if !first && key <= prev {
                        return None;
                    }
                    (prev, first) = (key, false);
                    self.eat(b':')?;
                    self.value(depth + 1)?;
                    match self.next()? {
                        b',' => continue,
                        b'}' => {
                            self.close(n);
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let n = self.push(kind::ARR, start);
                if self.peek()? == b']' {
                    self.i += 1;
                    self.close(n);
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    match self.next()? {
                        b',' => continue,
                        b']' => {
                            self.close(n);
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string(),
            b't' => self.literal(b"true", kind::TRUE),
            b'f' => self.literal(b"false", kind::FALSE),
            b'n' => self.literal(b"null", kind::NULL),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// An object key: printable ASCII without escapes.
    fn key(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        self.eat(b'"')?;
        loop {
            match self.next()? {
                b'"' => break,
                b'\\' => return None,
                0x20..=0x7e => {}
                _ => return None,
            }
        }
        self.push(kind::KEY, start);
        let b: &'a [u8] = self.b;
        Some(&b[start + 1..self.i - 1])
    }

    /// A string escaped as JCS escapes it: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and
    /// `\u00xx` (lowercase hex) for the other control characters; everything else as itself.
    fn string(&mut self) -> Option<()> {
        let start = self.i;
        self.eat(b'"')?;
        let mut escaped = false;
        loop {
            let rest = &self.b[self.i..];
            let k = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            self.i += k;
            match self.next()? {
                b'"' => {
                    self.push(if escaped { kind::ESC } else { kind::STR }, start);
                    return Some(());
                }
                b'\\' => {
                    escaped = true;
                    match self.next()? {
                        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let h = self.b.get(self.i..self.i + 4)?;
                            self.i += 4;
                            let hex = |c: u8| match c {
                                b'0'..=b'9' => Some(c - b'0'),
                                b'a'..=b'f' => Some(c - b'a' + 10),
                                _ => None,
                            };
                            if h[0] != b'0' || h[1] != b'0' {
                                return None;
                            }
                            let c = hex(h[2])? << 4 | hex(h[3])?;
                            if c >= 0x20 || matches!(c, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A number as ECMAScript writes its double: a short integer as itself; a short decimal
    /// (at most 15 significant digits, no exponent) when ECMAScript writes its value back to the
    /// same text; anything else parsed as `serde_json` parses it and written back as
    /// [`crate::entry`]'s encoder writes it.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.i += 1;
        }
        let token = &self.b[start..self.i];
        let digits = token.strip_prefix(b"-").unwrap_or(token);
        // At most 15 digits: below 2^53, an integer JCS writes as itself.
        let short_int = token == b"0"
            || (!digits.is_empty()
                && digits.len() <= 15
                && digits[0] != b'0'
                && digits.iter().all(u8::is_ascii_digit));
        let canonical = short_int
            || match short_decimal(token) {
                // `-0.5` reads as serde_json reads it; JCS writes the double as ECMAScript does.
                Some(f) if f.is_finite() && f != 0.0 => {
                    ryu_js::Buffer::new().format_finite(f).as_bytes() == token
                }
                _ => {
                    let n: serde_json::Number = serde_json::from_slice(token).ok()?;
                    let mut out = Vec::with_capacity(token.len());
                    crate::entry::write_jcs(&serde_json::Value::Number(n), &mut out) && out == token
                }
            };
        if !canonical {
            return None;
        }
        self.push(kind::NUM, start);
        Some(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The general rule: the bytes parse and re-encode to themselves.
    fn canonical(bytes: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| crate::entry::jcs(&v).ok())
            .is_some_and(|c| c == bytes)
    }

    #[test]
    fn vouches_only_for_canonical_bytes() {
        for (text, ok) in [
            (r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#, true),
            (r#"{"a":-0}"#, false),
            (r#"{"a":0}"#, true),
            (r#"{"a":1.5,"b":1e+21,"c":1e-7,"d":-12}"#, true),
            (r#"{"a":1.50}"#, false),
            (r#"{"a":1e21}"#, false),
            (r#"{"a":9007199254740993}"#, false),
            (r#"{"a":01}"#, false),
            (r#"{"b":1,"a":2}"#, false),
            (r#"{"a":1,"a":1}"#, false),
            (r#"{"a": 1}"#, false),
            (r#"{"a":"\u0001\n\"\\\t"}"#, true),
            (r#"{"a":"\u000a"}"#, false),
            (r#"{"a":"\/"}"#, false),
            (r#"{"a":"\u00e9"}"#, false),
            ("{\"a\":\"é\u{2028}\u{7f}\"}", true),
            (r#"{"a":"x"} "#, false),
            (r#"{"a":"x"}{"#, false),
            (r#"{"é":1}"#, false),
            (r#"{}"#, true),
            (r#"{"a":[],"b":{}}"#, true),
        ] {
            assert_eq!(
                object(text.as_bytes(), &mut Vec::new()).is_some(),
                ok,
                "{text}"
            );
            if ok {
                assert!(canonical(text.as_bytes()), "{text}");
            }
        }
        let mut tape = Vec::new();
        let m = object(br#"{"a":1,"bb":"x","c":[2]}"#, &mut tape).unwrap();
        let keys: Vec<_> = m
            .iter()
            .map(|m| (m.key, m.start, m.value.clone()))
            .collect();
        assert_eq!(keys, [("a", 1, 5..6), ("bb", 7, 12..15), ("c", 16, 20..23)]);
        assert_eq!(plain_str(b"\"xy\""), Some("xy"));
        assert_eq!(plain_str(b"\"x\\ny\""), None);
        // Deep nesting is left to the general path.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(120), "]".repeat(120));
        assert!(object(deep.as_bytes(), &mut Vec::new()).is_none());
    }

    /// Any JSON value, with strings full of characters that need escaping (also the entry
    /// encoder's tests' values).
    pub(crate) fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            prop_oneof![Just(35.0f64), Just(1e21), Just(1e-7), Just(0.1), Just(-0.0)]
                .prop_map(serde_json::Value::from),
            ".*".prop_map(serde_json::Value::from),
            "[\\x00-\\x1f\"\\\\/a\u{7f}é]{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[ -~]{0,6}|.{0,3}", inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Whatever the scanner vouches for is canonical; the canonical encoding of a value whose
        /// keys are ASCII is always vouched for; and a byte changed or removed is never wrongly
        /// vouched for.
        #[test]
        fn agrees_with_the_general_rule(v in arb_json(), at in any::<prop::sample::Index>(),
                                        byte in any::<u8>(), remove in any::<bool>()) {
            let bytes = crate::entry::jcs(&v).unwrap();
            prop_assert!(canonical(&bytes));
            let ascii_keys = !bytes.is_empty() && object_keys_ascii(&v);
            if ascii_keys {
                prop_assert!(scan(&bytes, &mut Vec::new()), "{}", String::from_utf8_lossy(&bytes));
            }
            let mut changed = bytes.clone();
            let i = at.index(changed.len());
            if remove { changed.remove(i); } else { changed[i] = byte; }
            if scan(&changed, &mut Vec::new()) {
                prop_assert!(canonical(&changed), "{}", String::from_utf8_lossy(&changed));
            }
            if changed.first() == Some(&b'{') && object(&changed, &mut Vec::new()).is_some() {
                prop_assert!(canonical(&changed), "{}", String::from_utf8_lossy(&changed));
            }
        }
    }

    fn object_keys_ascii(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Object(m) => m.iter().all(|(k, x)| {
                k.bytes()
                    .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
                    && object_keys_ascii(x)
            }),
            serde_json::Value::Array(a) => a.iter().all(object_keys_ascii),
            _ => true,
        }
    }
}
