//! The right edge of a tiled Merkle tree: the partial hash tile at each level and the partial entry
//! bundle. Appending entries to it yields exactly the tiles and bundles to store, and its root is
//! the RFC 6962 tree hash. This is all the sequencer needs in memory to extend a log of any size.

use crate::tiles::{decode_bundle, encode_bundle_into, TILE_WIDTH};
use crate::{node_hash, record_hash, Hash, LogError, EMPTY_HASH, HASH_SIZE};
use tlog_tiles::Tile;

const FULL_TILE_BYTES: usize = TILE_WIDTH as usize * HASH_SIZE;

/// One hash tile to store: `data` holds `width` hashes of 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileHashes {
    /// Tile level (level `l` hashes cover 256^l entries each).
    pub level: u8,
    /// Tile index within the level.
    pub n: u64,
    /// Concatenated hashes; 8,192 bytes for a full tile, fewer for a partial one.
    pub data: Vec<u8>,
}

impl TileHashes {
    /// Number of hashes in the tile.
    pub fn width(&self) -> u16 {
        (self.data.len() / HASH_SIZE) as u16
    }
}

/// What one append wrote: hash tiles and entry bundles (full ones, then the new partial ones).
/// Storing all of it together with the new checkpoint is one atomic commit.
#[derive(Debug, Default, Clone)]
pub struct EdgeUpdate {
    /// Hash tiles completed or changed, in the order they were produced.
    pub tiles: Vec<TileHashes>,
    /// Entry bundles completed or changed: `(index, bundle bytes)`.
    pub bundles: Vec<(u64, Vec<u8>)>,
}

/// The right edge of the tree (see the module docs). Cheap to clone: at most 255 hashes per level
/// and one partial bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    size: u64,
    /// `levels[l]`: hashes of the partial tile at level `l` (fewer than 256).
    levels: Vec<Vec<u8>>,
    /// Entries of the partial bundle, encoded.
    bundle: Vec<u8>,
}

impl Default for Edge {
    fn default() -> Self {
        Self::empty()
    }
}

impl Edge {
    /// The edge of the empty tree.
    pub fn empty() -> Self {
        Edge {
            size: 0,
            levels: Vec::new(),
            bundle: Vec::new(),
        }
    }

    /// Rebuilds the edge of a tree of `size` entries from its stored partial tiles (`partials[l]`
    /// is the partial tile at level `l`, empty where that level has none) and its partial bundle.
    /// Fails, naming the level, if a width does not match `size`.
    pub fn from_parts(
        size: u64,
        partials: Vec<Vec<u8>>,
        bundle: Vec<u8>,
    ) -> Result<Self, LogError> {
        let mut levels = partials;
        let needed = levels_for(size);
        if levels.len() > needed {
            if levels[needed..].iter().any(|l| !l.is_empty()) {
                return Err(LogError::BadTile(format!(
                    "a tree of size {size} has no tiles at level {needed} or above"
                )));
            }
            levels.truncate(needed);
        }
        levels.resize(needed, Vec::new());
        for (l, data) in levels.iter().enumerate() {
            let want = ((size >> (8 * l)) % TILE_WIDTH) as usize * HASH_SIZE;
            if data.len() != want {
                return Err(LogError::BadTile(format!(
                    "partial tile at level {l} holds {} bytes; a tree of size {size} needs {want}",
                    data.len()
                )));
            }
        }
        let in_bundle = decode_bundle(&bundle)?.len() as u64;
        if in_bundle != size % TILE_WIDTH {
            return Err(LogError::BadBundle(format!(
                "partial entry bundle holds {in_bundle} entries; a tree of size {size} needs {}",
                size % TILE_WIDTH
            )));
        }
        Ok(Edge {
            size,
            levels,
            bundle,
        })
    }

    /// Number of entries in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The partial entry bundle (entries `size - size % 256 .. size`), encoded.
    pub fn partial_bundle(&self) -> &[u8] {
        &self.bundle
    }

    /// The partial hash tile `(level, n)` if it is the one this edge holds.
    pub fn partial_tile(&self, level: u8, n: u64) -> Option<&[u8]> {
        let data = self.levels.get(usize::from(level))?;
        let current = self
            .size
            .checked_shr(8 * (u32::from(level) + 1))
            .unwrap_or(0);
        (!data.is_empty() && n == current).then_some(data.as_slice())
    }

    /// The RFC 6962 root hash of the tree.
    pub fn root(&self) -> Hash {
        let mut subtrees = Vec::new();
        for data in self.levels.iter().rev() {
            let width = data.len() / HASH_SIZE;
            let mut start = 0usize;
            for bit in (0..8).rev() {
                let span = 1usize << bit;
                if width & span != 0 {
                    subtrees.push(Tile::subtree_hash(
                        &data[start * HASH_SIZE..(start + span) * HASH_SIZE],
                    ));
                    start += span;
                }
            }
        }
        let mut it = subtrees.into_iter().rev();
        match it.next() {
            None => EMPTY_HASH,
            Some(last) => it.fold(last, |right, left| node_hash(left, right)),
        }
    }

    /// Appends entries, returning the tiles and bundles to store. On error (an entry too large)
    /// the edge is unchanged.
    pub fn append<'a, I>(&mut self, entries: I) -> Result<EdgeUpdate, LogError>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let mut next = self.clone();
        let mut update = EdgeUpdate::default();
        let mut dirty = Vec::<bool>::new();
        let mut bundle_dirty = false;
        for entry in entries {
            encode_bundle_into(&mut next.bundle, entry)?;
            bundle_dirty = true;
            next.push_hash(0, record_hash(entry), &mut update, &mut dirty);
            next.size += 1;
            if next.size.is_multiple_of(TILE_WIDTH) {
                update
                    .bundles
                    .push((next.size / TILE_WIDTH - 1, std::mem::take(&mut next.bundle)));
                bundle_dirty = false;
            }
        }
        for (l, d) in dirty.iter().enumerate() {
            if *d && !next.levels[l].is_empty() {
                update.tiles.push(TileHashes {
                    level: l as u8,
                    n: next.size >> (8 * (l + 1)),
                    data: next.levels[l].clone(),
                });
            }
        }
        if bundle_dirty && !next.bundle.is_empty() {
            update
                .bundles
                .push((next.size / TILE_WIDTH, next.bundle.clone()));
        }
        *self = next;
        Ok(update)
    }

    /// Pushes the hash of the next subtree at `level`; `self.size` is the entry count before the
    /// entry being appended.
    fn push_hash(&mut self, level: usize, h: Hash, update: &mut EdgeUpdate, dirty: &mut Vec<bool>) {
        if self.levels.len() <= level {
            self.levels.resize(level + 1, Vec::new());
        }
        if dirty.len() <= level {
            dirty.resize(level + 1, false);
        }
        dirty[level] = true;
        self.levels[level].extend_from_slice(&h.0);
        if self.levels[level].len() == FULL_TILE_BYTES {
            let data =
                std::mem::replace(&mut self.levels[level], Vec::with_capacity(FULL_TILE_BYTES));
            let parent = Tile::subtree_hash(&data);
            // Index of the subtree just completed at this level, then of its tile.
            let n = ((self.size + 1) >> (8 * (level + 1))) - 1;
            update.tiles.push(TileHashes {
                level: level as u8,
                n,
                data,
            });
            self.push_hash(level + 1, parent, update, dirty);
        }
    }
}

/// Number of tile levels a tree of `size` entries has.
fn levels_for(size: u64) -> usize {
    let mut l = 0;
    while l < 8 && (size >> (8 * l)) > 0 {
        l += 1;
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Root by the RFC 6962 definition, for cross-checking.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_HASH,
            1 => leaves[0],
            n => {
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                node_hash(mth(&leaves[..k]), mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn root_matches_rfc6962_definition_for_every_size_up_to_1100() {
        let mut edge = Edge::empty();
        let mut leaves = Vec::new();
        assert_eq!(edge.root(), EMPTY_HASH);
        for i in 0..1100u32 {
            let e = i.to_be_bytes();
            edge.append([&e[..]]).unwrap();
            leaves.push(record_hash(&e));
            assert_eq!(edge.root(), mth(&leaves), "size {}", i + 1);
        }
    }

    #[test]
    fn batches_produce_the_same_tiles_as_single_appends() {
        let entries: Vec<Vec<u8>> = (0..70_000u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let mut one = Edge::empty();
        let mut last_one = std::collections::BTreeMap::new();
        for e in &entries {
            for t in one.append([e.as_slice()]).unwrap().tiles {
                last_one.insert((t.level, t.n), t.data);
            }
        }
        let mut many = Edge::empty();
        let mut last_many = std::collections::BTreeMap::new();
        for chunk in entries.chunks(1000) {
            for t in many.append(chunk.iter().map(Vec::as_slice)).unwrap().tiles {
                last_many.insert((t.level, t.n), t.data);
            }
        }
        assert_eq!(one, many);
        assert_eq!(last_one, last_many);
        // 70,000 entries: 273 full level-0 tiles + 1 partial, 1 partial at level 1 and at level 2.
        assert_eq!(last_one.keys().filter(|(l, _)| *l == 0).count(), 274);
        assert_eq!(last_one[&(1, 0)].len(), 256 * 32);
        assert_eq!(last_one[&(1, 1)].len(), 17 * 32);
        assert_eq!(last_one[&(2, 0)].len(), 32);
    }

    #[test]
    fn from_parts_round_trips_and_rejects_wrong_widths() {
        let mut edge = Edge::empty();
        let entries: Vec<Vec<u8>> = (0..66_000u32).map(|i| i.to_le_bytes().to_vec()).collect();
        edge.append(entries.iter().map(Vec::as_slice)).unwrap();
        let rebuilt =
            Edge::from_parts(edge.size, edge.levels.clone(), edge.bundle.clone()).unwrap();
        assert_eq!(rebuilt, edge);
        let mut wrong = edge.levels.clone();
        wrong[0].truncate(32);
        let err = match Edge::from_parts(edge.size, wrong, edge.bundle.clone()) {
            Err(e) => e,
            Ok(_) => panic!("a wrong width was accepted"),
        };
        assert!(err.to_string().contains("level 0"), "{err}");
        assert!(Edge::from_parts(edge.size + 1, edge.levels.clone(), edge.bundle.clone()).is_err());
    }

    #[test]
    fn oversized_entry_leaves_the_edge_unchanged() {
        let mut edge = Edge::empty();
        edge.append([&b"ok"[..]]).unwrap();
        let before = edge.clone();
        let big = vec![0u8; 70_000];
        assert!(matches!(
            edge.append([&b"a"[..], big.as_slice()]),
            Err(LogError::EntryTooLarge { len: 70_000 })
        ));
        assert_eq!(edge, before);
    }
}
