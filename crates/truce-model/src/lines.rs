//! Lines of contact as versioned log entries (issue 16): a `line` entry ([`LineVersion`]) is one
//! version of a geometry a party, a monitor or a mediator files under a line id of its own — a
//! line of contact of the day, a reference line another side measures from (e.g. the line of the
//! September 2014 Memorandum) or an area under a party's control —, valid from a stated time.
//! The same author filing the same id again files a new *version*; each side's version of "the"
//! line may differ, and every version is kept (`Ledger::line_versions`, `Ledger::line_at`).
//!
//! Invariants, checked whenever a body is decoded (so on replay too):
//! - the geometry fits the kind: a `LineString` or `MultiLineString` for `contact` and
//!   `reference`, a `Polygon` for `control-area`; `controlled_by` is given for a control area and
//!   only for one; at most [`MAX_VERTICES`] positions;
//! - sectors (named stretches with public ids, at most [`MAX_SECTORS`]) have unique ids, are
//!   listed in order along the line (from its first vertex, the parts of a multi-line one after
//!   another), do not overlap, and lie within the line's geodesic length (to the metre);
//! - the title and sector names are non-empty and at most [`MAX_NAME`] characters.
//!
//! The stricter shape rules of [`Geometry::check_shape`] are applied at submission
//! (`ledger::check_new`), as for sites. [`document`] and [`feature`] are the one JSON shape of a
//! version (`truce lines list|show`, and the API later).
//!
//! **Versions larger than one entry.** A C2SP entry holds at most 65,535 bytes (1,500 to 3,000
//! positions); a version of up to [`MAX_VERTICES`] is filed in parts, as a manifest's records
//! follow it: a signed `line` entry whose body states `parts` instead of `geometry` (a
//! [`LineHead`]: the geometry's type, how many parts, how many positions, and the SHA-256 of the
//! geometry's RFC 8785 JSON, [`geometry_sha256`]), then `parts.count` signed `line.part` entries
//! ([`LinePart`]) by the same author, directly after it (in one batch: `truce lines import` and
//! an atomic `POST /v1/entries`), each naming the head's entry id, its index and the line or ring
//! its run of positions continues. The ledger assembles them ([`Assembly`]) and files the
//! version — under the head's index, entry id and time — only when the last part arrives, the
//! positions are as many as stated, the digest matches and the version meets
//! [`LineVersion::validate`]; a part out of order, by another author, naming another head or
//! making the digest differ is refused, and any other entry before the last part ends the
//! version: it never becomes visible, and `Ledger::incomplete_lines` says why and what to do.
//! Existing single-entry versions are unchanged (a `line` body without `parts`). The head stands
//! for the whole version in amendments: retracting it retracts the version; a correction
//! stating the same `parts` (same digest) changes the other fields and keeps the geometry, one
//! with a `geometry` replaces it; `line.part` entries cannot be amended. [`split`] makes a head
//! and its parts, [`bind`] names the signed head in them.

use crate::domain::Id;
use crate::geo::{Geometry, Measure};
use crate::ledger::Record;
use crate::time::Time;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The most positions a line version may hold.
pub const MAX_VERTICES: usize = 100_000;
/// The most sectors a line version may name.
pub const MAX_SECTORS: usize = 1_000;
/// The most characters a title or a sector's name may have.
pub const MAX_NAME: usize = 200;

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineKind {
    /// A line of contact of the day (a line or several).
    Contact,
    /// A reference line one side measures from (e.g. the line of the September 2014 Memorandum).
    Reference,
    /// A polygon of territory under a party's control (the common public form).
    ControlArea,
}

impl LineKind {
    /// Every kind, in the order help texts list them.
    pub const ALL: [LineKind; 3] = [
        LineKind::Contact,
        LineKind::Reference,
        LineKind::ControlArea,
    ];

    /// The kind's name as written in entries and on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            LineKind::Contact => "contact",
            LineKind::Reference => "reference",
            LineKind::ControlArea => "control-area",
        }
    }
}

/// A named stretch of a line with a public id, measured along the line from its first vertex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    /// The sector's public id (unique within the version).
    pub id: Id,
    /// Its name.
    pub name: String,
    /// Where it starts, in km along the line.
    pub from_km: f64,
    /// Where it ends, in km along the line (after `from_km`).
    pub to_km: f64,
}

/// One version of a line (body of `line`). The author is the entry's author; the version in
/// force at a time is the one whose `valid_from` is the latest not after it
/// (`Ledger::line_at`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LineVersionRaw")]
pub struct LineVersion {
    /// The line's id (the author's own; filing it again is a new version).
    pub id: Id,
    /// What it is, in words.
    pub title: String,
    /// Contact, reference or control area.
    pub kind: LineKind,
    /// The line (`LineString`/`MultiLineString`) or the area (`Polygon`).
    pub geometry: Geometry,
    /// A control area's controlling party (only for `control-area`, where it is required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_by: Option<Id>,
    /// From when this version holds. Earlier than its filing makes it *retroactive*: allowed,
    /// and flagged ([`LineVersion::is_retroactive`]).
    pub valid_from: Time,
    /// Named stretches, in order along the line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors: Vec<Sector>,
    /// Set when the line is approximate: how far off it may be, in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_m: Option<u32>,
    /// Where the line comes from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineVersionRaw {
    id: Id,
    title: String,
    kind: LineKind,
    geometry: Geometry,
    #[serde(default)]
    controlled_by: Option<Id>,
    valid_from: Time,
    #[serde(default)]
    sectors: Vec<Sector>,
    #[serde(default)]
    approximate_m: Option<u32>,
    #[serde(default)]
    source: String,
}

impl TryFrom<LineVersionRaw> for LineVersion {
    type Error = String;
    fn try_from(r: LineVersionRaw) -> Result<Self, String> {
        let l = LineVersion {
            id: r.id,
            title: r.title,
            kind: r.kind,
            geometry: r.geometry,
            controlled_by: r.controlled_by,
            valid_from: r.valid_from,
            sectors: r.sectors,
            approximate_m: r.approximate_m,
            source: r.source,
        };
        l.validate()?;
        Ok(l)
    }
}

fn check_name(what: &str, s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err(format!("{what} is empty: give it a name"));
    }
    let n = s.chars().count();
    if n > MAX_NAME {
        return Err(format!(
            "{what} has {n} characters; at most {MAX_NAME}: shorten it"
        ));
    }
    Ok(())
}

impl LineVersion {
    /// The rules every version meets (see the module docs): refused with what is wrong, where
    /// (field, sector) and what to do.
    pub fn validate(&self) -> Result<(), String> {
        let line = self.id.as_str();
        check_name(&format!("line {line}: the title"), &self.title)?;
        match (self.kind, &self.geometry) {
            (
                LineKind::Contact | LineKind::Reference,
                Geometry::LineString(_) | Geometry::MultiLineString(_),
            )
            | (LineKind::ControlArea, Geometry::Polygon(_)) => {}
            (k, g) => {
                let want = if k == LineKind::ControlArea {
                    "a Polygon"
                } else {
                    "a LineString or MultiLineString"
                };
                return Err(format!(
                    "line {line}: a {} line is {want}, not a {}: file a line as contact or reference, an area as control-area",
                    k.as_str(),
                    geometry_type(g)
                ));
            }
        }
        match (self.kind, &self.controlled_by) {
            (LineKind::ControlArea, None) => {
                return Err(format!(
                    "line {line}: a control-area names the party in control (`controlled_by`)"
                ))
            }
            (LineKind::Contact | LineKind::Reference, Some(p)) => {
                return Err(format!(
                    "line {line}: `controlled_by` ({p}) is for control areas only; leave it out of a {} line",
                    self.kind.as_str()
                ))
            }
            _ => {}
        }
        let n = self.vertices();
        if n > MAX_VERTICES {
            return Err(format!(
                "line {line} has {n} positions; at most {MAX_VERTICES}: simplify it or split it into several lines"
            ));
        }
        if self.sectors.is_empty() {
            return Ok(());
        }
        if self.kind == LineKind::ControlArea {
            return Err(format!(
                "line {line}: sectors are stretches along a line; a control-area has none"
            ));
        }
        if self.sectors.len() > MAX_SECTORS {
            return Err(format!(
                "line {line} names {} sectors; at most {MAX_SECTORS}",
                self.sectors.len()
            ));
        }
        let length_km = self.length_m().unwrap_or(0.0) / 1000.0;
        let mut seen = std::collections::BTreeSet::new();
        let mut prev: Option<&Sector> = None;
        for (i, s) in self.sectors.iter().enumerate() {
            let at = format!("line {line}, sector {} ({})", i + 1, s.id);
            check_name(&format!("{at}: the name"), &s.name)?;
            if !seen.insert(&s.id) {
                return Err(format!("{at}: the id is used twice; sector ids are unique"));
            }
            if !(s.from_km.is_finite() && s.to_km.is_finite() && s.from_km >= 0.0) {
                return Err(format!(
                    "{at}: from_km {} and to_km {} must be numbers of km from the line's first vertex, 0 or more",
                    s.from_km, s.to_km
                ));
            }
            if s.to_km <= s.from_km {
                return Err(format!(
                    "{at}: to_km {} is not after from_km {}",
                    s.to_km, s.from_km
                ));
            }
            // To the metre: a sector may end at the length written rounded.
            if s.to_km > length_km + 0.001 {
                return Err(format!(
                    "{at}: to_km {} is beyond the line's end ({length_km:.3} km along it)",
                    s.to_km
                ));
            }
            if let Some(p) = prev {
                if s.from_km < p.to_km {
                    return Err(format!(
                        "{at}: it starts at {} km, before sector {} ends ({} km): sectors are listed in order along the line and do not overlap",
                        s.from_km, p.id, p.to_km
                    ));
                }
            }
            prev = Some(s);
        }
        Ok(())
    }

    /// Whether this version holds from before it was `filed` (its entry's time).
    pub fn is_retroactive(&self, filed: Time) -> bool {
        self.valid_from < filed
    }

    /// How many positions the geometry holds (rings and parts together).
    pub fn vertices(&self) -> usize {
        match &self.geometry {
            Geometry::Point(_) => 1,
            Geometry::LineString(l) => l.points().len(),
            Geometry::MultiLineString(m) => m.lines().iter().map(|l| l.points().len()).sum(),
            Geometry::Polygon(p) => p.rings().iter().map(Vec::len).sum(),
        }
    }

    /// The line's geodesic length in metres (all its parts); `None` for an area.
    pub fn length_m(&self) -> Option<f64> {
        match self.geometry.measure() {
            Measure::Length(m) => Some(m),
            _ => None,
        }
    }

    /// An area's geodesic size in square metres; `None` for a line.
    pub fn area_m2(&self) -> Option<f64> {
        match self.geometry.measure() {
            Measure::Area(a) => Some(a),
            _ => None,
        }
    }
}

/// A geometry's GeoJSON type name.
pub fn geometry_type(g: &Geometry) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) => "Polygon",
    }
}

/// Rounds to the metre (three decimals of a km).
fn km3(m: f64) -> f64 {
    m.round() / 1000.0
}

/// The one JSON shape of a line version (`truce lines list --json`, `truce lines show --json`,
/// the API later): author, id, title, kind, valid_from, filed (the entry's time), the log index
/// and entry id, `retroactive`, vertices, `length_km` (a line, to the metre) or `area_km2` (an
/// area), controlled_by, approximate_m, source, sectors, and `retracted` / `corrections`; with
/// `geometry` when `with_geometry`.
pub fn document(rec: &Record<LineVersion>, with_geometry: bool) -> Value {
    let l = &rec.value;
    let mut d = json!({
        "author": rec.author,
        "id": l.id,
        "title": l.title,
        "kind": l.kind,
        "valid_from": l.valid_from,
        "filed": rec.time,
        "index": rec.index,
        "entry_id": rec.entry_id,
        "retroactive": l.is_retroactive(rec.time),
        "vertices": l.vertices(),
        "length_km": l.length_m().map(km3),
        "area_km2": l.area_m2().map(|a| (a / 1e4).round() / 100.0),
        "controlled_by": l.controlled_by,
        "approximate_m": l.approximate_m,
        "source": l.source,
        "sectors": l.sectors,
        "retracted": rec.retracted,
        "corrections": rec.corrections,
    });
    if with_geometry {
        d["geometry"] = serde_json::to_value(&l.geometry).unwrap_or(Value::Null);
    }
    d
}

/// A version as a GeoJSON Feature: `id` `AUTHOR/ID`, its geometry, and [`document`] (without
/// the geometry) as its properties.
pub fn feature(rec: &Record<LineVersion>) -> Value {
    json!({
        "type": "Feature",
        "id": format!("{}/{}", rec.author, rec.value.id),
        "geometry": serde_json::to_value(&rec.value.geometry).unwrap_or(Value::Null),
        "properties": document(rec, false),
    })
}

/// Every version of every line, in (author, id, valid_from, log index) order: the document of
/// `truce lines list --json` and `GET /v1/lines` (`{"versions": [document…]}`, no geometry).
pub fn list_document(ledger: &crate::Ledger) -> Value {
    let versions: Vec<Value> = ledger
        .line_versions
        .values()
        .flatten()
        .map(|r| document(r, false))
        .collect();
    json!({ "versions": versions })
}

/// The lines in force at `at` (the latest version of each when `None`), as a GeoJSON
/// FeatureCollection: `GET /v1/lines.geojson` and the map.
pub fn collection(ledger: &crate::Ledger, at: Option<Time>) -> Value {
    let features: Vec<Value> = match at {
        Some(t) => ledger
            .line_versions
            .keys()
            .filter_map(|(a, id)| ledger.line_at(a, id, t))
            .map(feature)
            .collect(),
        None => ledger.lines().map(feature).collect(),
    };
    json!({ "type": "FeatureCollection", "features": features })
}

/// Why [`version`] found no version to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No line of that author and id.
    #[error("no line {0} in the log: `truce lines list` (or GET /v1/lines) lists them")]
    Unknown(String),
    /// None holds at the time asked.
    #[error("no version of {line} holds at {at} ({first})")]
    NotYet {
        /// `author/id`.
        line: String,
        /// The time asked.
        at: Time,
        /// When its first version holds from, or that every one is retracted.
        first: String,
    },
    /// Every version is retracted.
    #[error("every version of {0} is retracted")]
    Retracted(String),
}

/// The version of `author/id` to show: the one in force at `at`, else the latest (retracted
/// versions left out) — `truce lines show` and `GET /v1/lines/{author}/{id}`.
pub fn version<'a>(
    ledger: &'a crate::Ledger,
    author: &Id,
    id: &Id,
    at: Option<Time>,
) -> Result<&'a Record<LineVersion>, LookupError> {
    let name = format!("{author}/{id}");
    let versions = ledger
        .line_versions
        .get(&(author.clone(), id.clone()))
        .ok_or_else(|| LookupError::Unknown(name.clone()))?;
    match at {
        Some(t) => ledger
            .line_at(author, id, t)
            .ok_or_else(|| LookupError::NotYet {
                line: name.clone(),
                at: t,
                first: versions
                    .iter()
                    .find(|r| r.retracted.is_none())
                    .map(|r| format!("its first version holds from {}", r.value.valid_from))
                    .unwrap_or_else(|| "every version is retracted".into()),
            }),
        None => versions
            .iter()
            .rev()
            .find(|r| r.retracted.is_none())
            .ok_or(LookupError::Retracted(name)),
    }
}

/// The most parts a version filed in parts ([`LineHead`]) may have.
pub const MAX_PARTS: u32 = 1_000;
/// The most bytes [`split`] puts in one part's body, leaving room for its envelope within the
/// log's 65,535 bytes an entry.
pub const PART_BODY_BYTES: usize = 60_000;

/// The shape of a geometry filed in parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartsType {
    /// One line.
    LineString,
    /// Several lines (each part names its line, `sub`).
    MultiLineString,
    /// An area (each part names its ring, `sub`: 0 the outer ring, then the holes).
    Polygon,
}

impl PartsType {
    /// The GeoJSON type name.
    pub fn as_str(&self) -> &'static str {
        match self {
            PartsType::LineString => "LineString",
            PartsType::MultiLineString => "MultiLineString",
            PartsType::Polygon => "Polygon",
        }
    }

    /// The type of a geometry that may be filed in parts (not a point).
    pub fn of(g: &Geometry) -> Option<PartsType> {
        match g {
            Geometry::LineString(_) => Some(PartsType::LineString),
            Geometry::MultiLineString(_) => Some(PartsType::MultiLineString),
            Geometry::Polygon(_) => Some(PartsType::Polygon),
            Geometry::Point(_) => None,
        }
    }
}

/// What a version filed in parts states instead of its geometry: the geometry's type, how many
/// `line.part` entries follow, how many positions they carry, and the SHA-256 (lowercase hex) of
/// the assembled geometry's RFC 8785 JSON ([`geometry_sha256`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parts {
    /// The geometry's GeoJSON type.
    #[serde(rename = "type")]
    pub geometry_type: PartsType,
    /// How many `line.part` entries follow the head (1 to [`MAX_PARTS`]).
    pub count: u32,
    /// How many positions they carry together (at most [`MAX_VERTICES`]).
    pub vertices: u32,
    /// SHA-256 of the assembled geometry's RFC 8785 JSON, lowercase hex.
    pub sha256: String,
}

/// The head of a version too large for one entry (body of a `line` entry that states `parts`
/// instead of `geometry`): everything a [`LineVersion`] holds but its geometry, which follows in
/// `parts.count` `line.part` entries ([`LinePart`]) directly after it, by the same author, in
/// one batch. The ledger assembles the version when the last part arrives and its digest
/// matches; until then, and if it never does, nothing of it is visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LineHeadRaw")]
pub struct LineHead {
    /// The line's id.
    pub id: Id,
    /// What it is, in words.
    pub title: String,
    /// Contact, reference or control area.
    pub kind: LineKind,
    /// The parts that carry the geometry.
    pub parts: Parts,
    /// A control area's controlling party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_by: Option<Id>,
    /// From when this version holds.
    pub valid_from: Time,
    /// Named stretches, in order along the line (checked against the assembled geometry).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors: Vec<Sector>,
    /// How far off the line may be, in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_m: Option<u32>,
    /// Where the line comes from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineHeadRaw {
    id: Id,
    title: String,
    kind: LineKind,
    parts: Parts,
    #[serde(default)]
    controlled_by: Option<Id>,
    valid_from: Time,
    #[serde(default)]
    sectors: Vec<Sector>,
    #[serde(default)]
    approximate_m: Option<u32>,
    #[serde(default)]
    source: String,
}

impl TryFrom<LineHeadRaw> for LineHead {
    type Error = String;
    fn try_from(r: LineHeadRaw) -> Result<Self, String> {
        let h = LineHead {
            id: r.id,
            title: r.title,
            kind: r.kind,
            parts: r.parts,
            controlled_by: r.controlled_by,
            valid_from: r.valid_from,
            sectors: r.sectors,
            approximate_m: r.approximate_m,
            source: r.source,
        };
        h.validate()?;
        Ok(h)
    }
}

/// A stand-in geometry of a type, to check a head's other fields by [`LineVersion::validate`]'s
/// rules before its parts arrive.
fn stand_in(t: PartsType) -> Option<Geometry> {
    let a = crate::geo::Point::new(0.0, 0.0).ok()?;
    let b = crate::geo::Point::new(0.0, 1.0).ok()?;
    let c = crate::geo::Point::new(1.0, 1.0).ok()?;
    Some(match t {
        PartsType::LineString => Geometry::LineString(LineString::new(vec![a, b]).ok()?),
        PartsType::MultiLineString => Geometry::MultiLineString(
            crate::geo::MultiLineString::new(vec![LineString::new(vec![a, b]).ok()?]).ok()?,
        ),
        PartsType::Polygon => {
            Geometry::Polygon(crate::geo::Polygon::new(vec![vec![a, b, c, a]]).ok()?)
        }
    })
}

use crate::geo::{LineString, Point};

impl LineHead {
    /// The rules a head meets before its parts arrive: those of [`LineVersion::validate`] that do
    /// not need the geometry (the sectors' ends are checked on the assembled line), and the
    /// bounds of `parts`.
    pub fn validate(&self) -> Result<(), String> {
        let line = self.id.as_str();
        let p = &self.parts;
        if p.count == 0 || p.count > MAX_PARTS {
            return Err(format!(
                "line {line}: parts.count is {}; a version filed in parts has 1 to {MAX_PARTS} parts",
                p.count
            ));
        }
        if p.vertices as usize > MAX_VERTICES || (p.vertices as usize) < p.count as usize {
            return Err(format!(
                "line {line}: parts.vertices is {}; it is at least one a part and at most {MAX_VERTICES}: simplify the line or split it into several lines",
                p.vertices
            ));
        }
        if p.sha256.len() != 64
            || !p
                .sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(format!(
                "line {line}: parts.sha256 is not 64 lowercase hex digits (the SHA-256 of the assembled geometry's RFC 8785 JSON)"
            ));
        }
        let g = stand_in(p.geometry_type)
            .ok_or_else(|| format!("line {line}: no stand-in geometry"))?;
        // The sectors' ends wait for the geometry (checked on the assembled line); the rest is
        // checked now, on a stand-in of the type.
        match self.with_geometry(g).validate() {
            Err(e) if !e.contains("beyond the line's end") => Err(e),
            _ => Ok(()),
        }
    }

    /// The version this head states, with `geometry`.
    pub fn with_geometry(&self, geometry: Geometry) -> LineVersion {
        LineVersion {
            id: self.id.clone(),
            title: self.title.clone(),
            kind: self.kind,
            geometry,
            controlled_by: self.controlled_by.clone(),
            valid_from: self.valid_from,
            sectors: self.sectors.clone(),
            approximate_m: self.approximate_m,
            source: self.source.clone(),
        }
    }

    /// The head that states `v` in parts (`parts` as [`split`] makes them).
    pub fn of(v: &LineVersion, parts: Parts) -> LineHead {
        LineHead {
            id: v.id.clone(),
            title: v.title.clone(),
            kind: v.kind,
            parts,
            controlled_by: v.controlled_by.clone(),
            valid_from: v.valid_from,
            sectors: v.sectors.clone(),
            approximate_m: v.approximate_m,
            source: v.source.clone(),
        }
    }
}

/// A run of positions of a version filed in parts (body of `line.part`): part `part` (from 0)
/// of the version whose head is the entry `head` (line `line`), positions of its line or ring
/// `sub` (0 for a LineString; a MultiLineString's line or a Polygon's ring, 0 the outer one).
/// The runs of one `sub` are joined in part order; a part starts a new `sub` only when it is the
/// next one. Naming the head's entry id binds each part to one version (two versions of the same
/// geometry have different parts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinePart {
    /// The line's id (the head's).
    pub line: Id,
    /// The head's entry id (64 lowercase hex digits).
    pub head: String,
    /// The part's index, from 0.
    pub part: u32,
    /// The line (MultiLineString) or ring (Polygon) the positions belong to.
    pub sub: u32,
    /// The positions, in order.
    pub coordinates: Vec<Point>,
}

/// SHA-256 (lowercase hex) of a geometry's RFC 8785 JSON: what `parts.sha256` states.
pub fn geometry_sha256(g: &Geometry) -> String {
    use sha2::Digest;
    let v = serde_json::to_value(g).unwrap_or(Value::Null);
    let bytes = crate::entry::jcs(&v).unwrap_or_default();
    let d: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    crate::entry::hex(&d)
}

/// A version filed in parts, assembled as its parts arrive ([`LineHead`], [`LinePart`]): the
/// ledger's state between a head and its last part. The digest is computed as the positions
/// come (the RFC 8785 JSON of a geometry is `{"coordinates":…,"type":…}`, its positions in
/// order), so the last part costs no hashing of the whole.
#[derive(Debug, Clone)]
pub struct Assembly {
    head: LineHead,
    head_id: String,
    subs: Vec<Vec<Point>>,
    next: u32,
    vertices: usize,
    digest: sha2::Sha256,
}

/// Feeds a position's RFC 8785 form (`[lon,lat]`, numbers in ECMAScript's shortest form) to the
/// digest.
fn hash_point(h: &mut sha2::Sha256, p: &Point) {
    use sha2::Digest;
    let mut b = ryu_js::Buffer::new();
    h.update(b"[");
    h.update(b.format_finite(p.lon()).as_bytes());
    h.update(b",");
    h.update(b.format_finite(p.lat()).as_bytes());
    h.update(b"]");
}

impl Assembly {
    /// Waiting for the first part of `head`, filed as the entry `head_id`.
    pub fn new(head: LineHead, head_id: &str) -> Assembly {
        Assembly {
            head,
            head_id: head_id.to_string(),
            subs: Vec::new(),
            next: 0,
            vertices: 0,
            digest: sha2::Sha256::default(),
        }
    }

    /// The head.
    pub fn head(&self) -> &LineHead {
        &self.head
    }

    /// Parts received.
    pub fn received(&self) -> u32 {
        self.next
    }

    /// Whether `p` is the part expected next: refused with what is wrong, where and what to do.
    pub fn check(&self, p: &LinePart) -> Result<(), String> {
        let h = &self.head;
        let at = format!("line {} part {}", h.id, p.part);
        let redo = "file the whole version again (`truce lines import` appends a version and all its parts in one batch)";
        if p.line != h.id {
            return Err(format!(
                "{at}: it belongs to line {}, but the version waiting for its parts is line {}; {redo}",
                p.line, h.id
            ));
        }
        if p.head != self.head_id {
            return Err(format!(
                "{at}: it names the head {}, but the version waiting for its parts is the entry {}; {redo}",
                p.head, self.head_id
            ));
        }
        if p.part != self.next {
            return Err(format!(
                "line {}: part {} arrived where part {} of {} was due (parts follow their head in order); {redo}",
                h.id, p.part, self.next, h.parts.count
            ));
        }
        if p.coordinates.is_empty() {
            return Err(format!("{at}: it carries no positions; {redo}"));
        }
        let cur = self.subs.len() as u32;
        let ok_sub = match h.parts.geometry_type {
            PartsType::LineString => p.sub == 0,
            _ => p.sub + 1 == cur || p.sub == cur,
        };
        if !ok_sub {
            return Err(format!(
                "{at}: sub {} is not the current line/ring ({}) or the next; a {} {}; {redo}",
                p.sub,
                cur.saturating_sub(1),
                h.parts.geometry_type.as_str(),
                if h.parts.geometry_type == PartsType::LineString {
                    "has only sub 0"
                } else {
                    "lists its lines or rings one after another"
                }
            ));
        }
        let n = self.vertices + p.coordinates.len();
        if n > h.parts.vertices as usize {
            return Err(format!(
                "{at}: the parts so far carry {n} positions, more than the {} the head states; {redo}",
                h.parts.vertices
            ));
        }
        Ok(())
    }

    /// Adds the next part ([`Assembly::check`] first); whether it was the last.
    pub fn push(&mut self, p: &LinePart) -> Result<bool, String> {
        use sha2::Digest;
        self.check(p)?;
        let nested = self.head.parts.geometry_type != PartsType::LineString;
        if self.next == 0 {
            self.digest.update(if nested {
                &b"{\"coordinates\":[["[..]
            } else {
                &b"{\"coordinates\":["[..]
            });
        }
        let new_sub = p.sub as usize == self.subs.len();
        if new_sub && !self.subs.is_empty() {
            self.digest.update(b"],[");
        }
        for (k, pt) in p.coordinates.iter().enumerate() {
            if k > 0 || !new_sub {
                self.digest.update(b",");
            }
            hash_point(&mut self.digest, pt);
        }
        if new_sub {
            self.subs.push(Vec::new());
        }
        if let Some(s) = self.subs.last_mut() {
            s.extend_from_slice(&p.coordinates);
        }
        self.vertices += p.coordinates.len();
        self.next += 1;
        Ok(self.next == self.head.parts.count)
    }

    /// The assembled version, once every part has arrived: its geometry valid, its positions as
    /// many as stated, its digest the head's, and the whole version meeting
    /// [`LineVersion::validate`].
    pub fn finish(self) -> Result<LineVersion, String> {
        use sha2::Digest;
        let h = &self.head;
        let redo = "file the whole version again (`truce lines import` appends a version and all its parts in one batch)";
        if self.next != h.parts.count {
            return Err(format!(
                "line {}: {} of {} parts arrived; {redo}",
                h.id, self.next, h.parts.count
            ));
        }
        if self.vertices != h.parts.vertices as usize {
            return Err(format!(
                "line {}: the parts carry {} positions, the head states {}; {redo}",
                h.id, self.vertices, h.parts.vertices
            ));
        }
        let mut hasher = self.digest;
        if h.parts.geometry_type != PartsType::LineString {
            hasher.update(b"]");
        }
        hasher.update(b"],\"type\":\"");
        hasher.update(h.parts.geometry_type.as_str().as_bytes());
        hasher.update(b"\"}");
        let d: [u8; 32] = hasher.finalize().into();
        let digest = crate::entry::hex(&d);
        let mut subs = self.subs;
        let built = match h.parts.geometry_type {
            PartsType::LineString => {
                LineString::new(subs.pop().unwrap_or_default()).map(Geometry::LineString)
            }
            PartsType::MultiLineString => subs
                .into_iter()
                .map(LineString::new)
                .collect::<Result<Vec<_>, _>>()
                .and_then(crate::geo::MultiLineString::new)
                .map(Geometry::MultiLineString),
            PartsType::Polygon => crate::geo::Polygon::new(subs).map(Geometry::Polygon),
        };
        let g = built.map_err(|e| {
            format!(
                "line {}: the assembled {}: {e}; {redo}",
                h.id,
                h.parts.geometry_type.as_str()
            )
        })?;
        if digest != h.parts.sha256 {
            return Err(format!(
                "line {}: the assembled geometry's SHA-256 is {digest}, the head states {}: a part was altered, lost or reordered; {redo}",
                h.id, h.parts.sha256
            ));
        }
        let v = h.with_geometry(g);
        v.validate()?;
        Ok(v)
    }
}

/// Splits a version into a head and its parts when its body would not fit one entry (more than
/// `max_body` bytes of JSON; [`PART_BODY_BYTES`] leaves room for the envelope); `None` when it
/// fits. Parts hold runs of at most `max_body` bytes of positions each; their `head` is empty
/// until [`bind`] names the head's entry id (known once the head is signed).
pub fn split(
    v: &LineVersion,
    max_body: usize,
) -> Result<Option<(LineHead, Vec<LinePart>)>, String> {
    let size = serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX);
    if size <= max_body {
        return Ok(None);
    }
    let t = PartsType::of(&v.geometry)
        .ok_or_else(|| format!("line {}: a point is not filed in parts", v.id))?;
    let subs: Vec<&[Point]> = match &v.geometry {
        Geometry::LineString(l) => vec![l.points()],
        Geometry::MultiLineString(m) => m.lines().iter().map(|l| l.points()).collect(),
        Geometry::Polygon(p) => p.rings().iter().map(Vec::as_slice).collect(),
        Geometry::Point(_) => Vec::new(),
    };
    // Room for {"coordinates":[],"head":"<64 hex>","line":"…","part":N,"sub":N}.
    let room = max_body.saturating_sub(160 + v.id.as_str().len());
    let mut parts: Vec<LinePart> = Vec::new();
    for (sub, pts) in subs.into_iter().enumerate() {
        let mut run: Vec<Point> = Vec::new();
        let mut bytes = 0usize;
        for p in pts {
            let n = serde_json::to_vec(p).map(|b| b.len() + 1).unwrap_or(64);
            if !run.is_empty() && bytes + n > room {
                parts.push(LinePart {
                    line: v.id.clone(),
                    head: String::new(),
                    part: parts.len() as u32,
                    sub: sub as u32,
                    coordinates: std::mem::take(&mut run),
                });
                bytes = 0;
            }
            run.push(*p);
            bytes += n;
        }
        parts.push(LinePart {
            line: v.id.clone(),
            head: String::new(),
            part: parts.len() as u32,
            sub: sub as u32,
            coordinates: run,
        });
    }
    let head = LineHead::of(
        v,
        Parts {
            geometry_type: t,
            count: u32::try_from(parts.len()).unwrap_or(u32::MAX),
            vertices: u32::try_from(v.vertices()).unwrap_or(u32::MAX),
            sha256: geometry_sha256(&v.geometry),
        },
    );
    head.validate()?;
    Ok(Some((head, parts)))
}

/// Names `head_id` (the signed head's entry id) in each part.
pub fn bind(parts: &mut [LinePart], head_id: &str) {
    for p in parts {
        p.head = head_id.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time::parse(s).unwrap()
    }

    /// A contact line from 0°E to 1°E on the equator (111.32 km), with optional sectors.
    fn contact(sectors: Value) -> Value {
        json!({
            "id": "loc", "title": "Line of contact", "kind": "contact",
            "geometry": {"type": "LineString", "coordinates": [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]]},
            "valid_from": "2025-03-18T00:00:00Z", "sectors": sectors,
        })
    }

    fn parse(v: Value) -> Result<LineVersion, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn a_line_version_parses_and_keeps_its_bytes() {
        let l = parse(contact(json!([
            {"id": "north", "name": "North", "from_km": 0, "to_km": 50},
            {"id": "south", "name": "South", "from_km": 50, "to_km": 111.3}
        ])))
        .unwrap();
        assert_eq!(l.vertices(), 3);
        assert!((l.length_m().unwrap() - 111_319.49).abs() < 0.01);
        // Optional fields left out stay out, so the bytes stay canonical.
        let v = serde_json::to_value(&l).unwrap();
        assert!(v.get("controlled_by").is_none() && v.get("source").is_none());
        assert_eq!(parse(v).unwrap(), l);
        let bare = parse(contact(json!([]))).unwrap();
        assert!(serde_json::to_value(&bare)
            .unwrap()
            .get("sectors")
            .is_none());
        // Unknown fields are refused.
        let mut x = contact(json!([]));
        x["colour"] = json!("red");
        assert!(parse(x).unwrap_err().contains("colour"));
    }

    #[test]
    fn the_geometry_must_fit_the_kind() {
        let mut x = contact(json!([]));
        x["kind"] = json!("control-area");
        x["controlled_by"] = json!("ru");
        let e = parse(x).unwrap_err();
        assert!(e.contains("is a Polygon, not a LineString"), "{e}");
        let square = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]});
        let mut x = contact(json!([]));
        x["geometry"] = square.clone();
        let e = parse(x).unwrap_err();
        assert!(
            e.contains("a contact line is a LineString or MultiLineString, not a Polygon"),
            "{e}"
        );
        let mut x = contact(json!([]));
        x["geometry"] = json!({"type": "Point", "coordinates": [0.0, 0.0]});
        assert!(parse(x).unwrap_err().contains("not a Point"));
        // A control area: a polygon with whose control, and no sectors.
        let mut x = contact(json!([]));
        x["kind"] = json!("control-area");
        x["geometry"] = square;
        assert!(parse(x.clone()).unwrap_err().contains("controlled_by"));
        x["controlled_by"] = json!("ru");
        let area = parse(x.clone()).unwrap();
        assert!(area.area_m2().unwrap() > 6e9 && area.length_m().is_none());
        x["sectors"] = json!([{"id": "a", "name": "A", "from_km": 0, "to_km": 1}]);
        assert!(parse(x).unwrap_err().contains("a control-area has none"));
        // controlled_by on a line.
        let mut x = contact(json!([]));
        x["controlled_by"] = json!("ru");
        assert!(parse(x).unwrap_err().contains("control areas only"));
    }

    #[test]
    fn sectors_are_in_order_apart_and_on_the_line() {
        let bad = |s: Value, want: &str| {
            let e = parse(contact(s)).unwrap_err();
            assert!(e.contains(want), "{want}: {e}");
        };
        bad(
            json!([{"id": "a", "name": "A", "from_km": 0, "to_km": 60}, {"id": "b", "name": "B", "from_km": 50, "to_km": 100}]),
            "before sector a ends",
        );
        bad(
            json!([{"id": "a", "name": "A", "from_km": 0, "to_km": 112}]),
            "beyond the line's end (111.319 km",
        );
        bad(
            json!([{"id": "a", "name": "A", "from_km": 10, "to_km": 10}]),
            "is not after",
        );
        bad(
            json!([{"id": "a", "name": "A", "from_km": -1, "to_km": 10}]),
            "0 or more",
        );
        bad(
            json!([{"id": "a", "name": "A", "from_km": 0, "to_km": 10}, {"id": "a", "name": "A2", "from_km": 10, "to_km": 20}]),
            "used twice",
        );
        bad(
            json!([{"id": "a", "name": "", "from_km": 0, "to_km": 10}]),
            "the name is empty",
        );
        bad(
            json!([{"id": "a", "name": "x".repeat(201), "from_km": 0, "to_km": 10}]),
            "201 characters",
        );
        // To the metre: the length written rounded is the end.
        assert!(parse(contact(
            json!([{"id": "a", "name": "A", "from_km": 0, "to_km": 111.32}])
        ))
        .is_ok());
        // Too many sectors.
        let many: Vec<Value> = (0..=MAX_SECTORS)
            .map(|i| json!({"id": format!("s{i}"), "name": "S", "from_km": i as f64 * 0.1, "to_km": i as f64 * 0.1 + 0.05}))
            .collect();
        bad(json!(many), "at most 1000");
    }

    #[test]
    fn too_many_vertices_are_refused() {
        let pts: Vec<[f64; 2]> = (0..=MAX_VERTICES).map(|i| [i as f64 * 1e-5, 0.0]).collect();
        let mut x = contact(json!([]));
        x["geometry"] = json!({"type": "LineString", "coordinates": pts});
        let e = parse(x).unwrap_err();
        assert!(e.contains("100001 positions; at most 100000"), "{e}");
    }

    #[test]
    fn the_digest_is_sha256_of_the_geometrys_rfc8785_json() {
        let g: Geometry = serde_json::from_value(
            json!({"type": "LineString", "coordinates": [[0.5, 1.0], [2.0, 3.25]]}),
        )
        .unwrap();
        // sha256 of {"coordinates":[[0.5,1],[2,3.25]],"type":"LineString"}
        assert_eq!(
            geometry_sha256(&g),
            "b56e7fa90ceba4a366eff1fee4a2af0570d8a6da153ca2767ae90aee1e5864f9"
        );
    }

    #[test]
    fn a_split_version_assembles_back_part_by_part() {
        let pts: Vec<[f64; 2]> = (0..500)
            .map(|i| {
                [
                    30.0 + i as f64 * 0.001,
                    48.0 + (i as f64 / 9.0).sin() * 0.01,
                ]
            })
            .collect();
        let mut x = contact(json!([]));
        x["geometry"] = json!({"type": "LineString", "coordinates": pts});
        let v = parse(x).unwrap();
        assert!(
            split(&v, PART_BODY_BYTES).unwrap().is_none(),
            "fits one entry"
        );
        let (head, mut parts) = split(&v, 1_000).unwrap().unwrap();
        assert!(parts.len() > 10);
        bind(&mut parts, &"ab".repeat(32));
        assert!(parts
            .iter()
            .all(|p| serde_json::to_vec(p).unwrap().len() <= 1_000));
        let mut asm = Assembly::new(head.clone(), &"ab".repeat(32));
        for (k, p) in parts.iter().enumerate() {
            // The last part, and only it, completes the version.
            assert_eq!(asm.push(p).unwrap(), k + 1 == parts.len());
        }
        assert_eq!(asm.finish().unwrap(), v);
        // Finishing early names what is missing.
        let mut asm = Assembly::new(head, &"ab".repeat(32));
        asm.push(&parts[0]).unwrap();
        let e = asm.finish().unwrap_err();
        assert!(
            e.contains(&format!("1 of {} parts arrived", parts.len())),
            "{e}"
        );
    }

    #[test]
    fn a_version_before_its_filing_is_retroactive() {
        let l = parse(contact(json!([]))).unwrap();
        assert!(l.is_retroactive(t("2025-03-20T00:00:00Z")));
        assert!(!l.is_retroactive(t("2025-03-18T00:00:00Z")));
        assert!(!l.is_retroactive(t("2025-03-01T00:00:00Z")));
        let rec = Record {
            index: 7,
            entry_id: "ab".repeat(32),
            author: Id::new("ua").unwrap(),
            time: t("2025-03-20T00:00:00Z"),
            key: "00000000".into(),
            value: l,
            retracted: None,
            corrections: vec![],
        };
        let d = document(&rec, false);
        assert_eq!(d["retroactive"], true);
        assert_eq!(d["length_km"], 111.319);
        assert_eq!(d["area_km2"], Value::Null);
        assert!(d.get("geometry").is_none());
        let f = feature(&rec);
        assert_eq!(f["id"], "ua/loc");
        assert_eq!(f["geometry"]["type"], "LineString");
        assert_eq!(f["properties"]["kind"], "contact");
    }
}
