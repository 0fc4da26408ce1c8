//! Public observation footprints against a line of contact: `cargo run --release -p truce-geo
//! --example footprint_bench`.
//!
//! The line is SYNTHETIC (the one of `examples/line_bench.rs`): 20,000 vertices over eastern
//! Ukraine, about 1,250 km. 1,000,000 observers lie within 30 km of it (a random vertex, a random
//! bearing and distance); each reports one of 24 templates of 1–3 compass sectors (45° each)
//! and a distance range within 0–10 km, hidden 2 km. Their public footprints are a function of
//! the coarse cell and the template only, so the bench coarsens each distinct (coarse cell,
//! template) once and the 1,000,000 observers share them; it times (a) coarsening those, and
//! coarsening 10,000 observers one by one, and (b) `PublicFootprint::against` for all 1,000,000,
//! on every core (`std::thread::scope`), against a same-run baseline of `ContactLine::measure` of
//! the 1,000,000 observers' positions on the same cores, and `against_cells` (every cell
//! measured) on 20,000 of them. `FP_N=200000` runs fewer observers (a quicker look); the results
//! file is written either way.

use std::collections::HashMap;
use std::time::Instant;

use geo::{Destination, Geodesic};
use h3o::{LatLng, Resolution};
use truce_geo::footprint::coarse_resolution;
use truce_geo::{coarsen, ContactLine, LineRelation, LonLat, PublicFootprint, Ring, Sector};

/// SplitMix64, so the bench needs no random source of its own.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The synthetic line: a smooth base curve (a trend north-east with two long swings), measured
/// in a local plane (km; fine for building a test shape), and `n` vertices spaced evenly along it,
/// each moved along the base's normal by wiggles of 3 km, 350 m and 120 m (wavelengths 35 km,
/// 1 km, 350 m) and a little deterministic noise. The wiggles stay far below the base's radius
/// of curvature (at least 13 km), so the line does not cross itself.
fn synthetic_line(n: usize) -> Vec<LonLat> {
    let tau = std::f64::consts::TAU;
    let kx = 111.32 * 48f64.to_radians().cos();
    let ky = 111.13;
    let m = 200_000;
    let base: Vec<[f64; 2]> = (0..=m)
        .map(|i| {
            let t = i as f64 / m as f64;
            [
                (34.4 + 5.0 * t + 0.3 * (tau * 1.5 * t).sin()) * kx,
                (46.7 + 3.0 * t + 0.3 * (tau * 2.0 * t + 1.0).sin()) * ky,
            ]
        })
        .collect();
    let mut s = vec![0.0];
    for w in base.windows(2) {
        s.push(s[s.len() - 1] + (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]));
    }
    let total = s[m];
    let mut rng = Rng(20_261_207);
    let mut i = 1;
    (0..n)
        .map(|k| {
            let at = total * k as f64 / (n - 1) as f64;
            while i < m && s[i] < at {
                i += 1;
            }
            let (a, b) = (base[i - 1], base[i]);
            let f = if s[i] > s[i - 1] {
                (at - s[i - 1]) / (s[i] - s[i - 1])
            } else {
                0.0
            };
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l = dx.hypot(dy);
            let w = 3.0 * (tau * at / 35.0).sin()
                + 0.35 * (tau * at / 1.0).sin()
                + 0.12 * (tau * at / 0.35).sin()
                + 0.002 * (rng.next() - 0.5);
            let x = a[0] + f * dx - w * dy / l;
            let y = a[1] + f * dy + w * dx / l;
            [x / kx, y / ky]
        })
        .collect()
}

/// The sector and range templates: 1–3 adjacent or separate compass points, rings within 10 km.
fn templates() -> Vec<(Vec<Sector>, Ring)> {
    let point = |c: f64| Sector::centred(c, 45.0);
    let mut out = Vec::new();
    let rings = [(0.0, 3_000.0), (3_000.0, 6_000.0), (2_000.0, 10_000.0)];
    let sets: [&[f64]; 8] = [
        &[0.0],
        &[0.0, 45.0],
        &[90.0],
        &[135.0, 180.0, 225.0],
        &[270.0, 315.0],
        &[45.0, 225.0],
        &[180.0],
        &[315.0, 0.0, 45.0],
    ];
    for set in sets {
        for (min, max) in rings {
            let sectors: Result<Vec<Sector>, _> = set.iter().map(|&c| point(c)).collect();
            if let (Ok(sectors), Ok(ring)) = (sectors, Ring::new(min, max)) {
                out.push((sectors, ring));
            }
        }
    }
    out
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("footprint_bench: {what}: {e}");
    std::process::exit(1)
}

/// Runs `f` over `items` split in one chunk per core; returns the results in order.
fn par_map<T: Sync, R: Send>(items: &[T], cores: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(cores.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| fail("a thread", "panicked")))
            .collect()
    })
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pts = synthetic_line(20_000);
    let mut out = String::new();
    let mut say = |s: String| {
        println!("{s}");
        out.push_str(&s);
        out.push('\n');
    };
    say("# cargo run --release -p truce-geo --example footprint_bench".into());
    say(format!(
        "{cores} threads (std::thread::scope) on a machine of {cores} logical cores, shared with other builds"
    ));
    let load = || {
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    };
    say(format!("load average at the start: {}", load()));
    let line = ContactLine::new(vec![pts.clone()]).unwrap_or_else(|e| fail("the line", e));
    say(format!(
        "synthetic line (not a real line of contact): 20,000 vertices, {:.0} km",
        line.length_m() / 1e3
    ));

    let hide = 2_000.0;
    let n: usize = std::env::var("FP_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let tpl = templates();
    let res = coarse_resolution(hide).unwrap_or_else(|e| fail("hide_m", e));
    let h3res = Resolution::try_from(res).unwrap_or_else(|e| fail("resolution", e));
    let mut rng = Rng(7);
    let observers: Vec<(LonLat, usize)> = (0..n)
        .map(|_| {
            let v = pts[((rng.next() * pts.len() as f64) as usize).min(pts.len() - 1)];
            let q = Geodesic.destination(
                geo::Point::new(v[0], v[1]),
                rng.next() * 360.0,
                rng.next() * 30_000.0,
            );
            let t = ((rng.next() * tpl.len() as f64) as usize).min(tpl.len() - 1);
            ([q.x(), q.y()], t)
        })
        .collect();

    // (a) Coarsening: each distinct (coarse cell, template) once.
    let t = Instant::now();
    let mut index: HashMap<(u64, usize), u32> = HashMap::new();
    let mut reps: Vec<(LonLat, usize)> = Vec::new();
    let of: Vec<u32> = observers
        .iter()
        .map(|&(o, ti)| {
            let cell = LatLng::new(o[1], o[0])
                .map(|ll| u64::from(ll.to_cell(h3res)))
                .unwrap_or_else(|e| fail("an observer", e));
            *index.entry((cell, ti)).or_insert_with(|| {
                reps.push((o, ti));
                (reps.len() - 1) as u32
            })
        })
        .collect();
    let keyed = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let fps: Vec<PublicFootprint> = par_map(&reps, cores, |&(o, ti)| {
        coarsen(o, &tpl[ti].0, tpl[ti].1, hide).unwrap_or_else(|e| fail("coarsen", e))
    });
    let coarsened = t.elapsed().as_secs_f64();
    let cells: usize = fps.iter().map(|f| f.cells().len()).sum();
    say(format!(
        "(a) {n} observers within 30 km of the line, {} templates (1-3 sectors of 45 deg, rings 0-3, 3-6, 2-10 km), hide_m {hide} m: coarse resolution {res}, footprint resolution {}; {} distinct public footprints (coarse cell x template; keyed in {keyed:.2} s), {:.1} cells each on average, hidden radius {:.0}-{:.0} m",
        tpl.len(),
        fps.first().map_or(0, |f| f.resolution()),
        fps.len(),
        cells as f64 / fps.len() as f64,
        fps.iter().map(|f| f.hidden_radius_m()).fold(f64::INFINITY, f64::min),
        fps.iter().map(|f| f.hidden_radius_m()).fold(0.0, f64::max),
    ));
    say(format!(
        "    coarsen the {} distinct: {coarsened:.2} s, {:.0} footprints/s",
        fps.len(),
        fps.len() as f64 / coarsened
    ));
    let one_by_one = 10_000;
    let t = Instant::now();
    let again = par_map(&observers[..one_by_one], cores, |&(o, ti)| {
        coarsen(o, &tpl[ti].0, tpl[ti].1, hide).unwrap_or_else(|e| fail("coarsen", e))
    });
    let took = t.elapsed().as_secs_f64();
    let same = again
        .iter()
        .zip(&of)
        .filter(|(f, &i)| **f == fps[i as usize])
        .count();
    say(format!(
        "    coarsen {one_by_one} observers one by one: {took:.2} s, {:.0} footprints/s, {:.0} us each per core; identical to their shared footprint: {same}/{one_by_one}",
        one_by_one as f64 / took,
        took * cores as f64 / one_by_one as f64 * 1e6
    ));

    // (b) Against the line, interleaved with the baseline in 10 rounds so that other load on
    // the machine weighs on both alike.
    let rounds = 10;
    let step = n.div_ceil(rounds);
    let (mut against, mut baseline) = (0.0, 0.0);
    let mut rels: Vec<LineRelation> = Vec::with_capacity(n);
    let mut measured_sum = 0.0;
    for k in 0..rounds {
        let range = (k * step).min(n)..((k + 1) * step).min(n);
        let t = Instant::now();
        rels.extend(par_map(&of[range.clone()], cores, |&i| {
            fps[i as usize].against(&line)
        }));
        against += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let measured: Vec<f64> = par_map(&observers[range], cores, |&(o, _)| {
            line.measure(o).map_or(f64::NAN, |m| m.distance_m)
        });
        baseline += t.elapsed().as_secs_f64();
        measured_sum += measured.iter().sum::<f64>();
    }
    let straddle = rels.iter().filter(|r| r.straddles()).count();
    let touching = rels.iter().filter(|r| r.min_m == 0.0).count();
    let mean_span = rels.iter().map(|r| r.max_m - r.min_m).sum::<f64>() / n as f64;
    say(format!(
        "(b) against() of {n} public footprints: {against:.2} s, {:.0} footprints/s ({straddle} straddle the line, {touching} touch it; mean max_m - min_m {:.1} km)",
        n as f64 / against,
        mean_span / 1e3
    ));
    say(format!(
        "    baseline, interleaved with it in {rounds} rounds: ContactLine::measure of the {n} observers' positions on the same threads: {baseline:.2} s ({:.0}/s, mean distance {:.1} km); ratio against / measure {:.2}",
        n as f64 / baseline,
        measured_sum / n as f64 / 1e3,
        against / baseline
    ));
    let sample = 20_000;
    let t = Instant::now();
    let per_cell: Vec<LineRelation> = par_map(&of[..sample], cores, |&i| {
        fps[i as usize].against_cells(&line)
    });
    let cells_took = t.elapsed().as_secs_f64();
    let agree = per_cell
        .iter()
        .zip(&rels)
        .filter(|(c, r)| {
            c.left == r.left && c.right == r.right && r.min_m <= c.min_m && r.max_m >= c.max_m
        })
        .count();
    let tighter = per_cell
        .iter()
        .zip(&rels)
        .map(|(c, r)| (r.max_m - r.min_m) - (c.max_m - c.min_m))
        .sum::<f64>()
        / sample as f64;
    say(format!(
        "    against_cells() (every cell measured) on {sample}: {cells_took:.2} s, {:.0} footprints/s, {:.0} s extrapolated to {n}; same sides and against() bounds no tighter: {agree}/{sample}; its spans narrower by {:.2} km on average",
        sample as f64 / cells_took,
        cells_took * n as f64 / sample as f64,
        tighter / 1e3
    ));

    say(format!("load average at the end: {}", load()));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/results/footprint-geo-2026-12-07.txt"
    );
    if let Err(e) =
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/results"))
            .and_then(|_| std::fs::write(path, out))
    {
        eprintln!("footprint_bench: could not write {path}: {e}");
    }
}
