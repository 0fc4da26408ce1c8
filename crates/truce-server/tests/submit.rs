//! `POST /v1/entries` over a real socket: acknowledgements with proofs that verify offline, the
//! acceptance rules mapped to statuses, idempotent duplicates, conflicts, every malformed request
//! refused in the one JSON error shape, and group commit under concurrency.

use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use truce_log::{generate_key, parse_signer, parse_verifier, KeyPair, TlogProof};
use truce_model::domain::*;
use truce_model::entry::{sign, Body};
use truce_model::{Id, Ledger, Time};
use truce_server::{AppState, Config};
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, LogReader, Sequencer};

const ORIGIN: &str = "submit.test.example/log";

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn t() -> Time {
    Time::parse("2025-03-20T21:00:00Z").unwrap()
}

fn key(name: &str) -> KeyPair {
    generate_key(&mut rand_core::OsRng, name).unwrap()
}

/// Signs `body` as `author` with `k`.
fn signed(author: &str, k: &KeyPair, body: &Body) -> Vec<u8> {
    sign(&id(author), t(), body, &parse_signer(&k.signer).unwrap())
        .unwrap()
        .bytes
}

fn report(rid: &str, text: &str) -> Body {
    Body::Report(
        serde_json::from_value(serde_json::json!({
            "id": rid, "time": {"start": "2025-03-20T20:22:00Z"},
            "location": {"point": [35.27, 51.19], "uncertainty_m": 3000},
            "act": "sabotage", "alleged_perpetrator": "ru", "text": text
        }))
        .unwrap(),
    )
}

/// A log made with the libraries as `truce init` + `truce party add` make it: the operator's
/// genesis, then `ua`, `ru` (belligerents; `ru` with a second, revoked key) and `osce` (monitor).
struct World {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    keys: BTreeMap<String, KeyPair>,
    log_vkey: String,
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir_all(&dir).unwrap();
    let log = key(ORIGIN);
    keyfile::write_new(&dir.join("log.key"), &log.signer, 0o600).unwrap();
    keyfile::write_new(&dir.join("log.vkey"), &log.verifier, 0o600).unwrap();
    let mut seq = Sequencer::create(
        SqliteStorage::open(&dir.join("truce.db"), true).unwrap(),
        ORIGIN,
        &log.signer,
    )
    .unwrap();
    let mut keys = BTreeMap::new();
    for p in ["operator", "ua", "ru", "osce", "ru-old"] {
        let name = p.strip_suffix("-old").unwrap_or(p);
        keys.insert(p.to_string(), key(name));
    }
    let reg = |p: &str, role: Role, ks: Vec<String>| {
        Body::PartyRegister(PartyRegistration {
            id: id(p),
            name: p.to_uppercase(),
            role,
            keys: ks,
        })
    };
    let v = |p: &str| keys[p].verifier.clone();
    let old_id = parse_verifier(&v("ru-old")).map(|k| {
        use signed_note::Verifier;
        format!("{:08x}", k.key_id())
    });
    let bodies = [
        reg("operator", Role::Operator, vec![v("operator")]),
        reg("ua", Role::Belligerent, vec![v("ua")]),
        reg("ru", Role::Belligerent, vec![v("ru"), v("ru-old")]),
        reg("osce", Role::Monitor, vec![v("osce")]),
        Body::KeyRevoke(KeyRevoke {
            party: id("ru"),
            key_id: old_id.unwrap(),
            reason: "lost".into(),
        }),
    ];
    // Admitted one by one against the ledger including the ones before (as `truce` does).
    let mut ledger = Ledger::new();
    let mut entries = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        let e = signed("operator", &keys["operator"], b);
        ledger.admit(&e).unwrap();
        ledger.apply(i as u64, &e);
        entries.push(e);
    }
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    seq.append(&refs).unwrap();
    World {
        _tmp: tmp,
        dir,
        keys,
        log_vkey: log.verifier,
    }
}

struct Server {
    url: String,
    client: reqwest::Client,
    state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    async fn start(dir: &Path, config: Config) -> Server {
        let state = AppState::open(dir, config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(truce_server::serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Server {
            url,
            client: reqwest::Client::new(),
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// POSTs `body` to /v1/entries with a content type; returns status, headers and JSON body.
    async fn post_as(
        &self,
        ctype: &str,
        body: Vec<u8>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        self.post_to("/v1/entries", ctype, body).await
    }

    /// POSTs `body` to `path` (with its query) with a content type.
    async fn post_to(
        &self,
        path: &str,
        ctype: &str,
        body: Vec<u8>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.url))
            .header(CONTENT_TYPE, ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text:?}"));
        (status, headers, v)
    }

    async fn post(&self, body: Vec<u8>) -> (StatusCode, Value) {
        let (s, _, v) = self.post_as("application/json", body).await;
        (s, v)
    }

    async fn healthy(&self) {
        let r = self
            .client
            .get(format!("{}/healthz", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

fn config() -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        rate_per_key: 1e6,
        rate_per_addr: 1e6,
        rate_burst: 1e6,
        ..Config::default()
    }
}

/// Asserts the one error shape and returns (code, field).
fn error_of(status: StatusCode, v: &Value) -> (String, Option<String>) {
    let e = &v["error"];
    assert!(e.is_object(), "not the error shape: {v}");
    assert_eq!(e["status"], status.as_u16(), "{v}");
    assert!(!e["message"].as_str().unwrap().is_empty(), "{v}");
    (
        e["code"].as_str().unwrap().to_string(),
        e["field"].as_str().map(String::from),
    )
}

fn log_size(dir: &Path) -> u64 {
    LogReader::open(SqliteStorage::open(&dir.join("truce.db"), false).unwrap())
        .unwrap()
        .latest()
        .unwrap()
        .size
}

fn stored(dir: &Path, index: u64) -> Vec<u8> {
    LogReader::open(SqliteStorage::open(&dir.join("truce.db"), false).unwrap())
        .unwrap()
        .entry(index)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_submits_a_report_and_its_proof_verifies_offline() {
    let w = world();
    let s = Server::start(&w.dir, config()).await;
    let entry = signed(
        "ua",
        &w.keys["ua"],
        &report("ua-1", "a strike on the substation"),
    );
    let (status, ack) = s.post(entry.clone()).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["index"], 5);
    assert_eq!(ack["duplicate"], false);
    assert_eq!(ack["tree_size"], 6);
    assert_eq!(
        ack["entry_id"].as_str().unwrap(),
        truce_model::entry::entry_id(&entry)
    );
    let vkey = parse_verifier(&w.log_vkey).unwrap();
    // The checkpoint in the ack is signed by the log key; the proof leads from the entry to it.
    let cp =
        truce_log::open_checkpoint(ack["checkpoint"].as_str().unwrap().as_bytes(), &vkey).unwrap();
    assert_eq!(cp.size, 6);
    let hashes: Vec<truce_log::Hash> = ack["inclusion_proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| truce_log::Hash::parse_hash(h.as_str().unwrap()).unwrap())
        .collect();
    truce_log::verify_inclusion(&hashes, cp.size, cp.root, 5, &entry).unwrap();
    // The tlog-proof file verifies on its own (as `truce verify-proof` does).
    let proof = TlogProof::parse(ack["tlog_proof"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(proof.verify(&entry, &vkey).unwrap(), cp);
    assert!(proof.verify(b"another entry", &vkey).is_err());
    // The served checkpoint is the same one, and the entry is stored byte for byte.
    let served = s
        .client
        .get(format!("{}/checkpoint", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let served = served.bytes().await.unwrap();
    assert_eq!(truce_log::open_checkpoint(&served, &vkey).unwrap(), cp);
    assert_eq!(stored(&w.dir, 5), entry);
    // The shared state has it too.
    assert_eq!(s.state.checkpoint(), cp);
    assert!(s
        .state
        .0
        .ledger
        .read()
        .unwrap()
        .reports
        .contains(&id("ua"), "ua-1"));
    s.stop().await;
    assert_eq!(log_size(&w.dir), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_role_and_revocation_are_enforced() {
    let w = world();
    let s = Server::start(&w.dir, config()).await;
    // ua signs an entry claiming to be ru: the key is not ru's.
    let (st, v) = s
        .post(signed("ru", &w.keys["ua"], &report("x", "forged")))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(st, &v), ("unknown_key".into(), Some("key".into())));
    // An author nobody registered.
    let stranger = key("nobody");
    let (st, v) = s
        .post(signed("nobody", &stranger, &report("x", "who?")))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(
        error_of(st, &v),
        ("unknown_key".into(), Some("author".into()))
    );
    // Altered after signing: the signature does not verify.
    let good = signed("ua", &w.keys["ua"], &report("ua-7", "original text"));
    let altered = String::from_utf8(good.clone())
        .unwrap()
        .replace("original text", "altered text!")
        .into_bytes();
    let (st, v) = s.post(altered).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(
        error_of(st, &v),
        ("bad_signature".into(), Some("sig".into()))
    );
    // A belligerent may not assess.
    let (st, ack) = s.post(good).await;
    assert_eq!(st, StatusCode::OK, "{ack}");
    let assess = Body::Assessment(Assessment {
        question: Default::default(),
        party: None,
        reports: vec![ack["entry_id"].as_str().unwrap().to_string()],
        verdict: Verdict::Unverifiable,
        evidence: vec![],
        text: String::new(),
    });
    let (st, v) = s.post(signed("ua", &w.keys["ua"], &assess)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(error_of(st, &v), ("forbidden".into(), Some("kind".into())));
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only monitor may"),
        "{v}"
    );
    // ... a monitor may.
    let (st, v) = s.post(signed("osce", &w.keys["osce"], &assess)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // A revoked key.
    let (st, v) = s
        .post(signed("ru", &w.keys["ru-old"], &report("ru-1", "late")))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(error_of(st, &v), ("revoked_key".into(), Some("key".into())));
    // ... and its current key works.
    let (st, v) = s
        .post(signed("ru", &w.keys["ru"], &report("ru-1", "late")))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // A reference to nothing: 400 invalid.
    let bad = Body::Assessment(Assessment {
        question: Default::default(),
        party: None,
        reports: vec!["ua/nothing-here".into()],
        verdict: Verdict::Unverifiable,
        evidence: vec![],
        text: String::new(),
    });
    let (st, v) = s.post(signed("osce", &w.keys["osce"], &bad)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(st, &v).0, "invalid");
    // Refusals left no trace in the shared ledger: it is what a replay of the log gives.
    let counts = s.state.0.ledger.read().unwrap().counts.clone();
    assert_eq!((counts.accepted, counts.refused, counts.opaque), (8, 0, 0));
    s.stop().await;
    assert_eq!(log_size(&w.dir), 5 + 3);
}

/// Another writer appends behind the server's back (as `truce log append` or `truce ingest`
/// would): the server's writer catches up with storage before its next group, so that group is
/// admitted against the whole log and appended after the other writer's entries — no stale
/// size, no refused commit. (A commit that fails all the same is answered 503 and the ledger
/// rebuilt: `crates/truce/tests/faults.rs`, a full disk under `truce serve`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writers_entries_are_followed_before_the_next_commit() {
    let w = world();
    let s = Server::start(&w.dir, config()).await;
    let key = keyfile::read(&w.dir.join("log.key")).unwrap();
    let mut other = Sequencer::open(
        SqliteStorage::open(&w.dir.join("truce.db"), false).unwrap(),
        &key,
    )
    .unwrap();
    other.append(&[b"a raw line from another writer"]).unwrap();
    let e = signed("ua", &w.keys["ua"], &report("f-1", "after another writer"));
    let (st, v) = s.post(e.clone()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["index"], 6);
    assert_eq!(v["duplicate"], false);
    {
        let l = s.state.0.ledger.read().unwrap();
        assert!(l.reports.contains(&id("ua"), "f-1"));
        assert_eq!((l.counts.accepted, l.counts.opaque), (6, 1));
    }
    assert!(s.state.checkpoint().size >= 7);
    s.stop().await;
    assert_eq!(stored(&w.dir, 6), e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_entry_twice_is_acknowledged_and_stored_once() {
    let w = world();
    let s = Server::start(&w.dir, config()).await;
    let e = signed("ua", &w.keys["ua"], &report("ua-2", "twice"));
    let (st, a) = s.post(e.clone()).await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) = s.post(e.clone()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(a["index"], b["index"]);
    assert_eq!(a["entry_id"], b["entry_id"]);
    assert_eq!(b["duplicate"], true);
    // In one batch too: the second copy is acknowledged at the first's index.
    let f = signed("ua", &w.keys["ua"], &report("ua-3", "twice in a batch"));
    let mut batch = b"[".to_vec();
    batch.extend_from_slice(&f);
    batch.push(b',');
    batch.extend_from_slice(&f);
    batch.push(b']');
    let (st, v) = s.post(batch).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let r = v["results"].as_array().unwrap();
    assert_eq!(r[0]["ok"]["index"], 6);
    assert_eq!(r[0]["ok"]["duplicate"], false);
    assert_eq!(r[1]["ok"]["index"], 6);
    assert_eq!(r[1]["ok"]["duplicate"], true);
    assert_eq!(v["tree_size"], 7);
    s.stop().await;
    assert_eq!(log_size(&w.dir), 7);
    assert_eq!(stored(&w.dir, 5), e);
    assert_eq!(stored(&w.dir, 6), f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_id_with_another_body_conflicts() {
    let w = world();
    let s = Server::start(&w.dir, config()).await;
    let (st, _) = s
        .post(signed("ua", &w.keys["ua"], &report("ua-4", "first")))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = s
        .post(signed("ua", &w.keys["ua"], &report("ua-4", "second")))
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(
        error_of(st, &v),
        ("conflict".into(), Some("body.id".into()))
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("index 5"),
        "{v}"
    );
    // Another party may use the same report id.
    let (st, v) = s
        .post(signed("ru", &w.keys["ru"], &report("ua-4", "second")))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // A commitment id is global: another party's commitment under it conflicts too.
    let commitment = |title: &str| {
        Body::Commitment(
            serde_json::from_value(serde_json::json!({
                "id": "prisoners-1", "title": title, "announced": "2025-03-19", "due": "2025-03-25",
                "items": [{"what": "prisoners", "quantity": 175}],
                "source": {"title": "statement", "date": "2025-03-19"}
            }))
            .unwrap(),
        )
    };
    let (st, v) = s
        .post(signed("ua", &w.keys["ua"], &commitment("exchange")))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(signed("ru", &w.keys["ru"], &commitment("our exchange")))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_of(st, &v).0, "conflict");
    s.stop().await;
    assert_eq!(log_size(&w.dir), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_refused_in_the_json_shape() {
    let w = world();
    let cfg = Config {
        max_body_bytes: 64 * 1024,
        max_batch_entries: 3,
        ..config()
    };
    let s = Server::start(&w.dir, cfg).await;
    let good = signed("ua", &w.keys["ua"], &report("ua-5", "fine"));

    // Not JSON: the message gives line and column.
    let (st, v) = s.post(b"{\"author\": \"ua\",\n  oops}".to_vec()).await;
    assert_eq!(error_of(st, &v).0, "bad_request");
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("line 2 column 3"), "{m}");
    s.healthy().await;

    // JSON, but not an entry or a list of entries.
    for body in [&b"\"hello\""[..], b"42", b"null"] {
        let (st, v) = s.post(body.to_vec()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        error_of(st, &v);
    }
    // Wrong types inside an entry name the field.
    let text = String::from_utf8(good.clone()).unwrap();
    let wrong = text.replacen("\"author\":\"ua\"", "\"author\":5", 1);
    let (st, v) = s.post(wrong.into_bytes()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_of(st, &v),
        ("bad_request".into(), Some("author".into()))
    );
    // Bad base64 in `sig`.
    let sig_start = text.find("\"sig\":\"").unwrap() + 7;
    let mut bad_sig = text.clone();
    bad_sig.replace_range(sig_start..sig_start + 4, "!!!!");
    let (st, v) = s.post(bad_sig.into_bytes()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(st, &v), ("bad_request".into(), Some("sig".into())));
    // Whitespace inside the object: not the canonical bytes that were signed.
    let spaced = text.replacen("\"author\":\"ua\"", "\"author\": \"ua\"", 1);
    let (st, v) = s.post(spaced.into_bytes()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("canonical"),
        "{v}"
    );
    // A body field of the wrong type is named under body.
    let no_loc = signed_value(
        "ua",
        &w.keys["ua"],
        r#"{"act":"sabotage","id":"ua-x","time":{"start":"2025-03-20T20:22:00Z"}}"#,
    );
    let (st, v) = s.post(no_loc).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_of(st, &v),
        ("bad_request".into(), Some("body.location".into()))
    );
    s.healthy().await;

    // Invalid UTF-8.
    let mut bin = good.clone();
    bin[20] = 0xff;
    let (st, v) = s.post(bin).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("UTF-8"),
        "{v}"
    );
    // Over max_body_bytes.
    let mut big = b"[".to_vec();
    big.extend(std::iter::repeat_n(b' ', 100 * 1024));
    big.push(b']');
    let (st, v) = s.post(big).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(st, &v).0, "too_large");
    // Over max_batch_entries.
    let four = format!("[{t},{t},{t},{t}]", t = text);
    let (st, v) = s.post(four.into_bytes()).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(st, &v).0, "too_many_entries");
    // An empty batch.
    let (st, v) = s.post(b"[]".to_vec()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    error_of(st, &v);
    // Not JSON by content type, or none at all.
    let (st, _, v) = s.post_as("text/plain", good.clone()).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_of(st, &v).0, "unsupported_media_type");
    let r = s
        .client
        .post(format!("{}/v1/entries", s.url))
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    error_of(StatusCode::UNSUPPORTED_MEDIA_TYPE, &r.json().await.unwrap());
    // Another method.
    let r = s
        .client
        .get(format!("{}/v1/entries", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    error_of(StatusCode::METHOD_NOT_ALLOWED, &r.json().await.unwrap());
    // An unsigned bulk record.
    let record = truce_model::entry::record(&id("ua"), t(), &report("ua-6", "bulk")).unwrap();
    let (st, v) = s.post(record).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("truce ingest"),
        "{v}"
    );
    s.healthy().await;

    // Nothing was stored; the good entry still goes in.
    assert_eq!(log_size(&w.dir), 5);
    let (st, v) = s.post(good).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    s.stop().await;
}

/// Signs a report body given as JSON (possibly invalid for the model: signing does not check).
/// `body` is canonical JSON text.
fn signed_value(author: &str, k: &KeyPair, body: &str) -> Vec<u8> {
    use base64::prelude::*;
    use signed_note::Signer;
    let signer = parse_signer(&k.signer).unwrap();
    let key_id = format!("{:08x}", signer.key_id());
    // Written key by key in sorted order, so the bytes are canonical whatever serde_json's map.
    let unsigned = format!(
        "{{\"author\":{},\"body\":{},\"key\":\"{key_id}\",\"kind\":\"report\",\"time\":\"{}\",\"v\":1}}",
        Value::from(author),
        body,
        t()
    );
    let mut msg = truce_model::entry::SIGNING_CONTEXT.to_vec();
    msg.extend_from_slice(unsigned.as_bytes());
    let sig = BASE64_STANDARD.encode(signer.sign(&msg).unwrap());
    format!(
        "{{\"author\":{},\"body\":{},\"key\":\"{key_id}\",\"kind\":\"report\",\"sig\":\"{sig}\",\"time\":\"{}\",\"v\":1}}",
        Value::from(author),
        body,
        t()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_answers_per_entry() {
    let w = world();
    let s = Server::start(&w.dir, config()).await;
    let a = signed("ua", &w.keys["ua"], &report("b-1", "one"));
    let forged = signed("ru", &w.keys["ua"], &report("b-2", "forged"));
    let c = signed("ru", &w.keys["ru"], &report("b-3", "three"));
    let body = format!(
        "[\n  {},\n  {},\n  42,\n  {}\n]\n",
        String::from_utf8_lossy(&a),
        String::from_utf8_lossy(&forged),
        String::from_utf8_lossy(&c)
    );
    // Atomic (the default): one refused entry refuses the whole batch, nothing is appended.
    let (st, v) = s.post(body.clone().into_bytes()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        error_of(st, &v),
        ("bad_request".into(), Some("entries[2]".into()))
    );
    assert_eq!(log_size(&w.dir), 5);
    // Each entry on its own when asked: 207, one status per entry.
    let (st, _, v) = s
        .post_to(
            "/v1/entries?atomic=false",
            "application/json",
            body.into_bytes(),
        )
        .await;
    assert_eq!(st, StatusCode::MULTI_STATUS, "{v}");
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(r[0]["ok"]["index"], 5);
    assert_eq!(r[0]["status"], 200);
    assert_eq!(r[1]["error"]["code"], "unknown_key");
    assert_eq!(r[1]["status"], 401);
    assert_eq!(r[2]["error"]["code"], "bad_request");
    assert_eq!(r[3]["ok"]["index"], 6);
    assert_eq!(v["tree_size"], 7);
    assert_eq!(r[0]["ok"]["checkpoint"], v["checkpoint"]);
    // Every entry refused: the first refusal's status and the error shape naming the entry.
    let revoked = signed("ru", &w.keys["ru-old"], &report("b-4", "old key"));
    let body = format!(
        "[{},{}]",
        String::from_utf8_lossy(&revoked),
        String::from_utf8_lossy(&forged)
    );
    let (st, v) = s.post(body.into_bytes()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        error_of(st, &v),
        ("revoked_key".into(), Some("entries[0].key".into()))
    );
    // JSON Lines, as `truce sign` writes them.
    let d = signed("ua", &w.keys["ua"], &report("b-5", "five"));
    let e = signed("ua", &w.keys["ua"], &report("b-6", "six"));
    let mut lines = d.clone();
    lines.push(b'\n');
    lines.extend_from_slice(&e);
    lines.push(b'\n');
    let (st, _, v) = s.post_as("application/x-ndjson", lines).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["ok"]["index"], 7);
    assert_eq!(v["results"][1]["ok"]["index"], 8);
    // Several objects sent as application/json: a hint at arrays and JSON Lines.
    let mut two = d;
    two.push(b'\n');
    two.extend_from_slice(&e);
    let (st, v) = s.post(two).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("x-ndjson"),
        "{v}"
    );
    s.stop().await;
    assert_eq!(log_size(&w.dir), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submissions_share_commits() {
    let w = world();
    let s = Arc::new(Server::start(&w.dir, config()).await);
    let k = Arc::new(w.keys.clone());
    let mut tasks = Vec::new();
    for task in 0..20 {
        let s = s.clone();
        let k = k.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for n in 0..10 {
                let author = ["ua", "ru"][task % 2];
                let e = signed(
                    author,
                    &k[author],
                    &report(&format!("c-{task}-{n}"), "burst"),
                );
                let (st, v) = s.post(e.clone()).await;
                assert_eq!(st, StatusCode::OK, "{v}");
                out.push((e, v));
            }
            out
        }));
    }
    let mut acks = Vec::new();
    for t in tasks {
        acks.extend(t.await.unwrap());
    }
    assert_eq!(acks.len(), 200);
    let indices: BTreeSet<u64> = acks
        .iter()
        .map(|(_, v)| v["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indices.len(), 200, "indices are distinct");
    assert_eq!(indices.iter().next(), Some(&5));
    assert_eq!(indices.iter().last(), Some(&204));
    let commits: BTreeSet<u64> = acks
        .iter()
        .map(|(_, v)| v["tree_size"].as_u64().unwrap())
        .collect();
    eprintln!("200 submissions from 20 tasks: {} commits", commits.len());
    assert!(
        commits.len() < 200,
        "group commit: {} commits for 200 submissions",
        commits.len()
    );
    let vkey = parse_verifier(&w.log_vkey).unwrap();
    for (e, v) in &acks {
        assert_eq!(&stored(&w.dir, v["index"].as_u64().unwrap()), e);
        TlogProof::parse(v["tlog_proof"].as_str().unwrap().as_bytes())
            .unwrap()
            .verify(e, &vkey)
            .unwrap();
    }
    let s = Arc::into_inner(s).unwrap();
    s.stop().await;
    let storage = SqliteStorage::open(&w.dir.join("truce.db"), false).unwrap();
    let report = truce_store::check::check(&storage, |_, _| {}).unwrap();
    assert_eq!(log_size(&w.dir), 205, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_writer_answers_503_and_keeps_what_it_acknowledged() {
    let w = world();
    let s = Server::start(&w.dir, config()).await;
    let (st, _) = s
        .post(signed("ua", &w.keys["ua"], &report("z-1", "before")))
        .await;
    assert_eq!(st, StatusCode::OK);
    s.state.0.writer.close().await;
    s.state.0.writer.close().await; // idempotent
    let (st, v) = s
        .post(signed("ua", &w.keys["ua"], &report("z-2", "after")))
        .await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error_of(st, &v).0, "unavailable");
    s.healthy().await;
    s.stop().await;
    assert_eq!(log_size(&w.dir), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_is_told_when_to_retry() {
    let w = world();
    let cfg = Config {
        rate_per_key: 0.5,
        rate_burst: 2.0,
        ..config()
    };
    let s = Server::start(&w.dir, cfg).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let e = signed("ua", &w.keys["ua"], &report(&format!("rl-{n}"), "quick"));
        let (st, h, v) = s.post_as("application/json", e).await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(error_of(st, &v).0, "rate_limited");
            let after: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(after >= 1);
        }
        statuses.push(st);
    }
    assert_eq!(statuses[..2], [StatusCode::OK, StatusCode::OK]);
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS);
    // Another key is not affected.
    let (st, _) = s
        .post(signed("ru", &w.keys["ru"], &report("rl-x", "other key")))
        .await;
    assert_eq!(st, StatusCode::OK);
    s.stop().await;
}

/// A rough in-process figure (not a benchmark): `cargo test -p truce-server --release --test
/// submit -- --ignored --nocapture burst`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn burst() {
    let w = world();
    let s = Arc::new(Server::start(&w.dir, config()).await);
    let (tasks, per) = (50usize, 40usize);
    let entries: Vec<Vec<Vec<u8>>> = (0..tasks)
        .map(|t| {
            let author = ["ua", "ru"][t % 2];
            (0..per)
                .map(|n| {
                    signed(
                        author,
                        &w.keys[author],
                        &report(&format!("p-{t}-{n}"), "burst"),
                    )
                })
                .collect()
        })
        .collect();
    let start = std::time::Instant::now();
    let mut handles = Vec::new();
    for es in entries {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for e in es {
                let t0 = std::time::Instant::now();
                let (st, v) = s.post(e).await;
                assert_eq!(st, StatusCode::OK, "{v}");
                lat.push((t0.elapsed(), v["tree_size"].as_u64().unwrap()));
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for h in handles {
        lat.extend(h.await.unwrap());
    }
    let took = start.elapsed();
    let commits: BTreeSet<u64> = lat.iter().map(|l| l.1).collect();
    let mut l: Vec<_> = lat.iter().map(|l| l.0).collect();
    l.sort();
    let n = l.len();
    eprintln!(
        "{n} single-entry submissions from {tasks} tasks in {took:.2?}: {:.0} entries/s, {} commits, p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        n as f64 / took.as_secs_f64(),
        commits.len(),
        l[n / 2],
        l[n * 99 / 100],
        l[n - 1]
    );
    Arc::into_inner(s).unwrap().stop().await;
}
