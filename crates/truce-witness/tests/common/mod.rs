//! What the witness tests share: an in-memory log (leaf hashes, roots and RFC 6962 consistency
//! proofs computed from the definitions, real signed checkpoints), a witness trusting it, and a
//! real server on port 0 driven with blocking reqwest.
#![allow(dead_code)]

use std::sync::Arc;
use truce_log::cosignature::Cosigner;
use truce_log::witness::AddCheckpoint;
use truce_log::{node_hash, record_hash, sign_checkpoint, Hash, EMPTY_HASH};
use truce_witness::{TrustedLog, Witness, WitnessState, WitnessStore};

/// RFC 6962 MTH over leaf hashes.
pub fn mth(h: &[Hash]) -> Hash {
    match h.len() {
        0 => EMPTY_HASH,
        1 => h[0],
        n => {
            let k = split(n);
            node_hash(mth(&h[..k]), mth(&h[k..]))
        }
    }
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    1usize << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// RFC 6962 SUBPROOF(m, D[n], b).
fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

/// A log: an origin, its key, and its leaves.
#[derive(Clone)]
pub struct Log {
    pub origin: String,
    pub signer: truce_log::KeyPair,
    pub leaves: Vec<Hash>,
    tag: String,
}

impl Log {
    /// A log of `n` entries named `origin`, with a key derived from `seed`.
    pub fn new(origin: &str, seed: u8, n: usize) -> Self {
        let mut l = Log {
            origin: origin.to_string(),
            signer: truce_log::key_from_seed(origin, [seed; 32]).unwrap(),
            leaves: vec![],
            tag: "main".into(),
        };
        l.grow(n);
        l
    }

    /// Appends entries until the log has `n`.
    pub fn grow(&mut self, n: usize) {
        while self.leaves.len() < n {
            let e = format!(
                "{} entry {} of {}",
                self.tag,
                self.leaves.len(),
                self.origin
            );
            self.leaves.push(record_hash(e.as_bytes()));
        }
    }

    /// The same log (same key) whose history diverges after `at` entries, grown to `n`.
    pub fn fork(&self, at: usize, n: usize) -> Self {
        let mut f = self.clone();
        f.leaves.truncate(at);
        f.tag = format!("fork at {at}");
        f.grow(n);
        f
    }

    /// The log key's verifier text.
    pub fn vkey(&self) -> String {
        self.signer.verifier.clone()
    }

    /// The root of the first `size` entries.
    pub fn root(&self, size: usize) -> Hash {
        mth(&self.leaves[..size])
    }

    /// The checkpoint of size `size`, signed by the log key.
    pub fn checkpoint(&self, size: usize) -> Vec<u8> {
        let signer = truce_log::parse_signer(&self.signer.signer).unwrap();
        sign_checkpoint(&signer, &self.origin, size as u64, self.root(size))
            .unwrap()
            .note
    }

    /// The checkpoint body (the signed text) of size `size`.
    pub fn body(&self, size: usize) -> Vec<u8> {
        let note = self.checkpoint(size);
        let (body, _) = truce_log::cosignature::parse_note(&note).unwrap();
        body.to_vec()
    }

    /// The consistency proof from `old` to `new`.
    pub fn proof(&self, old: usize, new: usize) -> Vec<Hash> {
        if old == 0 || old == new {
            return vec![];
        }
        subproof(old, &self.leaves[..new], true)
    }

    /// An add-checkpoint request body from `old` to `size`.
    pub fn request(&self, old: usize, size: usize) -> Vec<u8> {
        AddCheckpoint {
            old: old as u64,
            proof: self.proof(old, size),
            checkpoint: self.checkpoint(size),
        }
        .encode()
    }

    /// The trusted-log entry for this log.
    pub fn trusted(&self) -> TrustedLog {
        TrustedLog::new(&self.origin, &[self.vkey()]).unwrap()
    }
}

/// The witness key used by the tests.
pub fn cosigner() -> Cosigner {
    Cosigner::new(
        "witness.test/w1",
        ed25519_dalek::SigningKey::from_bytes(&[77; 32]),
    )
    .unwrap()
}

/// A witness trusting `logs`.
pub fn witness(logs: &[&Log]) -> Witness {
    Witness::new(cosigner(), logs.iter().map(|l| l.trusted()).collect()).unwrap()
}

/// The current time in POSIX seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A witness server on 127.0.0.1:0, running on its own runtime thread.
pub struct Server {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts serving `witness` over `store`.
    pub fn start(witness: Witness, store: Arc<dyn WitnessStore>) -> Self {
        let state = WitnessState::new(witness, store);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                truce_witness::serve(listener, state, async move {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        Server {
            url: format!("http://{addr}"),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// An answer: status, content type, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// A blocking client.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// POSTs `body` to `<url>/add-checkpoint`.
pub fn post(c: &reqwest::blocking::Client, url: &str, body: Vec<u8>) -> Answer {
    let r = c
        .post(format!("{url}/add-checkpoint"))
        .body(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    Answer {
        status,
        content_type,
        body: r.text().unwrap(),
    }
}
