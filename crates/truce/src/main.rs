//! The `truce` command line: thin glue over `truce-log` and `truce-store`.
//!
//! stdout carries data (checkpoints, proofs, acknowledgements, JSON with `--json`); stderr carries
//! logs, progress bars and errors. Exit codes are documented in `EXIT CODES` below and in the
//! README.

mod background_cmd;
mod cli;
mod commitments_cmd;
mod datadir;
mod demo;
mod domain_cmd;
mod engine_cmd;
mod export_cmd;
mod gaps_cmd;
mod ingest_cmd;
mod lines_cmd;
mod log_cmd;
mod migrate_cmd;
mod publish_cmd;
mod query_cmd;
mod report_cmd;
mod review_cmd;
mod serve_cmd;
mod sign_cmd;
mod simulate_cmd;
mod table;
mod tracks_cmd;
mod values;
mod verify_cmd;
mod witness_cmd;

use clap::Parser;
use std::process::ExitCode;

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    /// Process exit code.
    pub code: u8,
    /// What went wrong.
    pub error: anyhow::Error,
}

/// Exit code: a check or proof verification found a problem.
pub const EXIT_VERIFY: u8 = 1;
/// Exit code: bad usage or bad input (arguments, files, entries).
pub const EXIT_INPUT: u8 = 2;
/// Exit code: the data directory, its database or its key is missing, damaged or wrong.
pub const EXIT_STORE: u8 = 3;

impl Failure {
    /// A verification failure (exit 1).
    pub fn verify(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: EXIT_VERIFY,
            error: error.into(),
        }
    }
    /// An input failure (exit 2).
    pub fn input(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: EXIT_INPUT,
            error: error.into(),
        }
    }
    /// A storage failure (exit 3).
    pub fn store(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: EXIT_STORE,
            error: error.into(),
        }
    }
}

impl From<truce_store::StoreError> for Failure {
    fn from(e: truce_store::StoreError) -> Self {
        use truce_store::StoreError as E;
        match e {
            E::Log(_) => Failure::input(e),
            _ => Failure::store(e),
        }
    }
}

impl From<truce_views::db::DbError> for Failure {
    fn from(e: truce_views::db::DbError) -> Self {
        Failure::store(e)
    }
}

impl From<truce_views::SourceError> for Failure {
    /// The log's own error, with its exit code (the operator's storage is the CLI's source).
    fn from(e: truce_views::SourceError) -> Self {
        match e.0.downcast::<truce_store::StoreError>() {
            Ok(e) => Failure::from(*e),
            Err(other) => Failure::store(truce_views::SourceError(other)),
        }
    }
}

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            use clap::error::ErrorKind;
            let json = std::env::args_os().any(|a| a == "--json");
            if !json
                || matches!(
                    e.kind(),
                    ErrorKind::DisplayHelp
                        | ErrorKind::DisplayVersion
                        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                )
            {
                e.exit();
            }
            let message = e.kind().to_string();
            let text = e.render().to_string();
            let detail = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            print_json_error(
                if detail.is_empty() { &message } else { &detail },
                "usage",
                EXIT_INPUT,
            );
            return ExitCode::from(EXIT_INPUT);
        }
    };
    // The server logs its requests at info level by default.
    let serving = matches!(
        args.command,
        cli::Command::Serve(_) | cli::Command::Witness(witness_cmd::WitnessCommand::Serve { .. })
    );
    init_tracing(args.verbose + u8::from(serving), args.quiet);
    let json = args.json;
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let message = message(&f.error);
            if json {
                let kind = match f.code {
                    EXIT_VERIFY => "verification",
                    EXIT_INPUT => "input",
                    _ => "unavailable",
                };
                print_json_error(&message, kind, f.code);
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::from(f.code)
        }
    }
}

/// An error and its causes in one line, each cause once: a cause whose text its context already
/// includes (`file: No such file or directory` over the OS error itself) is not repeated.
pub fn message(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let c = cause.to_string();
        if c.is_empty() || text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

/// Under `--json`, an error is one JSON object on stderr (stdout carries only data):
/// `{"error":{"message","kind","exit_code"}}`, `kind` one of usage (arguments, exit 2), input
/// (exit 2), unavailable (exit 3: the log, its directory, its key or the source) and
/// verification (exit 1).
fn print_json_error(message: &str, kind: &str, exit_code: u8) {
    eprintln!(
        "{}",
        serde_json::json!({ "error": { "message": message, "kind": kind, "exit_code": exit_code } })
    );
}

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRUCE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Colour only on a terminal, and never with NO_COLOR set (https://no-color.org).
    use std::io::IsTerminal as _;
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
