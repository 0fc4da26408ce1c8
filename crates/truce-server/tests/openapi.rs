//! The OpenAPI document stays in sync with the router: every documented operation answers
//! something other than the router's fallback, and every route the service has is documented.

mod common;

use axum::http::{Method, StatusCode};
use common::*;

/// Every route of the service (method, path as documented). Add a route here when you add one
/// to the router; the test fails until it is documented.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/entries"),
    ("GET", "/v1/entries/{index}"),
    ("GET", "/v1/entries/{index}/known-by"),
    ("GET", "/checkpoint"),
    ("GET", "/v1/witnesses"),
    ("GET", "/tile/{L}/{N}"),
    ("GET", "/tile/entries/{N}"),
    ("GET", "/v1/proof/inclusion"),
    ("GET", "/v1/proof/consistency"),
    ("GET", "/v1/proof/tlog"),
    ("GET", "/v1/agreements"),
    ("GET", "/v1/agreements/{id}"),
    ("GET", "/v1/agreements/{id}/diff"),
    ("GET", "/v1/agreements/{id}/history"),
    ("GET", "/v1/process"),
    ("GET", "/v1/parties"),
    ("GET", "/v1/sites"),
    ("GET", "/v1/sites.geojson"),
    ("GET", "/v1/lines"),
    ("GET", "/v1/lines.geojson"),
    ("GET", "/v1/lines/{author}/{id}"),
    ("GET", "/v1/front.geojson"),
    ("GET", "/v1/observations.geojson"),
    ("GET", "/v1/front/counts"),
    ("GET", "/v1/ais/tracks.geojson"),
    ("GET", "/v1/ais/vessels"),
    ("GET", "/v1/ais/vessels/{mmsi}"),
    ("GET", "/v1/ais/gaps"),
    ("GET", "/v1/ais/gaps.geojson"),
    ("GET", "/v1/reports"),
    ("GET", "/v1/reports.geojson"),
    ("GET", "/v1/incidents"),
    ("GET", "/v1/incidents.geojson"),
    ("GET", "/v1/incidents.csv"),
    ("GET", "/v1/incidents/{id}"),
    ("GET", "/v1/background"),
    ("GET", "/v1/background/count"),
    ("GET", "/v1/background.geojson"),
    ("GET", "/v1/findings"),
    ("GET", "/v1/findings.csv"),
    ("GET", "/v1/compliance"),
    ("GET", "/v1/map/cells"),
    ("GET", "/v1/map/days"),
    ("GET", "/v1/commitments"),
    ("GET", "/v1/claims"),
    ("GET", "/v1/publications"),
    ("POST", "/v1/publications"),
    ("GET", "/v1/review/queue"),
    ("GET", "/v1/review/incidents/{id}"),
    ("GET", "/v1/restricted/{commitment}"),
    ("PUT", "/v1/restricted/{commitment}"),
];

const FALLBACK: &str = "no such endpoint";

fn documented() -> Vec<(String, String)> {
    let doc = truce_server::openapi::document();
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        for (m, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ] {
            if op.is_some() {
                out.push((m.to_string(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn the_document_is_openapi_3_1_with_errors_and_bearer_auth() {
    let doc = truce_server::openapi::document();
    let v: serde_json::Value = serde_json::from_str(&doc.to_json().unwrap()).unwrap();
    assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        v["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(v["components"]["schemas"]["ErrorBody"].is_object());
    for (path, item) in v["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}");
            for (code, r) in responses {
                assert!(
                    !r["description"].as_str().unwrap_or("").is_empty(),
                    "{method} {path} {code} has no description"
                );
            }
        }
    }
}

#[test]
fn every_known_route_is_documented_and_nothing_else() {
    let docs = documented();
    for (m, p) in ROUTES {
        assert!(
            docs.iter().any(|(dm, dp)| dm == m && dp == p),
            "{m} {p} is not in the OpenAPI document"
        );
    }
    for (m, p) in &docs {
        assert!(
            ROUTES.iter().any(|(rm, rp)| rm == m && rp == p),
            "{m} {p} is documented but not in this test's list of routes"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let sc = scenario();
    let (_state, router) = open(&sc);
    // The fallback is recognisable.
    let r = get(&router, "/v1/nothing-here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains(FALLBACK));
    for (m, p) in documented() {
        let uri = p
            .replace("{id}", "x")
            .replace("{commitment}", &"0".repeat(64))
            .replace("{index}", "0")
            .replace("{L}", "0")
            .replace("{N}", "000");
        let method = Method::from_bytes(m.as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| serde_json::json!({}));
        let r = send(&router, method, &uri, None, body).await;
        assert!(
            !(r.status == StatusCode::NOT_FOUND && r.body.contains(FALLBACK))
                && r.status != StatusCode::METHOD_NOT_ALLOWED,
            "{m} {uri} is documented but not routed: {} {}",
            r.status,
            r.body
        );
    }
}

#[tokio::test]
async fn the_served_document_is_the_library_one() {
    let sc = scenario();
    let (_state, router) = open(&sc);
    let r = get(&router, "/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/json");
    let served = r.json();
    let lib: serde_json::Value =
        serde_json::from_str(&truce_server::openapi::document().to_json().unwrap()).unwrap();
    assert_eq!(served, lib);
}
