//! The wallet's one error type, and [`ErrorCode`]: every code any front end can be given, as
//! one enum (ts-rs writes it to TypeScript as a union of string literals, and a test checks
//! that each code has a sentence in every UI language).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every error code a front end can show: the codes of `citywallet-core`,
/// `citywallet-light-client` and `citywallet-mobile`, this crate's own, and the few the UI
/// raises itself. Tests check each lower crate's list is contained here (the mobile one's in
/// the app, which depends on it).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    TS,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[ts(export)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `presentation_malformed` from citywallet-core.
    PresentationMalformed,
    /// `challenge_mismatch` from citywallet-core.
    ChallengeMismatch,
    /// `challenge_stale` from citywallet-core.
    ChallengeStale,
    /// `issuer_unknown` from citywallet-core.
    IssuerUnknown,
    /// `proof_invalid` from citywallet-core.
    ProofInvalid,
    /// `holder_binding_invalid` from citywallet-core.
    HolderBindingInvalid,
    /// `credential_expired` from citywallet-core.
    CredentialExpired,
    /// `credential_not_yet_valid` from citywallet-core.
    CredentialNotYetValid,
    /// `mnemonic_word_count` from citywallet-core.
    MnemonicWordCount,
    /// `mnemonic_unknown_word` from citywallet-core.
    MnemonicUnknownWord,
    /// `mnemonic_checksum` from citywallet-core.
    MnemonicChecksum,
    /// `wrong_passphrase` from citywallet-core.
    WrongPassphrase,
    /// `unlock_key_stale` from citywallet-core.
    UnlockKeyStale,
    /// `unlock_key_malformed` from citywallet-core.
    UnlockKeyMalformed,
    /// `throttled` from citywallet-core.
    Throttled,
    /// `weak_passphrase` from citywallet-core.
    WeakPassphrase,
    /// `vault_exists` from citywallet-core.
    VaultExists,
    /// `vault_not_found` from citywallet-core.
    VaultNotFound,
    /// `index_out_of_range` from citywallet-core.
    IndexOutOfRange,
    /// `not_found` from citywallet-core.
    NotFound,
    /// `duplicate` from citywallet-core.
    Duplicate,
    /// `invalid_did` from citywallet-core.
    InvalidDid,
    /// `invalid_credential` from citywallet-core.
    InvalidCredential,
    /// `invalid_issuer_key` from citywallet-core.
    InvalidIssuerKey,
    /// `invalid_challenge` from citywallet-core.
    InvalidChallenge,
    /// `unknown_claim` from citywallet-core.
    UnknownClaim,
    /// `too_large_for_qr` from citywallet-core.
    TooLargeForQr,
    /// `invalid_export` from citywallet-core.
    InvalidExport,
    /// `phrase_mismatch` from citywallet-core.
    PhraseMismatch,
    /// `kdf_file_invalid` from citywallet-core.
    KdfFileInvalid,
    /// `vault_corrupt` from citywallet-core.
    VaultCorrupt,
    /// `schema_too_new` from citywallet-core.
    SchemaTooNew,
    /// `vault_record_invalid` from citywallet-core.
    VaultRecordInvalid,
    /// `storage` from citywallet-core.
    Storage,
    /// `io` from citywallet-core.
    Io,
    /// `rng` from citywallet-core.
    Rng,
    /// `derivation` from citywallet-core.
    Derivation,
    /// `node_timeout` from citywallet-light-client.
    NodeTimeout,
    /// `node_unreachable` from citywallet-light-client.
    NodeUnreachable,
    /// `node_missing_block` from citywallet-light-client.
    NodeMissingBlock,
    /// `node_response_too_large` from citywallet-light-client.
    NodeResponseTooLarge,
    /// `node_response_malformed` from citywallet-light-client.
    NodeResponseMalformed,
    /// `node_rpc_error` from citywallet-light-client.
    NodeRpcError,
    /// `node_unsupported` from citywallet-light-client.
    NodeUnsupported,
    /// `trust_expired` from citywallet-light-client.
    TrustExpired,
    /// `no_trust_anchor` from citywallet-light-client.
    NoTrustAnchor,
    /// `anchor_mismatch` from citywallet-light-client.
    AnchorMismatch,
    /// `divergence_detected` from citywallet-light-client.
    DivergenceDetected,
    /// `divergence_open` from citywallet-light-client.
    DivergenceOpen,
    /// `no_witness` from citywallet-light-client.
    NoWitness,
    /// `no_witness_answered` from citywallet-light-client.
    NoWitnessAnswered,
    /// `unproven_answer` from citywallet-light-client.
    UnprovenAnswer,
    /// `bad_record` from citywallet-light-client.
    BadRecord,
    /// `tx_refused` from citywallet-light-client.
    TxRefused,
    /// `effect_not_seen` from citywallet-light-client.
    EffectNotSeen,
    /// `receipt_invalid` from citywallet-light-client.
    ReceiptInvalid,
    /// `no_snapshot` from citywallet-light-client.
    NoSnapshot,
    /// `snapshot_too_old` from citywallet-light-client.
    SnapshotTooOld,
    /// `invalid_input` from citywallet-light-client.
    InvalidInput,
    /// `internal_encode` from citywallet-light-client.
    InternalEncode,
    /// `field_not_an_id` from citywallet-light-client.
    FieldNotAnId,
    /// `field_empty` from citywallet-light-client.
    FieldEmpty,
    /// `field_too_long` from citywallet-light-client.
    FieldTooLong,
    /// `field_control_character` from citywallet-light-client.
    FieldControlCharacter,
    /// `field_too_many` from citywallet-light-client.
    FieldTooMany,
    /// `field_slash` from citywallet-light-client.
    FieldSlash,
    /// `field_not_a_key` from citywallet-light-client.
    FieldNotAKey,
    /// `field_too_much_power` from citywallet-light-client.
    FieldTooMuchPower,
    /// `field_invalid` from citywallet-light-client.
    FieldInvalid,
    /// `org_unknown` from citywallet-light-client.
    OrgUnknown,
    /// `org_inactive` from citywallet-light-client.
    OrgInactive,
    /// `org_not_accredited` from citywallet-light-client.
    OrgNotAccredited,
    /// `already_exists` from citywallet-light-client.
    AlreadyExists,
    /// `not_on_chain` from citywallet-light-client.
    NotOnChain,
    /// `not_yours` from citywallet-light-client.
    NotYours,
    /// `not_active` from citywallet-light-client.
    NotActive,
    /// `missing_role` from citywallet-light-client.
    MissingRole,
    /// `issuer_not_registered` from citywallet-light-client.
    IssuerNotRegistered,
    /// `issuer_inactive` from citywallet-light-client.
    IssuerInactive,
    /// `issuer_not_for_type` from citywallet-light-client.
    IssuerNotForType,
    /// `credential_revoked` from citywallet-light-client.
    CredentialRevoked,
    /// `not_issuer_operator` from citywallet-light-client.
    NotIssuerOperator,
    /// `expiry_in_past` from citywallet-light-client.
    ExpiryInPast,
    /// `header_bad_signature` from citywallet-light-client.
    HeaderBadSignature,
    /// `header_insufficient_power` from citywallet-light-client.
    HeaderInsufficientPower,
    /// `header_validator_set_mismatch` from citywallet-light-client.
    HeaderValidatorSetMismatch,
    /// `header_from_future` from citywallet-light-client.
    HeaderFromFuture,
    /// `header_not_monotonic` from citywallet-light-client.
    HeaderNotMonotonic,
    /// `header_inconsistent` from citywallet-light-client.
    HeaderInconsistent,
    /// `proof_too_large` from citywallet-light-client.
    ProofTooLarge,
    /// `proof_malformed` from citywallet-light-client.
    ProofMalformed,
    /// `proof_mismatch` from citywallet-light-client.
    ProofMismatch,
    /// `biometric_unavailable` from citywallet-mobile.
    BiometricUnavailable,
    /// `biometric_not_enabled` from citywallet-mobile.
    BiometricNotEnabled,
    /// `biometric_cancelled` from citywallet-mobile.
    BiometricCancelled,
    /// `biometric_failed` from citywallet-mobile.
    BiometricFailed,
    /// `biometric_invalidated` from citywallet-mobile.
    BiometricInvalidated,
    /// `biometric_platform` from citywallet-mobile.
    BiometricPlatform,
    /// The wallet is locked.
    Locked,
    /// Nodes are configured but none is the primary.
    NoPrimary,
    /// A date is not YYYY-MM-DD or RFC 3339.
    InvalidDate,
    /// A value is not the hex it should be.
    InvalidHex,
    /// An input is larger than its limit.
    InputTooLarge,
    /// A recovery phrase input is longer than any phrase.
    PhraseTooLong,
    /// A CSV batch is empty.
    CsvEmpty,
    /// A CSV batch has the wrong header line.
    CsvHeader,
    /// A CSV row has the wrong number of cells.
    CsvRow,
    /// No setting of that name.
    UnknownSetting,
    /// Claims are not a JSON object.
    InvalidClaims,
    /// No passphrase was given and none can be asked for.
    PassphraseRequired,
    /// The two passphrases differ.
    PassphraseMismatch,
    /// The auto-lock period is out of range.
    AutoLockRange,
    /// Demo credentials need a devnet whose keys are at hand.
    NoDemoIssuer,
    /// A fault of the wallet itself.
    Internal,
    /// The UI: camera access was not allowed.
    CameraDenied,
    /// The UI: a file picked is too large.
    FileTooLarge,
    /// The UI: a QR code could not be scanned.
    ScanFailed,
}

impl ErrorCode {
    /// The code's text.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The code named `s`; a code this build does not know is [`ErrorCode::Internal`].
    pub fn of(s: &str) -> Self {
        s.parse().unwrap_or(Self::Internal)
    }
}

/// Everything that can go wrong in a wallet flow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The vault is locked (or was never opened).
    #[error("the wallet is locked")]
    Locked,
    /// Nodes are configured, but none is the primary.
    #[error("no primary node: add one (`citywallet node add URL`)")]
    NoPrimary,
    /// A date that does not parse.
    #[error("{what} is not a date (YYYY-MM-DD) or an RFC 3339 time")]
    InvalidDate {
        /// Which input.
        what: &'static str,
    },
    /// Hex that is not the bytes it should be.
    #[error("{what} is not {bytes} bytes of hex")]
    InvalidHex {
        /// Which input.
        what: &'static str,
        /// How many bytes it should have.
        bytes: usize,
    },
    /// An input larger than its limit.
    #[error("{what} is larger than {limit} bytes")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A recovery phrase input longer than any phrase.
    #[error("the recovery phrase input is longer than {limit} bytes")]
    PhraseTooLong {
        /// The limit.
        limit: u64,
    },
    /// A CSV batch without lines.
    #[error("the CSV file is empty")]
    CsvEmpty,
    /// A CSV batch whose first line is not the header.
    #[error("the first line must be: id,kind,location,department[,public_key]")]
    CsvHeader,
    /// A CSV row with the wrong number of cells.
    #[error("line {line}: expected {expected} cells")]
    CsvRow {
        /// The line (1 = header).
        line: u32,
        /// How many cells it should have.
        expected: usize,
    },
    /// A CSV batch with too many rows.
    #[error("a batch has at most {max} devices")]
    CsvTooManyRows {
        /// The limit.
        max: usize,
    },
    /// No setting of this name.
    #[error("no setting {0:?}: see the settings list")]
    UnknownSetting(String),
    /// Claims that are not a JSON object.
    #[error("the claims must be a JSON object")]
    InvalidClaims,
    /// No passphrase given and no terminal to ask on.
    #[error("no terminal to ask for the passphrase: set CITYWALLET_PASSPHRASE")]
    PassphraseRequired,
    /// A new passphrase typed twice differently.
    #[error("the two passphrases differ")]
    PassphraseMismatch,
    /// An auto-lock period out of range.
    #[error("auto-lock is {min} to {max} minutes")]
    AutoLockRange {
        /// Shortest.
        min: u32,
        /// Longest.
        max: u32,
    },
    /// A file the wallet reads or writes.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Something the wallet made could not be encoded (never the user's fault).
    #[error("could not encode {0}")]
    Encode(&'static str),
    /// The vault or a credential check.
    #[error(transparent)]
    Core(#[from] citywallet_core::Error),
    /// The light client: a node, a proof, a precondition.
    #[error(transparent)]
    Chain(citywallet_light_client::Error),
}

impl From<citywallet_light_client::Error> for Error {
    fn from(e: citywallet_light_client::Error) -> Self {
        match e {
            citywallet_light_client::Error::Core(c) => Self::Core(c),
            e => Self::Chain(e),
        }
    }
}

impl Error {
    /// The code a front end shows (and translates).
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Self::Locked => C::Locked,
            Self::NoPrimary => C::NoPrimary,
            Self::InvalidDate { .. } => C::InvalidDate,
            Self::InvalidHex { .. } => C::InvalidHex,
            Self::TooLarge { .. } | Self::CsvTooManyRows { .. } => C::InputTooLarge,
            Self::PhraseTooLong { .. } => C::PhraseTooLong,
            Self::CsvEmpty => C::CsvEmpty,
            Self::CsvHeader => C::CsvHeader,
            Self::CsvRow { .. } => C::CsvRow,
            Self::UnknownSetting(_) => C::UnknownSetting,
            Self::InvalidClaims => C::InvalidClaims,
            Self::PassphraseRequired => C::PassphraseRequired,
            Self::PassphraseMismatch => C::PassphraseMismatch,
            Self::AutoLockRange { .. } => C::AutoLockRange,
            Self::Io { .. } => C::Io,
            Self::Encode(_) => C::Internal,
            Self::Core(e) => C::of(e.code()),
            Self::Chain(e) => C::of(e.code()),
        }
    }

    /// True when the user can fix it by changing their input or configuration.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Io { .. } | Self::Encode(_) => false,
            Self::Core(e) => e.is_user_error(),
            Self::Chain(e) => e.is_user_error(),
            _ => true,
        }
    }

    /// Seconds until a throttled unlock may be tried again.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Core(citywallet_core::Error::Throttled { retry_after_secs }) => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }

    /// The transaction field a refusal is about, when it is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Chain(citywallet_light_client::Error::Field(f)) => Some(f.field.as_str()),
            _ => None,
        }
    }

    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// `Result` with the wallet's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_lower_crate_code_is_a_wallet_code() {
        let lower = citywallet_core::ErrorCode::iter()
            .map(|c| c.as_str())
            .chain(citywallet_light_client::ErrorCode::iter().map(|c| c.as_str()));
        for code in lower {
            assert_eq!(
                code.parse::<ErrorCode>().map(ErrorCode::as_str),
                Ok(code),
                "{code} is missing from the wallet's ErrorCode"
            );
        }
    }

    #[test]
    fn a_field_refusal_names_its_field() {
        let e: Error = citywallet_light_client::Error::Field(citywallet_protocol::FieldError {
            field: citywallet_protocol::Field::LocationCell,
            problem: citywallet_protocol::Problem::NotAnId,
        })
        .into();
        assert_eq!(e.code(), ErrorCode::FieldNotAnId);
        assert_eq!(e.field(), Some("location_cell"));
        assert!(e.is_user_error());
    }
}
