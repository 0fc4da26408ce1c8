//! `GET /v1/sites` and `/v1/sites.geojson` (the filters and documents: `truce_views::query::sites`).

use super::*;
use axum::extract::State;
use truce_views::query::sites::{sites_page, SiteQuery, SITE_PARAMS};
/// `GET /v1/sites`.
#[utoipa::path(get, path = "/v1/sites", tag = "ledger",
    summary = "Protected sites, in log order",
    params(crate::openapi::PageParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "The listing party"),
        ("kind" = Option<String>, Query, description = "A category, `prefix.*` or `set:<name>`")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn sites(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, SITE_PARAMS)?;
    let page = p.page(s.0.config.max_page)?;
    let f = SiteQuery::parse(&p)?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let (items, total) = sites_page(&ledger(&s), &f, page);
        Ok(page_value(items, total, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/sites.geojson`.
#[utoipa::path(get, path = "/v1/sites.geojson", tag = "exports",
    summary = "Sites as a GeoJSON FeatureCollection (same filters; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "The listing party"),
        ("kind" = Option<String>, Query, description = "A category, `prefix.*` or `set:<name>`")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn sites_geojson(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, SITE_PARAMS)?;
    let window = p.export_page()?;
    let f = SiteQuery::parse(&p)?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let ledger = s.0.ledger.clone();
    stream(&s, permit, GEOJSON, &caller, None, move |w| {
        export::sites_geojson(&ledger, |r| f.matches(r), window, w).map(|_| ())
    })
    .await
}
