//! The `publications` check: publication entries in a real log (the demo scenario's findings
//! and a daily report), exported as a static mirror. Correct publications pass, also one that
//! trails its size by more than a bundle; one under other rules is "not recomputable"; a wrong
//! digest, a size beyond the entry's own index and a report whose checkpoint is not the log's
//! fail, each naming the publication entry's index.

mod common;
use common::{log_key, signed};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use truce_engine::{Params, Snapshot, RULES_VERSION};
use truce_log::{key_from_seed, parse_signer, SignedCheckpoint};
use truce_model::domain::{Publication, Role};
use truce_model::entry::Body;
use truce_model::{Ledger, Time};
use truce_report::{CheckpointInfo, DailyInput, Day};
use truce_store::export::export_tiles;
use truce_store::memory::MemStorage;
use truce_store::Sequencer;
use truce_verify::{verify, DirSource, Options, PublicationStatus, Report, Status, Trust};

const ORIGIN: &str = "publications.test.example/log";

/// The operator, a monitor, the parties and part of the demo scenario (readings, sites,
/// reports, a commitment) whose judgement yields findings.
fn domain_entries() -> Vec<Vec<u8>> {
    common::scenario_entries(
        &[
            ("osce", Role::Monitor),
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
        ],
    )
}

fn hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn document<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut b = serde_json::to_vec(v).unwrap();
    b.push(b'\n');
    b
}

/// What the log of `entries` publishes at its size, whose checkpoint is `cp`: the digests of
/// the findings and compliance, and of the daily report of `day`.
struct Published {
    findings: BTreeMap<String, String>,
    report: String,
}

fn published(entries: &[Vec<u8>], cp: &SignedCheckpoint, day: Day) -> Published {
    let mut ledger = Ledger::new();
    for (i, e) in entries.iter().enumerate() {
        ledger.apply(i as u64, e);
    }
    let commitments = truce_model::views::commitments(&ledger);
    let size = entries.len() as u64;
    // The changes to readings the report names: each version filed on the day, judged on the
    // log just before it and just after it.
    let judge_prefix = |n: usize| {
        let mut l = Ledger::new();
        for (i, e) in entries[..n].iter().enumerate() {
            l.apply(i as u64, e);
        }
        truce_engine::judge(&Snapshot::from_ledger(l, n as u64), &Params::default()).findings
    };
    let mut changes = Vec::new();
    for ((agreement, _), versions) in &ledger.reading_versions {
        for (k, v) in versions.iter().enumerate() {
            let t = v.time.0.as_second();
            if day.start() <= t && t < day.end() {
                let i = v.index as usize;
                let zone = ledger.agreement_zone(agreement).unwrap();
                changes.extend(truce_report::version_change(
                    agreement,
                    &zone,
                    versions,
                    k,
                    &judge_prefix(i),
                    &judge_prefix(i + 1),
                ));
            }
        }
    }
    assert!(!changes.is_empty(), "the day names us's first reading");
    let j = truce_engine::Judged::new(Snapshot::from_ledger(ledger, size), &Params::default());
    let c = truce_engine::compliance(&j.findings);
    let report = truce_report::daily_with_changes(
        &DailyInput {
            day,
            judgement: &j,
            compliance: &c,
            commitments: &commitments,
            checkpoint: CheckpointInfo {
                origin: cp.origin.clone(),
                size: cp.size,
                root: cp.root.to_string(),
                note: cp.note_text(),
            },
            rules: RULES_VERSION.to_string(),
        },
        &changes,
    );
    Published {
        findings: [
            ("findings".to_string(), hex(&document(&j.findings))),
            ("compliance".to_string(), hex(&document(&c))),
        ]
        .into_iter()
        .collect(),
        report: hex(report.to_json().as_bytes()),
    }
}

fn publication(
    what: &str,
    size: u64,
    params: &[(&str, &str)],
    sha256: BTreeMap<String, String>,
) -> Body {
    Body::Publication(Publication {
        what: what.into(),
        size,
        rules: RULES_VERSION.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        sha256,
    })
}

fn with_rules(b: Body, rules: &str) -> Body {
    match b {
        Body::Publication(mut p) => {
            p.rules = rules.into();
            Body::Publication(p)
        }
        other => other,
    }
}

/// A log: the domain entries (size `n0`), then `then(n0, checkpoint at n0, what is published at
/// n0)` entries appended one at a time, exported to `dir`. Returns `n0`.
fn build(dir: &Path, then: impl FnOnce(u64, &SignedCheckpoint, &Published) -> Vec<Vec<u8>>) -> u64 {
    let k = log_key(ORIGIN);
    let mut seq = Sequencer::create(MemStorage::new(), ORIGIN, &k.signer).unwrap();
    let domain = domain_entries();
    let refs: Vec<&[u8]> = domain.iter().map(Vec::as_slice).collect();
    seq.append(&refs).unwrap();
    let n0 = seq.size();
    let cp = seq.checkpoint().clone();
    let p = published(&domain, &cp, day());
    for e in then(n0, &cp, &p) {
        seq.append(&[e.as_slice()]).unwrap();
    }
    let _ = std::fs::remove_dir_all(dir);
    export_tiles(seq.reader().storage(), dir, |_, _| {}).unwrap();
    n0
}

/// In Kyiv time with the OSCE SMM's 19:30 cut-off: 18 March 19:30 to 19 March 19:30 (UTC+2).
fn day() -> Day {
    Day::new("2025-03-19", "Europe/Kyiv", Some("19:30")).unwrap()
}

fn t() -> Time {
    Time::parse("2025-03-20T12:00:00Z").unwrap()
}

fn raw(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("raw {i}").into_bytes()).collect()
}

fn run(dir: &Path, replay: bool) -> Report {
    let o = Options {
        trust: Trust::LogKey(log_key(ORIGIN).verifier),
        state: None,
        replay,
        progress: None,
    };
    verify(&DirSource::new(dir), &o).unwrap()
}

fn report_params(note: &str) -> Vec<(&str, &str)> {
    vec![
        ("date", "2025-03-19"),
        ("tz", "Europe/Kyiv"),
        ("cutoff", "19:30"),
        ("checkpoint", note),
        ("role", "monitor"),
    ]
}

#[test]
fn correct_publications_pass_and_other_rules_are_not_recomputable() {
    let t0 = tempfile::tempdir().unwrap();
    let m = t0.path().join("m");
    let n0 = build(&m, |n0, cp, p| {
        let note = cp.note_text();
        let mut out = vec![signed(
            "operator",
            t(),
            &publication("findings", n0, &[("role", "operator")], p.findings.clone()),
        )];
        // More than a bundle later, a monitor publishes the daily report computed at n0.
        out.extend(raw(600));
        out.push(signed(
            "osce",
            t(),
            &publication(
                "report.daily",
                n0,
                &report_params(&note),
                [("report".to_string(), p.report.clone())].into(),
            ),
        ));
        // Under rules this verifier does not implement, whatever the digest.
        out.push(signed(
            "operator",
            t(),
            &with_rules(
                publication(
                    "findings",
                    n0,
                    &[],
                    [("findings".to_string(), "0".repeat(64))].into(),
                ),
                "truce-rules/0",
            ),
        ));
        out
    });
    let r = run(&m, true);
    assert!(r.ok, "{}", r.to_text());
    let c = r.check("publications").unwrap();
    assert_eq!(c.status, Status::Ok, "{}", r.to_text());
    assert!(
        c.message
            .contains("3 publication(s): 2 recomputed and equal, 0 failed, 1 not recomputable"),
        "{}",
        c.message
    );
    let got: Vec<(u64, PublicationStatus)> =
        r.publications.iter().map(|p| (p.index, p.status)).collect();
    assert_eq!(
        got,
        vec![
            (n0, PublicationStatus::Ok),
            (n0 + 601, PublicationStatus::Ok),
            (n0 + 602, PublicationStatus::NotRecomputable),
        ]
    );
    assert_eq!(r.publications[1].author, "osce");
    assert!(r.publications[2]
        .message
        .contains("not recomputable (rules truce-rules/0)"));
    let f = &r.publications[0];
    assert_eq!(f.digests.len(), 2);
    for d in f.digests.values() {
        assert_eq!(d.recomputed.as_ref(), Some(&d.published));
    }
    // The text report lists every publication checked.
    let text = r.to_text();
    assert!(text.contains("✓ publications"), "{text}");
    assert!(
        text.contains(&format!(
            "✓ entry {n0}: findings at log size {n0} by operator"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "✓ entry {}: report.daily date 2025-03-19 tz Europe/Kyiv cutoff 19:30 at log size {n0} by osce",
            n0 + 601
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "– entry {}: findings at log size {n0} by operator (rules truce-rules/0): not recomputable (rules truce-rules/0)",
            n0 + 602
        )),
        "{text}"
    );
    // The JSON report lists them too.
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["publications"][1]["status"], "ok");
    assert_eq!(v["publications"][2]["status"], "not_recomputable");
    assert_eq!(v["publications"][0]["index"], n0);

    // --no-replay: not recomputed.
    let r = run(&m, false);
    assert_eq!(r.check("publications").unwrap().status, Status::Skipped);
    assert!(r.publications.is_empty());
}

#[test]
fn a_wrong_digest_fails_naming_the_publication_entry() {
    let t0 = tempfile::tempdir().unwrap();
    let m = t0.path().join("m");
    let n0 = build(&m, |n0, _, p| {
        let mut bad = p.findings.clone();
        let c = bad.get_mut("compliance").unwrap();
        *c = format!("{}{}", if c.starts_with('0') { "1" } else { "0" }, &c[1..]);
        let mut out = raw(3);
        out.push(signed(
            "operator",
            t(),
            &publication("findings", n0, &[("role", "operator")], bad),
        ));
        out
    });
    let r = run(&m, true);
    assert!(!r.ok);
    for name in ["checkpoint", "tree", "signatures"] {
        assert_eq!(r.check(name).unwrap().status, Status::Ok, "{}", r.to_text());
    }
    let c = r.check("publications").unwrap();
    assert_eq!(c.status, Status::Failed, "{}", r.to_text());
    let at = n0 + 3;
    assert!(
        c.message.starts_with(&format!(
            "entry {at}: findings: `compliance` differs: published "
        )),
        "{}",
        c.message
    );
    let p = &r.publications[0];
    assert_eq!((p.index, p.status), (at, PublicationStatus::Failed));
    assert_eq!(
        p.digests["findings"].recomputed.as_ref(),
        Some(&p.digests["findings"].published)
    );
    assert_ne!(
        p.digests["compliance"].recomputed.as_ref(),
        Some(&p.digests["compliance"].published)
    );
    assert!(r.to_text().contains(&format!("✗ entry {at}: findings")));
}

#[test]
fn impossible_sizes_and_foreign_checkpoints_fail_and_unknown_kinds_are_not_recomputable() {
    let t0 = tempfile::tempdir().unwrap();
    let m = t0.path().join("m");
    let other = key_from_seed(ORIGIN, [10; 32]).unwrap();
    let n0 = build(&m, |n0, cp, p| {
        // The same checkpoint body, signed by a key that is not the log's.
        let forged = truce_log::sign_checkpoint(
            &parse_signer(&other.signer).unwrap(),
            &cp.origin,
            cp.size,
            cp.root,
        )
        .map(|c| c.note_text())
        .unwrap_or_default();
        vec![
            // Claims to describe a log larger than the one it is in.
            signed(
                "operator",
                t(),
                &publication("findings", n0 + 5, &[], p.findings.clone()),
            ),
            signed(
                "osce",
                t(),
                &publication(
                    "report.daily",
                    n0,
                    &[
                        ("date", "2025-03-19"),
                        ("tz", "+03:00"),
                        ("checkpoint", &forged),
                    ],
                    [("report".to_string(), p.report.clone())].into(),
                ),
            ),
            signed(
                "operator",
                t(),
                &publication("weekly", n0, &[], p.findings.clone()),
            ),
        ]
    });
    let r = run(&m, true);
    let c = r.check("publications").unwrap();
    assert_eq!(c.status, Status::Failed, "{}", r.to_text());
    let got: Vec<(u64, PublicationStatus)> =
        r.publications.iter().map(|p| (p.index, p.status)).collect();
    assert_eq!(
        got,
        vec![
            (n0, PublicationStatus::Failed),
            (n0 + 1, PublicationStatus::Failed),
            (n0 + 2, PublicationStatus::NotRecomputable),
        ],
        "{}",
        r.to_text()
    );
    assert!(
        c.message.starts_with(&format!(
            "entry {n0}: findings: computed at log size {}, beyond its own index",
            n0 + 5
        )),
        "{}",
        c.message
    );
    assert!(
        r.publications[1]
            .message
            .contains("not a checkpoint signed by the log key"),
        "{}",
        r.publications[1].message
    );
    assert!(r.publications[2].message.contains("\"weekly\""));
}

/// A mirror whose list of publications omits every one.
struct Omitting(DirSource);

impl truce_verify::Source for Omitting {
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn checkpoint(&self) -> Result<Vec<u8>, truce_verify::VerifyError> {
        self.0.checkpoint()
    }
    fn tile(
        &self,
        path: &truce_log::TilePath,
    ) -> Result<Option<Vec<u8>>, truce_verify::VerifyError> {
        self.0.tile(path)
    }
    fn derived_findings(
        &self,
    ) -> Result<Option<truce_verify::source::Derived>, truce_verify::VerifyError> {
        self.0.derived_findings()
    }
    fn derived_compliance(
        &self,
    ) -> Result<Option<truce_verify::source::Derived>, truce_verify::VerifyError> {
        self.0.derived_compliance()
    }
    fn publications(&self) -> Result<Option<Vec<(u64, Publication)>>, truce_verify::VerifyError> {
        Ok(Some(Vec::new()))
    }
}

#[test]
fn a_publication_the_source_does_not_list_is_not_skipped() {
    let t0 = tempfile::tempdir().unwrap();
    let m = t0.path().join("m");
    let n0 = build(&m, |n0, _, p| {
        vec![signed(
            "operator",
            t(),
            &publication("findings", n0, &[], p.findings.clone()),
        )]
    });
    let o = Options {
        trust: Trust::LogKey(log_key(ORIGIN).verifier),
        state: None,
        replay: true,
        progress: None,
    };
    let r = verify(&Omitting(DirSource::new(&m)), &o).unwrap();
    let c = r.check("publications").unwrap();
    assert_eq!(c.status, Status::Failed, "{}", r.to_text());
    assert!(
        c.message
            .starts_with(&format!("entry {n0}: findings: not recomputed: ")),
        "{}",
        c.message
    );
    assert!(c.message.contains("did not name it"), "{}", c.message);
}

#[test]
fn publications_at_many_sizes_are_judged_where_the_pipelined_replay_reaches_them() {
    // Raw lines change no finding, so the findings published at n0 are those of every later
    // size too: publications at sizes in the middle of a bundle, at its edges and several
    // batches apart (the feeding thread runs ahead of the applying one) all recompute equal.
    let t0 = tempfile::tempdir().unwrap();
    let m = t0.path().join("m");
    let mut sizes = Vec::new();
    let n0 = build(&m, |n0, _, p| {
        let mut out = Vec::new();
        let mut size = n0;
        for gap in [0u64, 1, 255, 1, 511, 1300, 3] {
            let raws = raw(gap as usize);
            size += gap;
            out.extend(raws);
            out.push(signed(
                "operator",
                t(),
                &publication("findings", size, &[], p.findings.clone()),
            ));
            size += 1;
        }
        out
    });
    let r = run(&m, true);
    assert!(r.ok, "{}", r.to_text());
    for p in &r.publications {
        assert_eq!(p.status, PublicationStatus::Ok, "{}", r.to_text());
        sizes.push(p.size);
    }
    assert_eq!(sizes.len(), 7);
    assert_eq!(sizes[0], n0);
    assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{sizes:?}");
}
