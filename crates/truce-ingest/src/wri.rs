//! The WRI Global Power Plant Database CSV (v1.3.0, 36 columns; columns found by name, so subsets
//! and reordered exports work; a UTF-8 BOM and CRLF line ends are accepted). Each plant becomes a
//! protected site: nuclear → `energy.nuclear`, hydro → `energy.hydro.dam`, every other fuel →
//! `energy.power.plant`. The site id is the lower-cased `gppd_idnr`.

use crate::sites_csv::{rows, Mapping, SiteRow};
use crate::IngestError;
use std::io::Read;
use truce_model::domain::Site;

/// The category a plant's `primary_fuel` maps to.
pub fn category_for_fuel(fuel: &str) -> &'static str {
    match fuel.trim().to_ascii_lowercase().as_str() {
        "nuclear" => "energy.nuclear",
        "hydro" | "pumped storage" => "energy.hydro.dam",
        _ => "energy.power.plant",
    }
}

/// Reads every plant. Stops at the first bad record, naming its line and field (use
/// [`crate::sites_csv::rows`] with [`crate::sites_csv::Mapping::wri`] to get every row instead).
pub fn read_sites<R: Read>(input: R) -> Result<Vec<Site>, IngestError> {
    let mut out = Vec::new();
    for row in rows(input, &Mapping::wri())? {
        match row {
            SiteRow::Site { site, .. } => out.push(*site),
            SiteRow::Refused { line, reason, .. } => {
                let field = reason
                    .strip_prefix("field `")
                    .and_then(|r| r.split('`').next())
                    .unwrap_or("record")
                    .split('/')
                    .next()
                    .unwrap_or("record")
                    .to_string();
                return Err(IngestError {
                    line: Some(line),
                    field: Some(field),
                    reason,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bom_crlf_and_maps_fuels() {
        let csv = "\u{feff}country,name,gppd_idnr,capacity_mw,latitude,longitude,primary_fuel\r\nUKR,Zaporizhzhia,WRI1005111,6000,47.5119,34.5863,Nuclear\r\nUKR,Dnipro HPP,WRI1005100,1578,47.87,35.08,Hydro";
        let s = read_sites(csv.as_bytes()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].category.as_str(), "energy.nuclear");
        assert_eq!(s[1].category.as_str(), "energy.hydro.dam");
        assert_eq!(s[0].id.as_str(), "wri1005111");
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let csv = "name,gppd_idnr,capacity_mw,latitude,longitude,primary_fuel\nA,X1,1,47.5,34.5,Coal\nB,X2,1,147.5,34.5,Coal\n";
        let e = read_sites(csv.as_bytes()).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(3), Some("latitude")));
        assert!(
            e.to_string().starts_with("line 3, field `latitude`: "),
            "{e}"
        );
        assert!(e.reason.contains("147.5 is out of range"), "{e}");
        let e = read_sites("name,lat\nA,1\n".as_bytes()).unwrap_err();
        assert!(
            e.reason
                .contains("missing column(s) `latitude` (latitude), `longitude` (longitude), `gppd_idnr` (id), `primary_fuel` (category); the file's columns are `name`, `lat`"),
            "{e}"
        );
    }
}
