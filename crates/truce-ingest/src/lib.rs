//! Readers for the formats monitors and open-data sources already use. Each turns records into
//! `truce-model` values and says exactly which record it refused and why. Readers take any
//! `io::Read`; they open no files and read no clock.
//!
//! Today: protected sites from the WRI Global Power Plant Database CSV and from GeoJSON.

pub mod geojson;
pub mod wri;

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {reason}", line.map(|l| format!("line {l}")).unwrap_or_else(|| "file".into()), field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
pub struct IngestError {
    /// 1-based line (CSV) or feature number (GeoJSON), if known.
    pub line: Option<u64>,
    /// The field at fault.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub reason: String,
}

impl IngestError {
    pub(crate) fn at(line: Option<u64>, field: &str, reason: impl Into<String>) -> Self {
        IngestError {
            line,
            field: Some(field.to_string()),
            reason: reason.into(),
        }
    }
}
