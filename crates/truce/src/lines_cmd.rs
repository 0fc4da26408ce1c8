//! `truce lines import|list|show`: lines of contact, reference lines and control areas as
//! versioned `line` entries (issue 16).
//!
//! `import` reads one geometry from a GeoJSON file (a LineString, MultiLineString or Polygon
//! geometry, a Feature, or a FeatureCollection whose features' lines are joined into one
//! MultiLineString) or a KML file (`<LineString>` coordinates, a `<Polygon>`'s outer and inner
//! boundaries; read by a small bounded reader of just these elements: no XML library, no entity
//! expansion, nesting at most [`MAX_DEPTH`]), adds the sectors of a CSV file, and signs and
//! appends it through the submission path every command shares (`domain_cmd::submit`) — a
//! version too large for one entry as a `line` head and its `line.part` entries, in one batch
//! (`truce_model::lines::split`). `list`
//! and `show` read the ledger; their JSON is `truce_model::lines::document` / `feature`, the one
//! shape the API will serve too.

use crate::datadir::DataDir;
use crate::domain_cmd::{lines_in_parts, load_signer, replay, submit};
use crate::log_cmd::Out;
use crate::values::Choice;
use crate::Failure;
use anyhow::anyhow;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use truce_model::entry::Body;
use truce_model::geo::{Geometry, LineString, MultiLineString, Point, Polygon};
use truce_model::ledger::Record;
use truce_model::lines::{self, LineKind, LineVersion, Sector};
use truce_model::{Id, Time};

/// The largest file `truce lines import` reads.
pub const MAX_FILE: u64 = 64 << 20;
/// The deepest element nesting a KML file may have.
pub const MAX_DEPTH: usize = 64;

/// The examples `truce lines import --help` ends with.
pub const IMPORT_EXAMPLES: &str = "\
EXAMPLES:
  truce lines import loc.geojson --id loc --title \"Line of contact\" \\
    --valid-from 2025-03-18T00:00:00+02:00 --sectors sectors.csv --as osce --key osce.key
  truce lines import area.kml --id ru-control --title \"Area under control\" \\
    --kind control-area --controlled-by ru --valid-from 2025-03-18T00:00:00Z --as ua --key ua.key

sectors.csv:
  id,name,from_km,to_km
  north,Northern stretch,0,50
  south,Southern stretch,50,86.5";

/// The examples `truce lines show --help` ends with.
pub const SHOW_EXAMPLES: &str = "\
EXAMPLES:
  truce lines list
  truce lines show osce/loc --at 2025-04-01T00:00:00Z
  truce lines show osce/loc --geojson > loc.geojson";

/// `truce lines …`.
#[derive(Debug, clap::Subcommand)]
pub enum LinesCommand {
    /// File a version of a line of contact, a reference line or a control area, read from a
    /// GeoJSON or KML file, signed as a party (a belligerent, a monitor or a mediator).
    ///
    /// The line's id is the author's own: importing the same --id again files a new version,
    /// which holds from its --valid-from on (earlier versions stay, and hold before it). A
    /// --valid-from before the filing time makes the version retroactive: allowed, and flagged.
    ///
    /// FILE is GeoJSON (a LineString, MultiLineString or Polygon geometry, a Feature, or a
    /// FeatureCollection whose features' lines are joined into one MultiLineString; altitudes
    /// are dropped) or KML (every <LineString>, or one <Polygon> with its outer and inner
    /// boundaries; points, tracks and models are refused). --kind contact and reference take
    /// lines, control-area a polygon, with --controlled-by. --sectors is a CSV file with the
    /// columns id,name,from_km,to_km: named stretches in order along the line, in km from its
    /// first vertex. One log entry holds at most 65,535 bytes (1,500 to 3,000 vertices); a
    /// longer line (up to 100,000 vertices) is filed in parts: a `line` entry stating the
    /// parts' count and the geometry's SHA-256, then `line.part` entries carrying runs of its
    /// vertices, appended together in one batch. The version is visible once every part is in
    /// and the digest matches; correcting or retracting it amends its `line` entry.
    #[command(after_long_help = IMPORT_EXAMPLES)]
    Import(ImportArgs),
    /// Every version of every line: author, id, kind, valid from, filed, vertices, length (km)
    /// or area (km²), sectors, and flags (RETROACTIVE when valid before it was filed,
    /// RETRACTED, CORRECTED). With --json: {"versions": [document…]}.
    List,
    /// One line's version in force at a time (default: the latest), with its sectors.
    ///
    /// With --json the document with its geometry; with --geojson a GeoJSON Feature (id
    /// AUTHOR/ID, the document as its properties).
    #[command(after_long_help = SHOW_EXAMPLES)]
    Show(ShowArgs),
}

/// Arguments of `truce lines import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The GeoJSON (.geojson, .json) or KML (.kml) file.
    pub file: PathBuf,
    /// The line's id (the author's own; the same id again is a new version).
    #[arg(long, value_name = "ID")]
    pub id: String,
    /// What the line is, in words (at most 200 characters).
    #[arg(long, value_name = "TEXT")]
    pub title: String,
    /// contact (the line of contact of the day), reference (a line a side measures from) or
    /// control-area (a polygon under --controlled-by's control).
    #[arg(long, value_enum, default_value = "contact")]
    pub kind: Choice<LineKind>,
    /// The party controlling a control area (control-area only).
    #[arg(long, value_name = "PARTY")]
    pub controlled_by: Option<String>,
    /// From when this version holds (RFC 3339 with an offset).
    #[arg(long, value_name = "TIME")]
    pub valid_from: String,
    /// A CSV file of sectors: id,name,from_km,to_km.
    #[arg(long, value_name = "FILE")]
    pub sectors: Option<PathBuf>,
    /// How far off the line may be, in metres (an approximate line).
    #[arg(long, value_name = "METRES")]
    pub approximate_m: Option<u32>,
    /// Where the line comes from [default: the file's name].
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// The filing time stated in the entry (RFC 3339) [default: this computer's clock].
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// The party filing it (a belligerent, monitor or mediator).
    #[arg(long = "as", value_name = "PARTY")]
    pub author: String,
    /// The party's signer key file.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

/// Arguments of `truce lines show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The line: AUTHOR/ID (as `truce lines list` shows it).
    pub line: String,
    /// The version in force at this time (RFC 3339) [default: the latest].
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Print a GeoJSON Feature.
    #[arg(long)]
    pub geojson: bool,
}

/// Runs a `truce lines` command.
pub fn run(dir: &DataDir, cmd: &LinesCommand, out: &Out) -> Result<(), Failure> {
    match cmd {
        LinesCommand::Import(a) => import(dir, a, out),
        LinesCommand::List => list(dir, out),
        LinesCommand::Show(a) => show(dir, a, out),
    }
}

fn input(msg: String) -> Failure {
    Failure::input(anyhow!(msg))
}

fn id_arg(flag: &str, s: &str) -> Result<Id, Failure> {
    Id::new(s).map_err(|e| input(format!("{flag} {s:?}: {e}")))
}

fn time_arg(flag: &str, s: &str) -> Result<Time, Failure> {
    Time::parse(s).map_err(|e| {
        input(format!(
            "{flag} {s:?}: {e}; write RFC 3339 with an offset, e.g. 2025-03-18T00:00:00+02:00"
        ))
    })
}

fn import(dir: &DataDir, a: &ImportArgs, out: &Out) -> Result<(), Failure> {
    let author = id_arg("--as", &a.author)?;
    let id = id_arg("--id", &a.id)?;
    let kind = a.kind.0;
    if a.title.trim().is_empty() {
        return Err(input("--title is empty: say what the line is".into()));
    }
    let valid_from = time_arg("--valid-from", &a.valid_from)?;
    let time = match &a.time {
        Some(t) => time_arg("--time", t)?,
        None => Time(jiff::Timestamp::now()),
    };
    let controlled_by = match (&a.controlled_by, kind) {
        (None, LineKind::ControlArea) => {
            return Err(input(
                "--controlled-by is required with --kind control-area: the party in control".into(),
            ))
        }
        (Some(_), LineKind::Contact | LineKind::Reference) => {
            return Err(input(format!(
                "--controlled-by is for --kind control-area only (this is --kind {})",
                kind.as_str()
            )))
        }
        (p, _) => p
            .as_deref()
            .map(|p| id_arg("--controlled-by", p))
            .transpose()?,
    };
    let name = a.file.display().to_string();
    let geometry = read_geometry(&a.file).map_err(|e| input(format!("{name}: {e}")))?;
    let fits = matches!(
        (kind, &geometry),
        (
            LineKind::Contact | LineKind::Reference,
            Geometry::LineString(_) | Geometry::MultiLineString(_)
        ) | (LineKind::ControlArea, Geometry::Polygon(_))
    );
    if !fits {
        return Err(input(format!(
            "--kind {}: {name} holds a {}; --kind contact and reference take lines, --kind control-area a polygon",
            kind.as_str(),
            lines::geometry_type(&geometry)
        )));
    }
    let sectors = match &a.sectors {
        Some(p) => read_sectors(p).map_err(|e| input(format!("--sectors {}: {e}", p.display())))?,
        None => Vec::new(),
    };
    let source = a.source.clone().unwrap_or_else(|| {
        a.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone())
    });
    let line = LineVersion {
        id: id.clone(),
        title: a.title.clone(),
        kind,
        geometry,
        controlled_by,
        valid_from,
        sectors,
        approximate_m: a.approximate_m,
        source,
    };
    line.validate().map_err(|e| {
        let flag = if e.contains("sector") {
            format!(
                "--sectors {}",
                a.sectors.as_deref().unwrap_or(Path::new("")).display()
            )
        } else if e.contains("title") {
            "--title".to_string()
        } else {
            name.clone()
        };
        input(format!("{flag}: {e}"))
    })?;
    let signer = load_signer(&a.key)?;
    // A version too large for one entry is filed in parts: a `line` head stating the parts'
    // count and digest, then its `line.part` entries, all in one batch.
    let bodies = lines_in_parts(vec![Body::Line(line)], &author, &signer, time, &name)?;
    let mut seq = dir.sequencer()?;
    let mut ledger = replay(seq.reader())?;
    let (index, envs) = submit(
        dir,
        &mut seq,
        &mut ledger,
        &author,
        &signer,
        time,
        &bodies,
        "lines import",
    )?;
    let rec = ledger
        .line_versions
        .get(&(author.clone(), id.clone()))
        .and_then(|v| v.iter().find(|r| r.index == index))
        .ok_or_else(|| {
            input(format!(
                "line {author}/{id} was appended at {index} but is not in the ledger"
            ))
        })?;
    let doc = lines::document(rec, false);
    let parts = if envs.len() > 1 {
        format!(
            ", in {} parts (indexes {}..={})",
            envs.len() - 1,
            index + 1,
            index + envs.len() as u64 - 1
        )
    } else {
        String::new()
    };
    let text = format!(
        "filed line {author}/{id} at index {index} (entry {}){parts}: {}\n",
        &envs[0].id[..16],
        summary(rec)
    );
    out.print(
        text,
        json!({"index": index, "entry_id": envs[0].id, "parts": envs.len() - 1, "line": doc}),
    )
}

/// A version in one sentence: kind, vertices, size, sectors, validity.
fn summary(rec: &Record<LineVersion>) -> String {
    let l = &rec.value;
    let size = match (l.length_m(), l.area_m2()) {
        (Some(m), _) => format!("{} km", truce_model::geo::km(m / 1e3)),
        (_, Some(a)) => format!("{} km²", truce_model::geo::km(a / 1e6)),
        _ => String::new(),
    };
    let mut s = format!(
        "{}, {} vertices, {size}, {} sector(s), valid from {}",
        l.kind.as_str(),
        l.vertices(),
        l.sectors.len(),
        l.valid_from
    );
    if l.is_retroactive(rec.time) {
        s.push_str(&format!(" (RETROACTIVE: filed {})", rec.time));
    }
    s
}

fn flags(rec: &Record<LineVersion>) -> String {
    let mut f = Vec::new();
    if rec.value.is_retroactive(rec.time) {
        f.push("RETROACTIVE");
    }
    if rec.retracted.is_some() {
        f.push("RETRACTED");
    }
    if !rec.corrections.is_empty() {
        f.push("CORRECTED");
    }
    f.join(" ")
}

fn list(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let ledger = replay(&dir.reader()?)?;
    let mut table = crate::table::new(
        &[
            "AUTHOR",
            "ID",
            "KIND",
            "VALID FROM",
            "FILED",
            "VERTICES",
            "SIZE",
            "SECTORS",
            "FLAGS",
        ],
        &[5, 6, 7],
    );
    let mut empty = true;
    for rec in ledger.line_versions.values().flatten() {
        empty = false;
        let l = &rec.value;
        let size = match (l.length_m(), l.area_m2()) {
            (Some(m), _) => format!("{} km", truce_model::geo::km(m / 1e3)),
            (_, Some(a)) => format!("{} km²", truce_model::geo::km(a / 1e6)),
            _ => String::new(),
        };
        table.add_row(vec![
            rec.author.to_string(),
            l.id.to_string(),
            l.kind.as_str().to_string(),
            l.valid_from.to_string(),
            rec.time.to_string(),
            l.vertices().to_string(),
            size,
            l.sectors.len().to_string(),
            flags(rec),
        ]);
    }
    let mut text = if empty {
        "no lines in the log: file one with `truce lines import`\n".to_string()
    } else {
        crate::table::render(&table)
    };
    // Versions filed in parts whose parts did not all arrive: never visible, said once here.
    for (_, why) in &ledger.incomplete_lines {
        text.push_str(&format!("not visible: {why}\n"));
    }
    out.print(text, lines::list_document(&ledger))
}

fn show(dir: &DataDir, a: &ShowArgs, out: &Out) -> Result<(), Failure> {
    let Some((author, id)) = a.line.split_once('/') else {
        return Err(input(format!(
            "LINE {:?}: write AUTHOR/ID, e.g. osce/loc (`truce lines list` shows them)",
            a.line
        )));
    };
    let (author, id) = (id_arg("LINE's author", author)?, id_arg("LINE's id", id)?);
    let at = a.at.as_deref().map(|t| time_arg("--at", t)).transpose()?;
    let ledger = replay(&dir.reader()?)?;
    let rec = lines::version(&ledger, &author, &id, at).map_err(|e| match e {
        lines::LookupError::NotYet { .. } => input(format!("--at: {e}")),
        _ => {
            // A version filed in parts that never completed says why.
            let name = format!("line {author}/{id} ");
            let why: Vec<&str> = ledger
                .incomplete_lines
                .iter()
                .filter(|(_, w)| w.starts_with(&name))
                .map(|(_, w)| w.as_str())
                .collect();
            if why.is_empty() {
                input(e.to_string())
            } else {
                input(format!("{e}; {}", why.join("; ")))
            }
        }
    })?;
    if a.geojson {
        return out.print_raw(&format!("{}\n", lines::feature(rec)));
    }
    let l = &rec.value;
    let mut text = format!(
        "{author}/{id}: {}\n{}\nfiled at index {} (entry {}) on {}\n",
        l.title,
        summary(rec),
        rec.index,
        &rec.entry_id[..16],
        rec.time
    );
    if let Some(p) = &l.controlled_by {
        text.push_str(&format!("controlled by {p}\n"));
    }
    if let Some(m) = l.approximate_m {
        text.push_str(&format!("approximate: within {m} m\n"));
    }
    if !l.source.is_empty() {
        text.push_str(&format!("source: {}\n", l.source));
    }
    if let Some(r) = &rec.retracted {
        text.push_str(&format!("RETRACTED: {r}\n"));
    }
    for c in &rec.corrections {
        text.push_str(&format!("corrected: {c}\n"));
    }
    if !l.sectors.is_empty() {
        let mut t = crate::table::new(&["SECTOR", "NAME", "FROM KM", "TO KM"], &[2, 3]);
        for s in &l.sectors {
            t.add_row(vec![
                s.id.to_string(),
                s.name.clone(),
                s.from_km.to_string(),
                s.to_km.to_string(),
            ]);
        }
        text.push_str(&crate::table::render(&t));
    }
    out.print(text, lines::document(rec, true))
}

/// Reads FILE's geometry: KML when it is named `.kml` or starts with `<`, GeoJSON otherwise.
fn read_geometry(path: &Path) -> Result<Geometry, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > MAX_FILE {
        return Err(format!(
            "{len} bytes; truce lines import reads at most {MAX_FILE} (a line fits one log entry: 1,500 to 3,000 vertices)"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.starts_with(b"PK") {
        return Err("a KMZ or other zip archive: unzip it and import the .kml inside".into());
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let first = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next();
    if ext == "kml" || first == Some('<') {
        kml_geometry(text)
    } else if first == Some('{') {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not GeoJSON: {e}"))?;
        geojson_geometry(&v, "the document")
    } else {
        Err(
            "neither GeoJSON (a JSON object) nor KML (XML): truce lines import reads these two"
                .into(),
        )
    }
}

fn position(v: &Value, at: &str) -> Result<Point, String> {
    let a = v
        .as_array()
        .filter(|a| (2..=3).contains(&a.len()))
        .ok_or_else(|| format!("{at}: a position is [lon, lat] or [lon, lat, altitude]"))?;
    let n = |x: &Value| {
        x.as_f64()
            .ok_or_else(|| format!("{at}: {x} is not a number"))
    };
    Point::new(n(&a[0])?, n(&a[1])?).map_err(|e| format!("{at}: {e}"))
}

fn positions(v: &Value, at: &str) -> Result<Vec<Point>, String> {
    v.as_array()
        .ok_or_else(|| format!("{at}: coordinates are an array of positions"))?
        .iter()
        .enumerate()
        .map(|(i, p)| position(p, &format!("{at}, position {i}")))
        .collect()
}

fn line_of(v: &Value, at: &str) -> Result<LineString, String> {
    LineString::new(positions(v, at)?).map_err(|e| format!("{at}: {e}"))
}

fn lines_of(v: &Value, at: &str) -> Result<Vec<LineString>, String> {
    v.as_array()
        .ok_or_else(|| format!("{at}: coordinates are an array of lines"))?
        .iter()
        .enumerate()
        .map(|(i, l)| line_of(l, &format!("{at}, line {i}")))
        .collect()
}

/// A GeoJSON object's geometry (see the module docs); `at` names it in errors.
fn geojson_geometry(v: &Value, at: &str) -> Result<Geometry, String> {
    let t = v.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = || {
        v.get("coordinates")
            .ok_or_else(|| format!("{at}: a {t} without coordinates"))
    };
    match t {
        "LineString" => Ok(Geometry::LineString(line_of(coords()?, at)?)),
        "MultiLineString" => Ok(Geometry::MultiLineString(
            MultiLineString::new(lines_of(coords()?, at)?).map_err(|e| format!("{at}: {e}"))?,
        )),
        "Polygon" => {
            let rings = coords()?
                .as_array()
                .ok_or_else(|| format!("{at}: a Polygon's coordinates are an array of rings"))?
                .iter()
                .enumerate()
                .map(|(i, r)| positions(r, &format!("{at}, ring {i}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Geometry::Polygon(
                Polygon::new(rings).map_err(|e| format!("{at}: {e}"))?,
            ))
        }
        "Feature" => match v.get("geometry") {
            Some(g) if g.is_object() => geojson_geometry(g, at),
            _ => Err(format!("{at}: a Feature without a geometry")),
        },
        "FeatureCollection" => {
            let fs = v
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{at}: a FeatureCollection without a features array"))?;
            if let [only] = fs.as_slice() {
                return geojson_geometry(only, "feature 0");
            }
            if fs.is_empty() {
                return Err(format!("{at}: a FeatureCollection with no features"));
            }
            let mut joined = Vec::new();
            for (i, f) in fs.iter().enumerate() {
                let at = format!("feature {i}");
                match geojson_geometry(f, &at)? {
                    Geometry::LineString(l) => joined.push(l),
                    Geometry::MultiLineString(m) => joined.extend(m.lines().iter().cloned()),
                    g => {
                        return Err(format!(
                            "{at}: a {}: the features of a collection are joined into one line, so each is a LineString or MultiLineString (import one polygon alone)",
                            lines::geometry_type(&g)
                        ))
                    }
                }
            }
            Ok(Geometry::MultiLineString(
                MultiLineString::new(joined).map_err(|e| format!("{at}: {e}"))?,
            ))
        }
        "" => Err(format!("{at}: not a GeoJSON object (no \"type\")")),
        other => Err(format!(
            "{at}: a {other} is not a line or an area: truce lines import takes a LineString, MultiLineString or Polygon (a Feature or FeatureCollection of them)"
        )),
    }
}

/// The line (1-based) of byte `at` in `text`.
fn line_no(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A KML document's lines or area: every `<LineString>`'s `<coordinates>` (one line: a
/// LineString; more: a MultiLineString), or one `<Polygon>` (its `<outerBoundaryIs>` and
/// `<innerBoundaryIs>` rings). Only elements, comments, processing instructions, declarations
/// and CDATA are recognised; entities are not expanded (coordinates hold none).
fn kml_geometry(text: &str) -> Result<Geometry, String> {
    let b = text.as_bytes();
    let mut stack: Vec<&str> = Vec::new();
    let mut buf = String::new();
    let mut lines_found: Vec<LineString> = Vec::new();
    let mut polygons: Vec<Vec<Vec<Point>>> = Vec::new();
    let mut open_polygon: Option<Vec<Vec<Point>>> = None;
    let mut i = 0;
    let skip_to = |from: usize, end: &str, what: &str| -> Result<usize, String> {
        text[from..]
            .find(end)
            .map(|k| from + k + end.len())
            .ok_or_else(|| format!("line {}: {what} is not closed", line_no(text, from)))
    };
    while i < b.len() {
        let Some(k) = text[i..].find('<') else {
            if stack.last() == Some(&"coordinates") {
                buf.push_str(&text[i..]);
            }
            break;
        };
        if stack.last() == Some(&"coordinates") {
            buf.push_str(&text[i..i + k]);
        }
        let start = i + k;
        let rest = &text[start..];
        if rest.starts_with("<!--") {
            i = skip_to(start, "-->", "a comment")?;
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            let end = skip_to(start, "]]>", "a CDATA section")?;
            if stack.last() == Some(&"coordinates") {
                buf.push_str(&text[start + 9..end - 3]);
            }
            i = end;
            continue;
        }
        if rest.starts_with("<?") {
            i = skip_to(start, "?>", "a processing instruction")?;
            continue;
        }
        if rest.starts_with("<!") {
            i = skip_to(start, ">", "a declaration")?;
            continue;
        }
        // A tag: up to its '>' outside quotes.
        let mut j = start + 1;
        let mut quote: Option<u8> = None;
        while j < b.len() {
            match (quote, b[j]) {
                (None, b'>') => break,
                (None, q @ (b'"' | b'\'')) => quote = Some(q),
                (Some(q), c) if c == q => quote = None,
                _ => {}
            }
            j += 1;
        }
        if j >= b.len() {
            return Err(format!(
                "line {}: a tag is not closed",
                line_no(text, start)
            ));
        }
        let tag = &text[start + 1..j];
        i = j + 1;
        let closing = tag.starts_with('/');
        let self_closing = tag.ends_with('/');
        let raw = tag
            .trim_start_matches('/')
            .trim_end_matches('/')
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        // Namespace prefixes (kml:, gx:) dropped.
        let name = raw.rsplit(':').next().unwrap_or(raw);
        if name.is_empty() {
            return Err(format!("line {}: an empty tag", line_no(text, start)));
        }
        if closing {
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => {
                    return Err(format!(
                        "line {}: </{name}> closes <{open}>",
                        line_no(text, start)
                    ))
                }
                None => {
                    return Err(format!(
                        "line {}: </{name}> closes nothing",
                        line_no(text, start)
                    ))
                }
            }
            match name {
                "coordinates" => {
                    let pts = kml_coordinates(&buf)
                        .map_err(|e| format!("line {}: {e}", line_no(text, start)))?;
                    buf.clear();
                    let here = |s: &str| stack.contains(&s);
                    let at = line_no(text, start);
                    match stack.last() {
                        Some(&"LineString") => lines_found.push(
                            LineString::new(pts).map_err(|e| format!("line {at}: {e}"))?,
                        ),
                        Some(&"LinearRing") if here("Polygon") => {
                            let Some(p) = open_polygon.as_mut() else {
                                return Err(format!("line {at}: a ring outside a <Polygon>"));
                            };
                            if here("outerBoundaryIs") {
                                if !p.is_empty() {
                                    return Err(format!(
                                        "line {at}: a second outer boundary in one <Polygon>"
                                    ));
                                }
                                p.push(pts);
                            } else if here("innerBoundaryIs") {
                                if p.is_empty() {
                                    return Err(format!(
                                        "line {at}: an inner boundary before the outer one"
                                    ));
                                }
                                p.push(pts);
                            } else {
                                return Err(format!(
                                    "line {at}: a <LinearRing> in neither <outerBoundaryIs> nor <innerBoundaryIs>"
                                ));
                            }
                        }
                        other => {
                            return Err(format!(
                                "line {at}: <coordinates> in <{}>: truce lines import reads those of <LineString> and <Polygon> only",
                                other.copied().unwrap_or("the document")
                            ))
                        }
                    }
                }
                "Polygon" => {
                    let p = open_polygon.take().unwrap_or_default();
                    if p.is_empty() {
                        return Err(format!(
                            "line {}: a <Polygon> without an outer boundary",
                            line_no(text, start)
                        ));
                    }
                    polygons.push(p);
                }
                _ => {}
            }
            continue;
        }
        match name {
            "Point" | "Track" | "MultiTrack" | "Model" | "LatLonQuad" => {
                return Err(format!(
                    "line {}: a <{name}> is not a line or an area: truce lines import takes <LineString> and <Polygon> only (remove the others)",
                    line_no(text, start)
                ))
            }
            "Polygon" if !self_closing => {
                if open_polygon.is_some() {
                    return Err(format!(
                        "line {}: a <Polygon> inside a <Polygon>",
                        line_no(text, start)
                    ));
                }
                open_polygon = Some(Vec::new());
            }
            _ => {}
        }
        if !self_closing {
            if stack.len() >= MAX_DEPTH {
                return Err(format!(
                    "line {}: elements nested deeper than {MAX_DEPTH}",
                    line_no(text, start)
                ));
            }
            stack.push(name);
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{open}> is not closed at the end of the file"));
    }
    match (lines_found.len(), polygons.len()) {
        (0, 0) => Err("no <LineString> or <Polygon> in it".into()),
        (1, 0) => Ok(Geometry::LineString(lines_found.remove(0))),
        (_, 0) => Ok(Geometry::MultiLineString(
            MultiLineString::new(lines_found).map_err(|e| e.to_string())?,
        )),
        (0, 1) => Ok(Geometry::Polygon(
            Polygon::new(polygons.remove(0)).map_err(|e| e.to_string())?,
        )),
        (l, p) => Err(format!(
            "it holds {p} polygon(s) and {l} line(s): import one area alone, or lines only"
        )),
    }
}

/// KML `<coordinates>`: `lon,lat[,alt]` tuples separated by white space.
fn kml_coordinates(s: &str) -> Result<Vec<Point>, String> {
    s.split_whitespace()
        .enumerate()
        .map(|(i, t)| {
            let parts: Vec<&str> = t.split(',').collect();
            if !(2..=3).contains(&parts.len()) {
                return Err(format!(
                    "coordinates tuple {i} {t:?}: write lon,lat or lon,lat,altitude"
                ));
            }
            let n = |x: &str| {
                x.parse::<f64>()
                    .map_err(|_| format!("coordinates tuple {i} {t:?}: {x:?} is not a number"))
            };
            Point::new(n(parts[0])?, n(parts[1])?)
                .map_err(|e| format!("coordinates tuple {i}: {e}"))
        })
        .collect()
}

/// The sectors of a CSV file with the columns id,name,from_km,to_km (any order, a header row).
fn read_sectors(path: &Path) -> Result<Vec<Sector>, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > MAX_FILE {
        return Err(format!("{len} bytes; at most {MAX_FILE}"));
    }
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| e.to_string())?;
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no {name} column: the header is id,name,from_km,to_km"))
    };
    let (ci, cn, cf, ct) = (col("id")?, col("name")?, col("from_km")?, col("to_km")?);
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if out.len() >= lines::MAX_SECTORS {
            return Err(format!(
                "line {line}: more than {} sectors",
                lines::MAX_SECTORS
            ));
        }
        let field = |c: usize| rec.get(c).unwrap_or("");
        let km = |c: usize, what: &str| {
            field(c)
                .parse::<f64>()
                .map_err(|_| format!("line {line}: {what} {:?} is not a number of km", field(c)))
        };
        out.push(Sector {
            id: Id::new(field(ci)).map_err(|e| format!("line {line}: id: {e}"))?,
            name: field(cn).to_string(),
            from_km: km(cf, "from_km")?,
            to_km: km(ct, "to_km")?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kml_lines_and_polygons_are_read() {
        let kml = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><!-- a <LineString> in a comment -->
<Placemark><name>a &amp; b</name><LineString><coordinates>
  37.5,48.0,0 37.8,48.3,0
  38.0,48.6
</coordinates></LineString></Placemark>
</Document></kml>"#;
        let Geometry::LineString(l) = kml_geometry(kml).unwrap() else {
            panic!()
        };
        assert_eq!(l.points().len(), 3);
        let two = kml.replace(
            "</Placemark>",
            "</Placemark><Placemark><kml:LineString><coordinates>39,49 39.5,49.5</coordinates></kml:LineString></Placemark>",
        );
        assert!(matches!(
            kml_geometry(&two).unwrap(),
            Geometry::MultiLineString(m) if m.lines().len() == 2
        ));
        let poly = r#"<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>
0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs><innerBoundaryIs><LinearRing>
<coordinates>0.5,0.1 0.6,0.1 0.6,0.2 0.5,0.1</coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark></kml>"#;
        let Geometry::Polygon(p) = kml_geometry(poly).unwrap() else {
            panic!()
        };
        assert_eq!(p.rings().len(), 2);
        let bad = |t: &str, want: &str| {
            let e = kml_geometry(t).unwrap_err();
            assert!(e.contains(want), "{want}: {e}");
        };
        bad(
            "<kml><Placemark><Point><coordinates>1,2</coordinates></Point></Placemark></kml>",
            "line 1: a <Point> is not a line",
        );
        bad("<kml><Document></kml>", "</kml> closes <Document>");
        bad(
            "<kml>\n<LineString><coordinates>1,2 x,3</coordinates></LineString></kml>",
            "line 2: coordinates tuple 1 \"x,3\": \"x\" is not a number",
        );
        bad("<kml><Document/></kml>", "no <LineString> or <Polygon>");
        bad(
            &format!("{}{}", "<a>".repeat(70), "</a>".repeat(70)),
            "deeper than 64",
        );
        bad(
            &format!(
                "<kml>{}{}</kml>",
                poly.replace("<kml>", "").replace("</kml>", ""),
                "<LineString><coordinates>1,2 3,4</coordinates></LineString>"
            ),
            "1 polygon(s) and 1 line(s)",
        );
    }

    #[test]
    fn geojson_collections_are_joined() {
        let f = |coords: Value| json!({"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": coords}});
        let fc = json!({"type": "FeatureCollection", "features": [f(json!([[0, 0], [1, 0, 5]])), f(json!([[2, 0], [3, 0]]))]});
        assert!(matches!(
            geojson_geometry(&fc, "the document").unwrap(),
            Geometry::MultiLineString(m) if m.lines().len() == 2
        ));
        let one = json!({"type": "FeatureCollection", "features": [f(json!([[0, 0], [1, 0]]))]});
        assert!(matches!(
            geojson_geometry(&one, "the document").unwrap(),
            Geometry::LineString(_)
        ));
        let poly = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}});
        let mixed =
            json!({"type": "FeatureCollection", "features": [f(json!([[0, 0], [1, 0]])), poly]});
        let e = geojson_geometry(&mixed, "the document").unwrap_err();
        assert!(e.starts_with("feature 1: a Polygon"), "{e}");
        let e = geojson_geometry(
            &json!({"type": "MultiPolygon", "coordinates": []}),
            "the document",
        )
        .unwrap_err();
        assert!(e.contains("a MultiPolygon is not a line or an area"), "{e}");
        let e = geojson_geometry(&f(json!([[0, 0], [200, 0]])), "feature 3").unwrap_err();
        assert!(e.contains("feature 3, position 1: longitude 200"), "{e}");
    }
}
