//! AIS gaps over `app(state)`: `GET /v1/ais/gaps` (a page of the gaps the views derived, with the
//! note saying what they are evidence of; filters; a bad parameter refused naming it) and
//! `GET /v1/ais/gaps.geojson` (a line from the last fix before to the first fix after).

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;
use truce_model::entry::Body;
use truce_model::Kind;

/// 2025-04-01T00:00:00Z.
const H0: i64 = 1_743_465_600;

/// A segment of `mmsi` in hour `h` (from H0), moving east 0.1° an hour along 44° N.
fn seg(mmsi: u32, h: i64) -> Body {
    let points: Vec<i64> = [0i64, 1800, 3540]
        .into_iter()
        .flat_map(|s| {
            let x = 31.0 + 0.1 * (h as f64 + s as f64 / 3600.0);
            [s * 1000, (x * 1e6).round() as i64, 44_000_000]
        })
        .collect();
    Body::parse(
        Kind::Track,
        json!({
            "fixes": 3, "flags": {}, "hour": H0 + h * 3600, "line_first": 1, "line_last": 9,
            "mmsi": mmsi, "part": 0, "points": points,
            "sha256": format!("{:064x}", u64::from(mmsi) * 100 + h as u64), "tol_mm": 50000,
        }),
    )
    .unwrap()
}

/// The query scenario plus one AIS batch filed by `firms` stating the Black Sea as its reception
/// area: 272000001 heard until 05:59 and from 20:00 (a gap), 272000002 all day (none).
fn with_gap() -> Scenario {
    let sc = scenario();
    let mut bodies: Vec<Body> = (0..6).chain(20..24).map(|h| seg(272_000_001, h)).collect();
    bodies.extend((0..24).map(|h| seg(272_000_002, h)));
    let black_sea = json!({"name": "Black Sea", "polygon": [[[28.0, 41.0], [42.0, 41.0], [42.0, 47.0], [28.0, 47.0], [28.0, 41.0]]]});
    file_ais(&sc, "2025-04-05T00:00:00Z", &bodies, Some(black_sea));
    sc
}

#[tokio::test]
async fn gaps_answer_a_page_and_geojson() {
    let sc = with_gap();
    let (_state, router) = open(&sc);
    let r = get(&router, "/v1/ais/gaps", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["total"], 1, "{v}");
    assert!(v["note"].as_str().unwrap().contains("occurrence-only"));
    let g = &v["items"][0];
    assert_eq!(g["mmsi"], 272_000_001);
    assert_eq!(g["start_time"], "2025-04-01T05:59:00Z");
    assert_eq!(g["end_time"], "2025-04-01T20:00:00Z");
    assert_eq!(g["hours"], 14.017);
    assert_eq!(g["coverage"].as_array().unwrap().len(), 1);

    for (q, n) in [
        ("mmsi=272000002", 0),
        ("mmsi=272000001", 1),
        ("from=2025-04-02", 0),
        ("to=2025-04-01T05:00:00Z", 0),
        ("bbox=31.5,43.9,31.7,44.1", 1),
        ("limit=0", 1),
    ] {
        let r = get(&router, &format!("/v1/ais/gaps?{q}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        assert_eq!(r.json()["total"], n, "{q}");
    }

    let r = get(&router, "/v1/ais/gaps?mmsi=x", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["field"], "mmsi", "{}", r.body);
    let r = get(&router, "/v1/ais/gaps?party=ua", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = get(&router, "/v1/ais/gaps.geojson", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type(), "application/geo+json");
    let v = r.json();
    assert_eq!(v["type"], "FeatureCollection");
    let f = &v["features"][0];
    assert_eq!(f["geometry"]["type"], "LineString");
    assert_eq!(f["geometry"]["coordinates"][0], g["start"]);
    assert_eq!(f["geometry"]["coordinates"][1], g["end"]);
    assert_eq!(f["properties"]["mmsi"], 272_000_001);
}
