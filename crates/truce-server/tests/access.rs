//! Tokens and rate limits over `app(state)`: malformed `Authorization` headers (400), unknown and
//! revoked tokens (401), tokens kept only as hashes, the per-address limit (429 with
//! `Retry-After`, IPv6 grouped by /64, skipped without a peer address) and the per-key limit.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::Router;
use common::*;
use std::net::SocketAddr;
use tower::ServiceExt;
use truce_model::Role;
use truce_server::access::{check_party_role, AccessError, Caller};
use truce_server::{app, AppState, Config};

async fn call(router: &Router, req: Request<Body>) -> Resp {
    let r = router.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn from(addr: &str) -> Request<Body> {
    let mut req = Request::builder()
        .uri("/v1/parties")
        .body(Body::empty())
        .unwrap();
    let a: SocketAddr = addr.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(a));
    req
}

#[tokio::test]
async fn malformed_unknown_and_revoked_credentials() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let with = |v: &[u8]| {
        let mut req = Request::builder()
            .uri("/v1/reports")
            .body(Body::empty())
            .unwrap();
        req.headers_mut()
            .append(header::AUTHORIZATION, HeaderValue::from_bytes(v).unwrap());
        req
    };
    for bad in [
        &b"Basic dXNlcjpwYXNz"[..],
        b"Bearer",
        b"Bearer ",
        b"Bearer two words",
        b"truce_abc",
        b"Bearer \xe9t\xe9",
    ] {
        let r = call(&router, with(bad)).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{:?}: {}",
            String::from_utf8_lossy(bad),
            r.body
        );
        assert_eq!(r.json()["error"]["field"], "Authorization");
    }
    let (tok, id) = state
        .0
        .access
        .create_token("ua", Role::Belligerent, "", 0)
        .unwrap();
    // Two headers.
    let mut req = with(format!("Bearer {tok}").as_bytes());
    req.headers_mut().append(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {tok}")).unwrap(),
    );
    assert_eq!(call(&router, req).await.status, StatusCode::BAD_REQUEST);
    // Case-insensitive scheme; the token works.
    let r = call(&router, with(format!("bearer {tok}").as_bytes())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Unknown: a well-formed token nobody issued, and a truncated one.
    for t in [
        "truce_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &tok[..20],
    ] {
        let r = get(&router, "/v1/reports", Some(t)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["error"]["code"], "unauthorized");
        assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    }
    state.0.access.revoke(&id).unwrap();
    let r = get(&router, "/v1/reports", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("revoked"));
    // Public access still works.
    assert_eq!(
        get(&router, "/v1/reports", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn tokens_are_listed_without_secrets_and_revocation_is_seen_by_a_running_server() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let (tok, id) = state
        .0
        .access
        .create_token("monitor", Role::Monitor, "field office", 1_700_000_000)
        .unwrap();
    assert!(tok.starts_with("truce_") && tok.len() == 49, "{tok}");
    let list = state.0.access.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].party, "monitor");
    assert_eq!(list[0].role, Role::Monitor);
    assert_eq!(list[0].label, "field office");
    assert_eq!(list[0].created_unix, 1_700_000_000);
    assert!(list[0].revoked_unix.is_none());
    assert!(!format!("{list:?}").contains(&tok[6..]));
    // What is stored holds the token's hash only: the SQLite file, or the shared log's table.
    let db = if cluster_backend() {
        off_runtime(|| {
            let spec = truce_cluster::spec::ClusterSpec::of_dir(sc.dir.path())
                .unwrap()
                .unwrap();
            let mut c = postgres::Client::connect(&spec.database, postgres::NoTls).unwrap();
            c.query("SELECT t::text FROM truce_access_tokens t", &[])
                .unwrap()
                .iter()
                .flat_map(|r| r.get::<_, String>(0).into_bytes())
                .collect::<Vec<u8>>()
        })
    } else {
        std::fs::read(sc.dir.path().join("access.db")).unwrap()
    };
    assert!(!db.is_empty());
    assert!(!db.windows(tok.len()).any(|w| w == tok.as_bytes()));
    assert_eq!(
        get(&router, "/v1/reports", Some(&tok)).await.status,
        StatusCode::OK
    );

    // Another process (the CLI) revokes it through its own handle on access.db.
    let cli = truce_server::access::Access::open(sc.dir.path(), &Config::default()).unwrap();
    cli.revoke(&id).unwrap();
    assert!(matches!(
        cli.revoke(&id),
        Err(AccessError::AlreadyRevoked(_))
    ));
    assert!(matches!(
        cli.revoke("0000"),
        Err(AccessError::UnknownToken(_))
    ));
    assert_eq!(
        get(&router, "/v1/reports", Some(&tok)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(state.0.access.list().unwrap()[0].revoked_unix.is_some());

    // The CLI's check before creating a token.
    let ledger = state.0.ledger.read().unwrap();
    assert!(check_party_role(&ledger, "ua", Role::Belligerent).is_ok());
    assert!(matches!(
        check_party_role(&ledger, "ua", Role::Monitor),
        Err(AccessError::RoleMismatch(_))
    ));
    assert!(check_party_role(&ledger, "nobody", Role::Monitor).is_err());
    assert!(check_party_role(&ledger, "Bad Id", Role::Monitor).is_err());
    // Labels are plain text.
    assert!(matches!(
        state
            .0
            .access
            .create_token("ua", Role::Belligerent, "a\nb", 0),
        Err(AccessError::BadLabel)
    ));
}

#[tokio::test]
async fn rate_limits_by_address_and_by_key() {
    let sc = scenario();
    let config = Config {
        rate_per_addr: 1.0,
        rate_per_key: 1.0,
        rate_burst: 2.0,
        ..config()
    };
    let state = AppState::open(sc.dir.path(), config).unwrap();
    let router = app(state.clone());
    for _ in 0..2 {
        assert_eq!(
            call(&router, from("10.0.0.1:5000")).await.status,
            StatusCode::OK
        );
    }
    let r = call(&router, from("10.0.0.1:5001")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"]["code"], "rate_limited");
    let retry: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    // Another address has its own bucket; IPv6 addresses share one per /64.
    assert_eq!(
        call(&router, from("10.0.0.2:5000")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(&router, from("[2001:db8::1]:1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(&router, from("[2001:db8::2]:1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(&router, from("[2001:db8::3]:1")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        call(&router, from("[2001:db8:0:1::1]:1")).await.status,
        StatusCode::OK
    );
    // An IPv4-mapped address is the IPv4 address.
    assert_eq!(
        call(&router, from("[::ffff:10.0.0.1]:1")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Without a peer address (in-process), no limit.
    for _ in 0..10 {
        assert_eq!(
            get(&router, "/v1/parties", None).await.status,
            StatusCode::OK
        );
    }
    // Per signing key, for the submission handler.
    let a = &state.0.access;
    assert!(a.allow_key("0badc0de") && a.allow_key("0badc0de"));
    assert!(!a.allow_key("0badc0de"));
    assert!(a.allow_key("12345678"));
}

#[test]
fn callers_without_a_token_are_public() {
    let c = Caller::public();
    assert!(c.is_public());
    assert_eq!(c.require().unwrap_err().status, StatusCode::UNAUTHORIZED);
}
