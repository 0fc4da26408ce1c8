//! The daily report at sensor scale: a judgement with 1,000,000 background detections and 30,000
//! incidents on one day (built directly, no engine run) gives a report of bounded size: the
//! detections only counted (by source, routine or not), never as incidents; at most
//! `NOTABLE_CAP` incidents listed, most important first, the rest counted by occurrence grade
//! with the command that lists them; capped reports, assessments, changed findings and warnings.
//! Sizes and counts are asserted, never times.

use truce_engine::input::ReportIn;
use truce_engine::{
    Allegation, AssessmentRef, AttributionGrade, BackgroundRef, Compliance, EntryId, Finding,
    Grade, Incident, Judged, Judgement, Member, Outcome, Party, Snapshot,
};
use truce_model::domain::{Act, Question, Role, Standing, Verdict};
use truce_model::Id;
use truce_report::{
    daily_with_changes, CheckpointInfo, DailyInput, Day, FindingChange, VersionChange,
    ASSESSMENTS_CAP, CHANGED_CAP, NOTABLE_CAP, REPORTS_CAP, WARNINGS_CAP,
};

const DETECTIONS: u64 = 1_000_000;
const INCIDENTS: u64 = 30_000;
/// Incidents with a finding of breach, alleged (the first of them also has a counted
/// assessment that establishes it).
const BREACHES: u64 = 100;
/// Incidents that are sensor detections out of scope of every reading: not notable.
const PLAIN: u64 = 5_000;

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

/// `2025-03-21T<h>:<m>:<s>Z` for second `k` of the day (modulo a day).
fn at(k: u64) -> String {
    let k = k % 86_400;
    format!(
        "2025-03-21T{:02}:{:02}:{:02}Z",
        k / 3600,
        (k / 60) % 60,
        k % 60
    )
}

fn detection(k: u64, start: String) -> Member {
    Member {
        index: k,
        entry_id: String::new(),
        author: id("firms"),
        role: Role::OpenData,
        id: id("d"),
        act: Act::FireObserved,
        perpetrator: None,
        relays: None,
        point: [35.0, 51.0],
        uncertainty_m: 375,
        end: start.clone(),
        start,
        side: "sensor:firms".into(),
        routine: k.is_multiple_of(10).then(|| "hot spot".to_string()),
        observed: None,
    }
}

/// 1,000,000 detections on 21 March, 1,000 on the 20th (every tenth at a hot spot): the
/// snapshot's reports, and the judgement's references to them with their one routine
/// description.
fn background() -> (Vec<ReportIn>, Vec<BackgroundRef>, Vec<String>) {
    const MARCH_21: i64 = 1_742_515_200;
    let firms: Party = id("firms").into();
    let d = id("d");
    let mut reports = Vec::with_capacity(1_001_000);
    let mut refs = Vec::with_capacity(1_001_000);
    let starts = (0..1_000)
        .map(|k: u64| (k, MARCH_21 - 12 * 3_600 + (k % 60) as i64 * 60))
        .chain((0..DETECTIONS).map(|k| (k, MARCH_21 + (k * 86_400 / DETECTIONS) as i64)));
    for (k, start) in starts {
        let index = reports.len() as u64;
        reports.push(ReportIn {
            index,
            entry_id: EntryId([0; 32]),
            author: firms.clone(),
            role: Role::OpenData,
            id: d.clone(),
            act: Act::FireObserved,
            perpetrator: None,
            relays: None,
            denies: Box::default(),
            point: [35.0, 51.0],
            uncertainty_m: 375,
            start,
            end: start,
            target: None,
            static_source: false,
        });
        refs.push(BackgroundRef {
            start,
            index,
            nth: 0,
            routine: if k.is_multiple_of(10) {
                0
            } else {
                BackgroundRef::NOT_ROUTINE
            },
        });
    }
    refs.sort_unstable();
    (reports, refs, vec!["hot spot".into()])
}

/// Incident `k`: the first BREACHES blamed on ru (an alleged breach under ru's reading, the
/// first established), then sensor detections near a protected site (undetermined: notable),
/// the last PLAIN out of scope (not notable). The first incident has 40 reports and 30
/// assessments.
fn incidents_and_findings() -> (Vec<Incident>, Vec<Finding>) {
    let mut incidents = Vec::with_capacity(INCIDENTS as usize);
    let mut findings = Vec::with_capacity(INCIDENTS as usize);
    for k in 0..INCIDENTS {
        let start = at(k * 2);
        let blamed = k < BREACHES;
        let mut members = vec![detection(k, start.clone())];
        if blamed {
            let mut claim = detection(k, start.clone());
            claim.author = id("ua");
            claim.role = Role::Belligerent;
            claim.side = "party:ua".into();
            claim.act = Act::Shelling;
            claim.perpetrator = Some(id("ru"));
            claim.routine = None;
            members.push(claim);
        }
        for m in &mut members {
            m.routine = None;
        }
        if k == 0 {
            for n in 0..38 {
                members.push(detection(100 + n, start.clone()));
            }
        }
        let inc = format!("inc-{k:06}");
        let standing = if k == 0 {
            Standing::Established
        } else {
            Standing::Alleged
        };
        incidents.push(Incident {
            id: inc.clone(),
            start: start.clone(),
            end: start.clone(),
            day: "2025-03-21".into(),
            point: [35.0, 51.0],
            uncertainty_m: 375,
            occurrence: if blamed {
                Grade::Corroborated
            } else {
                Grade::Reported
            },
            disputed: false,
            sides: members.iter().map(|m| m.side.clone()).collect(),
            acts: vec![Act::FireObserved],
            alleged: if blamed {
                vec![Allegation {
                    party: id("ru"),
                    by: vec![id("ua")],
                    origins: vec!["party:ua".into()],
                    grade: if k == 0 {
                        AttributionGrade::Verified
                    } else {
                        AttributionGrade::Alleged
                    },
                    standing,
                    reasons: vec!["named by ua".into()],
                }]
            } else {
                Vec::new()
            },
            routine: false,
            grade_reasons: vec!["one origin reports it".into()],
            reviews: Vec::new(),
            assessments: if k == 0 {
                (0..30)
                    .map(|n| AssessmentRef {
                        index: 500 + n,
                        entry_id: String::new(),
                        author: id("osce"),
                        officer: format!("k{n}"),
                        question: Question::Attribution,
                        party: Some(id("ru")),
                        verdict: Verdict::Verified,
                        counted: n % 2 == 0,
                        note: None,
                        text: "seen".into(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            members,
            vessels: Vec::new(),
        });
        let outcome = if blamed {
            Outcome::Breach
        } else if k >= INCIDENTS - PLAIN {
            Outcome::OutOfScope
        } else {
            Outcome::Undetermined
        };
        findings.push(Finding {
            incident: inc,
            agreement: id("moratorium"),
            reading: id("ru"),
            outcome,
            standing,
            words: truce_engine::outcome_words(outcome, standing),
            occurrence: Grade::Reported,
            day: "2025-03-21".into(),
            attributions: if blamed {
                vec![truce_engine::Attribution {
                    party: id("ru"),
                    alleged_by: vec![id("ua")],
                    outcome,
                    grade: AttributionGrade::Alleged,
                    standing,
                    released_by: None,
                    invocation: None,
                    release_available: None,
                }]
            } else {
                Vec::new()
            },
            site: None,
            reasons: Vec::new(),
            version: 1,
            retroactive: false,
            rules: "truce-rules/6".into(),
        });
    }
    (incidents, findings)
}

#[test]
fn a_million_detections_and_thirty_thousand_incidents_give_a_bounded_report() {
    let (incidents, findings) = incidents_and_findings();
    let (reports, background, routines) = background();
    let judgement = Judgement {
        rules: "truce-rules/6".into(),
        log_size: 2_000_000,
        baseline: serde_json::from_value(serde_json::json!({
            "learned_from": 0, "hot_spots": 0, "routine_detections": 0
        }))
        .unwrap(),
        incidents,
        background,
        routines,
        findings,
        warnings: (0..10_000).map(|k| format!("warning {k}")).collect(),
    };
    let j = Judged {
        snapshot: Snapshot {
            log_size: 2_000_000,
            reports,
            ..Default::default()
        },
        judgement,
    };
    let comp = Compliance {
        rows: Vec::new(),
        totals: Vec::new(),
        differences: Vec::new(),
    };
    // A change to ru's reading filed on the day that changed 10,000 findings.
    let mut change = VersionChange {
        agreement: "moratorium".into(),
        party: "ru".into(),
        version: 2,
        index: 40,
        entry_id: "ab".repeat(32),
        filed: "2025-03-21T09:00:00Z".into(),
        effective_from: "2025-03-21T09:00:00Z".into(),
        time_zone: "UTC".into(),
        retroactive: false,
        changes: Vec::new(),
        findings_changed: (0..10_000)
            .map(|k| FindingChange {
                incident: format!("inc-{k:06}"),
                day: "2025-03-21".into(),
                before: "out of scope".into(),
                after: "undetermined".into(),
                retroactive: false,
            })
            .collect(),
        findings_changed_total: None,
        sentence: String::new(),
    };
    change.sentence = truce_report::sentence(&change);
    let clock = std::time::Instant::now();
    let r = daily_with_changes(
        &DailyInput {
            day: Day::parse("2025-03-21", "UTC").unwrap(),
            judgement: &j,
            compliance: &comp,
            commitments: &[],
            checkpoint: CheckpointInfo {
                origin: "example.org/log".into(),
                size: 2_000_000,
                root: "ROOT=".into(),
                note: "example.org/log\n2000000\nROOT=\n\n— example.org/log sig\n".into(),
            },
            rules: "truce-rules/6".into(),
        },
        &[change],
    );

    eprintln!(
        "computed in {:?} (informative, not asserted)",
        clock.elapsed()
    );

    // Detections: counted apart, by source, routine or not; never incidents.
    let o = &r.observations;
    assert_eq!(
        (o.detections.day, o.detections.previous),
        (DETECTIONS, 1_000)
    );
    assert_eq!((o.routine.day, o.routine.previous), (DETECTIONS / 10, 100));
    assert_eq!(o.by_source.len(), 1);
    assert_eq!(o.by_source[0].source, "sensor:firms");
    assert_eq!(o.by_source[0].detections.day, DETECTIONS);
    assert_eq!(r.summary.incidents.day, INCIDENTS);
    assert_eq!(r.summary.routine.day, 0);

    // Notable: all but the PLAIN ones; NOTABLE_CAP listed, most important first.
    let u = &r.unlisted;
    assert_eq!(u.notable, INCIDENTS - PLAIN);
    assert_eq!(r.incidents.len(), NOTABLE_CAP);
    assert_eq!(u.beyond_cap.total, INCIDENTS - PLAIN - NOTABLE_CAP as u64);
    assert_eq!(u.not_notable.total, PLAIN);
    assert_eq!(u.not_notable.by_occurrence["reported"], PLAIN);
    assert_eq!(
        u.beyond_cap.by_occurrence["corroborated"] + u.beyond_cap.by_occurrence["reported"],
        u.beyond_cap.total
    );
    assert_eq!(
        u.command,
        "truce --dir DIR incidents --from 2025-03-21 --to 2025-03-21"
    );
    assert_eq!(
        u.api,
        "GET /v1/incidents?from=2025-03-21T00:00:00Z&to=2025-03-21T23:59:59Z"
    );
    let first = &r.incidents[0];
    assert_eq!(first.id, "inc-000000");
    assert_eq!(first.breach_standing.as_deref(), Some("established"));
    assert_eq!(first.notable, ["breach", "allegation", "monitor"]);
    // Then the alleged breaches, by start.
    assert_eq!(r.incidents[1].id, "inc-000001");
    assert!(r.incidents[1..]
        .iter()
        .all(|i| i.breach_standing.as_deref() == Some("alleged")));
    // Capped lists under an incident, claims first, with their totals.
    assert_eq!(first.reports_total, 40);
    assert_eq!(first.reports.len(), REPORTS_CAP);
    assert!(first.reports.iter().any(|m| m.side == "party:ua"));
    assert_eq!(first.assessments_total, 30);
    assert_eq!(first.assessments.len(), ASSESSMENTS_CAP);
    assert_eq!(first.assessments.iter().filter(|a| a.counted).count(), 15);
    // Changed findings and warnings, capped.
    assert_eq!(r.changes[0].findings_changed.len(), CHANGED_CAP);
    assert_eq!(r.changes[0].findings_changed_total, Some(10_000));
    assert!(r.changes[0].sentence.ends_with("10000 findings change"));
    assert_eq!(r.warnings.len(), WARNINGS_CAP + 1);
    assert_eq!(
        r.warnings.last().map(String::as_str),
        Some("… and 9950 more warning(s), not shown")
    );

    // Bounded renderings.
    let (json, md, html) = (r.to_json(), r.to_markdown(), r.to_html());
    for (what, text) in [("JSON", &json), ("Markdown", &md), ("HTML", &html)] {
        assert!(text.len() < 1_000_000, "{what}: {} bytes", text.len());
    }
    eprintln!(
        "sizes: JSON {} B, Markdown {} B, HTML {} B",
        json.len(),
        md.len(),
        html.len()
    );
    assert!(md.contains("## Notable incidents (50 of 25,000)"), "{md}");
    assert!(md.contains(
        "The 50 most important of 25,000 notable incidents; the other 24,950 are counted below."
    ));
    assert!(md.contains("Sensor detections on the day in no incident: 1,000,000 (+999,000) (change from 2025-03-20), of which routine (persistent hot spots): 100,000 (+99,900)."), "{md}");
    assert!(md.contains("| sensor:firms | 1,000,000 (+999,000) | 100,000 (+99,900) |"));
    assert!(
        md.contains(
            "- notable incidents beyond the first 50: 24,950 (corroborated 50; reported 24,900)"
        ),
        "{md}"
    );
    assert!(md.contains("- incidents that are not notable: 5,000 (reported 5,000)"));
    assert!(md.contains("`truce --dir DIR incidents --from 2025-03-21 --to 2025-03-21`"));
    assert!(
        md.contains("  - … and 20 more report(s) (`truce explain inc-000000` lists them all)"),
        "{md}"
    );
    assert!(
        md.contains("- … and 10 more assessment(s) (`truce explain inc-000000` lists them all)")
    );
    assert!(md.contains("  - … and 9,950 more finding(s) changed (`truce agreement history moratorium` lists them all)"));
    assert!(md.contains("- Listed for: established breach under some reading; a party named as perpetrator; a monitor's report or assessment"), "{md}");
    assert!(html.contains("<h2>Notable incidents (50 of 25,000)</h2>"));
    assert!(html.contains(
        "<li>notable incidents beyond the first 50: 24,950 (corroborated 50; reported 24,900)</li>"
    ));
    assert!(html.contains(
        "… and 20 more report(s) (<code>truce explain inc-000000</code> lists them all)"
    ));
    // The JSON reads back as the same report.
    let back: truce_report::DailyReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}
