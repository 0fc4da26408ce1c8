//! AIS gaps ("vessels going dark", derived by `truce_engine::gaps` and stored in the views):
//! the filters of `GET /v1/ais/gaps`, `GET /v1/ais/gaps.geojson` and `truce ais gaps` (`mmsi`,
//! `from`, `to`, `bbox`, `limit`, `offset`) and their documents. One shape for the API and the
//! CLI: a page `{"items", "total", "limit", "offset", "log_size", "note"}` of gaps as the engine
//! encodes them, or a GeoJSON FeatureCollection with a LineString per gap from its last fix
//! before to its first fix after (the straight line is no route: nothing is known between).

use super::tracks::parse_mmsi;
use super::{bad, raw_page, Bound, Page, ParamError, Params};
use crate::db::{GapFilter, ViewStore};
use crate::DerivedError;
use serde_json::{json, Value};

/// The parameters of `GET /v1/ais/gaps` and `/v1/ais/gaps.geojson`.
pub const GAP_PARAMS: &[&str] = &["mmsi", "from", "to", "bbox", "limit", "offset"];

/// The largest page of gaps.
pub const MAX_GAPS_PAGE: usize = 1_000;

/// What every gap document says of gaps (the engine's note).
pub const NOTE: &str = truce_engine::gaps::NOTE;

const DAY_MS: i64 = 86_400_000;

/// Filters on gaps and the page asked for.
#[derive(Debug, Clone)]
pub struct GapQuery {
    /// The filters, as the views apply them.
    pub filter: GapFilter,
    /// The page.
    pub page: Page,
}

fn ms(name: &str, b: Bound, end_of_day: bool) -> Result<i64, ParamError> {
    match b {
        Bound::At(t) => Ok(t.0.as_millisecond()),
        Bound::Day(d) => {
            d.0.to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp().as_millisecond() + if end_of_day { DAY_MS - 1 } else { 0 })
                .map_err(|e| bad(name, format!("{d}: {e}")))
        }
    }
}

impl GapQuery {
    /// The query a request's parameters give ([`GAP_PARAMS`]): `mmsi` one MMSI; `from`/`to` a
    /// UTC day or an RFC 3339 instant, keeping the gaps that overlap them (a day bound is the
    /// whole day); `bbox` gaps starting or ending in the box.
    pub fn parse(p: &Params) -> Result<GapQuery, ParamError> {
        let range = p.time_range()?;
        Ok(GapQuery {
            filter: GapFilter {
                mmsi: p
                    .get("mmsi")
                    .map(|v| parse_mmsi(v.trim()).map_err(|e| bad("mmsi", e)))
                    .transpose()?,
                from_ms: range.from.map(|b| ms("from", b, false)).transpose()?,
                to_ms: range.to.map(|b| ms("to", b, true)).transpose()?,
                bbox: p.bbox()?,
            },
            page: p.page(MAX_GAPS_PAGE)?,
        })
    }

    /// The page document: the matching gaps as the engine encoded them, and how many match.
    pub fn page_json(&self, v: &ViewStore, log_size: u64) -> Result<(String, usize), DerivedError> {
        let (docs, total) = v.gaps_page(&self.filter, self.page.limit, self.page.offset)?;
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        let extra = format!(",\"note\":{}", json!(NOTE));
        Ok((raw_page(&docs, total, self.page, log_size, &extra), total))
    }

    /// The GeoJSON document: one LineString feature per gap of the page, from its start to its
    /// end, the gap's fields as properties; `total`, `limit`, `offset`, `log_size` and `note`
    /// beside the features.
    pub fn geojson(&self, v: &ViewStore, log_size: u64) -> Result<Value, DerivedError> {
        let (docs, total) = v.gaps_page(&self.filter, self.page.limit, self.page.offset)?;
        let mut features = Vec::with_capacity(docs.len());
        for d in &docs {
            let mut props: Value = serde_json::from_str(d)
                .map_err(|e| DerivedError::Unreadable(format!("stored AIS gap: {e}")))?;
            let coords = json!([props["start"].clone(), props["end"].clone()]);
            let id = format!(
                "{}-{}",
                props["mmsi"],
                props["start_ms"].as_i64().unwrap_or_default()
            );
            if let Value::Object(m) = &mut props {
                m.remove("note");
            }
            features.push(json!({
                "type": "Feature",
                "id": id,
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": props,
            }));
        }
        Ok(json!({
            "type": "FeatureCollection",
            "features": features,
            "total": total,
            "limit": self.page.limit,
            "offset": self.page.offset,
            "log_size": log_size,
            "note": NOTE,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Result<GapQuery, ParamError> {
        let p = Params::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            GAP_PARAMS,
        )?;
        GapQuery::parse(&p)
    }

    #[test]
    fn parameters_are_read_or_refused_by_name() {
        let q = params(&[
            ("mmsi", "272000001"),
            ("from", "2025-04-01"),
            ("to", "2025-04-01"),
            ("bbox", "30,40,35,46"),
            ("limit", "5"),
        ])
        .unwrap();
        assert_eq!(q.filter.mmsi, Some(272_000_001));
        assert_eq!(q.filter.from_ms, Some(1_743_465_600_000));
        assert_eq!(q.filter.to_ms, Some(1_743_465_600_000 + DAY_MS - 1));
        assert_eq!(q.filter.bbox, Some([30.0, 40.0, 35.0, 46.0]));
        assert_eq!((q.page.limit, q.page.offset), (5, 0));
        let q = params(&[("from", "2025-04-01T06:00:00Z")]).unwrap();
        assert_eq!(q.filter.from_ms, Some(1_743_465_600_000 + 6 * 3_600_000));
        for (k, v) in [
            ("mmsi", "1234567890"),
            ("mmsi", "x"),
            ("from", "yesterday"),
            ("bbox", "1,2,3"),
            ("limit", "1001"),
        ] {
            let e = params(&[(k, v)]).unwrap_err();
            assert_eq!(e.field, k, "{e}");
        }
        assert_eq!(
            params(&[("agreement", "x")]).unwrap_err().field,
            "agreement"
        );
    }
}
