//! A GeoJSON FeatureCollection read one feature at a time ([`FeatureReader`], an iterator): the
//! collection's object and its `features` array are walked here, each feature parsed by serde_json
//! into a `serde_json::Value` and handed over at once, so neither the document nor its rows are
//! ever held whole. Each feature — and each other top-level member (`crs`,
//! `bbox`, anything) — may hold at most a bound of bytes ([`crate::limits::Limits::max_record`]):
//! the reader beneath the parser stops at it, so a hostile feature costs at most that much.

use crate::limits::{LimitError, Meter, Metered};
use serde::de::IgnoredAny;
use std::io::{BufRead, BufReader, Read};

/// Why a FeatureCollection could not be read (a bad feature is the caller's to judge).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeaturesError {
    /// A feature or member is larger than the limit.
    #[error(transparent)]
    TooLarge(#[from] LimitError),
    /// Not JSON, or not a FeatureCollection.
    #[error("not a GeoJSON FeatureCollection: {reason} (line {line}, column {column})")]
    NotGeoJson {
        /// What is wrong.
        reason: String,
        /// 1-based line of the document.
        line: u64,
        /// 1-based column.
        column: u64,
    },
    /// The document's `type` is not `FeatureCollection`.
    #[error("expected a FeatureCollection, found `type` {0:?}")]
    WrongType(String),
}

/// Reads the FeatureCollection in `input`, calling `each(n, feature)` for every feature (`n`
/// from 1) as it is parsed. Every feature and other top-level member may hold at most
/// `max_feature` bytes.
pub fn for_each<R: Read>(
    input: R,
    max_feature: u64,
    mut each: impl FnMut(u64, serde_json::Value),
) -> Result<(), FeaturesError> {
    for f in FeatureReader::new(input, max_feature) {
        let (n, v) = f?;
        each(n, v);
    }
    Ok(())
}

/// The features of a FeatureCollection, pulled one at a time (`(n, feature)`, `n` from 1): the
/// reader holds one feature (at most `max_feature` bytes) and a buffer, whatever the document's
/// length. Top-level members before, between and after the `features` array are read past
/// (each bounded too); the document's `type` is checked at its end, so a wrong one is the last
/// item. After an error the iterator ends.
pub struct FeatureReader<R: Read> {
    r: Counted<BufReader<Metered<R>>>,
    meter: Meter,
    max: u64,
    n: u64,
    kind: Option<String>,
    state: State,
    what: String,
    /// The end's error after the last feature, returned after that feature.
    pending: Option<FeaturesError>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `{`.
    Start,
    /// Inside the collection's object, before a member name or its `}`.
    Members,
    /// Inside the `features` array, before a feature or its `]`.
    Array,
    /// Read to the end (or failed).
    Done,
}

impl<R: Read> FeatureReader<R> {
    /// A reader of the collection in `input`, each feature and member at most `max_feature`
    /// bytes.
    pub fn new(input: R, max_feature: u64) -> Self {
        let meter = Meter::new();
        let r = BufReader::with_capacity(64 * 1024, meter.reader(input, max_feature));
        FeatureReader {
            r: Counted {
                inner: r,
                line: 1,
                column: 1,
            },
            meter,
            max: max_feature,
            n: 0,
            kind: None,
            state: State::Start,
            what: "the document".into(),
            pending: None,
        }
    }

    fn fail(&mut self, reason: impl Into<String>) -> FeaturesError {
        self.state = State::Done;
        if self.meter.tripped() {
            return FeaturesError::TooLarge(LimitError::Feature {
                what: std::mem::take(&mut self.what),
                limit: self.max,
            });
        }
        FeaturesError::NotGeoJson {
            reason: reason.into(),
            line: self.r.line,
            column: self.r.column,
        }
    }

    /// The next byte that is not whitespace, not consumed; `None` at the end.
    fn peek(&mut self) -> Result<Option<u8>, FeaturesError> {
        loop {
            let buf = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) => return Err(self.fail(e.to_string())),
            };
            let Some(&b) = buf.first() else {
                return Ok(None);
            };
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.r.consume(1);
            } else {
                return Ok(Some(b));
            }
        }
    }

    /// Consumes `want` (after whitespace), or fails saying what was expected.
    fn expect(&mut self, want: &[u8], expected: &str) -> Result<u8, FeaturesError> {
        match self.peek()? {
            Some(b) if want.contains(&b) => {
                self.r.consume(1);
                Ok(b)
            }
            Some(b) => Err(self.fail(format!("expected {expected}, found `{}`", b as char))),
            None => Err(self.fail(format!("expected {expected}, found the end of the file"))),
        }
    }

    /// One JSON value. A number is scanned here: serde_json looks one byte past a number, and
    /// that byte would be lost with its deserializer; every other value ends on its own last
    /// byte.
    fn value<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, FeaturesError> {
        let first = self.peek()?;
        let parsed = if matches!(first, Some(b'-' | b'0'..=b'9')) {
            let mut text = Vec::new();
            loop {
                let buf = match self.r.fill_buf() {
                    Ok(b) => b,
                    Err(e) => return Err(self.fail(e.to_string())),
                };
                match buf.first() {
                    Some(&b) if matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') => {
                        text.push(b);
                        self.r.consume(1);
                    }
                    _ => break,
                }
            }
            serde_json::from_slice(&text)
        } else {
            T::deserialize(&mut serde_json::Deserializer::from_reader(&mut self.r))
        };
        parsed.map_err(|e| self.fail(e.to_string()))
    }

    fn next_feature(&mut self) -> Result<Option<(u64, serde_json::Value)>, FeaturesError> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => {
                    self.meter.mark();
                    self.expect(b"{", "a GeoJSON FeatureCollection object `{`")?;
                    self.state = State::Members;
                    if self.peek()? == Some(b'}') {
                        self.r.consume(1);
                        return self.end().map(|_| None);
                    }
                }
                State::Members => {
                    self.meter.mark();
                    self.what = "a member name".into();
                    let key: String = self.value()?;
                    self.expect(b":", "`:` after a member name")?;
                    self.meter.mark();
                    self.what = format!("member {key:?}");
                    match key.as_str() {
                        "type" => self.kind = Some(self.value()?),
                        "features" => {
                            self.expect(b"[", "the array of features `[`")?;
                            if self.peek()? == Some(b']') {
                                self.r.consume(1);
                                self.after_member()?;
                            } else {
                                self.state = State::Array;
                            }
                            continue;
                        }
                        _ => {
                            self.value::<IgnoredAny>()?;
                        }
                    }
                    self.after_member()?;
                }
                State::Array => {
                    self.n += 1;
                    self.meter.mark();
                    self.what = format!("feature {}", self.n);
                    let v: serde_json::Value = self.value()?;
                    if self.expect(b",]", "`,` or `]` after a feature")? == b']' {
                        self.state = State::Members;
                        if let Err(e) = self.after_member() {
                            self.pending = Some(e);
                        }
                    }
                    return Ok(Some((self.n, v)));
                }
            }
        }
    }

    /// After a member's value: `,` (another member) or `}` (the end of the collection).
    fn after_member(&mut self) -> Result<(), FeaturesError> {
        if self.state == State::Done {
            return Ok(());
        }
        if self.expect(b",}", "`,` or `}` after a member")? == b'}' {
            self.end()?;
        }
        Ok(())
    }

    /// The collection's object is closed: nothing may follow, and its type must be right.
    fn end(&mut self) -> Result<(), FeaturesError> {
        self.what = "the document".into();
        if let Some(b) = self.peek()? {
            return Err(self.fail(format!(
                "trailing characters after the collection, from `{}`",
                b as char
            )));
        }
        self.state = State::Done;
        match self.kind.take() {
            Some(k) if k == "FeatureCollection" => Ok(()),
            k => Err(FeaturesError::WrongType(k.unwrap_or_default())),
        }
    }
}

impl<R: Read> Iterator for FeatureReader<R> {
    type Item = Result<(u64, serde_json::Value), FeaturesError>;

    fn next(&mut self) -> Option<Self::Item> {
        // A feature closing the array may also close (and end) the document: its end's error,
        // if any, comes after the feature.
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        match self.next_feature() {
            Ok(Some(f)) => Some(Ok(f)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// A reader that keeps the line and column of the next byte it hands out.
struct Counted<R> {
    inner: R,
    line: u64,
    column: u64,
}

/// Moves `(line, column)` past `bytes`.
fn advance(line: &mut u64, column: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            *line += 1;
            *column = 1;
        } else {
            *column += 1;
        }
    }
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        advance(&mut self.line, &mut self.column, &buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        let n = {
            let buf = self.inner.fill_buf().unwrap_or(&[]);
            let n = amt.min(buf.len());
            advance(&mut self.line, &mut self.column, &buf[..n]);
            n
        };
        self.inner.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &[u8], max: u64) -> Result<Vec<(u64, serde_json::Value)>, FeaturesError> {
        let mut out = Vec::new();
        for_each(text, max, |n, v| out.push((n, v)))?;
        Ok(out)
    }

    #[test]
    fn features_come_one_by_one_and_each_is_bounded() {
        let doc = br#"{"features":[{"a":1},{"a":2}],"crs":{"x":[1,2]},"type":"FeatureCollection"}"#;
        let got = collect(doc, 100).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], (2, serde_json::json!({"a": 2})));
        let big = format!(
            r#"{{"type":"FeatureCollection","features":[{{"a":1}},{{"a":"{}"}}]}}"#,
            "x".repeat(5000)
        );
        assert_eq!(
            collect(big.as_bytes(), 1000),
            Err(FeaturesError::TooLarge(LimitError::Feature {
                what: "feature 2".into(),
                limit: 1000
            }))
        );
        let crs = format!(
            r#"{{"type":"FeatureCollection","crs":"{}","features":[]}}"#,
            "x".repeat(5000)
        );
        assert!(matches!(
            collect(crs.as_bytes(), 1000),
            Err(FeaturesError::TooLarge(LimitError::Feature { what, .. })) if what == "member \"crs\""
        ));
        assert_eq!(
            collect(br#"{"type":"Feature","features":[]}"#, 100),
            Err(FeaturesError::WrongType("Feature".into()))
        );
        assert!(matches!(
            collect(b"[1,2]", 100),
            Err(FeaturesError::NotGeoJson { .. })
        ));
    }

    #[test]
    fn members_of_every_kind_around_the_features_are_read_past() {
        let doc = br#" { "bbox" : [1, -2.5e3] , "n": -12.5E+2, "t": true, "z": null,
            "features" : [ {"a": 1} , 7 , "x" ] , "after": 3,
            "type": "FeatureCollection" } "#;
        let got = collect(doc, 1000).unwrap();
        let values: Vec<serde_json::Value> = got.into_iter().map(|(_, v)| v).collect();
        assert_eq!(values, [serde_json::json!({"a": 1}), 7.into(), "x".into()]);
        assert_eq!(collect(br#"{"type":"FeatureCollection"}"#, 100), Ok(vec![]));
        assert_eq!(
            collect(br#"{"features":[],"type":"FeatureCollection"}"#, 100),
            Ok(vec![])
        );
        // What follows the collection, and malformed punctuation, name the line.
        assert!(matches!(
            collect(
                b"{\"type\":\"FeatureCollection\",\n\"features\":[{}]}\n}",
                100
            ),
            Err(FeaturesError::NotGeoJson { line: 3, .. })
        ));
        assert!(matches!(
            collect(b"{\"features\":[{} {}]}", 100),
            Err(FeaturesError::NotGeoJson { .. })
        ));
    }

    #[test]
    fn the_first_feature_comes_before_the_document_ends() {
        // An endless collection: its first features are handed over before it is read whole.
        let head = br#"{"type":"FeatureCollection","features":[{"a":1},{"a":2},"#;
        let endless = std::io::Read::chain(&head[..], std::io::repeat(b' '));
        let mut r = FeatureReader::new(endless, 1 << 16);
        assert_eq!(r.next().unwrap().unwrap(), (1, serde_json::json!({"a": 1})));
        assert_eq!(r.next().unwrap().unwrap(), (2, serde_json::json!({"a": 2})));
        assert!(matches!(r.next(), Some(Err(FeaturesError::TooLarge(_)))));
        assert!(r.next().is_none());
    }

    #[test]
    fn an_endless_document_stops_at_the_limit() {
        let endless = std::io::Read::chain(
            &br#"{"type":"FeatureCollection","features":[{"a":""#[..],
            std::io::repeat(b'x'),
        );
        let r = for_each(endless, 1 << 16, |_, _| {});
        assert!(matches!(r, Err(FeaturesError::TooLarge(_))), "{r:?}");
    }
}
