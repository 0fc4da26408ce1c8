//! Geometry values that cannot be invalid: latitudes in [-90, 90], longitudes in [-180, 180],
//! closed polygon rings of at least four positions. Positions are written `[lon, lat]` as in GeoJSON.

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

/// A site's or zone's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum Geometry {
    /// A point `[lon, lat]`.
    Point(Point),
    /// A polygon.
    Polygon(Polygon),
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
}
