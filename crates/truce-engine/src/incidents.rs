//! From reports to incidents: routine detections flagged against the hot-spot baseline, reports
//! clustered in space and time, each cluster graded by the independence of its sources and by
//! monitors' assessments, and named by a stable identifier derived from its members.

use crate::baseline::{Baseline, Detection};
use crate::cluster::{clusters, Obs};
use crate::input::{ReportIn, Snapshot};
use crate::types::{Allegation, AssessmentRef, BaselineSummary, Grade, Incident, Member};
use crate::{utc, Params};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use truce_model::domain::{Act, Role, Verdict};
use truce_model::Id;

/// An incident with what adjudication needs beside its published form.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    /// The published incident.
    pub incident: Incident,
    /// Indices into `Snapshot::reports` of the members that count as evidence (not routine).
    pub evidence: Vec<usize>,
    /// Indices into `Snapshot::reports` of every member.
    pub members: Vec<usize>,
    /// Evidence time span, unix seconds.
    pub start: i64,
    /// Evidence time span, unix seconds.
    pub end: i64,
    /// The latest verdict of a monitor, if any.
    pub verdict: Option<Verdict>,
}

/// The side a report speaks for: two reports of one side never corroborate each other.
pub fn side_of(r: &ReportIn) -> String {
    let kind = match r.role {
        Role::Belligerent => "party",
        Role::OpenData => "sensor",
        Role::Monitor => "monitor",
        Role::Mediator => "mediator",
        Role::Operator => "operator",
    };
    format!("{kind}:{}", r.author)
}

/// Whether a report is a sensor detection (a fire seen from orbit, cause unknown).
fn is_detection(r: &ReportIn) -> bool {
    r.role == Role::OpenData && r.act == Act::FireObserved
}

/// Whether two acts can describe the same event: equal, one an instance of the other, both
/// strikes of some kind, or either one generic (a fire observed, violence of unstated kind).
pub fn compatible(a: Act, b: Act) -> bool {
    let generic = |x: Act| matches!(x, Act::FireObserved | Act::Violence);
    generic(a)
        || generic(b)
        || a.is_a(&b)
        || b.is_a(&a)
        || (a.is_a(&Act::Strike) && b.is_a(&Act::Strike))
}

/// Whether a report's time and place are precise enough to corroborate or be corroborated.
fn precise(r: &ReportIn, p: &Params) -> bool {
    r.uncertainty_m <= p.max_uncertainty_m && r.end - r.start <= p.max_duration_s
}

/// Builds the incidents of a snapshot, ordered by start then id.
pub(crate) fn build(snap: &Snapshot, p: &Params) -> (Vec<Built>, BaselineSummary) {
    // The baseline: detections before the earliest window start of any reading.
    let before = snap
        .readings
        .iter()
        .map(|r| r.reading.terms.window.start.0.as_second())
        .min();
    let baseline = before.map(|b| {
        Baseline::learn(
            snap.reports
                .iter()
                .filter(|r| is_detection(r))
                .map(|r| Detection {
                    lon: r.point[0],
                    lat: r.point[1],
                    time: r.start,
                    static_source: r.static_source,
                }),
            b,
            &p.baseline,
        )
    });
    let routine: Vec<Option<String>> = snap
        .reports
        .iter()
        .map(|r| {
            let b = baseline.as_ref()?;
            if !is_detection(r) {
                return None;
            }
            let h = b.hot_spot(r.point)?;
            Some(format!(
                "persistent hot spot: detections on {} day(s) between {} and {}{} before {}",
                h.days,
                utc(h.first),
                utc(h.last),
                if h.static_source {
                    ", flagged a static land source by the sensor"
                } else {
                    ""
                },
                utc(before.unwrap_or_default()),
            ))
        })
        .collect();
    let summary = BaselineSummary {
        before: before.map(utc),
        hot_spots: baseline.as_ref().map_or(0, |b| b.len() as u64),
        routine_detections: routine.iter().filter(|r| r.is_some()).count() as u64,
    };

    // Cluster the precise reports; the others stand alone.
    let precise_idx: Vec<usize> = (0..snap.reports.len())
        .filter(|&i| precise(&snap.reports[i], p))
        .collect();
    let obs: Vec<Obs> = precise_idx
        .iter()
        .map(|&i| {
            let r = &snap.reports[i];
            let base = if is_detection(r) {
                p.sensor_reach_m
            } else {
                p.report_reach_m
            };
            Obs {
                lon: r.point[0],
                lat: r.point[1],
                reach_m: base + f64::from(r.uncertainty_m),
                start: r.start,
                end: r.end,
            }
        })
        .collect();
    let mut groups: Vec<Vec<usize>> = clusters(
        &obs,
        &crate::cluster::Params {
            max_gap_s: p.max_gap_s,
        },
    )
    .into_iter()
    .map(|c| c.into_iter().map(|k| precise_idx[k as usize]).collect())
    .collect();
    groups.extend(
        (0..snap.reports.len())
            .filter(|&i| !precise(&snap.reports[i], p))
            .map(|i| vec![i]),
    );

    // Assessments by the reports they name.
    let mut assessed: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, a) in snap.assessments.iter().enumerate() {
        for r in &a.reports {
            assessed.entry(r.as_str()).or_default().push(k);
        }
    }

    let mut out: Vec<Built> = groups
        .into_iter()
        .map(|mut g| {
            // Log order, whatever order the snapshot lists reports in.
            g.sort_unstable_by(|&a, &b| {
                let (x, y) = (&snap.reports[a], &snap.reports[b]);
                (x.index, &x.entry_id).cmp(&(y.index, &y.entry_id))
            });
            incident(snap, g, &routine, &assessed)
        })
        .collect();
    out.sort_by(|a, b| (a.start, &a.incident.id).cmp(&(b.start, &b.incident.id)));
    (out, summary)
}

fn incident(
    snap: &Snapshot,
    members: Vec<usize>,
    routine: &[Option<String>],
    assessed: &HashMap<&str, Vec<usize>>,
) -> Built {
    let reports: Vec<&ReportIn> = members.iter().map(|&i| &snap.reports[i]).collect();
    let mut h = Sha256::new();
    let mut ids: Vec<&str> = reports.iter().map(|r| r.entry_id.as_str()).collect();
    ids.sort_unstable();
    for id in ids {
        h.update(id.as_bytes());
        h.update(b"\n");
    }
    let id = format!("inc-{}", &hex(&h.finalize())[..16]);

    let evidence: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| routine[i].is_none())
        .collect();
    let all_routine = evidence.is_empty();
    let basis: Vec<usize> = if all_routine {
        members.clone()
    } else {
        evidence.clone()
    };
    let start = basis
        .iter()
        .map(|&i| snap.reports[i].start)
        .min()
        .unwrap_or(0);
    let end = basis
        .iter()
        .map(|&i| snap.reports[i].end)
        .max()
        .unwrap_or(0);
    let best = basis
        .iter()
        .copied()
        .min_by_key(|&i| (snap.reports[i].uncertainty_m, snap.reports[i].index))
        .unwrap_or(members[0]);

    // Sides, acts, allegations from the evidence.
    let sides: BTreeSet<String> = evidence
        .iter()
        .map(|&i| side_of(&snap.reports[i]))
        .collect();
    let acts: BTreeSet<Act> = basis.iter().map(|&i| snap.reports[i].act).collect();
    let mut alleged: BTreeMap<Id, BTreeSet<Id>> = BTreeMap::new();
    for &i in &evidence {
        let r = &snap.reports[i];
        if let Some(p) = &r.perpetrator {
            alleged
                .entry(p.clone())
                .or_default()
                .insert(r.author.clone());
        }
    }
    let mut conflicts = Vec::new();
    if alleged.len() > 1 {
        conflicts.push(format!(
            "sources blame different parties: {}",
            alleged
                .iter()
                .map(|(p, by)| format!("{p} (by {})", join(by.iter())))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // Acts that cannot describe one event, compared by distinct act (at most 9 kinds), each named
    // with the first report saying it: linear in the incident's size.
    let mut first_by_act: BTreeMap<Act, usize> = BTreeMap::new();
    for &i in &evidence {
        first_by_act.entry(snap.reports[i].act).or_insert(i);
    }
    let distinct: Vec<(Act, usize)> = first_by_act.into_iter().collect();
    for (x, &(a_act, i)) in distinct.iter().enumerate() {
        for &(b_act, j) in &distinct[x + 1..] {
            if !compatible(a_act, b_act) {
                let (a, b) = (&snap.reports[i], &snap.reports[j]);
                conflicts.push(format!(
                    "{}/{} says {} but {}/{} says {}",
                    a.author,
                    a.id,
                    act_name(a.act),
                    b.author,
                    b.id,
                    act_name(b.act)
                ));
            }
        }
    }

    // Assessments of any member, in log order; the latest verdict counts.
    let mut ak: Vec<usize> = members
        .iter()
        .flat_map(|&i| {
            assessed
                .get(snap.reports[i].entry_id.as_str())
                .into_iter()
                .flatten()
                .copied()
        })
        .collect();
    ak.sort_unstable_by_key(|&k| (snap.assessments[k].index, k));
    ak.dedup();
    let assessments: Vec<AssessmentRef> = ak
        .iter()
        .map(|&k| {
            let a = &snap.assessments[k];
            AssessmentRef {
                index: a.index,
                entry_id: a.entry_id.clone(),
                author: a.author.clone(),
                verdict: a.verdict,
                text: a.text.clone(),
            }
        })
        .collect();
    let verdict = assessments.last().map(|a| a.verdict);

    let mut grade_reasons = Vec::new();
    let independent = sides.len() >= 2;
    if all_routine {
        grade_reasons.push(format!(
            "every report is a detection at a persistent hot spot ({}): routine, not evidence of an attack",
            routine[members[0]].as_deref().unwrap_or("")
        ));
    } else if independent {
        grade_reasons.push(format!(
            "{} independent sides report it: {}",
            sides.len(),
            join(sides.iter())
        ));
    } else {
        grade_reasons.push(format!(
            "only one side reports it ({}){}",
            join(sides.iter()),
            if evidence.len() > 1 {
                ": reports of one side do not corroborate each other"
            } else {
                ""
            }
        ));
    }
    let routine_n = members.len() - evidence.len();
    if routine_n > 0 && !all_routine {
        grade_reasons.push(format!(
            "{routine_n} detection(s) at a persistent hot spot set aside as routine"
        ));
    }
    grade_reasons.extend(conflicts.iter().cloned());
    let disputed = !conflicts.is_empty();
    let grade = match verdict {
        Some(v) => {
            let a = assessments.last().map(|a| a.author.as_str()).unwrap_or("");
            grade_reasons.push(format!("monitor {a} assessed it {}", verdict_name(v)));
            match v {
                Verdict::Verified => Grade::Verified,
                Verdict::Dismissed => Grade::Dismissed,
                Verdict::Unverifiable => Grade::Unverifiable,
            }
        }
        None if disputed => Grade::Disputed,
        None if independent => Grade::Corroborated,
        None => Grade::Reported,
    };

    let b = &snap.reports[best];
    let member_list: Vec<Member> = members
        .iter()
        .map(|&i| {
            let r = &snap.reports[i];
            Member {
                index: r.index,
                entry_id: r.entry_id.clone(),
                author: r.author.clone(),
                role: r.role,
                id: r.id.clone(),
                act: r.act,
                perpetrator: r.perpetrator.clone(),
                point: r.point,
                uncertainty_m: r.uncertainty_m,
                start: utc(r.start),
                end: utc(r.end),
                side: side_of(r),
                routine: routine[i].clone(),
            }
        })
        .collect();
    Built {
        incident: Incident {
            id,
            start: utc(start),
            end: utc(end),
            day: utc(start)[..10].to_string(),
            point: b.point,
            uncertainty_m: b.uncertainty_m,
            grade,
            disputed,
            sides: sides.into_iter().collect(),
            acts: acts.into_iter().collect(),
            alleged: alleged
                .into_iter()
                .map(|(party, by)| Allegation {
                    party,
                    by: by.into_iter().collect(),
                })
                .collect(),
            routine: all_routine,
            grade_reasons,
            assessments,
            members: member_list,
        },
        evidence,
        members,
        start,
        end,
        verdict,
    }
}

/// Lowercase hex.
pub(crate) fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(DIGITS[usize::from(x >> 4)] as char);
        s.push(DIGITS[usize::from(x & 15)] as char);
    }
    s
}

fn join<T: std::fmt::Display>(it: impl Iterator<Item = T>) -> String {
    it.map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

/// An act's name as written in files.
pub fn act_name(a: Act) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A verdict's name as written in files.
pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Verified => "verified",
        Verdict::Dismissed => "dismissed",
        Verdict::Unverifiable => "unverifiable",
    }
}
