//! `GET /v1/ais/gaps` and `/v1/ais/gaps.geojson`: AIS gaps ("vessels going dark") as the views
//! store them (derived by `truce_engine::gaps`; the filters and documents:
//! `truce_views::query::gaps`, shared with `truce ais gaps --json`). Occurrence-only evidence: a
//! transmitter stopped being heard, never who or why.

use super::*;
use axum::extract::State;
use truce_views::db::ViewStore;
use truce_views::query::gaps::{GapQuery, GAP_PARAMS};

const GAP_RULE: &str = "A gap is a silence of 12 h or more of one MMSI across every AIS ingest, counted only when both its last fix before and its first fix after lie in reception areas that filers stated (manifest `reception`) and whose spans, joined within an hour, cover the whole silence; when it starts at least 10 km from every listed port (sites under `transport.port`, standing in for Global Fishing Watch's 50 nm offshore: Truce holds no coastline); and when the vessel moved more than 500 m in the hour before (AIS navigational status is not kept: the stand-in for `moored`). Occurrence-only evidence: a transmitter stopped being heard, not who or why (AIS is self-declared; warships need not transmit). Item fields: mmsi, name, class (static data in force at the start), start_ms, end_ms, start_time, end_time, hours, start and end [lon, lat], distance_km, implied_knots, start_index and end_index (log indexes of the segments), coverage (manifest indexes), reasons, note.";

/// The filters both gap endpoints take (besides `limit`, `offset`, `bbox` and `as_of`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct GapParams {
    /// One MMSI.
    mmsi: Option<u32>,
    /// Gaps ending at or after: a UTC day YYYY-MM-DD (its start) or an RFC 3339 time.
    from: Option<String>,
    /// Gaps starting at or before: a UTC day (its end) or an RFC 3339 time.
    to: Option<String>,
}

/// Answers a gap endpoint: reads its filters (a bad or unknown one is a 400 naming it), then
/// writes `doc` of the views asked for (now, or `as_of`) as a JSON response.
async fn answer(
    s: AppState,
    caller: Caller,
    q: RawQuery,
    doc: impl FnOnce(&GapQuery, &ViewStore, u64) -> Result<String, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    let p = params(q, &[GAP_PARAMS, &["as_of"]].concat())?;
    let f = GapQuery::parse(&p)?;
    from_views(s, &caller, &p, move |v, log_size| doc(&f, v, log_size)).await
}

/// `GET /v1/ais/gaps`.
#[utoipa::path(get, path = "/v1/ais/gaps", tag = "engine",
    summary = "AIS gaps: vessels not heard for 12 h or more where the filers' receivers were listening, away from ports, while moving",
    description = GAP_RULE,
    params(crate::openapi::PageParams, GapParams, crate::openapi::BboxParam, crate::openapi::AsOfParam),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size, note}` (at most 1,000 items), ordered by start then MMSI", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn gaps(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    answer(s, caller, q, |f, v, log_size| {
        Ok(f.page_json(v, log_size).map_err(ApiError::internal)?.0)
    })
    .await
}

/// `GET /v1/ais/gaps.geojson`.
#[utoipa::path(get, path = "/v1/ais/gaps.geojson", tag = "engine",
    summary = "AIS gaps as GeoJSON: a LineString per gap from the last fix before to the first fix after (no route: nothing is known between)",
    description = GAP_RULE,
    params(crate::openapi::PageParams, GapParams, crate::openapi::BboxParam, crate::openapi::AsOfParam),
    responses((status = 200, description = "A GeoJSON FeatureCollection (the gap's fields as properties) with `total`, `limit`, `offset`, `log_size` and `note`", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn gaps_geojson(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let mut r = answer(s, caller, q, |f, v, log_size| {
        Ok(f.geojson(v, log_size)
            .map_err(ApiError::internal)?
            .to_string())
    })
    .await?;
    // The same answer as the page's but for its type (`typed` sets nothing else by type).
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON));
    Ok(r)
}
