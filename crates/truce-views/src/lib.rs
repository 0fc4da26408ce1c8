//! Truce's derived state, shared by the CLI, the HTTP service and (able to be) the verifier:
//! everything computed from the log rather than stored in it. No HTTP here: no axum, no tokio.
//!
//! Modules: `source` (the [`LogSource`] trait: what a replay reads of a log — its latest
//! checkpoint, roots, entries in order; implemented for `truce_store::LogReader` behind the
//! `store` feature), `derived` (the one replay of the log into a ledger, replay → judge →
//! `views.db`, and the views as of an earlier log size cached in `views-asof-N.db`), `db` (the
//! views database itself, `ViewStore`, with its filters and rows), `history` and `lifecycle` (the
//! versions of readings, consents and conditions with the findings each changed), `filters` (the
//! values the `agreement`, `reading` and `party` filters may take), `review` (the monitors' review
//! queue), `publication` (the documents `truce publish` and `POST /v1/publications` publish).

pub mod db;
pub mod derived;
pub mod filters;
pub mod history;
pub mod lifecycle;
pub mod live;
pub mod publication;
pub mod query;
pub mod review;
pub mod source;

pub use derived::DerivedError;
pub use source::{LogSource, SourceError};
