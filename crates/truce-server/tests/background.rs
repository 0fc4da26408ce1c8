//! Background detections over `app(state)`: FIRMS-like detections filed through `POST
//! /v1/entries` away from every protected site and allegation are listed by `/v1/background`
//! exactly as the engine serialises `Judgement.background`, counted per day by
//! `/v1/background/count`, exported by `/v1/background.geojson`, filtered by day, instant, bbox,
//! source and routine, paged, answered as known at an earlier log size, and never listed as
//! incidents; malformed or unknown parameters are refused naming the parameter.

mod common;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use tower::ServiceExt;
use truce_store::LogReader;

/// A FIRMS detection's entry (signed by the scenario's `firms` key).
fn detection(sc: &Scenario, id: &str, start: &str, lon: f64, lat: f64) -> Vec<u8> {
    let signer = truce_log::parse_signer(&sc.keys["firms"].signer).unwrap();
    let b = truce_model::entry::Body::parse(
        truce_model::Kind::Report,
        serde_json::json!({"id": id, "time": {"start": start},
            "location": {"point": [lon, lat], "uncertainty_m": 375}, "act": "fire-observed"}),
    )
    .unwrap();
    let filed = truce_model::Time::parse(start).unwrap().plus_days(1);
    truce_model::entry::sign(&truce_model::Id::new("firms").unwrap(), filed, &b, &signer)
        .unwrap()
        .bytes
}

/// Files `entries` as one atomic batch.
async fn submit(router: &axum::Router, entries: &[Vec<u8>]) {
    let mut body = b"[".to_vec();
    for (k, e) in entries.iter().enumerate() {
        if k > 0 {
            body.push(b',');
        }
        body.extend_from_slice(e);
    }
    body.push(b']');
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/v1/entries")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body))
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
}

/// The engine's background detections of the log in `dir`, serialised.
fn engine_background(dir: &std::path::Path) -> Vec<Value> {
    off_runtime(|| engine_background_here(dir))
}

fn engine_background_here(dir: &std::path::Path) -> Vec<Value> {
    let reader = LogReader::open(log_storage(dir)).unwrap();
    let (j, _) = truce_views::derived::judge(&reader, &mut |_| {}).unwrap();
    j.background_full()
        .map(|b| serde_json::to_value(b).unwrap())
        .collect()
}

/// Ten detections at one gas flare (ten days over 27: a persistent hot spot, so routine) and
/// three lone detections far from any site and any allegation.
fn detections(sc: &Scenario) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for k in 0..10u32 {
        let day = 1 + 3 * k;
        out.push(detection(
            sc,
            &format!("flare-{k}"),
            &format!("2025-05-{day:02}T01:30:00Z"),
            33.0,
            47.5,
        ));
    }
    out.push(detection(sc, "lone-1", "2025-04-02T01:00:00Z", 30.0, 50.0));
    out.push(detection(sc, "lone-2", "2025-04-02T03:00:00Z", 30.5, 50.5));
    out.push(detection(sc, "lone-3", "2025-04-03T01:00:00Z", 31.0, 48.0));
    out
}

fn items(r: &Resp) -> Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().unwrap().clone()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn background_is_listed_counted_exported_and_filtered() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let incidents_before = get(&router, "/v1/incidents", None).await.json()["total"].clone();
    let size_before = state.checkpoint().size;
    let r = get(&router, "/v1/background", None).await;
    assert!(items(&r).is_empty(), "the scenario's detection is evidence");

    submit(&router, &detections(&sc)).await;
    let size = state.checkpoint().size;

    // The list: exactly the engine's serialisation, in its order.
    let r = get(&router, "/v1/background?limit=1000", None).await;
    let all = items(&r);
    let j = r.json();
    assert_eq!(j["total"], 13);
    assert_eq!(j["limit"], 1000);
    assert_eq!(j["offset"], 0);
    assert_eq!(j["log_size"], size);
    assert_eq!(all, engine_background(sc.dir.path()));
    assert_eq!(
        ids(&all[..3]),
        ["lone-1", "lone-2", "lone-3"],
        "by start, then log index"
    );
    for i in &all {
        assert_eq!(i["author"], "firms");
        assert_eq!(i["role"], "open-data");
        assert_eq!(i["act"], "fire-observed");
        assert_eq!(i["side"], "sensor:firms");
        assert_eq!(i["day"], i["start"].as_str().unwrap()[..10]);
    }
    let routine: Vec<&Value> = all.iter().filter(|i| i.get("routine").is_some()).collect();
    assert_eq!(routine.len(), 10, "the flare is a persistent hot spot");
    assert!(all[..3].iter().all(|i| i.get("routine").is_none()));

    // Not incidents.
    let r = get(&router, "/v1/incidents?limit=1000", None).await;
    assert_eq!(r.json()["total"], incidents_before);
    assert!(!r.body.contains("lone-1") && !r.body.contains("flare-0"));

    // Default page, paging.
    let r = get(&router, "/v1/background", None).await;
    assert_eq!(r.json()["limit"], 100);
    assert_eq!(items(&r).len(), 13);
    let r = get(&router, "/v1/background?limit=2&offset=1", None).await;
    assert_eq!(items(&r), all[1..3].to_vec());
    assert_eq!(r.json()["total"], 13);
    let r = get(&router, "/v1/background?offset=13", None).await;
    assert!(items(&r).is_empty());

    // Filters: the list and the count agree with each other and with the engine's list.
    let cases: [(&str, Vec<&str>); 9] = [
        (
            "from=2025-04-03",
            all[2..].iter().map(|i| i["id"].as_str().unwrap()).collect(),
        ),
        ("to=2025-04-02", vec!["lone-1", "lone-2"]),
        (
            "from=2025-04-02T01:00:01Z&to=2025-04-03T01:00:00Z",
            vec!["lone-2", "lone-3"],
        ),
        (
            "from=2025-04-02T04:00:01%2B03:00",
            vec![
                "lone-2", "lone-3", "flare-0", "flare-1", "flare-2", "flare-3", "flare-4",
                "flare-5", "flare-6", "flare-7", "flare-8", "flare-9",
            ],
        ),
        ("bbox=29.9,49.9,30.5,50.5", vec!["lone-1", "lone-2"]),
        ("bbox=30,50,30,50", vec!["lone-1"]),
        ("routine=false", vec!["lone-1", "lone-2", "lone-3"]),
        ("routine=true&to=2025-05-04", vec!["flare-0", "flare-1"]),
        ("source=us", vec![]),
    ];
    for (q, want) in &cases {
        let r = get(&router, &format!("/v1/background?limit=1000&{q}"), None).await;
        let got = items(&r);
        assert_eq!(ids(&got), *want, "{q}");
        let c = get(&router, &format!("/v1/background/count?{q}"), None).await;
        assert_eq!(c.status, StatusCode::OK, "{q}: {}", c.body);
        let c = c.json();
        assert_eq!(c["count"], want.len(), "{q}");
        assert_eq!(c["log_size"], size);
        let mut by_day: BTreeMap<String, u64> = BTreeMap::new();
        for i in &got {
            *by_day.entry(i["day"].as_str().unwrap().into()).or_default() += 1;
        }
        assert_eq!(c["by_day"], serde_json::to_value(&by_day).unwrap(), "{q}");
    }
    let r = get(&router, "/v1/background?source=firms&limit=1000", None).await;
    assert_eq!(items(&r), all);

    // The count without filters, as its documented shape.
    let c = get(&router, "/v1/background/count", None).await;
    assert_eq!(c.content_type(), "application/json");
    let c = c.json();
    assert_eq!(
        c.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["by_day", "count", "log_size"]
    );
    assert_eq!(c["count"], 13);
    assert_eq!(c["by_day"]["2025-04-02"], 2);
    assert_eq!(c["by_day"].as_object().unwrap().len(), 12);

    // As known before the detections were filed: none.
    let r = get(
        &router,
        &format!("/v1/background?as_of={size_before}"),
        None,
    )
    .await;
    assert!(items(&r).is_empty());
    assert_eq!(r.json()["log_size"], size_before);
    let c = get(
        &router,
        &format!("/v1/background/count?as_of={size_before}"),
        None,
    )
    .await;
    assert_eq!(c.json()["count"], 0);
    let r = get(
        &router,
        &format!("/v1/background?as_of={size}&limit=1000"),
        None,
    )
    .await;
    assert_eq!(items(&r), all);

    // The export: every match as a point feature whose properties are the list's item.
    let r = get(&router, "/v1/background.geojson", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type(), "application/geo+json");
    let fc = r.json();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 13);
    for (f, i) in features.iter().zip(&all) {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["id"], i["entry_id"]);
        assert_eq!(f["geometry"]["type"], "Point");
        assert_eq!(f["geometry"]["coordinates"], i["point"]);
        assert_eq!(&f["properties"], i);
    }
    let r = get(
        &router,
        "/v1/background.geojson?routine=false&offset=1&limit=1",
        None,
    )
    .await;
    let fc = r.json();
    assert_eq!(fc["features"].as_array().unwrap().len(), 1);
    assert_eq!(fc["features"][0]["properties"]["id"], "lone-2");
    let r = get(&router, "/v1/background.geojson?source=nobody", None).await;
    assert_eq!(r.json()["features"], serde_json::json!([]));
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_them() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let beyond = state.checkpoint().size + 1;
    let cases = [
        ("/v1/background?party=ru", "party"),
        ("/v1/background?kind=strike", "kind"),
        ("/v1/background?routine=yes", "routine"),
        ("/v1/background?bbox=1,2,3", "bbox"),
        ("/v1/background?bbox=3,2,1,4", "bbox"),
        ("/v1/background?from=21-03-2025", "from"),
        ("/v1/background?from=2025-04-03&to=2025-04-02", "to"),
        ("/v1/background?source=Not%20An%20Id", "source"),
        ("/v1/background?limit=1001", "limit"),
        ("/v1/background?limit=-1", "limit"),
        ("/v1/background?offset=x", "offset"),
        ("/v1/background?routine=true&routine=false", "routine"),
        ("/v1/background/count?limit=1", "limit"),
        ("/v1/background/count?routine=1", "routine"),
        ("/v1/background.geojson?as_of=1", "as_of"),
        ("/v1/background.geojson?routine=no", "routine"),
    ];
    for (uri, field) in cases {
        let r = get(&router, uri, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{uri}: {}", r.body);
    }
    for uri in [
        format!("/v1/background?as_of={beyond}"),
        format!("/v1/background/count?as_of={beyond}"),
    ] {
        let r = get(&router, &uri, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], "as_of");
    }
}
