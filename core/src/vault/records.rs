//! Records kept in the vault: key metadata, devices, credentials and the activity log.

use std::fmt;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::Vault;
use super::own::DeviceKeyState;
use super::throttle::unix_now;
use crate::keys::{KeyPair, KeyPath, KeyRole};
use crate::{Error, Result};

/// The citizen's identity, as shown to the user and to verifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityInfo {
    /// `did:key:z6Mk…`
    pub did: String,
    /// The Ed25519 public key, hex.
    pub public_key_hex: String,
    /// The SLIP-0010 path, `m/7083'/0'/0'/0'`.
    pub path: String,
}

/// A device key the wallet derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceRecord {
    /// Device id: the hex public key.
    pub id: String,
    /// Derivation index.
    pub index: u32,
    /// SLIP-0010 path, `m/7083'/0'/2'/index'`.
    pub path: String,
    /// Ed25519 public key, hex.
    pub public_key_hex: String,
    /// A name the user gave it.
    pub label: Option<String>,
    /// Whether this wallet registered it on the chain.
    pub status: DeviceKeyState,
    /// Unix seconds.
    pub created_at: i64,
}

/// A credential as stored: its body is opaque here (the credentials module gives it
/// meaning). `Debug` does not print the body.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct StoredCredential {
    /// Credential id.
    pub id: String,
    /// Issuer id.
    pub issuer: String,
    /// Credential type, such as `credit` or `residency`.
    pub kind: String,
    /// The credential itself.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// Unix seconds.
    pub received_at: i64,
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("kind", &self.kind)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .field("received_at", &self.received_at)
            .finish()
    }
}

/// Something the vault itself did or saw, as its activity log names it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    serde::Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum VaultEvent {
    /// `vault_created`.
    VaultCreated,
    /// `vault_exported`.
    VaultExported,
    /// `trust_reset`.
    TrustReset,
    /// `phrase_revealed`.
    PhraseRevealed,
    /// `passphrase_changed`.
    PassphraseChanged,
    /// `node_added`.
    NodeAdded,
    /// `node_removed`.
    NodeRemoved,
    /// `divergence_detected`.
    DivergenceDetected,
    /// `device_created`.
    DeviceCreated,
    /// `device_bundle_exported`.
    DeviceBundleExported,
    /// `credentials_added`.
    CredentialsAdded,
    /// `credential_presented`.
    CredentialPresented,
    /// `credential_deleted`.
    CredentialDeleted,
    /// `biometric_on`.
    BiometricOn,
    /// `biometric_off`.
    BiometricOff,
}

/// What an activity log entry is about: a vault event, or an action the wallet proved on the
/// chain (its receipt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ActivityKind {
    /// The vault's own.
    Vault(VaultEvent),
    /// A chain action with its receipt.
    Action(citywallet_protocol::ActionKind),
}

impl ActivityKind {
    /// Stable snake_case name (the log's column value).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vault(e) => e.into(),
            Self::Action(a) => a.as_str(),
        }
    }

    /// The kind named `s`, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse()
            .ok()
            .map(Self::Vault)
            .or_else(|| citywallet_protocol::ActionKind::parse(s).map(Self::Action))
    }
}

impl From<VaultEvent> for ActivityKind {
    fn from(e: VaultEvent) -> Self {
        Self::Vault(e)
    }
}

impl From<citywallet_protocol::ActionKind> for ActivityKind {
    fn from(a: citywallet_protocol::ActionKind) -> Self {
        Self::Action(a)
    }
}

/// One line of the activity log. Details never hold secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityEntry {
    /// Sequence number.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// What happened.
    pub kind: ActivityKind,
    /// JSON details.
    pub detail: String,
}

pub(crate) fn insert_key(
    conn: &Connection,
    key: &KeyPair,
    label: Option<&str>,
    now: i64,
) -> Result<()> {
    let path = key.path();
    conn.execute(
        "INSERT INTO keys (role, key_index, path, public_key, label, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            path.role().as_str(),
            path.index(),
            path.to_string(),
            key.public().to_bytes().as_slice(),
            label,
            now
        ],
    )?;
    Ok(())
}

pub(crate) fn log(
    conn: &Connection,
    at: i64,
    kind: impl Into<ActivityKind>,
    detail: &serde_json::Value,
) -> Result<()> {
    conn.execute(
        "INSERT INTO activity (at, kind, detail) VALUES (?1, ?2, ?3)",
        params![at, kind.into().as_str(), detail.to_string()],
    )?;
    Ok(())
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

impl Vault {
    /// The citizen's identity key, as a `did:key`.
    pub fn identity(&self) -> Result<IdentityInfo> {
        let key = self.seed()?.derive(KeyPath::IDENTITY)?;
        let public = key.public();
        Ok(IdentityInfo {
            did: public.did_key(),
            public_key_hex: public.to_hex(),
            path: key.path().to_string(),
        })
    }

    /// The holder secret, derived from the vault's seed (never stored, never sent).
    pub fn holder_secret(&self) -> Result<crate::keys::HolderSecret> {
        self.seed()?.holder_secret()
    }

    /// The holder's part of its pseudonyms' secret, derived from the vault's seed.
    pub fn prover_nym(&self) -> Result<crate::keys::ProverNym> {
        self.seed()?.prover_nym()
    }

    /// The key pair at `path`, derived from the vault's seed.
    pub fn key_pair(&self, path: KeyPath) -> Result<KeyPair> {
        self.seed()?.derive(path)
    }

    /// Derive the next device key (index one past the highest so far) and record it.
    pub fn new_device(&mut self, label: Option<&str>) -> Result<DeviceRecord> {
        let seed = self.seed()?;
        let tx = self.conn.transaction()?;
        let next: i64 = tx.query_row(
            "SELECT coalesce(max(key_index) + 1, 0) FROM keys WHERE role = 'device'",
            [],
            |r| r.get(0),
        )?;
        let key = seed.derive(KeyPath::device(next as u64)?)?;
        let now = unix_now() as i64;
        insert_key(&tx, &key, label, now)?;
        let record = DeviceRecord {
            id: key.public().to_hex(),
            index: key.path().index(),
            path: key.path().to_string(),
            public_key_hex: key.public().to_hex(),
            label: label.map(str::to_owned),
            status: DeviceKeyState::Local,
            created_at: now,
        };
        tx.execute(
            "INSERT INTO devices (id, public_key, key_index, label, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                record.id,
                key.public().to_bytes().as_slice(),
                record.index,
                record.label,
                record.status.as_str(),
                now
            ],
        )?;
        log(
            &tx,
            now,
            VaultEvent::DeviceCreated,
            &serde_json::json!({ "index": record.index, "public_key": record.public_key_hex }),
        )?;
        tx.commit()?;
        Ok(record)
    }

    /// Devices the wallet derived, by index.
    pub fn devices(&self) -> Result<Vec<DeviceRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.id, d.key_index, k.path, d.label, d.status, d.created_at
             FROM devices d JOIN keys k ON k.role = 'device' AND k.key_index = d.key_index
             ORDER BY d.key_index",
        )?;
        let rows = stmt.query_map([], |r| {
            let id: String = r.get(0)?;
            let status: String = r.get(4)?;
            Ok((
                DeviceRecord {
                    public_key_hex: id.clone(),
                    id,
                    index: r.get(1)?,
                    path: r.get(2)?,
                    label: r.get(3)?,
                    status: DeviceKeyState::Local,
                    created_at: r.get(5)?,
                },
                status,
            ))
        })?;
        rows.map(|row| {
            let (mut d, status) = row?;
            d.status = DeviceKeyState::parse(&status).ok_or_else(|| Error::BadRecord {
                table: "devices",
                id: d.id.clone(),
            })?;
            Ok(d)
        })
        .collect()
    }

    /// Store one credential. An existing id is [`Error::Duplicate`] and changes nothing.
    pub fn insert_credential(&mut self, credential: &StoredCredential) -> Result<()> {
        self.insert_credentials(std::slice::from_ref(credential))
    }

    /// Store several credentials in one transaction: all or none.
    pub fn insert_credentials(&mut self, credentials: &[StoredCredential]) -> Result<()> {
        let now = unix_now() as i64;
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO credentials (id, issuer, kind, body, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for c in credentials {
                stmt.execute(params![c.id, c.issuer, c.kind, c.body, c.received_at])
                    .map_err(|e| {
                        if is_constraint(&e) {
                            Error::Duplicate {
                                kind: "credential",
                                id: c.id.clone(),
                            }
                        } else {
                            e.into()
                        }
                    })?;
            }
        }
        log(
            &tx,
            now,
            VaultEvent::CredentialsAdded,
            &serde_json::json!({ "count": credentials.len() }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// All credentials, newest first.
    pub fn credentials(&self) -> Result<Vec<StoredCredential>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, issuer, kind, body, received_at FROM credentials
             ORDER BY received_at DESC, id",
        )?;
        let rows = stmt.query_map([], credential_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One credential by id.
    pub fn credential(&self, id: &str) -> Result<StoredCredential> {
        self.conn
            .query_row(
                "SELECT id, issuer, kind, body, received_at FROM credentials WHERE id = ?1",
                [id],
                credential_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                kind: "credential",
                id: id.to_owned(),
            })
    }

    /// Delete a credential; an unknown id is [`Error::NotFound`].
    pub fn delete_credential(&mut self, id: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        if tx.execute("DELETE FROM credentials WHERE id = ?1", [id])? == 0 {
            return Err(Error::NotFound {
                kind: "credential",
                id: id.to_owned(),
            });
        }
        log(
            &tx,
            unix_now() as i64,
            VaultEvent::CredentialDeleted,
            &serde_json::json!({ "id": id }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` activity entries, newest first.
    pub fn activity(&self, limit: u32) -> Result<Vec<ActivityEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, at, kind, detail FROM activity ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                r.get::<_, String>(2)?,
                r.get(3)?,
            ))
        })?;
        rows.map(|row| {
            let (id, at, kind, detail) = row?;
            let kind = ActivityKind::parse(&kind).ok_or_else(|| Error::BadRecord {
                table: "activity",
                id: id.to_string(),
            })?;
            Ok(ActivityEntry {
                id,
                at,
                kind,
                detail,
            })
        })
        .collect()
    }

    /// How many keys of `role` the vault has recorded.
    pub fn key_count(&self, role: KeyRole) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM keys WHERE role = ?1",
            [role.as_str()],
            |r| r.get(0),
        )?)
    }
}

fn credential_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCredential> {
    Ok(StoredCredential {
        id: r.get(0)?,
        issuer: r.get(1)?,
        kind: r.get(2)?,
        body: r.get(3)?,
        received_at: r.get(4)?,
    })
}
