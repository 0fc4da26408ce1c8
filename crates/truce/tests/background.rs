//! Background detections at sensor scale (truce-rules/6), on the real binary: the demo plus
//! 100,000 simulated FIRMS detections. The incidents are the demo's plus the detections that
//! touch something a reading in force protects; every other detection is background; an
//! allegation filed later next to earlier detections forms an incident with those within its
//! reach and no others.

mod common;

use common::{demo_in, stdout, truce};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use truce_engine::{Judged, Judgement, Outcome, Params};
use truce_store::sqlite::SqliteStorage;
use truce_store::LogReader;

/// The judgement of the log in `dir` at its latest checkpoint, as `truce rebuild` computes it,
/// with the snapshot it judged.
fn judgement(dir: &Path) -> Judged {
    let reader =
        LogReader::open(SqliteStorage::open(&dir.join("truce.db"), false).unwrap()).unwrap();
    truce_views::derived::judge(&reader, &mut |_| {}).unwrap().0
}

/// For each incident, the entry ids of its members that are not FIRMS detections.
fn filed(j: &Judgement) -> BTreeSet<Vec<String>> {
    j.incidents
        .iter()
        .map(|i| {
            i.members
                .iter()
                .filter(|m| m.author.as_str() != "firms")
                .map(|m| m.entry_id.clone())
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty())
        .collect()
}

fn secs(rfc3339: &str) -> i64 {
    truce_model::Time::parse(rfc3339).unwrap().0.as_second()
}

#[test]
fn demo_plus_100000_detections_keeps_the_demos_incidents_and_counts_the_rest_as_background() {
    let t = tempfile::tempdir().unwrap();
    demo_in(t.path());
    let d = t.path().join("d");
    let demo = judgement(&d);
    let demo_detections: usize = demo
        .incidents
        .iter()
        .flat_map(|i| &i.members)
        .filter(|m| m.author.as_str() == "firms")
        .count()
        + demo.background.len();

    let csv = t.path().join("firms.csv");
    stdout(
        truce(t.path())
            .args([
                "-q", "simulate", "firms", "--rows", "100000", "--seed", "3", "--out",
            ])
            .arg(&csv),
    );
    stdout(
        truce(t.path())
            .args(["-q", "--dir", "d", "ingest"])
            .arg(&csv)
            .args(["--as", "firms", "--key", "d/keys/firms.key"]),
    );
    let j = judgement(&d);

    // Every report someone filed is in an incident exactly as in the demo alone (detections may
    // join them: the simulated ones are spread over the same weeks and country).
    assert_eq!(filed(&j), filed(&demo));
    // The other incidents are detections that touch what a reading in force protects: each has
    // a finding that is not out of scope.
    let mut findings: BTreeMap<&str, Vec<Outcome>> = BTreeMap::new();
    for f in &j.findings {
        findings
            .entry(f.incident.as_str())
            .or_default()
            .push(f.outcome);
    }
    let mut touching = 0;
    for i in &j.incidents {
        if i.members.iter().all(|m| m.author.as_str() == "firms") {
            touching += 1;
            let outcomes = findings.get(i.id.as_str()).cloned().unwrap_or_default();
            assert!(
                outcomes.iter().any(|o| *o != Outcome::OutOfScope),
                "incident {} of detections alone touches nothing: {outcomes:?}",
                i.id
            );
        }
    }
    // Every detection is in exactly one incident or background.
    let in_incidents: usize = j
        .incidents
        .iter()
        .flat_map(|i| &i.members)
        .filter(|m| m.author.as_str() == "firms")
        .count();
    assert_eq!(in_incidents + j.background.len(), 100_000 + demo_detections);
    assert!(
        j.background.len() > 90_000,
        "{} background, {touching} touching incidents",
        j.background.len()
    );
    assert!(j.incidents.len() < demo.incidents.len() + 5_000);

    // ua alleges a drone strike at a background detection's place and time, filed now.
    let b = j
        .background_full()
        .find(|b| b.detection.routine.is_none())
        .unwrap()
        .detection;
    let allegation = format!(
        r#"time = {now}
[[report]]
id = "later-allegation"
time = {{ start = {start} }}
location = {{ point = [{lon}, {lat}], uncertainty_m = 300 }}
act = "drone-strike"
alleged_perpetrator = "ru"
text = "SYNTHETIC allegation for a test, filed later next to a background detection."
"#,
        now = jiff::Timestamp::now(),
        start = b.start,
        lon = b.point[0],
        lat = b.point[1],
    );
    let file = t.path().join("allegation.toml");
    std::fs::write(&file, allegation).unwrap();
    stdout(
        truce(t.path())
            .args([
                "-q",
                "--dir",
                "d",
                "submit",
                "--as",
                "ua",
                "--key",
                "d/keys/ua.key",
            ])
            .arg(&file),
    );
    let after = judgement(&d);
    let inc = after
        .incidents
        .iter()
        .find(|i| {
            i.members
                .iter()
                .any(|m| m.id.as_str() == "later-allegation")
        })
        .expect("the allegation is an incident");
    assert!(inc.members.iter().any(|m| m.entry_id == b.entry_id));
    // Exactly the detections within its reach joined: the allegation reaches 1,000 + 300 m, a
    // detection 500 m plus its uncertainty, within 6 hours.
    let p = Params::default();
    let a_start = secs(&b.start);
    let reach = |m: &truce_engine::Member| {
        let d = truce_geo::distance_m(b.point, m.point);
        let r = p.report_reach_m + 300.0 + p.sensor_reach_m + f64::from(m.uncertainty_m);
        let gap = (secs(&m.start) - a_start)
            .max(a_start - secs(&m.end))
            .max(0);
        d <= r && gap <= p.max_gap_s
    };
    for m in inc.members.iter().filter(|m| m.author.as_str() == "firms") {
        assert!(
            reach(m),
            "{} joined from beyond the allegation's reach",
            m.id
        );
    }
    let near_in_background = j
        .background_full()
        .filter(|x| reach(&x.detection))
        .map(|x| x.detection.entry_id.clone())
        .collect::<BTreeSet<_>>();
    let joined = inc
        .members
        .iter()
        .filter(|m| m.author.as_str() == "firms")
        .map(|m| m.entry_id.clone())
        .collect::<BTreeSet<_>>();
    assert!(
        near_in_background.is_subset(&joined),
        "every background detection within reach joined"
    );
    assert!(after.background.len() <= j.background.len() - near_in_background.len());
}
