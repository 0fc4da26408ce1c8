//! Monitors' positions never appear in the public log, the public API or the exports (issue 16):
//! the demo's observations are filed from drafts holding each observer's exact position; the log
//! carries only the public footprint and the position's salted commitment, the position lives in
//! `restricted.db`, served to permitted roles only.

mod common;
use common::{demo, serve_with, stdout, truce};
use std::path::Path;
use truce_model::authoring::AuthoredFile;

/// Every observer position of the scenario's drafts, as the texts a leak would show.
fn positions() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dir = Path::new(&common::scenario()).join("reports");
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let f = AuthoredFile::parse(
                &p.display().to_string(),
                &std::fs::read_to_string(&p).unwrap(),
            )
            .unwrap();
            for d in &f.observation {
                out.push((d.observer.lon().to_string(), d.observer.lat().to_string()));
            }
        }
    }
    assert!(out.len() >= 3, "the scenario files observations");
    out
}

/// Whether `text` holds `number` as a whole number (not inside a longer one).
fn holds_number(text: &str, number: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices(number).any(|(i, _)| {
        let before = i.checked_sub(1).map(|k| b[k]);
        let after = b.get(i + number.len()).copied();
        let digit = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_digit() || c == b'.');
        !digit(before) && !digit(after)
    })
}

fn assert_no_position(what: &str, text: &str, positions: &[(String, String)]) {
    for (lon, lat) in positions {
        assert!(
            !(holds_number(text, lon) && holds_number(text, lat)),
            "{what} holds an observer's position ({lon}, {lat})"
        );
    }
}

#[test]
fn observers_positions_stay_out_of_the_log_the_api_and_the_exports() {
    let positions = positions();
    let t = demo();
    let d = t.path().join("d");

    // The restricted store holds them, under the commitments the reports carry.
    let restricted = std::fs::read(d.join("restricted.db")).unwrap();
    let restricted = String::from_utf8_lossy(&restricted);
    for (lon, lat) in &positions {
        assert!(
            restricted.contains(&format!("{{\"lat\":{lat},\"lon\":{lon}}}")),
            "restricted.db holds ({lon}, {lat})"
        );
    }

    // The public log: every entry bundle of a static mirror.
    stdout(truce(t.path()).args(["-q", "--dir", "d", "log", "export-tiles", "mirror"]));
    let mut files = vec![t.path().join("mirror")];
    let mut bundles = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&p).unwrap();
            assert_no_position(
                &p.display().to_string(),
                &String::from_utf8_lossy(&bytes),
                &positions,
            );
            bundles += 1;
        }
    }
    assert!(bundles > 10);

    // Every export.
    for what in [
        "incidents.geojson",
        "incidents.csv",
        "background.geojson",
        "reports.geojson",
        "sites.geojson",
        "findings.csv",
    ] {
        let text = stdout(truce(t.path()).args(["-q", "--dir", "d", "export", what]));
        assert_no_position(what, &text, &positions);
    }
    // The observations are exported, with their public footprint only.
    let reports = stdout(truce(t.path()).args(["-q", "--dir", "d", "export", "reports.geojson"]));
    assert!(reports.contains("smm-2025-05-03-chasiv-yar-p1"));
    assert!(reports.contains("\"hidden_m\""));

    // The public API, as anyone sees it (no token).
    let server = serve_with(
        &assert_cmd::cargo::cargo_bin("truce"),
        &d,
        &[("TRUCE_MAX_PAGE", "5000")],
    );
    let base = format!("http://{}", server.addr);
    let client = reqwest::blocking::Client::new();
    let mut incidents: Vec<String> = Vec::new();
    for path in [
        "/v1/reports?limit=5000",
        "/v1/reports.geojson",
        "/v1/incidents?limit=5000",
        "/v1/incidents.geojson",
        "/v1/incidents.csv",
        "/v1/findings?limit=5000",
        "/v1/findings.csv",
        "/v1/compliance",
        "/v1/lines",
        "/v1/lines.geojson",
        "/v1/review/queue",
        "/v1/map/cells",
    ] {
        let r = client.get(format!("{base}{path}")).send().unwrap();
        let status = r.status();
        let text = r.text().unwrap();
        assert!(
            status.is_success() || status.as_u16() == 401 || status.as_u16() == 403,
            "{path}: {status} {text}"
        );
        assert_no_position(path, &text, &positions);
        if path.starts_with("/v1/incidents?") {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            incidents = v["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["id"].as_str().map(String::from))
                .collect();
        }
    }
    assert!(!incidents.is_empty());
    for id in incidents {
        let text = client
            .get(format!("{base}/v1/incidents/{id}"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_no_position(&id, &text, &positions);
    }
}
