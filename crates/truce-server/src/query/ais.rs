//! `GET /v1/ais/tracks.geojson`, `/v1/ais/vessels` and `/v1/ais/vessels/{mmsi}`: AIS tracks and
//! vessels from the ledger (the queries and documents: `truce_views::query::tracks`, shared with
//! `truce ais tracks|vessels --json`). Every answer is bounded: tracks by window (31 days),
//! features and points (`truncated: true` says when something was left out), vessels by page.

use super::*;
use axum::extract::{Path, State};
use truce_views::query::tracks::{
    parse_mmsi, tracks_geojson, vessel_json, vessels_page_json, TrackQuery, VesselQuery,
    TRACK_PARAMS, VESSEL_PARAMS,
};

/// `GET /v1/ais/tracks.geojson`.
#[utoipa::path(get, path = "/v1/ais/tracks.geojson", tag = "ledger",
    summary = "AIS tracks over a time window: one LineString (MultiLineString where silent over an hour) per MMSI, simplified for a zoom",
    description = "The track segments in the window joined in time order per vessel, simplified (Douglas–Peucker) within `tolerance_m` or about two pixels at `zoom`. Properties: mmsi, name, imo, callsign, ship_type, class (the static data in force at the track's end; AIS identity is self-declared), first, last, points (kept), points_total, pieces, segments {first, last, count} (log indexes), flags {jumps, conflicts}. The collection also says `window`, `tolerance_m`, `vessels` (tracks matching), `truncated` and `log_size`. At most `limit` features (≤ 2,000) and 75,000 points. Without `from`/`to`/`at`: the last 24 hours with tracks.",
    params(
        ("from" = Option<String>, Query, description = "Start: a UTC day YYYY-MM-DD or an RFC 3339 time (`to` − 24 h without it)"),
        ("to" = Option<String>, Query, description = "End (a day: its end), at most 31 days after `from` (`from` + 24 h without it)"),
        ("at" = Option<String>, Query, description = "Instead of from/to: an RFC 3339 time, with `hours` either side"),
        ("hours" = Option<f64>, Query, description = "Hours either side of `at` (default 6, at most 372)"),
        crate::openapi::BboxParam,
        ("mmsi" = Option<String>, Query, description = "MMSIs, comma-separated"),
        ("zoom" = Option<f64>, Query, description = "Map zoom 0–18: simplify within about two pixels"),
        ("tolerance_m" = Option<f64>, Query, description = "Simplify within this many metres (0–100000; default 0: every stored point)"),
        ("limit" = Option<usize>, Query, description = "Features at most (default 500, at most 2000)")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn tracks(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, TRACK_PARAMS)?;
    let f = TrackQuery::parse(&p)?;
    let body = blocking(move || {
        let log_size = s.checkpoint().size;
        Ok(tracks_geojson(&ledger(&s), &f, log_size).to_string())
    })
    .await?;
    Ok(typed(body, GEOJSON, &caller))
}

/// `GET /v1/ais/vessels`.
#[utoipa::path(get, path = "/v1/ais/vessels", tag = "ledger",
    summary = "Vessels (MMSIs with declared static data or a track), by MMSI, each with every version of its static data and its track's span",
    params(crate::openapi::PageParams,
        ("mmsi" = Option<String>, Query, description = "MMSIs, comma-separated"),
        ("class" = Option<String>, Query, description = "commercial, military, law-enforcement or unknown (of the latest static data)"),
        ("q" = Option<String>, Query, description = "A substring of a declared name, any version, case-insensitive")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`; an item: `{mmsi, name, class, versions: [{index, author, time, name, imo, callsign, ship_type, class}], track: {first, last, segments, points} | null}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn vessels(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, VESSEL_PARAMS)?;
    let page = p.page(s.0.config.max_page)?;
    let f = VesselQuery::parse(&p)?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        Ok(vessels_page_json(&ledger(&s), &f, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/ais/vessels/{mmsi}`.
#[utoipa::path(get, path = "/v1/ais/vessels/{mmsi}", tag = "ledger",
    summary = "One MMSI: every version of its declared static data and its track's span",
    description = "An MMSI the log says nothing of answers `versions: []` and `track: null` (an MMSI names a transmitter, not a record of the log). Its track: `GET /v1/ais/tracks.geojson?mmsi=…&at=…`.",
    params(("mmsi" = u32, Path, description = "The MMSI (up to nine digits)")),
    responses((status = 200, description = "`{mmsi, name, class, versions, track, log_size}`", body = Object), (status = 400, description = "Not an MMSI (`field` is `mmsi`)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn vessel(
    State(s): State<AppState>,
    caller: Caller,
    Path(mmsi): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    params(q, &[])?;
    let mmsi = parse_mmsi(&mmsi).map_err(|e| bad("mmsi", e))?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let mut v = vessel_json(&ledger(&s), mmsi);
        if let Value::Object(m) = &mut v {
            m.insert("log_size".into(), json!(log_size));
        }
        Ok(v)
    })
    .await?;
    Ok(json_response(&v, &caller))
}
