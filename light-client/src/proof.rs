//! State reads checked with ICS23 against the app hash of a verified header.
//!
//! A read is `(key, value or None, proof bytes)` as a node's `abci_query` returns it. The
//! proof must prove exactly that: membership of this value, or non-membership of the key.
//! An empty answer without a valid non-membership proof is refused, never taken as absence.

pub use ics23::ProofSpec;
use prost_ics23::Message;

/// Largest proof accepted (a JMT proof with 1,000,000 keys is under 2 KiB).
pub const MAX_PROOF_BYTES: usize = 64 * 1024;

/// Why a state read was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofRejection {
    /// The proof is larger than [`MAX_PROOF_BYTES`].
    #[error("the proof is too large")]
    TooLarge,
    /// The bytes are not an ICS23 `CommitmentProof`.
    #[error("the proof is not an ICS23 commitment proof")]
    Malformed,
    /// The proof does not prove this value (or this absence) under this root.
    #[error("the proof does not match the app hash")]
    Mismatch,
}

impl ProofRejection {
    /// Stable code.
    pub fn error_code(&self) -> crate::ErrorCode {
        match self {
            Self::TooLarge => crate::ErrorCode::ProofTooLarge,
            Self::Malformed => crate::ErrorCode::ProofMalformed,
            Self::Mismatch => crate::ErrorCode::ProofMismatch,
        }
    }

    /// The code's text.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

/// The spec of the city chain's state tree: `jmt`'s, taken from the `jmt` crate itself (a
/// third-party crate, not the node's internals).
pub fn city_spec() -> ProofSpec {
    jmt::ics23_spec()
}

/// Check that `proof` proves `value` for `key` (or, with `None`, that `key` is absent) under
/// `root` with `spec`. Pure.
pub fn verify_read(
    spec: &ProofSpec,
    root: &[u8],
    key: &[u8],
    value: Option<&[u8]>,
    proof: &[u8],
) -> Result<(), ProofRejection> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofRejection::TooLarge);
    }
    let proof = ics23::CommitmentProof::decode(proof).map_err(|_| ProofRejection::Malformed)?;
    let root = root.to_vec();
    let ok = match value {
        Some(v) => {
            ics23::verify_membership::<ics23::HostFunctionsManager>(&proof, spec, &root, key, v)
        }
        None => {
            ics23::verify_non_membership::<ics23::HostFunctionsManager>(&proof, spec, &root, key)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ProofRejection::Mismatch)
    }
}
