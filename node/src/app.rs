//! The city application: checks and effects of every transaction, block execution and
//! proven queries. Pure with respect to the network: CometBFT (or the devnet) feeds it
//! transactions, block times and heights.
//!
//! Every transaction is checked in full before it changes anything; its writes are staged
//! and merged into the block's changes only when it succeeds, so a refused transaction leaves
//! the state exactly as it was (its nonce included).

use std::collections::BTreeMap;

use citywallet_protocol::{
    Account, Action, AnchorRecord, Code, DEVICE_CLOCK_SKEW_SECS, DataUseRecord, DeviceRecord,
    GrantRecord, IssuerRecord, MAX_OWNED, MAX_TX_BYTES, MAX_USES_PER_GRANT, OrgRecord, Owned,
    ReportRecord, ReportStatus, RevocationRecord, RewardRecord, Role, SignedTx, Status, keys,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::store::{BlockRecord, ProvenValue, Staged, Store, Writes};
use crate::{NodeError, Result};

pub use citywallet_protocol::MAX_ID_CHARS;
pub use citywallet_protocol::rules::{MAX_LIST_ITEMS, MAX_TEXT_CHARS, MAX_VALIDATOR_POWER};

/// The outcome of one transaction: a code and a log message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxResult {
    /// Result code.
    #[serde(with = "code_serde")]
    pub code: Code,
    /// What happened, for CometBFT's `log`.
    pub log: String,
}

impl TxResult {
    fn ok(action: &Action) -> Self {
        Self {
            code: Code::Ok,
            log: format!("{} applied", action.name()),
        }
    }

    fn refused(code: Code, log: impl Into<String>) -> Self {
        Self {
            code,
            log: log.into(),
        }
    }
}

mod code_serde {
    use citywallet_protocol::Code;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(c: &Code, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(c.value())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let v = u32::deserialize(d)?;
        Code::from_value(v).ok_or_else(|| serde::de::Error::custom("unknown result code"))
    }
}

/// A validator in genesis or an update: Ed25519 key and power.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorUpdate {
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Voting power (0 removes).
    pub power: u64,
}

/// The chain's initial state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Genesis {
    /// Chain id.
    pub chain_id: String,
    /// City admin keys (hex): register issuers, organisations, roles, validators.
    pub admins: Vec<String>,
    /// Issuers.
    pub issuers: Vec<IssuerRecord>,
    /// Organisations.
    pub orgs: Vec<OrgRecord>,
    /// Officer keys (hex).
    pub officers: Vec<String>,
    /// Technicians: key (hex) and department.
    pub technicians: Vec<TechnicianEntry>,
    /// Validators.
    pub validators: Vec<ValidatorUpdate>,
    /// The most points an officer may credit for one report (absent: the default).
    #[serde(default = "default_max_reward")]
    pub max_reward: u64,
}

fn default_max_reward() -> u64 {
    citywallet_protocol::DEFAULT_MAX_REWARD
}

/// A technician in the genesis: `{"key": hex, "department": name}`. A bare key (hex
/// string, from genesis files before departments) is a technician with no department, who
/// can provision and revoke nothing until the admin registers the role again with one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TechnicianEntry {
    /// Key and department.
    WithDepartment {
        /// Ed25519 key, hex.
        key: String,
        /// Department.
        department: String,
    },
    /// A key only.
    KeyOnly(String),
}

impl TechnicianEntry {
    /// A technician of `department`.
    pub fn new(key: String, department: &str) -> Self {
        Self::WithDepartment {
            key,
            department: department.to_owned(),
        }
    }

    fn parts(&self) -> (&str, Option<&str>) {
        match self {
            Self::WithDepartment { key, department } => (key, Some(department)),
            Self::KeyOnly(key) => (key, None),
        }
    }
}

type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// `meta/validators` → how many validators have power; a removal that would leave none is
/// refused.
const VALIDATOR_COUNT: &[u8] = b"meta/validators";

/// Reads through staged changes to the committed state at one height.
struct View<'a> {
    store: &'a Store,
    height: Option<u64>,
    layers: [&'a Changes; 2],
}

impl View<'_> {
    fn raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        for layer in self.layers.iter().rev() {
            if let Some(v) = layer.get(key) {
                return Ok(v.clone());
            }
        }
        match self.height {
            Some(h) => self.store.get(key, h),
            None => Ok(None),
        }
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.raw(key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|_| {
                NodeError::Tree(format!(
                    "undecodable value at {}",
                    String::from_utf8_lossy(key)
                ))
            }),
        }
    }

    fn has(&self, key: &[u8]) -> Result<bool> {
        Ok(self.raw(key)?.is_some())
    }
}

/// The application state machine.
#[derive(Debug)]
pub struct App {
    store: Store,
    chain_id: String,
    /// Changes of the block being executed.
    block: Changes,
    /// Validator updates of the block being executed.
    validator_updates: Vec<ValidatorUpdate>,
    /// Nonces of transactions admitted by CheckTx since the last commit.
    check: Changes,
    /// The block finalized and not yet committed (ABCI: FinalizeBlock, then Commit).
    finalized: Option<Staged>,
}

fn put<T: Serialize>(changes: &mut Changes, key: Vec<u8>, value: &T) {
    changes.insert(key, Some(serde_json::to_vec(value).unwrap_or_default()));
}

/// Append `item` to the JSON list at `key` (the organisation index: only the admin adds
/// to it, so its length is the city's own doing).
fn append_to_list(view: &View<'_>, out: &mut Changes, key: Vec<u8>, item: &str) -> Result<()> {
    let mut list: Vec<String> = view.get(&key)?.unwrap_or_default();
    list.push(item.to_owned());
    put(out, key, &list);
    Ok(())
}

/// Append `item` to a paged log ([`keys::LOG_PAGE`]): the count at `count_key` and the last
/// page, `page_key(n)`. Two keys and at most one page's bytes, however long the log is.
fn append_to_log(
    view: &View<'_>,
    out: &mut Changes,
    count_key: Vec<u8>,
    page_key: impl Fn(u64) -> Vec<u8>,
    item: &str,
) -> Result<()> {
    let count: u64 = view.get(&count_key)?.unwrap_or(0);
    let page = page_key(count / keys::LOG_PAGE);
    let mut list: Vec<String> = if count.is_multiple_of(keys::LOG_PAGE) {
        Vec::new()
    } else {
        view.get(&page)?.unwrap_or_default()
    };
    list.push(item.to_owned());
    put(out, page, &list);
    put(out, count_key, &(count + 1));
    Ok(())
}

/// Append `id` to `owner`'s own log of `what` (see [`keys::owned_count`]), or the refusal
/// when the log is full.
fn append_owned(
    view: &View<'_>,
    out: &mut Changes,
    what: Owned,
    owner: &[u8; 32],
    id: &str,
) -> Result<Result<(), TxResult>> {
    let count: u64 = view.get(&keys::owned_count(what, owner))?.unwrap_or(0);
    if count >= MAX_OWNED {
        return Ok(Err(TxResult::refused(
            Code::RateLimited,
            format!("this key's log of {} is full", what.as_str()),
        )));
    }
    append_to_log(
        view,
        out,
        keys::owned_count(what, owner),
        |p| keys::owned_page(what, owner, p),
        id,
    )?;
    Ok(Ok(()))
}

/// Before a report from a key without standing starts a new page of the ring: when that
/// page's slot still holds the page `NEW_REPORTER_PAGES` older, delete that page's reports
/// no officer reviewed. No officer can reach them any more, so they would only be history;
/// reviewed ones stay (an officer's work bounds them). At most one page of deletes, once
/// every `LOG_PAGE` reports, so the state holds at most the ring's worth of unreviewed
/// reports from fresh keys however long a flood goes on.
fn expire_overwritten_reports(view: &View<'_>, out: &mut Changes) -> Result<()> {
    let count: u64 = view.get(&keys::new_reporter_report_count())?.unwrap_or(0);
    let page = count / keys::LOG_PAGE;
    if !count.is_multiple_of(keys::LOG_PAGE) || page < keys::NEW_REPORTER_PAGES {
        return Ok(());
    }
    let ids: Vec<String> = view
        .get(&keys::new_reporter_report_page(page))?
        .unwrap_or_default();
    for id in &ids {
        let key = keys::report(id);
        if let Some(r) = view.get::<ReportRecord>(&key)?
            && r.status == ReportStatus::Submitted
        {
            out.insert(key, None);
        }
    }
    Ok(())
}

impl App {
    /// The application over `store`, for `chain_id`.
    pub fn new(store: Store, chain_id: &str) -> Self {
        Self {
            store,
            chain_id: chain_id.into(),
            block: Changes::new(),
            validator_updates: Vec::new(),
            check: Changes::new(),
            finalized: None,
        }
    }

    /// The application over an existing state (chain id read from it), or over an empty
    /// store waiting for [`App::init_chain`].
    pub fn open(store: Store) -> Result<Self> {
        let chain_id = match store.latest()? {
            Some((h, _)) => store
                .get(b"meta/chain_id", h)?
                .and_then(|b| serde_json::from_slice::<String>(&b).ok())
                .ok_or(NodeError::Genesis("the state has no chain id"))?,
            None => String::new(),
        };
        Ok(Self::new(store, &chain_id))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// Latest committed height and app hash.
    pub fn latest(&self) -> Result<Option<(u64, [u8; 32])>> {
        self.store.latest()
    }

    /// Write genesis as height 0 and return its app hash.
    ///
    /// CometBFT sends InitChain again whenever Info reports height 0 (a node stopped before
    /// its first block): when the state holds only this same genesis, its root is the
    /// answer. Refused when the state holds another genesis or blocks.
    pub fn init_chain(&mut self, genesis: &Genesis) -> Result<[u8; 32]> {
        let latest = self.store.latest()?;
        if latest.is_some_and(|(h, _)| h > 0) {
            return Err(NodeError::Genesis("the state already has blocks"));
        }
        if genesis.chain_id.is_empty() || genesis.admins.is_empty() {
            return Err(NodeError::Genesis("no chain id or no admin"));
        }
        if !self.chain_id.is_empty() && genesis.chain_id != self.chain_id {
            return Err(NodeError::Genesis("the state is another chain's"));
        }
        let changes = Self::genesis_changes(genesis)?;
        if let Some((_, stored)) = latest {
            return if self.store.genesis_root(changes)? == stored {
                Ok(stored)
            } else {
                Err(NodeError::Genesis("the state holds another genesis"))
            };
        }
        self.chain_id = genesis.chain_id.clone();
        self.store.commit(0, &changes)
    }

    /// The writes of `genesis`.
    fn genesis_changes(genesis: &Genesis) -> Result<Writes> {
        let key32 = |h: &str| -> Result<[u8; 32]> {
            hex::decode(h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(NodeError::Genesis("a key is not 32 bytes of hex"))
        };
        let mut changes = Changes::new();
        for a in &genesis.admins {
            put(&mut changes, keys::admin(&key32(a)?), &true);
        }
        for i in &genesis.issuers {
            if let Some(bound) = i.max_revocation_delay_secs {
                citywallet_protocol::check_fields(
                    &citywallet_protocol::Action::SetRevocationBound {
                        issuer: i.id.clone(),
                        max_delay_secs: bound,
                    },
                )
                .map_err(|_| NodeError::Genesis("an issuer's revocation bound is out of range"))?;
            }
            put(&mut changes, keys::issuer(&i.id), i);
        }
        let ids: Vec<&str> = genesis.issuers.iter().map(|i| i.id.as_str()).collect();
        put(&mut changes, keys::issuer_index(), &ids);
        let ids: Vec<&str> = genesis.orgs.iter().map(|o| o.id.as_str()).collect();
        put(&mut changes, keys::org_index(), &ids);
        for o in &genesis.orgs {
            put(&mut changes, keys::org(&o.id), o);
        }
        for k in &genesis.officers {
            put(&mut changes, keys::role(Role::Officer, &key32(k)?), &true);
        }
        for t in &genesis.technicians {
            let (k, department) = t.parts();
            let k = key32(k)?;
            put(&mut changes, keys::role(Role::Technician, &k), &true);
            if let Some(d) = department {
                if citywallet_protocol::rules::check_text(d, citywallet_protocol::Field::Department)
                    .is_err()
                {
                    return Err(NodeError::Genesis("a technician's department is not valid"));
                }
                put(&mut changes, keys::department(Role::Technician, &k), &d);
            }
        }
        put(&mut changes, keys::max_reward(), &genesis.max_reward);
        let mut powered = 0u64;
        for v in &genesis.validators {
            put(
                &mut changes,
                keys::validator(&key32(&v.public_key)?),
                &v.power,
            );
            powered += u64::from(v.power > 0);
        }
        put(&mut changes, VALIDATOR_COUNT.to_vec(), &powered);
        put(&mut changes, b"meta/chain_id".to_vec(), &genesis.chain_id);
        Ok(changes.into_iter().collect())
    }

    fn view<'a>(&'a self, layers: [&'a Changes; 2]) -> Result<View<'a>> {
        Ok(View {
            store: &self.store,
            height: self.store.latest()?.map(|(h, _)| h),
            layers,
        })
    }

    /// CheckTx: would this transaction be accepted now? Admitted transactions advance the
    /// signer's nonce for later CheckTx calls until the next commit; nothing else changes.
    pub fn check_tx(&mut self, bytes: &[u8], now: u64) -> Result<TxResult> {
        let empty = Changes::new();
        let (result, staged) = {
            let view = self.view([&empty, &self.check])?;
            self.evaluate(&view, bytes, now, 0)?
        };
        if result.code == Code::Ok {
            // Only the nonce is remembered between CheckTx calls.
            for (k, v) in staged {
                if k.starts_with(b"account/") {
                    self.check.insert(k, v);
                }
            }
        }
        Ok(result)
    }

    /// Execute one transaction of the block at `height` with block time `time`.
    pub fn deliver_tx(&mut self, bytes: &[u8], height: u64, time: u64) -> Result<TxResult> {
        let empty = Changes::new();
        let (result, staged) = {
            let view = self.view([&self.block, &empty])?;
            self.evaluate(&view, bytes, time, height)?
        };
        if result.code == Code::Ok {
            for (k, v) in staged {
                if let Some(key_hex) = k.strip_prefix(b"validator/".as_slice()) {
                    let power: u64 = v
                        .as_deref()
                        .and_then(|b| serde_json::from_slice(b).ok())
                        .unwrap_or(0);
                    self.validator_updates.push(ValidatorUpdate {
                        public_key: String::from_utf8_lossy(key_hex).into_owned(),
                        power,
                    });
                }
                self.block.insert(k, v);
            }
        }
        Ok(result)
    }

    /// Commit the block at `height`: write its changes as a new tree version and return the
    /// app hash and the validator updates it made.
    pub fn commit(&mut self, height: u64) -> Result<([u8; 32], Vec<ValidatorUpdate>)> {
        self.commit_with_record(height, None)
    }

    /// [`App::commit`], writing `record` beside the state in the same transaction.
    pub fn commit_with_record(
        &mut self,
        height: u64,
        record: Option<BlockRecord<'_>>,
    ) -> Result<([u8; 32], Vec<ValidatorUpdate>)> {
        let updates = self.finalize(height)?;
        let root = self.persist(record)?;
        Ok((root, updates))
    }

    /// ABCI FinalizeBlock's end: compute the app hash of the block at `height` from the
    /// transactions delivered, without writing it, and return that hash (by
    /// [`App::finalized_root`]) and the block's validator updates, one per key (the last
    /// wins: CometBFT halts on two for one key). [`App::persist`] writes it.
    pub fn finalize(&mut self, height: u64) -> Result<Vec<ValidatorUpdate>> {
        put(&mut self.block, b"meta/height".to_vec(), &height);
        let changes: Vec<_> = std::mem::take(&mut self.block).into_iter().collect();
        let updates = std::mem::take(&mut self.validator_updates);
        self.finalized = None;
        self.finalized = Some(self.store.stage(height, changes)?);
        let mut last: BTreeMap<String, usize> = BTreeMap::new();
        for (i, u) in updates.iter().enumerate() {
            last.insert(u.public_key.clone(), i);
        }
        Ok(updates
            .into_iter()
            .enumerate()
            .filter(|(i, u)| last.get(&u.public_key) == Some(i))
            .map(|(_, u)| u)
            .collect())
    }

    /// The app hash of the block finalized and not yet persisted.
    pub fn finalized_root(&self) -> Option<[u8; 32]> {
        self.finalized.as_ref().map(Staged::root)
    }

    /// ABCI Commit: write the finalized block durably (with `record`, the devnet's block,
    /// in the same transaction) and return its app hash.
    pub fn persist(&mut self, record: Option<BlockRecord<'_>>) -> Result<[u8; 32]> {
        let staged = self
            .finalized
            .take()
            .ok_or(NodeError::OutOfOrder("Commit with no block finalized"))?;
        let root = self.store.write(staged, record)?;
        self.check.clear();
        Ok(root)
    }

    /// Forget a block being executed or finalized and not committed (a FinalizeBlock that
    /// failed half-way, or one CometBFT sends again).
    pub fn discard_block(&mut self) {
        self.block.clear();
        self.validator_updates.clear();
        self.finalized = None;
    }

    /// Validator updates made so far by the block being executed.
    pub fn pending_validator_updates(&self) -> &[ValidatorUpdate] {
        &self.validator_updates
    }

    /// A proven read of `key` at `height` (default: latest).
    pub fn query(&self, key: &[u8], height: Option<u64>) -> Result<ProvenValue> {
        let latest = self.store.latest()?.map_or(0, |(h, _)| h);
        self.store.get_proven(key, height.unwrap_or(latest))
    }

    /// Check a transaction against `view` at block `time`/`height`; on success return the
    /// writes it makes. Never changes anything itself.
    fn evaluate(
        &self,
        view: &View<'_>,
        bytes: &[u8],
        time: u64,
        height: u64,
    ) -> Result<(TxResult, Changes)> {
        let mut staged = Changes::new();
        let result = match self.evaluate_inner(view, bytes, time, height, &mut staged)? {
            Ok(r) => r,
            Err(refusal) => {
                staged.clear();
                refusal
            }
        };
        Ok((result, staged))
    }

    #[allow(clippy::too_many_lines)]
    fn evaluate_inner(
        &self,
        view: &View<'_>,
        bytes: &[u8],
        time: u64,
        height: u64,
        out: &mut Changes,
    ) -> Result<Result<TxResult, TxResult>> {
        use TxResult as R;
        if bytes.len() > MAX_TX_BYTES {
            return Ok(Err(R::refused(
                Code::TooLarge,
                format!(
                    "transaction of {} bytes exceeds {MAX_TX_BYTES}",
                    bytes.len()
                ),
            )));
        }
        let tx = match SignedTx::decode(bytes) {
            Ok(tx) => tx,
            Err(e) => {
                return Ok(Err(R::refused(
                    Code::Malformed,
                    format!("undecodable transaction: {e}"),
                )));
            }
        };
        let body = &tx.body;
        if body.chain_id != self.chain_id {
            return Ok(Err(R::refused(
                Code::WrongChain,
                format!("transaction is for chain {:?}", body.chain_id),
            )));
        }
        if !tx.signature_valid() {
            return Ok(Err(R::refused(
                Code::BadSignature,
                "signature does not verify for the signer",
            )));
        }
        if body.expires_at != 0 && time > body.expires_at {
            return Ok(Err(R::refused(
                Code::Expired,
                format!("transaction expired at {}", body.expires_at),
            )));
        }
        let signer = body.signer;
        let account: Account = view.get(&keys::account(&signer))?.unwrap_or_default();
        if body.nonce != account.nonce {
            return Ok(Err(R::refused(
                Code::BadNonce,
                format!(
                    "nonce {} is not the signer's next nonce {}",
                    body.nonce, account.nonce
                ),
            )));
        }
        // The field rules the wallet also runs before it signs (protocol's `rules`).
        if let Err(e) = citywallet_protocol::check_fields(&body.action) {
            return Ok(Err(R::refused(e.code(), e.to_string())));
        }
        let is_admin = view.has(&keys::admin(&signer))?;
        let has_role = |role| view.has(&keys::role(role, &signer));
        let signer_hex = hex::encode(signer);
        macro_rules! refuse {
            ($code:expr, $($msg:tt)*) => { return Ok(Err(R::refused($code, format!($($msg)*)))) };
        }
        macro_rules! own {
            ($what:expr, $id:expr) => {
                if let Err(r) = append_owned(view, out, $what, &signer, $id)? {
                    return Ok(Err(r));
                }
            };
        }
        macro_rules! need_admin {
            () => {
                if !is_admin {
                    refuse!(
                        Code::Unauthorized,
                        "only a city admin may {}",
                        body.action.name()
                    );
                }
            };
        }

        match &body.action {
            Action::RegisterIssuer {
                id,
                name,
                bbs_public_key,
                operator_key,
                credential_types,
            } => {
                need_admin!();
                if view.has(&keys::issuer(id))? {
                    refuse!(Code::Duplicate, "issuer {id} exists");
                }
                put(
                    out,
                    keys::issuer(id),
                    &IssuerRecord {
                        id: id.clone(),
                        name: name.clone(),
                        bbs_public_key: hex::encode(bbs_public_key),
                        operator_key: hex::encode(operator_key),
                        credential_types: credential_types.clone(),
                        status: Status::Active,
                        max_revocation_delay_secs: None,
                    },
                );
                let mut index: Vec<String> = view.get(&keys::issuer_index())?.unwrap_or_default();
                index.push(id.clone());
                put(out, keys::issuer_index(), &index);
            }
            Action::DeactivateIssuer { id } => {
                need_admin!();
                let Some(mut rec) = view.get::<IssuerRecord>(&keys::issuer(id))? else {
                    refuse!(Code::UnknownTarget, "no issuer {id}");
                };
                rec.status = Status::Inactive;
                put(out, keys::issuer(id), &rec);
            }
            Action::SetRevocationBound {
                issuer,
                max_delay_secs,
            } => {
                need_admin!();
                let Some(mut rec) = view.get::<IssuerRecord>(&keys::issuer(issuer))? else {
                    refuse!(Code::UnknownTarget, "no issuer {issuer}");
                };
                rec.max_revocation_delay_secs = Some(*max_delay_secs);
                put(out, keys::issuer(issuer), &rec);
            }
            Action::RegisterOrg {
                id,
                name,
                key,
                categories,
            } => {
                need_admin!();
                if view.has(&keys::org(id))? {
                    refuse!(Code::Duplicate, "organisation {id} exists");
                }
                put(
                    out,
                    keys::org(id),
                    &OrgRecord {
                        id: id.clone(),
                        name: name.clone(),
                        key: hex::encode(key),
                        categories: categories.clone(),
                        status: Status::Active,
                    },
                );
                append_to_list(view, out, keys::org_index(), id)?;
            }
            Action::DeactivateOrg { id } => {
                need_admin!();
                let Some(mut rec) = view.get::<OrgRecord>(&keys::org(id))? else {
                    refuse!(Code::UnknownTarget, "no organisation {id}");
                };
                rec.status = Status::Inactive;
                put(out, keys::org(id), &rec);
            }
            Action::RegisterRole {
                role,
                key,
                department,
            } => {
                need_admin!();
                if view.has(&keys::role(*role, key))? {
                    refuse!(
                        Code::Duplicate,
                        "the key already has the {} role",
                        role.as_str()
                    );
                }
                put(out, keys::role(*role, key), &true);
                if !department.is_empty() {
                    put(out, keys::department(*role, key), department);
                }
            }
            Action::RemoveRole { role, key } => {
                need_admin!();
                if !view.has(&keys::role(*role, key))? {
                    refuse!(
                        Code::UnknownTarget,
                        "the key does not have the {} role",
                        role.as_str()
                    );
                }
                out.insert(keys::role(*role, key), None);
                let department = keys::department(*role, key);
                if view.has(&department)? {
                    out.insert(department, None);
                }
            }
            Action::RotateAdmin { new_key } => {
                need_admin!();
                if view.has(&keys::admin(new_key))? {
                    refuse!(Code::Duplicate, "the new key is already an admin");
                }
                out.insert(keys::admin(&signer), None);
                put(out, keys::admin(new_key), &true);
            }
            Action::ProvisionDevice {
                id,
                public_key,
                kind,
                location,
                department,
            } => {
                if !has_role(Role::Technician)? {
                    refuse!(
                        Code::Unauthorized,
                        "only a registered technician may provision devices"
                    );
                }
                let own: Option<String> = view.get(&keys::department(Role::Technician, &signer))?;
                if own.as_deref() != Some(department.as_str()) {
                    refuse!(
                        Code::Unauthorized,
                        "a technician of {} may not provision devices of {department}",
                        own.as_deref().unwrap_or("no department")
                    );
                }
                if view.has(&keys::device(id))? {
                    refuse!(Code::Duplicate, "device {id} exists");
                }
                put(
                    out,
                    keys::device(id),
                    &DeviceRecord {
                        id: id.clone(),
                        public_key: hex::encode(public_key),
                        kind: kind.clone(),
                        location: location.clone(),
                        department: department.clone(),
                        technician: signer_hex.clone(),
                        status: Status::Active,
                    },
                );
                append_to_log(
                    view,
                    out,
                    keys::department_device_count(department),
                    |p| keys::department_device_page(department, p),
                    id,
                )?;
                own!(Owned::Devices, id);
            }
            Action::RevokeDevice { id } => {
                if !has_role(Role::Technician)? {
                    refuse!(
                        Code::Unauthorized,
                        "only a registered technician may revoke devices"
                    );
                }
                let Some(mut rec) = view.get::<DeviceRecord>(&keys::device(id))? else {
                    refuse!(Code::UnknownTarget, "no device {id}");
                };
                let own: Option<String> = view.get(&keys::department(Role::Technician, &signer))?;
                if own.as_deref() != Some(rec.department.as_str()) {
                    refuse!(
                        Code::Unauthorized,
                        "a technician of {} may not revoke device {id} of {}",
                        own.as_deref().unwrap_or("no department"),
                        rec.department
                    );
                }
                if rec.status == Status::Inactive {
                    refuse!(Code::Duplicate, "device {id} is already revoked");
                }
                rec.status = Status::Inactive;
                put(out, keys::device(id), &rec);
            }
            Action::RevokeCredential {
                issuer,
                credential_id,
                reason,
            } => {
                let Some(rec) = view.get::<IssuerRecord>(&keys::issuer(issuer))? else {
                    refuse!(Code::UnknownTarget, "no issuer {issuer}");
                };
                if rec.operator_key != signer_hex || rec.status != Status::Active {
                    refuse!(
                        Code::Unauthorized,
                        "only issuer {issuer}'s active operator key may revoke its credentials"
                    );
                }
                if view.has(&keys::revoked(issuer, credential_id))? {
                    refuse!(
                        Code::Duplicate,
                        "credential {credential_id} is already revoked"
                    );
                }
                put(
                    out,
                    keys::revoked(issuer, credential_id),
                    &RevocationRecord {
                        issuer: issuer.clone(),
                        credential_id: credential_id.clone(),
                        reason: reason.clone(),
                        height,
                    },
                );
                append_to_log(
                    view,
                    out,
                    keys::revocation_count(issuer),
                    |p| keys::revocation_page(issuer, p),
                    credential_id,
                )?;
            }
            Action::SubmitReport {
                id,
                category,
                location_cell,
                evidence_hash,
            } => {
                if view.has(&keys::report(id))? {
                    refuse!(Code::Duplicate, "report {id} exists");
                }
                put(
                    out,
                    keys::report(id),
                    &new_report(
                        (id, category, location_cell, evidence_hash),
                        &signer_hex,
                        time,
                        None,
                    ),
                );
                own!(Owned::Reports, id);
                // Anyone may file, from as many fresh keys as they like: reports from keys
                // with standing (points from an accepted report, or a role) go to the
                // review log; the others to a ring of the newest, which a flood only
                // turns over.
                let points = view
                    .get::<RewardRecord>(&keys::reward(&signer))?
                    .map_or(0, |r| r.points);
                if points > 0 || has_role(Role::Officer)? || has_role(Role::Technician)? {
                    append_to_log(view, out, keys::report_count(), keys::report_page, id)?;
                } else {
                    expire_overwritten_reports(view, out)?;
                    append_to_log(
                        view,
                        out,
                        keys::new_reporter_report_count(),
                        keys::new_reporter_report_page,
                        id,
                    )?;
                }
            }
            Action::SubmitPrivateReport {
                id,
                category,
                location_cell,
                evidence_hash,
                presentation,
            } => {
                use citywallet_protocol::reports;
                if view.has(&keys::report(id))? {
                    refuse!(Code::Duplicate, "report {id} exists");
                }
                // The cheap checks (size, fields, signature, nonce) passed: now the proof
                // that one resident files it, and which resident within the window.
                let start = reports::window_start(time);
                let pseudonym = match check_residency(
                    view,
                    presentation,
                    &reports::nonce(&signer, id, category, location_cell, evidence_hash),
                    start,
                    time,
                )? {
                    Ok(p) => p,
                    Err((code, why)) => refuse!(code, "{why}"),
                };
                let count_key = keys::nym_reports(start, &pseudonym);
                let filed: u64 = view.get(&count_key)?.unwrap_or(0);
                if filed >= reports::MAX_PER_WINDOW {
                    refuse!(
                        Code::RateLimited,
                        "this resident filed {filed} private reports this window, the most allowed"
                    );
                }
                put(out, count_key, &(filed + 1));
                put(
                    out,
                    keys::report(id),
                    &new_report(
                        (id, category, location_cell, evidence_hash),
                        &signer_hex,
                        time,
                        Some(pseudonym),
                    ),
                );
                own!(Owned::Reports, id);
                // A resident's report goes to the review log, with the reports of keys with
                // standing.
                append_to_log(view, out, keys::report_count(), keys::report_page, id)?;
            }
            Action::ReviewReport { id, accept, reward } => {
                if !has_role(Role::Officer)? {
                    refuse!(
                        Code::Unauthorized,
                        "only a registered officer may review reports"
                    );
                }
                let Some(mut rec) = view.get::<ReportRecord>(&keys::report(id))? else {
                    refuse!(Code::UnknownTarget, "no report {id}");
                };
                if rec.status != ReportStatus::Submitted {
                    refuse!(Code::Duplicate, "report {id} was already reviewed");
                }
                let cap: u64 = view
                    .get(&keys::max_reward())?
                    .unwrap_or(citywallet_protocol::DEFAULT_MAX_REWARD);
                if *accept && *reward > cap {
                    refuse!(
                        Code::InvalidField,
                        "a reward of {reward} points is above the cap of {cap}"
                    );
                }
                if *accept {
                    let reporter: [u8; 32] = hex::decode(&rec.reporter)
                        .ok()
                        .and_then(|b| b.try_into().ok())
                        .ok_or(NodeError::Tree("a report's reporter key is damaged".into()))?;
                    // A resident is rewarded for one private report per window: the others
                    // are accepted with no points.
                    let mut reward = *reward;
                    if let Some(nym) = &rec.pseudonym {
                        let once = keys::nym_rewarded(
                            citywallet_protocol::reports::window_start(rec.time),
                            nym,
                        );
                        if view.has(&once)? {
                            reward = 0;
                        } else if reward > 0 {
                            put(out, once, &true);
                        }
                    }
                    let mut points: RewardRecord =
                        view.get(&keys::reward(&reporter))?.unwrap_or_default();
                    let Some(total) = points.points.checked_add(reward) else {
                        refuse!(
                            Code::InvalidField,
                            "the reporter's points would pass {}",
                            u64::MAX
                        );
                    };
                    points.points = total;
                    put(out, keys::reward(&reporter), &points);
                    rec.status = ReportStatus::Accepted;
                } else {
                    rec.status = ReportStatus::Rejected;
                }
                put(out, keys::report(id), &rec);
            }
            Action::GrantAccess {
                id,
                org,
                categories,
                purpose,
                expires_at,
            } => {
                let Some(o) = view.get::<OrgRecord>(&keys::org(org))? else {
                    refuse!(Code::UnknownTarget, "no organisation {org}");
                };
                if o.status != Status::Active {
                    refuse!(Code::UnknownTarget, "organisation {org} is not active");
                }
                if let Some(c) = categories.iter().find(|c| !o.categories.contains(c)) {
                    refuse!(
                        Code::Unauthorized,
                        "organisation {org} is not accredited for {c}"
                    );
                }
                if *expires_at <= time {
                    refuse!(Code::Expired, "the grant would already be expired");
                }
                if view.has(&keys::grant(id))? {
                    refuse!(Code::Duplicate, "grant {id} exists");
                }
                put(
                    out,
                    keys::grant(id),
                    &GrantRecord {
                        id: id.clone(),
                        citizen: signer_hex.clone(),
                        org: org.clone(),
                        categories: categories.clone(),
                        purpose: purpose.clone(),
                        expires_at: *expires_at,
                        status: Status::Active,
                    },
                );
                own!(Owned::Grants, id);
            }
            Action::RevokeGrant { id } => {
                let Some(mut rec) = view.get::<GrantRecord>(&keys::grant(id))? else {
                    refuse!(Code::UnknownTarget, "no grant {id}");
                };
                if rec.citizen != signer_hex {
                    refuse!(
                        Code::Unauthorized,
                        "only the citizen who granted {id} may revoke it"
                    );
                }
                if rec.status == Status::Inactive {
                    refuse!(Code::Duplicate, "grant {id} is already revoked");
                }
                rec.status = Status::Inactive;
                put(out, keys::grant(id), &rec);
            }
            Action::RecordDataUse {
                id,
                grant,
                category,
                purpose,
            } => {
                let Some(g) = view.get::<GrantRecord>(&keys::grant(grant))? else {
                    refuse!(Code::UnknownTarget, "no grant {grant}");
                };
                let org = view.get::<OrgRecord>(&keys::org(&g.org))?;
                if org.as_ref().is_none_or(|o| o.key != signer_hex) {
                    refuse!(
                        Code::Unauthorized,
                        "only organisation {}'s registered key may record uses under {grant}",
                        g.org
                    );
                }
                if org.is_some_and(|o| o.status != Status::Active) {
                    refuse!(Code::Unauthorized, "organisation {} is not active", g.org);
                }
                if g.status != Status::Active {
                    refuse!(Code::Unauthorized, "grant {grant} was revoked");
                }
                if g.expires_at <= time {
                    refuse!(Code::Expired, "grant {grant} has expired");
                }
                if !g.categories.contains(category) {
                    refuse!(
                        Code::Unauthorized,
                        "grant {grant} does not cover {category}"
                    );
                }
                if view.has(&keys::data_use(id))? {
                    refuse!(Code::Duplicate, "data use {id} exists");
                }
                let seq: u64 = view.get(&keys::use_count(grant))?.unwrap_or(0);
                if seq >= MAX_USES_PER_GRANT {
                    refuse!(
                        Code::RateLimited,
                        "grant {grant} holds {MAX_USES_PER_GRANT} uses already"
                    );
                }
                put(
                    out,
                    keys::data_use(id),
                    &DataUseRecord {
                        id: id.clone(),
                        grant: grant.clone(),
                        org: g.org.clone(),
                        category: category.clone(),
                        purpose: purpose.clone(),
                        time,
                        seq,
                    },
                );
                append_to_log(
                    view,
                    out,
                    keys::use_count(grant),
                    |p| keys::use_page(grant, p),
                    id,
                )?;
            }
            Action::AnchorReadings {
                device,
                seq,
                digest,
                count,
                taken_at,
            } => {
                let Some(d) = view.get::<DeviceRecord>(&keys::device(device))? else {
                    refuse!(Code::UnknownTarget, "no device {device}");
                };
                if d.public_key != signer_hex {
                    refuse!(
                        Code::Unauthorized,
                        "only device {device}'s registered key may anchor its readings"
                    );
                }
                if d.status != Status::Active {
                    refuse!(Code::Unauthorized, "device {device} is revoked");
                }
                let last = view.get::<AnchorRecord>(&keys::anchor(device))?;
                if let Some(l) = last.as_ref().filter(|l| *seq <= l.seq) {
                    refuse!(
                        Code::Duplicate,
                        "batch {seq} of device {device} is not above its last anchored batch {}",
                        l.seq
                    );
                }
                if *taken_at > time.saturating_add(DEVICE_CLOCK_SKEW_SECS) {
                    refuse!(
                        Code::InvalidField,
                        "batch {seq} of device {device} is dated {taken_at}, ahead of the chain's time {time}"
                    );
                }
                let rec = AnchorRecord {
                    device: device.clone(),
                    seq: *seq,
                    digest: hex::encode(digest),
                    count: *count,
                    taken_at: *taken_at,
                    time,
                    height,
                };
                put(out, keys::anchor_at(device, *seq), &rec);
                put(out, keys::anchor(device), &rec);
            }
            Action::SetValidator { public_key, power } => {
                need_admin!();
                let key = keys::validator(public_key);
                let exists = view.has(&key)?;
                // How many validators have power (absent on a chain from before the count:
                // not checked there).
                let count: Option<u64> = view.get(VALIDATOR_COUNT)?;
                if *power == 0 {
                    if !exists {
                        refuse!(Code::UnknownTarget, "not a validator");
                    }
                    if count == Some(1) {
                        refuse!(
                            Code::InvalidField,
                            "the last validator cannot be removed: the chain would stop"
                        );
                    }
                    out.insert(key, None);
                    if let Some(c) = count {
                        put(out, VALIDATOR_COUNT.to_vec(), &c.saturating_sub(1));
                    }
                } else {
                    put(out, key, power);
                    if let (false, Some(c)) = (exists, count) {
                        put(out, VALIDATOR_COUNT.to_vec(), &c.saturating_add(1));
                    }
                }
            }
        }
        let Some(nonce) = account.nonce.checked_add(1) else {
            refuse!(Code::BadNonce, "the signer's nonce is exhausted");
        };
        put(out, keys::account(&signer), &Account { nonce });
        Ok(Ok(R::ok(&body.action)))
    }
}

/// The record of report `id` just filed by `reporter` (hex) at block `time`.
fn new_report(
    (id, category, location_cell, evidence_hash): (&str, &str, &str, &[u8; 32]),
    reporter: &str,
    time: u64,
    pseudonym: Option<String>,
) -> ReportRecord {
    ReportRecord {
        id: id.to_owned(),
        reporter: reporter.to_owned(),
        category: category.to_owned(),
        location_cell: location_cell.to_owned(),
        evidence_hash: hex::encode(evidence_hash),
        time,
        status: ReportStatus::Submitted,
        pseudonym,
    }
}

/// A private report's residency proof checked against the chain state in `view` at block
/// `time`: a private presentation of a residency credential from an active issuer allowed
/// to issue it, with a revocation bound the credential keeps to, its proof valid for
/// `nonce` and the reports' client id, and its pseudonym for the window starting at
/// `start`. The pseudonym (hex), or the refusal's code and reason.
fn check_residency(
    view: &View<'_>,
    presentation: &[u8],
    nonce: &str,
    start: u64,
    time: u64,
) -> Result<Result<String, (Code, String)>> {
    use citywallet_protocol::reports;
    let refuse = |code: Code, why: &str| Ok(Err((code, why.to_owned())));
    let Ok(p) = citywallet_vc::private::parse(presentation) else {
        return refuse(
            Code::InvalidField,
            "the presentation is not a private presentation",
        );
    };
    let Some(rec) = view.get::<IssuerRecord>(&keys::issuer(&p.issuer))? else {
        return refuse(
            Code::UnknownTarget,
            "the credential's issuer is not registered",
        );
    };
    if rec.status != Status::Active {
        return refuse(Code::UnknownTarget, "the credential's issuer is not active");
    }
    if !rec
        .credential_types
        .iter()
        .any(|t| t == reports::CREDENTIAL_TYPE)
    {
        return refuse(
            Code::Unauthorized,
            "the issuer may not issue residency credentials",
        );
    }
    let Some(bound) = rec.max_revocation_delay_secs else {
        return refuse(Code::Unauthorized, "the issuer has no revocation bound");
    };
    let Some(key) = hex::decode(&rec.bbs_public_key)
        .ok()
        .and_then(|b| citywallet_core::credentials::IssuerPublicKey::from_bytes(&b))
    else {
        return Err(NodeError::Tree("an issuer's key is damaged".into()));
    };
    let now = i64::try_from(time).unwrap_or(i64::MAX);
    let context = reports::context(start);
    let shown = match p.verify_for(
        nonce,
        reports::CLIENT_ID,
        &key,
        now,
        Some(context.as_bytes()),
    ) {
        Ok(s) => s,
        Err(_) => {
            return refuse(
                Code::InvalidField,
                "the residency proof does not verify for this report and window",
            );
        }
    };
    if shown.kind.as_str() != reports::CREDENTIAL_TYPE {
        return refuse(
            Code::InvalidField,
            "the credential is not a residency credential",
        );
    }
    if citywallet_protocol::rules::outlives_revocation_bound(shown.valid_until, now, bound) {
        return refuse(
            Code::InvalidField,
            "the credential is valid beyond its issuer's revocation bound",
        );
    }
    Ok(Ok(hex::encode(shown.pseudonym)))
}
