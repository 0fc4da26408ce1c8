//! Background detections (truce-rules/6): sensor detections that nobody alleges and that touch
//! nothing a reading in force protects are kept and counted, but are no incident; an allegation
//! pulls in the detections within its own reach, never a whole fire front.

mod common;

use common::{id, reading, site, t};
use proptest::prelude::*;
use truce_engine::input::{ReadingIn, ReportIn};
use truce_engine::{judge, Judgement, Params, Snapshot};
use truce_model::domain::{Act, Role};

/// A UTC instant `h` hours after 2025-03-20T00:00:00Z.
fn at(h: i64) -> i64 {
    t("2025-03-20T00:00:00Z") + h * 3_600
}

fn detection(index: u64, point: [f64; 2], time: i64) -> ReportIn {
    ReportIn {
        index,
        entry_id: format!("{index:064x}").parse().unwrap(),
        author: id("firms").into(),
        role: Role::OpenData,
        id: id(&format!("d{index}")),
        act: Act::FireObserved,
        perpetrator: None,
        relays: None,
        denies: Vec::new().into(),
        point,
        uncertainty_m: 375,
        start: time,
        end: time,
        target: None,
        static_source: false,
    }
}

fn allegation(index: u64, point: [f64; 2], time: i64) -> ReportIn {
    ReportIn {
        author: id("ua").into(),
        role: Role::Belligerent,
        id: id(&format!("a{index}")),
        act: Act::DroneStrike,
        perpetrator: Some(id("ru").into()),
        uncertainty_m: 300,
        ..detection(index, point, time)
    }
}

/// ua's reading: strikes on energy sites prohibited from 18 March for 30 days.
fn energy_reading() -> ReadingIn {
    reading(
        100,
        "ua",
        r#"prohibited_acts = ["strike"]
protected = ["energy.*"]
bound = ["ru", "ua"]
window = { start = 2025-03-18T00:00:00Z, duration_days = 30 }"#,
    )
}

const PLANT: [f64; 2] = [35.10, 51.07];
const FIELD: [f64; 2] = [36.50, 50.20];

fn snapshot(reports: Vec<ReportIn>) -> Snapshot {
    Snapshot {
        log_size: 10_000,
        reports,
        sites: vec![
            site(1, "ua", "plant", "energy.power.plant", PLANT, 0),
            site(2, "ua", "school", "telecom", FIELD, 0),
        ],
        readings: vec![energy_reading()],
        ..Default::default()
    }
}

fn incident_ids(j: &Judgement) -> Vec<Vec<String>> {
    j.incidents
        .iter()
        .map(|i| i.members.iter().map(|m| m.id.to_string()).collect())
        .collect()
}

fn background_ids(j: &Judgement, s: &Snapshot) -> Vec<String> {
    j.background_full(s)
        .map(|b| b.detection.id.to_string())
        .collect()
}

#[test]
fn a_detection_touching_a_protected_site_in_force_is_an_incident_the_rest_background() {
    let s = snapshot(vec![
        // At the plant, inside the window: touches.
        detection(10, PLANT, at(1)),
        // At a school (not protected by the reading): background.
        detection(11, FIELD, at(1)),
        // In an empty field: background.
        detection(12, [37.0, 49.0], at(2)),
        // At the plant, before the window opens (2025-03-18): background.
        detection(13, PLANT, at(-72)),
    ]);
    let j = judge(&s, &Params::default());
    assert_eq!(incident_ids(&j), vec![vec!["d10".to_string()]]);
    assert_eq!(background_ids(&j, &s), vec!["d13", "d11", "d12"]);
    assert_eq!(j.findings.len(), 1);
    assert_eq!(j.background_at(&s, 0).unwrap().day, "2025-03-17");
    // Background is never a finding.
    assert!(j.findings.iter().all(|f| f.incident == j.incidents[0].id));
}

#[test]
fn without_any_reading_every_detection_is_background() {
    let mut s = snapshot(vec![detection(10, PLANT, at(1))]);
    s.readings.clear();
    let j = judge(&s, &Params::default());
    assert!(j.incidents.is_empty());
    assert_eq!(background_ids(&j, &s), vec!["d10"]);
}

#[test]
fn a_reading_version_effective_later_does_not_touch_earlier_detections() {
    let mut rd = energy_reading();
    rd.filed = at(10);
    rd.effective = at(10);
    let mut s = snapshot(vec![
        detection(10, PLANT, at(1)),
        detection(11, PLANT, at(20)),
    ]);
    s.readings = vec![rd];
    let j = judge(&s, &Params::default());
    assert_eq!(incident_ids(&j), vec![vec!["d11".to_string()]]);
    assert_eq!(background_ids(&j, &s), vec!["d10"]);
}

/// A fire front: detections every 600 m eastwards along a line in a field, each linked to the
/// next (reach 500 + 375 m each), one an hour.
fn front(n: u64) -> Vec<ReportIn> {
    (0..n)
        .map(|k| {
            // 600 m of longitude at 50.2°N is about 0.00842°.
            detection(
                10 + k,
                [FIELD[0] + 5.0 + 0.00842 * k as f64, FIELD[1]],
                at(k as i64),
            )
        })
        .collect()
}

#[test]
fn an_allegation_filed_later_pulls_in_the_detections_within_its_reach_not_the_whole_front() {
    let before = snapshot(front(20));
    let j = judge(&before, &Params::default());
    assert!(j.incidents.is_empty(), "{:?}", incident_ids(&j));
    assert_eq!(j.background.len(), 20);

    // ua alleges a drone strike at the tenth detection's place and time.
    let mut reports = front(20);
    let tenth = reports[9].point;
    reports.push(allegation(100, tenth, at(9)));
    let after = snapshot(reports);
    let j = judge(&after, &Params::default());
    // The allegation reaches 1,000 + 300 m, a detection 500 + 375 m: 2,175 m, so the detections
    // up to 3 steps (1,800 m) either side within 6 hours join; not the rest of the front.
    assert_eq!(j.incidents.len(), 1, "{:?}", incident_ids(&j));
    let members: Vec<String> = j.incidents[0]
        .members
        .iter()
        .map(|m| m.id.to_string())
        .collect();
    assert_eq!(
        members,
        ["d16", "d17", "d18", "d19", "d20", "d21", "d22", "a100"]
    );
    assert_eq!(j.background.len(), 20 - 7);
    // What was known before the allegation is reproduced exactly by the earlier snapshot.
    assert_eq!(
        serde_json::to_string(&judge(&before, &Params::default())).unwrap(),
        serde_json::to_string(&judge(&snapshot(front(20)), &Params::default())).unwrap()
    );
}

#[test]
fn a_detection_never_links_two_allegations() {
    // Two allegations 3 km apart, a detection between them within reach of both: two incidents,
    // the detection joining the first filed.
    let a = [FIELD[0] + 5.0, FIELD[1]];
    let b = [FIELD[0] + 5.0 + 0.042, FIELD[1]]; // about 3 km east
    let mid = [FIELD[0] + 5.0 + 0.021, FIELD[1]];
    let s = snapshot(vec![
        allegation(10, a, at(1)),
        allegation(11, b, at(1)),
        detection(12, mid, at(1)),
    ]);
    let j = judge(&s, &Params::default());
    let mut ids: Vec<Vec<String>> = incident_ids(&j);
    ids.sort();
    assert_eq!(
        ids,
        vec![
            vec!["a10".to_string(), "d12".to_string()],
            vec!["a11".to_string()]
        ]
    );
    assert!(j.background.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every detection is either background or a member of exactly one incident; background
    /// detections are never within reach of an allegation; every report other than a detection
    /// is in an incident.
    #[test]
    fn every_detection_is_background_or_in_one_incident(
        dets in proptest::collection::vec((0.0f64..0.05, 0.0f64..0.05, 0i64..48), 1..60),
        alls in proptest::collection::vec((0.0f64..0.05, 0.0f64..0.05, 0i64..48), 0..4),
    ) {
        let base = [FIELD[0] + 3.0, FIELD[1]];
        let mut reports = Vec::new();
        for (k, (x, y, h)) in dets.iter().enumerate() {
            reports.push(detection(10 + k as u64, [base[0] + x, base[1] + y], at(*h)));
        }
        for (k, (x, y, h)) in alls.iter().enumerate() {
            reports.push(allegation(1_000 + k as u64, [base[0] + x, base[1] + y], at(*h)));
        }
        let s = snapshot(reports.clone());
        let j = judge(&s, &Params::default());
        let mut seen = std::collections::BTreeMap::new();
        for i in &j.incidents {
            for m in &i.members {
                *seen.entry(m.id.to_string()).or_insert(0) += 1;
            }
        }
        for b in j.background_full(&s) {
            *seen.entry(b.detection.id.to_string()).or_insert(0) += 1;
        }
        prop_assert_eq!(seen.len(), reports.len());
        prop_assert!(seen.values().all(|&c| c == 1));
        // A background detection is out of every allegation's reach (space or time).
        let p = Params::default();
        for b in j.background_full(&s) {
            for a in reports.iter().filter(|r| r.role == Role::Belligerent) {
                let d = truce_geo::distance_m(a.point, b.detection.point);
                let reach = p.report_reach_m + 300.0 + p.sensor_reach_m + 375.0;
                let b_t = t(&b.detection.start);
                let gap = (a.start - b_t).abs();
                prop_assert!(d > reach || gap > p.max_gap_s, "{} within {} m and {} s of {}", b.detection.id, d, gap, a.id);
            }
        }
    }
}

/// A gas flare (detections at one place on 12 days over 24: a persistent hot spot, routine),
/// lone detections in a field, one at the plant, and two detections sharing one log index.
fn mixed() -> Vec<ReportIn> {
    let flare = [FIELD[0] + 2.0, FIELD[1] + 1.0];
    let mut reports: Vec<ReportIn> = (0..12)
        .map(|k| detection(10 + k, flare, at(-200 + 48 * k as i64)))
        .collect();
    for k in 0..5 {
        reports.push(detection(
            30 + k,
            [FIELD[0] + 3.0 + 0.1 * k as f64, FIELD[1]],
            at(k as i64),
        ));
    }
    reports.push(detection(40, PLANT, at(3)));
    let mut twin = detection(41, [FIELD[0] + 4.0, FIELD[1]], at(7));
    reports.push(twin.clone());
    twin.id = id("d41b");
    twin.point[0] += 0.2;
    twin.start = at(8);
    twin.end = at(8);
    reports.push(twin);
    reports
}

#[test]
fn background_rows_read_back_from_the_snapshot_whatever_its_order() {
    let sorted = snapshot(mixed());
    let j = judge(&sorted, &Params::default());
    let full: Vec<truce_engine::Background> = j.background_full(&sorted).collect();
    assert_eq!(full.len(), j.background.len());
    // Every detection but the one at the plant; the flare's routine.
    assert_eq!(full.len(), 12 + 5 + 2);
    assert_eq!(
        full.iter()
            .filter(|b| b.detection.routine.is_some())
            .count(),
        12
    );
    assert!(full
        .iter()
        .all(|b| b.day == b.detection.start[..10] && b.detection.side == "sensor:firms"));
    let ids: std::collections::BTreeSet<String> =
        full.iter().map(|b| b.detection.id.to_string()).collect();
    assert_eq!(ids.len(), full.len(), "each report once");
    assert!(ids.contains("d41") && ids.contains("d41b"));
    // One at a time, and in log order, the same rows.
    for (k, b) in full.iter().enumerate() {
        assert_eq!(j.background_at(&sorted, k).as_ref(), Some(b));
    }
    let mut by_index: Vec<truce_engine::Background> = j.background_by_index(&sorted).collect();
    assert!(by_index
        .windows(2)
        .all(|w| w[0].detection.index <= w[1].detection.index));
    by_index.sort_by(|a, b| {
        (&a.detection.start, a.detection.index).cmp(&(&b.detection.start, b.detection.index))
    });
    assert_eq!(by_index, full);
    // A snapshot listing the same reports out of log order reads back the same rows.
    let mut shuffled = mixed();
    shuffled.reverse();
    shuffled.swap(3, 17);
    let s2 = snapshot(shuffled);
    let j2 = judge(&s2, &Params::default());
    // (Its references differ: which of the reports of a log index each is counts in snapshot
    // order.)
    assert_eq!((&j2.incidents, &j2.findings), (&j.incidents, &j.findings));
    assert_eq!(j2.background_full(&s2).collect::<Vec<_>>(), full);
    for (k, b) in full.iter().enumerate() {
        assert_eq!(j2.background_at(&s2, k).as_ref(), Some(b));
    }
    // Read against another snapshot, a reference that names nothing there is left out.
    let other = snapshot(mixed()[..12].to_vec());
    assert_eq!(j.background_full(&other).count(), 12);
}

#[test]
fn a_report_leaving_an_index_it_shares_rejudges_in_full() {
    let s = snapshot(mixed());
    let mut inc = truce_engine::Incremental::new(s.clone(), Params::default());
    let d = truce_engine::Delta {
        log_size: s.log_size + 1,
        reports: vec![((id("firms"), id("d41b")), None)],
        ..Default::default()
    };
    let rj = inc.apply(d);
    assert_eq!(
        rj.full.as_deref(),
        Some("a report left whose log index another report shares")
    );
    let now = inc.snapshot();
    assert_eq!(now.reports.len(), s.reports.len() - 1);
    let want = judge(now, &Params::default());
    assert_eq!(inc.judgement(), &want);
    assert_eq!(
        inc.judgement().background_full(now).collect::<Vec<_>>(),
        want.background_full(now).collect::<Vec<_>>()
    );
}
