//! Persistent hot spots (gas flares at refineries and gas fields, kilns, steel works) learned from
//! satellite fire detections, so that routine flaring is not taken for a strike.
//!
//! Detections are binned into an equal-area-ish grid: latitude rows `cell_m` tall, each row split
//! into columns about `cell_m` wide at the row's latitude (so `360° × cos(lat)` worth of columns).
//! A cell is a hot spot when it is *persistent*: detections on at least `min_days` distinct UTC
//! days whose first and last are at least `min_span_days` apart — or any detection the source
//! flagged as a static land source. The caller decides which detections teach (every detection
//! known, less those inside incidents someone alleges: a strike never trains the baseline).

/// One satellite fire detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Unix seconds.
    pub time: i64,
    /// FIRMS VIIRS `type` 2 ("other static land source") when the source says so.
    pub static_source: bool,
}

/// How hot spots are learned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineParams {
    /// Cell side, metres (default 750). Values that are not finite or below 1 m are taken as 1 m.
    pub cell_m: f64,
    /// Distinct UTC days with detections that make a cell persistent (default 10).
    pub min_days: u32,
    /// Least span from a cell's first to its last detection day, days (default 21: three
    /// weeks, longer than the fires strikes start burn, short enough that a log covering a
    /// month-long window learns its flares).
    pub min_span_days: u32,
}

impl Default for BaselineParams {
    fn default() -> Self {
        BaselineParams {
            cell_m: 750.0,
            min_days: 10,
            min_span_days: 21,
        }
    }
}

/// What is known of one hot-spot cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotSpot {
    /// Distinct UTC days with detections in the cell.
    pub days: u32,
    /// First and last detection time (unix seconds).
    pub first: i64,
    pub last: i64,
    /// Whether any detection in the cell was flagged as a static land source.
    pub static_source: bool,
    /// Number of detections in the cell.
    pub detections: u32,
}

/// The hot spots learned.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    grid: Grid,
    /// Hot-spot cells' keys (`row << 32 | col`), ascending, and their stats.
    keys: Vec<u64>,
    spots: Vec<HotSpot>,
}

const DAY_S: i64 = 86_400;
/// Metres per degree of latitude used to size rows (a mean value; the grid need not be exact).
const M_PER_DEG: f64 = 111_195.0;

impl Baseline {
    /// Learns from `dets` (detections with non-finite coordinates are ignored): a cell is a hot
    /// spot when it has detections on at least `min_days` distinct UTC days spanning at least
    /// `min_span_days` from first to last, or any detection flagged `static_source`.
    pub fn learn(dets: impl IntoIterator<Item = Detection>, p: &BaselineParams) -> Baseline {
        let grid = Grid::new(p.cell_m);
        let mut keyed: Vec<(u64, i64, bool)> = dets
            .into_iter()
            .filter(|d| d.lon.is_finite() && d.lat.is_finite())
            .map(|d| (grid.key(d.lon, d.lat), d.time, d.static_source))
            .collect();
        keyed.sort_unstable();

        let (mut keys, mut spots) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < keyed.len() {
            let key = keyed[i].0;
            let from = i;
            while i < keyed.len() && keyed[i].0 == key {
                i += 1;
            }
            if let Some(spot) = spot_of(keyed[from..i].iter().map(|&(_, t, s)| (t, s)), p) {
                keys.push(key);
                spots.push(spot);
            }
        }
        Baseline { grid, keys, spots }
    }

    /// A baseline with no hot spot yet, on the grid of `p` (hot spots are then set cell by cell
    /// with [`Baseline::set`]).
    pub(crate) fn empty(p: &BaselineParams) -> Baseline {
        Baseline {
            grid: Grid::new(p.cell_m),
            keys: Vec::new(),
            spots: Vec::new(),
        }
    }

    /// The key of the cell holding `p` (`[lon, lat]`, finite), as [`Baseline::learn`] bins it.
    pub(crate) fn cell_of(&self, p: [f64; 2]) -> u64 {
        self.grid.key(p[0], p[1])
    }

    /// The hot spot of one cell, if it is one.
    pub(crate) fn get(&self, key: u64) -> Option<HotSpot> {
        self.keys.binary_search(&key).ok().map(|i| self.spots[i])
    }

    /// Sets (or clears) the hot spot of one cell.
    pub(crate) fn set(&mut self, key: u64, spot: Option<HotSpot>) {
        match (self.keys.binary_search(&key), spot) {
            (Ok(i), Some(h)) => self.spots[i] = h,
            (Ok(i), None) => {
                self.keys.remove(i);
                self.spots.remove(i);
            }
            (Err(i), Some(h)) => {
                self.keys.insert(i, key);
                self.spots.insert(i, h);
            }
            (Err(_), None) => {}
        }
    }

    /// Every cell whose positions [`Baseline::hot_spot`] might look at cell `key` from: a
    /// superset (the rows above and below, and in each the columns spanning `key`'s column and
    /// its neighbours, one more either side). A change to `key`'s hot spot can change the hot
    /// spot found only for positions in these cells.
    pub(crate) fn reach_cells(&self, key: u64) -> Vec<u64> {
        let (row, col) = ((key >> 32) as u32, key as u32);
        let n = self.grid.ncols(row);
        let mut out = Vec::new();
        let (r_lo, r_hi) = (row.saturating_sub(1), (row + 1).min(self.grid.nrows - 1));
        for r in r_lo..=r_hi {
            let m = self.grid.ncols(r);
            let all =
                |out: &mut Vec<u64>| out.extend((0..m).map(|c| u64::from(r) << 32 | u64::from(c)));
            if n <= 3 {
                all(&mut out);
                continue;
            }
            // Columns col - 1 ..= col + 1 of `row` span these longitudes (+180), in row `r`'s
            // columns: one more either side covers rounding.
            let per = f64::from(m) / f64::from(n);
            let lo = ((f64::from(col) - 1.0) * per).floor() as i64 - 1;
            let hi = ((f64::from(col) + 2.0) * per).floor() as i64 + 1;
            if hi - lo + 1 >= i64::from(m) {
                all(&mut out);
                continue;
            }
            for c in lo..=hi {
                out.push(u64::from(r) << 32 | c.rem_euclid(i64::from(m)) as u64);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The hot spot covering `p` (`[lon, lat]`), if any, looking at `p`'s cell and its neighbours
    /// (the rows above and below, and in each of the three rows the columns one column-width
    /// either side of `p`), so that a flare on a cell edge is found.
    ///
    /// When several of those cells are hot spots, the one returned is the one with the most
    /// distinct days, then the most detections, then the lowest cell key (row, then column,
    /// south to north and west to east): the stats of one cell, never a sum, so `days` and
    /// `first`/`last` stay those of one site.
    pub fn hot_spot(&self, p: [f64; 2]) -> Option<HotSpot> {
        let [lon, lat] = p;
        if self.keys.is_empty() || !lon.is_finite() || !lat.is_finite() {
            return None;
        }
        let lon = norm_lon(lon);
        let r = self.grid.row(lat);
        let (r_lo, r_hi) = (r.saturating_sub(1), (r + 1).min(self.grid.nrows - 1));
        let row_start = |row: u32| u64::from(row) << 32;
        // The hot spots of the three rows, then of each row.
        let from = self.keys.partition_point(|&k| k < row_start(r_lo));
        let to = from + self.keys[from..].partition_point(|&k| k < row_start(r_hi + 1));
        let block = &self.keys[from..to];
        let mut best: Option<usize> = None;
        for row in r_lo..=r_hi {
            let lo = block.partition_point(|&k| k < row_start(row));
            let hi = lo + block[lo..].partition_point(|&k| k < row_start(row + 1));
            if lo == hi {
                continue;
            }
            let ncols = self.grid.ncols(row);
            let c = self.grid.col(row, lon);
            let cols: &[u32] = if ncols <= 3 {
                &[0, 1, 2][..ncols as usize]
            } else {
                &[(c + ncols - 1) % ncols, c, (c + 1) % ncols]
            };
            for &col in cols {
                let Ok(at) = block[lo..hi].binary_search(&(row_start(row) | u64::from(col))) else {
                    continue;
                };
                let at = from + lo + at;
                // Most days, then most detections, then the lowest key.
                let rank = |i: usize| {
                    let h = &self.spots[i];
                    (h.days, h.detections, std::cmp::Reverse(self.keys[i]))
                };
                if best.is_none_or(|b| rank(at) > rank(b)) {
                    best = Some(at);
                }
            }
        }
        best.map(|i| self.spots[i])
    }

    /// The hot spots with their cells' centres (`[lon, lat]`), in cell order (south to north,
    /// west to east).
    pub fn iter(&self) -> impl Iterator<Item = ([f64; 2], &HotSpot)> + '_ {
        self.keys
            .iter()
            .zip(&self.spots)
            .map(|(k, h)| (self.grid.centre((k >> 32) as u32, *k as u32), h))
    }

    /// Number of hot-spot cells.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no hot spot was learned.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The hot spot one cell's teaching detections make, if they make one: `entries` are their
/// (time, static source) in ascending order. Persistent — detections on at least `min_days`
/// distinct UTC days spanning at least `min_span_days` — or flagged a static land source.
pub(crate) fn spot_of(
    entries: impl IntoIterator<Item = (i64, bool)>,
    p: &BaselineParams,
) -> Option<HotSpot> {
    let mut it = entries.into_iter();
    let (first, s0) = it.next()?;
    let mut spot = HotSpot {
        days: 1,
        first,
        last: first,
        static_source: s0,
        detections: 1,
    };
    let mut last_day = first.div_euclid(DAY_S);
    for (time, static_source) in it {
        let day = time.div_euclid(DAY_S);
        if last_day != day {
            spot.days = spot.days.saturating_add(1);
            last_day = day;
        }
        spot.last = time;
        spot.static_source |= static_source;
        spot.detections = spot.detections.saturating_add(1);
    }
    let span = spot.last.div_euclid(DAY_S) - spot.first.div_euclid(DAY_S);
    ((spot.days >= p.min_days && span >= i64::from(p.min_span_days)) || spot.static_source)
        .then_some(spot)
}

/// Longitude into [-180, 180] (values already there are unchanged).
fn norm_lon(lon: f64) -> f64 {
    if (-180.0..=180.0).contains(&lon) {
        lon
    } else {
        (lon + 180.0).rem_euclid(360.0) - 180.0
    }
}

/// Rows `row_h` degrees tall; row `r` has `ncols(r)` equal columns of longitude.
#[derive(Debug, Clone, PartialEq)]
struct Grid {
    cell_m: f64,
    row_h: f64,
    nrows: u32,
}

impl Grid {
    fn new(cell_m: f64) -> Grid {
        let cell_m = if cell_m.is_finite() {
            cell_m.max(1.0)
        } else {
            1.0
        };
        let row_h = (cell_m / M_PER_DEG).min(180.0);
        let nrows = ((180.0 / row_h).ceil() as u32).max(1);
        Grid {
            cell_m,
            row_h,
            nrows,
        }
    }

    fn row(&self, lat: f64) -> u32 {
        let r = ((lat + 90.0) / self.row_h).floor();
        if r >= 0.0 {
            (r as u64).min(u64::from(self.nrows) - 1) as u32
        } else {
            0
        }
    }

    /// Columns in a row: its circumference at the row's middle latitude over `cell_m`.
    fn ncols(&self, row: u32) -> u32 {
        let mid = (-90.0 + (row as f64 + 0.5) * self.row_h).clamp(-90.0, 90.0);
        let width_m = 360.0 * M_PER_DEG * mid.to_radians().cos();
        (width_m / self.cell_m)
            .floor()
            .clamp(1.0, (1u64 << 31) as f64) as u32
    }

    /// Column of a longitude in [-180, 180]; 180 and -180 share column 0.
    fn col(&self, row: u32, lon: f64) -> u32 {
        let n = self.ncols(row);
        let c = ((lon + 180.0) * (n as f64 / 360.0)).floor();
        if c >= 0.0 {
            ((c as u64) % u64::from(n)) as u32
        } else {
            0
        }
    }

    fn key(&self, lon: f64, lat: f64) -> u64 {
        let row = self.row(lat);
        (row as u64) << 32 | self.col(row, norm_lon(lon)) as u64
    }

    fn centre(&self, row: u32, col: u32) -> [f64; 2] {
        let lat = (-90.0 + (row as f64 + 0.5) * self.row_h).min(90.0);
        let lon = -180.0 + (col as f64 + 0.5) * 360.0 / self.ncols(row) as f64;
        [lon, lat]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_750_000_000 - 1_750_000_000 % DAY_S; // a UTC midnight
    const BEFORE: i64 = T0 + 100 * DAY_S;

    fn det(lon: f64, lat: f64, time: i64) -> Detection {
        Detection {
            lon,
            lat,
            time,
            static_source: false,
        }
    }

    /// Detections at a site on `days` days spread evenly over `span` days (at 01:30 and 13:30
    /// UTC), ending the day before `BEFORE`.
    fn spread(lon: f64, lat: f64, days: i64, span: i64) -> Vec<Detection> {
        (0..days)
            .flat_map(|d| {
                let back = if days > 1 { d * span / (days - 1) } else { 0 };
                let day = BEFORE - (back + 1) * DAY_S;
                [det(lon, lat, day + 5400), det(lon, lat, day + 48_600)]
            })
            .collect()
    }

    /// A persistent site: detections twice a day on 60 consecutive days.
    fn site(lon: f64, lat: f64) -> Vec<Detection> {
        spread(lon, lat, 60, 59)
    }

    #[test]
    fn persistent_is_many_days_over_three_weeks() {
        let mut dets = site(30.0, 50.0);
        // Every day for two weeks: a long fire, not a flare.
        dets.extend(spread(31.0, 50.0, 14, 13));
        // Nine days over ten weeks: too few days.
        dets.extend(spread(32.0, 50.0, 9, 70));
        // Ten days over exactly three weeks: persistent.
        dets.extend(spread(33.0, 50.0, 10, 21));
        let b = Baseline::learn(dets, &BaselineParams::default());
        assert_eq!(b.len(), 2);
        let h = b.hot_spot([30.0, 50.0]).expect("hot spot");
        assert_eq!(h.days, 60);
        assert_eq!(h.detections, 120);
        assert_eq!(h.first, BEFORE - 60 * DAY_S + 5400);
        assert_eq!(h.last, BEFORE - DAY_S + 48_600);
        assert!(!h.static_source);
        assert_eq!(b.hot_spot([31.0, 50.0]), None);
        assert_eq!(b.hot_spot([32.0, 50.0]), None);
        assert_eq!(b.hot_spot([33.0, 50.0]).map(|h| h.days), Some(10));
    }

    #[test]
    fn order_of_detections_does_not_matter() {
        let mut dets = site(30.0, 50.0);
        let a = Baseline::learn(dets.clone(), &BaselineParams::default());
        dets.reverse();
        assert_eq!(a, Baseline::learn(dets, &BaselineParams::default()));
    }

    #[test]
    fn static_source_counts_at_once() {
        let mut d = det(50.1, 29.5, BEFORE - 3600);
        d.static_source = true;
        let b = Baseline::learn([d], &BaselineParams::default());
        let h = b.hot_spot([50.1, 29.5]).expect("static source");
        assert!(h.static_source);
        assert_eq!((h.days, h.detections), (1, 1));
    }

    #[test]
    fn neighbour_cells_are_found() {
        let p = BaselineParams::default();
        let b = Baseline::learn(site(30.0, 50.0), &p);
        // ~700 m north, south, east, west and diagonally: in a neighbouring cell or the same.
        let dlat = 700.0 / M_PER_DEG;
        let dlon = dlat / 50f64.to_radians().cos();
        for (x, y) in [
            (0.0, 1.0),
            (0.0, -1.0),
            (1.0, 0.0),
            (-1.0, 0.0),
            (1.0, 1.0),
            (-1.0, -1.0),
        ] {
            let q = [30.0 + x * dlon, 50.0 + y * dlat];
            assert!(b.hot_spot(q).is_some(), "{q:?}");
        }
        // Three cells away: not found.
        assert_eq!(b.hot_spot([30.0, 50.0 + 3.0 * 750.0 / M_PER_DEG]), None);
        assert_eq!(
            b.hot_spot([
                30.0 + 3.5 * 750.0 / M_PER_DEG / 50f64.to_radians().cos(),
                50.0
            ]),
            None
        );
    }

    #[test]
    fn neighbour_choice_is_most_days() {
        let p = BaselineParams::default();
        let step = 750.0 / M_PER_DEG;
        let mut dets = spread(30.0, 50.0, 40, 59);
        dets.extend(site(30.0, 50.0 + step));
        let b = Baseline::learn(dets, &p);
        assert_eq!(b.len(), 2);
        assert_eq!(b.hot_spot([30.0, 50.0]).map(|h| h.days), Some(60));
        assert_eq!(b.iter().count(), 2);
    }

    #[test]
    fn reach_cells_cover_every_position_that_sees_a_cell() {
        // One hot cell at a time (a static source); every position whose lookup finds it lies
        // in one of its reach cells.
        let p = BaselineParams::default();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut f = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for (lon0, lat0) in [
            (30.0, 50.0),
            (179.99, -16.5),
            (-179.99, 70.0),
            (10.0, 89.99),
            (0.0, -89.99),
        ] {
            let mut d = det(lon0, lat0, BEFORE);
            d.static_source = true;
            let b = Baseline::learn([d], &p);
            let key = b.cell_of([lon0, lat0]);
            let reach = b.reach_cells(key);
            let mut seen = 0;
            for _ in 0..4_000 {
                let lon = lon0 + (f() - 0.5) * 0.2 / (lat0.to_radians().cos().max(0.01));
                let lon = if lon > 180.0 {
                    lon - 360.0
                } else if lon < -180.0 {
                    lon + 360.0
                } else {
                    lon
                };
                let lat = (lat0 + (f() - 0.5) * 0.1).clamp(-90.0, 90.0);
                if b.hot_spot([lon, lat]).is_some() {
                    seen += 1;
                    assert!(
                        reach.binary_search(&b.cell_of([lon, lat])).is_ok(),
                        "({lon}, {lat}) sees the cell of ({lon0}, {lat0}) from outside its reach"
                    );
                }
            }
            assert!(seen > 10, "{seen}");
        }
    }

    #[test]
    fn a_cell_set_alone_is_the_cell_learned() {
        let p = BaselineParams::default();
        let dets = site(30.0, 50.0);
        let learned = Baseline::learn(dets.clone(), &p);
        let mut b = Baseline::empty(&p);
        let key = b.cell_of([30.0, 50.0]);
        let mut entries: Vec<(i64, bool)> =
            dets.iter().map(|d| (d.time, d.static_source)).collect();
        entries.sort_unstable();
        b.set(key, spot_of(entries.iter().copied(), &p));
        assert_eq!(b, learned);
        assert_eq!(b.get(key), learned.hot_spot([30.0, 50.0]));
        b.set(key, None);
        assert!(b.is_empty());
    }

    #[test]
    fn antimeridian_and_poles() {
        let p = BaselineParams::default();
        let b = Baseline::learn(site(179.999_9, -16.5), &p);
        assert!(b.hot_spot([-179.999_9, -16.5]).is_some());
        assert!(b.hot_spot([180.0, -16.5]).is_some());
        let b = Baseline::learn(site(10.0, 89.999_9), &p);
        assert!(b.hot_spot([-170.0, 89.999_9]).is_some());
        assert!(b.hot_spot([0.0, 90.0]).is_some());
    }
}
