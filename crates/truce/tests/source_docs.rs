//! Every Rust source file of the repository starts with a `//!` comment saying what it is: the
//! crates' sources, tests, benches, examples and build scripts, and the fuzz targets. A contributor
//! opening any file learns first what it is for (ARCHITECTURE.md, "Testing": repository hygiene).

use std::path::{Path, PathBuf};

/// The `.rs` files under `dir`, recursively (build output and npm packages left out).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | "node_modules" | ".git") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The files the rule covers.
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for c in std::fs::read_dir(root.join("crates")).unwrap() {
        let c = c.unwrap().path();
        for sub in ["src", "tests", "benches", "examples"] {
            rust_files(&c.join(sub), &mut files);
        }
        if c.join("build.rs").is_file() {
            files.push(c.join("build.rs"));
        }
    }
    rust_files(&root.join("fuzz").join("fuzz_targets"), &mut files);
    files.sort();
    files
}

#[test]
fn every_source_file_starts_with_a_module_doc_comment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = sources(&root);
    assert!(
        files.len() > 100,
        "found only {} source files under {}: is the walk broken?",
        files.len(),
        root.display()
    );
    let missing: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read(f).unwrap_or_default();
            !text.starts_with(b"//!")
        })
        .map(|f| f.strip_prefix(&root).unwrap_or(f).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "{} source file(s) do not start with a `//!` comment; add one on line 1 saying what the file is for:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}
