//! The day's ceasefire violations along the line of contact, in the manner of the OSCE Special
//! Monitoring Mission's daily reports (issue 16, part 4): monitors' observations counted per
//! sector of the monitors' own line, by event type and by modality, with the previous day's and
//! the change; the weapons seen on the day, with whether each reading with front terms finds them
//! in violation of the withdrawal lines; the restrictions of the monitors' freedom of movement.
//!
//! **Sectors.** The sectors are those of every line filed by a monitor (a party whose role is
//! `monitor`), of the version in force at an incident's start (of the versions whose
//! `valid_from` is not after it, the latest, ties by log order: the engine's rule). An
//! incident's sector is the sector whose chainage holds the nearest point of the nearest such
//! line to the incident's position ([`truce_geo::ContactLine::sector_of`]); an incident farther
//! than [`SECTOR_REACH_M`] from every such line, or on no sector's stretch, counts in the row
//! "outside the sectors". A line entry's sectors are not part of the engine's snapshot: they are
//! read from the ledger ([`FrontNotes::of`]), with the place and text of restriction reports.
//!
//! **An SMM count is a total over a window, not one event.** Only monitors' observations count
//! (never allegations). Within one incident (overlapping footprints and time windows: two patrols
//! hearing the same explosions are one incident), each event type counts the *largest* of its
//! observations' counts, never their sum — two patrols hearing the same 26 explosions count 26.
//! By modality likewise: per event type and modality the largest, summed over the event types.
//! A sector's count is the sum over its incidents. Each listed incident shows the individual
//! figures the maxima were taken over.
//!
//! **Which incidents belong to a day.** The report's rule: an incident whose interval `[start,
//! end]` overlaps the day (so one spanning midnight counts on both days).
//!
//! Bounded: at most [`INCIDENTS_CAP`] incidents listed with at most [`OBSERVATIONS_CAP`]
//! observations each, [`WEAPONS_CAP`] weapons sightings and [`RESTRICTIONS_CAP`] restrictions,
//! each list with its total.

use crate::day::{unix, Day};
use crate::{Count, Labelled};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use truce_engine::input::{LineIn, ReportFrontIn, Snapshot};
use truce_engine::{outcome_words, Finding, Incident, Judged, Judgement, Member};
use truce_model::domain::{Act, Role};
use truce_model::front::{EventType, Modality, Observation};
use truce_model::lines::Sector;
use truce_model::{Id, Ledger};

/// The most incidents with observations listed with their individual figures.
pub const INCIDENTS_CAP: usize = 50;
/// The most observations listed under one incident.
pub const OBSERVATIONS_CAP: usize = 20;
/// The most weapons sightings listed.
pub const WEAPONS_CAP: usize = 50;
/// The most restrictions of freedom of movement listed.
pub const RESTRICTIONS_CAP: usize = 50;
/// An incident farther than this from every monitor line is outside the sectors, metres.
pub const SECTOR_REACH_M: f64 = 50_000.0;
/// The name of the row of incidents in no sector.
pub const OUTSIDE: &str = "outside the sectors";

/// What the daily front section needs of the ledger beyond the engine's snapshot: each line
/// version's sectors, and the place and text of each restriction of movement. Pure: read from a
/// ledger value (before it is consumed by the snapshot).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontNotes {
    /// The sectors of each line version, by the version's log index (versions with none left
    /// out).
    pub sectors: BTreeMap<u64, Vec<Sector>>,
    /// The place and text of each `movement-restriction` report, by (log index, author, id).
    pub restrictions: BTreeMap<(u64, String, String), (String, String)>,
}

impl FrontNotes {
    /// Reads them from a ledger (a bulk record's place and text are not kept by the report
    /// store: they read as empty).
    pub fn of(ledger: &Ledger) -> FrontNotes {
        let sectors = ledger
            .line_versions
            .values()
            .flatten()
            .filter(|l| l.retracted.is_none() && !l.value.sectors.is_empty())
            .map(|l| (l.index, l.value.sectors.clone()))
            .collect();
        let restrictions = ledger
            .reports
            .iter()
            .filter(|r| r.act() == Act::MovementRestriction && r.retracted().is_none())
            .map(|r| {
                let (place, text) = r
                    .held()
                    .map(|h| (h.value.location.place.clone(), h.value.text.clone()))
                    .unwrap_or_default();
                (
                    (r.index(), r.author().to_string(), r.id().to_string()),
                    (place, text),
                )
            })
            .collect();
        FrontNotes {
            sectors,
            restrictions,
        }
    }
}

/// One row of the violations table: a sector (or the incidents outside every sector, or the
/// total), with its counts on the day and the previous day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectorRow {
    /// The monitor's line (`author/id`); `None` for the row outside the sectors and the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The sector's public id; `None` for the row outside the sectors and the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// The sector's name ([`OUTSIDE`], or "all sectors" for the total).
    pub name: String,
    /// Incidents with observations.
    pub incidents: Count,
    /// Violations per event type ([`EventType::ALL`], in that order): per incident the largest
    /// observation's count.
    pub events: Vec<Labelled>,
    /// Violations per modality ([`Modality::ALL`], in that order): per incident, event type and
    /// modality the largest count, summed over event types.
    pub modalities: Vec<Labelled>,
    /// All event types together.
    pub total: Count,
}

/// A figure of an incident: an event type's or a modality's largest count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    /// The event type or modality.
    pub label: String,
    /// The count.
    pub count: u64,
}

/// One observation of an incident, as filed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationLine {
    /// The monitor.
    pub author: String,
    /// The report's id.
    pub id: String,
    /// `heard`, `seen` or `camera`.
    pub modality: String,
    /// The event type.
    pub event: String,
    /// The count observed.
    pub count: u64,
    /// The distance range from the (restricted) observer, metres: `[min, max]`.
    pub distance_m: [u64; 2],
    /// The compass sectors, degrees clockwise from true north.
    pub sectors: Vec<[f64; 2]>,
    /// Its time window, on the clock of the report's zone.
    pub when: String,
    /// Whether its count is the one counted for its event type (the largest; the first in log
    /// order among equals).
    pub counted: bool,
}

/// An incident of the day with observations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontIncident {
    /// Incident id.
    pub id: String,
    /// Its interval, on the clock of the report's zone.
    pub when: String,
    /// The monitor's line its sector is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// Its sector's id; `None` outside the sectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// Its sector's name, or [`OUTSIDE`].
    pub sector_name: String,
    /// Distance to the nearest monitor line, metres (rounded), when one is in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<u64>,
    /// What it counts per event type: the largest of its observations' counts.
    pub events: Vec<Figure>,
    /// What it counts per modality.
    pub modalities: Vec<Figure>,
    /// Its observations, in log order: at most [`OBSERVATIONS_CAP`].
    pub observations: Vec<ObservationLine>,
    /// How many observations it has.
    pub observations_total: u64,
}

/// A reading's finding on a weapons sighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeaponFinding {
    /// The agreement.
    pub agreement: String,
    /// Whose reading.
    pub reading: String,
    /// The finding in words ("alleged breach", "out of scope"), or "no finding".
    pub outcome: String,
    /// In violation of the withdrawal lines: `yes` (a breach or undetermined finding whose
    /// `weapons-in-zone` reason holds), `uncertain` (the reason is uncertain), else `no`.
    pub violation: String,
    /// The `weapons-in-zone` reason's text, when the finding has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Weapons seen on the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeaponLine {
    /// The incident.
    pub incident: String,
    /// Who saw them.
    pub author: String,
    /// The report's id.
    pub id: String,
    /// When, on the clock of the report's zone.
    pub when: String,
    /// The sector's id; `None` outside the sectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// The sector's name, or [`OUTSIDE`].
    pub sector_name: String,
    /// Whose weapons (the report's perpetrator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// The class.
    pub class: String,
    /// Calibre, mm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibre_mm: Option<u32>,
    /// How many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The model, as reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Per reading with front terms.
    pub readings: Vec<WeaponFinding>,
}

/// A restriction of the monitors' freedom of movement on the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestrictionLine {
    /// The monitor reporting it.
    pub author: String,
    /// The report's id.
    pub id: String,
    /// When, on the clock of the report's zone.
    pub when: String,
    /// Where: the place named.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub place: String,
    /// Where: the position `[lon, lat]`.
    pub point: [f64; 2],
    /// The sector's id; `None` outside the sectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// The sector's name, or [`OUTSIDE`].
    pub sector_name: String,
    /// By whom (the report's perpetrator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// What was denied, as reported.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub what: String,
}

/// The daily report's front section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontSection {
    /// The monitors' lines whose sectors are counted (`author/id`), sorted.
    pub lines: Vec<String>,
    /// The event types, in column order.
    pub events: Vec<String>,
    /// The modalities, in column order.
    pub modalities: Vec<String>,
    /// Violations per sector: the sectors of the monitors' lines in force at the day's end (in
    /// order along each line), then any other sector an incident fell in, then [`OUTSIDE`].
    pub sectors: Vec<SectorRow>,
    /// All sectors together (and outside them).
    pub total: SectorRow,
    /// Incidents of the day with observations, by start then id: at most [`INCIDENTS_CAP`].
    pub incidents: Vec<FrontIncident>,
    /// How many incidents of the day have observations.
    pub incidents_total: u64,
    /// Weapons seen on the day, by time then log order: at most [`WEAPONS_CAP`].
    pub weapons: Vec<WeaponLine>,
    /// How many weapons sightings the day has.
    pub weapons_total: u64,
    /// Restrictions of movement on the day, by time then log order: at most
    /// [`RESTRICTIONS_CAP`].
    pub restrictions: Vec<RestrictionLine>,
    /// How many restrictions the day has.
    pub restrictions_total: u64,
}

/// Where a position falls: a sector of a monitor line, or outside.
#[derive(Debug, Clone, PartialEq)]
struct Place {
    /// `(line, sector id)`; `None` outside.
    key: Option<(String, String)>,
    name: String,
    distance_m: Option<f64>,
}

/// The monitors' lines and their sectors.
struct Lines<'a> {
    snap: &'a Snapshot,
    /// Per monitor line `(author, id)`, its versions' indices in `snap.front.lines`.
    by_line: BTreeMap<(Id, Id), Vec<usize>>,
    notes: &'a FrontNotes,
}

impl<'a> Lines<'a> {
    fn new(snap: &'a Snapshot, notes: &'a FrontNotes) -> Lines<'a> {
        let mut by_line: BTreeMap<(Id, Id), Vec<usize>> = BTreeMap::new();
        for (k, l) in snap.front.lines.iter().enumerate() {
            if snap.roles.get(&l.author) == Some(&Role::Monitor) {
                by_line
                    .entry((l.author.clone(), l.id.clone()))
                    .or_default()
                    .push(k);
            }
        }
        Lines {
            snap,
            by_line,
            notes,
        }
    }

    /// Each monitor line's version in force at `t` that has sectors.
    fn at(&self, t: i64) -> Vec<(String, &'a LineIn, usize, &'a [Sector])> {
        self.by_line
            .iter()
            .filter_map(|((a, i), ks)| {
                let k = ks
                    .iter()
                    .copied()
                    .filter(|&k| self.snap.front.lines[k].valid_from <= t)
                    .max_by_key(|&k| {
                        let l = &self.snap.front.lines[k];
                        (l.valid_from, l.index)
                    })?;
                let l = &self.snap.front.lines[k];
                let s = self.notes.sectors.get(&l.index)?;
                Some((format!("{a}/{i}"), l, k, s.as_slice()))
            })
            .collect()
    }

    /// Whether any monitor line has a version with sectors.
    fn any(&self) -> bool {
        self.by_line.values().flatten().any(|&k| {
            self.notes
                .sectors
                .contains_key(&self.snap.front.lines[k].index)
        })
    }

    /// Where `p` falls at `t`.
    fn place(&self, p: [f64; 2], t: i64) -> Place {
        let mut best: Option<(f64, String, usize, &[Sector])> = None;
        for (name, _, k, sectors) in self.at(t) {
            let Ok(shape) = self.snap.front.shape(k) else {
                continue;
            };
            let d = shape.line().distance_m(p);
            if d.is_nan() || d > SECTOR_REACH_M {
                continue;
            }
            if best.as_ref().is_none_or(|b| d < b.0) {
                best = Some((d, name, k, sectors));
            }
        }
        let Some((d, line, k, sectors)) = best else {
            return Place {
                key: None,
                name: OUTSIDE.into(),
                distance_m: None,
            };
        };
        let table: Vec<(usize, f64, f64)> = sectors
            .iter()
            .enumerate()
            .map(|(n, s)| (n, s.from_km * 1000.0, s.to_km * 1000.0))
            .collect();
        let hit = self
            .snap
            .front
            .shape(k)
            .ok()
            .and_then(|s| s.line().sector_of(p, &table).copied())
            .and_then(|n| sectors.get(n));
        match hit {
            Some(s) => Place {
                key: Some((line, s.id.to_string())),
                name: s.name.clone(),
                distance_m: Some(d),
            },
            None => Place {
                key: None,
                name: OUTSIDE.into(),
                distance_m: Some(d),
            },
        }
    }
}

/// What one incident counts: per event type the largest count, per (event type, modality) the
/// largest count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Maxima {
    events: [u64; 6],
    modalities: [[u64; 3]; 6],
}

fn event_k(e: EventType) -> usize {
    EventType::ALL.iter().position(|x| *x == e).unwrap_or(0)
}

fn modality_k(m: Modality) -> usize {
    Modality::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

impl Maxima {
    fn of<'o>(obs: impl IntoIterator<Item = &'o Observation>) -> Maxima {
        let mut m = Maxima::default();
        for o in obs {
            let (e, k) = (event_k(o.event), modality_k(o.modality));
            let c = u64::from(o.count);
            m.events[e] = m.events[e].max(c);
            m.modalities[e][k] = m.modalities[e][k].max(c);
        }
        m
    }

    fn by_modality(&self) -> [u64; 3] {
        let mut out = [0u64; 3];
        for per in &self.modalities {
            for (k, c) in per.iter().enumerate() {
                out[k] = out[k].saturating_add(*c);
            }
        }
        out
    }
}

/// Counters of one row on one day.
#[derive(Debug, Clone, Default)]
struct Tally {
    incidents: u64,
    events: [u64; 6],
    modalities: [u64; 3],
}

impl Tally {
    fn add(&mut self, m: &Maxima) {
        self.incidents += 1;
        for (a, c) in self.events.iter_mut().zip(m.events) {
            *a = a.saturating_add(c);
        }
        for (a, c) in self.modalities.iter_mut().zip(m.by_modality()) {
            *a = a.saturating_add(c);
        }
    }

    fn total(&self) -> u64 {
        self.events.iter().fold(0u64, |a, c| a.saturating_add(*c))
    }
}

fn row(
    line: Option<String>,
    sector: Option<String>,
    name: String,
    day: &Tally,
    prev: &Tally,
) -> SectorRow {
    SectorRow {
        line,
        sector,
        name,
        incidents: Count::new(day.incidents, prev.incidents),
        events: EventType::ALL
            .iter()
            .enumerate()
            .map(|(k, e)| Labelled {
                label: e.as_str().into(),
                count: Count::new(day.events[k], prev.events[k]),
            })
            .collect(),
        modalities: Modality::ALL
            .iter()
            .enumerate()
            .map(|(k, m)| Labelled {
                label: m.as_str().into(),
                count: Count::new(day.modalities[k], prev.modalities[k]),
            })
            .collect(),
        total: Count::new(day.total(), prev.total()),
    }
}

/// What report `m` states of the front, when anything.
fn said<'s>(snap: &'s Snapshot, m: &Member) -> Option<&'s ReportFrontIn> {
    let r = &snap.front.reports;
    let from = r.partition_point(|x| x.index < m.index);
    r[from..]
        .iter()
        .take_while(|x| x.index == m.index)
        .find(|x| x.author == m.author && x.id == m.id)
}

/// A monitor's observations among an incident's members, in log order.
fn observations<'s>(snap: &'s Snapshot, i: &'s Incident) -> Vec<(&'s Member, &'s Observation)> {
    i.members
        .iter()
        .filter(|m| snap.roles.get(&m.author) == Some(&Role::Monitor))
        .filter_map(|m| {
            said(snap, m)
                .and_then(|s| s.observation.as_ref())
                .map(|o| (m, o))
        })
        .collect()
}

/// Whether the closed interval `[s, e]` overlaps the half-open window `w`.
fn on(w: (i64, i64), s: i64, e: i64) -> bool {
    s < w.1 && e >= w.0
}

fn interval(day: &Day, s: i64, e: i64) -> String {
    if e > s {
        format!("{} – {}", day.local(s), day.local(e))
    } else {
        day.local(s)
    }
}

fn len(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The day's front section from a judgement with its snapshot, and what the ledger says beyond
/// the snapshot ([`FrontNotes`]). `None` when the log holds no monitor line with sectors and no
/// observation (so reports of logs without them keep their bytes), and when no monitor line with
/// sectors is in force by the day's end and the day and the previous day have nothing to count
/// (no observation, weapons sighting or restriction: a day of an earlier phase keeps its bytes).
pub fn section(judged: &Judged, day: &Day, notes: &FrontNotes) -> Option<FrontSection> {
    section_of(&judged.judgement, &judged.snapshot, day, notes)
}

/// [`section`] from a judgement and the snapshot it judged, held apart (a live judgement that
/// follows the log: `GET /v1/front/counts`).
pub fn section_of(
    judged: &Judgement,
    snap: &Snapshot,
    day: &Day,
    notes: &FrontNotes,
) -> Option<FrontSection> {
    let lines = Lines::new(snap, notes);
    let observed = snap.front.reports.iter().any(|r| r.observation.is_some());
    if !observed && !lines.any() {
        return None;
    }
    let today_w = (day.start(), day.end());
    let prev_w = day.previous().map(|p| (p.start(), p.end()));

    // Rows: the sectors in force at the day's end, in order along each line.
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut names: HashMap<(String, String), String> = HashMap::new();
    let mut used_lines: BTreeSet<String> = BTreeSet::new();
    for (line, _, _, sectors) in lines.at(today_w.1.saturating_sub(1)) {
        used_lines.insert(line.clone());
        for s in sectors {
            let k = (line.clone(), s.id.to_string());
            if names.insert(k.clone(), s.name.clone()).is_none() {
                keys.push(k);
            }
        }
    }
    let fixed = keys.len();

    // Counts per row, the day's incidents with observations, weapons seen.
    let mut day_t: BTreeMap<Option<(String, String)>, Tally> = BTreeMap::new();
    let mut prev_t: BTreeMap<Option<(String, String)>, Tally> = BTreeMap::new();
    let mut listed: Vec<FrontIncident> = Vec::new();
    let mut incidents_total = 0u64;
    let mut sightings: Vec<(i64, u64, &Incident, &Member, Place)> = Vec::new();
    for i in &judged.incidents {
        let (Some(s), Some(e)) = (unix(&i.start), unix(&i.end)) else {
            continue;
        };
        let e = e.max(s);
        let today = on(today_w, s, e);
        let before = prev_w.is_some_and(|w| on(w, s, e));
        if !(today || before) {
            continue;
        }
        let obs = observations(snap, i);
        let weapons = today
            && i.members
                .iter()
                .any(|m| m.act == Act::WeaponsSighting && said(snap, m).is_some());
        if obs.is_empty() && !weapons {
            continue;
        }
        let place = lines.place(i.point, s);
        if weapons {
            for m in &i.members {
                if m.act == Act::WeaponsSighting
                    && said(snap, m).is_some_and(|x| x.weapon.is_some())
                {
                    let t = unix(&m.start).unwrap_or(s);
                    sightings.push((t, m.index, i, m, lines.place(m.point, s)));
                }
            }
        }
        if obs.is_empty() {
            continue;
        }
        let max = Maxima::of(obs.iter().map(|(_, o)| *o));
        if let Some(k) = &place.key {
            if !names.contains_key(k) {
                names.insert(k.clone(), place.name.clone());
                keys.push(k.clone());
            }
            used_lines.insert(k.0.clone());
        }
        if before {
            prev_t.entry(place.key.clone()).or_default().add(&max);
        }
        if !today {
            continue;
        }
        day_t.entry(place.key.clone()).or_default().add(&max);
        incidents_total += 1;
        if listed.len() >= INCIDENTS_CAP {
            continue;
        }
        let mut counted = [false; 6];
        let mut lines_of: Vec<ObservationLine> = Vec::new();
        for (m, o) in &obs {
            let k = event_k(o.event);
            let c = u64::from(o.count);
            let first_max = !counted[k] && c == max.events[k];
            if first_max {
                counted[k] = true;
            }
            if lines_of.len() < OBSERVATIONS_CAP {
                let (ms, me) = (unix(&m.start).unwrap_or(s), unix(&m.end).unwrap_or(s));
                lines_of.push(ObservationLine {
                    author: m.author.to_string(),
                    id: m.id.to_string(),
                    modality: o.modality.as_str().into(),
                    event: o.event.as_str().into(),
                    count: c,
                    distance_m: [
                        o.distance.min_m.max(0.0).round() as u64,
                        o.distance.max_m.max(0.0).round() as u64,
                    ],
                    sectors: o.sectors.clone(),
                    when: interval(day, ms, me),
                    counted: first_max,
                });
            }
        }
        let per_modality = max.by_modality();
        listed.push(FrontIncident {
            id: i.id.clone(),
            when: interval(day, s, e),
            line: place.key.as_ref().map(|k| k.0.clone()),
            sector: place.key.as_ref().map(|k| k.1.clone()),
            sector_name: place.name.clone(),
            distance_m: place.distance_m.map(|d| d.round() as u64),
            events: EventType::ALL
                .iter()
                .enumerate()
                .filter(|(k, _)| max.events[*k] > 0)
                .map(|(k, e)| Figure {
                    label: e.as_str().into(),
                    count: max.events[k],
                })
                .collect(),
            modalities: Modality::ALL
                .iter()
                .enumerate()
                .filter(|(k, _)| per_modality[*k] > 0)
                .map(|(k, m)| Figure {
                    label: m.as_str().into(),
                    count: per_modality[k],
                })
                .collect(),
            observations: lines_of,
            observations_total: len(obs.len()),
        });
    }
    // Sectors first met through an incident, after those in force at the day's end, sorted.
    keys[fixed..].sort();
    let zero = Tally::default();
    let mut rows: Vec<SectorRow> = keys
        .iter()
        .map(|k| {
            let key = Some(k.clone());
            row(
                Some(k.0.clone()),
                Some(k.1.clone()),
                names.get(k).cloned().unwrap_or_default(),
                day_t.get(&key).unwrap_or(&zero),
                prev_t.get(&key).unwrap_or(&zero),
            )
        })
        .collect();
    rows.push(row(
        None,
        None,
        OUTSIDE.into(),
        day_t.get(&None).unwrap_or(&zero),
        prev_t.get(&None).unwrap_or(&zero),
    ));
    let sum = |m: &BTreeMap<Option<(String, String)>, Tally>| {
        let mut t = Tally::default();
        for x in m.values() {
            t.incidents += x.incidents;
            for (a, c) in t.events.iter_mut().zip(x.events) {
                *a = a.saturating_add(c);
            }
            for (a, c) in t.modalities.iter_mut().zip(x.modalities) {
                *a = a.saturating_add(c);
            }
        }
        t
    };
    let total = row(
        None,
        None,
        "all sectors".into(),
        &sum(&day_t),
        &sum(&prev_t),
    );

    // Weapons: per reading with front terms, the finding on the sighting's incident.
    let readings: BTreeSet<(String, String)> = snap
        .readings
        .iter()
        .filter(|r| r.reading.terms.front.is_some())
        .map(|r| (r.reading.agreement.to_string(), r.author.to_string()))
        .collect();
    sightings.sort_by_key(|a| (a.0, a.1));
    let weapons_total = len(sightings.len());
    sightings.truncate(WEAPONS_CAP);
    let wanted: BTreeSet<&str> = sightings.iter().map(|x| x.2.id.as_str()).collect();
    let mut findings: HashMap<(&str, String, String), &Finding> = HashMap::new();
    if !wanted.is_empty() {
        for f in &judged.findings {
            if wanted.contains(f.incident.as_str()) {
                findings.insert(
                    (
                        f.incident.as_str(),
                        f.agreement.to_string(),
                        f.reading.to_string(),
                    ),
                    f,
                );
            }
        }
    }
    let weapons = sightings
        .iter()
        .filter_map(|(t, _, i, m, place)| {
            let w = said(snap, m)?.weapon.as_ref()?;
            let party = m.perpetrator.as_ref().map(|p| p.to_string());
            let e = unix(&m.end).unwrap_or(*t);
            Some(WeaponLine {
                incident: i.id.clone(),
                author: m.author.to_string(),
                id: m.id.to_string(),
                when: interval(day, *t, e),
                sector: place.key.as_ref().map(|k| k.1.clone()),
                sector_name: place.name.clone(),
                party: party.clone(),
                class: w.class.to_string(),
                calibre_mm: w.calibre_mm,
                count: w.count,
                model: w.model.clone(),
                readings: readings
                    .iter()
                    .map(|(a, r)| {
                        let f = findings.get(&(i.id.as_str(), a.clone(), r.clone()));
                        weapon_finding(a, r, f.copied(), m, party.as_deref())
                    })
                    .collect(),
            })
        })
        .collect();

    // Restrictions of freedom of movement on the day.
    let mut restricted: Vec<(i64, u64, RestrictionLine)> = Vec::new();
    let mut restrictions_total = 0u64;
    for r in &snap.reports {
        if r.act != Act::MovementRestriction || !on(today_w, r.start, r.end.max(r.start)) {
            continue;
        }
        restrictions_total += 1;
        let place = lines.place(r.point, r.start);
        let (where_, what) = notes
            .restrictions
            .get(&(r.index, r.author.to_string(), r.id.to_string()))
            .cloned()
            .unwrap_or_default();
        restricted.push((
            r.start,
            r.index,
            RestrictionLine {
                author: r.author.to_string(),
                id: r.id.to_string(),
                when: interval(day, r.start, r.end.max(r.start)),
                place: where_,
                point: r.point,
                sector: place.key.as_ref().map(|k| k.1.clone()),
                sector_name: place.name,
                by: r.perpetrator.as_ref().map(|p| p.to_string()),
                what,
            },
        ));
        // Keep the list bounded while reading a log of many reports.
        if restricted.len() > 4 * RESTRICTIONS_CAP {
            restricted.sort_by_key(|a| (a.0, a.1));
            restricted.truncate(RESTRICTIONS_CAP);
        }
    }
    restricted.sort_by_key(|a| (a.0, a.1));
    restricted.truncate(RESTRICTIONS_CAP);

    // Nothing in force and nothing to count: no section (a day before any monitor line, such
    // as those of an earlier phase, keeps its report's bytes).
    let counted = day_t
        .values()
        .chain(prev_t.values())
        .any(|t| t.incidents > 0);
    if fixed == 0 && !counted && weapons_total == 0 && restrictions_total == 0 {
        return None;
    }
    Some(FrontSection {
        lines: used_lines.into_iter().collect(),
        events: EventType::ALL.iter().map(|e| e.as_str().into()).collect(),
        modalities: Modality::ALL.iter().map(|m| m.as_str().into()).collect(),
        sectors: rows,
        total,
        incidents: listed,
        incidents_total,
        weapons,
        weapons_total,
        restrictions: restricted.into_iter().map(|x| x.2).collect(),
        restrictions_total,
    })
}

/// A reading's finding on a weapons sighting: the finding's outcome and its `weapons-in-zone`
/// reason (the one naming the report, else the one naming its party, else the first).
fn weapon_finding(
    agreement: &str,
    reading: &str,
    f: Option<&Finding>,
    m: &Member,
    party: Option<&str>,
) -> WeaponFinding {
    let Some(f) = f else {
        return WeaponFinding {
            agreement: agreement.into(),
            reading: reading.into(),
            outcome: "no finding".into(),
            violation: "no".into(),
            reason: String::new(),
        };
    };
    let ours: Vec<_> = f
        .reasons
        .iter()
        .filter(|r| r.rule == "front" && r.text.starts_with("weapons-in-zone"))
        .collect();
    let label = format!("{}/{}", m.author, m.id);
    let reason = ours
        .iter()
        .find(|r| r.text.contains(&label))
        .or_else(|| {
            party.and_then(|p| {
                let of = format!(" of {p}");
                ours.iter().find(|r| r.text.contains(&of))
            })
        })
        .or_else(|| ours.first())
        .copied();
    let counts = matches!(
        f.outcome,
        truce_engine::Outcome::Breach | truce_engine::Outcome::Undetermined
    );
    let violation = match reason.map(|r| r.holds.as_str()) {
        Some("yes") if counts => "yes",
        Some("uncertain") if counts => "uncertain",
        _ => "no",
    };
    WeaponFinding {
        agreement: agreement.into(),
        reading: reading.into(),
        outcome: outcome_words(f.outcome, f.standing),
        violation: violation.into(),
        reason: reason.map(|r| r.text.clone()).unwrap_or_default(),
    }
}

/// How the counts are made, in words: under the section's heading in every format.
pub const COUNTS_NOTE: &str = "Counted from monitors' observations only, never from allegations. An observation counts a total over its time window (\"26 undetermined explosions\"), not one event: within one incident (observations whose footprints and time windows overlap, such as two patrols hearing the same explosions) each event type counts the largest of its observations' counts, never their sum, and each modality likewise; the figures the maxima were taken over are listed under each incident. An incident belongs to the sector of the nearest monitor line in force at its start (within 50 km); others are counted outside the sectors.";

impl FrontSection {
    fn lines_text(&self) -> String {
        if self.lines.is_empty() {
            "no monitor line with sectors".into()
        } else {
            self.lines.join(", ")
        }
    }

    fn sector_cell(r: &SectorRow) -> String {
        match (&r.line, &r.sector) {
            (Some(l), Some(s)) => format!("{l} {s}"),
            _ => "—".into(),
        }
    }

    fn incident_head(i: &FrontIncident) -> String {
        let place = match (&i.line, &i.sector, i.distance_m) {
            (Some(l), Some(s), Some(d)) => {
                format!(
                    "sector {s} {} of {l}, {:.1} km from it",
                    i.sector_name,
                    km(d)
                )
            }
            (_, _, Some(d)) => {
                format!("{}, {:.1} km from the nearest monitor line", OUTSIDE, km(d))
            }
            _ => OUTSIDE.to_string(),
        };
        let figures = |v: &[Figure]| {
            v.iter()
                .map(|f| format!("{} {}", f.label, crate::render::thousands(f.count)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{} ({place}), {}: counted {}; by modality {}",
            i.id,
            i.when,
            figures(&i.events),
            figures(&i.modalities)
        )
    }

    fn observation_text(o: &ObservationLine) -> String {
        let sectors = o
            .sectors
            .iter()
            .map(|s| format!("{}°–{}°", s[0], s[1]))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "{}/{}: {} {} {}, {:.1}–{:.1} km, bearing {sectors}, {}{}",
            o.author,
            o.id,
            o.modality,
            crate::render::thousands(o.count),
            o.event,
            km(o.distance_m[0]),
            km(o.distance_m[1]),
            o.when,
            if o.counted {
                " — counted (the largest)"
            } else {
                ""
            }
        )
    }

    fn weapon_what(w: &WeaponLine) -> [String; 4] {
        [
            w.class.clone(),
            w.calibre_mm.map_or("—".into(), |c| format!("{c} mm")),
            w.count.map_or("—".into(), |c| c.to_string()),
            w.model.clone().unwrap_or_else(|| "—".into()),
        ]
    }

    fn violation_text(w: &WeaponLine) -> String {
        if w.readings.is_empty() {
            return "no reading with front terms".into();
        }
        w.readings
            .iter()
            .map(|f| {
                format!(
                    "{}'s reading of {}: {} ({})",
                    f.reading, f.agreement, f.violation, f.outcome
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn more(shown: usize, total: u64, what: &str) -> Option<String> {
        let shown = len(shown);
        (total > shown).then(|| format!("… and {} more {what}, not listed.", total - shown))
    }

    /// The section in Markdown (`previous`: the previous day's date, or "—").
    pub(crate) fn to_markdown(&self, previous: &str) -> String {
        use crate::render::{count, md};
        use std::fmt::Write;
        let mut s = String::new();
        s.push_str("\n## Ceasefire violations along the line of contact\n\n");
        let _ = writeln!(
            s,
            "Sectors of the monitors' lines: {}. Change from {} in brackets. {}\n",
            md(&self.lines_text()),
            md(previous),
            COUNTS_NOTE
        );
        s.push_str("### Ceasefire violations by sector\n\nMaxima over the overlapping observations of each incident, summed over incidents.\n\n");
        let _ = writeln!(
            s,
            "| sector | name | {} | total | incidents |\n|---|---|{}---|---|",
            self.events.join(" | "),
            "---|".repeat(self.events.len())
        );
        for r in self.sectors.iter().chain(std::iter::once(&self.total)) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                md(&Self::sector_cell(r)),
                md(&r.name),
                r.events
                    .iter()
                    .map(|l| count(&l.count))
                    .collect::<Vec<_>>()
                    .join(" | "),
                count(&r.total),
                count(&r.incidents)
            );
        }
        s.push_str("\n### Ceasefire violations by modality\n\nPer incident, event type and modality the largest count, summed over event types and incidents.\n\n");
        let _ = writeln!(
            s,
            "| sector | name | {} |\n|---|---|{}",
            self.modalities.join(" | "),
            "---|".repeat(self.modalities.len())
        );
        for r in self.sectors.iter().chain(std::iter::once(&self.total)) {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                md(&Self::sector_cell(r)),
                md(&r.name),
                r.modalities
                    .iter()
                    .map(|l| count(&l.count))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        s.push_str("\n### Individual observations\n\n");
        if self.incidents.is_empty() {
            s.push_str("No incident with observations on the day.\n");
        }
        for i in &self.incidents {
            let _ = writeln!(s, "- {}", md(&Self::incident_head(i)));
            for o in &i.observations {
                let _ = writeln!(s, "  - {}", md(&Self::observation_text(o)));
            }
            if let Some(m) =
                Self::more(i.observations.len(), i.observations_total, "observation(s)")
            {
                let _ = writeln!(s, "  - {m}");
            }
        }
        if let Some(m) = Self::more(self.incidents.len(), self.incidents_total, "incident(s)") {
            let _ = writeln!(s, "\n{m}");
        }
        s.push_str("\n### Weapons seen\n\n");
        if self.weapons.is_empty() {
            s.push_str("No weapons sighting on the day.\n");
        } else {
            s.push_str("| when | sector | party | class | calibre | count | model | reported by | in violation of the withdrawal lines |\n|---|---|---|---|---|---|---|---|---|\n");
            for w in &self.weapons {
                let [class, calibre, n, model] = Self::weapon_what(w);
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} | {}/{} | {} |",
                    md(&w.when),
                    md(&w.sector_name),
                    md(w.party.as_deref().unwrap_or("not said")),
                    md(&class),
                    md(&calibre),
                    md(&n),
                    md(&model),
                    md(&w.author),
                    md(&w.id),
                    md(&Self::violation_text(w))
                );
            }
        }
        if let Some(m) = Self::more(self.weapons.len(), self.weapons_total, "sighting(s)") {
            let _ = writeln!(s, "\n{m}");
        }
        s.push_str("\n### Restrictions of freedom of movement\n\n");
        if self.restrictions.is_empty() {
            s.push_str("No restriction of the monitors' movement on the day.\n");
        } else {
            s.push_str("| when | where | sector | by whom | what was denied | reported by |\n|---|---|---|---|---|---|\n");
            for r in &self.restrictions {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {}/{} |",
                    md(&r.when),
                    md(&where_text(r)),
                    md(&r.sector_name),
                    md(r.by.as_deref().unwrap_or("not said")),
                    md(if r.what.is_empty() { "—" } else { &r.what }),
                    md(&r.author),
                    md(&r.id)
                );
            }
        }
        if let Some(m) = Self::more(
            self.restrictions.len(),
            self.restrictions_total,
            "restriction(s)",
        ) {
            let _ = writeln!(s, "\n{m}");
        }
        s
    }

    /// The section in HTML (`previous`: the previous day's date, or "—").
    pub(crate) fn to_html(&self, previous: &str) -> String {
        use crate::render::{count, esc};
        use std::fmt::Write;
        let td = |x: &str| format!("<td>{}</td>", esc(x));
        let mut s = String::new();
        s.push_str("<h2>Ceasefire violations along the line of contact</h2>\n");
        let _ = writeln!(
            s,
            "<p>Sectors of the monitors' lines: {}. Change from {} in brackets. {}</p>",
            esc(&self.lines_text()),
            esc(previous),
            esc(COUNTS_NOTE)
        );
        s.push_str("<h3>Ceasefire violations by sector</h3>\n<p>Maxima over the overlapping observations of each incident, summed over incidents.</p>\n<table><tr><th>sector</th><th>name</th>");
        for e in &self.events {
            let _ = write!(s, "<th>{}</th>", esc(e));
        }
        s.push_str("<th>total</th><th>incidents</th></tr>\n");
        for r in self.sectors.iter().chain(std::iter::once(&self.total)) {
            let _ = writeln!(
                s,
                "<tr>{}{}{}{}{}</tr>",
                td(&Self::sector_cell(r)),
                td(&r.name),
                r.events
                    .iter()
                    .map(|l| td(&count(&l.count)))
                    .collect::<String>(),
                td(&count(&r.total)),
                td(&count(&r.incidents))
            );
        }
        s.push_str("</table>\n<h3>Ceasefire violations by modality</h3>\n<p>Per incident, event type and modality the largest count, summed over event types and incidents.</p>\n<table><tr><th>sector</th><th>name</th>");
        for m in &self.modalities {
            let _ = write!(s, "<th>{}</th>", esc(m));
        }
        s.push_str("</tr>\n");
        for r in self.sectors.iter().chain(std::iter::once(&self.total)) {
            let _ = writeln!(
                s,
                "<tr>{}{}{}</tr>",
                td(&Self::sector_cell(r)),
                td(&r.name),
                r.modalities
                    .iter()
                    .map(|l| td(&count(&l.count)))
                    .collect::<String>()
            );
        }
        s.push_str("</table>\n<h3>Individual observations</h3>\n");
        if self.incidents.is_empty() {
            s.push_str("<p>No incident with observations on the day.</p>\n");
        } else {
            s.push_str("<ul class=\"observed\">\n");
            for i in &self.incidents {
                let _ = write!(s, "<li>{}<ul>", esc(&Self::incident_head(i)));
                for o in &i.observations {
                    let _ = write!(s, "<li>{}</li>", esc(&Self::observation_text(o)));
                }
                if let Some(m) =
                    Self::more(i.observations.len(), i.observations_total, "observation(s)")
                {
                    let _ = write!(s, "<li>{}</li>", esc(&m));
                }
                s.push_str("</ul></li>\n");
            }
            s.push_str("</ul>\n");
        }
        if let Some(m) = Self::more(self.incidents.len(), self.incidents_total, "incident(s)") {
            let _ = writeln!(s, "<p>{}</p>", esc(&m));
        }
        s.push_str("<h3>Weapons seen</h3>\n");
        if self.weapons.is_empty() {
            s.push_str("<p>No weapons sighting on the day.</p>\n");
        } else {
            s.push_str("<table><tr><th>when</th><th>sector</th><th>party</th><th>class</th><th>calibre</th><th>count</th><th>model</th><th>reported by</th><th>in violation of the withdrawal lines</th></tr>\n");
            for w in &self.weapons {
                let [class, calibre, n, model] = Self::weapon_what(w);
                let _ = writeln!(
                    s,
                    "<tr>{}{}{}{}{}{}{}{}{}</tr>",
                    td(&w.when),
                    td(&w.sector_name),
                    td(w.party.as_deref().unwrap_or("not said")),
                    td(&class),
                    td(&calibre),
                    td(&n),
                    td(&model),
                    td(&format!("{}/{}", w.author, w.id)),
                    td(&Self::violation_text(w))
                );
            }
            s.push_str("</table>\n");
        }
        if let Some(m) = Self::more(self.weapons.len(), self.weapons_total, "sighting(s)") {
            let _ = writeln!(s, "<p>{}</p>", esc(&m));
        }
        s.push_str("<h3>Restrictions of freedom of movement</h3>\n");
        if self.restrictions.is_empty() {
            s.push_str("<p>No restriction of the monitors' movement on the day.</p>\n");
        } else {
            s.push_str("<table><tr><th>when</th><th>where</th><th>sector</th><th>by whom</th><th>what was denied</th><th>reported by</th></tr>\n");
            for r in &self.restrictions {
                let _ = writeln!(
                    s,
                    "<tr>{}{}{}{}{}{}</tr>",
                    td(&r.when),
                    td(&where_text(r)),
                    td(&r.sector_name),
                    td(r.by.as_deref().unwrap_or("not said")),
                    td(if r.what.is_empty() { "—" } else { &r.what }),
                    td(&format!("{}/{}", r.author, r.id))
                );
            }
            s.push_str("</table>\n");
        }
        if let Some(m) = Self::more(
            self.restrictions.len(),
            self.restrictions_total,
            "restriction(s)",
        ) {
            let _ = writeln!(s, "<p>{}</p>", esc(&m));
        }
        s
    }
}

fn km(m: u64) -> f64 {
    m as f64 / 1000.0
}

fn where_text(r: &RestrictionLine) -> String {
    let at = format!("lat {:.4}, lon {:.4}", r.point[1], r.point[0]);
    if r.place.is_empty() {
        at
    } else {
        format!("{} ({at})", r.place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truce_engine::input::{Front, ReadingIn, ReportIn};
    use truce_engine::{Params, Snapshot};
    use truce_model::domain::Reading;
    use truce_model::front::{DistanceRange, PublicCells, WeaponSeen};
    use truce_model::geo::{Geometry, LineString, Point};
    use truce_model::lines::LineKind;
    use truce_model::taxonomy::WeaponClass;
    use truce_model::Time;

    const AT: &str = "2025-06-02T03:10:00Z";
    const BEFORE: &str = "2025-06-01T03:10:00Z";
    /// The monitors' line: the meridian 38° E from 47° N to 49° N, drawn south to north.
    const LON: f64 = 38.0;

    fn id(s: &str) -> Id {
        Id::new(s).expect("id")
    }

    fn t(s: &str) -> i64 {
        Time::parse(s).expect("time").0.as_second()
    }

    fn line(index: u64, author: &str, lid: &str, lon: f64) -> LineIn {
        LineIn {
            index,
            author: id(author),
            id: id(lid),
            kind: LineKind::Contact,
            geometry: Geometry::LineString(
                LineString::new(
                    [47.0, 48.0, 49.0]
                        .iter()
                        .map(|&lat| Point::new(lon, lat).expect("point"))
                        .collect(),
                )
                .expect("line"),
            ),
            controlled_by: None,
            valid_from: t("2025-05-01T00:00:00Z"),
            filed: t("2025-05-01T00:00:00Z"),
            approximate_m: 0,
        }
    }

    fn sector(sid: &str, name: &str, from_km: f64, to_km: f64) -> Sector {
        Sector {
            id: id(sid),
            name: name.into(),
            from_km,
            to_km,
        }
    }

    /// The monitor's line (entry 1) with two sectors: south up to 100 km (about 47.9° N), north
    /// beyond.
    fn notes() -> FrontNotes {
        let mut n = FrontNotes::default();
        n.sectors.insert(
            1,
            vec![
                sector("s1", "South", 0.0, 100.0),
                sector("s2", "North", 100.0, 223.0),
            ],
        );
        n
    }

    /// The position `km` kilometres from `[lon, lat]` at `bearing`.
    fn at(lon: f64, lat: f64, bearing: f64, km: f64) -> [f64; 2] {
        truce_geo::destination([lon, lat], bearing, km * 1000.0)
    }

    fn report(index: u64, author: &str, act: Act, point: [f64; 2], when: &str) -> ReportIn {
        ReportIn {
            index,
            entry_id: format!("{index:064x}").parse().expect("entry id"),
            author: id(author).into(),
            role: if author == "osce" {
                Role::Monitor
            } else {
                Role::Belligerent
            },
            id: id(&format!("r{index}")),
            act,
            perpetrator: None,
            relays: None,
            denies: Vec::new().into(),
            point,
            uncertainty_m: 200,
            start: t(when),
            end: t(when) + 3600,
            target: None,
            static_source: false,
        }
    }

    /// A patrol's observation at `observer` as the log carries it: the public footprint, the
    /// report at its centroid with an uncertainty covering every cell.
    fn observed(
        index: u64,
        observer: [f64; 2],
        sectors: &[(f64, f64)],
        ring: (f64, f64),
        count: u32,
        modality: Modality,
        when: &str,
    ) -> (ReportIn, ReportFrontIn) {
        let secs: Vec<truce_geo::Sector> = sectors
            .iter()
            .map(|&(a, b)| truce_geo::Sector::new(a, b).expect("sector"))
            .collect();
        let fp = truce_geo::coarsen(
            observer,
            &secs,
            truce_geo::Ring::new(ring.0, ring.1).expect("ring"),
            1000.0,
        )
        .expect("footprint");
        let c = fp.centroid();
        let radius = fp
            .to_polygons()
            .iter()
            .flatten()
            .flatten()
            .map(|v| truce_geo::distance_m(c, *v))
            .fold(0.0, f64::max);
        let mut r = report(index, "osce", Act::Explosion, c, when);
        r.uncertainty_m = radius.ceil() as u32;
        let o = Observation {
            count,
            distance: DistanceRange {
                max_m: ring.1,
                min_m: ring.0,
            },
            event: EventType::Undetermined,
            footprint: PublicCells {
                cells: fp.cell_strings(),
                hidden_m: fp.hidden_radius_m(),
            },
            modality,
            observer: "ab".repeat(32),
            sectors: sectors.iter().map(|&(a, b)| [a, b]).collect(),
        };
        let said = ReportFrontIn::new(index, id("osce"), r.id.clone(), None, None, Some(o));
        assert!(said.footprint.is_some());
        (r, said)
    }

    fn full_ceasefire() -> ReadingIn {
        let text = r#"agreement = "full-ceasefire"
[source]
title = "t"
date = 2025-05-01
[terms]
prohibited_acts = ["strike", "explosion", "gunfire"]
protected = ["civilian.residential"]
bound = ["ru", "ua"]
window = { start = 2025-05-01T00:00:00Z }
[terms.front]
lines = [ { party = "ua", line = "ua/loc", side = "left" },
          { party = "ru", line = "ru/loc", side = "right" } ]
buffer_km = 30
prohibit = ["explosion-in-buffer", "weapons-in-zone"]
[[terms.front.withdrawal]]
weapons = "weapon.artillery"
min_calibre_mm = 100
width_km = 50
"#;
        ReadingIn {
            index: 3,
            author: id("osce"),
            filed: i64::MIN,
            effective: i64::MIN,
            reading: toml::from_str::<Reading>(text).expect("reading"),
        }
    }

    fn judged(reports: Vec<ReportIn>, said: Vec<ReportFrontIn>, lines: Vec<LineIn>) -> Judged {
        let mut roles = BTreeMap::new();
        roles.insert(id("osce"), Role::Monitor);
        roles.insert(id("ua"), Role::Belligerent);
        roles.insert(id("ru"), Role::Belligerent);
        let snapshot = Snapshot {
            log_size: 100,
            reports,
            sites: Vec::new(),
            readings: vec![full_ceasefire()],
            assessments: Vec::new(),
            policies: Vec::new(),
            invocations: Vec::new(),
            roles,
            zones: Default::default(),
            ends: Default::default(),
            extensions: Vec::new(),
            conditions: Vec::new(),
            maritime: Default::default(),
            front: Front::new(lines, said),
        };
        Judged::new(snapshot, &Params::default())
    }

    fn lines() -> Vec<LineIn> {
        // The monitor's line (entry 1) and Ukraine's (entry 2) on the same meridian, Russia's
        // (entry 4) 0.1° east.
        vec![
            line(1, "osce", "loc", LON),
            line(4, "ru", "loc", LON + 0.1),
            line(2, "ua", "loc", LON),
        ]
    }

    fn day() -> Day {
        Day::new("2025-06-02", "UTC", None).expect("day")
    }

    fn row<'s>(f: &'s FrontSection, sector: Option<&str>) -> &'s SectorRow {
        f.sectors
            .iter()
            .find(|r| r.sector.as_deref() == sector)
            .expect("row")
    }

    fn event<'s>(r: &'s SectorRow, e: &str) -> &'s Count {
        &r.events.iter().find(|l| l.label == e).expect("event").count
    }

    fn modality<'s>(r: &'s SectorRow, m: &str) -> &'s Count {
        &r.modalities
            .iter()
            .find(|l| l.label == m)
            .expect("modality")
            .count
    }

    /// Two patrols 4 km west of the line near 48° N, 6 km apart, hear the same explosions
    /// (26 and 19); on the previous day one heard 10 there.
    fn two_patrols() -> Judged {
        let a = at(LON, 48.0, 270.0, 4.0);
        let b = truce_geo::destination(a, 0.0, 6_000.0);
        let (ra, sa) = observed(
            10,
            a,
            &[(67.5, 112.5)],
            (2_000.0, 4_000.0),
            26,
            Modality::Heard,
            AT,
        );
        let (rb, sb) = observed(
            11,
            b,
            &[(112.5, 157.5)],
            (3_000.0, 6_000.0),
            19,
            Modality::Heard,
            AT,
        );
        let (rc, sc) = observed(
            5,
            a,
            &[(67.5, 112.5)],
            (2_000.0, 4_000.0),
            10,
            Modality::Seen,
            BEFORE,
        );
        judged(vec![rc, ra, rb], vec![sc, sa, sb], lines())
    }

    #[test]
    fn overlapping_observations_of_one_incident_count_their_largest_not_their_sum() {
        let j = two_patrols();
        let f = section(&j, &day(), &notes()).expect("a section");
        assert_eq!(f.incidents_total, 1, "{f:#?}");
        let north = row(&f, Some("s2"));
        assert_eq!(north.name, "North");
        assert_eq!(north.line.as_deref(), Some("osce/loc"));
        // 26, never 26 + 19 = 45.
        assert_eq!(event(north, "undetermined").day, 26, "{north:#?}");
        assert_eq!(north.total.day, 26);
        assert_eq!(modality(north, "heard").day, 26);
        assert_eq!(north.incidents.day, 1);
        assert_eq!(f.total.total.day, 26);
        // The individual figures are listed, the largest marked as the one counted.
        let i = &f.incidents[0];
        assert_eq!(i.sector.as_deref(), Some("s2"));
        assert_eq!(i.observations_total, 2);
        let figures: Vec<(u64, bool)> = i
            .observations
            .iter()
            .map(|o| (o.count, o.counted))
            .collect();
        assert_eq!(figures, vec![(26, true), (19, false)]);
        assert_eq!(
            i.events,
            vec![Figure {
                label: "undetermined".into(),
                count: 26
            }]
        );
        assert_eq!(row(&f, Some("s1")).total, Count::new(0, 0));
    }

    #[test]
    fn the_previous_days_count_and_the_change() {
        let f = section(&two_patrols(), &day(), &notes()).expect("a section");
        let north = row(&f, Some("s2"));
        assert_eq!(*event(north, "undetermined"), Count::new(26, 10));
        assert_eq!(event(north, "undetermined").change, 16);
        assert_eq!(*modality(north, "seen"), Count::new(0, 10));
        assert_eq!(*modality(north, "heard"), Count::new(26, 0));
        assert_eq!(north.incidents, Count::new(1, 1));
        // The previous day's own report: 10, and the next day's change from it.
        let before = Day::new("2025-06-01", "UTC", None).expect("day");
        let g = section(&two_patrols(), &before, &notes()).expect("a section");
        assert_eq!(
            *event(row(&g, Some("s2")), "undetermined"),
            Count::new(10, 0)
        );
    }

    #[test]
    fn sectors_by_chainage_and_outside_the_sectors() {
        // South of 47.9° N (under 100 km along the line): sector s1; 74 km east of the line (beyond
        // 50 km): outside; inside the reach but beyond the line's end: outside too.
        let (rs, ss) = observed(
            10,
            at(LON, 47.3, 270.0, 4.0),
            &[(67.5, 112.5)],
            (2_000.0, 4_000.0),
            7,
            Modality::Seen,
            AT,
        );
        let (rf, sf) = observed(
            20,
            [39.0, 48.0],
            &[(67.5, 112.5)],
            (2_000.0, 4_000.0),
            3,
            Modality::Camera,
            AT,
        );
        let j = judged(vec![rs, rf], vec![ss, sf], lines());
        let f = section(&j, &day(), &notes()).expect("a section");
        assert_eq!(event(row(&f, Some("s1")), "undetermined").day, 7, "{f:#?}");
        assert_eq!(row(&f, Some("s2")).total.day, 0);
        let out = row(&f, None);
        assert_eq!(out.name, OUTSIDE);
        assert_eq!(out.total.day, 3);
        assert_eq!(modality(out, "camera").day, 3);
        assert_eq!(f.total.total.day, 10);
        assert_eq!(f.total.incidents.day, 2);
        // The rows: the line's sectors in order, then outside.
        let order: Vec<Option<&str>> = f.sectors.iter().map(|r| r.sector.as_deref()).collect();
        assert_eq!(order, vec![Some("s1"), Some("s2"), None]);
        // Without the line's sectors every incident is outside them.
        let g = section(&j, &day(), &FrontNotes::default()).expect("a section");
        assert_eq!(g.sectors.len(), 1);
        assert_eq!(g.sectors[0].total.day, 10);
        // A line filed by a belligerent has no sectors counted, whatever its entry says.
        let mut n = notes();
        n.sectors.insert(2, vec![sector("x", "X", 0.0, 223.0)]);
        let h = section(&j, &day(), &n).expect("a section");
        assert!(h.sectors.iter().all(|r| r.sector.as_deref() != Some("x")));
    }

    #[test]
    fn no_section_without_monitor_lines_or_observations() {
        // An allegation of an explosion, a belligerent's line: nothing to count.
        let mut r = report(10, "ua", Act::Explosion, at(LON, 48.0, 90.0, 3.0), AT);
        r.perpetrator = Some(id("ru").into());
        let j = judged(vec![r], Vec::new(), vec![line(2, "ua", "loc", LON)]);
        assert_eq!(section(&j, &day(), &notes()), None);
        // With the monitor's line and its sectors, a section with nothing counted.
        let r = report(10, "ua", Act::Explosion, at(LON, 48.0, 90.0, 3.0), AT);
        let j = judged(vec![r], Vec::new(), lines());
        let f = section(&j, &day(), &notes()).expect("a section");
        assert_eq!(f.total.total, Count::new(0, 0));
        assert_eq!(f.incidents_total, 0);
        // A day before any monitor line is in force, with nothing to count: no section, though
        // the log holds observations on other days.
        let april = Day::new("2025-04-01", "UTC", None).expect("day");
        assert_eq!(section(&two_patrols(), &april, &notes()), None);
        assert!(section(&two_patrols(), &day(), &notes()).is_some());
    }

    #[test]
    fn weapons_seen_with_each_front_readings_finding_and_restrictions() {
        let weapon = |index: u64| {
            ReportFrontIn::new(
                index,
                id("osce"),
                id(&format!("r{index}")),
                Some(WeaponSeen {
                    class: WeaponClass::new("weapon.artillery.howitzer").expect("class"),
                    calibre_mm: Some(152),
                    count: Some(2),
                    model: Some("2A65 Msta-B".into()),
                }),
                None,
                None,
            )
        };
        // Ukraine's howitzers 20 km west of its line (inside its 25 km half of the 50 km zone),
        // and 40 km west of it (outside), at 48.5° N (sector s2).
        let seen = |index: u64, km: f64| {
            let mut r = report(
                index,
                "osce",
                Act::WeaponsSighting,
                at(LON, 48.5, 270.0, km),
                AT,
            );
            r.perpetrator = Some(id("ua").into());
            r.uncertainty_m = 100;
            r
        };
        let mut denied = report(
            30,
            "osce",
            Act::MovementRestriction,
            at(LON, 47.2, 270.0, 8.0),
            AT,
        );
        denied.perpetrator = Some(id("ua").into());
        let j = judged(
            vec![seen(10, 20.0), seen(11, 40.0), denied],
            vec![weapon(10), weapon(11)],
            lines(),
        );
        let mut n = notes();
        n.restrictions.insert(
            (30, "osce".into(), "r30".into()),
            (
                "checkpoint near Vodiane".into(),
                "passage denied to the patrol".into(),
            ),
        );
        let f = section(&j, &day(), &n).expect("a section");
        assert_eq!(f.weapons_total, 2, "{f:#?}");
        let w: Vec<(&str, &str, &str)> = f
            .weapons
            .iter()
            .map(|w| {
                (
                    w.id.as_str(),
                    w.readings[0].violation.as_str(),
                    w.sector.as_deref().unwrap_or("-"),
                )
            })
            .collect();
        assert_eq!(w, vec![("r10", "yes", "s2"), ("r11", "no", "s2")], "{f:#?}");
        let v = &f.weapons[0];
        assert_eq!(v.party.as_deref(), Some("ua"));
        assert_eq!((v.calibre_mm, v.count), (Some(152), Some(2)));
        assert_eq!(v.readings[0].reading, "osce");
        assert!(
            v.readings[0].reason.starts_with("weapons-in-zone"),
            "{v:#?}"
        );
        // Weapons are not violations counted from observations.
        assert_eq!(f.total.total.day, 0);
        assert_eq!(f.restrictions_total, 1);
        let r = &f.restrictions[0];
        assert_eq!(r.by.as_deref(), Some("ua"));
        assert_eq!(r.what, "passage denied to the patrol");
        assert_eq!(r.sector.as_deref(), Some("s1"));
        // Rendered in every format, labelled as maxima.
        let md = f.to_markdown("2025-06-01");
        let html = f.to_html("2025-06-01");
        for s in [&md, &html] {
            for want in [
                "Ceasefire violations by sector",
                "by modality",
                "Individual observations",
                "Weapons seen",
                "Restrictions of freedom of movement",
                "each event type counts the largest of its observations",
                "passage denied to the patrol",
                "2A65 Msta-B",
            ] {
                assert!(s.contains(want), "{want} missing from\n{s}");
            }
        }
    }

    #[test]
    fn the_section_round_trips_and_the_daily_report_leaves_it_out_without_notes() {
        let j = two_patrols();
        let f = section(&j, &day(), &notes()).expect("a section");
        let text = serde_json::to_string(&f).expect("json");
        let back: FrontSection = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, f);
        let md = f.to_markdown("2025-06-01");
        assert!(
            md.contains("| osce/loc s2 | North | 0 (±0) | 0 (±0) | 0 (±0) | 26 (+16) | 0 (±0) | 0 (±0) | 26 (+16) | 1 (±0) |"),
            "{md}"
        );
        // The daily report: without the ledger's notes, no section and the same bytes as before;
        // with them, the section in JSON, Markdown and HTML.
        let compliance = truce_engine::compliance(&j.findings);
        let input = crate::DailyInput {
            day: day(),
            judgement: &j,
            compliance: &compliance,
            commitments: &[],
            checkpoint: crate::CheckpointInfo {
                origin: "example.org/log".into(),
                size: 100,
                root: String::new(),
                note: String::new(),
            },
            rules: "r".into(),
        };
        let plain = crate::daily_with_changes(&input, &[]);
        assert_eq!(plain.front, None);
        let key = |r: &crate::DailyReport| {
            serde_json::from_str::<serde_json::Value>(&r.to_json())
                .expect("json")
                .get("front")
                .is_some()
        };
        assert!(!key(&plain));
        assert!(!plain.to_markdown().contains("Ceasefire violations"));
        let full = crate::daily_with_front(&input, &[], &notes());
        assert_eq!(full.front.as_ref(), Some(&f));
        assert!(key(&full));
        assert!(full
            .to_markdown()
            .contains("## Ceasefire violations along the line of contact"));
        assert!(full
            .to_html()
            .contains("<h2>Ceasefire violations along the line of contact</h2>"));
        let mut without = full.clone();
        without.front = None;
        assert_eq!(without, plain);
    }
}
