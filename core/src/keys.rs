//! Recovery phrases, SLIP-0010 Ed25519 key derivation on CityWallet's fixed paths, and `did:key`.
//!
//! Every key the wallet uses hangs off one BIP39 seed at a hardened SLIP-0010 path
//! `m/7083'/account'/role'/index'` (see [`KeyPath`] and ARCHITECTURE.md). Any conforming
//! SLIP-0010 implementation given the same phrase and path derives the same key.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use ed25519_dalek_bip32::{ChildIndex, ExtendedSigningKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, MnemonicProblem, Result};

/// CityWallet's purpose level in every derivation path (hardened).
pub const PURPOSE: u32 = 7083;
/// Words in a newly created recovery phrase.
pub const NEW_PHRASE_WORDS: usize = 24;
const HARDENED_LIMIT: u64 = 1 << 31;

/// A BIP39 recovery phrase (English word list). Zeroized on drop; `Debug` is redacted.
#[derive(ZeroizeOnDrop)]
pub struct RecoveryPhrase {
    inner: bip39::Mnemonic,
}

impl RecoveryPhrase {
    /// A new 24-word phrase from 256 bits of operating-system randomness.
    pub fn generate() -> Result<Self> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(entropy.as_mut())
            .map_err(|_| Error::Rng)?;
        Self::from_entropy(entropy.as_ref())
    }

    /// The phrase encoding `entropy` (16, 20, 24, 28 or 32 bytes).
    pub fn from_entropy(entropy: &[u8]) -> Result<Self> {
        bip39::Mnemonic::from_entropy(entropy)
            .map(|inner| Self { inner })
            .map_err(|e| Error::InvalidMnemonic(problem(e)))
    }

    /// Parse a phrase typed by a person: case and runs of whitespace are forgiven; words,
    /// word count and checksum are checked and a failure names the problem.
    pub fn parse(phrase: &str) -> Result<Self> {
        let normalized = Zeroizing::new(
            phrase
                .split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" "),
        );
        bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &normalized)
            .map(|inner| Self { inner })
            .map_err(|e| Error::InvalidMnemonic(problem(e)))
    }

    /// Number of words.
    pub fn word_count(&self) -> usize {
        self.inner.word_count()
    }

    /// The words separated by single spaces. Only for an explicit, confirmed reveal.
    pub fn phrase(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(24 * 9));
        for (i, word) in self.inner.words().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
        out
    }

    /// The entropy the phrase encodes.
    pub fn entropy(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.inner.to_entropy())
    }

    /// The 64-byte BIP39 seed for this phrase and an optional BIP39 passphrase ("" for none).
    pub fn to_seed(&self, bip39_passphrase: &str) -> Seed {
        let mut bytes = self.inner.to_seed(bip39_passphrase);
        let seed = Seed::from_bytes(bytes);
        bytes.zeroize();
        seed
    }
}

impl fmt::Debug for RecoveryPhrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryPhrase([redacted; {} words])", self.word_count())
    }
}

fn problem(e: bip39::Error) -> MnemonicProblem {
    match e {
        bip39::Error::BadWordCount(count) => MnemonicProblem::WordCount { count },
        bip39::Error::UnknownWord(index) => MnemonicProblem::UnknownWord {
            position: index + 1,
        },
        bip39::Error::BadEntropyBitCount(bits) => MnemonicProblem::WordCount {
            count: bits * 3 / 32,
        },
        // English only: an ambiguous-language error cannot happen; a checksum failure is the
        // only remaining kind.
        _ => MnemonicProblem::Checksum,
    }
}

/// A 64-byte BIP39 seed: the root of every key. Zeroized on drop; `Debug` is redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Seed([u8; 64]);

impl Seed {
    /// Wrap seed bytes (the caller zeroizes its own copy).
    pub fn from_bytes(bytes: [u8; 64]) -> Self {
        Self(bytes)
    }

    /// Copy 64 bytes from `bytes` straight into a seed; `None` for any other length.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut seed = Self([0u8; 64]);
        if bytes.len() != seed.0.len() {
            return None;
        }
        seed.0.copy_from_slice(bytes);
        Some(seed)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// Derive the Ed25519 key at `path` with SLIP-0010.
    pub fn derive(&self, path: KeyPath) -> Result<KeyPair> {
        derive_at(self.as_bytes(), &path.child_indices()).map(|signing| KeyPair { signing, path })
    }

    /// The holder secret ([`HOLDER_SECRET_PATH`]): the SLIP-0010 private key bytes there.
    pub fn holder_secret(&self) -> Result<HolderSecret> {
        let key = derive_at(self.as_bytes(), &HOLDER_SECRET_PATH)?;
        Ok(HolderSecret(Zeroizing::new(key.to_bytes())))
    }

    /// The holder's part of its pseudonyms' secret ([`PROVER_NYM_PATH`]): the SLIP-0010
    /// private key bytes there, hashed to a BLS12-381 scalar.
    pub fn prover_nym(&self) -> Result<ProverNym> {
        let key = derive_at(self.as_bytes(), &PROVER_NYM_PATH)?;
        let bytes = Zeroizing::new(key.to_bytes());
        Ok(ProverNym(
            crate::credentials::pseudonym::scalar_from_secret(&bytes),
        ))
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed([redacted])")
    }
}

impl PartialEq for Seed {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}
impl Eq for Seed {}

/// SLIP-0010 Ed25519 derivation along hardened `indices` (each already including 2^31).
///
/// `ed25519-dalek-bip32` does the derivation; it does not wipe the chain codes of the keys it
/// returns, so we wipe them here. Its intermediate HMAC outputs are not wiped (documented in
/// ARCHITECTURE.md).
pub(crate) fn derive_at(seed: &[u8], indices: &[u32]) -> Result<SigningKey> {
    let path = indices
        .iter()
        .map(|&i| ChildIndex::Hardened(i & 0x7fff_ffff))
        .collect::<Vec<_>>();
    let mut root = ExtendedSigningKey::from_seed(seed).map_err(|_| Error::Derivation)?;
    let derived = root.derive(&path);
    root.chain_code.zeroize();
    let mut derived = derived.map_err(|_| Error::Derivation)?;
    derived.chain_code.zeroize();
    Ok(derived.signing_key.clone())
}

/// The holder secret's path, `m/7083'/0'/3'/0'`: the role level 3 is the holder secret's
/// alone (no key is derived there), so a recovery phrase restores it with the keys.
pub const HOLDER_SECRET_PATH: [u32; 4] = [
    PURPOSE | 0x8000_0000,
    0x8000_0000,
    3 | 0x8000_0000,
    0x8000_0000,
];

/// The path of the holder's `prover_nym`, `m/7083'/0'/4'/0'`: like the holder secret, no
/// key is derived at role level 4, and a recovery phrase restores it.
pub const PROVER_NYM_PATH: [u32; 4] = [
    PURPOSE | 0x8000_0000,
    0x8000_0000,
    4 | 0x8000_0000,
    0x8000_0000,
];

/// The holder's part of the secret its pseudonyms are made from (BBS per-verifier
/// linkability: the issuer adds its own part at issuance), a scalar's 32 bytes. Committed
/// at issuance, never sent. Zeroized on drop, `Debug` redacted.
pub struct ProverNym(Zeroizing<[u8; 32]>);

impl ProverNym {
    /// The scalar's 32 big-endian bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ProverNym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProverNym([redacted])")
    }
}

/// The secret a wallet's credentials are bound to without revealing it (the W3C `bbs-2023`
/// anonymous holder binding): 32 bytes derived along [`HOLDER_SECRET_PATH`], committed to
/// at issuance and proven known in every presentation, never sent. Zeroized on drop,
/// `Debug` redacted.
pub struct HolderSecret(Zeroizing<[u8; 32]>);

impl HolderSecret {
    /// The 32 bytes, as the committed message.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for HolderSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HolderSecret([redacted])")
    }
}

/// What a key is for: the third level of every path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// The citizen's identity key (`did:key`). Index 0 only.
    Identity,
    /// Keys that sign reports about the city, one per index.
    Report,
    /// Keys of IoT devices the wallet provisions, one per index.
    Device,
}

impl KeyRole {
    /// The role's hardened path level.
    pub const fn level(self) -> u32 {
        match self {
            Self::Identity => 0,
            Self::Report => 1,
            Self::Device => 2,
        }
    }

    /// Lower-case name, as stored and printed.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Report => "report",
            Self::Device => "device",
        }
    }
}

/// A derivation path `m/7083'/account'/role'/index'`, all levels hardened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPath {
    account: u32,
    role: KeyRole,
    index: u32,
}

impl KeyPath {
    /// The citizen identity key of account 0: `m/7083'/0'/0'/0'`.
    pub const IDENTITY: Self = Self {
        account: 0,
        role: KeyRole::Identity,
        index: 0,
    };

    /// The key for `role` number `index` in account 0.
    pub fn new(role: KeyRole, index: u64) -> Result<Self> {
        if index >= HARDENED_LIMIT {
            return Err(Error::IndexOutOfRange { index });
        }
        Ok(Self {
            account: 0,
            role,
            index: index as u32,
        })
    }

    /// Device key number `index`: `m/7083'/0'/2'/index'`.
    pub fn device(index: u64) -> Result<Self> {
        Self::new(KeyRole::Device, index)
    }

    /// Report key number `index`: `m/7083'/0'/1'/index'`.
    pub fn report(index: u64) -> Result<Self> {
        Self::new(KeyRole::Report, index)
    }

    /// The role level.
    pub fn role(&self) -> KeyRole {
        self.role
    }

    /// The index level.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The four hardened child indices (with the 2^31 bit set).
    pub fn child_indices(&self) -> [u32; 4] {
        const H: u32 = 0x8000_0000;
        [
            PURPOSE | H,
            self.account | H,
            self.role.level() | H,
            self.index | H,
        ]
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "m/{}'/{}'/{}'/{}'",
            PURPOSE,
            self.account,
            self.role.level(),
            self.index
        )
    }
}

/// A derived Ed25519 key pair and the path it came from. The secret half zeroizes on drop
/// (ed25519-dalek); `Debug` shows only the public half.
pub struct KeyPair {
    signing: SigningKey,
    path: KeyPath,
}

impl KeyPair {
    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    /// Where the key was derived.
    pub fn path(&self) -> KeyPath {
        self.path
    }

    /// Sign `message` (Ed25519, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    /// The secret key bytes, for sealing into a device bundle only.
    pub(crate) fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("path", &format_args!("{}", self.path))
            .field("public", &self.public())
            .field("secret", &format_args!("[redacted]"))
            .finish()
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parse 32 raw bytes; `None` when they are not a valid Edwards point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<Self> {
        VerifyingKey::from_bytes(bytes).ok().map(Self)
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Lower-case hex of the raw bytes.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// The `did:key` for this key: multicodec `0xed01` + key, base58btc, multibase prefix `z`.
    pub fn did_key(&self) -> String {
        let mut bytes = Vec::with_capacity(34);
        bytes.extend_from_slice(&[0xed, 0x01]);
        bytes.extend_from_slice(self.0.as_bytes());
        format!("did:key:z{}", bs58::encode(bytes).into_string())
    }

    /// Verify an Ed25519 signature (strict: rejects malleable signatures and weak keys).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.0.verify_strict(message, signature).is_ok()
    }

    /// The dalek verifying key.
    pub fn as_dalek(&self) -> &VerifyingKey {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// Parse an Ed25519 `did:key` (`did:key:z` + base58btc of `0xed 0x01` + 32-byte key).
pub fn parse_did_key(did: &str) -> Result<PublicKey> {
    let encoded = did.strip_prefix("did:key:z").ok_or(Error::InvalidDid)?;
    if encoded.len() > 64 {
        return Err(Error::InvalidDid);
    }
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| Error::InvalidDid)?;
    match bytes.as_slice() {
        [0xed, 0x01, key @ ..] => key
            .try_into()
            .ok()
            .and_then(|k: [u8; 32]| PublicKey::from_bytes(&k))
            .ok_or(Error::InvalidDid),
        _ => Err(Error::InvalidDid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_as_documented() {
        assert_eq!(KeyPath::IDENTITY.to_string(), "m/7083'/0'/0'/0'");
        assert_eq!(
            KeyPath::device(5).map(|p| p.to_string()).ok(),
            Some("m/7083'/0'/2'/5'".into())
        );
        assert_eq!(
            KeyPath::report(1).map(|p| p.to_string()).ok(),
            Some("m/7083'/0'/1'/1'".into())
        );
        assert!(matches!(
            KeyPath::device(1 << 31),
            Err(Error::IndexOutOfRange { .. })
        ));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let phrase = RecoveryPhrase::generate().expect("rng");
        let seed = phrase.to_seed("");
        let key = seed.derive(KeyPath::IDENTITY).expect("derive");
        // The whole text, not a search for the phrase's words: BIP39 has "public" and
        // "secret", which the labels hold.
        assert_eq!(
            format!("{phrase:?} {seed:?} {key:?}"),
            format!(
                "RecoveryPhrase([redacted; 24 words]) Seed([redacted]) KeyPair {{ path: \
                 m/7083'/0'/0'/0', public: PublicKey({}), secret: [redacted] }}",
                key.public().to_hex()
            )
        );
    }

    #[test]
    fn parse_forgives_case_and_spacing_and_names_problems() {
        let phrase = RecoveryPhrase::generate().expect("rng");
        let words = phrase.phrase();
        let messy = format!("  {}\n", words.to_uppercase().replace(' ', "   "));
        let again = RecoveryPhrase::parse(&messy).expect("parse");
        assert_eq!(again.entropy(), phrase.entropy());

        let mut list: Vec<&str> = words.split(' ').collect();
        list[4] = "notaword";
        assert!(matches!(
            RecoveryPhrase::parse(&list.join(" ")),
            Err(Error::InvalidMnemonic(MnemonicProblem::UnknownWord {
                position: 5
            }))
        ));
        assert!(matches!(
            RecoveryPhrase::parse("abandon abandon abandon"),
            Err(Error::InvalidMnemonic(MnemonicProblem::WordCount {
                count: 3
            }))
        ));
        // "abandon" x 12 is a famous bad-checksum phrase.
        assert!(matches!(
            RecoveryPhrase::parse(&["abandon"; 12].join(" ")),
            Err(Error::InvalidMnemonic(MnemonicProblem::Checksum))
        ));
    }

    #[test]
    fn signatures_verify_with_the_public_key() {
        let seed = RecoveryPhrase::generate().expect("rng").to_seed("");
        let key = seed
            .derive(KeyPath::report(0).expect("path"))
            .expect("derive");
        let sig = key.sign(b"pothole at cell 8a2a1072b59ffff");
        assert!(
            key.public()
                .verify(b"pothole at cell 8a2a1072b59ffff", &sig)
        );
        assert!(
            !key.public()
                .verify(b"pothole at cell 8a2a1072b59fffe", &sig)
        );
    }
}
