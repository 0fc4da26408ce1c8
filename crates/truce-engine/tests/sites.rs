//! Sites that would manufacture breaches (truce-rules/5): a site beyond its bound — all of
//! Ukraine listed as one gas metering station — never decides a finding, and says so; line
//! sites (pipelines) are matched by their distance to the line; a site within its bound decides
//! exactly as before.

mod common;
use common::{id, reading, site, t};
use proptest::prelude::*;
use truce_engine::input::{ReadingIn, ReportIn, SiteIn};
use truce_engine::{judge, Outcome, Params, Snapshot};
use truce_model::domain::{Act, Role};
use truce_model::geo::Geometry;

fn strike(index: u64, author: &str, perp: &str, point: [f64; 2], unc: u32) -> ReportIn {
    ReportIn {
        index,
        entry_id: format!("{index:064x}").parse().unwrap(),
        author: id(author).into(),
        role: Role::Belligerent,
        id: id(&format!("r{index}")),
        act: Act::Strike,
        perpetrator: Some(id(perp).into()),
        relays: None,
        denies: Vec::new().into(),
        point,
        uncertainty_m: unc,
        start: t("2025-03-26T10:00:00Z"),
        end: t("2025-03-26T10:10:00Z"),
        target: None,
        static_source: false,
    }
}

fn shaped(index: u64, lister: &str, sid: &str, cat: &str, geometry: &str) -> SiteIn {
    let mut s = site(index, lister, sid, cat, [0.0, 0.0], 0);
    s.geometry = serde_json::from_str::<Geometry>(geometry).unwrap();
    s
}

fn readings(bounds: &str) -> Vec<ReadingIn> {
    ["ru", "ua"]
        .into_iter()
        .enumerate()
        .map(|(k, who)| {
            reading(
                100 + k as u64,
                who,
                &format!(
                    r#"prohibited_acts = ["strike"]
protected = ["energy.*"]
bound = ["ru", "ua"]
window = {{ start = 2025-03-18T00:00:00+03:00, duration_days = 30 }}
{bounds}"#
                ),
            )
        })
        .collect()
}

/// Ukraine's outline, coarsely (about 590,000 km²).
const UKRAINE: &str = r#"{"type":"Polygon","coordinates":[[[22.1,48.4],[24.0,50.8],[23.6,51.6],[30.6,51.6],[33.2,52.4],[35.4,50.4],[40.2,49.6],[38.2,47.1],[36.6,46.8],[33.6,44.4],[30.2,45.4],[28.2,45.5],[26.6,48.3],[22.1,48.4]]]}"#;

#[test]
fn all_of_ukraine_as_a_gas_metering_station_decides_nothing() {
    // A shelling report in an empty field south of Kropyvnytskyi, blaming ru.
    let field = [32.0, 48.2];
    let snap = Snapshot {
        log_size: 200,
        reports: vec![strike(10, "ua", "ru", field, 100)],
        sites: vec![shaped(
            5,
            "ua",
            "ukraine-gms",
            "energy.gas.metering",
            UKRAINE,
        )],
        readings: readings(""),
        ..Default::default()
    };
    let j = judge(&snap, &Params::default());
    assert_eq!(j.findings.len(), 2, "{:#?}", j.findings);
    for f in &j.findings {
        assert_ne!(f.outcome, Outcome::Breach, "{f:#?}");
        assert!(f.site.is_none(), "{f:#?}");
        let why = f
            .reasons
            .iter()
            .find(|r| r.rule == "site")
            .unwrap_or_else(|| panic!("no site reason: {f:#?}"));
        assert_eq!(why.holds, "no");
        assert!(
            why.text.starts_with("site ua/ukraine-gms (ukraine-gms, ")
                && why.text.contains("km²) exceeds the rules' default bound for energy.gas.metering of 100 km²: not used"),
            "{}",
            why.text
        );
    }
    // A bound stated in the readings is named instead of the default.
    let snap = Snapshot {
        readings: readings(
            "site_bounds = { energy = { max_area_km2 = 50, max_length_km = 5000 } }",
        ),
        ..snap
    };
    let j = judge(&snap, &Params::default());
    for f in &j.findings {
        assert_ne!(f.outcome, Outcome::Breach);
        let text = &f.reasons.iter().find(|r| r.rule == "site").unwrap().text;
        assert!(
            text.contains(&format!(
                "exceeds {}'s reading's bound for energy of 50 km²",
                f.reading
            )),
            "{text}"
        );
    }
}

#[test]
fn a_pipeline_is_matched_500_m_from_its_line() {
    // The Urengoy–Pomary–Uzhhorod line near Sudzha, drawn north–south along 35.27° E.
    let pipe = r#"{"type":"LineString","coordinates":[[35.27,51.0],[35.27,51.4],[35.5,51.6]]}"#;
    let east = [
        35.27 + 500.0 / 69_909.0 * (51.19f64.to_radians().cos() / 51.2f64.to_radians().cos()),
        51.19,
    ];
    let snap = Snapshot {
        log_size: 200,
        reports: vec![strike(10, "ua", "ru", east, 0)],
        sites: vec![shaped(5, "ua", "upu-pipeline", "energy.gas.pipeline", pipe)],
        readings: readings(""),
        ..Default::default()
    };
    let j = judge(&snap, &Params::default());
    assert_eq!(j.findings.len(), 2);
    for f in &j.findings {
        assert_eq!(f.outcome, Outcome::Breach, "{f:#?}");
        let s = f.site.as_ref().unwrap();
        assert_eq!(s.id.as_str(), "upu-pipeline");
        assert!((s.distance_m as i64 - 500).abs() <= 2, "{s:?}");
    }
    // 5,000 km is the default bound for a line: a longer one decides nothing.
    let long = r#"{"type":"LineString","coordinates":[[35.27,51.0],[35.27,51.4],[100.0,51.4],[150.0,51.4]]}"#;
    let snap = Snapshot {
        sites: vec![shaped(5, "ua", "upu-pipeline", "energy.gas.pipeline", long)],
        ..snap
    };
    for f in &judge(&snap, &Params::default()).findings {
        assert_ne!(f.outcome, Outcome::Breach);
        let text = &f.reasons.iter().find(|r| r.rule == "site").unwrap().text;
        assert!(
            text.contains("exceeds the rules' default bound for energy.gas.pipeline of 5,000 km"),
            "{text}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// A site within its bound decides exactly as it did before bounds existed: stating a bound
    /// the site meets changes no finding but the reading it is stated in.
    #[test]
    fn a_site_within_its_bound_decides_as_before(
        half in 0.001f64..0.05, dx in -0.06f64..0.06, dy in -0.06f64..0.06, unc in 0u32..3000,
    ) {
        let (lon, lat) = (35.27, 51.19);
        let square = format!(
            r#"{{"type":"Polygon","coordinates":[[[{a},{b}],[{c},{b}],[{c},{d}],[{a},{d}],[{a},{b}]]]}}"#,
            a = lon - half, b = lat - half, c = lon + half, d = lat + half
        );
        let base = Snapshot {
            log_size: 200,
            reports: vec![strike(10, "ua", "ru", [lon + dx, lat + dy], unc)],
            sites: vec![shaped(5, "ua", "plant", "energy.power.plant", &square)],
            readings: readings(""),
            ..Default::default()
        };
        let bounded = Snapshot {
            readings: readings("site_bounds = { energy = { max_area_km2 = 100 } }"),
            ..base.clone()
        };
        let a = judge(&base, &Params::default());
        let b = judge(&bounded, &Params::default());
        prop_assert_eq!(a.findings, b.findings);
    }
}
