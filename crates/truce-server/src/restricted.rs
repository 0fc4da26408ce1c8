//! Sensitive content never enters the log in clear (product invariant 6). An entry carries a
//! salted hash commitment — a fulfilment's `persons_commitment`, a report's (or an assessment's)
//! `evidence` hashes — and the content lives here, in `DIR/restricted.db`, served only to the
//! roles that may read it. When the log is shared by several servers (`DIR/cluster.toml`) the
//! content lives in the cluster's PostgreSQL database instead (tables `truce_restricted` and
//! `truce_restricted_filers`, see [`Store`]), so that content uploaded through one server is
//! served by every one.
//!
//! - `PUT /v1/restricted/{commitment}` (token required), body
//!   `{"kind": "persons"|"evidence"|"position", "salt": <base64, 16–1024 bytes>, "content": <text>}`.
//!   Accepted only if hex SHA-256(salt ‖ content) equals the commitment (else 400) and an entry in
//!   the ledger authored by the caller's party refers to it in the place its kind lives (persons:
//!   a fulfilment's `persons_commitment`; evidence and position: a report's or assessment's
//!   `evidence`, or an observation's `observer`, the salted commitment of a monitor's
//!   position). No such entry at all: 404; only entries by other parties: 403; entries of the
//!   other place only: 400. 201 when stored, 200 when it was already (idempotent); 409 if it
//!   was stored under another kind.
//! - `GET /v1/restricted/{commitment}`: public callers 401; roles not permitted for its kind 403;
//!   unknown 404. Permitted: persons — operator, mediator, monitor and its filers; evidence and
//!   position — operator, monitor and its filers.
//!
//! A *filer* is a party that uploaded the content, which it may only do if it authored an entry
//! referring to the commitment. Authorship alone does not make a filer: anybody can copy a
//! public commitment into an entry of its own, but only who knows salt and content can upload it.
//!
//! Query endpoints add the content inline (`persons`, `evidence_content`) through
//! [`inline_for`], which returns nothing at all for a public caller.

use crate::access::{hex, Caller};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::LogStore;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use truce_model::{Id, Ledger, Role};

/// A stored piece of content as read: `(kind, salt, content)`.
type ContentRow = (String, Vec<u8>, String);

/// A statement parameter.
type Param<'a> = dyn postgres::types::ToSql + Sync + 'a;

/// What a piece of restricted content is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ContentKind {
    /// A person list behind a fulfilment's `persons_commitment`.
    Persons,
    /// Evidence behind a report's or assessment's `evidence` hash.
    Evidence,
    /// A monitor's position behind a report's or assessment's `evidence` hash.
    Position,
}

impl ContentKind {
    /// The kind's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            ContentKind::Persons => "persons",
            ContentKind::Evidence => "evidence",
            ContentKind::Position => "position",
        }
    }
    fn parse(s: &str) -> Option<ContentKind> {
        [
            ContentKind::Persons,
            ContentKind::Evidence,
            ContentKind::Position,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Whether a caller may read content of `kind` filed by `filers`. Public callers never may.
pub fn may_read(caller: &Caller, kind: ContentKind, filers: &BTreeSet<String>) -> bool {
    let (Some(party), Some(role)) = (&caller.party, caller.role) else {
        return false;
    };
    match role {
        Role::Operator | Role::Monitor => true,
        Role::Mediator if kind == ContentKind::Persons => true,
        _ => filers.contains(party.as_str()),
    }
}

/// A stored piece of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its kind.
    pub kind: ContentKind,
    /// The salt (raw bytes).
    pub salt: Vec<u8>,
    /// The content.
    pub content: String,
    /// The parties that uploaded it.
    pub filers: BTreeSet<String>,
}

/// What a `put` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored for the first time.
    Created,
    /// Already stored (the party is recorded as a filer).
    AlreadyStored,
    /// Already stored under another kind: nothing changed.
    KindConflict(ContentKind),
}

/// Why the restricted store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file could not be made owner-only.
    #[error("{0}")]
    Secret(String),
    /// SQLite refused it.
    #[error("{path}: {source}")]
    Db {
        /// The database file.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The cluster's PostgreSQL database (a shared log) could not be reached or used.
    #[error(transparent)]
    Postgres(#[from] crate::pgdb::PgError),
    /// `DIR/cluster.toml` cannot be read.
    #[error("{0}")]
    Cluster(truce_store::StoreError),
}

/// Why restricted content could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// `DIR/restricted.db` could not be read or written.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The cluster's PostgreSQL database could not be reached or used.
    #[error(transparent)]
    Postgres(#[from] crate::pgdb::PgError),
    /// The database holds a value this version cannot read.
    #[error("{at}: {why}")]
    Corrupt {
        /// The database (password redacted).
        at: String,
        /// What is wrong.
        why: String,
    },
}

/// The PostgreSQL tables of a shared log's restricted store: the SQLite file's two tables, the
/// content kept as bytes (`BYTEA`: a PostgreSQL `TEXT` cannot hold the NUL character a JSON
/// upload may carry).
pub(crate) const PG_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS truce_restricted(
    commitment TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    salt BYTEA NOT NULL,
    content BYTEA NOT NULL,
    created BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS truce_restricted_filers(
    commitment TEXT NOT NULL,
    party TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (commitment, party));";

/// The restricted store: `DIR/restricted.db`, or — when the log is shared (`DIR/cluster.toml`)
/// — tables `truce_restricted` and `truce_restricted_filers` of the cluster's PostgreSQL
/// database, so that content uploaded through one server is served by all.
pub enum Store {
    /// The SQLite file `DIR/restricted.db` (mode 0600).
    Sqlite {
        /// The connection.
        db: Mutex<Connection>,
        /// The file.
        path: std::path::PathBuf,
    },
    /// The cluster's database.
    Postgres(Box<crate::pgdb::PgDb>),
}

impl Store {
    /// Opens (creating if needed) the restricted store of data directory `dir`:
    /// `DIR/restricted.db`, readable by its owner only, or its tables in the PostgreSQL database
    /// named by `DIR/cluster.toml`.
    pub fn open(dir: &std::path::Path) -> Result<Store, OpenError> {
        if let LogStore::Cluster(spec) = LogStore::of_dir(dir).map_err(OpenError::Cluster)? {
            return Ok(Store::Postgres(Box::new(crate::pgdb::PgDb::connect(
                &spec.database,
                PG_SCHEMA,
            )?)));
        }
        let path = dir.join("restricted.db");
        crate::access::open_secret(&path).map_err(OpenError::Secret)?;
        let db_err = |source| OpenError::Db {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(&path).map_err(db_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS content(
               commitment TEXT PRIMARY KEY,
               kind TEXT NOT NULL,
               salt BLOB NOT NULL,
               content TEXT NOT NULL,
               created INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS filers(
               commitment TEXT NOT NULL,
               party TEXT NOT NULL,
               at INTEGER NOT NULL,
               PRIMARY KEY (commitment, party));",
        )
        .map_err(db_err)?;
        Ok(Store::Sqlite {
            db: Mutex::new(conn),
            path,
        })
    }

    /// Whether the content is in the cluster's PostgreSQL database (a shared log).
    pub fn is_shared(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    /// Where the content is, for messages (no password).
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite { path, .. } => path.display().to_string(),
            Store::Postgres(db) => format!("{} (truce_restricted)", db.describe()),
        }
    }

    fn sqlite<T>(
        db: &Mutex<Connection>,
        path: &std::path::Path,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ContentError> {
        let mut conn = db.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|source| ContentError::Sqlite {
            path: path.display().to_string(),
            source,
        })
    }

    /// The content committed to by `commitment` (lowercase hex), if stored.
    pub fn get(&self, commitment: &str) -> Result<Option<Stored>, ContentError> {
        let (row, filers): (Option<ContentRow>, BTreeSet<String>) = match self {
            Store::Sqlite { db, path } => Self::sqlite(db, path, |conn| {
                let row = conn
                    .query_row(
                        "SELECT kind, salt, content FROM content WHERE commitment = ?1",
                        [commitment],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                if row.is_none() {
                    return Ok((None, BTreeSet::new()));
                }
                let mut st = conn.prepare("SELECT party FROM filers WHERE commitment = ?1")?;
                let filers = st
                    .query_map([commitment], |r| r.get::<_, String>(0))?
                    .collect::<Result<BTreeSet<_>, _>>()?;
                Ok((row, filers))
            })?,
            Store::Postgres(db) => {
                // One statement: one snapshot of the content and its filers, one round trip.
                let (row, filers) = db.read("reading restricted content", |c| {
                    let Some(r) = c.query_opt(
                        "SELECT kind, salt, content,
                                ARRAY(SELECT party FROM truce_restricted_filers f
                                      WHERE f.commitment = r.commitment)
                         FROM truce_restricted r WHERE commitment = $1",
                        &[&commitment],
                    )?
                    else {
                        return Ok((None, BTreeSet::new()));
                    };
                    let row: (String, Vec<u8>, Vec<u8>) =
                        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                    let filers: Vec<String> = r.try_get(3)?;
                    Ok((Some(row), filers.into_iter().collect()))
                })?;
                let row = match row {
                    None => None,
                    Some((kind, salt, content)) => {
                        let content =
                            String::from_utf8(content).map_err(|_| ContentError::Corrupt {
                                at: self.describe(),
                                why: format!("the content under {commitment} is not UTF-8"),
                            })?;
                        Some((kind, salt, content))
                    }
                };
                (row, filers)
            }
        };
        let Some((kind, salt, content)) = row else {
            return Ok(None);
        };
        let Some(kind) = ContentKind::parse(&kind) else {
            return Ok(None);
        };
        Ok(Some(Stored {
            kind,
            salt,
            content,
            filers,
        }))
    }

    /// Stores content (the caller has checked the hash and the references).
    pub fn put(
        &self,
        commitment: &str,
        kind: ContentKind,
        salt: &[u8],
        content: &str,
        party: &str,
        now_unix: i64,
    ) -> Result<PutOutcome, ContentError> {
        match self {
            Store::Sqlite { db, path } => Self::sqlite(db, path, |conn| {
                let tx = conn.transaction()?;
                let existing: Option<String> = tx
                    .query_row(
                        "SELECT kind FROM content WHERE commitment = ?1",
                        [commitment],
                        |r| r.get(0),
                    )
                    .optional()?;
                let outcome = match existing.as_deref().map(ContentKind::parse) {
                    Some(Some(k)) if k != kind => return Ok(PutOutcome::KindConflict(k)),
                    Some(_) => PutOutcome::AlreadyStored,
                    None => {
                        tx.execute(
                            "INSERT INTO content(commitment, kind, salt, content, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![commitment, kind.as_str(), salt, content, now_unix],
                        )?;
                        PutOutcome::Created
                    }
                };
                tx.execute(
                    "INSERT OR IGNORE INTO filers(commitment, party, at) VALUES (?1, ?2, ?3)",
                    params![commitment, party, now_unix],
                )?;
                tx.commit()?;
                Ok(outcome)
            }),
            // The insert that does nothing on a conflict waits for a concurrent one by another
            // server and then sees its row: of two uploads at once, one creates, the other finds
            // it stored (or under another kind).
            Store::Postgres(db) => Ok(db.write("storing restricted content", |c| {
                let mut tx = c.transaction()?;
                let inserted = tx.execute(
                    "INSERT INTO truce_restricted(commitment, kind, salt, content, created)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (commitment) DO NOTHING",
                    &[
                        &commitment as &Param<'_>,
                        &kind.as_str(),
                        &salt,
                        &content.as_bytes(),
                        &now_unix,
                    ],
                )?;
                let outcome = if inserted > 0 {
                    PutOutcome::Created
                } else {
                    let existing: Option<String> = tx
                        .query_opt(
                            "SELECT kind FROM truce_restricted WHERE commitment = $1",
                            &[&commitment],
                        )?
                        .map(|r| r.try_get(0))
                        .transpose()?;
                    match existing.as_deref().map(ContentKind::parse) {
                        Some(Some(k)) if k != kind => return Ok(PutOutcome::KindConflict(k)),
                        _ => PutOutcome::AlreadyStored,
                    }
                };
                tx.execute(
                    "INSERT INTO truce_restricted_filers(commitment, party, at) VALUES ($1, $2, $3)
                     ON CONFLICT (commitment, party) DO NOTHING",
                    &[&commitment as &Param<'_>, &party, &now_unix],
                )?;
                tx.commit()?;
                Ok(outcome)
            })?),
        }
    }
}

/// The content a caller may see inline, by commitment, among `commitments`. Always empty for a
/// public caller (the store is not even read).
pub fn inline_for<'a>(
    store: &Store,
    caller: &Caller,
    commitments: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, Stored>, ApiError> {
    let mut out = BTreeMap::new();
    if caller.is_public() {
        return Ok(out);
    }
    for c in commitments {
        if out.contains_key(c) {
            continue;
        }
        if let Some(s) = store
            .get(&c.to_ascii_lowercase())
            .map_err(ApiError::internal)?
        {
            if may_read(caller, s.kind, &s.filers) {
                out.insert(c.to_string(), s);
            }
        }
    }
    Ok(out)
}

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/restricted/{commitment}",
        get(get_content).put(put_content),
    )
}

/// The upload body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// `persons`, `evidence` or `position`.
    pub kind: String,
    /// The salt, base64 (standard alphabet, padded or not), 16 to 1024 bytes.
    pub salt: String,
    /// The content, as text.
    pub content: String,
}

/// Stored content as served.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContentView {
    /// The commitment (hex SHA-256 of salt ‖ content).
    pub commitment: String,
    /// Its kind.
    pub kind: ContentKind,
    /// The salt, base64: with `content`, lets a reader check the commitment in the log.
    pub salt: String,
    /// The content.
    pub content: String,
    /// The parties that uploaded it.
    pub filed_by: Vec<String>,
}

/// What a successful upload answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Uploaded {
    /// The commitment.
    pub commitment: String,
    /// Its kind.
    pub kind: ContentKind,
    /// `true` when stored now, `false` when it already was.
    pub created: bool,
    /// Log indices of the caller's entries that refer to it.
    pub referenced_by: Vec<u64>,
}

fn commitment_param(c: &str) -> Result<String, ApiError> {
    if c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(c.to_ascii_lowercase())
    } else {
        Err(ApiError::bad_request("a commitment is 64 hex digits (a SHA-256)").field("commitment"))
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Who refers to a commitment, in the place each kind lives: (persons refs, evidence refs), as
/// (author, log index).
/// Authors and log indices of the entries referring to a commitment.
type Refs = Vec<(Id, u64)>;

fn references(ledger: &Ledger, c: &str) -> (Refs, Refs) {
    let eq = |h: &String| h.eq_ignore_ascii_case(c);
    let persons = ledger
        .fulfilments
        .iter()
        .filter(|f| f.value.persons_commitment.as_ref().is_some_and(eq))
        .map(|f| (f.author.clone(), f.index))
        .collect();
    let mut evidence: Refs = ledger
        .reports
        .iter()
        .filter(|r| r.evidence().iter().any(eq))
        .map(|r| (r.author().clone(), r.index()))
        .chain(
            ledger
                .assessments
                .iter()
                .filter(|a| a.value.evidence.iter().any(eq))
                .map(|a| (a.author.clone(), a.index)),
        )
        // An observation's observer: the salted commitment of a monitor's position.
        .chain(
            ledger
                .reports
                .iter()
                .filter(|r| {
                    r.held()
                        .and_then(|h| h.value.observation.as_ref())
                        .is_some_and(|o| eq(&o.observer))
                })
                .map(|r| (r.author().clone(), r.index())),
        )
        .collect();
    evidence.sort_by_key(|(_, i)| *i);
    (persons, evidence)
}

/// Which of the caller's entries refer to a commitment in the place its kind lives: 404 if no
/// entry refers to it, 400 if entries refer to it only as the other kind, 403 if only other
/// parties' entries do.
fn check_references(
    c: &str,
    kind: ContentKind,
    party: &Id,
    persons: Refs,
    evidence: Refs,
) -> Result<Vec<u64>, ApiError> {
    let (mine, other) = match kind {
        ContentKind::Persons => (persons, evidence),
        ContentKind::Evidence | ContentKind::Position => (evidence, persons),
    };
    if mine.is_empty() {
        return Err(if other.is_empty() {
            ApiError::not_found(format!(
                "no entry in the log refers to {c}: log the entry that commits to it first, then upload the content"
            ))
        } else {
            ApiError::bad_request(format!(
                "{c} is referred to as {}, not as {} content",
                if kind == ContentKind::Persons {
                    "report or assessment evidence"
                } else {
                    "a fulfilment's persons list"
                },
                kind.as_str()
            ))
            .field("kind")
        });
    }
    let referenced_by: Vec<u64> = mine
        .iter()
        .filter(|(a, _)| a == party)
        .map(|(_, i)| *i)
        .collect();
    if referenced_by.is_empty() {
        return Err(ApiError::forbidden(format!(
            "no entry by `{party}` refers to {c}; only a party whose entry commits to the content may upload it"
        )));
    }
    Ok(referenced_by)
}

/// `GET /v1/restricted/{commitment}`.
#[utoipa::path(
    get,
    path = "/v1/restricted/{commitment}",
    tag = "restricted",
    summary = "Read restricted content (permitted roles only)",
    description = "Persons lists: operator, mediator, monitor and the party that filed it. Evidence and positions: operator, monitor and the filer. The salt is returned so the reader can check the commitment against the log.",
    params(("commitment" = String, Path, description = "64 hex digits: SHA-256(salt ‖ content)")),
    responses(
        (status = 200, description = "The content", body = ContentView),
        (status = 400, description = "Not a commitment", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or an unknown or revoked one", body = crate::openapi::ErrorBody),
        (status = 403, description = "The caller's role may not read this kind", body = crate::openapi::ErrorBody),
        (status = 404, description = "Nothing stored under this commitment", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_content(
    State(s): State<AppState>,
    caller: Caller,
    Path(c): Path<String>,
) -> Result<Response, ApiError> {
    caller.require()?;
    let c = commitment_param(&c)?;
    let stored = if s.0.access.restricted().is_shared() {
        // A PostgreSQL round trip: on the blocking pool, not a runtime worker.
        let (st, c2) = (s.clone(), c.clone());
        tokio::task::spawn_blocking(move || st.0.access.restricted().get(&c2))
            .await
            .map_err(ApiError::internal)?
    } else {
        s.0.access.restricted().get(&c)
    }
    .map_err(ApiError::internal)?
    .ok_or_else(|| ApiError::not_found(format!("no restricted content under {c}")))?;
    if !may_read(&caller, stored.kind, &stored.filers) {
        return Err(ApiError::forbidden(format!(
            "a {} may not read {} content it did not file",
            caller.role.map(|r| r.as_str()).unwrap_or("caller"),
            stored.kind.as_str()
        )));
    }
    Ok(no_store(
        Json(ContentView {
            commitment: c,
            kind: stored.kind,
            salt: BASE64_STANDARD.encode(&stored.salt),
            content: stored.content,
            filed_by: stored.filers.into_iter().collect(),
        })
        .into_response(),
    ))
}

/// `PUT /v1/restricted/{commitment}`.
#[utoipa::path(
    put,
    path = "/v1/restricted/{commitment}",
    tag = "restricted",
    summary = "Upload restricted content committed to in the log",
    description = "Accepted only if hex SHA-256(salt ‖ content) equals the commitment and an entry authored by the caller's party refers to it: a fulfilment's persons_commitment (kind persons) or a report's or assessment's evidence (kinds evidence and position).",
    params(("commitment" = String, Path, description = "64 hex digits: SHA-256(salt ‖ content)")),
    request_body(content = Upload, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored", body = Uploaded),
        (status = 200, description = "Already stored (idempotent)", body = Uploaded),
        (status = 400, description = "Malformed body, hash mismatch, or the commitment is referred to as another kind", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or an unknown or revoked one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Only entries of other parties refer to this commitment", body = crate::openapi::ErrorBody),
        (status = 404, description = "No entry in the log refers to this commitment", body = crate::openapi::ErrorBody),
        (status = 409, description = "Already stored as another kind", body = crate::openapi::ErrorBody),
        (status = 413, description = "The body is over `max_body_bytes` (refused from its `Content-Length` before it is read)", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn put_content(
    State(s): State<AppState>,
    caller: Caller,
    Path(c): Path<String>,
    body: Result<Json<Upload>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let (party, _) = caller.require()?;
    let party = party.clone();
    let c = commitment_param(&c)?;
    let Json(up) = body.map_err(|e| {
        crate::error::json_body(
            &e,
            "the body must be JSON {\"kind\", \"salt\", \"content\"}",
            Some("body"),
        )
    })?;
    let kind = ContentKind::parse(&up.kind).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown kind {:?}: use persons, evidence or position",
            up.kind
        ))
        .field("kind")
    })?;
    let salt = BASE64_STANDARD
        .decode(up.salt.trim())
        .or_else(|_| BASE64_STANDARD_NO_PAD.decode(up.salt.trim()))
        .map_err(|_| ApiError::bad_request("the salt is not base64").field("salt"))?;
    if !(16..=1024).contains(&salt.len()) {
        return Err(ApiError::bad_request(format!(
            "the salt is {} bytes; use 16 to 1024 random bytes (a short salt lets anyone guess a short list by brute force)",
            salt.len()
        ))
        .field("salt"));
    }
    let mut h = Sha256::new();
    h.update(&salt);
    h.update(up.content.as_bytes());
    if hex(&h.finalize()) != c {
        return Err(ApiError::bad_request(
            "SHA-256(salt ‖ content) does not equal the commitment: check the salt and that the content is byte for byte what was committed to",
        )
        .field("content"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let st = s.clone();
    let c2 = c.clone();
    let party2 = party.clone();
    let content = up.content;
    // The ledger scan and the write run on the blocking pool (the scan is linear in reports).
    let (outcome, referenced_by) = tokio::task::spawn_blocking(move || {
        let (persons, evidence) = {
            let ledger = st.0.ledger.read().unwrap_or_else(|p| p.into_inner());
            references(&ledger, &c2)
        };
        let referenced_by = check_references(&c2, kind, &party2, persons, evidence)?;
        let outcome =
            st.0.access
                .restricted()
                .put(&c2, kind, &salt, &content, party2.as_str(), now)
                .map_err(ApiError::internal)?;
        Ok::<_, ApiError>((outcome, referenced_by))
    })
    .await
    .map_err(ApiError::internal)??;
    let created = match outcome {
        PutOutcome::Created => true,
        PutOutcome::AlreadyStored => false,
        PutOutcome::KindConflict(k) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{c} is already stored as {} content", k.as_str()),
            )
            .field("kind"))
        }
    };
    tracing::info!(commitment = %c, kind = kind.as_str(), party = %party, created, "restricted content filed");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(no_store(
        (
            status,
            Json(Uploaded {
                commitment: c,
                kind,
                created,
                referenced_by,
            }),
        )
            .into_response(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(party: &str, role: Role) -> Caller {
        Caller {
            party: Some(Id::new(party).unwrap()),
            role: Some(role),
        }
    }

    #[test]
    fn permissions_follow_the_kind() {
        let filers: BTreeSet<String> = ["ua".to_string()].into();
        use ContentKind::*;
        assert!(!may_read(&Caller::public(), Persons, &filers));
        for k in [Persons, Evidence, Position] {
            assert!(may_read(&caller("op", Role::Operator), k, &filers));
            assert!(may_read(&caller("m", Role::Monitor), k, &filers));
            assert!(may_read(&caller("ua", Role::Belligerent), k, &filers));
            assert!(!may_read(&caller("ru", Role::Belligerent), k, &filers));
            assert!(!may_read(&caller("firms", Role::OpenData), k, &filers));
        }
        assert!(may_read(&caller("us", Role::Mediator), Persons, &filers));
        assert!(!may_read(&caller("us", Role::Mediator), Evidence, &filers));
        assert!(!may_read(&caller("us", Role::Mediator), Position, &filers));
    }

    use crate::pgdb::testdirs::{self, TestDir};

    #[test]
    fn the_store_keeps_filers_and_refuses_a_second_kind_in_sqlite() {
        the_store_keeps_filers_and_refuses_a_second_kind(&testdirs::sqlite());
    }

    #[test]
    fn the_store_keeps_filers_and_refuses_a_second_kind_in_postgres() {
        the_store_keeps_filers_and_refuses_a_second_kind(&testdirs::postgres());
    }

    fn the_store_keeps_filers_and_refuses_a_second_kind(d: &TestDir) {
        let s = Store::open(d.dir.path()).unwrap();
        let c = "ab".repeat(32);
        assert_eq!(
            s.put(&c, ContentKind::Persons, b"salt", "x", "ua", 1)
                .unwrap(),
            PutOutcome::Created
        );
        assert_eq!(
            s.put(&c, ContentKind::Persons, b"salt", "x", "ru", 2)
                .unwrap(),
            PutOutcome::AlreadyStored
        );
        assert_eq!(
            s.put(&c, ContentKind::Evidence, b"salt", "x", "ru", 2)
                .unwrap(),
            PutOutcome::KindConflict(ContentKind::Persons)
        );
        let got = s.get(&c).unwrap().unwrap();
        assert_eq!(got.filers.len(), 2);
        assert_eq!(got.content, "x");
        assert!(s.get(&"cd".repeat(32)).unwrap().is_none());
        // Any text, a NUL character and every byte of the salt included, comes back as it went.
        let odd = "ef".repeat(32);
        let salt: Vec<u8> = (0..=255).collect();
        let content = "a\0b \u{1F54A} ünï";
        assert_eq!(
            s.put(&odd, ContentKind::Evidence, &salt, content, "ua", 3)
                .unwrap(),
            PutOutcome::Created
        );
        let got = s.get(&odd).unwrap().unwrap();
        assert_eq!(
            (got.kind, got.salt.as_slice(), got.content.as_str()),
            (ContentKind::Evidence, salt.as_slice(), content)
        );
        assert_eq!(got.filers, BTreeSet::from(["ua".to_string()]));
        // Opened again, the store has the same content.
        let again = Store::open(d.dir.path()).unwrap();
        assert_eq!(again.get(&c).unwrap(), s.get(&c).unwrap());
    }
}
