//! AIS (the Automatic Identification System ships transmit) for Truce's maritime phase.
//!
//! - [`fix`]: what every reader yields — a [`fix::Fix`] (a position report), a
//!   [`fix::Static`] (a vessel's static data), a position skipped as "not available", or a
//!   line refused with its reason — each with the exact raw bytes it came from.
//! - [`nmea`]: raw NMEA 0183 `!AIVDM`/`!AIVDO` sentences (multi-sentence reassembly, tag blocks,
//!   receiver suffixes, a stated time base), decoded by the `nmea-parser` crate.
//! - [`csv`]: the Danish Maritime Authority daily CSV and NOAA MarineCadastre CSV.
//! - [`track`]: per-vessel track segments (one vessel, one hour), simplified in space and time
//!   so the track interpolated at any raw fix's time lies within a stated tolerance of it, with
//!   the SHA-256 of the raw rows they came from and flags for impossible speeds.
//!
//! Readers take any `io::Read`; nothing here opens a file or reads the clock.

pub mod csv;
pub mod fix;
pub mod nmea;
pub mod track;
