//! The log over HTTP, exactly as C2SP tlog-tiles publishes it, plus JSON proofs.
//!
//! | endpoint | answer | `Cache-Control` |
//! |---|---|---|
//! | `GET /checkpoint` | the latest signed checkpoint note (from memory), `text/plain; charset=utf-8` | `no-cache` |
//! | `GET /tile/<L>/<N>` | full hash tile, 8,192 bytes, `application/octet-stream` | `public, max-age=31536000, immutable` |
//! | `GET /tile/<L>/<N>.p/<W>` | the first `W` hashes of the stored tile | `public, max-age=60` |
//! | `GET /tile/entries/<N>[.p/<W>]` | entry bundle (the first `W` entries of the stored one) | as for hash tiles |
//! | `GET /v1/entries/{index}` | one entry's exact bytes, `application/octet-stream` | `public, max-age=31536000, immutable` |
//! | `GET /v1/proof/inclusion?index=I[&size=S]` | JSON `{index, size, root, proof, checkpoint}` | `no-cache`, or `public, max-age=3600` with `size` |
//! | `GET /v1/proof/consistency?old=A[&new=B]` | JSON `{old, new, proof, checkpoint_old, checkpoint_new}` | `no-cache`, or `public, max-age=3600` with `new` |
//! | `GET /v1/proof/tlog?index=I[&size=S]` | a `c2sp.org/tlog-proof@v1` file, `text/plain; charset=utf-8` | as inclusion |
//!
//! Tile paths are parsed from the raw request path with [`truce_log::parse_tile_path`], which
//! accepts the canonical form only: no percent-decoding happens, so `..`, `%2e%2e`, encoded
//! slashes, leading zeros and `x` misuse are all refused (400) before anything is read. A tile is
//! served only if the tree holds it: a full tile once its 256 hashes exist, a `.p/<W>` tile when
//! the tree has at least `W` hashes in it (served as a prefix of the widest stored version, as
//! storage keeps only that); anything beyond the tree is 404. Storage is read only for tiles
//! inside the tree, on the blocking pool; what was served is kept in a [`TileCache`] (64 MiB per
//! router), as a tile path's content never changes.
//!
//! Proofs are made against stored checkpoints only (every checkpoint is kept): a size at which
//! no checkpoint was signed is 404. Hashes are base64, as in checkpoints and tlog-proof files.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Extension, Json, Router};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use truce_log::{parse_tile_path, SignedCheckpoint, TileKind, TilePath, TILE_WIDTH};
use truce_store::DynStorage;
use truce_store::{LogReader, LogStorage, Tiles};

/// `Content-Type` of the checkpoint and of tlog-proof files.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// `Content-Type` of tiles, entry bundles and entries.
pub const OCTET_STREAM: &str = "application/octet-stream";
/// `Cache-Control` of immutable resources (full tiles and bundles, single entries).
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of partial tiles and bundles (short-lived).
pub const CACHE_PARTIAL: &str = "public, max-age=60";
/// `Cache-Control` of the checkpoint and of proofs against the latest checkpoint: tlog-tiles asks
/// that the checkpoint not be cached beyond a few seconds.
pub const CACHE_LATEST: &str = "no-cache";
/// `Cache-Control` of proofs against a stated size (fixed, but the stored note may later carry
/// cosignatures).
pub const CACHE_STATED: &str = "public, max-age=3600";

/// Longest request path looked at; every valid tile path is far shorter.
const MAX_PATH: usize = 128;

/// Bytes of tiles and bundles kept in memory by each router (see [`TileCache`]).
pub const TILE_CACHE_BYTES: usize = 64 << 20;

/// The routes of this module. Each call has its own [`TileCache`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkpoint", only_get(get(checkpoint)))
        .route("/v1/witnesses", only_get(get(witnesses)))
        .route("/tile/{*path}", only_get(get(tile)))
        .route("/v1/entries/{index}", only_get(get(entry)))
        .route("/v1/entries/{index}/known-by", only_get(get(known_by)))
        .route("/v1/proof/inclusion", only_get(get(inclusion)))
        .route("/v1/proof/consistency", only_get(get(consistency)))
        .route("/v1/proof/tlog", only_get(get(tlog_proof)))
        .layer(Extension(Arc::new(TileCache::new(TILE_CACHE_BYTES))))
}

/// Tiles and bundles already served, kept in memory up to a byte budget (oldest out first).
///
/// Whatever a tile path names never changes once the tree holds it — a `.p/<W>` path too: it is
/// the first `W` hashes of a tile that only grows — so a cached answer is never stale, and a hit
/// is answered without the blocking pool or SQLite.
pub struct TileCache {
    budget: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    map: HashMap<TilePath, Bytes>,
    order: VecDeque<TilePath>,
    bytes: usize,
}

impl TileCache {
    /// An empty cache holding at most `budget` bytes of tiles.
    pub fn new(budget: usize) -> TileCache {
        TileCache {
            budget,
            inner: Mutex::new(CacheInner::default()),
        }
    }

    fn get(&self, t: &TilePath) -> Option<Bytes> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.map.get(t).cloned()
    }

    fn insert(&self, t: TilePath, data: Bytes) {
        if data.len() > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.map.contains_key(&t) {
            return;
        }
        while inner.bytes + data.len() > self.budget {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(d) = inner.map.remove(&old) {
                inner.bytes -= d.len();
            }
        }
        inner.bytes += data.len();
        inner.order.push_back(t);
        inner.map.insert(t, data);
    }
}

/// Answers other methods on these paths with 405 in the JSON error shape.
fn only_get(m: MethodRouter<AppState>) -> MethodRouter<AppState> {
    m.fallback(|method: Method| async move {
        let mut r = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed here: the log's endpoints are read with GET"),
        )
        .into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    })
}

fn bytes(content_type: &'static str, cache: &'static str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

fn json<T: Serialize>(cache: &'static str, value: T) -> Response {
    let mut r = Json(value).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

/// `GET /checkpoint`: the published checkpoint (with witnesses, the latest witnessed one and its
/// cosignatures), from memory.
async fn checkpoint(State(s): State<AppState>) -> Response {
    bytes(TEXT_PLAIN, CACHE_LATEST, s.published_checkpoint().1)
}

/// `GET /v1/witnesses`: each configured witness and what it last cosigned.
async fn witnesses(State(s): State<AppState>) -> Response {
    let w = &s.0.witnessing;
    json(
        CACHE_LATEST,
        serde_json::json!({
            "published_size": s.published_checkpoint().0,
            "latest_size": s.checkpoint().size,
            "witnesses": w.statuses(),
        }),
    )
}

/// How many hashes (entries for bundles) the tree of `size` entries has at the tile's level.
fn level_count(kind: TileKind, size: u64) -> u64 {
    match kind {
        TileKind::Entries => size,
        TileKind::Hash(l) => size.checked_shr(8 * u32::from(l)).unwrap_or(0),
    }
}

/// Whether the tree of `size` entries holds tile `t` at its width.
fn in_tree(t: &TilePath, size: u64) -> bool {
    t.n.checked_mul(TILE_WIDTH)
        .and_then(|start| start.checked_add(u64::from(t.width)))
        .is_some_and(|end| end <= level_count(t.kind, size))
}

/// The size of the latest checkpoint in storage, read from its size line (no signature check:
/// it only bounds what is served, and the writer stored it after signing it).
fn stored_size(r: &LogReader<DynStorage>) -> Result<u64, ApiError> {
    let note = r
        .storage()
        .latest_checkpoint()?
        .ok_or_else(|| ApiError::internal("the log has no checkpoint"))?;
    std::str::from_utf8(&note)
        .ok()
        .and_then(|t| t.lines().nth(1))
        .and_then(|l| l.parse().ok())
        .ok_or_else(|| ApiError::internal("the latest checkpoint has no valid size line"))
}

/// The tree size to answer with: the in-memory checkpoint's if it suffices, else (another
/// writer, or a commit not yet published in memory) the latest stored one.
fn size_covering(
    r: &LogReader<DynStorage>,
    known: u64,
    covers: impl Fn(u64) -> bool,
) -> Result<u64, ApiError> {
    if covers(known) {
        Ok(known)
    } else {
        stored_size(r)
    }
}

/// Byte length of the first `w` entries of an entry bundle, or `None` if it holds fewer.
fn bundle_prefix(bundle: &[u8], w: usize) -> Option<usize> {
    let mut at = 0usize;
    for _ in 0..w {
        let len = bundle.get(at..at + 2)?;
        at += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        if at > bundle.len() {
            return None;
        }
    }
    Some(at)
}

/// `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]`.
async fn tile(
    State(s): State<AppState>,
    Extension(cache): Extension<Arc<TileCache>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let raw = uri.path().strip_prefix('/').unwrap_or_default();
    if raw.len() > MAX_PATH {
        return Err(ApiError::bad_request(format!(
            "the path is {} bytes long; a C2SP tile path is at most a few dozen",
            raw.len()
        ))
        .field("path"));
    }
    let t = parse_tile_path(raw).map_err(|e| {
        ApiError::bad_request(format!(
            "{e}; tiles are tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>], with L in 0..63, N \
             in three-digit groups (1234067 = x001/x234/067) and W in 1..255, without encoding"
        ))
        .field("path")
    })?;
    let partial = u64::from(t.width) != TILE_WIDTH;
    let cache_control = if partial {
        CACHE_PARTIAL
    } else {
        CACHE_IMMUTABLE
    };
    if let Some(data) = cache.get(&t) {
        return Ok(bytes(OCTET_STREAM, cache_control, data));
    }
    let known = s.checkpoint().size;
    let body = s
        .read(move |r| {
            let size = size_covering(r, known, |size| in_tree(&t, size))?;
            if !in_tree(&t, size) {
                let have = level_count(t.kind, size);
                let what = match t.kind {
                    TileKind::Entries => "entries".to_string(),
                    TileKind::Hash(l) => format!("hashes at level {l}"),
                };
                let hint = if partial || have / TILE_WIDTH > t.n {
                    String::new()
                } else if have / TILE_WIDTH == t.n && !have.is_multiple_of(TILE_WIDTH) {
                    let mut p = t;
                    p.width = (have % TILE_WIDTH) as u16;
                    format!("; this tile is partial: /{}", p.to_path())
                } else {
                    String::new()
                };
                return Err(ApiError::not_found(format!(
                    "/{} is beyond the tree: the log's {size} entries make {have} {what}{hint}",
                    t.to_path()
                )));
            }
            let w = usize::from(t.width);
            let missing = || {
                ApiError::internal(format!(
                    "{} is within the tree of size {size} but storage lacks it",
                    t.to_path()
                ))
            };
            match t.kind {
                TileKind::Hash(l) => {
                    let mut data = r.storage().read_tile(l, t.n)?.ok_or_else(missing)?;
                    if data.len() < w * 32 {
                        return Err(missing());
                    }
                    data.truncate(w * 32);
                    Ok(data)
                }
                TileKind::Entries => {
                    let mut data = r.storage().read_bundle(t.n)?.ok_or_else(missing)?;
                    let end = bundle_prefix(&data, w).ok_or_else(missing)?;
                    data.truncate(end);
                    Ok(data)
                }
            }
        })
        .await?;
    let body = Bytes::from(body);
    cache.insert(t, body.clone());
    Ok(bytes(OCTET_STREAM, cache_control, body))
}

/// Parses a canonical decimal `u64` (no sign, no leading zeros, no encoding).
fn parse_u64(name: &str, v: &str) -> Result<u64, ApiError> {
    let shown: String = v.chars().take(32).collect();
    let canonical =
        !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && (v == "0" || !v.starts_with('0'));
    if !canonical {
        return Err(ApiError::bad_request(format!(
            "{name} must be a decimal integer without sign or leading zeros, not {shown:?}"
        ))
        .field(name));
    }
    v.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "{name} {shown} is too large (at most {})",
            u64::MAX
        ))
        .field(name)
    })
}

/// The numeric query parameters of a proof request; unknown and repeated ones are refused.
struct Params(Vec<(&'static str, u64)>);

impl Params {
    fn parse(query: Option<&str>, allowed: &[&'static str]) -> Result<Params, ApiError> {
        let mut out: Vec<(&'static str, u64)> = Vec::new();
        for pair in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let Some(name) = allowed.iter().find(|a| **a == k) else {
                let shown: String = k.chars().take(32).collect();
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {shown:?}; this endpoint takes {}",
                    allowed.join(", ")
                ))
                .field(shown));
            };
            if out.iter().any(|(n, _)| n == name) {
                return Err(ApiError::bad_request(format!("{name} is given twice")).field(*name));
            }
            out.push((name, parse_u64(name, v)?));
        }
        Ok(Params(out))
    }

    fn get(&self, name: &str) -> Option<u64> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    fn required(&self, name: &'static str) -> Result<u64, ApiError> {
        self.get(name).ok_or_else(|| {
            ApiError::bad_request(format!("the {name} parameter is required")).field(name)
        })
    }
}

/// The checkpoint of exactly `size` entries: the in-memory latest one, else the stored one with
/// its signature checked; 404 naming `field` if none was signed at that size.
fn checkpoint_at(
    r: &LogReader<DynStorage>,
    known: &SignedCheckpoint,
    size: u64,
    field: &'static str,
) -> Result<SignedCheckpoint, ApiError> {
    if size == known.size {
        return Ok(known.clone());
    }
    let latest = stored_size(r)?;
    if size > latest {
        return Err(ApiError::not_found(format!(
            "{field} {size} is beyond the log's current size {latest}"
        ))
        .field(field));
    }
    match r.storage().checkpoint_at(size)? {
        Some(note) => truce_log::open_checkpoint(&note, r.verifier()).map_err(ApiError::internal),
        None => Err(ApiError::not_found(format!(
            "no checkpoint was signed at size {size}: proofs are made against signed checkpoints \
             only (every one is kept; the latest is {latest}, at GET /checkpoint)"
        ))
        .field(field)),
    }
}

/// The checkpoint of `size` and the inclusion proof of entry `index` in its tree.
fn prove_inclusion(
    r: &LogReader<DynStorage>,
    known: &SignedCheckpoint,
    index: u64,
    size: u64,
) -> Result<(SignedCheckpoint, Vec<truce_log::Hash>), ApiError> {
    let cp = checkpoint_at(r, known, size, "size")?;
    if index >= size {
        let latest = known.size.max(stored_size(r)?);
        return Err(if index >= latest {
            ApiError::not_found(format!(
                "no entry at index {index}: the log has {latest} entries (0..{})",
                latest.saturating_sub(1)
            ))
        } else {
            ApiError::bad_request(format!(
                "index {index} is not in the tree of size {size}; use a size above {index}"
            ))
        }
        .field("index"));
    }
    let proof = truce_log::prove_inclusion(&Tiles(r.storage()), None, index, size)
        .map_err(ApiError::internal)?;
    Ok((cp, proof))
}

fn b64(hashes: &[truce_log::Hash]) -> Vec<String> {
    hashes.iter().map(|h| h.to_string()).collect()
}

/// An inclusion proof, as served.
#[derive(Debug, Serialize)]
pub struct InclusionProof {
    /// The entry's index.
    pub index: u64,
    /// The tree size the proof leads to.
    pub size: u64,
    /// The root hash of that tree (base64).
    pub root: String,
    /// The RFC 6962 proof hashes, leaf to root (base64).
    pub proof: Vec<String>,
    /// The signed checkpoint note of that size.
    pub checkpoint: String,
}

/// A consistency proof, as served.
#[derive(Debug, Serialize)]
pub struct ConsistencyProof {
    /// The older tree size.
    pub old: u64,
    /// The newer tree size.
    pub new: u64,
    /// The RFC 6962 proof hashes (base64).
    pub proof: Vec<String>,
    /// The signed checkpoint note of the older size.
    pub checkpoint_old: String,
    /// The signed checkpoint note of the newer size.
    pub checkpoint_new: String,
}

/// `GET /v1/proof/inclusion?index=I[&size=S]`.
async fn inclusion(State(s): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref(), &["index", "size"])?;
    let index = p.required("index")?;
    let stated = p.get("size");
    let known = s.checkpoint();
    let size = stated.unwrap_or(known.size);
    let proof = s
        .read(move |r| {
            let (cp, proof) = prove_inclusion(r, &known, index, size)?;
            Ok(InclusionProof {
                index,
                size,
                root: cp.root.to_string(),
                proof: b64(&proof),
                checkpoint: cp.note_text(),
            })
        })
        .await?;
    Ok(json(
        if stated.is_some() {
            CACHE_STATED
        } else {
            CACHE_LATEST
        },
        proof,
    ))
}

/// `GET /v1/proof/consistency?old=A[&new=B]` (`new` defaults to the latest size).
async fn consistency(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref(), &["old", "new"])?;
    let old = p.required("old")?;
    let stated = p.get("new");
    let known = s.checkpoint();
    let new = stated.unwrap_or(known.size);
    if old > new {
        return Err(ApiError::bad_request(format!(
            "old {old} is larger than new {new}: a consistency proof goes from an older tree to a newer one"
        ))
        .field("old"));
    }
    let proof = s
        .read(move |r| {
            let cp_new = checkpoint_at(r, &known, new, "new")?;
            let cp_old = checkpoint_at(r, &known, old, "old")?;
            let proof = truce_log::prove_consistency(&Tiles(r.storage()), None, old, new)
                .map_err(ApiError::internal)?;
            Ok(ConsistencyProof {
                old,
                new,
                proof: b64(&proof),
                checkpoint_old: cp_old.note_text(),
                checkpoint_new: cp_new.note_text(),
            })
        })
        .await?;
    Ok(json(
        if stated.is_some() {
            CACHE_STATED
        } else {
            CACHE_LATEST
        },
        proof,
    ))
}

/// `GET /v1/proof/tlog?index=I[&size=S]`: a `c2sp.org/tlog-proof@v1` file.
async fn tlog_proof(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref(), &["index", "size"])?;
    let index = p.required("index")?;
    let stated = p.get("size");
    let known = s.checkpoint();
    // Without a stated size, prove against the published (witnessed) checkpoint when it holds
    // the entry, so the proof carries the witnesses' cosignatures.
    let (published_size, published) = s.published_checkpoint();
    let size = stated.unwrap_or(if index < published_size {
        published_size
    } else {
        known.size
    });
    let text = s
        .read(move |r| {
            let (cp, hashes) = prove_inclusion(r, &known, index, size)?;
            let note = if size == published_size && same_body(&published, &cp.note) {
                published
            } else {
                cp.note
            };
            Ok(truce_log::TlogProof {
                extra: None,
                index,
                hashes,
                checkpoint: note,
            }
            .encode())
        })
        .await?;
    let cache = if stated.is_some() {
        CACHE_STATED
    } else {
        CACHE_LATEST
    };
    Ok(bytes(TEXT_PLAIN, cache, text))
}

/// Whether two signed notes have the same text (they may differ in signatures).
fn same_body(a: &[u8], b: &[u8]) -> bool {
    let body = |n: &[u8]| {
        truce_log::cosignature::parse_note(n)
            .ok()
            .map(|(b, _)| b.to_vec())
    };
    body(a).is_some() && body(a) == body(b)
}

/// `GET /v1/entries/{index}`: one entry's exact bytes.
async fn entry(State(s): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let raw = uri.path().strip_prefix("/v1/entries/").unwrap_or_default();
    let index = parse_u64("index", raw)?;
    let body = entry_bytes(&s, index).await?;
    Ok(bytes(OCTET_STREAM, CACHE_IMMUTABLE, body))
}

/// The exact bytes of entry `index` of the log as of the served checkpoint.
async fn entry_bytes(s: &AppState, index: u64) -> Result<Vec<u8>, ApiError> {
    let known = s.checkpoint().size;
    s.read(move |r| {
        let size = size_covering(r, known, |size| index < size)?;
        if index >= size {
            return Err(ApiError::not_found(format!(
                "no entry at index {index}: the log has {size} entries"
            ))
            .field("index"));
        }
        let n = index / TILE_WIDTH;
        let missing = || {
            ApiError::internal(format!(
                "entry {index} is within the tree of size {size} but storage lacks it"
            ))
        };
        let bundle = r.storage().read_bundle(n)?.ok_or_else(missing)?;
        let i = (index % TILE_WIDTH) as usize;
        let start = bundle_prefix(&bundle, i).ok_or_else(missing)?;
        let end = bundle_prefix(&bundle, i + 1).ok_or_else(missing)?;
        Ok(bundle[start + 2..end].to_vec())
    })
    .await
}

/// `GET /v1/entries/{index}/known-by`: when the log knew the entry (its known-by interval from
/// the witnessing rounds logged around it) against its stated time; the JSON of `truce log
/// known-by`.
async fn known_by(State(s): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let raw = uri
        .path()
        .strip_prefix("/v1/entries/")
        .and_then(|p| p.strip_suffix("/known-by"))
        .unwrap_or_default();
    let index = parse_u64("index", raw)?;
    let e = entry_bytes(&s, index).await?;
    let env = truce_model::decode(&e).ok();
    let limits = s.0.config.gate_limits();
    let t = {
        let ledger = s.0.ledger.read().unwrap_or_else(|p| p.into_inner());
        truce_model::witnessed::EntryTime::new(
            &ledger.time,
            index,
            env.as_ref().map(|e| e.kind.as_str()),
            env.as_ref().map(|e| e.time),
            &limits,
        )
    };
    Ok(axum::Json(t).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_in_tree_follow_the_spec_example() {
        // tlog-tiles: a tree of 70,000 has 273 full level-0 tiles, a partial one of width 112, one
        // full level-1 tile, a partial one of width 17 and a partial level-2 tile of width 1.
        let t = |kind, n, width| TilePath { kind, n, width };
        let size = 70_000;
        assert!(in_tree(&t(TileKind::Hash(0), 272, 256), size));
        assert!(!in_tree(&t(TileKind::Hash(0), 273, 256), size));
        assert!(in_tree(&t(TileKind::Hash(0), 273, 112), size));
        assert!(in_tree(&t(TileKind::Hash(0), 273, 5), size));
        assert!(!in_tree(&t(TileKind::Hash(0), 273, 113), size));
        assert!(in_tree(&t(TileKind::Hash(1), 0, 256), size));
        assert!(in_tree(&t(TileKind::Hash(1), 1, 17), size));
        assert!(!in_tree(&t(TileKind::Hash(1), 1, 18), size));
        assert!(in_tree(&t(TileKind::Hash(2), 0, 1), size));
        assert!(!in_tree(&t(TileKind::Hash(2), 0, 2), size));
        assert!(!in_tree(&t(TileKind::Hash(3), 0, 1), size));
        assert!(!in_tree(&t(TileKind::Hash(63), 0, 1), u64::MAX));
        assert!(in_tree(&t(TileKind::Hash(7), 0, 255), u64::MAX));
        assert!(!in_tree(&t(TileKind::Entries, u64::MAX, 1), u64::MAX));
        assert!(in_tree(&t(TileKind::Entries, 273, 112), size));
    }

    #[test]
    fn the_tile_cache_keeps_to_its_budget_oldest_out_first() {
        let t = |n| TilePath {
            kind: TileKind::Hash(0),
            n,
            width: 256,
        };
        let c = TileCache::new(100);
        c.insert(t(0), Bytes::from(vec![0u8; 40]));
        c.insert(t(1), Bytes::from(vec![1u8; 40]));
        c.insert(t(1), Bytes::from(vec![9u8; 40])); // already there: unchanged
        assert_eq!(c.get(&t(1)).unwrap()[0], 1);
        c.insert(t(2), Bytes::from(vec![2u8; 40])); // evicts tile 0
        assert!(c.get(&t(0)).is_none());
        assert_eq!(c.get(&t(2)).unwrap().len(), 40);
        c.insert(t(3), Bytes::from(vec![3u8; 101])); // larger than the budget: not kept
        assert!(c.get(&t(3)).is_none());
        assert!(c.get(&t(1)).is_some());
        let inner = c.inner.lock().unwrap();
        assert_eq!(
            (inner.bytes, inner.map.len(), inner.order.len()),
            (80, 2, 2)
        );
    }

    #[test]
    fn bundle_prefixes() {
        let mut b = Vec::new();
        for e in [&b"ab"[..], b"", b"xyz"] {
            truce_log::encode_bundle_into(&mut b, e).unwrap();
        }
        assert_eq!(bundle_prefix(&b, 0), Some(0));
        assert_eq!(bundle_prefix(&b, 1), Some(4));
        assert_eq!(bundle_prefix(&b, 2), Some(6));
        assert_eq!(bundle_prefix(&b, 3), Some(11));
        assert_eq!(bundle_prefix(&b, 4), None);
        assert_eq!(bundle_prefix(&b[..10], 3), None);
    }

    #[test]
    fn numbers_are_canonical() {
        assert_eq!(parse_u64("i", "0").unwrap(), 0);
        assert_eq!(parse_u64("i", "18446744073709551615").unwrap(), u64::MAX);
        for bad in [
            "",
            "01",
            "+1",
            "-1",
            "1e3",
            " 1",
            "%31",
            "18446744073709551616",
            "0x10",
        ] {
            let e = parse_u64("i", bad).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(e.field.as_deref(), Some("i"));
        }
        let p = Params::parse(Some("index=3&size=7"), &["index", "size"]).unwrap();
        assert_eq!((p.get("index"), p.get("size")), (Some(3), Some(7)));
        for bad in ["index=1&index=2", "idx=1", "index", "index=1&size="] {
            assert!(
                Params::parse(Some(bad), &["index", "size"]).is_err(),
                "{bad}"
            );
        }
    }
}
