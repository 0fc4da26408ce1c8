//! The single writer: concurrent submissions grouped into one durable append (group commit).
//!
//! One OS thread owns the log's [`Sequencer`]. Submissions arrive as jobs on a bounded channel;
//! the thread blocks for the first job, then takes whatever else is already queued (up to
//! `max_commit_entries` entries, never splitting a job) and handles the whole group with ONE
//! `Sequencer::append`: one SQLite transaction, one fsync, one signed checkpoint.
//!
//! For each entry of a group, in order:
//! 1. an entry already in the log (same bytes, hence same entry id — including one accepted
//!    earlier in the same group) is acknowledged with its existing index, `duplicate: true`, and
//!    not stored again;
//! 2. otherwise it must pass [`Ledger::admit`] against the ledger *including the group's earlier
//!    entries*: each admitted entry is applied to the shared ledger at its tentative index
//!    (current size + its position among the group's new entries), as `truce submit` does;
//! 3. unsigned bulk records and manifests are refused (they come in through `truce ingest`, which
//!    keeps a manifest and its records contiguous);
//! 4. before admission, the submission gates ([`truce_model::gate`]) compare its stated times with
//!    this server's clock, read once per group: an entry more than `max_clock_skew_s` ahead of the
//!    clock, or a report whose event starts more than that after its own `time`, is refused (400,
//!    `field` `time` or `body.time.start`); a late filing (more than `late_filing_s` behind the
//!    clock) and a report whose event ends after its filing are acknowledged with `flags`. The
//!    gates are not replay rules: the ledger never applies them.
//!
//! A job is **atomic** unless its submitter asked otherwise (`POST /v1/entries?atomic=false`):
//! either every entry of it is placed, or none is, and the other jobs of the group go on as if
//! it had not been sent. Before anything of an atomic job is applied, each of its new entries
//! passes the checks that need no ledger state beyond what is durable — size, form, signed (not a
//! bulk record), the submission gates, the author's role for its kind — so the usual refusals
//! cost nothing to undo. Should an entry still be refused once some of the job's entries were
//! applied (a reference or identifier the job's own earlier entries made invalid), the ledger is
//! rebuilt by replaying the log and the group's entries admitted before the job are applied
//! again: correct, but a replay of the whole log (logged as a warning). Only a registered party
//! can cause one (every entry passed its signature check), and the cost is charged to it: for
//! [`REPLAY_PENALTY_FACTOR`] times the replay's duration (at least [`REPLAY_PENALTY_MIN`]),
//! atomic batches of more than one entry signed by any key of that job are refused with 429 and
//! `Retry-After` before anything is applied (single entries, which never need an undo, are
//! accepted meanwhile), so no key can keep the writer replaying. Every entry of a refused
//! atomic job is answered with an error: the refused one with why, the others
//! `not_appended` naming it.
//!
//! The ledger's write lock is held from the first admission until the append has returned, so
//! readers never see an entry that is not durable. When the append succeeds the shared
//! checkpoint is updated and every job is answered; when it fails, the group's new entries are
//! answered 503, the sequencer reloads itself from storage and the ledger is rebuilt by replaying
//! the log (discarding the tentative applies). Inclusion proofs are computed after the answer,
//! by the submitting task on its own reader connections, so the writer goes straight on to the
//! next group.

use crate::config::Config;
use crate::error::ApiError;
use crate::state::ReaderPool;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use truce_log::{SignedCheckpoint, TlogProof, ENTRY_MAX};
use truce_model::entry::{entry_id, EntryError};
use truce_model::gate::{self, Flag, Refusal};
use truce_model::{Applied, Body, Kind, Ledger, Rejection, Time};
use truce_store::{keyfile, Sequencer};

/// The acknowledgement of one entry: where it is in the log, and the proof of it, verifiable
/// offline with nothing but the log's verifier key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ack {
    /// The entry's index in the log (0-based).
    pub index: u64,
    /// The entry id: hex SHA-256 of the entry's exact bytes.
    pub entry_id: String,
    /// True when this exact entry was already in the log (it was not stored again).
    pub duplicate: bool,
    /// Size of the tree of the checkpoint the proofs lead to.
    pub tree_size: u64,
    /// That checkpoint: a C2SP signed note (text), signed by the log key.
    pub checkpoint: String,
    /// RFC 6962 inclusion proof from the entry to the checkpoint's root: base64 SHA-256 hashes,
    /// leaf to root.
    pub inclusion_proof: Vec<String>,
    /// The same proof as a `c2sp.org/tlog-proof@v1` file (`truce verify-proof` checks it).
    pub tlog_proof: String,
    /// What the submission gates noticed about this entry (accepted all the same): a late filing
    /// with its delay, a report whose event ends after it was filed. Absent when nothing was
    /// noticed, and for a duplicate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<GateFlag>,
}

/// Something unusual about an acknowledged entry, noticed by the submission gates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GateFlag {
    /// `late_filing` (the entry's `time` is more than `late_filing_s` before this server's
    /// clock) or `event_ends_after_filing` (a report's event ends after the entry's `time`).
    pub code: String,
    /// What was noticed, in words.
    pub message: String,
    /// The delay of a late filing, or how far after the filing the event ends, seconds.
    pub seconds: i64,
}

impl GateFlag {
    /// The API shape of a gate's flag, `clock` naming the submission clock.
    pub fn new(f: &Flag, clock: &str) -> GateFlag {
        GateFlag {
            code: f.code().to_string(),
            message: f.describe(clock),
            seconds: f.seconds(),
        }
    }
}

/// How this server names its clock in messages.
const CLOCK: &str = "this server's clock";

/// Maps a gate's refusal to the API's error: 400 with its code, message and field.
pub fn gate_refusal(r: &Refusal) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, r.code(), r.describe(CLOCK)).field(r.field())
}

/// What the writer thread answers for one entry (the proofs are added by [`WriterHandle::submit`]).
#[derive(Debug)]
struct Placed {
    index: u64,
    entry_id: String,
    duplicate: bool,
    flags: Vec<GateFlag>,
}

/// The writer's answer to one job.
struct Reply {
    /// The checkpoint covering every placed entry.
    checkpoint: SignedCheckpoint,
    /// One result per entry of the job, in order.
    results: Vec<Result<Placed, ApiError>>,
}

/// One submission: its entries and where to answer.
struct Job {
    entries: Vec<Vec<u8>>,
    /// All or nothing: one refused entry refuses the whole job.
    atomic: bool,
    reply: oneshot::Sender<Reply>,
}

/// Jobs queued at most (senders wait beyond this: back-pressure on submitters).
const QUEUE: usize = 1024;

/// A handle on the writer thread (cheap to clone).
#[derive(Clone)]
pub struct WriterHandle {
    inner: Arc<HandleInner>,
}

struct HandleInner {
    /// `None` once closed.
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    /// The thread, until someone joins it.
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Becomes true when the thread has finished its last commit (the sender is dropped then
    /// too, which also ends a wait).
    done: watch::Receiver<bool>,
    /// Reader connections for the proofs.
    readers: Arc<ReaderPool>,
}

impl WriterHandle {
    /// Submits entries (each the exact bytes of one signed entry) atomically — every one placed,
    /// or none — and waits until they are durable. Returns one result per entry, in order; the
    /// outer error (503) only when the writer is closed or has stopped.
    pub async fn submit(
        &self,
        entries: Vec<Vec<u8>>,
    ) -> Result<Vec<Result<Ack, ApiError>>, ApiError> {
        self.submit_with(entries, true).await
    }

    /// Submits entries as [`submit`](Self::submit) does, atomically or (`atomic` false) each
    /// judged on its own: a refused entry does not stop the others.
    pub async fn submit_with(
        &self,
        entries: Vec<Vec<u8>>,
        atomic: bool,
    ) -> Result<Vec<Result<Ack, ApiError>>, ApiError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self
            .inner
            .tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| ApiError::unavailable("the server is shutting down; retry later"))?;
        let (reply, rx) = oneshot::channel();
        tx.send(Job {
            entries,
            atomic,
            reply,
        })
        .await
        .map_err(|_| ApiError::unavailable("the writer has stopped; retry later"))?;
        drop(tx);
        let reply = rx.await.map_err(|_| {
            ApiError::unavailable(
                "the writer stopped before answering; the submission may or may not be in the log: resubmit it (a duplicate is acknowledged, not stored twice)",
            )
        })?;
        if reply.results.iter().all(Result::is_err) {
            // Nothing to prove.
            return Ok(reply
                .results
                .into_iter()
                .filter_map(Result::err)
                .map(Err)
                .collect());
        }
        let readers = self.inner.readers.clone();
        tokio::task::spawn_blocking(move || prove_all(&readers, reply))
            .await
            .map_err(ApiError::internal)
    }

    /// Has the writer catch up with entries another process appended to the log (it also does
    /// before every group it commits); returns once the ledger and the shared checkpoint hold
    /// them. `truce serve` calls it when the stored checkpoint is ahead of its own
    /// (`follow_interval_ms`).
    pub async fn follow(&self) -> Result<(), ApiError> {
        let tx = self
            .inner
            .tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| ApiError::unavailable("the server is shutting down"))?;
        let (reply, rx) = oneshot::channel();
        tx.send(Job {
            entries: Vec::new(),
            atomic: true,
            reply,
        })
        .await
        .map_err(|_| ApiError::unavailable("the writer has stopped"))?;
        drop(tx);
        rx.await
            .map(|_| ())
            .map_err(|_| ApiError::unavailable("the writer stopped before answering"))
    }

    /// Stops accepting work and waits until the writer thread has finished its last commit, so
    /// everything acknowledged is durable. Idempotent; every caller waits.
    pub async fn close(&self) {
        drop(
            self.inner
                .tx
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        let thread = self
            .inner
            .thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(t) = thread {
            if let Ok(Err(_)) = tokio::task::spawn_blocking(move || t.join()).await {
                tracing::error!("the writer thread panicked");
            }
        }
        let mut done = self.inner.done.clone();
        let _ = done.wait_for(|d| *d).await;
    }
}

/// Adds inclusion proofs to the placed entries of a reply.
fn prove_all(readers: &ReaderPool, reply: Reply) -> Vec<Result<Ack, ApiError>> {
    let cp = reply.checkpoint;
    let note = cp.note_text();
    readers.with(|r| {
        reply
            .results
            .into_iter()
            .map(|res| {
                let p = res?;
                let hashes = r.prove_inclusion(p.index, cp.size).map_err(|e| {
                    ApiError::internal(format!(
                        "proof of entry {} in the tree of {}: {e}",
                        p.index, cp.size
                    ))
                })?;
                let tlog = TlogProof {
                    extra: None,
                    index: p.index,
                    hashes: hashes.clone(),
                    checkpoint: cp.note.clone(),
                }
                .encode();
                Ok(Ack {
                    index: p.index,
                    entry_id: p.entry_id,
                    duplicate: p.duplicate,
                    tree_size: cp.size,
                    checkpoint: note.clone(),
                    inclusion_proof: hashes.iter().map(|h| h.to_string()).collect(),
                    tlog_proof: String::from_utf8_lossy(&tlog).into_owned(),
                    flags: p.flags,
                })
            })
            .collect()
    })
}

/// Starts the writer on the log stored at `store`, signed with `DIR/log.key`; on a shared log
/// it writes under whatever sequencer lease `slot` holds (none: its commits are refused).
pub fn spawn(
    dir: &Path,
    store: &crate::storage::LogStore,
    slot: &truce_cluster::LeaseSlot,
    ledger: Arc<RwLock<Ledger>>,
    checkpoint: Arc<RwLock<SignedCheckpoint>>,
    config: &Config,
) -> Result<WriterHandle, String> {
    let key_path = dir.join("log.key");
    let key = keyfile::read(&key_path).map_err(|e| {
        format!("{e}: the log's signer key (written by `truce init`) is needed to append")
    })?;
    let storage = store.open_writer(slot).map_err(|e| e.to_string())?;
    let seq = Sequencer::open(storage, &key).map_err(|e| e.to_string())?;
    let readers = Arc::new(ReaderPool::open(store, 2).map_err(|e| e.to_string())?);
    let (tx, rx) = mpsc::channel(QUEUE);
    let (done_tx, done) = watch::channel(false);
    let max = config.max_commit_entries.max(1);
    let limits = config.gate_limits();
    // The operator's key signs the sequencer's clock entry closing each group; a server without
    // it (no `DIR/operator.key`) appends groups without one.
    let op_path = dir.join("operator.key");
    let operator = if op_path.exists() {
        let text = keyfile::read(&op_path).map_err(|e| e.to_string())?;
        Some(truce_log::parse_signer(&text).map_err(|e| format!("{}: {e}", op_path.display()))?)
    } else {
        tracing::warn!(
            "{} is absent: groups are appended without the sequencer's clock entry",
            op_path.display()
        );
        None
    };
    let thread = std::thread::Builder::new()
        .name("truce-writer".into())
        .spawn(move || {
            let mut w = Writer {
                seq,
                ledger,
                checkpoint,
                failed: None,
                limits,
                operator,
                penalties: HashMap::new(),
            };
            w.run(rx, max);
            let _ = done_tx.send(true);
        })
        .map_err(|e| format!("starting the writer thread: {e}"))?;
    Ok(WriterHandle {
        inner: Arc::new(HandleInner {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            done,
            readers,
        }),
    })
}

/// The writer thread's state.
struct Writer {
    seq: Sequencer<truce_store::DynStorage>,
    ledger: Arc<RwLock<Ledger>>,
    checkpoint: Arc<RwLock<SignedCheckpoint>>,
    /// Set when storage failed and the ledger could not be rebuilt: every job is answered 503.
    failed: Option<String>,
    /// The submission gates' thresholds.
    limits: gate::Limits,
    /// The operator's key, for the sequencer's clock entries.
    operator: Option<signed_note::StandardSigner>,
    /// Keys whose atomic batch needed a replay to undo, and until when their batches of more
    /// than one entry are refused (at most [`MAX_PENALTIES`], expired ones dropped).
    penalties: HashMap<String, Instant>,
}

/// How many times the undo replay's duration a key's batches are refused after it.
pub const REPLAY_PENALTY_FACTOR: u32 = 20;
/// The least time a key's batches are refused after its batch needed an undo replay.
pub const REPLAY_PENALTY_MIN: Duration = Duration::from_secs(60);
/// Most keys held in the penalty table.
const MAX_PENALTIES: usize = 4096;

/// Where one entry of a group stands while the group is built.
enum Slot {
    /// Already durable at this index.
    Durable(u64, String),
    /// New in this group (or a duplicate of one), at this tentative index, with the gates' flags.
    Tentative(u64, String, bool, Vec<GateFlag>),
    /// Refused.
    Refused(ApiError),
}

impl Writer {
    fn run(&mut self, mut rx: mpsc::Receiver<Job>, max: usize) {
        let mut carry: Option<Job> = None;
        loop {
            let first = match carry.take() {
                Some(j) => j,
                None => match rx.blocking_recv() {
                    Some(j) => j,
                    None => break,
                },
            };
            let mut n = first.entries.len();
            let mut jobs = vec![first];
            while n < max {
                match rx.try_recv() {
                    Ok(j) if n + j.entries.len() > max => {
                        carry = Some(j);
                        break;
                    }
                    Ok(j) => {
                        n += j.entries.len();
                        jobs.push(j);
                    }
                    Err(_) => break,
                }
            }
            self.commit_group(jobs);
        }
    }

    fn commit_group(&mut self, jobs: Vec<Job>) {
        if let Some(why) = &self.failed {
            tracing::error!("refusing {} submissions: {why}", jobs.len());
            let e = ApiError::unavailable(
                "the log cannot be written at the moment; the operator must look at the server (its log says why)",
            );
            for j in jobs {
                let results = j.entries.iter().map(|_| Err(e.clone())).collect();
                let _ = j.reply.send(Reply {
                    checkpoint: self.seq.checkpoint().clone(),
                    results,
                });
            }
            return;
        }
        let shared = self.ledger.clone();
        let mut ledger = shared.write().unwrap_or_else(|p| p.into_inner());
        self.follow(&mut ledger);
        let base = self.seq.size();
        // The submission clock, read once per group (whole seconds, as messages show it).
        let now = {
            let t = jiff::Timestamp::now();
            Time(jiff::Timestamp::from_second(t.as_second()).unwrap_or(t))
        };
        let clock_bytes: Vec<u8>;
        let mut batch: Vec<&[u8]> = Vec::new();
        let mut slots: Vec<Vec<Slot>> = Vec::with_capacity(jobs.len());
        for job in &jobs {
            let mark = batch.len();
            let mut js = Vec::with_capacity(job.entries.len());
            // The first refused entry of an atomic job, and whether the job changed the ledger.
            let mut refused: Option<(usize, ApiError)> = None;
            let mut applied = false;
            if job.atomic && job.entries.len() > 1 {
                refused = self.penalised(&job.entries).map(|e| (0, e));
            }
            if refused.is_none() && job.atomic && job.entries.len() > 1 {
                refused = job
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| ledger.entry(&entry_id(b)).is_none())
                    .find_map(|(n, b)| {
                        precheck(&ledger, b, now, &self.limits)
                            .err()
                            .map(|e| (n, e))
                    });
            }
            if refused.is_none() {
                for (n, bytes) in job.entries.iter().enumerate() {
                    let id = entry_id(bytes);
                    if let Some(at) = ledger.entry(&id) {
                        let i = at.index;
                        js.push(if i >= base {
                            Slot::Tentative(i, id, true, Vec::new())
                        } else {
                            Slot::Durable(i, id)
                        });
                        continue;
                    }
                    let index = base + batch.len() as u64;
                    match admit_apply(&mut ledger, index, bytes, now, &self.limits) {
                        Ok(flags) => {
                            batch.push(bytes);
                            applied = true;
                            js.push(Slot::Tentative(index, id, false, flags));
                        }
                        Err(e) if job.atomic => {
                            refused = Some((n, e));
                            break;
                        }
                        Err(e) => js.push(Slot::Refused(e)),
                    }
                }
            }
            if let Some((at, e)) = refused {
                if applied {
                    // Undo the job's applies: the durable log, then the group's entries before it.
                    batch.truncate(mark);
                    tracing::warn!(
                        "an atomic submission was refused at its entry {at} after earlier entries of it were applied; replaying the log to undo them"
                    );
                    let started = Instant::now();
                    self.rebuild(&mut ledger);
                    self.penalise(&job.entries, started.elapsed());
                    for (k, b) in batch.iter().enumerate() {
                        if !matches!(ledger.apply(base + k as u64, b), Applied::Accepted(..)) {
                            self.failed = Some(format!(
                                "entry {} of a group was admitted once and refused when applied again",
                                base + k as u64
                            ));
                        }
                    }
                }
                js = (0..job.entries.len())
                    .map(|n| Slot::Refused(if n == at { e.clone() } else { not_appended(at) }))
                    .collect();
            }
            slots.push(js);
        }
        // The sequencer's clock closes the group (a group of witnessing rounds only is its own
        // clock reading: rounds are signed at the sequencer's clock).
        let rounds_only = batch
            .iter()
            .all(|b| truce_model::decode(b).is_ok_and(|e| e.kind == Kind::Witnessing));
        if !batch.is_empty() && !rounds_only {
            if let Some(c) =
                self.clock_entry(&mut ledger, base + batch.len() as u64, now, batch.len())
            {
                clock_bytes = c;
                batch.push(&clock_bytes);
            }
        }
        let outcome = if batch.is_empty() {
            Ok(self.seq.checkpoint().clone())
        } else {
            self.seq.append(&batch).map(|ack| ack.checkpoint)
        };
        let committed = outcome.is_ok();
        let checkpoint = match outcome {
            Ok(cp) => {
                if !batch.is_empty() {
                    *self.checkpoint.write().unwrap_or_else(|p| p.into_inner()) = cp.clone();
                }
                cp
            }
            Err(e) => {
                tracing::error!(
                    entries = batch.len(),
                    "append of a group failed: {e}; rebuilding the ledger from the log"
                );
                self.rebuild(&mut ledger);
                if let truce_store::StoreError::Corrupt(why) = e {
                    // Damaged storage, or a sequencer that could not reload: no further append
                    // can succeed until the operator has looked (`truce log check`).
                    self.failed = Some(why);
                }
                self.seq.checkpoint().clone()
            }
        };
        drop(ledger);
        let lost = || {
            ApiError::unavailable(
                "the log could not store this entry; it may or may not be in the log: resubmit it (a duplicate is acknowledged, not stored twice)",
            )
        };
        for (job, js) in jobs.into_iter().zip(slots) {
            let results = js
                .into_iter()
                .map(|s| match s {
                    Slot::Durable(index, entry_id) => Ok(Placed {
                        index,
                        entry_id,
                        duplicate: true,
                        flags: Vec::new(),
                    }),
                    Slot::Tentative(index, entry_id, duplicate, flags) if committed => Ok(Placed {
                        index,
                        entry_id,
                        duplicate,
                        flags,
                    }),
                    Slot::Tentative(..) => Err(lost()),
                    Slot::Refused(e) => Err(e),
                })
                .collect();
            let _ = job.reply.send(Reply {
                checkpoint: checkpoint.clone(),
                results,
            });
        }
    }

    /// Signs and applies the sequencer's clock entry at `index`, closing a group of `entries`
    /// entries: this server's clock, never before the log's last clock.
    fn clock_entry(
        &self,
        ledger: &mut Ledger,
        index: u64,
        now: Time,
        entries: usize,
    ) -> Option<Vec<u8>> {
        let signer = self.operator.as_ref()?;
        let first = index - entries as u64;
        let made = truce_model::witnessed::clock_entry(ledger, first, entries as u64, now, signer)?;
        let env = match made {
            Ok(e) => e,
            Err(e) => {
                tracing::error!("signing the sequencer's clock entry: {e}");
                return None;
            }
        };
        let counts = ledger.counts.clone();
        match ledger.apply(index, &env.bytes) {
            Applied::Accepted(..) => Some(env.bytes),
            other => {
                ledger.counts = counts;
                tracing::error!("the sequencer's clock entry was refused: {other:?}");
                None
            }
        }
    }

    /// The refusal of an atomic batch signed by a key still paying for an undo replay, if any.
    fn penalised(&mut self, entries: &[Vec<u8>]) -> Option<ApiError> {
        let now = Instant::now();
        self.penalties.retain(|_, until| *until > now);
        let (key, until) = entries.iter().find_map(|b| {
            let key = truce_model::decode(b).ok()?.key;
            self.penalties.get(&key).map(|u| (key, *u))
        })?;
        let wait = until.saturating_duration_since(now).as_secs().max(1);
        Some(
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "a batch signed by key {key} was refused after part of it was applied, which took a replay of the whole log to undo; batches of more than one entry signed by it are refused for {wait} s more (single entries are accepted): check each entry against the log before batching them"
                ),
            )
            .retry_after(wait),
        )
    }

    /// Charges the keys of a job whose undo took a replay of `took`.
    fn penalise(&mut self, entries: &[Vec<u8>], took: Duration) {
        let until = Instant::now() + (took * REPLAY_PENALTY_FACTOR).max(REPLAY_PENALTY_MIN);
        for b in entries {
            if let Ok(env) = truce_model::decode(b) {
                if self.penalties.len() < MAX_PENALTIES || self.penalties.contains_key(&env.key) {
                    self.penalties.insert(env.key, until);
                }
            }
        }
    }

    /// Applies what another process (`truce ingest`, `truce submit`: another sequencer on the
    /// same database) appended since this writer last looked: the sequencer catches up with
    /// storage and the ledger applies the new entries, so the group after it is admitted against
    /// the whole log and readers see those entries (the views follow the new checkpoint).
    fn follow(&mut self, ledger: &mut Ledger) {
        let from = match self.seq.refresh() {
            Ok(None) => return,
            Ok(Some(from)) => from,
            Err(e) => {
                tracing::error!("catching up with the log in storage: {e}");
                return;
            }
        };
        let to = self.seq.size();
        if ledger.size != from {
            self.rebuild(ledger);
            return;
        }
        let mut refused = truce_model::Refusals::default();
        let r = self
            .seq
            .reader()
            .for_each_entry_in(from, to, |i, e| refused.note(i, &ledger.apply(i, e)));
        truce_views::derived::warn_refused(&refused);
        match r {
            Ok(_) if ledger.size == to => {
                *self.checkpoint.write().unwrap_or_else(|p| p.into_inner()) =
                    self.seq.checkpoint().clone();
                tracing::info!(
                    "applied {} entries another process appended (indices {from}..{to})",
                    to - from
                );
            }
            Ok(_) => self.rebuild(ledger),
            Err(e) => {
                tracing::error!("reading the entries another process appended: {e}");
                self.rebuild(ledger);
            }
        }
    }

    /// Replays the log from storage into a fresh ledger (after a failed append: the tentative
    /// applies are discarded; the sequencer has already reloaded its edge).
    fn rebuild(&mut self, ledger: &mut Ledger) {
        let r = truce_views::derived::replay_to(self.seq.reader(), self.seq.size());
        match r {
            Ok((fresh, size)) if size == self.seq.size() => {
                *ledger = fresh;
                *self.checkpoint.write().unwrap_or_else(|p| p.into_inner()) =
                    self.seq.checkpoint().clone();
            }
            Ok((_, size)) => {
                self.failed = Some(format!(
                    "after a failed append the log holds {size} entries but the sequencer {}",
                    self.seq.size()
                ));
                tracing::error!("{}", self.failed.as_deref().unwrap_or_default());
            }
            Err(e) => {
                self.failed = Some(format!("replaying the log after a failed append: {e}"));
                tracing::error!("{}", self.failed.as_deref().unwrap_or_default());
            }
        }
    }
}

/// Admits one new entry against the ledger (as [`Ledger::admit`]) and, if admitted, applies it at
/// `index` — tentatively: the caller appends it, or rebuilds the ledger if the append fails. Every
/// refusal is mapped to the API's error, and leaves the ledger as it was. First the submission
/// gates judge its stated times against `now` ([`gate::check`]); their flags are returned.
///
/// `Ledger::apply` runs `Ledger::admit` itself, so one call checks and applies the entry (one
/// signature verification instead of two, which is most of the writer's time); a refusal only
/// bumped the ledger's counts, which are restored. The one other effect of `apply` on a refused
/// entry, closing a manifest still waiting for its records, cannot happen on a log written by
/// `truce ingest` (a manifest and its records are one commit); should a log end with one, the
/// entry is admitted first and applied only if admitted, exactly as a replay would see it.
fn admit_apply(
    ledger: &mut Ledger,
    index: u64,
    bytes: &[u8],
    now: Time,
    limits: &gate::Limits,
) -> Result<Vec<GateFlag>, ApiError> {
    let env = signed_envelope(ledger, bytes)?;
    let flags = gate::check(env.time, &env.body, now, limits).map_err(|r| gate_refusal(&r))?;
    if ledger.pending_records() > 0 {
        ledger
            .admit_envelope(&env)
            .map_err(|r| rejection(ledger, bytes, r))?;
    }
    let counts = ledger.counts.clone();
    // Decoded once: the envelope read above is the one applied.
    match ledger.apply_decoded(index, truce_model::Decoded::envelope(env)) {
        Applied::Accepted(..) => Ok(flags.iter().map(|f| GateFlag::new(f, CLOCK)).collect()),
        Applied::Refused(r) => {
            ledger.counts = counts;
            Err(rejection(ledger, bytes, r))
        }
        Applied::Opaque => {
            ledger.counts = counts;
            Err(ApiError::bad_request("not a Truce entry"))
        }
    }
}

/// What the submission handler learns of an entry before it reaches the writer
/// ([`check_signature`]).
#[derive(Debug)]
pub enum Signature {
    /// Signed by this key (its 8-hex id) of its registered author, and the signature verifies:
    /// the request may be charged to the key's rate limit.
    Verified(String),
    /// The author or key is not (yet) registered: an earlier entry of the same request may
    /// register it, so the writer decides. Not charged to any key.
    Unknown,
    /// Refused whatever else the request holds: malformed, not signed, too large, a revoked key,
    /// or a signature that does not verify with the registered key.
    Refused(ApiError),
}

/// Checks one entry's envelope and signature against the ledger (the registered key of its
/// author), for the per-key rate limit: anyone can name a key id, only its holder can sign with
/// it. Read-only; call on the blocking pool (one signature verification).
pub fn check_signature(ledger: &Ledger, bytes: &[u8]) -> Signature {
    let env = match signed_envelope(ledger, bytes) {
        Ok(env) => env,
        Err(e) => return Signature::Refused(e),
    };
    if ledger.parties.is_empty() {
        // Before the genesis entry admission refuses without looking at the signature.
        return Signature::Unknown;
    }
    match ledger.admit_envelope(&env) {
        // The signature verified (admission checks it before role, references and ids).
        Ok(_)
        | Err(Rejection::Forbidden { .. } | Rejection::Invalid(_) | Rejection::Duplicate(_)) => {
            Signature::Verified(env.key)
        }
        Err(Rejection::UnknownAuthor(_) | Rejection::UnknownKey { .. }) => Signature::Unknown,
        Err(r) => Signature::Refused(rejection(ledger, bytes, r)),
    }
}

/// The answer for the other entries of an atomic submission refused at its entry `at`.
fn not_appended(at: usize) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_appended",
        format!("not appended: entries[{at}] of the same request was refused, and a request is all or nothing (send `?atomic=false` to have each entry judged on its own)"),
    )
    .field(format!("entries[{at}]"))
}

/// The checks of one new entry that need nothing of the ledger but what is durable (and cost
/// no signature verification): size, form, signed, the submission gates at `now`, and — when
/// the author is registered — whether its role may write the entry's kind. An atomic job is
/// checked with these before any of its entries is applied.
fn precheck(
    ledger: &Ledger,
    bytes: &[u8],
    now: Time,
    limits: &gate::Limits,
) -> Result<(), ApiError> {
    let env = signed_envelope(ledger, bytes)?;
    gate::check(env.time, &env.body, now, limits).map_err(|r| gate_refusal(&r))?;
    if let Some(author) = ledger.parties.get(&env.author) {
        let own_key = match &env.body {
            Body::KeyAdd(k) => k.party == env.author,
            Body::KeyRevoke(k) => k.party == env.author,
            _ => false,
        };
        let allowed = truce_model::ledger::allowed_roles(env.kind);
        if !own_key && !allowed.contains(&author.role) {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            let mut who = format!("only {} may", names.join(", "));
            if matches!(env.kind, Kind::KeyAdd | Kind::KeyRevoke) {
                who.push_str(", or the party for its own keys");
            }
            let r = Rejection::Forbidden {
                author: env.author.to_string(),
                role: author.role.as_str(),
                kind: env.kind.as_str(),
                allowed: who,
            };
            return Err(rejection(ledger, bytes, r));
        }
    }
    Ok(())
}

/// One new entry's envelope, if it is within the size limit, well formed and signed (a bulk
/// record or manifest is `truce ingest`'s, never a submission).
fn signed_envelope(ledger: &Ledger, bytes: &[u8]) -> Result<truce_model::Envelope, ApiError> {
    if bytes.len() > ENTRY_MAX {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            EntryError::TooLarge(bytes.len()).to_string(),
        ));
    }
    let env = truce_model::decode(bytes)
        .map_err(|e| rejection(ledger, bytes, Rejection::Malformed(e)))?;
    if env.sig.is_empty() || env.kind == Kind::Manifest {
        return Err(bulk());
    }
    Ok(env)
}

fn bulk() -> ApiError {
    ApiError::bad_request(
        "bulk records are ingested with `truce ingest`: a manifest and its unsigned records must be appended together, which this endpoint does not do; submit signed entries here",
    )
    .field("kind")
}

/// Maps a ledger refusal to the API's error: status, code and field.
pub fn rejection(ledger: &Ledger, bytes: &[u8], r: Rejection) -> ApiError {
    let msg = r.to_string();
    match r {
        Rejection::Malformed(EntryError::Field { field, why }) => {
            let f = match field {
                "body" => nested_field(&why)
                    .map(|n| format!("body.{n}"))
                    .unwrap_or_else(|| "body".into()),
                f => f.to_string(),
            };
            ApiError::bad_request(msg).field(f)
        }
        Rejection::Malformed(EntryError::TooLarge(_)) => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", msg)
        }
        Rejection::Malformed(_) => ApiError::bad_request(msg),
        Rejection::UnknownAuthor(_) => {
            ApiError::new(StatusCode::UNAUTHORIZED, "unknown_key", msg).field("author")
        }
        Rejection::UnknownKey { .. } => {
            ApiError::new(StatusCode::UNAUTHORIZED, "unknown_key", msg).field("key")
        }
        Rejection::BadSignature { .. } => {
            ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", msg).field("sig")
        }
        Rejection::RevokedKey { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "revoked_key", msg).field("key")
        }
        Rejection::Forbidden { .. } => ApiError::forbidden(msg).field("kind"),
        Rejection::Duplicate(i) => {
            // Exact duplicates are acknowledged before admission, so this is the same
            // identifier (a site's, or a report's at no higher revision) with another body.
            let what = truce_model::decode(bytes)
                .ok()
                .map(|env| match &env.body {
                    Body::Report(rep) => format!(
                        "report `{}` by `{}` is already in the log at index {i} with a different body; correct it with an `amend` entry, or file a higher `revision`",
                        rep.id, env.author
                    ),
                    Body::Site(s) => format!(
                        "site `{}` by `{}` is already in the log at index {i} with a different body; correct it with an `amend` entry",
                        s.id, env.author
                    ),
                    _ => format!("an entry with this identifier is already in the log at index {i}"),
                })
                .unwrap_or_else(|| format!("an entry with this identifier is already in the log at index {i}"));
            ApiError::new(StatusCode::CONFLICT, "conflict", what).field("body.id")
        }
        Rejection::Invalid(why) => {
            let env = truce_model::decode(bytes).ok();
            if env.as_ref().is_some_and(|e| e.sig.is_empty()) {
                return bulk();
            }
            match env.and_then(|e| conflict(ledger, &e.body)) {
                Some(field) => ApiError::new(StatusCode::CONFLICT, "conflict", why).field(field),
                None => ApiError::new(StatusCode::BAD_REQUEST, "invalid", why),
            }
        }
    }
}

/// Whether a refused body reuses an identifier already taken in the ledger by another entry
/// (another body under the same id): the field at fault if so.
fn conflict(ledger: &Ledger, body: &Body) -> Option<&'static str> {
    match body {
        Body::PartyRegister(reg) if ledger.parties.contains_key(&reg.id) => Some("body.id"),
        Body::Commitment(c) if ledger.commitments.contains_key(&c.id) => Some("body.id"),
        Body::KeyAdd(k) => {
            let v = truce_log::parse_verifier(&k.key).ok()?;
            use signed_note::Verifier;
            ledger
                .parties
                .get(&k.party)?
                .keys
                .contains_key(&format!("{:08x}", v.key_id()))
                .then_some("body.key")
        }
        Body::KeyRevoke(k) => ledger
            .parties
            .get(&k.party)?
            .keys
            .get(&k.key_id)?
            .revoked_at
            .map(|_| "body.key_id"),
        _ => None,
    }
}

/// The field a serde message names (`missing field `x``, `unknown field `x``).
fn nested_field(why: &str) -> Option<String> {
    for p in ["missing field `", "unknown field `"] {
        if let Some(rest) = why.split(p).nth(1) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}
