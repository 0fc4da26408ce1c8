//! A small scenario built with the libraries (no binary): an operator, two belligerents, a
//! monitor, a mediator and an open-data source; a process with one agreement and two readings;
//! sites; reports (one carrying an evidence hash), a commitment and a fulfilment carrying a
//! persons commitment, statements with contradicting claims. The restricted content behind the
//! two commitments carries unique markers, so a test can tell whether it leaked into an answer.
//!
//! Helpers drive `app(state)` with `tower::ServiceExt::oneshot`, without a socket.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use base64::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;
use truce_cluster::testkit::{Garage, Postgres};
use truce_log::KeyPair;
use truce_model::entry::{record, sign, Body as EntryBody};
use truce_model::{Id, Kind, Role, Time};
use truce_server::{app, AppState, Config};
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, DynStorage, Sequencer};

pub const ORIGIN: &str = "query.test.example/log";
/// In the person list behind the fulfilment's `persons_commitment`.
pub const PERSONS_MARKER: &str = "PERSONS-MARKER-c0ffee-5a1t";
/// In the evidence behind the ua report's evidence hash.
pub const EVIDENCE_MARKER: &str = "EVIDENCE-MARKER-f00d-91cc";
/// In a monitor's position behind the monitor report's evidence hash.
pub const POSITION_MARKER: &str = "POSITION-MARKER-beef-77aa";
pub const AGREEMENT: &str = "energy-moratorium";

/// A salted commitment: (salt, hex SHA-256(salt ‖ content)).
pub fn commit(content: &str, salt_byte: u8) -> (Vec<u8>, String) {
    let salt = vec![salt_byte; 16];
    let mut h = Sha256::new();
    h.update(&salt);
    h.update(content.as_bytes());
    let hex = h
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    (salt, hex)
}

pub fn persons_content() -> String {
    format!("{PERSONS_MARKER}\nP-0001 (pseudonymous)\nP-0002 (pseudonymous)\n")
}
pub fn evidence_content() -> String {
    format!("{EVIDENCE_MARKER}: video frame description, Sudzha, 21 March")
}
pub fn position_content() -> String {
    format!("{POSITION_MARKER}: patrol at 51.21 N, 35.30 E")
}

/// The built scenario.
pub struct Scenario {
    /// The PostgreSQL and Garage servers of a shared log (`TRUCE_TEST_BACKEND=cluster`), kept up
    /// while the scenario lives.
    pub servers: Option<Servers>,
    pub dir: tempfile::TempDir,
    pub persons: (Vec<u8>, String),
    pub evidence: (Vec<u8>, String),
    pub position: (Vec<u8>, String),
    pub keys: BTreeMap<String, KeyPair>,
}

fn key(name: &str) -> KeyPair {
    let seed: [u8; 32] = Sha256::digest(format!("query test {name}").as_bytes()).into();
    truce_log::key_from_seed(name, seed).unwrap()
}

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn t(s: &str) -> Time {
    Time::parse(s).unwrap()
}

fn body(kind: Kind, v: Value) -> EntryBody {
    EntryBody::parse(kind, v).unwrap()
}

/// Whether these tests run on a shared log: `TRUCE_TEST_BACKEND=cluster` builds every
/// scenario's log in a fresh PostgreSQL database and Garage bucket (`truce_cluster::testkit`,
/// the directory's `cluster.toml` naming them), so the same tests check both backends; by
/// default SQLite (`DIR/truce.db`).
pub fn cluster_backend() -> bool {
    std::env::var("TRUCE_TEST_BACKEND").is_ok_and(|v| v == "cluster")
}

/// New, empty storage for the log of data directory `d` (on the backend of
/// [`cluster_backend`]), writable by the scenario's builder: on a shared log it holds the
/// sequencer lease until it is dropped.
/// The PostgreSQL and Garage servers behind a shared log, kept running while it is used.
pub type Servers = (Arc<Postgres>, Arc<Garage>);

fn new_storage(d: &std::path::Path) -> (DynStorage, Option<Servers>) {
    if !cluster_backend() {
        let s = SqliteStorage::open(&d.join("truce.db"), true).unwrap();
        return (Box::new(s), None);
    }
    let pg = Postgres::shared().unwrap();
    let garage = Garage::shared().unwrap();
    let url = pg.database().unwrap();
    let bucket = garage.bucket().unwrap();
    let spec = truce_cluster::spec::ClusterSpec::of(&url, &bucket);
    keyfile::write_new(&d.join(truce_cluster::spec::FILE), &spec.to_toml(), 0o600).unwrap();
    let s = truce_cluster::ClusterStorage::open(&url, &bucket)
        .unwrap()
        .acquire_lease(
            &url,
            "test scenario builder",
            std::time::Duration::from_secs(10),
        )
        .unwrap();
    (Box::new(s), Some((pg, garage)))
}

/// The log of data directory `d` opened for writing by another process than a server (as
/// `truce ingest` does): on a shared log it takes the sequencer lease until it is dropped.
pub fn writable_storage(d: &std::path::Path) -> DynStorage {
    let store = truce_server::storage::LogStore::of_dir(d).unwrap();
    match store.spec() {
        None => store.open().unwrap(),
        Some(spec) => Box::new(
            store
                .cluster(spec)
                .unwrap()
                .acquire_lease(
                    &spec.database,
                    "test writer",
                    std::time::Duration::from_secs(10),
                )
                .unwrap(),
        ),
    }
}

/// The log of data directory `d`, read as a server reads it (SQLite or the shared log).
pub fn log_storage(d: &std::path::Path) -> DynStorage {
    truce_server::storage::LogStore::of_dir(d)
        .unwrap()
        .open()
        .unwrap()
}

struct Builder {
    seq: Sequencer<DynStorage>,
    keys: BTreeMap<String, KeyPair>,
}

impl Builder {
    fn add(&mut self, author: &str, time: &str, bodies: Vec<EntryBody>) {
        let signer = truce_log::parse_signer(&self.keys[author].signer).unwrap();
        let envs: Vec<Vec<u8>> = bodies
            .iter()
            .map(|b| sign(&id(author), t(time), b, &signer).unwrap().bytes)
            .collect();
        let refs: Vec<&[u8]> = envs.iter().map(|e| e.as_slice()).collect();
        self.seq.append(&refs).unwrap();
    }
}

/// Runs `f` on a thread of its own: the shared log's PostgreSQL and bucket clients block on
/// runtimes of their own, which cannot start on an async test's thread.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// Builds the scenario in a fresh directory.
pub fn scenario() -> Scenario {
    off_runtime(build_scenario)
}

fn build_scenario() -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log_key = key(ORIGIN);
    keyfile::write_new(&d.join("log.key"), &log_key.signer, 0o600).unwrap();
    keyfile::write_new(&d.join("log.vkey"), &log_key.verifier, 0o600).unwrap();
    let (storage, servers) = new_storage(d);
    let seq = Sequencer::create(storage, ORIGIN, &log_key.signer).unwrap();
    let parties = [
        ("operator", Role::Operator, "Operator"),
        ("ua", Role::Belligerent, "Ukraine"),
        ("ru", Role::Belligerent, "Russian Federation"),
        ("monitor", Role::Monitor, "Monitoring mission"),
        ("us", Role::Mediator, "United States"),
        ("firms", Role::OpenData, "FIRMS (synthetic)"),
    ];
    let keys: BTreeMap<String, KeyPair> = parties
        .iter()
        .map(|(p, ..)| (p.to_string(), key(p)))
        .collect();
    let mut b = Builder { seq, keys };
    let reg = |p: &str, role: Role, name: &str, keys: &BTreeMap<String, KeyPair>| {
        body(
            Kind::PartyRegister,
            json!({"id": p, "name": name, "role": role, "keys": [keys[p].verifier]}),
        )
    };
    let t0 = "2025-03-18T00:00:00Z";
    b.add(
        "operator",
        t0,
        vec![reg("operator", Role::Operator, "Operator", &b.keys)],
    );
    let regs = parties[1..]
        .iter()
        .map(|(p, r, n)| reg(p, *r, n, &b.keys))
        .collect();
    b.add("operator", t0, regs);
    b.add(
        "operator",
        t0,
        vec![body(
            Kind::Process,
            json!({"id": "peace-2025", "title": "Peace process 2025", "phases": [
                {"id": "moratorium", "title": "Energy moratorium", "status": "in-force",
                 "agreements": [{"id": AGREEMENT, "title": "Energy-strike moratorium"}]},
                {"id": "ceasefire", "title": "Full ceasefire", "status": "proposed", "depends_on": ["moratorium"]}
            ]}),
        )],
    );
    let reading = |start: &str, summary: &str| {
        body(
            Kind::Reading,
            json!({"agreement": AGREEMENT, "summary": summary,
                "source": {"title": "Readout", "date": "2025-03-18"},
                "terms": {"prohibited_acts": ["strike", "sabotage"],
                    "protected": ["set:kremlin-2025-03-25"],
                    "window": {"start": start, "duration_days": 30},
                    "bound": ["ru", "ua"]}}),
        )
    };
    b.add(
        "ru",
        "2025-03-18T12:00:00Z",
        vec![reading("2025-03-17T21:00:00Z", "from 18 March")],
    );
    b.add(
        "ua",
        "2025-03-25T12:00:00Z",
        vec![reading("2025-03-24T21:00:00Z", "from 25 March")],
    );
    let site = |sid: &str, name: &str, cat: &str, lon: f64, lat: f64| {
        body(
            Kind::Site,
            json!({"id": sid, "name": name, "category": cat,
                "geometry": {"type": "Point", "coordinates": [lon, lat]}, "approximate_m": 3000}),
        )
    };
    b.add(
        "ru",
        "2025-03-18T12:00:00Z",
        vec![
            site(
                "sudzha-gms",
                "Sudzha gas metering station",
                "energy.gas.metering",
                35.27,
                51.19,
            ),
            site(
                "kavkazskaya",
                "Kavkazskaya oil depot",
                "energy.oil.storage",
                40.60,
                45.45,
            ),
        ],
    );
    b.add(
        "ua",
        "2025-03-18T12:00:00Z",
        vec![body(
            Kind::Site,
            json!({"id": "kherson-tpp", "name": "Kherson TPP", "category": "energy.power.plant",
                "geometry": {"type": "Polygon", "coordinates": [[[32.54, 46.64], [32.56, 46.64], [32.56, 46.66], [32.54, 46.64]]]}}),
        )],
    );
    let evidence = commit(&evidence_content(), 7);
    let position = commit(&position_content(), 9);
    let persons = commit(&persons_content(), 11);
    let report = |v: Value| body(Kind::Report, v);
    b.add(
        "ua",
        "2025-03-21T09:00:00Z",
        vec![report(json!({
            "id": "sudzha-shelling", "time": {"start": "2025-03-20T21:00:00Z", "end": "2025-03-21T00:00:00Z"},
            "location": {"point": [35.27, 51.19], "uncertainty_m": 3000, "place": "Sudzha"},
            "act": "shelling", "alleged_perpetrator": "ru", "target_category": "energy.gas.metering",
            "evidence": [evidence.1], "text": "ua says ru shelled it"}))],
    );
    b.add(
        "ru",
        "2025-03-21T09:00:00Z",
        vec![report(json!({
            "id": "sudzha-sabotage", "time": {"start": "2025-03-20T21:20:00Z"},
            "location": {"point": [35.27, 51.19], "uncertainty_m": 3000},
            "act": "sabotage", "alleged_perpetrator": "ua", "target_category": "energy.gas.metering",
            "text": "ru says ua blew it up"}))],
    );
    b.add(
        "firms",
        "2025-03-21T02:00:00Z",
        vec![report(json!({
            "id": "det-1", "time": {"start": "2025-03-20T20:22:00Z"},
            "location": {"point": [35.275, 51.195], "uncertainty_m": 375},
            "act": "fire-observed"}))],
    );
    b.add(
        "ru",
        "2025-03-28T09:00:00Z",
        vec![report(json!({
            "id": "kavkazskaya-drones", "time": {"start": "2025-03-27T22:00:00Z"},
            "location": {"point": [40.60, 45.45], "uncertainty_m": 2000},
            "act": "drone-strike", "alleged_perpetrator": "ua", "target_category": "energy.oil.storage"}))],
    );
    b.add(
        "monitor",
        "2025-03-22T09:00:00Z",
        vec![report(json!({
            "id": "patrol-1", "time": {"start": "2025-03-22T06:00:00Z"},
            "location": {"point": [32.0, 47.0], "uncertainty_m": 100},
            "act": "violence", "evidence": [position.1], "text": "patrol observation"}))],
    );
    b.add(
        "us",
        "2025-03-18T20:00:00Z",
        vec![body(
            Kind::Commitment,
            json!({"id": "exchange", "title": "Exchange 175 for 175", "announced": "2025-03-18", "due": "2025-03-19",
                "items": [{"what": "prisoners", "quantity": 175, "from": "ru", "to": "ua"}],
                "source": {"title": "Readout", "date": "2025-03-18"}}),
        )],
    );
    b.add(
        "ua",
        "2025-03-19T18:00:00Z",
        vec![body(
            Kind::Fulfilment,
            json!({"commitment": "exchange", "date": "2025-03-19",
                "items": [{"what": "prisoners", "quantity": 175, "from": "ru", "to": "ua"}],
                "persons_commitment": persons.1,
                "source": {"title": "Press", "date": "2025-03-19"}}),
        )],
    );
    let statement = |sid: &str, stance: &str| {
        body(
            Kind::Statement,
            json!({"id": sid, "source": {"title": "Readout", "date": "2025-03-18"},
                "claims": [{"topic": "aid-discussed", "proposition": "aid was discussed", "stance": stance}]}),
        )
    };
    b.add(
        "ru",
        "2025-03-18T20:00:00Z",
        vec![statement("ru-readout", "denies")],
    );
    b.add(
        "us",
        "2025-03-18T20:00:00Z",
        vec![statement("us-readout", "affirms")],
    );
    // A line of contact, filed by the monitor (`GET /v1/lines…`).
    b.add(
        "monitor",
        "2025-03-19T09:00:00Z",
        vec![body(
            Kind::Line,
            json!({"id": "loc", "title": "Line of contact (test)", "kind": "contact",
                "geometry": {"type": "LineString", "coordinates": [[37.0, 47.0], [37.5, 47.6], [38.0, 48.2]]},
                "valid_from": "2025-03-19T00:00:00Z"}),
        )],
    );
    let Builder { keys, .. } = b;
    Scenario {
        servers,
        dir,
        persons,
        evidence,
        position,
        keys,
    }
}

/// Files one batch of AIS records as `firms` (open data) into the scenario's log at `time`: a
/// signed manifest over `bodies` (their count and Merkle root; stating `reception`, the area its
/// receivers heard, when given) followed by the unsigned records, appended together.
pub fn file_ais(sc: &Scenario, time: &str, bodies: &[EntryBody], reception: Option<Value>) {
    off_runtime(|| file_ais_here(sc, time, bodies, reception))
}

fn file_ais_here(sc: &Scenario, time: &str, bodies: &[EntryBody], reception: Option<Value>) {
    let d = sc.dir.path();
    let signer = keyfile::read(&d.join("log.key")).unwrap();
    let mut seq = Sequencer::open(writable_storage(d), &signer).unwrap();
    let firms = id("firms");
    let batch: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| record(&firms, t(time), b).unwrap())
        .collect();
    let root = truce_log::merkle_root(batch.iter().map(Vec::as_slice));
    let mut m = json!({
        "format": truce_model::ais::TRACK_FORMAT, "source": "test.csv", "count": batch.len(),
        "root": BASE64_STANDARD.encode(root.0),
    });
    if let Some(r) = reception {
        m["reception"] = r;
    }
    let k = truce_log::parse_signer(&sc.keys["firms"].signer).unwrap();
    let manifest = body(Kind::Manifest, m);
    let mut entries = vec![sign(&firms, t(time), &manifest, &k).unwrap().bytes];
    entries.extend(batch);
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    seq.append(&refs).unwrap();
}

/// A config for tests: views recomputed whenever the log grew.
pub fn config() -> Config {
    Config {
        views_refresh_ms: 0,
        ..Config::default()
    }
}

/// Opens the service on a scenario.
pub fn open(sc: &Scenario) -> (AppState, Router) {
    let state = AppState::open(sc.dir.path(), config()).unwrap();
    let router = app(state.clone());
    (state, router)
}

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Sends a request through the router.
pub async fn send(
    router: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let r = router.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(router: &Router, uri: &str, token: Option<&str>) -> Resp {
    send(router, Method::GET, uri, token, None).await
}

/// Uploads restricted content as `token`.
pub async fn upload(
    router: &Router,
    token: &str,
    commitment: &str,
    kind: &str,
    salt: &[u8],
    content: &str,
) -> Resp {
    send(
        router,
        Method::PUT,
        &format!("/v1/restricted/{commitment}"),
        Some(token),
        Some(json!({"kind": kind, "salt": BASE64_STANDARD.encode(salt), "content": content})),
    )
    .await
}

/// Tokens for every party of the scenario (`<party>` → token).
pub fn tokens(state: &AppState) -> BTreeMap<&'static str, String> {
    [
        ("operator", Role::Operator),
        ("ua", Role::Belligerent),
        ("ru", Role::Belligerent),
        ("monitor", Role::Monitor),
        ("us", Role::Mediator),
        ("firms", Role::OpenData),
    ]
    .into_iter()
    .map(|(p, r)| {
        let (tok, _) = state.0.access.create_token(p, r, "test", 0).unwrap();
        (p, tok)
    })
    .collect()
}

/// A minimal RFC 4180 reader: rows of fields (quoted fields may hold commas, quotes, newlines).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted field");
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Files, into the scenario's log, what `GET /v1/front.geojson` and `/v1/observations.geojson`
/// show (`tests/front.rs`): a line `ru/loc` (a version valid from 19 March, another from
/// 1 April, 0.1° further west), the mediator `us`'s reading of [`AGREEMENT`] from 19 March
/// with `[terms.front]` (ua measures from `monitor/loc` on its right, ru from `ru/loc` on its
/// left; a 10 km buffer; a 20 km withdrawal zone for artillery of 100 mm and more), and a
/// monitor's observation on 26 March (filed as `truce submit` files one: the public report
/// only, its footprint from the observer at [`OBSERVER`]).
pub fn file_front(sc: &Scenario) {
    off_runtime(|| file_front_here(sc))
}

fn file_front_here(sc: &Scenario) {
    let d = sc.dir.path();
    let signer = keyfile::read(&d.join("log.key")).unwrap();
    let seq = Sequencer::open(writable_storage(d), &signer).unwrap();
    let mut b = Builder {
        seq,
        keys: sc.keys.clone(),
    };
    let ru_line = |valid_from: &str, dlon: f64| {
        body(
            Kind::Line,
            json!({"id": "loc", "title": "ru's line (test)", "kind": "contact",
                "geometry": {"type": "LineString", "coordinates": [[37.0 - dlon, 47.0], [37.5 - dlon, 47.6], [38.0 - dlon, 48.2]]},
                "valid_from": valid_from}),
        )
    };
    b.add(
        "ru",
        "2025-03-19T10:00:00Z",
        vec![ru_line("2025-03-19T00:00:00Z", 0.0)],
    );
    b.add(
        "ru",
        "2025-04-01T10:00:00Z",
        vec![ru_line("2025-04-01T00:00:00Z", 0.1)],
    );
    b.add(
        "us",
        "2025-03-19T12:00:00Z",
        vec![body(
            Kind::Reading,
            json!({"agreement": AGREEMENT, "summary": "front terms",
                "source": {"title": "Readout", "date": "2025-03-19"},
                "terms": {"prohibited_acts": ["strike", "explosion"],
                    "protected": ["energy.*"],
                    "window": {"start": "2025-03-19T00:00:00Z"},
                    "bound": ["ru", "ua"],
                    "front": {
                        "lines": [
                            {"party": "ua", "line": "monitor/loc", "side": "right"},
                            {"party": "ru", "line": "ru/loc", "side": "left"}],
                        "buffer_km": 10,
                        "withdrawal": [{"weapons": "weapon.artillery", "min_calibre_mm": 100, "width_km": 20,
                            "source": "test"}],
                        "prohibit": ["explosion-in-buffer", "weapons-in-zone"]}}}),
        )],
    );
    let draft: truce_model::front::ObservationDraft = serde_json::from_value(json!({
        "id": "obs-1", "time": {"start": "2025-03-26T06:00:00Z", "end": "2025-03-26T08:00:00Z"},
        "observer": OBSERVER, "area": "east of the line (test)", "modality": "heard",
        "event": "impact", "count": 4, "sectors": [[60.0, 120.0]], "distance_km": [2.0, 6.0],
        "text": "four impacts heard"}))
    .unwrap();
    let (report, _restricted) = truce_ingest::observations::file(&draft, &[5u8; 16]).unwrap();
    b.add(
        "monitor",
        "2025-03-26T09:00:00Z",
        vec![body(Kind::Report, serde_json::to_value(&report).unwrap())],
    );
}
/// The observer's exact position in [`file_front`] (never public).
pub const OBSERVER: [f64; 2] = [37.61234, 47.48765];
