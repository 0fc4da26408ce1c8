//! `truce ais gaps`: AIS gaps ("vessels going dark") as the views store them (derived by
//! `truce_engine::gaps` on every rebuild and as the server follows the log). The flags are handed
//! as the API's parameters to `truce_views::query::gaps`, so `--json` prints exactly what
//! `GET /v1/ais/gaps` answers for the same filters; without it, a text table.

use crate::datadir::DataDir;
use crate::engine_cmd::{failure, parse_as_of, views_as_of, AsOf};
use crate::log_cmd::Out;
use crate::query_cmd;
use crate::Failure;
use serde_json::Value;
use truce_views::query::gaps::{GapQuery, GAP_PARAMS};

/// Arguments of `truce ais gaps`.
#[derive(Debug, clap::Args)]
pub struct GapsArgs {
    /// Only this MMSI.
    #[arg(long, value_name = "MMSI")]
    pub mmsi: Option<String>,
    /// Only gaps ending at or after this UTC day (YYYY-MM-DD) or instant (RFC 3339).
    #[arg(long, value_name = "DAY|TIME")]
    pub from: Option<String>,
    /// Only gaps starting at or before this UTC day (its end) or instant.
    #[arg(long, value_name = "DAY|TIME")]
    pub to: Option<String>,
    /// Only gaps starting or ending inside MIN_LON,MIN_LAT,MAX_LON,MAX_LAT.
    #[arg(long, value_name = "BBOX", allow_hyphen_values = true)]
    pub bbox: Option<String>,
    #[command(flatten)]
    pub page: query_cmd::PageArgs,
    /// As known at this log size (the first SIZE entries), or at this time (the largest log size
    /// a quorum of witnesses had cosigned by then).
    #[arg(long, value_name = "SIZE|TIME", value_parser = parse_as_of)]
    pub as_of: Option<AsOf>,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `truce ais gaps`.
pub fn gaps(dir: &DataDir, a: &GapsArgs, out: &Out) -> Result<(), Failure> {
    let p = query_cmd::params(
        &[
            ("mmsi", a.mmsi.clone()),
            ("from", a.from.clone()),
            ("to", a.to.clone()),
            ("bbox", a.bbox.clone()),
        ],
        Some(&a.page),
        GAP_PARAMS,
    )?;
    let q = GapQuery::parse(&p).map_err(query_cmd::flag_error)?;
    let views = views_as_of(dir, a.as_of, out)?;
    let (doc, total) = q
        .page_json(&views, query_cmd::log_size(&views)?)
        .map_err(failure)?;
    if out.json {
        return out.print_raw(&format!("{doc}\n"));
    }
    let doc: Value = serde_json::from_str(&doc)
        .map_err(|e| Failure::store(anyhow::anyhow!("views.db: an unreadable gap: {e}")))?;
    let mut t = crate::table::new(
        &[
            "MMSI",
            "NAME",
            "CLASS",
            "DARK FROM",
            "HEARD AGAIN",
            "HOURS",
            "KM",
            "KNOTS",
        ],
        &[5, 6, 7],
    );
    let items = doc["items"].as_array().map_or(&[][..], Vec::as_slice);
    for g in items {
        t.add_row(vec![
            text(&g["mmsi"]),
            text(&g["name"]),
            text(&g["class"]),
            text(&g["start_time"]),
            text(&g["end_time"]),
            format!("{:.1}", g["hours"].as_f64().unwrap_or(0.0)),
            format!("{:.1}", g["distance_km"].as_f64().unwrap_or(0.0)),
            format!("{:.1}", g["implied_knots"].as_f64().unwrap_or(0.0)),
        ]);
    }
    let mut s = String::new();
    if !items.is_empty() {
        s.push_str(&crate::table::render(&t));
    }
    let page = q.page;
    let shown = if page.offset == 0 && items.len() == total {
        total.to_string()
    } else {
        format!("{} from {} of {total}", items.len(), page.offset + 1)
    };
    s.push_str(&format!(
        "{shown} AIS gaps at log size {} ({})\n",
        text(&doc["log_size"]),
        text(&doc["note"])
    ));
    out.print(s, Value::Null)
}
