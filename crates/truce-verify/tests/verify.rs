//! `truce_verify::verify` over real logs: signed domain entries from the demo scenario's authoring
//! files plus enough raw entries for three tile levels, sequenced by `truce-store`, exported as a
//! static mirror with published findings and compliance. An untouched mirror verifies; every kind
//! of tampering is named by its place.

mod common;
use common::log_key;
use std::path::Path;
use truce_engine::{Params, Snapshot};
use truce_log::cosignature::Cosigner;
use truce_log::KeyPair;
use truce_model::domain::Role;
use truce_model::Ledger;
use truce_store::export::export_tiles;
use truce_store::memory::MemStorage;
use truce_store::Sequencer;
use truce_verify::{verify, DirSource, Options, Report, Status, Trust};

const ORIGIN: &str = "verify.test.example/log";

/// Signed domain entries: the operator, the parties, and a part of the demo scenario (process,
/// readings, a site list, reports) whose judgement yields findings.
fn domain_entries() -> Vec<Vec<u8>> {
    common::scenario_entries(
        &[
            ("us", Role::Mediator),
            ("ru", Role::Belligerent),
            ("ua", Role::Belligerent),
            ("firms", Role::OpenData),
        ],
        &[
            ("process.toml", "us"),
            ("readings/us.toml", "us"),
            ("sites/ukraine-approximate.toml", "ua"),
            ("reports/firms-2025-03-19.toml", "firms"),
            ("reports/ua-2025-03-19.toml", "ua"),
            ("reports/ru-2025-03-19.toml", "ru"),
            ("readings/ru.toml", "ru"),
            ("readings/ua.toml", "ua"),
            ("reports/ua-2025-03-27.toml", "ua"),
            ("reports/ua-2025-04-04.toml", "ua"),
        ],
    )
}

/// Domain entries, then `raw` opaque entries.
fn entries(raw: u64) -> Vec<Vec<u8>> {
    let mut e = domain_entries();
    e.extend((0..raw).map(|i| format!("raw entry {i}").into_bytes()));
    e
}

/// Sequences `entries` into a fresh log (in batches), exports it to `dir` with findings.json and
/// compliance.json as the service publishes them.
fn build(entries: &[Vec<u8>], dir: &Path) {
    let k = log_key(ORIGIN);
    let mut seq = Sequencer::create(MemStorage::new(), ORIGIN, &k.signer).unwrap();
    for chunk in entries.chunks(5000) {
        let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        seq.append(&refs).unwrap();
    }
    let _ = std::fs::remove_dir_all(dir);
    export_tiles(seq.reader().storage(), dir, |_, _| {}).unwrap();
    let mut ledger = Ledger::new();
    for (i, e) in entries.iter().enumerate() {
        ledger.apply(i as u64, e);
    }
    let size = entries.len() as u64;
    let j = truce_engine::judge(&Snapshot::from_ledger(ledger, size), &Params::default());
    let items: Vec<String> = j
        .findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect();
    let findings = format!(
        "{{\"items\":[{}],\"total\":{n},\"limit\":{n},\"offset\":0,\"log_size\":{size}}}",
        items.join(","),
        n = items.len()
    );
    std::fs::write(dir.join("findings.json"), findings).unwrap();
    let c = truce_engine::compliance(&j.findings);
    let doc = serde_json::json!({
        "items": c.rows, "total": c.rows.len(), "limit": c.rows.len(), "offset": 0,
        "log_size": size, "totals": c.totals, "differences": c.differences,
    });
    std::fs::write(dir.join("compliance.json"), doc.to_string()).unwrap();
}

fn opts(state: Option<&Path>) -> Options<'static> {
    Options {
        trust: Trust::LogKey(log_key(ORIGIN).verifier),
        state: state.map(Path::to_path_buf),
        replay: true,
        progress: None,
    }
}

fn run(dir: &Path, o: &Options<'_>) -> Report {
    verify(&DirSource::new(dir), o).unwrap()
}

fn status(r: &Report, name: &str) -> Status {
    r.check(name).unwrap().status
}

fn message(r: &Report, name: &str) -> String {
    let c = r.check(name).unwrap();
    format!("{} | {}", c.message, c.details.join(" | "))
}

fn flip(path: &Path, at_end: usize) {
    let mut d = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let i = d.len() - 1 - at_end;
    d[i] ^= 0x01;
    std::fs::write(path, d).unwrap();
}

/// 65,536 + 300 raw entries: full and partial tiles at levels 0 and 1, a partial one at level 2.
fn big() -> (tempfile::TempDir, u64) {
    let t = tempfile::tempdir().unwrap();
    let e = entries(65_536 + 300);
    build(&e, &t.path().join("m"));
    (t, e.len() as u64)
}

#[test]
fn an_untouched_log_verifies_and_is_then_trusted() {
    let t = tempfile::tempdir().unwrap();
    let m = t.path().join("m");
    build(&entries(600), &m);
    let state = t.path().join("state.json");
    let r = run(&m, &opts(Some(&state)));
    assert!(r.ok, "{}", r.to_text());
    for name in [
        "checkpoint",
        "tree",
        "consistency",
        "signatures",
        "findings",
        "compliance",
    ] {
        assert_eq!(status(&r, name), Status::Ok, "{}", r.to_text());
    }
    assert!(r.state_updated);
    assert!(
        message(&r, "findings").contains("findings published"),
        "{}",
        r.to_text()
    );
    // Findings exist (the test would prove little otherwise).
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(m.join("findings.json")).unwrap()).unwrap();
    assert!(doc["total"].as_u64().unwrap() > 0);
    // Again: the same checkpoint as trusted.
    let r = run(&m, &opts(Some(&state)));
    assert!(r.ok, "{}", r.to_text());
    assert!(message(&r, "consistency").contains("same checkpoint"));
    // The JSON report.
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["checks"][0]["status"], "ok");
    // Without replay the derived checks are skipped.
    let mut o = opts(None);
    o.replay = false;
    let r = run(&m, &o);
    assert!(r.ok);
    assert_eq!(status(&r, "findings"), Status::Skipped);
    assert_eq!(status(&r, "consistency"), Status::Skipped);
}

#[test]
fn a_flipped_byte_in_any_tile_or_bundle_or_the_checkpoint_is_named() {
    let (t, size) = big();
    let m = t.path().join("m");
    assert!(run(&m, &opts(None)).ok);
    let last = size / 256;
    let w = size % 256;
    let cases = [
        ("tile/0/000".to_string(), Some("entry 255".to_string())),
        (
            format!("tile/0/{last:03}.p/{w}"),
            Some(format!("entry {}", size - 1)),
        ),
        ("tile/1/000".to_string(), None),
        ("tile/1/001.p/1".to_string(), None),
        ("tile/2/000.p/1".to_string(), None),
        (
            "tile/entries/003".to_string(),
            Some("entry 1023".to_string()),
        ),
        (
            format!("tile/entries/{last:03}.p/{w}"),
            Some(format!("entry {}", size - 1)),
        ),
    ];
    for (path, entry) in cases {
        let file = m.join(&path);
        flip(&file, 0);
        let r = run(&m, &opts(None));
        assert!(!r.ok, "{path}: {}", r.to_text());
        assert_eq!(status(&r, "tree"), Status::Failed, "{path}");
        let msg = message(&r, "tree");
        let first = &r.check("tree").unwrap().message;
        assert!(first.contains(&path), "{path}: {msg}");
        if let Some(e) = entry {
            assert!(first.contains(&e), "{path}: {msg}");
        }
        assert_eq!(status(&r, "signatures"), Status::Skipped);
        flip(&file, 0);
    }
    // The checkpoint: its signature fails, nothing else is trusted.
    flip(&m.join("checkpoint"), 120);
    let r = run(&m, &opts(None));
    assert_eq!(status(&r, "checkpoint"), Status::Failed, "{}", r.to_text());
    assert_eq!(status(&r, "tree"), Status::Skipped);
}

#[test]
fn missing_tiles_and_short_bundles_are_named() {
    let t = tempfile::tempdir().unwrap();
    let m = t.path().join("m");
    let e = entries(600);
    build(&e, &m);
    std::fs::remove_file(m.join("tile/0/001")).unwrap();
    let r = run(&m, &opts(None));
    assert!(
        message(&r, "tree").contains("tile/0/001: missing"),
        "{}",
        r.to_text()
    );
    build(&e, &m);
    std::fs::remove_file(m.join("tile/entries/001")).unwrap();
    let r = run(&m, &opts(None));
    assert!(
        message(&r, "tree").contains("tile/entries/001: missing"),
        "{}",
        r.to_text()
    );
    // A bundle with one entry fewer (re-encoded, so it decodes).
    build(&e, &m);
    let p = m.join("tile/entries/000");
    let d = std::fs::read(&p).unwrap();
    let entries = truce_log::decode_bundle(&d).unwrap();
    let mut b = Vec::new();
    for x in &entries[1..] {
        truce_log::encode_bundle_into(&mut b, x).unwrap();
    }
    std::fs::write(&p, b).unwrap();
    let r = run(&m, &opts(None));
    let msg = message(&r, "tree");
    assert!(msg.contains("tile/entries/000: holds 255 entries"), "{msg}");
}

#[test]
fn dropped_or_reordered_entries_in_a_resigned_log_are_a_fork_and_a_smaller_one_a_rollback() {
    let t = tempfile::tempdir().unwrap();
    let m = t.path().join("m");
    let state = t.path().join("state.json");
    let e = entries(700);
    build(&e, &m);
    assert!(run(&m, &opts(Some(&state))).ok);
    let trusted = e.len() as u64;

    // One entry dropped, and more appended: the tree verifies, but it does not contain the
    // trusted one.
    let mut dropped = e.clone();
    dropped.remove(300);
    dropped.extend((0..50).map(|i| format!("later {i}").into_bytes()));
    build(&dropped, &m);
    let r = run(&m, &opts(Some(&state)));
    assert_eq!(status(&r, "tree"), Status::Ok, "{}", r.to_text());
    assert_eq!(status(&r, "consistency"), Status::Failed);
    let msg = message(&r, "consistency");
    assert!(
        msg.contains(&format!(
            "fork: not consistent with the checkpoint of size {trusted} trusted on"
        )),
        "{msg}"
    );
    assert!(!r.state_updated);

    // Two entries swapped: same size, another root.
    let mut swapped = e.clone();
    swapped.swap(400, 401);
    build(&swapped, &m);
    let r = run(&m, &opts(Some(&state)));
    assert_eq!(status(&r, "tree"), Status::Ok);
    let msg = message(&r, "consistency");
    assert!(
        msg.contains(&format!("fork: size {trusted} has root")),
        "{msg}"
    );

    // Fewer entries: a rollback.
    build(&e[..500], &m);
    let r = run(&m, &opts(Some(&state)));
    let msg = message(&r, "consistency");
    assert!(
        msg.contains(&format!(
            "rollback: the log is at size 500 but size {trusted} was trusted"
        )),
        "{msg}"
    );

    // The honest log, grown: consistent, and trusted from now on.
    let mut grown = e.clone();
    grown.extend((0..300).map(|i| format!("grown {i}").into_bytes()));
    build(&grown, &m);
    let r = run(&m, &opts(Some(&state)));
    assert!(r.ok, "{}", r.to_text());
    assert!(message(&r, "consistency").contains(&format!("size {trusted}")));
    assert!(r.state_updated);
}

#[test]
fn a_tampered_signature_in_a_resigned_log_names_the_entry() {
    let t = tempfile::tempdir().unwrap();
    let m = t.path().join("m");
    let mut e = entries(10);
    // Entry 12: change one character of its signature (still base64, still canonical JSON).
    let s = String::from_utf8(e[12].clone()).unwrap();
    let at = s.find("\"sig\":\"").unwrap() + 10;
    let mut b = s.into_bytes();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    e[12] = b;
    build(&e, &m);
    let r = run(&m, &opts(None));
    assert_eq!(status(&r, "tree"), Status::Ok);
    assert_eq!(status(&r, "signatures"), Status::Failed, "{}", r.to_text());
    let c = r.check("signatures").unwrap();
    assert!(c.message.contains("entry 12:"), "{}", c.message);
    assert!(
        c.message.contains("signature does not verify"),
        "{}",
        c.message
    );
}

fn policy(log: &KeyPair, witnesses: &[&Cosigner], quorum: &str) -> Trust {
    let mut text = format!("log {}\n", log.verifier);
    for w in witnesses {
        text.push_str(&format!("witness {} {}\n", w.name(), w.vkey()));
    }
    let names: Vec<&str> = witnesses.iter().map(|w| w.name()).collect();
    text.push_str(&format!("group g {quorum} {}\nquorum g\n", names.join(" ")));
    Trust::Policy(truce_log::policy::Policy::parse(&text).unwrap())
}

#[test]
fn the_quorum_of_a_policy_is_enforced_and_unknown_cosignatures_are_ignored() {
    let t = tempfile::tempdir().unwrap();
    let m = t.path().join("m");
    build(&entries(10), &m);
    let w1 = Cosigner::generate(&mut rand_core::OsRng, "w1.example").unwrap();
    let w2 = Cosigner::generate(&mut rand_core::OsRng, "w2.example").unwrap();
    let stranger = Cosigner::generate(&mut rand_core::OsRng, "stranger.example").unwrap();
    let trust = || policy(&log_key(ORIGIN), &[&w1, &w2], "all");
    let with = |trust: Trust| Options {
        trust,
        state: None,
        replay: false,
        progress: None,
    };
    let note = std::fs::read(m.join("checkpoint")).unwrap();

    // Only w1 cosigned: w2 is named as missing.
    let one = w1.cosign_note(&note, 1_700_000_000).unwrap();
    std::fs::write(m.join("checkpoint"), &one).unwrap();
    let r = run(&m, &with(trust()));
    assert_eq!(status(&r, "checkpoint"), Status::Failed);
    let msg = message(&r, "checkpoint");
    assert!(msg.contains("quorum not met"), "{msg}");
    assert!(msg.contains("only from w1.example"), "{msg}");
    assert!(
        msg.contains("no valid cosignature from w2.example"),
        "{msg}"
    );
    // The rest still runs: the log signature verified.
    assert_eq!(status(&r, "tree"), Status::Ok);

    // Both, plus a stranger's cosignature: ignored.
    let all = stranger
        .cosign_note(&w2.cosign_note(&one, 1_700_000_001).unwrap(), 1_700_000_002)
        .unwrap();
    std::fs::write(m.join("checkpoint"), &all).unwrap();
    let r = run(&m, &with(trust()));
    assert!(r.ok, "{}", r.to_text());
    assert!(message(&r, "checkpoint").contains("w1.example, w2.example"));

    // An invalid cosignature by w2 (signed over another timestamp than it states) does not count.
    let text = String::from_utf8(all.clone()).unwrap();
    let w2line = text
        .lines()
        .find(|l| l.starts_with("— w2.example "))
        .unwrap()
        .to_string();
    let mut sig = w2line.rsplit(' ').next().unwrap().to_string().into_bytes();
    // Flip a byte inside the signature part of the base64 (after the key id and timestamp).
    let i = sig.len() - 10;
    sig[i] = if sig[i] == b'A' { b'B' } else { b'A' };
    let bad_line = format!(
        "{} {}",
        w2line.rsplit_once(' ').unwrap().0,
        String::from_utf8(sig).unwrap()
    );
    std::fs::write(m.join("checkpoint"), text.replace(&w2line, &bad_line)).unwrap();
    let r = run(&m, &with(trust()));
    assert_eq!(status(&r, "checkpoint"), Status::Failed, "{}", r.to_text());
    assert!(message(&r, "checkpoint").contains("no valid cosignature from w2.example"));
    // 1 of 2 is enough for an `any` group.
    let r = run(&m, &with(policy(&log_key(ORIGIN), &[&w1, &w2], "any")));
    assert!(r.ok, "{}", r.to_text());
}

#[test]
fn altered_published_findings_name_the_incident() {
    let t = tempfile::tempdir().unwrap();
    let m = t.path().join("m");
    build(&entries(10), &m);
    let p = m.join("findings.json");
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    let item = &mut doc["items"][0];
    let incident = item["incident"].as_str().unwrap().to_string();
    let was = item["outcome"].as_str().unwrap().to_string();
    item["outcome"] = if was == "breach" {
        "no_breach".into()
    } else {
        "breach".into()
    };
    std::fs::write(&p, doc.to_string()).unwrap();
    let r = run(&m, &opts(None));
    assert_eq!(status(&r, "findings"), Status::Failed, "{}", r.to_text());
    let c = r.check("findings").unwrap();
    assert!(c.message.contains(&incident), "{}", c.message);
    assert!(c.message.contains("outcome"), "{}", c.message);
    assert_eq!(status(&r, "compliance"), Status::Ok);
    // A finding removed: named as missing.
    doc["items"].as_array_mut().unwrap().remove(0);
    doc["total"] = (doc["items"].as_array().unwrap().len()).into();
    std::fs::write(&p, doc.to_string()).unwrap();
    let r = run(&m, &opts(None));
    assert!(r.check("findings").unwrap().message.contains("missing"));
}

#[test]
fn an_interrupted_tree_pass_resumes_from_the_state_file() {
    let (t, _) = big();
    let m = t.path().join("m");
    let state = t.path().join("state.json");
    // Interrupt: a missing bundle after the first 64-bundle save point.
    let hidden = m.join("tile/entries/100");
    std::fs::rename(&hidden, t.path().join("hidden")).unwrap();
    let r = run(&m, &opts(Some(&state)));
    assert!(message(&r, "tree").contains("tile/entries/100: missing"));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(s["progress"][ORIGIN]["bundles"], 64, "{s}");
    std::fs::rename(t.path().join("hidden"), &hidden).unwrap();
    // A level-0 tile of the verified prefix is no longer fetched...
    std::fs::rename(m.join("tile/0/010"), t.path().join("tile10")).unwrap();
    let r = run(&m, &opts(Some(&state)));
    std::fs::rename(t.path().join("tile10"), m.join("tile/0/010")).unwrap();
    assert!(r.ok, "{}", r.to_text());
    assert!(message(&r, "tree").contains("resumed"), "{}", r.to_text());
    // ...but an entry changed in it is still caught (progress is cleared once trusted, so
    // record it again by hand).
    let mut st: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert!(st["progress"].as_object().unwrap().is_empty());
    let size = st["logs"][ORIGIN]["size"].as_u64().unwrap();
    let root = st["logs"][ORIGIN]["root"].clone();
    st["logs"] = serde_json::json!({});
    // Rebuild the recorded edge by verifying afresh up to a break again.
    std::fs::write(&state, st.to_string()).unwrap();
    std::fs::rename(&hidden, t.path().join("hidden")).unwrap();
    run(&m, &opts(Some(&state)));
    std::fs::rename(t.path().join("hidden"), &hidden).unwrap();
    let st: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(st["progress"][ORIGIN]["size"], size);
    assert_eq!(st["progress"][ORIGIN]["root"], root);
    flip(&m.join("tile/entries/005"), 0);
    let r = run(&m, &opts(Some(&state)));
    assert_eq!(status(&r, "tree"), Status::Failed);
    assert!(
        message(&r, "tree").contains("hash differently"),
        "{}",
        r.to_text()
    );
}
