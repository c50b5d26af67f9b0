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

/// Blind BBS signatures (draft-irtf-cfrg-bbs-blind-signatures, through zkryptium's
/// `bbsplus_blind`): the holder commits to messages only it knows (its holder secret), the
/// issuer signs them without seeing them, and every proof shows knowledge of them without
/// disclosing them. The W3C `bbs-2023` anonymous holder binding is this with one committed
/// message.
pub mod blind {
    use zeroize::Zeroizing;
    use zkryptium::bbsplus::commitment::BlindFactor;
    use zkryptium::schemes::generics::{BlindSignature, Commitment, PoKSignature};

    use super::{IssuerPublicKey, IssuerSecretKey, SIGNATURE_BYTES, Suite, proof_length_ok};
    use crate::{Error, Result};

    /// Bytes of a compressed G1 point, the commitment's first part.
    const POINT_BYTES: usize = 48;
    /// Bytes of a scalar.
    const SCALAR_BYTES: usize = 32;
    /// Most committed messages taken.
    pub const MAX_COMMITTED: usize = 8;

    /// A holder's commitment: what goes to the issuer (the commitment with its proof of
    /// correctness) and the secret prover blind the holder keeps. `Debug` shows the
    /// commitment's length only.
    pub struct HolderCommitment {
        /// Commitment ‖ proof, for the issuer.
        pub with_proof: Vec<u8>,
        /// The secret prover blind (a scalar), kept by the holder.
        pub blind: Zeroizing<[u8; 32]>,
    }

    impl std::fmt::Debug for HolderCommitment {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("HolderCommitment")
                .field("bytes", &self.with_proof.len())
                .finish_non_exhaustive()
        }
    }

    /// The number of committed messages a commitment with proof of `len` bytes carries
    /// (`C ‖ ŝ ‖ m̂_1..m̂_M ‖ c`), if it is well formed (a commitment to none still binds
    /// the signature to the prover's blind).
    pub fn committed_count(len: usize) -> Option<usize> {
        let rest = len.checked_sub(POINT_BYTES)?;
        if !rest.is_multiple_of(SCALAR_BYTES) {
            return None;
        }
        let m = (rest / SCALAR_BYTES).checked_sub(2)?;
        (m <= MAX_COMMITTED).then_some(m)
    }

    /// Commit to `committed` (octet strings) for a blind signature. Fresh randomness.
    pub fn commit(committed: &[Vec<u8>]) -> Result<HolderCommitment> {
        if committed.len() > MAX_COMMITTED {
            return Err(Error::InvalidCredential {
                reason: "a commitment holds at most eight messages",
            });
        }
        let (c, blind) =
            Commitment::<Suite>::commit(Some(committed)).map_err(|_| Error::Derivation)?;
        Ok(HolderCommitment {
            with_proof: c.to_bytes(),
            blind: Zeroizing::new(blind.to_bytes()),
        })
    }

    fn blind_factor(blind: &[u8; 32]) -> Result<BlindFactor> {
        BlindFactor::from_bytes(blind).map_err(|_| Error::InvalidCredential {
            reason: "the secret prover blind is not a scalar",
        })
    }

    impl IssuerSecretKey {
        /// BlindSign `messages` with `header` and the holder's `commitment_with_proof`
        /// (checked first: a commitment that is missing, malformed or whose proof fails is
        /// refused; zkryptium would sign an empty one as no binding at all).
        pub fn blind_sign(
            &self,
            public: &IssuerPublicKey,
            commitment_with_proof: &[u8],
            header: &[u8],
            messages: &[Vec<u8>],
        ) -> Result<[u8; SIGNATURE_BYTES]> {
            if committed_count(commitment_with_proof.len()).is_none() {
                return Err(Error::InvalidCredential {
                    reason: "the holder's commitment is malformed",
                });
            }
            let sk = zkryptium::bbsplus::keys::BBSplusSecretKey::from_bytes(&self.0)
                .map_err(|_| Error::InvalidIssuerKey)?;
            let pk = public.inner()?;
            BlindSignature::<Suite>::blind_sign(
                &sk,
                &pk,
                Some(commitment_with_proof),
                Some(header),
                Some(messages),
            )
            .map(|s| s.to_bytes())
            .map_err(|_| Error::InvalidCredential {
                reason: "the holder's commitment does not verify",
            })
        }
    }

    impl IssuerPublicKey {
        /// The holder's check of a blind signature over `messages` and its own `committed`
        /// messages with its `blind`. `true` only for a valid one.
        pub fn verify_blind_signature(
            &self,
            signature: &[u8],
            header: &[u8],
            messages: &[Vec<u8>],
            committed: &[Vec<u8>],
            blind: &[u8; 32],
        ) -> bool {
            let (Ok(pk), Ok(raw), Ok(blind)) = (
                self.inner(),
                <&[u8; SIGNATURE_BYTES]>::try_from(signature),
                blind_factor(blind),
            ) else {
                return false;
            };
            BlindSignature::<Suite>::from_bytes(raw)
                .and_then(|s| {
                    s.verify_blind_sign(
                        &pk,
                        Some(header),
                        Some(messages),
                        Some(committed),
                        Some(&blind),
                    )
                })
                .is_ok()
        }

        /// BlindProofGen: a proof of the blind `signature` disclosing the signer's
        /// `messages` at `disclosed` and the committed ones at `disclosed_committed`
        /// (ascending; the holder secret is never among them), bound to
        /// `presentation_header`, after checking the signature with the holder's messages
        /// and blind. Fresh randomness every call.
        #[allow(clippy::too_many_arguments)]
        pub fn blind_proof_gen(
            &self,
            signature: &[u8],
            header: &[u8],
            presentation_header: &[u8],
            messages: &[Vec<u8>],
            committed: &[Vec<u8>],
            disclosed: &[usize],
            disclosed_committed: &[usize],
            blind: &[u8; 32],
        ) -> Result<Vec<u8>> {
            // zkryptium would make a proof that cannot verify from a signature these
            // messages, this secret or this blind do not match (a copied credential without
            // its holder's secret): refuse instead.
            if !self.verify_blind_signature(signature, header, messages, committed, blind) {
                return Err(Error::InvalidCredential {
                    reason: "the signature does not match the credential and its holder",
                });
            }
            let pk = self.inner()?;
            let blind = blind_factor(blind)?;
            PoKSignature::<Suite>::blind_proof_gen(
                &pk,
                signature,
                Some(header),
                Some(presentation_header),
                Some(messages),
                Some(committed),
                Some(disclosed),
                Some(disclosed_committed),
                Some(&blind),
            )
            .map(|p| p.to_bytes())
            .map_err(|_| Error::InvalidCredential {
                reason: "the signature does not match the credential",
            })
        }

        /// BlindProofVerify for a signature over `signer_messages` messages of the issuer
        /// (the L of the draft). `true` only for a valid proof.
        #[allow(clippy::too_many_arguments)]
        pub fn blind_proof_verify(
            &self,
            proof: &[u8],
            header: &[u8],
            presentation_header: &[u8],
            signer_messages: usize,
            disclosed_messages: &[Vec<u8>],
            disclosed_committed_messages: &[Vec<u8>],
            disclosed_indexes: &[usize],
            disclosed_committed_indexes: &[usize],
        ) -> bool {
            let Ok(pk) = self.inner() else { return false };
            if !proof_length_ok(proof.len()) {
                return false;
            }
            let ascending = |i: &[usize], n: usize, bound: usize| {
                i.windows(2).all(|w| w[0] < w[1])
                    && i.len() == n
                    && i.last().is_none_or(|l| *l < bound)
            };
            if !ascending(disclosed_indexes, disclosed_messages.len(), signer_messages)
                || !ascending(
                    disclosed_committed_indexes,
                    disclosed_committed_messages.len(),
                    usize::MAX,
                )
            {
                return false;
            }
            // zkryptium counts the committed messages as disclosed + undisclosed - 1 - L in
            // unsigned arithmetic: a proof with fewer hidden scalars than the issuer's
            // undisclosed messages would underflow, so it is refused here.
            // After the fixed part: one scalar per undisclosed message, then the challenge.
            let undisclosed = (proof.len() - super::PROOF_FIXED_BYTES) / SCALAR_BYTES - 1;
            let total = disclosed_indexes.len() + disclosed_committed_indexes.len() + undisclosed;
            if total < signer_messages + 1 {
                return false;
            }
            PoKSignature::<Suite>::from_bytes(proof)
                .and_then(|p| {
                    p.blind_proof_verify(
                        &pk,
                        Some(header),
                        Some(presentation_header),
                        Some(signer_messages),
                        Some(disclosed_messages),
                        Some(disclosed_committed_messages),
                        Some(disclosed_indexes),
                        Some(disclosed_committed_indexes),
                    )
                })
                .is_ok()
        }
    }
}
