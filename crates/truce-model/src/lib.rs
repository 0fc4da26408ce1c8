//! Truce's domain model: who said what, signed.
//!
//! Pure: no IO, no clock, no randomness. Times come from entries; keys are passed in.
//!
//! - [`domain`]: the concepts of the brief as validated types (parties, processes, agreements,
//!   readings and terms, sites, reports, assessments, commitments, fulfilments, statements).
//! - [`taxonomy`]: the shared category taxonomy and named sets (the Kremlin's five categories, the
//!   White House's "energy and infrastructure").
//! - [`entry`]: signed envelopes in RFC 8785 canonical JSON.
//! - [`ledger`]: acceptance rules and the state folded from the log.
//! - [`lifecycle`]: extensions (every required party's consent to the same end) and conditions
//!   precedent (versioned statuses).
//! - [`front`]: terms along a line of contact that need no protected target (buffers,
//!   withdrawal zones, fire across the line, advances), and what reports say of weapons and of
//!   the direction of fire.
//! - [`lines`]: lines of contact, reference lines and control areas as versioned `line`
//!   entries, and their one JSON shape.
//! - [`views`]: readings diff, commitment reconciliation, claims and contradictions.
//! - [`witnessed`]: trusted time — witness policies, witnessing rounds and sequencer clocks in the
//!   log, and each entry's known-by interval.
//! - [`ais`]: AIS track segments and vessels' static data as bulk records, and the ledger's
//!   compact stores of them.
//! - [`authoring`]: the TOML files people write, turned into entry bodies with line-numbered errors.

pub mod ais;
pub mod authoring;
mod canonical;
pub mod domain;
pub mod entry;
pub mod front;
pub mod gate;
pub mod geo;
pub mod ledger;
pub mod lifecycle;
pub mod lines;
pub mod replay;
pub mod reports;
pub mod taxonomy;
pub mod time;
pub mod views;
pub mod witnessed;

pub use domain::{Id, Role};
pub use entry::{decode, sign, Body, Envelope, Kind};
pub use ledger::{Applied, Decoded, EntryAt, Ledger, Refusals, Rejection};
pub use time::{Date, Time};
