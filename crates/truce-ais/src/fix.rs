//! What the AIS readers yield, one [`Item`] per input record (a CSV row, or an NMEA message:
//! one sentence or the sentences of a multi-sentence message), each with its raw bytes.

/// A position report: where a transmitter said it was, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// Maritime Mobile Service Identity (self-declared: identifies a transmitter, not a ship).
    pub mmsi: u32,
    /// Time of the fix, unix milliseconds UTC.
    pub t_ms: i64,
    /// Longitude, degrees (-180..=180).
    pub lon: f64,
    /// Latitude, degrees (-90..=90).
    pub lat: f64,
    /// Speed over ground, knots, if available.
    pub sog_knots: Option<f64>,
    /// Course over ground, degrees, if available.
    pub cog_deg: Option<f64>,
    /// True heading, degrees, if available (511 in the messages means not available).
    pub heading_deg: Option<u16>,
    /// Navigational status (0 under way using engine, 1 at anchor, 5 moored, …), if given.
    pub nav_status: Option<u8>,
    /// Class A or B transponder, if known.
    pub class: Option<Class>,
}

/// The transponder class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Class A (types 1, 2, 3, 5, 27): ships under SOLAS.
    A,
    /// Class B (types 18, 19, 24): smaller craft.
    B,
}

/// A vessel's static and voyage data (type 5, type 24 parts A and B, type 19, CSV columns).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Static {
    /// MMSI.
    pub mmsi: u32,
    /// Time of the message, unix milliseconds UTC, if known.
    pub t_ms: Option<i64>,
    /// IMO number, if given (0 and placeholders mean none).
    pub imo: Option<u32>,
    /// Vessel name, trimmed of `@` padding and spaces.
    pub name: Option<String>,
    /// Call sign.
    pub callsign: Option<String>,
    /// AIS ship and cargo type code (0..=99), if given.
    pub ship_type: Option<u8>,
}

/// Why a record yielded no position although it was well formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skip {
    /// Longitude 181 or latitude 91: "not available" in AIS. Counted, not refused.
    PositionNotAvailable,
    /// A message type that carries neither a position nor static data (4, 6, 8, 21, …).
    OtherType,
}

/// One input record's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A position report.
    Fix(Fix),
    /// Static data.
    Static(Static),
    /// A well-formed record with nothing to keep.
    Skipped(Skip),
    /// A record refused: what is wrong and what to do (checksum, truncated multi-part message,
    /// impossible position, no time source, …).
    Refused(String),
}

/// An item with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// 1-based line of the record's first line in the input.
    pub line: u64,
    /// The exact bytes the item came from: a CSV row or the sentence lines of a message (each
    /// line with its line ending as read, so hashing them hashes the file's bytes).
    pub raw: &'a [u8],
    /// What the record held.
    pub item: Item,
}
