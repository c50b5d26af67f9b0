//! What the vault keeps about the chain: the nodes to talk to, the light client's trusted
//! headers, receipts, fork evidence and the officer's registry snapshot, plus the wallet's
//! own reports and grants. Bodies are opaque bytes here; the light client gives them meaning.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Vault;
use super::records::VaultEvent;
use super::records::log;
use super::throttle::unix_now;
use crate::{Error, Result};

/// A node's role for the light client.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Headers, proofs and submissions come from it.
    Primary,
    /// Cross-checks the primary's headers.
    Witness,
}

impl NodeRole {
    /// `primary` or `witness`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Witness => "witness",
        }
    }

    /// The role named `s`, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "primary" => Some(Self::Primary),
            "witness" => Some(Self::Witness),
            _ => None,
        }
    }
}

/// A configured node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeEntry {
    /// Its RPC URL.
    pub url: String,
    /// Primary or witness.
    pub role: NodeRole,
    /// Unix seconds.
    pub added_at: i64,
}

/// A header the light client verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedHeader {
    /// Chain id.
    pub chain_id: String,
    /// Height.
    pub height: u64,
    /// Header hash.
    pub hash: Vec<u8>,
    /// The light block, as the light client serialised it.
    pub body: Vec<u8>,
    /// Unix seconds when it was verified.
    pub verified_at: i64,
}

/// Evidence that the primary and a witness disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// Sequence number.
    pub id: i64,
    /// Unix seconds.
    pub detected_at: i64,
    /// Height where the headers differ.
    pub height: u64,
    /// The primary's URL.
    pub primary_url: String,
    /// The witness's URL.
    pub witness_url: String,
    /// Both light blocks and the attack evidence, JSON.
    #[serde(skip)]
    pub evidence: Vec<u8>,
    /// What happened when the evidence was submitted to the nodes.
    pub submitted: String,
}

/// A snapshot of verified state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Height of the verified header it was proven against.
    pub height: u64,
    /// That header's time, Unix seconds.
    pub header_time: i64,
    /// The proven reads, as the light client serialised them.
    pub body: Vec<u8>,
    /// Unix seconds.
    pub taken_at: i64,
}

impl Vault {
    /// Add a node. A second primary replaces the first.
    pub fn add_node(&mut self, url: &str, role: NodeRole) -> Result<()> {
        let tx = self.conn.transaction()?;
        if role == NodeRole::Primary {
            tx.execute("DELETE FROM nodes WHERE role = 'primary'", [])?;
        }
        tx.execute(
            "INSERT INTO nodes (url, role, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (url) DO UPDATE SET role = excluded.role",
            params![url, role.as_str(), unix_now() as i64],
        )?;
        log(
            &tx,
            unix_now() as i64,
            VaultEvent::NodeAdded,
            &serde_json::json!({ "url": url, "role": role.as_str() }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Remove a node.
    pub fn remove_node(&mut self, url: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        if tx.execute("DELETE FROM nodes WHERE url = ?1", [url])? == 0 {
            return Err(Error::NotFound {
                kind: "node",
                id: url.to_owned(),
            });
        }
        log(
            &tx,
            unix_now() as i64,
            VaultEvent::NodeRemoved,
            &serde_json::json!({ "url": url }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The configured nodes, primary first.
    pub fn nodes(&self) -> Result<Vec<NodeEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT url, role, added_at FROM nodes ORDER BY role = 'witness', added_at")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?;
        rows.map(|row| {
            let (url, role, added_at) = row?;
            let role = NodeRole::parse(&role).ok_or_else(|| Error::BadRecord {
                table: "nodes",
                id: url.clone(),
            })?;
            Ok(NodeEntry {
                url,
                role,
                added_at,
            })
        })
        .collect()
    }

    /// A setting, if set.
    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Set a setting.
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![name, value],
        )?;
        Ok(())
    }

    /// Record a verified header.
    pub fn put_trusted_header(&mut self, h: &TrustedHeader) -> Result<()> {
        self.conn.execute(
            "INSERT INTO trusted_headers (chain_id, height, hash, body, verified_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (hash) DO UPDATE SET archived = 0",
            params![h.chain_id, h.height as i64, h.hash, h.body, h.verified_at],
        )?;
        Ok(())
    }

    /// The highest live verified header (not archived by a new anchor), of any chain.
    pub fn latest_trusted_header(&self) -> Result<Option<TrustedHeader>> {
        self.trusted_where("archived = 0 ORDER BY height DESC LIMIT 1", params![])
    }

    /// The verified header with this hash, if the wallet verified it (live or archived).
    pub fn trusted_header_by_hash(&self, hash: &[u8]) -> Result<Option<TrustedHeader>> {
        self.trusted_where("hash = ?1 LIMIT 1", params![hash])
    }

    fn trusted_where(
        &self,
        clause: &str,
        p: &[&dyn rusqlite::ToSql],
    ) -> Result<Option<TrustedHeader>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT chain_id, height, hash, body, verified_at FROM trusted_headers WHERE {clause}"
                ),
                p,
                |r| {
                    Ok(TrustedHeader {
                        chain_id: r.get(0)?,
                        height: r.get::<_, i64>(1)? as u64,
                        hash: r.get(2)?,
                        body: r.get(3)?,
                        verified_at: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// A new trust anchor is coming: every live header stops carrying trust. The headers
    /// whose hashes are in `keep` (those receipts and snapshots rest on) are archived, so
    /// they still verify what rests on them; the others are forgotten. Recorded divergences
    /// are cleared.
    pub fn reset_trust(&mut self, keep: &[Vec<u8>]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "CREATE TEMP TABLE IF NOT EXISTS keep_headers (hash BLOB PRIMARY KEY)",
            [],
        )?;
        tx.execute("DELETE FROM keep_headers", [])?;
        for h in keep {
            tx.execute("INSERT OR IGNORE INTO keep_headers (hash) VALUES (?1)", [h])?;
        }
        tx.execute(
            "DELETE FROM trusted_headers WHERE hash NOT IN (SELECT hash FROM keep_headers)",
            [],
        )?;
        tx.execute("UPDATE trusted_headers SET archived = 1", [])?;
        tx.execute("DELETE FROM keep_headers", [])?;
        tx.execute(
            "UPDATE divergences SET resolved_at = ?1 WHERE resolved_at IS NULL",
            [unix_now() as i64],
        )?;
        log(
            &tx,
            unix_now() as i64,
            VaultEvent::TrustReset,
            &serde_json::json!({ "kept": keep.len() }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Record fork evidence; every action is refused until [`Vault::reset_trust`].
    pub fn record_divergence(&mut self, d: &Divergence) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO divergences (detected_at, height, primary_url, witness_url, evidence, submitted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                d.detected_at,
                d.height as i64,
                d.primary_url,
                d.witness_url,
                d.evidence,
                d.submitted
            ],
        )?;
        let id = tx.last_insert_rowid();
        log(
            &tx,
            d.detected_at,
            VaultEvent::DivergenceDetected,
            &serde_json::json!({ "height": d.height, "primary": d.primary_url, "witness": d.witness_url }),
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// The first unresolved divergence, if any.
    pub fn open_divergence(&self) -> Result<Option<Divergence>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, detected_at, height, primary_url, witness_url, evidence, submitted
                 FROM divergences WHERE resolved_at IS NULL ORDER BY id LIMIT 1",
                [],
                |r| {
                    Ok(Divergence {
                        id: r.get(0)?,
                        detected_at: r.get(1)?,
                        height: r.get::<_, i64>(2)? as u64,
                        primary_url: r.get(3)?,
                        witness_url: r.get(4)?,
                        evidence: r.get(5)?,
                        submitted: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// Replace the snapshot called `name`.
    pub fn put_snapshot(&mut self, name: &str, s: &Snapshot) -> Result<()> {
        self.conn.execute(
            "INSERT INTO snapshots (name, height, header_time, body, taken_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (name) DO UPDATE SET height = excluded.height,
               header_time = excluded.header_time, body = excluded.body, taken_at = excluded.taken_at",
            params![name, s.height as i64, s.header_time, s.body, s.taken_at],
        )?;
        Ok(())
    }

    /// The snapshot called `name`.
    pub fn snapshot(&self, name: &str) -> Result<Option<Snapshot>> {
        Ok(self
            .conn
            .query_row(
                "SELECT height, header_time, body, taken_at FROM snapshots WHERE name = ?1",
                [name],
                |r| {
                    Ok(Snapshot {
                        height: r.get::<_, i64>(0)? as u64,
                        header_time: r.get(1)?,
                        body: r.get(2)?,
                        taken_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Append an activity entry (details must not hold secrets).
    pub fn log_activity(
        &self,
        kind: impl Into<super::records::ActivityKind>,
        detail: &serde_json::Value,
    ) -> Result<()> {
        log(&self.conn, unix_now() as i64, kind, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::RecoveryPhrase;
    use crate::vault::{KdfParams, Passphrase};

    fn vault(dir: &tempfile::TempDir) -> Vault {
        let fast = KdfParams {
            m_cost_kib: 256,
            t_cost: 1,
            p_cost: 1,
        };
        Vault::create(
            &dir.path().join("v.db"),
            &Passphrase::new("correct horse battery".into()),
            fast,
            &RecoveryPhrase::generate().expect("phrase"),
            "",
        )
        .expect("vault")
    }

    #[test]
    fn one_primary_many_witnesses() {
        let dir = tempfile::tempdir().expect("dir");
        let mut v = vault(&dir);
        v.add_node("http://a", NodeRole::Primary).expect("a");
        v.add_node("http://w1", NodeRole::Witness).expect("w1");
        v.add_node("http://b", NodeRole::Primary).expect("b");
        let nodes = v.nodes().expect("nodes");
        assert_eq!(nodes.len(), 2);
        assert_eq!(
            (nodes[0].url.as_str(), nodes[0].role),
            ("http://b", NodeRole::Primary)
        );
        assert_eq!(nodes[1].role, NodeRole::Witness);
        assert!(matches!(
            v.remove_node("http://nope"),
            Err(Error::NotFound { .. })
        ));
    }

    #[test]
    fn divergence_blocks_until_trust_is_reset() {
        let dir = tempfile::tempdir().expect("dir");
        let mut v = vault(&dir);
        v.put_trusted_header(&TrustedHeader {
            chain_id: "c".into(),
            height: 5,
            hash: vec![1; 32],
            body: b"{}".to_vec(),
            verified_at: 1,
        })
        .expect("put");
        v.record_divergence(&Divergence {
            id: 0,
            detected_at: 2,
            height: 6,
            primary_url: "p".into(),
            witness_url: "w".into(),
            evidence: b"{}".to_vec(),
            submitted: "not accepted".into(),
        })
        .expect("record");
        assert!(v.open_divergence().expect("open").is_some());
        v.reset_trust(&[]).expect("reset");
        assert!(v.open_divergence().expect("open").is_none());
        assert!(v.latest_trusted_header().expect("latest").is_none());
    }
}
