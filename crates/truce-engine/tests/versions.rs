//! Versions, not overwrites (truce-rules/3): each incident is judged under the version of a
//! reading or site listing in force at its start; a version filed later never re-judges the past
//! silently, and one made retroactive on purpose is flagged in every finding it decides.

mod common;
use common::{id, site, t};
use truce_engine::input::{ReadingIn, ReportIn};
use truce_engine::{judge, Finding, Judgement, Outcome, Params, Snapshot};
use truce_model::domain::{Act, Reading, Role};

fn version(index: u64, filed: &str, effective: Option<&str>, start: &str) -> ReadingIn {
    let text = format!(
        "agreement = \"energy-moratorium-2025\"\n[source]\ntitle = \"t\"\ndate = 2025-03-18\n[terms]\nprohibited_acts = [\"strike\"]\nprotected = [\"energy.*\"]\nbound = [\"ru\", \"ua\"]\nwindow = {{ start = {start}, duration_days = 30 }}\n"
    );
    let reading: Reading = toml::from_str(&text).unwrap();
    ReadingIn {
        index,
        author: id("ru"),
        filed: t(filed),
        effective: t(effective.unwrap_or(filed)),
        reading,
    }
}

fn strike(index: u64, at: &str, point: [f64; 2]) -> ReportIn {
    ReportIn {
        index,
        entry_id: format!("{index:064x}").parse().unwrap(),
        author: id("ua").into(),
        role: Role::Belligerent,
        id: id(&format!("r{index}")),
        act: Act::Strike,
        perpetrator: Some(id("ru").into()),
        relays: None,
        denies: Vec::new().into(),
        point,
        uncertainty_m: 300,
        start: t(at),
        end: t(at) + 3_600,
        target: None,
        static_source: false,
    }
}

const PLANT: [f64; 2] = [32.55, 46.65];
const DEPOT: [f64; 2] = [33.0, 47.0];

/// ru's reading filed 25 March, in force from 18 March (as the demo's), and strikes on 21 and
/// 28 March and 5 April at a listed plant.
fn base() -> Snapshot {
    Snapshot {
        log_size: 100,
        reports: vec![
            strike(10, "2025-03-21T10:00:00Z", PLANT),
            strike(11, "2025-03-28T10:00:00Z", PLANT),
            strike(12, "2025-04-05T10:00:00Z", PLANT),
        ],
        sites: vec![site(1, "ua", "plant", "energy.power.plant", PLANT, 0)],
        readings: vec![version(
            5,
            "2025-03-25T15:00:00Z",
            Some("2025-03-18T00:00:00+03:00"),
            "2025-03-18T00:00:00+03:00",
        )],
        ..Default::default()
    }
}

fn outcomes(j: &Judgement) -> Vec<(String, Outcome, bool, u64)> {
    j.findings
        .iter()
        .map(|f: &Finding| (f.day.clone(), f.outcome, f.retroactive, f.version))
        .collect()
}

#[test]
fn a_reading_refiled_later_never_rejudges_the_past_silently() {
    let before = judge(&base(), &Params::default());
    assert_eq!(
        outcomes(&before),
        [
            ("2025-03-21".into(), Outcome::Breach, true, 5),
            ("2025-03-28".into(), Outcome::Breach, false, 5),
            ("2025-04-05".into(), Outcome::Breach, false, 5),
        ],
        "the first version is retroactive for the incident before its filing only"
    );

    // Re-filed on 20 April with start 1 April and no `effective_from`: applies from 20 April,
    // so no finding about an incident before 20 April changes.
    let mut s = base();
    s.readings.push(version(
        50,
        "2025-04-20T09:00:00Z",
        None,
        "2025-04-01T00:00:00+03:00",
    ));
    assert_eq!(
        serde_json::to_string(&judge(&s, &Params::default()).findings).unwrap(),
        serde_json::to_string(&before.findings).unwrap()
    );

    // The same re-filing made retroactive (effective from 18 March): it decides every incident
    // from 18 March on, each finding flagged, and the strikes before 1 April fall out of scope.
    let mut s = base();
    s.readings.push(version(
        50,
        "2025-04-20T09:00:00Z",
        Some("2025-03-18T00:00:00+03:00"),
        "2025-04-01T00:00:00+03:00",
    ));
    let after = judge(&s, &Params::default());
    assert_eq!(
        outcomes(&after),
        [
            ("2025-03-21".into(), Outcome::OutOfScope, true, 50),
            ("2025-03-28".into(), Outcome::OutOfScope, true, 50),
            ("2025-04-05".into(), Outcome::Breach, true, 50),
        ]
    );
    for f in &after.findings {
        let v = f.reasons.iter().find(|r| r.rule == "version").unwrap();
        assert!(
            v.text.contains("RETROACTIVE") && v.text.contains("entry 50"),
            "{}",
            v.text
        );
    }
    // What was known before the re-filing is the snapshot without it: unchanged.
    assert_eq!(
        serde_json::to_string(&judge(&base(), &Params::default())).unwrap(),
        serde_json::to_string(&before).unwrap()
    );
}

#[test]
fn before_any_version_the_party_had_no_reading_in_force() {
    let mut s = base();
    // Filed 25 March with no `effective_from`: the 21 March strike is out of scope, said so.
    s.readings = vec![version(
        5,
        "2025-03-25T15:00:00Z",
        None,
        "2025-03-18T00:00:00+03:00",
    )];
    let j = judge(&s, &Params::default());
    let f = &j.findings[0];
    assert_eq!(
        (f.day.as_str(), f.outcome),
        ("2025-03-21", Outcome::OutOfScope)
    );
    assert!(
        f.reasons[0].text.contains("had no reading in force"),
        "{:?}",
        f.reasons
    );
    assert_eq!(j.findings[1].outcome, Outcome::Breach);
}

#[test]
fn a_site_listed_after_the_incident_protects_nothing_in_it_unless_flagged_retroactive() {
    let mut s = base();
    s.reports = vec![strike(10, "2025-03-28T10:00:00Z", DEPOT)];
    // The depot listed on 2 April, after it burned on 28 March.
    let mut depot = site(20, "ua", "depot", "energy.oil.storage", DEPOT, 0);
    depot.filed = t("2025-04-02T00:00:00Z");
    depot.effective = depot.filed;
    s.sites.push(depot.clone());
    let j = judge(&s, &Params::default());
    let f = &j.findings[0];
    assert_eq!(f.outcome, Outcome::OutOfScope, "{f:#?}");
    assert!(f
        .reasons
        .iter()
        .any(|r| r.rule == "version" && r.text.contains("after this incident began")));
    // Listed with effect from 18 March: it counts, and the finding says it is retroactive.
    depot.effective = t("2025-03-18T00:00:00Z");
    s.sites[1] = depot;
    let j = judge(&s, &Params::default());
    let f = &j.findings[0];
    assert_eq!(f.outcome, Outcome::Breach);
    assert!(f.retroactive);
}

#[test]
fn after_a_lapse_a_strike_is_out_of_scope_whatever_the_reading_says() {
    let mut s = base();
    // An open-ended reading, and the phase lapsed on 18 April.
    let mut open = version(5, "2025-03-18T15:00:00Z", None, "2025-03-18T00:00:00+03:00");
    open.reading.terms.window.duration_days = None;
    s.readings = vec![open];
    s.reports = vec![
        strike(10, "2025-04-05T10:00:00Z", PLANT),
        strike(11, "2025-05-10T10:00:00Z", PLANT),
    ];
    let j = judge(&s, &Params::default());
    assert_eq!(
        j.findings[1].outcome,
        Outcome::Breach,
        "open-ended, no lapse yet"
    );
    s.ends.insert(
        id("energy-moratorium-2025"),
        vec![truce_engine::input::EndIn {
            at: t("2025-04-18T17:00:00Z"),
            index: 70,
            phase: id("energy-moratorium"),
            status: "lapsed".into(),
        }],
    );
    let j = judge(&s, &Params::default());
    assert_eq!(j.findings[0].outcome, Outcome::Breach);
    let may = &j.findings[1];
    assert_eq!(may.outcome, Outcome::OutOfScope);
    let w = may.reasons.iter().find(|r| r.rule == "window").unwrap();
    assert!(
        w.text
            .contains("the phase energy-moratorium lapsed from 2025-04-18T17:00:00Z"),
        "{}",
        w.text
    );
}
