//! Background detections: sensor detections (`fire-observed` by an open-data source) that no
//! allegation draws into an incident and that touch nothing a reading protects. They are kept,
//! listed, counted and exported, never counted as incidents (`Judgement.background`, stored in
//! `views.db`'s `view_background` by [`truce_views::derived::store`]).
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
//! answers. This module is part of `query` (declared there), whose parameter parsing, freshness
//! of the views and streaming it uses.

use super::{
    blocking, export, heavy_permit, params, stream, typed, Bound, Params, RawQuery, Which, GEOJSON,
};
use crate::access::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use truce_views::db::{BackgroundFilter, BackgroundRow, ViewStore};
use truce_views::derived::{self, DerivedError};

/// The filters every background endpoint takes.
pub(crate) const FILTER_PARAMS: &[&str] = &["from", "to", "bbox", "source", "routine"];

/// The filter a query's `from`, `to`, `bbox`, `source` and `routine` describe (400 naming a
/// malformed one). For other endpoints over the same rows (the map's background layer).
pub(crate) fn filter(p: &Params) -> Result<BackgroundFilter, ApiError> {
    let range = p.time_range()?;
    let routine = match p.get("routine") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(v) => {
            return Err(super::bad(
                "routine",
                format!("{v:?}: write true (only detections at persistent hot spots) or false (only the others)"),
            ))
        }
    };
    Ok(BackgroundFilter {
        from_day: range.first_day(),
        to_day: range.last_day(),
        from_start: match range.from {
            Some(Bound::At(t)) => Some(start_text(t, true)),
            _ => None,
        },
        to_start: match range.to {
            Some(Bound::At(t)) => Some(start_text(t, false)),
            _ => None,
        },
        bbox: p.bbox()?,
        source: p.id("source")?.map(|s| s.to_string()),
        routine,
    })
}

/// An instant as the `start` column is written (RFC 3339 UTC, whole seconds), rounded up
/// (`ceil`: a lower bound) or down (an upper bound), so comparing the text compares the times.
fn start_text(t: truce_model::Time, ceil: bool) -> String {
    let ts = t.0;
    let mut s = ts.as_second();
    let frac = ts.subsec_nanosecond();
    if ceil && frac > 0 {
        s = s.saturating_add(1);
    } else if !ceil && frac < 0 {
        s = s.saturating_sub(1);
    }
    jiff::Timestamp::from_second(s).unwrap_or(ts).to_string()
}

/// What `GET /v1/background/count` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    Ok(super::raw_page(
        &items,
        usize::try_from(total).unwrap_or(usize::MAX),
        super::Page { limit, offset },
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

fn internal(e: DerivedError) -> ApiError {
    ApiError::internal(e)
}

/// `GET /v1/background`.
#[utoipa::path(get, path = "/v1/background", tag = "engine",
    summary = "Background detections: sensor detections in no incident (not incidents, not counted as such), by start then log index",
    description = "Each item is the engine's `Background`: `day` (UTC day of its start) and the detection in the shape of an incident's member (`index`, `entry_id`, `author`, `role`, `id`, `act`, `point` [lon, lat], `uncertainty_m`, `start`, `end`, `side`, `routine` when at a persistent hot spot). An allegation filed later pulls the detections within its reach into its incident, so a detection may leave this list as the log grows.",
    params(crate::openapi::PageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("source" = Option<String>, Query, description = "The source: the detection's author (e.g. `firms`)"),
        ("routine" = Option<bool>, Query, description = "`true`: only detections at persistent hot spots (routine); `false`: only the others"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn list(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &[FILTER_PARAMS, &["limit", "offset", "as_of"]].concat())?;
    let page = p.page(s.0.config.max_page)?;
    let f = filter(&p)?;
    let which = Which::of(&s, p.as_of(&s)?).await?;
    let body = blocking(move || {
        let log_size = which.log_size();
        which.with(&s, |v| {
            list_json(v, &f, page.limit, page.offset, log_size).map_err(internal)
        })
    })
    .await?;
    Ok(typed(body, "application/json", &caller))
}

/// `GET /v1/background/count`.
#[utoipa::path(get, path = "/v1/background/count", tag = "engine",
    summary = "How many background detections match, in all and per UTC day",
    params(crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("source" = Option<String>, Query, description = "The source: the detection's author"),
        ("routine" = Option<bool>, Query, description = "`true`: only routine detections; `false`: only the others"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "`{count, log_size, by_day: {\"YYYY-MM-DD\": n}}`", body = BackgroundCount), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn count_handler(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &[FILTER_PARAMS, &["as_of"]].concat())?;
    let f = filter(&p)?;
    let which = Which::of(&s, p.as_of(&s)?).await?;
    let body = blocking(move || {
        let log_size = which.log_size();
        which.with(&s, |v| count_json(v, &f, log_size).map_err(internal))
    })
    .await?;
    Ok(typed(body, "application/json", &caller))
}

/// `GET /v1/background.geojson`.
#[utoipa::path(get, path = "/v1/background.geojson", tag = "exports",
    summary = "Background detections as a GeoJSON FeatureCollection of points (same filters; all by default), streamed",
    description = "Each feature's `id` is the detection's entry id and its `properties` the item `GET /v1/background` lists. Streamed from one snapshot of the views; at most `max_heavy_queries` exports at once (503 with `Retry-After` beyond).",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("source" = Option<String>, Query, description = "The source: the detection's author"),
        ("routine" = Option<bool>, Query, description = "`true`: only routine detections; `false`: only the others")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 503, description = "`max_heavy_queries` exports are streaming; retry after `Retry-After` seconds", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn geojson_handler(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &[FILTER_PARAMS, &["limit", "offset"]].concat())?;
    let window = p.export_page()?;
    let f = filter(&p)?;
    // The views are brought up to date before a permit is taken.
    s.0.views.current(&s).await?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let path = s.0.views.path().to_path_buf();
    stream(&s, permit, GEOJSON, &caller, None, move |w| {
        let views = ViewStore::open_read_only(&path)?;
        geojson(&views, &f, window, w).map(|_| ())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_become_start_texts_rounded_inward() {
        let t = |s: &str| truce_model::Time::parse(s).unwrap();
        assert_eq!(
            start_text(t("2025-03-21T10:00:30.5Z"), true),
            "2025-03-21T10:00:31Z"
        );
        assert_eq!(
            start_text(t("2025-03-21T10:00:30.5Z"), false),
            "2025-03-21T10:00:30Z"
        );
        assert_eq!(
            start_text(t("2025-03-21T13:00:30+03:00"), true),
            "2025-03-21T10:00:30Z"
        );
        assert_eq!(
            start_text(t("1969-12-31T23:59:59.5Z"), false),
            "1969-12-31T23:59:59Z"
        );
    }
}
