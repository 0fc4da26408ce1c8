//! Line-of-contact geometry on a synthetic line: `cargo run --release -p truce-geo --example
//! line_bench`.
//!
//! The line is SYNTHETIC (no real line of contact): 20,000 vertices, deterministic, wiggling at
//! several scales over eastern Ukraine (about 34–40° E, 46–50° N), about 1,200 km long. Times
//! (a) building a `ContactLine`, (b) 1,000,000 distance + side queries of random positions within
//! 100 km of the line, against the brute force `line_distance_m` on 1,000 of them (extrapolated;
//! both answers are checked equal), and (c) display buffers on both sides at 25 and 35 km and the
//! withdrawal lines on each side at those distances, 100 m tolerance.

use std::time::Instant;

use geo::{Destination, Geodesic};
use truce_geo::{line_distance_m, ContactLine, LonLat, Side};

#[path = "bench_common/mod.rs"]
mod bench_common;
use bench_common::{synthetic_line, Rng};

fn main() {
    let pts = synthetic_line(20_000);
    let mut out = String::new();
    let mut say = |s: String| {
        println!("{s}");
        out.push_str(&s);
        out.push('\n');
    };
    say("# cargo run --release -p truce-geo --example line_bench".into());
    say(format!(
        "single-threaded; machine: {} logical cores, shared with other builds",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    ));
    say("synthetic line (not a real line of contact): 20,000 vertices, 34-40 E, 46-50 N, wiggles of 3 km / 350 m / 120 m, about 1,250 km".into());

    let t = Instant::now();
    let line = match ContactLine::new(vec![pts.clone()]) {
        Ok(line) => line,
        Err(e) => {
            eprintln!("line_bench: the synthetic line was refused: {e}");
            std::process::exit(1);
        }
    };
    let build = t.elapsed();
    say(format!(
        "(a) build ContactLine: {:.1} ms; length {:.0} km",
        build.as_secs_f64() * 1e3,
        line.length_m() / 1e3
    ));

    let mut rng = Rng(42);
    let n = 1_000_000;
    let points: Vec<LonLat> = (0..n)
        .map(|_| {
            let v = pts[((rng.next() * pts.len() as f64) as usize).min(pts.len() - 1)];
            let q = Geodesic.destination(
                geo::Point::new(v[0], v[1]),
                rng.next() * 360.0,
                rng.next() * 100_000.0,
            );
            [q.x(), q.y()]
        })
        .collect();
    // Over 1,000,000 queries, seconds in all are microseconds per query.
    let t = Instant::now();
    let (mut left, mut sum) = (0usize, 0.0);
    for p in &points {
        if let Some(m) = line.measure(*p) {
            sum += m.distance_m;
            if m.side == Side::Left {
                left += 1;
            }
        }
    }
    let measured = t.elapsed();
    say(format!(
        "(b) 1,000,000 measure (distance + side, one search): {:.2} s, {:.2} us/query (left {:.1} %, mean distance {:.1} km)",
        measured.as_secs_f64(),
        measured.as_secs_f64(),
        100.0 * left as f64 / n as f64,
        sum / n as f64 / 1e3
    ));
    let t = Instant::now();
    let mut agree = 0usize;
    for p in &points {
        let d = line.distance_m(*p);
        if line.side(*p) != Side::On && d >= 0.0 {
            agree += 1;
        }
    }
    let separate = t.elapsed();
    say(format!(
        "    1,000,000 distance_m + side (two searches): {:.2} s, {:.2} us/query pair ({agree} off the line)",
        separate.as_secs_f64(),
        separate.as_secs_f64()
    ));
    let lines = vec![pts.clone()];
    let sample = 1_000;
    let t = Instant::now();
    let mut same = 0usize;
    for p in points.iter().take(sample) {
        if line_distance_m(&lines, *p).to_bits() == line.distance_m(*p).to_bits() {
            same += 1;
        }
    }
    let brute = t.elapsed().as_secs_f64() / sample as f64;
    say(format!(
        "    baseline line_distance_m (brute force over 19,999 arcs): {:.1} us/query on {sample} points, {:.0} s extrapolated to 1,000,000; ratio brute / measure {:.0}x; identical answers {same}/{sample}",
        brute * 1e6,
        brute * n as f64,
        brute / (measured.as_secs_f64() / n as f64)
    ));

    let tol = 100.0;
    let mut version = 0.0;
    for d in [25_000.0, 35_000.0] {
        let t = Instant::now();
        let zone = match line.display(d, tol) {
            Ok(zone) => zone,
            Err(e) => {
                eprintln!("line_bench: display failed: {e}");
                std::process::exit(1);
            }
        };
        let took = t.elapsed().as_secs_f64();
        version += took;
        let verts =
            |polys: &Vec<Vec<Vec<LonLat>>>| polys.iter().flatten().map(|r| r.len()).sum::<usize>();
        let mut worst: f64 = 0.0;
        let offset = zone
            .both
            .iter()
            .flatten()
            .flatten()
            .chain(zone.left_line.iter().flatten())
            .chain(zone.right_line.iter().flatten());
        for p in offset {
            worst = worst.max((line.distance_m(*p) - d).abs());
        }
        say(format!(
            "(c) d = {:.0} km, tolerance {tol} m, display() = both-sides buffer + left and right buffers + withdrawal lines: {took:.3} s; both {} polygon(s) / {} vertices, left {} / {}, right {} / {} (their cut edges follow the line's 20,000 vertices), withdrawal lines {} + {} with {} + {} vertices; worst |distance - d| of an offset vertex {worst:.2} m",
            d / 1e3,
            zone.both.len(),
            verts(&zone.both),
            zone.left.len(),
            verts(&zone.left),
            zone.right.len(),
            verts(&zone.right),
            zone.left_line.len(),
            zone.right_line.len(),
            zone.left_line.iter().map(|l| l.len()).sum::<usize>(),
            zone.right_line.iter().map(|l| l.len()).sum::<usize>(),
        ));
    }
    let t = Instant::now();
    let only = line.buffer(None, 25_000.0, tol).map(|b| b.len());
    say(format!(
        "    buffer(None, 25 km) alone: {:.3} s ({only:?} polygon(s)); one version (25 km and 35 km displays): {version:.3} s",
        t.elapsed().as_secs_f64()
    ));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/results/line-geo-2026-12-07.txt"
    );
    if let Err(e) =
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/results"))
            .and_then(|_| std::fs::write(path, out))
    {
        eprintln!("line_bench: could not write {path}: {e}");
    }
}
