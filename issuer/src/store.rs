//! What the issuer keeps, as documents in its encrypted vault (SQLCipher, Argon2id; see
//! `citywallet_core::vault`): its identity and keys, the department's records of its
//! citizens, the offers it made, the access tokens and nonces it gave (single use), and the
//! credentials it issued. Codes and tokens are kept by their SHA-256, never in the clear.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{IssuerError, Result};

/// Identity and configuration.
pub const CONFIG: &str = "issuer.config";
/// The key file (BBS pair and operator key), JSON.
pub const SECRET: &str = "issuer.secret";
/// Citizens' records, by citizen id.
pub const CITIZEN: &str = "issuer.citizen";
/// Offers not yet redeemed, by the SHA-256 of their pre-authorized code.
pub const OFFER: &str = "issuer.offer";
/// Every offer made, by offer id, with what became of it.
pub const OFFER_LOG: &str = "issuer.offer.log";
/// Access tokens, by SHA-256.
pub const TOKEN: &str = "issuer.token";
/// Nonces given and not yet used.
pub const NONCE: &str = "issuer.nonce";
/// Credentials issued, by credential id.
pub const ISSUED: &str = "issuer.issued";
/// Refresh tokens (single use, rotated), by SHA-256.
pub const REFRESH: &str = "issuer.refresh";
/// The private credentials issued per citizen, type and window (at most one each), by
/// `{citizen} {type} {window start}`.
pub const WINDOW: &str = "issuer.private.window";
/// Private credentials revoked: by `{citizen} {type}`, the reason.
pub const PRIVATE_REVOKED: &str = "issuer.private.revoked";

fn default_window() -> i64 {
    crate::service::PRIVATE_WINDOW_SECS
}

/// The name a citizen's revoked private credential of `kind` is kept under in
/// [`PRIVATE_REVOKED`].
pub fn private_revoked_name(citizen: &str, kind: &str) -> String {
    format!("{citizen} {kind}")
}

/// The issuer's identity, as set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// Its id in the chain's issuer registry.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The credential types it offers (`credit`, `residency`, …).
    pub kinds: Vec<String>,
    /// Its BBS public key, hex (the chain's record must hold the same).
    pub bbs_public_key: String,
    /// The validity window of its private credentials, seconds (at most the revocation
    /// bound its record on the chain holds, or verifiers refuse them).
    #[serde(default = "default_window")]
    pub private_window_secs: i64,
}

/// A citizen in the department's records: the credentials they are entitled to, each with
/// its claims in the core's canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Citizen {
    /// Department-local id.
    pub id: String,
    /// Name, for the operator.
    pub name: String,
    /// Credential type → claim name → value.
    pub entitlements:
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

/// An offer waiting for its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    /// Offer id.
    pub id: String,
    /// Citizen id.
    pub citizen: String,
    /// Credential type.
    pub kind: String,
    /// SHA-256 of the transaction code, hex, when one is required.
    pub tx_code_sha256: Option<String>,
    /// Wrong transaction codes given so far.
    pub failed_tx_codes: u32,
    /// Unix seconds.
    pub expires_at: i64,
}

/// An offer as the operator lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferEntry {
    /// Offer id.
    pub id: String,
    /// Citizen id.
    pub citizen: String,
    /// Credential type.
    pub kind: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// `open`, `redeemed` (code exchanged), `issued`, `void` (too many wrong codes).
    pub state: String,
    /// The credential issued for it.
    pub credential_id: Option<String>,
}

/// An access token's grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// Offer id.
    pub offer: String,
    /// Citizen id.
    pub citizen: String,
    /// Credential type.
    pub kind: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// From a refresh token: only a private credential may be asked for.
    #[serde(default)]
    pub private_only: bool,
}

/// A refresh token's grant: another access token for the same citizen and type, while
/// the citizen is entitled and the private credential not revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refresh {
    /// The offer it descends from.
    pub offer: String,
    /// Citizen id.
    pub citizen: String,
    /// Credential type.
    pub kind: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A private credential revoked at the issuer (it has no id to revoke on the chain): the
/// issuer refreshes it no more, and it stops passing within the chain's revocation bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateRevocation {
    /// Citizen id.
    pub citizen: String,
    /// Credential type.
    pub kind: String,
    /// Why.
    pub reason: String,
    /// Unix seconds.
    pub at: i64,
}

/// A credential issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// Credential id.
    pub id: String,
    /// Offer id.
    pub offer: String,
    /// Citizen id.
    pub citizen: String,
    /// Credential type.
    pub kind: String,
    /// The holder's `did:key`.
    pub holder: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub valid_until: i64,
}

/// SHA-256 of a secret string, hex: the name codes and tokens are kept under.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Decode a stored document.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|_| IssuerError::Damaged(what))
}

/// Encode a document.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|_| IssuerError::Damaged("new"))
}

fn random_bytes(len: usize) -> Result<Vec<u8>> {
    let mut b = vec![0u8; len];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| IssuerError::Core(citywallet_core::Error::Rng))?;
    Ok(b)
}

/// `len` random bytes as hex.
pub fn random_hex(len: usize) -> Result<String> {
    Ok(hex::encode(random_bytes(len)?))
}

/// `len` random bytes as base64url (codes, tokens, nonces, ids).
pub fn random_text(len: usize) -> Result<String> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(len)?))
}

/// A random numeric transaction code of `digits` digits.
pub fn random_digits(digits: usize) -> Result<String> {
    let b = random_bytes(digits)?;
    // 250 is the largest multiple of 10 below 256: rejection keeps the digits uniform.
    let mut out = String::with_capacity(digits);
    let mut pool = b.into_iter();
    while out.len() < digits {
        match pool.next() {
            Some(x) if x < 250 => out.push(char::from(b'0' + x % 10)),
            Some(_) => {}
            None => pool = random_bytes(16)?.into_iter(),
        }
    }
    Ok(out)
}
