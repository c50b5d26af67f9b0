//! `citywallet-wallet`: every flow a CityWallet front end offers, in one place. The command
//! line (`cli/`) and the app (`src-tauri/`) only present it: they parse their arguments or
//! IPC input, make one [`Wallet`] call and print or return its result.
//!
//! A [`Wallet`] owns the vault (when unlocked), chooses the nodes (the vault's, else the
//! front end's default network), anchors trust on first use, and runs each flow over
//! `citywallet-core` and `citywallet-light-client`. It is given its chain ([`Connect`],
//! which makes a [`citywallet_light_client::rpc::ChainNode`] for a node's URL) and its
//! [`Clock`], so tests run every flow on an in-memory chain and a test clock.
//!
//! * [`dto`]: what goes in and out (serialisable; TypeScript types are written from them).
//! * [`input`]: the input rules (dates, hex, CSV, files), the same for every front end.
//! * [`Error`] and [`ErrorCode`]: one error type; one enum of every code a front end shows.
//!
//! The flows, by module: `vault` (create, recover, unlock, lock, passphrase, export and
//! import, the phrase, device keys, activity), `credentials` (hold, present, verify),
//! `chain` (nodes, trust, sync, status, settings), `acts` (reports, grants, devices one by
//! one or from a CSV, report review, revocation, receipts), `tools` (an issuer's key and
//! credential tools).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod acts;
pub mod anchors;
mod chain;
mod credentials;
pub mod dto;
mod error;
pub mod input;
pub mod issuance;
mod jws;
pub mod oid4vp;
mod restore;
mod tools;
pub mod uses;
mod vault;
pub mod verifier;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use citywallet_core::vault::{KdfParams, NodeRole, Vault};
use citywallet_light_client::client::signed_power;
use citywallet_light_client::clock::Clock;
use citywallet_light_client::rpc::Connect;
use citywallet_light_client::session::{FailoverLog, Session};
use tendermint_light_client_verifier::types::LightBlock;

pub use acts::{REPORT_CATEGORIES, REVIEW_PAGE};
pub use citywallet_light_client::budget::Budget;
pub use citywallet_light_client::clock::{ManualClock, SystemClock};
pub use citywallet_light_client::rpc::HttpConnect;
pub use credentials::{Check, DEFAULT_CHALLENGE_AGE_SECS, Shown};
pub use error::{Error, ErrorCode, Result, WalletErrorCode};
pub use tools::{IssueArgs, issue_credential, issuer_keygen};
pub use vault::strength;

use dto::TrustedOut;

/// The nodes a wallet uses when its vault names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Primary URL.
    pub primary: String,
    /// Witness URLs.
    pub witnesses: Vec<String>,
}

impl Network {
    /// The local devnet on its default ports (`citywallet-node devnet` and the demo).
    pub fn local_devnet() -> Self {
        Self {
            primary: "http://127.0.0.1:26657".into(),
            witnesses: vec!["http://127.0.0.1:26658".into()],
        }
    }
}

/// Something a flow did on its own that the user should be told (the command line prints
/// these on stderr; the app may show them).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Notice {
    /// The wallet had no trust anchor and trusted the node's genesis (trust on first use).
    AnchoredAtGenesis(TrustedOut),
    /// The primary did not answer, and the wallet used another configured node.
    PrimaryFailover {
        /// The primary that did not answer.
        from: String,
        /// The node used instead.
        to: String,
        /// The old primary's error code (`node_timeout`, `node_unreachable`, ...).
        reason: &'static str,
    },
}

impl Notice {
    /// The anchor this notice reports, if it is about one.
    pub fn anchor(&self) -> Option<&TrustedOut> {
        match self {
            Self::AnchoredAtGenesis(t) => Some(t),
            Self::PrimaryFailover { .. } => None,
        }
    }
}

/// A wallet: one vault file, the chain it talks to, and its clock.
pub struct Wallet {
    vault_path: PathBuf,
    kdf: KdfParams,
    vault: Option<Vault>,
    network: Network,
    connect: Arc<dyn Connect>,
    clock: Arc<dyn Clock>,
    budget: Arc<Budget>,
    notices: Vec<Notice>,
    /// Failovers of this wallet's sessions, made notices by [`Wallet::take_notices`].
    failovers: FailoverLog,
    /// Tries left to give words of the phrase back, when the phrase was just created or
    /// revealed.
    confirm_tries: Option<u8>,
}

/// What an operation is, for its time budget on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spend {
    /// A sync or a proven read: `sync_budget_secs`.
    Sync,
    /// An action: proofs, submission and the wait for its effect, `action_budget_secs`.
    Action,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("vault_path", &self.vault_path)
            .field("unlocked", &self.vault.is_some())
            .field("network", &self.network)
            .field("connect", &self.connect)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// A light block's header as a front end shows it.
pub(crate) fn trusted_out(b: &LightBlock) -> TrustedOut {
    let h = &b.signed_header.header;
    let (signed_power, total_power) = signed_power(b);
    TrustedOut {
        chain_id: h.chain_id.to_string(),
        height: h.height.value(),
        time: h.time.to_rfc3339(),
        hash: h.hash().to_string(),
        signed_power,
        total_power,
    }
}

impl Wallet {
    /// A wallet over a service's own vault at `vault_path` (a department's issuer, an
    /// organisation's verifier): its nodes are the ones its vault names, reached over HTTP,
    /// time from the system clock.
    pub fn for_service(vault_path: &Path, kdf: KdfParams) -> Self {
        Self::new(
            vault_path,
            kdf,
            Network {
                primary: String::new(),
                witnesses: Vec::new(),
            },
            Arc::new(HttpConnect),
            Arc::new(SystemClock),
        )
    }

    /// A wallet whose vault is (or will be) at `vault_path`, made with `kdf`, using
    /// `network` when the vault names no node, reaching nodes through `connect` and judging
    /// time by `clock`. Nothing is opened yet.
    pub fn new(
        vault_path: &Path,
        kdf: KdfParams,
        network: Network,
        connect: Arc<dyn Connect>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            vault_path: vault_path.to_owned(),
            kdf,
            vault: None,
            network,
            connect,
            clock,
            budget: Arc::new(Budget::new()),
            notices: Vec::new(),
            failovers: FailoverLog::default(),
            confirm_tries: None,
        }
    }

    /// The network budget every operation of this wallet spends from: another thread may
    /// [`Budget::cancel`] it to stop a running sync or action at once (the app does, when the
    /// user locks the wallet).
    pub fn budget(&self) -> Arc<Budget> {
        self.budget.clone()
    }

    /// A wallet over HTTP nodes and the system clock, with the recommended key derivation.
    pub fn over_http(vault_path: &Path, network: Network) -> Self {
        Self::new(
            vault_path,
            KdfParams::RECOMMENDED,
            network,
            Arc::new(HttpConnect),
            Arc::new(SystemClock),
        )
    }

    /// The vault's path.
    pub fn vault_path(&self) -> &Path {
        &self.vault_path
    }

    /// Whether a vault exists at the path.
    pub fn vault_exists(&self) -> bool {
        self.vault_path.exists()
    }

    /// Whether the vault is open.
    pub fn is_unlocked(&self) -> bool {
        self.vault.is_some()
    }

    /// What flows did on their own since the last call (then forgotten).
    pub fn take_notices(&mut self) -> Vec<Notice> {
        let failovers = std::mem::take(
            &mut *self
                .failovers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        self.notices
            .extend(failovers.into_iter().map(|f| Notice::PrimaryFailover {
                from: f.from,
                to: f.to,
                reason: f.reason,
            }));
        std::mem::take(&mut self.notices)
    }

    fn vault(&self) -> Result<&Vault> {
        self.vault.as_ref().ok_or(Error::Locked)
    }

    fn vault_mut(&mut self) -> Result<&mut Vault> {
        self.vault.as_mut().ok_or(Error::Locked)
    }

    /// The open vault, for a service built on a wallet that keeps its own documents in it
    /// (a department's issuer keeps its keys, records and offers there, beside the trust
    /// store its revocations use). A citizen's front end has no use for it.
    pub fn store(&mut self) -> Result<&mut Vault> {
        self.vault_mut()
    }

    fn now_secs(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// The nodes in use: the vault's (a primary is then required), else the default network.
    fn nodes(&self) -> Result<(String, Vec<String>, bool)> {
        let list = self.vault()?.nodes()?;
        if list.is_empty() {
            return Ok((
                self.network.primary.clone(),
                self.network.witnesses.clone(),
                false,
            ));
        }
        let primary = list
            .iter()
            .find(|n| n.role == NodeRole::Primary)
            .map(|n| n.url.clone())
            .ok_or(Error::NoPrimary)?;
        let witnesses = list
            .iter()
            .filter(|n| n.role == NodeRole::Witness)
            .map(|n| n.url.clone())
            .collect();
        Ok((primary, witnesses, true))
    }

    /// A light-client session over the vault and the nodes in use, its operation's network
    /// budget started.
    fn session(&mut self, spend: Spend) -> Result<Session<'_>> {
        let (primary, witnesses, _) = self.nodes()?;
        let vault = self.vault.as_mut().ok_or(Error::Locked)?;
        let settings = citywallet_light_client::session::Settings::load(vault)?;
        self.budget.start(match spend {
            Spend::Sync => settings.sync_budget,
            Spend::Action => settings.action_budget,
        });
        Ok(Session::connect(
            vault,
            self.connect.as_ref(),
            &primary,
            &witnesses,
            self.clock.clone(),
            &self.budget,
        )?
        .with_failover_log(self.failovers.clone()))
    }

    /// A session with a trust anchor: the genesis is trusted on first use, and a notice
    /// says so.
    fn anchored(&mut self, spend: Spend) -> Result<Session<'_>> {
        let (primary, witnesses, _) = self.nodes()?;
        let vault = self.vault.as_mut().ok_or(Error::Locked)?;
        let settings = citywallet_light_client::session::Settings::load(vault)?;
        self.budget.start(match spend {
            Spend::Sync => settings.sync_budget,
            Spend::Action => settings.action_budget,
        });
        let mut s = Session::connect(
            vault,
            self.connect.as_ref(),
            &primary,
            &witnesses,
            self.clock.clone(),
            &self.budget,
        )?
        .with_failover_log(self.failovers.clone());
        if let Some(b) = s.ensure_anchor()? {
            self.notices
                .push(Notice::AnchoredAtGenesis(trusted_out(&b)));
        }
        Ok(s)
    }
}
