//! Views computed from the ledger: the readings diff of an agreement, commitments against their
//! fulfilments (discrepancies flagged), and claims grouped by topic (contradictions flagged).

use crate::domain::*;
use crate::ledger::{Ledger, Record};
use crate::lifecycle::{self, Consent, ExtensionState, Required};
use crate::taxonomy::CATEGORIES;
use crate::time::Time;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One compared aspect of the readings: each party's value, and whether they differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffRow {
    /// What is compared (`start`, `end`, `duration_days`, `category energy.oil.refinery`, …).
    pub aspect: String,
    /// Each reading party's value (`—` when the reading says nothing).
    pub values: BTreeMap<String, String>,
    /// Whether the values differ.
    pub differs: bool,
}

/// A structured comparison of all current readings of an agreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingsDiff {
    /// The agreement.
    pub agreement: String,
    /// The parties whose readings are compared, with each reading's source.
    pub readings: Vec<ReadingSummary>,
    /// Every aspect, differing or not.
    pub rows: Vec<DiffRow>,
    /// For each party, the categories it protects that some other reading does not.
    pub categories_only_in: BTreeMap<String, Vec<String>>,
}

/// Which reading is compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingSummary {
    /// The reading party.
    pub party: String,
    /// Its source's title and date.
    pub source: String,
    /// Summary line.
    pub summary: String,
    /// Log index of the reading.
    pub index: u64,
}

/// The serde (file) name of an enum value, e.g. `drone-strike`.
fn name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "—".into())
}

fn row(aspect: impl Into<String>, values: BTreeMap<String, String>) -> DiffRow {
    let distinct: BTreeSet<&String> = values.values().collect();
    DiffRow {
        aspect: aspect.into(),
        differs: distinct.len() > 1,
        values,
    }
}

/// Compares the current readings of `agreement`, one column per party: their terms (see
/// [`compare_readings`]), then, from the rest of the log, each proposed extension as each reading
/// judges it (`extension to <until>`: agreed and from when, or who proposed it and who is
/// awaited) and the current status of each condition a reading lists (`condition <id>`).
pub fn readings_diff(ledger: &Ledger, agreement: &Id) -> ReadingsDiff {
    let readings: Vec<(String, &Record<Reading>)> = ledger
        .readings_of(agreement)
        .into_iter()
        .map(|r| (r.author.to_string(), r))
        .collect();
    let mut d = compare_readings(agreement, &readings);
    let consents = consents_of(ledger, agreement);
    if !consents.is_empty() && !d.rows.iter().any(|r| r.aspect == "extension by") {
        let values = readings
            .iter()
            .map(|(l, r)| (l.clone(), Required::of(&r.value.terms).describe()))
            .collect();
        d.rows.push(row("extension by", values));
    }
    let mut ext_rows: BTreeMap<Time, BTreeMap<String, String>> = BTreeMap::new();
    for (l, r) in &readings {
        for e in lifecycle::extensions(&Required::of(&r.value.terms), &consents) {
            ext_rows
                .entry(e.until)
                .or_default()
                .insert(l.clone(), extension_words(&e));
        }
    }
    for (until, values) in ext_rows {
        d.rows.push(row(format!("extension to {until}"), values));
    }
    let listed: BTreeSet<&Id> = readings
        .iter()
        .flat_map(|(_, r)| r.value.terms.conditions.iter().map(|c| &c.id))
        .collect();
    let belligerent = |a: &Id| {
        ledger
            .parties
            .get(a)
            .is_some_and(|p| p.role == Role::Belligerent)
    };
    for c in listed {
        let versions: Vec<_> = ledger
            .condition_versions
            .get(c)
            .into_iter()
            .flatten()
            .filter(|v| v.retracted.is_none())
            .collect();
        let values = readings
            .iter()
            .map(|(l, r)| {
                let Some(cref) = r.value.terms.conditions.iter().find(|x| &x.id == c) else {
                    return (l.clone(), "not a condition".into());
                };
                // Under each reading, the latest status filed by one of its attesters; filings
                // by others are named, never counted.
                let counts = |a: &Id| cref.attested(a, belligerent(a), &r.author);
                let counted = versions.iter().rev().find(|v| counts(&v.author));
                let others: BTreeSet<&str> = versions
                    .iter()
                    .filter(|v| !counts(&v.author))
                    .map(|v| v.author.as_str())
                    .collect();
                let mut v = counted
                    .map(|v| {
                        format!(
                            "{} (filed by {} {}, entry {}{})",
                            v.value.status.as_str(),
                            v.author,
                            v.time,
                            v.index,
                            v.value
                                .effective_from
                                .map(|e| format!(", effective from {e}"))
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_else(|| "no status filed (not met)".into());
                if cref.attested_by.is_some() {
                    v.push_str(&format!("; {}", cref.attesters_words(&r.author)));
                }
                if !others.is_empty() {
                    v.push_str(&format!(
                        "; not counted: statuses filed by {} (not attesters under this reading)",
                        others.into_iter().collect::<Vec<_>>().join(", ")
                    ));
                }
                (l.clone(), v)
            })
            .collect();
        d.rows.push(row(format!("condition {c}"), values));
    }
    d
}

/// The consents to extend `agreement` in the log, not retracted.
pub fn consents_of(ledger: &Ledger, agreement: &Id) -> Vec<Consent<Time>> {
    ledger
        .extensions
        .iter()
        .filter(|x| &x.value.agreement == agreement && x.retracted.is_none())
        .map(|x| Consent {
            index: x.index,
            party: x.author.clone(),
            until: x.value.until,
            filed: x.time,
            effective: x.value.effective_from.unwrap_or(x.time),
        })
        .collect()
}

/// An extension's state in words: `agreed by ru, ua (entries 80, 81), in force from …` or
/// `proposed by ru, awaiting ua`.
pub fn extension_words(e: &ExtensionState<Time>) -> String {
    match e.effective {
        Some(from) => format!(
            "agreed by {} (entries {}), in force from {from}{}",
            e.by(),
            e.entries(),
            if e.retroactive() {
                " (RETROACTIVE)"
            } else {
                ""
            }
        ),
        None => e.pending_words(),
    }
}

/// Compares readings of `agreement`, one column per label: the parties' current readings, or
/// consecutive versions of one party's reading (`truce agreement history`).
pub fn compare_readings(agreement: &Id, labelled: &[(String, &Record<Reading>)]) -> ReadingsDiff {
    let readings: Vec<&Record<Reading>> = labelled.iter().map(|(_, r)| *r).collect();
    let label = |r: &Record<Reading>| -> String {
        labelled
            .iter()
            .find(|(_, x)| x.index == r.index)
            .map(|(l, _)| l.clone())
            .unwrap_or_else(|| r.author.to_string())
    };
    let per = |f: &dyn Fn(&Reading) -> String| -> BTreeMap<String, String> {
        readings.iter().map(|r| (label(r), f(&r.value))).collect()
    };
    let mut rows = vec![
        row("start", per(&|r| r.terms.window.start.to_string())),
        row("end (stated)", per(&|r| opt(&r.terms.window.end))),
        row(
            "duration_days",
            per(&|r| opt(&r.terms.window.duration_days)),
        ),
        row(
            "end (effective)",
            per(&|r| opt(&r.terms.window.effective_end())),
        ),
        row("extension", per(&|r| opt(&r.terms.window.extension))),
    ];
    // The structured extension rule and the conditions precedent, when some reading states them.
    if readings
        .iter()
        .any(|r| r.value.terms.window.extension_by.is_some())
    {
        rows.push(row(
            "extension by",
            per(&|r| Required::of(&r.terms).describe()),
        ));
    }
    if readings
        .iter()
        .any(|r| !r.value.terms.conditions.is_empty())
    {
        rows.push(row(
            "conditions",
            per(&|r| {
                if r.terms.conditions.is_empty() {
                    "none".into()
                } else {
                    r.terms
                        .conditions
                        .iter()
                        .map(|c| match &c.attested_by {
                            None => c.id.to_string(),
                            Some(p) => format!(
                                "{} (attested by {})",
                                c.id,
                                p.iter().map(Id::as_str).collect::<Vec<_>>().join(", ")
                            ),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            }),
        ));
    }
    if readings.iter().any(|r| !r.value.terms.confined.is_empty()) {
        rows.push(row(
            "confined",
            per(&|r| {
                if r.terms.confined.is_empty() {
                    "none".into()
                } else {
                    r.terms
                        .confined
                        .iter()
                        .map(|c| format!("{}'s {} inside {:?}", c.party, c.category, c.zone.name))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            }),
        ));
    }
    if readings.iter().any(|r| r.value.terms.front.is_some()) {
        let front = |r: &Reading, f: &dyn Fn(&crate::front::FrontTerms) -> String| {
            r.terms.front.as_ref().map_or_else(|| "none".into(), f)
        };
        rows.push(row(
            "front: lines",
            per(&|r| {
                front(r, &|f| {
                    f.lines
                        .iter()
                        .map(|l| {
                            format!(
                                "{} from {}{} ({} share)",
                                l.party,
                                l.line,
                                l.side
                                    .map(|s| format!(", {} side", s.as_str()))
                                    .unwrap_or_default(),
                                f.share(&l.party)
                                    .map(|s| format!("{:.0} %", s * 100.0))
                                    .unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            }),
        ));
        rows.push(row(
            "front: buffer",
            per(&|r| {
                front(r, &|f| {
                    f.buffer_km
                        .map(|b| format!("{b} km"))
                        .unwrap_or_else(|| "none".into())
                })
            }),
        ));
        rows.push(row(
            "front: withdrawal zones",
            per(&|r| {
                front(r, &|f| {
                    if f.withdrawal.is_empty() {
                        return "none".into();
                    }
                    f.withdrawal
                        .iter()
                        .map(|z| {
                            format!(
                                "{}{} {} km",
                                z.weapons,
                                z.min_calibre_mm
                                    .map(|c| format!(" ≥ {c} mm"))
                                    .unwrap_or_default(),
                                z.width_km
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            }),
        ));
        rows.push(row(
            "front: prohibited",
            per(&|r| {
                front(r, &|f| {
                    f.prohibit
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
            }),
        ));
    }
    rows.extend([
        row(
            "release clauses",
            per(&|r| {
                if r.terms.release.is_empty() {
                    "none".into()
                } else {
                    r.terms
                        .release
                        .iter()
                        .map(|c| name(&c.kind))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            }),
        ),
        row(
            "prohibited acts",
            per(&|r| {
                r.terms
                    .prohibited_acts
                    .iter()
                    .map(name)
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        row(
            "bound",
            per(&|r| {
                r.terms
                    .bound
                    .iter()
                    .map(Id::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        row(
            "zones",
            per(&|r| {
                if r.terms.zones.is_empty() {
                    "everywhere".into()
                } else {
                    r.terms
                        .zones
                        .iter()
                        .map(|z| z.name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            }),
        ),
        row(
            "exceptions",
            per(&|r| {
                if r.terms.exceptions.is_empty() {
                    "none".into()
                } else {
                    r.terms.exceptions.join("; ")
                }
            }),
        ),
        row(
            "protected categories (count)",
            per(&|r| r.terms.protected.len().to_string()),
        ),
    ]);
    for (c, _) in CATEGORIES {
        let values = per(&|r| {
            if r.terms.protected.iter().any(|x| x.as_str() == *c) {
                "protected"
            } else {
                "—"
            }
            .to_string()
        });
        if values.values().any(|v| v == "protected") {
            rows.push(row(format!("category {c}"), values));
        }
    }
    let mut categories_only_in = BTreeMap::new();
    for r in &readings {
        let mut only = BTreeSet::new();
        for o in &readings {
            for c in r.value.terms.protected.minus(&o.value.terms.protected) {
                only.insert(c.to_string());
            }
        }
        categories_only_in.insert(label(r), only.into_iter().collect());
    }
    ReadingsDiff {
        agreement: agreement.to_string(),
        readings: readings
            .iter()
            .map(|r| ReadingSummary {
                party: label(r),
                source: format!("{} ({})", r.value.source.title, r.value.source.date),
                summary: r.value.summary.clone(),
                index: r.index,
            })
            .collect(),
        rows,
        categories_only_in,
    }
}

/// One line of a commitment's reconciliation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemBalance {
    /// What.
    pub what: String,
    /// From whom.
    pub from: Option<String>,
    /// To whom.
    pub to: Option<String>,
    /// Promised.
    pub promised: u64,
    /// Delivered so far: the highest of the sides' own totals (`by_side`). The sides' figures
    /// are never added together: two parties reporting the same delivery report it once.
    pub delivered: u64,
    /// Each reporting party's own total for this item: its tranches summed, a restatement
    /// replacing what it reported before (see [`commitments`]). Parties that reported nothing
    /// on this item are absent.
    pub by_side: BTreeMap<String, u64>,
    /// Whether the reporting parties' totals differ.
    pub sides_differ: bool,
    /// Whether any side's total differs from what was promised.
    pub discrepancy: bool,
}

/// One fulfilment as counted: who reported what, when, and how it counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FulfilmentLine {
    /// Log index.
    pub index: u64,
    /// The reporting party (its author).
    pub side: String,
    /// The date it reports.
    pub date: String,
    /// `tranche` (added to the side's earlier figures) or `restatement` (replaces them).
    pub kind: String,
}

/// A commitment reconciled with its fulfilments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentStatus {
    /// Commitment id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Who logged it.
    pub author: String,
    /// Due date.
    pub due: String,
    /// `pending` (nothing reported), `fulfilled` (every side's total is what was promised), or
    /// `discrepancy`.
    pub status: String,
    /// Per item.
    pub items: Vec<ItemBalance>,
    /// Whether the reporting parties' totals differ on any item.
    pub sides_differ: bool,
    /// Log indices of the fulfilments counted.
    pub fulfilments: Vec<u64>,
    /// The fulfilments counted, in the order they count (by date, then log index).
    pub lines: Vec<FulfilmentLine>,
}

/// Reconciles every commitment with its fulfilments, side by side. Each reporting party (a
/// fulfilment's author) has its own running total per item (what, from, to): its fulfilments
/// count in the order of their dates (then of the log), a `tranche` adding its quantities and a
/// `restatement` replacing that party's figure for each item it lists. The parties' totals are
/// shown apart (`by_side`) and never added: `delivered` is the highest, `sides_differ` says when
/// they disagree, and an item is a `discrepancy` when any party's total differs from the
/// promise. A correction of one fulfilment is an `amend` entry; a retracted one counts for
/// nothing.
pub fn commitments(ledger: &Ledger) -> Vec<CommitmentStatus> {
    let mut out = Vec::new();
    for (id, c) in &ledger.commitments {
        if c.retracted.is_some() {
            continue;
        }
        let mut fs: Vec<_> = ledger
            .fulfilments
            .iter()
            .filter(|f| &f.value.commitment == id && f.retracted.is_none())
            .collect();
        fs.sort_by_key(|f| (f.value.date, f.index));
        type Item = (String, Option<Id>, Option<Id>);
        let mut by_side: BTreeMap<(Item, String), u64> = BTreeMap::new();
        for f in &fs {
            for q in &f.value.items {
                let item = (q.what.to_string(), q.from.clone(), q.to.clone());
                let n = by_side.entry((item, f.author.to_string())).or_default();
                match f.value.kind {
                    FulfilmentKind::Tranche => *n += q.quantity,
                    FulfilmentKind::Restatement => *n = q.quantity,
                }
            }
        }
        let items: Vec<ItemBalance> = c
            .value
            .items
            .iter()
            .map(|q| {
                let item = (q.what.to_string(), q.from.clone(), q.to.clone());
                let sides: BTreeMap<String, u64> = by_side
                    .iter()
                    .filter(|((i, _), _)| *i == item)
                    .map(|((_, side), n)| (side.clone(), *n))
                    .collect();
                let delivered = sides.values().copied().max().unwrap_or(0);
                let sides_differ = sides.values().any(|n| *n != delivered);
                let discrepancy = !fs.is_empty()
                    && if sides.is_empty() {
                        q.quantity != 0
                    } else {
                        sides.values().any(|n| *n != q.quantity)
                    };
                ItemBalance {
                    what: q.what.to_string(),
                    from: q.from.as_ref().map(Id::to_string),
                    to: q.to.as_ref().map(Id::to_string),
                    promised: q.quantity,
                    delivered,
                    by_side: sides,
                    sides_differ,
                    discrepancy,
                }
            })
            .collect();
        let status = if fs.is_empty() {
            "pending"
        } else if items.iter().any(|i| i.discrepancy) {
            "discrepancy"
        } else {
            "fulfilled"
        };
        let mut indices: Vec<u64> = fs.iter().map(|f| f.index).collect();
        indices.sort_unstable();
        out.push(CommitmentStatus {
            id: id.to_string(),
            title: c.value.title.clone(),
            author: c.author.to_string(),
            due: c.value.due.to_string(),
            status: status.into(),
            sides_differ: items.iter().any(|i| i.sides_differ),
            items,
            fulfilments: indices,
            lines: fs
                .iter()
                .map(|f| FulfilmentLine {
                    index: f.index,
                    side: f.author.to_string(),
                    date: f.value.date.to_string(),
                    kind: f.value.kind.as_str().to_string(),
                })
                .collect(),
        });
    }
    out
}

/// One claim with who made it and where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimView {
    /// The party that made the claim.
    pub speaker: String,
    /// Who logged it.
    pub logged_by: String,
    /// Affirms or denies.
    pub stance: Stance,
    /// The proposition.
    pub proposition: String,
    /// The exact words.
    pub quote: String,
    /// Source title and date.
    pub source: String,
    /// Log index.
    pub index: u64,
}

/// All claims on one topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    /// Topic id.
    pub topic: String,
    /// The claims.
    pub claims: Vec<ClaimView>,
    /// Whether some claim affirms what another denies.
    pub contradiction: bool,
}

/// Groups claims by topic and flags contradictions.
pub fn claims(ledger: &Ledger) -> Vec<Topic> {
    let mut topics: BTreeMap<String, Vec<ClaimView>> = BTreeMap::new();
    for s in ledger.statements.values().filter(|s| s.retracted.is_none()) {
        for c in &s.value.claims {
            topics
                .entry(c.topic.to_string())
                .or_default()
                .push(ClaimView {
                    speaker: s
                        .value
                        .speaker
                        .clone()
                        .unwrap_or_else(|| s.author.clone())
                        .to_string(),
                    logged_by: s.author.to_string(),
                    stance: c.stance,
                    proposition: c.proposition.clone(),
                    quote: c.quote.clone(),
                    source: format!("{} ({})", s.value.source.title, s.value.source.date),
                    index: s.index,
                });
        }
    }
    topics
        .into_iter()
        .map(|(topic, mut claims)| {
            claims.sort_by_key(|c| c.index);
            let contradiction = claims.iter().any(|c| c.stance == Stance::Affirms)
                && claims.iter().any(|c| c.stance == Stance::Denies);
            Topic {
                topic,
                claims,
                contradiction,
            }
        })
        .collect()
}
