//! Build script: makes sure the npm vendor files are installed (`npm ci` in `web/`), then writes
//! `$OUT_DIR/assets.rs`, the table of every embedded asset (`web/src/**` and the few vendor files
//! the dashboard loads), each as `include_bytes!` of an absolute path.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The vendor files shipped: (path under `/ui/`, path under `web/node_modules/`).
const VENDOR: &[(&str, &str)] = &[
    ("vendor/leaflet/leaflet.js", "leaflet/dist/leaflet.js"),
    ("vendor/leaflet/leaflet.css", "leaflet/dist/leaflet.css"),
    // leaflet.css refers to these (layers control, default marker icon) by relative URL.
    (
        "vendor/leaflet/images/layers.png",
        "leaflet/dist/images/layers.png",
    ),
    (
        "vendor/leaflet/images/layers-2x.png",
        "leaflet/dist/images/layers-2x.png",
    ),
    (
        "vendor/leaflet/images/marker-icon.png",
        "leaflet/dist/images/marker-icon.png",
    ),
    (
        "vendor/markercluster/leaflet.markercluster.js",
        "leaflet.markercluster/dist/leaflet.markercluster.js",
    ),
    (
        "vendor/markercluster/MarkerCluster.css",
        "leaflet.markercluster/dist/MarkerCluster.css",
    ),
    (
        "vendor/markercluster/MarkerCluster.Default.css",
        "leaflet.markercluster/dist/MarkerCluster.Default.css",
    ),
    (
        "vendor/topojson-client/topojson-client.min.js",
        "topojson-client/dist/topojson-client.min.js",
    ),
    (
        "vendor/world-atlas/countries-50m.json",
        "world-atlas/countries-50m.json",
    ),
];

const NPM_CI: &str = "npm ci --no-audit --no-fund";

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let web = manifest.join("web");
    let modules = web.join("node_modules");
    println!("cargo:rerun-if-changed={}", web.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        web.join("package-lock.json").display()
    );
    for (_, from) in VENDOR {
        println!("cargo:rerun-if-changed={}", modules.join(from).display());
    }

    if VENDOR.iter().any(|(_, from)| !modules.join(from).is_file()) {
        npm_ci(&web);
    }

    let mut files: Vec<(String, PathBuf)> = Vec::new();
    walk(&web.join("src"), "", &mut files);
    for (to, from) in VENDOR {
        let p = modules.join(from);
        assert!(
            p.is_file(),
            "{} is missing after `{NPM_CI}` in {}",
            p.display(),
            web.display()
        );
        files.push((to.to_string(), p));
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

/// Runs `npm ci` in `web`, or stops the build saying what to run.
fn npm_ci(web: &Path) {
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(web)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "`{NPM_CI}` failed ({s}) in {}: the dashboard's front-end libraries come from npm at \
             build time; run it there by hand to see why",
            web.display()
        ),
        Err(e) => panic!(
            "could not run npm ({e}): install Node.js and npm (e.g. `apt-get install nodejs npm`), \
             then run `{NPM_CI}` in {}",
            web.display()
        ),
    }
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
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
