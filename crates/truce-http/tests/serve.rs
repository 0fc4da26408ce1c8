//! `truce_http::serve` on real sockets (port 0): half a header and a stall is disconnected after
//! the header-read timeout, an idle keep-alive connection after the idle timeout, connections
//! beyond the cap wait and are served once old ones time out, the peer's address reaches the
//! handlers, a slow handler is answered 408, and shutdown lets a request in flight finish.

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use truce_http::{serve, Limits};

fn router() -> Router {
    Router::new()
        .route("/ok", get(|| async { "ok\n" }))
        .route(
            "/peer",
            get(|ConnectInfo(a): ConnectInfo<SocketAddr>| async move { a.to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "slow\n"
            }),
        )
}

fn limits(header_s: u64, idle_s: u64, max: usize) -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(header_s),
        idle_timeout: Duration::from_secs(idle_s),
        max_connections: max,
        ..Limits::default()
    }
}

struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(limits: Limits) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router(), limits, async move {
        let _ = rx.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        task,
    }
}

/// Reads until the server closes the connection; how long that took (panics after `max`).
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
async fn half_a_header_then_silence_is_disconnected_after_the_header_timeout() {
    let srv = start(limits(1, 30, 16)).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let took = closed_within(&mut s, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(800), "{took:?}");
}

#[tokio::test]
async fn a_silent_connection_is_disconnected_after_the_header_timeout() {
    let srv = start(limits(1, 30, 16)).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    closed_within(&mut s, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // The header timeout is long, so only the idle timeout can close it.
    let srv = start(limits(30, 1, 16)).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let took = closed_within(&mut s, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(800), "{took:?}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_and_are_served_once_old_ones_time_out() {
    let srv = start(limits(1, 30, 2)).await;
    let mut silent = Vec::new();
    for _ in 0..2 {
        silent.push(TcpStream::connect(srv.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    let got = tokio::time::timeout(
        Duration::from_secs(6),
        reqwest::get(format!("http://{}/ok", srv.addr)),
    )
    .await
    .expect("a new client starved behind silent connections")
    .unwrap();
    assert_eq!(got.status(), 200);
    // It waited for a slot: the cap held.
    assert!(
        t.elapsed() >= Duration::from_millis(700),
        "{:?}",
        t.elapsed()
    );
    for mut s in silent {
        closed_within(&mut s, Duration::from_secs(1)).await;
    }
}

#[tokio::test]
async fn handlers_see_the_peer_address() {
    let srv = start(Limits::default()).await;
    let client = reqwest::Client::builder()
        .local_address(Some("127.0.0.1".parse().unwrap()))
        .build()
        .unwrap();
    let body = client
        .get(format!("http://{}/peer", srv.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let peer: SocketAddr = body.parse().unwrap();
    assert!(peer.ip().is_loopback() && peer.port() != 0, "{body}");
}

#[tokio::test]
async fn a_handler_slower_than_the_request_timeout_is_answered_408() {
    let srv = start(Limits {
        request_timeout: Some(Duration::from_millis(300)),
        ..Limits::default()
    })
    .await;
    let r = reqwest::get(format!("http://{}/slow", srv.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), 408);
    assert!(r.text().await.unwrap().contains("within 300 ms"));
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_closes_idle_connections() {
    let mut srv = start(Limits::default()).await;
    let mut idle = TcpStream::connect(srv.addr).await.unwrap();
    let url = format!("http://{}/slow", srv.addr);
    let inflight = tokio::spawn(async move { reqwest::get(url).await.unwrap().text().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = srv.stop.take().unwrap().send(());
    // The silent connection is closed at once (nothing in flight on it)…
    closed_within(&mut idle, Duration::from_secs(1)).await;
    // …the slow request is answered, and only then does serve return.
    assert_eq!(inflight.await.unwrap().unwrap(), "slow\n");
    tokio::time::timeout(Duration::from_secs(5), srv.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(srv.addr).await.is_err());
}
