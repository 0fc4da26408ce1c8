//! The report's charts as hand-written SVG: incidents per day by occurrence grade (stacked
//! columns) and, per party under each reading, established and corroborated breaches (one
//! stacked bar) with allegations of breach apart (a hollow bar under it). Integer geometry, fixed
//! colours and fonts, so the same report gives the same bytes.

use crate::render::esc;
use crate::DailyReport;
use std::fmt::Write;
use truce_engine::Grade;

/// Colour of each occurrence grade.
fn grade_colour(g: Grade) -> &'static str {
    match g {
        Grade::Reported => "#9e9e9e",
        Grade::Corroborated => "#e65100",
        Grade::Verified => "#c62828",
        Grade::Unverifiable => "#1e88e5",
        Grade::Dismissed => "#43a047",
        Grade::Contested => "#8e24aa",
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

/// Stacked columns: non-routine incidents per day by occurrence grade, the report's day in bold.
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
        .map(|d| d.by_occurrence.values().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut s = String::new();
    open(
        &mut s,
        w,
        h,
        &format!("Incidents per day by occurrence grade, to {}", r.date),
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
            let c = d.by_occurrence.get(g.as_str()).copied().unwrap_or(0);
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
        let total: u64 = d.by_occurrence.values().sum();
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
        "<text x=\"{left}\" y=\"{}\" fill=\"#555555\">days in {}{}; an incident spanning a day's start counts on each day; routine detections left out</text>",
        h - 8,
        esc(&r.zone_label()),
        esc(&r
            .cutoff
            .as_ref()
            .map(|c| format!(", cut off at {c}"))
            .unwrap_or_default())
    );
    s.push_str("</svg>\n");
    s
}

/// Horizontal bars, per party under each reading, to date: established breaches (solid) and
/// corroborated breaches (light) stacked in one bar; allegations of breach apart, in a hollow
/// dashed bar under it, never added to the breaches.
pub fn breaches_by_party(r: &DailyReport, standalone: bool) -> String {
    let rows = &r.series.breaches;
    let (label_w, top, row_h, bar_w) = (300u32, 64u32, 34u32, 300u32);
    let n = u32::try_from(rows.len()).unwrap_or(0);
    let w = label_w + bar_w + 240;
    let h = top + n.max(1) * row_h + 30;
    let max = rows
        .iter()
        .map(|b| (b.established.to_date + b.corroborated.to_date).max(b.alleged.to_date))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut readings: Vec<&str> = rows.iter().map(|b| b.reading.as_str()).collect();
    readings.sort_unstable();
    readings.dedup();
    let mut s = String::new();
    open(
        &mut s,
        w,
        h,
        &format!(
            "Established and corroborated breaches, and allegations of breach, per party under each reading, to {}",
            r.date
        ),
        standalone,
    );
    // Legend.
    let _ = writeln!(
        s,
        "<rect x=\"10\" y=\"28\" width=\"14\" height=\"10\" fill=\"#555555\"/><text x=\"28\" y=\"37\">established breaches</text>\n<rect x=\"160\" y=\"28\" width=\"14\" height=\"10\" fill=\"#555555\" fill-opacity=\"0.4\"/><text x=\"178\" y=\"37\">corroborated breaches</text>\n<rect x=\"318\" y=\"30\" width=\"14\" height=\"6\" fill=\"none\" stroke=\"#555555\" stroke-dasharray=\"3 2\"/><text x=\"336\" y=\"37\">allegations of breach (not added to the others)</text>"
    );
    if rows.is_empty() {
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{}\">no breach, and no allegation of one, under any reading up to this day</text>",
            top + 14
        );
    }
    let scale = |v: u64| u32::try_from(v * u64::from(bar_w) / max).unwrap_or(0);
    for (k, b) in rows.iter().enumerate() {
        let y = top + u32::try_from(k).unwrap_or(0) * row_h;
        let colour = readings
            .iter()
            .position(|x| *x == b.reading)
            .map(|p| READING_COLOURS[p % READING_COLOURS.len()])
            .unwrap_or("#555555");
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} under {}'s reading ({})</text>",
            label_w - 6,
            y + 14,
            esc(&b.party),
            esc(&b.reading),
            esc(&b.agreement)
        );
        let est = scale(b.established.to_date);
        let cor = scale(b.corroborated.to_date);
        let alleged = scale(b.alleged.to_date);
        if est > 0 {
            let _ = writeln!(
                s,
                "<rect x=\"{label_w}\" y=\"{}\" width=\"{est}\" height=\"14\" fill=\"{colour}\"><title>{}: {} established breach(es) to date, {} on {}</title></rect>",
                y + 3,
                esc(&b.party),
                b.established.to_date,
                b.established.day,
                r.date
            );
        }
        if cor > 0 {
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{cor}\" height=\"14\" fill=\"{colour}\" fill-opacity=\"0.4\"><title>{}: {} corroborated breach(es) to date, {} on {}</title></rect>",
                label_w + est,
                y + 3,
                esc(&b.party),
                b.corroborated.to_date,
                b.corroborated.day,
                r.date
            );
        }
        if alleged > 0 {
            let _ = writeln!(
                s,
                "<rect x=\"{label_w}\" y=\"{}\" width=\"{alleged}\" height=\"8\" fill=\"none\" stroke=\"{colour}\" stroke-dasharray=\"3 2\"><title>{}: {} allegation(s) of breach to date, {} on {}</title></rect>",
                y + 20,
                esc(&b.party),
                b.alleged.to_date,
                b.alleged.day,
                r.date
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\">established {}, corroborated {} (on the day: {}, {})</text>",
            label_w + est + cor + 6,
            y + 14,
            b.established.to_date,
            b.corroborated.to_date,
            b.established.day,
            b.corroborated.day
        );
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" fill=\"#555555\">allegations {} (on the day: {})</text>",
            label_w + alleged + 6,
            y + 28,
            b.alleged.to_date,
            b.alleged.day
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"{}\" fill=\"#555555\">counted per party named, in incidents up to the end of the day</text>",
        h - 8
    );
    s.push_str("</svg>\n");
    s
}
