//! The engine end to end on constructed snapshots: the Sudzha case under two readings, the
//! release clause, routine flaring, zones and imprecise times; and properties: order
//! independence, no same-side corroboration, reasons that name the deciding site and distance.

mod common;
use common::{assessment, id, reading, site, t};
use proptest::prelude::*;
use truce_engine::input::{AssessmentIn, InvocationIn, PolicyIn, ReadingIn, ReportIn};
use truce_engine::{
    judge, AttributionGrade, Finding, Grade, Judgement, Outcome, Params, Snapshot, Standing,
};
use truce_model::domain::{Act, Role, Verdict};
use truce_model::geo::Geometry;

/// A report with everything the engine reads (a test helper: every field is an argument).
#[allow(clippy::too_many_arguments)]
fn report(
    index: u64,
    author: &str,
    role: Role,
    rid: &str,
    act: Act,
    perp: Option<&str>,
    point: [f64; 2],
    unc: u32,
    start: &str,
    end: &str,
) -> ReportIn {
    ReportIn {
        index,
        entry_id: format!("{index:064x}").parse().unwrap(),
        author: id(author).into(),
        role,
        id: id(rid),
        act,
        perpetrator: perp.map(id).map(Into::into),
        relays: None,
        denies: Vec::new().into(),
        point,
        uncertainty_m: unc,
        start: t(start),
        end: t(end),
        target: None,
        static_source: false,
    }
}

fn ru_reading() -> ReadingIn {
    reading(
        100,
        "ru",
        r#"prohibited_acts = ["strike", "sabotage"]
protected = ["set:kremlin-2025-03-25"]
bound = ["ru", "ua"]
release = [{ kind = "violation-frees-other-side", text = "a violation frees the other side" }]
window = { start = 2025-03-18T00:00:00+03:00, duration_days = 30 }"#,
    )
}

fn ua_reading() -> ReadingIn {
    reading(
        101,
        "ua",
        r#"prohibited_acts = ["strike"]
protected = ["energy.*"]
bound = ["ru", "ua"]
window = { start = 2025-03-25T00:00:00+03:00, duration_days = 30 }"#,
    )
}

/// The Sudzha reports of 20–21 March 2025 as in the demo scenario.
fn sudzha() -> Snapshot {
    Snapshot {
        log_size: 200,
        reports: vec![
            report(
                10,
                "firms",
                Role::OpenData,
                "synthetic-sudzha-2025-03-20",
                Act::FireObserved,
                None,
                [35.275, 51.195],
                375,
                "2025-03-20T20:22:00Z",
                "2025-03-20T20:22:00Z",
            ),
            report(
                11,
                "ru",
                Role::Belligerent,
                "sudzha-gms-2025-03-21",
                Act::Sabotage,
                Some("ua"),
                [35.27, 51.19],
                3000,
                "2025-03-21T00:10:00+03:00",
                "2025-03-21T00:30:00+03:00",
            ),
            report(
                12,
                "ua",
                Role::Belligerent,
                "sudzha-shelling-2025-03-21",
                Act::Shelling,
                Some("ru"),
                [35.27, 51.19],
                3000,
                "2025-03-21T00:00:00+03:00",
                "2025-03-21T03:00:00+03:00",
            ),
        ],
        sites: vec![
            site(
                5,
                "ru",
                "sudzha-gms",
                "energy.gas.metering",
                [35.27, 51.19],
                3000,
            ),
            site(6, "ru", "kursk-npp", "energy.nuclear", [35.61, 51.68], 2000),
        ],
        readings: vec![ru_reading(), ua_reading()],
        assessments: ["ua", "ru"]
            .into_iter()
            .enumerate()
            .map(|(k, party)| {
                assessment(
                    13 + k as u64,
                    "monitor",
                    "officer1",
                    Some(party),
                    &[11, 12, 10],
                    Verdict::Unverifiable,
                )
            })
            .collect(),
        policies: vec![PolicyIn {
            index: 3,
            quorum: 2,
        }],
        ..Default::default()
    }
}

fn finding<'a>(j: &'a Judgement, reading: &str) -> &'a Finding {
    j.findings
        .iter()
        .find(|f| f.reading.as_str() == reading)
        .unwrap()
}

#[test]
fn sudzha_clusters_with_the_detection_and_the_readings_disagree() {
    let j = judge(&sudzha(), &Params::default());
    assert_eq!(j.incidents.len(), 1, "{:#?}", j.incidents);
    let inc = &j.incidents[0];
    assert_eq!(inc.members.len(), 3);
    // Occurrence: the detection and both sides report it.
    assert_eq!(inc.occurrence, Grade::Corroborated);
    assert!(inc.disputed, "sabotage by ua vs shelling by ru");
    assert_eq!(inc.sides, ["party:ru", "party:ua", "sensor:firms"]);
    assert_eq!(inc.day, "2025-03-20");
    // Attribution: each side names the other; one officer's "unverifiable" is short of the
    // two-officer policy, so the source grade stands.
    for a in &inc.alleged {
        assert_eq!(a.grade, AttributionGrade::Disputed, "{a:#?}");
        assert_eq!(a.standing, Standing::Alleged);
    }
    assert_eq!(inc.reviews.len(), 2);
    assert!(inc
        .reviews
        .iter()
        .all(|r| r.state == "pending" && r.quorum == 2));

    let ru = finding(&j, "ru");
    assert_eq!(ru.outcome, Outcome::Breach);
    assert_eq!(ru.standing, Standing::Alleged);
    assert_eq!(ru.words, "alleged breach");
    let site = ru.site.as_ref().unwrap();
    assert_eq!((site.id.as_str(), site.distance_m), ("sudzha-gms", 0));
    let target = ru.reasons.iter().find(|r| r.rule == "target").unwrap();
    assert!(
        target.text.contains("ru/sudzha-gms") && target.text.contains(" 0 m"),
        "{}",
        target.text
    );
    // Both blamed parties breach under Russia's reading (sabotage and shelling are prohibited).
    assert!(ru.attributions.iter().all(|a| a.outcome == Outcome::Breach));

    let ua = finding(&j, "ua");
    assert_eq!(ua.outcome, Outcome::OutOfScope);
    let w = ua.reasons.iter().find(|r| r.rule == "window").unwrap();
    assert_eq!(w.holds, "no");
    assert!(w.text.contains("2025-03-24T21:00:00Z"), "{}", w.text);

    // Deterministic: the same snapshot gives the same bytes.
    let again = judge(&sudzha(), &Params::default());
    assert_eq!(
        serde_json::to_string(&j).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
    let text = truce_engine::explain(inc, &j.findings.iter().collect::<Vec<_>>());
    assert!(
        text.contains("ALLEGED BREACH") && text.contains("OUT OF SCOPE"),
        "{text}"
    );
}

#[test]
fn the_act_is_judged_per_blamed_party() {
    // Under Ukraine's reading (strikes only), inside its window: the shelling blamed on ru is a
    // breach, the sabotage blamed on ua is not a prohibited act.
    let mut s = sudzha();
    for r in &mut s.reports {
        r.start += 10 * 86_400;
        r.end += 10 * 86_400;
    }
    s.assessments.clear();
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents[0].occurrence, Grade::Corroborated);
    assert!(j.incidents[0].disputed);
    let ua = finding(&j, "ua");
    assert_eq!(ua.outcome, Outcome::Breach);
    let by = |p: &str| {
        ua.attributions
            .iter()
            .find(|a| a.party.as_str() == p)
            .unwrap()
            .outcome
    };
    assert_eq!(by("ru"), Outcome::Breach);
    assert_eq!(by("ua"), Outcome::NoBreach);
}

#[test]
fn release_needs_a_qualifying_breach_and_an_invocation() {
    let base = Snapshot {
        log_size: 10,
        reports: vec![
            // ua blamed, corroborated by a detection: 19 March.
            report(
                1,
                "firms",
                Role::OpenData,
                "det-1",
                Act::FireObserved,
                None,
                [40.603, 45.447],
                375,
                "2025-03-18T23:10:00Z",
                "2025-03-18T23:10:00Z",
            ),
            report(
                2,
                "ru",
                Role::Belligerent,
                "kavkazskaya",
                Act::DroneStrike,
                Some("ua"),
                [40.60, 45.45],
                5000,
                "2025-03-19T00:00:00+03:00",
                "2025-03-19T08:00:00+03:00",
            ),
            // ru blamed later, at a protected Ukrainian site.
            report(
                3,
                "ua",
                Role::Belligerent,
                "kherson",
                Act::DroneStrike,
                Some("ru"),
                [32.55, 46.65],
                3000,
                "2025-04-04T00:00:00+03:00",
                "2025-04-05T00:00:00+03:00",
            ),
        ],
        sites: vec![
            site(
                4,
                "ru",
                "kavkazskaya-ops",
                "energy.oil.pumping",
                [40.6, 45.45],
                5000,
            ),
            site(
                5,
                "ua",
                "kherson-tpp",
                "energy.power.plant",
                [32.55, 46.65],
                3000,
            ),
        ],
        readings: vec![ru_reading(), ua_reading()],
        ..Default::default()
    };
    // ru's own allegation plus a satellite pixel: occurrence corroborated, attribution alleged.
    // No release: the freed party's own allegation never qualifies.
    let j = judge(&base, &Params::default());
    assert_eq!(j.incidents[0].occurrence, Grade::Corroborated);
    assert_eq!(j.incidents[0].alleged[0].grade, AttributionGrade::Alleged);
    let ru: Vec<&Finding> = j
        .findings
        .iter()
        .filter(|f| f.reading.as_str() == "ru")
        .collect();
    assert_eq!(ru[0].words, "alleged breach");
    assert_eq!(ru[1].outcome, Outcome::Breach, "{:#?}", ru[1]);
    assert_eq!(ru[1].attributions[0].released_by, None);
    assert_eq!(ru[1].attributions[0].release_available, None);

    // Two monitor officers verify the attribution to ua: established. Release is available to
    // ru but not invoked.
    let mut s = base.clone();
    s.policies = vec![PolicyIn {
        index: 0,
        quorum: 2,
    }];
    s.assessments = vec![
        assessment(
            6,
            "monitor",
            "officer1",
            Some("ua"),
            &[2],
            Verdict::Verified,
        ),
        assessment(
            7,
            "monitor",
            "officer2",
            Some("ua"),
            &[2],
            Verdict::Verified,
        ),
    ];
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents[0].alleged[0].grade, AttributionGrade::Verified);
    let ru: Vec<&Finding> = j
        .findings
        .iter()
        .filter(|f| f.reading.as_str() == "ru")
        .collect();
    assert_eq!(ru[0].words, "established breach");
    assert_eq!(ru[1].outcome, Outcome::Breach);
    assert_eq!(
        ru[1].attributions[0].release_available.as_deref(),
        Some(ru[0].incident.as_str())
    );
    assert!(ru[1]
        .reasons
        .iter()
        .any(|r| r.rule == "release" && r.text.contains("release available, not invoked")));

    // ru invokes the clause citing the Kavkazskaya report: released from the invocation on.
    s.invocations = vec![InvocationIn {
        index: 8,
        author: id("ru"),
        time: t("2025-03-20T12:00:00Z"),
        agreement: id("energy-moratorium-2025"),
        against: id("ua"),
        reports: vec![format!("{:064x}", 2)],
    }];
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents.len(), 2);
    assert_eq!(j.incidents[0].occurrence, Grade::Corroborated);
    let ru: Vec<&Finding> = j
        .findings
        .iter()
        .filter(|f| f.reading.as_str() == "ru")
        .collect();
    assert_eq!(ru[0].outcome, Outcome::Breach);
    assert_eq!(ru[1].outcome, Outcome::NoBreach, "{:#?}", ru[1]);
    assert_eq!(
        ru[1].attributions[0].released_by.as_deref(),
        Some(ru[0].incident.as_str())
    );
    assert_eq!(ru[1].attributions[0].invocation, Some(8));
    assert!(ru[1]
        .reasons
        .iter()
        .any(|r| r.rule == "release" && r.text.contains("ru invoked it (entry 8)")));
    // Ukraine's reading has no release clause: the same incident is a breach by ru.
    let ua: Vec<&Finding> = j
        .findings
        .iter()
        .filter(|f| f.reading.as_str() == "ua")
        .collect();
    assert_eq!(ua[1].outcome, Outcome::Breach);
    let c = truce_engine::compliance(&j.findings);
    assert!(c.differences.iter().any(|d| d.incident == ru[1].incident));
}

#[test]
fn routine_flaring_is_not_taken_for_a_strike() {
    let flare = [49.1, 53.2];
    let mut reports = Vec::new();
    for d in 0..60 {
        let ts = jiff::Timestamp::from_second(t("2025-01-20T22:00:00Z") + d * 86_400)
            .unwrap()
            .to_string();
        reports.push(report(
            d as u64,
            "firms",
            Role::OpenData,
            &format!("flare-{d}"),
            Act::FireObserved,
            None,
            flare,
            375,
            &ts,
            &ts,
        ));
    }
    let n = reports.len() as u64;
    reports.push(report(
        n,
        "firms",
        Role::OpenData,
        "flare-late",
        Act::FireObserved,
        None,
        [49.1003, 53.2002],
        375,
        "2025-03-28T22:00:00Z",
        "2025-03-28T22:00:00Z",
    ));
    let s = Snapshot {
        log_size: 20,
        reports,
        sites: vec![site(
            n + 1,
            "ru",
            "refinery",
            "energy.oil.refinery",
            flare,
            0,
        )],
        readings: vec![ru_reading()],
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    assert!(j.baseline.hot_spots >= 1);
    // Routine and alleged by nobody: a background detection (truce-rules/6), no incident.
    let late = j
        .background_full(&s)
        .find(|b| b.detection.id.as_str() == "flare-late")
        .expect("the late flare is background");
    assert!(late
        .detection
        .routine
        .as_deref()
        .is_some_and(|r| r.contains("hot spot")));
    assert!(j.incidents.is_empty(), "{:?}", j.incidents);
    // A monitor assessing it makes it an incident: routine, so no breach.
    let mut s = s;
    let late_id = late.detection.entry_id.clone();
    s.assessments.push(AssessmentIn {
        index: n + 2,
        entry_id: "a1".into(),
        author: id("osce"),
        key: "k1".into(),
        question: truce_model::domain::Question::Occurrence,
        party: None,
        reports: vec![late_id],
        verdict: truce_model::domain::Verdict::Verified,
        text: String::new(),
    });
    let j = judge(&s, &Params::default());
    let inc = j
        .incidents
        .iter()
        .find(|i| i.members.iter().any(|m| m.id.as_str() == "flare-late"))
        .expect("an assessed detection is an incident");
    assert!(inc.routine);
    let f = j.findings.iter().find(|f| f.incident == inc.id).unwrap();
    assert_eq!(f.outcome, Outcome::NoBreach);
    assert!(f
        .reasons
        .iter()
        .any(|r| r.rule == "routine" && r.text.contains("hot spot")));
}

#[test]
fn an_imprecise_time_across_the_window_start_is_undetermined() {
    let s = Snapshot {
        log_size: 3,
        reports: vec![report(
            1,
            "ua",
            Role::Belligerent,
            "r",
            Act::Strike,
            Some("ru"),
            [32.55, 46.65],
            500,
            "2025-03-24T12:00:00+03:00",
            "2025-03-25T12:00:00+03:00",
        )],
        sites: vec![site(
            0,
            "ua",
            "kherson-tpp",
            "energy.power.plant",
            [32.55, 46.65],
            0,
        )],
        readings: vec![ua_reading()],
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    let f = &j.findings[0];
    assert_eq!(f.outcome, Outcome::Undetermined);
    let w = f.reasons.iter().find(|r| r.rule == "window").unwrap();
    assert_eq!(w.holds, "uncertain");
}

#[test]
fn zones_limit_where_a_reading_applies() {
    let terms = |zone: &str| {
        format!(
            r#"prohibited_acts = ["attack-on-vessels"]
protected = ["transport.port"]
bound = ["ru", "ua"]
zones = [{{ name = "Black Sea (west)", polygon = {zone} }}]
window = {{ start = 2025-03-25T00:00:00+03:00 }}"#
        )
    };
    let sea = "[[[29.0, 43.0], [35.0, 43.0], [35.0, 46.5], [29.0, 46.5], [29.0, 43.0]]]";
    let elsewhere = "[[[36.0, 43.0], [40.0, 43.0], [40.0, 45.0], [36.0, 45.0], [36.0, 43.0]]]";
    let odesa = [30.74, 46.49];
    let mk = |z: &str| Snapshot {
        log_size: 3,
        reports: vec![report(
            1,
            "ua",
            Role::Belligerent,
            "odesa-port",
            Act::AttackOnVessels,
            Some("ru"),
            odesa,
            200,
            "2025-03-27T12:00:00Z",
            "2025-03-27T13:00:00Z",
        )],
        sites: vec![site(0, "ua", "odesa-port", "transport.port", odesa, 0)],
        readings: vec![reading(2, "us", &terms(z))],
        ..Default::default()
    };
    let inside = judge(&mk(sea), &Params::default());
    assert_eq!(inside.findings[0].outcome, Outcome::Breach);
    assert!(inside.findings[0]
        .reasons
        .iter()
        .any(|r| r.rule == "zone" && r.holds == "yes"));
    let outside = judge(&mk(elsewhere), &Params::default());
    assert_eq!(outside.findings[0].outcome, Outcome::OutOfScope);
}

// ── properties ───────────────────────────────────────────────────────────────────────────────

fn arb_report(k: u64) -> impl Strategy<Value = ReportIn> {
    (
        0usize..5,
        0usize..3,
        (35.0f64..35.2, 51.0f64..51.15),
        prop_oneof![Just(0u32), Just(375), Just(3000), Just(40_000)],
        0i64..(5 * 86_400),
        prop_oneof![Just(0i64), Just(3_600), Just(86_400)],
        0usize..4,
    )
        .prop_map(move |(who, perp, (lon, lat), unc, start, dur, act)| {
            let (author, role) = [
                ("ru", Role::Belligerent),
                ("ua", Role::Belligerent),
                ("firms", Role::OpenData),
                ("monitor", Role::Monitor),
                ("acled", Role::OpenData),
            ][who];
            let act = if author == "firms" {
                Act::FireObserved
            } else {
                [Act::Strike, Act::Shelling, Act::Sabotage, Act::DroneStrike][act]
            };
            let perp = if author == "firms" {
                None
            } else {
                [None, Some("ru"), Some("ua")][perp]
            };
            // An open-data event record relays a party's claim when it blames the other one.
            let relays = match (author, perp) {
                ("acled", Some("ru")) => Some(id("ua")),
                _ => None,
            };
            let base = t("2025-03-24T00:00:00Z");
            ReportIn {
                index: k,
                entry_id: format!("{k:064x}").parse().unwrap(),
                author: id(author).into(),
                role,
                id: id(&format!("r{k}")),
                act,
                perpetrator: perp.map(id).map(Into::into),
                relays: relays.map(Into::into),
                denies: Vec::new().into(),
                point: [lon, lat],
                uncertainty_m: unc,
                start: base + start,
                end: base + start + dur,
                target: None,
                static_source: false,
            }
        })
}

fn arb_assessment(k: u64, n: u64) -> impl Strategy<Value = AssessmentIn> {
    (
        prop::collection::vec(0..n, 1..3),
        0usize..3,
        0usize..3,
        0usize..3,
    )
        .prop_map(move |(reports, officer, question, verdict)| {
            let party = [None, Some("ru"), Some("ua")][question];
            let mut a = assessment(
                2_000 + k,
                "observers",
                ["o1", "o2", "o3"][officer],
                party,
                &reports,
                [Verdict::Verified, Verdict::Dismissed, Verdict::Unverifiable][verdict],
            );
            a.text = String::new();
            a
        })
}

fn arb_snapshot() -> impl Strategy<Value = Snapshot> {
    (1usize..40, 0usize..6, 1u32..3).prop_flat_map(|(n, na, quorum)| {
        (
            (0..n as u64).map(arb_report).collect::<Vec<_>>(),
            (0..na as u64)
                .map(|k| arb_assessment(k, n as u64))
                .collect::<Vec<_>>(),
        )
            .prop_map(move |(reports, assessments)| Snapshot {
                log_size: 3000,
                reports,
                sites: vec![
                    site(
                        900,
                        "ru",
                        "sudzha-gms",
                        "energy.gas.metering",
                        [35.1, 51.07],
                        0,
                    ),
                    site(
                        901,
                        "ru",
                        "depot",
                        "energy.oil.storage",
                        [35.05, 51.12],
                        1000,
                    ),
                    site(902, "ua", "school", "telecom", [35.15, 51.02], 0),
                ],
                readings: vec![ru_reading(), ua_reading()],
                assessments,
                policies: vec![PolicyIn {
                    index: 1_000,
                    quorum,
                }],
                ..Default::default()
            })
    })
}

fn canonical(j: &Judgement) -> String {
    serde_json::to_string(j).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn judgement_is_independent_of_report_order(s in arb_snapshot(), seed in any::<u64>()) {
        let a = judge(&s, &Params::default());
        let mut shuffled = s.clone();
        // Fisher–Yates with a small LCG, so the permutation follows the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.reports.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (x >> 33) as usize % (i + 1);
            shuffled.reports.swap(i, j);
        }
        let b = judge(&shuffled, &Params::default());
        prop_assert_eq!(canonical(&a), canonical(&b));
    }

    #[test]
    fn reports_of_one_side_never_corroborate(s in arb_snapshot(), who in 0usize..3) {
        let author = ["ru", "ua", "firms"][who];
        let mut one = s.clone();
        one.reports.retain(|r| r.author.as_str() == author);
        let j = judge(&one, &Params::default());
        for i in &j.incidents {
            prop_assert!(i.occurrence != Grade::Corroborated, "{:?}", i);
            prop_assert!(i.sides.len() <= 1);
            for a in &i.alleged {
                prop_assert!(a.grade != AttributionGrade::Corroborated, "{:?}", a);
            }
        }
        // And in mixed snapshots, every corroborated incident has two independent origins, and
        // every corroborated attribution two origins naming the party.
        let j = judge(&s, &Params::default());
        for i in j.incidents.iter().filter(|i| i.occurrence == Grade::Corroborated) {
            prop_assert!(i.sides.len() >= 2);
        }
        for i in &j.incidents {
            for a in i.alleged.iter().filter(|a| a.grade == AttributionGrade::Corroborated) {
                prop_assert!(a.origins.len() >= 2, "{:?}", a);
            }
        }
    }

    #[test]
    fn a_satellite_never_raises_attribution_above_alleged(s in arb_snapshot(), who in 0usize..2) {
        // One party's reports and every sensor detection: the detections corroborate
        // occurrence, never attribution.
        let author = ["ru", "ua"][who];
        let mut one = s.clone();
        one.reports.retain(|r| r.author.as_str() == author || r.author.as_str() == "firms");
        one.assessments.clear();
        let j = judge(&one, &Params::default());
        for i in &j.incidents {
            for a in &i.alleged {
                prop_assert!(
                    matches!(
                        a.grade,
                        AttributionGrade::Alleged | AttributionGrade::Disputed | AttributionGrade::Admitted
                    ),
                    "{:?}", a
                );
                prop_assert!(a.standing != Standing::Corroborated);
            }
        }
        for f in &j.findings {
            for a in &f.attributions {
                prop_assert!(a.standing == Standing::Alleged || a.party.as_str() == author);
            }
        }
    }

    #[test]
    fn a_finding_names_the_site_and_the_distance_that_decided_it(s in arb_snapshot()) {
        let j = judge(&s, &Params::default());
        for f in &j.findings {
            let Some(site) = &f.site else { continue };
            let target = f.reasons.iter().find(|r| r.rule == "target").unwrap();
            let name = format!("{}/{}", site.lister, site.id);
            prop_assert!(target.text.contains(&name), "{} lacks {}", target.text, name);
            prop_assert!(target.text.contains(&format!("{} m", site.distance_m)), "{} lacks {} m", target.text, site.distance_m);
            // The distance is the geodesic one from the deciding report.
            let r = s.reports.iter().find(|r| format!("{}/{}", r.author, r.id) == site.report).unwrap();
            let sp = s.sites.iter().find(|x| x.id == site.id).unwrap();
            let Geometry::Point(p) = &sp.geometry else { unreachable!() };
            let d = truce_geo::distance_m(r.point, [p.lon(), p.lat()]);
            prop_assert_eq!(d.round() as u64, site.distance_m);
        }
    }
}

#[test]
fn a_large_incident_lists_each_conflict_once() {
    // 3,000 reports of one event with every act: the grade reasons name each incompatible pair of
    // acts once, not once per pair of reports (which would be millions of lines).
    let acts = [
        Act::Strike,
        Act::Shelling,
        Act::Sabotage,
        Act::GroundAssault,
        Act::FireObserved,
    ];
    let reports = (0..3_000u64)
        .map(|k| {
            let mut r = report(
                k,
                "ua",
                Role::Belligerent,
                &format!("r{k}"),
                acts[k as usize % 5],
                Some("ru"),
                [35.0 + (k % 10) as f64 * 1e-4, 51.0],
                500,
                "2025-03-27T12:00:00Z",
                "2025-03-27T13:00:00Z",
            );
            r.entry_id = format!("{k:064x}").parse().unwrap();
            r
        })
        .collect();
    let s = Snapshot {
        log_size: 3_001,
        reports,
        sites: vec![],
        readings: vec![ua_reading()],
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents.len(), 1);
    let i = &j.incidents[0];
    assert!(i.disputed);
    let conflicts = i
        .grade_reasons
        .iter()
        .filter(|r| r.contains(" says "))
        .count();
    // Of strike, shelling, sabotage and ground assault (a fire observed is compatible with
    // anything, shelling is a strike): 5 incompatible pairs, each named once.
    assert_eq!(conflicts, 5, "{:?}", i.grade_reasons);
}
