//! The WRI Global Power Plant Database CSV (v1.3.0, 36 columns; columns found by name, so subsets
//! and reordered exports work; a UTF-8 BOM and CRLF line ends are accepted). Each plant becomes a
//! protected site: nuclear → `energy.nuclear`, hydro → `energy.hydro.dam`, every other fuel →
//! `energy.power.plant`. The site id is the lower-cased `gppd_idnr`.

use crate::IngestError;
use std::io::Read;
use truce_model::domain::{Id, Site};
use truce_model::geo::{Geometry, Point};
use truce_model::taxonomy::Category;

/// The category a plant's `primary_fuel` maps to.
pub fn category_for_fuel(fuel: &str) -> &'static str {
    match fuel.trim().to_ascii_lowercase().as_str() {
        "nuclear" => "energy.nuclear",
        "hydro" | "pumped storage" => "energy.hydro.dam",
        _ => "energy.power.plant",
    }
}

/// Reads every plant. Stops at the first bad record, naming its line and field.
pub fn read_sites<R: Read>(input: R) -> Result<Vec<Site>, IngestError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = rdr
        .headers()
        .map_err(|e| IngestError::at(Some(1), "header", e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| {
                IngestError::at(
                    Some(1),
                    name,
                    format!(
                        "missing column `{name}`: is this a WRI Global Power Plant Database CSV?"
                    ),
                )
            })
    };
    let (name, idnr, lat, lon, fuel, cap) = (
        col("name")?,
        col("gppd_idnr")?,
        col("latitude")?,
        col("longitude")?,
        col("primary_fuel")?,
        col("capacity_mw")?,
    );
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            IngestError::at(e.position().map(|p| p.line()), "record", e.to_string())
        })?;
        let line = rec.position().map(|p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let num = |i: usize, f: &str| -> Result<f64, IngestError> {
            get(i)
                .parse::<f64>()
                .map_err(|_| IngestError::at(line, f, format!("{:?} is not a number", get(i))))
        };
        let point = Point::new(num(lon, "longitude")?, num(lat, "latitude")?)
            .map_err(|e| IngestError::at(line, "latitude", e))?;
        let id = Id::new(&get(idnr).to_ascii_lowercase())
            .map_err(|e| IngestError::at(line, "gppd_idnr", e))?;
        let category = Category::new(category_for_fuel(get(fuel)))
            .map_err(|e| IngestError::at(line, "primary_fuel", e))?;
        out.push(Site {
            id,
            name: get(name).to_string(),
            category,
            geometry: Geometry::Point(point),
            approximate_m: None,
            source: format!(
                "WRI Global Power Plant Database v1.3.0 (CC BY 4.0), {}: {} {} MW",
                get(idnr),
                get(fuel),
                get(cap)
            ),
        });
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
            e.to_string()
                .starts_with("line 3, field `latitude`: latitude 147.5"),
            "{e}"
        );
        let e = read_sites("name,lat\nA,1\n".as_bytes()).unwrap_err();
        assert!(e.reason.contains("missing column `gppd_idnr`"), "{e}");
    }
}
