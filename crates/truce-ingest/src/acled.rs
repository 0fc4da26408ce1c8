//! ACLED's 31-column export CSV (synthetic fixtures only: ACLED's terms forbid redistributing rows).
//!
//! - time: `event_date` (`YYYY-MM-DD` or `16 May 2025`) with `time_precision` as an interval:
//!   1 → that day; 2 → the seven days centred on it (ACLED: "the week of"); 3 → its calendar month;
//! - location: `latitude`/`longitude`; `geo_precision` 1 → 2 km (town), 2 → 25 km (part of a
//!   region), 3 → 100 km (region only);
//! - act from `sub_event_type`/`event_type`: air/drone strike → `drone-strike`;
//!   shelling/artillery/missile attack → `shelling`; remote explosive/landmine/IED → `sabotage`;
//!   grenade, suicide bomb → `strike`; battles → `ground-assault`; violence against civilians →
//!   `violence`; protests, riots and strategic developments are skipped (not acts Truce tracks);
//! - id: `event_id_cnty` (lower-cased); `revision` = `timestamp`: an event re-issued with a newer
//!   timestamp supersedes the older record, which stays in the log;
//! - `inter1`/`inter2`/`interaction` as text or numeric codes (stored as text);
//! - alleged perpetrator: `actor1` through the actor map (`--actor`), when it maps to a party —
//!   except for `event_type` "Battles", which names two participants in a clash, not a
//!   perpetrator: those rows have none (`actor1`/`actor2` stay in the attributes);
//! - relayed claim (`relays`): the party whose claim the row carries when ACLED attributes its
//!   information to that party's officials (for independence the report then counts as that
//!   party's claim). See below.
//!
//! # Relayed claims
//!
//! Officials are named by *relay rules* (text → party): first the explicit `--relay TEXT=PARTY`
//! rules in the order given ([`ActorMap::with_relays`]), then the built-in ones
//! ([`BUILTIN_RELAYS`]). A built-in rule is active only when the actor map gives a party for its
//! state's forces: the Russian texts resolve to the party of "Military Forces of Russia (2000-)",
//! the Ukrainian ones to that of "Military Forces of Ukraine (2019-)" (so with `--actor` or the
//! CLI's defaults they relay `ru` and `ua`; with an empty actor map only explicit rules act).
//! Texts are compared case-insensitively and as whole words, after folding runs of white space
//! to one space, curly apostrophes to `'` and "defense" to "defence" (so "Ministry of Defense"
//! matches a "defence" rule).
//!
//! 1. **Notes first.** A rule's text in `notes` counts only inside an attribution: preceded by
//!    "according to", "reported by", "claimed by", "stated by", "announced by", "as per", "citing"
//!    or "quoting" (an optional "the" between), or followed by "reported", "reports", "claimed",
//!    "claims", "said", "says", "stated", "states", "announced", "announces", "alleged",
//!    "alleges" (an optional "has", "have" or "had" between). "Ukrainian Air Force jets struck …"
//!    is no attribution; "the Ukrainian Air Force reported …" is. When the notes attribute claims
//!    to exactly one party, the row relays that party *whatever `source` lists*: an independent
//!    outlet in `source` carried the party's claim, as the notes say.
//! 2. **Then the source list.** Otherwise `source` is split at `;`. When every listed source
//!    contains a rule's text (the first matching rule decides each) and all name one party, the
//!    row relays it: its only sources are that party's officials. A party's officials listed
//!    beside any other source ("Ministry of Defence of Russia; Kommersant") do not make a relay by
//!    themselves — the other source may have reported the event independently; attribute
//!    `relay_note` says so. Notes attributing claims to several parties (a claim and a denial)
//!    decide nothing and fall through to this step.
//! 3. Otherwise `relays` is none.
//!
//! A relayed row keeps why in attribute `relayed_by_rule`: where it matched, the text as written
//! and the rule, e.g. `notes: "According to the Russian MoD" (built-in "russian mod" → ru)`.

use crate::rows::{date, midnight, position, ActorMap, Columns};
use csv::ByteRecord;
use std::collections::{BTreeMap, BTreeSet};
use truce_model::domain::{Act, Id, Interval, Location, Report};
use truce_model::Time;

/// The export's 31 columns, in order.
pub const COLUMNS: &[&str] = &[
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
];

/// ACLED's numeric actor-type codes, as text.
pub fn inter_text(code: &str) -> String {
    match code.trim() {
        "1" => "State forces",
        "2" => "Rebel groups",
        "3" => "Political militias",
        "4" => "Identity militias",
        "5" => "Rioters",
        "6" => "Protesters",
        "7" => "Civilians",
        "8" => "External/Other forces",
        other => other,
    }
    .to_string()
}

/// The act an event is, or why it is skipped.
pub fn act_for(event_type: &str, sub_event_type: &str) -> Result<Act, String> {
    let sub = sub_event_type.to_ascii_lowercase();
    let ev = event_type.to_ascii_lowercase();
    Ok(match () {
        _ if sub.contains("air/drone strike") => Act::DroneStrike,
        _ if sub.contains("shelling/artillery/missile") => Act::Shelling,
        _ if sub.contains("remote explosive") => Act::Sabotage,
        _ if sub.contains("grenade") || sub.contains("suicide bomb") => Act::Strike,
        _ if ev == "battles" => Act::GroundAssault,
        _ if ev == "violence against civilians" => Act::Violence,
        _ => {
            return Err(format!(
                "{event_type} / {sub_event_type} is not an act Truce tracks"
            ))
        }
    })
}

/// Built-in relay rules: the state-forces actor whose party they resolve to, and the texts (in
/// folded form: lower case, "defence") naming that state's officials.
pub const BUILTIN_RELAYS: &[(&str, &[&str])] = &[
    (
        "Military Forces of Russia (2000-)",
        &[
            "ministry of defence of russia",
            "ministry of defence of the russian federation",
            "russian ministry of defence",
            "russia ministry of defence",
            "russia's ministry of defence",
            "russian defence ministry",
            "russian mod",
            "mod of russia",
            "general staff of the armed forces of russia",
            "general staff of the russian armed forces",
            "russian general staff",
        ],
    ),
    (
        "Military Forces of Ukraine (2019-)",
        &[
            "ministry of defence of ukraine",
            "ukrainian ministry of defence",
            "ukraine ministry of defence",
            "ukraine's ministry of defence",
            "ukrainian defence ministry",
            "ukrainian mod",
            "mod of ukraine",
            "general staff of the armed forces of ukraine",
            "general staff of ukraine",
            "ukrainian general staff",
            "ukraine general staff",
            "air force of the armed forces of ukraine",
            "air force of ukraine",
            "ukrainian air force",
            "ukraine air force",
        ],
    ),
];

const BEFORE: &[&str] = &[
    "according to",
    "reported by",
    "claimed by",
    "stated by",
    "announced by",
    "as per",
    "citing",
    "quoting",
];
const AFTER: &[&str] = &[
    "reported",
    "reports",
    "claimed",
    "claims",
    "said",
    "says",
    "stated",
    "states",
    "announced",
    "announces",
    "alleged",
    "alleges",
];

/// Text folded for matching, with the original byte range of each folded byte.
struct Folded<'a> {
    orig: &'a str,
    text: String,
    at: Vec<(usize, usize)>,
}

fn fold(s: &str) -> Folded<'_> {
    let mut text = String::with_capacity(s.len());
    let mut at = Vec::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let span = (i, i + c.len_utf8());
        let folded: Vec<char> = if c.is_whitespace() {
            if text.is_empty() || text.ends_with(' ') {
                continue;
            }
            vec![' ']
        } else if c == '\u{2019}' || c == '\u{2018}' {
            vec!['\'']
        } else {
            c.to_lowercase().collect()
        };
        for d in folded {
            at.extend(std::iter::repeat_n(span, d.len_utf8()));
            text.push(d);
        }
    }
    // Same length, ASCII: the byte map stays valid.
    let text = text.replace("defense", "defence");
    Folded { orig: s, text, at }
}

impl Folded<'_> {
    /// The original text of folded bytes `a..b`.
    fn original(&self, a: usize, b: usize) -> &str {
        if a >= b {
            return "";
        }
        &self.orig[self.at[a].0..self.at[b - 1].1]
    }
}

fn alnum_before(s: &str, i: usize) -> bool {
    s[..i]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

fn alnum_at(s: &str, i: usize) -> bool {
    s[i..].chars().next().is_some_and(char::is_alphanumeric)
}

/// Where `needle` occurs in `hay` as whole words.
fn words<'h>(hay: &'h str, needle: &'h str) -> impl Iterator<Item = usize> + 'h {
    hay.match_indices(needle)
        .map(|(i, _)| i)
        .filter(move |&i| !alnum_before(hay, i) && !alnum_at(hay, i + needle.len()))
}

/// The start of an attribution cue ending at `i` ("according to [the] …"), if any.
fn cue_before(t: &str, i: usize) -> Option<usize> {
    let mut pre = t[..i].trim_end();
    if let Some(p) = pre
        .strip_suffix("the")
        .filter(|p| !alnum_before(p, p.len()))
    {
        pre = p.trim_end();
    }
    BEFORE.iter().find_map(|cue| {
        let start = pre.len().checked_sub(cue.len())?;
        (pre.ends_with(cue) && !alnum_before(pre, start)).then_some(start)
    })
}

/// The end of an attribution cue starting at `j` ("… [has] reported"), if any.
fn cue_after(t: &str, j: usize) -> Option<usize> {
    let skip = |k: usize| k + (t[k..].len() - t[k..].trim_start().len());
    let mut k = skip(j);
    for aux in ["has", "have", "had"] {
        if t[k..].starts_with(aux) && !alnum_at(t, k + aux.len()) {
            k = skip(k + aux.len());
            break;
        }
    }
    AFTER.iter().find_map(|cue| {
        (t[k..].starts_with(cue) && !alnum_at(t, k + cue.len())).then_some(k + cue.len())
    })
}

/// One relay rule, its text folded.
#[derive(Debug, Clone)]
struct Rule {
    text: String,
    party: Id,
    builtin: bool,
}

impl Rule {
    fn describe(&self) -> String {
        let kind = if self.builtin { "built-in" } else { "--relay" };
        format!("{kind} {:?} → {}", self.text, self.party)
    }
}

/// The relay rules in force for one import: the explicit ones, then the built-in ones whose
/// state's forces the actor map resolves (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Relays {
    rules: Vec<Rule>,
}

/// What the relay rules made of a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayFinding {
    /// The party whose claim the row relays.
    pub party: Option<Id>,
    /// Why (`relayed_by_rule`), when relayed.
    pub why: Option<String>,
    /// Why not, when officials were named but did not make a relay (`relay_note`).
    pub note: Option<String>,
}

impl Relays {
    /// The rules for an actor map.
    pub fn new(actors: &ActorMap) -> Relays {
        let mut rules: Vec<Rule> = actors
            .relay_rules()
            .iter()
            .map(|(text, party)| Rule {
                text: fold(text).text.trim().to_string(),
                party: party.clone(),
                builtin: false,
            })
            .filter(|r| !r.text.is_empty())
            .collect();
        for (forces, texts) in BUILTIN_RELAYS {
            if let Some(party) = actors.party(forces) {
                rules.extend(texts.iter().map(|t| Rule {
                    text: t.to_string(),
                    party: party.clone(),
                    builtin: true,
                }));
            }
        }
        Relays { rules }
    }

    /// Judges a row's `source` and `notes` (see the module docs).
    pub fn judge(&self, source: &str, notes: &str) -> RelayFinding {
        if self.rules.is_empty() {
            return RelayFinding::default();
        }
        // 1. Attributions in the notes: (position, rule, quoted text).
        let n = fold(notes);
        let mut hits: Vec<(usize, usize, String)> = Vec::new();
        for (ri, rule) in self.rules.iter().enumerate() {
            for i in words(&n.text, &rule.text) {
                let j = i + rule.text.len();
                let span = match (cue_before(&n.text, i), cue_after(&n.text, j)) {
                    (Some(a), _) => Some((a, j)),
                    (None, Some(b)) => Some((i, b)),
                    (None, None) => None,
                };
                if let Some((a, b)) = span {
                    hits.push((a, ri, n.original(a, b).to_string()));
                }
            }
        }
        let parties: BTreeSet<&Id> = hits.iter().map(|h| &self.rules[h.1].party).collect();
        if parties.len() == 1 {
            let (_, ri, quote) = hits.iter().min_by_key(|h| (h.0, h.1)).expect("a hit");
            let rule = &self.rules[*ri];
            return RelayFinding {
                party: Some(rule.party.clone()),
                why: Some(format!("notes: {quote:?} ({})", rule.describe())),
                note: None,
            };
        }
        let several = (parties.len() > 1).then(|| {
            let names: Vec<String> = parties.iter().map(|p| p.to_string()).collect();
            format!(
                "notes attribute claims to several parties ({})",
                names.join(", ")
            )
        });
        // 2. The source list.
        let entries: Vec<&str> = source
            .split(';')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        let matched: Vec<Option<usize>> = entries
            .iter()
            .map(|e| {
                let f = fold(e);
                self.rules
                    .iter()
                    .position(|r| words(&f.text, &r.text).next().is_some())
            })
            .collect();
        let named: BTreeSet<&Id> = matched
            .iter()
            .flatten()
            .map(|&ri| &self.rules[ri].party)
            .collect();
        let first = entries
            .iter()
            .zip(&matched)
            .find_map(|(e, m)| m.map(|ri| (e, ri)));
        match first {
            Some((entry, ri)) if named.len() == 1 && matched.iter().all(Option::is_some) => {
                RelayFinding {
                    party: Some(self.rules[ri].party.clone()),
                    why: Some(format!("source: {entry:?} ({})", self.rules[ri].describe())),
                    note: None,
                }
            }
            Some(_) => {
                let names: Vec<String> = named.iter().map(|p| p.to_string()).collect();
                let why = if named.len() > 1 {
                    format!(
                        "source names officials of several parties ({})",
                        names.join(", ")
                    )
                } else {
                    format!(
                        "source names {}'s officials beside other sources",
                        names.join(", ")
                    )
                };
                let notes = several.unwrap_or_else(|| "notes attribute no claim".into());
                RelayFinding {
                    party: None,
                    why: None,
                    note: Some(format!("{why}; {notes}: not a relay")),
                }
            }
            None => RelayFinding {
                party: None,
                why: None,
                note: several.map(|s| format!("{s}; source names no officials: not a relay")),
            },
        }
    }
}

/// Outcome of mapping an ACLED row.
pub enum Mapped {
    /// A report.
    Report(Box<Report>),
    /// Skipped, with the reason.
    Skip(String),
}

/// What an ACLED row maps to (see the module docs).
pub fn map(
    cols: &Columns,
    rec: &ByteRecord,
    actors: &ActorMap,
    relays: &Relays,
) -> Result<Mapped, String> {
    let g = |n: &str| cols.get(rec, n);
    let id = Id::new(&g("event_id_cnty")?.to_ascii_lowercase())
        .map_err(|e| format!("field `event_id_cnty`: {e}"))?;
    let day = date(g("event_date")?).map_err(|e| format!("field `event_date`: {e}"))?;
    let d0 = midnight(day)?;
    let days = |n: i64| jiff::SignedDuration::from_hours(24 * n);
    let time = match g("time_precision")? {
        "1" => Interval {
            start: d0,
            end: Time(d0.0 + days(1)),
        },
        "2" => Interval {
            start: Time(d0.0 - days(3)),
            end: Time(d0.0 + days(4)),
        },
        "3" => {
            let first = day.first_of_month();
            let next = first
                .checked_add(jiff::Span::new().months(1))
                .map_err(|e| e.to_string())?;
            Interval {
                start: midnight(first)?,
                end: midnight(next)?,
            }
        }
        other => {
            return Err(format!(
                "field `time_precision`: {other:?} is not 1, 2 or 3"
            ))
        }
    };
    let uncertainty_m = match g("geo_precision")? {
        "1" => 2_000,
        "2" => 25_000,
        "3" => 100_000,
        other => return Err(format!("field `geo_precision`: {other:?} is not 1, 2 or 3")),
    };
    let point = position(cols.num(rec, "latitude")?, cols.num(rec, "longitude")?)?;
    let revision: i64 = g("timestamp")?.parse().map_err(|_| {
        format!(
            "field `timestamp`: {:?} is not Unix seconds",
            g("timestamp").unwrap_or("")
        )
    })?;
    let act = match act_for(g("event_type")?, g("sub_event_type")?) {
        Ok(a) => a,
        Err(why) => return Ok(Mapped::Skip(why)),
    };
    let mut attributes = BTreeMap::new();
    for n in [
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "actor2",
        "assoc_actor_2",
        "civilian_targeting",
        "country",
        "admin1",
        "admin2",
        "source",
        "source_scale",
        "fatalities",
        "tags",
        "time_precision",
        "geo_precision",
        "disorder_type",
    ] {
        let v = g(n)?;
        if !v.is_empty() {
            attributes.insert(n.to_string(), v.to_string());
        }
    }
    for n in ["inter1", "inter2"] {
        let v = g(n)?;
        if !v.is_empty() {
            attributes.insert(n.to_string(), inter_text(v));
        }
    }
    let relay = relays.judge(g("source")?, g("notes")?);
    if let Some(why) = &relay.why {
        attributes.insert("relayed_by_rule".to_string(), why.clone());
    }
    if let Some(note) = &relay.note {
        attributes.insert("relay_note".to_string(), note.clone());
    }
    // Battles name two participants, not a perpetrator.
    let alleged_perpetrator = if g("event_type")?.eq_ignore_ascii_case("battles") {
        None
    } else {
        actors.party(g("actor1")?)
    };
    let place = [g("location")?, g("admin1")?]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Mapped::Report(Box::new(Report {
        id,
        time,
        location: Location {
            point,
            uncertainty_m,
            place,
        },
        act,
        denies: Vec::new(),
        relays: relay.party,
        alleged_perpetrator,
        target_category: None,
        evidence: Vec::new(),
        text: g("notes")?.to_string(),
        illustrative: false,
        kind: None,
        vessel: None,
        weapon: None,
        observation: None,
        fire_from: None,
        revision: Some(revision),
        attributes,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_the_original_text_of_a_match() {
        let f = fold("SYNTHETIC:  Russia\u{2019}s   Ministry of DEFENSE reported hits");
        assert!(f.text.contains("russia's ministry of defence reported"));
        let i = words(&f.text, "russia's ministry of defence")
            .next()
            .unwrap();
        let j = i + "russia's ministry of defence".len();
        let end = cue_after(&f.text, j).unwrap();
        assert_eq!(
            f.original(i, end),
            "Russia\u{2019}s   Ministry of DEFENSE reported"
        );
        assert_eq!(words("the russian model", "russian mod").count(), 0);
        assert_eq!(cue_before("as per the russian mod", 11), Some(0));
        assert_eq!(cue_before("desperate russian mod", 10), None);
    }
}
