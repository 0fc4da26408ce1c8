//! Sites: the filters of `GET /v1/sites` and `/v1/sites.geojson` (`bbox`, `party` — the lister —,
//! `kind` — a category, `prefix.*` or `set:<name>`) and their documents.

use super::{record_json, Page, ParamError, Params};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use truce_model::geo::Geometry;
use truce_model::ledger::Record;
use truce_model::taxonomy::Category;
use truce_model::{Id, Ledger};

/// Filters on sites.
#[derive(Debug, Clone)]
pub struct SiteQuery {
    /// Sites whose point is inside, or whose shape's bounding box meets, the box.
    pub bbox: Option<[f64; 4]>,
    /// The listing party.
    pub party: Option<Id>,
    /// The categories (`kind`).
    pub categories: Option<BTreeSet<Category>>,
}

/// The parameters of `GET /v1/sites` and `/v1/sites.geojson`.
pub const SITE_PARAMS: &[&str] = &["limit", "offset", "bbox", "party", "kind"];

impl SiteQuery {
    /// The filters a query's parameters give.
    pub fn parse(p: &Params) -> Result<SiteQuery, ParamError> {
        Ok(SiteQuery {
            bbox: p.bbox()?,
            party: p.id("party")?,
            categories: p.categories()?,
        })
    }
    /// Whether a site passes the filters.
    pub fn matches(&self, r: &Record<truce_model::domain::Site>) -> bool {
        self.party.as_ref().is_none_or(|p| &r.author == p)
            && self
                .categories
                .as_ref()
                .is_none_or(|c| c.contains(&r.value.category))
            && self
                .bbox
                .is_none_or(|b| geometry_in_bbox(&r.value.geometry, b))
    }
}

/// Whether a point is inside the box (edges included).
pub fn in_bbox(lon: f64, lat: f64, b: [f64; 4]) -> bool {
    lon >= b[0] && lat >= b[1] && lon <= b[2] && lat <= b[3]
}

/// A point inside the box, or a polygon or line whose bounding box meets it.
pub fn geometry_in_bbox(g: &Geometry, b: [f64; 4]) -> bool {
    match g {
        Geometry::Point(p) => in_bbox(p.lon(), p.lat(), b),
        shape => {
            let (mut x0, mut y0, mut x1, mut y1) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
            for p in shape.positions() {
                x0 = x0.min(p.lon());
                y0 = y0.min(p.lat());
                x1 = x1.max(p.lon());
                y1 = y1.max(p.lat());
            }
            x0 <= b[2] && x1 >= b[0] && y0 <= b[3] && y1 >= b[1]
        }
    }
}

/// A site as a GeoJSON feature (its record's fields as properties, `lister` its author).
pub fn site_feature(r: &Record<truce_model::domain::Site>) -> Value {
    let mut props = record_json("site", r);
    if let Value::Object(m) = &mut props {
        if let Some(Value::Object(site)) = m.remove("site") {
            for (k, v) in site {
                if k != "geometry" {
                    m.insert(k, v);
                }
            }
        }
        m.insert("lister".into(), json!(r.author));
    }
    json!({
        "type": "Feature",
        "id": format!("{}/{}", r.author, r.value.id),
        "geometry": r.value.geometry,
        "properties": props,
    })
}

/// A page of the sites `f` matches, in log order, as items, with how many match.
pub fn sites_page(l: &Ledger, f: &SiteQuery, page: Page) -> (Vec<Value>, usize) {
    let mut all: Vec<&Record<truce_model::domain::Site>> =
        l.sites.values().filter(|r| f.matches(r)).collect();
    all.sort_by_key(|r| r.index);
    let items = page
        .slice(&all)
        .iter()
        .map(|r| record_json("site", r))
        .collect();
    (items, all.len())
}
