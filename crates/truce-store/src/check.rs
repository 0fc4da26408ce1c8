//! The full self-check: recompute the whole tree from the stored entries and compare every stored
//! hash tile and every signed checkpoint with the recomputation, naming the first entry index,
//! tile or checkpoint that disagrees. Streams bundle by bundle: memory does not grow with the log.

use crate::{LogStorage, StoreError};
use truce_log::{
    decode_bundle, entries_path, open_checkpoint, parse_verifier, tile_path, Edge, TileHashes,
    TILE_WIDTH,
};

/// What a passing check covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Entries recomputed (the tree size).
    pub entries: u64,
    /// Hash tiles compared.
    pub tiles: u64,
    /// Signed checkpoints verified against the recomputed roots.
    pub checkpoints: u64,
    /// The recomputed root (base64).
    pub root: String,
}

/// The first disagreement found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckFailure {
    /// A stored level-0 hash is not the hash of the stored entry.
    #[error("entry {index}: its stored hash in {tile} is not the hash of the stored entry")]
    EntryHash {
        /// The entry index.
        index: u64,
        /// The hash tile path.
        tile: String,
    },
    /// A stored tile disagrees with the recomputation or is missing.
    #[error("tile {tile}: {why}")]
    Tile {
        /// The tile path.
        tile: String,
        /// What is wrong.
        why: String,
    },
    /// An entry bundle is missing or malformed.
    #[error("entry bundle {bundle}: {why}")]
    Bundle {
        /// The bundle path.
        bundle: String,
        /// What is wrong.
        why: String,
    },
    /// A checkpoint's signature fails or its root differs from the recomputed root.
    #[error("checkpoint of size {size}: {why}")]
    Checkpoint {
        /// The checkpoint's size.
        size: u64,
        /// What is wrong.
        why: String,
    },
    /// Storage itself failed.
    #[error("storage: {0}")]
    Storage(String),
}

impl From<StoreError> for CheckFailure {
    fn from(e: StoreError) -> Self {
        CheckFailure::Storage(e.to_string())
    }
}

fn compare_tile<S: LogStorage + ?Sized>(storage: &S, t: &TileHashes) -> Result<(), CheckFailure> {
    let path = tile_path(t.level, t.n, t.width());
    let stored = storage
        .read_tile(t.level, t.n)?
        .ok_or_else(|| CheckFailure::Tile {
            tile: path.clone(),
            why: "missing".into(),
        })?;
    if stored.len() != t.data.len() {
        return Err(CheckFailure::Tile {
            tile: path,
            why: format!("holds {} bytes, expected {}", stored.len(), t.data.len()),
        });
    }
    if stored != t.data {
        let first = stored
            .chunks(32)
            .zip(t.data.chunks(32))
            .position(|(a, b)| a != b)
            .unwrap_or(0) as u64;
        if t.level == 0 {
            return Err(CheckFailure::EntryHash {
                index: t.n * TILE_WIDTH + first,
                tile: path,
            });
        }
        return Err(CheckFailure::Tile {
            tile: path,
            why: format!("hash {first} differs from the hash recomputed from the entries below it"),
        });
    }
    Ok(())
}

/// Compares the edge's partial tiles (the right edge of the tree at `edge.size()`) with the first
/// hashes of the stored tiles at the same places: called when a checkpoint's root differs, so an
/// altered entry is named by its index rather than by the checkpoint it changed.
fn compare_edge<S: LogStorage + ?Sized>(storage: &S, edge: &Edge) -> Result<(), CheckFailure> {
    let size = edge.size();
    for level in 0u8..8 {
        if size >> (8 * u32::from(level)) == 0 {
            break;
        }
        let n = size.checked_shr(8 * (u32::from(level) + 1)).unwrap_or(0);
        let Some(data) = edge.partial_tile(level, n) else {
            continue;
        };
        let Some(stored) = storage.read_tile(level, n)? else {
            continue;
        };
        let first = stored
            .chunks(32)
            .zip(data.chunks(32))
            .position(|(a, b)| a != b);
        if let Some(first) = first {
            let path = tile_path(level, n, (stored.len() / 32) as u16);
            if level == 0 {
                return Err(CheckFailure::EntryHash {
                    index: n * TILE_WIDTH + first as u64,
                    tile: path,
                });
            }
            return Err(CheckFailure::Tile {
                tile: path,
                why: format!(
                    "hash {first} differs from the hash recomputed from the entries below it"
                ),
            });
        }
    }
    Ok(())
}

/// Runs the self-check. `progress(done, total)` is called after every bundle.
pub fn check<S: LogStorage + ?Sized>(
    storage: &S,
    mut progress: impl FnMut(u64, u64),
) -> Result<CheckReport, CheckFailure> {
    let meta = storage
        .meta()?
        .ok_or_else(|| CheckFailure::Storage("the log is not initialised".into()))?;
    let verifier = parse_verifier(&meta.vkey).map_err(|e| CheckFailure::Storage(e.to_string()))?;
    let sizes = storage.checkpoint_sizes()?;
    let latest_size = *sizes
        .last()
        .ok_or_else(|| CheckFailure::Storage("the log has no checkpoint".into()))?;
    let mut roots_to_check = sizes.iter().copied().peekable();
    let mut edge = Edge::empty();
    let mut report = CheckReport {
        entries: 0,
        tiles: 0,
        checkpoints: 0,
        root: String::new(),
    };

    let verify_checkpoint =
        |size: u64, edge: &Edge, report: &mut CheckReport| -> Result<(), CheckFailure> {
            let note = storage
                .checkpoint_at(size)?
                .ok_or_else(|| CheckFailure::Checkpoint {
                    size,
                    why: "listed but missing".into(),
                })?;
            let cp = open_checkpoint(&note, &verifier).map_err(|e| CheckFailure::Checkpoint {
                size,
                why: e.to_string(),
            })?;
            if cp.size != size {
                return Err(CheckFailure::Checkpoint {
                    size,
                    why: format!("its note says size {}", cp.size),
                });
            }
            if cp.root != edge.root() {
                // Name the entry or tile that makes the difference, if the stored hashes show it.
                compare_edge(storage, edge)?;
                return Err(CheckFailure::Checkpoint {
                    size,
                    why: "its root differs from the root recomputed from the stored entries".into(),
                });
            }
            report.checkpoints += 1;
            Ok(())
        };

    let bundles = latest_size.div_ceil(TILE_WIDTH);
    for n in 0..bundles {
        let want = (latest_size - n * TILE_WIDTH).min(TILE_WIDTH);
        let path = entries_path(n, if want == TILE_WIDTH { 0 } else { want as u16 });
        let data = storage
            .read_bundle(n)?
            .ok_or_else(|| CheckFailure::Bundle {
                bundle: path.clone(),
                why: "missing".into(),
            })?;
        let entries = decode_bundle(&data).map_err(|e| CheckFailure::Bundle {
            bundle: path.clone(),
            why: e.to_string(),
        })?;
        if entries.len() as u64 != want {
            return Err(CheckFailure::Bundle {
                bundle: path,
                why: format!(
                    "holds {} entries, the checkpoint needs {want}",
                    entries.len()
                ),
            });
        }
        let mut rest = &entries[..];
        while !rest.is_empty() {
            // Stop at the next checkpoint boundary inside this bundle, if any.
            while roots_to_check.peek().is_some_and(|s| *s <= edge.size()) {
                let s = roots_to_check.next().unwrap_or_default();
                if s == edge.size() {
                    verify_checkpoint(s, &edge, &mut report)?;
                }
            }
            let until = roots_to_check.peek().copied().unwrap_or(u64::MAX);
            let take = ((until - edge.size()) as usize).min(rest.len());
            let update =
                edge.append(rest[..take].iter().copied())
                    .map_err(|e| CheckFailure::Bundle {
                        bundle: path.clone(),
                        why: e.to_string(),
                    })?;
            rest = &rest[take..];
            for t in update
                .tiles
                .iter()
                .filter(|t| t.data.len() == 32 * TILE_WIDTH as usize)
            {
                compare_tile(storage, t)?;
                report.tiles += 1;
            }
        }
        report.entries = edge.size();
        progress(edge.size(), latest_size);
    }
    for s in roots_to_check {
        if s == edge.size() {
            verify_checkpoint(s, &edge, &mut report)?;
        } else {
            return Err(CheckFailure::Checkpoint {
                size: s,
                why: "beyond the stored entries".into(),
            });
        }
    }
    // The right edge: partial tiles must be exactly the recomputed ones.
    let mut level = 0u8;
    while level < 8 && (latest_size >> (8 * u32::from(level))) > 0 {
        let n = latest_size
            .checked_shr(8 * (u32::from(level) + 1))
            .unwrap_or(0);
        if let Some(data) = edge.partial_tile(level, n) {
            compare_tile(
                storage,
                &TileHashes {
                    level,
                    n,
                    data: data.to_vec(),
                },
            )?;
            report.tiles += 1;
        }
        level += 1;
    }
    report.root = edge.root().to_string();
    Ok(report)
}
