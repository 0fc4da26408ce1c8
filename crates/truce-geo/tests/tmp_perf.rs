use std::time::Instant;
fn rng(s: &mut u64) -> f64 { *s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (*s >> 11) as f64 / (1u64 << 53) as f64 }
fn cpu() -> f64 { let mut ru: [i64; 18] = [0; 18]; std::fs::read_to_string("/proc/self/stat").map(|s| { let f: Vec<&str> = s.split_whitespace().collect(); (f[13].parse::<f64>().unwrap() + f[14].parse::<f64>().unwrap()) / 100.0 }).unwrap_or({ru[0]=0; 0.0}) }
fn run(name: &str, pts: &[[f64;2]], tg: &[[f64;2]]) {
    for _ in 0..3 {
        let (t, c) = (Instant::now(), cpu());
        let r = truce_geo::dwithin_join(pts, tg, 5000.0);
        println!("{name}: pairs {} in {:?} wall, {:.2}s cpu", r.len(), t.elapsed(), cpu() - c);
    }
}
#[test]
#[ignore]
fn perf() {
    let mut s = 42u64;
    let gen = |n: usize, s: &mut u64| -> Vec<[f64;2]> { (0..n).map(|_| [30.0 + 20.1 * rng(s), 41.0 + 13.5 * rng(s)]).collect() };
    let pts = gen(1_000_000, &mut s);
    let tg = gen(100_000, &mut s);
    run("uniform", &pts, &tg);
    // towns
    let towns: Vec<[f64;3]> = (0..200).map(|_| [22.0 + 18.0 * rng(&mut s), 44.0 + 9.0 * rng(&mut s), 2.0 + 10.0 * rng(&mut s)]).collect();
    let cl = |n: usize, s: &mut u64| -> Vec<[f64;2]> { (0..n).map(|k| {
        if k % 10 == 0 { return [22.0 + 18.0 * rng(s), 44.0 + 9.0 * rng(s)]; }
        let u = rng(s); let t = &towns[((u * u * u) * 200.0) as usize];
        let r = t[2] * (-2.0 * (rng(s)+1e-12).ln()).sqrt(); let a = rng(s) * 6.283;
        [t[0] + r * a.cos() / (111.2 * t[1].to_radians().cos()), t[1] + r * a.sin() / 111.2] }).collect() };
    let pts = cl(1_000_000, &mut s);
    let tg = cl(100_000, &mut s);
    run("towns", &pts, &tg);
}
