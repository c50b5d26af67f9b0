//! The issuer's one error type. Errors a wallet causes carry their OpenID4VCI / OAuth 2.0
//! error code ([`IssuerError::oauth_code`]) and HTTP status; the operator's get a stable
//! [`IssuerError::code`].

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// A request that is not what the endpoint takes (missing or malformed fields, too big).
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// A pre-authorized code that is unknown, used, expired, or given with the wrong
    /// transaction code; a refresh token that is unknown, used or expired, or whose
    /// credential was revoked.
    #[error("invalid grant: {0}")]
    InvalidGrant(&'static str),
    /// A missing, unknown, used or expired access token.
    #[error("invalid access token")]
    InvalidToken,
    /// A proof of possession that is malformed, signed badly, for another audience, or not
    /// fresh.
    #[error("invalid proof: {0}")]
    InvalidProof(&'static str),
    /// A proof whose nonce this issuer did not give, or gave and saw used.
    #[error("invalid nonce")]
    InvalidNonce,
    /// A credential configuration this issuer does not offer, or not the offer's.
    #[error("unknown credential configuration")]
    UnknownConfiguration,
    /// No citizen with this id in the department's records.
    #[error("no citizen {0} in the records")]
    UnknownCitizen(String),
    /// The citizen's records do not entitle them to this credential.
    #[error("citizen {citizen} is not entitled to a {kind} credential")]
    NotEntitled {
        /// Citizen id.
        citizen: String,
        /// Credential type.
        kind: String,
    },
    /// A private credential of this type and window was already issued to the citizen
    /// (one each: a second would give a second set of pseudonyms).
    #[error("a private credential of this type was already issued to the citizen for this window")]
    AlreadyIssued,
    /// Operator input that is not valid (a claim, an id, a file).
    #[error("{0}")]
    BadInput(String),
    /// No issuer set up at this data directory, or one already there.
    #[error("{0}")]
    Setup(String),
    /// A stored record of the issuer does not decode: the vault was changed by something
    /// else.
    #[error("the issuer's {0} record is damaged")]
    Damaged(&'static str),
    /// The credential could not be made.
    #[error(transparent)]
    Vc(#[from] citywallet_vc::VcError),
    /// The core refused (keys, claims, randomness).
    #[error(transparent)]
    Core(#[from] citywallet_core::Error),
    /// The vault or the chain (through the light client) failed or refused.
    #[error(transparent)]
    Wallet(#[from] citywallet_wallet::Error),
}

impl IssuerError {
    /// The OAuth 2.0 / OpenID4VCI error code a wallet gets, and the HTTP status.
    pub fn oauth_code(&self) -> (&'static str, u16) {
        match self {
            Self::InvalidRequest(_) => ("invalid_request", 400),
            Self::InvalidGrant(_) => ("invalid_grant", 400),
            Self::InvalidToken => ("invalid_token", 401),
            Self::InvalidProof(_) => ("invalid_proof", 400),
            Self::InvalidNonce => ("invalid_nonce", 400),
            Self::UnknownConfiguration => ("unknown_credential_configuration", 400),
            Self::NotEntitled { .. } | Self::UnknownCitizen(_) => ("access_denied", 403),
            Self::AlreadyIssued => ("credential_request_denied", 400),
            _ => ("server_error", 500),
        }
    }

    /// Stable code for the operator's command line.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownCitizen(_) => "unknown_citizen",
            Self::NotEntitled { .. } => "not_entitled",
            Self::BadInput(_) => "invalid_input",
            Self::Setup(_) => "issuer_setup",
            Self::Damaged(_) => "issuer_record_damaged",
            Self::Vc(e) => e.code(),
            Self::Core(e) => e.code(),
            Self::Wallet(e) => e.code().as_str(),
            _ => self.oauth_code().0,
        }
    }
}

/// `Result` with [`IssuerError`].
pub type Result<T, E = IssuerError> = std::result::Result<T, E>;
