//! What the SIGKILL tests share: a seeded generator and the seed / rounds they run with
//! (`TRUCE_CRASH_SEED` reproduces a run, `TRUCE_CRASH_ROUNDS` changes its length).

/// Splitmix64: deterministic from the seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The seed (`TRUCE_CRASH_SEED`, else the clock) and the rounds (`TRUCE_CRASH_ROUNDS`, else
/// `default_rounds`), printed so a failing run can be reproduced.
pub fn seed_and_rounds(test: &str, default_rounds: u64) -> (u64, u64) {
    let seed = std::env::var("TRUCE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    let rounds = std::env::var("TRUCE_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_rounds);
    eprintln!("{test} seed {seed} (TRUCE_CRASH_SEED={seed} reproduces), {rounds} rounds");
    (seed, rounds)
}
