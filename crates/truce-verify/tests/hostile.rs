//! `truce verify`'s HTTP source against hostile servers on real local sockets (port 0): an
//! endless `/checkpoint` or tile stops at its cap with the URL and the limit named (fast, with
//! bounded memory), a huge declared length is refused before reading, and a server that never
//! answers times out.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};
use truce_log::{TileKind, TilePath};
use truce_verify::source::{Timeouts, MAX_CHECKPOINT_BYTES};
use truce_verify::{HttpSource, Source, VerifyError};

/// A server answering every request with 200 and `x` without end (`endless`), or never
/// answering at all.
fn server(endless: bool) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            std::thread::spawn(move || {
                let mut r = BufReader::new(c.try_clone().unwrap());
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                if !endless {
                    std::thread::sleep(Duration::from_secs(30));
                    return;
                }
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
                let chunk = [b'x'; 16 * 1024];
                while c.write_all(&chunk).is_ok() {}
            });
        }
    });
    addr
}

#[test]
fn an_endless_checkpoint_fails_fast_naming_the_url_and_the_limit() {
    let addr = server(true);
    let src = HttpSource::new(&format!("http://{addr}"), None).unwrap();
    let t = Instant::now();
    let e = src.checkpoint().unwrap_err();
    assert!(matches!(e, VerifyError::TooLarge(_)), "{e:?}");
    let m = e.to_string();
    assert!(m.contains(&format!("http://{addr}/checkpoint")), "{m}");
    assert!(
        m.contains(&format!(
            "larger than {MAX_CHECKPOINT_BYTES} bytes, the most a checkpoint can be"
        )),
        "{m}"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn an_endless_tile_stops_at_the_tile_size() {
    let addr = server(true);
    let src = HttpSource::new(&format!("http://{addr}"), None).unwrap();
    let full = TilePath {
        kind: TileKind::Hash(0),
        n: 0,
        width: 256,
    };
    let m = src.tile(&full).unwrap_err().to_string();
    assert!(
        m.contains("tile/0/000") && m.contains("larger than 8192 bytes, the most this hash tile"),
        "{m}"
    );
    let partial = TilePath {
        kind: TileKind::Entries,
        n: 0,
        width: 3,
    };
    let m = src.tile(&partial).unwrap_err().to_string();
    assert!(
        m.contains("tile/entries/000.p/3")
            && m.contains("larger than 196611 bytes, the most this entry bundle"),
        "{m}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let addr = server(false);
    let src = HttpSource::with_timeouts(
        &format!("http://{addr}"),
        None,
        &[],
        Timeouts {
            connect: Duration::from_secs(1),
            total: Duration::from_secs(1),
        },
    )
    .unwrap();
    let t = Instant::now();
    let e = src.checkpoint().unwrap_err();
    assert!(matches!(e, VerifyError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}
