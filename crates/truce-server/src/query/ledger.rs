//! Ledger endpoints: agreements (with their diff and history), processes, parties, commitments
//! and claims, read from the ledger the writer keeps current.

use super::*;
use axum::extract::{Path, State};
use serde::Serialize;
use truce_model::ledger::Record;
use truce_model::Id;

#[derive(Serialize)]
struct AgreementRow {
    id: Id,
    title: String,
    joint_text: bool,
    process: Id,
    process_author: Id,
    phase: Id,
    phase_title: String,
    phase_status: truce_model::domain::PhaseStatus,
    /// The time zone its days are counted in (`UTC` when the process states none).
    time_zone: String,
    readings: Vec<Id>,
}

fn agreement_rows(l: &Ledger) -> Vec<AgreementRow> {
    let mut out = Vec::new();
    for ((author, _), p) in l.processes.iter().filter(|(_, p)| p.retracted.is_none()) {
        for ph in &p.value.phases {
            for a in &ph.agreements {
                out.push(AgreementRow {
                    id: a.id.clone(),
                    title: a.title.clone(),
                    joint_text: a.joint_text,
                    process: p.value.id.clone(),
                    process_author: author.clone(),
                    phase: ph.id.clone(),
                    phase_title: ph.title.clone(),
                    phase_status: ph.status,
                    time_zone: a
                        .time_zone
                        .as_ref()
                        .map_or_else(|| "UTC".to_string(), |z| z.to_string()),
                    readings: l
                        .readings_of(&a.id)
                        .iter()
                        .map(|r| r.author.clone())
                        .collect(),
                });
            }
        }
    }
    out
}

/// `GET /v1/agreements`.
#[utoipa::path(get, path = "/v1/agreements", tag = "ledger",
    summary = "Agreements defined by processes, with their time zone (`time_zone`, UTC when none is stated) and the parties that filed a reading",
    params(crate::openapi::PageParams, ("party" = Option<String>, Query, description = "A party with a reading of the agreement")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn agreements(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset", "party"])?;
    let page = p.page(s.0.config.max_page)?;
    let party = p.id("party")?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let rows: Vec<AgreementRow> = agreement_rows(&l)
            .into_iter()
            .filter(|a| party.as_ref().is_none_or(|p| a.readings.contains(p)))
            .collect();
        let items = page
            .slice(&rows)
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect();
        Ok(page_value(items, rows.len(), page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/agreements/{id}`.
#[utoipa::path(get, path = "/v1/agreements/{id}", tag = "ledger",
    summary = "One agreement: where it is defined and every party's current reading",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, description = "`{agreement, defined_in, readings, log_size}`", body = Object),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 404, description = "Not found", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn agreement(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    params(q, &[])?;
    let id = Id::new(&id).map_err(|e| bad("id", e))?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let defs: Vec<AgreementRow> = agreement_rows(&l)
            .into_iter()
            .filter(|a| a.id == id)
            .collect();
        let readings: Vec<Value> = l
            .readings_of(&id)
            .iter()
            .map(|r| record_json("reading", r))
            .collect();
        if defs.is_empty() && readings.is_empty() {
            return Err(ApiError::not_found(format!(
                "no agreement {id}; GET /v1/agreements lists them"
            )));
        }
        Ok(json!({
            "agreement": defs.first(),
            "defined_in": defs,
            "readings": readings,
            "log_size": log_size,
        }))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/agreements/{id}/diff`.
#[utoipa::path(get, path = "/v1/agreements/{id}/diff", tag = "ledger",
    summary = "Readings diff: each aspect of the readings compared, with the categories only some protect",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, description = "`{diff, log_size}`", body = Object),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 404, description = "Not found", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn agreement_diff(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    params(q, &[])?;
    let id = Id::new(&id).map_err(|e| bad("id", e))?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        if l.readings_of(&id).is_empty() && !agreement_rows(&l).iter().any(|a| a.id == id) {
            return Err(ApiError::not_found(format!(
                "no agreement {id}; GET /v1/agreements lists them"
            )));
        }
        let diff = truce_model::views::readings_diff(&l, &id);
        Ok(json!({"diff": diff, "log_size": log_size}))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/agreements/{id}/history`.
#[utoipa::path(get, path = "/v1/agreements/{id}/history", tag = "ledger",
    summary = "Every version of every party's reading, in log order: what it changed, the findings it changed, and a sentence saying it",
    description = "Each version: `party`, `version` (1: the first), `index`, `entry_id`, `filed`, `effective_from`, `retroactive` (applies from before its filing: allowed, and flagged), `changes` (aspects that differ from the party's previous version: `{aspect, before, after}`), `findings_changed` (findings under that reading whose outcome differs as known just before the version was logged, log size `index`, and just after, `index + 1`: `{incident, day, before, after, retroactive}`) and `sentence` (\"ru filed a new reading on 20 April 2025, effective from 18 March 2025 (retroactive): start 18 March → 1 April; 3 findings change\", dates in the agreement's `time_zone`). The same document as `truce --json agreement history <id>`. The first request after a new version judges the log at two earlier sizes (kept afterwards).",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, description = "`{agreement, time_zone, log_size, versions}`", body = truce_views::history::History),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 404, description = "No process defines the agreement", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn agreement_history(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    params(q, &[])?;
    let id = Id::new(&id).map_err(|e| bad("id", e))?;
    let v = blocking(move || {
        // Only the versions are read under the ledger's lock; the judging happens without it.
        let (pending, zone, log_size, events) = {
            let l = ledger(&s);
            (
                truce_views::history::versions_of(&l, &id),
                truce_views::history::agreement_zone(&l, &id),
                s.checkpoint().size,
                truce_views::lifecycle::events_of(&l, &id),
            )
        };
        let (Some(pending), Some(zone)) = (pending, zone) else {
            return Err(ApiError::not_found(format!(
                "no agreement {id}; GET /v1/agreements lists them"
            )));
        };
        let versions =
            s.0.readers
                .with(|r| truce_views::history::changes(&s.0.dir, r, &pending, &mut |_| {}))
                .map_err(ApiError::internal)?;
        let events = s
            .0
            .readers
            .with(|r| truce_views::lifecycle::with_changes(&s.0.dir, r, &id, events, &mut |_| {}))
            .map_err(ApiError::internal)?;
        Ok(truce_views::history::History {
            agreement: id.to_string(),
            time_zone: zone.to_string(),
            log_size,
            versions,
            events,
        })
    })
    .await?;
    Ok(typed(
        serde_json::to_string(&v).map_err(ApiError::internal)?,
        "application/json",
        &caller,
    ))
}

/// `GET /v1/process`.
#[utoipa::path(get, path = "/v1/process", tag = "ledger",
    summary = "Peace processes with their phases, dependencies, statuses and agreements",
    params(crate::openapi::PageParams),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn process(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset"])?;
    let page = p.page(s.0.config.max_page)?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let mut all: Vec<&Record<_>> = l.processes.values().collect();
        all.sort_by_key(|r| r.index);
        let items = page
            .slice(&all)
            .iter()
            .map(|r| record_json("process", r))
            .collect();
        Ok(page_value(items, all.len(), page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/parties`.
#[utoipa::path(get, path = "/v1/parties", tag = "ledger",
    summary = "Registered parties with their roles and keys (revoked keys included)",
    params(crate::openapi::PageParams,
        ("role" = Option<String>, Query, description = "operator, belligerent, monitor, mediator or open-data"),
        ("party" = Option<String>, Query, description = "One party id")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn parties(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset", "role", "party"])?;
    let page = p.page(s.0.config.max_page)?;
    let (role, party) = (p.role()?, p.id("party")?);
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let all: Vec<Value> = l
            .parties
            .values()
            .filter(|x| role.is_none_or(|r| x.role == r))
            .filter(|x| party.as_ref().is_none_or(|p| &x.id == p))
            .map(|x| {
                json!({
                    "id": x.id,
                    "name": x.name,
                    "role": x.role,
                    "registered_at": x.registered_at,
                    "keys": x.keys.iter().map(|(id, k)| json!({
                        "id": id,
                        "vkey": k.vkey,
                        "added_at": k.added_at,
                        "revoked_at": k.revoked_at,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let total = all.len();
        let items = page.slice(&all).to_vec();
        Ok(page_value(items, total, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/commitments`.
#[utoipa::path(get, path = "/v1/commitments", tag = "ledger",
    summary = "Humanitarian commitments reconciled with their fulfilments: each side's own total per item (`by_side`: tranches summed, a restatement replacing the side's figure, the sides never added), `sides_differ` and discrepancies flagged; person lists inline for permitted callers",
    params(crate::openapi::PageParams,
        ("party" = Option<String>, Query, description = "The author of the commitment or of one of its fulfilments")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn commitments(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset", "party"])?;
    let page = p.page(s.0.config.max_page)?;
    let party = p.id("party")?;
    let c = caller.clone();
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let (mut items, total, commitments) = {
            let l = ledger(&s);
            let all: Vec<(Value, Vec<Value>, Vec<Option<String>>)> =
                truce_model::views::commitments(&l)
                    .into_iter()
                    .filter_map(|cs| {
                        let fs: Vec<&Record<truce_model::domain::Fulfilment>> = l
                            .fulfilments
                            .iter()
                            .filter(|f| f.value.commitment.as_str() == cs.id)
                            .collect();
                        let keep = party.as_ref().is_none_or(|p| {
                            cs.author == p.as_str() || fs.iter().any(|f| &f.author == p)
                        });
                        keep.then(|| {
                            (
                                serde_json::to_value(&cs).unwrap_or(Value::Null),
                                fs.iter().map(|f| record_json("fulfilment", f)).collect(),
                                fs.iter()
                                    .map(|f| f.value.persons_commitment.clone())
                                    .collect(),
                            )
                        })
                    })
                    .collect();
            let total = all.len();
            let mut items = Vec::new();
            let mut commitments = Vec::new();
            for (mut cs, fs, pc) in page.slice(&all).iter().cloned() {
                cs["fulfilment_entries"] = Value::Array(fs);
                items.push(cs);
                commitments.push(pc);
            }
            (items, total, commitments)
        };
        if !c.is_public() {
            let all = restricted::inline_for(
                s.0.access.restricted(),
                &c,
                commitments.iter().flatten().flatten().map(String::as_str),
            )?;
            for (item, pcs) in items.iter_mut().zip(&commitments) {
                if let Some(Value::Array(fs)) = item.get_mut("fulfilment_entries") {
                    for (f, pc) in fs.iter_mut().zip(pcs) {
                        if let Some(st) = pc.as_ref().and_then(|h| all.get(h)) {
                            f["persons"] = json!(st.content);
                        }
                    }
                }
            }
        }
        Ok(page_value(items, total, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/claims`.
#[utoipa::path(get, path = "/v1/claims", tag = "ledger",
    summary = "Claims grouped by topic, contradictions flagged",
    params(crate::openapi::PageParams,
        ("party" = Option<String>, Query, description = "A speaker on the topic (the whole topic is returned)")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn claims(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset", "party"])?;
    let page = p.page(s.0.config.max_page)?;
    let party = p.id("party")?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let all: Vec<Value> = truce_model::views::claims(&l)
            .into_iter()
            .filter(|t| {
                party
                    .as_ref()
                    .is_none_or(|p| t.claims.iter().any(|c| c.speaker == p.as_str()))
            })
            .map(|t| serde_json::to_value(&t).unwrap_or(Value::Null))
            .collect();
        Ok(page_value(
            page.slice(&all).to_vec(),
            all.len(),
            page,
            log_size,
        ))
    })
    .await?;
    Ok(json_response(&v, &caller))
}
