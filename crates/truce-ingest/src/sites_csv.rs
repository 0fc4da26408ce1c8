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
    /// Whether rows also carry the `row-<line>` id earlier versions of Truce gave them
    /// ([`SiteRow::Site::legacy_id`]): for a mapping without an id column, whose lines were
    /// miscounted in CRLF files, or one whose id column was picked up by default where earlier
    /// versions numbered the rows. Importers treat a site already listed under it as this row.
    pub legacy_row_ids: bool,
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
            legacy_row_ids: false,
        }
    }

    /// The columns the mapping needs, each with what it holds.
    fn required(&self) -> Vec<(&str, &'static str)> {
        let mut v = vec![
            (self.name.as_str(), "name"),
            (self.lat.as_str(), "latitude"),
            (self.lon.as_str(), "longitude"),
        ];
        v.extend(self.id.as_deref().map(|c| (c, "id")));
        match &self.category {
            CategoryFrom::Column(c) | CategoryFrom::Fuel(c) => v.push((c, "category")),
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
        /// 1-based line (where the record starts, whatever the line ends: LF, CRLF or CR).
        line: u64,
        /// The site.
        site: Box<Site>,
        /// The id earlier versions of Truce gave this row, when it differs from `site.id` and
        /// the mapping asks for it ([`Mapping::legacy_row_ids`]): `row-<line>` with the line as
        /// the `csv` crate counted it (one early after a CRLF, more after blank lines).
        legacy_id: Option<Id>,
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

/// Reads every row (header names are matched lower-cased). A header missing a column the mapping
/// needs is refused naming the missing columns, what each was to hold, and the file's columns.
pub fn rows<R: Read>(input: R, m: &Mapping) -> Result<Vec<SiteRow>, IngestError> {
    rows_with(input, m, crate::limits::DEFAULT_MAX_RECORD)
}

/// [`rows`] with a bound on one record's bytes: a longer record (or a read error) stops the
/// reading with an error naming its line and the limit.
pub fn rows_with<R: Read>(
    input: R,
    m: &Mapping,
    max_record: u64,
) -> Result<Vec<SiteRow>, IngestError> {
    use crate::limits::{LimitError, RecordCap, Records};
    let input = RecordCap::new(input, Records::Csv, max_record);
    let (input, lines) = crate::lines::Tracked::new(input);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = rdr
        .byte_headers()
        .map_err(|e| IngestError::at(Some(1), "header", e.to_string()))?
        .clone();
    let lower = |s: &str| s.to_ascii_lowercase();
    let names: Vec<String> = header
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string()
        })
        .collect();
    let missing: Vec<String> = m
        .required()
        .into_iter()
        .filter(|(c, _)| !names.iter().any(|n| n.eq_ignore_ascii_case(c)))
        .map(|(c, what)| format!("`{c}` ({what})"))
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::at(
            Some(1),
            "header",
            format!(
                "not a site list this mapping reads: missing column(s) {}; the file's columns are {}",
                missing.join(", "),
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let required: Vec<String> = m.required().into_iter().map(|(c, _)| lower(c)).collect();
    let req: Vec<&str> = required.iter().map(String::as_str).collect();
    let cols = Columns::new(&header, &req, "site list")?;
    let mut out = Vec::new();
    let mut rec = csv::ByteRecord::new();
    loop {
        let start = rdr.position().clone();
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map(|p| p.byte()).unwrap_or(start.byte());
                if let csv::ErrorKind::Io(io) = e.kind() {
                    let line = lines.line_at(at);
                    return Err(IngestError {
                        line: Some(line),
                        field: None,
                        reason: match LimitError::from_io(io) {
                            Some(l) => l.to_string(),
                            None => format!("read error: {io}; nothing from here on was read"),
                        },
                    });
                }
                out.push(SiteRow::Refused {
                    line: lines.line_at(at),
                    reason: e.to_string(),
                    raw: String::new(),
                });
                continue;
            }
        }
        let pos = rec.position().cloned().unwrap_or(start);
        let line = lines.line_at(pos.byte());
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
            Ok(site) => {
                let legacy = format!("row-{}", pos.line());
                let legacy_id = (m.legacy_row_ids && site.id.as_str() != legacy)
                    .then(|| Id::new(&legacy).ok())
                    .flatten();
                SiteRow::Site {
                    line,
                    site: Box::new(site),
                    legacy_id,
                }
            }
            Err(reason) => SiteRow::Refused {
                line,
                reason,
                raw: raw(&rec),
            },
        });
    }
    Ok(out)
}
