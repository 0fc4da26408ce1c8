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

pub mod changes;
mod day;
mod render;
mod svg;

pub use changes::{sentence, version_change, AspectChange, FindingChange, VersionChange};
pub use day::{unix, Day};

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use truce_engine::{
    outcome_words, Compliance, Finding, Grade, Incident, Judgement, Outcome, Reason, Standing,
};
use truce_model::views::CommitmentStatus;

/// Commitments due this many days before or after the report's date are listed.
pub const COMMITMENT_DAYS: i64 = 7;
/// The incidents-per-day chart covers at most this many days, ending on the report's date.
pub const CHART_DAYS: u32 = 14;

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
    /// The engine's judgement of the log (incidents and findings).
    pub judgement: &'a Judgement,
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
    /// The reports.
    pub reports: Vec<ReportLine>,
    /// Monitors' review of each question raised.
    pub reviews: Vec<ReviewLine>,
    /// Monitors' assessments, in log order.
    pub assessments: Vec<AssessmentLine>,
    /// Whether the outcome depends on whose reading is applied.
    pub reading_decides: bool,
    /// The finding under each reading.
    pub readings: Vec<ReadingOutcome>,
    /// The command that explains it in full.
    pub explain: String,
}

/// Incidents of the day that are not listed one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unlisted {
    /// Routine detections at persistent hot spots.
    pub routine: u64,
    /// Reported by one origin, concerning no agreement (no finding).
    pub unconcerned: u64,
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
    /// Changes to readings: the versions of readings filed on the day (their stated filing
    /// time in the day), each with its sentence and the findings it changed, in log order. Left
    /// out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<VersionChange>,
    /// The notable incidents, by start then id.
    pub incidents: Vec<IncidentLine>,
    /// Incidents of the day not listed.
    pub unlisted: Unlisted,
    /// Commitments due within [`COMMITMENT_DAYS`] of the date.
    pub commitments: Vec<CommitmentLine>,
    /// Chart data.
    pub series: Series,
    /// What the judgement could not use.
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

/// The incidents of a day, with their unix interval.
fn on_day<'a>(incidents: &'a [(&'a Incident, i64, i64)], day: &Day) -> Vec<&'a Incident> {
    incidents
        .iter()
        .filter(|(_, s, e)| day.overlaps(*s, *e))
        .map(|(i, _, _)| *i)
        .collect()
}

/// The reason that decided a finding, in a line (as `truce findings` shows it).
fn decided_by(f: &Finding) -> String {
    f.reasons
        .iter()
        .find(|r| r.rule == "release")
        .or_else(|| {
            f.reasons.iter().find(|r| {
                r.holds != "yes" && !matches!(r.rule.as_str(), "sources" | "assessment" | "act")
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
        reports: i
            .members
            .iter()
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
        assessments: i
            .assessments
            .iter()
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

/// Computes the daily report with its "Changes to readings": those of `changes` filed on the
/// day ([`filed_on`]), in log order. The caller computes each change's findings as known just
/// before and just after the version (`truce_server::history::changes_filed_on`).
pub fn daily_with_changes(input: &DailyInput<'_>, changes: &[VersionChange]) -> DailyReport {
    let mut changes: Vec<VersionChange> = changes
        .iter()
        .filter(|c| filed_on(c, &input.day))
        .cloned()
        .collect();
    changes.sort_by_key(|c| c.index);
    let day = &input.day;
    let j = input.judgement;
    let mut warnings = j.warnings.clone();
    let mut timed: Vec<(&Incident, i64, i64)> = Vec::with_capacity(j.incidents.len());
    for i in &j.incidents {
        match (unix(&i.start), unix(&i.end)) {
            (Some(s), Some(e)) => timed.push((i, s, e.max(s))),
            _ => warnings.push(format!(
                "incident {} has an unreadable interval {} – {}: left out",
                i.id, i.start, i.end
            )),
        }
    }
    let mut by_incident: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &j.findings {
        by_incident.entry(f.incident.as_str()).or_default().push(f);
    }
    let decides: BTreeSet<&str> = input
        .compliance
        .differences
        .iter()
        .map(|d| d.incident.as_str())
        .collect();
    let today = on_day(&timed, day);
    let previous = day.previous();
    let before = previous
        .as_ref()
        .map(|p| on_day(&timed, p))
        .unwrap_or_default();
    let summary = summary(&tally(&today, &by_incident), &tally(&before, &by_incident));

    let mut unlisted = Unlisted {
        routine: 0,
        unconcerned: 0,
    };
    let mut incidents = Vec::new();
    for (i, s, e) in timed.iter().filter(|(_, s, e)| day.overlaps(*s, *e)) {
        let fs = by_incident.get(i.id.as_str()).cloned().unwrap_or_default();
        if i.routine {
            unlisted.routine += 1;
        } else if fs.is_empty() && i.occurrence == Grade::Reported {
            unlisted.unconcerned += 1;
        } else {
            incidents.push(incident_line(
                i,
                &fs,
                day,
                (*s, *e),
                decides.contains(i.id.as_str()),
            ));
        }
    }

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

    // Incidents per day: from the first day with an incident (at most CHART_DAYS back) to the
    // report's date.
    let mut first = day.clone();
    for back in 1..CHART_DAYS {
        match day.back(back) {
            Some(d) if timed.iter().any(|(_, s, _)| *s < d.end()) => first = d,
            _ => break,
        }
    }
    let mut days = Vec::new();
    let mut d = first;
    loop {
        let mut by_occurrence: BTreeMap<String, u64> = Grade::ALL
            .iter()
            .map(|g| (g.as_str().to_string(), 0))
            .collect();
        for i in on_day(&timed, &d).into_iter().filter(|i| !i.routine) {
            *by_occurrence
                .entry(i.occurrence.as_str().to_string())
                .or_default() += 1;
        }
        days.push(DayCounts {
            date: d.date(),
            by_occurrence,
        });
        if d == *day {
            break;
        }
        match d.next() {
            Some(n) => d = n,
            None => break,
        }
    }

    // Breach attributions per party and reading, by standing: to date (incidents that started
    // before the day ended) and on the day.
    let mut breaches: BTreeMap<(String, String, String), BTreeMap<Standing, ToDate>> =
        BTreeMap::new();
    for (i, s, e) in &timed {
        if *s >= day.end() {
            continue;
        }
        for f in by_incident.get(i.id.as_str()).into_iter().flatten() {
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
                if day.overlaps(*s, *e) {
                    b.day += 1;
                }
            }
        }
    }
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

    DailyReport {
        date: day.date(),
        tz: day.tz(),
        cutoff: day.cutoff(),
        from: jiff::Timestamp::from_second(day.start())
            .map(|t| t.to_string())
            .unwrap_or_default(),
        until: jiff::Timestamp::from_second(day.end())
            .map(|t| t.to_string())
            .unwrap_or_default(),
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
