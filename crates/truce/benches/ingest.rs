//! Ingest benchmark: a 1,000,000-row FIRMS file from `truce simulate`, ingested and durably logged
//! by the real `truce` binary; rows/s, peak memory, and the split of the time (parse, encode,
//! hash, store), against a baseline of reading the same CSV with the `csv` crate alone.
//!
//! `cargo bench -p truce --bench ingest` (`TRUCE_BENCH_ROWS` changes the row count).
#![allow(unsafe_code)] // getrusage(2) through libc, for the children's peak memory

use std::io::Write;
use std::process::Command;
use std::time::Instant;

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn truce(dir: &std::path::Path, args: &[&str]) -> f64 {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_truce"))
        .current_dir(dir)
        .args(args)
        .arg("--quiet")
        .output()
        .expect("run truce");
    assert!(
        out.status.success(),
        "truce {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    secs(t)
}

fn peak_rss_children_mb() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut r) };
    r.ru_maxrss as f64 / 1024.0
}

/// The ingest command the benchmark times (first run, then again for the duplicates figure).
const INGEST: &[&str] = &[
    "ingest",
    "firms.csv",
    "--as",
    "firms",
    "--key",
    "truce-data/keys/firms.key",
];

fn main() {
    let rows: u64 = std::env::var("TRUCE_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let file = p.join("firms.csv");
    let world = truce_sim::World::new(&truce_sim::Params {
        seed: 7,
        ..Default::default()
    })
    .expect("world");
    truce_sim::write_firms(
        &world,
        rows,
        std::io::BufWriter::new(std::fs::File::create(&file).expect("file")),
    )
    .expect("simulate");
    let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);

    // Baseline: the csv crate reading every record, nothing else.
    let t = Instant::now();
    let mut rdr = csv::Reader::from_path(&file).expect("open");
    let mut rec = csv::ByteRecord::new();
    let mut n = 0u64;
    while rdr.read_byte_record(&mut rec).expect("read") {
        n += 1;
    }
    let base = secs(t);
    assert_eq!(n, rows);

    // Cumulative passes: parse; parse + encode; parse + encode + hash.
    let author = truce_model::Id::new("firms").expect("id");
    let time = truce_model::Time::parse("2025-04-20T00:00:00Z").expect("time");
    let pass = |encode: bool, hash: bool| -> f64 {
        let t = Instant::now();
        let f = std::fs::File::open(&file).expect("open");
        let mut leaves = Vec::with_capacity(10_000);
        for row in truce_ingest::reports(
            truce_ingest::Format::Firms,
            f,
            truce_ingest::ActorMap::default(),
        )
        .expect("reader")
        {
            if let truce_ingest::Row::Report { report, .. } = row {
                if encode {
                    let b = truce_model::entry::record(
                        &author,
                        time,
                        &truce_model::Body::Report(*report),
                    )
                    .expect("record");
                    if hash {
                        leaves.push(b);
                        if leaves.len() == 10_000 {
                            std::hint::black_box(truce_log::merkle_root(
                                leaves.iter().map(Vec::as_slice),
                            ));
                            leaves.clear();
                        }
                    } else {
                        std::hint::black_box(b);
                    }
                } else {
                    std::hint::black_box(report);
                }
            }
        }
        secs(t)
    };
    let parse = pass(false, false);
    let encode = pass(true, false);
    let hash = pass(true, true);

    // End to end through the binary, durably logged.
    truce(p, &["init", "--origin", "bench.example/ingest"]);
    truce(
        p,
        &[
            "party",
            "add",
            "firms",
            "--name",
            "FIRMS",
            "--role",
            "open-data",
        ],
    );
    let total = truce(p, INGEST);
    let peak = peak_rss_children_mb();
    let again = truce(p, INGEST);
    let peak_again = peak_rss_children_mb();
    let db = std::fs::metadata(p.join("truce-data/truce.db"))
        .map(|m| m.len())
        .unwrap_or(0)
        + std::fs::metadata(p.join("truce-data/truce.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);

    let mut o = std::io::stdout().lock();
    let r = rows as f64;
    let _ = writeln!(
        o,
        "truce ingest benchmark: {rows} FIRMS rows from `truce simulate` (seed 7), {:.1} MB CSV",
        bytes as f64 / 1e6
    );
    let _ = writeln!(
        o,
        "{:<58} {:>14} {:>14} {:>8}",
        "figure", "value", "baseline", "ratio"
    );
    let _ = writeln!(o, "{}", "-".repeat(97));
    let _ = writeln!(
        o,
        "{:<58} {:>9.0} r/s {:>9.0} r/s {:>7.2}x",
        "ingest + durable log, end to end (truce binary)",
        r / total,
        r / base,
        (r / total) / (r / base)
    );
    let _ = writeln!(
        o,
        "{:<58} {:>11.1} MB {:>14} {:>8}",
        "peak memory of the ingest (max RSS)",
        peak,
        "500 MB",
        format!("{:.2}x", peak / 500.0)
    );
    let _ = writeln!(
        o,
        "{:<58} {:>11.1} B {:>14} {:>8}",
        "bytes stored per row (db + wal)",
        db as f64 / r,
        "",
        ""
    );
    let _ = writeln!(
        o,
        "{:<58} {:>9.0} r/s",
        "re-ingest of the same file (all duplicates)",
        r / again
    );
    let _ = writeln!(
        o,
        "{:<58} {:>11.1} MB",
        "peak memory of the re-ingest (replays the log)", peak_again
    );
    let _ = writeln!(o, "\nsplit of the end-to-end time ({total:.2} s):");
    let store = (total - hash).max(0.0);
    for (what, t) in [
        ("parse (csv + validation + model values)", parse),
        ("encode (RFC 8785 records)", encode - parse),
        ("hash (Merkle roots)", hash - encode),
        ("store, beyond what overlaps the reader thread", store),
    ] {
        let _ = writeln!(o, "  {what:<48} {t:>6.2} s  {:>5.1}%", 100.0 * t / total);
    }
    let _ = writeln!(
        o,
        "\nbaseline: the csv crate alone reading every record of the same file ({base:.2} s)"
    );
    let _ = writeln!(
        o,
        "target: >= 100,000 rows/s and < 500 MB: {}",
        if r / total >= 100_000.0 && peak < 500.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
