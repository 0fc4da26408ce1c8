//! Versions of readings through `app(state)`: ru re-files its reading on 20 April 2025 with its
//! start moved to 1 April and `effective_from` 18 March (retroactive). `?as_of=` the size before
//! the re-filing answers `/v1/findings`, `/v1/incidents` and `/v1/compliance` byte for byte as
//! they were; after it, the history of the agreement names the version, its sentence and the
//! finding it changed; bad `as_of` values are 400s naming the parameter; agreements show their
//! time zone.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use common::*;
use serde_json::{json, Value};
use tower::ServiceExt;
use truce_model::entry::{sign, Body as EntryBody};
use truce_model::{Id, Kind, Time};

/// ru's reading of the scenario's agreement, filed at `filed`, starting at `start`.
fn reading(sc: &Scenario, filed: &str, start: &str, effective_from: Option<&str>) -> Vec<u8> {
    let mut v = json!({"agreement": AGREEMENT, "summary": "from 1 April",
        "source": {"title": "Readout, re-read", "date": "2025-04-20"},
        "terms": {"prohibited_acts": ["strike", "sabotage"],
            "protected": ["set:kremlin-2025-03-25"],
            "window": {"start": start, "duration_days": 30},
            "bound": ["ru", "ua"]}});
    if let Some(e) = effective_from {
        v["effective_from"] = json!(e);
    }
    let body = EntryBody::parse(Kind::Reading, v).unwrap();
    let signer = truce_log::parse_signer(&sc.keys["ru"].signer).unwrap();
    sign(
        &Id::new("ru").unwrap(),
        Time::parse(filed).unwrap(),
        &body,
        &signer,
    )
    .unwrap()
    .bytes
}

async fn post(router: &Router, bytes: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/entries")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .unwrap();
    let r = router.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

const ENDPOINTS: [&str; 3] = [
    "/v1/findings?limit=1000",
    "/v1/incidents?limit=1000",
    "/v1/compliance?limit=1000",
];

/// The finding about `incident` under ru's reading, or (`None`) the one that names the Sudzha
/// gas metering station.
fn sudzha<'a>(findings: &'a Value, incident: Option<&Value>) -> &'a Value {
    findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["reading"] == "ru"
                && incident.map_or(f["site"]["id"] == "sudzha-gms", |i| &f["incident"] == i)
        })
        .unwrap_or_else(|| panic!("no Sudzha finding under ru's reading: {findings:#}"))
}

#[tokio::test]
async fn as_of_before_a_refiling_reproduces_the_findings_byte_for_byte() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let n = state.checkpoint().size;
    let mut before = Vec::new();
    for e in ENDPOINTS {
        let r = get(&router, e, None).await;
        assert_eq!(r.status, StatusCode::OK, "{e}: {}", r.body);
        before.push(r.body);
    }
    let was = serde_json::from_str::<Value>(&before[0]).unwrap();
    let was = sudzha(&was, None).clone();
    assert_eq!(was["outcome"], "breach", "{was:#}");

    // ru re-files on 20 April: its window now starts on 1 April, effective from 18 March.
    let (status, ack) = post(
        &router,
        reading(
            &sc,
            "2025-04-20T09:00:00Z",
            "2025-03-31T21:00:00Z",
            Some("2025-03-17T21:00:00Z"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    let index = ack["index"].as_u64().unwrap();
    assert!(index >= n);
    let latest = state.checkpoint().size;

    // Now: Sudzha (20–21 March) is out of scope under ru's reading, flagged retroactive.
    let now = get(&router, ENDPOINTS[0], None).await.json();
    assert_eq!(now["log_size"], latest);
    let f = sudzha(&now, Some(&was["incident"]));
    assert_eq!(f["outcome"], "out_of_scope", "{f:#}");
    assert_eq!(f["retroactive"], true);

    // As of the size before the re-filing: byte for byte what was answered then.
    for (e, was) in ENDPOINTS.iter().zip(&before) {
        let r = get(&router, &format!("{e}&as_of={n}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{e}: {}", r.body);
        assert_eq!(&r.body, was, "{e} as of {n}");
    }
    // Computed once, in the cache the CLI's --as-of shares; a second query reads it.
    assert!(sc.dir.path().join(format!("views-asof-{n}.db")).exists());
    let again = get(&router, &format!("{}&as_of={n}", ENDPOINTS[0]), None).await;
    assert_eq!(again.body, before[0]);
    // As of the latest size: the current answer.
    let r = get(&router, &format!("{}&as_of={latest}", ENDPOINTS[0]), None).await;
    assert_eq!(r.json(), now);
    // Filters apply as usual.
    let ru = get(&router, &format!("/v1/findings?reading=ru&as_of={n}"), None)
        .await
        .json();
    assert!(ru["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["reading"] == "ru"));
    assert_eq!(ru["log_size"], n);

    // Bad values: 400 in the one error shape, naming `as_of`.
    for (q, says) in [
        ("abc", "neither a log size nor a time"),
        // This log has no witnessing round: no entry has a witnessed time.
        ("2025-04-01T00:00:00Z", "holds no witnessing round"),
        ("-1", "neither a log size nor a time"),
        (&*format!("{}", latest + 1), "beyond the log"),
    ] {
        for e in ["/v1/findings", "/v1/incidents", "/v1/compliance"] {
            let r = get(&router, &format!("{e}?as_of={q}"), None).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{e}?as_of={q}: {}",
                r.body
            );
            let v = r.json();
            assert_eq!(v["error"]["status"], 400);
            assert_eq!(v["error"]["code"], "bad_request");
            assert_eq!(v["error"]["field"], "as_of", "{v}");
            let m = v["error"]["message"].as_str().unwrap();
            assert!(m.contains(says), "{e}?as_of={q}: {m}");
        }
    }
    // Exports do not take it (yet): an unknown parameter there.
    let r = get(&router, &format!("/v1/findings.csv?as_of={n}"), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // The history of the agreement: ru's first version, ua's, then ru's re-filing.
    let h = get(
        &router,
        &format!("/v1/agreements/{AGREEMENT}/history"),
        None,
    )
    .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    assert_eq!(h.content_type(), "application/json");
    let h = h.json();
    assert_eq!(h["agreement"], AGREEMENT);
    assert_eq!(h["time_zone"], "UTC");
    assert_eq!(h["log_size"], latest);
    let versions = h["versions"].as_array().unwrap();
    let who: Vec<(&str, u64)> = versions
        .iter()
        .map(|v| (v["party"].as_str().unwrap(), v["version"].as_u64().unwrap()))
        .collect();
    assert_eq!(who, [("ru", 1), ("ua", 1), ("ru", 2)]);
    let v = &versions[2];
    assert_eq!(v["index"], index);
    assert_eq!(v["retroactive"], true);
    assert_eq!(v["filed"], "2025-04-20T09:00:00Z");
    assert_eq!(v["effective_from"], "2025-03-17T21:00:00Z");
    assert_eq!(
        v["changes"][0],
        json!({"aspect": "start", "before": "2025-03-17T21:00:00Z", "after": "2025-03-31T21:00:00Z"})
    );
    let sentence = v["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with("ru filed a new reading on 20 April 2025, effective from 17 March 2025 21:00 (retroactive): start 17 March 21:00 → 31 March 21:00"),
        "{sentence}"
    );
    let changed = v["findings_changed"].as_array().unwrap();
    let s = changed
        .iter()
        .find(|c| c["incident"] == was["incident"])
        .unwrap_or_else(|| panic!("{changed:#?}"));
    assert_eq!(s["before"], was["words"]);
    assert_eq!(s["after"], "out of scope");
    assert_eq!(s["retroactive"], true);
    let count = changed.len();
    assert!(
        sentence.ends_with(&if count == 1 {
            "; 1 finding changes".to_string()
        } else {
            format!("; {count} findings change")
        }),
        "{sentence}"
    );
    // A first version changes findings from none.
    assert!(versions[0]["sentence"]
        .as_str()
        .unwrap()
        .starts_with("ru filed its first reading on 18 March 2025"));
    // Asked again: the same document (what each version changed is kept).
    let again = get(
        &router,
        &format!("/v1/agreements/{AGREEMENT}/history"),
        None,
    )
    .await;
    assert_eq!(again.json(), h);
    let r = get(&router, "/v1/agreements/nothing-here/history", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(
        &router,
        &format!("/v1/agreements/{AGREEMENT}/history?as_of=3"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn agreements_show_their_time_zone() {
    let sc = scenario();
    let (_state, router) = open(&sc);
    let list = get(&router, "/v1/agreements", None).await.json();
    assert_eq!(list["items"][0]["id"], AGREEMENT);
    assert_eq!(list["items"][0]["time_zone"], "UTC");
    let one = get(&router, &format!("/v1/agreements/{AGREEMENT}"), None)
        .await
        .json();
    assert_eq!(one["agreement"]["time_zone"], "UTC");
}
