//! The report in Markdown and in self-contained HTML (inline CSS and SVG, no external resource).

use crate::notable::{Why, GRADE_ORDER};
use crate::{
    svg, AssessmentLine, Count, DailyReport, GradeTally, IncidentLine, Labelled, PartyOutcome,
    ReviewLine, Standings, OUTCOME_WORDS,
};
use std::fmt::Write;
use truce_engine::Grade;

/// Escapes text for HTML (and SVG) content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Escapes text for a Markdown table cell or line: no pipe, no line break, no raw HTML.
pub(crate) fn md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

/// A number with thousands separated: `24,100`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut o = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    o
}

/// `3 (+1)`, `0 (±0)`, `2 (−1)`, `24,100 (+1,200)`.
pub(crate) fn count(c: &Count) -> String {
    let ch = match c.change {
        0 => "±0".to_string(),
        n if n > 0 => format!("+{}", thousands(n.unsigned_abs())),
        n => format!("−{}", thousands(n.unsigned_abs())),
    };
    format!("{} ({ch})", thousands(c.day))
}

/// `29,950 (reported 29,000; corroborated 950)`: a tally with its non-zero grades, most notable
/// first.
fn tally_text(t: &GradeTally) -> String {
    let grades: Vec<String> = GRADE_ORDER
        .iter()
        .filter_map(|g| {
            let n = t.by_occurrence.get(g.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{} {}", g.as_str(), thousands(n)))
        })
        .collect();
    if grades.is_empty() {
        thousands(t.total)
    } else {
        format!("{} ({})", thousands(t.total), grades.join("; "))
    }
}

/// Why an incident is listed, in words.
fn listed_for(i: &IncidentLine) -> String {
    i.notable
        .iter()
        .filter_map(|n| Why::ALL.into_iter().find(|w| w.as_str() == n))
        .map(|w| match (w, &i.breach_standing) {
            (Why::Breach, Some(st)) => format!("{st} breach under some reading"),
            _ => w.words().to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `… and 3 more report(s)` when some of `total` were left out, and the command that lists
/// them all.
fn more(shown: usize, total: u64, what: &str, command: &str) -> Option<(String, String)> {
    let shown = u64::try_from(shown).unwrap_or(u64::MAX);
    (total > shown).then(|| {
        (
            format!("… and {} more {what}", thousands(total - shown)),
            command.to_string(),
        )
    })
}

/// [`more`] in Markdown.
fn more_md(m: Option<(String, String)>) -> Option<String> {
    m.map(|(t, c)| format!("{} (`{}` lists them all)", md(&t), md(&c)))
}

/// [`more`] in HTML.
fn more_html(m: Option<(String, String)>) -> Option<String> {
    m.map(|(t, c)| format!("{} (<code>{}</code> lists them all)", esc(&t), esc(&c)))
}

/// The occurrence grade, and whether sources disagree.
fn occurrence_text(i: &IncidentLine) -> String {
    if i.disputed {
        format!("{}; sources disagree", i.occurrence)
    } else {
        i.occurrence.clone()
    }
}

fn cells(v: &[Labelled]) -> Vec<String> {
    v.iter().map(|l| count(&l.count)).collect()
}

/// The headline of one reading: established breaches, corroborated ones apart, allegations.
fn headline(b: &Standings) -> String {
    format!(
        "established breaches: {} (corroborated: {}); allegations of breach: {}",
        count(&b.established),
        count(&b.corroborated),
        count(&b.alleged)
    )
}

/// `ua: alleged breach (attribution alleged; released by inc-…)`.
fn party_text(p: &PartyOutcome) -> String {
    let mut notes = vec![format!("attribution {}", p.grade)];
    if let Some(r) = &p.released_by {
        notes.push(format!("released by {r}"));
    }
    if let Some(i) = &p.invocation {
        notes.push(format!("released by its invocation, entry {i}"));
    }
    if let Some(r) = &p.release_available {
        notes.push(format!("release available, not invoked: {r}"));
    }
    format!("{}: {} ({})", p.party, p.words, notes.join("; "))
}

/// `occurrence: unverifiable (quorum 1; 1 unverifiable)`.
fn review_text(r: &ReviewLine) -> String {
    let what = match &r.party {
        Some(p) => format!("{} of {p}", r.question),
        None => r.question.clone(),
    };
    let tally = if r.tally.is_empty() {
        "no counted assessment".to_string()
    } else {
        r.tally
            .iter()
            .map(|(v, n)| format!("{n} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{what}: {} (quorum {}; {tally})", r.state, r.quorum)
}

/// `monitor, officer k1, on occurrence: unverifiable (counted): text`.
fn assessment_text(a: &AssessmentLine) -> String {
    let what = match &a.party {
        Some(p) => format!("{} of {p}", a.question),
        None => a.question.clone(),
    };
    let counted = if a.counted {
        "counted".to_string()
    } else {
        a.note.clone().unwrap_or_else(|| "not counted".to_string())
    };
    format!(
        "{}, officer {}, on {what} (entry {}): {} ({counted}): {}",
        a.monitor, a.officer, a.index, a.verdict, a.text
    )
}

/// What the observations are, under their counts.
const OBSERVATIONS_NOTE: &str = "Nobody alleges or observes anything within their reach and, routine ones apart, none touches a site a reading in force protects: observations, not incidents, never counted as incidents or as findings of breach.";

/// A CSS class name for words ("alleged breach" → "alleged-breach").
fn class(words: &str) -> String {
    words.replace([' ', '_'], "-")
}

impl DailyReport {
    fn title(&self) -> String {
        format!("Truce daily report — {}", self.date)
    }

    /// The zone for a reader: the IANA name, or `UTC±HH:MM` for a fixed offset.
    pub(crate) fn zone_label(&self) -> String {
        if self.tz.starts_with(['+', '-']) {
            format!("UTC{}", self.tz)
        } else {
            self.tz.clone()
        }
    }

    /// The day's span on the zone's clock: `2025-03-21 00:00 – 24:00`, or with a cut-off
    /// `19:30 the day before – 2025-03-21 19:30`.
    fn window(&self) -> String {
        match &self.cutoff {
            None => format!("{} 00:00 – 24:00", self.date),
            Some(c) => format!("{c} the day before – {} {c}", self.date),
        }
    }

    /// What an incident that reaches the day only at its first instant is marked with.
    fn edge_text(&self) -> String {
        format!(
            " — reaches this day only at its last instant (ends at {})",
            self.cutoff.as_deref().unwrap_or("00:00")
        )
    }

    fn previous_text(&self) -> String {
        self.previous
            .as_ref()
            .map(|p| format!("changes are from {p}, counted the same way"))
            .unwrap_or_else(|| "no previous day".into())
    }

    /// The observations' headline, in words.
    fn observations_text(&self) -> String {
        let o = &self.observations;
        format!(
            "Sensor detections on the day in no incident: {} (change from {}), of which routine (persistent hot spots): {}.",
            count(&o.detections),
            self.previous.as_deref().unwrap_or("—"),
            count(&o.routine)
        )
    }

    /// What the notable list holds, when it is capped.
    fn capped_text(&self) -> Option<String> {
        let shown = u64::try_from(self.incidents.len()).unwrap_or(u64::MAX);
        (self.unlisted.notable > shown).then(|| {
            format!(
                "The {} most important of {} notable incidents; the other {} are counted below.",
                thousands(shown),
                thousands(self.unlisted.notable),
                thousands(self.unlisted.notable - shown)
            )
        })
    }

    /// The incidents not listed, one line each.
    fn unlisted_lines(&self) -> Vec<String> {
        let u = &self.unlisted;
        vec![
            format!(
                "notable incidents beyond the first {}: {}",
                u.cap,
                tally_text(&u.beyond_cap)
            ),
            format!(
                "incidents that are not notable: {}",
                tally_text(&u.not_notable)
            ),
            format!(
                "routine detections at persistent hot spots: {}",
                thousands(u.routine)
            ),
        ]
    }

    fn notable_heading(&self) -> String {
        let shown = u64::try_from(self.incidents.len()).unwrap_or(u64::MAX);
        if self.unlisted.notable > shown {
            format!(
                "Notable incidents ({} of {})",
                thousands(shown),
                thousands(self.unlisted.notable)
            )
        } else {
            format!("Notable incidents ({})", thousands(shown))
        }
    }

    fn method(&self) -> Vec<String> {
        vec![
            "Two grades, one per question. Occurrence: did something happen there and then (reported by one origin; corroborated by independent origins; verified, unverifiable, dismissed or contested by monitors' review). Attribution, per party named: did that party do it (alleged by the accuser's origin only; disputed; corroborated by an independent origin; admitted by the party; verified, unverifiable, dismissed or contested by monitors' review).".into(),
            "Standing: a finding's outcome is said with how well it stands. Established: monitors verified the attribution, or the party admitted it. Corroborated: an origin independent of the accuser names the same party. Alleged: everything else (one side's word; a disputed, unverifiable or contested attribution).".into(),
            "Figures count established breaches, with corroborated breaches shown apart; alleged breaches are allegations of breach and are never added to them. Each finding is counted under every reading, per party named (party × incident).".into(),
            format!(
                "An incident belongs to {} if its interval [start, end] (the earliest and latest time of its evidence) overlaps {} in {} ({} – {}, the end excluded; a day across a change of the zone's offset lasts 23 or 25 hours). An incident spanning the day's start is in the reports of both days; one that reaches the day only at its last instant (ending exactly when the day starts) is marked as such.",
                self.date, self.window(), self.zone_label(), self.from, self.until
            ),
            "The engine's compliance tables (`truce compliance`) count each finding once, on the day its incident's evidence starts in the agreement's time zone (shown as \"compliance day\"), so their per-day numbers can differ from this report's.".into(),
            format!(
                "Notable incidents are listed one by one: those with {}, {}, {}, {}, or where {}. Most important first: by the standing of their strongest finding of breach (established, corroborated, alleged, then none), then by occurrence grade ({}), then by start; at most {}, each with at most {} reports (claims before sensor detections) and {} assessments. Every other incident of the day is counted by occurrence grade, with the command that lists it; routine detections (fires at persistent hot spots such as gas flares) are counted, never listed.",
                Why::Breach.words(),
                Why::Finding.words(),
                Why::Allegation.words(),
                Why::Monitor.words(),
                Why::Disputed.words(),
                GRADE_ORDER.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", "),
                self.unlisted.cap,
                crate::REPORTS_CAP,
                crate::ASSESSMENTS_CAP
            ),
            "Observations are the sensor detections in no incident (background detections): nobody alleges or observes anything within their reach and, routine ones apart, none touches a site a reading in force protects. They belong to the day by the same overlap rule, are counted by source, and are never incidents, never counted as incidents or as findings of breach; an allegation filed later pulls those within its reach into its incident.".into(),
            format!(
                "Commitments are listed when due within {} days of the date.",
                crate::COMMITMENT_DAYS
            ),
        ]
    }

    /// The report in Markdown. Charts are linked by the names [`DailyReport::charts`] gives, to
    /// be written next to the Markdown file.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# {}\n", self.title());
        let _ = writeln!(
            s,
            "Day: **{}**, {} in {} ({} – {}); {}.  \nLog: `{}` at checkpoint size **{}**, rules `{}`.\n",
            self.date,
            self.window(),
            self.zone_label(),
            self.from,
            self.until,
            self.previous_text(),
            md(&self.checkpoint.origin),
            self.checkpoint.size,
            md(&self.rules)
        );
        let p = self.previous.clone().unwrap_or_else(|| "—".into());
        s.push_str("## Summary\n\n");
        let sm = &self.summary;
        let _ = writeln!(
            s,
            "Incidents on the day: **{}** (change from {p}); routine detections: {}.\n",
            count(&sm.incidents),
            count(&sm.routine)
        );
        if sm.readings.is_empty() {
            s.push_str("No finding under any reading on the day.\n\n");
        } else {
            let _ = writeln!(
                s,
                "Under each reading, on the day (change from {p}); established breaches are counted, corroborated breaches shown apart, alleged breaches only as allegations:\n"
            );
            for r in &sm.readings {
                let _ = writeln!(
                    s,
                    "- {}'s reading of {}: **{}**",
                    md(&r.reading),
                    md(&r.agreement),
                    headline(&r.breaches)
                );
            }
            s.push('\n');
        }
        s.push_str("| occurrence | incidents (change) |\n|---|---|\n");
        for l in &sm.by_occurrence {
            let _ = writeln!(s, "| {} | {} |", l.label, count(&l.count));
        }
        s.push_str("\n| party named as perpetrator | incidents (change) |\n|---|---|\n");
        if sm.by_party.is_empty() {
            s.push_str("| — | 0 |\n");
        }
        for l in &sm.by_party {
            let _ = writeln!(s, "| {} | {} |", md(&l.label), count(&l.count));
        }
        s.push_str("\nFindings by outcome under each reading, and per party named (change from the previous day in brackets):\n\n");
        let _ = writeln!(
            s,
            "| agreement | reading | party | {} |\n|---|---|---|{}",
            OUTCOME_WORDS.join(" | "),
            "---|".repeat(OUTCOME_WORDS.len())
        );
        if sm.readings.is_empty() {
            let _ = writeln!(s, "| — | — | — |{}", " 0 |".repeat(OUTCOME_WORDS.len()));
        }
        for r in &sm.readings {
            let _ = writeln!(
                s,
                "| {} | {} | *all findings* | {} |",
                md(&r.agreement),
                md(&r.reading),
                cells(&r.outcomes).join(" | ")
            );
            for pc in &r.parties {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} |",
                    md(&r.agreement),
                    md(&r.reading),
                    md(&pc.party),
                    cells(&pc.outcomes).join(" | ")
                );
            }
        }

        s.push_str("\n## Observations\n\n");
        let _ = writeln!(s, "{}\n", self.observations_text());
        if !self.observations.by_source.is_empty() {
            s.push_str("| source | detections (change) | routine (change) |\n|---|---|---|\n");
            for o in &self.observations.by_source {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} |",
                    md(&o.source),
                    count(&o.detections),
                    count(&o.routine)
                );
            }
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "{} List those that began on the day: `{}` (UTC dates), or `{}`.",
            OBSERVATIONS_NOTE, self.observations.command, self.observations.api
        );
        if let Some(f) = &self.front {
            s.push_str(&f.to_markdown(&p));
        }

        if !self.changes.is_empty() {
            let _ = writeln!(s, "\n## Changes to readings ({})\n", self.changes.len());
            s.push_str("Versions of readings filed on the day; each finding is compared as known just before the version was logged and just after. A retroactive version applies from before its filing: allowed, and flagged.\n\n");
            for c in &self.changes {
                let _ = writeln!(
                    s,
                    "- {}{} (agreement {}, entry {})",
                    if c.retroactive {
                        "**RETROACTIVE** "
                    } else {
                        ""
                    },
                    md(&c.sentence),
                    md(&c.agreement),
                    c.index
                );
                for f in &c.findings_changed {
                    let _ = writeln!(
                        s,
                        "  - {} ({}): {} → **{}**{}",
                        md(&f.incident),
                        md(&f.day),
                        md(&f.before),
                        md(&f.after),
                        if f.retroactive { " (retroactive)" } else { "" }
                    );
                }
                if let Some(m) = more_md(c.findings_changed_total.and_then(|t| {
                    more(
                        c.findings_changed.len(),
                        t,
                        "finding(s) changed",
                        &format!("truce agreement history {}", c.agreement),
                    )
                })) {
                    let _ = writeln!(s, "  - {m}");
                }
            }
        }

        let _ = writeln!(s, "\n## {}\n", self.notable_heading());
        if let Some(c) = self.capped_text() {
            let _ = writeln!(s, "{c}\n");
        }
        if self.incidents.is_empty() {
            s.push_str("None.\n\n");
        }
        for i in &self.incidents {
            let _ = writeln!(s, "### {} — {}\n", i.id, md(&i.label));
            let _ = writeln!(s, "- Listed for: {}", md(&listed_for(i)));
            let _ = writeln!(s, "- **Occurrence: {}**", md(&occurrence_text(i)));
            for g in &i.occurrence_reasons {
                let _ = writeln!(s, "  - {}", md(g));
            }
            if i.attributions.is_empty() {
                s.push_str("- Attribution: nobody named as perpetrator\n");
            }
            for a in &i.attributions {
                let _ = writeln!(
                    s,
                    "- **Attribution of {}: {}** (standing: {}); named by {} ({})",
                    md(&a.party),
                    md(&a.grade),
                    md(&a.standing),
                    md(&a.by.join(", ")),
                    md(&a.origins.join(", "))
                );
                for g in &a.reasons {
                    let _ = writeln!(s, "  - {}", md(g));
                }
            }
            let _ = writeln!(
                s,
                "- When: {}{}; compliance day {}",
                md(&i.when),
                if i.edge {
                    self.edge_text()
                } else {
                    String::new()
                },
                i.compliance_day
            );
            let _ = writeln!(
                s,
                "- Where: [{:.5}, {:.5}] ±{} m",
                i.point[0], i.point[1], i.uncertainty_m
            );
            let _ = writeln!(s, "- Sources (origins): {}", md(&i.sides.join(", ")));
            s.push_str("- Reports:\n");
            for m in &i.reports {
                let _ = writeln!(
                    s,
                    "  - {}/{} [{}{}]: {}{}, {} ±{} m",
                    md(&m.author),
                    md(&m.id),
                    md(&m.side),
                    m.relays
                        .as_ref()
                        .map(|r| format!(", relaying {}", md(r)))
                        .unwrap_or_default(),
                    md(&m.act),
                    m.perpetrator
                        .as_ref()
                        .map(|p| format!(" by {}", md(p)))
                        .unwrap_or_default(),
                    md(&m.when),
                    m.uncertainty_m
                );
            }
            if let Some(m) = more_md(more(
                i.reports.len(),
                i.reports_total,
                "report(s)",
                &i.explain,
            )) {
                let _ = writeln!(s, "  - {m}");
            }
            if !i.reviews.is_empty() {
                s.push_str("- Monitors' review:\n");
                for r in &i.reviews {
                    let _ = writeln!(s, "  - {}", md(&review_text(r)));
                }
            }
            for a in &i.assessments {
                let _ = writeln!(s, "- Assessment: {}", md(&assessment_text(a)));
            }
            if let Some(m) = more_md(more(
                i.assessments.len(),
                i.assessments_total,
                "assessment(s)",
                &i.explain,
            )) {
                let _ = writeln!(s, "- {m}");
            }
            if i.reading_decides {
                s.push_str("- **The outcome depends on whose reading is applied.**\n");
            }
            s.push('\n');
            if !i.readings.is_empty() {
                s.push_str("| agreement | reading | outcome | parties | decided by |\n|---|---|---|---|---|\n");
                for r in &i.readings {
                    let _ = writeln!(
                        s,
                        "| {} | {} | **{}** | {} | {} |",
                        md(&r.agreement),
                        md(&r.reading),
                        r.words,
                        md(&r
                            .parties
                            .iter()
                            .map(party_text)
                            .collect::<Vec<_>>()
                            .join("; ")),
                        md(&r.decided_by)
                    );
                }
                s.push('\n');
                for r in &i.readings {
                    let _ = writeln!(
                        s,
                        "Under {}'s reading of {}: **{}**\n",
                        md(&r.reading),
                        md(&r.agreement),
                        r.words
                    );
                    for (k, x) in r.reasons.iter().enumerate() {
                        let _ = writeln!(
                            s,
                            "{}. {} ({}): {}",
                            k + 1,
                            md(&x.rule),
                            md(&x.holds),
                            md(&x.text)
                        );
                    }
                    s.push('\n');
                }
            }
            let _ = writeln!(s, "Every reason: `{}`\n", i.explain);
        }
        s.push_str("Not listed one by one:\n\n");
        for l in self.unlisted_lines() {
            let _ = writeln!(s, "- {l}");
        }
        let _ = writeln!(
            s,
            "\nEvery incident that began on the day: `{}` (UTC dates), or `{}`; one that began before the day and reaches into it is listed under the day it began.\n",
            self.unlisted.command, self.unlisted.api
        );

        let _ = writeln!(
            s,
            "## Commitments due around the day ({})\n",
            self.commitments.len()
        );
        if self.commitments.is_empty() {
            let _ = writeln!(s, "None due within {} days.\n", crate::COMMITMENT_DAYS);
        }
        for c in &self.commitments {
            let _ = writeln!(
                s,
                "### {} — {}\n\nDue {} ({}), logged by {}: **{}**{}\n",
                md(&c.id),
                md(&c.title),
                md(&c.due),
                due_text(c.due_in_days),
                md(&c.author),
                md(&c.status),
                if c.status == "discrepancy" {
                    " ⚠ discrepancy"
                } else {
                    ""
                }
            );
            s.push_str(
                "| item | from | to | promised | delivered | each side's total | |\n|---|---|---|---|---|---|---|\n",
            );
            for x in &c.items {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    md(&x.what),
                    md(x.from.as_deref().unwrap_or("—")),
                    md(x.to.as_deref().unwrap_or("—")),
                    x.promised,
                    x.delivered,
                    md(&x.sides_text()),
                    x.flags_text()
                );
            }
            s.push('\n');
        }

        s.push_str("## Charts\n\n");
        for (name, _) in self.charts() {
            let alt = if name.contains("incidents") {
                "Incidents per day by occurrence grade"
            } else {
                "Established and corroborated breaches, and allegations of breach, per party under each reading"
            };
            let _ = writeln!(s, "![{alt}]({name})\n");
        }
        s.push_str("| date | ");
        s.push_str(
            &Grade::ALL
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
        );
        let _ = writeln!(s, " |\n|---|{}", "---|".repeat(Grade::ALL.len()));
        for d in &self.series.days {
            let _ = writeln!(
                s,
                "| {} | {} |",
                d.date,
                Grade::ALL
                    .iter()
                    .map(|g| d
                        .by_occurrence
                        .get(g.as_str())
                        .copied()
                        .unwrap_or(0)
                        .to_string())
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        s.push_str("\nTo date (on the day in brackets):\n\n| agreement | reading | party named | established breaches | corroborated breaches | allegations of breach |\n|---|---|---|---|---|---|\n");
        for b in &self.series.breaches {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} ({}) | {} ({}) | {} ({}) |",
                md(&b.agreement),
                md(&b.reading),
                md(&b.party),
                b.established.to_date,
                b.established.day,
                b.corroborated.to_date,
                b.corroborated.day,
                b.alleged.to_date,
                b.alleged.day
            );
        }

        s.push_str("\n## Method\n\n");
        for m in self.method() {
            let _ = writeln!(s, "- {m}");
        }
        for w in &self.warnings {
            let _ = writeln!(s, "- Warning: {}", md(w));
        }

        s.push_str("\n## Checkpoint and reproduction\n\n");
        let _ = writeln!(
            s,
            "Computed from the log at checkpoint size {}, root `{}`, rules `{}`. The signed checkpoint:\n",
            self.checkpoint.size,
            md(&self.checkpoint.root),
            md(&self.rules)
        );
        let _ = writeln!(s, "```\n{}```\n", fenced(&self.checkpoint.note));
        let _ = writeln!(
            s,
            "Recompute it (byte-identical while the log has {} entries; later entries, such as a late assessment, may change it):\n\n```sh\n{} --format md\n```\n",
            self.checkpoint.size, self.reproduce
        );
        s
    }

    /// The report as one self-contained HTML page: inline CSS, inline SVG charts, no script and
    /// no external resource.
    pub fn to_html(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
            esc(&self.title()),
            CSS
        );
        let _ = writeln!(s, "<h1>{}</h1>", esc(&self.title()));
        let _ = writeln!(
            s,
            "<p class=\"meta\">Day: <b>{}</b>, {} in {} ({} – {}); {}.<br>Log: <code>{}</code> at checkpoint size <b>{}</b>, rules <code>{}</code>.</p>",
            esc(&self.date),
            esc(&self.window()),
            esc(&self.zone_label()),
            esc(&self.from),
            esc(&self.until),
            esc(&self.previous_text()),
            esc(&self.checkpoint.origin),
            self.checkpoint.size,
            esc(&self.rules)
        );
        let sm = &self.summary;
        let p = esc(self.previous.as_deref().unwrap_or("—"));
        s.push_str("<h2>Summary</h2>\n");
        let _ = writeln!(
            s,
            "<p>Incidents on the day: <b>{}</b> (change from {p}); routine detections: {}.</p>",
            esc(&count(&sm.incidents)),
            esc(&count(&sm.routine))
        );
        if sm.readings.is_empty() {
            s.push_str("<p>No finding under any reading on the day.</p>\n");
        } else {
            let _ = writeln!(
                s,
                "<p>Under each reading, on the day (change from {p}); established breaches are counted, corroborated breaches shown apart, alleged breaches only as allegations:</p>\n<ul class=\"headline\">"
            );
            for r in &sm.readings {
                let _ = writeln!(
                    s,
                    "<li>{}'s reading of {}: <b>{}</b></li>",
                    esc(&r.reading),
                    esc(&r.agreement),
                    esc(&headline(&r.breaches))
                );
            }
            s.push_str("</ul>\n");
        }
        s.push_str(
            "<div class=\"row\">\n<table><tr><th>occurrence</th><th>incidents (change)</th></tr>\n",
        );
        for l in &sm.by_occurrence {
            let _ = writeln!(
                s,
                "<tr><td><span class=\"g g-{}\">{}</span></td><td>{}</td></tr>",
                esc(&l.label),
                esc(&l.label),
                esc(&count(&l.count))
            );
        }
        s.push_str("</table>\n<table><tr><th>party named as perpetrator</th><th>incidents (change)</th></tr>\n");
        if sm.by_party.is_empty() {
            s.push_str("<tr><td>—</td><td>0</td></tr>\n");
        }
        for l in &sm.by_party {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&l.label),
                esc(&count(&l.count))
            );
        }
        s.push_str("</table>\n</div>\n<p>Findings by outcome under each reading, and per party named (change from the previous day in brackets):</p>\n<table><tr><th>agreement</th><th>reading</th><th>party</th>");
        for o in OUTCOME_WORDS {
            let _ = write!(s, "<th>{o}</th>");
        }
        s.push_str("</tr>\n");
        for r in &sm.readings {
            let _ = writeln!(
                s,
                "<tr class=\"all\"><td>{}</td><td>{}</td><td><i>all findings</i></td>{}</tr>",
                esc(&r.agreement),
                esc(&r.reading),
                cells(&r.outcomes)
                    .iter()
                    .map(|c| format!("<td>{}</td>", esc(c)))
                    .collect::<String>()
            );
            for pc in &r.parties {
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
                    esc(&r.agreement),
                    esc(&r.reading),
                    esc(&pc.party),
                    cells(&pc.outcomes)
                        .iter()
                        .map(|c| format!("<td>{}</td>", esc(c)))
                        .collect::<String>()
                );
            }
        }
        s.push_str("</table>\n");

        s.push_str("<h2>Observations</h2>\n");
        let _ = writeln!(s, "<p>{}</p>", esc(&self.observations_text()));
        if !self.observations.by_source.is_empty() {
            s.push_str("<table><tr><th>source</th><th>detections (change)</th><th>routine (change)</th></tr>\n");
            for o in &self.observations.by_source {
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&o.source),
                    esc(&count(&o.detections)),
                    esc(&count(&o.routine))
                );
            }
            s.push_str("</table>\n");
        }
        let _ = writeln!(
            s,
            "<p>{} List those that began on the day: <code>{}</code> (UTC dates), or <code>{}</code>.</p>",
            esc(OBSERVATIONS_NOTE),
            esc(&self.observations.command),
            esc(&self.observations.api)
        );
        if let Some(f) = &self.front {
            s.push_str(&f.to_html(self.previous.as_deref().unwrap_or("—")));
        }

        if !self.changes.is_empty() {
            let _ = writeln!(
                s,
                "<h2>Changes to readings ({})</h2>\n<p>Versions of readings filed on the day; each finding is compared as known just before the version was logged and just after. A retroactive version applies from before its filing: allowed, and flagged.</p>\n<ul class=\"changes\">",
                self.changes.len()
            );
            for c in &self.changes {
                let _ = write!(
                    s,
                    "<li{}>{}{} <span class=\"meta\">(agreement {}, entry {})</span>",
                    if c.retroactive {
                        " class=\"retro\""
                    } else {
                        ""
                    },
                    if c.retroactive {
                        "<b>RETROACTIVE</b> "
                    } else {
                        ""
                    },
                    esc(&c.sentence),
                    esc(&c.agreement),
                    c.index
                );
                if !c.findings_changed.is_empty() {
                    s.push_str("<ul>");
                    for f in &c.findings_changed {
                        let _ = write!(
                            s,
                            "<li><code>{}</code> ({}): {} → <b>{}</b>{}</li>",
                            esc(&f.incident),
                            esc(&f.day),
                            esc(&f.before),
                            esc(&f.after),
                            if f.retroactive { " (retroactive)" } else { "" }
                        );
                    }
                    if let Some(m) = more_html(c.findings_changed_total.and_then(|t| {
                        more(
                            c.findings_changed.len(),
                            t,
                            "finding(s) changed",
                            &format!("truce agreement history {}", c.agreement),
                        )
                    })) {
                        let _ = write!(s, "<li>{m}</li>");
                    }
                    s.push_str("</ul>");
                }
                s.push_str("</li>\n");
            }
            s.push_str("</ul>\n");
        }

        let _ = writeln!(s, "<h2>{}</h2>", esc(&self.notable_heading()));
        if let Some(c) = self.capped_text() {
            let _ = writeln!(s, "<p>{}</p>", esc(&c));
        }
        if self.incidents.is_empty() {
            s.push_str("<p>None.</p>\n");
        }
        for i in &self.incidents {
            let _ = writeln!(
                s,
                "<section class=\"incident\">\n<h3><code>{}</code> — {}</h3>\n<p class=\"why\">Listed for: {}</p>",
                esc(&i.id),
                esc(&i.label),
                esc(&listed_for(i))
            );
            let _ = writeln!(
                s,
                "<p>Occurrence: <span class=\"g g-{}\">{}</span></p>",
                esc(&i.occurrence),
                esc(&occurrence_text(i))
            );
            if !i.occurrence_reasons.is_empty() {
                s.push_str("<ul class=\"reasons\">\n");
                for g in &i.occurrence_reasons {
                    let _ = writeln!(s, "<li>{}</li>", esc(g));
                }
                s.push_str("</ul>\n");
            }
            if i.attributions.is_empty() {
                s.push_str("<p>Attribution: nobody named as perpetrator.</p>\n");
            }
            for a in &i.attributions {
                let _ = writeln!(
                    s,
                    "<p>Attribution of {}: <span class=\"a a-{}\">{}</span> (standing: <span class=\"s s-{}\">{}</span>); named by {} ({})</p>",
                    esc(&a.party),
                    esc(&a.grade),
                    esc(&a.grade),
                    esc(&a.standing),
                    esc(&a.standing),
                    esc(&a.by.join(", ")),
                    esc(&a.origins.join(", "))
                );
                if !a.reasons.is_empty() {
                    s.push_str("<ul class=\"reasons\">\n");
                    for g in &a.reasons {
                        let _ = writeln!(s, "<li>{}</li>", esc(g));
                    }
                    s.push_str("</ul>\n");
                }
            }
            s.push_str("<dl>\n");
            let _ = writeln!(
                s,
                "<dt>When</dt><dd>{}{}; compliance day {}</dd>",
                esc(&i.when),
                if i.edge {
                    self.edge_text()
                } else {
                    String::new()
                },
                esc(&i.compliance_day)
            );
            let _ = writeln!(
                s,
                "<dt>Where</dt><dd>[{:.5}, {:.5}] ±{} m</dd>",
                i.point[0], i.point[1], i.uncertainty_m
            );
            let _ = writeln!(
                s,
                "<dt>Sources (origins)</dt><dd>{}</dd>",
                esc(&i.sides.join(", "))
            );
            s.push_str("<dt>Reports</dt><dd><ul>\n");
            for m in &i.reports {
                let _ = writeln!(
                    s,
                    "<li>{}/{} [{}{}]: {}{}, {} ±{} m</li>",
                    esc(&m.author),
                    esc(&m.id),
                    esc(&m.side),
                    m.relays
                        .as_ref()
                        .map(|r| format!(", relaying {}", esc(r)))
                        .unwrap_or_default(),
                    esc(&m.act),
                    m.perpetrator
                        .as_ref()
                        .map(|p| format!(" by {}", esc(p)))
                        .unwrap_or_default(),
                    esc(&m.when),
                    m.uncertainty_m
                );
            }
            if let Some(m) = more_html(more(
                i.reports.len(),
                i.reports_total,
                "report(s)",
                &i.explain,
            )) {
                let _ = writeln!(s, "<li>{m}</li>");
            }
            s.push_str("</ul></dd>\n");
            if !i.reviews.is_empty() {
                s.push_str("<dt>Monitors' review</dt><dd><ul>\n");
                for r in &i.reviews {
                    let _ = writeln!(s, "<li>{}</li>", esc(&review_text(r)));
                }
                s.push_str("</ul></dd>\n");
            }
            for a in &i.assessments {
                let _ = writeln!(
                    s,
                    "<dt>Assessment</dt><dd{}>{}</dd>",
                    if a.counted {
                        ""
                    } else {
                        " class=\"uncounted\""
                    },
                    esc(&assessment_text(a))
                );
            }
            if let Some(m) = more_html(more(
                i.assessments.len(),
                i.assessments_total,
                "assessment(s)",
                &i.explain,
            )) {
                let _ = writeln!(s, "<dt>Assessments</dt><dd>{m}</dd>");
            }
            s.push_str("</dl>\n");
            if i.reading_decides {
                s.push_str(
                    "<p class=\"decides\">The outcome depends on whose reading is applied.</p>\n",
                );
            }
            if !i.readings.is_empty() {
                s.push_str("<table><tr><th>agreement</th><th>reading</th><th>outcome</th><th>parties</th><th>decided by</th></tr>\n");
                for r in &i.readings {
                    let _ = writeln!(
                        s,
                        "<tr><td>{}</td><td>{}</td><td><span class=\"o o-{}\">{}</span></td><td>{}</td><td>{}</td></tr>",
                        esc(&r.agreement),
                        esc(&r.reading),
                        esc(&class(&r.words)),
                        esc(&r.words),
                        esc(&r
                            .parties
                            .iter()
                            .map(party_text)
                            .collect::<Vec<_>>()
                            .join("; ")),
                        esc(&r.decided_by)
                    );
                }
                s.push_str("</table>\n");
                for r in &i.readings {
                    let _ = writeln!(
                        s,
                        "<details open><summary>Under {}'s reading of {}: <b>{}</b></summary>\n<ol>",
                        esc(&r.reading),
                        esc(&r.agreement),
                        esc(&r.words)
                    );
                    for x in &r.reasons {
                        let _ = writeln!(
                            s,
                            "<li><b>{}</b> ({}): {}</li>",
                            esc(&x.rule),
                            esc(&x.holds),
                            esc(&x.text)
                        );
                    }
                    s.push_str("</ol></details>\n");
                }
            }
            let _ = writeln!(
                s,
                "<p>Every reason: <code>{}</code></p>\n</section>",
                esc(&i.explain)
            );
        }
        s.push_str("<p>Not listed one by one:</p>\n<ul class=\"unlisted\">\n");
        for l in self.unlisted_lines() {
            let _ = writeln!(s, "<li>{}</li>", esc(&l));
        }
        let _ = writeln!(
            s,
            "</ul>\n<p>Every incident that began on the day: <code>{}</code> (UTC dates), or <code>{}</code>; one that began before the day and reaches into it is listed under the day it began.</p>",
            esc(&self.unlisted.command),
            esc(&self.unlisted.api)
        );

        let _ = writeln!(
            s,
            "<h2>Commitments due around the day ({})</h2>",
            self.commitments.len()
        );
        if self.commitments.is_empty() {
            let _ = writeln!(s, "<p>None due within {} days.</p>", crate::COMMITMENT_DAYS);
        }
        for c in &self.commitments {
            let _ = writeln!(
                s,
                "<h3>{} — {}</h3>\n<p>Due {} ({}), logged by {}: <b class=\"st-{}\">{}</b></p>",
                esc(&c.id),
                esc(&c.title),
                esc(&c.due),
                esc(&due_text(c.due_in_days)),
                esc(&c.author),
                esc(&c.status),
                esc(&c.status)
            );
            s.push_str("<table><tr><th>item</th><th>from</th><th>to</th><th>promised</th><th>delivered</th><th>each side's total</th><th></th></tr>\n");
            for x in &c.items {
                let _ = writeln!(
                    s,
                    "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    if x.discrepancy || x.sides_differ { " class=\"disc\"" } else { "" },
                    esc(&x.what),
                    esc(x.from.as_deref().unwrap_or("—")),
                    esc(x.to.as_deref().unwrap_or("—")),
                    x.promised,
                    x.delivered,
                    esc(&x.sides_text()),
                    esc(&x.flags_text())
                );
            }
            s.push_str("</table>\n");
        }

        s.push_str("<h2>Charts</h2>\n<div class=\"charts\">\n");
        s.push_str(&svg::incidents_by_day(self, false));
        s.push_str(&svg::breaches_by_party(self, false));
        s.push_str("</div>\n<h2>Method</h2>\n<ul>\n");
        for m in self.method() {
            let _ = writeln!(s, "<li>{}</li>", esc(&m));
        }
        for w in &self.warnings {
            let _ = writeln!(s, "<li>Warning: {}</li>", esc(w));
        }
        s.push_str("</ul>\n<h2>Checkpoint and reproduction</h2>\n");
        let _ = writeln!(
            s,
            "<p>Computed from the log at checkpoint size {}, root <code>{}</code>, rules <code>{}</code>. The signed checkpoint:</p>\n<pre>{}</pre>",
            self.checkpoint.size,
            esc(&self.checkpoint.root),
            esc(&self.rules),
            esc(&self.checkpoint.note)
        );
        let _ = writeln!(
            s,
            "<p>Recompute it (byte-identical while the log has {} entries; later entries, such as a late assessment, may change it):</p>\n<pre>{} --format html</pre>\n</body>\n</html>",
            self.checkpoint.size,
            esc(&self.reproduce)
        );
        s
    }
}

/// A note for a fenced block: ends with a newline, and no line can close the fence.
fn fenced(note: &str) -> String {
    let mut s = note.replace("```", "'''");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn due_text(d: i64) -> String {
    match d {
        0 => "due on the day".to_string(),
        1 => "due the next day".to_string(),
        -1 => "due the day before".to_string(),
        n if n > 0 => format!("due in {n} days"),
        n => format!("due {} days before", n.unsigned_abs()),
    }
}

const CSS: &str = "body{font-family:sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.6rem;border-bottom:2px solid #333}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #999}
h3{font-size:1.05rem}table{border-collapse:collapse;margin:.5rem 1rem .5rem 0}th,td{border:1px solid #bbb;padding:.2rem .45rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#eee}tr.all td{background:#f6f6f6}.row{display:flex;flex-wrap:wrap;align-items:flex-start}.meta{color:#444}
.incident{border-left:4px solid #1e88e5;padding-left:.8rem;margin:1rem 0;page-break-inside:avoid}
dl{display:grid;grid-template-columns:9rem 1fr;gap:.15rem .6rem}dt{font-weight:bold}dd{margin:0}dd ul{margin:0;padding-left:1.1rem}
.g,.o{padding:0 .35rem;border-radius:3px;color:#fff;background:#757575;font-weight:bold}
.g-corroborated{background:#e65100}.g-verified{background:#c62828}.g-unverifiable{background:#1e88e5}.g-dismissed{background:#43a047}.g-contested{background:#8e24aa}
.a,.s{padding:0 .35rem;border-radius:3px;border:1px solid #757575;font-weight:bold}.s-established{background:#c62828;color:#fff;border-color:#c62828}.s-corroborated{background:#ffccbc;border-color:#e65100}.s-alleged{border-style:dashed}
.o-established-breach{background:#c62828}.o-corroborated-breach{background:#e65100}.o-alleged-breach{background:#fff;color:#c62828;border:1px dashed #c62828}.o-no-breach{background:#43a047}.o-out-of-scope{background:#757575}.o-undetermined{background:#f9a825;color:#222}
.uncounted{color:#666}.headline{font-size:1.02rem}.why{color:#444;font-style:italic;margin:.2rem 0}
.decides{font-weight:bold;color:#8e24aa}.disc td{background:#fff3e0}.st-discrepancy{color:#c62828}
details{margin:.3rem 0}pre{background:#f4f4f4;padding:.6rem;overflow-x:auto;font-size:.85rem}.charts svg{display:block;margin:.5rem 0;max-width:100%;height:auto}
@media print{body{max-width:none;margin:0}details{display:block}details>*{display:block}}
";
