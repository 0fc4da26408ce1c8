//! `truce ais gaps` through the real binary: a log holding one AIS batch whose manifest states a
//! reception area (appended with the libraries, as `truce ingest --reception-area` files it),
//! one vessel silent for 14 hours inside it: the table, `--json` (the API's page), filters, and a
//! bad flag refused with exit code 2 naming it.

mod common;
use common::{fails, init_with_dma, quiet as cli, truce};
use serde_json::{json, Value};
use std::path::Path;
use truce_model::entry::{record, sign, Body};
use truce_model::{Id, Kind, Time};
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, Sequencer};

/// 2025-04-01T00:00:00Z.
const H0: i64 = 1_743_465_600;

/// A segment of `mmsi` in hour `h` (from H0), moving east 0.1° an hour along 44° N.
fn seg(mmsi: u32, h: i64) -> Body {
    let points: Vec<i64> = [0i64, 1800, 3540]
        .into_iter()
        .flat_map(|s| {
            let x = 31.0 + 0.1 * (h as f64 + s as f64 / 3600.0);
            [s * 1000, (x * 1e6).round() as i64, 44_000_000]
        })
        .collect();
    Body::parse(
        Kind::Track,
        json!({
            "fixes": 3, "flags": {}, "hour": H0 + h * 3600, "line_first": 1, "line_last": 9,
            "mmsi": mmsi, "part": 0, "points": points,
            "sha256": format!("{:064x}", u64::from(mmsi) * 100 + h as u64), "tol_mm": 50000,
        }),
    )
    .unwrap()
}

fn setup(p: &Path) {
    init_with_dma(p, "gaps.example/log");
    let d = p.join("truce-data");
    let mut seq = Sequencer::open(
        SqliteStorage::open(&d.join("truce.db"), false).unwrap(),
        &keyfile::read(&d.join("log.key")).unwrap(),
    )
    .unwrap();
    let t = Time::parse("2025-04-05T00:00:00Z").unwrap();
    let dma = Id::new("dma").unwrap();
    let mut bodies: Vec<Body> = (0..6).chain(20..24).map(|h| seg(272_000_001, h)).collect();
    bodies.push(Body::Vessel(truce_model::ais::Vessel::new(
        272_000_001,
        None,
        Some("ANNA".into()),
        None,
        Some(80),
        Some(Time::parse("2025-03-01T00:00:00Z").unwrap()),
    )));
    let batch: Vec<Vec<u8>> = bodies.iter().map(|b| record(&dma, t, b).unwrap()).collect();
    let root = truce_log::merkle_root(batch.iter().map(Vec::as_slice));
    let manifest = Body::parse(
        Kind::Manifest,
        json!({"format": truce_model::ais::TRACK_FORMAT, "source": "test.csv", "count": batch.len(),
               "root": root.to_string(),
               "reception": {"name": "Black Sea", "polygon": [[[28.0, 41.0], [42.0, 41.0], [42.0, 47.0], [28.0, 47.0], [28.0, 41.0]]]}}),
    )
    .unwrap();
    let key = keyfile::read(&d.join("keys/dma.key")).unwrap();
    let signer = truce_log::parse_signer(&key).unwrap();
    let mut entries = vec![sign(&dma, t, &manifest, &signer).unwrap().bytes];
    entries.extend(batch);
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    seq.append(&refs).unwrap();
}

#[test]
fn gaps_print_a_table_and_what_the_api_answers() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let table = cli(p, &["ais", "gaps"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("MMSI"), "{table}");
    for want in [
        "272000001",
        "ANNA",
        "commercial",
        "2025-04-01T05:59:00Z",
        "2025-04-01T20:00:00Z",
        "14.0",
    ] {
        assert!(lines[1].contains(want), "{want}: {table}");
    }
    assert!(lines[2].starts_with("1 AIS gaps at log size"), "{table}");
    assert!(lines[2].contains("occurrence-only"), "{table}");

    let doc: Value = serde_json::from_str(&cli(p, &["--json", "ais", "gaps"])).unwrap();
    assert_eq!(doc["total"], 1);
    assert_eq!(doc["items"][0]["mmsi"], 272_000_001);
    assert_eq!(doc["items"][0]["hours"], 14.017);
    let none: Value =
        serde_json::from_str(&cli(p, &["--json", "ais", "gaps", "--mmsi", "272000002"])).unwrap();
    assert_eq!(none["total"], 0);
    let none: Value =
        serde_json::from_str(&cli(p, &["--json", "ais", "gaps", "--from", "2025-04-02"])).unwrap();
    assert_eq!(none["total"], 0);
    let e = fails(truce(p).args(["ais", "gaps", "--mmsi", "x"]), 2);
    assert!(e.contains("--mmsi"), "{e}");
}
