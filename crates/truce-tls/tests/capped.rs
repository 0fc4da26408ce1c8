//! Answers read within a cap, from real local servers (port 0): an endless answer stops at the
//! cap with the URL and the limit named, a declared length over the cap is refused before
//! reading, and an answer within the cap is read whole — blocking and async.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};
use truce_tls::{read_capped, read_capped_blocking, BodyError};

/// A server answering every request with `head` and then `body` forever (`endless`) or once.
fn server(head: &'static str, body: &'static [u8], endless: bool) -> SocketAddr {
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
                if c.write_all(head.as_bytes()).is_err() {
                    return;
                }
                loop {
                    if c.write_all(body).is_err() || !endless {
                        return;
                    }
                }
            });
        }
    });
    addr
}

const ENDLESS: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n";
const CHUNK: &[u8] = &[b'x'; 16 * 1024];

fn assert_too_large(e: &BodyError, url: &str, declared: bool) {
    let m = e.to_string();
    assert!(
        matches!(e, BodyError::TooLarge { declared: d, .. } if d.is_some() == declared),
        "{e:?}"
    );
    assert!(m.contains(url), "{m}");
    assert!(
        m.contains("larger than 65536 bytes, the most a checkpoint can be"),
        "{m}"
    );
}

#[test]
fn an_endless_answer_stops_at_the_cap_blocking() {
    let addr = server(ENDLESS, CHUNK, true);
    let url = format!("http://{addr}/checkpoint");
    let t = Instant::now();
    let resp = reqwest::blocking::get(&url).unwrap();
    let e = read_capped_blocking(resp, 64 * 1024, "a checkpoint").unwrap_err();
    assert_too_large(&e, &url, false);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let addr = server(
        "HTTP/1.1 200 OK\r\ncontent-length: 10000000000\r\n\r\n",
        CHUNK,
        true,
    );
    let url = format!("http://{addr}/checkpoint");
    let resp = reqwest::blocking::get(&url).unwrap();
    let e = read_capped_blocking(resp, 64 * 1024, "a checkpoint").unwrap_err();
    assert_too_large(&e, &url, true);
    assert!(e.to_string().contains("declares 10000000000 bytes"), "{e}");
}

#[test]
fn an_answer_within_the_cap_is_read_whole() {
    let addr = server(
        "HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\n",
        b"hello\n",
        false,
    );
    let resp = reqwest::blocking::get(format!("http://{addr}/x")).unwrap();
    assert_eq!(read_capped_blocking(resp, 6, "a test").unwrap(), b"hello\n");
}

#[tokio::test]
async fn an_endless_answer_stops_at_the_cap_async() {
    let addr = server(ENDLESS, CHUNK, true);
    let url = format!("http://{addr}/add-checkpoint");
    let t = Instant::now();
    let resp = reqwest::get(&url).await.unwrap();
    let e = read_capped(resp, 64 * 1024, "a checkpoint")
        .await
        .unwrap_err();
    assert_too_large(&e, &url, false);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    let addr = server(
        "HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\n",
        b"ok\n",
        false,
    );
    let resp = reqwest::get(format!("http://{addr}/")).await.unwrap();
    assert_eq!(read_capped(resp, 3, "a test").await.unwrap(), b"ok\n");
}
