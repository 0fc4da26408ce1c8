//! `truce report daily`: the daily report of a day, computed from the log (replayed and judged
//! afresh, as `truce rebuild` does) at its latest checkpoint, rendered as Markdown, HTML, JSON or
//! PDF (the HTML printed by headless Chromium).

use crate::datadir::DataDir;
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget};
use std::path::{Path, PathBuf};
use std::time::Duration;
use truce_report::Day;
use truce_views::publication;

const DAILY_HELP: &str = "\
WHICH INCIDENTS:
  An incident belongs to the day if its interval [start, end] (earliest and latest time of its
  evidence) overlaps the day 00:00–24:00 in --tz (default UTC) or, with --cutoff HH:MM, from the
  previous day's cut-off to this day's (the OSCE SMM's reports cut off at 19:30). A day across a
  change of the zone's offset lasts 23 or 25 hours (Europe/Kyiv: 30 March 2025, 23 hours). An
  incident spanning the day's start appears on both days; one ending exactly when the day starts
  is marked as reaching the day only at its last instant. (`truce compliance` counts each finding
  once, on the day its incident's evidence starts in the agreement's time zone.)

WHICH ARE LISTED:
  Every incident of the day is counted; only the notable ones are listed one by one: those with
  a finding of breach (at any standing) or another finding than out of scope under some reading,
  a party named as perpetrator, a monitor's report or assessment, or sources that disagree. Most
  important first (the standing of their strongest finding of breach, then occurrence grade,
  then start), at most 50, each with at most 20 reports and 20 assessments. The rest are counted
  by occurrence grade, with the command that lists them (`truce incidents --from D --to D`).

OBSERVATIONS:
  Sensor detections in no incident (background detections: nobody alleges anything within their
  reach and, routine ones apart, they touch nothing a reading in force protects) are counted in
  their own section, by source and routine or not, with the previous day's count: never listed,
  never counted as incidents or as findings of breach (`truce background --from D --to D` lists
  them).

CHANGES TO READINGS:
  A version of a reading filed on the day (its stated filing time in the day) is listed with one
  sentence, dates in the agreement's time zone (`ru filed a new reading on 20 April 2025,
  effective from 18 March 2025 (retroactive): start 18 March → 1 April; 3 findings change`) and
  the findings it changed, judged as known just before it was logged and just after (as `truce
  agreement history` does). Left out when nothing was filed.

TIME ZONES:
  --tz takes an IANA name (Europe/Kyiv, Europe/Moscow, UTC) or a fixed offset ±HH:MM (+03:00).
  The tz database is built into truce: nothing is read from this computer's zoneinfo, so the same
  log gives the same report everywhere.

OUTPUT:
  md    Markdown; with --out, the charts are written next to it as report-<date>-*.svg
  html  one self-contained page: inline CSS and SVG charts, no script, no external resource
  json  the report's data (what md and html render)
  pdf   the HTML printed by headless Chromium (`chromium` or `chromium-browser` on PATH, or
        TRUCE_CHROMIUM); needs --out
  The same log (same checkpoint size) gives byte-identical md, html and json: the report holds
  the checkpoint (origin, size, root, signed note), the rules version and the command that
  reproduces it, never the current time.

EXAMPLES:
  truce demo --no-serve
  truce --dir truce-demo report daily --date 2025-03-21                  # Markdown on stdout
  truce --dir truce-demo report daily --date 2025-03-21 --format html --out day.html
  truce --dir truce-demo report daily --date 2025-03-21 --tz Europe/Kyiv --format pdf --out day.pdf
  truce --dir truce-demo report daily --date 2025-03-21 --tz Europe/Kyiv --cutoff 19:30
  truce --dir truce-demo --json report daily --date 2025-03-21          # = --format json";

/// `truce report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The daily report of one day, in the manner of the OSCE SMM's daily reports.
    ///
    /// Counts per grade, party blamed and reading (findings by outcome) with the change from the
    /// previous day; the sensor detections in no incident, counted apart (observations, never
    /// incidents); the notable incidents of the day (at most 50, the rest counted) with their
    /// grade, sources and the outcome and deciding reasons under each reading; the commitments
    /// due within 7 days and their discrepancies; charts (incidents per day by grade, breaches
    /// per party under each reading); and the checkpoint it was computed at with the command
    /// that reproduces it (examples below).
    #[command(after_long_help = DAILY_HELP)]
    Daily(DailyArgs),
}

/// The output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Markdown (charts as .svg files next to --out).
    Md,
    /// Self-contained HTML.
    Html,
    /// JSON.
    Json,
    /// PDF, printed from the HTML by headless Chromium (needs --out).
    Pdf,
}

/// Which day a daily report covers: the options of `truce report daily` and of `truce publish
/// report-daily`, one definition for both.
#[derive(Debug, Args)]
pub struct DayArgs {
    /// The day, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: String,
    /// The time zone the day is counted in: an IANA name (Europe/Kyiv, Europe/Moscow, UTC) or a
    /// fixed offset ±HH:MM (e.g. +03:00).
    #[arg(
        long,
        value_name = "ZONE",
        default_value = "UTC",
        allow_hyphen_values = true
    )]
    pub tz: String,
    /// An evening cut-off HH:MM: the day runs from the previous day's cut-off to this day's
    /// (e.g. 19:30, as the OSCE SMM's daily reports) [default: midnight].
    #[arg(long, value_name = "HH:MM")]
    pub cutoff: Option<String>,
}

impl DayArgs {
    /// The day these options name.
    pub fn day(&self) -> Result<Day, Failure> {
        Day::new(&self.date, &self.tz, self.cutoff.as_deref()).map_err(Failure::input)
    }
}

/// `truce report daily` arguments.
#[derive(Debug, Args)]
pub struct DailyArgs {
    #[command(flatten)]
    pub day: DayArgs,
    /// Output format [default: md; json with --json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file instead of stdout (required for pdf).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs a `truce report` command.
pub fn run(cmd: &ReportCommand, dir: &DataDir, out: &Out) -> Result<(), Failure> {
    match cmd {
        ReportCommand::Daily(a) => daily(a, dir, out),
    }
}

fn spinner(out: &Out, msg: &str) -> ProgressBar {
    if out.quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    b.set_message(msg.to_string());
    b.enable_steady_tick(Duration::from_millis(120));
    b
}

fn write_file(path: &Path, data: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, data).map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))
}

/// `truce report daily`.
pub fn daily(a: &DailyArgs, dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let day = a.day.day()?;
    let format = a
        .format
        .unwrap_or(if out.json { Format::Json } else { Format::Md });
    if format == Format::Pdf && a.out.is_none() {
        return Err(Failure::input(anyhow!(
            "--format pdf needs --out FILE (a PDF is not written to a terminal)"
        )));
    }
    let chromium = if format == Format::Pdf {
        Some(find_chromium()?)
    } else {
        None
    };
    let reader = dir.reader()?;
    let bar = spinner(out, "replaying the log");
    // The checkpoint and the replay describe the same log (replayed again if it grew in
    // between); the report is computed as `truce publish report-daily` publishes it.
    let (cp, ledger) =
        publication::replay_at_checkpoint(&reader).map_err(|e| Failure::store(anyhow!(e)))?;
    bar.set_message(format!("judging {} reports", ledger.reports.len()));
    let report = publication::daily_report(&dir.path, &reader, ledger, &cp, day)
        .map_err(crate::engine_cmd::failure)?;
    bar.finish_and_clear();
    match format {
        Format::Json => emit(a.out.as_deref(), &report.to_json(), out),
        Format::Html => emit(a.out.as_deref(), &report.to_html(), out),
        Format::Md => {
            emit(a.out.as_deref(), &report.to_markdown(), out)?;
            match &a.out {
                Some(path) => {
                    let at = path.parent().unwrap_or(Path::new(""));
                    for (name, svg) in report.charts() {
                        let p = at.join(&name);
                        write_file(&p, svg.as_bytes())?;
                        if !out.quiet {
                            eprintln!("wrote {}", p.display());
                        }
                    }
                }
                None => {
                    if !out.quiet {
                        eprintln!("charts are written next to the report with --out FILE");
                    }
                }
            }
            Ok(())
        }
        Format::Pdf => {
            let (Some(path), Some(chromium)) = (&a.out, chromium) else {
                return Err(Failure::input(anyhow!("--format pdf needs --out FILE")));
            };
            pdf(&chromium, &report.to_html(), path, out)
        }
    }
}

/// Writes to `--out` or stdout.
fn emit(path: Option<&Path>, text: &str, out: &Out) -> Result<(), Failure> {
    match path {
        Some(p) => {
            write_file(p, text.as_bytes())?;
            if !out.quiet {
                eprintln!("wrote {}", p.display());
            }
            Ok(())
        }
        None => out.print_raw(text),
    }
}

/// Chromium: `TRUCE_CHROMIUM`, else `chromium` or `chromium-browser` on PATH.
fn find_chromium() -> Result<PathBuf, Failure> {
    if let Some(p) = std::env::var_os("TRUCE_CHROMIUM") {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for d in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = d.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(Failure::input(anyhow!(
        "--format pdf prints the HTML report with headless Chromium, which is not on PATH (as chromium or chromium-browser): install chromium: apt-get install chromium (or set TRUCE_CHROMIUM)"
    )))
}

/// Prints `html` to the PDF `path` with headless Chromium.
fn pdf(chromium: &Path, html: &str, path: &Path, out: &Out) -> Result<(), Failure> {
    let abs = |p: &Path| -> Result<PathBuf, Failure> {
        if p.is_absolute() {
            Ok(p.to_path_buf())
        } else {
            std::env::current_dir()
                .map(|d| d.join(p))
                .map_err(|e| Failure::input(anyhow!("current directory: {e}")))
        }
    };
    let target = abs(path)?;
    let work = std::env::temp_dir().join(format!(
        "truce-report-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&work)
        .map_err(|e| Failure::input(anyhow!("{}: {e}", work.display())))?;
    let result = (|| {
        let page = work.join("report.html");
        write_file(&page, html.as_bytes())?;
        let _ = std::fs::remove_file(&target);
        let bar = spinner(out, "printing the PDF with headless Chromium");
        let run = std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                "--no-first-run",
                "--disable-extensions",
            ])
            .arg(format!(
                "--user-data-dir={}",
                work.join("profile").display()
            ))
            .arg(format!("--print-to-pdf={}", target.display()))
            .arg(format!("file://{}", page.display()))
            .stdin(std::process::Stdio::null())
            .output();
        bar.finish_and_clear();
        let o = run.map_err(|e| {
            Failure::input(anyhow!(
                "running {}: {e} (install chromium: apt-get install chromium)",
                chromium.display()
            ))
        })?;
        let ok = std::fs::read(&target)
            .map(|b| b.starts_with(b"%PDF-"))
            .unwrap_or(false);
        if !o.status.success() || !ok {
            return Err(Failure::input(anyhow!(
                "{} did not print {} ({}): {}",
                chromium.display(),
                target.display(),
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )));
        }
        if !out.quiet {
            eprintln!("wrote {}", path.display());
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}
