//! From reports to incidents: routine detections flagged against the hot-spot baseline, reports
//! clustered in space and time, each cluster graded by the independence of its sources and by
//! monitors' assessments, and named by a stable identifier derived from its members.

use crate::baseline::{Baseline, Detection};
use crate::cluster::{clusters, linked, Obs};
use crate::input::{AssessmentIn, EntryId, ReportIn, Snapshot};
use crate::types::{
    Allegation, AssessmentRef, AttributionGrade, BackgroundRef, BaselineSummary, Grade, Incident,
    Member, Review,
};
use crate::{utc, Params};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use truce_model::domain::{Act, Question, Role, Verdict};
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
}

/// The side label of a party of `role`: `party:<id>` for a belligerent, `sensor:<id>` for open
/// data, `monitor:<id>`, `mediator:<id>`, `operator:<id>`.
pub fn side_label(role: Role, id: &Id) -> String {
    let kind = match role {
        Role::Belligerent => "party",
        Role::OpenData => "sensor",
        Role::Monitor => "monitor",
        Role::Mediator => "mediator",
        Role::Operator => "operator",
    };
    format!("{kind}:{id}")
}

/// The side a report's author speaks for.
pub fn side_of(r: &ReportIn) -> String {
    side_label(r.role, &r.author)
}

/// The origin of a report's claim: the relayed party's side when the report relays a claim,
/// else its author's. Independence is computed over origins: two reports of one origin never
/// corroborate each other.
pub fn origin_of(snap: &Snapshot, r: &ReportIn) -> String {
    match &r.relays {
        Some(p) => side_label(snap.roles.get(p).copied().unwrap_or(Role::Belligerent), p),
        None => side_of(r),
    }
}

/// Every report's origin, interned: a million detections of one sensor share one string.
pub(crate) struct Origins {
    names: Vec<String>,
    of: Vec<u32>,
}

impl Origins {
    fn new(snap: &Snapshot) -> Origins {
        let mut names = Vec::new();
        let mut seen: HashMap<(&Id, Option<&Id>), u32> = HashMap::new();
        let of = snap
            .reports
            .iter()
            .map(|r| {
                *seen
                    .entry((&*r.author, r.relays.as_deref()))
                    .or_insert_with(|| {
                        names.push(origin_of(snap, r));
                        (names.len() - 1) as u32
                    })
            })
            .collect();
        Origins { names, of }
    }
}

impl std::ops::Index<usize> for Origins {
    type Output = String;
    /// The origin of report `i`.
    fn index(&self, i: usize) -> &String {
        &self.names[self.of[i] as usize]
    }
}

/// Whether a report is a sensor detection (a fire seen from orbit, cause unknown). A detection
/// corroborates occurrence, never attribution.
pub(crate) fn is_detection(r: &ReportIn) -> bool {
    detection_kind(r.role, r.act)
}

/// Whether a report by an author of `role` of act `act` is a sensor detection (a fire observed by
/// open data): what no one files, which names nobody and only joins what is filed.
pub fn detection_kind(role: Role, act: Act) -> bool {
    role == Role::OpenData && act == Act::FireObserved
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
pub(crate) fn precise(r: &ReportIn, p: &Params) -> bool {
    r.uncertainty_m <= p.max_uncertainty_m && r.end - r.start <= p.max_duration_s
}

pub(crate) fn obs_of(r: &ReportIn, p: &Params) -> Obs {
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
}

/// Report `i`'s public observation footprint, when it is a monitor's observation whose cells
/// read as one.
fn footprint(snap: &Snapshot, i: usize) -> Option<&truce_geo::PublicFootprint> {
    snap.front
        .said(&snap.reports[i])
        .and_then(|s| s.footprint.as_deref())
}

/// The link rule where an observation's public footprint is known (truce-rules/9), for two
/// reports whose reach rule ([`linked`]: the circles enclosing the footprints, a superset)
/// already holds: two footprints must share a cell's area; a footprint and another report meet
/// when some position of the footprint lies within the other report's reach of its point.
/// Reports without footprints link by the reach rule alone.
fn footprints_meet(snap: &Snapshot, a: usize, b: usize, oa: &Obs, ob: &Obs) -> bool {
    meet(footprint(snap, a), footprint(snap, b), oa, ob)
}

/// [`footprints_meet`] on footprints already looked up.
fn meet(
    fa: Option<&truce_geo::PublicFootprint>,
    fb: Option<&truce_geo::PublicFootprint>,
    oa: &Obs,
    ob: &Obs,
) -> bool {
    match (fa, fb) {
        (None, None) => true,
        (Some(fa), Some(fb)) => fa.overlaps(fb),
        (Some(f), None) => f.within_m([ob.lon, ob.lat], ob.reach_m),
        (None, Some(f)) => f.within_m([oa.lon, oa.lat], oa.reach_m),
    }
}

/// Splits a group linked by the reach rule into the components of the exact rule ([`footprints_meet`]):
/// the same group when no member has a footprint. Reports without footprints are clustered
/// among themselves as before; each footprint is then tested against every other member. Parts
/// keep the group's order and are ordered by their first member.
fn refine(snap: &Snapshot, g: Vec<usize>, p: &Params) -> Vec<Vec<usize>> {
    let fps: Vec<Option<&truce_geo::PublicFootprint>> =
        g.iter().map(|&i| footprint(snap, i)).collect();
    let with: Vec<bool> = fps.iter().map(Option::is_some).collect();
    if g.len() < 2 || !with.iter().any(|&w| w) {
        return vec![g];
    }
    let cp = crate::cluster::Params {
        max_gap_s: p.max_gap_s,
    };
    let mut parent: Vec<usize> = (0..g.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    let plain: Vec<usize> = (0..g.len()).filter(|&k| !with[k]).collect();
    let plain_obs: Vec<Obs> = plain
        .iter()
        .map(|&k| obs_of(&snap.reports[g[k]], p))
        .collect();
    for c in clusters(&plain_obs, &cp) {
        for w in c.windows(2) {
            union(&mut parent, plain[w[0] as usize], plain[w[1] as usize]);
        }
    }
    // Each footprint against the members its reach rule links it to, found in a grid index.
    let obs: Vec<Obs> = g.iter().map(|&i| obs_of(&snap.reports[i], p)).collect();
    let index = crate::cluster::FrozenLinks::new(
        cp.max_gap_s,
        obs.iter().enumerate().map(|(k, o)| (k as u32, o)),
    );
    let mut found = Vec::new();
    for k in (0..g.len()).filter(|&k| with[k]) {
        found.clear();
        index.linked(&obs[k], |x| obs.get(x as usize).copied(), &mut found);
        for &m in &found {
            let m = m as usize;
            // Each pair of footprints once; a footprint against every plain report.
            if m == k || (with[m] && m < k) || find(&mut parent, k) == find(&mut parent, m) {
                continue;
            }
            if meet(fps[k], fps[m], &obs[k], &obs[m]) {
                union(&mut parent, k, m);
            }
        }
    }
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut part_of: HashMap<usize, usize> = HashMap::new();
    for (k, &i) in g.iter().enumerate() {
        let r = find(&mut parent, k);
        let at = *part_of.entry(r).or_insert_with(|| {
            parts.push(Vec::new());
            parts.len() - 1
        });
        parts[at].push(i);
    }
    parts
}

/// Splits clusters that one origin's reports bridge. For each origin `O` with reports (other
/// than sensor detections) in a cluster, in origin order: if the cluster's other reports fall
/// apart into several parts once `O`'s are taken out, `O` bridges them. Then each part stays an
/// incident of its own; each of `O`'s reports that links directly to exactly one part joins it;
/// `O`'s other reports (linking to none or to several parts) form incidents of their own. The
/// pieces are examined again for other origins. One origin's reports may join an incident, never
/// merge two: a flood of one party's allegations cannot fuse the incidents between them.
fn split_bridges(
    snap: &Snapshot,
    groups: Vec<Vec<usize>>,
    origins: &Origins,
    p: &Params,
) -> Vec<Vec<usize>> {
    let cp = crate::cluster::Params {
        max_gap_s: p.max_gap_s,
    };
    let mut work = groups;
    let mut out = Vec::with_capacity(work.len());
    while let Some(g) = work.pop() {
        if g.len() < 3 {
            out.push(g);
            continue;
        }
        let candidates: BTreeSet<&str> = g
            .iter()
            .filter(|&&i| !is_detection(&snap.reports[i]))
            .map(|&i| origins[i].as_str())
            .collect();
        let mut split = None;
        for o in candidates {
            let (own, rest): (Vec<usize>, Vec<usize>) = g
                .iter()
                .partition(|&&i| origins[i] == o && !is_detection(&snap.reports[i]));
            if rest.len() < 2 {
                continue;
            }
            let rest_obs: Vec<Obs> = rest.iter().map(|&i| obs_of(&snap.reports[i], p)).collect();
            let pos_of: HashMap<usize, u32> = rest
                .iter()
                .enumerate()
                .map(|(k, &i)| (i, k as u32))
                .collect();
            let parts: Vec<Vec<u32>> = clusters(&rest_obs, &cp)
                .into_iter()
                .flat_map(|c| refine(snap, c.into_iter().map(|x| rest[x as usize]).collect(), p))
                .map(|g| g.into_iter().map(|i| pos_of[&i]).collect())
                .collect();
            if parts.len() < 2 {
                continue;
            }
            split = Some((own, rest, rest_obs, parts));
            break;
        }
        let Some((own, rest, rest_obs, parts)) = split else {
            out.push(g);
            continue;
        };
        // Which part each of the rest's reports is in, and the rest ordered by start for a
        // time-bounded search.
        let mut part_of = vec![0usize; rest.len()];
        for (k, part) in parts.iter().enumerate() {
            for &x in part {
                part_of[x as usize] = k;
            }
        }
        let mut by_start: Vec<usize> = (0..rest.len()).collect();
        by_start.sort_unstable_by_key(|&x| (rest_obs[x].start, x));
        let max_len = rest_obs.iter().map(|o| o.end - o.start).max().unwrap_or(0);
        let mut pieces: Vec<Vec<usize>> = parts
            .iter()
            .map(|part| part.iter().map(|&x| rest[x as usize]).collect())
            .collect();
        let mut floating = Vec::new();
        for &i in &own {
            let a = obs_of(&snap.reports[i], p);
            // A partner links only if its start is within [a.start - gap - longest, a.end + gap].
            let lo_t = a.start.saturating_sub(p.max_gap_s).saturating_sub(max_len);
            let hi_t = a.end.saturating_add(p.max_gap_s);
            let from = by_start.partition_point(|&x| rest_obs[x].start < lo_t);
            let mut touched: BTreeSet<usize> = BTreeSet::new();
            for &x in &by_start[from..] {
                if rest_obs[x].start > hi_t {
                    break;
                }
                if !touched.contains(&part_of[x])
                    && linked(&a, &rest_obs[x], &cp)
                    && footprints_meet(snap, i, rest[x], &a, &rest_obs[x])
                {
                    touched.insert(part_of[x]);
                    if touched.len() > 1 {
                        break;
                    }
                }
            }
            match (touched.len(), touched.first()) {
                (1, Some(&k)) => pieces[k].push(i),
                _ => floating.push(i),
            }
        }
        if !floating.is_empty() {
            let fobs: Vec<Obs> = floating
                .iter()
                .map(|&i| obs_of(&snap.reports[i], p))
                .collect();
            for c in clusters(&fobs, &cp) {
                pieces.extend(refine(
                    snap,
                    c.into_iter().map(|x| floating[x as usize]).collect(),
                    p,
                ));
            }
        }
        work.extend(pieces);
    }
    out
}

/// No group yet.
const NONE: u32 = u32::MAX;

/// Attaches detections to the groups of the reports they link to: within one component of the
/// link graph, each candidate linked to at least one of `cores` joins the group of the first such
/// core in log order. A detection only ever joins: it never links two groups, nor
/// brings in what is within its own reach (a wildfire is not pulled into an incident pixel by
/// pixel).
fn attach(
    snap: &Snapshot,
    cores: &[usize],
    candidates: &[usize],
    obs: &Places,
    group_of: &mut [u32],
    gap: i64,
) {
    if cores.is_empty() || candidates.is_empty() {
        return;
    }
    let cp = crate::cluster::Params { max_gap_s: gap };
    let ob = |i: usize| obs.get(i);
    // Cores by start, for a time-bounded search.
    let mut by_start: Vec<(i64, usize)> = cores
        .iter()
        .filter_map(|&c| ob(c).map(|o| (o.start, c)))
        .collect();
    by_start.sort_unstable();
    let longest = cores
        .iter()
        .filter_map(|&c| ob(c).map(|o| o.end - o.start))
        .max()
        .unwrap_or(0);
    for &d in candidates {
        let Some(a) = ob(d) else { continue };
        let lo = a.start.saturating_sub(gap).saturating_sub(longest);
        let hi = a.end.saturating_add(gap);
        let from = by_start.partition_point(|&(t, _)| t < lo);
        let mut best: Option<usize> = None;
        let rank = |i: usize| (snap.reports[i].index, snap.reports[i].entry_id);
        for &(t, c) in &by_start[from..] {
            if t > hi {
                break;
            }
            if best.is_some_and(|b| rank(b) < rank(c)) {
                continue;
            }
            if let Some(o) = ob(c) {
                if linked(a, o, &cp) && footprints_meet(snap, d, c, a, o) {
                    best = Some(c);
                }
            }
        }
        if let Some(c) = best {
            group_of[d] = group_of[c];
        }
    }
}

/// Builds the incidents of a snapshot, ordered by start then id, and its background detections
/// (truce-rules/6), ordered by start then log index.
///
/// 1. Reports someone files or a monitor assesses — every report but a sensor detection, and
///    detections a monitor's assessment names — are clustered among themselves (split where one
///    origin bridges), and each pulls in the detections within its own reach.
/// 2. The baseline learns from the detections in no incident so far.
/// 3. A detection left over *touches* something when it is not routine and some reading in force
///    at its time concerns it and does not find it out of scope (a protected site within reach,
///    inside the window and zones, conditions met): such detections are clustered among
///    themselves into incidents, each pulling in the detections within its reach.
/// 4. Every other detection is background: no incident, no finding.
pub(crate) fn build(
    snap: &Snapshot,
    p: &Params,
    touch: &crate::adjudicate::Touch<'_>,
) -> (Vec<Built>, Vec<BackgroundRef>, Vec<String>, BaselineSummary) {
    let linked = link(snap, p, touch);
    let n = snap.reports.len();
    // 2. The baseline learns from every detection known, except those in an incident someone
    //    alleges or a monitor observes: a strike never teaches that its own fire is routine.
    let teaches: Vec<bool> = (0..n).map(|i| linked.teaches(i)).collect();
    let learned_from = teaches.iter().filter(|t| **t).count() as u64;
    let baseline = Baseline::learn(
        snap.reports
            .iter()
            .zip(&teaches)
            .filter(|(_, t)| **t)
            .map(|(r, _)| Detection {
                lon: r.point[0],
                lat: r.point[1],
                time: r.start,
                static_source: r.static_source,
            }),
        &p.baseline,
    );
    drop(teaches);
    // One description per hot spot, shared by its detections.
    let mut described: HashMap<HotKey, u32> = HashMap::new();
    let mut texts: Vec<String> = Vec::new();
    let of: Vec<u32> = snap
        .reports
        .iter()
        .map(|r| {
            if !is_detection(r) {
                return NOT_ROUTINE;
            }
            let Some(h) = baseline.hot_spot(r.point) else {
                return NOT_ROUTINE;
            };
            let h = hot_key(&h);
            *described.entry(h).or_insert_with(|| {
                texts.push(describe(h));
                (texts.len() - 1) as u32
            })
        })
        .collect();
    let routine = Routine {
        texts: &texts,
        of: &of,
    };
    let summary = BaselineSummary {
        learned_from,
        hot_spots: baseline.len() as u64,
        routine_detections: of.iter().filter(|r| **r != NOT_ROUTINE).count() as u64,
    };
    drop(baseline);
    let (built, background) = finish(snap, p, touch, linked, routine);
    let sorted = snap.reports.windows(2).all(|w| w[0].index <= w[1].index);
    let background = background
        .into_iter()
        .map(|i| {
            let r = &snap.reports[i];
            BackgroundRef {
                start: r.start,
                index: r.index,
                nth: crate::background::nth_at(&snap.reports, i, sorted),
                routine: of[i],
            }
        })
        .collect();
    (built, background, texts, summary)
}

/// `Routine::of` of a report at no persistent hot spot (or not a detection).
pub(crate) const NOT_ROUTINE: u32 = BackgroundRef::NOT_ROUTINE;

/// Each report's routine description: a position in a table of descriptions (one per hot spot),
/// or [`NOT_ROUTINE`].
#[derive(Clone, Copy)]
pub(crate) struct Routine<'a> {
    /// The descriptions.
    pub texts: &'a [String],
    /// Per report.
    pub of: &'a [u32],
}

impl<'a> Routine<'a> {
    /// Report `i`'s description, if routine.
    fn get(&self, i: usize) -> Option<&'a str> {
        let k = *self.of.get(i)?;
        self.texts.get(k as usize).map(String::as_str)
    }

    /// Whether report `i` is routine.
    fn is(&self, i: usize) -> bool {
        self.of.get(i).is_some_and(|&k| k != NOT_ROUTINE)
    }
}

/// What of a hot spot its detections' routine description says: (first, last, days, static
/// source).
pub(crate) type HotKey = (i64, i64, u32, bool);

/// The part of a hot spot its description names.
pub(crate) fn hot_key(h: &crate::baseline::HotSpot) -> HotKey {
    (h.first, h.last, h.days, h.static_source)
}

/// A routine detection's description: the hot spot it is at.
pub(crate) fn describe((first, last, days, static_source): HotKey) -> String {
    if static_source {
        format!(
            "persistent hot spot: flagged a static land source by the sensor; detections on {} day(s) between {} and {}",
            days,
            utc(first),
            utc(last)
        )
    } else {
        format!(
            "persistent hot spot: detections on {} distinct day(s) between {} and {}, outside any alleged incident",
            days,
            utc(first),
            utc(last)
        )
    }
}

/// Step 1 of [`build`] over a snapshot: every precise report's component of the link graph, and
/// the groups of what someone files or a monitor assesses (with the detections within their
/// reach); imprecise reports other than detections alone. A function of each component alone:
/// judged over a snapshot holding whole components, it gives those components' groups.
pub(crate) struct Linked {
    /// Every report's origin.
    pub origins: Origins,
    /// Assessments by the entry ids they name.
    pub assessed: HashMap<EntryId, Vec<usize>>,
    /// Whether each report is a sensor detection no assessment names.
    pub detection: Vec<bool>,
    /// Each precise report's place and reach.
    pub obs: Places,
    /// Whether each report is strong: precise, and either not a plain detection (what someone
    /// files or a monitor assesses) or a detection that may touch something
    /// ([`crate::adjudicate::Touch::may`]). Only a link with a strong end matters to any rule.
    pub strong: Vec<bool>,
    /// The components of the link graph over the precise reports when only links with a strong
    /// end count ([`strong_components`]), as positions of reports; a weak report linked to no
    /// strong one is in none.
    pub components: Vec<Vec<u32>>,
    /// Each report's group so far (`NONE`: none).
    pub group_of: Vec<u32>,
    /// The groups so far.
    pub groups: Vec<Vec<usize>>,
}

impl Linked {
    /// Whether report `i` teaches the baseline: a detection in no group of step 1.
    pub(crate) fn teaches(&self, i: usize) -> bool {
        self.detection[i] && self.group_of[i] == NONE
    }
}

/// Each precise report's place and reach ([`precise`], [`obs_of`]), held once: a million
/// detections take their 40 bytes each, and the other reports nothing.
pub(crate) struct Places {
    /// The precise reports' places, in report order (what the link graph is clustered over).
    pub precise: Vec<Obs>,
    /// The report each of `precise` is.
    report: Vec<u32>,
    /// Each report's position in `precise`, or `NONE`.
    at: Vec<u32>,
}

impl Places {
    fn new(snap: &Snapshot, p: &Params) -> Places {
        let mut out = Places {
            precise: Vec::new(),
            report: Vec::new(),
            at: Vec::with_capacity(snap.reports.len()),
        };
        for (i, r) in snap.reports.iter().enumerate() {
            if precise(r, p) {
                out.at.push(out.precise.len() as u32);
                out.precise.push(obs_of(r, p));
                out.report.push(i as u32);
            } else {
                out.at.push(NONE);
            }
        }
        out
    }

    /// Report `i`'s place and reach, if it is precise.
    pub(crate) fn get(&self, i: usize) -> Option<&Obs> {
        match self.at.get(i) {
            Some(&k) if k != NONE => self.precise.get(k as usize),
            _ => None,
        }
    }
}

/// Step 1 of [`build`]: see [`Linked`].
pub(crate) fn link(snap: &Snapshot, p: &Params, touch: &crate::adjudicate::Touch<'_>) -> Linked {
    let origins = Origins::new(snap);
    let n = snap.reports.len();
    let cp = crate::cluster::Params {
        max_gap_s: p.max_gap_s,
    };

    // Assessments by the reports they name.
    let mut assessed: HashMap<EntryId, Vec<usize>> = HashMap::new();
    for (k, a) in snap.assessments.iter().enumerate() {
        // An id that is not an entry id names no report.
        for r in a.reports.iter().filter_map(|r| EntryId::from_hex(r)) {
            assessed.entry(r).or_default().push(k);
        }
    }
    let detection: Vec<bool> = snap
        .reports
        .iter()
        .map(|r| is_detection(r) && !assessed.contains_key(&r.entry_id))
        .collect();
    let obs = Places::new(snap, p);

    // The components of the link graph over the precise reports, counting the links with a
    // strong end: every link a rule reads lies inside one.
    let mut strong = vec![false; n];
    let precise_strong: Vec<bool> = obs
        .report
        .iter()
        .map(|&i| {
            let i = i as usize;
            let s = !detection[i] || touch.may(snap, i, p);
            strong[i] = s;
            s
        })
        .collect();
    let mut components = strong_components(&obs.precise, &precise_strong, &cp);
    drop(precise_strong);
    for c in &mut components {
        for k in c.iter_mut() {
            *k = obs.report[*k as usize];
        }
    }

    // 1. What someone files, clustered among itself; then the detections within its reach.
    let mut group_of = vec![NONE; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for comp in &components {
        let cores: Vec<usize> = comp
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| !detection[i])
            .collect();
        if cores.is_empty() {
            continue;
        }
        let parts: Vec<Vec<usize>> = if cores.len() == comp.len() {
            vec![cores.clone()]
        } else {
            let core_obs: Vec<Obs> = cores.iter().filter_map(|&i| obs.get(i).copied()).collect();
            clusters(&core_obs, &cp)
                .into_iter()
                .map(|c| c.into_iter().map(|k| cores[k as usize]).collect())
                .collect()
        };
        let parts: Vec<Vec<usize>> = parts.into_iter().flat_map(|g| refine(snap, g, p)).collect();
        for g in split_bridges(snap, parts, &origins, p) {
            for &i in &g {
                group_of[i] = groups.len() as u32;
            }
            groups.push(g);
        }
        if cores.len() < comp.len() {
            let dets: Vec<usize> = comp
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| detection[i])
                .collect();
            attach(snap, &cores, &dets, &obs, &mut group_of, p.max_gap_s);
        }
    }
    // Imprecise reports other than detections stand alone.
    for i in 0..n {
        if obs.get(i).is_none() && !detection[i] {
            group_of[i] = groups.len() as u32;
            groups.push(vec![i]);
        }
    }

    Linked {
        origins,
        assessed,
        detection,
        strong,
        obs,
        components,
        group_of,
        groups,
    }
}

/// The components of the link graph over `obs` counting only the links with at least one
/// strong end (`strong[k]`): a weak report (a plain sensor detection) belongs to the component
/// of every strong report it links to, and two weak reports are never linked directly. Members
/// ascending, components by their first member; a weak report linked to no strong one is in
/// none.
///
/// Exactly what the incident rules need: step 1 clusters what someone files among itself and
/// attaches the detections linked to it; step 3 clusters touching detections (each strong)
/// among themselves and attaches the detections linked to them. No rule reads a link between
/// two plain detections, which in a dense sensor feed chain millions of detections into one
/// component; so a component stays as small as what is alleged, assessed or protected near it,
/// and re-judging one (incremental judgement) stays local.
pub(crate) fn strong_components(
    obs: &[Obs],
    strong: &[bool],
    cp: &crate::cluster::Params,
) -> Vec<Vec<u32>> {
    let s_pos: Vec<u32> = (0..obs.len() as u32)
        .filter(|&k| strong[k as usize])
        .collect();
    if s_pos.is_empty() {
        return Vec::new();
    }
    // The strong reports among themselves.
    let s_obs: Vec<Obs> = s_pos.iter().map(|&k| obs[k as usize]).collect();
    let s_comps = clusters(&s_obs, cp);
    drop(s_obs);
    let mut comp_of = vec![0u32; s_pos.len()];
    for (c, m) in s_comps.iter().enumerate() {
        for &k in m {
            comp_of[k as usize] = c as u32;
        }
    }
    // The weak reports each strong one links to: found in an index of the weak ones.
    let mut parent: Vec<u32> = (0..s_comps.len() as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    let any_weak = strong.iter().any(|s| !s);
    let weak = crate::cluster::FrozenLinks::new(
        cp.max_gap_s,
        obs.iter()
            .enumerate()
            .filter(|(k, _)| !strong[*k])
            .map(|(k, o)| (k as u32, o)),
    );
    let mut weak_comp: HashMap<u32, u32> = HashMap::new();
    if any_weak {
        let mut found = Vec::new();
        for (si, &k) in s_pos.iter().enumerate() {
            found.clear();
            weak.linked(
                &obs[k as usize],
                |x| obs.get(x as usize).copied(),
                &mut found,
            );
            for &w in &found {
                let c = find(&mut parent, comp_of[si]);
                match weak_comp.entry(w) {
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(c);
                    }
                    std::collections::hash_map::Entry::Occupied(e) => {
                        let other = find(&mut parent, *e.get());
                        if other != c {
                            let (lo, hi) = (other.min(c), other.max(c));
                            parent[hi as usize] = lo;
                        }
                    }
                }
            }
        }
    }
    drop(weak);
    // Assembled by root.
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); s_comps.len()];
    for (si, &k) in s_pos.iter().enumerate() {
        let r = find(&mut parent, comp_of[si]);
        members[r as usize].push(k);
    }
    for (&w, &c) in &weak_comp {
        let r = find(&mut parent, c);
        members[r as usize].push(w);
    }
    let mut out: Vec<Vec<u32>> = members
        .into_iter()
        .filter(|m| !m.is_empty())
        .map(|mut m| {
            m.sort_unstable();
            m
        })
        .collect();
    out.sort_unstable_by_key(|m| m[0]);
    out
}

/// Steps 3 and 4 of [`build`], given step 1 and each report's routine description: the
/// incidents (ordered by start then id) and the positions of the background detections (ordered
/// by start, log index, then position).
pub(crate) fn finish(
    snap: &Snapshot,
    p: &Params,
    touch: &crate::adjudicate::Touch<'_>,
    linked: Linked,
    routine: Routine<'_>,
) -> (Vec<Built>, Vec<usize>) {
    let Linked {
        origins,
        assessed,
        detection,
        strong,
        obs,
        components,
        mut group_of,
        mut groups,
    } = linked;
    let n = snap.reports.len();
    let cp = crate::cluster::Params {
        max_gap_s: p.max_gap_s,
    };
    let ctx = Ctx {
        snap,
        routine,
        origins: &origins,
        assessed: &assessed,
    };

    // 3. Detections that touch what a reading in force protects: incidents of their own.
    let touching: Vec<usize> = (0..n)
        .filter(|&i| {
            detection[i]
                && group_of[i] == NONE
                && obs.get(i).is_some()
                && !routine.is(i)
                && strong[i]
                && touch.does(snap, &incident(&ctx, vec![i]), p)
        })
        .collect();
    if !touching.is_empty() {
        let t_obs: Vec<Obs> = touching
            .iter()
            .filter_map(|&i| obs.get(i).copied())
            .collect();
        for c in clusters(&t_obs, &cp) {
            let g: Vec<usize> = c.into_iter().map(|k| touching[k as usize]).collect();
            for &i in &g {
                group_of[i] = groups.len() as u32;
            }
            groups.push(g);
        }
        let touches_any: BTreeSet<usize> = touching.iter().copied().collect();
        for comp in &components {
            let cores: Vec<usize> = comp
                .iter()
                .map(|&i| i as usize)
                .filter(|i| touches_any.contains(i))
                .collect();
            if cores.is_empty() {
                continue;
            }
            let dets: Vec<usize> = comp
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| detection[i] && group_of[i] == NONE)
                .collect();
            attach(snap, &cores, &dets, &obs, &mut group_of, p.max_gap_s);
        }
    }

    // Every group's members, now that detections have joined.
    let mut placed = vec![false; n];
    for g in &groups {
        for &i in g {
            placed[i] = true;
        }
    }
    for (i, &g) in group_of.iter().enumerate() {
        if g != NONE && !placed[i] {
            groups[g as usize].push(i);
        }
    }

    // 4. The rest is background.
    let mut background: Vec<(i64, u64, usize)> = (0..n)
        .filter(|&i| detection[i] && group_of[i] == NONE)
        .map(|i| (snap.reports[i].start, snap.reports[i].index, i))
        .collect();
    background.sort_unstable();
    let background = background.into_iter().map(|(_, _, i)| i).collect();

    let mut out: Vec<Built> = groups
        .into_iter()
        .map(|mut g| {
            // Log order, whatever order the snapshot lists reports in.
            g.sort_unstable_by(|&a, &b| {
                let (x, y) = (&snap.reports[a], &snap.reports[b]);
                (x.index, &x.entry_id).cmp(&(y.index, &y.entry_id))
            });
            incident(&ctx, g)
        })
        .collect();
    out.sort_by(|a, b| (a.start, &a.incident.id).cmp(&(b.start, &b.incident.id)));
    (out, background)
}

struct Ctx<'a> {
    snap: &'a Snapshot,
    routine: Routine<'a>,
    origins: &'a Origins,
    assessed: &'a HashMap<EntryId, Vec<usize>>,
}

/// Where monitors' review of one question stands.
enum State {
    /// Nobody assessed it (or no assessment counts).
    None,
    /// Counted assessments agree but fall short of the quorum.
    Pending,
    /// A verdict reached the quorum and outnumbers any other.
    Decided(Verdict),
    /// Officers disagree and no verdict reached the quorum with a majority.
    Contested,
}

/// The quorum in force at log index `at`: the latest policy logged before it (1 without one).
fn quorum_at(snap: &Snapshot, at: u64) -> u32 {
    snap.policies
        .iter()
        .rev()
        .find(|p| p.index < at)
        .map_or(1, |p| p.quorum.max(1))
}

/// Reviews one question: `ks` are the assessments answering it (indices into
/// `Snapshot::assessments`, in log order); `raised_by` the authors of reports that raise it.
fn review(
    snap: &Snapshot,
    ks: &[usize],
    question: Question,
    party: Option<&Id>,
    raised_by: &BTreeSet<&Id>,
) -> (Review, State) {
    // The latest assessment of each officer counts.
    let mut latest: BTreeMap<(&Id, &str), usize> = BTreeMap::new();
    for &k in ks {
        let a = &snap.assessments[k];
        if !raised_by.contains(&a.author) {
            latest.insert((&a.author, a.key.as_str()), k);
        }
    }
    let counted: BTreeSet<usize> = latest.values().copied().collect();
    let mut tally: BTreeMap<String, u32> = BTreeMap::new();
    for &k in &counted {
        *tally
            .entry(verdict_name(snap.assessments[k].verdict).to_string())
            .or_default() += 1;
    }
    let last = counted.iter().map(|&k| snap.assessments[k].index).max();
    let quorum = last.map_or_else(|| quorum_at(snap, u64::MAX), |i| quorum_at(snap, i));
    let assessments: Vec<AssessmentRef> = ks
        .iter()
        .map(|&k| {
            let a = &snap.assessments[k];
            let note = if raised_by.contains(&a.author) {
                Some(format!(
                    "not counted: a report of {} raises this question, and nobody assesses a question raised by their own report",
                    a.author
                ))
            } else if !counted.contains(&k) {
                let later = latest
                    .get(&(&a.author, a.key.as_str()))
                    .map(|&l| snap.assessments[l].index)
                    .unwrap_or_default();
                Some(format!(
                    "superseded by the same officer's later assessment (entry {later}); kept and shown"
                ))
            } else {
                None
            };
            assessment_ref(a, note)
        })
        .collect();
    let best = tally
        .iter()
        .max_by_key(|(v, n)| (**n, std::cmp::Reverse(v.as_str())))
        .map(|(v, n)| (v.clone(), *n));
    let state = match best {
        None => State::None,
        Some((v, n)) => {
            let others = tally.iter().filter(|(w, _)| **w != v).map(|(_, m)| *m);
            let majority = others.clone().all(|m| m < n);
            if n >= quorum && majority {
                State::Decided(parse_verdict(&v))
            } else if tally.len() > 1 {
                State::Contested
            } else {
                State::Pending
            }
        }
    };
    let state_name = match &state {
        State::None | State::Pending => "pending".to_string(),
        State::Decided(v) => verdict_name(*v).to_string(),
        State::Contested => "contested".to_string(),
    };
    (
        Review {
            question,
            party: party.cloned(),
            state: state_name,
            quorum,
            tally,
            assessments,
        },
        state,
    )
}

/// An assessment as an incident lists it: counted unless `note` says why not.
fn assessment_ref(a: &AssessmentIn, note: Option<String>) -> AssessmentRef {
    AssessmentRef {
        index: a.index,
        entry_id: a.entry_id.clone(),
        author: a.author.clone(),
        officer: a.key.clone(),
        question: a.question,
        party: a.party.clone(),
        verdict: a.verdict,
        counted: note.is_none(),
        note,
        text: a.text.clone(),
    }
}

fn parse_verdict(v: &str) -> Verdict {
    match v {
        "verified" => Verdict::Verified,
        "dismissed" => Verdict::Dismissed,
        _ => Verdict::Unverifiable,
    }
}

/// The words for a review's state, naming the officers' verdicts.
fn review_words(r: &Review, what: &str) -> String {
    let tally = r
        .tally
        .iter()
        .map(|(v, n)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    match r.state.as_str() {
        "pending" => format!(
            "monitors' review of {what}: {tally} — short of the policy's {} officer(s); the source grade stands",
            r.quorum
        ),
        "contested" => format!(
            "monitors disagree on {what} ({tally}) and no verdict has a quorum of {} with a majority: contested",
            r.quorum
        ),
        "unverifiable" => format!(
            "monitors found {what} unverifiable: {tally} (quorum {} distinct officer(s))",
            r.quorum
        ),
        v => format!(
            "monitors {v} {what}: {tally} (quorum {} distinct officer(s))",
            r.quorum
        ),
    }
}

fn incident(cx: &Ctx<'_>, members: Vec<usize>) -> Built {
    let snap = cx.snap;
    let reports: Vec<&ReportIn> = members.iter().map(|&i| &snap.reports[i]).collect();
    let mut h = Sha256::new();
    let mut ids: Vec<EntryId> = reports.iter().map(|r| r.entry_id).collect();
    ids.sort_unstable();
    for id in ids {
        h.update(id.hex_bytes());
        h.update(b"\n");
    }
    let id = format!("inc-{}", &hex(&h.finalize())[..16]);

    let evidence: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| !cx.routine.is(i))
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

    // Origins, acts, and who names whom, from the evidence. Detections name nobody.
    let sides: BTreeSet<String> = evidence.iter().map(|&i| cx.origins[i].clone()).collect();
    let acts: BTreeSet<Act> = basis.iter().map(|&i| snap.reports[i].act).collect();
    // Party named → (the authors naming it, the reports naming it by origin).
    type Named = (BTreeSet<Id>, BTreeMap<String, Vec<usize>>);
    let mut named: BTreeMap<Id, Named> = BTreeMap::new();
    let mut denials: BTreeMap<Id, BTreeSet<String>> = BTreeMap::new();
    for &i in &evidence {
        let r = &snap.reports[i];
        if is_detection(r) {
            continue;
        }
        if let Some(p) = &r.perpetrator {
            let e = named.entry(p.id().clone()).or_default();
            e.0.insert(r.author.id().clone());
            e.1.entry(cx.origins[i].clone()).or_default().push(i);
        }
        for d in &r.denies {
            denials
                .entry(d.clone())
                .or_default()
                .insert(cx.origins[i].clone());
        }
    }
    let mut conflicts = Vec::new();
    if named.len() > 1 {
        conflicts.push(format!(
            "sources blame different parties: {}",
            named
                .iter()
                .map(|(p, (by, _))| format!("{p} (by {})", join(by.iter())))
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

    // Assessments of any member, in log order, by question.
    let mut ak: Vec<usize> = members
        .iter()
        .flat_map(|&i| {
            cx.assessed
                .get(&snap.reports[i].entry_id)
                .into_iter()
                .flatten()
                .copied()
        })
        .collect();
    ak.sort_unstable_by_key(|&k| (snap.assessments[k].index, k));
    ak.dedup();

    // Occurrence.
    let mut grade_reasons = Vec::new();
    let independent = sides.len() >= 2;
    let detections = evidence
        .iter()
        .filter(|&&i| is_detection(&snap.reports[i]))
        .count();
    if all_routine {
        grade_reasons.push(format!(
            "every report is a detection at a persistent hot spot ({}): routine, not evidence of an attack",
            cx.routine.get(members[0]).unwrap_or("")
        ));
    } else if independent {
        grade_reasons.push(format!(
            "{} independent origins report it: {}",
            sides.len(),
            join(sides.iter())
        ));
    } else {
        grade_reasons.push(format!(
            "only one origin reports it ({}){}",
            join(sides.iter()),
            if evidence.len() > 1 {
                ": reports of one origin do not corroborate each other"
            } else {
                ""
            }
        ));
    }
    // Said where a detection stands beside other reports (alone, the first reason says it all).
    if detections > 0 && detections < evidence.len() {
        grade_reasons.push(format!(
            "{detections} sensor detection(s) corroborate that something burned there and then, never who did it"
        ));
    }
    let relayed: BTreeSet<String> = evidence
        .iter()
        .filter_map(|&i| {
            let r = &snap.reports[i];
            r.relays
                .as_ref()
                .map(|p| format!("{}/{} relays {p}'s claim", r.author, r.id))
        })
        .collect();
    grade_reasons.extend(relayed);
    let routine_n = members.len() - evidence.len();
    if routine_n > 0 && !all_routine {
        grade_reasons.push(format!(
            "{routine_n} detection(s) at a persistent hot spot set aside as routine; the incident is judged on the other evidence"
        ));
    }
    grade_reasons.extend(conflicts.iter().cloned());
    let source_grade = if independent {
        Grade::Corroborated
    } else {
        Grade::Reported
    };
    let occ_ks: Vec<usize> = ak
        .iter()
        .copied()
        .filter(|&k| snap.assessments[k].question == Question::Occurrence)
        .collect();
    let mut reviews = Vec::new();
    let occurrence = if occ_ks.is_empty() {
        source_grade
    } else {
        let occ_raisers: BTreeSet<&Id> = evidence
            .iter()
            .map(|&i| snap.reports[i].author.id())
            .collect();
        let (rv, st) = review(snap, &occ_ks, Question::Occurrence, None, &occ_raisers);
        grade_reasons.push(review_words(&rv, "the occurrence"));
        reviews.push(rv);
        match st {
            State::Decided(Verdict::Verified) => Grade::Verified,
            State::Decided(Verdict::Dismissed) => Grade::Dismissed,
            State::Decided(Verdict::Unverifiable) => Grade::Unverifiable,
            State::Contested => Grade::Contested,
            State::None | State::Pending => source_grade,
        }
    };

    // Attribution, per party named.
    let mut alleged = Vec::new();
    for (party, (by, by_origin)) in &named {
        let mut reasons = Vec::new();
        let own = by_origin
            .iter()
            .find(|(_, is)| {
                is.iter().any(|&i| {
                    let r = &snap.reports[i];
                    r.relays.as_deref().unwrap_or(&r.author) == party
                })
            })
            .map(|(o, _)| o);
        let others: Vec<String> = named
            .iter()
            .filter(|(q, _)| *q != party)
            .flat_map(|(q, (_, o))| o.keys().map(move |o| format!("{o} names {q}")))
            .collect();
        let deniers: Vec<String> = denials
            .get(party)
            .map(|d| d.iter().map(|o| format!("{o} denies it")).collect())
            .unwrap_or_default();
        let source_grade = if let Some(o) = own {
            reasons.push(format!("{party} itself says it did it ({o})"));
            AttributionGrade::Admitted
        } else if by_origin.len() >= 2 {
            reasons.push(format!(
                "{} independent origins name {party}: {}",
                by_origin.len(),
                join(by_origin.keys())
            ));
            AttributionGrade::Corroborated
        } else if !others.is_empty() || !deniers.is_empty() {
            reasons.push(format!(
                "only {} names {party}; {}",
                join(by_origin.keys()),
                others
                    .iter()
                    .chain(&deniers)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            AttributionGrade::Disputed
        } else {
            reasons.push(format!(
                "only {} names {party}: the accuser's word, with no independent origin naming it",
                join(by_origin.keys())
            ));
            AttributionGrade::Alleged
        };
        if matches!(
            source_grade,
            AttributionGrade::Admitted | AttributionGrade::Corroborated
        ) && (!others.is_empty() || !deniers.is_empty())
        {
            reasons.push(format!(
                "{} (a denial or counter-claim does not lower the grade by itself)",
                others
                    .iter()
                    .chain(&deniers)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        let ks: Vec<usize> = ak
            .iter()
            .copied()
            .filter(|&k| {
                let a = &snap.assessments[k];
                a.question == Question::Attribution && a.party.as_ref() == Some(party)
            })
            .collect();
        let grade = if ks.is_empty() {
            source_grade
        } else {
            let raisers: BTreeSet<&Id> = by_origin
                .values()
                .flatten()
                .map(|&i| snap.reports[i].author.id())
                .collect();
            let (rv, st) = review(snap, &ks, Question::Attribution, Some(party), &raisers);
            reasons.push(review_words(&rv, &format!("the attribution to {party}")));
            reviews.push(rv);
            match st {
                State::Decided(Verdict::Verified) => AttributionGrade::Verified,
                State::Decided(Verdict::Dismissed) => AttributionGrade::Dismissed,
                State::Decided(Verdict::Unverifiable) => AttributionGrade::Unverifiable,
                State::Contested => AttributionGrade::Contested,
                State::None | State::Pending => source_grade,
            }
        };
        alleged.push(Allegation {
            party: party.clone(),
            by: by.iter().cloned().collect(),
            origins: by_origin.keys().cloned().collect(),
            grade,
            standing: grade.standing(),
            reasons,
        });
    }
    let assessments: Vec<AssessmentRef> = {
        let mut all: Vec<AssessmentRef> = reviews
            .iter()
            .flat_map(|r| r.assessments.iter().cloned())
            .collect();
        // Assessments of a question this incident does not raise (an attribution to a party
        // nobody here names) are listed, not counted.
        let listed: BTreeSet<u64> = all.iter().map(|x| x.index).collect();
        for &k in &ak {
            let a = &snap.assessments[k];
            if !listed.contains(&a.index) {
                all.push(assessment_ref(
                    a,
                    Some(format!(
                        "not counted: nobody in this incident names {}",
                        a.party.as_ref().map(Id::as_str).unwrap_or("")
                    )),
                ));
            }
        }
        all.sort_by_key(|a| a.index);
        all
    };
    let disputed = !conflicts.is_empty() || !denials.is_empty();

    let b = &snap.reports[best];
    let member_list: Vec<Member> = members.iter().map(|&i| member(cx, i)).collect();
    Built {
        incident: Incident {
            id,
            start: utc(start),
            end: utc(end),
            day: utc(start)[..10].to_string(),
            point: b.point,
            uncertainty_m: b.uncertainty_m,
            occurrence,
            disputed,
            sides: sides.into_iter().collect(),
            acts: acts.into_iter().collect(),
            alleged,
            routine: all_routine,
            grade_reasons,
            reviews,
            assessments,
            members: member_list,
            vessels: Vec::new(),
        },
        evidence,
        members,
        start,
        end,
    }
}

/// Report `i` as an incident lists it.
fn member(cx: &Ctx<'_>, i: usize) -> Member {
    let r = &cx.snap.reports[i];
    Member {
        index: r.index,
        entry_id: r.entry_id.to_string(),
        author: r.author.id().clone(),
        role: r.role,
        id: r.id.clone(),
        act: r.act,
        perpetrator: r.perpetrator.as_deref().cloned(),
        relays: r.relays.as_deref().cloned(),
        point: r.point,
        uncertainty_m: r.uncertainty_m,
        start: utc(r.start),
        end: utc(r.end),
        side: cx.origins[i].clone(),
        routine: cx.routine.get(i).map(str::to_string),
        observed: cx
            .snap
            .front
            .said(r)
            .and_then(|s| s.observation.as_ref())
            .map(crate::types::Observed::of),
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
    a.as_str().to_string()
}

/// A verdict's name as written in files.
pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Verified => "verified",
        Verdict::Dismissed => "dismissed",
        Verdict::Unverifiable => "unverifiable",
    }
}
