//! Truce's daily report, in the manner of the OSCE Special Monitoring Mission's daily reports:
//! counts per grade, party and reading with the change from the previous day, the notable
//! incidents of the day with the outcome and reasons under each reading, the commitments due
//! around the day, charts, and the checkpoint it was computed at with the command that reproduces
//! it. Pure: no IO, no clock; everything is passed in, so the same log gives the same bytes.
//!
//! **Which incidents belong to a day.** An incident belongs to the day if its time interval
//! `[start, end]` (closed: the earliest and latest time of its evidence) overlaps the day
//! `[00:00, 24:00)` at the report's UTC offset (default `+00:00`). An incident spanning midnight
//! appears in the reports of both days. One that reaches the day only at its very last instant
//! (it ends at exactly 00:00) still belongs to it, and the report says so. This differs from the
//! engine's compliance tables, which count each incident once, on the UTC day of its start.

mod day;
mod render;
mod svg;

pub use day::{unix, Day};

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use truce_engine::{Compliance, Finding, Grade, Incident, Judgement, Outcome, Reason};
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
    /// The offset is not a valid `±HH:MM`.
    #[error("bad UTC offset {0:?}: expected ±HH:MM between -18:00 and +18:00, e.g. +03:00")]
    Offset(String),
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
    /// The day, at its UTC offset.
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
    /// Grade, party or outcome.
    pub label: String,
    /// The count.
    #[serde(flatten)]
    pub count: Count,
}

/// Findings of the day under one reading of one agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingCounts {
    /// The agreement.
    pub agreement: String,
    /// Whose reading.
    pub reading: String,
    /// Findings by overall outcome (all four outcomes, in display order).
    pub outcomes: Vec<Labelled>,
    /// Per party blamed: attributions by outcome.
    pub parties: Vec<PartyCounts>,
}

/// One party's attributions by outcome under a reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyCounts {
    /// The party blamed.
    pub party: String,
    /// Attributions by outcome (all four, in display order).
    pub outcomes: Vec<Labelled>,
}

/// The day's counts, each with the previous day's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Incidents (excluding routine detections at persistent hot spots).
    pub incidents: Count,
    /// Routine incidents (every report a detection at a persistent hot spot).
    pub routine: Count,
    /// Incidents by grade (all six grades, in display order).
    pub by_grade: Vec<Labelled>,
    /// Incidents by party blamed.
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
    /// The independent side it speaks for.
    pub side: String,
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

/// An incident's finding under one reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingOutcome {
    /// The agreement.
    pub agreement: String,
    /// Whose reading.
    pub reading: String,
    /// The overall outcome.
    pub outcome: String,
    /// Per blamed party: `party: outcome` (and what released it).
    pub parties: Vec<String>,
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
    /// Its interval at the report's offset.
    pub when: String,
    /// Set when it reaches the day only at its last instant (it ends at 00:00).
    pub edge: bool,
    /// The UTC day the engine's compliance tables count it on.
    pub compliance_day: String,
    /// Position `[lon, lat]`.
    pub point: [f64; 2],
    /// Its uncertainty, metres.
    pub uncertainty_m: u32,
    /// The grade.
    pub grade: String,
    /// Whether sources conflict.
    pub disputed: bool,
    /// Why the grade is what it is.
    pub grade_reasons: Vec<String>,
    /// The independent sides that reported it.
    pub sides: Vec<String>,
    /// Parties blamed, with who blames them (`ua (by ru)`).
    pub alleged: Vec<String>,
    /// The reports.
    pub reports: Vec<ReportLine>,
    /// Monitors' assessments (`author verdict: text`).
    pub assessments: Vec<String>,
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
    /// Reported by one side, concerning no agreement (no finding).
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
    /// Delivered per the fulfilments in the log.
    pub delivered: u64,
    /// Whether delivered differs from promised.
    pub discrepancy: bool,
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

/// Incidents on one day, by grade (the incidents-per-day chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    /// The date.
    pub date: String,
    /// Incidents by grade (all six grades).
    pub by_grade: BTreeMap<String, u64>,
}

/// Breach attributions to one party under one reading (the compliance chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachLine {
    /// The agreement.
    pub agreement: String,
    /// Whose reading.
    pub reading: String,
    /// The party found in breach.
    pub party: String,
    /// Breaches in incidents up to the end of the report's day.
    pub to_date: u64,
    /// Breaches in incidents of the report's day.
    pub day: u64,
}

/// The data behind the charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// Incidents per day by grade, up to the report's date.
    pub days: Vec<DayCounts>,
    /// Breaches per party and reading.
    pub breaches: Vec<BreachLine>,
}

/// A daily report: what `truce report daily --format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyReport {
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// The UTC offset the day is taken at, `±HH:MM`.
    pub utc_offset: String,
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

/// Counts per grade, party, reading of a set of incidents.
struct Tally {
    incidents: u64,
    routine: u64,
    grades: BTreeMap<Grade, u64>,
    parties: BTreeMap<String, u64>,
    /// (agreement, reading) → outcome → findings.
    outcomes: BTreeMap<(String, String), BTreeMap<Outcome, u64>>,
    /// (agreement, reading, party) → outcome → attributions.
    attributions: BTreeMap<(String, String, String), BTreeMap<Outcome, u64>>,
}

fn tally(incidents: &[&Incident], by_incident: &BTreeMap<&str, Vec<&Finding>>) -> Tally {
    let mut t = Tally {
        incidents: 0,
        routine: 0,
        grades: BTreeMap::new(),
        parties: BTreeMap::new(),
        outcomes: BTreeMap::new(),
        attributions: BTreeMap::new(),
    };
    for i in incidents {
        if i.routine {
            t.routine += 1;
        } else {
            t.incidents += 1;
            *t.grades.entry(i.grade).or_default() += 1;
            for a in &i.alleged {
                *t.parties.entry(a.party.to_string()).or_default() += 1;
            }
        }
        for f in by_incident.get(i.id.as_str()).into_iter().flatten() {
            let key = (f.agreement.to_string(), f.reading.to_string());
            *t.outcomes
                .entry(key.clone())
                .or_default()
                .entry(f.outcome)
                .or_default() += 1;
            for a in &f.attributions {
                *t.attributions
                    .entry((key.0.clone(), key.1.clone(), a.party.to_string()))
                    .or_default()
                    .entry(a.outcome)
                    .or_default() += 1;
            }
        }
    }
    t
}

fn outcome_counts(
    day: Option<&BTreeMap<Outcome, u64>>,
    prev: Option<&BTreeMap<Outcome, u64>>,
) -> Vec<Labelled> {
    Outcome::ALL
        .iter()
        .map(|o| Labelled {
            label: o.as_str().to_string(),
            count: Count::new(
                day.and_then(|m| m.get(o)).copied().unwrap_or(0),
                prev.and_then(|m| m.get(o)).copied().unwrap_or(0),
            ),
        })
        .collect()
}

fn summary(day: &Tally, prev: &Tally) -> Summary {
    let by_grade = Grade::ALL
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
                outcomes: outcome_counts(day.outcomes.get(k), prev.outcomes.get(k)),
                parties: parties
                    .into_iter()
                    .map(|p| {
                        let key = (k.0.clone(), k.1.clone(), p.clone());
                        PartyCounts {
                            party: p.clone(),
                            outcomes: outcome_counts(
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
        by_grade,
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
        when: format!("{} (UTC{})", span(&i.start, &i.end), day.offset()),
        edge: day.touches_only_at_start(interval.0, interval.1),
        compliance_day: i.day.clone(),
        point: i.point,
        uncertainty_m: i.uncertainty_m,
        grade: i.grade.as_str().to_string(),
        disputed: i.disputed,
        grade_reasons: i.grade_reasons.clone(),
        sides: i.sides.clone(),
        alleged: i
            .alleged
            .iter()
            .map(|a| {
                format!(
                    "{} (by {})",
                    a.party,
                    a.by.iter()
                        .map(|b| b.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect(),
        reports: i
            .members
            .iter()
            .map(|m| ReportLine {
                author: m.author.to_string(),
                id: m.id.to_string(),
                side: m.side.clone(),
                act: name(&m.act),
                perpetrator: m.perpetrator.as_ref().map(|p| p.to_string()),
                when: span(&m.start, &m.end),
                uncertainty_m: m.uncertainty_m,
            })
            .collect(),
        assessments: i
            .assessments
            .iter()
            .map(|a| format!("{} {}: {}", a.author, name(&a.verdict), a.text))
            .collect(),
        reading_decides: decides,
        readings: fs
            .iter()
            .map(|f| ReadingOutcome {
                agreement: f.agreement.to_string(),
                reading: f.reading.to_string(),
                outcome: f.outcome.as_str().to_string(),
                parties: f
                    .attributions
                    .iter()
                    .map(|a| {
                        format!(
                            "{}: {}{}",
                            a.party,
                            a.outcome.as_str(),
                            a.released_by
                                .as_ref()
                                .map(|r| format!(" (released by {r})"))
                                .unwrap_or_default()
                        )
                    })
                    .collect(),
                decided_by: decided_by(f),
                reasons: f.reasons.clone(),
            })
            .collect(),
        explain: format!("truce explain {}", i.id),
    }
}

/// Computes the daily report.
pub fn daily(input: &DailyInput) -> DailyReport {
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
    let before = previous.map(|p| on_day(&timed, &p)).unwrap_or_default();
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
        } else if fs.is_empty() && i.grade == Grade::Reported {
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
                        discrepancy: x.discrepancy,
                    })
                    .collect(),
            })
        })
        .collect();

    // Incidents per day: from the first day with an incident (at most CHART_DAYS back) to the
    // report's date.
    let mut first = *day;
    for back in 1..CHART_DAYS {
        match day.back(back) {
            Some(d) if timed.iter().any(|(_, s, _)| *s < d.end()) => first = d,
            _ => break,
        }
    }
    let mut days = Vec::new();
    let mut d = first;
    loop {
        let mut by_grade: BTreeMap<String, u64> = Grade::ALL
            .iter()
            .map(|g| (g.as_str().to_string(), 0))
            .collect();
        for i in on_day(&timed, &d).into_iter().filter(|i| !i.routine) {
            *by_grade.entry(i.grade.as_str().to_string()).or_default() += 1;
        }
        days.push(DayCounts {
            date: d.date(),
            by_grade,
        });
        if d == *day {
            break;
        }
        match d.next() {
            Some(n) => d = n,
            None => break,
        }
    }

    // Breaches per party and reading: to date (incidents that started before the day ended) and
    // on the day.
    let mut breaches: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
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
                    .or_default();
                b.0 += 1;
                if day.overlaps(*s, *e) {
                    b.1 += 1;
                }
            }
        }
    }
    let breaches = breaches
        .into_iter()
        .map(|((agreement, reading, party), (to_date, on))| BreachLine {
            agreement,
            reading,
            party,
            to_date,
            day: on,
        })
        .collect();

    DailyReport {
        date: day.date(),
        utc_offset: day.offset(),
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
            "truce --dir DIR report daily --date {} --utc-offset {}",
            day.date(),
            day.offset()
        ),
        summary,
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
