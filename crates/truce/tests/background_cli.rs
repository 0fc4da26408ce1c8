//! `truce background` through the real binary on the demo plus 60 simulated FIRMS detections:
//! the count per day and a page as text and JSON (snapshots, entry ids redacted: they depend on
//! the keys the demo generates), `--json` byte for byte what `truce serve` answers to the same
//! filters, `truce export background.geojson` what `/v1/background.geojson` serves, and bad
//! filters refused with exit code 2.

mod common;
use common::{demo_in, fails, serve, stdout, truce};
use std::path::Path;

/// Entry ids (SHA-256 hex) differ between runs of the demo (its keys are generated).
fn filters() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"[0-9a-f]{64}", "[entry-id]");
    s
}

fn cli(p: &Path, args: &[&str]) -> String {
    let mut all = vec!["-q", "--dir", "d"];
    all.extend_from_slice(args);
    stdout(truce(p).args(&all))
}

fn http(addr: &str, path: &str) -> String {
    let r = reqwest::blocking::get(format!("http://{addr}{path}")).unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().unwrap()
}

#[test]
fn background_counts_lists_and_prints_what_the_api_answers() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    demo_in(p);
    let csv = p.join("firms.csv");
    stdout(
        truce(p)
            .args([
                "-q", "simulate", "firms", "--rows", "60", "--seed", "3", "--out",
            ])
            .arg(&csv),
    );
    stdout(
        truce(p)
            .args(["-q", "--dir", "d", "ingest"])
            .arg(&csv)
            .args(["--as", "firms", "--key", "d/keys/firms.key"]),
    );

    let _s = filters().bind_to_scope();
    insta::assert_snapshot!("background_count", cli(p, &["background", "--count"]));
    let count_json = cli(p, &["--json", "background", "--count"]);
    insta::assert_snapshot!("background_count_json", count_json);
    insta::assert_snapshot!(
        "background_page",
        cli(p, &["background", "--limit", "5", "--offset", "2"])
    );
    let page_json = cli(
        p,
        &["--json", "background", "--limit", "3", "--routine", "false"],
    );
    insta::assert_snapshot!("background_page_json", page_json);

    // The counts add up; every detection is listed once, none as an incident.
    let c: serde_json::Value = serde_json::from_str(&count_json).unwrap();
    let n = c["count"].as_u64().unwrap();
    assert!(n > 0, "{count_json}");
    let by_day: u64 = c["by_day"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_day, n);
    let all: serde_json::Value =
        serde_json::from_str(&cli(p, &["--json", "background", "--limit", "1000"])).unwrap();
    assert_eq!(all["total"], n);
    assert_eq!(all["items"].as_array().unwrap().len() as u64, n);
    let incidents = cli(p, &["--json", "incidents"]);
    for i in all["items"].as_array().unwrap() {
        assert!(!incidents.contains(i["entry_id"].as_str().unwrap()));
    }

    // `--json` is what the API answers to the same filters, byte for byte.
    let server = serve(&p.join("d"));
    let cases: [(&[&str], &str); 5] = [
        (
            &["background", "--limit", "3", "--routine", "false"],
            "/v1/background?limit=3&routine=false",
        ),
        (&["background", "--count"], "/v1/background/count"),
        (
            &[
                "background",
                "--from",
                "2025-03-20",
                "--to",
                "2025-03-25",
                "--limit",
                "20",
            ],
            "/v1/background?from=2025-03-20&to=2025-03-25&limit=20",
        ),
        (
            &[
                "background",
                "--count",
                "--bbox",
                "30,46,36,52",
                "--source",
                "firms",
            ],
            "/v1/background/count?bbox=30,46,36,52&source=firms",
        ),
        (
            &[
                "background",
                "--count",
                "--routine",
                "true",
                "--to",
                "2025-04-01",
            ],
            "/v1/background/count?routine=true&to=2025-04-01",
        ),
    ];
    for (args, path) in cases {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        assert_eq!(
            cli(p, &all),
            format!("{}\n", http(&server.addr, path)),
            "{path}"
        );
    }
    // The export, as the endpoint serves it.
    assert_eq!(
        cli(p, &["export", "background.geojson"]),
        http(&server.addr, "/v1/background.geojson")
    );
    drop(server);

    // As known before the detections: none (the demo's detections are all evidence).
    let none = cli(p, &["--json", "background", "--count", "--as-of", "157"]);
    assert_eq!(none, "{\"count\":0,\"log_size\":157,\"by_day\":{}}\n");

    for bad in [
        &["background", "--bbox", "1,2,3"][..],
        &["background", "--bbox", "3,2,1,4"],
        &["background", "--from", "20-03-2025"],
        &["background", "--from", "2025-03-21", "--to", "2025-03-20"],
        &["background", "--source", "Not An Id"],
        &["background", "--routine", "maybe"],
        &["background", "--as-of", "100000"],
    ] {
        let mut all = vec!["-q", "--dir", "d"];
        all.extend_from_slice(bad);
        fails(truce(p).args(&all), 2);
    }
}
