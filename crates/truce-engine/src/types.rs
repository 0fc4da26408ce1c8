//! The engine's output: incidents with their grade, findings per agreement × reading with their
//! chain of reasons, and compliance tables. Serialised as the stable JSON the CLI and the HTTP
//! service publish (fields in a fixed order, collections sorted), so output is byte-reproducible.

use serde::{Deserialize, Serialize};
use truce_model::domain::{Act, Role, Verdict};
use truce_model::Id;

/// The version of the rules that produced a finding. Bump it whenever a rule changes what the
/// engine outputs for the same log.
pub const RULES_VERSION: &str = "truce-rules/1";

/// How sure we are that an incident happened as reported. Never a bare boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    /// One source, or sources of one side only.
    Reported,
    /// Independent sources agree: both sides, or a side and a neutral source or sensor.
    Corroborated,
    /// Sources conflict on what happened or on who did it.
    Disputed,
    /// A monitor verified it.
    Verified,
    /// A monitor could not verify it with the evidence available.
    Unverifiable,
    /// A monitor dismissed it.
    Dismissed,
}

impl Grade {
    /// Every grade, in display order.
    pub const ALL: [Grade; 6] = [
        Grade::Reported,
        Grade::Corroborated,
        Grade::Disputed,
        Grade::Verified,
        Grade::Unverifiable,
        Grade::Dismissed,
    ];
    /// The grade's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Grade::Reported => "reported",
            Grade::Corroborated => "corroborated",
            Grade::Disputed => "disputed",
            Grade::Verified => "verified",
            Grade::Unverifiable => "unverifiable",
            Grade::Dismissed => "dismissed",
        }
    }
    /// Parses a grade name.
    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// What an incident means for an agreement under one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A prohibited act against a protected target, in the window, by a bound party.
    Breach,
    /// In scope, but not a breach (the act is not prohibited, the party was released, a monitor
    /// dismissed it, routine flaring).
    NoBreach,
    /// The agreement does not apply (outside the window or the zones, no protected target, the
    /// party is not bound).
    OutOfScope,
    /// The evidence cannot decide (time or position too imprecise, cause or perpetrator unknown).
    Undetermined,
}

impl Outcome {
    /// Every outcome, in display order.
    pub const ALL: [Outcome; 4] = [
        Outcome::Breach,
        Outcome::NoBreach,
        Outcome::OutOfScope,
        Outcome::Undetermined,
    ];
    /// The outcome's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Breach => "breach",
            Outcome::NoBreach => "no_breach",
            Outcome::OutOfScope => "out_of_scope",
            Outcome::Undetermined => "undetermined",
        }
    }
    /// Parses an outcome name.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// One report in an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Log index.
    pub index: u64,
    /// Entry id.
    pub entry_id: String,
    /// Author.
    pub author: Id,
    /// The author's role.
    pub role: Role,
    /// Report id.
    pub id: Id,
    /// What it says happened.
    pub act: Act,
    /// Whom it blames.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perpetrator: Option<Id>,
    /// Position `[lon, lat]`.
    pub point: [f64; 2],
    /// Uncertainty, metres.
    pub uncertainty_m: u32,
    /// Earliest time (RFC 3339, UTC).
    pub start: String,
    /// Latest time (RFC 3339, UTC).
    pub end: String,
    /// The independent side the report speaks for (`party:<id>`, `sensor:<id>`, `monitor:<id>`,
    /// `mediator:<id>`).
    pub side: String,
    /// Set when the report is a detection at a persistent hot spot: routine, not evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routine: Option<String>,
}

/// A monitor's assessment bearing on an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRef {
    /// Log index.
    pub index: u64,
    /// Entry id.
    pub entry_id: String,
    /// The monitor.
    pub author: Id,
    /// The verdict.
    pub verdict: Verdict,
    /// The reasoning.
    pub text: String,
}

/// Reports judged to describe the same event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable identifier: `inc-` + the first 16 hex digits of SHA-256 over the members' entry ids.
    pub id: String,
    /// Earliest time of the evidence (RFC 3339, UTC).
    pub start: String,
    /// Latest time of the evidence (RFC 3339, UTC).
    pub end: String,
    /// UTC day of `start` (`YYYY-MM-DD`), the day compliance counts it on.
    pub day: String,
    /// Best position: that of the most precise report.
    pub point: [f64; 2],
    /// Its uncertainty, metres.
    pub uncertainty_m: u32,
    /// The grade.
    pub grade: Grade,
    /// Whether sources conflict on what happened or who did it (also when a monitor's verdict
    /// sets the grade).
    pub disputed: bool,
    /// The independent sides that reported it.
    pub sides: Vec<String>,
    /// The acts reported.
    pub acts: Vec<Act>,
    /// The parties blamed, each with who blames it.
    pub alleged: Vec<Allegation>,
    /// Set when every report is routine (detections at a persistent hot spot).
    pub routine: bool,
    /// Why the grade is what it is.
    pub grade_reasons: Vec<String>,
    /// Monitors' assessments of its reports, in log order.
    pub assessments: Vec<AssessmentRef>,
    /// The reports, in log order.
    pub members: Vec<Member>,
}

/// A party blamed for an incident, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allegation {
    /// The party blamed.
    pub party: Id,
    /// The authors of the reports that blame it.
    pub by: Vec<Id>,
}

/// One step of a finding's reasoning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The term or rule examined: `window`, `zone`, `act`, `target`, `bound`, `sources`,
    /// `assessment`, `release`, `routine`.
    pub rule: String,
    /// `yes`, `no` or `uncertain`: whether the condition held.
    pub holds: String,
    /// The reason in words, naming what decided it (site and distance, dates, sources).
    pub text: String,
}

/// The protected site that decided a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteNear {
    /// The listing party.
    pub lister: Id,
    /// Site id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Geodesic distance from the deciding report's position, metres (rounded to the metre).
    pub distance_m: u64,
    /// Whether the site is only within reach given the report's location uncertainty.
    pub uncertain: bool,
    /// The report whose position decided it.
    pub report: String,
}

/// A finding about one party blamed for an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// The party blamed.
    pub party: Id,
    /// Who blames it.
    pub alleged_by: Vec<Id>,
    /// The outcome for this party.
    pub outcome: Outcome,
    /// Set when a release clause freed the party: the incident whose breach freed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
}

/// Incident × agreement × reading → outcome, with reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The incident.
    pub incident: String,
    /// The agreement.
    pub agreement: Id,
    /// Whose reading.
    pub reading: Id,
    /// The overall outcome: `breach` when any attribution is a breach.
    pub outcome: Outcome,
    /// The incident's grade.
    pub grade: Grade,
    /// The incident's UTC day.
    pub day: String,
    /// Per blamed party.
    pub attributions: Vec<Attribution>,
    /// The protected site that decided it, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteNear>,
    /// The chain of reasons, in the order they were examined.
    pub reasons: Vec<Reason>,
    /// The rules version.
    pub rules: String,
}

/// Counts for one agreement × reading × party × day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceRow {
    /// The agreement.
    pub agreement: Id,
    /// Whose reading.
    pub reading: Id,
    /// The party the findings concern.
    pub party: Id,
    /// UTC day.
    pub day: String,
    /// Attributions by outcome (all four keys present).
    pub outcomes: std::collections::BTreeMap<String, u64>,
    /// Breaches by grade (all six keys present).
    pub breaches_by_grade: std::collections::BTreeMap<String, u64>,
}

/// How one incident's outcome differs between readings of an agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingDifference {
    /// The agreement.
    pub agreement: Id,
    /// The incident.
    pub incident: String,
    /// UTC day.
    pub day: String,
    /// Outcome under each reading, by reading party.
    pub outcomes: std::collections::BTreeMap<String, Outcome>,
}

/// Totals of one reading of an agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingTotals {
    /// The agreement.
    pub agreement: Id,
    /// Whose reading.
    pub reading: Id,
    /// Findings by outcome.
    pub outcomes: std::collections::BTreeMap<String, u64>,
    /// Breach attributions per party.
    pub breaches_by_party: std::collections::BTreeMap<String, u64>,
}

/// The compliance view: per-day rows, totals per reading, and the difference readings make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compliance {
    /// Per agreement × reading × party × day.
    pub rows: Vec<ComplianceRow>,
    /// Per agreement × reading.
    pub totals: Vec<ReadingTotals>,
    /// Incidents whose outcome depends on the reading.
    pub differences: Vec<ReadingDifference>,
}

/// Everything the engine derives from a log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// The rules version.
    pub rules: String,
    /// Log entries covered.
    pub log_size: u64,
    /// Hot spots learned, and the cut-off they were learned before (RFC 3339), if any.
    pub baseline: BaselineSummary,
    /// Incidents, ordered by start then id.
    pub incidents: Vec<Incident>,
    /// Findings, ordered by agreement, reading, incident order.
    pub findings: Vec<Finding>,
    /// What could not be used, and why (e.g. a site polygon the geometry rules refuse).
    pub warnings: Vec<String>,
}

/// What the baseline learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// Detections before this time were used (the earliest window start of any reading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Hot-spot cells learned.
    pub hot_spots: u64,
    /// Detections judged routine.
    pub routine_detections: u64,
}
