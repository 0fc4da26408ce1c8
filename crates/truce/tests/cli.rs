//! CLI tests through the real `truce` binary: help texts and outputs as snapshots, the offline
//! proof round trip, and every kind of bad input with its message and exit code.

mod common;
use common::{fails, stdout, truce};

use std::path::Path;

fn filters() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"— (\S+) [A-Za-z0-9+/=]+", "— $1 [SIGNATURE]");
    s.add_filter(r"[A-Za-z0-9+/]{43}=", "[HASH]");
    s
}

fn write_lines(path: &Path, n: u64) {
    let text: String = (0..n).map(|i| format!("{{\"report\":{i}}}\n")).collect();
    std::fs::write(path, text).unwrap();
}

#[test]
fn help_teaches() {
    let t = tempfile::tempdir().unwrap();
    insta::assert_snapshot!("help", stdout(truce(t.path()).arg("--help")));
    insta::assert_snapshot!("log_help", stdout(truce(t.path()).args(["log", "--help"])));
    insta::assert_snapshot!(
        "append_help",
        stdout(truce(t.path()).args(["log", "append", "--help"]))
    );
}

#[test]
fn end_to_end_append_prove_verify_offline() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let vkey = stdout(truce(p).args(["init", "--origin", "truce.example/test"]));
    assert!(vkey.starts_with("truce.example/test+"));
    write_lines(&p.join("a.jsonl"), 700);
    let _s = filters().bind_to_scope();
    insta::assert_snapshot!(
        "append",
        stdout(truce(p).args(["log", "append", "a.jsonl", "--batch", "256"]))
    );
    insta::assert_snapshot!("checkpoint", stdout(truce(p).args(["log", "checkpoint"])));
    insta::assert_snapshot!(
        "checkpoint_json",
        stdout(truce(p).args(["log", "checkpoint", "--json"]))
    );
    insta::assert_snapshot!("check", stdout(truce(p).args(["log", "check"])));

    // A proof for an older checkpoint, verified with nothing but the files.
    stdout(truce(p).args([
        "log",
        "prove",
        "301",
        "--size",
        "513",
        "--out",
        "p.tlog-proof",
    ]));
    stdout(truce(p).args(["log", "entry", "301", "--out", "e.bin"]));
    assert_eq!(std::fs::read(p.join("e.bin")).unwrap(), b"{\"report\":300}");
    let elsewhere = tempfile::tempdir().unwrap();
    for f in ["p.tlog-proof", "e.bin"] {
        std::fs::copy(p.join(f), elsewhere.path().join(f)).unwrap();
    }
    std::fs::copy(
        p.join("truce-data/log.vkey"),
        elsewhere.path().join("log.vkey"),
    )
    .unwrap();
    let ok = stdout(truce(elsewhere.path()).args([
        "verify-proof",
        "p.tlog-proof",
        "--entry",
        "e.bin",
        "--vkey",
        "log.vkey",
    ]));
    assert_eq!(
        ok,
        "ok: the entry is at index 301 of truce.example/test (checkpoint size 513)\n"
    );
    let proof = std::fs::read_to_string(p.join("p.tlog-proof")).unwrap();
    insta::assert_snapshot!("proof", proof);

    // Tampered entry, tampered proof hash, wrong key: exit 1 or 2 with the reason.
    std::fs::write(elsewhere.path().join("e.bin"), b"{\"report\":301}").unwrap();
    let err = fails(
        truce(elsewhere.path()).args([
            "verify-proof",
            "p.tlog-proof",
            "--entry",
            "e.bin",
            "--vkey",
            "log.vkey",
        ]),
        1,
    );
    assert!(err.contains("does not lead to the root"), "{err}");
    std::fs::copy(p.join("e.bin"), elsewhere.path().join("e.bin")).unwrap();
    let mut lines: Vec<String> = proof.lines().map(String::from).collect();
    lines[2] = lines[2]
        .replacen(|c: char| c.is_ascii_alphabetic(), "A", 1)
        .replacen('A', "B", 1);
    std::fs::write(
        elsewhere.path().join("bad.tlog-proof"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    let err = fails(
        truce(elsewhere.path()).args([
            "verify-proof",
            "bad.tlog-proof",
            "--entry",
            "e.bin",
            "--vkey",
            "log.vkey",
        ]),
        1,
    );
    assert!(err.contains("does not"), "{err}");
    stdout(truce(p).args([
        "key",
        "generate",
        "truce.example/test",
        "--out",
        elsewhere.path().to_str().unwrap(),
    ]));
    let err = fails(
        truce(elsewhere.path()).args([
            "verify-proof",
            "p.tlog-proof",
            "--entry",
            "e.bin",
            "--vkey",
            "truce.example_test.vkey",
        ]),
        1,
    );
    assert!(err.contains("no signature by the log key"), "{err}");

    // Consistency between two sizes, as JSON.
    let c: serde_json::Value = serde_json::from_str(&stdout(truce(p).args([
        "log",
        "consistency",
        "256",
        "700",
        "--json",
    ])))
    .unwrap();
    assert_eq!(c["old"], 256);
    assert!(!c["hashes"].as_array().unwrap().is_empty());

    // Export a static mirror at C2SP paths.
    let ex = stdout(truce(p).args(["log", "export-tiles", "mirror", "--json"]));
    assert!(ex.contains("\"bundles\":3"), "{ex}");
    assert!(p.join("mirror/tile/entries/002.p/189").is_file());
    assert!(p.join("mirror/tile/0/002.p/189").is_file());
    assert!(p.join("mirror/tile/1/000.p/2").is_file());
}

fn size_of(p: &Path) -> u64 {
    let v: serde_json::Value =
        serde_json::from_str(&stdout(truce(p).args(["log", "checkpoint", "--json"]))).unwrap();
    v["size"].as_u64().unwrap()
}

#[test]
fn bad_input_is_refused_clearly_and_nothing_is_half_written() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();

    // Missing data directory.
    let err = fails(truce(p).args(["log", "checkpoint"]), 3);
    assert!(
        err.contains("no Truce data directory at truce-data") && err.contains("truce init"),
        "{err}"
    );
    // Bad origin.
    let err = fails(truce(p).args(["init", "--origin", "https://x.example"]), 2);
    assert!(err.contains("schema-less"), "{err}");

    stdout(truce(p).args(["init", "--origin", "truce.example/test"]));
    let err = fails(truce(p).args(["init", "--origin", "truce.example/test"]), 3);
    assert!(err.contains("already exists"), "{err}");
    write_lines(&p.join("ok.jsonl"), 10);
    stdout(truce(p).args(["log", "append", "ok.jsonl"]));

    // An oversized entry on line 3 of the second file: nothing of either file is appended.
    let mut big = String::from("{\"a\":1}\n{\"b\":2}\n");
    big.push_str(&"x".repeat(70_000));
    big.push('\n');
    std::fs::write(p.join("big.jsonl"), big).unwrap();
    let err = fails(truce(p).args(["log", "append", "ok.jsonl", "big.jsonl"]), 2);
    assert!(
        err.contains("big.jsonl:3: entry of 70000 bytes exceeds the 65,535-byte limit"),
        "{err}"
    );
    assert_eq!(size_of(p), 11, "genesis + 10 lines");

    // Empty file; blank line; missing file.
    std::fs::write(p.join("empty.jsonl"), "").unwrap();
    let err = fails(truce(p).args(["log", "append", "empty.jsonl"]), 2);
    assert!(err.contains("empty.jsonl: the file is empty"), "{err}");
    std::fs::write(p.join("blank.jsonl"), "a\n\nb\n").unwrap();
    let err = fails(truce(p).args(["log", "append", "blank.jsonl"]), 2);
    assert!(err.contains("blank.jsonl:2: empty line"), "{err}");
    let err = fails(truce(p).args(["log", "append", "nope.jsonl"]), 2);
    assert!(err.contains("nope.jsonl"), "{err}");
    assert_eq!(size_of(p), 11, "genesis + 10 lines");

    // Out-of-range queries.
    let err = fails(truce(p).args(["log", "prove", "11"]), 2);
    assert!(
        err.contains("index 11 is not in a tree of size 11"),
        "{err}"
    );
    let err = fails(truce(p).args(["log", "prove", "1", "--size", "5"]), 2);
    assert!(err.contains("no checkpoint was signed at size 5"), "{err}");

    // A wrong signer key in the data directory: appends are refused, nothing written.
    let key = p.join("truce-data/log.key");
    let original = std::fs::read(&key).unwrap();
    let other = tempfile::tempdir().unwrap();
    stdout(truce(p).args([
        "key",
        "generate",
        "truce.example/test",
        "--out",
        other.path().to_str().unwrap(),
    ]));
    std::fs::copy(other.path().join("truce.example_test.key"), &key).unwrap();
    let err = fails(truce(p).args(["log", "append", "ok.jsonl"]), 3);
    assert!(
        err.contains("wrong key") && err.contains("not this log's key"),
        "{err}"
    );
    std::fs::write(&key, &original).unwrap();
    assert_eq!(size_of(p), 11, "genesis + 10 lines");

    // Key files are created owner-only and never overwritten.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let err = fails(
        truce(p).args([
            "key",
            "generate",
            "truce.example/test",
            "--out",
            other.path().to_str().unwrap(),
        ]),
        2,
    );
    assert!(err.contains("refusing to overwrite"), "{err}");

    // A corrupted database file.
    let db = p.join("truce-data/truce.db");
    std::fs::write(&db, vec![0x55u8; 4096 * 4]).unwrap();
    let err = fails(truce(p).args(["log", "checkpoint"]), 3);
    assert!(err.contains("not a SQLite database"), "{err}");
}

#[test]
fn a_hash_flipped_on_disk_is_found_and_named() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args(["init", "--origin", "truce.example/test"]));
    write_lines(&p.join("a.jsonl"), 1000);
    stdout(truce(p).args(["log", "append", "a.jsonl"]));
    // Find entry 517's leaf hash in the raw database file and flip one bit of it, in every place
    // it appears (SQLite may leave stale copies in a page's free space after a b-tree split).
    let leaf = truce_log::record_hash(b"{\"report\":517}").0;
    let db = p.join("truce-data/truce.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let places: Vec<usize> = bytes
        .windows(32)
        .enumerate()
        .filter(|(_, w)| *w == leaf)
        .map(|(i, _)| i)
        .collect();
    assert!(!places.is_empty(), "leaf hash stored in the file");
    for at in places {
        bytes[at + 9] ^= 0x04;
    }
    std::fs::write(&db, bytes).unwrap();
    let err = fails(truce(p).args(["log", "check"]), 1);
    assert!(
        err.contains(
            "entry 518: its stored hash in tile/0/002 is not the hash of the stored entry"
        ),
        "{err}"
    );
    let out = truce(p).args(["log", "check", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
}

#[test]
fn an_entry_altered_on_disk_is_named_by_its_index() {
    // A small log (one partial tile): the altered entry changes the root of every checkpoint
    // after it, but the check names the entry, not the first checkpoint whose root differs.
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args(["init", "--origin", "truce.example/test"]));
    write_lines(&p.join("a.jsonl"), 10);
    stdout(truce(p).args(["log", "append", "a.jsonl"]));
    let db = p.join("truce-data/truce.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let (old, new) = (b"{\"report\":4}", b"{\"report\":X}");
    let places: Vec<usize> = bytes
        .windows(old.len())
        .enumerate()
        .filter(|(_, w)| *w == old)
        .map(|(i, _)| i)
        .collect();
    assert!(!places.is_empty(), "entry stored in the file");
    for at in places {
        bytes[at..at + new.len()].copy_from_slice(new);
    }
    std::fs::write(&db, bytes).unwrap();
    let err = fails(truce(p).args(["log", "check"]), 1);
    // Entry 0 is the operator's registration: line 5 of the file is entry 5.
    assert!(
        err.contains(
            "entry 5: its stored hash in tile/0/000.p/11 is not the hash of the stored entry"
        ),
        "{err}"
    );
    assert!(!err.contains("checkpoint of size"), "{err}");
}
