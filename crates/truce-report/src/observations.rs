//! The day's *observations*: the engine's background detections (sensor detections in no
//! incident, `Judgement::background`) whose interval overlaps the day, counted by source, routine
//! or not, with the previous day's. One pass over the background, holding only counters, so a
//! report over a log of a million detections takes memory for a day's counts, not the log's.

use crate::Count;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use truce_engine::Background;

/// Background detections of one source on the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCount {
    /// The origin (`sensor:firms`).
    pub source: String,
    /// Detections, with the previous day's.
    pub detections: Count,
    /// Of which routine (at a persistent hot spot), with the previous day's.
    pub routine: Count,
}

/// The day's background detections: sensor detections that are in no incident. Never incidents,
/// never counted as incidents or as findings of breach.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Observations {
    /// Detections whose interval overlaps the day, with the previous day's.
    pub detections: Count,
    /// Of which routine (at a persistent hot spot), with the previous day's.
    pub routine: Count,
    /// Per source, by name.
    pub by_source: Vec<SourceCount>,
    /// The command that lists the detections that began on the day's UTC dates.
    pub command: String,
    /// The API request that lists the detections that began within the day.
    pub api: String,
}

/// Unix seconds of an RFC 3339 time. The engine writes `YYYY-MM-DDTHH:MM:SSZ`, read here
/// directly (a report reads every background detection's interval); anything else is parsed by
/// jiff.
pub(crate) fn secs(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
    {
        let n = |from: usize, to: usize| -> Option<i64> {
            b.get(from..to)?.iter().try_fold(0i64, |a, c| {
                c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0'))
            })
        };
        if let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) =
            (n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16), n(17, 19))
        {
            // Within jiff's range (it ends in the last days of 9999) and a real date.
            if (1..=9998).contains(&y)
                && (1..=12).contains(&mo)
                && (1..=days_in_month(y, mo)).contains(&d)
                && h < 24
                && mi < 60
                && se < 60
            {
                return Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se);
            }
        }
    }
    crate::unix(s)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What one pass over the background found.
pub(crate) struct Pass {
    /// The day's observations.
    pub observations: Observations,
    /// The earliest start of a detection that starts before the day ends.
    pub first_start: Option<i64>,
    /// Detections whose interval could not be read (left out).
    pub unreadable: u64,
}

/// Counts the background detections overlapping `day` and `previous` (each `[start, end)` in unix
/// seconds; a detection's interval is closed). `last_date` is the UTC date (`YYYY-MM-DD`) of the
/// day's last second: a detection whose `day` field is later starts after the day and is passed
/// over without reading its times.
pub(crate) fn count(
    background: &[Background],
    day: (i64, i64),
    previous: Option<(i64, i64)>,
    last_date: &str,
) -> Pass {
    let on = |w: (i64, i64), s: i64, e: i64| s < w.1 && e >= w.0;
    // source → [day, day routine, previous, previous routine]
    let mut by: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
    let mut first_start: Option<i64> = None;
    let mut unreadable = 0u64;
    for b in background {
        if b.day.len() == 10 && b.day.as_str() > last_date {
            continue;
        }
        let d = &b.detection;
        let (Some(s), Some(e)) = (secs(&d.start), secs(&d.end)) else {
            unreadable += 1;
            continue;
        };
        let e = e.max(s);
        if s >= day.1 {
            continue;
        }
        first_start = Some(first_start.map_or(s, |f| f.min(s)));
        let today = on(day, s, e);
        let before = previous.is_some_and(|p| on(p, s, e));
        if !(today || before) {
            continue;
        }
        let routine = u64::from(d.routine.is_some());
        let c = by.entry(d.side.as_str()).or_default();
        if today {
            c[0] += 1;
            c[1] += routine;
        }
        if before {
            c[2] += 1;
            c[3] += routine;
        }
    }
    let sum = |k: usize| by.values().map(|c| c[k]).sum::<u64>();
    Pass {
        observations: Observations {
            detections: Count::new(sum(0), sum(2)),
            routine: Count::new(sum(1), sum(3)),
            by_source: by
                .iter()
                .map(|(source, c)| SourceCount {
                    source: source.to_string(),
                    detections: Count::new(c[0], c[2]),
                    routine: Count::new(c[1], c[3]),
                })
                .collect(),
            command: String::new(),
            api: String::new(),
        },
        first_start,
        unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_reading_agrees_with_jiff() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2025-03-21T23:59:59Z",
            "2024-02-29T12:00:00Z",
            "2000-02-29T00:00:01Z",
            "1969-12-31T23:59:59Z",
            "2100-03-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9998-12-31T23:59:59Z",
        ] {
            assert_eq!(secs(s), crate::unix(s), "{s}");
            assert!(secs(s).is_some(), "{s}");
        }
        // Every day of a leap year and of a common one.
        for y in [2023i64, 2024] {
            let mut t = crate::unix(&format!("{y}-01-01T00:00:00Z")).unwrap();
            for m in 1..=12 {
                for d in 1..=days_in_month(y, m) {
                    let s = format!("{y}-{m:02}-{d:02}T07:08:09Z");
                    assert_eq!(secs(&s), Some(t + 7 * 3600 + 8 * 60 + 9), "{s}");
                    t += 86_400;
                }
            }
        }
        // Beyond the direct reading's range: as jiff says.
        assert_eq!(
            secs("9999-12-31T23:59:59Z"),
            crate::unix("9999-12-31T23:59:59Z")
        );
        // Not a date: refused as jiff refuses it; other forms go to jiff.
        for s in [
            "2023-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-03-21T24:00:00Z",
        ] {
            assert_eq!(secs(s), None, "{s}");
        }
        assert_eq!(
            secs("2025-03-21T03:00:00+03:00"),
            crate::unix("2025-03-21T00:00:00Z")
        );
        assert_eq!(
            secs("2025-03-21T00:00:00.5Z"),
            crate::unix("2025-03-21T00:00:00Z")
        );
    }
}
