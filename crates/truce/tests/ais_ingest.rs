//! `truce ingest` of AIS through the real binary: the real samples of crates/truce-ais/tests/data
//! (the gpsd NMEA log with a `--time-base`, the DMA sample, the MarineCadastre excerpt) become
//! track segments and vessel records under signed manifests; every stored segment verifies
//! against the file's raw rows (`truce_ais::track::verify`); re-ingest adds nothing; refusals,
//! `--rejects` and `--strict`; and an ingest killed with SIGKILL, run again, stores every segment
//! exactly once with `truce log check` clean; a demo holding AIS records exports and passes
//! `truce verify`.

mod common;
use common::{fails, init_with_dma, stdout, truce};
use std::collections::HashMap;
use std::path::Path;
use truce_ais::fix::{Fix, Item};
use truce_ais::track::{verify, Segment};
use truce_model::Body;
use truce_store::sqlite::SqliteStorage;
use truce_store::LogReader;

fn data(name: &str) -> String {
    format!(
        "{}/../truce-ais/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn ingest(p: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["ingest"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--as", "dma", "--key", "truce-data/keys/dma.key", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(truce(p).args(&all))).unwrap();
    v["summary"].clone()
}

/// The log's AIS records: segments (with their record count by key) and vessels, and the
/// ledger replayed.
struct Logged {
    segments: Vec<Segment>,
    per_key: HashMap<String, u64>,
    vessels: Vec<truce_model::ais::Vessel>,
    ledger: truce_model::Ledger,
}

fn logged(p: &Path) -> Logged {
    let r = LogReader::open(SqliteStorage::open(&p.join("truce-data/truce.db"), false).unwrap())
        .unwrap();
    let mut out = Logged {
        segments: Vec::new(),
        per_key: HashMap::new(),
        vessels: Vec::new(),
        ledger: truce_model::Ledger::new(),
    };
    r.for_each_entry(|i, e| {
        if let Ok(env) = truce_model::decode(e) {
            match &env.body {
                Body::Track(t) => {
                    *out.per_key.entry(t.key()).or_default() += 1;
                    out.segments
                        .push(Segment::from_json(t.to_jcs().as_bytes()).unwrap());
                }
                Body::Vessel(v) => out.vessels.push(v.clone()),
                _ => {}
            }
        }
        out.ledger.apply(i, e);
    })
    .unwrap();
    out
}

/// The file's fixes with their raw bytes and lines, as the reader gives them.
fn raw_fixes(path: &str, time_base: Option<i64>) -> Vec<(Fix, Vec<u8>, u64)> {
    let input = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut each = |r: truce_ais::fix::Record<'_>| {
        if let Item::Fix(f) = r.item {
            out.push((f, r.raw.to_vec(), r.line));
        }
    };
    if path.ends_with(".csv") {
        truce_ais::csv::read(input.as_slice(), &mut each).unwrap();
    } else {
        let opts = truce_ais::nmea::Options { time_base };
        truce_ais::nmea::read(input.as_slice(), &opts, &mut each).unwrap();
    }
    out
}

/// Every stored segment verifies against the raw rows it names (its MMSI and hour, within its
/// lines), and every raw fix is in one segment.
fn verify_all(segments: &[Segment], raws: &[(Fix, Vec<u8>, u64)]) {
    let mut covered = 0u64;
    for seg in segments {
        let rows: Vec<(&Fix, &[u8])> = raws
            .iter()
            .filter(|(f, _, line)| {
                f.mmsi == seg.mmsi
                    && f.t_ms.div_euclid(3_600_000) * 3600 == seg.hour
                    && (seg.first_line..=seg.last_line).contains(line)
            })
            .map(|(f, raw, _)| (f, raw.as_slice()))
            .collect();
        verify(seg, &rows).unwrap_or_else(|e| panic!("{}: {e}", seg.id()));
        covered += seg.fixes;
    }
    assert_eq!(covered, raws.len() as u64, "every raw fix in one segment");
}

#[test]
fn real_samples_ingest_once_and_verify_against_their_rows() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    init_with_dma(p, "ais.example/log");
    let mut expected_segments = 0;
    for (file, args) in [
        ("mobiml_test_aisdk_20180208_sample.csv", vec![]),
        ("AIS_2022_01_03_excerpt2000.csv", vec![]),
        (
            "AIS_2022_03_31_small-sample_original-format.csv",
            vec!["--format", "ais-marinecadastre"],
        ),
        (
            "gpsd_ais-raw-messages.log",
            vec!["--time-base", "2023-06-01T12:00:00Z"],
        ),
    ] {
        let path = data(file);
        let mut a = vec![path.as_str()];
        a.extend(args.iter().copied());
        let s = ingest(p, &a);
        let segments = s["segments"].as_u64().unwrap();
        assert!(segments > 0, "{file}: {s}");
        assert_eq!(
            s["accepted"].as_u64().unwrap(),
            segments + s["vessels"].as_u64().unwrap(),
            "{file}: {s}"
        );
        expected_segments += segments;
        let again = ingest(p, &a);
        assert_eq!(
            again["accepted"], 0,
            "{file}: re-ingest adds nothing: {again}"
        );
        assert_eq!(
            again["duplicates"].as_u64().unwrap(),
            s["accepted"].as_u64().unwrap() + s["duplicates"].as_u64().unwrap(),
            "{file}: what was appended, and the static data repeated in the file"
        );
        let time_base = args.iter().position(|a| *a == "--time-base").map(|i| {
            truce_model::Time::parse(args[i + 1])
                .unwrap()
                .0
                .as_millisecond()
        });
        let log = logged(p);
        let raws = raw_fixes(&path, time_base);
        let mine: Vec<Segment> = log
            .segments
            .iter()
            .filter(|seg| {
                raws.iter()
                    .any(|(f, _, line)| f.mmsi == seg.mmsi && *line == seg.first_line)
            })
            .filter(|seg| {
                // This file's: its raw rows hash to the segment.
                let rows: Vec<(&Fix, &[u8])> = raws
                    .iter()
                    .filter(|(f, _, line)| {
                        f.mmsi == seg.mmsi
                            && f.t_ms.div_euclid(3_600_000) * 3600 == seg.hour
                            && (seg.first_line..=seg.last_line).contains(line)
                    })
                    .map(|(f, raw, _)| (f, raw.as_slice()))
                    .collect();
                rows.len() as u64 == seg.fixes
            })
            .cloned()
            .collect();
        assert_eq!(mine.len() as u64, segments, "{file}");
        verify_all(&mine, &raws);
    }
    let log = logged(p);
    assert_eq!(log.segments.len() as u64, expected_segments);
    assert!(log.per_key.values().all(|n| *n == 1));
    assert_eq!(log.ledger.counts.refused, 0);
    assert_eq!(log.ledger.tracks.len() as u64, expected_segments);
    // Vessels: the DMA and MarineCadastre rows carry names and ship types.
    assert!(!log.vessels.is_empty());
    assert!(log.ledger.vessels().count() > 0);
    let named = log
        .ledger
        .vessels()
        .flat_map(|(_, v)| v.iter())
        .filter(|v| v.value.name.is_some())
        .count();
    assert!(named > 0);
    stdout(truce(p).args(["log", "check"]));
}

#[test]
fn refusals_rejects_strict_and_no_time_source() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    init_with_dma(p, "ais.example/log");
    // Three real position reports of the gpsd log, the second with its checksum broken.
    let log = std::fs::read_to_string(data("gpsd_ais-raw-messages.log")).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| {
            // Single-sentence position reports (types 1-3).
            l.starts_with("!AIVDM,1,1")
                && l.split(',')
                    .nth(5)
                    .is_some_and(|p| p.starts_with(['1', '2', '3']))
        })
        .take(3)
        .collect();
    assert_eq!(lines.len(), 3);
    let broken = {
        let (body, sum) = lines[1].rsplit_once('*').unwrap();
        let bad = if &sum[..2] == "00" { "01" } else { "00" };
        format!("{body}*{bad}")
    };
    let text = format!("{}\n{broken}\n{}\n", lines[0], lines[2]);
    std::fs::write(p.join("three.nmea"), &text).unwrap();
    // No time source: every position refused, nothing appended.
    let s = ingest(p, &["three.nmea"]);
    assert_eq!(s["accepted"], 0, "{s}");
    assert_eq!(s["rejected"], 3, "{s}");
    // --strict: the bad checksum on line 2 refuses the file.
    let size = |p: &Path| stdout(truce(p).args(["log", "check"]));
    let before = size(p);
    let err = fails(
        truce(p).args([
            "ingest",
            "three.nmea",
            "--as",
            "dma",
            "--key",
            "truce-data/keys/dma.key",
            "--time-base",
            "2023-06-01T12:00:00Z",
            "--strict",
        ]),
        2,
    );
    assert!(
        err.contains("three.nmea:2:") && err.contains("--strict"),
        "{err}"
    );
    assert_eq!(size(p), before, "nothing appended");
    // --rejects: line 2 with its reason; the others stored.
    let s = ingest(
        p,
        &[
            "three.nmea",
            "--format",
            "ais-nmea",
            "--time-base",
            "2023-06-01T12:00:00Z",
            "--rejects",
            "rejects.csv",
        ],
    );
    assert_eq!(s["rejected"], 1, "{s}");
    assert!(s["accepted"].as_u64().unwrap() >= 1, "{s}");
    let rejects = std::fs::read_to_string(p.join("rejects.csv")).unwrap();
    let mut rows = rejects.lines();
    assert_eq!(rows.next(), Some("line,reason,record"));
    let row = rows.next().unwrap();
    assert!(row.starts_with("2,") && row.contains("checksum"), "{row}");
    assert!(row.contains(&broken[..20]), "{row}");
    assert_eq!(rows.next(), None);
    // A wrong --format for a CSV header is named.
    std::fs::write(
        p.join("mc.csv"),
        format!("{}\n", truce_ais::csv::MARINE_CADASTRE_HEADER),
    )
    .unwrap();
    let err = fails(
        truce(p).args([
            "ingest",
            "mc.csv",
            "--format",
            "ais-dma",
            "--as",
            "dma",
            "--key",
            "truce-data/keys/dma.key",
        ]),
        2,
    );
    assert!(err.contains("ais-marinecadastre"), "{err}");
    stdout(truce(p).args(["log", "check"]));
}

#[test]
fn an_ais_ingest_killed_midway_then_rerun_stores_every_segment_once() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    init_with_dma(p, "ais.example/log");
    stdout(truce(p).args([
        "simulate", "ais", "--format", "dma", "--rows", "150000", "--seed", "5", "--out", "ais.csv",
    ]));
    let bin = assert_cmd::cargo::cargo_bin("truce");
    let mut killed = 0;
    for delay_ms in [300u64, 900, 2000] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(p)
            .args([
                "ingest",
                "ais.csv",
                "--as",
                "dma",
                "--key",
                "truce-data/keys/dma.key",
                "--batch",
                "50",
                "--quiet",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        if !child.wait().unwrap().success() {
            killed += 1;
        }
        stdout(truce(p).args(["log", "check"]));
    }
    let before = logged(p).segments.len();
    assert!(
        before > 0,
        "the killed runs appended whole batches before the kill"
    );
    let s = ingest(p, &["ais.csv", "--batch", "50"]);
    let segments = s["segments"].as_u64().unwrap();
    stdout(truce(p).args(["log", "check"]));
    let log = logged(p);
    assert_eq!(
        log.ledger.counts.refused, 0,
        "partial batches never reach the log"
    );
    assert_eq!(log.segments.len() as u64, segments, "{s}");
    assert_eq!(log.per_key.len() as u64, segments);
    assert!(
        log.per_key.values().all(|n| *n == 1),
        "each segment exactly once"
    );
    assert_eq!(log.ledger.tracks.len() as u64, segments);
    // A last run adds nothing.
    let again = ingest(p, &["ais.csv", "--batch", "50"]);
    assert_eq!(again["accepted"], 0, "{again}");
    eprintln!("{killed} of 3 runs killed mid-way; {before} of {segments} segments stored before the rerun");
}

#[test]
fn a_demo_with_ais_records_exports_and_verifies() {
    let t = common::demo();
    let p = t.path();
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "party",
        "add",
        "dma",
        "--name",
        "DMA",
        "--role",
        "open-data",
    ]));
    let file = data("mobiml_test_aisdk_20180208_sample.csv");
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "ingest",
        &file,
        "--as",
        "dma",
        "--key",
        "d/keys/dma.key",
    ]));
    stdout(truce(p).args(["-q", "--dir", "d", "log", "check"]));
    stdout(truce(p).args(["-q", "--dir", "d", "log", "export-tiles", "m"]));
    let r = common::verify_json(p, "m", 0);
    assert_eq!(r["ok"], true, "{r}");
    for name in ["checkpoint", "tree", "signatures", "findings"] {
        assert_eq!(common::check(&r, name)["status"], "ok", "{name}: {r}");
    }
}
