//! An issuer's keys from its key file (`citywallet_protocol::keyfile`), checked: the BBS
//! secret must give the file's public key, and the operator key must be an Ed25519 key.
//! Also the verifier's list of trusted issuer public keys.

use citywallet_protocol::keyfile::IssuerKeyFile;
use ed25519_dalek::SigningKey;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{IssuerPublicKey, IssuerSecretKey};
use crate::{Error, Result};

/// One issuer's keys. `Debug` shows only the id and public key.
pub struct IssuerKey {
    /// Registry id.
    pub id: String,
    /// BBS secret key.
    pub secret: IssuerSecretKey,
    /// BBS public key.
    pub public: IssuerPublicKey,
    operator: Option<SigningKey>,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("id", &self.id)
            .field("public", &self.public.to_hex())
            .finish_non_exhaustive()
    }
}

fn hex_secret(text: Option<&Zeroizing<String>>) -> Result<Zeroizing<Vec<u8>>> {
    let text = text.ok_or(Error::InvalidIssuerKey)?;
    hex::decode(text.as_str())
        .map(Zeroizing::new)
        .map_err(|_| Error::InvalidIssuerKey)
}

impl IssuerKey {
    /// New keys for issuer `id`: a BBS pair and an operator key.
    pub fn generate(id: &str) -> Result<Self> {
        let (secret, public) = IssuerSecretKey::generate()?;
        let mut seed = Zeroizing::new([0u8; 32]);
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), seed.as_mut())
            .map_err(|_| Error::Rng)?;
        Ok(Self {
            id: id.to_owned(),
            secret,
            public,
            operator: Some(SigningKey::from_bytes(&seed)),
        })
    }

    /// The keys in a key file, checked. The operator key may be absent (an issue-only copy).
    pub fn from_file(bytes: &[u8]) -> Result<Self> {
        let file = IssuerKeyFile::parse(bytes).map_err(|_| Error::InvalidIssuerKey)?;
        let (secret, public) = IssuerSecretKey::from_bytes(&hex_secret(file.secret_key.as_ref())?)?;
        if public.to_hex() != file.public_key {
            return Err(Error::InvalidIssuerKey);
        }
        let operator = match file.operator_secret_key.as_ref() {
            None => None,
            Some(_) => {
                let raw = hex_secret(file.operator_secret_key.as_ref())?;
                let bytes: [u8; 32] = raw
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::InvalidIssuerKey)?;
                Some(SigningKey::from_bytes(&bytes))
            }
        };
        Ok(Self {
            id: file.id,
            secret,
            public,
            operator,
        })
    }

    /// The key file for these keys.
    pub fn to_file(&self) -> IssuerKeyFile {
        IssuerKeyFile::new(
            &self.id,
            self.public.to_hex(),
            Zeroizing::new(hex::encode(self.secret.to_bytes().as_slice())),
            self.operator
                .as_ref()
                .map(|k| Zeroizing::new(hex::encode(k.to_bytes()))),
        )
    }

    /// The Ed25519 key that signs the issuer's transactions, when the file holds it.
    pub fn operator(&self) -> Result<&SigningKey> {
        self.operator.as_ref().ok_or(Error::InvalidIssuerKey)
    }
}

/// Largest trusted-issuers file.
pub const MAX_TRUSTED_ISSUERS_BYTES: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrustedIssuer {
    id: String,
    public_key: String,
}

/// A verifier's trusted issuers: JSON `{"id", "publicKey"}` (an issuer key file is one) or
/// an array of them. Anything else is [`Error::InvalidIssuerKey`].
pub fn trusted_issuers(bytes: &[u8]) -> Result<Vec<(String, IssuerPublicKey)>> {
    if bytes.len() > MAX_TRUSTED_ISSUERS_BYTES {
        return Err(Error::InvalidIssuerKey);
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| Error::InvalidIssuerKey)?;
    let entries = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    entries
        .into_iter()
        .map(|entry| {
            let t: TrustedIssuer =
                serde_json::from_value(entry).map_err(|_| Error::InvalidIssuerKey)?;
            let key = hex::decode(&t.public_key)
                .ok()
                .and_then(|b| IssuerPublicKey::from_bytes(&b))
                .ok_or(Error::InvalidIssuerKey)?;
            Ok((t.id, key))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_round_trips_and_a_mismatched_one_is_refused() {
        let k = IssuerKey::generate("city-hall").expect("keys");
        let json = k.to_file().to_json().expect("json");
        let back = IssuerKey::from_file(&json).expect("back");
        assert_eq!(back.public.to_hex(), k.public.to_hex());
        assert_eq!(
            back.operator().expect("operator").verifying_key(),
            k.operator().expect("operator").verifying_key()
        );
        let other = IssuerKey::generate("x").expect("other");
        let mut file = k.to_file();
        file.public_key = other.public.to_hex();
        assert!(matches!(
            IssuerKey::from_file(&file.to_json().expect("json")),
            Err(Error::InvalidIssuerKey)
        ));
        let trusted = trusted_issuers(&json).expect("a key file is a trusted issuer");
        assert_eq!(trusted[0].0, "city-hall");
        assert!(trusted_issuers(b"[1]").is_err());
    }
}
