//! A C2SP tlog-witness (`c2sp.org/tlog-witness`): it cosigns checkpoints of the logs it trusts,
//! but only if each is consistent with the last checkpoint it cosigned for that log, so a log that
//! shows different histories to different people is caught by any witness it asked.
//!
//! The pieces:
//! - [`core`]: the pure decision for one `add-checkpoint` request ([`Witness::add_checkpoint`]):
//!   no IO, no clock (the time is passed in), every answer of the spec as an [`AddError`] with its
//!   HTTP status.
//! - [`store`]: the witness's state, the latest cosigned `(size, root, note)` per origin, behind
//!   the [`WitnessStore`] trait. Its one write is a compare-and-swap on the stored size, so the
//!   state never moves backwards, even with concurrent requests or two processes on one file.
//!   [`SqliteWitnessStore`] is durable (WAL, `synchronous=FULL`, `BEGIN IMMEDIATE`);
//!   [`MemWitnessStore`] is for tests, with injectable failures.
//! - [`config`]: the TOML configuration (key file, state file, listen address, trusted logs).
//! - [`http`]: the axum service, `POST /add-checkpoint` and `GET /healthz` ([`http::app`],
//!   [`http::serve`]); it reads the clock and runs store work off the runtime threads.

pub mod config;
pub mod core;
pub mod http;
pub mod store;

pub use crate::config::Config;
pub use crate::core::{AddError, TrustedLog, Witness};
pub use crate::http::{app, serve, serve_with, WitnessState};
pub use crate::store::{MemFaults, MemWitnessStore, SqliteWitnessStore, WitnessStore, Witnessed};

/// Everything that can go wrong outside a request's verdict: configuration, keys, files and the
/// state database.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The configuration is invalid; `field` names the offending key (`log[1].keys[0]`, `key`, …).
    #[error("config {field}: {why}")]
    Config {
        /// The offending field.
        field: String,
        /// What is wrong and what to write instead.
        why: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The state database failed.
    #[error("witness state {path}: {source}{hint}")]
    Sqlite {
        /// The database file.
        path: String,
        /// The underlying error.
        source: rusqlite::Error,
        /// What to do about it, if known.
        hint: &'static str,
    },
    /// The stored state is not what this witness wrote.
    #[error("witness state is corrupt: {0}")]
    Corrupt(String),
    /// A failure injected by a test ([`MemWitnessStore`]).
    #[error("injected failure: {0}")]
    Injected(String),
}
