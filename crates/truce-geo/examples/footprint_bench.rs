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
use truce_geo::{coarsen, ContactLine, LineRelation, LonLat, PublicFootprint};

#[path = "bench_common/mod.rs"]
mod bench_common;
use bench_common::{fail, par_map, synthetic_line, templates, Rng};

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
