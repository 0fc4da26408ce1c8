//! `truce simulate`: synthetic inputs from `truce_sim`, deterministic for a seed, on stdout or
//! `--out`. `ais` has options of its own (`--format`, `--start`), a larger default row count,
//! a progress bar on stderr and a note there that the traffic is synthetic. `observations` reads
//! a line of contact (`--line`: GeoJSON or an authoring TOML file with one `[[line]]`) and writes
//! a monitor's authoring file of synthetic patrol observations along it.

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
    /// A monitor's patrol observations along a line ([[observation]] TOML; --line, --days,
    /// --start DATE, --patrols).
    Observations,
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
    /// Days covered, from 18 March 2025 (observations: from --start).
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
    /// ais: the start time, UTC (YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD); observations: the first
    /// day (YYYY-MM-DD, days from midnight UTC).
    #[arg(long, default_value = "2025-03-25T00:00:00Z")]
    pub start: String,
    /// observations: the line the patrols follow: a GeoJSON LineString (or a Feature or a
    /// FeatureCollection of one holding it), or an authoring TOML file with one [[line]] (as
    /// `truce lines import` or a scenario's lines/ files). Patrols stand 3-15 km from it on both
    /// sides; events happen mostly within 10 km of it.
    #[arg(long, value_name = "FILE")]
    pub line: Option<PathBuf>,
    /// observations: patrols a day (1-99) [default: 4-8, drawn each day].
    #[arg(long, value_name = "K")]
    pub patrols: Option<u32>,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `truce simulate KIND`.
pub fn run(a: &SimulateArgs) -> Result<(), Failure> {
    if a.kind == Kind::Ais {
        return run_ais(a);
    }
    if a.kind == Kind::Observations {
        return run_observations(a);
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
        // (ais and observations were handled above.)
        Kind::Sites | Kind::Ais | Kind::Observations => truce_sim::write_sites_csv(&world, out),
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

/// `truce simulate observations`: the line read from `--line`, the authoring file on stdout or
/// `--out`, what was generated on stderr.
fn run_observations(a: &SimulateArgs) -> Result<(), Failure> {
    let path = a.line.as_ref().ok_or_else(|| {
        Failure::input(anyhow!(
            "truce simulate observations needs --line FILE: the line the patrols follow (GeoJSON LineString, or a TOML file with one [[line]], e.g. scenarios/energy-moratorium-2025/lines/monitor-loc-2025-05-01.toml)"
        ))
    })?;
    let vertices =
        read_line(path).map_err(|e| Failure::input(anyhow!("--line {}: {e}", path.display())))?;
    let line = truce_sim::PatrolLine::new(&vertices)
        .map_err(|e| Failure::input(anyhow!("--line {}: {e}", path.display())))?;
    let start_day = truce_sim::observations::parse_date(&a.start)
        .map_err(|e| Failure::input(anyhow!("--start: {e}")))?;
    let params = truce_sim::ObsParams {
        seed: a.seed,
        start_day,
        days: a.days,
        patrols: a.patrols,
    };
    let sim = truce_sim::Patrols::new(params, line).map_err(|e| Failure::input(anyhow!("{e}")))?;
    let out = output(a)?;
    tracing::warn!("{}", truce_sim::observations::SYNTHETIC_NOTE);
    let s = truce_sim::write_observations(&sim, out).map_err(|e| Failure::input(anyhow!("{e}")))?;
    tracing::info!(
        days = s.days,
        patrols = s.patrols,
        true_events = s.events,
        observations = s.observations,
        counted = s.counted,
        line_km = (sim.line().length_m() / 1000.0).round(),
        "generated synthetic observations"
    );
    Ok(())
}

/// The largest line file read (a line of contact fits a few MB).
const MAX_LINE_FILE: u64 = 64 << 20;

/// The vertices `[lon, lat]` of FILE's one line: GeoJSON (a LineString, a Feature, a
/// FeatureCollection of one feature, or a MultiLineString of one line) or an authoring TOML
/// file with one `[[line]]`.
fn read_line(path: &std::path::Path) -> Result<Vec<[f64; 2]>, String> {
    use truce_model::geo::Geometry;
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > MAX_LINE_FILE {
        return Err(format!("{len} bytes; at most {MAX_LINE_FILE} are read"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let geometry = if body.starts_with('{') {
        let v: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("not GeoJSON: {e}"))?;
        let mut g = &v;
        if g.get("type").and_then(|t| t.as_str()) == Some("FeatureCollection") {
            match g
                .get("features")
                .and_then(|f| f.as_array())
                .map(Vec::as_slice)
            {
                Some([one]) => g = one,
                _ => return Err("a FeatureCollection: give exactly one feature, the line".into()),
            }
        }
        if g.get("type").and_then(|t| t.as_str()) == Some("Feature") {
            g = g.get("geometry").ok_or("a Feature without a geometry")?;
        }
        let shape = serde_json::json!({
            "type": g.get("type").cloned().unwrap_or_default(),
            "coordinates": g.get("coordinates").cloned().unwrap_or_default(),
        });
        serde_json::from_value::<Geometry>(shape)
            .map_err(|e| format!("not a GeoJSON LineString: {e}"))?
    } else {
        let name = path.display().to_string();
        let f = truce_model::authoring::AuthoredFile::parse(&name, &text)?;
        match f.line.as_slice() {
            [one] => one.geometry.clone(),
            [] => return Err("no [[line]] in this TOML file".into()),
            many => {
                return Err(format!(
                    "{} [[line]] tables ({}): give a file with one",
                    many.len(),
                    many.iter()
                        .map(|l| l.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
    };
    let points = match &geometry {
        Geometry::LineString(l) => l.points(),
        Geometry::MultiLineString(m) if m.lines().len() == 1 => m.lines()[0].points(),
        Geometry::MultiLineString(m) => {
            return Err(format!(
                "a MultiLineString of {} lines: the patrols follow one line; give one LineString",
                m.lines().len()
            ))
        }
        Geometry::Point(_) | Geometry::Polygon(_) => {
            return Err("not a line: give a LineString (a line of contact)".into())
        }
    };
    Ok(points.iter().map(|p| [p.lon(), p.lat()]).collect())
}
