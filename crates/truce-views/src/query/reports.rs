//! Reports: the filters of `GET /v1/reports` and `/v1/reports.geojson` (`from`/`to` on the
//! event's start, `bbox`, `party` — the author or the party blamed —, `kind` — an act) and
//! their documents.

use super::sites::in_bbox;
use super::{record_json, Page, ParamError, Params, TimeRange};
use serde_json::{json, Value};
use truce_model::domain::Act;
use truce_model::ledger::Record;
use truce_model::reports::{FromLog, ReportRef};
use truce_model::{Id, Ledger};

/// Filters on reports.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// On the event's start.
    pub range: TimeRange,
    /// The reported point inside the box.
    pub bbox: Option<[f64; 4]>,
    /// The author, or the party blamed.
    pub party: Option<Id>,
    /// An act (`strike` includes its kinds).
    pub act: Option<Act>,
}

/// The parameters of `GET /v1/reports` and `/v1/reports.geojson`.
pub const REPORT_PARAMS: &[&str] = &["limit", "offset", "from", "to", "bbox", "party", "kind"];

impl ReportQuery {
    /// The filters a query's parameters give.
    pub fn parse(p: &Params) -> Result<ReportQuery, ParamError> {
        Ok(ReportQuery {
            range: p.time_range()?,
            bbox: p.bbox()?,
            party: p.id("party")?,
            act: p.act()?,
        })
    }
    /// Whether a report passes the filters (read from the ledger's compact report row).
    pub fn matches(&self, r: &ReportRef<'_>) -> bool {
        let [lon, lat] = r.point();
        self.range.contains(r.start())
            && self.bbox.is_none_or(|b| in_bbox(lon, lat, b))
            && self
                .party
                .as_ref()
                .is_none_or(|p| r.author() == p || r.perpetrator() == Some(p))
            && self.act.is_none_or(|a| r.act().is_a(&a))
    }
}

/// A page of reports: the items, each item's evidence hashes, and how many match.
pub type ReportsPage = (Vec<Value>, Vec<Vec<String>>, usize);

/// A page of the reports `f` matches, in log order, as items, with each item's evidence hashes
/// (the server inlines what a caller may read) and how many match. A bulk report's full value is
/// read from the log by `entry(index)` (e.g. [`super::export::Entries::get`]).
pub fn reports_page<E>(
    l: &Ledger,
    f: &ReportQuery,
    page: Page,
    mut entry: impl FnMut(u64) -> Result<Vec<u8>, E>,
) -> Result<ReportsPage, FromLog<E>> {
    // The store's rows are in log order: count the matches, keep the page's.
    let mut total = 0usize;
    let mut slice = Vec::new();
    for r in l.reports.iter().filter(|r| f.matches(r)) {
        if total >= page.offset && slice.len() < page.limit {
            slice.push(r);
        }
        total += 1;
    }
    let recs = slice
        .iter()
        .map(|r| r.record(&mut entry))
        .collect::<Result<Vec<_>, _>>()?;
    let items: Vec<Value> = recs.iter().map(|r| record_json("report", r)).collect();
    let evidence: Vec<Vec<String>> = recs.iter().map(|r| r.value.evidence.clone()).collect();
    Ok((items, evidence, total))
}

/// A report as a GeoJSON point feature (`id` its entry id). A monitor's observation adds its
/// public part (`observation`: count, event, modality, sectors, distance, the footprint's cells
/// and the distance the observer is hidden within — never the observer's position); a report of
/// weapons or of a direction of fire adds `weapon` / `fire_from`.
pub fn report_feature(r: &Record<truce_model::domain::Report>) -> Value {
    let v = &r.value;
    let mut f = report_feature_base(r);
    if let Some(props) = f["properties"].as_object_mut() {
        for (k, x) in [
            ("observation", v.observation.as_ref().map(|o| json!(o))),
            ("weapon", v.weapon.as_ref().map(|w| json!(w))),
            ("fire_from", v.fire_from.as_ref().map(|w| json!(w))),
        ] {
            if let Some(x) = x {
                props.insert(k.to_string(), x);
            }
        }
    }
    f
}

fn report_feature_base(r: &Record<truce_model::domain::Report>) -> Value {
    let v = &r.value;
    json!({
        "type": "Feature",
        "id": r.entry_id,
        "geometry": {"type": "Point", "coordinates": v.location.point},
        "properties": {
            "author": r.author,
            "id": v.id,
            "index": r.index,
            "act": v.act,
            "alleged_perpetrator": v.alleged_perpetrator,
            "start": v.time.start,
            "end": v.time.end,
            "place": v.location.place,
            "uncertainty_m": v.location.uncertainty_m,
            "target_category": v.target_category,
            "evidence": v.evidence,
            "illustrative": v.illustrative,
            "text": v.text,
            "retracted": r.retracted,
        },
    })
}
