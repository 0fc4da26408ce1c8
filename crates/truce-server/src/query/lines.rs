//! `GET /v1/lines`, `/v1/lines.geojson` and `/v1/lines/{author}/{id}`: lines of contact, every
//! version of each (issue 16). The documents are `truce_model::lines`'s, the ones `truce lines
//! list|show --json` print.

use super::*;
use axum::extract::{Path, State};
use truce_model::lines;
use truce_model::{Id, Time};

/// `at`: an RFC 3339 time, when given.
fn at(p: &truce_views::query::Params) -> Result<Option<Time>, ApiError> {
    p.get("at")
        .map(|v| {
            Time::parse(v).map_err(|e| {
                bad(
                    "at",
                    format!("{e}; write RFC 3339, e.g. 2025-03-25T00:00:00Z"),
                )
            })
        })
        .transpose()
}

/// `GET /v1/lines`.
#[utoipa::path(get, path = "/v1/lines", tag = "ledger",
    summary = "Every version of every line of contact, reference line and control area (no geometry)",
    responses((status = 200, description = "`{versions: [document…]}`, in (author, id, valid_from, log index) order", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn lines_list(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    params(q, &[])?;
    let v = blocking(move || Ok(lines::list_document(&ledger(&s)))).await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/lines.geojson`.
#[utoipa::path(get, path = "/v1/lines.geojson", tag = "exports",
    summary = "The lines in force at a time (the latest versions without `at`) as a GeoJSON FeatureCollection",
    params(("at" = Option<String>, Query, description = "RFC 3339: the version of each line in force then")),
    responses((status = 200, description = "A GeoJSON FeatureCollection; each feature's id is AUTHOR/ID, its properties the version's document", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn lines_geojson(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["at"])?;
    let t = at(&p)?;
    let v = blocking(move || Ok(lines::collection(&ledger(&s), t))).await?;
    Ok(typed(v.to_string(), GEOJSON, &caller))
}

/// `GET /v1/lines/{author}/{id}`.
#[utoipa::path(get, path = "/v1/lines/{author}/{id}", tag = "ledger",
    summary = "One line's version in force at a time (the latest without `at`), with its geometry",
    params(("author" = String, Path, description = "Who filed the line"),
        ("id" = String, Path, description = "The line's id"),
        ("at" = Option<String>, Query, description = "RFC 3339: the version in force then")),
    responses((status = 200, description = "The version's document with its geometry", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 404, description = "No such line, or none of its versions holds at `at`", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn line(
    State(s): State<AppState>,
    caller: Caller,
    Path((author, id)): Path<(String, String)>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["at"])?;
    let t = at(&p)?;
    let author = Id::new(&author).map_err(|e| bad("author", e))?;
    let id = Id::new(&id).map_err(|e| bad("id", e))?;
    let v = blocking(move || {
        let l = ledger(&s);
        lines::version(&l, &author, &id, t)
            .map(|r| lines::document(r, true))
            .map_err(|e| ApiError::not_found(e.to_string()))
    })
    .await?;
    Ok(json_response(&v, &caller))
}
