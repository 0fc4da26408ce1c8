//! Helpers shared by the CLI test files: run the real `truce` binary in a directory and check its
//! exit code.

use assert_cmd::Command;
use std::path::Path;

/// The `truce` binary, run in `dir`, with no `TRUCE_DIR` from the environment.
pub fn truce(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("truce").unwrap();
    c.current_dir(dir)
        .env_remove("TRUCE_DIR")
        .env("NO_COLOR", "1");
    c
}

/// Runs the command, asserts success, returns stdout.
pub fn stdout(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs the command, asserts the exit code, returns stderr.
pub fn fails(c: &mut Command, code: i32) -> String {
    let o = c.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {} stderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stderr).unwrap()
}
