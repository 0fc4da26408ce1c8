//! The day's *observations*: the engine's background detections (sensor detections in no
//! incident, `Judgement::background`) whose interval overlaps the day, counted by source, routine
//! or not, with the previous day's. One pass over the background, holding only counters, so a
//! report over a log of a million detections takes memory for a day's counts, not the log's.

use crate::Count;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use truce_engine::BackgroundView;

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
/// seconds; a detection's interval is closed), read from the snapshot judged (their times as
/// unix seconds, their origin named only for those counted).
pub(crate) fn count<'a>(
    background: impl IntoIterator<Item = BackgroundView<'a>>,
    day: (i64, i64),
    previous: Option<(i64, i64)>,
) -> Pass {
    let on = |w: (i64, i64), s: i64, e: i64| s < w.1 && e >= w.0;
    // source → [day, day routine, previous, previous routine]
    let mut by: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    let mut first_start: Option<i64> = None;
    let mut unreadable = 0u64;
    // A time the published form cannot write (beyond RFC 3339's years) cannot be read back.
    let readable = |t: i64| jiff::Timestamp::from_second(t).is_ok();
    for b in background {
        let (s, e) = (b.report.start, b.report.end);
        if !(readable(s) && readable(e)) {
            unreadable += 1;
            continue;
        }
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
        let routine = u64::from(b.routine.is_some());
        let c = by.entry(b.side()).or_default();
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
