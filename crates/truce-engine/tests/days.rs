//! Local days: a finding counts on the day, in its agreement's time zone, its incident's
//! evidence starts; the incident itself keeps its UTC day. The Kherson strike of 4 April 2025
//! (the whole day, Moscow time) and a day across the 30 March 2025 change to summer time in Kyiv.

mod common;
use common::{id, reading, t};
use truce_engine::input::{ReadingIn, ReportIn};
use truce_engine::{judge, Params, Snapshot};
use truce_model::authoring::AuthoredFile;
use truce_model::domain::{Act, Role};
use truce_model::entry::Body;

const SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/energy-moratorium-2025"
);

fn authored(path: &str) -> AuthoredFile {
    let text = std::fs::read_to_string(format!("{SCENARIO}/{path}")).unwrap();
    AuthoredFile::parse(path, &text).unwrap()
}

/// The report of a scenario file as the ledger hands it to the engine.
fn scenario_report(path: &str, index: u64, author: &str) -> ReportIn {
    let f = authored(path);
    let r = f.report[0].clone();
    ReportIn {
        index,
        entry_id: format!("{index:064x}").parse().unwrap(),
        author: id(author).into(),
        role: Role::Belligerent,
        id: r.id,
        act: r.act,
        perpetrator: r.alleged_perpetrator.map(Into::into),
        relays: r.relays.map(Into::into),
        denies: r.denies.into(),
        point: [r.location.point.lon(), r.location.point.lat()],
        uncertainty_m: r.location.uncertainty_m,
        start: r.time.start.0.as_second(),
        end: r.time.end.0.as_second(),
        target: r.target_category,
        static_source: false,
    }
}

/// The agreements' zones as the scenario's process defines them.
fn scenario_zones() -> std::collections::BTreeMap<truce_model::Id, jiff::tz::TimeZone> {
    let f = authored("process.toml");
    let Some(Body::Process(p)) = f.bodies().into_iter().next() else {
        panic!("process.toml holds a process");
    };
    p.phases
        .iter()
        .flat_map(|ph| &ph.agreements)
        .filter_map(|a| Some((a.id.clone(), a.time_zone.as_ref()?.tz())))
        .collect()
}

fn ua_reading() -> ReadingIn {
    reading(
        100,
        "ua",
        r#"prohibited_acts = ["strike"]
protected = ["energy.*"]
bound = ["ru", "ua"]
window = { start = 2025-03-18T00:00:00+03:00, duration_days = 30 }"#,
    )
}

#[test]
fn the_kherson_strike_counts_on_4_april_in_the_agreements_zone_and_3_april_in_utc() {
    let kherson = scenario_report("reports/ua-2025-04-04.toml", 10, "ua");
    // The whole of 4 April, Moscow time: from 3 April 21:00 UTC.
    assert_eq!(kherson.start, t("2025-04-03T21:00:00Z"));
    let zones = scenario_zones();
    assert_eq!(
        zones
            .get(&id("energy-moratorium-2025"))
            .and_then(|z| z.iana_name()),
        Some("Europe/Kyiv")
    );
    let mut s = Snapshot {
        log_size: 200,
        reports: vec![kherson],
        readings: vec![ua_reading()],
        zones,
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    assert_eq!(j.incidents.len(), 1);
    // The incident's day is the UTC day of its start.
    assert_eq!(j.incidents[0].day, "2025-04-03");
    assert_eq!(j.findings.len(), 1);
    assert_eq!(j.findings[0].day, "2025-04-04");
    let c = truce_engine::compliance(&j.findings);
    assert!(c.rows.iter().all(|r| r.day == "2025-04-04"), "{:?}", c.rows);

    // An agreement that states no zone counts UTC days: the start-day rule puts it on 3 April.
    s.zones.clear();
    let j = judge(&s, &Params::default());
    assert_eq!(j.findings[0].day, "2025-04-03");
}

#[test]
fn a_kyiv_day_across_the_change_to_summer_time_lasts_23_hours() {
    // Kyiv was UTC+2 until 30 March 2025 03:00 local, UTC+3 after: its 30 March ran from
    // 29 March 22:00 UTC to 30 March 21:00 UTC.
    let at = |k: u64, start: &str| ReportIn {
        index: k,
        entry_id: format!("{k:064x}").parse().unwrap(),
        author: id("ua").into(),
        role: Role::Belligerent,
        id: id(&format!("r{k}")),
        act: Act::DroneStrike,
        perpetrator: Some(id("ru").into()),
        relays: None,
        denies: Vec::new().into(),
        // Far apart: one incident each.
        point: [30.0 + k as f64, 50.0],
        uncertainty_m: 100,
        start: t(start),
        end: t(start),
        target: None,
        static_source: false,
    };
    let starts = [
        ("2025-03-29T21:59:59Z", "2025-03-29"), // 23:59:59 at UTC+2
        ("2025-03-29T22:00:00Z", "2025-03-30"), // 00:00 at UTC+2
        ("2025-03-30T00:59:59Z", "2025-03-30"), // 02:59:59 at UTC+2, the last second of winter time
        ("2025-03-30T01:00:00Z", "2025-03-30"), // 04:00 at UTC+3
        ("2025-03-30T20:59:59Z", "2025-03-30"), // 23:59:59 at UTC+3
        ("2025-03-30T21:00:00Z", "2025-03-31"), // 00:00 at UTC+3
    ];
    let s = Snapshot {
        log_size: 200,
        reports: starts
            .iter()
            .enumerate()
            .map(|(k, (start, _))| at(k as u64 + 1, start))
            .collect(),
        readings: vec![ua_reading()],
        zones: [(
            id("energy-moratorium-2025"),
            jiff::tz::TimeZone::get("Europe/Kyiv").unwrap(),
        )]
        .into(),
        ..Default::default()
    };
    let j = judge(&s, &Params::default());
    assert_eq!(j.findings.len(), starts.len());
    for (start, day) in starts {
        let inc = j.incidents.iter().find(|i| i.start == start).unwrap();
        let f = j.findings.iter().find(|f| f.incident == inc.id).unwrap();
        assert_eq!(f.day, day, "a report starting at {start}");
        assert_eq!(inc.day, &start[..10], "the incident keeps its UTC day");
    }
    // The Kyiv day of 30 March, from its first instant to the next day's: 23 hours.
    let first = |d: &str| starts.iter().find(|(_, x)| *x == d).map(|(s, _)| t(s));
    assert_eq!(
        first("2025-03-31").unwrap() - first("2025-03-30").unwrap(),
        23 * 3600
    );
}
