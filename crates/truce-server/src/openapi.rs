//! The OpenAPI 3.1 document of the whole service, at `GET /openapi.json`.
//!
//! Query and restricted-content operations are described where they are written (their
//! `#[utoipa::path]` annotations); the log endpoints, the submission endpoint and the health
//! probes are described here, on documentation-only functions, so the document covers every
//! route. `tests/openapi.rs` keeps it in sync: every documented path answers something other than
//! the router's fallback, and every route the test knows is documented.

use crate::state::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The error every endpoint answers with.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// The error.
    error: ErrorDetail,
}

/// What went wrong.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// HTTP status.
    status: u16,
    /// A stable machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `rate_limited`, `too_large`, `bad_signature`, `duplicate`, `unavailable`,
    /// `internal`, …
    code: String,
    /// What went wrong and what to do.
    message: String,
    /// The field or parameter at fault.
    field: Option<String>,
}

/// A page of a list.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PageDoc {
    /// The items of this page.
    items: Vec<serde_json::Value>,
    /// How many items match the filters, in all.
    total: u64,
    /// The page size asked for.
    limit: u64,
    /// The offset asked for.
    offset: u64,
    /// The log size the answer describes (engine endpoints: the size the views were computed at).
    log_size: u64,
}

/// Pagination of a list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// Page size, at most the server's `max_page` (default 100, or `max_page` if smaller).
    limit: Option<u64>,
    /// Items to skip.
    offset: Option<u64>,
}

/// Pagination of an export (everything by default).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportPageParams {
    /// At most this many items (default: all).
    limit: Option<u64>,
    /// Items to skip.
    offset: Option<u64>,
}

/// A time filter.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TimeParams {
    /// From this UTC day `YYYY-MM-DD` (inclusive) or RFC 3339 instant, on the start time.
    from: Option<String>,
    /// Up to this UTC day `YYYY-MM-DD` (inclusive) or RFC 3339 instant, on the start time.
    to: Option<String>,
}

/// What was known at an earlier log size.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AsOfParam {
    /// As known at this log size (the log's first `as_of` entries), not now: byte for byte what
    /// the endpoint answered then (`log_size` says which size an answer describes). A size, never
    /// a time: an entry's stated time is its author's word. The first query at a size other than
    /// the current one judges that prefix of the log (cached afterwards; about 40 s for a
    /// million entries, so it may outlast the request timeout: the computation still completes
    /// and a retry reads the cache). 400 beyond the log.
    as_of: Option<u64>,
}

/// A bounding box.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct BboxParam {
    /// `minlon,minlat,maxlon,maxlat` in degrees (WGS84).
    bbox: Option<String>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("truce_<43 base64url characters>")
                    .description(Some(
                        "A token bound to a party and a role, issued by the operator with `truce token create`. Without one, the caller is public.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Truce",
        description = "Ceasefire monitoring over a C2SP transparency log: signed submissions, the log's tiles, checkpoints and proofs, queries over the ledger and the engine's derived views, GeoJSON/CSV exports, and restricted content committed to by hash. Errors are `{\"error\": {status, code, message, field?}}`.",
        license(name = "Apache-2.0")
    ),
    paths(
        crate::query::ledger::agreements,
        crate::query::ledger::agreement,
        crate::query::ledger::agreement_diff,
        crate::query::ledger::agreement_history,
        crate::query::ledger::process,
        crate::query::ledger::parties,
        crate::query::sites::sites,
        crate::query::sites::sites_geojson,
        crate::query::lines::lines_list,
        crate::query::lines::lines_geojson,
        crate::query::lines::line,
        crate::query::front::front,
        crate::query::front::observations,
        crate::query::front::counts,
        crate::query::ais::tracks,
        crate::query::ais::vessels,
        crate::query::ais::vessel,
        crate::query::gaps::gaps,
        crate::query::gaps::gaps_geojson,
        crate::query::reports::reports,
        crate::query::reports::reports_geojson,
        crate::query::incidents::incidents,
        crate::query::incidents::incidents_geojson,
        crate::query::incidents::incidents_csv,
        crate::query::incidents::incident,
        crate::query::background::list,
        crate::query::background::count_handler,
        crate::query::background::geojson_handler,
        crate::query::findings::findings,
        crate::query::findings::findings_csv,
        crate::query::findings::compliance,
        crate::map::cells,
        crate::map::days,
        crate::query::ledger::commitments,
        crate::query::ledger::claims,
        crate::publication::publish,
        crate::publication::list,
        crate::review::queue_handler,
        crate::review::incident_handler,
        crate::restricted::get_content,
        crate::restricted::put_content,
        submit_entries,
        checkpoint,
        witnesses,
        tile,
        entry_bundle,
        entry,
        entry_known_by,
        proof_inclusion,
        proof_consistency,
        proof_tlog,
        healthz,
        readyz,
        openapi_json,
    ),
    components(schemas(ErrorBody, ErrorDetail, PageDoc, crate::review::Queue, crate::review::ReviewQuestion, truce_views::review::Assessor, crate::review::IncidentReview, crate::witnessing::WitnessStatus, crate::publication::PublishRequest, crate::publication::PublishResponse, crate::writer::Ack, crate::writer::GateFlag, truce_views::history::History, crate::query::background::BackgroundCount)),
    modifiers(&Security),
    tags(
        (name = "log", description = "The log itself (C2SP tlog-tiles, tlog-checkpoint, proofs)"),
        (name = "submit", description = "Signed submissions"),
        (name = "ledger", description = "What the log says, folded into the ledger"),
        (name = "engine", description = "The engine's judgement (derived views)"),
        (name = "exports", description = "GeoJSON and CSV exports"),
        (name = "review", description = "The monitors' review queue (monitor and operator tokens); assessments are submitted with `POST /v1/entries`"),
        (name = "restricted", description = "Content committed to by hash, for permitted roles"),
        (name = "service", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(serve_document))
}

async fn serve_document() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let body = JSON.get_or_init(|| document().to_json().unwrap_or_else(|_| "{}".into()));
    let mut r = body.clone().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=300"),
    );
    r
}

// Documentation-only operations (their handlers live in `submit`, `log_api` and `lib`).

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    summary = "This document (OpenAPI 3.1)",
    responses((status = 200, description = "The document", content_type = "application/json", body = Object)))]
#[allow(dead_code)]
fn openapi_json() {}

/// `POST /v1/entries`.
#[utoipa::path(post, path = "/v1/entries", tag = "submit",
    summary = "Submit signed entries (group commit); acknowledged once durable, with inclusion proofs",
    description = "The body is one signed envelope (a JSON object in RFC 8785 canonical form), a JSON array of them, or JSON Lines (`application/x-ndjson`, `application/jsonl`), at most `max_batch_entries`. Each entry is admitted against the ledger and the batch's earlier entries (signature by a registered, unrevoked key; the author's role may write the kind). Submission gates compare the entry's stated `time` with this server's clock: more than `max_clock_skew_s` ahead is refused (400 `time_ahead_of_clock`, field `time`), and so is a report whose event starts more than that after its own `time` (400 `event_starts_after_filing`, field `body.time.start`); a late filing (more than `late_filing_s` behind) and a report whose event ends after its filing are acknowledged with `flags` (code, message, seconds). One entry: an acknowledgement (also for an exact duplicate, `duplicate: true`). A batch is atomic by default: all its entries are appended or none; every entry acknowledged: 200 `{results: [{status, ok}], tree_size, checkpoint}`; one refused: nothing appended, that entry's status with the error shape, `field` `entries[i]…` and a message naming its position (and line) and why. With `?atomic=false` each entry is judged on its own: 207 `{results: [{status, ok} | {status, error}], tree_size?, checkpoint?}`. Each entry's signature is checked against its author's registered key before anything else; only requests whose signatures verify are charged to the signing key's rate limit (junk naming a key is charged to its address only). A `Content-Length` over `max_body_bytes` is refused with 413 before the body is read.",
    params(("atomic" = Option<bool>, Query, description = "`true` (default): a batch is all or nothing; `false`: each entry judged on its own, answered 207")),
    request_body(content = Object, description = "One envelope, an array of envelopes, or JSON Lines", content(
        (Object = "application/json"),
        (String = "application/x-ndjson"),
        (String = "application/jsonl"))),
    responses(
        (status = 200, description = "Durable: index, checkpoint and inclusion proof (per entry for a batch)", body = Object),
        (status = 207, description = "`?atomic=false`: each entry's status, with its acknowledgement or error", body = Object),
        (status = 400, description = "Malformed, non-canonical or invalid entry, or a stated time the submission gates refuse (the field names it; `entries[i]…` in a batch, of which nothing was appended), or `atomic` neither true nor false", body = ErrorBody),
        (status = 401, description = "Unknown key or bad signature", body = ErrorBody),
        (status = 403, description = "Revoked key, or the author's role may not write this kind", body = ErrorBody),
        (status = 409, description = "The identifier is already used by another body", body = ErrorBody),
        (status = 413, description = "Too large (a declared Content-Length over `max_body_bytes` is refused before the body is read) or too many entries", body = ErrorBody),
        (status = 415, description = "Unsupported media type", body = ErrorBody),
        (status = 429, description = "Rate limited (Retry-After): per client address, or per signing key for requests whose signatures verified", body = ErrorBody),
        (status = 503, description = "Shutting down, or the log could not be written: resubmit", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn submit_entries() {}

/// `GET /checkpoint`.
#[utoipa::path(get, path = "/checkpoint", tag = "log",
    summary = "The latest checkpoint, a C2SP signed note (tlog-checkpoint)",
    description = "With witnesses configured, the checkpoint of the latest completed witnessing round, carrying the witnesses' tlog-cosignature v1 lines that verified (it may trail the log by one round; tiles are served for every size up to the latest).",
    responses((status = 200, description = "The signed note", content_type = "text/plain; charset=utf-8", body = String)))]
#[allow(dead_code)]
fn checkpoint() {}

/// `GET /v1/witnesses`.
#[utoipa::path(get, path = "/v1/witnesses", tag = "log",
    summary = "The witnesses this log pushes its checkpoints to, and what each last cosigned",
    responses((status = 200, description = "`{published_size, latest_size, witnesses: [...]}`", body = Object)))]
#[allow(dead_code)]
fn witnesses() {}

/// `GET /tile/{L}/{N}`.
#[utoipa::path(get, path = "/tile/{L}/{N}", tag = "log",
    summary = "A hash tile (C2SP tlog-tiles): full, or `<N>.p/<W>` for the first W hashes",
    description = "`N` is the tile index path, e.g. `000`, `x001/234` or `000.p/5` (it may contain slashes). Only canonical paths are accepted (400 otherwise); tiles beyond the tree are 404.",
    params(("L" = u8, Path, description = "Tile level"), ("N" = String, Path, description = "Tile index path, with `.p/<W>` for a partial tile")),
    responses((status = 200, description = "The tile (32-byte hashes)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "Not a canonical tile path", body = ErrorBody),
        (status = 404, description = "Not in the tree", body = ErrorBody)))]
#[allow(dead_code)]
fn tile() {}

/// `GET /tile/entries/{N}`.
#[utoipa::path(get, path = "/tile/entries/{N}", tag = "log",
    summary = "An entry bundle (C2SP tlog-tiles): full, or `<N>.p/<W>` for the first W entries",
    params(("N" = String, Path, description = "Bundle index path, with `.p/<W>` for a partial bundle")),
    responses((status = 200, description = "The bundle", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "Not a canonical tile path", body = ErrorBody),
        (status = 404, description = "Not in the tree", body = ErrorBody)))]
#[allow(dead_code)]
fn entry_bundle() {}

/// `GET /v1/entries/{index}`.
#[utoipa::path(get, path = "/v1/entries/{index}", tag = "log",
    summary = "One entry's exact bytes",
    params(("index" = u64, Path, description = "Entry index")),
    responses((status = 200, description = "The entry", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = ErrorBody), (status = 404, description = "Beyond the log", body = ErrorBody)))]
#[allow(dead_code)]
fn entry() {}

/// `GET /v1/entries/{index}/known-by`.
#[utoipa::path(get, path = "/v1/entries/{index}/known-by", tag = "log",
    summary = "When the log knew an entry: its known-by interval from the witnessing rounds around it, against its stated time",
    description = "JSON `{index, kind, stated, known_by: {after, after_round, by, by_round}, late_by_s, ahead_by_s, words}` (the shape of `truce log known-by`). `after`: the latest time a quorum of the logged witness policy had all cosigned the last round logged before the entry; `by`: when a quorum had cosigned the first checkpoint including it. Either is absent until such a round exists. `late_by_s` flags a stated time more than `late_filing_s` before `after`; `ahead_by_s` one more than `max_clock_skew_s` after `by`.",
    params(("index" = u64, Path, description = "Entry index")),
    responses((status = 200, description = "The entry's known-by interval", content_type = "application/json", body = Object),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = ErrorBody), (status = 404, description = "Beyond the log", body = ErrorBody)))]
#[allow(dead_code)]
fn entry_known_by() {}

/// `GET /v1/proof/inclusion`.
#[utoipa::path(get, path = "/v1/proof/inclusion", tag = "log",
    summary = "Inclusion proof of an entry: `{index, size, root, proof, checkpoint}` (hashes base64)",
    params(("index" = u64, Query, description = "Entry index"), ("size" = Option<u64>, Query, description = "Tree size of a stored checkpoint (default: latest)")),
    responses((status = 200, description = "The proof", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = ErrorBody),
        (status = 404, description = "No checkpoint at that size", body = ErrorBody)))]
#[allow(dead_code)]
fn proof_inclusion() {}

/// `GET /v1/proof/consistency`.
#[utoipa::path(get, path = "/v1/proof/consistency", tag = "log",
    summary = "Consistency proof between two tree sizes: `{old, new, proof, checkpoint_old, checkpoint_new}`",
    params(("old" = u64, Query, description = "Older size"), ("new" = Option<u64>, Query, description = "Newer size (default: latest)")),
    responses((status = 200, description = "The proof", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = ErrorBody),
        (status = 404, description = "No checkpoint at a size", body = ErrorBody)))]
#[allow(dead_code)]
fn proof_consistency() {}

/// `GET /v1/proof/tlog`.
#[utoipa::path(get, path = "/v1/proof/tlog", tag = "log",
    summary = "A c2sp.org/tlog-proof@v1 file for an entry (offline verification)",
    params(("index" = u64, Query, description = "Entry index"), ("size" = Option<u64>, Query, description = "Checkpoint size (default: latest)")),
    responses((status = 200, description = "The tlog-proof", content_type = "text/plain; charset=utf-8", body = String), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = ErrorBody),
        (status = 404, description = "No checkpoint at that size", body = ErrorBody)))]
#[allow(dead_code)]
fn proof_tlog() {}

/// `GET /healthz`.
#[utoipa::path(get, path = "/healthz", tag = "service",
    summary = "Liveness",
    responses((status = 200, description = "ok", content_type = "text/plain", body = String)))]
#[allow(dead_code)]
fn healthz() {}

/// `GET /readyz`.
#[utoipa::path(get, path = "/readyz", tag = "service",
    summary = "Readiness: 503 while starting or shutting down",
    responses((status = 200, description = "ready", content_type = "text/plain", body = String),
        (status = 503, description = "starting or stopping", body = ErrorBody)))]
#[allow(dead_code)]
fn readyz() {}
