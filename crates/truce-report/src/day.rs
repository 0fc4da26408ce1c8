//! The report's day: a calendar date at a fixed UTC offset, as the half-open interval
//! `[00:00, 24:00)` in unix seconds, and how incident intervals are matched against it.

use crate::ReportError;
use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::Timestamp;

/// A calendar day at a fixed UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    date: Date,
    offset_s: i32,
}

/// Parses `±HH:MM` (also `Z`) into seconds east of UTC.
fn parse_offset(s: &str) -> Result<i32, ReportError> {
    let bad = || ReportError::Offset(s.to_string());
    if s == "Z" || s == "z" {
        return Ok(0);
    }
    let b = s.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return Err(bad());
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(bad()),
    };
    let num = |x: &[u8]| -> Result<i32, ReportError> {
        if x.iter().all(u8::is_ascii_digit) {
            Ok(i32::from(x[0] - b'0') * 10 + i32::from(x[1] - b'0'))
        } else {
            Err(bad())
        }
    };
    let (h, m) = (num(&b[1..3])?, num(&b[4..6])?);
    if h > 18 || m > 59 || (h == 18 && m > 0) {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60))
}

/// Parses a strict `YYYY-MM-DD` date.
pub(crate) fn parse_date(s: &str) -> Result<Date, ReportError> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(ReportError::Date(s.to_string()));
    }
    s.parse::<Date>()
        .map_err(|_| ReportError::Date(s.to_string()))
}

/// Unix seconds of a date's midnight at an offset.
fn midnight(date: Date, offset_s: i32) -> Result<i64, ReportError> {
    let off = Offset::from_seconds(offset_s).map_err(|e| ReportError::Offset(e.to_string()))?;
    off.to_timestamp(date.at(0, 0, 0, 0))
        .map(Timestamp::as_second)
        .map_err(|_| ReportError::Date(date.to_string()))
}

impl Day {
    /// The day `date` (`YYYY-MM-DD`) at the UTC offset `offset` (`±HH:MM`, e.g. `+03:00`).
    pub fn parse(date: &str, offset: &str) -> Result<Day, ReportError> {
        let day = Day {
            date: parse_date(date)?,
            offset_s: parse_offset(offset)?,
        };
        // Both ends must be representable.
        midnight(day.date, day.offset_s)?;
        day.date
            .tomorrow()
            .map_err(|_| ReportError::Date(date.to_string()))?;
        Ok(day)
    }

    /// The date, `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        self.date.to_string()
    }

    /// The offset as `±HH:MM`.
    pub fn offset(&self) -> String {
        let s = self.offset_s;
        let a = s.unsigned_abs();
        format!(
            "{}{:02}:{:02}",
            if s < 0 { '-' } else { '+' },
            a / 3600,
            (a % 3600) / 60
        )
    }

    /// The day before, at the same offset (`None` at the start of the calendar).
    pub fn previous(&self) -> Option<Day> {
        self.date.yesterday().ok().map(|date| Day {
            date,
            offset_s: self.offset_s,
        })
    }

    /// The day after, at the same offset (`None` at the end of the calendar).
    pub fn next(&self) -> Option<Day> {
        self.date.tomorrow().ok().map(|date| Day {
            date,
            offset_s: self.offset_s,
        })
    }

    /// The day `n` days before (`None` outside the calendar).
    pub fn back(&self, n: u32) -> Option<Day> {
        let mut d = *self;
        for _ in 0..n {
            d = d.previous()?;
        }
        Some(d)
    }

    /// Start of the day, unix seconds (inclusive).
    pub fn start(&self) -> i64 {
        midnight(self.date, self.offset_s).unwrap_or(i64::MIN)
    }

    /// End of the day, unix seconds (exclusive): the next day's midnight.
    pub fn end(&self) -> i64 {
        self.start().saturating_add(86_400)
    }

    /// Whether the closed interval `[start, end]` (unix seconds) overlaps `[00:00, 24:00)`.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        start < self.end() && end >= self.start()
    }

    /// Whether the interval touches the day only at its last instant (it ends exactly at 00:00).
    pub fn touches_only_at_start(&self, start: i64, end: i64) -> bool {
        start < self.start() && end == self.start()
    }

    /// Unix seconds as `YYYY-MM-DD HH:MM` at the day's offset.
    pub fn local(&self, unix: i64) -> String {
        let Ok(ts) = Timestamp::from_second(unix) else {
            return unix.to_string();
        };
        let Ok(off) = Offset::from_seconds(self.offset_s) else {
            return ts.to_string();
        };
        let dt = off.to_datetime(ts);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        )
    }

    /// Whole days from this day's date to `date` (negative if before), ignoring offsets.
    pub fn days_to(&self, date: &str) -> Option<i64> {
        let other = parse_date(date.get(..10)?).ok()?;
        let a = midnight(self.date, 0).ok()?;
        let b = midnight(other, 0).ok()?;
        Some((b - a).div_euclid(86_400))
    }
}

/// An RFC 3339 timestamp as unix seconds.
pub fn unix(s: &str) -> Option<i64> {
    s.parse::<Timestamp>().ok().map(Timestamp::as_second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_offsets() {
        let d = Day::parse("2025-03-21", "+03:00").unwrap();
        assert_eq!(d.date(), "2025-03-21");
        assert_eq!(d.offset(), "+03:00");
        assert_eq!(d.start(), unix("2025-03-20T21:00:00Z").unwrap());
        assert_eq!(d.end(), unix("2025-03-21T21:00:00Z").unwrap());
        assert_eq!(
            Day::parse("2025-03-21", "-05:30").unwrap().offset(),
            "-05:30"
        );
        assert_eq!(Day::parse("2025-03-21", "Z").unwrap().offset(), "+00:00");
        for bad in [
            "2025-3-21",
            "2025-02-30",
            "21/03/2025",
            "2025-03-21T00:00",
            "",
        ] {
            assert!(
                matches!(Day::parse(bad, "+00:00"), Err(ReportError::Date(_))),
                "{bad}"
            );
        }
        for bad in ["+3", "03:00", "+19:00", "+03:60", "+0a:00", "UTC"] {
            assert!(
                matches!(Day::parse("2025-03-21", bad), Err(ReportError::Offset(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn overlap_is_closed_on_the_interval_and_half_open_on_the_day() {
        let d = Day::parse("2025-03-21", "+00:00").unwrap();
        let t = |s: &str| unix(s).unwrap();
        // Ends exactly at midnight: on the day (its last instant), and flagged.
        assert!(d.overlaps(t("2025-03-20T20:00:00Z"), t("2025-03-21T00:00:00Z")));
        assert!(d.touches_only_at_start(t("2025-03-20T20:00:00Z"), t("2025-03-21T00:00:00Z")));
        // Starts exactly at the next midnight: not on the day.
        assert!(!d.overlaps(t("2025-03-22T00:00:00Z"), t("2025-03-22T01:00:00Z")));
        assert!(d.overlaps(t("2025-03-21T23:59:59Z"), t("2025-03-22T01:00:00Z")));
        assert!(!d.overlaps(t("2025-03-20T00:00:00Z"), t("2025-03-20T23:59:59Z")));
        assert_eq!(d.local(t("2025-03-20T20:22:00Z")), "2025-03-20 20:22");
        let m = Day::parse("2025-03-21", "+03:00").unwrap();
        assert_eq!(m.local(t("2025-03-20T21:10:00Z")), "2025-03-21 00:10");
        assert_eq!(d.days_to("2025-03-19"), Some(-2));
        assert_eq!(d.previous().unwrap().date(), "2025-03-20");
        assert_eq!(d.back(3).unwrap().date(), "2025-03-18");
    }
}
