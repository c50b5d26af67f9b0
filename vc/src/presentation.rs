//! A holder's W3C Verifiable Presentation of one city credential, as an officer asks for
//! it: the credential derived with `bbs-2023` (the claims the citizen picks and the
//! mandatory ones; the BBS presentation header is the UTF-8 of the verifier's nonce), inside a
//! `VerifiablePresentation` the holder's `did:key` signs with the Data Integrity
//! `eddsa-rdfc-2022` cryptosuite (`proofPurpose` `authentication`, `challenge` the
//! verifier's nonce, `domain` the verifier's client id, as OpenID4VP 1.0 §B.1.3.2.5 asks),
//! so the proof cannot be replayed by someone
//! who saw it or who copied the credential without its holder's key.
//!
//! [`to_compact`] / [`from_compact`] give the same presentation in fewer bytes for an
//! offline QR code: CBOR, with the proof values as raw bytes.

use citywallet_core::Rejection;
use citywallet_core::credentials::{
    Challenge, CredentialType, IssuerPublicKey, MAX_CLOCK_DRIFT_SECS, Verified,
};
use citywallet_core::keys::KeyPair;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::{Result, VcError, canon, city, contexts, derived};

/// The cryptosuite of the holder's proof.
pub const HOLDER_CRYPTOSUITE: &str = "eddsa-rdfc-2022";
/// The first bytes of the compact form.
pub const COMPACT_MAGIC: &[u8; 4] = b"CWVP";
/// Largest presentation read, JSON or compact.
pub const MAX_PRESENTATION_BYTES: usize = 32 * 1024;

fn reject(r: Rejection) -> VcError {
    VcError::Rejected(r)
}

fn malformed() -> VcError {
    reject(Rejection::Malformed)
}

/// `eddsa-rdfc-2022`'s hash data: SHA-256 of the canonical proof configuration, then of the
/// canonical document.
fn eddsa_hash_data(document: &Map<String, Value>, options: &Map<String, Value>) -> Result<Vec<u8>> {
    let mut config = options.clone();
    config.remove("proofValue");
    if let Some(context) = document.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    let config = serde_json::to_vec(&config).map_err(|e| VcError::JsonLd(e.to_string()))?;
    let doc = serde_json::to_vec(document).map_err(|e| VcError::JsonLd(e.to_string()))?;
    let mut out = crate::base::proof_hash(&config)?.to_vec();
    out.extend_from_slice(&Sha256::digest(canon::canonical_nquads(&doc)?.concat()));
    Ok(out)
}

/// Present `signed` (a city credential with its base proof, held by `holder`) for
/// `challenge`, disclosing the claims named in `disclose` (core names) beside the mandatory
/// ones; `created` is RFC 3339. The challenge's verifier is the client id.
pub fn present(
    signed: &Value,
    disclose: &[&str],
    challenge: &Challenge,
    holder: &KeyPair,
    created: &str,
) -> Result<Value> {
    let pointers: Vec<String> = disclose.iter().map(|c| city::claim_pointer(c)).collect();
    present_for(
        signed,
        &pointers,
        &challenge.nonce,
        &challenge.verifier,
        holder,
        created,
    )
}

/// Present `signed` for a verifier `client_id` that gave `nonce`, disclosing what the JSON
/// `pointers` select beside the mandatory claims (an OpenID4VP answer: the pointers come from
/// the DCQL match).
pub fn present_for(
    signed: &Value,
    pointers: &[String],
    nonce: &str,
    client_id: &str,
    holder: &KeyPair,
    created: &str,
) -> Result<Value> {
    let vc = derived::derive(signed, pointers, nonce.as_bytes())?;
    let did = holder.public().did_key();
    let key = did
        .strip_prefix("did:key:")
        .ok_or(VcError::InvalidKey("the holder's did:key"))?;
    let Value::Object(vp) = json!({
        "@context": [contexts::CREDENTIALS_V2, city::CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": did,
        "verifiableCredential": [vc],
    }) else {
        return Err(malformed());
    };
    let Value::Object(mut options) = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": HOLDER_CRYPTOSUITE,
        "created": created,
        "verificationMethod": format!("{did}#{key}"),
        "proofPurpose": "authentication",
        "challenge": nonce,
        "domain": client_id,
    }) else {
        return Err(malformed());
    };
    let signature = holder.sign(&eddsa_hash_data(&vp, &options)?);
    options.insert(
        "proofValue".into(),
        Value::String(format!(
            "z{}",
            bs58::encode(signature.to_bytes()).into_string()
        )),
    );
    let mut out = vp;
    out.insert("proof".into(), Value::Object(options));
    Ok(Value::Object(out))
}

/// A presentation read, before its proofs are checked: the credential's chain issuer id
/// (to look its key up) and the parts.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The chain issuer id the credential names.
    pub issuer: String,
    vp: Map<String, Value>,
    proof: Map<String, Value>,
    vc: Value,
    holder: String,
}

/// Presentation JSON or its compact form, at most [`MAX_PRESENTATION_BYTES`], as an
/// object, and whether its `type` names a `VerifiablePresentation`.
pub(crate) fn read(bytes: &[u8]) -> Result<(Map<String, Value>, bool)> {
    if bytes.len() > MAX_PRESENTATION_BYTES {
        return Err(VcError::TooLarge {
            bytes: bytes.len(),
            limit: MAX_PRESENTATION_BYTES,
        });
    }
    let value = if bytes.starts_with(COMPACT_MAGIC) {
        from_compact(bytes)?
    } else {
        serde_json::from_slice(bytes).map_err(|_| malformed())?
    };
    let Value::Object(vp) = value else {
        return Err(malformed());
    };
    let is_vp = vp
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|x| x == "VerifiablePresentation"));
    Ok((vp, is_vp))
}

/// `Ok` when `challenge`, issued at its `issued_at`, is at most `max_age_secs` old at `now`
/// and not more than the clock drift ahead.
pub(crate) fn challenge_fresh(challenge: &Challenge, now: i64, max_age_secs: i64) -> Result<()> {
    let age = now.saturating_sub(challenge.issued_at);
    if age > max_age_secs || age < -MAX_CLOCK_DRIFT_SECS {
        return Err(reject(Rejection::ChallengeStale { age_secs: age }));
    }
    Ok(())
}

/// Read presentation JSON or its compact form.
pub fn parse(bytes: &[u8]) -> Result<Parsed> {
    let (mut vp, is_vp) = read(bytes)?;
    let Some(Value::Object(proof)) = vp.remove("proof") else {
        return Err(malformed());
    };
    let holder = vp
        .get("holder")
        .and_then(Value::as_str)
        .ok_or_else(malformed)?
        .to_owned();
    let vc = match vp.get("verifiableCredential") {
        Some(Value::Array(list)) if list.len() == 1 => list[0].clone(),
        _ => return Err(malformed()),
    };
    let issuer = vc
        .get("issuer")
        .and_then(Value::as_str)
        .and_then(city::issuer_id)
        .ok_or_else(malformed)?
        .to_owned();
    if !is_vp || !vc.is_object() {
        return Err(malformed());
    }
    Ok(Parsed {
        issuer,
        vp,
        proof,
        vc,
        holder,
    })
}

fn text<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

fn unix(rfc3339: &str) -> Option<i64> {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

impl Parsed {
    /// Check the presentation against `challenge` at `now` with the issuer's key (from the
    /// chain): the challenge is fresh, the holder signed this presentation for it, the
    /// credential's derived proof verifies bound to it, the holder is the credential's
    /// subject, and the credential is in force. Returns what it establishes.
    pub fn verify(
        &self,
        challenge: &Challenge,
        issuer_key: &IssuerPublicKey,
        now: i64,
        max_age_secs: i64,
    ) -> Result<Verified> {
        challenge_fresh(challenge, now, max_age_secs)?;
        self.verify_for(&challenge.nonce, &challenge.verifier, issuer_key, now)
    }

    /// [`Parsed::verify`] for a verifier `client_id` that gave `nonce` (its freshness is the
    /// verifier's to judge: an OpenID4VP nonce is used once).
    pub fn verify_for(
        &self,
        nonce: &str,
        client_id: &str,
        issuer_key: &IssuerPublicKey,
        now: i64,
    ) -> Result<Verified> {
        let p = &self.proof;
        if text(p, "type") != Some("DataIntegrityProof")
            || text(p, "cryptosuite") != Some(HOLDER_CRYPTOSUITE)
            || text(p, "proofPurpose") != Some("authentication")
        {
            return Err(malformed());
        }
        if text(p, "challenge") != Some(nonce) || text(p, "domain") != Some(client_id) {
            return Err(reject(Rejection::ChallengeMismatch));
        }
        // The holder's key is its did:key; the method must be that key.
        let key = citywallet_core::keys::parse_did_key(&self.holder)
            .map_err(|_| reject(Rejection::HolderBindingInvalid))?;
        let fragment = self.holder.strip_prefix("did:key:").unwrap_or_default();
        if text(p, "verificationMethod") != Some(format!("{}#{fragment}", self.holder).as_str()) {
            return Err(reject(Rejection::HolderBindingInvalid));
        }
        let signature: [u8; 64] = text(p, "proofValue")
            .and_then(|v| v.strip_prefix('z'))
            .and_then(|v| bs58::decode(v).into_vec().ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(malformed)?;
        let hash_data = eddsa_hash_data(&self.vp, p)?;
        if !key.verify(
            &hash_data,
            &ed25519_dalek::Signature::from_bytes(&signature),
        ) {
            return Err(reject(Rejection::HolderBindingInvalid));
        }

        let header = derived::verify(&self.vc, issuer_key).map_err(|e| match e {
            VcError::ProofInvalid(_) => reject(Rejection::ProofInvalid),
            e => e,
        })?;
        if header != nonce.as_bytes() {
            return Err(reject(Rejection::ChallengeMismatch));
        }
        // From here every disclosed value is the issuer's.
        let vc = self.vc.as_object().ok_or_else(malformed)?;
        let subject = vc
            .get("credentialSubject")
            .and_then(Value::as_object)
            .ok_or_else(malformed)?;
        if subject.get("id").and_then(Value::as_str) != Some(self.holder.as_str()) {
            return Err(reject(Rejection::HolderBindingInvalid));
        }
        let (kind, valid_until, disclosed) = credential_facts(vc, subject, now, 1)?;
        Ok(Verified {
            issuer: self.issuer.clone(),
            credential_id: text(vc, "id").ok_or_else(malformed)?.to_owned(),
            kind,
            holder: self.holder.clone(),
            disclosed,
            valid_until,
        })
    }
}

/// A credential's type, the end of its validity (Unix seconds) and its disclosed claims.
pub(crate) type Facts = (CredentialType, i64, Vec<(String, String)>);

/// What a verified credential says, checked: its city type, that it is in force at `now`
/// (`validUntil` ahead, `validFrom` not beyond the clock drift), and its disclosed claims
/// in schema order, which must be all its subject holds but `extra` members (the subject's
/// `id`, when the credential has one).
pub(crate) fn credential_facts(
    vc: &Map<String, Value>,
    subject: &Map<String, Value>,
    now: i64,
    extra: usize,
) -> Result<Facts> {
    let kind: CredentialType = vc
        .get("type")
        .and_then(Value::as_array)
        .and_then(|t| t.iter().filter_map(Value::as_str).find_map(city::kind_of))
        .ok_or_else(malformed)?;
    let valid_until = text(vc, "validUntil")
        .and_then(unix)
        .ok_or_else(malformed)?;
    if valid_until <= now {
        return Err(reject(Rejection::Expired));
    }
    if text(vc, "validFrom")
        .and_then(unix)
        .is_some_and(|f| f > now + MAX_CLOCK_DRIFT_SECS)
    {
        return Err(reject(Rejection::NotYetValid));
    }
    let mut disclosed = Vec::new();
    for spec in kind.claims() {
        match subject.get(&city::term(spec.name)) {
            None => {}
            Some(Value::String(s)) => disclosed.push((spec.name.to_owned(), s.clone())),
            Some(Value::Number(n)) => disclosed.push((spec.name.to_owned(), n.to_string())),
            Some(_) => return Err(malformed()),
        }
    }
    if subject.len() != disclosed.len() + extra {
        return Err(malformed());
    }
    Ok((kind, valid_until, disclosed))
}

fn to_cbor(v: &Value, proof_value: bool) -> Result<ciborium::Value> {
    use ciborium::Value as C;
    Ok(match v {
        Value::Null => C::Null,
        Value::Bool(b) => C::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => C::Integer(i.into()),
            None => C::Float(n.as_f64().ok_or_else(malformed)?),
        },
        // A proof value as its bytes, tagged by its multibase prefix.
        Value::String(s) if proof_value => match s.split_at_checked(1) {
            Some(("u", rest)) => C::Tag(
                1,
                Box::new(C::Bytes(
                    base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, rest)
                        .map_err(|_| malformed())?,
                )),
            ),
            Some(("z", rest)) => C::Tag(
                2,
                Box::new(C::Bytes(
                    bs58::decode(rest).into_vec().map_err(|_| malformed())?,
                )),
            ),
            _ => C::Text(s.clone()),
        },
        Value::String(s) => C::Text(s.clone()),
        Value::Array(a) => C::Array(a.iter().map(|x| to_cbor(x, false)).collect::<Result<_>>()?),
        Value::Object(o) => C::Map(
            o.iter()
                .map(|(k, x)| Ok((C::Text(k.clone()), to_cbor(x, k == "proofValue")?)))
                .collect::<Result<_>>()?,
        ),
    })
}

fn from_cbor(v: ciborium::Value, depth: u32) -> Result<Value> {
    use ciborium::Value as C;
    if depth > 32 {
        return Err(malformed());
    }
    Ok(match v {
        C::Null => Value::Null,
        C::Bool(b) => Value::Bool(b),
        C::Integer(i) => Value::from(i64::try_from(i).map_err(|_| malformed())?),
        C::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(malformed)?,
        C::Text(s) => Value::String(s),
        C::Tag(1, b) => match *b {
            C::Bytes(b) => Value::String(format!(
                "u{}",
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b)
            )),
            _ => return Err(malformed()),
        },
        C::Tag(2, b) => match *b {
            C::Bytes(b) => Value::String(format!("z{}", bs58::encode(b).into_string())),
            _ => return Err(malformed()),
        },
        C::Array(a) => Value::Array(
            a.into_iter()
                .map(|x| from_cbor(x, depth + 1))
                .collect::<Result<_>>()?,
        ),
        C::Map(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| match k {
                    C::Text(k) => Ok((k, from_cbor(x, depth + 1)?)),
                    _ => Err(malformed()),
                })
                .collect::<Result<_>>()?,
        ),
        _ => return Err(malformed()),
    })
}

/// The compact form of a presentation: [`COMPACT_MAGIC`] then CBOR, proof values as bytes.
pub fn to_compact(vp: &Value) -> Result<Vec<u8>> {
    let mut out = COMPACT_MAGIC.to_vec();
    ciborium::into_writer(&to_cbor(vp, false)?, &mut out).map_err(|_| malformed())?;
    Ok(out)
}

/// A presentation from its compact form.
pub fn from_compact(bytes: &[u8]) -> Result<Value> {
    let body = bytes
        .strip_prefix(COMPACT_MAGIC.as_slice())
        .ok_or_else(malformed)?;
    if body.len() > MAX_PRESENTATION_BYTES {
        return Err(malformed());
    }
    let v: ciborium::Value = ciborium::from_reader(body).map_err(|_| malformed())?;
    from_cbor(v, 0)
}
