//! What `truce migrate` copies besides the log: the tokens of `DIR/access.db` (their hashes) and
//! the restricted content of `DIR/restricted.db` with its filers, into the shared log's
//! PostgreSQL tables (`truce_access_tokens`, `truce_restricted`, `truce_restricted_filers`), in
//! one transaction. Rows already there are kept (a resumed migration copies the rest); a token
//! or a commitment present on both sides keeps the shared one. The views are not copied: they are
//! derived from the log and each server rebuilds its own.

use crate::pgdb::{PgDb, PgError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// What was copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    /// Tokens read from `access.db`.
    pub tokens: u64,
    /// Restricted contents read from `restricted.db`.
    pub restricted: u64,
    /// Their filers.
    pub filers: u64,
}

/// Why the stores could not be copied.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A SQLite store could not be read.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The shared database refused.
    #[error(transparent)]
    Postgres(#[from] PgError),
}

struct Token {
    id: String,
    hash: String,
    party: String,
    role: String,
    label: String,
    created: i64,
    revoked: Option<i64>,
}

struct Content {
    commitment: String,
    kind: String,
    salt: Vec<u8>,
    content: String,
    created: i64,
}

fn read<T>(
    path: &Path,
    sql: &str,
    row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, MigrateError> {
    let err = |source| MigrateError::Sqlite {
        path: path.display().to_string(),
        source,
    };
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(err)?;
    let mut stmt = conn.prepare(sql).map_err(err)?;
    let rows = stmt.query_map([], row).map_err(err)?;
    rows.collect::<Result<Vec<T>, _>>().map_err(err)
}

/// Copies the SQLite stores of data directory `dir` into the PostgreSQL database `url`
/// (blocking).
pub fn copy_stores(dir: &Path, url: &str) -> Result<Copied, MigrateError> {
    let tokens = read(
        &dir.join("access.db"),
        "SELECT id, hash, party, role, label, created, revoked FROM tokens ORDER BY id",
        |r| {
            Ok(Token {
                id: r.get(0)?,
                hash: r.get(1)?,
                party: r.get(2)?,
                role: r.get(3)?,
                label: r.get(4)?,
                created: r.get(5)?,
                revoked: r.get(6)?,
            })
        },
    )?;
    let restricted = dir.join("restricted.db");
    let contents = read(
        &restricted,
        "SELECT commitment, kind, salt, content, created FROM content ORDER BY commitment",
        |r| {
            Ok(Content {
                commitment: r.get(0)?,
                kind: r.get(1)?,
                salt: r.get(2)?,
                content: r.get(3)?,
                created: r.get(4)?,
            })
        },
    )?;
    let filers = read(
        &restricted,
        "SELECT commitment, party, at FROM filers ORDER BY commitment, party",
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )?;
    let schema = format!(
        "{};\n{}",
        crate::access::PG_SCHEMA.trim_end_matches(';'),
        crate::restricted::PG_SCHEMA
    );
    let db = PgDb::connect(url, &schema)?;
    db.write("copying tokens and restricted content", |c| {
        let mut tx = c.transaction()?;
        for t in &tokens {
            tx.execute(
                "INSERT INTO truce_access_tokens(id, hash, party, role, label, created, revoked)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[
                    &t.id, &t.hash, &t.party, &t.role, &t.label, &t.created, &t.revoked,
                ],
            )?;
        }
        for x in &contents {
            tx.execute(
                "INSERT INTO truce_restricted(commitment, kind, salt, content, created)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (commitment) DO NOTHING",
                &[
                    &x.commitment,
                    &x.kind,
                    &x.salt,
                    &x.content.as_bytes(),
                    &x.created,
                ],
            )?;
        }
        for (commitment, party, at) in &filers {
            tx.execute(
                "INSERT INTO truce_restricted_filers(commitment, party, at) VALUES ($1, $2, $3)
                 ON CONFLICT (commitment, party) DO NOTHING",
                &[commitment, party, at],
            )?;
        }
        tx.commit()
    })?;
    Ok(Copied {
        tokens: tokens.len() as u64,
        restricted: contents.len() as u64,
        filers: filers.len() as u64,
    })
}
