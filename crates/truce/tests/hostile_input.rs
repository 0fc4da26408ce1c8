//! Unbounded input, generated in the test (too big to commit): a gzip file holding one 1 GiB line
//! is refused quickly with its line and the limit, in little memory (the child's peak resident
//! size from `wait4`); `/dev/zero` read as JSON Lines is refused; a GeoJSON gzip bomb of small
//! features is refused as one; a refused record is cut in the rejects file.
#![allow(unsafe_code)] // wait4(2) through libc, for the child's peak resident memory

mod common;
use common::{stdout, truce};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

fn setup(p: &Path) -> String {
    stdout(truce(p).args(["-q", "init", "--origin", "hostile.example/log"]));
    stdout(truce(p).args([
        "-q",
        "party",
        "add",
        "src",
        "--name",
        "src",
        "--role",
        "open-data",
    ]));
    p.join("truce-data/keys/src.key").display().to_string()
}

/// Runs the real binary; returns exit code, stderr and peak resident memory in MiB.
fn run(p: &Path, args: &[&str]) -> (i32, String, u64) {
    // Reaped by wait4 below (which also gives its resource usage), not by `Child::wait`.
    #[allow(clippy::zombie_processes)]
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("truce"))
        .current_dir(p)
        .env_remove("TRUCE_DIR")
        .env("NO_COLOR", "1")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    let err = reader.join().unwrap();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, err, usage.ru_maxrss as u64 / 1024)
}

#[test]
fn a_gzip_of_one_gibibyte_line_is_refused_quickly_in_little_memory() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let key = setup(p);
    // Generated streaming: 1 GiB of one line, about 1 MB compressed.
    let gz = p.join("line.jsonl.gz");
    let mut w = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    w.write_all(b"{\"id\":\"").unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..1024 {
        w.write_all(&chunk).unwrap();
    }
    w.write_all(b"\"}\n").unwrap();
    w.finish().unwrap();
    let rejects = p.join("rejects.csv");
    let start = Instant::now();
    let (code, err, peak_mib) = run(
        p,
        &[
            "ingest",
            "line.jsonl.gz",
            "--format",
            "jsonl",
            "--as",
            "src",
            "--key",
            &key,
            "--rejects",
            &rejects.display().to_string(),
        ],
    );
    let took = start.elapsed();
    eprintln!("1 GiB line: refused in {took:?}, peak {peak_mib} MiB");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line.jsonl.gz:1: line 1 is longer than 1048576 bytes"),
        "{err}"
    );
    assert!(peak_mib < 200, "peak resident memory {peak_mib} MiB");
    assert!(took.as_secs() < 30, "{took:?}");
    let rejects_len = std::fs::metadata(&rejects).map(|m| m.len()).unwrap_or(0);
    assert!(rejects_len < 10_000, "rejects file {rejects_len} bytes");
}

#[test]
fn dev_zero_as_json_lines_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let key = setup(p);
    let (code, err, peak_mib) = run(
        p,
        &[
            "ingest",
            "/dev/zero",
            "--format",
            "jsonl",
            "--as",
            "src",
            "--key",
            &key,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/dev/zero:1: line 1 is longer than 1048576 bytes"),
        "{err}"
    );
    assert!(peak_mib < 200, "peak resident memory {peak_mib} MiB");
}

#[test]
fn a_geojson_gzip_bomb_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let key = setup(p);
    // 400 features, each padded with 1 MB of whitespace: 400 MB in about 400 KB.
    let gz = p.join("bomb.geojson.gz");
    let mut w = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::best(),
    );
    w.write_all(br#"{"type":"FeatureCollection","features":["#)
        .unwrap();
    let pad = vec![b' '; 1_000_000];
    for i in 0..400 {
        if i > 0 {
            w.write_all(b",").unwrap();
        }
        write!(w, r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[30.5,50.4]}},"properties":{{"id":"r{i}","start":"2025-03-20T00:00:00Z","act":"shelling"}}"#).unwrap();
        w.write_all(&pad).unwrap();
        w.write_all(b"}").unwrap();
    }
    w.write_all(b"]}").unwrap();
    w.finish().unwrap();
    let (code, err, peak_mib) = run(
        p,
        &[
            "ingest",
            "bomb.geojson.gz",
            "--format",
            "geojson",
            "--as",
            "src",
            "--key",
            &key,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("refused as a possible decompression bomb") && err.contains("expands"),
        "{err}"
    );
    assert!(peak_mib < 300, "peak resident memory {peak_mib} MiB");
    // An explicit absolute cap is said as such.
    let (code, err, _) = run(
        p,
        &[
            "ingest",
            "bomb.geojson.gz",
            "--format",
            "geojson",
            "--as",
            "src",
            "--key",
            &key,
            "--max-decompressed-bytes",
            "5000000",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("decompresses to more than 5000000 bytes"),
        "{err}"
    );
}

#[test]
fn the_rejects_file_holds_a_bounded_prefix_of_a_refused_record() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let key = setup(p);
    // A JSON Lines record of 500 KB (under the limit) that is not a report.
    let mut text = String::from("{\"junk\":\"");
    text.push_str(&"y".repeat(500_000));
    text.push_str("\"}\n");
    std::fs::write(p.join("big.jsonl"), text).unwrap();
    let (code, err, _) = run(
        p,
        &[
            "ingest",
            "big.jsonl",
            "--format",
            "jsonl",
            "--as",
            "src",
            "--key",
            &key,
            "--rejects",
            "rejects.csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rejects = std::fs::read_to_string(p.join("rejects.csv")).unwrap();
    assert!(rejects.len() < 5_000, "{} bytes", rejects.len());
    assert!(rejects.contains("[cut: 500011 bytes in all]"), "{rejects}");
}
