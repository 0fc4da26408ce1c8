//! `truce review`: the monitors' review queue. `queue` lists the open occurrence and attribution
//! questions, `show` one incident's questions and every assessment of it, `assess` files an
//! officer's signed answer. The questions are computed by `truce_views::review`, the same code
//! as `GET /v1/review/queue` and `GET /v1/review/incidents/{id}`, so `--json` prints the same
//! JSON as the API; the assessment is signed and appended by `domain_cmd::submit`, as every
//! domain entry is.

use crate::datadir::DataDir;
use crate::domain_cmd::{load_signer, replay, replay_for_bulk, submit, OPERATOR};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget};
use serde_json::json;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use truce_engine::Incident;
use truce_model::domain::{Assessment, Question, Verdict};
use truce_model::entry::Body;
use truce_model::{Id, Ledger, Role, Time};
use truce_store::DynStorage;
use truce_store::LogReader;
use truce_views::db::ViewStore;
use truce_views::derived::{self, DerivedError};
use truce_views::review::{self, IncidentReview, Queue, QueueFilter, ReviewQuestion};

/// The long help of `truce review` and its subcommands.
pub const REVIEW_HELP: &str = "\
QUESTIONS:
  Every incident raises two kinds of question. Occurrence: did something happen there and then?
  Attribution, once per party named as perpetrator: did this party do it? Sources grade them
  (occurrence: reported, corroborated; attribution: alleged, disputed, corroborated, admitted);
  only monitors' review makes a question verified, dismissed or unverifiable.

REVIEW:
  An officer (one registered key of a monitor party) answers a question with a signed
  `assessment`. Each officer's latest answer counts. A question is decided when as many distinct
  officers agree as the review policy's quorum (a `review.policy` entry; 1 without one) and
  their verdict outnumbers any other. Until then it is open: `unassessed` (no answer counts yet),
  `pending` (short of the quorum) or `contested` (officers disagree). A mission never assesses
  a question raised by its own report. Routine incidents (detections at a persistent hot spot)
  raise no open question.

EXAMPLES:
  truce --dir truce-demo review queue
  truce --dir truce-demo review queue --party ua --question attribution --json
  truce --dir truce-demo review show inc-ebcad14d
  truce --dir truce-demo review assess inc-ebcad14d --question attribution --party ua \\
      --verdict unverifiable --text \"No access; the detection cannot tell who.\" \\
      --as monitor --key truce-demo/keys/monitor-officer-2.key
  Over HTTP: GET /v1/review/queue and GET /v1/review/incidents/{id} (monitor or operator
  token) answer the same JSON as --json; an officer submits the signed assessment to
  POST /v1/entries (`truce sign` makes it from an authoring file).

EXIT CODES:
  0  success (assess: the entry is durable in the log)
  2  bad usage or input: unknown or ambiguous incident, a question the incident does not
     raise, a question the assessing mission's own report raises, a bad time, an unreadable key
     file, or an entry the log refuses (key not registered to the party, not a monitor…):
     nothing was appended
  3  the data directory, its database or its derived views are missing or damaged
  With --json, an error is also printed on stdout as {\"error\": {\"message\", \"exit\"}}.";

/// `truce review …`.
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// The open questions, oldest incident first.
    ///
    /// For each incident that is not routine: the occurrence question and each attribution
    /// question whose review is not decided, with the current grade, the state (unassessed,
    /// pending, contested), the quorum, the officers' tally, who assessed it already and how many
    /// reports an assessment cites. `--json` prints `{items, total, limit, offset, log_size,
    /// quorum}`, as `GET /v1/review/queue`. Example:
    ///   truce --dir truce-demo review queue --party ua
    #[command(after_long_help = REVIEW_HELP)]
    Queue(QueueArgs),
    /// One incident: its questions (open or decided), every assessment with its officer, verdict
    /// and whether it counts (and why not), and its reports.
    ///
    /// Takes the incident id or an unambiguous prefix. `--json` prints the same JSON as
    /// `GET /v1/review/incidents/{id}`. Example:
    ///   truce --dir truce-demo review show inc-ebcad14d
    #[command(after_long_help = REVIEW_HELP)]
    Show {
        /// Incident id (or a unique prefix).
        incident: String,
    },
    /// Answer a question about an incident: sign an assessment with an officer's key and append
    /// it.
    ///
    /// The assessment cites the incident's reports (its evidence, less the assessing mission's
    /// own), answers the question with the verdict and the text, and is checked against the log
    /// (the key registered to the monitor, not revoked) before it is appended. Prints the entry's
    /// index and where the question stands now (decided: it leaves the queue). Examples below.
    #[command(after_long_help = REVIEW_HELP)]
    Assess(AssessArgs),
}

/// `truce review queue` arguments.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Only the attribution questions about this party.
    #[arg(long)]
    pub party: Option<String>,
    /// Only occurrence or only attribution questions.
    #[arg(long, value_enum)]
    pub question: Option<QuestionArg>,
    /// At most this many questions.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Skip this many questions first.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
}

/// The question answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuestionArg {
    /// Did something happen there and then?
    Occurrence,
    /// Did --party do it?
    Attribution,
}

impl From<QuestionArg> for Question {
    fn from(q: QuestionArg) -> Question {
        match q {
            QuestionArg::Occurrence => Question::Occurrence,
            QuestionArg::Attribution => Question::Attribution,
        }
    }
}

/// A verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerdictArg {
    /// The evidence establishes it.
    Verified,
    /// The evidence refutes it.
    Dismissed,
    /// The evidence available cannot settle it.
    Unverifiable,
}

impl From<VerdictArg> for Verdict {
    fn from(v: VerdictArg) -> Verdict {
        match v {
            VerdictArg::Verified => Verdict::Verified,
            VerdictArg::Dismissed => Verdict::Dismissed,
            VerdictArg::Unverifiable => Verdict::Unverifiable,
        }
    }
}

/// `truce review assess` arguments.
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Incident id (or a unique prefix).
    pub incident: String,
    /// The question answered.
    #[arg(long, value_enum)]
    pub question: QuestionArg,
    /// For an attribution question: the party named as perpetrator.
    #[arg(long)]
    pub party: Option<String>,
    /// The verdict.
    #[arg(long, value_enum)]
    pub verdict: VerdictArg,
    /// The reasoning: what was checked, what the evidence shows and does not show.
    #[arg(long)]
    pub text: String,
    /// The monitor party (the mission) the assessment is filed as.
    #[arg(long = "as", value_name = "MONITOR")]
    pub author: String,
    /// The officer's signer key file: a key registered to the mission (one per officer).
    #[arg(long, value_name = "KEYFILE")]
    pub key: PathBuf,
    /// When it is filed (RFC 3339 with an offset) [default: now].
    #[arg(long, value_name = "RFC3339")]
    pub time: Option<String>,
}

/// Runs a `truce review` command. With --json, an error is also printed on stdout as JSON.
pub fn run(cmd: &ReviewCommand, dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let r = match cmd {
        ReviewCommand::Queue(a) => queue(dir, a, out),
        ReviewCommand::Show { incident } => show(dir, incident, out),
        ReviewCommand::Assess(a) => assess(dir, a, out),
    };
    if let (Err(f), true) = (&r, out.json) {
        println!(
            "{}",
            json!({"error": {"message": format!("{:#}", f.error), "exit": f.code}})
        );
    }
    r
}

// ───────────────────────────── the views ─────────────────────────────

fn failure(e: DerivedError) -> Failure {
    match e {
        DerivedError::Log(e) => Failure::from(e),
        DerivedError::Db(e) => Failure::from(e),
        DerivedError::Encode(_) => Failure::input(anyhow!(e)),
        DerivedError::Unreadable(_) | DerivedError::Moved { .. } => Failure::store(anyhow!(e)),
        DerivedError::BeyondLog { .. } => Failure::input(anyhow!(e)),
    }
}

fn spinner(out: &Out) -> ProgressBar {
    if out.quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    b.set_message("computing the derived views from the log");
    b.enable_steady_tick(Duration::from_millis(120));
    b
}

/// The views, made current first (recomputed from the log when it has grown); with the log size
/// they describe. When the caller already replayed the ledger, a recompute judges that ledger
/// instead of replaying the log again.
fn fresh(
    dir: &DataDir,
    reader: &LogReader<DynStorage>,
    ledger: Option<&Ledger>,
    out: &Out,
) -> Result<(ViewStore, u64), Failure> {
    let mut views = ViewStore::open(&derived::views_path(&dir.path))?;
    let cp = reader.latest()?;
    if let Some(s) = views.stamp()? {
        if derived::is_fresh(&s, &cp) {
            return Ok((views, s.log_size));
        }
    }
    let bar = spinner(out);
    let stamp = match ledger {
        Some(l) => {
            let root = if cp.size == 0 {
                String::new()
            } else {
                cp.root.to_string()
            };
            let (j, stamp) = derived::judge_ledger(l.clone(), cp.size, root);
            derived::store(&mut views, &j, &stamp).map_err(failure)?;
            stamp
        }
        None => {
            derived::refresh(reader, &mut views, &mut |_| {})
                .map_err(failure)?
                .1
        }
    };
    bar.finish_and_clear();
    Ok((views, stamp.log_size))
}

/// The quorum of the review policy in force now, from the signed entries only (bulk records
/// are skipped: they never carry a policy).
fn quorum_now(reader: &LogReader<DynStorage>) -> Result<u32, Failure> {
    let operator = Id::new(OPERATOR).map_err(|e| Failure::input(anyhow!(e)))?;
    Ok(review::current_quorum(
        &replay_for_bulk(reader, &operator)?.ledger,
    ))
}

/// The full id of the incident `id` names (itself, or the one incident it is a prefix of).
fn resolve(views: &ViewStore, id: &str) -> Result<String, Failure> {
    if views.incident(id)?.is_some() {
        return Ok(id.to_string());
    }
    match views.incident_ids(id, 6)?.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failure::input(anyhow!(
            "no incident {id:?}: `truce review queue` lists the open questions, `truce incidents` every incident"
        ))),
        many => Err(Failure::input(anyhow!(
            "{id:?} is ambiguous: it starts {}; give more of the id",
            many.join(", ")
        ))),
    }
}

fn load_incident(views: &ViewStore, id: &str) -> Result<Incident, Failure> {
    let doc = views
        .incident(id)?
        .ok_or_else(|| Failure::input(anyhow!("no incident {id:?}")))?;
    derived::parse_all::<Incident>(&[doc])
        .map_err(failure)?
        .pop()
        .ok_or_else(|| Failure::store(anyhow!("empty incident document")))
}

// ───────────────────────────── queue and show ─────────────────────────────

fn id_arg(flag: &str, s: &str) -> Result<Id, Failure> {
    Id::new(s).map_err(|e| Failure::input(anyhow!("{flag} {s:?}: {e}")))
}

/// `truce review queue`.
fn queue(dir: &DataDir, a: &QueueArgs, out: &Out) -> Result<(), Failure> {
    let filter = QueueFilter {
        party: a
            .party
            .as_deref()
            .map(|p| id_arg("--party", p))
            .transpose()?,
        question: a.question.map(Question::from),
    };
    let reader = dir.reader()?;
    let quorum = quorum_now(&reader)?;
    let (views, log_size) = fresh(dir, &reader, None, out)?;
    let q = review::queue(&views, &filter, quorum, a.limit, a.offset, log_size).map_err(failure)?;
    print(out, || render_queue(&q), &q)
}

/// Prints `text`, or with --json the value's JSON exactly as the API serves it.
fn print<T: serde::Serialize>(
    out: &Out,
    text: impl FnOnce() -> String,
    value: &T,
) -> Result<(), Failure> {
    if out.json {
        let s = serde_json::to_string(value).map_err(|e| Failure::input(anyhow!(e)))?;
        out.print_raw(&format!("{s}\n"))
    } else {
        out.print(text(), serde_json::Value::Null)
    }
}

/// `occurrence` or `attribution <party>`.
fn question_words(q: &ReviewQuestion) -> String {
    match &q.party {
        Some(p) => format!("attribution {p}"),
        None => "occurrence".into(),
    }
}

fn tally_words(q: &ReviewQuestion) -> String {
    if q.tally.is_empty() {
        return "-".into();
    }
    q.tally
        .iter()
        .map(|(v, n)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn officers_words(q: &ReviewQuestion) -> String {
    if q.assessed_by.is_empty() {
        return "-".into();
    }
    q.assessed_by
        .iter()
        .map(|a| {
            format!(
                "{}/{} {}{}",
                a.author,
                a.officer,
                review::verdict_name(a.verdict),
                if a.counted { "" } else { " (not counted)" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_queue(q: &Queue) -> String {
    let mut t = crate::table::new(
        &[
            "INCIDENT",
            "DAY",
            "QUESTION",
            "GRADE",
            "STATE",
            "QUORUM",
            "TALLY",
            "REPORTS",
            "ASSESSED BY",
        ],
        &[5, 7],
    );
    for i in &q.items {
        t.add_row(vec![
            i.incident.to_string(),
            i.day.to_string(),
            question_words(i),
            i.grade.to_string(),
            i.state.to_string(),
            i.quorum.to_string(),
            tally_words(i),
            i.reports.len().to_string(),
            officers_words(i),
        ]);
    }
    let mut s = crate::table::render(&t);
    if q.items.len() < q.total {
        let _ = writeln!(
            s,
            "showing {} of {} open question(s) from offset {} (--limit and --offset page through them); review policy now: quorum {}",
            q.items.len(),
            q.total,
            q.offset,
            q.quorum
        );
    } else {
        let _ = writeln!(
            s,
            "{} open question(s); review policy now: quorum {}",
            q.total, q.quorum
        );
    }
    if q.total > 0 {
        s.push_str("`truce review show <incident>` gives every assessment; `truce review assess` answers a question\n");
    }
    s
}

/// `truce review show`.
fn show(dir: &DataDir, id: &str, out: &Out) -> Result<(), Failure> {
    let reader = dir.reader()?;
    let quorum = quorum_now(&reader)?;
    let (views, log_size) = fresh(dir, &reader, None, out)?;
    let full = resolve(&views, id)?;
    let r = review::incident(&views, &full, quorum, log_size)
        .map_err(failure)?
        .ok_or_else(|| Failure::input(anyhow!("no incident {full:?}")))?;
    print(out, || render_show(&r), &r)
}

fn short(entry_id: &str) -> &str {
    &entry_id[..entry_id.len().min(16)]
}

fn render_show(r: &IncidentReview) -> String {
    let mut s = format!(
        "{} on {} ({} to {}), {} report(s){}; review policy now: quorum {}\n\n",
        r.incident,
        r.day,
        r.start,
        r.end,
        r.reports.len(),
        if r.routine {
            ", routine (detections at a persistent hot spot: no question is open)"
        } else {
            ""
        },
        r.quorum
    );
    let mut t = crate::table::new(
        &[
            "QUESTION",
            "GRADE",
            "STATE",
            "QUORUM",
            "TALLY",
            "OPEN",
            "RAISED BY",
        ],
        &[3],
    );
    for q in &r.questions {
        t.add_row(vec![
            question_words(q),
            q.grade.to_string(),
            q.state.to_string(),
            q.quorum.to_string(),
            tally_words(q),
            if q.open { "yes" } else { "no" }.to_string(),
            q.raised_by
                .iter()
                .map(Id::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    s.push_str(&crate::table::render(&t));
    s.push('\n');
    if r.assessments.is_empty() {
        s.push_str("no assessment yet\n");
    } else {
        let _ = writeln!(
            s,
            "{:<6} {:<10} {:<9} {:<16} {:<13} COUNTED",
            "INDEX", "MISSION", "OFFICER", "QUESTION", "VERDICT"
        );
        for a in &r.assessments {
            let q = match &a.party {
                Some(p) => format!("attribution {p}"),
                None => "occurrence".into(),
            };
            let _ = writeln!(
                s,
                "{:<6} {:<10} {:<9} {:<16} {:<13} {}",
                a.index,
                a.author.as_str(),
                a.officer,
                q,
                review::verdict_name(a.verdict),
                if a.counted { "yes" } else { "no" }
            );
            if let Some(n) = &a.note {
                let _ = writeln!(s, "       {n}");
            }
            if !a.text.is_empty() {
                let _ = writeln!(s, "       “{}”", a.text);
            }
        }
    }
    let mut t = crate::table::new(
        &["ENTRY", "REPORT", "ROLE", "ACT", "BLAMES", "ROUTINE"],
        &[],
    );
    for m in &r.reports {
        let act = serde_json::to_value(m.act)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        t.add_row(vec![
            short(&m.entry_id).to_string(),
            format!("{}/{}", m.author, m.id),
            m.role.as_str().to_string(),
            act,
            m.perpetrator
                .as_ref()
                .map(Id::as_str)
                .unwrap_or("-")
                .to_string(),
            if m.routine.is_some() { "yes" } else { "no" }.to_string(),
        ]);
    }
    s.push('\n');
    s.push_str(&crate::table::render(&t));
    s
}

// ───────────────────────────── assess ─────────────────────────────

/// `truce review assess`.
fn assess(dir: &DataDir, a: &AssessArgs, out: &Out) -> Result<(), Failure> {
    let author = id_arg("--as", &a.author)?;
    let question = Question::from(a.question);
    let party = match (question, &a.party) {
        (Question::Occurrence, Some(_)) => {
            return Err(Failure::input(anyhow!(
                "--party names whom an attribution question is about; an occurrence question has none (drop --party, or use --question attribution)"
            )))
        }
        (Question::Attribution, None) => {
            return Err(Failure::input(anyhow!(
                "--question attribution needs --party: the party named as perpetrator"
            )))
        }
        (_, p) => p.as_deref().map(|p| id_arg("--party", p)).transpose()?,
    };
    if a.text.trim().is_empty() {
        return Err(Failure::input(anyhow!(
            "--text is empty: say what was checked and what the evidence shows"
        )));
    }
    let time = match &a.time {
        Some(t) => Time::parse(t).map_err(|e| {
            Failure::input(anyhow!(
                "--time {t:?}: {e}; write RFC 3339 with an offset, e.g. 2025-03-24T12:00:00+03:00"
            ))
        })?,
        None => Time(jiff::Timestamp::now()),
    };
    let signer = load_signer(&a.key)?;
    let officer = {
        use signed_note::Signer;
        if signer.name() != author.as_str() {
            return Err(Failure::input(anyhow!(
                "{}: the key is named `{}`, not `{author}`: sign with one of {author}'s officer keys",
                a.key.display(),
                signer.name()
            )));
        }
        format!("{:08x}", signer.key_id())
    };

    let mut seq = dir.sequencer()?;
    let mut ledger = replay(seq.reader())?;
    match ledger.parties.get(&author) {
        None => {
            return Err(Failure::input(anyhow!(
                "`{author}` is not a registered party: only a monitor's officers assess"
            )))
        }
        Some(p) if p.role != Role::Monitor => {
            return Err(Failure::input(anyhow!(
                "`{author}` is registered as {}, not monitor: only a monitor's officers assess",
                p.role.as_str()
            )))
        }
        Some(_) => {}
    }
    let quorum = review::current_quorum(&ledger);
    let (views, _) = fresh(dir, seq.reader(), Some(&ledger), out)?;
    let full = resolve(&views, &a.incident)?;
    let inc = load_incident(&views, &full)?;
    drop(views);
    let qs = review::questions(&inc, quorum);
    let Some(q) = qs
        .iter()
        .find(|q| q.question == question && q.party == party)
    else {
        let named: Vec<&str> = inc.alleged.iter().map(|x| x.party.as_str()).collect();
        return Err(Failure::input(anyhow!(
            "nobody in {full} names {}: an assessment of that attribution would not count; parties named: {}",
            party.as_ref().map(Id::as_str).unwrap_or("-"),
            if named.is_empty() { "none".to_string() } else { named.join(", ") }
        )));
    };
    if q.raised_by.contains(&author) {
        return Err(Failure::input(anyhow!(
            "a report of `{author}` raises the {} question of {full}: nobody assesses a question raised by their own report",
            question_words(q)
        )));
    }
    let reports = review::cites(&inc, &author);
    if reports.is_empty() {
        return Err(Failure::input(anyhow!(
            "{full} has no report but `{author}`'s own to cite"
        )));
    }
    let body = Body::Assessment(Assessment {
        reports: reports.clone(),
        question,
        party: party.clone(),
        verdict: a.verdict.into(),
        evidence: vec![],
        text: a.text.clone(),
    });
    let (index, envs) = submit(
        dir,
        &mut seq,
        &mut ledger,
        &author,
        &signer,
        time,
        &[body],
        "review assess",
    )?;
    let entry_id = envs[0].id.clone();

    // Where the question stands now.
    let (views, log_size) = fresh(dir, seq.reader(), Some(&ledger), out)?;
    let after = load_incident(&views, &full).ok().and_then(|inc| {
        review::questions(&inc, quorum)
            .into_iter()
            .find(|x| x.question == question && x.party == party)
    });
    let mut text = format!(
        "filed assessment at index {index} (entry {}): {author} officer {officer} finds the {} of {full} {}, citing {} report(s)\n",
        short(&entry_id),
        match &party {
            Some(p) => format!("attribution to {p}"),
            None => "occurrence".into(),
        },
        review::verdict_name(a.verdict.into()),
        reports.len()
    );
    if let Some(x) = &after {
        let _ = writeln!(
            text,
            "the question is now {} ({}; quorum {}): {}",
            x.state,
            tally_words(x),
            x.quorum,
            if x.open {
                "still open"
            } else {
                "decided: it leaves the queue"
            }
        );
    }
    out.print(
        text,
        json!({
            "index": index,
            "entry_id": entry_id,
            "author": author,
            "officer": officer,
            "incident": full,
            "reports": reports,
            "question": after,
            "log_size": log_size,
        }),
    )
}
