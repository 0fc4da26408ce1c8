//! `truce_server::serve` holds every connection to bounds (`truce_http`), on a real socket: half
//! a request head and a stall is disconnected after `header_read_timeout_s`, an idle keep-alive
//! connection after `idle_timeout_s`, and silent connections filling `max_connections` do not
//! starve `GET /checkpoint` for a new client once they time out.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use truce_log::{generate_key, parse_signer, KeyPair};
use truce_model::domain::*;
use truce_model::entry::{sign, Body};
use truce_model::{Id, Time};
use truce_server::{AppState, Config};
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, Sequencer};

const ORIGIN: &str = "connections.test.example/log";

/// A log holding the operator's registration, as `truce init` makes it.
fn make_log(dir: &Path) {
    let log: KeyPair = generate_key(&mut rand_core::OsRng, ORIGIN).unwrap();
    let op: KeyPair = generate_key(&mut rand_core::OsRng, "operator").unwrap();
    keyfile::write_new(&dir.join("log.key"), &log.signer, 0o600).unwrap();
    keyfile::write_new(&dir.join("log.vkey"), &log.verifier, 0o600).unwrap();
    let mut seq = Sequencer::create(
        SqliteStorage::open(&dir.join("truce.db"), true).unwrap(),
        ORIGIN,
        &log.signer,
    )
    .unwrap();
    let genesis = sign(
        &Id::new("operator").unwrap(),
        Time::parse("2025-03-20T21:00:00Z").unwrap(),
        &Body::PartyRegister(PartyRegistration {
            id: Id::new("operator").unwrap(),
            name: "Operator".into(),
            role: Role::Operator,
            keys: vec![op.verifier.clone()],
        }),
        &parse_signer(&op.signer).unwrap(),
    )
    .unwrap()
    .bytes;
    seq.append(&[genesis.as_slice()]).unwrap();
}

struct Running {
    _tmp: tempfile::TempDir,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    async fn start(config: Config) -> Running {
        let tmp = tempfile::tempdir().unwrap();
        make_log(tmp.path());
        let state = AppState::open(tmp.path(), config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(truce_server::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Running {
            _tmp: tmp,
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task.take().unwrap())
            .await
            .expect("serve did not return after shutdown")
            .unwrap()
            .unwrap();
    }
}

fn config(header_s: u64, idle_s: u64, max_connections: usize) -> Config {
    Config {
        header_read_timeout_s: header_s,
        idle_timeout_s: idle_s,
        max_connections,
        ..Config::default()
    }
}

/// Reads until the server closes the connection; how long that took (fails after `max`).
async fn closed_within(s: &mut TcpStream, max: Duration) -> Duration {
    let t = Instant::now();
    let mut buf = Vec::new();
    match tokio::time::timeout(max, s.read_to_end(&mut buf)).await {
        Ok(_) => t.elapsed(),
        Err(_) => panic!(
            "the server kept the connection open for {max:?}; it sent {:?}",
            String::from_utf8_lossy(&buf)
        ),
    }
}

#[tokio::test]
async fn half_a_request_head_then_silence_is_disconnected() {
    let srv = Running::start(config(1, 60, 64)).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"GET /checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        .await
        .unwrap();
    closed_within(&mut s, Duration::from_secs(5)).await;
    srv.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let srv = Running::start(config(60, 1, 64)).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"GET /checkpoint HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    closed_within(&mut s, Duration::from_secs(5)).await;
    srv.stop().await;
}

#[tokio::test]
async fn silent_connections_beyond_the_cap_do_not_starve_checkpoint() {
    let cap = 4;
    let srv = Running::start(config(1, 60, cap)).await;
    let mut silent = Vec::new();
    for _ in 0..=cap {
        silent.push(TcpStream::connect(srv.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = tokio::time::timeout(
        Duration::from_secs(8),
        reqwest::get(format!("http://{}/checkpoint", srv.addr)),
    )
    .await
    .expect("GET /checkpoint starved behind silent connections")
    .unwrap();
    assert_eq!(got.status(), 200);
    assert!(got.text().await.unwrap().starts_with(ORIGIN));
    for mut s in silent {
        closed_within(&mut s, Duration::from_secs(5)).await;
    }
    srv.stop().await;
}
