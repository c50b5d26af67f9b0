//! Selective-disclosure presentations: a BBS proof over chosen claims, bound to the verifier's
//! challenge through the presentation header and to the holder by an Ed25519 signature.
//!
//! Holder binding: message 0 of every credential is `holder=<did:key>`, always disclosed, and
//! the holder's identity key signs [`binding_message`] (the header, the presentation header and
//! the proof). Someone who copies a presentation cannot answer a new challenge without the
//! holder's key. What it reveals: the holder's `did:key`, and (as the credential id is in the
//! header) presentations of one credential can be linked. Hiding the DID would take a
//! blind-signed holder secret (zkryptium's blind BBS), whose proofs plain IETF BBS verifiers
//! cannot check; interoperability with them was chosen.

use ed25519_dalek::Signature as EdSignature;
use serde::{Deserialize, Serialize};

use super::bbs::{CIPHERSUITE, IssuerPublicKey, PUBLIC_KEY_BYTES};
use super::credential::{Credential, Header, MAX_ID_CHARS};
use super::schema::{CredentialType, check_value};
use crate::keys::{KeyPair, parse_did_key};
use crate::{Error, Rejection, Result};

/// Largest presentation accepted, JSON or compact.
pub const MAX_PRESENTATION_BYTES: usize = 32 * 1024;
/// Largest challenge JSON accepted.
pub const MAX_CHALLENGE_BYTES: usize = 1024;
/// How far a challenge's `issued_at` may lie in the verifier's future (clock drift).
pub const MAX_CLOCK_DRIFT_SECS: i64 = 60;
const COMPACT_MAGIC: &[u8; 3] = b"CWP";
const COMPACT_VERSION: u8 = 1;
const SUITE_BLS12_381_SHA_256: u8 = 1;
const BINDING_DOMAIN: &[u8] = b"CityWallet presentation binding v1\0";

/// The verifier's challenge: a fresh nonce, who asks, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// 16 random bytes, hex.
    pub nonce: String,
    /// The verifier's id.
    pub verifier: String,
    /// Unix seconds.
    pub issued_at: i64,
}

impl Challenge {
    /// A fresh challenge for `verifier` at `now`.
    pub fn new(verifier: &str, now: i64) -> Result<Self> {
        let mut nonce = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| Error::Rng)?;
        let challenge = Self {
            nonce: hex::encode(nonce),
            verifier: verifier.into(),
            issued_at: now,
        };
        challenge.check()?;
        Ok(challenge)
    }

    /// Parse challenge JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let bad = || Error::InvalidChallenge;
        if bytes.len() > MAX_CHALLENGE_BYTES {
            return Err(bad());
        }
        let challenge: Self = serde_json::from_slice(bytes).map_err(|_| bad())?;
        challenge.check()?;
        Ok(challenge)
    }

    fn check(&self) -> Result<()> {
        let nonce_ok = self.nonce.len() >= 32
            && self.nonce.len() <= 128
            && self.nonce.bytes().all(|b| b.is_ascii_hexdigit());
        let verifier_ok = (1..=MAX_ID_CHARS).contains(&self.verifier.chars().count())
            && !self.verifier.chars().any(char::is_control);
        if nonce_ok && verifier_ok && self.issued_at > 0 {
            Ok(())
        } else {
            Err(Error::InvalidChallenge)
        }
    }

    /// The presentation header: canonical JSON `{"nonce":…,"verifier":…,"issued_at":…}`.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A presentation. Its JSON form uses the IETF BBS fixtures' field names, hex-encoded, so any
/// conforming BBS implementation can check the proof without CityWallet's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    /// Issuer id.
    pub issuer: String,
    /// The issuer's BBS public key.
    pub signer_public_key: [u8; PUBLIC_KEY_BYTES],
    /// The credential's canonical header.
    pub header: Vec<u8>,
    /// The challenge's canonical bytes.
    pub presentation_header: Vec<u8>,
    /// Disclosed message indexes, ascending; 0 (the holder) always.
    pub disclosed_indexes: Vec<usize>,
    /// The disclosed messages, exact bytes, in index order.
    pub disclosed_messages: Vec<Vec<u8>>,
    /// The BBS proof.
    pub proof: Vec<u8>,
    /// The holder's Ed25519 signature over [`binding_message`].
    pub holder_signature: [u8; 64],
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PresentationJson {
    ciphersuite: String,
    issuer: String,
    signer_public_key: String,
    header: String,
    presentation_header: String,
    disclosed_indexes: Vec<usize>,
    disclosed_messages: Vec<String>,
    proof: String,
    holder_signature: String,
}

/// What a valid presentation established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Issuer id.
    pub issuer: String,
    /// Credential id (for revocation checks).
    pub credential_id: String,
    /// Credential type.
    #[serde(rename = "type")]
    pub kind: CredentialType,
    /// The holder's `did:key`.
    pub holder: String,
    /// The disclosed claims, in schema order.
    pub disclosed: Vec<(String, String)>,
    /// Unix seconds after which the credential is expired.
    pub valid_until: i64,
}

/// The bytes the holder's identity key signs: a domain tag, then the header, the
/// presentation header and the proof, each preceded by its length (u32 big-endian).
pub fn binding_message(header: &[u8], presentation_header: &[u8], proof: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        BINDING_DOMAIN.len() + 12 + header.len() + presentation_header.len() + proof.len(),
    );
    out.extend_from_slice(BINDING_DOMAIN);
    for part in [header, presentation_header, proof] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// Derive a presentation of `credential` disclosing the claims named in `disclose`, for
/// `challenge`, signed by `holder_key` (the identity key the credential names).
pub fn present(
    credential: &Credential,
    holder_key: &KeyPair,
    disclose: &[&str],
    challenge: &Challenge,
) -> Result<Presentation> {
    if holder_key.public().did_key() != credential.holder {
        return Err(Error::InvalidCredential {
            reason: "the credential was issued to another holder",
        });
    }
    let mut indexes = vec![0usize];
    for name in disclose {
        let i = credential
            .claims
            .iter()
            .position(|c| c.name == *name)
            .ok_or(Error::UnknownClaim)?;
        indexes.push(i + 1);
    }
    indexes.sort_unstable();
    indexes.dedup();

    let public = credential.public_key()?;
    let header = credential.header();
    let ph = challenge.to_bytes();
    let messages = credential.messages();
    let proof = public.proof_gen(
        &credential.signature_bytes()?,
        &header,
        &ph,
        &messages,
        &indexes,
    )?;
    let holder_signature = holder_key
        .sign(&binding_message(&header, &ph, &proof))
        .to_bytes();
    Ok(Presentation {
        issuer: credential.issuer.clone(),
        signer_public_key: public.to_bytes(),
        header,
        presentation_header: ph,
        disclosed_messages: indexes.iter().map(|&i| messages[i].clone()).collect(),
        disclosed_indexes: indexes,
        proof,
        holder_signature,
    })
}

fn reject(r: Rejection) -> Error {
    Error::Rejected(r)
}

fn malformed() -> Error {
    reject(Rejection::Malformed)
}

impl Presentation {
    /// The JSON form.
    pub fn to_json(&self) -> Vec<u8> {
        let json = PresentationJson {
            ciphersuite: CIPHERSUITE.into(),
            issuer: self.issuer.clone(),
            signer_public_key: hex::encode(self.signer_public_key),
            header: hex::encode(&self.header),
            presentation_header: hex::encode(&self.presentation_header),
            disclosed_indexes: self.disclosed_indexes.clone(),
            disclosed_messages: self.disclosed_messages.iter().map(hex::encode).collect(),
            proof: hex::encode(&self.proof),
            holder_signature: hex::encode(self.holder_signature),
        };
        serde_json::to_vec_pretty(&json).unwrap_or_default()
    }

    /// Parse the JSON form. Any defect is [`Rejection::Malformed`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_PRESENTATION_BYTES {
            return Err(malformed());
        }
        let j: PresentationJson = serde_json::from_slice(bytes).map_err(|_| malformed())?;
        if j.ciphersuite != CIPHERSUITE {
            return Err(malformed());
        }
        let unhex = |s: &str| hex::decode(s).map_err(|_| malformed());
        let p = Self {
            issuer: j.issuer,
            signer_public_key: unhex(&j.signer_public_key)?
                .try_into()
                .map_err(|_| malformed())?,
            header: unhex(&j.header)?,
            presentation_header: unhex(&j.presentation_header)?,
            disclosed_indexes: j.disclosed_indexes,
            disclosed_messages: j
                .disclosed_messages
                .iter()
                .map(|m| unhex(m))
                .collect::<Result<_>>()?,
            proof: unhex(&j.proof)?,
            holder_signature: unhex(&j.holder_signature)?
                .try_into()
                .map_err(|_| malformed())?,
        };
        p.check_shape()?;
        Ok(p)
    }

    /// The compact binary form, for QR codes:
    ///
    /// ```text
    /// "CWP" | version u8 = 1 | suite u8 = 1 (BLS12-381-SHA-256)
    /// issuer: u8 length | bytes          signerPublicKey: 96 bytes
    /// header: u16 length | bytes         presentationHeader: u16 length | bytes
    /// count u8, then per disclosed message: index u8 | u16 length | bytes
    /// proof: u16 length | bytes          holderSignature: 64 bytes
    /// ```
    /// Lengths are big-endian; nothing may follow.
    pub fn to_compact(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(COMPACT_MAGIC);
        out.extend_from_slice(&[COMPACT_VERSION, SUITE_BLS12_381_SHA_256]);
        out.push(self.issuer.len() as u8);
        out.extend_from_slice(self.issuer.as_bytes());
        out.extend_from_slice(&self.signer_public_key);
        for part in [&self.header, &self.presentation_header] {
            out.extend_from_slice(&(part.len() as u16).to_be_bytes());
            out.extend_from_slice(part);
        }
        out.push(self.disclosed_indexes.len() as u8);
        for (i, m) in self.disclosed_indexes.iter().zip(&self.disclosed_messages) {
            out.push(*i as u8);
            out.extend_from_slice(&(m.len() as u16).to_be_bytes());
            out.extend_from_slice(m);
        }
        out.extend_from_slice(&(self.proof.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.proof);
        out.extend_from_slice(&self.holder_signature);
        out
    }

    /// Parse the compact form. Any defect is [`Rejection::Malformed`]; never panics.
    pub fn from_compact(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_PRESENTATION_BYTES {
            return Err(malformed());
        }
        let mut r = Reader(bytes);
        if r.take(3)? != COMPACT_MAGIC || r.take(2)? != [COMPACT_VERSION, SUITE_BLS12_381_SHA_256] {
            return Err(malformed());
        }
        let issuer_len = r.u8()? as usize;
        let issuer = String::from_utf8(r.take(issuer_len)?.to_vec()).map_err(|_| malformed())?;
        let signer_public_key = r
            .take(PUBLIC_KEY_BYTES)?
            .try_into()
            .map_err(|_| malformed())?;
        let header = r.sized()?.to_vec();
        let presentation_header = r.sized()?.to_vec();
        let count = r.u8()? as usize;
        let mut disclosed_indexes = Vec::with_capacity(count);
        let mut disclosed_messages = Vec::with_capacity(count);
        for _ in 0..count {
            disclosed_indexes.push(r.u8()? as usize);
            disclosed_messages.push(r.sized()?.to_vec());
        }
        let proof = r.sized()?.to_vec();
        let holder_signature = r.take(64)?.try_into().map_err(|_| malformed())?;
        if !r.0.is_empty() {
            return Err(malformed());
        }
        let p = Self {
            issuer,
            signer_public_key,
            header,
            presentation_header,
            disclosed_indexes,
            disclosed_messages,
            proof,
            holder_signature,
        };
        p.check_shape()?;
        Ok(p)
    }

    /// Parse either form: JSON starts with `{` (after optional whitespace).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Self::from_json(bytes),
            _ => Self::from_compact(bytes),
        }
    }

    /// Limits that keep both encodings well-defined.
    fn check_shape(&self) -> Result<()> {
        let ok = (1..=MAX_ID_CHARS).contains(&self.issuer.len())
            && self.header.len() <= u16::MAX as usize
            && self.presentation_header.len() <= u16::MAX as usize
            && self.proof.len() <= u16::MAX as usize
            && super::bbs::proof_length_ok(self.proof.len())
            && !self.disclosed_indexes.is_empty()
            && self.disclosed_indexes.len() == self.disclosed_messages.len()
            && self.disclosed_indexes.len() <= u8::MAX as usize
            && self.disclosed_indexes.windows(2).all(|w| w[0] < w[1])
            && self
                .disclosed_indexes
                .iter()
                .all(|&i| i <= u8::MAX as usize)
            && self
                .disclosed_messages
                .iter()
                .all(|m| m.len() <= u16::MAX as usize);
        if ok { Ok(()) } else { Err(malformed()) }
    }

    /// Verify against the verifier's own `challenge` at `now`, with the issuer keys it trusts.
    ///
    /// Checks, in order: the challenge is the verifier's and fresh (at most `max_age_secs`
    /// old), the issuer is trusted with this key, the header is canonical, the BBS proof,
    /// the holder binding, the validity period, and that every disclosed message is a claim
    /// of the type. The first failure is the reason returned.
    pub fn verify(
        &self,
        challenge: &Challenge,
        trusted_issuers: &[(String, IssuerPublicKey)],
        now: i64,
        max_age_secs: i64,
    ) -> Result<Verified> {
        self.check_shape()?;
        if self.presentation_header != challenge.to_bytes() {
            return Err(reject(Rejection::ChallengeMismatch));
        }
        let age = now.saturating_sub(challenge.issued_at);
        if age > max_age_secs || age < -MAX_CLOCK_DRIFT_SECS {
            return Err(reject(Rejection::ChallengeStale { age_secs: age }));
        }
        let issuer_key = trusted_issuers
            .iter()
            .find(|(id, key)| *id == self.issuer && key.to_bytes() == self.signer_public_key)
            .map(|(_, key)| *key)
            .ok_or(reject(Rejection::IssuerUnknown))?;
        let header = Header::parse(&self.header).ok_or_else(malformed)?;
        if header.issuer != self.issuer {
            return Err(malformed());
        }
        if !issuer_key.proof_verify(
            &self.proof,
            &self.header,
            &self.presentation_header,
            &self.disclosed_messages,
            &self.disclosed_indexes,
        ) {
            return Err(reject(Rejection::ProofInvalid));
        }
        // The proof is valid: from here on, every disclosed byte is the issuer's.
        let holder = self
            .disclosed_indexes
            .first()
            .filter(|&&i| i == 0)
            .and_then(|_| self.disclosed_messages[0].strip_prefix(b"holder="))
            .and_then(|d| std::str::from_utf8(d).ok())
            .ok_or(reject(Rejection::HolderBindingInvalid))?;
        let holder_key =
            parse_did_key(holder).map_err(|_| reject(Rejection::HolderBindingInvalid))?;
        let signature = EdSignature::from_bytes(&self.holder_signature);
        let message = binding_message(&self.header, &self.presentation_header, &self.proof);
        if !holder_key.verify(&message, &signature) {
            return Err(reject(Rejection::HolderBindingInvalid));
        }
        if now < header.valid_from {
            return Err(reject(Rejection::NotYetValid));
        }
        if now > header.valid_until {
            return Err(reject(Rejection::Expired));
        }
        let specs = header.kind.claims();
        let mut disclosed = Vec::new();
        for (&i, message) in self
            .disclosed_indexes
            .iter()
            .zip(&self.disclosed_messages)
            .skip(1)
        {
            let spec = specs.get(i - 1).ok_or_else(malformed)?;
            let text = std::str::from_utf8(message).map_err(|_| malformed())?;
            let (name, value) = text.split_once('=').ok_or_else(malformed)?;
            if name != spec.name || check_value(spec.kind, value).is_err() {
                return Err(malformed());
            }
            disclosed.push((name.to_owned(), value.to_owned()));
        }
        Ok(Verified {
            issuer: header.issuer,
            credential_id: header.id,
            kind: header.kind,
            holder: holder.to_owned(),
            disclosed,
            valid_until: header.valid_until,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(malformed());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn sized(&mut self) -> Result<&'a [u8]> {
        let len = self.take(2)?;
        self.take(u16::from_be_bytes([len[0], len[1]]) as usize)
    }
}
