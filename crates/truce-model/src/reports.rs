//! The report store: every report the ledger holds, in compact typed rows.
//!
//! A log of a million sensor detections holds a million reports; keeping each as its full value
//! (attributes, text, evidence, strings for every identifier) costs over a kilobyte a report.
//! The store keeps, per report, what the engine and the filters read — log index, entry id
//! (32 bytes), author (interned), report id (in one arena), act, point, uncertainty, start and
//! end, the static-source flag the engine reads from FIRMS `type`, and, only for reports that have
//! them, target, alleged perpetrator, relayed and denied parties, revision and evidence hashes —
//! in fixed-size rows, with two hash indexes: by (author, report id) and by entry id.
//!
//! The full value of a bulk record (a report under a manifest) is not kept: it is in the log at
//! its index, and [`ReportRef::record`] reads it through the caller's storage. Signed reports
//! (entered one by one) are kept whole, as is the value of any report a correction replaced.
//!
//! Rows are appended in log order and never removed: a later revision of a report appends a row
//! and marks the earlier one superseded (its entry stays known by id, as every accepted entry
//! does), so the current reports in log order are the rows not superseded, in order.

use crate::canonical::{children, kind, Tok};
use crate::domain::{Act, Id, Interval, Location, Report};
use crate::ledger::Record;
use crate::taxonomy::Category;
use crate::time::Time;
use serde::Deserialize;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// No row, no name, no extra.
const NONE: u32 = u32::MAX;

/// A later revision of the same (author, id) exists.
const SUPERSEDED: u8 = 1;
/// Retracted by its author.
const RETRACTED: u8 = 2;
/// Its full record is kept in memory (`held`).
const HELD: u8 = 4;
/// A bulk record corrected or retracted: see `amended`.
const AMENDED: u8 = 8;
/// Marked by its source as a static land source (FIRMS VIIRS `type` 2).
const STATIC: u8 = 16;

/// One report's row.
#[derive(Debug, Clone, Copy)]
struct Row {
    index: u64,
    entry_id: [u8; 32],
    point: [f64; 2],
    start: i64,
    end: i64,
    /// Offset of the report id in `ids`.
    id_at: u64,
    author: u32,
    /// Index in `extras`, or `NONE`.
    extra: u32,
    uncertainty_m: u32,
    id_len: u8,
    act: Act,
    flags: u8,
}

/// What only some reports have.
#[derive(Debug, Clone, Default, PartialEq)]
struct Extra {
    perpetrator: Option<u32>,
    relays: Option<u32>,
    denies: Vec<u32>,
    target: Option<Category>,
    revision: Option<i64>,
    evidence: Vec<String>,
    /// Sub-second parts of start and end.
    nanos: [i32; 2],
}

/// A bulk record's amendments: its retraction's reason, its corrections' reasons and the value
/// the last correction gave it.
#[derive(Debug, Clone, Default)]
struct Amended {
    retracted: Option<String>,
    corrections: Vec<String>,
    value: Option<Report>,
}

/// A 32-bit hash → rows multimap: one row per hash in `first`, the rare others in `more`. The
/// caller tells a row's key by looking at the row.
#[derive(Debug, Clone, Default)]
struct HashIndex {
    first: HashMap<u32, u32, BuildHasherDefault<Spread>>,
    more: HashMap<u32, Vec<u32>, BuildHasherDefault<Spread>>,
}

impl HashIndex {
    fn find(&self, h: u32, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        let r = *self.first.get(&h)?;
        if is(r) {
            return Some(r);
        }
        self.more.get(&h)?.iter().copied().find(|&r| is(r))
    }

    /// Adds a row whose key is not in the index.
    fn insert(&mut self, h: u32, row: u32) {
        match self.first.entry(h) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(row);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(h).or_default().push(row)
            }
        }
    }

    /// Points the key at `old` to `new`.
    fn replace(&mut self, h: u32, old: u32, new: u32) {
        match self.first.get_mut(&h) {
            Some(r) if *r == old => *r = new,
            _ => {
                for r in self.more.get_mut(&h).into_iter().flatten() {
                    if *r == old {
                        *r = new;
                    }
                }
            }
        }
    }
}

/// Spreads a 32-bit hash (already uniform) over 64 bits for the table.
#[derive(Default)]
struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u32(&mut self, x: u32) {
        self.0 = u64::from(x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Party ids, each once, by number.
#[derive(Debug, Clone, Default)]
struct Names {
    ids: Vec<Id>,
    at: HashMap<Id, u32>,
}

impl Names {
    fn intern(&mut self, id: &Id) -> u32 {
        if let Some(n) = self.at.get(id) {
            return *n;
        }
        let n = self.ids.len() as u32;
        self.ids.push(id.clone());
        self.at.insert(id.clone(), n);
        n
    }
    fn find(&self, id: &Id) -> Option<u32> {
        self.at.get(id).copied()
    }
    fn get(&self, n: u32) -> &Id {
        &self.ids[n as usize]
    }
}

/// A report id held inline (an [`Id`] is at most 64 bytes): a bulk report decoded on one thread
/// and applied on another allocates nothing for its id.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShortId {
    len: u8,
    bytes: [u8; 64],
}

impl ShortId {
    /// `s` when it is a valid identifier ([`Id::new`]'s rule).
    pub fn new(s: &str) -> Option<ShortId> {
        if !Id::is_valid(s) {
            return None;
        }
        let mut bytes = [0u8; 64];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(ShortId {
            len: s.len() as u8,
            bytes,
        })
    }

    /// The identifier's text.
    pub fn as_str(&self) -> &str {
        // Validated ASCII.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for ShortId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Id({:?})", self.as_str())
    }
}

/// What the store keeps of a report's value: every field the engine, the filters and the rules
/// read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lean {
    pub id: ShortId,
    pub act: Act,
    pub static_source: bool,
    pub uncertainty_m: u32,
    pub point: [f64; 2],
    pub time: Interval,
    /// What only some reports have, boxed so a sensor detection moves light between threads.
    pub more: Option<Box<More>>,
}

/// The fields of a report only some reports have.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct More {
    pub perpetrator: Option<Id>,
    pub relays: Option<Id>,
    pub denies: Vec<Id>,
    pub target: Option<Category>,
    pub revision: Option<i64>,
    pub evidence: Vec<String>,
}

impl More {
    /// Boxed, or `None` when it holds nothing.
    fn boxed(self) -> Option<Box<More>> {
        (self != More::default()).then(|| Box::new(self))
    }
}

impl Lean {
    /// What the store keeps of `r`.
    pub fn of(r: &Report) -> Lean {
        Lean {
            id: ShortId::new(r.id.as_str()).unwrap_or(ShortId {
                len: 0,
                bytes: [0; 64],
            }),
            act: r.act,
            static_source: r.attributes.get("type").map(String::as_str) == Some("2"),
            uncertainty_m: r.location.uncertainty_m,
            point: [r.location.point.lon(), r.location.point.lat()],
            time: r.time.clone(),
            more: More {
                perpetrator: r.alleged_perpetrator.clone(),
                relays: r.relays.clone(),
                denies: r.denies.clone(),
                target: r.target_category.clone(),
                revision: r.revision,
                evidence: r.evidence.clone(),
            }
            .boxed(),
        }
    }

    fn more(&self) -> &More {
        static NONE: More = More {
            perpetrator: None,
            relays: None,
            denies: Vec::new(),
            target: None,
            revision: None,
            evidence: Vec::new(),
        };
        self.more.as_deref().unwrap_or(&NONE)
    }

    /// Who is alleged to have done it.
    pub fn perpetrator(&self) -> Option<&Id> {
        self.more().perpetrator.as_ref()
    }

    /// Whose claim it relays.
    pub fn relays(&self) -> Option<&Id> {
        self.more().relays.as_ref()
    }

    /// Parties it says did not do it.
    pub fn denies(&self) -> &[Id] {
        &self.more().denies
    }

    /// The kind of target hit.
    pub fn target(&self) -> Option<&Category> {
        self.more().target.as_ref()
    }

    /// The source record's version.
    pub fn revision(&self) -> Option<i64> {
        self.more().revision
    }

    /// Evidence hashes.
    pub fn evidence(&self) -> &[String] {
        &self.more().evidence
    }

    /// Reads a report body's JSON bytes into what the store keeps, checking every field exactly
    /// as reading a [`Report`] does (the same field types, defaults and unknown-field refusal),
    /// without keeping the attributes (only whether `type` is `"2"`) or the text.
    pub fn from_json(bytes: &[u8]) -> Option<Lean> {
        let b: LeanBody<'_> = serde_json::from_slice(bytes).ok()?;
        let _ = (b.illustrative, b.text, b.location.place);
        Some(Lean {
            id: ShortId::new(b.id.as_str())?,
            act: b.act,
            static_source: b.attributes.0,
            uncertainty_m: b.location.uncertainty_m,
            point: [b.location.point.lon(), b.location.point.lat()],
            time: b.time,
            more: More {
                perpetrator: b.alleged_perpetrator,
                relays: b.relays,
                denies: b.denies,
                target: b.target_category,
                revision: b.revision,
                evidence: b.evidence,
            }
            .boxed(),
        })
    }
}

impl Lean {
    /// Reads a report body from its canonical tokens ([`crate::canonical::scan`]), `body` its
    /// first: the same value [`Lean::from_json`] reads, without `serde_json`. `None` whenever
    /// anything is not the plain case (an escape where a value is kept, a time written other
    /// than `YYYY-MM-DDTHH:MM:SSZ`, a value of an unexpected type, an unknown field…): the caller
    /// then reads the body with [`Lean::from_json`], which decides.
    pub fn from_tape(bytes: &[u8], tape: &[Tok], body: usize) -> Option<Lean> {
        if tape.get(body)?.kind != kind::OBJ {
            return None;
        }
        let text = |t: usize| tape.get(t)?.plain(bytes);
        let id_at = |t: usize| Id::new(text(t)?).ok();
        let opt_id = |t: usize| -> Option<Option<Id>> {
            match tape.get(t)?.kind {
                kind::NULL => Some(None),
                _ => Some(Some(id_at(t)?)),
            }
        };
        let string = |t: usize| matches!(tape.get(t).map(|t| t.kind), Some(kind::STR | kind::ESC));
        let (mut act, mut id, mut point, mut time) = (None, None, None, None);
        let mut lean = Lean {
            id: ShortId {
                len: 0,
                bytes: [0; 64],
            },
            act: Act::Strike,
            static_source: false,
            uncertainty_m: 0,
            point: [0.0; 2],
            time: Interval {
                start: Time(jiff::Timestamp::UNIX_EPOCH),
                end: Time(jiff::Timestamp::UNIX_EPOCH),
            },
            more: None,
        };
        let mut more = More::default();
        for (k, v) in children(tape, body) {
            let key = &bytes[tape[k].start as usize + 1..tape[k].end as usize - 1];
            match key {
                b"act" => act = Some(Act::named(text(v)?)?),
                b"alleged_perpetrator" => more.perpetrator = opt_id(v)?,
                b"attributes" => {
                    if tape[v].kind != kind::OBJ {
                        return None;
                    }
                    for (ak, av) in children(tape, v) {
                        if !string(av) {
                            return None;
                        }
                        let name = &bytes[tape[ak].start as usize + 1..tape[ak].end as usize - 1];
                        if name == b"type" {
                            lean.static_source = text(av) == Some("2");
                        }
                    }
                }
                b"denies" => {
                    if tape[v].kind != kind::ARR {
                        return None;
                    }
                    for (_, d) in children(tape, v) {
                        more.denies.push(id_at(d)?);
                    }
                }
                b"evidence" => {
                    if tape[v].kind != kind::ARR {
                        return None;
                    }
                    for (_, e) in children(tape, v) {
                        more.evidence.push(text(e)?.to_string());
                    }
                }
                b"id" => id = Some(ShortId::new(text(v)?)?),
                b"illustrative" => {
                    if !matches!(tape[v].kind, kind::TRUE | kind::FALSE) {
                        return None;
                    }
                }
                b"location" => {
                    if tape[v].kind != kind::OBJ {
                        return None;
                    }
                    for (lk, lv) in children(tape, v) {
                        match &bytes[tape[lk].start as usize + 1..tape[lk].end as usize - 1] {
                            b"place" if string(lv) => {}
                            b"point" if tape[lv].kind == kind::ARR => {
                                let mut xy = children(tape, lv).map(|(_, n)| {
                                    (tape[n].kind == kind::NUM)
                                        .then(|| crate::canonical::number(&bytes[tape[n].span()]))
                                        .flatten()
                                });
                                let (x, y) = (xy.next()??, xy.next()??);
                                if xy.next().is_some() {
                                    return None;
                                }
                                let p = crate::geo::Point::new(x, y).ok()?;
                                point = Some([p.lon(), p.lat()]);
                            }
                            b"uncertainty_m" if tape[lv].kind == kind::NUM => {
                                lean.uncertainty_m = std::str::from_utf8(&bytes[tape[lv].span()])
                                    .ok()?
                                    .parse()
                                    .ok()
                                    .filter(|_| bytes[tape[lv].start as usize].is_ascii_digit())?;
                            }
                            _ => return None,
                        }
                    }
                }
                b"relays" => more.relays = opt_id(v)?,
                b"revision" => {
                    more.revision = match tape[v].kind {
                        kind::NULL => None,
                        kind::NUM => Some(
                            std::str::from_utf8(&bytes[tape[v].span()])
                                .ok()?
                                .parse()
                                .ok()?,
                        ),
                        _ => return None,
                    }
                }
                b"target_category" => {
                    more.target = match tape[v].kind {
                        kind::NULL => None,
                        _ => Some(Category::new(text(v)?).ok()?),
                    }
                }
                b"text" if string(v) => {}
                b"time" => {
                    if tape[v].kind != kind::OBJ {
                        return None;
                    }
                    let (mut start, mut end) = (None, None);
                    for (tk, tv) in children(tape, v) {
                        match &bytes[tape[tk].start as usize + 1..tape[tk].end as usize - 1] {
                            b"start" => start = Some(utc_second(text(tv)?)?),
                            b"end" if tape[tv].kind == kind::NULL => {}
                            b"end" => end = Some(utc_second(text(tv)?)?),
                            _ => return None,
                        }
                    }
                    let start = start?;
                    let end = end.unwrap_or(start);
                    if end < start {
                        return None;
                    }
                    time = Some(Interval { start, end });
                }
                _ => return None,
            }
        }
        (lean.act, lean.id, lean.point, lean.time) = (act?, id?, point?, time?);
        lean.more = more.boxed();
        Some(lean)
    }
}

/// An act by its name (as `Act` reads it, kebab-case).
/// A time written exactly `YYYY-MM-DDTHH:MM:SSZ` (years 1000-8999, a valid date, no leap
/// second): the instant [`Time::parse`] reads, computed directly. `None` for anything else
/// (the caller then lets [`Time::parse`] decide).
fn utc_second(s: &str) -> Option<Time> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1000..=8999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > month_days[(m - 1) as usize]
        || h > 23
        || mi > 59
        || sec > 59
    {
        return None;
    }
    // Days from 1970-01-01 (proleptic Gregorian; H. Hinnant's days_from_civil).
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    jiff::Timestamp::from_second(days * 86_400 + h * 3600 + mi * 60 + sec)
        .ok()
        .map(Time)
}

/// [`Report`]'s fields with the same types and serde attributes, except the attributes (read as a
/// map of strings, only `type` looked at) and the text (a string, borrowed where it can be).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeanBody<'a> {
    act: Act,
    #[serde(default)]
    alleged_perpetrator: Option<Id>,
    #[serde(default)]
    attributes: StaticType,
    #[serde(default)]
    denies: Vec<Id>,
    #[serde(default)]
    evidence: Vec<String>,
    id: Id,
    #[serde(default)]
    illustrative: bool,
    location: Location,
    #[serde(default)]
    relays: Option<Id>,
    #[serde(default)]
    revision: Option<i64>,
    #[serde(default)]
    target_category: Option<Category>,
    #[serde(default, borrow)]
    text: std::borrow::Cow<'a, str>,
    time: Interval,
}

/// A map of strings to strings (as `BTreeMap<String, String>` reads it), remembering only
/// whether `type` is `"2"`.
#[derive(Default)]
struct StaticType(bool);

impl<'de> Deserialize<'de> for StaticType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StaticType;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<StaticType, A::Error> {
                // A repeated key keeps its last value, as a map does.
                let mut flag = false;
                while let Some((k, v)) = m.next_entry::<Str, Str>()? {
                    if k.0 {
                        flag = v.1;
                    }
                }
                Ok(StaticType(flag))
            }
        }
        d.deserialize_map(V)
    }
}

/// A string (as `String` reads it), remembering only whether it is `type` and whether it is
/// `2`.
struct Str(bool, bool);

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Str;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Str, E> {
                Ok(Str(s == "type", s == "2"))
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Str, E> {
                match std::str::from_utf8(b) {
                    Ok(s) => self.visit_str(s),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(b), &self)),
                }
            }
        }
        d.deserialize_string(V)
    }
}

/// Why a report's full record could not be read from the log.
#[derive(Debug, thiserror::Error)]
pub enum FromLog<E> {
    /// The caller's storage failed.
    #[error("reading entry {0}: {1}")]
    Read(u64, E),
    /// The entry at the report's index is not the report (another log, or a damaged one).
    #[error("entry {0} is not the report the ledger replayed there")]
    Mismatch(u64),
}

/// Every report the ledger holds: compact rows, indexed by (author, report id) and by entry id.
#[derive(Clone, Default)]
pub struct ReportStore {
    rows: Vec<Row>,
    /// Report ids, one after another.
    ids: Vec<u8>,
    names: Names,
    extras: Vec<Extra>,
    by_key: HashIndex,
    by_entry: HashIndex,
    keys: std::hash::RandomState,
    /// Full records of signed reports, by row.
    held: HashMap<u32, Record<Report>>,
    /// Amendments of bulk records, by row.
    amended: HashMap<u32, Amended>,
    /// Rows not superseded.
    live: usize,
}

impl ReportStore {
    /// How many reports: one per (author, report id), its latest revision, retracted included.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every report's latest revision, retracted included, in log order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = ReportRef<'_>> + '_ {
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.flags & SUPERSEDED == 0)
            .map(move |(n, _)| ReportRef {
                store: self,
                row: n as u32,
            })
    }

    /// The latest revision of `author`'s report `id`.
    pub fn get(&self, author: &Id, id: &str) -> Option<ReportRef<'_>> {
        let a = self.names.find(author)?;
        let n = self
            .by_key
            .find(self.key_hash(a, id), |n| self.is_key(n, a, id))?;
        Some(ReportRef {
            store: self,
            row: n,
        })
    }

    /// Whether `author` has a report `id`.
    pub fn contains(&self, author: &Id, id: &str) -> bool {
        self.get(author, id).is_some()
    }

    /// The report entry with this id (its 32 bytes), whichever revision it is.
    pub(crate) fn entry(&self, digest: &[u8; 32]) -> Option<ReportRef<'_>> {
        let n = self.by_entry.find(digest_hash(digest), |n| {
            &self.rows[n as usize].entry_id == digest
        })?;
        Some(ReportRef {
            store: self,
            row: n,
        })
    }

    /// Report entries accepted, every revision counted.
    pub(crate) fn entries(&self) -> usize {
        self.rows.len()
    }

    fn key_hash(&self, author: u32, id: &str) -> u32 {
        self.keys.hash_one((author, id)) as u32
    }

    fn is_key(&self, n: u32, author: u32, id: &str) -> bool {
        let r = &self.rows[n as usize];
        r.author == author && self.id_of(r) == id
    }

    fn id_of(&self, r: &Row) -> &str {
        let at = r.id_at as usize;
        // Report ids are validated `Id`s: ASCII.
        std::str::from_utf8(&self.ids[at..at + usize::from(r.id_len)]).unwrap_or_default()
    }

    fn extra_of(&self, r: &Row) -> Option<&Extra> {
        self.extras.get(r.extra as usize)
    }

    /// Adds a report (a new one or a later revision of one), accepted at `index` in the entry
    /// whose SHA-256 is `digest`; `held` is its full record when it is to be kept in memory.
    ///
    /// `known`: the row of its (author, id) when the caller has just looked it up
    /// ([`ReportStore::get`]; `Some(None)`: none), so it is not looked up twice.
    pub(crate) fn insert(
        &mut self,
        index: u64,
        digest: [u8; 32],
        author: &Id,
        lean: Lean,
        held: Option<Record<Report>>,
        known: Option<Option<u32>>,
    ) {
        let a = self.names.intern(author);
        let h = self.key_hash(a, lean.id.as_str());
        let old = match known {
            Some(old) => old,
            None => self.by_key.find(h, |n| self.is_key(n, a, lean.id.as_str())),
        };
        let n = self.rows.len() as u32;
        let id_at = self.ids.len() as u64;
        self.ids.extend_from_slice(lean.id.as_str().as_bytes());
        let mut row = Row {
            index,
            entry_id: digest,
            point: [0.0; 2],
            start: 0,
            end: 0,
            id_at,
            author: a,
            extra: NONE,
            uncertainty_m: 0,
            // An `Id` is at most 64 bytes.
            id_len: lean.id.as_str().len() as u8,
            act: lean.act,
            flags: 0,
        };
        self.set_values(&mut row, &lean);
        if let Some(rec) = held {
            row.flags |= HELD;
            self.held.insert(n, rec);
        }
        self.rows.push(row);
        self.by_entry.insert(digest_hash(&digest), n);
        match old {
            Some(o) => {
                self.rows[o as usize].flags |= SUPERSEDED;
                self.held.remove(&o);
                self.amended.remove(&o);
                self.by_key.replace(h, o, n);
            }
            None => {
                self.by_key.insert(h, n);
                self.live += 1;
            }
        }
    }

    /// Writes a value's fields into a row (a new one, or a corrected one).
    fn set_values(&mut self, row: &mut Row, v: &Lean) {
        row.act = v.act;
        row.point = v.point;
        row.uncertainty_m = v.uncertainty_m;
        row.start = v.time.start.0.as_second();
        row.end = v.time.end.0.as_second();
        row.flags = (row.flags & !STATIC) | if v.static_source { STATIC } else { 0 };
        let extra = Extra {
            perpetrator: v.perpetrator().map(|p| self.names.intern(p)),
            relays: v.relays().map(|p| self.names.intern(p)),
            denies: v.denies().iter().map(|p| self.names.intern(p)).collect(),
            target: v.target().cloned(),
            revision: v.revision(),
            evidence: v.evidence().to_vec(),
            nanos: [
                v.time.start.0.subsec_nanosecond(),
                v.time.end.0.subsec_nanosecond(),
            ],
        };
        if extra == Extra::default() {
            row.extra = NONE;
        } else if let Some(e) = self.extras.get_mut(row.extra as usize) {
            *e = extra;
        } else {
            row.extra = self.extras.len() as u32;
            self.extras.push(extra);
        }
    }

    /// Retracts the report at `row`.
    pub(crate) fn retract(&mut self, row: u32, reason: &str) {
        let Some(r) = self.rows.get_mut(row as usize) else {
            return;
        };
        r.flags |= RETRACTED;
        if r.flags & HELD != 0 {
            if let Some(rec) = self.held.get_mut(&row) {
                rec.retracted = Some(reason.to_string());
            }
        } else {
            r.flags |= AMENDED;
            self.amended.entry(row).or_default().retracted = Some(reason.to_string());
        }
    }

    /// Replaces the value of the report at `row` by a correction's.
    pub(crate) fn correct(&mut self, row: u32, value: Report, reason: &str) {
        let Some(mut r) = self.rows.get(row as usize).copied() else {
            return;
        };
        self.set_values(&mut r, &Lean::of(&value));
        if r.flags & HELD != 0 {
            if let Some(rec) = self.held.get_mut(&row) {
                rec.value = value;
                rec.corrections.push(reason.to_string());
            }
        } else {
            r.flags |= AMENDED;
            let a = self.amended.entry(row).or_default();
            a.value = Some(value);
            a.corrections.push(reason.to_string());
        }
        self.rows[row as usize] = r;
    }
}

fn digest_hash(d: &[u8; 32]) -> u32 {
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

/// One report of the store: its row, read through accessors.
#[derive(Clone, Copy)]
pub struct ReportRef<'a> {
    store: &'a ReportStore,
    row: u32,
}

impl<'a> ReportRef<'a> {
    fn r(&self) -> &'a Row {
        &self.store.rows[self.row as usize]
    }

    fn extra(&self) -> Option<&'a Extra> {
        self.store.extra_of(self.r())
    }

    /// The row's number in the store (stable for the store's life).
    pub(crate) fn row(&self) -> u32 {
        self.row
    }

    /// Log index of the entry (of this revision).
    pub fn index(&self) -> u64 {
        self.r().index
    }

    /// The entry id's 32 bytes (SHA-256 of the entry).
    pub fn entry_digest(&self) -> &'a [u8; 32] {
        &self.r().entry_id
    }

    /// The entry id (lowercase hex SHA-256).
    pub fn entry_id(&self) -> String {
        crate::entry::hex(&self.r().entry_id)
    }

    /// Whether this is the latest revision of its (author, id).
    pub fn is_current(&self) -> bool {
        self.r().flags & SUPERSEDED == 0
    }

    /// The author.
    pub fn author(&self) -> &'a Id {
        self.store.names.get(self.r().author)
    }

    /// The report's id (unique per author).
    pub fn id(&self) -> &'a str {
        self.store.id_of(self.r())
    }

    /// The report's id as an [`Id`].
    pub fn id_owned(&self) -> Id {
        Id::valid(self.id())
    }

    /// What happened.
    pub fn act(&self) -> Act {
        self.r().act
    }

    /// Position `[lon, lat]`.
    pub fn point(&self) -> [f64; 2] {
        self.r().point
    }

    /// Location uncertainty, metres.
    pub fn uncertainty_m(&self) -> u32 {
        self.r().uncertainty_m
    }

    /// Earliest time, unix seconds.
    pub fn start_second(&self) -> i64 {
        self.r().start
    }

    /// Latest time, unix seconds.
    pub fn end_second(&self) -> i64 {
        self.r().end
    }

    /// Earliest time.
    pub fn start(&self) -> Time {
        let ns = self.extra().map_or(0, |e| e.nanos[0]);
        Time(jiff::Timestamp::new(self.r().start, ns).unwrap_or_default())
    }

    /// Latest time.
    pub fn end(&self) -> Time {
        let ns = self.extra().map_or(0, |e| e.nanos[1]);
        Time(jiff::Timestamp::new(self.r().end, ns).unwrap_or_default())
    }

    /// The kind of target hit, as reported.
    pub fn target(&self) -> Option<&'a Category> {
        self.extra()?.target.as_ref()
    }

    /// Who is alleged to have done it.
    pub fn perpetrator(&self) -> Option<&'a Id> {
        Some(self.store.names.get(self.extra()?.perpetrator?))
    }

    /// Whose claim it relays, if not the author's own.
    pub fn relays(&self) -> Option<&'a Id> {
        Some(self.store.names.get(self.extra()?.relays?))
    }

    /// Parties it says did not do it.
    pub fn denies(&self) -> impl ExactSizeIterator<Item = &'a Id> + 'a {
        let names = &self.store.names;
        self.extra()
            .map_or(&[][..], |e| e.denies.as_slice())
            .iter()
            .map(move |n| names.get(*n))
    }

    /// SHA-256 hashes (hex) of evidence held outside the log.
    pub fn evidence(&self) -> &'a [String] {
        self.extra().map_or(&[][..], |e| e.evidence.as_slice())
    }

    /// The source record's version, if it states one.
    pub fn revision(&self) -> Option<i64> {
        self.extra()?.revision
    }

    /// Marked by the source as a static land source (FIRMS VIIRS `type` 2).
    pub fn static_source(&self) -> bool {
        self.r().flags & STATIC != 0
    }

    /// The retraction's reason, when retracted.
    pub fn retracted(&self) -> Option<&'a str> {
        let r = self.r();
        if r.flags & RETRACTED == 0 {
            return None;
        }
        let held = self
            .store
            .held
            .get(&self.row)
            .and_then(|h| h.retracted.as_deref());
        let amended = self.store.amended.get(&self.row);
        held.or_else(|| amended.and_then(|a| a.retracted.as_deref()))
    }

    /// The reasons of the corrections applied, in order.
    pub fn corrections(&self) -> &'a [String] {
        if let Some(h) = self.store.held.get(&self.row) {
            return &h.corrections;
        }
        self.store
            .amended
            .get(&self.row)
            .map_or(&[][..], |a| a.corrections.as_slice())
    }

    /// The full record, when it is kept in memory: a signed report's.
    pub fn held(&self) -> Option<&'a Record<Report>> {
        self.store.held.get(&self.row)
    }

    /// The full record: kept in memory for a signed report; for a bulk record read from the log
    /// at its index by `read` (the entry's bytes), checked against the entry id, and given the
    /// ledger's retraction and corrections.
    pub fn record<E>(
        &self,
        read: impl FnOnce(u64) -> Result<Vec<u8>, E>,
    ) -> Result<Record<Report>, FromLog<E>> {
        if let Some(h) = self.held() {
            return Ok(h.clone());
        }
        let r = self.r();
        let bytes = read(r.index).map_err(|e| FromLog::Read(r.index, e))?;
        let digest: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
            <sha2::Sha256 as sha2::Digest>::new(),
            &bytes,
        ))
        .into();
        if digest != r.entry_id {
            return Err(FromLog::Mismatch(r.index));
        }
        let env = crate::entry::decode(&bytes).map_err(|_| FromLog::Mismatch(r.index))?;
        let crate::entry::Body::Report(value) = env.body else {
            return Err(FromLog::Mismatch(r.index));
        };
        let amended = self.store.amended.get(&self.row);
        Ok(Record {
            index: r.index,
            entry_id: env.id,
            author: env.author,
            time: env.time,
            key: env.key,
            value: amended.and_then(|a| a.value.clone()).unwrap_or(value),
            retracted: self.retracted().map(String::from),
            corrections: self.corrections().to_vec(),
        })
    }
}

impl std::fmt::Debug for ReportRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Report");
        d.field("index", &self.index())
            .field("entry_id", &self.entry_id())
            .field("author", self.author())
            .field("id", &self.id())
            .field("act", &self.act())
            .field("point", &self.point())
            .field("uncertainty_m", &self.uncertainty_m())
            .field("start", &self.start())
            .field("end", &self.end())
            .field("target", &self.target())
            .field("perpetrator", &self.perpetrator())
            .field("relays", &self.relays())
            .field("denies", &self.denies().collect::<Vec<_>>())
            .field("revision", &self.revision())
            .field("evidence", &self.evidence())
            .field("static_source", &self.static_source())
            .field("retracted", &self.retracted())
            .field("corrections", &self.corrections());
        if let Some(h) = self.held() {
            d.field("held", h);
        }
        if let Some(v) = self
            .store
            .amended
            .get(&self.row)
            .and_then(|a| a.value.as_ref())
        {
            d.field("corrected", v);
        }
        d.finish()
    }
}

impl std::fmt::Debug for ReportStore {
    /// The reports in log order (a deterministic text: two stores that hold the same reports
    /// print the same).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report(
        id: &str,
        rev: Option<i64>,
        perp: Option<&str>,
        start: &str,
        attrs: &[(&str, &str)],
    ) -> Report {
        serde_json::from_value(serde_json::json!({
            "id": id, "time": {"start": start}, "act": "shelling",
            "location": {"point": [35.0, 51.0], "uncertainty_m": 100},
            "alleged_perpetrator": perp, "revision": rev,
            "attributes": attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<std::collections::BTreeMap<_, _>>(),
        }))
        .unwrap()
    }

    #[test]
    fn the_lean_read_keeps_what_the_full_read_gives() {
        let r = report(
            "r-1",
            Some(3),
            Some("ru"),
            "2025-03-20T20:22:00.25Z",
            &[("type", "2"), ("frp", "1")],
        );
        let bytes = serde_json::to_vec(&r).unwrap();
        assert_eq!(Lean::from_json(&bytes), Some(Lean::of(&r)));
        assert!(Lean::of(&r).static_source);
        // What the full read refuses, the lean read refuses.
        for bad in [
            r#"{"act":"shelling","id":"a","location":{"point":[1,2]},"time":{"start":"2025-03-20T20:22:00Z"},"attributes":{"type":2}}"#,
            r#"{"act":"shelling","id":"a","location":{"point":[1,2]},"time":{"start":"2025-03-20T20:22:00Z"},"text":3}"#,
            r#"{"act":"shelling","id":"a","location":{"point":[1,2]},"time":{"start":"2025-03-20T20:22:00Z"},"other":1}"#,
            r#"{"act":"shelling","id":"A","location":{"point":[1,2]},"time":{"start":"2025-03-20T20:22:00Z"}}"#,
            r#"{"act":"shelling","id":"a","location":{"point":[1,2]},"time":{"start":"2025-03-20T20:22:00Z"},"attributes":null}"#,
        ] {
            assert!(serde_json::from_str::<Report>(bad).is_err(), "{bad}");
            assert_eq!(Lean::from_json(bad.as_bytes()), None, "{bad}");
        }
    }

    /// A report body's JSON with its fields drawn from plain and unusual values.
    fn arb_body() -> impl Strategy<Value = serde_json::Value> {
        let time = prop_oneof![
            8 => (1000i64..9000, 1u32..13, 1u32..29, 0u32..24, 0u32..60, 0u32..60).prop_map(
                |(y, m, d, h, mi, s)| format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
            ),
            1 => (1000i64..9000, 1u32..13, 1u32..32, 0u32..25, 0u32..61, 0u32..61).prop_map(
                |(y, m, d, h, mi, s)| format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
            ),
            1 => prop_oneof![
                Just("2025-03-20T20:22:00+03:00".to_string()),
                Just("2025-03-20T20:22:00.5Z".to_string()),
                Just("2025-02-29T00:00:00Z".to_string()),
                Just("2024-02-29T23:59:59Z".to_string()),
                Just("9999-12-31T23:59:59Z".to_string()),
            ],
        ];
        let num = prop_oneof![
            3 => (-90.0f64..90.0).prop_map(serde_json::Value::from),
            2 => (-90i64..90).prop_map(serde_json::Value::from),
            3 => (0u32..9_000_000, 0u32..7).prop_map(|(m, k)| serde_json::Value::from(f64::from(m) / 10f64.powi(k as i32))),
            1 => prop_oneof![
                Just(serde_json::Value::from(1e-7)),
                Just(serde_json::Value::from(-0.0)),
                Just(serde_json::Value::from(200.5)),
                Just(serde_json::Value::from("1")),
            ],
        ];
        (
            (time.clone(), proptest::option::of(time), prop_oneof![4 => Just("fire-observed"), 4 => Just("shelling"), 1 => Just("burning")]),
            (num.clone(), num, prop_oneof![6 => (0u32..100_000).prop_map(|u| serde_json::json!(u)), 1 => Just(serde_json::json!(-1)), 1 => Just(serde_json::json!(1.5)), 1 => Just(serde_json::json!(4294967296u64))]),
            (proptest::option::of(prop_oneof![Just("2"), Just("0"), Just("2\n")]), proptest::option::of(-5i64..5), any::<bool>(), 0u8..12),
        )
            .prop_map(|((start, end, act), (lon, lat, unc), (ty, rev, flag, extra))| {
                let mut attrs = serde_json::Map::new();
                attrs.insert("frp".into(), "1.5".into());
                if let Some(t) = ty {
                    attrs.insert("type".into(), t.into());
                }
                let mut body = serde_json::json!({
                    "act": act, "id": "n21-20250318-0006-47.66606-36.61977", "attributes": attrs,
                    "location": {"point": [lon, lat], "uncertainty_m": unc},
                    "time": {"start": start, "end": end}, "revision": rev,
                });
                let o = body.as_object_mut().unwrap();
                match extra {
                    0 => { o.insert("alleged_perpetrator".into(), "ru".into()); o.insert("denies".into(), serde_json::json!(["ua"])); }
                    1 => { o.insert("text".into(), "Ударом \"дрона\"".into()); o.insert("illustrative".into(), flag.into()); }
                    2 => { o.insert("target_category".into(), if flag { "energy.oil.refinery" } else { "energy.none" }.into()); }
                    3 => { o.insert("evidence".into(), serde_json::json!(["ab", "c\nd"])); }
                    4 => { o.insert("relays".into(), if flag { serde_json::Value::Null } else { "RU".into() }); }
                    5 => { o.insert("other".into(), 1.into()); }
                    6 => { o["location"]["place"] = if flag { "Sudzha".into() } else { serde_json::Value::Null }; }
                    7 => { o.insert("attributes".into(), serde_json::json!({"type": 2})); }
                    _ => {}
                }
                body
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Read from its tokens, a body gives what `serde_json` reads, or steps aside.
        #[test]
        fn the_tape_read_is_the_serde_read(body in arb_body(), at in any::<prop::sample::Index>(), byte in any::<u8>(), mutate in any::<bool>()) {
            let mut bytes = crate::entry::jcs(&body).unwrap();
            if mutate {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            let mut tape = Vec::new();
            if crate::canonical::scan(&bytes, &mut tape) {
                if let Some(lean) = Lean::from_tape(&bytes, &tape, 0) {
                    prop_assert_eq!(Some(lean), Lean::from_json(&bytes), "{}", String::from_utf8_lossy(&bytes));
                }
            }
        }

        /// A plain UTC time is read as `Time::parse` reads it; anything else is left to it.
        #[test]
        fn plain_times_read_as_jiff_reads_them(y in 0i64..10_000, m in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..61, sec in 0u32..62) {
            let s = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{sec:02}Z");
            if let Some(t) = utc_second(&s) {
                prop_assert_eq!(Ok(t), Time::parse(&s));
            }
        }

        /// A short decimal reads as `serde_json` reads it.
        #[test]
        fn short_decimals_read_as_serde_reads_them(m in 0u64..1_000_000_000_000_000, k in 0usize..17, neg in any::<bool>()) {
            let digits = m.to_string();
            let text = if k == 0 || k >= digits.len() { digits.clone() } else { format!("{}.{}", &digits[..digits.len() - k], &digits[digits.len() - k..]) };
            let text = if neg { format!("-{text}") } else { text };
            prop_assert_eq!(crate::canonical::number(text.as_bytes()), serde_json::from_str::<f64>(&text).ok(), "{}", text);
        }
    }

    #[test]
    fn the_plain_cases_are_read_from_the_tape() {
        let r = report(
            "r-1",
            Some(3),
            Some("ru"),
            "2025-03-20T20:22:00Z",
            &[("type", "2")],
        );
        let bytes = crate::entry::jcs(&serde_json::to_value(&r).unwrap()).unwrap();
        let mut tape = Vec::new();
        assert!(crate::canonical::scan(&bytes, &mut tape));
        assert_eq!(Lean::from_tape(&bytes, &tape, 0), Some(Lean::of(&r)));
        assert_eq!(
            utc_second("2024-02-29T23:59:59Z"),
            Time::parse("2024-02-29T23:59:59Z").ok()
        );
        assert_eq!(utc_second("2025-02-29T00:00:00Z"), None);
    }

    proptest! {
        /// The store answers as a map from (author, id) to the latest record would: after any
        /// sequence of reports, revisions, retractions and corrections, the same reports in the
        /// same log order with the same values, found by key and by entry id.
        #[test]
        fn the_store_is_a_map_of_latest_records(ops in prop::collection::vec((0u8..4, 0u8..3, 0u8..5, any::<bool>()), 1..60)) {
            let mut store = ReportStore::default();
            let mut model: std::collections::BTreeMap<(Id, String), Record<Report>> = Default::default();
            let mut digests: Vec<([u8; 32], Id, String)> = Vec::new();
            for (i, (op, a, id, flag)) in ops.into_iter().enumerate() {
                let author = Id::new(["ua", "ru", "firms"][usize::from(a)]).unwrap();
                let rid = format!("r{id}");
                let key = (author.clone(), rid.clone());
                let index = i as u64;
                match op {
                    0 | 1 => {
                        let r = report(&rid, Some(index as i64), flag.then_some("ru"), "2025-03-20T20:22:00Z", &[("type", if flag { "2" } else { "0" })]);
                        let mut digest = [0u8; 32];
                        digest[4..12].copy_from_slice(&index.to_le_bytes());
                        // Some digests share their first four bytes.
                        digest[0] = (i % 3) as u8;
                        digest[1..4].fill(0);
                        let rec = Record { index, entry_id: crate::entry::hex(&digest), author: author.clone(), time: r.time.start, key: if op == 0 { "00000000".into() } else { String::new() }, value: r.clone(), retracted: None, corrections: vec![] };
                        store.insert(index, digest, &author, Lean::of(&r), (op == 0).then(|| rec.clone()), None);
                        model.insert(key, rec);
                        digests.push((digest, author, rid));
                    }
                    2 => if let Some(rec) = model.get_mut(&key) {
                        let row = store.get(&author, &rid).unwrap().row();
                        store.retract(row, "why");
                        rec.retracted = Some("why".into());
                    },
                    _ => if let Some(rec) = model.get_mut(&key) {
                        let row = store.get(&author, &rid).unwrap().row();
                        let mut v = rec.value.clone();
                        v.act = Act::DroneStrike;
                        v.denies = vec![Id::new("ua").unwrap()];
                        v.target_category = Some(Category::new("energy.oil.refinery").unwrap());
                        store.correct(row, v.clone(), "fix");
                        rec.value = v;
                        rec.corrections.push("fix".into());
                    },
                }
            }
            prop_assert_eq!(store.len(), model.len());
            let mut want: Vec<&Record<Report>> = model.values().collect();
            want.sort_by_key(|r| r.index);
            let got: Vec<ReportRef<'_>> = store.iter().collect();
            prop_assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!(g.index(), w.index);
                prop_assert_eq!(g.entry_id(), w.entry_id.clone());
                prop_assert_eq!(g.author(), &w.author);
                prop_assert_eq!(g.id(), w.value.id.as_str());
                prop_assert_eq!(g.act(), w.value.act);
                prop_assert_eq!(g.perpetrator(), w.value.alleged_perpetrator.as_ref());
                prop_assert_eq!(g.denies().cloned().collect::<Vec<_>>(), w.value.denies.clone());
                prop_assert_eq!(g.target(), w.value.target_category.as_ref());
                prop_assert_eq!(g.revision(), w.value.revision);
                prop_assert_eq!(g.start(), w.value.time.start);
                prop_assert_eq!(g.static_source(), w.value.attributes.get("type").map(String::as_str) == Some("2"));
                prop_assert_eq!(g.retracted(), w.retracted.as_deref());
                prop_assert_eq!(g.corrections(), w.corrections.as_slice());
                // The full record: kept, or read back from a "log" holding the original value.
                let full = g.record(|_| -> Result<Vec<u8>, ()> { Err(()) });
                if w.key.is_empty() {
                    prop_assert!(matches!(full, Err(FromLog::Read(..))));
                } else {
                    let full = full.ok();
                    prop_assert_eq!(full.as_ref(), Some(*w));
                }
                prop_assert_eq!(store.get(&w.author, w.value.id.as_str()).map(|r| r.index()), Some(w.index));
            }
            for (d, author, rid) in &digests {
                let r = store.entry(d).unwrap();
                prop_assert_eq!(r.entry_digest(), d);
                prop_assert_eq!((r.author(), r.id()), (author, rid.as_str()));
            }
        }
    }
}
