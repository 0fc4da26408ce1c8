//! `GET /v1/incidents`, `/v1/incidents/{id}` and the incident exports (the filters and
//! documents: `truce_views::query::incidents`).

use super::*;
use axum::extract::{Path, State};
use truce_engine::Incident;
use truce_model::ledger::Record;
use truce_views::db::{FindingFilter, ViewStore};
use truce_views::derived;
use truce_views::filters::Known;
use truce_views::query::incidents::{IncidentQuery, INCIDENT_PARAMS};
/// `GET /v1/incidents`.
#[utoipa::path(get, path = "/v1/incidents", tag = "engine",
    summary = "Incidents (reports judged to describe the same event) with grades, by start then id",
    params(crate::openapi::PageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("occurrence" = Option<String>, Query, description = "Occurrence grade: reported, corroborated, verified, unverifiable, dismissed or contested"),
        ("kind" = Option<String>, Query, description = "An act reported"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn incidents(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &[INCIDENT_PARAMS, &["as_of"]].concat())?;
    let page = p.page(s.0.config.max_page)?;
    let f = IncidentQuery::parse(&p, &Known::of(&ledger(&s)))?;
    from_views(s, &caller, &p, move |v, log_size| {
        Ok(f.page_json(v, page, log_size)
            .map_err(ApiError::internal)?
            .0)
    })
    .await
}

/// `GET /v1/incidents/{id}`.
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "engine",
    summary = "One incident with every finding about it and one page of its reports (evidence content inline for permitted callers)",
    params(("id" = String, Path, description = "Incident id (`inc-` + 16 hex digits)"),
        ("limit" = Option<usize>, Query, description = "Reports (and members) per page, at most `max_page` (default 100)"),
        ("offset" = Option<usize>, Query, description = "Reports (and members) to skip, in log order")),
    responses((status = 200, description = "`{incident, findings, reports, reports_total, limit, offset, log_size}`: `incident.members` and `reports` are the same page of the incident's reports, `incident.member_count` and `reports_total` count them all", body = Object),
        (status = 404, description = "Not found", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn incident(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let page = params(q, &["limit", "offset"])?.page(s.0.config.max_page)?;
    let stamp = s.0.views.current(&s).await?;
    let c = caller.clone();
    let v = blocking(move || {
        let (doc, findings) = s.0.views.with(|v| -> Result<_, ApiError> {
            let Some(doc) = v.incident(&id)? else {
                return Err(ApiError::not_found(format!(
                    "no incident {id:?}; GET /v1/incidents lists them"
                )));
            };
            let findings = v.findings(&FindingFilter {
                incident: Some(id.clone()),
                ..Default::default()
            })?;
            Ok((doc, findings))
        })?;
        let mut inc: Incident = serde_json::from_str(&doc)
            .map_err(|e| ApiError::internal(derived::DerivedError::Unreadable(e.to_string())))?;
        // One page of the members (and their reports): an incident gathering thousands of
        // reports answers in bounded size.
        let member_count = inc.members.len();
        inc.members = page.slice(&inc.members).to_vec();
        let findings: Vec<Value> = derived::parse_all(&findings).map_err(ApiError::internal)?;
        let (mut reports, evidence) = {
            let l = ledger(&s);
            // A bulk report's full value is read back from the log at its index: in log order,
            // each bundle read once (`Entries`), answered in the members' order.
            let mut found: Vec<(usize, truce_model::reports::ReportRef<'_>)> = inc
                .members
                .iter()
                .filter_map(|m| l.reports.get(&m.author, m.id.as_str()))
                .enumerate()
                .collect();
            found.sort_by_key(|(_, r)| r.index());
            let mut entries = truce_views::query::export::Entries::new(|n| {
                s.0.readers
                    .with(|rd| truce_views::query::export::bundle(rd, n))
            });
            let mut recs = found
                .into_iter()
                .map(|(k, r)| Ok((k, r.record(|i| entries.get(i))?)))
                .collect::<Result<Vec<_>, truce_model::reports::FromLog<_>>>()
                .map_err(ApiError::internal)?;
            recs.sort_by_key(|(k, _)| *k);
            let recs: Vec<Record<truce_model::domain::Report>> =
                recs.into_iter().map(|(_, r)| r).collect();
            (
                recs.iter()
                    .map(|r| record_json("report", r))
                    .collect::<Vec<_>>(),
                recs.iter()
                    .map(|r| r.value.evidence.clone())
                    .collect::<Vec<_>>(),
            )
        };
        inline_evidence(&s, &c, &mut reports, &evidence)?;
        let mut incident = serde_json::to_value(&inc)
            .map_err(|e| ApiError::internal(derived::DerivedError::Unreadable(e.to_string())))?;
        if let Some(o) = incident.as_object_mut() {
            o.insert("member_count".into(), json!(member_count));
        }
        Ok(json!({
            "incident": incident,
            "findings": findings,
            "reports": reports,
            "reports_total": member_count,
            "limit": page.limit,
            "offset": page.offset,
            "log_size": stamp.log_size,
        }))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/incidents.geojson`.
#[utoipa::path(get, path = "/v1/incidents.geojson", tag = "exports",
    summary = "Incidents as a GeoJSON FeatureCollection of points (same filters; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("occurrence" = Option<String>, Query, description = "An occurrence grade"),
        ("kind" = Option<String>, Query, description = "An act reported")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn incidents_geojson(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    incidents_export(s, caller, q, false).await
}

/// `GET /v1/incidents.geojson` and `/v1/incidents.csv`, streamed from one snapshot of the views.
async fn incidents_export(
    s: AppState,
    caller: Caller,
    q: RawQuery,
    csv: bool,
) -> Result<Response, ApiError> {
    let p = params(q, INCIDENT_PARAMS)?;
    let window = p.export_page()?;
    let f = IncidentQuery::parse(&p, &Known::of(&ledger(&s)))?;
    // The views are brought up to date before a permit is taken.
    s.0.views.current(&s).await?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let path = s.0.views.path().to_path_buf();
    let (kind, name) = if csv {
        (CSV, Some("incidents.csv"))
    } else {
        (GEOJSON, None)
    };
    stream(&s, permit, kind, &caller, name, move |w| {
        let views = ViewStore::open_read_only(&path)?;
        let keep = |i: &Incident| f.keeps(i);
        export::incidents(&views, &f.filter(), keep, window, csv, w).map(|_| ())
    })
    .await
}

/// `GET /v1/incidents.csv`.
#[utoipa::path(get, path = "/v1/incidents.csv", tag = "exports",
    summary = "Incidents as CSV with a header row (same filters; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("occurrence" = Option<String>, Query, description = "An occurrence grade"),
        ("kind" = Option<String>, Query, description = "An act reported")),
    responses((status = 200, description = "CSV (RFC 4180) with a header row", content_type = "text/csv", body = String), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn incidents_csv(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    incidents_export(s, caller, q, true).await
}
