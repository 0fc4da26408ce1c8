//! C2SP tlog-checkpoint bodies in C2SP signed notes: signing by the log key (whose name is the
//! origin) and opening with a verifier key, ignoring signatures by unknown keys as the spec requires.

use crate::{Hash, LogError};
use signed_note::{Note, StandardSigner, StandardVerifier, Verifier, VerifierList};
use tlog_tiles::Checkpoint;

/// A checkpoint whose signature by the log key has been made or checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedCheckpoint {
    /// The log's origin (first line of the body; also the log key's name).
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash of the tree of `size` entries.
    pub root: Hash,
    /// The whole signed note: body, blank line, signature lines.
    pub note: Vec<u8>,
}

impl SignedCheckpoint {
    /// The checkpoint body (the note text that is signed).
    pub fn body(&self) -> Vec<u8> {
        Checkpoint::new(&self.origin, self.size, self.root, "")
            .map(|c| c.to_bytes())
            .unwrap_or_default()
    }

    /// The note as UTF-8 text (notes are UTF-8 by definition).
    pub fn note_text(&self) -> String {
        String::from_utf8_lossy(&self.note).into_owned()
    }
}

/// Checks that `origin` is a valid C2SP origin and key name: non-empty, schema-less (no `://`),
/// no spaces, no `+`, no control characters.
pub fn validate_origin(origin: &str) -> Result<(), LogError> {
    let bad = |why| {
        Err(LogError::InvalidOrigin {
            origin: origin.to_string(),
            why,
        })
    };
    if origin.is_empty() {
        return bad("it is empty");
    }
    if origin.contains("://") {
        return bad("it must be schema-less, like example.org/truce, without https://");
    }
    if origin.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it must not contain spaces or control characters");
    }
    if origin.contains('+') {
        return bad("it must not contain '+'");
    }
    if !signed_note::is_key_name_valid(origin) {
        return bad("it is not a valid signed-note key name");
    }
    Ok(())
}

/// Signs the checkpoint `(origin, size, root)` with the log's signer, whose name must be `origin`.
pub fn sign_checkpoint(
    signer: &StandardSigner,
    origin: &str,
    size: u64,
    root: Hash,
) -> Result<SignedCheckpoint, LogError> {
    use signed_note::Signer;
    validate_origin(origin)?;
    if signer.name() != origin {
        return Err(LogError::InvalidKey(format!(
            "the log key is named {:?} but the origin is {origin:?}; C2SP requires the log key's name to equal the origin",
            signer.name()
        )));
    }
    let body = Checkpoint::new(origin, size, root, "")
        .map_err(|e| LogError::BadCheckpoint(e.to_string()))?
        .to_bytes();
    let mut note = Note::new(&body, &[]).map_err(|e| LogError::BadCheckpoint(e.to_string()))?;
    note.add_sigs(&[signer])
        .map_err(|e| LogError::BadCheckpoint(e.to_string()))?;
    Ok(SignedCheckpoint {
        origin: origin.to_string(),
        size,
        root,
        note: note.to_bytes(),
    })
}

/// Parses a signed checkpoint note and checks its signature by `verifier` (the log key). Other
/// signatures (cosignatures, unknown keys) are ignored. The origin must equal the key's name.
pub fn open_checkpoint(
    note: &[u8],
    verifier: &StandardVerifier,
) -> Result<SignedCheckpoint, LogError> {
    let parsed = Note::from_bytes(note)
        .map_err(|e| LogError::BadCheckpoint(format!("not a signed note: {e}")))?;
    let list = VerifierList::new(vec![Box::new(verifier.clone())]);
    parsed.verify(&list).map_err(|e| match e {
        signed_note::NoteError::UnverifiedNote => LogError::BadCheckpoint(format!(
            "no signature by the log key {}+{:08x}; is this the right verifier key?",
            verifier.name(),
            verifier.key_id()
        )),
        signed_note::NoteError::InvalidSignature { name, id } => LogError::BadCheckpoint(format!(
            "the signature by {name}+{id:08x} does not verify: the checkpoint was altered"
        )),
        other => LogError::BadCheckpoint(other.to_string()),
    })?;
    let body = Checkpoint::from_bytes(parsed.text()).map_err(|_| {
        LogError::BadCheckpoint("the note text is not a C2SP checkpoint body".into())
    })?;
    if body.origin() != verifier.name() {
        return Err(LogError::BadCheckpoint(format!(
            "origin {:?} differs from the log key's name {:?}",
            body.origin(),
            verifier.name()
        )));
    }
    Ok(SignedCheckpoint {
        origin: body.origin().to_string(),
        size: body.size(),
        root: *body.hash(),
        note: note.to_vec(),
    })
}
