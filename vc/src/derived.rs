//! The holder's derived proof and the verifier's check (`bbs-2023`, baseline feature).
//!
//! [`disclosure_data`] (`createDisclosureData`): from a credential with its base proof and
//! the pointers the holder chooses to reveal, the BBS proof over the non-mandatory
//! statements disclosing the chosen ones, the indexes, and the reveal document (what the
//! mandatory and the chosen pointers select). [`derive`] puts the reveal document and the
//! derived proof value together. [`verify`] (`createVerifyData` and ProofVerify): the
//! verifier canonicalises the reveal document, relabels its blank nodes with the proof's
//! label map, splits mandatory from disclosed statements by the proof's indexes, rebuilds
//! the BBS header and checks the proof against the issuer's key.

use std::collections::BTreeMap;

use ciborium::Value as Cbor;
use citywallet_core::credentials::IssuerPublicKey;
use serde_json::{Map, Value};

use crate::base::{self, BaseProof};
use crate::{Result, VcError, canon, select};

/// The first bytes of a baseline derived proof value.
pub const DERIVED_PROOF_HEADER: [u8; 3] = [0xd9, 0x5d, 0x03];
/// The first bytes of an anonymous holder binding derived proof value (the baseline's
/// components, then the number of messages the issuer signed).
pub const HOLDER_BINDING_DERIVED_PROOF_HEADER: [u8; 3] = [0xd9, 0x5d, 0x05];
/// The first bytes of a pseudonym derived proof value (the holder binding one's
/// components with the verifier context and the pseudonym before the message count).
pub const PSEUDONYM_DERIVED_PROOF_HEADER: [u8; 3] = [0xd9, 0x5d, 0x07];
/// The first bytes of a holder binding pseudonym derived proof value. The W3C vectors
/// write it for both pseudonym features, without the verifier context; both are read.
pub const HOLDER_BINDING_PSEUDONYM_DERIVED_PROOF_HEADER: [u8; 3] = [0xd9, 0x5d, 0x09];
/// The most issuer messages a holder binding proof may say were signed.
pub const MAX_BBS_MESSAGES: usize = 4096;
/// The longest derived proof value read (characters).
pub const MAX_PROOF_VALUE_CHARS: usize = 64 * 1024;

/// What a derived proof carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedProof {
    /// The BBS proof.
    pub bbs_proof: Vec<u8>,
    /// The verifier's canonical labels (`c14nN`) → the labels signed in the base proof (`bM`).
    pub label_map: BTreeMap<String, String>,
    /// Positions of the mandatory statements among all revealed statements.
    pub mandatory_indexes: Vec<usize>,
    /// Positions of the disclosed statements among the non-mandatory ones (what BBS signed).
    pub selective_indexes: Vec<usize>,
    /// The BBS presentation header (a verifier's challenge goes here).
    pub presentation_header: Vec<u8>,
    /// With anonymous holder binding: how many messages the issuer signed (the holder's
    /// committed secret comes after them); `None` for the baseline.
    pub length_bbs_messages: Option<usize>,
    /// With pseudonyms: the pseudonym and the context it is for.
    pub pseudonym: Option<Nym>,
}

/// A derived proof's pseudonym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nym {
    /// The verifier context (`nym_domain`); `None` in the W3C vectors' form, where the
    /// verifier knows its own.
    pub domain: Option<Vec<u8>>,
    /// The pseudonym (a compressed G1 point).
    pub value: [u8; 48],
    /// Written with the holder binding pseudonym header.
    pub holder_bound: bool,
}

/// `createDisclosureData`: the derived proof's parts and the reveal document (without
/// `proof`).
pub fn disclosure_data(
    signed: &Value,
    selective_pointers: &[String],
    presentation_header: &[u8],
) -> Result<(DerivedProof, Value)> {
    let (document, proof) = split(signed)?;
    disclose(
        &document,
        &proof,
        selective_pointers,
        presentation_header,
        Prover::Plain,
    )
}

/// The holder's part of an anonymous holder binding proof: its secret and the secret
/// prover blind of the commitment the issuer signed.
#[derive(Clone, Copy)]
pub struct Holder<'a> {
    /// The holder secret (the committed message).
    pub secret: &'a [u8],
    /// The secret prover blind.
    pub blind: &'a [u8; 32],
}

impl std::fmt::Debug for Holder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Holder([redacted])")
    }
}

/// The holder's part of a pseudonym proof: its committed messages (the holder secret, or
/// none), the secret prover blind, and the nym secret (`prover_nym` plus the issuer's
/// entropy).
#[derive(Clone, Copy)]
pub struct NymHolder<'a> {
    /// The committed messages before `prover_nym`: the holder secret with holder binding.
    pub committed: &'a [Vec<u8>],
    /// The secret prover blind.
    pub blind: &'a [u8; 32],
    /// The nym secret.
    pub nym_secret: &'a [u8; 32],
}

impl std::fmt::Debug for NymHolder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NymHolder([redacted])")
    }
}

/// Who derives, and with what.
#[derive(Clone, Copy)]
enum Prover<'a> {
    Plain,
    Bound(Holder<'a>),
    Nym {
        holder: NymHolder<'a>,
        context: &'a [u8],
    },
}

/// [`disclosure_data`] of a credential already split from its `proof`.
fn disclose(
    document: &Value,
    proof: &Map<String, Value>,
    selective_pointers: &[String],
    presentation_header: &[u8],
    prover: Prover<'_>,
) -> Result<(DerivedProof, Value)> {
    let value = proof_value(proof)?;
    let base = BaseProof::from_proof_value(value)?;
    match (base.feature, prover) {
        (base::Feature::Baseline, Prover::Plain)
        | (base::Feature::AnonymousHolderBinding, Prover::Bound(_))
        | (base::Feature::Pseudonym { .. }, Prover::Nym { .. }) => {}
        (base::Feature::Baseline, _) => {
            return Err(VcError::ProofValue("not a holder binding credential"));
        }
        (base::Feature::AnonymousHolderBinding, _) => {
            return Err(VcError::ProofValue(
                "a holder binding credential is derived with the holder's secret",
            ));
        }
        (base::Feature::Pseudonym { .. }, _) => {
            return Err(VcError::ProofValue(
                "a pseudonym credential is derived with the holder's nym secret",
            ));
        }
    }
    let combined: Vec<String> = [base.mandatory_pointers.as_slice(), selective_pointers].concat();
    let grouped = canon::canonicalize_and_group(
        document,
        &base.hmac_key,
        &[
            ("mandatory", &base.mandatory_pointers),
            ("selective", selective_pointers),
            ("combined", &combined),
        ],
    )?;
    let group = |name: &str| {
        grouped
            .groups
            .get(name)
            .ok_or(VcError::ProofValue("a group is missing"))
    };
    let (mandatory, selective, all) =
        (group("mandatory")?, group("selective")?, group("combined")?);
    let positions = |of: &BTreeMap<usize, String>, within: &BTreeMap<usize, String>| {
        let keys: Vec<usize> = within.keys().copied().collect();
        of.keys()
            .filter_map(|k| keys.binary_search(k).ok())
            .collect::<Vec<usize>>()
    };
    let mandatory_indexes = positions(&mandatory.matching, &all.matching);
    let selective_indexes = positions(&selective.matching, &mandatory.non_matching);
    let messages: Vec<Vec<u8>> = mandatory
        .non_matching
        .values()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let public = IssuerPublicKey::from_bytes(&base.public_key)
        .ok_or(VcError::InvalidKey("issuer public key"))?;
    let failed = |_| VcError::Bbs("proof generation");
    let (bbs_proof, pseudonym) = match prover {
        Prover::Plain => (
            public
                .proof_gen(
                    &base.signature,
                    &base.header,
                    presentation_header,
                    &messages,
                    &selective_indexes,
                )
                .map_err(failed)?,
            None,
        ),
        Prover::Bound(h) => (
            public
                .blind_proof_gen(
                    &base.signature,
                    &base.header,
                    presentation_header,
                    &messages,
                    &[h.secret.to_vec()],
                    &selective_indexes,
                    &[],
                    h.blind,
                )
                .map_err(failed)?,
            None,
        ),
        Prover::Nym { holder, context } => {
            let made = public
                .nym_proof_gen(
                    &base.signature,
                    &base.header,
                    presentation_header,
                    context,
                    &messages,
                    holder.committed,
                    &selective_indexes,
                    holder.nym_secret,
                    holder.blind,
                )
                .map_err(failed)?;
            let nym = Nym {
                domain: Some(context.to_vec()),
                value: made.pseudonym,
                holder_bound: !holder.committed.is_empty(),
            };
            (made.proof, Some(nym))
        }
    };
    let length_bbs_messages = (!matches!(prover, Prover::Plain)).then_some(messages.len());
    let reveal =
        select::select_json_ld(document, &combined)?.ok_or(VcError::BadPointer(String::new()))?;
    let label_map = canon::label_map(&all.selection, None)
        .into_iter()
        .filter_map(|(input, c14n)| grouped.labels.get(&input).map(|b| (c14n, b.clone())))
        .collect();
    Ok((
        DerivedProof {
            bbs_proof,
            label_map,
            mandatory_indexes,
            selective_indexes,
            presentation_header: presentation_header.to_vec(),
            length_bbs_messages,
            pseudonym,
        },
        reveal,
    ))
}

/// The reveal document with its derived proof: what a holder hands a verifier.
pub fn derive(
    signed: &Value,
    selective_pointers: &[String],
    presentation_header: &[u8],
) -> Result<Value> {
    derive_with(
        signed,
        selective_pointers,
        presentation_header,
        Prover::Plain,
    )
}

/// [`derive`] for an anonymous holder binding credential: the proof shows knowledge of the
/// `holder`'s secret without disclosing it.
pub fn derive_bound(
    signed: &Value,
    selective_pointers: &[String],
    presentation_header: &[u8],
    holder: Holder<'_>,
) -> Result<Value> {
    derive_with(
        signed,
        selective_pointers,
        presentation_header,
        Prover::Bound(holder),
    )
}

/// [`derive`] for a pseudonym credential: the proof carries the holder's pseudonym for the
/// verifier `context` (the same every time for one context, unrelated across contexts) and
/// shows knowledge of the nym secret (and the holder secret) without disclosing them.
pub fn derive_nym(
    signed: &Value,
    selective_pointers: &[String],
    presentation_header: &[u8],
    holder: NymHolder<'_>,
    context: &[u8],
) -> Result<Value> {
    if context.len() > citywallet_core::credentials::pseudonym::MAX_CONTEXT_BYTES {
        return Err(VcError::ProofValue("the verifier context is too long"));
    }
    derive_with(
        signed,
        selective_pointers,
        presentation_header,
        Prover::Nym { holder, context },
    )
}

fn derive_with(
    signed: &Value,
    selective_pointers: &[String],
    presentation_header: &[u8],
    prover: Prover<'_>,
) -> Result<Value> {
    let (document, mut proof) = split(signed)?;
    let (derived, reveal) = disclose(
        &document,
        &proof,
        selective_pointers,
        presentation_header,
        prover,
    )?;
    proof.insert(
        "proofValue".into(),
        Value::String(derived.to_proof_value()?),
    );
    let Value::Object(mut out) = reveal else {
        return Err(VcError::JsonLd(
            "the reveal document is not an object".into(),
        ));
    };
    out.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(out))
}

/// Check a derived document's proof against the issuer's `public` key; `Ok` only when the
/// disclosed statements, the mandatory ones and the proof options are what the issuer
/// signed, bound to the proof's presentation header (returned, for the caller to compare
/// with its challenge).
///
/// A pseudonym proof is refused here: it is checked for the verifier's context
/// ([`verify_nym`]).
pub fn verify(derived: &Value, public: &IssuerPublicKey) -> Result<Vec<u8>> {
    check(derived, public, None).map(|(ph, _)| ph)
}

/// [`verify`] for a pseudonym proof made for the verifier `context`: `Ok` with the
/// presentation header and the pseudonym only when the proof is valid, carries a pseudonym,
/// and is for this context (its `nym_domain`, when it states one, must be `context`).
pub fn verify_nym(
    derived: &Value,
    public: &IssuerPublicKey,
    context: &[u8],
) -> Result<(Vec<u8>, [u8; 48])> {
    match check(derived, public, Some(context))? {
        (ph, Some(nym)) => Ok((ph, nym)),
        (_, None) => Err(VcError::ProofValue("the proof carries no pseudonym")),
    }
}

type Checked = (Vec<u8>, Option<[u8; 48]>);

fn check(derived: &Value, public: &IssuerPublicKey, context: Option<&[u8]>) -> Result<Checked> {
    let (document, proof) = split(derived)?;
    if proof.get("type").and_then(Value::as_str) != Some("DataIntegrityProof")
        || proof.get("cryptosuite").and_then(Value::as_str) != Some("bbs-2023")
    {
        return Err(VcError::ProofValue("not a bbs-2023 DataIntegrityProof"));
    }
    let parsed = DerivedProof::from_proof_value(proof_value(&proof)?)?;
    match (&parsed.pseudonym, context) {
        (None, Some(_)) => return Err(VcError::ProofValue("the proof carries no pseudonym")),
        (Some(_), None) => {
            return Err(VcError::ProofValue(
                "a pseudonym proof is checked for the verifier's context",
            ));
        }
        _ => {}
    }
    let mut options = proof.clone();
    options.remove("proofValue");
    if let Some(context) = document.get("@context") {
        options.insert("@context".into(), context.clone());
    }
    let config = serde_json::to_vec(&options).map_err(|e| VcError::JsonLd(e.to_string()))?;
    let proof_hash = base::proof_hash(&config)?;
    let bytes = serde_json::to_vec(&document).map_err(|e| VcError::JsonLd(e.to_string()))?;
    let dataset = canon::to_rdf(&bytes)?;
    let mut labels = BTreeMap::new();
    for (input, c14n) in canon::label_map(&dataset, None) {
        let signed = parsed.label_map.get(&c14n).ok_or(VcError::ProofInvalid(
            "a blank node is not in the label map",
        ))?;
        labels.insert(input, signed.clone());
    }
    let nquads = canon::nquads(&dataset, &labels);
    if !ascending_within(&parsed.mandatory_indexes, nquads.len()) {
        return Err(VcError::ProofInvalid(
            "mandatory indexes out of order or range",
        ));
    }
    let (mut mandatory, mut disclosed) = (Vec::new(), Vec::new());
    for (i, q) in nquads.into_iter().enumerate() {
        if parsed.mandatory_indexes.binary_search(&i).is_ok() {
            mandatory.push(q);
        } else {
            disclosed.push(q.into_bytes());
        }
    }
    let header = base::bbs_header(&proof_hash, &base::mandatory_hash(&mandatory));
    if let (Some(nym), Some(context)) = (&parsed.pseudonym, context) {
        if nym.domain.as_deref().is_some_and(|d| d != context) {
            return Err(VcError::ProofInvalid("a pseudonym for another verifier"));
        }
        let signed = parsed.length_bbs_messages.unwrap_or(0);
        if !public.nym_proof_verify(
            &parsed.bbs_proof,
            &header,
            &parsed.presentation_header,
            &nym.value,
            context,
            signed,
            &disclosed,
            &parsed.selective_indexes,
        ) {
            return Err(VcError::ProofInvalid("the BBS proof does not verify"));
        }
        return Ok((parsed.presentation_header, Some(nym.value)));
    }
    let valid = match parsed.length_bbs_messages {
        None => public.proof_verify(
            &parsed.bbs_proof,
            &header,
            &parsed.presentation_header,
            &disclosed,
            &parsed.selective_indexes,
        ),
        // The holder's secret is committed after the issuer's messages and never disclosed.
        Some(signed) => public.blind_proof_verify(
            &parsed.bbs_proof,
            &header,
            &parsed.presentation_header,
            signed,
            &disclosed,
            &[],
            &parsed.selective_indexes,
            &[],
        ),
    };
    if !valid {
        return Err(VcError::ProofInvalid("the BBS proof does not verify"));
    }
    Ok((parsed.presentation_header, None))
}

fn ascending_within(indexes: &[usize], len: usize) -> bool {
    indexes.windows(2).all(|w| w[0] < w[1]) && indexes.last().is_none_or(|&i| i < len)
}

/// The document without `proof`, and `proof`.
pub(crate) fn split(signed: &Value) -> Result<(Value, Map<String, Value>)> {
    let Value::Object(doc) = signed else {
        return Err(VcError::JsonLd("a credential is an object".into()));
    };
    let mut document = doc.clone();
    match document.remove("proof") {
        Some(Value::Object(proof)) => Ok((Value::Object(document), proof)),
        _ => Err(VcError::ProofValue("no proof object")),
    }
}

pub(crate) fn proof_value(proof: &Map<String, Value>) -> Result<&str> {
    proof
        .get("proofValue")
        .and_then(Value::as_str)
        .ok_or(VcError::ProofValue("no proofValue"))
}

/// `c14nN` → N, `bM` → M.
fn number(label: &str, prefix: &str) -> Result<u64> {
    label
        .strip_prefix(prefix)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .ok_or(VcError::ProofValue("a label is not c14nN or bN"))
}

fn uint(v: &Cbor) -> Result<u64> {
    match v {
        Cbor::Integer(i) => u64::try_from(*i).map_err(|_| VcError::ProofValue("a negative index")),
        _ => Err(VcError::ProofValue("an index is not an integer")),
    }
}

fn indexes(v: Cbor) -> Result<Vec<usize>> {
    let Cbor::Array(items) = v else {
        return Err(VcError::ProofValue("indexes are not an array"));
    };
    items
        .iter()
        .map(|i| uint(i).and_then(|n| usize::try_from(n).map_err(|_| VcError::ProofValue("index"))))
        .collect()
}

impl DerivedProof {
    /// `serializeDerivedProofValue`: `u` + base64url(`d9 5d 03` ‖ CBOR of the BBS proof,
    /// the compressed label map, the two index lists and the presentation header).
    pub fn to_proof_value(&self) -> Result<String> {
        let mut map = Vec::with_capacity(self.label_map.len());
        for (c14n, b) in &self.label_map {
            map.push((number(c14n, "c14n")?, number(b, "b")?));
        }
        map.sort_unstable();
        let list = |v: &[usize]| Cbor::Array(v.iter().map(|&i| Cbor::Integer(i.into())).collect());
        let header = match (&self.pseudonym, self.length_bbs_messages) {
            (Some(n), _) if n.holder_bound => HOLDER_BINDING_PSEUDONYM_DERIVED_PROOF_HEADER,
            (Some(_), _) => PSEUDONYM_DERIVED_PROOF_HEADER,
            (None, None) => DERIVED_PROOF_HEADER,
            (None, Some(_)) => HOLDER_BINDING_DERIVED_PROOF_HEADER,
        };
        let mut components = vec![
            Cbor::Bytes(self.bbs_proof.clone()),
            Cbor::Map(
                map.into_iter()
                    .map(|(k, v)| (Cbor::Integer(k.into()), Cbor::Integer(v.into())))
                    .collect(),
            ),
            list(&self.mandatory_indexes),
            list(&self.selective_indexes),
            Cbor::Bytes(self.presentation_header.clone()),
        ];
        if let Some(n) = &self.pseudonym {
            if let Some(d) = &n.domain {
                components.push(Cbor::Bytes(d.clone()));
            }
            components.push(Cbor::Bytes(n.value.to_vec()));
        }
        if let Some(l) = self.length_bbs_messages {
            components.push(Cbor::Integer(l.into()));
        }
        crate::envelope::encode(header, components)
    }

    /// `parseDerivedProofValue` for the four features; anything else is refused. A
    /// pseudonym proof value carries its verifier context (`nym_domain`, eight components)
    /// or, as the W3C vectors write it, not (seven).
    pub fn from_proof_value(value: &str) -> Result<Self> {
        let (kind, mut parts) = crate::envelope::decode_any(
            value,
            &[
                DERIVED_PROOF_HEADER,
                HOLDER_BINDING_DERIVED_PROOF_HEADER,
                PSEUDONYM_DERIVED_PROOF_HEADER,
                HOLDER_BINDING_PSEUDONYM_DERIVED_PROOF_HEADER,
            ],
            MAX_PROOF_VALUE_CHARS,
            "not a bbs-2023 derived proof",
        )?;
        let nym = kind == PSEUDONYM_DERIVED_PROOF_HEADER
            || kind == HOLDER_BINDING_PSEUDONYM_DERIVED_PROOF_HEADER;
        let length_bbs_messages = if kind != DERIVED_PROOF_HEADER {
            let expected: &[usize] = if nym { &[7, 8] } else { &[6] };
            if !expected.contains(&parts.len()) {
                return Err(VcError::ProofValue("the wrong number of components"));
            }
            let l = parts.pop().as_ref().map(uint).transpose()?.unwrap_or(0);
            match usize::try_from(l) {
                Ok(l) if (1..=MAX_BBS_MESSAGES).contains(&l) => Some(l),
                _ => return Err(VcError::ProofValue("the number of signed messages")),
            }
        } else {
            None
        };
        let pseudonym = if nym {
            let value = match parts.pop() {
                Some(Cbor::Bytes(b)) => <[u8; 48]>::try_from(b)
                    .map_err(|_| VcError::ProofValue("the pseudonym is not 48 bytes"))?,
                _ => return Err(VcError::ProofValue("the pseudonym is not bytes")),
            };
            let domain = if parts.len() == 6 {
                match parts.pop() {
                    Some(Cbor::Bytes(d))
                        if d.len()
                            <= citywallet_core::credentials::pseudonym::MAX_CONTEXT_BYTES =>
                    {
                        Some(d)
                    }
                    _ => return Err(VcError::ProofValue("the verifier context")),
                }
            } else {
                None
            };
            Some(Nym {
                domain,
                value,
                holder_bound: kind == HOLDER_BINDING_PSEUDONYM_DERIVED_PROOF_HEADER,
            })
        } else {
            None
        };
        let [proof, map, mandatory, selective, ph] = <[Cbor; 5]>::try_from(parts)
            .map_err(|_| VcError::ProofValue("the wrong number of components"))?;
        let (Cbor::Bytes(bbs_proof), Cbor::Map(map), Cbor::Bytes(presentation_header)) =
            (proof, map, ph)
        else {
            return Err(VcError::ProofValue("a component has the wrong type"));
        };
        let mut label_map = BTreeMap::new();
        for (k, v) in &map {
            let (k, v) = (uint(k)?, uint(v)?);
            if label_map
                .insert(format!("c14n{k}"), format!("b{v}"))
                .is_some()
            {
                return Err(VcError::ProofValue("a label appears twice"));
            }
        }
        let mut targets: Vec<&String> = label_map.values().collect();
        targets.sort();
        if targets.windows(2).any(|w| w[0] == w[1]) {
            return Err(VcError::ProofValue("two labels map to one"));
        }
        Ok(Self {
            bbs_proof,
            label_map,
            mandatory_indexes: indexes(mandatory)?,
            selective_indexes: indexes(selective)?,
            presentation_header,
            length_bbs_messages,
            pseudonym,
        })
    }
}
