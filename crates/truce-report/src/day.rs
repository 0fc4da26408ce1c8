//! The report's day: a calendar date in a time zone (an IANA name from the tz database embedded
//! in the binary, or a fixed UTC offset), with an optional evening cut-off, as the half-open
//! interval of unix seconds it covers, and how incident intervals are matched against it. A day
//! across a change of the zone's offset lasts 23 or 25 hours.

use crate::ReportError;
use jiff::civil::{Date, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// A report day: a calendar date in a time zone, running from midnight to midnight or, with a
/// cut-off (the OSCE SMM's daily reports cut off at 19:30), from the previous day's cut-off to
/// this day's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    date: Date,
    /// The zone as written by `--tz`: an IANA name as the database spells it, or `±HH:MM`.
    tz_name: String,
    tz: TimeZone,
    /// The cut-off; `None` at midnight.
    cutoff: Option<Time>,
}

/// Parses `±HH:MM` (also `Z`) into seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let b = s.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let num = |x: &[u8]| -> Option<i32> {
        x.iter()
            .all(u8::is_ascii_digit)
            .then(|| i32::from(x[0] - b'0') * 10 + i32::from(x[1] - b'0'))
    };
    let (h, m) = (num(&b[1..3])?, num(&b[4..6])?);
    if h > 18 || m > 59 || (h == 18 && m > 0) {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// `±HH:MM` of an offset in seconds.
fn offset_text(s: i32) -> String {
    let a = s.unsigned_abs();
    format!(
        "{}{:02}:{:02}",
        if s < 0 { '-' } else { '+' },
        a / 3600,
        (a % 3600) / 60
    )
}

/// Parses a time zone: an IANA name of the embedded tz database (`Europe/Kyiv`, `UTC`), or a
/// fixed offset `±HH:MM` (`Z` for `+00:00`). Returns the canonical text and the zone.
pub(crate) fn parse_zone(s: &str) -> Result<(String, TimeZone), ReportError> {
    let bad = || ReportError::Zone(s.to_string());
    if s.starts_with(['+', '-']) || s == "Z" || s == "z" {
        let secs = parse_offset(s).ok_or_else(bad)?;
        let off = Offset::from_seconds(secs).map_err(|_| bad())?;
        return Ok((offset_text(secs), TimeZone::fixed(off)));
    }
    let tz = jiff::tz::db().get(s).map_err(|_| bad())?;
    let name = tz.iana_name().ok_or_else(bad)?.to_string();
    Ok((name, tz))
}

/// Parses a cut-off `HH:MM`; `00:00` and `24:00` are midnight (`None`).
fn parse_cutoff(s: &str) -> Result<Option<Time>, ReportError> {
    let bad = || ReportError::Cutoff(s.to_string());
    let b = s.as_bytes();
    if b.len() != 5
        || b[2] != b':'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
    {
        return Err(bad());
    }
    let n = |x: &[u8]| i8::try_from(u32::from(x[0] - b'0') * 10 + u32::from(x[1] - b'0')).ok();
    let (h, m) = (n(&b[0..2]).ok_or_else(bad)?, n(&b[3..5]).ok_or_else(bad)?);
    if (h, m) == (0, 0) || (h, m) == (24, 0) {
        return Ok(None);
    }
    Time::new(h, m, 0, 0).map(Some).map_err(|_| bad())
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

/// Unix seconds of a wall-clock time on a date in a zone. A time the zone skips (the hour lost
/// when clocks go forward) is taken after the gap; a time it repeats, at its first occurrence.
fn instant(tz: &TimeZone, date: Date, time: Time) -> Result<i64, ReportError> {
    tz.to_ambiguous_timestamp(date.to_datetime(time))
        .compatible()
        .map(Timestamp::as_second)
        .map_err(|_| ReportError::Date(date.to_string()))
}

impl Day {
    /// The day `date` (`YYYY-MM-DD`) in the zone `tz` (an IANA name such as `Europe/Kyiv` or
    /// `UTC`, or a fixed offset `±HH:MM`), midnight to midnight.
    pub fn parse(date: &str, tz: &str) -> Result<Day, ReportError> {
        Day::new(date, tz, None)
    }

    /// The day `date` in the zone `tz` with an optional cut-off `HH:MM`: the day then runs from
    /// the previous day's cut-off to this day's (`00:00` or `24:00`: midnight to midnight).
    pub fn new(date: &str, tz: &str, cutoff: Option<&str>) -> Result<Day, ReportError> {
        let (tz_name, tz) = parse_zone(tz)?;
        let day = Day {
            date: parse_date(date)?,
            tz_name,
            tz,
            cutoff: cutoff.map(parse_cutoff).transpose()?.flatten(),
        };
        // Both ends must be representable.
        day.bounds()?;
        Ok(day)
    }

    /// The publication parameters that say which day this is: `date`, `tz` and, unless it is
    /// midnight, `cutoff` (what [`Day::new`] reads back).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("date", self.date()), ("tz", self.tz())];
        out.extend(self.cutoff().map(|c| ("cutoff", c)));
        out
    }

    /// `[start, end)` in unix seconds.
    fn bounds(&self) -> Result<(i64, i64), ReportError> {
        let bad = || ReportError::Date(self.date.to_string());
        match self.cutoff {
            None => Ok((
                instant(&self.tz, self.date, Time::midnight())?,
                instant(
                    &self.tz,
                    self.date.tomorrow().map_err(|_| bad())?,
                    Time::midnight(),
                )?,
            )),
            Some(c) => Ok((
                instant(&self.tz, self.date.yesterday().map_err(|_| bad())?, c)?,
                instant(&self.tz, self.date, c)?,
            )),
        }
    }

    /// The date, `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        self.date.to_string()
    }

    /// The zone as `--tz` takes it: an IANA name (`Europe/Kyiv`, `UTC`) or `±HH:MM`.
    pub fn tz(&self) -> String {
        self.tz_name.clone()
    }

    /// The zone for a reader: the IANA name, or `UTC±HH:MM` for a fixed offset.
    pub fn zone_label(&self) -> String {
        if self.tz_name.starts_with(['+', '-']) {
            format!("UTC{}", self.tz_name)
        } else {
            self.tz_name.clone()
        }
    }

    /// The cut-off, `HH:MM`, unless the day runs midnight to midnight.
    pub fn cutoff(&self) -> Option<String> {
        self.cutoff
            .map(|c| format!("{:02}:{:02}", c.hour(), c.minute()))
    }

    /// The same zone and cut-off on another date.
    fn on(&self, date: Date) -> Day {
        Day {
            date,
            ..self.clone()
        }
    }

    /// The day before, in the same zone (`None` at the start of the calendar).
    pub fn previous(&self) -> Option<Day> {
        let d = self.on(self.date.yesterday().ok()?);
        d.bounds().is_ok().then_some(d)
    }

    /// The day after, in the same zone (`None` at the end of the calendar).
    pub fn next(&self) -> Option<Day> {
        let d = self.on(self.date.tomorrow().ok()?);
        d.bounds().is_ok().then_some(d)
    }

    /// The day `n` days before (`None` outside the calendar).
    pub fn back(&self, n: u32) -> Option<Day> {
        let mut d = self.clone();
        for _ in 0..n {
            d = d.previous()?;
        }
        Some(d)
    }

    /// Start of the day, unix seconds (inclusive).
    pub fn start(&self) -> i64 {
        self.bounds().map(|b| b.0).unwrap_or(i64::MIN)
    }

    /// End of the day, unix seconds (exclusive): where the next day starts. 86,400 seconds after
    /// the start, except across a change of the zone's offset (23 or 25 hours).
    pub fn end(&self) -> i64 {
        self.bounds().map(|b| b.1).unwrap_or(i64::MAX)
    }

    /// Whether the closed interval `[start, end]` (unix seconds) overlaps the day's `[start, end)`.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        start < self.end() && end >= self.start()
    }

    /// Whether the interval touches the day only at its first instant (it ends exactly when the
    /// day starts).
    pub fn touches_only_at_start(&self, start: i64, end: i64) -> bool {
        start < self.start() && end == self.start()
    }

    /// Unix seconds as `YYYY-MM-DD HH:MM` on the clock of the day's zone.
    pub fn local(&self, unix: i64) -> String {
        let Ok(ts) = Timestamp::from_second(unix) else {
            return unix.to_string();
        };
        let dt = self.tz.to_datetime(ts);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        )
    }

    /// Whole days from this day's date to `date` (negative if before), as calendar dates.
    pub fn days_to(&self, date: &str) -> Option<i64> {
        let other = parse_date(date.get(..10)?).ok()?;
        let a = instant(&TimeZone::UTC, self.date, Time::midnight()).ok()?;
        let b = instant(&TimeZone::UTC, other, Time::midnight()).ok()?;
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
    fn parses_dates_zones_and_offsets() {
        let d = Day::parse("2025-03-21", "+03:00").unwrap();
        assert_eq!(d.date(), "2025-03-21");
        assert_eq!(d.tz(), "+03:00");
        assert_eq!(d.zone_label(), "UTC+03:00");
        assert_eq!(d.start(), unix("2025-03-20T21:00:00Z").unwrap());
        assert_eq!(d.end(), unix("2025-03-21T21:00:00Z").unwrap());
        assert_eq!(Day::parse("2025-03-21", "-05:30").unwrap().tz(), "-05:30");
        assert_eq!(Day::parse("2025-03-21", "Z").unwrap().tz(), "+00:00");
        let u = Day::parse("2025-03-21", "UTC").unwrap();
        assert_eq!((u.tz(), u.zone_label()), ("UTC".into(), "UTC".into()));
        assert_eq!(u.start(), unix("2025-03-21T00:00:00Z").unwrap());
        // IANA names as the database spells them, whatever the case given.
        assert_eq!(
            Day::parse("2025-03-21", "europe/moscow").unwrap().tz(),
            "Europe/Moscow"
        );
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
        for bad in ["+3", "03:00", "+19:00", "+03:60", "+0a:00", "Moscow", ""] {
            assert!(
                matches!(Day::parse("2025-03-21", bad), Err(ReportError::Zone(_))),
                "{bad}"
            );
        }
        for bad in ["7:30", "19:60", "25:00", "19h30", "24:01", ""] {
            assert!(
                matches!(
                    Day::new("2025-03-21", "UTC", Some(bad)),
                    Err(ReportError::Cutoff(_))
                ),
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
