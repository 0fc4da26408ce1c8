//! The synthetic patrol observations (`truce_sim::observations`) along the demo's monitor line:
//! byte-identical for a seed; an authoring file that parses and files as the monitor's would;
//! counts, sectors and distance ranges valid; the true events inside the stated sector and
//! distance about as often as the error model says (checked against the WGS84 geodesic, not the
//! generator's own geometry); patrols and events on both sides of the line; overlapping patrols.

use geo::{Bearing, Distance, Geodesic, Point};
use truce_model::authoring::AuthoredFile;
use truce_model::front::{EventType, Modality};
use truce_model::geo::Geometry;
use truce_sim::observations::{octant_sector, Day, ObsParams, PatrolLine, Patrols};
use truce_sim::write_observations;

/// The monitor's line of the demo scenario (18 points, drawn north to south).
fn monitor_line() -> Vec<[f64; 2]> {
    let text =
        include_str!("../../../scenarios/energy-moratorium-2025/lines/monitor-loc-2025-05-01.toml");
    let f = AuthoredFile::parse("monitor-loc", text).unwrap();
    match &f.line[0].geometry {
        Geometry::LineString(l) => l.points().iter().map(|p| [p.lon(), p.lat()]).collect(),
        g => panic!("not a line: {g:?}"),
    }
}

/// 2025-05-05 as days since 1970-01-01.
fn may_5() -> i64 {
    truce_sim::observations::parse_date("2025-05-05").unwrap()
}

fn sim(seed: u64, days: u32, patrols: Option<u32>) -> Patrols {
    let line = PatrolLine::new(&monitor_line()).unwrap();
    Patrols::new(
        ObsParams {
            seed,
            start_day: may_5(),
            days,
            patrols,
        },
        line,
    )
    .unwrap()
}

fn written(seed: u64, days: u32, patrols: Option<u32>) -> Vec<u8> {
    let mut out = Vec::new();
    let s = write_observations(&sim(seed, days, patrols), &mut out).unwrap();
    assert_eq!(s.days, days);
    out
}

fn geodesic_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    Geodesic.distance(Point::new(a[0], a[1]), Point::new(b[0], b[1]))
}

fn geodesic_bearing(a: [f64; 2], b: [f64; 2]) -> f64 {
    Geodesic
        .bearing(Point::new(a[0], a[1]), Point::new(b[0], b[1]))
        .rem_euclid(360.0)
}

fn in_sector(s: [f64; 2], b: f64) -> bool {
    (b - s[0]).rem_euclid(360.0) <= (s[1] - s[0]).rem_euclid(360.0)
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let a = written(1, 7, None);
    assert_eq!(a, written(1, 7, None));
    assert_ne!(a, written(2, 7, None));
    assert_ne!(a, written(1, 7, Some(6)));
    // A day is the same whatever the run's length.
    let (s3, s7) = (sim(1, 3, None), sim(1, 7, None));
    assert_eq!(s3.day(2), s7.day(2));
}

#[test]
fn the_file_parses_back_and_every_observation_files_as_a_public_report() {
    let bytes = written(1, 7, None);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("# SYNTHETIC"), "{}", &text[..80]);
    let f = AuthoredFile::parse("sim.toml", &text).unwrap();
    assert!(f.bodies().is_empty(), "observations only");
    let sim = sim(1, 7, None);
    let days: Vec<Day> = (0..7).map(|k| sim.day(k)).collect();
    let n: usize = days.iter().map(|d| d.observations.len()).sum();
    assert_eq!(f.observation.len(), n);
    assert!(n >= 50, "only {n} observations in a week");
    assert_eq!(f.time.to_string(), "2025-05-12T00:00:00Z");
    let salt = [7u8; 32];
    let mut ids = std::collections::BTreeSet::new();
    for (d, ob) in f
        .observation
        .iter()
        .zip(days.iter().flat_map(|d| &d.observations))
    {
        assert_eq!(d.id.as_str(), ob.id);
        assert!(ids.insert(ob.id.clone()), "id {} twice", ob.id);
        assert!(d.illustrative);
        assert!(d.text.starts_with("SYNTHETIC"), "{}", d.text);
        assert!(d.area.ends_with("patrol (synthetic)"), "{}", d.area);
        assert!(d.time.end <= f.time && d.time.start < d.time.end);
        assert_eq!(d.count, ob.count);
        assert_eq!(d.sectors, vec![ob.sector]);
        assert_eq!(d.distance_km, ob.distance_km);
        let (report, position) =
            truce_ingest::observations::file(d, &salt).unwrap_or_else(|e| panic!("{}: {e}", ob.id));
        assert!(report.illustrative);
        assert!(!report.text.contains(&format!("{}", d.observer.lat())));
        assert!(position.content.contains(&format!("{}", d.observer.lat())));
    }
}

#[test]
fn counts_sectors_and_distance_ranges_are_valid() {
    let sim = sim(3, 20, None);
    for k in 0..20 {
        let day = sim.day(k);
        assert!(
            (4..=8).contains(&day.patrols.len()),
            "{}",
            day.patrols.len()
        );
        for ob in &day.observations {
            assert!(ob.count >= 1);
            assert_eq!(ob.count as usize, ob.events.len());
            assert_eq!(ob.sector, octant_sector(ob.octant));
            let [lo, hi] = ob.distance_km;
            assert!(0.0 <= lo && lo < hi && hi <= 20.0, "{}: {lo}–{hi}", ob.id);
            assert_eq!((lo * 2.0).fract(), 0.0);
            assert_eq!((hi * 2.0).fract(), 0.0);
            let p = &day.patrols[ob.patrol];
            for &e in &ob.events {
                let ev = &day.events[e];
                assert_eq!(ev.event, ob.event);
                assert!(p.start <= ev.t && ev.t < p.end);
                let range = if ev.event.is_explosion() {
                    10_050.0
                } else {
                    4_050.0
                };
                assert!(geodesic_m(p.pos, ev.pos) <= range);
            }
        }
    }
    let fixed = sim_fixed();
    assert!(fixed.iter().all(|d| d.patrols.len() == 6));
}

fn sim_fixed() -> Vec<Day> {
    let s = sim(3, 5, Some(6));
    (0..5).map(|k| s.day(k)).collect()
}

#[test]
fn the_true_events_lie_in_the_stated_sector_and_range_as_often_as_the_errors_say() {
    let sim = sim(5, 40, None);
    // Per modality: events, inside the stated octant, inside the stated range.
    let mut tally = std::collections::BTreeMap::<Modality, (u32, u32, u32)>::new();
    let mut geo_err_m: f64 = 0.0;
    let mut geo_err_deg: f64 = 0.0;
    for k in 0..40 {
        let day = sim.day(k);
        for ob in &day.observations {
            let p = &day.patrols[ob.patrol];
            for &e in &ob.events {
                let ev = &day.events[e];
                let d = geodesic_m(p.pos, ev.pos);
                let b = geodesic_bearing(p.pos, ev.pos);
                // The generator's plane against the geodesic.
                let plane_d = truce_sim::observations::distance(p.pos, ev.pos);
                let plane_b = truce_sim::observations::bearing_deg(p.pos, ev.pos);
                geo_err_m = geo_err_m.max((plane_d - d).abs() / d.max(1.0));
                let db = (plane_b - b + 180.0).rem_euclid(360.0) - 180.0;
                if d > 500.0 {
                    geo_err_deg = geo_err_deg.max(db.abs());
                }
                let t = tally.entry(ob.modality).or_default();
                t.0 += 1;
                t.1 += u32::from(in_sector(ob.sector, b));
                let [lo, hi] = ob.distance_km;
                t.2 += u32::from(lo * 1000.0 <= d && d <= hi * 1000.0);
            }
        }
    }
    assert!(
        geo_err_m < 0.01,
        "local plane off the geodesic by {geo_err_m}"
    );
    assert!(
        geo_err_deg < 0.5,
        "bearing off the geodesic by {geo_err_deg}°"
    );
    let share = |m: Modality| {
        let (n, s, r) = tally[&m];
        (n, f64::from(s) / f64::from(n), f64::from(r) / f64::from(n))
    };
    let (n_heard, sector_heard, range_heard) = share(Modality::Heard);
    let (n_seen, sector_seen, range_seen) = share(Modality::Seen);
    let (n_camera, sector_camera, _) = share(Modality::Camera);
    eprintln!(
        "heard {n_heard}: {sector_heard:.3} in sector, {range_heard:.3} in range; seen {n_seen}: {sector_seen:.3}, {range_seen:.3}; camera {n_camera}: {sector_camera:.3}"
    );
    // σ 15° in 45° octants: about 73 % inside; never (nearly) all, never a minority.
    assert!((0.62..0.85).contains(&sector_heard), "{sector_heard}");
    assert!((0.84..0.97).contains(&sector_seen), "{sector_seen}");
    assert!(sector_camera > 0.85, "{sector_camera}");
    // ±2σ around a perceived distance, widened by the aggregate and the 0.5 km rounding.
    assert!((0.9..1.0).contains(&range_heard), "{range_heard}");
    assert!((0.9..=1.0).contains(&range_seen), "{range_seen}");
    // Mostly heard; some seen, a few by camera.
    assert!(
        n_heard > 2 * (n_seen + n_camera),
        "{n_heard} {n_seen} {n_camera}"
    );
    assert!(n_seen > 20 && n_camera > 3, "{n_seen} {n_camera}");
}

#[test]
fn patrols_and_events_are_on_both_sides_of_the_line_and_patrols_overlap() {
    let line = truce_geo::ContactLine::new(vec![monitor_line()]).unwrap();
    let sim = sim(1, 14, None);
    let (mut left, mut right) = (0, 0);
    let (mut ev_left, mut ev_right, mut ev_far, mut ev_all) = (0, 0, 0, 0);
    let mut shared = 0;
    let mut levels = std::collections::BTreeSet::new();
    for k in 0..14 {
        let day = sim.day(k);
        levels.insert((day.level * 100.0) as u32);
        for p in &day.patrols {
            let d = line.distance_m(p.pos);
            assert!(
                (2_900.0..=15_200.0).contains(&d),
                "patrol {d} m from the line"
            );
            match line.side(p.pos) {
                truce_geo::Side::Left => left += 1,
                truce_geo::Side::Right => right += 1,
                truce_geo::Side::On => panic!("a patrol on the line"),
            }
        }
        for ev in &day.events {
            let d = line.distance_m(ev.pos);
            ev_all += 1;
            if d > 10_000.0 {
                ev_far += 1;
            }
            if d > 100.0 {
                match line.side(ev.pos) {
                    truce_geo::Side::Left => ev_left += 1,
                    _ => ev_right += 1,
                }
            }
            if !ev.event.is_explosion() {
                assert!(d < 3_000.0, "gunfire {d} m from the line");
            }
        }
        // An event two patrols both counted.
        let mut by_event =
            std::collections::BTreeMap::<usize, std::collections::BTreeSet<usize>>::new();
        for ob in &day.observations {
            for &e in &ob.events {
                by_event.entry(e).or_default().insert(ob.patrol);
            }
        }
        shared += by_event.values().filter(|ps| ps.len() >= 2).count();
    }
    assert!(left >= 10 && right >= 10, "left {left}, right {right}");
    assert!(
        ev_left * 10 > ev_all * 4 && ev_right * 10 > ev_all * 4,
        "{ev_left} {ev_right}"
    );
    assert!(ev_far * 10 < ev_all, "{ev_far} of {ev_all} beyond 10 km");
    assert!(shared > 20, "only {shared} events counted by two patrols");
    assert!(levels.len() >= 2, "every day alike: {levels:?}");
    assert!(EventType::ALL.len() == 6);
}

#[test]
fn bad_parameters_are_refused() {
    let line = PatrolLine::new(&monitor_line()).unwrap();
    let p = ObsParams {
        seed: 1,
        start_day: may_5(),
        days: 0,
        patrols: None,
    };
    assert!(Patrols::new(p, line.clone()).is_err());
    assert!(Patrols::new(
        ObsParams {
            days: 3,
            patrols: Some(0),
            ..p
        },
        line
    )
    .is_err());
    assert!(truce_sim::observations::parse_date("2025-05-05T12:00:00Z").is_err());
    assert!(truce_sim::observations::parse_date("5 May").is_err());
}

#[test]
fn the_demo_week_stays_modest() {
    // scripts/demo-observations.sh: seed 1, 7 days from 2025-05-05 along the monitor's line.
    let mut out = Vec::new();
    let s = write_observations(&sim(1, 7, None), &mut out).unwrap();
    eprintln!("{s:?}, {} bytes", out.len());
    assert!((60..=300).contains(&s.observations), "{s:?}");
    assert!(s.counted > s.observations, "{s:?}");
}
