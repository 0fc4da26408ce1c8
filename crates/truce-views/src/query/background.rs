//! Background detections: sensor detections (`fire-observed` by an open-data source) that no
//! allegation draws into an incident and that touch nothing a reading protects. They are kept,
//! listed, counted and exported, never counted as incidents (`Judgement.background`, stored in
//! `views.db`'s `view_background` by [`crate::derived::store`]).
//!
//! - `GET /v1/background` — a page `{items, total, limit, offset, log_size}`, each item exactly
//!   the engine's `Background` serialisation;
//! - `GET /v1/background/count` — `{"count", "log_size", "by_day": {"YYYY-MM-DD": n, …}}` (days
//!   with none left out; `count` is the sum of `by_day`, both from one read);
//! - `GET /v1/background.geojson` — every match as a streamed FeatureCollection of points
//!   (properties: the item's JSON), through the exports' machinery (bounded channel,
//!   `max_heavy_queries`).
//!
//! Filters (one definition, [`BackgroundFilter`]): `from`/`to` (a UTC day or an RFC 3339
//! instant, on the detection's start), `bbox` (edges included), `source` (the detection's
//! author), `routine=true|false` (at a persistent hot spot or not); `as_of` on the list and the
//! count as on `/v1/incidents`. Unknown or malformed parameters answer 400 naming the parameter.
//!
//! The documents are built by [`list_json`], [`count_json`] and [`geojson`] from a [`ViewStore`]
//! and a filter; `truce background` calls the same functions, so `--json` prints what the API
//! answers (the handlers, with the views' freshness and the streaming, are `truce-server`'s).

use super::export;
use super::{bad, raw_page, Bound, Page, ParamError, Params};
use crate::db::{BackgroundFilter, BackgroundRow, ViewStore};
use crate::derived::{self, DerivedError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// The filters every background endpoint takes.
pub const FILTER_PARAMS: &[&str] = &["from", "to", "bbox", "source", "routine"];

/// The filter a query's `from`, `to`, `bbox`, `source` and `routine` describe (400 naming a
/// malformed one). For other endpoints over the same rows (the map's background layer).
pub fn filter(p: &Params) -> Result<BackgroundFilter, ParamError> {
    let range = p.time_range()?;
    let routine = match p.get("routine") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(v) => {
            return Err(bad(
                "routine",
                format!("{v:?}: write true (only detections at persistent hot spots) or false (only the others)"),
            ))
        }
    };
    Ok(BackgroundFilter {
        from_day: range.first_day(),
        to_day: range.last_day(),
        from_start: match range.from {
            Some(Bound::At(t)) => Some(start_second(t, true)),
            _ => None,
        },
        to_start: match range.to {
            Some(Bound::At(t)) => Some(start_second(t, false)),
            _ => None,
        },
        bbox: p.bbox()?,
        source: p.id("source")?.map(|s| s.to_string()),
        routine,
    })
}

/// An instant in whole unix seconds, rounded up (`ceil`: a lower bound) or down (an upper bound).
fn start_second(t: truce_model::Time, ceil: bool) -> i64 {
    let ts = t.0;
    let mut s = ts.as_second();
    let frac = ts.subsec_nanosecond();
    if ceil && frac > 0 {
        s = s.saturating_add(1);
    } else if !ceil && frac < 0 {
        s = s.saturating_sub(1);
    }
    s
}

/// What `GET /v1/background/count` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackgroundCount {
    /// Background detections matching the filters.
    pub count: u64,
    /// The log size the views describe.
    pub log_size: u64,
    /// How many per UTC day of their start (days with none left out).
    pub by_day: BTreeMap<String, u64>,
}

/// One stored row as the engine's `Background` JSON.
fn item_json(r: &BackgroundRow) -> Result<String, DerivedError> {
    let b = derived::background_of(r)?;
    serde_json::to_string(&b).map_err(|e| DerivedError::Encode(e.to_string()))
}

/// `GET /v1/background`'s document: the page of background detections matching `f` (`limit` from
/// `offset`, by start then log index), each as the engine serialises it, with how many match,
/// the page asked for and the views' `log_size`.
pub fn list_json(
    views: &ViewStore,
    f: &BackgroundFilter,
    limit: usize,
    offset: usize,
    log_size: u64,
) -> Result<String, DerivedError> {
    let (rows, total) = views.background_page(f, limit, offset)?;
    let items = rows.iter().map(item_json).collect::<Result<Vec<_>, _>>()?;
    Ok(raw_page(
        &items,
        usize::try_from(total).unwrap_or(usize::MAX),
        Page { limit, offset },
        log_size,
        "",
    ))
}

/// How many background detections match `f`, in all and per day.
pub fn count(
    views: &ViewStore,
    f: &BackgroundFilter,
    log_size: u64,
) -> Result<BackgroundCount, DerivedError> {
    let by_day: BTreeMap<String, u64> = views.background_by_day(f)?.into_iter().collect();
    Ok(BackgroundCount {
        count: by_day.values().sum(),
        log_size,
        by_day,
    })
}

/// `GET /v1/background/count`'s document ([`count`] as JSON).
pub fn count_json(
    views: &ViewStore,
    f: &BackgroundFilter,
    log_size: u64,
) -> Result<String, DerivedError> {
    serde_json::to_string(&count(views, f, log_size)?)
        .map_err(|e| DerivedError::Encode(e.to_string()))
}

/// A background detection as a GeoJSON point feature: `id` its entry id (as `reports.geojson`),
/// `properties` its JSON ([`list_json`]'s item).
pub fn feature(r: &BackgroundRow) -> Result<String, DerivedError> {
    let enc = |e: serde_json::Error| DerivedError::Encode(e.to_string());
    Ok(format!(
        "{{\"type\":\"Feature\",\"id\":{},\"geometry\":{{\"type\":\"Point\",\"coordinates\":{}}},\"properties\":{}}}",
        serde_json::to_string(&r.entry_id).map_err(enc)?,
        serde_json::to_string(&[r.lon, r.lat]).map_err(enc)?,
        item_json(r)?
    ))
}

/// `GET /v1/background.geojson`: the background detections `f` matches, in stored order,
/// through `window`, as a FeatureCollection written one row at a time (nothing collected).
pub fn geojson<W: Write>(
    views: &ViewStore,
    f: &BackgroundFilter,
    window: export::Window,
    w: W,
) -> Result<W, export::ExportError> {
    let mut doc = export::Doc::geojson(w)?;
    let mut count = export::Counter::new(window);
    let mut failed: Option<export::ExportError> = None;
    views.each_background_while(f, |r| {
        match count.step() {
            export::Step::Stop => return false,
            export::Step::Skip => return true,
            export::Step::Take => {}
        }
        let item = match feature(&r) {
            Ok(item) => item,
            Err(e) => {
                failed = Some(export::ExportError::Unreadable {
                    what: "background detection",
                    why: e.to_string(),
                });
                return false;
            }
        };
        match doc.item(&item) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e.into());
                false
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(doc.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_become_start_seconds_rounded_inward() {
        let t = |s: &str| truce_model::Time::parse(s).unwrap();
        let s = |s: &str| t(s).0.as_second();
        assert_eq!(
            start_second(t("2025-03-21T10:00:30.5Z"), true),
            s("2025-03-21T10:00:31Z")
        );
        assert_eq!(
            start_second(t("2025-03-21T10:00:30.5Z"), false),
            s("2025-03-21T10:00:30Z")
        );
        assert_eq!(
            start_second(t("2025-03-21T13:00:30+03:00"), true),
            s("2025-03-21T10:00:30Z")
        );
        assert_eq!(
            start_second(t("1969-12-31T23:59:59.5Z"), false),
            s("1969-12-31T23:59:59Z")
        );
    }
}
