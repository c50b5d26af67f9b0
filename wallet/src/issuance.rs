//! The wallet as an OpenID4VCI 1.0 client (pre-authorized code flow): read a credential
//! offer, fetch the issuer's metadata and its authorization server's, exchange the code
//! (and the transaction code) for an access token, get a nonce, prove possession of the
//! identity key with a JWT, and take the W3C VC 2.0 credential, which is kept only once its
//! `bbs-2023` base proof verifies with the issuer's key proven on the chain, it names this
//! wallet as holder, and the chain's issuer may issue its type.
//!
//! HTTP is reqwest's blocking client: https, or http to a loopback address (a devnet's
//! issuer); no redirects; every answer capped.

use std::io::Read as _;
use std::time::Duration;

use citywallet_core::credentials::{CredentialType, IssuerPublicKey};
use citywallet_core::keys::KeyPath;
use citywallet_light_client::Precondition;
use citywallet_protocol::Status;
use citywallet_vc::{base, city};
use serde_json::{Value, json};
use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::dto::{CredentialItem, OfferPreview};
use crate::error::{Error, Result};
use crate::{Spend, Wallet};

/// The vault space the wallet keeps its W3C credentials in.
pub const VC_SPACE: &str = "vc";
/// The vault space of private credentials (holder binding with pseudonyms, no ids).
pub const PRIVATE_VC_SPACE: &str = "vc.private";
/// The vault space of the secret prover blinds of the private credentials' commitments, by
/// the same local id: 32 bytes each, kept apart from the credential's JSON.
pub const PRIVATE_BLIND_SPACE: &str = "vc.private.blind";
/// The vault space of where each private credential is refreshed from, by the same local
/// id: the issuer, the configuration and the (secret, single-use) refresh token.
pub const PRIVATE_SOURCE_SPACE: &str = "vc.private.source";
/// The credential request parameter with the holder's commitment (base64url) to its holder
/// secret and prover nym: the request for a private credential.
pub const HOLDER_COMMITMENT_PARAM: &str = "citywallet_holder_commitment";
/// The credential configuration metadata flag (`true`) of an issuer that signs this type
/// privately, blindly against a [`HOLDER_COMMITMENT_PARAM`].
pub const PRIVATE_SUPPORTED_PARAM: &str = "citywallet_private_supported";
/// Longest offer text taken (a URI, or the JSON it carries).
pub const MAX_OFFER_BYTES: usize = 8 * 1024;
/// Largest answer read from an issuer.
pub const MAX_ISSUER_ANSWER_BYTES: u64 = 256 * 1024;
/// How long one request to an issuer may take.
pub const ISSUER_TIMEOUT: Duration = Duration::from_secs(15);
const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// A credential offer, read.
pub struct Offer {
    /// `credential_issuer`.
    pub issuer: String,
    /// `credential_configuration_ids`.
    pub configurations: Vec<String>,
    code: Zeroizing<String>,
    /// The transaction code's length, when one is needed (0: unspecified).
    pub tx_code: Option<(u32, Option<String>)>,
}

impl std::fmt::Debug for Offer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offer")
            .field("issuer", &self.issuer)
            .field("configurations", &self.configurations)
            .finish_non_exhaustive()
    }
}

fn malformed(what: &'static str) -> Error {
    Error::OfferMalformed(what)
}

/// Is `url` one the wallet talks to: https, or http to a loopback host.
pub(crate) fn check_url(url: &str) -> Result<url::Url> {
    let u = url::Url::parse(url)
        .map_err(|_| Error::IssuerUrlInsecure(url.chars().take(200).collect()))?;
    let loopback = match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    let ok = u.username().is_empty()
        && u.password().is_none()
        && u.fragment().is_none()
        && (u.scheme() == "https" || (u.scheme() == "http" && loopback));
    if !ok {
        return Err(Error::IssuerUrlInsecure(url.chars().take(200).collect()));
    }
    Ok(u)
}

/// Read an offer: `openid-credential-offer://?credential_offer=…` (or any URI carrying
/// `credential_offer`), or the offer's JSON itself. An offer by reference
/// (`credential_offer_uri`) is refused: the issuer is unknown until the offer is read.
pub fn parse_offer(text: &str) -> Result<Offer> {
    let text = text.trim();
    if text.len() > MAX_OFFER_BYTES {
        return Err(Error::TooLarge {
            what: "the credential offer",
            limit: MAX_OFFER_BYTES as u64,
        });
    }
    let json = if text.starts_with('{') {
        text.to_owned()
    } else {
        let query = text
            .split_once('?')
            .map(|(_, q)| q)
            .ok_or(malformed("not an offer URI"))?;
        let mut found = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "credential_offer" if found.is_none() => found = Some(v.into_owned()),
                "credential_offer" => return Err(malformed("two offers in one URI")),
                "credential_offer_uri" => {
                    return Err(malformed("an offer by reference is not taken"));
                }
                _ => {}
            }
        }
        found.ok_or(malformed("no credential_offer"))?
    };
    let v: Value = serde_json::from_str(&json).map_err(|_| malformed("the offer is not JSON"))?;
    let issuer = v
        .get("credential_issuer")
        .and_then(Value::as_str)
        .ok_or(malformed("no credential_issuer"))?
        .to_owned();
    check_url(&issuer)?;
    let configurations: Vec<String> = v
        .get("credential_configuration_ids")
        .and_then(Value::as_array)
        .ok_or(malformed("no credential_configuration_ids"))?
        .iter()
        .map(|c| {
            c.as_str()
                .map(str::to_owned)
                .ok_or(malformed("a configuration id is not text"))
        })
        .collect::<Result<_>>()?;
    if configurations.is_empty() || configurations.len() > 16 {
        return Err(malformed("one to 16 configuration ids"));
    }
    let grant = v
        .pointer("/grants/urn:ietf:params:oauth:grant-type:pre-authorized_code")
        .ok_or(malformed("no pre-authorized code grant"))?;
    let code = grant
        .get("pre-authorized_code")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty() && c.len() <= 512)
        .ok_or(malformed("no pre-authorized_code"))?;
    let tx_code = match grant.get("tx_code") {
        None => None,
        Some(t) if t.is_object() => Some((
            t.get("length").and_then(Value::as_u64).unwrap_or(0).min(64) as u32,
            t.get("description")
                .and_then(Value::as_str)
                .map(|d| d.chars().take(300).collect()),
        )),
        Some(_) => return Err(malformed("tx_code is not an object")),
    };
    Ok(Offer {
        issuer,
        configurations,
        code: Zeroizing::new(code.to_owned()),
        tx_code,
    })
}

/// Where a private credential is refreshed from. `Debug` leaves the refresh token out.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Source {
    /// The credential issuer's URL.
    issuer: String,
    /// The credential configuration.
    configuration: String,
    /// The issuer's refresh token (single use; each use gives the next), if it gave one.
    refresh_token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("issuer", &self.issuer)
            .field("configuration", &self.configuration)
            .finish_non_exhaustive()
    }
}

/// The wallet's side of talking to an issuer.
struct Issuer {
    client: reqwest::blocking::Client,
}

impl Issuer {
    fn new() -> Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .timeout(ISSUER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::IssuerUnreachable(e.to_string()))?;
        Ok(Self { client })
    }

    fn answer(&self, r: reqwest::blocking::RequestBuilder, step: &'static str) -> Result<Value> {
        let resp = r
            .send()
            .map_err(|e| Error::IssuerUnreachable(format!("{step}: {e}")))?;
        let status = resp.status();
        let mut body = Vec::new();
        resp.take(MAX_ISSUER_ANSWER_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|e| Error::IssuerUnreachable(format!("{step}: {e}")))?;
        if body.len() as u64 > MAX_ISSUER_ANSWER_BYTES {
            return Err(Error::IssuerAnswerMalformed(step));
        }
        let v: Value =
            serde_json::from_slice(&body).map_err(|_| Error::IssuerAnswerMalformed(step))?;
        if !status.is_success() {
            let error = v
                .get("error")
                .and_then(Value::as_str)
                .map(|e| e.chars().take(64).collect())
                .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
            return Err(Error::IssuerRefused { step, error });
        }
        if !v.is_object() {
            return Err(Error::IssuerAnswerMalformed(step));
        }
        Ok(v)
    }

    fn get(&self, url: &str, step: &'static str) -> Result<Value> {
        check_url(url)?;
        self.answer(self.client.get(url), step)
    }

    fn post(&self, url: &str) -> Result<reqwest::blocking::RequestBuilder> {
        check_url(url)?;
        Ok(self.client.post(url))
    }
}

fn text<'a>(v: &'a Value, key: &str, step: &'static str) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or(Error::IssuerAnswerMalformed(step))
}

struct Metadata {
    name: String,
    token_endpoint: String,
    nonce_endpoint: Option<String>,
    credential_endpoint: String,
    configurations: serde_json::Map<String, Value>,
}

fn metadata(issuer: &Issuer, credential_issuer: &str) -> Result<Metadata> {
    let base = credential_issuer.trim_end_matches('/');
    let m = issuer.get(
        &format!("{base}/.well-known/openid-credential-issuer"),
        "issuer metadata",
    )?;
    if text(&m, "credential_issuer", "issuer metadata")?.trim_end_matches('/') != base {
        return Err(Error::IssuerAnswerMalformed(
            "issuer metadata names another issuer",
        ));
    }
    let name = m
        .pointer("/display/0/name")
        .and_then(Value::as_str)
        .unwrap_or(base)
        .chars()
        .take(120)
        .collect();
    let auth = m
        .pointer("/authorization_servers/0")
        .and_then(Value::as_str)
        .unwrap_or(base)
        .trim_end_matches('/')
        .to_owned();
    let a = issuer.get(
        &format!("{auth}/.well-known/oauth-authorization-server"),
        "authorization server metadata",
    )?;
    if text(&a, "issuer", "authorization server metadata")?.trim_end_matches('/') != auth {
        return Err(Error::IssuerAnswerMalformed(
            "authorization server metadata names another server",
        ));
    }
    Ok(Metadata {
        name,
        token_endpoint: text(&a, "token_endpoint", "authorization server metadata")?.to_owned(),
        nonce_endpoint: m
            .get("nonce_endpoint")
            .and_then(Value::as_str)
            .map(str::to_owned),
        credential_endpoint: text(&m, "credential_endpoint", "issuer metadata")?.to_owned(),
        configurations: m
            .get("credential_configurations_supported")
            .and_then(Value::as_object)
            .cloned()
            .ok_or(Error::IssuerAnswerMalformed("issuer metadata"))?,
    })
}

/// The city credential type a configuration offers: format `ldp_vc` with the city's
/// context and type.
fn configuration_kind(metadata: &Metadata, id: &str) -> Result<CredentialType> {
    let c = metadata
        .configurations
        .get(id)
        .ok_or(Error::OfferMalformed(
            "the offer names a configuration the issuer does not list",
        ))?;
    let types: Vec<&str> = c
        .pointer("/credential_definition/type")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if c.get("format").and_then(Value::as_str) != Some("ldp_vc") {
        return Err(Error::CredentialUnsupported(id.chars().take(64).collect()));
    }
    types
        .iter()
        .find_map(|t| city::kind_of(t))
        .ok_or_else(|| Error::CredentialUnsupported(id.chars().take(64).collect()))
}

/// Whether the issuer signs configuration `id` (of type `kind`) privately.
fn configuration_private(metadata: &Metadata, id: &str, kind: CredentialType) -> bool {
    kind.may_be_private()
        && metadata
            .configurations
            .get(id)
            .and_then(|c| c.get(PRIVATE_SUPPORTED_PARAM))
            .and_then(Value::as_bool)
            == Some(true)
}

impl Wallet {
    /// Read `offer` and the issuer's metadata: who offers what, and whether a transaction
    /// code is needed. Nothing is kept.
    pub fn preview_offer(&self, offer: &str) -> Result<OfferPreview> {
        self.vault()?;
        let offer = parse_offer(offer)?;
        let issuer = Issuer::new()?;
        let m = metadata(&issuer, &offer.issuer)?;
        let kinds: Vec<CredentialType> = offer
            .configurations
            .iter()
            .map(|c| configuration_kind(&m, c))
            .collect::<Result<_>>()?;
        let private_supported = offer
            .configurations
            .iter()
            .zip(&kinds)
            .all(|(c, k)| configuration_private(&m, c, *k));
        Ok(OfferPreview {
            issuer_url: offer.issuer.clone(),
            issuer_name: m.name,
            kinds,
            private_supported,
            tx_code_length: offer.tx_code.as_ref().map(|t| t.0),
            tx_code_description: offer.tx_code.and_then(|t| t.1),
        })
    }

    /// Accept `offer` (with `tx_code` when it needs one): the whole pre-authorized code
    /// flow, then the checks against the chain, then the credential is kept. Nothing is kept
    /// on any failure.
    pub fn accept_offer(&mut self, offer: &str, tx_code: Option<&str>) -> Result<CredentialItem> {
        self.accept(offer, tx_code, false)
    }

    /// [`Wallet::accept_offer`], or [`Wallet::accept_offer_private`] when `private`.
    pub fn take_offer(
        &mut self,
        offer: &str,
        tx_code: Option<&str>,
        private: bool,
    ) -> Result<CredentialItem> {
        self.accept(offer, tx_code, private)
    }

    /// [`Wallet::accept_offer`] for a private credential: the request carries a commitment
    /// to the holder secret and the prover nym (both from the recovery phrase), the issuer
    /// signs blindly, and the credential (no ids, this window's validity) is kept once its
    /// signature verifies with those secrets and the chain's key. It is presented with no
    /// DID ([`Wallet::present_private`]).
    pub fn accept_offer_private(
        &mut self,
        offer: &str,
        tx_code: Option<&str>,
    ) -> Result<CredentialItem> {
        self.accept(offer, tx_code, true)
    }

    fn accept(
        &mut self,
        offer: &str,
        tx_code: Option<&str>,
        private: bool,
    ) -> Result<CredentialItem> {
        let offer = parse_offer(offer)?;
        let tx_code = tx_code.map(str::trim).filter(|t| !t.is_empty());
        if offer.tx_code.is_some() && tx_code.is_none() {
            return Err(Error::TxCodeRequired);
        }
        let issuer = Issuer::new()?;
        let m = metadata(&issuer, &offer.issuer)?;
        let configuration = offer.configurations[0].clone();
        let kind = configuration_kind(&m, &configuration)?;
        if private && !configuration_private(&m, &configuration, kind) {
            return Err(Error::CredentialUnsupported(format!(
                "{} does not sign {} credentials privately",
                m.name,
                kind.as_str()
            )));
        }

        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", PRE_AUTHORIZED_GRANT),
            ("pre-authorized_code", offer.code.as_str()),
        ];
        if let (Some(_), Some(t)) = (&offer.tx_code, tx_code) {
            form.push(("tx_code", t));
        }
        let token = issuer.answer(issuer.post(&m.token_endpoint)?.form(&form), "token")?;
        let source = Source {
            issuer: offer.issuer.clone(),
            configuration,
            refresh_token: token
                .get("refresh_token")
                .and_then(Value::as_str)
                .map(|t| Zeroizing::new(t.to_owned())),
        };
        let (credential, blind) = self.request_credential(&issuer, &m, &source, &token, private)?;
        match blind {
            None => self.keep_vc(&credential, Some(kind)),
            Some(blind) => self.keep_private_vc(&credential, kind, &blind, &source),
        }
    }

    /// The credential for an access token (`token`, the token endpoint's answer): a
    /// nonce, the proof of possession and, for a private one, the commitment to the holder
    /// secret and prover nym; the credential and, for a private one, the commitment's blind.
    fn request_credential(
        &self,
        issuer: &Issuer,
        m: &Metadata,
        source: &Source,
        token: &Value,
        private: bool,
    ) -> Result<(Value, Option<Zeroizing<[u8; 32]>>)> {
        let access = Zeroizing::new(text(token, "access_token", "token")?.to_owned());
        let nonce = match &m.nonce_endpoint {
            Some(url) => Some(
                text(
                    &issuer.answer(issuer.post(url)?, "nonce")?,
                    "c_nonce",
                    "nonce",
                )?
                .to_owned(),
            ),
            None => token
                .get("c_nonce")
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        let proof = self.proof_jwt(&source.issuer, nonce.as_deref())?;
        let mut request = json!({
            "credential_configuration_id": source.configuration,
            "proofs": { "jwt": [proof] },
        });
        let blind = if private {
            let v = self.vault()?;
            let (secret, prover) = (v.holder_secret()?, v.prover_nym()?);
            let committed = Zeroizing::new(vec![secret.as_bytes().to_vec()]);
            let c =
                citywallet_core::credentials::pseudonym::nym_commit(&committed, prover.as_bytes())?;
            request[HOLDER_COMMITMENT_PARAM] = Value::from(base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                &c.with_proof,
            ));
            Some(c.blind)
        } else {
            None
        };
        let answer = issuer.answer(
            issuer
                .post(&m.credential_endpoint)?
                .bearer_auth(access.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.to_string()),
            "credential",
        )?;
        let credential = answer
            .pointer("/credentials/0/credential")
            .or_else(|| answer.get("credential"))
            .filter(|c| c.is_object())
            .ok_or(Error::IssuerAnswerMalformed("credential"))?;
        Ok((credential.clone(), blind))
    }

    /// Renew the private credential `id` from its issuer for the current window (OpenID4VCI
    /// with the refresh token kept with it, a fresh commitment to the same holder secret and
    /// prover nym): the new one is kept, and replaces `id`, once it verifies as an offer's
    /// would. The issuer refuses a revoked credential (`credential_not_renewed`) and a second
    /// one in a window (`credential_already_issued`); on any failure `id` stays as it was.
    pub fn refresh_private(&mut self, id: &str) -> Result<CredentialItem> {
        let not_found = || citywallet_core::Error::NotFound {
            kind: "credential",
            id: id.to_owned(),
        };
        let (kind, source) = {
            let v = self.vault()?;
            let c = self.private_vc(id)?.ok_or_else(not_found)?;
            let kind = private_summary(id, &c)?.kind;
            let kept = v
                .document(PRIVATE_SOURCE_SPACE, id)?
                .ok_or_else(not_found)?;
            let source: Source = serde_json::from_slice(&kept.body)
                .map_err(|_| Error::CredentialMalformed("stored"))?;
            (kind, source)
        };
        let refresh = source
            .refresh_token
            .clone()
            .ok_or(Error::CredentialMalformed(
                "no refresh token from its issuer",
            ))?;
        let issuer = Issuer::new()?;
        let m = metadata(&issuer, &source.issuer)?;
        if configuration_kind(&m, &source.configuration)? != kind {
            return Err(Error::CredentialUnsupported(
                "the issuer's configuration is no longer this credential's type".into(),
            ));
        }
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ];
        let token = issuer.answer(
            issuer.post(&m.token_endpoint)?.form(&form),
            crate::error::REFRESH_STEP,
        )?;
        let next = Source {
            refresh_token: token
                .get("refresh_token")
                .and_then(Value::as_str)
                .map(|t| Zeroizing::new(t.to_owned())),
            ..source
        };
        // The old token is spent now: keep the new one even if what follows fails.
        self.vault_mut()?.replace_document(
            PRIVATE_SOURCE_SPACE,
            id,
            &serde_json::to_vec(&next).map_err(|_| Error::Encode("the credential's source"))?,
        )?;
        let (credential, blind) = self.request_credential(&issuer, &m, &next, &token, true)?;
        let blind = blind.ok_or(Error::Encode("the commitment"))?;
        let item = self.keep_private_vc(&credential, kind, &blind, &next)?;
        if item.id != id {
            let v = self.vault_mut()?;
            for space in [PRIVATE_VC_SPACE, PRIVATE_BLIND_SPACE, PRIVATE_SOURCE_SPACE] {
                v.take_document(space, id)?;
            }
        }
        Ok(item)
    }

    /// The compact JWS proving this wallet holds its identity key, for issuer `audience`.
    fn proof_jwt(&self, audience: &str, nonce: Option<&str>) -> Result<String> {
        let mut payload = json!({ "aud": audience, "iat": self.now_secs() });
        if let Some(n) = nonce {
            payload["nonce"] = Value::from(n);
        }
        let key = self.vault()?.key_pair(KeyPath::IDENTITY)?;
        Ok(crate::jws::sign(
            "openid4vci-proof+jwt",
            &payload,
            &key.public(),
            &|m| key.sign(m),
        ))
    }

    /// Keep a W3C credential (JSON) obtained another way, after the same checks as an
    /// offer's: a base credential signed by any `bbs-2023` implementation imports here.
    pub fn import_vc(&mut self, json: &[u8]) -> Result<CredentialItem> {
        if json.len() > citywallet_core::vault::MAX_DOCUMENT_BYTES {
            return Err(Error::TooLarge {
                what: "the credential",
                limit: citywallet_core::vault::MAX_DOCUMENT_BYTES as u64,
            });
        }
        let v: Value = serde_json::from_slice(json)
            .map_err(|_| Error::Vc(citywallet_vc::VcError::JsonLd("not JSON".into())))?;
        self.keep_vc(&v, None)
    }

    fn keep_vc(
        &mut self,
        credential: &Value,
        offered: Option<CredentialType>,
    ) -> Result<CredentialItem> {
        let bytes = serde_json::to_vec(credential).map_err(|_| Error::Encode("the credential"))?;
        if bytes.len() > citywallet_core::vault::MAX_DOCUMENT_BYTES {
            return Err(Error::TooLarge {
                what: "the credential",
                limit: citywallet_core::vault::MAX_DOCUMENT_BYTES as u64,
            });
        }
        let item = summary(credential)?;
        if offered.is_some_and(|k| k != item.kind) {
            return Err(Error::CredentialUnsupported(
                "the credential is not the type offered".into(),
            ));
        }
        let me = self.vault()?.identity()?.did;
        if credential
            .pointer("/credentialSubject/id")
            .and_then(Value::as_str)
            != Some(me.as_str())
        {
            return Err(Error::CredentialHolderMismatch);
        }
        let public = self.registered_key(&item)?;
        base::verify_document(credential, &public)?;
        let v = self.vault_mut()?;
        v.put_document(VC_SPACE, &item.id, &bytes)?;
        v.log_activity(
            citywallet_core::vault::VaultEvent::CredentialsAdded,
            &json!({ "count": 1, "credential": item.id, "issuer": item.issuer }),
        )?;
        Ok(item)
    }

    /// A private credential from the issuer, kept once it is one (no credential id, no
    /// subject id, the type asked for, in force), its issuer may issue its type on the
    /// chain, and its blind signature verifies with this wallet's holder secret, prover nym
    /// and `blind` and the chain's key. Kept under a local id with its blind.
    fn keep_private_vc(
        &mut self,
        credential: &Value,
        offered: CredentialType,
        blind: &[u8; 32],
        source: &Source,
    ) -> Result<CredentialItem> {
        let bytes = serde_json::to_vec(credential).map_err(|_| Error::Encode("the credential"))?;
        if bytes.len() > citywallet_core::vault::MAX_DOCUMENT_BYTES {
            return Err(Error::TooLarge {
                what: "the credential",
                limit: citywallet_core::vault::MAX_DOCUMENT_BYTES as u64,
            });
        }
        if credential.get("id").is_some() || credential.pointer("/credentialSubject/id").is_some() {
            return Err(Error::CredentialMalformed(
                "a private credential carries an id",
            ));
        }
        let digest = sha2::Sha256::digest(&bytes);
        let local = format!("private-{}", hex::encode(&digest[..12]));
        let item = private_summary(&local, credential)?;
        if item.kind != offered {
            return Err(Error::CredentialUnsupported(
                "the credential is not the type offered".into(),
            ));
        }
        let public = self.registered_key(&item)?;
        let v = self.vault()?;
        let (secret, prover) = (v.holder_secret()?, v.prover_nym()?);
        let committed = Zeroizing::new(vec![secret.as_bytes().to_vec()]);
        base::verify_document_nym(credential, &public, &committed, prover.as_bytes(), blind)?;
        let source =
            serde_json::to_vec(source).map_err(|_| Error::Encode("the credential's source"))?;
        let v = self.vault_mut()?;
        v.replace_document(PRIVATE_SOURCE_SPACE, &local, &source)?;
        v.put_document(PRIVATE_BLIND_SPACE, &local, blind)?;
        v.put_document(PRIVATE_VC_SPACE, &local, &bytes)?;
        v.log_activity(
            citywallet_core::vault::VaultEvent::CredentialsAdded,
            &json!({ "count": 1, "credential": local, "issuer": item.issuer }),
        )?;
        Ok(item)
    }

    /// The private credential kept under local id `id`, as its JSON, if held.
    pub fn private_vc(&self, id: &str) -> Result<Option<Value>> {
        self.vault()?
            .document(PRIVATE_VC_SPACE, id)?
            .map(|d| {
                serde_json::from_slice(&d.body).map_err(|_| Error::CredentialMalformed("stored"))
            })
            .transpose()
    }

    /// The private credentials held.
    pub fn private_vcs(&self) -> Result<Vec<CredentialItem>> {
        let v = self.vault()?;
        let mut out = Vec::new();
        for d in v.documents(PRIVATE_VC_SPACE)? {
            let c: Value = serde_json::from_slice(&d.body)
                .map_err(|_| Error::CredentialMalformed("stored"))?;
            out.push(private_summary(&d.name, &c)?);
        }
        Ok(out)
    }

    /// Present the private credential `id` to a verifier `client_id` that gave `nonce`,
    /// disclosing `claims` (core names) beside its type, issuer and validity, with no DID and
    /// no holder signature; the pseudonym is for `context` when the verifier asked for one,
    /// else for a fresh random context.
    pub fn present_private(
        &self,
        id: &str,
        claims: &[&str],
        nonce: &str,
        client_id: &str,
        context: Option<&str>,
    ) -> Result<Value> {
        let v = self.vault()?;
        let not_found = || citywallet_core::Error::NotFound {
            kind: "credential",
            id: id.to_owned(),
        };
        let credential = self.private_vc(id)?.ok_or_else(not_found)?;
        let kept = v.document(PRIVATE_BLIND_SPACE, id)?.ok_or_else(not_found)?;
        let blind: &[u8; 32] = kept
            .body
            .as_slice()
            .try_into()
            .map_err(|_| Error::CredentialMalformed("stored"))?;
        let base = base::BaseProof::from_proof_value(
            credential
                .pointer("/proof/proofValue")
                .and_then(Value::as_str)
                .ok_or(Error::CredentialMalformed("no proof"))?,
        )?;
        let base::Feature::Pseudonym {
            signer_nym_entropy, ..
        } = base.feature
        else {
            return Err(Error::CredentialMalformed("not a private credential"));
        };
        let (secret, prover) = (v.holder_secret()?, v.prover_nym()?);
        let nym = citywallet_core::credentials::pseudonym::nym_secret(
            prover.as_bytes(),
            &signer_nym_entropy,
        )?;
        let committed = Zeroizing::new(vec![secret.as_bytes().to_vec()]);
        let holder = citywallet_vc::derived::NymHolder {
            committed: &committed,
            blind,
            nym_secret: &nym,
        };
        let pointers: Vec<String> = claims.iter().map(|c| city::claim_pointer(c)).collect();
        Ok(citywallet_vc::private::present(
            &credential,
            &pointers,
            nonce,
            client_id,
            holder,
            context,
        )?)
    }

    /// The chain's key of `item`'s issuer, once the chain (at a header verified now) says the
    /// issuer is registered, active and may issue the type, and the credential is in force.
    fn registered_key(&mut self, item: &CredentialItem) -> Result<IssuerPublicKey> {
        let now = self.now_secs();
        if item.valid_until <= now {
            return Err(Error::Core(citywallet_core::Error::Rejected(
                citywallet_core::Rejection::Expired,
            )));
        }
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.fresh()?;
        let record = s.issuer(&at, &item.issuer)?;
        drop(s);
        let refused = |p: Precondition| Error::from(citywallet_light_client::Error::from(p));
        let record =
            record.ok_or_else(|| refused(Precondition::IssuerUnknown(item.issuer.clone())))?;
        if record.status != Status::Active {
            return Err(refused(Precondition::IssuerInactive(item.issuer.clone())));
        }
        if !record
            .credential_types
            .iter()
            .any(|t| t == item.kind.as_str())
        {
            return Err(refused(Precondition::IssuerNotForType {
                issuer: item.issuer.clone(),
                kind: item.kind.as_str().to_owned(),
            }));
        }
        // The registry checked the key when the issuer was registered.
        hex::decode(&record.bbs_public_key)
            .ok()
            .and_then(|b| IssuerPublicKey::from_bytes(&b))
            .ok_or(Error::Encode("the issuer's registered key"))
    }

    /// The W3C credentials held.
    pub fn vcs(&self) -> Result<Vec<CredentialItem>> {
        self.held_vcs()?
            .iter()
            .map(|(_, v, _)| summary(v))
            .collect()
    }

    /// One W3C credential held, as its JSON.
    pub fn vc(&self, id: &str) -> Result<Value> {
        let d = self.vault()?.document(VC_SPACE, id)?.ok_or_else(|| {
            citywallet_core::Error::NotFound {
                kind: "credential",
                id: id.to_owned(),
            }
        })?;
        serde_json::from_slice(&d.body)
            .map_err(|_| Error::Vc(citywallet_vc::VcError::JsonLd("stored".into())))
    }
}

/// The summary of private credential `credential` kept under local id `id` (it has no id of
/// its own).
pub(crate) fn private_summary(id: &str, credential: &Value) -> Result<CredentialItem> {
    let mut c = credential.clone();
    c["id"] = Value::from(id);
    Ok(CredentialItem {
        private: true,
        ..summary(&c)?
    })
}

fn unix(rfc3339: &str) -> Option<i64> {
    tendermint::Time::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// A city credential's list entry: its id, chain issuer, type, claim names and validity.
pub(crate) fn summary(v: &Value) -> Result<CredentialItem> {
    let bad = |what: &'static str| Error::CredentialMalformed(what);
    let id = v.get("id").and_then(Value::as_str).ok_or(bad("no id"))?;
    let issuer = v
        .get("issuer")
        .and_then(Value::as_str)
        .and_then(city::issuer_id)
        .ok_or(bad("the issuer is not a city issuer"))?;
    let kind = v
        .get("type")
        .and_then(Value::as_array)
        .and_then(|t| t.iter().filter_map(Value::as_str).find_map(city::kind_of))
        .ok_or(bad("not a city credential type"))?;
    let subject = v
        .get("credentialSubject")
        .and_then(Value::as_object)
        .ok_or(bad("no credentialSubject"))?;
    let claims = kind
        .claims()
        .iter()
        .filter(|c| subject.contains_key(&city::term(c.name)))
        .map(|c| c.name.to_owned())
        .collect();
    let time = |k: &str| v.get(k).and_then(Value::as_str).and_then(unix);
    Ok(CredentialItem {
        id: id.to_owned(),
        issuer: issuer.to_owned(),
        issuer_name: None,
        kind,
        claims,
        valid_from: time("validFrom").ok_or(bad("no validFrom"))?,
        valid_until: time("validUntil").ok_or(bad("no validUntil"))?,
        w3c: true,
        private: false,
    })
}
