//! `POST /v1/publications` and `GET /v1/publications` through `app(state)`: an operator or
//! monitor token has the server compute the documents at the current log size and append an
//! operator-signed publication entry holding their SHA-256; the list shows it; every refusal
//! has its status and field.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use truce_store::keyfile;

fn hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The operator's signer key where `truce init` writes it.
fn give_operator_key(sc: &Scenario) {
    keyfile::write_new(
        &sc.dir.path().join("operator.key"),
        &sc.keys["operator"].signer,
        0o600,
    )
    .unwrap();
}

async fn publish(router: &axum::Router, token: Option<&str>, body: Value) -> Resp {
    send(router, Method::POST, "/v1/publications", token, Some(body)).await
}

#[tokio::test]
async fn operators_and_monitors_publish_and_the_list_shows_what() {
    let sc = scenario();
    give_operator_key(&sc);
    let (state, router) = open(&sc);
    let tok = tokens(&state);
    let size0 = state.checkpoint().size;

    // A monitor has the findings published: computed at the current size, appended right after.
    let r = publish(
        &router,
        Some(&tok["monitor"]),
        json!({"what": "findings", "documents": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["ack"]["index"], size0);
    assert_eq!(v["author"], "operator");
    let p = &v["publication"];
    assert_eq!(p["what"], "findings");
    assert_eq!(p["size"], size0);
    assert_eq!(p["rules"], truce_engine::RULES_VERSION);
    assert_eq!(
        p["params"],
        json!({"role": "monitor", "requested_by": "monitor"})
    );
    let docs = v["documents"].as_object().unwrap();
    assert_eq!(
        docs.keys().collect::<Vec<_>>(),
        vec!["compliance", "findings"]
    );
    for (name, text) in docs {
        assert_eq!(
            p["sha256"][name].as_str().unwrap(),
            hex(text.as_str().unwrap().as_bytes()),
            "{name}"
        );
        assert!(text.as_str().unwrap().ends_with('\n'));
    }
    // One JSON shape: the published findings are the findings the API serves.
    let findings: Value = serde_json::from_str(docs["findings"].as_str().unwrap()).unwrap();
    let served = get(&router, "/v1/findings?limit=100", None).await.json();
    assert!(!findings.as_array().unwrap().is_empty());
    assert_eq!(&findings, &served["items"]);

    // The operator publishes a daily report; its checkpoint is a parameter.
    let r = publish(
        &router,
        Some(&tok["operator"]),
        json!({"what": "report.daily", "date": "2025-03-21", "tz": "Europe/Kyiv", "cutoff": "19:30", "documents": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let p = &v["publication"];
    // After the first publication and the sequencer's clock entry closing its group.
    assert_eq!(v["ack"]["index"], size0 + 2);
    assert_eq!(p["size"], size0 + 2);
    assert_eq!(p["params"]["date"], "2025-03-21");
    assert_eq!(p["params"]["tz"], "Europe/Kyiv");
    assert_eq!(p["params"]["cutoff"], "19:30");
    assert_eq!(p["params"]["role"], "operator");
    let note = p["params"]["checkpoint"].as_str().unwrap();
    assert_eq!(
        note.lines().nth(1),
        Some((size0 + 2).to_string().as_str()),
        "{note}"
    );
    let report = v["documents"]["report"].as_str().unwrap();
    assert_eq!(
        p["sha256"]["report"].as_str().unwrap(),
        hex(report.as_bytes())
    );
    let rv: Value = serde_json::from_str(report).unwrap();
    assert_eq!(rv["date"], "2025-03-21");
    assert_eq!(
        (&rv["tz"], &rv["cutoff"]),
        (&json!("Europe/Kyiv"), &json!("19:30"))
    );
    // 20 March 19:30 to 21 March 19:30, Kyiv time (UTC+2).
    assert_eq!(
        (&rv["from"], &rv["until"]),
        (
            &json!("2025-03-20T17:30:00Z"),
            &json!("2025-03-21T17:30:00Z")
        )
    );
    assert_eq!(rv["checkpoint"]["note"], note);
    // Without `documents`, only the digests.
    let r = publish(&router, Some(&tok["operator"]), json!({"what": "findings"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json().get("documents").is_none());

    // The list: every publication in log order, public.
    let l = get(&router, "/v1/publications", None).await;
    assert_eq!(l.status, StatusCode::OK, "{}", l.body);
    let l = l.json();
    assert_eq!(l["total"], 3);
    let items = l["items"].as_array().unwrap();
    let idx: Vec<u64> = items.iter().map(|i| i["index"].as_u64().unwrap()).collect();
    // Each publication's group is closed by the sequencer's clock entry.
    assert_eq!(idx, vec![size0, size0 + 2, size0 + 4]);
    assert_eq!(items[0]["author"], "operator");
    assert_eq!(items[1]["publication"]["what"], "report.daily");
    assert_eq!(l["log_size"], size0 + 6);
    let l = get(&router, "/v1/publications?what=report.daily", None)
        .await
        .json();
    assert_eq!(l["total"], 1);
    let l = get(&router, "/v1/publications?limit=1&offset=2", None)
        .await
        .json();
    assert_eq!(l["items"][0]["index"], size0 + 4);
    assert_eq!(l["total"], 3);

    // The entry itself: signed by the operator, canonical, in the log.
    let e = get(&router, &format!("/v1/entries/{size0}"), None).await;
    assert_eq!(e.status, StatusCode::OK);
    let ev: Value = serde_json::from_str(&e.body).unwrap();
    assert_eq!(ev["kind"], "publication");
    assert_eq!(ev["author"], "operator");
}

#[tokio::test]
async fn refusals_name_their_cause() {
    let sc = scenario();
    give_operator_key(&sc);
    let (state, router) = open(&sc);
    let tok = tokens(&state);
    let size0 = state.checkpoint().size;
    let f = json!({"what": "findings"});

    let r = publish(&router, None, f.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    for who in ["ua", "us", "firms"] {
        let r = publish(&router, Some(&tok[who]), f.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        assert!(r.body.contains("operator or a monitor"), "{}", r.body);
    }
    let op = Some(tok["operator"].as_str());
    for (body, field) in [
        (json!({"what": "weekly"}), "what"),
        (json!({"what": "report.daily"}), "date"),
        (
            json!({"what": "report.daily", "date": "2025-02-30"}),
            "date",
        ),
        (
            json!({"what": "report.daily", "date": "2025-03-21", "tz": "+25:00"}),
            "tz",
        ),
        (
            json!({"what": "report.daily", "date": "2025-03-21", "tz": "Mars/Olympus"}),
            "tz",
        ),
        (
            json!({"what": "report.daily", "date": "2025-03-21", "cutoff": "7pm"}),
            "cutoff",
        ),
        (json!({"what": "findings", "cutoff": "19:30"}), "cutoff"),
        (json!({"what": "findings", "date": "2025-03-21"}), "date"),
    ] {
        let r = publish(&router, op, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{body}: {}", r.body);
    }
    let r = publish(&router, op, json!({"what": "findings", "colour": "blue"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("colour"), "{}", r.body);
    for q in ["limit=0", "limit=x", "sort=index"] {
        let r = get(&router, &format!("/v1/publications?{q}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
    }
    // Nothing was appended.
    assert_eq!(state.checkpoint().size, size0);

    // A server without the operator's key cannot sign publications.
    std::fs::remove_file(sc.dir.path().join("operator.key")).unwrap();
    let r = publish(&router, op, f).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("truce publish"), "{}", r.body);
    assert_eq!(state.checkpoint().size, size0);
}
