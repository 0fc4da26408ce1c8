//! `GET /v1/reports` and `/v1/reports.geojson` (the filters and documents:
//! `truce_views::query::reports`), with evidence content inline for permitted callers.

use super::*;
use axum::extract::State;
use truce_views::query::reports::{ReportQuery, REPORT_PARAMS};

/// A page of reports as items, with evidence content for permitted callers.
fn reports_page(
    s: &AppState,
    caller: &Caller,
    f: &ReportQuery,
    page: Page,
) -> Result<(Vec<Value>, usize, u64), ApiError> {
    let log_size = s.checkpoint().size;
    // A bulk report's full value is read back from the log at its index (a page is in log
    // order: each bundle read once).
    let mut entries = export::Entries::new(|n| s.0.readers.with(|r| export::bundle(r, n)));
    let (mut items, evidence, total) =
        truce_views::query::reports::reports_page(&ledger(s), f, page, |i| entries.get(i))
            .map_err(ApiError::internal)?;
    inline_evidence(s, caller, &mut items, &evidence)?;
    Ok((items, total, log_size))
}

/// `GET /v1/reports`.
#[utoipa::path(get, path = "/v1/reports", tag = "ledger",
    summary = "Reports (allegations, observations, open data), in log order; evidence content inline for permitted callers",
    params(crate::openapi::PageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "The author, or the party blamed"),
        ("kind" = Option<String>, Query, description = "An act (`strike` includes drone and missile strikes and shelling)")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn reports(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, REPORT_PARAMS)?;
    let page = p.page(s.0.config.max_page)?;
    let f = ReportQuery::parse(&p)?;
    let c = caller.clone();
    let v = blocking(move || {
        let (items, total, log_size) = reports_page(&s, &c, &f, page)?;
        Ok(page_value(items, total, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/reports.geojson`.
#[utoipa::path(get, path = "/v1/reports.geojson", tag = "exports",
    summary = "Reports as a GeoJSON FeatureCollection (same filters and permissions; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "The author, or the party blamed"),
        ("kind" = Option<String>, Query, description = "An act")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn reports_geojson(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, REPORT_PARAMS)?;
    let window = p.export_page()?;
    let f = ReportQuery::parse(&p)?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let (s2, c) = (s.clone(), caller.clone());
    stream(&s, permit, GEOJSON, &caller, None, move |w| {
        let inline = |props: &mut [Value], evidence: &[Vec<String>]| {
            inline_evidence(&s2, &c, props, evidence).map_err(std::io::Error::other)
        };
        // Bulk reports' full values are read back from the log, a bundle at a time.
        let mut entries = export::Entries::new(|n| s2.0.readers.with(|r| export::bundle(r, n)));
        let mut entry = |i| entries.get(i);
        export::reports_geojson(
            &s2.0.ledger,
            |r| f.matches(r),
            window,
            inline,
            &mut entry,
            w,
        )
        .map(|_| ())
    })
    .await
}
