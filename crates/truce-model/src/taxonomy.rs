//! The shared category taxonomy of protected sites, and named category sets that express what an
//! agreement's text protects (the Kremlin's five categories of 25 March 2025; the White House's
//! "energy and infrastructure").
//!
//! Categories are dotted paths (`energy.oil.refinery`). In files, a list of categories may also
//! hold prefixes with a wildcard (`energy.*`) and named sets (`set:kremlin-2025-03-25`); both are
//! expanded to plain categories before anything is signed, so entries are explicit.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Every category, with what it covers.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("energy.oil.refinery", "oil refineries"),
    ("energy.oil.pipeline", "oil pipelines"),
    ("energy.oil.pumping", "oil pumping stations"),
    ("energy.oil.storage", "oil depots and storage tanks"),
    ("energy.gas.pipeline", "gas pipelines"),
    ("energy.gas.compression", "gas compressor stations"),
    ("energy.gas.metering", "gas metering stations"),
    ("energy.gas.storage", "gas storage facilities"),
    ("energy.gas.processing", "gas processing plants"),
    ("energy.power.plant", "thermal, solar and wind power plants"),
    ("energy.power.substation", "electrical substations"),
    ("energy.power.transformer", "transformers"),
    ("energy.power.distribution", "distribution units and lines"),
    (
        "energy.power.transmission",
        "high-voltage transmission lines",
    ),
    ("energy.nuclear", "nuclear power plants"),
    ("energy.hydro.dam", "hydroelectric dams and plants"),
    ("transport.port", "sea and river ports"),
    (
        "transport.port.grain",
        "grain export ports and terminals (e.g. Odesa, Chornomorsk, Pivdennyi)",
    ),
    (
        "transport.port.oil",
        "oil export ports and terminals (e.g. Novorossiysk, Tuapse)",
    ),
    ("transport.rail", "railways, rail yards and bridges"),
    ("transport.road.bridge", "road bridges"),
    ("transport.airport", "airports"),
    ("water.supply", "water supply and treatment"),
    ("telecom", "telecommunications"),
    ("civilian.residential", "residential buildings"),
    ("civilian.health", "hospitals and clinics"),
    ("vessel.commercial", "commercial (merchant) vessels"),
    (
        "vessel.commercial.grain",
        "bulk carriers in the grain trade",
    ),
    (
        "vessel.commercial.tanker",
        "tankers (oil, products, chemicals, gas)",
    ),
    ("vessel.military", "warships and naval auxiliaries"),
];

/// Named sets: what a text's wording covers, as taxonomy categories.
pub const NAMED_SETS: &[(&str, &str, &[&str])] = &[
    (
        "kremlin-2025-03-25",
        "Kremlin list of 25 March 2025: oil refineries; oil and gas pipelines and storage, including pumping stations; electricity generation and transmission (power plants, substations, transformers, distribution units); nuclear power plants; hydroelectric dams",
        &[
            "energy.oil.refinery",
            "energy.oil.pipeline",
            "energy.oil.pumping",
            "energy.oil.storage",
            "energy.gas.pipeline",
            "energy.gas.compression",
            "energy.gas.metering",
            "energy.gas.storage",
            "energy.power.plant",
            "energy.power.substation",
            "energy.power.transformer",
            "energy.power.distribution",
            "energy.power.transmission",
            "energy.nuclear",
            "energy.hydro.dam",
        ],
    ),
    (
        "white-house-2025-03-18",
        "White House readout of 18 March 2025: \"an energy and infrastructure ceasefire\" (all energy and infrastructure categories)",
        &["energy.*", "transport.*", "water.supply", "telecom"],
    ),
    ("energy", "all energy infrastructure", &["energy.*"]),
    (
        "black-sea-navigation",
        "White House statements of 25 March 2025 (Black Sea): \"ensure safe navigation, eliminate the use of force\" — commercial vessels and the ports they use",
        &[
            "vessel.commercial",
            "vessel.commercial.*",
            "transport.port",
            "transport.port.*",
        ],
    ),
    ("vessels", "every vessel, commercial or military", &["vessel.*"]),
];

/// Weapon classes (what a withdrawal zone covers and a weapons sighting names), kept apart from
/// the site categories: a weapon is never a protected target. A class written in a zone also
/// covers its sub-classes (`weapon.artillery` covers `weapon.artillery.howitzer`); calibres are
/// stated separately, as the Minsk Package states them ("artillery of 100 mm calibre and more").
pub const WEAPONS: &[(&str, &str)] = &[
    ("weapon.artillery", "tube artillery of unstated kind"),
    (
        "weapon.artillery.howitzer",
        "howitzers, towed or self-propelled (2A65 Msta-B, 2S3 Akatsiya, D-30)",
    ),
    (
        "weapon.artillery.gun",
        "field and anti-tank guns (2A36 Giatsint-B, MT-12 Rapira)",
    ),
    ("weapon.mortar", "mortars (82 mm, 120 mm)"),
    ("weapon.mlrs", "multiple rocket launchers (BM-21 Grad)"),
    (
        "weapon.mlrs.heavy",
        "heavy multiple rocket launchers (BM-27 Uragan, BM-30 Smerch, Tornado-S)",
    ),
    (
        "weapon.missile.tactical",
        "tactical missile systems (Tochka-U)",
    ),
    ("weapon.tank", "tanks"),
    (
        "weapon.armoured",
        "armoured combat vehicles (infantry fighting vehicles, personnel carriers)",
    ),
    ("weapon.air-defence", "air-defence systems"),
];

/// Whether the dotted name `name` is `prefix` or lies under it (`energy` covers `energy.gas`,
/// not `energyx`).
pub(crate) fn dotted_covers(prefix: &str, name: &str) -> bool {
    name == prefix || (name.starts_with(prefix) && name.as_bytes().get(prefix.len()) == Some(&b'.'))
}

/// A weapon class of [`WEAPONS`], or a dotted prefix of some (`weapon`, `weapon.mlrs`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WeaponClass(String);

impl WeaponClass {
    /// Checks that `name` is a weapon class or a dotted prefix of one.
    pub fn new(name: &str) -> Result<Self, String> {
        let dotted = format!("{name}.");
        if WEAPONS
            .iter()
            .any(|(c, _)| *c == name || c.starts_with(&dotted))
        {
            Ok(WeaponClass(name.to_string()))
        } else {
            Err(format!(
                "unknown weapon class {name:?}; known classes: {}",
                WEAPONS
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
    /// Whether `c` is this class or lies under it.
    pub fn covers(&self, c: &WeaponClass) -> bool {
        dotted_covers(&self.0, &c.0)
    }
    /// The dotted name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WeaponClass {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        WeaponClass::new(&s)
    }
}

impl From<WeaponClass> for String {
    fn from(c: WeaponClass) -> Self {
        c.0
    }
}

impl std::fmt::Display for WeaponClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A category of the taxonomy (validated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Category(String);

impl Category {
    /// Looks a category up by name.
    pub fn new(name: &str) -> Result<Self, String> {
        if CATEGORIES.iter().any(|(c, _)| *c == name) {
            Ok(Category(name.to_string()))
        } else {
            Err(format!(
                "unknown category {name:?}; known categories are listed by `truce taxonomy` (e.g. energy.oil.refinery, energy.power.substation)"
            ))
        }
    }
    /// The dotted name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// What it covers.
    pub fn description(&self) -> &'static str {
        CATEGORIES
            .iter()
            .find(|(c, _)| *c == self.0)
            .map(|(_, d)| *d)
            .unwrap_or("")
    }
}

impl TryFrom<String> for Category {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Category::new(&s)
    }
}

impl From<Category> for String {
    fn from(c: Category) -> Self {
        c.0
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Expands one pattern: a category, a `prefix.*` wildcard or a `set:<name>` named set.
pub fn expand(pattern: &str) -> Result<BTreeSet<Category>, String> {
    if let Some(name) = pattern.strip_prefix("set:") {
        let (_, _, members) = NAMED_SETS
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| {
                let names: Vec<&str> = NAMED_SETS.iter().map(|(n, _, _)| *n).collect();
                format!(
                    "unknown category set {name:?}; known sets: {}",
                    names.join(", ")
                )
            })?;
        let mut out = BTreeSet::new();
        for m in *members {
            out.extend(expand(m)?);
        }
        return Ok(out);
    }
    if let Some(prefix) = pattern.strip_suffix(".*") {
        let dotted = format!("{prefix}.");
        let out: BTreeSet<Category> = CATEGORIES
            .iter()
            .filter(|(c, _)| c.starts_with(&dotted))
            .map(|(c, _)| Category(c.to_string()))
            .collect();
        if out.is_empty() {
            return Err(format!("{pattern:?} matches no category"));
        }
        return Ok(out);
    }
    Ok(BTreeSet::from([Category::new(pattern)?]))
}

/// A set of categories. In files it may be written with wildcards and named sets; it is stored
/// and signed expanded, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct CategorySet(BTreeSet<Category>);

impl CategorySet {
    /// The categories.
    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.0.iter()
    }
    /// Whether it contains `c`.
    pub fn contains(&self, c: &Category) -> bool {
        self.0.contains(c)
    }
    /// Categories in `self` and not in `other`.
    pub fn minus(&self, other: &CategorySet) -> Vec<Category> {
        self.0.difference(&other.0).cloned().collect()
    }
    /// Number of categories.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Vec<String>> for CategorySet {
    type Error = String;
    fn try_from(v: Vec<String>) -> Result<Self, String> {
        let mut out = BTreeSet::new();
        for p in v {
            out.extend(expand(&p)?);
        }
        Ok(CategorySet(out))
    }
}

impl From<CategorySet> for Vec<String> {
    fn from(s: CategorySet) -> Self {
        s.0.into_iter().map(|c| c.0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_sets_expand_to_categories() {
        let k = expand("set:kremlin-2025-03-25").unwrap();
        assert!(k.contains(&Category::new("energy.gas.metering").unwrap()));
        assert!(k.contains(&Category::new("energy.hydro.dam").unwrap()));
        assert!(!k.contains(&Category::new("transport.port").unwrap()));
        let w = expand("set:white-house-2025-03-18").unwrap();
        assert!(
            w.is_superset(&k),
            "the White House wording covers all the Kremlin lists"
        );
        assert!(w.contains(&Category::new("transport.port").unwrap()));
        assert_eq!(expand("energy.oil.*").unwrap().len(), 4);
        let b = expand("set:black-sea-navigation").unwrap();
        assert_eq!(b.len(), 6);
        assert!(b.contains(&Category::new("transport.port.grain").unwrap()));
        assert!(b.contains(&Category::new("vessel.commercial").unwrap()));
        assert!(!b.contains(&Category::new("vessel.military").unwrap()));
        assert_eq!(expand("vessel.*").unwrap().len(), 4);
        assert_eq!(expand("transport.port.*").unwrap().len(), 2);
    }

    #[test]
    fn weapon_classes_cover_their_sub_classes() {
        let art = WeaponClass::new("weapon.artillery").expect("class");
        let how = WeaponClass::new("weapon.artillery.howitzer").expect("class");
        assert!(art.covers(&how) && art.covers(&art) && !how.covers(&art));
        assert!(!WeaponClass::new("weapon.mlrs")
            .expect("class")
            .covers(&WeaponClass::new("weapon.mortar").expect("class")));
        assert!(WeaponClass::new("weapon").is_ok());
        assert!(WeaponClass::new("weapon.artiller").is_err());
        assert!(
            Category::new("weapon.tank").is_err(),
            "a weapon is not a site category"
        );
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!(Category::new("energy.oil.refinry")
            .unwrap_err()
            .contains("unknown category"));
        assert!(expand("set:nope").unwrap_err().contains("known sets"));
        assert!(expand("space.*").is_err());
        let s: Result<CategorySet, _> = serde_json::from_str(r#"["energy.*", "bogus"]"#);
        assert!(s.is_err());
    }
}
