//! Presentations that name no one: a city credential issued with holder binding and
//! pseudonyms (no credential id, no subject id; [`city::private_document`]) presented with
//! no DID and no holder signature. The BBS proof shows knowledge of the holder secret (a
//! copied credential proves nothing) and of the nym secret, carries a pseudonym for one
//! verifier context, and is bound to the verifier's nonce and client id through the BBS
//! presentation header ([`presentation_header`]). Without a context asked for, the
//! pseudonym is for a fresh random one: every presentation has the same shape and links to
//! nothing.

use citywallet_core::Rejection;
use citywallet_core::credentials::{Challenge, CredentialType, IssuerPublicKey};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::derived::{self, NymHolder};
use crate::{Result, VcError, city, contexts};

/// The domain tag of [`presentation_header`].
const HEADER_DOMAIN: &[u8] = b"CityWallet private presentation v1\0";
/// The prefix of the random context of a presentation no verifier context was asked for.
pub const RANDOM_CONTEXT_PREFIX: &str = "urn:citywallet:nym:random:";

/// The prefix of a verifier's pseudonym context: `{prefix}{client id}:{purpose}`.
pub const VERIFIER_CONTEXT_PREFIX: &str = "urn:citywallet:nym:";

/// The pseudonym context of verifier `client_id` for `purpose`: a verifier can name only
/// its own, so no verifier can ask for the pseudonym another one sees.
pub fn verifier_context(client_id: &str, purpose: &str) -> String {
    format!("{VERIFIER_CONTEXT_PREFIX}{client_id}:{purpose}")
}

/// Whether `context` is one of verifier `client_id`'s own ([`verifier_context`]) with a
/// purpose.
pub fn is_context_of(context: &str, client_id: &str) -> bool {
    context
        .strip_prefix(VERIFIER_CONTEXT_PREFIX)
        .and_then(|rest| rest.strip_prefix(client_id))
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(|purpose| !purpose.is_empty())
}

fn reject(r: Rejection) -> VcError {
    VcError::Rejected(r)
}

fn malformed() -> VcError {
    reject(Rejection::Malformed)
}

/// The BBS presentation header of an answer to a verifier `client_id` that gave `nonce`:
/// SHA-256 of a domain tag, then each, preceded by its length (u32 big-endian).
pub fn presentation_header(nonce: &str, client_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(HEADER_DOMAIN);
    for part in [client_id.as_bytes(), nonce.as_bytes()] {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// A fresh random verifier context.
fn random_context() -> Result<String> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| VcError::Rng)?;
    Ok(format!("{RANDOM_CONTEXT_PREFIX}{}", hex::encode(bytes)))
}

/// Present `signed` (a private city credential with its pseudonym base proof) to a verifier
/// `client_id` that gave `nonce`, disclosing what the JSON `pointers` select beside the
/// mandatory claims, with the `holder`'s secrets and a pseudonym for `context` (a fresh
/// random one when `None`).
pub fn present(
    signed: &Value,
    pointers: &[String],
    nonce: &str,
    client_id: &str,
    holder: NymHolder<'_>,
    context: Option<&str>,
) -> Result<Value> {
    if signed.get("id").is_some()
        || signed
            .get("credentialSubject")
            .and_then(|s| s.get("id"))
            .is_some()
    {
        return Err(VcError::ProofValue(
            "a private presentation is made from a credential without ids",
        ));
    }
    let context = match context {
        Some(c) => c.to_owned(),
        None => random_context()?,
    };
    let ph = presentation_header(nonce, client_id);
    let vc = derived::derive_nym(signed, pointers, &ph, holder, context.as_bytes())?;
    Ok(json!({
        "@context": [contexts::CREDENTIALS_V2, city::CONTEXT],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [vc],
    }))
}

/// A private presentation read, before its proof is checked.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The chain issuer id the credential names.
    pub issuer: String,
    vc: Value,
}

/// What a private presentation establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// Issuer id.
    pub issuer: String,
    /// Credential type.
    pub kind: CredentialType,
    /// The disclosed claims, in schema order.
    pub disclosed: Vec<(String, String)>,
    /// Unix seconds after which the credential is expired.
    pub valid_until: i64,
    /// The verifier context the pseudonym is for.
    pub context: Vec<u8>,
    /// The pseudonym (compressed G1).
    pub pseudonym: [u8; 48],
}

/// Read a private presentation, JSON or compact: a `VerifiablePresentation` of exactly one
/// credential, with no `holder` and no presentation proof.
pub fn parse(bytes: &[u8]) -> Result<Parsed> {
    let (vp, is_vp) = crate::presentation::read(bytes)?;
    if !is_vp || vp.contains_key("holder") || vp.contains_key("proof") {
        return Err(malformed());
    }
    let vc = match vp.get("verifiableCredential") {
        Some(Value::Array(list)) if list.len() == 1 && list[0].is_object() => list[0].clone(),
        _ => return Err(malformed()),
    };
    let issuer = vc
        .get("issuer")
        .and_then(Value::as_str)
        .and_then(city::issuer_id)
        .ok_or_else(malformed)?
        .to_owned();
    Ok(Parsed { issuer, vc })
}

impl Parsed {
    /// [`Parsed::verify_for`] for a `challenge` (an officer's, or a request's nonce and
    /// client id), at most `max_age_secs` old at `now`, with the pseudonym `context` the
    /// verifier asked for, if it asked for one.
    pub fn verify(
        &self,
        challenge: &Challenge,
        issuer_key: &IssuerPublicKey,
        now: i64,
        max_age_secs: i64,
        context: Option<&[u8]>,
    ) -> Result<Shown> {
        crate::presentation::challenge_fresh(challenge, now, max_age_secs)?;
        self.verify_for(
            &challenge.nonce,
            &challenge.verifier,
            issuer_key,
            now,
            context,
        )
    }

    /// Check the presentation as the answer to `nonce` from verifier `client_id`, at `now`,
    /// with the issuer's key (from the chain). With `context`, the pseudonym must be for it
    /// (a verifier that asked for one); without, any context the proof names is taken (the
    /// pseudonym then recognises no one). The credential carries no id and no subject id.
    pub fn verify_for(
        &self,
        nonce: &str,
        client_id: &str,
        issuer_key: &IssuerPublicKey,
        now: i64,
        context: Option<&[u8]>,
    ) -> Result<Shown> {
        let vc = self.vc.as_object().ok_or_else(malformed)?;
        // With no claim chosen, nothing of the subject is revealed at all.
        let none = Map::new();
        let subject = match vc.get("credentialSubject") {
            None => &none,
            Some(Value::Object(s)) => s,
            Some(_) => return Err(malformed()),
        };
        if vc.contains_key("id") || subject.contains_key("id") {
            return Err(malformed());
        }
        let stated = vc
            .get("proof")
            .and_then(|p| p.get("proofValue"))
            .and_then(Value::as_str)
            .map(derived::DerivedProof::from_proof_value)
            .transpose()?
            .and_then(|p| p.pseudonym)
            .and_then(|n| n.domain)
            .ok_or_else(malformed)?;
        let context = context.map_or(stated, <[u8]>::to_vec);
        let (header, pseudonym) =
            derived::verify_nym(&self.vc, issuer_key, &context).map_err(|e| match e {
                VcError::ProofInvalid(_) => reject(Rejection::ProofInvalid),
                e => e,
            })?;
        if header != presentation_header(nonce, client_id) {
            return Err(reject(Rejection::ChallengeMismatch));
        }
        // From here every disclosed value is the issuer's.
        let (kind, valid_until, disclosed) =
            crate::presentation::credential_facts(vc, subject, now, 0)?;
        Ok(Shown {
            issuer: self.issuer.clone(),
            kind,
            disclosed,
            valid_until,
            context,
            pseudonym,
        })
    }
}
