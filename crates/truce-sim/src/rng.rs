//! A small deterministic pseudo-random generator (SplitMix64) with the few draws the generator
//! needs. Only integer arithmetic and IEEE basic operations (`+ - * /`, `sqrt`, `round`) are used,
//! so a seed gives the same numbers on every platform.
//!
//! Generators are *keyed*: [`Rng::keyed`] derives an independent stream from the seed, a stream
//! tag and an index (a row number, a strike number), so any row can be regenerated on its own
//! without replaying the ones before it.

/// Stream tags, one per use, so that streams never overlap.
pub(crate) mod stream {
    pub const WORLD: u64 = 0x5749_4f52_4c44;
    pub const STRIKES: u64 = 0x5354_5249_4b45;
    pub const FIRMS: u64 = 0x0046_4952_4d53;
    pub const PIXEL: u64 = 0x0050_4958_454c;
    pub const ACLED: u64 = 0x0041_434c_4544;
    pub const ACLED_EVENT: u64 = 0x4143_4556_4e54;
    pub const ALLEGATION: u64 = 0x0041_4c4c_4547;
}

/// The SplitMix64 output function: a strong 64-bit mixer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit word of state.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// √3, to scale the Irwin–Hall sum of four uniforms to unit variance.
const SQRT_3: f64 = 1.732_050_807_568_877_2;

impl Rng {
    /// A generator for `(seed, stream, index)`.
    pub fn keyed(seed: u64, stream: u64, index: u64) -> Rng {
        Rng(mix(
            mix(seed ^ stream.wrapping_mul(GOLDEN)) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)
        ))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [0, n) (n > 0); multiply-shift, bias below 2⁻⁶⁴·n.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Approximately standard normal (Irwin–Hall sum of four uniforms, bounded by ±3.46).
    pub fn normalish(&mut self) -> f64 {
        (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * SQRT_3
    }

    /// An element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given (not all zero) integer weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4).map(|_| Rng::keyed(7, 1, 2).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::keyed(7, 1, 2).next_u64(),
            Rng::keyed(7, 1, 3).next_u64()
        );
        assert_ne!(
            Rng::keyed(7, 1, 2).next_u64(),
            Rng::keyed(7, 2, 2).next_u64()
        );
        assert_ne!(
            Rng::keyed(7, 1, 2).next_u64(),
            Rng::keyed(8, 1, 2).next_u64()
        );
        // Known SplitMix64 output for state 0 (reference implementation).
        let mut r = Rng(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn draws_stay_in_range_and_look_uniform() {
        let mut r = Rng::keyed(1, 2, 3);
        let mut hist = [0u32; 10];
        for _ in 0..100_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            hist[(u * 10.0) as usize] += 1;
            assert!(r.below(7) < 7);
            let b = r.between(3, 5);
            assert!((3..=5).contains(&b));
            assert!(r.normalish().abs() <= 3.47);
        }
        assert!(
            hist.iter().all(|&h| (9_500..10_500).contains(&h)),
            "{hist:?}"
        );
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[r.weighted(&[1, 0, 2])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((9_000..11_000).contains(&counts[0]), "{counts:?}");
    }
}
