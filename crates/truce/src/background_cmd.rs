//! `truce background`: the background detections (sensor detections in no incident, never
//! counted as incidents) from the derived views, made fresh first as `truce incidents` does.
//! A text table, or with `--count` how many per day; `--json` prints exactly what
//! `GET /v1/background` (or `/v1/background/count`) answers for the same filters: the documents
//! come from the same functions (`truce_views::query::background`).

use crate::engine_cmd::{self, AsOf};
use crate::log_cmd::Out;
use crate::query_cmd::{self, log_size};
use crate::Failure;
use truce_views::db::{BackgroundFilter, BackgroundRow};
use truce_views::query::{background, Page};

/// Arguments of `truce background`.
#[derive(Debug, clap::Args)]
pub struct BackgroundArgs {
    /// Only detections starting on or after this UTC day (YYYY-MM-DD) or instant (RFC 3339).
    #[arg(long, value_name = "DAY|TIME")]
    pub from: Option<String>,
    /// Only detections starting on or before this UTC day or instant.
    #[arg(long, value_name = "DAY|TIME")]
    pub to: Option<String>,
    /// Only detections inside MIN_LON,MIN_LAT,MAX_LON,MAX_LAT (edges included).
    #[arg(long, value_name = "BBOX")]
    pub bbox: Option<String>,
    /// Only detections by this source (their author, e.g. firms).
    #[arg(long, value_name = "ID")]
    pub source: Option<String>,
    /// true: only detections at persistent hot spots (routine); false: only the others.
    #[arg(long, value_name = "true|false")]
    pub routine: Option<bool>,
    #[command(flatten)]
    pub page: query_cmd::PageArgs,
    /// Print how many detections match, in all and per UTC day, instead of listing them.
    #[arg(long)]
    pub count: bool,
    /// As known at this log size (the first SIZE entries), or at this time (the largest log size
    /// a quorum of witnesses had cosigned by then; never authors' stated times).
    #[arg(long, value_name = "SIZE|TIME", value_parser = crate::engine_cmd::parse_as_of)]
    pub as_of: Option<AsOf>,
}

impl BackgroundArgs {
    /// The filter and page these arguments describe: the API's parameters, parsed by the API's
    /// parser (`truce_views::query::background::filter`); an input error names a malformed one.
    pub fn query(&self) -> Result<(BackgroundFilter, Page), Failure> {
        let p = query_cmd::params(
            &[
                ("from", self.from.clone()),
                ("to", self.to.clone()),
                ("bbox", self.bbox.clone()),
                ("source", self.source.clone()),
                ("routine", self.routine.map(|r| r.to_string())),
            ],
            Some(&self.page),
            &[background::FILTER_PARAMS, &["limit", "offset"]].concat(),
        )?;
        let f = background::filter(&p).map_err(query_cmd::flag_error)?;
        Ok((f, query_cmd::page(&p)?))
    }
}

/// `truce background`.
pub fn run(dir: &crate::datadir::DataDir, a: &BackgroundArgs, out: &Out) -> Result<(), Failure> {
    let (filter, page) = a.query()?;
    let views = engine_cmd::views_as_of(dir, a.as_of, out)?;
    let log_size = log_size(&views)?;
    let failed = |e| engine_cmd::failure(e);
    if a.count {
        if out.json {
            let doc = background::count_json(&views, &filter, log_size).map_err(failed)?;
            return out.print_raw(&format!("{doc}\n"));
        }
        let c = background::count(&views, &filter, log_size).map_err(failed)?;
        let mut t = crate::table::new(&["DAY", "DETECTIONS"], &[1]);
        for (day, n) in &c.by_day {
            t.add_row(vec![day.clone(), n.to_string()]);
        }
        let mut text = format!(
            "{} background detection{} at log size {log_size}\n",
            c.count,
            if c.count == 1 { "" } else { "s" }
        );
        if c.count > 0 {
            text.push_str(&crate::table::render(&t));
        }
        return out.print(text, serde_json::Value::Null);
    }
    if out.json {
        let doc = background::list_json(&views, &filter, page.limit, page.offset, log_size)
            .map_err(failed)?;
        return out.print_raw(&format!("{doc}\n"));
    }
    let (rows, total) = views.background_page(&filter, page.limit, page.offset)?;
    out.print(
        render(&rows, total, page.offset, log_size),
        serde_json::Value::Null,
    )
}

/// The table of a page of detections, and which of how many it shows.
fn render(rows: &[BackgroundRow], total: u64, offset: usize, log_size: u64) -> String {
    let mut t = crate::table::new(
        &["DAY", "START", "SOURCE", "ID", "LON", "LAT", "ROUTINE"],
        &[4, 5],
    );
    for r in rows {
        t.add_row(vec![
            r.day.clone(),
            r.start.clone(),
            r.author.clone(),
            r.id.clone(),
            format!("{:.4}", r.lon),
            format!("{:.4}", r.lat),
            r.routine.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut s = String::new();
    if !rows.is_empty() {
        s.push_str(&crate::table::render(&t));
    }
    let shown = if rows.is_empty() {
        format!("none of {total}")
    } else {
        format!("{}–{} of {total}", offset + 1, offset + rows.len())
    };
    s.push_str(&format!(
        "{shown} background detections at log size {log_size} (sensor detections in no incident; not counted as incidents)\n"
    ));
    s
}
