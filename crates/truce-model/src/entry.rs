//! Signed entry envelopes and their canonical encoding.
//!
//! Every domain entry in the log is one JSON object:
//! `{"author":…,"body":{…},"key":"<8 hex>","kind":…,"sig":"<base64>","time":…,"v":1}`, encoded
//! with RFC 8785 (JSON Canonicalization Scheme): keys sorted, no whitespace, numbers in their
//! shortest ECMAScript form. The signature is Ed25519 over `truce.entry.v1\n` followed by the JCS
//! encoding of the same object without `sig`. An entry whose bytes are not exactly the JCS
//! encoding of its own JSON is refused, so each envelope has one byte representation and one id
//! (the hex SHA-256 of its bytes).

use crate::domain::*;
use crate::time::Time;
use base64::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use signed_note::Signer;

/// Envelope schema version.
pub const ENTRY_VERSION: u64 = 1;
/// Domain-separation prefix of the signed message.
pub const SIGNING_CONTEXT: &[u8] = b"truce.entry.v1\n";

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// Registers a party and its keys.
    #[serde(rename = "party.register")]
    PartyRegister,
    /// Adds a key to a party.
    #[serde(rename = "party.key.add")]
    KeyAdd,
    /// Revokes a party's key.
    #[serde(rename = "party.key.revoke")]
    KeyRevoke,
    /// A process with phases and agreements.
    #[serde(rename = "process")]
    Process,
    /// A party's reading of an agreement.
    #[serde(rename = "reading")]
    Reading,
    /// A protected site.
    #[serde(rename = "site")]
    Site,
    /// A report of an event.
    #[serde(rename = "report")]
    Report,
    /// A monitor's assessment.
    #[serde(rename = "assessment")]
    Assessment,
    /// A humanitarian commitment.
    #[serde(rename = "commitment")]
    Commitment,
    /// A fulfilment of a commitment.
    #[serde(rename = "fulfilment")]
    Fulfilment,
    /// A statement with claims.
    #[serde(rename = "statement")]
    Statement,
    /// A correction or retraction of an earlier entry.
    #[serde(rename = "amend")]
    Amend,
    /// A signed manifest covering the unsigned records that follow it.
    #[serde(rename = "manifest")]
    Manifest,
}

impl Kind {
    /// The kind's name as written in entries and files.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::PartyRegister => "party.register",
            Kind::KeyAdd => "party.key.add",
            Kind::KeyRevoke => "party.key.revoke",
            Kind::Process => "process",
            Kind::Reading => "reading",
            Kind::Site => "site",
            Kind::Report => "report",
            Kind::Assessment => "assessment",
            Kind::Commitment => "commitment",
            Kind::Fulfilment => "fulfilment",
            Kind::Statement => "statement",
            Kind::Amend => "amend",
            Kind::Manifest => "manifest",
        }
    }

    /// Parses a kind name.
    pub fn parse(s: &str) -> Result<Kind, String> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
            format!("unknown entry kind {s:?}; kinds: party.register, party.key.add, party.key.revoke, process, reading, site, report, assessment, commitment, fulfilment, statement, amend, manifest")
        })
    }
}

/// A typed entry body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `party.register`
    PartyRegister(PartyRegistration),
    /// `party.key.add`
    KeyAdd(KeyAdd),
    /// `party.key.revoke`
    KeyRevoke(KeyRevoke),
    /// `process`
    Process(Process),
    /// `reading`
    Reading(Reading),
    /// `site`
    Site(Site),
    /// `report`
    Report(Report),
    /// `assessment`
    Assessment(Assessment),
    /// `commitment`
    Commitment(Commitment),
    /// `fulfilment`
    Fulfilment(Fulfilment),
    /// `statement`
    Statement(Statement),
    /// `amend`
    Amend(Amendment),
    /// `manifest`
    Manifest(Manifest),
}

impl Body {
    /// Parses and validates a body of the given kind.
    pub fn parse(kind: Kind, v: serde_json::Value) -> Result<Body, String> {
        fn p<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
            serde_json::from_value(v).map_err(|e| e.to_string())
        }
        Ok(match kind {
            Kind::PartyRegister => Body::PartyRegister(p(v)?),
            Kind::KeyAdd => Body::KeyAdd(p(v)?),
            Kind::KeyRevoke => Body::KeyRevoke(p(v)?),
            Kind::Process => Body::Process(p(v)?),
            Kind::Reading => Body::Reading(p(v)?),
            Kind::Site => Body::Site(p(v)?),
            Kind::Report => Body::Report(p(v)?),
            Kind::Assessment => Body::Assessment(p(v)?),
            Kind::Commitment => Body::Commitment(p(v)?),
            Kind::Fulfilment => Body::Fulfilment(p(v)?),
            Kind::Statement => Body::Statement(p(v)?),
            Kind::Amend => Body::Amend(p(v)?),
            Kind::Manifest => Body::Manifest(p(v)?),
        })
    }

    /// The body as JSON.
    pub fn to_value(&self) -> serde_json::Value {
        let r = match self {
            Body::PartyRegister(b) => serde_json::to_value(b),
            Body::KeyAdd(b) => serde_json::to_value(b),
            Body::KeyRevoke(b) => serde_json::to_value(b),
            Body::Process(b) => serde_json::to_value(b),
            Body::Reading(b) => serde_json::to_value(b),
            Body::Site(b) => serde_json::to_value(b),
            Body::Report(b) => serde_json::to_value(b),
            Body::Assessment(b) => serde_json::to_value(b),
            Body::Commitment(b) => serde_json::to_value(b),
            Body::Fulfilment(b) => serde_json::to_value(b),
            Body::Statement(b) => serde_json::to_value(b),
            Body::Amend(b) => serde_json::to_value(b),
            Body::Manifest(b) => serde_json::to_value(b),
        };
        r.unwrap_or(serde_json::Value::Null)
    }

    /// The body's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Body::PartyRegister(_) => Kind::PartyRegister,
            Body::KeyAdd(_) => Kind::KeyAdd,
            Body::KeyRevoke(_) => Kind::KeyRevoke,
            Body::Process(_) => Kind::Process,
            Body::Reading(_) => Kind::Reading,
            Body::Site(_) => Kind::Site,
            Body::Report(_) => Kind::Report,
            Body::Assessment(_) => Kind::Assessment,
            Body::Commitment(_) => Kind::Commitment,
            Body::Fulfilment(_) => Kind::Fulfilment,
            Body::Statement(_) => Kind::Statement,
            Body::Amend(_) => Kind::Amend,
            Body::Manifest(_) => Kind::Manifest,
        }
    }
}

/// A decoded envelope whose signature has not yet been checked against the party registry.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// What it is.
    pub kind: Kind,
    /// Who wrote it.
    pub author: Id,
    /// When the author says it was written.
    pub time: Time,
    /// The signing key's id (8 hex digits).
    pub key: String,
    /// The typed body.
    pub body: Body,
    /// The signature bytes.
    pub sig: Vec<u8>,
    /// The signed message: context prefix + JCS of the envelope without `sig`.
    pub message: Vec<u8>,
    /// The entry's bytes as logged.
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of `bytes`: the entry id.
    pub id: String,
}

/// Why an envelope could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Not JSON, or not an object.
    #[error("not a Truce entry: {0}")]
    NotAnEntry(String),
    /// Not in canonical (RFC 8785) form.
    #[error(
        "the entry is not in canonical JSON (RFC 8785) form; re-encode it with JCS before signing"
    )]
    NotCanonical,
    /// A field is missing or wrong.
    #[error("field `{field}`: {why}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        why: String,
    },
    /// Too large for the log.
    #[error("the entry is {0} bytes; the log takes at most 65,535 (keep large evidence outside and log its hash)")]
    TooLarge(usize),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Hex SHA-256 of entry bytes: the entry's id.
pub fn entry_id(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn jcs(v: &serde_json::Value) -> Result<Vec<u8>, EntryError> {
    serde_json_canonicalizer::to_vec(v).map_err(|e| EntryError::NotAnEntry(e.to_string()))
}

/// Builds and signs an envelope. `signer` must be a key registered to `author`.
pub fn sign(
    author: &Id,
    time: Time,
    body: &Body,
    signer: &dyn Signer,
) -> Result<Envelope, EntryError> {
    let mut obj = serde_json::Map::new();
    obj.insert("v".into(), ENTRY_VERSION.into());
    obj.insert("kind".into(), body.kind().as_str().into());
    obj.insert("author".into(), author.as_str().into());
    obj.insert("time".into(), time.to_string().into());
    obj.insert("key".into(), format!("{:08x}", signer.key_id()).into());
    obj.insert("body".into(), body.to_value());
    let unsigned = jcs(&serde_json::Value::Object(obj.clone()))?;
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(&unsigned);
    let sig = signer
        .sign(&message)
        .map_err(|e| EntryError::Signing(e.to_string()))?;
    obj.insert("sig".into(), BASE64_STANDARD.encode(&sig).into());
    let bytes = jcs(&serde_json::Value::Object(obj))?;
    if bytes.len() > truce_log::ENTRY_MAX {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    decode(&bytes)
}

/// Encodes an unsigned record (a `report` or `site` covered by a signed manifest): the envelope
/// without `key` and `sig`, in JCS form.
pub fn record(author: &Id, time: Time, body: &Body) -> Result<Vec<u8>, EntryError> {
    if !matches!(body.kind(), Kind::Report | Kind::Site) {
        return Err(EntryError::Field {
            field: "kind",
            why: "only reports and sites can be unsigned records".into(),
        });
    }
    let mut obj = serde_json::Map::new();
    obj.insert("v".into(), ENTRY_VERSION.into());
    obj.insert("kind".into(), body.kind().as_str().into());
    obj.insert("author".into(), author.as_str().into());
    obj.insert("time".into(), time.to_string().into());
    obj.insert("body".into(), body.to_value());
    let bytes = jcs(&serde_json::Value::Object(obj))?;
    if bytes.len() > truce_log::ENTRY_MAX {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

/// Decodes an entry: canonical form, envelope fields, typed and validated body. Does not check
/// the signature against a registry (see [`crate::Ledger`]).
pub fn decode(bytes: &[u8]) -> Result<Envelope, EntryError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| EntryError::NotAnEntry(format!("not JSON: {e}")))?;
    let serde_json::Value::Object(mut obj) = value else {
        return Err(EntryError::NotAnEntry("not a JSON object".into()));
    };
    if jcs(&serde_json::Value::Object(obj.clone()))? != bytes {
        return Err(EntryError::NotCanonical);
    }
    let field = |field: &'static str, why: String| EntryError::Field { field, why };
    let signed = obj.contains_key("sig") || obj.contains_key("key");
    let (sig, message) = if signed {
        let sig_text = match obj.remove("sig") {
            Some(serde_json::Value::String(s)) => s,
            _ => return Err(field("sig", "missing or not a string".into())),
        };
        let sig = BASE64_STANDARD
            .decode(&sig_text)
            .map_err(|_| field("sig", "not base64".into()))?;
        let unsigned = jcs(&serde_json::Value::Object(obj.clone()))?;
        let mut message = SIGNING_CONTEXT.to_vec();
        message.extend_from_slice(&unsigned);
        (sig, message)
    } else {
        (Vec::new(), Vec::new())
    };
    let known = ["v", "kind", "author", "time", "key", "body"];
    if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(field("v", format!("unknown envelope field `{k}`")));
    }
    let str_of = |obj: &serde_json::Map<String, serde_json::Value>,
                  f: &'static str|
     -> Result<String, EntryError> {
        obj.get(f)
            .and_then(|v| v.as_str())
            .map(String::from)
            .ok_or_else(|| field(f, "missing or not a string".into()))
    };
    match obj.get("v").and_then(|v| v.as_u64()) {
        Some(ENTRY_VERSION) => {}
        other => {
            return Err(field(
                "v",
                format!("schema version {other:?} is not {ENTRY_VERSION}"),
            ))
        }
    }
    let kind = Kind::parse(&str_of(&obj, "kind")?).map_err(|e| field("kind", e))?;
    let author = Id::new(&str_of(&obj, "author")?).map_err(|e| field("author", e))?;
    let time = Time::parse(&str_of(&obj, "time")?).map_err(|e| field("time", e))?;
    let key = if signed {
        str_of(&obj, "key")?
    } else {
        String::new()
    };
    if signed
        && (key.len() != 8
            || !key
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    {
        return Err(field(
            "key",
            "must be the signing key's id, 8 lowercase hex digits".into(),
        ));
    }
    if !signed && !matches!(kind, Kind::Report | Kind::Site) {
        return Err(field(
            "sig",
            "missing: only reports and sites may be unsigned records under a manifest".into(),
        ));
    }
    let body_v = obj
        .remove("body")
        .ok_or_else(|| field("body", "missing".into()))?;
    let body = Body::parse(kind, body_v).map_err(|e| field("body", e))?;
    Ok(Envelope {
        kind,
        author,
        time,
        key,
        body,
        sig,
        message,
        bytes: bytes.to_vec(),
        id: entry_id(bytes),
    })
}
