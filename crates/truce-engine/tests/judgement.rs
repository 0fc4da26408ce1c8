//! The judgement under attack (truce-rules/2): a flood of one party's allegations, monitors who
//! disagree or assess their own reports, claims too vague to place a target, and a sensor feed
//! full of gas flares that starts on the window's first day.

mod common;
use common::{assessment, id, reading, site, t};
use std::collections::{BTreeMap, BTreeSet};
use truce_engine::input::{PolicyIn, ReadingIn, ReportIn};
use truce_engine::{
    compliance, judge, AttributionGrade, Grade, Judgement, Outcome, Params, Snapshot, Standing,
};
use truce_model::domain::{Act, Role, Verdict};
use truce_model::taxonomy::Category;

/// A report at `point` (±`unc` m) over `[start, start + 1 h]`.
#[allow(clippy::too_many_arguments)]
fn rep(
    index: u64,
    author: &str,
    role: Role,
    act: Act,
    perp: Option<&str>,
    point: [f64; 2],
    unc: u32,
    start: i64,
) -> ReportIn {
    ReportIn {
        index,
        entry_id: format!("{index:064x}").parse().unwrap(),
        author: id(author).into(),
        role,
        id: id(&format!("r{index}")),
        act,
        perpetrator: perp.map(id).map(Into::into),
        relays: None,
        denies: Vec::new().into(),
        point,
        uncertainty_m: unc,
        start,
        end: start + 3_600,
        target: None,
        static_source: false,
    }
}

fn us_reading(index: u64) -> ReadingIn {
    reading(
        index,
        "us",
        r#"prohibited_acts = ["strike"]
protected = ["energy.*"]
bound = ["ru", "ua"]
window = { start = 2025-03-18T00:00:00Z, end = 2025-04-18T00:00:00Z }"#,
    )
}

/// Breach attributions of `party` under `reading`, by standing.
fn breaches(j: &Judgement, reading: &str, party: &str) -> BTreeMap<String, u64> {
    compliance(&j.findings)
        .totals
        .into_iter()
        .find(|t| t.reading.as_str() == reading)
        .and_then(|t| t.breaches_by_party.get(party).cloned())
        .unwrap_or_default()
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Thirty incidents in pairs 3 km apart at the same hour (close enough for one report between
/// them to reach both, too far to link by themselves): established breaches by ua (an
/// independent open-data record names ua, two officers verify), corroborated breaches by ua,
/// and alleged breaches by ru. Returns the snapshot and each report's incident label.
fn thirty_incidents() -> (Snapshot, BTreeMap<String, usize>) {
    let mut s = Snapshot {
        log_size: 1_000_000,
        readings: vec![us_reading(1)],
        policies: vec![PolicyIn {
            index: 2,
            quorum: 2,
        }],
        ..Default::default()
    };
    let mut label = BTreeMap::new();
    let mut next = 10u64;
    let t0 = t("2025-03-20T12:00:00Z");
    for k in 0..30usize {
        let pair = k / 2;
        let p = [
            30.0 + (pair % 5) as f64 * 1.2 + (k % 2) as f64 * 0.04,
            46.5 + (pair / 5) as f64 * 1.0,
        ];
        let at = t0 + pair as i64 * 86_400;
        s.sites.push(site(
            5_000 + k as u64,
            "ua",
            &format!("plant-{k}"),
            "energy.power.plant",
            p,
            0,
        ));
        let mut members = Vec::new();
        let mut push = |r: ReportIn, s: &mut Snapshot| {
            label.insert(r.entry_id.to_string(), k);
            members.push(r.index);
            s.reports.push(r);
        };
        match k % 3 {
            0 | 1 => {
                push(
                    rep(
                        next,
                        "ru",
                        Role::Belligerent,
                        Act::Strike,
                        Some("ua"),
                        p,
                        300,
                        at,
                    ),
                    &mut s,
                );
                push(
                    rep(
                        next + 1,
                        "acled",
                        Role::OpenData,
                        Act::Strike,
                        Some("ua"),
                        p,
                        300,
                        at,
                    ),
                    &mut s,
                );
                push(
                    rep(
                        next + 2,
                        "firms",
                        Role::OpenData,
                        Act::FireObserved,
                        None,
                        p,
                        375,
                        at,
                    ),
                    &mut s,
                );
                if k % 3 == 0 {
                    for (o, officer) in ["officer-1", "officer-2"].into_iter().enumerate() {
                        s.assessments.push(assessment(
                            next + 3 + o as u64,
                            "monitor",
                            officer,
                            Some("ua"),
                            &members,
                            Verdict::Verified,
                        ));
                    }
                }
            }
            _ => {
                push(
                    rep(
                        next,
                        "ua",
                        Role::Belligerent,
                        Act::Strike,
                        Some("ru"),
                        p,
                        300,
                        at,
                    ),
                    &mut s,
                );
                push(
                    rep(
                        next + 2,
                        "firms",
                        Role::OpenData,
                        Act::FireObserved,
                        None,
                        p,
                        375,
                        at,
                    ),
                    &mut s,
                );
            }
        }
        next += 10;
    }
    (s, label)
}

#[test]
fn a_flood_of_allegations_changes_no_established_or_corroborated_count_and_merges_nothing() {
    let (base, label) = thirty_incidents();
    let before = judge(&base, &Params::default());
    assert_eq!(before.incidents.len(), 30);
    let ua = breaches(&before, "us", "ua");
    assert_eq!(ua.get("established"), Some(&10), "{ua:?}");
    assert_eq!(ua.get("corroborated"), Some(&10), "{ua:?}");

    // 10,000 allegations by ru against ua: most spread over the map and the window, a tenth
    // placed between the two incidents of a pair (reaching both) and beside single ones.
    let mut s = base.clone();
    let mut rng = Rng(13);
    let (w0, w1) = (t("2025-03-18T01:00:00Z"), t("2025-04-17T00:00:00Z"));
    let t0 = t("2025-03-20T12:00:00Z");
    for n in 0..10_000u64 {
        let index = 100_000 + n;
        let r = if n % 10 == 0 {
            let pair = (n / 10) % 15;
            let p = [
                30.0 + (pair % 5) as f64 * 1.2 + 0.02 + (rng.unit() - 0.5) * 0.004,
                46.5 + (pair / 5) as f64 * 1.0 + (rng.unit() - 0.5) * 0.004,
            ];
            let at = t0 + pair as i64 * 86_400 + (rng.unit() * 3_600.0) as i64;
            rep(
                index,
                "ru",
                Role::Belligerent,
                Act::Strike,
                Some("ua"),
                p,
                1_000,
                at,
            )
        } else {
            let p = [30.0 + rng.unit() * 6.0, 46.3 + rng.unit() * 3.4];
            let at = w0 + (rng.unit() * (w1 - w0) as f64) as i64;
            let unc = [300, 2_000, 10_000][(rng.next() % 3) as usize];
            rep(
                index,
                "ru",
                Role::Belligerent,
                Act::Strike,
                Some("ua"),
                p,
                unc,
                at,
            )
        };
        s.reports.push(r);
    }
    let after = judge(&s, &Params::default());
    assert_eq!(breaches(&after, "us", "ua").get("established"), Some(&10));
    assert_eq!(breaches(&after, "us", "ua").get("corroborated"), Some(&10));
    assert_eq!(
        breaches(&after, "us", "ru").get("established"),
        breaches(&before, "us", "ru").get("established")
    );
    // No incident holds reports of two original incidents, and each original incident's
    // reports are still together.
    let mut home: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for i in &after.incidents {
        let labels: BTreeSet<usize> = i
            .members
            .iter()
            .filter_map(|m| label.get(&m.entry_id).copied())
            .collect();
        assert!(labels.len() <= 1, "{} merges incidents {labels:?}", i.id);
        for l in labels {
            home.entry(l).or_default().insert(i.id.clone());
        }
    }
    assert_eq!(home.len(), 30);
    assert!(home.values().all(|ids| ids.len() == 1), "{home:?}");
    // The bridging reports stand apart; some of the flood joined the incidents it touched.
    assert!(after.incidents.len() > 30);
}

#[test]
fn monitors_disagreeing_contest_one_alone_cannot_verify_and_nobody_assesses_their_own_report() {
    let p = [35.27, 51.19];
    let at = t("2025-03-21T00:00:00Z");
    let mut s = Snapshot {
        log_size: 100,
        reports: vec![
            rep(
                1,
                "ua",
                Role::Belligerent,
                Act::Shelling,
                Some("ru"),
                p,
                500,
                at,
            ),
            rep(
                2,
                "firms",
                Role::OpenData,
                Act::FireObserved,
                None,
                p,
                375,
                at,
            ),
            rep(
                3,
                "mission",
                Role::Monitor,
                Act::Shelling,
                Some("ru"),
                p,
                500,
                at,
            ),
        ],
        sites: vec![site(0, "ua", "gms", "energy.gas.metering", p, 0)],
        readings: vec![us_reading(4)],
        policies: vec![PolicyIn {
            index: 5,
            quorum: 2,
        }],
        ..Default::default()
    };
    // One officer of another mission verifies the occurrence: short of the quorum.
    s.assessments = vec![assessment(
        10,
        "monitor",
        "o1",
        None,
        &[1],
        Verdict::Verified,
    )];
    let j = judge(&s, &Params::default());
    let i = &j.incidents[0];
    assert_eq!(
        i.occurrence,
        Grade::Corroborated,
        "one officer is not enough"
    );
    assert_eq!(i.reviews[0].state, "pending");

    // A second officer dismisses it: contested, both kept and shown.
    s.assessments.push(assessment(
        11,
        "monitor",
        "o2",
        None,
        &[1],
        Verdict::Dismissed,
    ));
    let j = judge(&s, &Params::default());
    let i = &j.incidents[0];
    assert_eq!(i.occurrence, Grade::Contested);
    assert_eq!(i.assessments.len(), 2);
    assert!(i.assessments.iter().all(|a| a.counted));
    // A contested occurrence leaves the attribution as the sources make it.
    assert_eq!(j.findings[0].outcome, Outcome::Breach);

    // A third officer verifies: a quorum of two with a majority resolves it.
    s.assessments.push(assessment(
        12,
        "monitor",
        "o3",
        None,
        &[2],
        Verdict::Verified,
    ));
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents[0].occurrence, Grade::Verified);
    assert_eq!(j.incidents[0].assessments.len(), 3);

    // The officer who changes their mind: only the latest counts; the earlier one is shown.
    s.assessments.push(assessment(
        13,
        "monitor",
        "o2",
        None,
        &[1],
        Verdict::Verified,
    ));
    let j = judge(&s, &Params::default());
    let i = &j.incidents[0];
    assert_eq!(i.occurrence, Grade::Verified);
    assert_eq!(i.reviews[0].tally.get("verified"), Some(&3));
    assert!(i
        .assessments
        .iter()
        .any(|a| !a.counted && a.note.as_deref().unwrap_or("").contains("superseded")));

    // The mission that reported the shelling cannot assess the attribution its own report
    // raises: two of its officers verifying count for nothing.
    s.assessments = vec![
        assessment(20, "mission", "m1", Some("ru"), &[1], Verdict::Verified),
        assessment(21, "mission", "m2", Some("ru"), &[1], Verdict::Verified),
    ];
    let j = judge(&s, &Params::default());
    let a = &j.incidents[0].alleged[0];
    // ua and the mission (an independent origin) both name ru: corroborated, not verified.
    assert_eq!(a.grade, AttributionGrade::Corroborated);
    assert!(j.incidents[0]
        .assessments
        .iter()
        .all(|x| !x.counted && x.note.as_deref().unwrap_or("").contains("own report")));
    assert_eq!(j.findings[0].standing, Standing::Corroborated);
    assert_eq!(j.findings[0].words, "corroborated breach");

    // Two officers of the other mission dismiss the attribution: no breach attributed.
    s.assessments = vec![
        assessment(20, "monitor", "o1", Some("ru"), &[1], Verdict::Dismissed),
        assessment(21, "monitor", "o2", Some("ru"), &[1], Verdict::Dismissed),
    ];
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents[0].alleged[0].grade, AttributionGrade::Dismissed);
    assert_eq!(j.findings[0].outcome, Outcome::NoBreach);
}

#[test]
fn a_relayed_claim_counts_as_its_origin_and_a_denial_disputes_without_lowering() {
    let p = [35.27, 51.19];
    let at = t("2025-03-21T00:00:00Z");
    let mut relay = rep(
        2,
        "acled",
        Role::OpenData,
        Act::Strike,
        Some("ua"),
        p,
        500,
        at,
    );
    relay.relays = Some(id("ru").into());
    let mut s = Snapshot {
        log_size: 10,
        reports: vec![
            rep(
                1,
                "ru",
                Role::Belligerent,
                Act::Strike,
                Some("ua"),
                p,
                500,
                at,
            ),
            relay,
        ],
        sites: vec![site(0, "ua", "gms", "energy.gas.metering", p, 0)],
        readings: vec![us_reading(4)],
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    let i = &j.incidents[0];
    assert_eq!(i.sides, ["party:ru"], "the relay is ru's claim");
    assert_eq!(i.occurrence, Grade::Reported);
    assert_eq!(i.alleged[0].grade, AttributionGrade::Alleged);
    // The same record on its own provenance corroborates.
    s.reports[1].relays = None;
    let j = judge(&s, &Params::default());
    assert_eq!(
        j.incidents[0].alleged[0].grade,
        AttributionGrade::Corroborated
    );
    // ua denies it: a denial does not lower a corroborated attribution.
    let mut denial = rep(3, "ua", Role::Belligerent, Act::Strike, None, p, 500, at);
    denial.denies = vec![id("ua")].into();
    s.reports.push(denial);
    let j = judge(&s, &Params::default());
    let a = &j.incidents[0].alleged[0];
    assert_eq!(a.grade, AttributionGrade::Corroborated);
    assert!(a.reasons.iter().any(|r| r.contains("denies")), "{a:?}");
    // With only ru's word, the denial makes it disputed; the standing stays alleged.
    s.reports.remove(1);
    let j = judge(&s, &Params::default());
    let a = &j.incidents[0].alleged[0];
    assert_eq!(a.grade, AttributionGrade::Disputed);
    assert_eq!(a.standing, Standing::Alleged);
    // ua says it did it: admitted, established.
    s.reports[1].denies = Box::default();
    s.reports[1].perpetrator = Some(id("ua").into());
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents[0].alleged[0].grade, AttributionGrade::Admitted);
    assert_eq!(j.findings[0].words, "established breach");
}

#[test]
fn a_claim_wider_than_any_reach_leaves_the_target_uncertain() {
    let at = t("2025-03-26T00:00:00Z");
    let mut r = rep(
        1,
        "ru",
        Role::Belligerent,
        Act::DroneStrike,
        Some("ua"),
        [35.3, 52.5],
        150_000,
        at,
    );
    r.target = Some(Category::new("energy.power.distribution").unwrap());
    let mut s = Snapshot {
        log_size: 5,
        reports: vec![r],
        sites: vec![site(
            0,
            "ua",
            "substation",
            "energy.power.substation",
            [35.3, 52.5],
            0,
        )],
        readings: vec![us_reading(2)],
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    let f = &j.findings[0];
    assert_eq!(f.outcome, Outcome::Undetermined, "{f:#?}");
    let target = f.reasons.iter().find(|r| r.rule == "target").unwrap();
    assert_eq!(target.holds, "uncertain");
    // Even admitted, the vague claim stays undetermined.
    s.reports[0].author = id("ua").into();
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents[0].alleged[0].grade, AttributionGrade::Admitted);
    assert_eq!(j.findings[0].outcome, Outcome::Undetermined);
    // Precise to within the site's reach, it decides.
    s.reports[0].uncertainty_m = 500;
    let j = judge(&s, &Params::default());
    assert_eq!(j.findings[0].outcome, Outcome::Breach);
}

/// 20,000 simulated FIRMS detections over the simulator's default 30 days, starting on the
/// window's first day, with its persistent flares; a refinery with a flare struck on five
/// separate days.
#[test]
fn flares_are_learned_from_a_log_that_starts_at_the_window_and_strikes_keep_their_incidents() {
    let world = truce_sim::World::new(&truce_sim::Params::default()).unwrap();
    let mut csv = Vec::new();
    truce_sim::write_firms(&world, 20_000, &mut csv).unwrap();
    let rows = truce_ingest::reports(
        truce_ingest::rows::Format::Firms,
        csv.as_slice(),
        truce_ingest::rows::ActorMap::new(Vec::new()),
    )
    .unwrap();
    let mut s = Snapshot {
        log_size: 30_000,
        readings: vec![us_reading(0)],
        ..Default::default()
    };
    let mut index = 10u64;
    for row in rows {
        let truce_ingest::Row::Report { report, .. } = row else {
            panic!("the simulator's rows are valid: {row:?}")
        };
        let r = *report;
        s.reports.push(ReportIn {
            index,
            entry_id: format!("{index:064x}").parse().unwrap(),
            author: id("firms").into(),
            role: Role::OpenData,
            id: r.id,
            act: r.act,
            perpetrator: None,
            relays: None,
            denies: Vec::new().into(),
            point: [r.location.point.lon(), r.location.point.lat()],
            uncertainty_m: r.location.uncertainty_m,
            start: r.time.start.0.as_second(),
            end: r.time.end.0.as_second(),
            target: None,
            static_source: r.attributes.get("type").map(String::as_str) == Some("2"),
        });
        index += 1;
    }
    assert_eq!(s.reports.len(), 20_000);
    // Each flare sits at a refinery or gas plant: list them as protected sites.
    let flares: Vec<[f64; 2]> = world.hotspots().iter().map(|h| [h.lon, h.lat]).collect();
    for (k, p) in flares.iter().enumerate() {
        s.sites.push(site(
            k as u64 + 1,
            "ru",
            &format!("refinery-{k}"),
            "energy.oil.refinery",
            *p,
            0,
        ));
    }
    // ua reports Russian strikes on the first refinery on five separate days, during a daytime
    // pass, so that each allegation pulls that day's flare detections into its incident.
    let struck = flares[0];
    let days = [3i64, 9, 17, 23, 28];
    for (n, d) in days.iter().enumerate() {
        let at = t("2025-03-18T10:00:00Z") + d * 86_400;
        let mut r = rep(
            index + n as u64,
            "ua",
            Role::Belligerent,
            Act::MissileStrike,
            Some("ru"),
            struck,
            300,
            at,
        );
        r.id = id(&format!("refinery-strike-{n}"));
        s.reports.push(r);
    }
    let j = judge(&s, &Params::default());
    assert!(
        j.baseline.hot_spots >= flares.len() as u64,
        "{:?}",
        j.baseline
    );
    // No finding from a flare alone is undetermined (or a breach): every incident of detections
    // at a flare is routine.
    let near_flare = |p: [f64; 2]| flares.iter().any(|f| truce_geo::distance_m(*f, p) < 100.0);
    let flare_only: BTreeSet<&str> = j
        .incidents
        .iter()
        .filter(|i| {
            i.members
                .iter()
                .all(|m| m.act == Act::FireObserved && near_flare(m.point))
        })
        .map(|i| i.id.as_str())
        .collect();
    // Routine and alleged by nobody, flare detections are background (truce-rules/6).
    let routine_background = j
        .background_full(&s)
        .filter(|b| b.detection.routine.is_some() && near_flare(b.detection.point))
        .count();
    assert!(routine_background > 100, "{routine_background}");
    assert!(flare_only.is_empty(), "{flare_only:?}");
    for f in j
        .findings
        .iter()
        .filter(|f| flare_only.contains(f.incident.as_str()))
    {
        assert!(
            matches!(f.outcome, Outcome::NoBreach | Outcome::OutOfScope),
            "{f:#?}"
        );
    }
    // The refinery struck on five days keeps five incidents, each judged on the allegation with
    // the flare set aside.
    let strikes: Vec<_> = j
        .incidents
        .iter()
        .filter(|i| {
            i.members
                .iter()
                .any(|m| m.id.as_str().starts_with("refinery-strike-"))
        })
        .collect();
    assert_eq!(strikes.len(), 5);
    for i in strikes {
        assert_eq!(
            i.members
                .iter()
                .filter(|m| m.id.as_str().starts_with("refinery-strike-"))
                .count(),
            1
        );
        let f = j.findings.iter().find(|f| f.incident == i.id).unwrap();
        assert_eq!(f.words, "alleged breach", "{f:#?}");
        if i.members.len() > 1 {
            assert!(i
                .grade_reasons
                .iter()
                .any(|r| r.contains("judged on the other evidence")));
        }
    }
}
