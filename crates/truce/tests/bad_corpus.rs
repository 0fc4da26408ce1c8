//! The hostile-file corpus (`tests/bad/`, see its README): every file under `tests/bad/ingest/`
//! goes through the real `truce ingest`, every file under `tests/bad/sites/` through `truce sites
//! import`; each must be refused (exit 2) with a message containing its `.expected` text.

mod common;
use common::{stdout, truce};
use std::path::{Path, PathBuf};

fn corpus(area: &str) -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/bad")
        .join(area);
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = e.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file.ends_with(".expected") {
            continue;
        }
        let stem = file.split('.').next().unwrap();
        let exp = dir.join(format!("{stem}.expected"));
        let expected = std::fs::read_to_string(&exp)
            .unwrap_or_else(|e| panic!("{}: {e} (every hostile file has one)", exp.display()));
        out.push((path, expected.trim_end_matches('\n').to_string()));
    }
    out.sort();
    assert!(!out.is_empty(), "no files in {}", dir.display());
    out
}

/// A log with an open-data source `src` and a belligerent `ua`.
fn setup(p: &Path) {
    stdout(truce(p).args(["-q", "init", "--origin", "bad.example/log"]));
    for (id, role) in [("src", "open-data"), ("ua", "belligerent")] {
        stdout(truce(p).args(["-q", "party", "add", id, "--name", id, "--role", role]));
    }
}

fn refused(p: &Path, args: &[&str], file: &Path, expected: &str) {
    let o = truce(p).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}: expected a refusal, got {:?}: {err}",
        file.display(),
        o.status
    );
    assert!(
        err.contains(expected),
        "{}: the message should contain {expected:?}; it was: {err}",
        file.display()
    );
}

#[test]
fn every_hostile_ingest_file_is_refused_with_its_message() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let key = p.join("truce-data/keys/src.key");
    for (file, expected) in corpus("ingest") {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let mut args = vec![
            "ingest".to_string(),
            file.display().to_string(),
            "--as".into(),
            "src".into(),
            "--key".into(),
            key.display().to_string(),
        ];
        let plain = name.strip_suffix(".gz").unwrap_or(&name);
        for format in ["jsonl", "geojson"] {
            if plain.ends_with(&format!(".{format}")) {
                args.extend(["--format".to_string(), format.to_string()]);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(p, &args, &file, &expected);
    }
}

#[test]
fn every_hostile_site_file_is_refused_with_its_message() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let key = p.join("truce-data/keys/ua.key");
    for (file, expected) in corpus("sites") {
        let (f, k) = (file.display().to_string(), key.display().to_string());
        refused(
            p,
            &["sites", "import", &f, "--as", "ua", "--key", &k],
            &file,
            &expected,
        );
    }
}
