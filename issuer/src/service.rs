//! One department's issuer: set up and opened over its vault, the operator's work (records,
//! offers, revocations), and the OpenID4VCI endpoints' logic (metadata, token, nonce,
//! credential). HTTP is in [`crate::http`]; this part is synchronous and testable alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use citywallet_core::credentials::{CredentialType, IssuerKey};
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_vc::{base, city};
use citywallet_wallet::{Network, Wallet};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::store::{self, Citizen, Identity, Issued, Offer, OfferEntry, Token};
use crate::{IssuerError, Result, jwt};

/// The pre-authorized code grant type.
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// How long an offer's code may wait, unless the operator says otherwise, seconds.
pub const DEFAULT_OFFER_TTL_SECS: i64 = 7 * 24 * 3600;
/// How long an access token lives, seconds.
pub const TOKEN_TTL_SECS: i64 = 300;
/// The refresh token grant type.
pub const REFRESH_GRANT: &str = "refresh_token";
/// How long a refresh token lives (each use gives a new one), seconds.
pub const REFRESH_TTL_SECS: i64 = 90 * 24 * 3600;
/// How long a nonce lives, seconds.
pub const NONCE_TTL_SECS: i64 = 300;
/// How long a credential holds, seconds.
pub const CREDENTIAL_VALIDITY_SECS: i64 = 365 * 24 * 3600;
/// The validity window of private credentials (holder binding with pseudonyms): each one
/// holds from a window's start to its end, so every holder of a type and window has the same
/// validity, label map and BBS header; the wallet refreshes it for the next window.
pub const PRIVATE_WINDOW_SECS: i64 = 7 * 24 * 3600;
/// The credential request parameter with the holder's commitment (base64url) to its holder
/// secret and prover nym: the request for a private credential (the wallet's name for it).
pub use citywallet_wallet::issuance::{HOLDER_COMMITMENT_PARAM, PRIVATE_SUPPORTED_PARAM};
/// Wrong transaction codes before an offer is void.
pub const MAX_TX_CODE_TRIES: u32 = 3;
/// Digits of a transaction code.
pub const TX_CODE_DIGITS: usize = 6;
/// The vault file in a data directory.
pub const VAULT_FILE: &str = "issuer.vault";

/// What `init` sets up.
#[derive(Debug)]
pub struct Setup<'a> {
    /// Registry id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Credential types offered.
    pub kinds: &'a [CredentialType],
    /// Keys to import (an issuer key file with its operator key), else new ones.
    pub key_file: Option<&'a [u8]>,
    /// The chain's nodes: primary, then witnesses.
    pub network: Network,
    /// The private credentials' window, seconds (default [`PRIVATE_WINDOW_SECS`]).
    pub private_window_secs: Option<i64>,
}

/// An offer just made: what the operator hands the citizen. `Debug` shows neither the URI
/// (it carries the pre-authorized code) nor the transaction code.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedOffer {
    /// Offer id.
    pub id: String,
    /// `openid-credential-offer://?credential_offer=…`.
    pub uri: String,
    /// The transaction code, to send the citizen another way, when one is required.
    pub tx_code: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for CreatedOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedOffer")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A token request (form fields). `Debug` shows no code.
#[derive(Default, Deserialize)]
pub struct TokenRequest {
    /// Grant type.
    pub grant_type: Option<String>,
    /// The offer's code.
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: Option<String>,
    /// The transaction code.
    pub tx_code: Option<String>,
    /// The refresh token, for the refresh token grant.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .finish_non_exhaustive()
    }
}

/// One department's issuer, open.
pub struct Issuer {
    wallet: Wallet,
    identity: Identity,
    key: IssuerKey,
    url: String,
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("identity", &self.identity)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The system clock, Unix seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// RFC 3339 in seconds, UTC.
pub fn rfc3339(secs: i64) -> Result<String> {
    tendermint::Time::from_unix_timestamp(secs, 0)
        .map(|t| t.to_rfc3339())
        .map_err(|_| IssuerError::BadInput("the clock is out of range".into()))
}

fn vault_path(data: &Path) -> PathBuf {
    data.join(VAULT_FILE)
}

fn wallet(data: &Path, kdf: KdfParams) -> Wallet {
    Wallet::for_service(&vault_path(data), kdf)
}

impl Issuer {
    /// Set up an issuer in `data`: a new vault locked with `passphrase`, its identity, its
    /// keys (imported or new) and the chain's nodes. Refuses a directory already set up.
    pub fn init(
        data: &Path,
        passphrase: &Passphrase,
        kdf: KdfParams,
        setup: &Setup<'_>,
    ) -> Result<Self> {
        citywallet_protocol::rules::check_id(setup.id, citywallet_protocol::rules::Field::IssuerId)
            .map_err(|e| IssuerError::BadInput(e.to_string()))?;
        if setup.kinds.is_empty() {
            return Err(IssuerError::BadInput(
                "an issuer offers at least one credential type".into(),
            ));
        }
        if vault_path(data).exists() {
            return Err(IssuerError::Setup(format!(
                "an issuer is already set up in {}",
                data.display()
            )));
        }
        let key = match setup.key_file {
            Some(bytes) => {
                let key = IssuerKey::from_file(bytes)?;
                key.operator()?;
                if key.id != setup.id {
                    return Err(IssuerError::BadInput(format!(
                        "the key file is issuer {}'s, not {}'s",
                        key.id, setup.id
                    )));
                }
                key
            }
            None => IssuerKey::generate(setup.id)?,
        };
        let mut w = wallet(data, kdf);
        // The vault's recovery phrase is not the issuer's: its keys are the ones below, and a
        // copy of the encrypted vault is its backup.
        drop(w.create(passphrase, "")?);
        w.add_node(
            &setup.network.primary,
            citywallet_core::vault::NodeRole::Primary,
        )?;
        for witness in &setup.network.witnesses {
            w.add_node(witness, citywallet_core::vault::NodeRole::Witness)?;
        }
        let window = setup.private_window_secs.unwrap_or(PRIVATE_WINDOW_SECS);
        let longest = citywallet_protocol::rules::MAX_REVOCATION_DELAY_SECS as i64;
        if !(1..=longest).contains(&window) {
            return Err(IssuerError::BadInput(format!(
                "the private credentials' window is 1 to {longest} seconds"
            )));
        }
        let identity = Identity {
            id: setup.id.to_owned(),
            name: setup.name.to_owned(),
            kinds: setup.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
            bbs_public_key: key.public.to_hex(),
            private_window_secs: window,
        };
        let file = key
            .to_file()
            .to_json()
            .map_err(|_| IssuerError::Damaged("key"))?;
        let s = w.store()?;
        s.put_document(store::SECRET, "keys", &file)?;
        s.put_document(store::CONFIG, "identity", &store::encode(&identity)?)?;
        Ok(Self {
            wallet: w,
            identity,
            key,
            url: String::new(),
            clock: Arc::new(unix_now),
        })
    }

    /// Open the issuer set up in `data`.
    pub fn open(data: &Path, passphrase: &Passphrase) -> Result<Self> {
        if !vault_path(data).exists() {
            return Err(IssuerError::Setup(format!(
                "no issuer is set up in {}",
                data.display()
            )));
        }
        let mut w = wallet(data, KdfParams::RECOMMENDED);
        w.unlock(passphrase)?;
        let s = w.store()?;
        let identity: Identity = match s.document(store::CONFIG, "identity")? {
            Some(d) => store::decode(&d.body, "identity")?,
            None => return Err(IssuerError::Damaged("identity")),
        };
        let key = match s.document(store::SECRET, "keys")? {
            Some(d) => IssuerKey::from_file(&d.body).map_err(|_| IssuerError::Damaged("key"))?,
            None => return Err(IssuerError::Damaged("key")),
        };
        let url = match s.document(store::CONFIG, "url")? {
            Some(d) => {
                String::from_utf8(d.body.to_vec()).map_err(|_| IssuerError::Damaged("url"))?
            }
            None => String::new(),
        };
        Ok(Self {
            wallet: w,
            identity,
            key,
            url,
            clock: Arc::new(unix_now),
        })
    }

    /// Judge time by `clock` (Unix seconds) instead of the system's.
    pub fn with_clock(mut self, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> Self {
        self.clock = clock;
        self
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Its identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Its credential issuer URL (where it is served), empty until first served.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serve at `url` from now on (offers carry it; proofs must name it).
    pub fn set_url(&mut self, url: &str) -> Result<()> {
        let url = url.trim_end_matches('/');
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(IssuerError::BadInput(
                "the issuer URL must be http(s)".into(),
            ));
        }
        self.wallet
            .store()?
            .replace_document(store::CONFIG, "url", url.as_bytes())?;
        self.url = url.to_owned();
        Ok(())
    }

    // ---- the department's records ----

    /// Add or replace a citizen's record; every entitlement must be a credential type this
    /// issuer offers with every claim of its type, valid by the type's rules.
    pub fn put_citizen(&mut self, citizen: &Citizen) -> Result<()> {
        citywallet_protocol::rules::check_id(
            &citizen.id,
            citywallet_protocol::rules::Field::IssuerId,
        )
        .map_err(|_| IssuerError::BadInput(format!("{:?} is not a record id", citizen.id)))?;
        for (kind, claims) in &citizen.entitlements {
            let kind = self.offered(kind)?;
            self.document_for(
                kind,
                claims,
                "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH",
                0,
            )?;
        }
        Ok(self.wallet.store()?.replace_document(
            store::CITIZEN,
            &citizen.id,
            &store::encode(citizen)?,
        )?)
    }

    /// Every citizen record.
    pub fn citizens(&mut self) -> Result<Vec<Citizen>> {
        self.wallet
            .store()?
            .documents(store::CITIZEN)?
            .iter()
            .map(|d| store::decode(&d.body, "citizen"))
            .collect()
    }

    fn citizen(&mut self, id: &str) -> Result<Citizen> {
        match self.wallet.store()?.document(store::CITIZEN, id)? {
            Some(d) => store::decode(&d.body, "citizen"),
            None => Err(IssuerError::UnknownCitizen(id.to_owned())),
        }
    }

    fn offered(&self, kind: &str) -> Result<CredentialType> {
        let k = CredentialType::parse(kind)?;
        if !self.identity.kinds.iter().any(|o| o == k.as_str()) {
            return Err(IssuerError::BadInput(format!(
                "{} does not issue {kind} credentials",
                self.identity.id
            )));
        }
        Ok(k)
    }

    fn document_for(
        &self,
        kind: CredentialType,
        claims: &BTreeMap<String, String>,
        holder: &str,
        now: i64,
    ) -> Result<(String, Value)> {
        let id = citywallet_core::credentials::new_credential_id()?;
        let pairs: Vec<(&str, &str)> = claims
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let issuer = city::issuer_iri(&self.identity.id);
        let doc = city::document(&city::Draft {
            kind,
            id: &id,
            issuer: &issuer,
            holder,
            claims: &pairs,
            valid_from: &rfc3339(now - 60)?,
            valid_until: &rfc3339(now + CREDENTIAL_VALIDITY_SECS)?,
        })
        .map_err(|e| match e {
            citywallet_vc::VcError::InvalidClaim(c) => IssuerError::BadInput(format!(
                "claim {c} is missing or not valid for a {kind} credential",
                kind = kind.as_str()
            )),
            e => e.into(),
        })?;
        Ok((id, doc))
    }

    /// A private credential (holder binding with pseudonyms, no ids) for `citizen` over the
    /// holder's checked `commitment`: valid for the current window; the label key is the
    /// issuer's for the type and window, and the nym entropy the issuer's for the citizen and
    /// type, both derived from the issuer's secret key (HMAC-SHA-256, each with its own
    /// label), so a refreshed credential keeps the citizen's pseudonyms. Returns the
    /// issuer's own record id, the credential and its end.
    fn private_credential(
        &self,
        kind: CredentialType,
        claims: &BTreeMap<String, String>,
        citizen: &str,
        commitment: &[u8],
        now: i64,
    ) -> Result<(String, Value, i64)> {
        let window = self.identity.private_window_secs;
        let start = now - now.rem_euclid(window);
        let end = start + window;
        let pairs: Vec<(&str, &str)> = claims
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let issuer = city::issuer_iri(&self.identity.id);
        let document = city::private_document(&city::Draft {
            kind,
            id: "",
            issuer: &issuer,
            holder: "",
            claims: &pairs,
            valid_from: &rfc3339(start)?,
            valid_until: &rfc3339(end)?,
        })?;
        let secret = self.key.secret.to_bytes();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_ref());
        let mac = |parts: &[&[u8]]| {
            let mut ctx = ring::hmac::Context::with_key(&key);
            for p in parts {
                ctx.update(&(p.len() as u32).to_be_bytes());
                ctx.update(p);
            }
            let tag = ctx.sign();
            let mut out = Zeroizing::new([0u8; 32]);
            out.copy_from_slice(tag.as_ref());
            out
        };
        let window = start.to_be_bytes();
        let hmac_key = mac(&[
            b"CityWallet bbs-2023 label key",
            kind.as_str().as_bytes(),
            &window,
        ]);
        let entropy = citywallet_core::credentials::pseudonym::scalar_from_secret(&mac(&[
            b"CityWallet nym entropy",
            citizen.as_bytes(),
            kind.as_str().as_bytes(),
        ]));
        let signed = base::sign_document_nym(
            &document,
            &base::proof_options(
                &city::verification_method(&self.identity.id),
                &rfc3339(start)?,
            ),
            &city::private_mandatory_pointers(),
            &self.key.secret,
            &self.key.public,
            &hmac_key,
            commitment,
            &entropy,
        )?;
        Ok((
            citywallet_core::credentials::new_credential_id()?,
            signed,
            end,
        ))
    }

    // ---- offers ----

    /// Offer citizen `citizen` a credential of `kind` their record entitles them to; with
    /// `tx_code`, redeeming it needs a code sent another way too.
    pub fn create_offer(
        &mut self,
        citizen: &str,
        kind: &str,
        tx_code: bool,
        ttl_secs: Option<i64>,
    ) -> Result<CreatedOffer> {
        if self.url.is_empty() {
            return Err(IssuerError::Setup(
                "the issuer has no URL yet: serve it once, or give --url".into(),
            ));
        }
        let k = self.offered(kind)?;
        let record = self.citizen(citizen)?;
        if !record.entitlements.contains_key(k.as_str()) {
            return Err(IssuerError::NotEntitled {
                citizen: citizen.to_owned(),
                kind: k.as_str().to_owned(),
            });
        }
        let now = self.now();
        let ttl = ttl_secs.unwrap_or(DEFAULT_OFFER_TTL_SECS);
        if !(60..=90 * 24 * 3600).contains(&ttl) {
            return Err(IssuerError::BadInput(
                "an offer lives between a minute and 90 days".into(),
            ));
        }
        let code = store::random_text(32)?;
        let pin = if tx_code {
            Some(store::random_digits(TX_CODE_DIGITS)?)
        } else {
            None
        };
        let offer = Offer {
            id: format!("offer-{}", store::random_hex(8)?),
            citizen: citizen.to_owned(),
            kind: k.as_str().to_owned(),
            tx_code_sha256: pin.as_deref().map(store::digest),
            failed_tx_codes: 0,
            expires_at: now + ttl,
        };
        let entry = OfferEntry {
            id: offer.id.clone(),
            citizen: offer.citizen.clone(),
            kind: offer.kind.clone(),
            created_at: now,
            expires_at: offer.expires_at,
            state: "open".into(),
            credential_id: None,
        };
        let s = self.wallet.store()?;
        s.put_document(store::OFFER, &store::digest(&code), &store::encode(&offer)?)?;
        s.put_document(store::OFFER_LOG, &offer.id, &store::encode(&entry)?)?;
        let mut grant = json!({ "pre-authorized_code": code });
        if pin.is_some() {
            grant["tx_code"] = json!({
                "input_mode": "numeric",
                "length": TX_CODE_DIGITS,
                "description": format!("The code {} sent you", self.identity.name),
            });
        }
        let body = json!({
            "credential_issuer": self.url,
            "credential_configuration_ids": [city::type_name(k)],
            "grants": { PRE_AUTHORIZED_GRANT: grant },
        });
        let uri = format!(
            "openid-credential-offer://?credential_offer={}",
            percent_encoding::utf8_percent_encode(
                &body.to_string(),
                percent_encoding::NON_ALPHANUMERIC
            )
        );
        Ok(CreatedOffer {
            id: offer.id,
            uri,
            tx_code: pin,
            expires_at: offer.expires_at,
        })
    }

    /// Every offer made, with what became of it.
    pub fn offers(&mut self) -> Result<Vec<OfferEntry>> {
        self.wallet
            .store()?
            .documents(store::OFFER_LOG)?
            .iter()
            .map(|d| store::decode(&d.body, "offer"))
            .collect()
    }

    /// Every credential issued.
    pub fn issued(&mut self) -> Result<Vec<Issued>> {
        self.wallet
            .store()?
            .documents(store::ISSUED)?
            .iter()
            .map(|d| store::decode(&d.body, "issued credential"))
            .collect()
    }

    fn log_offer(&mut self, id: &str, state: &str, credential: Option<&str>) -> Result<()> {
        let s = self.wallet.store()?;
        if let Some(d) = s.document(store::OFFER_LOG, id)? {
            let mut entry: OfferEntry = store::decode(&d.body, "offer")?;
            entry.state = state.to_owned();
            if let Some(c) = credential {
                entry.credential_id = Some(c.to_owned());
            }
            s.replace_document(store::OFFER_LOG, id, &store::encode(&entry)?)?;
        }
        Ok(())
    }

    // ---- the chain ----

    /// Revoke credential `credential_id` on the chain: the operator key signs, the light
    /// client proves the issuer record first and the revocation after.
    pub fn revoke(
        &mut self,
        credential_id: &str,
        reason: &str,
    ) -> Result<citywallet_wallet::dto::ReceiptOut> {
        let file = self
            .key
            .to_file()
            .to_json()
            .map_err(|_| IssuerError::Damaged("key"))?;
        Ok(self
            .wallet
            .revoke_credential(&file, credential_id, reason)?)
    }

    /// This issuer's record on the chain, proven, and whether it matches this issuer's key.
    pub fn chain_record(&mut self) -> Result<(Option<citywallet_protocol::IssuerRecord>, u64)> {
        Ok(self.wallet.proven_issuer(&self.identity.id)?)
    }

    // ---- OpenID4VCI ----

    /// The credential issuer metadata (`/.well-known/openid-credential-issuer`).
    pub fn metadata(&self) -> Value {
        let mut configurations = serde_json::Map::new();
        for kind in self
            .identity
            .kinds
            .iter()
            .filter_map(|k| CredentialType::parse(k).ok())
        {
            let name = city::type_name(kind);
            let mut configuration = json!({
                    "format": "ldp_vc",
                    "scope": name,
                    "credential_definition": {
                        "@context": [citywallet_vc::contexts::CREDENTIALS_V2, city::CONTEXT],
                        "type": ["VerifiableCredential", name],
                    },
                    "cryptographic_binding_methods_supported": ["did:key"],
                    "credential_signing_alg_values_supported": ["bbs-2023"],
                    "proof_types_supported": {
                        "jwt": { "proof_signing_alg_values_supported": ["EdDSA"] }
                    },
                    "credential_metadata": {
                        "display": [{ "name": name, "locale": "en" }],
                    },
                    "display": [{ "name": name, "locale": "en" }],
            });
            if kind.may_be_private() {
                configuration[PRIVATE_SUPPORTED_PARAM] = Value::Bool(true);
            }
            configurations.insert(name.to_owned(), configuration);
        }
        json!({
            "credential_issuer": self.url,
            "authorization_servers": [self.url],
            "credential_endpoint": format!("{}/credential", self.url),
            "nonce_endpoint": format!("{}/nonce", self.url),
            "display": [{ "name": self.identity.name, "locale": "en" }],
            "credential_configurations_supported": configurations,
        })
    }

    /// The authorization server metadata (`/.well-known/oauth-authorization-server`): the
    /// issuer is its own, for the pre-authorized code grant only.
    pub fn authorization_metadata(&self) -> Value {
        json!({
            "issuer": self.url,
            "token_endpoint": format!("{}/token", self.url),
            "grant_types_supported": [PRE_AUTHORIZED_GRANT, REFRESH_GRANT],
            "pre-authorized_grant_anonymous_access_supported": true,
            "response_types_supported": [],
        })
    }

    /// The token endpoint: a pre-authorized code (once, before it expires, with its
    /// transaction code when it needs one), or a refresh token (once: it is rotated), for an
    /// access token and a refresh token. A refreshed access token gets private credentials
    /// only, and only while the citizen is entitled and the credential is not revoked.
    pub fn token(&mut self, req: &TokenRequest) -> Result<Value> {
        let grant = match req.grant_type.as_deref() {
            Some(PRE_AUTHORIZED_GRANT) => self.redeem_offer(req)?,
            Some(REFRESH_GRANT) => self.redeem_refresh(req)?,
            _ => {
                return Err(IssuerError::InvalidRequest(
                    "only the pre-authorized code and refresh token grants",
                ));
            }
        };
        let now = self.now();
        let token = store::random_text(32)?;
        let refresh = store::random_text(32)?;
        let s = self.wallet.store()?;
        s.expire_documents(store::REFRESH, now - REFRESH_TTL_SECS)?;
        s.put_document(
            store::REFRESH,
            &store::digest(&refresh),
            &store::encode(&store::Refresh {
                offer: grant.offer.clone(),
                citizen: grant.citizen.clone(),
                kind: grant.kind.clone(),
                expires_at: now + REFRESH_TTL_SECS,
            })?,
        )?;
        s.put_document(
            store::TOKEN,
            &store::digest(&token),
            &store::encode(&grant)?,
        )?;
        Ok(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_SECS,
            "refresh_token": refresh,
        }))
    }

    fn redeem_offer(&mut self, req: &TokenRequest) -> Result<Token> {
        let code = req
            .pre_authorized_code
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 256)
            .ok_or(IssuerError::InvalidRequest("no pre-authorized_code"))?;
        let now = self.now();
        let s = self.wallet.store()?;
        let Some(d) = s.take_document(store::OFFER, &store::digest(code))? else {
            return Err(IssuerError::InvalidGrant("the code is unknown or used"));
        };
        let mut offer: Offer = store::decode(&d.body, "offer")?;
        if offer.expires_at < now {
            self.log_offer(&offer.id, "expired", None)?;
            return Err(IssuerError::InvalidGrant("the offer expired"));
        }
        if let Some(want) = &offer.tx_code_sha256 {
            let given = req.tx_code.as_deref().map(store::digest);
            let same = given.as_deref().is_some_and(|g| {
                bool::from(subtle::ConstantTimeEq::ct_eq(g.as_bytes(), want.as_bytes()))
            });
            if !same {
                offer.failed_tx_codes += 1;
                if offer.failed_tx_codes < MAX_TX_CODE_TRIES {
                    self.wallet.store()?.put_document(
                        store::OFFER,
                        &store::digest(code),
                        &store::encode(&offer)?,
                    )?;
                } else {
                    self.log_offer(&offer.id, "void", None)?;
                }
                return Err(IssuerError::InvalidGrant("the transaction code is wrong"));
            }
        }
        self.log_offer(&offer.id, "redeemed", None)?;
        Ok(Token {
            offer: offer.id,
            citizen: offer.citizen,
            kind: offer.kind,
            expires_at: now + TOKEN_TTL_SECS,
            private_only: false,
        })
    }

    fn redeem_refresh(&mut self, req: &TokenRequest) -> Result<Token> {
        let given = req
            .refresh_token
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 256)
            .ok_or(IssuerError::InvalidRequest("no refresh_token"))?;
        let now = self.now();
        let name = store::digest(given);
        let refresh: store::Refresh = match self.wallet.store()?.document(store::REFRESH, &name)? {
            Some(d) => store::decode(&d.body, "refresh token")?,
            None => {
                return Err(IssuerError::InvalidGrant(
                    "the refresh token is unknown or used",
                ));
            }
        };
        if refresh.expires_at < now {
            return Err(IssuerError::InvalidGrant("the refresh token expired"));
        }
        let revoked = self
            .wallet
            .store()?
            .document(
                store::PRIVATE_REVOKED,
                &store::private_revoked_name(&refresh.citizen, &refresh.kind),
            )?
            .is_some();
        let entitled = self
            .citizen(&refresh.citizen)
            .is_ok_and(|c| c.entitlements.contains_key(&refresh.kind));
        if revoked || !entitled {
            return Err(IssuerError::InvalidGrant(
                "the credential was revoked, or the citizen is no longer entitled to it",
            ));
        }
        // Spent only once it checked out: a refused refresh leaves the token as it was.
        if self
            .wallet
            .store()?
            .take_document(store::REFRESH, &name)?
            .is_none()
        {
            return Err(IssuerError::InvalidGrant(
                "the refresh token is unknown or used",
            ));
        }
        Ok(Token {
            offer: refresh.offer,
            citizen: refresh.citizen,
            kind: refresh.kind,
            expires_at: now + TOKEN_TTL_SECS,
            private_only: true,
        })
    }

    /// Revoke citizen `citizen`'s private credential of `kind` (it has no id to revoke on
    /// the chain): no refresh and no new private credential of that type for the citizen
    /// from now on; the one held stops passing checks at its window's end, within the
    /// issuer's revocation bound on the chain.
    pub fn revoke_private(&mut self, citizen: &str, kind: &str, reason: &str) -> Result<()> {
        let k = self.offered(kind)?;
        self.citizen(citizen)?;
        citywallet_protocol::rules::check_text(reason, citywallet_protocol::rules::Field::Reason)
            .map_err(|e| IssuerError::BadInput(format!("the reason {e}")))?;
        let at = self.now();
        Ok(self.wallet.store()?.replace_document(
            store::PRIVATE_REVOKED,
            &store::private_revoked_name(citizen, k.as_str()),
            &store::encode(&store::PrivateRevocation {
                citizen: citizen.to_owned(),
                kind: k.as_str().to_owned(),
                reason: reason.to_owned(),
                at,
            })?,
        )?)
    }

    /// The nonce endpoint: a fresh nonce for one proof.
    pub fn nonce(&mut self) -> Result<Value> {
        let now = self.now();
        let s = self.wallet.store()?;
        s.expire_documents(store::NONCE, now - NONCE_TTL_SECS)?;
        s.expire_documents(store::TOKEN, now - 2 * TOKEN_TTL_SECS)?;
        let nonce = store::random_text(24)?;
        s.put_document(store::NONCE, &nonce, b"{}")?;
        Ok(json!({ "c_nonce": nonce }))
    }

    /// The credential endpoint: for the access token `bearer`, the credential its offer
    /// names, bound to the key the proof of possession was signed with.
    pub fn credential(&mut self, bearer: Option<&str>, request: &Value) -> Result<Value> {
        let now = self.now();
        let bearer = bearer
            .filter(|b| !b.is_empty() && b.len() <= 256)
            .ok_or(IssuerError::InvalidToken)?;
        let token_name = store::digest(bearer);
        let grant: Token = match self.wallet.store()?.document(store::TOKEN, &token_name)? {
            Some(d) => store::decode(&d.body, "token")?,
            None => return Err(IssuerError::InvalidToken),
        };
        if grant.expires_at < now {
            return Err(IssuerError::InvalidToken);
        }
        let request = request
            .as_object()
            .ok_or(IssuerError::InvalidRequest("the request is not an object"))?;
        let configuration = request
            .get("credential_configuration_id")
            .and_then(Value::as_str)
            .ok_or(IssuerError::InvalidRequest(
                "no credential_configuration_id",
            ))?;
        let kind = city::kind_of(configuration).ok_or(IssuerError::UnknownConfiguration)?;
        if kind.as_str() != grant.kind {
            return Err(IssuerError::UnknownConfiguration);
        }
        let jwt = proof_jwt(request)?;
        let commitment = holder_commitment(request)?;
        if commitment.is_some() && !kind.may_be_private() {
            return Err(IssuerError::InvalidRequest(
                "an officer's or technician's credential names its holder: it is not signed blindly",
            ));
        }
        if grant.private_only && commitment.is_none() {
            return Err(IssuerError::InvalidRequest(
                "a refreshed access token is for a private credential only",
            ));
        }
        // One private credential per citizen, type and window, and none once revoked:
        // checked before anything is spent.
        let window = window_name(
            &grant.citizen,
            kind.as_str(),
            self.identity.private_window_secs,
            now,
        );
        if commitment.is_some() {
            let s = self.wallet.store()?;
            if s.document(
                store::PRIVATE_REVOKED,
                &store::private_revoked_name(&grant.citizen, &grant.kind),
            )?
            .is_some()
            {
                return Err(IssuerError::NotEntitled {
                    citizen: grant.citizen.clone(),
                    kind: grant.kind.clone(),
                });
            }
            if s.document(store::WINDOW, &window)?.is_some() {
                return Err(IssuerError::AlreadyIssued);
            }
        }
        let possession = jwt::check_proof(jwt, &self.url, now)?;
        let s = self.wallet.store()?;
        let nonce_ok = possession.nonce.len() <= 256
            && !possession.nonce.is_empty()
            && s.take_document(store::NONCE, &possession.nonce)?
                .is_some_and(|d| d.created_at >= now - NONCE_TTL_SECS);
        if !nonce_ok {
            return Err(IssuerError::InvalidNonce);
        }
        // The token is spent only once the proof checked out: one credential per offer.
        if s.take_document(store::TOKEN, &token_name)?.is_none() {
            return Err(IssuerError::InvalidToken);
        }
        let citizen = self.citizen(&grant.citizen)?;
        let claims =
            citizen
                .entitlements
                .get(kind.as_str())
                .ok_or_else(|| IssuerError::NotEntitled {
                    citizen: grant.citizen.clone(),
                    kind: grant.kind.clone(),
                })?;
        let (id, signed, valid_until) = match &commitment {
            None => {
                let (id, document) = self.document_for(kind, claims, &possession.holder, now)?;
                let mut hmac_key = Zeroizing::new([0u8; 32]);
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), hmac_key.as_mut())
                    .map_err(|_| IssuerError::Core(citywallet_core::Error::Rng))?;
                let signed = base::sign_document(
                    &document,
                    &base::proof_options(
                        &city::verification_method(&self.identity.id),
                        &rfc3339(now)?,
                    ),
                    &city::mandatory_pointers(),
                    &self.key.secret,
                    &self.key.public,
                    &hmac_key,
                )?;
                (id, signed, now + CREDENTIAL_VALIDITY_SECS)
            }
            Some(c) => {
                let made = self.private_credential(kind, claims, &grant.citizen, c, now)?;
                self.wallet
                    .store()?
                    .put_document(store::WINDOW, &window, b"{}")?;
                made
            }
        };
        let issued = Issued {
            id: id.clone(),
            offer: grant.offer.clone(),
            citizen: grant.citizen.clone(),
            kind: grant.kind.clone(),
            holder: possession.holder,
            issued_at: now,
            valid_until,
        };
        self.wallet
            .store()?
            .put_document(store::ISSUED, &id, &store::encode(&issued)?)?;
        self.log_offer(&grant.offer, "issued", Some(&id))?;
        Ok(json!({ "credentials": [{ "credential": signed }] }))
    }
}

/// The name a private credential issued to `citizen` of `kind` in the `window` (seconds)
/// of `now` is marked under.
fn window_name(citizen: &str, kind: &str, window: i64, now: i64) -> String {
    format!("{citizen} {kind} {}", now - now.rem_euclid(window))
}

/// The holder's commitment of a request for a private credential, checked (a commitment to
/// its holder secret and prover nym whose proof verifies) before the request spends
/// anything; `None` for an ordinary request.
fn holder_commitment(request: &serde_json::Map<String, Value>) -> Result<Option<Vec<u8>>> {
    use base64::Engine as _;
    let Some(v) = request.get(HOLDER_COMMITMENT_PARAM) else {
        return Ok(None);
    };
    let bytes = v
        .as_str()
        .filter(|s| s.len() <= 1024)
        .and_then(|s| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .ok()
        })
        .ok_or(IssuerError::InvalidRequest(
            "the holder commitment is not base64url",
        ))?;
    if citywallet_core::credentials::pseudonym::checked_commitment(&bytes) != Some(2) {
        return Err(IssuerError::InvalidRequest(
            "the holder commitment is not to a holder secret and a prover nym, or its proof fails",
        ));
    }
    Ok(Some(bytes))
}

/// The one proof JWT of a credential request: OpenID4VCI 1.0's `proofs.jwt` (exactly one:
/// this issuer does not batch), or the earlier drafts' `proof`.
fn proof_jwt(request: &serde_json::Map<String, Value>) -> Result<&str> {
    if let Some(proofs) = request.get("proofs") {
        let jwts = proofs
            .get("jwt")
            .and_then(Value::as_array)
            .ok_or(IssuerError::InvalidProof("proofs has no jwt list"))?;
        return match jwts.as_slice() {
            [one] => one
                .as_str()
                .ok_or(IssuerError::InvalidProof("a proof is not a string")),
            _ => Err(IssuerError::InvalidProof("exactly one proof")),
        };
    }
    match request.get("proof") {
        Some(p) if p.get("proof_type").and_then(Value::as_str) == Some("jwt") => p
            .get("jwt")
            .and_then(Value::as_str)
            .ok_or(IssuerError::InvalidProof("no jwt")),
        Some(_) => Err(IssuerError::InvalidProof("only jwt proofs")),
        None => Err(IssuerError::InvalidProof("no proof of possession")),
    }
}

/// The devnet's technician department (`citywallet_node::devnet::DEVNET_TECHNICIAN_DEPARTMENT`,
/// a test checks they agree): the demo technician's appointment names it.
pub const DEMO_TECHNICIAN_DEPARTMENT: &str = "environment";

/// The demo citizen's claims for each credential type, dated `today` (`YYYY-MM-DD`).
pub fn demo_claims(kind: CredentialType, today: &str) -> BTreeMap<String, String> {
    let template_hash = citywallet_core::credentials::biometric_template_hash(
        b"demo-salt-0001",
        b"demo face template",
    );
    let pairs: Vec<(&str, &str)> = match kind {
        CredentialType::Credit => vec![
            ("score", "742"),
            ("tier", "A"),
            ("bureau", "City Credit Bureau"),
            ("date", today),
        ],
        CredentialType::Residency => vec![("district", "Harbour District"), ("since", today)],
        CredentialType::Biometric => vec![
            ("template_hash", &template_hash),
            ("modality", "face"),
            ("office", "City Hall enrolment desk"),
        ],
        CredentialType::Officer => vec![
            ("department", "Field Services"),
            ("badge", "FS-1042"),
            ("scopes", "verify,review"),
        ],
        CredentialType::Technician => vec![
            ("department", DEMO_TECHNICIAN_DEPARTMENT),
            ("licence", "IOT-7731"),
            ("scopes", "provision"),
        ],
    };
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}
