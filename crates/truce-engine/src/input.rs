//! The engine's input: what it needs of the log's accepted entries, in compact form. Built from a
//! replayed [`Ledger`] (or directly by a caller that streams the log), in log order, so the same
//! log always gives the same snapshot.

use truce_model::domain::{Act, PhaseStatus, Question, Reading, Role, Verdict};
use truce_model::geo::Geometry;
use truce_model::lifecycle::ConditionStatus;
use truce_model::taxonomy::Category;
use truce_model::{EntryAt, Id, Ledger};

/// An entry id: the SHA-256 of the entry's bytes, held as its 32 bytes (a report holds one of
/// these rather than its 64-character hex text). Ordered as its bytes, which is the order of its
/// lowercase hex; displayed and serialised as that hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(pub [u8; 32]);

impl EntryId {
    /// Reads lowercase hex of 64 digits (as the ledger writes entry ids); `None` for anything
    /// else, which names no entry.
    pub fn from_hex(s: &str) -> Option<EntryId> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return None;
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
            *o = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(EntryId(out))
    }

    /// The lowercase hex digits, without allocating.
    pub fn hex_bytes(&self) -> [u8; 64] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (o, x) in out.chunks_exact_mut(2).zip(self.0) {
            o[0] = DIGITS[usize::from(x >> 4)];
            o[1] = DIGITS[usize::from(x & 15)];
        }
        out
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = self.hex_bytes();
        // Hex digits are ASCII.
        f.pad(std::str::from_utf8(&h).unwrap_or_default())
    }
}

impl std::fmt::Debug for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EntryId({self})")
    }
}

impl std::str::FromStr for EntryId {
    type Err = String;
    fn from_str(s: &str) -> Result<EntryId, String> {
        EntryId::from_hex(s)
            .ok_or_else(|| format!("{s:?} is not an entry id (64 lowercase hex digits)"))
    }
}

impl serde::Serialize for EntryId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let h = self.hex_bytes();
        s.serialize_str(std::str::from_utf8(&h).unwrap_or_default())
    }
}

impl<'de> serde::Deserialize<'de> for EntryId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EntryId, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A party named by many reports, held once and shared: a million detections of one sensor
/// point at one [`Id`]. Compares, orders and hashes as the [`Id`] it holds.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Party(std::sync::Arc<Id>);

impl Party {
    /// The party's id.
    pub fn id(&self) -> &Id {
        &self.0
    }
}

impl From<Id> for Party {
    fn from(id: Id) -> Party {
        Party(std::sync::Arc::new(id))
    }
}

impl std::ops::Deref for Party {
    type Target = Id;
    fn deref(&self) -> &Id {
        &self.0
    }
}

impl std::borrow::Borrow<Id> for Party {
    fn borrow(&self) -> &Id {
        &self.0
    }
}

impl PartialEq<Id> for Party {
    fn eq(&self, other: &Id) -> bool {
        *self.0 == *other
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::fmt::Debug for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

/// One report as the engine sees it: compact, since a snapshot holds millions (its entry id as
/// 32 bytes, its parties shared).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportIn {
    /// Log index of the entry (of its latest revision).
    pub index: u64,
    /// Entry id (SHA-256 of the entry).
    pub entry_id: EntryId,
    /// Author.
    pub author: Party,
    /// The author's role, which decides whose side the report is on.
    pub role: Role,
    /// The report's id (unique per author).
    pub id: Id,
    /// What happened.
    pub act: Act,
    /// Who is alleged to have done it.
    pub perpetrator: Option<Party>,
    /// Whose claim it relays, if not the author's own.
    pub relays: Option<Party>,
    /// Parties it says did not do it.
    pub denies: Box<[Id]>,
    /// Position `[lon, lat]`.
    pub point: [f64; 2],
    /// Location uncertainty, metres.
    pub uncertainty_m: u32,
    /// Earliest time, unix seconds.
    pub start: i64,
    /// Latest time, unix seconds.
    pub end: i64,
    /// The kind of target hit, as reported.
    pub target: Option<Category>,
    /// Marked by the source as a static land source (FIRMS VIIRS `type` 2: gas flares, industry).
    pub static_source: bool,
}

/// One listed site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteIn {
    /// Log index of the listing.
    pub index: u64,
    /// The listing party.
    pub lister: Id,
    /// The site id (unique per lister).
    pub id: Id,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Shape.
    pub geometry: Geometry,
    /// Position uncertainty, metres (0 when surveyed).
    pub approximate_m: u32,
    /// When it was listed (the entry's time), unix seconds.
    pub filed: i64,
    /// From when the listing protects it (`effective_from`, default `filed`), unix seconds.
    pub effective: i64,
}

/// One version of one party's reading of an agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadingIn {
    /// Log index of the version.
    pub index: u64,
    /// The party whose reading it is.
    pub author: Id,
    /// When it was filed (the entry's time), unix seconds.
    pub filed: i64,
    /// From when it applies (`effective_from`, default `filed`), unix seconds.
    pub effective: i64,
    /// The reading.
    pub reading: Reading,
}

/// One monitor's assessment, with its report references resolved to entry ids.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentIn {
    /// Log index.
    pub index: u64,
    /// Entry id.
    pub entry_id: String,
    /// The monitor.
    pub author: Id,
    /// The signing key's id: the officer.
    pub key: String,
    /// The question answered.
    pub question: Question,
    /// For an attribution question, the party.
    pub party: Option<Id>,
    /// Entry ids of the reports assessed.
    pub reports: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// The reasoning.
    pub text: String,
}

/// A party's consent to extend an agreement's window to `until` (an `extension` entry).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionIn {
    /// Log index.
    pub index: u64,
    /// The consenting party.
    pub author: Id,
    /// The agreement.
    pub agreement: Id,
    /// The end it consents to, unix seconds.
    pub until: i64,
    /// When it was filed (the entry's time), unix seconds.
    pub filed: i64,
    /// From when it applies (`effective_from`, default `filed`), unix seconds.
    pub effective: i64,
}

/// One version of a condition precedent's status (a `condition` entry).
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionIn {
    /// Log index.
    pub index: u64,
    /// Who filed it.
    pub author: Id,
    /// Whether its author is a belligerent: a belligerent's status counts only for its own
    /// reading (one side never declares the other's condition met).
    pub by_belligerent: bool,
    /// The condition.
    pub id: Id,
    /// Its status from `effective`.
    pub status: ConditionStatus,
    /// When it was filed (the entry's time), unix seconds.
    pub filed: i64,
    /// From when it holds (`effective_from`, default `filed`), unix seconds.
    pub effective: i64,
}

/// An agreement's end: its phase lapsed or collapsed from `at`. A collapse ends every reading's
/// window; a lapse ends it unless an extension was in force by then.
#[derive(Debug, Clone, PartialEq)]
pub struct EndIn {
    /// From when (unix seconds): the phase's `status_from`, default the process entry's time.
    pub at: i64,
    /// Log index of the process entry that set the status.
    pub index: u64,
    /// The phase.
    pub phase: Id,
    /// `lapsed` or `collapsed`.
    pub status: String,
}

/// A review policy in force from its entry on.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyIn {
    /// Log index.
    pub index: u64,
    /// Distinct officers that must agree.
    pub quorum: u32,
}

/// A party's invocation of a release clause.
#[derive(Debug, Clone, PartialEq)]
pub struct InvocationIn {
    /// Log index.
    pub index: u64,
    /// The invoking party.
    pub author: Id,
    /// Its stated time, unix seconds: the release takes effect from it.
    pub time: i64,
    /// The agreement.
    pub agreement: Id,
    /// The party whose breach it cites.
    pub against: Id,
    /// Entry ids of the cited reports (current revisions).
    pub reports: Vec<String>,
}

/// Everything the engine judges, and the log size it was read at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Entries of the log the snapshot covers.
    pub log_size: u64,
    /// Reports (latest revision of each, retracted ones left out), in log order.
    pub reports: Vec<ReportIn>,
    /// Sites, in log order.
    pub sites: Vec<SiteIn>,
    /// Every version of every reading, ordered by (agreement, author), then log order.
    pub readings: Vec<ReadingIn>,
    /// Assessments, in log order.
    pub assessments: Vec<AssessmentIn>,
    /// Review policies, in log order.
    pub policies: Vec<PolicyIn>,
    /// Invocations of release clauses, in log order.
    pub invocations: Vec<InvocationIn>,
    /// Every registered party's role.
    pub roles: std::collections::BTreeMap<Id, Role>,
    /// Each agreement's time zone, as its process defines it (an agreement left out counts its
    /// days in UTC).
    pub zones: std::collections::BTreeMap<Id, jiff::tz::TimeZone>,
    /// Agreements whose phase lapsed or collapsed: every such status known, by agreement,
    /// earliest first (ties in log order).
    pub ends: std::collections::BTreeMap<Id, Vec<EndIn>>,
    /// Consents to extend agreements' windows, in log order.
    pub extensions: Vec<ExtensionIn>,
    /// Every version of every condition precedent's status, in log order.
    pub conditions: Vec<ConditionIn>,
    /// Vessels, their tracks and the reports that name a vessel (see [`Maritime`]).
    pub maritime: Maritime,
    /// Lines of contact and what reports say of weapons and of where fire came from (see
    /// [`Front`]).
    pub front: Front,
}

/// A vessel's class, from its static data (AIS ship type, a registry): decides whether an
/// attacked vessel is `vessel.commercial` or `vessel.military` when a report does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VesselClass {
    /// A merchant vessel (cargo, tanker, passenger, fishing…).
    Commercial,
    /// A warship or naval auxiliary (AIS ship type 35, a navy list).
    Military,
    /// Not known.
    Unknown,
}

impl VesselClass {
    /// The class's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            VesselClass::Commercial => "commercial",
            VesselClass::Military => "military",
            VesselClass::Unknown => "unknown",
        }
    }

    /// The taxonomy category of a vessel of this class, when known.
    pub fn category(&self) -> Option<Category> {
        match self {
            VesselClass::Commercial => Category::new("vessel.commercial").ok(),
            VesselClass::Military => Category::new("vessel.military").ok(),
            VesselClass::Unknown => None,
        }
    }
}

/// One vessel's static data, as the log holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct VesselIn {
    /// Log index of the entry (or record) it comes from.
    pub index: u64,
    /// MMSI (9 digits), when known.
    pub mmsi: Option<String>,
    /// IMO number (7 digits), when known.
    pub imo: Option<String>,
    /// Name, when known.
    pub name: Option<String>,
    /// Its class.
    pub class: VesselClass,
}

/// One track segment of a vessel (by MMSI): its positions in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackIn {
    /// Log index of the entry (or record) it comes from.
    pub index: u64,
    /// The vessel's MMSI.
    pub mmsi: String,
    /// `(unix seconds, [lon, lat])`, times ascending.
    pub points: Vec<(i64, [f64; 2])>,
}

/// What a report says of a vessel beyond its compact form ([`ReportIn`]): the vessel it names
/// and whether it is an inspection.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportVesselIn {
    /// Log index of the report (its current revision).
    pub index: u64,
    /// Its author.
    pub author: Id,
    /// Its id.
    pub id: Id,
    /// The vessel it names.
    pub vessel: Option<truce_model::domain::VesselRef>,
    /// Whether it is an inspection report (`kind: inspection`).
    pub inspection: bool,
}

impl ReportVesselIn {
    /// What the report `r` says of a vessel, when it names one or is an inspection. Read from
    /// the full value the store keeps (a signed report); a bulk record's vessel is not kept by the
    /// report store, so it reads as none.
    pub fn of(r: &truce_model::reports::ReportRef<'_>) -> Option<ReportVesselIn> {
        if !vessel_act(r.act()) {
            return None;
        }
        let held = r.held()?;
        let inspection = held.value.kind == Some(truce_model::domain::ReportKind::Inspection);
        (held.value.vessel.is_some() || inspection).then(|| ReportVesselIn {
            index: r.index(),
            author: r.author().clone(),
            id: r.id_owned(),
            vessel: held.value.vessel.clone(),
            inspection,
        })
    }
}

/// Whether reports of act `a` concern a vessel (an attack on one, its military use, its
/// movement): only their vessels are matched.
pub fn vessel_act(a: Act) -> bool {
    matches!(
        a,
        Act::AttackOnVessels | Act::MilitaryUseOfVessel | Act::VesselMovement
    )
}

/// The maritime part of a snapshot: vessels' static data, their tracks, and what reports say of
/// vessels. Compared whole by an incremental judgement (a change re-judges in full).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Maritime {
    /// Vessels, in log order.
    pub vessels: Vec<VesselIn>,
    /// Track segments, in log order.
    pub tracks: Vec<TrackIn>,
    /// Reports naming a vessel or inspecting one, in log order.
    pub reports: Vec<ReportVesselIn>,
    /// AIS gaps ([`crate::gaps`]), ordered by (start, MMSI): carried with the maritime data so
    /// the views store them with the judgement, never read by it.
    pub gaps: Vec<crate::gaps::Gap>,
}

impl Maritime {
    /// What report `r` says of a vessel, when it names one or is an inspection.
    pub fn said(&self, r: &ReportIn) -> Option<&ReportVesselIn> {
        said_of(&self.reports, r, |x| (x.index, &x.author, &x.id))
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.vessels.is_empty() && self.tracks.is_empty() && self.reports.is_empty()
    }

    /// What the ledger holds: each MMSI's latest static data (its class from the declared ship
    /// type: law enforcement counts as unknown, being neither), each MMSI's track segments as
    /// one track (their points merged in time order, a time given twice kept once), and the
    /// reports of vessel acts that name a vessel (see [`ReportVesselIn::of`]).
    pub fn of(ledger: &Ledger) -> Maritime {
        let mut reports: Vec<ReportVesselIn> = ledger
            .reports
            .iter()
            .filter(|r| vessel_act(r.act()) && r.retracted().is_none())
            .filter_map(|r| ReportVesselIn::of(&r))
            .collect();
        reports.sort_by_key(|r| r.index);
        let vessels: Vec<VesselIn> = ledger
            .vessels()
            .filter_map(|(mmsi, versions)| {
                let v = versions.last()?;
                Some(VesselIn {
                    index: v.index,
                    mmsi: Some(format!("{mmsi:09}")),
                    imo: v.value.imo.map(|i| format!("{i:07}")),
                    name: v.value.name.clone(),
                    class: match v.value.class {
                        truce_model::ais::VesselClass::Commercial => VesselClass::Commercial,
                        truce_model::ais::VesselClass::Military => VesselClass::Military,
                        _ => VesselClass::Unknown,
                    },
                })
            })
            .collect();
        let mut mmsis: Vec<u32> = ledger.tracks.mmsis().collect();
        mmsis.sort_unstable();
        mmsis.dedup();
        let tracks = mmsis
            .into_iter()
            .filter_map(|mmsi| {
                let segs = ledger.tracks_of(mmsi);
                let index = segs.iter().map(|t| t.index).min()?;
                let mut points: Vec<(i64, i64, [f64; 2])> = segs
                    .iter()
                    .flat_map(|t| {
                        t.points().iter().map(move |p| {
                            let ms = t.hour * 1_000 + i64::from(p.dt_ms);
                            (
                                ms,
                                ms.div_euclid(1_000),
                                [f64::from(p.lon_e6) / 1e6, f64::from(p.lat_e6) / 1e6],
                            )
                        })
                    })
                    .collect();
                // Stable: of two points at one millisecond, the first segment's is kept.
                points.sort_by_key(|p| p.0);
                points.dedup_by_key(|p| p.0);
                Some(TrackIn {
                    index,
                    mmsi: format!("{mmsi:09}"),
                    points: points.into_iter().map(|(_, s, p)| (s, p)).collect(),
                })
            })
            .collect();
        Maritime {
            vessels,
            tracks,
            reports,
            gaps: crate::gaps::of_ledger(ledger),
        }
    }
}

/// The row of `rows` (in log order) that report `r` states something in, found by its log index,
/// then author and id: what [`Maritime::said`] and [`Front::said`] look up.
fn said_of<'a, T>(
    rows: &'a [T],
    r: &ReportIn,
    key: impl Fn(&T) -> (u64, &Id, &Id),
) -> Option<&'a T> {
    let from = rows.partition_point(|x| key(x).0 < r.index);
    rows[from..]
        .iter()
        .take_while(|x| key(x).0 == r.index)
        .find(|x| {
            let (_, author, id) = key(x);
            *author == *r.author.id() && *id == r.id
        })
}

/// One version of a line (a `line` entry), as the engine judges against it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineIn {
    /// Log index of the version.
    pub index: u64,
    /// Who files the line.
    pub author: Id,
    /// The line's id.
    pub id: Id,
    /// Contact, reference or control area.
    pub kind: truce_model::lines::LineKind,
    /// The geometry: lines, or a control area's polygon.
    pub geometry: Geometry,
    /// A control area's controlling party.
    pub controlled_by: Option<Id>,
    /// From when the version holds, unix seconds.
    pub valid_from: i64,
    /// When it was filed (the entry's time), unix seconds.
    pub filed: i64,
    /// How far off the line may be, metres (0 when not stated).
    pub approximate_m: u32,
}

/// What a report says of weapons or of where fire came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFrontIn {
    /// Log index of the report (its current revision).
    pub index: u64,
    /// Its author.
    pub author: Id,
    /// Its id.
    pub id: Id,
    /// The weapons seen (or fired).
    pub weapon: Option<truce_model::front::WeaponSeen>,
    /// Where the fire came from.
    pub fire_from: Option<truce_model::front::FireFrom>,
    /// A monitor's observation (its public part).
    pub observation: Option<truce_model::front::Observation>,
    /// The observation's public footprint, read from its cells (`None` when there is no
    /// observation, or its cells are not H3 cells of one resolution: then the report counts as
    /// the point and uncertainty it states).
    pub footprint: Option<std::sync::Arc<truce_geo::PublicFootprint>>,
}

impl ReportFrontIn {
    /// What a report states, its observation's footprint read from its cells.
    pub fn new(
        index: u64,
        author: Id,
        id: Id,
        weapon: Option<truce_model::front::WeaponSeen>,
        fire_from: Option<truce_model::front::FireFrom>,
        observation: Option<truce_model::front::Observation>,
    ) -> ReportFrontIn {
        let footprint = observation.as_ref().and_then(|o| {
            truce_geo::PublicFootprint::from_cell_strings(&o.footprint.cells, o.footprint.hidden_m)
                .ok()
                .map(std::sync::Arc::new)
        });
        ReportFrontIn {
            index,
            author,
            id,
            weapon,
            fire_from,
            observation,
            footprint,
        }
    }
}

/// The line-of-contact part of a snapshot: every version of every line, and what reports say of
/// weapons and of the direction of fire. Compared whole by an incremental judgement (a change
/// re-judges in full, as a reading does).
#[derive(Debug, Clone, Default)]
pub struct Front {
    /// Every version of every line (retracted ones left out), ordered by (author, id), then log
    /// order.
    pub lines: Vec<LineIn>,
    /// Reports stating a weapon or where fire came from, in log order.
    pub reports: Vec<ReportFrontIn>,
    /// Each line version prepared for queries, on first use (derived from `lines`, which are
    /// never changed in place: a new `Front` replaces the old one).
    shapes: std::sync::Arc<std::sync::OnceLock<Vec<Result<crate::front::LineShape, String>>>>,
}

impl PartialEq for Front {
    fn eq(&self, other: &Front) -> bool {
        self.lines == other.lines && self.reports == other.reports
    }
}

impl Front {
    /// Line versions and report statements, as [`Front::of`] reads them from a ledger (lines
    /// ordered by (author, id), then log order; reports in log order).
    pub fn new(lines: Vec<LineIn>, reports: Vec<ReportFrontIn>) -> Front {
        Front {
            lines,
            reports,
            shapes: Default::default(),
        }
    }

    /// Line version `k` of [`Front::lines`] prepared for queries, or why it cannot be used.
    pub fn shape(&self, k: usize) -> Result<&crate::front::LineShape, String> {
        let shapes = self.shapes.get_or_init(|| {
            let footprints = self
                .reports
                .iter()
                .filter(|r| r.footprint.is_some())
                .count();
            let grid = footprints >= crate::front::GRID_FROM_FOOTPRINTS;
            self.lines
                .iter()
                .map(|l| crate::front::LineShape::prepared(l, grid))
                .collect()
        });
        match shapes.get(k) {
            Some(Ok(s)) => Ok(s),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("no line version {k}")),
        }
    }

    /// What report `r` says of weapons or of where fire came from, when it says anything.
    pub fn said(&self, r: &ReportIn) -> Option<&ReportFrontIn> {
        said_of(&self.reports, r, |x| (x.index, &x.author, &x.id))
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.reports.is_empty()
    }

    /// What a report says of the front, read from the full value the store keeps (a signed
    /// report; a bulk record's weapon is not kept by the report store, so it reads as none).
    pub fn report_of(r: &truce_model::reports::ReportRef<'_>) -> Option<ReportFrontIn> {
        let held = r.held()?;
        let v = &held.value;
        (v.weapon.is_some() || v.fire_from.is_some() || v.observation.is_some()).then(|| {
            ReportFrontIn::new(
                r.index(),
                r.author().clone(),
                r.id_owned(),
                v.weapon.clone(),
                v.fire_from.clone(),
                v.observation.clone(),
            )
        })
    }

    /// What the ledger holds.
    pub fn of(ledger: &Ledger) -> Front {
        let lines = ledger
            .line_versions
            .values()
            .flatten()
            .filter(|l| l.retracted.is_none())
            .map(|l| LineIn {
                index: l.index,
                author: l.author.clone(),
                id: l.value.id.clone(),
                kind: l.value.kind,
                geometry: l.value.geometry.clone(),
                controlled_by: l.value.controlled_by.clone(),
                valid_from: l.value.valid_from.0.as_second(),
                filed: l.time.0.as_second(),
                approximate_m: l.value.approximate_m.unwrap_or(0),
            })
            .collect();
        let mut reports: Vec<ReportFrontIn> = ledger
            .reports
            .iter()
            .filter(|r| r.retracted().is_none())
            .filter_map(|r| Front::report_of(&r))
            .collect();
        reports.sort_by_key(|r| r.index);
        Front {
            lines,
            reports,
            shapes: Default::default(),
        }
    }
}

impl Snapshot {
    /// Reads what the engine needs from a replayed ledger of `log_size` entries, consuming it (its
    /// report store is freed as soon as the reports are read from it). Retracted entries carry no
    /// weight; corrections are already applied by the ledger.
    pub fn from_ledger(ledger: Ledger, log_size: u64) -> Snapshot {
        Snapshot::of(&ledger, log_size)
    }

    /// What the engine needs from a replayed ledger of `log_size` entries, read without
    /// consuming it (the server's live ledger): [`Snapshot::rest_of`] and every current report.
    pub fn of(ledger: &Ledger, log_size: u64) -> Snapshot {
        let mut snap = Snapshot::rest_of(ledger, log_size);
        let mut reports: Vec<ReportIn> = Vec::with_capacity(ledger.reports.len());
        let mut roles = Roles::new(&snap.roles);
        for r in ledger.reports.iter().filter(|r| r.retracted().is_none()) {
            reports.push(roles.report(&r));
        }
        // In log order already; sorting a sorted list is one pass.
        reports.sort_by_key(|r| r.index);
        snap.reports = reports;
        snap.maritime = Maritime::of(ledger);
        snap.front = Front::of(ledger);
        snap
    }

    /// Everything the engine needs from a ledger but its reports (`reports` left empty): the
    /// small lists — sites, readings, assessments, policies, invocations, roles, zones, ends,
    /// extensions, conditions — that an incremental judgement compares whole.
    pub fn rest_of(ledger: &Ledger, log_size: u64) -> Snapshot {
        let assessments = ledger
            .assessments
            .iter()
            .filter(|a| a.retracted.is_none())
            .map(|a| AssessmentIn {
                index: a.index,
                entry_id: a.entry_id.clone(),
                author: a.author.clone(),
                key: a.key.clone(),
                question: a.value.question,
                party: a.value.party.clone(),
                reports: a
                    .value
                    .reports
                    .iter()
                    .filter_map(|r| current_report(ledger, r))
                    .collect(),
                verdict: a.value.verdict,
                text: a.value.text.clone(),
            })
            .collect();
        let roles: std::collections::BTreeMap<Id, Role> = ledger
            .parties
            .values()
            .map(|p| (p.id.clone(), p.role))
            .collect();
        let invocations = ledger
            .invocations
            .iter()
            .filter(|i| i.retracted.is_none())
            .map(|i| InvocationIn {
                index: i.index,
                author: i.author.clone(),
                time: i.time.0.as_second(),
                agreement: i.value.agreement.clone(),
                against: i.value.against.clone(),
                reports: i
                    .value
                    .reports
                    .iter()
                    .filter_map(|r| current_report(ledger, r))
                    .collect(),
            })
            .collect();
        let mut sites: Vec<SiteIn> = ledger
            .sites
            .values()
            .filter(|s| s.retracted.is_none())
            .map(|s| SiteIn {
                index: s.index,
                lister: s.author.clone(),
                id: s.value.id.clone(),
                name: s.value.name.clone(),
                category: s.value.category.clone(),
                geometry: s.value.geometry.clone(),
                approximate_m: s.value.approximate_m.unwrap_or(0),
                filed: s.time.0.as_second(),
                effective: s.value.effective_from.unwrap_or(s.time).0.as_second(),
            })
            .collect();
        sites.sort_by_key(|s| s.index);
        let readings = ledger
            .reading_versions
            .iter()
            .flat_map(|((_, author), vs)| vs.iter().map(move |r| (author, r)))
            .filter(|(_, r)| r.retracted.is_none())
            .map(|(author, r)| ReadingIn {
                index: r.index,
                author: author.clone(),
                filed: r.time.0.as_second(),
                effective: r.value.effective_from.unwrap_or(r.time).0.as_second(),
                reading: r.value.clone(),
            })
            .collect();
        let policies = ledger
            .review_policies
            .iter()
            .filter(|p| p.retracted.is_none())
            .map(|p| PolicyIn {
                index: p.index,
                quorum: p.value.quorum,
            })
            .collect();
        let mut zones = std::collections::BTreeMap::new();
        for (_, _, a) in ledger.agreements() {
            if let Some(z) = &a.time_zone {
                zones.entry(a.id).or_insert_with(|| z.tz());
            }
        }
        let mut ends: std::collections::BTreeMap<Id, Vec<EndIn>> =
            std::collections::BTreeMap::new();
        for p in ledger
            .process_versions
            .iter()
            .filter(|p| p.retracted.is_none())
        {
            for ph in &p.value.phases {
                let status = match ph.status {
                    PhaseStatus::Lapsed => "lapsed",
                    PhaseStatus::Collapsed => "collapsed",
                    _ => continue,
                };
                let at = ph.status_from.unwrap_or(p.time).0.as_second();
                for a in &ph.agreements {
                    let end = EndIn {
                        at,
                        index: p.index,
                        phase: ph.id.clone(),
                        status: status.to_string(),
                    };
                    ends.entry(a.id.clone()).or_default().push(end);
                }
            }
        }
        for v in ends.values_mut() {
            // A phase filed again with the same status and time is one end.
            v.sort_by_key(|e| (e.at, e.index));
            v.dedup_by(|b, a| a.at == b.at && a.status == b.status && a.phase == b.phase);
        }
        let extensions = ledger
            .extensions
            .iter()
            .filter(|x| x.retracted.is_none())
            .map(|x| ExtensionIn {
                index: x.index,
                author: x.author.clone(),
                agreement: x.value.agreement.clone(),
                until: x.value.until.0.as_second(),
                filed: x.time.0.as_second(),
                effective: x.value.effective_from.unwrap_or(x.time).0.as_second(),
            })
            .collect();
        let mut conditions: Vec<ConditionIn> = ledger
            .condition_versions
            .values()
            .flatten()
            .filter(|c| c.retracted.is_none())
            .map(|c| ConditionIn {
                index: c.index,
                author: c.author.clone(),
                by_belligerent: ledger
                    .parties
                    .get(&c.author)
                    .is_some_and(|p| p.role == truce_model::Role::Belligerent),
                id: c.value.id.clone(),
                status: c.value.status,
                filed: c.time.0.as_second(),
                effective: c.value.effective_from.unwrap_or(c.time).0.as_second(),
            })
            .collect();
        conditions.sort_by_key(|c| c.index);
        Snapshot {
            log_size,
            reports: Vec::new(),
            sites,
            readings,
            assessments,
            policies,
            invocations,
            roles,
            ends,
            zones,
            extensions,
            conditions,
            maritime: Maritime::default(),
            front: Front::default(),
        }
    }

    /// The calendar day (`YYYY-MM-DD`), in the agreement's time zone (UTC when it states none),
    /// of the unix time `t`: a finding counts on the day its incident's evidence starts.
    pub fn day_in(&self, agreement: &Id, t: i64) -> String {
        let Ok(ts) = jiff::Timestamp::from_second(t) else {
            return t.to_string();
        };
        match self.zones.get(agreement) {
            Some(tz) => tz.to_datetime(ts).date().to_string(),
            None => jiff::tz::TimeZone::UTC.to_datetime(ts).date().to_string(),
        }
    }
}

/// The roles of the authors of a run of reports: looked up once per run of reports by the same
/// author (interned in the report store: the same `&Id`); and the parties they name, each held
/// once ([`Party`]).
pub struct Roles<'a> {
    roles: &'a std::collections::BTreeMap<Id, Role>,
    last: Option<(*const Id, Role, Party)>,
    parties: std::collections::HashMap<Id, Party>,
}

impl<'a> Roles<'a> {
    /// Over the snapshot's roles.
    pub fn new(roles: &'a std::collections::BTreeMap<Id, Role>) -> Roles<'a> {
        Roles {
            roles,
            last: None,
            parties: std::collections::HashMap::new(),
        }
    }

    /// The role of `author` (open data when unregistered).
    pub fn of(&mut self, author: &Id) -> Role {
        self.author(author).0
    }

    /// The role of `author` and the party shared by every report naming it.
    fn author(&mut self, author: &Id) -> (Role, Party) {
        match &self.last {
            Some((a, role, p)) if std::ptr::eq(*a, author) => (*role, p.clone()),
            _ => {
                let role = self.roles.get(author).copied().unwrap_or(Role::OpenData);
                let p = self.party(author);
                self.last = Some((author, role, p.clone()));
                (role, p)
            }
        }
    }

    /// The party `id`, shared with every report naming it.
    pub fn party(&mut self, id: &Id) -> Party {
        if let Some(p) = self.parties.get(id) {
            return p.clone();
        }
        let p = Party::from(id.clone());
        self.parties.insert(id.clone(), p.clone());
        p
    }

    /// One report of the ledger's store as the engine sees it ([`report_in`]), its author's role
    /// looked up and its parties shared with the other reports read through `self`.
    pub fn report(&mut self, r: &truce_model::reports::ReportRef<'_>) -> ReportIn {
        let (role, author) = self.author(r.author());
        let perpetrator = r.perpetrator().map(|p| self.party(p));
        let relays = r.relays().map(|p| self.party(p));
        report_in_as(r, role, author, perpetrator, relays)
    }
}

/// One report of the ledger's store as the engine sees it, its author's role given (its parties
/// held for it alone: [`Roles::report`] shares them across a snapshot).
pub fn report_in(r: &truce_model::reports::ReportRef<'_>, role: Role) -> ReportIn {
    report_in_as(
        r,
        role,
        Party::from(r.author().clone()),
        r.perpetrator().cloned().map(Party::from),
        r.relays().cloned().map(Party::from),
    )
}

fn report_in_as(
    r: &truce_model::reports::ReportRef<'_>,
    role: Role,
    author: Party,
    perpetrator: Option<Party>,
    relays: Option<Party>,
) -> ReportIn {
    let [lon, lat] = r.point();
    ReportIn {
        index: r.index(),
        entry_id: EntryId(*r.entry_digest()),
        author,
        role,
        id: r.id_owned(),
        act: r.act(),
        perpetrator,
        relays,
        denies: r.denies().cloned().collect(),
        point: [lon, lat],
        uncertainty_m: r.uncertainty_m(),
        start: r.start_second(),
        end: r.end_second(),
        target: r.target().cloned(),
        static_source: r.static_source(),
    }
}

/// The entry id of the current revision of the report `r` refers to (an entry id of any of its
/// revisions, or `<author>/<report id>`).
fn current_report(ledger: &Ledger, r: &str) -> Option<String> {
    let id = ledger.resolve_report(r).ok()?;
    match ledger.entry(&id) {
        Some(EntryAt {
            author,
            key: Some(rid),
            ..
        }) => ledger
            .reports
            .get(&author, rid.as_str())
            .filter(|rec| rec.retracted().is_none())
            .map(|rec| rec.entry_id()),
        _ => Some(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_id_is_its_hex_both_ways_and_orders_as_its_hex() {
        let hexes = [
            "00".repeat(32),
            format!("{}ff", "0".repeat(62)),
            "0123456789abcdef".repeat(4),
            "f0".repeat(32),
        ];
        let ids: Vec<EntryId> = hexes.iter().map(|h| h.parse().unwrap()).collect();
        for (h, e) in hexes.iter().zip(&ids) {
            assert_eq!(&e.to_string(), h);
            assert_eq!(serde_json::to_value(e).unwrap(), serde_json::json!(h));
            let back: EntryId = serde_json::from_value(serde_json::json!(h)).unwrap();
            assert_eq!(&back, e);
        }
        for (a, b) in ids.iter().zip(&ids[1..]) {
            assert!(a < b);
        }
        // Only what the ledger writes: 64 lowercase hex digits.
        for bad in [
            "",
            "ab",
            &"AB".repeat(32),
            &"g0".repeat(32),
            &"00".repeat(33),
        ] {
            assert_eq!(EntryId::from_hex(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_party_is_its_id() {
        let a: Party = Id::new("ua").unwrap().into();
        let b = a.clone();
        assert_eq!(a, b);
        assert_eq!(a, Id::new("ua").unwrap());
        assert_eq!(a.to_string(), "ua");
        assert_eq!(format!("{a:>4}"), "  ua");
        let ub: Party = Id::new("ub").unwrap().into();
        assert!(a < ub);
    }
}
