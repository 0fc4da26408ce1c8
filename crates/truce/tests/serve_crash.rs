//! Crash safety of the HTTP service: `truce serve` takes a burst of concurrent signed submissions
//! (single entries and batches, from several threads) and is killed with SIGKILL mid-burst, many
//! times, on the same log. After every kill: `truce log check` passes, and every acknowledged
//! entry is in the log at its acknowledged index with its exact bytes. After every restart, the
//! unacknowledged entries are submitted again: one already stored is acknowledged as a duplicate
//! at its index, never stored twice. At the end every entry is in the log exactly once.
//!
//! Reproduce a run with `TRUCE_CRASH_SEED=<seed>`; `TRUCE_CRASH_ROUNDS` sets the number of kills.
#![allow(unsafe_code)] // kill(2) through libc, to send SIGKILL to the server it spawned

#[path = "common/chaos.rs"]
mod chaos;
use chaos::Rng;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use truce_model::entry::{entry_id, sign, Body};
use truce_model::{Id, Time};
use truce_store::sqlite::SqliteStorage;
use truce_store::LogReader;

const THREADS: usize = 6;
const PER_THREAD: usize = 200;

fn truce() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("truce"));
    c.env_remove("TRUCE_DIR").env("NO_COLOR", "1");
    c
}

fn ok(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A running `truce serve`.
struct Server {
    child: Child,
    addr: String,
}

fn start(dir: &Path) -> Server {
    let mut child = truce()
        .args(["serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir)
        // The burst comes from one address and mostly one key: no rate limits in this test.
        .env("TRUCE_RATE_PER_KEY", "1e9")
        .env("TRUCE_RATE_PER_ADDR", "1e9")
        .env("TRUCE_RATE_BURST", "1e9")
        .env("TRUCE_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line of `truce serve`: {first:?}"))
        .to_string();
    // Keep draining stdout so the server never blocks on it.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    Server { child, addr }
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on the pid of a child we spawned and have not reaped yet.
    let r = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(r, 0, "kill({sig})");
}

/// A minimal HTTP/1.1 client over one keep-alive connection.
struct Http {
    addr: String,
    conn: BufReader<TcpStream>,
}

impl Http {
    fn connect(addr: &str) -> std::io::Result<Http> {
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        s.set_nodelay(true)?;
        Ok(Http {
            addr: addr.to_string(),
            conn: BufReader::new(s),
        })
    }

    fn request(
        &mut self,
        method: &str,
        path: &str,
        ctype: &str,
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        let s = self.conn.get_mut();
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        let broken = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "bad response");
        let mut line = String::new();
        if self.conn.read_line(&mut line)? == 0 {
            return Err(broken());
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(broken)?;
        let (mut len, mut chunked) = (None, false);
        loop {
            line.clear();
            if self.conn.read_line(&mut line)? == 0 {
                return Err(broken());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                if k == "content-length" {
                    len = v.parse::<usize>().ok();
                } else if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.conn.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim(), 16).map_err(|_| broken())?;
                let mut chunk = vec![0; n + 2];
                self.conn.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        } else {
            body.resize(len.ok_or_else(broken)?, 0);
            self.conn.read_exact(&mut body)?;
        }
        Ok((status, body))
    }
}

fn report(rid: &str) -> Body {
    Body::Report(
        serde_json::from_value(serde_json::json!({
            "id": rid, "time": {"start": "2025-03-20T20:22:00Z"},
            "location": {"point": [35.27, 51.19], "uncertainty_m": 3000},
            "act": "sabotage", "alleged_perpetrator": "ru",
            "text": "an allegation filed during a burst of submissions to a server that gets killed"
        }))
        .unwrap(),
    )
}

/// What the clients learned: pool position → acknowledged index.
type Acks = Arc<Mutex<HashMap<usize, u64>>>;

/// Entries first acknowledged as duplicates: stored by a server that was killed before it
/// could answer, then submitted again.
static RECOVERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One client thread: submits `work` (pool positions), singly or in batches of 4, until done or
/// the server dies. An entry acknowledged before must be acknowledged at the same index again.
fn client(addr: String, pool: Arc<Vec<Vec<u8>>>, work: Vec<usize>, batch: bool, acks: Acks) {
    let Ok(mut http) = Http::connect(&addr) else {
        return;
    };
    for chunk in work.chunks(if batch { 4 } else { 1 }) {
        let body = if batch {
            let mut b = b"[".to_vec();
            for (i, &p) in chunk.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                b.extend_from_slice(&pool[p]);
            }
            b.push(b']');
            b
        } else {
            pool[chunk[0]].clone()
        };
        let Ok((status, resp)) = http.request("POST", "/v1/entries", "application/json", &body)
        else {
            return; // killed
        };
        assert!(
            status == 200 || status == 503,
            "status {status}: {}",
            String::from_utf8_lossy(&resp)
        );
        if status != 200 {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&resp).unwrap();
        let results: Vec<serde_json::Value> = if batch {
            v["results"].as_array().unwrap().clone()
        } else {
            vec![serde_json::json!({ "ok": v })]
        };
        assert_eq!(results.len(), chunk.len());
        let mut a = acks.lock().unwrap();
        for (&p, r) in chunk.iter().zip(&results) {
            let ack = &r["ok"];
            assert!(ack.is_object(), "entry refused: {r}");
            assert_eq!(ack["entry_id"].as_str().unwrap(), entry_id(&pool[p]));
            let index = ack["index"].as_u64().unwrap();
            match a.insert(p, index) {
                Some(before) => {
                    assert_eq!(before, index, "entry {p} acknowledged at two indices");
                    assert_eq!(ack["duplicate"], true);
                }
                None if ack["duplicate"] == true => {
                    RECOVERED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                None => {}
            }
        }
    }
}

/// Every acknowledged entry is in the log at its index, byte for byte; `truce log check` passes;
/// no pool entry is stored twice. Returns the log's pool entries by position.
fn check_log(
    dir: &Path,
    pool: &[Vec<u8>],
    acks: &HashMap<usize, u64>,
    setup: u64,
) -> BTreeMap<usize, u64> {
    let check = truce()
        .args(["log", "check", "--quiet", "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "log check failed: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let r = LogReader::open(SqliteStorage::open(&dir.join("truce.db"), false).unwrap()).unwrap();
    let by_bytes: HashMap<&[u8], usize> = pool
        .iter()
        .enumerate()
        .map(|(i, e)| (e.as_slice(), i))
        .collect();
    let mut stored = BTreeMap::new();
    r.for_each_entry(|i, e| {
        if i < setup {
            return;
        }
        // The sequencer's clock entry closing each group is the server's own.
        if truce_model::decode(e).is_ok_and(|env| env.kind == truce_model::Kind::Clock) {
            return;
        }
        let p = *by_bytes
            .get(e)
            .unwrap_or_else(|| panic!("entry {i} is not one that was submitted"));
        assert!(stored.insert(p, i).is_none(), "entry {p} stored twice");
    })
    .unwrap();
    for (p, index) in acks {
        assert_eq!(
            stored.get(p),
            Some(index),
            "acknowledged entry {p} is not at its index {index}"
        );
        assert_eq!(r.entry(*index).unwrap(), pool[*p]);
    }
    stored
}

#[test]
fn sigkill_during_a_burst_of_submissions_loses_nothing_acknowledged() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("data");
    ok(truce()
        .args(["init", "--origin", "serve-crash.example/log", "--dir"])
        .arg(&dir));
    for (p, role) in [("ua", "belligerent"), ("ru", "belligerent")] {
        ok(truce()
            .args(["party", "add", p, "--name", p, "--role", role, "--dir"])
            .arg(&dir));
    }
    let setup = LogReader::open(SqliteStorage::open(&dir.join("truce.db"), false).unwrap())
        .unwrap()
        .latest()
        .unwrap()
        .size;

    // `truce sign` writes canonical entries, one per line, the same to stdout and to --out.
    let toml = t.path().join("reports.toml");
    std::fs::write(
        &toml,
        "time = 2025-03-21T09:00:00Z\n\n[[report]]\nid = \"signed-1\"\ntime = { start = 2025-03-20T20:00:00Z }\nlocation = { point = [35.1, 51.2], uncertainty_m = 500 }\nact = \"strike\"\n\n[[report]]\nid = \"signed-2\"\ntime = { start = 2025-03-20T21:00:00Z }\nlocation = { point = [35.2, 51.3], uncertainty_m = 500 }\nact = \"strike\"\nalleged_perpetrator = \"ru\"\n",
    )
    .unwrap();
    let ua_key = dir.join("keys").join("ua.key");
    let signed = ok(truce()
        .arg("sign")
        .arg(&toml)
        .args(["--as", "ua", "--key"])
        .arg(&ua_key)
        .arg("--dir")
        .arg(&dir));
    let lines: Vec<Vec<u8>> = signed.lines().map(|l| l.as_bytes().to_vec()).collect();
    assert_eq!(lines.len(), 2, "{signed}");
    let out_file = t.path().join("signed.jsonl");
    ok(truce()
        .arg("sign")
        .arg(&toml)
        .args(["--as", "ua", "--key"])
        .arg(&ua_key)
        .arg("--out")
        .arg(&out_file)
        .arg("--dir")
        .arg(&dir));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), signed);
    // ... and signing as another party with ua's key is refused before anything is written.
    let o = truce()
        .arg("sign")
        .arg(&toml)
        .args(["--as", "ru", "--key"])
        .arg(&ua_key)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());

    let (seed, rounds) = chaos::seed_and_rounds("serve crash test", 6);
    let rounds = rounds as usize;
    let mut rng = Rng(seed);

    // The pool: the two `truce sign` lines, then fresh reports for every round (signed here, as
    // `truce sign` does: the same library call), alternating authors.
    let signers: Vec<(Id, signed_note::StandardSigner)> = ["ua", "ru"]
        .iter()
        .map(|p| {
            let k = truce_store::keyfile::read(&dir.join("keys").join(format!("{p}.key"))).unwrap();
            (Id::new(p).unwrap(), truce_log::parse_signer(&k).unwrap())
        })
        .collect();
    let time = Time::parse("2025-03-21T10:00:00Z").unwrap();
    let mut pool: Vec<Vec<u8>> = lines;
    let acks: Acks = Arc::new(Mutex::new(HashMap::new()));
    let mut window = Duration::from_secs(1);
    let mut killed_mid_burst = 0;

    // Round 0 runs to the end and sets the kill window; rounds 1..=rounds are killed; the last
    // round submits whatever is still unacknowledged and ends with a graceful SIGTERM.
    for round in 0..=rounds + 1 {
        let last = round == rounds + 1;
        if !last {
            for n in 0..THREADS * PER_THREAD {
                let (who, signer) = &signers[n % 2];
                let body = report(&format!("burst-{round}-{n}"));
                pool.push(sign(who, time, &body, signer).unwrap().bytes);
            }
        }
        let pool_arc = Arc::new(pool.clone());
        let server = start(&dir);
        // After a restart, acknowledged entries are served back byte for byte.
        {
            let a = acks.lock().unwrap().clone();
            let mut http = Http::connect(&server.addr).unwrap();
            for (p, index) in a.iter().take(20) {
                let (st, body) = http
                    .request("GET", &format!("/v1/entries/{index}"), "text/plain", b"")
                    .unwrap();
                assert_eq!(st, 200);
                assert_eq!(body, pool[*p], "entry {index} served after restart");
            }
        }
        // Everything not yet acknowledged (new, or lost to an earlier kill), spread over the
        // threads; odd threads send batches.
        let todo: Vec<usize> = {
            let a = acks.lock().unwrap();
            (0..pool.len()).filter(|p| !a.contains_key(p)).collect()
        };
        let before = acks.lock().unwrap().len();
        let started = Instant::now();
        let handles: Vec<_> = (0..THREADS)
            .map(|k| {
                let work: Vec<usize> = todo.iter().copied().skip(k).step_by(THREADS).collect();
                let (addr, pool, acks) = (server.addr.clone(), pool_arc.clone(), acks.clone());
                std::thread::spawn(move || client(addr, pool, work, k % 2 == 1, acks))
            })
            .collect();
        let mut child = server.child;
        let kill = round > 0 && !last;
        if kill {
            let ms = window.as_millis().max(1) as u64;
            std::thread::sleep(Duration::from_millis(rng.next() % ms));
            signal(&child, libc::SIGKILL);
        }
        for h in handles {
            h.join().unwrap();
        }
        if round == 0 {
            window = started.elapsed();
            eprintln!(
                "a burst of {} submissions from {THREADS} threads takes {window:?}: kills land in that window",
                todo.len()
            );
        }
        if !kill {
            signal(&child, libc::SIGTERM);
        }
        let status = child.wait().unwrap();
        let acked = acks.lock().unwrap().clone();
        if kill && acked.len() < pool.len() {
            killed_mid_burst += 1;
        }
        if !kill {
            assert!(status.success(), "graceful stop: {status:?}");
        }
        eprintln!(
            "round {round}: {} newly acknowledged, {} of {} in all{}",
            acked.len() - before,
            acked.len(),
            pool.len(),
            if kill { " (killed)" } else { "" }
        );
        let stored = check_log(&dir, &pool, &acked, setup);
        if last {
            assert_eq!(
                acked.len(),
                pool.len(),
                "every entry acknowledged in the end"
            );
            assert_eq!(stored.len(), pool.len(), "every entry stored exactly once");
        }
    }
    eprintln!(
        "{killed_mid_burst} of {rounds} bursts were killed before finishing; {} entries stored but unacknowledged at a kill were acknowledged as duplicates after the restart",
        RECOVERED.load(std::sync::atomic::Ordering::Relaxed)
    );
    assert!(
        killed_mid_burst * 3 >= rounds,
        "too few bursts were killed mid-way ({killed_mid_burst} of {rounds})"
    );
}
