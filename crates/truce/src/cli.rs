//! Command-line definitions (clap) and dispatch. Help texts teach: each command says what it does,
//! what it prints and an example.

use crate::{datadir, log_cmd, Failure};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
EXAMPLES:
  truce init --origin truce.example/energy-2025
  truce log append reports.jsonl
  truce log checkpoint
  truce log prove 41 --out entry41.tlog-proof
  truce log entry 41 --out entry41.bin
  truce verify-proof entry41.tlog-proof --entry entry41.bin --vkey truce-data/log.vkey

EXIT CODES:
  0  success
  1  a verification failed (truce log check, truce verify-proof)
  2  bad usage or bad input (arguments, unreadable or malformed files, oversized entries)
  3  the data directory, its database or its key is missing, damaged or not this log's";

/// Truce: ceasefire monitoring on a public, append-only, verifiable log.
///
/// Every fact Truce holds is an entry in a C2SP transparency log: entries are hashed into a Merkle
/// tree (RFC 6962), the tree head is signed as a checkpoint (C2SP signed note, Ed25519), and anyone
/// holding the log's verifier key can check inclusion and consistency proofs offline.
#[derive(Debug, Parser)]
#[command(name = "truce", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// Data directory holding the log (truce.db, log.key, log.vkey).
    #[arg(
        long,
        global = true,
        env = "TRUCE_DIR",
        default_value = "truce-data",
        value_name = "DIR"
    )]
    pub dir: PathBuf,
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
    /// Create a new log in the data directory, with a fresh log key named after the origin.
    ///
    /// Writes DIR/log.key (the signer key, mode 0600; keep it secret), DIR/log.vkey (the verifier
    /// key to publish) and DIR/truce.db, then signs the empty checkpoint. Prints the verifier key.
    Init {
        /// The log's origin: a schema-less URL-like name, e.g. truce.example/energy-2025. It is the
        /// first line of every checkpoint and the name of the log key.
        #[arg(long)]
        origin: String,
    },
    /// Manage signed-note keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Append to, prove from, check and export the log.
    #[command(subcommand)]
    Log(LogCommand),
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
        #[arg(long)]
        vkey: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate an Ed25519 signer key and its verifier key in the signed-note text formats.
    ///
    /// Writes <OUT>/<file>.key (PRIVATE+KEY+<name>+<hex id>+<base64>) and <OUT>/<file>.vkey
    /// (<name>+<hex id>+<base64>), both created with mode 0600 and never overwritten; <file> is the
    /// name with '/' replaced by '_'. Prints the verifier key.
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
    let dir = datadir::resolve(&cli.dir);
    let out = log_cmd::Out {
        json: cli.json,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Init { origin } => log_cmd::init(&dir, &origin, &out),
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
            LogCommand::Check => log_cmd::check(&dir, &out),
            LogCommand::ExportTiles { out: to } => log_cmd::export(&dir, &to, &out),
        },
        Command::VerifyProof { proof, entry, vkey } => {
            log_cmd::verify_proof(&proof, &entry, &vkey, &out)
        }
    }
}
