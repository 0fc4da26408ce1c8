//! Sites from GeoJSON: a FeatureCollection of Point, Polygon, LineString or MultiLineString
//! features (pipelines and power lines are lines) whose properties carry `id`, `name`,
//! `category` (a taxonomy name), optionally `approximate_m` (uncertainty radius in metres, for
//! approximate positions) and `source`. Every shape must meet the site rules of
//! [`truce_model::geo::Geometry::check_shape`] (no self-intersection, no ring round a pole,
//! nothing across the antimeridian): a feature that does not is refused, naming it. Read feature by feature
//! ([`crate::features`]), never the whole document at once.

use crate::IngestError;
use serde::Deserialize;
use std::io::Read;
use truce_model::domain::{Id, Site};
use truce_model::geo::Geometry;
use truce_model::taxonomy::Category;

#[derive(Deserialize)]
struct Props {
    id: String,
    name: String,
    category: String,
    #[serde(default)]
    approximate_m: Option<u32>,
    #[serde(default)]
    source: String,
}

/// Reads every feature as a site, within the default bound on a feature's size (see
/// [`read_sites_with`]).
pub fn read_sites<R: Read>(input: R) -> Result<Vec<Site>, IngestError> {
    read_sites_with(input, crate::limits::DEFAULT_MAX_RECORD)
}

/// Reads every feature as a site, streaming: one feature at a time, each (and every other
/// top-level member) at most `max_feature` bytes. Errors name the feature (1-based) and field.
pub fn read_sites_with<R: Read>(input: R, max_feature: u64) -> Result<Vec<Site>, IngestError> {
    use crate::features::{for_each, FeaturesError};
    let mut out = Vec::new();
    let mut first_err = None;
    let read = for_each(input, max_feature, |n, f| {
        if first_err.is_none() {
            match site_of(n as usize - 1, f) {
                Ok(s) => out.push(s),
                Err(e) => first_err = Some(e),
            }
        }
    });
    match read {
        Ok(()) => {}
        Err(FeaturesError::WrongType(kind)) => {
            return Err(IngestError::at(
                None,
                "type",
                format!("expected a FeatureCollection, found {kind:?}"),
            ))
        }
        Err(FeaturesError::NotGeoJson { reason, line, .. }) => {
            return Err(IngestError {
                line: Some(line),
                field: None,
                reason: format!("not GeoJSON: {reason}"),
            })
        }
        Err(e @ FeaturesError::TooLarge(_)) => {
            return Err(IngestError {
                line: None,
                field: None,
                reason: e.to_string(),
            })
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The `i`th feature (from 0) as a site.
fn site_of(i: usize, f: serde_json::Value) -> Result<Site, IngestError> {
    let n = Some(i as u64 + 1);
    let at = |field: &str, r: String| IngestError::at(n, field, format!("feature {}: {r}", i + 1));
    let props: Props = serde_json::from_value(f.get("properties").cloned().unwrap_or_default())
        .map_err(|e| at("properties", e.to_string()))?;
    let geometry: Geometry = serde_json::from_value(f.get("geometry").cloned().unwrap_or_default())
        .map_err(|e| {
            at(
                "geometry",
                format!(
                    "{e} (Point, Polygon, LineString or MultiLineString with [lon, lat] positions)"
                ),
            )
        })?;
    geometry
        .check_shape()
        .map_err(|e| at("geometry", format!("site {:?}: {e}", props.id)))?;
    Ok(Site {
        id: Id::new(&props.id).map_err(|e| at("id", e))?,
        name: props.name,
        category: Category::new(&props.category).map_err(|e| at("category", e))?,
        geometry,
        approximate_m: props.approximate_m,
        effective_from: None,
        source: props.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_points_and_refuses_bad_features() {
        let g = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","geometry":{"type":"Point","coordinates":[35.27,51.19]},
           "properties":{"id":"sudzha-gms","name":"Sudzha","category":"energy.gas.metering","approximate_m":3000}}]}"#;
        let s = read_sites(g.as_bytes()).unwrap();
        assert_eq!(s[0].approximate_m, Some(3000));
        let bad = g.replace("energy.gas.metering", "gas");
        let e = read_sites(bad.as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("category"));
        let bad = g.replace("51.19", "99.0");
        assert!(read_sites(bad.as_bytes())
            .unwrap_err()
            .reason
            .contains("latitude 99"));
    }

    #[test]
    fn lines_are_sites_and_bad_shapes_are_refused() {
        let feature = |g: &str| {
            format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","geometry":{g},
                "properties":{{"id":"s","name":"S","category":"energy.gas.pipeline"}}}}]}}"#
            )
        };
        let line = feature(r#"{"type":"LineString","coordinates":[[35.0,51.0],[36.0,51.0]]}"#);
        let s = read_sites(line.as_bytes()).unwrap();
        assert!(matches!(s[0].geometry, Geometry::LineString(_)));
        let bow = feature(
            r#"{"type":"Polygon","coordinates":[[[35.27,51.19],[35.28,51.2],[35.28,51.19],[35.27,51.2],[35.27,51.19]]]}"#,
        );
        let e = read_sites(bow.as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("geometry"));
        assert!(
            e.reason.contains("feature 1: site \"s\"") && e.reason.contains("self-intersection"),
            "{e:?}"
        );
    }
}
