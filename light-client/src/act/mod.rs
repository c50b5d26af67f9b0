//! Verify before acting: every action brings trust to a recent verified header, proves each
//! fact it relies on, submits, waits until its effect is proven at a later verified header,
//! and keeps that proof as a receipt that can be checked again offline.

use std::time::Instant;

use citywallet_core::keys::{KeyPair, KeyPath};
use citywallet_core::vault::{OwnRecord, StoredReceipt, Vault};
use citywallet_protocol::{
    Account, Action, Code, DeviceRecord, GrantRecord, IssuerRecord, OrgRecord, ReportRecord,
    ReportStatus, Role, Status, TxBody, keys,
};
use sha2::{Digest, Sha256};
use tendermint_light_client_verifier::types::LightBlock;

use crate::client::ProvenRead;
use crate::error::{Error, Precondition, Result};
use crate::session::{Session, decode_block, encode_block, now, unix};
use crate::verify::{Engine, Verdict, verify_alone};

/// How long a submitted transaction stays valid.
const TX_LIFETIME_SECS: u64 = 600;
/// Pause between checks for a transaction's effect.
const POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Signs a message with an Ed25519 key.
pub type SignFn<'a> = dyn Fn(&[u8]) -> [u8; 64] + 'a;

/// Who signs a transaction: a public key and a signing function.
pub struct Signer<'a> {
    /// The Ed25519 public key.
    pub public: [u8; 32],
    /// Signs a message.
    pub sign: Box<SignFn<'a>>,
}

impl Signer<'static> {
    /// A wallet key as a signer (the key moves in and is wiped with it).
    pub fn from_key(key: KeyPair) -> Self {
        Self {
            public: key.public().to_bytes(),
            sign: Box::new(move |m| key.sign(m).to_bytes()),
        }
    }
}

impl std::fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("public", &hex::encode(self.public))
            .finish_non_exhaustive()
    }
}

/// Proof that an action landed: the effect's proven read and the header that commits to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// The action, such as `submit_report`.
    pub action: String,
    /// The report, grant, device or credential id.
    pub subject: String,
    /// SHA-256 of the transaction, hex (the receipt's id).
    pub tx_hash: String,
    /// The effect, proven.
    pub read: ProvenRead,
    /// The verified header whose app hash commits to the effect.
    pub header: LightBlock,
}

/// What an offline check of a receipt established.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptCheck {
    /// Receipt id.
    pub id: String,
    /// The action.
    pub action: String,
    /// The subject.
    pub subject: String,
    /// Height of the header.
    pub height: u64,
    /// Its time, Unix seconds.
    pub header_time: i64,
    /// Its hash, hex.
    pub header_hash: String,
    /// The proven value.
    pub value: Option<String>,
}

impl Receipt {
    /// Check the receipt with no network: the header's commit carries more than 2/3 of its
    /// validator set's power in valid signatures, this wallet verified that header from its
    /// trust anchor (it is in the vault), and the proof ties the effect to its app hash.
    pub fn verify_offline(&self, vault: &Vault) -> Result<ReceiptCheck> {
        let rules = crate::client::Rules::default();
        if verify_alone(&self.header, &rules.options(), None, Engine::Batch) != Verdict::Verified {
            return Err(Error::ReceiptInvalid("the header's commit does not verify"));
        }
        let hash = self.header.signed_header.header.hash();
        if vault.trusted_header_by_hash(hash.as_bytes())?.is_none() {
            return Err(Error::ReceiptInvalid(
                "the header is not one this wallet verified",
            ));
        }
        self.read
            .verify(&self.header)
            .map_err(|_| Error::ReceiptInvalid("the proof does not match the header"))?;
        if self.read.value.is_none() {
            return Err(Error::ReceiptInvalid("the receipt proves no effect"));
        }
        Ok(ReceiptCheck {
            id: self.tx_hash.clone(),
            action: self.action.clone(),
            subject: self.subject.clone(),
            height: self.header.height().value(),
            header_time: unix(self.header.signed_header.header.time),
            header_hash: hex::encode_upper(hash.as_bytes()),
            value: self.read.value.clone(),
        })
    }

    /// Load a stored receipt.
    pub fn from_stored(r: &StoredReceipt) -> Result<Self> {
        serde_json::from_slice(&r.body).map_err(|_| Error::BadRecord(format!("receipt {}", r.id)))
    }
}

/// A report to file.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    /// Category, such as `pothole`.
    pub category: &'a str,
    /// Location cell or address.
    pub location: &'a str,
    /// What the citizen saw. Kept in the vault; only its hash goes on chain.
    pub description: &'a str,
    /// SHA-256 of the evidence file, computed on the device (the file is never uploaded).
    pub evidence_sha256: Option<[u8; 32]>,
}

/// The hash a report commits to: SHA-256 over a domain tag, the description's length
/// (u64 big-endian) and bytes, then the evidence file's SHA-256 (if any).
pub fn report_evidence_hash(description: &str, evidence_sha256: Option<&[u8; 32]>) -> [u8; 32] {
    let mut h = Sha256::new()
        .chain_update(b"citywallet report v1\0")
        .chain_update((description.len() as u64).to_be_bytes())
        .chain_update(description.as_bytes());
    if let Some(e) = evidence_sha256 {
        h.update(e);
    }
    h.finalize().into()
}

/// A grant to create.
#[derive(Debug, Clone)]
pub struct NewGrant<'a> {
    /// Organisation id.
    pub org: &'a str,
    /// Categories.
    pub categories: &'a [String],
    /// Purpose.
    pub purpose: &'a str,
    /// Unix seconds.
    pub expires_at: u64,
}

/// A device to register.
#[derive(Debug, Clone)]
pub struct NewDevice<'a> {
    /// Device id.
    pub id: &'a str,
    /// Its Ed25519 public key.
    pub public_key: [u8; 32],
    /// Kind.
    pub kind: &'a str,
    /// Location.
    pub location: &'a str,
    /// Department.
    pub department: &'a str,
}

fn random_id(prefix: &str) -> Result<String> {
    let mut b = [0u8; 8];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut b)
        .map_err(|_| Error::Core(citywallet_core::Error::Rng))?;
    Ok(format!("{prefix}-{}", hex::encode(b)))
}

fn check_id(id: &str) -> Result<()> {
    if citywallet_protocol::is_valid_id(id) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{id:?}: an id has 1 to 64 letters, digits or : . _ -"
        )))
    }
}

impl Session<'_> {
    fn read_as<T: serde::de::DeserializeOwned>(
        &self,
        at: &LightBlock,
        key: Vec<u8>,
    ) -> Result<(Option<T>, ProvenRead)> {
        let r = self.read(at, &key)?;
        Ok((r.decode()?, r))
    }

    /// Proven issuer record.
    pub fn issuer(&self, at: &LightBlock, id: &str) -> Result<Option<IssuerRecord>> {
        Ok(self.read_as(at, keys::issuer(id))?.0)
    }
    /// Proven organisation record.
    pub fn org(&self, at: &LightBlock, id: &str) -> Result<Option<OrgRecord>> {
        Ok(self.read_as(at, keys::org(id))?.0)
    }
    /// Proven grant record.
    pub fn grant(&self, at: &LightBlock, id: &str) -> Result<Option<GrantRecord>> {
        Ok(self.read_as(at, keys::grant(id))?.0)
    }
    /// Proven report record.
    pub fn report(&self, at: &LightBlock, id: &str) -> Result<Option<ReportRecord>> {
        Ok(self.read_as(at, keys::report(id))?.0)
    }
    /// Proven device record.
    pub fn device(&self, at: &LightBlock, id: &str) -> Result<Option<DeviceRecord>> {
        Ok(self.read_as(at, keys::device(id))?.0)
    }
    /// Proven revocation status: `Some` when revoked.
    pub fn revocation(
        &self,
        at: &LightBlock,
        issuer: &str,
        credential_id: &str,
    ) -> Result<Option<citywallet_protocol::RevocationRecord>> {
        Ok(self.read_as(at, keys::revoked(issuer, credential_id))?.0)
    }
    /// Proven reward points of a key (0 when absence is proven).
    pub fn rewards(&self, at: &LightBlock, key: &[u8; 32]) -> Result<u64> {
        let (r, _) = self.read_as::<citywallet_protocol::RewardRecord>(at, keys::reward(key))?;
        Ok(r.map_or(0, |r| r.points))
    }
    /// Proven next nonce of a key (0 when absence is proven).
    pub fn nonce(&self, at: &LightBlock, key: &[u8; 32]) -> Result<u64> {
        let (a, _) = self.read_as::<Account>(at, keys::account(key))?;
        Ok(a.map_or(0, |a| a.nonce))
    }
    /// Whether a key holds a role (proven either way).
    pub fn has_role(&self, at: &LightBlock, role: Role, key: &[u8; 32]) -> Result<bool> {
        Ok(self.read_as::<bool>(at, keys::role(role, key))?.0 == Some(true))
    }

    /// Sign, submit, and wait for `effect` to hold at a later verified header; store the
    /// receipt. `at` is the verified header the preconditions were proven against.
    fn submit(
        &mut self,
        at: &LightBlock,
        signer: &Signer<'_>,
        action: Action,
        subject: &str,
        effect_key: Vec<u8>,
        effect: &dyn Fn(&ProvenRead) -> Result<bool>,
    ) -> Result<Receipt> {
        let nonce = self.nonce(at, &signer.public)?;
        let name = action.name();
        let body = TxBody {
            chain_id: at.signed_header.header.chain_id.to_string(),
            signer: signer.public,
            nonce,
            expires_at: unix(now()).max(0) as u64 + TX_LIFETIME_SECS,
            action,
        };
        let tx = body.sign_with(|m| (signer.sign)(m)).encode();
        let submitted = self.client.broadcast(&tx)?;
        if submitted.code != 0 {
            return Err(Error::TxRefused {
                code: Code::from_value(submitted.code).map_or("unknown", Code::name),
                log: submitted.log,
            });
        }
        let tx_hash = hex::encode_upper(Sha256::digest(&tx));
        let started = Instant::now();
        let mut seen = at.height().value();
        loop {
            std::thread::sleep(POLL);
            match self.effect_landed(&mut seen, &effect_key, effect) {
                Ok(Some((header, read))) => {
                    let receipt = Receipt {
                        action: name.to_owned(),
                        subject: subject.to_owned(),
                        tx_hash: tx_hash.clone(),
                        read,
                        header,
                    };
                    self.vault.put_receipt(&StoredReceipt {
                        id: tx_hash,
                        kind: name.to_owned(),
                        subject: subject.to_owned(),
                        height: receipt.header.height().value(),
                        body: serde_json::to_vec(&receipt).unwrap_or_default(),
                        created_at: unix(now()),
                    })?;
                    return Ok(receipt);
                }
                Ok(None) => {}
                // The transaction is out: a node slow to answer or briefly unreachable
                // does not end the wait, and the effect may still be seen.
                Err(e) if e.is_transient() => {}
                Err(e) => return Err(e),
            }
            if started.elapsed() > self.settings.effect_wait {
                return Err(Error::EffectNotSeen {
                    waited_secs: started.elapsed().as_secs(),
                });
            }
        }
    }

    /// One look for an action's effect: the newest verified header and the proven read of
    /// `key` under it, when the chain has moved past `seen` and `effect` holds there.
    fn effect_landed(
        &mut self,
        seen: &mut u64,
        key: &[u8],
        effect: &dyn Fn(&ProvenRead) -> Result<bool>,
    ) -> Result<Option<(LightBlock, ProvenRead)>> {
        let latest = self.sync(&mut |_| {})?;
        if latest.height().value() <= *seen {
            return Ok(None);
        }
        let read = self.read(&latest, key)?;
        *seen = latest.height().value();
        Ok(effect(&read)?.then_some((latest, read)))
    }

    /// File a report, signed by the wallet's report key (`m/7083'/0'/1'/0'`), so reports
    /// and rewards are not linked to the identity key.
    pub fn submit_report(&mut self, report: &NewReport<'_>) -> Result<(String, Receipt)> {
        for (what, text) in [("category", report.category), ("location", report.location)] {
            if text.trim().is_empty() || text.len() > 256 {
                return Err(Error::InvalidInput(format!(
                    "the {what} must have 1 to 256 characters"
                )));
            }
        }
        if report.description.len() > 4096 {
            return Err(Error::InvalidInput(
                "the description is longer than 4096 bytes".into(),
            ));
        }
        let key = self.vault.key_pair(KeyPath::report(0)?)?;
        let id = random_id("report")?;
        let evidence_hash =
            report_evidence_hash(report.description, report.evidence_sha256.as_ref());
        let at = self.sync(&mut |_| {})?;
        if self.report(&at, &id)?.is_some() {
            return Err(Precondition::AlreadyExists { kind: "report", id }.into());
        }
        let me = key.public().to_hex();
        let signer = Signer::from_key(key);
        let receipt = self.submit(
            &at,
            &signer,
            Action::SubmitReport {
                id: id.clone(),
                category: report.category.to_owned(),
                location_cell: report.location.to_owned(),
                evidence_hash,
            },
            &id,
            keys::report(&id),
            &|r| {
                Ok(r.decode::<ReportRecord>()?
                    .is_some_and(|rec| rec.reporter == me))
            },
        )?;
        self.vault.put_own(
            "reports",
            &OwnRecord {
                id: id.clone(),
                status: "submitted".into(),
                body: serde_json::json!({
                    "category": report.category, "location": report.location,
                    "description": report.description, "evidenceHash": hex::encode(evidence_hash),
                    "receipt": receipt.tx_hash,
                })
                .to_string(),
                created_at: unix(now()),
            },
        )?;
        Ok((id, receipt))
    }

    /// The wallet's reports with their proven status, and the report key's proven rewards.
    pub fn refresh_reports(&mut self) -> Result<(Vec<OwnRecord>, u64)> {
        let at = self.sync(&mut |_| {})?;
        let key = self
            .vault
            .key_pair(KeyPath::report(0)?)?
            .public()
            .to_bytes();
        let mut out = Vec::new();
        for mut r in self.vault.own("reports")? {
            if let Some(rec) = self.report(&at, &r.id)? {
                let status = match rec.status {
                    ReportStatus::Submitted => "submitted",
                    ReportStatus::Accepted => "accepted",
                    ReportStatus::Rejected => "rejected",
                };
                if r.status != status {
                    r.status = status.into();
                    self.vault.put_own("reports", &r)?;
                }
            }
            out.push(r);
        }
        let points = self.rewards(&at, &key)?;
        Ok((out, points))
    }

    /// Grant an organisation access, signed by the identity key. Proves first that the
    /// organisation is registered, active and accredited for every category.
    pub fn create_grant(&mut self, grant: &NewGrant<'_>) -> Result<(String, Receipt)> {
        check_id(grant.org)?;
        if grant.categories.is_empty() || grant.purpose.trim().is_empty() {
            return Err(Error::InvalidInput(
                "a grant needs at least one category and a purpose".into(),
            ));
        }
        if grant.expires_at <= unix(now()).max(0) as u64 {
            return Err(Precondition::ExpiryInPast.into());
        }
        let key = self.vault.key_pair(KeyPath::IDENTITY)?;
        let id = random_id("grant")?;
        let at = self.sync(&mut |_| {})?;
        let org = self
            .org(&at, grant.org)?
            .ok_or_else(|| Precondition::OrgUnknown(grant.org.to_owned()))?;
        if org.status != Status::Active {
            return Err(Precondition::OrgInactive(org.id).into());
        }
        if let Some(c) = grant
            .categories
            .iter()
            .find(|c| !org.categories.contains(c))
        {
            return Err(Precondition::OrgNotAccredited {
                org: org.id,
                category: c.clone(),
            }
            .into());
        }
        if self.grant(&at, &id)?.is_some() {
            return Err(Precondition::AlreadyExists { kind: "grant", id }.into());
        }
        let me = key.public().to_hex();
        let signer = Signer::from_key(key);
        let receipt = self.submit(
            &at,
            &signer,
            Action::GrantAccess {
                id: id.clone(),
                org: grant.org.to_owned(),
                categories: grant.categories.to_vec(),
                purpose: grant.purpose.to_owned(),
                expires_at: grant.expires_at,
            },
            &id,
            keys::grant(&id),
            &|r| {
                Ok(r.decode::<GrantRecord>()?
                    .is_some_and(|g| g.citizen == me && g.status == Status::Active))
            },
        )?;
        self.vault.put_own(
            "grants",
            &OwnRecord {
                id: id.clone(),
                status: "active".into(),
                body: serde_json::json!({
                    "org": org.id, "orgName": org.name, "categories": grant.categories,
                    "purpose": grant.purpose, "expiresAt": grant.expires_at,
                    "receipt": receipt.tx_hash,
                })
                .to_string(),
                created_at: unix(now()),
            },
        )?;
        Ok((id, receipt))
    }

    /// Revoke one of the wallet's grants (proven to exist, be active and be this wallet's).
    pub fn revoke_grant(&mut self, id: &str) -> Result<Receipt> {
        check_id(id)?;
        let key = self.vault.key_pair(KeyPath::IDENTITY)?;
        let me = key.public().to_hex();
        let at = self.sync(&mut |_| {})?;
        let g = self
            .grant(&at, id)?
            .ok_or_else(|| Precondition::NotOnChain {
                kind: "grant",
                id: id.to_owned(),
            })?;
        if g.citizen != me {
            return Err(Precondition::NotYours {
                kind: "grant",
                id: id.to_owned(),
            }
            .into());
        }
        if g.status != Status::Active {
            return Err(Precondition::NotActive {
                kind: "grant",
                id: id.to_owned(),
            }
            .into());
        }
        let signer = Signer::from_key(key);
        let receipt = self.submit(
            &at,
            &signer,
            Action::RevokeGrant { id: id.to_owned() },
            id,
            keys::grant(id),
            &|r| {
                Ok(r.decode::<GrantRecord>()?
                    .is_some_and(|g| g.status == Status::Inactive))
            },
        )?;
        if let Some(mut own) = self.vault.own("grants")?.into_iter().find(|g| g.id == id) {
            own.status = "revoked".into();
            self.vault.put_own("grants", &own)?;
        }
        Ok(receipt)
    }

    fn technician(&mut self, at: &LightBlock) -> Result<KeyPair> {
        let key = self.vault.key_pair(KeyPath::IDENTITY)?;
        if !self.has_role(at, Role::Technician, &key.public().to_bytes())? {
            return Err(Precondition::MissingRole("technician").into());
        }
        Ok(key)
    }

    /// Register a device key (technician role proven, device id proven unused).
    pub fn register_device(&mut self, device: &NewDevice<'_>) -> Result<Receipt> {
        check_id(device.id)?;
        let at = self.sync(&mut |_| {})?;
        let key = self.technician(&at)?;
        if self.device(&at, device.id)?.is_some() {
            return Err(Precondition::AlreadyExists {
                kind: "device",
                id: device.id.to_owned(),
            }
            .into());
        }
        let signer = Signer::from_key(key);
        let pk = hex::encode(device.public_key);
        self.submit(
            &at,
            &signer,
            Action::ProvisionDevice {
                id: device.id.to_owned(),
                public_key: device.public_key,
                kind: device.kind.to_owned(),
                location: device.location.to_owned(),
                department: device.department.to_owned(),
            },
            device.id,
            keys::device(device.id),
            &|r| {
                Ok(r.decode::<DeviceRecord>()?
                    .is_some_and(|d| d.public_key == pk && d.status == Status::Active))
            },
        )
    }

    /// Revoke a device (technician role proven, device proven active).
    pub fn revoke_device(&mut self, id: &str) -> Result<Receipt> {
        check_id(id)?;
        let at = self.sync(&mut |_| {})?;
        let key = self.technician(&at)?;
        let d = self
            .device(&at, id)?
            .ok_or_else(|| Precondition::NotOnChain {
                kind: "device",
                id: id.to_owned(),
            })?;
        if d.status != Status::Active {
            return Err(Precondition::NotActive {
                kind: "device",
                id: id.to_owned(),
            }
            .into());
        }
        let signer = Signer::from_key(key);
        self.submit(
            &at,
            &signer,
            Action::RevokeDevice { id: id.to_owned() },
            id,
            keys::device(id),
            &|r| {
                Ok(r.decode::<DeviceRecord>()?
                    .is_some_and(|d| d.status == Status::Inactive))
            },
        )
    }

    /// Revoke a credential as its issuer (issuer proven active with `operator` as its
    /// operator key, credential proven not yet revoked).
    pub fn revoke_credential(
        &mut self,
        operator: &Signer<'_>,
        issuer: &str,
        credential_id: &str,
        reason: &str,
    ) -> Result<Receipt> {
        check_id(issuer)?;
        if credential_id.is_empty() || credential_id.contains('/') || credential_id.len() > 128 {
            return Err(Error::InvalidInput("invalid credential id".into()));
        }
        let at = self.sync(&mut |_| {})?;
        let rec = self
            .issuer(&at, issuer)?
            .ok_or_else(|| Precondition::IssuerUnknown(issuer.to_owned()))?;
        if rec.status != Status::Active {
            return Err(Precondition::IssuerInactive(issuer.to_owned()).into());
        }
        if rec.operator_key != hex::encode(operator.public) {
            return Err(Precondition::NotIssuerOperator(issuer.to_owned()).into());
        }
        if self.revocation(&at, issuer, credential_id)?.is_some() {
            return Err(Precondition::CredentialRevoked(credential_id.to_owned()).into());
        }
        self.submit(
            &at,
            operator,
            Action::RevokeCredential {
                issuer: issuer.to_owned(),
                credential_id: credential_id.to_owned(),
                reason: reason.to_owned(),
            },
            credential_id,
            keys::revoked(issuer, credential_id),
            &|r| Ok(r.value.is_some()),
        )
    }

    /// As the city admin (`admin` proven to be one), give `key` a role; the effect is the
    /// role proven on chain. Used to enrol officers and technicians (on the devnet, by its
    /// demo admin).
    pub fn register_role(
        &mut self,
        admin: &Signer<'_>,
        role: Role,
        key: [u8; 32],
    ) -> Result<Receipt> {
        let at = self.sync(&mut |_| {})?;
        if self.read(&at, &keys::admin(&admin.public))?.value.is_none() {
            return Err(Precondition::MissingRole("admin").into());
        }
        if self.has_role(&at, role, &key)? {
            return Err(Precondition::AlreadyExists {
                kind: "role",
                id: format!("{}/{}", role.as_str(), hex::encode(key)),
            }
            .into());
        }
        let subject = hex::encode(key);
        self.submit(
            &at,
            admin,
            Action::RegisterRole { role, key },
            &subject,
            keys::role(role, &key),
            &|r| Ok(r.value.is_some()),
        )
    }

    /// The report ids on chain (proven `index/reports`) with each report's proven record,
    /// newest first; only those waiting for review with `pending`.
    pub fn chain_reports(&mut self, pending: bool, limit: usize) -> Result<Vec<ReportRecord>> {
        let at = self.sync(&mut |_| {})?;
        let ids: Vec<String> = self
            .read(&at, &keys::report_index())?
            .decode()?
            .unwrap_or_default();
        let mut out = Vec::new();
        for id in ids.iter().rev() {
            if out.len() >= limit {
                break;
            }
            if let Some(r) = self.report(&at, id)?
                && (!pending || r.status == ReportStatus::Submitted)
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Every registered organisation, proven (`index/orgs`, then each record).
    pub fn organisations(&mut self) -> Result<Vec<OrgRecord>> {
        let at = self.sync(&mut |_| {})?;
        let ids: Vec<String> = self
            .read(&at, &keys::org_index())?
            .decode()?
            .unwrap_or_default();
        let mut out = Vec::new();
        for id in &ids {
            if let Some(o) = self.org(&at, id)? {
                out.push(o);
            }
        }
        Ok(out)
    }

    /// Accept (with `reward` points) or reject a report, as an officer (role proven, report
    /// proven waiting).
    pub fn review_report(&mut self, id: &str, accept: bool, reward: u64) -> Result<Receipt> {
        check_id(id)?;
        let at = self.sync(&mut |_| {})?;
        let key = self.vault.key_pair(KeyPath::IDENTITY)?;
        if !self.has_role(&at, Role::Officer, &key.public().to_bytes())? {
            return Err(Precondition::MissingRole("officer").into());
        }
        let r = self
            .report(&at, id)?
            .ok_or_else(|| Precondition::NotOnChain {
                kind: "report",
                id: id.to_owned(),
            })?;
        if r.status != ReportStatus::Submitted {
            return Err(Precondition::NotActive {
                kind: "report",
                id: id.to_owned(),
            }
            .into());
        }
        let signer = Signer::from_key(key);
        let want = if accept {
            ReportStatus::Accepted
        } else {
            ReportStatus::Rejected
        };
        self.submit(
            &at,
            &signer,
            Action::ReviewReport {
                id: id.to_owned(),
                accept,
                reward,
            },
            id,
            keys::report(id),
            &|r| {
                Ok(r.decode::<ReportRecord>()?
                    .is_some_and(|rec| rec.status == want))
            },
        )
    }
}

/// Serialise a light block (as kept in receipts and snapshots).
pub fn block_json(b: &LightBlock) -> Vec<u8> {
    encode_block(b)
}

/// Parse a light block kept by [`block_json`].
pub fn block_from_json(bytes: &[u8]) -> Result<LightBlock> {
    decode_block(bytes)
}
