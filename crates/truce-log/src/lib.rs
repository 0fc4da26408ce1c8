//! Truce's verifiable log core: RFC 6962 hashing, C2SP tile layout, checkpoints, proofs and keys.
//!
//! This crate is *pure*: it does no IO and reads no clock. Storage, fsync and time live in
//! `truce-store` and the binary; everything here is a deterministic function of its arguments, so
//! it can be tested exhaustively and reused by verifiers that run offline.
//!
//! It builds on the published C2SP crates from Cloudflare's azul — [`tlog_tiles`] (RFC 6962
//! hashing, proofs, checkpoint bodies) and [`signed_note`] (C2SP signed notes, Ed25519) — and adds
//! what they do not have: the C2SP `tile/<L>/<N>` and `tile/entries/<N>` path layout (the published
//! `tlog_tiles` 0.2 writes Go-sumdb paths), entry bundles, the incremental right edge of a tiled
//! tree ([`Edge`]), tlog-proof files ([`TlogProof`]) and key-file helpers.

mod checkpoint;
pub mod cosignature;
mod edge;
mod keys;
pub mod policy;
mod proof;
mod tiles;
pub mod witness;

pub use checkpoint::{open_checkpoint, sign_checkpoint, validate_origin, SignedCheckpoint};
pub use edge::{Edge, EdgeUpdate, TileHashes};
pub use keys::{
    generate_key, key_from_seed, parse_signer, parse_verifier, verifier_from_signer, KeyPair,
};
pub use proof::TlogProof;
pub use tiles::{
    decode_bundle, encode_bundle_into, entries_path, parse_tile_path, tile_path, TileKind,
    TilePath, ENTRY_MAX, TILE_HEIGHT, TILE_WIDTH,
};

/// The hash type of the log: 32 bytes of SHA-256, as in RFC 6962.
pub use tlog_tiles::Hash;
/// RFC 6962 hashing: leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right).
pub use tlog_tiles::{node_hash, record_hash, EMPTY_HASH, HASH_SIZE};

/// Reads hash tiles for proofs. Implemented by storage backends (and by in-memory test trees).
///
/// `tile(level, n)` returns the widest stored version of hash tile `n` at `level`: the full tile
/// (256 hashes) or the current partial one. A partial tile of width `w` is always a prefix of the
/// wider versions of the same tile, so a reader may serve any narrower width from it.
pub trait TileSource {
    /// The bytes of hash tile `(level, n)`, a multiple of 32 long, or `None` if not stored.
    fn tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, LogError>;
}

/// Everything that can go wrong in the log core.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// An entry is larger than tlog-tiles bundles allow.
    #[error("entry of {len} bytes is larger than the 65,535-byte limit of C2SP entry bundles; store large evidence outside the log and log its hash")]
    EntryTooLarge {
        /// The entry's length in bytes.
        len: usize,
    },
    /// The origin does not satisfy tlog-checkpoint's rules.
    #[error("invalid origin {origin:?}: {why}")]
    InvalidOrigin {
        /// The rejected origin.
        origin: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A key text could not be parsed or does not match.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A checkpoint or note is malformed or its signature does not verify.
    #[error("checkpoint rejected: {0}")]
    BadCheckpoint(String),
    /// A proof does not verify or is malformed.
    #[error("proof rejected: {0}")]
    BadProof(String),
    /// A tile path or tile body is malformed.
    #[error("bad tile: {0}")]
    BadTile(String),
    /// An entry bundle is malformed.
    #[error("bad entry bundle: {0}")]
    BadBundle(String),
    /// The storage a [`TileSource`] reads from failed or lacks a tile it should hold.
    #[error("storage: {0}")]
    Storage(String),
    /// An index or size is out of range for the tree.
    #[error("out of range: {0}")]
    OutOfRange(String),
}

/// Adapts a [`TileSource`] to `tlog_tiles`' `HashReader`, so its proof algorithms run over our
/// C2SP tiles (height 8). Hashes at levels between tile levels are recomputed from the tile below.
pub(crate) struct SourceReader<'a, S: TileSource + ?Sized> {
    pub(crate) source: &'a S,
    pub(crate) edge: Option<&'a Edge>,
}

impl<S: TileSource + ?Sized> tlog_tiles::HashReader for SourceReader<'_, S> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let mut out = Vec::with_capacity(indexes.len());
        let mut cached: Option<((u8, u64), Vec<u8>)> = None;
        for &index in indexes {
            let tile = tlog_tiles::Tile::from_index(TILE_HEIGHT, index);
            let key = (tile.level(), tile.level_index());
            let fresh = match &cached {
                Some((k, _)) if *k == key => None,
                _ => {
                    let data = self
                        .edge
                        .and_then(|e| e.partial_tile(key.0, key.1))
                        .map(|hs| Ok(Some(hs.to_vec())))
                        .unwrap_or_else(|| self.source.tile(key.0, key.1))
                        .map_err(|e| tlog_tiles::Error::InvalidInput(e.to_string()))?
                        .ok_or_else(|| {
                            tlog_tiles::Error::InvalidInput(format!(
                                "hash tile {} is not stored",
                                tile_path(key.0, key.1, 0)
                            ))
                        })?;
                    Some(data)
                }
            };
            if let Some(data) = fresh {
                cached = Some((key, data));
            }
            let data = &cached.as_ref().expect("tile cached above").1;
            out.push(tile.hash_at_index(data, index)?);
        }
        Ok(out)
    }
}

/// Computes an RFC 6962 inclusion proof for entry `index` in the tree of `size` entries.
pub fn prove_inclusion<S: TileSource + ?Sized>(
    source: &S,
    edge: Option<&Edge>,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, LogError> {
    if index >= size {
        return Err(LogError::OutOfRange(format!(
            "index {index} is not in a tree of size {size}"
        )));
    }
    tlog_tiles::prove_record(size, index, &SourceReader { source, edge }).map_err(map_tlog)
}

/// Computes an RFC 6962 consistency proof from the tree of `old` entries to the tree of `new`.
pub fn prove_consistency<S: TileSource + ?Sized>(
    source: &S,
    edge: Option<&Edge>,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, LogError> {
    if old > new {
        return Err(LogError::OutOfRange(format!(
            "old size {old} is larger than new size {new}"
        )));
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    tlog_tiles::prove_tree(new, old, &SourceReader { source, edge }).map_err(map_tlog)
}

/// Computes the root hash of the tree of `size` entries from stored tiles.
pub fn tree_root<S: TileSource + ?Sized>(
    source: &S,
    edge: Option<&Edge>,
    size: u64,
) -> Result<Hash, LogError> {
    tlog_tiles::tree_hash(size, &SourceReader { source, edge }).map_err(map_tlog)
}

/// The RFC 6962 Merkle tree hash of `leaves` (each leaf hashed as an entry).
pub fn merkle_root<'a>(leaves: impl IntoIterator<Item = &'a [u8]>) -> Hash {
    let hashes: Vec<Hash> = leaves.into_iter().map(record_hash).collect();
    fn mth(h: &[Hash]) -> Hash {
        match h.len() {
            0 => EMPTY_HASH,
            1 => h[0],
            n => {
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                node_hash(mth(&h[..k]), mth(&h[k..]))
            }
        }
    }
    mth(&hashes)
}

/// Checks an inclusion proof: entry `entry` is at `index` in the tree of `size` with root `root`.
pub fn verify_inclusion(
    proof: &[Hash],
    size: u64,
    root: Hash,
    index: u64,
    entry: &[u8],
) -> Result<(), LogError> {
    if index >= size {
        return Err(LogError::BadProof(format!(
            "index {index} is not in a tree of size {size}"
        )));
    }
    tlog_tiles::check_record(&proof.to_vec(), size, root, index, record_hash(entry)).map_err(|_| {
        LogError::BadProof(format!(
            "the inclusion proof for index {index} does not lead to the root of the tree of size {size}"
        ))
    })
}

/// Checks a consistency proof between two tree heads.
pub fn verify_consistency(
    proof: &[Hash],
    old_size: u64,
    old_root: Hash,
    new_size: u64,
    new_root: Hash,
) -> Result<(), LogError> {
    if old_size > new_size {
        return Err(LogError::BadProof(format!(
            "old size {old_size} is larger than new size {new_size}"
        )));
    }
    if old_size == new_size {
        return if proof.is_empty() && old_root == new_root {
            Ok(())
        } else {
            Err(LogError::BadProof(format!(
                "two different roots for the same size {old_size}: the log forked"
            )))
        };
    }
    if old_size == 0 {
        return if proof.is_empty() && old_root == EMPTY_HASH {
            Ok(())
        } else {
            Err(LogError::BadProof(
                "a tree of size 0 must have the empty root and an empty proof".into(),
            ))
        };
    }
    tlog_tiles::check_tree(&proof.to_vec(), new_size, new_root, old_size, old_root).map_err(|_| {
        LogError::BadProof(format!(
            "the tree of size {new_size} is not consistent with the tree of size {old_size}"
        ))
    })
}

pub(crate) fn map_tlog(e: tlog_tiles::Error) -> LogError {
    match e {
        tlog_tiles::Error::InvalidInput(s) => LogError::Storage(s),
        tlog_tiles::Error::IndexesNotInTree => LogError::OutOfRange("index not in tree".into()),
        other => LogError::BadTile(other.to_string()),
    }
}
