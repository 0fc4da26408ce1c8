//! `truce ais tracks` and `truce ais vessels`: AIS tracks and vessels from the ledger (a replay of
//! the log). The flags are handed as the API's parameters to `truce_views::query::tracks`, so
//! `--json` prints exactly what `GET /v1/ais/tracks.geojson` or `GET /v1/ais/vessels` answers
//! for the same filters; without it, a text table.

use crate::datadir::DataDir;
use crate::log_cmd::Out;
use crate::query_cmd;
use crate::Failure;
use serde_json::Value;
use truce_views::query::tracks::{
    tracks_geojson, vessels_page_json, TrackQuery, VesselQuery, TRACK_PARAMS, VESSEL_PARAMS,
};

/// Arguments of `truce ais tracks`.
#[derive(Debug, clap::Args)]
pub struct TracksArgs {
    /// Start of the window: a UTC day (YYYY-MM-DD) or an RFC 3339 time.
    #[arg(long, value_name = "DAY|TIME")]
    pub from: Option<String>,
    /// End of the window (a day: its end); at most 31 days after --from.
    #[arg(long, value_name = "DAY|TIME")]
    pub to: Option<String>,
    /// Instead of --from/--to: a time, with --hours either side (default 6).
    #[arg(long, value_name = "TIME", conflicts_with_all = ["from", "to"])]
    pub at: Option<String>,
    /// Hours either side of --at.
    #[arg(long, value_name = "HOURS", requires = "at")]
    pub hours: Option<String>,
    /// Only vessels with a segment inside MIN_LON,MIN_LAT,MAX_LON,MAX_LAT.
    #[arg(long, value_name = "BBOX", allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Only these MMSIs (comma-separated).
    #[arg(long, value_name = "MMSI[,MMSI…]")]
    pub mmsi: Option<String>,
    /// Simplify within this many metres (default: every stored point).
    #[arg(long, value_name = "METRES", conflicts_with = "zoom")]
    pub tolerance_m: Option<String>,
    /// Simplify for a map zoom (0–18: about two pixels).
    #[arg(long, value_name = "ZOOM")]
    pub zoom: Option<String>,
    /// At most this many vessels (default 500, at most 2000).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print the GeoJSON FeatureCollection (as --json).
    #[arg(long)]
    pub geojson: bool,
}

/// Arguments of `truce ais vessels`.
#[derive(Debug, clap::Args)]
pub struct VesselsArgs {
    /// Only these MMSIs (comma-separated).
    #[arg(long, value_name = "MMSI[,MMSI…]")]
    pub mmsi: Option<String>,
    /// Only this class (of the latest declared static data): commercial, military,
    /// law-enforcement or unknown.
    #[arg(long, value_name = "CLASS")]
    pub class: Option<String>,
    /// Only vessels whose declared name (any version) contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    #[command(flatten)]
    pub page: query_cmd::PageArgs,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `truce ais tracks`.
pub fn tracks(dir: &DataDir, a: &TracksArgs, out: &Out) -> Result<(), Failure> {
    let p = query_cmd::params(
        &[
            ("from", a.from.clone()),
            ("to", a.to.clone()),
            ("at", a.at.clone()),
            ("hours", a.hours.clone()),
            ("bbox", a.bbox.clone()),
            ("mmsi", a.mmsi.clone()),
            ("tolerance_m", a.tolerance_m.clone()),
            ("zoom", a.zoom.clone()),
            ("limit", a.limit.map(|l| l.to_string())),
        ],
        None,
        TRACK_PARAMS,
    )?;
    let q = TrackQuery::parse(&p).map_err(query_cmd::flag_error)?;
    let reader = dir.reader()?;
    let log_size = reader.latest_size()?;
    let ledger = crate::domain_cmd::replay(&reader)?;
    let doc = tracks_geojson(&ledger, &q, log_size);
    if out.json || a.geojson {
        return out.print_raw(&format!("{doc}\n"));
    }
    let mut t = crate::table::new(
        &[
            "MMSI", "NAME", "CLASS", "FIRST", "LAST", "POINTS", "SEGMENTS", "JUMPS",
        ],
        &[5, 6, 7],
    );
    let features = doc["features"].as_array().map_or(&[][..], Vec::as_slice);
    for f in features {
        let p = &f["properties"];
        t.add_row(vec![
            text(&p["mmsi"]),
            text(&p["name"]),
            text(&p["class"]),
            text(&p["first"]),
            text(&p["last"]),
            format!("{}/{}", text(&p["points"]), text(&p["points_total"])),
            text(&p["segments"]["count"]),
            text(&p["flags"]["jumps"]),
        ]);
    }
    let mut s = String::new();
    if !features.is_empty() {
        s.push_str(&crate::table::render(&t));
    }
    let window = match &doc["window"] {
        Value::Null => "no window (the log holds no track)".to_string(),
        w => format!("{} to {}", text(&w["from"]), text(&w["to"])),
    };
    s.push_str(&format!(
        "{} of {} vessels with a track from {window}{} at log size {log_size} (AIS identity is self-declared; POINTS: kept/in the window, {})\n",
        features.len(),
        text(&doc["vessels"]),
        if doc["truncated"] == true { ", truncated: narrow the window, the box or the MMSIs" } else { "" },
        match doc["tolerance_m"].as_f64() {
            Some(t) if t > 0.0 => format!("simplified within {t} m"),
            _ => "every stored point".into(),
        },
    ));
    out.print(s, Value::Null)
}

/// `truce ais vessels`.
pub fn vessels(dir: &DataDir, a: &VesselsArgs, out: &Out) -> Result<(), Failure> {
    let p = query_cmd::params(
        &[
            ("mmsi", a.mmsi.clone()),
            ("class", a.class.clone()),
            ("q", a.name.clone()),
        ],
        Some(&a.page),
        &[VESSEL_PARAMS, &["limit", "offset"]].concat(),
    )?;
    let f = VesselQuery::parse(&p)
        .map_err(|mut e| {
            if e.field == "q" {
                e.field = "name".into();
                e.message = e.message.replacen("parameter q", "parameter name", 1);
            }
            e
        })
        .map_err(query_cmd::flag_error)?;
    let page = query_cmd::page(&p)?;
    let reader = dir.reader()?;
    let log_size = reader.latest_size()?;
    let ledger = crate::domain_cmd::replay(&reader)?;
    let doc = vessels_page_json(&ledger, &f, page, log_size);
    if out.json {
        return out.print_raw(&format!("{doc}\n"));
    }
    let mut t = crate::table::new(
        &[
            "MMSI",
            "NAME",
            "CLASS",
            "IMO",
            "VERSIONS",
            "TRACK FROM",
            "TRACK TO",
            "SEGMENTS",
        ],
        &[4, 7],
    );
    let items = doc["items"].as_array().map_or(&[][..], Vec::as_slice);
    for v in items {
        let versions = v["versions"].as_array().map_or(&[][..], Vec::as_slice);
        t.add_row(vec![
            text(&v["mmsi"]),
            text(&v["name"]),
            text(&v["class"]),
            versions.last().map_or("-".into(), |x| text(&x["imo"])),
            versions.len().to_string(),
            text(&v["track"]["first"]),
            text(&v["track"]["last"]),
            text(&v["track"]["segments"]),
        ]);
    }
    let mut s = String::new();
    if !items.is_empty() {
        s.push_str(&crate::table::render(&t));
    }
    let total = doc["total"].as_u64().unwrap_or(0);
    let shown = if items.is_empty() {
        format!("none of {total}")
    } else {
        format!(
            "{}–{} of {total}",
            page.offset + 1,
            page.offset + items.len()
        )
    };
    s.push_str(&format!(
        "{shown} vessels at log size {log_size} (AIS identity is self-declared: names, IMO numbers and ship types are what each transmitter says)\n"
    ));
    out.print(s, Value::Null)
}
