//! Key texts in the signed-note formats: `PRIVATE+KEY+<name>+<hex id>+<base64>` signer keys and
//! `<name>+<hex id>+<base64(0x01 ‖ public key)>` verifier keys. Randomness is passed in.

use crate::LogError;
use base64::prelude::*;
use rand_core::CryptoRngCore;
use signed_note::{StandardSigner, StandardVerifier};

/// A freshly generated key pair, as text.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// Signer key text (secret).
    pub signer: String,
    /// Verifier key text (public).
    pub verifier: String,
}

/// Generates an Ed25519 key pair named `name` (a valid key name: no spaces, no `+`).
pub fn generate_key(rng: &mut impl CryptoRngCore, name: &str) -> Result<KeyPair, LogError> {
    if !signed_note::is_key_name_valid(name) || name.contains('+') {
        return Err(LogError::InvalidKey(format!(
            "{name:?} is not a valid key name: it must be non-empty, without spaces or '+'"
        )));
    }
    let (signer, verifier) = signed_note::generate_key(rng, name);
    Ok(KeyPair { signer, verifier })
}

/// Derives a key pair from a 32-byte Ed25519 seed (deterministic: for reproducible demos and tests,
/// never for real parties).
pub fn key_from_seed(name: &str, seed: [u8; 32]) -> Result<KeyPair, LogError> {
    if !signed_note::is_key_name_valid(name) || name.contains('+') {
        return Err(LogError::InvalidKey(format!(
            "{name:?} is not a valid key name"
        )));
    }
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
    let verifier = signed_note::new_ed25519_verifier_key(name, &sk.verifying_key());
    let id = verifier.split('+').nth(1).unwrap_or_default().to_string();
    let mut raw = vec![1u8];
    raw.extend_from_slice(&seed);
    let signer = format!("PRIVATE+KEY+{name}+{id}+{}", BASE64_STANDARD.encode(raw));
    Ok(KeyPair { signer, verifier })
}

/// Parses a signer key text (surrounding whitespace ignored).
pub fn parse_signer(text: &str) -> Result<StandardSigner, LogError> {
    let t = text.trim();
    if !t.starts_with("PRIVATE+KEY+") {
        return Err(LogError::InvalidKey(
            "a signer key starts with PRIVATE+KEY+ (did you pass the .vkey verifier key?)".into(),
        ));
    }
    StandardSigner::new(t).map_err(|e| LogError::InvalidKey(format!("malformed signer key: {e}")))
}

/// Parses a verifier key text (surrounding whitespace ignored).
pub fn parse_verifier(text: &str) -> Result<StandardVerifier, LogError> {
    let t = text.trim();
    if t.starts_with("PRIVATE+KEY") {
        return Err(LogError::InvalidKey(
            "this is a signer (private) key; give the verifier key (.vkey) instead".into(),
        ));
    }
    StandardVerifier::new(t)
        .map_err(|e| LogError::InvalidKey(format!("malformed verifier key: {e}")))
}

/// Derives the verifier key text from a signer key text.
pub fn verifier_from_signer(text: &str) -> Result<String, LogError> {
    let signer = parse_signer(text)?;
    use signed_note::Signer;
    let name = signer.name().to_string();
    // PRIVATE+KEY+<name>+<id>+<base64>: the name has no '+', the base64 may.
    let b64 = text.trim().splitn(5, '+').nth(4).unwrap_or_default();
    let raw = BASE64_STANDARD
        .decode(b64)
        .map_err(|_| LogError::InvalidKey("malformed signer key".into()))?;
    let seed: [u8; 32] = raw
        .get(1..33)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| LogError::InvalidKey("malformed signer key".into()))?;
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
    Ok(signed_note::new_ed25519_verifier_key(
        &name,
        &sk.verifying_key(),
    ))
}
