use std::time::Instant;
fn rng(s: &mut u64) -> f64 { *s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (*s >> 11) as f64 / (1u64 << 53) as f64 }
#[test]
#[ignore]
fn perf() {
    let mut s = 42u64;
    let gen = |n: usize, s: &mut u64| -> Vec<[f64;2]> { (0..n).map(|_| [30.0 + 20.1 * rng(s), 41.0 + 13.5 * rng(s)]).collect() };
    let pts = gen(1_000_000, &mut s);
    let tg = gen(100_000, &mut s);
    for _ in 0..3 {
        let t = Instant::now();
        let r = truce_geo::dwithin_join(&pts, &tg, 5000.0);
        println!("pairs {} in {:?}", r.len(), t.elapsed());
    }
}
