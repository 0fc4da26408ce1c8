//! The C2SP tlog-tiles endpoints and proofs over `app(state)`, without a socket: a log built with
//! the library, then everything a mirror, a verifier and an attacker would ask of it.

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use signed_note::StandardVerifier;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tower::ServiceExt;
use truce_log::{
    decode_bundle, entries_path, node_hash, open_checkpoint, parse_verifier, record_hash,
    tile_path, verify_consistency, verify_inclusion, Hash, TileSource, TlogProof, TILE_WIDTH,
};
use truce_server::{app, AppState, Config};
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, LogStorage, Sequencer};

const ORIGIN: &str = "example.org/truce-log-api-test";
/// Batch sizes: checkpoints at 1, 256, 300, 1000, 66000 and 69700 (plus the empty one at 0), so
/// the latest tree has partial tiles at levels 0 (width 68), 1 (width 16) and 2 (width 1).
const BATCHES: [usize; 6] = [1, 255, 44, 700, 65_000, 3_700];
const BIG: usize = 777;

/// The log every test copies: entries, checkpoint sizes, verifier key text and its directory.
struct Template {
    _dir: tempfile::TempDir,
    path: PathBuf,
    entries: Vec<Vec<u8>>,
    sizes: Vec<u64>,
    vkey: String,
}

fn entry_bytes(i: usize) -> Vec<u8> {
    match i {
        3 => Vec::new(),
        BIG => vec![b'z'; 65_535],
        _ => format!("entry {i} {}", "x".repeat(i % 61)).into_bytes(),
    }
}

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let key = truce_log::generate_key(&mut rand_core::OsRng, ORIGIN).unwrap();
        keyfile::write_new(&dir.path().join("log.key"), &key.signer, 0o600).unwrap();
        keyfile::write_new(&dir.path().join("log.vkey"), &key.verifier, 0o600).unwrap();
        let storage = SqliteStorage::open(&dir.path().join("truce.db"), true).unwrap();
        let mut seq = Sequencer::create(storage, ORIGIN, &key.signer).unwrap();
        let mut entries = Vec::new();
        let mut sizes = vec![0];
        for b in BATCHES {
            let batch: Vec<Vec<u8>> = (entries.len()..entries.len() + b)
                .map(entry_bytes)
                .collect();
            let refs: Vec<&[u8]> = batch.iter().map(|e| e.as_slice()).collect();
            let ack = seq.append(&refs).unwrap();
            entries.extend(batch);
            sizes.push(ack.checkpoint.size);
        }
        assert_eq!(*sizes.last().unwrap(), 69_700);
        drop(seq); // the last connection closes: the WAL is checkpointed into truce.db
        Template {
            path: dir.path().to_path_buf(),
            _dir: dir,
            entries,
            sizes,
            vkey: key.verifier,
        }
    })
}

/// A test's own copy of the template log, served by `app`.
struct Served {
    _dir: tempfile::TempDir,
    app: Router,
    t: &'static Template,
    verifier: StandardVerifier,
}

fn serve() -> Served {
    let t = template();
    let dir = tempfile::tempdir().unwrap();
    for f in ["truce.db", "log.key", "log.vkey"] {
        std::fs::copy(t.path.join(f), dir.path().join(f)).unwrap();
    }
    let config = Config {
        rate_per_addr: 1e9,
        rate_burst: 1e9,
        ..Config::default()
    };
    let state = AppState::open(dir.path(), config).unwrap();
    Served {
        _dir: dir,
        app: app(state),
        t,
        verifier: parse_verifier(&t.vkey).unwrap(),
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn request(app: &Router, method: Method, uri: &str) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(SocketAddr::from((
            [127, 0, 0, 1],
            40_000,
        ))));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(app: &Router, uri: &str) -> Answer {
    request(app, Method::GET, uri).await
}

async fn get_ok(app: &Router, uri: &str) -> Answer {
    let a = get(app, uri).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&a.body)
    );
    a
}

fn hashes_of(tile: &[u8]) -> Vec<Hash> {
    assert_eq!(tile.len() % 32, 0);
    tile.chunks(32)
        .map(|c| Hash(c.try_into().unwrap()))
        .collect()
}

/// RFC 6962 MTH over already-hashed leaves.
fn mth(h: &[Hash]) -> Hash {
    match h.len() {
        0 => truce_log::EMPTY_HASH,
        1 => h[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(mth(&h[..k]), mth(&h[k..]))
        }
    }
}

/// Level-`l` tile `n` of width `w` of `entries`, computed from the entries alone.
fn expected_tile(entries: &[Vec<u8>], l: u32, n: u64, w: u64) -> Vec<u8> {
    let span = 256usize.pow(l);
    let mut out = Vec::new();
    for i in 0..w {
        let start = (n * 256 + i) as usize * span;
        let leaves: Vec<&[u8]> = entries[start..start + span]
            .iter()
            .map(|e| e.as_slice())
            .collect();
        out.extend_from_slice(&truce_log::merkle_root(leaves).0);
    }
    out
}

#[tokio::test]
async fn checkpoint_is_the_latest_signed_note_not_cached() {
    let s = serve();
    let a = get_ok(&s.app, "/checkpoint").await;
    assert_eq!(a.header(header::CONTENT_TYPE), "text/plain; charset=utf-8");
    assert_eq!(a.header(header::CACHE_CONTROL), "no-cache");
    let cp = open_checkpoint(&a.body, &s.verifier).unwrap();
    assert_eq!(cp.size, 69_700);
    assert_eq!(cp.origin, ORIGIN);
    let text = String::from_utf8(a.body.clone()).unwrap();
    assert!(text.starts_with(&format!("{ORIGIN}\n69700\n")), "{text}");
    let head = request(&s.app, Method::HEAD, "/checkpoint").await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    let post = request(&s.app, Method::POST, "/checkpoint").await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.json()["error"]["code"], "method_not_allowed");
    assert_eq!(post.header(header::ALLOW), "GET, HEAD");
}

#[tokio::test]
async fn tiles_are_byte_equal_to_what_the_log_core_computes() {
    let s = serve();
    let e = &s.t.entries;
    // (path, level, n, width, full?)
    let cases: [(&str, u32, u64, u64, bool); 9] = [
        ("/tile/0/000", 0, 0, 256, true),
        ("/tile/0/003", 0, 3, 256, true),
        ("/tile/0/271", 0, 271, 256, true),
        ("/tile/0/272.p/68", 0, 272, 68, false),
        ("/tile/0/272.p/5", 0, 272, 5, false),
        ("/tile/0/001.p/44", 0, 1, 44, false), // checkpoint 300's tile, a prefix of the full one
        ("/tile/1/000", 1, 0, 256, true),
        ("/tile/1/001.p/16", 1, 1, 16, false),
        ("/tile/2/000.p/1", 2, 0, 1, false),
    ];
    for (path, l, n, w, full) in cases {
        let a = get_ok(&s.app, path).await;
        assert_eq!(
            a.header(header::CONTENT_TYPE),
            "application/octet-stream",
            "{path}"
        );
        let cache = if full {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=60"
        };
        assert_eq!(a.header(header::CACHE_CONTROL), cache, "{path}");
        assert_eq!(a.body.len() as u64, w * 32, "{path}");
        assert!(
            a.body == expected_tile(e, l, n, w),
            "{path} differs from the log core's"
        );
        assert_eq!(
            &path[1..],
            tile_path(l as u8, n, if full { 0 } else { w as u16 })
        );
    }
    // Entry bundles decode to the appended entries (bundle 3 holds the 65,535-byte entry).
    for (path, n, w) in [
        ("/tile/entries/000", 0u64, 256u64),
        ("/tile/entries/003", 3, 256),
        ("/tile/entries/272.p/68", 272, 68),
        ("/tile/entries/000.p/1", 0, 1),
        ("/tile/entries/001.p/44", 1, 44),
    ] {
        let a = get_ok(&s.app, path).await;
        assert_eq!(a.header(header::CONTENT_TYPE), "application/octet-stream");
        let got = decode_bundle(&a.body).unwrap();
        let start = (n * 256) as usize;
        let want: Vec<&[u8]> = e[start..start + w as usize]
            .iter()
            .map(|x| x.as_slice())
            .collect();
        assert_eq!(got, want, "{path}");
    }
    assert_eq!(
        decode_bundle(&get_ok(&s.app, "/tile/entries/003").await.body).unwrap()[BIG % 256].len(),
        65_535
    );
    // The full version of a partial tile is not there yet; the answer says which one is.
    let a = get(&s.app, "/tile/0/272").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let msg = a.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("/tile/0/272.p/68"), "{msg}");
}

/// Tiles fetched over HTTP, keyed by (level, n), at the width a given tree size needs.
struct Fetched(HashMap<(u8, u64), Vec<u8>>);

impl TileSource for Fetched {
    fn tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, truce_log::LogError> {
        Ok(self.0.get(&(level, n)).cloned())
    }
}

/// Mirrors the tree of `size` entries as a client would: every tile and bundle it needs, each
/// checked against the level below, the entries against level 0, and the root recomputed.
async fn mirror(app: &Router, size: u64) -> (Vec<Vec<u8>>, Hash) {
    let mut tiles = Fetched(HashMap::new());
    let mut level = 0u8;
    while size.checked_shr(8 * u32::from(level)).unwrap_or(0) > 0 {
        let count = size >> (8 * u32::from(level));
        let full = count / TILE_WIDTH;
        let last = (count % TILE_WIDTH) as u16;
        let widths = (0..full)
            .map(|n| (n, 0u16))
            .chain((last > 0).then_some((full, last)));
        for (n, w) in widths {
            let a = get_ok(app, &format!("/{}", tile_path(level, n, w))).await;
            let want = if w == 0 { 256 } else { usize::from(w) };
            assert_eq!(a.body.len(), want * 32);
            if level > 0 {
                // Each hash is the MTH of the full tile below.
                for (i, h) in hashes_of(&a.body).into_iter().enumerate() {
                    let below = &tiles.0[&(level - 1, n * 256 + i as u64)];
                    assert_eq!(below.len(), 8192, "hashes are made of full tiles only");
                    assert_eq!(h, mth(&hashes_of(below)));
                }
            }
            tiles.0.insert((level, n), a.body);
        }
        level += 1;
    }
    let mut entries = Vec::new();
    for n in 0..size.div_ceil(TILE_WIDTH) {
        let w = if (n + 1) * TILE_WIDTH <= size {
            0
        } else {
            (size % TILE_WIDTH) as u16
        };
        let a = get_ok(app, &format!("/{}", entries_path(n, w))).await;
        let bundle = decode_bundle(&a.body).unwrap();
        let leaves = hashes_of(&tiles.0[&(0, n)]);
        assert_eq!(bundle.len(), leaves.len());
        for (e, h) in bundle.iter().zip(leaves) {
            assert_eq!(record_hash(e), h);
            entries.push(e.to_vec());
        }
    }
    let root = truce_log::tree_root(&tiles, None, size).unwrap();
    (entries, root)
}

#[tokio::test]
async fn a_mirror_fetched_over_http_verifies_at_every_checkpoint() {
    let s = serve();
    let cp = open_checkpoint(&get_ok(&s.app, "/checkpoint").await.body, &s.verifier).unwrap();
    let (entries, root) = mirror(&s.app, cp.size).await;
    assert_eq!(
        root, cp.root,
        "the root recomputed from the tiles is the checkpoint's"
    );
    assert!(
        entries == s.t.entries,
        "the mirrored entries are the appended ones"
    );
    // Every earlier checkpoint's tiles (partial ones served as prefixes) lead to its root.
    let storage = SqliteStorage::open(&s._dir.path().join("truce.db"), false).unwrap();
    for &size in &s.t.sizes[1..s.t.sizes.len() - 1] {
        let note = storage.checkpoint_at(size).unwrap().unwrap();
        let old = open_checkpoint(&note, &s.verifier).unwrap();
        let (entries, root) = mirror(&s.app, size).await;
        assert_eq!(root, old.root, "size {size}");
        assert!(entries[..] == s.t.entries[..size as usize]);
    }
}

fn hashes_from_json(v: &serde_json::Value) -> Vec<Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::parse_hash(h.as_str().unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn inclusion_and_consistency_proofs_verify() {
    let s = serve();
    let e = &s.t.entries;
    let cases: [(u64, Option<u64>); 9] = [
        (0, None),
        (BIG as u64, None),
        (69_699, None),
        (0, Some(1)),
        (255, Some(256)),
        (299, Some(300)),
        (100, Some(1000)),
        (65_999, Some(66_000)),
        (12_345, Some(69_700)),
    ];
    for (index, size) in cases {
        let uri = match size {
            Some(sz) => format!("/v1/proof/inclusion?index={index}&size={sz}"),
            None => format!("/v1/proof/inclusion?index={index}"),
        };
        let a = get_ok(&s.app, &uri).await;
        assert_eq!(a.header(header::CONTENT_TYPE), "application/json");
        let cache = if size.is_some() {
            "public, max-age=3600"
        } else {
            "no-cache"
        };
        assert_eq!(a.header(header::CACHE_CONTROL), cache);
        let v = a.json();
        let size = size.unwrap_or(69_700);
        assert_eq!(v["index"], index);
        assert_eq!(v["size"], size);
        let cp =
            open_checkpoint(v["checkpoint"].as_str().unwrap().as_bytes(), &s.verifier).unwrap();
        assert_eq!(cp.size, size);
        let root = Hash::parse_hash(v["root"].as_str().unwrap()).unwrap();
        assert_eq!(root, cp.root);
        let proof = hashes_from_json(&v["proof"]);
        verify_inclusion(&proof, size, root, index, &e[index as usize]).unwrap();
        assert!(verify_inclusion(&proof, size, root, index, b"another entry").is_err());
    }
    let sizes = &s.t.sizes;
    for (i, &old) in sizes.iter().enumerate() {
        for &new in &sizes[i..] {
            let a = get_ok(
                &s.app,
                &format!("/v1/proof/consistency?old={old}&new={new}"),
            )
            .await;
            assert_eq!(a.header(header::CACHE_CONTROL), "public, max-age=3600");
            let v = a.json();
            assert_eq!(
                (v["old"].as_u64(), v["new"].as_u64()),
                (Some(old), Some(new))
            );
            let cp_old = open_checkpoint(
                v["checkpoint_old"].as_str().unwrap().as_bytes(),
                &s.verifier,
            )
            .unwrap();
            let cp_new = open_checkpoint(
                v["checkpoint_new"].as_str().unwrap().as_bytes(),
                &s.verifier,
            )
            .unwrap();
            assert_eq!((cp_old.size, cp_new.size), (old, new));
            let proof = hashes_from_json(&v["proof"]);
            verify_consistency(&proof, old, cp_old.root, new, cp_new.root)
                .unwrap_or_else(|e| panic!("{old} → {new}: {e}"));
        }
    }
    // `new` defaults to the latest checkpoint.
    let a = get_ok(&s.app, "/v1/proof/consistency?old=300").await;
    assert_eq!(a.header(header::CACHE_CONTROL), "no-cache");
    assert_eq!(a.json()["new"], 69_700);
}

#[tokio::test]
async fn tlog_proofs_verify_offline() {
    let s = serve();
    for (index, size) in [(0u64, None), (BIG as u64, Some(1000u64)), (69_000, None)] {
        let uri = match size {
            Some(sz) => format!("/v1/proof/tlog?index={index}&size={sz}"),
            None => format!("/v1/proof/tlog?index={index}"),
        };
        let a = get_ok(&s.app, &uri).await;
        assert_eq!(a.header(header::CONTENT_TYPE), "text/plain; charset=utf-8");
        assert!(a.body.starts_with(b"c2sp.org/tlog-proof@v1\nindex "));
        let p = TlogProof::parse(&a.body).unwrap();
        assert_eq!(p.index, index);
        let cp = p.verify(&s.t.entries[index as usize], &s.verifier).unwrap();
        assert_eq!(cp.size, size.unwrap_or(69_700));
        assert!(p.verify(b"not the entry", &s.verifier).is_err());
    }
}

#[tokio::test]
async fn single_entries_are_served_as_their_exact_bytes() {
    let s = serve();
    for i in [0usize, 3, 255, 256, BIG, 69_699] {
        let a = get_ok(&s.app, &format!("/v1/entries/{i}")).await;
        assert_eq!(a.header(header::CONTENT_TYPE), "application/octet-stream");
        assert_eq!(
            a.header(header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert!(a.body == s.t.entries[i], "entry {i}");
    }
}

fn assert_json_error(a: &Answer, uri: &str) {
    assert_eq!(a.header(header::CONTENT_TYPE), "application/json", "{uri}");
    assert_eq!(a.header(header::CACHE_CONTROL), "no-store", "{uri}");
    let v = a.json();
    assert_eq!(v["error"]["status"], a.status.as_u16(), "{uri}");
    assert!(v["error"]["code"].is_string(), "{uri}");
    assert!(!v["error"]["message"].as_str().unwrap().is_empty(), "{uri}");
    let m = v["error"]["message"].as_str().unwrap();
    assert!(
        !m.contains("/tmp") && !m.contains("SELECT"),
        "{uri}: internals leaked: {m}"
    );
}

#[tokio::test]
async fn bad_paths_and_parameters_are_refused_precisely() {
    let s = serve();
    let long = format!("/tile/0/{}000", "x001/".repeat(200));
    let huge_group = "/tile/0/x999/x999/x999/x999/x999/x999/x999/999";
    const B: StatusCode = StatusCode::BAD_REQUEST;
    const N: StatusCode = StatusCode::NOT_FOUND;
    // (uri, status, field named in the error if any)
    let table: Vec<(&str, StatusCode, Option<&str>)> = vec![
        // traversal and encodings
        ("/tile/../checkpoint", B, Some("path")),
        ("/tile/0/../../truce.db", B, Some("path")),
        ("/tile/entries/../../log.key", B, Some("path")),
        ("/tile/%2e%2e/%2e%2e/truce.db", B, Some("path")),
        ("/tile/%2E%2E/log.key", B, Some("path")),
        ("/tile/0%2F000", B, Some("path")),
        ("/tile/0/000%2F001", B, Some("path")),
        ("/tile/0/%30%30%30", B, Some("path")),
        ("/tile/0/000%00", B, Some("path")),
        ("/tile/0//000", B, Some("path")),
        ("/tile/0/000/", B, Some("path")),
        ("/tile/./0/000", B, Some("path")),
        ("/tile/entries/000.p/5/../../../checkpoint", B, Some("path")),
        // the index's three-digit groups and x
        ("/tile/0/0", B, Some("path")),
        ("/tile/0/0000", B, Some("path")),
        ("/tile/0/00a", B, Some("path")),
        ("/tile/0/-01", B, Some("path")),
        ("/tile/0/x001", B, Some("path")),
        ("/tile/0/001/000", B, Some("path")),
        ("/tile/0/x1/000", B, Some("path")),
        ("/tile/0/x000/001", B, Some("path")),
        ("/tile/0/xx01/000", B, Some("path")),
        ("/tile/0/X001/000", B, Some("path")),
        // levels and other layouts
        ("/tile/00/000", B, Some("path")),
        ("/tile/-1/000", B, Some("path")),
        ("/tile/64/000", B, Some("path")),
        ("/tile/256/000", B, Some("path")),
        ("/tile/8/0/000", B, Some("path")),
        ("/tile/data/000", B, Some("path")),
        ("/tile/entry/000", B, Some("path")),
        // widths
        ("/tile/0/000.p/0", B, Some("path")),
        ("/tile/0/000.p/256", B, Some("path")),
        ("/tile/0/000.p/007", B, Some("path")),
        ("/tile/0/000.p/-1", B, Some("path")),
        ("/tile/0/000.p/", B, Some("path")),
        ("/tile/0/000.p/65536", B, Some("path")),
        ("/tile/0/000.p/99999999999999999999999", B, Some("path")),
        ("/tile/0/000.p/5.p/5", B, Some("path")),
        ("/tile/entries/000.p/0", B, Some("path")),
        // overflowing numbers
        ("/tile/0/x018/x446/x744/x073/x709/x551/616", B, Some("path")),
        (huge_group, B, Some("path")),
        (&long, B, Some("path")),
        // well-formed but beyond the tree
        ("/tile/0/272", N, None),
        ("/tile/0/272.p/69", N, None),
        ("/tile/0/273.p/1", N, None),
        ("/tile/1/001", N, None),
        ("/tile/1/001.p/17", N, None),
        ("/tile/2/000", N, None),
        ("/tile/2/000.p/2", N, None),
        ("/tile/3/000.p/1", N, None),
        ("/tile/63/000", N, None),
        ("/tile/entries/272", N, None),
        ("/tile/entries/272.p/69", N, None),
        ("/tile/entries/x001/000", N, None),
        ("/tile/0/x018/x446/x744/x073/x709/x551/615", N, None),
        (
            "/tile/entries/x018/x446/x744/x073/x709/x551/615.p/255",
            N,
            None,
        ),
        ("/tile/", N, None),
        ("/tiles/0/000", N, None),
        // single entries
        ("/v1/entries/69700", N, Some("index")),
        ("/v1/entries/18446744073709551615", N, Some("index")),
        ("/v1/entries/18446744073709551616", B, Some("index")),
        ("/v1/entries/abc", B, Some("index")),
        ("/v1/entries/-1", B, Some("index")),
        ("/v1/entries/01", B, Some("index")),
        ("/v1/entries/%31", B, Some("index")),
        ("/v1/entries/1.0", B, Some("index")),
        // proof parameters
        ("/v1/proof/inclusion", B, Some("index")),
        ("/v1/proof/inclusion?size=300", B, Some("index")),
        ("/v1/proof/inclusion?index=x", B, Some("index")),
        ("/v1/proof/inclusion?index=", B, Some("index")),
        ("/v1/proof/inclusion?index=1&index=2", B, Some("index")),
        ("/v1/proof/inclusion?index=1&sise=300", B, Some("sise")),
        (
            "/v1/proof/inclusion?index=1&size=18446744073709551616",
            B,
            Some("size"),
        ),
        ("/v1/proof/inclusion?index=69700", N, Some("index")),
        ("/v1/proof/inclusion?index=5&size=1", B, Some("index")),
        ("/v1/proof/inclusion?index=0&size=0", B, Some("index")),
        ("/v1/proof/inclusion?index=0&size=12", N, Some("size")),
        ("/v1/proof/inclusion?index=0&size=69701", N, Some("size")),
        ("/v1/proof/consistency", B, Some("old")),
        ("/v1/proof/consistency?new=300", B, Some("old")),
        ("/v1/proof/consistency?old=300&new=256", B, Some("old")),
        ("/v1/proof/consistency?old=5&new=300", N, Some("old")),
        ("/v1/proof/consistency?old=256&new=301", N, Some("new")),
        ("/v1/proof/consistency?old=0&new=69701", N, Some("new")),
        ("/v1/proof/consistency?old=-1", B, Some("old")),
        ("/v1/proof/tlog?index=x", B, Some("index")),
        ("/v1/proof/tlog?index=0&size=2", N, Some("size")),
        ("/v1/proof/tlog?index=70000", N, Some("index")),
    ];
    for (uri, status, field) in &table {
        let a = get(&s.app, uri).await;
        assert_eq!(
            a.status,
            *status,
            "{uri}: {}",
            String::from_utf8_lossy(&a.body)
        );
        assert_json_error(&a, uri);
        if let Some(f) = field {
            assert_eq!(a.json()["error"]["field"], *f, "{uri}");
        }
    }
    let a = request(&s.app, Method::DELETE, "/tile/0/000").await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_json_error(&a, "DELETE /tile/0/000");
    // Still answering.
    let h = get_ok(&s.app, "/healthz").await;
    assert_eq!(h.body, b"ok\n");
    get_ok(&s.app, "/tile/0/000").await;
}

#[tokio::test]
async fn nothing_outside_the_tile_table_is_read() {
    // A file planted where a filesystem-backed server would look is never served.
    let s = serve();
    let planted: &Path = &s._dir.path().join("tile");
    std::fs::create_dir_all(planted.join("0")).unwrap();
    std::fs::write(planted.join("0").join("999"), b"planted").unwrap();
    let a = get(&s.app, "/tile/0/999").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_json_error(&a, "/tile/0/999");
}

#[tokio::test]
async fn repeated_and_grown_tiles_stay_byte_identical() {
    // A tile is answered from memory the second time; a partial tile's bytes do not change when
    // the tree grows past it; tiles another writer added (beyond the checkpoint in memory) are
    // found in storage.
    let s = serve();
    let before: Vec<Answer> = get_all(
        &s.app,
        &["/tile/0/272.p/68", "/tile/0/000", "/tile/entries/272.p/68"],
    )
    .await;
    let again = get_all(
        &s.app,
        &["/tile/0/272.p/68", "/tile/0/000", "/tile/entries/272.p/68"],
    )
    .await;
    for (a, b) in before.iter().zip(&again) {
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.body, b.body);
        assert_eq!(
            a.header(header::CACHE_CONTROL),
            b.header(header::CACHE_CONTROL)
        );
        assert_eq!(
            a.header(header::CONTENT_TYPE),
            b.header(header::CONTENT_TYPE)
        );
    }
    assert_eq!(
        get(&s.app, "/tile/0/272").await.status,
        StatusCode::NOT_FOUND
    );

    // Another writer appends 300 entries straight to storage.
    let key = keyfile::read(&s._dir.path().join("log.key")).unwrap();
    let storage = SqliteStorage::open(&s._dir.path().join("truce.db"), false).unwrap();
    let mut seq = Sequencer::open(storage, &key).unwrap();
    let more: Vec<Vec<u8>> = (69_700..70_000).map(entry_bytes).collect();
    let refs: Vec<&[u8]> = more.iter().map(|e| e.as_slice()).collect();
    assert_eq!(seq.append(&refs).unwrap().checkpoint.size, 70_000);
    let mut all = s.t.entries.clone();
    all.extend(more);

    let after = get_all(
        &s.app,
        &["/tile/0/272.p/68", "/tile/0/000", "/tile/entries/272.p/68"],
    )
    .await;
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(a.body, b.body);
    }
    let full = get_ok(&s.app, "/tile/0/272").await;
    assert!(full.body == expected_tile(&all, 0, 272, 256));
    assert_eq!(
        full.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let edge = get_ok(&s.app, "/tile/0/273.p/112").await;
    assert!(edge.body == expected_tile(&all, 0, 273, 112));
    let bundle = get_ok(&s.app, "/tile/entries/272").await;
    assert_eq!(decode_bundle(&bundle.body).unwrap().len(), 256);
    assert!(get_ok(&s.app, "/v1/entries/69999").await.body == all[69_999]);
    // Proofs against the new checkpoint, found in storage.
    let v = get_ok(&s.app, "/v1/proof/inclusion?index=69999&size=70000")
        .await
        .json();
    let cp = open_checkpoint(v["checkpoint"].as_str().unwrap().as_bytes(), &s.verifier).unwrap();
    verify_inclusion(
        &hashes_from_json(&v["proof"]),
        70_000,
        cp.root,
        69_999,
        &all[69_999],
    )
    .unwrap();
    let v = get_ok(&s.app, "/v1/proof/consistency?old=69700&new=70000")
        .await
        .json();
    let old = open_checkpoint(
        v["checkpoint_old"].as_str().unwrap().as_bytes(),
        &s.verifier,
    )
    .unwrap();
    verify_consistency(
        &hashes_from_json(&v["proof"]),
        69_700,
        old.root,
        70_000,
        cp.root,
    )
    .unwrap();
}

async fn get_all(app: &Router, uris: &[&str]) -> Vec<Answer> {
    let mut out = Vec::new();
    for u in uris {
        out.push(get(app, u).await);
    }
    out
}
