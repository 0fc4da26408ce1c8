//! The world's sites as a CSV list: `id,name,lat,lon,category`, one site a line, positions with
//! up to five decimals, categories from `truce_model::taxonomy`.

use crate::calendar::fixed;
use crate::world::World;
use crate::SimError;
use std::io::Write;

/// The site list header.
pub const SITES_HEADER: [&str; 5] = ["id", "name", "lat", "lon", "category"];

/// Writes every site of the world (plus the header). Returns the number of sites written.
pub fn write_sites_csv<W: Write>(w: &World, out: W) -> Result<u64, SimError> {
    let mut wtr = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    wtr.write_record(SITES_HEADER)?;
    for s in w.sites() {
        wtr.write_record([
            s.id.as_str(),
            s.name.as_str(),
            &fixed(s.lat, 5, true),
            &fixed(s.lon, 5, true),
            s.category,
        ])?;
    }
    wtr.flush()?;
    Ok(w.sites().len() as u64)
}
