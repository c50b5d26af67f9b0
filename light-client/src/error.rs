//! The crate's one error type. Every refusal names its reason precisely, with a stable code
//! for the CLI's JSON and the app's IPC.

use crate::proof::ProofRejection;
use crate::verify::Rejection;

/// Every code this crate's errors give (apart from the core errors they wrap), as a value:
/// the app's error codes are checked against this list.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "ChainErrorCode")
)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `node_timeout`.
    NodeTimeout,
    /// `node_unreachable`.
    NodeUnreachable,
    /// `node_missing_block`.
    NodeMissingBlock,
    /// `node_response_too_large`.
    NodeResponseTooLarge,
    /// `node_response_malformed`.
    NodeResponseMalformed,
    /// `node_rpc_error`.
    NodeRpcError,
    /// `node_unsupported`.
    NodeUnsupported,
    /// `operation_out_of_time`.
    OperationOutOfTime,
    /// `operation_cancelled`.
    OperationCancelled,
    /// `trust_expired`.
    TrustExpired,
    /// `no_trust_anchor`.
    NoTrustAnchor,
    /// `header_stale`.
    HeaderStale,
    /// `primary_lagging`.
    PrimaryLagging,
    /// `chain_not_advancing`.
    ChainNotAdvancing,
    /// `anchor_mismatch`.
    AnchorMismatch,
    /// `divergence_detected`.
    DivergenceDetected,
    /// `divergence_open`.
    DivergenceOpen,
    /// `no_witness`.
    NoWitness,
    /// `no_witness_answered`.
    NoWitnessAnswered,
    /// `unproven_answer`.
    UnprovenAnswer,
    /// `bad_record`.
    BadRecord,
    /// `tx_refused`.
    TxRefused,
    /// `effect_not_seen`.
    EffectNotSeen,
    /// `receipt_invalid`.
    ReceiptInvalid,
    /// `no_snapshot`.
    NoSnapshot,
    /// `snapshot_too_old`.
    SnapshotTooOld,
    /// `invalid_input`.
    InvalidInput,
    /// `internal_encode`.
    InternalEncode,
    /// `field_not_an_id`.
    FieldNotAnId,
    /// `field_empty`.
    FieldEmpty,
    /// `field_too_long`.
    FieldTooLong,
    /// `field_control_character`.
    FieldControlCharacter,
    /// `field_too_many`.
    FieldTooMany,
    /// `field_not_a_credential_id`.
    FieldNotACredentialId,
    /// `field_not_a_key`.
    FieldNotAKey,
    /// `field_too_much_power`.
    FieldTooMuchPower,
    /// `field_invalid`.
    FieldInvalid,
    /// `org_unknown`.
    OrgUnknown,
    /// `org_inactive`.
    OrgInactive,
    /// `org_not_accredited`.
    OrgNotAccredited,
    /// `already_exists`.
    AlreadyExists,
    /// `not_on_chain`.
    NotOnChain,
    /// `not_yours`.
    NotYours,
    /// `not_active`.
    NotActive,
    /// `missing_role`.
    MissingRole,
    /// `issuer_not_registered`.
    IssuerNotRegistered,
    /// `issuer_inactive`.
    IssuerInactive,
    /// `issuer_not_for_type`.
    IssuerNotForType,
    /// `credential_revoked`.
    CredentialRevoked,
    /// `issuer_no_revocation_bound`.
    IssuerNoRevocationBound,
    /// `credential_outlives_revocation_bound`.
    CredentialOutlivesRevocationBound,
    /// `not_issuer_operator`.
    NotIssuerOperator,
    /// `expiry_in_past`.
    ExpiryInPast,
    /// `grant_expired`.
    GrantExpired,
    /// `grant_not_covering`.
    GrantNotCovering,
    /// `other_department`.
    OtherDepartment,
    /// `reward_over_cap`.
    RewardOverCap,
    /// `batch_not_newer`.
    BatchNotNewer,
    /// `header_bad_signature`.
    HeaderBadSignature,
    /// `header_insufficient_power`.
    HeaderInsufficientPower,
    /// `header_validator_set_mismatch`.
    HeaderValidatorSetMismatch,
    /// `header_from_future`.
    HeaderFromFuture,
    /// `header_not_monotonic`.
    HeaderNotMonotonic,
    /// `header_inconsistent`.
    HeaderInconsistent,
    /// `header_validator_set_malformed`.
    HeaderValidatorSetMalformed,
    /// `proof_too_large`.
    ProofTooLarge,
    /// `proof_malformed`.
    ProofMalformed,
    /// `proof_mismatch`.
    ProofMismatch,
}

impl ErrorCode {
    /// The code's text.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Why a node's answer could not be used. The node's fault (or the network's), never a
/// verdict about the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The node did not answer in time.
    #[error("the node did not answer in time")]
    Timeout,
    /// The node could not be reached.
    #[error("the node could not be reached")]
    Unreachable,
    /// The node has no block at this height.
    #[error("the node has no block at height {0}")]
    Missing(u64),
    /// The answer is larger than the client accepts.
    #[error("the node's answer is too large")]
    TooLarge,
    /// The answer is not what the method returns (undecodable or inconsistent).
    #[error("the node's answer is malformed")]
    Malformed,
    /// The node answered with a JSON-RPC error.
    #[error("the node refused the request ({code}): {message}")]
    Rpc {
        /// JSON-RPC error code.
        code: i64,
        /// Its message, shortened.
        message: String,
    },
    /// The node does not offer this method.
    #[error("the node does not offer this method")]
    Unsupported,
    /// The operation's time on the network is spent (see [`crate::budget::Budget`]).
    #[error("the operation ran out of time waiting for the nodes")]
    OutOfTime,
    /// The operation was stopped (the wallet was locked).
    #[error("the operation was stopped")]
    Cancelled,
}

impl FetchError {
    /// Stable code.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::Timeout => ErrorCode::NodeTimeout,
            Self::Unreachable => ErrorCode::NodeUnreachable,
            Self::Missing(_) => ErrorCode::NodeMissingBlock,
            Self::TooLarge => ErrorCode::NodeResponseTooLarge,
            Self::Malformed => ErrorCode::NodeResponseMalformed,
            Self::Rpc { .. } => ErrorCode::NodeRpcError,
            Self::Unsupported => ErrorCode::NodeUnsupported,
            Self::OutOfTime => ErrorCode::OperationOutOfTime,
            Self::Cancelled => ErrorCode::OperationCancelled,
        }
    }

    /// The code's text.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

/// A fact an action relies on that the proven state does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Precondition {
    /// No such organisation is registered (non-membership proven).
    #[error("organisation {0} is not registered")]
    OrgUnknown(String),
    /// The organisation is deactivated.
    #[error("organisation {0} is not active")]
    OrgInactive(String),
    /// The organisation is not accredited for a category.
    #[error("organisation {org} is not accredited for {category}")]
    OrgNotAccredited {
        /// Organisation.
        org: String,
        /// The category it lacks.
        category: String,
    },
    /// The id is already taken on the chain.
    #[error("{kind} {id} already exists on the chain")]
    AlreadyExists {
        /// Record kind.
        kind: &'static str,
        /// Id.
        id: String,
    },
    /// No such record on the chain (non-membership proven).
    #[error("no {kind} {id} on the chain")]
    NotOnChain {
        /// Record kind.
        kind: &'static str,
        /// Id.
        id: String,
    },
    /// The record is not this wallet's to change.
    #[error("{kind} {id} belongs to another key")]
    NotYours {
        /// Record kind.
        kind: &'static str,
        /// Id.
        id: String,
    },
    /// The record is already inactive or revoked.
    #[error("{kind} {id} is not active")]
    NotActive {
        /// Record kind.
        kind: &'static str,
        /// Id.
        id: String,
    },
    /// The signing key lacks the role on the chain (non-membership proven).
    #[error("this wallet's key does not have the {0} role on the chain")]
    MissingRole(&'static str),
    /// An issuer is not registered.
    #[error("issuer {0} is not registered")]
    IssuerUnknown(String),
    /// An issuer is deactivated.
    #[error("issuer {0} is not active")]
    IssuerInactive(String),
    /// The issuer may not issue this credential type.
    #[error("issuer {issuer} may not issue {kind} credentials")]
    IssuerNotForType {
        /// Issuer.
        issuer: String,
        /// Credential type.
        kind: String,
    },
    /// The credential is revoked (membership proven).
    #[error("credential {0} is revoked")]
    CredentialRevoked(String),
    /// A private credential's issuer has no revocation bound on the chain: how soon a
    /// revocation takes effect is unknown, so its private credentials are refused.
    #[error("issuer {0} has no revocation bound on the chain")]
    IssuerNoRevocationBound(String),
    /// A private credential is valid for longer ahead than its issuer's revocation bound: a
    /// revocation would not take effect within the bound.
    #[error(
        "the credential is valid for {ahead_secs} s more, beyond its issuer's revocation bound of {bound_secs} s"
    )]
    CredentialOutlivesRevocationBound {
        /// How long it is still valid, seconds.
        ahead_secs: i64,
        /// The issuer's bound, seconds.
        bound_secs: u64,
    },
    /// The wallet's key is not the issuer's operator key.
    #[error("this key is not issuer {0}'s operator key")]
    NotIssuerOperator(String),
    /// A grant's expiry is not in the future.
    #[error("the expiry must be in the future")]
    ExpiryInPast,
    /// The grant has expired (its expiry is past the proven time).
    #[error("grant {0} has expired")]
    GrantExpired(String),
    /// The grant does not cover the data category.
    #[error("grant {grant} does not cover {category}")]
    GrantNotCovering {
        /// Grant id.
        grant: String,
        /// The category asked for.
        category: String,
    },
    /// The technician's department on the chain is not the device's.
    #[error("device {id} is in department {device}; this technician's is {own}")]
    OtherDepartment {
        /// Device id.
        id: String,
        /// The device's department.
        device: String,
        /// The technician's department ("" when the chain records none).
        own: String,
    },
    /// A reward above the genesis cap.
    #[error("a reward of {reward} points is above the chain's cap of {cap}")]
    RewardOverCap {
        /// Points asked for.
        reward: u64,
        /// The cap.
        cap: u64,
    },
    /// A device's batch is not numbered above its last anchored one (a replay, or a
    /// batch older than one on the chain).
    #[error("batch {seq} of device {device} is not above its last anchored batch {last}")]
    BatchNotNewer {
        /// Device id.
        device: String,
        /// The batch's number.
        seq: u64,
        /// The last one anchored.
        last: u64,
    },
}

/// Everything that can go wrong in `citywallet-light-client`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A node's answer could not be used.
    #[error("node {node}: {reason}")]
    Fetch {
        /// The node's URL.
        node: String,
        /// What went wrong.
        reason: FetchError,
    },
    /// A header was refused.
    #[error("the header at height {height} is invalid: {reason}")]
    HeaderInvalid {
        /// Its height.
        height: u64,
        /// Why.
        reason: Rejection,
    },
    /// The trusted header is older than the trusting period: a new anchor is needed.
    #[error(
        "the trusted header (height {height}) is older than the trusting period: give a new trust anchor"
    )]
    TrustExpired {
        /// Height of the expired trusted header.
        height: u64,
    },
    /// No trusted header yet.
    #[error("no trust anchor: set one from the genesis or a height and hash")]
    NoTrustAnchor,
    /// The newest header the nodes serve is older than an online action or check allows:
    /// they are frozen or cut off from the chain.
    #[error(
        "the newest header the nodes serve (height {height}) is {age_secs} s old, more than the {limit_secs} s allowed online"
    )]
    HeaderStale {
        /// Its height.
        height: u64,
        /// Its age.
        age_secs: u64,
        /// The limit.
        limit_secs: u64,
    },
    /// The chain has made no block for longer than a submission allows: too few validators
    /// are up to commit one, so a transaction sent now could not be confirmed. Nothing was
    /// sent; the same action works again once blocks resume.
    #[error(
        "the chain is not advancing: its newest block (height {height}) is {since_secs} s old, more than the {limit_secs} s allowed before submitting"
    )]
    ChainNotAdvancing {
        /// The newest height.
        height: u64,
        /// Seconds since that block.
        since_secs: u64,
        /// The limit.
        limit_secs: u64,
    },
    /// A witness is well ahead of the primary: the primary lags behind the chain.
    #[error(
        "the primary is behind: it serves height {primary_height} while witness {witness} is at {witness_height}"
    )]
    PrimaryLagging {
        /// The primary's newest height.
        primary_height: u64,
        /// The witness.
        witness: String,
        /// The witness's newest height.
        witness_height: u64,
    },
    /// The anchor block does not have the hash the user gave, or the genesis does not match it.
    #[error("the trust anchor does not match: {0}")]
    AnchorMismatch(&'static str),
    /// The primary and a witness serve conflicting, validly signed headers. Every action stops.
    #[error(
        "the primary and witness {witness} disagree at height {height}: a fork or an attack; actions are stopped"
    )]
    Divergence {
        /// Height of the conflict.
        height: u64,
        /// The witness's URL.
        witness: String,
        /// The evidence, to keep.
        evidence: Box<crate::witness::DivergenceEvidence>,
    },
    /// A divergence was recorded earlier and not resolved.
    #[error(
        "a divergence between nodes was detected at height {height}: actions stay stopped until a new trust anchor is set"
    )]
    DivergenceOpen {
        /// Height of the conflict.
        height: u64,
    },
    /// No witness is configured: the primary cannot be cross-checked.
    #[error("no witness node is configured: add one to cross-check the primary")]
    NoWitness,
    /// No witness answered: the primary cannot be cross-checked now.
    #[error("no witness could confirm the primary's header at height {height}")]
    NoWitnessAnswered {
        /// Height that was to be confirmed.
        height: u64,
    },
    /// A state proof was refused.
    #[error("the proof for {key} is refused: {reason}")]
    Proof {
        /// The state key.
        key: String,
        /// Why.
        reason: ProofRejection,
    },
    /// The node answered a state read without a usable proof, or for another key or height.
    #[error("the node's answer for {key} is not proven: {what}")]
    Unproven {
        /// The state key.
        key: String,
        /// What is missing.
        what: &'static str,
    },
    /// A proven value does not decode as its record type.
    #[error("the proven value at {0} is not a valid record")]
    BadRecord(String),
    /// A fact the action relies on does not hold.
    #[error("{0}")]
    Precondition(Precondition),
    /// The node said it refused the transaction, and its effect is proven absent at later
    /// verified headers: it did not land.
    #[error(
        "the transaction did not land: its effect is absent at height {absent_at}; the node said it refused it ({code}: {log})"
    )]
    TxRefused {
        /// Protocol code name, as the node claimed.
        code: &'static str,
        /// The node's log, as it claimed.
        log: String,
        /// The newest verified height at which the effect was proven absent.
        absent_at: u64,
    },
    /// The transaction's effect did not appear in proven state in time.
    #[error("the transaction was accepted but its effect was not proven within {waited_secs} s")]
    EffectNotSeen {
        /// How long the wallet waited.
        waited_secs: u64,
    },
    /// A receipt does not verify.
    #[error("the receipt does not verify: {0}")]
    ReceiptInvalid(&'static str),
    /// No registry snapshot for offline checks.
    #[error("no verified snapshot of the issuer registry: go online once")]
    NoSnapshot,
    /// The snapshot is older than allowed.
    #[error("the verified snapshot is {age_secs} s old, more than the {limit_secs} s allowed")]
    SnapshotTooOld {
        /// Its age.
        age_secs: u64,
        /// The limit.
        limit_secs: u64,
    },
    /// Bad input from the user (an id, a URL, a date).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A field the node would refuse: nothing was signed or sent.
    #[error("the node would refuse this: {0}")]
    Field(citywallet_protocol::FieldError),
    /// Something the wallet made could not be encoded (an internal fault, never the
    /// user's or a node's).
    #[error("could not encode {0}")]
    Encode(&'static str),
    /// The vault or a credential check failed.
    #[error(transparent)]
    Core(#[from] citywallet_core::Error),
}

impl Error {
    /// This crate's code for the error; `None` for a core error it carries (whose code is
    /// the core crate's).
    pub fn chain_code(&self) -> Option<ErrorCode> {
        Some(match self {
            Self::Fetch { reason, .. } => reason.error_code(),
            Self::HeaderInvalid { reason, .. } => reason.error_code(),
            Self::TrustExpired { .. } => ErrorCode::TrustExpired,
            Self::NoTrustAnchor => ErrorCode::NoTrustAnchor,
            Self::HeaderStale { .. } => ErrorCode::HeaderStale,
            Self::ChainNotAdvancing { .. } => ErrorCode::ChainNotAdvancing,
            Self::PrimaryLagging { .. } => ErrorCode::PrimaryLagging,
            Self::AnchorMismatch(_) => ErrorCode::AnchorMismatch,
            Self::Divergence { .. } => ErrorCode::DivergenceDetected,
            Self::DivergenceOpen { .. } => ErrorCode::DivergenceOpen,
            Self::NoWitness => ErrorCode::NoWitness,
            Self::NoWitnessAnswered { .. } => ErrorCode::NoWitnessAnswered,
            Self::Proof { reason, .. } => reason.error_code(),
            Self::Unproven { .. } => ErrorCode::UnprovenAnswer,
            Self::BadRecord(_) => ErrorCode::BadRecord,
            Self::Precondition(p) => p.error_code(),
            Self::TxRefused { .. } => ErrorCode::TxRefused,
            Self::EffectNotSeen { .. } => ErrorCode::EffectNotSeen,
            Self::ReceiptInvalid(_) => ErrorCode::ReceiptInvalid,
            Self::NoSnapshot => ErrorCode::NoSnapshot,
            Self::SnapshotTooOld { .. } => ErrorCode::SnapshotTooOld,
            Self::InvalidInput(_) => ErrorCode::InvalidInput,
            Self::Field(f) => field_code(f.problem),
            Self::Encode(_) => ErrorCode::InternalEncode,
            Self::Core(_) => return None,
        })
    }

    /// Stable machine-readable code (a core error's own, for the core errors it carries).
    pub fn code(&self) -> &'static str {
        match (self, self.chain_code()) {
            (Self::Core(e), _) => e.code(),
            (_, Some(c)) => c.as_str(),
            (_, None) => ErrorCode::InternalEncode.as_str(),
        }
    }

    /// True for a node that did not answer in time or could not be reached, and for no
    /// witness answering: asking again later may succeed. Refusals and failed checks are
    /// never transient.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Fetch {
                reason: FetchError::Timeout | FetchError::Unreachable,
                ..
            } | Self::NoWitnessAnswered { .. }
        )
    }

    /// True when the user (or their configuration) can act on it; false for internal faults.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Core(e) => e.is_user_error(),
            Self::Encode(_) => false,
            _ => true,
        }
    }

    pub(crate) fn fetch(node: &str) -> impl FnOnce(FetchError) -> Self + '_ {
        move |reason| Self::Fetch {
            node: node.to_owned(),
            reason,
        }
    }
}

/// The code of a field refusal: `field_` and the problem.
pub fn field_code(p: citywallet_protocol::Problem) -> ErrorCode {
    use citywallet_protocol::Problem as P;
    match p {
        P::NotAnId => ErrorCode::FieldNotAnId,
        P::Empty => ErrorCode::FieldEmpty,
        P::TooLong => ErrorCode::FieldTooLong,
        P::ControlCharacter => ErrorCode::FieldControlCharacter,
        P::TooMany => ErrorCode::FieldTooMany,
        P::NotACredentialId => ErrorCode::FieldNotACredentialId,
        P::NotAKey => ErrorCode::FieldNotAKey,
        P::TooMuchPower => ErrorCode::FieldTooMuchPower,
        _ => ErrorCode::FieldInvalid,
    }
}

impl Precondition {
    /// Stable code.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::OrgUnknown(_) => ErrorCode::OrgUnknown,
            Self::OrgInactive(_) => ErrorCode::OrgInactive,
            Self::OrgNotAccredited { .. } => ErrorCode::OrgNotAccredited,
            Self::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Self::NotOnChain { .. } => ErrorCode::NotOnChain,
            Self::NotYours { .. } => ErrorCode::NotYours,
            Self::NotActive { .. } => ErrorCode::NotActive,
            Self::MissingRole(_) => ErrorCode::MissingRole,
            Self::IssuerUnknown(_) => ErrorCode::IssuerNotRegistered,
            Self::IssuerInactive(_) => ErrorCode::IssuerInactive,
            Self::IssuerNotForType { .. } => ErrorCode::IssuerNotForType,
            Self::CredentialRevoked(_) => ErrorCode::CredentialRevoked,
            Self::IssuerNoRevocationBound(_) => ErrorCode::IssuerNoRevocationBound,
            Self::CredentialOutlivesRevocationBound { .. } => {
                ErrorCode::CredentialOutlivesRevocationBound
            }
            Self::NotIssuerOperator(_) => ErrorCode::NotIssuerOperator,
            Self::ExpiryInPast => ErrorCode::ExpiryInPast,
            Self::GrantExpired(_) => ErrorCode::GrantExpired,
            Self::GrantNotCovering { .. } => ErrorCode::GrantNotCovering,
            Self::OtherDepartment { .. } => ErrorCode::OtherDepartment,
            Self::RewardOverCap { .. } => ErrorCode::RewardOverCap,
            Self::BatchNotNewer { .. } => ErrorCode::BatchNotNewer,
        }
    }

    /// The code's text.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

impl From<Precondition> for Error {
    fn from(p: Precondition) -> Self {
        Self::Precondition(p)
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
