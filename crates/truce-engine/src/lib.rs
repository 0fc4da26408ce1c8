//! Truce's judgement, as a pure function of the log's contents: reports clustered into incidents
//! (space–time corroboration), graded by source independence and monitors' assessments,
//! adjudicated per agreement × reading with reasons, and counted into compliance tables.
//! No IO, no clock: everything is passed in, so replaying the log gives identical output.

mod adjudicate;
pub mod background;
pub mod baseline;
pub mod cluster;
mod compliance;
mod explain;
pub mod front;
pub mod gaps;
mod incidents;
pub mod incremental;
pub mod input;
pub mod maritime;
pub mod types;

pub use background::{BackgroundView, Judged};
pub use compliance::compliance;
pub use explain::explain;
pub use incidents::{act_name, compatible, origin_of, side_label, side_of};
pub use incremental::{Delta, Incremental, Rejudged};
pub use input::{EntryId, Party, Snapshot};
pub use truce_model::domain::{Question, Standing};
pub use types::*;

/// Thresholds of the rules. The defaults are the published rules version; changing one changes
/// findings, so a caller that does must say so.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// How far a sensor detection reaches beyond its stated uncertainty, metres (a VIIRS pixel is
    /// 375 m).
    pub sensor_reach_m: f64,
    /// How far any other report reaches beyond its stated uncertainty, metres.
    pub report_reach_m: f64,
    /// Reports less precise than this (metres) stand alone: they cannot corroborate or place
    /// themselves near a site.
    pub max_uncertainty_m: u32,
    /// Reports whose time spans more than this (seconds) stand alone.
    pub max_duration_s: i64,
    /// Largest gap between two reports' time intervals that still links them, seconds.
    pub max_gap_s: i64,
    /// A report is near a site within this distance plus the site's approximate radius, metres.
    pub near_m: f64,
    /// How hot spots are learned.
    pub baseline: baseline::BaselineParams,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            sensor_reach_m: 500.0,
            report_reach_m: 1000.0,
            max_uncertainty_m: 25_000,
            max_duration_s: 7 * 86_400,
            max_gap_s: 6 * 3_600,
            near_m: 1_000.0,
            baseline: baseline::BaselineParams::default(),
        }
    }
}

/// Judges a snapshot: incidents, then findings for every incident × agreement × reading.
pub fn judge(snap: &Snapshot, p: &Params) -> Judgement {
    let mut warnings = Vec::new();
    let near = adjudicate::Near::new(snap, &mut warnings);
    let versions = adjudicate::reading_versions(snap);
    let touch = adjudicate::Touch::new(&near, &versions);
    let (mut built, background, routines, baseline) = incidents::build(snap, p, &touch);
    near.match_vessels(snap, &mut built);
    let hits: Vec<Vec<adjudicate::Hit>> = if snap.readings.is_empty() {
        Vec::new()
    } else {
        built.iter().map(|b| near.hits(snap, b, p)).collect()
    };
    let mut findings = Vec::new();
    for versions in &versions {
        let mut fs = Vec::new();
        let mut spans = Vec::new();
        let mut used = Vec::new();
        for (b, h) in built.iter().zip(&hits) {
            if let Some((f, at)) = adjudicate::pre_finding(snap, b, h, versions, p) {
                fs.push(f);
                spans.push(adjudicate::BuiltSpan { b, snap });
                used.push(versions[at]);
            }
        }
        adjudicate::apply_release(&mut fs, &spans, &used, &snap.invocations);
        findings.extend(fs);
    }
    findings.sort_by(|a, b| (&a.agreement, &a.reading).cmp(&(&b.agreement, &b.reading)));
    Judgement {
        rules: RULES_VERSION.to_string(),
        log_size: snap.log_size,
        baseline,
        incidents: built.into_iter().map(|b| b.incident).collect(),
        background,
        routines,
        findings,
        warnings,
    }
}

/// A unix time as RFC 3339 in UTC (`2025-03-21T00:10:00Z`).
pub(crate) fn utc(s: i64) -> String {
    jiff::Timestamp::from_second(s)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| s.to_string())
}
