//! Instants and dates as the model stores them: instants are RFC 3339 with an explicit offset on
//! input (a time without an offset is ambiguous, so it is refused) and UTC on output; dates are
//! `YYYY-MM-DD`. Both read TOML's native datetime values as well as strings. A time zone is an
//! IANA name checked against the tz database embedded in the binary (nothing is read from the
//! host), so a zone means the same on every machine that runs the same build.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An instant (UTC), e.g. `2025-03-18T00:00:00Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub jiff::Timestamp);

/// A calendar date, e.g. `2025-03-19`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub jiff::civil::Date);

impl Time {
    /// Parses RFC 3339 with an offset (`Z` or `+03:00`).
    pub fn parse(s: &str) -> Result<Self, String> {
        s.parse::<jiff::Timestamp>().map(Time).map_err(|_| {
            format!("{s:?} is not a time with an offset: write RFC 3339 like 2025-03-18T00:00:00+03:00 or 2025-03-17T21:00:00Z")
        })
    }
    /// Adds whole days.
    pub fn plus_days(&self, days: u32) -> Time {
        Time(self.0 + jiff::SignedDuration::from_hours(24 * i64::from(days)))
    }
    /// The UTC calendar date of this instant.
    pub fn date(&self) -> Date {
        Date(self.0.to_zoned(jiff::tz::TimeZone::UTC).date())
    }
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, String> {
        s.parse::<jiff::civil::Date>()
            .map(Date)
            .map_err(|_| format!("{s:?} is not a date: write YYYY-MM-DD, e.g. 2025-03-19"))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// An IANA time zone name (`Europe/Kyiv`, `Europe/Moscow`, `UTC`), spelled as the tz database
/// spells it: what an agreement's days are counted in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Checks `name` against the embedded tz database.
    pub fn new(name: &str) -> Result<Self, String> {
        match jiff::tz::db().get(name) {
            Ok(tz) => match tz.iana_name() {
                Some(n) if n == name => Ok(TimeZoneName(name.to_string())),
                Some(n) => Err(format!(
                    "time zone {name:?} is spelled {n:?} in the tz database: write it so"
                )),
                None => Err(format!("{name:?} is not an IANA time zone name")),
            },
            Err(_) => Err(format!(
                "{name:?} is not a time zone of the tz database: write an IANA name such as Europe/Kyiv, Europe/Moscow or UTC"
            )),
        }
    }
    /// UTC.
    pub fn utc() -> Self {
        TimeZoneName("UTC".to_string())
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The zone's rules (offsets and their changes).
    pub fn tz(&self) -> jiff::tz::TimeZone {
        // Checked on construction; the database is embedded, so the lookup cannot fail later.
        jiff::tz::db()
            .get(&self.0)
            .unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl TryFrom<String> for TimeZoneName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        TimeZoneName::new(&s)
    }
}
impl From<TimeZoneName> for String {
    fn from(z: TimeZoneName) -> Self {
        z.0
    }
}
impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a string, or TOML's native datetime (which toml hands over as a one-entry map).
struct TextOrTomlDatetime<F>(F, &'static str);

impl<'de, T, F: Fn(&str) -> Result<T, String>> Visitor<'de> for TextOrTomlDatetime<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let (_, text): (String, String) = map
            .next_entry()?
            .ok_or_else(|| de::Error::custom(format!("expected {}", self.1)))?;
        (self.0)(&text).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextOrTomlDatetime(
            Time::parse,
            "an RFC 3339 time with an offset",
        ))
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextOrTomlDatetime(Date::parse, "a date YYYY-MM-DD"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct T {
        t: Time,
        d: Date,
    }

    #[test]
    fn reads_toml_native_and_strings_and_refuses_naive_times() {
        let v: T = toml::from_str("t = 2025-03-18T00:00:00+03:00\nd = 2025-03-19\n").unwrap();
        assert_eq!(v.t.to_string(), "2025-03-17T21:00:00Z");
        assert_eq!(v.d.to_string(), "2025-03-19");
        let v: T =
            serde_json::from_str(r#"{"t":"2025-03-17T21:00:00Z","d":"2025-03-19"}"#).unwrap();
        assert_eq!(v.t.plus_days(30).to_string(), "2025-04-16T21:00:00Z");
        let e = toml::from_str::<T>("t = 2025-03-18T00:00:00\nd = 2025-03-19\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("offset"), "{e}");
    }

    #[test]
    fn time_zones_come_from_the_embedded_database() {
        let kyiv = TimeZoneName::new("Europe/Kyiv").unwrap();
        assert_eq!(kyiv.as_str(), "Europe/Kyiv");
        // Kyiv was UTC+2 until 30 March 2025 03:00 local, UTC+3 after.
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let tz = kyiv.tz();
        assert_eq!(tz.to_offset(at("2025-03-30T00:59:59Z")).seconds(), 7200);
        assert_eq!(tz.to_offset(at("2025-03-30T01:00:00Z")).seconds(), 10_800);
        assert_eq!(TimeZoneName::utc().tz(), jiff::tz::TimeZone::UTC);
        assert!(TimeZoneName::new("Europe/Moscow").is_ok());
        for bad in ["+03:00", "Moscow", "", "Europe/Nowhere"] {
            assert!(TimeZoneName::new(bad).is_err(), "{bad}");
        }
        let e = TimeZoneName::new("europe/kyiv").unwrap_err();
        assert!(e.contains("Europe/Kyiv"), "{e}");
        let z: TimeZoneName = serde_json::from_str(r#""Europe/Kyiv""#).unwrap();
        assert_eq!(serde_json::to_string(&z).unwrap(), r#""Europe/Kyiv""#);
        assert!(serde_json::from_str::<TimeZoneName>(r#""Mars/Olympus""#).is_err());
    }
}
