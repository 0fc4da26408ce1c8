//! `GET /v1/front.geojson` and `/v1/observations.geojson` through `app(state)`: each party's
//! line in force at a time with its share of the buffer and its withdrawal line on its own side
//! (checked against exact distances), zones drawn once per (line version, distance, tolerance),
//! refusals listing the valid values; observations as their footprints' cells, never the
//! observer's position.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::Value;
use truce_geo::{ContactLine, Side};

fn line(coords: &Value) -> ContactLine {
    let pts: Vec<[f64; 2]> = coords
        .as_array()
        .unwrap()
        .iter()
        .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
        .collect();
    ContactLine::new(vec![pts]).unwrap()
}

fn positions(v: &Value, out: &mut Vec<[f64; 2]>) {
    match v.as_array() {
        Some(a) if a.len() == 2 && a[0].is_f64() => {
            out.push([a[0].as_f64().unwrap(), a[1].as_f64().unwrap()])
        }
        Some(a) => a.iter().for_each(|x| positions(x, out)),
        None => {}
    }
}

fn find<'a>(fs: &'a [Value], party: &str, kind: &str) -> &'a Value {
    fs.iter()
        .find(|f| f["properties"]["party"] == party && f["properties"]["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} of {party}"))
}

#[tokio::test]
async fn each_partys_line_buffer_and_withdrawal_line_on_its_own_side() {
    let sc = scenario();
    file_front(&sc);
    let (state, router) = open(&sc);
    let url = |at: &str, tol: &str| {
        format!("/v1/front.geojson?agreement={AGREEMENT}&reading=us&at={at}{tol}")
    };

    let r = get(&router, &url("2025-03-25T00:00:00Z", ""), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type(), "application/geo+json");
    let v = r.json();
    assert_eq!(v["tolerance_m"], 200.0);
    assert_eq!(v["display"], "display only; findings use exact distances");
    assert_eq!(v["truncated"], false);
    let fs = v["features"].as_array().unwrap().clone();
    assert_eq!(fs.len(), 6, "{v:#}");
    // Lines: the version in force, with the party's side.
    let ua = find(&fs, "ua", "line");
    assert_eq!(ua["properties"]["line"], "monitor/loc");
    assert_eq!(ua["properties"]["side"], "right");
    assert_eq!(ua["properties"]["share"], 0.5);
    assert_eq!(ua["geometry"]["type"], "LineString");
    let ru = find(&fs, "ru", "line");
    assert_eq!(ru["properties"]["valid_from"], "2025-03-19T00:00:00Z");
    let ru_entry = ru["properties"]["entry"].clone();

    // Buffers: each party's half (5 km) on its own side of its own line, within the tolerance.
    for (party, side) in [("ua", Side::Right), ("ru", Side::Left)] {
        // Measured from the line as filed (the one shown is simplified within the tolerance).
        let name = find(&fs, party, "line")["properties"]["line"]
            .as_str()
            .unwrap()
            .to_string();
        let filed = get(
            &router,
            &format!("/v1/lines/{name}?at=2025-03-25T00:00:00Z"),
            None,
        )
        .await
        .json();
        let coords = &filed["geometry"]["coordinates"];
        let l = line(coords);
        let mut ends = Vec::new();
        positions(coords, &mut ends);
        let ends = [ends[0], ends[ends.len() - 1]];
        let b = find(&fs, party, "buffer");
        assert_eq!(b["geometry"]["type"], "MultiPolygon");
        assert_eq!(b["properties"]["width_km"], 5.0);
        assert_eq!(b["properties"]["buffer_km"], 10.0);
        assert_eq!(b["properties"]["tolerance_m"], 200.0);
        assert_eq!(
            b["properties"]["display"],
            "display only; findings use exact distances"
        );
        let mut pts = Vec::new();
        positions(&b["geometry"]["coordinates"], &mut pts);
        assert!(pts.len() > 10, "{b}");
        let mut far = 0.0f64;
        let mut own = 0;
        for p in &pts {
            let m = l.measure(*p).unwrap();
            assert!(m.distance_m <= 5_000.0 + 200.0, "{party}: {p:?} {m:?}");
            far = far.max(m.distance_m);
            if m.side == side {
                own += 1;
            }
            // Past the line's free ends the side is the cut's (the round caps): not judged.
            let end = ends
                .iter()
                .any(|e| truce_geo::distance_m(*e, *p) - m.distance_m < 1.0);
            assert!(
                m.side == side || m.distance_m < 200.0 || end,
                "{party}: {p:?} on the other side, {m:?}"
            );
        }
        assert!(far > 4_800.0, "{party}: the buffer reaches 5 km ({far})");
        assert!(own > pts.len() / 2);
        // The withdrawal line: 10 km (half of 20) from the line on the party's side.
        let w = find(&fs, party, "withdrawal-line");
        assert_eq!(w["geometry"]["type"], "MultiLineString");
        assert_eq!(w["properties"]["distance_km"], 10.0);
        assert_eq!(w["properties"]["width_km"], 20.0);
        assert_eq!(w["properties"]["weapons"], "weapon.artillery");
        assert_eq!(w["properties"]["min_calibre_mm"], 100);
        let mut pts = Vec::new();
        positions(&w["geometry"]["coordinates"], &mut pts);
        assert!(!pts.is_empty());
        for p in &pts {
            let m = l.measure(*p).unwrap();
            assert!(
                (m.distance_m - 10_000.0).abs() <= 200.0,
                "{party}: withdrawal vertex {p:?} at {m:?}"
            );
            assert_eq!(m.side, side, "{party}: {p:?}");
        }
    }

    // Drawn once: the same request again draws nothing; another tolerance draws again.
    let drawn = state.0.front.drawn();
    assert_eq!(drawn, 4, "two lines × two widths");
    let again = get(&router, &url("2025-03-25T00:00:00Z", ""), None).await;
    assert_eq!(again.body, r.body);
    assert_eq!(state.0.front.drawn(), drawn);
    let r = get(
        &router,
        &url("2025-03-25T00:00:00Z", "&tolerance_m=500"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["features"][1]["properties"]["tolerance_m"], 500.0);
    assert_eq!(state.0.front.drawn(), drawn + 4);

    // Another version of ru's line from 1 April.
    let r = get(&router, &url("2025-04-02T00:00:00Z", ""), None).await;
    let fs = r.json()["features"].as_array().unwrap().clone();
    let ru = find(&fs, "ru", "line");
    assert_ne!(ru["properties"]["entry"], ru_entry);
    assert_eq!(ru["properties"]["valid_from"], "2025-04-01T00:00:00Z");
    assert_eq!(ru["geometry"]["coordinates"][0][0], 36.9);
    // Without `at`: the latest versions.
    let r = get(
        &router,
        &format!("/v1/front.geojson?agreement={AGREEMENT}&reading=us"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        find(r.json()["features"].as_array().unwrap(), "ru", "line")["properties"]["entry"],
        ru["properties"]["entry"]
    );

    // Before the reading: nothing in force, said so.
    let r = get(&router, &url("2025-03-18T00:00:00Z", ""), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["features"].as_array().unwrap().len(), 0);
    assert!(
        v["notes"][0].as_str().unwrap().contains("no version"),
        "{v}"
    );
    // A reading without front terms.
    let r = get(
        &router,
        &format!("/v1/front.geojson?agreement={AGREEMENT}&reading=ru"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("has no [terms.front]"), "{}", r.body);
}

#[tokio::test]
async fn front_refusals_list_the_valid_values() {
    let sc = scenario();
    file_front(&sc);
    let (_state, router) = open(&sc);
    for (q, field, says) in [
        (
            "agreement=nope&reading=us",
            "agreement",
            "agreements: energy-moratorium",
        ),
        (
            "agreement=energy-moratorium&reading=xx",
            "reading",
            "ru, ua, us",
        ),
        (
            "agreement=energy-moratorium&reading=firms",
            "reading",
            "ru, ua, us",
        ),
        ("reading=us", "agreement", "valid: energy-moratorium"),
        (
            "agreement=energy-moratorium",
            "reading",
            "valid: ru, ua, us",
        ),
        (
            "agreement=energy-moratorium&reading=us&tolerance_m=1",
            "tolerance_m",
            "from 10",
        ),
        (
            "agreement=energy-moratorium&reading=us&at=today",
            "at",
            "RFC 3339",
        ),
        ("agreement=energy-moratorium&reading=us&zoom=3", "zoom", ""),
    ] {
        let r = get(&router, &format!("/v1/front.geojson?{q}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{q}: {}", r.body);
        assert!(r.body.contains(says), "{q}: {}", r.body);
    }
}

#[tokio::test]
async fn observations_are_their_footprints_cells_never_the_observers_position() {
    let sc = scenario();
    file_front(&sc);
    let (_state, router) = open(&sc);
    let r = get(
        &router,
        "/v1/observations.geojson?from=2025-03-26&to=2025-03-26",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type(), "application/geo+json");
    let v = r.json();
    let fs = v["features"].as_array().unwrap();
    assert_eq!(fs.len(), 1, "{v:#}");
    let f = &fs[0];
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    let p = &f["properties"];
    assert_eq!(p["author"], "monitor");
    assert_eq!(p["id"], "obs-1");
    assert_eq!(p["event"], "impact");
    assert_eq!(p["modality"], "heard");
    assert_eq!(p["count"], 4);
    assert_eq!(p["distance"]["min_m"], 2000.0);
    assert_eq!(p["sectors"][0][0], 60.0);
    assert!(p["hidden_m"].as_f64().unwrap() >= 2000.0, "{p}");
    // The incident it is in, as the judgement has it.
    let inc = p["incident"].as_str().unwrap();
    let i = get(&router, &format!("/v1/incidents/{inc}"), None).await;
    assert_eq!(i.status, StatusCode::OK, "{}", i.body);
    assert!(i.body.contains(f["id"].as_str().unwrap()), "{}", i.body);
    let cells = f["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(cells.len() as u64, p["cells"].as_u64().unwrap());
    // Each cell a closed ring of a hexagon (or pentagon).
    for c in cells {
        let ring = c[0].as_array().unwrap();
        assert!(ring.len() >= 6 && ring[0] == ring[ring.len() - 1], "{c}");
    }
    // No observer: not its commitment, not its position, not any point.
    assert!(p.get("observer").is_none(), "{p}");
    assert!(!r.body.contains("observer\""), "{}", r.body);
    assert!(!r.body.contains("Point"), "{}", r.body);
    for x in OBSERVER {
        assert!(!r.body.contains(&x.to_string()), "{x}");
    }
    // Outside the window: none; without a window: the 31 days up to the latest.
    let r = get(&router, "/v1/observations.geojson?from=2025-03-27", None).await;
    assert_eq!(r.json()["features"].as_array().unwrap().len(), 0);
    let r = get(&router, "/v1/observations.geojson", None).await;
    assert_eq!(r.json()["features"].as_array().unwrap().len(), 1);
    let r = get(&router, "/v1/observations.geojson?limit=0", None).await;
    let v = r.json();
    assert_eq!(v["features"].as_array().unwrap().len(), 0);
    assert_eq!(v["truncated"], true);
    assert_eq!(v["matched"], 1);
    // Bounded window and refusals.
    for (q, field) in [
        ("from=2025-01-01&to=2025-03-26", "to"),
        ("limit=5000", "limit"),
        ("bbox=1,2", "bbox"),
        ("party=monitor", "party"),
    ] {
        let r = get(&router, &format!("/v1/observations.geojson?{q}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{q}: {}", r.body);
    }
}

#[tokio::test]
async fn a_days_counts_per_sector_are_the_daily_reports_front_section() {
    let sc = scenario();
    file_front(&sc);
    let (_state, router) = open(&sc);
    let r = get(&router, "/v1/front/counts?date=2025-03-26&tz=UTC", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type(), "application/json");
    let v = r.json();
    assert_eq!(v["date"], "2025-03-26");
    assert_eq!(v["tz"], "UTC");
    assert_eq!(v["rules"], truce_engine::RULES_VERSION);
    let front = &v["front"];
    // The monitor's observation: 4 impacts heard, counted once, none the day before.
    assert_eq!(front["total"]["total"]["day"], 4, "{front:#}");
    assert_eq!(front["total"]["total"]["previous"], 0, "{front:#}");
    assert_eq!(front["incidents_total"], 1);
    let obs = &front["incidents"][0]["observations"];
    assert_eq!(obs.as_array().unwrap().len(), 1, "{front:#}");
    assert_eq!(obs[0]["count"], 4);
    assert!(!r.body.contains("observer\""), "{}", r.body);

    // Exactly the section a daily report computes from a replay of the same log.
    let (judged, stamp, ledger) = off_runtime(|| {
        let reader = truce_store::LogReader::open(log_storage(sc.dir.path())).unwrap();
        let (judged, stamp) = truce_views::derived::judge(&reader, &mut |_| {}).unwrap();
        let (ledger, _) = truce_views::derived::replay_to(&reader, stamp.log_size).unwrap();
        (judged, stamp, ledger)
    });
    let day = truce_report::Day::new("2025-03-26", "UTC", None).unwrap();
    let want =
        truce_report::front::section(&judged, &day, &truce_report::front::FrontNotes::of(&ledger));
    assert_eq!(v["log_size"], stamp.log_size);
    assert_eq!(front, &serde_json::to_value(&want).unwrap());

    // The day after: the previous day's 4, none today.
    let r = get(&router, "/v1/front/counts?date=2025-03-27&tz=UTC", None).await;
    let v = r.json();
    assert_eq!(v["front"]["total"]["total"]["previous"], 4, "{v:#}");
    assert_eq!(v["front"]["total"]["total"]["day"], 0, "{v:#}");
    // Long before any observation or line: nothing to count.
    let r = get(&router, "/v1/front/counts?date=2024-01-01", None).await;
    assert_eq!(r.json()["front"], Value::Null, "{}", r.body);

    // Refusals name the field.
    for (q, field) in [
        ("", "date"),
        ("date=26-03-2025", "date"),
        ("date=2025-03-26&tz=Mars/Olympus", "tz"),
        ("date=2025-03-26&cutoff=25:00", "cutoff"),
        ("date=2025-03-26&agreement=x", "agreement"),
    ] {
        let r = get(&router, &format!("/v1/front/counts?{q}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
        assert_eq!(r.json()["error"]["field"], field, "{q}: {}", r.body);
    }
}
