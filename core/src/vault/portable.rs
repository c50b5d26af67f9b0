//! Files that leave the vault: an encrypted export of the whole vault, and a device's
//! provisioning bundle (its key encrypted to a device passphrase, with the chain's trust
//! anchor).
//!
//! * Vault export: the SQLCipher database (checkpointed) and its key-derivation file, in one
//!   JSON file. It is exactly as protected as the vault: the passphrase, through Argon2id.
//!   Import writes both files to a new path and opens them with the passphrase; a wrong
//!   passphrase removes them again, so nothing changes.
//! * Device bundle: the device's Ed25519 secret sealed with ChaCha20-Poly1305 (`ring`) under
//!   a key from Argon2id (19 MiB, t=2, p=1: OWASP's minimum, as devices are small). Every
//!   other field (format, device id, public key, parameters, salt, algorithm, nonce, and the
//!   trust anchor with its node list) is associated data, so none can be swapped.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use ring::aead;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Files, Passphrase, Vault, VaultEvent};
use crate::keys::KeyPath;
use crate::{Error, Result};

const EXPORT_FORMAT: &str = "citywallet-vault-export/1";
/// Format 2 binds every field of the bundle (1 bound only the id and the key).
const BUNDLE_FORMAT: &str = "citywallet-device-bundle/2";
/// Largest export or bundle file read.
pub const MAX_PORTABLE_BYTES: u64 = 256 * 1024 * 1024;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExportFile {
    format: String,
    kdf: String,
    database: String,
}

/// The two files an export carries, checked but not yet written or opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The key-derivation file, whose Argon2id costs are within [`super::KdfParams`]'s bounds.
    pub kdf: Vec<u8>,
    /// The SQLCipher database: whole 512-byte pages, at least one.
    pub database: Vec<u8>,
}

impl Export {
    /// Parse an export file's bytes (at most [`MAX_PORTABLE_BYTES`]). Pure: it derives no
    /// key, so a hostile file costs no more than its size. Any defect is
    /// [`Error::InvalidExport`], or [`Error::KdfParamsOutOfRange`] for costs past the bounds.
    pub fn parse(raw: &[u8]) -> Result<Self> {
        if raw.len() as u64 > MAX_PORTABLE_BYTES {
            return Err(bad_export());
        }
        let file: ExportFile = serde_json::from_slice(raw).map_err(|_| bad_export())?;
        if file.format != EXPORT_FORMAT {
            return Err(bad_export());
        }
        let kdf = B64.decode(&file.kdf).map_err(|_| bad_export())?;
        super::kdf::KdfFile::parse(&kdf, Path::new("export:kdf")).map_err(|e| match e {
            Error::KdfParamsOutOfRange { .. } => e,
            _ => bad_export(),
        })?;
        let database = B64.decode(&file.database).map_err(|_| bad_export())?;
        if database.is_empty() || database.len() % 512 != 0 {
            return Err(bad_export());
        }
        Ok(Self { kdf, database })
    }
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidCredential { reason }
}

fn bad_export() -> Error {
    Error::InvalidExport
}

impl Vault {
    /// Write an encrypted export of the whole vault to `dest` (mode 0600; never
    /// overwritten).
    pub fn export_to(&self, dest: &Path) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        let files = Files::of(&self.path);
        let read = |p: &Path| std::fs::read(p).map_err(Error::io(p));
        let file = ExportFile {
            format: EXPORT_FORMAT.into(),
            kdf: B64.encode(read(&files.kdf)?),
            database: B64.encode(read(&files.db)?),
        };
        let bytes = serde_json::to_vec(&file).map_err(|_| Error::Derivation)?;
        write_new_secret_file(dest, &bytes)?;
        super::records::log(
            &self.conn,
            super::unix_now() as i64,
            VaultEvent::VaultExported,
            &serde_json::json!({ "to": dest }),
        )?;
        Ok(())
    }

    /// Restore an export at `path` (which must not hold a vault) and open it with
    /// `passphrase`. On any failure the files written are removed again.
    pub fn import_from(export: &Path, path: &Path, passphrase: &Passphrase) -> Result<Self> {
        let files = Files::of(path);
        if files.db.exists() {
            return Err(Error::VaultExists { path: files.db });
        }
        let meta = std::fs::metadata(export).map_err(Error::io(export))?;
        if meta.len() > MAX_PORTABLE_BYTES {
            return Err(bad_export());
        }
        let raw = std::fs::read(export).map_err(Error::io(export))?;
        // Everything is checked before anything is written or derived.
        let Export { kdf, database: db } = Export::parse(&raw)?;
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            citywallet_files::create_private_dirs(dir).map_err(Error::io(dir))?;
        }
        let cleanup = || {
            for p in [
                &files.db,
                &files.kdf,
                &files.attempts,
                &files.lock,
                &files.in_use,
            ] {
                let _ = std::fs::remove_file(p);
            }
        };
        // A restored vault starts with no failures counted (the export carries no count).
        let result = write_new_secret_file(&files.kdf, &kdf)
            .and_then(|()| write_new_secret_file(&files.db, &db))
            .and_then(|()| super::throttle::Attempts::reset(&files.attempts))
            .and_then(|()| Self::open(path, passphrase));
        if result.is_err() {
            cleanup();
        }
        result
    }

    /// Seal device key `index`'s secret for the device, with `anchor` (the chain's trust
    /// anchor and nodes, as JSON) so the device can verify the chain itself.
    pub fn device_bundle(
        &self,
        index: u32,
        device_id: &str,
        device_passphrase: &Passphrase,
        anchor: serde_json::Value,
    ) -> Result<DeviceBundle> {
        device_passphrase.check_policy()?;
        if !whole_numbers_only(&anchor) {
            return Err(invalid(
                "the trust anchor holds a number that is not an integer",
            ));
        }
        let key = self.key_pair(KeyPath::device(u64::from(index))?)?;
        let public = key.public().to_bytes();
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        fill(&mut salt)?;
        fill(&mut nonce)?;
        let sealing = bundle_key(device_passphrase, &salt)?;
        let mut bundle = DeviceBundle {
            format: BUNDLE_FORMAT.into(),
            device_id: device_id.into(),
            public_key: hex::encode(public),
            kdf: BundleKdf {
                algorithm: "argon2id".into(),
                m_cost_kib: BUNDLE_M_COST_KIB,
                t_cost: BUNDLE_T_COST,
                p_cost: 1,
                salt: hex::encode(salt),
            },
            aead: "chacha20-poly1305".into(),
            nonce: hex::encode(nonce),
            sealed_secret_key: String::new(),
            trust_anchor: anchor,
        };
        let mut in_out = Zeroizing::new(key.secret_bytes().to_vec());
        sealing
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(bundle.associated_data()?),
                &mut *in_out,
            )
            .map_err(|_| Error::Derivation)?;
        bundle.sealed_secret_key = hex::encode(&*in_out);
        super::records::log(
            &self.conn,
            super::unix_now() as i64,
            VaultEvent::DeviceBundleExported,
            &serde_json::json!({ "device": device_id, "index": index }),
        )?;
        Ok(bundle)
    }
}

const BUNDLE_M_COST_KIB: u32 = 19 * 1024;
/// Largest device bundle parsed (a real one is about 1 KiB with its anchor).
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024;

/// A bundle's binary fields, decoded.
struct Sealed {
    salt: [u8; 16],
    nonce: [u8; 12],
    public: [u8; 32],
    sealed: Vec<u8>,
}
const BUNDLE_T_COST: u32 = 2;

/// A device's provisioning bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeviceBundle {
    /// `citywallet-device-bundle/1`.
    pub format: String,
    /// Device id on the chain.
    pub device_id: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// How the sealing key comes from the device passphrase.
    pub kdf: BundleKdf,
    /// `chacha20-poly1305`.
    pub aead: String,
    /// 12-byte nonce, hex.
    pub nonce: String,
    /// The 32-byte secret key sealed, with its 16-byte tag, hex.
    pub sealed_secret_key: String,
    /// The chain's trust anchor and nodes.
    pub trust_anchor: serde_json::Value,
}

/// Argon2id parameters of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleKdf {
    /// `argon2id`.
    pub algorithm: String,
    /// Memory, KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
    /// 16-byte salt, hex.
    pub salt: String,
}

impl DeviceBundle {
    /// Parse a bundle file's bytes (at most [`MAX_BUNDLE_BYTES`]) and check its shape: the
    /// format, the algorithms and parameters this version seals with, and every field's
    /// length. Pure: it derives no key (that is [`DeviceBundle::open`], with the passphrase).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(invalid("the bundle is larger than 64 KiB"));
        }
        let bundle: Self =
            serde_json::from_slice(bytes).map_err(|_| invalid("not a CityWallet device bundle"))?;
        bundle.check()?;
        Ok(bundle)
    }

    fn check(&self) -> Result<Sealed> {
        if self.format != BUNDLE_FORMAT
            || self.aead != "chacha20-poly1305"
            || self.kdf.algorithm != "argon2id"
        {
            return Err(invalid("not a CityWallet device bundle"));
        }
        if self.kdf.m_cost_kib != BUNDLE_M_COST_KIB
            || self.kdf.t_cost != BUNDLE_T_COST
            || self.kdf.p_cost != 1
        {
            return Err(invalid("unsupported bundle parameters"));
        }
        // The seal covers the anchor's JSON text as serialised here, so the anchor must read
        // back to the same text: a float may not (found by fuzzing), an integer always does.
        if !whole_numbers_only(&self.trust_anchor) {
            return Err(invalid(
                "the trust anchor holds a number that is not an integer",
            ));
        }
        let sealed = hex::decode(&self.sealed_secret_key).map_err(|_| invalid("bad hex"))?;
        if sealed.len() != 32 + aead::CHACHA20_POLY1305.tag_len() {
            return Err(invalid("a bundle field has the wrong length"));
        }
        Ok(Sealed {
            salt: decode_array(&self.kdf.salt)?,
            nonce: decode_array(&self.nonce)?,
            public: decode_array(&self.public_key)?,
            sealed,
        })
    }

    /// What the seal authenticates: every field but the sealed key itself, each with its
    /// length, after a domain tag. The anchor is its JSON text as serialised here.
    fn associated_data(&self) -> Result<Vec<u8>> {
        let anchor =
            serde_json::to_vec(&self.trust_anchor).map_err(|_| invalid("the trust anchor"))?;
        let k = &self.kdf;
        let mut a = b"citywallet device bundle v2\0".to_vec();
        for part in [
            self.format.as_bytes(),
            self.device_id.as_bytes(),
            self.public_key.as_bytes(),
            k.algorithm.as_bytes(),
            &k.m_cost_kib.to_be_bytes(),
            &k.t_cost.to_be_bytes(),
            &k.p_cost.to_be_bytes(),
            k.salt.as_bytes(),
            self.aead.as_bytes(),
            self.nonce.as_bytes(),
            &anchor,
        ] {
            a.extend_from_slice(&(part.len() as u32).to_be_bytes());
            a.extend_from_slice(part);
        }
        Ok(a)
    }

    /// What the device does: unseal its secret key with the device passphrase. A wrong
    /// passphrase or any changed byte is refused.
    pub fn open(&self, device_passphrase: &Passphrase) -> Result<Zeroizing<[u8; 32]>> {
        let Sealed {
            salt,
            nonce,
            public,
            sealed,
        } = self.check()?;
        let opening = bundle_key(device_passphrase, &salt)?;
        let mut sealed = Zeroizing::new(sealed);
        let plain = opening
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(self.associated_data()?),
                &mut sealed,
            )
            .map_err(|_| Error::WrongPassphrase)?;
        let secret: [u8; 32] = (&*plain)
            .try_into()
            .map_err(|_| invalid("the sealed key is not 32 bytes"))?;
        let secret = Zeroizing::new(secret);
        let derived = ed25519_dalek::SigningKey::from_bytes(&secret);
        if derived.verifying_key().to_bytes() != public {
            return Err(invalid("the sealed key does not match the public key"));
        }
        Ok(secret)
    }
}

/// Every number under `v` is an integer (what a trust anchor holds: heights, counts).
fn whole_numbers_only(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) => n.is_u64() || n.is_i64(),
        Value::Array(items) => items.iter().all(whole_numbers_only),
        Value::Object(fields) => fields.values().all(whole_numbers_only),
        _ => true,
    }
}

fn decode_array<const N: usize>(h: &str) -> Result<[u8; N]> {
    hex::decode(h)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(invalid("a bundle field has the wrong length"))
}

fn bundle_key(passphrase: &Passphrase, salt: &[u8; 16]) -> Result<aead::LessSafeKey> {
    let params = Params::new(BUNDLE_M_COST_KIB, BUNDLE_T_COST, 1, Some(32))
        .map_err(|_| Error::Derivation)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut *key)
        .map_err(|_| Error::Derivation)?;
    let unbound =
        aead::UnboundKey::new(&aead::CHACHA20_POLY1305, &*key).map_err(|_| Error::Derivation)?;
    Ok(aead::LessSafeKey::new(unbound))
}

fn fill(buf: &mut [u8]) -> Result<()> {
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf).map_err(|_| Error::Rng)
}

fn write_new_secret_file(path: &Path, bytes: &[u8]) -> Result<()> {
    citywallet_files::write_new(path, bytes).map_err(Error::io(path))
}
