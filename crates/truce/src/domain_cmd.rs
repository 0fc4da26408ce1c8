//! The domain commands: parties and keys, agreements and readings, process, claims, commitments,
//! the taxonomy, and `truce submit`. Every write is signed by its author, passed through the
//! submission gates (its stated times against this computer's clock: [`Gate`]), checked against
//! the ledger replayed from the log, and appended as one batch; a refused entry appends nothing.

use crate::datadir::DataDir;
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use serde_json::json;
use signed_note::StandardSigner;
use std::path::{Path, PathBuf};
use truce_model::authoring::AuthoredFile;
use truce_model::domain::*;
use truce_model::entry::{sign, Body, Envelope};
use truce_model::gate::{self, Flag};
use truce_model::{views, Ledger, Time};
use truce_server::writer::GateFlag;
use truce_store::DynStorage;
use truce_store::{keyfile, LogReader, Sequencer};

/// The operator's party id, registered by `truce init`.
pub const OPERATOR: &str = "operator";

/// Replays the whole log into a ledger.
pub fn replay(reader: &LogReader<DynStorage>) -> Result<Ledger, Failure> {
    let (ledger, _) = truce_views::derived::replay_to(reader, reader.latest_size()?)
        .map_err(crate::engine_cmd::failure)?;
    Ok(ledger)
}

/// What a bulk command needs from the log: the ledger of signed entries (parties, keys…) and
/// the ids (with revisions and content digests) of the reports and sites `author` already filed.
/// Unsigned records are not folded into the ledger, only their ids and a digest of their bodies
/// are kept, so memory stays small on large logs.
pub struct BulkState {
    /// The ledger of everything but bulk records and their manifests.
    pub ledger: Ledger,
    /// Report ids of the author (as [`key_of`]), with revisions and content.
    pub reports: Seen,
    /// Site ids of the author (as [`key_of`]), with content.
    pub sites: Seen,
    /// AIS tracks and vessels of the author, as [`key_of`] their [`ais_key`].
    pub ais: std::collections::HashSet<[u8; 16]>,
}

/// The de-duplication id of an AIS record: `track:` or `vessel:` and the body's key
/// ([`truce_model::ais::Track::key`], [`truce_model::ais::Vessel::key`]); `None` for other kinds
/// or a body that does not read.
pub fn ais_key(kind: &str, body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct TrackHead<'a> {
        mmsi: u32,
        hour: i64,
        part: u32,
        #[serde(borrow)]
        sha256: &'a str,
    }
    match kind {
        "track" => {
            let h: TrackHead<'_> = serde_json::from_slice(body).ok()?;
            let sha = h.sha256.get(..16)?;
            Some(format!(
                "track:{}",
                truce_model::ais::track_key(h.mmsi, h.hour, h.part, sha)
            ))
        }
        "vessel" => {
            let v: truce_model::ais::Vessel = serde_json::from_slice(body).ok()?;
            Some(format!("vessel:{}", v.key()))
        }
        _ => None,
    }
}

/// What is known of one id already filed (in the log, or earlier in the file being read): 24
/// bytes, so with its 16-byte key de-duplication costs a few dozen bytes per record whatever the
/// record's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenRecord {
    /// Its revision (`i64::MIN` for none).
    pub revision: i64,
    /// The first 8 bytes of [`content_of`] its body.
    pub content: [u8; 8],
    /// The line of the file being read that gave it (0: it was already in the log).
    pub line: u32,
}

impl SeenRecord {
    /// A record of revision `revision`, body `body` (JSON, as in the entry), from `line` (0: the
    /// log).
    pub fn new(kind: &str, revision: Option<i64>, body: &[u8], line: u64) -> SeenRecord {
        SeenRecord {
            revision: revision.unwrap_or(i64::MIN),
            content: content_of(kind, body),
            line: u32::try_from(line).unwrap_or(u32::MAX),
        }
    }
}

/// Ids already filed, by a 16-byte digest of the id.
pub type Seen = std::collections::HashMap<[u8; 16], SeenRecord>;

/// The de-duplication key of an id: the first 16 bytes of its SHA-256.
pub fn key_of(id: &str) -> [u8; 16] {
    use sha2::Digest;
    let d = sha2::Sha256::digest(id.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// What a record says, to tell a re-read record (the same) from an id reused for something else:
/// the first 8 bytes of the SHA-256 of its body in JCS form (as in the entry), without a site's
/// `source` (where the listing was read from is provenance, not what is listed: the same site
/// read from another copy of the file is the same site).
pub fn content_of(kind: &str, body: &[u8]) -> [u8; 8] {
    use sha2::Digest;
    let d = if kind == "site" {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(mut m)) => {
                m.remove("source");
                let canonical = serde_json::to_vec(&m).unwrap_or_default();
                sha2::Sha256::digest(&canonical)
            }
            _ => sha2::Sha256::digest(body),
        }
    } else {
        sha2::Sha256::digest(body)
    };
    let mut k = [0u8; 8];
    k.copy_from_slice(&d[..8]);
    k
}

/// The body of an entry or record, as its exact JSON bytes.
pub fn body_of(entry: &[u8]) -> Option<&[u8]> {
    if let Some(b) = record_body(entry) {
        return Some(b);
    }
    #[derive(serde::Deserialize)]
    struct B<'a> {
        #[serde(borrow)]
        body: &'a serde_json::value::RawValue,
    }
    serde_json::from_slice::<B<'_>>(entry)
        .ok()
        .map(|b| b.body.get().as_bytes())
}

/// The body of an unsigned bulk record without parsing it. A record's bytes are its JCS form,
/// keys sorted: `{"author":"<id>","body":<body>,"kind":"<kind>","time":"<time>","v":1}`, so the
/// body is what lies between the author and the last `,"kind":"`, provided what follows that is
/// exactly a kind, a time and the version (a signed envelope, with its `key` and `sig`, or any
/// other shape is left to the parser). Ingest asks this of every record it reads or replays.
pub(crate) fn record_body(entry: &[u8]) -> Option<&[u8]> {
    const HEAD: &[u8] = b"{\"author\":\"";
    const BODY: &[u8] = b"\",\"body\":";
    const KIND: &[u8] = b",\"kind\":\"";
    const TIME: &[u8] = b"\",\"time\":\"";
    const TAIL: &[u8] = b"\",\"v\":1}";
    let rest = entry.strip_prefix(HEAD)?;
    let quote = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    let after_author = rest[quote..].strip_prefix(BODY)?;
    let start = entry.len() - after_author.len();
    let end = entry.windows(KIND.len()).rposition(|w| w == KIND)?;
    let tail = &entry[end + KIND.len()..];
    let kind_len = tail.iter().position(|&b| b == b'"')?;
    if !tail[..kind_len]
        .iter()
        .all(|b| b.is_ascii_lowercase() || *b == b'.')
    {
        return None;
    }
    let time = tail[kind_len..].strip_prefix(TIME)?;
    let time_len = time.iter().position(|&b| b == b'"' || b == b'\\')?;
    if &time[time_len..] != TAIL || end < start {
        return None;
    }
    Some(&entry[start..end])
}

/// Replays the log for a bulk command (see [`BulkState`]).
pub fn replay_for_bulk(reader: &LogReader<DynStorage>, author: &Id) -> Result<BulkState, Failure> {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        author: String,
        kind: String,
        #[serde(default)]
        sig: Option<serde::de::IgnoredAny>,
        #[serde(borrow)]
        body: &'a serde_json::value::RawValue,
    }
    #[derive(serde::Deserialize)]
    struct BodyHead {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        revision: Option<i64>,
    }
    let mut st = BulkState {
        ledger: Ledger::new(),
        reports: Default::default(),
        sites: Default::default(),
        ais: Default::default(),
    };
    // The author's reports and sites, signed or not: per id, the highest revision (of equal
    // revisions the first, which is the one the ledger keeps).
    let note = |st: &mut BulkState, h: &Head<'_>| {
        if h.author != author.as_str() {
            return;
        }
        if let Some(k) = ais_key(&h.kind, h.body.get().as_bytes()) {
            st.ais.insert(key_of(&k));
            return;
        }
        if !(h.kind == "site" || h.kind == "report") {
            return;
        }
        let body = h.body.get().as_bytes();
        let Ok(BodyHead {
            id: Some(id),
            revision,
        }) = serde_json::from_slice::<BodyHead>(body)
        else {
            return;
        };
        let map = if h.kind == "site" {
            &mut st.sites
        } else {
            &mut st.reports
        };
        let seen = SeenRecord::new(&h.kind, revision, body, 0);
        map.entry(key_of(&id))
            .and_modify(|old| {
                if seen.revision > old.revision {
                    *old = seen;
                }
            })
            .or_insert(seen);
    };
    reader.for_each_entry(|i, e| {
        if let Ok(h) = serde_json::from_slice::<Head<'_>>(e) {
            if h.kind == "manifest" {
                return;
            }
            if h.sig.is_none() {
                note(&mut st, &h);
                return;
            }
            if let truce_model::Applied::Refused(_) = st.ledger.apply(i, e) {
                return;
            }
            note(&mut st, &h);
            return;
        }
        st.ledger.apply(i, e);
    })?;
    Ok(st)
}

/// The submission clock and the gates' thresholds (the pure decision is
/// [`truce_model::gate::check`], shared with `POST /v1/entries`). Submission gates are not replay
/// rules: replaying the log never consults them.
#[derive(Clone)]
pub struct Gate {
    /// What the submission clock reads.
    pub now: Time,
    /// The thresholds.
    pub limits: gate::Limits,
    /// How messages name the clock.
    pub clock: &'static str,
    /// The operator's key, which signs the sequencer's `clock` entry closing each batch (none
    /// when this data directory holds no `operator.key`: the batch then carries no clock).
    pub sequencer: Option<StandardSigner>,
}

impl Gate {
    /// This computer's clock (whole seconds), with the thresholds `truce serve` uses:
    /// `TRUCE_MAX_CLOCK_SKEW_S` (default 300) and `TRUCE_LATE_FILING_S` (default 604800, 7 days)
    /// from the environment.
    pub fn system(dir: &DataDir) -> Result<Gate, Failure> {
        let mut c = truce_server::Config::default();
        c.apply_env(
            std::env::vars()
                .filter(|(k, _)| k == "TRUCE_MAX_CLOCK_SKEW_S" || k == "TRUCE_LATE_FILING_S"),
        )
        .map_err(|e| Failure::input(anyhow!(e)))?;
        let t = jiff::Timestamp::now();
        Ok(Gate {
            now: Time(jiff::Timestamp::from_second(t.as_second()).unwrap_or(t)),
            limits: c.gate_limits(),
            clock: "this computer's clock",
            sequencer: sequencer_signer(dir),
        })
    }

    /// A labelled clock reading `now`, e.g. a scenario's: `truce demo` files its 2025 entries
    /// as they were filed then, so each step's "now" is the step's own stated time and nothing is
    /// refused or flagged as late. Default thresholds.
    pub fn at(now: Time, clock: &'static str) -> Gate {
        Gate {
            now,
            limits: gate::Limits::default(),
            clock,
            sequencer: None,
        }
    }

    /// The same gate, with the operator's key signing each batch's `clock` entry.
    pub fn with_sequencer(mut self, signer: StandardSigner) -> Gate {
        self.sequencer = Some(signer);
        self
    }

    /// The sequencer's `clock` entry closing a batch of `entries` entries, at this gate's clock
    /// (never before the log's last clock), if this gate has the operator's key and the operator
    /// is registered in `ledger`.
    pub fn clock_entry(
        &self,
        ledger: &Ledger,
        first: u64,
        entries: usize,
    ) -> Result<Option<Envelope>, Failure> {
        let Some(signer) = &self.sequencer else {
            return Ok(None);
        };
        truce_model::witnessed::clock_entry(ledger, first, entries as u64, self.now, signer)
            .transpose()
            .map_err(Failure::input)
    }

    /// A flag in the API's shape (`code`, `message`, `seconds`), as `POST /v1/entries` says it.
    pub fn flag(&self, f: &Flag) -> GateFlag {
        GateFlag::new(f, self.clock)
    }
}

/// What [`submit_with`] appended.
#[derive(Debug)]
pub struct Submitted {
    /// The first entry's index.
    pub first: u64,
    /// The entries, in order.
    pub envs: Vec<Envelope>,
    /// What the submission gates noticed about each entry (accepted all the same).
    pub flags: Vec<Vec<Flag>>,
}

/// [`submit_with`] on this computer's clock ([`Gate::system`]); the gates' flags, if any, are
/// logged as warnings (on stderr unless `--quiet`).
#[allow(clippy::too_many_arguments)]
pub fn submit(
    dir: &DataDir,
    seq: &mut Sequencer<DynStorage>,
    ledger: &mut Ledger,
    author: &Id,
    signer: &StandardSigner,
    time: Time,
    bodies: &[Body],
    what: &str,
) -> Result<(u64, Vec<Envelope>), Failure> {
    let g = Gate::system(dir)?;
    let s = submit_with(seq, ledger, author, signer, time, bodies, what, &g)?;
    for (i, fs) in s.flags.iter().enumerate() {
        for f in fs {
            tracing::warn!(
                "{what}: entry {} ({}) flagged: {}",
                i + 1,
                describe(&bodies[i]),
                f.describe(g.clock)
            );
        }
    }
    Ok((s.first, s.envs))
}

/// Signs `bodies` as `author` at `time`, passes each through the submission gates at `gate`'s
/// clock, checks each against the ledger (including the ones before it in the same batch) and
/// appends them as one durable batch. Any refusal appends nothing.
#[allow(clippy::too_many_arguments)]
pub fn submit_with(
    seq: &mut Sequencer<DynStorage>,
    ledger: &mut Ledger,
    author: &Id,
    signer: &StandardSigner,
    time: Time,
    bodies: &[Body],
    what: &str,
    gate: &Gate,
) -> Result<Submitted, Failure> {
    let first = seq.size();
    let mut trial = ledger.clone();
    let mut envs = Vec::with_capacity(bodies.len());
    let mut flags = Vec::with_capacity(bodies.len());
    for (i, body) in bodies.iter().enumerate() {
        flags.push(
            gate::check(time, body, gate.now, &gate.limits).map_err(|r| {
                Failure::input(anyhow!(
                    "{what}: entry {} ({}) refused: {}; nothing was appended",
                    i + 1,
                    describe(body),
                    r.describe(gate.clock)
                ))
            })?,
        );
        let env = sign_entry(author, signer, time, body, i, what)?;
        trial.admit_envelope(&env).map_err(|r| {
            Failure::input(anyhow!(
                "{what}: entry {} ({}) refused: {r}; nothing was appended",
                i + 1,
                describe(body)
            ))
        })?;
        // Decoded once: the signed envelope is the one applied.
        let decoded = truce_model::Decoded::envelope(env.clone());
        trial.apply_decoded(first + i as u64, decoded);
        envs.push(env);
    }
    let clock = gate.clock_entry(&trial, first, envs.len())?;
    if let Some(c) = &clock {
        trial.admit_envelope(c).map_err(|r| {
            Failure::input(anyhow!(
                "{what}: the sequencer's clock entry was refused: {r}; nothing was appended"
            ))
        })?;
        let decoded = truce_model::Decoded::envelope(c.clone());
        trial.apply_decoded(first + envs.len() as u64, decoded);
    }
    let refs: Vec<&[u8]> = envs
        .iter()
        .chain(clock.iter())
        .map(|e| e.bytes.as_slice())
        .collect();
    seq.append(&refs)?;
    *ledger = trial;
    Ok(Submitted { first, envs, flags })
}

/// Signs entry `i` (0-based) of `what` as `author`; a failure names the entry (1-based). Shared
/// by `truce submit` (which then appends) and `truce sign` (which only writes the entries out).
pub fn sign_entry(
    author: &Id,
    signer: &StandardSigner,
    time: Time,
    body: &Body,
    i: usize,
    what: &str,
) -> Result<Envelope, Failure> {
    sign(author, time, body, signer)
        .map_err(|e| Failure::input(anyhow!("{what}: entry {}: {e}", i + 1)))
}

fn describe(body: &Body) -> String {
    let name = match body {
        Body::PartyRegister(b) => b.id.to_string(),
        Body::Process(b) => b.id.to_string(),
        Body::Reading(b) => format!("reading of {}", b.agreement),
        Body::Site(b) => b.id.to_string(),
        Body::Report(b) => b.id.to_string(),
        Body::Commitment(b) => b.id.to_string(),
        Body::Fulfilment(b) => format!("fulfilment of {}", b.commitment),
        Body::Statement(b) => b.id.to_string(),
        Body::KeyAdd(b) => b.party.to_string(),
        Body::KeyRevoke(b) => format!("{} key {}", b.party, b.key_id),
        Body::Manifest(m) => format!("of {} {} records", m.count, m.format),
        Body::Invocation(b) => format!("of {} against {}", b.agreement, b.against),
        Body::Publication(b) => format!("of {} at size {}", b.what, b.size),
        Body::Extension(b) => format!("of {} to {}", b.agreement, b.until),
        Body::Condition(b) => format!("{} {}", b.id, b.status.as_str()),
        Body::Track(b) => b.key(),
        Body::Vessel(b) => b.key(),
        Body::Line(b) => format!("{} from {}", b.id, b.valid_from),
        Body::LineHead(b) => format!("{} from {} in {} parts", b.id, b.valid_from, b.parts.count),
        Body::LinePart(b) => format!("{} part {}", b.line, b.part),
        Body::Assessment(_)
        | Body::Amend(_)
        | Body::ReviewPolicy(_)
        | Body::WitnessPolicy(_)
        | Body::Witnessing(_)
        | Body::Clock(_) => String::new(),
    };
    if name.is_empty() {
        body.kind().as_str().to_string()
    } else {
        format!("{} {name}", body.kind().as_str())
    }
}

/// Registers the operator as the log's first entry (the genesis entry), stated at `time`, which is
/// also the submission clock's reading (`truce init` passes this computer's clock, `truce demo`
/// its scenario's start).
pub fn genesis(
    seq: &mut Sequencer<DynStorage>,
    operator: &truce_log::KeyPair,
    name: &str,
    time: Time,
) -> Result<(), Failure> {
    let signer = truce_log::parse_signer(&operator.signer).map_err(Failure::input)?;
    let body = Body::PartyRegister(PartyRegistration {
        id: id(OPERATOR)?,
        name: name.to_string(),
        role: Role::Operator,
        keys: vec![operator.verifier.clone()],
    });
    let mut ledger = Ledger::new();
    submit_with(
        seq,
        &mut ledger,
        &id(OPERATOR)?,
        &signer,
        time,
        &[body],
        "genesis",
        &Gate::at(time, "the genesis clock"),
    )?;
    Ok(())
}

fn id(s: &str) -> Result<Id, Failure> {
    Id::new(s).map_err(|e| Failure::input(anyhow!(e)))
}

/// Reads a signer key file.
pub fn load_signer(path: &Path) -> Result<StandardSigner, Failure> {
    let text = keyfile::read(path).map_err(Failure::input)?;
    truce_log::parse_signer(&text).map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))
}

fn now() -> Time {
    Time(jiff::Timestamp::now())
}

/// The operator's key for the sequencer's clock entries, if this data directory holds it.
pub fn sequencer_signer(dir: &DataDir) -> Option<StandardSigner> {
    let path = dir.operator_key();
    if !path.exists() {
        return None;
    }
    match load_signer(&path) {
        Ok(s) => Some(s),
        Err(f) => {
            tracing::warn!(
                "{:#}: batches are appended without the sequencer's clock entry",
                f.error
            );
            None
        }
    }
}

fn operator_signer(dir: &DataDir) -> Result<StandardSigner, Failure> {
    load_signer(&dir.operator_key()).map_err(|f| {
        Failure::store(anyhow!(
            "{:#}: the operator's key (written by `truce init`) signs party registrations",
            f.error
        ))
    })
}

/// Signs `bodies` with the operator's key (registrations, rotations, revocations) and appends
/// them as one batch, checked against the ledger.
fn operator_submit(
    dir: &DataDir,
    seq: &mut Sequencer<DynStorage>,
    ledger: &mut Ledger,
    bodies: &[Body],
    what: &str,
) -> Result<(u64, Vec<Envelope>), Failure> {
    let signer = operator_signer(dir)?;
    submit(
        dir,
        seq,
        ledger,
        &id(OPERATOR)?,
        &signer,
        now(),
        bodies,
        what,
    )
}

/// `truce party add`.
pub fn party_add(
    dir: &DataDir,
    party: &str,
    name: &str,
    role: Role,
    key: Option<&Path>,
    out: &Out,
) -> Result<(), Failure> {
    let pid = id(party)?;
    let mut seq = dir.sequencer()?;
    let mut ledger = replay(seq.reader())?;
    if ledger.parties.contains_key(&pid) {
        return Err(Failure::input(anyhow!(
            "party `{party}` is already registered; `truce party rotate` changes its keys"
        )));
    }
    let (vkey, written) = party_key(dir, party, key, false)?;
    let body = Body::PartyRegister(PartyRegistration {
        id: pid.clone(),
        name: name.to_string(),
        role,
        keys: vec![vkey.clone()],
    });
    let (index, envs) = operator_submit(dir, &mut seq, &mut ledger, &[body], "party add")?;
    if let Some(p) = &written {
        eprintln!(
            "generated {party}'s signer key in {} (secret, mode 0600): hand it to the party",
            p.display()
        );
    }
    out.print(
        format!("registered {party} ({}) at index {index}\n", role.as_str()),
        json!({ "party": party, "role": role, "index": index, "entry_id": envs[0].id, "vkey": vkey, "key_file": written }),
    )
}

/// The verifier key for a party: read from `key`, or generated with its signer key written into
/// DIR/keys/ (`<party>.key`, or `<party>-<key id>.key` for a rotation).
fn party_key(
    dir: &DataDir,
    party: &str,
    key: Option<&Path>,
    rotation: bool,
) -> Result<(String, Option<PathBuf>), Failure> {
    if let Some(p) = key {
        return Ok((
            keyfile::read(p).map_err(Failure::input)?.trim().to_string(),
            None,
        ));
    }
    let k = truce_log::generate_key(&mut rand_core::OsRng, party).map_err(Failure::input)?;
    std::fs::create_dir_all(dir.keys_dir())
        .map_err(|e| Failure::store(anyhow!("{}: {e}", dir.keys_dir().display())))?;
    let file = if rotation {
        use signed_note::Verifier;
        let v = truce_log::parse_verifier(&k.verifier).map_err(Failure::input)?;
        format!("{party}-{:08x}.key", v.key_id())
    } else {
        format!("{party}.key")
    };
    let path = dir.keys_dir().join(file);
    keyfile::write_new(&path, &k.signer, 0o600).map_err(Failure::input)?;
    Ok((k.verifier, Some(path)))
}

/// Ids joined with ", ".
fn join_ids(ids: &[Id]) -> String {
    ids.iter().map(Id::to_string).collect::<Vec<_>>().join(", ")
}

/// `truce party list`.
pub fn party_list(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let ledger = replay(&dir.reader()?)?;
    let mut table = crate::table::new(&["ID", "ROLE", "NAME", "KEYS"], &[]);
    let mut rows = Vec::new();
    for p in ledger.parties.values() {
        let keys: Vec<String> = p
            .keys
            .iter()
            .map(|(k, s)| match s.revoked_at {
                Some(i) => format!("{k} (revoked at {i})"),
                None => format!("{k} (active)"),
            })
            .collect();
        table.add_row(vec![
            p.id.to_string(),
            p.role.as_str().to_string(),
            p.name.clone(),
            keys.join(", "),
        ]);
        rows.push(json!({
            "id": p.id, "name": p.name, "role": p.role, "registered_at": p.registered_at,
            "keys": p.keys.iter().map(|(k, s)| json!({"key_id": k, "vkey": s.vkey, "added_at": s.added_at, "revoked_at": s.revoked_at})).collect::<Vec<_>>(),
        }));
    }
    out.print(crate::table::render(&table), json!(rows))
}

/// `truce party rotate`: registers a new key and revokes every other active key of the party.
pub fn party_rotate(
    dir: &DataDir,
    party: &str,
    key: Option<&Path>,
    out: &Out,
) -> Result<(), Failure> {
    let pid = id(party)?;
    let mut seq = dir.sequencer()?;
    let mut ledger = replay(seq.reader())?;
    let p = ledger
        .parties
        .get(&pid)
        .ok_or_else(|| Failure::input(anyhow!("party `{party}` is not registered")))?;
    let old: Vec<String> = p
        .keys
        .iter()
        .filter(|(_, s)| s.revoked_at.is_none())
        .map(|(k, _)| k.clone())
        .collect();
    let (vkey, written) = party_key(dir, party, key, true)?;
    let mut bodies = vec![Body::KeyAdd(KeyAdd {
        party: pid.clone(),
        key: vkey.clone(),
    })];
    for k in &old {
        bodies.push(Body::KeyRevoke(KeyRevoke {
            party: pid.clone(),
            key_id: k.clone(),
            reason: "rotated".into(),
        }));
    }
    let (index, _) = operator_submit(dir, &mut seq, &mut ledger, &bodies, "party rotate")?;
    if let Some(p) = &written {
        eprintln!(
            "generated the new key in {} (secret, mode 0600)",
            p.display()
        );
    }
    out.print(
        format!("{party}: new key added at index {index}; revoked {}\n", if old.is_empty() { "none".into() } else { old.join(", ") }),
        json!({ "party": party, "index": index, "vkey": vkey, "revoked": old, "key_file": written }),
    )
}

/// `truce party revoke`.
pub fn party_revoke(
    dir: &DataDir,
    party: &str,
    key_id: &str,
    reason: &str,
    out: &Out,
) -> Result<(), Failure> {
    let mut seq = dir.sequencer()?;
    let mut ledger = replay(seq.reader())?;
    let body = Body::KeyRevoke(KeyRevoke {
        party: id(party)?,
        key_id: key_id.to_string(),
        reason: reason.to_string(),
    });
    let (index, _) = operator_submit(dir, &mut seq, &mut ledger, &[body], "party revoke")?;
    out.print(
        format!("{party}: key {key_id} revoked at index {index}\n"),
        json!({ "party": party, "key_id": key_id, "index": index }),
    )
}

/// Reads and parses an authoring file.
pub fn read_authored(path: &Path) -> Result<AuthoredFile, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))?;
    AuthoredFile::parse(&path.display().to_string(), &text).map_err(|e| Failure::input(anyhow!(e)))
}

/// An authoring file's entry bodies with its observations (`[[observation]]`) filed: each
/// becomes a public report, appended after the file's other bodies, and a restricted position
/// (`truce_ingest::observations`), with the salt `salt` gives for it.
pub fn bodies_filed(
    f: &AuthoredFile,
    what: &str,
    salt: &mut dyn FnMut(&truce_model::front::ObservationDraft) -> Vec<u8>,
) -> Result<
    (
        Vec<Body>,
        Vec<truce_ingest::observations::RestrictedPosition>,
    ),
    Failure,
> {
    let mut bodies = f.bodies();
    let mut positions = Vec::with_capacity(f.observation.len());
    for d in &f.observation {
        let (r, p) = truce_ingest::observations::file(d, &salt(d))
            .map_err(|e| Failure::input(anyhow!("{what}: {e}")))?;
        bodies.push(Body::Report(r));
        positions.push(p);
    }
    Ok((bodies, positions))
}

/// The most bytes one `line` entry's body may take, leaving room for its envelope within the
/// log's 65,535 bytes an entry; a larger version is filed in parts
/// ([`truce_model::lines::split`]).
pub const LINE_BODY_MAX: usize = 64_000;

/// `bodies` with every line version too large for one entry filed in parts: a `line` head
/// stating the parts' count and digest, then its `line.part` entries right after it. Each part
/// names its head's entry id as `author` signs it at `time` (signatures are deterministic: the
/// head signed when the batch is filed is this one), and the parts are assembled here as the
/// ledger will, so a version that would not assemble is refused before anything is signed.
/// Used by `truce lines import`, `truce submit` and `truce sign` alike.
pub fn lines_in_parts(
    bodies: Vec<Body>,
    author: &truce_model::Id,
    signer: &StandardSigner,
    time: Time,
    what: &str,
) -> Result<Vec<Body>, Failure> {
    use truce_model::lines;
    let bad = |e: String| Failure::input(anyhow!("{what}: {e}"));
    let mut out = Vec::with_capacity(bodies.len());
    for body in bodies {
        let Body::Line(line) = body else {
            out.push(body);
            continue;
        };
        match lines::split(&line, LINE_BODY_MAX)
            .map_err(|e| bad(format!("line {}: {e}", line.id)))?
        {
            None => out.push(Body::Line(line)),
            Some((head, mut parts)) => {
                let head_id = sign(author, time, &Body::LineHead(head.clone()), signer)
                    .map_err(|e| bad(format!("line {}: {e}", line.id)))?
                    .id;
                lines::bind(&mut parts, &head_id);
                let mut asm = lines::Assembly::new(head.clone(), &head_id);
                for p in &parts {
                    asm.push(p)
                        .map_err(|e| bad(format!("line {}: {e}", line.id)))?;
                }
                asm.finish()
                    .map_err(|e| bad(format!("line {}: {e}", line.id)))?;
                out.push(Body::LineHead(head));
                out.extend(parts.into_iter().map(Body::LinePart));
            }
        }
    }
    Ok(out)
}

/// Refuses an authoring file holding observations where they cannot be filed (signing for
/// another log, a fulfilment): their positions must go to the log's restricted store.
pub fn no_observations(f: &AuthoredFile, what: &str) -> Result<(), Failure> {
    if f.observation.is_empty() {
        Ok(())
    } else {
        Err(Failure::input(anyhow!(
            "{what}: holds [[observation]] tables, whose observers' positions go to the log's restricted store: file it with `truce submit` on the log's data directory"
        )))
    }
}

/// Stores observations' restricted positions in the restricted store (`DIR/restricted.db`, or the
/// cluster's database when the log is shared; kind `position`), as
/// `PUT /v1/restricted/{commitment}` would, for `author` (whose reports carry the commitments).
/// Returns how many were new.
pub fn store_positions(
    dir: &Path,
    author: &Id,
    positions: &[truce_ingest::observations::RestrictedPosition],
    now: i64,
) -> Result<usize, Failure> {
    use truce_server::restricted::{ContentKind, PutOutcome, Store};
    if positions.is_empty() {
        return Ok(0);
    }
    // The error names the file, or the cluster's database when the log is shared.
    let store = Store::open(dir).map_err(|e| Failure::store(anyhow!(e)))?;
    let mut new = 0;
    for p in positions {
        match store
            .put(
                &p.commitment,
                ContentKind::Position,
                &p.salt,
                &p.content,
                author.as_str(),
                now,
            )
            .map_err(|e| Failure::store(anyhow!(e)))?
        {
            PutOutcome::Created => new += 1,
            PutOutcome::AlreadyStored => {}
            PutOutcome::KindConflict(k) => {
                return Err(Failure::input(anyhow!(
                    "{} is already stored as {} content",
                    p.commitment,
                    k.as_str()
                )))
            }
        }
    }
    Ok(new)
}

/// `truce submit` and `truce agreement add`: signs every entry of an authoring file as `author`.
pub fn submit_file(
    dir: &DataDir,
    file: &Path,
    author: &str,
    key: &Path,
    require_reading: bool,
    out: &Out,
) -> Result<(), Failure> {
    let f = read_authored(file)?;
    if require_reading && f.reading.is_none() {
        return Err(Failure::input(anyhow!(
            "{}: no [reading] table; `truce agreement add` takes a reading (use `truce submit` for other entries)",
            file.display()
        )));
    }
    let signer = load_signer(key)?;
    let gate = Gate::system(dir)?;
    let mut seq = dir.sequencer()?;
    let mut ledger = replay(seq.reader())?;
    // Observations: a random salt each, so a commitment says nothing of the position.
    let (bodies, positions) = bodies_filed(&f, &file.display().to_string(), &mut |_| {
        use rand_core::RngCore;
        let mut salt = vec![0u8; 32];
        rand_core::OsRng.fill_bytes(&mut salt);
        salt
    })?;
    let author_id = id(author)?;
    let bodies = lines_in_parts(
        bodies,
        &author_id,
        &signer,
        f.time,
        &file.display().to_string(),
    )?;
    let s = submit_with(
        &mut seq,
        &mut ledger,
        &author_id,
        &signer,
        f.time,
        &bodies,
        &file.display().to_string(),
        &gate,
    )?;
    store_positions(
        &dir.path,
        &author_id,
        &positions,
        jiff::Timestamp::now().as_second(),
    )?;
    let index = s.first;
    let mut text = String::new();
    let mut rows = Vec::with_capacity(s.envs.len());
    for (i, (e, fs)) in s.envs.iter().zip(&s.flags).enumerate() {
        text.push_str(&format!(
            "{} {} by {author}: entry {}\n",
            index + i as u64,
            e.kind.as_str(),
            &e.id[..16]
        ));
        let flags: Vec<GateFlag> = fs.iter().map(|f| gate.flag(f)).collect();
        for f in &flags {
            text.push_str(&format!("  flagged ({}): {}\n", f.code, f.message));
        }
        let mut row = json!({"index": index + i as u64, "kind": e.kind, "entry_id": e.id});
        if !flags.is_empty() {
            row["flags"] = json!(flags);
        }
        rows.push(row);
    }
    out.print(text, json!(rows))
}

fn phase_status(ledger: &Ledger, agreement: &Id) -> Option<(Id, PhaseStatus)> {
    ledger
        .processes
        .values()
        .filter(|p| p.retracted.is_none())
        .find_map(|p| {
            p.value
                .phases
                .iter()
                .find(|ph| ph.agreements.iter().any(|a| &a.id == agreement))
                .map(|ph| (ph.id.clone(), ph.status))
        })
}

/// `truce agreement list`.
pub fn agreement_list(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let ledger = replay(&dir.reader()?)?;
    let mut table = crate::table::new(
        &[
            "AGREEMENT",
            "TITLE",
            "PROCESS/PHASE",
            "STATUS",
            "DAYS IN",
            "READINGS",
        ],
        &[],
    );
    let mut rows = Vec::new();
    for (process, phase, a) in ledger.agreements() {
        let readers: Vec<String> = ledger
            .readings_of(&a.id)
            .iter()
            .map(|r| r.author.to_string())
            .collect();
        let status = phase_status(&ledger, &a.id).map(|(_, s)| s);
        let zone = a
            .time_zone
            .as_ref()
            .map_or_else(|| "UTC".to_string(), |z| z.to_string());
        table.add_row(vec![
            a.id.to_string(),
            a.title.clone(),
            format!("{process}/{phase}"),
            file_name(&status.unwrap_or(PhaseStatus::Proposed)),
            zone.clone(),
            if readers.is_empty() {
                "none".into()
            } else {
                readers.join(", ")
            },
        ]);
        rows.push(json!({"id": a.id, "title": a.title, "process": process, "phase": phase, "status": status, "joint_text": a.joint_text, "time_zone": zone, "readings": readers}));
    }
    let text = if rows.is_empty() {
        "no agreements yet: a process file defines them (`truce submit process.toml --as <mediator>`)\n".to_string()
    } else {
        crate::table::render(&table)
    };
    out.print(text, json!(rows))
}

/// A value as the authoring files and the JSON name it (its serde name, kebab-case: `lapsed`,
/// `violation-frees-other-side`); a list of them joined by ", ". Never a Rust debug name.
pub fn file_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn require_agreement(ledger: &Ledger, agreement: &str) -> Result<Id, Failure> {
    let aid = id(agreement)?;
    if !ledger.agreements().iter().any(|(_, _, a)| a.id == aid) {
        let known: Vec<String> = ledger
            .agreements()
            .iter()
            .map(|(_, _, a)| a.id.to_string())
            .collect();
        return Err(Failure::input(anyhow!(
            "no agreement `{agreement}`; known: {}",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        )));
    }
    Ok(aid)
}

/// `truce agreement show`.
pub fn agreement_show(dir: &DataDir, agreement: &str, out: &Out) -> Result<(), Failure> {
    let ledger = replay(&dir.reader()?)?;
    let aid = require_agreement(&ledger, agreement)?;
    let zone = ledger
        .agreements()
        .into_iter()
        .find(|(_, _, a)| a.id == aid)
        .and_then(|(_, _, a)| a.time_zone)
        .map_or_else(|| "UTC".to_string(), |z| z.to_string());
    let mut text = format!("{aid}: days counted in {zone}\n");
    let mut rows = Vec::new();
    for r in ledger.readings_of(&aid) {
        let t = &r.value.terms;
        text.push_str(&format!(
            "── reading by {} (entry {} at index {})\n",
            r.author,
            &r.entry_id[..16],
            r.index
        ));
        text.push_str(&format!("   summary    {}\n", r.value.summary));
        text.push_str(&format!(
            "   source     {} ({})\n",
            r.value.source.title, r.value.source.date
        ));
        for q in &r.value.source.quotes {
            text.push_str(&format!("              “{q}”\n"));
        }
        text.push_str(&format!(
            "   window     from {} to {}{}\n",
            t.window.start,
            t.window
                .effective_end()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "(no end stated)".into()),
            t.window
                .extension
                .as_ref()
                .map(|x| format!("; extension: {x}"))
                .unwrap_or_default()
        ));
        text.push_str(&format!(
            "   prohibited {}\n",
            file_name(&t.prohibited_acts)
        ));
        text.push_str(&format!("   bound      {}\n", join_ids(&t.bound)));
        text.push_str(&format!(
            "   protected  {}\n",
            t.protected
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for rel in &t.release {
            text.push_str(&format!(
                "   release    {}: {}\n",
                file_name(&rel.kind),
                rel.text
            ));
        }
        for z in &t.zones {
            text.push_str(&format!("   zone       {}\n", z.name));
        }
        rows.push(json!({"party": r.author, "index": r.index, "entry_id": r.entry_id, "reading": r.value}));
    }
    if rows.is_empty() {
        text.push_str("no readings filed yet\n");
    }
    out.print(
        text,
        json!({"agreement": aid, "time_zone": zone, "readings": rows}),
    )
}

/// `truce agreement diff`.
pub fn agreement_diff(dir: &DataDir, agreement: &str, out: &Out) -> Result<(), Failure> {
    let ledger = replay(&dir.reader()?)?;
    let aid = require_agreement(&ledger, agreement)?;
    let d = views::readings_diff(&ledger, &aid);
    out.print(
        render_diff(&d),
        serde_json::to_value(&d).unwrap_or_default(),
    )
}

/// Renders a readings diff as a table, differing rows first.
pub fn render_diff(d: &views::ReadingsDiff) -> String {
    if d.readings.is_empty() {
        return format!(
            "no party has filed a reading of {}: nothing to compare yet (`truce agreement add FILE --as PARTY --key KEY` files one)\n",
            d.agreement
        );
    }
    let parties: Vec<&String> = d.readings.iter().map(|r| &r.party).collect();
    let mut s = format!("readings of {}:\n", d.agreement);
    for r in &d.readings {
        s.push_str(&format!("  {:<8} {} — {}\n", r.party, r.source, r.summary));
    }
    let w = 30usize;
    s.push_str(&format!("\n  {:<34}", "aspect"));
    for p in &parties {
        s.push_str(&format!(" {:<w$}", p));
    }
    s.push('\n');
    let cell = |v: &str| -> String {
        if v.chars().count() > w {
            v.chars().take(w - 1).chain(['…']).collect()
        } else {
            v.to_string()
        }
    };
    let mut agreed_categories = Vec::new();
    for differs in [true, false] {
        for row in d.rows.iter().filter(|r| r.differs == differs) {
            if !differs {
                if let Some(c) = row.aspect.strip_prefix("category ") {
                    agreed_categories.push(c);
                    continue;
                }
            }
            s.push_str(&format!(
                "{} {:<34}",
                if row.differs { "≠" } else { " " },
                row.aspect
            ));
            for p in &parties {
                let v = row.values.get(*p).map(String::as_str).unwrap_or("—");
                s.push_str(&format!(" {:<w$}", cell(v)));
            }
            s.push('\n');
        }
    }
    if !agreed_categories.is_empty() {
        s.push_str(&format!(
            "\nprotected by every reading: {}\n",
            agreed_categories.join(", ")
        ));
    }
    s.push_str("\ncategories protected by one reading and not another:\n");
    for (p, cats) in &d.categories_only_in {
        if !cats.is_empty() {
            s.push_str(&format!("  only {p}: {}\n", cats.join(", ")));
        }
    }
    s
}

/// `truce process show`.
pub fn process_show(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let ledger = replay(&dir.reader()?)?;
    let mut text = String::new();
    let mut rows = Vec::new();
    for p in ledger.processes.values().filter(|p| p.retracted.is_none()) {
        text.push_str(&format!(
            "{} — {} (filed by {}, index {})\n",
            p.value.id, p.value.title, p.author, p.index
        ));
        for ph in &p.value.phases {
            let deps = if ph.depends_on.is_empty() {
                String::new()
            } else {
                format!(" after {}", join_ids(&ph.depends_on))
            };
            text.push_str(&format!(
                "  {:<20} {:<12}{deps}: {}\n",
                ph.id,
                file_name(&ph.status),
                ph.title
            ));
            for a in &ph.agreements {
                text.push_str(&format!("      agreement {} — {}\n", a.id, a.title));
            }
            for n in &ph.notes {
                text.push_str(&format!("      · {n}\n"));
            }
        }
        rows.push(json!({"author": p.author, "index": p.index, "process": p.value}));
    }
    if rows.is_empty() {
        text.push_str("no process filed yet\n");
    }
    out.print(text, json!(rows))
}

/// `truce claims`.
pub fn claims(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let ledger = replay(&dir.reader()?)?;
    let topics = views::claims(&ledger);
    let mut text = String::new();
    for t in &topics {
        text.push_str(&format!(
            "{}{}\n",
            t.topic,
            if t.contradiction {
                "  ⚠ CONTRADICTION"
            } else {
                ""
            }
        ));
        for c in &t.claims {
            text.push_str(&format!(
                "  {:<8} {:<7} {} — {}{}\n",
                c.speaker,
                file_name(&c.stance),
                c.proposition,
                c.source,
                if c.quote.is_empty() {
                    String::new()
                } else {
                    format!(": “{}”", c.quote)
                }
            ));
        }
    }
    if topics.is_empty() {
        text.push_str("no statements yet\n");
    }
    out.print(text, serde_json::to_value(&topics).unwrap_or_default())
}

/// `truce commitments`.
pub fn commitments(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let ledger = replay(&dir.reader()?)?;
    let cs = views::commitments(&ledger);
    out.print(
        render_commitments(&cs),
        serde_json::to_value(&cs).unwrap_or_default(),
    )
}

/// Renders commitments with their balances.
pub fn render_commitments(cs: &[views::CommitmentStatus]) -> String {
    let mut text = String::new();
    for c in cs {
        let flag = if c.status == "discrepancy" {
            "  ⚠ DISCREPANCY"
        } else {
            ""
        };
        text.push_str(&format!(
            "{} — {} (due {}, logged by {}): {}{flag}\n",
            c.id, c.title, c.due, c.author, c.status
        ));
        for i in &c.items {
            let dir = match (&i.from, &i.to) {
                (Some(f), Some(t)) => format!("{f}→{t}"),
                (Some(f), None) => format!("from {f}"),
                (None, Some(t)) => format!("to {t}"),
                (None, None) => String::new(),
            };
            // Each side's own total, never added together.
            let sides = i
                .by_side
                .iter()
                .map(|(side, n)| format!("{side} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            text.push_str(&format!(
                "  {:<20} {:<8} promised {:>5}  delivered {:>5}  ({}){}{}\n",
                i.what,
                dir,
                i.promised,
                i.delivered,
                if sides.is_empty() {
                    "nobody reported"
                } else {
                    &sides
                },
                if i.discrepancy { "  ≠" } else { "" },
                if i.sides_differ { "  SIDES DIFFER" } else { "" }
            ));
        }
    }
    if cs.is_empty() {
        text.push_str("no commitments yet\n");
    }
    text
}

/// `truce taxonomy`.
pub fn taxonomy(out: &Out) -> Result<(), Failure> {
    use truce_model::taxonomy::{CATEGORIES, NAMED_SETS};
    let mut text = String::from("categories:\n");
    for (c, d) in CATEGORIES {
        text.push_str(&format!("  {c:<28} {d}\n"));
    }
    text.push_str("\nnamed sets (write `set:<name>` in a reading's `protected` list):\n");
    let mut sets = Vec::new();
    for (n, d, _) in NAMED_SETS {
        let expanded: Vec<String> = truce_model::taxonomy::expand(&format!("set:{n}"))
            .map(|s| s.into_iter().map(|c| c.to_string()).collect())
            .unwrap_or_default();
        text.push_str(&format!("  {n}\n    {d}\n    = {}\n", expanded.join(", ")));
        sets.push(json!({"name": n, "description": d, "categories": expanded}));
    }
    out.print(
        text,
        json!({"categories": CATEGORIES.iter().map(|(c, d)| json!({"name": c, "description": d})).collect::<Vec<_>>(), "sets": sets}),
    )
}

/// `truce witness policy FILE`: the operator files the witness policy rounds are judged under.
pub fn witness_policy(dir: &DataDir, file: &Path, out: &Out) -> Result<(), Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::input(anyhow!("{}: {e}", file.display())))?;
    truce_model::witnessed::Timeline::check_policy(&text)
        .map_err(|e| Failure::input(anyhow!("{}: {e}", file.display())))?;
    let mut seq = dir.sequencer()?;
    let mut ledger = replay(seq.reader())?;
    let body = Body::WitnessPolicy(truce_model::witnessed::WitnessPolicy { policy: text });
    let (index, envs) = operator_submit(
        dir,
        &mut seq,
        &mut ledger,
        &[body],
        &file.display().to_string(),
    )?;
    out.print(
        format!(
            "witness policy filed: entry {index} ({})\n",
            &envs[0].id[..16]
        ),
        json!({"index": index, "entry_id": envs[0].id}),
    )
}

/// `truce log known-by INDEX`: the entry's known-by interval against its stated time.
pub fn known_by(dir: &DataDir, index: u64, out: &Out) -> Result<(), Failure> {
    let reader = dir.reader()?;
    let size = reader.latest().map(|c| c.size).unwrap_or(0);
    if index >= size {
        return Err(Failure::input(anyhow!(
            "entry {index} is beyond the log (size {size}); entries are 0..{}",
            size.saturating_sub(1)
        )));
    }
    let ledger = replay(&reader)?;
    let bytes = reader.entry(index)?;
    let env = truce_model::decode(&bytes).ok();
    let t = truce_model::witnessed::EntryTime::new(
        &ledger.time,
        index,
        env.as_ref().map(|e| e.kind.as_str()),
        env.as_ref().map(|e| e.time),
        &Gate::system(dir)?.limits,
    );
    let stated = t
        .stated
        .map(|s| format!("stated {s}; "))
        .unwrap_or_default();
    out.print(
        format!("entry {index}: {stated}{}\n", t.words),
        serde_json::to_value(&t).map_err(|e| Failure::input(anyhow!(e)))?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path agrees with the parser on records, and leaves everything else to it.
    #[test]
    fn a_record_body_is_sliced_exactly_as_the_parser_finds_it() {
        let parsed = |e: &[u8]| {
            #[derive(serde::Deserialize)]
            struct B<'a> {
                #[serde(borrow)]
                body: &'a serde_json::value::RawValue,
            }
            serde_json::from_slice::<B<'_>>(e)
                .unwrap()
                .body
                .get()
                .as_bytes()
                .to_vec()
        };
        let rec = br#"{"author":"firms","body":{"id":"a","kind":"x","text":",\"kind\":\"report\""},"kind":"report","time":"2025-03-19T00:00:00Z","v":1}"#;
        assert_eq!(record_body(rec).unwrap(), parsed(rec).as_slice());
        assert_eq!(body_of(rec).unwrap(), parsed(rec).as_slice());
        // A signed envelope: not the fast path, the parser answers.
        let env = br#"{"author":"ua","body":{"id":"a"},"key":"0a1b2c3d","kind":"report","sig":"AAAA","time":"2025-03-19T00:00:00Z","v":1}"#;
        assert_eq!(record_body(env), None);
        assert_eq!(body_of(env).unwrap(), br#"{"id":"a"}"#);
        // Odd shapes are never sliced.
        for odd in [
            &br#"{"author":"a\"b","body":{},"kind":"report","time":"t","v":1}"#[..],
            br#"{"author":"a","body":{},"kind":"Report","time":"t","v":1}"#,
            br#"{"author":"a","body":{},"kind":"report","time":"t","v":2}"#,
            br#"{"author":"a","kind":"report","time":"t","v":1}"#,
        ] {
            assert_eq!(record_body(odd), None, "{}", String::from_utf8_lossy(odd));
        }
    }
}
