//! The simulated geography: a box over Ukraine and western Russia (lat 44–53, lon 22–41), the
//! first-level regions with a few real towns each, an approximate line of contact, a rough
//! sea mask, and metre ↔ degree offsets. Positions are approximate and for simulation only.

use crate::rng::Rng;

/// Southern edge of the box (degrees).
pub const LAT_MIN: f64 = 44.0;
/// Northern edge of the box (degrees).
pub const LAT_MAX: f64 = 53.0;
/// Western edge of the box (degrees).
pub const LON_MIN: f64 = 22.0;
/// Eastern edge of the box (degrees).
pub const LON_MAX: f64 = 41.0;

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_320.0;

/// A side of the conflict, owning the sites on its territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// Ukraine (party id `ua`).
    Ukraine,
    /// Russia (party id `ru`).
    Russia,
}

impl Side {
    /// Both sides.
    pub const ALL: [Side; 2] = [Side::Ukraine, Side::Russia];

    /// The party identifier used across Truce (`ua`, `ru`).
    pub fn party_id(self) -> &'static str {
        match self {
            Side::Ukraine => "ua",
            Side::Russia => "ru",
        }
    }
    /// The side for a party identifier, if it is one of the two.
    pub fn from_party_id(id: &str) -> Option<Side> {
        Side::ALL.into_iter().find(|s| s.party_id() == id)
    }
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Ukraine => Side::Russia,
            Side::Russia => Side::Ukraine,
        }
    }
    /// Country name as ACLED writes it.
    pub fn country(self) -> &'static str {
        match self {
            Side::Ukraine => "Ukraine",
            Side::Russia => "Russia",
        }
    }
    /// ISO 3166-1 alpha-3 code (ACLED's event id prefix).
    pub fn iso3(self) -> &'static str {
        match self {
            Side::Ukraine => "UKR",
            Side::Russia => "RUS",
        }
    }
    /// ISO 3166-1 numeric code (ACLED's `iso` column).
    pub fn iso_num(self) -> u32 {
        match self {
            Side::Ukraine => 804,
            Side::Russia => 643,
        }
    }
    /// The side's armed forces as an ACLED actor name.
    pub fn military(self) -> &'static str {
        match self {
            Side::Ukraine => "Military Forces of Ukraine (2019-)",
            Side::Russia => "Military Forces of Russia (2000-)",
        }
    }
    /// Adjective for free text ("Russian forces").
    pub fn adjective(self) -> &'static str {
        match self {
            Side::Ukraine => "Ukrainian",
            Side::Russia => "Russian",
        }
    }
    /// The civilian population as an ACLED actor name.
    pub fn civilians(self) -> &'static str {
        match self {
            Side::Ukraine => "Civilians (Ukraine)",
            Side::Russia => "Civilians (Russia)",
        }
    }
}

/// A town: name, latitude, longitude.
pub(crate) type Town = (&'static str, f64, f64);

/// A first-level region (oblast, krai, republic) as ACLED names it in `admin1`.
pub(crate) struct Region {
    pub admin1: &'static str,
    /// The country ACLED codes events here under.
    pub country: Side,
    /// The side holding (most of) the region: its party reports strikes on sites here.
    pub held: Side,
    /// Near the line of contact or the border: shelling and battles happen here.
    pub front: bool,
    /// Relative share of sites.
    pub weight: u32,
    pub towns: &'static [Town],
}

/// The regions of the box. Crimea is coded under Ukraine, as ACLED does; Crimea and Luhansk are
/// held by Russia.
#[rustfmt::skip]
pub(crate) const REGIONS: &[Region] = &[
    Region { admin1: "Kyiv City", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 5, towns: &[("Kyiv", 50.4501, 30.5234)] },
    Region { admin1: "Kyiv", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 4, towns: &[("Bila Tserkva", 49.7988, 30.1153), ("Brovary", 50.5110, 30.7909), ("Boryspil", 50.3527, 30.9550), ("Obukhiv", 50.1072, 30.6183)] },
    Region { admin1: "Kharkiv", country: Side::Ukraine, held: Side::Ukraine, front: true, weight: 6, towns: &[("Kharkiv", 49.9935, 36.2304), ("Izium", 49.2128, 37.2566), ("Chuhuiv", 49.8356, 36.6880), ("Kupiansk", 49.7106, 37.6156), ("Zmiiv", 49.6790, 36.3590)] },
    Region { admin1: "Dnipropetrovsk", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 6, towns: &[("Dnipro", 48.4647, 35.0462), ("Kryvyi Rih", 47.9105, 33.3918), ("Nikopol", 47.5712, 34.3964), ("Pavlohrad", 48.5350, 35.8700), ("Kamianske", 48.5113, 34.6021)] },
    Region { admin1: "Zaporizhia", country: Side::Ukraine, held: Side::Ukraine, front: true, weight: 4, towns: &[("Zaporizhzhia", 47.8388, 35.1396), ("Enerhodar", 47.4989, 34.6558), ("Orikhiv", 47.5676, 35.7850)] },
    Region { admin1: "Odesa", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 5, towns: &[("Odesa", 46.4825, 30.7233), ("Izmail", 45.3497, 28.8360), ("Chornomorsk", 46.3011, 30.6556), ("Podilsk", 47.7470, 29.5320)] },
    Region { admin1: "Mykolaiv", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 3, towns: &[("Mykolaiv", 46.9750, 31.9946), ("Voznesensk", 47.5679, 31.3330), ("Pivdennoukrainsk", 47.8188, 31.1830)] },
    Region { admin1: "Kherson", country: Side::Ukraine, held: Side::Ukraine, front: true, weight: 3, towns: &[("Kherson", 46.6354, 32.6169), ("Beryslav", 46.8409, 33.4280), ("Nova Kakhovka", 46.7546, 33.3485)] },
    Region { admin1: "Donetsk", country: Side::Ukraine, held: Side::Ukraine, front: true, weight: 5, towns: &[("Kramatorsk", 48.7231, 37.5563), ("Sloviansk", 48.8526, 37.6051), ("Pokrovsk", 48.2820, 37.1760), ("Kostiantynivka", 48.5277, 37.7069), ("Druzhkivka", 48.6300, 37.5500)] },
    Region { admin1: "Luhansk", country: Side::Ukraine, held: Side::Russia, front: true, weight: 2, towns: &[("Luhansk", 48.5740, 39.3078), ("Sievierodonetsk", 48.9482, 38.4910), ("Lysychansk", 48.9041, 38.4269)] },
    Region { admin1: "Sumy", country: Side::Ukraine, held: Side::Ukraine, front: true, weight: 3, towns: &[("Sumy", 50.9077, 34.7981), ("Shostka", 51.8639, 33.4698), ("Okhtyrka", 50.3100, 34.8988), ("Konotop", 51.2403, 33.2026)] },
    Region { admin1: "Chernihiv", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 3, towns: &[("Chernihiv", 51.4982, 31.2893), ("Nizhyn", 51.0480, 31.8869), ("Pryluky", 50.5931, 32.3876)] },
    Region { admin1: "Poltava", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 4, towns: &[("Poltava", 49.5883, 34.5514), ("Kremenchuk", 49.0680, 33.4204), ("Myrhorod", 49.9687, 33.6089), ("Horishni Plavni", 49.0119, 33.6541)] },
    Region { admin1: "Lviv", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 4, towns: &[("Lviv", 49.8397, 24.0297), ("Stryi", 49.2594, 23.8529), ("Sheptytskyi", 50.3894, 24.2311), ("Drohobych", 49.3500, 23.5050)] },
    Region { admin1: "Vinnytsia", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 3, towns: &[("Vinnytsia", 49.2331, 28.4682), ("Ladyzhyn", 48.6840, 29.2400), ("Zhmerynka", 49.0370, 28.1120)] },
    Region { admin1: "Khmelnytskyi", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 3, towns: &[("Khmelnytskyi", 49.4229, 26.9871), ("Netishyn", 50.3400, 26.6400), ("Shepetivka", 50.1822, 27.0630)] },
    Region { admin1: "Rivne", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 2, towns: &[("Rivne", 50.6199, 26.2516), ("Varash", 51.3500, 25.8500)] },
    Region { admin1: "Ivano-Frankivsk", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 3, towns: &[("Ivano-Frankivsk", 48.9226, 24.7111), ("Burshtyn", 49.2600, 24.6300), ("Kalush", 49.0200, 24.3700)] },
    Region { admin1: "Zhytomyr", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 2, towns: &[("Zhytomyr", 50.2547, 28.6587), ("Korosten", 50.9500, 28.6400), ("Berdychiv", 49.8990, 28.6020)] },
    Region { admin1: "Cherkasy", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 2, towns: &[("Cherkasy", 49.4444, 32.0598), ("Uman", 48.7484, 30.2218), ("Smila", 49.2220, 31.8870)] },
    Region { admin1: "Kirovohrad", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 2, towns: &[("Kropyvnytskyi", 48.5079, 32.2623), ("Oleksandriia", 48.6696, 33.1159), ("Svitlovodsk", 49.0490, 33.2410)] },
    Region { admin1: "Volyn", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 2, towns: &[("Lutsk", 50.7472, 25.3254), ("Kovel", 51.2150, 24.7090)] },
    Region { admin1: "Ternopil", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 1, towns: &[("Ternopil", 49.5535, 25.5948), ("Chortkiv", 49.0170, 25.7980)] },
    Region { admin1: "Chernivtsi", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 1, towns: &[("Chernivtsi", 48.2915, 25.9403)] },
    Region { admin1: "Zakarpattia", country: Side::Ukraine, held: Side::Ukraine, front: false, weight: 1, towns: &[("Uzhhorod", 48.6208, 22.2879), ("Mukachevo", 48.4393, 22.7170)] },
    Region { admin1: "Crimea", country: Side::Ukraine, held: Side::Russia, front: false, weight: 3, towns: &[("Simferopol", 44.9521, 34.1024), ("Sevastopol", 44.6166, 33.5254), ("Feodosia", 45.0319, 35.3824), ("Kerch", 45.3563, 36.4674), ("Dzhankoi", 45.7086, 34.3933)] },
    Region { admin1: "Belgorod", country: Side::Russia, held: Side::Russia, front: true, weight: 4, towns: &[("Belgorod", 50.5997, 36.5983), ("Shebekino", 50.4078, 36.8958), ("Valuyki", 50.2111, 38.0997), ("Gubkin", 51.2836, 37.5469), ("Stary Oskol", 51.2967, 37.8417)] },
    Region { admin1: "Kursk", country: Side::Russia, held: Side::Russia, front: true, weight: 4, towns: &[("Kursk", 51.7304, 36.1926), ("Kurchatov", 51.6603, 35.6572), ("Sudzha", 51.1917, 35.2706), ("Rylsk", 51.5681, 34.6797), ("Lgov", 51.6597, 35.2644)] },
    Region { admin1: "Bryansk", country: Side::Russia, held: Side::Russia, front: true, weight: 3, towns: &[("Klintsy", 52.7597, 32.2364), ("Novozybkov", 52.5389, 31.9283), ("Starodub", 52.5833, 32.7667), ("Trubchevsk", 52.5792, 33.7681), ("Unecha", 52.8464, 32.6764)] },
    Region { admin1: "Oryol", country: Side::Russia, held: Side::Russia, front: false, weight: 2, towns: &[("Oryol", 52.9703, 36.0635), ("Livny", 52.4253, 37.6083), ("Mtsensk", 53.0000, 36.5500)] },
    Region { admin1: "Voronezh", country: Side::Russia, held: Side::Russia, front: false, weight: 4, towns: &[("Voronezh", 51.6720, 39.1843), ("Novovoronezh", 51.3092, 39.2164), ("Liski", 50.9842, 39.5081), ("Rossosh", 50.1983, 39.5672), ("Ostrogozhsk", 50.8678, 39.0778)] },
    Region { admin1: "Lipetsk", country: Side::Russia, held: Side::Russia, front: false, weight: 2, towns: &[("Lipetsk", 52.6031, 39.5708), ("Yelets", 52.6203, 38.5003)] },
    Region { admin1: "Rostov", country: Side::Russia, held: Side::Russia, front: false, weight: 4, towns: &[("Rostov-on-Don", 47.2357, 39.7015), ("Taganrog", 47.2362, 38.8969), ("Novoshakhtinsk", 47.7575, 39.9364), ("Kamensk-Shakhtinsky", 48.3178, 40.2592), ("Millerovo", 48.9219, 40.3983)] },
    Region { admin1: "Krasnodar", country: Side::Russia, held: Side::Russia, front: false, weight: 4, towns: &[("Krasnodar", 45.0355, 38.9753), ("Novorossiysk", 44.7239, 37.7708), ("Tuapse", 44.1053, 39.0802), ("Slavyansk-na-Kubani", 45.2558, 38.1256), ("Tikhoretsk", 45.8546, 40.1256), ("Yeysk", 46.7106, 38.2778)] },
];

/// An approximate line of contact and border front, south-west to north-east, `(lat, lon)`.
pub(crate) const FRONT: &[(f64, f64)] = &[
    (46.55, 32.30),
    (46.75, 33.40),
    (47.40, 34.70),
    (47.55, 35.80),
    (47.75, 36.80),
    (48.05, 37.45),
    (48.55, 37.95),
    (49.05, 38.15),
    (49.60, 37.80),
    (50.20, 37.40),
    (50.45, 36.30),
    (51.10, 35.20),
    (51.60, 34.20),
    (52.10, 33.50),
    (52.35, 32.20),
];

/// `cos` of an angle in degrees, |angle| ≤ 90, from a Taylor series (basic IEEE operations
/// only, so identical on every platform; error below 1e-9 inside the box).
pub(crate) fn cos_deg(deg: f64) -> f64 {
    let x = deg * (std::f64::consts::PI / 180.0);
    let x2 = x * x;
    // Horner form of 1 - x²/2! + x⁴/4! - … + x¹⁶/16!
    // Coefficients 1/(2n)! for n = 8 … 0 with alternating signs.
    const C: [f64; 9] = [
        1.0 / 20_922_789_888_000.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 479_001_600.0,
        -1.0 / 3_628_800.0,
        1.0 / 40_320.0,
        -1.0 / 720.0,
        1.0 / 24.0,
        -1.0 / 2.0,
        1.0,
    ];
    let mut s = C[0];
    for c in &C[1..] {
        s = s * x2 + c;
    }
    s
}

/// Moves `(lat, lon)` by `north_m`, `east_m` metres.
pub(crate) fn offset_m(lat: f64, lon: f64, north_m: f64, east_m: f64) -> (f64, f64) {
    (
        lat + north_m / M_PER_DEG,
        lon + east_m / (M_PER_DEG * cos_deg(lat)),
    )
}

/// A position scattered around `(lat, lon)` with a standard deviation of about `sigma_m` metres.
pub(crate) fn scatter(rng: &mut Rng, lat: f64, lon: f64, sigma_m: f64) -> (f64, f64) {
    let n = rng.normalish() * sigma_m;
    let e = rng.normalish() * sigma_m;
    offset_m(lat, lon, n, e)
}

/// Approximate distance in metres (equirectangular; fine at these scales).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let dy = (lat2 - lat1) * M_PER_DEG;
    let dx = (lon2 - lon1) * M_PER_DEG * cos_deg((lat1 + lat2) / 2.0);
    (dx * dx + dy * dy).sqrt()
}

/// Clamps a position into the box.
pub(crate) fn clamp_box(lat: f64, lon: f64) -> (f64, f64) {
    (lat.clamp(LAT_MIN, LAT_MAX), lon.clamp(LON_MIN, LON_MAX))
}

/// A rough mask of the Black Sea and the Sea of Azov (good to a few tens of kilometres).
pub(crate) fn is_sea(lat: f64, lon: f64) -> bool {
    let crimea = (44.4..46.1).contains(&lat) && (32.5..36.6).contains(&lon);
    // The Black Sea between the Danube delta and the Caucasus coast, south of 46°N.
    let west = 28.7 + (lat - 44.2).max(0.0);
    let east = if lat >= 44.9 {
        36.6
    } else {
        37.3 + (44.9 - lat) * 2.1
    };
    let black = lat < 46.0 && lon > west && lon < east && !crimea;
    // The Sea of Azov as an ellipse.
    let dy = (lat - 46.1) / 0.8;
    let dx = (lon - 37.0) / 1.9;
    let azov = dx * dx + dy * dy < 1.0 && !crimea;
    black || azov
}

/// A uniform position on land inside the box.
pub(crate) fn random_land(rng: &mut Rng) -> (f64, f64) {
    let mut p = (50.0, 30.0);
    for _ in 0..16 {
        p = (rng.range(LAT_MIN, LAT_MAX), rng.range(LON_MIN, LON_MAX));
        if !is_sea(p.0, p.1) {
            break;
        }
    }
    p
}

/// A position near the line of contact.
pub(crate) fn near_front(rng: &mut Rng, sigma_m: f64) -> (f64, f64) {
    let i = rng.below(FRONT.len() as u64 - 1) as usize;
    let t = rng.unit();
    let (a, b) = (FRONT[i], FRONT[i + 1]);
    let lat = a.0 + (b.0 - a.0) * t;
    let lon = a.1 + (b.1 - a.1) * t;
    let (lat, lon) = scatter(rng, lat, lon, sigma_m);
    clamp_box(lat, lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_matches_std() {
        for d in -90..=90 {
            let d = f64::from(d);
            assert!((cos_deg(d) - d.to_radians().cos()).abs() < 1e-9, "{d}");
        }
    }

    #[test]
    fn towns_are_in_the_box_and_on_land() {
        for r in REGIONS {
            for (name, lat, lon) in r.towns {
                assert!((LAT_MIN..=LAT_MAX).contains(lat), "{name}");
                assert!((LON_MIN..=LON_MAX).contains(lon), "{name}");
                assert!(!is_sea(*lat, *lon), "{name} is in the sea mask");
            }
        }
        assert!(is_sea(44.9, 31.5), "open Black Sea");
        assert!(is_sea(46.2, 37.0), "Sea of Azov");
        assert!(!is_sea(50.45, 30.52));
        assert!(!is_sea(45.0, 34.1), "Crimea is land");
    }

    #[test]
    fn offsets_and_distances_agree() {
        let (lat, lon) = offset_m(48.0, 35.0, 3_000.0, 4_000.0);
        assert!((distance_m(48.0, 35.0, lat, lon) - 5_000.0).abs() < 5.0);
        for s in Side::ALL {
            assert_eq!(Side::from_party_id(s.party_id()), Some(s));
            assert_eq!(s.other().other(), s);
        }
    }
}
