//! The ledger: the domain state folded from the log's entries, and the acceptance rules every
//! entry must pass — a valid signature by a key registered to its author and not revoked, a role
//! allowed to write its kind, and references to things that exist. Replaying the same entries
//! always gives the same ledger.

use crate::domain::*;
use crate::entry::{decode, Body, Envelope, Kind};
use crate::reports::{Lean, ReportStore};
use crate::time::Time;
use signed_note::{StandardVerifier, Verifier};
use std::collections::BTreeMap;

/// Why an entry is refused. The message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not a well-formed envelope.
    #[error(transparent)]
    Malformed(#[from] crate::entry::EntryError),
    /// The author is not a registered party.
    #[error(
        "unknown author `{0}`: the operator must register the party first (`truce party add`)"
    )]
    UnknownAuthor(String),
    /// The key is not one of the author's keys.
    #[error("key {key} is not registered to `{author}`")]
    UnknownKey {
        /// Author.
        author: String,
        /// Key id.
        key: String,
    },
    /// The key was revoked.
    #[error("key {key} of `{author}` was revoked (entry {revoked_at}); sign with a current key")]
    RevokedKey {
        /// Author.
        author: String,
        /// Key id.
        key: String,
        /// Log index of the revocation.
        revoked_at: u64,
    },
    /// The signature does not verify.
    #[error("the signature does not verify with key {key} of `{author}`: the entry was altered or signed with another key")]
    BadSignature {
        /// Author.
        author: String,
        /// Key id.
        key: String,
    },
    /// The author's role may not write this kind.
    #[error("`{author}` is a {role} and may not write `{kind}` entries ({allowed})")]
    Forbidden {
        /// Author.
        author: String,
        /// Role name.
        role: &'static str,
        /// Kind name.
        kind: &'static str,
        /// Who may.
        allowed: String,
    },
    /// The entry is well-formed and signed but contradicts the ledger.
    #[error("{0}")]
    Invalid(String),
    /// The same entry is already in the log.
    #[error("this exact entry is already in the log at index {0}")]
    Duplicate(u64),
}

/// The roles that may write each kind (key add/revoke: also the party itself; amend: the original
/// author).
pub fn allowed_roles(kind: Kind) -> &'static [Role] {
    use Role::*;
    match kind {
        Kind::PartyRegister => &[Operator],
        Kind::KeyAdd | Kind::KeyRevoke => &[Operator],
        Kind::Process => &[Operator, Mediator],
        Kind::Reading => &[Belligerent, Mediator],
        Kind::Site => &[Belligerent, Monitor, OpenData],
        Kind::Report => &[Belligerent, Monitor, OpenData],
        Kind::Assessment => &[Monitor],
        Kind::Commitment => &[Belligerent, Mediator],
        Kind::Fulfilment => &[Belligerent, Monitor, Mediator],
        Kind::Statement => &[Belligerent, Monitor, Mediator],
        Kind::Amend => &[Operator, Belligerent, Monitor, Mediator, OpenData],
        Kind::Manifest => &[Belligerent, Monitor, OpenData],
        Kind::ReviewPolicy => &[Operator, Monitor],
        Kind::Invocation => &[Belligerent],
        Kind::Publication => &[Operator, Monitor],
        Kind::WitnessPolicy | Kind::Witnessing | Kind::Clock => &[Operator],
        Kind::Extension => &[Belligerent, Mediator],
        Kind::Condition => &[Operator, Belligerent, Mediator],
        Kind::Track | Kind::Vessel => &[Belligerent, Monitor, OpenData],
        Kind::Line | Kind::LinePart => &[Belligerent, Monitor, Mediator],
    }
}

/// A key of a party.
#[derive(Clone)]
pub struct KeyState {
    /// Verifier key text.
    pub vkey: String,
    /// Log index where it was registered.
    pub added_at: u64,
    /// Log index where it was revoked.
    pub revoked_at: Option<u64>,
    verifier: StandardVerifier,
}

impl std::fmt::Debug for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyState")
            .field("vkey", &self.vkey)
            .field("added_at", &self.added_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

/// A registered party.
#[derive(Debug, Clone)]
pub struct PartyState {
    /// Identifier.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Keys by 8-hex id.
    pub keys: BTreeMap<String, KeyState>,
    /// Log index of the registration.
    pub registered_at: u64,
}

/// An accepted entry's value with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    /// Log index.
    pub index: u64,
    /// Entry id (hex SHA-256).
    pub entry_id: String,
    /// Author.
    pub author: Id,
    /// Author's stated time.
    pub time: Time,
    /// The signing key's id (8 hex digits); empty for a bulk record (signed by its manifest).
    pub key: String,
    /// The value (after any correction).
    pub value: T,
    /// Set when retracted: the retraction's reason.
    pub retracted: Option<String>,
    /// Reasons of corrections applied, in order.
    pub corrections: Vec<String>,
}

/// What replaying one log entry did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Accepted: its id and kind.
    Accepted(String, Kind),
    /// Not an envelope (a raw entry appended with `truce log append`): logged, no domain effect.
    Opaque,
    /// In the log but refused by the rules: it carries no weight.
    Refused(Rejection),
}

/// The entries of one replay that the rules refused: how many, and the first few with their
/// reasons, so a replay says so once (a log holding a thousand raw lines appended with `truce log
/// append` is not a thousand warnings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refusals {
    /// Entries refused.
    pub count: u64,
    /// The first [`Refusals::NAMED`] of them: (index, reason).
    pub first: Vec<(u64, String)>,
}

impl Refusals {
    /// How many refused entries a summary names.
    pub const NAMED: usize = 3;

    /// Notes what replaying entry `index` did.
    pub fn note(&mut self, index: u64, applied: &Applied) {
        if let Applied::Refused(r) = applied {
            self.count += 1;
            if self.first.len() < Self::NAMED {
                self.first.push((index, r.to_string()));
            }
        }
    }

    /// One sentence for all of them, or `None` when none was refused.
    pub fn summary(&self) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let named = self
            .first
            .iter()
            .map(|(i, r)| format!("entry {i}: {r}"))
            .collect::<Vec<_>>()
            .join("; ");
        let more = self.count - self.first.len() as u64;
        let more = if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        };
        let (n, are) = if self.count == 1 {
            ("1 entry".to_string(), "is")
        } else {
            (format!("{} entries", self.count), "are")
        };
        Some(format!(
            "{n} in the log {are} not accepted by the rules and carry no weight (raw lines appended \
             with `truce log append` are logged, not signed entries): {named}{more}"
        ))
    }
}

/// The domain state folded from the log.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Parties by id.
    pub parties: BTreeMap<Id, PartyState>,
    /// Processes by (author, id); latest wins.
    pub processes: BTreeMap<(Id, Id), Record<Process>>,
    /// Every process filing, in log order: the phases' status changes over time.
    pub process_versions: Vec<Record<Process>>,
    /// Readings by (agreement, author); latest wins.
    pub readings: BTreeMap<(Id, Id), Record<Reading>>,
    /// Every version of each reading, by (agreement, author), in log order: a new reading never
    /// overwrites the past; each version applies from its `effective_from` (default: its filing).
    pub reading_versions: BTreeMap<(Id, Id), Vec<Record<Reading>>>,
    /// Sites by (lister, id).
    pub sites: BTreeMap<(Id, Id), Record<Site>>,
    /// Reports, the latest revision of each (author, id), in compact rows
    /// ([`crate::reports`]): a bulk record's full value is read from the log when wanted.
    pub reports: ReportStore,
    /// Assessments, in log order.
    pub assessments: Vec<Record<Assessment>>,
    /// Commitments by id.
    pub commitments: BTreeMap<Id, Record<Commitment>>,
    /// Fulfilments in log order.
    pub fulfilments: Vec<Record<Fulfilment>>,
    /// Statements by (author, id).
    pub statements: BTreeMap<(Id, Id), Record<Statement>>,
    /// Review policies, in log order (each applies from its own entry on).
    pub review_policies: Vec<Record<ReviewPolicy>>,
    /// Invocations of release clauses, in log order.
    pub invocations: Vec<Record<Invocation>>,
    /// Publications, in log order.
    pub publications: Vec<Record<Publication>>,
    /// Consents to extend agreements' windows, in log order.
    pub extensions: Vec<Record<crate::lifecycle::Extension>>,
    /// Every status filed for each condition precedent, by condition id, in log order.
    pub condition_versions: BTreeMap<Id, Vec<Record<crate::lifecycle::Condition>>>,
    /// Every version of each line, by (author, line id), sorted by (`valid_from`, log index):
    /// a new version never overwrites the past ([`Ledger::line_at`]).
    pub line_versions: BTreeMap<(Id, Id), Vec<Record<crate::lines::LineVersion>>>,
    /// Line versions filed in parts that never became visible: (the head's log index, why —
    /// parts missing, out of order, altered —, and what to do), in log order.
    pub incomplete_lines: Vec<(u64, String)>,
    /// AIS track segments, per MMSI, compactly ([`crate::ais`]).
    pub tracks: crate::ais::TrackStore,
    /// AIS vessels' static data, per MMSI, every version with its time.
    pub vessels: crate::ais::VesselStore,
    /// AIS reception coverages, in log order of their manifests ([`crate::ais::Coverage`]).
    pub coverages: Vec<crate::ais::Coverage>,
    /// Entry id → (log index, kind, author, the identifier its value is filed under), for every
    /// accepted entry but reports (the report store knows those): see [`Ledger::entry`].
    ids: EntryIds,
    /// Entries replayed: accepted, opaque and refused.
    pub counts: Counts,
    /// Trusted time: witness policies, witnessing rounds and the sequencer's clocks.
    pub time: crate::witnessed::Timeline,
    /// The number of entries replayed (the next entry's index).
    pub size: u64,
    /// The manifest whose records are being read, if any.
    pending: Option<Pending>,
    /// The line version filed in parts whose parts are being read, if any.
    pending_line: Option<PendingLine>,
}

/// A line version filed in parts, waiting for them: its head's entry (as the version's record
/// will show it) and the parts assembled so far.
#[derive(Debug, Clone)]
struct PendingLine {
    head: Record<()>,
    asm: crate::lines::Assembly,
}

/// A manifest waiting for its records. The records' root is computed as they arrive
/// ([`RootBuilder`]); of each record only what applying it needs is kept (a report's compact
/// values, not its bytes), until the last one arrives and the root is compared.
#[derive(Debug, Clone)]
struct Pending {
    author: Id,
    index: u64,
    count: u64,
    root: truce_log::Hash,
    seen: RootBuilder,
    records: Vec<(u64, RecordIn)>,
    /// The manifest's stated reception area (AIS tracks), if any.
    reception: Option<crate::domain::Zone>,
}

/// The RFC 6962 root of a sequence of leaves, built as they come: the right edge of the tree
/// (one hash per set bit of the count, largest subtree first), so a million leaves cost twenty
/// hashes of memory.
#[derive(Debug, Clone, Default)]
pub struct RootBuilder {
    /// Perfect subtrees: (hash, leaves), leaves strictly decreasing.
    edge: Vec<(truce_log::Hash, u64)>,
    count: u64,
}

impl RootBuilder {
    /// Adds a leaf by its leaf hash ([`truce_log::record_hash`] of the entry).
    pub fn push(&mut self, leaf: truce_log::Hash) {
        let mut h = (leaf, 1u64);
        while let Some(&(left, n)) = self.edge.last() {
            if n != h.1 {
                break;
            }
            self.edge.pop();
            h = (truce_log::node_hash(left, h.0), n * 2);
        }
        self.edge.push(h);
        self.count += 1;
    }

    /// Leaves added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The root of the leaves added (the empty tree's hash for none), as
    /// [`truce_log::merkle_root`] computes it.
    pub fn root(&self) -> truce_log::Hash {
        let mut it = self.edge.iter().rev();
        match it.next() {
            None => truce_log::EMPTY_HASH,
            Some(&(last, _)) => {
                it.fold(last, |right, &(left, _)| truce_log::node_hash(left, right))
            }
        }
    }
}

/// One log entry decoded, before the ledger's state is consulted: the part of replaying an entry
/// that depends on its bytes alone (JSON, canonical form, hash, typed body), so it can run on
/// another thread ahead of its turn ([`Ledger::apply_decoded`], [`crate::replay`]).
#[derive(Debug)]
pub struct Decoded(DecodedAs);

// A bulk record, the common case, is kept inline (see `Record`); an envelope is boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum DecodedAs {
    /// Not an envelope (a raw line appended with `truce log append`).
    Opaque,
    /// An envelope that does not parse.
    Malformed(crate::entry::EntryError),
    /// A signed envelope.
    Entry(Box<Envelope>),
    /// An unsigned record (covered by a manifest): inline, so that decoding a bulk record on
    /// one thread and applying it on another moves it, and allocates nothing.
    Record(RecordIn),
}

/// An unsigned record as decoded: what checking and applying it needs.
#[derive(Debug, Clone)]
struct RecordIn {
    author: Id,
    kind: Kind,
    /// SHA-256 of its bytes: its entry id.
    digest: [u8; 32],
    /// Its leaf hash in its manifest's tree.
    leaf: truce_log::Hash,
    value: RecordValue,
}

// A manifest's pending records are nearly all reports: kept inline, not boxed one by one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum RecordValue {
    /// A report: what the report store keeps (its full value stays in the log).
    Report(Lean),
    /// A site, whole.
    Site(Box<Envelope>),
}

impl Decoded {
    /// Decodes an entry's bytes. A bulk report is read straight into what the report store
    /// keeps; everything else into its envelope ([`decode`]).
    pub fn of(bytes: &[u8]) -> Decoded {
        if bytes.first() != Some(&b'{') {
            return Decoded(DecodedAs::Opaque);
        }
        // One scan: a bulk report read into what the store keeps, any other entry into its
        // envelope; whatever that cannot vouch for, [`decode`]'s general path decides.
        let fast = crate::entry::with_tape(|tape| {
            let parts = crate::entry::Parts::of_with(bytes, tape)?;
            if parts.kind == Kind::Report && parts.sig.is_empty() {
                let lean = Lean::from_tape(bytes, tape, parts.body_tok)
                    .or_else(|| Lean::from_json(parts.body))?;
                return Some(Decoded(DecodedAs::Record(RecordIn {
                    author: parts.author,
                    kind: Kind::Report,
                    digest: parts.digest,
                    leaf: truce_log::record_hash(bytes),
                    value: RecordValue::Report(lean),
                })));
            }
            let body = Body::parse_slice(parts.kind, parts.body).ok()?;
            Some(Decoded::envelope(parts.envelope(body)))
        });
        if let Some(d) = fast {
            return d;
        }
        match decode(bytes) {
            Ok(env) => Decoded::envelope(env),
            Err(crate::entry::EntryError::NotAnEntry(_)) => Decoded(DecodedAs::Opaque),
            Err(e) => Decoded(DecodedAs::Malformed(e)),
        }
    }

    /// An entry already decoded ([`decode`], [`Ledger::admit`]), to apply without decoding it
    /// again.
    pub fn envelope(env: Envelope) -> Decoded {
        if !env.sig.is_empty() {
            return Decoded(DecodedAs::Entry(Box::new(env)));
        }
        let digest = EntryIds::key(&env.id).unwrap_or_default();
        let (author, kind, leaf) = (
            env.author.clone(),
            env.kind,
            truce_log::record_hash(&env.bytes),
        );
        let value = match env.body {
            Body::Report(r) => RecordValue::Report(Lean::of(&r)),
            _ => RecordValue::Site(Box::new(env)),
        };
        Decoded(DecodedAs::Record(RecordIn {
            author,
            kind,
            digest,
            leaf,
            value,
        }))
    }
}

/// Where an accepted entry is: its log index, kind, author and the identifier its value is
/// filed under (a report's or site's id, a reading's agreement, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryAt {
    /// Log index.
    pub index: u64,
    /// Kind.
    pub kind: Kind,
    /// Author.
    pub author: Id,
    /// The identifier its value is filed under, if any.
    pub key: Option<Id>,
}

/// Every accepted entry by its id: (log index, kind, author, the identifier its value is filed
/// under). Keyed by the id's 32 bytes (an entry id is the hex SHA-256 of the entry), looked up by
/// its hex text: a million entries cost no million strings, and no string comparisons.
#[derive(Debug, Clone, Default)]
struct EntryIds(std::collections::HashMap<[u8; 32], (u64, Kind, Id, Option<Id>)>);

impl EntryIds {
    /// An entry id's 32 bytes from its lowercase hex.
    pub(crate) fn key(id: &str) -> Option<[u8; 32]> {
        let b = id.as_bytes();
        if b.len() != 64 {
            return None;
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; 32];
        for (k, o) in out.iter_mut().enumerate() {
            *o = (nibble(b[2 * k])? << 4) | nibble(b[2 * k + 1])?;
        }
        Some(out)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn insert(&mut self, id: &str, v: (u64, Kind, Id, Option<Id>)) {
        if let Some(k) = Self::key(id) {
            self.0.insert(k, v);
        }
    }
}

/// How many entries of each outcome the ledger has seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Accepted envelopes.
    pub accepted: u64,
    /// Raw (non-envelope) entries.
    pub opaque: u64,
    /// Envelopes in the log that the rules refuse.
    pub refused: u64,
}

fn record<T>(env: &Envelope, index: u64, value: T) -> Record<T> {
    Record {
        index,
        entry_id: env.id.clone(),
        author: env.author.clone(),
        time: env.time,
        key: env.key.clone(),
        value,
        retracted: None,
        corrections: Vec::new(),
    }
}

/// The submission rules for a new entry's body (never applied on replay): a site's or a line's
/// shape. Bulk site records are held to the same rule by the readers of `truce sites import`.
pub fn check_new(body: &Body) -> Result<(), Rejection> {
    if let Body::Site(site) = body {
        site.geometry
            .check_shape()
            .map_err(|e| Rejection::Invalid(format!("site `{}` ({}): {e}", site.id, site.name)))?;
    }
    if let Body::Line(l) = body {
        l.geometry
            .check_shape()
            .map_err(|e| Rejection::Invalid(format!("line `{}` ({}): {e}", l.id, l.title)))?;
    }
    Ok(())
}

/// Whether `author`'s role may write `kind` (`own_key`: a key entry about the author's own keys).
fn check_role(kind: Kind, own_key: bool, author: &PartyState) -> Result<(), Rejection> {
    let allowed = allowed_roles(kind);
    if own_key || allowed.contains(&author.role) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(Role::as_str).collect();
    let mut who = format!("only {} may", names.join(", "));
    if matches!(kind, Kind::KeyAdd | Kind::KeyRevoke) {
        who.push_str(", or the party for its own keys");
    }
    Err(Rejection::Forbidden {
        author: author.id.to_string(),
        role: author.role.as_str(),
        kind: kind.as_str(),
        allowed: who,
    })
}

fn verifier_for(party: &Id, vkey: &str) -> Result<StandardVerifier, Rejection> {
    let v = truce_log::parse_verifier(vkey)
        .map_err(|e| Rejection::Invalid(format!("key {vkey:?}: {e}")))?;
    if v.name() != party.as_str() {
        return Err(Rejection::Invalid(format!(
            "key {vkey:?} is named {:?}; a party's keys must be named after the party ({party})",
            v.name()
        )));
    }
    Ok(v)
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks a new entry against the rules without changing the ledger: the rules every
    /// replay applies, and the submission rules that apply only to new entries — a site's
    /// shape must meet [`crate::geo::Geometry::check_shape`] (no self-intersection, no ring round
    /// a pole, nothing across the antimeridian). [`Ledger::apply`] never consults the submission
    /// rules, so replaying an old log accepts exactly what it did.
    pub fn admit(&self, bytes: &[u8]) -> Result<Envelope, Rejection> {
        let env = decode(bytes)?;
        self.admit_envelope(&env)?;
        Ok(env)
    }

    /// [`Ledger::admit`] on an entry already decoded ([`decode`]): the caller applies it next
    /// with [`Ledger::apply_decoded`] and [`Decoded::envelope`], and the entry is decoded once.
    pub fn admit_envelope(&self, env: &Envelope) -> Result<(), Rejection> {
        self.admit_replayed(env)?;
        check_new(&env.body)?;
        // A version filed in parts meets the shape rules once assembled, at its last part.
        if let Body::LinePart(part) = &env.body {
            if let Some(v) = self.line_if_last(part) {
                let v = v.map_err(Rejection::Invalid)?;
                v.geometry.check_shape().map_err(|e| {
                    Rejection::Invalid(format!("line `{}` ({}): {e}", v.id, v.title))
                })?;
            }
        }
        Ok(())
    }

    /// The version a pending line's `part` completes, if it is its last part (assembled on a
    /// copy: the ledger is not changed).
    fn line_if_last(
        &self,
        part: &crate::lines::LinePart,
    ) -> Option<Result<crate::lines::LineVersion, String>> {
        let p = self.pending_line.as_ref()?;
        if part.part + 1 != p.asm.head().parts.count {
            return None;
        }
        let mut asm = p.asm.clone();
        Some(asm.push(part).and_then(|_| asm.finish()))
    }

    /// The rules every replay applies (what [`Ledger::apply`] checks), on an entry decoded once.
    fn admit_replayed(&self, env: &Envelope) -> Result<(), Rejection> {
        if env.sig.is_empty() {
            return Err(Rejection::Invalid(
                "an unsigned record is accepted only among the records its manifest covers".into(),
            ));
        }
        // Genesis: the operator registers itself, signed by its own key.
        if self.parties.is_empty() {
            let Body::PartyRegister(reg) = &env.body else {
                return Err(Rejection::Invalid(
                    "the first entry must be the operator registering itself (`truce init` does this)".into(),
                ));
            };
            if reg.role != Role::Operator || reg.id != env.author {
                return Err(Rejection::Invalid(
                    "the first entry must register its own author as the operator".into(),
                ));
            }
            let key = reg
                .keys
                .iter()
                .map(|k| verifier_for(&reg.id, k))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .find(|v| format!("{:08x}", v.key_id()) == env.key)
                .ok_or_else(|| Rejection::UnknownKey {
                    author: env.author.to_string(),
                    key: env.key.clone(),
                })?;
            if !key.verify(&env.message, &env.sig) {
                return Err(Rejection::BadSignature {
                    author: env.author.to_string(),
                    key: env.key.clone(),
                });
            }
            return Ok(());
        }
        let author = self
            .parties
            .get(&env.author)
            .ok_or_else(|| Rejection::UnknownAuthor(env.author.to_string()))?;
        let key = author
            .keys
            .get(&env.key)
            .ok_or_else(|| Rejection::UnknownKey {
                author: env.author.to_string(),
                key: env.key.clone(),
            })?;
        if let Some(at) = key.revoked_at {
            return Err(Rejection::RevokedKey {
                author: env.author.to_string(),
                key: env.key.clone(),
                revoked_at: at,
            });
        }
        if !key.verifier.verify(&env.message, &env.sig) {
            return Err(Rejection::BadSignature {
                author: env.author.to_string(),
                key: env.key.clone(),
            });
        }
        let own_key = match &env.body {
            Body::KeyAdd(k) => k.party == env.author,
            Body::KeyRevoke(k) => k.party == env.author,
            _ => false,
        };
        check_role(env.kind, own_key, author)?;
        if let Some(at) = self.entry(&env.id) {
            return Err(Rejection::Duplicate(at.index));
        }
        self.check_body(env)
    }

    fn party(&self, id: &Id, what: &str) -> Result<&PartyState, Rejection> {
        self.parties
            .get(id)
            .ok_or_else(|| Rejection::Invalid(format!("{what} `{id}` is not a registered party")))
    }

    fn agreement_exists(&self, id: &Id) -> bool {
        self.processes.values().any(|p| {
            p.value
                .phases
                .iter()
                .any(|ph| ph.agreements.iter().any(|a| &a.id == id))
        })
    }

    fn check_body(&self, env: &Envelope) -> Result<(), Rejection> {
        let invalid = |s: String| Err(Rejection::Invalid(s));
        match &env.body {
            Body::PartyRegister(reg) => {
                if self.parties.contains_key(&reg.id) {
                    return invalid(format!("party `{}` is already registered", reg.id));
                }
                if reg.keys.is_empty() {
                    return invalid(format!("party `{}` needs at least one key", reg.id));
                }
                for k in &reg.keys {
                    verifier_for(&reg.id, k)?;
                }
            }
            Body::KeyAdd(k) => {
                let p = self.party(&k.party, "party")?;
                let v = verifier_for(&k.party, &k.key)?;
                if p.keys.contains_key(&format!("{:08x}", v.key_id())) {
                    return invalid(format!(
                        "key {:08x} is already registered to `{}`",
                        v.key_id(),
                        k.party
                    ));
                }
            }
            Body::KeyRevoke(k) => {
                let p = self.party(&k.party, "party")?;
                match p.keys.get(&k.key_id) {
                    None => return invalid(format!("`{}` has no key {}", k.party, k.key_id)),
                    Some(s) if s.revoked_at.is_some() => {
                        return invalid(format!(
                            "key {} of `{}` is already revoked",
                            k.key_id, k.party
                        ))
                    }
                    _ => {}
                }
            }
            Body::Process(_) => {}
            Body::Reading(r) => {
                if !self.agreement_exists(&r.agreement) {
                    return invalid(format!(
                        "agreement `{}` is not defined by any process; the operator or a mediator defines it first (`truce process add`)",
                        r.agreement
                    ));
                }
                self.party_refs(&env.body)?;
            }
            Body::Site(site) => {
                if let Some(old) = self.sites.get(&(env.author.clone(), site.id.clone())) {
                    return Err(Rejection::Duplicate(old.index));
                }
            }
            Body::Report(r) => {
                self.check_report(
                    &env.author,
                    r.id.as_str(),
                    r.alleged_perpetrator.as_ref(),
                    r.relays.as_ref(),
                    &r.denies,
                    r.revision,
                )?;
                if let Some(o) = &r.observation {
                    // An observation is a monitor's, of explosions or gunfire as its event says.
                    if self.parties.get(&env.author).map(|p| p.role) != Some(Role::Monitor) {
                        return invalid(format!(
                            "report {}: only a monitor files observations (`{}` is not a monitor)",
                            r.id, env.author
                        ));
                    }
                    let act = if o.event.is_explosion() {
                        Act::Explosion
                    } else {
                        Act::Gunfire
                    };
                    if r.act != act {
                        return invalid(format!(
                            "report {}: an observation of {} is a report of act {}, not {}",
                            r.id,
                            o.event.as_str(),
                            act.as_str(),
                            r.act.as_str()
                        ));
                    }
                }
            }
            Body::Manifest(m) => {
                if m.count == 0 {
                    return invalid("a manifest covers at least one record".into());
                }
                if truce_log::Hash::parse_hash(&m.root).is_err() {
                    return invalid("manifest root is not a base64 SHA-256 hash".into());
                }
                if self.pending.is_some() {
                    return invalid("a manifest is still waiting for its records".into());
                }
                if let Some(z) = &m.reception {
                    crate::ais::check_reception(z).map_err(|e| {
                        Rejection::Invalid(format!("manifest reception area {:?}: {e}", z.name))
                    })?;
                }
            }
            Body::Assessment(a) => {
                if a.reports.is_empty() {
                    return invalid("an assessment names at least one report".into());
                }
                match (a.question, &a.party) {
                    (Question::Attribution, None) => {
                        return invalid(
                            "an attribution assessment names the `party` whose attribution it assesses".into(),
                        )
                    }
                    (Question::Occurrence, Some(_)) => {
                        return invalid(
                            "an occurrence assessment names no `party`; set `question = \"attribution\"` to assess who did it".into(),
                        )
                    }
                    (Question::Attribution, Some(p)) => {
                        self.party(p, "assessed party")?;
                    }
                    (Question::Occurrence, None) => {}
                }
                for r in &a.reports {
                    let id = self.resolve_report(r)?;
                    if let Some(EntryAt {
                        index: i, author, ..
                    }) = self.entry(&id)
                    {
                        if author == env.author {
                            return invalid(format!(
                                "report {r} (index {i}) is `{author}`'s own: nobody assesses a question raised by their own report"
                            ));
                        }
                    }
                }
            }
            Body::ReviewPolicy(rp) => {
                if rp.quorum == 0 {
                    return invalid("a review policy's quorum is at least 1".into());
                }
            }
            Body::Invocation(inv) => {
                if !self.agreement_exists(&inv.agreement) {
                    return invalid(format!(
                        "agreement `{}` is not defined by any process",
                        inv.agreement
                    ));
                }
                self.party(&inv.against, "party cited")?;
                if inv.against == env.author {
                    return invalid("an invocation cites another party's breach".into());
                }
                if inv.reports.is_empty() {
                    return invalid("an invocation cites at least one report of the breach".into());
                }
                for r in &inv.reports {
                    self.resolve_report(r)?;
                }
            }
            Body::WitnessPolicy(p) => {
                crate::witnessed::Timeline::check_policy(&p.policy).map_err(Rejection::Invalid)?;
            }
            Body::Witnessing(w) => {
                self.time
                    .check_clock(env.time)
                    .map_err(Rejection::Invalid)?;
                self.time
                    .check_round(self.size, &w.checkpoint)
                    .map_err(Rejection::Invalid)?;
            }
            Body::Extension(x) => {
                if !self.agreement_exists(&x.agreement) {
                    return invalid(format!(
                        "agreement `{}` is not defined by any process",
                        x.agreement
                    ));
                }
            }
            Body::Condition(_) => {}
            Body::Line(_) => self.party_refs(&env.body)?,
            Body::LineHead(_) | Body::LinePart(_) if env.sig.is_empty() => {
                return invalid(
                    "a line version filed in parts and its parts are signed entries, not records under a manifest".into(),
                );
            }
            Body::LineHead(_) => self.party_refs(&env.body)?,
            Body::LinePart(part) => {
                let Some(p) = &self.pending_line else {
                    return invalid(format!(
                        "line {} part {}: no line version is waiting for its parts here; parts follow their `line` head directly, in one batch (`truce lines import` files both)",
                        part.line, part.part
                    ));
                };
                if p.head.author != env.author {
                    return invalid(format!(
                        "line {} part {}: written by `{}`, but the version waiting for its parts (index {}) is `{}`'s; only the author of a version files its parts",
                        part.line, part.part, env.author, p.head.index, p.head.author
                    ));
                }
                p.asm.check(part).map_err(Rejection::Invalid)?;
                if let Some(v) = self.line_if_last(part) {
                    v.map_err(Rejection::Invalid)?;
                }
            }
            Body::Track(t) => {
                if let Some(i) = self.tracks.find(&env.author, t) {
                    return Err(Rejection::Duplicate(i));
                }
            }
            Body::Vessel(v) => {
                if let Some(i) = self.vessels.find(&env.author, v) {
                    return Err(Rejection::Duplicate(i));
                }
            }
            Body::Clock(c) => {
                self.time
                    .check_clock(env.time)
                    .map_err(Rejection::Invalid)?;
                crate::witnessed::Timeline::check_clock_entry(self.size, c)
                    .map_err(Rejection::Invalid)?;
            }
            Body::Publication(p) => {
                if p.sha256.is_empty() {
                    return invalid("a publication carries at least one digest".into());
                }
                for (name, d) in &p.sha256 {
                    if d.len() != 64 || !d.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                        return invalid(format!(
                            "digest {name:?} is not 64 lowercase hex digits (SHA-256)"
                        ));
                    }
                }
            }
            Body::Commitment(c) => {
                if self.commitments.contains_key(&c.id) {
                    return invalid(format!("commitment `{}` already exists", c.id));
                }
                if c.due < c.announced {
                    return invalid(format!(
                        "commitment `{}` is due {} before it was announced {}",
                        c.id, c.due, c.announced
                    ));
                }
            }
            Body::Fulfilment(f) => {
                if !self.commitments.contains_key(&f.commitment) {
                    return invalid(format!("commitment `{}` is not in the log", f.commitment));
                }
            }
            Body::Statement(s) => {
                if let Some(sp) = &s.speaker {
                    self.party(sp, "speaker")?;
                    let role = self.parties.get(&env.author).map(|p| p.role);
                    if sp != &env.author && !matches!(role, Some(Role::Monitor | Role::Mediator)) {
                        return invalid("only monitors and mediators record statements on behalf of another party".into());
                    }
                }
            }
            Body::Amend(a) => {
                let Some(EntryAt {
                    index: i,
                    kind,
                    author,
                    key,
                }) = self.entry(&a.amends)
                else {
                    return invalid(format!("entry {} is not in the log", a.amends));
                };
                if author != env.author {
                    return invalid(format!(
                        "entry {} (index {i}) was written by `{author}`; only its author may correct or retract it",
                        a.amends
                    ));
                }
                if matches!(
                    kind,
                    Kind::PartyRegister
                        | Kind::KeyAdd
                        | Kind::KeyRevoke
                        | Kind::Amend
                        | Kind::Manifest
                        | Kind::Publication
                        | Kind::WitnessPolicy
                        | Kind::Witnessing
                        | Kind::Clock
                        | Kind::Track
                        | Kind::Vessel
                        | Kind::LinePart
                ) {
                    return invalid(format!("`{}` entries cannot be amended", kind.as_str()));
                }
                if kind == Kind::Line {
                    self.check_line_amend(&a.amends, a.body.as_ref())?;
                }
                match (a.action, &a.body) {
                    (AmendAction::Correct, None) => {
                        return invalid("a correction carries the corrected body".into())
                    }
                    (AmendAction::Correct, Some(b)) => {
                        let nb = Body::parse(kind, b.clone()).map_err(Rejection::Invalid)?;
                        if same_key(&nb) != key {
                            return invalid(
                                "a correction may not change the identifier of what it corrects"
                                    .into(),
                            );
                        }
                        // A corrected reading or line names registered parties, as a new one.
                        self.party_refs(&nb)?;
                    }
                    (AmendAction::Retract, Some(_)) => {
                        return invalid("a retraction carries no body".into())
                    }
                    (AmendAction::Retract, None) => {}
                }
            }
        }
        Ok(())
    }

    /// The parties a reading's terms or a line name are registered: the bound parties, those in
    /// `extension_by`, a condition's attesters and a confined party; a control area's
    /// `controlled_by`. Checked on a new entry and on a correction alike.
    fn party_refs(&self, body: &Body) -> Result<(), Rejection> {
        match body {
            Body::Reading(r) => {
                for b in &r.terms.bound {
                    self.party(b, "bound party")?;
                }
                for c in &r.terms.conditions {
                    for p in c.attested_by.iter().flatten() {
                        self.party(p, "party in a condition's attested_by")?;
                    }
                }
                for c in &r.terms.confined {
                    self.party(&c.party, "confined party")?;
                }
                if let Some(ExtensionBy::Parties(ps)) = &r.terms.window.extension_by {
                    for p in ps {
                        self.party(p, "party in extension_by")?;
                    }
                }
                // The parties measuring from a line, and the lines' authors (a line may be
                // filed after the reading: until then its terms cannot be judged, and say so).
                for l in r.terms.front.iter().flat_map(|f| &f.lines) {
                    self.party(&l.party, "party in front.lines")?;
                    self.party(&l.line.author, &format!("author of line {}", l.line))?;
                }
            }
            Body::Line(l) => {
                if let Some(p) = &l.controlled_by {
                    self.party(p, &format!("line `{}`: controlled_by", l.id))?;
                }
            }
            Body::LineHead(h) => {
                if let Some(p) = &h.controlled_by {
                    self.party(p, &format!("line `{}`: controlled_by", h.id))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// An amendment of a line version: the version is visible (a version filed in parts whose
    /// parts never all arrived has nothing to amend), and a correction stating `parts` (the
    /// head of a version filed in parts) keeps the geometry — its digest is the version's —
    /// while its other fields may change; a correction with a `geometry` replaces it.
    fn check_line_amend(
        &self,
        target: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(), Rejection> {
        let Some(rec) = self
            .line_versions
            .values()
            .flatten()
            .find(|r| r.entry_id == target)
        else {
            return Err(Rejection::Invalid(format!(
                "entry {target} is a line version that never became visible (its parts did not all arrive): there is nothing to amend; file the version again"
            )));
        };
        let Some(b) = body else { return Ok(()) };
        if let Ok(Body::LineHead(h)) = Body::parse(Kind::Line, b.clone()) {
            let digest = crate::lines::geometry_sha256(&rec.value.geometry);
            if h.parts.sha256 != digest
                || Some(h.parts.geometry_type) != crate::lines::PartsType::of(&rec.value.geometry)
                || h.parts.vertices as usize != rec.value.vertices()
            {
                return Err(Rejection::Invalid(format!(
                    "a correction stating `parts` keeps the version's geometry: its parts must state type {:?}, {} vertices and sha256 {digest}; to change the geometry, file a new version (or correct with the whole geometry if it fits one entry)",
                    crate::lines::PartsType::of(&rec.value.geometry).map(|t| t.as_str()),
                    rec.value.vertices()
                )));
            }
            h.with_geometry(rec.value.geometry.clone())
                .validate()
                .map_err(Rejection::Invalid)?;
        }
        Ok(())
    }

    /// The rules on a report (signed or a bulk record): the parties it names are registered, and
    /// it is new or a later revision of its (author, id). The row of the revision it supersedes,
    /// if any.
    fn check_report(
        &self,
        author: &Id,
        id: &str,
        perpetrator: Option<&Id>,
        relays: Option<&Id>,
        denies: &[Id],
        revision: Option<i64>,
    ) -> Result<Option<u32>, Rejection> {
        if let Some(p) = perpetrator {
            self.party(p, "alleged perpetrator")?;
        }
        if let Some(p) = relays {
            self.party(p, "relayed party")?;
        }
        for p in denies {
            self.party(p, "denied party")?;
        }
        let old = self.reports.get(author, id);
        if let Some(old) = old {
            if revision.unwrap_or(i64::MIN) <= old.revision().unwrap_or(i64::MIN) {
                return Err(Rejection::Duplicate(old.index()));
            }
        }
        Ok(old.map(|o| o.row()))
    }

    /// The accepted entry with this id (lowercase hex), if any: where it is, its kind, its
    /// author and the identifier its value is filed under.
    pub fn entry(&self, id: &str) -> Option<EntryAt> {
        let digest = EntryIds::key(id)?;
        if let Some((index, kind, author, key)) = self.ids.0.get(&digest) {
            return Some(EntryAt {
                index: *index,
                kind: *kind,
                author: author.clone(),
                key: key.clone(),
            });
        }
        let r = self.reports.entry(&digest)?;
        Some(EntryAt {
            index: r.index(),
            kind: Kind::Report,
            author: r.author().clone(),
            key: Id::new(r.id()).ok(),
        })
    }

    /// How many entries were accepted (each id once).
    pub fn entries_accepted(&self) -> usize {
        self.ids.len() + self.reports.entries()
    }

    /// Replays one log entry. Accepted entries change the ledger; refused and raw entries are
    /// counted and change nothing.
    pub fn apply(&mut self, index: u64, bytes: &[u8]) -> Applied {
        self.apply_decoded(index, Decoded::of(bytes))
    }

    /// Replays one log entry decoded ahead of its turn ([`Decoded::of`], on any thread):
    /// exactly what [`Ledger::apply`] does with its bytes.
    pub fn apply_decoded(&mut self, index: u64, decoded: Decoded) -> Applied {
        // Checks that depend on the entry's position (a round's tree size) read `size` as the
        // entry's own index.
        self.size = index;
        let applied = self.apply_at(index, decoded);
        self.size = index + 1;
        applied
    }

    fn apply_at(&mut self, index: u64, decoded: Decoded) -> Applied {
        // One decode per entry: the envelope is handed to admission and then applied.
        let env = match decoded.0 {
            DecodedAs::Opaque => {
                self.break_pending();
                self.counts.opaque += 1;
                return Applied::Opaque;
            }
            DecodedAs::Malformed(e) => {
                self.break_pending();
                self.counts.refused += 1;
                return Applied::Refused(Rejection::Malformed(e));
            }
            DecodedAs::Record(rec) => {
                self.break_line(None);
                return self.apply_record(index, rec);
            }
            DecodedAs::Entry(env) if env.sig.is_empty() => {
                self.break_line(None);
                return match Decoded::envelope(*env).0 {
                    DecodedAs::Record(rec) => self.apply_record(index, rec),
                    _ => Applied::Opaque,
                };
            }
            DecodedAs::Entry(env) => *env,
        };
        // A line's parts continue the version waiting for them; any other entry ends it.
        let part = env.kind == Kind::LinePart;
        if part {
            self.break_manifest();
        } else {
            self.break_pending();
        }
        match self.admit_replayed(&env) {
            Ok(()) => {
                let (id, kind) = (env.id.clone(), env.kind);
                self.apply_accepted(index, env);
                self.counts.accepted += 1;
                Applied::Accepted(id, kind)
            }
            Err(r) => {
                if part {
                    self.break_line(Some((index, &r)));
                }
                self.counts.refused += 1;
                Applied::Refused(r)
            }
        }
    }

    /// An entry other than the expected records arrived: the pending manifest's records are
    /// incomplete, so none of them is accepted.
    fn break_pending(&mut self) {
        self.break_manifest();
        self.break_line(None);
    }

    fn break_manifest(&mut self) {
        if let Some(p) = self.pending.take() {
            self.counts.refused += p.seen.count();
        }
    }

    /// The line version at the end of the log still waiting for its parts, if any: (the head's
    /// log index, what it waits for). It becomes visible only if they all follow.
    pub fn awaiting_parts(&self) -> Option<(u64, String)> {
        let p = self.pending_line.as_ref()?;
        let h = p.asm.head();
        Some((
            p.head.index,
            format!(
                "line {}/{} (the version filed at index {}, entry {}) is not visible yet: {} of its {} parts follow it, and the log ends there",
                p.head.author,
                h.id,
                p.head.index,
                p.head.entry_id,
                p.asm.received(),
                h.parts.count
            ),
        ))
    }

    /// The line version waiting for its parts will not get them all (another entry came, or
    /// `refused` a part): it never becomes visible, and [`Ledger::incomplete_lines`] says why.
    fn break_line(&mut self, refused: Option<(u64, &Rejection)>) {
        let Some(p) = self.pending_line.take() else {
            return;
        };
        let h = p.asm.head();
        let why = match refused {
            Some((i, r)) => format!("its part at index {i} was refused: {r}"),
            None => format!(
                "only {} of its {} parts followed it (the entry at index {} is not one of them)",
                p.asm.received(),
                h.parts.count,
                self.size
            ),
        };
        self.incomplete_lines.push((
            p.head.index,
            format!(
                "line {}/{} (the version filed at index {}, entry {}) is not visible: {why}; file the whole version again (`truce lines import` appends a version and all its parts in one batch)",
                p.head.author, h.id, p.head.index, p.head.entry_id
            ),
        ));
    }

    fn apply_record(&mut self, index: u64, rec: RecordIn) -> Applied {
        let refuse = |l: &mut Ledger, why: String| {
            l.counts.refused += 1;
            Applied::Refused(Rejection::Invalid(why))
        };
        let Some(p) = self.pending.as_mut() else {
            return refuse(
                self,
                "an unsigned record without a manifest before it".into(),
            );
        };
        if p.author != rec.author {
            let why = format!(
                "record by `{}` inside a manifest of `{}`",
                rec.author, p.author
            );
            self.break_pending();
            return refuse(self, why);
        }
        let (id, kind) = (crate::entry::hex(&rec.digest), rec.kind);
        p.seen.push(rec.leaf);
        p.records.push((index, rec));
        if p.seen.count() < p.count {
            return Applied::Accepted(id, kind);
        }
        let Some(p) = self.pending.take() else {
            return Applied::Opaque;
        };
        if p.seen.root() != p.root {
            self.counts.refused += p.seen.count();
            return Applied::Refused(Rejection::Invalid(format!(
                "the {} records after the manifest at index {} do not hash to its root",
                p.count, p.index
            )));
        }
        let mut last = Applied::Accepted(id, kind);
        // The span of the track segments accepted under a manifest stating its reception area.
        let mut heard: Option<(i64, i64)> = None;
        for (i, e) in p.records {
            let checked = self
                .parties
                .get(&e.author)
                .ok_or_else(|| Rejection::UnknownAuthor(e.author.to_string()))
                .and_then(|a| check_role(e.kind, false, a))
                .and_then(|_| match &e.value {
                    RecordValue::Report(r) => self
                        .check_report(
                            &e.author,
                            r.id.as_str(),
                            r.perpetrator(),
                            r.relays(),
                            r.denies(),
                            r.revision(),
                        )
                        .map(Some),
                    RecordValue::Site(env) => self.check_body(env).map(|()| None),
                });
            match checked {
                Ok(old) => {
                    match e.value {
                        RecordValue::Report(r) => {
                            self.reports.insert(i, e.digest, &e.author, r, None, old);
                        }
                        RecordValue::Site(env) => {
                            if let (Some(_), Body::Track(t)) = (&p.reception, &env.body) {
                                let ms = |c: Option<&[i64]>| c.map(|c| t.hour * 1000 + c[0]);
                                if let (Some(a), Some(b)) = (
                                    ms(t.points.chunks_exact(3).next()),
                                    ms(t.points.chunks_exact(3).last()),
                                ) {
                                    heard =
                                        Some(heard.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
                                }
                            }
                            self.apply_accepted(i, *env)
                        }
                    }
                    self.counts.accepted += 1;
                }
                Err(r) => {
                    self.counts.refused += 1;
                    last = Applied::Refused(r);
                }
            }
        }
        if let (Some(area), Some((first_ms, last_ms))) = (p.reception, heard) {
            self.coverages.push(crate::ais::Coverage {
                manifest_index: p.index,
                author: p.author,
                area,
                first_ms,
                last_ms,
            });
        }
        last
    }

    /// Whether a manifest is still waiting for records.
    pub fn pending_records(&self) -> u64 {
        self.pending
            .as_ref()
            .map(|p| p.count - p.seen.count())
            .unwrap_or(0)
    }

    fn apply_accepted(&mut self, index: u64, env: Envelope) {
        if env.kind != Kind::Report {
            self.ids.insert(
                &env.id,
                (index, env.kind, env.author.clone(), same_key(&env.body)),
            );
        }
        let a = env.author.clone();
        // The body is moved out; `record` reads only the envelope's other fields.
        let mut env = env;
        let body = std::mem::replace(
            &mut env.body,
            Body::Clock(crate::witnessed::Clock {
                first: 0,
                entries: 0,
            }),
        );
        match body {
            Body::PartyRegister(reg) => {
                let keys = reg
                    .keys
                    .iter()
                    .filter_map(|k| {
                        let v = verifier_for(&reg.id, k).ok()?;
                        Some((
                            format!("{:08x}", v.key_id()),
                            KeyState {
                                vkey: k.clone(),
                                added_at: index,
                                revoked_at: None,
                                verifier: v,
                            },
                        ))
                    })
                    .collect();
                self.parties.insert(
                    reg.id.clone(),
                    PartyState {
                        id: reg.id,
                        name: reg.name,
                        role: reg.role,
                        keys,
                        registered_at: index,
                    },
                );
            }
            Body::KeyAdd(k) => {
                if let (Some(p), Ok(v)) = (
                    self.parties.get_mut(&k.party),
                    verifier_for(&k.party, &k.key),
                ) {
                    p.keys.insert(
                        format!("{:08x}", v.key_id()),
                        KeyState {
                            vkey: k.key,
                            added_at: index,
                            revoked_at: None,
                            verifier: v,
                        },
                    );
                }
            }
            Body::KeyRevoke(k) => {
                if let Some(s) = self
                    .parties
                    .get_mut(&k.party)
                    .and_then(|p| p.keys.get_mut(&k.key_id))
                {
                    s.revoked_at = Some(index);
                }
            }
            Body::Process(p) => {
                let rec = record(&env, index, p);
                self.process_versions.push(rec.clone());
                self.processes.insert((a, rec.value.id.clone()), rec);
            }
            Body::Reading(r) => {
                let key = (r.agreement.clone(), a);
                let rec = record(&env, index, r);
                self.reading_versions
                    .entry(key.clone())
                    .or_default()
                    .push(rec.clone());
                self.readings.insert(key, rec);
            }
            Body::Site(s) => {
                self.sites.insert((a, s.id.clone()), record(&env, index, s));
            }
            Body::Report(r) => {
                let digest = EntryIds::key(&env.id).unwrap_or_default();
                let lean = Lean::of(&r);
                self.reports
                    .insert(index, digest, &a, lean, Some(record(&env, index, r)), None);
            }
            Body::Assessment(x) => self.assessments.push(record(&env, index, x)),
            Body::Commitment(c) => {
                self.commitments
                    .insert(c.id.clone(), record(&env, index, c));
            }
            Body::Fulfilment(f) => self.fulfilments.push(record(&env, index, f)),
            Body::Statement(s) => {
                self.statements
                    .insert((a, s.id.clone()), record(&env, index, s));
            }
            Body::Amend(am) => self.apply_amend(am),
            Body::ReviewPolicy(x) => self.review_policies.push(record(&env, index, x)),
            Body::Invocation(x) => self.invocations.push(record(&env, index, x)),
            Body::Publication(x) => self.publications.push(record(&env, index, x)),
            Body::WitnessPolicy(p) => {
                if let Ok(parsed) = crate::witnessed::Timeline::check_policy(&p.policy) {
                    self.time.policies.push((index, p.policy, parsed));
                }
            }
            Body::Witnessing(w) => {
                if let Ok(round) = self.time.check_round(index, &w.checkpoint) {
                    self.time.rounds.push(round);
                }
                self.time.clocks.push((index, env.time));
            }
            Body::Clock(_) => self.time.clocks.push((index, env.time)),
            Body::Extension(x) => self.extensions.push(record(&env, index, x)),
            Body::Condition(x) => self
                .condition_versions
                .entry(x.id.clone())
                .or_default()
                .push(record(&env, index, x)),
            Body::Line(l) => self.insert_line(record(&env, index, l)),
            Body::LineHead(h) => {
                self.pending_line = Some(PendingLine {
                    head: record(&env, index, ()),
                    asm: crate::lines::Assembly::new(h, &env.id),
                });
            }
            Body::LinePart(part) => {
                let Some(mut p) = self.pending_line.take() else {
                    return;
                };
                // Checked on admission; should assembly still fail, the version is not filed.
                let failed = |head: &Record<()>, e: String| {
                    (
                        head.index,
                        format!(
                            "line {}/{} (the version filed at index {}, entry {}) is not visible: {e}",
                            head.author, part.line, head.index, head.entry_id
                        ),
                    )
                };
                match p.asm.push(&part) {
                    Ok(false) => self.pending_line = Some(p),
                    Ok(true) => {
                        let head = p.head.clone();
                        match p.asm.finish() {
                            Ok(v) => self.insert_line(Record {
                                index: head.index,
                                entry_id: head.entry_id,
                                author: head.author,
                                time: head.time,
                                key: head.key,
                                value: v,
                                retracted: None,
                                corrections: Vec::new(),
                            }),
                            Err(e) => self.incomplete_lines.push(failed(&head, e)),
                        }
                    }
                    Err(e) => self.incomplete_lines.push(failed(&p.head, e)),
                }
            }
            Body::Track(t) => self.tracks.insert(index, &a, &t),
            Body::Vessel(v) => self.vessels.insert(index, &a, env.time, v),
            Body::Manifest(m) => {
                if let Ok(root) = truce_log::Hash::parse_hash(&m.root) {
                    self.pending = Some(Pending {
                        author: a,
                        index,
                        count: m.count,
                        root,
                        seen: RootBuilder::default(),
                        // Room for the records announced, within what one commit can hold (the
                        // count is the author's word: a larger one grows as records come).
                        records: Vec::with_capacity(m.count.min(65_536) as usize),
                        reception: m.reception,
                    });
                }
            }
        }
    }

    /// Files a visible line version, keeping each line's versions in (`valid_from`, log index)
    /// order.
    fn insert_line(&mut self, rec: Record<crate::lines::LineVersion>) {
        let v = self
            .line_versions
            .entry((rec.author.clone(), rec.value.id.clone()))
            .or_default();
        let at = v.partition_point(|r| {
            (r.value.valid_from, r.index) <= (rec.value.valid_from, rec.index)
        });
        v.insert(at, rec);
    }

    fn apply_amend(&mut self, am: Amendment) {
        let Some(EntryAt { kind, .. }) = self.entry(&am.amends) else {
            return;
        };
        let target = am.amends.as_str();
        let retract = am.action == AmendAction::Retract;
        let body = am.body.and_then(|b| Body::parse(kind, b).ok());
        fn amend<T>(r: Option<&mut Record<T>>, retract: bool, new: Option<T>, reason: &str) {
            let Some(r) = r else { return };
            if retract {
                r.retracted = Some(reason.to_string());
            } else if let Some(v) = new {
                r.value = v;
                r.corrections.push(reason.to_string());
            }
        }
        let reason = am.reason.as_str();
        macro_rules! go {
            ($coll:expr, $variant:path) => {
                amend(
                    $coll.find(|r| r.entry_id == target),
                    retract,
                    body.clone()
                        .and_then(|b| if let $variant(x) = b { Some(x) } else { None }),
                    reason,
                )
            };
        }
        match kind {
            Kind::Process => {
                go!(self.processes.values_mut(), Body::Process);
                go!(self.process_versions.iter_mut(), Body::Process);
            }
            Kind::Reading => {
                go!(self.readings.values_mut(), Body::Reading);
                go!(self.reading_versions.values_mut().flatten(), Body::Reading);
            }
            Kind::Site => go!(self.sites.values_mut(), Body::Site),
            Kind::Report => {
                let current = EntryIds::key(target)
                    .and_then(|d| self.reports.entry(&d))
                    .filter(|r| r.is_current())
                    .map(|r| r.row());
                if let Some(row) = current {
                    if retract {
                        self.reports.retract(row, reason);
                    } else if let Some(Body::Report(v)) = body {
                        self.reports.correct(row, v, reason);
                    }
                }
            }
            Kind::Assessment => go!(self.assessments.iter_mut(), Body::Assessment),
            Kind::Commitment => go!(self.commitments.values_mut(), Body::Commitment),
            Kind::Fulfilment => go!(self.fulfilments.iter_mut(), Body::Fulfilment),
            Kind::Statement => go!(self.statements.values_mut(), Body::Statement),
            Kind::ReviewPolicy => go!(self.review_policies.iter_mut(), Body::ReviewPolicy),
            Kind::Invocation => go!(self.invocations.iter_mut(), Body::Invocation),
            Kind::Extension => go!(self.extensions.iter_mut(), Body::Extension),
            Kind::Condition => go!(
                self.condition_versions.values_mut().flatten(),
                Body::Condition
            ),
            Kind::Line => {
                // A correction stating `parts` keeps the version's geometry (checked on
                // admission): the head's fields replace the others.
                let rec = self
                    .line_versions
                    .values_mut()
                    .flatten()
                    .find(|r| r.entry_id == target);
                let new = match (&rec, body) {
                    (Some(r), Some(Body::LineHead(h))) => {
                        Some(h.with_geometry(r.value.geometry.clone()))
                    }
                    (_, Some(Body::Line(l))) => Some(l),
                    _ => None,
                };
                amend(rec, retract, new, reason);
                // A correction may move a version's valid_from: keep the order.
                for v in self.line_versions.values_mut() {
                    v.sort_by_key(|r| (r.value.valid_from, r.index));
                }
            }
            Kind::PartyRegister
            | Kind::KeyAdd
            | Kind::KeyRevoke
            | Kind::Amend
            | Kind::Manifest
            | Kind::Publication
            | Kind::WitnessPolicy
            | Kind::Witnessing
            | Kind::Clock
            | Kind::Track
            | Kind::Vessel
            | Kind::LinePart => {}
        }
    }

    /// Resolves a report reference — an entry id (64 hex digits) or `<author>/<report id>` — to
    /// the report's entry id.
    pub fn resolve_report(&self, r: &str) -> Result<String, Rejection> {
        if r.len() == 64 && r.bytes().all(|b| b.is_ascii_hexdigit()) {
            return match self.entry(r) {
                Some(EntryAt {
                    kind: Kind::Report, ..
                }) => Ok(r.to_string()),
                Some(EntryAt {
                    index: i, kind: k, ..
                }) => Err(Rejection::Invalid(format!(
                    "entry {r} (index {i}) is a {}, not a report",
                    k.as_str()
                ))),
                None => Err(Rejection::Invalid(format!(
                    "report entry {r} is not in the log"
                ))),
            };
        }
        let found = r.split_once('/').and_then(|(a, i)| {
            let (a, i) = (Id::new(a).ok()?, Id::new(i).ok()?);
            self.reports.get(&a, i.as_str()).map(|rec| rec.entry_id())
        });
        found.ok_or_else(|| {
            Rejection::Invalid(format!(
                "report {r:?} is not in the log (refer to a report by its entry id or as <author>/<report id>)"
            ))
        })
    }

    /// An agreement's time zone as its process states it (UTC when it states none); `None` when
    /// no process defines the agreement.
    pub fn agreement_zone(&self, agreement: &Id) -> Option<crate::time::TimeZoneName> {
        self.agreements()
            .into_iter()
            .find(|(_, _, a)| &a.id == agreement)
            .map(|(_, _, a)| a.time_zone.unwrap_or_else(crate::time::TimeZoneName::utc))
    }

    /// Every agreement defined by a process: (process id, phase id, definition).
    pub fn agreements(&self) -> Vec<(Id, Id, AgreementDef)> {
        let mut out = Vec::new();
        for p in self.processes.values().filter(|p| p.retracted.is_none()) {
            for ph in &p.value.phases {
                for a in &ph.agreements {
                    out.push((p.value.id.clone(), ph.id.clone(), a.clone()));
                }
            }
        }
        out
    }

    /// The AIS track segments of one MMSI, sorted by (hour, part, log index).
    pub fn tracks_of(&self, mmsi: u32) -> &[crate::ais::StoredTrack] {
        self.tracks.of(mmsi)
    }

    /// The AIS track segments with track in `t0_ms..=t1_ms` (unix milliseconds), by MMSI then
    /// time ([`crate::ais::TrackStore::in_box`] also limits them to a box).
    pub fn tracks_in(
        &self,
        t0_ms: i64,
        t1_ms: i64,
    ) -> impl Iterator<Item = &crate::ais::StoredTrack> + '_ {
        self.tracks.in_time(t0_ms, t1_ms)
    }

    /// The AIS reception coverages: per complete manifest that stated a reception area, the area
    /// and the span of the track segments accepted under it, in log order.
    pub fn ais_coverage(&self) -> &[crate::ais::Coverage] {
        &self.coverages
    }

    /// Every version of one MMSI's declared static data, oldest first (empty if none).
    pub fn vessel(&self, mmsi: u32) -> &[crate::ais::VesselVersion] {
        self.vessels.of(mmsi)
    }

    /// Every MMSI with declared static data, with its versions, ascending by MMSI.
    pub fn vessels(&self) -> impl Iterator<Item = (u32, &[crate::ais::VesselVersion])> + '_ {
        self.vessels.iter()
    }

    /// The version of `author`'s line `id` in force at `t`: of the versions not retracted, the
    /// one whose `valid_from` is the latest not after `t` (of two with the same, the one filed
    /// last); `None` before the first.
    pub fn line_at(
        &self,
        author: &Id,
        id: &Id,
        t: Time,
    ) -> Option<&Record<crate::lines::LineVersion>> {
        self.line_versions
            .get(&(author.clone(), id.clone()))?
            .iter()
            .rev()
            .filter(|r| r.retracted.is_none())
            .find(|r| r.value.valid_from <= t)
    }

    /// The latest version of every line (the one in force from the latest time on), by (author,
    /// line id); lines whose every version is retracted are left out.
    pub fn lines(&self) -> impl Iterator<Item = &Record<crate::lines::LineVersion>> + '_ {
        self.line_versions
            .values()
            .filter_map(|v| v.iter().rev().find(|r| r.retracted.is_none()))
    }

    /// The current readings of an agreement, by party.
    pub fn readings_of(&self, agreement: &Id) -> Vec<&Record<Reading>> {
        self.readings
            .iter()
            .filter(|((a, _), r)| a == agreement && r.retracted.is_none())
            .map(|(_, r)| r)
            .collect()
    }
}

/// The identifier an entry's value is filed under (for corrections to keep it).
fn same_key(body: &Body) -> Option<Id> {
    match body {
        Body::Process(p) => Some(p.id.clone()),
        Body::Reading(r) => Some(r.agreement.clone()),
        Body::Site(s) => Some(s.id.clone()),
        Body::Report(r) => Some(r.id.clone()),
        Body::Commitment(c) => Some(c.id.clone()),
        Body::Statement(s) => Some(s.id.clone()),
        Body::Fulfilment(f) => Some(f.commitment.clone()),
        Body::Extension(x) => Some(x.agreement.clone()),
        Body::Condition(c) => Some(c.id.clone()),
        Body::Line(l) => Some(l.id.clone()),
        Body::LineHead(h) => Some(h.id.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The root built leaf by leaf is the RFC 6962 root of all of them, at every count.
        #[test]
        fn the_streamed_root_is_the_merkle_root(leaves in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..70)) {
            let mut b = RootBuilder::default();
            prop_assert_eq!(b.root(), truce_log::merkle_root(std::iter::empty()));
            for (k, l) in leaves.iter().enumerate() {
                b.push(truce_log::record_hash(l));
                prop_assert_eq!(b.count(), k as u64 + 1);
                prop_assert_eq!(b.root(), truce_log::merkle_root(leaves[..=k].iter().map(Vec::as_slice)));
            }
        }
    }
}
