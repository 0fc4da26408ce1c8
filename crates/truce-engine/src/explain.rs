//! The reasons of an incident's findings in words: what `truce explain <incident>` prints.

use crate::types::{Finding, Incident, Outcome};
use std::fmt::Write;

/// Renders an incident, its grade and every finding about it with the chain of reasons.
pub fn explain(incident: &Incident, findings: &[&Finding]) -> String {
    let mut s = String::new();
    let i = incident;
    let _ = writeln!(s, "Incident {}", i.id);
    let _ = writeln!(
        s,
        "  when:   {} – {} (UTC; counted on {})",
        i.start, i.end, i.day
    );
    let _ = writeln!(
        s,
        "  where:  [{:.5}, {:.5}] ±{} m",
        i.point[0], i.point[1], i.uncertainty_m
    );
    let _ = writeln!(
        s,
        "  occurrence: {}{}",
        i.occurrence.as_str(),
        if i.disputed {
            " (sources disagree)"
        } else {
            ""
        }
    );
    for r in &i.grade_reasons {
        let _ = writeln!(s, "          - {r}");
    }
    for a in &i.alleged {
        let _ = writeln!(
            s,
            "  attribution to {}: {} (standing: {}; named by {})",
            a.party,
            a.grade.as_str(),
            a.standing.as_str(),
            a.origins.join(", ")
        );
        for r in &a.reasons {
            let _ = writeln!(s, "          - {r}");
        }
    }
    let _ = writeln!(s, "  reports ({}):", i.members.len());
    for m in &i.members {
        let _ = writeln!(
            s,
            "    #{:<7} {}/{} [{}] {}{} at [{:.5}, {:.5}] ±{} m, {} – {}{}",
            m.index,
            m.author,
            m.id,
            m.side,
            crate::incidents::act_name(m.act),
            m.perpetrator
                .as_ref()
                .map(|p| format!(" by {p}"))
                .unwrap_or_default(),
            m.point[0],
            m.point[1],
            m.uncertainty_m,
            m.start,
            m.end,
            m.routine
                .as_ref()
                .map(|r| format!(" (routine: {r})"))
                .unwrap_or_default(),
        );
        if let Some(o) = &m.observed {
            let _ = writeln!(
                s,
                "             {} {} {} at {}–{} km, bearing {} (the point is the public footprint's centre; the observer is hidden within {:.0} m)",
                o.modality.as_str(),
                o.count,
                o.event.as_str(),
                o.distance_km[0],
                o.distance_km[1],
                o.sectors
                    .iter()
                    .map(|[a, b]| format!("{a}–{b}°"))
                    .collect::<Vec<_>>()
                    .join(", "),
                o.hidden_m
            );
        }
    }
    if !i.vessels.is_empty() {
        let _ = writeln!(
            s,
            "  vessels ({}; AIS identity is self-declared: it supports the occurrence, never who did it):",
            i.vessels.len()
        );
    }
    for v in &i.vessels {
        let ids = [
            v.name.clone(),
            v.mmsi.as_ref().map(|m| format!("MMSI {m}")),
            v.imo.as_ref().map(|m| format!("IMO {m}")),
        ];
        let ids: Vec<String> = ids.into_iter().flatten().collect();
        let _ = writeln!(
            s,
            "    {} ({}) for {}: {}",
            ids.join(", "),
            v.class,
            v.report,
            v.how
        );
    }
    for a in &i.assessments {
        let _ = writeln!(
            s,
            "  assessment #{} by {} (officer {}) of {}: {}{}: {}",
            a.index,
            a.author,
            a.officer,
            match &a.party {
                Some(p) => format!("the attribution to {p}"),
                None => "the occurrence".to_string(),
            },
            crate::incidents::verdict_name(a.verdict),
            a.note
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            a.text
        );
    }
    if findings.is_empty() {
        let _ = writeln!(s, "\nNo findings: no reading concerns this incident (nobody is blamed for it, and no protected site or target is within reach under any reading).");
    }
    for f in findings {
        let _ = writeln!(
            s,
            "\n{} under {}'s reading (version of entry {}): {}{}",
            f.agreement,
            f.reading,
            f.version,
            f.words.to_uppercase(),
            if f.retroactive {
                " — decided by a RETROACTIVE version"
            } else {
                ""
            }
        );
        for a in &f.attributions {
            let _ = writeln!(
                s,
                "  {}: {} (attribution {}; alleged by {}){}{}",
                a.party,
                crate::types::outcome_words(a.outcome, a.standing),
                a.grade.as_str(),
                a.alleged_by
                    .iter()
                    .map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                a.released_by
                    .as_ref()
                    .map(|r| format!(", released by {r}"))
                    .unwrap_or_default(),
                a.release_available
                    .as_ref()
                    .map(|r| format!(", release available from {r}, not invoked"))
                    .unwrap_or_default()
            );
        }
        for r in &f.reasons {
            let _ = writeln!(s, "  [{:<11} {:<9}] {}", r.rule, r.holds, r.text);
        }
        if f.outcome == Outcome::Breach {
            let _ = writeln!(s, "  (rules {})", f.rules);
        }
    }
    s
}
