//! Submission gates: what an entry's stated times may say *at the moment it is submitted*.
//!
//! An entry's `time` is what its author writes. At submission (HTTP `POST /v1/entries`, the
//! CLI's `truce submit`, `truce agreement add`, `truce ingest`, …) the service compares it with
//! its own clock and refuses what cannot be true, or flags what is unusual:
//!
//! - refused: an entry whose `time` is ahead of the submission clock by more than the allowed
//!   skew ([`Refusal::TimeAheadOfClock`]);
//! - refused: a report whose event *starts* after the report's own filing time (its entry
//!   `time`) plus the skew — an event cannot be reported before it starts
//!   ([`Refusal::EventStartsAfterFiling`]);
//! - flagged (accepted): a report whose event *ends* after its filing time — a fire still burning,
//!   an ACLED event known to the week ([`Flag::EventEndsAfterFiling`]);
//! - flagged (accepted): a late filing, whose `time` is more than `late_filing_s` before the
//!   submission clock, with the delay ([`Flag::LateFiling`]).
//!
//! These are gates, NOT replay rules: the ledger never applies them, so replaying a log accepts
//! exactly what it accepted before, whatever the date of the replay. This module reads no clock:
//! the submission clock's reading is passed in as `now`.

use crate::domain::{Interval, Report};
use crate::entry::Body;
use crate::time::Time;
use std::fmt;

/// The default allowed skew between an author's clock and the submission clock, seconds.
pub const DEFAULT_MAX_CLOCK_SKEW_S: u64 = 300;
/// The default delay after which a filing is flagged as late, seconds (7 days).
pub const DEFAULT_LATE_FILING_S: u64 = 7 * 86_400;

/// The configured thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How far an entry's `time` may be ahead of the submission clock (and a report's event start
    /// after its filing time), seconds. At the limit exactly is accepted.
    pub max_clock_skew_s: u64,
    /// How far an entry's `time` may be behind the submission clock before the filing is flagged
    /// as late, seconds. At the limit exactly is not late.
    pub late_filing_s: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clock_skew_s: DEFAULT_MAX_CLOCK_SKEW_S,
            late_filing_s: DEFAULT_LATE_FILING_S,
        }
    }
}

/// Why a submission is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The entry's stated `time` is ahead of the submission clock by more than the skew.
    TimeAheadOfClock {
        /// The entry's stated time.
        time: Time,
        /// The submission clock.
        now: Time,
        /// How far ahead, seconds (rounded up).
        ahead_s: i64,
        /// The allowed skew, seconds.
        skew_s: u64,
    },
    /// A report's event starts after the report's filing time (its entry `time`) plus the skew.
    EventStartsAfterFiling {
        /// The event's start.
        start: Time,
        /// The filing time (the entry's `time`).
        filed: Time,
        /// How far after the filing time, seconds (rounded up).
        after_s: i64,
        /// The allowed skew, seconds.
        skew_s: u64,
        /// The field at fault: `body.time.start`, or `body.body.time.start` in a correction.
        field: &'static str,
    },
}

/// Something unusual about an accepted submission, said in its acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// A report's event ends after its filing time: the report covers time still to come.
    EventEndsAfterFiling {
        /// The event's end.
        end: Time,
        /// The filing time (the entry's `time`).
        filed: Time,
        /// How far after the filing time, seconds (rounded up).
        after_s: i64,
    },
    /// The entry's stated `time` is more than `late_filing_s` before the submission clock.
    LateFiling {
        /// The entry's stated time.
        time: Time,
        /// The submission clock.
        now: Time,
        /// The delay, seconds (rounded down).
        delay_s: i64,
        /// The threshold, seconds.
        late_filing_s: u64,
    },
}

impl Refusal {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TimeAheadOfClock { .. } => "time_ahead_of_clock",
            Refusal::EventStartsAfterFiling { .. } => "event_starts_after_filing",
        }
    }
    /// The field at fault: `time` (the entry's) or the event's start.
    pub fn field(&self) -> &'static str {
        match self {
            Refusal::TimeAheadOfClock { .. } => "time",
            Refusal::EventStartsAfterFiling { field, .. } => field,
        }
    }
    /// What is wrong and what to do, naming the submission clock as `clock` (e.g. "this server's
    /// clock").
    pub fn describe(&self, clock: &str) -> String {
        match self {
            Refusal::TimeAheadOfClock {
                time,
                now,
                ahead_s,
                skew_s,
            } => format!(
                "entry time {time} is {} ahead of {clock} ({now}); the allowed skew is {skew_s} s: fix the author's clock or the stated time",
                span(*ahead_s)
            ),
            Refusal::EventStartsAfterFiling {
                start,
                filed,
                after_s,
                skew_s,
                ..
            } => format!(
                "the report's event starts at {start}, {} after the report's own filing time {filed} (the entry's `time`); an event cannot be reported before it starts (allowed skew {skew_s} s): fix the event's `time.start` or the entry's `time`",
                span(*after_s)
            ),
        }
    }
}

impl Flag {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Flag::EventEndsAfterFiling { .. } => "event_ends_after_filing",
            Flag::LateFiling { .. } => "late_filing",
        }
    }
    /// The flag's amount, seconds: how far the event ends after filing, or the filing's delay.
    pub fn seconds(&self) -> i64 {
        match self {
            Flag::EventEndsAfterFiling { after_s, .. } => *after_s,
            Flag::LateFiling { delay_s, .. } => *delay_s,
        }
    }
    /// What is unusual, naming the submission clock as `clock`.
    pub fn describe(&self, clock: &str) -> String {
        match self {
            Flag::EventEndsAfterFiling {
                end,
                filed,
                after_s,
            } => format!(
                "the event ends at {end}, {} after the report was filed ({filed}): it covers time still to come (an event still under way, or a coarse interval such as a week)",
                span(*after_s)
            ),
            Flag::LateFiling {
                time,
                now,
                delay_s,
                late_filing_s,
            } => format!(
                "late filing: entry time {time} is {} before {clock} ({now}); filings more than {} late are flagged",
                span(*delay_s),
                span(i64::try_from(*late_filing_s).unwrap_or(i64::MAX))
            ),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("the submission clock"))
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("the submission clock"))
    }
}

/// A duration in words, to the largest unit that makes a number of at least 2: `42 s`,
/// `5 minutes`, `36 hours`, `53 days`, `73 years` (of 365.2425 days).
pub fn span(secs: i64) -> String {
    const MIN: i64 = 60;
    const HOUR: i64 = 3_600;
    const DAY: i64 = 86_400;
    const YEAR: i64 = 31_556_952;
    let s = secs.unsigned_abs() as i64;
    let sign = if secs < 0 { "-" } else { "" };
    if s >= 2 * YEAR {
        format!("{sign}{} years", s / YEAR)
    } else if s >= 2 * DAY {
        format!("{sign}{} days", s / DAY)
    } else if s >= 2 * HOUR {
        format!("{sign}{} hours", s / HOUR)
    } else if s >= 2 * MIN {
        format!("{sign}{} minutes", s / MIN)
    } else {
        format!("{sign}{s} s")
    }
}

/// `a - b` in seconds, rounded up (towards +∞) or down.
fn diff_s(a: Time, b: Time, up: bool) -> i64 {
    let d = a.0.duration_since(b.0);
    let s = d.as_secs();
    if up && d.subsec_nanos() > 0 {
        s + 1
    } else if !up && d.subsec_nanos() < 0 {
        s - 1
    } else {
        s
    }
}

fn over(a: Time, b: Time, limit_s: u64) -> bool {
    let limit = jiff::SignedDuration::from_secs(i64::try_from(limit_s).unwrap_or(i64::MAX));
    a.0.duration_since(b.0) > limit
}

/// The gates for an entry stated at `time` whose event (a report's) is `event`, submitted when
/// the submission clock reads `now`: `Err` if it must be refused, else the flags (possibly none).
/// The event's field at fault is named `body.time.start`.
pub fn check_times(
    time: Time,
    event: Option<&Interval>,
    now: Time,
    limits: &Limits,
) -> Result<Vec<Flag>, Refusal> {
    check_event(time, event, "body.time.start", now, limits)
}

fn check_event(
    time: Time,
    event: Option<&Interval>,
    field: &'static str,
    now: Time,
    limits: &Limits,
) -> Result<Vec<Flag>, Refusal> {
    let skew_s = limits.max_clock_skew_s;
    if over(time, now, skew_s) {
        return Err(Refusal::TimeAheadOfClock {
            time,
            now,
            ahead_s: diff_s(time, now, true),
            skew_s,
        });
    }
    let mut flags = Vec::new();
    if let Some(ev) = event {
        if over(ev.start, time, skew_s) {
            return Err(Refusal::EventStartsAfterFiling {
                start: ev.start,
                filed: time,
                after_s: diff_s(ev.start, time, true),
                skew_s,
                field,
            });
        }
        if ev.end > time {
            flags.push(Flag::EventEndsAfterFiling {
                end: ev.end,
                filed: time,
                after_s: diff_s(ev.end, time, true),
            });
        }
    }
    if over(now, time, limits.late_filing_s) {
        flags.push(Flag::LateFiling {
            time,
            now,
            delay_s: diff_s(now, time, false),
            late_filing_s: limits.late_filing_s,
        });
    }
    Ok(flags)
}

/// The gates for an entry with this `body`, stated at `time`, submitted at `now` (see
/// [`check_times`]): a report's event is its `time` interval, and so is a correction's that
/// replaces a report's body (`amend` with `action = "correct"`; the field is then
/// `body.body.time.start`). Every other kind is checked for its entry time only.
pub fn check(time: Time, body: &Body, now: Time, limits: &Limits) -> Result<Vec<Flag>, Refusal> {
    match body {
        Body::Report(r) => check_event(time, Some(&r.time), "body.time.start", now, limits),
        Body::Amend(a) => {
            let corrected = a
                .body
                .as_ref()
                .filter(|v| v.get("time").is_some_and(|t| t.is_object()))
                .and_then(|v| serde_json::from_value::<Report>(v.clone()).ok());
            check_event(
                time,
                corrected.as_ref().map(|r| &r.time),
                "body.body.time.start",
                now,
                limits,
            )
        }
        _ => check_event(time, None, "body.time.start", now, limits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time::parse(s).unwrap()
    }
    fn iv(start: &str, end: &str) -> Interval {
        Interval {
            start: t(start),
            end: t(end),
        }
    }
    const NOW: &str = "2026-01-10T12:00:00Z";
    fn lim() -> Limits {
        Limits::default()
    }

    #[test]
    fn defaults() {
        assert_eq!(lim().max_clock_skew_s, 300);
        assert_eq!(lim().late_filing_s, 604_800);
    }

    #[test]
    fn time_ahead_of_the_clock_refused_beyond_the_skew_only() {
        let now = t(NOW);
        // Exactly at the skew: accepted, nothing flagged.
        assert_eq!(
            check_times(t("2026-01-10T12:05:00Z"), None, now, &lim()),
            Ok(vec![])
        );
        // One nanosecond, one second beyond: refused.
        for late in ["2026-01-10T12:05:00.000000001Z", "2026-01-10T12:05:01Z"] {
            let r = check_times(t(late), None, now, &lim()).unwrap_err();
            assert_eq!(r.code(), "time_ahead_of_clock");
            assert_eq!(r.field(), "time");
        }
        let r = check_times(t("2026-01-10T12:05:01Z"), None, now, &lim()).unwrap_err();
        assert!(
            matches!(
                r,
                Refusal::TimeAheadOfClock {
                    ahead_s: 301,
                    skew_s: 300,
                    ..
                }
            ),
            "{r:?}"
        );
        // 2099: years ahead, said so.
        let r = check_times(t("2099-01-01T00:00:00Z"), None, now, &lim()).unwrap_err();
        let m = r.describe("this server's clock");
        assert!(
            m.starts_with("entry time 2099-01-01T00:00:00Z is 72 years ahead of this server's clock (2026-01-10T12:00:00Z); the allowed skew is 300 s: fix the author's clock or the stated time"),
            "{m}"
        );
        // A skew of 0: any second ahead is refused, the same instant is not.
        let z = Limits {
            max_clock_skew_s: 0,
            ..lim()
        };
        assert!(check_times(now, None, now, &z).is_ok());
        assert!(check_times(t("2026-01-10T12:00:01Z"), None, now, &z).is_err());
    }

    #[test]
    fn event_starting_after_its_filing_refused_beyond_the_skew() {
        let now = t(NOW);
        let filed = t("2026-01-10T11:00:00Z");
        // Starts exactly skew after the filing: accepted (and flagged: it ends after filing).
        let ok = check_times(
            filed,
            Some(&iv("2026-01-10T11:05:00Z", "2026-01-10T11:05:00Z")),
            now,
            &lim(),
        )
        .unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].code(), "event_ends_after_filing");
        assert_eq!(ok[0].seconds(), 300);
        // One second more: refused, naming the event's start.
        let r = check_times(
            filed,
            Some(&iv("2026-01-10T11:05:01Z", "2026-01-10T12:00:00Z")),
            now,
            &lim(),
        )
        .unwrap_err();
        assert_eq!(r.code(), "event_starts_after_filing");
        assert_eq!(r.field(), "body.time.start");
        assert!(matches!(
            r,
            Refusal::EventStartsAfterFiling { after_s: 301, .. }
        ));
        // The 1 March report of a 23 April event, filed on time by the clock: refused, even
        // though nothing is in the server's future.
        let r = check_times(
            t("2025-03-01T10:00:00Z"),
            Some(&iv("2025-04-23T00:00:00Z", "2025-04-24T00:00:00Z")),
            now,
            &lim(),
        )
        .unwrap_err();
        let m = r.describe("this server's clock");
        assert!(
            m.contains("starts at 2025-04-23T00:00:00Z, 52 days after the report's own filing time 2025-03-01T10:00:00Z")
                && m.contains("fix the event's `time.start` or the entry's `time`"),
            "{m}"
        );
        // A time ahead of the clock is the first reason given.
        let r = check_times(
            t("2099-01-01T00:00:00Z"),
            Some(&iv("2099-02-01T00:00:00Z", "2099-02-01T00:00:00Z")),
            now,
            &lim(),
        )
        .unwrap_err();
        assert_eq!(r.code(), "time_ahead_of_clock");
    }

    #[test]
    fn event_ending_after_filing_flagged() {
        let now = t(NOW);
        let filed = t("2026-01-10T11:00:00Z");
        // Ends exactly at the filing: nothing.
        assert_eq!(
            check_times(
                filed,
                Some(&iv("2026-01-10T09:00:00Z", "2026-01-10T11:00:00Z")),
                now,
                &lim()
            ),
            Ok(vec![])
        );
        // An ACLED-like week that started before the filing and ends days after it: flagged.
        let f = check_times(
            filed,
            Some(&iv("2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z")),
            now,
            &lim(),
        )
        .unwrap();
        assert_eq!(
            f,
            vec![Flag::EventEndsAfterFiling {
                end: t("2026-01-12T00:00:00Z"),
                filed,
                after_s: 37 * 3600
            }]
        );
        assert!(f[0]
            .describe("x")
            .starts_with("the event ends at 2026-01-12T00:00:00Z, 37 hours after the report was filed (2026-01-10T11:00:00Z)"));
    }

    #[test]
    fn late_filing_flagged_beyond_the_threshold_with_its_delay() {
        let now = t(NOW);
        // Exactly 7 days before: not late.
        assert_eq!(
            check_times(t("2026-01-03T12:00:00Z"), None, now, &lim()),
            Ok(vec![])
        );
        // One second more: late, with the delay.
        let f = check_times(t("2026-01-03T11:59:59Z"), None, now, &lim()).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code(), "late_filing");
        assert_eq!(f[0].seconds(), 7 * 86_400 + 1);
        // A 2025 report of a 2025 event, submitted in 2026: accepted, flagged late only.
        let f = check_times(
            t("2025-03-01T10:00:00Z"),
            Some(&iv("2025-02-28T22:00:00Z", "2025-03-01T02:00:00Z")),
            now,
            &lim(),
        )
        .unwrap();
        assert_eq!(f.len(), 1);
        let m = f[0].describe("this server's clock");
        assert_eq!(
            m,
            "late filing: entry time 2025-03-01T10:00:00Z is 315 days before this server's clock (2026-01-10T12:00:00Z); filings more than 7 days late are flagged"
        );
        // Both flags at once, the event's first.
        let f = check_times(
            t("2025-03-01T10:00:00Z"),
            Some(&iv("2025-02-28T22:00:00Z", "2025-03-03T00:00:00Z")),
            now,
            &lim(),
        )
        .unwrap();
        let codes: Vec<&str> = f.iter().map(Flag::code).collect();
        assert_eq!(codes, ["event_ends_after_filing", "late_filing"]);
    }

    #[test]
    fn historical_bulk_records_filed_now_pass() {
        // Ingest states its records' filing time as the submission clock: a 2019 event is
        // history, neither refused nor late.
        let now = t(NOW);
        assert_eq!(
            check_times(
                now,
                Some(&iv("2019-06-01T00:00:00Z", "2019-06-07T23:59:59Z")),
                now,
                &lim()
            ),
            Ok(vec![])
        );
    }

    #[test]
    fn bodies_a_report_and_a_correction_of_one() {
        let now = t(NOW);
        let report: Report = serde_json::from_value(serde_json::json!({
            "act": "strike",
            "id": "r1",
            "location": {"point": [33.0, 47.0]},
            "time": {"start": "2026-02-01T00:00:00Z"}
        }))
        .unwrap();
        let r = check(now, &Body::Report(report.clone()), now, &lim()).unwrap_err();
        assert_eq!(r.field(), "body.time.start");
        let amend = Body::Amend(crate::domain::Amendment {
            amends: "00".repeat(32),
            action: crate::domain::AmendAction::Correct,
            reason: "typo".into(),
            body: Some(serde_json::to_value(&report).unwrap()),
        });
        let r = check(now, &amend, now, &lim()).unwrap_err();
        assert_eq!(r.field(), "body.body.time.start");
        // Other kinds: the entry's time only.
        let policy = Body::ReviewPolicy(crate::domain::ReviewPolicy {
            quorum: 2,
            text: String::new(),
        });
        assert!(check(now, &policy, now, &lim()).unwrap().is_empty());
        assert!(check(t("2099-01-01T00:00:00Z"), &policy, now, &lim()).is_err());
    }

    #[test]
    fn spans_in_words() {
        assert_eq!(span(42), "42 s");
        assert_eq!(span(119), "119 s");
        assert_eq!(span(120), "2 minutes");
        assert_eq!(span(36 * 3600), "36 hours");
        assert_eq!(span(53 * 86_400 + 5), "53 days");
        assert_eq!(span(400 * 86_400), "400 days");
        assert_eq!(span(3 * 31_556_952), "3 years");
        assert_eq!(span(-90), "-90 s");
    }
}
