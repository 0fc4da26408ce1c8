//! The embedded dashboard is complete and self-contained: every asset the page or a script refers
//! to is in the table, nothing refers to another host (our own files contain no `http://` or
//! `https://` at all; vendor files only in comments, licence text and an explicit list of
//! identifiers that are never fetched), and the routes serve each asset with its content type.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::collections::BTreeMap;
use tower::ServiceExt;

fn table() -> BTreeMap<&'static str, &'static [u8]> {
    truce_dashboard::assets().collect()
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).expect("UTF-8 asset")
}

/// Resolves `reference` (as written in `from`, an asset path) to an asset path, or None if it is
/// not a same-origin file reference (fragment, data: URL, API path).
fn resolve(from: &str, reference: &str) -> Option<String> {
    let r = reference.split(['?', '#']).next().unwrap_or("");
    if r.is_empty() || reference.starts_with('#') || r.starts_with("data:") {
        return None;
    }
    if let Some(rest) = r.strip_prefix("/ui/") {
        return Some(rest.to_string());
    }
    if r.starts_with('/') {
        return None; // an API path (`/v1/...`, `/checkpoint`): not an asset
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in r.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The values of `attr="..."` in `html`.
fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let pat = format!("{attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

/// Module specifiers of `import ... from '...'` and `import('...')` in a script.
fn imports(js: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in js.lines() {
        let l = line.trim();
        if !(l.starts_with("import ") || l.contains("from '") || l.contains("import(")) {
            continue;
        }
        for q in ['\'', '"'] {
            for key in [
                format!("from {q}"),
                format!("import({q}"),
                format!("import {q}"),
            ] {
                for (i, _) in l.match_indices(&key) {
                    let rest = &l[i + key.len()..];
                    if let Some(end) = rest.find(q) {
                        out.push(rest[..end].to_string());
                    }
                }
            }
        }
    }
    out
}

/// `url(...)` references in a stylesheet.
fn css_urls(css: &str) -> Vec<String> {
    css.match_indices("url(")
        .map(|(i, _)| {
            let rest = &css[i + 4..];
            rest[..rest.find(')').unwrap()]
                .trim_matches(['"', '\'', ' '])
                .to_string()
        })
        .collect()
}

#[test]
fn every_referenced_asset_exists() {
    let t = table();
    let index = text(t["index.html"]);
    let mut checked = 0;
    for r in attr_values(index, "src")
        .into_iter()
        .chain(attr_values(index, "href"))
    {
        if let Some(p) = resolve("index.html", r) {
            assert!(
                t.contains_key(p.as_str()),
                "index.html refers to {r}: missing"
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "index.html refers to only {checked} assets");
    let mut modules = 0;
    for (path, bytes) in &t {
        if path.ends_with(".js") && !path.starts_with("vendor/") {
            for spec in imports(text(bytes)) {
                assert!(
                    spec.starts_with("./") || spec.starts_with("../") || spec.starts_with("/ui/"),
                    "{path} imports {spec}: only relative or /ui/ modules exist in the browser"
                );
                let p = resolve(path, &spec).unwrap();
                assert!(t.contains_key(p.as_str()), "{path} imports {spec}: missing");
                modules += 1;
            }
        }
        if path.ends_with(".css") {
            for u in css_urls(text(bytes)) {
                if u.starts_with("#default#") {
                    continue; // an old-IE behaviour name in leaflet.css, not a URL
                }
                if let Some(p) = resolve(path, &u) {
                    assert!(t.contains_key(p.as_str()), "{path} refers to {u}: missing");
                }
            }
        }
    }
    assert!(modules >= 10, "only {modules} module imports found");
    // The scripts fetch the base map by path, and link its sources and licences.
    let basemap_js = text(t["js/basemap.js"]);
    for data in [
        "vendor/world-atlas/countries-50m.json",
        "vendor/basemap/admin1.json",
        "vendor/basemap/towns.json",
        "vendor/basemap/NOTICE.txt",
    ] {
        assert!(t.contains_key(data), "{data} is not embedded");
        assert!(
            basemap_js.contains(&format!("/ui/{data}")),
            "js/basemap.js does not load /ui/{data}"
        );
    }
}

/// Every `http://` / `https://` occurrence in `s`, with what follows it up to a delimiter.
fn urls(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for scheme in ["http://", "https://"] {
        for (i, _) in s.match_indices(scheme) {
            let rest = &s[i..];
            let end = rest
                .find(|c: char| c.is_whitespace() || "\"'`)<>,".contains(c))
                .unwrap_or(rest.len());
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// `s` without `/* ... */` comments and without lines that are `//` comments.
fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        match rest[i..].find("*/") {
            Some(j) => rest = &rest[i + j + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Licence and attribution texts shipped beside the vendor files (served as plain text, linked from
/// the map's attribution, never loaded by the page): they may name their sources' web sites.
fn licence_text(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("vendor/")
        && (name.starts_with("LICENSE") || name.contains("LICENCE") || name == "NOTICE.txt")
}

#[test]
fn nothing_refers_to_another_host() {
    // Identifiers in vendor code that look like URLs but are never requested.
    const NEVER_FETCHED: &[&str] = &[
        "http://www.w3.org/2000/svg", // the SVG XML namespace name (document.createElementNS)
        "https://leafletjs.com", // Leaflet's default attribution link; the dashboard sets its own prefix
    ];
    for (path, bytes) in table() {
        if path.ends_with(".png") || licence_text(path) {
            continue;
        }
        let s = text(bytes);
        if !path.starts_with("vendor/") {
            let found = urls(s);
            assert!(found.is_empty(), "{path} contains external URLs: {found:?}");
            assert!(!s.contains("//cdn"), "{path} refers to a CDN");
            continue;
        }
        let code = if path.ends_with(".json") {
            s.to_string()
        } else {
            strip_comments(s)
        };
        for u in urls(&code) {
            assert!(
                NEVER_FETCHED.contains(&u.as_str()),
                "{path} refers to {u} outside a comment"
            );
        }
    }
    // The dashboard replaces Leaflet's attribution prefix (the only link among the exceptions).
    assert!(text(table()["js/map.js"]).contains("setPrefix("));
}

#[test]
fn own_files_start_with_a_comment_saying_what_they_are_for() {
    for (path, bytes) in table() {
        if path.starts_with("vendor/") || path.ends_with(".png") {
            continue;
        }
        let first = text(bytes).lines().next().unwrap_or("");
        if path.ends_with(".js") {
            assert!(first.starts_with("// "), "{path}: first line {first:?}");
        }
        if path.ends_with(".css") {
            assert!(first.starts_with("/* "), "{path}: first line {first:?}");
        }
    }
}

async fn get(uri: &str) -> (StatusCode, String, String, usize) {
    let app: axum::Router = truce_dashboard::routes();
    let r = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = |n: header::HeaderName| {
        r.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ct, cc) = (h(header::CONTENT_TYPE), h(header::CACHE_CONTROL));
    let status = r.status();
    let body = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, ct, cc, body.len())
}

#[tokio::test]
async fn routes_serve_every_asset_with_its_type() {
    let (s, ct, cc, n) = get("/").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "text/html; charset=utf-8");
    assert_eq!(cc, "no-cache");
    assert_eq!(n, table()["index.html"].len());
    for (path, bytes) in table() {
        let (s, ct, cc, n) = get(&format!("/ui/{path}")).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(n, bytes.len(), "{path}");
        assert_eq!(Some(ct.as_str()), truce_dashboard::content_type(path));
        assert!(!cc.is_empty(), "{path} has no Cache-Control");
    }
    assert_eq!(
        get("/ui/js/app.js").await.1,
        "text/javascript; charset=utf-8"
    );
    assert_eq!(get("/ui/style.css").await.1, "text/css; charset=utf-8");
    assert_eq!(
        get("/ui/vendor/world-atlas/countries-50m.json").await.1,
        "application/json"
    );
    for missing in [
        "/ui/nothing.js",
        "/ui/",
        "/ui/../Cargo.toml",
        "/ui/vendor/leaflet/leaflet-src.js",
    ] {
        assert_eq!(get(missing).await.0, StatusCode::NOT_FOUND, "{missing}");
    }
}
