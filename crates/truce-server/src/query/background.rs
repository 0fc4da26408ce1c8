//! Background detections over HTTP: `GET /v1/background`, `/v1/background/count` and
//! `/v1/background.geojson`. The filters and documents are `truce_views::query::background`'s
//! (shared with `truce background`); the parameters, freshness of the views and streaming are
//! `query`'s.

use super::{from_views, heavy_permit, params, stream, RawQuery, GEOJSON};
use crate::access::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use truce_views::db::ViewStore;
use truce_views::derived::DerivedError;
pub use truce_views::query::background::{
    count, count_json, feature, filter, geojson, list_json, BackgroundCount, FILTER_PARAMS,
};

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
    from_views(s, &caller, &p, move |v, log_size| {
        list_json(v, &f, page.limit, page.offset, log_size).map_err(internal)
    })
    .await
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
    from_views(s, &caller, &p, move |v, log_size| {
        count_json(v, &f, log_size).map_err(internal)
    })
    .await
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
