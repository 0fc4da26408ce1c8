//! A throw-away PostgreSQL 15 and single-node Garage (from the `testkit`) for scripts and manual
//! trials: starts both, creates a database and a bucket (exposed on Garage's web endpoint), prints
//! what a shared log needs as `KEY=VALUE` lines, then a line `ready`, and keeps both servers up
//! until its standard input is closed (then stops them and removes their directories).
//!
//! ```sh
//! CARGO_TARGET_DIR=… cargo run --release -p truce-cluster --features testkit --example testkit_up
//! ```
//!
//! The lines: `TRUCE_DATABASE_URL` (the database), `TRUCE_BUCKET` (the bucket's name),
//! `TRUCE_BUCKET_ENDPOINT` (Garage's S3 endpoint), `TRUCE_BUCKET_KEY_ID` and
//! `TRUCE_BUCKET_SECRET` (an access key that may read, write and own the bucket: what `truce`
//! reads from its environment), `TRUCE_BUCKET_WEB` (the web endpoint's base URL) and
//! `TRUCE_BUCKET_WEB_HOST` (the `Host` header naming the bucket there: send it with every
//! request, e.g. `curl -H "Host: $TRUCE_BUCKET_WEB_HOST" "$TRUCE_BUCKET_WEB/checkpoint"`).
//! `bench/cluster-serve.sh` runs it as a coprocess.

use std::io::{Read as _, Write as _};
use truce_cluster::spec::{ENV_KEY_ID, ENV_SECRET};
use truce_cluster::testkit::{Garage, Postgres};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pg = Postgres::start()?;
    let garage = Garage::start()?;
    let url = pg.database()?;
    let bucket = garage.bucket()?;
    let (web, web_host) = garage.website(&bucket)?;
    let mut out = std::io::stdout().lock();
    for (k, v) in [
        ("TRUCE_DATABASE_URL", url.as_str()),
        ("TRUCE_BUCKET", bucket.bucket.as_str()),
        ("TRUCE_BUCKET_ENDPOINT", bucket.endpoint.as_str()),
        (ENV_KEY_ID, bucket.access_key_id.as_str()),
        (ENV_SECRET, bucket.secret_access_key.as_str()),
        ("TRUCE_BUCKET_WEB", web.as_str()),
        ("TRUCE_BUCKET_WEB_HOST", web_host.as_str()),
    ] {
        writeln!(out, "{k}={v}")?;
    }
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    // Up until stdin is closed (or fails): read and discard whatever comes.
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 4096];
    while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
    eprintln!("testkit_up: stdin closed, stopping PostgreSQL and Garage");
    // Dropping the handles stops the servers and removes their directories.
    drop(garage);
    drop(pg);
    Ok(())
}
