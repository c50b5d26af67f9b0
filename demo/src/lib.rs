//! The devnet's demo path, as a citizen's app or command line takes it: a demo credential
//! comes from the devnet's demo issuers, which are issuer services (`citywallet-issuer
//! demo`, in their own process; `DEVNET/demo-issuers.json` says where), over OpenID4VCI
//! like any credential; officers and technicians are then enrolled on the chain by the
//! devnet's admin (a `RegisterRole` transaction signed with the admin key the devnet wrote
//! into its data directory, sent to its node), and the wallet proves the role itself.
//!
//! No issuer key is read here: the wallet receives the credential as from any issuer.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use citywallet_core::credentials::CredentialType;
use citywallet_light_client::rpc::{ChainNode, HttpNode};
use citywallet_protocol::{Account, Action, Code, Role, TxBody, keys};
use ed25519_dalek::Signer as _;

/// What can go wrong with the demo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The devnet's admin key file is missing or damaged.
    #[error("the devnet's demo keys are not usable: {0}")]
    Keys(String),
    /// No demo issuer runs for this devnet, or none offers the type.
    #[error("no demo issuer serves this devnet: {0}")]
    NoIssuer(String),
    /// The demo issuer did not make an offer.
    #[error("the demo issuer: {0}")]
    Issuer(String),
    /// The devnet's node could not be reached or answered badly.
    #[error("the devnet's node: {0}")]
    Node(String),
    /// The node refused the admin's transaction.
    #[error("the devnet refused the enrolment: {0}")]
    Refused(String),
    /// A credential type that is not one.
    #[error(transparent)]
    Core(#[from] citywallet_core::Error),
    /// The wallet refused or failed (importing, proving the role).
    #[error(transparent)]
    Wallet(#[from] citywallet_wallet::Error),
}

impl Error {
    /// Stable code: `no_demo_issuer` (the demo cannot be used here) or the core error's.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Core(e) => e.code(),
            Self::Wallet(e) => e.code().as_str(),
            _ => "no_demo_issuer",
        }
    }

    /// True unless the wallet failed internally.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Wallet(e) => e.is_user_error(),
            _ => true,
        }
    }
}

/// `Result` with the demo's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The role a credential of `kind` comes with on the chain, if any.
pub fn role_for(kind: CredentialType) -> Option<Role> {
    match kind {
        CredentialType::Officer => Some(Role::Officer),
        CredentialType::Technician => Some(Role::Technician),
        _ => None,
    }
}

/// The demo issuers and admin of one devnet.
#[derive(Debug, Clone)]
pub struct Demo {
    data: PathBuf,
    primary: String,
}

impl Demo {
    /// The demo of the devnet whose data directory is `data`, served at `primary` (its RPC).
    pub fn new(data: &Path, primary: &str) -> Self {
        Self {
            data: data.to_owned(),
            primary: primary.to_owned(),
        }
    }

    /// A fresh offer of a `kind` credential for the demo citizen, from the demo issuer
    /// that offers it (an `openid-credential-offer://` URI).
    pub fn offer(&self, kind: CredentialType) -> Result<String> {
        let issuers = citywallet_issuer::demo::read_demo_issuers(&self.data).ok_or_else(|| {
            Error::NoIssuer(format!(
                "{} is missing: start the demo issuers (citywallet-issuer demo)",
                citywallet_issuer::demo::DEMO_ISSUERS_FILE
            ))
        })?;
        let issuer = issuers
            .iter()
            .find(|i| i.credentials.iter().any(|c| c == kind.as_str()))
            .ok_or_else(|| Error::NoIssuer(format!("none offers {} credentials", kind.as_str())))?;
        let issuer_error = |e: reqwest::Error| Error::Issuer(e.to_string());
        let answer: serde_json::Value = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(issuer_error)?
            .post(format!("{}/demo/offer", issuer.url))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::json!({ "credential": kind.as_str() }).to_string())
            .send()
            .and_then(reqwest::blocking::Response::error_for_status)
            .and_then(reqwest::blocking::Response::bytes)
            .map_err(issuer_error)
            .and_then(|b| {
                serde_json::from_slice(&b)
                    .map_err(|_| Error::Issuer("the answer is not JSON".into()))
            })?;
        answer["offer"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Error::Issuer("the answer has no offer".into()))
    }

    /// Give `key` the `role` in `department` on the chain: the admin signs a `RegisterRole`
    /// transaction and sends it to the devnet's node. It lands in a later block; the wallet
    /// proves it.
    pub fn enrol(&self, role: Role, key: [u8; 32], department: &str, now: i64) -> Result<()> {
        let admin = citywallet_node::devnet::admin_key(&self.data)
            .map_err(|e| Error::Keys(e.to_string()))?;
        let node = HttpNode::new(&self.primary, Duration::from_secs(10))
            .map_err(|e| Error::Node(e.to_string()))?;
        let node_err = |e: citywallet_light_client::FetchError| Error::Node(e.to_string());
        let latest =
            citywallet_light_client::sync::Provider::light_block(&node, None).map_err(node_err)?;
        let height = latest.height().value();
        let public = admin.verifying_key().to_bytes();
        let account: Account = node
            .query(&keys::account(&public), height)
            .map_err(node_err)?
            .value
            .map(|v| serde_json::from_slice(&v))
            .transpose()
            .map_err(|_| Error::Node("the admin's account record is not valid".into()))?
            .unwrap_or_default();
        // Another admin transaction may be waiting in the mempool with the committed nonce
        // (two enrolments at once): the node then takes the next one.
        let mut last = String::new();
        for nonce in account.nonce..account.nonce.saturating_add(MAX_PENDING_ADMIN_TXS) {
            let tx = TxBody {
                chain_id: latest.signed_header.header.chain_id.to_string(),
                signer: public,
                nonce,
                expires_at: u64::try_from(now).unwrap_or(0) + 600,
                action: Action::RegisterRole {
                    role,
                    key,
                    department: department.to_owned(),
                },
            }
            .sign_with(|m| admin.sign(m).to_bytes())
            .encode();
            let r = node.broadcast_tx(&tx).map_err(node_err)?;
            if r.code == Code::Ok.value() {
                return Ok(());
            }
            if r.code != Code::BadNonce.value() {
                return Err(Error::Refused(r.log));
            }
            last = r.log;
        }
        Err(Error::Refused(last))
    }
}

/// How many admin transactions may wait ahead of an enrolment before it gives up.
const MAX_PENDING_ADMIN_TXS: u64 = 16;

/// The whole demo request, as a citizen sees it: the demo issuer offers a credential of
/// `kind`, the wallet takes it with OpenID4VCI (checking it against the chain); for an
/// officer or technician credential the admin then enrols the wallet's key and the wallet
/// waits until it proves the role on the chain itself.
pub fn request(
    demo: &Demo,
    wallet: &mut citywallet_wallet::Wallet,
    kind: &str,
    now: i64,
) -> Result<citywallet_wallet::dto::CredentialItem> {
    let kind = CredentialType::parse(kind)?;
    let offer = demo.offer(kind)?;
    let item = wallet.accept_offer(&offer, None)?;
    if let Some(role) = role_for(kind)
        && !wallet.has_role(role)?
    {
        let identity = wallet.identity_info()?;
        let key = citywallet_wallet::input::hex32(&identity.public_key_hex, "the identity key")?;
        // The role is held in the department the credential names.
        let claims = citywallet_issuer::service::demo_claims(kind, "");
        let department = claims
            .get("department")
            .map(String::as_str)
            .unwrap_or_default();
        demo.enrol(role, key, department, now)?;
        wallet.await_role(role)?;
    }
    Ok(item)
}

/// The demo request for a private credential of `kind` (credit, biometric or residency):
/// the demo issuer offers it, the wallet takes it with a commitment to its holder secret
/// and the issuer signs blindly. Nothing names the citizen in what it later shows.
pub fn request_private(
    demo: &Demo,
    wallet: &mut citywallet_wallet::Wallet,
    kind: &str,
) -> Result<citywallet_wallet::dto::CredentialItem> {
    let kind = CredentialType::parse(kind)?;
    if !kind.may_be_private() {
        return Err(citywallet_wallet::Error::CredentialUnsupported(format!(
            "an {} credential names its holder: it cannot be private",
            kind.as_str()
        ))
        .into());
    }
    let offer = demo.offer(kind)?;
    Ok(wallet.accept_offer_private(&offer, None)?)
}

/// [`request_private`] when `private`, else [`request`].
pub fn request_as(
    demo: &Demo,
    wallet: &mut citywallet_wallet::Wallet,
    kind: &str,
    private: bool,
    now: i64,
) -> Result<citywallet_wallet::dto::CredentialItem> {
    if private {
        request_private(demo, wallet, kind)
    } else {
        request(demo, wallet, kind, now)
    }
}
