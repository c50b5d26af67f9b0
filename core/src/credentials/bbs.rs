//! BBS signatures and proofs (draft-irtf-cfrg-bbs-signatures, ciphersuite BLS12-381-SHA-256)
//! through `zkryptium`. Failures are opaque: a signature or proof is valid or it is not.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};
use zkryptium::bbsplus::keys::{BBSplusPublicKey, BBSplusSecretKey};
use zkryptium::keys::pair::KeyPair;
use zkryptium::schemes::algorithms::BbsBls12381Sha256;
use zkryptium::schemes::generics::{PoKSignature, Signature};

use crate::{Error, Result};

/// The ciphersuite every CityWallet credential uses, as named in the IETF draft.
pub const CIPHERSUITE: &str = "BLS12-381-SHA-256";
/// Bytes of a BBS signature.
pub const SIGNATURE_BYTES: usize = 80;
/// Bytes of an issuer public key (compressed G2 point).
pub const PUBLIC_KEY_BYTES: usize = 96;

type Suite = BbsBls12381Sha256;

/// An issuer's BBS secret key. Zeroized on drop, `Debug` redacted, no `Serialize`.
///
/// zkryptium's own secret-key type neither zeroizes nor hides itself in `Debug`, so we keep
/// the 32 bytes here and build its type only for the moment of signing.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct IssuerSecretKey([u8; 32]);

impl IssuerSecretKey {
    /// A new key pair from 64 bytes of operating-system randomness (BBS KeyGen).
    pub fn generate() -> Result<(Self, IssuerPublicKey)> {
        let mut material = zeroize::Zeroizing::new([0u8; 64]);
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), material.as_mut())
            .map_err(|_| Error::Rng)?;
        Self::from_key_material(material.as_ref(), None, None)
    }

    /// BBS KeyGen from `key_material` (at least 32 bytes), `key_info` and `key_dst`.
    pub fn from_key_material(
        key_material: &[u8],
        key_info: Option<&[u8]>,
        key_dst: Option<&[u8]>,
    ) -> Result<(Self, IssuerPublicKey)> {
        let pair = KeyPair::<Suite>::generate(key_material, key_info, key_dst)
            .map_err(|_| Error::Derivation)?;
        let public = IssuerPublicKey(pair.public_key().to_bytes());
        Ok((Self(pair.private_key().to_bytes()), public))
    }

    /// Load a secret key from its 32 bytes; its public key is recomputed.
    pub fn from_bytes(bytes: &[u8]) -> Result<(Self, IssuerPublicKey)> {
        let sk = BBSplusSecretKey::from_bytes(bytes).map_err(|_| Error::InvalidIssuerKey)?;
        let public = IssuerPublicKey(sk.public_key().to_bytes());
        let mut raw = [0u8; 32];
        raw.copy_from_slice(&sk.to_bytes());
        Ok((Self(raw), public))
    }

    /// The 32 secret bytes, for the issuer's key file.
    pub fn to_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0)
    }

    /// BBS Sign over `messages` with `header`.
    pub fn sign(
        &self,
        public: &IssuerPublicKey,
        header: &[u8],
        messages: &[Vec<u8>],
    ) -> Result<[u8; SIGNATURE_BYTES]> {
        let sk = BBSplusSecretKey::from_bytes(&self.0).map_err(|_| Error::InvalidIssuerKey)?;
        let pk = public.inner()?;
        let sig = Signature::<Suite>::sign(Some(messages), &sk, &pk, Some(header))
            .map_err(|_| Error::Derivation)?;
        Ok(sig.to_bytes())
    }
}

impl fmt::Debug for IssuerSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IssuerSecretKey([redacted])")
    }
}

/// An issuer's BBS public key: what the chain's issuer registry holds.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IssuerPublicKey([u8; PUBLIC_KEY_BYTES]);

impl IssuerPublicKey {
    /// Parse and check a compressed G2 point.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let raw: [u8; PUBLIC_KEY_BYTES] = bytes.try_into().ok()?;
        BBSplusPublicKey::from_bytes(&raw).ok()?;
        Some(Self(raw))
    }

    /// The 96 bytes.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_BYTES] {
        self.0
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn inner(&self) -> Result<BBSplusPublicKey> {
        BBSplusPublicKey::from_bytes(&self.0).map_err(|_| Error::InvalidIssuerKey)
    }

    /// BBS Verify. `true` only for a valid signature.
    pub fn verify_signature(&self, signature: &[u8], header: &[u8], messages: &[Vec<u8>]) -> bool {
        let Ok(pk) = self.inner() else { return false };
        let Ok(raw) = <&[u8; SIGNATURE_BYTES]>::try_from(signature) else {
            return false;
        };
        Signature::<Suite>::from_bytes(raw)
            .and_then(|sig| sig.verify(&pk, Some(messages), Some(header)))
            .is_ok()
    }

    /// BBS ProofGen: a zero-knowledge proof of `signature` disclosing `disclosed` (ascending
    /// indexes), bound to `presentation_header`. Fresh randomness every call.
    pub fn proof_gen(
        &self,
        signature: &[u8],
        header: &[u8],
        presentation_header: &[u8],
        messages: &[Vec<u8>],
        disclosed: &[usize],
    ) -> Result<Vec<u8>> {
        let pk = self.inner()?;
        PoKSignature::<Suite>::proof_gen(
            &pk,
            signature,
            Some(header),
            Some(presentation_header),
            Some(messages),
            Some(disclosed),
        )
        .map(|p| p.to_bytes())
        .map_err(|_| Error::InvalidCredential {
            reason: "the signature does not match the credential",
        })
    }

    /// BBS ProofVerify. `true` only for a valid proof.
    pub fn proof_verify(
        &self,
        proof: &[u8],
        header: &[u8],
        presentation_header: &[u8],
        disclosed_messages: &[Vec<u8>],
        disclosed_indexes: &[usize],
    ) -> bool {
        let Ok(pk) = self.inner() else { return false };
        // zkryptium slices the proof without checking its length (a short one panics):
        // refuse any length that is not the fixed part plus whole scalars.
        if !proof_length_ok(proof.len()) {
            return false;
        }
        // zkryptium sorts and de-duplicates the indexes itself; a presentation that lists
        // them otherwise would then be checked against different pairs than it states.
        if disclosed_indexes.windows(2).any(|w| w[0] >= w[1])
            || disclosed_indexes.len() != disclosed_messages.len()
        {
            return false;
        }
        PoKSignature::<Suite>::from_bytes(proof)
            .and_then(|p| {
                p.proof_verify(
                    &pk,
                    Some(disclosed_messages),
                    Some(disclosed_indexes),
                    Some(header),
                    Some(presentation_header),
                )
            })
            .is_ok()
    }
}

/// A BBS proof is three G1 points and three scalars (240 bytes), then one scalar per
/// undisclosed message and the challenge (32 bytes each).
pub const PROOF_FIXED_BYTES: usize = 240;

/// Whether `len` can be a BBS proof's length: the fixed part, then at least the challenge,
/// in whole 32-byte scalars.
pub fn proof_length_ok(len: usize) -> bool {
    len >= PROOF_FIXED_BYTES + 32 && (len - PROOF_FIXED_BYTES).is_multiple_of(32)
}

impl fmt::Debug for IssuerPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuerPublicKey({})", self.to_hex())
    }
}
