//! Exports are streamed and heavy queries are capped (issue 19, item 3), and out-of-range
//! numbers are a 400 naming the parameter (item 9): the common scenario plus 1,500 FIRMS-like
//! reports (a `reports.geojson` of about 850 KB, more than the body's channel holds), driven
//! through `app(state)`.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use serde_json::json;
use tower::ServiceExt;
use truce_model::entry::{sign, Body as EntryBody};
use truce_model::{Id, Kind, Time};
use truce_server::{app, AppState};
use truce_store::{keyfile, Sequencer};

/// Reports appended after the scenario's.
const EXTRA: usize = 1_500;

/// The scenario with `EXTRA` more reports by `firms`, in batches of 250.
fn big_scenario() -> Scenario {
    let sc = scenario();
    off_runtime(|| grow(&sc));
    sc
}

fn grow(sc: &Scenario) {
    let d = sc.dir.path();
    let signer_key = keyfile::read(&d.join("log.key")).unwrap();
    let storage = writable_storage(d);
    let mut seq = Sequencer::open(storage, &signer_key).unwrap();
    let firms = truce_log::parse_signer(&sc.keys["firms"].signer).unwrap();
    let author = Id::new("firms").unwrap();
    let time = Time::parse("2025-03-23T02:00:00Z").unwrap();
    for batch in 0..EXTRA / 250 {
        let envs: Vec<Vec<u8>> = (0..250)
            .map(|k| {
                let n = batch * 250 + k;
                let b = EntryBody::parse(
                    Kind::Report,
                    json!({"id": format!("det-x{n}"), "time": {"start": "2025-03-22T20:22:00Z"},
                        "location": {"point": [30.0 + (n % 100) as f64 * 0.05, 48.0 + (n / 100) as f64 * 0.05], "uncertainty_m": 375},
                        "act": "fire-observed", "text": "a padded description of a fire pixel seen by the satellite pass, repeated to make the export larger than the channel that carries it"}),
                )
                .unwrap();
                sign(&author, time, &b, &firms).unwrap().bytes
            })
            .collect();
        let refs: Vec<&[u8]> = envs.iter().map(|e| e.as_slice()).collect();
        seq.append(&refs).unwrap();
    }
}

async fn request(router: &axum::Router, uri: &str) -> axum::response::Response {
    router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_streams_and_heavy_queries_beyond_the_cap_get_503_with_retry_after() {
    let sc = big_scenario();
    let mut config = config();
    config.max_heavy_queries = 1;
    config.heavy_retry_after_s = 7;
    let state = AppState::open(sc.dir.path(), config).unwrap();
    let router = app(state);

    // The whole document, read to the end: every report, valid GeoJSON.
    let whole = get(&router, "/v1/reports.geojson", None).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert!(whole.body.len() > 600_000, "{} bytes", whole.body.len());
    let n = whole.json()["features"].as_array().unwrap().len();
    assert_eq!(n, EXTRA + 5);

    // An export whose body nobody reads: its headers (and first chunk) arrive while the rest is
    // not produced yet — the producer waits on the bounded channel, holding its permit.
    let held = request(&router, "/v1/reports.geojson").await;
    assert_eq!(held.status(), StatusCode::OK);
    assert!(
        held.headers().get(header::CONTENT_LENGTH).is_none(),
        "streamed, not sized in advance"
    );
    // The cap is one: every other export answers 503 with Retry-After at once.
    for uri in [
        "/v1/reports.geojson",
        "/v1/sites.geojson",
        "/v1/incidents.geojson",
        "/v1/incidents.csv",
        "/v1/findings.csv",
    ] {
        let r = get(&router, uri, None).await;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}: {}",
            r.body
        );
        assert_eq!(
            r.headers
                .get(header::RETRY_AFTER)
                .unwrap()
                .to_str()
                .unwrap(),
            "7",
            "{uri}"
        );
        assert!(r.body.contains("max_heavy_queries"), "{}", r.body);
    }
    // Other queries are not heavy.
    assert_eq!(
        get(&router, "/v1/reports?limit=10", None).await.status,
        StatusCode::OK
    );
    // The held body, read now, is the same document; then the permit is free again.
    let bytes = axum::body::to_bytes(held.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(bytes, whole.body.as_bytes());
    let mut again = get(&router, "/v1/sites.geojson", None).await;
    for _ in 0..50 {
        if again.status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        again = get(&router, "/v1/sites.geojson", None).await;
    }
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);

    // A client that goes away frees the permit too.
    drop(request(&router, "/v1/reports.geojson").await);
    let mut after = get(&router, "/v1/incidents.csv", None).await;
    for _ in 0..50 {
        if after.status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        after = get(&router, "/v1/incidents.csv", None).await;
    }
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
}

#[tokio::test]
async fn out_of_range_numbers_are_400_naming_the_parameter_and_its_range() {
    let sc = scenario();
    let (_, router) = open(&sc);
    for (uri, field) in [
        ("/v1/incidents?offset=9223372036854775808", "offset"),
        ("/v1/findings?offset=9223372036854775808", "offset"),
        ("/v1/reports?offset=18446744073709551616", "offset"),
        ("/v1/incidents.geojson?limit=9223372036854775808", "limit"),
        ("/v1/findings.csv?offset=-1", "offset"),
        ("/v1/sites?limit=1e3", "limit"),
    ] {
        let r = get(&router, uri, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
        let e = &r.json()["error"];
        assert_eq!(e["field"], field, "{uri}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("from 0 to 9223372036854775807"),
            "{uri}: {e}"
        );
    }
    // The largest offset is valid: an empty page.
    let r = get(&router, "/v1/incidents?offset=9223372036854775807", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["items"], json!([]));
    let r = get(&router, "/v1/findings?offset=9223372036854775807", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
