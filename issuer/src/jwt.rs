//! The holder's proof of possession (OpenID4VCI 1.0 §F.1, proof type `jwt`): a compact JWS
//! with `typ` `openid4vci-proof+jwt`, `alg` `EdDSA` and the holder's `did:key` as `kid`,
//! over `aud` (this issuer), `iat` and the `nonce` this issuer gave. Checked here with
//! ed25519-dalek's strict verification; a JOSE crate would add a second signature stack for
//! one algorithm.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::{IssuerError, Result};

/// Longest proof JWT read.
pub const MAX_PROOF_JWT_CHARS: usize = 4096;
/// How far a proof's `iat` may be behind the issuer's clock, seconds.
pub const MAX_PROOF_AGE_SECS: i64 = 300;
/// How far a proof's `iat` may be ahead of the issuer's clock, seconds.
pub const MAX_PROOF_AHEAD_SECS: i64 = 60;

/// A proof of possession whose signature and claims checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Possession {
    /// The holder's `did:key`.
    pub holder: String,
    /// The nonce it carries (the caller checks this issuer gave it, once).
    pub nonce: String,
}

fn part(text: &str, what: &'static str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| IssuerError::InvalidProof(what))
}

fn object(bytes: &[u8], what: &'static str) -> Result<serde_json::Map<String, Value>> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(IssuerError::InvalidProof(what)),
    }
}

/// Check `jwt` as a proof for this issuer (`audience`, its credential issuer URL) at `now`
/// (Unix seconds).
pub fn check_proof(jwt: &str, audience: &str, now: i64) -> Result<Possession> {
    if jwt.len() > MAX_PROOF_JWT_CHARS {
        return Err(IssuerError::InvalidProof("the proof is too long"));
    }
    let mut parts = jwt.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IssuerError::InvalidProof("not a compact JWS"));
    };
    let header = object(&part(h, "header encoding")?, "header")?;
    let payload = object(&part(p, "payload encoding")?, "payload")?;
    let signature: [u8; 64] = part(s, "signature encoding")?
        .try_into()
        .map_err(|_| IssuerError::InvalidProof("signature length"))?;
    let text = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k).and_then(Value::as_str).map(str::to_owned)
    };

    if text(&header, "typ").as_deref() != Some("openid4vci-proof+jwt") {
        return Err(IssuerError::InvalidProof("typ is not openid4vci-proof+jwt"));
    }
    if !matches!(text(&header, "alg").as_deref(), Some("EdDSA" | "Ed25519")) {
        return Err(IssuerError::InvalidProof("alg is not EdDSA"));
    }
    if header.contains_key("jwk") || header.contains_key("x5c") || header.contains_key("crit") {
        return Err(IssuerError::InvalidProof("only a did:key kid is taken"));
    }
    let kid = text(&header, "kid").ok_or(IssuerError::InvalidProof("no kid"))?;
    let (did, fragment) = kid
        .split_once('#')
        .ok_or(IssuerError::InvalidProof("kid is not a did:key URL"))?;
    if did.strip_prefix("did:key:") != Some(fragment) {
        return Err(IssuerError::InvalidProof("kid is not a did:key URL"));
    }
    let key = citywallet_core::keys::parse_did_key(did)
        .map_err(|_| IssuerError::InvalidProof("kid is not an Ed25519 did:key"))?;
    let signed = &jwt[..h.len() + 1 + p.len()];
    if !key.verify(
        signed.as_bytes(),
        &ed25519_dalek::Signature::from_bytes(&signature),
    ) {
        return Err(IssuerError::InvalidProof("the signature does not verify"));
    }

    let audience_ok = match payload.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(IssuerError::InvalidProof("aud is not this issuer"));
    }
    let iat = payload
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(IssuerError::InvalidProof("no iat"))?;
    if iat < now - MAX_PROOF_AGE_SECS || iat > now + MAX_PROOF_AHEAD_SECS {
        return Err(IssuerError::InvalidProof("iat is not recent"));
    }
    let nonce = text(&payload, "nonce").ok_or(IssuerError::InvalidNonce)?;
    Ok(Possession {
        holder: did.to_owned(),
        nonce,
    })
}
