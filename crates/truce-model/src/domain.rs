//! The concepts of the product brief as types: parties, processes and agreements, readings and
//! their terms, sites, reports, assessments, commitments and fulfilments, statements and claims.
//! Constructors and deserialisers validate, so a value of these types is a valid one (windows
//! ordered, quantities non-negative, coordinates in range, identifiers well-formed).

use crate::geo::{Geometry, Point, Polygon};
use crate::taxonomy::{Category, CategorySet};
use crate::time::{Date, Time};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A short identifier: lowercase letters, digits, `-`, `_` and `.`, 1–64 characters, starting
/// with a letter or digit (e.g. `ru`, `energy-moratorium-2025`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Id(String);

impl Id {
    /// Validates an identifier.
    pub fn new(s: &str) -> Result<Self, String> {
        if Id::is_valid(s) {
            Ok(Id(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not a valid identifier: use 1-64 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit"
            ))
        }
    }
    /// The identifier text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether `s` is a valid identifier ([`Id::new`] without building one).
    pub(crate) fn is_valid(s: &str) -> bool {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
            && s.as_bytes()[0].is_ascii_alphanumeric()
    }
    /// An identifier already validated (read back from where a validated one was stored).
    pub(crate) fn valid(s: &str) -> Self {
        debug_assert!(Id::new(s).is_ok(), "{s:?}");
        Id(s.to_string())
    }
}

impl TryFrom<String> for Id {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Id::new(&s)
    }
}
impl From<Id> for String {
    fn from(i: Id) -> Self {
        i.0
    }
}
impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad` honours width and alignment (`{:<10}`), as a `str` does.
        f.pad(&self.0)
    }
}

/// What a party is, which decides what it may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Runs the log; registers parties.
    Operator,
    /// A side of the conflict.
    Belligerent,
    /// A neutral monitoring mission.
    Monitor,
    /// A mediator or guarantor.
    Mediator,
    /// An open-data source (satellite detections, event datasets).
    OpenData,
}

impl Role {
    /// The role's name as written in files.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Belligerent => "belligerent",
            Role::Monitor => "monitor",
            Role::Mediator => "mediator",
            Role::OpenData => "open-data",
        }
    }
}

/// A party's registration (body of `party.register`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyRegistration {
    /// The party's identifier.
    pub id: Id,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Verifier keys (`<name>+<hex id>+<base64>`); the key name must be the party id.
    pub keys: Vec<String>,
}

/// Adds a key to a party (body of `party.key.add`): rotation is an add followed by a revoke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAdd {
    /// The party.
    pub party: Id,
    /// The new verifier key.
    pub key: String,
}

/// Revokes a party's key (body of `party.key.revoke`). Entries signed earlier stay valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRevoke {
    /// The party.
    pub party: Id,
    /// The key id, 8 hex digits.
    pub key_id: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// Status of a process phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseStatus {
    /// Put forward, not negotiated.
    Proposed,
    /// Under negotiation.
    Negotiating,
    /// Agreed and in force.
    InForce,
    /// Ran out without extension.
    Lapsed,
    /// Broke down.
    Collapsed,
}

/// One phase of a peace process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Identifier within the process.
    pub id: Id,
    /// Title.
    pub title: String,
    /// Phases that must come first.
    #[serde(default)]
    pub depends_on: Vec<Id>,
    /// Status.
    pub status: PhaseStatus,
    /// From when the status holds (default: when the process entry was filed). A `lapsed` or
    /// `collapsed` status ends the windows of the phase's agreements from then, whatever a
    /// reading says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_from: Option<Time>,
    /// Agreements belonging to this phase.
    #[serde(default)]
    pub agreements: Vec<AgreementDef>,
    /// Notes (what happened, with dates).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// An agreement as the process defines it; what it means is in each party's reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementDef {
    /// Identifier, referenced by readings.
    pub id: Id,
    /// Title.
    pub title: String,
    /// Whether a joint text was signed.
    #[serde(default)]
    pub joint_text: bool,
    /// The time zone its days are counted in (an IANA name such as `Europe/Kyiv`; UTC when
    /// left out): a finding counts on the day, in this zone, its incident's evidence starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<crate::time::TimeZoneName>,
}

/// A peace process with phases and dependencies (body of `process`). A later `process` entry
/// with the same id by the same author supersedes the earlier one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "ProcessRaw")]
pub struct Process {
    /// Identifier.
    pub id: Id,
    /// Title.
    pub title: String,
    /// The phases in order.
    pub phases: Vec<Phase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessRaw {
    id: Id,
    title: String,
    phases: Vec<Phase>,
}

impl TryFrom<ProcessRaw> for Process {
    type Error = String;
    fn try_from(r: ProcessRaw) -> Result<Self, String> {
        for (i, p) in r.phases.iter().enumerate() {
            for d in &p.depends_on {
                if !r.phases[..i].iter().any(|q| &q.id == d) {
                    return Err(format!(
                        "phase {} depends on {d}, which is not an earlier phase of the process",
                        p.id
                    ));
                }
            }
        }
        Ok(Process {
            id: r.id,
            title: r.title,
            phases: r.phases,
        })
    }
}

/// Where a reading comes from: the readout or statement, and the words it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// What the source is.
    pub title: String,
    /// When it was published.
    pub date: Date,
    /// Where to find it.
    #[serde(default)]
    pub url: Option<String>,
    /// Exact words quoted from it.
    #[serde(default)]
    pub quotes: Vec<String>,
}

/// An act an agreement may prohibit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Act {
    /// Any strike (air, drone, missile, artillery).
    Strike,
    /// Drone strike.
    DroneStrike,
    /// Missile strike.
    MissileStrike,
    /// Artillery shelling.
    Shelling,
    /// Sabotage or demolition on the ground.
    Sabotage,
    /// Attacks on vessels.
    AttackOnVessels,
    /// Ground assault.
    GroundAssault,
    /// A fire or explosion observed, cause unknown (e.g. a satellite fire detection).
    FireObserved,
    /// Organised violence of unstated kind (e.g. a UCDP GED event).
    Violence,
    /// A commercial vessel used for military purposes (carrying weapons or troops, serving as a
    /// platform); the report names the vessel.
    MilitaryUseOfVessel,
    /// A vessel observed at a position (a sighting, a monitor's observation, a position derived
    /// from AIS): what a term confining a party's vessels to a zone is judged on.
    VesselMovement,
    /// An explosion heard or seen (impact, airburst, outgoing or undetermined), weapon unknown:
    /// what a monitor's patrol records.
    Explosion,
    /// Bursts of small-arms or heavy-machine-gun fire.
    Gunfire,
    /// Weapons seen at a place (a monitor's sighting; the report says which, `weapon`).
    WeaponsSighting,
    /// A party's forces moving to or established at a position (beyond a line).
    Advance,
    /// A restriction of the monitors' freedom of movement: where (the location), when, by whom
    /// (the alleged perpetrator) and what was denied (the text).
    MovementRestriction,
}

impl Act {
    /// Every act.
    pub const ALL: [Act; 16] = [
        Act::Strike,
        Act::DroneStrike,
        Act::MissileStrike,
        Act::Shelling,
        Act::Sabotage,
        Act::AttackOnVessels,
        Act::GroundAssault,
        Act::FireObserved,
        Act::Violence,
        Act::MilitaryUseOfVessel,
        Act::VesselMovement,
        Act::Explosion,
        Act::Gunfire,
        Act::WeaponsSighting,
        Act::Advance,
        Act::MovementRestriction,
    ];

    /// The act's name as written in files (`fire-observed`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Act::Strike => "strike",
            Act::DroneStrike => "drone-strike",
            Act::MissileStrike => "missile-strike",
            Act::Shelling => "shelling",
            Act::Sabotage => "sabotage",
            Act::AttackOnVessels => "attack-on-vessels",
            Act::GroundAssault => "ground-assault",
            Act::FireObserved => "fire-observed",
            Act::Violence => "violence",
            Act::MilitaryUseOfVessel => "military-use-of-vessel",
            Act::VesselMovement => "vessel-movement",
            Act::Explosion => "explosion",
            Act::Gunfire => "gunfire",
            Act::WeaponsSighting => "weapons-sighting",
            Act::Advance => "advance",
            Act::MovementRestriction => "movement-restriction",
        }
    }

    /// The act named `name` as written in files ([`Act::as_str`]).
    pub fn named(name: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Whether a report of `self` is an instance of a prohibited `general` act.
    pub fn is_a(&self, general: &Act) -> bool {
        self == general
            || (*general == Act::Strike
                && matches!(self, Act::DroneStrike | Act::MissileStrike | Act::Shelling))
    }

    /// Whether a report of `self` is of fire or an explosion (what a buffer or a ban on fire
    /// across the line prohibits): strikes, shelling, explosions, gunfire. A satellite's fire
    /// detection is not: it sees a fire, not an explosion.
    pub fn is_fire(&self) -> bool {
        matches!(
            self,
            Act::Strike
                | Act::DroneStrike
                | Act::MissileStrike
                | Act::Shelling
                | Act::Explosion
                | Act::Gunfire
        )
    }
}

/// The time window of a reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "WindowRaw")]
pub struct Window {
    /// When the obligation starts.
    pub start: Time,
    /// When it ends, if the reading states an end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Time>,
    /// Its duration in days, if the reading states one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_days: Option<u32>,
    /// How it may be extended, as the reading says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// Whose `extension` entries extend it: a list of parties (every one of them must consent),
    /// `"all-bound-parties"` or `"any-bound-party"`. Left out: every party the reading binds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_by: Option<ExtensionBy>,
}

/// Whose consent extends a reading's window (`extension_by`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionBy {
    /// Every one of these parties.
    Parties(Vec<Id>),
    /// A rule over the reading's bound parties.
    Rule(ExtensionRule),
}

/// A rule over the bound parties for extending a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtensionRule {
    /// Every party the reading binds (the default).
    AllBoundParties,
    /// Any one party the reading binds.
    AnyBoundParty,
}

impl Serialize for ExtensionBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ExtensionBy::Parties(p) => p.serialize(s),
            ExtensionBy::Rule(r) => r.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ExtensionBy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ExtensionBy;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of party ids, \"all-bound-parties\" or \"any-bound-party\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ExtensionBy, E> {
                match v {
                    "all-bound-parties" => Ok(ExtensionBy::Rule(ExtensionRule::AllBoundParties)),
                    "any-bound-party" => Ok(ExtensionBy::Rule(ExtensionRule::AnyBoundParty)),
                    _ => Err(E::custom(format!(
                        "extension_by {v:?}: write a list of party ids, \"all-bound-parties\" or \"any-bound-party\""
                    ))),
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ExtensionBy, A::Error> {
                let mut out: Vec<Id> = Vec::new();
                while let Some(p) = seq.next_element::<Id>()? {
                    if out.contains(&p) {
                        return Err(serde::de::Error::custom(format!(
                            "extension_by names {p} twice"
                        )));
                    }
                    out.push(p);
                }
                if out.is_empty() {
                    return Err(serde::de::Error::custom(
                        "extension_by names no party: leave it out to require every bound party",
                    ));
                }
                Ok(ExtensionBy::Parties(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowRaw {
    start: Time,
    #[serde(default)]
    end: Option<Time>,
    #[serde(default)]
    duration_days: Option<u32>,
    #[serde(default)]
    extension: Option<String>,
    #[serde(default)]
    extension_by: Option<ExtensionBy>,
}

impl TryFrom<WindowRaw> for Window {
    type Error = String;
    fn try_from(r: WindowRaw) -> Result<Self, String> {
        if let Some(end) = r.end {
            if end <= r.start {
                return Err(format!(
                    "window end {end} precedes (or equals) its start {}",
                    r.start
                ));
            }
        }
        if r.duration_days == Some(0) {
            return Err("duration_days must be at least 1".into());
        }
        if let (Some(end), Some(d)) = (r.end, r.duration_days) {
            if r.start.plus_days(d) != end {
                return Err(format!(
                    "end {end} and duration_days {d} disagree (start + {d} days is {}); give one of them",
                    r.start.plus_days(d)
                ));
            }
        }
        Ok(Window {
            start: r.start,
            end: r.end,
            duration_days: r.duration_days,
            extension: r.extension,
            extension_by: r.extension_by,
        })
    }
}

impl Window {
    /// The effective end: `end`, else `start + duration`, else open-ended.
    pub fn effective_end(&self) -> Option<Time> {
        self.end
            .or_else(|| self.duration_days.map(|d| self.start.plus_days(d)))
    }
}

/// How a release clause frees a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseKind {
    /// A violation by one side frees the other side of its obligation.
    ViolationFreesOtherSide,
}

/// A release clause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// The rule.
    pub kind: ReleaseKind,
    /// The words it rests on.
    #[serde(default)]
    pub text: String,
    /// Set when the clause releases the other side by itself; by default a qualifying breach only
    /// entitles the other side, which is released from its own `invocation` entry.
    #[serde(default, skip_serializing_if = "is_false")]
    pub automatic: bool,
    /// The least standing of the other party's breach that qualifies: `established` (default:
    /// attribution verified by monitors or admitted) or `corroborated`.
    #[serde(default, skip_serializing_if = "Standing::is_established")]
    pub qualifying: Standing,
}

/// How well a finding stands: what its attribution rests on.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Everything else: one side's word, a disputed, unverifiable or contested attribution.
    Alleged,
    /// An origin independent of the accuser names the same perpetrator.
    Corroborated,
    /// Monitors verified the attribution (per the review policy), or the accused admitted it.
    #[default]
    Established,
}

impl Standing {
    /// Every standing, weakest first.
    pub const ALL: [Standing; 3] = [
        Standing::Alleged,
        Standing::Corroborated,
        Standing::Established,
    ];
    /// The standing's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Standing::Alleged => "alleged",
            Standing::Corroborated => "corroborated",
            Standing::Established => "established",
        }
    }
    /// Parses a standing name.
    pub fn parse(s: &str) -> Option<Standing> {
        Standing::ALL.into_iter().find(|x| x.as_str() == s)
    }
    fn is_established(&self) -> bool {
        *self == Standing::Established
    }
}

/// A named zone (a maritime area, a buffer along the line of contact).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Name.
    pub name: String,
    /// Shape.
    pub polygon: Polygon,
}

/// What a reading says was agreed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// Prohibited acts.
    pub prohibited_acts: Vec<Act>,
    /// Protected target categories (written with wildcards or `set:` names; stored expanded).
    pub protected: CategorySet,
    /// Zones the terms apply in (none: everywhere).
    #[serde(default)]
    pub zones: Vec<Zone>,
    /// The time window.
    pub window: Window,
    /// Parties bound by the terms.
    pub bound: Vec<Id>,
    /// Release clauses.
    #[serde(default)]
    pub release: Vec<Release>,
    /// Exceptions, in words.
    #[serde(default)]
    pub exceptions: Vec<String>,
    /// Conditions precedent (ids of `condition` entries, or `{ id, attested_by: [party…] }`):
    /// the reading is in force for an incident only if each was `met` at the incident's start,
    /// by a status filed by one of its attesters (a plain id: the reading's author, a mediator
    /// or the operator; see [`crate::lifecycle::ConditionRef`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<crate::lifecycle::ConditionRef>,
    /// Confinements: a party's vessels of a category must stay inside a zone ("warships stay in
    /// the eastern Black Sea"). A report of such a vessel of that party outside the zone is a
    /// breach by that party, whatever protected target is near.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confined: Vec<Confinement>,
    /// The largest site of a category that may decide a finding under this reading, keyed by a
    /// category or a category prefix (`energy`, `energy.gas`; the longest key that matches
    /// applies). A site beyond its bound is not used (truce-rules/5); a category no key covers
    /// has the rules' default bound.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub site_bounds: BTreeMap<CategoryPrefix, SiteBound>,
    /// Terms along a line of contact that need no protected target (issue 16): the line each
    /// party measures from, the buffer and withdrawal zones, what is prohibited
    /// ([`crate::front::FrontTerms`]). Left out of the entry when none, so earlier readings keep
    /// their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front: Option<crate::front::FrontTerms>,
}

impl Terms {
    /// The bound this reading states for category `c`: the longest matching key, with the key.
    pub fn site_bound(&self, c: &Category) -> Option<(&CategoryPrefix, &SiteBound)> {
        self.site_bounds
            .iter()
            .filter(|(k, _)| k.covers(c))
            .max_by_key(|(k, _)| k.0.len())
    }
}

/// A confinement term: `party`'s vessels of `category` (a category or a prefix, e.g.
/// `vessel.military`) stay inside `zone`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confinement {
    /// The vessels confined.
    pub category: CategoryPrefix,
    /// Whose vessels.
    pub party: Id,
    /// Where they must stay.
    pub zone: Zone,
}

/// A category of the taxonomy or a dotted prefix of some (`energy`, `energy.gas`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryPrefix(String);

impl CategoryPrefix {
    /// Checks that `name` is a category or a dotted prefix of one.
    pub fn new(name: &str) -> Result<Self, String> {
        let dotted = format!("{name}.");
        if crate::taxonomy::CATEGORIES
            .iter()
            .any(|(c, _)| *c == name || c.starts_with(&dotted))
        {
            Ok(CategoryPrefix(name.to_string()))
        } else {
            Err(format!(
                "{name:?} is neither a category nor a prefix of one (e.g. energy, energy.gas, energy.gas.pipeline; `truce taxonomy` lists them)"
            ))
        }
    }
    /// Whether `c` is this category or lies under this prefix.
    pub fn covers(&self, c: &Category) -> bool {
        crate::taxonomy::dotted_covers(&self.0, c.as_str())
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CategoryPrefix {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        CategoryPrefix::new(&s)
    }
}

impl From<CategoryPrefix> for String {
    fn from(c: CategoryPrefix) -> Self {
        c.0
    }
}

impl std::fmt::Display for CategoryPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How large a site of a category may be and still decide a finding: an area for polygons, a
/// length for lines (geodesic, on WGS84). At least one is stated; each is positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "SiteBoundRaw")]
pub struct SiteBound {
    /// Largest area of a polygon site, km².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_area_km2: Option<f64>,
    /// Largest length of a line site, km.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length_km: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteBoundRaw {
    #[serde(default)]
    max_area_km2: Option<f64>,
    #[serde(default)]
    max_length_km: Option<f64>,
}

impl TryFrom<SiteBoundRaw> for SiteBound {
    type Error = String;
    fn try_from(r: SiteBoundRaw) -> Result<Self, String> {
        if r.max_area_km2.is_none() && r.max_length_km.is_none() {
            return Err("a site bound states max_area_km2, max_length_km or both".into());
        }
        for (name, v) in [
            ("max_area_km2", r.max_area_km2),
            ("max_length_km", r.max_length_km),
        ] {
            if let Some(v) = v {
                if !v.is_finite() || v <= 0.0 {
                    return Err(format!("{name} = {v}: it must be a positive number"));
                }
            }
        }
        Ok(SiteBound {
            max_area_km2: r.max_area_km2,
            max_length_km: r.max_length_km,
        })
    }
}

/// A party's reading of an agreement (body of `reading`): the reading belongs to its author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    /// The agreement read.
    pub agreement: Id,
    /// From when this version applies (default: when it was filed). Earlier than its filing
    /// makes it *retroactive*: allowed, and flagged in every finding it decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Time>,
    /// Summary in a sentence.
    #[serde(default)]
    pub summary: String,
    /// Where it comes from.
    pub source: SourceRef,
    /// The terms.
    pub terms: Terms,
}

/// A protected site (body of `site`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Identifier (unique per listing party).
    pub id: Id,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Where it is.
    pub geometry: Geometry,
    /// Set when the position is approximate: uncertainty radius in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_m: Option<u32>,
    /// From when the listing protects the site (default: when it was filed). Earlier than its
    /// filing makes it *retroactive*: allowed, and flagged in every finding it decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Time>,
    /// Where the listing comes from.
    #[serde(default)]
    pub source: String,
}

/// When something happened, as an interval (precision made explicit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "IntervalRaw")]
pub struct Interval {
    /// Latest (equal to start for an exact time).
    pub end: Time,
    /// Earliest.
    pub start: Time,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntervalRaw {
    start: Time,
    #[serde(default)]
    end: Option<Time>,
}

impl TryFrom<IntervalRaw> for Interval {
    type Error = String;
    fn try_from(r: IntervalRaw) -> Result<Self, String> {
        let end = r.end.unwrap_or(r.start);
        if end < r.start {
            return Err(format!("end {end} precedes start {}", r.start));
        }
        Ok(Interval {
            start: r.start,
            end,
        })
    }
}

/// Where something happened, with its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Place name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub place: String,
    /// Position `[lon, lat]`.
    pub point: Point,
    /// Uncertainty radius in metres.
    #[serde(default)]
    pub uncertainty_m: u32,
}

/// What one source says happened (body of `report`). Fields are declared in JCS key order so
/// records encode without reordering (see `entry::record`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// What happened.
    pub act: Act,
    /// Who is alleged to have done it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alleged_perpetrator: Option<Id>,
    /// Source fields kept as they were (e.g. FIRMS `confidence`, `frp`, `type`; ACLED actors),
    /// for the engine and for readers.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attributes: std::collections::BTreeMap<String, String>,
    /// Parties the report says did *not* do it (a denial; the accused denying its own
    /// involvement names itself). A denial makes the attribution `disputed`; it never lowers a
    /// grade by itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denies: Vec<Id>,
    /// SHA-256 hashes (hex) of evidence held outside the log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// Where the fire came from (a firing position, or a crater analysis's bearing and range).
    /// Left out of the entry when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fire_from: Option<crate::front::FireFrom>,
    /// Identifier (unique per author; the source's natural key for bulk data).
    pub id: Id,
    /// Marked when the report is illustrative (modelled on press reports, not a real filing).
    #[serde(default, skip_serializing_if = "is_false")]
    pub illustrative: bool,
    /// What kind of report it is, when not a plain account (`inspection`: a monitor's inspection
    /// of a vessel). Left out of the entry when none, so earlier reports keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ReportKind>,
    /// Where.
    pub location: Location,
    /// A monitor's observation: what a patrol heard or saw, counted, with its public footprint
    /// (see [`crate::front::Observation`]). Left out of the entry when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation: Option<crate::front::Observation>,
    /// Whose claim the report relays, when it is not the author's own (an ACLED row "according
    /// to the Russian MoD" relays `ru`): for independence the report counts as that party's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relays: Option<Id>,
    /// Version of the source record (e.g. ACLED's `timestamp`): a report with the same author and
    /// id and a higher revision supersedes the earlier one, which stays in the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// The kind of target hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_category: Option<Category>,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// When.
    pub time: Interval,
    /// The vessel the report concerns: the one attacked (`attack-on-vessels`), used
    /// (`military-use-of-vessel`) or seen (`vessel-movement`). Left out of the entry when none,
    /// so earlier reports keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vessel: Option<VesselRef>,
    /// The weapons seen (`weapons-sighting`) or, for fire, the weapon a crater analysis shows.
    /// Left out of the entry when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weapon: Option<crate::front::WeaponSeen>,
}

/// A kind of report that is not a plain account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportKind {
    /// A monitor's inspection (of a vessel: its cargo, its use); only a monitor's counts as one.
    Inspection,
}

/// A vessel as a report names it: its MMSI (9 digits), its IMO number (7 digits with the check
/// digit) and/or its name; at least one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "VesselRefRaw")]
pub struct VesselRef {
    /// IMO number, 7 digits (the last a check digit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<String>,
    /// Maritime Mobile Service Identity, 9 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mmsi: Option<String>,
    /// The vessel's name as reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VesselRefRaw {
    #[serde(default)]
    imo: Option<String>,
    #[serde(default)]
    mmsi: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

impl VesselRef {
    /// Checks an MMSI: exactly 9 ASCII digits.
    pub fn check_mmsi(s: &str) -> Result<(), String> {
        if s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(format!(
                "vessel.mmsi {s:?} is not an MMSI: write its 9 digits (e.g. \"273345000\")"
            ))
        }
    }

    /// Checks an IMO number: 7 ASCII digits whose last is the check digit (the sum of the first
    /// six, weighted 7 down to 2, modulo 10).
    pub fn check_imo(s: &str) -> Result<(), String> {
        let b = s.as_bytes();
        if b.len() != 7 || !b.iter().all(u8::is_ascii_digit) {
            return Err(format!(
                "vessel.imo {s:?} is not an IMO number: write its 7 digits, without \"IMO\" (e.g. \"9074729\")"
            ));
        }
        let sum: u32 = b[..6]
            .iter()
            .zip((2..=7u32).rev())
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        if sum % 10 != u32::from(b[6] - b'0') {
            return Err(format!(
                "vessel.imo {s:?} fails its check digit (expected {} last): check the number",
                sum % 10
            ));
        }
        Ok(())
    }

    /// Validates a vessel reference.
    pub fn new(
        mmsi: Option<String>,
        imo: Option<String>,
        name: Option<String>,
    ) -> Result<VesselRef, String> {
        VesselRef::try_from(VesselRefRaw { imo, mmsi, name })
    }
}

impl TryFrom<VesselRefRaw> for VesselRef {
    type Error = String;
    fn try_from(r: VesselRefRaw) -> Result<Self, String> {
        if let Some(m) = &r.mmsi {
            VesselRef::check_mmsi(m)?;
        }
        if let Some(i) = &r.imo {
            VesselRef::check_imo(i)?;
        }
        if let Some(n) = &r.name {
            if n.trim().is_empty() || n.len() > 120 {
                return Err(format!(
                    "vessel.name {n:?}: write the vessel's name (1-120 characters), or leave it out"
                ));
            }
        }
        if r.mmsi.is_none() && r.imo.is_none() && r.name.is_none() {
            return Err("vessel names nothing: give its mmsi, imo or name".into());
        }
        Ok(VesselRef {
            imo: r.imo,
            mmsi: r.mmsi,
            name: r.name,
        })
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_occurrence(q: &Question) -> bool {
    *q == Question::Occurrence
}

/// A mission's review policy (body of `review.policy`): how many distinct monitor officers
/// (distinct registered monitor keys) must agree before a question is `verified` or `dismissed`.
/// It applies to assessments logged after it; earlier conclusions stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewPolicy {
    /// Distinct officers that must agree (1 or more; 2 is "four eyes").
    pub quorum: u32,
    /// Why, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// A party invoking a release clause (body of `invocation`): it claims release from an
/// agreement because of the other party's breach, citing the reports of that breach. The release
/// takes effect from this entry, and only under readings where the cited breach qualifies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invocation {
    /// The agreement.
    pub agreement: Id,
    /// The party whose breach is cited.
    pub against: Id,
    /// Reports of the cited breach: entry ids or `<author>/<report id>`.
    pub reports: Vec<String>,
    /// Its words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// What an operator or monitor published (body of `publication`): digests of outputs computed
/// from the log at `size` under `rules`, so anyone can later recompute and compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    /// What was published: `findings` (the findings and compliance JSON) or `report.daily`.
    pub what: String,
    /// The log size (checkpoint) the outputs were computed at.
    pub size: u64,
    /// The rules version.
    pub rules: String,
    /// Parameters (e.g. `date`, `tz`, `role`).
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, String>,
    /// SHA-256 (hex) of each published document, by name (`findings`, `compliance`,
    /// `report`).
    pub sha256: std::collections::BTreeMap<String, String>,
}

/// A signed manifest that makes a batch of unsigned records attributable (body of `manifest`):
/// the next `count` entries of the log are records by the same author whose RFC 6962 Merkle root
/// (leaves = the records' exact bytes) is `root`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The source format (`firms`, `acled`, `ucdp`, `jsonl`, `csv`, `geojson`, `wri`, …).
    pub format: String,
    /// The source file's name and its SHA-256 (hex), for provenance.
    pub source: String,
    /// Number of records that follow.
    pub count: u64,
    /// Base64 RFC 6962 Merkle root of the records.
    pub root: String,
    /// For AIS track batches: the area the filer's receivers heard, stated by the filer (see
    /// [`crate::ais::Coverage`]); absent otherwise, and left out of the JSON when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reception: Option<Zone>,
}

/// A monitor's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Verified by the monitor.
    Verified,
    /// Dismissed.
    Dismissed,
    /// Cannot be verified with the evidence available.
    Unverifiable,
}

/// The question an assessment answers.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    /// Did something happen there and then?
    #[default]
    Occurrence,
    /// Did `party` do it?
    Attribution,
}

/// A monitor's assessment (body of `assessment`): one officer's answer to one question about the
/// reports it names, whatever incident they end up in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// The reports assessed: entry ids (64 hex digits) or `<author>/<report id>`.
    pub reports: Vec<String>,
    /// The question: `occurrence` (the default) or `attribution` (then `party` names whom).
    #[serde(default, skip_serializing_if = "is_occurrence")]
    pub question: Question,
    /// For an attribution question: the party whose attribution is assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<Id>,
    /// The verdict.
    pub verdict: Verdict,
    /// Evidence hashes.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Reasoning.
    #[serde(default)]
    pub text: String,
}

/// One quantity in a commitment or fulfilment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// What (e.g. `prisoners`, `seriously-wounded`).
    pub what: Id,
    /// How many (non-negative by type).
    pub quantity: u64,
    /// From whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Id>,
    /// To whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Id>,
}

/// A humanitarian undertaking (body of `commitment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// Identifier.
    pub id: Id,
    /// Title.
    pub title: String,
    /// When it was announced.
    pub announced: Date,
    /// When it is due.
    pub due: Date,
    /// What is promised.
    pub items: Vec<Quantity>,
    /// Where the announcement is.
    pub source: SourceRef,
}

/// Whether a fulfilment's figures add to its author's earlier ones or replace them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FulfilmentKind {
    /// What was delivered in this step (one day of an exchange over several): added to the
    /// author's earlier figures. The default, so fulfilments logged before the kind existed
    /// count as they did.
    #[default]
    Tranche,
    /// The author's total so far for each item it lists, replacing its earlier figures for
    /// those items (tranches dated later are added to it).
    Restatement,
}

impl FulfilmentKind {
    /// Its name.
    pub fn as_str(&self) -> &'static str {
        match self {
            FulfilmentKind::Tranche => "tranche",
            FulfilmentKind::Restatement => "restatement",
        }
    }

    fn is_tranche(&self) -> bool {
        *self == FulfilmentKind::Tranche
    }
}

/// What was done towards a commitment (body of `fulfilment`), as its author reports it. Person
/// lists never enter the log: only a salted hash commitment to the list does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fulfilment {
    /// The commitment's id.
    pub commitment: Id,
    /// When.
    pub date: Date,
    /// What was delivered.
    pub items: Vec<Quantity>,
    /// `tranche` (the default: added to the author's earlier figures) or `restatement` (the
    /// author's total so far, replacing its earlier figures for the items listed). Left out of
    /// the entry when it is a tranche, so entries logged before it existed keep their bytes.
    #[serde(default, skip_serializing_if = "FulfilmentKind::is_tranche")]
    pub kind: FulfilmentKind,
    /// Salted SHA-256 commitment (hex) to the person list, held in the restricted store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persons_commitment: Option<String>,
    /// Where the report of it is.
    pub source: SourceRef,
}

/// Whether a claim asserts or denies its proposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stance {
    /// Says the proposition is true.
    Affirms,
    /// Says it is false.
    Denies,
}

/// One claim within a statement: a stance on a proposition, identified by topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Topic identifier: claims on the same topic are compared.
    pub topic: Id,
    /// The proposition, in words (e.g. "military aid was discussed on the call").
    pub proposition: String,
    /// Affirms or denies it.
    pub stance: Stance,
    /// The exact words.
    #[serde(default)]
    pub quote: String,
}

/// What a party said (body of `statement`). A statement may be recorded on behalf of the party
/// that made it (`speaker`), e.g. by a monitor transcribing readouts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Identifier.
    pub id: Id,
    /// Who said it (defaults to the entry's author).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<Id>,
    /// Where and when.
    pub source: SourceRef,
    /// The claims it makes.
    pub claims: Vec<Claim>,
}

/// A correction or retraction of an earlier entry by its author (body of `amend`). The earlier
/// entry stays in the log; readers apply the amendment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    /// Entry id (hex SHA-256) of the entry amended.
    pub amends: String,
    /// `retract` withdraws it; `correct` replaces its body with `body`.
    pub action: AmendAction,
    /// Why.
    pub reason: String,
    /// The corrected body (for `correct`), of the same kind as the amended entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// What an amendment does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AmendAction {
    /// Withdraw the entry.
    Retract,
    /// Replace the entry's body.
    Correct,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn act_names_are_the_serde_names() {
        for a in Act::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(Act::named(a.as_str()), Some(a));
            let back: Act = serde_json::from_value(a.as_str().into()).unwrap();
            assert_eq!(back, a);
        }
        assert_eq!(Act::named("fire"), None);
    }

    #[test]
    fn a_vessel_is_named_by_valid_numbers_and_old_reports_keep_their_bytes() {
        assert!(VesselRef::check_imo("9074729").is_ok());
        assert!(VesselRef::check_imo("9074728")
            .unwrap_err()
            .contains("check digit"));
        assert!(VesselRef::check_imo("907472").is_err());
        assert!(VesselRef::check_mmsi("273345000").is_ok());
        assert!(VesselRef::check_mmsi("27334500").is_err());
        assert!(VesselRef::check_mmsi("27334500x").is_err());
        assert!(VesselRef::new(None, None, None)
            .unwrap_err()
            .contains("mmsi, imo or name"));
        assert!(VesselRef::new(None, None, Some(" ".into())).is_err());
        let old = r#"{"act":"attack-on-vessels","id":"r1","location":{"point":[31.7,46.3],"uncertainty_m":500},"target_category":"vessel.commercial","time":{"end":"2025-03-26T03:10:00Z","start":"2025-03-26T03:10:00Z"}}"#;
        let r: Report = serde_json::from_str(old).unwrap();
        assert_eq!((r.vessel.as_ref(), r.kind), (None, None));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(serde_json_canonicalizer::to_string(&v).unwrap(), old);
        let with = old
            .replace(r#""time""#, r#""kind":"inspection","time""#)
            .replace("}}", r#"},"vessel":{"imo":"9074729","name":"Ocean Star"}}"#);
        let r: Report = serde_json::from_str(&with).unwrap();
        assert_eq!(r.kind, Some(ReportKind::Inspection));
        assert_eq!(r.vessel.as_ref().unwrap().imo.as_deref(), Some("9074729"));
        let bad = with.replace("9074729", "9074720");
        assert!(serde_json::from_str::<Report>(&bad).is_err());
    }

    #[test]
    fn site_bounds_match_the_longest_prefix() {
        let b: BTreeMap<CategoryPrefix, SiteBound> = serde_json::from_str(
            r#"{"energy":{"max_area_km2":50,"max_length_km":5000},"energy.gas.metering":{"max_area_km2":1}}"#,
        )
        .unwrap();
        let cat = |c: &str| Category::new(c).unwrap();
        let covering = |c: &str| {
            b.iter()
                .filter(|(k, _)| k.covers(&cat(c)))
                .max_by_key(|(k, _)| k.as_str().len())
                .map(|(k, v)| (k.as_str().to_string(), *v))
        };
        assert_eq!(
            covering("energy.gas.metering").unwrap().1.max_area_km2,
            Some(1.0)
        );
        assert_eq!(covering("energy.oil.pipeline").unwrap().0, "energy");
        assert_eq!(covering("transport.port"), None);
        assert!(CategoryPrefix::new("energ").is_err());
        assert!(CategoryPrefix::new("energy.gas").is_ok());
        let e = serde_json::from_str::<SiteBound>(r#"{"max_area_km2":-1}"#).unwrap_err();
        assert!(e.to_string().contains("positive"), "{e}");
        assert!(serde_json::from_str::<SiteBound>("{}").is_err());
        // Canonical bytes: 50.0 is written 50.
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(
            serde_json_canonicalizer::to_string(&v).unwrap(),
            r#"{"energy":{"max_area_km2":50,"max_length_km":5000},"energy.gas.metering":{"max_area_km2":1}}"#
        );
    }
}
