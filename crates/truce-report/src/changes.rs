//! Changes to readings: one version of a party's reading compared with the party's previous
//! version, the findings it changed (the findings under that reading judged as known just before
//! the version was logged and just after), and one sentence that says it, dates in the
//! agreement's time zone:
//!
//! > ru filed a new reading on 20 April 2025, effective from 18 March 2025 (retroactive): start
//! > 18 March → 1 April; end (effective) 17 April → 1 May; 3 findings change
//!
//! Pure: the caller judges the log at the two sizes (`truce_views::history` does, with the
//! views cached per size) and hands the findings in. `truce agreement history`, `GET
//! /v1/agreements/{id}/history`, the dashboard and the daily report's "Changes to readings" all
//! show these values, so they say the same thing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use truce_engine::{outcome_words, Finding};
use truce_model::domain::Reading;
use truce_model::ledger::Record;
use truce_model::time::TimeZoneName;
use truce_model::{Id, Time};

/// One version of one party's reading of an agreement, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionChange {
    /// The agreement.
    pub agreement: String,
    /// Whose reading.
    pub party: String,
    /// The version's number among the party's versions of this reading (1: the first).
    pub version: u32,
    /// Its log index.
    pub index: u64,
    /// Its entry id (hex SHA-256).
    pub entry_id: String,
    /// When it was filed (the entry's stated time, RFC 3339 UTC).
    pub filed: String,
    /// From when it applies (RFC 3339 UTC; the filing time unless the version states
    /// `effective_from`).
    pub effective_from: String,
    /// The agreement's time zone, the one the sentence's dates are in (`UTC` when the agreement
    /// states none).
    pub time_zone: String,
    /// Set when it applies from before its filing: allowed, and flagged.
    pub retroactive: bool,
    /// What changed from the party's previous version (none for a first version).
    pub changes: Vec<AspectChange>,
    /// Findings under this reading whose outcome changed: judged as known just before the
    /// version was logged (log size `index`) and just after (size `index + 1`).
    pub findings_changed: Vec<FindingChange>,
    /// Set when `findings_changed` lists only the first of them (the daily report lists at most
    /// [`crate::CHANGED_CAP`]): how many findings the version changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings_changed_total: Option<u64>,
    /// The change in one sentence ([`sentence`]).
    pub sentence: String,
}

/// One aspect of a reading that differs from the party's previous version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AspectChange {
    /// The aspect, as the readings diff names it (`start`, `end (effective)`, `bound`, …).
    pub aspect: String,
    /// Its value in the previous version (times RFC 3339 UTC, as the readings diff shows them).
    pub before: String,
    /// Its value in this version.
    pub after: String,
}

/// A finding the version changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingChange {
    /// The incident.
    pub incident: String,
    /// The finding's day, in the agreement's time zone.
    pub day: String,
    /// The outcome in words before the version ("alleged breach"; "no finding" when there was
    /// none).
    pub before: String,
    /// The outcome in words with the version ("no finding" when there is none any more).
    pub after: String,
    /// Whether the finding after the version is flagged retroactive.
    pub retroactive: bool,
}

/// The outcome of a finding in words and, when its parties' outcomes say more, theirs.
fn outcome_text(f: &Finding, detailed: bool) -> String {
    if !detailed || f.attributions.is_empty() {
        return f.words.clone();
    }
    let parties = f
        .attributions
        .iter()
        .map(|a| format!("{}: {}", a.party, outcome_words(a.outcome, a.standing)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{} ({parties})", f.words)
}

/// What of a finding a version can change: its outcome in words and each party's.
fn outcome_key(f: &Finding) -> (String, Vec<(String, String)>) {
    (
        f.words.clone(),
        f.attributions
            .iter()
            .map(|a| (a.party.to_string(), outcome_words(a.outcome, a.standing)))
            .collect(),
    )
}

/// The findings under `agreement` × `reading` whose outcome differs between `before` and
/// `after` (each a list of findings; others are ignored), in the order of `after`, then those
/// that no longer have a finding.
pub fn findings_changed(
    agreement: &Id,
    reading: &Id,
    before: &[Finding],
    after: &[Finding],
) -> Vec<FindingChange> {
    let mine = |f: &&Finding| &f.agreement == agreement && &f.reading == reading;
    let was: BTreeMap<&str, &Finding> = before
        .iter()
        .filter(mine)
        .map(|f| (f.incident.as_str(), f))
        .collect();
    let now: BTreeMap<&str, &Finding> = after
        .iter()
        .filter(mine)
        .map(|f| (f.incident.as_str(), f))
        .collect();
    let mut out = Vec::new();
    for f in after.iter().filter(mine) {
        match was.get(f.incident.as_str()) {
            Some(b) if outcome_key(b) == outcome_key(f) => {}
            Some(b) => {
                // Same words, other parties' outcomes: say whose.
                let detailed = b.words == f.words;
                out.push(FindingChange {
                    incident: f.incident.clone(),
                    day: f.day.clone(),
                    before: outcome_text(b, detailed),
                    after: outcome_text(f, detailed),
                    retroactive: f.retroactive,
                });
            }
            None => out.push(FindingChange {
                incident: f.incident.clone(),
                day: f.day.clone(),
                before: "no finding".into(),
                after: f.words.clone(),
                retroactive: f.retroactive,
            }),
        }
    }
    for b in before.iter().filter(mine) {
        if !now.contains_key(b.incident.as_str()) {
            out.push(FindingChange {
                incident: b.incident.clone(),
                day: b.day.clone(),
                before: b.words.clone(),
                after: "no finding".into(),
                retroactive: false,
            });
        }
    }
    out
}

/// The aspects in which `version` differs from `previous` (as the readings diff compares them).
pub fn aspect_changes(
    agreement: &Id,
    previous: &Record<Reading>,
    version: &Record<Reading>,
) -> Vec<AspectChange> {
    let d = truce_model::views::compare_readings(
        agreement,
        &[("before".into(), previous), ("after".into(), version)],
    );
    d.rows
        .iter()
        .filter(|r| r.differs)
        .map(|r| {
            let get = |l: &str| r.values.get(l).cloned().unwrap_or_default();
            AspectChange {
                aspect: r.aspect.clone(),
                before: get("before"),
                after: get("after"),
            }
        })
        .collect()
}

/// The version `versions[k]` of `versions` (one party's versions of its reading of `agreement`,
/// in log order) with what it changed: `before` and `after` are the findings as known at log
/// sizes `versions[k].index` and `versions[k].index + 1` (only those under this reading count).
pub fn version_change(
    agreement: &Id,
    time_zone: &TimeZoneName,
    versions: &[Record<Reading>],
    k: usize,
    before: &[Finding],
    after: &[Finding],
) -> Option<VersionChange> {
    let v = versions.get(k)?;
    let effective = v.value.effective_from.unwrap_or(v.time);
    let changes = match k.checked_sub(1).and_then(|p| versions.get(p)) {
        Some(prev) => aspect_changes(agreement, prev, v),
        None => Vec::new(),
    };
    let mut c = VersionChange {
        agreement: agreement.to_string(),
        party: v.author.to_string(),
        version: u32::try_from(k + 1).unwrap_or(u32::MAX),
        index: v.index,
        entry_id: v.entry_id.clone(),
        filed: v.time.to_string(),
        effective_from: effective.to_string(),
        time_zone: time_zone.to_string(),
        retroactive: effective < v.time,
        changes,
        findings_changed: findings_changed(agreement, &v.author, before, after),
        findings_changed_total: None,
        sentence: String::new(),
    };
    c.sentence = sentence(&c);
    Some(c)
}

/// An instant as a date on the zone's calendar, "18 March 2025" (the year left out when it is
/// `omit_year`), with the time of day when `with_time` and it is not midnight ("18 March 2025
/// 14:30").
fn local_date(
    t: &jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
    omit_year: Option<i16>,
    with_time: bool,
) -> String {
    let z = t.to_zoned(tz.clone());
    let mut s = z.strftime("%-d %B").to_string();
    if omit_year != Some(z.year()) {
        s.push_str(&format!(" {}", z.year()));
    }
    if with_time && (z.hour(), z.minute(), z.second()) != (0, 0, 0) {
        s.push_str(&format!(" {:02}:{:02}", z.hour(), z.minute()));
    }
    s
}

/// A value of the readings diff for a sentence: an instant as a local date (the year left out
/// when it is the filing's), anything else as it is.
fn value_text(v: &str, tz: &jiff::tz::TimeZone, year: i16) -> String {
    match Time::parse(v) {
        Ok(t) => local_date(&t.0, tz, Some(year), true),
        Err(_) => v.to_string(),
    }
}

/// The one sentence that says what a version changed, dates in its `time_zone`: "ru filed a new
/// reading on 20 April 2025, effective from 18 March 2025 (retroactive): start 18 March → 1
/// April; 3 findings change". A first version is "its first reading"; a version that changes no
/// term says so.
pub fn sentence(c: &VersionChange) -> String {
    let tz = TimeZoneName::new(&c.time_zone)
        .unwrap_or_else(|_| TimeZoneName::utc())
        .tz();
    let at = |s: &str| Time::parse(s).map(|t| t.0).ok();
    let (Some(filed), Some(effective)) = (at(&c.filed), at(&c.effective_from)) else {
        return format!("{} filed a reading (entry {})", c.party, c.index);
    };
    let year = filed.to_zoned(tz.clone()).year();
    let mut s = format!(
        "{} filed {} on {}, effective from {}{}",
        c.party,
        if c.version <= 1 {
            "its first reading"
        } else {
            "a new reading"
        },
        // The filing's time of day is noise in a sentence about days; a version's start is not.
        local_date(&filed, &tz, None, false),
        local_date(&effective, &tz, None, true),
        if c.retroactive { " (retroactive)" } else { "" }
    );
    if c.version > 1 {
        if c.changes.is_empty() {
            s.push_str(": no term changes");
        } else {
            s.push_str(": ");
            s.push_str(
                &c.changes
                    .iter()
                    .map(|a| {
                        format!(
                            "{} {} → {}",
                            a.aspect,
                            value_text(&a.before, &tz, year),
                            value_text(&a.after, &tz, year)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }
    let n = c
        .findings_changed_total
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(c.findings_changed.len());
    match n {
        0 => s.push_str("; no finding changes"),
        1 => s.push_str("; 1 finding changes"),
        n => s.push_str(&format!("; {n} findings change")),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(version: u32, filed: &str, effective: &str, n: usize) -> VersionChange {
        let mut c = VersionChange {
            agreement: "energy-moratorium-2025".into(),
            party: "ru".into(),
            version,
            index: 40,
            entry_id: "ab".repeat(32),
            filed: filed.into(),
            effective_from: effective.into(),
            time_zone: "Europe/Kyiv".into(),
            retroactive: effective < filed,
            changes: vec![AspectChange {
                aspect: "start".into(),
                before: "2025-03-17T22:00:00Z".into(),
                after: "2025-03-31T21:00:00Z".into(),
            }],
            findings_changed: (0..n)
                .map(|k| FindingChange {
                    incident: format!("inc-{k}"),
                    day: "2025-03-21".into(),
                    before: "alleged breach".into(),
                    after: "out of scope".into(),
                    retroactive: true,
                })
                .collect(),
            findings_changed_total: None,
            sentence: String::new(),
        };
        c.sentence = sentence(&c);
        c
    }

    #[test]
    fn the_sentence_says_who_when_from_when_what_and_how_many_in_the_zone() {
        // Filed 20 April 12:00 Kyiv time (09:00 UTC), effective from 18 March 00:00 Kyiv time
        // (17 March 22:00 UTC: UTC+2 before 30 March).
        let c = change(2, "2025-04-20T09:00:00Z", "2025-03-17T22:00:00Z", 3);
        assert_eq!(
            c.sentence,
            "ru filed a new reading on 20 April 2025, effective from 18 March 2025 (retroactive): start 18 March → 1 April; 3 findings change"
        );
        let c = change(2, "2025-04-20T09:00:00Z", "2025-04-20T09:00:00Z", 1);
        assert_eq!(
            c.sentence,
            "ru filed a new reading on 20 April 2025, effective from 20 April 2025 12:00: start 18 March → 1 April; 1 finding changes"
        );
        let mut c = change(1, "2025-03-25T15:00:00Z", "2025-03-17T22:00:00Z", 0);
        assert_eq!(
            c.sentence,
            "ru filed its first reading on 25 March 2025, effective from 18 March 2025 (retroactive); no finding changes"
        );
        c.version = 3;
        c.changes.clear();
        assert!(sentence(&c).ends_with("(retroactive): no term changes; no finding changes"));
        // In UTC, the same instants fall on other days.
        c.time_zone = "UTC".into();
        c.version = 2;
        c.changes = change(2, "", "", 0).changes;
        assert!(
            sentence(&c).contains("effective from 17 March 2025 22:00 (retroactive): start 17 March 22:00 → 31 March 21:00"),
            "{}",
            sentence(&c)
        );
    }
}
