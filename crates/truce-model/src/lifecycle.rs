//! An agreement's lifecycle beyond its readings: **extensions** (each party's consent to extend an
//! agreement's window to a new end, in force only once every party the reading requires has
//! consented to the same end) and **conditions precedent** (a condition's status, versioned, that
//! keeps a reading from entering into force until it is met).
//!
//! A reading names who **attests** each of its conditions ([`ConditionRef`]): only a status
//! filed by an attester counts for that reading, so another party's say cannot put a reading in
//! force.
//!
//! The rules that decide an extension are here, generic over the time type, so the engine (unix
//! seconds) and the views (the readings diff, `truce agreement history`) apply the same ones.

use crate::domain::{ExtensionBy, ExtensionRule, Id, Terms};
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A party's consent to extend an agreement's window to `until` (body of `extension`). The
/// consenting party is the entry's author. An extension takes effect only once every party the
/// reading requires (its bound parties, unless the reading's window says otherwise in
/// `extension_by`) has filed a consent to the same agreement and the same `until`; it is in force
/// from the latest of those consents (or their stated `effective_from`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The agreement.
    pub agreement: Id,
    /// The new end of the window.
    pub until: Time,
    /// From when this consent applies (default: when it was filed). Earlier than its filing makes
    /// the extension *retroactive*: allowed, and flagged in every finding it decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Time>,
    /// Its words (where the consent was given, on what terms).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Where a condition precedent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionStatus {
    /// Fulfilled: readings that list it may enter into force.
    Met,
    /// Not (yet) fulfilled.
    Unmet,
    /// Withdrawn after being met (e.g. sanctions relief granted, then taken back): not met. A
    /// party that drops a condition files a new version of its reading without it.
    Withdrawn,
}

impl ConditionStatus {
    /// The status's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConditionStatus::Met => "met",
            ConditionStatus::Unmet => "unmet",
            ConditionStatus::Withdrawn => "withdrawn",
        }
    }
}

/// The status of a condition precedent (body of `condition`). Every filing is a version: the one
/// in force at an incident's start (of the versions effective by then, the one filed last)
/// decides whether the readings that list the condition are in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The condition's identifier, as readings list it (`conditions` in their terms).
    pub id: Id,
    /// What it is, in words.
    pub title: String,
    /// Its status.
    pub status: ConditionStatus,
    /// From when this status holds (default: when it was filed). Earlier than its filing makes it
    /// *retroactive*: allowed, and flagged in every finding it decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Time>,
    /// Its words (the decision or source behind the status).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A condition precedent as a reading lists it: the condition's id and who attests its status.
/// Written as a plain id (`"sanctions-relief"`: attested by the reading's author, a mediator or
/// the operator, as before attesters could be named) or as `{ "id": …, "attested_by": [party…] }`
/// (only those parties' statuses count). A plain id is stored as a plain id, so readings filed
/// before attesters existed keep their bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConditionRef {
    /// The condition's id (as `condition` entries name it).
    pub id: Id,
    /// The parties whose statuses count, when named (none: the default attesters).
    pub attested_by: Option<Vec<Id>>,
}

impl ConditionRef {
    /// A condition attested by the default parties.
    pub fn plain(id: Id) -> ConditionRef {
        ConditionRef {
            id,
            attested_by: None,
        }
    }

    /// Whether a status filed by `author` counts under a reading by `reader` listing this
    /// condition: one of the named attesters; by default the reader itself, or any party that is
    /// not a belligerent (a mediator, the operator).
    pub fn attested(&self, author: &Id, author_is_belligerent: bool, reader: &Id) -> bool {
        match &self.attested_by {
            Some(parties) => parties.contains(author),
            None => !author_is_belligerent || author == reader,
        }
    }

    /// Who attests it, in words (`attested by ru, us` or `attested by ru (the reading's
    /// author), a mediator or the operator`).
    pub fn attesters_words(&self, reader: &Id) -> String {
        match &self.attested_by {
            Some(p) => format!(
                "attested by {}",
                p.iter().map(Id::as_str).collect::<Vec<_>>().join(", ")
            ),
            None => {
                format!("attested by {reader} (the reading's author), a mediator or the operator")
            }
        }
    }
}

impl Serialize for ConditionRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match &self.attested_by {
            None => self.id.serialize(s),
            Some(p) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("attested_by", p)?;
                m.serialize_entry("id", &self.id)?;
                m.end()
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionRefRaw {
    id: Id,
    attested_by: Vec<Id>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ConditionRefAny {
    Plain(Id),
    Named(ConditionRefRaw),
}

impl<'de> Deserialize<'de> for ConditionRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let any: ConditionRefAny = match &v {
            serde_json::Value::String(_) => {
                ConditionRefAny::Plain(serde_json::from_value(v).map_err(serde::de::Error::custom)?)
            }
            serde_json::Value::Object(_) => {
                ConditionRefAny::Named(serde_json::from_value(v).map_err(|e| {
                    serde::de::Error::custom(format!(
                        "a condition is written {{ \"id\": …, \"attested_by\": [party…] }}: {e}"
                    ))
                })?)
            }
            _ => {
                return Err(serde::de::Error::custom(
                    "a condition is a condition id or { \"id\": …, \"attested_by\": [party…] }",
                ))
            }
        };
        match any {
            ConditionRefAny::Plain(id) => Ok(ConditionRef::plain(id)),
            ConditionRefAny::Named(r) => {
                if r.attested_by.is_empty() {
                    return Err(serde::de::Error::custom(format!(
                        "condition {}: attested_by names no party; leave it out (write the plain id) for the reading's author",
                        r.id
                    )));
                }
                let mut seen = std::collections::BTreeSet::new();
                for p in &r.attested_by {
                    if !seen.insert(p) {
                        return Err(serde::de::Error::custom(format!(
                            "condition {}: attested_by names {p} twice",
                            r.id
                        )));
                    }
                }
                Ok(ConditionRef {
                    id: r.id,
                    attested_by: Some(r.attested_by),
                })
            }
        }
    }
}

/// One consent as the extension rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent<T> {
    /// Log index of the `extension` entry.
    pub index: u64,
    /// The consenting party (the entry's author).
    pub party: Id,
    /// The end it consents to.
    pub until: T,
    /// When it was filed (the entry's time).
    pub filed: T,
    /// From when it applies (`effective_from`, default `filed`).
    pub effective: T,
}

/// Whose consent an extension needs under a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Required {
    /// Every one of these parties.
    All(Vec<Id>),
    /// Any one of these parties.
    Any(Vec<Id>),
}

impl Required {
    /// What a reading's terms require: `extension_by` when stated, else every bound party.
    pub fn of(terms: &Terms) -> Required {
        match &terms.window.extension_by {
            None | Some(ExtensionBy::Rule(ExtensionRule::AllBoundParties)) => {
                Required::All(terms.bound.clone())
            }
            Some(ExtensionBy::Rule(ExtensionRule::AnyBoundParty)) => {
                Required::Any(terms.bound.clone())
            }
            Some(ExtensionBy::Parties(p)) => Required::All(p.clone()),
        }
    }

    /// The rule in words (`ru and ua`, `any of ru, ua`).
    pub fn describe(&self) -> String {
        let names = |p: &[Id]| p.iter().map(Id::as_str).collect::<Vec<_>>().join(", ");
        match self {
            Required::All(p) if p.is_empty() => "nobody (no party can extend it)".into(),
            Required::All(p) => format!("every one of {}", names(p)),
            Required::Any(p) => format!("any one of {}", names(p)),
        }
    }

    fn parties(&self) -> &[Id] {
        match self {
            Required::All(p) | Required::Any(p) => p,
        }
    }
}

/// Where one proposed end of the window stands under one reading.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionState<T> {
    /// The proposed end.
    pub until: T,
    /// The consents counted, one per required party that consented (its earliest-effective
    /// consent to this end), in party order.
    pub counted: Vec<Consent<T>>,
    /// Consents by parties whose consent the reading does not require (shown, never counted).
    pub others: Vec<Consent<T>>,
    /// Required parties that have not consented to this end.
    pub awaiting: Vec<Id>,
    /// When complete: from when the extension is in force (the latest effective time among the
    /// consents counted).
    pub effective: Option<T>,
    /// When complete: when the last consent counted was filed (an extension effective before
    /// this is retroactive).
    pub filed: Option<T>,
}

impl<T: Copy + Ord> ExtensionState<T> {
    /// Whether every required consent is in.
    pub fn complete(&self) -> bool {
        self.effective.is_some()
    }

    /// Whether it is complete and in force at `t`.
    pub fn in_force_at(&self, t: T) -> bool {
        self.effective.is_some_and(|e| e <= t)
    }

    /// Whether it is in force from before its last counted consent was filed.
    pub fn retroactive(&self) -> bool {
        matches!((self.effective, self.filed), (Some(e), Some(f)) if e < f)
    }

    /// The parties that consented (counted), in words: `ru, ua`.
    pub fn by(&self) -> String {
        self.counted
            .iter()
            .map(|c| c.party.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The log indices of the consents counted, in words: `80, 81`.
    pub fn entries(&self) -> String {
        self.counted
            .iter()
            .map(|c| c.index.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A pending extension in words: `proposed by ru, awaiting ua` (the caller names the end).
    pub fn pending_words(&self) -> String {
        let by: Vec<&str> = self
            .counted
            .iter()
            .chain(&self.others)
            .map(|c| c.party.as_str())
            .collect();
        format!(
            "proposed by {}, awaiting {}",
            by.join(", "),
            self.awaiting
                .iter()
                .map(Id::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The extensions of one agreement under one reading: the consents grouped by the end they
/// consent to (ascending), each with who counted, who is awaited and, when every required party
/// consented, from when it is in force. `consents` are the agreement's consents as known (not
/// retracted), in any order.
pub fn extensions<T: Copy + Ord>(
    required: &Required,
    consents: &[Consent<T>],
) -> Vec<ExtensionState<T>> {
    let mut by_until: BTreeMap<T, Vec<&Consent<T>>> = BTreeMap::new();
    for c in consents {
        by_until.entry(c.until).or_default().push(c);
    }
    let parties = required.parties();
    by_until
        .into_iter()
        .map(|(until, cs)| {
            // Each party's consent to this end that applies earliest (ties: the first logged).
            let mut first: BTreeMap<&Id, &Consent<T>> = BTreeMap::new();
            for c in cs {
                match first.get(&c.party) {
                    Some(f) if (f.effective, f.index) <= (c.effective, c.index) => {}
                    _ => {
                        first.insert(&c.party, c);
                    }
                }
            }
            let (mut counted, mut others) = (Vec::new(), Vec::new());
            for (p, c) in &first {
                if parties.contains(p) {
                    counted.push((*c).clone());
                } else {
                    others.push((*c).clone());
                }
            }
            let awaiting: Vec<Id> = parties
                .iter()
                .filter(|p| !first.contains_key(p))
                .cloned()
                .collect();
            let (effective, filed) = match required {
                Required::All(p) if !p.is_empty() && awaiting.is_empty() => (
                    counted.iter().map(|c| c.effective).max(),
                    counted.iter().map(|c| c.filed).max(),
                ),
                Required::Any(_) => match counted.iter().min_by_key(|c| (c.effective, c.index)) {
                    Some(c) => {
                        // One consent suffices: the earliest in force counts alone.
                        let c = c.clone();
                        counted = vec![c.clone()];
                        (Some(c.effective), Some(c.filed))
                    }
                    None => (None, None),
                },
                _ => (None, None),
            };
            let awaiting = if matches!(required, Required::Any(_)) && effective.is_some() {
                Vec::new()
            } else {
                awaiting
            };
            ExtensionState {
                until,
                counted,
                others,
                awaiting,
                effective,
                filed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Id {
        Id::new(s).unwrap()
    }
    fn c(index: u64, party: &str, until: i64, filed: i64, effective: i64) -> Consent<i64> {
        Consent {
            index,
            party: id(party),
            until,
            filed,
            effective,
        }
    }

    #[test]
    fn every_required_party_must_consent_to_the_same_end() {
        let req = Required::All(vec![id("ru"), id("ua")]);
        let only_ru = extensions(&req, &[c(1, "ru", 100, 10, 10)]);
        assert_eq!(only_ru.len(), 1);
        assert!(!only_ru[0].complete());
        assert_eq!(only_ru[0].pending_words(), "proposed by ru, awaiting ua");
        // ua consents to another end: still nothing complete.
        let two_ends = extensions(&req, &[c(1, "ru", 100, 10, 10), c(2, "ua", 90, 20, 20)]);
        assert!(two_ends.iter().all(|e| !e.complete()));
        // Both to the same end: in force from the later consent.
        let both = extensions(
            &req,
            &[
                c(1, "ru", 100, 10, 10),
                c(2, "ua", 100, 20, 20),
                c(3, "us", 100, 5, 5),
            ],
        );
        assert_eq!(both[0].effective, Some(20));
        assert_eq!(both[0].by(), "ru, ua");
        assert_eq!(
            both[0].others.len(),
            1,
            "us's consent is shown, not counted"
        );
        assert!(!both[0].retroactive());
        assert!(both[0].in_force_at(20) && !both[0].in_force_at(19));
        // A stated effective_from before the filing: retroactive.
        let retro = extensions(&req, &[c(1, "ru", 100, 10, 10), c(2, "ua", 100, 20, 8)]);
        assert_eq!(retro[0].effective, Some(10));
        assert!(retro[0].retroactive());
    }

    #[test]
    fn a_condition_is_a_plain_id_or_names_its_attesters() {
        let plain: ConditionRef = serde_json::from_str(r#""sanctions-relief""#).unwrap();
        assert_eq!(plain, ConditionRef::plain(id("sanctions-relief")));
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#""sanctions-relief""#,
            "a plain id keeps its bytes"
        );
        assert!(plain.attested(&id("ru"), true, &id("ru")));
        assert!(!plain.attested(&id("ua"), true, &id("ru")));
        assert!(plain.attested(&id("un"), false, &id("ru")));
        let named: ConditionRef =
            serde_json::from_str(r#"{"id":"sanctions-relief","attested_by":["ru","us"]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&named).unwrap(),
            r#"{"attested_by":["ru","us"],"id":"sanctions-relief"}"#
        );
        assert!(named.attested(&id("us"), true, &id("ru")));
        assert!(
            !named.attested(&id("un"), false, &id("ru")),
            "named attesters only"
        );
        assert_eq!(named.attesters_words(&id("ru")), "attested by ru, us");
        for bad in [
            r#"{"id":"x","attested_by":[]}"#,
            r#"{"id":"x","attested_by":["ru","ru"]}"#,
            r#"{"id":"x","attested_by":["ru"],"extra":1}"#,
            r#"{"id":"x"}"#,
            "3",
            r#""Bad Id""#,
        ] {
            assert!(serde_json::from_str::<ConditionRef>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn any_bound_party_needs_one_consent() {
        let req = Required::Any(vec![id("ru"), id("ua")]);
        let e = extensions(&req, &[c(1, "ua", 100, 30, 30), c(2, "ru", 100, 20, 20)]);
        assert_eq!((e[0].effective, e[0].by().as_str()), (Some(20), "ru"));
        assert!(e[0].awaiting.is_empty());
        assert!(!extensions(&Required::All(vec![]), &[c(1, "ru", 100, 1, 1)])[0].complete());
    }
}
