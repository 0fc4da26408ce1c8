//! Log-derived strings never reach the page as markup: Leaflet inserts a string tooltip as HTML,
//! so every `bindTooltip(…)` in the dashboard's modules is handed `esc(…)` (a site named
//! `<a href=…>x</a><img src=x>` shows as text), and markup is only set through `setHTML` with
//! the escaping `html` template (or an `esc`-built string).

use std::path::Path;

fn modules() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("web/src/js");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "js") {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            out.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    assert!(
        out.len() >= 5,
        "the dashboard's modules in {}",
        dir.display()
    );
    out
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].lines().count().max(1)
}

#[test]
fn every_tooltip_is_escaped() {
    let mut bad = Vec::new();
    for (name, text) in modules() {
        for (at, _) in text.match_indices(".bindTooltip(") {
            let arg = text[at + ".bindTooltip(".len()..].trim_start();
            if !arg.starts_with("esc(") {
                bad.push(format!("{name}:{}", line_of(&text, at)));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "bindTooltip with an unescaped string (Leaflet sets it as HTML; wrap it in esc(…)): {bad:?}"
    );
}

#[test]
fn inner_html_is_set_in_one_place_or_from_escaped_text() {
    let mut bad = Vec::new();
    for (name, text) in modules() {
        for (at, _) in text.match_indices(".innerHTML =") {
            let line = text[at..].lines().next().unwrap_or("");
            let escaped = line.contains("String(markup)") || line.contains("${esc(");
            if !escaped {
                bad.push(format!("{name}:{}", line_of(&text, at)));
            }
        }
    }
    assert!(bad.is_empty(), "innerHTML set from unescaped text: {bad:?}");
}
