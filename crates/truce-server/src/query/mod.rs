//! JSON queries and GeoJSON/CSV exports.
//!
//! Ledger data (agreements, processes, parties, sites, reports, commitments, claims) is read from
//! the ledger the writer keeps current (`state.0.ledger`, read-locked on a blocking thread, never
//! across an await). Engine data (incidents, findings, compliance) is read from `views.db`.
//!
//! **Freshness of the views.** Before answering an engine query, [`Views::current`](fresh::Views::current) compares the
//! stored stamp with the current checkpoint. If the views are behind, one recompute runs on the
//! blocking pool (replaying the log through a pooled reader, judging, storing in one
//! transaction). Choices:
//! - *single flight*: at most one recompute runs at a time;
//! - the request that starts it waits for it; requests arriving while it runs are served the
//!   previous views at once (their `log_size` says which log size they describe) — unless there
//!   are no usable views at all (first start, or another rules version), in which case they wait;
//! - *throttle*: a recompute starts at most once per `views_refresh_ms`; in between, stale
//!   views are served with their `log_size`;
//! - the recompute is a detached task, so a client that disconnects does not cancel it.
//!
//! **Responses.** Lists answer `{"items": [...], "total", "limit", "offset", "log_size"}`,
//! `limit` ≤ `max_page` (default 100 or `max_page` if smaller). Unknown or malformed parameters
//! answer 400 naming the parameter. Public responses carry `Cache-Control: no-cache` and
//! `Vary: Authorization`; responses to a token carry `private, no-store`.
//!
//! **Filters.** `from`/`to`: a UTC day `YYYY-MM-DD` (whole day, inclusive) or an RFC 3339
//! instant, on the start time (incidents: `start`; reports: `time.start`; findings and compliance:
//! the finding's day, the day its incident's evidence starts in the agreement's time zone). `bbox=minlon,minlat,maxlon,maxlat`. `party`: incidents and findings —
//! a party blamed; compliance — the party counted; reports — the author or the party blamed;
//! sites — the lister; commitments — the author of the commitment or of a fulfilment; claims — a
//! speaker on the topic; agreements — a party with a reading. `kind`: reports and incidents — an
//! act (`strike` includes drone and missile strikes and shelling); sites — a category, `prefix.*`
//! or `set:<name>`.
//! Background detections (`/v1/background`, `/v1/background/count`, `/v1/background.geojson`):
//! `from`/`to` and `bbox` as for incidents (on the detection's start and point), `source` — the
//! detection's author, `routine=true|false` — at a persistent hot spot or not ([`background`]).
//!
//! **As known earlier.** `as_of=N` on `/v1/incidents`, `/v1/findings`, `/v1/compliance`,
//! `/v1/background` and `/v1/background/count`
//! answers from the views as known at log size N (the log's first N entries), byte for byte what
//! those endpoints answered then: the current views when N is their size, else
//! `views-asof-N.db`, computed once and shared with the CLI's `--as-of`
//! (`truce_views::derived::as_of_store`). A time names the largest log size whose every entry a quorum of
//! witnesses had cosigned by then (never authors' stated times). A size beyond the log, a time
//! before the first witnessing round, or anything else is a 400 naming `as_of`. One as-of
//! computation runs at a time; it runs on the blocking pool and completes even when the request
//! that started it timed out, so a retry reads the cache.
//!
//! **Restricted content** (`persons` on fulfilments, `evidence_content` on reports) is added
//! only for callers whose role may read it ([`crate::restricted`]); public callers see the
//! commitments only.
//!
//! **Where things are.** The typed queries, their parameters and the documents they produce are
//! `truce_views::query`'s (shared with the CLI); here is the HTTP glue, one file per section:
//! `fresh` (the views and their freshness, `Which` views answer), `ledger` (agreements,
//! processes, parties, commitments, claims), `sites`, `lines`, `front` (the line of contact's
//! display zones and the observations on a map), `ais` (AIS tracks and vessels), `reports`, `incidents`, `findings`
//! (with compliance), `background`, `stream` (exports streamed through a bounded channel).

pub mod ais;
pub mod background;
pub mod findings;
pub mod fresh;
pub mod front;
pub mod gaps;
pub mod incidents;
pub mod ledger;
pub mod lines;
pub mod reports;
pub mod sites;
pub mod stream;

pub use fresh::Views;
pub(crate) use fresh::{from_views, Which};
pub(crate) use stream::{heavy_permit, stream};
pub use truce_views::query::export;
pub(crate) use truce_views::query::{page_value, record_json, Bound, Page, Params, TimeRange};

use crate::access::Caller;
use crate::error::ApiError;
use crate::restricted::{self, Stored};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use truce_model::Ledger;

/// Connections to `views.db` opened for queries.
const POOL: usize = 4;

const GEOJSON: &str = "application/geo+json";
const CSV: &str = "text/csv; charset=utf-8; header=present";

// ───────────────────────────── parameters ─────────────────────────────

/// A query string as axum hands it over (or why it could not).
pub(crate) type RawQuery = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The query's parameters, checked against those an endpoint accepts (`truce_views::query::Params`):
/// a malformed query string, an unknown or a repeated parameter is a 400 naming it.
pub(crate) fn params(q: RawQuery, allowed: &[&str]) -> Result<Params, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::bad_request(format!("malformed query string: {}", e.body_text())))?;
    Ok(Params::new(pairs, allowed)?)
}

/// A 400 naming parameter `name`.
pub(crate) fn bad(name: &str, why: impl Into<String>) -> ApiError {
    truce_views::query::bad(name, why).into()
}

/// `as_of`: a log size, or a time the witnessed log names (the ledger is read only for a time).
pub(crate) fn as_of(p: &Params, s: &AppState) -> Result<Option<u64>, ApiError> {
    Ok(p.as_of(|| ledger(s))?)
}

// ───────────────────────────── responses ─────────────────────────────

fn cache(mut r: Response, caller: &Caller) -> Response {
    let h = r.headers_mut();
    if caller.is_public() {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    h.insert(header::VARY, HeaderValue::from_static("Authorization"));
    r
}

pub(crate) fn typed(body: String, content_type: &'static str, caller: &Caller) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    cache(r, caller)
}

fn json_response(v: &Value, caller: &Caller) -> Response {
    typed(v.to_string(), "application/json", caller)
}

pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

pub(crate) fn ledger(s: &AppState) -> std::sync::RwLockReadGuard<'_, Ledger> {
    s.0.ledger.read().unwrap_or_else(|p| p.into_inner())
}

fn content_json(hash: &str, s: &Stored) -> Value {
    json!({"hash": hash, "kind": s.kind, "content": s.content})
}

/// Adds `evidence_content` to report items the caller may read (none for the public).
fn inline_evidence(
    s: &AppState,
    caller: &Caller,
    items: &mut [Value],
    evidence: &[Vec<String>],
) -> Result<(), ApiError> {
    if caller.is_public() {
        return Ok(());
    }
    let all = restricted::inline_for(
        s.0.access.restricted(),
        caller,
        evidence.iter().flatten().map(String::as_str),
    )?;
    for (item, hashes) in items.iter_mut().zip(evidence) {
        let found: Vec<Value> = hashes
            .iter()
            .filter_map(|h| all.get(h).map(|st| content_json(h, st)))
            .collect();
        if !found.is_empty() {
            if let Value::Object(m) = item {
                m.insert("evidence_content".into(), Value::Array(found));
            }
        }
    }
    Ok(())
}

/// The query routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/agreements", get(ledger::agreements))
        .route("/v1/agreements/{id}", get(ledger::agreement))
        .route("/v1/agreements/{id}/diff", get(ledger::agreement_diff))
        .route(
            "/v1/agreements/{id}/history",
            get(ledger::agreement_history),
        )
        .route("/v1/process", get(ledger::process))
        .route("/v1/parties", get(ledger::parties))
        .route("/v1/sites", get(sites::sites))
        .route("/v1/sites.geojson", get(sites::sites_geojson))
        .route("/v1/lines", get(lines::lines_list))
        .route("/v1/lines.geojson", get(lines::lines_geojson))
        .route("/v1/lines/{author}/{id}", get(lines::line))
        .route("/v1/front.geojson", get(front::front))
        .route("/v1/observations.geojson", get(front::observations))
        .route("/v1/front/counts", get(front::counts))
        .route("/v1/ais/tracks.geojson", get(ais::tracks))
        .route("/v1/ais/vessels", get(ais::vessels))
        .route("/v1/ais/vessels/{mmsi}", get(ais::vessel))
        .route("/v1/ais/gaps", get(gaps::gaps))
        .route("/v1/ais/gaps.geojson", get(gaps::gaps_geojson))
        .route("/v1/reports", get(reports::reports))
        .route("/v1/reports.geojson", get(reports::reports_geojson))
        .route("/v1/incidents", get(incidents::incidents))
        .route("/v1/incidents.geojson", get(incidents::incidents_geojson))
        .route("/v1/incidents.csv", get(incidents::incidents_csv))
        .route("/v1/incidents/{id}", get(incidents::incident))
        .route("/v1/background", get(background::list))
        .route("/v1/background/count", get(background::count_handler))
        .route("/v1/background.geojson", get(background::geojson_handler))
        .route("/v1/findings", get(findings::findings))
        .route("/v1/findings.csv", get(findings::findings_csv))
        .route("/v1/compliance", get(findings::compliance))
        .route("/v1/commitments", get(ledger::commitments))
        .route("/v1/claims", get(ledger::claims))
}
