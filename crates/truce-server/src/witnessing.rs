//! The log side of C2SP tlog-witness: push each new checkpoint to the configured witnesses with a
//! consistency proof from the size each witness last cosigned, verify the cosignatures they return
//! with their keys, and publish the checkpoint with those cosignatures at `GET /checkpoint`.
//!
//! Rounds: a background task looks for a new checkpoint every `witness_interval_ms`; a round asks
//! every witness concurrently (each bounded by `witness_timeout_ms`) and completes when all have
//! answered or timed out. The checkpoint served is the one of the latest completed round, with the
//! cosignatures that verified — a witness that is down delays publication by at most the timeout
//! and is named in `GET /v1/witnesses`. Witnessed checkpoints are kept in
//! `DIR/checkpoint.witnessed` (written atomically), so a restart serves the same cosigned view.
//! Acknowledgements of submissions carry the fresh, not yet witnessed checkpoint; proofs from
//! `GET /v1/proof/tlog` use the witnessed one when it covers the entry.
//!
//! Witnesses are reached over `http://` or `https://`; HTTPS trusts the platform's CA roots and
//! the CA certificates of `witness_ca_cert` (see `truce_tls`), and a TLS failure is named in the
//! witness's status. A witness's answer is read within [`MAX_WITNESS_ANSWER_BYTES`] (cosignature
//! lines, a size or a one-line error are far smaller): a witness streaming without end costs a
//! round that much memory and its timeout, and is named in its status.

use crate::config::WitnessEndpoint;
use crate::state::AppState;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Mutex, RwLock};
use std::time::Duration;
use truce_log::cosignature::{add_cosignature, parse_signature_line, CosignatureVerifier};
use truce_log::witness::{parse_cosignature_lines, parse_tlog_size, AddCheckpoint};
use truce_log::SignedCheckpoint;
use truce_store::Tiles;

/// The most of a witness's answer that is read, bytes.
pub const MAX_WITNESS_ANSWER_BYTES: u64 = 64 * 1024;

/// What is known of one witness, as served by `GET /v1/witnesses`.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct WitnessStatus {
    /// The witness's key name.
    pub name: String,
    /// Its verifier key (`name+id+base64`, type 0x04).
    pub vkey: String,
    /// Its submission prefix (the log POSTs `<url>/add-checkpoint`).
    pub url: String,
    /// The tree size the witness last reported or cosigned, if known.
    pub size: Option<u64>,
    /// The size of the last checkpoint it cosigned for this log, in this process's lifetime.
    pub cosigned_size: Option<u64>,
    /// The timestamp (POSIX seconds) of that cosignature.
    pub cosigned_at: Option<u64>,
    /// What went wrong in the latest round, if anything.
    pub error: Option<String>,
}

struct Endpoint {
    url: String,
    verifier: CosignatureVerifier,
    status: Mutex<WitnessStatus>,
}

/// The witnesses of this log and the latest witnessed checkpoint.
pub struct Witnessing {
    endpoints: Vec<Endpoint>,
    /// The HTTP(S) client of the rounds; `None` without witnesses.
    client: Option<reqwest::Client>,
    served: RwLock<Option<Witnessed>>,
    path: PathBuf,
    timeout: Duration,
    interval: Duration,
}

/// A checkpoint as published after a witnessing round.
#[derive(Debug, Clone)]
pub struct Witnessed {
    /// Its tree size.
    pub size: u64,
    /// The note: the log's signature and the cosignatures that verified.
    pub note: Vec<u8>,
}

/// Why the witness configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WitnessingError {
    /// A `[[witness]]` entry is wrong.
    #[error("witness {index} ({url}): {why}")]
    Config {
        /// Position in the configuration (1-based).
        index: usize,
        /// Its URL.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// The `witness_ca_cert` file cannot be used.
    #[error("witness_ca_cert: {0}")]
    CaCert(#[from] truce_tls::CaFileError),
    /// No HTTP client could be made.
    #[error("witnessing: cannot build an HTTP client: {0}")]
    Client(String),
}

/// How the server is told to trust a witness's private CA, for TLS failures.
const CA_HINT: &str = "witness_ca_cert in the configuration (or TRUCE_WITNESS_CA_CERT)";

/// The file holding the latest witnessed checkpoint.
pub fn witnessed_path(dir: &Path) -> PathBuf {
    dir.join("checkpoint.witnessed")
}

impl Witnessing {
    /// Sets up witnessing for the log in `dir` whose latest checkpoint is `latest`, reading back
    /// the last witnessed checkpoint if it still matches the log. `ca_cert`: a PEM file of CA
    /// certificates trusted for `https://` witnesses besides the platform's roots.
    pub fn open(
        dir: &Path,
        endpoints: &[WitnessEndpoint],
        timeout_ms: u64,
        interval_ms: u64,
        ca_cert: Option<&Path>,
        latest: &SignedCheckpoint,
        stored_at: impl Fn(u64) -> Option<Vec<u8>>,
    ) -> Result<Witnessing, WitnessingError> {
        let mut eps = Vec::new();
        for (i, e) in endpoints.iter().enumerate() {
            let bad = |why: String| WitnessingError::Config {
                index: i + 1,
                url: e.url.clone(),
                why,
            };
            let url = e.url.trim_end_matches('/').to_string();
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(bad("the url must start with http:// or https://".into()));
            }
            let verifier =
                CosignatureVerifier::from_vkey(&e.vkey).map_err(|x| bad(x.to_string()))?;
            if eps
                .iter()
                .any(|p: &Endpoint| p.verifier.name() == verifier.name())
            {
                return Err(bad(format!(
                    "two witnesses are named {}: each witness needs its own key name",
                    verifier.name()
                )));
            }
            eps.push(Endpoint {
                status: Mutex::new(WitnessStatus {
                    name: verifier.name().to_string(),
                    vkey: verifier.vkey(),
                    url: url.clone(),
                    ..Default::default()
                }),
                url,
                verifier,
            });
        }
        let timeout = Duration::from_millis(timeout_ms.max(1));
        let client = if eps.is_empty() {
            None
        } else {
            let mut b = reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout);
            if let Some(f) = ca_cert {
                for c in truce_tls::read_ca_file(f)? {
                    b = b.add_root_certificate(c);
                }
            }
            Some(
                b.build()
                    .map_err(|e| WitnessingError::Client(truce_tls::chain(&e)))?,
            )
        };
        let path = witnessed_path(dir);
        // A witnessed checkpoint is served again only if its body is the log's own checkpoint
        // of that size (the file is a cache of what was published, never a source of truth).
        let served = std::fs::read(&path).ok().and_then(|note| {
            let size = checkpoint_size(&note)?;
            let stored = stored_at(size)?;
            (size <= latest.size && body_of(&stored)? == body_of(&note)?)
                .then_some(Witnessed { size, note })
        });
        Ok(Witnessing {
            endpoints: eps,
            client,
            served: RwLock::new(served),
            path,
            timeout,
            interval: Duration::from_millis(interval_ms.max(1)),
        })
    }

    /// Whether any witness is configured.
    pub fn enabled(&self) -> bool {
        !self.endpoints.is_empty()
    }

    /// The latest witnessed checkpoint, if a round has completed (or was read back).
    pub fn served(&self) -> Option<Witnessed> {
        self.served
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Serves `note`, the checkpoint of `size` as another server had it witnessed (a shared
    /// log's sequencer), if it is newer than the one served and its body is `ours` (this log's
    /// own checkpoint of that size, as stored). Returns whether it was taken.
    pub fn adopt(&self, size: u64, note: Vec<u8>, ours: &[u8]) -> bool {
        if body_of(&note).is_none() || body_of(&note) != body_of(ours) {
            return false;
        }
        let mut served = self.served.write().unwrap_or_else(|p| p.into_inner());
        if served.as_ref().is_some_and(|w| w.size >= size) {
            return false;
        }
        *served = Some(Witnessed { size, note });
        true
    }

    /// Each witness's status.
    pub fn statuses(&self) -> Vec<WitnessStatus> {
        self.endpoints
            .iter()
            .map(|e| e.status.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect()
    }
}

fn checkpoint_size(note: &[u8]) -> Option<u64> {
    std::str::from_utf8(note).ok()?.lines().nth(1)?.parse().ok()
}

fn body_of(note: &[u8]) -> Option<&[u8]> {
    truce_log::cosignature::parse_note(note)
        .ok()
        .map(|(body, _)| body)
}

/// Runs witnessing rounds until the server stops. Spawned by [`crate::serve`] when witnesses
/// are configured.
pub async fn run(state: AppState) {
    let w = &state.0.witnessing;
    let Some(client) = w.client.clone() else {
        return;
    };
    // The size last witnessed by a round of this process, and when to retry witnesses that did
    // not cosign it.
    let mut last: Option<u64> = None;
    let mut retry_at: Option<tokio::time::Instant> = None;
    while !state.0.stopping.load(Ordering::SeqCst) {
        // On a shared log only the sequencer has checkpoints witnessed (and logs the rounds).
        if state.0.cluster.as_ref().is_some_and(|c| !c.is_sequencer()) {
            last = None;
            tokio::time::sleep(w.interval).await;
            continue;
        }
        let cp = state.checkpoint();
        let already = w.served().is_some_and(|s| {
            s.size == cp.size && last.is_none() && {
                // Read back at start: complete only if every witness's cosignature is on it.
                let n = w.endpoints.len();
                n > 0
                    && w.endpoints
                        .iter()
                        .all(|e| e.verifier.verify(&s.note).is_ok())
            }
        });
        let due = retry_at.is_some_and(|t| tokio::time::Instant::now() >= t);
        if already {
            last = Some(cp.size);
        } else if last != Some(cp.size) || due {
            let got = round(&state, &client, &cp).await;
            last = Some(cp.size);
            retry_at = (got < w.endpoints.len())
                .then(|| tokio::time::Instant::now() + w.timeout.max(Duration::from_secs(2)));
        }
        tokio::time::sleep(w.interval).await;
    }
}

/// One round: every witness asked concurrently for `cp`; the cosignatures that verify are
/// attached and the result is published.
pub async fn round(state: &AppState, client: &reqwest::Client, cp: &SignedCheckpoint) -> usize {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..state.0.witnessing.endpoints.len() {
        let (s, c, cp) = (state.clone(), client.clone(), cp.clone());
        set.spawn(async move { push(&s, &c, i, &cp).await });
    }
    let mut note = cp.note.clone();
    let mut lines = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(Some(line)) = r {
            lines.push(line);
        }
    }
    // A stable order: by witness name.
    lines.sort();
    for l in &lines {
        match add_cosignature(&note, l) {
            Ok(n) => note = n,
            Err(e) => tracing::warn!("cosignature not attached: {e}"),
        }
    }
    let w = &state.0.witnessing;
    if let Err(e) = write_atomically(&w.path, &note) {
        tracing::error!(
            "cannot keep the witnessed checkpoint in {}: {e}",
            w.path.display()
        );
    }
    tracing::info!(
        size = cp.size,
        cosignatures = lines.len(),
        witnesses = w.endpoints.len(),
        "checkpoint witnessed"
    );
    *w.served.write().unwrap_or_else(|p| p.into_inner()) = Some(Witnessed {
        size: cp.size,
        note: note.clone(),
    });
    if state.0.cluster.is_some() {
        // On a shared log every server publishes the sequencer's last witnessed checkpoint.
        let (s, size, n) = (state.clone(), cp.size, note.clone());
        let stored = tokio::task::spawn_blocking(move || {
            s.0.cluster.as_ref().map(|c| c.store_witnessed(size, &n))
        })
        .await;
        if let Ok(Some(Err(e))) = stored {
            tracing::warn!("recording the witnessed checkpoint for the other servers: {e}");
        }
    }
    log_round(state, cp.size, note).await;
    lines.len()
}

/// Logs a completed round as a `witnessing` entry (signed with the operator's key at this
/// server's clock, appended through the writer), so every entry's known-by interval can be
/// replayed from the log. Skipped, with the reason in the server's log, when no
/// `witness.policy` is logged, when the cosignatures do not meet it, when this server holds no
/// operator key, or when nothing but the last logged round is new (logging a round makes a new
/// checkpoint; a round of that one alone would never end).
pub async fn log_round(state: &AppState, size: u64, note: Vec<u8>) {
    let text = match String::from_utf8(note) {
        Ok(t) => t,
        Err(_) => return,
    };
    {
        let ledger = state.0.ledger.read().unwrap_or_else(|p| p.into_inner());
        let t = &ledger.time;
        if t.policies.is_empty() {
            tracing::debug!("round not logged: no witness.policy in the log");
            return;
        }
        if t.rounds
            .last()
            .is_some_and(|r| size <= r.index + 1 || size <= r.size)
        {
            return;
        }
        if let Err(why) = t.check_round(ledger.size, &text) {
            tracing::warn!(size, "round not logged: {why}");
            return;
        }
    }
    // The key is read with the ledger's lock released: no file IO while the writer may wait.
    let key_path = state.0.dir.join("operator.key");
    let signer = match truce_store::keyfile::read(&key_path)
        .map_err(|e| e.to_string())
        .and_then(|k| truce_log::parse_signer(&k).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("round not logged: the operator's key: {e}");
            return;
        }
    };
    let now = {
        let t = jiff::Timestamp::now();
        truce_model::Time(jiff::Timestamp::from_second(t.as_second()).unwrap_or(t))
    };
    let at = {
        let ledger = state.0.ledger.read().unwrap_or_else(|p| p.into_inner());
        ledger.time.next_clock(now)
    };
    let Ok(op) = truce_model::Id::new("operator") else {
        return;
    };
    let body =
        truce_model::Body::Witnessing(truce_model::witnessed::Witnessing { checkpoint: text });
    let entry = match truce_model::sign(&op, at, &body, &signer) {
        Ok(env) => env.bytes,
        Err(e) => {
            tracing::error!("round not logged: signing: {e}");
            return;
        }
    };
    match state
        .0
        .writer
        .submit(vec![entry])
        .await
        .map(|mut v| v.pop())
    {
        Ok(Some(Ok(ack))) => tracing::info!(size, index = ack.index, "witnessing round logged"),
        Ok(Some(Err(e))) => tracing::warn!(size, "round not logged: {e:?}"),
        Ok(None) => {}
        Err(e) => tracing::warn!(size, "round not logged: {e:?}"),
    }
}

fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("witnessed.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Asks witness `i` to cosign `cp`; returns its verified cosignature line.
async fn push(
    state: &AppState,
    client: &reqwest::Client,
    i: usize,
    cp: &SignedCheckpoint,
) -> Option<String> {
    let e = &state.0.witnessing.endpoints[i];
    let set = |f: &dyn Fn(&mut WitnessStatus)| {
        let mut st = e.status.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut st);
    };
    match exchange(state, client, e, cp).await {
        Ok((line, ts)) => {
            set(&|st| {
                st.size = Some(cp.size);
                st.cosigned_size = Some(cp.size);
                st.cosigned_at = Some(ts);
                st.error = None;
            });
            Some(line)
        }
        Err(why) => {
            tracing::warn!(witness = e.verifier.name(), url = %e.url, size = cp.size, "no cosignature: {why}");
            set(&|st| st.error = Some(why.clone()));
            None
        }
    }
}

async fn exchange(
    state: &AppState,
    client: &reqwest::Client,
    e: &Endpoint,
    cp: &SignedCheckpoint,
) -> Result<(String, u64), String> {
    let mut old = e
        .status
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .size
        .unwrap_or(0);
    let body = cp.body();
    // At most three tries: a 409 tells the witness's size, the next request starts from it.
    for _ in 0..3 {
        if old > cp.size {
            return Err(format!(
                "the witness has cosigned size {old}, beyond this log's {}: it saw another view of \
                 this log (a fork, or a log restored from an old backup)",
                cp.size
            ));
        }
        let (o, n) = (old, cp.size);
        let proof = state
            .read(move |r| {
                truce_log::prove_consistency(&Tiles(r.storage()), None, o, n)
                    .map_err(crate::ApiError::internal)
            })
            .await
            .map_err(|e| format!("cannot prove consistency from {old} to {n}: {e:?}"))?;
        let req = AddCheckpoint {
            old,
            proof,
            checkpoint: cp.note.clone(),
        };
        let resp = client
            .post(format!("{}/add-checkpoint", e.url))
            .header("content-type", "text/plain; charset=utf-8")
            .body(req.encode())
            .send()
            .await
            .map_err(|x| {
                truce_tls::tls_failure(&x, CA_HINT)
                    .unwrap_or_else(|| format!("unreachable: {}", truce_tls::chain(&x)))
            })?;
        let status = resp.status().as_u16();
        let bytes = truce_tls::read_capped(resp, MAX_WITNESS_ANSWER_BYTES, "a witness's answer")
            .await
            .map_err(|x| x.to_string())?;
        match status {
            200 => {
                let lines = parse_cosignature_lines(&bytes).map_err(|x| x.to_string())?;
                for l in lines {
                    let Ok(sig) = parse_signature_line(&l) else {
                        continue;
                    };
                    if e.verifier.matches(&sig) {
                        if let Some(ts) = e.verifier.verify_payload(&body, &sig.payload) {
                            if ts == 0 {
                                return Err("the cosignature has timestamp 0".into());
                            }
                            return Ok((l, ts));
                        }
                        return Err("the witness's cosignature does not verify with its key".into());
                    }
                }
                return Err(format!(
                    "the answer has no cosignature by {} (wrong key configured?)",
                    e.verifier.name()
                ));
            }
            409 => {
                let size = parse_tlog_size(&bytes)
                    .ok_or_else(|| "409 without a text/x.tlog.size body".to_string())?;
                e.status.lock().unwrap_or_else(|p| p.into_inner()).size = Some(size);
                if size == old {
                    return Err(format!(
                        "the witness holds a different checkpoint of size {size}: a fork"
                    ));
                }
                old = size;
            }
            _ => {
                let text = String::from_utf8_lossy(&bytes);
                let first = text
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(300)
                    .collect::<String>();
                return Err(format!("answered {status}: {first}"));
            }
        }
    }
    Err("the witness's size kept changing (another log is pushing the same origin?)".into())
}
