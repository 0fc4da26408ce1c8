//! Synthetic NASA FIRMS VIIRS active-fire detections in the area-API CSV format.
//!
//! Header: `latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,
//! confidence,version,bright_ti5,frp,daynight`. Rows are written day by day and, within a day,
//! pass by pass: three night passes (about 00:05–02:00 UTC) and three day passes (about
//! 09:55–11:50 UTC) of `N21`, `N20` and `N`, the times drifting from day to day. `acq_time` is
//! HHMM without zero padding (`5`, `41`, `1106`), as the API's pandas-rewritten files have it;
//! `confidence` is `l`/`n`/`h`; `scan` 0.32–0.8 and `track` 0.36–0.78; `version` `2.0NRT`.
//!
//! In each pass, in this order:
//! 1. **hot spots**: up to a third of the pass's rows, one per persistent gas flare, at exactly
//!    the same position every pass of every day;
//! 2. **strike fires**: clusters of pixels within about a kilometre of the sites struck that day
//!    (day passes after the strike; oil and gas fires also burn through the next day), up to
//!    half of what is left (when rows are scarce, every visible strike still gets pixels, in turn);
//! 3. **scattered fires**: the rest, about half near the line of contact, half anywhere on land
//!    in the box (agricultural burning).

use crate::calendar::push_fixed;
use crate::calendar::push_uint;
use crate::geo::{self, LAT_MIN};
use crate::out::{share, Out};
use crate::rng::{stream, Rng};
use crate::world::{Strike, World};
use crate::SimError;
use std::io::Write;

/// The FIRMS VIIRS area-API header.
pub const FIRMS_HEADER: &str = "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight";

/// A satellite pass: satellite, daytime, nominal minute of the day (UTC).
struct Pass {
    sat: &'static [u8],
    day: bool,
    minute: i64,
}

const PASSES: [Pass; 6] = [
    Pass {
        sat: b"N21",
        day: false,
        minute: 35,
    },
    Pass {
        sat: b"N20",
        day: false,
        minute: 60,
    },
    Pass {
        sat: b"N",
        day: false,
        minute: 85,
    },
    Pass {
        sat: b"N21",
        day: true,
        minute: 625,
    },
    Pass {
        sat: b"N20",
        day: true,
        minute: 650,
    },
    Pass {
        sat: b"N",
        day: true,
        minute: 675,
    },
];

/// What a detection is.
#[derive(Clone, Copy)]
enum Source {
    Flare(f64),
    Strike,
    Scattered,
}

/// Writes `rows` detections (plus the header) spread evenly over the world's days. Returns the
/// number of data rows written (= `rows`).
pub fn write_firms<W: Write>(w: &World, rows: u64, out: W) -> Result<u64, SimError> {
    let mut o = Out::new(out);
    o.buf.extend_from_slice(FIRMS_HEADER.as_bytes());
    o.buf.push(b'\n');
    let seed = w.seed();
    let days = u64::from(w.days());
    let hotspots = w.hotspots();
    let h = hotspots.len() as u64;
    let mut visible: Vec<(usize, u32)> = Vec::new();
    let mut i = 0u64;
    for d in 0..days {
        let rows_d = share(rows, days, d);
        let date = w.date(d as u32);
        let drift_night = ((d * 7) % 13) as i64 * 5 - 30;
        let drift_day = ((d * 7 + 3) % 13) as i64 * 5 - 30;
        for (p, pass) in PASSES.iter().enumerate() {
            let n = share(rows_d, PASSES.len() as u64, p as u64);
            if n == 0 {
                continue;
            }
            let minute = pass.minute + if pass.day { drift_day } else { drift_night };
            let ctx = Ctx {
                date: date.as_bytes(),
                pass,
                minute,
            };

            let hot = h.min(n / 3);
            for j in 0..hot {
                let hs = &hotspots[((j + d * 5 + p as u64) % h) as usize];
                let mut rng = Rng::keyed(seed, stream::FIRMS, i);
                emit(
                    &mut o.buf,
                    &mut rng,
                    hs.lat,
                    hs.lon,
                    Source::Flare(hs.frp),
                    &ctx,
                );
                o.row_done()?;
                i += 1;
            }

            visible.clear();
            collect_visible(w, d as u32, pass.day, &mut visible);
            let want: u64 = visible.iter().map(|&(_, px)| u64::from(px)).sum();
            let budget = (n - hot) / 2;
            let strike_rows = want.min(budget);
            let emit_pixel =
                |o: &mut Out<W>, i: &mut u64, s: usize, m: u64| -> Result<(), SimError> {
                    let st: &Strike = &w.strikes()[s];
                    let site = &w.sites()[st.site];
                    let mut prng =
                        Rng::keyed(seed, stream::PIXEL, ((s as u64) << 16) | (m & 0xffff));
                    let (lat, lon) = geo::scatter(&mut prng, site.lat, site.lon, 350.0);
                    let mut rng = Rng::keyed(seed, stream::FIRMS, *i);
                    let (lat, lon) = geo::scatter(&mut rng, lat, lon, 60.0);
                    let (lat, lon) = geo::clamp_box(lat, lon);
                    emit(&mut o.buf, &mut rng, lat, lon, Source::Strike, &ctx);
                    o.row_done()?;
                    *i += 1;
                    Ok(())
                };
            if strike_rows == want {
                for &(s, px) in &visible {
                    for m in 0..u64::from(px) {
                        emit_pixel(&mut o, &mut i, s, m)?;
                    }
                }
            } else {
                let k = visible.len() as u64;
                for r in 0..strike_rows {
                    emit_pixel(&mut o, &mut i, visible[(r % k) as usize].0, r / k)?;
                }
            }

            for _ in 0..n - hot - strike_rows {
                let mut rng = Rng::keyed(seed, stream::FIRMS, i);
                let (lat, lon) = if rng.chance(0.45) {
                    geo::near_front(&mut rng, 15_000.0)
                } else {
                    geo::random_land(&mut rng)
                };
                emit(&mut o.buf, &mut rng, lat, lon, Source::Scattered, &ctx);
                o.row_done()?;
                i += 1;
            }
        }
    }
    o.finish()?;
    Ok(rows)
}

/// The strikes whose fires a pass of day `d` sees: the day's strikes on day passes, and the
/// previous day's lingering fires (at half size) on every pass. Pairs of (strike index, pixels).
fn collect_visible(w: &World, d: u32, day_pass: bool, out: &mut Vec<(usize, u32)>) {
    if d > 0 {
        let first = w.first_strike_of(d - 1);
        for (k, s) in w.strikes_on(d - 1).iter().enumerate() {
            if s.lingers {
                out.push((first + k, s.pixels.div_ceil(2)));
            }
        }
    }
    if day_pass {
        let first = w.first_strike_of(d);
        for (k, s) in w.strikes_on(d).iter().enumerate() {
            out.push((first + k, s.pixels));
        }
    }
}

/// What all rows of a pass share.
struct Ctx<'a> {
    date: &'a [u8],
    pass: &'a Pass,
    minute: i64,
}

/// Appends one detection row.
fn emit(buf: &mut Vec<u8>, rng: &mut Rng, lat: f64, lon: f64, src: Source, ctx: &Ctx<'_>) {
    let day = ctx.pass.day;
    let (ti4, ti5, frp) = match src {
        Source::Flare(typical) => (
            if rng.chance(0.25) {
                367.0
            } else {
                rng.range(325.0, 366.0)
            },
            if day {
                rng.range(295.0, 320.0)
            } else {
                rng.range(280.0, 300.0)
            },
            typical * rng.range(0.6, 1.4),
        ),
        Source::Strike => {
            let u = rng.unit();
            (
                if rng.chance(0.35) {
                    367.0
                } else {
                    rng.range(335.0, 366.0)
                },
                rng.range(285.0, 330.0),
                3.0 + 180.0 * u * u * u,
            )
        }
        Source::Scattered => {
            let (a, b) = (rng.unit(), rng.unit());
            if day {
                let ti4 = 300.0 + 60.0 * a * a;
                (
                    ti4,
                    rng.range(280.0, 310.0).min(ti4 - 4.0),
                    0.5 + 25.0 * b * b * b,
                )
            } else {
                (
                    295.0 + 40.0 * a * a,
                    rng.range(262.0, 290.0),
                    0.3 + 12.0 * b * b * b,
                )
            }
        }
    };
    let conf = if ti4 >= 360.0 {
        b'h'
    } else {
        match src {
            Source::Flare(_) | Source::Strike if rng.chance(0.6) => b'h',
            Source::Scattered if rng.chance(0.15) => b'l',
            _ => b'n',
        }
    };
    // Position across the swath sets the pixel size: small at nadir, large at the edge.
    let u = rng.unit();
    let u2 = u * u;
    let scan = 0.32 + 0.48 * u2;
    let track = 0.36 + 0.42 * u2 * rng.range(0.85, 1.0);
    // A pass crosses the box in about three minutes.
    let minute = (ctx.minute + ((lat - LAT_MIN) / 3.0) as i64).clamp(0, 1439);
    let hhmm = (minute / 60) * 100 + minute % 60;

    push_fixed(buf, lat, 5, true);
    buf.push(b',');
    push_fixed(buf, lon, 5, true);
    buf.push(b',');
    push_fixed(buf, ti4, 2, true);
    buf.push(b',');
    push_fixed(buf, scan, 2, true);
    buf.push(b',');
    push_fixed(buf, track, 2, true);
    buf.push(b',');
    buf.extend_from_slice(ctx.date);
    buf.push(b',');
    push_uint(buf, hhmm as u64);
    buf.push(b',');
    buf.extend_from_slice(ctx.pass.sat);
    buf.extend_from_slice(b",VIIRS,");
    buf.push(conf);
    buf.extend_from_slice(b",2.0NRT,");
    push_fixed(buf, ti5, 2, true);
    buf.push(b',');
    push_fixed(buf, frp, 2, true);
    buf.extend_from_slice(if day { b",D\n" } else { b",N\n" });
}
