//! The query endpoints, exports and restricted content over `app(state)`: for every GET endpoint
//! of the OpenAPI document, who sees which restricted content (the public never does);
//! uploads accepted only with the right hash and authorship; pagination; every filter, and bad
//! ones refused naming the parameter; GeoJSON and CSV exports; views recomputed when the log grows.

mod common;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// Every GET path of the document, with its parameters filled in from the scenario.
fn get_paths(incident: &str, commitments: &[&str]) -> Vec<String> {
    let doc = truce_server::openapi::document();
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        if item.get.is_none() {
            continue;
        }
        if path.contains("{commitment}") {
            for c in commitments {
                out.push(path.replace("{commitment}", c));
            }
            continue;
        }
        let p = if path.starts_with("/v1/incidents/") || path.starts_with("/v1/review/incidents/") {
            path.replace("{id}", incident)
        } else if path.starts_with("/v1/lines/") {
            path.replace("{author}", "monitor").replace("{id}", "loc")
        } else {
            path.replace("{id}", AGREEMENT)
        };
        out.push(
            p.replace("{L}", "0")
                .replace("{N}", "000.p/3")
                .replace("{index}", "0")
                .replace("{mmsi}", "219000001"),
        );
    }
    // Proofs need their parameters to answer something.
    for p in out.iter_mut() {
        if p == "/v1/proof/inclusion" || p == "/v1/proof/tlog" {
            p.push_str("?index=0");
        } else if p == "/v1/proof/consistency" {
            p.push_str("?old=1");
        } else if p == "/v1/front.geojson" {
            p.push_str(&format!("?agreement={AGREEMENT}&reading=ru"));
        } else if p == "/v1/front/counts" {
            p.push_str("?date=2025-03-21&tz=Europe/Kyiv");
        }
    }
    out
}

const MARKERS: [&str; 3] = [PERSONS_MARKER, EVIDENCE_MARKER, POSITION_MARKER];

/// The Sudzha incident's id (the one with the ua report and its evidence).
async fn sudzha(router: &axum::Router) -> String {
    let r = get(router, "/v1/incidents?limit=100", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == "sudzha-shelling")
        })
        .expect("the Sudzha incident")["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_get_endpoint_shows_restricted_content_only_to_permitted_roles() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let tok = tokens(&state);
    let r = upload(
        &router,
        &tok["ua"],
        &sc.persons.1,
        "persons",
        &sc.persons.0,
        &persons_content(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = upload(
        &router,
        &tok["ua"],
        &sc.evidence.1,
        "evidence",
        &sc.evidence.0,
        &evidence_content(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = upload(
        &router,
        &tok["monitor"],
        &sc.position.1,
        "position",
        &sc.position.0,
        &position_content(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let incident = sudzha(&router).await;
    let paths = get_paths(&incident, &[&sc.persons.1, &sc.evidence.1, &sc.position.1]);
    assert!(paths.len() >= 25, "{paths:?}");

    // Who may see what, over all GET endpoints together.
    let expected: [(Option<&str>, &[&str]); 7] = [
        (None, &[]),
        (Some("operator"), &MARKERS),
        (Some("monitor"), &MARKERS),
        (Some("ua"), &[PERSONS_MARKER, EVIDENCE_MARKER]),
        (Some("us"), &[PERSONS_MARKER]),
        (Some("ru"), &[]),
        (Some("firms"), &[]),
    ];
    for (who, want) in expected {
        let token = who.map(|w| tok[w].as_str());
        let mut seen = BTreeSet::new();
        for p in &paths {
            let r = get(&router, p, token).await;
            assert!(
                r.status != StatusCode::NOT_FOUND || !r.body.contains("no such endpoint"),
                "{p}: {}",
                r.body
            );
            for m in MARKERS {
                if r.body.contains(m) {
                    seen.insert(m);
                    if who.is_none() {
                        panic!("public GET {p} leaks {m}: {}", r.body);
                    }
                }
            }
            if who.is_none() && p.starts_with("/v1/restricted/") {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}");
            }
            if p.starts_with("/v1/review/") && !matches!(who, Some("operator" | "monitor")) {
                // The review queue is for monitors and the operator only.
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{who:?} {p}: {}", r.body);
            } else if who.is_some()
                && p.starts_with("/v1/")
                && !p.starts_with("/v1/restricted/")
                && !p.starts_with("/v1/proof")
                && !p.starts_with("/v1/entries")
            {
                assert_eq!(r.status, StatusCode::OK, "{who:?} {p}: {}", r.body);
            }
        }
        let want: BTreeSet<&str> = want.iter().copied().collect();
        assert_eq!(seen, want, "markers seen by {who:?}");
    }

    // Where it shows inline, for a permitted caller.
    let op = Some(tok["operator"].as_str());
    let r = get(&router, "/v1/reports?party=ua", op).await.json();
    let ua = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["report"]["id"] == "sudzha-shelling")
        .unwrap();
    assert_eq!(ua["evidence_content"][0]["hash"], sc.evidence.1.as_str());
    assert_eq!(ua["evidence_content"][0]["kind"], "evidence");
    assert_eq!(ua["evidence_content"][0]["content"], evidence_content());
    let r = get(&router, "/v1/commitments", Some(&tok["us"]))
        .await
        .json();
    let f = &r["items"][0]["fulfilment_entries"][0];
    assert_eq!(f["fulfilment"]["persons_commitment"], sc.persons.1.as_str());
    assert_eq!(f["persons"], persons_content());
    let r = get(&router, &format!("/v1/incidents/{incident}"), op)
        .await
        .json();
    assert!(r["reports"].to_string().contains(EVIDENCE_MARKER));
    // The public sees the commitments, not the content.
    let r = get(&router, "/v1/commitments", None).await.json();
    let f = &r["items"][0]["fulfilment_entries"][0];
    assert_eq!(f["fulfilment"]["persons_commitment"], sc.persons.1.as_str());
    assert!(f.get("persons").is_none());
    let r = get(&router, "/v1/reports?party=ua", None).await.json();
    assert!(r["items"].to_string().contains(&sc.evidence.1));

    // GET /v1/restricted: the content with its salt, so the reader can check the log.
    let r = get(
        &router,
        &format!("/v1/restricted/{}", sc.persons.1),
        Some(&tok["us"]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["content"], persons_content());
    assert_eq!(v["kind"], "persons");
    assert_eq!(v["filed_by"], serde_json::json!(["ua"]));
    assert_eq!(commit(v["content"].as_str().unwrap(), 11).1, sc.persons.1);
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    // Forbidden roles: 403, in the error shape.
    for (who, c) in [
        ("ru", &sc.persons.1),
        ("firms", &sc.evidence.1),
        ("us", &sc.evidence.1),
        ("us", &sc.position.1),
        ("ua", &sc.position.1),
    ] {
        let r = get(&router, &format!("/v1/restricted/{c}"), Some(&tok[who])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "forbidden");
    }
    let r = get(&router, &format!("/v1/restricted/{}", "0".repeat(64)), op).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(&router, "/v1/restricted/nothex", op).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // A revoked token: 401 everywhere it is presented.
    let (t, tid) = state
        .0
        .access
        .create_token("monitor", truce_model::Role::Monitor, "temp", 0)
        .unwrap();
    assert_eq!(
        get(&router, "/v1/reports", Some(&t)).await.status,
        StatusCode::OK
    );
    state.0.access.revoke(&tid).unwrap();
    for p in [
        "/v1/reports",
        "/v1/incidents",
        &format!("/v1/restricted/{}", sc.position.1),
    ] {
        let r = get(&router, p, Some(&t)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}");
        assert_eq!(r.json()["error"]["code"], "unauthorized");
        assert!(!r.body.contains(POSITION_MARKER));
    }
}

#[tokio::test]
async fn uploads_need_the_right_hash_and_an_entry_by_the_uploader() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let tok = tokens(&state);
    let (salt, c) = (&sc.persons.0, &sc.persons.1);
    let content = persons_content();
    let put = |token: Option<String>, commitment: String, body: Value| {
        let router = router.clone();
        async move {
            send(
                &router,
                Method::PUT,
                &format!("/v1/restricted/{commitment}"),
                token.as_deref(),
                Some(body),
            )
            .await
        }
    };
    let b64 = |s: &[u8]| {
        use base64::prelude::*;
        BASE64_STANDARD.encode(s)
    };
    let good = serde_json::json!({"kind": "persons", "salt": b64(salt), "content": content});
    let ua = Some(tok["ua"].clone());

    // No token.
    let r = put(None, c.clone(), good.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Not a commitment.
    let r = put(ua.clone(), "abc".into(), good.clone()).await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, "commitment".into())
    );
    // Malformed bodies.
    let r = put(
        ua.clone(),
        c.clone(),
        serde_json::json!({"kind": "persons"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = put(
        ua.clone(),
        c.clone(),
        serde_json::json!({"kind": "list", "salt": b64(salt), "content": content}),
    )
    .await;
    assert_eq!(r.json()["error"]["field"], "kind");
    let r = put(
        ua.clone(),
        c.clone(),
        serde_json::json!({"kind": "persons", "salt": "***", "content": content}),
    )
    .await;
    assert_eq!(r.json()["error"]["field"], "salt");
    let r = put(
        ua.clone(),
        c.clone(),
        serde_json::json!({"kind": "persons", "salt": b64(b"short"), "content": content}),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, "salt".into())
    );
    // The hash does not match.
    let r = put(
        ua.clone(),
        c.clone(),
        serde_json::json!({"kind": "persons", "salt": b64(salt), "content": "someone else"}),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, "content".into())
    );
    // Nothing in the log commits to it.
    let (s2, c2) = commit("not in the log", 3);
    let r = put(
        ua.clone(),
        c2,
        serde_json::json!({"kind": "persons", "salt": b64(&s2), "content": "not in the log"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Committed to by ua's fulfilment: ru may not upload it, even knowing it.
    let r = put(Some(tok["ru"].clone()), c.clone(), good.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = put(Some(tok["operator"].clone()), c.clone(), good.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Committed to as a persons list, not as evidence.
    let r = put(
        ua.clone(),
        c.clone(),
        serde_json::json!({"kind": "evidence", "salt": b64(salt), "content": content}),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, "kind".into())
    );
    // Stored, then idempotent.
    let r = put(ua.clone(), c.clone(), good.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["created"], true);
    assert!(r.json()["referenced_by"].as_array().unwrap().len() == 1);
    let r = put(ua.clone(), c.clone(), good.clone()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["created"], false);
    // Evidence of the monitor's report: the monitor may upload it as a position.
    let r = upload(
        &router,
        &tok["monitor"],
        &sc.position.1,
        "position",
        &sc.position.0,
        &position_content(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The content is not in the log's files or anywhere but restricted.db.
    for f in ["truce.db", "views.db", "access.db"] {
        let bytes = std::fs::read(sc.dir.path().join(f)).unwrap_or_default();
        assert!(
            !bytes
                .windows(PERSONS_MARKER.len())
                .any(|w| w == PERSONS_MARKER.as_bytes()),
            "{f}"
        );
    }
}

#[tokio::test]
async fn pagination_and_filters() {
    let sc = scenario();
    let (_state, router) = open(&sc);
    let total = |v: &Value| v["total"].as_u64().unwrap();
    let items = |v: &Value| v["items"].as_array().unwrap().len();

    // Pagination.
    let all = get(&router, "/v1/reports", None).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.headers.get(header::CACHE_CONTROL).unwrap(), "no-cache");
    let all = all.json();
    assert_eq!(total(&all), 5);
    assert_eq!(all["limit"], 100);
    assert_eq!(all["offset"], 0);
    let log_size = all["log_size"].as_u64().unwrap();
    assert!(log_size > 10);
    let p = get(&router, "/v1/reports?limit=2&offset=1", None)
        .await
        .json();
    assert_eq!((items(&p), total(&p)), (2, 5));
    assert_eq!(p["items"][0], all["items"][1]);
    assert_eq!(p["items"][1], all["items"][2]);
    let p = get(&router, "/v1/reports?limit=2&offset=4", None)
        .await
        .json();
    assert_eq!(items(&p), 1);
    let p = get(&router, "/v1/reports?offset=99", None).await.json();
    assert_eq!((items(&p), total(&p)), (0, 5));
    let p = get(&router, "/v1/reports?limit=0", None).await.json();
    assert_eq!((items(&p), total(&p)), (0, 5));

    // Ledger filters.
    let n = |uri: &'static str| {
        let router = router.clone();
        async move {
            let r = get(&router, uri, None).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
            r.json()["total"].as_u64().unwrap()
        }
    };
    assert_eq!(n("/v1/reports?party=ua").await, 3, "by ua, or blaming ua");
    assert_eq!(
        n("/v1/reports?kind=strike").await,
        2,
        "shelling and the drone strike"
    );
    assert_eq!(n("/v1/reports?kind=fire-observed").await, 1);
    assert_eq!(n("/v1/reports?from=2025-03-22").await, 2);
    assert_eq!(n("/v1/reports?from=2025-03-22&to=2025-03-22").await, 1);
    assert_eq!(
        n("/v1/reports?from=2025-03-20T21:00:00Z&to=2025-03-20T21:30:00Z").await,
        2
    );
    assert_eq!(
        n("/v1/reports?from=2025-03-21T00:20:00%2B03:00").await,
        3,
        "from 21:20 UTC"
    );
    assert_eq!(
        n("/v1/reports?from=2025-03-21T00:20:00+03:00").await,
        3,
        "an unencoded + is read as one"
    );
    assert_eq!(n("/v1/reports?bbox=35,51,36,52").await, 3);
    assert_eq!(n("/v1/reports?bbox=35,51,36,52&party=ru").await, 2);
    assert_eq!(n("/v1/sites").await, 3);
    assert_eq!(n("/v1/sites?kind=energy.oil.*").await, 1);
    assert_eq!(n("/v1/sites?kind=set:kremlin-2025-03-25").await, 3);
    assert_eq!(n("/v1/sites?party=ru").await, 2);
    assert_eq!(
        n("/v1/sites?bbox=32.55,46.65,33,47").await,
        1,
        "the polygon"
    );
    assert_eq!(n("/v1/parties").await, 6);
    assert_eq!(n("/v1/parties?role=belligerent").await, 2);
    assert_eq!(n("/v1/process").await, 1);
    assert_eq!(n("/v1/agreements").await, 1);
    assert_eq!(n("/v1/agreements?party=ua").await, 1);
    assert_eq!(n("/v1/agreements?party=firms").await, 0);
    assert_eq!(n("/v1/commitments").await, 1);
    assert_eq!(n("/v1/commitments?party=ru").await, 0);
    assert_eq!(
        n("/v1/commitments?party=ua").await,
        1,
        "ua filed the fulfilment"
    );
    assert_eq!(n("/v1/claims").await, 1);
    assert_eq!(n("/v1/claims?party=ru").await, 1);
    assert_eq!(n("/v1/claims?party=ua").await, 0);

    let a = get(&router, "/v1/agreements", None).await.json();
    assert_eq!(a["items"][0]["readings"], serde_json::json!(["ru", "ua"]));
    let a = get(&router, &format!("/v1/agreements/{AGREEMENT}"), None)
        .await
        .json();
    assert_eq!(a["readings"].as_array().unwrap().len(), 2);
    assert_eq!(a["agreement"]["phase"], "moratorium");
    let d = get(&router, &format!("/v1/agreements/{AGREEMENT}/diff"), None)
        .await
        .json();
    let start = d["diff"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["aspect"] == "start")
        .unwrap();
    assert_eq!(start["differs"], true);
    assert_eq!(
        get(&router, "/v1/agreements/nope", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&router, "/v1/agreements/nope/diff", None).await.status,
        StatusCode::NOT_FOUND
    );
    let c = get(&router, "/v1/claims", None).await.json();
    assert_eq!(c["items"][0]["contradiction"], true);
    let c = get(&router, "/v1/commitments", None).await.json();
    assert_eq!(c["items"][0]["status"], "fulfilled");

    // Engine filters.
    let incidents = get(&router, "/v1/incidents", None).await.json();
    let n_inc = total(&incidents);
    assert!(n_inc >= 3, "{incidents}");
    assert_eq!(incidents["log_size"].as_u64().unwrap(), log_size);
    let ids: Vec<&str> = incidents["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let p = get(&router, "/v1/incidents?limit=1&offset=1", None)
        .await
        .json();
    assert_eq!((items(&p), total(&p)), (1, n_inc));
    assert_eq!(p["items"][0]["id"], ids[1]);
    let blamed_ua = get(&router, "/v1/incidents?party=ua", None).await.json();
    assert!(total(&blamed_ua) >= 2);
    for i in blamed_ua["items"].as_array().unwrap() {
        assert!(i["alleged"].to_string().contains("\"ua\""), "{i}");
    }
    let fire = get(&router, "/v1/incidents?kind=fire-observed", None)
        .await
        .json();
    assert_eq!(
        total(&fire),
        1,
        "only the Sudzha incident has the detection"
    );
    let late = get(&router, "/v1/incidents?from=2025-03-27", None)
        .await
        .json();
    assert_eq!(total(&late), 1, "Kavkazskaya");
    let precise = get(&router, "/v1/incidents?to=2025-03-20T20:30:00Z", None)
        .await
        .json();
    assert_eq!(total(&precise), 1, "Sudzha starts at the 20:22 detection");
    let far = get(&router, "/v1/incidents?bbox=40,45,41,46", None)
        .await
        .json();
    assert_eq!(total(&far), 1);
    let g = incidents["items"][0]["occurrence"]
        .as_str()
        .unwrap()
        .to_string();
    let by_grade = get(&router, &format!("/v1/incidents?occurrence={g}"), None)
        .await
        .json();
    assert!(total(&by_grade) >= 1);
    for i in by_grade["items"].as_array().unwrap() {
        assert_eq!(i["occurrence"], g.as_str());
    }
    // Findings by standing: every one listed stands so.
    let alleged = get(&router, "/v1/findings?standing=alleged", None)
        .await
        .json();
    for f in alleged["items"].as_array().unwrap() {
        assert_eq!(f["standing"], "alleged");
    }
    let findings = get(&router, "/v1/findings", None).await.json();
    let nf = total(&findings);
    assert!(nf >= 2, "{findings}");
    let ru = total(&get(&router, "/v1/findings?reading=ru", None).await.json());
    let ua = total(&get(&router, "/v1/findings?reading=ua", None).await.json());
    assert_eq!(ru + ua, nf);
    let b = get(&router, "/v1/findings?outcome=breach", None)
        .await
        .json();
    for f in b["items"].as_array().unwrap() {
        assert_eq!(f["outcome"], "breach");
    }
    let one = get(&router, &format!("/v1/findings?incident={}", ids[0]), None)
        .await
        .json();
    for f in one["items"].as_array().unwrap() {
        assert_eq!(f["incident"], ids[0]);
    }
    let comp = get(&router, "/v1/compliance", None).await.json();
    assert!(comp["totals"].as_array().unwrap().len() == 2, "{comp}");
    let cu = get(&router, "/v1/compliance?party=ua&reading=ru", None)
        .await
        .json();
    for r in cu["items"].as_array().unwrap() {
        assert_eq!(
            (r["party"].as_str(), r["reading"].as_str()),
            (Some("ua"), Some("ru"))
        );
    }
    assert_eq!(cu["totals"].as_array().unwrap().len(), 1);
    let det = get(&router, &format!("/v1/incidents/{}", ids[0]), None)
        .await
        .json();
    assert_eq!(det["incident"]["id"], ids[0]);
    assert!(det["findings"].is_array() && det["reports"].is_array());
    // The incident's reports come a page at a time; `member_count` and `reports_total` count all.
    let total = det["reports_total"].as_u64().unwrap();
    assert_eq!(det["incident"]["member_count"].as_u64(), Some(total));
    assert_eq!(
        det["reports"].as_array().unwrap().len() as u64,
        total.min(100)
    );
    for (offset, want) in [
        (0, total.min(1)),
        (1, total.saturating_sub(1).min(1)),
        (total, 0),
    ] {
        let page = get(
            &router,
            &format!("/v1/incidents/{}?limit=1&offset={offset}", ids[0]),
            None,
        )
        .await
        .json();
        assert_eq!(page["reports"].as_array().unwrap().len() as u64, want);
        assert_eq!(
            page["incident"]["members"].as_array().unwrap().len() as u64,
            want
        );
        assert_eq!(page["reports_total"].as_u64(), Some(total));
    }
    assert_eq!(
        get(
            &router,
            &format!("/v1/incidents/{}?limit=100000", ids[0]),
            None
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&router, "/v1/incidents/inc-nope", None).await.status,
        StatusCode::NOT_FOUND
    );

    // Bad filters: 400, naming the parameter.
    for (uri, field) in [
        ("/v1/reports?limit=1001", "limit"),
        ("/v1/reports?limit=-1", "limit"),
        ("/v1/reports?offset=x", "offset"),
        ("/v1/reports?from=yesterday", "from"),
        ("/v1/reports?to=2025-13-01", "to"),
        ("/v1/reports?from=2025-03-22&to=2025-03-21", "to"),
        ("/v1/reports?bbox=1,2,3", "bbox"),
        ("/v1/reports?bbox=10,50,5,60", "bbox"),
        ("/v1/reports?bbox=0,95,1,96", "bbox"),
        ("/v1/reports?kind=bombing", "kind"),
        ("/v1/reports?party=Not%20An%20Id", "party"),
        ("/v1/reports?colour=red", "colour"),
        ("/v1/reports?limit=1&limit=2", "limit"),
        ("/v1/sites?kind=energy.bogus", "kind"),
        ("/v1/parties?role=king", "role"),
        ("/v1/incidents?occurrence=certain", "occurrence"),
        ("/v1/incidents?kind=x", "kind"),
        ("/v1/incidents.csv?occurrence=certain", "occurrence"),
        ("/v1/incidents.geojson?bbox=a,b,c,d", "bbox"),
        ("/v1/findings?outcome=guilty", "outcome"),
        ("/v1/findings.csv?agreement=A!", "agreement"),
        ("/v1/findings?standing=x", "standing"),
        ("/v1/findings?grade=x", "grade"),
        ("/v1/compliance?from=x", "from"),
        ("/v1/reports.geojson?from=x", "from"),
        ("/v1/sites.geojson?bbox=1", "bbox"),
        ("/v1/agreements/energy-moratorium?limit=3", "limit"),
    ] {
        let r = get(&router, uri, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
        let e = r.json();
        assert_eq!(e["error"]["code"], "bad_request", "{uri}");
        assert_eq!(e["error"]["field"], field, "{uri}: {e}");
    }
    // A well-formed id the log does not hold: 400 naming the field and the valid values, never
    // an empty page that reads as "none".
    for (uri, field, listed) in [
        ("/v1/findings?reading=xx", "reading", "ru"),
        (
            "/v1/findings?agreement=no-such-thing",
            "agreement",
            "energy-moratorium",
        ),
        ("/v1/findings.csv?party=xx", "party", "ua"),
        ("/v1/incidents?party=xx", "party", "ru"),
        ("/v1/incidents.geojson?party=xx", "party", "ru"),
        ("/v1/compliance?reading=xx", "reading", "ua"),
        (
            "/v1/compliance?agreement=xx",
            "agreement",
            "energy-moratorium",
        ),
        ("/v1/compliance?party=xx", "party", "ru"),
    ] {
        let r = get(&router, uri, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
        let e = r.json();
        assert_eq!(e["error"]["field"], field, "{uri}: {e}");
        let m = e["error"]["message"].as_str().unwrap();
        assert!(m.contains(&format!("unknown {field} \"")), "{uri}: {m}");
        assert!(m.contains(listed), "{uri}: {m}");
    }
}

#[tokio::test]
async fn exports_are_valid_geojson_and_csv_and_honour_filters() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let tok = tokens(&state);
    upload(
        &router,
        &tok["ua"],
        &sc.evidence.1,
        "evidence",
        &sc.evidence.0,
        &evidence_content(),
    )
    .await;

    fn check_feature_collection(v: &Value) -> usize {
        assert_eq!(v["type"], "FeatureCollection");
        let fs = v["features"].as_array().unwrap();
        for f in fs {
            assert_eq!(f["type"], "Feature");
            assert!(f["properties"].is_object(), "{f}");
            let g = &f["geometry"];
            match g["type"].as_str().unwrap() {
                "Point" => {
                    let c = g["coordinates"].as_array().unwrap();
                    assert_eq!(c.len(), 2);
                    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
                    assert!((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat));
                }
                "Polygon" => {
                    let rings = g["coordinates"].as_array().unwrap();
                    let outer = rings[0].as_array().unwrap();
                    assert!(outer.len() >= 4 && outer.first() == outer.last());
                }
                other => panic!("geometry {other}"),
            }
        }
        fs.len()
    }

    for (export, list) in [
        ("/v1/incidents.geojson", "/v1/incidents"),
        ("/v1/incidents.geojson?party=ua", "/v1/incidents?party=ua"),
        (
            "/v1/incidents.geojson?from=2025-03-27",
            "/v1/incidents?from=2025-03-27",
        ),
        ("/v1/reports.geojson", "/v1/reports"),
        (
            "/v1/reports.geojson?kind=strike&bbox=30,40,41,52",
            "/v1/reports?kind=strike&bbox=30,40,41,52",
        ),
        ("/v1/sites.geojson", "/v1/sites"),
        (
            "/v1/sites.geojson?kind=energy.power.*",
            "/v1/sites?kind=energy.power.*",
        ),
    ] {
        let r = get(&router, export, None).await;
        assert_eq!(r.status, StatusCode::OK, "{export}: {}", r.body);
        assert_eq!(r.content_type(), "application/geo+json", "{export}");
        let n = check_feature_collection(&r.json());
        let total = get(&router, list, None).await.json()["total"]
            .as_u64()
            .unwrap();
        assert_eq!(n as u64, total, "{export}");
    }
    let r = get(&router, "/v1/sites.geojson", None).await.json();
    assert!(r.to_string().contains("\"Polygon\""));
    // Permissions in exports: the filer sees its evidence, the public does not.
    let r = get(&router, "/v1/reports.geojson?party=ua", Some(&tok["ua"])).await;
    assert!(r.body.contains(EVIDENCE_MARKER));
    assert_eq!(
        r.headers.get(header::CACHE_CONTROL).unwrap(),
        "private, no-store"
    );
    let r = get(&router, "/v1/reports.geojson?party=ua", None).await;
    assert!(!r.body.contains(EVIDENCE_MARKER) && r.body.contains(&sc.evidence.1));
    // Pagination of an export is optional.
    let r = get(&router, "/v1/reports.geojson?limit=2", None)
        .await
        .json();
    assert_eq!(check_feature_collection(&r), 2);

    for (export, list, header_cols) in [
        (
            "/v1/incidents.csv",
            "/v1/incidents",
            &["id", "start", "occurrence", "lon", "lat"][..],
        ),
        (
            "/v1/incidents.csv?party=ru",
            "/v1/incidents?party=ru",
            &["id"][..],
        ),
        (
            "/v1/findings.csv",
            "/v1/findings",
            &["incident", "agreement", "reading", "outcome"][..],
        ),
        (
            "/v1/findings.csv?reading=ua",
            "/v1/findings?reading=ua",
            &["incident"][..],
        ),
    ] {
        let r = get(&router, export, None).await;
        assert_eq!(r.status, StatusCode::OK, "{export}: {}", r.body);
        assert!(
            r.content_type().starts_with("text/csv"),
            "{}",
            r.content_type()
        );
        assert!(r
            .headers
            .get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        let rows = parse_csv(&r.body);
        let head = &rows[0];
        for c in header_cols {
            assert!(head.iter().any(|h| h == c), "{export}: {head:?}");
        }
        for row in &rows[1..] {
            assert_eq!(row.len(), head.len(), "{export}: {row:?}");
        }
        let total = get(&router, list, None).await.json()["total"]
            .as_u64()
            .unwrap();
        assert_eq!(rows.len() as u64 - 1, total, "{export}");
    }
    let rows = parse_csv(&get(&router, "/v1/incidents.csv", None).await.body);
    let j = get(&router, "/v1/incidents", None).await.json();
    assert_eq!(rows[1][0], j["items"][0]["id"].as_str().unwrap());
}

#[tokio::test]
async fn views_follow_the_log_and_concurrent_first_queries_agree() {
    let sc = scenario();
    // No views.db yet: concurrent first queries all wait for the one computation.
    let (state, router) = open(&sc);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let r = router.clone();
        tasks.push(tokio::spawn(
            async move { get(&r, "/v1/incidents", None).await },
        ));
    }
    let mut totals = BTreeSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        totals.insert((r.json()["total"].as_u64(), r.json()["log_size"].as_u64()));
    }
    assert_eq!(totals.len(), 1, "{totals:?}");
    let (before, size) = totals.into_iter().next().unwrap();
    assert_eq!(size, Some(state.checkpoint().size));
    let stamp = truce_views::db::ViewStore::open(&sc.dir.path().join("views.db"))
        .unwrap()
        .stamp()
        .unwrap()
        .unwrap();
    assert_eq!(Some(stamp.log_size), size);

    // A new report through the submission endpoint: the next query recomputes.
    let signer = truce_log::parse_signer(&sc.keys["firms"].signer).unwrap();
    let b = truce_model::entry::Body::parse(
        truce_model::Kind::Report,
        serde_json::json!({"id": "det-far", "time": {"start": "2025-04-02T01:00:00Z"},
            "location": {"point": [30.0, 50.0], "uncertainty_m": 375}, "act": "fire-observed"}),
    )
    .unwrap();
    let env = truce_model::entry::sign(
        &truce_model::Id::new("firms").unwrap(),
        truce_model::Time::parse("2025-04-02T02:00:00Z").unwrap(),
        &b,
        &signer,
    )
    .unwrap();
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/v1/entries")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(env.bytes.clone()))
        .unwrap();
    use tower::ServiceExt;
    let r = router.clone().oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A lone detection nobody alleges, touching nothing protected: background, not an incident
    // (truce-rules/6); the views moved to the new size all the same.
    let r = get(&router, "/v1/incidents", None).await.json();
    assert_eq!(r["total"].as_u64(), before);
    assert_eq!(r["log_size"].as_u64(), size.map(|n| n + 1));
    let r = get(&router, "/v1/background", None).await.json();
    assert_eq!(r["total"], 1);
    assert_eq!(r["items"][0]["id"], "det-far");
    assert_eq!(r["log_size"].as_u64(), size.map(|n| n + 1));
    let r = get(&router, "/v1/reports?kind=fire-observed", None)
        .await
        .json();
    assert_eq!(r["total"], 2);
}

/// The same guarantee through a real server on port 0: content uploaded over HTTP with a token is
/// served to a permitted token and never to a public caller, on any GET endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_real_server_the_public_never_reads_restricted_content() {
    let sc = scenario();
    let (state, _) = open(&sc);
    let tok = tokens(&state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(truce_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let (salt, commitment) = &sc.persons;
    let body = serde_json::json!({
        "kind": "persons",
        "salt": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, salt),
        "content": persons_content(),
    });
    let r = http
        .put(format!("{base}/v1/restricted/{commitment}"))
        .bearer_auth(&tok["ua"])
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let incident = {
        let v: Value = http
            .get(format!("{base}/v1/incidents"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Lists abridge members and count them.
        assert!(v["items"][0]["member_count"].is_u64(), "{v}");
        v["items"][0]["id"].as_str().unwrap_or("inc-0").to_string()
    };
    for path in get_paths(&incident, &[commitment]) {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(
            !text.contains(PERSONS_MARKER),
            "public GET {path} ({status}) leaked restricted content"
        );
    }
    let r = http
        .get(format!("{base}/v1/restricted/{commitment}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .get(format!("{base}/v1/restricted/{commitment}"))
        .bearer_auth(&tok["monitor"])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(PERSONS_MARKER));
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
