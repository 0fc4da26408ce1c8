//! Command-line definitions (clap) and dispatch. Help texts teach: each command says what it does,
//! what it prints and an example.

use crate::values::Choice;
use crate::{
    datadir, demo, domain_cmd, engine_cmd, ingest_cmd, log_cmd, serve_cmd, sign_cmd, Failure,
};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
EXAMPLES:
  truce demo                                   # the 2025 energy moratorium, built into ./truce-demo
  truce --dir truce-demo agreement diff energy-moratorium-2025
  truce init --origin truce.example/energy-2025
  truce party add ru --name \"Russian Federation\" --role belligerent
  truce agreement add reading-ru.toml --as ru --key truce-data/keys/ru.key
  truce log append reports.jsonl
  truce publish findings --out published/      # the findings' SHA-256 in a signed log entry
  truce log checkpoint
  truce log prove 41 --out entry41.tlog-proof
  truce log entry 41 --out entry41.bin
  truce verify-proof entry41.tlog-proof --entry entry41.bin --vkey truce-data/log.vkey

EXIT CODES:
  0  success
  1  a verification failed (truce log check, truce verify-proof, truce verify)
  2  bad usage or bad input (arguments, unreadable or malformed files, oversized entries)
  3  the data directory, its database or its key is missing, damaged or not this log's

ERRORS:
  Errors go to stderr as `error: <message>`; with --json, as one JSON object
  {\"error\":{\"message\":\"…\",\"kind\":\"usage|input|unavailable|verification\",\"exit_code\":N}}.
  Log lines are coloured only on a terminal, and never with NO_COLOR set.";

/// Truce: ceasefire monitoring on a public, append-only, verifiable log.
///
/// Every fact Truce holds is an entry in a C2SP transparency log: entries are hashed into a Merkle
/// tree (RFC 6962), the tree head is signed as a checkpoint (C2SP signed note, Ed25519), and anyone
/// holding the log's verifier key can check inclusion and consistency proofs offline.
#[derive(Debug, Parser)]
#[command(name = "truce", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// Data directory holding the log (truce.db, log.key, log.vkey, operator.key) [default:
    /// truce-data; truce-demo for `truce demo`].
    #[arg(long, global = true, env = "TRUCE_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// More logging on stderr (-v info, -vv debug). TRUCE_LOG=<filter> overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr; no progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the March–April 2025 energy-moratorium scenario into a fresh directory and summarise it.
    ///
    /// Reads the scenario files (scenarios/energy-moratorium-2025: TOML, CSV, GeoJSON), registers
    /// the parties with demo-only keys derived from the scenario's public seed, files the process,
    /// the three readings, sites, illustrative reports, the exchange and its fulfilment, and the
    /// readout claims. Building twice gives byte-identical logs. Writes to --dir (default
    /// ./truce-demo), which must not exist or be empty; a directory holding the demo already
    /// built from the same scenario (e.g. by --no-serve) is used as it is.
    ///
    /// Then it serves the log, the API and the dashboard (as `truce serve`) and prints the URL to
    /// open, until Ctrl-C; with --no-serve it exits after building. Example:
    ///   truce demo --listen 127.0.0.1:0      # port 0: a free port, shown in the printed URL
    Demo {
        /// The scenario directory (holds scenario.toml).
        #[arg(long, value_name = "DIR")]
        scenario: Option<PathBuf>,
        /// Address to serve the dashboard on (port 0 picks a free one).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Build the scenario and exit, without serving it.
        #[arg(long)]
        no_serve: bool,
    },
    /// Create a new log in the data directory, with a fresh log key named after the origin.
    ///
    /// Writes DIR/log.key (the signer key, mode 0600; keep it secret), DIR/log.vkey (the verifier
    /// key to publish) and DIR/truce.db, then signs the empty checkpoint. Prints the verifier key.
    Init {
        /// The log's origin: a schema-less URL-like name, e.g. truce.example/energy-2025. It is the
        /// first line of every checkpoint and the name of the log key.
        #[arg(long)]
        origin: String,
        /// Keep the log in a PostgreSQL database and S3 bucket, shared by several `truce serve`
        /// (without: `DIR/truce.db`, SQLite).
        #[command(flatten)]
        shared: SharedLogArgs,
    },
    /// Copy this directory's SQLite log into a shared log (PostgreSQL + an S3 bucket), check
    /// the copy, and switch the directory to it.
    ///
    /// Every checkpoint the source signed is signed again with the same bytes; the copy is
    /// checked as it goes and at the end (the latest checkpoint identical, every tile
    /// recomputed, `truce verify` of the bucket alone). Then `DIR/cluster.toml` names the shared
    /// log; `truce.db` is left as it was (a backup). Interrupted, it resumes where it stopped.
    /// Bucket credentials from TRUCE_BUCKET_KEY_ID and TRUCE_BUCKET_SECRET. Example:
    ///   truce migrate --to postgres://truce@db/truce --bucket truce-log --bucket-endpoint http://garage:3900
    Migrate {
        /// The PostgreSQL database (connection string; a password may come from TRUCE_DATABASE_URL).
        #[arg(long, value_name = "POSTGRES_URL")]
        to: String,
        /// The S3 bucket's name.
        #[arg(long, value_name = "NAME")]
        bucket: String,
        /// The S3 endpoint, e.g. http://127.0.0.1:3900 (Garage).
        #[arg(long, value_name = "URL")]
        bucket_endpoint: String,
        /// The bucket's region.
        #[arg(long, value_name = "REGION", default_value = "garage")]
        bucket_region: String,
    },
    /// Manage signed-note keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Register parties and manage their keys (the operator signs).
    #[command(subcommand)]
    Party(PartyCommand),
    /// File and compare agreements' readings.
    #[command(subcommand)]
    Agreement(AgreementCommand),
    /// Sign and file every entry of an authoring file (process, sites, reports, assessments,
    /// commitments, fulfilments, statements, amendments) as a party.
    ///
    /// The file is TOML: `time = <when filed>` and tables named after the kinds ([process],
    /// [reading], [[site]], [[report]], [[assessment]], [[commitment]], [[fulfilment]],
    /// [[statement]], [[amend]], [[line]]); see scenarios/energy-moratorium-2025 for annotated
    /// examples.
    /// Every entry is checked (signature, key, role, references) before anything is appended.
    Submit(SubmitArgs),
    /// Ingest reports from a dataset file: FIRMS, ACLED, UCDP GED, or Truce's CSV / JSON Lines /
    /// GeoJSON.
    ///
    /// The format is sniffed from the header unless --format is given; `.gz` files are read
    /// directly. Rows are streamed and validated; refused rows are listed (with --rejects, in a CSV
    /// of line, reason, record) and the rest goes on; with --strict the whole file is checked first
    /// and nothing is appended if any row is bad. Records already in the log (same natural key:
    /// FIRMS satellite+time+position, ACLED event id + timestamp, UCDP id, native id) are counted
    /// as duplicates and not appended again. Each batch is a signed manifest plus its records,
    /// appended durably. Prints: read, accepted, duplicates, skipped, rejected.
    ///
    /// AIS (--format ais-nmea|ais-dma|ais-marinecadastre, or sniffed): positions become one
    /// `track` record per vessel and UTC hour (simplified within --tolerance-m, with the SHA-256
    /// of its raw rows), static data `vessel` records; positions "not available" are skipped and
    /// counted. Prints also fixes, segments, points, vessels and flagged jumps.
    Ingest(IngestArgs),
    /// Import protected sites.
    #[command(subcommand)]
    Sites(SitesCommand),
    /// Lines of contact, reference lines and control areas: versions filed by parties,
    /// monitors and mediators, each valid from a time.
    ///
    /// `import` files a version read from GeoJSON or KML (the same --id again is a new version),
    /// `list` shows every version, `show AUTHOR/ID --at TIME` the one in force then.
    #[command(subcommand, after_long_help = crate::lines_cmd::IMPORT_EXAMPLES)]
    Lines(crate::lines_cmd::LinesCommand),
    /// Generate realistic synthetic inputs, deterministically from a seed, on stdout or --out.
    ///
    /// `firms`: VIIRS detections (area-API CSV) with persistent hot spots (gas flares at some
    /// sites), fire clusters at struck sites and scattered fires; `acled`: ACLED-shaped events
    /// (31 columns, some re-issued); `allegations`: a party's reports in JSON Lines, always blaming
    /// the opponent, some fabricated; `sites`: a site list CSV (id,name,lat,lon,category). The same
    /// seed and parameters give byte-identical output. Everything generated is synthetic.
    ///
    /// `ais`: Black Sea AIS traffic (a grain corridor to the Bosporus, Novorossiysk tankers,
    /// vessels going dark, mostly silent naval vessels) as --format nmea|dma|marinecadastre:
    /// --rows position rows (default 100000) from --start; vessel names say SYNTHETIC.
    ///
    /// `observations`: a monitor's patrols along a line of contact (--line FILE: GeoJSON or a
    /// TOML file with one [[line]]) over --days from --start DATE, 4-8 a day (--patrols K), 3-15
    /// km from the line on both sides, hearing and seeing synthetic explosions and gunfire: an
    /// authoring file of [[observation]] tables for `truce submit --as monitor`, e.g.
    /// `truce simulate observations --line scenarios/energy-moratorium-2025/lines/monitor-loc-2025-05-01.toml --days 7 --start 2025-05-05`.
    Simulate(crate::simulate_cmd::SimulateArgs),
    /// The peace process: phases, dependencies, status, agreements.
    #[command(subcommand)]
    Process(ProcessCommand),
    /// Statements grouped by topic, with contradictions flagged.
    Claims,
    /// Humanitarian commitments against their fulfilments, side by side; person lists filed.
    ///
    /// Without a subcommand: each commitment with what was promised and each side's own total
    /// (tranches summed, a restatement replacing the side's figure; the sides never added
    /// together), discrepancies and sides that differ flagged. `persons` and `fulfil` file a
    /// fulfilment's person list: its salted commitment in the log, the list in the restricted
    /// store.
    Commitments(crate::commitments_cmd::CommitmentsArgs),
    /// Write an export document offline, byte for byte what `GET /v1/<WHAT>` serves.
    ///
    /// incidents.geojson, incidents.csv, background.geojson, findings.csv (from the derived
    /// views, recomputed first when stale), reports.geojson and sites.geojson (from the log; no
    /// restricted evidence).
    /// Example: truce --dir truce-demo export incidents.geojson --out incidents.geojson
    Export(crate::export_cmd::ExportArgs),
    /// The category taxonomy of protected sites and the named sets readings may use.
    Taxonomy,
    /// Incidents: reports judged to describe the same event, with occurrence and attribution.
    ///
    /// Reports close in space (their positions, widened by their uncertainty) and time (intervals
    /// at most 6 h apart) are clustered; one origin's reports may join an incident but never
    /// bridge two. Two questions, two grades. Occurrence (did something happen?): `reported`
    /// (one origin), `corroborated` (independent origins; a satellite counts), or the monitors'
    /// review (`verified`, `unverifiable`, `dismissed`, `contested`). Attribution, per party named:
    /// `alleged` (the accuser's word), `disputed`, `corroborated` (an origin independent of the
    /// accuser names it), `admitted`, or the monitors' review. A sensor never corroborates
    /// attribution. Detections at persistent hot spots (gas flares) are routine. Views are
    /// recomputed from the log when it has grown. Example:
    ///   truce --dir truce-demo incidents --occurrence corroborated
    Incidents(crate::query_cmd::IncidentsArgs),
    /// Background detections: sensor detections in no incident, kept and counted, never
    /// incidents.
    ///
    /// A detection (an open-data source's `fire-observed`) that nobody alleges and that touches
    /// nothing a reading in force protects is background: it is kept, indexed and counted, but not
    /// listed or counted as an incident. An allegation filed later pulls the detections within
    /// its reach into its incident. Prints a table (day, start, source, id, position, routine), or
    /// with --count how many per UTC day; --json prints what GET /v1/background (or
    /// /v1/background/count) answers for the same filters. Example:
    ///   truce --dir truce-demo background --from 2025-03-20 --bbox 22,44,41,53 --count
    Background(crate::background_cmd::BackgroundArgs),
    /// AIS: vessels' tracks and declared static data, as filed in the log.
    ///
    /// AIS identity is self-declared: an MMSI names a transmitter, and names, IMO numbers and ship
    /// types (hence the class: commercial, military, law-enforcement, unknown) are what it says.
    /// --json prints what the API answers for the same filters. Examples:
    ///   truce ais vessels --class military
    ///   truce ais tracks --from 2025-04-01 --to 2025-04-02 --mmsi 273000002
    ///   truce ais tracks --at 2025-04-01T12:00:00Z --hours 3 --bbox 29,44,33,47 --geojson > t.geojson
    ///   truce ais gaps --from 2025-04-01 --to 2025-04-07
    #[command(subcommand)]
    Ais(AisCommand),
    /// Findings: each incident judged under each party's reading of each agreement.
    ///
    /// Outcome `breach`, `no_breach`, `out_of_scope` or `undetermined`, per blamed party, with the
    /// reason that decided it, and its standing: `established` (attribution verified by monitors
    /// or admitted), `corroborated` (an independent origin names the party) or `alleged`
    /// (everything else: an "alleged breach" is an allegation, not a breach). Example:
    ///   truce --dir truce-demo findings --reading ru --outcome breach --standing established
    Findings(crate::query_cmd::FindingsArgs),
    /// Compliance per agreement × reading × party × day, and the incidents whose outcome depends
    /// on whose reading is applied.
    Compliance(crate::query_cmd::ComplianceArgs),
    /// Explain an incident: its reports, occurrence and attribution grades, monitors' review and
    /// every finding with its standing and reasons.
    ///
    /// Takes the incident id or an unambiguous prefix of it. Example:
    ///   truce --dir truce-demo explain inc-3f2a
    Explain {
        /// Incident id (or a unique prefix).
        incident: String,
    },
    /// Reports computed from the log: `truce report daily --date YYYY-MM-DD`.
    ///
    /// A daily report in the manner of the OSCE SMM's: counts per grade, party and reading with
    /// the change from the previous day, the notable incidents with the outcome and reasons under
    /// each reading, commitments due, charts, and the checkpoint with the command that reproduces
    /// it, as Markdown, HTML, JSON or PDF. Example:
    ///   truce --dir truce-demo report daily --date 2025-03-21 --format html --out day.html
    #[command(subcommand)]
    Report(crate::report_cmd::ReportCommand),
    /// Record in the log what was published: the findings and compliance, or a daily report.
    ///
    /// Computes the documents at the log's current size with the same code as `truce findings`,
    /// `truce compliance` and `truce report daily`, and appends a signed `publication` entry with
    /// the SHA-256 of each, the log size, the rules version and the parameters; prints the
    /// entry's index and the digests. `truce verify` recomputes every publication. Example:
    ///   truce --dir truce-demo publish report-daily --date 2025-03-21 --out published/
    #[command(subcommand)]
    Publish(crate::publish_cmd::PublishCommand),
    /// The monitors' review queue: open occurrence and attribution questions, and answering them.
    ///
    /// `queue` lists the questions whose review is not decided (oldest incident first), `show`
    /// one incident's questions and every assessment (counted or not, and why), `assess` files an
    /// officer's signed answer. Example:
    ///   truce --dir truce-demo review queue
    #[command(subcommand, after_long_help = crate::review_cmd::REVIEW_HELP)]
    Review(crate::review_cmd::ReviewCommand),
    /// Serve the log, submissions and queries over HTTP until SIGINT/SIGTERM.
    ///
    /// Prints `listening on http://ADDR` on stdout once ready (port 0 picks a free port). Endpoints:
    /// C2SP tlog-tiles (`/checkpoint`, `/tile/...`), `POST /v1/entries` (signed entries, grouped
    /// into durable commits), queries under `/v1/`, the OpenAPI document at `/openapi.json`,
    /// `/healthz`, `/readyz`. Configuration: defaults, then --config FILE (TOML), then TRUCE_*
    /// variables (TRUCE_LISTEN, TRUCE_MAX_BODY_BYTES, TRUCE_RATE_PER_KEY, TRUCE_CORS_ORIGINS, …),
    /// then flags. On shutdown, in-flight submissions finish and are durable. Example:
    ///   truce --dir truce-demo serve --listen 127.0.0.1:8080
    Serve(ServeArgs),
    /// Bearer tokens for restricted reads, bound to a party and a role (stored only as hashes).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Sign an authoring file's entries as a party, without appending: JSON Lines for
    /// `POST /v1/entries`, e.g.
    ///   truce sign r.toml --as ua --key k | curl -H 'content-type: application/x-ndjson' --data-binary @- URL/v1/entries
    Sign(SignArgs),
    /// Recompute every derived view (incidents, findings, compliance) from the log.
    ///
    /// Views live in DIR/views.db; they are derived, so deleting that file loses nothing.
    Rebuild,
    /// Append to, prove from, check and export the log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Run a C2SP tlog-witness that cosigns consistent checkpoints of trusted logs.
    ///
    /// A witness cosigns a log's checkpoint only if it is consistent with the last checkpoint it
    /// cosigned for that log, so a log cannot show two histories without a witness noticing.
    /// `truce witness keygen` makes its key; `truce witness serve` runs it.
    #[command(subcommand)]
    Witness(crate::witness_cmd::WitnessCommand),
    /// Verify a tlog-proof file offline: the checkpoint's signature and the entry's inclusion.
    ///
    /// Needs nothing but its arguments: no data directory, no network. Exit 0 if the entry is in
    /// the log at the proof's index, 1 if not.
    VerifyProof {
        /// The tlog-proof file (c2sp.org/tlog-proof@v1), e.g. from `truce log prove`.
        proof: PathBuf,
        /// File holding the entry's exact bytes (e.g. from `truce log entry <index> --out FILE`).
        #[arg(long)]
        entry: PathBuf,
        /// File holding the log's verifier key (<name>+<hex id>+<base64>), e.g. DIR/log.vkey.
        #[arg(long, required_unless_present = "policy", conflicts_with = "policy")]
        vkey: Option<PathBuf>,
        /// A tlog-policy file instead of --vkey: the proof's checkpoint must be signed by the
        /// policy's log key and cosigned by a quorum of its witnesses.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Verify a whole log and its published findings, trusting only the log key or policy.
    ///
    /// SOURCE is a static mirror directory (`truce log export-tiles`) or an http(s) URL (a
    /// `truce serve` or a web mirror). Fetches every tile and entry bundle, recomputes the tree,
    /// checks consistency with the checkpoint trusted before (the state file), replays every
    /// entry's signature and recomputes the findings and compliance to compare with the
    /// published ones. Prints one line per check; exit 0 if all pass, 1 if any fails.
    #[command(after_long_help = crate::verify_cmd::LONG_HELP)]
    Verify(crate::verify_cmd::VerifyArgs),
}

/// Where `truce init` keeps a shared log.
#[derive(Debug, Args)]
pub struct SharedLogArgs {
    /// Keep the log in this PostgreSQL database (shared by several `truce serve`), with its
    /// tiles and bundles in an S3 bucket (`--bucket`, `--bucket-endpoint`); written to
    /// `DIR/cluster.toml` (mode 0600). The bucket's credentials come from TRUCE_BUCKET_KEY_ID and
    /// TRUCE_BUCKET_SECRET (never flags); a password may be left out of the URL and given as
    /// TRUCE_DATABASE_URL.
    #[arg(long, value_name = "POSTGRES_URL", requires_all = ["bucket", "bucket_endpoint"])]
    pub database: Option<String>,
    /// The S3 bucket of a shared log (with `--database`): its name.
    #[arg(long, value_name = "NAME", requires = "database")]
    pub bucket: Option<String>,
    /// The S3 endpoint of the bucket, e.g. http://127.0.0.1:3900 (Garage).
    #[arg(long, value_name = "URL", requires = "database")]
    pub bucket_endpoint: Option<String>,
    /// The bucket's region.
    #[arg(long, value_name = "REGION", default_value = "garage")]
    pub bucket_region: String,
}

/// The `cluster.toml` of a shared log named by flags (its secrets come from the environment).
fn shared_log(
    database: String,
    name: String,
    endpoint: String,
    region: String,
) -> truce_cluster::spec::ClusterSpec {
    truce_cluster::spec::ClusterSpec {
        database,
        bucket: truce_cluster::spec::BucketSpec {
            endpoint,
            name,
            region,
            key_id: String::new(),
            secret: String::new(),
            timeout_s: 30,
        },
    }
}

/// Who signs, with which key.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The authoring file (TOML).
    pub file: PathBuf,
    /// The party the entries are filed as (their author).
    #[arg(long = "as", value_name = "PARTY")]
    pub author: String,
    /// The party's signer key file (PRIVATE+KEY+...).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

/// What every bulk command takes: the file, the author and key, and how to treat bad rows.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// The file (a gzip-compressed `.gz` file is read as it is, except an OSM `.pbf`).
    pub file: PathBuf,
    /// The party filing the records (a registered open-data source, monitor or party).
    #[arg(long = "as", value_name = "PARTY")]
    pub author: String,
    /// The party's signer key file (signs one manifest per batch).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Write refused rows (line, reason, record) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Refuse the whole file, appending nothing, if any row is bad.
    #[arg(long)]
    pub strict: bool,
    /// Records per batch (one manifest signature and one fsync per batch).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub batch: u64,
    /// The most bytes one line, CSV record or GeoJSON feature may hold; a longer one stops the
    /// reading with its line and this limit (the records before it stand).
    #[arg(long, value_name = "BYTES", default_value_t = truce_ingest::limits::DEFAULT_MAX_RECORD, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_record_bytes: u64,
    /// The most bytes a `.gz` file may decompress to (a decompression bomb is refused).
    #[arg(long, value_name = "BYTES", default_value_t = truce_ingest::limits::DEFAULT_MAX_DECOMPRESSED, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_decompressed_bytes: u64,
    /// The most a `.gz` file may expand per compressed byte once past 64 MiB decompressed.
    #[arg(long, value_name = "N", default_value_t = truce_ingest::limits::DEFAULT_MAX_RATIO, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_ratio: u64,
}

impl BulkArgs {
    fn bulk(&self) -> ingest_cmd::Bulk<'_> {
        ingest_cmd::Bulk {
            file: &self.file,
            author: &self.author,
            key: &self.key,
            rejects: self.rejects.as_deref(),
            strict: self.strict,
            batch: self.batch as usize,
            limits: truce_ingest::limits::Limits {
                max_record: self.max_record_bytes,
                max_decompressed: self.max_decompressed_bytes,
                max_ratio: self.max_ratio,
            },
        }
    }
}

/// Arguments of `truce ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub bulk: BulkArgs,
    /// The file's format (default: sniffed from the header; AIS: a DMA or MarineCadastre header,
    /// or `!AIVDM`/`!AIVDO` sentences). AIS files become per-vessel hourly track segments and
    /// vessel records (see --tolerance-m, --time-base).
    #[arg(long, value_enum)]
    pub format: Option<Choice<ingest_cmd::IngestFormat>>,
    /// AIS NMEA: the time of sentences that carry none (no tag block `c:`, no receiver time),
    /// RFC 3339; without it such a position is refused.
    #[arg(long, value_name = "RFC3339", value_parser = |s: &str| truce_model::Time::parse(s))]
    pub time_base: Option<truce_model::Time>,
    /// AIS: how far the stored track may be from any raw fix at its time, metres (1 to 100000).
    #[arg(long, value_name = "METRES", default_value_t = 50.0)]
    pub tolerance_m: f64,
    /// AIS: a GeoJSON Polygon (a geometry, or a Feature whose `name` property names it) where the
    /// filer's receivers hear vessels well, stated in every manifest of the ingest. AIS gaps
    /// (vessels dark for 12 h or more) are derived only inside such areas, while ingests that
    /// state them cover the time; without it, this file's tracks count for gaps nowhere.
    #[arg(long, value_name = "GEOJSON")]
    pub reception_area: Option<PathBuf>,
    /// Map actor names to parties for the alleged perpetrator: `<name prefix>=<party>` (repeatable).
    /// Built in: "Military Forces of Russia"/"Government of Russia" → ru and the same for Ukraine
    /// → ua, when those parties are registered.
    #[arg(long = "actor", value_name = "PREFIX=PARTY")]
    pub actors: Vec<String>,
    /// ACLED: text naming a party's officials whose claims a row relays, e.g. "Belgorod
    /// governor=ru" (repeatable; tried in order, before the built-in rules for the Russian and
    /// Ukrainian ministries of defence, general staffs and the Ukrainian air force). A row relays
    /// the party when its notes attribute the claim ("according to …", "… reported") or when its
    /// only sources are those officials.
    #[arg(long = "relay", value_name = "TEXT=PARTY")]
    pub relays: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// Import a site list as a party: WRI power-plant CSV, GeoJSON, an OpenStreetMap PBF extract,
    /// or any CSV through a column mapping.
    ///
    /// The format comes from --format, else the file: `.pbf` → osm, `.geojson`/`.json` → geojson,
    /// a CSV with `gppd_idnr` → wri, any other CSV → csv (columns `name`, `lat`, `lon`, `id` and
    /// `category` by default, as `truce simulate sites` writes them; --name, --lat, --lon, --id
    /// and --category-column name others, --category gives every row one category). OSM tags
    /// are mapped to the category taxonomy (power plants, substations, pipeline stations,
    /// refineries, oil and gas storage, dams); elements that do not qualify are skipped. Sites
    /// already listed by the party (same id, same content) are not added again; an id listed
    /// with other content is refused with its reason.
    Import(SitesImportArgs),
}

/// The formats `truce sites import --format` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SiteFormatName {
    /// The WRI Global Power Plant Database CSV.
    Wri,
    /// A GeoJSON FeatureCollection.
    Geojson,
    /// An OpenStreetMap PBF extract.
    Osm,
    /// Any CSV, through a column mapping (--lat, --lon, --name, --id, --category-column).
    Csv,
}

/// Arguments of `truce sites import`.
#[derive(Debug, Args)]
pub struct SitesImportArgs {
    #[command(flatten)]
    pub bulk: BulkArgs,
    /// The file's format (default: from its name, else its header).
    #[arg(long, value_enum)]
    pub format: Option<SiteFormatName>,
    /// CSV: the latitude column.
    #[arg(long, default_value = "lat")]
    pub lat: String,
    /// CSV: the longitude column.
    #[arg(long, default_value = "lon")]
    pub lon: String,
    /// CSV: the name column.
    #[arg(long, default_value = "name")]
    pub name: String,
    /// CSV: the id column (default: `id` if the file has one, else `row-<line>`; sites listed
    /// before under the line-numbered ids of earlier versions are recognised, not listed twice).
    #[arg(long)]
    pub id: Option<String>,
    /// CSV: one category for every row (a taxonomy name, see `truce taxonomy`).
    #[arg(long)]
    pub category: Option<String>,
    /// CSV: the column holding each row's category (default: `category`, if the file has one).
    #[arg(long)]
    pub category_column: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PartyCommand {
    /// Register a party. The operator signs; a key is generated into DIR/keys/<id>.key unless --key
    /// gives the party's verifier key.
    Add {
        /// Party id (lowercase, e.g. ru, ua, osce-smm).
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Role (operator is registered by init).
        #[arg(long, value_enum)]
        role: Choice<truce_model::Role>,
        /// The party's verifier key file (<id>+<hex>+<base64>), if it made its own key.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// List parties, roles and keys.
    List,
    /// Add a new key to a party and revoke its other active keys.
    Rotate {
        /// Party id.
        id: String,
        /// The new verifier key file; generated into DIR/keys/ if omitted.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Revoke one key of a party. Entries it signed before stay valid.
    Revoke {
        /// Party id.
        id: String,
        /// Key id (8 hex digits, from `truce party list`).
        key_id: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgreementCommand {
    /// File a party's reading of an agreement from a TOML file with a [reading] table.
    Add(SubmitArgs),
    /// List agreements, their phase status, the time zone their days are counted in and who has
    /// filed a reading.
    List,
    /// Show every current reading of an agreement in full.
    Show {
        /// Agreement id.
        id: String,
    },
    /// Compare the readings of an agreement: windows, categories, release clauses, zones.
    Diff {
        /// Agreement id.
        id: String,
    },
    /// Every version of every party's reading, in log order: when it was filed, from when it
    /// applies (flagged RETROACTIVE when before its filing), what it changed from the party's
    /// previous version, and which findings it changed (judged as known just before it was
    /// logged and just after: a version never rewrites the past silently), each in one sentence
    /// with the dates in the agreement's time zone ("ru filed a new reading on 20 April 2025,
    /// effective from 18 March 2025 (retroactive): start 18 March → 1 April; 3 findings
    /// change"). With --json: the document GET /v1/agreements/{id}/history serves. Example:
    ///   truce --dir truce-demo agreement history energy-moratorium-2025
    History {
        /// Agreement id.
        id: String,
    },
}

/// `truce ais …`.
#[derive(Debug, Subcommand)]
pub enum AisCommand {
    /// Tracks over a window (at most 31 days): one line per vessel, its points joined in time
    /// order (GET /v1/ais/tracks.geojson).
    ///
    /// A table of vessels with their time spans, or with --geojson (or --json) the GeoJSON
    /// FeatureCollection: a LineString per MMSI (a MultiLineString where it was silent over an
    /// hour), simplified within --tolerance-m or for --zoom. Without a window: the last 24 hours
    /// with tracks.
    Tracks(crate::tracks_cmd::TracksArgs),
    /// Vessels: every MMSI with declared static data or a track, each with its versions and its
    /// track's span (GET /v1/ais/vessels).
    Vessels(crate::tracks_cmd::VesselsArgs),
    /// Gaps: vessels not heard for 12 hours or more where the filers' receivers were listening
    /// (GET /v1/ais/gaps).
    ///
    /// Derived across every AIS ingest: a silence of one MMSI counts only when its last fix before
    /// and first fix after lie in reception areas the filers stated (`truce ingest ais-…
    /// --reception-area`) whose ingests cover the whole silence, when it starts 10 km or more from
    /// every listed port (sites under transport.port: Truce holds no coastline), and when the
    /// vessel moved more than 500 m in the hour before (AIS navigational status is not kept).
    /// Occurrence-only evidence: a transmitter stopped being heard, not who or why.
    Gaps(crate::gaps_cmd::GapsArgs),
}

#[derive(Debug, Subcommand)]
pub enum ProcessCommand {
    /// Show the process phases, dependencies, status and agreements.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate an Ed25519 signer key and its verifier key in the signed-note text formats.
    ///
    /// Writes <OUT>/<file>.key (PRIVATE+KEY+<name>+<hex id>+<base64>) and <OUT>/<file>.vkey
    /// (<name>+<hex id>+<base64>), never overwritten: the signer key with mode 0600 (secret), the
    /// verifier key 0644 (to publish); <file> is the name with '/' replaced by '_'. Prints the
    /// verifier key.
    Generate {
        /// Key name, e.g. a party (ua.mfa.example) or a log origin. No spaces, no '+'.
        name: String,
        /// Directory to write the key files into.
        #[arg(long, default_value = ".", value_name = "OUT")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Append every line of the files as one entry each, durably, in batches.
    ///
    /// All files are checked first (no empty line, no line over 65,535 bytes; a trailing \r is
    /// dropped): a bad file appends nothing. Each batch is acknowledged on stdout only once it and
    /// its signed checkpoint are fsynced: `ack <first>..<last> size <size> root <root>`.
    Append(AppendArgs),
    /// Print the latest signed checkpoint (a C2SP signed note).
    Checkpoint,
    /// Write a tlog-proof (c2sp.org/tlog-proof@v1) that entry INDEX is in the log.
    ///
    /// The proof is against the latest checkpoint, or the checkpoint signed at --size. Verify it
    /// with `truce verify-proof`.
    Prove {
        /// Entry index (0-based).
        index: u64,
        /// Prove against the checkpoint signed at this tree size instead of the latest.
        #[arg(long)]
        size: Option<u64>,
        /// Write the proof to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the consistency proof between two tree sizes (RFC 6962), one base64 hash a line.
    Consistency {
        /// The older tree size.
        old: u64,
        /// The newer tree size (at most the log's size).
        new: u64,
    },
    /// When the log knew entry INDEX: its known-by interval, from the witnessing rounds logged
    /// around it, against the time its author stated.
    ///
    /// An entry's stated `time` is its author's word. The interval is not: the entry was appended
    /// after the log held the cosignatures of the last witnessing round logged before it (the
    /// latest time a quorum of the witness policy had all signed), and was in the log when a
    /// quorum cosigned the first checkpoint including it. A stated time more than a week (the
    /// late-filing threshold) before the interval is flagged late; more than 5 minutes after it,
    /// dated ahead. With --json: index, kind, stated, known_by {after, after_round, by,
    /// by_round}, late_by_s, ahead_by_s, words (the shape of GET /v1/entries/{index}/known-by).
    /// Example:
    ///   truce log known-by 42
    KnownBy {
        /// The entry's index.
        index: u64,
    },
    /// Print (or write) the exact bytes of entry INDEX.
    Entry {
        /// Entry index (0-based).
        index: u64,
        /// Write the entry to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Recompute the whole tree from the stored entries and check every stored hash and checkpoint.
    ///
    /// Names the first entry index, tile or checkpoint that disagrees. Exit 0 if all is well, 1 if
    /// not.
    Check,
    /// Write the log as a static mirror: checkpoint, tile/<L>/<N>, tile/entries/<N> (C2SP paths).
    ///
    /// Any static web server can then serve DIR to verifiers.
    ExportTiles {
        /// Directory to write into (created if missing).
        out: PathBuf,
    },
}

/// Arguments of `truce log append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Files to append; each line is one entry.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Entries per durable batch (one fsync and one signed checkpoint per batch).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch: u64,
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let default = if matches!(cli.command, Command::Demo { .. }) {
        "truce-demo"
    } else {
        "truce-data"
    };
    let dir = datadir::resolve(cli.dir.as_deref().unwrap_or(std::path::Path::new(default)));
    let out = log_cmd::Out {
        json: cli.json,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Init { origin, shared } => {
            let cluster = match (shared.database, shared.bucket, shared.bucket_endpoint) {
                (Some(database), Some(name), Some(endpoint)) => {
                    Some(shared_log(database, name, endpoint, shared.bucket_region))
                }
                _ => None,
            };
            log_cmd::init(&dir, &origin, cluster.as_ref(), &out)
        }
        Command::Migrate {
            to,
            bucket,
            bucket_endpoint,
            bucket_region,
        } => crate::migrate_cmd::run(
            &dir,
            &shared_log(to, bucket, bucket_endpoint, bucket_region),
            &out,
        ),
        Command::Key(KeyCommand::Generate { name, out: to }) => {
            log_cmd::key_generate(&name, &to, &out)
        }
        Command::Log(cmd) => match cmd {
            LogCommand::Append(a) => log_cmd::append(&dir, &a.files, a.batch, &out),
            LogCommand::Checkpoint => log_cmd::checkpoint(&dir, &out),
            LogCommand::Prove {
                index,
                size,
                out: file,
            } => log_cmd::prove(&dir, index, size, file, &out),
            LogCommand::Consistency { old, new } => log_cmd::consistency(&dir, old, new, &out),
            LogCommand::Entry { index, out: file } => log_cmd::entry(&dir, index, file, &out),
            LogCommand::KnownBy { index } => crate::domain_cmd::known_by(&dir, index, &out),
            LogCommand::Check => log_cmd::check(&dir, &out),
            LogCommand::ExportTiles { out: to } => log_cmd::export(&dir, &to, &out),
        },
        Command::Witness(cmd) => crate::witness_cmd::run(cmd, &dir, &out),
        Command::VerifyProof {
            proof,
            entry,
            vkey,
            policy,
        } => log_cmd::verify_proof(&proof, &entry, vkey.as_deref(), policy.as_deref(), &out),
        Command::Verify(a) => crate::verify_cmd::run(&a, &out),
        Command::Demo {
            scenario,
            listen,
            no_serve,
        } => {
            demo::run(&dir, scenario.as_deref(), &out)?;
            if no_serve {
                return Ok(());
            }
            let c = serve_cmd::config(None, Some(&listen))?;
            serve_cmd::serve_announcing(&dir, c, |addr| {
                eprintln!("the demo is served: open http://{addr}/ (Ctrl-C stops it)");
            })
        }
        Command::Party(cmd) => match cmd {
            PartyCommand::Add {
                id,
                name,
                role,
                key,
            } => domain_cmd::party_add(&dir, &id, &name, role.0, key.as_deref(), &out),
            PartyCommand::List => domain_cmd::party_list(&dir, &out),
            PartyCommand::Rotate { id, key } => {
                domain_cmd::party_rotate(&dir, &id, key.as_deref(), &out)
            }
            PartyCommand::Revoke { id, key_id, reason } => {
                domain_cmd::party_revoke(&dir, &id, &key_id, &reason, &out)
            }
        },
        Command::Agreement(cmd) => match cmd {
            AgreementCommand::Add(a) => {
                domain_cmd::submit_file(&dir, &a.file, &a.author, &a.key, true, &out)
            }
            AgreementCommand::List => domain_cmd::agreement_list(&dir, &out),
            AgreementCommand::Show { id } => domain_cmd::agreement_show(&dir, &id, &out),
            AgreementCommand::Diff { id } => domain_cmd::agreement_diff(&dir, &id, &out),
            AgreementCommand::History { id } => engine_cmd::agreement_history(&dir, &id, &out),
        },
        Command::Submit(a) => {
            domain_cmd::submit_file(&dir, &a.file, &a.author, &a.key, false, &out)
        }
        Command::Process(ProcessCommand::Show) => domain_cmd::process_show(&dir, &out),
        Command::Claims => domain_cmd::claims(&dir, &out),
        Command::Commitments(a) => crate::commitments_cmd::run(&dir, &a, &out),
        Command::Export(a) => crate::export_cmd::run(&dir, &a, &out),
        Command::Taxonomy => domain_cmd::taxonomy(&out),
        Command::Incidents(a) => crate::query_cmd::incidents(&dir, &a, &out),
        Command::Background(a) => crate::background_cmd::run(&dir, &a, &out),
        Command::Ais(cmd) => match cmd {
            AisCommand::Tracks(a) => crate::tracks_cmd::tracks(&dir, &a, &out),
            AisCommand::Vessels(a) => crate::tracks_cmd::vessels(&dir, &a, &out),
            AisCommand::Gaps(a) => crate::gaps_cmd::gaps(&dir, &a, &out),
        },
        Command::Findings(a) => crate::query_cmd::findings(&dir, &a, &out),
        Command::Compliance(a) => crate::query_cmd::compliance(&dir, &a, &out),
        Command::Explain { incident } => engine_cmd::explain(&dir, &incident, &out),
        Command::Report(cmd) => crate::report_cmd::run(&cmd, &dir, &out),
        Command::Publish(cmd) => crate::publish_cmd::run(&cmd, &dir, &out),
        Command::Review(cmd) => crate::review_cmd::run(&cmd, &dir, &out),
        Command::Rebuild => engine_cmd::rebuild(&dir, &out),
        Command::Serve(a) => {
            let c = serve_cmd::config(a.config.as_deref(), a.listen.as_deref())?;
            serve_cmd::serve(&dir, c)
        }
        Command::Token(TokenCommand::Create { party, role, label }) => {
            serve_cmd::token_create(&dir, &party, role.0, &label, &out)
        }
        Command::Token(TokenCommand::List) => serve_cmd::token_list(&dir, &out),
        Command::Token(TokenCommand::Revoke { id }) => serve_cmd::token_revoke(&dir, &id, &out),
        Command::Sign(a) => {
            sign_cmd::sign(&dir, &a.file, &a.author, &a.key, a.out.as_deref(), &out)
        }
        Command::Sites(SitesCommand::Import(a)) => {
            let format = ingest_cmd::site_format(&a)?;
            ingest_cmd::sites_import(&dir, &a.bulk.bulk(), format, &out)
        }
        Command::Lines(cmd) => crate::lines_cmd::run(&dir, &cmd, &out),
        Command::Simulate(a) => crate::simulate_cmd::run(&a),
        Command::Ingest(a) => ingest_cmd::ingest(
            &dir,
            &a.bulk.bulk(),
            a.format.map(|f| f.0),
            &a.actors,
            &a.relays,
            ingest_cmd::AisOptions {
                time_base: a.time_base,
                tolerance_m: a.tolerance_m,
                reception: a
                    .reception_area
                    .as_deref()
                    .map(ingest_cmd::reception_area)
                    .transpose()?,
            },
            &out,
        ),
    }
}

/// Arguments of `truce serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080; port 0 picks a free port].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// A TOML configuration file (keys as in `truce_server::Config`: listen, max_body_bytes,
    /// max_batch_entries, max_commit_entries, rate_per_key, rate_per_addr, rate_burst,
    /// request_timeout_s, cors_origins, max_page, views_refresh_ms).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `truce token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a party acting in a role; prints it once.
    Create {
        /// The party the token is bound to.
        party: String,
        /// The role it acts in.
        #[arg(long, value_enum)]
        role: Choice<truce_model::Role>,
        /// A label to recognise it by.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (ids, parties, roles, labels; never the tokens).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token id (from `truce token list`).
        id: String,
    },
}

/// Arguments of `truce sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The authoring file (TOML).
    pub file: PathBuf,
    /// The party the entries are signed as.
    #[arg(long = "as", value_name = "PARTY")]
    pub author: String,
    /// The party's signer key file.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Write the JSON Lines here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}
