//! C2SP tlog-policy: which log key signs checkpoints, which witnesses cosign them, and which
//! (nested) groups of witnesses make a quorum — e.g. "side A and side B and 2 of 3 monitors".
//!
//! The format is line based: `log <vkey> [url]`, `witness <name> <vkey> [url]`,
//! `group <name> <k|any|all> <member>...` (members are witnesses or earlier groups) and
//! `quorum <name|none>`; `#` starts a comment, blank lines are ignored.

use crate::cosignature::{parse_note, CosignatureVerifier};
use crate::{open_checkpoint, parse_verifier, LogError, SignedCheckpoint};
use signed_note::{StandardVerifier, Verifier as _};
use std::collections::{BTreeMap, BTreeSet};

/// A policy text that could not be parsed. Every variant tied to a line names it (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A line has an unknown keyword or the wrong number of fields.
    #[error("line {line}: {why}")]
    Syntax {
        /// The line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A log or witness key is malformed.
    #[error("line {line}: invalid key: {why}")]
    BadKey {
        /// The line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A witness or group name is used twice (or a key is used by two witnesses).
    #[error("line {line}: duplicate {what} {name:?} (first defined on line {first})")]
    Duplicate {
        /// The line number.
        line: usize,
        /// What is duplicated: "name", "log key" or "witness key".
        what: &'static str,
        /// The duplicated name.
        name: String,
        /// The line of the first definition.
        first: usize,
    },
    /// A group member or the quorum names no witness or group.
    #[error("line {line}: unknown witness or group {name:?}")]
    UnknownMember {
        /// The line number.
        line: usize,
        /// The unknown name.
        name: String,
    },
    /// A group member is a group defined on a later line.
    #[error("line {line}: {name:?} is referenced before its definition on line {defined}")]
    ReferencedBeforeDefinition {
        /// The line number.
        line: usize,
        /// The member's name.
        name: String,
        /// The line where it is defined.
        defined: usize,
    },
    /// A group's threshold is not between 1 and its number of members.
    #[error("line {line}: threshold {k} is not between 1 and the group's {members} members")]
    BadThreshold {
        /// The line number.
        line: usize,
        /// The threshold.
        k: String,
        /// The number of members.
        members: usize,
    },
    /// More than one quorum line.
    #[error("line {line}: a second quorum line (the first is on line {first})")]
    DuplicateQuorum {
        /// The line number.
        line: usize,
        /// The first quorum line.
        first: usize,
    },
    /// The policy has no `log` line.
    #[error("the policy has no log line")]
    MissingLog,
    /// The policy has no `quorum` line.
    #[error("the policy has no quorum line (use `quorum none` if no cosignatures are needed)")]
    MissingQuorum,
}

impl PolicyError {
    /// The 1-based line the error is on, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            PolicyError::Syntax { line, .. }
            | PolicyError::BadKey { line, .. }
            | PolicyError::Duplicate { line, .. }
            | PolicyError::UnknownMember { line, .. }
            | PolicyError::ReferencedBeforeDefinition { line, .. }
            | PolicyError::BadThreshold { line, .. }
            | PolicyError::DuplicateQuorum { line, .. } => Some(*line),
            PolicyError::MissingLog | PolicyError::MissingQuorum => None,
        }
    }
}

/// Why a checkpoint note does not satisfy a policy.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The log signature is missing or invalid, or the note is malformed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The log signature verifies but the valid cosignatures do not meet the quorum.
    #[error("quorum not met: valid cosignatures only from {witnesses:?}")]
    QuorumNotMet {
        /// The checkpoint (its log signature verified).
        checkpoint: SignedCheckpoint,
        /// The witnesses whose cosignatures verified, with their timestamps.
        witnesses: BTreeMap<String, u64>,
    },
}

/// A checkpoint that satisfies a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCheckpoint {
    /// The checkpoint, its log signature verified.
    pub checkpoint: SignedCheckpoint,
    /// The witnesses (by policy name) whose cosignatures verified, with their timestamps.
    pub witnesses: BTreeMap<String, u64>,
}

/// A log key named in a policy.
#[derive(Clone)]
pub struct PolicyLog {
    /// The verifier key text.
    pub vkey: String,
    /// The optional URL after the key.
    pub url: Option<String>,
    verifier: StandardVerifier,
}

impl std::fmt::Debug for PolicyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyLog")
            .field("vkey", &self.vkey)
            .field("url", &self.url)
            .finish()
    }
}

/// A witness named in a policy.
#[derive(Debug, Clone)]
pub struct PolicyWitness {
    /// The policy name of the witness.
    pub name: String,
    /// Its cosignature verifier.
    pub verifier: CosignatureVerifier,
    /// The optional URL after the key.
    pub url: Option<String>,
}

/// A member of a group: a witness or an earlier group (indexes into the policy's lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// The witness at this index.
    Witness(usize),
    /// The group at this index.
    Group(usize),
}

/// A group of witnesses and groups, satisfied when `k` of its members are.
#[derive(Debug, Clone)]
pub struct PolicyGroup {
    /// The group's name.
    pub name: String,
    /// How many members must be satisfied.
    pub k: usize,
    /// The members.
    pub members: Vec<Member>,
}

/// A parsed tlog-policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The log keys (a checkpoint is checked with the one whose name is its origin).
    pub logs: Vec<PolicyLog>,
    /// The witnesses, in order of definition.
    pub witnesses: Vec<PolicyWitness>,
    /// The groups, in order of definition.
    pub groups: Vec<PolicyGroup>,
    /// The quorum: `None` for `quorum none`.
    pub quorum: Option<Member>,
}

fn url(fields: &[&str], at: usize, line: usize) -> Result<Option<String>, PolicyError> {
    match fields.len() {
        n if n == at => Ok(None),
        n if n == at + 1 => Ok(Some(fields[at].to_string())),
        _ => Err(PolicyError::Syntax {
            line,
            why: format!("too many fields for a {} line", fields[0]),
        }),
    }
}

impl Policy {
    /// Parses a policy text.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let lines: Vec<(usize, Vec<&str>)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or("")))
            .map(|(n, l)| (n, l.split_whitespace().collect::<Vec<_>>()))
            .filter(|(_, f)| !f.is_empty())
            .collect();
        // Where every witness and group is defined (first definition), to tell "defined later"
        // from "unknown".
        let mut defined_at: BTreeMap<&str, usize> = BTreeMap::new();
        for (n, f) in &lines {
            if matches!(f[0], "witness" | "group") && f.len() > 1 {
                defined_at.entry(f[1]).or_insert(*n);
            }
        }
        let mut names: BTreeMap<String, (Member, usize)> = BTreeMap::new();
        let mut logs: Vec<(PolicyLog, usize)> = Vec::new();
        let mut witnesses = Vec::new();
        let mut witness_keys: BTreeMap<String, usize> = BTreeMap::new();
        let mut groups = Vec::new();
        let mut quorum: Option<(usize, &str)> = None;
        for (line, f) in &lines {
            let line = *line;
            let syntax = |why: String| PolicyError::Syntax { line, why };
            let define = |names: &mut BTreeMap<String, (Member, usize)>,
                          name: &str,
                          m: Member|
             -> Result<(), PolicyError> {
                if name == "none" {
                    return Err(PolicyError::Syntax {
                        line,
                        why: "\"none\" is reserved and cannot name a witness or group".into(),
                    });
                }
                if let Some((_, first)) = names.get(name) {
                    return Err(PolicyError::Duplicate {
                        line,
                        what: "name",
                        name: name.to_string(),
                        first: *first,
                    });
                }
                names.insert(name.to_string(), (m, line));
                Ok(())
            };
            match f[0] {
                "log" => {
                    if f.len() < 2 {
                        return Err(syntax("expected `log <vkey> [url]`".into()));
                    }
                    let verifier = parse_verifier(f[1]).map_err(|e| PolicyError::BadKey {
                        line,
                        why: e.to_string(),
                    })?;
                    if let Some((_, first)) = logs
                        .iter()
                        .find(|(l, _)| l.verifier.name() == verifier.name())
                    {
                        return Err(PolicyError::Duplicate {
                            line,
                            what: "log key",
                            name: verifier.name().to_string(),
                            first: *first,
                        });
                    }
                    let log = PolicyLog {
                        vkey: f[1].to_string(),
                        url: url(f, 2, line)?,
                        verifier,
                    };
                    logs.push((log, line));
                }
                "witness" => {
                    if f.len() < 3 {
                        return Err(syntax("expected `witness <name> <vkey> [url]`".into()));
                    }
                    let verifier =
                        CosignatureVerifier::from_vkey(f[2]).map_err(|e| PolicyError::BadKey {
                            line,
                            why: e.to_string(),
                        })?;
                    let url = url(f, 3, line)?;
                    define(&mut names, f[1], Member::Witness(witnesses.len()))?;
                    if let Some(first) = witness_keys.insert(verifier.vkey(), line) {
                        return Err(PolicyError::Duplicate {
                            line,
                            what: "witness key",
                            name: f[1].to_string(),
                            first,
                        });
                    }
                    witnesses.push(PolicyWitness {
                        name: f[1].to_string(),
                        verifier,
                        url,
                    });
                }
                "group" => {
                    if f.len() < 4 {
                        return Err(syntax(
                            "expected `group <name> <k|any|all> <member>...`".into(),
                        ));
                    }
                    let mut members = Vec::new();
                    let mut seen = BTreeSet::new();
                    for &m in &f[3..] {
                        if !seen.insert(m) {
                            return Err(syntax(format!("member {m:?} is listed twice")));
                        }
                        match names.get(m) {
                            Some((member, _)) => members.push(*member),
                            None => {
                                return Err(match defined_at.get(m) {
                                    Some(&d) if d >= line => {
                                        PolicyError::ReferencedBeforeDefinition {
                                            line,
                                            name: m.to_string(),
                                            defined: d,
                                        }
                                    }
                                    _ => PolicyError::UnknownMember {
                                        line,
                                        name: m.to_string(),
                                    },
                                })
                            }
                        }
                    }
                    let n = members.len();
                    let k = match f[2] {
                        "any" => 1,
                        "all" => n,
                        k => match k.parse::<usize>() {
                            Ok(k) if (1..=n).contains(&k) => k,
                            Ok(_) => {
                                return Err(PolicyError::BadThreshold {
                                    line,
                                    k: k.to_string(),
                                    members: n,
                                })
                            }
                            Err(_) => {
                                return Err(syntax(format!(
                                    "threshold {k:?} is not a number, any or all"
                                )))
                            }
                        },
                    };
                    define(&mut names, f[1], Member::Group(groups.len()))?;
                    groups.push(PolicyGroup {
                        name: f[1].to_string(),
                        k,
                        members,
                    });
                }
                "quorum" => {
                    if f.len() != 2 {
                        return Err(syntax("expected `quorum <name|none>`".into()));
                    }
                    if let Some((first, _)) = quorum {
                        return Err(PolicyError::DuplicateQuorum { line, first });
                    }
                    quorum = Some((line, f[1]));
                }
                other => return Err(syntax(format!("unknown keyword {other:?}"))),
            }
        }
        if logs.is_empty() {
            return Err(PolicyError::MissingLog);
        }
        let (qline, qname) = quorum.ok_or(PolicyError::MissingQuorum)?;
        let quorum =
            if qname == "none" {
                None
            } else {
                Some(names.get(qname).map(|(m, _)| *m).ok_or_else(|| {
                    PolicyError::UnknownMember {
                        line: qline,
                        name: qname.to_string(),
                    }
                })?)
            };
        Ok(Policy {
            logs: logs.into_iter().map(|(l, _)| l).collect(),
            witnesses,
            groups,
            quorum,
        })
    }

    fn member_satisfied(&self, m: Member, verified: &BTreeSet<String>) -> bool {
        match m {
            Member::Witness(i) => verified.contains(&self.witnesses[i].name),
            Member::Group(i) => {
                let g = &self.groups[i];
                g.members
                    .iter()
                    .filter(|&&m| self.member_satisfied(m, verified))
                    .count()
                    >= g.k
            }
        }
    }

    /// Whether the quorum is met when the witnesses named (by policy name) in `verified_witnesses`
    /// have cosigned. `quorum none` is always met.
    pub fn satisfied(&self, verified_witnesses: &BTreeSet<String>) -> bool {
        self.quorum
            .is_none_or(|q| self.member_satisfied(q, verified_witnesses))
    }

    /// When the quorum was reached: the earliest time `T` such that the witnesses whose
    /// cosignatures are timestamped at or before `T` meet the quorum (for a flat k-of-n group,
    /// the k-th smallest timestamp). Every witness of some satisfying set attested the checkpoint
    /// by then, so one witness that backdates its timestamp cannot move this earlier than an
    /// honest member of the quorum put it, as long as the quorum needs more than one witness.
    /// `None` when the quorum is not met, or is `none` (no witness bounds anything).
    pub fn quorum_reached_at(&self, witnesses: &BTreeMap<String, u64>) -> Option<u64> {
        self.quorum?;
        let mut times: Vec<u64> = witnesses.values().copied().collect();
        times.sort_unstable();
        times.dedup();
        times.into_iter().find(|&t| {
            let set: BTreeSet<String> = witnesses
                .iter()
                .filter(|(_, &w)| w <= t)
                .map(|(n, _)| n.clone())
                .collect();
            self.satisfied(&set)
        })
    }

    /// The latest time `T` such that the witnesses whose cosignatures are timestamped at or
    /// after `T` meet the quorum (for a flat k-of-n group, the k-th largest timestamp). Every
    /// member of a satisfying set had signed no earlier than `T`, so whatever the log appended
    /// after it held these cosignatures was appended after `T`; one witness that post-dates its
    /// timestamp cannot move this later than an honest member of the quorum put it, as long as
    /// the quorum needs more than one witness. `None` as for [`Policy::quorum_reached_at`].
    pub fn quorum_held_since(&self, witnesses: &BTreeMap<String, u64>) -> Option<u64> {
        self.quorum?;
        let mut times: Vec<u64> = witnesses.values().copied().collect();
        times.sort_unstable();
        times.dedup();
        times.into_iter().rev().find(|&t| {
            let set: BTreeSet<String> = witnesses
                .iter()
                .filter(|(_, &w)| w >= t)
                .map(|(n, _)| n.clone())
                .collect();
            self.satisfied(&set)
        })
    }

    /// The witnesses (by policy name) with a valid cosignature on `note`, with their timestamps.
    /// Signatures by unknown keys are ignored; invalid ones by known witnesses do not count. The
    /// log signature is not checked here.
    pub fn cosigned_by(&self, note: &[u8]) -> Result<BTreeMap<String, u64>, LogError> {
        let (body, sigs) = parse_note(note).map_err(|e| LogError::BadCheckpoint(e.to_string()))?;
        Ok(self
            .witnesses
            .iter()
            .filter_map(|w| {
                w.verifier
                    .verify_parsed(body, &sigs)
                    .ok()
                    .map(|ts| (w.name.clone(), ts))
            })
            .collect())
    }

    /// Checks a signed checkpoint note: its signature by the policy's log key for its origin,
    /// then the cosignatures against the quorum. Returns the witnesses that validly cosigned.
    pub fn check(&self, note: &[u8]) -> Result<CheckedCheckpoint, CheckError> {
        let origin = note
            .split(|&b| b == b'\n')
            .next()
            .and_then(|l| std::str::from_utf8(l).ok())
            .unwrap_or("");
        let log = self
            .logs
            .iter()
            .find(|l| l.verifier.name() == origin)
            .ok_or_else(|| {
                LogError::BadCheckpoint(format!("the policy has no log key for origin {origin:?}"))
            })?;
        let checkpoint = open_checkpoint(note, &log.verifier)?;
        let witnesses = self.cosigned_by(note)?;
        let names: BTreeSet<String> = witnesses.keys().cloned().collect();
        if self.satisfied(&names) {
            Ok(CheckedCheckpoint {
                checkpoint,
                witnesses,
            })
        } else {
            Err(CheckError::QuorumNotMet {
                checkpoint,
                witnesses,
            })
        }
    }
}
