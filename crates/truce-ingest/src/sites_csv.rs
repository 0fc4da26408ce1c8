//! Sites from any CSV through a column mapping — every ministry and NGO keeps its own sheet —
//! read record by record, refusing bad rows with their line and reason. The WRI Global Power
//! Plant Database is one such mapping ([`Mapping::wri`]).

use crate::rows::{position, raw, Columns};
use crate::IngestError;
use std::io::Read;
use truce_model::domain::{Id, Site};
use truce_model::geo::Geometry;
use truce_model::taxonomy::Category;

/// Where the category comes from.
#[derive(Debug, Clone)]
pub enum CategoryFrom {
    /// The same for every row.
    Fixed(Category),
    /// A column holding taxonomy names.
    Column(String),
    /// A WRI `primary_fuel` column (nuclear → `energy.nuclear`, hydro → `energy.hydro.dam`, other
    /// fuels → `energy.power.plant`).
    Fuel(String),
}

/// Which columns hold what.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The id column; without it ids are `row-<line>`.
    pub id: Option<String>,
    /// The name column.
    pub name: String,
    /// Latitude column.
    pub lat: String,
    /// Longitude column.
    pub lon: String,
    /// The category.
    pub category: CategoryFrom,
    /// Extra text for every site's `source`.
    pub source: String,
}

impl Mapping {
    /// The WRI Global Power Plant Database mapping.
    pub fn wri() -> Mapping {
        Mapping {
            id: Some("gppd_idnr".into()),
            name: "name".into(),
            lat: "latitude".into(),
            lon: "longitude".into(),
            category: CategoryFrom::Fuel("primary_fuel".into()),
            source: "WRI Global Power Plant Database v1.3.0 (CC BY 4.0)".into(),
        }
    }

    fn required(&self) -> Vec<&str> {
        let mut v = vec![self.name.as_str(), self.lat.as_str(), self.lon.as_str()];
        v.extend(self.id.as_deref());
        match &self.category {
            CategoryFrom::Column(c) | CategoryFrom::Fuel(c) => v.push(c),
            CategoryFrom::Fixed(_) => {}
        }
        v
    }
}

/// One site row.
#[derive(Debug, Clone, PartialEq)]
pub enum SiteRow {
    /// A site.
    Site {
        /// 1-based line.
        line: u64,
        /// The site.
        site: Box<Site>,
    },
    /// A refused row.
    Refused {
        /// 1-based line.
        line: u64,
        /// Why.
        reason: String,
        /// The record.
        raw: String,
    },
}

/// Reads every row (header names are matched lower-cased).
pub fn rows<R: Read>(input: R, m: &Mapping) -> Result<Vec<SiteRow>, IngestError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = rdr
        .byte_headers()
        .map_err(|e| IngestError::at(Some(1), "header", e.to_string()))?
        .clone();
    let lower = |s: &str| s.to_ascii_lowercase();
    let required: Vec<String> = m.required().into_iter().map(lower).collect();
    let req: Vec<&str> = required.iter().map(String::as_str).collect();
    let cols = Columns::new(&header, &req, "site list")?;
    let mut out = Vec::new();
    let mut rec = csv::ByteRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                out.push(SiteRow::Refused {
                    line,
                    reason: e.to_string(),
                    raw: String::new(),
                });
                continue;
            }
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(line);
        if rec.len() != header.len() {
            out.push(SiteRow::Refused {
                line,
                reason: format!("{} fields where the header has {}", rec.len(), header.len()),
                raw: raw(&rec),
            });
            continue;
        }
        let site = (|| -> Result<Site, String> {
            let point = position(
                cols.num(&rec, &lower(&m.lat))?,
                cols.num(&rec, &lower(&m.lon))?,
            )?;
            let id_text = match &m.id {
                Some(c) => cols.get(&rec, &lower(c))?.to_ascii_lowercase(),
                None => format!("row-{line}"),
            };
            let id = Id::new(&id_text).map_err(|e| format!("id: {e}"))?;
            let category = match &m.category {
                CategoryFrom::Fixed(c) => c.clone(),
                CategoryFrom::Column(c) => Category::new(cols.get(&rec, &lower(c))?)
                    .map_err(|e| format!("field `{c}`: {e}"))?,
                CategoryFrom::Fuel(c) => {
                    Category::new(crate::wri::category_for_fuel(cols.get(&rec, &lower(c))?))
                        .map_err(|e| format!("field `{c}`: {e}"))?
                }
            };
            let name = cols.get(&rec, &lower(&m.name))?.to_string();
            if name.is_empty() {
                return Err(format!("field `{}`: empty name", m.name));
            }
            Ok(Site {
                id,
                name,
                category,
                geometry: Geometry::Point(point),
                approximate_m: None,
                effective_from: None,
                source: format!("{}: {id_text}", m.source),
            })
        })();
        out.push(match site {
            Ok(site) => SiteRow::Site {
                line,
                site: Box::new(site),
            },
            Err(reason) => SiteRow::Refused {
                line,
                reason,
                raw: raw(&rec),
            },
        });
    }
    Ok(out)
}
