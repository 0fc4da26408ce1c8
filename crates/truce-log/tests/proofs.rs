//! Property and exhaustive tests: inclusion and consistency proofs over our tiles verify for every
//! (index, size) and every pair of sizes, and tampering with a proof, root or entry is caught.

use proptest::prelude::*;
use std::collections::HashMap;
use truce_log::*;

/// Tiles held in memory, as a storage backend would hold them (widest version of each tile).
#[derive(Default)]
struct Mem {
    tiles: HashMap<(u8, u64), Vec<u8>>,
}

impl TileSource for Mem {
    fn tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, LogError> {
        Ok(self.tiles.get(&(level, n)).cloned())
    }
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

/// Builds a log of `n` entries in batches of `batch`, recording the root at every size.
fn build(n: u64, batch: usize) -> (Mem, Edge, Vec<Hash>) {
    let mut mem = Mem::default();
    let mut edge = Edge::empty();
    let mut roots = vec![edge.root()];
    let all: Vec<Vec<u8>> = (0..n).map(entry).collect();
    for chunk in all.chunks(batch.max(1)) {
        for e in chunk {
            let up = edge.append([e.as_slice()]).unwrap();
            for t in up.tiles {
                mem.tiles.insert((t.level, t.n), t.data);
            }
            roots.push(edge.root());
        }
    }
    (mem, edge, roots)
}

#[test]
fn every_inclusion_and_consistency_proof_verifies_up_to_600() {
    let (mem, _edge, roots) = build(600, 7);
    for size in 1..=600u64 {
        for index in 0..size {
            let p = prove_inclusion(&mem, None, index, size).unwrap();
            verify_inclusion(&p, size, roots[size as usize], index, &entry(index))
                .unwrap_or_else(|e| panic!("index {index} size {size}: {e}"));
        }
        for old in 0..=size {
            let p = prove_consistency(&mem, None, old, size).unwrap();
            verify_consistency(&p, old, roots[old as usize], size, roots[size as usize])
                .unwrap_or_else(|e| panic!("{old} -> {size}: {e}"));
        }
        assert_eq!(tree_root(&mem, None, size).unwrap(), roots[size as usize]);
    }
}

fn big() -> &'static (Mem, Edge, Vec<Hash>) {
    static BIG: std::sync::OnceLock<(Mem, Edge, Vec<Hash>)> = std::sync::OnceLock::new();
    BIG.get_or_init(|| build(70_000, 1000))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn inclusion_proofs_verify_and_tampering_fails(size in 1u64..70_000, frac in 0.0f64..1.0, flip in 0usize..64, bit in 0u8..8) {
        let (mem, edge, roots) = big();
        let index = ((size as f64) * frac) as u64 % size;
        let root = roots[size as usize];
        let p = prove_inclusion(mem, Some(edge), index, size).unwrap();
        prop_assert!(verify_inclusion(&p, size, root, index, &entry(index)).is_ok());
        // A wrong entry, a wrong index, a wrong root, a flipped proof bit: each fails.
        prop_assert!(verify_inclusion(&p, size, root, index, &entry(index + 1)).is_err());
        if size > 1 {
            prop_assert!(verify_inclusion(&p, size, root, (index + 1) % size, &entry(index)).is_err());
        }
        let mut bad_root = root;
        bad_root.0[flip % 32] ^= 1 << bit;
        prop_assert!(verify_inclusion(&p, size, bad_root, index, &entry(index)).is_err());
        if !p.is_empty() {
            let mut q = p.clone();
            let k = flip % q.len();
            q[k].0[flip % 32] ^= 1 << bit;
            prop_assert!(verify_inclusion(&q, size, root, index, &entry(index)).is_err());
            q = p.clone();
            q.pop();
            prop_assert!(verify_inclusion(&q, size, root, index, &entry(index)).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_tampering_fails(a in 1u64..70_000, b in 1u64..70_000, flip in 0usize..64) {
        let (mem, edge, roots) = big();
        let (old, new) = if a <= b { (a, b) } else { (b, a) };
        let p = prove_consistency(mem, Some(edge), old, new).unwrap();
        let (ro, rn) = (roots[old as usize], roots[new as usize]);
        prop_assert!(verify_consistency(&p, old, ro, new, rn).is_ok());
        if old < new {
            let mut q = p.clone();
            if !q.is_empty() {
                let k = flip % q.len();
                q[k].0[flip % 32] ^= 0x80;
                prop_assert!(verify_consistency(&q, old, ro, new, rn).is_err());
            }
            prop_assert!(verify_consistency(&p, old, roots[old as usize - 1], new, rn).is_err());
            prop_assert!(verify_consistency(&p, old, ro, new, roots[new as usize - 1]).is_err());
        }
    }
}

#[test]
fn proofs_for_old_sizes_use_prefixes_of_wider_partial_tiles() {
    // A tree grown past an old size still proves the old tree's entries against the old root.
    let (mem, edge, roots) = big();
    for (index, size) in [
        (0u64, 1u64),
        (255, 256),
        (256, 257),
        (300, 513),
        (65_535, 65_536),
        (65_536, 65_537),
    ] {
        let p = prove_inclusion(mem, Some(edge), index, size).unwrap();
        verify_inclusion(&p, size, roots[size as usize], index, &entry(index)).unwrap();
    }
    assert!(prove_inclusion(mem, Some(edge), 70_000, 70_000).is_err());
}

/// RFC 9162 §2.1.3.2 inclusion verification, written from the RFC independently of `tlog_tiles`.
fn rfc9162_inclusion(index: u64, size: u64, leaf: Hash, proof: &[Hash], root: Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn, mut r) = (index, size - 1, leaf);
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(*p, r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(r, *p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == root
}

/// RFC 9162 §2.1.4.2 consistency verification, written from the RFC independently.
fn rfc9162_consistency(first: u64, second: u64, r1: Hash, r2: Hash, proof: &[Hash]) -> bool {
    if first == second {
        return proof.is_empty() && r1 == r2;
    }
    if first == 0 || first > second || proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if first.is_power_of_two() {
        path.insert(0, r1);
    }
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(*c, fr);
            sr = node_hash(*c, sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(sr, *c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == r1 && sr == r2 && sn == 0
}

#[test]
fn our_proofs_verify_with_an_independent_rfc9162_verifier() {
    let (mem, edge, roots) = big();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..2000 {
        let size = 1 + next() % 70_000;
        let index = next() % size;
        let p = prove_inclusion(mem, Some(edge), index, size).unwrap();
        let leaf = record_hash(&entry(index));
        assert!(
            rfc9162_inclusion(index, size, leaf, &p, roots[size as usize]),
            "{index}/{size}"
        );
        assert!(!rfc9162_inclusion(
            index,
            size,
            leaf,
            &p,
            roots[size as usize - 1]
        ));
        let old = 1 + next() % size;
        let c = prove_consistency(mem, Some(edge), old, size).unwrap();
        assert!(
            rfc9162_consistency(old, size, roots[old as usize], roots[size as usize], &c),
            "{old}->{size}"
        );
        if old < size {
            assert!(!rfc9162_consistency(
                old,
                size,
                roots[old as usize - 1],
                roots[size as usize],
                &c
            ));
        }
    }
}
