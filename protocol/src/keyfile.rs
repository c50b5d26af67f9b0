//! The issuer key file: one department issuer's keys, as the devnet writes them for its demo
//! issuers and as the wallet's issuer tools (`citywallet issuer keygen | issue | revoke`)
//! read and write them. JSON, mode 0600; the secrets are hex inside zeroizing strings.
//!
//! This is a demo and test format (the secret is plain JSON on disk); a department's issuer
//! service keeps its keys encrypted.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The `format` field.
pub const ISSUER_KEY_FORMAT: &str = "citywallet-bbs-issuer-key/1";
/// The `ciphersuite` field (IETF BBS, BLS12-381 with SHA-256).
pub const BBS_CIPHERSUITE: &str = "BLS12-381-SHA-256";
/// Largest key file read.
pub const MAX_KEY_FILE_BYTES: usize = 16 * 1024;

/// An issuer key file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerKeyFile {
    /// [`ISSUER_KEY_FORMAT`].
    pub format: String,
    /// The issuer's registry id.
    pub id: String,
    /// [`BBS_CIPHERSUITE`].
    pub ciphersuite: String,
    /// The BBS public key (G2, compressed), hex.
    pub public_key: String,
    /// The BBS secret key, hex (absent in a public copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<Zeroizing<String>>,
    /// The Ed25519 key that signs the issuer's transactions (revocations), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_secret_key: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for IssuerKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKeyFile")
            .field("id", &self.id)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// What went wrong with a key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The bytes are not an issuer key file (or one of another format or ciphersuite).
    #[error("not a CityWallet issuer key file")]
    Malformed,
    /// The file could not be encoded (never for a file built by [`IssuerKeyFile::new`]).
    #[error("the issuer key file could not be encoded")]
    Encode,
}

impl IssuerKeyFile {
    /// A key file for issuer `id` with these hex keys.
    pub fn new(
        id: &str,
        public_key_hex: String,
        secret_key_hex: Zeroizing<String>,
        operator_secret_hex: Option<Zeroizing<String>>,
    ) -> Self {
        Self {
            format: ISSUER_KEY_FORMAT.into(),
            id: id.into(),
            ciphersuite: BBS_CIPHERSUITE.into(),
            public_key: public_key_hex,
            secret_key: Some(secret_key_hex),
            operator_secret_key: operator_secret_hex,
        }
    }

    /// Parse a key file, checking its format and ciphersuite (not yet that the keys match:
    /// that needs BBS, which the credential code has).
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyFileError> {
        if bytes.len() > MAX_KEY_FILE_BYTES {
            return Err(KeyFileError::Malformed);
        }
        let file: Self = serde_json::from_slice(bytes).map_err(|_| KeyFileError::Malformed)?;
        if file.format != ISSUER_KEY_FORMAT || file.ciphersuite != BBS_CIPHERSUITE {
            return Err(KeyFileError::Malformed);
        }
        Ok(file)
    }

    /// The file's JSON (pretty), in a buffer wiped on drop.
    pub fn to_json(&self) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
        serde_json::to_vec_pretty(self)
            .map(Zeroizing::new)
            .map_err(|_| KeyFileError::Encode)
    }
}

/// The `format` field of an organisation key file.
pub const ORG_KEY_FORMAT: &str = "citywallet-org-key/1";

/// An organisation key file: the Ed25519 key an organisation is registered with on the chain
/// (`org/{id}`), which signs its verifier's requests. The devnet writes one for each demo
/// organisation; `citywallet-verifier init --key-file` imports it into the service's vault.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgKeyFile {
    /// [`ORG_KEY_FORMAT`].
    pub format: String,
    /// The organisation's registry id.
    pub id: String,
    /// The Ed25519 secret key (seed), hex.
    pub secret_key: Zeroizing<String>,
}

impl std::fmt::Debug for OrgKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgKeyFile")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl OrgKeyFile {
    /// A key file for organisation `id`.
    pub fn new(id: &str, secret_key_hex: Zeroizing<String>) -> Self {
        Self {
            format: ORG_KEY_FORMAT.into(),
            id: id.into(),
            secret_key: secret_key_hex,
        }
    }

    /// Parse a key file and its 32-byte secret.
    pub fn parse(bytes: &[u8]) -> Result<(Self, Zeroizing<[u8; 32]>), KeyFileError> {
        if bytes.len() > MAX_KEY_FILE_BYTES {
            return Err(KeyFileError::Malformed);
        }
        let file: Self = serde_json::from_slice(bytes).map_err(|_| KeyFileError::Malformed)?;
        if file.format != ORG_KEY_FORMAT {
            return Err(KeyFileError::Malformed);
        }
        let mut secret = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(file.secret_key.as_bytes(), secret.as_mut())
            .map_err(|_| KeyFileError::Malformed)?;
        Ok((file, secret))
    }

    /// The file's JSON (pretty), in a buffer wiped on drop.
    pub fn to_json(&self) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
        serde_json::to_vec_pretty(self)
            .map(Zeroizing::new)
            .map_err(|_| KeyFileError::Encode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_key_file_round_trip_and_refusals() {
        let f = OrgKeyFile::new("health-research", Zeroizing::new("11".repeat(32)));
        let (back, secret) = OrgKeyFile::parse(&f.to_json().expect("json")).expect("parse");
        assert_eq!(back.id, "health-research");
        assert_eq!(*secret, [0x11; 32]);
        let short = OrgKeyFile::new("x", Zeroizing::new("11".into()));
        assert!(OrgKeyFile::parse(&short.to_json().expect("json")).is_err());
        assert!(OrgKeyFile::parse(b"{}").is_err());
    }

    #[test]
    fn round_trip_and_refusals() {
        let f = IssuerKeyFile::new(
            "city-hall",
            "ab".into(),
            Zeroizing::new("cd".into()),
            Some(Zeroizing::new("ef".into())),
        );
        let back = IssuerKeyFile::parse(&f.to_json().expect("json")).expect("parse");
        assert_eq!(back.id, "city-hall");
        assert_eq!(back.secret_key.as_deref().map(String::as_str), Some("cd"));
        assert!(!format!("{back:?}").contains("cd\""));
        assert!(matches!(
            IssuerKeyFile::parse(b"{}"),
            Err(KeyFileError::Malformed)
        ));
    }
}
