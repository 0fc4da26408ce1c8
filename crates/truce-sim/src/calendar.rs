//! Proleptic Gregorian dates as day numbers since 1970-01-01 (H. Hinnant's civil-date
//! algorithms), and the date and number spellings the output formats use. No clock, no time zones:
//! everything is UTC.

/// English month names, for ACLED's `16 May 2025` spelling.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Whether `y` is a leap year.
fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1–12) of year `y`.
fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ymd {
    pub y: i64,
    pub m: u32,
    pub d: u32,
}

impl Ymd {
    /// Validates a date.
    pub fn new(y: i64, m: u32, d: u32) -> Option<Ymd> {
        ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some(Ymd { y, m, d })
    }

    /// Days since 1970-01-01.
    pub fn to_days(self) -> i64 {
        let y = if self.m <= 2 { self.y - 1 } else { self.y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = i64::from((self.m + 9) % 12);
        let doy = (153 * mp + 2) / 5 + i64::from(self.d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Ymd {
        let z = days + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Ymd {
            y: yoe + era * 400 + i64::from(m <= 2),
            m,
            d,
        }
    }

    /// `YYYY-MM-DD`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }

    /// `16 May 2025`.
    pub fn long(self) -> String {
        format!("{} {} {}", self.d, MONTHS[self.m as usize - 1], self.y)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for `secs` since the Unix epoch.
pub(crate) fn rfc3339(secs: i64) -> String {
    let day = secs.div_euclid(86_400);
    let s = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Ymd::from_days(day).iso(),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Appends the decimal digits of `n`.
pub(crate) fn push_uint(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

const POW10: [u64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// Appends `v` rounded to `decimals` (≤ 6) places. With `trim`, trailing zeros are dropped but
/// one decimal is kept (`0.8`, `367.0`, `44.2982`), as FIRMS files write them; without, all
/// places are written (`50.4500`), as ACLED does.
pub(crate) fn push_fixed(buf: &mut Vec<u8>, v: f64, decimals: usize, trim: bool) {
    let scale = POW10[decimals];
    let scaled = (v * scale as f64).round();
    if scaled < 0.0 {
        buf.push(b'-');
    }
    let n = scaled.abs() as u64;
    push_uint(buf, n / scale);
    if decimals == 0 {
        return;
    }
    let mut frac = n % scale;
    let mut places = decimals;
    if trim {
        while places > 1 && frac.is_multiple_of(10) {
            frac /= 10;
            places -= 1;
        }
    }
    buf.push(b'.');
    let mut digits = [b'0'; 6];
    for slot in digits[..places].iter_mut().rev() {
        *slot = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    buf.extend_from_slice(&digits[..places]);
}

/// `push_fixed` into a new string.
pub(crate) fn fixed(v: f64, decimals: usize, trim: bool) -> String {
    let mut b = Vec::with_capacity(16);
    push_fixed(&mut b, v, decimals, trim);
    String::from_utf8(b).expect("ASCII digits")
}

/// Rounds to `decimals` places, so a stored value prints exactly as written.
pub(crate) fn round_to(v: f64, decimals: usize) -> f64 {
    let s = POW10[decimals] as f64;
    (v * s).round() / s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(Ymd::new(1970, 1, 1).unwrap().to_days(), 0);
        assert_eq!(Ymd::new(2025, 3, 18).unwrap().to_days(), 20_165);
        for z in -800_000..800_000i64 {
            if z % 997 == 0 {
                assert_eq!(Ymd::from_days(z).to_days(), z);
            }
        }
        assert_eq!(Ymd::from_days(20_165 + 347).iso(), "2026-02-28");
        assert_eq!(
            Ymd::from_days(Ymd::new(2024, 2, 28).unwrap().to_days() + 1).iso(),
            "2024-02-29"
        );
        assert!(Ymd::new(2025, 2, 29).is_none());
        assert!(Ymd::new(2025, 13, 1).is_none());
        assert_eq!(Ymd::new(2025, 5, 16).unwrap().long(), "16 May 2025");
        assert_eq!(rfc3339(1_742_502_120), "2025-03-20T20:22:00Z");
    }

    #[test]
    fn numbers_are_spelled_like_the_sources() {
        assert_eq!(fixed(44.29820, 5, true), "44.2982");
        assert_eq!(fixed(0.8, 2, true), "0.8");
        assert_eq!(fixed(367.0, 2, true), "367.0");
        assert_eq!(fixed(301.344, 2, true), "301.34");
        assert_eq!(fixed(50.45, 4, false), "50.4500");
        assert_eq!(fixed(0.05, 2, true), "0.05");
        assert_eq!(fixed(-1.5, 1, false), "-1.5");
        assert_eq!(fixed(12.0, 0, false), "12");
        let mut b = Vec::new();
        push_uint(&mut b, 0);
        push_uint(&mut b, 18_446_744_073_709_551_615);
        assert_eq!(b, b"018446744073709551615");
        assert_eq!(round_to(48.263_824_9, 5), 48.26382);
    }
}
