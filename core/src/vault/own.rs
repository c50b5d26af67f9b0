//! The wallet's own records of what it did on the chain: its reports and grants with their
//! last proven status, and the receipts that prove each action landed. Typed rows: a status
//! is an enum, a body is a struct; a row that does not decode is [`Error::BadRecord`], never
//! an empty default.

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::Vault;
use super::records::log;
use crate::{Error, Result};
use citywallet_protocol::ActionKind;

/// Where one of the wallet's reports stands, as last proven on the chain.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    /// Waiting for an officer.
    Submitted,
    /// Accepted (the reporter was rewarded).
    Accepted,
    /// Rejected.
    Rejected,
    /// Gone from the chain unreviewed: filed from a key without standing and pushed out of
    /// the ring of new reporters' reports by newer ones before an officer read it.
    Expired,
}

/// Where one of the wallet's grants stands.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    /// In force.
    Active,
    /// Revoked by the citizen.
    Revoked,
}

/// A device key's place on the chain, as this wallet last did or proved it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKeyState {
    /// Made in the wallet, not registered by it.
    Local,
    /// Registered on the chain by this wallet.
    Registered,
    /// Revoked on the chain by this wallet.
    Revoked,
}

macro_rules! text_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// Stable snake_case name (the vault's column value).
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            /// The value named `s`, if it is one.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
        }
    };
}

text_enum!(ReportState { Submitted => "submitted", Accepted => "accepted", Rejected => "rejected", Expired => "expired" });
text_enum!(GrantState { Active => "active", Revoked => "revoked" });
text_enum!(DeviceKeyState { Local => "local", Registered => "registered", Revoked => "revoked" });

/// A report this wallet filed. The description and evidence stay here; the chain holds only
/// their hash.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportEntry {
    /// Report id.
    pub id: String,
    /// Last proven status.
    pub status: ReportState,
    /// Category.
    pub category: String,
    /// Location cell.
    pub location: String,
    /// What the citizen saw.
    pub description: String,
    /// The hash the report commits to on the chain, hex.
    pub evidence_hash: String,
    /// The receipt's id (transaction hash).
    pub receipt: String,
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
}

/// A grant this wallet made.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantEntry {
    /// Grant id.
    pub id: String,
    /// Status.
    pub status: GrantState,
    /// Organisation id.
    pub org: String,
    /// Its registered name, as proven when the grant was made.
    pub org_name: String,
    /// Categories granted.
    pub categories: Vec<String>,
    /// Purpose.
    pub purpose: String,
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_at: u64,
    /// The receipt's id.
    pub receipt: String,
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
}

/// The body column of `reports` (what is not a column of its own).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportBody {
    category: String,
    location: String,
    description: String,
    evidence_hash: String,
    receipt: String,
}

/// The body column of `grants`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantBody {
    org: String,
    org_name: String,
    categories: Vec<String>,
    purpose: String,
    expires_at: u64,
    receipt: String,
}

/// A stored receipt: proof that an action landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredReceipt {
    /// Receipt id (the transaction hash, hex).
    pub id: String,
    /// The action.
    pub kind: ActionKind,
    /// What it is about: a report, grant, device or credential id, or a key.
    pub subject: String,
    /// Height of the header that proves it.
    pub height: u64,
    /// The receipt itself (the light client's encoding).
    #[serde(skip)]
    pub body: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
}

/// What a receipt changes in the wallet's own records, written in the same transaction.
#[derive(Debug, Clone, Copy)]
pub enum OwnChange<'a> {
    /// Nothing else.
    None,
    /// A new report.
    NewReport(&'a ReportEntry),
    /// A new grant.
    NewGrant(&'a GrantEntry),
    /// A grant's new status.
    GrantState(&'a str, GrantState),
    /// A wallet-made device key's new state (by public key).
    DeviceKey(&'a [u8; 32], DeviceKeyState),
}

fn bad(table: &'static str, id: &str) -> Error {
    Error::BadRecord {
        table,
        id: id.to_owned(),
    }
}

fn encode<T: Serialize>(table: &'static str, id: &str, v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|_| bad(table, id))
}

struct RawRow {
    id: String,
    status: String,
    body: Vec<u8>,
    created_at: i64,
}

fn raw_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: r.get(0)?,
        status: r.get(1)?,
        body: r.get(2)?,
        created_at: r.get(3)?,
    })
}

impl RawRow {
    fn report(self) -> Result<ReportEntry> {
        let status = ReportState::parse(&self.status).ok_or_else(|| bad("reports", &self.id))?;
        let b: ReportBody =
            serde_json::from_slice(&self.body).map_err(|_| bad("reports", &self.id))?;
        Ok(ReportEntry {
            id: self.id,
            status,
            category: b.category,
            location: b.location,
            description: b.description,
            evidence_hash: b.evidence_hash,
            receipt: b.receipt,
            created_at: self.created_at,
        })
    }

    fn grant(self) -> Result<GrantEntry> {
        let status = GrantState::parse(&self.status).ok_or_else(|| bad("grants", &self.id))?;
        let b: GrantBody =
            serde_json::from_slice(&self.body).map_err(|_| bad("grants", &self.id))?;
        Ok(GrantEntry {
            id: self.id,
            status,
            org: b.org,
            org_name: b.org_name,
            categories: b.categories,
            purpose: b.purpose,
            expires_at: b.expires_at,
            receipt: b.receipt,
            created_at: self.created_at,
        })
    }
}

fn receipt_row(r: &Row<'_>) -> rusqlite::Result<(StoredReceipt, String)> {
    let kind: String = r.get(1)?;
    Ok((
        StoredReceipt {
            id: r.get(0)?,
            kind: ActionKind::RegisterIssuer,
            subject: r.get(2)?,
            height: r.get::<_, i64>(3)? as u64,
            body: r.get(4)?,
            created_at: r.get(5)?,
        },
        kind,
    ))
}

fn typed_receipt((mut r, kind): (StoredReceipt, String)) -> Result<StoredReceipt> {
    r.kind = ActionKind::parse(&kind).ok_or_else(|| bad("receipts", &r.id))?;
    Ok(r)
}

impl Vault {
    /// Store a receipt, its activity line and `change` to the wallet's own records, in one
    /// transaction: all of it or none.
    pub fn record_receipt(&mut self, r: &StoredReceipt, change: OwnChange<'_>) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO receipts (id, kind, subject, height, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                r.id,
                r.kind.as_str(),
                r.subject,
                r.height as i64,
                r.body,
                r.created_at
            ],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Error::Duplicate {
                    kind: "receipt",
                    id: r.id.clone(),
                }
            }
            e => e.into(),
        })?;
        match change {
            OwnChange::None => {}
            OwnChange::NewReport(e) => {
                let body = ReportBody {
                    category: e.category.clone(),
                    location: e.location.clone(),
                    description: e.description.clone(),
                    evidence_hash: e.evidence_hash.clone(),
                    receipt: e.receipt.clone(),
                };
                tx.execute(
                    "INSERT INTO reports (id, status, body, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        e.id,
                        e.status.as_str(),
                        encode("reports", &e.id, &body)?,
                        e.created_at
                    ],
                )?;
            }
            OwnChange::NewGrant(e) => {
                let body = GrantBody {
                    org: e.org.clone(),
                    org_name: e.org_name.clone(),
                    categories: e.categories.clone(),
                    purpose: e.purpose.clone(),
                    expires_at: e.expires_at,
                    receipt: e.receipt.clone(),
                };
                tx.execute(
                    "INSERT INTO grants (id, status, body, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        e.id,
                        e.status.as_str(),
                        encode("grants", &e.id, &body)?,
                        e.created_at
                    ],
                )?;
            }
            OwnChange::GrantState(id, state) => {
                tx.execute(
                    "UPDATE grants SET status = ?2 WHERE id = ?1",
                    params![id, state.as_str()],
                )?;
            }
            OwnChange::DeviceKey(public_key, state) => {
                tx.execute(
                    "UPDATE devices SET status = ?2 WHERE public_key = ?1",
                    params![public_key.as_slice(), state.as_str()],
                )?;
            }
        }
        log(
            &tx,
            r.created_at,
            r.kind,
            &serde_json::json!({ "subject": r.subject, "height": r.height, "receipt": r.id }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Receipts, newest first; only those about `subject` when given.
    pub fn receipts(&self, subject: Option<&str>) -> Result<Vec<StoredReceipt>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, subject, height, body, created_at FROM receipts
             WHERE ?1 IS NULL OR subject = ?1 ORDER BY created_at DESC, height DESC",
        )?;
        let rows = stmt.query_map([subject], receipt_row)?;
        rows.map(|r| typed_receipt(r?)).collect()
    }

    /// The newest receipt of `kind` about `subject`, if any.
    pub fn receipt_of(&self, kind: ActionKind, subject: &str) -> Result<Option<StoredReceipt>> {
        self.conn
            .query_row(
                "SELECT id, kind, subject, height, body, created_at FROM receipts
                 WHERE kind = ?1 AND subject = ?2 ORDER BY created_at DESC, height DESC LIMIT 1",
                params![kind.as_str(), subject],
                receipt_row,
            )
            .optional()?
            .map(typed_receipt)
            .transpose()
    }

    /// The wallet's reports, newest first.
    pub fn reports(&self) -> Result<Vec<ReportEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, status, body, created_at FROM reports ORDER BY created_at DESC, id",
        )?;
        let rows = stmt.query_map([], raw_row)?;
        rows.map(|r| r?.report()).collect()
    }

    /// Record a report's newly proven status.
    pub fn set_report_state(&mut self, id: &str, state: ReportState) -> Result<()> {
        self.conn.execute(
            "UPDATE reports SET status = ?2 WHERE id = ?1",
            params![id, state.as_str()],
        )?;
        Ok(())
    }

    /// The wallet's grants, newest first.
    pub fn grants(&self) -> Result<Vec<GrantEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, status, body, created_at FROM grants ORDER BY created_at DESC, id",
        )?;
        let rows = stmt.query_map([], raw_row)?;
        rows.map(|r| r?.grant()).collect()
    }
}
