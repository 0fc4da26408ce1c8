//! `truce verify` and `truce verify-proof --policy` through the real binary: the demo exported as
//! a static mirror verifies (every check ok), a flipped tile byte or an altered finding is named
//! with exit 1, a running `truce serve` verifies including its findings and compliance, and a
//! proof whose checkpoint lacks the policy's quorum of cosignatures is refused.

mod common;
use common::{check, demo, fails, serve, stdout, truce, verify_json};
use serde_json::Value;

/// The demo in `t/d`, exported to `t/m`.
fn demo_mirror() -> tempfile::TempDir {
    let t = demo();
    stdout(truce(t.path()).args(["-q", "--dir", "d", "log", "export-tiles", "m"]));
    t
}

#[test]
fn the_exported_demo_verifies_and_a_flipped_tile_byte_is_named() {
    let t = demo_mirror();
    let p = t.path();
    let m = p.join("m");
    assert!(m.join("findings.json").exists() && m.join("compliance.json").exists());
    let doc: Value =
        serde_json::from_slice(&std::fs::read(m.join("findings.json")).unwrap()).unwrap();
    assert!(doc["total"].as_u64().unwrap() > 0);
    assert_eq!(doc["limit"], doc["total"]);

    let r = verify_json(p, "m", 0);
    assert_eq!(r["ok"], true, "{r}");
    for name in [
        "checkpoint",
        "tree",
        "consistency",
        "signatures",
        "findings",
        "compliance",
    ] {
        assert_eq!(check(&r, name)["status"], "ok", "{name}: {r}");
    }
    assert_eq!(r["state_updated"], true);

    // The text report: one line per check.
    let text = stdout(truce(p).args([
        "-q",
        "verify",
        "m",
        "--log-key",
        "d/log.vkey",
        "--state",
        "s.json",
    ]));
    assert!(text.contains("✓ tree"), "{text}");

    // A flipped byte in the level-0 tile.
    let size = r["size"].as_u64().unwrap();
    // The first level-0 tile: full once the log holds 256 entries.
    let tile = if size >= 256 {
        "tile/0/000".to_string()
    } else {
        format!("tile/0/000.p/{size}")
    };
    let path = m.join(&tile);
    let mut d = std::fs::read(&path).unwrap();
    d[40] ^= 1;
    std::fs::write(&path, &d).unwrap();
    let r = verify_json(p, "m", 1);
    assert_eq!(check(&r, "tree")["status"], "failed");
    let msg = check(&r, "tree")["message"].as_str().unwrap();
    assert!(msg.contains(&tile) && msg.contains("entry 1"), "{msg}");
    let err = fails(
        truce(p).args([
            "-q",
            "verify",
            "m",
            "--log-key",
            "d/log.vkey",
            "--state",
            "s.json",
        ]),
        1,
    );
    assert!(err.contains(&tile), "{err}");
    d[40] ^= 1;
    std::fs::write(&path, &d).unwrap();

    // An altered finding: named by its incident.
    let fpath = m.join("findings.json");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&fpath).unwrap()).unwrap();
    let incident = doc["items"][0]["incident"].as_str().unwrap().to_string();
    let was = doc["items"][0]["outcome"].as_str().unwrap().to_string();
    doc["items"][0]["outcome"] = if was == "breach" {
        "no_breach"
    } else {
        "breach"
    }
    .into();
    std::fs::write(&fpath, doc.to_string()).unwrap();
    let r = verify_json(p, "m", 1);
    let f = check(&r, "findings");
    assert_eq!(f["status"], "failed");
    assert!(f["message"].as_str().unwrap().contains(&incident), "{f}");
}

#[test]
fn bad_input_and_an_unreachable_source_have_their_exit_codes() {
    let t = demo_mirror();
    let p = t.path();
    fails(truce(p).args(["verify", "m", "--state", "s.json"]), 2);
    fails(truce(p).args(["verify", "m", "--log-key", "nope.vkey"]), 2);
    fails(
        truce(p).args([
            "verify",
            "nothing-here",
            "--log-key",
            "d/log.vkey",
            "--state",
            "s.json",
        ]),
        3,
    );
    fails(
        truce(p).args([
            "verify",
            "http://127.0.0.1:9",
            "--log-key",
            "d/log.vkey",
            "--state",
            "s.json",
        ]),
        3,
    );
}

#[test]
fn a_running_server_verifies_including_findings_and_compliance() {
    let t = demo_mirror();
    let p = t.path();
    let s = serve(&p.join("d"));
    let url = format!("http://{}", s.addr);
    let cache = p.join("cache");
    let o = truce(p)
        .args([
            "-q",
            "verify",
            &url,
            "--log-key",
            "d/log.vkey",
            "--state",
            "s.json",
            "--json",
            "--cache",
        ])
        .arg(&cache)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    assert!(
        o.status.success(),
        "{r} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    for name in [
        "checkpoint",
        "tree",
        "consistency",
        "signatures",
        "findings",
        "compliance",
    ] {
        assert_eq!(check(&r, name)["status"], "ok", "{name}: {r}");
    }
    assert!(check(&r, "findings")["details"][0]
        .as_str()
        .unwrap()
        .contains("/v1/findings"));
    // The mirror of the same log agrees with what the server was trusted at.
    let r = verify_json(p, "m", 0);
    assert!(check(&r, "consistency")["message"]
        .as_str()
        .unwrap()
        .contains("same checkpoint"));
}

#[test]
fn verify_proof_with_a_policy_needs_its_quorum() {
    use truce_log::cosignature::Cosigner;
    let t = demo_mirror();
    let p = t.path();
    stdout(truce(p).args(["-q", "--dir", "d", "log", "prove", "5", "--out", "e5.proof"]));
    stdout(truce(p).args(["-q", "--dir", "d", "log", "entry", "5", "--out", "e5.bin"]));
    let vkey = std::fs::read_to_string(p.join("d/log.vkey")).unwrap();
    let w1 = Cosigner::generate(&mut rand_core::OsRng, "w1.example").unwrap();
    let w2 = Cosigner::generate(&mut rand_core::OsRng, "w2.example").unwrap();
    std::fs::write(
        p.join("policy"),
        format!(
            "log {}\nwitness w1 {}\nwitness w2 {}\ngroup both all w1 w2\nquorum both\n",
            vkey.trim(),
            w1.vkey(),
            w2.vkey()
        ),
    )
    .unwrap();
    let proof = truce_log::TlogProof::parse(&std::fs::read(p.join("e5.proof")).unwrap()).unwrap();
    let mut one = proof.clone();
    one.checkpoint = w1.cosign_note(&proof.checkpoint, 1_700_000_000).unwrap();
    std::fs::write(p.join("one.proof"), one.encode()).unwrap();
    let mut both = one.clone();
    both.checkpoint = w2.cosign_note(&one.checkpoint, 1_700_000_001).unwrap();
    std::fs::write(p.join("both.proof"), both.encode()).unwrap();

    let ok = stdout(truce(p).args([
        "verify-proof",
        "both.proof",
        "--entry",
        "e5.bin",
        "--policy",
        "policy",
    ]));
    assert!(
        ok.contains("ok: the entry is at index 5") && ok.contains("w1, w2"),
        "{ok}"
    );
    let err = fails(
        truce(p).args([
            "verify-proof",
            "one.proof",
            "--entry",
            "e5.bin",
            "--policy",
            "policy",
        ]),
        1,
    );
    assert!(
        err.contains("quorum") && err.contains("missing: w2"),
        "{err}"
    );
    let err = fails(
        truce(p).args([
            "verify-proof",
            "e5.proof",
            "--entry",
            "e5.bin",
            "--policy",
            "policy",
        ]),
        1,
    );
    assert!(err.contains("missing: w1, w2"), "{err}");
    // --vkey still works, and one of the two is required.
    stdout(truce(p).args([
        "verify-proof",
        "one.proof",
        "--entry",
        "e5.bin",
        "--vkey",
        "d/log.vkey",
    ]));
    fails(
        truce(p).args(["verify-proof", "one.proof", "--entry", "e5.bin"]),
        2,
    );
}
