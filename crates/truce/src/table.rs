//! Text tables: columns as wide as their widest cell measured in display width (comfy-table),
//! no borders, two spaces between columns, no trailing spaces, never a colour code (comfy-table is
//! built without its terminal features).

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

/// A table with this header; columns listed in `right` are right-aligned (counts).
pub fn new(header: &[&str], right: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    let last = header.len().saturating_sub(1);
    for (i, c) in t.column_iter_mut().enumerate() {
        c.set_padding((0, if i == last { 0 } else { 2 }));
        if right.contains(&i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The table's lines, each ending in a newline, without trailing spaces.
pub fn render(t: &Table) -> String {
    let mut s = String::new();
    for line in t.lines() {
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}
