//! A monitor's observation as filed: the draft an officer writes (`[[observation]]`, with the
//! observer's exact position, [`truce_model::front::ObservationDraft`]) becomes
//!
//! - a public **report**: the act (`explosion` or `gunfire`, from the event type), the
//!   observation with its public footprint — H3 cells computed from the observer's coarse cell
//!   only ([`truce_geo::coarsen`]), so the observer cannot be placed closer than the footprint's
//!   `hidden_m` — and the salted commitment of the position; its location is the footprint's
//!   centroid, with an uncertainty covering every cell;
//! - the **restricted** position: `{"lat":…,"lon":…}` and its salt, whose hex SHA-256
//!   (salt ‖ content) is the commitment the report carries. It goes to the restricted store,
//!   never to the log.
//!
//! Pure: the salt is handed in (random when filing; derived from the public seed in the demo).

use sha2::{Digest, Sha256};
use truce_model::domain::{Act, Location, Report};
use truce_model::front::{
    DistanceRange, Observation, ObservationDraft, PublicCells, DEFAULT_HIDE_M,
};

/// Why a draft cannot be filed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObservationError {
    /// The footprint is not valid (sectors, distances, hiding distance).
    #[error("observation {id}: {why}")]
    Footprint {
        /// The draft's id.
        id: String,
        /// What is wrong, and what to do.
        why: String,
    },
    /// The salt is too short or too long.
    #[error("observation {id}: the salt has {len} bytes; use 16 to 1024 (32 random bytes)")]
    Salt {
        /// The draft's id.
        id: String,
        /// Its length.
        len: usize,
    },
}

/// The restricted content of an observation: the observer's position, the salt and the
/// commitment (hex SHA-256 of salt ‖ content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestrictedPosition {
    /// Hex SHA-256(salt ‖ content): the report's `observation.observer`.
    pub commitment: String,
    /// The salt.
    pub salt: Vec<u8>,
    /// `{"lat":…,"lon":…}`, the position's exact text.
    pub content: String,
}

/// The public report and the restricted position of a draft, with `salt` (16–1024 bytes).
pub fn file(
    d: &ObservationDraft,
    salt: &[u8],
) -> Result<(Report, RestrictedPosition), ObservationError> {
    let bad = |why: String| ObservationError::Footprint {
        id: d.id.to_string(),
        why,
    };
    if !(16..=1024).contains(&salt.len()) {
        return Err(ObservationError::Salt {
            id: d.id.to_string(),
            len: salt.len(),
        });
    }
    let sectors = d
        .sectors
        .iter()
        .map(|[a, b]| truce_geo::Sector::new(*a, *b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("sectors: {e}")))?;
    let [min_km, max_km] = d.distance_km;
    let ring = truce_geo::Ring::new(min_km * 1000.0, max_km * 1000.0)
        .map_err(|e| bad(format!("distance_km: {e}")))?;
    let observer = [d.observer.lon(), d.observer.lat()];
    let hide_m = d.hide_m.unwrap_or(DEFAULT_HIDE_M);
    let fp = truce_geo::coarsen(observer, &sectors, ring, hide_m)
        .map_err(|e| bad(format!("footprint: {e}")))?;
    let centre = fp.centroid();
    let radius = fp
        .to_polygons()
        .iter()
        .flatten()
        .flatten()
        .map(|v| truce_geo::distance_m(centre, *v))
        .fold(0.0, f64::max);
    let point = truce_model::geo::Point::new(centre[0], centre[1])
        .map_err(|e| bad(format!("the footprint's centre: {e}")))?;
    let content = format!(
        "{{\"lat\":{},\"lon\":{}}}",
        d.observer.lat(),
        d.observer.lon()
    );
    let mut h = Sha256::new();
    h.update(salt);
    h.update(content.as_bytes());
    let commitment: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let observation = Observation {
        count: d.count,
        distance: DistanceRange {
            max_m: ring.max_m,
            min_m: ring.min_m,
        },
        event: d.event,
        footprint: PublicCells {
            cells: fp.cell_strings(),
            hidden_m: (fp.hidden_radius_m()).floor(),
        },
        modality: d.modality,
        observer: commitment.clone(),
        sectors: d.sectors.clone(),
    };
    // The model's own checks (what a decoder applies to the entry).
    let observation: Observation = serde_json::to_value(&observation)
        .and_then(serde_json::from_value)
        .map_err(|e| bad(e.to_string()))?;
    let report = Report {
        act: if d.event.is_explosion() {
            Act::Explosion
        } else {
            Act::Gunfire
        },
        alleged_perpetrator: None,
        attributes: Default::default(),
        denies: Vec::new(),
        evidence: Vec::new(),
        fire_from: None,
        id: d.id.clone(),
        illustrative: d.illustrative,
        kind: None,
        location: Location {
            place: d.area.clone(),
            point,
            uncertainty_m: radius.ceil() as u32,
        },
        observation: Some(observation),
        relays: None,
        revision: None,
        target_category: None,
        text: d.text.clone(),
        time: d.time.clone(),
        vessel: None,
        weapon: None,
    };
    Ok((
        report,
        RestrictedPosition {
            commitment,
            salt: salt.to_vec(),
            content,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(observer: [f64; 2]) -> ObservationDraft {
        toml::from_str(&format!(
            r#"id = "p1-2025-05-03"
time = {{ start = 2025-05-03T04:10:00Z, end = 2025-05-03T05:40:00Z }}
observer = [{}, {}]
area = "north-east of Toretsk"
modality = "heard"
event = "undetermined"
count = 26
sectors = [[0, 45], [45, 90]]
distance_km = [3, 6]
"#,
            observer[0], observer[1]
        ))
        .expect("a draft")
    }

    #[test]
    fn a_draft_files_a_public_report_without_the_position() {
        let d = draft([37.812345, 48.412345]);
        let (r, p) = file(&d, &[7u8; 32]).expect("files");
        assert_eq!(r.act, Act::Explosion);
        let o = r.observation.as_ref().expect("observation");
        assert_eq!(o.observer, p.commitment);
        assert_eq!(p.content, "{\"lat\":48.412345,\"lon\":37.812345}");
        assert!(o.footprint.hidden_m >= DEFAULT_HIDE_M);
        let public = serde_json::to_string(&r).expect("json");
        assert!(!public.contains("48.412345") && !public.contains("37.812345"));
        // Another position in the same coarse cell: the same public report but its commitment.
        let (r2, p2) = file(&draft([37.812, 48.412]), &[7u8; 32]).expect("files");
        let o2 = r2.observation.as_ref().expect("observation");
        assert_eq!(o2.footprint, o.footprint);
        assert_eq!(r2.location, r.location);
        assert_ne!(p2.commitment, p.commitment);
        // The commitment is SHA-256(salt ‖ content).
        let mut h = Sha256::new();
        h.update([7u8; 32]);
        h.update(p.content.as_bytes());
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, p.commitment);
    }

    #[test]
    fn bad_drafts_are_refused_with_their_id() {
        let mut d = draft([37.8, 48.4]);
        d.distance_km = [6.0, 3.0];
        let e = file(&d, &[1u8; 32]).expect_err("refused");
        assert!(
            e.to_string()
                .starts_with("observation p1-2025-05-03: distance_km"),
            "{e}"
        );
        let e = file(&draft([37.8, 48.4]), &[1u8; 4]).expect_err("refused");
        assert!(e.to_string().contains("salt"), "{e}");
    }
}
