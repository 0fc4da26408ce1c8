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
/// members; `None` when undecided.
pub(crate) fn object(bytes: &[u8]) -> Option<Members<'_>> {
    // Strings are checked for escapes below; their other bytes must be UTF-8, checked at once.
    if !bytes.is_ascii() {
        std::str::from_utf8(bytes).ok()?;
    }
    let mut s = Scanner { b: bytes, i: 0 };
    let mut members = Members {
        list: Default::default(),
        len: 0,
    };
    s.eat(b'{')?;
    if s.peek()? == b'}' {
        s.i += 1;
    } else {
        let mut prev: &[u8] = &[];
        loop {
            let start = s.i;
            let key = s.key()?;
            if members.len > 0 && key <= prev {
                return None;
            }
            prev = key;
            s.eat(b':')?;
            let v0 = s.i;
            s.value(1)?;
            if members.len == MEMBERS {
                return None;
            }
            members.list[members.len] = Some(Member {
                // Printable ASCII, checked by `key`.
                key: std::str::from_utf8(key).ok()?,
                start,
                value: v0..s.i,
            });
            members.len += 1;
            match s.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    (s.i == bytes.len()).then_some(members)
}

/// Whether `bytes` are certainly one canonical JSON value (`false`: undecided).
#[cfg(test)]
pub(crate) fn value(bytes: &[u8]) -> bool {
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_err() {
        return false;
    }
    let mut s = Scanner { b: bytes, i: 0 };
    s.value(0).is_some() && s.i == bytes.len()
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

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
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

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    fn value(&mut self, depth: u32) -> Option<()> {
        if depth > DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.i += 1;
                if self.peek()? == b'}' {
                    self.i += 1;
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
                        b'}' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    match self.next()? {
                        b',' => continue,
                        b']' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b'"' => self.string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// An object key: printable ASCII without escapes.
    fn key(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match self.next()? {
                b'"' => return Some(&self.b[start..self.i - 1]),
                b'\\' => return None,
                0x20..=0x7e => {}
                _ => return None,
            }
        }
    }

    /// A string escaped as JCS escapes it: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and
    /// `\u00xx` (lowercase hex) for the other control characters; everything else as itself.
    fn string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let rest = &self.b[self.i..];
            let k = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            self.i += k;
            match self.next()? {
                b'"' => return Some(()),
                b'\\' => match self.next()? {
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
                },
                _ => return None,
            }
        }
    }

    /// A number as ECMAScript writes its double: a short integer as itself, anything else parsed
    /// as `serde_json` parses it and written back as [`crate::entry`]'s encoder writes it.
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
        if short_int {
            return Some(());
        }
        let n: serde_json::Number = serde_json::from_slice(token).ok()?;
        let mut out = Vec::with_capacity(token.len());
        (crate::entry::write_jcs(&serde_json::Value::Number(n), &mut out) && out == token)
            .then_some(())
    }
}

#[cfg(test)]
mod tests {
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
            assert_eq!(object(text.as_bytes()).is_some(), ok, "{text}");
            if ok {
                assert!(canonical(text.as_bytes()), "{text}");
            }
        }
        let m = object(br#"{"a":1,"bb":"x","c":[2]}"#).unwrap();
        let keys: Vec<_> = m
            .iter()
            .map(|m| (m.key, m.start, m.value.clone()))
            .collect();
        assert_eq!(keys, [("a", 1, 5..6), ("bb", 7, 12..15), ("c", 16, 20..23)]);
        assert_eq!(plain_str(b"\"xy\""), Some("xy"));
        assert_eq!(plain_str(b"\"x\\ny\""), None);
        // Deep nesting is left to the general path.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(120), "]".repeat(120));
        assert!(object(deep.as_bytes()).is_none());
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
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
                prop_assert!(value(&bytes), "{}", String::from_utf8_lossy(&bytes));
            }
            let mut changed = bytes.clone();
            let i = at.index(changed.len());
            if remove { changed.remove(i); } else { changed[i] = byte; }
            if value(&changed) {
                prop_assert!(canonical(&changed), "{}", String::from_utf8_lossy(&changed));
            }
            if changed.first() == Some(&b'{') && object(&changed).is_some() {
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
