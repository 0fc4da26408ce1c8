//! `truce commitments`: humanitarian commitments reconciled with their fulfilments, and a
//! fulfilment's person list filed the way the log requires it (invariant 13: restricted content
//! never enters the log).
//!
//! A person list stays a local file. `truce commitments persons LIST` computes its salted
//! commitment — hex SHA-256(salt ‖ the file's exact bytes), the salt 32 random bytes kept in
//! `LIST.salt` (base64, mode 0600; reused when it exists, so the same list always gives the same
//! commitment and every step can be run again). `truce commitments fulfil FILE --persons LIST`
//! puts that commitment in the file's `[[fulfilment]]` as its `persons_commitment`, signs it as
//! the party, and files both:
//!
//! - on the operator's data directory (no `--server`): appends the fulfilment to the log (through
//!   the same admission and submission gates as `truce submit`) and stores the list in
//!   `DIR/restricted.db` (the cluster's database when the log is shared), exactly as
//!   `PUT /v1/restricted/{commitment}` would;
//! - with `--server URL --token TOKEN` (a party filing from its own machine): `POST /v1/entries`
//!   with the signed fulfilment, then `PUT /v1/restricted/{commitment}` with the list, the salt
//!   and the party's token (the server checks the hash and that the party's own entry carries
//!   it).
//!
//! Running it again adds nothing: the fulfilment already carrying the commitment is not filed a
//! second time (a second fulfilment would count as a second tranche), and the list is stored once.

use crate::datadir::DataDir;
use crate::domain_cmd::{load_signer, read_authored, replay, sign_entry, submit_with, Gate};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use base64::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use truce_model::entry::Body;
use truce_model::Id;
use truce_server::restricted::{ContentKind, PutOutcome, Store};

/// Arguments of `truce commitments`.
#[derive(Debug, clap::Args)]
pub struct CommitmentsArgs {
    #[command(subcommand)]
    pub command: Option<CommitmentsCommand>,
}

/// What `truce commitments` does besides printing the reconciliation.
#[derive(Debug, clap::Subcommand)]
pub enum CommitmentsCommand {
    /// Print the salted commitment of a person list (the list is never logged).
    ///
    /// The commitment is hex SHA-256(salt ‖ the file's exact bytes); the salt (32 random bytes)
    /// is kept in LIST.salt (or --salt), created mode 0600 and reused when it exists, so the
    /// same list gives the same commitment.
    Persons {
        /// The person list (UTF-8 text).
        list: PathBuf,
        /// The salt file [default: LIST.salt].
        #[arg(long, value_name = "FILE")]
        salt: Option<PathBuf>,
    },
    /// Sign a fulfilment carrying a person list's salted commitment, and file both.
    ///
    /// FILE is an authoring file with one [[fulfilment]] (its `persons_commitment` left out:
    /// it is computed from --persons). Without --server, on the operator's data directory: the
    /// fulfilment is appended to the log and the list stored in DIR/restricted.db. With --server
    /// and --token: the fulfilment is posted to URL/v1/entries and the list uploaded to
    /// URL/v1/restricted/<commitment>. Running it again adds nothing.
    ///
    /// Example: truce commitments fulfil fulfilment.toml --persons list.txt --as ua --key ua.key
    ///          --server https://truce.example --token "$TOKEN"
    Fulfil(FulfilArgs),
}

/// Arguments of `truce commitments fulfil`.
#[derive(Debug, clap::Args)]
pub struct FulfilArgs {
    /// The authoring file holding one [[fulfilment]] (TOML).
    pub file: PathBuf,
    /// The person list behind the fulfilment (a local file; only its salted commitment is
    /// logged).
    #[arg(long, value_name = "LIST")]
    pub persons: PathBuf,
    /// The salt file [default: LIST.salt].
    #[arg(long, value_name = "FILE")]
    pub salt: Option<PathBuf>,
    /// The party filing the fulfilment (its author).
    #[arg(long = "as", value_name = "PARTY")]
    pub author: String,
    /// The party's signer key file.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// File through this Truce server (http:// or https://) instead of the local data directory.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// With --server: the party's bearer token for the upload (`truce token create`).
    #[arg(long, env = "TRUCE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// With an https:// server: also trust the CA certificates of this PEM file (repeatable).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
}

/// `truce commitments [persons|fulfil]`.
pub fn run(dir: &DataDir, a: &CommitmentsArgs, out: &Out) -> Result<(), Failure> {
    match &a.command {
        None => crate::domain_cmd::commitments(dir, out),
        Some(CommitmentsCommand::Persons { list, salt }) => {
            let p = PersonList::read(list, salt.as_deref())?;
            out.print(
                format!("{}\n", p.commitment),
                json!({"commitment": p.commitment, "salt_file": p.salt_file, "list": list, "bytes": p.content.len()}),
            )
        }
        Some(CommitmentsCommand::Fulfil(f)) => fulfil(dir, f, out),
    }
}

/// A person list with its salt and commitment.
pub struct PersonList {
    /// The list's text, exactly as in the file.
    pub content: String,
    /// The salt.
    pub salt: Vec<u8>,
    /// Where the salt is kept.
    pub salt_file: PathBuf,
    /// hex SHA-256(salt ‖ content).
    pub commitment: String,
}

impl PersonList {
    /// Reads the list and its salt (creating the salt file if it does not exist).
    pub fn read(list: &Path, salt_file: Option<&Path>) -> Result<PersonList, Failure> {
        let bytes =
            std::fs::read(list).map_err(|e| Failure::input(anyhow!("{}: {e}", list.display())))?;
        let content = String::from_utf8(bytes).map_err(|_| {
            Failure::input(anyhow!(
                "{}: a person list is UTF-8 text (it is stored and served as text)",
                list.display()
            ))
        })?;
        if content.trim().is_empty() {
            return Err(Failure::input(anyhow!(
                "{}: the person list is empty",
                list.display()
            )));
        }
        let salt_file = salt_file.map(Path::to_path_buf).unwrap_or_else(|| {
            let mut name = list.as_os_str().to_owned();
            name.push(".salt");
            PathBuf::from(name)
        });
        let salt = match std::fs::read_to_string(&salt_file) {
            Ok(text) => {
                let salt = BASE64_STANDARD.decode(text.trim()).map_err(|_| {
                    Failure::input(anyhow!("{}: not a base64 salt", salt_file.display()))
                })?;
                if !(16..=1024).contains(&salt.len()) {
                    return Err(Failure::input(anyhow!(
                        "{}: the salt is {} bytes; a salt is 16 to 1024 random bytes",
                        salt_file.display(),
                        salt.len()
                    )));
                }
                salt
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use rand_core::RngCore;
                let mut salt = vec![0u8; 32];
                rand_core::OsRng.fill_bytes(&mut salt);
                truce_store::keyfile::write_new(
                    &salt_file,
                    &format!("{}\n", BASE64_STANDARD.encode(&salt)),
                    0o600,
                )?;
                salt
            }
            Err(e) => {
                return Err(Failure::input(anyhow!("{}: {e}", salt_file.display())));
            }
        };
        let mut h = Sha256::new();
        h.update(&salt);
        h.update(content.as_bytes());
        let commitment = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(PersonList {
            content,
            salt,
            salt_file,
            commitment,
        })
    }
}

/// `truce commitments fulfil`.
fn fulfil(dir: &DataDir, a: &FulfilArgs, out: &Out) -> Result<(), Failure> {
    let what = a.file.display().to_string();
    let mut f = read_authored(&a.file)?;
    crate::domain_cmd::no_observations(&f, &what)?;
    let bodies = f.bodies();
    if f.fulfilment.len() != 1 || bodies.len() != 1 {
        return Err(Failure::input(anyhow!(
            "{what}: holds {} entries; `truce commitments fulfil` files one [[fulfilment]] per person list (use `truce submit` for the rest)",
            bodies.len()
        )));
    }
    let list = PersonList::read(&a.persons, a.salt.as_deref())?;
    let c = &list.commitment;
    match &f.fulfilment[0].persons_commitment {
        Some(other) if !other.eq_ignore_ascii_case(c) => {
            return Err(Failure::input(anyhow!(
                "{what}: its persons_commitment {other} is not the commitment of {} with the salt in {} ({c}): leave it out, it is computed",
                a.persons.display(),
                list.salt_file.display()
            )))
        }
        _ => f.fulfilment[0].persons_commitment = Some(c.clone()),
    }
    let body = Body::Fulfilment(f.fulfilment[0].clone());
    let author = Id::new(&a.author).map_err(|e| Failure::input(anyhow!(e)))?;
    let signer = load_signer(&a.key)?;
    let (index, appended, stored) = match &a.server {
        None => file_locally(dir, &author, &signer, f.time, body, &list, &what)?,
        Some(url) => file_with_server(url, a, &author, &signer, f.time, body, &list, &what)?,
    };
    let place = a
        .server
        .clone()
        .unwrap_or_else(|| dir.path.display().to_string());
    out.print(
        format!(
            "persons_commitment {c}\nfulfilment {} at index {index} ({place})\nperson list {} ({} bytes, salt in {})\n",
            if appended { "filed" } else { "already in the log" },
            if stored { "stored in the restricted store" } else { "already in the restricted store" },
            list.content.len(),
            list.salt_file.display()
        ),
        json!({
            "commitment": c,
            "index": index,
            "appended": appended,
            "stored": stored,
            "salt_file": list.salt_file,
            "where": place,
        }),
    )
}

/// On the operator's data directory: the fulfilment appended unless the author's fulfilment
/// with this commitment is already in the log, the list stored in the restricted store. Returns the
/// fulfilment's index, whether it was appended and whether the list was stored now.
fn file_locally(
    dir: &DataDir,
    author: &Id,
    signer: &signed_note::StandardSigner,
    time: truce_model::Time,
    body: Body,
    list: &PersonList,
    what: &str,
) -> Result<(u64, bool, bool), Failure> {
    let gate = Gate::system(dir)?;
    let mut seq = dir.sequencer()?;
    let mut ledger = replay(seq.reader())?;
    let c = &list.commitment;
    let earlier = ledger
        .fulfilments
        .iter()
        .find(|f| &f.author == author && f.value.persons_commitment.as_deref() == Some(c.as_str()))
        .map(|f| f.index);
    let (index, appended) = match earlier {
        Some(i) => (i, false),
        None => {
            let s = submit_with(
                &mut seq,
                &mut ledger,
                author,
                signer,
                time,
                &[body],
                what,
                &gate,
            )?;
            (s.first, true)
        }
    };
    // The error names the file, or the cluster's database when the log is shared.
    let store = Store::open(&dir.path).map_err(|e| Failure::store(anyhow!(e)))?;
    let now = jiff::Timestamp::now().as_second();
    let stored = match store
        .put(
            c,
            ContentKind::Persons,
            &list.salt,
            &list.content,
            author.as_str(),
            now,
        )
        .map_err(|e| Failure::store(anyhow!(e)))?
    {
        PutOutcome::Created => true,
        PutOutcome::AlreadyStored => false,
        PutOutcome::KindConflict(k) => {
            return Err(Failure::input(anyhow!(
                "{c} is already stored as {} content",
                k.as_str()
            )))
        }
    };
    Ok((index, appended, stored))
}

/// Through a server: `POST /v1/entries` with the signed fulfilment (the same entry again is
/// stored once), then `PUT /v1/restricted/{commitment}`.
#[allow(clippy::too_many_arguments)]
fn file_with_server(
    url: &str,
    a: &FulfilArgs,
    author: &Id,
    signer: &signed_note::StandardSigner,
    time: truce_model::Time,
    body: Body,
    list: &PersonList,
    what: &str,
) -> Result<(u64, bool, bool), Failure> {
    let token = a.token.as_deref().ok_or_else(|| {
        Failure::input(anyhow!(
            "--server needs --token (or TRUCE_TOKEN): the party's bearer token, to upload the list"
        ))
    })?;
    let base = url.trim_end_matches('/');
    let mut client = reqwest::blocking::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(15))
        .timeout(std::time::Duration::from_secs(60))
        .user_agent(concat!("truce/", env!("CARGO_PKG_VERSION")));
    for cert in truce_tls::read_ca_files(&a.ca_cert).map_err(|e| Failure::input(anyhow!(e)))? {
        client = client.add_root_certificate(cert);
    }
    let client = client
        .build()
        .map_err(|e| Failure::input(anyhow!("an HTTP client: {e}")))?;
    let unreachable = |e: reqwest::Error| {
        Failure::store(anyhow!(
            "{base}: {}",
            truce_tls::describe(&e, "--ca-cert FILE")
        ))
    };
    let env = sign_entry(author, signer, time, &body, 0, what)?;
    let r = client
        .post(format!("{base}/v1/entries"))
        .header("content-type", "application/json")
        .body(env.bytes.clone())
        .send()
        .map_err(unreachable)?;
    let (status, ack) = answer(r)?;
    if !status.is_success() {
        return Err(Failure::input(anyhow!(
            "{base}/v1/entries refused the fulfilment ({status}): {}",
            message(&ack)
        )));
    }
    let index = ack["index"].as_u64().unwrap_or_default();
    let appended = !ack["duplicate"].as_bool().unwrap_or(false);
    let r = client
        .put(format!("{base}/v1/restricted/{}", list.commitment))
        .bearer_auth(token)
        .json(&json!({
            "kind": "persons",
            "salt": BASE64_STANDARD.encode(&list.salt),
            "content": list.content,
        }))
        .send()
        .map_err(unreachable)?;
    let (status, up) = answer(r)?;
    if !status.is_success() {
        return Err(Failure::input(anyhow!(
            "the fulfilment is in the log at index {index}, but {base}/v1/restricted/{} refused the list ({status}): {}; fix it and run this again (nothing is filed twice)",
            list.commitment,
            message(&up)
        )));
    }
    Ok((index, appended, up["created"].as_bool().unwrap_or(false)))
}

fn answer(r: reqwest::blocking::Response) -> Result<(reqwest::StatusCode, Value), Failure> {
    let status = r.status();
    // An acknowledgement is small: a server streaming without end is cut off at 1 MiB.
    let body = truce_tls::read_capped_blocking(r, 1 << 20, "an acknowledgement")
        .map_err(|e| Failure::store(anyhow!(e)))?;
    let text = String::from_utf8_lossy(&body).into_owned();
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// The message of an error answer (`{"error":{"message"…}}`), or the answer itself.
fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| v.to_string())
}
