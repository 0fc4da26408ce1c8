//! `truce export`: the API's export documents, offline, from the data directory. The bytes are
//! those the export endpoints serve without filters to a public caller — the same functions make
//! them (`truce_views::query::export`, `query::background`): incidents, background detections
//! and findings as stored in `views.db`
//! (recomputed first when stale, as the server does), sites and reports from the log replayed
//! into a ledger (no restricted evidence). Streamed, as the server streams them: written a row
//! (views) or a batch of records (ledger) at a time, never built whole in memory.

use crate::datadir::DataDir;
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::sync::RwLock;
use truce_views::db::{FindingFilter, IncidentFilter};
use truce_views::query::export;

/// What `truce export` can write, each named after its endpoint (`/v1/<name>`).
pub const DOCUMENTS: [&str; 6] = [
    "incidents.geojson",
    "incidents.csv",
    "background.geojson",
    "reports.geojson",
    "sites.geojson",
    "findings.csv",
];

/// Arguments of `truce export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// What to export: incidents.geojson, incidents.csv, background.geojson, reports.geojson,
    /// sites.geojson or findings.csv (the document `GET /v1/<what>` serves).
    #[arg(value_parser = DOCUMENTS)]
    pub what: String,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Counts the bytes written through it.
struct Counted<W> {
    w: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(b)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// Writes the document, as the endpoint serves it, to `w` (streamed: rows or batches of records
/// at a time, never the whole document in memory). Returns `w`.
pub fn write_document<W: Write>(dir: &DataDir, what: &str, out: &Out, w: W) -> Result<W, Failure> {
    let fail = |e: export::ExportError| match e {
        export::ExportError::Io(e) => Failure::input(anyhow!("writing {what}: {e}")),
        other => Failure::input(anyhow!("{what}: {other}")),
    };
    match what {
        "incidents.geojson" | "incidents.csv" => {
            let views = crate::engine_cmd::fresh_views(dir, out)?;
            let csv = what == "incidents.csv";
            export::incidents(
                &views,
                &IncidentFilter::default(),
                |_| true,
                export::Window::ALL,
                csv,
                w,
            )
            .map_err(fail)
        }
        "background.geojson" => {
            let views = crate::engine_cmd::fresh_views(dir, out)?;
            truce_views::query::background::geojson(
                &views,
                &truce_views::db::BackgroundFilter::default(),
                export::Window::ALL,
                w,
            )
            .map_err(fail)
        }
        "findings.csv" => {
            let views = crate::engine_cmd::fresh_views(dir, out)?;
            export::findings_csv(&views, &FindingFilter::default(), export::Window::ALL, w)
                .map_err(fail)
        }
        "reports.geojson" | "sites.geojson" => {
            let reader = dir.reader()?;
            let ledger = RwLock::new(crate::domain_cmd::replay(&reader)?);
            if what == "sites.geojson" {
                export::sites_geojson(&ledger, |_| true, export::Window::ALL, w)
            } else {
                // Bulk reports' full values are read back from the log, a bundle at a time.
                let mut entries = export::Entries::new(|n| export::bundle(&reader, n));
                let mut entry = |i| entries.get(i).map_err(std::io::Error::other);
                let all = export::Window::ALL;
                export::reports_geojson(&ledger, |_| true, all, |_, _| Ok(()), &mut entry, w)
            }
            .map_err(fail)
        }
        other => Err(Failure::input(anyhow!(
            "cannot export {other:?}: use one of {}",
            DOCUMENTS.join(", ")
        ))),
    }
}

/// `truce export WHAT [--out FILE]`.
pub fn run(dir: &DataDir, a: &ExportArgs, out: &Out) -> Result<(), Failure> {
    match &a.out {
        None => {
            let stdout = std::io::stdout().lock();
            write_document(dir, &a.what, out, std::io::BufWriter::new(stdout))?;
            Ok(())
        }
        Some(p) => {
            let file = std::fs::File::create(p)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?;
            let w = Counted {
                w: std::io::BufWriter::new(file),
                bytes: 0,
            };
            let w = write_document(dir, &a.what, out, w)?;
            let bytes = w.bytes;
            w.w.into_inner()
                .map_err(|e| Failure::input(anyhow!("{}: {}", p.display(), e.error())))?
                .sync_all()
                .map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?;
            out.print(
                format!("{}: {} ({} bytes)\n", a.what, p.display(), bytes),
                json!({"what": a.what, "out": p, "bytes": bytes}),
            )
        }
    }
}
