//! Verify before acting: every action brings trust to a recent verified header, proves each
//! fact it relies on, submits, waits until its effect is proven at a later verified header,
//! and hands back that proof as a receipt that can be checked again offline.
//!
//! Two halves: [`step`] is pure (proven facts and input in, the action and its effect out,
//! or a typed refusal); the driver here reads the facts, runs the step, signs, broadcasts
//! and waits on the session's clock with a [`Wait`]. Keeping receipts and the wallet's own
//! records is the caller's business (`citywallet-wallet`).

pub mod step;

use std::time::Duration;

use citywallet_core::keys::KeyPair;
use citywallet_core::vault::{StoredReceipt, Vault};
use citywallet_protocol::rules::{Field, check_id};
use citywallet_protocol::{
    Account, ActionKind, AnchorRecord, Code, DataUseRecord, DeviceRecord, GrantRecord,
    IssuerRecord, OrgRecord, ReportRecord, Role, keys,
};
use sha2::{Digest, Sha256};
use tendermint_light_client_verifier::types::LightBlock;

use crate::client::ProvenRead;
use crate::clock::unix_secs;
use crate::error::{Error, Result};
use crate::session::{Session, decode_block, encode_block, unix};
use crate::verify::{Engine, Verdict, verify_alone};
use step::Step;

/// How many newer verified headers must show a transaction's effect absent before the node's
/// claim that it refused the transaction is reported.
pub const NOT_LANDED_BLOCKS: u64 = 3;

/// How many newer verified headers without the effect before the same signed transaction
/// is sent again, through the primary of the moment: a node that took it and then crashed
/// never passed it on (a mempool is not kept across a restart). At most one copy can land:
/// the first spends the nonce.
pub const RESEND_BLOCKS: u64 = 5;

/// What a node said to a broadcast, when it was not a plain acceptance: a claim only.
enum Claim {
    /// CheckTx's refusal, as the node reported it.
    Refused {
        /// The code's name.
        code: &'static str,
        /// The node's log.
        log: String,
    },
    /// No usable answer.
    NoAnswer(Box<Error>),
}

/// How the driver waits for an effect: a look every `every`, for at most `at_most`, both on
/// the session's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// Pause between looks.
    pub every: Duration,
    /// Give up after this long.
    pub at_most: Duration,
}

impl Wait {
    /// A look every 250 ms for at most `at_most`.
    pub fn polling(at_most: Duration) -> Self {
        Self {
            every: Duration::from_millis(250),
            at_most,
        }
    }
}

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
    /// The action.
    pub action: ActionKind,
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
    pub action: ActionKind,
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
            action: self.action,
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

    /// The receipt as the vault stores it, made at `now` (Unix seconds).
    pub fn to_stored(&self, now: i64) -> Result<StoredReceipt> {
        Ok(StoredReceipt {
            id: self.tx_hash.clone(),
            kind: self.action,
            subject: self.subject.clone(),
            height: self.header.height().value(),
            body: serde_json::to_vec(self).map_err(|_| Error::Encode("a receipt"))?,
            created_at: now,
        })
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
    /// For a private report: the compact private presentation of a residency credential
    /// for the report's nonce and window ([`citywallet_protocol::reports`]).
    pub residency: Option<&'a [u8]>,
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

/// A use of a citizen's data to record, as the organisation a grant names.
#[derive(Debug, Clone)]
pub struct NewUse<'a> {
    /// The grant it is made under.
    pub grant: &'a str,
    /// The data category used.
    pub category: &'a str,
    /// What it was used for.
    pub purpose: &'a str,
}

/// Most uses one look at a grant reads ([`Session::data_uses`]); the next look reads on.
pub const MAX_USES_PER_LOOK: usize = 512;

/// Most ids one look at a key's own log reads ([`Session::owned`]).
pub const MAX_OWNED_PER_LOOK: usize = 1024;

/// Most devices one look at a department reads ([`Session::department_devices`]).
pub const MAX_DEVICES_PER_LOOK: usize = 256;

/// A batch of readings to anchor, as the device signs it.
#[derive(Debug, Clone)]
pub struct NewAnchor<'a> {
    /// The device's id.
    pub device: &'a str,
    /// The batch's sequence number.
    pub seq: u64,
    /// Its digest ([`citywallet_protocol::readings::batch_digest`]).
    pub digest: [u8; 32],
    /// How many readings it holds.
    pub count: u64,
    /// When the device closed it (Unix seconds).
    pub taken_at: u64,
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

/// A fresh random id with `prefix` (`{prefix}-` and 16 hex digits).
pub fn random_id(prefix: &str) -> Result<String> {
    let mut b = [0u8; 8];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut b)
        .map_err(|_| Error::Core(citywallet_core::Error::Rng))?;
    Ok(format!("{prefix}-{}", hex::encode(b)))
}

fn id_field(id: &str, field: Field) -> Result<()> {
    check_id(id, field).map_err(Error::Field)
}

impl Session<'_> {
    fn read_as<T: serde::de::DeserializeOwned>(
        &self,
        at: &LightBlock,
        key: Vec<u8>,
    ) -> Result<Option<T>> {
        self.read(at, &key)?.decode()
    }

    /// Proven issuer record.
    pub fn issuer(&self, at: &LightBlock, id: &str) -> Result<Option<IssuerRecord>> {
        self.read_as(at, keys::issuer(id))
    }
    /// Proven organisation record.
    pub fn org(&self, at: &LightBlock, id: &str) -> Result<Option<OrgRecord>> {
        self.read_as(at, keys::org(id))
    }
    /// Proven grant record.
    pub fn grant(&self, at: &LightBlock, id: &str) -> Result<Option<GrantRecord>> {
        self.read_as(at, keys::grant(id))
    }
    /// Proven data use record.
    pub fn data_use(&self, at: &LightBlock, id: &str) -> Result<Option<DataUseRecord>> {
        self.read_as(at, keys::data_use(id))
    }

    /// The ids of a paged log ([`keys::LOG_PAGE`]) from its place `from` on, at most
    /// `limit`, each with its place, and the log's proven count: the count and each page
    /// read are proven at `at`, and a page the count says exists but the chain lacks is
    /// refused (`what` names the log).
    fn log_ids(
        &self,
        at: &LightBlock,
        count_key: Vec<u8>,
        page_key: impl Fn(u64) -> Vec<u8>,
        from: u64,
        limit: usize,
        what: &str,
    ) -> Result<(u64, Vec<(u64, String)>)> {
        let count: u64 = self.read_as(at, count_key)?.unwrap_or(0);
        let mut out = Vec::new();
        let mut page = from / keys::LOG_PAGE;
        while page < keys::log_pages(count) && out.len() < limit {
            let ids: Vec<String> = self
                .read_as(at, page_key(page))?
                .ok_or_else(|| Error::BadRecord(format!("{what}, page {page}")))?;
            for (i, id) in ids.into_iter().enumerate() {
                let place = page * keys::LOG_PAGE + i as u64;
                if place >= from && place < count && out.len() < limit {
                    out.push((place, id));
                }
            }
            page += 1;
        }
        Ok((count, out))
    }

    /// The uses recorded under `grant` from its place `from` on (at most
    /// [`MAX_USES_PER_LOOK`]), each with its proven read at `at`, and the log's proven
    /// count. The count, each page and each record are proven; a record that is not the
    /// grant's, or not at its place in the log, is refused.
    pub fn data_uses(
        &self,
        at: &LightBlock,
        grant: &str,
        from: u64,
    ) -> Result<(u64, Vec<(DataUseRecord, ProvenRead)>)> {
        let (count, ids) = self.log_ids(
            at,
            keys::use_count(grant),
            |p| keys::use_page(grant, p),
            from,
            MAX_USES_PER_LOOK,
            &format!("uses of {grant}"),
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for (seq, id) in ids {
            let read = self.read(at, &keys::data_use(&id))?;
            let rec: DataUseRecord = read
                .decode()?
                .filter(|r: &DataUseRecord| r.grant == grant && r.seq == seq && r.id == id)
                .ok_or_else(|| Error::BadRecord(format!("datause/{id}")))?;
            out.push((rec, read));
        }
        Ok((count, out))
    }

    /// The ids in `owner`'s own log of `what` from place `from` on (at most
    /// [`MAX_OWNED_PER_LOOK`]), with the log's proven count: what a key made, proven
    /// complete, for a wallet recovered from its phrase.
    pub fn owned(
        &self,
        at: &LightBlock,
        what: citywallet_protocol::Owned,
        owner: &[u8; 32],
        from: u64,
    ) -> Result<(u64, Vec<String>)> {
        let (count, ids) = self.log_ids(
            at,
            keys::owned_count(what, owner),
            |p| keys::owned_page(what, owner, p),
            from,
            MAX_OWNED_PER_LOOK,
            &format!("the key's {}", what.as_str()),
        )?;
        Ok((count, ids.into_iter().map(|(_, id)| id).collect()))
    }

    /// The devices registered in `department` from their place `from` on (at most
    /// [`MAX_DEVICES_PER_LOOK`]), each proven at `at`, and how many the department's log
    /// holds. A record that is not of that department is refused.
    pub fn department_devices(
        &self,
        at: &LightBlock,
        department: &str,
        from: u64,
    ) -> Result<(u64, Vec<DeviceRecord>)> {
        let (count, ids) = self.log_ids(
            at,
            keys::department_device_count(department),
            |p| keys::department_device_page(department, p),
            from,
            MAX_DEVICES_PER_LOOK,
            "the department's devices",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for (_, id) in ids {
            let rec = self
                .device(at, &id)?
                .filter(|d| d.department == department && d.id == id)
                .ok_or_else(|| Error::BadRecord(format!("device/{id}")))?;
            out.push(rec);
        }
        Ok((count, out))
    }

    /// Proven report record.
    pub fn report(&self, at: &LightBlock, id: &str) -> Result<Option<ReportRecord>> {
        self.read_as(at, keys::report(id))
    }
    /// Proven device record.
    pub fn device(&self, at: &LightBlock, id: &str) -> Result<Option<DeviceRecord>> {
        self.read_as(at, keys::device(id))
    }
    /// Proven latest anchor of device `device`.
    pub fn latest_anchor(&self, at: &LightBlock, device: &str) -> Result<Option<AnchorRecord>> {
        self.read_as(at, keys::anchor(device))
    }
    /// Device `device`'s anchor of batch `seq`, with its proven read (`None` in the record
    /// when the chain proves there is none). A record that is not that batch's is refused.
    pub fn device_anchor(
        &self,
        at: &LightBlock,
        device: &str,
        seq: u64,
    ) -> Result<(Option<AnchorRecord>, ProvenRead)> {
        let read = self.read(at, &keys::anchor_at(device, seq))?;
        let rec: Option<AnchorRecord> = read.decode()?;
        if rec
            .as_ref()
            .is_some_and(|r| r.device != device || r.seq != seq)
        {
            return Err(Error::BadRecord(format!("anchors/{device}/{seq}")));
        }
        Ok((rec, read))
    }
    /// Proven revocation status: `Some` when revoked.
    pub fn revocation(
        &self,
        at: &LightBlock,
        issuer: &str,
        credential_id: &str,
    ) -> Result<Option<citywallet_protocol::RevocationRecord>> {
        self.read_as(at, keys::revoked(issuer, credential_id))
    }
    /// Proven reward points of a key (0 when absence is proven).
    pub fn rewards(&self, at: &LightBlock, key: &[u8; 32]) -> Result<u64> {
        let r: Option<citywallet_protocol::RewardRecord> = self.read_as(at, keys::reward(key))?;
        Ok(r.map_or(0, |r| r.points))
    }
    /// Proven next nonce of a key (0 when absence is proven).
    pub fn nonce(&self, at: &LightBlock, key: &[u8; 32]) -> Result<u64> {
        let a: Option<Account> = self.read_as(at, keys::account(key))?;
        Ok(a.map_or(0, |a| a.nonce))
    }
    /// Whether a key holds a role (proven either way).
    pub fn has_role(&self, at: &LightBlock, role: Role, key: &[u8; 32]) -> Result<bool> {
        Ok(self.read_as::<bool>(at, keys::role(role, key))? == Some(true))
    }
    /// The department `key` holds the technician role in (proven): `None` when it is not a
    /// technician, `""` when the chain records no department for it.
    pub fn technician_department(&self, at: &LightBlock, key: &[u8; 32]) -> Result<Option<String>> {
        self.role_department(at, Role::Technician, key)
    }
    /// The department `key` holds `role` in (proven): `None` when it does not hold the
    /// role, `""` when the chain records no department for it.
    pub fn role_department(
        &self,
        at: &LightBlock,
        role: Role,
        key: &[u8; 32],
    ) -> Result<Option<String>> {
        if !self.has_role(at, role, key)? {
            return Ok(None);
        }
        let d: Option<String> = self.read_as(at, keys::department(role, key))?;
        Ok(Some(d.unwrap_or_default()))
    }
    /// The most points one report may be credited (proven; the default when the genesis
    /// set none).
    pub fn max_reward(&self, at: &LightBlock) -> Result<u64> {
        let cap: Option<u64> = self.read_as(at, keys::max_reward())?;
        Ok(cap.unwrap_or(citywallet_protocol::DEFAULT_MAX_REWARD))
    }
    /// Whether a key is a city admin (proven either way).
    pub fn is_admin(&self, at: &LightBlock, key: &[u8; 32]) -> Result<bool> {
        Ok(self.read(at, &keys::admin(key))?.value.is_some())
    }

    /// The driver: sign `step`'s action with `signer` at its nonce proven under `at` (the
    /// header the step's facts were proven against), submit it, and look for its effect at
    /// each newer verified header, pausing `wait.every` on the session's clock, until it is
    /// proven or `wait.at_most` has passed.
    pub fn act(
        &mut self,
        at: &LightBlock,
        signer: &Signer<'_>,
        step: &Step,
        wait: Wait,
    ) -> Result<Receipt> {
        // A chain that makes no blocks cannot confirm a transaction: send none.
        let since = self.age(at);
        if since > self.settings.max_block_gap {
            return Err(Error::ChainNotAdvancing {
                height: at.height().value(),
                since_secs: since.as_secs(),
                limit_secs: self.settings.max_block_gap.as_secs(),
            });
        }
        let nonce = self.nonce(at, &signer.public)?;
        let chain_id = at.signed_header.header.chain_id.to_string();
        let body = step.body(&chain_id, signer.public, nonce, unix_secs(self.now()));
        let tx = body.sign_with(|m| (signer.sign)(m)).encode();
        // What the node answers is a claim, never a verdict: a node can say "refused" and
        // relay the transaction anyway, or time out after taking it. Only proven state at
        // later verified headers decides.
        // A primary that does not take it: the same signed bytes go to the next node (at
        // most one copy can land: the nonce is spent by the first).
        let sent = match self.client.broadcast(&tx) {
            Err(e) if self.fail_over(&e) => self.client.broadcast(&tx),
            r => r,
        };
        let claim = match sent {
            Ok(s) if s.code == 0 => None,
            Ok(s) => Some(Claim::Refused {
                code: Code::from_value(s.code).map_or("unknown", Code::name),
                log: s.log,
            }),
            Err(e) => Some(Claim::NoAnswer(Box::new(e))),
        };
        let tx_hash = hex::encode_upper(Sha256::digest(&tx));
        let started = self.now();
        let key = step.effect.key();
        let from = at.height().value();
        let mut seen = from;
        let mut sent_at = from;
        loop {
            self.clock.sleep(wait.every);
            match self.effect_landed(&mut seen, &key, &step.effect) {
                Ok(Some((header, read))) => {
                    return Ok(Receipt {
                        action: step.action.kind(),
                        subject: step.subject.clone(),
                        tx_hash,
                        read,
                        header,
                    });
                }
                Ok(None) => {}
                // The transaction may be out: a node slow to answer or briefly unreachable
                // does not end the wait, and the effect may still be seen.
                Err(e) if e.is_transient() => {}
                Err(e) => return Err(e),
            }
            if seen >= sent_at + RESEND_BLOCKS {
                // What the node answers this time is not a claim about the first copy.
                let _ = self.client.broadcast(&tx);
                sent_at = seen;
            }
            let waited = self.now().duration_since(started).unwrap_or_default();
            // A claimed refusal is believed only once the chain has moved on without the
            // effect; an acceptance is waited for in full.
            let refused_and_gone = claim.is_some() && seen >= from + NOT_LANDED_BLOCKS;
            if waited > wait.at_most || refused_and_gone {
                return Err(match claim {
                    Some(Claim::Refused { code, log }) => Error::TxRefused {
                        code,
                        log,
                        absent_at: seen,
                    },
                    Some(Claim::NoAnswer(e)) => *e,
                    None => Error::EffectNotSeen {
                        waited_secs: waited.as_secs(),
                    },
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
        effect: &step::Effect,
    ) -> Result<Option<(LightBlock, ProvenRead)>> {
        let latest = self.sync(&mut |_| {})?;
        if latest.height().value() <= *seen {
            return Ok(None);
        }
        let read = self.read(&latest, key)?;
        *seen = latest.height().value();
        Ok(effect.holds(&read)?.then_some((latest, read)))
    }

    fn wait(&self) -> Wait {
        Wait::polling(self.settings.effect_wait)
    }

    /// File a report signed by `reporter` (the wallet's report key). Returns the report id
    /// with the receipt.
    pub fn submit_report(
        &mut self,
        reporter: &Signer<'_>,
        report: &NewReport<'_>,
    ) -> Result<Receipt> {
        let id = random_id("report")?;
        self.submit_report_as(reporter, report, &id)
    }

    /// [`Session::submit_report`] with the id `id` (a private report's presentation is made
    /// for it before).
    pub fn submit_report_as(
        &mut self,
        reporter: &Signer<'_>,
        report: &NewReport<'_>,
        id: &str,
    ) -> Result<Receipt> {
        let at = self.fresh()?;
        let existing = self.report(&at, id)?;
        let step = step::submit_report(id, report, &reporter.public, existing.as_ref())?;
        self.act(&at, reporter, &step, self.wait())
    }

    /// Grant an organisation access, signed by `citizen`. Proves first that the
    /// organisation is registered, active and accredited for every category; returns the
    /// receipt and the organisation's proven record.
    pub fn create_grant(
        &mut self,
        citizen: &Signer<'_>,
        grant: &NewGrant<'_>,
    ) -> Result<(Receipt, OrgRecord)> {
        id_field(grant.org, Field::OrgId)?;
        let id = random_id("grant")?;
        let at = self.fresh()?;
        let org = self.org(&at, grant.org)?;
        let existing = self.grant(&at, &id)?;
        let now = unix_secs(self.now());
        let step = step::create_grant(
            &id,
            grant,
            &citizen.public,
            now,
            org.as_ref(),
            existing.as_ref(),
        )?;
        let receipt = self.act(&at, citizen, &step, self.wait())?;
        let org = org.ok_or_else(|| Error::BadRecord(format!("org/{}", grant.org)))?;
        Ok((receipt, org))
    }

    /// Revoke grant `id` (proven to exist, be active and be `citizen`'s).
    pub fn revoke_grant(&mut self, citizen: &Signer<'_>, id: &str) -> Result<Receipt> {
        id_field(id, Field::GrantId)?;
        let at = self.fresh()?;
        let g = self.grant(&at, id)?;
        let step = step::revoke_grant(id, &citizen.public, g.as_ref())?;
        self.act(&at, citizen, &step, self.wait())
    }

    /// Record a use of a citizen's data under a grant, signed by `org` (the key of the
    /// organisation the grant names). Proves first that the grant is active, unexpired and
    /// covers the category, and that the key is the organisation's. Returns the use id with
    /// the receipt.
    pub fn record_data_use(&mut self, org: &Signer<'_>, new: &NewUse<'_>) -> Result<Receipt> {
        id_field(new.grant, Field::GrantId)?;
        let id = random_id("use")?;
        let at = self.fresh()?;
        let grant = self.grant(&at, new.grant)?;
        let org_record = match &grant {
            Some(g) => self.org(&at, &g.org)?,
            None => None,
        };
        let existing = self.data_use(&at, &id)?;
        let now = unix_secs(self.now());
        let step = step::record_data_use(
            &id,
            new,
            &org.public,
            now,
            grant.as_ref(),
            org_record.as_ref(),
            existing.as_ref(),
        )?;
        self.act(&at, org, &step, self.wait())
    }

    /// Anchor a batch of readings as the device whose key `device` signs (the device proven
    /// registered with that key and active, the batch proven above its last anchored one),
    /// and prove it landed.
    pub fn anchor_readings(&mut self, device: &Signer<'_>, new: &NewAnchor<'_>) -> Result<Receipt> {
        id_field(new.device, Field::DeviceId)?;
        let at = self.fresh()?;
        let d = self.device(&at, new.device)?;
        let last = self.latest_anchor(&at, new.device)?;
        let step = step::anchor_readings(new, &device.public, d.as_ref(), last.as_ref())?;
        self.act(&at, device, &step, self.wait())
    }

    /// Register a device key (`technician`'s role in the device's department proven, the id
    /// proven unused).
    pub fn register_device(
        &mut self,
        technician: &Signer<'_>,
        device: &NewDevice<'_>,
    ) -> Result<Receipt> {
        id_field(device.id, Field::DeviceId)?;
        let at = self.fresh()?;
        let department = self.technician_department(&at, &technician.public)?;
        let existing = self.device(&at, device.id)?;
        let step = step::register_device(device, department.as_deref(), existing.as_ref())?;
        self.act(&at, technician, &step, self.wait())
    }

    /// Revoke a device (`technician`'s role in its department proven, the device proven
    /// active).
    pub fn revoke_device(&mut self, technician: &Signer<'_>, id: &str) -> Result<Receipt> {
        id_field(id, Field::DeviceId)?;
        let at = self.fresh()?;
        let department = self.technician_department(&at, &technician.public)?;
        let d = self.device(&at, id)?;
        let step = step::revoke_device(id, department.as_deref(), d.as_ref())?;
        self.act(&at, technician, &step, self.wait())
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
        id_field(issuer, Field::IssuerId)?;
        citywallet_protocol::rules::check_credential_id(credential_id).map_err(Error::Field)?;
        let at = self.fresh()?;
        let rec = self.issuer(&at, issuer)?;
        let revoked = self.revocation(&at, issuer, credential_id)?.is_some();
        let step = step::revoke_credential(
            issuer,
            credential_id,
            reason,
            &operator.public,
            rec.as_ref(),
            revoked,
        )?;
        self.act(&at, operator, &step, self.wait())
    }

    /// As the city admin (`admin` proven to be one), give `key` a role in `department`.
    pub fn register_role(
        &mut self,
        admin: &Signer<'_>,
        role: Role,
        key: [u8; 32],
        department: &str,
    ) -> Result<Receipt> {
        let at = self.fresh()?;
        let is_admin = self.is_admin(&at, &admin.public)?;
        let held = self.has_role(&at, role, &key)?;
        let step = step::register_role(role, key, department, is_admin, held)?;
        self.act(&at, admin, &step, self.wait())
    }

    /// Accept (with `reward` points) or reject a report, as an officer (role proven, report
    /// proven waiting).
    pub fn review_report(
        &mut self,
        officer: &Signer<'_>,
        id: &str,
        accept: bool,
        reward: u64,
    ) -> Result<Receipt> {
        id_field(id, Field::ReportId)?;
        let at = self.fresh()?;
        let role = self.has_role(&at, Role::Officer, &officer.public)?;
        let cap = self.max_reward(&at)?;
        let r = self.report(&at, id)?;
        let step = step::review_report(id, accept, reward, cap, role, r.as_ref())?;
        self.act(&at, officer, &step, self.wait())
    }

    /// Wait (on the session's clock, for at most the effect wait) until `key` is proven to
    /// hold `role`, for a role someone else is giving it.
    pub fn await_role(&mut self, role: Role, key: &[u8; 32]) -> Result<LightBlock> {
        let started = self.now();
        let wait = self.wait();
        loop {
            let at = self.sync(&mut |_| {})?;
            if self.has_role(&at, role, key)? {
                return Ok(at);
            }
            let waited = self.now().duration_since(started).unwrap_or_default();
            if waited > wait.at_most {
                return Err(Error::EffectNotSeen {
                    waited_secs: waited.as_secs(),
                });
            }
            self.clock.sleep(wait.every);
        }
    }

    /// Reports on chain with each one's proven record, newest first, at most `limit`, from
    /// where `before` left off (`None`: from the newest); only those waiting for review
    /// with `pending`. Merged from the two report logs, read from their proven counts one
    /// page at a time: the log of reporters with standing, and the ring of the newest
    /// reports from keys without it. The page's `older` continues the list, `None` when
    /// nothing older is left.
    pub fn chain_reports(
        &mut self,
        pending: bool,
        limit: usize,
        before: Option<ReportCursor>,
    ) -> Result<ReportPage> {
        let at = self.sync(&mut |_| {})?;
        let count: u64 = self.read_as(&at, keys::report_count())?.unwrap_or(0);
        let mut standing = LogTail::new(count, 0, before.map(|c| c.standing), keys::report_page);
        let count: u64 = self
            .read_as(&at, keys::new_reporter_report_count())?
            .unwrap_or(0);
        let kept = keys::new_reporter_pages_kept(count).last().unwrap_or(0) * keys::LOG_PAGE;
        let mut fresh = LogTail::new(
            count,
            kept,
            before.map(|c| c.fresh),
            keys::new_reporter_report_page,
        );
        let mut reports = Vec::new();
        loop {
            let a = standing.peek(self, &at, pending)?.map(|r| r.time);
            let b = fresh.peek(self, &at, pending)?.map(|r| r.time);
            let from = match (a, b) {
                (None, None) => {
                    return Ok(ReportPage {
                        reports,
                        older: None,
                    });
                }
                _ if reports.len() >= limit => {
                    return Ok(ReportPage {
                        reports,
                        older: Some(ReportCursor {
                            standing: standing.end,
                            fresh: fresh.end,
                        }),
                    });
                }
                (Some(a), Some(b)) if b > a => &mut fresh,
                (Some(_), _) => &mut standing,
                (None, Some(_)) => &mut fresh,
            };
            reports.extend(from.take());
        }
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
}

/// Serialise a light block (as kept in receipts and snapshots).
pub fn block_json(b: &LightBlock) -> Result<Vec<u8>> {
    encode_block(b)
}

/// Parse a light block kept by [`block_json`].
pub fn block_from_json(bytes: &[u8]) -> Result<LightBlock> {
    decode_block(bytes)
}

/// Where a list of reports goes on ([`Session::chain_reports`]): in each report log, the
/// position below which the older entries are still to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportCursor {
    /// In the log of reporters with standing.
    pub standing: u64,
    /// In the ring of reports from keys without standing (positions count every report
    /// the ring ever took; those it no longer holds are not read).
    pub fresh: u64,
}

/// One page of reports, newest first, and where the older ones go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPage {
    /// The reports, each proven.
    pub reports: Vec<ReportRecord>,
    /// The cursor for the next, older page; `None` when none is left.
    pub older: Option<ReportCursor>,
}

/// A report log read backwards from `end` down to `floor`, a proven page at a time, with
/// the next report to hand out held back so two logs can be merged by time.
struct LogTail {
    end: u64,
    floor: u64,
    page_key: fn(u64) -> Vec<u8>,
    page: Option<(u64, Vec<String>)>,
    head: Option<ReportRecord>,
}

impl LogTail {
    /// The log of `count` entries, of which those below `floor` are gone; from `before`
    /// (never above the count) or from the newest.
    fn new(count: u64, floor: u64, before: Option<u64>, page_key: fn(u64) -> Vec<u8>) -> Self {
        Self {
            end: before.map_or(count, |b| b.min(count)),
            floor,
            page_key,
            page: None,
            head: None,
        }
    }

    /// The newest report not yet handed out (skipping reviewed ones with `pending`, and ids
    /// whose record is proven gone).
    fn peek<'a>(
        &'a mut self,
        s: &Session<'_>,
        at: &LightBlock,
        pending: bool,
    ) -> Result<Option<&'a ReportRecord>> {
        while self.head.is_none() && self.end > self.floor {
            let index = self.end - 1;
            let p = index / keys::LOG_PAGE;
            if self.page.as_ref().is_none_or(|(q, _)| *q != p) {
                let ids: Vec<String> = s.read_as(at, (self.page_key)(p))?.unwrap_or_default();
                self.page = Some((p, ids));
            }
            let ids = self
                .page
                .as_ref()
                .map_or(&[][..], |(_, ids)| ids.as_slice());
            let Some(id) = usize::try_from(index % keys::LOG_PAGE)
                .ok()
                .and_then(|i| ids.get(i))
            else {
                let key = String::from_utf8_lossy(&(self.page_key)(p)).into_owned();
                return Err(Error::BadRecord(format!(
                    "{key} (shorter than its log's count)"
                )));
            };
            match s.report(at, id)? {
                Some(r) if !pending || r.status == citywallet_protocol::ReportStatus::Submitted => {
                    self.head = Some(r);
                }
                _ => self.end -= 1,
            }
        }
        Ok(self.head.as_ref())
    }

    /// Hand out the report [`Self::peek`] showed.
    fn take(&mut self) -> Option<ReportRecord> {
        let r = self.head.take();
        if r.is_some() {
            self.end -= 1;
        }
        r
    }
}
