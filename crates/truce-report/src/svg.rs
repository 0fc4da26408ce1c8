//! The report's charts as hand-written SVG: incidents per day by grade (stacked columns) and
//! breaches per party under each reading (horizontal bars). Integer geometry, fixed colours and
//! fonts, so the same report gives the same bytes.

use crate::render::esc;
use crate::DailyReport;
use std::fmt::Write;
use truce_engine::Grade;

/// Colour of each grade.
fn grade_colour(g: Grade) -> &'static str {
    match g {
        Grade::Reported => "#9e9e9e",
        Grade::Corroborated => "#e65100",
        Grade::Disputed => "#8e24aa",
        Grade::Verified => "#c62828",
        Grade::Unverifiable => "#1e88e5",
        Grade::Dismissed => "#43a047",
    }
}

/// Colours of readings, in order.
const READING_COLOURS: [&str; 6] = [
    "#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f",
];

fn open(s: &mut String, w: u32, h: u32, title: &str, standalone: bool) {
    let ns = if standalone {
        " xmlns=\"http://www.w3.org/2000/svg\""
    } else {
        ""
    };
    let _ = write!(
        s,
        "<svg{ns} width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">\n<title>{}</title>\n<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n<text x=\"10\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{}</text>\n",
        esc(title),
        esc(title)
    );
}

/// Stacked columns: non-routine incidents per day by grade, the report's day outlined.
pub fn incidents_by_day(r: &DailyReport, standalone: bool) -> String {
    let n = u32::try_from(r.series.days.len()).unwrap_or(1).max(1);
    let (left, top, plot_h) = (40u32, 64u32, 160u32);
    let slot = 44u32;
    let w = (left + n * slot + 20).max(700);
    let h = top + plot_h + 40;
    let max = r
        .series
        .days
        .iter()
        .map(|d| d.by_grade.values().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut s = String::new();
    open(
        &mut s,
        w,
        h,
        &format!("Incidents per day by grade, to {}", r.date),
        standalone,
    );
    // Legend.
    let mut x = 10u32;
    for g in Grade::ALL {
        let _ = writeln!(
            s,
            "<rect x=\"{x}\" y=\"28\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"37\">{}</text>",
            grade_colour(g),
            x + 14,
            g.as_str()
        );
        x += 14 + 8 * u32::try_from(g.as_str().len()).unwrap_or(8) + 10;
    }
    // Axis and ticks.
    let base = top + plot_h;
    let _ = writeln!(
        s,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#333333\"/>",
        left + n * slot
    );
    let ticks: Vec<u64> = if max >= 2 {
        vec![0, max / 2, max]
    } else {
        vec![0, max]
    };
    for t in ticks {
        let y = base - u32::try_from(t * u64::from(plot_h) / max).unwrap_or(0);
        let _ = writeln!(
            s,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#dddddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{t}</text>",
            left,
            left + n * slot,
            left - 4,
            y + 4
        );
    }
    for (k, d) in r.series.days.iter().enumerate() {
        let x = left + u32::try_from(k).unwrap_or(0) * slot + 8;
        let mut y = base;
        for g in Grade::ALL {
            let c = d.by_grade.get(g.as_str()).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            let bh = u32::try_from(c * u64::from(plot_h) / max).unwrap_or(0);
            y -= bh;
            let _ = writeln!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"28\" height=\"{bh}\" fill=\"{}\"><title>{} {}: {c}</title></rect>",
                grade_colour(g),
                d.date,
                g.as_str()
            );
        }
        let total: u64 = d.by_grade.values().sum();
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{total}</text>",
            x + 14,
            y.saturating_sub(3)
        );
        let label = d.date.get(5..).unwrap_or(&d.date);
        let bold = if d.date == r.date {
            " font-weight=\"bold\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\"{bold}>{}</text>",
            x + 14,
            base + 14,
            esc(label)
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{left}\" y=\"{}\" fill=\"#555555\">days at UTC{}; an incident spanning midnight counts on each day; routine detections left out</text>",
        h - 8,
        esc(&r.utc_offset)
    );
    s.push_str("</svg>\n");
    s
}

/// Horizontal bars: breach attributions to each party under each reading, to date, with the
/// report's day's share darker.
pub fn breaches_by_party(r: &DailyReport, standalone: bool) -> String {
    let rows = &r.series.breaches;
    let (label_w, top, row_h, bar_w) = (300u32, 44u32, 22u32, 300u32);
    let n = u32::try_from(rows.len()).unwrap_or(0);
    let w = label_w + bar_w + 160;
    let h = top + n.max(1) * row_h + 30;
    let max = rows.iter().map(|b| b.to_date).max().unwrap_or(0).max(1);
    let mut readings: Vec<&str> = rows.iter().map(|b| b.reading.as_str()).collect();
    readings.sort_unstable();
    readings.dedup();
    let mut s = String::new();
    open(
        &mut s,
        w,
        h,
        &format!("Breaches per party under each reading, to {}", r.date),
        standalone,
    );
    if rows.is_empty() {
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{}\">no breach found under any reading up to this day</text>",
            top + 14
        );
    }
    for (k, b) in rows.iter().enumerate() {
        let y = top + u32::try_from(k).unwrap_or(0) * row_h;
        let colour = readings
            .iter()
            .position(|x| *x == b.reading)
            .map(|p| READING_COLOURS[p % READING_COLOURS.len()])
            .unwrap_or("#555555");
        let len = u32::try_from(b.to_date * u64::from(bar_w) / max).unwrap_or(0);
        let today = u32::try_from(b.day * u64::from(bar_w) / max).unwrap_or(0);
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} under {}'s reading ({})</text>",
            label_w - 6,
            y + 14,
            esc(&b.party),
            esc(&b.reading),
            esc(&b.agreement)
        );
        let _ = writeln!(
            s,
            "<rect x=\"{label_w}\" y=\"{}\" width=\"{len}\" height=\"16\" fill=\"{colour}\" fill-opacity=\"0.45\"><title>{} to date: {}</title></rect>",
            y + 2,
            esc(&b.party),
            b.to_date
        );
        if today > 0 {
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{today}\" height=\"16\" fill=\"{colour}\"><title>{} on {}: {}</title></rect>",
                label_w + len - today,
                y + 2,
                esc(&b.party),
                r.date,
                b.day
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\">{} ({} on the day)</text>",
            label_w + len + 6,
            y + 14,
            b.to_date,
            b.day
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"{}\" fill=\"#555555\">light: breaches in incidents up to the end of the day; dark: in incidents of the day</text>",
        h - 8
    );
    s.push_str("</svg>\n");
    s
}
