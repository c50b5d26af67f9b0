//! An organisation's verifier over its own vault (SQLCipher, the wallet's): the
//! organisation key file imported at set-up (the Ed25519 key of its `org/{id}` record on
//! the chain, which signs its requests), the chain's nodes and the light client's trust
//! store, its open requests and their outcomes. The operator asks ([`Service::ask`]) and
//! reads outcomes; [`crate::http`] serves the citizen's wallet.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use citywallet_core::keys::PublicKey;
use citywallet_core::vault::{KdfParams, NodeRole, Passphrase};
use citywallet_protocol::keyfile::OrgKeyFile;
use citywallet_wallet::verifier::{Ask, CreatedRequest, RequestOutcome, VerifierKey};
use citywallet_wallet::{Network, Wallet};
use ed25519_dalek::{Signer as _, SigningKey};

use crate::{Result, VerifierError};

/// The vault file in a data directory.
pub const VAULT_FILE: &str = "verifier.vault";
const CONFIG: &str = "verifier.config";
const SECRET: &str = "verifier.secret";

/// One organisation's verifier, open.
pub struct Service {
    wallet: Wallet,
    org: String,
    key: SigningKey,
    url: String,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("org", &self.org)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn vault_path(data: &Path) -> PathBuf {
    data.join(VAULT_FILE)
}

fn wallet(data: &Path, kdf: KdfParams) -> Wallet {
    Wallet::for_service(&vault_path(data), kdf)
}

fn read_key(bytes: &[u8]) -> Result<(String, SigningKey)> {
    let (file, secret) = OrgKeyFile::parse(bytes)
        .map_err(|_| VerifierError::BadInput("not an organisation key file".into()))?;
    Ok((file.id, SigningKey::from_bytes(&secret)))
}

impl Service {
    /// Set up the verifier of the organisation whose key file is `key_file` in `data`: a
    /// new vault locked with `passphrase`, the key, and the chain's nodes. Refuses a
    /// directory already set up.
    pub fn init(
        data: &Path,
        passphrase: &Passphrase,
        kdf: KdfParams,
        key_file: &[u8],
        network: &Network,
    ) -> Result<Self> {
        if vault_path(data).exists() {
            return Err(VerifierError::Setup(format!(
                "a verifier is already set up in {}",
                data.display()
            )));
        }
        let (org, key) = read_key(key_file)?;
        let mut w = wallet(data, kdf);
        // The vault's recovery phrase is not the organisation's: its key is the one below,
        // and a copy of the encrypted vault is its backup.
        drop(w.create(passphrase, "")?);
        w.add_node(&network.primary, NodeRole::Primary)?;
        for witness in &network.witnesses {
            w.add_node(witness, NodeRole::Witness)?;
        }
        w.store()?.put_document(SECRET, "key", key_file)?;
        Ok(Self {
            wallet: w,
            org,
            key,
            url: String::new(),
        })
    }

    /// Open the verifier set up in `data`.
    pub fn open(data: &Path, passphrase: &Passphrase) -> Result<Self> {
        if !vault_path(data).exists() {
            return Err(VerifierError::Setup(format!(
                "no verifier is set up in {}",
                data.display()
            )));
        }
        let mut w = wallet(data, KdfParams::RECOMMENDED);
        w.unlock(passphrase)?;
        let s = w.store()?;
        let (org, key) = match s.document(SECRET, "key")? {
            Some(d) => read_key(&d.body).map_err(|_| VerifierError::Damaged("key"))?,
            None => return Err(VerifierError::Damaged("key")),
        };
        let url = match s.document(CONFIG, "url")? {
            Some(d) => {
                String::from_utf8(d.body.to_vec()).map_err(|_| VerifierError::Damaged("url"))?
            }
            None => String::new(),
        };
        Ok(Self {
            wallet: w,
            org,
            key,
            url,
        })
    }

    /// The organisation id.
    pub fn org(&self) -> &str {
        &self.org
    }

    /// The public URL the endpoints are served at (kept for the operator's commands).
    pub fn set_url(&mut self, url: &str) -> Result<()> {
        let url = url.trim_end_matches('/');
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(VerifierError::BadInput(
                "the verifier URL must be http(s)".into(),
            ));
        }
        self.wallet
            .store()?
            .replace_document(CONFIG, "url", url.as_bytes())?;
        self.url = url.to_owned();
        Ok(())
    }

    /// Ask for `asks`: a request signed with the organisation's key, for the citizen to
    /// scan or open.
    pub fn ask(&mut self, asks: &[Ask]) -> Result<CreatedRequest> {
        if self.url.is_empty() {
            return Err(VerifierError::Setup(
                "the verifier has no URL yet: serve it once".into(),
            ));
        }
        let public = PublicKey::from_bytes(&self.key.verifying_key().to_bytes())
            .ok_or(VerifierError::Damaged("key"))?;
        let key = &self.key;
        let sign = |m: &[u8]| key.sign(m);
        Ok(self.wallet.ask_as(
            &VerifierKey {
                public,
                sign: &sign,
                org: Some(&self.org),
            },
            asks,
            &self.url,
        )?)
    }

    /// What became of request `id`.
    pub fn outcome(&self, id: &str) -> Result<RequestOutcome> {
        Ok(self.wallet.request_outcome(id)?)
    }

    /// Record on the chain a use of a citizen's data under `grant` (made to this
    /// organisation): the grant is proven active, unexpired and covering `category` first,
    /// and the use proven landed after. The citizen's wallet shows it in the grant's history.
    pub fn record_use(
        &mut self,
        grant: &str,
        category: &str,
        purpose: &str,
    ) -> Result<citywallet_wallet::dto::ReceiptOut> {
        let key = &self.key;
        let signer = citywallet_light_client::act::Signer {
            public: key.verifying_key().to_bytes(),
            sign: Box::new(move |m| key.sign(m).to_bytes()),
        };
        Ok(self.wallet.record_data_use_as(
            &signer,
            &citywallet_light_client::act::NewUse {
                grant,
                category,
                purpose,
            },
        )?)
    }

    /// The organisation's record on the chain, proven now: whether it is registered, active
    /// and holds this key.
    pub fn status(&mut self) -> Result<(Option<citywallet_protocol::OrgRecord>, bool)> {
        let (rec, _) = self.wallet.proven_org(&self.org)?;
        let matches = rec.as_ref().is_some_and(|r| {
            r.key
                .eq_ignore_ascii_case(&hex::encode(self.key.verifying_key().to_bytes()))
        });
        Ok((rec, matches))
    }
}

/// The service behind the HTTP endpoints.
impl crate::http::Backend for Mutex<Service> {
    fn request_object(&self, id: &str) -> citywallet_wallet::Result<String> {
        let s = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.wallet.request_object(id)
    }

    fn respond(&self, form: Vec<(String, String)>) -> citywallet_wallet::Result<RequestOutcome> {
        let mut s = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.wallet.receive_response(&form)
    }
}
