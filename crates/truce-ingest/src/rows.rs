//! What report readers yield — a report, a skipped record or a refused one, each with its line —
//! plus the pieces they share: format sniffing, CSV access by column name with UTF-8 and number
//! checks, dates in the shapes sources write them, and the mapping of actor names to parties.

use crate::IngestError;
use std::collections::HashMap;
use truce_model::domain::{Id, Report};
use truce_model::geo::Point;
use truce_model::Time;

/// One record read.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A report; `line` is where its record starts.
    Report {
        /// 1-based line.
        line: u64,
        /// The report (its `id` is the format's natural key).
        report: Box<Report>,
    },
    /// A well-formed record Truce does not track (e.g. an ACLED protest).
    Skipped {
        /// 1-based line.
        line: u64,
        /// Why.
        reason: String,
    },
    /// A record refused: what is wrong, and the record as read.
    Refused {
        /// 1-based line.
        line: u64,
        /// What is wrong and where (field).
        reason: String,
        /// The record's text.
        raw: String,
    },
    /// The input cannot be read any further: a read error, or a bound of
    /// [`crate::limits::Limits`] exceeded (a record too long, a decompression bomb). The rows
    /// before it stand; nothing after it was read, and the iterator ends here.
    Unreadable {
        /// 1-based line (or feature) where reading stopped.
        line: u64,
        /// What went wrong and what to do.
        reason: String,
    },
}

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NASA FIRMS active-fire CSV (VIIRS or MODIS; API, 24-hour or archive).
    Firms,
    /// ACLED 31-column export CSV.
    Acled,
    /// UCDP GED CSV.
    Ucdp,
    /// Truce's native CSV.
    Csv,
    /// Truce's native JSON Lines (one report per line).
    Jsonl,
    /// GeoJSON FeatureCollection of report points.
    GeoJson,
}

impl Format {
    /// Parses a `--format` value.
    pub fn parse(s: &str) -> Result<Format, String> {
        Ok(match s {
            "firms" => Format::Firms,
            "acled" => Format::Acled,
            "ucdp" => Format::Ucdp,
            "csv" => Format::Csv,
            "jsonl" => Format::Jsonl,
            "geojson" => Format::GeoJson,
            other => {
                return Err(format!(
                    "unknown format {other:?}: use firms, acled, ucdp, csv, jsonl or geojson"
                ))
            }
        })
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Firms => "firms",
            Format::Acled => "acled",
            Format::Ucdp => "ucdp",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::GeoJson => "geojson",
        }
    }

    /// The columns a CSV format cannot do without.
    pub fn required(&self) -> &'static [&'static str] {
        match self {
            Format::Firms => &[
                "latitude",
                "longitude",
                "acq_date",
                "acq_time",
                "satellite",
                "confidence",
            ],
            Format::Acled => crate::acled::COLUMNS,
            Format::Ucdp => &[
                "id",
                "date_start",
                "date_end",
                "date_prec",
                "latitude",
                "longitude",
                "where_prec",
                "side_a",
                "side_b",
                "type_of_violence",
            ],
            Format::Csv => crate::native::CSV_COLUMNS,
            Format::Jsonl | Format::GeoJson => &[],
        }
    }
}

/// Guesses the format from the start of the file (its first line, or its first bytes for JSON).
/// When no CSV format fits, the error names what each format misses.
pub fn sniff(head: &[u8]) -> Result<Format, IngestError> {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('{') {
        let compact: String = text
            .chars()
            .take(4096)
            .filter(|c| !c.is_whitespace())
            .collect();
        return Ok(if compact.contains("\"FeatureCollection\"") {
            Format::GeoJson
        } else {
            Format::Jsonl
        });
    }
    let header: Vec<String> = text
        .lines()
        .next()
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |c: &str| header.iter().any(|h| h == c);
    let candidates = [Format::Acled, Format::Ucdp, Format::Firms, Format::Csv];
    for f in candidates {
        if f.required().iter().all(|c| has(c)) {
            return Ok(f);
        }
    }
    let why: Vec<String> = candidates
        .iter()
        .map(|f| {
            let missing: Vec<&str> = f.required().iter().copied().filter(|c| !has(c)).collect();
            format!("{} lacks {}", f.name(), missing.join(", "))
        })
        .collect();
    Err(IngestError::at(
        Some(1),
        "header",
        format!(
            "the header fits no known format ({}); pass --format if the file is one of them",
            why.join("; ")
        ),
    ))
}

/// A CSV header mapped by column name (lower-cased, BOM stripped).
pub struct Columns {
    index: HashMap<String, usize>,
}

impl Columns {
    /// Maps a header record; fails naming the missing required columns.
    pub fn new(
        header: &csv::ByteRecord,
        required: &[&str],
        format: &str,
    ) -> Result<Columns, IngestError> {
        let index: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = String::from_utf8_lossy(h);
                (
                    h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase(),
                    i,
                )
            })
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !index.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            return Err(IngestError::at(
                Some(1),
                "header",
                format!(
                    "not a {format} file: missing column(s) {}",
                    missing.join(", ")
                ),
            ));
        }
        Ok(Columns { index })
    }

    /// Whether a column exists.
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// A field as UTF-8 text (trimmed); missing columns read as empty.
    pub fn get<'r>(&self, rec: &'r csv::ByteRecord, name: &str) -> Result<&'r str, String> {
        let Some(&i) = self.index.get(name) else {
            return Ok("");
        };
        let raw = rec.get(i).unwrap_or(b"");
        std::str::from_utf8(raw)
            .map(str::trim)
            .map_err(|_| format!("field `{name}`: invalid UTF-8"))
    }

    /// The first of several alternative columns that exists.
    pub fn get_any<'r>(&self, rec: &'r csv::ByteRecord, names: &[&str]) -> Result<&'r str, String> {
        for n in names {
            if self.has(n) {
                return self.get(rec, n);
            }
        }
        Ok("")
    }

    /// A finite number.
    pub fn num(&self, rec: &csv::ByteRecord, name: &str) -> Result<f64, String> {
        let t = self.get(rec, name)?;
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("field `{name}`: {t:?} is not a number")),
        }
    }
}

/// The record as text, for the rejects file.
pub fn raw(rec: &csv::ByteRecord) -> String {
    rec.iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect::<Vec<_>>()
        .join(",")
}

/// A position from latitude and longitude, refusing NaN, out-of-range values, and saying so when
/// the two look swapped.
pub fn position(lat: f64, lon: f64) -> Result<Point, String> {
    if lat.abs() > 90.0 && lon.abs() <= 90.0 && lat.abs() <= 180.0 {
        return Err(format!(
            "field `latitude`: {lat} is out of range; latitude and longitude look swapped (latitude {lon}, longitude {lat}?)"
        ));
    }
    Point::new(lon, lat).map_err(|e| format!("field `latitude`/`longitude`: {e}"))
}

/// Parses `YYYY-MM-DD`, `16 May 2025` or `16-May-2025`; refuses impossible dates.
pub fn date(s: &str) -> Result<jiff::civil::Date, String> {
    let t = s.trim();
    let bad = || format!("{t:?} is not a date (YYYY-MM-DD or 16 May 2025)");
    if let Some((y, rest)) = t.split_once('-').filter(|(y, _)| y.len() == 4) {
        let (m, d) = rest.split_once('-').ok_or_else(bad)?;
        let (y, m, d) = (y.parse::<i16>(), m.parse::<i8>(), d.parse::<i8>());
        return match (y, m, d) {
            (Ok(y), Ok(m), Ok(d)) => {
                jiff::civil::Date::new(y, m, d).map_err(|_| format!("{t:?} is not a real date"))
            }
            _ => Err(bad()),
        };
    }
    let parts: Vec<&str> = t.split([' ', '-']).filter(|p| !p.is_empty()).collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = parts[1].to_ascii_lowercase();
    let month = MONTHS
        .iter()
        .position(|x| m.starts_with(x))
        .ok_or_else(bad)? as i8
        + 1;
    let (d, y) = (
        parts[0].parse::<i8>().map_err(|_| bad())?,
        parts[2].parse::<i16>().map_err(|_| bad())?,
    );
    jiff::civil::Date::new(y, month, d).map_err(|_| format!("{t:?} is not a real date"))
}

/// Midnight UTC of a date, as an instant.
pub fn midnight(d: jiff::civil::Date) -> Result<Time, String> {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| Time(z.timestamp()))
        .map_err(|e| format!("date {d}: {e}"))
}

/// Maps source actor names (ACLED `actor1`, UCDP `side_a`) to party ids: the first rule whose
/// pattern the name starts with (case-insensitive) wins. It also carries the explicit relay rules
/// (`--relay TEXT=PARTY`) that ACLED's importer tries before its built-in ones (see
/// [`crate::acled`]).
#[derive(Debug, Clone, Default)]
pub struct ActorMap {
    rules: Vec<(String, Id)>,
    relays: Vec<(String, Id)>,
}

impl ActorMap {
    /// Rules as `(name prefix, party)`.
    pub fn new(rules: Vec<(String, Id)>) -> Self {
        ActorMap {
            rules: rules
                .into_iter()
                .map(|(p, id)| (p.to_ascii_lowercase(), id))
                .collect(),
            relays: Vec::new(),
        }
    }

    /// Adds explicit relay rules as `(text naming a party's officials, party)`, tried in order and
    /// before the built-in ones.
    pub fn with_relays(mut self, relays: Vec<(String, Id)>) -> Self {
        self.relays.extend(relays);
        self
    }

    /// Parses one `TEXT=PARTY` relay rule (the text is matched case-insensitively, as whole words;
    /// it may not be empty). The last `=` separates the party, so the text may contain `=`. Errors
    /// do not repeat the rule: callers name it.
    pub fn parse_relay(spec: &str) -> Result<(String, Id), String> {
        let (text, id) = spec
            .rsplit_once('=')
            .ok_or("write <text naming the officials>=<party id>")?;
        let text = text.trim();
        if !text.chars().any(char::is_alphanumeric) {
            return Err("the text before `=` is empty".into());
        }
        Ok((text.to_string(), Id::new(id.trim())?))
    }

    /// The explicit relay rules, in order.
    pub fn relay_rules(&self) -> &[(String, Id)] {
        &self.relays
    }

    /// Parses `prefix=party` rules.
    pub fn parse(specs: &[String]) -> Result<Self, String> {
        let mut rules = Vec::new();
        for s in specs {
            let (p, id) = s
                .split_once('=')
                .ok_or_else(|| format!("{s:?}: write <actor name prefix>=<party id>"))?;
            rules.push((p.trim().to_string(), Id::new(id.trim())?));
        }
        Ok(ActorMap::new(rules))
    }

    /// The party an actor name maps to.
    pub fn party(&self, actor: &str) -> Option<Id> {
        let a = actor.trim().to_ascii_lowercase();
        self.rules
            .iter()
            .find(|(p, _)| a.starts_with(p.as_str()))
            .map(|(_, id)| id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_source_shapes() {
        assert_eq!(date("2025-03-20").unwrap().to_string(), "2025-03-20");
        assert_eq!(date("16 May 2025").unwrap().to_string(), "2025-05-16");
        assert_eq!(date("1-March-2025").unwrap().to_string(), "2025-03-01");
        assert!(date("2025-02-30").unwrap_err().contains("not a real date"));
        assert!(date("yesterday").is_err());
    }

    #[test]
    fn swapped_coordinates_are_named() {
        assert!(position(120.5, 48.2).unwrap_err().contains("look swapped"));
        assert!(position(f64::NAN, 30.0).is_err());
        assert!(position(48.2, 35.0).is_ok());
    }

    #[test]
    fn sniffing_names_what_is_missing() {
        assert_eq!(sniff(b"latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence\n").unwrap(), Format::Firms);
        assert_eq!(sniff(b"{\"id\":\"x\"}\n").unwrap(), Format::Jsonl);
        assert_eq!(
            sniff(b"{ \"type\": \"FeatureCollection\", \"features\": []}").unwrap(),
            Format::GeoJson
        );
        let e = sniff(b"lat,lon,when\n1,2,3\n").unwrap_err().to_string();
        assert!(e.contains("firms lacks latitude"), "{e}");
    }
}
