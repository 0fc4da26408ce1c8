//! Sites from GeoJSON: a FeatureCollection of Point or Polygon features whose properties carry
//! `id`, `name`, `category` (a taxonomy name), optionally `approximate_m` (uncertainty radius in
//! metres, for approximate positions) and `source`.

use crate::IngestError;
use serde::Deserialize;
use std::io::Read;
use truce_model::domain::{Id, Site};
use truce_model::geo::Geometry;
use truce_model::taxonomy::Category;

#[derive(Deserialize)]
struct Collection {
    #[serde(rename = "type")]
    kind: String,
    features: Vec<serde_json::Value>,
}

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

/// Reads every feature as a site; errors name the feature (1-based) and field.
pub fn read_sites<R: Read>(input: R) -> Result<Vec<Site>, IngestError> {
    let c: Collection = serde_json::from_reader(input).map_err(|e| IngestError {
        line: Some(e.line() as u64),
        field: None,
        reason: format!("not GeoJSON: {e}"),
    })?;
    if c.kind != "FeatureCollection" {
        return Err(IngestError::at(
            None,
            "type",
            format!("expected a FeatureCollection, found {:?}", c.kind),
        ));
    }
    let mut out = Vec::new();
    for (i, f) in c.features.into_iter().enumerate() {
        let n = Some(i as u64 + 1);
        let at =
            |field: &str, r: String| IngestError::at(n, field, format!("feature {}: {r}", i + 1));
        let props: Props = serde_json::from_value(f.get("properties").cloned().unwrap_or_default())
            .map_err(|e| at("properties", e.to_string()))?;
        let geometry: Geometry = serde_json::from_value(
            f.get("geometry").cloned().unwrap_or_default(),
        )
        .map_err(|e| {
            at(
                "geometry",
                format!("{e} (Point or Polygon with [lon, lat] positions)"),
            )
        })?;
        out.push(Site {
            id: Id::new(&props.id).map_err(|e| at("id", e))?,
            name: props.name,
            category: Category::new(&props.category).map_err(|e| at("category", e))?,
            geometry,
            approximate_m: props.approximate_m,
            effective_from: None,
            source: props.source,
        });
    }
    Ok(out)
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
}
