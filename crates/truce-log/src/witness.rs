//! The C2SP tlog-witness `add-checkpoint` wire format: the request a log sends a witness (`old
//! <size>`, up to 63 consistency-proof lines, a blank line, the signed checkpoint) and the response
//! (one or more cosignature lines). Pure encoding and strict parsing; the HTTP exchange and the
//! witness's state live in `truce-witness` and the log server.

use crate::cosignature::{parse_signature_line, SIGNATURE_PREFIX};
use crate::Hash;

/// At most this many consistency-proof lines in a request (tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

/// The media type of a 409 answer's body: the witness's recorded tree size and a newline.
pub const TLOG_SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Why an `add-checkpoint` request or response is malformed. Malformed requests are answered 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessFormatError {
    /// The request body does not follow the format; `line` is 1-based.
    #[error("add-checkpoint request line {line}: {why}")]
    Request {
        /// The offending line.
        line: usize,
        /// What is wrong and what was expected.
        why: String,
    },
    /// A witness's answer is not a sequence of signature lines.
    #[error("witness response: {0}")]
    Response(String),
}

/// An `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpoint {
    /// The tree size of the previous checkpoint the client believes the witness holds.
    pub old: u64,
    /// RFC 6962 consistency proof from `old` to the checkpoint's size (empty when `old` is 0).
    pub proof: Vec<Hash>,
    /// The signed checkpoint note (may carry several signatures).
    pub checkpoint: Vec<u8>,
}

impl AddCheckpoint {
    /// Encodes the request body.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = format!("old {}\n", self.old);
        for h in &self.proof {
            s.push_str(&format!("{h}\n"));
        }
        s.push('\n');
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.checkpoint);
        out
    }

    /// Parses a request body strictly: `old` without leading zeros, standard base64 hashes, at
    /// most 63 of them, a blank line, then a non-empty checkpoint. (A non-empty proof for old
    /// size 0 parses: it is a proof that does not verify, which the witness answers 422.)
    pub fn parse(body: &[u8]) -> Result<Self, WitnessFormatError> {
        let bad = |line: usize, why: &str| WitnessFormatError::Request {
            line,
            why: why.to_string(),
        };
        let text = std::str::from_utf8(body).map_err(|_| bad(1, "the body is not UTF-8"))?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad(1, "no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let first = lines.next().unwrap_or_default();
        let old = first
            .strip_prefix("old ")
            .ok_or_else(|| bad(1, "expected `old <size>`"))?;
        let old_size: u64 = old
            .parse()
            .ok()
            .filter(|n: &u64| n.to_string() == old)
            .ok_or_else(|| {
                bad(
                    1,
                    "the old size must be a decimal number without leading zeros",
                )
            })?;
        let mut proof = Vec::new();
        for (i, l) in lines.enumerate() {
            let n = i + 2;
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad(n, "more than 63 consistency-proof lines"));
            }
            let h = Hash::parse_hash(l)
                .ok()
                .filter(|h| h.to_string() == l)
                .ok_or_else(|| bad(n, "not a base64 SHA-256 hash"))?;
            proof.push(h);
        }
        if checkpoint.is_empty() {
            return Err(bad(
                head.split('\n').count() + 2,
                "the checkpoint is missing",
            ));
        }
        Ok(AddCheckpoint {
            old: old_size,
            proof,
            checkpoint: checkpoint.as_bytes().to_vec(),
        })
    }
}

/// Splits a 200 answer into its signature lines (without newlines), checking each is a well-formed
/// signed-note signature line. Whether they verify is the caller's business (unknown keys are
/// ignored per the spec).
pub fn parse_cosignature_lines(body: &[u8]) -> Result<Vec<String>, WitnessFormatError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| WitnessFormatError::Response("the body is not UTF-8".into()))?;
    if text.is_empty() || !text.ends_with('\n') {
        return Err(WitnessFormatError::Response(
            "expected one or more signature lines, each ending in a newline".into(),
        ));
    }
    text.trim_end_matches('\n')
        .split('\n')
        .map(|l| {
            if !l.starts_with(SIGNATURE_PREFIX) {
                return Err(WitnessFormatError::Response(format!(
                    "{l:?} is not a signature line (it must start with \"— \")"
                )));
            }
            parse_signature_line(l)
                .map(|_| l.to_string())
                .map_err(|e| WitnessFormatError::Response(e.to_string()))
        })
        .collect()
}

/// Parses a 409 answer's body (`<size>\n`).
pub fn parse_tlog_size(body: &[u8]) -> Option<u64> {
    let t = std::str::from_utf8(body).ok()?;
    let n = t.strip_suffix('\n')?;
    n.parse().ok().filter(|v: &u64| v.to_string() == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: u8) -> Hash {
        Hash([b; 32])
    }

    #[test]
    fn round_trip() {
        let r = AddCheckpoint {
            old: 20852014,
            proof: vec![h(1), h(2)],
            checkpoint: b"example.com/log\n5\nAAAA\n\n\xe2\x80\x94 x y\n".to_vec(),
        };
        assert_eq!(AddCheckpoint::parse(&r.encode()).unwrap(), r);
        let z = AddCheckpoint {
            old: 0,
            proof: vec![],
            checkpoint: b"o\n0\nx\n\n".to_vec(),
        };
        assert_eq!(AddCheckpoint::parse(&z.encode()).unwrap(), z);
    }

    #[test]
    fn refuses_malformed() {
        let cases: &[&[u8]] = &[
            b"",
            b"old 01\n\ncp\n",
            b"old -1\n\ncp\n",
            b"new 1\n\ncp\n",
            b"old 1\nnot-a-hash\n\ncp\n",
            b"old 1\n\n",
            b"old 1\ncp\n",
            b"\xff\n\ncp",
        ];
        for c in cases {
            assert!(
                AddCheckpoint::parse(c).is_err(),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
        let mut many = String::from("old 5\n");
        for _ in 0..64 {
            many.push_str(&format!("{}\n", h(3)));
        }
        many.push_str("\ncp\n");
        let e = AddCheckpoint::parse(many.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("more than 63"), "{e}");
    }

    #[test]
    fn sizes_and_lines() {
        assert_eq!(parse_tlog_size(b"42\n"), Some(42));
        assert_eq!(parse_tlog_size(b"042\n"), None);
        assert_eq!(parse_tlog_size(b"42"), None);
        assert!(parse_cosignature_lines(b"").is_err());
        assert!(parse_cosignature_lines(b"hello\n").is_err());
    }
}
