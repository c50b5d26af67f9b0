//! A credential: issuer, type, schema version, validity, credential id, the holder and an
//! ordered list of named claims, signed with BBS.
//!
//! Canonical encoding (what the issuer signs):
//! * header: the UTF-8 JSON object
//!   `{"v":1,"id":…,"issuer":…,"type":…,"schema":…,"validFrom":…,"validUntil":…}` with the
//!   keys in exactly this order, no spaces, times in Unix seconds. It is always disclosed.
//! * message 0: `holder=<did:key of the holder>`; message *i* (1-based): `<name>=<value>` for
//!   the type's *i*-th claim, its value in canonical text ([`super::schema::check_value`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::bbs::{CIPHERSUITE, IssuerPublicKey, IssuerSecretKey};
use super::schema::{CredentialType, SCHEMA_VERSION, check_value};
use crate::keys::parse_did_key;
use crate::{Error, Result};

/// Largest credential JSON accepted.
pub const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;
/// Longest credential id (the chain's rule).
pub const MAX_ID_CHARS: usize = citywallet_protocol::MAX_CREDENTIAL_ID_CHARS;

/// One named claim. `Debug` shows the name only: values are personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The claim's name in its type's schema.
    pub name: String,
    /// Canonical text of the value.
    pub value: String,
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Claim({}=[hidden])", self.name)
    }
}

/// A signed credential as the holder keeps it. `Debug` shows claim names, not values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credential {
    /// Credential id, unique per issuer; revocations name it.
    pub id: String,
    /// Issuer id, as in the chain's issuer registry.
    pub issuer: String,
    /// Credential type.
    #[serde(rename = "type")]
    pub kind: CredentialType,
    /// Schema version of the type.
    pub schema_version: u32,
    /// The holder's `did:key`.
    pub holder: String,
    /// Unix seconds from which it is valid.
    pub valid_from: i64,
    /// Unix seconds after which it is expired.
    pub valid_until: i64,
    /// Claims, in schema order.
    pub claims: Vec<Claim>,
    /// Ciphersuite, `BLS12-381-SHA-256`.
    pub ciphersuite: String,
    /// The issuer's BBS public key, hex: a convenience; verifiers use the registry's.
    pub issuer_public_key: String,
    /// The BBS signature, hex.
    pub signature: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.claims.iter().map(|c| c.name.as_str()).collect();
        f.debug_struct("Credential")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("kind", &self.kind)
            .field("claims", &names)
            .field("valid_until", &self.valid_until)
            .finish_non_exhaustive()
    }
}

/// What the issuer states about a credential before signing.
#[derive(Debug, Clone)]
pub struct CredentialDraft<'a> {
    /// Credential id.
    pub id: &'a str,
    /// Issuer id.
    pub issuer: &'a str,
    /// Type.
    pub kind: CredentialType,
    /// Holder `did:key`.
    pub holder: &'a str,
    /// Valid from (Unix seconds).
    pub valid_from: i64,
    /// Valid until (Unix seconds).
    pub valid_until: i64,
    /// Claim values by name; every claim of the type, nothing else.
    pub claims: &'a serde_json::Map<String, serde_json::Value>,
}

/// The header as signed. Field order is the canonical order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Header {
    pub(crate) v: u32,
    pub(crate) id: String,
    pub(crate) issuer: String,
    #[serde(rename = "type")]
    pub(crate) kind: CredentialType,
    pub(crate) schema: u32,
    #[serde(rename = "validFrom")]
    pub(crate) valid_from: i64,
    #[serde(rename = "validUntil")]
    pub(crate) valid_until: i64,
}

impl Header {
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parse header bytes, accepting only the canonical encoding.
    pub(crate) fn parse(bytes: &[u8]) -> Option<Self> {
        let header: Self = serde_json::from_slice(bytes).ok()?;
        (header.to_bytes() == bytes && header.v == 1).then_some(header)
    }
}

/// A fresh credential id: a random (version 4) `urn:uuid:`.
pub fn new_credential_id() -> Result<String> {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| Error::Rng)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Ok(format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// A credential id, by the one rule the chain also applies when it is revoked
/// (`citywallet_protocol::is_valid_credential_id`).
fn check_id(id: &str) -> Result<()> {
    if citywallet_protocol::is_valid_credential_id(id) {
        Ok(())
    } else {
        Err(Error::InvalidCredential {
            reason: "a credential id must be 1-128 characters of a-z A-Z 0-9 : . _ - /",
        })
    }
}

/// An issuer id, by the chain's registry rule (`citywallet_protocol::is_valid_id`), so a
/// credential never names an issuer that could not be registered.
fn check_issuer_id(id: &str) -> Result<()> {
    if citywallet_protocol::is_valid_id(id) {
        Ok(())
    } else {
        Err(Error::InvalidCredential {
            reason: "an issuer id must be 1-64 characters of a-z A-Z 0-9 : . _ -",
        })
    }
}

impl Credential {
    /// Issue: check the draft against the type's schema and sign it.
    pub fn issue(
        draft: &CredentialDraft<'_>,
        secret: &IssuerSecretKey,
        public: &IssuerPublicKey,
    ) -> Result<Self> {
        let mut claims = Vec::with_capacity(draft.kind.claims().len());
        for spec in draft.kind.claims() {
            let value = match draft.claims.get(spec.name) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                Some(_) => {
                    return Err(Error::InvalidCredential {
                        reason: "claim values are strings or numbers",
                    });
                }
                None => {
                    return Err(Error::InvalidCredential {
                        reason: "a claim of the credential type is missing",
                    });
                }
            };
            claims.push(Claim {
                name: spec.name.into(),
                value,
            });
        }
        if draft.claims.len() != claims.len() {
            return Err(Error::InvalidCredential {
                reason: "a claim is not part of the credential type",
            });
        }
        let mut credential = Self {
            id: draft.id.into(),
            issuer: draft.issuer.into(),
            kind: draft.kind,
            schema_version: SCHEMA_VERSION,
            holder: draft.holder.into(),
            valid_from: draft.valid_from,
            valid_until: draft.valid_until,
            claims,
            ciphersuite: CIPHERSUITE.into(),
            issuer_public_key: public.to_hex(),
            signature: String::new(),
        };
        credential.check_shape()?;
        let signature = secret.sign(public, &credential.header(), &credential.messages())?;
        credential.signature = hex::encode(signature);
        Ok(credential)
    }

    /// Parse credential JSON (at most [`MAX_CREDENTIAL_BYTES`]) and check it completely:
    /// shape, schema, and the BBS signature under the key it names.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_CREDENTIAL_BYTES {
            return Err(Error::InvalidCredential {
                reason: "the credential is larger than 64 KiB",
            });
        }
        let credential: Self =
            serde_json::from_slice(bytes).map_err(|_| Error::InvalidCredential {
                reason: "not credential JSON",
            })?;
        credential.check_shape()?;
        if !credential.public_key()?.verify_signature(
            &credential.signature_bytes()?,
            &credential.header(),
            &credential.messages(),
        ) {
            return Err(Error::InvalidCredential {
                reason: "the issuer's signature does not verify",
            });
        }
        Ok(credential)
    }

    /// JSON bytes, as stored in the vault and exported.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    fn check_shape(&self) -> Result<()> {
        check_id(&self.id)?;
        check_issuer_id(&self.issuer)?;
        parse_did_key(&self.holder)?;
        if self.schema_version != SCHEMA_VERSION || self.ciphersuite != CIPHERSUITE {
            return Err(Error::InvalidCredential {
                reason: "unsupported schema version or ciphersuite",
            });
        }
        if self.valid_until <= self.valid_from {
            return Err(Error::InvalidCredential {
                reason: "validUntil must be after validFrom",
            });
        }
        let specs = self.kind.claims();
        if specs.len() != self.claims.len() {
            return Err(Error::InvalidCredential {
                reason: "the claims do not match the credential type",
            });
        }
        for (spec, claim) in specs.iter().zip(&self.claims) {
            if spec.name != claim.name {
                return Err(Error::InvalidCredential {
                    reason: "the claims do not match the credential type",
                });
            }
            check_value(spec.kind, &claim.value)?;
        }
        Ok(())
    }

    /// The issuer public key the credential names.
    pub fn public_key(&self) -> Result<IssuerPublicKey> {
        hex::decode(&self.issuer_public_key)
            .ok()
            .and_then(|b| IssuerPublicKey::from_bytes(&b))
            .ok_or(Error::InvalidIssuerKey)
    }

    pub(crate) fn signature_bytes(&self) -> Result<Vec<u8>> {
        hex::decode(&self.signature).map_err(|_| Error::InvalidCredential {
            reason: "the signature is not hex",
        })
    }

    /// The canonical BBS header.
    pub fn header(&self) -> Vec<u8> {
        Header {
            v: 1,
            id: self.id.clone(),
            issuer: self.issuer.clone(),
            kind: self.kind,
            schema: self.schema_version,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        }
        .to_bytes()
    }

    /// The canonical BBS messages: the holder, then each claim.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        std::iter::once(format!("holder={}", self.holder).into_bytes())
            .chain(
                self.claims
                    .iter()
                    .map(|c| format!("{}={}", c.name, c.value).into_bytes()),
            )
            .collect()
    }

    /// The value of claim `name`.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_random_v4_uuids_that_pass_the_id_rules() {
        let a = new_credential_id().expect("rng");
        let b = new_credential_id().expect("rng");
        assert_ne!(a, b);
        assert!(check_id(&a).is_ok());
        let uuid = a.strip_prefix("urn:uuid:").expect("prefix");
        let groups: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn headers_must_be_canonical() {
        let h = Header {
            v: 1,
            id: "c-1".into(),
            issuer: "i".into(),
            kind: CredentialType::Credit,
            schema: 1,
            valid_from: 1,
            valid_until: 2,
        };
        let bytes = h.to_bytes();
        assert!(Header::parse(&bytes).is_some());
        let spaced = String::from_utf8(bytes).expect("utf8").replace(',', ", ");
        assert!(Header::parse(spaced.as_bytes()).is_none());
    }
}
