//! Trusted time: when the log knew each entry, bounded by what its witnesses cosigned.
//!
//! An entry's own `time` is its author's word. What nobody alone can fake is its *known-by
//! interval*: it was appended after the log held the cosignatures of the last witnessing round
//! logged before it, and it was in the log when a quorum of witnesses cosigned the first
//! checkpoint that includes it. Three operator entries make this replayable from the log alone:
//!
//! - `witness.policy`: the C2SP tlog-policy the operator's rounds are judged under (its `log`
//!   line names the log key that signs checkpoints; its witnesses and quorum say whose
//!   cosignatures count). Every filing is a version; each round is judged under the one logged
//!   before it.
//! - `witnessing`: one round's checkpoint with the cosignatures that verified (C2SP
//!   tlog-cosignature v1 carries each witness's timestamp). Its tree size is at most its own
//!   index (a round witnesses what is already logged) and grows from round to round.
//! - `clock`: the sequencer's clock, the last entry of each batch it appends. It never goes
//!   backwards — also across a change of sequencer, since the next one reads the last clock from
//!   the log — and it must fall inside its own known-by interval (checked by [`Timeline::clock_faults`],
//!   reported by `truce verify`).
//!
//! The bounds use quorum times ([`truce_log::policy::Policy::quorum_reached_at`] and
//! [`truce_log::policy::Policy::quorum_held_since`]), so one colluding witness cannot move an
//! interval outside what the policy's quorum signed. Whether a round's checkpoint is the log's own
//! (its root equals the tree's root at that size) needs the tiles: `truce verify` checks it; the
//! ledger checks the log key's signature, the cosignatures and the quorum.

use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use truce_log::policy::{CheckError, Policy};

/// The witness policy the operator's witnessing rounds are judged under (body of
/// `witness.policy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessPolicy {
    /// A C2SP tlog-policy text: `log`, `witness`, `group` and `quorum` lines.
    pub policy: String,
}

/// One witnessing round (body of `witnessing`): a checkpoint of this log with the cosignatures
/// that verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witnessing {
    /// The signed checkpoint note, cosignature lines included (text).
    pub checkpoint: String,
}

/// The sequencer's clock at the end of a batch (body of `clock`; the clock is the entry's
/// `time`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// The index of the batch's first entry.
    pub first: u64,
    /// How many entries the batch held before this one (so this entry's index is
    /// `first + entries`, which makes every clock entry unique).
    pub entries: u64,
}

/// The sequencer's `clock` entry closing the batch of `entries` entries that starts at index
/// `first`, signed by the operator at `now` but never before the log's last clock reading;
/// `None` while the operator is not registered in `ledger` (the genesis batch). The one place
/// every sequencer (the CLI, `truce ingest`, the server's writer) makes its clock entries.
pub fn clock_entry(
    ledger: &crate::Ledger,
    first: u64,
    entries: u64,
    now: Time,
    operator: &dyn signed_note::Signer,
) -> Option<Result<crate::Envelope, crate::entry::EntryError>> {
    let op = crate::Id::new("operator").ok()?;
    if !ledger.parties.contains_key(&op) {
        return None;
    }
    let body = crate::Body::Clock(Clock { first, entries });
    Some(crate::sign(
        &op,
        ledger.time.next_clock(now),
        &body,
        operator,
    ))
}

/// A logged witnessing round, as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    /// The round entry's log index.
    pub index: u64,
    /// The tree size of the checkpoint it cosigned.
    pub size: u64,
    /// That checkpoint's root hash (base64).
    pub root: String,
    /// The log index of the `witness.policy` it was judged under.
    pub policy: u64,
    /// The witnesses (policy names) whose cosignatures verified, with their timestamps (POSIX
    /// seconds).
    pub witnesses: BTreeMap<String, u64>,
    /// The cosigned checkpoint note as logged (to judge it again under another policy).
    #[serde(skip)]
    pub note: String,
    /// When the quorum was reached: every entry below `size` was in the log by then.
    pub reached_at: Time,
    /// The latest time a quorum had all signed at or after: every entry after this round entry
    /// was appended after it.
    pub held_since: Time,
}

/// An entry's known-by interval: the log knew it after `after` and by `by` (either may be
/// unknown yet: before the first round, or until a round covers the entry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownBy {
    /// Not known before this time (the last round logged before the entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Time>,
    /// The index of that round's entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_round: Option<u64>,
    /// Known by this time (the first round whose checkpoint includes the entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Time>,
    /// The index of that round's entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_round: Option<u64>,
}

/// Something wrong with the sequencer's clocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockFault {
    /// The clock entry's index.
    pub index: u64,
    /// What is wrong, in words.
    pub message: String,
}

/// The log's trusted time: policies, rounds and clocks in log order.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Every `witness.policy` filed: (log index, text, parsed).
    pub policies: Vec<(u64, String, Policy)>,
    /// Every witnessing round, in log order (sizes strictly increase).
    pub rounds: Vec<Round>,
    /// Every clock reading: (log index, time), never decreasing. `witnessing` entries are
    /// readings too (the operator signs them at its clock).
    pub clocks: Vec<(u64, Time)>,
}

fn secs(t: u64) -> Time {
    Time(
        jiff::Timestamp::from_second(t.min(i64::MAX as u64) as i64).unwrap_or(jiff::Timestamp::MAX),
    )
}

impl Timeline {
    /// Checks a policy text for a `witness.policy` entry.
    pub fn check_policy(text: &str) -> Result<Policy, String> {
        let p = Policy::parse(text).map_err(|e| format!("witness policy: {e}"))?;
        if p.quorum.is_none() {
            return Err(
                "witness policy: `quorum none` bounds no time; name a witness or a group".into(),
            );
        }
        Ok(p)
    }

    /// Checks a round about to be logged at `index`, judged under the latest policy.
    pub fn check_round(&self, index: u64, note: &str) -> Result<Round, String> {
        let Some((pi, _, policy)) = self.policies.last() else {
            return Err(
                "no witness policy is logged yet: the operator files one first (`truce witness policy FILE`)"
                    .into(),
            );
        };
        let checked = policy.check(note.as_bytes()).map_err(|e| match e {
            CheckError::Log(e) => format!("the round's checkpoint: {e}"),
            CheckError::QuorumNotMet { witnesses, .. } => format!(
                "the round's cosignatures do not meet the witness policy (entry {pi}): valid ones only from {:?}",
                witnesses.keys().collect::<Vec<_>>()
            ),
        })?;
        let size = checked.checkpoint.size;
        if size > index {
            return Err(format!(
                "the round cosigned a tree of {size} entries, but it is entry {index}: a round witnesses what is already logged"
            ));
        }
        if let Some(last) = self.rounds.last() {
            if size <= last.size {
                return Err(format!(
                    "the round's tree size {size} is not larger than the last round's ({}, entry {})",
                    last.size, last.index
                ));
            }
        }
        let (Some(reached), Some(held)) = (
            policy.quorum_reached_at(&checked.witnesses),
            policy.quorum_held_since(&checked.witnesses),
        ) else {
            return Err("the round's cosignatures bound no time under the policy".into());
        };
        Ok(Round {
            note: note.to_string(),
            index,
            size,
            root: checked.checkpoint.root.to_string(),
            policy: *pi,
            witnesses: checked.witnesses,
            reached_at: secs(reached),
            held_since: secs(held),
        })
    }

    /// Checks a `clock` entry about to be logged at `index`: it closes the batch it describes.
    pub fn check_clock_entry(index: u64, c: &Clock) -> Result<(), String> {
        if c.first.checked_add(c.entries) != Some(index) {
            return Err(format!(
                "a clock entry closing the batch from entry {} of {} entries belongs at index {}, not {index}",
                c.first,
                c.entries,
                c.first.saturating_add(c.entries)
            ));
        }
        Ok(())
    }

    /// Checks a clock reading (a `clock` or `witnessing` entry's time): never backwards.
    pub fn check_clock(&self, time: Time) -> Result<(), String> {
        match self.clocks.last() {
            Some((i, last)) if time < *last => Err(format!(
                "the sequencer's clock went backwards: {time} is before {last} (entry {i}); a sequencer never writes an earlier clock than the log's last"
            )),
            _ => Ok(()),
        }
    }

    /// The last clock reading, if any: a sequencer starts from it.
    pub fn last_clock(&self) -> Option<Time> {
        self.clocks.last().map(|c| c.1)
    }

    /// The clock a sequencer writes when its own clock reads `now`: never before the last one.
    pub fn next_clock(&self, now: Time) -> Time {
        self.last_clock().map_or(now, |l| l.max(now))
    }

    /// The known-by interval of the entry at `index`.
    pub fn known_by(&self, index: u64) -> KnownBy {
        let before = self.rounds.partition_point(|r| r.index < index);
        let after = before.checked_sub(1).map(|i| &self.rounds[i]);
        let covering = self.rounds.partition_point(|r| r.size <= index);
        let by = self.rounds.get(covering);
        KnownBy {
            after: after.map(|r| r.held_since),
            after_round: after.map(|r| r.index),
            by: by.map(|r| r.reached_at),
            by_round: by.map(|r| r.index),
        }
    }

    /// The largest log size whose every entry was known by `t` (the largest round size whose
    /// quorum was reached at or before `t`), if any round qualifies.
    pub fn size_known_by(&self, t: Time) -> Option<u64> {
        self.rounds
            .iter()
            .filter(|r| r.reached_at <= t)
            .map(|r| r.size)
            .max()
    }

    /// The same rounds and clocks judged under `policy` instead of the logged policies (a
    /// verifier's own): the timeline it gives, and each logged round that does not meet it (whose
    /// bounds then come only from the rounds that do).
    pub fn under(&self, policy: &Policy) -> (Timeline, Vec<String>) {
        let mut t = Timeline {
            policies: vec![(0, String::new(), policy.clone())],
            rounds: Vec::new(),
            clocks: self.clocks.clone(),
        };
        let mut missed = Vec::new();
        for r in &self.rounds {
            match t.check_round(r.index, &r.note) {
                Ok(mut round) => {
                    round.policy = r.policy;
                    t.rounds.push(round);
                }
                Err(why) => missed.push(format!("entry {}: {why}", r.index)),
            }
        }
        (t, missed)
    }

    /// Clocks outside their own known-by interval.
    pub fn clock_faults(&self) -> Vec<ClockFault> {
        let mut out = Vec::new();
        for &(index, t) in &self.clocks {
            let k = self.known_by(index);
            if let Some(after) = k.after.filter(|a| t < *a) {
                out.push(ClockFault {
                    index,
                    message: format!(
                        "the sequencer's clock {t} is before {after}, when a quorum of witnesses had already cosigned the round logged at entry {} before it",
                        k.after_round.unwrap_or_default()
                    ),
                });
            }
            if let Some(by) = k.by.filter(|b| t > *b) {
                out.push(ClockFault {
                    index,
                    message: format!(
                        "the sequencer's clock {t} is after {by}, when a quorum of witnesses had already cosigned a checkpoint including it (round at entry {})",
                        k.by_round.unwrap_or_default()
                    ),
                });
            }
        }
        out
    }
}

/// When the log knew one entry, against what its author stated: the one JSON shape of `truce log
/// known-by` and `GET /v1/entries/{index}/known-by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryTime {
    /// The entry's index.
    pub index: u64,
    /// Its kind (absent for a raw, non-envelope entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The time its author stated (absent for a raw entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stated: Option<Time>,
    /// Its known-by interval.
    pub known_by: KnownBy,
    /// Seconds the stated time lies before `known_by.after`, when more than the late-filing
    /// threshold: a late (or backdated) filing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_by_s: Option<i64>,
    /// Seconds the stated time lies after `known_by.by`, when more than the clock skew allowed:
    /// the author dated it after the log already held it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead_by_s: Option<i64>,
    /// The interval and the flags in words.
    pub words: String,
}

impl EntryTime {
    /// The known-by interval of entry `index` (stated at `stated`, of `kind`), flagged against
    /// the submission gates' thresholds.
    pub fn new(
        timeline: &Timeline,
        index: u64,
        kind: Option<&str>,
        stated: Option<Time>,
        limits: &crate::gate::Limits,
    ) -> EntryTime {
        let known_by = timeline.known_by(index);
        let diff = |a: Time, b: Time| a.0.as_second() - b.0.as_second();
        let late_by_s = match (stated, known_by.after) {
            (Some(s), Some(a)) if diff(a, s) > limits.late_filing_s as i64 => Some(diff(a, s)),
            _ => None,
        };
        let ahead_by_s = match (stated, known_by.by) {
            (Some(s), Some(b)) if diff(s, b) > limits.max_clock_skew_s as i64 => Some(diff(s, b)),
            _ => None,
        };
        let mut words = match (known_by.after, known_by.by) {
            (Some(a), Some(b)) => format!("known to the log after {a} and by {b}"),
            (Some(a), None) => {
                format!("known to the log after {a}; no witnessing round covers it yet")
            }
            (None, Some(b)) => format!("known to the log by {b}"),
            (None, None) => "no witnessing round bounds it".to_string(),
        };
        if let Some(d) = late_by_s {
            words.push_str(&format!(
                "; filed late: its stated time is {} before the log could have known it",
                crate::gate::span(d)
            ));
        }
        if let Some(d) = ahead_by_s {
            words.push_str(&format!(
                "; dated {} after the log already held it",
                crate::gate::span(d)
            ));
        }
        EntryTime {
            index,
            kind: kind.map(str::to_string),
            stated,
            known_by,
            late_by_s,
            ahead_by_s,
            words,
        }
    }
}
