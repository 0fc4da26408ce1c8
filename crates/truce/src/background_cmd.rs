//! `truce background`: the background detections (sensor detections in no incident, never
//! counted as incidents) from the derived views, made fresh first as `truce incidents` does.
//! A text table, or with `--count` how many per day; `--json` prints exactly what
//! `GET /v1/background` (or `/v1/background/count`) answers for the same filters: the documents
//! come from the same functions (`truce_views::query::background`).

use crate::engine_cmd::{self, AsOf};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use truce_views::query::background;
use truce_views::db::{BackgroundFilter, BackgroundRow, ViewStore};

/// The page size when `--limit` is not given (the API's default).
pub const DEFAULT_LIMIT: usize = 100;

/// Arguments of `truce background`.
#[derive(Debug, clap::Args)]
pub struct BackgroundArgs {
    /// Only detections starting on or after this UTC day (YYYY-MM-DD).
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// Only detections starting on or before this UTC day.
    #[arg(long, value_name = "DAY")]
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
    /// At most this many detections.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT)]
    pub limit: usize,
    /// Skip this many detections first.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: usize,
    /// Print how many detections match, in all and per UTC day, instead of listing them.
    #[arg(long)]
    pub count: bool,
    /// As known at this log size (the first SIZE entries), or at this time (the largest log size
    /// a quorum of witnesses had cosigned by then; never authors' stated times).
    #[arg(long, value_name = "SIZE|TIME", value_parser = crate::engine_cmd::parse_as_of)]
    pub as_of: Option<AsOf>,
}

impl BackgroundArgs {
    /// The filter these arguments describe (an input error naming a malformed one).
    pub fn filter(&self) -> Result<BackgroundFilter, Failure> {
        let day = |flag: &str, d: &Option<String>| -> Result<Option<String>, Failure> {
            d.as_ref()
                .map(|d| {
                    truce_model::Date::parse(d)
                        .map(|x| x.to_string())
                        .map_err(|e| {
                            Failure::input(anyhow!("--{flag} {d:?}: {e}; write days as YYYY-MM-DD"))
                        })
                })
                .transpose()
        };
        let from_day = day("from", &self.from)?;
        let to_day = day("to", &self.to)?;
        if let (Some(f), Some(t)) = (&from_day, &to_day) {
            if f > t {
                return Err(Failure::input(anyhow!("--to {t} is before --from {f}")));
            }
        }
        let source = self
            .source
            .as_deref()
            .map(|s| {
                truce_model::Id::new(s)
                    .map(|i| i.to_string())
                    .map_err(|e| Failure::input(anyhow!("--source {s:?}: {e}")))
            })
            .transpose()?;
        Ok(BackgroundFilter {
            from_day,
            to_day,
            bbox: self.bbox.as_deref().map(parse_bbox).transpose()?,
            source,
            routine: self.routine,
            ..Default::default()
        })
    }
}

/// `MIN_LON,MIN_LAT,MAX_LON,MAX_LAT` in degrees, minimum first, within the globe.
fn parse_bbox(b: &str) -> Result<[f64; 4], Failure> {
    let bad = || {
        Failure::input(anyhow!(
            "--bbox {b:?}: give four numbers MIN_LON,MIN_LAT,MAX_LON,MAX_LAT in degrees, minimum first (e.g. 22,44,41,53)"
        ))
    };
    let v: Vec<f64> = b
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let [w, s, e, n] = v[..] else {
        return Err(bad());
    };
    let lon = |x: f64| x.is_finite() && (-180.0..=180.0).contains(&x);
    let lat = |x: f64| x.is_finite() && (-90.0..=90.0).contains(&x);
    if !(lon(w) && lon(e) && lat(s) && lat(n)) || w > e || s > n {
        return Err(bad());
    }
    Ok([w, s, e, n])
}

/// `truce background`.
pub fn run(dir: &crate::datadir::DataDir, a: &BackgroundArgs, out: &Out) -> Result<(), Failure> {
    let filter = a.filter()?;
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
        let doc =
            background::list_json(&views, &filter, a.limit, a.offset, log_size).map_err(failed)?;
        return out.print_raw(&format!("{doc}\n"));
    }
    let (rows, total) = views.background_page(&filter, a.limit, a.offset)?;
    out.print(
        render(&rows, total, a.offset, log_size),
        serde_json::Value::Null,
    )
}

/// The views' log size (they are stamped once computed).
fn log_size(views: &ViewStore) -> Result<u64, Failure> {
    views
        .stamp()?
        .map(|s| s.log_size)
        .ok_or_else(|| Failure::store(anyhow!("views.db holds no views: run `truce rebuild`")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bboxes_are_checked() {
        assert_eq!(
            parse_bbox("22, 44,41,53").ok(),
            Some([22.0, 44.0, 41.0, 53.0])
        );
        for bad in [
            "1,2,3",
            "3,2,1,4",
            "1,2,3,x",
            "-181,0,0,1",
            "0,-91,1,1",
            "nan,0,1,1",
        ] {
            assert!(parse_bbox(bad).is_err(), "{bad}");
        }
    }
}
