//! The engine's commands: `truce explain`, `rebuild` and `agreement history`, and the derived
//! views every query command reads (`truce incidents`, `findings`, `compliance`: `query_cmd`;
//! `truce background`; `truce export`). Derived views live in `views.db` beside the log, stamped
//! with the log size, root and rules version they were computed at; a query whose stamp is stale
//! recomputes them from the log first, so answers always match the log as it is; `--as-of` reads
//! the views as known at an earlier size.

use crate::datadir::DataDir;
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use truce_engine::{Compliance, Finding, Incident, Judged, Judgement};
use truce_model::Time;
use truce_views::db::{FindingFilter, ViewStamp, ViewStore};
use truce_views::derived::{self, DerivedError, Progress};

/// The views database of a data directory.
fn views_path(dir: &DataDir) -> std::path::PathBuf {
    derived::views_path(&dir.path)
}

/// How the replay's bar looks: entries done, the rate and the time left.
const REPLAY_TEMPLATE: &str = "{spinner} replaying the log [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({rate}, {eta} left)";
/// How the judging and storing spinner looks.
const STEP_TEMPLATE: &str = "{spinner} {msg} [{elapsed_precise}]";

/// What a computation of the views shows on stderr (nothing with `-q`, or when stderr is not a
/// terminal): the replay as a bar with its rate and the time left, then a spinner while the
/// engine judges and the views are stored. Cleared when dropped.
struct ViewsBar {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl ViewsBar {
    fn show(&mut self, p: Progress) {
        if self.quiet {
            return;
        }
        match p {
            Progress::Replaying { done, total } => {
                if done == 0 {
                    self.clear();
                }
                let b = self.bar.get_or_insert_with(|| {
                    let b =
                        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                    if let Ok(style) = ProgressStyle::with_template(REPLAY_TEMPLATE) {
                        b.set_style(style.with_key(
                            "rate",
                            |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                                let _ = write!(
                                    w,
                                    "{} entries/s",
                                    indicatif::HumanCount(s.per_sec() as u64)
                                );
                            },
                        ));
                    }
                    b.enable_steady_tick(Duration::from_millis(120));
                    b
                });
                b.set_length(total);
                b.set_position(done);
            }
            Progress::Judging { reports } => self.step(format!("judging {reports} reports")),
            Progress::Judged => self.step("storing the views".into()),
        }
    }

    /// Turns the bar into a spinner saying `msg`.
    fn step(&mut self, msg: String) {
        let b = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        if let Ok(style) = ProgressStyle::with_template(STEP_TEMPLATE) {
            b.set_style(style);
        }
        b.set_message(msg);
    }

    fn clear(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for ViewsBar {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A progress callback for a computation of the views (see [`ViewsBar`]).
fn progress(out: &Out) -> impl FnMut(Progress) + '_ {
    let mut bar = ViewsBar {
        bar: None,
        quiet: out.quiet,
    };
    move |p| bar.show(p)
}

/// The CLI's failure for a views error: log and database errors keep their exit codes.
pub(crate) fn failure(e: DerivedError) -> Failure {
    match e {
        DerivedError::Log(e) => Failure::from(e),
        DerivedError::Db(e) => Failure::from(e),
        DerivedError::Encode(_) => Failure::input(anyhow!(e)),
        DerivedError::Unreadable(_) | DerivedError::Moved { .. } => Failure::store(anyhow!(e)),
        DerivedError::BeyondLog { .. } => Failure::input(anyhow!("--as-of: {e}")),
    }
}

/// Recomputes every derived view from the log and stores it.
fn store(dir: &DataDir, views: &mut ViewStore, out: &Out) -> Result<(Judged, ViewStamp), Failure> {
    let reader = dir.reader()?;
    derived::refresh(&reader, views, &mut progress(out)).map_err(failure)
}

/// Recomputes and stores every derived view; returns the judgement and its compliance view.
pub fn refresh(dir: &DataDir, out: &Out) -> Result<(Judgement, Compliance), Failure> {
    let mut views = ViewStore::open(&views_path(dir))?;
    let (j, _) = store(dir, &mut views, out)?;
    let c = truce_engine::compliance(&j.findings);
    Ok((j.judgement, c))
}

/// Opens the views, recomputing them first if they are missing or stale.
pub(crate) fn fresh_views(dir: &DataDir, out: &Out) -> Result<ViewStore, Failure> {
    views_as_of(dir, None, out)
}

/// What `--as-of` names: a log size, or a time (the largest log size every entry of which a
/// quorum of witnesses had cosigned by then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The first N entries.
    Size(u64),
    /// What the witnessed log held at this time.
    Time(Time),
}

/// Opens the views as they were known at `as_of` (the first N entries; a time names the largest
/// N witnessed by then), or the current views when it is `None` or the latest size:
/// `truce_views::derived::views_at`, the cache (`views-asof-<size>.db`) the server's
/// `?as_of=` shares.
pub fn views_as_of(dir: &DataDir, as_of: Option<AsOf>, out: &Out) -> Result<ViewStore, Failure> {
    let reader = dir.reader()?;
    let size = match as_of {
        None => None,
        Some(AsOf::Size(n)) => Some(n),
        Some(AsOf::Time(t)) => Some(size_known_by(&reader, t)?),
    };
    derived::views_at(&dir.path, &reader, size, &mut progress(out)).map_err(failure)
}

/// The largest log size whose every entry a quorum of witnesses had cosigned by `t`, from the
/// witnessing rounds in the log.
fn size_known_by(
    reader: &truce_store::LogReader<truce_store::DynStorage>,
    t: Time,
) -> Result<u64, Failure> {
    let ledger = crate::domain_cmd::replay(reader)?;
    if ledger.time.rounds.is_empty() {
        return Err(Failure::input(anyhow::anyhow!(
            "--as-of {t}: the log holds no witnessing round, so no entry has a witnessed time; give a log size instead"
        )));
    }
    let size = ledger.time.size_known_by(t).ok_or_else(|| {
        Failure::input(anyhow::anyhow!(
            "--as-of {t}: no witnessing round had reached its quorum by then (the first did at {}); give a later time or a log size",
            ledger.time.rounds[0].reached_at
        ))
    })?;
    tracing::info!("--as-of {t}: log size {size}, the largest witnessed by then");
    Ok(size)
}

/// Parses `--as-of`: a log size, or an RFC 3339 time with an offset.
pub fn parse_as_of(v: &str) -> Result<AsOf, String> {
    if let Ok(n) = v.parse::<u64>() {
        return Ok(AsOf::Size(n));
    }
    Time::parse(v).map(AsOf::Time).map_err(|e| {
        format!(
            "{v:?} is neither a log size nor a time ({e}); give the number of entries (e.g. `--as-of 95`: what was known once the log held 95 entries; `truce log checkpoint` shows the current size) or an RFC 3339 time with an offset (e.g. `--as-of 2025-04-20T00:00:00+03:00`: what the witnessed log held then)"
        )
    })
}

/// `truce rebuild`: recomputes every derived view from the log.
pub fn rebuild(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let t = Instant::now();
    let mut views = ViewStore::open(&views_path(dir))?;
    let (j, stamp) = store(dir, &mut views, out)?;
    let secs = t.elapsed().as_secs_f64();
    let reports: usize =
        j.incidents.iter().map(|i| i.members.len()).sum::<usize>() + j.background.len();
    out.print(
        format!(
            "rebuilt views at log size {} (rules {}): {} reports → {} incidents, {} background detections, {} findings, {} hot spots ({} routine detections) in {:.2} s\n",
            stamp.log_size,
            stamp.rules,
            reports,
            j.incidents.len(),
            j.background.len(),
            j.findings.len(),
            j.baseline.hot_spots,
            j.baseline.routine_detections,
            secs
        ),
        serde_json::json!({
            "log_size": stamp.log_size,
            "root": stamp.root,
            "rules": stamp.rules,
            "reports": reports,
            "incidents": j.incidents.len(),
            "background": j.background.len(),
            "findings": j.findings.len(),
            "baseline": j.baseline,
        }),
    )
}

fn parse_all<T: serde::de::DeserializeOwned>(docs: &[String]) -> Result<Vec<T>, Failure> {
    derived::parse_all(docs).map_err(failure)
}

/// `truce explain <incident>`: the incident and every finding about it, with reasons. Accepts an
/// unambiguous prefix of the id.
pub fn explain(dir: &DataDir, id: &str, out: &Out) -> Result<(), Failure> {
    let views = fresh_views(dir, out)?;
    let full = match views.incident(id)? {
        Some(_) => id.to_string(),
        None => {
            let ids = views.incident_ids(id, 6)?;
            match ids.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(Failure::input(anyhow!(
                        "no incident {id:?}: `truce incidents` lists them"
                    )))
                }
                many => {
                    return Err(Failure::input(anyhow!(
                        "{id:?} is ambiguous: it starts {}; give more of the id",
                        many.join(", ")
                    )))
                }
            }
        }
    };
    let doc = views
        .incident(&full)?
        .ok_or_else(|| Failure::input(anyhow!("no incident {full:?}")))?;
    let incident: Incident = parse_all(&[doc])?
        .pop()
        .ok_or_else(|| Failure::store(anyhow!("empty incident")))?;
    let fdocs = views.findings(&FindingFilter {
        incident: Some(full.clone()),
        ..Default::default()
    })?;
    let findings: Vec<Finding> = parse_all(&fdocs)?;
    let refs: Vec<&Finding> = findings.iter().collect();
    out.print(
        truce_engine::explain(&incident, &refs),
        serde_json::json!({ "incident": incident, "findings": findings }),
    )
}

/// `truce agreement history <id>`: every version of every party's reading, in log order, what
/// each changed, and which findings it changed (judged as known before and after it):
/// `truce_views::history`, the document `GET /v1/agreements/{id}/history` serves.
pub fn agreement_history(dir: &DataDir, agreement: &str, out: &Out) -> Result<(), Failure> {
    let reader = dir.reader()?;
    let (ledger, size) = derived::replay(&reader).map_err(failure)?;
    let aid = truce_model::Id::new(agreement)
        .map_err(|e| Failure::input(anyhow!("agreement {agreement:?}: {e}")))?;
    let h =
        truce_views::history::history(&dir.path, &reader, &ledger, size, &aid, &mut progress(out))
            .map_err(failure)?
            .ok_or_else(|| {
                Failure::input(anyhow!(
                    "no agreement {agreement:?} in the log; `truce agreement list` shows them"
                ))
            })?;
    out.print(
        render_history(&h),
        serde_json::to_value(&h).unwrap_or_default(),
    )
}

fn render_history(h: &truce_views::history::History) -> String {
    let mut text = format!(
        "versions of the readings of {}, in log order (dates in {}):\n",
        h.agreement, h.time_zone
    );
    if h.versions.is_empty() {
        text.push_str("no reading filed yet\n");
    }
    for v in &h.versions {
        let _ = writeln!(
            text,
            "\n{}{}\n  entry {}: filed {}, effective from {}",
            if v.retroactive { "RETROACTIVE: " } else { "" },
            v.sentence,
            v.index,
            v.filed,
            v.effective_from
        );
        for c in &v.changes {
            let _ = writeln!(text, "  {}: {} → {}", c.aspect, c.before, c.after);
        }
        for c in &v.findings_changed {
            let _ = writeln!(
                text,
                "    {} {}: {} → {}{}",
                c.day,
                c.incident,
                c.before,
                c.after,
                if c.retroactive { " (retroactive)" } else { "" }
            );
        }
    }
    render_lifecycle(&mut text, &h.events);
    text
}

/// The consents to extend the agreement and the statuses of its conditions, in log order.
fn render_lifecycle(text: &mut String, events: &[truce_views::lifecycle::LifecycleEvent]) {
    if events.is_empty() {
        return;
    }
    let _ = writeln!(text, "\nextensions and conditions, in log order:");
    for e in events {
        let _ = writeln!(
            text,
            "\n{}{} {}{}\n  entry {}: filed {}, effective from {}",
            if e.retroactive { "RETROACTIVE: " } else { "" },
            e.party,
            e.what,
            if e.retracted {
                " (since retracted)"
            } else {
                ""
            },
            e.index,
            e.filed,
            e.effective_from
        );
        for (party, w) in &e.under {
            let _ = writeln!(text, "  under {party}'s reading: {w}");
        }
        for (reading, cs) in &e.findings_changed {
            for c in cs {
                let _ = writeln!(
                    text,
                    "    {reading}'s reading: {} {}: {} → {}{}",
                    c.day,
                    c.incident,
                    c.before,
                    c.after,
                    if c.retroactive { " (retroactive)" } else { "" }
                );
            }
        }
        if e.findings_changed.is_empty() {
            let _ = writeln!(text, "  no finding changes");
        }
    }
}
