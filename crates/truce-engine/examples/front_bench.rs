//! The decision `explosion-in-buffer` makes on an observation's public footprint
//! (`truce_engine::front`, fn `buffer_footprint`), timed for 1,000,000 footprints against a
//! 20,000-vertex line: `cargo run --release -p truce-engine --example front_bench`.
//!
//! The line is SYNTHETIC (the one of `truce-geo`'s `examples/footprint_bench.rs`): 20,000
//! vertices over eastern Ukraine, about 1,250 km, one line with ua on its left and ru on its
//! right, a buffer 30 km wide shared in halves (15 km each side), the line approximated to 100 m.
//! 1,000,000 observers lie within 30 km of it (a random vertex, bearing and distance); each
//! reports one of 24 templates (1-3 compass sectors of 45 deg, rings within 10 km), hidden 2 km.
//! Their public footprints are a function of (coarse cell, template), so each distinct one is
//! coarsened once and the observers share them (coarsening is not what is timed here).
//!
//! Timed, on every core (`std::thread::scope`), interleaved in rounds so that other load weighs
//! on all alike: the decision for all 1,000,000 with `PublicFootprint::relation_deciding` (max_m
//! against half - approx, min_m against half + approx) on the line with a distance grid (`ContactLine::with_distance_grid`, built once; its build is timed
//! too), and the same-run baseline `ContactLine::measure` of the 1,000,000 footprints' centroids.
//! Then on samples: `relation_deciding` without a grid, `relation_within` (every threshold for
//! both bounds), `against` (what the decision would cost on
//! it) and `against_cells` (what the engine calls now), with the decisions compared to
//! `against_cells`' (they must all agree). `FB_N` sets the number of footprints, `FB_GRID_M` the
//! grid spacing (default 1000 m). Writes bench/results/front-judge-2026-12-07.txt.

use std::collections::HashMap;
use std::time::Instant;

use truce_geo::footprint::coarse_cell;
use truce_geo::{coarsen, ContactLine, LineRelation, LonLat, PublicFootprint, Side};

#[path = "../../truce-geo/examples/bench_common/mod.rs"]
mod bench_common;
use bench_common::{fail, par_map, synthetic_line, templates, Rng};

/// The engine's three answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Tri {
    Yes,
    No,
    Uncertain,
}

/// A party named on the line: its side, its share of the buffer (metres) and the line's
/// approximation (metres).
struct Party {
    side: Side,
    half: f64,
    approx: f64,
}

/// `buffer_footprint`'s decision (crates/truce-engine/src/front.rs) from each party's relation
/// to its line, the comparisons written against thresholds: `max <= half - approx` for "all
/// inside", `min > half + approx` for "none inside" (the thresholds given to `relation_deciding`).
fn decide(parties: &[Party], rels: &[LineRelation]) -> Tri {
    let rs: Vec<(f64, f64, bool, bool, &Party)> = parties
        .iter()
        .zip(rels)
        .map(|(p, lr)| {
            let (own, other) = match p.side {
                Side::Left => (lr.left, lr.right),
                _ => (lr.right, lr.left),
            };
            (lr.min_m, lr.max_m, own, other, p)
        })
        .collect();
    let several = parties.len() >= 2;
    let all_in = if several {
        rs.iter()
            .all(|&(_, max, own, _, p)| !own || max <= p.half - p.approx)
    } else {
        rs.iter()
            .all(|&(_, max, own, other, p)| own && !other && max <= p.half - p.approx)
    };
    let none_in = if several {
        rs.iter()
            .all(|&(min, _, own, _, p)| !own || min > p.half + p.approx)
            && rs.iter().any(|&(_, _, own, other, _)| own && !other)
    } else {
        rs.iter().all(|&(min, _, own, other, p)| {
            (own && !other && min > p.half + p.approx) || (other && !own)
        })
    };
    if all_in {
        Tri::Yes
    } else if none_in {
        Tri::No
    } else {
        Tri::Uncertain
    }
}

/// The thresholds a party's decision compares with.
fn thresholds(p: &Party) -> [f64; 2] {
    [p.half - p.approx, p.half + p.approx]
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n: usize = std::env::var("FB_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let spacing: f64 = std::env::var("FB_GRID_M")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000.0);
    let mut out = String::new();
    let mut say = |s: String| {
        println!("{s}");
        out.push_str(&s);
        out.push('\n');
    };
    say("# cargo run --release -p truce-engine --example front_bench".into());
    say(format!(
        "{cores} threads (std::thread::scope) on a machine of {cores} logical cores, shared with other builds and agents"
    ));
    let load = || {
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    };
    say(format!("load average at the start: {}", load()));
    let pts = synthetic_line(20_000);
    let line = ContactLine::new(vec![pts.clone()]).unwrap_or_else(|e| fail("the line", e));
    say(format!(
        "synthetic line (not a real line of contact): 20,000 vertices, {:.0} km; ua left, ru right, buffer 30 km in halves of 15 km, line approximated to 100 m",
        line.length_m() / 1e3
    ));
    let parties = [
        Party {
            side: Side::Left,
            half: 15_000.0,
            approx: 100.0,
        },
        Party {
            side: Side::Right,
            half: 15_000.0,
            approx: 100.0,
        },
    ];
    // One line for both parties: one relation serves both, with both parties' thresholds, each
    // bound against those it is compared with.
    let list = |k: usize| {
        let mut v: Vec<f64> = parties.iter().map(|p| thresholds(p)[k]).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let (max_at, min_at) = (list(0), list(1));
    let mut ts: Vec<f64> = max_at.iter().chain(&min_at).copied().collect();
    ts.sort_by(f64::total_cmp);
    ts.dedup();

    let margin = 50_000.0;
    let t = Instant::now();
    let gridded = line
        .clone()
        .with_distance_grid(spacing, margin, cores)
        .unwrap_or_else(|e| fail("the grid", e));
    let grid_took = t.elapsed().as_secs_f64();
    let (rows, cols, _) = gridded
        .distance_grid()
        .unwrap_or_else(|| fail("the grid", "missing"));
    say(format!(
        "distance grid: spacing {spacing} m, margin {margin} m: {rows} x {cols} = {} nodes, built in {grid_took:.2} s on {cores} threads (once per line version)",
        rows * cols
    ));

    // Observers and their footprints (shared by coarse cell and template).
    let hide = 2_000.0;
    let tpl = templates();
    let mut rng = Rng(7);
    let observers: Vec<(LonLat, usize)> = (0..n)
        .map(|_| {
            let v = pts[((rng.next() * pts.len() as f64) as usize).min(pts.len() - 1)];
            let (b, d) = (rng.next() * std::f64::consts::TAU, rng.next() * 30_000.0);
            let q = [
                v[0] + d * b.sin() / (111_320.0 * v[1].to_radians().cos()),
                v[1] + d * b.cos() / 111_132.0,
            ];
            let t = ((rng.next() * tpl.len() as f64) as usize).min(tpl.len() - 1);
            (q, t)
        })
        .collect();
    let t = Instant::now();
    let cells: Vec<u64> = par_map(&observers, cores, |&(o, _)| {
        coarse_cell(o, hide)
            .unwrap_or_else(|e| fail("an observer", e))
            .0
    });
    let mut index: HashMap<(u64, usize), u32> = HashMap::new();
    let mut reps: Vec<(LonLat, usize)> = Vec::new();
    let of: Vec<u32> = observers
        .iter()
        .zip(&cells)
        .map(|(&(o, ti), &cell)| {
            *index.entry((cell, ti)).or_insert_with(|| {
                reps.push((o, ti));
                (reps.len() - 1) as u32
            })
        })
        .collect();
    let fps: Vec<PublicFootprint> = par_map(&reps, cores, |&(o, ti)| {
        coarsen(o, &tpl[ti].0, tpl[ti].1, hide).unwrap_or_else(|e| fail("coarsen", e))
    });
    let centroids: Vec<LonLat> = fps.iter().map(PublicFootprint::centroid).collect();
    let ncells: usize = fps.iter().map(|f| f.cells().len()).sum();
    say(format!(
        "{n} observers within 30 km of the line, {} templates, hide_m {hide} m: {} distinct public footprints ({:.1} cells each on average), coarsened once in {:.1} s (not timed below)",
        tpl.len(),
        fps.len(),
        ncells as f64 / fps.len() as f64,
        t.elapsed().as_secs_f64()
    ));

    // The decision for all, interleaved with the baseline.
    let rounds = 10;
    let step = n.div_ceil(rounds);
    let (mut fast, mut baseline) = (0.0, 0.0);
    let mut tris: Vec<Tri> = Vec::with_capacity(n);
    let mut measured_sum = 0.0;
    for k in 0..rounds {
        let range = (k * step).min(n)..((k + 1) * step).min(n);
        let t = Instant::now();
        tris.extend(par_map(&of[range.clone()], cores, |&i| {
            let rel = fps[i as usize].relation_deciding(&gridded, &max_at, &min_at);
            decide(&parties, &[rel, rel])
        }));
        fast += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let measured: Vec<f64> = par_map(&of[range], cores, |&i| {
            line.measure(centroids[i as usize])
                .map_or(f64::NAN, |m| m.distance_m)
        });
        baseline += t.elapsed().as_secs_f64();
        measured_sum += measured.iter().sum::<f64>();
    }
    let count = |t: Tri| tris.iter().filter(|x| **x == t).count();
    say(format!(
        "relation_deciding (grid; max_m against 14.9 km, min_m against 15.1 km) + decision, {n} footprints: {fast:.2} s, {:.0} footprints/s ({:.2} us each per core); yes {} / no {} / uncertain {}",
        n as f64 / fast,
        fast * cores as f64 / n as f64 * 1e6,
        count(Tri::Yes),
        count(Tri::No),
        count(Tri::Uncertain)
    ));
    say(format!(
        "    baseline, interleaved in {rounds} rounds: ContactLine::measure of the {n} footprints' centroids on the same threads: {baseline:.2} s ({:.0}/s, mean distance {:.1} km); ratio decision / one measure {:.2}",
        n as f64 / baseline,
        measured_sum / n as f64 / 1e3,
        fast / baseline
    ));

    // Samples: the other ways to the same decision, and agreement with against_cells.
    let sample = |m: usize| &of[..m.min(n)];
    let timed = |m: usize, f: &(dyn Fn(&PublicFootprint) -> Tri + Sync)| {
        let t = Instant::now();
        let r: Vec<Tri> = par_map(sample(m), cores, |&i| f(&fps[i as usize]));
        (t.elapsed().as_secs_f64(), r)
    };
    let rate = |m: usize, s: f64| (m.min(n) as f64 / s, s * n as f64 / m.min(n) as f64);
    let m_plain = 100_000usize.min(n);
    let (s_plain, plain) = timed(m_plain, &|fp| {
        let rel = fp.relation_deciding(&line, &max_at, &min_at);
        decide(&parties, &[rel, rel])
    });
    let (r, x) = rate(m_plain, s_plain);
    say(format!(
        "relation_deciding without a grid (exact measures), first {m_plain}: {s_plain:.2} s, {r:.0}/s, {x:.1} s extrapolated to {n}"
    ));
    let m_both = 200_000usize.min(n);
    let (s_both, both) = timed(m_both, &|fp| {
        let rel = fp.relation_within(&gridded, &ts);
        decide(&parties, &[rel, rel])
    });
    let (r, x) = rate(m_both, s_both);
    say(format!(
        "relation_within (grid; every threshold for both bounds), first {m_both}: {s_both:.2} s, {r:.0}/s, {x:.1} s extrapolated to {n}"
    ));
    let m_against = 100_000usize.min(n);
    let (s_against, by_against) = timed(m_against, &|fp| {
        let rel = fp.against(&line);
        decide(&parties, &[rel, rel])
    });
    let (r, x) = rate(m_against, s_against);
    say(format!(
        "against() + decision, first {m_against}: {s_against:.2} s, {r:.0}/s, {x:.1} s extrapolated to {n}; ratio to relation_deciding (grid) {:.1}",
        x / fast
    ));
    let m_cells = 20_000usize.min(n);
    let (s_cells, by_cells) = timed(m_cells, &|fp| {
        let rel = fp.against_cells(&line);
        decide(&parties, &[rel, rel])
    });
    let (r, x) = rate(m_cells, s_cells);
    say(format!(
        "against_cells() + decision (what the engine calls now), first {m_cells}: {s_cells:.2} s, {r:.0}/s, {x:.0} s extrapolated to {n}; ratio to relation_deciding (grid) {:.0}",
        x / fast
    ));
    let agree = |other: &[Tri]| other.iter().zip(&by_cells).filter(|(a, b)| a == b).count();
    let m = by_cells.len();
    say(format!(
        "decisions equal to against_cells' on the first {m}: relation_deciding (grid) {}/{m}, relation_deciding (no grid) {}/{m}, relation_within (grid, every threshold for both bounds) {}/{m}, against() {}/{m} (its looser bounds leave more uncertain)",
        agree(&tris[..m]),
        agree(&plain[..m]),
        agree(&both[..m]),
        agree(&by_against[..m])
    ));
    say(format!("load average at the end: {}", load()));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/results/front-judge-2026-12-07.txt"
    );
    if let Err(e) =
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/results"))
            .and_then(|_| std::fs::write(path, out))
    {
        eprintln!("front_bench: could not write {path}: {e}");
    }
}
