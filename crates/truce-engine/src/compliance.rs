//! Compliance tables: per agreement × reading × party × day, attributions by outcome and
//! breaches by standing; totals per reading; and the incidents whose outcome depends on the
//! reading. A headline count of breaches is of `established` breaches (and, apart,
//! `corroborated` ones): an alleged breach is an allegation, never counted as a breach.

use crate::types::{Compliance, ComplianceRow, Finding, Outcome, ReadingDifference, ReadingTotals};
use std::collections::BTreeMap;
use truce_model::domain::Standing;
use truce_model::Id;

fn outcome_counts() -> BTreeMap<String, u64> {
    Outcome::ALL
        .iter()
        .map(|o| (o.as_str().to_string(), 0))
        .collect()
}

fn standing_counts() -> BTreeMap<String, u64> {
    Standing::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), 0))
        .collect()
}

/// Computes the compliance view of a set of findings.
pub fn compliance(findings: &[Finding]) -> Compliance {
    let mut rows: BTreeMap<(Id, Id, Id, String), ComplianceRow> = BTreeMap::new();
    let mut totals: BTreeMap<(Id, Id), ReadingTotals> = BTreeMap::new();
    type PerReading = (String, BTreeMap<String, Outcome>, BTreeMap<String, String>);
    let mut per_incident: BTreeMap<(Id, String), PerReading> = BTreeMap::new();
    for f in findings {
        let t = totals
            .entry((f.agreement.clone(), f.reading.clone()))
            .or_insert_with(|| ReadingTotals {
                agreement: f.agreement.clone(),
                reading: f.reading.clone(),
                outcomes: outcome_counts(),
                breaches_by_party: BTreeMap::new(),
            });
        *t.outcomes
            .entry(f.outcome.as_str().to_string())
            .or_default() += 1;
        for a in &f.attributions {
            let row = rows
                .entry((
                    f.agreement.clone(),
                    f.reading.clone(),
                    a.party.clone(),
                    f.day.clone(),
                ))
                .or_insert_with(|| ComplianceRow {
                    agreement: f.agreement.clone(),
                    reading: f.reading.clone(),
                    party: a.party.clone(),
                    day: f.day.clone(),
                    outcomes: outcome_counts(),
                    breaches_by_standing: standing_counts(),
                });
            *row.outcomes
                .entry(a.outcome.as_str().to_string())
                .or_default() += 1;
            if a.outcome == Outcome::Breach {
                *row.breaches_by_standing
                    .entry(a.standing.as_str().to_string())
                    .or_default() += 1;
                *t.breaches_by_party
                    .entry(a.party.to_string())
                    .or_insert_with(standing_counts)
                    .entry(a.standing.as_str().to_string())
                    .or_default() += 1;
            }
        }
        let e = per_incident
            .entry((f.agreement.clone(), f.incident.clone()))
            .or_insert_with(|| (f.day.clone(), BTreeMap::new(), BTreeMap::new()));
        e.1.insert(f.reading.to_string(), f.outcome);
        e.2.insert(f.reading.to_string(), f.words.clone());
    }
    let mut differences: Vec<ReadingDifference> = per_incident
        .into_iter()
        .filter(|(_, (_, o, _))| {
            let mut v = o.values();
            let first = v.next();
            v.any(|x| Some(x) != first)
        })
        .map(
            |((agreement, incident), (day, outcomes, words))| ReadingDifference {
                agreement,
                incident,
                day,
                outcomes,
                words,
            },
        )
        .collect();
    differences.sort_by(|a, b| {
        (&a.agreement, &a.day, &a.incident).cmp(&(&b.agreement, &b.day, &b.incident))
    });
    Compliance {
        rows: rows.into_values().collect(),
        totals: totals.into_values().collect(),
        differences,
    }
}
