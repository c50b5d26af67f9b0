//! The light client with its memory: trusted headers, divergences and settings kept in the
//! vault. Every action in [`crate::act`] and [`crate::officer`] goes through a session.

use std::sync::Arc;
use std::time::Duration;

use citywallet_core::vault::{Divergence, TrustedHeader, Vault};
use tendermint::Time;
use tendermint_light_client_verifier::types::LightBlock;

use crate::budget::Budget;
use crate::client::{LightClient, ProvenRead, Rules};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::rpc::Connect;
use crate::verify::Engine;

/// Settings kept in the vault, with their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Trusting period.
    pub trusting_period: Duration,
    /// Allowed clock drift.
    pub clock_drift: Duration,
    /// Timeout of one request to a node.
    pub request_timeout: Duration,
    /// How long to wait for a transaction's effect to be proven.
    pub effect_wait: Duration,
    /// How old the officer's offline snapshot may be.
    pub snapshot_max_age: Duration,
    /// How old the newest verified header may be for an online action or check.
    pub max_header_age: Duration,
    /// How long the chain may go without a block before submissions are held back (a city
    /// chain makes a block every second or so, empty or not).
    pub max_block_gap: Duration,
    /// How long a whole sync (or read) may spend waiting for nodes.
    pub sync_budget: Duration,
    /// How long a whole action (proofs, submission, the wait for its effect) may spend.
    pub action_budget: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        let rules = Rules::default();
        Self {
            trusting_period: rules.trusting_period,
            clock_drift: rules.clock_drift,
            request_timeout: Duration::from_secs(10),
            effect_wait: Duration::from_secs(30),
            snapshot_max_age: Duration::from_secs(24 * 3600),
            max_header_age: Duration::from_secs(120),
            max_block_gap: Duration::from_secs(30),
            sync_budget: Duration::from_secs(120),
            action_budget: Duration::from_secs(90),
        }
    }
}

/// Names of the settings in the vault, with what they hold.
pub const SETTING_NAMES: [(&str, &str); 9] = [
    ("trusting_period_secs", "trusting period, seconds"),
    ("clock_drift_secs", "allowed clock drift, seconds"),
    (
        "request_timeout_ms",
        "timeout of one node request, milliseconds",
    ),
    (
        "effect_wait_secs",
        "how long to wait for a transaction to be proven, seconds",
    ),
    (
        "snapshot_max_age_secs",
        "how old the offline registry snapshot may be, seconds",
    ),
    (
        "max_header_age_secs",
        "how old the newest verified header may be for an online action or check, seconds",
    ),
    (
        "max_block_gap_secs",
        "how long the chain may go without a block before submissions are held back, seconds",
    ),
    (
        "sync_budget_secs",
        "how long a whole sync or read may wait for the nodes, seconds",
    ),
    (
        "action_budget_secs",
        "how long a whole action may take, the wait for its effect included, seconds",
    ),
];

impl Settings {
    /// Read the settings from `vault` (defaults for unset ones).
    pub fn load(vault: &Vault) -> Result<Self> {
        let d = Self::default();
        let get = |name: &str, default: u64| -> Result<u64> {
            match vault.setting(name)? {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| {
                    Error::InvalidInput(format!("setting {name} is not a whole number"))
                }),
            }
        };
        Ok(Self {
            trusting_period: Duration::from_secs(get(
                "trusting_period_secs",
                d.trusting_period.as_secs(),
            )?),
            clock_drift: Duration::from_secs(get("clock_drift_secs", d.clock_drift.as_secs())?),
            request_timeout: Duration::from_millis(get(
                "request_timeout_ms",
                d.request_timeout.as_millis() as u64,
            )?),
            effect_wait: Duration::from_secs(get("effect_wait_secs", d.effect_wait.as_secs())?),
            snapshot_max_age: Duration::from_secs(get(
                "snapshot_max_age_secs",
                d.snapshot_max_age.as_secs(),
            )?),
            max_header_age: Duration::from_secs(get(
                "max_header_age_secs",
                d.max_header_age.as_secs(),
            )?),
            max_block_gap: Duration::from_secs(get(
                "max_block_gap_secs",
                d.max_block_gap.as_secs(),
            )?),
            sync_budget: Duration::from_secs(get("sync_budget_secs", d.sync_budget.as_secs())?),
            action_budget: Duration::from_secs(get(
                "action_budget_secs",
                d.action_budget.as_secs(),
            )?),
        })
    }

    /// The light client's rules.
    pub fn rules(&self) -> Rules {
        Rules {
            trusting_period: self.trusting_period,
            clock_drift: self.clock_drift,
            engine: Engine::Batch,
        }
    }
}

/// Unix seconds of a block time.
pub fn unix(t: Time) -> i64 {
    t.unix_timestamp()
}

/// How many times a sync asks again when no witness could confirm the primary's newest
/// header and one is behind it (it has not got that block yet), [`WITNESS_PAUSE`] apart.
pub const WITNESS_RETRIES: u32 = 8;
/// The pause before asking the witnesses again.
pub const WITNESS_PAUSE: Duration = Duration::from_millis(250);

/// A move from a primary that did not answer to another configured node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failover {
    /// The primary that did not answer.
    pub from: String,
    /// The node used instead.
    pub to: String,
    /// What the old primary did: the error's code (`node_timeout`, `node_unreachable`,
    /// `node_rpc_error`, `node_missing_block`, `primary_lagging`).
    pub reason: &'static str,
}

/// Where a session records its failovers, for the caller to tell the user.
pub type FailoverLog = Arc<std::sync::Mutex<Vec<Failover>>>;

/// A light client bound to a vault and a clock.
pub struct Session<'v> {
    pub(crate) vault: &'v mut Vault,
    pub(crate) client: LightClient,
    pub(crate) settings: Settings,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) failovers: FailoverLog,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

pub(crate) fn encode_block(b: &LightBlock) -> Result<Vec<u8>> {
    serde_json::to_vec(b).map_err(|_| Error::Encode("a light block"))
}

pub(crate) fn decode_block(bytes: &[u8]) -> Result<LightBlock> {
    serde_json::from_slice(bytes).map_err(|_| Error::BadRecord("a stored light block".into()))
}

impl<'v> Session<'v> {
    /// A session over `vault` with `client`, judging time by `clock`.
    pub fn new(
        vault: &'v mut Vault,
        client: LightClient,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            vault,
            client,
            settings,
            clock,
            failovers: FailoverLog::default(),
        }
    }

    /// Record failovers in `log` (shared with the caller, who tells the user).
    pub fn with_failover_log(mut self, log: FailoverLog) -> Self {
        self.failovers = log;
        self
    }

    /// When `e` says the primary did not answer, move to another configured node (recorded
    /// in the failover log) and return true; else false.
    pub(crate) fn fail_over(&mut self, e: &Error) -> bool {
        if !self.client.primary_down(e) {
            return false;
        }
        let from = self.client.primary().url().to_owned();
        let Some(to) = self.client.fail_over() else {
            return false;
        };
        let reason = e.code();
        self.failovers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Failover { from, to, reason });
        true
    }

    /// A session over `vault` with nodes made by `connect`: `primary` and `witnesses` by
    /// URL, each with the vault's request timeout, and the vault's trust rules.
    pub fn connect(
        vault: &'v mut Vault,
        connect: &dyn Connect,
        primary: &str,
        witnesses: &[String],
        clock: Arc<dyn Clock>,
        budget: &Arc<Budget>,
    ) -> Result<Self> {
        let settings = Settings::load(vault)?;
        let node = |url: &str| connect.connect(url, settings.request_timeout, budget);
        let client = LightClient::new(
            node(primary)?,
            witnesses.iter().map(|w| node(w)).collect::<Result<_>>()?,
            settings.rules(),
        );
        Ok(Self::new(vault, client, settings, clock))
    }

    /// How long ago `b` was made, by the session's clock (zero for a header ahead of it).
    pub fn age(&self, b: &LightBlock) -> Duration {
        self.now()
            .duration_since(b.signed_header.header.time)
            .unwrap_or_default()
    }

    /// The session's clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The current time by the session's clock.
    pub fn now(&self) -> Time {
        self.clock.now()
    }

    /// The vault.
    pub fn vault(&mut self) -> &mut Vault {
        self.vault
    }

    /// The client.
    pub fn client(&self) -> &LightClient {
        &self.client
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The newest trusted block, if any.
    pub fn trusted(&self) -> Result<Option<LightBlock>> {
        self.vault
            .latest_trusted_header()?
            .map(|h| decode_block(&h.body))
            .transpose()
    }

    fn store(&mut self, block: &LightBlock) -> Result<()> {
        let h = &block.signed_header.header;
        self.vault.put_trusted_header(&TrustedHeader {
            chain_id: h.chain_id.to_string(),
            height: h.height.value(),
            hash: h.hash().as_bytes().to_vec(),
            body: encode_block(block)?,
            verified_at: unix(self.now()),
        })?;
        Ok(())
    }

    /// The hashes of the headers that what the vault keeps rests on: every receipt's and the
    /// officer's snapshot's. A new anchor archives these instead of forgetting them.
    fn kept_headers(&self) -> Result<Vec<Vec<u8>>> {
        let mut keep = Vec::new();
        for r in self.vault.receipts(None)? {
            let receipt = crate::act::Receipt::from_stored(&r)?;
            keep.push(
                receipt
                    .header
                    .signed_header
                    .header
                    .hash()
                    .as_bytes()
                    .to_vec(),
            );
        }
        if let Some(h) = crate::officer::snapshot_header_hash(self.vault)? {
            keep.push(h);
        }
        Ok(keep)
    }

    fn new_anchor(&mut self, block: &LightBlock) -> Result<()> {
        let keep = self.kept_headers()?;
        self.vault.reset_trust(&keep)?;
        self.store(block)
    }

    /// Anchor trust in the primary's genesis (trust on first use of the genesis). Receipts
    /// and the officer's snapshot keep verifying.
    pub fn anchor_genesis(&mut self, chain_id: Option<&str>) -> Result<LightBlock> {
        let block = self.client.anchor_from_genesis(chain_id, self.now())?;
        self.new_anchor(&block)?;
        Ok(block)
    }

    /// Anchor trust at `height` with the header hash the user vouches for (and, when given,
    /// on chain `chain_id`). Receipts and the officer's snapshot keep verifying.
    pub fn anchor_at(
        &mut self,
        height: u64,
        hash: &[u8],
        chain_id: Option<&str>,
    ) -> Result<LightBlock> {
        let block = self.client.anchor_at(height, hash, self.now())?;
        if chain_id.is_some_and(|c| c != block.signed_header.header.chain_id.as_str()) {
            return Err(Error::AnchorMismatch("the anchor is for another chain"));
        }
        self.new_anchor(&block)?;
        Ok(block)
    }

    /// Anchor at the genesis when the wallet has no trust yet (trust on first use); returns
    /// the anchor when it made one. Every action syncs by itself after this.
    pub fn ensure_anchor(&mut self) -> Result<Option<LightBlock>> {
        if self.trusted()?.is_some() {
            return Ok(None);
        }
        self.anchor_genesis(None).map(Some)
    }

    /// Refuse while a divergence is unresolved.
    pub fn check_no_divergence(&self) -> Result<()> {
        match self.vault.open_divergence()? {
            Some(d) => Err(Error::DivergenceOpen { height: d.height }),
            None => Ok(()),
        }
    }

    /// Bring trust to the primary's newest block, confirmed by a witness. A divergence is
    /// recorded in the vault (with its evidence) before it is returned. A primary that does
    /// not answer is replaced by the next configured node that does ([`Failover`]), as long
    /// as another witness remains to cross-check it.
    pub fn sync(&mut self, on_verified: &mut dyn FnMut(u64)) -> Result<LightBlock> {
        let mut tries = self.client.witness_count() + 1;
        let mut behind = WITNESS_RETRIES;
        loop {
            match self.sync_once(on_verified) {
                Err(e) if tries > 1 && self.fail_over(&e) => tries -= 1,
                // The witnesses may be a block behind the primary: give them a moment.
                Err(Error::NoWitnessAnswered { height })
                    if behind > 0 && self.client.a_witness_is_behind(height) =>
                {
                    behind -= 1;
                    self.clock.sleep(WITNESS_PAUSE);
                }
                r => return r,
            }
        }
    }

    fn sync_once(&mut self, on_verified: &mut dyn FnMut(u64)) -> Result<LightBlock> {
        self.check_no_divergence()?;
        let trusted = self.trusted()?.ok_or(Error::NoTrustAnchor)?;
        let clock = self.clock.clone();
        match self.client.update(&trusted, &|| clock.now(), on_verified) {
            Ok(update) => {
                for b in &update.verified {
                    self.store(b)?;
                }
                Ok(update.latest)
            }
            Err(Error::Divergence {
                height,
                witness,
                evidence,
            }) => {
                let encoded = serde_json::to_vec(&evidence)
                    .map_err(|_| Error::Encode("divergence evidence"))?;
                self.vault.record_divergence(&Divergence {
                    id: 0,
                    detected_at: unix(self.now()),
                    height,
                    primary_url: evidence.primary_url.clone(),
                    witness_url: witness.clone(),
                    evidence: encoded,
                    submitted: evidence.submissions.join("; "),
                })?;
                Err(Error::Divergence {
                    height,
                    witness,
                    evidence,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// [`Session::sync`], for an online action or check: the newest verified header must be
    /// no older than [`Settings::max_header_age`], or the chain the nodes serve is stale
    /// (frozen, or cut off) and nothing is judged on it ([`Error::HeaderStale`]).
    pub fn fresh(&mut self) -> Result<LightBlock> {
        let latest = self.sync(&mut |_| {})?;
        let age = self.age(&latest);
        if age > self.settings.max_header_age {
            return Err(Error::HeaderStale {
                height: latest.height().value(),
                age_secs: age.as_secs(),
                limit_secs: self.settings.max_header_age.as_secs(),
            });
        }
        Ok(latest)
    }

    /// A proven read of `key` against `header` (a block this session verified).
    pub fn read(&self, header: &LightBlock, key: &[u8]) -> Result<ProvenRead> {
        self.client.read(header, key)
    }
}
