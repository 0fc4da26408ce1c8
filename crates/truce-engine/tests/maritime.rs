//! The maritime judgement (issue 15): an attack on a commercial vessel inside an agreed zone is a
//! finding under a reading in force and out of scope, "conditions unmet", under one whose
//! condition is not met; a warship of a party outside the zone it is confined to is a breach by
//! that party, with AIS's limits said; the military use of a commercial vessel stands as alleged
//! unless a monitor's inspection corroborates; a vessel named by a report or passing by on its
//! track is listed in the incident and decides the target's category.

mod common;
use common::{id, reading, t};
use truce_engine::input::{
    ConditionIn, Maritime, ReportIn, ReportVesselIn, TrackIn, VesselClass, VesselIn,
};
use truce_engine::{judge, Finding, Outcome, Params, Snapshot, Standing};
use truce_model::domain::{Act, Role, VesselRef};
use truce_model::lifecycle::ConditionStatus;
use truce_model::taxonomy::Category;

/// Off Odesa, inside the western Black Sea zone.
const ODESA_ROADS: [f64; 2] = [30.9, 46.3];
const WEST: &str = "[[[29.5, 44.0], [33.0, 44.0], [33.0, 46.8], [29.5, 46.8], [29.5, 44.0]]]";
const EAST: &str = "[[[36.0, 41.0], [41.8, 41.0], [41.8, 47.3], [36.0, 47.3], [36.0, 41.0]]]";
const AT: &str = "2025-04-02T03:10:00Z";

fn report(index: u64, author: &str, role: Role, act: Act, point: [f64; 2]) -> ReportIn {
    ReportIn {
        index,
        entry_id: format!("{index:064x}").parse().unwrap(),
        author: id(author).into(),
        role,
        id: id(&format!("r{index}")),
        act,
        perpetrator: Some(id("ru").into()),
        relays: None,
        denies: Vec::new().into(),
        point,
        uncertainty_m: 500,
        start: t(AT),
        end: t(AT) + 600,
        target: None,
        static_source: false,
    }
}

/// The US reading (no condition) and the Russian one (sanctions relief first), both protecting
/// commercial vessels and ports in the western Black Sea; the Ukrainian one confining Russia's
/// warships to the eastern Black Sea.
fn readings() -> Vec<truce_engine::input::ReadingIn> {
    let terms = |extra: &str| {
        format!(
            "prohibited_acts = [\"attack-on-vessels\", \"military-use-of-vessel\"]\nprotected = [\"set:black-sea-navigation\"]\nzones = [{{ name = \"Black Sea (west)\", polygon = {WEST} }}]\nbound = [\"ru\", \"ua\"]\n{extra}\nwindow = {{ start = 2025-03-25T00:00:00Z }}"
        )
    };
    vec![
        reading(1, "us", &terms("")),
        reading(
            2,
            "ru",
            &terms("conditions = [{ id = \"rosselkhozbank-swift\", attested_by = [\"ru\"] }]"),
        ),
        reading(
            3,
            "ua",
            &format!(
                "prohibited_acts = [\"attack-on-vessels\"]\nprotected = [\"vessel.*\", \"transport.port.*\"]\nbound = [\"ru\", \"ua\"]\nconfined = [{{ category = \"vessel.military\", party = \"ru\", zone = {{ name = \"eastern Black Sea (approximate)\", polygon = {EAST} }} }}]\nwindow = {{ start = 2025-03-25T00:00:00Z }}"
            ),
        ),
    ]
}

fn of<'a>(f: &'a [Finding], reader: &str) -> &'a Finding {
    f.iter()
        .find(|f| f.reading == id(reader))
        .unwrap_or_else(|| panic!("no finding under {reader}'s reading: {f:#?}"))
}

fn reasons(f: &Finding, rule: &str) -> Vec<String> {
    f.reasons
        .iter()
        .filter(|r| r.rule == rule)
        .map(|r| format!("{}: {}", r.holds, r.text))
        .collect()
}

fn vessels() -> Maritime {
    Maritime {
        gaps: Vec::new(),
        vessels: vec![
            VesselIn {
                index: 4,
                mmsi: Some("273345000".into()),
                imo: Some("9074729".into()),
                name: Some("Ocean Star".into()),
                class: VesselClass::Commercial,
            },
            VesselIn {
                index: 5,
                mmsi: Some("273000001".into()),
                imo: None,
                name: Some("Admiral X".into()),
                class: VesselClass::Military,
            },
        ],
        tracks: vec![TrackIn {
            index: 6,
            mmsi: "273345000".into(),
            // Steaming east past the report's position at 03:10.
            points: vec![
                (t("2025-04-02T03:00:00Z"), [30.85, 46.3]),
                (t("2025-04-02T03:20:00Z"), [30.95, 46.3]),
            ],
        }],
        reports: Vec::new(),
    }
}

#[test]
fn an_attack_on_a_commercial_vessel_in_the_zone_is_a_finding_unless_a_condition_is_unmet() {
    let mut r = report(
        10,
        "ua",
        Role::Belligerent,
        Act::AttackOnVessels,
        ODESA_ROADS,
    );
    r.target = Some(Category::new("vessel.commercial").unwrap());
    let mut s = Snapshot {
        log_size: 20,
        reports: vec![r],
        readings: readings(),
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    let us = of(&j.findings, "us");
    assert_eq!(us.outcome, Outcome::Breach, "{:#?}", us.reasons);
    assert!(reasons(us, "target")[0].contains("category vessel.commercial"));
    let ru = of(&j.findings, "ru");
    assert_eq!(ru.outcome, Outcome::OutOfScope);
    assert!(reasons(ru, "condition")[0].starts_with("no: condition rosselkhozbank-swift not met"));
    // ua says the condition is met: not an attester under ru's reading, so not counted.
    let mut by_ua = ConditionIn {
        index: 15,
        author: id("ua"),
        by_belligerent: true,
        id: id("rosselkhozbank-swift"),
        status: ConditionStatus::Met,
        filed: t("2025-03-30T00:00:00Z"),
        effective: t("2025-03-30T00:00:00Z"),
    };
    s.conditions = vec![by_ua.clone()];
    let j = judge(&s, &Params::default());
    let ru = of(&j.findings, "ru");
    assert_eq!(ru.outcome, Outcome::OutOfScope);
    assert!(reasons(ru, "condition")[0].contains("not counted: ua's status (entry 15)"));
    // ru's own status puts its reading in force.
    by_ua.author = id("ru");
    by_ua.index = 16;
    s.conditions.push(by_ua);
    let j = judge(&s, &Params::default());
    assert_eq!(of(&j.findings, "ru").outcome, Outcome::Breach);
    // Outside the western zone (off Novorossiysk): out of scope for us and ru.
    s.reports[0].point = [37.8, 44.7];
    let j = judge(&s, &Params::default());
    assert_eq!(of(&j.findings, "us").outcome, Outcome::OutOfScope);
}

#[test]
fn a_vessel_named_or_passing_by_decides_the_target() {
    // The report names no category: the vessel it names does.
    let r = report(
        10,
        "ua",
        Role::Belligerent,
        Act::AttackOnVessels,
        ODESA_ROADS,
    );
    let mut m = vessels();
    m.reports = vec![ReportVesselIn {
        index: 10,
        author: id("ua"),
        id: id("r10"),
        vessel: Some(VesselRef::new(None, Some("9074729".into()), None).unwrap()),
        inspection: false,
    }];
    let mut s = Snapshot {
        log_size: 20,
        reports: vec![r],
        readings: readings(),
        maritime: m,
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    let inc = &j.incidents[0];
    assert_eq!(inc.vessels.len(), 1, "{:#?}", inc.vessels);
    assert_eq!(inc.vessels[0].how, "named (IMO)");
    assert_eq!(inc.vessels[0].name.as_deref(), Some("Ocean Star"));
    let us = of(&j.findings, "us");
    assert_eq!(us.outcome, Outcome::Breach, "{:#?}", us.reasons);
    assert!(
        reasons(us, "target")[0].contains("vessel Ocean Star, MMSI 273345000, IMO 9074729 (commercial, from its static data), matched to ua/r10 named (IMO)"),
        "{:?}",
        reasons(us, "target")
    );
    // Naming nothing: matched by the track passing within its uncertainty at its time.
    s.maritime.reports.clear();
    let j = judge(&s, &Params::default());
    let v = &j.incidents[0].vessels;
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(v[0].how.starts_with("track within "), "{}", v[0].how);
    assert!(
        v[0].how.ends_with(" at 2025-04-02T03:10:00Z"),
        "{}",
        v[0].how
    );
    assert_eq!(of(&j.findings, "us").outcome, Outcome::Breach);
    // The track is elsewhere: no vessel, no protected target.
    s.maritime.tracks[0]
        .points
        .iter_mut()
        .for_each(|p| p.1[1] = 45.0);
    let j = judge(&s, &Params::default());
    assert!(j.incidents[0].vessels.is_empty());
    let us = of(&j.findings, "us");
    assert_eq!(us.outcome, Outcome::OutOfScope);
    assert!(reasons(us, "target")[0].starts_with("no: no protected target"));
}

#[test]
fn a_warship_outside_its_zone_is_a_breach_by_its_party() {
    // A monitor sees a Russian warship off Odesa, far west of the eastern Black Sea.
    let mut seen = report(10, "osce", Role::Monitor, Act::VesselMovement, ODESA_ROADS);
    seen.target = Some(Category::new("vessel.military").unwrap());
    let mut s = Snapshot {
        log_size: 20,
        reports: vec![seen],
        readings: readings(),
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    let ua = of(&j.findings, "ua");
    assert_eq!(ua.outcome, Outcome::Breach, "{:#?}", ua.reasons);
    assert_eq!(ua.attributions[0].party, id("ru"));
    let c = reasons(ua, "confined");
    assert!(
        c[0].starts_with("yes: osce/r10 places a vessel of ru (vessel.military)"),
        "{c:?}"
    );
    assert!(
        c[0].contains(
            "AIS supports only the occurrence (a transmitter at a position), never attribution"
        ) && c[0].contains("warships need not transmit")
            && c[0].contains("GNSS spoofing is common"),
        "{c:?}"
    );
    // The US reading has no confinement: moving is not a prohibited act.
    assert_ne!(
        j.findings
            .iter()
            .find(|f| f.reading == id("us"))
            .map(|f| f.outcome),
        Some(Outcome::Breach)
    );
    // The same warship inside the eastern zone: no breach of the confinement.
    s.reports[0].point = [38.0, 44.5];
    let j = judge(&s, &Params::default());
    assert!(j
        .findings
        .iter()
        .filter(|f| f.reading == id("ua"))
        .all(|f| f.outcome != Outcome::Breach));
    // Named by its MMSI, no category stated: its static data says military.
    s.reports[0].point = ODESA_ROADS;
    s.reports[0].target = None;
    s.maritime = vessels();
    s.maritime.reports = vec![ReportVesselIn {
        index: 10,
        author: id("osce"),
        id: id("r10"),
        vessel: Some(VesselRef::new(Some("273000001".into()), None, None).unwrap()),
        inspection: false,
    }];
    let j = judge(&s, &Params::default());
    assert_eq!(of(&j.findings, "ua").outcome, Outcome::Breach);
}

#[test]
fn military_use_of_a_vessel_stands_as_alleged_unless_a_monitor_inspects() {
    let mut alleged = report(
        10,
        "ua",
        Role::Belligerent,
        Act::MilitaryUseOfVessel,
        ODESA_ROADS,
    );
    alleged.target = Some(Category::new("vessel.commercial").unwrap());
    let mut s = Snapshot {
        log_size: 20,
        reports: vec![alleged],
        readings: readings(),
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    let us = of(&j.findings, "us");
    assert_eq!(us.outcome, Outcome::Breach, "{:#?}", us.reasons);
    assert_eq!(us.standing, Standing::Alleged);
    assert!(reasons(us, "evidence")[0].contains("stands as alleged"));
    // A monitor's inspection report naming the same party: corroborated.
    let mut inspection = report(
        11,
        "osce",
        Role::Monitor,
        Act::MilitaryUseOfVessel,
        ODESA_ROADS,
    );
    inspection.target = Some(Category::new("vessel.commercial").unwrap());
    s.reports.push(inspection);
    s.maritime.reports = vec![ReportVesselIn {
        index: 11,
        author: id("osce"),
        id: id("r11"),
        vessel: Some(VesselRef::new(None, None, Some("Ocean Star".into())).unwrap()),
        inspection: true,
    }];
    let j = judge(&s, &Params::default());
    let us = of(&j.findings, "us");
    assert_eq!(
        us.attributions[0].standing,
        Standing::Corroborated,
        "{:#?}",
        us.reasons
    );
    assert!(reasons(us, "evidence")[0].contains("a monitor's inspection report names ru"));
}
