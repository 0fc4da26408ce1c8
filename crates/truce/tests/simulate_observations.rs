//! `truce simulate observations` through the real binary: a monitor's authoring file of synthetic
//! patrol observations along a line read from an authoring TOML `[[line]]` or GeoJSON (the same
//! bytes from both), byte-identical for a seed (snapshot of a small run), that `truce submit
//! --as monitor` files; missing or unusable arguments refused with exit code 2 saying what to
//! give.

mod common;
use common::{fails, quiet, stdout, truce};
use std::path::Path;
use truce_model::authoring::AuthoredFile;

fn line_toml() -> String {
    Path::new(&common::scenario())
        .join("lines/monitor-loc-2025-05-01.toml")
        .display()
        .to_string()
}

fn simulate(dir: &Path, line: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "simulate",
        "observations",
        "--line",
        line,
        "--start",
        "2025-05-05",
    ];
    args.extend_from_slice(extra);
    if !extra.contains(&"--seed") {
        args.extend_from_slice(&["--seed", "1"]);
    }
    quiet(dir, &args)
}

#[test]
fn a_small_run_is_deterministic_reads_geojson_alike_and_files_as_a_monitor() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let line = line_toml();
    let out = simulate(p, &line, &["--days", "1", "--patrols", "2"]);
    insta::assert_snapshot!("simulate_observations_one_day", out);
    assert_eq!(out, simulate(p, &line, &["--days", "1", "--patrols", "2"]));
    assert_ne!(
        out,
        simulate(p, &line, &["--days", "1", "--patrols", "2", "--seed", "2"])
    );

    // The same line as a GeoJSON Feature gives the same bytes.
    let f = AuthoredFile::parse("line", &std::fs::read_to_string(&line).unwrap()).unwrap();
    let geometry = serde_json::to_value(&f.line[0].geometry).unwrap();
    let feature = serde_json::json!({"type": "Feature", "properties": {}, "geometry": geometry});
    std::fs::write(p.join("line.geojson"), feature.to_string()).unwrap();
    assert_eq!(
        out,
        simulate(p, "line.geojson", &["--days", "1", "--patrols", "2"])
    );

    // A week, to --out, parses and files.
    quiet(
        p,
        &[
            "simulate",
            "observations",
            "--line",
            &line,
            "--days",
            "3",
            "--start",
            "2025-05-05",
            "--out",
            "obs.toml",
        ],
    );
    let text = std::fs::read_to_string(p.join("obs.toml")).unwrap();
    let parsed = AuthoredFile::parse("obs.toml", &text).unwrap();
    assert!(
        parsed.observation.len() >= 10,
        "{}",
        parsed.observation.len()
    );
    assert!(parsed.observation.iter().all(|o| o.illustrative));

    quiet(p, &["init", "--origin", "sim.example/log"]);
    quiet(
        p,
        &[
            "party", "add", "monitor", "--name", "Mission", "--role", "monitor",
        ],
    );
    let key = p.join("truce-data/keys/monitor.key");
    assert!(key.exists(), "party add writes the monitor's key");
    stdout(truce(p).args([
        "-q",
        "submit",
        "obs.toml",
        "--as",
        "monitor",
        "--key",
        "truce-data/keys/monitor.key",
    ]));
    let reports = quiet(p, &["export", "reports.geojson"]);
    assert!(
        reports.contains("sim-obs-2025-05-05-p"),
        "the observations are public reports: {}",
        &reports[..reports.len().min(400)]
    );
    // With their footprints, never the observers' positions.
    assert!(reports.contains("\"hidden_m\""));
    for o in &parsed.observation {
        let (lon, lat) = (o.observer.lon().to_string(), o.observer.lat().to_string());
        assert!(
            !(reports.contains(&format!("{lon},")) && reports.contains(&format!("{lat}]"))),
            "{} leaks its observer's position",
            o.id
        );
    }
}

#[test]
fn missing_or_unusable_arguments_are_refused_with_what_to_give() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let e = fails(
        truce(p).args(["simulate", "observations", "--days", "2"]),
        2,
    );
    assert!(e.contains("needs --line FILE"), "{e}");
    std::fs::write(
        p.join("point.geojson"),
        r#"{"type":"Point","coordinates":[37.0,48.0]}"#,
    )
    .unwrap();
    let e = fails(
        truce(p).args(["simulate", "observations", "--line", "point.geojson"]),
        2,
    );
    assert!(e.contains("not a line"), "{e}");
    let e = fails(
        truce(p).args([
            "simulate",
            "observations",
            "--line",
            &line_toml(),
            "--start",
            "2025-05-05T06:00:00Z",
        ]),
        2,
    );
    assert!(e.contains("give a date"), "{e}");
    let e = fails(
        truce(p).args([
            "simulate",
            "observations",
            "--line",
            &line_toml(),
            "--patrols",
            "0",
        ]),
        2,
    );
    assert!(e.contains("patrols 0"), "{e}");
}
