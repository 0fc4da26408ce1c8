//! `truce verify`: verify a whole Truce log and the findings derived from it, trusting nothing
//! the operator serves — only the log's verifier key (or a tlog-policy naming it and the
//! witnesses whose cosignatures make a quorum) and the verifier's own state file.
//!
//! [`verify`] reads a [`Source`] (a static mirror directory or an HTTP server) and runs named
//! checks, each `ok`, `failed` (with a message naming the exact place) or `skipped` (with why):
//!
//! 1. `checkpoint`: the latest checkpoint's log signature and, with a policy, the witnesses'
//!    quorum (naming who cosigned validly and who is missing).
//! 2. `tree`: every entry bundle and every hash tile at every level for the checkpoint's size is
//!    fetched; leaf hashes are recomputed from the entries and every tile from the level below,
//!    each served tile compared byte for byte, and the recomputed root compared with the
//!    checkpoint's. A dropped, altered or reordered entry, a missing tile or a bundle with the wrong
//!    number of entries is named by its path and entry index.
//! 3. `consistency`: against the last checkpoint this verifier trusted for the origin (the state
//!    file): a smaller size is a rollback, the same size with another root a fork, and a larger
//!    tree must contain the trusted one (its first `size` leaves hash to the trusted root).
//! 4. `signatures`: every entry is replayed into a [`truce_model::Ledger`]; an entry whose
//!    author, key or signature does not check (or manifest records that do not hash to the
//!    manifest's root) fails, named by its index; other refusals are warnings (they carry no weight
//!    in the engine either).
//! 5. `findings` and `compliance`: the engine judges the replayed ledger at the log size the
//!    published documents state, and the published findings and compliance tables must equal the
//!    recomputed ones.
//! 6. `publications`: every `publication` entry in the log (what was published: the SHA-256 of
//!    the findings and compliance, or of a daily report, computed at some log size under some
//!    rules) made under the rules this verifier implements is recomputed at its size during the
//!    same pass, and a digest that differs fails, naming the entry's index; one made under other
//!    rules is listed as not recomputable (see `publications`).
//!
//! The state file is updated only when the checkpoint, the tree and the consistency checks all
//! passed. A long tree pass records its progress in the state file every 64 bundles; a later run
//! against the same checkpoint does not fetch and compare the hash tiles of that prefix again. It
//! still reads (and rehashes) every entry — the replay needs them all, and the rehashed prefix must
//! equal the recorded one — so with `HttpSource` give a cache directory to avoid downloading the
//! bundles again.
//!
//! The pass is the operator's own replay, not a copy of it: `truce_views::derived`'s one replay
//! (`replay_to_hooked`, over `truce_model::replay`) reads the source as a `truce_views`
//! `LogSource` that checks the bundles as they stream — fetching each, hashing its entries into
//! the tree and comparing every hash tile on the feeding thread — while other threads decode the
//! entries fed before and one applies them in log order, calling the verifier's hooks there
//! (copies of the ledger where the published documents were computed, publications judged at
//! their sizes, refusals sorted into the checks). The findings are judged by
//! `truce_views::derived::judge_ledger`, as the operator's are. `truce-views` is linked without
//! its `store` feature: the verifier shares no code path with the operator's storage or server.

mod publications;
mod run;
pub mod source;
pub mod state;

pub use run::{verify, Options, Phase, ProgressFn, Trust};
pub use source::{DirSource, HttpSource, Source};
pub use state::{default_state_path, State};

use serde::Serialize;

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It passed.
    Ok,
    /// It found a problem.
    Failed,
    /// It was not run (the message says why).
    Skipped,
}

/// One named check of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `checkpoint`, `tree`, `consistency`, `signatures`, `findings`, `compliance` or
    /// `publications`.
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// One line: what passed, or the first problem (naming its place), or why it was skipped.
    pub message: String,
    /// Further lines: other problems, warnings, counts.
    pub details: Vec<String>,
}

/// The result of a verification. Serializes to JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The source verified (directory or base URL).
    pub source: String,
    /// The log's origin, once the checkpoint was read.
    pub origin: Option<String>,
    /// The verified checkpoint's size.
    pub size: Option<u64>,
    /// The verified checkpoint's root (base64).
    pub root: Option<String>,
    /// Whether no check failed.
    pub ok: bool,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// Whether the state file was updated to trust this checkpoint.
    pub state_updated: bool,
    /// Every publication entry the replay accepted, in log order, and what its check found.
    pub publications: Vec<PublicationCheck>,
    /// Where the time went, milliseconds (measured, so not comparable between runs).
    pub timings: Timings,
}

/// What the check of one publication entry found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationStatus {
    /// Every digest recomputed equals the published one.
    Ok,
    /// A digest differs, or the publication cannot be right (its message says why).
    Failed,
    /// Made under rules this verifier does not implement (or of a kind it does not know).
    NotRecomputable,
}

/// One published digest and the recomputed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedDigest {
    /// The SHA-256 (hex) in the publication entry.
    pub published: String,
    /// The SHA-256 (hex) of the document recomputed from the log, when it was.
    pub recomputed: Option<String>,
}

/// The check of one `publication` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicationCheck {
    /// The entry's index in the log.
    pub index: u64,
    /// Who signed it.
    pub author: String,
    /// What was published (`findings`, `report.daily`).
    pub what: String,
    /// The log size it was computed at.
    pub size: u64,
    /// The rules version it was computed under.
    pub rules: String,
    /// Its parameters (date, tz, checkpoint, role…).
    pub params: std::collections::BTreeMap<String, String>,
    /// The outcome.
    pub status: PublicationStatus,
    /// What was found, in one line.
    pub message: String,
    /// Each document's digest, published and recomputed.
    pub digests: std::collections::BTreeMap<String, PublishedDigest>,
}

impl PublicationCheck {
    /// One line: `entry 41: findings at log size 40 by operator (rules …): …`.
    pub fn line(&self) -> String {
        let mut extra = String::new();
        for k in ["date", "tz", "cutoff"] {
            if let Some(v) = self.params.get(k) {
                extra.push_str(&format!(" {k} {v}"));
            }
        }
        let mark = match self.status {
            PublicationStatus::Ok => "✓",
            PublicationStatus::Failed => "✗",
            PublicationStatus::NotRecomputable => "–",
        };
        format!(
            "{mark} entry {}: {}{extra} at log size {} by {} (rules {}): {}",
            self.index, self.what, self.size, self.author, self.rules, self.message
        )
    }
}

/// Where a verification spent its time, milliseconds. Reading entries, hashing them and replaying
/// them happen in one pass over the bundles, a pipeline: the feeding thread reads each bundle,
/// hashes its entries and compares the tiles (`fetch_ms`, `hash_ms`) while other threads decode
/// the entries fed before and apply them in log order — so `fetch_ms` and `hash_ms` overlap
/// `replay_ms`, the pass's wall time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timings {
    /// Reading entry bundles and hash tiles from the source and comparing the tiles (the feeding
    /// thread's share of the pass, and the pre-scan of a mirror's bundles for publications).
    pub fetch_ms: u64,
    /// Hashing the entries into the tree (every tile recomputed), on the feeding thread.
    pub hash_ms: u64,
    /// The pass over the bundles, wall time (reading, hashing, decoding, signature checks and
    /// rules, pipelined), less the judging at publications' sizes within it (in `judge_ms`).
    pub replay_ms: u64,
    /// The engine: snapshot and judgement (at the published documents' sizes and at every
    /// publication's size).
    pub judge_ms: u64,
    /// Comparing the published findings and compliance with the recomputed ones.
    pub compare_ms: u64,
    /// The whole verification (including the published documents' download).
    pub total_ms: u64,
}

impl Report {
    /// The check with this name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The report as text: one line per check with ✓ / ✗ / –, details indented.
    pub fn to_text(&self) -> String {
        let mut s = format!("verifying {}", self.source);
        if let (Some(o), Some(n)) = (&self.origin, self.size) {
            s.push_str(&format!(" ({o}, size {n})"));
        }
        s.push('\n');
        for c in &self.checks {
            let mark = match c.status {
                Status::Ok => "✓",
                Status::Failed => "✗",
                Status::Skipped => "–",
            };
            s.push_str(&format!("{mark} {:<12} {}\n", c.name, c.message));
            for d in &c.details {
                s.push_str(&format!("    {d}\n"));
            }
        }
        s.push_str(if self.ok {
            "ok: every check passed\n"
        } else {
            "FAILED: see the checks marked ✗\n"
        });
        s
    }
}

/// Why a verification could not run: the source or a local file failed. (Problems with what the
/// source serves are failed checks in the [`Report`], not errors.)
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The source could not be reached or lacks its checkpoint.
    #[error("cannot reach {what}: {why}")]
    Unreachable {
        /// The URL or path.
        what: String,
        /// What happened.
        why: String,
    },
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}: {body}; check the URL, or retry if the server is overloaded")]
    Http {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A published document is not what it should be (reported as a failed check where it
    /// concerns derived documents).
    #[error("{what}: {why}")]
    Malformed {
        /// The file or URL.
        what: String,
        /// What is wrong.
        why: String,
    },
    /// The state file is unreadable or not a state file.
    #[error("state file {path}: {why}; fix it, or remove it to start trusting afresh")]
    State {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// The log key or policy given is unusable.
    #[error("{0}")]
    Trust(String),
    /// A CA certificate file given for HTTPS (`--ca-cert`) is unusable.
    #[error("{0}")]
    CaCert(#[from] truce_tls::CaFileError),
    /// An answer was larger than the most what was asked for can be (a hostile or wrong
    /// server): reading stopped at the cap. The message names the URL and the limit.
    #[error("{0}")]
    TooLarge(truce_tls::BodyError),
}

impl VerifyError {
    /// Whether the error is in the verifier's own input (state file, key, policy, CA file)
    /// rather than in reaching the source.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            VerifyError::State { .. } | VerifyError::Trust(_) | VerifyError::CaCert(_)
        )
    }
}
