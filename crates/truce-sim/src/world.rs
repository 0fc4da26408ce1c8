//! The simulated world, built from a seed: energy sites with names and positions, persistent hot
//! spots (gas flares at refineries and gas plants), and a schedule of strikes on sites, day by day.
//! Its size depends on the parameters only (sites, days × strikes a day), never on how many rows
//! the writers are asked for. The strikes are the ground truth the writers draw on: FIRMS fire
//! clusters, ACLED strike events and genuine allegations all come from the same schedule.

use crate::calendar::{round_to, Ymd};
use crate::geo::{self, Side, REGIONS};
use crate::rng::{stream, Rng};
use crate::SimError;
use truce_model::domain::Act;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// The seed: the same seed and parameters give byte-identical output.
    pub seed: u64,
    /// First day, `(year, month, day)` (UTC).
    pub start: (i32, u8, u8),
    /// Number of days covered.
    pub days: u32,
    /// Number of sites.
    pub sites: usize,
    /// Number of persistent hot spots (gas flares), each at its own refinery or gas plant.
    pub hotspots: usize,
    /// Average number of strikes on sites a day (days vary from none to three times as many).
    pub strikes_per_day: u32,
}

impl Default for Params {
    /// 30 days from 18 March 2025, 1,000 sites, 12 hot spots, about 6 strikes a day, seed 1.
    fn default() -> Self {
        Params {
            seed: 1,
            start: (2025, 3, 18),
            days: 30,
            sites: 1_000,
            hotspots: 12,
            strikes_per_day: 6,
        }
    }
}

/// A simulated energy site.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSite {
    /// Identifier, valid as a `truce_model::domain::Id` (e.g. `sub-0117`).
    pub id: String,
    /// Name (e.g. `Substation 117`, `Thermal power plant 12`).
    pub name: String,
    /// Category from `truce_model::taxonomy::CATEGORIES`.
    pub category: &'static str,
    /// Latitude, rounded to 5 decimals.
    pub lat: f64,
    /// Longitude, rounded to 5 decimals.
    pub lon: f64,
    /// The side holding the site (whose party reports strikes on it).
    pub side: Side,
    /// The country ACLED codes the place under (Crimea: Ukraine).
    pub country: Side,
    /// First-level region (ACLED `admin1`).
    pub admin1: &'static str,
    /// Nearest listed town.
    pub town: &'static str,
    /// That town's latitude.
    pub town_lat: f64,
    /// That town's longitude.
    pub town_lon: f64,
}

/// A persistent hot spot: a gas flare detected every day at the same position.
#[derive(Debug, Clone, PartialEq)]
pub struct Hotspot {
    /// Index of the site in [`World::sites`].
    pub site: usize,
    /// Latitude of the flare, rounded to 5 decimals (written exactly so every day).
    pub lat: f64,
    /// Longitude of the flare, rounded to 5 decimals.
    pub lon: f64,
    /// Typical fire radiative power (MW).
    pub frp: f64,
}

/// A strike on a site: the ground truth behind fire clusters, ACLED events and genuine allegations.
#[derive(Debug, Clone, PartialEq)]
pub struct Strike {
    /// Day index (0 = the start date).
    pub day: u32,
    /// Minute of the day (UTC), 0–540: strikes come at night and in the early morning.
    pub minute: u32,
    /// Index of the site hit, in [`World::sites`].
    pub site: usize,
    /// Who struck.
    pub by: Side,
    /// How.
    pub act: Act,
    /// How many VIIRS pixels the fire lights on each daytime pass of the day.
    pub pixels: u32,
    /// Whether the fire burns into the next day (oil and gas sites).
    pub lingers: bool,
}

/// One kind of site: category, name, id prefix, share, fire size when hit, whether it burns on.
struct Kind {
    category: &'static str,
    label: &'static str,
    prefix: &'static str,
    weight: u32,
    pixels: (u64, u64),
    lingers: bool,
}

const fn kind(
    category: &'static str,
    label: &'static str,
    prefix: &'static str,
    weight: u32,
    pixels: (u64, u64),
    lingers: bool,
) -> Kind {
    Kind {
        category,
        label,
        prefix,
        weight,
        pixels,
        lingers,
    }
}

const KINDS: &[Kind] = &[
    kind(
        "energy.power.substation",
        "Substation",
        "sub",
        40,
        (2, 8),
        false,
    ),
    kind(
        "energy.power.transformer",
        "Transformer station",
        "trs",
        6,
        (2, 6),
        false,
    ),
    kind(
        "energy.power.distribution",
        "Distribution unit",
        "dst",
        5,
        (1, 4),
        false,
    ),
    kind(
        "energy.power.transmission",
        "Transmission line tower",
        "tlt",
        4,
        (1, 3),
        false,
    ),
    kind(
        "energy.power.plant",
        "Thermal power plant",
        "tpp",
        5,
        (4, 15),
        false,
    ),
    kind(
        "energy.power.plant",
        "Combined heat and power plant",
        "chp",
        3,
        (4, 12),
        false,
    ),
    kind(
        "energy.power.plant",
        "Solar power plant",
        "spp",
        2,
        (1, 4),
        false,
    ),
    kind("energy.power.plant", "Wind farm", "wfm", 1, (1, 3), false),
    kind(
        "energy.nuclear",
        "Nuclear power plant",
        "npp",
        1,
        (1, 2),
        false,
    ),
    kind(
        "energy.hydro.dam",
        "Hydroelectric power plant",
        "hpp",
        2,
        (2, 6),
        false,
    ),
    kind(
        "energy.oil.refinery",
        "Oil refinery",
        "ref",
        3,
        (8, 30),
        true,
    ),
    kind("energy.oil.storage", "Oil depot", "dep", 7, (6, 25), true),
    kind(
        "energy.oil.pumping",
        "Oil pumping station",
        "ops",
        3,
        (3, 12),
        true,
    ),
    kind(
        "energy.oil.pipeline",
        "Oil pipeline valve station",
        "opv",
        2,
        (2, 8),
        false,
    ),
    kind(
        "energy.gas.compression",
        "Gas compressor station",
        "gcs",
        4,
        (3, 10),
        false,
    ),
    kind(
        "energy.gas.metering",
        "Gas metering station",
        "gms",
        2,
        (2, 6),
        false,
    ),
    kind(
        "energy.gas.storage",
        "Underground gas storage",
        "ugs",
        2,
        (3, 10),
        false,
    ),
    kind(
        "energy.gas.processing",
        "Gas processing plant",
        "gpp",
        2,
        (6, 20),
        true,
    ),
    kind(
        "energy.gas.pipeline",
        "Gas pipeline valve station",
        "gpv",
        2,
        (2, 6),
        false,
    ),
];

const REFINERY: usize = 10;
const GAS_PROCESSING: usize = 17;

/// How much an attacker prefers a kind of target (0–1); nuclear plants are never targeted.
fn preference(attacker: Side, k: &Kind) -> f64 {
    match (attacker, k.category) {
        (_, "energy.nuclear") => 0.0,
        (Side::Russia, "energy.power.substation" | "energy.power.plant") => 1.0,
        (Side::Russia, "energy.hydro.dam" | "energy.power.transformer") => 0.8,
        (Side::Russia, c) if c.starts_with("energy.gas.") => 0.8,
        (Side::Ukraine, "energy.oil.refinery" | "energy.oil.storage") => 1.0,
        (Side::Ukraine, "energy.oil.pumping") => 0.9,
        (Side::Ukraine, "energy.gas.processing") => 0.6,
        (Side::Ukraine, "energy.power.substation" | "energy.power.plant") => 0.5,
        _ => 0.3,
    }
}

/// The world: sites, hot spots and the strike schedule.
#[derive(Debug, Clone)]
pub struct World {
    params: Params,
    sites: Vec<SimSite>,
    kinds: Vec<u8>,
    hotspots: Vec<Hotspot>,
    strikes: Vec<Strike>,
    /// `strikes[day_index[d]..day_index[d + 1]]` are day `d`'s strikes.
    day_index: Vec<usize>,
    by_side: [Vec<usize>; 2],
    epoch_day: i64,
}

impl World {
    /// Builds the world for `p`. Refuses an invalid date, zero days or sites, more hot spots than
    /// sites, and sizes beyond sane bounds (10⁵ days, 10⁷ sites, 10⁴ strikes a day).
    pub fn new(p: &Params) -> Result<World, SimError> {
        let (y, m, d) = p.start;
        let start = Ymd::new(i64::from(y), u32::from(m), u32::from(d))
            .filter(|_| (1970..=9000).contains(&y))
            .ok_or_else(|| {
                SimError::Params(format!(
                    "start {y:04}-{m:02}-{d:02} is not a date between 1970 and 9000"
                ))
            })?;
        if p.days == 0 || p.days > 100_000 {
            return Err(SimError::Params(format!(
                "days must be 1..=100000, not {}",
                p.days
            )));
        }
        if p.sites == 0 || p.sites > 10_000_000 {
            return Err(SimError::Params(format!(
                "sites must be 1..=10000000, not {}",
                p.sites
            )));
        }
        if p.hotspots > p.sites {
            return Err(SimError::Params(format!(
                "{} hot spots need as many sites, but there are {}",
                p.hotspots, p.sites
            )));
        }
        if p.strikes_per_day > 10_000 {
            return Err(SimError::Params(format!(
                "strikes_per_day must be at most 10000, not {}",
                p.strikes_per_day
            )));
        }
        let mut w = World {
            params: p.clone(),
            sites: Vec::with_capacity(p.sites),
            kinds: Vec::with_capacity(p.sites),
            hotspots: Vec::with_capacity(p.hotspots),
            strikes: Vec::new(),
            day_index: Vec::with_capacity(p.days as usize + 1),
            by_side: [Vec::new(), Vec::new()],
            epoch_day: start.to_days(),
        };
        w.build_sites();
        w.build_strikes();
        Ok(w)
    }

    fn build_sites(&mut self) {
        let seed = self.params.seed;
        let weights: Vec<u32> = KINDS.iter().map(|k| k.weight).collect();
        let region_weights: Vec<u32> = REGIONS.iter().map(|r| r.weight).collect();
        // Hot-spot sites need flares: refineries and gas plants. They are placed where such
        // plants are (not in the far west) and hold the first numbers.
        let mut counters = vec![0u64; KINDS.len()];
        for i in 0..self.params.sites {
            let mut rng = Rng::keyed(seed, stream::WORLD, i as u64);
            let k = if i < self.params.hotspots {
                if i % 2 == 0 {
                    REFINERY
                } else {
                    GAS_PROCESSING
                }
            } else {
                rng.weighted(&weights)
            };
            let region = &REGIONS[rng.weighted(&region_weights)];
            let &(town, tlat, tlon) = rng.pick(region.towns);
            let sigma = if k == REFINERY || k == GAS_PROCESSING {
                6_000.0
            } else {
                12_000.0
            };
            let (mut lat, mut lon) = (tlat, tlon);
            for _ in 0..8 {
                let (a, b) = geo::scatter(&mut rng, tlat, tlon, sigma);
                let (a, b) = geo::clamp_box(a, b);
                if !geo::is_sea(a, b) {
                    (lat, lon) = (a, b);
                    break;
                }
            }
            counters[k] += 1;
            let number = counters[k] * 3 - rng.below(3);
            let kd = &KINDS[k];
            let site = SimSite {
                id: format!("{}-{number:04}", kd.prefix),
                name: format!("{} {number}", kd.label),
                category: kd.category,
                lat: round_to(lat, 5),
                lon: round_to(lon, 5),
                side: region.held,
                country: region.country,
                admin1: region.admin1,
                town,
                town_lat: tlat,
                town_lon: tlon,
            };
            if i < self.params.hotspots {
                let (flat, flon) = geo::scatter(&mut rng, site.lat, site.lon, 250.0);
                self.hotspots.push(Hotspot {
                    site: i,
                    lat: round_to(flat, 5),
                    lon: round_to(flon, 5),
                    frp: round_to(rng.range(3.0, 40.0), 2),
                });
            }
            self.by_side[site.side as usize].push(i);
            self.sites.push(site);
            self.kinds.push(k as u8);
        }
    }

    fn build_strikes(&mut self) {
        let p = &self.params;
        let rate = u64::from(p.strikes_per_day);
        for day in 0..p.days {
            self.day_index.push(self.strikes.len());
            let mut rng = Rng::keyed(p.seed, stream::STRIKES, u64::from(day));
            let mut n = rng.between(0, 2 * rate);
            if rng.chance(0.1) {
                n *= 3; // a massed attack
            }
            let first = self.strikes.len();
            for _ in 0..n {
                let victim = if rng.chance(0.7) {
                    Side::Ukraine
                } else {
                    Side::Russia
                };
                let victim = if self.by_side[victim as usize].is_empty() {
                    victim.other()
                } else {
                    victim
                };
                let by = victim.other();
                let Some(site) = self.pick_target(&mut rng, victim, by) else {
                    continue;
                };
                let k = &KINDS[self.kinds[site] as usize];
                let front = REGIONS
                    .iter()
                    .any(|r| r.admin1 == self.sites[site].admin1 && r.front);
                let act = match by {
                    Side::Russia if front && rng.chance(0.3) => Act::Shelling,
                    Side::Russia if rng.chance(0.35) => Act::MissileStrike,
                    Side::Ukraine if rng.chance(0.1) => Act::MissileStrike,
                    _ => Act::DroneStrike,
                };
                self.strikes.push(Strike {
                    day,
                    minute: rng.below(541) as u32,
                    site,
                    by,
                    act,
                    pixels: rng.between(k.pixels.0, k.pixels.1) as u32,
                    lingers: k.lingers,
                });
            }
            self.strikes[first..].sort_by_key(|s| (s.minute, s.site));
        }
        self.day_index.push(self.strikes.len());
    }

    /// A site of `victim` that `attacker` would strike: up to four draws, each kept with the
    /// attacker's preference for its kind. `None` if the side has no sites or only nuclear plants
    /// came up.
    fn pick_target(&self, rng: &mut Rng, victim: Side, attacker: Side) -> Option<usize> {
        let list = &self.by_side[victim as usize];
        if list.is_empty() {
            return None;
        }
        let mut last = None;
        for _ in 0..4 {
            let s = *rng.pick(list);
            let pref = preference(attacker, &KINDS[self.kinds[s] as usize]);
            if pref > 0.0 {
                last = Some(s);
                if rng.chance(pref) {
                    return Some(s);
                }
            }
        }
        last
    }

    /// The parameters the world was built from.
    pub fn params(&self) -> &Params {
        &self.params
    }
    /// The seed.
    pub fn seed(&self) -> u64 {
        self.params.seed
    }
    /// Number of days.
    pub fn days(&self) -> u32 {
        self.params.days
    }
    /// The sites.
    pub fn sites(&self) -> &[SimSite] {
        &self.sites
    }
    /// Indices of the sites held by `side`.
    pub fn sites_of(&self, side: Side) -> &[usize] {
        &self.by_side[side as usize]
    }
    /// The persistent hot spots.
    pub fn hotspots(&self) -> &[Hotspot] {
        &self.hotspots
    }
    /// Every strike, ordered by day and minute.
    pub fn strikes(&self) -> &[Strike] {
        &self.strikes
    }
    /// The strikes of day `day` (empty outside the range).
    pub fn strikes_on(&self, day: u32) -> &[Strike] {
        let d = day as usize;
        if d + 1 >= self.day_index.len() {
            return &[];
        }
        &self.strikes[self.day_index[d]..self.day_index[d + 1]]
    }
    /// Index of the first strike of day `day` in [`World::strikes`].
    pub fn first_strike_of(&self, day: u32) -> usize {
        self.day_index[(day as usize).min(self.day_index.len() - 1)]
    }
    /// The date of day `day` as `YYYY-MM-DD`.
    pub fn date(&self, day: u32) -> String {
        self.ymd(day).iso()
    }
    pub(crate) fn ymd(&self, day: u32) -> Ymd {
        Ymd::from_days(self.epoch_day + i64::from(day))
    }
    /// Unix seconds at 00:00 UTC of day `day`.
    pub fn day_start(&self, day: u32) -> i64 {
        (self.epoch_day + i64::from(day)) * 86_400
    }

    /// The sites as model values (`truce_model::domain::Site`), e.g. to register them in a demo.
    pub fn model_sites(&self) -> Result<Vec<truce_model::domain::Site>, SimError> {
        use truce_model::domain::{Id, Site};
        use truce_model::geo::{Geometry, Point};
        use truce_model::taxonomy::Category;
        self.sites
            .iter()
            .map(|s| {
                Ok(Site {
                    id: Id::new(&s.id).map_err(SimError::Model)?,
                    name: s.name.clone(),
                    category: Category::new(s.category).map_err(SimError::Model)?,
                    geometry: Geometry::Point(Point::new(s.lon, s.lat).map_err(SimError::Model)?),
                    approximate_m: None,
                    effective_from: None,
                    source: format!(
                        "synthetic, generated by truce-sim seed {}",
                        self.params.seed
                    ),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truce_model::taxonomy::Category;

    #[test]
    fn kinds_use_taxonomy_categories_and_distinct_prefixes() {
        let mut prefixes = std::collections::BTreeSet::new();
        for k in KINDS {
            Category::new(k.category).unwrap();
            assert!(prefixes.insert(k.prefix), "{}", k.prefix);
            assert!(k.pixels.0 >= 1 && k.pixels.0 <= k.pixels.1);
        }
        assert_eq!(KINDS[REFINERY].category, "energy.oil.refinery");
        assert_eq!(KINDS[GAS_PROCESSING].category, "energy.gas.processing");
    }

    #[test]
    fn world_is_deterministic_and_consistent() {
        let p = Params {
            sites: 500,
            days: 20,
            ..Params::default()
        };
        let a = World::new(&p).unwrap();
        let b = World::new(&p).unwrap();
        assert_eq!(a.sites, b.sites);
        assert_eq!(a.strikes, b.strikes);
        assert_eq!(a.hotspots.len(), 12);
        let ids: std::collections::BTreeSet<_> = a.sites.iter().map(|s| &s.id).collect();
        assert_eq!(ids.len(), 500, "site ids are unique");
        for s in &a.sites {
            assert!((geo::LAT_MIN..=geo::LAT_MAX).contains(&s.lat), "{s:?}");
            assert!((geo::LON_MIN..=geo::LON_MAX).contains(&s.lon), "{s:?}");
        }
        for h in &a.hotspots {
            let s = &a.sites[h.site];
            assert!(matches!(
                s.category,
                "energy.oil.refinery" | "energy.gas.processing"
            ));
            assert!(geo::distance_m(s.lat, s.lon, h.lat, h.lon) < 1_000.0);
        }
        let mut total = 0;
        for d in 0..20 {
            for s in a.strikes_on(d) {
                assert_eq!(s.day, d);
                assert_eq!(
                    s.by,
                    a.sites[s.site].side.other(),
                    "strikes hit the other side"
                );
                assert_ne!(a.sites[s.site].category, "energy.nuclear");
            }
            total += a.strikes_on(d).len();
        }
        assert_eq!(total, a.strikes.len());
        assert!(total > 20, "about 6 a day: {total}");
        assert_eq!(a.date(0), "2025-03-18");
        assert_eq!(a.date(14), "2025-04-01");
        assert_eq!(a.model_sites().unwrap().len(), 500);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let bad = [
            Params {
                start: (2025, 2, 29),
                ..Params::default()
            },
            Params {
                days: 0,
                ..Params::default()
            },
            Params {
                sites: 0,
                ..Params::default()
            },
            Params {
                sites: 3,
                hotspots: 4,
                ..Params::default()
            },
        ];
        for p in bad {
            assert!(matches!(World::new(&p), Err(SimError::Params(_))), "{p:?}");
        }
    }
}
