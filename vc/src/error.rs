//! The crate's one error type.

/// What went wrong with a credential document or a proof.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VcError {
    /// A document larger than [`crate::canon::MAX_DOCUMENT_BYTES`].
    #[error("the document is {bytes} bytes; at most {limit} are accepted")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A document whose RDF form has more statements or blank nodes than accepted.
    #[error("the document has too many {what} (more than {limit})")]
    TooComplex {
        /// `statements` or `blank nodes`.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A context this wallet does not ship (nothing is fetched from the network).
    #[error("unknown JSON-LD context {0}")]
    UnknownContext(String),
    /// Not valid JSON-LD (or not JSON).
    #[error("not a valid JSON-LD document: {0}")]
    JsonLd(String),
    /// A JSON pointer that is not one or does not match the document.
    #[error("the JSON pointer {0:?} does not match the document")]
    BadPointer(String),
    /// The randomness source failed.
    #[error("no randomness available")]
    Rng,
    /// A claim the credential type does not have, a missing or repeated one, or a value
    /// its rules refuse.
    #[error("the claim {0:?} is missing, unknown, repeated or not valid for this credential type")]
    InvalidClaim(String),
    /// A key that is not what it should be.
    #[error("invalid {0}")]
    InvalidKey(&'static str),
    /// The BBS operation failed (a bad key or input; failures are opaque).
    #[error("the BBS {0} failed")]
    Bbs(&'static str),
    /// A proof that does not verify.
    #[error("the proof does not verify: {0}")]
    ProofInvalid(&'static str),
    /// A proof value that cannot be written or read.
    #[error("malformed proof value: {0}")]
    ProofValue(&'static str),
    /// A presentation refused, for the same reasons as the core's presentations.
    #[error("presentation rejected: {0:?}")]
    Rejected(citywallet_core::Rejection),
    /// Not a DCQL query this wallet can read (shape, ids, references, sizes).
    #[error("invalid DCQL query: {0}")]
    DcqlInvalid(&'static str),
    /// A valid DCQL query the held credentials cannot answer.
    #[error("no held credentials answer the query")]
    DcqlUnsatisfiable,
    /// A presentation that does not answer the DCQL query it was for.
    #[error("the presentation does not answer the query: {0}")]
    DcqlNotAnswered(&'static str),
}

impl VcError {
    /// A stable code for the interface (`snake_case`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "credential_too_large",
            Self::TooComplex { .. } => "credential_too_complex",
            Self::UnknownContext(_) => "credential_unknown_context",
            Self::JsonLd(_) => "credential_not_json_ld",
            Self::BadPointer(_) => "credential_bad_pointer",
            Self::Rng => "credential_rng_failed",
            Self::InvalidKey(_) => "credential_invalid_key",
            Self::InvalidClaim(_) => "credential_invalid_claim",
            Self::Bbs(_) => "credential_bbs_failed",
            Self::ProofValue(_) => "credential_proof_value_malformed",
            Self::Rejected(r) => citywallet_core::Error::Rejected(*r).code(),
            Self::DcqlInvalid(_) => "dcql_invalid",
            Self::DcqlUnsatisfiable => "dcql_unsatisfiable",
            Self::DcqlNotAnswered(_) => "dcql_not_answered",
            Self::ProofInvalid(_) => "credential_proof_invalid",
        }
    }
}

impl From<citywallet_core::Error> for VcError {
    fn from(_: citywallet_core::Error) -> Self {
        Self::Bbs("signature")
    }
}

/// `Result` with [`VcError`].
pub type Result<T> = std::result::Result<T, VcError>;
