//! `GET /v1/findings`, `/v1/findings.csv` (the filters: `truce_views::query::findings`) and
//! `GET /v1/compliance`.

use super::*;
use axum::extract::State;
use truce_views::db::ViewStore;
use truce_views::filters::Known;
use truce_views::query::compliance::{self, ComplianceQuery, COMPLIANCE_PARAMS};
use truce_views::query::findings::{FindingQuery, FINDING_PARAMS};
/// `GET /v1/findings`.
#[utoipa::path(get, path = "/v1/findings", tag = "engine",
    summary = "Findings per incident × agreement × reading, with attributions and reasons",
    params(crate::openapi::PageParams, crate::openapi::TimeParams,
        ("agreement" = Option<String>, Query, description = "Agreement id"),
        ("reading" = Option<String>, Query, description = "Whose reading"),
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("standing" = Option<String>, Query, description = "How well the outcome stands: alleged, corroborated or established"),
        ("outcome" = Option<String>, Query, description = "breach, no_breach, out_of_scope or undetermined"),
        ("incident" = Option<String>, Query, description = "Incident id"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn findings(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &[FINDING_PARAMS, &["as_of"]].concat())?;
    let page = p.page(s.0.config.max_page)?;
    let f = FindingQuery::parse(&p, &Known::of(&ledger(&s)))?;
    from_views(s, &caller, &p, move |v, log_size| {
        Ok(f.page_json(v, page, log_size)
            .map_err(ApiError::internal)?
            .0)
    })
    .await
}

/// `GET /v1/findings.csv`.
#[utoipa::path(get, path = "/v1/findings.csv", tag = "exports",
    summary = "Findings as CSV with a header row (same filters; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams,
        ("agreement" = Option<String>, Query, description = "Agreement id"),
        ("reading" = Option<String>, Query, description = "Whose reading"),
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("standing" = Option<String>, Query, description = "How well the outcome stands: alleged, corroborated or established"),
        ("outcome" = Option<String>, Query, description = "An outcome"),
        ("incident" = Option<String>, Query, description = "Incident id")),
    responses((status = 200, description = "CSV (RFC 4180) with a header row", content_type = "text/csv", body = String), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn findings_csv(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, FINDING_PARAMS)?;
    let window = p.export_page()?;
    let f = FindingQuery::parse(&p, &Known::of(&ledger(&s)))?;
    s.0.views.current(&s).await?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let path = s.0.views.path().to_path_buf();
    stream(&s, permit, CSV, &caller, Some("findings.csv"), move |w| {
        let views = ViewStore::open_read_only(&path)?;
        export::findings_csv(&views, &f.0, window, w).map(|_| ())
    })
    .await
}

/// `GET /v1/compliance`.
#[utoipa::path(get, path = "/v1/compliance", tag = "engine",
    summary = "Compliance: rows per agreement × reading × party × day (paginated items), totals per reading, and incidents whose outcome depends on the reading",
    params(crate::openapi::PageParams, crate::openapi::TimeParams,
        ("agreement" = Option<String>, Query, description = "Agreement id"),
        ("reading" = Option<String>, Query, description = "Whose reading"),
        ("party" = Option<String>, Query, description = "The party counted"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "A page of rows, with `totals` and `differences`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn compliance(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &[COMPLIANCE_PARAMS, &["as_of"]].concat())?;
    let page = p.page(s.0.config.max_page)?;
    let f = ComplianceQuery::parse(&p, &Known::of(&ledger(&s)))?;
    let which = Which::of(&s, as_of(&p, &s)?).await?;
    let v = blocking(move || {
        let c = which.with(&s, |v| f.compliance(v).map_err(ApiError::internal))?;
        Ok(compliance::page_json(&c, page, which.log_size()))
    })
    .await?;
    Ok(json_response(&v, &caller))
}
