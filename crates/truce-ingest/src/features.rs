//! A GeoJSON FeatureCollection read one feature at a time: the `features` array is walked with
//! serde's `SeqAccess`, each feature handed over as a `serde_json::Value` as soon as it is parsed,
//! so the document is never held whole. Each feature — and each other top-level member (`crs`,
//! `bbox`, anything) — may hold at most a bound of bytes ([`crate::limits::Limits::max_record`]):
//! the reader beneath the parser stops at it, so a hostile feature costs at most that much.

use crate::limits::{LimitError, Meter};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;
use std::io::Read;

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
    let meter = Meter::new();
    let reader = std::io::BufReader::with_capacity(64 * 1024, meter.reader(input, max_feature));
    let mut de = serde_json::Deserializer::from_reader(reader);
    let current = Cell::new(String::from("the document"));
    let kind = de.deserialize_map(Collection {
        meter: &meter,
        current: &current,
        each: &mut each,
    });
    let kind = kind.and_then(|k| de.end().map(|_| k));
    match kind {
        Ok(Some(k)) if k == "FeatureCollection" => Ok(()),
        Ok(k) => Err(FeaturesError::WrongType(k.unwrap_or_default())),
        Err(_) if meter.tripped() => Err(FeaturesError::TooLarge(LimitError::Feature {
            what: current.take(),
            limit: max_feature,
        })),
        Err(e) => Err(FeaturesError::NotGeoJson {
            reason: e.to_string(),
            line: e.line() as u64,
            column: e.column() as u64,
        }),
    }
}

struct Collection<'a, F> {
    meter: &'a Meter,
    current: &'a Cell<String>,
    each: &'a mut F,
}

impl<'de, F: FnMut(u64, serde_json::Value)> Visitor<'de> for Collection<'_, F> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
        let mut kind = None;
        loop {
            self.meter.mark();
            self.current.set("a member name".into());
            let Some(key) = map.next_key::<String>()? else {
                break;
            };
            self.meter.mark();
            self.current.set(format!("member {key:?}"));
            match key.as_str() {
                "type" => kind = Some(map.next_value::<String>()?),
                "features" => map.next_value_seed(Features {
                    meter: self.meter,
                    current: self.current,
                    each: &mut *self.each,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(kind)
    }
}

struct Features<'a, F> {
    meter: &'a Meter,
    current: &'a Cell<String>,
    each: &'a mut F,
}

impl<'de, F: FnMut(u64, serde_json::Value)> DeserializeSeed<'de> for Features<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(u64, serde_json::Value)> Visitor<'de> for Features<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0u64;
        loop {
            n += 1;
            self.meter.mark();
            self.current.set(format!("feature {n}"));
            match seq.next_element::<serde_json::Value>()? {
                Some(v) => (self.each)(n, v),
                None => return Ok(()),
            }
        }
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
    fn an_endless_document_stops_at_the_limit() {
        let endless = std::io::Read::chain(
            &br#"{"type":"FeatureCollection","features":[{"a":""#[..],
            std::io::repeat(b'x'),
        );
        let r = for_each(endless, 1 << 16, |_, _| {});
        assert!(matches!(r, Err(FeaturesError::TooLarge(_))), "{r:?}");
    }
}
