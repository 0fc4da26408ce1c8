//! `truce export`: the API's export documents, offline, from the data directory. The bytes are
//! those the export endpoints serve without filters to a public caller — the same functions make
//! them (`truce_server::query::export`): incidents and findings as stored in `views.db`
//! (recomputed first when stale, as the server does), sites and reports from the log replayed
//! into a ledger (no restricted evidence).

use crate::datadir::DataDir;
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use serde_json::json;
use std::path::PathBuf;
use truce_server::derived;
use truce_server::query::export;
use truce_store::views::{FindingFilter, IncidentFilter};

/// What `truce export` can write, each named after its endpoint (`/v1/<name>`).
pub const DOCUMENTS: [&str; 5] = [
    "incidents.geojson",
    "incidents.csv",
    "reports.geojson",
    "sites.geojson",
    "findings.csv",
];

/// Arguments of `truce export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// What to export: incidents.geojson, incidents.csv, reports.geojson, sites.geojson or
    /// findings.csv (the document `GET /v1/<what>` serves).
    #[arg(value_parser = DOCUMENTS)]
    pub what: String,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The document, as the endpoint serves it.
pub fn document(dir: &DataDir, what: &str, out: &Out) -> Result<String, Failure> {
    let parse = |e: derived::DerivedError| crate::engine_cmd::failure(e);
    Ok(match what {
        "incidents.geojson" | "incidents.csv" => {
            let views = crate::engine_cmd::fresh_views(dir, out)?;
            let docs = views.incident_heads(&IncidentFilter::default())?;
            let list = derived::parse_all(&docs).map_err(parse)?;
            if what == "incidents.csv" {
                export::incidents_csv(&list)
            } else {
                export::incidents_geojson(&list)
            }
        }
        "findings.csv" => {
            let views = crate::engine_cmd::fresh_views(dir, out)?;
            let docs = views.findings(&FindingFilter::default())?;
            export::findings_csv(&derived::parse_all(&docs).map_err(parse)?)
        }
        "reports.geojson" | "sites.geojson" => {
            let ledger = crate::domain_cmd::replay(&dir.reader()?)?;
            if what == "sites.geojson" {
                export::sites_geojson(&ledger)
            } else {
                export::reports_geojson(&ledger)
            }
        }
        other => {
            return Err(Failure::input(anyhow!(
                "cannot export {other:?}: use one of {}",
                DOCUMENTS.join(", ")
            )))
        }
    })
}

/// `truce export WHAT [--out FILE]`.
pub fn run(dir: &DataDir, a: &ExportArgs, out: &Out) -> Result<(), Failure> {
    let body = document(dir, &a.what, out)?;
    match &a.out {
        None => out.print_raw(&body),
        Some(p) => {
            std::fs::write(p, &body)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?;
            out.print(
                format!("{}: {} ({} bytes)\n", a.what, p.display(), body.len()),
                json!({"what": a.what, "out": p, "bytes": body.len()}),
            )
        }
    }
}
