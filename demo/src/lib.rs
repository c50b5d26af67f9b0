//! The devnet's demo issuers and its city admin, beside the devnet: they issue demo
//! credentials (the credit bureau's and City Hall's, signed with the keys the devnet wrote
//! into its data directory) and enrol officers and technicians on the chain (a
//! `RegisterRole` transaction signed by the devnet's admin key, sent to its node).
//!
//! This is the issuers' and the admin's business, not the citizen's: the wallet never holds
//! these keys, it receives the credential as any other and proves the role on the chain
//! itself. The app uses this only with a devnet whose data directory it knows (its embedded
//! one, or `CITYWALLET_DEVNET_DATA`), until departments run issuer services.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use citywallet_core::credentials::{
    Credential, CredentialDraft, CredentialType, IssuerKey, biometric_template_hash,
    new_credential_id,
};
use citywallet_light_client::rpc::{ChainNode, HttpNode};
use citywallet_node::devnet::{CITY_HALL_KEY_FILE, CREDIT_BUREAU_KEY_FILE};
use citywallet_protocol::{Account, Action, Code, Role, TxBody, keys};
use ed25519_dalek::Signer as _;
use serde_json::json;
use zeroize::Zeroizing;

/// What can go wrong with the demo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The devnet's key files are missing or damaged.
    #[error("the devnet's demo keys are not usable: {0}")]
    Keys(String),
    /// The devnet's node could not be reached or answered badly.
    #[error("the devnet's node: {0}")]
    Node(String),
    /// The node refused the admin's transaction.
    #[error("the devnet refused the enrolment: {0}")]
    Refused(String),
    /// Issuing failed.
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

/// The demo claims of each credential type, dated `today` (`YYYY-MM-DD`).
pub fn demo_claims(kind: CredentialType, today: &str) -> serde_json::Value {
    match kind {
        CredentialType::Credit => {
            json!({ "score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": today })
        }
        CredentialType::Residency => json!({ "district": "Harbour District", "since": today }),
        CredentialType::Biometric => json!({
            "template_hash": biometric_template_hash(b"demo-salt-0001", b"demo face template"),
            "modality": "face", "office": "City Hall enrolment desk",
        }),
        CredentialType::Officer => {
            json!({ "department": "Field Services", "badge": "FS-1042", "scopes": "verify,review" })
        }
        CredentialType::Technician => {
            json!({
                "department": citywallet_node::devnet::DEVNET_TECHNICIAN_DEPARTMENT,
                "licence": "IOT-7731",
                "scopes": "provision",
            })
        }
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

    fn issuer(&self, kind: CredentialType) -> Result<IssuerKey> {
        let file = match kind {
            CredentialType::Credit => CREDIT_BUREAU_KEY_FILE,
            _ => CITY_HALL_KEY_FILE,
        };
        let bytes = Zeroizing::new(
            std::fs::read(self.data.join(file)).map_err(|e| Error::Keys(format!("{file}: {e}")))?,
        );
        IssuerKey::from_file(&bytes).map_err(|_| Error::Keys(format!("{file} is damaged")))
    }

    /// A demo credential of `kind` for `holder` (a `did:key`), valid for a year from `now`
    /// (Unix seconds), as credential JSON.
    pub fn issue(&self, kind: CredentialType, holder: &str, now: i64) -> Result<Vec<u8>> {
        let key = self.issuer(kind)?;
        let today = tendermint::Time::from_unix_timestamp(now, 0)
            .map_err(|_| Error::Keys("the clock is out of range".into()))?
            .to_rfc3339();
        let claims = demo_claims(kind, &today[..10]);
        let claims = claims
            .as_object()
            .ok_or_else(|| Error::Keys("demo claims".into()))?;
        let id = new_credential_id()?;
        let credential = Credential::issue(
            &CredentialDraft {
                id: &id,
                issuer: &key.id,
                kind,
                holder,
                valid_from: now - 60,
                valid_until: now + 365 * 24 * 3600,
                claims,
            },
            &key.secret,
            &key.public,
        )?;
        Ok(credential.to_json())
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

/// The whole demo request, as a citizen sees it: `demo` issues a credential of `kind` to
/// `wallet`'s identity; for an officer or technician credential the admin enrols the
/// wallet's key and the wallet waits until it proves the role on the chain itself; then the
/// wallet checks and keeps the credential.
pub fn request(
    demo: &Demo,
    wallet: &mut citywallet_wallet::Wallet,
    kind: &str,
    now: i64,
) -> Result<citywallet_wallet::dto::CredentialItem> {
    let kind = CredentialType::parse(kind)?;
    let identity = wallet.identity_info()?;
    let json = demo.issue(kind, &identity.did, now)?;
    if let Some(role) = role_for(kind)
        && !wallet.has_role(role)?
    {
        let key = citywallet_wallet::input::hex32(&identity.public_key_hex, "the identity key")?;
        // The role is held in the department the credential names.
        let claims = demo_claims(kind, "");
        let department = claims["department"].as_str().unwrap_or_default();
        demo.enrol(role, key, department, now)?;
        wallet.await_role(role)?;
    }
    Ok(wallet.import_credential(&json)?)
}
