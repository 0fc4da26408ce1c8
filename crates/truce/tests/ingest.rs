//! `truce ingest` through the real binary: real excerpts, idempotent re-ingest (also gzipped),
//! rejects and --strict, an unknown header, records accepted on replay, and an ingest killed
//! midway then run again yielding every record exactly once.

mod common;
use common::{fails, stdout, truce};
use std::collections::HashMap;
use std::path::Path;
use truce_store::sqlite::SqliteStorage;
use truce_store::LogReader;

fn data(name: &str) -> String {
    format!("{}/../../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn summary(p: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["ingest"];
    all.extend_from_slice(args);
    all.push("--json");
    let v: serde_json::Value = serde_json::from_str(&stdout(truce(p).args(&all))).unwrap();
    v["summary"].clone()
}

fn setup(p: &Path) {
    stdout(truce(p).args(["init", "--origin", "ingest.example/log"]));
    for (id, role) in [
        ("firms", "open-data"),
        ("acled", "open-data"),
        ("ucdp", "open-data"),
        ("ru", "belligerent"),
        ("ua", "belligerent"),
    ] {
        stdout(truce(p).args(["party", "add", id, "--name", id, "--role", role]));
    }
}

/// Replays the log: reports per author, and how many record entries carry each (author, id).
fn replay(p: &Path) -> (truce_model::Ledger, HashMap<(String, String), u64>) {
    let r = LogReader::open(SqliteStorage::open(&p.join("truce-data/truce.db"), false).unwrap())
        .unwrap();
    let mut ledger = truce_model::Ledger::new();
    let mut seen = HashMap::new();
    r.for_each_entry(|i, e| {
        if let Ok(env) = truce_model::decode(e) {
            if let truce_model::Body::Report(rep) = &env.body {
                *seen
                    .entry((env.author.to_string(), rep.id.to_string()))
                    .or_default() += 1;
            }
        }
        ledger.apply(i, e);
    })
    .unwrap();
    (ledger, seen)
}

#[test]
fn excerpts_ingest_once_and_refusals_are_precise() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let key = |k: &str| format!("truce-data/keys/{k}.key");
    let s = summary(
        p,
        &[
            &data("firms_viirs_snpp_ukraine_2023_excerpt.csv"),
            "--as",
            "firms",
            "--key",
            &key("firms"),
        ],
    );
    assert_eq!(
        (s["read"].as_u64(), s["accepted"].as_u64()),
        (Some(300), Some(300))
    );
    let s = summary(
        p,
        &[
            &data("ucdp_ged_ukraine_excerpt.csv"),
            "--as",
            "ucdp",
            "--key",
            &key("ucdp"),
            "--batch",
            "150",
        ],
    );
    assert_eq!(
        (s["accepted"].as_u64(), s["batches"].as_u64()),
        (Some(400), Some(3))
    );

    // Again, plain and gzipped: nothing new.
    let s = summary(
        p,
        &[
            &data("firms_viirs_snpp_ukraine_2023_excerpt.csv"),
            "--as",
            "firms",
            "--key",
            &key("firms"),
        ],
    );
    assert_eq!(
        (s["accepted"].as_u64(), s["duplicates"].as_u64()),
        (Some(0), Some(300))
    );
    let gz = p.join("excerpt.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    std::io::copy(
        &mut std::fs::File::open(data("firms_viirs_snpp_ukraine_2023_excerpt.csv")).unwrap(),
        &mut enc,
    )
    .unwrap();
    enc.finish().unwrap();
    let s = summary(
        p,
        &[
            gz.to_str().unwrap(),
            "--as",
            "firms",
            "--key",
            &key("firms"),
        ],
    );
    assert_eq!(
        (s["read"].as_u64(), s["duplicates"].as_u64()),
        (Some(300), Some(300))
    );

    // ACLED: BOM, CRLF, re-issue supersedes, protest skipped.
    let s = summary(
        p,
        &[
            &data("acled_synthetic.csv"),
            "--as",
            "acled",
            "--key",
            &key("acled"),
        ],
    );
    assert_eq!(
        (
            s["accepted"].as_u64(),
            s["skipped"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(7), Some(1), Some(0))
    );

    // Broken rows: good ones land, bad ones in the rejects file with line and reason.
    let size = |p: &Path| -> u64 {
        let v: serde_json::Value =
            serde_json::from_str(&stdout(truce(p).args(["log", "checkpoint", "--json"]))).unwrap();
        v["size"].as_u64().unwrap()
    };
    let before = size(p);
    let e = fails(
        truce(p).args([
            "ingest",
            &data("acled_broken.csv"),
            "--as",
            "acled",
            "--key",
            &key("acled"),
            "--strict",
        ]),
        2,
    );
    assert!(
        e.contains("acled_broken.csv:3:") && e.contains("nothing was appended (--strict)"),
        "{e}"
    );
    assert_eq!(size(p), before);
    let s = summary(
        p,
        &[
            &data("acled_broken.csv"),
            "--as",
            "acled",
            "--key",
            &key("acled"),
            "--rejects",
            "rej.csv",
        ],
    );
    assert_eq!(
        (s["accepted"].as_u64(), s["rejected"].as_u64()),
        (Some(2), Some(7))
    );
    let rej = std::fs::read_to_string(p.join("rej.csv")).unwrap();
    let lines: Vec<&str> = rej.lines().collect();
    assert_eq!(lines[0], "line,reason,record");
    assert!(
        lines[1].starts_with("3,") && lines[1].contains("is not a number"),
        "{rej}"
    );
    assert!(
        rej.contains("\n10,field `location`: invalid UTF-8"),
        "{rej}"
    );

    // A header that fits no format; an author who may not file reports.
    std::fs::write(p.join("x.csv"), "lat,lon,when\n1,2,3\n").unwrap();
    let e = fails(
        truce(p).args(["ingest", "x.csv", "--as", "firms", "--key", &key("firms")]),
        2,
    );
    assert!(
        e.contains("fits no known format") && e.contains("firms lacks latitude"),
        "{e}"
    );
    let e = fails(
        truce(p).args([
            "ingest",
            &data("firms_api_example.csv"),
            "--as",
            "ru",
            "--key",
            &key("firms"),
        ]),
        2,
    );
    assert!(e.contains("is not registered to `ru`"), "{e}");

    // On replay the ledger accepts every record under its manifest.
    let (ledger, seen) = replay(p);
    assert_eq!(ledger.counts.refused, 0);
    let by = |a: &str| {
        ledger
            .reports
            .keys()
            .filter(|(x, _)| x.as_str() == a)
            .count()
    };
    assert_eq!((by("firms"), by("ucdp"), by("acled")), (300, 400, 8));
    assert_eq!(
        seen[&("acled".to_string(), "ukr900001".to_string())],
        2,
        "original and re-issue both logged"
    );
    let r = &ledger.reports[&(
        truce_model::Id::new("acled").unwrap(),
        truce_model::Id::new("ukr900001").unwrap(),
    )];
    assert_eq!(
        r.value.revision,
        Some(1742900000),
        "the re-issue supersedes"
    );
    stdout(truce(p).args(["log", "check"]));
}

#[test]
fn an_ingest_killed_midway_then_rerun_yields_each_record_once() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    // 80,000 synthetic FIRMS rows (unique natural keys).
    let mut csv = String::from("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight\n");
    for i in 0..80_000u32 {
        let lat = 45.0 + f64::from(i % 400) * 0.01;
        let lon = 30.0 + f64::from(i / 400) * 0.01;
        let hhmm = ((i / 60) % 24) * 100 + i % 60;
        csv.push_str(&format!(
            "{lat:.5},{lon:.5},330.1,0.4,0.4,2025-03-{:02},{hhmm},N20,VIIRS,n,2.0NRT,290.0,1.5,N\n",
            1 + i % 28
        ));
    }
    std::fs::write(p.join("big.csv"), csv).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("truce");
    let mut killed = false;
    for delay_ms in [150u64, 400, 900] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(p)
            .args([
                "ingest",
                "big.csv",
                "--as",
                "firms",
                "--key",
                "truce-data/keys/firms.key",
                "--batch",
                "2000",
                "--quiet",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        killed |= !child.wait().unwrap().success();
    }
    stdout(truce(p).args(["log", "check"]));
    let s = summary(
        p,
        &[
            "big.csv",
            "--as",
            "firms",
            "--key",
            "truce-data/keys/firms.key",
            "--batch",
            "2000",
        ],
    );
    assert_eq!(
        s["accepted"].as_u64().unwrap() + s["duplicates"].as_u64().unwrap(),
        80_000
    );
    let (ledger, seen) = replay(p);
    assert_eq!(
        ledger.counts.refused, 0,
        "partial batches never reach the log"
    );
    assert_eq!(ledger.reports.len(), 80_000);
    assert_eq!(seen.len(), 80_000);
    assert!(seen.values().all(|n| *n == 1), "each record exactly once");
    eprintln!("killed mid-way at least once: {killed}");
}

#[test]
fn site_lists_import_from_osm_wri_and_mapped_csv() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let ua = ["--as", "ua", "--key", "truce-data/keys/ua.key"];
    let run = |file: &str, extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["sites", "import", file];
        args.extend_from_slice(&ua);
        args.extend_from_slice(extra);
        args.push("--json");
        let v: serde_json::Value = serde_json::from_str(&stdout(truce(p).args(&args))).unwrap();
        v["summary"].clone()
    };
    let s = run(&data("osm/sites.osm.pbf"), &[]);
    assert_eq!(
        (s["accepted"].as_u64(), s["skipped"].as_u64()),
        (Some(6), Some(2))
    );
    let wri = format!(
        "{}/../../scenarios/energy-moratorium-2025/sites/wri-ukraine.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    assert_eq!(run(&wri, &[])["accepted"].as_u64(), Some(64));
    assert_eq!(
        run(&wri, &[])["duplicates"].as_u64(),
        Some(64),
        "importing again adds nothing"
    );
    std::fs::write(p.join("s.csv"), "ref,Name,Y,X,kind\nA1,Substation A,48.1,37.2,energy.power.substation\nA2,Depot,48.2,37.3,energy.oil.storage\nA3,Bad,48.3,37.4,energy.nothing\n").unwrap();
    let s = run(
        "s.csv",
        &[
            "--id",
            "ref",
            "--name",
            "Name",
            "--lat",
            "Y",
            "--lon",
            "X",
            "--category-column",
            "kind",
            "--rejects",
            "r.csv",
        ],
    );
    assert_eq!(
        (s["accepted"].as_u64(), s["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(std::fs::read_to_string(p.join("r.csv"))
        .unwrap()
        .contains("unknown category"));
    let e = fails(
        truce(p).args([
            "sites",
            "import",
            "s.csv",
            "--as",
            "ua",
            "--key",
            "truce-data/keys/ua.key",
        ]),
        2,
    );
    assert!(e.contains("--category"), "{e}");
    let (ledger, _) = replay(p);
    assert_eq!(ledger.sites.len(), 72);
    assert_eq!(ledger.counts.refused, 0);
}
