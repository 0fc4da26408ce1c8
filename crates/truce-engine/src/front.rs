//! Terms along a line of contact that need no protected target (truce-rules/8, issue 16): an
//! explosion inside the buffer, fire across a party's line, a party's heavy weapons inside a
//! withdrawal zone, a party's forces beyond its own line.
//!
//! Each party measures from its own line (`[terms.front] lines`): the version of that line in
//! force at the incident's start — of those whose `valid_from` is not after it, the latest, ties
//! by log order —, so a new version changes findings only from its validity on, and a version
//! filed after the incident began yet valid before it is flagged retroactive. Distances are exact
//! geodesic distances to the line ([`truce_geo::ContactLine`]); a side is left or right of the
//! line as drawn, or inside or outside a control area (inside is its controlling party's side).
//!
//! Every test is decided with the report's position uncertainty and the line's stated
//! approximation (`margin`): the answer can change only where the position crosses the line or
//! a zone's edge, and the distance to each is known exactly (the edge of a zone of width `w`
//! lies at distance `w` from the line, so a position at distance `d` is at least `|d − w|` from
//! it). When some such boundary lies within the margin, the test is `uncertain`.
//!
//! | prohibition | holds (`yes`) when |
//! |---|---|
//! | `explosion-in-buffer` | a report of fire (strike, shelling, explosion, gunfire) lies on a party's side of its line within its share of the buffer, or on no party's side (between the lines) when two or more lines are named |
//! | `fire-across` | a report of fire states a firing position on the other side of a line than the impact (the arc between them meets the line); with a bearing and range only, a crossing within range makes it `uncertain` (the fire may have come from nearer) |
//! | `weapons-in-zone` | a report of weapons names their party; a withdrawal zone covers their class and calibre; they lie within the party's share of the zone's width from its line, or beyond the line |
//! | `advance-beyond` | a report of an advance or ground assault names the party; it lies on the far side of the party's own line |

use crate::adjudicate::Tri;
use crate::incidents::Built;
use crate::input::{LineIn, ReportIn, Snapshot};
use crate::utc;
use truce_geo::{ContactLine, Side};
use truce_model::domain::Act;
use truce_model::front::{FrontTerms, LineSide, PartyLine, Prohibition};
use truce_model::geo::Geometry;
use truce_model::lines::LineKind;
use truce_model::Id;

/// A line version prepared for queries: the line (a control area's boundary) and, for a control
/// area, its rings.
#[derive(Debug)]
pub struct LineShape {
    line: ContactLine,
    area: Option<Vec<Vec<[f64; 2]>>>,
}

/// From this many observation footprints on, each line version gets a distance grid
/// ([`ContactLine::with_distance_grid`]: 1 km nodes, 50 km around the line), which decides most
/// footprints from lookups; below it, building the grid would cost more than it saves. The
/// decisions are the same either way.
pub const GRID_FROM_FOOTPRINTS: usize = 20_000;

impl LineShape {
    /// Prepares a version's geometry, with a distance grid when `grid` (see
    /// [`GRID_FROM_FOOTPRINTS`]); a line the grid cannot serve is kept without one.
    pub fn prepared(l: &LineIn, grid: bool) -> Result<LineShape, String> {
        let mut shape = LineShape::new(l)?;
        if grid {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let line = shape.line.clone();
            if let Ok(g) = line.with_distance_grid(1_000.0, 50_000.0, threads) {
                shape.line = g;
            }
        }
        Ok(shape)
    }

    /// The line (a control area's boundary), prepared for distance, side and sector queries.
    pub fn line(&self) -> &ContactLine {
        &self.line
    }

    /// Prepares a version's geometry.
    pub fn new(l: &LineIn) -> Result<LineShape, String> {
        let ll = |p: &truce_model::geo::Point| [p.lon(), p.lat()];
        let (lines, area) = match &l.geometry {
            Geometry::LineString(s) => (vec![s.points().iter().map(ll).collect()], None),
            Geometry::MultiLineString(m) => (
                m.lines()
                    .iter()
                    .map(|s| s.points().iter().map(ll).collect())
                    .collect(),
                None,
            ),
            Geometry::Polygon(p) => {
                let rings: Vec<Vec<[f64; 2]>> = p
                    .rings()
                    .iter()
                    .map(|r| r.iter().map(ll).collect())
                    .collect();
                truce_geo::check_polygon(&rings).map_err(|e| e.to_string())?;
                (rings.clone(), Some(rings))
            }
            Geometry::Point(_) => return Err("a point is not a line".into()),
        };
        let line = ContactLine::new(lines).map_err(|e| e.to_string())?;
        Ok(LineShape { line, area })
    }
}

/// One prohibition an incident's report bears on, and how it stands.
#[derive(Debug, Clone)]
pub(crate) struct FrontHit {
    pub(crate) prohibition: Prohibition,
    pub(crate) holds: Tri,
    /// Whose forces the report names (weapons, advances); `None` for fire, which names no one.
    pub(crate) party: Option<Id>,
    pub(crate) text: String,
    /// A line version used was filed after the incident began.
    pub(crate) retroactive: Option<String>,
}

/// Where a position lies relative to one party's line.
struct Rel {
    /// On the party's own side (a position on the line is on both).
    own: bool,
    /// Geodesic distance to the line, metres.
    d: f64,
}

/// One party's line in force at a time.
struct PartyAt<'a> {
    pl: &'a PartyLine,
    line: &'a LineIn,
    shape: &'a LineShape,
    share: f64,
}

impl PartyAt<'_> {
    fn rel(&self, p: [f64; 2]) -> Rel {
        let m = self.shape.line.measure(p);
        let d = m.map_or(f64::NAN, |m| m.distance_m);
        let own = match &self.shape.area {
            Some(rings) => {
                let inside = truce_geo::polygon_contains(rings, p) || d <= truce_geo::ON_LINE_M;
                let ours = self.line.controlled_by.as_ref() == Some(&self.pl.party);
                inside == ours || d <= truce_geo::ON_LINE_M
            }
            None => matches!(
                (m.map(|m| m.side), self.pl.side),
                (Some(Side::On), _)
                    | (Some(Side::Left), Some(LineSide::Left))
                    | (Some(Side::Right), Some(LineSide::Right))
            ),
        };
        Rel { own, d }
    }

    fn name(&self) -> String {
        format!(
            "{}/{} (version of entry {}, valid from {}{})",
            self.line.author,
            self.line.id,
            self.line.index,
            utc(self.line.valid_from),
            if self.line.approximate_m > 0 {
                format!(", approximate ±{} m", self.line.approximate_m)
            } else {
                String::new()
            }
        )
    }
}

fn km(m: f64) -> String {
    format!("{:.1} km", m / 1000.0)
}

/// The version of `pl`'s line in force at `t`.
fn version_at(snap: &Snapshot, pl: &PartyLine, t: i64) -> Option<usize> {
    snap.front
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.author == pl.line.author && l.id == pl.line.id && l.valid_from <= t)
        .max_by_key(|(_, l)| (l.valid_from, l.index))
        .map(|(k, _)| k)
}

/// The prohibitions of `terms` that `b`'s reports bear on, each report's strongest answer per
/// prohibition and party, in a fixed order (prohibition, party, report order). Empty when the
/// reading has no front terms or the incident holds no report of a kind they concern.
pub(crate) fn hits(snap: &Snapshot, b: &Built, terms: &FrontTerms) -> Vec<FrontHit> {
    let from = if b.evidence.is_empty() {
        &b.members
    } else {
        &b.evidence
    };
    if !from.iter().any(|&ri| relevant(&snap.reports[ri], terms)) {
        return Vec::new();
    }
    let t = b.start;
    let mut parties: Vec<PartyAt<'_>> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut retro: Option<String> = None;
    for pl in &terms.lines {
        let share = terms.share(&pl.party).unwrap_or(0.0);
        let Some(k) = version_at(snap, pl, t) else {
            missing.push(format!(
                "no version of {}'s line {} is valid at {}",
                pl.party,
                pl.line,
                utc(t)
            ));
            continue;
        };
        let line = &snap.front.lines[k];
        let shape = match snap.front.shape(k) {
            Ok(s) => s,
            Err(e) => {
                missing.push(format!(
                    "{}'s line {} (entry {}) cannot be used: {e}",
                    pl.party, pl.line, line.index
                ));
                continue;
            }
        };
        if line.kind != LineKind::ControlArea && pl.side.is_none() {
            missing.push(format!(
                "the reading does not say which side of {} is {}'s (side = \"left\" or \"right\")",
                pl.line, pl.party
            ));
            continue;
        }
        if line.filed > t && retro.is_none() {
            retro = Some(format!(
                "line {}/{} (entry {}) was filed {}, after this incident began, with validity from {}: RETROACTIVE",
                line.author,
                line.id,
                line.index,
                utc(line.filed),
                utc(line.valid_from)
            ));
        }
        parties.push(PartyAt {
            pl,
            line,
            shape,
            share,
        });
    }
    let mut out: Vec<FrontHit> = Vec::new();
    for p in &terms.prohibit {
        let mut best: Vec<FrontHit> = Vec::new();
        for &ri in from {
            let r = &snap.reports[ri];
            if !concerns(*p, r) {
                continue;
            }
            let h = if parties.is_empty() {
                Some((
                    Tri::No,
                    None,
                    format!(
                        "{}/{}: {} cannot be judged: {}",
                        r.author,
                        r.id,
                        p.as_str(),
                        missing.join("; ")
                    ),
                ))
            } else {
                judge_one(snap, terms, *p, r, &parties)
            };
            let Some((holds, party, mut text)) = h else {
                continue;
            };
            if !parties.is_empty() && !missing.is_empty() {
                text = format!("{text} (and {})", missing.join("; "));
            }
            match best.iter_mut().find(|x| x.party == party) {
                Some(x) if rank(holds) > rank(x.holds) => {
                    x.holds = holds;
                    x.text = text;
                }
                Some(_) => {}
                None => best.push(FrontHit {
                    prohibition: *p,
                    holds,
                    party,
                    text,
                    retroactive: retro.clone(),
                }),
            }
        }
        best.sort_by(|a, b| a.party.cmp(&b.party));
        out.extend(best);
    }
    out
}

/// Whether report `r` is of a kind some front term concerns.
pub(crate) fn relevant(r: &ReportIn, terms: &FrontTerms) -> bool {
    terms.prohibit.iter().any(|p| concerns(*p, r))
}

fn concerns(p: Prohibition, r: &ReportIn) -> bool {
    match p {
        Prohibition::ExplosionInBuffer | Prohibition::FireAcross => r.act.is_fire(),
        Prohibition::WeaponsInZone => r.act == Act::WeaponsSighting,
        Prohibition::AdvanceBeyond => matches!(r.act, Act::Advance | Act::GroundAssault),
    }
}

fn rank(t: Tri) -> u8 {
    match t {
        Tri::No => 0,
        Tri::Uncertain => 1,
        Tri::Yes => 2,
    }
}

/// `crisp` unless a boundary lies within the margin (`slack <= margin`): then uncertain.
fn with_margin(crisp: bool, slack: f64, margin: f64) -> Tri {
    if slack <= margin {
        Tri::Uncertain
    } else if crisp {
        Tri::Yes
    } else {
        Tri::No
    }
}

fn judge_one(
    snap: &Snapshot,
    terms: &FrontTerms,
    p: Prohibition,
    r: &ReportIn,
    parties: &[PartyAt<'_>],
) -> Option<(Tri, Option<Id>, String)> {
    let label = format!("{}/{} ({})", r.author, r.id, r.act.as_str());
    let unc = f64::from(r.uncertainty_m);
    match p {
        Prohibition::ExplosionInBuffer => {
            let width = terms.buffer_km? * 1000.0;
            if let Some(fp) = snap.front.said(r).and_then(|s| s.footprint.as_deref()) {
                if parties.iter().all(|x| x.shape.area.is_none()) {
                    let (holds, why) = buffer_footprint(fp, parties, width);
                    return Some((holds, None, format!("{label}: {why}")));
                }
            }
            let rels: Vec<Rel> = parties.iter().map(|x| x.rel(r.point)).collect();
            let own: Vec<usize> = (0..parties.len()).filter(|&i| rels[i].own).collect();
            let mut slack = f64::INFINITY;
            let mut margin: f64 = 0.0;
            for (x, rel) in parties.iter().zip(&rels) {
                slack = slack.min(rel.d).min((rel.d - x.share * width).abs());
                margin = margin.max(unc + f64::from(x.line.approximate_m));
            }
            let (inside, why) = if own.is_empty() {
                if parties.len() >= 2 {
                    (
                        true,
                        format!(
                            "on no party's side of its line (between {}): disputed ground, inside the buffer",
                            parties.iter().map(|x| x.name()).collect::<Vec<_>>().join(" and ")
                        ),
                    )
                } else {
                    (
                        false,
                        format!(
                            "beyond {}'s line {}, and the reading names no line for the other side",
                            parties[0].pl.party,
                            parties[0].name()
                        ),
                    )
                }
            } else {
                let within: Vec<&usize> = own
                    .iter()
                    .filter(|&&i| rels[i].d <= parties[i].share * width)
                    .collect();
                let describe = |i: usize| {
                    format!(
                        "{} from {}'s line {} on its side, {} its share of the buffer ({} of {})",
                        km(rels[i].d),
                        parties[i].pl.party,
                        parties[i].name(),
                        if rels[i].d <= parties[i].share * width {
                            "within"
                        } else {
                            "beyond"
                        },
                        km(parties[i].share * width),
                        km(width)
                    )
                };
                match within.first() {
                    Some(&&i) => (true, describe(i)),
                    None => (false, describe(own[0])),
                }
            };
            let holds = with_margin(inside, slack, margin);
            Some((
                holds,
                None,
                format!("{label} is {why}{}", uncertain_note(holds, slack, margin)),
            ))
        }
        Prohibition::FireAcross => {
            let said = snap.front.said(r)?;
            let from = said.fire_from.as_ref()?;
            let mut best: Option<(Tri, String)> = None;
            for x in parties {
                let margin = unc + f64::from(x.line.approximate_m);
                let (holds, text) = if let Some(o) = &from.point {
                    let o = [o.lon(), o.lat()];
                    let crosses = x.shape.line.crosses(o, r.point);
                    let slack = x.rel(o).d.min(x.rel(r.point).d);
                    let holds = with_margin(crosses, slack, margin);
                    (
                        holds,
                        format!(
                            "{label}: fired from {:.4}, {:.4}; the fire {} {}'s line {}{}",
                            o[1],
                            o[0],
                            if crosses { "crossed" } else { "did not cross" },
                            x.pl.party,
                            x.name(),
                            uncertain_note(holds, slack, margin)
                        ),
                    )
                } else {
                    let (b, k) = (from.bearing_deg?, from.range_km?);
                    let e = truce_geo::destination(r.point, b, k * 1000.0);
                    let crosses = x.shape.line.crosses(r.point, e);
                    (
                        if crosses { Tri::Uncertain } else { Tri::No },
                        format!(
                            "{label}: fire from bearing {b:.0}° within {k:.1} km {} {}'s line {}{}",
                            if crosses {
                                "would cross"
                            } else {
                                "does not reach"
                            },
                            x.pl.party,
                            x.name(),
                            if crosses {
                                ": across the line only if it came from beyond it, which a bearing cannot say"
                            } else {
                                ""
                            }
                        ),
                    )
                };
                if best.as_ref().is_none_or(|(t, _)| rank(holds) > rank(*t)) {
                    best = Some((holds, text));
                }
            }
            best.map(|(t, s)| (t, None, s))
        }
        Prohibition::WeaponsInZone => {
            let said = snap.front.said(r)?;
            let w = said.weapon.as_ref()?;
            let what = format!(
                "{}{}{}",
                w.count.map(|c| format!("{c} × ")).unwrap_or_default(),
                w.calibre_mm.map(|c| format!("{c} mm ")).unwrap_or_default(),
                w.class
            );
            let Some(owner) = r.perpetrator.as_ref() else {
                return Some((
                    Tri::Uncertain,
                    None,
                    format!("{label} sees {what}: whose weapons they are is not said"),
                ));
            };
            let Some(x) = parties.iter().find(|x| x.pl.party == **owner) else {
                return Some((
                    Tri::No,
                    Some(owner.id().clone()),
                    format!(
                        "{label} sees {what} of {}: the reading names no line for {}",
                        owner.id(),
                        owner.id()
                    ),
                ));
            };
            let zones: Vec<_> = terms
                .withdrawal
                .iter()
                .filter_map(|z| z.covers(&w.class, w.calibre_mm).map(|c| (z, c)))
                .collect();
            let unknown_calibre = terms
                .withdrawal
                .iter()
                .any(|z| z.covers(&w.class, w.calibre_mm).is_none());
            let Some(z) = zones
                .iter()
                .filter(|(_, c)| *c)
                .map(|(z, _)| *z)
                .max_by(|a, b| a.width_km.total_cmp(&b.width_km))
            else {
                return Some((
                    if unknown_calibre {
                        Tri::Uncertain
                    } else {
                        Tri::No
                    },
                    Some(owner.id().clone()),
                    format!(
                        "{label} sees {what} of {}: {}",
                        owner.id(),
                        if unknown_calibre {
                            "its calibre is not stated, and a withdrawal zone covers its class above a calibre"
                        } else {
                            "no withdrawal zone of this reading covers them"
                        }
                    ),
                ));
            };
            let rel = x.rel(r.point);
            let limit = x.share * z.width_km * 1000.0;
            let inside = !rel.own || rel.d < limit;
            let margin = unc + f64::from(x.line.approximate_m);
            let slack = rel.d.min((rel.d - limit).abs());
            let holds = with_margin(inside, slack, margin);
            let zone = format!(
                "the {} km zone for {}{}{}",
                z.width_km,
                z.weapons,
                z.min_calibre_mm
                    .map(|c| format!(" of {c} mm and more"))
                    .unwrap_or_default(),
                z.max_calibre_mm
                    .map(|c| format!(" up to {c} mm"))
                    .unwrap_or_default()
            );
            Some((
                holds,
                Some(owner.id().clone()),
                format!(
                    "{label} sees {what} of {} {} from its line {}{}: {}{}",
                    owner.id(),
                    km(rel.d),
                    x.name(),
                    if rel.own {
                        " on its side"
                    } else {
                        ", BEYOND it"
                    },
                    if inside {
                        format!(
                            "inside its withdrawal line at {} (its {} of {zone}): in violation of the withdrawal line",
                            km(limit),
                            share_word(x.share)
                        )
                    } else {
                        format!(
                            "beyond its withdrawal line at {} (its {} of {zone})",
                            km(limit),
                            share_word(x.share)
                        )
                    },
                    uncertain_note(holds, slack, margin)
                ),
            ))
        }
        Prohibition::AdvanceBeyond => {
            let owner = r.perpetrator.as_ref()?;
            let Some(x) = parties.iter().find(|x| x.pl.party == **owner) else {
                return Some((
                    Tri::No,
                    Some(owner.id().clone()),
                    format!(
                        "{label} places forces of {}: the reading names no line for {}",
                        owner.id(),
                        owner.id()
                    ),
                ));
            };
            let rel = x.rel(r.point);
            let margin = unc + f64::from(x.line.approximate_m);
            let holds = with_margin(!rel.own, rel.d, margin);
            Some((
                holds,
                Some(owner.id().clone()),
                format!(
                    "{label} places forces of {} {} {} its line {}{}",
                    owner.id(),
                    km(rel.d),
                    if rel.own { "behind" } else { "BEYOND" },
                    x.name(),
                    uncertain_note(holds, rel.d, margin)
                ),
            ))
        }
    }
}

/// The buffer test for an observation's public footprint (every position it may refer to):
/// `yes` when all of it is inside the buffer, `no` when none of it can be, else `uncertain`.
fn buffer_footprint(
    fp: &truce_geo::PublicFootprint,
    parties: &[PartyAt<'_>],
    width: f64,
) -> (Tri, String) {
    struct R {
        min: f64,
        max: f64,
        own: bool,
        other: bool,
        half: f64,
        approx: f64,
    }
    let rs: Vec<R> = parties
        .iter()
        .map(|x| {
            let half = x.share * width;
            let approx = f64::from(x.line.approximate_m);
            // Decided exactly against the two thresholds the rule compares with.
            let lr = fp.relation_deciding(&x.shape.line, &[half - approx], &[half + approx]);
            let (own, other) = match x.pl.side {
                Some(LineSide::Left) => (lr.left, lr.right),
                _ => (lr.right, lr.left),
            };
            R {
                min: lr.min_m,
                max: lr.max_m,
                own,
                other,
                half,
                approx,
            }
        })
        .collect();
    let several = parties.len() >= 2;
    // A position is inside when it lies on a party's side within its share, or (with several
    // lines) on no party's side, between the lines: so all of the footprint is inside when every
    // part of it that may lie on a party's side lies within that party's share.
    let within = |r: &R| r.max <= r.half - r.approx;
    let beyond = |r: &R| r.min > r.half + r.approx;
    let all_in = if several {
        rs.iter().all(|r| !r.own || within(r))
    } else {
        rs.iter().all(|r| r.own && !r.other && within(r))
    };
    let none_in = if several {
        rs.iter().all(|r| !r.own || beyond(r)) && rs.iter().any(|r| r.own && !r.other)
    } else {
        rs.iter()
            .all(|r| (r.own && !r.other && beyond(r)) || (r.other && !r.own))
    };
    let holds = if all_in {
        Tri::Yes
    } else if none_in {
        Tri::No
    } else {
        Tri::Uncertain
    };
    let parts: Vec<String> = parties
        .iter()
        .zip(&rs)
        .map(|(x, r)| {
            format!(
                "{} {} of {}'s line {} ({}, within the line's approximation)",
                if within(r) {
                    "all within"
                } else if beyond(r) {
                    "all beyond"
                } else {
                    "not all on one side of"
                },
                km(r.half),
                x.pl.party,
                x.name(),
                match (r.own, r.other) {
                    (true, false) => "on its side",
                    (false, true) => "on the other side",
                    _ => "reaching both sides",
                }
            )
        })
        .collect();
    (
        holds,
        format!(
            "its public footprint ({} cells; the observer hidden within {:.0} m) lies {}: {}",
            fp.cells().len(),
            fp.hidden_radius_m(),
            parts.join("; "),
            match holds {
                Tri::Yes => "all of it inside the buffer",
                Tri::No => "none of it inside the buffer",
                Tri::Uncertain => "partly inside the buffer: the footprint cannot say where",
            }
        ),
    )
}

fn share_word(s: f64) -> String {
    if (s - 0.5).abs() < 1e-12 {
        "half".into()
    } else {
        format!("{:.0} % share", s * 100.0)
    }
}

fn uncertain_note(t: Tri, slack: f64, margin: f64) -> String {
    if t == Tri::Uncertain {
        format!(
            "; but a boundary lies {} away, within the position's uncertainty and the line's approximation ({})",
            km(slack),
            km(margin)
        )
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_margin_makes_a_boundary_case_uncertain() {
        assert!(with_margin(true, 10.0, 5.0) == Tri::Yes);
        assert!(with_margin(false, 10.0, 5.0) == Tri::No);
        assert!(with_margin(true, 4.0, 5.0) == Tri::Uncertain);
        assert!(with_margin(false, 0.0, 0.0) == Tri::Uncertain);
    }
}
