//! Request bounds that need no handler: a body over `max_body_bytes` is 413 wherever a body is
//! read (`PUT /v1/restricted` too), and a huge declared `Content-Length` is refused from the
//! header at once on a real socket, not held until the request timeout; every request gets our
//! own `x-request-id`, the client's is logged apart, sanitised.

mod common;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use common::*;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;
use truce_server::{app, AppState, Config};

fn small() -> Config {
    Config {
        max_body_bytes: 4096,
        ..config()
    }
}

/// Issue 19, item 9: an oversized `PUT /v1/restricted/{c}` is 413, not 400 — without a
/// `Content-Length` (cut while read) and with one (refused from the header).
#[tokio::test]
async fn an_oversized_restricted_upload_is_413() {
    let sc = scenario();
    let state = AppState::open(sc.dir.path(), small()).unwrap();
    let router = app(state.clone());
    let tokens = tokens(&state);
    let big = format!(
        "{{\"kind\":\"persons\",\"salt\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"content\":\"{}\"}}",
        "x".repeat(10_000)
    );
    for with_length in [false, true] {
        let mut req = Request::builder()
            .method(Method::PUT)
            .uri(format!("/v1/restricted/{}", sc.persons.1))
            .header(header::AUTHORIZATION, format!("Bearer {}", tokens["ua"]))
            .header(header::CONTENT_TYPE, "application/json");
        if with_length {
            req = req.header(header::CONTENT_LENGTH, big.len());
        }
        let r = router
            .clone()
            .oneshot(req.body(Body::from(big.clone())).unwrap())
            .await
            .unwrap();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{with_length}: {v}");
        assert_eq!(v["error"]["code"], "too_large", "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("max_body_bytes"),
            "{v}"
        );
    }
}

/// Issue 19, item 9: a request declaring a body far over the limit and sending none is refused
/// at once with 413 (on every endpoint that reads a body), not held for the request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_declared_content_length_is_refused_up_front() {
    let sc = scenario();
    let state = AppState::open(sc.dir.path(), config()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(truce_server::serve(listener, state, async move {
        let _ = rx.await;
    }));
    let paths = [
        ("POST", "/v1/entries".to_string()),
        ("PUT", format!("/v1/restricted/{}", sc.persons.1)),
        ("POST", "/v1/publications".to_string()),
    ];
    for (method, path) in paths {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{{"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let t0 = Instant::now();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{method} {path}: no answer within 5 s"))
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(
            text.starts_with("HTTP/1.1 413"),
            "{method} {path} after {:?}: {text}",
            t0.elapsed()
        );
        assert!(
            text.contains("too_large") && text.contains("10000000000"),
            "{text}"
        );
    }
    // A body a little over the limit, sent whole: read and dropped, so the client always gets
    // the 413 rather than a connection reset while it is still sending.
    let limit = config().max_body_bytes;
    let client = reqwest::Client::new();
    for _ in 0..20 {
        let r = client
            .post(format!("http://{addr}/v1/entries"))
            .header("content-type", "application/json")
            .body(vec![b' '; limit + limit / 2])
            .send()
            .await
            .expect("the 413 is read, not a reset connection");
        assert_eq!(r.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// Captured log output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Issue 19, item 9: a client's `x-request-id` is never ours: the response carries an id made
/// here, the log shows that id and the client's apart, as printable ASCII of at most 64
/// characters.
#[tokio::test]
async fn our_request_id_always_and_the_clients_sanitised_apart() {
    let log = Captured::default();
    let w = log.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || w.clone())
            .finish(),
    )
    .unwrap();
    let sc = scenario();
    let (_state, router) = open(&sc);
    let mut theirs = b"forged-id\xff\xfe".to_vec();
    theirs.extend_from_slice(&[b'z'; 300]);
    let req = Request::builder()
        .uri("/healthz")
        .header("x-request-id", HeaderValue::from_bytes(&theirs).unwrap())
        .body(Body::empty())
        .unwrap();
    let r = router.clone().oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ours = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(!ours.contains("forged"), "{ours}");
    assert_eq!(ours.len(), 36, "a UUID: {ours}");
    // Without one, an id all the same.
    let r = router
        .clone()
        .oneshot(
            Request::builder()
                .uri("/healthz")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"].len(), 36);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&ours))
        .unwrap_or_else(|| panic!("no log line with our id {ours}:\n{text}"));
    let sanitised = format!("forged-id??{}…", "z".repeat(52));
    assert!(
        line.contains(&format!("id={ours}"))
            && line.contains(&format!("client_id=\"{sanitised}\"")),
        "{line}"
    );
    assert!(
        !text.contains(&"z".repeat(53)),
        "the client's id was cut to 64 characters:\n{text}"
    );
}
