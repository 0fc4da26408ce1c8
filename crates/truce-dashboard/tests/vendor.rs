//! The vendored front-end libraries and base-map data: the build reads files only (no npm, no process, no network), and
//! every file `vendor/README.md` lists is there with its SHA-256, the same list as `vendor/SHA256SUMS` (what `build.rs`
//! embeds) and as the embedded table's `vendor/` assets; nothing else under `vendor/` is shipped unlisted.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `s` without `//` comments (whole lines or trailing ones outside a string).
fn code(s: &str) -> String {
    s.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_build_script_reads_files_only() {
    let src = std::fs::read_to_string(dir().join("build.rs")).unwrap();
    let code = code(&src);
    for word in [
        "Command",
        "std::process",
        "npm",
        "node_modules",
        "std::net",
        "http",
    ] {
        assert!(
            !code.contains(word),
            "build.rs contains {word:?}: the build must only read committed files"
        );
    }
    let manifest = std::fs::read_to_string(dir().join("Cargo.toml")).unwrap();
    assert!(
        !manifest.contains("[build-dependencies]"),
        "the build script needs no dependencies"
    );
}

/// (path under vendor/, sha256) from `SHA256SUMS`.
fn sums() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir().join("vendor/SHA256SUMS")).unwrap();
    text.lines()
        .map(|l| {
            let (h, p) = l.split_once("  ").expect("sha256sum line");
            assert_eq!(h.len(), 64, "{l}");
            (p.to_string(), h.to_string())
        })
        .collect()
}

/// (path under vendor/, sha256) from the table of `README.md` (rows "| `path` | ... | `sha256` |").
fn readme() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir().join("vendor/README.md")).unwrap();
    let mut out = BTreeMap::new();
    for l in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
        let path = cells[0].trim_matches('`');
        let sha = cells.last().unwrap().trim_matches('`');
        assert_eq!(sha.len(), 64, "README row {l}");
        assert!(
            out.insert(path.to_string(), sha.to_string()).is_none(),
            "{path} listed twice"
        );
    }
    out
}

#[test]
fn every_vendored_file_is_there_with_its_sha256() {
    let listed = readme();
    assert!(listed.len() >= 15, "README.md lists {} files", listed.len());
    for (path, sha) in &listed {
        let bytes = std::fs::read(dir().join("vendor").join(path))
            .unwrap_or_else(|e| panic!("vendor/{path} (listed in README.md): {e}"));
        assert_eq!(
            &hex(&bytes),
            sha,
            "vendor/{path}: SHA-256 differs from README.md"
        );
    }
    assert_eq!(
        listed,
        sums(),
        "README.md and SHA256SUMS list different files or sums"
    );
    // Each package comes with its licence, and the base map with its attribution.
    for p in [
        "leaflet/LICENSE",
        "markercluster/MIT-LICENCE.txt",
        "topojson-client/LICENSE",
        "world-atlas/LICENSE",
        "basemap/NOTICE.txt",
        "basemap/towns.json",
        "basemap/admin1.json",
    ] {
        assert!(listed.contains_key(p), "README.md does not list {p}");
    }
    let notice = std::fs::read_to_string(dir().join("vendor/basemap/NOTICE.txt")).unwrap();
    for w in [
        "GeoNames",
        "CC BY 4.0",
        "Natural Earth",
        "public domain",
        "internationally recognised",
    ] {
        assert!(notice.contains(w), "NOTICE.txt does not say {w:?}");
    }
}

#[test]
fn the_embedded_vendor_files_are_the_listed_ones() {
    let sums = sums();
    let embedded: Vec<String> = truce_dashboard::assets()
        .filter_map(|(p, _)| p.strip_prefix("vendor/").map(str::to_string))
        .collect();
    let listed: Vec<String> = sums.keys().cloned().collect();
    assert_eq!(embedded, listed);
    for (p, bytes) in truce_dashboard::assets() {
        if let Some(rel) = p.strip_prefix("vendor/") {
            assert_eq!(
                hex(bytes),
                sums[rel],
                "embedded {p} differs from SHA256SUMS"
            );
        }
    }
}

/// Every file under `d`, relative to `root`.
fn files(root: &Path, d: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap();
            out.push(rel.replace('\\', "/"));
        }
    }
}

#[test]
fn nothing_under_vendor_is_unlisted() {
    let root = dir().join("vendor");
    let mut all = Vec::new();
    files(&root, &root, &mut all);
    let listed = sums();
    // The pins and the lists themselves are the only files not shipped.
    let own = [
        "README.md",
        "SHA256SUMS",
        "package.json",
        "package-lock.json",
    ];
    for f in all {
        assert!(
            listed.contains_key(&f) || own.contains(&f.as_str()),
            "vendor/{f} is neither shipped (SHA256SUMS) nor one of {own:?}: rerun scripts/vendor-dashboard.sh"
        );
    }
}
