//! Geometry values that cannot be invalid: latitudes in [-90, 90], longitudes in [-180, 180],
//! closed polygon rings of at least four positions, lines of at least two positions. Positions
//! are written `[lon, lat]` as in GeoJSON.
//!
//! Decoding checks only what every entry ever logged met (range, closure, counts), so replaying
//! an old log accepts what it did. The stricter shape rules a *new* site must meet —
//! [`Geometry::check_shape`]: no self-intersection, holes inside their outer ring and apart from
//! each other, at least three distinct corners, no ring around or on a pole, nothing crossing the
//! antimeridian — are applied at submission (`Ledger::admit`, the site readers of `truce sites
//! import`), with `geo`'s OGC validity checks ([`geo::Validation`]). Ring orientation is not
//! refused (RFC 7946 §3.1.6 asks parsers not to): sizes are measured either way round.
//!
//! [`Geometry::measure`] gives a site's geodesic size on WGS84 (Karney): the area of a polygon,
//! the length of a line. The engine bounds sites by it (truce-rules/5).

use serde::{Deserialize, Serialize};

/// A WGS84 position, validated on construction and on deserialisation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[f64; 2]", into = "[f64; 2]")]
pub struct Point {
    lon: f64,
    lat: f64,
}

impl Point {
    /// A point from longitude and latitude in degrees.
    pub fn new(lon: f64, lat: f64) -> Result<Self, String> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(format!("latitude {lat} is out of range: it must be within -90..90 (positions are [lon, lat])"));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(format!(
                "longitude {lon} is out of range: it must be within -180..180"
            ));
        }
        Ok(Point { lon, lat })
    }
    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.lon
    }
    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat
    }
}

impl TryFrom<[f64; 2]> for Point {
    type Error = String;
    fn try_from(v: [f64; 2]) -> Result<Self, String> {
        Point::new(v[0], v[1])
    }
}

impl From<Point> for [f64; 2] {
    fn from(p: Point) -> Self {
        [p.lon, p.lat]
    }
}

/// A polygon: an outer ring and optional holes, each closed (first position = last) with at
/// least four positions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Vec<Point>>", into = "Vec<Vec<Point>>")]
pub struct Polygon {
    rings: Vec<Vec<Point>>,
}

impl Polygon {
    /// Builds a polygon from rings, validating them.
    pub fn new(rings: Vec<Vec<Point>>) -> Result<Self, String> {
        if rings.is_empty() {
            return Err("a polygon needs an outer ring".into());
        }
        for (i, r) in rings.iter().enumerate() {
            if r.len() < 4 {
                return Err(format!(
                    "ring {i} has {} positions; a closed ring needs at least 4",
                    r.len()
                ));
            }
            if r.first() != r.last() {
                return Err(format!(
                    "ring {i} is not closed: its last position must repeat its first"
                ));
            }
        }
        Ok(Polygon { rings })
    }
    /// The rings, outer first.
    pub fn rings(&self) -> &[Vec<Point>] {
        &self.rings
    }
}

impl TryFrom<Vec<Vec<Point>>> for Polygon {
    type Error = String;
    fn try_from(v: Vec<Vec<Point>>) -> Result<Self, String> {
        Polygon::new(v)
    }
}

impl From<Polygon> for Vec<Vec<Point>> {
    fn from(p: Polygon) -> Self {
        p.rings
    }
}

/// A line (a pipeline, a power line): at least two positions, joined by geodesics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Point>", into = "Vec<Point>")]
pub struct LineString {
    points: Vec<Point>,
}

impl LineString {
    /// Builds a line from its positions (at least two).
    pub fn new(points: Vec<Point>) -> Result<Self, String> {
        if points.len() < 2 {
            return Err(format!(
                "a line has {} position(s); it needs at least 2",
                points.len()
            ));
        }
        Ok(LineString { points })
    }
    /// The positions, in order.
    pub fn points(&self) -> &[Point] {
        &self.points
    }
}

impl TryFrom<Vec<Point>> for LineString {
    type Error = String;
    fn try_from(v: Vec<Point>) -> Result<Self, String> {
        LineString::new(v)
    }
}

impl From<LineString> for Vec<Point> {
    fn from(l: LineString) -> Self {
        l.points
    }
}

/// Several lines (a pipeline in sections, a line split at the antimeridian): at least one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<LineString>", into = "Vec<LineString>")]
pub struct MultiLineString {
    lines: Vec<LineString>,
}

impl MultiLineString {
    /// Builds a multi-line from its lines (at least one).
    pub fn new(lines: Vec<LineString>) -> Result<Self, String> {
        if lines.is_empty() {
            return Err("a MultiLineString needs at least one line".into());
        }
        Ok(MultiLineString { lines })
    }
    /// The lines.
    pub fn lines(&self) -> &[LineString] {
        &self.lines
    }
}

impl TryFrom<Vec<LineString>> for MultiLineString {
    type Error = String;
    fn try_from(v: Vec<LineString>) -> Result<Self, String> {
        MultiLineString::new(v)
    }
}

impl From<MultiLineString> for Vec<LineString> {
    fn from(m: MultiLineString) -> Self {
        m.lines
    }
}

/// A site's or zone's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum Geometry {
    /// A point `[lon, lat]`.
    Point(Point),
    /// A polygon.
    Polygon(Polygon),
    /// A line (pipelines, power lines).
    LineString(LineString),
    /// Several lines.
    MultiLineString(MultiLineString),
}

/// A site's geodesic size on WGS84.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// A point: no size (its `approximate_m` is its reach).
    Point,
    /// A polygon's area in square metres (outer ring less its holes).
    Area(f64),
    /// A line's length in metres (all its lines).
    Length(f64),
}

impl Measure {
    /// The size in words: `"12.3 km²"`, `"4,100 km"` style (one decimal below 100).
    pub fn words(&self) -> String {
        match self {
            Measure::Point => "a point".into(),
            Measure::Area(m2) => format!("{} km²", km(m2 / 1e6)),
            Measure::Length(m) => format!("{} km", km(m / 1e3)),
        }
    }
}

/// A number of kilometres (or km²) in words: one decimal below 100 (none for a whole number),
/// whole above, with thousands separated by commas.
pub fn km(x: f64) -> String {
    if x < 100.0 && x.fract() != 0.0 {
        return format!("{x:.1}");
    }
    let whole = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn geo_line(pts: &[Point]) -> geo::LineString<f64> {
    geo::LineString::from(pts.iter().map(|p| (p.lon, p.lat)).collect::<Vec<_>>())
}

fn geo_polygon(p: &Polygon) -> geo::Polygon<f64> {
    let mut rings = p.rings.iter().map(|r| geo_line(r));
    let outer = rings
        .next()
        .unwrap_or_else(|| geo::LineString::new(Vec::new()));
    geo::Polygon::new(outer, rings.collect())
}

fn ring_name(i: usize) -> String {
    if i == 0 {
        "the outer ring".into()
    } else {
        format!("hole {i}")
    }
}

/// Edges (and vertices) must stay off the poles and not cross the antimeridian: a shape's
/// longitudes are read as plain numbers, so an edge from 179° to -179° would be read the long way
/// round the globe.
fn check_edges(pts: &[Point], what: &str) -> Result<(), String> {
    if let Some(p) = pts.iter().find(|p| p.lat.abs() >= 90.0) {
        return Err(format!(
            "{what} has a position on a pole ([{}, {}]): a site cannot be drawn through a pole; split it into shapes that stay off it",
            p.lon, p.lat
        ));
    }
    for w in pts.windows(2) {
        if (w[1].lon - w[0].lon).abs() > 180.0 {
            return Err(format!(
                "{what} crosses the antimeridian (180°) between [{}, {}] and [{}, {}]: split it at 180° into two shapes, one each side",
                w[0].lon, w[0].lat, w[1].lon, w[1].lat
            ));
        }
    }
    Ok(())
}

impl Geometry {
    /// The rules a new site's shape must meet (see the module docs): refused with what is wrong
    /// and where (ring, position) and what to do.
    pub fn check_shape(&self) -> Result<(), String> {
        use geo::Validation;
        match self {
            Geometry::Point(p) => check_edges(std::slice::from_ref(p), "the point"),
            Geometry::Polygon(poly) => {
                for (i, r) in poly.rings.iter().enumerate() {
                    let what = ring_name(i);
                    // A ring winding around a pole sweeps 360° of longitude.
                    let mut winding = 0.0;
                    for w in r.windows(2) {
                        let mut d = w[1].lon - w[0].lon;
                        if d > 180.0 {
                            d -= 360.0;
                        } else if d < -180.0 {
                            d += 360.0;
                        }
                        winding += d;
                    }
                    if winding.abs() > 180.0 {
                        return Err(format!(
                            "{what} goes round a pole (it sweeps {:.0}° of longitude): a site cannot enclose a pole; draw the area itself, split at 180° into shapes that stay off the pole",
                            winding.abs()
                        ));
                    }
                    check_edges(r, &what)?;
                }
                geo_polygon(poly)
                    .check_validation()
                    .map_err(|e| format!("the polygon is not valid: {e} (OGC simple features; rings must not cross themselves or each other, holes lie inside the outer ring): redraw it"))
            }
            Geometry::LineString(l) => {
                check_edges(&l.points, "the line")?;
                geo_line(&l.points)
                    .check_validation()
                    .map_err(|e| format!("the line is not valid: {e}"))
            }
            Geometry::MultiLineString(m) => {
                for (i, l) in m.lines.iter().enumerate() {
                    let what = format!("line {i}");
                    check_edges(&l.points, &what)?;
                    geo_line(&l.points)
                        .check_validation()
                        .map_err(|e| format!("{what} is not valid: {e}"))?;
                }
                Ok(())
            }
        }
    }

    /// The geodesic size on WGS84: a polygon's area (outer ring less its holes, either winding),
    /// a line's length.
    pub fn measure(&self) -> Measure {
        use geo::{Geodesic, GeodesicArea, Length};
        match self {
            Geometry::Point(_) => Measure::Point,
            Geometry::Polygon(p) => {
                let gp = geo_polygon(p);
                let outer = geo::Polygon::new(gp.exterior().clone(), Vec::new())
                    .geodesic_area_signed()
                    .abs();
                let holes: f64 = gp
                    .interiors()
                    .iter()
                    .map(|h| {
                        geo::Polygon::new(h.clone(), Vec::new())
                            .geodesic_area_signed()
                            .abs()
                    })
                    .sum();
                Measure::Area((outer - holes).max(0.0))
            }
            Geometry::LineString(l) => Measure::Length(Geodesic.length(&geo_line(&l.points))),
            Geometry::MultiLineString(m) => Measure::Length(
                m.lines
                    .iter()
                    .map(|l| Geodesic.length(&geo_line(&l.points)))
                    .sum(),
            ),
        }
    }

    /// Every position, in order (rings and lines one after another).
    pub fn positions(&self) -> Vec<Point> {
        match self {
            Geometry::Point(p) => vec![*p],
            Geometry::Polygon(p) => p.rings.iter().flatten().copied().collect(),
            Geometry::LineString(l) => l.points.clone(),
            Geometry::MultiLineString(m) => m
                .lines
                .iter()
                .flat_map(|l| l.points.iter().copied())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_out_of_range_are_refused() {
        assert!(Point::new(35.27, 51.19).is_ok());
        assert!(Point::new(35.27, 91.0).unwrap_err().contains("latitude 91"));
        assert!(Point::new(181.0, 0.0)
            .unwrap_err()
            .contains("longitude 181"));
        assert!(Point::new(f64::NAN, 0.0).is_err());
        let e = serde_json::from_str::<Point>("[10.0, -95.5]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("latitude -95.5"), "{e}");
    }

    #[test]
    fn polygons_must_be_closed() {
        let p = |a: f64, b: f64| Point::new(a, b).unwrap();
        assert!(Polygon::new(vec![vec![p(0., 0.), p(1., 0.), p(1., 1.), p(0., 0.)]]).is_ok());
        assert!(Polygon::new(vec![vec![p(0., 0.), p(1., 0.), p(1., 1.), p(0., 1.)]]).is_err());
        assert!(Polygon::new(vec![vec![p(0., 0.), p(1., 0.), p(0., 0.)]]).is_err());
        let g: Geometry =
            serde_json::from_str(r#"{"type":"Point","coordinates":[35.27,51.19]}"#).unwrap();
        assert_eq!(g, Geometry::Point(p(35.27, 51.19)));
    }

    fn pts(v: &[[f64; 2]]) -> Vec<Point> {
        v.iter().map(|p| Point::new(p[0], p[1]).unwrap()).collect()
    }

    fn poly(rings: &[&[[f64; 2]]]) -> Geometry {
        Geometry::Polygon(Polygon::new(rings.iter().map(|r| pts(r)).collect()).unwrap())
    }

    #[test]
    fn shapes_that_manufacture_sites_are_refused() {
        // A square of about 1.1 km by 0.7 km near Sudzha, either winding.
        let square = [
            [35.27, 51.19],
            [35.28, 51.19],
            [35.28, 51.2],
            [35.27, 51.2],
            [35.27, 51.19],
        ];
        assert_eq!(poly(&[&square]).check_shape(), Ok(()));
        let mut cw = square;
        cw.reverse();
        assert_eq!(poly(&[&cw]).check_shape(), Ok(()));
        // A bow-tie crosses itself.
        let bow = [
            [35.27, 51.19],
            [35.28, 51.2],
            [35.28, 51.19],
            [35.27, 51.2],
            [35.27, 51.19],
        ];
        let e = poly(&[&bow]).check_shape().unwrap_err();
        assert!(e.contains("self-intersection"), "{e}");
        // A ring round the North Pole.
        let pole = [
            [0.0, 80.0],
            [90.0, 80.0],
            [180.0, 80.0],
            [-90.0, 80.0],
            [0.0, 80.0],
        ];
        let e = poly(&[&pole]).check_shape().unwrap_err();
        assert!(e.contains("goes round a pole"), "{e}");
        // A vertex on the pole.
        let on = [[0.0, 80.0], [10.0, 80.0], [10.0, 90.0], [0.0, 80.0]];
        assert!(poly(&[&on])
            .check_shape()
            .unwrap_err()
            .contains("on a pole"));
        // Across the antimeridian: split it.
        let am = [
            [179.5, 65.0],
            [-179.5, 65.0],
            [-179.5, 66.0],
            [179.5, 66.0],
            [179.5, 65.0],
        ];
        let e = poly(&[&am]).check_shape().unwrap_err();
        assert!(
            e.contains("crosses the antimeridian") && e.contains("split it"),
            "{e}"
        );
        // Three positions repeated: too few distinct corners.
        let flat = [
            [35.27, 51.19],
            [35.28, 51.19],
            [35.27, 51.19],
            [35.27, 51.19],
        ];
        let e = poly(&[&flat]).check_shape().unwrap_err();
        assert!(e.contains("at least 3 distinct points"), "{e}");
        // A hole outside its outer ring.
        let hole = [[36.0, 52.0], [36.01, 52.0], [36.01, 52.01], [36.0, 52.0]];
        let e = poly(&[&square, &hole]).check_shape().unwrap_err();
        assert!(e.contains("not contained"), "{e}");
        // Lines: two distinct positions, off the antimeridian.
        let line = |v: &[[f64; 2]]| Geometry::LineString(LineString::new(pts(v)).unwrap());
        assert_eq!(line(&[[35.0, 51.0], [36.0, 51.0]]).check_shape(), Ok(()));
        assert!(line(&[[35.0, 51.0], [35.0, 51.0]]).check_shape().is_err());
        assert!(line(&[[179.0, 51.0], [-179.0, 51.0]])
            .check_shape()
            .unwrap_err()
            .contains("antimeridian"));
        assert!(LineString::new(pts(&[[35.0, 51.0]])).is_err());
    }

    #[test]
    fn sizes_are_geodesic() {
        // 0.01° × 0.01° at 51.19° N: 1,113 m × 698 m ≈ 0.777 km², either winding.
        let square = [
            [35.27, 51.19],
            [35.28, 51.19],
            [35.28, 51.2],
            [35.27, 51.2],
            [35.27, 51.19],
        ];
        let Measure::Area(a) = poly(&[&square]).measure() else {
            panic!()
        };
        assert!((a / 1e6 - 0.777).abs() < 0.002, "{a}");
        let mut cw = square;
        cw.reverse();
        assert_eq!(poly(&[&cw]).measure(), Measure::Area(a));
        // One degree of longitude on the equator: 111.32 km.
        let l = Geometry::LineString(LineString::new(pts(&[[0.0, 0.0], [1.0, 0.0]])).unwrap());
        let Measure::Length(m) = l.measure() else {
            panic!()
        };
        assert!((m - 111_319.49).abs() < 0.01, "{m}");
        assert_eq!(Measure::Area(603_550e6).words(), "603,550 km²");
        assert_eq!(Measure::Length(12_345.0).words(), "12.3 km");
        assert_eq!(km(50.0), "50");
        assert_eq!(km(5000.0), "5,000");
        let g: Geometry = serde_json::from_str(
            r#"{"type":"MultiLineString","coordinates":[[[0,0],[1,0]],[[2,0],[3,0]]]}"#,
        )
        .unwrap();
        let Measure::Length(m2) = g.measure() else {
            panic!()
        };
        assert!((m2 - 2.0 * m).abs() < 0.01);
    }
}
