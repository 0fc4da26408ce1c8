//! The lifecycle of an agreement (truce-rules/4): extensions take effect only once every party
//! the reading requires consented to the same end, from the last consent; a collapse ends the
//! window whatever was extended, and a lapse does too unless an extension was in force before
//! it; conditions precedent keep a reading out of force until met, never retroactively unless a
//! version says so (flagged).

mod common;
use common::{id, site, t};
use truce_engine::input::{ConditionIn, EndIn, ExtensionIn, ReadingIn, ReportIn};
use truce_engine::{judge, Finding, Judgement, Outcome, Params, Snapshot};
use truce_model::domain::{Act, Reading, Role};
use truce_model::lifecycle::ConditionStatus;

const AGREEMENT: &str = "energy-moratorium-2025";
const PLANT: [f64; 2] = [32.55, 46.65];
/// ru's window: 30 days from 18 March, Moscow time; it ends at this instant.
const END: &str = "2025-04-16T21:00:00Z";
/// The extension everyone talks about: to 17 May, Moscow time.
const MAY_17: &str = "2025-05-16T21:00:00Z";
/// The phase lapsed ("the month has indeed expired").
const LAPSE: &str = "2025-04-18T17:00:00Z";

/// ru's reading, filed 25 March and in force from 18 March, with `extra` TOML lines in its terms
/// and `window` lines in its window.
fn ru_reading(extra: &str, window: &str) -> ReadingIn {
    let text = format!(
        "agreement = \"{AGREEMENT}\"\n[source]\ntitle = \"t\"\ndate = 2025-03-25\n[terms]\nprohibited_acts = [\"strike\"]\nprotected = [\"energy.*\"]\nbound = [\"ru\", \"ua\"]\n{extra}\n[terms.window]\nstart = 2025-03-18T00:00:00+03:00\nduration_days = 30\nextension = \"by mutual agreement\"\n{window}\n"
    );
    let reading: Reading = toml::from_str(&text).unwrap();
    ReadingIn {
        index: 5,
        author: id("ru"),
        filed: t("2025-03-25T15:00:00Z"),
        effective: t("2025-03-18T00:00:00+03:00"),
        reading,
    }
}

fn strike(index: u64, at: &str) -> ReportIn {
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
        point: PLANT,
        uncertainty_m: 300,
        start: t(at),
        end: t(at) + 3_600,
        target: None,
        static_source: false,
    }
}

fn consent(
    index: u64,
    party: &str,
    until: &str,
    filed: &str,
    effective: Option<&str>,
) -> ExtensionIn {
    ExtensionIn {
        index,
        author: id(party),
        agreement: id(AGREEMENT),
        until: t(until),
        filed: t(filed),
        effective: t(effective.unwrap_or(filed)),
    }
}

fn end(index: u64, at: &str, status: &str) -> EndIn {
    EndIn {
        at: t(at),
        index,
        phase: id("energy-moratorium"),
        status: status.into(),
    }
}

fn condition(
    index: u64,
    status: ConditionStatus,
    filed: &str,
    effective: Option<&str>,
) -> ConditionIn {
    ConditionIn {
        index,
        author: id("us"),
        by_belligerent: false,
        id: id("rosselkhozbank-swift"),
        status,
        filed: t(filed),
        effective: t(effective.unwrap_or(filed)),
    }
}

/// ru's reading and strikes at a listed plant at `times`.
fn world(times: &[&str]) -> Snapshot {
    Snapshot {
        log_size: 100,
        reports: times
            .iter()
            .enumerate()
            .map(|(k, at)| strike(10 + k as u64, at))
            .collect(),
        sites: vec![site(1, "ua", "plant", "energy.power.plant", PLANT, 0)],
        readings: vec![ru_reading("", "")],
        ..Default::default()
    }
}

fn outcomes(j: &Judgement) -> Vec<(String, Outcome, bool)> {
    j.findings
        .iter()
        .map(|f: &Finding| (f.day.clone(), f.outcome, f.retroactive))
        .collect()
}

fn reason<'a>(f: &'a Finding, rule: &str) -> Vec<&'a str> {
    f.reasons
        .iter()
        .filter(|r| r.rule == rule)
        .map(|r| r.text.as_str())
        .collect()
}

#[test]
fn an_extension_consented_by_one_party_only_extends_nothing() {
    let mut s = world(&["2025-04-20T10:00:00Z"]);
    let before = judge(&s, &Params::default());
    assert_eq!(before.findings[0].outcome, Outcome::OutOfScope);
    s.extensions = vec![consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None)];
    let j = judge(&s, &Params::default());
    let f = &j.findings[0];
    assert_eq!(f.outcome, Outcome::OutOfScope);
    assert_eq!(
        reason(f, "extension"),
        ["extension to 2025-05-16T21:00:00Z proposed by ru, awaiting ua: the window is not extended"]
    );
    assert!(reason(f, "window")[0].contains(&format!("the window 2025-03-17T21:00:00Z – {END}")));
    // ua consents to another end: still nothing.
    s.extensions.push(consent(
        41,
        "ua",
        "2025-05-01T00:00:00Z",
        "2025-04-11T00:00:00Z",
        None,
    ));
    let f = &judge(&s, &Params::default()).findings[0];
    assert_eq!(f.outcome, Outcome::OutOfScope);
    assert_eq!(reason(f, "extension").len(), 2, "{:#?}", f.reasons);
    assert!(
        reason(f, "extension")[0].contains("to 2025-05-01T00:00:00Z proposed by ua, awaiting ru")
    );
}

#[test]
fn consents_by_both_extend_the_window_from_the_later_one() {
    let mut s = world(&[
        "2025-04-15T10:00:00Z",
        "2025-04-18T10:00:00Z",
        "2025-04-20T10:00:00Z",
    ]);
    s.extensions = vec![
        consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None),
        consent(41, "ua", MAY_17, "2025-04-19T00:00:00Z", None),
    ];
    let j = judge(&s, &Params::default());
    assert_eq!(
        outcomes(&j),
        [
            ("2025-04-15".into(), Outcome::Breach, false),
            ("2025-04-18".into(), Outcome::OutOfScope, false),
            ("2025-04-20".into(), Outcome::Breach, false),
        ],
        "inside the reading's own window; after it and before ua's consent; after both"
    );
    assert_eq!(
        reason(&j.findings[1], "extension"),
        ["extension to 2025-05-16T21:00:00Z agreed by ru, ua (entries 40, 41), in force from 2025-04-19T00:00:00Z, after this incident began"]
    );
    let w = reason(&j.findings[2], "window")[0];
    assert!(
        w.contains(&format!("the window 2025-03-17T21:00:00Z – {MAY_17} (extended from {END} to {MAY_17}: agreed by ru, ua (entries 40, 41), in force from 2025-04-19T00:00:00Z)")),
        "{w}"
    );
    // Nothing in the reading's own window says anything about extensions.
    assert!(reason(&j.findings[0], "extension").is_empty());
    assert!(!reason(&j.findings[0], "window")[0].contains("extended"));
}

#[test]
fn the_readings_extension_rule_decides_whose_consent_counts() {
    let mut s = world(&["2025-04-20T10:00:00Z"]);
    s.extensions = vec![consent(40, "ua", MAY_17, "2025-04-10T00:00:00Z", None)];
    s.readings = vec![ru_reading("", "extension_by = \"any-bound-party\"")];
    assert_eq!(
        judge(&s, &Params::default()).findings[0].outcome,
        Outcome::Breach
    );
    // The mediator must consent too.
    s.readings = vec![ru_reading("", "extension_by = [\"ru\", \"ua\", \"us\"]")];
    s.extensions
        .push(consent(41, "ru", MAY_17, "2025-04-11T00:00:00Z", None));
    let f = &judge(&s, &Params::default()).findings[0];
    assert_eq!(f.outcome, Outcome::OutOfScope);
    assert!(
        reason(f, "extension")[0].contains("proposed by ru, ua, awaiting us"),
        "{:?}",
        f.reasons
    );
    s.extensions
        .push(consent(42, "us", MAY_17, "2025-04-12T00:00:00Z", None));
    assert_eq!(
        judge(&s, &Params::default()).findings[0].outcome,
        Outcome::Breach
    );
    // By default, a consent by a party the reading does not bind does not count.
    s.readings = vec![ru_reading("", "")];
    s.extensions = vec![
        consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None),
        consent(42, "us", MAY_17, "2025-04-12T00:00:00Z", None),
    ];
    let f = &judge(&s, &Params::default()).findings[0];
    assert_eq!(f.outcome, Outcome::OutOfScope);
    assert!(reason(f, "extension")[0].contains("proposed by ru, us, awaiting ua"));
}

/// A strike on 10 May after the 18 April lapse stays out of scope unless both parties' consents
/// to an end after it were in force *before* the lapse: an extension in force by then prevents
/// the lapse; one that becomes effective only after it (even from consents filed before it) does
/// not revive the agreement.
#[test]
fn after_the_lapse_a_strike_is_out_of_scope_unless_an_extension_was_in_force_before_it() {
    let may10 = "2025-05-10T10:00:00Z";
    let judge_with = |exts: Vec<ExtensionIn>, ends: Vec<EndIn>| -> Finding {
        let mut s = world(&[may10]);
        s.extensions = exts;
        s.ends.insert(id(AGREEMENT), ends);
        judge(&s, &Params::default()).findings.remove(0)
    };
    let lapse = || vec![end(70, LAPSE, "lapsed")];

    // No consent: the lapse (and the reading's own end) put it out of scope.
    let f = judge_with(vec![], lapse());
    assert_eq!(f.outcome, Outcome::OutOfScope);

    // Both consents before the lapse, to 17 May: the extension was in force when the phase was
    // said to lapse, so the lapse does not end the window: a breach.
    let f = judge_with(
        vec![
            consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None),
            consent(41, "ua", MAY_17, "2025-04-15T00:00:00Z", None),
        ],
        lapse(),
    );
    assert_eq!(f.outcome, Outcome::Breach, "{:#?}", f.reasons);
    let w = reason(&f, "window")[0];
    assert!(
        w.contains(&format!("the phase energy-moratorium lapsed from {LAPSE} (entry 70), but the extension to {MAY_17} was in force by then: the lapse takes effect only at {MAY_17}")),
        "{w}"
    );
    assert!(!f.retroactive);

    // Both before the lapse, but to 5 May: their end does not pass 10 May.
    let f = judge_with(
        vec![
            consent(
                40,
                "ru",
                "2025-05-05T00:00:00Z",
                "2025-04-10T00:00:00Z",
                None,
            ),
            consent(
                41,
                "ua",
                "2025-05-05T00:00:00Z",
                "2025-04-15T00:00:00Z",
                None,
            ),
        ],
        lapse(),
    );
    assert_eq!(f.outcome, Outcome::OutOfScope);

    // ru before the lapse, ua after it: complete only after the lapse, which it cannot undo.
    let f = judge_with(
        vec![
            consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None),
            consent(41, "ua", MAY_17, "2025-04-20T00:00:00Z", None),
        ],
        lapse(),
    );
    assert_eq!(f.outcome, Outcome::OutOfScope);
    assert_eq!(
        reason(&f, "extension"),
        ["extension to 2025-05-16T21:00:00Z agreed by ru, ua (entries 40, 41), in force from 2025-04-20T00:00:00Z, after the phase energy-moratorium lapsed from 2025-04-18T17:00:00Z: a lapsed agreement is not revived by consents"]
    );
    assert!(reason(&f, "window")[0].contains("the agreement ends there whatever the reading says"));

    // Both filed before the lapse, but ua's effective only from 19 April: not in force before
    // the lapse, so it does not prevent it.
    let f = judge_with(
        vec![
            consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None),
            consent(
                41,
                "ua",
                MAY_17,
                "2025-04-15T00:00:00Z",
                Some("2025-04-19T00:00:00Z"),
            ),
        ],
        lapse(),
    );
    assert_eq!(f.outcome, Outcome::OutOfScope);

    // Filed after the lapse with effect from before it: prevents it, flagged retroactive.
    let f = judge_with(
        vec![
            consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None),
            consent(
                41,
                "ua",
                MAY_17,
                "2025-05-20T00:00:00Z",
                Some("2025-04-15T00:00:00Z"),
            ),
        ],
        lapse(),
    );
    assert_eq!((f.outcome, f.retroactive), (Outcome::Breach, true));
    assert!(
        f.reasons.iter().any(|r| r.rule == "version"
            && r.text.contains("RETROACTIVE")
            && r.text.contains("extension")),
        "{:#?}",
        f.reasons
    );

    // A collapse ends the window whatever was extended.
    let f = judge_with(
        vec![
            consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None),
            consent(41, "ua", MAY_17, "2025-04-15T00:00:00Z", None),
        ],
        vec![end(70, "2025-05-01T00:00:00Z", "collapsed")],
    );
    assert_eq!(f.outcome, Outcome::OutOfScope);
    assert!(reason(&f, "window")[0].contains("collapsed from 2025-05-01T00:00:00Z"));
    assert!(reason(&f, "extension")[0].contains(
        "collapsed from 2025-05-01T00:00:00Z: that ends the agreement whatever was extended"
    ));
}

/// An extension in force at the lapse postpones it to the extension's end: an open-ended
/// reading (as the US one) is in force until then, not for ever; consents agreed while the
/// extension runs extend it again.
#[test]
fn a_lapse_covered_by_an_extension_takes_effect_when_the_extension_runs_out() {
    let mut s = world(&[
        "2025-05-10T10:00:00Z",
        "2025-06-01T10:00:00Z",
        "2025-06-10T10:00:00Z",
    ]);
    let mut open = ru_reading("", "");
    open.reading.terms.window.duration_days = None;
    s.readings = vec![open];
    s.ends.insert(id(AGREEMENT), vec![end(70, LAPSE, "lapsed")]);
    s.extensions = vec![
        consent(40, "ru", MAY_17, "2025-04-10T00:00:00Z", None),
        consent(41, "ua", MAY_17, "2025-04-15T00:00:00Z", None),
    ];
    let j = judge(&s, &Params::default());
    assert_eq!(
        outcomes(&j),
        [
            ("2025-05-10".into(), Outcome::Breach, false),
            ("2025-06-01".into(), Outcome::OutOfScope, false),
            ("2025-06-10".into(), Outcome::OutOfScope, false),
        ]
    );
    let w = reason(&j.findings[1], "window")[0];
    assert!(
        w.contains(&format!("the window 2025-03-17T21:00:00Z – {MAY_17}"))
            && w.contains("the lapse takes effect only at"),
        "{w}"
    );
    // Both agree on 12 May (while the first extension runs) to go on to 30 June.
    s.extensions.push(consent(
        42,
        "ru",
        "2025-06-30T00:00:00Z",
        "2025-05-12T00:00:00Z",
        None,
    ));
    s.extensions.push(consent(
        43,
        "ua",
        "2025-06-30T00:00:00Z",
        "2025-05-12T00:00:00Z",
        None,
    ));
    let j = judge(&s, &Params::default());
    assert_eq!(
        j.findings.iter().map(|f| f.outcome).collect::<Vec<_>>(),
        [Outcome::Breach, Outcome::Breach, Outcome::Breach]
    );
    // Agreed only on 5 June, after the first extension ran out: too late.
    s.extensions[2] = consent(
        42,
        "ru",
        "2025-06-30T00:00:00Z",
        "2025-06-05T00:00:00Z",
        None,
    );
    s.extensions[3] = consent(
        43,
        "ua",
        "2025-06-30T00:00:00Z",
        "2025-06-05T00:00:00Z",
        None,
    );
    let j = judge(&s, &Params::default());
    assert_eq!(
        j.findings.iter().map(|f| f.outcome).collect::<Vec<_>>(),
        [Outcome::Breach, Outcome::OutOfScope, Outcome::OutOfScope]
    );
    assert!(
        reason(&j.findings[2], "extension")[0].contains(&format!("(in effect from {MAY_17}, when the extensions before it ran out): a lapsed agreement is not revived by consents")),
        "{:#?}",
        j.findings[2].reasons
    );
}

#[test]
fn a_condition_not_met_keeps_the_reading_out_of_force() {
    let mut s = world(&["2025-03-28T10:00:00Z", "2025-04-05T10:00:00Z"]);
    s.readings = vec![ru_reading("conditions = [\"rosselkhozbank-swift\"]", "")];
    // No status filed.
    let j = judge(&s, &Params::default());
    for f in &j.findings {
        assert_eq!(f.outcome, Outcome::OutOfScope);
        assert!(
            reason(f, "condition")[0].starts_with("condition rosselkhozbank-swift not met: ru's reading enters into force only once it is (no status of it was in force when this incident began)"),
            "{:?}",
            f.reasons
        );
        assert!(reason(f, "window").is_empty(), "judged no further");
    }
    // Unmet, as filed.
    s.conditions = vec![condition(
        30,
        ConditionStatus::Unmet,
        "2025-03-26T00:00:00Z",
        None,
    )];
    let f = &judge(&s, &Params::default()).findings[1];
    assert_eq!(f.outcome, Outcome::OutOfScope);
    assert!(reason(f, "condition")[0]
        .contains("(status unmet filed by us 2025-03-26T00:00:00Z, entry 30"));

    // Met from 1 April (filed then): in scope from then only.
    let unmet_only = s.clone();
    let known_before = judge(&unmet_only, &Params::default());
    s.conditions.push(condition(
        60,
        ConditionStatus::Met,
        "2025-04-01T00:00:00Z",
        None,
    ));
    let j = judge(&s, &Params::default());
    assert_eq!(
        outcomes(&j),
        [
            ("2025-03-28".into(), Outcome::OutOfScope, false),
            ("2025-04-05".into(), Outcome::Breach, false),
        ]
    );
    assert!(reason(&j.findings[0], "condition")[0].ends_with("; met only from 2025-04-01T00:00:00Z (filed by us 2025-04-01T00:00:00Z, entry 60), after this incident began"));
    assert!(reason(&j.findings[1], "condition")[0]
        .starts_with("condition rosselkhozbank-swift met (status filed by us"));
    // What was known before the `met` version is what the log without it judges: unchanged.
    assert_eq!(
        serde_json::to_string(&judge(&unmet_only, &Params::default())).unwrap(),
        serde_json::to_string(&known_before).unwrap()
    );
    assert!(known_before
        .findings
        .iter()
        .all(|f| f.outcome == Outcome::OutOfScope));

    // Met with effect from 18 March (filed 1 April): retroactive, flagged where it decides.
    s.conditions[1] = condition(
        60,
        ConditionStatus::Met,
        "2025-04-01T00:00:00Z",
        Some("2025-03-18T00:00:00Z"),
    );
    let j = judge(&s, &Params::default());
    assert_eq!(
        outcomes(&j),
        [
            ("2025-03-28".into(), Outcome::Breach, true),
            ("2025-04-05".into(), Outcome::Breach, false),
        ]
    );
    assert!(reason(&j.findings[0], "condition")[0].contains("RETROACTIVE"));

    // Withdrawn on 3 April: not met from then.
    s.conditions.push(condition(
        80,
        ConditionStatus::Withdrawn,
        "2025-04-03T00:00:00Z",
        None,
    ));
    let j = judge(&s, &Params::default());
    assert_eq!(j.findings[1].outcome, Outcome::OutOfScope);
    assert!(reason(&j.findings[1], "condition")[0].contains("status withdrawn"));

    // The other side cannot declare ru's condition met; ru itself can.
    let mut by_ua = condition(90, ConditionStatus::Met, "2025-04-04T00:00:00Z", None);
    by_ua.author = id("ua");
    by_ua.by_belligerent = true;
    s.conditions.push(by_ua.clone());
    let j = judge(&s, &Params::default());
    assert_eq!(
        j.findings[1].outcome,
        Outcome::OutOfScope,
        "ua's word does not count"
    );
    let mut by_ru = by_ua;
    by_ru.author = id("ru");
    by_ru.index = 91;
    s.conditions.push(by_ru);
    let j = judge(&s, &Params::default());
    assert_eq!(
        j.findings[1].outcome,
        Outcome::Breach,
        "ru's own word counts"
    );
    assert!(reason(&j.findings[1], "condition")[0].contains("filed by ru"));
}

#[test]
fn only_a_conditions_named_attesters_put_a_reading_in_force() {
    let mut s = world(&["2025-04-05T10:00:00Z"]);
    s.readings = vec![ru_reading(
        "conditions = [{ id = \"rosselkhozbank-swift\", attested_by = [\"ru\", \"us\"] }]",
        "",
    )];
    // A mediator's (us's) status counts, ua's does not: ua says met, us says unmet.
    let mut by_ua = condition(30, ConditionStatus::Met, "2025-03-30T00:00:00Z", None);
    by_ua.author = id("ua");
    by_ua.by_belligerent = true;
    let mut by_un = condition(31, ConditionStatus::Met, "2025-03-30T00:00:00Z", None);
    by_un.author = id("un");
    s.conditions = vec![
        by_ua,
        by_un,
        condition(32, ConditionStatus::Unmet, "2025-03-31T00:00:00Z", None),
    ];
    let j = judge(&s, &Params::default());
    let f = &j.findings[0];
    assert_eq!(f.outcome, Outcome::OutOfScope, "{:?}", f.reasons);
    let text = &reason(f, "condition")[0];
    assert!(
        text.contains("(status unmet filed by us 2025-03-31T00:00:00Z, entry 32"),
        "{text}"
    );
    assert!(
        text.ends_with("; not counted: ua's status (entry 30), un's status (entry 31) (attested by ru, us under this reading)"),
        "{text}"
    );
    // ru (an attester) says met later: in force, and the others' filings are still named.
    let mut by_ru = condition(40, ConditionStatus::Met, "2025-04-01T00:00:00Z", None);
    by_ru.author = id("ru");
    by_ru.by_belligerent = true;
    s.conditions.push(by_ru);
    let j = judge(&s, &Params::default());
    assert_eq!(j.findings[0].outcome, Outcome::Breach);
    let text = &reason(&j.findings[0], "condition")[0];
    assert!(
        text.starts_with("condition rosselkhozbank-swift met (status filed by ru"),
        "{text}"
    );
    assert!(
        text.contains("not counted: ua's status (entry 30)"),
        "{text}"
    );
}
