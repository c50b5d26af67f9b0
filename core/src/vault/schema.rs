//! Versioned schema migrations. `PRAGMA user_version` holds the number of migrations applied;
//! each migration runs in its own transaction together with the version bump.

use rusqlite::Connection;

use crate::{Error, Result};

/// Migration `i` takes the schema from version `i` to `i + 1`. Append only: never edit one.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE wallet (
        id                    INTEGER PRIMARY KEY CHECK (id = 1),
        entropy               BLOB    NOT NULL,
        seed                  BLOB    NOT NULL CHECK (length(seed) = 64),
        bip39_passphrase_used INTEGER NOT NULL CHECK (bip39_passphrase_used IN (0, 1)),
        created_at            INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE keys (
        role       TEXT    NOT NULL CHECK (role IN ('identity', 'report', 'device')),
        key_index  INTEGER NOT NULL CHECK (key_index BETWEEN 0 AND 2147483647),
        path       TEXT    NOT NULL UNIQUE,
        public_key BLOB    NOT NULL UNIQUE CHECK (length(public_key) = 32),
        label      TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (role, key_index)
    ) STRICT;

    CREATE TABLE devices (
        id         TEXT    PRIMARY KEY,
        public_key BLOB    NOT NULL UNIQUE CHECK (length(public_key) = 32),
        key_index  INTEGER UNIQUE,
        label      TEXT,
        status     TEXT    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE credentials (
        id          TEXT    PRIMARY KEY,
        issuer      TEXT    NOT NULL,
        kind        TEXT    NOT NULL,
        body        BLOB    NOT NULL,
        received_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX credentials_by_kind ON credentials (kind, received_at);

    CREATE TABLE reports (
        id         TEXT    PRIMARY KEY,
        status     TEXT    NOT NULL,
        body       BLOB    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE grants (
        id         TEXT    PRIMARY KEY,
        status     TEXT    NOT NULL,
        body       BLOB    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE trusted_headers (
        chain_id    TEXT    NOT NULL,
        height      INTEGER NOT NULL CHECK (height > 0),
        hash        BLOB    NOT NULL,
        body        BLOB    NOT NULL,
        verified_at INTEGER NOT NULL,
        PRIMARY KEY (chain_id, height)
    ) STRICT;

    CREATE TABLE activity (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        at     INTEGER NOT NULL,
        kind   TEXT    NOT NULL,
        detail TEXT    NOT NULL
    ) STRICT;
    "#,
    // 2: the chain: nodes, light-client trust, receipts, fork evidence, the registry snapshot.
    r#"
    CREATE TABLE nodes (
        url      TEXT    PRIMARY KEY,
        role     TEXT    NOT NULL CHECK (role IN ('primary', 'witness')),
        added_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX one_primary ON nodes (role) WHERE role = 'primary';

    CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE receipts (
        id         TEXT    PRIMARY KEY,
        kind       TEXT    NOT NULL,
        subject    TEXT    NOT NULL,
        height     INTEGER NOT NULL,
        body       BLOB    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX receipts_by_subject ON receipts (kind, subject);

    CREATE TABLE divergences (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        detected_at INTEGER NOT NULL,
        height      INTEGER NOT NULL,
        primary_url TEXT    NOT NULL,
        witness_url TEXT    NOT NULL,
        evidence    BLOB    NOT NULL,
        submitted   TEXT    NOT NULL,
        resolved_at INTEGER
    ) STRICT;

    CREATE TABLE snapshots (
        name        TEXT    PRIMARY KEY,
        height      INTEGER NOT NULL,
        header_time INTEGER NOT NULL,
        body        BLOB    NOT NULL,
        taken_at    INTEGER NOT NULL
    ) STRICT;
    "#,
    // 3: trusted headers by hash, and archived ones. A new trust anchor archives the
    // headers that receipts and the officer's snapshot rest on (they keep verifying) and
    // drops the rest; only live headers carry trust forward.
    r#"
    CREATE TABLE trusted_headers_v3 (
        hash        BLOB    PRIMARY KEY,
        chain_id    TEXT    NOT NULL,
        height      INTEGER NOT NULL CHECK (height > 0),
        body        BLOB    NOT NULL,
        verified_at INTEGER NOT NULL,
        archived    INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
    ) STRICT;
    INSERT INTO trusted_headers_v3 (hash, chain_id, height, body, verified_at)
        SELECT hash, chain_id, height, body, verified_at FROM trusted_headers;
    DROP TABLE trusted_headers;
    ALTER TABLE trusted_headers_v3 RENAME TO trusted_headers;
    CREATE INDEX trusted_headers_live ON trusted_headers (archived, height);
    "#,
    // 4: documents kept by name in spaces: the wallet's W3C credentials, and the rows a
    // service on a vault (a department's issuer) keeps beside its trust store.
    r#"
    CREATE TABLE documents (
        space      TEXT    NOT NULL CHECK (length(space) BETWEEN 1 AND 64),
        name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
        body       BLOB    NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (space, name)
    ) STRICT;
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Bring the schema up to [`SCHEMA_VERSION`]; refuse a vault from a newer build untouched.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_a_newer_schema_untouched() {
        let mut conn = Connection::open_in_memory().expect("db");
        migrate(&mut conn).expect("migrate");
        migrate(&mut conn).expect("idempotent");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION);

        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
        assert!(matches!(
            migrate(&mut conn),
            Err(Error::SchemaTooNew { found, supported })
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ));
    }

    #[test]
    fn a_failing_migration_leaves_the_version_unchanged() {
        let mut conn = Connection::open_in_memory().expect("db");
        // A table the first migration wants to create already exists: it must fail whole.
        conn.execute_batch("CREATE TABLE activity (x INTEGER);")
            .expect("pre-existing table");
        assert!(migrate(&mut conn).is_err());
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(version, 0);
        let wallet_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'wallet'",
                [],
                |r| r.get(0),
            )
            .expect("query");
        assert_eq!(wallet_exists, 0, "the migration rolled back whole");
    }
}
