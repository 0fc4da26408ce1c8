//! The server's views follow its writer: after each acknowledged submission, `/v1/incidents`
//! answers with it (the live judgement re-judged what it reaches, `views.db` took the rows that
//! changed), and `views.db` then holds byte for byte what a rebuild of the log stores.

mod common;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::{json, Value};
use tower::ServiceExt;
use truce_store::LogReader;
use truce_views::db::ViewStore;

/// An entry signed by the scenario's key of `author`, filed a day after `start`.
fn entry(sc: &Scenario, author: &str, start: &str, body: Value) -> Vec<u8> {
    let signer = truce_log::parse_signer(&sc.keys[author].signer).unwrap();
    let kind = if body.get("amends").is_some() {
        truce_model::Kind::Amend
    } else {
        truce_model::Kind::Report
    };
    let b = truce_model::entry::Body::parse(kind, body).unwrap();
    let filed = truce_model::Time::parse(start).unwrap().plus_days(1);
    truce_model::entry::sign(&truce_model::Id::new(author).unwrap(), filed, &b, &signer)
        .unwrap()
        .bytes
}

async fn submit(router: &axum::Router, e: &[u8]) -> Value {
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/v1/entries")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(e.to_vec()))
        .unwrap();
    let r = router.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    serde_json::from_slice(&bytes).unwrap()
}

/// What `truce rebuild` would store for the log in `dir`, dumped.
fn rebuilt(dir: &std::path::Path) -> Vec<String> {
    off_runtime(|| rebuilt_here(dir))
}

fn rebuilt_here(dir: &std::path::Path) -> Vec<String> {
    let reader = LogReader::open(log_storage(dir)).unwrap();
    let (j, stamp) = truce_views::derived::judge(&reader, &mut |_| {}).unwrap();
    let path = dir.join("rebuilt.db");
    let _ = std::fs::remove_file(&path);
    let mut v = ViewStore::open(&path).unwrap();
    truce_views::derived::store(&mut v, &j, &stamp).unwrap();
    v.dump().unwrap()
}

fn members(incidents: &Value) -> Vec<String> {
    incidents["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["members"].as_array().cloned().unwrap_or_default())
        .map(|m| m["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_follow_each_submission_and_equal_a_rebuild() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let first = get(&router, "/v1/incidents?limit=1000", None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    // Detections near the Sudzha station, an allegation there, another far away, a retraction.
    let steps: Vec<(&str, &str, Value)> = vec![
        (
            "firms",
            "2025-03-22T20:00:00Z",
            json!({"id": "det-live-1", "time": {"start": "2025-03-22T20:00:00Z"},
                "location": {"point": [35.272, 51.191], "uncertainty_m": 375}, "act": "fire-observed"}),
        ),
        (
            "ua",
            "2025-03-22T21:00:00Z",
            json!({"id": "live-allegation", "time": {"start": "2025-03-22T19:30:00Z", "end": "2025-03-22T21:00:00Z"},
                "location": {"point": [35.27, 51.19], "uncertainty_m": 2000}, "act": "drone-strike",
                "alleged_perpetrator": "ru", "target_category": "energy.gas.metering"}),
        ),
        (
            "firms",
            "2025-03-23T02:00:00Z",
            json!({"id": "det-live-far", "time": {"start": "2025-03-23T02:00:00Z"},
                "location": {"point": [30.0, 50.0], "uncertainty_m": 375}, "act": "fire-observed"}),
        ),
        (
            "ru",
            "2025-03-24T10:00:00Z",
            json!({"id": "live-counter", "time": {"start": "2025-03-22T19:40:00Z"},
                "location": {"point": [35.27, 51.19], "uncertainty_m": 3000}, "act": "sabotage",
                "alleged_perpetrator": "ua", "target_category": "energy.gas.metering"}),
        ),
    ];
    let mut ids = Vec::new();
    for (author, start, body) in steps {
        let ack = submit(&router, &entry(&sc, author, start, body.clone())).await;
        ids.push((
            author,
            ack["entry_id"].as_str().unwrap_or_default().to_string(),
        ));
        let now = get(&router, "/v1/incidents?limit=1000", None).await;
        assert_eq!(now.status, StatusCode::OK, "{}", now.body);
        assert_eq!(now.json()["log_size"], state.checkpoint().size);
        let stored = state.0.views.with(|v| v.dump().unwrap());
        assert_eq!(stored, rebuilt(sc.dir.path()), "after {body}");
        if body["act"] != "fire-observed" {
            assert!(
                members(&now.json()).contains(&body["id"].as_str().unwrap().to_string()),
                "{body} is in /v1/incidents at once"
            );
        }
    }
    // The allegation retracted: it leaves the incidents, the views still equal a rebuild.
    let (author, id) = ids[1].clone();
    submit(
        &router,
        &entry(
            &sc,
            author,
            "2025-03-24T12:00:00Z",
            json!({"amends": id, "action": "retract", "reason": "withdrawn"}),
        ),
    )
    .await;
    let now = get(&router, "/v1/incidents?limit=1000", None).await;
    assert!(!members(&now.json()).contains(&"live-allegation".to_string()));
    let stored = state.0.views.with(|v| v.dump().unwrap());
    assert_eq!(stored, rebuilt(sc.dir.path()));
}
