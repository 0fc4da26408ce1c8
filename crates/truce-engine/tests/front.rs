//! Terms along a line of contact (issue 16, truce-rules/8): they need no protected target. An
//! explosion inside the buffer is a finding and the same outside is not; a 152 mm howitzer
//! 20 km from its party's own line is inside a 50 km zone split in halves and one at 30 km is
//! not; each party measures from its own line; a new line version changes findings only from
//! its validity on, and one filed late is flagged retroactive; fire across the line and forces
//! beyond it.

mod common;
use common::{id, reading, t};
use truce_engine::input::{Front, LineIn, ReadingIn, ReportFrontIn, ReportIn};
use truce_engine::{judge, Finding, Outcome, Params, Snapshot};
use truce_model::domain::{Act, Role};
use truce_model::front::{FireFrom, WeaponSeen};
use truce_model::geo::{Geometry, LineString, Point};
use truce_model::lines::LineKind;
use truce_model::taxonomy::WeaponClass;

const AT: &str = "2025-06-02T03:10:00Z";
/// The line of contact as Ukraine files it: the meridian 38° E from 47° N to 49° N, drawn south
/// to north, so Ukraine's side (west) is on its left.
const UA_LON: f64 = 38.0;
/// The line Russia measures from (a reference line east of it, as the armed formations measured
/// from the September 2014 line): 38.1° E, drawn south to north, Russia's side on its right.
const RU_LON: f64 = 38.1;

fn line(index: u64, author: &str, lid: &str, lon: f64, valid_from: &str, filed: &str) -> LineIn {
    LineIn {
        index,
        author: id(author),
        id: id(lid),
        kind: LineKind::Contact,
        geometry: Geometry::LineString(
            LineString::new(vec![
                Point::new(lon, 47.0).unwrap(),
                Point::new(lon, 48.0).unwrap(),
                Point::new(lon, 49.0).unwrap(),
            ])
            .unwrap(),
        ),
        controlled_by: None,
        valid_from: t(valid_from),
        filed: t(filed),
        approximate_m: 0,
    }
}

fn lines() -> Vec<LineIn> {
    vec![
        line(
            2,
            "ru",
            "memorandum",
            RU_LON,
            "2025-05-01T00:00:00Z",
            "2025-05-01T00:00:00Z",
        ),
        line(
            1,
            "ua",
            "loc",
            UA_LON,
            "2025-05-01T00:00:00Z",
            "2025-05-01T00:00:00Z",
        ),
    ]
}

/// The position `km` kilometres from `[lon, 48]` at `bearing` (90: east, 270: west).
fn at(lon: f64, bearing: f64, km: f64) -> [f64; 2] {
    truce_geo::destination([lon, 48.0], bearing, km * 1000.0)
}

fn report(index: u64, author: &str, role: Role, act: Act, point: [f64; 2]) -> ReportIn {
    ReportIn {
        index,
        entry_id: format!("{index:064x}").parse().unwrap(),
        author: id(author).into(),
        role,
        id: id(&format!("r{index}")),
        act,
        perpetrator: None,
        relays: None,
        denies: Vec::new().into(),
        point,
        uncertainty_m: 200,
        start: t(AT),
        end: t(AT) + 3600,
        target: None,
        static_source: false,
    }
}

/// A full ceasefire along the line: no protected site, a 30 km buffer, the Minsk Package's
/// withdrawal zones; Ukraine measures from its line of contact, Russia from its reference line.
fn full_ceasefire(index: u64) -> ReadingIn {
    reading(
        index,
        "osce",
        r#"prohibited_acts = ["strike", "explosion", "gunfire", "ground-assault", "advance"]
protected = ["civilian.residential"]
bound = ["ru", "ua"]
window = { start = 2025-05-01T00:00:00Z }
[terms.front]
lines = [ { party = "ua", line = "ua/loc", side = "left" },
          { party = "ru", line = "ru/memorandum", side = "right" } ]
buffer_km = 30
prohibit = ["explosion-in-buffer", "fire-across", "weapons-in-zone", "advance-beyond"]
[[terms.front.withdrawal]]
weapons = "weapon.artillery"
min_calibre_mm = 100
width_km = 50
source = "Minsk Package, point 2"
[[terms.front.withdrawal]]
weapons = "weapon.mlrs"
width_km = 70
"#,
    )
}

fn snapshot(reports: Vec<ReportIn>, said: Vec<ReportFrontIn>, lines: Vec<LineIn>) -> Snapshot {
    let mut roles = std::collections::BTreeMap::new();
    roles.insert(id("osce"), Role::Monitor);
    roles.insert(id("ua"), Role::Belligerent);
    roles.insert(id("ru"), Role::Belligerent);
    Snapshot {
        log_size: 100,
        reports,
        sites: Vec::new(),
        readings: vec![full_ceasefire(3)],
        assessments: Vec::new(),
        policies: Vec::new(),
        invocations: Vec::new(),
        roles,
        zones: Default::default(),
        ends: Default::default(),
        extensions: Vec::new(),
        conditions: Vec::new(),
        maritime: Default::default(),
        front: Front::new(lines, said),
    }
}

fn findings(s: &Snapshot) -> Vec<Finding> {
    judge(s, &Params::default()).findings
}

fn reasons(f: &Finding, rule: &str) -> Vec<String> {
    f.reasons
        .iter()
        .filter(|r| r.rule == rule)
        .map(|r| format!("{}: {}", r.holds, r.text))
        .collect()
}

fn weapon(index: u64, calibre: u32) -> ReportFrontIn {
    ReportFrontIn::new(
        index,
        id("osce"),
        id(&format!("r{index}")),
        Some(WeaponSeen {
            class: WeaponClass::new("weapon.artillery.howitzer").unwrap(),
            calibre_mm: Some(calibre),
            count: Some(2),
            model: Some("2A65 Msta-B".into()),
        }),
        None,
        None,
    )
}

fn fire(from: FireFrom) -> ReportFrontIn {
    ReportFrontIn::new(10, id("osce"), id("r10"), None, Some(from), None)
}

#[test]
fn an_explosion_inside_the_buffer_is_a_finding_and_outside_it_is_not() {
    // 10 km west of Ukraine's line: inside its 15 km half of the 30 km buffer.
    let inside = report(
        10,
        "osce",
        Role::Monitor,
        Act::Explosion,
        at(UA_LON, 270.0, 10.0),
    );
    let f = findings(&snapshot(vec![inside], Vec::new(), lines()));
    assert_eq!(f.len(), 1, "{f:#?}");
    let f = &f[0];
    // Nobody is named: a ceasefire violation by an undetermined party, never a breach.
    assert_eq!(f.outcome, Outcome::Undetermined, "{f:#?}");
    let front = reasons(f, "front");
    assert!(
        front
            .iter()
            .any(|r| r.starts_with("yes: explosion-in-buffer")
                && r.contains("10.0 km from ua's line")
                && r.contains("within its share of the buffer (15.0 km of 30.0 km)")),
        "{front:#?}"
    );
    assert!(reasons(f, "target")[0].starts_with("yes: no protected target needed"));

    // 20 km west: beyond the buffer, no protected site: the reading does not concern it.
    let outside = report(
        11,
        "osce",
        Role::Monitor,
        Act::Explosion,
        at(UA_LON, 270.0, 20.0),
    );
    let f = findings(&snapshot(vec![outside], Vec::new(), lines()));
    assert!(f.is_empty(), "{f:#?}");

    // Between the two lines (east of Ukraine's, west of Russia's): disputed ground, inside.
    let between = report(
        12,
        "osce",
        Role::Monitor,
        Act::Explosion,
        at(UA_LON, 90.0, 3.0),
    );
    let f = findings(&snapshot(vec![between], Vec::new(), lines()));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(reasons(&f[0], "front")[0].contains("disputed ground"));

    // A satellite's fire detection there is not an explosion: it concerns no front term.
    let fire = report(
        13,
        "firms",
        Role::OpenData,
        Act::FireObserved,
        at(UA_LON, 270.0, 10.0),
    );
    let f = findings(&snapshot(vec![fire], Vec::new(), lines()));
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn shelling_in_the_buffer_alleged_by_one_side_is_an_alleged_breach() {
    let mut r = report(
        10,
        "ua",
        Role::Belligerent,
        Act::Shelling,
        at(RU_LON, 90.0, 5.0),
    );
    r.perpetrator = Some(id("ru").into());
    // 5 km east of Russia's line is Russia's own side: inside its half of the buffer.
    let f = findings(&snapshot(vec![r], Vec::new(), lines()));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].outcome, Outcome::Breach, "{f:#?}");
    assert_eq!(f[0].standing, truce_engine::Standing::Alleged);
    assert_eq!(f[0].words, "alleged breach");
}

#[test]
fn a_howitzer_20_km_from_its_own_line_violates_a_50_km_zone_split_in_halves_and_at_30_km_it_does_not(
) {
    let seen = |index: u64, party: &str, p: [f64; 2]| {
        let mut r = report(index, "osce", Role::Monitor, Act::WeaponsSighting, p);
        r.perpetrator = Some(id(party).into());
        r.uncertainty_m = 100;
        r
    };
    for (km, violation) in [(20.0, true), (30.0, false)] {
        let p = at(UA_LON, 270.0, km);
        // The distance the engine measures is the exact geodesic distance to the line.
        let d =
            truce_geo::line_distance_m(&[vec![[UA_LON, 47.0], [UA_LON, 48.0], [UA_LON, 49.0]]], p);
        assert!((d - km * 1000.0).abs() < 1.0, "{d}");
        let f = findings(&snapshot(
            vec![seen(10, "ua", p)],
            vec![weapon(10, 152)],
            lines(),
        ));
        assert_eq!(f.len(), 1, "{f:#?}");
        let front = reasons(&f[0], "front");
        if violation {
            assert_eq!(f[0].outcome, Outcome::Breach, "{f:#?}");
            assert!(
                front[0].starts_with("yes: weapons-in-zone")
                    && front[0].contains("2 × 152 mm weapon.artillery.howitzer of ua 20.0 km")
                    && front[0].contains("inside its withdrawal line at 25.0 km (its half of the 50 km zone for weapon.artillery of 100 mm and more)"),
                "{front:#?}"
            );
            // One patrol's sighting is one origin: the breach stands as alleged until another
            // origin or the monitors' review confirms it (the rules of every finding).
            assert_eq!(f[0].words, "alleged breach", "{f:#?}");
        } else {
            assert_eq!(f[0].outcome, Outcome::OutOfScope, "{f:#?}");
            assert!(
                front[0].starts_with("no: weapons-in-zone")
                    && front[0].contains("beyond its withdrawal line at 25.0 km"),
                "{front:#?}"
            );
        }
    }
    // 82 mm is below the zone's calibre.
    let f = findings(&snapshot(
        vec![seen(10, "ua", at(UA_LON, 270.0, 20.0))],
        vec![weapon(10, 82)],
        lines(),
    ));
    assert_eq!(f[0].outcome, Outcome::OutOfScope, "{f:#?}");
    // Each party measures from its own line: Russia's howitzer 30 km east of Ukraine's line is
    // 22.5 km from Russia's reference line, inside its half.
    let p = at(UA_LON, 90.0, 30.0);
    let f = findings(&snapshot(
        vec![seen(10, "ru", p)],
        vec![weapon(10, 152)],
        lines(),
    ));
    assert_eq!(f[0].outcome, Outcome::Breach, "{f:#?}");
    assert!(reasons(&f[0], "front")[0].contains("from its line ru/memorandum"));
    // A weapon on the far side of its party's own line is inside the zone whatever the distance.
    let p = at(UA_LON, 90.0, 40.0);
    let f = findings(&snapshot(
        vec![seen(10, "ua", p)],
        vec![weapon(10, 152)],
        lines(),
    ));
    assert_eq!(f[0].outcome, Outcome::Breach, "{f:#?}");
    assert!(reasons(&f[0], "front")[0].contains("BEYOND it"));
}

#[test]
fn a_position_within_its_uncertainty_of_the_withdrawal_line_is_undetermined() {
    let mut r = report(
        10,
        "osce",
        Role::Monitor,
        Act::WeaponsSighting,
        at(UA_LON, 270.0, 25.3),
    );
    r.perpetrator = Some(id("ua").into());
    r.uncertainty_m = 500;
    let f = findings(&snapshot(vec![r], vec![weapon(10, 152)], lines()));
    assert_eq!(f[0].outcome, Outcome::Undetermined, "{f:#?}");
    assert!(reasons(&f[0], "front")[0].starts_with("uncertain: weapons-in-zone"));
}

#[test]
fn a_new_line_version_changes_findings_only_from_its_validity_on() {
    // Ukraine's line moves 10 km west from 1 June (filed then).
    let moved = line(
        4,
        "ua",
        "loc",
        37.866,
        "2025-06-01T00:00:00Z",
        "2025-06-01T00:00:00Z",
    );
    let mut all = lines();
    all.push(moved);
    all.sort_by(|a, b| (&a.author, &a.id, a.index).cmp(&(&b.author, &b.id, b.index)));
    // 20 km west of the old line: outside the buffer before the move; after it, 10 km from the
    // new line, inside.
    let p = at(UA_LON, 270.0, 20.0);
    let mut before = report(10, "osce", Role::Monitor, Act::Explosion, p);
    before.start = t("2025-05-20T03:00:00Z");
    before.end = before.start + 600;
    let mut after = report(11, "osce", Role::Monitor, Act::Explosion, p);
    after.start = t("2025-06-10T03:00:00Z");
    after.end = after.start + 600;
    let old = findings(&snapshot(
        vec![before.clone(), after.clone()],
        Vec::new(),
        lines(),
    ));
    assert!(old.is_empty(), "{old:#?}");
    let new = findings(&snapshot(vec![before, after], Vec::new(), all.clone()));
    assert_eq!(new.len(), 1, "{new:#?}");
    assert_eq!(new[0].day, "2025-06-10");
    assert!(!new[0].retroactive);
    assert!(reasons(&new[0], "front")[0].contains("(version of entry 4, valid from 2025-06-01"));

    // Filed on 15 June, valid from 1 June: it decides the 10 June incident, flagged.
    let late = all
        .iter()
        .map(|l| {
            let mut l = l.clone();
            if l.index == 4 {
                l.filed = t("2025-06-15T00:00:00Z");
            }
            l
        })
        .collect();
    let mut after = report(11, "osce", Role::Monitor, Act::Explosion, p);
    after.start = t("2025-06-10T03:00:00Z");
    after.end = after.start + 600;
    let f = findings(&snapshot(vec![after], Vec::new(), late));
    assert_eq!(f.len(), 1);
    assert!(f[0].retroactive);
    assert!(
        reasons(&f[0], "version")
            .iter()
            .any(|r| r.contains("RETROACTIVE")),
        "{f:#?}"
    );
}

#[test]
fn fire_across_the_line_needs_its_origin() {
    let impact = at(UA_LON, 270.0, 30.0);
    let mut r = report(10, "osce", Role::Monitor, Act::Explosion, impact);
    r.perpetrator = None;
    // A crater analysis: fire from the east, from up to 40 km: it may have crossed.
    let crater = fire(FireFrom {
        point: None,
        bearing_deg: Some(90.0),
        range_km: Some(40.0),
    });
    let f = findings(&snapshot(vec![r.clone()], vec![crater.clone()], lines()));
    assert_eq!(f.len(), 1, "{f:#?}");
    let front = reasons(&f[0], "front");
    assert!(
        front
            .iter()
            .any(|x| x.starts_with("uncertain: fire-across") && x.contains("bearing 90°")),
        "{front:#?}"
    );
    // From the west, within 40 km: it cannot have crossed.
    let west = fire(FireFrom {
        point: None,
        bearing_deg: Some(270.0),
        range_km: Some(40.0),
    });
    let f = findings(&snapshot(vec![r.clone()], vec![west], lines()));
    assert!(f.is_empty(), "{f:#?}");
    // A stated firing position east of both lines: across.
    let from = fire(FireFrom {
        point: Some(Point::new(38.5, 48.0).unwrap()),
        bearing_deg: None,
        range_km: None,
    });
    let f = findings(&snapshot(vec![r], vec![from], lines()));
    assert!(
        reasons(&f[0], "front")
            .iter()
            .any(|x| x.starts_with("yes: fire-across")),
        "{f:#?}"
    );
    assert_eq!(f[0].outcome, Outcome::Undetermined, "no one is named");
}

#[test]
fn forces_beyond_their_own_line_are_an_advance() {
    let mut r = report(
        10,
        "ua",
        Role::Belligerent,
        Act::Advance,
        at(RU_LON, 270.0, 2.0),
    );
    r.perpetrator = Some(id("ru").into());
    // 2 km west of Russia's line: beyond it (though still east of Ukraine's).
    let f = findings(&snapshot(vec![r.clone()], Vec::new(), lines()));
    assert_eq!(f[0].outcome, Outcome::Breach, "{f:#?}");
    assert!(reasons(&f[0], "front")
        .iter()
        .any(|x| x.starts_with("yes: advance-beyond") && x.contains("BEYOND")));
    r.point = at(RU_LON, 90.0, 2.0);
    let f = findings(&snapshot(vec![r], Vec::new(), lines()));
    assert_eq!(f[0].outcome, Outcome::OutOfScope, "{f:#?}");
}

#[test]
fn without_a_line_in_force_the_terms_cannot_be_judged() {
    let mut r = report(
        10,
        "osce",
        Role::Monitor,
        Act::Explosion,
        at(UA_LON, 270.0, 10.0),
    );
    r.start = t("2025-06-01T00:00:00Z");
    let f = findings(&snapshot(vec![r], Vec::new(), Vec::new()));
    assert!(f.is_empty(), "{f:#?}");
}

/// A patrol's observation at `observer` (restricted) as the log carries it: the public footprint
/// (observer hidden within 1 km at least), the report placed at its centroid with an uncertainty
/// covering every cell.
fn observed(
    index: u64,
    observer: [f64; 2],
    sectors: &[(f64, f64)],
    ring: (f64, f64),
    count: u32,
) -> (ReportIn, ReportFrontIn) {
    use truce_model::front::{DistanceRange, EventType, Modality, Observation, PublicCells};
    let secs: Vec<truce_geo::Sector> = sectors
        .iter()
        .map(|&(a, b)| truce_geo::Sector::new(a, b).unwrap())
        .collect();
    let fp = truce_geo::coarsen(
        observer,
        &secs,
        truce_geo::Ring::new(ring.0, ring.1).unwrap(),
        1000.0,
    )
    .unwrap();
    let c = fp.centroid();
    let radius = fp
        .to_polygons()
        .iter()
        .flatten()
        .flatten()
        .map(|v| truce_geo::distance_m(c, *v))
        .fold(0.0, f64::max);
    let mut r = report(index, "osce", Role::Monitor, Act::Explosion, c);
    r.uncertainty_m = radius.ceil() as u32;
    let o = Observation {
        count,
        distance: DistanceRange {
            max_m: ring.1,
            min_m: ring.0,
        },
        event: EventType::Undetermined,
        footprint: PublicCells {
            cells: fp.cell_strings(),
            hidden_m: fp.hidden_radius_m(),
        },
        modality: Modality::Heard,
        observer: "ab".repeat(32),
        sectors: sectors.iter().map(|&(a, b)| [a, b]).collect(),
    };
    let said = ReportFrontIn::new(index, id("osce"), r.id.clone(), None, None, Some(o));
    assert!(said.footprint.is_some());
    (r, said)
}

#[test]
fn two_patrols_hearing_the_same_explosions_make_one_incident_judged_on_their_footprints() {
    // Two patrols 4 km west of the line, 6 km apart, both hear explosions towards the line:
    // their footprints overlap there, inside the buffer (Ukraine's half, and the strip between
    // the two parties' lines).
    let a = at(UA_LON, 270.0, 4.0);
    let b = truce_geo::destination(a, 0.0, 6_000.0);
    let (ra, sa) = observed(10, a, &[(67.5, 112.5)], (2_000.0, 4_000.0), 26);
    let (rb, sb) = observed(11, b, &[(112.5, 157.5)], (3_000.0, 6_000.0), 19);
    let j = judge(
        &snapshot(vec![ra, rb], vec![sa.clone(), sb.clone()], lines()),
        &Params::default(),
    );
    assert_eq!(j.incidents.len(), 1, "{:#?}", j.incidents);
    assert_eq!(j.incidents[0].members.len(), 2);
    assert!(sa
        .footprint
        .as_ref()
        .unwrap()
        .overlaps(sb.footprint.as_ref().unwrap()));
    let f = &j.findings[0];
    assert_eq!(f.outcome, Outcome::Undetermined, "{f:#?}");
    let front = reasons(f, "front");
    assert!(
        front
            .iter()
            .any(|x| x.starts_with("yes: explosion-in-buffer")
                && x.contains("public footprint")
                && x.contains("all of it inside the buffer")),
        "{front:#?}"
    );
    // No reason, incident or finding carries the observers' positions.
    let text = serde_json::to_string(&j).unwrap();
    for p in [a, b] {
        for v in p {
            assert!(!text.contains(&format!("{v:.4}")), "{v} in {text}");
        }
    }

    // A footprint reaching across the buffer's edge cannot say: uncertain.
    let far = at(UA_LON, 270.0, 22.0);
    let (r, s) = observed(12, far, &[(45.0, 135.0)], (2_000.0, 12_000.0), 5);
    let f = findings(&snapshot(vec![r], vec![s], lines()));
    assert!(
        reasons(&f[0], "front")[0].starts_with("uncertain: explosion-in-buffer"),
        "{f:#?}"
    );
    // One pointing away from the line, deep on Ukraine's side: no finding. (The public
    // footprint is wide: it covers what every observer position in the coarse cell could hear.)
    let deep = at(UA_LON, 270.0, 35.0);
    let (r, s) = observed(13, deep, &[(250.0, 290.0)], (2_000.0, 5_000.0), 5);
    let f = findings(&snapshot(vec![r], vec![s], lines()));
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn observations_link_by_their_footprints_not_by_the_circles_around_them() {
    // Two patrols 10 km apart, deep on Ukraine's side, each hearing explosions far to the east
    // in a narrow sector: long parallel strips. The circles enclosing their public footprints
    // (with each report's reach) meet, the footprints do not. Two incidents, not one
    // (truce-rules/9).
    let a = at(UA_LON, 270.0, 45.0);
    let b = truce_geo::destination(a, 0.0, 20_000.0);
    let (ra, sa) = observed(10, a, &[(85.0, 95.0)], (10_000.0, 25_000.0), 7);
    let (rb, sb) = observed(11, b, &[(85.0, 95.0)], (10_000.0, 25_000.0), 4);
    let p = Params::default();
    let reach = |r: &ReportIn| p.report_reach_m + f64::from(r.uncertainty_m);
    assert!(
        truce_geo::distance_m(ra.point, rb.point) < reach(&ra) + reach(&rb),
        "the circles must meet for the test to mean anything"
    );
    let (fa, fb) = (sa.footprint.clone().unwrap(), sb.footprint.clone().unwrap());
    assert!(!fa.overlaps(&fb));
    let snap = snapshot(
        vec![ra.clone(), rb.clone()],
        vec![sa.clone(), sb.clone()],
        lines(),
    );
    let j = judge(&snap, &p);
    assert_eq!(j.incidents.len(), 2, "{:#?}", j.incidents);

    // Ukraine's allegation of shelling at a point inside the first footprint joins the first
    // patrol's incident only, although it lies within reach of both circles.
    let inside = fa.centroid();
    let mut claim = report(12, "ua", Role::Belligerent, Act::Explosion, inside);
    claim.perpetrator = Some(id("ru").into());
    assert!(fa.within_m(inside, 0.0) && !fb.within_m(inside, reach(&claim)));
    assert!(truce_geo::distance_m(inside, rb.point) < reach(&claim) + reach(&rb));
    let snap = snapshot(
        vec![ra.clone(), rb.clone(), claim.clone()],
        vec![sa.clone(), sb.clone()],
        lines(),
    );
    let j = judge(&snap, &p);
    assert_eq!(j.incidents.len(), 2, "{:#?}", j.incidents);
    let with_claim = j
        .incidents
        .iter()
        .find(|i| i.members.iter().any(|m| m.id == claim.id))
        .unwrap();
    let ids: Vec<&truce_model::Id> = with_claim.members.iter().map(|m| &m.id).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&&ra.id), "{ids:?}");

    // The incremental judgement agrees, report by report (the observations' public parts are
    // known from the start: only the link graph changes).
    use truce_engine::{Delta, Incremental};
    let mut inc = Incremental::new(snapshot(Vec::new(), vec![sa, sb], lines()), p);
    for r in [ra, rb, claim] {
        inc.apply(Delta {
            log_size: 100,
            reports: vec![((r.author.id().clone(), r.id.clone()), Some(r))],
            ..Delta::default()
        });
    }
    assert_eq!(
        serde_json::to_string(inc.judgement()).unwrap(),
        serde_json::to_string(&j).unwrap()
    );
}

#[test]
fn a_line_version_appended_later_rejudges_in_full_as_judge_would() {
    use truce_engine::{Delta, Incremental};
    let p = at(UA_LON, 270.0, 20.0);
    let mut r = report(10, "osce", Role::Monitor, Act::Explosion, p);
    r.start = t("2025-06-10T03:00:00Z");
    r.end = r.start + 600;
    let before = snapshot(vec![r.clone()], Vec::new(), lines());
    let mut inc = Incremental::new(before, Params::default());
    assert!(inc.judgement().findings.is_empty());
    // Ukraine's line moves 10 km west from 1 June: the explosion is now 10 km from it.
    let mut all = lines();
    all.push(line(
        4,
        "ua",
        "loc",
        37.866,
        "2025-06-01T00:00:00Z",
        "2025-06-01T00:00:00Z",
    ));
    all.sort_by(|a, b| (&a.author, &a.id, a.index).cmp(&(&b.author, &b.id, b.index)));
    let after = snapshot(vec![r], Vec::new(), all.clone());
    let rj = inc.apply(Delta {
        log_size: after.log_size,
        front: Some(Front::new(all, Vec::new())),
        ..Default::default()
    });
    assert!(rj.full.is_some(), "{rj:?}");
    let want = judge(&after, &Params::default());
    assert_eq!(want.findings.len(), 1);
    assert_eq!(
        serde_json::to_string(inc.judgement()).unwrap(),
        serde_json::to_string(&want).unwrap()
    );
}
