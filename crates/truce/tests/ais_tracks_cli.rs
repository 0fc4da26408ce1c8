//! `truce ais vessels` and `truce ais tracks` through the real binary, on a log holding simulated
//! AIS (`truce simulate ais --format dma`, ingested as `ais-dma`): the tables (snapshots), `--json`
//! byte for byte what `truce serve` answers to the same filters, a vessel's track around a time,
//! `--geojson` the same document as `--json`, and bad flags refused with exit code 2 naming the
//! flag.

mod common;
use common::{fails, init_with_dma, quiet as cli, serve, truce};
use serde_json::Value;
use std::path::Path;

fn setup(p: &Path) {
    init_with_dma(p, "ais.example/log");
    cli(
        p,
        &[
            "simulate",
            "ais",
            "--format",
            "dma",
            "--rows",
            "4000",
            "--seed",
            "1",
            "--start",
            "2025-04-01T00:00:00Z",
            "--out",
            "a.csv",
        ],
    );
    cli(
        p,
        &[
            "ingest",
            "a.csv",
            "--format",
            "ais-dma",
            "--as",
            "dma",
            "--key",
            "truce-data/keys/dma.key",
        ],
    );
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn http(addr: &str, path: &str) -> String {
    let r = reqwest::blocking::get(format!("http://{addr}{path}")).unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().unwrap()
}

#[test]
fn vessels_and_tracks_print_tables_and_what_the_api_answers() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);

    insta::assert_snapshot!("ais_vessels", cli(p, &["ais", "vessels", "--limit", "4"]));
    let vessels = json(&cli(p, &["--json", "ais", "vessels", "--limit", "1000"]));
    let total = vessels["total"].as_u64().unwrap();
    assert!(total >= 10, "{vessels}");
    let items = vessels["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, total);
    // A vessel with a track and static data.
    let v = items
        .iter()
        .find(|v| !v["track"].is_null() && !v["versions"].as_array().unwrap().is_empty())
        .expect("a vessel with a track and static data");
    let mmsi = v["mmsi"].as_u64().unwrap().to_string();
    assert!(v["name"].as_str().unwrap().starts_with("SYNTHETIC"), "{v}");
    let (first, last) = (
        v["track"]["first"].as_str().unwrap(),
        v["track"]["last"].as_str().unwrap(),
    );

    // Its track over its span: one feature, its points in time order.
    let doc = json(&cli(
        p,
        &[
            "--json", "ais", "tracks", "--from", first, "--to", last, "--mmsi", &mmsi,
        ],
    ));
    assert_eq!(doc["type"], "FeatureCollection");
    let f = &doc["features"].as_array().unwrap()[0];
    assert_eq!(doc["features"].as_array().unwrap().len(), 1);
    assert_eq!(f["properties"]["mmsi"].to_string(), mmsi);
    assert_eq!(f["properties"]["first"], first);
    assert_eq!(f["properties"]["last"], last);
    assert_eq!(f["properties"]["points"], f["properties"]["points_total"]);
    // --geojson prints the same document; a zoom keeps fewer points.
    let geo = cli(
        p,
        &[
            "ais",
            "tracks",
            "--from",
            first,
            "--to",
            last,
            "--mmsi",
            &mmsi,
            "--geojson",
        ],
    );
    assert_eq!(json(&geo), doc);
    let zoomed = json(&cli(
        p,
        &[
            "--json", "ais", "tracks", "--at", first, "--mmsi", &mmsi, "--zoom", "5",
        ],
    ));
    let zp = &zoomed["features"][0]["properties"];
    assert!(zp["points"].as_u64() <= zp["points_total"].as_u64(), "{zp}");
    assert!(zp["points"].as_u64().unwrap() >= 2, "{zp}");

    // The table of tracks for the last day with tracks.
    let table = cli(p, &["ais", "tracks", "--limit", "3"]);
    assert!(
        table.contains("MMSI") && table.contains("SEGMENTS"),
        "{table}"
    );
    assert!(
        table.contains("3 of ") && table.contains("truncated"),
        "{table}"
    );
    insta::assert_snapshot!(
        "ais_tracks",
        cli(
            p,
            &["ais", "tracks", "--mmsi", &mmsi, "--from", first, "--to", last]
        )
    );

    // --json is what the API answers, byte for byte.
    let server = serve(&p.join("truce-data"));
    let cases: [(Vec<&str>, String); 3] = [
        (
            vec!["ais", "vessels", "--class", "commercial", "--limit", "5"],
            "/v1/ais/vessels?class=commercial&limit=5&offset=0".into(),
        ),
        (
            vec![
                "ais", "tracks", "--from", first, "--to", last, "--zoom", "9",
            ],
            format!("/v1/ais/tracks.geojson?from={first}&to={last}&zoom=9"),
        ),
        (
            vec![
                "ais", "tracks", "--mmsi", &mmsi, "--at", last, "--hours", "2",
            ],
            format!("/v1/ais/tracks.geojson?mmsi={mmsi}&at={last}&hours=2"),
        ),
    ];
    for (args, path) in cases {
        let mut a = vec!["--json"];
        a.extend(args);
        assert_eq!(
            cli(p, &a),
            format!("{}\n", http(&server.addr, &path)),
            "{path}"
        );
    }
    drop(server);

    // Bad flags: exit code 2, naming the flag.
    let e = fails(
        truce(p).args([
            "ais",
            "tracks",
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-01",
        ]),
        2,
    );
    assert!(e.contains("--to") && e.contains("31 days"), "{e}");
    let e = fails(truce(p).args(["ais", "tracks", "--mmsi", "ship"]), 2);
    assert!(e.contains("--mmsi"), "{e}");
    let e = fails(truce(p).args(["ais", "vessels", "--class", "pirate"]), 2);
    assert!(e.contains("--class") && e.contains("commercial"), "{e}");
}
