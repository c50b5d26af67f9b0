//! Passphrase → database key with Argon2id, and the small file beside the vault that records
//! the salt, the parameters and a key-check value.

use std::fs;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Passphrase;
use crate::{Error, Result};

const FORMAT: &str = "citywallet-vault-kdf/1";
const KEY_CHECK_LABEL: &[u8] = b"citywallet vault key check v1";
/// Larger files are refused unread: the real one is about 250 bytes.
const MAX_FILE_BYTES: u64 = 4096;

/// Argon2id cost parameters. Recorded beside each vault, so they can be raised later
/// without breaking existing vaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes over memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl KdfParams {
    /// The parameters of every new vault: 64 MiB, 3 passes, 1 lane (RFC 9106 §4's second
    /// recommendation, with one lane because the phone and desktop builds derive on one
    /// thread). See BENCHMARKS.md for the unlock time this costs.
    pub const RECOMMENDED: Self = Self {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// Most memory a key file may ask for (4 times the recommended).
    pub const MAX_M_COST_KIB: u32 = 256 * 1024;
    /// Most passes.
    pub const MAX_T_COST: u32 = 16;
    /// Most lanes.
    pub const MAX_P_COST: u32 = 8;

    /// Refuse costs past the limits: a hostile key file (in an export, say) would otherwise
    /// exhaust memory or time.
    pub fn check_bounds(&self) -> Result<()> {
        let ok = self.m_cost_kib <= Self::MAX_M_COST_KIB
            && (1..=Self::MAX_T_COST).contains(&self.t_cost)
            && (1..=Self::MAX_P_COST).contains(&self.p_cost);
        if ok {
            Ok(())
        } else {
            Err(Error::KdfParamsOutOfRange {
                m_cost_kib: self.m_cost_kib,
                t_cost: self.t_cost,
                p_cost: self.p_cost,
            })
        }
    }

    fn argon2(&self) -> Result<Argon2<'static>> {
        self.check_bounds()?;
        let params = Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32))
            .map_err(|_| Error::Derivation)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// A 256-bit SQLCipher raw key. Zeroized on drop, never printed.
#[derive(Clone)]
pub(crate) struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The `PRAGMA key`/`rekey` statement value: `x'<64 hex>'` (raw key, no SQLCipher KDF).
    pub(crate) fn pragma_value(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(67));
        out.push_str("x'");
        out.push_str(&Zeroizing::new(hex::encode(self.0.as_ref())));
        out.push('\'');
        out
    }

    fn check_value(&self) -> Vec<u8> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.0.as_ref());
        hmac::sign(&key, KEY_CHECK_LABEL).as_ref().to_vec()
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey([redacted])")
    }
}

/// The contents of `<vault>.kdf`. Nothing in it is secret: the salt and parameters are needed
/// to derive the key, and the key check lets a wrong passphrase be refused before the
/// database is touched.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KdfFile {
    format: String,
    algorithm: String,
    #[serde(flatten)]
    params: KdfParams,
    #[serde(with = "hex::serde")]
    salt: Vec<u8>,
    #[serde(with = "hex::serde")]
    key_check: Vec<u8>,
}

impl KdfFile {
    /// A fresh random salt, the key it gives for `passphrase`, and the file recording both.
    pub(crate) fn new(passphrase: &Passphrase, params: KdfParams) -> Result<(Self, DbKey)> {
        let mut salt = vec![0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| Error::Rng)?;
        let mut file = Self {
            format: FORMAT.into(),
            algorithm: "argon2id-v19".into(),
            params,
            salt,
            key_check: Vec::new(),
        };
        let key = file.derive_unchecked(passphrase)?;
        file.key_check = key.check_value();
        Ok((file, key))
    }

    pub(crate) fn params(&self) -> KdfParams {
        self.params
    }

    fn derive_unchecked(&self, passphrase: &Passphrase) -> Result<DbKey> {
        let mut out = Zeroizing::new([0u8; 32]);
        self.params
            .argon2()?
            .hash_password_into(passphrase.as_bytes(), &self.salt, out.as_mut())
            .map_err(|_| Error::Derivation)?;
        Ok(DbKey(out))
    }

    /// The database key for `passphrase`, or `None` when the key check says it is wrong.
    pub(crate) fn derive(&self, passphrase: &Passphrase) -> Result<Option<DbKey>> {
        let key = self.derive_unchecked(passphrase)?;
        Ok(self.matches(&key).then_some(key))
    }

    /// Whether `key` is the key this file records (constant-time check of the key check).
    pub(crate) fn matches(&self, key: &DbKey) -> bool {
        let mac = hmac::Key::new(hmac::HMAC_SHA256, key.0.as_ref());
        hmac::verify(&mac, KEY_CHECK_LABEL, &self.key_check).is_ok()
    }

    /// Read the file; `Ok(None)` when it does not exist.
    pub(crate) fn read(path: &Path) -> Result<Option<Self>> {
        let invalid = || Error::KdfFileInvalid {
            path: path.to_owned(),
        };
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path)(e)),
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err(invalid());
        }
        let bytes = fs::read(path).map_err(Error::io(path))?;
        Self::parse(&bytes, path).map(Some)
    }

    /// Parse a key file's bytes (`path` names it in errors). Costs past the limits are
    /// [`Error::KdfParamsOutOfRange`]; anything else wrong is [`Error::KdfFileInvalid`].
    pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let invalid = || Error::KdfFileInvalid {
            path: path.to_owned(),
        };
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(invalid());
        }
        let file: Self = serde_json::from_slice(bytes).map_err(|_| invalid())?;
        file.params.check_bounds()?;
        let sane = file.format == FORMAT
            && file.algorithm == "argon2id-v19"
            && file.salt.len() >= 16
            && file.key_check.len() == 32
            && file.params.argon2().is_ok();
        if sane { Ok(file) } else { Err(invalid()) }
    }

    /// Write the file atomically: temporary file, fsync, rename, fsync of the directory.
    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|_| Error::Derivation)?;
        write_atomic(path, &bytes)
    }
}

/// Replace `path` with `bytes` so that a crash leaves either the old or the new content.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    citywallet_files::replace(path, bytes).map_err(Error::io(path))
}

/// `rename(2)` followed by an fsync of the parent directory.
pub(crate) fn rename_durably(from: &Path, to: &Path) -> Result<()> {
    citywallet_files::rename_durably(from, to).map_err(Error::io(to))
}

pub(crate) use citywallet_files::sibling;
