//! Adjudication: for each incident × agreement × reading, whether the incident breaches the
//! agreement as that party reads it — window, zones, protected target, prohibited act, bound
//! party, sources and assessments, release clauses — with the reason for every step.
//!
//! Maritime terms (truce-rules/7): a condition precedent counts only its attesters' statuses
//! (`condition` reasons name the filings not counted); the vessels an incident's reports are
//! matched to ([`crate::maritime`]) make a protected target by their class when no report names
//! a category (`yes` only when every vessel matched is protected); a confinement (`confined`)
//! needs no protected target: a report placing a vessel of the confined category and party
//! outside its zone makes the `target` and that party's `act` hold (`confined` reasons, with
//! what AIS can and cannot show); the military use of a vessel stands as alleged unless a
//! monitor's inspection report names the same party (`evidence` reasons).

use crate::incidents::{act_name, Built};
use crate::input::{ConditionIn, EndIn, InvocationIn, ReadingIn, Snapshot};
use crate::maritime::VesselMatch;
use crate::types::{
    outcome_words, Attribution, AttributionGrade, Finding, Grade, Outcome, Reason, SiteNear,
    RULES_VERSION,
};
use crate::{utc, Params};
use std::collections::{BTreeMap, BTreeSet};
use truce_geo::{Shape, SiteIndex};
use truce_model::domain::{Act, ReleaseKind, SiteBound, Standing, Terms};
use truce_model::geo::{km, Geometry, Measure};
use truce_model::lifecycle::{
    self, ConditionRef, ConditionStatus, Consent, ExtensionState, Required,
};
use truce_model::Id;

/// A listed site within reach of one of an incident's reports.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    site: usize,
    distance_m: f64,
    certain: bool,
    report: usize,
    /// The site's geodesic size.
    measure: Measure,
}

/// The bound on a site's area when a reading states none for its category, km² (truce-rules/5).
pub const DEFAULT_MAX_AREA_KM2: f64 = 100.0;
/// The bound on a line site's length when a reading states none for its category, km.
pub const DEFAULT_MAX_LENGTH_KM: f64 = 5_000.0;

/// Why a site is too large to decide a finding under a reading (its bound for the site's
/// category, or the rules' default), or `None` when it is within its bound.
fn beyond_bound(snap: &Snapshot, h: &Hit, rd: &ReadingIn) -> Option<String> {
    let s = &snap.sites[h.site];
    let stated = rd.reading.terms.site_bound(&s.category);
    type Field = fn(&SiteBound) -> Option<f64>;
    let (size, field, default, unit): (f64, Field, f64, &str) = match h.measure {
        Measure::Point => return None,
        Measure::Area(m2) => (m2 / 1e6, |b| b.max_area_km2, DEFAULT_MAX_AREA_KM2, "km²"),
        Measure::Length(m) => (m / 1e3, |b| b.max_length_km, DEFAULT_MAX_LENGTH_KM, "km"),
    };
    let (bound, whose) = match stated.and_then(|(k, b)| field(b).map(|v| (v, k))) {
        Some((v, k)) => (v, format!("{}'s reading's bound for {k}", rd.author)),
        None => (
            default,
            format!("the rules' default bound for {}", s.category),
        ),
    };
    if size <= bound {
        return None;
    }
    Some(format!(
        "site {}/{} ({}, {}) exceeds {whose} of {} {unit}: not used",
        s.lister,
        s.id,
        s.name,
        h.measure.words(),
        km(bound)
    ))
}

/// The sites near each incident, found once and filtered per reading.
pub(crate) struct Near {
    index: SiteIndex,
    max_approx: f64,
    measures: Vec<Measure>,
    /// The snapshot's vessels and tracks, indexed for matching reports of vessel acts: built
    /// the first time a report of a vessel act is matched, from the snapshot's maritime data
    /// (which cannot change under a `Near`: a change re-judges in full, with a new one).
    vessels: std::sync::OnceLock<crate::maritime::VesselIndex>,
}

impl Near {
    /// Indexes the snapshot's sites. A polygon the geometry rules refuse (an edge spanning 180° of
    /// longitude or more, a ring around a pole) is left out, with a warning naming it.
    pub(crate) fn new(snap: &Snapshot, warnings: &mut Vec<String>) -> Near {
        let mut sites = Vec::with_capacity(snap.sites.len());
        for (k, s) in snap.sites.iter().enumerate() {
            let shape = match &s.geometry {
                Geometry::Point(p) => Shape::Point([p.lon(), p.lat()]),
                Geometry::Polygon(poly) => {
                    let rings: Vec<Vec<[f64; 2]>> = poly
                        .rings()
                        .iter()
                        .map(|r| r.iter().map(|p| [p.lon(), p.lat()]).collect())
                        .collect();
                    if let Err(e) = truce_geo::check_polygon(&rings) {
                        warnings.push(format!(
                            "site {}/{} (entry {}) is not used: {e}",
                            s.lister, s.id, s.index
                        ));
                        continue;
                    }
                    Shape::Polygon(rings)
                }
                Geometry::LineString(_) | Geometry::MultiLineString(_) => {
                    let lines: Vec<Vec<[f64; 2]>> = match &s.geometry {
                        Geometry::LineString(l) => {
                            vec![l.points().iter().map(|p| [p.lon(), p.lat()]).collect()]
                        }
                        Geometry::MultiLineString(m) => m
                            .lines()
                            .iter()
                            .map(|l| l.points().iter().map(|p| [p.lon(), p.lat()]).collect())
                            .collect(),
                        _ => Vec::new(),
                    };
                    if let Err(e) = truce_geo::check_lines(&lines) {
                        warnings.push(format!(
                            "site {}/{} (entry {}) is not used: {e}",
                            s.lister, s.id, s.index
                        ));
                        continue;
                    }
                    Shape::Line(lines)
                }
            };
            sites.push((k as u32, shape));
        }
        // The checks above make refusals unexpected; should one happen, the refused site is
        // left out with a warning and the rest indexed.
        let index = loop {
            match SiteIndex::new(sites.clone()) {
                Ok(index) => break index,
                Err(e) => {
                    let bad = match &e {
                        truce_geo::GeoError::Site { key, .. } => Some(*key),
                        _ => None,
                    };
                    warnings.push(format!("a site is not used: {e}"));
                    match bad {
                        Some(k) => sites.retain(|(key, _)| *key != k),
                        None => sites.clear(),
                    }
                }
            }
        };
        Near {
            index,
            max_approx: snap
                .sites
                .iter()
                .map(|s| f64::from(s.approximate_m))
                .fold(0.0, f64::max),
            measures: snap.sites.iter().map(|s| s.geometry.measure()).collect(),
            vessels: std::sync::OnceLock::new(),
        }
    }

    /// The vessel index of `snap`'s maritime data (built on first use).
    fn vessel_index(&self, snap: &Snapshot) -> &crate::maritime::VesselIndex {
        self.vessels
            .get_or_init(|| crate::maritime::VesselIndex::new(&snap.maritime))
    }

    /// Lists in each incident the vessels its reports of vessel acts are matched to
    /// ([`crate::maritime`]), in evidence order, each vessel once per report.
    pub(crate) fn match_vessels(&self, snap: &Snapshot, built: &mut [Built]) {
        if snap.maritime.is_empty() {
            return;
        }
        for b in built {
            b.incident.vessels = self.vessels_of(snap, b);
        }
    }

    /// The vessels matched to `b`'s reports (evidence, or every member of a routine incident).
    pub(crate) fn vessels_of(
        &self,
        snap: &Snapshot,
        b: &Built,
    ) -> Vec<crate::maritime::VesselMatch> {
        let from = if b.evidence.is_empty() {
            &b.members
        } else {
            &b.evidence
        };
        if snap.maritime.is_empty()
            || !from
                .iter()
                .any(|&ri| crate::input::vessel_act(snap.reports[ri].act))
        {
            return Vec::new();
        }
        let ix = self.vessel_index(snap);
        from.iter()
            .flat_map(|&ri| ix.matches(&snap.reports[ri]))
            .collect()
    }

    /// Every site within reach of the incident's evidence, nearest first (ties by site then
    /// report), each with whether it is certainly near or only within the report's uncertainty.
    pub(crate) fn hits(&self, snap: &Snapshot, b: &Built, p: &Params) -> Vec<Hit> {
        let mut out = Vec::new();
        // Routine incidents have no evidence; where they are still matters (a flare at a refinery).
        let from = if b.evidence.is_empty() {
            &b.members
        } else {
            &b.evidence
        };
        for &ri in from {
            self.report_hits(snap, ri, p, &mut out);
        }
        out.sort_by(|a, b| {
            (!a.certain, a.distance_m, a.site, a.report)
                .partial_cmp(&(!b.certain, b.distance_m, b.site, b.report))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        out
    }

    /// The sites within reach of report `ri`, appended to `out` unordered.
    fn report_hits(&self, snap: &Snapshot, ri: usize, p: &Params, out: &mut Vec<Hit>) {
        let r = &snap.reports[ri];
        let unc = f64::from(r.uncertainty_m.min(p.max_uncertainty_m));
        let radius = p.near_m + self.max_approx + unc;
        for h in self.index.within(r.point, radius) {
            let s = &snap.sites[h.key as usize];
            let sure = p.near_m + f64::from(s.approximate_m);
            if h.distance_m <= sure + unc {
                // A report less precise than the site's reach cannot say it hit the site.
                out.push(Hit {
                    site: h.key as usize,
                    distance_m: h.distance_m,
                    certain: h.distance_m <= sure && f64::from(r.uncertainty_m) <= sure,
                    report: ri,
                    measure: self.measures[h.key as usize],
                });
            }
        }
    }
}

/// The versions of each reading, by (agreement, author), in snapshot order.
pub(crate) fn reading_versions(snap: &Snapshot) -> Vec<Vec<&ReadingIn>> {
    let mut keys: std::collections::BTreeMap<(&Id, &Id), Vec<&ReadingIn>> =
        std::collections::BTreeMap::new();
    for rd in &snap.readings {
        keys.entry((&rd.reading.agreement, &rd.author))
            .or_default()
            .push(rd);
    }
    keys.into_values().collect()
}

/// The version of a reading in force at `t`: of those effective by then, the one filed last.
pub(crate) fn in_force<'a>(versions: &[&'a ReadingIn], t: i64) -> Option<&'a ReadingIn> {
    versions
        .iter()
        .filter(|v| v.effective <= t)
        .max_by_key(|v| v.index)
        .copied()
}

/// Whether a sensor detection touches something a reading protects (truce-rules/6): some
/// reading in force at its start concerns it (a protected site within reach, listed by then and
/// within its bound, or a protected target named) and does not find it out of scope (conditions
/// met, inside the window and the zones). A detection that touches nothing is background.
pub(crate) struct Touch<'a> {
    near: &'a Near,
    versions: &'a [Vec<&'a ReadingIn>],
}

impl<'a> Touch<'a> {
    /// Over these sites and reading versions.
    pub(crate) fn new(near: &'a Near, versions: &'a [Vec<&'a ReadingIn>]) -> Touch<'a> {
        Touch { near, versions }
    }

    /// A cheap first test for report `ri`: whether anything could make it touch (a site within
    /// reach, or a target named, and some reading at all).
    pub(crate) fn may(&self, snap: &Snapshot, ri: usize, p: &Params) -> bool {
        if self.versions.is_empty() {
            return false;
        }
        if snap.reports[ri].target.is_some() || crate::input::vessel_act(snap.reports[ri].act) {
            return true;
        }
        if self.versions.iter().flatten().any(|rd| {
            rd.reading
                .terms
                .front
                .as_ref()
                .is_some_and(|t| crate::front::relevant(&snap.reports[ri], t))
        }) {
            return true;
        }
        let mut hits = Vec::new();
        self.near.report_hits(snap, ri, p, &mut hits);
        !hits.is_empty()
    }

    /// The full test, on the detection as an incident of its own.
    pub(crate) fn does(&self, snap: &Snapshot, b: &Built, p: &Params) -> bool {
        if b.incident.routine {
            return false;
        }
        let hits = self.near.hits(snap, b, p);
        // A detection of a vessel act is judged with the vessels it is matched to.
        let matched;
        let b = if b.incident.vessels.is_empty()
            && b.evidence
                .iter()
                .any(|&ri| crate::input::vessel_act(snap.reports[ri].act))
            && !snap.maritime.is_empty()
        {
            let mut c = b.clone();
            c.incident.vessels = self.near.vessels_of(snap, b);
            matched = c;
            &matched
        } else {
            b
        };
        self.versions.iter().any(|versions| {
            in_force(versions, b.start).is_some_and(|rd| {
                concerns(snap, b, &hits, rd)
                    && adjudicate(snap, b, &hits, rd, p).outcome != Outcome::OutOfScope
            })
        })
    }
}

fn reason(rule: &str, holds: &str, text: String) -> Reason {
    Reason {
        rule: rule.to_string(),
        holds: holds.to_string(),
        text,
    }
}

/// Where an incident stands on a yes/no/uncertain condition.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Tri {
    Yes,
    No,
    Uncertain,
}

impl Tri {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Tri::Yes => "yes",
            Tri::No => "no",
            Tri::Uncertain => "uncertain",
        }
    }
}

/// Whether a reading concerns an incident at all: someone is blamed for it, a listed site of a
/// protected category is within reach, or a report names a protected target.
pub(crate) fn concerns(snap: &Snapshot, b: &Built, hits: &[Hit], rd: &ReadingIn) -> bool {
    let protected = &rd.reading.terms.protected;
    !b.incident.alleged.is_empty()
        || hits.iter().any(|h| {
            listed_by(snap, h, b)
                && protected.contains(&snap.sites[h.site].category)
                && beyond_bound(snap, h, rd).is_none()
        })
        || b.evidence.iter().any(|&ri| {
            snap.reports[ri]
                .target
                .as_ref()
                .is_some_and(|c| protected.contains(c))
        })
        || b.incident
            .vessels
            .iter()
            .any(|v| v.category().is_some_and(|c| protected.contains(&c)))
        || rd.reading.terms.front.as_ref().is_some_and(|t| {
            crate::front::hits(snap, b, t)
                .iter()
                .any(|h| h.holds != Tri::No)
        })
}

/// Whether a hit's site was protected by its listing at the incident's start (its
/// `effective_from`, default its filing): a site listed after it burned protects nothing then.
fn listed_by(snap: &Snapshot, h: &Hit, b: &Built) -> bool {
    snap.sites[h.site].effective <= b.start
}

/// A finding of `inc` under `rd` before anything is decided: out of scope, no attribution, no
/// reason yet.
fn blank(inc: &crate::types::Incident, rd: &ReadingIn) -> Finding {
    Finding {
        incident: inc.id.clone(),
        agreement: rd.reading.agreement.clone(),
        reading: rd.author.clone(),
        outcome: Outcome::OutOfScope,
        standing: Standing::Alleged,
        words: String::new(),
        occurrence: inc.occurrence,
        day: inc.day.clone(),
        attributions: Vec::new(),
        site: None,
        reasons: Vec::new(),
        version: rd.index,
        retroactive: false,
        rules: RULES_VERSION.to_string(),
    }
}

/// Every party named in `inc`, with outcome `o`.
fn attributions_all(inc: &crate::types::Incident, o: Outcome) -> Vec<Attribution> {
    inc.alleged
        .iter()
        .map(|a| Attribution {
            party: a.party.clone(),
            alleged_by: a.by.clone(),
            outcome: o,
            grade: a.grade,
            standing: a.standing,
            released_by: None,
            invocation: None,
            release_available: None,
        })
        .collect()
}

/// The finding for an incident that began before any version of the reading applied:
/// out of scope, because the party had filed no reading in force then.
pub(crate) fn before_any_version(b: &Built, rd: &ReadingIn) -> Finding {
    let inc = &b.incident;
    let mut f = blank(inc, rd);
    f.attributions = attributions_all(inc, Outcome::OutOfScope);
    f.reasons = vec![reason(
        "version",
        "no",
        format!(
            "{} had no reading in force when this incident began ({}): its first version was filed {} (entry {}) and applies from {}",
            rd.author,
            inc.start,
            utc(rd.filed),
            rd.index,
            utc(rd.effective)
        ),
    )];
    set_standing(&mut f);
    f
}

/// Adjudicates one incident under one reading (release clauses are applied afterwards, across
/// the reading's findings in time order: see [`apply_release`]).
pub(crate) fn adjudicate(
    snap: &Snapshot,
    b: &Built,
    hits: &[Hit],
    rd: &ReadingIn,
    p: &Params,
) -> Finding {
    let terms = &rd.reading.terms;
    let inc = &b.incident;
    let mut reasons = Vec::new();
    // The version of the reading, and whether it decides an incident filed before it.
    let retro_reading = rd.effective < rd.filed && b.start < rd.filed;
    reasons.push(reason(
        "version",
        if retro_reading { "uncertain" } else { "yes" },
        format!(
            "{}'s reading as filed {} (entry {}), in force from {}{}",
            rd.author,
            utc(rd.filed),
            rd.index,
            utc(rd.effective),
            if retro_reading {
                ": RETROACTIVE — filed after this incident began, yet applied to it"
            } else {
                ""
            }
        ),
    ));
    // Sites listed after the incident began protect nothing in it (unless their listing says
    // it was effective earlier: then they count, flagged retroactive).
    let later: Vec<&Hit> = hits
        .iter()
        .filter(|h| {
            !listed_by(snap, h, b) && terms.protected.contains(&snap.sites[h.site].category)
        })
        .collect();
    if let Some(h) = later.first() {
        let s = &snap.sites[h.site];
        reasons.push(reason(
            "version",
            "no",
            format!(
                "site {}/{} ({}) was listed {} with effect from {}, after this incident began: not protected by the listing then",
                s.lister,
                s.id,
                s.name,
                utc(s.filed),
                utc(s.effective)
            ),
        ));
    }
    // Sites beyond their bound (truce-rules/5: a country listed as one metering station) never
    // decide a finding: each protected one within reach is named, with its size and bound.
    let mut seen = BTreeSet::new();
    for h in hits {
        if terms.protected.contains(&snap.sites[h.site].category) && seen.insert(h.site) {
            if let Some(text) = beyond_bound(snap, h, rd) {
                reasons.push(reason("site", "no", text));
            }
        }
    }
    let hits: Vec<Hit> = hits
        .iter()
        .filter(|h| listed_by(snap, h, b) && beyond_bound(snap, h, rd).is_none())
        .cloned()
        .collect();
    let hits = &hits[..];
    let mut finding = blank(inc, rd);
    finding.retroactive = retro_reading;
    let done = |mut f: Finding, o: Outcome, reasons: Vec<Reason>| -> Finding {
        f.outcome = o;
        f.attributions = attributions_all(inc, o);
        f.reasons = reasons;
        set_standing(&mut f);
        f
    };

    // 0. Conditions precedent: the reading is in force only if each condition it lists was met
    //    at the incident's start (by the status version in force then).
    let mut unmet = false;
    for cref in &terms.conditions {
        let (holds, text, retro) = condition_at(snap, rd, cref, b.start);
        unmet |= holds == "no";
        finding.retroactive |= retro;
        reasons.push(reason("condition", holds, text));
    }
    if unmet {
        return done(finding, Outcome::OutOfScope, reasons);
    }

    // 1. The window: extended by what every required party agreed, ended early by a collapse of
    //    the agreement's phase, or by a lapse no extension in force prevented.
    let ws = terms.window.start.0.as_second();
    let w = window_at(snap, rd, b);
    let we = w.end;
    let wtext = w.text;
    finding.retroactive |= w.retroactive;
    let span = format!("{} – {}", inc.start, inc.end);
    let window = if b.end < ws || we.is_some_and(|e| b.start >= e) {
        Tri::No
    } else if b.start >= ws && we.is_none_or(|e| b.end < e) {
        Tri::Yes
    } else {
        Tri::Uncertain
    };
    reasons.push(reason(
        "window",
        window.word(),
        match window {
            Tri::Yes => format!("{span} is within {wtext}"),
            Tri::No => format!("{span} is outside {wtext}"),
            Tri::Uncertain => format!(
                "{span} overlaps the edge of {wtext}: the time is too imprecise to say whether it falls inside"
            ),
        },
    ));
    reasons.extend(w.notes);
    if window == Tri::No {
        return done(finding, Outcome::OutOfScope, reasons);
    }

    // 2. Zones.
    let mut zone = Tri::Yes;
    if !terms.zones.is_empty() {
        let mut best: Option<(Tri, String)> = None;
        'zones: for z in &terms.zones {
            let rings: Vec<Vec<[f64; 2]>> = z
                .polygon
                .rings()
                .iter()
                .map(|r| r.iter().map(|p| [p.lon(), p.lat()]).collect())
                .collect();
            for &ri in &b.evidence {
                let r = &snap.reports[ri];
                let d = truce_geo::polygon_distance_m(&rings, r.point);
                if d == 0.0 {
                    best = Some((
                        Tri::Yes,
                        format!("{}/{} is inside zone {:?}", r.author, r.id, z.name),
                    ));
                    break 'zones;
                }
                if d <= f64::from(r.uncertainty_m) && best.is_none() {
                    best = Some((
                        Tri::Uncertain,
                        format!(
                            "{}/{} is {:.0} m outside zone {:?}, within its uncertainty of {} m",
                            r.author, r.id, d, z.name, r.uncertainty_m
                        ),
                    ));
                }
            }
        }
        let (t, text) = best.unwrap_or_else(|| {
            (
                Tri::No,
                format!(
                    "no report of the incident is inside the reading's zones ({})",
                    terms
                        .zones
                        .iter()
                        .map(|z| format!("{:?}", z.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        });
        reasons.push(reason("zone", t.word(), text));
        zone = t;
        if t == Tri::No {
            return done(finding, Outcome::OutOfScope, reasons);
        }
    }

    // 3. Routine detections.
    if inc.routine {
        reasons.push(reason(
            "routine",
            "yes",
            inc.grade_reasons.first().cloned().unwrap_or_default(),
        ));
        return done(finding, Outcome::NoBreach, reasons);
    }

    // 4. Monitors' dismissal of the occurrence.
    if inc.occurrence == Grade::Dismissed {
        let text = inc
            .grade_reasons
            .iter()
            .rev()
            .find(|r| r.starts_with("monitors"))
            .cloned()
            .unwrap_or_default();
        reasons.push(reason(
            "assessment",
            "no",
            format!("{text}: no breach is attributed"),
        ));
        return done(finding, Outcome::NoBreach, reasons);
    }

    // 5. The target: a listed protected site near the incident, or a protected target as reported.
    let protected = |c: &truce_model::taxonomy::Category| terms.protected.contains(c);
    let certain_site = hits
        .iter()
        .find(|h| h.certain && protected(&snap.sites[h.site].category));
    let reported_target = b.evidence.iter().find_map(|&ri| {
        let r = &snap.reports[ri];
        r.target
            .as_ref()
            .filter(|c| protected(c))
            .map(|c| (ri, c.clone()))
    });
    // A report too imprecise to stand with others (wider than `max_uncertainty_m`) cannot place
    // the target it names: the target stays uncertain.
    let (reported_target, vague_target) = match reported_target {
        Some((ri, c)) if snap.reports[ri].uncertainty_m > p.max_uncertainty_m => {
            (None, Some((ri, c)))
        }
        t => (t, None),
    };
    let uncertain_site = hits
        .iter()
        .find(|h| !h.certain && protected(&snap.sites[h.site].category));
    let vessel_target = vessel_target(snap, b, terms);
    let confined = confined(snap, b, terms);
    // Terms along a line of contact (truce-rules/8): they need no protected target.
    let front = terms
        .front
        .as_ref()
        .map(|t| crate::front::hits(snap, b, t))
        .unwrap_or_default();
    if let Some(text) = front.iter().find_map(|h| h.retroactive.clone()) {
        finding.retroactive = true;
        reasons.push(reason("version", "uncertain", text));
    }
    for h in &front {
        reasons.push(reason(
            "front",
            h.holds.word(),
            format!("{}: {}", h.prohibition.as_str(), h.text),
        ));
    }
    let front_best = front
        .iter()
        .filter(|h| h.holds != Tri::No)
        .max_by_key(|h| tri_rank(h.holds));
    let site_near = |h: &Hit| {
        let s = &snap.sites[h.site];
        let r = &snap.reports[h.report];
        SiteNear {
            lister: s.lister.clone(),
            id: s.id.clone(),
            name: s.name.clone(),
            category: s.category.to_string(),
            distance_m: h.distance_m.round() as u64,
            uncertain: !h.certain,
            report: format!("{}/{}", r.author, r.id),
        }
    };
    let describe = |h: &Hit| {
        let s = &snap.sites[h.site];
        let r = &snap.reports[h.report];
        format!(
            "site {}/{} ({}, {}) is {:.0} m from {}/{} (threshold {:.0} m{}{})",
            s.lister,
            s.id,
            s.name,
            s.category,
            h.distance_m,
            r.author,
            r.id,
            p.near_m + f64::from(s.approximate_m),
            if s.approximate_m > 0 {
                format!(
                    ", including the site's approximate position ±{} m",
                    s.approximate_m
                )
            } else {
                String::new()
            },
            if h.certain {
                String::new()
            } else {
                format!(
                    "; only within reach given the report's uncertainty of {} m",
                    r.uncertainty_m
                )
            }
        )
    };
    let target = if let Some(h) = certain_site {
        reasons.push(reason(
            "target",
            "yes",
            format!("protected under this reading: {}", describe(h)),
        ));
        let s = &snap.sites[h.site];
        if s.filed > b.start {
            finding.retroactive = true;
            reasons.push(reason(
                "version",
                "uncertain",
                format!(
                    "site {}/{} was listed {}, after this incident began, with effect from {}: RETROACTIVE",
                    s.lister,
                    s.id,
                    utc(s.filed),
                    utc(s.effective)
                ),
            ));
        }
        finding.site = Some(site_near(h));
        Tri::Yes
    } else if let Some((ri, c)) = &reported_target {
        let r = &snap.reports[*ri];
        let nearest = hits
            .first()
            .map(|h| format!("; nearest listed site: {}", describe(h)))
            .unwrap_or_else(|| "; no listed site within reach".to_string());
        reasons.push(reason(
            "target",
            "yes",
            format!(
                "{}/{} reports a target of category {c}, protected under this reading{nearest}",
                r.author, r.id
            ),
        ));
        if let Some(h) = uncertain_site {
            finding.site = Some(site_near(h));
        }
        Tri::Yes
    } else if let Some((Tri::Yes, text)) = &vessel_target {
        reasons.push(reason("target", "yes", text.clone()));
        Tri::Yes
    } else if let Some(h) = uncertain_site {
        reasons.push(reason(
            "target",
            "uncertain",
            format!("possibly protected: {}", describe(h)),
        ));
        finding.site = Some(site_near(h));
        Tri::Uncertain
    } else if let Some((t, text)) = &vessel_target {
        reasons.push(reason("target", t.word(), text.clone()));
        *t
    } else if let Some((t, text)) = confined
        .iter()
        .map(|c| (c.outside, &c.text))
        .max_by_key(|(t, _)| tri_rank(*t))
        .filter(|(t, _)| *t != Tri::No)
    {
        reasons.push(reason(
            "target",
            t.word(),
            format!("no protected target needed: {text}"),
        ));
        t
    } else if let Some(h) = front_best {
        reasons.push(reason(
            "target",
            h.holds.word(),
            format!(
                "no protected target needed: this reading prohibits {} along the line of contact",
                h.prohibition.as_str()
            ),
        ));
        h.holds
    } else if let Some((ri, c)) = &vague_target {
        let r = &snap.reports[*ri];
        reasons.push(reason(
            "target",
            "uncertain",
            format!(
                "{}/{} names a target of category {c}, protected under this reading, but places it only within {} m: too imprecise (over {} m) to say what was hit",
                r.author, r.id, r.uncertainty_m, p.max_uncertainty_m
            ),
        ));
        Tri::Uncertain
    } else {
        let nearest = hits
            .first()
            .map(|h| {
                format!(
                    "the sites within reach are not of a protected category (nearest: {})",
                    describe(h)
                )
            })
            .unwrap_or_else(|| {
                format!(
                    "no listed site within reach of any report ({:.0} m plus the site's and the report's position uncertainty)",
                    p.near_m
                )
            });
        reasons.push(reason(
            "target",
            "no",
            format!("no protected target: {nearest}, and no report names a protected category"),
        ));
        return done(finding, Outcome::OutOfScope, reasons);
    };

    for c in &confined {
        reasons.push(reason("confined", c.outside.word(), c.text.clone()));
    }

    // 6. Acts and parties.
    let prohibited = |a: Act| terms.prohibited_acts.iter().any(|g| a.is_a(g));
    // Military use of a commercial vessel stands as alleged unless a monitor's inspection report
    // in the incident names the same party.
    let inspected: BTreeSet<&Id> = b
        .evidence
        .iter()
        .map(|&ri| &snap.reports[ri])
        .filter(|r| {
            r.role == truce_model::domain::Role::Monitor
                && r.act == Act::MilitaryUseOfVessel
                && snap.maritime.said(r).is_some_and(|v| v.inspection)
        })
        .filter_map(|r| r.perpetrator.as_deref())
        .collect();
    let prohibited_names = terms
        .prohibited_acts
        .iter()
        .map(|a| act_name(*a))
        .collect::<Vec<_>>()
        .join(", ");
    let context = if window == Tri::Yes && zone == Tri::Yes && target == Tri::Yes {
        Outcome::Breach
    } else {
        Outcome::Undetermined
    };
    let bound: BTreeSet<&Id> = terms.bound.iter().collect();
    let mut attributions = Vec::new();
    for a in &inc.alleged {
        let acts: BTreeSet<Act> = b
            .evidence
            .iter()
            .map(|&ri| &snap.reports[ri])
            .filter(|r| r.perpetrator.as_deref() == Some(&a.party))
            .map(|r| r.act)
            .collect();
        let names = acts
            .iter()
            .map(|x| act_name(*x))
            .collect::<Vec<_>>()
            .join(", ");
        let by = a.by.iter().map(Id::as_str).collect::<Vec<_>>().join(", ");
        let outcome = if a.grade == AttributionGrade::Dismissed {
            reasons.push(reason(
                "assessment",
                "no",
                format!(
                    "{}: no breach is attributed to {}",
                    a.reasons.last().cloned().unwrap_or_default(),
                    a.party
                ),
            ));
            Outcome::NoBreach
        } else if !bound.contains(&a.party) {
            reasons.push(reason(
                "bound",
                "no",
                format!(
                    "{} is not bound by this reading (bound: {})",
                    a.party,
                    terms
                        .bound
                        .iter()
                        .map(Id::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            Outcome::OutOfScope
        } else if let Some(c) = confined
            .iter()
            .filter(|c| c.party == a.party && c.outside != Tri::No)
            .max_by_key(|c| tri_rank(c.outside))
        {
            reasons.push(reason(
                "act",
                c.outside.word(),
                format!(
                    "{by} report(s) a vessel of {} outside the zone it is confined to: prohibited by this reading's confinement",
                    a.party
                ),
            ));
            if c.outside == Tri::Yes {
                context
            } else {
                Outcome::Undetermined
            }
        } else if acts.iter().any(|x| prohibited(*x)) {
            reasons.push(reason(
                "act",
                "yes",
                format!(
                    "{by} allege(s) {names} by {}: prohibited ({prohibited_names})",
                    a.party
                ),
            ));
            context
        } else if let Some(h) = front
            .iter()
            .filter(|h| {
                h.holds != Tri::No
                    && match &h.party {
                        Some(p) => *p == a.party,
                        None => acts.iter().any(|x| x.is_fire()),
                    }
            })
            .max_by_key(|h| tri_rank(h.holds))
        {
            reasons.push(reason(
                "act",
                h.holds.word(),
                format!(
                    "{by} allege(s) {names} by {}: prohibited along the line of contact ({})",
                    a.party,
                    h.prohibition.as_str()
                ),
            ));
            if h.holds == Tri::Yes {
                context
            } else {
                Outcome::Undetermined
            }
        } else {
            reasons.push(reason(
                "act",
                "no",
                format!(
                    "{by} allege(s) {names} by {}: not among the prohibited acts ({prohibited_names})",
                    a.party
                ),
            ));
            Outcome::NoBreach
        };
        let mut standing = a.standing;
        if acts.contains(&Act::MilitaryUseOfVessel)
            && acts.iter().all(|x| *x == Act::MilitaryUseOfVessel)
        {
            if inspected.contains(&a.party) {
                if standing == Standing::Alleged {
                    standing = Standing::Corroborated;
                }
                reasons.push(reason(
                    "evidence",
                    "yes",
                    format!(
                        "a monitor's inspection report names {}'s military use of the vessel",
                        a.party
                    ),
                ));
            } else {
                if standing == Standing::Corroborated {
                    standing = Standing::Alleged;
                }
                reasons.push(reason(
                    "evidence",
                    "uncertain",
                    format!(
                        "military use of a vessel by {} stands as alleged: no monitor's inspection report corroborates it",
                        a.party
                    ),
                ));
            }
        }
        attributions.push(Attribution {
            party: a.party.clone(),
            alleged_by: a.by.clone(),
            outcome,
            grade: a.grade,
            standing,
            released_by: None,
            invocation: None,
            release_available: None,
        });
    }
    if inc.alleged.is_empty() {
        let acts: BTreeSet<Act> = b.evidence.iter().map(|&ri| snap.reports[ri].act).collect();
        let names = acts
            .iter()
            .map(|x| act_name(*x))
            .collect::<Vec<_>>()
            .join(", ");
        let generic = acts
            .iter()
            .all(|a| matches!(a, Act::FireObserved | Act::Violence | Act::Explosion));
        if generic || acts.iter().any(|x| prohibited(*x)) || front_best.is_some() {
            reasons.push(reason(
                "act",
                "uncertain",
                format!(
                    "reported: {names}; no source says who did it{}",
                    if generic { " or what caused it" } else { "" }
                ),
            ));
            finding.outcome = Outcome::Undetermined;
        } else {
            reasons.push(reason(
                "act",
                "no",
                format!("reported: {names}: not among the prohibited acts ({prohibited_names})"),
            ));
            finding.outcome = Outcome::NoBreach;
        }
    } else {
        finding.outcome = overall(&attributions);
    }

    // 7. Occurrence and attribution: how well the finding stands.
    reasons.push(reason(
        "occurrence",
        match inc.occurrence {
            Grade::Corroborated | Grade::Verified => "yes",
            Grade::Dismissed => "no",
            _ => "uncertain",
        },
        format!(
            "occurrence {}: {}",
            inc.occurrence.as_str(),
            inc.grade_reasons.join("; ")
        ),
    ));
    for a in &inc.alleged {
        reasons.push(reason(
            "attribution",
            match a.standing {
                Standing::Established => "yes",
                Standing::Corroborated => "yes",
                Standing::Alleged => "uncertain",
            },
            format!(
                "attribution to {} {} (standing: {}): {}",
                a.party,
                a.grade.as_str(),
                a.standing.as_str(),
                a.reasons.join("; ")
            ),
        ));
    }
    finding.attributions = attributions;
    finding.reasons = reasons;
    set_standing(&mut finding);
    finding
}

fn tri_rank(t: Tri) -> u8 {
    match t {
        Tri::No => 0,
        Tri::Uncertain => 1,
        Tri::Yes => 2,
    }
}

/// The target an incident's vessels make under `terms`: the vessels matched to its reports of an
/// attack on a vessel or the military use of one (those named when any is, else those matched by
/// track), their class deciding `vessel.commercial` or `vessel.military`. `Yes` when every such
/// vessel is of a protected category (or of unknown class while every vessel category is
/// protected), `Uncertain` when only some are or a class is unknown; none when no vessel is
/// matched or none is protected.
fn vessel_target(snap: &Snapshot, b: &Built, terms: &Terms) -> Option<(Tri, String)> {
    if b.incident.vessels.is_empty() {
        return None;
    }
    let labels: BTreeSet<String> = b
        .evidence
        .iter()
        .map(|&ri| &snap.reports[ri])
        .filter(|r| matches!(r.act, Act::AttackOnVessels | Act::MilitaryUseOfVessel))
        .map(|r| format!("{}/{}", r.author, r.id))
        .collect();
    let all: Vec<&VesselMatch> = b
        .incident
        .vessels
        .iter()
        .filter(|v| labels.contains(&v.report))
        .collect();
    let pool: Vec<&VesselMatch> = if all.iter().any(|v| v.named()) {
        all.into_iter().filter(|v| v.named()).collect()
    } else {
        all
    };
    if pool.is_empty() {
        return None;
    }
    let every_vessel = ["vessel.commercial", "vessel.military"].iter().all(|c| {
        truce_model::taxonomy::Category::new(c).is_ok_and(|c| terms.protected.contains(&c))
    });
    let protects = |v: &VesselMatch| match v.category() {
        Some(c) => Some(terms.protected.contains(&c)),
        None if every_vessel => Some(true),
        None => None,
    };
    let yes = pool.iter().filter(|v| protects(v) == Some(true)).count();
    let unknown = pool.iter().filter(|v| protects(v).is_none()).count();
    if yes == 0 && unknown == 0 {
        return None;
    }
    let words = pool
        .iter()
        .map(|v| {
            let id: Vec<String> = [
                v.name.clone(),
                v.mmsi.as_ref().map(|m| format!("MMSI {m}")),
                v.imo.as_ref().map(|m| format!("IMO {m}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            format!(
                "vessel {} ({}, from its static data), matched to {} {}",
                id.join(", "),
                v.class,
                v.report,
                v.how
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let t = if yes == pool.len() {
        Tri::Yes
    } else {
        Tri::Uncertain
    };
    Some((
        t,
        match t {
            Tri::Yes => format!("the vessel attacked or used is protected under this reading: {words}"),
            _ => format!(
                "the vessel attacked or used may be protected under this reading (its class is unknown, or the vessels matched differ): {words}"
            ),
        },
    ))
}

/// One confinement an incident's report bears on.
struct Confined {
    /// The party whose vessel it is.
    party: Id,
    /// Whether the vessel was outside its zone (`Yes`), maybe (within the report's uncertainty
    /// of the boundary), or inside (`No`).
    outside: Tri,
    /// Why, in words.
    text: String,
}

/// The confinements of `terms` the incident's reports bear on: a report of a vessel act whose
/// vessel is of a confined category (as reported, else from the vessel it is matched to) and
/// belongs to the confined party (the party the report names as its perpetrator), placed inside
/// or outside the zone.
fn confined(snap: &Snapshot, b: &Built, terms: &Terms) -> Vec<Confined> {
    const AIS: &str = "AIS supports only the occurrence (a transmitter at a position), never attribution: AIS identity is self-declared, warships need not transmit (Black Sea Fleet units rarely do), and GNSS spoofing is common in the area (around Crimea and Novorossiysk)";
    let mut out = Vec::new();
    for c in &terms.confined {
        let rings: Vec<Vec<[f64; 2]>> = c
            .zone
            .polygon
            .rings()
            .iter()
            .map(|r| r.iter().map(|p| [p.lon(), p.lat()]).collect())
            .collect();
        for &ri in &b.evidence {
            let r = &snap.reports[ri];
            if !crate::input::vessel_act(r.act) || r.perpetrator.as_deref() != Some(&c.party) {
                continue;
            }
            let label = format!("{}/{}", r.author, r.id);
            let category = r.target.clone().or_else(|| {
                b.incident
                    .vessels
                    .iter()
                    .filter(|v| v.report == label)
                    .find_map(VesselMatch::category)
            });
            let Some(category) = category.filter(|k| c.category.covers(k)) else {
                continue;
            };
            let d = truce_geo::polygon_distance_m(&rings, r.point);
            let (outside, where_) = if d == 0.0 {
                (Tri::No, format!("inside zone {:?}", c.zone.name))
            } else if d <= f64::from(r.uncertainty_m) {
                (
                    Tri::Uncertain,
                    format!(
                        "{:.0} m outside zone {:?}, within its uncertainty of {} m",
                        d, c.zone.name, r.uncertainty_m
                    ),
                )
            } else {
                (
                    Tri::Yes,
                    format!("{:.0} m outside zone {:?}", d, c.zone.name),
                )
            };
            out.push(Confined {
                party: c.party.clone(),
                outside,
                text: format!(
                    "{label} places a vessel of {} ({category}) {where_}, where this reading confines {}'s {} vessels; {AIS}",
                    c.party, c.party, c.category
                ),
            });
        }
    }
    out
}

/// Where a condition precedent stood at `t` under the reading `rd`: (holds, reason, whether a
/// retroactive version decides it). Of the status versions effective by `t` filed by one of the
/// condition's attesters under this reading (named in the reading, else its author, a mediator or
/// the operator), the one filed last is in force; none, or one other than `met`, keeps the
/// reading from entering into force. Statuses filed by others are named in the reason, never
/// counted: another party's say cannot put a reading in force.
fn condition_at(
    snap: &Snapshot,
    rd: &ReadingIn,
    cref: &ConditionRef,
    t: i64,
) -> (&'static str, String, bool) {
    let cid = &cref.id;
    let counts = |c: &ConditionIn| cref.attested(&c.author, c.by_belligerent, &rd.author);
    let versions: Vec<&ConditionIn> = snap
        .conditions
        .iter()
        .filter(|c| &c.id == cid && counts(c))
        .collect();
    // Filings by parties that do not attest it under this reading, by author: shown only.
    let mut ignored: BTreeMap<&Id, Vec<u64>> = BTreeMap::new();
    for c in snap
        .conditions
        .iter()
        .filter(|c| &c.id == cid && !counts(c))
    {
        ignored.entry(&c.author).or_default().push(c.index);
    }
    let not_counted = if ignored.is_empty() {
        String::new()
    } else {
        format!(
            "; not counted: {} ({} under this reading)",
            ignored
                .iter()
                .map(|(a, ix)| format!(
                    "{a}'s status{} (entr{} {})",
                    if ix.len() > 1 { "es" } else { "" },
                    if ix.len() > 1 { "ies" } else { "y" },
                    ix.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                ))
                .collect::<Vec<_>>()
                .join(", "),
            cref.attesters_words(&rd.author)
        )
    };
    let in_force = versions
        .iter()
        .filter(|c| c.effective <= t)
        .max_by_key(|c| c.index);
    let not_met = format!(
        "condition {cid} not met: {}'s reading enters into force only once it is",
        rd.author
    );
    // A `met` filed later, or in force only from after the incident: said so.
    let later = versions
        .iter()
        .filter(|c| c.effective > t && c.status == ConditionStatus::Met)
        .min_by_key(|c| (c.effective, c.index))
        .map(|c| {
            format!(
                "; met only from {} (filed by {} {}, entry {}), after this incident began",
                utc(c.effective),
                c.author,
                utc(c.filed),
                c.index
            )
        })
        .unwrap_or_default();
    match in_force {
        None => (
            "no",
            format!(
                "{not_met} (no status of it was in force when this incident began){later}{not_counted}"
            ),
            false,
        ),
        Some(c) if c.status != ConditionStatus::Met => (
            "no",
            format!(
                "{not_met} (status {} filed by {} {}, entry {}, in force from {}){later}{not_counted}",
                c.status.as_str(),
                c.author,
                utc(c.filed),
                c.index,
                utc(c.effective)
            ),
            false,
        ),
        Some(c) => {
            let retro = c.effective < c.filed && t < c.filed;
            (
                if retro { "uncertain" } else { "yes" },
                format!(
                    "condition {cid} met (status filed by {} {}, entry {}, in force from {}){}{not_counted}",
                    c.author,
                    utc(c.filed),
                    c.index,
                    utc(c.effective),
                    if retro {
                        ": RETROACTIVE — filed after this incident began, yet applied to it"
                    } else {
                        ""
                    }
                ),
                retro,
            )
        }
    }
}

/// A reading's window as it applies to one incident.
struct WindowAt {
    /// Its end, unix seconds (none: open-ended).
    end: Option<i64>,
    /// The window in words (`the window … – …`, with what extended or ended it).
    text: String,
    /// Extensions that might have covered the incident but did not, and why.
    notes: Vec<Reason>,
    /// Whether an extension agreed after the incident began decides it.
    retroactive: bool,
}

/// The window of `rd` for the incident `b`. The reading's own end is extended to the latest
/// `until` of the extensions in force at the incident's start (every required party consented to
/// that end, the last consent effective by then); never shortened. A collapse of the agreement's
/// phase ends it from its time whatever any reading or extension says; a lapse ends it too,
/// unless an extension was in force at the lapse's time with an end after it: then the lapse
/// takes effect when the extension runs out (or later, while another extension in force by then
/// covers that time). An extension becoming effective only after the lapse took effect does not
/// revive the agreement. An open-ended reading needs no extension, but ends at a lapse.
fn window_at(snap: &Snapshot, rd: &ReadingIn, b: &Built) -> WindowAt {
    let terms = &rd.reading.terms;
    let agreement = &rd.reading.agreement;
    let ws = terms.window.start.0.as_second();
    let stated = terms.window.effective_end().map(|t| t.0.as_second());
    let consents: Vec<Consent<i64>> = snap
        .extensions
        .iter()
        .filter(|x| &x.agreement == agreement)
        .map(|x| Consent {
            index: x.index,
            party: x.author.clone(),
            until: x.until,
            filed: x.filed,
            effective: x.effective,
        })
        .collect();
    let exts = if consents.is_empty() {
        Vec::new()
    } else {
        lifecycle::extensions(&Required::of(terms), &consents)
    };
    // The extension in force at the incident's start with the latest end, if it lengthens.
    let used = stated.and_then(|s| {
        exts.iter()
            .filter(|x| x.in_force_at(b.start) && x.until > s)
            .max_by_key(|x| x.until)
    });
    let mut end = match (stated, used) {
        (Some(_), Some(x)) => Some(x.until),
        (s, _) => s,
    };
    // Lapses and collapses. A lapse that an extension in force by then covers takes effect only
    // when the extension runs out (and again later while another covers that time).
    let mut prevented: Vec<(&EndIn, &ExtensionState<i64>, i64)> = Vec::new();
    let mut cut: Option<(i64, &EndIn)> = None;
    for e in snap.ends.get(agreement).map(Vec::as_slice).unwrap_or(&[]) {
        if end.is_some_and(|w| e.at >= w) {
            break;
        }
        let mut at = e.at;
        if e.status == "lapsed" {
            let mut by = None;
            while let Some(x) = exts
                .iter()
                .filter(|x| x.effective.is_some_and(|f| f <= at) && x.until > at)
                .max_by_key(|x| x.until)
            {
                at = x.until;
                by = Some(x);
            }
            if let Some(x) = by {
                prevented.push((e, x, at));
            }
        }
        if cut.is_none_or(|(c, _)| at < c) {
            cut = Some((at, e));
        }
    }
    // The cut that ends the window before its (extended) end, if any.
    let cut = cut.filter(|(c, _)| end.is_none_or(|w| *c < w));
    if let Some((c, _)) = cut {
        end = Some(c);
    }
    let agreed = |x: &ExtensionState<i64>| {
        format!(
            "agreed by {} (entries {}), in force from {}",
            x.by(),
            x.entries(),
            utc(x.effective.unwrap_or_default())
        )
    };
    let mut parts = Vec::new();
    let mut retroactive = false;
    if let (Some(s), Some(x)) = (stated, used) {
        parts.push(format!(
            "extended from {} to {}: {}",
            utc(s),
            utc(x.until),
            agreed(x)
        ));
        retroactive |= b.end >= s && x.retroactive() && x.filed.is_some_and(|f| b.start < f);
    }
    for (e, x, at) in &prevented {
        parts.push(format!(
            "the phase {} {} from {} (entry {}), but the extension to {} was in force by then: the lapse takes effect only at {}",
            e.phase,
            e.status,
            utc(e.at),
            e.index,
            utc(x.until),
            utc(*at)
        ));
        retroactive |= b.end >= e.at && x.retroactive() && x.filed.is_some_and(|f| b.start < f);
    }
    if let Some((_, c)) = cut.filter(|(at, c)| *at == c.at) {
        parts.push(format!(
            "the phase {} {} from {}, entry {}: the agreement ends there whatever the reading says",
            c.phase,
            c.status,
            utc(c.at),
            c.index
        ));
    }
    let base = match end {
        Some(e) => format!("the window {} – {}", utc(ws), utc(e)),
        None => format!("the window from {} (no end stated)", utc(ws)),
    };
    let text = if parts.is_empty() {
        base
    } else {
        format!("{base} ({})", parts.join("; "))
    };
    // Extensions that would have covered the incident's start but did not decide it.
    let mut notes = Vec::new();
    if end.is_some_and(|e| b.end >= e) {
        for x in exts.iter().filter(|x| x.until > b.start) {
            // The extension that lengthened the window is in its text, unless a lapse or
            // collapse cut it short (then this says why).
            if cut.is_none() && used.is_some_and(|u| std::ptr::eq(u, x)) {
                continue;
            }
            let why = match (x.effective, cut) {
                (None, _) => format!(
                    "extension to {} {}: the window is not extended",
                    utc(x.until),
                    x.pending_words()
                ),
                (Some(f), _) if f > b.start => format!(
                    "extension to {} {}, after this incident began",
                    utc(x.until),
                    agreed(x)
                ),
                (Some(_), Some((at, c))) if c.status == "lapsed" => format!(
                    "extension to {} {}, after the phase {} lapsed from {}{}: a lapsed agreement is not revived by consents",
                    utc(x.until),
                    agreed(x),
                    c.phase,
                    utc(c.at),
                    if at == c.at {
                        String::new()
                    } else {
                        format!(" (in effect from {}, when the extensions before it ran out)", utc(at))
                    }
                ),
                (Some(_), Some((_, c))) => format!(
                    "extension to {} {}, but the phase {} {} from {}: that ends the agreement whatever was extended",
                    utc(x.until),
                    agreed(x),
                    c.phase,
                    c.status,
                    utc(c.at)
                ),
                (Some(_), None) => continue,
            };
            notes.push(reason("extension", "no", why));
        }
    }
    if retroactive {
        notes.push(reason(
            "version",
            "uncertain",
            "the extension that decides this incident was agreed after it began: RETROACTIVE — filed after this incident began, yet applied to it".to_string(),
        ));
    }
    WindowAt {
        end,
        text,
        notes,
        retroactive,
    }
}

/// Sets a finding's standing (the strongest among the attributions with its outcome; `alleged`
/// when nobody is named) and its outcome in words.
fn set_standing(f: &mut Finding) {
    f.standing = f
        .attributions
        .iter()
        .filter(|a| a.outcome == f.outcome)
        .map(|a| a.standing)
        .max()
        .unwrap_or(Standing::Alleged);
    f.words = outcome_words(f.outcome, f.standing);
}

/// The overall outcome of a finding from its attributions.
fn overall(attrs: &[Attribution]) -> Outcome {
    [
        Outcome::Breach,
        Outcome::Undetermined,
        Outcome::NoBreach,
        Outcome::OutOfScope,
    ]
    .into_iter()
    .find(|o| attrs.iter().any(|a| a.outcome == *o))
    .unwrap_or(Outcome::OutOfScope)
}

/// Whether a version of a reading has a release clause ("a violation by one side frees the
/// other"): only then does the release pass change its findings.
pub(crate) fn has_release(rd: &ReadingIn) -> bool {
    rd.reading
        .terms
        .release
        .iter()
        .any(|r| r.kind == ReleaseKind::ViolationFreesOtherSide)
}

/// What the release pass needs of an incident: its evidence's time span and its members.
pub(crate) trait Span {
    /// Start of the evidence, unix seconds.
    fn start(&self) -> i64;
    /// End of the evidence, unix seconds.
    fn end(&self) -> i64;
    /// The entry ids of its members (lowercase hex).
    fn member_ids(&self) -> BTreeSet<std::borrow::Cow<'_, str>>;
}

/// A built incident of a snapshot, as the release pass sees it.
pub(crate) struct BuiltSpan<'a> {
    pub b: &'a Built,
    pub snap: &'a Snapshot,
}

impl Span for BuiltSpan<'_> {
    fn start(&self) -> i64 {
        self.b.start
    }
    fn end(&self) -> i64 {
        self.b.end
    }
    fn member_ids(&self) -> BTreeSet<std::borrow::Cow<'_, str>> {
        self.b
            .members
            .iter()
            .map(|&i| std::borrow::Cow::Owned(self.snap.reports[i].entry_id.to_string()))
            .collect()
    }
}

/// The finding of one incident under one reading before release clauses apply, and the position
/// in `versions` of the version that decides it; `None` when the reading does not concern it.
/// Each incident is judged under the version in force at its start: of those effective by then,
/// the one filed last. A version effective only after the incident never judges it: nothing is
/// silently retroactive. The finding counts on the day its incident's evidence starts, in the
/// agreement's zone.
pub(crate) fn pre_finding(
    snap: &Snapshot,
    b: &Built,
    hits: &[Hit],
    versions: &[&ReadingIn],
    p: &Params,
) -> Option<(Finding, usize)> {
    let in_force = in_force(versions, b.start);
    // Before any version applies, the party had no reading in force: out of scope, said so
    // (judged by the first version's terms only for whether it concerns the party).
    let (rd, before) = match in_force {
        Some(rd) => (rd, false),
        None => (
            *versions.iter().min_by_key(|v| (v.effective, v.index))?,
            true,
        ),
    };
    // Only incidents the reading concerns get a finding: someone is blamed, or a protected
    // target is within reach. A field fire far from any listed site concerns no agreement.
    if !concerns(snap, b, hits, rd) {
        return None;
    }
    let mut f = if before {
        before_any_version(b, rd)
    } else {
        adjudicate(snap, b, hits, rd, p)
    };
    f.day = snap.day_in(&f.agreement, b.start);
    let at = versions.iter().position(|v| std::ptr::eq(*v, rd))?;
    Some((f, at))
}

/// Applies a reading's release clause ("a violation by one side frees the other") across its
/// findings, which must be in incident time order. A breach by a bound party whose attribution
/// stands at least at the clause's `qualifying` standing (established by default) *entitles* the
/// other bound parties to be released; it releases them by itself only if the clause is
/// `automatic`. Otherwise a party is released by its own `invocation` entry citing a report of
/// that incident, from the later of the invocation's time and the incident's end. Until then its
/// findings say "release available, not invoked". An allegation, a disputed attribution or
/// occurrence-only evidence never qualifies.
pub(crate) fn apply_release<S: Span>(
    findings: &mut [Finding],
    built: &[S],
    versions: &[&ReadingIn],
    invocations: &[InvocationIn],
) {
    let clause_of = |rd: &ReadingIn| {
        rd.reading
            .terms
            .release
            .iter()
            .find(|r| r.kind == ReleaseKind::ViolationFreesOtherSide)
            .cloned()
    };
    // Freed party → (from, incident, by whom, invocation index).
    let mut freed: BTreeMap<Id, (i64, String, Id, Option<u64>)> = BTreeMap::new();
    // Entitled but not (yet) invoked: party → (from, incident, by whom).
    let mut available: BTreeMap<Id, (i64, String, Id)> = BTreeMap::new();
    for ((f, b), rd) in findings.iter_mut().zip(built).zip(versions) {
        // The clause of the version in force for this incident.
        let Some(clause) = clause_of(rd) else {
            continue;
        };
        let agreement = &rd.reading.agreement;
        let mut changed = false;
        for a in f.attributions.iter_mut() {
            if a.outcome != Outcome::Breach && a.outcome != Outcome::Undetermined {
                continue;
            }
            if let Some((from, inc, by, inv)) = freed.get(&a.party) {
                if b.start() > *from {
                    let how = match inv {
                        Some(i) => format!("{} invoked it (entry {i})", a.party),
                        None => "the clause releases automatically".to_string(),
                    };
                    f.reasons.push(reason(
                        "release",
                        "yes",
                        format!(
                            "{} released from {}: {by}'s {} breach in incident {inc} qualifies under the release clause ({:?}), and {how}",
                            a.party,
                            utc(*from),
                            clause.qualifying.as_str(),
                            clause.text
                        ),
                    ));
                    a.outcome = Outcome::NoBreach;
                    a.released_by = Some(inc.clone());
                    a.invocation = *inv;
                    changed = true;
                    continue;
                }
            }
            if let Some((_, inc, by)) = available
                .get(&a.party)
                .filter(|(from, ..)| b.start() > *from)
            {
                f.reasons.push(reason(
                    "release",
                    "no",
                    format!(
                        "release available, not invoked: {by}'s breach in incident {inc} entitles {} to be released under the clause ({:?}), but {} has filed no invocation citing it",
                        a.party, clause.text, a.party
                    ),
                ));
                a.release_available = Some(inc.clone());
            }
        }
        if changed {
            f.outcome = overall(&f.attributions);
            set_standing(f);
        }
        // The incident's members' entry ids, gathered when an invocation is looked for.
        let mut members: Option<BTreeSet<std::borrow::Cow<'_, str>>> = None;
        let mut notes: Vec<(&str, String)> = Vec::new();
        for a in &f.attributions {
            if a.outcome != Outcome::Breach {
                continue;
            }
            if a.standing < clause.qualifying {
                notes.push(("no", format!(
                    "{}'s breach stands only as {}: it does not qualify for the release clause, which needs {}",
                    a.party,
                    a.standing.as_str(),
                    clause.qualifying.as_str()
                )));
                continue;
            }
            for other in rd.reading.terms.bound.iter().filter(|o| **o != a.party) {
                if freed.contains_key(other) {
                    continue;
                }
                if clause.automatic {
                    freed.insert(
                        other.clone(),
                        (b.end(), f.incident.clone(), a.party.clone(), None),
                    );
                    notes.push((
                        "yes",
                        format!(
                            "{}'s {} breach releases {other} automatically, from {}",
                            a.party,
                            a.standing.as_str(),
                            utc(b.end())
                        ),
                    ));
                    continue;
                }
                let members = members.get_or_insert_with(|| b.member_ids());
                let inv = invocations.iter().find(|v| {
                    &v.author == other
                        && v.against == a.party
                        && &v.agreement == agreement
                        && v.reports.iter().any(|r| members.contains(r.as_str()))
                });
                match inv {
                    Some(v) => {
                        let from = v.time.max(b.end());
                        freed.insert(
                            other.clone(),
                            (from, f.incident.clone(), a.party.clone(), Some(v.index)),
                        );
                        available.remove(other);
                        notes.push(("yes", format!(
                            "{}'s {} breach entitles {other} to be released; {other} invoked it (entry {}), effective {}",
                            a.party,
                            a.standing.as_str(),
                            v.index,
                            utc(from)
                        )));
                    }
                    None => {
                        available.entry(other.clone()).or_insert((
                            b.end(),
                            f.incident.clone(),
                            a.party.clone(),
                        ));
                        notes.push(("uncertain", format!(
                            "{}'s {} breach entitles {other} to be released: release available, not invoked",
                            a.party,
                            a.standing.as_str()
                        )));
                    }
                }
            }
        }
        for (holds, n) in notes {
            f.reasons.push(reason("release", holds, n));
        }
    }
}
