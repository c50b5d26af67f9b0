//! Documents kept by name in spaces, inside the encrypted vault: the W3C credentials a
//! wallet holds, and the rows a service built on a vault keeps beside its trust store (a
//! department's issuer: its keys, its citizens' records, its offers). The body is opaque
//! bytes to the vault; its owner parses and checks it. Bodies are handed out in buffers
//! wiped on drop, since a space may hold secrets.

use rusqlite::OptionalExtension as _;
use zeroize::Zeroizing;

use super::Vault;
use super::throttle::unix_now;
use crate::{Error, Result};

/// Largest document body kept.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// A stored document.
pub struct Document {
    /// Its name in its space.
    pub name: String,
    /// Its bytes.
    pub body: Zeroizing<Vec<u8>>,
    /// Unix seconds it was stored.
    pub created_at: i64,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("name", &self.name)
            .field("bytes", &self.body.len())
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

fn check(space: &str, name: &str, body: Option<&[u8]>) -> Result<()> {
    let bad_text = |t: &str, max: usize| t.is_empty() || t.len() > max || t.contains('\0');
    if bad_text(space, 64)
        || bad_text(name, 256)
        || body.is_some_and(|b| b.len() > MAX_DOCUMENT_BYTES)
    {
        return Err(Error::BadRecord {
            table: "documents",
            id: name.chars().take(64).collect(),
        });
    }
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Document> {
    Ok(Document {
        name: r.get(0)?,
        body: Zeroizing::new(r.get(1)?),
        created_at: r.get(2)?,
    })
}

impl Vault {
    /// Keep `body` as `name` in `space`; a name already there is [`Error::Duplicate`] and
    /// changes nothing.
    pub fn put_document(&mut self, space: &'static str, name: &str, body: &[u8]) -> Result<()> {
        check(space, name, Some(body))?;
        let done = self.conn.execute(
            "INSERT INTO documents (space, name, body, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            rusqlite::params![space, name, body, unix_now() as i64],
        )?;
        if done == 0 {
            return Err(Error::Duplicate {
                kind: space,
                id: name.to_owned(),
            });
        }
        Ok(())
    }

    /// Replace `name` in `space` with `body` (kept if it was not there).
    pub fn replace_document(&mut self, space: &str, name: &str, body: &[u8]) -> Result<()> {
        check(space, name, Some(body))?;
        self.conn.execute(
            "INSERT INTO documents (space, name, body, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (space, name) DO UPDATE SET body = excluded.body",
            rusqlite::params![space, name, body, unix_now() as i64],
        )?;
        Ok(())
    }

    /// The document `name` of `space`, if kept.
    pub fn document(&self, space: &str, name: &str) -> Result<Option<Document>> {
        check(space, name, None)?;
        Ok(self
            .conn
            .query_row(
                "SELECT name, body, created_at FROM documents WHERE space = ?1 AND name = ?2",
                rusqlite::params![space, name],
                row,
            )
            .optional()?)
    }

    /// Remove `name` from `space` and return it, in one step: two callers racing for a
    /// single-use document (a one-time code) cannot both get it.
    pub fn take_document(&mut self, space: &str, name: &str) -> Result<Option<Document>> {
        check(space, name, None)?;
        Ok(self
            .conn
            .query_row(
                "DELETE FROM documents WHERE space = ?1 AND name = ?2
                 RETURNING name, body, created_at",
                rusqlite::params![space, name],
                row,
            )
            .optional()?)
    }

    /// Every document of `space`, by name.
    pub fn documents(&self, space: &str) -> Result<Vec<Document>> {
        check(space, "-", None)?;
        let mut stmt = self.conn.prepare(
            "SELECT name, body, created_at FROM documents WHERE space = ?1 ORDER BY name",
        )?;
        let rows = stmt.query_map([space], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Remove the documents of `space` stored before `before` (Unix seconds); how many went.
    pub fn expire_documents(&mut self, space: &str, before: i64) -> Result<usize> {
        check(space, "-", None)?;
        Ok(self.conn.execute(
            "DELETE FROM documents WHERE space = ?1 AND created_at < ?2",
            rusqlite::params![space, before],
        )?)
    }
}
