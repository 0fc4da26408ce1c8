//! Track segments: every raw fix within tolerance of the logged (rounded) track, measured with an
//! independent geodesic; hashes and lines against the raw rows; each fix in exactly one segment
//! (against a model of the lateness rule); output independent of batching and of how vessels
//! interleave; memory bounded by the vessels live, not the input; spoofed jumps flagged; a
//! straight track in two points; `verify` refusing tampered rows and segments.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use truce_ais::fix::Fix;
use truce_ais::track::{verify, Params, Segment, Segmenter, TrackError};

const HOUR_MS: i64 = 3_600_000;
/// 2024-06-10T06:00:00Z, an hour's start.
const T0: i64 = 1_718_000_000_000 / HOUR_MS * HOUR_MS;

fn fix(mmsi: u32, t_ms: i64, lon: f64, lat: f64) -> Fix {
    Fix {
        mmsi,
        t_ms,
        lon,
        lat,
        sog_knots: None,
        cog_deg: None,
        heading_deg: None,
        nav_status: None,
        class: None,
    }
}

/// A raw row as a reader hands it over.
#[derive(Debug, Clone)]
struct Row {
    fix: Fix,
    raw: Vec<u8>,
    line: u64,
}

/// Rows in arrival order, numbered as lines 1.., each with its own raw bytes.
fn rows(fixes: Vec<Fix>) -> Vec<Row> {
    fixes
        .into_iter()
        .enumerate()
        .map(|(i, fix)| Row {
            raw: format!(
                "{},{},{},{:.7},{:.7}\r\n",
                i + 1,
                fix.mmsi,
                fix.t_ms,
                fix.lon,
                fix.lat
            )
            .into_bytes(),
            line: i as u64 + 1,
            fix,
        })
        .collect()
}

fn run(rows: &[Row], params: Params) -> (Vec<Segment>, truce_ais::track::Stats) {
    let mut s = Segmenter::new(params).unwrap();
    let mut out = Vec::new();
    for r in rows {
        out.extend(s.push(&r.fix, &r.raw, r.line).unwrap());
    }
    let stats = s.stats().clone();
    out.extend(s.finish());
    (out, stats)
}

fn run_batches(rows: &[Row], params: Params, cuts: &[usize]) -> Vec<Segment> {
    let mut s = Segmenter::new(params).unwrap();
    let mut out = Vec::new();
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (rows.len() + 1)).collect();
    cuts.push(0);
    cuts.push(rows.len());
    cuts.sort_unstable();
    for w in cuts.windows(2) {
        let batch = rows[w[0]..w[1]]
            .iter()
            .map(|r| (&r.fix, r.raw.as_slice(), r.line));
        s.push_batch(batch, &mut out).unwrap();
    }
    out.extend(s.finish());
    out
}

type Key = (u32, i64, u32);

/// The lateness rule as the module documents it: the rows of each (mmsi, hour s, part).
fn model(rows: &[Row], params: Params) -> BTreeMap<Key, Vec<usize>> {
    let mut w = i64::MIN;
    let mut groups: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        w = w.max(r.fix.t_ms);
        let hour = r.fix.t_ms.div_euclid(HOUR_MS);
        let close0 = (hour + 1) * HOUR_MS + params.max_lateness_ms;
        let part = if w < close0 {
            0
        } else {
            ((w - close0) / HOUR_MS + 1) as u32
        };
        groups
            .entry((r.fix.mmsi, hour * 3600, part))
            .or_default()
            .push(i);
    }
    groups
}

/// Where the logged track puts the vessel at `t`: linear in time between the decoded points,
/// longitude the short way round.
fn interpolate(seg: &Segment, t: i64) -> [f64; 2] {
    let p = &seg.points;
    let e = p
        .partition_point(|q| q.t_ms < t)
        .clamp(1, p.len().max(2) - 1);
    if p.len() == 1 {
        return [p[0].lon(), p[0].lat()];
    }
    let (a, b) = (p[e - 1], p[e]);
    let f = (t - a.t_ms) as f64 / (b.t_ms - a.t_ms) as f64;
    let mut dlon = b.lon() - a.lon();
    if dlon > 180.0 {
        dlon -= 360.0;
    } else if dlon < -180.0 {
        dlon += 360.0;
    }
    let mut lon = a.lon() + dlon * f;
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    [lon, a.lat() + (b.lat() - a.lat()) * f]
}

/// Everything the segments promise, checked from the outside.
fn check_all(rows: &[Row], segs: &[Segment], params: Params) -> Result<(), TestCaseError> {
    let groups = model(rows, params);
    // (c) each fix in exactly one segment: the segments are the model's groups, one each.
    let mut ids: Vec<Key> = segs.iter().map(|s| (s.mmsi, s.hour, s.part)).collect();
    ids.sort_unstable();
    let want: Vec<Key> = groups.keys().copied().collect();
    prop_assert_eq!(&ids, &want);
    let total: u64 = segs.iter().map(|s| s.fixes).sum();
    prop_assert_eq!(total, rows.len() as u64);
    // Output order: by closing time, then hour, mmsi, part.
    let order: Vec<(i64, i64, u32, u32)> = segs
        .iter()
        .map(|s| {
            let close =
                (s.hour * 1000 + (1 + i64::from(s.part)) * HOUR_MS) + params.max_lateness_ms;
            (close, s.hour, s.mmsi, s.part)
        })
        .collect();
    prop_assert!(order.windows(2).all(|w| w[0] < w[1]));
    for seg in segs {
        let idx = &groups[&(seg.mmsi, seg.hour, seg.part)];
        prop_assert_eq!(seg.fixes, idx.len() as u64);
        // (b) the hash is SHA-256 of the raw bytes concatenated in arrival order.
        let mut h = Sha256::new();
        for &i in idx {
            h.update(&rows[i].raw);
        }
        prop_assert_eq!(seg.sha256, <[u8; 32]>::from(h.finalize()));
        prop_assert_eq!(seg.first_line, rows[idx[0]].line);
        prop_assert_eq!(seg.last_line, rows[idx[idx.len() - 1]].line);
        prop_assert_eq!(seg.tolerance_m, params.tolerance_m);
        let raws: Vec<(&Fix, &[u8])> = idx
            .iter()
            .map(|&i| (&rows[i].fix, rows[i].raw.as_slice()))
            .collect();
        if let Err(e) = verify(seg, &raws) {
            return Err(TestCaseError::fail(e.to_string()));
        }
        // (a) from the logged bytes, with Karney's geodesic: every track fix (the first at each
        // timestamp) within tolerance of the track at its time.
        let logged = Segment::from_json(seg.to_json().as_bytes()).unwrap();
        prop_assert_eq!(&logged, seg);
        let mut by_time: Vec<&Fix> = idx.iter().map(|&i| &rows[i].fix).collect();
        by_time.sort_by_key(|f| f.t_ms);
        by_time.dedup_by_key(|f| f.t_ms);
        prop_assert_eq!(logged.points.first().map(|p| p.t_ms), Some(by_time[0].t_ms));
        prop_assert_eq!(
            logged.points.last().map(|p| p.t_ms),
            by_time.last().map(|f| f.t_ms)
        );
        for f in by_time {
            let d = truce_geo::distance_m([f.lon, f.lat], interpolate(&logged, f.t_ms));
            prop_assert!(
                d <= params.tolerance_m,
                "fix at {} is {} m from the track",
                f.t_ms,
                d
            );
        }
    }
    Ok(())
}

/// A small deterministic generator for the steps of a track.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Speed and heading wandering.
    Walk,
    /// Moored: GNSS noise around a point.
    Stop,
    /// Idle for hours, then under way.
    IdleThenMove,
    /// Constant velocity.
    Straight,
}

#[derive(Debug, Clone)]
struct Vessel {
    kind: Kind,
    lon: f64,
    lat: f64,
    start_ms: i64,
    interval_ms: i64,
    n: usize,
    seed: u64,
}

fn vessel() -> impl Strategy<Value = Vessel> {
    (
        prop_oneof![
            Just(Kind::Walk),
            Just(Kind::Stop),
            Just(Kind::IdleThenMove),
            Just(Kind::Straight)
        ],
        prop_oneof![-180.0f64..180.0, 179.9f64..180.0],
        -75.0f64..75.0,
        0..3 * HOUR_MS,
        1_000i64..90_000,
        2usize..250,
        1u64..u64::MAX,
    )
        .prop_map(|(kind, lon, lat, start_ms, interval_ms, n, seed)| Vessel {
            kind,
            lon,
            lat,
            start_ms,
            interval_ms,
            n,
            seed,
        })
}

/// A vessel's fixes in time order.
fn track(mmsi: u32, v: &Vessel) -> Vec<Fix> {
    let mut rng = Rng(v.seed);
    let (mut x, mut y) = (0.0f64, 0.0f64); // metres east, north of the start
    let mut heading = rng.next() * 360.0;
    let mut speed = 2.0 + rng.next() * 10.0; // m/s
    let mut t = T0 + v.start_ms;
    let mut out = Vec::with_capacity(v.n);
    for i in 0..v.n {
        let dt = (v.interval_ms as f64 * (0.5 + rng.next())) as i64 + 1000;
        let moving = match v.kind {
            Kind::Walk => {
                heading += (rng.next() - 0.5) * 60.0;
                speed = (speed + (rng.next() - 0.5) * 2.0).clamp(0.0, 13.0);
                true
            }
            Kind::Stop => false,
            Kind::IdleThenMove => i > v.n / 2,
            Kind::Straight => true,
        };
        let (nx, ny) = if moving {
            let (s, c) = heading.to_radians().sin_cos();
            (
                s * speed * dt as f64 / 1000.0,
                c * speed * dt as f64 / 1000.0,
            )
        } else {
            (0.0, 0.0)
        };
        x += nx;
        y += ny;
        // Noise: GNSS jitter of a few metres, more when moored (the ship swings).
        let noise = match v.kind {
            Kind::Straight => 0.0,
            Kind::Stop => 15.0,
            _ => 4.0,
        };
        let (ex, ey) = ((rng.next() - 0.5) * noise, (rng.next() - 0.5) * noise);
        let lat = (v.lat + (y + ey) / 111_320.0).clamp(-89.0, 89.0);
        let mut lon = v.lon + (x + ex) / (111_320.0 * v.lat.to_radians().cos());
        lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
        t += dt;
        out.push(fix(mmsi, t, lon, lat));
    }
    out
}

/// Vessels' fixes merged in arrival order: each fix delayed by `delay(vessel, fix index)` ms,
/// with some fixes repeated (several receivers) or contradicted (same time, elsewhere).
fn arrivals(
    vessels: &[Vessel],
    dup_every: usize,
    mut delay: impl FnMut(usize, usize) -> i64,
) -> Vec<Fix> {
    let mut keyed: Vec<(i64, Fix)> = Vec::new();
    for (v, spec) in vessels.iter().enumerate() {
        for (i, f) in track(200_000_000 + v as u32, spec).into_iter().enumerate() {
            let at = f.t_ms + delay(v, i);
            if dup_every > 0 && i % dup_every == 1 {
                keyed.push((at, f.clone()));
                if i % (3 * dup_every) == 1 {
                    let mut other = f.clone();
                    other.lat = (other.lat + 0.003).min(90.0);
                    keyed.push((at, other));
                }
            }
            keyed.push((at, f));
        }
    }
    keyed.sort_by_key(|(at, _)| *at);
    keyed.into_iter().map(|(_, f)| f).collect()
}

fn params() -> Params {
    Params::default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// (a), (b), (c): random tracks, out of order within the lateness, duplicates, conflicts.
    #[test]
    fn segments_keep_their_promises(
        vessels in prop::collection::vec(vessel(), 1..6),
        dup_every in 0usize..12,
        seed in 1u64..u64::MAX,
    ) {
        let mut rng = Rng(seed);
        let half = params().max_lateness_ms / 2;
        let rows = rows(arrivals(&vessels, dup_every, |_, _| (rng.next() * half as f64) as i64));
        let (segs, stats) = run(&rows, params());
        prop_assert_eq!(stats.late_fixes, 0);
        check_all(&rows, &segs, params())?;
    }

    /// (c) with late fixes: some rows hours behind, in later parts, each still in one segment.
    #[test]
    fn late_rows_land_in_exactly_one_part(
        vessels in prop::collection::vec(vessel(), 1..5),
        seed in 1u64..u64::MAX,
        lateness_min in 0i64..30,
    ) {
        let p = Params { max_lateness_ms: lateness_min * 60_000, ..params() };
        let mut rng = Rng(seed);
        let rows = rows(arrivals(&vessels, 5, |_, _| {
            if rng.next() < 0.05 { (rng.next() * 4.0 * HOUR_MS as f64) as i64 } else { 0 }
        }));
        let (segs, _) = run(&rows, p);
        check_all(&rows, &segs, p)?;
    }

    /// (d) batch boundaries change nothing, nor does how vessels interleave (each vessel's own
    /// order kept, all within the lateness).
    #[test]
    fn output_does_not_depend_on_batches_or_interleaving(
        vessels in prop::collection::vec(vessel(), 1..5),
        cuts in prop::collection::vec(0usize..2000, 0..8),
        delays_a in prop::collection::vec(0i64..300_000, 5),
        delays_b in prop::collection::vec(0i64..300_000, 5),
    ) {
        let a = rows(arrivals(&vessels, 4, |v, _| delays_a[v]));
        let (one_by_one, _) = run(&a, params());
        prop_assert_eq!(&run_batches(&a, params(), &cuts), &one_by_one);
        let b = rows(arrivals(&vessels, 4, |v, _| delays_b[v]));
        let (other, _) = run(&b, params());
        // Same segments in the same order; only the lines differ.
        let strip = |s: &[Segment]| -> Vec<Segment> {
            s.iter().cloned().map(|mut g| {
                g.first_line = 0;
                g.last_line = 0;
                g.flags.first_conflict_line = None;
                g.flags.first_jump_line = None;
                g
            }).collect()
        };
        // The raw bytes carry the line number: compare what does not depend on it.
        let key = |s: &[Segment]| -> Vec<_> {
            strip(s).into_iter().map(|g| (g.mmsi, g.hour, g.part, g.fixes, g.points, g.flags)).collect()
        };
        prop_assert_eq!(key(&other), key(&one_by_one));
    }
}

#[test]
fn interleaving_with_identical_bytes_gives_identical_segments() {
    // Two receivers' files merged two ways: raw bytes do not name a line, so whole segments,
    // hashes included, must be equal (lines aside).
    let a: Vec<Fix> = (0..400)
        .map(|i| fix(1, T0 + i * 20_000, 10.0 + i as f64 * 1e-4, 55.0))
        .collect();
    let b: Vec<Fix> = (0..400)
        .map(|i| {
            fix(
                2,
                T0 + i * 20_000 + 7_000,
                12.0,
                56.0 + (i % 7) as f64 * 1e-4,
            )
        })
        .collect();
    let to_rows = |fixes: Vec<Fix>| -> Vec<Row> {
        fixes
            .into_iter()
            .enumerate()
            .map(|(i, f)| Row {
                raw: format!("{},{},{}\n", f.mmsi, f.t_ms, f.lat).into_bytes(),
                line: i as u64 + 1,
                fix: f,
            })
            .collect()
    };
    let mut merged_by_time: Vec<Fix> = a.iter().chain(&b).cloned().collect();
    merged_by_time.sort_by_key(|f| f.t_ms);
    // Vessel 2's receiver 5 minutes behind.
    let mut merged_late: Vec<(i64, Fix)> = a
        .iter()
        .map(|f| (f.t_ms, f.clone()))
        .chain(b.iter().map(|f| (f.t_ms + 300_000, f.clone())))
        .collect();
    merged_late.sort_by_key(|(t, _)| *t);
    let (x, _) = run(&to_rows(merged_by_time), params());
    let (y, _) = run(
        &to_rows(merged_late.into_iter().map(|(_, f)| f).collect()),
        params(),
    );
    let no_lines = |s: Vec<Segment>| -> Vec<Segment> {
        s.into_iter()
            .map(|mut g| {
                g.first_line = 0;
                g.last_line = 0;
                g
            })
            .collect()
    };
    assert_eq!(x.len(), 6);
    assert_eq!(no_lines(x), no_lines(y));
}

#[test]
fn a_straight_constant_speed_track_is_two_points_per_segment() {
    // 12 knots north-east for three hours and a half, a fix every 10 s, from mid-hour.
    let v = 12.0 * 1852.0 / 3600.0;
    let fixes: Vec<Fix> = (0..1260)
        .map(|i| {
            let s = i as f64 * 10.0 * v / 2f64.sqrt();
            fix(
                219_000_001,
                T0 + HOUR_MS / 2 + i * 10_000,
                11.0 + s / (111_320.0 * 55f64.to_radians().cos()),
                55.0 + s / 111_320.0,
            )
        })
        .collect();
    let rows = rows(fixes);
    let (segs, _) = run(&rows, params());
    assert_eq!(segs.len(), 4);
    for s in &segs {
        assert_eq!(s.points.len(), 2, "{}", s.to_json());
    }
    assert_eq!(
        segs.iter().map(|s| s.fixes).collect::<Vec<_>>(),
        [180, 360, 360, 360]
    );
    check_all(&rows, &segs, params()).unwrap();
}

#[test]
fn a_vessel_idling_for_hours_is_two_points_an_hour() {
    let mut rng = Rng(7);
    let fixes: Vec<Fix> = (0..5 * 360)
        .map(|i| {
            let (dx, dy) = (rng.next() - 0.5, rng.next() - 0.5);
            fix(1, T0 + i * 10_000, 30.7 + dx * 2e-4, 46.5 + dy * 2e-4)
        })
        .collect();
    let rows = rows(fixes);
    let (segs, _) = run(&rows, params());
    assert_eq!(segs.len(), 5);
    assert!(segs.iter().all(|s| s.points.len() == 2));
    check_all(&rows, &segs, params()).unwrap();
}

#[test]
fn a_spoofed_jump_is_flagged_and_kept_as_points() {
    // Under way off Sevastopol at 10 knots; three fixes placed 40 km inland (a spoofed
    // position), then back on track; and GNSS noise of 150 m in a second, not a jump.
    let v = 10.0 * 1852.0 / 3600.0;
    let mut fixes: Vec<Fix> = (0..120)
        .map(|i| {
            fix(
                273_000_000,
                T0 + i * 20_000,
                33.3 + i as f64 * 20.0 * v / (111_320.0 * 44.5f64.to_radians().cos()),
                44.5,
            )
        })
        .collect();
    for f in &mut fixes[50..53] {
        f.lat += 40_000.0 / 111_320.0;
    }
    fixes.insert(
        90,
        fix(
            273_000_000,
            fixes[89].t_ms + 1000,
            fixes[89].lon,
            44.5 + 150.0 / 111_320.0,
        ),
    );
    let rows = rows(fixes);
    let (segs, _) = run(&rows, params());
    assert_eq!(segs.len(), 1);
    let s = &segs[0];
    assert_eq!(s.flags.jumps, 2);
    assert_eq!(s.flags.first_jump_line, Some(51));
    // Both ends of each jump are points: the track shows the jump where it is, and no line of
    // the track straddles it.
    for t in [49, 50, 52, 53] {
        let t_ms = T0 + t * 20_000;
        assert!(
            s.points.iter().any(|p| p.t_ms == t_ms),
            "fix {t} is not a point"
        );
    }
    check_all(&rows, &segs, params()).unwrap();
}

#[test]
fn memory_is_bounded_by_the_vessels_live_not_the_input() {
    // 50 vessels, a fix a minute each: 3 hours, then 30 hours of the same.
    let run_hours = |hours: i64| {
        let mut fixes = Vec::new();
        for m in 0..hours * 60 {
            for v in 0..50u32 {
                fixes.push(fix(
                    v,
                    T0 + m * 60_000 + i64::from(v) * 100,
                    20.0 + f64::from(v) * 0.1 + m as f64 * 1e-4,
                    60.0,
                ));
            }
        }
        run(&rows(fixes), params()).1
    };
    let short = run_hours(3);
    let long = run_hours(30);
    assert_eq!(long.fixes, 30 * 60 * 50);
    // Read before `finish`: the last hour is still open.
    assert_eq!(long.segments, 29 * 50);
    assert_eq!(long.open_segments, 50);
    // Each vessel holds at most two hours (lateness under an hour): the one running and the
    // previous one until 10 minutes past its end; at most 70 + 1 fixes.
    assert!(long.peak_live_vessels <= 50);
    assert!(long.peak_open_segments <= 100);
    assert!(
        long.peak_buffered_fixes <= 50 * 71,
        "{}",
        long.peak_buffered_fixes
    );
    assert_eq!(long.peak_buffered_fixes, short.peak_buffered_fixes);
    assert_eq!(long.peak_open_segments, short.peak_open_segments);
}

fn sample() -> (Vec<Row>, Segment) {
    let mut rng = Rng(99);
    let fixes: Vec<Fix> = (0..300)
        .map(|i| {
            fix(
                636_000_000,
                T0 + i * 11_000,
                28.0 + i as f64 * 1e-4 + (rng.next() - 0.5) * 1e-4,
                43.0 + (i as f64 * 0.05).sin() * 1e-2,
            )
        })
        .collect();
    let rows = rows(fixes);
    let (mut segs, _) = run(&rows, params());
    assert_eq!(segs.len(), 1);
    (rows, segs.remove(0))
}

fn raws(rows: &[Row]) -> Vec<(&Fix, &[u8])> {
    rows.iter().map(|r| (&r.fix, r.raw.as_slice())).collect()
}

#[test]
fn verify_refuses_tampered_rows_and_segments() {
    let (rows, seg) = sample();
    assert!(seg.points.len() > 2 && seg.points.len() < 150);
    assert_eq!(verify(&seg, &raws(&rows)), Ok(()));

    let mut altered = rows.clone();
    altered[10].raw[0] ^= 1;
    assert!(matches!(
        verify(&seg, &raws(&altered)),
        Err(TrackError::Hash { .. })
    ));

    let e = verify(&seg, &raws(&rows[1..])).unwrap_err();
    assert!(matches!(
        e,
        TrackError::Count {
            expected: 300,
            got: 299,
            ..
        }
    ));
    assert!(e.to_string().contains("lines 1 to 300"), "{e}");

    let mut swapped = rows.clone();
    swapped.swap(3, 4);
    assert!(matches!(
        verify(&seg, &raws(&swapped)),
        Err(TrackError::Hash { .. })
    ));

    // Same bytes, another position: the tolerance (or a point) no longer holds.
    let mut moved = rows.clone();
    moved[150].fix.lat += 0.001;
    assert!(matches!(
        verify(&seg, &raws(&moved)),
        Err(TrackError::Tolerance { index: 150, .. } | TrackError::Points { .. })
    ));

    let mut fewer = seg.clone();
    fewer.points.remove(1);
    assert!(matches!(
        verify(&fewer, &raws(&rows)),
        Err(TrackError::Tolerance { .. })
    ));

    let mut nudged = seg.clone();
    nudged.points[1].lat_e6 += 1;
    assert!(matches!(
        verify(&nudged, &raws(&rows)),
        Err(TrackError::Points { .. })
    ));

    let mut tighter = seg.clone();
    tighter.tolerance_m = 5.0;
    let e = verify(&tighter, &raws(&rows)).unwrap_err();
    assert!(e.to_string().contains("beyond its tolerance of 5 m"), "{e}");

    let mut negative = seg.clone();
    negative.tolerance_m = -50.0;
    assert!(matches!(
        verify(&negative, &raws(&rows)),
        Err(TrackError::Params {
            field: "tolerance_m",
            ..
        })
    ));

    let mut flagged = seg.clone();
    flagged.flags.jumps = 1;
    assert!(matches!(
        verify(&flagged, &raws(&rows)),
        Err(TrackError::Flags { field: "jumps", .. })
    ));

    let mut other = rows.clone();
    other[0].fix.mmsi = 1;
    assert!(matches!(
        verify(&seg, &raws(&other)),
        Err(TrackError::Outside { index: 0, .. })
    ));
}

#[test]
fn tolerance_is_honoured_at_other_values() {
    let (rows, _) = sample();
    for tol in [1.0, 10.0, 200.0] {
        let p = Params {
            tolerance_m: tol,
            ..params()
        };
        let (segs, _) = run(&rows, p);
        check_all(&rows, &segs, p).unwrap();
        assert!(segs[0]
            .to_json()
            .ends_with(&format!("\"tol_mm\":{}}}", tol as u64 * 1000)));
    }
}
