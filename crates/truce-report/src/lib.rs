//! Truce's daily report, in the manner of the OSCE Special Monitoring Mission's daily reports:
//! counts per occurrence grade, party and reading with the change from the previous day, the
//! notable incidents of the day with the outcome and reasons under each reading, the commitments
//! due around the day, charts, and the checkpoint it was computed at with the command that
//! reproduces it. Pure: no IO, no clock; everything is passed in, so the same log gives the same
//! bytes.
//!
//! **How well a finding stands.** Every incident shows two grades: its *occurrence* (did
//! something happen there and then) and, per party named, its *attribution* (did that party do
//! it). A breach's *standing* follows from its attribution: `established`, `corroborated` or
//! `alleged`. The report says it in words wherever a finding appears ("alleged breach", never a
//! bare "breach" on an allegation), and a headline figure of breaches counts established breaches,
//! with corroborated ones apart; alleged breaches are shown as allegations of breach, never
//! counted as breaches.
//!
//! **Which incidents belong to a day.** An incident belongs to the day if its time interval
//! `[start, end]` (closed: the earliest and latest time of its evidence) overlaps the day
//! `[00:00, 24:00)` in the report's time zone (`--tz`: an IANA name such as `Europe/Kyiv`, or a
//! fixed offset; default UTC), or, with a cut-off (`--cutoff 19:30`, as the OSCE SMM's reports),
//! from the previous day's cut-off to this day's. A day across a change of the zone's offset
//! lasts 23 or 25 hours. An incident spanning the day's start appears in the reports of both
//! days. One that reaches the day only at its very first instant (it ends exactly when the day
//! starts) still belongs to it, and the report says so. This differs from the engine's
//! compliance tables, which count each finding once, on the day its incident's evidence starts
//! in the agreement's time zone.
//!
//! **Observations are not incidents.** Sensor detections that the engine keeps out of every
//! incident (`Judgement::background`, truce-rules/6: nobody alleges or observes anything within
//! their reach and, routine ones apart, they touch nothing a reading in force protects) are
//! counted in their own section, "Observations", by source and routine or not, with the previous
//! day's count, by the same overlap rule as incidents. They are never listed, never counted as
//! incidents and never as findings of breach. Counting them takes one pass over the background
//! holding only counters (each detection read in place from the snapshot judged, nothing made
//! per detection), so memory follows one day's counts, not the log.
//!
//! **Which incidents are listed: the notable ones.** Every incident of the day is counted in the
//! summary. It is listed one by one only if it is *notable* ([`notable::why`]), that is if at
//! least one of these holds:
//! - `breach`: under some reading its finding is a breach, at any standing;
//! - `finding`: under some reading its finding is another one than out of scope (no breach,
//!   undetermined);
//! - `allegation`: a party is named as perpetrator;
//! - `monitor`: a monitor reported it, or assessed one of its reports;
//! - `disputed`: sources disagree on what happened or on who did it.
//!
//! A routine incident (every report a detection at a persistent hot spot) is never notable. The
//! notable incidents are listed most important first: by the standing of their strongest finding
//! of breach (established, corroborated, alleged, then none), then by occurrence grade (verified,
//! corroborated, contested, unverifiable, reported, dismissed: [`notable::GRADE_ORDER`]), then by
//! start and id; at most [`NOTABLE_CAP`] of them. The others (notable ones beyond the cap, and the
//! incidents that are not notable) are counted by occurrence grade, with the command and the API
//! request that list them (`truce incidents --from D --to D`, `GET /v1/incidents?from=…&to=…`,
//! by start). Under each listed incident at most [`REPORTS_CAP`] reports (claims before sensor
//! detections) and [`ASSESSMENTS_CAP`] assessments (counted ones first) are shown, with their
//! totals; under each change to a reading at most [`CHANGED_CAP`] changed findings; at most
//! [`WARNINGS_CAP`] warnings. So a day with a million detections or thirty thousand incidents
//! gives a report of bounded size.
//!
//! **One model, three renderings.** [`DailyReport`] is the model; its JSON ([`DailyReport::to_json`])
//! is what `truce report daily --format json` prints and what a `report.daily` publication
//! digests, and the Markdown and HTML render exactly its fields. Its shape, in brief:
//!
//! ```text
//! { date, tz, cutoff?, from, until, previous?, checkpoint, rules, reproduce,
//!   summary:      { incidents, routine, by_occurrence[], by_party[], readings[] },   // counts
//!   observations: { detections, routine, by_source[{source, detections, routine}],
//!                   command, api },                               // background detections
//!   changes[]?,                                                   // changes to readings
//!   incidents[]:  { id, label, …, notable[], breach_standing?, reports[], reports_total,
//!                   assessments[], assessments_total, readings[], explain },  // ≤ NOTABLE_CAP
//!   unlisted:     { notable, cap, beyond_cap{total, by_occurrence}, not_notable{…},
//!                   routine, command, api },
//!   commitments[], series{days[], breaches[]}, warnings[] }
//! ```
//!
//! Each count (`incidents`, `detections`, …) is `{day, previous, change}`.

pub mod changes;
mod day;
pub mod front;
pub mod notable;
pub mod observations;
mod render;
mod svg;

pub use changes::{sentence, version_change, AspectChange, FindingChange, VersionChange};
pub use day::{unix, Day};
pub use front::{FrontNotes, FrontSection};
pub use notable::{ASSESSMENTS_CAP, NOTABLE_CAP, REPORTS_CAP};
pub use observations::{Observations, SourceCount};

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use truce_engine::{
    outcome_words, Compliance, Finding, Grade, Incident, Judged, Outcome, Reason, Standing,
};
use truce_model::views::CommitmentStatus;

/// Commitments due this many days before or after the report's date are listed.
pub const COMMITMENT_DAYS: i64 = 7;
/// The incidents-per-day chart covers at most this many days, ending on the report's date.
pub const CHART_DAYS: u32 = 14;
/// The most changed findings listed under one change to a reading (`findings_changed_total`
/// says how many it changed; `truce agreement history` lists them all).
pub const CHANGED_CAP: usize = 50;
/// The most warnings a report carries (the last one says how many more there were).
pub const WARNINGS_CAP: usize = 50;

/// What can be wrong with a report's arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The date is not a valid `YYYY-MM-DD`.
    #[error("bad date {0:?}: expected YYYY-MM-DD, e.g. 2025-03-21")]
    Date(String),
    /// The time zone is neither a zone of the tz database nor an offset `±HH:MM`.
    #[error("bad time zone {0:?}: expected an IANA name such as Europe/Kyiv, Europe/Moscow or UTC, or a UTC offset ±HH:MM between -18:00 and +18:00 such as +03:00")]
    Zone(String),
    /// The cut-off is not a time `HH:MM`.
    #[error("bad cut-off {0:?}: expected HH:MM, e.g. 19:30 (00:00 or 24:00: midnight)")]
    Cutoff(String),
}

/// The checkpoint a report was computed at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    /// The log's origin.
    pub origin: String,
    /// Tree size: the number of log entries the report covers.
    pub size: u64,
    /// Root hash (base64).
    pub root: String,
    /// The whole signed note.
    pub note: String,
}

/// Everything a daily report is computed from.
#[derive(Debug, Clone)]
pub struct DailyInput<'a> {
    /// The day, in its time zone.
    pub day: Day,
    /// The engine's judgement of the log (incidents, findings, background detections) with the
    /// snapshot it judged, which its background detections are read from.
    pub judgement: &'a Judged,
    /// The compliance view of those findings.
    pub compliance: &'a Compliance,
    /// Commitments reconciled with their fulfilments.
    pub commitments: &'a [CommitmentStatus],
    /// The checkpoint the judgement was computed at.
    pub checkpoint: CheckpointInfo,
    /// The engine's rules version.
    pub rules: String,
}

/// A count on the day, on the previous day, and the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Count {
    /// On the report's day.
    pub day: u64,
    /// On the previous day.
    pub previous: u64,
    /// `day - previous`.
    pub change: i64,
}

impl Count {
    fn new(day: u64, previous: u64) -> Count {
        let d = i64::try_from(day).unwrap_or(i64::MAX);
        let p = i64::try_from(previous).unwrap_or(i64::MAX);
        Count {
            day,
            previous,
            change: d.saturating_sub(p),
        }
    }
}

/// A labelled count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labelled {
    /// Occurrence grade, party, or outcome in words ("established breach", "no breach").
    pub label: String,
    /// The count.
    #[serde(flatten)]
    pub count: Count,
}

/// Breach attributions by standing. Only `established` (and, shown apart, `corroborated`) are
/// breaches in a headline figure; `alleged` ones are allegations of breach, never counted as
/// breaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Standings {
    /// Established breaches: monitors verified the attribution, or the accused admitted it.
    pub established: Count,
    /// Corroborated breaches: an origin independent of the accuser names the same party.
    pub corroborated: Count,
    /// Allegations of breach: one side's word, or a disputed, unverifiable or contested
    /// attribution.
    pub alleged: Count,
}

/// Findings of the day under one reading of one agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingCounts {
    /// The agreement.
    pub agreement: String,
    /// Whose reading.
    pub reading: String,
    /// The headline: breach attributions (party × incident) by standing.
    pub breaches: Standings,
    /// Findings by outcome in words ([`OUTCOME_WORDS`], in that order).
    pub outcomes: Vec<Labelled>,
    /// Per party named: attributions by outcome in words.
    pub parties: Vec<PartyCounts>,
}

/// One party's attributions by outcome under a reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyCounts {
    /// The party named as perpetrator.
    pub party: String,
    /// Attributions by outcome in words ([`OUTCOME_WORDS`], in that order).
    pub outcomes: Vec<Labelled>,
}

/// The day's counts, each with the previous day's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Incidents (excluding routine detections at persistent hot spots).
    pub incidents: Count,
    /// Routine incidents (every report a detection at a persistent hot spot).
    pub routine: Count,
    /// Incidents by occurrence grade (all six, in display order).
    pub by_occurrence: Vec<Labelled>,
    /// Incidents by party named as perpetrator (allegations, whatever their grade).
    pub by_party: Vec<Labelled>,
    /// Findings per agreement × reading.
    pub readings: Vec<ReadingCounts>,
}

/// One report of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLine {
    /// Author.
    pub author: String,
    /// Report id.
    pub id: String,
    /// The origin of its claim: its author's side, or the relayed party's.
    pub side: String,
    /// Whose claim it relays, when not its author's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relays: Option<String>,
    /// The act reported.
    pub act: String,
    /// Whom it blames.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perpetrator: Option<String>,
    /// Its interval, at the report's offset.
    pub when: String,
    /// Location uncertainty, metres.
    pub uncertainty_m: u32,
}

/// Attribution: one party named as perpetrator, and how well it stands that it did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionLine {
    /// The party named.
    pub party: String,
    /// The authors of the reports naming it.
    pub by: Vec<String>,
    /// The origins naming it.
    pub origins: Vec<String>,
    /// The attribution grade (`alleged`, `disputed`, `corroborated`, `admitted`, `verified`,
    /// `unverifiable`, `dismissed`, `contested`).
    pub grade: String,
    /// The standing a breach attributed on this basis has (`alleged`, `corroborated`,
    /// `established`).
    pub standing: String,
    /// Why.
    pub reasons: Vec<String>,
}

/// Where monitors' review of one question stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewLine {
    /// `occurrence` or `attribution`.
    pub question: String,
    /// For an attribution question, the party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// `pending`, `verified`, `dismissed`, `unverifiable` or `contested`.
    pub state: String,
    /// Distinct officers needed.
    pub quorum: u32,
    /// Distinct officers' latest verdicts, by verdict.
    pub tally: BTreeMap<String, u32>,
}

/// A monitor's assessment bearing on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentLine {
    /// Log index.
    pub index: u64,
    /// The monitor (the mission).
    pub monitor: String,
    /// The officer: the id of the key that signed it.
    pub officer: String,
    /// `occurrence` or `attribution`.
    pub question: String,
    /// For an attribution question, the party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// The verdict.
    pub verdict: String,
    /// Whether it counts towards the review.
    pub counted: bool,
    /// Why it does not count, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The reasoning.
    pub text: String,
}

/// One party's outcome under a reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyOutcome {
    /// The party named.
    pub party: String,
    /// The outcome (`breach`, `no_breach`, `out_of_scope`, `undetermined`).
    pub outcome: String,
    /// How well it stands.
    pub standing: String,
    /// The outcome in words with its standing ("alleged breach", "no breach").
    pub words: String,
    /// The attribution grade.
    pub grade: String,
    /// The incident whose breach released the party, if a release clause did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    /// The log index of the party's own invocation that released it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation: Option<u64>,
    /// A release the party could invoke but has not (the other side's qualifying breach).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_available: Option<String>,
}

/// An incident's finding under one reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingOutcome {
    /// The agreement.
    pub agreement: String,
    /// Whose reading.
    pub reading: String,
    /// The overall outcome (`breach`, `no_breach`, `out_of_scope`, `undetermined`).
    pub outcome: String,
    /// How well it stands (`alleged`, `corroborated`, `established`).
    pub standing: String,
    /// The outcome in words with its standing: never a bare "breach".
    pub words: String,
    /// Per party named.
    pub parties: Vec<PartyOutcome>,
    /// The reason that decided the outcome, in a line.
    pub decided_by: String,
    /// The engine's full chain of reasons, in the order examined.
    pub reasons: Vec<Reason>,
}

/// A notable incident of the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentLine {
    /// Incident id.
    pub id: String,
    /// A name for it: the protected site that decided a finding, else its acts.
    pub label: String,
    /// Earliest time (RFC 3339, UTC).
    pub start: String,
    /// Latest time (RFC 3339, UTC).
    pub end: String,
    /// Its interval on the clock of the report's zone.
    pub when: String,
    /// Set when it reaches the day only at its last instant (it ends when the day starts).
    pub edge: bool,
    /// The day the engine's compliance tables count its findings on (the day its evidence
    /// starts, in each agreement's time zone; several, comma-separated, if they differ).
    pub compliance_day: String,
    /// Position `[lon, lat]`.
    pub point: [f64; 2],
    /// Its uncertainty, metres.
    pub uncertainty_m: u32,
    /// Occurrence grade: did something happen there and then?
    pub occurrence: String,
    /// Whether sources disagree (on what happened or on who did it).
    pub disputed: bool,
    /// Why the occurrence grade is what it is.
    pub occurrence_reasons: Vec<String>,
    /// The independent origins that reported it.
    pub sides: Vec<String>,
    /// Attribution: each party named as perpetrator, with its grade and standing.
    pub attributions: Vec<AttributionLine>,
    /// Why it is listed ([`notable::Why`]: `breach`, `finding`, `allegation`, `monitor`,
    /// `disputed`).
    pub notable: Vec<String>,
    /// The standing of its strongest finding of breach under any reading, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breach_standing: Option<String>,
    /// The reports, in log order: at most [`REPORTS_CAP`], claims (anything but a sensor
    /// detection) first.
    pub reports: Vec<ReportLine>,
    /// How many reports it has.
    pub reports_total: u64,
    /// Monitors' review of each question raised.
    pub reviews: Vec<ReviewLine>,
    /// Monitors' assessments, in log order: at most [`ASSESSMENTS_CAP`], counted ones first.
    pub assessments: Vec<AssessmentLine>,
    /// How many assessments bear on it.
    pub assessments_total: u64,
    /// Whether the outcome depends on whose reading is applied.
    pub reading_decides: bool,
    /// The finding under each reading.
    pub readings: Vec<ReadingOutcome>,
    /// The command that explains it in full.
    pub explain: String,
}

/// Incidents counted by occurrence grade.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GradeTally {
    /// How many.
    pub total: u64,
    /// By occurrence grade (all six grades).
    pub by_occurrence: BTreeMap<String, u64>,
}

impl GradeTally {
    fn new() -> GradeTally {
        GradeTally {
            total: 0,
            by_occurrence: Grade::ALL
                .iter()
                .map(|g| (g.as_str().to_string(), 0))
                .collect(),
        }
    }

    fn add(&mut self, g: Grade) {
        self.total += 1;
        *self
            .by_occurrence
            .entry(g.as_str().to_string())
            .or_default() += 1;
    }
}

/// Incidents of the day that are not listed one by one: counted, with where to list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unlisted {
    /// Notable incidents of the day, listed or not.
    pub notable: u64,
    /// The most listed ([`NOTABLE_CAP`]).
    pub cap: u64,
    /// Notable incidents beyond the cap.
    pub beyond_cap: GradeTally,
    /// Incidents of the day that are not notable (and not routine).
    pub not_notable: GradeTally,
    /// Routine incidents: every report a detection at a persistent hot spot.
    pub routine: u64,
    /// The command that lists every incident that began on the day's UTC dates.
    pub command: String,
    /// The API request that lists every incident that began within the day.
    pub api: String,
}

/// One item of a commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemLine {
    /// What.
    pub what: String,
    /// From whom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// To whom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Promised.
    pub promised: u64,
    /// Delivered per the fulfilments in the log: the highest of the sides' own totals.
    pub delivered: u64,
    /// Each reporting party's own total (never added together).
    #[serde(default)]
    pub by_side: std::collections::BTreeMap<String, u64>,
    /// Whether the reporting parties' totals differ.
    #[serde(default)]
    pub sides_differ: bool,
    /// Whether any side's total differs from what was promised.
    pub discrepancy: bool,
}

impl ItemLine {
    /// The sides' totals in words ("ru 175, ua 175"; "—" when nobody reported the item).
    pub fn sides_text(&self) -> String {
        if self.by_side.is_empty() {
            return "—".into();
        }
        self.by_side
            .iter()
            .map(|(side, n)| format!("{side} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The flags in words ("≠ discrepancy", "sides differ", both, or nothing).
    pub fn flags_text(&self) -> String {
        let mut f = Vec::new();
        if self.discrepancy {
            f.push("≠ discrepancy");
        }
        if self.sides_differ {
            f.push("sides differ");
        }
        f.join("; ")
    }
}

/// A commitment due around the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentLine {
    /// Commitment id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Who logged it.
    pub author: String,
    /// Due date.
    pub due: String,
    /// Days from the report's date to the due date (negative: due before).
    pub due_in_days: i64,
    /// `pending`, `fulfilled` or `discrepancy`.
    pub status: String,
    /// Per item.
    pub items: Vec<ItemLine>,
}

/// Incidents on one day, by occurrence grade (the incidents-per-day chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    /// The date.
    pub date: String,
    /// Incidents by occurrence grade (all six grades).
    pub by_occurrence: BTreeMap<String, u64>,
}

/// Attributions of one standing to date and on the report's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ToDate {
    /// In incidents up to the end of the report's day.
    pub to_date: u64,
    /// In incidents of the report's day.
    pub day: u64,
}

/// Breach attributions to one party under one reading, by standing (the breaches chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachLine {
    /// The agreement.
    pub agreement: String,
    /// Whose reading.
    pub reading: String,
    /// The party named.
    pub party: String,
    /// Established breaches.
    pub established: ToDate,
    /// Corroborated breaches.
    pub corroborated: ToDate,
    /// Allegations of breach (never counted as breaches).
    pub alleged: ToDate,
}

/// The data behind the charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// Incidents per day by occurrence grade, up to the report's date.
    pub days: Vec<DayCounts>,
    /// Breach attributions per party and reading, by standing.
    pub breaches: Vec<BreachLine>,
}

/// A daily report: what `truce report daily --format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyReport {
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// The time zone the day is taken in: an IANA name (`Europe/Kyiv`, `UTC`) or `±HH:MM`.
    pub tz: String,
    /// The cut-off `HH:MM`: the day runs from the previous day's cut-off to this day's. Left
    /// out when the day runs midnight to midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<String>,
    /// The day's first instant (RFC 3339, UTC), inclusive.
    pub from: String,
    /// The next day's first instant (RFC 3339, UTC), exclusive.
    pub until: String,
    /// The previous day's date, what changes are counted from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// The checkpoint it was computed at.
    pub checkpoint: CheckpointInfo,
    /// The engine's rules version.
    pub rules: String,
    /// The command that recomputes it (add `--format`).
    pub reproduce: String,
    /// The counts.
    pub summary: Summary,
    /// The day's background detections: sensor detections in no incident, never incidents.
    pub observations: Observations,
    /// Ceasefire violations along the line of contact, OSCE SMM style ([`front`]): monitors'
    /// observations counted per sector, weapons seen, restrictions of movement. Left out when
    /// the log holds no monitor line with sectors and no observation, or when the report is
    /// computed without the ledger's notes ([`daily_with_front`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front: Option<FrontSection>,
    /// Changes to readings: the versions of readings filed on the day (their stated filing
    /// time in the day), each with its sentence and the findings it changed, in log order. Left
    /// out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<VersionChange>,
    /// The notable incidents, most important first (the standing of their strongest finding
    /// of breach, then occurrence grade, then start and id), at most [`NOTABLE_CAP`].
    pub incidents: Vec<IncidentLine>,
    /// Incidents of the day not listed: counted, with where to list them.
    pub unlisted: Unlisted,
    /// Commitments due within [`COMMITMENT_DAYS`] of the date.
    pub commitments: Vec<CommitmentLine>,
    /// Chart data.
    pub series: Series,
    /// What the judgement could not use (at most [`WARNINGS_CAP`]).
    pub warnings: Vec<String>,
}

/// Outcomes in words, in display order: breaches by standing (strongest first), then the rest.
pub const OUTCOME_WORDS: [&str; 6] = [
    "established breach",
    "corroborated breach",
    "alleged breach",
    "no breach",
    "out of scope",
    "undetermined",
];

/// The serde name of a value (an enum variant's name).
fn name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The reason that decided a finding, in a line: the one definition for the daily report's
/// "decided by" and `truce findings`' DECIDED BY column. A release decides where it applies;
/// else the first condition that did not hold (the occurrence and attribution grades, the
/// monitors' assessments and the acts are not conditions of the outcome, nor a version's note
/// that is not a refusal); else, short of a breach, an act that did not hold; else (a breach) the
/// protected site or the target.
pub fn decided_by(f: &Finding) -> String {
    f.reasons
        .iter()
        .find(|r| r.rule == "release" && r.holds == "yes")
        .or_else(|| {
            f.reasons.iter().find(|r| {
                r.holds != "yes"
                    && !(r.rule == "version" && r.holds != "no")
                    && !matches!(
                        r.rule.as_str(),
                        "occurrence" | "attribution" | "assessment" | "act" | "release"
                    )
            })
        })
        .or_else(|| {
            (f.outcome != Outcome::Breach)
                .then(|| {
                    f.reasons
                        .iter()
                        .find(|r| r.holds != "yes" && r.rule == "act")
                })
                .flatten()
        })
        .map(|r| format!("{}: {}", r.rule, r.text))
        .or_else(|| {
            f.site.as_ref().map(|s| {
                format!(
                    "target: {} ({}/{}, {}) at {} m",
                    s.name, s.lister, s.id, s.category, s.distance_m
                )
            })
        })
        .or_else(|| {
            f.reasons
                .iter()
                .find(|r| r.rule == "target")
                .map(|r| format!("target: {}", r.text))
        })
        .unwrap_or_default()
}

/// Counts per occurrence grade, party and reading of a set of incidents.
struct Tally {
    incidents: u64,
    routine: u64,
    grades: BTreeMap<Grade, u64>,
    parties: BTreeMap<String, u64>,
    /// (agreement, reading) → outcome in words → findings.
    outcomes: BTreeMap<(String, String), BTreeMap<String, u64>>,
    /// (agreement, reading, party) → outcome in words → attributions.
    attributions: BTreeMap<(String, String, String), BTreeMap<String, u64>>,
    /// (agreement, reading) → standing → breach attributions.
    breaches: BTreeMap<(String, String), BTreeMap<Standing, u64>>,
}

fn tally(incidents: &[&Incident], by_incident: &BTreeMap<&str, Vec<&Finding>>) -> Tally {
    let mut t = Tally {
        incidents: 0,
        routine: 0,
        grades: BTreeMap::new(),
        parties: BTreeMap::new(),
        outcomes: BTreeMap::new(),
        attributions: BTreeMap::new(),
        breaches: BTreeMap::new(),
    };
    for i in incidents {
        if i.routine {
            t.routine += 1;
        } else {
            t.incidents += 1;
            *t.grades.entry(i.occurrence).or_default() += 1;
            for a in &i.alleged {
                *t.parties.entry(a.party.to_string()).or_default() += 1;
            }
        }
        for f in by_incident.get(i.id.as_str()).into_iter().flatten() {
            let key = (f.agreement.to_string(), f.reading.to_string());
            *t.outcomes
                .entry(key.clone())
                .or_default()
                .entry(outcome_words(f.outcome, f.standing))
                .or_default() += 1;
            let breaches = t.breaches.entry(key.clone()).or_default();
            for a in &f.attributions {
                if a.outcome == Outcome::Breach {
                    *breaches.entry(a.standing).or_default() += 1;
                }
                *t.attributions
                    .entry((key.0.clone(), key.1.clone(), a.party.to_string()))
                    .or_default()
                    .entry(outcome_words(a.outcome, a.standing))
                    .or_default() += 1;
            }
        }
    }
    t
}

fn word_counts(
    day: Option<&BTreeMap<String, u64>>,
    prev: Option<&BTreeMap<String, u64>>,
) -> Vec<Labelled> {
    OUTCOME_WORDS
        .iter()
        .map(|w| Labelled {
            label: w.to_string(),
            count: Count::new(
                day.and_then(|m| m.get(*w)).copied().unwrap_or(0),
                prev.and_then(|m| m.get(*w)).copied().unwrap_or(0),
            ),
        })
        .collect()
}

fn standings(
    day: Option<&BTreeMap<Standing, u64>>,
    prev: Option<&BTreeMap<Standing, u64>>,
) -> Standings {
    let c = |s: Standing| {
        Count::new(
            day.and_then(|m| m.get(&s)).copied().unwrap_or(0),
            prev.and_then(|m| m.get(&s)).copied().unwrap_or(0),
        )
    };
    Standings {
        established: c(Standing::Established),
        corroborated: c(Standing::Corroborated),
        alleged: c(Standing::Alleged),
    }
}

fn summary(day: &Tally, prev: &Tally) -> Summary {
    let by_occurrence = Grade::ALL
        .iter()
        .map(|g| Labelled {
            label: g.as_str().to_string(),
            count: Count::new(
                day.grades.get(g).copied().unwrap_or(0),
                prev.grades.get(g).copied().unwrap_or(0),
            ),
        })
        .collect();
    let parties: BTreeSet<&String> = day.parties.keys().chain(prev.parties.keys()).collect();
    let by_party = parties
        .into_iter()
        .map(|p| Labelled {
            label: p.clone(),
            count: Count::new(
                day.parties.get(p).copied().unwrap_or(0),
                prev.parties.get(p).copied().unwrap_or(0),
            ),
        })
        .collect();
    let keys: BTreeSet<&(String, String)> =
        day.outcomes.keys().chain(prev.outcomes.keys()).collect();
    let readings = keys
        .into_iter()
        .map(|k| {
            let parties: BTreeSet<&String> = day
                .attributions
                .keys()
                .chain(prev.attributions.keys())
                .filter(|(a, r, _)| (a, r) == (&k.0, &k.1))
                .map(|(_, _, p)| p)
                .collect();
            ReadingCounts {
                agreement: k.0.clone(),
                reading: k.1.clone(),
                breaches: standings(day.breaches.get(k), prev.breaches.get(k)),
                outcomes: word_counts(day.outcomes.get(k), prev.outcomes.get(k)),
                parties: parties
                    .into_iter()
                    .map(|p| {
                        let key = (k.0.clone(), k.1.clone(), p.clone());
                        PartyCounts {
                            party: p.clone(),
                            outcomes: word_counts(
                                day.attributions.get(&key),
                                prev.attributions.get(&key),
                            ),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    Summary {
        incidents: Count::new(day.incidents, prev.incidents),
        routine: Count::new(day.routine, prev.routine),
        by_occurrence,
        by_party,
        readings,
    }
}

fn incident_line(
    i: &Incident,
    fs: &[&Finding],
    day: &Day,
    interval: (i64, i64),
    decides: bool,
) -> IncidentLine {
    let span = |s: &str, e: &str| match (unix(s), unix(e)) {
        (Some(a), Some(b)) if a == b => day.local(a),
        (Some(a), Some(b)) => format!("{} – {}", day.local(a), day.local(b)),
        _ => format!("{s} – {e}"),
    };
    let label = fs
        .iter()
        .find_map(|f| f.site.as_ref())
        .map(|s| format!("{} ({}/{})", s.name, s.lister, s.id))
        .unwrap_or_else(|| i.acts.iter().map(name).collect::<Vec<_>>().join(", "));
    // Claims (anything but a sensor detection) before detections; counted assessments first.
    let members = notable::keep(i.members.len(), REPORTS_CAP, |k| {
        i.members
            .get(k)
            .is_some_and(|m| !m.side.starts_with("sensor:"))
    });
    let assessments = notable::keep(i.assessments.len(), ASSESSMENTS_CAP, |k| {
        i.assessments.get(k).is_some_and(|a| a.counted)
    });
    IncidentLine {
        id: i.id.clone(),
        label,
        start: i.start.clone(),
        end: i.end.clone(),
        when: format!("{} ({})", span(&i.start, &i.end), day.zone_label()),
        edge: day.touches_only_at_start(interval.0, interval.1),
        compliance_day: {
            let days: BTreeSet<&str> = fs.iter().map(|f| f.day.as_str()).collect();
            if days.is_empty() {
                i.day.clone()
            } else {
                days.into_iter().collect::<Vec<_>>().join(", ")
            }
        },
        point: i.point,
        uncertainty_m: i.uncertainty_m,
        occurrence: i.occurrence.as_str().to_string(),
        disputed: i.disputed,
        occurrence_reasons: i.grade_reasons.clone(),
        sides: i.sides.clone(),
        attributions: i
            .alleged
            .iter()
            .map(|a| AttributionLine {
                party: a.party.to_string(),
                by: a.by.iter().map(|b| b.to_string()).collect(),
                origins: a.origins.clone(),
                grade: a.grade.as_str().to_string(),
                standing: a.standing.as_str().to_string(),
                reasons: a.reasons.clone(),
            })
            .collect(),
        notable: notable::why(i, fs)
            .iter()
            .map(|w| w.as_str().to_string())
            .collect(),
        breach_standing: notable::breach_standing(fs).map(|s| s.as_str().to_string()),
        reports: members
            .iter()
            .filter_map(|k| i.members.get(*k))
            .map(|m| ReportLine {
                author: m.author.to_string(),
                id: m.id.to_string(),
                side: m.side.clone(),
                relays: m.relays.as_ref().map(|p| p.to_string()),
                act: name(&m.act),
                perpetrator: m.perpetrator.as_ref().map(|p| p.to_string()),
                when: span(&m.start, &m.end),
                uncertainty_m: m.uncertainty_m,
            })
            .collect(),
        reports_total: u64::try_from(i.members.len()).unwrap_or(u64::MAX),
        reviews: i
            .reviews
            .iter()
            .map(|r| ReviewLine {
                question: name(&r.question),
                party: r.party.as_ref().map(|p| p.to_string()),
                state: r.state.clone(),
                quorum: r.quorum,
                tally: r.tally.clone(),
            })
            .collect(),
        assessments: assessments
            .iter()
            .filter_map(|k| i.assessments.get(*k))
            .map(|a| AssessmentLine {
                index: a.index,
                monitor: a.author.to_string(),
                officer: a.officer.clone(),
                question: name(&a.question),
                party: a.party.as_ref().map(|p| p.to_string()),
                verdict: name(&a.verdict),
                counted: a.counted,
                note: a.note.clone(),
                text: a.text.clone(),
            })
            .collect(),
        assessments_total: u64::try_from(i.assessments.len()).unwrap_or(u64::MAX),
        reading_decides: decides,
        readings: fs
            .iter()
            .map(|f| ReadingOutcome {
                agreement: f.agreement.to_string(),
                reading: f.reading.to_string(),
                outcome: f.outcome.as_str().to_string(),
                standing: f.standing.as_str().to_string(),
                words: outcome_words(f.outcome, f.standing),
                parties: f
                    .attributions
                    .iter()
                    .map(|a| PartyOutcome {
                        party: a.party.to_string(),
                        outcome: a.outcome.as_str().to_string(),
                        standing: a.standing.as_str().to_string(),
                        words: outcome_words(a.outcome, a.standing),
                        grade: a.grade.as_str().to_string(),
                        released_by: a.released_by.clone(),
                        invocation: a.invocation,
                        release_available: a.release_available.clone(),
                    })
                    .collect(),
                decided_by: decided_by(f),
                reasons: f.reasons.clone(),
            })
            .collect(),
        explain: format!("truce explain {}", i.id),
    }
}

/// Computes the daily report (with no changes to readings: see [`daily_with_changes`]).
pub fn daily(input: &DailyInput<'_>) -> DailyReport {
    daily_with_changes(input, &[])
}

/// Whether a version change was filed on `day` (its stated filing time in the day's interval).
pub fn filed_on(c: &VersionChange, day: &Day) -> bool {
    unix(&c.filed).is_some_and(|t| day.start() <= t && t < day.end())
}

/// `[start, end)` of a day, unix seconds.
fn bounds(d: &Day) -> (i64, i64) {
    (d.start(), d.end())
}

/// Whether the closed interval `[s, e]` overlaps the half-open day `w`.
fn on(w: (i64, i64), s: i64, e: i64) -> bool {
    s < w.1 && e >= w.0
}

/// Unix seconds as RFC 3339 UTC.
fn rfc3339(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The UTC date (`YYYY-MM-DD`) of unix seconds.
fn utc_date(t: i64) -> String {
    rfc3339(t).get(..10).unwrap_or_default().to_string()
}

/// Computes the daily report with its "Changes to readings": those of `changes` filed on the
/// day ([`filed_on`]), in log order. The caller computes each change's findings as known just
/// before and just after the version (`truce_views::history::changes_filed_on`).
///
/// Memory beyond the judgement follows the day, not the log: an index of the incidents' times,
/// the incidents of the charts' days, the findings of the day's and the previous day's
/// incidents, and counters for the background detections.
pub fn daily_with_changes(input: &DailyInput<'_>, changes: &[VersionChange]) -> DailyReport {
    daily_report(input, changes, None)
}

/// [`daily_with_changes`] with the front section ([`front::section`]): the day's ceasefire
/// violations per sector of the monitors' lines, weapons seen and restrictions of movement,
/// from the judgement and `notes` (the lines' sectors and the restrictions' texts, read from
/// the ledger by [`FrontNotes::of`] before it is consumed).
pub fn daily_with_front(
    input: &DailyInput<'_>,
    changes: &[VersionChange],
    notes: &FrontNotes,
) -> DailyReport {
    daily_report(input, changes, Some(notes))
}

fn daily_report(
    input: &DailyInput<'_>,
    changes: &[VersionChange],
    notes: Option<&FrontNotes>,
) -> DailyReport {
    let mut changes: Vec<VersionChange> = changes
        .iter()
        .filter(|c| filed_on(c, &input.day))
        .cloned()
        .collect();
    changes.sort_by_key(|c| c.index);
    for c in &mut changes {
        if c.findings_changed.len() > CHANGED_CAP {
            c.findings_changed_total = u64::try_from(c.findings_changed.len()).ok();
            c.findings_changed.truncate(CHANGED_CAP);
        }
    }
    let day = &input.day;
    let j = input.judgement;
    let today_w = bounds(day);
    let previous = day.previous();
    let prev_w = previous.as_ref().map(bounds);
    // The charts' days, oldest first, ending on the report's day.
    let chart: Vec<Day> = (0..CHART_DAYS).rev().filter_map(|n| day.back(n)).collect();
    let chart_w: Vec<(i64, i64)> = chart.iter().map(bounds).collect();
    let window = (chart_w.first().map_or(today_w.0, |w| w.0), today_w.1);

    // Incidents: their times (for the breaches to date), and those of the charts' days.
    let mut unreadable: Vec<&str> = Vec::new();
    let mut times: HashMap<&str, (i64, i64)> = HashMap::with_capacity(j.incidents.len());
    let mut near: Vec<(&Incident, i64, i64)> = Vec::new();
    let mut first_start: Option<i64> = None;
    for i in &j.incidents {
        match (unix(&i.start), unix(&i.end)) {
            (Some(s), Some(e)) => {
                let e = e.max(s);
                times.insert(i.id.as_str(), (s, e));
                if s < today_w.1 {
                    first_start = Some(first_start.map_or(s, |f| f.min(s)));
                }
                if on(window, s, e) {
                    near.push((i, s, e));
                }
            }
            _ => unreadable.push(i.id.as_str()),
        }
    }
    let today: Vec<(&Incident, i64, i64)> = near
        .iter()
        .filter(|(_, s, e)| on(today_w, *s, *e))
        .copied()
        .collect();
    let before: Vec<&Incident> = prev_w
        .map(|w| {
            near.iter()
                .filter(|(_, s, e)| on(w, *s, *e))
                .map(|(i, _, _)| *i)
                .collect()
        })
        .unwrap_or_default();

    // The findings of the day's and the previous day's incidents; breach attributions per party
    // and reading, by standing, to date (incidents that started before the day ended) and on
    // the day.
    let wanted: HashSet<&str> = today
        .iter()
        .map(|(i, _, _)| i.id.as_str())
        .chain(before.iter().map(|i| i.id.as_str()))
        .collect();
    let mut by_incident: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut breaches: BTreeMap<(String, String, String), BTreeMap<Standing, ToDate>> =
        BTreeMap::new();
    for f in &j.findings {
        if wanted.contains(f.incident.as_str()) {
            by_incident.entry(f.incident.as_str()).or_default().push(f);
        }
        let Some((s, e)) = times.get(f.incident.as_str()).copied() else {
            continue;
        };
        if s >= today_w.1 {
            continue;
        }
        for a in f
            .attributions
            .iter()
            .filter(|a| a.outcome == Outcome::Breach)
        {
            let b = breaches
                .entry((
                    f.agreement.to_string(),
                    f.reading.to_string(),
                    a.party.to_string(),
                ))
                .or_default()
                .entry(a.standing)
                .or_default();
            b.to_date += 1;
            if on(today_w, s, e) {
                b.day += 1;
            }
        }
    }
    drop(times);
    let decides: BTreeSet<&str> = input
        .compliance
        .differences
        .iter()
        .map(|d| d.incident.as_str())
        .filter(|id| wanted.contains(id))
        .collect();
    let today_refs: Vec<&Incident> = today.iter().map(|(i, _, _)| *i).collect();
    let summary = summary(
        &tally(&today_refs, &by_incident),
        &tally(&before, &by_incident),
    );

    // Background detections: counted, never incidents.
    let mut pass = observations::count(j.background_views(), today_w, prev_w);
    let (dates, instants) = (
        format!(
            "--from {} --to {}",
            utc_date(today_w.0),
            utc_date(today_w.1 - 1)
        ),
        format!("?from={}&to={}", rfc3339(today_w.0), rfc3339(today_w.1 - 1)),
    );
    pass.observations.command = format!("truce --dir DIR background {dates}");
    pass.observations.api = format!("GET /v1/background{instants}");
    if let Some(b) = pass.first_start {
        first_start = Some(first_start.map_or(b, |f| f.min(b)));
    }

    // Notable incidents, most important first, at most NOTABLE_CAP; the rest counted by grade.
    let none: Vec<&Finding> = Vec::new();
    let fs_of = |i: &Incident| by_incident.get(i.id.as_str()).unwrap_or(&none);
    let mut routine = 0u64;
    let mut not_notable = GradeTally::new();
    let mut ranked = Vec::new();
    for (i, s, e) in &today {
        let fs = fs_of(i);
        if i.routine {
            routine += 1;
        } else if notable::why(i, fs).is_empty() {
            not_notable.add(i.occurrence);
        } else {
            ranked.push((notable::rank(i, fs, *s), *i, *s, *e));
        }
    }
    ranked.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut beyond_cap = GradeTally::new();
    for (_, i, _, _) in ranked.iter().skip(NOTABLE_CAP) {
        beyond_cap.add(i.occurrence);
    }
    let incidents: Vec<IncidentLine> = ranked
        .iter()
        .take(NOTABLE_CAP)
        .map(|(_, i, s, e)| {
            incident_line(i, fs_of(i), day, (*s, *e), decides.contains(i.id.as_str()))
        })
        .collect();
    let unlisted = Unlisted {
        notable: u64::try_from(ranked.len()).unwrap_or(u64::MAX),
        cap: u64::try_from(NOTABLE_CAP).unwrap_or(u64::MAX),
        beyond_cap,
        not_notable,
        routine,
        command: format!("truce --dir DIR incidents {dates}"),
        api: format!("GET /v1/incidents{instants}"),
    };
    drop(ranked);

    let commitments = input
        .commitments
        .iter()
        .filter_map(|c| {
            let d = day.days_to(&c.due)?;
            (d.abs() <= COMMITMENT_DAYS).then(|| CommitmentLine {
                id: c.id.clone(),
                title: c.title.clone(),
                author: c.author.clone(),
                due: c.due.clone(),
                due_in_days: d,
                status: c.status.clone(),
                items: c
                    .items
                    .iter()
                    .map(|x| ItemLine {
                        what: x.what.clone(),
                        from: x.from.clone(),
                        to: x.to.clone(),
                        promised: x.promised,
                        delivered: x.delivered,
                        by_side: x.by_side.clone(),
                        sides_differ: x.sides_differ,
                        discrepancy: x.discrepancy,
                    })
                    .collect(),
            })
        })
        .collect();

    // Incidents per day: from the first day with an incident or a detection (at most
    // CHART_DAYS back) to the report's date.
    let from = chart_w
        .iter()
        .position(|w| first_start.is_some_and(|f| f < w.1))
        .unwrap_or(chart_w.len().saturating_sub(1));
    let days = chart
        .iter()
        .zip(&chart_w)
        .skip(from)
        .map(|(d, w)| {
            let mut by_occurrence: BTreeMap<String, u64> = Grade::ALL
                .iter()
                .map(|g| (g.as_str().to_string(), 0))
                .collect();
            for (i, _, _) in near.iter().filter(|(i, s, e)| !i.routine && on(*w, *s, *e)) {
                *by_occurrence
                    .entry(i.occurrence.as_str().to_string())
                    .or_default() += 1;
            }
            DayCounts {
                date: d.date(),
                by_occurrence,
            }
        })
        .collect();

    let breaches = breaches
        .into_iter()
        .map(|((agreement, reading, party), by)| {
            let get = |s: Standing| by.get(&s).copied().unwrap_or_default();
            BreachLine {
                agreement,
                reading,
                party,
                established: get(Standing::Established),
                corroborated: get(Standing::Corroborated),
                alleged: get(Standing::Alleged),
            }
        })
        .collect();

    // Warnings: the judgement's, what could not be read, at most WARNINGS_CAP.
    let mut warnings: Vec<String> = j.warnings.iter().take(WARNINGS_CAP).cloned().collect();
    let mut more = j.warnings.len().saturating_sub(WARNINGS_CAP);
    if let Some(first) = unreadable.first() {
        warnings.push(format!(
            "{} incident(s) have an unreadable interval and are left out (the first: {first})",
            unreadable.len()
        ));
    }
    if pass.unreadable > 0 {
        warnings.push(format!(
            "{} background detection(s) have an unreadable interval and are left out",
            pass.unreadable
        ));
    }
    if warnings.len() > WARNINGS_CAP {
        more += warnings.len() - WARNINGS_CAP;
        warnings.truncate(WARNINGS_CAP);
    }
    if more > 0 {
        warnings.push(format!("… and {more} more warning(s), not shown"));
    }

    DailyReport {
        date: day.date(),
        tz: day.tz(),
        cutoff: day.cutoff(),
        from: rfc3339(today_w.0),
        until: rfc3339(today_w.1),
        previous: previous.map(|p| p.date()),
        checkpoint: input.checkpoint.clone(),
        rules: input.rules.clone(),
        reproduce: format!(
            "truce --dir DIR report daily --date {} --tz {}{}",
            day.date(),
            day.tz(),
            day.cutoff()
                .map(|c| format!(" --cutoff {c}"))
                .unwrap_or_default()
        ),
        summary,
        observations: pass.observations,
        front: notes.and_then(|n| front::section(j, day, n)),
        changes,
        incidents,
        unlisted,
        commitments,
        series: Series { days, breaches },
        warnings,
    }
}

impl DailyReport {
    /// The report as pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The charts as `(file name, SVG document)`: `report-<date>-incidents-by-day.svg` and
    /// `report-<date>-breaches-by-party.svg`. The Markdown report links to these names.
    pub fn charts(&self) -> Vec<(String, String)> {
        vec![
            (
                self.chart_name("incidents-by-day"),
                svg::incidents_by_day(self, true),
            ),
            (
                self.chart_name("breaches-by-party"),
                svg::breaches_by_party(self, true),
            ),
        ]
    }

    fn chart_name(&self, what: &str) -> String {
        format!("report-{}-{what}.svg", self.date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_words_are_the_engines() {
        let mut engine: Vec<String> = Standing::ALL
            .iter()
            .rev()
            .map(|s| outcome_words(Outcome::Breach, *s))
            .collect();
        engine.extend(
            Outcome::ALL
                .iter()
                .filter(|o| **o != Outcome::Breach)
                .map(|o| outcome_words(*o, Standing::Alleged)),
        );
        assert_eq!(engine, OUTCOME_WORDS);
    }
}
