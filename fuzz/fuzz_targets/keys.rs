//! Fixed keys shared by the targets and the seed generator: the fuzz log's key and a witness's
//! cosigning key, derived from public seeds (never for real use).

#![allow(dead_code)]

/// The fuzz log's origin (and its key's name).
pub const ORIGIN: &str = "fuzz.example/log";
/// The witness's key name.
pub const WITNESS: &str = "fuzz.example/witness";

/// The log's key pair (signer and verifier texts).
pub fn log_key() -> truce_log::KeyPair {
    truce_log::key_from_seed(ORIGIN, [7u8; 32]).expect("a valid key name")
}

/// The witness's cosigner.
pub fn cosigner() -> truce_log::cosignature::Cosigner {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    truce_log::cosignature::Cosigner::new(WITNESS, sk).expect("a valid key name")
}

/// The RFC 6962 root of the tree whose leaves are `leaf<i>` for `i` in `lo..hi` (as seeds.py).
pub fn root(lo: u64, hi: u64) -> truce_log::Hash {
    if hi - lo == 1 {
        return truce_log::record_hash(format!("leaf{lo}").as_bytes());
    }
    let mut k = 1;
    while k * 2 < hi - lo {
        k *= 2;
    }
    truce_log::node_hash(root(lo, lo + k), root(lo + k, hi))
}

/// The signed checkpoint of the tree of `size` leaves `leaf<i>` (`size` > 0).
pub fn checkpoint(size: u64) -> truce_log::SignedCheckpoint {
    let signer = truce_log::parse_signer(&log_key().signer).expect("the fixed signer parses");
    truce_log::sign_checkpoint(&signer, ORIGIN, size, root(0, size)).expect("signs")
}
