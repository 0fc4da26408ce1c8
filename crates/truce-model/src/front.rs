//! Terms along a line of contact that need no protected target (issue 16), and what reports
//! say of weapons and of the direction of fire.
//!
//! A reading's `[terms.front]` names the line each party measures from (a `line` entry of some
//! author, the version in force at the incident's start — so a new version changes findings only
//! from its `valid_from` on), which side of it is the party's, how a zone's width is split between
//! the parties (default: equal shares, "halves" for two), and what it prohibits:
//!
//! | prohibition | a report that breaches it |
//! |---|---|
//! | `explosion-in-buffer` | an explosion, shelling, strike or gunfire inside the buffer: on a party's side of its line within its share of `buffer_km`, or between the parties' lines |
//! | `fire-across` | fire whose origin (a stated firing position, or a bearing and range from a crater analysis) lies across a party's line from the impact |
//! | `weapons-in-zone` | a party's weapon of a class a `withdrawal` zone covers (and of its calibre) seen within the party's share of the zone's width from its own line, or beyond the line |
//! | `advance-beyond` | a party's forces reported (`advance`, `ground-assault`) on the far side of its own line |
//!
//! The Minsk Package (February 2015, point 2) is the model: security zones 50 km wide for
//! artillery of 100 mm and more, 70 km for multiple rocket launchers, 140 km for Tornado-S,
//! Uragan, Smerch and Tochka-U, each side withdrawing by equal distances from its own line.
//!
//! Invariants, checked whenever a body is decoded: at least one party line, parties unique;
//! shares all given or none, each in (0, 1], summing to 1; widths positive and at most
//! [`MAX_WIDTH_KM`]; a `withdrawal` zone's calibre bounds ordered; `explosion-in-buffer` needs
//! `buffer_km`, `weapons-in-zone` a withdrawal zone; at least one prohibition, none twice.

use crate::domain::Id;
use crate::geo::Point;
use crate::taxonomy::WeaponClass;
use serde::{Deserialize, Serialize};

/// The widest zone a reading may state, km.
pub const MAX_WIDTH_KM: f64 = 1_000.0;
/// The longest range a fire direction may state, km.
pub const MAX_RANGE_KM: f64 = 500.0;
/// The most characters of a weapon's model name.
pub const MAX_MODEL: usize = 100;

/// Which side of a line (as drawn, from its first vertex to its last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineSide {
    /// To the left of the drawing direction.
    Left,
    /// To the right of the drawing direction.
    Right,
}

impl LineSide {
    /// The side's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            LineSide::Left => "left",
            LineSide::Right => "right",
        }
    }
}

/// A line named by its author and id (`"ua/loc"`): every version of it, the one in force at a
/// time deciding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LineRef {
    /// Who files the line.
    pub author: Id,
    /// Its id.
    pub id: Id,
}

impl TryFrom<String> for LineRef {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let (a, i) = s.split_once('/').ok_or_else(|| {
            format!("line {s:?} is not \"author/id\" (e.g. \"ua/loc\": the author of the line entry and its id)")
        })?;
        Ok(LineRef {
            author: Id::new(a).map_err(|e| format!("line {s:?}: author: {e}"))?,
            id: Id::new(i).map_err(|e| format!("line {s:?}: id: {e}"))?,
        })
    }
}

impl From<LineRef> for String {
    fn from(l: LineRef) -> String {
        format!("{}/{}", l.author, l.id)
    }
}

impl std::fmt::Display for LineRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.author, self.id)
    }
}

/// The line one party measures from, and which side of it is the party's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyLine {
    /// The party.
    pub party: Id,
    /// Its reference line (a contact or reference line; or a control area, whose inside is its
    /// controlling party's side).
    pub line: LineRef,
    /// Which side of the line (as drawn) is the party's; not needed for a control area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<LineSide>,
    /// The party's share of every zone's width, in (0, 1] (default: equal shares).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

/// A zone heavy weapons of a class are withdrawn from: `width_km` wide in all, each party's
/// share measured from its own line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalZone {
    /// The weapons (a class or a prefix: `weapon.artillery`).
    pub weapons: WeaponClass,
    /// Only weapons of this calibre or more, mm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_calibre_mm: Option<u32>,
    /// Only weapons of this calibre or less, mm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calibre_mm: Option<u32>,
    /// The zone's whole width, km (both sides together).
    pub width_km: f64,
    /// Where it comes from, in words (e.g. "Minsk Package, point 2").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl WithdrawalZone {
    /// Whether a weapon of `class` and `calibre` falls under the zone (`None` when the calibre
    /// is needed and not known).
    pub fn covers(&self, class: &WeaponClass, calibre_mm: Option<u32>) -> Option<bool> {
        if !self.weapons.covers(class) {
            return Some(false);
        }
        if self.min_calibre_mm.is_none() && self.max_calibre_mm.is_none() {
            return Some(true);
        }
        let c = calibre_mm?;
        Some(
            self.min_calibre_mm.is_none_or(|m| c >= m)
                && self.max_calibre_mm.is_none_or(|m| c <= m),
        )
    }
}

/// What a reading prohibits along the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prohibition {
    /// Any explosion, shelling, strike or gunfire inside the buffer.
    ExplosionInBuffer,
    /// Any fire across a party's line.
    FireAcross,
    /// Weapons of a withdrawal zone's class inside it.
    WeaponsInZone,
    /// A party's forces beyond its own line.
    AdvanceBeyond,
}

impl Prohibition {
    /// The prohibition's name as written in files.
    pub fn as_str(&self) -> &'static str {
        match self {
            Prohibition::ExplosionInBuffer => "explosion-in-buffer",
            Prohibition::FireAcross => "fire-across",
            Prohibition::WeaponsInZone => "weapons-in-zone",
            Prohibition::AdvanceBeyond => "advance-beyond",
        }
    }
}

/// A reading's terms along a line of contact (`[terms.front]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "FrontTermsRaw")]
pub struct FrontTerms {
    /// The line each party measures from.
    pub lines: Vec<PartyLine>,
    /// The buffer zone's whole width, km (both sides together).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_km: Option<f64>,
    /// Heavy-weapons withdrawal zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawal: Vec<WithdrawalZone>,
    /// What is prohibited.
    pub prohibit: Vec<Prohibition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontTermsRaw {
    lines: Vec<PartyLine>,
    #[serde(default)]
    buffer_km: Option<f64>,
    #[serde(default)]
    withdrawal: Vec<WithdrawalZone>,
    prohibit: Vec<Prohibition>,
}

fn width_ok(what: &str, w: f64) -> Result<(), String> {
    if w.is_finite() && w > 0.0 && w <= MAX_WIDTH_KM {
        Ok(())
    } else {
        Err(format!(
            "{what} is {w}: a width must be positive and at most {MAX_WIDTH_KM} km"
        ))
    }
}

impl TryFrom<FrontTermsRaw> for FrontTerms {
    type Error = String;
    fn try_from(r: FrontTermsRaw) -> Result<Self, String> {
        let t = FrontTerms {
            lines: r.lines,
            buffer_km: r.buffer_km,
            withdrawal: r.withdrawal,
            prohibit: r.prohibit,
        };
        t.validate()?;
        Ok(t)
    }
}

impl FrontTerms {
    /// Checks the invariants listed in the module's documentation.
    pub fn validate(&self) -> Result<(), String> {
        if self.lines.is_empty() {
            return Err(
                "front.lines is empty: name the line each party measures from ({ party = \"ua\", line = \"ua/loc\", side = \"left\" })"
                    .into(),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for l in &self.lines {
            if !seen.insert(&l.party) {
                return Err(format!(
                    "front.lines names party {} twice: one line per party",
                    l.party
                ));
            }
        }
        let given = self.lines.iter().filter(|l| l.share.is_some()).count();
        if given != 0 && given != self.lines.len() {
            return Err(
                "front.lines: give every party's share or none (none: equal shares)".into(),
            );
        }
        if given != 0 {
            let mut sum = 0.0;
            for l in &self.lines {
                let s = l.share.unwrap_or(0.0);
                if !(s.is_finite() && s > 0.0 && s <= 1.0) {
                    return Err(format!(
                        "front.lines: {}'s share is {s}: a share lies in (0, 1]",
                        l.party
                    ));
                }
                sum += s;
            }
            if (sum - 1.0).abs() > 1e-9 {
                return Err(format!(
                    "front.lines: the shares sum to {sum}; they split a width, so they sum to 1"
                ));
            }
        }
        if let Some(b) = self.buffer_km {
            width_ok("front.buffer_km", b)?;
        }
        for (i, z) in self.withdrawal.iter().enumerate() {
            width_ok(&format!("front.withdrawal[{i}].width_km"), z.width_km)?;
            if let (Some(a), Some(b)) = (z.min_calibre_mm, z.max_calibre_mm) {
                if a > b {
                    return Err(format!(
                        "front.withdrawal[{i}]: min_calibre_mm {a} is above max_calibre_mm {b}"
                    ));
                }
            }
        }
        if self.prohibit.is_empty() {
            return Err(format!(
                "front.prohibit is empty: name what is prohibited ({})",
                [
                    Prohibition::ExplosionInBuffer,
                    Prohibition::FireAcross,
                    Prohibition::WeaponsInZone,
                    Prohibition::AdvanceBeyond
                ]
                .map(|p| p.as_str())
                .join(", ")
            ));
        }
        let mut p = self.prohibit.clone();
        p.sort();
        p.dedup();
        if p.len() != self.prohibit.len() {
            return Err("front.prohibit names a prohibition twice".into());
        }
        if self.prohibit.contains(&Prohibition::ExplosionInBuffer) && self.buffer_km.is_none() {
            return Err("front.prohibit has explosion-in-buffer but no buffer_km is given".into());
        }
        if self.prohibit.contains(&Prohibition::WeaponsInZone) && self.withdrawal.is_empty() {
            return Err(
                "front.prohibit has weapons-in-zone but no withdrawal zone is given ([[terms.front.withdrawal]])"
                    .into(),
            );
        }
        Ok(())
    }

    /// The share of every width measured from `party`'s line (its stated share, else equal).
    pub fn share(&self, party: &Id) -> Option<f64> {
        let l = self.lines.iter().find(|l| &l.party == party)?;
        Some(l.share.unwrap_or(1.0 / self.lines.len() as f64))
    }

    /// The line `party` measures from.
    pub fn line_of(&self, party: &Id) -> Option<&PartyLine> {
        self.lines.iter().find(|l| &l.party == party)
    }
}

/// Weapons a report says were seen (`weapons-sighting`), or fired (a crater analysis's calibre).
/// Fields are declared in JCS key order, as the report's (see `domain::Report`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "WeaponSeenRaw")]
pub struct WeaponSeen {
    /// Calibre, mm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibre_mm: Option<u32>,
    /// The class (`weapon.artillery.howitzer`).
    pub class: WeaponClass,
    /// How many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The model, as reported (`2S3 Akatsiya`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WeaponSeenRaw {
    class: WeaponClass,
    #[serde(default)]
    calibre_mm: Option<u32>,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    model: Option<String>,
}

impl TryFrom<WeaponSeenRaw> for WeaponSeen {
    type Error = String;
    fn try_from(r: WeaponSeenRaw) -> Result<Self, String> {
        if r.calibre_mm.is_some_and(|c| c == 0 || c > 1_000) {
            return Err("weapon.calibre_mm must lie in 1..=1000".into());
        }
        if r.count == Some(0) {
            return Err("weapon.count must be at least 1 (leave it out when unknown)".into());
        }
        if let Some(m) = &r.model {
            if m.trim().is_empty() || m.chars().count() > MAX_MODEL {
                return Err(format!(
                    "weapon.model must be non-empty and at most {MAX_MODEL} characters"
                ));
            }
        }
        Ok(WeaponSeen {
            class: r.class,
            calibre_mm: r.calibre_mm,
            count: r.count,
            model: r.model,
        })
    }
}

/// Where fire came from: a firing position, or a bearing from the impact (a crater analysis's
/// direction of fire) with the weapon's range. Fields in JCS key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "FireFromRaw")]
pub struct FireFrom {
    /// The bearing from the impact towards the firing position, degrees clockwise from true
    /// north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<f64>,
    /// The firing position, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<Point>,
    /// With a bearing: the longest range the fire can have come from, km.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_km: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FireFromRaw {
    #[serde(default)]
    point: Option<Point>,
    #[serde(default)]
    bearing_deg: Option<f64>,
    #[serde(default)]
    range_km: Option<f64>,
}

impl TryFrom<FireFromRaw> for FireFrom {
    type Error = String;
    fn try_from(r: FireFromRaw) -> Result<Self, String> {
        match (&r.point, r.bearing_deg, r.range_km) {
            (Some(_), None, None) => {}
            (None, Some(b), Some(k)) => {
                if !(b.is_finite() && (0.0..360.0).contains(&b)) {
                    return Err(format!("fire_from.bearing_deg is {b}: it lies in [0, 360)"));
                }
                if !(k.is_finite() && k > 0.0 && k <= MAX_RANGE_KM) {
                    return Err(format!(
                        "fire_from.range_km is {k}: it is positive and at most {MAX_RANGE_KM}"
                    ));
                }
            }
            _ => {
                return Err(
                    "fire_from gives either a point, or a bearing_deg with a range_km".into(),
                )
            }
        }
        Ok(FireFrom {
            point: r.point,
            bearing_deg: r.bearing_deg,
            range_km: r.range_km,
        })
    }
}

/// The most cells a public footprint may list.
pub const MAX_CELLS: usize = 4_000;
/// The most direction sectors an observation may state.
pub const MAX_SECTORS: usize = 16;
/// The farthest an observation may reach, metres (what a patrol can hear or see).
pub const MAX_DISTANCE_M: f64 = 100_000.0;

/// How a monitor perceived what it records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Modality {
    /// Heard.
    Heard,
    /// Seen.
    Seen,
    /// Recorded by one of the mission's cameras.
    Camera,
}

impl Modality {
    /// Every modality, in display order.
    pub const ALL: [Modality; 3] = [Modality::Heard, Modality::Seen, Modality::Camera];
    /// The name as written in files.
    pub fn as_str(&self) -> &'static str {
        match self {
            Modality::Heard => "heard",
            Modality::Seen => "seen",
            Modality::Camera => "camera",
        }
    }
}

/// What kind of ceasefire violation an observation counts (the OSCE SMM's categories, which from
/// 2020 told impacts, airbursts and outgoing fire apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventType {
    /// Explosions of incoming rounds.
    Impact,
    /// Rounds exploding in the air.
    Airburst,
    /// Rounds fired (outgoing).
    Outgoing,
    /// Explosions of undetermined kind.
    Undetermined,
    /// Bursts of small-arms or heavy-machine-gun fire.
    Bursts,
    /// Single shots.
    Shots,
}

impl EventType {
    /// Every type, in display order.
    pub const ALL: [EventType; 6] = [
        EventType::Impact,
        EventType::Airburst,
        EventType::Outgoing,
        EventType::Undetermined,
        EventType::Bursts,
        EventType::Shots,
    ];
    /// The name as written in files.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::Impact => "impact",
            EventType::Airburst => "airburst",
            EventType::Outgoing => "outgoing",
            EventType::Undetermined => "undetermined",
            EventType::Bursts => "bursts",
            EventType::Shots => "shots",
        }
    }
    /// Whether it is an explosion (else gunfire).
    pub fn is_explosion(&self) -> bool {
        !matches!(self, EventType::Bursts | EventType::Shots)
    }
}

/// A distance range from the observer, metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistanceRange {
    /// The farthest.
    pub max_m: f64,
    /// The nearest.
    pub min_m: f64,
}

/// The public footprint: H3 cells (lowercase hex) covering every place the observation can refer
/// to from anywhere in the observer's coarse cell, hiding the observer at least `hidden_m`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicCells {
    /// The cells, sorted, no duplicates.
    pub cells: Vec<String>,
    /// How far from any guess the observer may be, at least, metres (half the coarse cell's
    /// largest vertex-to-vertex distance).
    pub hidden_m: f64,
}

/// A monitor's observation (the `observation` of a report, `kind = "observation"`): what a
/// patrol heard or saw over a time window, as a count of one event type in compass sectors and
/// a distance range. The observer's position never enters the log: only its salted commitment
/// (`observer`, hex SHA-256 of salt ‖ position, the content kept in the restricted store) and the
/// public footprint, from which the observer cannot be placed closer than `footprint.hidden_m`.
/// The report's `location` is the footprint's centre with an uncertainty covering it. Fields are
/// declared in JCS key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "ObservationRaw")]
pub struct Observation {
    /// How many (explosions, bursts…) over the report's time window.
    pub count: u32,
    /// The distance range from the observer.
    pub distance: DistanceRange,
    /// The event type counted.
    pub event: EventType,
    /// The public footprint.
    pub footprint: PublicCells,
    /// Heard, seen or recorded by a camera.
    pub modality: Modality,
    /// Salted SHA-256 commitment (64 lowercase hex) of the observer's exact position.
    pub observer: String,
    /// Compass sectors `[from_deg, to_deg]`, clockwise from true north (may wrap through north).
    pub sectors: Vec<[f64; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationRaw {
    count: u32,
    distance: DistanceRange,
    event: EventType,
    footprint: PublicCells,
    modality: Modality,
    observer: String,
    sectors: Vec<[f64; 2]>,
}

fn is_hex(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl TryFrom<ObservationRaw> for Observation {
    type Error = String;
    fn try_from(r: ObservationRaw) -> Result<Self, String> {
        if r.count == 0 {
            return Err("observation.count must be at least 1".into());
        }
        let d = r.distance;
        if !(d.min_m.is_finite()
            && d.max_m.is_finite()
            && 0.0 <= d.min_m
            && d.min_m < d.max_m
            && d.max_m <= MAX_DISTANCE_M)
        {
            return Err(format!(
                "observation.distance {}–{} m: need 0 ≤ min_m < max_m ≤ {MAX_DISTANCE_M}",
                d.min_m, d.max_m
            ));
        }
        if r.sectors.is_empty() || r.sectors.len() > MAX_SECTORS {
            return Err(format!(
                "observation.sectors: give 1 to {MAX_SECTORS} sectors [from_deg, to_deg]"
            ));
        }
        for s in &r.sectors {
            if !s.iter().all(|x| x.is_finite() && (0.0..=360.0).contains(x)) {
                return Err(format!(
                    "observation.sectors: {s:?}: bearings lie in [0, 360]"
                ));
            }
        }
        if !is_hex(&r.observer, 64..=64) {
            return Err(
                "observation.observer is a salted SHA-256 commitment: 64 lowercase hex digits"
                    .into(),
            );
        }
        let f = &r.footprint;
        if f.cells.is_empty() || f.cells.len() > MAX_CELLS {
            return Err(format!(
                "observation.footprint.cells: give 1 to {MAX_CELLS} H3 cells"
            ));
        }
        if !f.cells.iter().all(|c| is_hex(c, 15..=16)) {
            return Err("observation.footprint.cells: each cell is an H3 index in lowercase hex (15 digits)".into());
        }
        if !f.cells.windows(2).all(|w| w[0] < w[1]) {
            return Err("observation.footprint.cells must be sorted with no duplicates".into());
        }
        if !(f.hidden_m.is_finite() && f.hidden_m > 0.0) {
            return Err("observation.footprint.hidden_m must be positive".into());
        }
        Ok(Observation {
            count: r.count,
            distance: r.distance,
            event: r.event,
            footprint: r.footprint,
            modality: r.modality,
            observer: r.observer,
            sectors: r.sectors,
        })
    }
}

/// The default distance an observer is hidden within, metres (`hide_m` of an observation
/// draft).
pub const DEFAULT_HIDE_M: f64 = 2_000.0;

/// An observation as a monitor authors it (`[[observation]]` in an authoring file), with the
/// observer's exact position. RESTRICTED: a draft never enters the log as it is. Filing it makes
/// a public report (the observation with its public footprint and the salted commitment of the
/// position, placed at the footprint's centre) and the restricted position content kept in the
/// restricted store (`truce_ingest::observations`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationDraft {
    /// The report's id.
    pub id: Id,
    /// The time window observed.
    pub time: crate::domain::Interval,
    /// The observer's exact position `[lon, lat]` (restricted).
    pub observer: Point,
    /// A public name of the area (never the observer's position: "north-east of Toretsk").
    #[serde(default)]
    pub area: String,
    /// Heard, seen or camera.
    pub modality: Modality,
    /// The event type counted.
    pub event: EventType,
    /// How many.
    pub count: u32,
    /// Compass sectors `[from_deg, to_deg]`, clockwise from true north.
    pub sectors: Vec<[f64; 2]>,
    /// The distance range, km `[min, max]`.
    pub distance_km: [f64; 2],
    /// How far the observer must stay hidden, metres (default [`DEFAULT_HIDE_M`]).
    #[serde(default)]
    pub hide_m: Option<f64>,
    /// Free text (public: never the observer's position).
    #[serde(default)]
    pub text: String,
    /// Marked when illustrative or synthetic.
    #[serde(default)]
    pub illustrative: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(toml_text: &str) -> Result<FrontTerms, String> {
        toml::from_str::<FrontTerms>(toml_text).map_err(|e| e.to_string())
    }

    #[test]
    fn minsk_terms_parse_with_equal_shares() {
        let t = terms(
            r#"
            lines = [ { party = "ua", line = "ua/loc", side = "left" },
                      { party = "ru", line = "ru/memorandum-2014", side = "right" } ]
            buffer_km = 30
            prohibit = ["explosion-in-buffer", "weapons-in-zone"]
            [[withdrawal]]
            weapons = "weapon.artillery"
            min_calibre_mm = 100
            width_km = 50
            "#,
        )
        .expect("parses");
        assert_eq!(t.share(&Id::new("ua").expect("id")), Some(0.5));
        assert_eq!(t.lines[1].line.to_string(), "ru/memorandum-2014");
        let z = &t.withdrawal[0];
        let how = WeaponClass::new("weapon.artillery.howitzer").expect("class");
        assert_eq!(z.covers(&how, Some(152)), Some(true));
        assert_eq!(z.covers(&how, Some(82)), Some(false));
        assert_eq!(z.covers(&how, None), None);
        let tank = WeaponClass::new("weapon.tank").expect("class");
        assert_eq!(z.covers(&tank, Some(125)), Some(false));
    }

    #[test]
    fn invalid_terms_are_refused_with_what_to_do() {
        for (text, says) in [
            (
                r#"lines = []
                prohibit = ["fire-across"]"#,
                "front.lines is empty",
            ),
            (
                r#"lines = [{ party = "ua", line = "ua/loc", share = 0.6 }, { party = "ru", line = "ru/loc" }]
                prohibit = ["fire-across"]"#,
                "every party's share or none",
            ),
            (
                r#"lines = [{ party = "ua", line = "ua/loc", share = 0.6 }, { party = "ru", line = "ru/loc", share = 0.6 }]
                prohibit = ["fire-across"]"#,
                "sum to 1",
            ),
            (
                r#"lines = [{ party = "ua", line = "ua/loc" }]
                prohibit = ["explosion-in-buffer"]"#,
                "no buffer_km",
            ),
            (
                r#"lines = [{ party = "ua", line = "ua/loc" }]
                prohibit = ["weapons-in-zone"]"#,
                "no withdrawal zone",
            ),
            (
                r#"lines = [{ party = "ua", line = "ua-loc" }]
                prohibit = ["fire-across"]"#,
                "author/id",
            ),
            (
                r#"lines = [{ party = "ua", line = "ua/loc" }]
                buffer_km = -3
                prohibit = ["explosion-in-buffer"]"#,
                "positive",
            ),
            (
                r#"lines = [{ party = "ua", line = "ua/loc" }, { party = "ua", line = "ua/x" }]
                prohibit = ["fire-across"]"#,
                "twice",
            ),
        ] {
            let e = terms(text).expect_err(text);
            assert!(e.contains(says), "{e} should say {says}");
        }
    }

    #[test]
    fn fire_from_is_a_point_or_a_bearing_with_range() {
        let ok: FireFrom =
            serde_json::from_str(r#"{"bearing_deg": 45, "range_km": 20}"#).expect("bearing");
        assert_eq!(ok.bearing_deg, Some(45.0));
        assert!(serde_json::from_str::<FireFrom>(r#"{"bearing_deg": 45}"#).is_err());
        assert!(
            serde_json::from_str::<FireFrom>(r#"{"bearing_deg": 360, "range_km": 2}"#).is_err()
        );
        assert!(serde_json::from_str::<FireFrom>(r#"{"point": [37.5, 48.1]}"#).is_ok());
    }
}
