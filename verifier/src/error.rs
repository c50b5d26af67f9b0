//! The verifier service's one error type.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierError {
    /// Operator input that is not valid (a key file, an id, an address).
    #[error("{0}")]
    BadInput(String),
    /// No verifier set up at this data directory, or one already there.
    #[error("{0}")]
    Setup(String),
    /// A stored record of the service does not decode: the vault was changed by something
    /// else.
    #[error("the verifier's {0} record is damaged")]
    Damaged(&'static str),
    /// The vault, the chain (through the light client) or a request or answer.
    #[error(transparent)]
    Wallet(#[from] citywallet_wallet::Error),
}

impl From<citywallet_core::Error> for VerifierError {
    fn from(e: citywallet_core::Error) -> Self {
        Self::Wallet(e.into())
    }
}

impl VerifierError {
    /// A stable code for the operator's tools.
    pub fn code(&self) -> String {
        match self {
            Self::BadInput(_) => "bad_input".into(),
            Self::Setup(_) => "setup".into(),
            Self::Damaged(_) => "damaged".into(),
            Self::Wallet(e) => serde_json::to_value(e.code())
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "internal".into()),
        }
    }
}

/// The service's results.
pub type Result<T> = std::result::Result<T, VerifierError>;
