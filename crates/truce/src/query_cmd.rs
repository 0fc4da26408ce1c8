//! The queries over the derived views: `truce incidents`, `truce findings` and
//! `truce compliance`. Their flags are the API's query parameters (`--from` is `from=`, …): they
//! are handed to the same typed queries (`truce_views::query::{incidents, findings,
//! compliance}`, parsed from [`Params`]) and `--json` prints the document `GET /v1/incidents`,
//! `/v1/findings` or `/v1/compliance` answers for the same filters, byte for byte (a page
//! `{"items", "total", "limit", "offset", "log_size"}`; 100 items unless `--limit` says). The
//! text is a table of the same page. Agreements, readings and parties are checked against the
//! log only when nothing matched (a query that finds something never replays the log).

use crate::datadir::DataDir;
use crate::engine_cmd::{failure, parse_as_of, views_as_of, AsOf};
use crate::log_cmd::Out;
use crate::values::Choice;
use crate::Failure;
use anyhow::anyhow;
use std::fmt::Write as _;
use truce_engine::{Compliance, Finding, Grade, Incident, Outcome};
use truce_model::domain::{Act, Standing};
use truce_views::db::ViewStore;
use truce_views::filters::Known;
use truce_views::query::compliance::{self, ComplianceQuery, COMPLIANCE_PARAMS};
use truce_views::query::findings::{FindingQuery, FINDING_PARAMS};
use truce_views::query::incidents::{IncidentQuery, INCIDENT_PARAMS};
use truce_views::query::{Page, ParamError, Params, DEFAULT_LIMIT, MAX_COUNT};

/// `--limit` and `--offset`: a page, as the API's `limit` and `offset`.
#[derive(Debug, Clone, clap::Args)]
pub struct PageArgs {
    /// At most this many items (the API's default page).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT)]
    pub limit: usize,
    /// Skip this many items first.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: usize,
}

/// Filters of `truce incidents` (the parameters of `GET /v1/incidents`).
#[derive(Debug, clap::Args)]
pub struct IncidentsArgs {
    /// Only incidents starting on or after this UTC day (YYYY-MM-DD) or instant (RFC 3339).
    #[arg(long, value_name = "DAY|TIME")]
    pub from: Option<String>,
    /// Only incidents starting on or before this UTC day or instant.
    #[arg(long, value_name = "DAY|TIME")]
    pub to: Option<String>,
    /// Only this occurrence grade.
    #[arg(long, value_enum)]
    pub occurrence: Option<Choice<Grade>>,
    /// Only incidents blaming this party.
    #[arg(long)]
    pub party: Option<String>,
    /// Only incidents reporting this act (`strike` includes its kinds).
    #[arg(long, value_enum)]
    pub kind: Option<Choice<Act>>,
    /// Only incidents inside MIN_LON,MIN_LAT,MAX_LON,MAX_LAT (degrees).
    #[arg(long, value_name = "BBOX")]
    pub bbox: Option<String>,
    #[command(flatten)]
    pub page: PageArgs,
    /// As known at this log size (the first SIZE entries), not now: reproduces exactly what
    /// was known then. A time (RFC 3339 with an offset) names the largest log size a quorum of
    /// witnesses had cosigned by then (from the witnessing rounds in the log); authors' stated
    /// times are never used for this.
    #[arg(long, value_name = "SIZE|TIME", value_parser = parse_as_of)]
    pub as_of: Option<AsOf>,
}

/// Filters of `truce findings` (the parameters of `GET /v1/findings`).
#[derive(Debug, clap::Args)]
pub struct FindingsArgs {
    /// Only this agreement.
    #[arg(long)]
    pub agreement: Option<String>,
    /// Only this reading (the party whose reading it is).
    #[arg(long)]
    pub reading: Option<String>,
    /// Only this outcome.
    #[arg(long, value_enum)]
    pub outcome: Option<Choice<Outcome>>,
    /// Only findings that stand so well (an `alleged` breach is an allegation, never counted as
    /// a breach).
    #[arg(long, value_enum)]
    pub standing: Option<Choice<Standing>>,
    /// Only findings about this party.
    #[arg(long)]
    pub party: Option<String>,
    /// Only findings about this incident.
    #[arg(long)]
    pub incident: Option<String>,
    /// Only findings on or after this day (YYYY-MM-DD): the day the incident's evidence starts,
    /// in the agreement's time zone.
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// Only findings on or before this day.
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,
    #[command(flatten)]
    pub page: PageArgs,
    /// As known at this log size (the first SIZE entries), not now: a reading re-filed later
    /// never changes what was known then. A time (RFC 3339 with an offset) names the largest
    /// log size a quorum of witnesses had cosigned by then (from the witnessing rounds in the
    /// log); authors' stated times are never used for this.
    #[arg(long, value_name = "SIZE|TIME", value_parser = parse_as_of)]
    pub as_of: Option<AsOf>,
}

/// Filters of `truce compliance` (the parameters of `GET /v1/compliance`).
#[derive(Debug, clap::Args)]
pub struct ComplianceArgs {
    /// Only this agreement.
    #[arg(long)]
    pub agreement: Option<String>,
    /// Only this reading (the party whose reading it is).
    #[arg(long)]
    pub reading: Option<String>,
    /// Only rows about this party.
    #[arg(long)]
    pub party: Option<String>,
    /// Only rows (and differences) on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// Only rows (and differences) on or before this day.
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,
    #[command(flatten)]
    pub page: PageArgs,
    /// As known at this log size (the first SIZE entries), or at this time (the largest log size
    /// a quorum of witnesses had cosigned by then; never authors' stated times).
    #[arg(long, value_name = "SIZE|TIME", value_parser = parse_as_of)]
    pub as_of: Option<AsOf>,
}

/// Flags as the query's `(name, value)` pairs: the parameters the API would be given.
pub(crate) fn params(
    flags: &[(&str, Option<String>)],
    page: Option<&PageArgs>,
    allowed: &[&str],
) -> Result<Params, Failure> {
    let mut pairs: Vec<(String, String)> = flags
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
        .collect();
    if let Some(p) = page {
        pairs.push(("limit".into(), p.limit.to_string()));
        pairs.push(("offset".into(), p.offset.to_string()));
    }
    Params::new(pairs, allowed).map_err(flag_error)
}

/// The page the flags ask for (no cap but SQLite's: the CLI has no `max_page`).
pub(crate) fn page(p: &Params) -> Result<Page, Failure> {
    p.page(MAX_COUNT).map_err(flag_error)
}

/// A parameter refused, said of the flag: `--NAME: why` for the API's `parameter NAME: why`.
pub(crate) fn flag_error(e: ParamError) -> Failure {
    let prefix = format!("parameter {}", e.field);
    let message = match e.message.strip_prefix(&prefix) {
        Some(rest) => format!("--{}{rest}", e.field.replace('_', "-")),
        None => e.message,
    };
    Failure::input(anyhow!(message))
}

/// The log size the views describe (they are stamped once computed).
pub(crate) fn log_size(views: &ViewStore) -> Result<u64, Failure> {
    views
        .stamp()?
        .map(|s| s.log_size)
        .ok_or_else(|| Failure::store(anyhow!("views.db holds no views: run `truce rebuild`")))
}

/// A query that matched nothing: is each agreement, reading or party one the log holds? An
/// unknown one is an error listing the valid values (the API's check) rather than an empty
/// answer. Replays the log, so only called when nothing matched.
fn check_known(
    dir: &DataDir,
    check: impl FnOnce(&Known) -> Result<(), ParamError>,
) -> Result<(), Failure> {
    let known = Known::of(&crate::domain_cmd::replay(&dir.reader()?)?);
    check(&known).map_err(flag_error)
}

/// Which items of how many a page shows: `7` when it shows them all, else `1–100 of 250`.
fn shown(page: Page, items: usize, total: usize) -> String {
    if page.offset == 0 && items == total {
        total.to_string()
    } else if items == 0 {
        format!("none of {total}")
    } else {
        format!("{}–{} of {total}", page.offset + 1, page.offset + items)
    }
}

/// A page document's items.
#[derive(serde::Deserialize)]
struct PageDoc<T> {
    items: Vec<T>,
}

fn items<T: serde::de::DeserializeOwned>(doc: &str) -> Result<Vec<T>, Failure> {
    serde_json::from_str::<PageDoc<T>>(doc)
        .map(|p| p.items)
        .map_err(|e| Failure::store(anyhow!("views.db: an unreadable document: {e}")))
}

/// An incident in its list form: its members abridged, all of them counted.
#[derive(serde::Deserialize)]
struct Head {
    #[serde(flatten)]
    incident: Incident,
    member_count: usize,
}

/// `truce incidents`.
pub fn incidents(dir: &DataDir, a: &IncidentsArgs, out: &Out) -> Result<(), Failure> {
    let p = params(
        &[
            ("from", a.from.clone()),
            ("to", a.to.clone()),
            ("bbox", a.bbox.clone()),
            ("party", a.party.clone()),
            ("occurrence", a.occurrence.map(|g| g.0.as_str().into())),
            (
                "kind",
                a.kind.map(|k| crate::values::Named::name(&k.0).into()),
            ),
        ],
        Some(&a.page),
        INCIDENT_PARAMS,
    )?;
    let q = IncidentQuery::unchecked(&p).map_err(flag_error)?;
    let page = page(&p)?;
    let views = views_as_of(dir, a.as_of, out)?;
    let (doc, total) = q
        .page_json(&views, page, log_size(&views)?)
        .map_err(failure)?;
    if total == 0 && q.party.is_some() {
        check_known(dir, |k| q.check(k))?;
    }
    if out.json {
        return out.print_raw(&format!("{doc}\n"));
    }
    let list: Vec<Head> = items(&doc)?;
    let text = render_incidents(&list, &shown(page, list.len(), total));
    out.print(text, serde_json::Value::Null)
}

fn render_incidents(list: &[Head], shown: &str) -> String {
    let mut t = crate::table::new(
        &[
            "INCIDENT",
            "DAY",
            "OCCURRENCE",
            "REPORTS",
            "ATTRIBUTION",
            "WHERE",
        ],
        &[3],
    );
    for Head {
        incident: i,
        member_count,
    } in list
    {
        let alleged = if i.alleged.is_empty() {
            "-".to_string()
        } else {
            i.alleged
                .iter()
                .map(|a| {
                    format!(
                        "{} {} (by {})",
                        a.party,
                        a.grade.as_str(),
                        a.by.iter()
                            .map(|b| b.as_str())
                            .collect::<Vec<_>>()
                            .join("+")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let place = format!(
            "[{:.3}, {:.3}] ±{} m",
            i.point[0], i.point[1], i.uncertainty_m
        );
        t.add_row(vec![
            i.id.clone(),
            i.day.clone(),
            format!(
                "{}{}",
                i.occurrence.as_str(),
                if i.disputed { "*" } else { "" }
            ),
            member_count.to_string(),
            alleged,
            format!("{place}{}", if i.routine { " (routine)" } else { "" }),
        ]);
    }
    let mut s = crate::table::render(&t);
    let _ = writeln!(
        s,
        "{shown} incident(s){}",
        if list.iter().any(|h| h.incident.disputed) {
            "; * sources disagree"
        } else {
            ""
        }
    );
    s
}

/// `truce findings`.
pub fn findings(dir: &DataDir, a: &FindingsArgs, out: &Out) -> Result<(), Failure> {
    let p = params(
        &[
            ("agreement", a.agreement.clone()),
            ("reading", a.reading.clone()),
            ("outcome", a.outcome.map(|o| o.0.as_str().into())),
            ("standing", a.standing.map(|s| s.0.as_str().into())),
            ("party", a.party.clone()),
            ("incident", a.incident.clone()),
            ("from", a.from.clone()),
            ("to", a.to.clone()),
        ],
        Some(&a.page),
        FINDING_PARAMS,
    )?;
    let q = FindingQuery::unchecked(&p).map_err(flag_error)?;
    let page = page(&p)?;
    let views = views_as_of(dir, a.as_of, out)?;
    let (doc, total) = q
        .page_json(&views, page, log_size(&views)?)
        .map_err(failure)?;
    if total == 0 {
        check_known(dir, |k| q.check(k))?;
    }
    if out.json {
        return out.print_raw(&format!("{doc}\n"));
    }
    let list: Vec<Finding> = items(&doc)?;
    let text = render_findings(&list, &shown(page, list.len(), total));
    out.print(text, serde_json::Value::Null)
}

fn render_findings(list: &[Finding], shown: &str) -> String {
    let mut t = crate::table::new(
        &[
            "INCIDENT",
            "AGREEMENT",
            "READING",
            "FINDING",
            "OCCURRENCE",
            "PARTIES",
            "DECIDED BY",
        ],
        &[],
    );
    for f in list {
        let parties = f
            .attributions
            .iter()
            .map(|a| {
                format!(
                    "{}:{}",
                    a.party,
                    truce_engine::outcome_words(a.outcome, a.standing).replace(' ', "_")
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        let decided = truce_report::decided_by(f);
        t.add_row(vec![
            f.incident.clone(),
            f.agreement.to_string(),
            f.reading.to_string(),
            f.words.clone(),
            f.occurrence.as_str().to_string(),
            if parties.is_empty() {
                "-".into()
            } else {
                parties
            },
            truncate(&decided, 100),
        ]);
    }
    let mut s = crate::table::render(&t);
    let _ = writeln!(
        s,
        "{shown} finding(s); `truce explain <incident>` gives every reason"
    );
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// `truce compliance`.
pub fn compliance(dir: &DataDir, a: &ComplianceArgs, out: &Out) -> Result<(), Failure> {
    let p = params(
        &[
            ("agreement", a.agreement.clone()),
            ("reading", a.reading.clone()),
            ("party", a.party.clone()),
            ("from", a.from.clone()),
            ("to", a.to.clone()),
        ],
        Some(&a.page),
        COMPLIANCE_PARAMS,
    )?;
    let q = ComplianceQuery::unchecked(&p).map_err(flag_error)?;
    let page = page(&p)?;
    let views = views_as_of(dir, a.as_of, out)?;
    let mut c = q.compliance(&views).map_err(failure)?;
    if c.rows.is_empty() {
        check_known(dir, |k| q.check(k))?;
    }
    if out.json {
        let doc = compliance::page_json(&c, page, log_size(&views)?);
        return out.print_raw(&format!("{doc}\n"));
    }
    let total = c.rows.len();
    c.rows = page.slice(&c.rows).to_vec();
    let text = render_compliance(&c, &shown(page, c.rows.len(), total));
    out.print(text, serde_json::Value::Null)
}

fn render_compliance(c: &Compliance, shown: &str) -> String {
    let mut s = String::new();
    for t in &c.totals {
        let _ = writeln!(
            s,
            "{} under {}'s reading: {} finding(s) of breach (any standing), {} no_breach, {} out_of_scope, {} undetermined",
            t.agreement,
            t.reading,
            t.outcomes.get("breach").unwrap_or(&0),
            t.outcomes.get("no_breach").unwrap_or(&0),
            t.outcomes.get("out_of_scope").unwrap_or(&0),
            t.outcomes.get("undetermined").unwrap_or(&0),
        );
        if t.breaches_by_party.is_empty() {
            let _ = writeln!(s, "  breaches: none");
        }
        for (p, by) in &t.breaches_by_party {
            let n = |k: &str| by.get(k).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "  {p}: {} established breach(es), {} corroborated; {} alleged breach(es) (allegations, not counted as breaches)",
                n("established"),
                n("corroborated"),
                n("alleged")
            );
        }
    }
    let mut t = crate::table::new(
        &[
            "AGREEMENT",
            "READING",
            "PARTY",
            "DAY",
            "BREACH",
            "NO_BREACH",
            "OUT_OF_SCOPE",
            "UNDETERMINED",
            "BREACHES BY STANDING",
        ],
        &[4, 5, 6, 7],
    );
    for r in &c.rows {
        let g = |k: &str| r.outcomes.get(k).copied().unwrap_or(0);
        let grades = r
            .breaches_by_standing
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        t.add_row(vec![
            r.agreement.to_string(),
            r.reading.to_string(),
            r.party.to_string(),
            r.day.clone(),
            g("breach").to_string(),
            g("no_breach").to_string(),
            g("out_of_scope").to_string(),
            g("undetermined").to_string(),
            if grades.is_empty() {
                "-".into()
            } else {
                grades
            },
        ]);
    }
    if !c.rows.is_empty() {
        s.push('\n');
        s.push_str(&crate::table::render(&t));
        let _ = writeln!(s, "{shown} row(s)");
    }
    if !c.differences.is_empty() {
        let _ = writeln!(
            s,
            "\nWhere the reading decides ({} incident(s)):",
            c.differences.len()
        );
        for d in &c.differences {
            let _ = writeln!(
                s,
                "  {} {} {}: {}",
                d.agreement,
                d.day,
                d.incident,
                d.words
                    .iter()
                    .map(|(r, w)| format!("{r}: {w}"))
                    .collect::<Vec<_>>()
                    .join(" · ")
            );
        }
    }
    if c.totals.is_empty() {
        s.push_str("no findings: no reading of any agreement is in the log yet\n");
    }
    s
}
