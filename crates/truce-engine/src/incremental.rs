//! Incremental judgement: a judgement kept up to date as the log grows, re-judging only what an
//! appended entry can change, and always byte-identical to [`judge`](crate::judge) of the same
//! snapshot ([`Incremental::snapshot`]).
//!
//! [`Incremental::new`] judges a snapshot in full and keeps, beside the [`Judgement`], what it
//! needs to update it: every report's component of the link graph (a grid index of the precise
//! reports finds what a new one links to), the teaching detections of every baseline cell and the
//! hot spots they make, each detection's hot spot, each incident's findings before release
//! clauses. [`Incremental::apply`] takes a [`Delta`] (what the log appended) and says in
//! [`Rejudged`] what it re-judged.
//!
//! # What a change can reach, and what is re-judged
//!
//! - **A report** added, revised (a new revision moves to its new index) or retracted: the
//!   incidents within its reach. Clustering is local: every rule of steps 1 and 3 of the
//!   incident rules (the link rule, the no-bridging split, detections pulled in within reach,
//!   detections touching a protected site) looks only inside one connected component of the
//!   link graph over the precise reports. So the components the report joins (merged by a new
//!   report, split again when one leaves) are judged again as a whole — their incidents and
//!   background detections replaced, spliced into the sorted outputs. An imprecise report is a
//!   component of its own.
//! - **A baseline cell** turning routine or not, or its hot spot's days, times or counts
//!   changing (the baseline learns from the detections in no incident of step 1, so a
//!   re-judged component can change what teaches): every detection whose hot-spot lookup can
//!   see that cell (its own and the neighbouring cells) has its routine description recomputed;
//!   the components of those whose description changed are judged again too (their incidents,
//!   findings, touching detections and background rows name it).
//! - **A newly established or changed breach**: release clauses make later findings under the
//!   same reading depend on earlier ones. The release pass is re-run, over the findings that
//!   name a party, for every reading with a release clause whose findings naming a party
//!   changed, or when the invocations changed. Findings naming nobody never take part in it.
//! - **An assessment** (added, changed or retracted): the components holding the reports it
//!   names (their incidents' grades and reviews, and whether a detection counts as one), and so
//!   the findings and release passes that depend on them, as above.
//! - **A party's role** (a registration): the components of the reports relaying that party's
//!   claims (the only place a role not stated in a report is read: the origin of a relayed
//!   claim).
//! - **An invocation**: the release pass of every reading with a release clause.
//! - **A reading, site list, review policy (quorums), time zone, phase status (ends),
//!   extension or condition version**: everything it governs — a full re-judge, said in
//!   [`Rejudged::full`]. They are rare.
//! - **Maritime data** ([`Snapshot::maritime`]: vessels' static data, their tracks, what reports
//!   say of a vessel): a full re-judge when it changes, said in [`Rejudged::full`] (a report
//!   naming a vessel changes it; a report of a vessel act that names none is matched to tracks
//!   within its component, as any report is judged there).
//! - **Line-of-contact data** ([`Snapshot::front`]: every line version, what reports say of
//!   weapons and of where fire came from): a full re-judge when it changes, said in
//!   [`Rejudged::full`].
//! - **A report filed out of log order** (an index not after every report held): a full
//!   re-judge.
//!
//! `Snapshot::reports` keeps its meaning: the latest revision of each report, retracted ones left
//! out, in log order (reports of one index by author, then id).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use truce_model::domain::Role;
use truce_model::Id;

use crate::adjudicate::{self, Near, Span};
use crate::background::nth_at;
use crate::baseline::{self, Baseline};
use crate::cluster::{self, Obs};
use crate::incidents::{self, HotKey, Linked};
use crate::input::{
    AssessmentIn, ConditionIn, EndIn, EntryId, ExtensionIn, InvocationIn, Party, PolicyIn,
    ReadingIn, ReportIn, SiteIn,
};
use crate::types::{
    Background, BackgroundRef, BaselineSummary, Finding, Incident, Judgement, RULES_VERSION,
};
use crate::{Params, Snapshot};

/// What the log appended since the last [`Incremental::apply`] (or [`Incremental::new`]).
#[derive(Debug, Clone, Default)]
pub struct Delta {
    /// The log size the snapshot now covers.
    pub log_size: u64,
    /// Reports added or replaced (a new revision or a correction: keyed by (author, id)), or gone
    /// (retracted: None), in log order. The last change of a key wins. A new or replaced report
    /// is expected after every report held (a higher log index): one that is not makes a full
    /// re-judge.
    pub reports: Vec<((Id, Id), Option<ReportIn>)>,
    /// The new full list of assessments, when it changed.
    pub assessments: Option<Vec<AssessmentIn>>,
    /// The new full list of review policies, when it changed (a full re-judge).
    pub policies: Option<Vec<PolicyIn>>,
    /// The new full list of invocations, when it changed.
    pub invocations: Option<Vec<InvocationIn>>,
    /// The new full list of sites, when it changed (a full re-judge).
    pub sites: Option<Vec<SiteIn>>,
    /// The new full list of reading versions, when it changed (a full re-judge).
    pub readings: Option<Vec<ReadingIn>>,
    /// The new roles, when they changed.
    pub roles: Option<BTreeMap<Id, Role>>,
    /// The new time zones, when they changed (a full re-judge).
    pub zones: Option<BTreeMap<Id, jiff::tz::TimeZone>>,
    /// The new ends (lapses and collapses), when they changed (a full re-judge).
    pub ends: Option<BTreeMap<Id, Vec<EndIn>>>,
    /// The new full list of extensions, when it changed (a full re-judge).
    pub extensions: Option<Vec<ExtensionIn>>,
    /// The new full list of condition versions, when it changed (a full re-judge).
    pub conditions: Option<Vec<ConditionIn>>,
    /// The new maritime data, when it changed (a full re-judge).
    pub maritime: Option<crate::input::Maritime>,
    /// The new line-of-contact data, when it changed (a full re-judge).
    pub front: Option<crate::input::Front>,
}

/// What an [`Incremental::apply`] re-judged, for logs and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rejudged {
    /// Set when everything was judged again, with why (a reading changed, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full: Option<String>,
    /// Reports added, replaced or retracted.
    pub reports_changed: u64,
    /// Reports in the components judged again (re-clustered).
    pub reclustered: u64,
    /// Baseline cells whose hot spot appeared, went or changed.
    pub cells_changed: u64,
    /// Detections outside the re-judged components whose routine description changed (their
    /// components were then judged again too).
    pub routine_changed: u64,
    /// Incidents removed and added.
    pub incidents_removed: u64,
    /// Incidents added.
    pub incidents_added: u64,
    /// Background detections removed.
    pub background_removed: u64,
    /// Background detections added.
    pub background_added: u64,
    /// Readings (agreement × party) whose release pass was run again.
    pub released: u64,
    /// (start, log index) of every background row removed, in no particular order: a row judged
    /// again and still background is both here and in `background_new`. Empty after a full
    /// re-judge (`full`: every row may have changed).
    #[serde(skip)]
    pub background_gone: Vec<(i64, u64)>,
    /// (start, log index) of every background row added ([`Incremental::background_row`] reads
    /// it). Empty after a full re-judge.
    #[serde(skip)]
    pub background_new: Vec<(i64, u64)>,
    /// Ids of the incidents removed or added (an incident judged again is both), in no order:
    /// every incident that can differ from before. Empty after a full re-judge.
    #[serde(skip)]
    pub incidents_touched: Vec<String>,
    /// (agreement, party) of the readings whose release pass ran again: any of their findings
    /// naming a party can differ from before (beside the findings of `incidents_touched`).
    /// Empty after a full re-judge.
    #[serde(skip)]
    pub readings_released: Vec<(Id, Id)>,
}

/// A judgement kept up to date: see the [module documentation](self).
pub struct Incremental {
    snap: Snapshot,
    p: Params,
    j: Judgement,
    near: Near,
    /// Per reading (agreement × party, in judgement order): whether a version has a release
    /// clause.
    clause: Vec<bool>,
    /// Each report's slot, parallel to `snap.reports`: ascending (slots are handed out in log
    /// order), so a slot's position is found by binary search.
    slot_at: Vec<u32>,
    slots: Vec<Slot>,
    keys: KeyMap,
    links: cluster::Links,
    /// Components of at least two reports, by id (a slot with `comp == NONE` is alone).
    comps: Vec<Vec<u32>>,
    comp_free: Vec<u32>,
    baseline: Baseline,
    /// Each baseline cell's teaching detections: (time, static source), ascending.
    teach: HashMap<u64, Vec<(i64, bool)>>,
    /// Each baseline cell's detections (all of them), by slot.
    dets: HashMap<u64, Vec<u32>>,
    learned: u64,
    routine_n: u64,
    /// Incident handles: (start, id) of a live incident.
    incs: Vec<Option<(i64, String)>>,
    inc_free: Vec<u32>,
    /// Parallel to `j.incidents`.
    inc_meta: Vec<IncMeta>,
    /// Each hot spot's routine description: its position in `j.routines`.
    routine_ix: HashMap<HotKey, u32>,
    /// Whether `snap.reports` is in log order (as every snapshot of a log is).
    sorted: bool,
    /// The parties of the reports that arrived, each held once.
    parties: HashMap<Id, Party>,
    /// Parallel to `j.findings`: (reading, incident start, incident id).
    f_keys: Vec<(usize, i64, String)>,
}

const NONE: u32 = u32::MAX;
const ALIVE: u8 = 1;
/// A sensor detection (whether or not an assessment names it).
const DET: u8 = 2;
/// Teaches the baseline.
const TEACH: u8 = 4;
/// A background detection.
const BG: u8 = 8;
/// Precise: in the link index.
const LINKED: u8 = 16;
/// Strong: a precise report whose links count ([`incidents::strong_components`]).
const STRONG: u8 = 32;

#[derive(Debug, Clone)]
struct Slot {
    comp: u32,
    inc: u32,
    /// A detection's baseline cell.
    cell: u64,
    /// A detection's hot spot, as its description names it.
    hot: Option<HotKey>,
    flags: u8,
}

impl Slot {
    fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// What an incident keeps beside its published form.
#[derive(Debug, Clone)]
struct IncMeta {
    start: i64,
    id: String,
    end: i64,
    /// Readings under which it has a finding.
    ks: Vec<usize>,
    /// Findings before the release pass, for readings with a release clause and findings naming
    /// a party: (reading, position of the deciding version, finding).
    pre: Vec<(usize, usize, Finding)>,
}

/// An incident of a judged region.
struct NewIncident {
    start: i64,
    end: i64,
    incident: Incident,
    members: Vec<u32>,
    /// (reading, position of the deciding version, finding before the release pass).
    findings: Vec<(usize, usize, Finding)>,
}

/// What judging a region gave.
struct RegionOut {
    incidents: Vec<NewIncident>,
    /// The background detections: (slot, routine description).
    background: Vec<(u32, u32)>,
}

/// An incident as the release pass sees it.
struct IncSpan<'a> {
    start: i64,
    end: i64,
    inc: &'a Incident,
}

impl Span for IncSpan<'_> {
    fn start(&self) -> i64 {
        self.start
    }
    fn end(&self) -> i64 {
        self.end
    }
    fn member_ids(&self) -> BTreeSet<std::borrow::Cow<'_, str>> {
        self.inc
            .members
            .iter()
            .map(|m| std::borrow::Cow::Borrowed(m.entry_id.as_str()))
            .collect()
    }
}

/// Reports' slots by a hash of (author, id): compact, checked against the report on lookup.
#[derive(Default)]
struct KeyMap {
    one: HashMap<u64, u32>,
    more: HashMap<u64, Vec<u32>>,
}

fn key_hash(author: &Id, id: &Id) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    author.hash(&mut h);
    id.hash(&mut h);
    h.finish()
}

impl KeyMap {
    fn insert(&mut self, h: u64, s: u32) {
        match self.one.entry(h) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(s);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(h).or_default().push(s);
            }
        }
    }

    fn candidates(&self, h: u64) -> impl Iterator<Item = u32> + '_ {
        self.one
            .get(&h)
            .copied()
            .into_iter()
            .chain(self.more.get(&h).into_iter().flatten().copied())
    }

    fn remove(&mut self, h: u64, s: u32) {
        if self.one.get(&h) == Some(&s) {
            let next = self.more.get_mut(&h).and_then(Vec::pop);
            match next {
                Some(x) => {
                    self.one.insert(h, x);
                }
                None => {
                    self.one.remove(&h);
                }
            }
        } else if let Some(v) = self.more.get_mut(&h) {
            v.retain(|&x| x != s);
        }
        if self.more.get(&h).is_some_and(Vec::is_empty) {
            self.more.remove(&h);
        }
    }
}

/// Removes the values at positions `rm` of `meta`/`vals` (parallel, sorted by `cmp`) and puts
/// `insert` in at their places in `cmp` order. A value whose key is both removed and inserted
/// (a row judged again) is replaced where it stands; the rest is rebuilt only between the first
/// and last position that changes, and the tail after it moves once, if at all.
fn splice<M: Clone, V: Clone>(
    meta: &mut Vec<M>,
    vals: &mut Vec<V>,
    rm: Vec<usize>,
    insert: Vec<(M, V)>,
    cmp: impl Fn(&M, &M) -> Ordering,
) {
    let mut rm: BTreeSet<usize> = rm.into_iter().collect();
    // Rows judged again under the same key: replaced in place.
    let mut rest = Vec::with_capacity(insert.len());
    for (m, v) in insert {
        let at = meta.partition_point(|x| cmp(x, &m) == Ordering::Less);
        if at < meta.len() && cmp(&meta[at], &m) == Ordering::Equal && rm.remove(&at) {
            meta[at] = m;
            vals[at] = v;
        } else {
            rest.push((m, v));
        }
    }
    if rm.is_empty() && rest.is_empty() {
        return;
    }
    rest.sort_by(|a, b| cmp(&a.0, &b.0));
    let mut lo = usize::MAX;
    let mut hi = 0;
    if let (Some(&f), Some(&l)) = (rm.first(), rm.last()) {
        lo = f;
        hi = l + 1;
    }
    if let (Some((f, _)), Some((l, _))) = (rest.first(), rest.last()) {
        lo = lo.min(meta.partition_point(|x| cmp(x, f) == Ordering::Less));
        hi = hi.max(meta.partition_point(|x| cmp(x, l) != Ordering::Greater));
    }
    let hi = hi.max(lo);
    let mut new_m = Vec::with_capacity(hi - lo + rest.len());
    let mut new_v = Vec::with_capacity(hi - lo + rest.len());
    let mut ins = rest.into_iter().peekable();
    for pos in lo..hi {
        if rm.contains(&pos) {
            continue;
        }
        while let Some((x, y)) = ins.next_if(|(x, _)| cmp(x, &meta[pos]) == Ordering::Less) {
            new_m.push(x);
            new_v.push(y);
        }
        new_m.push(meta[pos].clone());
        new_v.push(vals[pos].clone());
    }
    for (x, y) in ins {
        new_m.push(x);
        new_v.push(y);
    }
    meta.splice(lo..hi, new_m);
    vals.splice(lo..hi, new_v);
}

/// [`splice`] of one list of rows, each its own key.
fn splice_rows<T: Clone>(
    rows: &mut Vec<T>,
    rm: Vec<usize>,
    insert: Vec<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
) {
    let mut rm: BTreeSet<usize> = rm.into_iter().collect();
    // Rows judged again under the same key: replaced in place.
    let mut rest = Vec::with_capacity(insert.len());
    for v in insert {
        let at = rows.partition_point(|x| cmp(x, &v) == Ordering::Less);
        if at < rows.len() && cmp(&rows[at], &v) == Ordering::Equal && rm.remove(&at) {
            rows[at] = v;
        } else {
            rest.push(v);
        }
    }
    if rm.is_empty() && rest.is_empty() {
        return;
    }
    rest.sort_by(&cmp);
    let mut lo = usize::MAX;
    let mut hi = 0;
    if let (Some(&f), Some(&l)) = (rm.first(), rm.last()) {
        lo = f;
        hi = l + 1;
    }
    if let (Some(f), Some(l)) = (rest.first(), rest.last()) {
        lo = lo.min(rows.partition_point(|x| cmp(x, f) == Ordering::Less));
        hi = hi.max(rows.partition_point(|x| cmp(x, l) != Ordering::Greater));
    }
    let hi = hi.max(lo);
    let mut new = Vec::with_capacity(hi - lo + rest.len());
    let mut ins = rest.into_iter().peekable();
    for (pos, row) in rows.iter().enumerate().take(hi).skip(lo) {
        if rm.contains(&pos) {
            continue;
        }
        while let Some(x) = ins.next_if(|x| cmp(x, row) == Ordering::Less) {
            new.push(x);
        }
        new.push(row.clone());
    }
    new.extend(ins);
    rows.splice(lo..hi, new);
}

/// Step 1 over a region's snapshot ([`incidents::link`]), with what may touch read from `near`.
fn link_region(sub: &Snapshot, near: &Near, p: &Params) -> Linked {
    let versions = adjudicate::reading_versions(sub);
    let touch = adjudicate::Touch::new(near, &versions);
    incidents::link(sub, p, &touch)
}

/// Judges the reports of `sub` (whole components, in log order; `slots[i]` is report `i`'s
/// slot) given step 1 and each report's routine description (a position in `texts`).
fn judge_region(
    sub: &Snapshot,
    slots: &[u32],
    linked: Linked,
    routine: incidents::Routine<'_>,
    near: &Near,
    p: &Params,
) -> RegionOut {
    let versions = adjudicate::reading_versions(sub);
    let touch = adjudicate::Touch::new(near, &versions);
    let (mut built, background) = incidents::finish(sub, p, &touch, linked, routine);
    near.match_vessels(sub, &mut built);
    let incidents = built
        .into_iter()
        .map(|b| {
            let hits = if sub.readings.is_empty() {
                Vec::new()
            } else {
                near.hits(sub, &b, p)
            };
            let findings = versions
                .iter()
                .enumerate()
                .filter_map(|(k, vs)| {
                    adjudicate::pre_finding(sub, &b, &hits, vs, p).map(|(f, at)| (k, at, f))
                })
                .collect();
            NewIncident {
                start: b.start,
                end: b.end,
                members: b.members.iter().map(|&i| slots[i]).collect(),
                incident: b.incident,
                findings,
            }
        })
        .collect();
    let background = background
        .into_iter()
        .map(|i| (slots[i], routine.of[i]))
        .collect();
    RegionOut {
        incidents,
        background,
    }
}

fn cmp_inc(a: &IncMeta, b: &IncMeta) -> Ordering {
    (a.start, a.id.as_str()).cmp(&(b.start, b.id.as_str()))
}

impl Incremental {
    /// Judges `snap` in full (as [`judge`](crate::judge)) and keeps what later updates need.
    pub fn new(snap: Snapshot, p: Params) -> Incremental {
        Incremental::full(snap, p)
    }

    /// The background row of the detection at log index `key.1` starting at `key.0` (unix
    /// seconds), if it is background now: what [`Rejudged::background_new`] names, in full
    /// (read from the snapshot).
    pub fn background_row(&self, key: (i64, u64)) -> Option<Background> {
        self.background_view(key).map(|v| v.full())
    }

    /// [`Incremental::background_row`] as a view of its report in the snapshot.
    pub fn background_view(&self, key: (i64, u64)) -> Option<crate::BackgroundView<'_>> {
        let b = &self.j.background;
        let p = b.partition_point(|k| (k.start, k.index) < key);
        b.get(p)
            .filter(|k| (k.start, k.index) == key)
            .and_then(|_| self.j.background_view_at(&self.snap, p))
    }

    /// The judgement: always what [`judge`](crate::judge) gives for [`Incremental::snapshot`].
    pub fn judgement(&self) -> &Judgement {
        &self.j
    }

    /// The snapshot judged.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    /// The parameters judged with.
    pub fn params(&self) -> &Params {
        &self.p
    }

    /// Consumes the state, returning the snapshot and its judgement.
    pub fn into_parts(self) -> (Snapshot, Judgement) {
        (self.snap, self.j)
    }

    fn full(snap: Snapshot, p: Params) -> Incremental {
        let mut warnings = Vec::new();
        let near = Near::new(&snap, &mut warnings);
        let clause = adjudicate::reading_versions(&snap)
            .iter()
            .map(|vs| vs.iter().any(|v| adjudicate::has_release(v)))
            .collect();
        let n = snap.reports.len();
        let baseline = Baseline::empty(&p.baseline);
        let mut slots = Vec::with_capacity(n);
        let mut keys = KeyMap::default();
        let mut dets: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut links = cluster::Links::new(p.max_gap_s);
        for (i, r) in snap.reports.iter().enumerate() {
            let s = i as u32;
            let mut slot = Slot {
                comp: NONE,
                inc: NONE,
                cell: 0,
                hot: None,
                flags: ALIVE,
            };
            if incidents::is_detection(r) {
                slot.flags |= DET;
                slot.cell = baseline.cell_of(r.point);
                dets.entry(slot.cell).or_default().push(s);
            }
            if incidents::precise(r, &p) {
                slot.flags |= LINKED;
                links.insert(s, &incidents::obs_of(r, &p));
            }
            keys.insert(key_hash(&r.author, &r.id), s);
            slots.push(slot);
        }
        let log_size = snap.log_size;
        let sorted = snap.reports.windows(2).all(|w| w[0].index <= w[1].index);
        let mut me = Incremental {
            snap,
            p,
            j: Judgement {
                rules: RULES_VERSION.to_string(),
                log_size,
                baseline: BaselineSummary {
                    learned_from: 0,
                    hot_spots: 0,
                    routine_detections: 0,
                },
                incidents: Vec::new(),
                background: Vec::new(),
                routines: Vec::new(),
                findings: Vec::new(),
                warnings,
            },
            near,
            clause,
            slot_at: (0..n as u32).collect(),
            slots,
            keys,
            links,
            comps: Vec::new(),
            comp_free: Vec::new(),
            baseline,
            teach: HashMap::new(),
            dets,
            learned: 0,
            routine_n: 0,
            incs: Vec::new(),
            inc_free: Vec::new(),
            inc_meta: Vec::new(),
            routine_ix: HashMap::new(),
            sorted,
            parties: HashMap::new(),
            f_keys: Vec::new(),
        };
        let sub = me.take_sub(None);
        let linked = link_region(&sub, &me.near, &me.p);
        for (i, &st) in linked.strong.iter().enumerate() {
            if st {
                me.slots[i].flags |= STRONG;
            }
        }
        for c in &linked.components {
            if c.len() >= 2 {
                let id = me.comps.len() as u32;
                for &i in c {
                    me.slots[i as usize].comp = id;
                }
                me.comps.push(c.clone());
            }
        }
        for (i, r) in sub.reports.iter().enumerate() {
            if linked.teaches(i) {
                me.slots[i].flags |= TEACH;
                me.learned += 1;
                if r.point[0].is_finite() && r.point[1].is_finite() {
                    me.teach
                        .entry(me.slots[i].cell)
                        .or_default()
                        .push((r.start, r.static_source));
                }
            }
        }
        let mut spots = Vec::new();
        for (&cell, v) in me.teach.iter_mut() {
            v.sort_unstable();
            if let Some(h) = baseline::spot_of(v.iter().copied(), &me.p.baseline) {
                spots.push((cell, h));
            }
        }
        spots.sort_unstable_by_key(|(c, _)| *c);
        for (cell, h) in spots {
            me.baseline.set(cell, Some(h));
        }
        let mut of = Vec::with_capacity(n);
        for (i, r) in sub.reports.iter().enumerate() {
            let h = if me.slots[i].has(DET) {
                me.baseline
                    .hot_spot(r.point)
                    .map(|h| incidents::hot_key(&h))
            } else {
                None
            };
            me.slots[i].hot = h;
            me.routine_n += u64::from(h.is_some());
            of.push(me.intern(h));
        }
        let routine = incidents::Routine {
            texts: &me.j.routines,
            of: &of,
        };
        let out = judge_region(&sub, &me.slot_at, linked, routine, &me.near, &me.p);
        drop(of);
        me.restore_sub(sub, true);
        me.install(
            BTreeSet::new(),
            Vec::new(),
            out,
            false,
            &mut Rejudged::default(),
        );
        me
    }

    /// Updates the judgement with what the log appended: see the [module
    /// documentation](self) for what each kind of change re-judges.
    pub fn apply(&mut self, d: Delta) -> Rejudged {
        let mut rj = Rejudged::default();
        self.snap.log_size = d.log_size;
        self.j.log_size = d.log_size;
        let mut why: Vec<&str> = Vec::new();
        macro_rules! governs {
            ($field:ident, $why:expr) => {
                if let Some(v) = d.$field {
                    if v != self.snap.$field {
                        self.snap.$field = v;
                        why.push($why);
                    }
                }
            };
        }
        governs!(readings, "a reading changed");
        governs!(sites, "the sites changed");
        governs!(policies, "a review policy changed");
        governs!(zones, "an agreement's time zone changed");
        governs!(ends, "a phase's status changed");
        governs!(extensions, "a consent to extend changed");
        governs!(conditions, "a condition's status changed");
        governs!(
            maritime,
            "vessels, tracks or a report naming a vessel changed"
        );
        governs!(
            front,
            "a line version or a report stating a weapon or where fire came from changed"
        );
        let mut named: BTreeSet<EntryId> = BTreeSet::new();
        if let Some(v) = d.assessments {
            if v != self.snap.assessments {
                named = changed_names(&self.snap.assessments, &v);
                self.snap.assessments = v;
            }
        }
        // Roles matter only to the origin of a relayed claim.
        let mut relayed: BTreeSet<Id> = BTreeSet::new();
        if let Some(v) = d.roles {
            if v != self.snap.roles {
                relayed = self
                    .snap
                    .roles
                    .keys()
                    .chain(v.keys())
                    .filter(|p| self.snap.roles.get(*p) != v.get(*p))
                    .cloned()
                    .collect();
                self.snap.roles = v;
            }
        }
        let mut invoked = false;
        if let Some(v) = d.invocations {
            if v != self.snap.invocations {
                self.snap.invocations = v;
                invoked = true;
            }
        }
        let (removals, mut additions) = self.net(d.reports);
        rj.reports_changed = (removals.len() + additions.len()) as u64;
        for r in &mut additions {
            self.share_parties(r);
        }
        if removals.iter().any(|&s| self.shares_index(s)) {
            why.push("a report left whose log index another report shares");
        }
        let last = self
            .snap
            .reports
            .last()
            .map(|r| (r.index, r.author.clone(), r.id.clone()));
        let in_order = match (additions.first(), &last) {
            (Some(a), Some(l)) => (a.index, a.author.clone(), a.id.clone()) > *l,
            _ => true,
        };
        if !in_order {
            why.push("a report filed out of log order");
        }
        if !why.is_empty() {
            self.reports_in_place(removals, additions);
            let snap = std::mem::take(&mut self.snap);
            *self = Incremental::full(snap, self.p.clone());
            rj.full = Some(why.join("; "));
            rj.reclustered = self.snap.reports.len() as u64;
            rj.incidents_added = self.j.incidents.len() as u64;
            rj.background_added = self.j.background.len() as u64;
            return rj;
        }

        let mut dirty: BTreeSet<u32> = BTreeSet::new();
        let mut gone_inc: BTreeSet<u32> = BTreeSet::new();
        let mut gone_bg: Vec<(i64, u64, u32)> = Vec::new();
        let mut split: BTreeSet<u32> = BTreeSet::new();
        let mut touched: BTreeSet<u64> = BTreeSet::new();

        // Reports that leave: their outputs go, their components are split again.
        let mut rm_pos = Vec::with_capacity(removals.len());
        for s in removals {
            let Some(pos) = self.pos(s) else { continue };
            let r = &self.snap.reports[pos];
            let slot = &mut self.slots[s as usize];
            if slot.inc != NONE {
                gone_inc.insert(slot.inc);
            }
            if slot.has(BG) {
                gone_bg.push((
                    r.start,
                    r.index,
                    nth_at(&self.snap.reports, pos, self.sorted),
                ));
            }
            if slot.has(DET) {
                if let Some(v) = self.dets.get_mut(&slot.cell) {
                    v.retain(|&x| x != s);
                    if v.is_empty() {
                        self.dets.remove(&slot.cell);
                    }
                }
                self.routine_n -= u64::from(slot.hot.is_some());
            }
            if slot.has(TEACH) {
                self.learned -= 1;
                if r.point[0].is_finite() && r.point[1].is_finite() {
                    unteach(&mut self.teach, slot.cell, (r.start, r.static_source));
                    touched.insert(slot.cell);
                }
            }
            if slot.has(LINKED) {
                self.links.remove(s, &incidents::obs_of(r, &self.p));
            }
            if slot.comp != NONE {
                self.comps[slot.comp as usize].retain(|&x| x != s);
                split.insert(slot.comp);
            }
            self.keys.remove(key_hash(&r.author, &r.id), s);
            *slot = Slot {
                comp: NONE,
                inc: NONE,
                cell: 0,
                hot: None,
                flags: 0,
            };
            rm_pos.push(pos);
        }
        rm_pos.sort_unstable();
        remove_positions(&mut self.snap.reports, &rm_pos);
        remove_positions(&mut self.slot_at, &rm_pos);
        for c in split {
            let members = self.split_comp(c);
            dirty.extend(members);
        }

        // Reports that arrive: linked to what they reach, their components merged.
        let mut assessed: Option<std::collections::HashSet<EntryId>> = None;
        for r in additions {
            let s = self.slots.len() as u32;
            let mut slot = Slot {
                comp: NONE,
                inc: NONE,
                cell: 0,
                hot: None,
                flags: ALIVE,
            };
            if incidents::is_detection(&r) {
                slot.flags |= DET;
                slot.cell = self.baseline.cell_of(r.point);
                self.dets.entry(slot.cell).or_default().push(s);
            }
            let obs = incidents::precise(&r, &self.p).then(|| incidents::obs_of(&r, &self.p));
            if obs.is_some() {
                slot.flags |= LINKED;
            }
            self.keys.insert(key_hash(&r.author, &r.id), s);
            self.snap.reports.push(r);
            self.slot_at.push(s);
            self.slots.push(slot);
            if let Some(o) = obs {
                let pos = self.snap.reports.len() - 1;
                let strong = self.strong_at(pos, &mut assessed);
                if strong {
                    self.slots[s as usize].flags |= STRONG;
                }
                let mut reach = Vec::new();
                self.links.linked(&o, |x| self.obs(x), &mut reach);
                // A weak report links to strong ones only.
                if !strong {
                    reach.retain(|&x| self.slots[x as usize].has(STRONG));
                }
                self.links.insert(s, &o);
                self.merge(s, reach);
            }
            dirty.insert(s);
        }

        // Reports an assessment that changed names, and reports relaying a party whose role
        // changed.
        if !named.is_empty() || !relayed.is_empty() {
            let mut renamed = Vec::new();
            for (pos, r) in self.snap.reports.iter().enumerate() {
                if named.contains(&r.entry_id)
                    || r.relays.as_ref().is_some_and(|p| relayed.contains(p.id()))
                {
                    dirty.insert(self.slot_at[pos]);
                }
                if named.contains(&r.entry_id) {
                    renamed.push(pos);
                }
            }
            // A detection an assessment now names, or no longer names, turns strong or weak:
            // its links with weak reports start or stop counting.
            for pos in renamed {
                let s = self.slot_at[pos];
                if !self.slots[s as usize].has(LINKED) {
                    continue;
                }
                let strong = self.strong_at(pos, &mut assessed);
                if strong == self.slots[s as usize].has(STRONG) {
                    continue;
                }
                if strong {
                    self.slots[s as usize].flags |= STRONG;
                    let Some(o) = self.obs(s) else { continue };
                    let mut reach = Vec::new();
                    self.links.linked(&o, |x| self.obs(x), &mut reach);
                    reach.retain(|&x| x != s);
                    self.merge(s, reach);
                } else {
                    self.slots[s as usize].flags &= !STRONG;
                    let c = self.slots[s as usize].comp;
                    if c != NONE {
                        let members = self.split_comp(c);
                        dirty.extend(members);
                    }
                }
            }
        }

        // Round 1: step 1 of the dirty components, and what now teaches the baseline.
        let r1 = self.units(&dirty);
        let sub = self.take_sub(Some(&r1));
        let linked = link_region(&sub, &self.near, &self.p);
        for (i, &s) in r1.iter().enumerate() {
            let t = linked.teaches(i);
            let slot = &mut self.slots[s as usize];
            if t == slot.has(TEACH) {
                continue;
            }
            let r = &sub.reports[i];
            let finite = r.point[0].is_finite() && r.point[1].is_finite();
            if t {
                slot.flags |= TEACH;
                self.learned += 1;
                if finite {
                    let v = self.teach.entry(slot.cell).or_default();
                    let e = (r.start, r.static_source);
                    let at = v.partition_point(|x| *x < e);
                    v.insert(at, e);
                }
            } else {
                slot.flags &= !TEACH;
                self.learned -= 1;
                if finite {
                    unteach(&mut self.teach, slot.cell, (r.start, r.static_source));
                }
            }
            if finite {
                touched.insert(slot.cell);
            }
        }
        // The cells whose hot spot changed.
        let mut turned = Vec::new();
        for cell in touched {
            let spot = self
                .teach
                .get(&cell)
                .and_then(|v| baseline::spot_of(v.iter().copied(), &self.p.baseline));
            if spot != self.baseline.get(cell) {
                self.baseline.set(cell, spot);
                turned.push(cell);
            }
        }
        rj.cells_changed = turned.len() as u64;
        // Every detection that can see a changed cell, and the region's own: their hot spot now.
        let mut cands: BTreeSet<u32> = r1
            .iter()
            .copied()
            .filter(|&s| self.slots[s as usize].has(DET))
            .collect();
        for &cell in &turned {
            for c in self.baseline.reach_cells(cell) {
                if let Some(v) = self.dets.get(&c) {
                    cands.extend(v.iter().copied());
                }
            }
        }
        let mut more: BTreeSet<u32> = BTreeSet::new();
        for s in cands {
            let Some(pos) = self.pos(s) else { continue };
            let h = self
                .baseline
                .hot_spot(self.snap.reports[pos].point)
                .map(|h| incidents::hot_key(&h));
            let slot = &mut self.slots[s as usize];
            if h == slot.hot {
                continue;
            }
            self.routine_n =
                self.routine_n + u64::from(h.is_some()) - u64::from(slot.hot.is_some());
            slot.hot = h;
            if r1.binary_search(&s).is_err() {
                more.insert(s);
            }
        }
        rj.routine_changed = more.len() as u64;

        // Round 2: the components judged again, their old outputs replaced.
        let (out, region) = if more.is_empty() {
            let out = self.judge_region_of(&sub, &r1, linked);
            self.restore_sub(sub, false);
            (out, r1)
        } else {
            drop(linked);
            self.restore_sub(sub, false);
            dirty.extend(more);
            let r2 = self.units(&dirty);
            let sub = self.take_sub(Some(&r2));
            let linked = link_region(&sub, &self.near, &self.p);
            let out = self.judge_region_of(&sub, &r2, linked);
            self.restore_sub(sub, false);
            (out, r2)
        };
        rj.reclustered = region.len() as u64;
        for &s in &region {
            let Some(pos) = self.pos(s) else { continue };
            let slot = &mut self.slots[s as usize];
            if slot.inc != NONE {
                gone_inc.insert(slot.inc);
                slot.inc = NONE;
            }
            if slot.has(BG) {
                let r = &self.snap.reports[pos];
                gone_bg.push((
                    r.start,
                    r.index,
                    nth_at(&self.snap.reports, pos, self.sorted),
                ));
                slot.flags &= !BG;
            }
        }
        self.install(gone_inc, gone_bg, out, invoked, &mut rj);
        rj
    }

    /// Judges a region ([`judge_region`]) with its reports' hot spots as they stand.
    fn judge_region_of(&mut self, sub: &Snapshot, region: &[u32], linked: Linked) -> RegionOut {
        let of: Vec<u32> = region
            .iter()
            .map(|&s| {
                let h = self.slots[s as usize].hot;
                self.intern(h)
            })
            .collect();
        let routine = incidents::Routine {
            texts: &self.j.routines,
            of: &of,
        };
        judge_region(sub, region, linked, routine, &self.near, &self.p)
    }

    /// The position of a hot spot's routine description in `j.routines` (added when new).
    fn intern(&mut self, h: Option<HotKey>) -> u32 {
        let Some(h) = h else {
            return BackgroundRef::NOT_ROUTINE;
        };
        let routines = &mut self.j.routines;
        *self.routine_ix.entry(h).or_insert_with(|| {
            routines.push(incidents::describe(h));
            (routines.len() - 1) as u32
        })
    }

    /// Drops the routine descriptions no background detection names any more, once they
    /// outnumber the hot spots (hot spots that changed leave theirs behind).
    fn compact_routines(&mut self) {
        if self.j.routines.len() <= 2 * self.baseline.len() + 64 {
            return;
        }
        let mut used = vec![false; self.j.routines.len()];
        for b in &self.j.background {
            if let Some(u) = used.get_mut(b.routine as usize) {
                *u = true;
            }
        }
        let mut to = vec![BackgroundRef::NOT_ROUTINE; used.len()];
        let mut kept = Vec::new();
        for (k, text) in std::mem::take(&mut self.j.routines).into_iter().enumerate() {
            if used[k] {
                to[k] = kept.len() as u32;
                kept.push(text);
            }
        }
        for b in &mut self.j.background {
            if let Some(&k) = to.get(b.routine as usize) {
                b.routine = k;
            }
        }
        self.routine_ix.retain(|_, k| {
            let moved = to.get(*k as usize).copied();
            match moved {
                Some(n) if n != BackgroundRef::NOT_ROUTINE => {
                    *k = n;
                    true
                }
                _ => false,
            }
        });
        self.j.routines = kept;
    }

    /// Makes an arriving report name the parties already held (one shared [`Party`] each).
    fn share_parties(&mut self, r: &mut ReportIn) {
        let mut share = |p: &mut Party| {
            let held = self
                .parties
                .entry(p.id().clone())
                .or_insert_with(|| p.clone());
            *p = held.clone();
        };
        share(&mut r.author);
        if let Some(p) = &mut r.perpetrator {
            share(p);
        }
        if let Some(p) = &mut r.relays {
            share(p);
        }
    }

    /// Whether another report held has the log index of the report in slot `s` (its leaving
    /// would renumber the others' [`BackgroundRef::nth`]).
    fn shares_index(&self, s: u32) -> bool {
        let Some(pos) = self.pos(s) else {
            return false;
        };
        let reports = &self.snap.reports;
        let index = reports[pos].index;
        if self.sorted {
            (pos > 0 && reports[pos - 1].index == index)
                || reports.get(pos + 1).is_some_and(|r| r.index == index)
        } else {
            reports
                .iter()
                .enumerate()
                .any(|(i, r)| i != pos && r.index == index)
        }
    }

    /// The net change of each report key: slots that leave and reports that arrive (in log
    /// order).
    fn net(&self, reports: Vec<((Id, Id), Option<ReportIn>)>) -> (Vec<u32>, Vec<ReportIn>) {
        let mut last: BTreeMap<(Id, Id), Option<ReportIn>> = BTreeMap::new();
        for (k, v) in reports {
            last.insert(k, v);
        }
        let (mut removals, mut additions) = (Vec::new(), Vec::new());
        for ((author, id), v) in last {
            let old = self.find(&author, &id);
            match (old, v) {
                (None, None) => {}
                (Some(s), None) => removals.push(s),
                (Some(s), Some(r)) => {
                    if self.pos(s).map(|p| &self.snap.reports[p]) != Some(&r) {
                        removals.push(s);
                        additions.push(r);
                    }
                }
                (None, Some(r)) => additions.push(r),
            }
        }
        additions.sort_by(|a, b| (a.index, &a.author, &a.id).cmp(&(b.index, &b.author, &b.id)));
        (removals, additions)
    }

    /// Applies report changes to the snapshot alone (before a full re-judge).
    fn reports_in_place(&mut self, removals: Vec<u32>, additions: Vec<ReportIn>) {
        let mut rm: Vec<usize> = removals.iter().filter_map(|&s| self.pos(s)).collect();
        rm.sort_unstable();
        remove_positions(&mut self.snap.reports, &rm);
        for r in additions {
            let at = self
                .snap
                .reports
                .partition_point(|x| (x.index, &x.author, &x.id) < (r.index, &r.author, &r.id));
            self.snap.reports.insert(at, r);
        }
    }

    /// The slot of the report (author, id), if held.
    fn find(&self, author: &Id, id: &Id) -> Option<u32> {
        self.keys.candidates(key_hash(author, id)).find(|&s| {
            self.pos(s).is_some_and(|p| {
                let r = &self.snap.reports[p];
                &r.author == author && &r.id == id
            })
        })
    }

    /// A live slot's position in `snap.reports`.
    fn pos(&self, s: u32) -> Option<usize> {
        self.slot_at.binary_search(&s).ok()
    }

    /// A precise report's place and reach.
    fn obs(&self, s: u32) -> Option<Obs> {
        let r = &self.snap.reports[self.pos(s)?];
        incidents::precise(r, &self.p).then(|| incidents::obs_of(r, &self.p))
    }

    /// Whether the report at `pos` is strong ([`incidents::Linked::strong`]), `assessed` the
    /// entry ids the assessments name (computed at the first call).
    fn strong_at(
        &self,
        pos: usize,
        assessed: &mut Option<std::collections::HashSet<EntryId>>,
    ) -> bool {
        let r = &self.snap.reports[pos];
        if !incidents::precise(r, &self.p) {
            return false;
        }
        if incidents::is_detection(r) {
            let named = assessed.get_or_insert_with(|| {
                self.snap
                    .assessments
                    .iter()
                    .flat_map(|a| a.reports.iter().filter_map(|r| EntryId::from_hex(r)))
                    .collect()
            });
            if !named.contains(&r.entry_id) {
                let versions = adjudicate::reading_versions(&self.snap);
                return adjudicate::Touch::new(&self.near, &versions).may(&self.snap, pos, &self.p);
            }
        }
        true
    }

    /// Splits component `c` again into the components its members make now
    /// ([`incidents::strong_components`]), returning its members.
    fn split_comp(&mut self, c: u32) -> Vec<u32> {
        let members = std::mem::take(&mut self.comps[c as usize]);
        self.comp_free.push(c);
        for &s in &members {
            self.slots[s as usize].comp = NONE;
        }
        let obs: Vec<Obs> = members.iter().filter_map(|&s| self.obs(s)).collect();
        if obs.len() == members.len() && members.len() >= 2 {
            let strong: Vec<bool> = members
                .iter()
                .map(|&s| self.slots[s as usize].has(STRONG))
                .collect();
            let cp = cluster::Params {
                max_gap_s: self.p.max_gap_s,
            };
            for piece in incidents::strong_components(&obs, &strong, &cp) {
                let piece: Vec<u32> = piece.into_iter().map(|k| members[k as usize]).collect();
                self.set_comp(piece);
            }
        }
        members
    }

    /// Makes `members` one component (or leaves a single one alone).
    fn set_comp(&mut self, members: Vec<u32>) {
        if members.len() < 2 {
            for &s in &members {
                self.slots[s as usize].comp = NONE;
            }
            return;
        }
        let id = match self.comp_free.pop() {
            Some(id) => id,
            None => {
                self.comps.push(Vec::new());
                (self.comps.len() - 1) as u32
            }
        };
        for &s in &members {
            self.slots[s as usize].comp = id;
        }
        self.comps[id as usize] = members;
    }

    /// Puts the new report `s` in one component with the reports it links to.
    fn merge(&mut self, s: u32, reach: Vec<u32>) {
        if reach.is_empty() {
            return;
        }
        let mut comps: BTreeSet<u32> = BTreeSet::new();
        let mut alone = vec![s];
        for x in reach {
            match self.slots[x as usize].comp {
                NONE => alone.push(x),
                c => {
                    comps.insert(c);
                }
            }
        }
        alone.sort_unstable();
        alone.dedup();
        let target = comps
            .iter()
            .copied()
            .max_by_key(|&c| (self.comps[c as usize].len(), std::cmp::Reverse(c)));
        let Some(target) = target else {
            self.set_comp(alone);
            return;
        };
        for c in comps {
            if c == target {
                continue;
            }
            let members = std::mem::take(&mut self.comps[c as usize]);
            self.comp_free.push(c);
            for &x in &members {
                self.slots[x as usize].comp = target;
            }
            self.comps[target as usize].extend(members);
        }
        for &x in &alone {
            self.slots[x as usize].comp = target;
        }
        self.comps[target as usize].extend(alone);
    }

    /// The whole components of `dirty`, as slots in log order.
    fn units(&self, dirty: &BTreeSet<u32>) -> Vec<u32> {
        let mut out: BTreeSet<u32> = BTreeSet::new();
        let mut seen: BTreeSet<u32> = BTreeSet::new();
        for &s in dirty {
            let slot = &self.slots[s as usize];
            if !slot.has(ALIVE) {
                continue;
            }
            match slot.comp {
                NONE => {
                    out.insert(s);
                }
                c => {
                    if seen.insert(c) {
                        out.extend(self.comps[c as usize].iter().copied());
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    /// A snapshot of the region's reports (all of them when `region` is `None`, moved) with
    /// everything else moved out of `self.snap` until [`Incremental::restore_sub`].
    fn take_sub(&mut self, region: Option<&[u32]>) -> Snapshot {
        let reports = match region {
            None => std::mem::take(&mut self.snap.reports),
            Some(r) => r
                .iter()
                .filter_map(|&s| self.pos(s))
                .map(|i| self.snap.reports[i].clone())
                .collect(),
        };
        Snapshot {
            log_size: self.snap.log_size,
            reports,
            sites: std::mem::take(&mut self.snap.sites),
            readings: std::mem::take(&mut self.snap.readings),
            assessments: std::mem::take(&mut self.snap.assessments),
            policies: std::mem::take(&mut self.snap.policies),
            invocations: std::mem::take(&mut self.snap.invocations),
            roles: std::mem::take(&mut self.snap.roles),
            zones: std::mem::take(&mut self.snap.zones),
            ends: std::mem::take(&mut self.snap.ends),
            extensions: std::mem::take(&mut self.snap.extensions),
            conditions: std::mem::take(&mut self.snap.conditions),
            maritime: std::mem::take(&mut self.snap.maritime),
            front: std::mem::take(&mut self.snap.front),
        }
    }

    fn restore_sub(&mut self, sub: Snapshot, whole: bool) {
        let Snapshot {
            log_size: _,
            reports,
            sites,
            readings,
            assessments,
            policies,
            invocations,
            roles,
            zones,
            ends,
            extensions,
            conditions,
            maritime,
            front,
        } = sub;
        if whole {
            self.snap.reports = reports;
        }
        self.snap.sites = sites;
        self.snap.readings = readings;
        self.snap.assessments = assessments;
        self.snap.policies = policies;
        self.snap.invocations = invocations;
        self.snap.roles = roles;
        self.snap.zones = zones;
        self.snap.ends = ends;
        self.snap.extensions = extensions;
        self.snap.conditions = conditions;
        self.snap.maritime = maritime;
        self.snap.front = front;
    }

    /// Replaces the outputs of the incidents `gone_inc` and background rows `gone_bg` with a
    /// region's, then re-runs the release pass where it can have changed.
    fn install(
        &mut self,
        gone_inc: BTreeSet<u32>,
        gone_bg: Vec<(i64, u64, u32)>,
        out: RegionOut,
        invoked: bool,
        rj: &mut Rejudged,
    ) {
        let nk = self.clause.len();
        let mut rerun: Vec<bool> = self.clause.iter().map(|&c| c && invoked).collect();
        // Incidents and their findings that go.
        let mut rm_inc = Vec::new();
        let mut rm_f = Vec::new();
        for h in gone_inc {
            let Some((start, id)) = self.incs.get_mut(h as usize).and_then(Option::take) else {
                continue;
            };
            self.inc_free.push(h);
            let Ok(ip) = self
                .inc_meta
                .binary_search_by(|m| (m.start, m.id.as_str()).cmp(&(start, id.as_str())))
            else {
                continue;
            };
            rj.incidents_touched.push(id.clone());
            rm_inc.push(ip);
            for &k in &self.inc_meta[ip].ks {
                let key = (k, start, id.clone());
                if let Ok(fp) = self.f_keys.binary_search(&key) {
                    if self.clause[k] && !self.j.findings[fp].attributions.is_empty() {
                        rerun[k] = true;
                    }
                    rm_f.push(fp);
                }
            }
        }
        rj.incidents_removed += rm_inc.len() as u64;
        // Incidents and findings that arrive.
        let mut add_inc = Vec::with_capacity(out.incidents.len());
        let mut add_f = Vec::new();
        for ni in out.incidents {
            let h = match self.inc_free.pop() {
                Some(h) => h,
                None => {
                    self.incs.push(None);
                    (self.incs.len() - 1) as u32
                }
            };
            for &s in &ni.members {
                self.slots[s as usize].inc = h;
            }
            self.incs[h as usize] = Some((ni.start, ni.incident.id.clone()));
            rj.incidents_touched.push(ni.incident.id.clone());
            let mut meta = IncMeta {
                start: ni.start,
                id: ni.incident.id.clone(),
                end: ni.end,
                ks: Vec::new(),
                pre: Vec::new(),
            };
            for (k, at, f) in ni.findings {
                meta.ks.push(k);
                if self.clause[k] && !f.attributions.is_empty() {
                    rerun[k] = true;
                    meta.pre.push((k, at, f.clone()));
                }
                add_f.push(((k, ni.start, ni.incident.id.clone()), f));
            }
            add_inc.push((meta, ni.incident));
        }
        rj.incidents_added += add_inc.len() as u64;
        splice(
            &mut self.inc_meta,
            &mut self.j.incidents,
            rm_inc,
            add_inc,
            cmp_inc,
        );
        splice(
            &mut self.f_keys,
            &mut self.j.findings,
            rm_f,
            add_f,
            Ord::cmp,
        );
        // Background rows.
        let rm_bg: Vec<usize> = gone_bg
            .iter()
            .filter_map(|k| self.j.background.binary_search_by(|b| b.key().cmp(k)).ok())
            .collect();
        let mut add_bg = Vec::with_capacity(out.background.len());
        for &(s, routine) in &out.background {
            let Some(pos) = self.pos(s) else { continue };
            let r = &self.snap.reports[pos];
            add_bg.push(BackgroundRef {
                start: r.start,
                index: r.index,
                nth: nth_at(&self.snap.reports, pos, self.sorted),
                routine,
            });
            self.slots[s as usize].flags |= BG;
        }
        rj.background_removed += rm_bg.len() as u64;
        rj.background_added += add_bg.len() as u64;
        rj.background_gone.extend(
            rm_bg
                .iter()
                .map(|&i| (self.j.background[i].start, self.j.background[i].index)),
        );
        rj.background_new
            .extend(add_bg.iter().map(|b| (b.start, b.index)));
        splice_rows(&mut self.j.background, rm_bg, add_bg, |a, b| {
            a.key().cmp(&b.key())
        });
        self.compact_routines();
        // The release pass, where it can have changed.
        if rerun.iter().any(|&r| r) {
            let versions = adjudicate::reading_versions(&self.snap);
            for k in (0..nk).filter(|&k| rerun[k]) {
                let Some(vs) = versions.get(k) else { continue };
                rj.released += 1;
                let lo = self.f_keys.partition_point(|x| x.0 < k);
                let hi = self.f_keys.partition_point(|x| x.0 <= k);
                let mut at = Vec::new();
                let mut fs = Vec::new();
                let mut spans = Vec::new();
                let mut used = Vec::new();
                for pos in lo..hi {
                    if self.j.findings[pos].attributions.is_empty() {
                        continue;
                    }
                    let (_, start, id) = &self.f_keys[pos];
                    let Ok(ip) = self
                        .inc_meta
                        .binary_search_by(|m| (m.start, m.id.as_str()).cmp(&(*start, id.as_str())))
                    else {
                        continue;
                    };
                    let meta = &self.inc_meta[ip];
                    let Some((_, v, pre)) = meta.pre.iter().find(|x| x.0 == k) else {
                        continue;
                    };
                    let Some(rd) = vs.get(*v) else { continue };
                    at.push(pos);
                    fs.push(pre.clone());
                    used.push(*rd);
                    spans.push(IncSpan {
                        start: meta.start,
                        end: meta.end,
                        inc: &self.j.incidents[ip],
                    });
                }
                adjudicate::apply_release(&mut fs, &spans, &used, &self.snap.invocations);
                drop(spans);
                if let Some(f) = fs.first() {
                    rj.readings_released
                        .push((f.agreement.clone(), f.reading.clone()));
                }
                for (pos, f) in at.into_iter().zip(fs) {
                    self.j.findings[pos] = f;
                }
            }
        }
        self.j.baseline = BaselineSummary {
            learned_from: self.learned,
            hot_spots: self.baseline.len() as u64,
            routine_detections: self.routine_n,
        };
    }
}

/// Removes one teaching entry from a cell.
fn unteach(teach: &mut HashMap<u64, Vec<(i64, bool)>>, cell: u64, e: (i64, bool)) {
    if let Some(v) = teach.get_mut(&cell) {
        if let Ok(i) = v.binary_search(&e) {
            v.remove(i);
        }
        if v.is_empty() {
            teach.remove(&cell);
        }
    }
}

/// Removes the elements at `pos` (ascending) in one pass.
fn remove_positions<T>(v: &mut Vec<T>, pos: &[usize]) {
    if pos.is_empty() {
        return;
    }
    let mut next = pos.iter().peekable();
    let mut i = 0;
    v.retain(|_| {
        let keep = next.peek() != Some(&&i);
        if !keep {
            next.next();
        }
        i += 1;
        keep
    });
}

/// The entry ids named by assessments in one list and not the same in the other.
fn changed_names(old: &[AssessmentIn], new: &[AssessmentIn]) -> BTreeSet<EntryId> {
    let index = |l: &[AssessmentIn]| -> HashMap<(u64, String), usize> {
        l.iter()
            .enumerate()
            .map(|(i, a)| ((a.index, a.entry_id.clone()), i))
            .collect()
    };
    let (o, n) = (index(old), index(new));
    let mut out = BTreeSet::new();
    for (a, other, other_list) in old
        .iter()
        .map(|a| (a, &n, new))
        .chain(new.iter().map(|a| (a, &o, old)))
    {
        let same = other
            .get(&(a.index, a.entry_id.clone()))
            .is_some_and(|&i| other_list[i] == *a);
        if !same {
            out.extend(a.reports.iter().filter_map(|r| EntryId::from_hex(r)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn f(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn the_link_index_finds_exactly_the_linked_reports() {
        let gap = 6 * 3_600;
        let cp = cluster::Params { max_gap_s: gap };
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        // Around the equator, the antimeridian and a pole: reaches from a pixel to 26 km,
        // intervals up to a week.
        for (lon0, lat0) in [(30.0, 50.0), (179.9, 10.0), (0.0, 89.9), (-179.95, -60.0)] {
            let obs: Vec<Obs> = (0..600)
                .map(|_| {
                    let big = rng.f() < 0.1;
                    let start = 1_700_000_000 + (rng.f() * 10.0 * 86_400.0) as i64;
                    let lon = lon0 + (rng.f() - 0.5) * 0.6;
                    Obs {
                        lon: if lon > 180.0 { lon - 360.0 } else { lon },
                        lat: (lat0 + (rng.f() - 0.5) * 0.4).clamp(-90.0, 90.0),
                        reach_m: if big {
                            3_000.0 + rng.f() * 23_000.0
                        } else {
                            875.0
                        },
                        start,
                        end: start
                            + if big {
                                (rng.f() * 7.0 * 86_400.0) as i64
                            } else {
                                0
                            },
                    }
                })
                .collect();
            let mut links = crate::cluster::Links::new(gap);
            for (i, o) in obs.iter().enumerate() {
                links.insert(i as u32, o);
            }
            // Some leave again.
            for i in (0..obs.len()).step_by(7) {
                links.remove(i as u32, &obs[i]);
            }
            let alive = |i: usize| !i.is_multiple_of(7);
            // The same reports indexed once (what a full judgement builds).
            let frozen = crate::cluster::FrozenLinks::new(
                gap,
                obs.iter()
                    .enumerate()
                    .filter(|(i, _)| alive(*i))
                    .map(|(i, o)| (i as u32, o)),
            );
            let mut found = 0;
            for (i, a) in obs.iter().enumerate().step_by(3) {
                let mut got = Vec::new();
                links.linked(a, |s| alive(s as usize).then(|| obs[s as usize]), &mut got);
                got.sort_unstable();
                let want: Vec<u32> = (0..obs.len())
                    .filter(|&j| alive(j) && cluster::linked(a, &obs[j], &cp))
                    .map(|j| j as u32)
                    .collect();
                assert_eq!(got, want, "report {i} at ({lon0}, {lat0})");
                let mut frozen_got = Vec::new();
                frozen.linked(a, |s| Some(obs[s as usize]), &mut frozen_got);
                frozen_got.sort_unstable();
                assert_eq!(
                    frozen_got, want,
                    "frozen index, report {i} at ({lon0}, {lat0})"
                );
                found += want.len();
            }
            assert!(found > 200, "{found} links at ({lon0}, {lat0})");
        }
    }

    #[test]
    fn splice_equals_a_sort_of_what_is_left_and_what_arrives() {
        let mut rng = Rng(7);
        for round in 0..300 {
            let n = (rng.next() % 40) as usize;
            let mut keys: Vec<u32> = (0..n).map(|_| (rng.next() % 100) as u32 * 2).collect();
            keys.sort_unstable();
            keys.dedup();
            let vals: Vec<String> = keys.iter().map(|k| format!("old {k}")).collect();
            let rm: Vec<usize> = (0..keys.len())
                .filter(|_| rng.next().is_multiple_of(3))
                .collect();
            // New keys, and some of the removed ones again (judged again).
            let mut insert: Vec<(u32, String)> = (0..rng.next() % 6)
                .map(|_| (rng.next() % 100) as u32 * 2 + 1)
                .map(|k| (k, format!("new {k}")))
                .collect();
            insert.sort_unstable();
            insert.dedup_by_key(|x| x.0);
            for &p in &rm {
                if rng.next().is_multiple_of(2) {
                    insert.push((keys[p], format!("again {}", keys[p])));
                }
            }
            let mut want: Vec<(u32, String)> = keys
                .iter()
                .zip(&vals)
                .enumerate()
                .filter(|(p, _)| !rm.contains(p))
                .map(|(_, (k, v))| (*k, v.clone()))
                .chain(insert.iter().cloned())
                .collect();
            want.sort();
            let (mut m, mut v) = (keys.clone(), vals.clone());
            splice(&mut m, &mut v, rm.clone(), insert.clone(), Ord::cmp);
            let got: Vec<(u32, String)> = m.into_iter().zip(v).collect();
            assert_eq!(got, want, "round {round}");
        }
    }

    #[test]
    fn the_key_map_keeps_colliding_keys_apart() {
        let mut k = KeyMap::default();
        k.insert(1, 10);
        k.insert(1, 11);
        k.insert(1, 12);
        k.insert(2, 20);
        assert_eq!(k.candidates(1).collect::<Vec<_>>(), vec![10, 11, 12]);
        k.remove(1, 10);
        let mut c: Vec<u32> = k.candidates(1).collect();
        c.sort_unstable();
        assert_eq!(c, vec![11, 12]);
        k.remove(1, 12);
        k.remove(1, 11);
        assert_eq!(k.candidates(1).count(), 0);
        assert!(k.more.is_empty());
        assert_eq!(k.candidates(2).collect::<Vec<_>>(), vec![20]);
    }

    #[test]
    fn positions_are_removed_in_one_pass() {
        let mut v: Vec<u32> = (0..10).collect();
        remove_positions(&mut v, &[0, 3, 4, 9]);
        assert_eq!(v, vec![1, 2, 5, 6, 7, 8]);
        remove_positions(&mut v, &[]);
        assert_eq!(v.len(), 6);
    }

    #[test]
    fn routine_descriptions_no_detection_names_are_dropped_and_the_rest_renumbered() {
        // A gas flare: detections at one place on 12 days over 24 (a persistent hot spot), and
        // two lone ones.
        let t0 = 1_742_428_800; // 2025-03-20T00:00:00Z
        let det = |index: u64, lon: f64, t: i64| ReportIn {
            index,
            entry_id: format!("{index:064x}").parse().unwrap(),
            author: Id::new("firms").unwrap().into(),
            role: Role::OpenData,
            id: Id::new(&format!("d{index}")).unwrap(),
            act: truce_model::domain::Act::FireObserved,
            perpetrator: None,
            relays: None,
            denies: Box::default(),
            point: [lon, 50.0],
            uncertainty_m: 375,
            start: t,
            end: t,
            target: None,
            static_source: false,
        };
        let mut reports: Vec<ReportIn> = (0..12)
            .map(|k| det(10 + k, 36.0, t0 + k as i64 * 2 * 86_400))
            .collect();
        reports.push(det(30, 37.0, t0));
        reports.push(det(31, 38.0, t0));
        let snap = Snapshot {
            log_size: 100,
            reports,
            ..Default::default()
        };
        let mut inc = Incremental::new(snap, Params::default());
        let full =
            |inc: &Incremental| -> Vec<Background> { inc.j.background_full(&inc.snap).collect() };
        let before = full(&inc);
        assert_eq!(before.len(), 14);
        assert_eq!(
            before
                .iter()
                .filter(|b| b.detection.routine.is_some())
                .count(),
            12
        );
        assert_eq!(inc.j.routines.len(), 1);
        // Descriptions left behind by hot spots that changed, before and after the one in use.
        let live = inc.j.routines[0].clone();
        let mut table: Vec<String> = (0..100).map(|k| format!("old {k}")).collect();
        table.push(live);
        table.extend((0..100).map(|k| format!("older {k}")));
        inc.j.routines = table;
        for b in &mut inc.j.background {
            if b.routine != BackgroundRef::NOT_ROUTINE {
                b.routine = 100;
            }
        }
        for k in inc.routine_ix.values_mut() {
            *k = 100;
        }
        inc.compact_routines();
        assert_eq!(inc.j.routines.len(), 1);
        assert_eq!(inc.routine_ix.values().copied().collect::<Vec<_>>(), [0]);
        assert_eq!(full(&inc), before);
    }
}
