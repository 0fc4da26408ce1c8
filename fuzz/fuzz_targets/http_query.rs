//! HTTP query strings and paths through the real router (`truce_server::app`, driven with tower's
//! `oneshot`, no socket) over the server tests' scenario (crates/truce-server/tests/common): the
//! first byte picks an endpoint, the rest is its query string (or path). No answer is a 5xx: a
//! bad parameter is the client's error.
#![no_main]

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tower::ServiceExt;

#[allow(dead_code, unused_imports)]
#[path = "../../crates/truce-server/tests/common/mod.rs"]
mod common;

/// Endpoints whose query string is fuzzed.
const QUERY: &[&str] = &[
    "/v1/sites",
    "/v1/sites.geojson",
    "/v1/reports",
    "/v1/reports.geojson",
    "/v1/incidents",
    "/v1/incidents.geojson",
    "/v1/incidents.csv",
    "/v1/findings",
    "/v1/findings.csv",
    "/v1/compliance",
    "/v1/parties",
    "/v1/agreements",
    "/v1/commitments",
    "/v1/claims",
    "/v1/proof/inclusion",
    "/v1/proof/consistency",
    "/v1/proof/tlog",
    "/v1/review/queue",
    "/v1/publications",
    "/v1/agreements/energy-moratorium/history",
    "/v1/agreements/energy-moratorium/diff",
];
/// Prefixes whose path rest is fuzzed.
const PATH: &[&str] = &[
    "/tile/",
    "/v1/entries/",
    "/v1/incidents/",
    "/v1/agreements/",
];

struct Env {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    _scenario: common::Scenario,
}

static ENV: OnceLock<Env> = OnceLock::new();

fn env() -> &'static Env {
    ENV.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let scenario = common::scenario();
        let router = rt.block_on(async {
            let config = truce_server::Config {
                rate_per_addr: 1e12,
                rate_per_key: 1e12,
                rate_burst: 1e12,
                ..common::config()
            };
            let state = truce_server::AppState::open(scenario.dir.path(), config)
                .expect("the scenario opens");
            truce_server::app(state)
        });
        Env {
            rt,
            router,
            _scenario: scenario,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(rest) = std::str::from_utf8(rest) else {
        return;
    };
    let n = usize::from(pick);
    let uri = if n < QUERY.len() * 4 {
        format!("{}?{rest}", QUERY[n % QUERY.len()])
    } else {
        format!("{}{rest}", PATH[n % PATH.len()])
    };
    let Ok(req) = Request::builder().uri(&uri).body(Body::empty()) else {
        return;
    };
    let env = env();
    let status = env.rt.block_on(async {
        let r = env
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router answers");
        let status = r.status();
        let _ = axum::body::to_bytes(r.into_body(), 64 << 20).await;
        status
    });
    assert!(!status.is_server_error(), "{uri} answered {status}");
});
