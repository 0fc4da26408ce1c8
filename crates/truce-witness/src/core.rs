//! The witness's decision for one `add-checkpoint` request, as C2SP tlog-witness specifies it.
//! Pure: no IO but through the [`WitnessStore`] it is handed, no clock (`now` is passed in).
//!
//! The checks, in the spec's order: the body parses (400, naming the line); the origin is a
//! trusted log's (404); a trusted key of that log signed the checkpoint and no signature line
//! addressed to a trusted key fails (403); `old` is not beyond the checkpoint's size (400); `old`
//! is the size the witness last cosigned for the origin, 0 if never (409 with that size); at equal
//! sizes the roots are equal (409); the consistency proof from the recorded root verifies (422).
//! Then the new state is stored by a compare-and-swap on the recorded size (a concurrent request
//! that got there first makes this one a 409), and only then is the cosignature returned.

use crate::store::{WitnessStore, Witnessed};
use crate::WitnessError;
use base64::prelude::*;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use std::collections::BTreeMap;
use truce_log::cosignature::{parse_note, Cosigner};
use truce_log::witness::AddCheckpoint;
use truce_log::{verify_consistency, Hash, EMPTY_HASH};

/// The signed-note signature type of Ed25519 log keys.
const ED25519_TYPE: u8 = 0x01;

/// Why an `add-checkpoint` request was not cosigned. [`status`](AddError::status) is the HTTP
/// status the spec requires; the `Display` text is a one-line explanation for the client.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The body is malformed (400). `line` is the 1-based line of the request body at fault.
    #[error("line {line}: {why}")]
    Malformed {
        /// The offending line of the request body.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// The checkpoint's origin is not a log this witness trusts (404).
    #[error("unknown origin {origin:?}: this witness does not witness that log")]
    UnknownOrigin {
        /// The checkpoint's first line.
        origin: String,
    },
    /// No signature by a trusted key of the origin (403).
    #[error("the checkpoint carries no signature by a trusted key of {origin}")]
    Unsigned {
        /// The checkpoint's origin.
        origin: String,
    },
    /// A signature line addressed to a trusted key does not verify (403).
    #[error("the signature by {key} does not verify")]
    BadSignature {
        /// The key's name and hex key ID.
        key: String,
    },
    /// `old` is larger than the checkpoint's size (400).
    #[error("old size {old} is larger than the checkpoint size {size}")]
    OldTooLarge {
        /// The request's old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// `old` is not the size of the latest checkpoint cosigned for this origin, or the checkpoint
    /// has that size with another root (409). `size` is the recorded size, answered to the client.
    #[error("the witness's latest cosigned checkpoint for this log has size {size}")]
    Conflict {
        /// The size of the latest checkpoint this witness cosigned for the origin (0 if none).
        size: u64,
    },
    /// The consistency proof does not verify (422).
    #[error("{0}")]
    Inconsistent(String),
    /// The witness's state could not be read or written (503): nothing was cosigned.
    #[error("the witness state is unavailable; retry later")]
    Store(#[source] WitnessError),
}

impl AddError {
    /// The HTTP status code the spec requires for this outcome.
    pub fn status(&self) -> u16 {
        match self {
            AddError::Malformed { .. } | AddError::OldTooLarge { .. } => 400,
            AddError::Unsigned { .. } | AddError::BadSignature { .. } => 403,
            AddError::UnknownOrigin { .. } => 404,
            AddError::Conflict { .. } => 409,
            AddError::Inconsistent(_) => 422,
            AddError::Store(_) => 503,
        }
    }
}

/// One Ed25519 key of a trusted log.
#[derive(Debug, Clone)]
struct LogKey {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
    vkey: String,
}

impl LogKey {
    fn label(&self) -> String {
        let id: String = self.id.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}+{id}", self.name)
    }
}

/// A log the witness trusts: its origin and the verifier keys (signed-note Ed25519 vkeys, named
/// after the origin) any of which may sign its checkpoints.
#[derive(Debug, Clone)]
pub struct TrustedLog {
    origin: String,
    keys: Vec<LogKey>,
}

impl TrustedLog {
    /// A trusted log. Each key must be a signed-note Ed25519 verifier key
    /// (`<name>+<hex id>+<base64>`) whose name is `origin`; duplicates are dropped. The error says
    /// which key is wrong (its 0-based index; `None` for the origin or an empty list) and why.
    pub fn new(origin: &str, vkeys: &[String]) -> Result<Self, (Option<usize>, String)> {
        truce_log::validate_origin(origin).map_err(|e| (None, e.to_string()))?;
        if vkeys.is_empty() {
            return Err((None, "no keys: list the log's verifier key(s)".into()));
        }
        let mut keys: Vec<LogKey> = Vec::new();
        for (i, text) in vkeys.iter().enumerate() {
            let k = parse_log_key(text).map_err(|e| (Some(i), e))?;
            if k.name != origin {
                return Err((
                    Some(i),
                    format!(
                        "the key is named {:?} but the origin is {origin:?}; a log key's name is its origin",
                        k.name
                    ),
                ));
            }
            if !keys.iter().any(|o| o.vkey == k.vkey) {
                keys.push(k);
            }
        }
        Ok(TrustedLog {
            origin: origin.to_string(),
            keys,
        })
    }

    /// The origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The verifier key texts.
    pub fn vkeys(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.vkey.clone()).collect()
    }
}

fn parse_log_key(text: &str) -> Result<LogKey, String> {
    let text = text.trim();
    // Checks the shape, the name and that the key ID matches the name and key.
    truce_log::parse_verifier(text).map_err(|e| e.to_string())?;
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected <name>+<hex key ID>+<base64 key>".into());
    };
    let raw = BASE64_STANDARD
        .decode(b64)
        .map_err(|_| "the key is not base64".to_string())?;
    if raw.len() != 33 || raw[0] != ED25519_TYPE {
        return Err(
            "not a signed-note Ed25519 key (type byte 0x01 and a 32-byte public key)".into(),
        );
    }
    let pk: [u8; 32] = raw[1..]
        .try_into()
        .map_err(|_| "the public key is not 32 bytes".to_string())?;
    let key = VerifyingKey::from_bytes(&pk).map_err(|_| "invalid Ed25519 public key")?;
    let id = u32::from_str_radix(id, 16)
        .map_err(|_| "the key ID is not hex".to_string())?
        .to_be_bytes();
    Ok(LogKey {
        name: name.to_string(),
        id,
        key,
        vkey: text.to_string(),
    })
}

/// A witness: its cosigning key and the logs it trusts, by origin.
#[derive(Debug, Clone)]
pub struct Witness {
    cosigner: Cosigner,
    logs: BTreeMap<String, TrustedLog>,
}

/// A checkpoint body, parsed.
#[derive(Debug)]
struct Body {
    size: u64,
    root: Hash,
}

impl Witness {
    /// A witness cosigning with `cosigner` for `logs`. Two logs with one origin are refused.
    pub fn new(cosigner: Cosigner, logs: Vec<TrustedLog>) -> Result<Self, WitnessError> {
        let mut map = BTreeMap::new();
        for (i, log) in logs.into_iter().enumerate() {
            let origin = log.origin.clone();
            if map.insert(origin.clone(), log).is_some() {
                return Err(WitnessError::Config {
                    field: format!("log[{i}].origin"),
                    why: format!("{origin:?} is listed twice; list all its keys in one [[log]]"),
                });
            }
        }
        Ok(Witness {
            cosigner,
            logs: map,
        })
    }

    /// The cosigning key.
    pub fn cosigner(&self) -> &Cosigner {
        &self.cosigner
    }

    /// The trusted logs, by origin.
    pub fn logs(&self) -> impl Iterator<Item = &TrustedLog> {
        self.logs.values()
    }

    /// Handles one `add-checkpoint` request body at time `now` (POSIX seconds; 0 is taken as 1,
    /// as a cosignature's timestamp is never 0). On success the new state is durable in `store`
    /// and the answer is the cosignature lines, each ending in a newline.
    pub fn add_checkpoint(
        &self,
        store: &dyn WitnessStore,
        body: &[u8],
        now: u64,
    ) -> Result<String, AddError> {
        let req = AddCheckpoint::parse(body).map_err(|e| match e {
            truce_log::witness::WitnessFormatError::Request { line, why } => {
                AddError::Malformed { line, why }
            }
            other => AddError::Malformed {
                line: 1,
                why: other.to_string(),
            },
        })?;
        // The checkpoint starts after `old`, the proof lines and the blank line.
        let first = req.proof.len() + 3;
        let bad = |offset: usize, why: &str| AddError::Malformed {
            line: first + offset,
            why: why.to_string(),
        };
        let cp = req.checkpoint.as_slice();
        let origin_end = cp
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad(0, "the checkpoint has no origin line"))?;
        let origin = std::str::from_utf8(&cp[..origin_end])
            .map_err(|_| bad(0, "the origin is not UTF-8"))?;
        let log = self
            .logs
            .get(origin)
            .ok_or_else(|| AddError::UnknownOrigin {
                origin: origin.to_string(),
            })?;
        let (text, sigs) = parse_note(cp).map_err(|e| bad(0, &format!("the checkpoint: {e}")))?;
        let parsed = parse_body(text).map_err(|(offset, why)| bad(offset, &why))?;

        let mut verified = false;
        for sig in &sigs {
            for key in log
                .keys
                .iter()
                .filter(|k| k.name == sig.name && k.id == sig.key_id)
            {
                let ok = <[u8; 64]>::try_from(sig.payload.as_slice())
                    .ok()
                    .map(|b| key.key.verify(text, &Signature::from_bytes(&b)).is_ok())
                    .unwrap_or(false);
                if !ok {
                    return Err(AddError::BadSignature { key: key.label() });
                }
                verified = true;
            }
        }
        if !verified {
            return Err(AddError::Unsigned {
                origin: origin.to_string(),
            });
        }

        if req.old > parsed.size {
            return Err(AddError::OldTooLarge {
                old: req.old,
                size: parsed.size,
            });
        }
        let latest = store.latest(origin).map_err(AddError::Store)?;
        let (recorded, recorded_root) = latest
            .as_ref()
            .map(|w| (w.size, w.root))
            .unwrap_or((0, EMPTY_HASH));
        if req.old != recorded {
            return Err(AddError::Conflict { size: recorded });
        }
        if req.old == parsed.size {
            if parsed.root != recorded_root {
                return Err(AddError::Conflict { size: recorded });
            }
            if !req.proof.is_empty() {
                return Err(AddError::Inconsistent(
                    "the old size equals the checkpoint size: the proof must be empty".into(),
                ));
            }
        } else {
            verify_consistency(&req.proof, req.old, recorded_root, parsed.size, parsed.root)
                .map_err(|e| AddError::Inconsistent(e.to_string()))?;
        }

        let line = self.cosigner.cosign(text, now.max(1));
        let new = Witnessed {
            size: parsed.size,
            root: parsed.root,
            note: req.checkpoint.clone(),
        };
        match store
            .compare_and_swap(origin, req.old, &new)
            .map_err(AddError::Store)?
        {
            Ok(()) => Ok(format!("{line}\n")),
            Err(actual) => Err(AddError::Conflict { size: actual }),
        }
    }
}

/// Parses a checkpoint body (`origin`, size, base64 root, optional extension lines); errors carry
/// the 0-based line within the checkpoint.
fn parse_body(text: &[u8]) -> Result<Body, (usize, String)> {
    let text = std::str::from_utf8(text).map_err(|_| (0, "the checkpoint is not UTF-8".into()))?;
    let mut lines = text.split('\n');
    let _origin = lines.next();
    let size = lines
        .next()
        .filter(|s| !s.is_empty())
        .ok_or((1, "the checkpoint has no size line".to_string()))?;
    let size: u64 = size
        .parse()
        .ok()
        .filter(|n: &u64| n.to_string() == size)
        .ok_or((
            1,
            "the tree size must be a decimal number without leading zeros".to_string(),
        ))?;
    let root = lines
        .next()
        .filter(|s| !s.is_empty())
        .ok_or((2, "the checkpoint has no root hash line".to_string()))?;
    let root = Hash::parse_hash(root)
        .ok()
        .filter(|h| h.to_string() == root)
        .ok_or((2, "the root hash is not a base64 SHA-256 hash".to_string()))?;
    Ok(Body { size, root })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_parse_strictly() {
        let root = Hash([7; 32]);
        let ok = format!("o\n12\n{root}\n");
        let b = parse_body(ok.as_bytes()).unwrap();
        assert_eq!((b.size, b.root), (12, root));
        let ext = format!("o\n12\n{root}\nextension line\n");
        assert!(parse_body(ext.as_bytes()).is_ok());
        assert_eq!(parse_body(b"o\n").unwrap_err().0, 1);
        assert_eq!(parse_body(b"o\n012\nx\n").unwrap_err().0, 1);
        assert_eq!(parse_body(b"o\n12\nnot base64\n").unwrap_err().0, 2);
        assert_eq!(parse_body(b"o\n12\n").unwrap_err().0, 2);
    }

    #[test]
    fn statuses() {
        assert_eq!(AddError::Conflict { size: 3 }.status(), 409);
        assert_eq!(AddError::Inconsistent("x".into()).status(), 422);
        assert_eq!(AddError::UnknownOrigin { origin: "x".into() }.status(), 404);
    }

    #[test]
    fn log_keys_must_be_named_after_the_origin() {
        let k = truce_log::key_from_seed("a.example/log", [1; 32]).unwrap();
        assert!(TrustedLog::new("a.example/log", std::slice::from_ref(&k.verifier)).is_ok());
        let e = TrustedLog::new("b.example/log", std::slice::from_ref(&k.verifier)).unwrap_err();
        assert_eq!(e.0, Some(0));
        assert!(e.1.contains("origin"), "{}", e.1);
        let e = TrustedLog::new("a.example/log", &["nonsense".to_string()]).unwrap_err();
        assert_eq!(e.0, Some(0));
        // A cosignature (0x04) key is not a log key.
        let w = Cosigner::new(
            "a.example/log",
            ed25519_dalek::SigningKey::from_bytes(&[2; 32]),
        )
        .unwrap();
        assert!(TrustedLog::new("a.example/log", &[w.vkey()]).is_err());
    }
}
