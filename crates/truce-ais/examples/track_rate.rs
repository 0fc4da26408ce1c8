//! Throughput of the track segmenter on SYNTHETIC fixes (nothing here is real AIS data).
//!
//! `cargo run --release -p truce-ais --example track_rate [VESSELS] [FIXES_PER_VESSEL]`
//! (default 10,000 × 1,000): each vessel reports every 30 s (its own phase), 70 % under way on a
//! wandering heading at 5–15 knots with a few metres of GNSS noise, 30 % moored with 10 m of
//! noise; rows arrive up to 20 s out of order (within the default 10-minute lateness). Only the
//! calls to `Segmenter::push` and `finish` are timed, not making the rows.
//!
//! Prints fixes per second, segments, points kept per raw fix, JSON bytes per segment and the
//! peaks of live vessels, open segments and buffered fixes (and the process's peak RSS on Linux).

use std::time::{Duration, Instant};

use truce_ais::fix::Fix;
use truce_ais::track::{Params, Segmenter};

/// 2024-06-10T06:00:00Z.
const T0: i64 = 1_717_999_200_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Vessel {
    mmsi: u32,
    lon: f64,
    lat: f64,
    heading: f64,
    knots: f64,
    moored: bool,
    phase_ms: i64,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let vessels: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let per_vessel: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let mut rng = Rng(0x5eed_1a4c_d1e2);
    let mut fleet: Vec<Vessel> = (0..vessels)
        .map(|i| Vessel {
            mmsi: 900_000_000 + i as u32, // outside any real MID: synthetic
            lon: 28.0 + rng.next() * 12.0,
            lat: 41.5 + rng.next() * 4.0,
            heading: rng.next() * 360.0,
            knots: 5.0 + rng.next() * 10.0,
            moored: rng.next() < 0.3,
            phase_ms: (rng.next() * 30_000.0) as i64,
        })
        .collect();

    let mut seg = match Segmenter::new(Params::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let (mut segments, mut points, mut json_bytes) = (0u64, 0u64, 0u64);
    let mut timed = Duration::ZERO;
    let mut line = 0u64;
    let mut raw = Vec::<u8>::new();
    let mut ends = Vec::<usize>::new();
    let mut round: Vec<(i64, Fix)> = Vec::with_capacity(vessels);
    for k in 0..per_vessel as i64 {
        round.clear();
        for v in &mut fleet {
            let t = T0 + k * 30_000 + v.phase_ms;
            let (dlon, dlat, noise) = if v.moored {
                (0.0, 0.0, 10.0)
            } else {
                v.heading += (rng.next() - 0.5) * 20.0;
                let m = v.knots * 1852.0 / 3600.0 * 30.0;
                let (s, c) = v.heading.to_radians().sin_cos();
                (
                    m * s / (111_320.0 * v.lat.to_radians().cos()),
                    m * c / 111_320.0,
                    4.0,
                )
            };
            v.lon += dlon;
            v.lat += dlat;
            let fix = Fix {
                mmsi: v.mmsi,
                t_ms: t,
                lon: v.lon + (rng.next() - 0.5) * noise / 80_000.0,
                lat: v.lat + (rng.next() - 0.5) * noise / 111_320.0,
                sog_knots: Some(if v.moored { 0.0 } else { v.knots }),
                cog_deg: Some(v.heading.rem_euclid(360.0)),
                heading_deg: None,
                nav_status: Some(if v.moored { 5 } else { 0 }),
                class: None,
            };
            let arrival = t + (rng.next() * 20_000.0) as i64;
            round.push((arrival, fix));
        }
        round.sort_by_key(|(a, _)| *a);
        raw.clear();
        ends.clear();
        for (_, f) in &round {
            use std::io::Write as _;
            let _ = writeln!(
                raw,
                "SYNTHETIC,{},{},{:.6},{:.6},{:.1},{:.1}",
                f.t_ms,
                f.mmsi,
                f.lat,
                f.lon,
                f.sog_knots.unwrap_or(0.0),
                f.cog_deg.unwrap_or(0.0)
            );
            ends.push(raw.len());
        }
        let start = Instant::now();
        let mut from = 0;
        for ((_, f), &end) in round.iter().zip(&ends) {
            line += 1;
            let closed = match seg.push(f, &raw[from..end], line) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1);
                }
            };
            from = end;
            for s in closed {
                segments += 1;
                points += s.points.len() as u64;
                json_bytes += s.to_json().len() as u64;
            }
        }
        timed += start.elapsed();
    }
    let start = Instant::now();
    let stats = seg.stats().clone();
    for s in seg.finish() {
        segments += 1;
        points += s.points.len() as u64;
        json_bytes += s.to_json().len() as u64;
    }
    timed += start.elapsed();

    let fixes = stats.fixes;
    println!("SYNTHETIC data: {vessels} vessels x {per_vessel} fixes (every 30 s, up to 20 s out of order)");
    println!(
        "fixes: {fixes} in {:.2} s = {:.0} fixes/s (segmenting, simplifying, hashing, JSON)",
        timed.as_secs_f64(),
        fixes as f64 / timed.as_secs_f64()
    );
    println!(
        "segments: {segments}, points kept: {points} = {:.4} per raw fix, JSON {:.0} bytes per segment",
        points as f64 / fixes as f64,
        json_bytes as f64 / segments as f64
    );
    println!(
        "peaks: live vessels {}, open segments {}, buffered fixes {}; late fixes {}",
        stats.peak_live_vessels,
        stats.peak_open_segments,
        stats.peak_buffered_fixes,
        stats.late_fixes
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(l) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!("peak RSS: {}", l.trim_start_matches("VmHWM:").trim());
        }
    }
}
