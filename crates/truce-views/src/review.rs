//! The monitors' review queue: the questions monitors answer about incidents, and where the
//! review of each stands. Shared by the CLI (`truce review queue|show`) and the API
//! (`GET /v1/review/queue`, `GET /v1/review/incidents/{id}`), so both answer the same JSON.
//!
//! **Questions.** Every incident raises the *occurrence* question (did something happen there and
//! then?) and, per party named as perpetrator, an *attribution* question (did this party do it?).
//! The engine grades each and records monitors' review of each question they assessed
//! (`Incident::reviews`). [`questions`] turns one incident into its questions, a pure function of
//! the incident and of the quorum of the review policy in force now (for questions nobody has
//! assessed yet).
//!
//! **Open.** A question is open when its review is not decided: nobody's assessment counts yet
//! (`unassessed`), the counted officers agree but fall short of the quorum (`pending`), or they
//! disagree with no majority reaching the quorum (`contested`). Routine incidents (detections at a
//! persistent hot spot) raise no open question. The queue lists the open questions, oldest
//! incident first (incidents by start, then id), occurrence before attribution.
//!
//! **Assessing.** An officer answers with a signed `assessment` entry naming the incident's
//! reports ([`cites`]: its evidence, less the assessing mission's own reports, which nobody
//! assesses), submitted like any entry (`truce review assess`, or `POST /v1/entries` signed with
//! the officer's key). The engine counts each officer's (each registered monitor key's) latest
//! answer, and never a mission's answer to a question its own report raises.

use crate::db::{IncidentFilter, ViewStore};
use crate::derived::{self, DerivedError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use truce_engine::{AssessmentRef, Incident, Member};
use truce_model::domain::{Question, Verdict};
use truce_model::{Id, Ledger};

/// An officer's answer to a question, as the queue shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessor {
    /// Log index of the assessment.
    pub index: u64,
    /// The mission (the monitor party).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub author: Id,
    /// The officer: the id of the monitor key that signed it (8 hex digits).
    pub officer: String,
    /// `verified`, `dismissed` or `unverifiable`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub verdict: Verdict,
    /// Whether it counts (the officer's latest answer, not on a question the mission's own
    /// report raises).
    pub counted: bool,
}

/// One question about one incident, and where monitors' review of it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewQuestion {
    /// The incident.
    pub incident: String,
    /// Its UTC day (`YYYY-MM-DD`).
    pub day: String,
    /// Its start (RFC 3339, UTC).
    pub start: String,
    /// `occurrence` or `attribution`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub question: Question,
    /// For an attribution question, the party named as perpetrator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub party: Option<Id>,
    /// The current grade: occurrence (`reported`, `corroborated`, …) or attribution
    /// (`alleged`, `disputed`, `corroborated`, `admitted`, …).
    pub grade: String,
    /// `unassessed` (no assessment counts yet), `pending` (short of the quorum), `contested`
    /// (officers disagree), or decided: `verified`, `dismissed`, `unverifiable`.
    pub state: String,
    /// Whether it is in the queue: not decided, and the incident is not routine.
    pub open: bool,
    /// Distinct officers who must agree: the policy in force at the latest counted assessment,
    /// or now when none counts.
    pub quorum: u32,
    /// Counted officers' latest verdicts, by verdict.
    pub tally: BTreeMap<String, u32>,
    /// Who assessed it already, in log order (counted or not).
    pub assessed_by: Vec<Assessor>,
    /// The parties whose reports raise the question: they do not assess it.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub raised_by: Vec<Id>,
    /// Entry ids of the reports an assessment cites (the incident's evidence; an assessor leaves
    /// out its own).
    pub reports: Vec<String>,
}

/// A page of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Queue {
    /// The open questions of this page, oldest incident first.
    pub items: Vec<ReviewQuestion>,
    /// Open questions matching the filters, in all.
    pub total: usize,
    /// The page size asked for.
    pub limit: usize,
    /// The offset asked for.
    pub offset: usize,
    /// The log size the views describe.
    pub log_size: u64,
    /// The quorum of the review policy in force now (1 without a policy).
    pub quorum: u32,
}

/// One incident's questions, reviews, assessments and reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentReview {
    /// The incident.
    pub incident: String,
    /// Its UTC day.
    pub day: String,
    /// Earliest time of the evidence.
    pub start: String,
    /// Latest time of the evidence.
    pub end: String,
    /// Whether every report is routine (then no question is open).
    pub routine: bool,
    /// The quorum of the review policy in force now.
    pub quorum: u32,
    /// Every question it raises (open or decided): occurrence, then each attribution.
    pub questions: Vec<ReviewQuestion>,
    /// Every assessment of its reports, in log order, with `counted` and, when not counted,
    /// `note` saying why.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub assessments: Vec<AssessmentRef>,
    /// Its reports, in log order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub reports: Vec<Member>,
    /// The log size the views describe.
    pub log_size: u64,
}

/// Which open questions to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueFilter {
    /// Only the attribution questions about this party.
    pub party: Option<Id>,
    /// Only this question.
    pub question: Option<Question>,
}

impl QueueFilter {
    fn keeps(&self, q: &ReviewQuestion) -> bool {
        self.question.is_none_or(|x| x == q.question)
            && self
                .party
                .as_ref()
                .is_none_or(|p| q.party.as_ref() == Some(p))
    }
}

/// The quorum of the review policy in force after the whole ledger (1 without one).
pub fn current_quorum(ledger: &Ledger) -> u32 {
    ledger
        .review_policies
        .iter()
        .rev()
        .find(|p| p.retracted.is_none())
        .map_or(1, |p| p.value.quorum.max(1))
}

/// A verdict's name.
pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Verified => "verified",
        Verdict::Dismissed => "dismissed",
        Verdict::Unverifiable => "unverifiable",
    }
}

/// The incident's evidence: its non-routine members (all of them for a routine incident).
fn evidence(inc: &Incident) -> impl Iterator<Item = &Member> {
    let all_routine = inc.members.iter().all(|m| m.routine.is_some());
    inc.members
        .iter()
        .filter(move |m| all_routine || m.routine.is_none())
}

/// Every question `inc` raises, with where its review stands; `quorum_now` is the quorum of the
/// policy in force now (for questions no assessment counts on yet).
pub fn questions(inc: &Incident, quorum_now: u32) -> Vec<ReviewQuestion> {
    let reports: Vec<String> = evidence(inc).map(|m| m.entry_id.clone()).collect();
    let occurrence_raisers: BTreeSet<Id> = evidence(inc).map(|m| m.author.clone()).collect();
    let mut asked: Vec<(Question, Option<Id>, String, Vec<Id>)> = vec![(
        Question::Occurrence,
        None,
        inc.occurrence.as_str().to_string(),
        occurrence_raisers.into_iter().collect(),
    )];
    for a in &inc.alleged {
        asked.push((
            Question::Attribution,
            Some(a.party.clone()),
            a.grade.as_str().to_string(),
            a.by.clone(),
        ));
    }
    asked
        .into_iter()
        .map(|(question, party, grade, raised_by)| {
            let review = inc
                .reviews
                .iter()
                .find(|r| r.question == question && r.party == party);
            let (state, quorum, tally, assessed_by) = match review {
                None => (
                    "unassessed".to_string(),
                    quorum_now,
                    BTreeMap::new(),
                    vec![],
                ),
                Some(r) => (
                    if r.tally.is_empty() {
                        "unassessed".to_string()
                    } else {
                        r.state.clone()
                    },
                    r.quorum,
                    r.tally.clone(),
                    r.assessments
                        .iter()
                        .map(|a| Assessor {
                            index: a.index,
                            author: a.author.clone(),
                            officer: a.officer.clone(),
                            verdict: a.verdict,
                            counted: a.counted,
                        })
                        .collect(),
                ),
            };
            let open =
                !inc.routine && matches!(state.as_str(), "unassessed" | "pending" | "contested");
            ReviewQuestion {
                incident: inc.id.clone(),
                day: inc.day.clone(),
                start: inc.start.clone(),
                question,
                party,
                grade,
                state,
                open,
                quorum,
                tally,
                assessed_by,
                raised_by,
                reports: reports.clone(),
            }
        })
        .collect()
}

/// The open questions of `inc` (see [`questions`]).
pub fn open_questions(inc: &Incident, quorum_now: u32) -> Vec<ReviewQuestion> {
    let mut q = questions(inc, quorum_now);
    q.retain(|q| q.open);
    q
}

/// The reports `assessor` cites when it assesses `inc`: the entry ids of the incident's evidence,
/// less the assessor's own reports (nobody assesses a question raised by their own report).
pub fn cites(inc: &Incident, assessor: &Id) -> Vec<String> {
    evidence(inc)
        .filter(|m| &m.author != assessor)
        .map(|m| m.entry_id.clone())
        .collect()
}

/// One incident's review (see [`IncidentReview`]).
pub fn review_of(inc: &Incident, quorum_now: u32, log_size: u64) -> IncidentReview {
    IncidentReview {
        incident: inc.id.clone(),
        day: inc.day.clone(),
        start: inc.start.clone(),
        end: inc.end.clone(),
        routine: inc.routine,
        quorum: quorum_now,
        questions: questions(inc, quorum_now),
        assessments: inc.assessments.clone(),
        reports: inc.members.clone(),
        log_size,
    }
}

fn parse(doc: &str) -> Result<Incident, DerivedError> {
    serde_json::from_str(doc).map_err(|e| DerivedError::Unreadable(e.to_string()))
}

/// A page of the queue read from the views: `limit` open questions from `offset`, of those
/// matching `filter`, at views describing `log_size` entries.
pub fn queue(
    views: &ViewStore,
    filter: &QueueFilter,
    quorum_now: u32,
    limit: usize,
    offset: usize,
    log_size: u64,
) -> Result<Queue, DerivedError> {
    // Lists read the abridged form (members beyond the first HEAD_MEMBERS left out); the
    // questions of a page are recomputed from the full document when members were left out.
    let heads = views.incident_heads(&IncidentFilter {
        party: filter.party.as_ref().map(Id::to_string),
        ..Default::default()
    })?;
    let mut open: Vec<(ReviewQuestion, bool)> = Vec::new();
    for doc in &heads {
        let inc = parse(doc)?;
        if inc.routine {
            continue;
        }
        let abridged = inc.members.len() >= derived::HEAD_MEMBERS;
        for q in open_questions(&inc, quorum_now) {
            if filter.keeps(&q) {
                open.push((q, abridged));
            }
        }
    }
    let total = open.len();
    let mut items = Vec::new();
    let mut full: BTreeMap<String, Incident> = BTreeMap::new();
    for (mut q, abridged) in open.into_iter().skip(offset).take(limit) {
        if abridged {
            if !full.contains_key(&q.incident) {
                if let Some(doc) = views.incident(&q.incident)? {
                    full.insert(q.incident.clone(), parse(&doc)?);
                }
            }
            if let Some(inc) = full.get(&q.incident) {
                q.reports = evidence(inc).map(|m| m.entry_id.clone()).collect();
            }
        }
        items.push(q);
    }
    Ok(Queue {
        items,
        total,
        limit,
        offset,
        log_size,
        quorum: quorum_now,
    })
}

/// One incident's review read from the views, or `None` when there is no such incident.
pub fn incident(
    views: &ViewStore,
    id: &str,
    quorum_now: u32,
    log_size: u64,
) -> Result<Option<IncidentReview>, DerivedError> {
    views
        .incident(id)?
        .map(|doc| Ok(review_of(&parse(&doc)?, quorum_now, log_size)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use truce_engine::{Allegation, AttributionGrade, Grade, Review};
    use truce_model::domain::{Act, Standing};
    use truce_model::Role;

    fn id(s: &str) -> Id {
        Id::new(s).unwrap()
    }

    fn member(author: &str, entry: &str, routine: bool) -> Member {
        Member {
            index: 1,
            entry_id: entry.into(),
            author: id(author),
            role: Role::Belligerent,
            id: id("r"),
            act: Act::Strike,
            perpetrator: None,
            relays: None,
            point: [0.0, 0.0],
            uncertainty_m: 10,
            start: "2025-03-20T00:00:00Z".into(),
            end: "2025-03-20T00:00:00Z".into(),
            side: format!("party:{author}"),
            routine: routine.then(|| "hot spot".into()),
            observed: None,
        }
    }

    fn incident() -> Incident {
        Incident {
            id: "inc-0000000000000001".into(),
            start: "2025-03-20T00:00:00Z".into(),
            end: "2025-03-20T00:00:00Z".into(),
            day: "2025-03-20".into(),
            point: [0.0, 0.0],
            uncertainty_m: 10,
            occurrence: Grade::Corroborated,
            disputed: false,
            sides: vec![],
            acts: vec![Act::Strike],
            alleged: vec![
                Allegation {
                    party: id("ru"),
                    by: vec![id("ua")],
                    origins: vec!["party:ua".into()],
                    grade: AttributionGrade::Alleged,
                    standing: Standing::Alleged,
                    reasons: vec![],
                },
                Allegation {
                    party: id("ua"),
                    by: vec![id("ru")],
                    origins: vec!["party:ru".into()],
                    grade: AttributionGrade::Verified,
                    standing: Standing::Established,
                    reasons: vec![],
                },
            ],
            routine: false,
            grade_reasons: vec![],
            reviews: vec![Review {
                question: Question::Attribution,
                party: Some(id("ua")),
                state: "verified".into(),
                quorum: 2,
                tally: [("verified".to_string(), 2)].into(),
                assessments: vec![],
            }],
            assessments: vec![],
            members: vec![
                member("ua", "e1", false),
                member("monitor", "e2", false),
                member("firms", "e3", true),
            ],
            vessels: vec![],
        }
    }

    #[test]
    fn decided_questions_leave_the_queue_and_unassessed_ones_take_the_current_quorum() {
        let inc = incident();
        let all = questions(&inc, 3);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].question, Question::Occurrence);
        assert_eq!(all[0].state, "unassessed");
        assert_eq!(all[0].quorum, 3);
        assert_eq!(all[0].raised_by, vec![id("monitor"), id("ua")]);
        assert_eq!(
            all[0].reports,
            vec!["e1", "e2"],
            "routine members are not cited"
        );
        assert_eq!(all[2].party, Some(id("ua")));
        assert_eq!(all[2].quorum, 2);
        assert!(!all[2].open);
        let open: Vec<_> = open_questions(&inc, 3)
            .into_iter()
            .map(|q| (q.question, q.party))
            .collect();
        assert_eq!(
            open,
            vec![
                (Question::Occurrence, None),
                (Question::Attribution, Some(id("ru")))
            ]
        );
        assert_eq!(cites(&inc, &id("monitor")), vec!["e1"]);
        let mut routine = inc.clone();
        routine.routine = true;
        assert!(open_questions(&routine, 1).is_empty());
    }

    #[test]
    fn the_filter_keeps_one_party_or_one_question() {
        let inc = incident();
        let qs = open_questions(&inc, 1);
        let f = QueueFilter {
            party: Some(id("ru")),
            question: None,
        };
        assert_eq!(qs.iter().filter(|q| f.keeps(q)).count(), 1);
        let f = QueueFilter {
            party: None,
            question: Some(Question::Occurrence),
        };
        assert_eq!(qs.iter().filter(|q| f.keeps(q)).count(), 1);
    }
}
