//! The submission gates of `POST /v1/entries`, through `app(state)`: entry times ahead of the
//! server's clock and events that start after their own filing are refused with a clear reason in
//! the one error shape; late filings and events that end after filing are acknowledged with
//! `flags`. The clock is the real one: refused times are in 2099 or computed from the clock, late
//! ones are in 2025, so no assertion depends on today's date.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use common::*;
use serde_json::{json, Value};
use tower::ServiceExt;
use truce_model::entry::{sign, Body as EntryBody};
use truce_model::{Id, Kind, Time};
use truce_server::{app, AppState, Config};

/// A report by `ua` filed at `filed`, about an event from `start` to `end`.
fn report(sc: &Scenario, rid: &str, filed: Time, start: Time, end: Time) -> Vec<u8> {
    let body = EntryBody::parse(
        Kind::Report,
        json!({"id": rid, "act": "strike", "alleged_perpetrator": "ru",
            "location": {"point": [35.27, 51.19], "uncertainty_m": 1000},
            "time": {"start": start.to_string(), "end": end.to_string()},
            "text": "a strike on the substation"}),
    )
    .unwrap();
    let signer = truce_log::parse_signer(&sc.keys["ua"].signer).unwrap();
    sign(&Id::new("ua").unwrap(), filed, &body, &signer)
        .unwrap()
        .bytes
}

fn t(s: &str) -> Time {
    Time::parse(s).unwrap()
}

/// The real clock, whole seconds.
fn clock() -> Time {
    Time(jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap())
}

/// `t` moved by `secs`.
fn plus(t: Time, secs: i64) -> Time {
    Time(t.0 + jiff::SignedDuration::from_secs(secs))
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
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {bytes:?}"));
    (status, v)
}

fn open_with(sc: &Scenario, config: Config) -> (AppState, Router) {
    let state = AppState::open(sc.dir.path(), config).unwrap();
    let router = app(state.clone());
    (state, router)
}

fn size(state: &AppState) -> u64 {
    state.checkpoint().size
}

/// The error's (code, field, message), checking the one error shape and a 400.
fn refusal(status: StatusCode, v: &Value) -> (String, String, String) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let e = &v["error"];
    assert_eq!(e["status"], 400, "{v}");
    (
        e["code"].as_str().unwrap().into(),
        e["field"].as_str().unwrap().into(),
        e["message"].as_str().unwrap().into(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_dated_2099_is_refused_with_the_reason() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let before = size(&state);
    let y = t("2099-01-01T00:00:00Z");
    let (st, v) = post(&router, report(&sc, "ua-2099", y, y, y)).await;
    let (code, field, msg) = refusal(st, &v);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("time_ahead_of_clock", "time")
    );
    assert!(
        msg.starts_with("entry time 2099-01-01T00:00:00Z is ")
            && msg.contains(" years ahead of this server's clock (")
            && msg.ends_with(
                "); the allowed skew is 300 s: fix the author's clock or the stated time"
            ),
        "{msg}"
    );
    assert_eq!(size(&state), before, "nothing appended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_of_an_event_after_its_filing_is_refused() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let before = size(&state);
    // Filed on 1 March about an event on 23 April.
    let (st, v) = post(
        &router,
        report(
            &sc,
            "ua-early",
            t("2025-03-01T10:00:00Z"),
            t("2025-04-23T00:00:00Z"),
            t("2025-04-23T06:00:00Z"),
        ),
    )
    .await;
    let (code, field, msg) = refusal(st, &v);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("event_starts_after_filing", "body.time.start")
    );
    assert!(
        msg.contains("the report's event starts at 2025-04-23T00:00:00Z, 52 days after the report's own filing time 2025-03-01T10:00:00Z")
            && msg.contains("fix the event's `time.start` or the entry's `time`"),
        "{msg}"
    );
    // Within the skew of its filing: accepted.
    let now = clock();
    let (st, v) = post(
        &router,
        report(
            &sc,
            "ua-soon",
            plus(now, -60),
            plus(now, 120),
            plus(now, 120),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(size(&state), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filing_time_ahead_of_the_clock_beyond_the_skew_is_refused() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let before = size(&state);
    // One hour ahead: beyond the default 300 s.
    let now = clock();
    let ahead = plus(now, 3_600);
    let (st, v) = post(
        &router,
        report(&sc, "ua-ahead", ahead, plus(now, -3_600), plus(now, -3_000)),
    )
    .await;
    let (code, field, msg) = refusal(st, &v);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("time_ahead_of_clock", "time")
    );
    assert!(
        msg.contains(" minutes ahead of this server's clock")
            && msg.contains("the allowed skew is 300 s"),
        "{msg}"
    );
    assert_eq!(size(&state), before);
    drop(router);
    drop(state);

    // A server configured with a wider skew accepts it.
    let (state, router) = open_with(
        &sc,
        Config {
            max_clock_skew_s: 7_200,
            ..config()
        },
    );
    let (st, v) = post(
        &router,
        report(&sc, "ua-ahead", ahead, plus(now, -3_600), plus(now, -3_000)),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v.get("flags").is_none(), "{v}");
    assert_eq!(size(&state), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_filing_is_acknowledged_and_flagged_with_its_delay() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let before = size(&state);
    let filed = t("2025-03-01T10:00:00Z");
    let entry = report(
        &sc,
        "ua-late",
        filed,
        t("2025-02-28T22:00:00Z"),
        t("2025-03-01T02:00:00Z"),
    );
    let (st, v) = post(&router, entry.clone()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["duplicate"], false);
    let flags = v["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{v}");
    assert_eq!(flags[0]["code"], "late_filing");
    let delay = flags[0]["seconds"].as_i64().unwrap();
    let lower = clock().0.as_second() - filed.0.as_second() - 60;
    assert!(delay >= lower && delay > 7 * 86_400, "{delay}");
    let msg = flags[0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("late filing: entry time 2025-03-01T10:00:00Z is ")
            && msg.contains(" before this server's clock (")
            && msg.ends_with("filings more than 7 days late are flagged"),
        "{msg}"
    );
    assert_eq!(size(&state), before + 1);
    // The same entry again: a duplicate, stored once, nothing new to say.
    let (st, v) = post(&router, entry).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["duplicate"], true);
    assert!(v.get("flags").is_none(), "{v}");
    assert_eq!(size(&state), before + 1);
    // A late-filing threshold wider than the delay: no flag.
    drop(router);
    drop(state);
    let (_, router) = open_with(
        &sc,
        Config {
            late_filing_s: 100 * 365 * 86_400,
            ..config()
        },
    );
    let (st, v) = post(&router, report(&sc, "ua-late-2", filed, filed, filed)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v.get("flags").is_none(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_still_under_way_is_acknowledged_and_flagged() {
    let sc = scenario();
    let (_state, router) = open(&sc);
    // A fire still burning: started an hour ago, expected to burn two more days.
    let now = clock();
    let (st, v) = post(
        &router,
        report(
            &sc,
            "ua-fire",
            plus(now, -60),
            plus(now, -3_600),
            plus(now, 2 * 86_400 - 60),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let flags = v["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{v}");
    assert_eq!(flags[0]["code"], "event_ends_after_filing");
    assert_eq!(flags[0]["seconds"], 2 * 86_400);
    assert!(
        flags[0]["message"]
            .as_str()
            .unwrap()
            .contains("2 days after the report was filed"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_gated_per_entry() {
    let sc = scenario();
    let (state, router) = open(&sc);
    let before = size(&state);
    let y = t("2099-01-01T00:00:00Z");
    let late = t("2025-03-01T10:00:00Z");
    let batch = format!(
        "[{},{}]",
        String::from_utf8(report(&sc, "ua-b1", y, y, y)).unwrap(),
        String::from_utf8(report(&sc, "ua-b2", late, late, late)).unwrap()
    );
    // Atomic (the default): the refused entry refuses the batch, nothing is appended.
    let (st, v) = post(&router, batch.clone().into_bytes()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "time_ahead_of_clock", "{v}");
    assert_eq!(v["error"]["field"], "entries[0].time", "{v}");
    assert_eq!(size(&state), before);
    // Each entry judged on its own when asked.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/entries?atomic=false")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(batch))
        .unwrap();
    let r = router.clone().oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let r = v["results"].as_array().unwrap();
    assert_eq!(r[0]["error"]["code"], "time_ahead_of_clock", "{v}");
    assert_eq!(r[0]["error"]["field"], "time", "{v}");
    assert_eq!(r[1]["ok"]["flags"][0]["code"], "late_filing", "{v}");
    assert_eq!(size(&state), before + 1);
}
