//! The sequencer (the log's single writer) and the reader it builds on.
//!
//! [`LogReader`] opens a log with its verifier key only and answers checkpoints, entries and
//! proofs. [`Sequencer`] adds the signer and the in-memory right edge: a batch is assigned indices,
//! its tiles and bundles and the newly signed checkpoint are stored in one durable commit, and only
//! then is it acknowledged. A failed commit leaves the sequencer reloaded from storage, so what it
//! holds in memory never runs ahead of what is durable.

use crate::{Commit, LogMeta, LogStorage, StoreError, Tiles};
use signed_note::{StandardSigner, StandardVerifier};
use truce_log::{
    decode_bundle, open_checkpoint, parse_signer, parse_verifier, sign_checkpoint, validate_origin,
    verifier_from_signer, Edge, Hash, SignedCheckpoint, TlogProof, ENTRY_MAX, TILE_WIDTH,
};

/// Read access to a log: checkpoints, entries and proofs, all checked against the log key.
pub struct LogReader<S: LogStorage> {
    storage: S,
    meta: LogMeta,
    verifier: StandardVerifier,
}

impl<S: LogStorage> LogReader<S> {
    /// Opens an initialised log.
    pub fn open(storage: S) -> Result<Self, StoreError> {
        let meta = storage.meta()?.ok_or_else(|| StoreError::NotInitialised {
            path: "storage".into(),
        })?;
        let verifier = parse_verifier(&meta.vkey)?;
        Ok(LogReader {
            storage,
            meta,
            verifier,
        })
    }

    /// The log's origin and verifier key.
    pub fn meta(&self) -> &LogMeta {
        &self.meta
    }

    /// The log's verifier.
    pub fn verifier(&self) -> &StandardVerifier {
        &self.verifier
    }

    /// The underlying storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The latest checkpoint, its signature checked.
    pub fn latest(&self) -> Result<SignedCheckpoint, StoreError> {
        let note = self
            .storage
            .latest_checkpoint()?
            .ok_or_else(|| StoreError::Corrupt("the log has no checkpoint".into()))?;
        Ok(open_checkpoint(&note, &self.verifier)?)
    }

    /// The checkpoint signed at exactly `size`, its signature checked.
    pub fn checkpoint_at(&self, size: u64) -> Result<SignedCheckpoint, StoreError> {
        match self.storage.checkpoint_at(size)? {
            Some(note) => Ok(open_checkpoint(&note, &self.verifier)?),
            None => Err(StoreError::Log(truce_log::LogError::OutOfRange(format!(
                "no checkpoint was signed at size {size}; `truce log checkpoint --json` shows the latest, and proofs may use any size up to it with --size"
            )))),
        }
    }

    /// The latest tree size, read from the latest checkpoint without re-checking its signature:
    /// it only bounds what may be proved (a proof is checked against a verified checkpoint), or
    /// says whether the log grew (what grew is read, and its checkpoint verified, after).
    pub fn latest_size(&self) -> Result<u64, StoreError> {
        let note = self
            .storage
            .latest_checkpoint()?
            .ok_or_else(|| StoreError::Corrupt("the log has no checkpoint".into()))?;
        std::str::from_utf8(&note)
            .ok()
            .and_then(|t| t.lines().nth(1))
            .and_then(|l| l.parse().ok())
            .ok_or_else(|| {
                StoreError::Corrupt("the latest checkpoint has no valid size line".into())
            })
    }

    fn check_size(&self, size: u64) -> Result<u64, StoreError> {
        let latest = self.latest_size()?;
        if size > latest {
            return Err(StoreError::Log(truce_log::LogError::OutOfRange(format!(
                "size {size} is beyond the log's current size {latest}"
            ))));
        }
        Ok(latest)
    }

    /// The entry at `index`.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let size = self.latest()?.size;
        if index >= size {
            return Err(StoreError::Log(truce_log::LogError::OutOfRange(format!(
                "index {index} is beyond the log's last entry ({})",
                size.saturating_sub(1)
            ))));
        }
        let n = index / TILE_WIDTH;
        let bundle = self.storage.read_bundle(n)?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "entry bundle {} is missing",
                truce_log::entries_path(n, 0)
            ))
        })?;
        let entries = decode_bundle(&bundle)?;
        entries
            .get((index % TILE_WIDTH) as usize)
            .map(|e| e.to_vec())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("entry bundle {n} is short: entry {index} missing"))
            })
    }

    /// Calls `f(index, entry)` for every entry up to the latest checkpoint, in order, reading one
    /// bundle at a time.
    pub fn for_each_entry(&self, f: impl FnMut(u64, &[u8])) -> Result<u64, StoreError> {
        let size = self.latest_size()?;
        self.for_each_entry_to(size, f)
    }

    /// Calls `f(index, entry)` for the first `size` entries (at most the latest checkpoint's
    /// size), in order, reading one bundle at a time.
    pub fn for_each_entry_to(
        &self,
        size: u64,
        f: impl FnMut(u64, &[u8]),
    ) -> Result<u64, StoreError> {
        self.for_each_entry_in(0, size, f)
    }

    /// Calls `f(index, entry)` for the entries `from..size` (`size` at most the latest
    /// checkpoint's), in order, reading one bundle at a time.
    pub fn for_each_entry_in(
        &self,
        from: u64,
        size: u64,
        mut f: impl FnMut(u64, &[u8]),
    ) -> Result<u64, StoreError> {
        self.check_size(size)?;
        for n in (from / TILE_WIDTH)..size.div_ceil(TILE_WIDTH) {
            let bundle = self.storage.read_bundle(n)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "entry bundle {} is missing",
                    truce_log::entries_path(n, 0)
                ))
            })?;
            let want = (size - n * TILE_WIDTH).min(TILE_WIDTH) as usize;
            let entries = decode_bundle(&bundle)?;
            if entries.len() < want {
                return Err(StoreError::Corrupt(format!(
                    "entry bundle {n} holds {} entries, expected {want}",
                    entries.len()
                )));
            }
            for (i, e) in entries.iter().take(want).enumerate() {
                let index = n * TILE_WIDTH + i as u64;
                if index >= from {
                    f(index, e);
                }
            }
        }
        Ok(size)
    }

    /// Root hash of the tree of `size` entries (recomputed from stored tiles).
    pub fn root_at(&self, size: u64) -> Result<Hash, StoreError> {
        self.check_size(size)?;
        Ok(truce_log::tree_root(&Tiles(&self.storage), None, size)?)
    }

    /// Inclusion proof of entry `index` in the tree of `size` entries.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.check_size(size)?;
        Ok(truce_log::prove_inclusion(
            &Tiles(&self.storage),
            None,
            index,
            size,
        )?)
    }

    /// Consistency proof from the tree of `old` entries to the tree of `new`.
    pub fn prove_consistency(&self, old: u64, new: u64) -> Result<Vec<Hash>, StoreError> {
        self.check_size(new)?;
        Ok(truce_log::prove_consistency(
            &Tiles(&self.storage),
            None,
            old,
            new,
        )?)
    }

    /// A tlog-proof for entry `index` against the checkpoint of `size` (default: the latest).
    pub fn tlog_proof(&self, index: u64, size: Option<u64>) -> Result<TlogProof, StoreError> {
        let cp = match size {
            Some(s) => self.checkpoint_at(s)?,
            None => self.latest()?,
        };
        let hashes = self.prove_inclusion(index, cp.size)?;
        Ok(TlogProof {
            extra: None,
            index,
            hashes,
            checkpoint: cp.note,
        })
    }
}

/// What an append acknowledges: the batch's first index and count, and the durable checkpoint
/// that covers it. Inclusion proofs come from [`Sequencer::prove_inclusion`] or
/// [`LogReader::tlog_proof`].
#[derive(Debug, Clone)]
pub struct BatchAck {
    /// Index of the batch's first entry.
    pub first_index: u64,
    /// Number of entries in the batch.
    pub count: u64,
    /// The signed checkpoint stored with the batch.
    pub checkpoint: SignedCheckpoint,
}

/// The log's single writer.
pub struct Sequencer<S: LogStorage> {
    log: LogReader<S>,
    signer: StandardSigner,
    edge: Edge,
    checkpoint: SignedCheckpoint,
    broken: Option<String>,
}

impl<S: LogStorage> Sequencer<S> {
    /// Initialises empty storage as a new log named `origin`, signed by `signer_key` (whose name
    /// must be the origin), and returns its sequencer.
    pub fn create(mut storage: S, origin: &str, signer_key: &str) -> Result<Self, StoreError> {
        validate_origin(origin)?;
        let signer = parse_signer(signer_key)?;
        let vkey = verifier_from_signer(signer_key)?;
        let empty = sign_checkpoint(&signer, origin, 0, truce_log::EMPTY_HASH)?;
        storage.init(
            &LogMeta {
                origin: origin.to_string(),
                vkey,
            },
            &empty,
        )?;
        Self::open(storage, signer_key)
    }

    /// Opens an existing log for writing. Fails if `signer_key` is not the log's key.
    pub fn open(storage: S, signer_key: &str) -> Result<Self, StoreError> {
        let log = LogReader::open(storage)?;
        let signer = parse_signer(signer_key)?;
        let vkey = verifier_from_signer(signer_key)?;
        if vkey != log.meta.vkey {
            return Err(StoreError::WrongKey(format!(
                "the signer key {} is not this log's key {}",
                vkey.split('+').take(2).collect::<Vec<_>>().join("+"),
                log.meta
                    .vkey
                    .split('+')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("+"),
            )));
        }
        let (edge, checkpoint) = load_edge(&log)?;
        Ok(Sequencer {
            log,
            signer,
            edge,
            checkpoint,
            broken: None,
        })
    }

    /// Read access (proofs, entries, checkpoints).
    pub fn reader(&self) -> &LogReader<S> {
        &self.log
    }

    /// Number of entries in the log.
    pub fn size(&self) -> u64 {
        self.edge.size()
    }

    /// The latest durable checkpoint.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.checkpoint
    }

    /// Inclusion proof for `index` in the tree of `size` entries, using the in-memory edge.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        if size > self.size() {
            return Err(StoreError::Log(truce_log::LogError::OutOfRange(format!(
                "size {size} is beyond the log's current size {}",
                self.size()
            ))));
        }
        Ok(truce_log::prove_inclusion(
            &Tiles(&self.log.storage),
            Some(&self.edge),
            index,
            size,
        )?)
    }

    /// Appends a batch: assigns indices, stores entries, tiles and the new signed checkpoint in
    /// one durable commit, then acknowledges. Nothing of a failed batch is acknowledged; the
    /// sequencer reloads from storage so it never runs ahead of what is durable.
    pub fn append(&mut self, entries: &[&[u8]]) -> Result<BatchAck, StoreError> {
        if let Some(why) = &self.broken {
            return Err(StoreError::Corrupt(format!(
                "the sequencer stopped after an error: {why}"
            )));
        }
        if let Some(e) = entries.iter().find(|e| e.len() > ENTRY_MAX) {
            return Err(truce_log::LogError::EntryTooLarge { len: e.len() }.into());
        }
        let first_index = self.edge.size();
        if entries.is_empty() {
            return Ok(BatchAck {
                first_index,
                count: 0,
                checkpoint: self.checkpoint.clone(),
            });
        }
        let mut next = self.edge.clone();
        let update = next.append(entries.iter().copied())?;
        let checkpoint = sign_checkpoint(
            &self.signer,
            &self.log.meta.origin,
            next.size(),
            next.root(),
        )?;
        let commit = Commit {
            old_size: first_index,
            tiles: &update.tiles,
            bundles: &update.bundles,
            checkpoint: &checkpoint,
        };
        match self.log.storage.commit(&commit) {
            Ok(()) => {
                self.edge = next;
                self.checkpoint = checkpoint.clone();
                Ok(BatchAck {
                    first_index,
                    count: entries.len() as u64,
                    checkpoint,
                })
            }
            Err(e) => {
                // The batch may or may not be stored (e.g. an acknowledgement lost after the
                // write): reload what is durable and continue from there.
                match load_edge(&self.log) {
                    Ok((edge, cp)) => {
                        self.edge = edge;
                        self.checkpoint = cp;
                    }
                    Err(reload) => self.broken = Some(reload.to_string()),
                }
                Err(e)
            }
        }
    }

    /// Catches up with entries another sequencer (another process: `truce ingest`, `truce
    /// submit`) committed to the same storage: when the stored checkpoint is larger than this
    /// sequencer's, its edge and checkpoint are reloaded from storage (checked against each
    /// other). Returns the size it had before, if it moved; a stored checkpoint smaller than
    /// this sequencer's is refused as a rollback.
    pub fn refresh(&mut self) -> Result<Option<u64>, StoreError> {
        // Called before every group the server commits: the cheap size first (one indexed
        // read, no signature check); the checkpoint is verified by `load_edge` only if it moved.
        let stored = self.log.latest_size()?;
        let before = self.edge.size();
        if stored == before {
            return Ok(None);
        }
        if stored < before {
            return Err(StoreError::Corrupt(format!(
                "the stored checkpoint (size {stored}) is smaller than this sequencer's ({before}): the database was replaced or rolled back; stop and run `truce log check`"
            )));
        }
        let (edge, cp) = load_edge(&self.log)?;
        self.edge = edge;
        self.checkpoint = cp;
        Ok(Some(before))
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.log.storage
    }
}

/// Rebuilds the right edge from storage and checks it against the latest signed checkpoint.
fn load_edge<S: LogStorage>(log: &LogReader<S>) -> Result<(Edge, SignedCheckpoint), StoreError> {
    let cp = log.latest()?;
    let size = cp.size;
    let mut partials = Vec::new();
    let mut level = 0u32;
    while level < 8 && (size >> (8 * level)) > 0 {
        let width = ((size >> (8 * level)) % TILE_WIDTH) as usize;
        if width == 0 {
            partials.push(Vec::new());
        } else {
            let n = size.checked_shr(8 * (level + 1)).unwrap_or(0);
            let data = log.storage.read_tile(level as u8, n)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "hash tile {} is missing",
                    truce_log::tile_path(level as u8, n, width as u16)
                ))
            })?;
            if data.len() < width * 32 {
                return Err(StoreError::Corrupt(format!(
                    "hash tile {} holds {} hashes, fewer than the checkpoint's {width}",
                    truce_log::tile_path(level as u8, n, width as u16),
                    data.len() / 32
                )));
            }
            partials.push(data[..width * 32].to_vec());
        }
        level += 1;
    }
    let bundle = if size % TILE_WIDTH == 0 {
        Vec::new()
    } else {
        let n = size / TILE_WIDTH;
        let width = (size % TILE_WIDTH) as usize;
        let stored = log.storage.read_bundle(n)?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "entry bundle {} is missing",
                truce_log::entries_path(n, width as u16)
            ))
        })?;
        // Storage keeps the widest version: another writer may have appended since `latest`
        // was read (a shared log's sequencer, while a follower catches up). The checkpoint's
        // bundle is its first `width` entries, as the hash tiles above are their prefixes.
        let entries = decode_bundle(&stored)?;
        if entries.len() > width {
            let mut bundle = Vec::with_capacity(stored.len());
            for e in &entries[..width] {
                truce_log::encode_bundle_into(&mut bundle, e)?;
            }
            bundle
        } else {
            stored
        }
    };
    let edge =
        Edge::from_parts(size, partials, bundle).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if edge.root() != cp.root {
        return Err(StoreError::Corrupt(format!(
            "the stored right-edge tiles do not hash to the root of the latest checkpoint (size {size})"
        )));
    }
    Ok((edge, cp))
}
