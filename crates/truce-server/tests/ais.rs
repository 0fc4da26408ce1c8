//! AIS over `app(state)`: `GET /v1/ais/tracks.geojson` (a window, a vessel around a time, a
//! zoom, a box; bad parameters refused naming them in the one error shape),
//! `GET /v1/ais/vessels` (filters, paging) and `GET /v1/ais/vessels/{mmsi}`.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;
use truce_model::entry::Body;
use truce_model::Kind;

/// 2025-04-02T03:00:00Z.
const H: i64 = 1_743_562_800;

fn track(mmsi: u32, hour: i64, sha: char, lon0: f64, n: i64) -> Body {
    let points: Vec<i64> = (0..n)
        .flat_map(|i| {
            [
                i * 60_000,
                ((lon0 + 0.01 * i as f64) * 1e6).round() as i64,
                46_300_000,
            ]
        })
        .collect();
    Body::parse(
        Kind::Track,
        json!({
            "fixes": n + 1, "flags": {}, "hour": hour, "line_first": 2, "line_last": 90,
            "mmsi": mmsi, "part": 0, "points": points,
            "sha256": sha.to_string().repeat(64), "tol_mm": 50000,
        }),
    )
    .unwrap()
}

/// The query scenario plus a batch of AIS filed by `firms` (open data): a tanker (219000001) over
/// two hours and a warship (273000002) for one.
fn with_ais() -> Scenario {
    let sc = scenario();
    let bodies = [
        track(219_000_001, H, 'a', 30.85, 60),
        track(219_000_001, H + 3_600, 'b', 31.45, 30),
        Body::Vessel(truce_model::ais::Vessel::new(
            219_000_001,
            Some(9_000_001),
            Some("ANNA".into()),
            None,
            Some(80),
            None,
        )),
        track(273_000_002, H, 'c', 33.4, 5),
        Body::Vessel(truce_model::ais::Vessel::new(
            273_000_002,
            None,
            Some("WARSHIP".into()),
            None,
            Some(35),
            None,
        )),
    ];
    file_ais(&sc, "2025-04-03T00:00:00Z", &bodies, None);
    sc
}

#[tokio::test]
async fn tracks_answer_geojson_for_a_window_a_vessel_and_a_zoom() {
    let sc = with_ais();
    let (_state, router) = open(&sc);
    let r = get(
        &router,
        "/v1/ais/tracks.geojson?from=2025-04-02&to=2025-04-02",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type(), "application/geo+json");
    let v = r.json();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["features"].as_array().unwrap().len(), 2);
    assert_eq!(v["truncated"], false);
    let f = &v["features"][0];
    assert_eq!(f["properties"]["mmsi"], 219_000_001);
    assert_eq!(f["properties"]["name"], "ANNA");
    assert_eq!(f["properties"]["class"], "commercial");
    assert_eq!(f["properties"]["points_total"], 90);
    assert_eq!(f["geometry"]["type"], "LineString");
    assert_eq!(v["features"][1]["properties"]["class"], "military");

    // One vessel ±30 min around 04:00, at zoom 9: a straight run keeps its two ends.
    let r = get(
        &router,
        "/v1/ais/tracks.geojson?mmsi=219000001&at=2025-04-02T04:00:00Z&hours=0.5&zoom=9",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let p = &v["features"][0]["properties"];
    assert_eq!(p["points_total"], 60);
    assert_eq!(p["points"], 2);
    assert_eq!(p["first"], "2025-04-02T03:30:00Z");
    assert_eq!(v["features"].as_array().unwrap().len(), 1);

    // A box off Sevastopol: nothing of the tanker.
    let r = get(
        &router,
        "/v1/ais/tracks.geojson?from=2025-04-02&bbox=33.3,44,34,47",
        None,
    )
    .await;
    assert_eq!(r.json()["features"][0]["properties"]["mmsi"], 273_000_002);
    assert_eq!(r.json()["features"].as_array().unwrap().len(), 1);

    // Bad parameters: 400 naming them, in the one error shape.
    for (q, field) in [
        ("from=2025-03-01&to=2025-05-01", "to"),
        ("mmsi=ship", "mmsi"),
        ("zoom=40", "zoom"),
        ("limit=99999", "limit"),
        ("bbox=1,2", "bbox"),
        ("speed=3", "speed"),
    ] {
        let r = get(&router, &format!("/v1/ais/tracks.geojson?{q}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{q}: {}", r.body);
    }
}

#[tokio::test]
async fn vessels_are_listed_filtered_and_shown_one_by_one() {
    let sc = with_ais();
    let (_state, router) = open(&sc);
    let r = get(&router, "/v1/ais/vessels", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["total"], 2);
    assert_eq!(v["items"][0]["mmsi"], 219_000_001);
    assert_eq!(v["items"][0]["versions"][0]["author"], "firms");
    assert_eq!(v["items"][0]["versions"][0]["imo"], 9_000_001);
    assert_eq!(v["items"][0]["track"]["segments"], 2);
    let v = get(&router, "/v1/ais/vessels?class=military", None)
        .await
        .json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["name"], "WARSHIP");
    let v = get(&router, "/v1/ais/vessels?q=ann&limit=1", None)
        .await
        .json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["limit"], 1);
    let r = get(&router, "/v1/ais/vessels?class=pirate", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["field"], "class");

    let v = get(&router, "/v1/ais/vessels/273000002", None).await.json();
    assert_eq!(v["class"], "military");
    assert_eq!(v["track"]["first"], "2025-04-02T03:00:00Z");
    assert!(v["log_size"].as_u64().unwrap() > 0);
    let v = get(&router, "/v1/ais/vessels/123", None).await.json();
    assert_eq!(v["versions"], json!([]));
    assert_eq!(v["track"], serde_json::Value::Null);
    let r = get(&router, "/v1/ais/vessels/not-a-number", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["field"], "mmsi");
}
