//! Build script: writes `$OUT_DIR/assets.rs`, the table of every embedded asset (`web/src/**` and the vendored files
//! listed in `vendor/SHA256SUMS`), each as `include_bytes!` of an absolute path. It only reads files: the front-end
//! libraries and the base map's data are committed under `vendor/` (refreshed by `scripts/vendor-dashboard.sh`), so a
//! build runs no npm and needs no network.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let web = manifest.join("web");
    let vendor = manifest.join("vendor");
    let sums = vendor.join("SHA256SUMS");
    println!("cargo:rerun-if-changed={}", web.join("src").display());
    println!("cargo:rerun-if-changed={}", sums.display());

    let mut files: Vec<(String, PathBuf)> = Vec::new();
    walk(&web.join("src"), "", &mut files);
    let listed = std::fs::read_to_string(&sums)
        .unwrap_or_else(|e| panic!("read {}: {e} (the vendored files' list)", sums.display()));
    for line in listed.lines().filter(|l| !l.trim().is_empty()) {
        // `sha256sum` format: 64 hex digits, two spaces, the path under vendor/.
        let path = line
            .get(66..)
            .filter(|_| line.as_bytes().get(64..66) == Some(b"  "))
            .unwrap_or_else(|| panic!("{}: malformed line {line:?}", sums.display()));
        assert!(
            !path.contains("..") && !path.starts_with('/'),
            "{}: path {path:?} leaves vendor/",
            sums.display()
        );
        let p = vendor.join(path);
        assert!(
            p.is_file(),
            "{} is listed in {} but missing: run scripts/vendor-dashboard.sh",
            p.display(),
            sums.display()
        );
        println!("cargo:rerun-if-changed={}", p.display());
        files.push((format!("vendor/{path}"), p));
    }
    files.sort();

    let mut out =
        String::from("/// Every embedded asset: (path under `/ui/`, content type, bytes).\n");
    out.push_str("pub static ASSETS: &[(&str, &str, &[u8])] = &[\n");
    for (path, file) in &files {
        let abs = file.canonicalize().expect("canonical path");
        writeln!(
            out,
            "    ({:?}, {:?}, include_bytes!({:?})),",
            path,
            content_type(path),
            abs.to_str().expect("UTF-8 path")
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("assets.rs");
    std::fs::write(&dest, out).expect("write assets.rs");
}

/// Every file under `dir`, as (path relative to `web/src` with `/`, file).
fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_str().expect("UTF-8 file name");
        if name.starts_with('.') {
            continue;
        }
        let rel = format!("{prefix}{name}");
        if p.is_dir() {
            walk(&p, &format!("{rel}/"), out);
        } else {
            out.push((rel, p));
        }
    }
}

fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    if !name.contains('.') {
        return "text/plain; charset=utf-8"; // LICENSE files
    }
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
