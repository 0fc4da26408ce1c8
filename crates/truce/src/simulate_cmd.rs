//! `truce simulate`: synthetic inputs from `truce_sim`, deterministic for a seed, on stdout or
//! `--out`. `ais` has options of its own (`--format`, `--start`), a larger default row count,
//! a progress bar on stderr and a note there that the traffic is synthetic.

use crate::Failure;
use anyhow::anyhow;
use std::path::PathBuf;

/// What `truce simulate` generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// VIIRS detections (FIRMS area-API CSV).
    Firms,
    /// ACLED-shaped events (31 columns).
    Acled,
    /// A party's reports in JSON Lines, always blaming the opponent.
    Allegations,
    /// A site list CSV (id,name,lat,lon,category).
    Sites,
    /// Black Sea AIS traffic (--format nmea|dma|marinecadastre, --start).
    Ais,
}

/// The AIS output format of `truce simulate ais`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AisFormat {
    /// `!AIVDM` sentences with NMEA 4.0 tag blocks (`\c:<unix seconds>*hh\`).
    Nmea,
    /// Danish Maritime Authority CSV (26 columns).
    Dma,
    /// NOAA MarineCadastre CSV (17 columns).
    #[value(name = "marinecadastre")]
    MarineCadastre,
}

impl From<AisFormat> for truce_sim::AisFormat {
    fn from(f: AisFormat) -> Self {
        match f {
            AisFormat::Nmea => truce_sim::AisFormat::Nmea,
            AisFormat::Dma => truce_sim::AisFormat::Dma,
            AisFormat::MarineCadastre => truce_sim::AisFormat::MarineCadastre,
        }
    }
}

/// Arguments of `truce simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// What to generate.
    #[arg(value_enum)]
    pub kind: Kind,
    /// Rows to generate (ignored for sites) [default: 10000; ais: 100000 position rows].
    #[arg(long)]
    pub rows: Option<u64>,
    /// The seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days covered, from 18 March 2025.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Number of sites in the simulated world.
    #[arg(long, default_value_t = 1000)]
    pub sites: usize,
    /// Persistent hot spots (gas flares).
    #[arg(long, default_value_t = 12)]
    pub hotspots: usize,
    /// allegations: the party filing them.
    #[arg(long, default_value = "ua")]
    pub party: String,
    /// allegations: the party they blame.
    #[arg(long, default_value = "ru")]
    pub opponent: String,
    /// ais: the output format.
    #[arg(long, value_enum, default_value_t = AisFormat::Nmea)]
    pub format: AisFormat,
    /// ais: the start time, UTC (YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD).
    #[arg(long, default_value = "2025-03-25T00:00:00Z")]
    pub start: String,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `truce simulate KIND`.
pub fn run(a: &SimulateArgs) -> Result<(), Failure> {
    if a.kind == Kind::Ais {
        return run_ais(a);
    }
    let rows = a.rows.unwrap_or(10_000);
    let params = truce_sim::Params {
        seed: a.seed,
        days: a.days,
        sites: a.sites,
        hotspots: a.hotspots,
        ..Default::default()
    };
    let world = truce_sim::World::new(&params).map_err(|e| Failure::input(anyhow!("{e}")))?;
    let out = output(a)?;
    let n = match a.kind {
        Kind::Firms => truce_sim::write_firms(&world, rows, out),
        Kind::Acled => truce_sim::write_acled(&world, rows, out),
        Kind::Allegations => truce_sim::write_allegations(&world, &a.party, &a.opponent, rows, out),
        // (ais was handled above.)
        Kind::Sites | Kind::Ais => truce_sim::write_sites_csv(&world, out),
    }
    .map_err(|e| Failure::input(anyhow!("{e}")))?;
    tracing::info!(rows = n, kind = ?a.kind, "generated");
    Ok(())
}

/// Stdout or the `--out` file.
fn output(a: &SimulateArgs) -> Result<Box<dyn std::io::Write>, Failure> {
    Ok(match &a.out {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    })
}

/// `truce simulate ais`: a progress bar on stderr (unless `--quiet`, or stderr is not a
/// terminal) and the note that the traffic is synthetic.
fn run_ais(a: &SimulateArgs) -> Result<(), Failure> {
    let start = truce_sim::ais::parse_start(&a.start)
        .map_err(|e| Failure::input(anyhow!("--start: {e}")))?;
    let params = truce_sim::AisParams {
        seed: a.seed,
        start,
        rows: a.rows.unwrap_or(truce_sim::AisParams::default().rows),
    };
    let out = output(a)?;
    tracing::warn!(
        "{}; the CSV layouts have no comment line, so say so wherever the file goes",
        truce_sim::ais::SYNTHETIC_NOTE
    );
    let bar = if tracing::enabled!(tracing::Level::WARN) {
        let b = indicatif::ProgressBar::with_draw_target(
            Some(params.rows),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(s) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} AIS position rows ({per_sec}, {eta} left)",
        ) {
            b.set_style(s);
        }
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let summary = truce_sim::write_ais(&params, a.format.into(), out, &mut |n| bar.set_position(n))
        .map_err(|e| Failure::input(anyhow!("{e}")))?;
    bar.finish_and_clear();
    tracing::info!(
        rows = summary.positions,
        static_messages = summary.statics,
        vessels = summary.vessels,
        silent_vessels = summary.silent,
        from = summary.first_t,
        to = summary.last_t,
        format = ?a.format,
        "generated synthetic AIS"
    );
    Ok(())
}
