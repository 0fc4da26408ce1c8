//! Crash safety: `truce log append` of a large file is killed with SIGKILL at random moments, many
//! times, on the same log. After every kill `truce log check` must pass, every acknowledged entry
//! must be present and correct, and nothing beyond the file's lines may appear.
//!
//! Reproduce a run with `TRUCE_CRASH_SEED=<seed>`; `TRUCE_CRASH_ROUNDS` sets the number of kills.

#[path = "common/chaos.rs"]
mod chaos;
use chaos::Rng;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use truce_store::sqlite::SqliteStorage;
use truce_store::{LogReader, LogStorage};

const LINES: u64 = 100_000;

fn line(i: u64) -> Vec<u8> {
    // ~200-byte entries, like a report.
    let mut s = format!("{{\"report\":{i},\"kind\":\"strike\",\"text\":\"");
    while s.len() < 196 {
        s.push((b'a' + (i % 26) as u8) as char);
    }
    s.push_str("\"}");
    s.into_bytes()
}

fn truce() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("truce"))
}

/// Parses `ack <first>..<last> size <size> root <root>`.
fn parse_ack(l: &str) -> Option<(u64, u64)> {
    let mut w = l.split(' ');
    if w.next()? != "ack" {
        return None;
    }
    let (a, b) = w.next()?.split_once("..")?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Checks every entry in [from, to) against the file line it came from.
fn check_entries(db: &Path, base: u64, from: u64, to: u64) {
    let r = LogReader::open(SqliteStorage::open(db, false).unwrap()).unwrap();
    let mut n = from / 256;
    while n * 256 < to {
        let bundle = r.storage().read_bundle(n).unwrap().expect("bundle stored");
        let entries = truce_log::decode_bundle(&bundle).unwrap();
        for (k, e) in entries.iter().enumerate() {
            let i = n * 256 + k as u64;
            if i >= from && i < to {
                assert_eq!(
                    *e,
                    line(i - base).as_slice(),
                    "entry {i} differs from file line {}",
                    i - base + 1
                );
            }
        }
        n += 1;
    }
}

#[test]
fn sigkill_during_append_loses_nothing_acknowledged() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("data");
    let db = dir.join("truce.db");
    let file = t.path().join("big.jsonl");
    let mut text = Vec::with_capacity(LINES as usize * 201);
    for i in 0..LINES {
        text.extend_from_slice(&line(i));
        text.push(b'\n');
    }
    std::fs::write(&file, text).unwrap();
    let st = truce()
        .args(["init", "--origin", "crash.example/log", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(st.status.success());

    let (seed, rounds) = chaos::seed_and_rounds("crash test", 20);
    let mut rng = Rng(seed);
    let mut killed_mid_run = 0;
    // Round 0 runs to the end and sets the kill window to its duration; the last round also
    // runs to the end, to show the log goes on after all the kills.
    let mut window = Duration::from_secs(1);

    for round in 0..=rounds + 1 {
        let size_before = LogReader::open(SqliteStorage::open(&db, false).unwrap())
            .unwrap()
            .latest()
            .unwrap()
            .size;
        let mut child = truce()
            .args(["log", "append", "--quiet", "--batch", "500", "--dir"])
            .arg(&dir)
            .arg(&file)
            .stdout(Stdio::piped())
            // What the run says is kept, to be shown if a run that is not killed fails.
            .stderr(std::fs::File::create(t.path().join("stderr.txt")).unwrap())
            .spawn()
            .unwrap();
        let acks = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let reader = {
            let acks = acks.clone();
            std::thread::spawn(move || {
                for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                    if let Some(a) = parse_ack(&l) {
                        acks.lock().unwrap().push(a);
                    }
                }
            })
        };
        let started = std::time::Instant::now();
        let last = round == 0 || round == rounds + 1;
        if !last {
            let ms = window.as_millis().max(1) as u64;
            std::thread::sleep(Duration::from_millis(rng.next() % ms));
            let _ = child.kill(); // SIGKILL
        }
        let status = child.wait().unwrap();
        if round == 0 {
            window = started.elapsed();
            eprintln!("a full append of {LINES} lines takes {window:?}: kills land in that window");
        }
        reader.join().unwrap();
        if !last && !status.success() {
            killed_mid_run += 1;
        }
        let acks = acks.lock().unwrap().clone();

        let check = truce()
            .args(["log", "check", "--quiet", "--dir"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "round {round} (seed {seed}): log check failed after kill: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let size_after = LogReader::open(SqliteStorage::open(&db, false).unwrap())
            .unwrap()
            .latest()
            .unwrap()
            .size;
        let acked_to = acks
            .iter()
            .map(|(_, last)| last + 1)
            .max()
            .unwrap_or(size_before);
        assert!(
            size_after >= acked_to,
            "round {round} (seed {seed}): acknowledged up to {acked_to}, log holds {size_after}"
        );
        assert!(size_after - size_before <= LINES, "more entries than lines");
        for (first, last) in &acks {
            assert!(*first >= size_before && *last < size_after);
        }
        // Acknowledged or not, whatever is stored is the file's lines, in order.
        check_entries(&db, size_before, size_before, size_after);
        if last {
            assert!(
                status.success(),
                "round {round} (seed {seed}): the append was not killed, yet it failed ({status}): {}",
                std::fs::read_to_string(t.path().join("stderr.txt")).unwrap_or_default()
            );
            assert_eq!(size_after - size_before, LINES);
        }
    }
    eprintln!("{killed_mid_run} of {rounds} runs were killed before finishing");
    assert!(
        killed_mid_run * 4 >= rounds,
        "too few runs were killed mid-way ({killed_mid_run} of {rounds})"
    );
}
