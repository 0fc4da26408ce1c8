//! The log pushing its checkpoints to real C2SP witnesses (`truce-witness` served on sockets):
//! the published checkpoint carries their cosignatures and satisfies a tlog-policy; proofs carry
//! them too; a witness that is down delays nothing beyond the timeout; a forked log is refused by
//! the witness and its checkpoint misses the quorum; a restart serves the same witnessed view.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use truce_log::cosignature::Cosigner;
use truce_log::policy::{CheckError, Policy};
use truce_log::{generate_key, parse_signer, KeyPair, TlogProof};
use truce_model::domain::*;
use truce_model::entry::{sign, Body};
use truce_model::{Id, Ledger, Time};
use truce_server::config::WitnessEndpoint;
use truce_server::{AppState, Config};
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, Sequencer};
use truce_witness::{SqliteWitnessStore, TrustedLog, Witness, WitnessState};

const ORIGIN: &str = "witnessing.test.example/log";

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn key(name: &str) -> KeyPair {
    generate_key(&mut rand_core::OsRng, name).unwrap()
}

fn signed(author: &str, k: &KeyPair, body: &Body) -> Vec<u8> {
    sign(
        &id(author),
        Time::parse("2025-03-20T21:00:00Z").unwrap(),
        body,
        &parse_signer(&k.signer).unwrap(),
    )
    .unwrap()
    .bytes
}

fn report(rid: &str) -> Body {
    Body::Report(
        serde_json::from_value(serde_json::json!({
            "id": rid, "time": {"start": "2025-03-20T20:22:00Z"},
            "location": {"point": [35.27, 51.19], "uncertainty_m": 3000},
            "act": "sabotage", "text": "a report"
        }))
        .unwrap(),
    )
}

/// A log with an operator and one belligerent (`ua`), made as `truce init` + `truce party add`
/// make it, with the given log key.
fn make_log(dir: &Path, log: &KeyPair, keys: &BTreeMap<String, KeyPair>, extra: &[Vec<u8>]) {
    std::fs::create_dir_all(dir).unwrap();
    keyfile::write_new(&dir.join("log.key"), &log.signer, 0o600).unwrap();
    keyfile::write_new(&dir.join("log.vkey"), &log.verifier, 0o600).unwrap();
    let mut seq = Sequencer::create(
        SqliteStorage::open(&dir.join("truce.db"), true).unwrap(),
        ORIGIN,
        &log.signer,
    )
    .unwrap();
    let reg = |p: &str, role: Role| {
        Body::PartyRegister(PartyRegistration {
            id: id(p),
            name: p.to_uppercase(),
            role,
            keys: vec![keys[p].verifier.clone()],
        })
    };
    let mut ledger = Ledger::new();
    let mut entries = Vec::new();
    for (i, b) in [
        reg("operator", Role::Operator),
        reg("ua", Role::Belligerent),
    ]
    .iter()
    .enumerate()
    {
        let e = signed("operator", &keys["operator"], b);
        ledger.admit(&e).unwrap();
        ledger.apply(i as u64, &e);
        entries.push(e);
    }
    entries.extend(extra.iter().cloned());
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    seq.append(&refs).unwrap();
}

/// A real witness on a socket, trusting the test log's key.
struct RunningWitness {
    cosigner: Cosigner,
    url: String,
    state_path: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningWitness {
    async fn start(cosigner: Cosigner, log_vkey: &str, state_path: &Path) -> RunningWitness {
        Self::start_on(cosigner, log_vkey, state_path, "127.0.0.1:0").await
    }

    async fn start_on(
        cosigner: Cosigner,
        log_vkey: &str,
        state_path: &Path,
        addr: &str,
    ) -> RunningWitness {
        let w = Witness::new(
            cosigner.clone(),
            vec![TrustedLog::new(ORIGIN, &[log_vkey.to_string()]).unwrap()],
        )
        .unwrap();
        let store = SqliteWitnessStore::open(state_path).unwrap();
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(truce_witness::serve(
            listener,
            WitnessState::new(w, Arc::new(store)),
            async move {
                let _ = rx.await;
            },
        ));
        RunningWitness {
            cosigner,
            url,
            state_path: state_path.to_path_buf(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn endpoint(&self) -> WitnessEndpoint {
        WitnessEndpoint {
            url: self.url.clone(),
            vkey: self.cosigner.vkey(),
        }
    }

    async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

struct Server {
    url: String,
    _state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The configuration of the tests' servers: fast rounds.
fn witnessed_config(witnesses: Vec<WitnessEndpoint>) -> Config {
    Config {
        witnesses,
        witness_interval_ms: 20,
        witness_timeout_ms: 1_500,
        ..Config::default()
    }
}

impl Server {
    async fn start(dir: &Path, witnesses: Vec<WitnessEndpoint>) -> Server {
        Self::start_with(dir, witnessed_config(witnesses)).await
    }

    async fn start_with(dir: &Path, config: Config) -> Server {
        let state = AppState::open(dir, config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(truce_server::serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Server {
            url,
            _state: state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = reqwest::get(format!("{}{path}", self.url)).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn post(&self, body: Vec<u8>) -> u16 {
        let r = reqwest::Client::new()
            .post(format!("{}/v1/entries", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let code = r.status().as_u16();
        if code != 200 {
            eprintln!(
                "POST /v1/entries: {code} {}",
                r.text().await.unwrap_or_default()
            );
        }
        code
    }

    /// Waits until `/checkpoint` is at `size` and `ok` holds for it; returns the note.
    async fn wait_checkpoint(&self, size: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, note) = self.get("/checkpoint").await;
            if note.lines().nth(1) == Some(&size.to_string()) && ok(&note) {
                return note;
            }
            assert!(
                Instant::now() < deadline,
                "no checkpoint of size {size} as expected; last: {note}\nwitnesses: {}",
                self.get("/v1/witnesses").await.1
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

fn cosigs(note: &str) -> usize {
    note.lines().filter(|l| l.starts_with("\u{2014} ")).count() - 1
}

fn policy(log: &KeyPair, ws: &[&RunningWitness], quorum: &str) -> Policy {
    let mut text = format!("log {}\n", log.verifier);
    for (i, w) in ws.iter().enumerate() {
        text.push_str(&format!("witness w{i} {}\n", w.cosigner.vkey()));
    }
    text.push_str(quorum);
    Policy::parse(&text).unwrap()
}

struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    log: KeyPair,
    keys: BTreeMap<String, KeyPair>,
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let log = key(ORIGIN);
    let keys: BTreeMap<String, KeyPair> = ["operator", "ua"]
        .iter()
        .map(|p| (p.to_string(), key(p)))
        .collect();
    make_log(&root.join("data"), &log, &keys, &[]);
    World {
        _tmp: tmp,
        root,
        log,
        keys,
    }
}

fn witness_key(name: &str) -> Cosigner {
    Cosigner::generate(&mut rand_core::OsRng, name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn published_checkpoints_carry_cosignatures_that_meet_the_policy() {
    let w = world();
    let mut ru = RunningWitness::start(
        witness_key("witness.ru.example"),
        &w.log.verifier,
        &w.root.join("ru.db"),
    )
    .await;
    let mut ua = RunningWitness::start(
        witness_key("witness.ua.example"),
        &w.log.verifier,
        &w.root.join("ua.db"),
    )
    .await;
    let mut m1 = RunningWitness::start(
        witness_key("witness.osce.example"),
        &w.log.verifier,
        &w.root.join("m1.db"),
    )
    .await;
    let mut s = Server::start(
        &w.root.join("data"),
        vec![ru.endpoint(), ua.endpoint(), m1.endpoint()],
    )
    .await;
    let p = policy(
        &w.log,
        &[&ru, &ua, &m1],
        "group sides all w0 w1\ngroup monitors 1 w2\ngroup q all sides monitors\nquorum q\n",
    );
    let note = s.wait_checkpoint(2, |n| cosigs(n) == 3).await;
    let checked = p.check(note.as_bytes()).unwrap();
    assert_eq!(checked.witnesses.len(), 3);

    // The log grows: every new checkpoint is witnessed in turn.
    for k in 0..3 {
        let e = signed("ua", &w.keys["ua"], &report(&format!("r{k}")));
        assert_eq!(s.post(e).await, 200);
    }
    let note = s.wait_checkpoint(5, |n| cosigs(n) == 3).await;
    p.check(note.as_bytes()).unwrap();
    let (_, status) = s.get("/v1/witnesses").await;
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(v["published_size"], 5);
    for st in v["witnesses"].as_array().unwrap() {
        assert_eq!(st["cosigned_size"], 5, "{status}");
        assert!(st["error"].is_null(), "{status}");
    }

    // A proof from the log carries the cosignatures and verifies offline under the policy.
    let (code, text) = s.get("/v1/proof/tlog?index=3").await;
    assert_eq!(code, 200, "{text}");
    let proof = TlogProof::parse(text.as_bytes()).unwrap();
    let checked = p.check(&proof.checkpoint).unwrap();
    assert_eq!(checked.checkpoint.size, 5);
    let (code, entry) = s.get("/v1/entries/3").await;
    assert_eq!(code, 200);
    truce_log::verify_inclusion(
        &proof.hashes,
        checked.checkpoint.size,
        checked.checkpoint.root,
        3,
        entry.as_bytes(),
    )
    .unwrap();

    // The server restarts: it serves the witnessed checkpoint at once (read back), and the
    // witnesses, which remember size 5, cosign what comes next.
    s.stop().await;
    let mut s = Server::start(
        &w.root.join("data"),
        vec![ru.endpoint(), ua.endpoint(), m1.endpoint()],
    )
    .await;
    let (_, first) = s.get("/checkpoint").await;
    assert_eq!(cosigs(&first), 3, "{first}");
    let e = signed("ua", &w.keys["ua"], &report("r-after-restart"));
    assert_eq!(s.post(e).await, 200);
    let note = s.wait_checkpoint(6, |n| cosigs(n) == 3).await;
    p.check(note.as_bytes()).unwrap();
    s.stop().await;
    for x in [&mut ru, &mut ua, &mut m1] {
        x.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_witness_that_is_down_costs_its_cosignature_not_the_checkpoint() {
    let w = world();
    let mut ua = RunningWitness::start(
        witness_key("witness.ua.example"),
        &w.log.verifier,
        &w.root.join("ua.db"),
    )
    .await;
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let ru_key = witness_key("witness.ru.example");
    let dead_ep = WitnessEndpoint {
        url: format!("http://{dead}"),
        vkey: ru_key.vkey(),
    };
    let mut s = Server::start(&w.root.join("data"), vec![ua.endpoint(), dead_ep]).await;
    let note = s.wait_checkpoint(2, |n| cosigs(n) == 1).await;
    assert!(note.contains("witness.ua.example"));
    let (_, status) = s.get("/v1/witnesses").await;
    assert!(status.contains("unreachable"), "{status}");
    // A policy needing both is not met; one needing either is.
    let ru_fake = RunningWitness {
        cosigner: ru_key.clone(),
        url: String::new(),
        state_path: PathBuf::new(),
        stop: None,
        task: None,
    };
    let both = policy(&w.log, &[&ua, &ru_fake], "group q all w0 w1\nquorum q\n");
    assert!(matches!(
        both.check(note.as_bytes()),
        Err(CheckError::QuorumNotMet { .. })
    ));
    let any = policy(&w.log, &[&ua, &ru_fake], "group q any w0 w1\nquorum q\n");
    any.check(note.as_bytes()).unwrap();

    // The witness comes up where the dead one was expected: it is retried and cosigns.
    let mut ru = RunningWitness::start_on(
        ru_key,
        &w.log.verifier,
        &w.root.join("ru.db"),
        &dead.to_string(),
    )
    .await;
    let note = s.wait_checkpoint(2, |n| cosigs(n) == 2).await;
    both.check(note.as_bytes()).unwrap();
    assert!(ru.state_path.exists());
    s.stop().await;
    ua.stop().await;
    ru.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn witnesses_over_https_cosign_with_their_ca_configured() {
    use truce_tls::testing::{HttpsServer, TestCa};
    let w = world();
    let ca = TestCa::new("Witnesses' CA");
    let ca_pem = w.root.join("witness-ca.pem");
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    let cert = ca.server_cert(&["localhost", "127.0.0.1"]);
    // Two witnesses behind HTTPS (one reached by address, one by name), one over plain HTTP.
    let mut ru = RunningWitness::start(
        witness_key("witness.ru.example"),
        &w.log.verifier,
        &w.root.join("ru.db"),
    )
    .await;
    let mut ua = RunningWitness::start(
        witness_key("witness.ua.example"),
        &w.log.verifier,
        &w.root.join("ua.db"),
    )
    .await;
    let mut m1 = RunningWitness::start(
        witness_key("witness.osce.example"),
        &w.log.verifier,
        &w.root.join("m1.db"),
    )
    .await;
    let backend = |r: &RunningWitness| r.url.trim_start_matches("http://").parse().unwrap();
    let ru_tls = HttpsServer::proxy(backend(&ru), &cert);
    let ua_tls = HttpsServer::proxy(backend(&ua), &cert);
    let endpoints = vec![
        WitnessEndpoint {
            url: ru_tls.url(),
            vkey: ru.cosigner.vkey(),
        },
        WitnessEndpoint {
            url: format!("https://localhost:{}/", ua_tls.addr.port()),
            vkey: ua.cosigner.vkey(),
        },
        m1.endpoint(),
    ];

    // Without the CA: the HTTPS witnesses are named with the TLS failure and how to fix it.
    let mut s = Server::start(&w.root.join("data"), endpoints.clone()).await;
    s.wait_checkpoint(2, |n| cosigs(n) == 1).await;
    let v = get_json(&s, "/v1/witnesses").await;
    for st in &v["witnesses"].as_array().unwrap()[..2] {
        let e = st["error"].as_str().unwrap_or_default();
        assert!(
            e.contains("TLS") && e.contains("unknown issuer") && e.contains("witness_ca_cert"),
            "{v}"
        );
    }
    s.stop().await;

    // With it: every witness cosigns, and the checkpoint meets a policy needing all three.
    let config = Config {
        witness_ca_cert: Some(ca_pem.clone()),
        ..witnessed_config(endpoints.clone())
    };
    let mut s = Server::start_with(&w.root.join("data"), config).await;
    let note = s.wait_checkpoint(2, |n| cosigs(n) == 3).await;
    let p = policy(&w.log, &[&ru, &ua, &m1], "group q all w0 w1 w2\nquorum q\n");
    assert_eq!(p.check(note.as_bytes()).unwrap().witnesses.len(), 3);
    let e = signed("ua", &w.keys["ua"], &report("r-https"));
    assert_eq!(s.post(e).await, 200);
    let note = s.wait_checkpoint(3, |n| cosigs(n) == 3).await;
    p.check(note.as_bytes()).unwrap();
    s.stop().await;

    // A CA file that is not one stops the server from starting, naming the file.
    std::fs::write(w.root.join("bad.pem"), "not a certificate\n").unwrap();
    let config = Config {
        witness_ca_cert: Some(w.root.join("bad.pem")),
        ..witnessed_config(endpoints)
    };
    let e = AppState::open(&w.root.join("data"), config)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("witness_ca_cert") && e.contains("bad.pem") && e.contains("no certificate"),
        "{e}"
    );
    ru.stop().await;
    ua.stop().await;
    m1.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forked_log_is_refused_by_the_witness_and_misses_the_quorum() {
    let w = world();
    let mut ua = RunningWitness::start(
        witness_key("witness.ua.example"),
        &w.log.verifier,
        &w.root.join("ua.db"),
    )
    .await;
    // The honest log, size 3, witnessed.
    let honest = w.root.join("data");
    let mut s = Server::start(&honest, vec![ua.endpoint()]).await;
    assert_eq!(
        s.post(signed("ua", &w.keys["ua"], &report("honest"))).await,
        200
    );
    s.wait_checkpoint(3, |n| cosigs(n) == 1).await;
    s.stop().await;

    // The operator, with the same key and origin, builds another history of size 3 and then 4,
    // and shows it to the same witness.
    for (name, extra) in [
        (
            "fork-same-size",
            vec![signed("ua", &w.keys["ua"], &report("forged"))],
        ),
        (
            "fork-larger",
            vec![
                signed("ua", &w.keys["ua"], &report("forged-1")),
                signed("ua", &w.keys["ua"], &report("forged-2")),
            ],
        ),
    ] {
        let dir = w.root.join(name);
        make_log(&dir, &w.log, &w.keys, &extra);
        let mut f = Server::start(&dir, vec![ua.endpoint()]).await;
        let size = 2 + extra.len() as u64;
        // A round completes, without the witness's cosignature.
        let note = f.wait_checkpoint(size, |n| cosigs(n) == 0).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (_, status) = f.get("/v1/witnesses").await;
        let v: serde_json::Value = serde_json::from_str(&status).unwrap();
        let err = v["witnesses"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if extra.len() == 1 {
            assert!(err.contains("fork"), "{name}: {status}");
        } else {
            assert!(err.contains("422"), "{name}: {status}");
        }
        let p = policy(&w.log, &[&ua], "quorum w0\n");
        assert!(matches!(
            p.check(note.as_bytes()),
            Err(CheckError::QuorumNotMet { .. })
        ));
        f.stop().await;
    }
    ua.stop().await;
}

/// GETs `path` as JSON.
async fn get_json(s: &Server, path: &str) -> serde_json::Value {
    let (code, text) = s.get(path).await;
    assert_eq!(code, 200, "{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rounds_are_logged_and_bound_when_the_log_knew_each_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let log = key(ORIGIN);
    let keys: BTreeMap<String, KeyPair> = ["operator", "ua"]
        .iter()
        .map(|p| (p.to_string(), key(p)))
        .collect();
    let mut ws = Vec::new();
    for (i, n) in [
        "witness.a.example",
        "witness.b.example",
        "witness.c.example",
    ]
    .iter()
    .enumerate()
    {
        ws.push(
            RunningWitness::start(
                witness_key(n),
                &log.verifier,
                &root.join(format!("w{i}.db")),
            )
            .await,
        );
    }
    let refs: Vec<&RunningWitness> = ws.iter().collect();
    let mut text = format!("log {}\n", log.verifier);
    for (i, w) in refs.iter().enumerate() {
        text.push_str(&format!("witness w{i} {}\n", w.cosigner.vkey()));
    }
    text.push_str("group two 2 w0 w1 w2\nquorum two\n");
    let policy = signed(
        "operator",
        &keys["operator"],
        &Body::WitnessPolicy(truce_model::witnessed::WitnessPolicy { policy: text }),
    );
    let data = root.join("data");
    make_log(&data, &log, &keys, &[policy]);
    // With the operator's key the server closes each group with its clock and logs rounds.
    keyfile::write_new(&data.join("operator.key"), &keys["operator"].signer, 0o600).unwrap();
    let mut s = Server::start(&data, ws.iter().map(|w| w.endpoint()).collect()).await;

    // The first round (of the 3 entries made offline) is logged as entry 3.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let k = get_json(&s, "/v1/entries/2/known-by").await;
        if k["known_by"]["by"].is_string() {
            assert_eq!(k["known_by"]["by_round"], 3, "{k}");
            break;
        }
        assert!(Instant::now() < deadline, "no round logged: {k}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A report: the group is closed by the sequencer's clock entry.
    let e = signed("ua", &keys["ua"], &report("r1"));
    assert_eq!(s.post(e).await, 200);
    let (code, clock) = s.get("/v1/entries/5").await;
    assert_eq!(code, 200);
    let clock: serde_json::Value = serde_json::from_str(&clock).unwrap();
    assert_eq!(clock["kind"], "clock", "{clock}");
    assert_eq!(clock["body"], serde_json::json!({"first": 4, "entries": 1}));
    // The next round covers the report: known after the first round, by the second.
    let deadline = Instant::now() + Duration::from_secs(20);
    let k = loop {
        let k = get_json(&s, "/v1/entries/4/known-by").await;
        if k["known_by"]["by"].is_string() {
            break k;
        }
        assert!(Instant::now() < deadline, "report not covered: {k}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(k["known_by"]["after_round"], 3, "{k}");
    assert_eq!(k["known_by"]["by_round"], 6, "{k}");
    let (after, by) = (
        k["known_by"]["after"].as_str().unwrap(),
        k["known_by"]["by"].as_str().unwrap(),
    );
    assert!(after <= by, "{k}");
    // The report was stated in 2025: the log knew it only now, so it is flagged late.
    assert!(k["late_by_s"].as_i64().unwrap() > 86_400 * 300, "{k}");
    // The clock lies inside its own interval.
    let kc = get_json(&s, "/v1/entries/5/known-by").await;
    let stated = kc["stated"].as_str().unwrap();
    assert!(kc["known_by"]["after"].as_str().unwrap() <= stated, "{kc}");
    assert!(stated <= kc["known_by"]["by"].as_str().unwrap(), "{kc}");
    // A round of nothing but the last round is never logged: the log settles at 7 entries.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let size = |note: String| note.lines().nth(1).unwrap().to_string();
    assert_eq!(size(s.get("/checkpoint").await.1), "7");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(size(s.get("/checkpoint").await.1), "7");
    // Bad paths.
    assert_eq!(s.get("/v1/entries/99/known-by").await.0, 404);
    assert_eq!(s.get("/v1/entries/x/known-by").await.0, 400);
    s.stop().await;
    for mut w in ws {
        w.stop().await;
    }
}

/// A hostile "witness" on a real socket: it answers every request with 200 and bytes without
/// end.
fn endless_witness() -> std::net::SocketAddr {
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            std::thread::spawn(move || {
                let mut r = BufReader::new(c.try_clone().unwrap());
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
                let chunk = [b'x'; 16 * 1024];
                while c.write_all(&chunk).is_ok() {}
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_witness_answering_without_end_is_cut_off_at_the_cap() {
    let w = world();
    let mut ua = RunningWitness::start(
        witness_key("witness.ua.example"),
        &w.log.verifier,
        &w.root.join("ua.db"),
    )
    .await;
    let hostile = WitnessEndpoint {
        url: format!("http://{}", endless_witness()),
        vkey: witness_key("witness.hostile.example").vkey(),
    };
    // A long timeout: only the cap can end the hostile answer quickly.
    let config = Config {
        witness_timeout_ms: 30_000,
        ..witnessed_config(vec![ua.endpoint(), hostile])
    };
    let mut s = Server::start_with(&w.root.join("data"), config).await;
    let t = Instant::now();
    let note = s.wait_checkpoint(2, |n| cosigs(n) == 1).await;
    assert!(note.contains("witness.ua.example"));
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let (_, status) = s.get("/v1/witnesses").await;
    assert!(
        status.contains("/add-checkpoint: the answer is larger than 65536 bytes, the most a witness's answer can be"),
        "{status}"
    );
    s.stop().await;
    ua.stop().await;
}
