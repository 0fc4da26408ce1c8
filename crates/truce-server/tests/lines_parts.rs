//! A line version too large for one entry, submitted to `POST /v1/entries` as one atomic request
//! (its `line` head and `line.part` entries) through `app(state)`, then served whole by
//! `GET /v1/lines/{author}/{id}`; a request missing its last part leaves the version unserved.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use common::*;
use serde_json::{json, Value};
use tower::ServiceExt;
use truce_model::entry::{entry_id, sign, Body as EntryBody};
use truce_model::lines::{self, LineVersion};
use truce_model::{Id, Time};

fn signed(sc: &Scenario, author: &str, body: &EntryBody) -> Vec<u8> {
    let signer = truce_log::parse_signer(&sc.keys[author].signer).unwrap();
    sign(
        &Id::new(author).unwrap(),
        Time::parse("2025-03-21T09:00:00Z").unwrap(),
        body,
        &signer,
    )
    .unwrap()
    .bytes
}

async fn post(router: &Router, entries: &[Vec<u8>]) -> (StatusCode, Value) {
    let mut body = Vec::new();
    for e in entries {
        body.extend_from_slice(e);
        body.push(b'\n');
    }
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/v1/entries")
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(body))
        .unwrap();
    let a: std::net::SocketAddr = "10.0.0.1:4000".parse().unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(a));
    let r = router.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A head and its parts for a 6,000-vertex line `id`, signed by the monitor.
fn filing(sc: &Scenario, id: &str) -> (LineVersion, Vec<Vec<u8>>) {
    let coords: Vec<[f64; 2]> = (0..6_000)
        .map(|i| {
            let x = i as f64;
            [30.0 + x * 0.002, 48.0 + 0.03 * (x / 50.0).sin()]
        })
        .collect();
    let v: LineVersion = serde_json::from_value(json!({
        "id": id, "title": "Line of contact (long)", "kind": "contact",
        "geometry": {"type": "LineString", "coordinates": coords},
        "valid_from": "2025-03-20T00:00:00Z",
    }))
    .unwrap();
    let (head, mut parts) = lines::split(&v, lines::PART_BODY_BYTES).unwrap().unwrap();
    let h = signed(sc, "monitor", &EntryBody::LineHead(head));
    lines::bind(&mut parts, &entry_id(&h));
    let mut out = vec![h];
    out.extend(
        parts
            .into_iter()
            .map(|p| signed(sc, "monitor", &EntryBody::LinePart(p))),
    );
    (v, out)
}

#[tokio::test]
async fn a_long_line_is_submitted_in_one_atomic_request_and_served_whole() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let size = state.checkpoint().size;
    // A request without the last part: each entry is valid on its own and appended, but the
    // version never completes (the next entry ends it) and is never served.
    let (_, entries) = filing(&sc, "short-of-one");
    assert!(entries.len() >= 3, "{} entries", entries.len());
    let (status, body) = post(&router, &entries[..entries.len() - 1]).await;
    assert!(status.is_success(), "{status}: {body}");
    let r = get(&router, "/v1/lines/monitor/short-of-one", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(state.checkpoint().size > size);

    // Every part in one request: the version is served with every vertex.
    let (v2, entries) = filing(&sc, "long");
    let (status, body) = post(&router, &entries).await;
    assert!(status.is_success(), "{status}: {body}");
    let r = get(&router, "/v1/lines/monitor/long", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let got = r.json();
    assert_eq!(got["vertices"], 6_000);
    assert_eq!(
        got["geometry"],
        serde_json::to_value(&v2.geometry).unwrap(),
        "the assembled geometry"
    );
    assert_eq!(got["entry_id"], entry_id(&entries[0]));
    let listed = get(&router, "/v1/lines", None).await.json();
    let ids: Vec<&str> = listed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"long") && !ids.contains(&"short-of-one"),
        "{ids:?}"
    );
    // The incomplete one is named by the ledger.
    let l = state.0.ledger.read().unwrap();
    assert_eq!(l.incomplete_lines.len(), 1, "{:?}", l.incomplete_lines);
    assert!(l.incomplete_lines[0].1.contains("monitor/short-of-one"));
}
