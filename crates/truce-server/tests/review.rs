//! The monitors' review queue through `app(state)`: monitor and operator tokens see
//! `GET /v1/review/queue` and `GET /v1/review/incidents/{id}`; belligerent, mediator, open-data
//! and public callers get 403 in the one JSON error shape; an officer's assessment submitted to
//! `POST /v1/entries` takes its question out of the queue (no policy: quorum 1).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use tower::ServiceExt;
use truce_model::entry::{sign, Body as EntryBody};
use truce_model::{Id, Kind, Time};

/// The Sudzha incident: ua blames ru, ru blames ua, and a sensor detection.
fn sudzha(items: &[Value]) -> String {
    items
        .iter()
        .find(|q| q["question"] == "attribution" && q["party"] == "ua")
        .and_then(|q| q["incident"].as_str())
        .expect("the attribution to ua is open")
        .to_string()
}

async fn post_entry(router: &axum::Router, bytes: Vec<u8>) -> Resp {
    let req = Request::post("/v1/entries")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .unwrap();
    let r = router.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let b = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&b).into_owned(),
    }
}

#[tokio::test]
async fn monitors_and_the_operator_see_the_queue_and_others_get_403() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let tok = tokens(&state);

    for who in ["monitor", "operator"] {
        let r = get(&router, "/v1/review/queue", Some(&tok[who])).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
        assert_eq!(
            r.headers.get(header::CACHE_CONTROL).unwrap(),
            "private, no-store"
        );
        let v = r.json();
        assert_eq!(v["quorum"], 1, "no policy: one officer decides");
        assert_eq!(v["offset"], 0);
        assert_eq!(v["limit"], 100);
        let items = v["items"].as_array().unwrap();
        assert_eq!(v["total"].as_u64().unwrap() as usize, items.len());
        // Oldest incident first; occurrence before attribution within an incident.
        let starts: Vec<&str> = items.iter().map(|q| q["start"].as_str().unwrap()).collect();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(starts, sorted);
        assert!(items.iter().all(|q| q["open"] == true));
        assert!(items.iter().all(|q| q["state"] == "unassessed"));
        let inc = sudzha(items);
        let of: Vec<&Value> = items.iter().filter(|q| q["incident"] == inc).collect();
        assert_eq!(of.len(), 3, "{of:#?}");
        assert_eq!(of[0]["question"], "occurrence");
        assert_eq!(of[0]["raised_by"], json!(["firms", "ru", "ua"]));
        assert_eq!(of[0]["reports"].as_array().unwrap().len(), 3);
        assert_eq!(of[1]["party"], "ru");
        assert_eq!(of[1]["raised_by"], json!(["ua"]));
        assert_eq!(of[2]["grade"], "disputed");
    }

    for who in ["ua", "ru", "us", "firms"] {
        let r = get(&router, "/v1/review/queue", Some(&tok[who])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        let e = &r.json()["error"];
        assert_eq!(e["status"], 403);
        assert_eq!(e["code"], "forbidden");
        assert!(e["message"].as_str().unwrap().contains("monitor"));
        let r = get(&router, "/v1/review/incidents/inc-0", Some(&tok[who])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    for uri in ["/v1/review/queue", "/v1/review/incidents/inc-0"] {
        let r = get(&router, uri, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "public {uri}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "forbidden");
    }

    // Filters and paging.
    let m = Some(tok["monitor"].as_str());
    let v = get(&router, "/v1/review/queue?party=ua", m).await.json();
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|q| q["party"] == "ua"));
    let v = get(&router, "/v1/review/queue?question=occurrence&limit=1", m)
        .await
        .json();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert!(v["total"].as_u64().unwrap() > 1);
    assert_eq!(v["items"][0]["question"], "occurrence");
    for (q, field) in [
        ("question=who", "question"),
        ("limit=x", "limit"),
        ("limit=100000", "limit"),
        ("colour=red", "colour"),
        ("party=", "party"),
    ] {
        let r = get(&router, &format!("/v1/review/queue?{q}"), m).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{q}");
    }
    let r = get(&router, "/v1/review/incidents/inc-0000000000000000", m).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn an_assessment_posted_to_entries_takes_its_question_out_of_the_queue() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let tok = tokens(&state);
    let m = Some(tok["monitor"].as_str());
    let before = get(&router, "/v1/review/queue", m).await.json();
    let inc = sudzha(before["items"].as_array().unwrap());

    let r = get(&router, &format!("/v1/review/incidents/{inc}"), m).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let show = r.json();
    assert_eq!(show["incident"], inc);
    assert_eq!(show["questions"].as_array().unwrap().len(), 3);
    assert_eq!(show["reports"].as_array().unwrap().len(), 3);
    assert_eq!(show["assessments"], json!([]));
    let q = show["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["party"] == "ua")
        .unwrap()
        .clone();

    // The officer signs client-side, citing the reports the queue lists, and submits.
    let signer = truce_log::parse_signer(&sc.keys["monitor"].signer).unwrap();
    let body = EntryBody::parse(
        Kind::Assessment,
        json!({"reports": q["reports"], "question": "attribution", "party": "ua",
            "verdict": "dismissed", "text": "The detection predates the alleged sabotage."}),
    )
    .unwrap();
    let env = sign(
        &Id::new("monitor").unwrap(),
        Time::parse("2025-03-24T09:00:00Z").unwrap(),
        &body,
        &signer,
    )
    .unwrap();
    let r = post_entry(&router, env.bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let after = get(&router, "/v1/review/queue", m).await.json();
    let items = after["items"].as_array().unwrap();
    assert_eq!(
        after["total"].as_u64().unwrap() + 1,
        before["total"].as_u64().unwrap()
    );
    assert!(!items
        .iter()
        .any(|x| x["incident"] == inc && x["party"] == "ua"));
    assert!(items
        .iter()
        .any(|x| x["incident"] == inc && x["party"] == "ru"));
    let show = get(&router, &format!("/v1/review/incidents/{inc}"), m)
        .await
        .json();
    let ua = show["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["party"] == "ua")
        .unwrap();
    assert_eq!(ua["state"], "dismissed");
    assert_eq!(ua["grade"], "dismissed");
    assert_eq!(ua["open"], false);
    assert_eq!(ua["tally"], json!({"dismissed": 1}));
    assert_eq!(ua["assessed_by"][0]["author"], "monitor");
    assert_eq!(ua["assessed_by"][0]["counted"], true);
    assert_eq!(show["assessments"][0]["verdict"], "dismissed");
}
