//! C2SP tlog-cosignature v1 with Ed25519: witness keys, cosigning checkpoint bodies, verifying
//! cosignature lines in signed notes, and adding a cosignature line to a signed checkpoint note.
//!
//! A cosignature is a signed-note signature whose key ID is
//! `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]`, whose signed message is
//! `cosignature/v1\ntime <ts>\n` followed by the whole checkpoint body, and whose payload is the
//! 8-byte big-endian timestamp followed by the 64-byte Ed25519 signature. Timestamps are passed in:
//! this module reads no clock.

use base64::prelude::*;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte of tlog-cosignature v1 Ed25519 keys.
pub const COSIGNATURE_TYPE: u8 = 0x04;

/// The prefix of every signed-note signature line: an em dash and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Everything that can go wrong with cosignatures and signed-note framing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// A key name is empty or contains spaces, `+` or control characters.
    #[error(
        "invalid key name {0:?}: it must be non-empty, without spaces, '+' or control characters"
    )]
    InvalidName(String),
    /// A cosigner verifier key text is malformed.
    #[error("invalid cosigner key: {0}")]
    InvalidKey(String),
    /// A note is not a well-formed signed note.
    #[error("malformed note: {0}")]
    MalformedNote(String),
    /// A signature line is malformed.
    #[error("malformed signature line: {0}")]
    MalformedSignature(String),
    /// The note has no signature line for this cosigner's name and key ID.
    #[error("no cosignature by {name}+{key_id}")]
    Missing {
        /// The cosigner's key name.
        name: String,
        /// The cosigner's key ID in hex.
        key_id: String,
    },
    /// The note has a signature line for this cosigner but it does not verify.
    #[error("the cosignature by {name}+{key_id} does not verify")]
    Invalid {
        /// The cosigner's key name.
        name: String,
        /// The cosigner's key ID in hex.
        key_id: String,
    },
    /// The note already carries a signature with the same name and key ID.
    #[error("the note already has a signature by {name}+{key_id}")]
    Duplicate {
        /// The signer's key name.
        name: String,
        /// The key ID in hex.
        key_id: String,
    },
}

fn check_name(name: &str) -> Result<(), CosignatureError> {
    if name.is_empty()
        || name.contains('+')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CosignatureError::InvalidName(name.to_string()));
    }
    Ok(())
}

fn hex4(id: [u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// The tlog-cosignature v1 key ID: `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]`.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', COSIGNATURE_TYPE]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The message a cosigner signs: `cosignature/v1\ntime <timestamp>\n` followed by `body`.
pub fn signed_message(body: &[u8], timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(body);
    m
}

/// One signature line of a signed note, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name on the line.
    pub name: String,
    /// The first four bytes of the decoded base64: the key ID.
    pub key_id: [u8; 4],
    /// The rest of the decoded base64: the signature payload.
    pub payload: Vec<u8>,
}

/// Splits a signed note into its body (the text before the blank line, ending in `\n`) and its
/// decoded signature lines.
pub fn parse_note(note: &[u8]) -> Result<(&[u8], Vec<NoteSignature>), CosignatureError> {
    let bad = |why: &str| CosignatureError::MalformedNote(why.to_string());
    let split = note
        .windows(2)
        .rposition(|w| w == b"\n\n")
        .ok_or_else(|| bad("no blank line between the text and the signatures"))?;
    let body = &note[..split + 1];
    let sigs = &note[split + 2..];
    if sigs.is_empty() {
        return Err(bad("no signature lines"));
    }
    if !sigs.ends_with(b"\n") {
        return Err(bad("the last signature line does not end in a newline"));
    }
    let sigs = std::str::from_utf8(sigs).map_err(|_| bad("signature lines are not UTF-8"))?;
    let lines = sigs[..sigs.len() - 1]
        .split('\n')
        .map(parse_signature_line)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((body, lines))
}

/// Parses one signature line, `— <name> <base64(key ID ‖ payload)>`, without its newline.
pub fn parse_signature_line(line: &str) -> Result<NoteSignature, CosignatureError> {
    let bad = |why: &str| CosignatureError::MalformedSignature(format!("{why}: {line:?}"));
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or_else(|| bad("it does not start with an em dash and a space"))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or_else(|| bad("no space between the name and the signature"))?;
    // The signed-note rule (non-empty, no spaces, no '+'), as the log's own note parser applies:
    // a line by a key named otherwise valid by the spec (say with a control character) is a
    // signature by an unknown key, ignored, not a malformed note. Keys made here are stricter.
    if !signed_note::is_key_name_valid(name) {
        return Err(bad("invalid key name"));
    }
    let raw = BASE64_STANDARD
        .decode(b64)
        .map_err(|_| bad("the signature is not base64"))?;
    if raw.len() < 5 {
        return Err(bad("the signature is too short"));
    }
    Ok(NoteSignature {
        name: name.to_string(),
        key_id: [raw[0], raw[1], raw[2], raw[3]],
        payload: raw[4..].to_vec(),
    })
}

/// A witness's cosigning key: a key name and an Ed25519 signing key.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
    key_id: [u8; 4],
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cosigner")
            .field("name", &self.name)
            .field("key_id", &hex4(self.key_id))
            .finish_non_exhaustive()
    }
}

/// Another name for [`Cosigner`].
pub type CosignerKey = Cosigner;

impl Cosigner {
    /// A cosigner named `name` (a valid key name: no spaces, no `+`) signing with `key`.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, CosignatureError> {
        check_name(name)?;
        let key_id = key_id(name, key.verifying_key().as_bytes());
        Ok(Cosigner {
            name: name.to_string(),
            key,
            key_id,
        })
    }

    /// Generates a fresh cosigner named `name`; randomness is passed in.
    pub fn generate(
        rng: &mut impl rand_core::CryptoRngCore,
        name: &str,
    ) -> Result<Self, CosignatureError> {
        Self::new(name, SigningKey::generate(rng))
    }

    /// Parses a cosigner private key text `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 ‖ seed)>`
    /// (the signed-note private key layout with the tlog-cosignature type byte; surrounding
    /// whitespace ignored). The key ID must match the name and key.
    pub fn from_private_text(text: &str) -> Result<Self, CosignatureError> {
        let t = text.trim();
        let bad = |why: &str| {
            CosignatureError::InvalidKey(format!(
                "{why} (a witness private key reads PRIVATE+KEY+<name>+<hex id>+<base64>)"
            ))
        };
        let rest = t
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("not a private key: it does not start with PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected three fields after PRIVATE+KEY+"));
        };
        let raw = BASE64_STANDARD
            .decode(b64)
            .map_err(|_| bad("the key is not base64"))?;
        if raw.len() != 33 || raw[0] != COSIGNATURE_TYPE {
            return Err(bad(
                "the key is not a tlog-cosignature v1 key (type byte 0x04 and a 32-byte seed)",
            ));
        }
        let seed: [u8; 32] = raw[1..]
            .try_into()
            .map_err(|_| bad("the seed is not 32 bytes"))?;
        let c = Self::new(name, SigningKey::from_bytes(&seed))?;
        if hex4(c.key_id) != id.to_ascii_lowercase() {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(c)
    }

    /// The private key text read by [`from_private_text`](Self::from_private_text). Secret.
    pub fn private_text(&self) -> String {
        let mut raw = vec![COSIGNATURE_TYPE];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex4(self.key_id),
            BASE64_STANDARD.encode(raw)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The verifier key text: `<name>+<hex key ID>+<base64(0x04 ‖ public key)>`.
    pub fn vkey(&self) -> String {
        let mut raw = vec![COSIGNATURE_TYPE];
        raw.extend_from_slice(self.key.verifying_key().as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex4(self.key_id),
            BASE64_STANDARD.encode(raw)
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            key_id: self.key_id,
        }
    }

    /// Cosigns a checkpoint `body` (the note text before the blank line, ending in `\n`) at
    /// `timestamp` (POSIX seconds) and returns the signature line, without its newline.
    pub fn cosign(&self, body: &[u8], timestamp: u64) -> String {
        let sig = self.key.sign(&signed_message(body, timestamp));
        let mut raw = Vec::with_capacity(4 + 8 + 64);
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        format!(
            "{SIGNATURE_PREFIX}{} {}",
            self.name,
            BASE64_STANDARD.encode(raw)
        )
    }

    /// Cosigns the body of a signed `note` at `timestamp` and returns the note with the
    /// cosignature line appended.
    pub fn cosign_note(&self, note: &[u8], timestamp: u64) -> Result<Vec<u8>, CosignatureError> {
        let (body, _) = parse_note(note)?;
        let line = self.cosign(body, timestamp);
        add_cosignature(note, &line)
    }
}

/// Appends a signature `line` (with or without its trailing newline) to a signed note. The note
/// must be well formed and must not already carry a signature with the line's name and key ID.
pub fn add_cosignature(note: &[u8], line: &str) -> Result<Vec<u8>, CosignatureError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if line.contains('\n') {
        return Err(CosignatureError::MalformedSignature(
            "a signature line must be a single line".into(),
        ));
    }
    let new = parse_signature_line(line)?;
    let (_, existing) = parse_note(note)?;
    if existing
        .iter()
        .any(|s| s.name == new.name && s.key_id == new.key_id)
    {
        return Err(CosignatureError::Duplicate {
            name: new.name,
            key_id: hex4(new.key_id),
        });
    }
    let mut out = note.to_vec();
    out.extend_from_slice(line.as_bytes());
    out.push(b'\n');
    Ok(out)
}

/// Verifies tlog-cosignature v1 Ed25519 cosignatures by one witness key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key: VerifyingKey,
    key_id: [u8; 4],
}

impl std::str::FromStr for CosignatureVerifier {
    type Err = CosignatureError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_vkey(s)
    }
}

impl CosignatureVerifier {
    /// Parses a verifier key text `<name>+<hex key ID>+<base64(0x04 ‖ public key)>` (surrounding
    /// whitespace ignored). The key ID must match the name and key.
    pub fn from_vkey(text: &str) -> Result<Self, CosignatureError> {
        let bad = |why: &str| CosignatureError::InvalidKey(format!("{why}: {:?}", text.trim()));
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected <name>+<hex key ID>+<base64 key>"));
        };
        check_name(name)?;
        if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the key ID is not 8 hex digits"));
        }
        let raw = BASE64_STANDARD
            .decode(b64)
            .map_err(|_| bad("the key is not base64"))?;
        if raw.len() != 33 {
            return Err(bad(
                "the key is not 33 bytes (type byte and Ed25519 public key)",
            ));
        }
        if raw[0] != COSIGNATURE_TYPE {
            return Err(bad(&format!(
                "key type 0x{:02x} is not tlog-cosignature v1 (0x04)",
                raw[0]
            )));
        }
        let pk: [u8; 32] = raw[1..]
            .try_into()
            .map_err(|_| bad("the key is not 32 bytes after its type byte"))?;
        let key = VerifyingKey::from_bytes(&pk).map_err(|_| bad("invalid Ed25519 public key"))?;
        let key_id = key_id(name, &pk);
        if hex4(key_id) != id.to_ascii_lowercase() {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(CosignatureVerifier {
            name: name.to_string(),
            key,
            key_id,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The verifier key text.
    pub fn vkey(&self) -> String {
        let mut raw = vec![COSIGNATURE_TYPE];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex4(self.key_id),
            BASE64_STANDARD.encode(raw)
        )
    }

    /// Whether a decoded signature line is addressed to this key (same name and key ID).
    pub fn matches(&self, sig: &NoteSignature) -> bool {
        sig.name == self.name && sig.key_id == self.key_id
    }

    /// Verifies a signature payload (timestamp ‖ signature) over `body`; returns the timestamp.
    pub fn verify_payload(&self, body: &[u8], payload: &[u8]) -> Option<u64> {
        if payload.len() != 72 {
            return None;
        }
        let ts = u64::from_be_bytes(payload[..8].try_into().ok()?);
        let sig = Signature::from_bytes(payload[8..].try_into().ok()?);
        self.key
            .verify(&signed_message(body, ts), &sig)
            .ok()
            .map(|()| ts)
    }

    /// Verifies this key's cosignature on a signed `note` and returns its timestamp. Lines by
    /// other keys are ignored; if several lines carry this key's name and ID, one must verify.
    pub fn verify(&self, note: &[u8]) -> Result<u64, CosignatureError> {
        let (body, sigs) = parse_note(note)?;
        self.verify_parsed(body, &sigs)
    }

    /// Like [`verify`](Self::verify) over an already split note.
    pub fn verify_parsed(
        &self,
        body: &[u8],
        sigs: &[NoteSignature],
    ) -> Result<u64, CosignatureError> {
        let mut found = false;
        for s in sigs.iter().filter(|s| self.matches(s)) {
            found = true;
            if let Some(ts) = self.verify_payload(body, &s.payload) {
                return Ok(ts);
            }
        }
        let (name, key_id) = (self.name.clone(), hex4(self.key_id));
        Err(if found {
            CosignatureError::Invalid { name, key_id }
        } else {
            CosignatureError::Missing { name, key_id }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `checkpoint` fuzz target: a checkpoint signed by the log key that also
    /// carries a line by a key named with U+007F opened under the log key, but `parse_note`
    /// refused it as malformed, so policies and witnesses refused a valid checkpoint.
    #[test]
    fn a_line_by_a_key_named_with_a_control_character_is_an_unknown_signature() {
        let note = "fuzz.example/log\n8\n0SM0thqi8kTxF1TECJZkFVHWTNXHn6D5dg0uwwedGDQ=\n\n— fuzz.example/log RMMwUIHw5EBwBrA+aQtnk6E2N+/X2jNnwcn8hIEf/SWhuXcrJphIH2Ggc2djI40BPwUjMvVUIAK09kZimSZQincJrwA=\n— fuz{.example/\u{7f}itness KvGqwQAAAABlU/EAltkm7XR2cCw1B1+rC9WQwqPMr469sL5tdArT01+rC9WQwqPMr469sL5tdArT0/N6W5XaFppoA8t89XpSZfk9Lwih\n";
        let log = crate::key_from_seed("fuzz.example/log", [7; 32]).unwrap();
        let verifier = crate::parse_verifier(&log.verifier).unwrap();
        crate::open_checkpoint(note.as_bytes(), &verifier).unwrap();
        let (body, sigs) = parse_note(note.as_bytes()).unwrap();
        assert_eq!(sigs.len(), 2);
        assert_eq!(sigs[1].name, "fuz{.example/\u{7f}itness");
        let witness =
            Cosigner::new("fuzz.example/witness", SigningKey::from_bytes(&[9; 32])).unwrap();
        assert!(matches!(
            witness.verifier().verify_parsed(body, &sigs),
            Err(CosignatureError::Missing { .. })
        ));
        // Names outside the signed-note rule are still refused.
        assert!(parse_signature_line("\u{2014} a+b AAAAAAAA").is_err());
        assert!(parse_signature_line("\u{2014} a\tb AAAAAAAA").is_err());
    }
}
