//! Golden outputs: the demo's findings and compliance, as `truce publish findings` publishes
//! them, committed under
//! `tests/golden/<scenario>/<rules version>/`. They change only with an explicit
//! `UPDATE_GOLDEN=1 cargo test -p truce --test golden`, and only together with a new
//! `RULES_VERSION` or a changed scenario: the test fails if the outputs differ while the rules
//! version and the scenario (its files' SHA-256, recorded in `scenario.sha256`) are the same.

mod common;
use common::{stdout, truce};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const SCENARIO: &str = "energy-moratorium-2025";

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../scenarios/{SCENARIO}"))
}

/// SHA-256 over the scenario's input files (sorted relative paths and contents; the Markdown
/// notes, which feed nothing, are left out).
fn scenario_digest(dir: &Path) -> String {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|e| e != "md") {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    let mut h = Sha256::new();
    for (name, bytes) in files {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn pretty(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

#[test]
fn the_demo_findings_and_compliance_match_the_golden_files() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let sdir = scenario_dir();
    stdout(truce(p).args([
        "-q",
        "demo",
        "--no-serve",
        "--scenario",
        sdir.to_str().unwrap(),
        "--dir",
        "d",
    ]));
    // The documents `truce publish findings` publishes (the items of `truce --json findings`,
    // the compliance tables of `truce --json compliance`, whole).
    stdout(truce(p).args(["-q", "--dir", "d", "publish", "findings", "--out", "pub"]));
    let published = |name: &str| std::fs::read_to_string(p.join("pub").join(name)).unwrap();
    let outputs = [
        ("findings.json", pretty(&published("findings.json"))),
        ("compliance.json", pretty(&published("compliance.json"))),
    ];
    let rules = truce_engine::RULES_VERSION.replace('/', "-");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(SCENARIO)
        .join(&rules);
    let digest = scenario_digest(&sdir);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(&golden).unwrap();
        for (name, text) in &outputs {
            std::fs::write(golden.join(name), text).unwrap();
        }
        std::fs::write(golden.join("scenario.sha256"), format!("{digest}\n")).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(golden.join("scenario.sha256")).unwrap_or_else(|_| {
        panic!(
            "no golden files for rules {} in {}: record them with UPDATE_GOLDEN=1 cargo test -p truce --test golden, and review the diff",
            truce_engine::RULES_VERSION,
            golden.display()
        )
    });
    for (name, text) in &outputs {
        let want = std::fs::read_to_string(golden.join(name)).unwrap_or_default();
        if &want != text {
            let why = if recorded.trim() != digest {
                "the scenario changed since the golden files were recorded"
            } else {
                "the published output changed while neither RULES_VERSION nor the scenario did: bump RULES_VERSION in crates/truce-engine/src/types.rs for a rule change"
            };
            panic!(
                "{name} differs from {} ({why}); if intended, run UPDATE_GOLDEN=1 cargo test -p truce --test golden and commit the diff",
                golden.join(name).display()
            );
        }
    }
    assert_eq!(
        recorded.trim(),
        digest,
        "the scenario changed but its outputs did not: record the new scenario digest with UPDATE_GOLDEN=1"
    );
}
