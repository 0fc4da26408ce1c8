//! The witness server holds every connection to bounds (`truce_http`), on a real socket: half a
//! request head and a stall is disconnected after the header-read timeout, an idle keep-alive
//! connection after the idle timeout, and silent connections filling the cap do not starve a new
//! client once they time out.

mod common;

use common::*;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use truce_witness::{MemWitnessStore, WitnessState};

struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    async fn start(header_s: u64, idle_s: u64, max_connections: usize) -> Running {
        let log = Log::new("truce.test/log", 1, 3);
        let state = WitnessState::new(witness(&[&log]), Arc::new(MemWitnessStore::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = truce_http::Limits {
            header_read_timeout: Duration::from_secs(header_s),
            idle_timeout: Duration::from_secs(idle_s),
            max_connections,
            ..truce_witness::http::default_limits()
        };
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(truce_witness::serve_with(
            listener,
            state,
            limits,
            async move {
                let _ = rx.await;
            },
        ));
        Running {
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

/// Reads until the server closes the connection (fails after `max`).
async fn closed_within(s: &mut TcpStream, max: Duration) -> Duration {
    let t = Instant::now();
    let mut buf = Vec::new();
    match tokio::time::timeout(max, s.read_to_end(&mut buf)).await {
        Ok(_) => t.elapsed(),
        Err(_) => panic!(
            "the witness kept the connection open for {max:?}; it sent {:?}",
            String::from_utf8_lossy(&buf)
        ),
    }
}

#[tokio::test]
async fn half_a_request_head_then_silence_is_disconnected() {
    let srv = Running::start(1, 60, 64).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Le")
        .await
        .unwrap();
    closed_within(&mut s, Duration::from_secs(5)).await;
    srv.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let srv = Running::start(60, 1, 64).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    closed_within(&mut s, Duration::from_secs(5)).await;
    srv.stop().await;
}

#[tokio::test]
async fn silent_connections_beyond_the_cap_do_not_starve_a_new_client() {
    let cap = 4;
    let srv = Running::start(1, 60, cap).await;
    let mut silent = Vec::new();
    for _ in 0..=cap {
        silent.push(TcpStream::connect(srv.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = tokio::time::timeout(
        Duration::from_secs(8),
        reqwest::get(format!("http://{}/healthz", srv.addr)),
    )
    .await
    .expect("GET /healthz starved behind silent connections")
    .unwrap();
    assert_eq!(got.status(), 200);
    for mut s in silent {
        closed_within(&mut s, Duration::from_secs(5)).await;
    }
    srv.stop().await;
}
