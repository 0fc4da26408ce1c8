//! `GET /v1/findings`, `/v1/findings.csv` (the filters: `truce_views::query::findings`) and
//! `GET /v1/compliance`.

use super::*;
use axum::extract::State;
use truce_engine::Compliance;
use truce_model::Id;
use truce_views::db::ViewStore;
use truce_views::derived;
use truce_views::filters::{Field, Known};
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
    let which = Which::of(&s, as_of(&p, &s)?).await?;
    let body = blocking(move || {
        let (docs, total) = which.with(&s, |v| {
            Ok(v.findings_page(&f.0, page.limit, page.offset)?)
        })?;
        Ok(raw_page(&docs, total as usize, page, which.log_size(), ""))
    })
    .await?;
    Ok(typed(body, "application/json", &caller))
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
    let p = params(
        q,
        &[
            "limit",
            "offset",
            "from",
            "to",
            "agreement",
            "reading",
            "party",
            "as_of",
        ],
    )?;
    let page = p.page(s.0.config.max_page)?;
    let range = p.time_range()?;
    let known = Known::of(&ledger(&s));
    let (agreement, reading, party) = (
        p.known(&known, Field::Agreement)?,
        p.known(&known, Field::Reading)?,
        p.known(&known, Field::Party)?,
    );
    let which = Which::of(&s, as_of(&p, &s)?).await?;
    let v = blocking(move || {
        let doc = which.with(&s, |v| Ok(v.doc("compliance")?))?;
        let mut c: Compliance = match doc {
            Some(d) => serde_json::from_str(&d).map_err(|e| {
                ApiError::internal(derived::DerivedError::Unreadable(e.to_string()))
            })?,
            None => Compliance {
                rows: Vec::new(),
                totals: Vec::new(),
                differences: Vec::new(),
            },
        };
        let keep = |a: &Id, r: &Id| {
            agreement.as_ref().is_none_or(|x| x == a) && reading.as_ref().is_none_or(|x| x == r)
        };
        c.rows.retain(|row| {
            keep(&row.agreement, &row.reading)
                && party.as_ref().is_none_or(|p| p == &row.party)
                && range.contains_day(&row.day)
        });
        c.totals.retain(|t| keep(&t.agreement, &t.reading));
        c.differences.retain(|d| {
            agreement.as_ref().is_none_or(|x| x == &d.agreement)
                && reading
                    .as_ref()
                    .is_none_or(|r| d.outcomes.contains_key(r.as_str()))
                && range.contains_day(&d.day)
        });
        let items = page
            .slice(&c.rows)
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect();
        let mut v = page_value(items, c.rows.len(), page, which.log_size());
        v["totals"] = json!(c.totals);
        v["differences"] = json!(c.differences);
        Ok(v)
    })
    .await?;
    Ok(json_response(&v, &caller))
}
