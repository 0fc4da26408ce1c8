//! `truce simulate`: synthetic inputs from `truce_sim`, deterministic for a seed, on stdout or
//! `--out`.

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
}

/// Arguments of `truce simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// What to generate.
    #[arg(value_enum)]
    pub kind: Kind,
    /// Rows to generate (ignored for sites).
    #[arg(long, default_value_t = 10_000)]
    pub rows: u64,
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
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `truce simulate KIND`.
pub fn run(a: &SimulateArgs) -> Result<(), Failure> {
    let params = truce_sim::Params {
        seed: a.seed,
        days: a.days,
        sites: a.sites,
        hotspots: a.hotspots,
        ..Default::default()
    };
    let world = truce_sim::World::new(&params).map_err(|e| Failure::input(anyhow!("{e}")))?;
    let out: Box<dyn std::io::Write> = match &a.out {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let n = match a.kind {
        Kind::Firms => truce_sim::write_firms(&world, a.rows, out),
        Kind::Acled => truce_sim::write_acled(&world, a.rows, out),
        Kind::Allegations => {
            truce_sim::write_allegations(&world, &a.party, &a.opponent, a.rows, out)
        }
        Kind::Sites => truce_sim::write_sites_csv(&world, out),
    }
    .map_err(|e| Failure::input(anyhow!("{e}")))?;
    tracing::info!(rows = n, kind = ?a.kind, "generated");
    Ok(())
}
