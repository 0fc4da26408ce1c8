//! The within-distance join of many points against many targets (`ST_DWithin` on geography).
//!
//! Targets are indexed in latitude bands one reach `d` high (in degrees, conservatively), each band
//! sorted by longitude. A query point scans, in the two or three bands its latitude reach
//! touches, the targets whose longitude lies within its longitude reach (which grows as
//! `1 / cos lat`, takes every longitude near a pole, and wraps across the antimeridian). Each
//! candidate is settled by its chord on the unit sphere against proven bounds
//! ([`crate::sphere`]), and the few within 1 % of the threshold by [`crate::distance_m`] itself,
//! so the result is exactly the pairs with `distance_m(point, target) <= d`.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::sphere::{self, ChordBounds};
use crate::{distance_m, LonLat};

/// Every `(point index, target index)` pair whose geodesic distance ([`distance_m`]) is at most
/// `d_m` metres, sorted ascending: exactly the pairs of the brute force
/// `distance_m(points[i], targets[j]) <= d_m`, as PostGIS
/// `ST_DWithin(p::geography, t::geography, d_m)`. Invalid positions (see the crate docs) pair with
/// nothing; so does everything when `d_m` is NaN or negative. Runs on all available cores; the
/// output does not depend on how many.
///
/// # Panics
///
/// If there are more than 2³² points or targets (their indexes would not fit a `u32`).
pub fn dwithin_join(points: &[LonLat], targets: &[LonLat], d_m: f64) -> Vec<(u32, u32)> {
    assert!(
        points.len() as u64 <= 1 << 32 && targets.len() as u64 <= 1 << 32,
        "dwithin_join: more than 2^32 points or targets"
    );
    if d_m.is_nan() || d_m < 0.0 || points.is_empty() || targets.is_empty() {
        return Vec::new();
    }
    let index = Index::new(targets, d_m);
    if index.entries.is_empty() {
        return Vec::new();
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    const CHUNK_MIN: usize = 4096;
    if threads < 2 || points.len() < 2 * CHUNK_MIN {
        let mut out = Vec::new();
        index.query_range(points, 0, targets, &mut out);
        return out;
    }
    // Chunks handed out in turn to the threads, then put back in order.
    let chunk = (points.len() / (threads * 16)).max(CHUNK_MIN);
    let chunks = points.len().div_ceil(chunk);
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<(u32, u32)>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= chunks {
                            break;
                        }
                        let start = c * chunk;
                        let end = (start + chunk).min(points.len());
                        let mut out = Vec::new();
                        index.query_range(&points[start..end], start, targets, &mut out);
                        mine.push((c, out));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_unstable_by_key(|(c, _)| *c);
    let total = done.iter().map(|(_, v)| v.len()).sum();
    let mut out = Vec::with_capacity(total);
    for (_, v) in done {
        out.extend_from_slice(&v);
    }
    out
}

/// A target in the index: its unit vector and its index in the caller's slice.
#[derive(Clone, Copy)]
struct Entry {
    v: [f64; 3],
    idx: u32,
}

/// Targets in latitude bands, each band sorted by longitude.
struct Index {
    d: f64,
    bounds: ChordBounds,
    /// Latitude reach of `d`, degrees.
    dlat: f64,
    /// Latitude where band 0 starts, band height, number of bands.
    lat0: f64,
    band_h: f64,
    bands: usize,
    /// `starts[b]..starts[b + 1]` are band `b`'s targets in `lons` and `entries`.
    starts: Vec<usize>,
    /// Longitudes reduced to `[-180, 180)`, ascending within each band.
    lons: Vec<f64>,
    entries: Vec<Entry>,
}

impl Index {
    fn new(targets: &[LonLat], d: f64) -> Index {
        let dlat = sphere::lat_reach_deg(d);
        let mut lat_min = f64::INFINITY;
        let mut lat_max = f64::NEG_INFINITY;
        for t in targets.iter().filter(|t| sphere::valid(**t)) {
            lat_min = lat_min.min(t[1]);
            lat_max = lat_max.max(t[1]);
        }
        let valid = targets.iter().filter(|t| sphere::valid(**t)).count();
        // Bands one reach high, but not more bands than a few per target.
        let span = (lat_max - lat_min).max(0.0);
        let most = (4 * valid + 64) as f64;
        let band_h = dlat.max(span / most).max(1e-12);
        let bands = if valid == 0 {
            0
        } else {
            (span / band_h).floor() as usize + 1
        };
        let band_of = |lat: f64| (((lat - lat_min) / band_h).floor() as usize).min(bands - 1);
        let mut keyed: Vec<(usize, f64, u32)> = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| sphere::valid(**t))
            .map(|(j, t)| (band_of(t[1]), sphere::norm_lon(t[0]), j as u32))
            .collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut starts = vec![0; bands + 1];
        for k in &keyed {
            starts[k.0 + 1] += 1;
        }
        for b in 0..bands {
            starts[b + 1] += starts[b];
        }
        let lons = keyed.iter().map(|k| k.1).collect();
        let entries = keyed
            .iter()
            .map(|k| Entry {
                v: sphere::unit(targets[k.2 as usize]),
                idx: k.2,
            })
            .collect();
        Index {
            d,
            bounds: ChordBounds::new(d),
            dlat,
            lat0: lat_min,
            band_h,
            bands,
            starts,
            lons,
            entries,
        }
    }

    /// Appends the pairs of `points` (the caller's indexes starting at `first`), sorted. The points
    /// are visited in band and longitude order, so that consecutive queries read neighbouring
    /// targets (memory latency, not arithmetic, bounds this loop), then the pairs are put back in
    /// point order by a counting sort.
    fn query_range(
        &self,
        points: &[LonLat],
        first: usize,
        targets: &[LonLat],
        out: &mut Vec<(u32, u32)>,
    ) {
        let mut order: Vec<(u64, u32)> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| sphere::valid(**p))
            .map(|(k, p)| {
                let band = ((p[1] - self.lat0) / self.band_h).floor().clamp(-1.0, 1e9) + 1.0;
                let lon = (sphere::norm_lon(p[0]) + 180.0) / 360.0 * 4_294_967_295.0;
                (((band as u64) << 32) | lon as u64, k as u32)
            })
            .collect();
        order.sort_unstable();
        // Gathered in one pass, whose independent loads overlap, rather than in the query loop.
        let visits: Vec<(u32, LonLat)> = order
            .iter()
            .map(|&(_, k)| (k, points[k as usize]))
            .collect();
        drop(order);
        // Pairs as (local point index, target index), in visiting order.
        let mut found = Vec::new();
        let mut cursors = Cursors::default();
        for &(k, p) in &visits {
            self.query(p, k, targets, &mut cursors, &mut found);
        }
        drop(visits);
        let mut starts = vec![0usize; points.len() + 1];
        for &(k, _) in &found {
            starts[k as usize + 1] += 1;
        }
        for k in 0..points.len() {
            starts[k + 1] += starts[k];
        }
        let base = out.len();
        out.resize(base + found.len(), (0, 0));
        let mut next = starts.clone();
        for &(k, j) in &found {
            let slot = &mut next[k as usize];
            out[base + *slot] = ((first + k as usize) as u32, j);
            *slot += 1;
        }
        for w in starts.windows(2) {
            if w[1] - w[0] > 1 {
                out[base + w[0]..base + w[1]].sort_unstable();
            }
        }
    }

    /// Appends the pairs of one point, unsorted.
    fn query(
        &self,
        p: LonLat,
        i: u32,
        targets: &[LonLat],
        cursors: &mut Cursors,
        out: &mut Vec<(u32, u32)>,
    ) {
        if !sphere::valid(p) {
            return;
        }
        let last = (self.bands - 1) as f64;
        let lo_band = ((p[1] - self.dlat - self.lat0) / self.band_h)
            .floor()
            .max(0.0);
        let hi_band = ((p[1] + self.dlat - self.lat0) / self.band_h)
            .floor()
            .min(last);
        if lo_band > hi_band {
            return;
        }
        let u = sphere::unit(p);
        let q = sphere::norm_lon(p[0]);
        // Up to two longitude intervals, in [-180, 180).
        let mut spans = [(f64::NEG_INFINITY, f64::INFINITY); 2];
        let mut n_spans = 1;
        if let Some(dlon) = sphere::lon_reach_deg(p[1], self.dlat, self.d) {
            let (lo, hi) = (q - dlon, q + dlon);
            spans[0] = (lo, hi);
            if lo < -180.0 {
                spans[1] = (lo + 360.0, f64::INFINITY);
                n_spans = 2;
            } else if hi >= 180.0 {
                spans[1] = (f64::NEG_INFINITY, hi - 360.0);
                n_spans = 2;
            }
        }
        for b in lo_band as usize..=hi_band as usize {
            let (s, e) = (self.starts[b], self.starts[b + 1]);
            let lons = &self.lons[s..e];
            for (n, &(lo, hi)) in spans[..n_spans].iter().enumerate() {
                let from = if n == 0 {
                    cursors.seek(b, lons, lo)
                } else {
                    lons.partition_point(|&l| l < lo)
                };
                for (l, entry) in lons[from..].iter().zip(&self.entries[s + from..e]) {
                    if *l > hi {
                        break;
                    }
                    let c2 = sphere::chord2(u, entry.v);
                    if c2 > self.bounds.reject {
                        continue;
                    }
                    if c2 < self.bounds.accept
                        || distance_m(p, targets[entry.idx as usize]) <= self.d
                    {
                        out.push((i, entry.idx));
                    }
                }
            }
        }
    }
}

/// Where the last query started scanning in each of the last few bands: queries come in
/// longitude order within a band, so the next start is a few steps away (any order is correct,
/// only slower).
struct Cursors([(usize, usize); 4]);

impl Default for Cursors {
    fn default() -> Self {
        Cursors([(usize::MAX, 0); 4])
    }
}

impl Cursors {
    /// The first position in band `b` (whose longitudes are `lons`) with a longitude `>= lo`.
    fn seek(&mut self, b: usize, lons: &[f64], lo: f64) -> usize {
        let slot = &mut self.0[b % 4];
        let mut c = if slot.0 == b {
            slot.1.min(lons.len())
        } else {
            lons.partition_point(|&l| l < lo)
        };
        while c > 0 && lons[c - 1] >= lo {
            c -= 1;
        }
        while c < lons.len() && lons[c] < lo {
            c += 1;
        }
        *slot = (b, c);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(points: &[LonLat], targets: &[LonLat], d: f64) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for (i, p) in points.iter().enumerate() {
            for (j, t) in targets.iter().enumerate() {
                if distance_m(*p, *t) <= d {
                    out.push((i as u32, j as u32));
                }
            }
        }
        out
    }

    #[test]
    fn odd_inputs_match_the_brute_force() {
        let pts = [
            [0.0, 0.0],
            [360.0, 0.0],
            [-180.0, 10.0],
            [180.0, 10.0],
            [0.0, 91.0],
            [f64::NAN, 0.0],
            [f64::INFINITY, 0.0],
            [0.0, 90.0],
            [123.0, 90.0],
            [0.0, -90.0],
            [540.5, 45.0],
        ];
        for d in [
            0.0,
            -0.0,
            1.0,
            1000.0,
            2e6,
            2.1e7,
            f64::INFINITY,
            -1.0,
            f64::NAN,
        ] {
            assert_eq!(dwithin_join(&pts, &pts, d), brute(&pts, &pts, d), "d = {d}");
        }
        assert!(dwithin_join(&[], &pts, 1.0).is_empty());
        assert!(dwithin_join(&pts, &[], 1.0).is_empty());
    }

    #[test]
    fn threads_do_not_change_the_output() {
        // Enough points for the threaded path; a grid around the antimeridian.
        let mut pts = Vec::new();
        for a in 0..120 {
            for b in 0..100 {
                pts.push([179.0 + a as f64 * 0.017, -30.0 + b as f64 * 0.013]);
            }
        }
        let targets: Vec<LonLat> = pts.iter().step_by(97).copied().collect();
        let got = dwithin_join(&pts, &targets, 2500.0);
        let mut single = Vec::new();
        let index = Index::new(&targets, 2500.0);
        index.query_range(&pts, 0, &targets, &mut single);
        assert_eq!(got, single);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        assert!(got.len() > targets.len());
    }
}
