//! C2SP tlog-proof files (`c2sp.org/tlog-proof@v1`): an entry's index, its inclusion proof and the
//! (co)signed checkpoint it is proved against, verifiable offline with nothing but the log's key.

use crate::{open_checkpoint, verify_inclusion, Hash, LogError, SignedCheckpoint};
use base64::prelude::*;
use signed_note::StandardVerifier;

const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A parsed tlog-proof.
#[derive(Debug, Clone, PartialEq)]
pub struct TlogProof {
    /// Optional application data (`extra` line).
    pub extra: Option<Vec<u8>>,
    /// Index of the entry in the log.
    pub index: u64,
    /// RFC 6962 inclusion proof hashes, leaf to root.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint note the proof leads to.
    pub checkpoint: Vec<u8>,
}

impl TlogProof {
    /// Encodes the proof in the tlog-proof text format.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            s.push_str(&format!("extra {}\n", BASE64_STANDARD.encode(extra)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.hashes {
            s.push_str(&format!("{h}\n"));
        }
        s.push('\n');
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.checkpoint);
        out
    }

    /// Parses a tlog-proof file, strictly, naming the line that is wrong.
    pub fn parse(data: &[u8]) -> Result<Self, LogError> {
        let bad = |line: usize, why: &str| LogError::BadProof(format!("line {line}: {why}"));
        let text = std::str::from_utf8(data).map_err(|_| bad(1, "the proof is not UTF-8 text"))?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad(1, "no blank line separating the proof from its checkpoint"))?;
        let mut lines = head.split('\n').enumerate().map(|(i, l)| (i + 1, l));
        match lines.next() {
            Some((_, l)) if l == HEADER => {}
            _ => return Err(bad(1, "the first line must be c2sp.org/tlog-proof@v1")),
        }
        let mut extra = None;
        let (mut n, mut line) = lines.next().ok_or_else(|| bad(2, "missing index line"))?;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(
                BASE64_STANDARD
                    .decode(b64)
                    .map_err(|_| bad(n, "extra is not base64"))?,
            );
            (n, line) = lines
                .next()
                .ok_or_else(|| bad(n + 1, "missing index line"))?;
        }
        let idx = line
            .strip_prefix("index ")
            .ok_or_else(|| bad(n, "expected `index <N>`"))?;
        let index: u64 = idx
            .parse()
            .ok()
            .filter(|i: &u64| i.to_string() == idx)
            .ok_or_else(|| bad(n, "index must be a decimal number without leading zeros"))?;
        let mut hashes = Vec::new();
        for (n, l) in lines {
            let h = Hash::parse_hash(l).map_err(|_| bad(n, "not a base64 SHA-256 hash"))?;
            if h.to_string() != l {
                return Err(bad(n, "not a base64 SHA-256 hash"));
            }
            hashes.push(h);
        }
        if hashes.len() > 63 {
            return Err(bad(3, "more than 63 proof hashes"));
        }
        Ok(TlogProof {
            extra,
            index,
            hashes,
            checkpoint: checkpoint.as_bytes().to_vec(),
        })
    }

    /// Verifies the proof for `entry` under the log key: the checkpoint's signature, then the
    /// inclusion of `entry` at `index` in the checkpointed tree. Returns the checkpoint.
    pub fn verify(
        &self,
        entry: &[u8],
        log_key: &StandardVerifier,
    ) -> Result<SignedCheckpoint, LogError> {
        let cp = open_checkpoint(&self.checkpoint, log_key)?;
        verify_inclusion(&self.hashes, cp.size, cp.root, self.index, entry)?;
        Ok(cp)
    }
}
