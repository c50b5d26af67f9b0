//! The city's credentials in the W3C VC Data Model 2.0: the credential types of
//! `citywallet-core` (credit score, biometric template hash, residency, officer, technician)
//! with their claim rules, as JSON-LD documents under the VC 2.0 context and the city's own
//! ([`CONTEXT`], shipped in `contexts/citywallet-v1.jsonld`), ready for a `bbs-2023` base
//! proof ([`crate::base::sign_document`]).

use citywallet_core::credentials::CredentialType;
use citywallet_core::credentials::schema::{ValueKind, check_value};
use serde_json::{Map, Value, json};

use crate::{Result, VcError, contexts};

/// The city's JSON-LD context.
pub const CONTEXT: &str = contexts::CITYWALLET_V1;

/// What every presentation of a city credential discloses: who issued it, which credential
/// it is (its revocation is looked up by id), its type, until when it holds, and whose it is.
pub const MANDATORY_POINTERS: [&str; 5] = [
    "/issuer",
    "/id",
    "/type",
    "/validUntil",
    "/credentialSubject/id",
];

/// What every presentation of a private city credential (holder binding and pseudonyms, no
/// ids: [`private_document`]) discloses: who issued it, its type, until when it holds.
pub const PRIVATE_MANDATORY_POINTERS: [&str; 3] = ["/issuer", "/type", "/validUntil"];

/// [`PRIVATE_MANDATORY_POINTERS`] as [`crate::base::sign_document_nym`] takes them.
pub fn private_mandatory_pointers() -> Vec<String> {
    PRIVATE_MANDATORY_POINTERS
        .iter()
        .map(|p| (*p).to_owned())
        .collect()
}

/// [`MANDATORY_POINTERS`] as [`crate::base::sign_document`] takes them.
pub fn mandatory_pointers() -> Vec<String> {
    MANDATORY_POINTERS.iter().map(|p| (*p).to_owned()).collect()
}

/// The VC type of a credential type.
pub fn type_name(kind: CredentialType) -> &'static str {
    match kind {
        CredentialType::Credit => "CreditScoreCredential",
        CredentialType::Biometric => "BiometricTemplateCredential",
        CredentialType::Residency => "ResidencyCredential",
        CredentialType::Officer => "OfficerCredential",
        CredentialType::Technician => "TechnicianCredential",
    }
}

/// A claim's JSON-LD term: the core name in lower camel case (`template_hash` →
/// `templateHash`).
pub fn term(claim: &str) -> String {
    let mut out = String::with_capacity(claim.len());
    let mut upper = false;
    for c in claim.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A city credential before its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft<'a> {
    /// Its type.
    pub kind: CredentialType,
    /// Its id (`urn:uuid:…`).
    pub id: &'a str,
    /// The issuer's identifier.
    pub issuer: &'a str,
    /// The holder's identifier (its `did:key`).
    pub holder: &'a str,
    /// Every claim of the type, by its core name, in the core's canonical text.
    pub claims: &'a [(&'a str, &'a str)],
    /// RFC 3339.
    pub valid_from: &'a str,
    /// RFC 3339.
    pub valid_until: &'a str,
}

/// The credential document of `draft`: every claim of its type present once and valid by
/// the type's rules, nothing else.
pub fn document(draft: &Draft<'_>) -> Result<Value> {
    let specs = draft.kind.claims();
    let mut subject = Map::new();
    subject.insert("id".into(), draft.holder.into());
    for (name, value) in draft.claims {
        let spec = specs
            .iter()
            .find(|s| s.name == *name)
            .ok_or_else(|| VcError::InvalidClaim((*name).to_owned()))?;
        check_value(spec.kind, value).map_err(|_| VcError::InvalidClaim((*name).to_owned()))?;
        let json_value = match spec.kind {
            ValueKind::Integer { .. } => value
                .parse::<u32>()
                .map(Value::from)
                .map_err(|_| VcError::InvalidClaim((*name).to_owned()))?,
            _ => Value::from(*value),
        };
        if subject.insert(term(name), json_value).is_some() {
            return Err(VcError::InvalidClaim((*name).to_owned()));
        }
    }
    if let Some(missing) = specs.iter().find(|s| !subject.contains_key(&term(s.name))) {
        return Err(VcError::InvalidClaim(missing.name.to_owned()));
    }
    Ok(json!({
        "@context": [contexts::CREDENTIALS_V2, CONTEXT],
        "id": draft.id,
        "type": ["VerifiableCredential", type_name(draft.kind)],
        "issuer": draft.issuer,
        "validFrom": draft.valid_from,
        "validUntil": draft.valid_until,
        "credentialSubject": subject,
    }))
}

/// The credential document of `draft` for holder binding and pseudonyms: [`document`]
/// without the credential id and the subject id, the values a verifier could link by.
pub fn private_document(draft: &Draft<'_>) -> Result<Value> {
    let mut doc = document(draft)?;
    let Value::Object(map) = &mut doc else {
        return Err(VcError::JsonLd("a credential is an object".into()));
    };
    map.remove("id");
    if let Some(Value::Object(subject)) = map.get_mut("credentialSubject") {
        subject.remove("id");
    }
    Ok(doc)
}

/// The pointer that discloses claim `name` of a city credential.
pub fn claim_pointer(name: &str) -> String {
    format!("/credentialSubject/{}", term(name))
}

/// The IRI prefix of a city issuer: `urn:citywallet:issuer:{id}` names the chain's issuer
/// record `issuer/{id}`, which holds its BBS key; verifiers resolve it there.
pub const ISSUER_IRI_PREFIX: &str = "urn:citywallet:issuer:";

/// The credential `issuer` of the chain's issuer `id`.
pub fn issuer_iri(id: &str) -> String {
    format!("{ISSUER_IRI_PREFIX}{id}")
}

/// The chain issuer id a credential's `issuer` names, if it names one.
pub fn issuer_id(iri: &str) -> Option<&str> {
    iri.strip_prefix(ISSUER_IRI_PREFIX)
        .filter(|id| !id.is_empty() && !id.contains(['#', '/', '?']))
}

/// The `verificationMethod` of the chain issuer `id`'s BBS key.
pub fn verification_method(id: &str) -> String {
    format!("{ISSUER_IRI_PREFIX}{id}#bbs-2023")
}

/// The credential type whose VC type name is `name`.
pub fn kind_of(name: &str) -> Option<CredentialType> {
    CredentialType::ALL
        .into_iter()
        .find(|k| type_name(*k) == name)
}
