//! The verification itself: the checks described in the crate documentation, over one pass that
//! reads every entry bundle once (tree, consistency roots, replay and ledger snapshots together).

use crate::publications;
use crate::source::{Derived, Source};
use crate::state::{utc, Progress as Saved, State, Trusted};
use crate::{Check, PublicationCheck, PublicationStatus, Report, Status, Timings, VerifyError};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;
use truce_engine::Judgement;
use truce_log::policy::{CheckError, Policy};
use truce_log::{
    decode_bundle, open_checkpoint, parse_verifier, Edge, Hash, SignedCheckpoint, TileKind,
    TilePath, HASH_SIZE, TILE_WIDTH,
};
use truce_model::replay::Hooks;
use truce_model::{Applied, Ledger, Rejection};
use truce_views::source::{LogSource, SourceError};

/// What the verifier trusts: the log's verifier key alone, or a tlog-policy (log key, witnesses,
/// quorum).
#[derive(Debug, Clone)]
pub enum Trust {
    /// A tlog-policy: the checkpoint must be signed by its log key and cosigned by a quorum.
    Policy(Policy),
    /// The log's verifier key text (`<origin>+<id>+<base64>`); no cosignatures required.
    LogKey(String),
}

/// Which part of the work a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading entry bundles: `(entries done, entries in the checkpoint)`.
    Entries,
    /// Judging the replayed ledger with the engine (no counts).
    Judging,
}

/// A progress callback: `(phase, done, total)`.
pub type ProgressFn<'a> = Box<dyn Fn(Phase, u64, u64) + Send + Sync + 'a>;

/// How to verify.
pub struct Options<'a> {
    /// The log key or policy.
    pub trust: Trust,
    /// The state file (trusted checkpoints and tree-pass progress); `None` skips the
    /// consistency check and keeps no state.
    pub state: Option<PathBuf>,
    /// Recompute the findings and compliance and compare them with the published ones.
    pub replay: bool,
    /// Called with progress: `(phase, done, total)`.
    pub progress: Option<ProgressFn<'a>>,
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("trust", &self.trust)
            .field("state", &self.state)
            .field("replay", &self.replay)
            .finish()
    }
}

/// Save the tree pass's progress every this many bundles.
const SAVE_EVERY: u64 = 64;
/// How many problems of one kind a check names before counting the rest.
const NAME_FIRST: usize = 10;

fn check(name: &str, status: Status, message: impl Into<String>, details: Vec<String>) -> Check {
    Check {
        name: name.to_string(),
        status,
        message: message.into(),
        details,
    }
}

/// A published derived document, as far as it could be read.
enum Doc {
    NotAsked,
    Absent,
    Bad(String),
    Present(Derived),
}

fn published(r: Result<Option<Derived>, VerifyError>) -> Result<Doc, VerifyError> {
    match r {
        Ok(Some(d)) => Ok(Doc::Present(d)),
        Ok(None) => Ok(Doc::Absent),
        Err(e @ VerifyError::Malformed { .. }) => Ok(Doc::Bad(e.to_string())),
        Err(e) => Err(e),
    }
}

impl Doc {
    fn log_size(&self) -> Option<u64> {
        match self {
            Doc::Present(d) => Some(d.log_size),
            _ => None,
        }
    }
}

/// Checks the checkpoint note: the checkpoint (when its log signature verified) and the check.
fn check_checkpoint(
    note: &[u8],
    trust: &Trust,
) -> Result<(Option<SignedCheckpoint>, Check), VerifyError> {
    const NAME: &str = "checkpoint";
    match trust {
        Trust::LogKey(vkey) => {
            let v = parse_verifier(vkey.trim())
                .map_err(|e| VerifyError::Trust(format!("the log key: {e}")))?;
            Ok(match open_checkpoint(note, &v) {
                Ok(cp) => {
                    let c = check(
                        NAME,
                        Status::Ok,
                        format!(
                            "size {}, signed by the log key of {} (no policy: cosignatures not required)",
                            cp.size, cp.origin
                        ),
                        Vec::new(),
                    );
                    (Some(cp), c)
                }
                Err(e) => (None, check(NAME, Status::Failed, e.to_string(), Vec::new())),
            })
        }
        Trust::Policy(p) => Ok(match p.check(note) {
            Ok(c) => {
                let who = if c.witnesses.is_empty() {
                    "the policy needs no cosignatures".to_string()
                } else {
                    format!(
                        "cosigned by {}; quorum met",
                        c.witnesses.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                };
                let msg = format!(
                    "size {}, signed by the log key of {}; {who}",
                    c.checkpoint.size, c.checkpoint.origin
                );
                (Some(c.checkpoint), check(NAME, Status::Ok, msg, Vec::new()))
            }
            Err(CheckError::Log(e)) => {
                (None, check(NAME, Status::Failed, e.to_string(), Vec::new()))
            }
            Err(CheckError::QuorumNotMet {
                checkpoint,
                witnesses,
            }) => {
                let valid = if witnesses.is_empty() {
                    "no witness cosigned validly".to_string()
                } else {
                    format!(
                        "valid cosignatures only from {}",
                        witnesses.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                };
                let missing: Vec<String> = p
                    .witnesses
                    .iter()
                    .filter(|w| !witnesses.contains_key(&w.name))
                    .map(|w| w.name.clone())
                    .collect();
                let msg = format!(
                    "quorum not met: {valid}; no valid cosignature from {}",
                    missing.join(", ")
                );
                (
                    Some(checkpoint),
                    check(
                        NAME,
                        Status::Failed,
                        msg,
                        vec!["the log signature itself verifies".into()],
                    ),
                )
            }
        }),
    }
}

/// A served hash tile that differs from the recomputed one.
#[derive(Debug, Clone)]
struct Mismatch {
    level: u8,
    n: u64,
    path: String,
    /// Index of the first differing hash in the tile, if the tile was there.
    hash: Option<u64>,
    why: String,
}

/// What the pass over the bundles found.
struct Pass {
    /// A structural failure that stopped the pass (missing or malformed bundle, …).
    fatal: Option<String>,
    mismatches: Vec<Mismatch>,
    mismatch_count: u64,
    edge: Edge,
    tiles: u64,
    resumed_from: u64,
    roots: BTreeMap<u64, Hash>,
    ledgers: BTreeMap<u64, Ledger>,
    ledger: Ledger,
    auth: Vec<String>,
    auth_count: u64,
    /// Clock, witnessing and witness-policy entries the rules refused (the `time` check fails).
    time_refusals: Vec<String>,
    warnings: Vec<String>,
    warning_count: u64,
    /// Time reading bundles and tiles from the source (and comparing tiles), on the feeding
    /// thread.
    fetch: std::time::Duration,
    /// Time hashing entries into the tree, on the feeding thread.
    hash: std::time::Duration,
    /// The pass's wall time, less the judging at publications' sizes inside it: entries read,
    /// hashed, decoded and applied, pipelined (`fetch` and `hash` overlap it).
    replay: std::time::Duration,
}

fn is_authentication(r: &Rejection) -> bool {
    match r {
        Rejection::UnknownAuthor(_)
        | Rejection::UnknownKey { .. }
        | Rejection::RevokedKey { .. }
        | Rejection::BadSignature { .. } => true,
        Rejection::Invalid(s) => s.contains("do not hash to its root"),
        _ => false,
    }
}

fn bundle_path(size: u64, n: u64) -> String {
    let want = (size - n * TILE_WIDTH).min(TILE_WIDTH);
    TilePath {
        kind: TileKind::Entries,
        n,
        width: want as u16,
    }
    .to_path()
}

/// What the feeding side of the pass found: the tree recomputed from the bundles and every
/// served hash tile compared with it.
struct Tree {
    fatal: Option<String>,
    mismatches: Vec<Mismatch>,
    mismatch_count: u64,
    edge: Edge,
    tiles: u64,
    fetch: std::time::Duration,
    hash: std::time::Duration,
}

/// Compares a recomputed hash tile with the served one.
fn compare_tile(
    source: &dyn Source,
    level: u8,
    n: u64,
    data: &[u8],
    tree: &mut Tree,
) -> Result<(), VerifyError> {
    let path = TilePath {
        kind: TileKind::Hash(level),
        n,
        width: (data.len() / HASH_SIZE) as u16,
    };
    tree.tiles += 1;
    let served = source.tile(&path)?;
    let mismatch = match served {
        Some(s) if s == data => return Ok(()),
        None => Mismatch {
            level,
            n,
            path: path.to_path(),
            hash: None,
            why: "missing".into(),
        },
        Some(s) => {
            let first = s
                .chunks(HASH_SIZE)
                .zip(data.chunks(HASH_SIZE))
                .position(|(a, b)| a != b)
                .unwrap_or(s.len().min(data.len()) / HASH_SIZE) as u64;
            let why = if s.len() != data.len() {
                format!(
                    "holds {} bytes; the checkpoint needs {}",
                    s.len(),
                    data.len()
                )
            } else {
                format!("hash {first} differs")
            };
            Mismatch {
                level,
                n,
                path: path.to_path(),
                hash: Some(first),
                why,
            }
        }
    };
    tree.mismatch_count += 1;
    if tree.mismatches.len() < NAME_FIRST {
        tree.mismatches.push(mismatch);
    }
    Ok(())
}

/// Saves the pass's progress: (bundles done, the edge there).
type SaveFn<'a> = dyn FnMut(u64, &Edge) -> Result<(), VerifyError> + 'a;

/// The source's entry bundles read as `truce-views` reads a log ([`LogSource`]), checked as they
/// stream: each bundle fetched, its entries hashed into the tree and every full hash tile
/// compared with the served one, the entries then handed to the replay. This runs on the
/// replay's feeding thread while other threads decode and apply the entries fed before.
struct Checked<'a> {
    source: &'a dyn Source,
    cp: &'a SignedCheckpoint,
    /// Sizes at which to record the tree's root (in `roots`), before the entries from there on
    /// are fed.
    marks: BTreeSet<u64>,
    roots: &'a Mutex<BTreeMap<u64, Hash>>,
    /// Bundles whose hash tiles an interrupted run compared, and the edge it reached there.
    skip: u64,
    saved: Option<Edge>,
    save: RefCell<&'a mut SaveFn<'a>>,
    tree: RefCell<Tree>,
    /// The source's failure that ended the feed (handed back as the verification's error).
    error: RefCell<Option<VerifyError>>,
}

impl Checked<'_> {
    /// Records the root at every mark the edge has reached (the one it is at).
    fn record(&self, edge: &Edge, marks: &mut BTreeSet<u64>) {
        while let Some(&m) = marks.first() {
            if m > edge.size() {
                break;
            }
            marks.pop_first();
            if m == edge.size() {
                self.roots
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(m, edge.root());
            }
        }
    }

    /// The bundle loop: feeds the entries of the first `size` it checked; returns how many.
    fn feed(&self, size: u64, each: &mut dyn FnMut(u64, &[u8])) -> Result<u64, VerifyError> {
        let source = self.source;
        let mut guard = self.tree.borrow_mut();
        let tree = &mut *guard;
        let bundles = size.div_ceil(TILE_WIDTH);
        let mut marks: BTreeSet<u64> = self.marks.iter().copied().filter(|s| *s <= size).collect();
        self.record(&tree.edge, &mut marks);
        'bundles: for n in 0..bundles {
            let want = (size - n * TILE_WIDTH).min(TILE_WIDTH);
            let path = TilePath {
                kind: TileKind::Entries,
                n,
                width: want as u16,
            };
            let p = path.to_path();
            let t0 = Instant::now();
            let fetched = source.tile(&path)?;
            tree.fetch += t0.elapsed();
            let Some(data) = fetched else {
                tree.fatal = Some(format!("{p}: missing"));
                break;
            };
            let entries = match decode_bundle(&data) {
                Ok(e) => e,
                Err(e) => {
                    tree.fatal = Some(format!("{p}: {e}"));
                    break;
                }
            };
            if entries.len() as u64 != want {
                tree.fatal = Some(format!(
                    "{p}: holds {} entries; the checkpoint of size {size} needs {want} here (entries {}..{})",
                    entries.len(),
                    n * TILE_WIDTH,
                    n * TILE_WIDTH + want - 1
                ));
                break;
            }
            let mut rest = &entries[..];
            while !rest.is_empty() {
                // Up to the next mark at most, so that its root is recorded before the replay
                // (on another thread) can reach it.
                let until = marks.first().copied().unwrap_or(u64::MAX);
                let take = usize::try_from(until - tree.edge.size())
                    .unwrap_or(usize::MAX)
                    .min(rest.len());
                let first = tree.edge.size();
                let t0 = Instant::now();
                let appended = tree.edge.append(rest[..take].iter().copied());
                tree.hash += t0.elapsed();
                let update = match appended {
                    Ok(u) => u,
                    Err(e) => {
                        tree.fatal = Some(format!("{p}: {e}"));
                        break 'bundles;
                    }
                };
                self.record(&tree.edge, &mut marks);
                for (k, e) in rest[..take].iter().enumerate() {
                    each(first + k as u64, e);
                }
                let t0 = Instant::now();
                if n >= self.skip {
                    for t in update
                        .tiles
                        .iter()
                        .filter(|t| t.data.len() == TILE_WIDTH as usize * HASH_SIZE)
                    {
                        compare_tile(source, t.level, t.n, &t.data, tree)?;
                    }
                }
                tree.fetch += t0.elapsed();
                rest = &rest[take..];
            }
            let done = n + 1;
            if done == self.skip {
                if let Some(s) = &self.saved {
                    if *s != tree.edge {
                        tree.fatal = Some(format!(
                            "tile/entries 0..{done}: the entries served now hash differently from the prefix an interrupted run verified for this checkpoint (the bundles changed under the same checkpoint)"
                        ));
                        break;
                    }
                }
            }
            if done > self.skip
                && done % SAVE_EVERY == 0
                && done < bundles
                && tree.mismatch_count == 0
            {
                (self.save.borrow_mut())(done, &tree.edge)?;
            }
        }
        if tree.fatal.is_none() {
            // The right edge: every partial tile, at every level.
            let mut level = 0u8;
            while level < 8 && (size >> (8 * u32::from(level))) > 0 {
                let n = size.checked_shr(8 * (u32::from(level) + 1)).unwrap_or(0);
                if let Some(data) = tree.edge.partial_tile(level, n).map(<[u8]>::to_vec) {
                    let t0 = Instant::now();
                    compare_tile(source, level, n, &data, tree)?;
                    tree.fetch += t0.elapsed();
                }
                level += 1;
            }
        }
        Ok(tree.edge.size())
    }
}

impl LogSource for Checked<'_> {
    fn checkpoint(&self) -> Result<SignedCheckpoint, SourceError> {
        Ok(self.cp.clone())
    }
    fn root_at(&self, size: u64) -> Result<Hash, SourceError> {
        if let Some(r) = self
            .roots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&size)
        {
            return Ok(*r);
        }
        let tree = self.tree.borrow();
        if tree.edge.size() == size {
            return Ok(tree.edge.root());
        }
        Err(SourceError::new(std::io::Error::other(format!(
            "the root at size {size} was not recorded by the pass"
        ))))
    }
    fn entries(&self, size: u64, each: &mut dyn FnMut(u64, &[u8])) -> Result<u64, SourceError> {
        self.feed(size, each).map_err(|e| {
            let said = SourceError::new(std::io::Error::other(e.to_string()));
            *self.error.borrow_mut() = Some(e);
            said
        })
    }
}

/// What the applying side of the pass does at each entry, with the ledger just before and just
/// after it ([`Hooks`], on the replay's applying thread): copies of the ledger at `ledger_at`,
/// judging at `judge_at` (with the root the feeding side recorded there), the changes to readings
/// on the report days, and refusals sorted into the checks.
struct Replayed<'a, 'f> {
    ledger_at: &'a BTreeSet<u64>,
    judge_at: &'a BTreeSet<u64>,
    roots: &'a Mutex<BTreeMap<u64, Hash>>,
    report_days: &'a [truce_report::Day],
    at_size: &'a mut AtSizeFn<'f>,
    ledgers: BTreeMap<u64, Ledger>,
    /// The ledger just before a reading version filed on a report day.
    before: Option<Ledger>,
    auth: Vec<String>,
    auth_count: u64,
    time_refusals: Vec<String>,
    /// The changes to readings filed on the days of the daily reports to recompute.
    changes: Vec<truce_report::VersionChange>,
    warnings: Vec<String>,
    warning_count: u64,
}

impl Replayed<'_, '_> {
    /// At size `m` (the ledger of the first `m` entries).
    fn at(&mut self, m: u64, ledger: &Ledger) {
        if self.ledger_at.contains(&m) {
            self.ledgers.insert(m, ledger.clone());
        }
        if self.judge_at.contains(&m) {
            let root = self
                .roots
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&m)
                .copied();
            if let Some(root) = root {
                (self.at_size)(m, ledger, &root, &self.changes);
            }
        }
    }
}

impl Hooks for Replayed<'_, '_> {
    fn before(&mut self, index: u64, bytes: &[u8], ledger: &Ledger) {
        self.at(index, ledger);
        // A reading version filed on the day of a daily report to recompute: its change is
        // judged as known just before and just after it (rare: a copy per version).
        if !self.report_days.is_empty() && memchr::memmem::find(bytes, READING).is_some() {
            self.before = Some(ledger.clone());
        }
    }

    fn after(&mut self, i: u64, e: &[u8], applied: &Applied, ledger: &Ledger) {
        if let (Some(b), Applied::Accepted(..)) = (self.before.take(), applied) {
            if let Some(c) = publications::version_change_at(self.report_days, i, e, &b, ledger) {
                self.changes.push(c);
            }
        }
        let Applied::Refused(r) = applied else {
            return;
        };
        let timely = truce_model::decode(e).is_ok_and(|env| {
            matches!(
                env.kind,
                truce_model::Kind::Clock
                    | truce_model::Kind::Witnessing
                    | truce_model::Kind::WitnessPolicy
            )
        });
        if timely && !is_authentication(r) {
            if self.time_refusals.len() < NAME_FIRST {
                self.time_refusals.push(format!("entry {i}: {r}"));
            }
        } else if is_authentication(r) {
            self.auth_count += 1;
            if self.auth.len() < NAME_FIRST {
                self.auth.push(format!("entry {i}: {r}"));
            }
        } else {
            self.warning_count += 1;
            if self.warnings.len() < NAME_FIRST {
                self.warnings.push(format!("entry {i}: {r}"));
            }
        }
    }
}

/// The pass over every bundle: the one replay (`truce_views::derived::replay_to_hooked`) of the
/// source read as a [`Checked`] log — fetching, hashing and comparing tiles on the feeding
/// thread, decoding on others, applying in log order with [`Replayed`]'s hooks — a pipeline
/// keeping every core busy. `stops` are sizes at which to record the root; `ledger_at` sizes at
/// which to keep a copy of the ledger; `judge_at` sizes at which to call `at_size` with the
/// ledger replayed to that size and the root of its tree (publications are recomputed there).
#[allow(clippy::too_many_arguments)]
fn tree_pass(
    source: &dyn Source,
    cp: &SignedCheckpoint,
    stops: &BTreeSet<u64>,
    ledger_at: &BTreeSet<u64>,
    judge_at: &BTreeSet<u64>,
    report_days: &[truce_report::Day],
    at_size: &mut AtSizeFn<'_>,
    resume: Option<(u64, Edge)>,
    save: &mut SaveFn<'_>,
    progress: &(dyn Fn(Phase, u64, u64) + Send + Sync),
) -> Result<Pass, VerifyError> {
    let size = cp.size;
    let bundles = size.div_ceil(TILE_WIDTH);
    let (skip, saved) = match resume {
        Some((b, e)) if b <= bundles => (b, Some(e)),
        _ => (0, None),
    };
    let roots = Mutex::new(BTreeMap::new());
    let checked = Checked {
        source,
        cp,
        marks: stops.iter().chain(judge_at).copied().collect(),
        roots: &roots,
        skip,
        saved,
        save: RefCell::new(save),
        tree: RefCell::new(Tree {
            fatal: None,
            mismatches: Vec::new(),
            mismatch_count: 0,
            edge: Edge::empty(),
            tiles: 0,
            fetch: Default::default(),
            hash: Default::default(),
        }),
        error: RefCell::new(None),
    };
    let mut hooks = Replayed {
        ledger_at,
        judge_at,
        roots: &roots,
        report_days,
        at_size,
        ledgers: BTreeMap::new(),
        before: None,
        auth: Vec::new(),
        auth_count: 0,
        time_refusals: Vec::new(),
        changes: Vec::new(),
        warnings: Vec::new(),
        warning_count: 0,
    };
    let t0 = Instant::now();
    let replayed = truce_views::derived::replay_to_hooked(&checked, size, &mut hooks, &mut |p| {
        if let truce_views::derived::Progress::Replaying { done, total } = p {
            progress(Phase::Entries, done, total);
        }
    });
    let wall = t0.elapsed();
    let ledger = match replayed {
        Ok((ledger, _)) => ledger,
        Err(e) => {
            return Err(checked
                .error
                .into_inner()
                .unwrap_or_else(|| VerifyError::Malformed {
                    what: source.describe(),
                    why: e.to_string(),
                }))
        }
    };
    let tree = checked.tree.into_inner();
    if tree.fatal.is_none() {
        hooks.at(size, &ledger);
    }
    let roots: BTreeMap<u64, Hash> = {
        let mut recorded = roots.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *recorded)
            .into_iter()
            .filter(|(s, _)| stops.contains(s))
            .collect()
    };
    Ok(Pass {
        fatal: tree.fatal,
        mismatches: tree.mismatches,
        mismatch_count: tree.mismatch_count,
        edge: tree.edge,
        tiles: tree.tiles,
        resumed_from: skip,
        roots,
        ledgers: hooks.ledgers,
        ledger,
        auth: hooks.auth,
        auth_count: hooks.auth_count,
        time_refusals: hooks.time_refusals,
        warnings: hooks.warnings,
        warning_count: hooks.warning_count,
        fetch: tree.fetch,
        hash: tree.hash,
        replay: wall,
    })
}

/// How a reading entry's kind reads in its canonical bytes (a cheap test before decoding).
const READING: &[u8] = b"\"kind\":\"reading\"";

/// What the pass calls at each size to judge at: the ledger there, the tree's root and the
/// changes to readings seen so far (on the replay's applying thread).
type AtSizeFn<'a> = dyn FnMut(u64, &Ledger, &Hash, &[truce_report::VersionChange]) + Send + 'a;

/// The `tree` check from a pass.
fn tree_check(cp: &SignedCheckpoint, pass: &Pass) -> Check {
    const NAME: &str = "tree";
    let size = cp.size;
    let mut details: Vec<String> = pass
        .mismatches
        .iter()
        .map(|m| format!("{}: {}", m.path, m.why))
        .collect();
    if pass.mismatch_count > pass.mismatches.len() as u64 {
        details.push(format!(
            "… and {} more tiles that differ",
            pass.mismatch_count - pass.mismatches.len() as u64
        ));
    }
    if let Some(f) = &pass.fatal {
        return check(NAME, Status::Failed, f.clone(), details);
    }
    let root = pass.edge.root();
    if root != cp.root {
        let msg = match pass
            .mismatches
            .iter()
            .find(|m| m.level == 0 && m.hash.is_some())
        {
            Some(m) => {
                let i = m.n * TILE_WIDTH + m.hash.unwrap_or(0);
                format!(
                    "{}: entry {i} does not hash to its leaf in {}; the entries do not lead to the checkpoint root (an entry was altered, dropped or reordered)",
                    bundle_path(size, i / TILE_WIDTH),
                    m.path
                )
            }
            None => format!(
                "the root recomputed from the entries ({root}) differs from the checkpoint root ({}): the served entries are not the checkpoint's",
                cp.root
            ),
        };
        return check(NAME, Status::Failed, msg, details);
    }
    if let Some(m) = pass.mismatches.first() {
        let msg = match (m.level, m.hash, m.why.as_str()) {
            (_, None, _) => format!("{}: missing", m.path),
            (_, Some(_), w) if w.starts_with("holds") => format!("{}: {w}", m.path),
            (0, Some(k), _) => {
                let i = m.n * TILE_WIDTH + k;
                format!(
                    "{}: the hash of entry {i} differs from the hash of the entry in {}",
                    m.path,
                    bundle_path(size, i / TILE_WIDTH)
                )
            }
            (_, Some(k), _) => format!(
                "{}: hash {k} differs from the hash recomputed from the level below",
                m.path
            ),
        };
        return check(NAME, Status::Failed, msg, details);
    }
    let bundles = size.div_ceil(TILE_WIDTH);
    let mut details = Vec::new();
    if pass.resumed_from > 0 {
        details.push(format!(
            "resumed: the hash tiles under bundles 0..{} were verified by an earlier run; their entries were rehashed and match",
            pass.resumed_from
        ));
    }
    check(
        NAME,
        Status::Ok,
        format!(
            "{size} entries in {bundles} bundles and {} hash tiles recomputed; root {} matches",
            pass.tiles, cp.root
        ),
        details,
    )
}

fn consistency_check(
    cp: &SignedCheckpoint,
    trusted: Option<&Trusted>,
    has_state: bool,
    pass: &Pass,
    tree_ok: bool,
) -> Check {
    const NAME: &str = "consistency";
    if !has_state {
        return check(
            NAME,
            Status::Skipped,
            "no state file: nothing trusted to compare with",
            Vec::new(),
        );
    }
    let Some(t) = trusted else {
        return check(
            NAME,
            Status::Ok,
            format!(
                "no checkpoint of {} trusted before: this is the first",
                cp.origin
            ),
            Vec::new(),
        );
    };
    let when = utc(t.verified_at);
    if cp.size < t.size {
        return check(
            NAME,
            Status::Failed,
            format!(
                "rollback: the log is at size {} but size {} was trusted on {when}",
                cp.size, t.size
            ),
            vec![format!("trusted root {} (from {})", t.root, t.source)],
        );
    }
    if cp.size == t.size {
        return if cp.root.to_string() == t.root {
            check(
                NAME,
                Status::Ok,
                format!("the same checkpoint (size {}) as trusted on {when}", t.size),
                Vec::new(),
            )
        } else {
            check(
                NAME,
                Status::Failed,
                format!(
                    "fork: size {} has root {} here but root {} was trusted on {when}",
                    t.size, cp.root, t.root
                ),
                vec![format!("trusted from {}", t.source)],
            )
        };
    }
    if !tree_ok {
        return check(
            NAME,
            Status::Skipped,
            format!(
                "the tree did not verify, so whether it contains the checkpoint of size {} trusted on {when} is unknown",
                t.size
            ),
            Vec::new(),
        );
    }
    if t.size == 0 {
        return check(
            NAME,
            Status::Ok,
            format!("grew from the empty tree trusted on {when}"),
            Vec::new(),
        );
    }
    match pass.roots.get(&t.size) {
        Some(r) if r.to_string() == t.root => check(
            NAME,
            Status::Ok,
            format!(
                "contains the checkpoint of size {} trusted on {when} (its first {} entries hash to the trusted root)",
                t.size, t.size
            ),
            Vec::new(),
        ),
        Some(r) => check(
            NAME,
            Status::Failed,
            format!(
                "fork: not consistent with the checkpoint of size {} trusted on {when}: its first {} entries hash to {r}, not the trusted {}",
                t.size, t.size, t.root
            ),
            vec![format!("trusted from {}", t.source)],
        ),
        None => check(
            NAME,
            Status::Skipped,
            format!(
                "the tree pass did not reach size {} (trusted on {when})",
                t.size
            ),
            Vec::new(),
        ),
    }
}

/// The most incomplete line versions the signatures check lists.
const MAX_INCOMPLETE_SHOWN: usize = 20;

fn signatures_check(cp: &SignedCheckpoint, pass: &Pass, tree_ok: bool) -> Check {
    const NAME: &str = "signatures";
    if !tree_ok {
        return check(
            NAME,
            Status::Skipped,
            "the tree did not verify: the served entries are not the checkpoint's",
            Vec::new(),
        );
    }
    let c = &pass.ledger.counts;
    let summary = format!(
        "{} entries replayed: {} accepted, {} opaque (not signed envelopes), {} refused by the rules",
        cp.size, c.accepted, c.opaque, c.refused
    );
    let mut details = Vec::new();
    if pass.warning_count > 0 {
        details.push(format!(
            "{} refusal(s) that are not authentication failures (no weight in the engine):",
            pass.warning_count
        ));
        details.extend(pass.warnings.iter().map(|w| format!("  {w}")));
    }
    let mut incomplete = pass.ledger.incomplete_lines.clone();
    incomplete.extend(pass.ledger.awaiting_parts());
    if !incomplete.is_empty() {
        details.push(format!(
            "{} line version(s) filed in parts never completed (never visible, no weight in the engine):",
            incomplete.len()
        ));
        details.extend(
            incomplete
                .iter()
                .take(MAX_INCOMPLETE_SHOWN)
                .map(|(i, why)| format!("  line head at index {i}: {why}")),
        );
        if incomplete.len() > MAX_INCOMPLETE_SHOWN {
            details.push(format!(
                "  … and {} more",
                incomplete.len() - MAX_INCOMPLETE_SHOWN
            ));
        }
    }
    if pass.auth_count == 0 {
        return check(NAME, Status::Ok, summary, details);
    }
    let mut d = pass.auth.clone();
    if pass.auth_count > pass.auth.len() as u64 {
        d.push(format!(
            "… and {} more authentication failures",
            pass.auth_count - pass.auth.len() as u64
        ));
    }
    d.push(summary);
    d.extend(details);
    let first = d.remove(0);
    check(
        NAME,
        Status::Failed,
        format!("{} authentication failure(s); {first}", pass.auth_count),
        d,
    )
}

type Key = (String, String, String);

fn finding_key(v: &Value) -> Option<Key> {
    Some((
        v.get("incident")?.as_str()?.to_string(),
        v.get("agreement")?.as_str()?.to_string(),
        v.get("reading")?.as_str()?.to_string(),
    ))
}

fn show_key(k: &Key) -> String {
    format!("{} ({}, reading {})", k.0, k.1, k.2)
}

fn short(v: Option<&Value>) -> String {
    let s = v.map(Value::to_string).unwrap_or_else(|| "absent".into());
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s
    }
}

/// What differs between two JSON values, field by field (top level).
fn differences(served: &Value, recomputed: &Value) -> String {
    match (served.as_object(), recomputed.as_object()) {
        (Some(a), Some(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .filter(|k| a.get(*k) != b.get(*k))
                .map(|k| {
                    format!(
                        "{k}: served {}, recomputed {}",
                        short(a.get(k)),
                        short(b.get(k))
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        _ => format!(
            "served {}, recomputed {}",
            short(Some(served)),
            short(Some(recomputed))
        ),
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    // Through the text the server publishes, so numbers compare as the published ones do.
    serde_json::to_string(v)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}

fn compare_findings(d: &Derived, j: &Judgement) -> Check {
    const NAME: &str = "findings";
    let items = d
        .doc
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut problems = Vec::new();
    if let Some(total) = d.doc.get("total").and_then(Value::as_u64) {
        if total != items.len() as u64 {
            problems.push(format!(
                "the document says total {total} but holds {} items",
                items.len()
            ));
        }
    }
    let mut served: BTreeMap<Key, Value> = BTreeMap::new();
    for (k, v) in items.into_iter().enumerate() {
        match finding_key(&v) {
            Some(key) => {
                if served.insert(key.clone(), v).is_some() {
                    problems.push(format!("{}: published twice", show_key(&key)));
                }
            }
            None => problems.push(format!(
                "item {k} has no incident, agreement and reading strings"
            )),
        }
    }
    let recomputed: BTreeMap<Key, Value> = j
        .findings
        .iter()
        .map(to_value)
        .filter_map(|v| finding_key(&v).map(|k| (k, v)))
        .collect();
    let mut differing = 0usize;
    let mut missing = 0usize;
    let mut extra = 0usize;
    for (k, v) in &recomputed {
        match served.get(k) {
            None => {
                missing += 1;
                problems.push(format!(
                    "{}: missing (recomputed, not published)",
                    show_key(k)
                ));
            }
            Some(s) if s != v => {
                differing += 1;
                problems.push(format!("{}: differs: {}", show_key(k), differences(s, v)));
            }
            Some(_) => {}
        }
    }
    for k in served.keys().filter(|k| !recomputed.contains_key(*k)) {
        extra += 1;
        problems.push(format!(
            "{}: extra (published, not recomputed)",
            show_key(k)
        ));
    }
    if problems.is_empty() {
        return check(
            NAME,
            Status::Ok,
            format!(
                "{} findings published at log size {} equal the recomputed ones",
                recomputed.len(),
                d.log_size
            ),
            vec![format!("from {}", d.origin)],
        );
    }
    failed_with(
        NAME,
        problems,
        format!(
            "{differing} differing, {missing} missing, {extra} extra of {} recomputed at log size {} ({})",
            recomputed.len(),
            d.log_size,
            d.origin
        ),
    )
}

fn compare_compliance(d: &Derived, j: &Judgement) -> Check {
    const NAME: &str = "compliance";
    let c = to_value(&truce_engine::compliance(&j.findings));
    let mut problems = Vec::new();
    let empty = Vec::new();
    let rows_served = d
        .doc
        .get("items")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let rows = c.get("rows").and_then(Value::as_array).unwrap_or(&empty);
    let row_name = |r: &Value| {
        ["agreement", "reading", "party", "day"]
            .iter()
            .map(|f| r.get(*f).and_then(Value::as_str).unwrap_or("?"))
            .collect::<Vec<_>>()
            .join("/")
    };
    if rows_served.len() != rows.len() {
        problems.push(format!(
            "{} rows published, {} recomputed",
            rows_served.len(),
            rows.len()
        ));
    }
    for (a, b) in rows_served.iter().zip(rows) {
        if a != b {
            problems.push(format!("row {}: {}", row_name(b), differences(a, b)));
        }
    }
    for table in ["totals", "differences"] {
        let (a, b) = (d.doc.get(table), c.get(table));
        if a != b {
            let detail = match (a.and_then(Value::as_array), b.and_then(Value::as_array)) {
                (Some(x), Some(y)) => x
                    .iter()
                    .zip(y)
                    .position(|(p, q)| p != q)
                    .map(|i| format!("entry {i}: {}", differences(&x[i], &y[i])))
                    .unwrap_or_else(|| format!("{} published, {} recomputed", x.len(), y.len())),
                _ => format!("served {}, recomputed {}", short(a), short(b)),
            };
            problems.push(format!("{table}: {detail}"));
        }
    }
    if problems.is_empty() {
        return check(
            NAME,
            Status::Ok,
            format!(
                "{} rows, totals and differences published at log size {} equal the recomputed ones",
                rows.len(),
                d.log_size
            ),
            vec![format!("from {}", d.origin)],
        );
    }
    failed_with(
        NAME,
        problems,
        format!("recomputed at log size {} ({})", d.log_size, d.origin),
    )
}

/// A failed check: the first problem as its message, then the next few, how many more, and
/// `summary`. `problems` is not empty.
fn failed_with(name: &str, mut problems: Vec<String>, summary: String) -> Check {
    let n = problems.len();
    let first = if problems.is_empty() {
        String::new()
    } else {
        problems.remove(0)
    };
    problems.truncate(NAME_FIRST);
    if n > NAME_FIRST + 1 {
        problems.push(format!("… and {} more", n - NAME_FIRST - 1));
    }
    problems.push(summary);
    check(name, Status::Failed, first, problems)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Verifies the log at `source` (see the crate documentation for the checks). Returns the report;
/// an `Err` only when the source or a local file could not be read (or the key/policy is
/// unusable) — what the source serves wrongly is a failed check in the report.
pub fn verify(source: &dyn Source, opts: &Options<'_>) -> Result<Report, VerifyError> {
    let started = Instant::now();
    let noop = |_: Phase, _: u64, _: u64| {};
    let progress: &(dyn Fn(Phase, u64, u64) + Send + Sync) = match &opts.progress {
        Some(p) => p.as_ref(),
        None => &noop,
    };
    let mut report = Report {
        source: source.describe(),
        origin: None,
        size: None,
        root: None,
        ok: true,
        checks: Vec::new(),
        state_updated: false,
        publications: Vec::new(),
        timings: Timings::default(),
    };
    let mut state = match &opts.state {
        Some(p) => State::load(p)?,
        None => State::default(),
    };
    let (findings, compliance) = if opts.replay {
        let reached = |r: Result<Option<Derived>, VerifyError>| match r {
            // A source that cannot be reached at all is named by its checkpoint, the first
            // thing a log must serve, not by a derived document it may never have had.
            Err(e @ VerifyError::Unreachable { .. }) => Err(source.checkpoint().err().unwrap_or(e)),
            r => r,
        };
        (
            published(reached(source.derived_findings()))?,
            published(reached(source.derived_compliance()))?,
        )
    } else {
        (Doc::NotAsked, Doc::NotAsked)
    };
    let derived_max = findings.log_size().max(compliance.log_size());

    // 1. checkpoint
    let note = source.checkpoint()?;
    let (mut cp, mut cp_check) = check_checkpoint(&note, &opts.trust)?;
    if let (Some(c), Some(want)) = (&cp, derived_max) {
        if want > c.size {
            // The published views are newer than the checkpoint we read: read it once more.
            let note = source.checkpoint()?;
            (cp, cp_check) = check_checkpoint(&note, &opts.trust)?;
        }
    }
    let cp_ok = cp_check.status == Status::Ok;
    report.checks.push(cp_check);
    let Some(cp) = cp else {
        for name in [
            "tree",
            "consistency",
            "signatures",
            "findings",
            "compliance",
            "publications",
        ] {
            report.checks.push(check(
                name,
                Status::Skipped,
                "the checkpoint did not verify: nothing it names can be trusted",
                Vec::new(),
            ));
        }
        report.ok = false;
        return Ok(report);
    };
    report.origin = Some(cp.origin.clone());
    report.size = Some(cp.size);
    report.root = Some(cp.root.to_string());

    // 2. tree (with the replay in the same pass)
    let trusted = state.logs.get(&cp.origin).cloned();
    let resume = state
        .progress
        .get(&cp.origin)
        .filter(|p| p.size == cp.size && p.root == cp.root.to_string())
        .and_then(|p| p.edge().map(|e| (p.bundles, e)));
    let stops: BTreeSet<u64> = trusted
        .as_ref()
        .map(|t| t.size)
        .filter(|s| *s < cp.size)
        .into_iter()
        .collect();
    let ledger_at: BTreeSet<u64> = [findings.log_size(), compliance.log_size()]
        .into_iter()
        .flatten()
        .filter(|s| *s < cp.size)
        .collect();
    // Publications: where the replay must stop to recompute them (from the source's list, else
    // a pre-scan of the bundles), and what was recomputed there.
    let t0 = Instant::now();
    let (listed, listed_by) = if opts.replay {
        match source.publications() {
            Ok(Some(l)) => (l, format!("{}/v1/publications", source.describe())),
            Ok(None) => (
                publications::scan(source, cp.size)?,
                "the pre-scan of the bundles".to_string(),
            ),
            Err(e @ (VerifyError::Malformed { .. } | VerifyError::Http { .. })) => {
                tracing::warn!("{e}: finding the publications by a pre-scan of the bundles");
                (
                    publications::scan(source, cp.size)?,
                    "the pre-scan of the bundles".to_string(),
                )
            }
            Err(e) => return Err(e),
        }
    } else {
        (Vec::new(), String::new())
    };
    let scan_time = t0.elapsed();
    if opts.replay {
        tracing::info!(
            secs = scan_time.as_secs_f64(),
            publications = listed.len(),
            "publications listed"
        );
    }
    let wanted = publications::wanted(&listed, cp.size);
    let judge_at = publications::sizes(&wanted);
    let vkeys: Vec<String> = match &opts.trust {
        Trust::LogKey(k) => vec![k.clone()],
        Trust::Policy(p) => p.logs.iter().map(|l| l.vkey.clone()).collect(),
    };
    let mut recomputed: BTreeMap<u64, publications::AtSize> = BTreeMap::new();
    let mut recompute_time = std::time::Duration::ZERO;
    let origin = cp.origin.clone();
    let report_days = publications::report_days(&wanted);
    let mut at_size =
        |size: u64, ledger: &Ledger, root: &Hash, changes: &[truce_report::VersionChange]| {
            if let Some(plans) = wanted.get(&size) {
                progress(Phase::Judging, 0, 0);
                let t0 = Instant::now();
                let at =
                    publications::recompute(size, ledger, root, plans, &vkeys, &origin, changes);
                recompute_time += t0.elapsed();
                recomputed.insert(size, at);
            }
        };
    let state_path = opts.state.clone();
    let mut save = |bundles: u64, edge: &Edge| -> Result<(), VerifyError> {
        if let Some(p) = &state_path {
            state.progress.insert(
                cp.origin.clone(),
                Saved::new(cp.size, &cp.root, bundles, edge),
            );
            state.save(p)?;
        }
        Ok(())
    };
    let mut pass = tree_pass(
        source,
        &cp,
        &stops,
        &ledger_at,
        &judge_at,
        &report_days,
        &mut at_size,
        resume,
        &mut save,
        progress,
    )?;
    tracing::info!(
        secs = pass.replay.as_secs_f64(),
        fetch = pass.fetch.as_secs_f64(),
        hash = pass.hash.as_secs_f64(),
        judging = recompute_time.as_secs_f64(),
        "the pass over the bundles (fetch and hash overlap it)"
    );
    report.timings.fetch_ms = ms(pass.fetch + scan_time);
    report.timings.judge_ms = ms(recompute_time);
    report.timings.hash_ms = ms(pass.hash);
    report.timings.replay_ms = ms(pass.replay.saturating_sub(recompute_time));
    let tree = tree_check(&cp, &pass);
    let tree_ok = tree.status == Status::Ok;
    report.checks.push(tree);

    // 3. consistency
    let cons = consistency_check(&cp, trusted.as_ref(), opts.state.is_some(), &pass, tree_ok);
    let cons_ok = cons.status == Status::Ok;
    report.checks.push(cons);
    if let Some(p) = &opts.state {
        if cp_ok && tree_ok && cons_ok {
            state.logs.insert(
                cp.origin.clone(),
                Trusted {
                    size: cp.size,
                    root: cp.root.to_string(),
                    checkpoint: cp.note_text(),
                    verified_at: now(),
                    source: source.describe(),
                },
            );
            state.progress.remove(&cp.origin);
            state.save(p)?;
            report.state_updated = true;
        }
    }

    // 4. signatures
    report.checks.push(signatures_check(&cp, &pass, tree_ok));

    // 4b. trusted time: every round's checkpoint is the log's own, every clock in its interval
    report
        .checks
        .push(time_check(source, &pass, tree_ok, &opts.trust));

    // 6. publications (checked before 5, which may take the ledger; reported after it)
    let pub_check = if !opts.replay {
        check(
            "publications",
            Status::Skipped,
            "--no-replay: not recomputed",
            Vec::new(),
        )
    } else if !tree_ok {
        check(
            "publications",
            Status::Skipped,
            "the tree did not verify: nothing to replay",
            Vec::new(),
        )
    } else {
        let t0 = Instant::now();
        report.publications = pass
            .ledger
            .publications
            .iter()
            .map(|r| publications::compare(r, &recomputed, &listed_by))
            .collect();
        report.timings.compare_ms += ms(t0.elapsed());
        publications_check(&report.publications)
    };

    // 5. findings and compliance
    let mut judged = BTreeMap::new();
    for (name, doc) in [("findings", &findings), ("compliance", &compliance)] {
        let c = match doc {
            Doc::NotAsked => check(
                name,
                Status::Skipped,
                "--no-replay: not recomputed",
                Vec::new(),
            ),
            Doc::Absent => check(
                name,
                Status::Skipped,
                format!("{} publishes no {name}", source.describe()),
                Vec::new(),
            ),
            Doc::Bad(why) => check(name, Status::Failed, why.clone(), Vec::new()),
            Doc::Present(d) if d.log_size > cp.size => check(
                name,
                Status::Failed,
                format!(
                    "{} describes log size {}, beyond the verified checkpoint's size {} (read twice): the published views are ahead of the signed log, so they cannot be checked against it",
                    d.origin, d.log_size, cp.size
                ),
                Vec::new(),
            ),
            Doc::Present(_) if !tree_ok => check(
                name,
                Status::Skipped,
                "the tree did not verify: nothing to replay",
                Vec::new(),
            ),
            Doc::Present(d) => {
                let j = match judged.entry(d.log_size) {
                    Entry::Occupied(o) => o.into_mut(),
                    Entry::Vacant(v) => {
                        let ledger = match pass.ledgers.remove(&d.log_size) {
                            Some(l) => l,
                            None if d.log_size == cp.size => std::mem::take(&mut pass.ledger),
                            None => Ledger::new(),
                        };
                        progress(Phase::Judging, 0, 0);
                        let t0 = Instant::now();
                        // The operator's judgement of a replayed ledger, called the same way.
                        let (j, _) =
                            truce_views::derived::judge_ledger(ledger, d.log_size, String::new());
                        report.timings.judge_ms += ms(t0.elapsed());
                        v.insert(j)
                    }
                };
                let t0 = Instant::now();
                let c = if name == "findings" {
                    compare_findings(d, j)
                } else {
                    compare_compliance(d, j)
                };
                report.timings.compare_ms += ms(t0.elapsed());
                c
            }
        };
        report.checks.push(c);
    }
    report.checks.push(pub_check);
    report.ok = report.checks.iter().all(|c| c.status != Status::Failed);
    report.timings.total_ms = ms(started.elapsed());
    Ok(report)
}

/// The verify `Source` as a `truce_log::TileSource` of hash tiles (full tiles; the partial ones
/// of the right edge come from the pass's recomputed edge). Successive rounds' roots read
/// mostly the same tiles, so the tiles read are kept (at most `KEEP_TILES`, 8 KiB each) rather
/// than fetched again for every round.
struct SourceTiles<'a> {
    source: &'a dyn Source,
    kept: std::cell::RefCell<BTreeMap<(u8, u64), Vec<u8>>>,
}

/// How many hash tiles `SourceTiles` keeps (32 MiB).
const KEEP_TILES: usize = 4096;

impl<'a> SourceTiles<'a> {
    fn new(source: &'a dyn Source) -> Self {
        SourceTiles {
            source,
            kept: Default::default(),
        }
    }
}

impl truce_log::TileSource for SourceTiles<'_> {
    fn tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, truce_log::LogError> {
        if let Some(t) = self.kept.borrow().get(&(level, n)) {
            return Ok(Some(t.clone()));
        }
        let path = TilePath {
            kind: TileKind::Hash(level),
            n,
            width: TILE_WIDTH as u16,
        };
        let t = self
            .source
            .tile(&path)
            .map_err(|e| truce_log::LogError::Storage(e.to_string()))?;
        if let Some(t) = &t {
            let mut kept = self.kept.borrow_mut();
            if kept.len() >= KEEP_TILES {
                kept.clear();
            }
            kept.insert((level, n), t.clone());
        }
        Ok(t)
    }
}

/// The `time` check: each witnessing round in the log cosigned a checkpoint whose root is the
/// log's own root at that size (recomputed from the verified tiles), and each sequencer clock
/// lies inside its known-by interval (and never went backwards: a backwards clock or a round
/// the rules refuse fails here too). With the verifier's own policy (`--policy`), the rounds are
/// judged again under it: the clocks must lie inside the intervals *its* quorum bounds, and the
/// rounds that do not meet it are listed (they bound nothing for this verifier).
fn time_check(source: &dyn Source, pass: &Pass, tree_ok: bool, trust: &Trust) -> Check {
    const NAME: &str = "time";
    if !tree_ok {
        return check(
            NAME,
            Status::Skipped,
            "the tree did not verify: no root to compare the rounds with",
            Vec::new(),
        );
    }
    let t = &pass.ledger.time;
    let mut problems: Vec<String> = pass.time_refusals.clone();
    let tiles = SourceTiles::new(source);
    for r in &t.rounds {
        match truce_log::tree_root(&tiles, Some(&pass.edge), r.size) {
            Ok(root) if root.to_string() == r.root => {}
            Ok(root) => problems.push(format!(
                "entry {}: the witnessing round cosigned a checkpoint of size {} with root {}, but the log's root at that size is {root}",
                r.index, r.size, r.root
            )),
            Err(e) => problems.push(format!(
                "entry {}: the log's root at size {} cannot be recomputed: {e}",
                r.index, r.size
            )),
        }
    }
    for f in t.clock_faults() {
        problems.push(format!("entry {}: {}", f.index, f.message));
    }
    let mut details = Vec::new();
    let mut yours = String::new();
    if let (Trust::Policy(p), false) = (trust, t.rounds.is_empty()) {
        let (mine, missed) = t.under(p);
        for f in mine.clock_faults() {
            problems.push(format!(
                "entry {}: under your policy: {}",
                f.index, f.message
            ));
        }
        yours = format!(
            "; under your policy {} of them bound time",
            mine.rounds.len()
        );
        details.extend(
            missed
                .into_iter()
                .map(|m| format!("does not meet your policy (bounds nothing for you): {m}")),
        );
    }
    if !problems.is_empty() {
        let n = problems.len();
        return failed_with(
            NAME,
            problems,
            format!("{n} problem(s) with the log's witnessed time"),
        );
    }
    if t.rounds.is_empty() {
        return check(
            NAME,
            Status::Skipped,
            "no witnessing round is logged: entry times are their authors' word",
            Vec::new(),
        );
    }
    let policy = t.policies.last().map(|p| p.0).unwrap_or_default();
    check(
        NAME,
        Status::Ok,
        format!(
            "{} witnessing rounds (policy at entry {policy}) cosigned the log's own checkpoints; {} sequencer clocks, never backwards, each inside its known-by interval{yours}",
            t.rounds.len(),
            t.clocks.len()
        ),
        details,
    )
}

/// How many publications the `publications` check lists in its details (the JSON report's
/// `publications` lists every one).
const LIST_PUBLICATIONS: usize = 200;

/// The `publications` check from the check of each publication entry.
fn publications_check(list: &[PublicationCheck]) -> Check {
    const NAME: &str = "publications";
    if list.is_empty() {
        return check(
            NAME,
            Status::Ok,
            "the log holds no publications",
            Vec::new(),
        );
    }
    let count = |s: PublicationStatus| list.iter().filter(|p| p.status == s).count();
    let (ok, failed, other) = (
        count(PublicationStatus::Ok),
        count(PublicationStatus::Failed),
        count(PublicationStatus::NotRecomputable),
    );
    let summary = format!(
        "{} publication(s): {ok} recomputed and equal, {failed} failed, {other} not recomputable",
        list.len()
    );
    // Failures first, then every publication in log order.
    let mut details: Vec<String> = Vec::new();
    let mut lines: Vec<&PublicationCheck> = list
        .iter()
        .filter(|p| p.status == PublicationStatus::Failed)
        .collect();
    lines.extend(
        list.iter()
            .filter(|p| p.status != PublicationStatus::Failed),
    );
    for p in lines.iter().take(LIST_PUBLICATIONS) {
        details.push(p.line());
    }
    if lines.len() > LIST_PUBLICATIONS {
        details.push(format!(
            "… and {} more (--json lists every one)",
            lines.len() - LIST_PUBLICATIONS
        ));
    }
    match list.iter().find(|p| p.status == PublicationStatus::Failed) {
        Some(first) => {
            details.push(summary);
            check(
                NAME,
                Status::Failed,
                format!("entry {}: {}: {}", first.index, first.what, first.message),
                details,
            )
        }
        None => check(NAME, Status::Ok, summary, details),
    }
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
