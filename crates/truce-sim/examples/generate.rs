//! Writes one simulated file to standard output, e.g.
//! `cargo run -p truce-sim --example generate -- firms 100000 7 > firms.csv`.
//!
//! Arguments: `firms|acled|allegations|sites [rows] [seed] [days] [sites]`; allegations are by
//! `ua` against `ru`. With `time` as the fifth word the rows go to a sink and the rate is printed
//! on standard error instead.

use std::io::Write;
use truce_sim::{write_acled, write_allegations, write_firms, write_sites_csv, Params, World};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(args
            .get(i)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(default))
    };
    let what = args.first().map(String::as_str).unwrap_or("firms");
    let rows = arg(1, 1_000)?;
    let p = Params {
        seed: arg(2, 1)?,
        days: u32::try_from(arg(3, 30)?)?,
        sites: usize::try_from(arg(4, 1_000)?)?,
        ..Params::default()
    };
    let timing = args.get(5).is_some_and(|s| s == "time");
    let world = World::new(&p)?;
    let started = std::time::Instant::now();
    let out: Box<dyn Write> = if timing {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stdout().lock())
    };
    let n = match what {
        "firms" => write_firms(&world, rows, out)?,
        "acled" => write_acled(&world, rows, out)?,
        "allegations" => write_allegations(&world, "ua", "ru", rows, out)?,
        "sites" => write_sites_csv(&world, out)?,
        other => {
            return Err(
                format!("unknown output {other:?}: firms, acled, allegations or sites").into(),
            )
        }
    };
    if timing {
        let s = started.elapsed().as_secs_f64();
        eprintln!("{what}: {n} rows in {s:.3} s = {:.0} rows/s", n as f64 / s);
    }
    Ok(())
}
