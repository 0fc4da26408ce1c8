//! The `truce` command line: thin glue over `truce-log` and `truce-store`.
//!
//! stdout carries data (checkpoints, proofs, acknowledgements, JSON with `--json`); stderr carries
//! logs, progress bars and errors. Exit codes are documented in `EXIT CODES` below and in the
//! README.

mod cli;
mod datadir;
mod demo;
mod domain_cmd;
mod engine_cmd;
mod ingest_cmd;
mod log_cmd;
mod publish_cmd;
mod report_cmd;
mod review_cmd;
mod serve_cmd;
mod sign_cmd;
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

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // The server logs its requests at info level by default.
    let serving = matches!(
        args.command,
        cli::Command::Serve(_) | cli::Command::Witness(witness_cmd::WitnessCommand::Serve { .. })
    );
    init_tracing(args.verbose + u8::from(serving), args.quiet);
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
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
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
