//! The `bbs-2023` base proof an issuer makes: the hashes that form the BBS header, the
//! signature over the non-mandatory statements, and the serialised proof value
//! (`serializeBaseProofValue`, baseline feature: header bytes `d9 5d 02` and a CBOR array of
//! the signature, the BBS header, the public key, the HMAC key and the mandatory pointers,
//! multibase base64url).

use std::fmt;

use ciborium::Value;
use citywallet_core::credentials::{IssuerPublicKey, IssuerSecretKey};
use sha2::{Digest, Sha256};

use crate::{Result, VcError, canon};

/// The first bytes of a baseline base proof value.
pub const BASE_PROOF_HEADER: [u8; 3] = [0xd9, 0x5d, 0x02];
/// The first bytes of an anonymous holder binding base proof value (the signature is a
/// blind one over the holder's committed secret; the components are the baseline's).
pub const HOLDER_BINDING_BASE_PROOF_HEADER: [u8; 3] = [0xd9, 0x5d, 0x04];
/// The first bytes of a pseudonym base proof value (the components then end with the
/// signer's nym entropy).
pub const PSEUDONYM_BASE_PROOF_HEADER: [u8; 3] = [0xd9, 0x5d, 0x06];
/// The first bytes of a holder binding pseudonym base proof value. The W3C Pseudonym
/// vectors write it for both pseudonym features, so both are read either way.
pub const HOLDER_BINDING_PSEUDONYM_BASE_PROOF_HEADER: [u8; 3] = [0xd9, 0x5d, 0x08];

/// The `bbs-2023` feature a proof uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Feature {
    /// The baseline: a plain BBS signature.
    #[default]
    Baseline,
    /// Anonymous holder binding: a blind signature over a secret only the holder knows,
    /// whose knowledge every derived proof shows.
    AnonymousHolderBinding,
    /// Pseudonyms (BBS per-verifier linkability -01): a blind signature over the holder's
    /// `prover_nym` (and, `holder_bound`, its holder secret) with the issuer's
    /// `signer_nym_entropy` added; every derived proof shows a pseudonym for one verifier
    /// context.
    Pseudonym {
        /// With anonymous holder binding as well (the holder secret is committed too).
        holder_bound: bool,
        /// The issuer's part of the nym secret (a scalar).
        signer_nym_entropy: [u8; 32],
    },
}

impl Feature {
    /// The base proof value's header bytes.
    pub fn base_header(&self) -> [u8; 3] {
        match self {
            Self::Baseline => BASE_PROOF_HEADER,
            Self::AnonymousHolderBinding => HOLDER_BINDING_BASE_PROOF_HEADER,
            Self::Pseudonym {
                holder_bound: false,
                ..
            } => PSEUDONYM_BASE_PROOF_HEADER,
            Self::Pseudonym {
                holder_bound: true, ..
            } => HOLDER_BINDING_PSEUDONYM_BASE_PROOF_HEADER,
        }
    }
}
/// The longest base proof value read (characters): a credential's mandatory pointers are few.
pub const MAX_PROOF_VALUE_CHARS: usize = 16 * 1024;

/// SHA-256 of the canonical proof configuration (the proof's options with the document's
/// `@context`, without `proofValue`).
pub fn proof_hash(proof_config: &[u8]) -> Result<[u8; 32]> {
    Ok(Sha256::digest(canon::canonical_nquads(proof_config)?.concat()).into())
}

/// SHA-256 of the mandatory statements, in order, joined.
pub fn mandatory_hash(mandatory: &[String]) -> [u8; 32] {
    Sha256::digest(mandatory.concat()).into()
}

/// The BBS header: the proof hash, then the mandatory hash.
pub fn bbs_header(proof_hash: &[u8; 32], mandatory_hash: &[u8; 32]) -> [u8; 64] {
    let mut header = [0u8; 64];
    header[..32].copy_from_slice(proof_hash);
    header[32..].copy_from_slice(mandatory_hash);
    header
}

/// BBS Sign over the non-mandatory statements (each line's UTF-8 bytes, in order) with
/// `header`.
pub fn sign(
    secret: &IssuerSecretKey,
    public: &IssuerPublicKey,
    header: &[u8; 64],
    non_mandatory: &[String],
) -> Result<[u8; 80]> {
    let messages: Vec<Vec<u8>> = non_mandatory
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    Ok(secret.sign(public, header, &messages)?)
}

/// A `bbs-2023` proof's options (all but `proofValue`): a `DataIntegrityProof` for
/// `assertionMethod` by `verification_method`, made at `created` (RFC 3339).
pub fn proof_options(verification_method: &str, created: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "bbs-2023",
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    })
}

/// The group name of the mandatory pointers in [`canon::canonicalize_and_group`].
const MANDATORY: &str = "mandatory";

/// What the issuer's base transformation gives: the mandatory statements and the others,
/// each by its position in the HMAC-shuffled canonical N-Quads.
pub fn transform(
    document: &serde_json::Value,
    mandatory_pointers: &[String],
    hmac_key: &[u8; 32],
) -> Result<canon::Group> {
    canon::canonicalize_and_group(document, hmac_key, &[(MANDATORY, mandatory_pointers)])?
        .groups
        .remove(MANDATORY)
        .ok_or(VcError::ProofValue("no mandatory group"))
}

/// Sign `document` (a credential without `proof`) with a `bbs-2023` base proof: `options`
/// are the proof's fields but `proofValue` (type, cryptosuite, created, verificationMethod,
/// proofPurpose); the result is the document with its `proof`.
pub fn sign_document(
    document: &serde_json::Value,
    options: &serde_json::Value,
    mandatory_pointers: &[String],
    secret: &IssuerSecretKey,
    public: &IssuerPublicKey,
    hmac_key: &[u8; 32],
) -> Result<serde_json::Value> {
    sign_with(
        document,
        options,
        mandatory_pointers,
        public,
        hmac_key,
        |h, m| Ok((sign(secret, public, h, m)?, Feature::Baseline)),
    )
}

/// [`sign_document`] with anonymous holder binding: the signature is a blind one over the
/// holder's `commitment_with_proof` to its one holder secret (checked: a commitment to
/// anything else, or whose proof fails, is refused).
pub fn sign_document_bound(
    document: &serde_json::Value,
    options: &serde_json::Value,
    mandatory_pointers: &[String],
    secret: &IssuerSecretKey,
    public: &IssuerPublicKey,
    hmac_key: &[u8; 32],
    commitment_with_proof: &[u8],
) -> Result<serde_json::Value> {
    if citywallet_core::credentials::bbs::blind::committed_count(commitment_with_proof.len())
        != Some(1)
    {
        return Err(VcError::Bbs("the holder's commitment is not to one secret"));
    }
    sign_with(
        document,
        options,
        mandatory_pointers,
        public,
        hmac_key,
        |h, m| {
            let messages: Vec<Vec<u8>> = m.iter().map(|s| s.as_bytes().to_vec()).collect();
            let signature = secret
                .blind_sign(public, commitment_with_proof, h, &messages)
                .map_err(|_| VcError::Bbs("the holder's commitment does not verify"))?;
            Ok((signature, Feature::AnonymousHolderBinding))
        },
    )
}

/// [`sign_document`] with pseudonyms: the signature is a blind one over the holder's
/// `commitment_with_proof` (from `pseudonym::nym_commit`: its `prover_nym`, after the holder
/// secret when `holder_bound`) with the issuer's `signer_nym_entropy` added. The number of
/// committed messages must match `holder_bound`.
#[allow(clippy::too_many_arguments)]
pub fn sign_document_nym(
    document: &serde_json::Value,
    options: &serde_json::Value,
    mandatory_pointers: &[String],
    secret: &IssuerSecretKey,
    public: &IssuerPublicKey,
    hmac_key: &[u8; 32],
    commitment_with_proof: &[u8],
    signer_nym_entropy: &[u8; 32],
) -> Result<serde_json::Value> {
    let holder_bound =
        match citywallet_core::credentials::pseudonym::committed_count(commitment_with_proof.len())
        {
            Some(1) => false,
            Some(2) => true,
            _ => {
                return Err(VcError::Bbs(
                    "the holder's commitment is not to a prover nym (and a holder secret)",
                ));
            }
        };
    sign_with(
        document,
        options,
        mandatory_pointers,
        public,
        hmac_key,
        |h, m| {
            let messages: Vec<Vec<u8>> = m.iter().map(|s| s.as_bytes().to_vec()).collect();
            let signature = secret
                .blind_sign_with_nym(
                    public,
                    commitment_with_proof,
                    h,
                    &messages,
                    signer_nym_entropy,
                )
                .map_err(|_| VcError::Bbs("the holder's commitment does not verify"))?;
            Ok((
                signature,
                Feature::Pseudonym {
                    holder_bound,
                    signer_nym_entropy: *signer_nym_entropy,
                },
            ))
        },
    )
}

fn sign_with(
    document: &serde_json::Value,
    options: &serde_json::Value,
    mandatory_pointers: &[String],
    public: &IssuerPublicKey,
    hmac_key: &[u8; 32],
    signer: impl FnOnce(&[u8; 64], &[String]) -> Result<([u8; 80], Feature)>,
) -> Result<serde_json::Value> {
    use serde_json::Value;
    let (Value::Object(doc), Value::Object(opts)) = (document, options) else {
        return Err(VcError::JsonLd(
            "a credential and its proof options are objects".into(),
        ));
    };
    if doc.contains_key("proof") || opts.contains_key("proofValue") {
        return Err(VcError::JsonLd("the document is already signed".into()));
    }
    let mut config = opts.clone();
    if let Some(context) = doc.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    let config = serde_json::to_vec(&config).map_err(|e| VcError::JsonLd(e.to_string()))?;
    let group = transform(document, mandatory_pointers, hmac_key)?;
    let mandatory: Vec<String> = group.matching.into_values().collect();
    let non_mandatory: Vec<String> = group.non_matching.into_values().collect();
    let header = bbs_header(&proof_hash(&config)?, &mandatory_hash(&mandatory));
    let (signature, feature) = signer(&header, &non_mandatory)?;
    let proof = BaseProof {
        signature,
        header,
        public_key: public.to_bytes(),
        hmac_key: *hmac_key,
        mandatory_pointers: mandatory_pointers.to_vec(),
        feature,
    };
    let mut proof_object = opts.clone();
    proof_object.insert("proofValue".into(), Value::String(proof.to_proof_value()?));
    let mut signed = doc.clone();
    signed.insert("proof".into(), Value::Object(proof_object));
    Ok(Value::Object(signed))
}

/// Check a credential's `bbs-2023` base proof, as a holder does before keeping it: the
/// proof is a baseline `DataIntegrityProof` for `assertionMethod` made with `public` (the
/// issuer's key, from the chain), its BBS header is the hash of these proof options and
/// these mandatory statements, and the signature covers the other statements. Returns the
/// parsed proof.
pub fn verify_document(signed: &serde_json::Value, public: &IssuerPublicKey) -> Result<BaseProof> {
    let (base, header, non_mandatory) = signed_parts(signed, public)?;
    if base.feature != Feature::Baseline {
        // Checked with the holder's secret and blind, which this path does not take.
        return Err(VcError::ProofValue(
            "a holder binding base proof is checked with the holder's secret",
        ));
    }
    if !public.verify_signature(&base.signature, &header, &non_mandatory) {
        return Err(VcError::ProofInvalid("the base signature"));
    }
    Ok(base)
}

/// [`verify_document`] for a credential signed with pseudonyms and holder binding over the
/// holder's `committed` messages (its holder secret) and `prover_nym` with the secret prover
/// `blind`: the holder's check before keeping one. Returns the parsed proof and the nym
/// secret (the holder's part plus the issuer's entropy).
pub fn verify_document_nym(
    signed: &serde_json::Value,
    public: &IssuerPublicKey,
    committed: &[Vec<u8>],
    prover_nym: &[u8; 32],
    blind: &[u8; 32],
) -> Result<(BaseProof, zeroize::Zeroizing<[u8; 32]>)> {
    let (base, header, non_mandatory) = signed_parts(signed, public)?;
    let Feature::Pseudonym {
        holder_bound,
        signer_nym_entropy,
    } = base.feature
    else {
        return Err(VcError::ProofValue("not a pseudonym base proof"));
    };
    if holder_bound == committed.is_empty() {
        return Err(VcError::ProofValue(
            "not the holder binding this holder asked for",
        ));
    }
    let nym = citywallet_core::credentials::pseudonym::nym_secret(prover_nym, &signer_nym_entropy)
        .map_err(|_| VcError::ProofValue("the signer's nym entropy"))?;
    if !public.verify_blind_signature_with_nym(
        &base.signature,
        &header,
        &non_mandatory,
        committed,
        &nym,
        blind,
    ) {
        return Err(VcError::ProofInvalid("the base signature"));
    }
    Ok((base, nym))
}

/// A signed credential's base proof (a `bbs-2023` `DataIntegrityProof` for
/// `assertionMethod` made with `public`), its recomputed BBS header (refused unless it is the
/// proof's), and the non-mandatory statements the signature covers.
fn signed_parts(
    signed: &serde_json::Value,
    public: &IssuerPublicKey,
) -> Result<(BaseProof, [u8; 64], Vec<Vec<u8>>)> {
    use serde_json::Value;
    let (document, proof) = crate::derived::split(signed)?;
    if proof.get("type").and_then(Value::as_str) != Some("DataIntegrityProof")
        || proof.get("cryptosuite").and_then(Value::as_str) != Some("bbs-2023")
        || proof.get("proofPurpose").and_then(Value::as_str) != Some("assertionMethod")
    {
        return Err(VcError::ProofValue(
            "not a bbs-2023 DataIntegrityProof for assertionMethod",
        ));
    }
    let base = BaseProof::from_proof_value(crate::derived::proof_value(&proof)?)?;
    if base.public_key != public.to_bytes() {
        return Err(VcError::ProofInvalid("made with another issuer key"));
    }
    let mut options = proof.clone();
    options.remove("proofValue");
    if let Some(context) = document.get("@context") {
        options.insert("@context".into(), context.clone());
    }
    let config = serde_json::to_vec(&options).map_err(|e| VcError::JsonLd(e.to_string()))?;
    let group = transform(&document, &base.mandatory_pointers, &base.hmac_key)?;
    let mandatory: Vec<String> = group.matching.into_values().collect();
    let non_mandatory: Vec<Vec<u8>> = group
        .non_matching
        .into_values()
        .map(String::into_bytes)
        .collect();
    let header = bbs_header(&proof_hash(&config)?, &mandatory_hash(&mandatory));
    if header != base.header {
        return Err(VcError::ProofInvalid("the base signature"));
    }
    Ok((base, header, non_mandatory))
}

/// The parts of a baseline base proof value.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseProof {
    /// The BBS signature.
    pub signature: [u8; 80],
    /// The BBS header ([`bbs_header`]).
    pub header: [u8; 64],
    /// The issuer's BBS public key.
    pub public_key: [u8; 96],
    /// The HMAC key of the blank-node labels: the holder needs it to derive, and never
    /// reveals it.
    pub hmac_key: [u8; 32],
    /// JSON pointers to what every derived proof must disclose.
    pub mandatory_pointers: Vec<String>,
    /// The feature.
    pub feature: Feature,
}

impl fmt::Debug for BaseProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaseProof")
            .field("public_key", &hex::encode(self.public_key))
            .field("hmac_key", &"[redacted]")
            .field("mandatory_pointers", &self.mandatory_pointers)
            .finish_non_exhaustive()
    }
}

impl BaseProof {
    /// `serializeBaseProofValue`: `u` + base64url(`d9 5d 02` (`04` with holder binding,
    /// `06` / `08` with pseudonyms) ‖ CBOR components; the signer's nym entropy last, as a
    /// byte string (the specification allows no CBOR tag).
    pub fn to_proof_value(&self) -> Result<String> {
        let mut components = vec![
            Value::Bytes(self.signature.to_vec()),
            Value::Bytes(self.header.to_vec()),
            Value::Bytes(self.public_key.to_vec()),
            Value::Bytes(self.hmac_key.to_vec()),
            Value::Array(
                self.mandatory_pointers
                    .iter()
                    .cloned()
                    .map(Value::Text)
                    .collect(),
            ),
        ];
        if let Feature::Pseudonym {
            signer_nym_entropy, ..
        } = self.feature
        {
            components.push(Value::Bytes(signer_nym_entropy.to_vec()));
        }
        crate::envelope::encode(self.feature.base_header(), components)
    }

    /// `parseBaseProofValue` for the four features; anything else is refused. The signer's
    /// nym entropy is read as a byte string or, as the W3C vectors write it, a CBOR bignum.
    pub fn from_proof_value(value: &str) -> Result<Self> {
        let (kind, mut parts) = crate::envelope::decode_any(
            value,
            &[
                BASE_PROOF_HEADER,
                HOLDER_BINDING_BASE_PROOF_HEADER,
                PSEUDONYM_BASE_PROOF_HEADER,
                HOLDER_BINDING_PSEUDONYM_BASE_PROOF_HEADER,
            ],
            MAX_PROOF_VALUE_CHARS,
            "not a bbs-2023 base proof",
        )?;
        let feature = match kind {
            BASE_PROOF_HEADER => Feature::Baseline,
            HOLDER_BINDING_BASE_PROOF_HEADER => Feature::AnonymousHolderBinding,
            _ => {
                if parts.len() != 6 {
                    return Err(VcError::ProofValue("the wrong number of components"));
                }
                let entropy = parts.pop().map(scalar_component).transpose()?;
                Feature::Pseudonym {
                    holder_bound: kind == HOLDER_BINDING_PSEUDONYM_BASE_PROOF_HEADER,
                    signer_nym_entropy: entropy.unwrap_or_default(),
                }
            }
        };
        let [signature, header, public_key, hmac_key, pointers] = <[Value; 5]>::try_from(parts)
            .map_err(|_| VcError::ProofValue("the wrong number of components"))?;
        let pointers = match pointers {
            Value::Array(items) => items
                .into_iter()
                .map(|p| match p {
                    Value::Text(t) => Ok(t),
                    _ => Err(VcError::ProofValue("a mandatory pointer is not text")),
                })
                .collect::<Result<Vec<_>>>()?,
            _ => return Err(VcError::ProofValue("mandatory pointers are not an array")),
        };
        Ok(Self {
            signature: fixed(signature, "signature")?,
            header: fixed(header, "header")?,
            public_key: fixed(public_key, "public key")?,
            hmac_key: fixed(hmac_key, "HMAC key")?,
            mandatory_pointers: pointers,
            feature,
        })
    }
}

/// A scalar component: 32 bytes, or a CBOR bignum (tag 2) of at most 32 bytes.
fn scalar_component(value: Value) -> Result<[u8; 32]> {
    let bytes = match value {
        Value::Bytes(b) => b,
        Value::Tag(2, inner) => match *inner {
            Value::Bytes(b) if b.len() <= 32 => {
                let mut padded = vec![0u8; 32 - b.len()];
                padded.extend(b);
                padded
            }
            _ => return Err(VcError::ProofValue("the signer's nym entropy")),
        },
        _ => return Err(VcError::ProofValue("the signer's nym entropy")),
    };
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| VcError::ProofValue("the signer's nym entropy"))?;
    citywallet_core::credentials::pseudonym::scalar(&raw)
        .map(|_| raw)
        .ok_or(VcError::ProofValue(
            "the signer's nym entropy is not a scalar",
        ))
}

fn fixed<const N: usize>(value: Value, what: &'static str) -> Result<[u8; N]> {
    match value {
        Value::Bytes(b) => b.try_into().map_err(|_| VcError::ProofValue(what)),
        _ => Err(VcError::ProofValue(what)),
    }
}
