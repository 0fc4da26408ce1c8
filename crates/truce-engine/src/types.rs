//! The engine's output: incidents with their grade, findings per agreement × reading with their
//! chain of reasons, and compliance tables. Serialised as the stable JSON the CLI and the HTTP
//! service publish (fields in a fixed order, collections sorted), so output is byte-reproducible.

use serde::{Deserialize, Serialize};
use truce_model::domain::{Act, Question, Role, Standing, Verdict};
use truce_model::Id;

/// The version of the rules that produced a finding. Bump it whenever a rule changes what the
/// engine outputs for the same log.
///
/// truce-rules/7 is truce-rules/6 with the maritime rules (issue 15): a condition precedent
/// counts only the statuses of its attesters under each reading (named in the reading, else its
/// author, a mediator or the operator), and the reasons name the filings not counted; reports of
/// vessel acts are matched to vessels (by what they name, or by track: [`crate::maritime`]),
/// whose class decides a `vessel.*` target; a confinement term (`confined`) makes a party's
/// vessel outside its zone a breach by that party with no protected target; the military use of
/// a vessel stands as alleged unless a monitor's inspection report names the same party.
///
/// truce-rules/8 is truce-rules/7 with the terms along a line of contact (issue 16,
/// [`crate::front`]): a reading's `front` terms — an explosion in the buffer, fire across a
/// party's line, a party's heavy weapons inside a withdrawal zone, its forces beyond its own
/// line — need no protected target, each measured by exact geodesic distance from the version
/// of each party's own line in force at the incident's start; reports of explosions with no
/// perpetrator are undetermined, never breaches.
///
/// truce-rules/9 is truce-rules/8 with observations linked by their footprints
/// ([`crate::incidents`]): where a monitor's observation carries a public footprint, it joins an
/// incident only with reports its footprint actually meets — another observation whose footprint
/// shares area with it, or a report whose point lies within its reach of the footprint — not
/// with everything within the circle enclosing the footprint.
pub const RULES_VERSION: &str = "truce-rules/9";

/// Occurrence: how sure we are that something happened there and then. Never a bare boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    /// One origin only (reports of one origin never corroborate each other).
    Reported,
    /// Independent origins report it (sensors count: a satellite sees that something burned).
    Corroborated,
    /// Monitors verified it, per the review policy.
    Verified,
    /// Monitors could not verify it with the evidence available, per the review policy.
    Unverifiable,
    /// Monitors dismissed it, per the review policy.
    Dismissed,
    /// Monitors disagree and no quorum resolves it.
    Contested,
}

impl Grade {
    /// Every grade, in display order.
    pub const ALL: [Grade; 6] = [
        Grade::Reported,
        Grade::Corroborated,
        Grade::Verified,
        Grade::Unverifiable,
        Grade::Dismissed,
        Grade::Contested,
    ];
    /// The grade's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Grade::Reported => "reported",
            Grade::Corroborated => "corroborated",
            Grade::Verified => "verified",
            Grade::Unverifiable => "unverifiable",
            Grade::Dismissed => "dismissed",
            Grade::Contested => "contested",
        }
    }
    /// Parses a grade name.
    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Attribution: how well it stands that one party did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttributionGrade {
    /// Only the accuser's origin names the party.
    Alleged,
    /// Origins name different perpetrators, or one denies it.
    Disputed,
    /// An origin independent of the accuser names the same party.
    Corroborated,
    /// The accused says it did it.
    Admitted,
    /// Monitors verified the attribution, per the review policy.
    Verified,
    /// Monitors could not verify the attribution, per the review policy.
    Unverifiable,
    /// Monitors dismissed the attribution, per the review policy.
    Dismissed,
    /// Monitors disagree and no quorum resolves it.
    Contested,
}

impl AttributionGrade {
    /// Every grade, in display order.
    pub const ALL: [AttributionGrade; 8] = [
        AttributionGrade::Alleged,
        AttributionGrade::Disputed,
        AttributionGrade::Corroborated,
        AttributionGrade::Admitted,
        AttributionGrade::Verified,
        AttributionGrade::Unverifiable,
        AttributionGrade::Dismissed,
        AttributionGrade::Contested,
    ];
    /// The grade's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AttributionGrade::Alleged => "alleged",
            AttributionGrade::Disputed => "disputed",
            AttributionGrade::Corroborated => "corroborated",
            AttributionGrade::Admitted => "admitted",
            AttributionGrade::Verified => "verified",
            AttributionGrade::Unverifiable => "unverifiable",
            AttributionGrade::Dismissed => "dismissed",
            AttributionGrade::Contested => "contested",
        }
    }
    /// Parses a grade name.
    pub fn parse(s: &str) -> Option<AttributionGrade> {
        AttributionGrade::ALL.into_iter().find(|g| g.as_str() == s)
    }
    /// The standing a breach with this attribution has: `established` when verified or
    /// admitted, `corroborated` when corroborated, else `alleged`.
    pub fn standing(&self) -> Standing {
        match self {
            AttributionGrade::Verified | AttributionGrade::Admitted => Standing::Established,
            AttributionGrade::Corroborated => Standing::Corroborated,
            _ => Standing::Alleged,
        }
    }
}

/// How an outcome reads in words with its standing: "established breach", "alleged breach",
/// "no breach". Never a bare "breach" on an allegation.
pub fn outcome_words(o: Outcome, s: Standing) -> String {
    match o {
        Outcome::Breach => format!("{} breach", s.as_str()),
        Outcome::NoBreach => "no breach".into(),
        Outcome::OutOfScope => "out of scope".into(),
        Outcome::Undetermined => "undetermined".into(),
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
    /// Whose claim it relays, when not its author's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relays: Option<Id>,
    /// Position `[lon, lat]`.
    pub point: [f64; 2],
    /// Uncertainty, metres.
    pub uncertainty_m: u32,
    /// Earliest time (RFC 3339, UTC).
    pub start: String,
    /// Latest time (RFC 3339, UTC).
    pub end: String,
    /// The origin of its claim (`party:<id>`, `sensor:<id>`, `monitor:<id>`, `mediator:<id>`):
    /// its author's side, or the relayed party's.
    pub side: String,
    /// Set when the report is a detection at a persistent hot spot: routine, not evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routine: Option<String>,
    /// A monitor's observation: what was counted, how, and how far the observer is hidden (its
    /// public part; the report's point is its footprint's centre).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observed>,
}

/// The public part of a monitor's observation, as an incident lists its report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// Heard, seen or camera.
    pub modality: truce_model::front::Modality,
    /// The event type counted.
    pub event: truce_model::front::EventType,
    /// How many over the report's window.
    pub count: u32,
    /// The distance range from the observer, km.
    pub distance_km: [f64; 2],
    /// The compass sectors, degrees clockwise from north.
    pub sectors: Vec<[f64; 2]>,
    /// The observer cannot be placed closer than this, metres.
    pub hidden_m: f64,
}

impl Observed {
    /// From a report's observation.
    pub fn of(o: &truce_model::front::Observation) -> Observed {
        Observed {
            modality: o.modality,
            event: o.event,
            count: o.count,
            distance_km: [o.distance.min_m / 1000.0, o.distance.max_m / 1000.0],
            sectors: o.sectors.clone(),
            hidden_m: o.footprint.hidden_m,
        }
    }
}

impl Member {
    /// Whether it is a sensor detection ([`crate::incidents::detection_kind`]).
    pub fn is_detection(&self) -> bool {
        crate::incidents::detection_kind(self.role, self.act)
    }
}

/// A background detection: a sensor detection that is not (yet) evidence of any incident. Which
/// detections are background depends on what the log holds at the time of judgement: an
/// allegation filed later pulls those within its reach into its incident.
///
/// The view of one: a judgement holds each as a [`BackgroundRef`] to its report in the snapshot
/// judged, and [`Judgement::background_full`] makes this form of it on demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Background {
    /// UTC day of its start (`YYYY-MM-DD`).
    pub day: String,
    /// The detection, in the shape of an incident's member (`routine` set at a hot spot).
    #[serde(flatten)]
    pub detection: Member,
}

/// A background detection as a [`Judgement`] holds it: only what the snapshot judged does not
/// say — which of its reports it is, and its routine description —, 24 bytes, so a million of
/// them take 24 MB rather than the half gigabyte of their full form ([`Background`], made on
/// demand by [`Judgement::background_full`]). Ordered as the judgement lists them: by start,
/// then log index (then `nth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BackgroundRef {
    /// The detection's start, unix seconds (the first key of the order, and a check that the
    /// report found in a snapshot is this one).
    pub start: i64,
    /// Log index of the detection (of its latest revision).
    pub index: u64,
    /// Which of the snapshot's reports of that log index it is, counted in snapshot order (0:
    /// the first; a log entry holds one report, so 0 for every snapshot read from a log).
    pub nth: u32,
    /// Its routine description: a position in [`Judgement::routines`], or
    /// [`BackgroundRef::NOT_ROUTINE`].
    pub routine: u32,
}

impl BackgroundRef {
    /// `routine` of a detection at no persistent hot spot.
    pub const NOT_ROUTINE: u32 = u32::MAX;

    /// Its place in the order of [`Judgement::background`]: (start, log index, nth).
    pub fn key(&self) -> (i64, u64, u32) {
        (self.start, self.index, self.nth)
    }
}

/// A monitor's assessment bearing on an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRef {
    /// Log index.
    pub index: u64,
    /// Entry id.
    pub entry_id: String,
    /// The monitor (the mission).
    pub author: Id,
    /// The officer: the id of the monitor key that signed it.
    pub officer: String,
    /// The question answered.
    pub question: Question,
    /// For an attribution question, the party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Id>,
    /// The verdict.
    pub verdict: Verdict,
    /// Whether it counts towards the review (the officer's latest answer to a question not
    /// raised by the mission's own report).
    pub counted: bool,
    /// Why it does not count, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The reasoning.
    pub text: String,
}

/// Where monitors' review of one question stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// `occurrence` or `attribution`.
    pub question: Question,
    /// For an attribution question, the party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Id>,
    /// `pending` (no quorum yet, no disagreement), `verified`, `dismissed`, `unverifiable` or
    /// `contested`.
    pub state: String,
    /// Distinct officers needed, under the policy in force at the latest counted assessment.
    pub quorum: u32,
    /// Distinct officers' latest verdicts, by verdict.
    pub tally: std::collections::BTreeMap<String, u32>,
    /// The assessments, in log order (all of them, counted or not).
    pub assessments: Vec<AssessmentRef>,
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
    /// UTC day of `start` (`YYYY-MM-DD`). Compliance counts each finding on the day of `start`
    /// in its agreement's time zone instead (`Finding::day`).
    pub day: String,
    /// Best position: that of the most precise report.
    pub point: [f64; 2],
    /// Its uncertainty, metres.
    pub uncertainty_m: u32,
    /// Occurrence: did something happen here and then?
    pub occurrence: Grade,
    /// Whether sources conflict on what happened (incompatible acts) or on who did it.
    pub disputed: bool,
    /// The independent origins that reported it (`party:<id>`, `sensor:<id>`, `monitor:<id>`,
    /// `mediator:<id>`; a relayed claim counts as its origin's).
    pub sides: Vec<String>,
    /// The acts reported.
    pub acts: Vec<Act>,
    /// Attribution: each party named as perpetrator, who names it, and how well it stands.
    pub alleged: Vec<Allegation>,
    /// Set when every report is routine (detections at a persistent hot spot).
    pub routine: bool,
    /// Why the occurrence grade is what it is.
    pub grade_reasons: Vec<String>,
    /// Monitors' review of each question they assessed (occurrence, then each attribution);
    /// left out when none was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<Review>,
    /// Monitors' assessments of its reports, in log order.
    pub assessments: Vec<AssessmentRef>,
    /// The reports, in log order.
    pub members: Vec<Member>,
    /// Vessels its reports of vessel acts are matched to (by what they name, or by track);
    /// left out when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vessels: Vec<crate::maritime::VesselMatch>,
}

/// A party blamed for an incident, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allegation {
    /// The party blamed.
    pub party: Id,
    /// The authors of the reports that blame it.
    pub by: Vec<Id>,
    /// The origins naming it (a relayed claim counts as its origin's).
    pub origins: Vec<String>,
    /// The attribution's grade.
    pub grade: AttributionGrade,
    /// The standing of a breach attributed on this basis.
    pub standing: Standing,
    /// Why.
    pub reasons: Vec<String>,
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
    /// The attribution's grade.
    pub grade: AttributionGrade,
    /// How well the outcome stands.
    pub standing: Standing,
    /// Set when a release clause freed the party: the incident whose breach freed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    /// Set when the party was released by its own invocation: the invocation's log index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation: Option<u64>,
    /// Set when a release is available to the party (the other side's qualifying breach in
    /// this incident) but it has not invoked it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_available: Option<String>,
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
    /// How well the outcome stands: the strongest standing among the attributions with that
    /// outcome (`alleged` when no party is named).
    pub standing: Standing,
    /// The outcome and standing in words ("alleged breach", "no breach").
    pub words: String,
    /// The incident's occurrence grade.
    pub occurrence: Grade,
    /// The day (`YYYY-MM-DD`) its incident's evidence starts, in the agreement's time zone (UTC
    /// when the agreement states none): the day compliance counts it on.
    pub day: String,
    /// Per blamed party.
    pub attributions: Vec<Attribution>,
    /// The protected site that decided it, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteNear>,
    /// The chain of reasons, in the order they were examined.
    pub reasons: Vec<Reason>,
    /// The log index of the reading's version that decided it (the one in force at the
    /// incident's start).
    pub version: u64,
    /// Set when a version filed after the incident began decides it (a reading or site listing
    /// with an earlier `effective_from`): allowed, and flagged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retroactive: bool,
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
    /// The findings' day, in the agreement's time zone.
    pub day: String,
    /// Attributions by outcome (all four keys present).
    pub outcomes: std::collections::BTreeMap<String, u64>,
    /// Breach attributions by standing (`alleged`, `corroborated`, `established`, all present).
    pub breaches_by_standing: std::collections::BTreeMap<String, u64>,
}

/// How one incident's outcome differs between readings of an agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingDifference {
    /// The agreement.
    pub agreement: Id,
    /// The incident.
    pub incident: String,
    /// The findings' day, in the agreement's time zone.
    pub day: String,
    /// Outcome under each reading, by reading party.
    pub outcomes: std::collections::BTreeMap<String, Outcome>,
    /// The outcome with its standing in words under each reading ("alleged breach").
    pub words: std::collections::BTreeMap<String, String>,
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
    /// Breach attributions per party, by standing (`alleged`, `corroborated`, `established`).
    /// A headline figure of breaches is the `established` count (and, shown apart, the
    /// `corroborated` one); `alleged` breaches are allegations, never counted as breaches.
    pub breaches_by_party:
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>,
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
///
/// Its background detections are references into the [`Snapshot`](crate::Snapshot) judged: read
/// them with [`Judgement::background_full`] (or [`Judged`](crate::Judged), which keeps the two
/// together). They are not serialised (the views store them as rows; `background` and
/// `routines` are left out of this JSON), and two judgements are equal when their background
/// names the same reports with the same descriptions, however the table of descriptions is laid
/// out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Judgement {
    /// The rules version.
    pub rules: String,
    /// Log entries covered.
    pub log_size: u64,
    /// Hot spots learned, and the cut-off they were learned before (RFC 3339), if any.
    pub baseline: BaselineSummary,
    /// Incidents, ordered by start then id.
    pub incidents: Vec<Incident>,
    /// Background detections (truce-rules/6): sensor detections that are in no incident —
    /// nobody alleges or observes anything within their reach, and they touch nothing a reading
    /// in force protects (or they are routine) — ordered by start then log index. Kept, counted
    /// and available to corroborate, never listed or counted as incidents. Each a reference to
    /// its report in the snapshot judged ([`Judgement::background_full`] reads them).
    #[serde(skip)]
    pub background: Vec<BackgroundRef>,
    /// The routine descriptions background detections name ([`BackgroundRef::routine`]): each
    /// hot spot's once.
    #[serde(skip)]
    pub routines: Vec<String>,
    /// Findings, ordered by agreement, reading, incident order.
    pub findings: Vec<Finding>,
    /// What could not be used, and why (e.g. a site polygon the geometry rules refuse).
    pub warnings: Vec<String>,
}

impl PartialEq for Judgement {
    fn eq(&self, other: &Judgement) -> bool {
        self.rules == other.rules
            && self.log_size == other.log_size
            && self.baseline == other.baseline
            && self.incidents == other.incidents
            && self.findings == other.findings
            && self.warnings == other.warnings
            && self.background.len() == other.background.len()
            && self
                .background
                .iter()
                .zip(&other.background)
                .all(|(a, b)| a.key() == b.key() && self.routine(a) == other.routine(b))
    }
}

impl Judgement {
    /// The routine description of a background detection, if it is at a persistent hot spot.
    pub fn routine(&self, b: &BackgroundRef) -> Option<&str> {
        self.routines.get(b.routine as usize).map(String::as_str)
    }
}

/// What the baseline learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// Detections the baseline learned from (every detection known, less those inside
    /// incidents someone alleges or a monitor observes).
    pub learned_from: u64,
    /// Hot-spot cells learned.
    pub hot_spots: u64,
    /// Detections judged routine.
    pub routine_detections: u64,
}
