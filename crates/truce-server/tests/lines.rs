//! `GET /v1/lines`, `/v1/lines.geojson` and `/v1/lines/{author}/{id}` through `app(state)`: every
//! version listed, the version in force at a time (none before its `valid_from`), the geometry,
//! and refusals naming the parameter.

mod common;

use axum::http::StatusCode;
use common::*;

#[tokio::test]
async fn lines_are_listed_and_shown_as_in_force_at_a_time() {
    let sc = scenario();
    let (_state, router) = open(&sc);

    let r = get(&router, "/v1/lines", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{v:#}");
    assert_eq!(versions[0]["author"], "monitor");
    assert_eq!(versions[0]["id"], "loc");
    assert_eq!(versions[0]["vertices"], 3);
    assert!(versions[0].get("geometry").is_none(), "{v:#}");

    // In force from 19 March: none the day before, the line after.
    let r = get(&router, "/v1/lines.geojson?at=2025-03-18T12:00:00Z", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type(), "application/geo+json");
    assert_eq!(r.json()["features"].as_array().unwrap().len(), 0);
    let r = get(&router, "/v1/lines.geojson?at=2025-03-20T00:00:00Z", None).await;
    let f = r.json()["features"].as_array().unwrap().clone();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["id"], "monitor/loc");
    assert_eq!(f[0]["geometry"]["type"], "LineString");
    assert_eq!(
        get(&router, "/v1/lines.geojson", None).await.json()["features"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let r = get(&router, "/v1/lines/monitor/loc", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["geometry"]["coordinates"][2][1], 48.2);
    let r = get(
        &router,
        "/v1/lines/monitor/loc?at=2025-03-18T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(
        r.body.contains("its first version holds from 2025-03-19"),
        "{}",
        r.body
    );
    let r = get(&router, "/v1/lines/monitor/nope", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = get(&router, "/v1/lines.geojson?at=yesterday", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "at", "{}", r.body);
    let r = get(&router, "/v1/lines?bbox=1,2,3,4", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}
