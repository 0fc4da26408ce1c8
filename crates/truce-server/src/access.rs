//! Who is calling, and how often.
//!
//! **Tokens.** A bearer token is bound to a party and a role. It is shown once, when it is
//! created; the token store keeps only its SHA-256, so a copy of the database gives nobody a
//! usable token. A token is looked up on every request (one indexed read), so a revocation made
//! by another process — `truce token revoke` while the server runs, or another server of the
//! cluster — takes effect on the next request. No `Authorization` header means a public caller.
//!
//! **Where tokens are kept** ([`TokenStore`]): in the SQLite file `DIR/access.db` when the log
//! is the directory's own; when the log is shared (`DIR/cluster.toml`,
//! [`crate::storage::LogStore::Cluster`]) in the cluster's PostgreSQL database, table
//! `truce_access_tokens` ([`crate::pgdb`]), so that a token created through any server (or
//! `truce token create` on any data directory of the cluster) works on every server, and a
//! revocation on one is refused by all from their next request.
//!
//! The CLI calls this API directly:
//!
//! ```no_run
//! # use truce_server::{access::Access, Config};
//! # use truce_model::Role;
//! # fn main() -> Result<(), truce_server::access::AccessError> {
//! # let dir = std::path::Path::new("d");
//! # let now = 0;
//! let access = Access::open(dir, &Config::default())?;
//! // `truce token create ua --role belligerent --label "liaison office"`
//! let (token, id) = access.create_token("ua", Role::Belligerent, "liaison office", now)?;
//! println!("{token}\n(token id {id}; the token is shown once and cannot be recovered)");
//! // `truce token list`
//! for t in access.list()? {
//!     println!("{} {} {} {:?} revoked={:?}", t.id, t.party, t.role.as_str(), t.label, t.revoked_unix);
//! }
//! // `truce token revoke <id>`
//! access.revoke(&id)?;
//! # Ok(()) }
//! ```
//!
//! The binary should check, before creating a token, that the party is registered in the log
//! with that role ([`check_party_role`]): the token store itself does not read the log.
//!
//! **Rate limits.** Token buckets: one per client address ([`rate_limit_by_address`], IPv6
//! addresses grouped by /64) and one per signing key ([`Access::allow_key`], called by the
//! submission handler). A bucket holds up to `rate_burst` requests and refills at `rate_per_addr`
//! (or `rate_per_key`) per second; a rate `<= 0` disables the limit. Memory is bounded: buckets
//! that have refilled completely (idle) are dropped, and at most [`MAX_BUCKETS`] are kept. The
//! buckets are in each server's memory, also when the log is shared: behind a load balancer
//! spreading a client over `n` servers, it gets up to `n` times the configured rate.
//!
//! **Restricted content.** The store of content committed to by hash in the log
//! ([`crate::restricted::Store`], `DIR/restricted.db` or, when the log is shared, the cluster's
//! database) is opened here too and reached through
//! [`Access::restricted`]: both decide who may see what.

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::LogStore;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::prelude::*;
use rand_core::{OsRng, RngCore};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use truce_model::{Id, Ledger, Role};

/// A statement parameter.
type Param<'a> = dyn postgres::types::ToSql + Sync + 'a;

/// Prefix of every token (so a leaked one is recognisable by secret scanners).
pub const TOKEN_PREFIX: &str = "truce_";

/// Most rate-limit buckets kept per limiter.
pub const MAX_BUCKETS: usize = 65_536;

/// Why a token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The access database could not be opened, read or written.
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
    /// The restricted store could not be opened.
    #[error("{0}")]
    Restricted(String),
    /// The party is not a valid identifier.
    #[error("{0}")]
    BadParty(String),
    /// The label is too long or has control characters.
    #[error("a token label is at most 200 characters, without control characters")]
    BadLabel,
    /// No token has this id.
    #[error("no token with id {0:?}: `truce token list` shows them")]
    UnknownToken(String),
    /// The token was already revoked.
    #[error("token {0} is already revoked")]
    AlreadyRevoked(String),
    /// The party is not registered in the log, or not with this role.
    #[error("{0}")]
    RoleMismatch(String),
    /// The database holds a value this version cannot read.
    #[error("{path}: {why}")]
    Corrupt {
        /// The database file (or the PostgreSQL database, password redacted).
        path: String,
        /// What is wrong.
        why: String,
    },
}

/// What `truce token list` shows of a token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// Token id (16 hex digits; not secret).
    pub id: String,
    /// The party it acts for.
    pub party: String,
    /// The role it has.
    pub role: Role,
    /// Free text given at creation.
    pub label: String,
    /// When it was created (unix seconds).
    pub created_unix: i64,
    /// When it was revoked, if it was (unix seconds).
    pub revoked_unix: Option<i64>,
}

/// One line of `truce token list`: `<id>  <party>  <role>  created <time>[  revoked <time>]  <label>`.
impl std::fmt::Display for TokenInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}  {:<12} {:<11} created {}",
            self.id,
            self.party,
            self.role.as_str(),
            utc(self.created_unix)
        )?;
        if let Some(r) = self.revoked_unix {
            write!(f, "  REVOKED {}", utc(r))?;
        }
        if !self.label.is_empty() {
            write!(f, "  {}", self.label)?;
        }
        Ok(())
    }
}

/// Unix seconds as RFC 3339 UTC (`2025-03-18T12:00:00Z`), proleptic Gregorian.
fn utc(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// Who is calling: a token's party and role, or nobody (public).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caller {
    /// The token's party (`None`: public).
    pub party: Option<Id>,
    /// The token's role (`None`: public).
    pub role: Option<Role>,
}

impl Caller {
    /// A caller without a token.
    pub fn public() -> Caller {
        Caller::default()
    }
    /// Whether the caller presented no token.
    pub fn is_public(&self) -> bool {
        self.role.is_none()
    }
    /// The party and role, or 401 for a public caller.
    pub fn require(&self) -> Result<(&Id, Role), ApiError> {
        match (&self.party, self.role) {
            (Some(p), Some(r)) => Ok((p, r)),
            _ => Err(ApiError::unauthorized(
                "this needs a bearer token (`Authorization: Bearer truce_…`); the operator issues them with `truce token create`",
            )),
        }
    }
}

/// Checks that `party` is registered in the log with `role` (what `truce token create` should
/// do before calling [`Access::create_token`]).
pub fn check_party_role(ledger: &Ledger, party: &str, role: Role) -> Result<(), AccessError> {
    let id = Id::new(party).map_err(AccessError::BadParty)?;
    match ledger.parties.get(&id) {
        None => Err(AccessError::RoleMismatch(format!(
            "party `{party}` is not registered in the log (`truce party add` registers it)"
        ))),
        Some(p) if p.role != role => Err(AccessError::RoleMismatch(format!(
            "party `{party}` is registered as a {}, not a {}",
            p.role.as_str(),
            role.as_str()
        ))),
        Some(_) => Ok(()),
    }
}

fn role_from_str(s: &str) -> Option<Role> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// Hex SHA-256 of a token: what the database keeps.
fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A token as stored: `(party, role, revoked_unix)` as text, looked up by hash.
type TokenRow = (String, String, Option<i64>);

/// A token as listed: `(id, party, role, label, created_unix, revoked_unix)`.
type ListRow = (String, String, String, String, i64, Option<i64>);

/// What [`TokenStore::revoke`] found.
enum Revoked {
    /// Revoked now.
    Now,
    /// No token has this id.
    Unknown,
    /// It already was.
    Already,
}

/// Where the tokens are kept: `DIR/access.db`, or the cluster's PostgreSQL database when the
/// log is shared. Only hashes of tokens are stored, in either.
pub enum TokenStore {
    /// The SQLite file `DIR/access.db` (mode 0600).
    Sqlite {
        /// The connection.
        db: Mutex<Connection>,
        /// The file.
        path: PathBuf,
    },
    /// Table `truce_access_tokens` of the cluster's database.
    Postgres(Box<crate::pgdb::PgDb>),
}

/// The PostgreSQL table of [`TokenStore::Postgres`] (the SQLite one's columns, typed).
pub(crate) const PG_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS truce_access_tokens(
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    party TEXT NOT NULL,
    role TEXT NOT NULL,
    label TEXT NOT NULL,
    created BIGINT NOT NULL,
    revoked BIGINT);";

impl TokenStore {
    /// Opens (creating if needed) the store of data directory `dir`: `DIR/access.db`, or table
    /// `truce_access_tokens` of the PostgreSQL database named by `DIR/cluster.toml`.
    pub fn open(dir: &Path) -> Result<TokenStore, AccessError> {
        match LogStore::of_dir(dir).map_err(AccessError::Cluster)? {
            LogStore::Cluster(spec) => Ok(TokenStore::Postgres(Box::new(
                crate::pgdb::PgDb::connect(&spec.database, PG_SCHEMA)?,
            ))),
            LogStore::Sqlite(_) => {
                let path = dir.join("access.db");
                let db_err = |source| AccessError::Db {
                    path: path.display().to_string(),
                    source,
                };
                open_secret(&path).map_err(AccessError::Restricted)?;
                let conn = Connection::open(&path).map_err(db_err)?;
                conn.execute_batch(
                    "PRAGMA journal_mode=WAL;
                     PRAGMA synchronous=FULL;
                     PRAGMA busy_timeout=5000;
                     CREATE TABLE IF NOT EXISTS tokens(
                       id TEXT PRIMARY KEY,
                       hash TEXT NOT NULL UNIQUE,
                       party TEXT NOT NULL,
                       role TEXT NOT NULL,
                       label TEXT NOT NULL,
                       created INTEGER NOT NULL,
                       revoked INTEGER);",
                )
                .map_err(db_err)?;
                Ok(TokenStore::Sqlite {
                    db: Mutex::new(conn),
                    path,
                })
            }
        }
    }

    /// Whether the tokens are in the cluster's PostgreSQL database (a shared log): each lookup
    /// is then a network round trip, made on the blocking pool rather than a runtime worker.
    pub fn is_shared(&self) -> bool {
        matches!(self, TokenStore::Postgres(_))
    }

    /// Where the tokens are, for messages (no password).
    pub fn describe(&self) -> String {
        match self {
            TokenStore::Sqlite { path, .. } => path.display().to_string(),
            TokenStore::Postgres(db) => format!("{} (truce_access_tokens)", db.describe()),
        }
    }

    fn sqlite<T>(
        db: &Mutex<Connection>,
        path: &Path,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, AccessError> {
        let conn = db.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(|source| AccessError::Db {
            path: path.display().to_string(),
            source,
        })
    }

    fn insert(
        &self,
        id: &str,
        hash: &str,
        party: &str,
        role: &str,
        label: &str,
        created: i64,
    ) -> Result<(), AccessError> {
        match self {
            TokenStore::Sqlite { db, path } => Self::sqlite(db, path, |c| {
                c.execute(
                    "INSERT INTO tokens(id, hash, party, role, label, created, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
                    params![id, hash, party, role, label, created],
                )
            })
            .map(drop),
            TokenStore::Postgres(db) => db
                .write("storing a new token", |c| {
                    c.execute(
                        "INSERT INTO truce_access_tokens(id, hash, party, role, label, created, revoked)
                         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
                        &[&id as &Param<'_>, &hash, &party, &role, &label, &created],
                    )
                })
                .map(drop)
                .map_err(AccessError::from),
        }
    }

    /// Every token as stored: `(id, party, role, label, created, revoked)`, oldest first.
    fn rows(&self) -> Result<Vec<ListRow>, AccessError> {
        match self {
            TokenStore::Sqlite { db, path } => Self::sqlite(db, path, |c| {
                let mut st = c.prepare(
                    "SELECT id, party, role, label, created, revoked FROM tokens ORDER BY created, id",
                )?;
                let rows = st.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?;
                rows.collect()
            }),
            TokenStore::Postgres(db) => db
                .read("listing the tokens", |c| {
                    c.query(
                        "SELECT id, party, role, label, created, revoked FROM truce_access_tokens
                         ORDER BY created, id",
                        &[],
                    )
                })?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                    ))
                })
                .collect::<Result<_, postgres::Error>>()
                .map_err(|e| self.corrupt(format!("a token row cannot be read: {e}"))),
        }
    }

    fn revoke(&self, id: &str, now: i64) -> Result<Revoked, AccessError> {
        match self {
            TokenStore::Sqlite { db, path } => Self::sqlite(db, path, |c| {
                let revoked: Option<Option<i64>> = c
                    .query_row("SELECT revoked FROM tokens WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .optional()?;
                Ok(match revoked {
                    None => Revoked::Unknown,
                    Some(Some(_)) => Revoked::Already,
                    Some(None) => {
                        c.execute(
                            "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                            params![id, now],
                        )?;
                        Revoked::Now
                    }
                })
            }),
            // One conditional update: of two servers revoking at once, one revokes and the
            // other is told it already was.
            TokenStore::Postgres(db) => Ok(db.write("revoking a token", |c| {
                let n = c.execute(
                    "UPDATE truce_access_tokens SET revoked = $2 WHERE id = $1 AND revoked IS NULL",
                    &[&id as &Param<'_>, &now],
                )?;
                if n > 0 {
                    return Ok(Revoked::Now);
                }
                let exists = c
                    .query_opt("SELECT 1 FROM truce_access_tokens WHERE id = $1", &[&id])?
                    .is_some();
                Ok(if exists {
                    Revoked::Already
                } else {
                    Revoked::Unknown
                })
            })?),
        }
    }

    /// The token with this hash, if any.
    fn lookup(&self, hash: &str) -> Result<Option<TokenRow>, AccessError> {
        match self {
            TokenStore::Sqlite { db, path } => Self::sqlite(db, path, |c| {
                c.query_row(
                    "SELECT party, role, revoked FROM tokens WHERE hash = ?1",
                    [hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
            }),
            TokenStore::Postgres(db) => {
                let row = db.read("looking a token up", |c| {
                    c.query_opt(
                        "SELECT party, role, revoked FROM truce_access_tokens WHERE hash = $1",
                        &[&hash],
                    )
                })?;
                row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .transpose()
                    .map_err(|e: postgres::Error| {
                        self.corrupt(format!("a token row cannot be read: {e}"))
                    })
            }
        }
    }

    fn corrupt(&self, why: String) -> AccessError {
        AccessError::Corrupt {
            path: self.describe(),
            why,
        }
    }
}

/// Tokens, rate limits and the restricted store.
pub struct Access {
    tokens: TokenStore,
    by_addr: Limiter<IpAddr>,
    by_key: Limiter<String>,
    restricted: crate::restricted::Store,
}

impl Access {
    /// Opens (creating if needed) the token store and the restricted store of data directory
    /// `dir`: `DIR/access.db` and `DIR/restricted.db`, or — when `DIR/cluster.toml` names a
    /// shared log — their tables in the cluster's PostgreSQL database.
    pub fn open(dir: &Path, config: &Config) -> Result<Access, AccessError> {
        let tokens = TokenStore::open(dir)?;
        let restricted = crate::restricted::Store::open(dir)
            .map_err(|e| AccessError::Restricted(e.to_string()))?;
        Ok(Access {
            tokens,
            by_addr: Limiter::new(config.rate_per_addr, config.rate_burst),
            by_key: Limiter::new(config.rate_per_key, config.rate_burst),
            restricted,
        })
    }

    /// The token store.
    pub fn tokens(&self) -> &TokenStore {
        &self.tokens
    }

    /// Creates a token for `party` with `role`; returns the token (show it once: only its hash
    /// is kept) and its id (for `list` and `revoke`).
    pub fn create_token(
        &self,
        party: &str,
        role: Role,
        label: &str,
        now_unix: i64,
    ) -> Result<(String, String), AccessError> {
        let party = Id::new(party).map_err(AccessError::BadParty)?;
        if label.chars().count() > 200 || label.chars().any(char::is_control) {
            return Err(AccessError::BadLabel);
        }
        let mut raw = [0u8; 32];
        OsRng.fill_bytes(&mut raw);
        let token = format!("{TOKEN_PREFIX}{}", BASE64_URL_SAFE_NO_PAD.encode(raw));
        let hash = token_hash(&token);
        let id = hash[..16].to_string();
        self.tokens
            .insert(&id, &hash, party.as_str(), role.as_str(), label, now_unix)?;
        Ok((token, id))
    }

    /// Every token (revoked ones too), oldest first. Never the tokens themselves.
    pub fn list(&self) -> Result<Vec<TokenInfo>, AccessError> {
        let mut out = Vec::new();
        for (id, party, role, label, created_unix, revoked_unix) in self.tokens.rows()? {
            let role = role_from_str(&role).ok_or_else(|| {
                self.tokens
                    .corrupt(format!("token {id} has an unknown role {role:?}"))
            })?;
            out.push(TokenInfo {
                id,
                party,
                role,
                label,
                created_unix,
                revoked_unix,
            });
        }
        Ok(out)
    }

    /// Revokes the token with this id: from the next request on, it is refused with 401.
    pub fn revoke(&self, id: &str) -> Result<(), AccessError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        match self.tokens.revoke(id, now)? {
            Revoked::Now => Ok(()),
            Revoked::Unknown => Err(AccessError::UnknownToken(id.to_string())),
            Revoked::Already => Err(AccessError::AlreadyRevoked(id.to_string())),
        }
    }

    /// The caller a token stands for: 401 if it is unknown or revoked.
    pub fn authenticate(&self, token: &str) -> Result<Caller, ApiError> {
        let hash = token_hash(token);
        let row = self.tokens.lookup(&hash).map_err(ApiError::internal)?;
        match row {
            None => Err(ApiError::unauthorized(
                "unknown token: check it was copied whole; the operator issues tokens with `truce token create`",
            )),
            Some((_, _, Some(_))) => Err(ApiError::unauthorized(
                "this token was revoked; ask the operator for a new one",
            )),
            Some((party, role, None)) => {
                let party = Id::new(&party).map_err(ApiError::internal)?;
                let role = role_from_str(&role)
                    .ok_or_else(|| ApiError::internal(format!("token role {role:?}")))?;
                Ok(Caller {
                    party: Some(party),
                    role: Some(role),
                })
            }
        }
    }

    /// Whether a submission signed by key `key_id` may go ahead now (per-key rate limit). Takes
    /// one unit from the key's bucket when it does.
    pub fn allow_key(&self, key_id: &str) -> bool {
        self.by_key
            .check_with(key_id, Instant::now(), |k| k.to_string())
            .is_ok()
    }

    /// Takes one unit from the bucket of client address `ip`; `Err(wait)` when it is empty.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), Duration> {
        let key = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let mut o = v6.octets();
                    o[8..].fill(0);
                    IpAddr::V6(o.into())
                }
            },
            v4 => v4,
        };
        self.by_addr.check_with(&key, Instant::now(), |k| *k)
    }

    /// The restricted store.
    pub fn restricted(&self) -> &crate::restricted::Store {
        &self.restricted
    }
}

/// Makes a database holding secrets owner-only (0600) before SQLite opens it, so that its
/// `-wal` and `-shm` files are 0600 from creation too ([`truce_store::keyfile::secret_db`]); a
/// looser existing file is tightened with a warning.
pub(crate) fn open_secret(path: &Path) -> Result<(), String> {
    for w in truce_store::keyfile::secret_db(path).map_err(|e| {
        format!("{e}: cannot make this database owner-only (0600); check the data directory's ownership and permissions")
    })? {
        tracing::warn!("{w}");
    }
    Ok(())
}

/// Token buckets by key, with bounded memory.
pub struct Limiter<K> {
    rate: f64,
    burst: f64,
    state: Mutex<Buckets<K>>,
}

struct Buckets<K> {
    map: HashMap<K, Bucket>,
    swept: Option<Instant>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl<K: Hash + Eq> Limiter<K> {
    /// A limiter allowing `rate` per second with bursts of `burst` (`rate <= 0`: unlimited).
    pub fn new(rate: f64, burst: f64) -> Self {
        Limiter {
            rate,
            burst: if burst.is_finite() {
                burst.max(1.0)
            } else {
                1.0
            },
            state: Mutex::new(Buckets {
                map: HashMap::new(),
                swept: None,
            }),
        }
    }

    fn enabled(&self) -> bool {
        self.rate.is_finite() && self.rate > 0.0
    }

    /// Takes one unit from `key`'s bucket at `now`, or says how long until one is available.
    pub fn check_with<Q>(
        &self,
        key: &Q,
        now: Instant,
        owned: impl FnOnce(&Q) -> K,
    ) -> Result<(), Duration>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if !self.enabled() {
            return Ok(());
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.map.len() >= MAX_BUCKETS
            || st
                .swept
                .is_none_or(|t| now.saturating_duration_since(t) > Duration::from_secs(60))
        {
            self.sweep(&mut st, now);
        }
        let (rate, burst) = (self.rate, self.burst);
        let b = match st.map.get_mut(key) {
            Some(b) => b,
            None => st.map.entry(owned(key)).or_insert(Bucket {
                tokens: burst,
                at: now,
            }),
        };
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate))
        }
    }

    /// Drops the buckets that have refilled completely; if still too many, the least recently
    /// used half.
    fn sweep(&self, st: &mut Buckets<K>, now: Instant) {
        st.swept = Some(now);
        let (rate, burst) = (self.rate, self.burst);
        st.map.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
        });
        if st.map.len() >= MAX_BUCKETS {
            let mut ats: Vec<Instant> = st.map.values().map(|b| b.at).collect();
            ats.sort_unstable();
            let cut = ats[ats.len() / 2];
            st.map.retain(|_, b| b.at > cut);
        }
    }

    /// Buckets held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.map.len()).unwrap_or(0)
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Per-address rate limit: 429 `rate_limited` with `Retry-After` when the client's bucket is
/// empty. Requests without a peer address (an app driven in-process, as in tests) pass.
pub async fn rate_limit_by_address(
    State(s): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = addr {
        if let Err(wait) = s.0.access.check_address(ip) {
            return too_many(wait);
        }
    }
    next.run(req).await
}

/// A 429 answer with `Retry-After` (whole seconds, at least 1).
pub fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut r = ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests; retry in {secs} s"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Caller, ApiError> {
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let Some(v) = values.next() else {
            return Ok(Caller::public());
        };
        let bad = |why: &str| {
            ApiError::bad_request(format!(
                "malformed Authorization header: {why}; send `Authorization: Bearer <token>`"
            ))
            .field("Authorization")
        };
        if values.next().is_some() {
            return Err(bad("more than one was sent"));
        }
        let text = v.to_str().map_err(|_| bad("not visible ASCII"))?;
        let (scheme, token) = text
            .trim()
            .split_once(' ')
            .ok_or_else(|| bad("no token after the scheme"))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(bad("the scheme must be Bearer"));
        }
        let token = token.trim();
        if token.is_empty() || token.contains(char::is_whitespace) {
            return Err(bad("the token is empty or has spaces"));
        }
        if s.0.access.tokens().is_shared() {
            // A PostgreSQL round trip (or, when the database is unreachable, up to the connect
            // timeout) must not hold a runtime worker that public requests need.
            let (st, token) = (s.clone(), token.to_string());
            return tokio::task::spawn_blocking(move || st.0.access.authenticate(&token))
                .await
                .map_err(ApiError::internal)?;
        }
        s.0.access.authenticate(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_and_say_how_long_to_wait() {
        let l: Limiter<String> = Limiter::new(2.0, 3.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check_with("k", t0, |k| k.to_string()).is_ok());
        }
        let wait = l.check_with("k", t0, |k| k.to_string()).unwrap_err();
        assert!(wait <= Duration::from_millis(500) && wait > Duration::ZERO);
        // Another key has its own bucket.
        assert!(l.check_with("other", t0, |k| k.to_string()).is_ok());
        // Half a second refills one unit at 2/s.
        let t1 = t0 + Duration::from_millis(500);
        assert!(l.check_with("k", t1, |k| k.to_string()).is_ok());
        assert!(l.check_with("k", t1, |k| k.to_string()).is_err());
        // Disabled when the rate is 0.
        let off: Limiter<String> = Limiter::new(0.0, 1.0);
        for _ in 0..100 {
            assert!(off.check_with("k", t0, |k| k.to_string()).is_ok());
        }
    }

    #[test]
    fn idle_buckets_are_evicted_and_memory_stays_bounded() {
        let l: Limiter<u64> = Limiter::new(1000.0, 2.0);
        let t0 = Instant::now();
        for k in 0..(MAX_BUCKETS as u64 + 10) {
            assert!(l.check_with(&k, t0, |k| *k).is_ok());
        }
        assert!(l.len() <= MAX_BUCKETS, "{}", l.len());
        // A minute later every bucket has refilled: the sweep drops them all but the new one.
        let t1 = t0 + Duration::from_secs(61);
        assert!(l.check_with(&u64::MAX, t1, |k| *k).is_ok());
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn token_lines_show_times_in_utc() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_742_299_200), "2025-03-18T12:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        let t = TokenInfo {
            id: "0123456789abcdef".into(),
            party: "ua".into(),
            role: Role::Belligerent,
            label: "liaison".into(),
            created_unix: 1_742_299_200,
            revoked_unix: Some(1_742_299_260),
        };
        let line = t.to_string();
        assert!(line.starts_with("0123456789abcdef  ua"), "{line}");
        assert!(line.contains("belligerent") && line.contains("created 2025-03-18T12:00:00Z"));
        assert!(line.contains("REVOKED 2025-03-18T12:01:00Z") && line.ends_with("liaison"));
    }

    use crate::pgdb::testdirs::{self, TestDir};

    #[test]
    fn tokens_are_stored_hashed_listed_and_revoked_in_sqlite() {
        let d = testdirs::sqlite();
        tokens_are_stored_hashed_listed_and_revoked(&d);
        assert!(d.dir.path().join("access.db").is_file());
    }

    #[test]
    fn tokens_are_stored_hashed_listed_and_revoked_in_postgres() {
        let d = testdirs::postgres();
        tokens_are_stored_hashed_listed_and_revoked(&d);
        assert!(!d.dir.path().join("access.db").exists());
        assert!(!d.dir.path().join("restricted.db").exists());
    }

    fn tokens_are_stored_hashed_listed_and_revoked(d: &TestDir) {
        let a = Access::open(d.dir.path(), &Config::default()).unwrap();
        assert!(a.list().unwrap().is_empty());
        let (token, id) = a
            .create_token("ua", Role::Belligerent, "liaison", 100)
            .unwrap();
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() == TOKEN_PREFIX.len() + 43);
        let raw = d.raw("access.db", "truce_access_tokens");
        assert!(raw.windows(id.len()).any(|w| w == id.as_bytes()));
        assert!(!raw.windows(token.len()).any(|w| w == token.as_bytes()));
        let c = a.authenticate(&token).unwrap();
        assert_eq!(c.party.as_ref().map(Id::as_str), Some("ua"));
        assert_eq!(c.role, Some(Role::Belligerent));
        let list = a.list().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].id.as_str(), list[0].label.as_str()),
            (id.as_str(), "liaison")
        );
        a.revoke(&id).unwrap();
        assert_eq!(a.authenticate(&token).unwrap_err().code, "unauthorized");
        assert!(matches!(a.revoke(&id), Err(AccessError::AlreadyRevoked(_))));
        assert!(matches!(
            a.revoke("nope"),
            Err(AccessError::UnknownToken(_))
        ));
        assert!(a.authenticate("truce_nope").is_err());
        assert!(matches!(
            a.create_token("Not An Id", Role::Monitor, "", 0),
            Err(AccessError::BadParty(_))
        ));
        assert!(a.list().unwrap()[0].revoked_unix.is_some());
        // Opened again (a second process, or a restart), the store has the same tokens.
        let again = Access::open(d.dir.path(), &Config::default()).unwrap();
        assert_eq!(again.list().unwrap(), a.list().unwrap());
        let (t2, _) = again
            .create_token("ru", Role::Belligerent, "", 101)
            .unwrap();
        assert_eq!(
            a.authenticate(&t2).unwrap().party.as_ref().map(Id::as_str),
            Some("ru")
        );
        let list = a.list().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].created_unix, 101);
        assert_eq!(list[1].revoked_unix, None);
    }
}
