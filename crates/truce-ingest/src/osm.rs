//! Protected sites from an OpenStreetMap PBF extract (e.g. Geofabrik's `ukraine-latest.osm.pbf`),
//! read with `osmpbf` (plain and dense nodes, any element order).
//!
//! | Tags | Category |
//! |---|---|
//! | `power=plant` + `plant:source=nuclear` | `energy.nuclear` |
//! | `power=plant` + `plant:source=hydro` | `energy.hydro.dam` |
//! | `power=plant` (any other source) | `energy.power.plant` |
//! | `power=generator` + `generator:source=nuclear` | `energy.nuclear` |
//! | `power=generator` + `generator:output:electricity` ≥ 50 MW | `energy.power.plant` |
//! | `power=generator`, smaller or output unknown | skipped: "small generator" |
//! | `power=substation` | `energy.power.substation` |
//! | `power=transformer` | `energy.power.transformer` |
//! | `pipeline=substation` + `substation=measurement` | `energy.gas.metering` |
//! | `pipeline=substation` + `substation=compression` | `energy.gas.compression` |
//! | either of the two above with `substance`/`type` oil | `energy.oil.pumping` |
//! | `pipeline=substation`, other kind or substance | skipped |
//! | `industrial=refinery`, or `man_made=works` + `product` oil | `energy.oil.refinery` |
//! | `man_made=storage_tank` + `content`/`substance` oil | `energy.oil.storage` |
//! | `man_made=storage_tank` + `content`/`substance` gas | `energy.gas.storage` |
//! | `man_made=storage_tank`, other or no content | skipped |
//! | `waterway=dam` (whether or not it generates power) | `energy.hydro.dam` |
//!
//! "Oil" is `oil`, `crude_oil`, `fuel` or `petroleum`; "gas" is `gas` or `natural_gas`; a
//! pipeline substation without `substance`/`type` counts as gas. Values may be `;` lists. Output
//! needs a unit (`W`, `kW`, `MW`, `GW`); `yes` or a bare number counts as unknown. The first row that
//! matches wins; a refused tag does not hide a later match (a small generator on a dam is a dam).
//!
//! Geometry: a node is a Point; a closed way (≥ 4 nodes, first = last) is a Polygon; an open way
//! (a dam drawn as a line) is the Point of its middle node. A `type=multipolygon` relation uses its
//! `outer` (or role-less) member ways, joined end to end: one closed ring gives a Polygon (holes
//! are ignored: a site's footprint includes its courtyards); several rings, or segments that do not
//! close, give the Point at the mean of the outer ways' distinct nodes, without a skip. An element
//! whose node or outer way is not in the extract is skipped with a reason.
//!
//! Site id `osm-way-123` (`node`, `way`, `relation`); name from `name:en`, else `name`, else
//! `"<category> (osm way 123)"`; source `"OpenStreetMap contributors (ODbL), way/123"`.
//!
//! Ways need their nodes' coordinates and relations their ways', so the extract is read three times
//! (tagged ways and relations; member ways, only if a multipolygon matched; nodes), keeping only
//! the tagged elements and the node ids they reference. [`read_sites_from`] reopens the input for
//! each pass and so streams extracts of any size; [`read_sites`] buffers its input in memory first.

use crate::IngestError;
use osmpbf::{Element, ElementReader, RelMemberType};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Display;
use std::io::{self, BufReader, Read};
use truce_model::domain::{Id, Site};
use truce_model::geo::{Geometry, Point, Polygon};
use truce_model::taxonomy::Category;

/// What an extract yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsmReport {
    /// Sites: nodes, then ways, then relations, each by ascending OSM id.
    pub sites: Vec<Site>,
    /// Elements tagged like a site but refused, as (`"way/123"`, reason), in the same order.
    pub skipped: Vec<(String, String)>,
}

const OIL: &[&str] = &["oil", "crude_oil", "fuel", "petroleum"];
const GAS: &[&str] = &["gas", "natural_gas"];

/// The category a set of tags maps to (see the module table), or `None`.
pub fn category_for_tags(tags: &[(&str, &str)]) -> Option<&'static str> {
    classify(tags).ok()
}

/// `Ok(category)`, `Err(Some(reason))` for a refused site, `Err(None)` for anything else.
fn classify(t: &[(&str, &str)]) -> Result<&'static str, Option<&'static str>> {
    let get = |k: &str| t.iter().find(|(key, _)| *key == k).map(|(_, v)| v.trim());
    let any = |k: &str, vals: &[&str]| {
        get(k).is_some_and(|v| v.split(';').any(|x| vals.contains(&x.trim())))
    };
    let is = |k: &str, v: &str| any(k, &[v]);
    let big = || {
        get("generator:output:electricity")
            .and_then(megawatts)
            .is_some_and(|mw| mw >= 50.0)
    };
    let mut refused = None;
    match get("power") {
        Some("plant") if is("plant:source", "nuclear") => return Ok("energy.nuclear"),
        Some("plant") if is("plant:source", "hydro") => return Ok("energy.hydro.dam"),
        Some("plant") => return Ok("energy.power.plant"),
        Some("generator") if is("generator:source", "nuclear") => return Ok("energy.nuclear"),
        Some("generator") if big() => return Ok("energy.power.plant"),
        Some("generator") => refused = Some("small generator"),
        Some("substation") => return Ok("energy.power.substation"),
        Some("transformer") => return Ok("energy.power.transformer"),
        _ => {}
    }
    if is("pipeline", "substation") {
        let carries = |set: &[&str]| any("substance", set) || any("type", set);
        let unknown = get("substance").or(get("type")).is_none();
        match get("substation") {
            Some("measurement" | "compression") if carries(OIL) => return Ok("energy.oil.pumping"),
            Some("measurement") if unknown || carries(GAS) => return Ok("energy.gas.metering"),
            Some("compression") if unknown || carries(GAS) => return Ok("energy.gas.compression"),
            _ => {
                refused = refused.or(Some(
                    "pipeline substation is not a gas or oil metering or compressor station",
                ))
            }
        }
    }
    if is("industrial", "refinery") || (is("man_made", "works") && any("product", OIL)) {
        return Ok("energy.oil.refinery");
    }
    if is("man_made", "storage_tank") {
        if any("content", OIL) || any("substance", OIL) {
            return Ok("energy.oil.storage");
        }
        if any("content", GAS) || any("substance", GAS) {
            return Ok("energy.gas.storage");
        }
        refused = refused.or(Some("storage tank holds neither oil nor gas"));
    }
    if is("waterway", "dam") {
        return Ok("energy.hydro.dam");
    }
    Err(refused)
}

/// `"50 MW"`, `"2.5MW"`, `"800 kW"`, `"1 GW"` in megawatts; `None` without a known unit.
fn megawatts(v: &str) -> Option<f64> {
    let at = v.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = v.split_at(at);
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "w" => 1e-6,
        "kw" => 1e-3,
        "mw" => 1.0,
        "gw" => 1e3,
        _ => return None,
    };
    num.parse::<f64>().ok().map(|n| n * scale)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Node,
    Way,
    Relation,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Node => "node",
            Kind::Way => "way",
            Kind::Relation => "relation",
        }
    }
}

/// An element that maps to a category; `refs` are node ids (way) or outer way ids (relation).
struct Tagged {
    key: (Kind, i64),
    category: &'static str,
    name: Option<String>,
    refs: Vec<i64>,
}

#[derive(Default)]
struct Out {
    sites: Vec<((Kind, i64), Site)>,
    skipped: Vec<((Kind, i64), (String, String))>,
}

fn osm_ref((kind, id): (Kind, i64)) -> String {
    format!("{}/{id}", kind.name())
}

impl Out {
    fn tagged(&mut self, key: (Kind, i64), tags: &[(&str, &str)]) -> Option<Tagged> {
        match classify(tags) {
            Ok(category) => Some(Tagged {
                key,
                category,
                name: ["name:en", "name"].iter().find_map(|k| {
                    let v = tags.iter().find(|(t, _)| t == k)?.1.trim();
                    (!v.is_empty()).then(|| v.to_string())
                }),
                refs: Vec::new(),
            }),
            Err(Some(reason)) => {
                self.skipped.push((key, (osm_ref(key), reason.into())));
                None
            }
            Err(None) => None,
        }
    }

    fn finish(&mut self, t: Tagged, geometry: Result<Geometry, String>) {
        let (kind, id) = t.key;
        let r = osm_ref(t.key);
        let site = geometry.and_then(|geometry| {
            Ok(Site {
                id: Id::new(&format!("osm-{}-{id}", kind.name()))?,
                name: t
                    .name
                    .unwrap_or_else(|| format!("{} (osm {} {id})", t.category, kind.name())),
                category: Category::new(t.category)?,
                geometry,
                approximate_m: None,
                effective_from: None,
                source: format!("OpenStreetMap contributors (ODbL), {r}"),
            })
        });
        match site {
            Ok(s) => self.sites.push((t.key, s)),
            Err(e) => self.skipped.push((t.key, (r, e))),
        }
    }
}

fn fail(e: impl Display) -> IngestError {
    IngestError {
        line: None,
        field: None,
        reason: format!("cannot read the OpenStreetMap PBF extract: {e}"),
    }
}

fn pass<R: Read + Send>(
    open: &mut impl FnMut() -> io::Result<R>,
    f: impl for<'a> FnMut(Element<'a>),
) -> Result<(), IngestError> {
    let reader = ElementReader::new(BufReader::new(open().map_err(fail)?));
    // osmpbf panics on some malformed blocks: it computes positions with unchecked arithmetic
    // (offset + granularity × delta, a panic wherever overflow checks are on) and unwraps enum
    // values (a relation member's type) that may be unknown. Refuse the file instead.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.for_each(f)))
        .map_err(|_| {
            fail("a malformed block (coordinates that overflow, or a value outside the format's enumerations): a corrupt or hostile extract; re-download or re-export it")
        })?
        .map_err(fail)
}

/// Reads every site, buffering the whole input in memory (it is read three times). For large
/// extracts prefer [`read_sites_from`].
pub fn read_sites<R: Read>(mut input: R) -> Result<OsmReport, IngestError> {
    let mut buf = Vec::new();
    input.read_to_end(&mut buf).map_err(fail)?;
    read_sites_from(|| Ok(buf.as_slice()))
}

/// Reads every site, calling `open` for each pass (up to three), e.g.
/// `read_sites_from(|| File::open(&path))`. Each call must yield the same extract.
pub fn read_sites_from<R: Read + Send>(
    mut open: impl FnMut() -> io::Result<R>,
) -> Result<OsmReport, IngestError> {
    let mut out = Out::default();
    let (mut ways, mut rels) = (Vec::new(), Vec::new());
    pass(&mut open, |el| match el {
        Element::Way(w) => {
            let tags: Vec<_> = w.tags().collect();
            if let Some(t) = out.tagged((Kind::Way, w.id()), &tags) {
                ways.push(Tagged {
                    refs: w.refs().collect(),
                    ..t
                });
            }
        }
        Element::Relation(r) => {
            let tags: Vec<_> = r.tags().collect();
            if !tags.contains(&("type", "multipolygon")) {
                return;
            }
            if let Some(t) = out.tagged((Kind::Relation, r.id()), &tags) {
                let outer = r.members().filter(|m| {
                    m.member_type == RelMemberType::Way && matches!(m.role(), Ok("outer" | ""))
                });
                rels.push(Tagged {
                    refs: outer.map(|m| m.member_id).collect(),
                    ..t
                });
            }
        }
        _ => {}
    })?;

    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    if !rels.is_empty() {
        let wanted: HashSet<i64> = rels.iter().flat_map(|r| r.refs.iter().copied()).collect();
        pass(&mut open, |el| {
            if let Element::Way(w) = el {
                if wanted.contains(&w.id()) {
                    members.insert(w.id(), w.refs().collect());
                }
            }
        })?;
    }

    let needed: HashSet<i64> = ways
        .iter()
        .flat_map(|w| w.refs.iter())
        .chain(members.values().flatten())
        .copied()
        .collect();
    let mut coords: HashMap<i64, (f64, f64)> = HashMap::new();
    pass(&mut open, |el| {
        let (id, lon, lat, tags): (_, _, _, Vec<_>) = match el {
            Element::Node(n) => (n.id(), n.lon(), n.lat(), n.tags().collect()),
            Element::DenseNode(n) => (n.id(), n.lon(), n.lat(), n.tags().collect()),
            _ => return,
        };
        if needed.contains(&id) {
            coords.insert(id, (lon, lat));
        }
        if let Some(t) = out.tagged((Kind::Node, id), &tags) {
            out.finish(t, Point::new(lon, lat).map(Geometry::Point));
        }
    })?;

    let point = |id: i64| -> Result<Point, String> {
        let &(lon, lat) = coords
            .get(&id)
            .ok_or_else(|| format!("node {id} is missing from the extract"))?;
        Point::new(lon, lat).map_err(|e| format!("node {id}: {e}"))
    };
    for w in ways {
        let g = way_geometry(&w.refs, &point);
        out.finish(w, g);
    }
    for r in rels {
        let g = relation_geometry(&r.refs, &members, &point);
        out.finish(r, g);
    }

    out.sites.sort_by_key(|(k, _)| *k);
    out.skipped.sort_by_key(|(k, _)| *k);
    Ok(OsmReport {
        sites: out.sites.into_iter().map(|(_, s)| s).collect(),
        skipped: out.skipped.into_iter().map(|(_, s)| s).collect(),
    })
}

fn way_geometry(
    refs: &[i64],
    point: &impl Fn(i64) -> Result<Point, String>,
) -> Result<Geometry, String> {
    let pts = refs
        .iter()
        .map(|&id| point(id))
        .collect::<Result<Vec<_>, _>>()?;
    if refs.len() >= 4 && refs.first() == refs.last() {
        return Polygon::new(vec![pts]).map(Geometry::Polygon);
    }
    pts.get(pts.len() / 2)
        .map(|p| Geometry::Point(*p))
        .ok_or_else(|| "way has no nodes".into())
}

fn relation_geometry(
    outer: &[i64],
    members: &HashMap<i64, Vec<i64>>,
    point: &impl Fn(i64) -> Result<Point, String>,
) -> Result<Geometry, String> {
    if outer.is_empty() {
        return Err("multipolygon has no outer ways".into());
    }
    let segs = outer
        .iter()
        .map(|w| {
            members
                .get(w)
                .filter(|r| !r.is_empty())
                .cloned()
                .ok_or_else(|| format!("outer way {w} is missing from the extract"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let pts = segs
        .iter()
        .flatten()
        .map(|&id| point(id).map(|p| (id, p)))
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    if let Some([ring]) = join_rings(segs).as_deref() {
        let ring = ring.iter().filter_map(|id| pts.get(id).copied()).collect();
        if let Ok(p) = Polygon::new(vec![ring]) {
            return Ok(Geometry::Polygon(p));
        }
    }
    let n = pts.len() as f64;
    let (lon, lat) = pts
        .values()
        .fold((0.0, 0.0), |(x, y), p| (x + p.lon() / n, y + p.lat() / n));
    Point::new(lon, lat).map(Geometry::Point)
}

/// Joins node-id segments end to end (reversing as needed) into closed rings; `None` if some
/// segment cannot be closed.
fn join_rings(mut segs: Vec<Vec<i64>>) -> Option<Vec<Vec<i64>>> {
    segs.reverse();
    let mut rings = Vec::new();
    while let Some(mut ring) = segs.pop() {
        while ring.len() < 2 || ring.first() != ring.last() {
            let end = *ring.last()?;
            let i = segs
                .iter()
                .position(|s| s.first() == Some(&end) || s.last() == Some(&end))?;
            let mut s = segs.remove(i);
            if s.first() != Some(&end) {
                s.reverse();
            }
            ring.extend(s.into_iter().skip(1));
        }
        rings.push(ring);
    }
    Some(rings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_tags_to_categories() {
        let c = category_for_tags;
        assert_eq!(
            c(&[("power", "plant"), ("plant:source", "nuclear")]),
            Some("energy.nuclear")
        );
        assert_eq!(
            c(&[("power", "plant"), ("plant:source", "hydro")]),
            Some("energy.hydro.dam")
        );
        assert_eq!(
            c(&[("power", "plant"), ("plant:source", "gas;coal")]),
            Some("energy.power.plant")
        );
        assert_eq!(
            c(&[("power", "generator"), ("generator:source", "nuclear")]),
            Some("energy.nuclear")
        );
        let gen = |out| {
            c(&[
                ("power", "generator"),
                ("generator:output:electricity", out),
            ])
        };
        assert_eq!(gen("50 MW"), Some("energy.power.plant"));
        assert_eq!(gen("1.2GW"), Some("energy.power.plant"));
        assert_eq!(
            (gen("49.9 MW"), gen("800 kW"), gen("yes"), gen("60")),
            (None, None, None, None)
        );
        assert_eq!(
            c(&[("power", "substation")]),
            Some("energy.power.substation")
        );
        assert_eq!(
            c(&[("power", "transformer")]),
            Some("energy.power.transformer")
        );
        let ps = |kind, extra: (&'static str, &'static str)| {
            c(&[("pipeline", "substation"), ("substation", kind), extra])
        };
        assert_eq!(
            ps("measurement", ("name", "x")),
            Some("energy.gas.metering")
        );
        assert_eq!(
            ps("measurement", ("substance", "gas")),
            Some("energy.gas.metering")
        );
        assert_eq!(
            ps("compression", ("substance", "gas")),
            Some("energy.gas.compression")
        );
        assert_eq!(
            ps("compression", ("type", "oil")),
            Some("energy.oil.pumping")
        );
        assert_eq!(
            ps("measurement", ("substance", "oil")),
            Some("energy.oil.pumping")
        );
        assert_eq!(
            (
                ps("measurement", ("substance", "water")),
                ps("valve", ("substance", "gas"))
            ),
            (None, None)
        );
        assert_eq!(
            c(&[("industrial", "refinery")]),
            Some("energy.oil.refinery")
        );
        assert_eq!(
            c(&[("man_made", "works"), ("product", "oil;gasoline")]),
            Some("energy.oil.refinery")
        );
        assert_eq!(c(&[("man_made", "works"), ("product", "bread")]), None);
        let tank = |k, v| c(&[("man_made", "storage_tank"), (k, v)]);
        assert_eq!(tank("content", "fuel"), Some("energy.oil.storage"));
        assert_eq!(tank("substance", "petroleum"), Some("energy.oil.storage"));
        assert_eq!(tank("content", "gas"), Some("energy.gas.storage"));
        assert_eq!(tank("content", "water"), None);
        assert_eq!(c(&[("waterway", "dam")]), Some("energy.hydro.dam"));
        assert_eq!(
            c(&[("power", "generator"), ("waterway", "dam")]),
            Some("energy.hydro.dam")
        );
        assert_eq!(
            (c(&[]), c(&[("building", "yes")]), c(&[("power", "line")])),
            (None, None, None)
        );
    }

    #[test]
    fn refusals_carry_reasons_and_categories_exist() {
        assert_eq!(
            classify(&[("power", "generator")]),
            Err(Some("small generator"))
        );
        assert_eq!(
            classify(&[("man_made", "storage_tank")]),
            Err(Some("storage tank holds neither oil nor gas"))
        );
        assert_eq!(classify(&[("amenity", "school")]), Err(None));
        for tags in [
            &[("power", "plant")][..],
            &[("power", "generator"), ("generator:source", "nuclear")],
            &[("power", "substation")],
            &[("power", "transformer")],
            &[("pipeline", "substation"), ("substation", "measurement")],
            &[("pipeline", "substation"), ("substation", "compression")],
            &[
                ("pipeline", "substation"),
                ("substation", "compression"),
                ("substance", "oil"),
            ],
            &[("industrial", "refinery")],
            &[("man_made", "storage_tank"), ("content", "oil")],
            &[("man_made", "storage_tank"), ("content", "gas")],
            &[("waterway", "dam")],
        ] {
            let cat = category_for_tags(tags).expect("mapped");
            assert!(Category::new(cat).is_ok(), "{cat}");
        }
    }

    #[test]
    fn joins_rings_and_refuses_garbage() {
        assert_eq!(
            join_rings(vec![vec![1, 2, 3], vec![1, 4, 3]]),
            Some(vec![vec![1, 2, 3, 4, 1]])
        );
        assert_eq!(join_rings(vec![vec![1, 2, 3], vec![4, 5]]), None);
        assert_eq!(
            join_rings(vec![vec![1, 2, 1], vec![3, 4, 3]]).map(|r| r.len()),
            Some(2)
        );
        let e = read_sites("<osm/>".as_bytes()).unwrap_err();
        assert!(
            e.reason
                .starts_with("cannot read the OpenStreetMap PBF extract"),
            "{e}"
        );
        assert_eq!(read_sites(&[][..]).unwrap(), OsmReport::default());
    }

    #[test]
    fn unjoinable_multipolygons_fall_back_to_a_point() {
        let point = |id: i64| Point::new(id as f64, 0.0);
        let ways = HashMap::from([(1, vec![0, 2, 4]), (2, vec![4, 6]), (3, vec![0, 1, 2, 0])]);
        let g = |outer: &[i64]| relation_geometry(outer, &ways, &point);
        assert_eq!(
            g(&[1, 2]),
            Ok(Geometry::Point(Point::new(3.0, 0.0).unwrap()))
        );
        assert_eq!(g(&[3]).map(|g| matches!(g, Geometry::Polygon(_))), Ok(true));
        assert_eq!(
            g(&[1, 9]),
            Err("outer way 9 is missing from the extract".into())
        );
        assert_eq!(g(&[]), Err("multipolygon has no outer ways".into()));
        let w = |refs: &[i64]| way_geometry(refs, &point);
        assert_eq!(
            w(&[1, 5, 9]),
            Ok(Geometry::Point(Point::new(5.0, 0.0).unwrap()))
        );
        assert_eq!(w(&[]), Err("way has no nodes".into()));
        assert!(w(&[0, 200]).unwrap_err().contains("longitude 200"));
    }
}
