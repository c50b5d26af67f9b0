//! The wallet's one error type, and [`ErrorCode`]: every code any front end can be given, as
//! one enum (ts-rs writes it to TypeScript as a union of string literals, and a test checks
//! that each code has a sentence in every UI language).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The codes of this crate's own refusals, the platform keystore's (the app maps them) and
/// the few the UI raises itself.
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
pub enum WalletErrorCode {
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
    /// A trust anchor is not a height and a header hash.
    InvalidAnchor,
    /// A list's "older" cursor is not one the wallet handed out.
    InvalidCursor,
    /// A device's readings file is not a batch as devices write them.
    ReadingsMalformed,
    /// A readings file is not the batch its device anchored on the chain.
    ReadingsNotAnchored,
    /// Words may be given back only right after the phrase was created or revealed.
    ConfirmClosed,
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
    /// An officer's or technician's operation without that role's credential in the wallet.
    RoleCredentialMissing,
    /// A fault of the wallet itself.
    Internal,
    /// The platform keystore: biometric unlock is not available here.
    BiometricUnavailable,
    /// The platform keystore: biometric unlock is not turned on.
    BiometricNotEnabled,
    /// The platform keystore: the prompt was cancelled.
    BiometricCancelled,
    /// The platform keystore: not recognised.
    BiometricFailed,
    /// The platform keystore: the device's biometrics changed.
    BiometricInvalidated,
    /// The platform keystore failed.
    BiometricPlatform,
    /// The UI: camera access was not allowed.
    CameraDenied,
    /// The UI: a file picked is too large.
    FileTooLarge,
    /// The UI: a QR code could not be scanned.
    ScanFailed,
    /// A credential offer that is not one.
    OfferMalformed,
    /// The offer needs a transaction code, and none was given.
    TxCodeRequired,
    /// An issuer URL that is not https (or http to this machine).
    IssuerUrlInsecure,
    /// The issuer did not answer.
    IssuerUnreachable,
    /// The issuer answered with something that is not OpenID4VCI.
    IssuerAnswerMalformed,
    /// The issuer refused the offer's code: used, expired, or a wrong transaction code.
    OfferUsedOrExpired,
    /// The issuer refused the wallet's proof of possession.
    IssuerProofRefused,
    /// The issuer's records do not entitle this citizen to the credential.
    IssuerNotEntitled,
    /// The issuer no longer renews a private credential: revoked, or the citizen is no
    /// longer entitled to it.
    CredentialNotRenewed,
    /// The issuer already gave this citizen a private credential of this type for the
    /// current window.
    CredentialAlreadyIssued,
    /// The issuer refused for another reason.
    IssuerRefused,
    /// A credential type the wallet or the issuer's registry entry does not allow.
    CredentialUnsupported,
    /// A credential issued to someone else.
    CredentialHolderMismatch,
    /// A W3C credential that is not a city credential.
    CredentialMalformed,
    /// A credential whose proof does not verify.
    CredentialProofInvalid,
    /// A credential too large or too complex to check.
    CredentialTooLarge,
    /// A credential using a JSON-LD context the wallet does not ship.
    CredentialUnknownContext,
    /// A verifier's request that is not one.
    RequestMalformed,
    /// A verifier's request this wallet does not take yet (a signed request object, another
    /// response mode or client id prefix).
    RequestUnsupported,
    /// No held credential answers what the verifier asks (it was told so; nothing was sent).
    RequestUnsatisfiable,
    /// The verifier did not answer.
    VerifierUnreachable,
    /// The verifier refused the answer.
    VerifierRefused,
    /// A signed request whose signature or key id does not check.
    RequestSignatureInvalid,
    /// A request signed by a key the chain names as no officer and no active organisation.
    VerifierNotOnChain,
    /// A request past its expiry.
    RequestExpired,
    /// A response for no open request of this verifier (answered already, expired, or never
    /// made).
    ResponseUnknown,
    /// A response that is not a valid answer to the request.
    ResponseInvalid,
}

/// Every error code a front end can show, as one enum: the core crate's, the light client's
/// and the wallet's own ([`WalletErrorCode`]). It serialises as the code's text, and ts-rs
/// writes it as a TypeScript union of the three unions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(untagged)]
#[ts(export)]
pub enum ErrorCode {
    /// A vault, key or credential code.
    Core(citywallet_core::ErrorCode),
    /// A chain code: a node, a header, a proof, a precondition, a field.
    Chain(citywallet_light_client::ErrorCode),
    /// The wallet's own.
    Wallet(WalletErrorCode),
}

impl From<WalletErrorCode> for ErrorCode {
    fn from(c: WalletErrorCode) -> Self {
        Self::Wallet(c)
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl ErrorCode {
    /// A fault of the wallet itself.
    pub const INTERNAL: Self = Self::Wallet(WalletErrorCode::Internal);

    /// The code's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Core(c) => c.as_str(),
            Self::Chain(c) => c.as_str(),
            Self::Wallet(c) => c.into(),
        }
    }

    /// The code named `s`; a code this build does not know is [`ErrorCode::INTERNAL`].
    pub fn of(s: &str) -> Self {
        s.parse()
            .map(Self::Core)
            .or_else(|_| s.parse().map(Self::Chain))
            .or_else(|_| s.parse().map(Self::Wallet))
            .unwrap_or(Self::INTERNAL)
    }

    /// Every code, each once.
    pub fn all() -> impl Iterator<Item = Self> {
        use strum::IntoEnumIterator;
        citywallet_core::ErrorCode::iter()
            .map(Self::Core)
            .chain(citywallet_light_client::ErrorCode::iter().map(Self::Chain))
            .chain(WalletErrorCode::iter().map(Self::Wallet))
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
    /// Words given back when the phrase was not just created or revealed, or after too
    /// many wrong tries.
    #[error(
        "confirm the words right after the phrase was shown; show it again (with the passphrase) to try again"
    )]
    ConfirmClosed,
    /// A trust anchor that is not a height and a header hash.
    #[error(
        "a trust anchor is {{\"chainId\", \"height\", \"hash\"}} JSON, or a height and a 64-digit hash"
    )]
    InvalidAnchor,
    /// A paging cursor that is not two positions (`S.F`) as the wallet hands them out.
    #[error("that is not a cursor for older reports (it is two numbers, S.F)")]
    InvalidCursor,
    /// A readings file that is not a batch as devices write them.
    #[error("that is not a device's readings file: {0}")]
    ReadingsMalformed(&'static str),
    /// A readings file that is not the batch its device anchored (changed, or never
    /// anchored).
    #[error("the file is not the batch {seq} device {device} anchored on the chain")]
    ReadingsNotAnchored {
        /// The device the file names.
        device: String,
        /// The batch it names.
        seq: u64,
    },
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
    /// An officer's or technician's operation, asked for by a wallet that holds no
    /// credential of that role (the app offers the operation only with one).
    #[error("this wallet holds no {role} credential")]
    RoleCredentialMissing {
        /// `officer` or `technician`.
        role: &'static str,
    },
    /// A credential offer that is not one.
    #[error("not a credential offer: {0}")]
    OfferMalformed(&'static str),
    /// The offer needs a transaction code.
    #[error("this offer needs the transaction code the issuer sent you")]
    TxCodeRequired,
    /// An issuer URL that is neither https nor http to this machine.
    #[error("the issuer's address {0} is not https")]
    IssuerUrlInsecure(String),
    /// The issuer did not answer.
    #[error("the issuer did not answer: {0}")]
    IssuerUnreachable(String),
    /// The issuer's answer is not what OpenID4VCI says.
    #[error("the issuer's {0} answer is not valid")]
    IssuerAnswerMalformed(&'static str),
    /// The issuer refused a step with an OAuth error code.
    #[error("the issuer refused the {step}: {error}")]
    IssuerRefused {
        /// Which step.
        step: &'static str,
        /// Its error code.
        error: String,
    },
    /// A credential type that is not allowed here.
    #[error("credential not supported: {0}")]
    CredentialUnsupported(String),
    /// A credential whose holder is not this wallet.
    #[error("the credential was issued to someone else")]
    CredentialHolderMismatch,
    /// A W3C credential that is not a city credential.
    #[error("not a city credential: {0}")]
    CredentialMalformed(&'static str),
    /// A W3C credential or its proof that does not check.
    #[error(transparent)]
    Vc(#[from] citywallet_vc::VcError),
    /// A verifier's request that is not one.
    #[error("not a presentation request: {0}")]
    RequestMalformed(&'static str),
    /// A verifier's request this wallet does not take yet.
    #[error("this wallet does not take {0} yet")]
    RequestUnsupported(&'static str),
    /// The verifier did not answer.
    #[error("the verifier did not answer: {0}")]
    VerifierUnreachable(String),
    /// The verifier refused the answer.
    #[error("the verifier refused the answer (HTTP {0})")]
    VerifierRefused(u16),
    /// A signed request whose signature or key id does not check.
    #[error("the request's signature does not check: {0}")]
    RequestSignatureInvalid(&'static str),
    /// A request signed by a key the chain does not name as a verifier.
    #[error("{0} is not an officer or a registered organisation on the city chain")]
    VerifierUnknown(String),
    /// A request past its expiry.
    #[error("the request has expired")]
    RequestExpired,
    /// A response for no open request.
    #[error("no open request for this response (answered already, expired, or never made)")]
    ResponseUnknown,
    /// A response that is not a valid answer.
    #[error("the response is not a valid answer: {0}")]
    ResponseInvalid(&'static str),
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
        use WalletErrorCode as C;
        ErrorCode::Wallet(match self {
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
            Self::InvalidAnchor => C::InvalidAnchor,
            Self::InvalidCursor => C::InvalidCursor,
            Self::ReadingsMalformed(_) => C::ReadingsMalformed,
            Self::ReadingsNotAnchored { .. } => C::ReadingsNotAnchored,
            Self::ConfirmClosed => C::ConfirmClosed,
            Self::InvalidClaims => C::InvalidClaims,
            Self::PassphraseRequired => C::PassphraseRequired,
            Self::PassphraseMismatch => C::PassphraseMismatch,
            Self::AutoLockRange { .. } => C::AutoLockRange,
            Self::RoleCredentialMissing { .. } => C::RoleCredentialMissing,
            Self::OfferMalformed(_) => C::OfferMalformed,
            Self::TxCodeRequired => C::TxCodeRequired,
            Self::IssuerUrlInsecure(_) => C::IssuerUrlInsecure,
            Self::IssuerUnreachable(_) => C::IssuerUnreachable,
            Self::IssuerAnswerMalformed(_) => C::IssuerAnswerMalformed,
            Self::IssuerRefused { step, error } => match error.as_str() {
                "invalid_grant" if *step == REFRESH_STEP => C::CredentialNotRenewed,
                "invalid_grant" => C::OfferUsedOrExpired,
                "credential_request_denied" => C::CredentialAlreadyIssued,
                "invalid_proof" | "invalid_nonce" => C::IssuerProofRefused,
                "access_denied" => C::IssuerNotEntitled,
                _ => C::IssuerRefused,
            },
            Self::CredentialUnsupported(_) => C::CredentialUnsupported,
            Self::CredentialHolderMismatch => C::CredentialHolderMismatch,
            Self::CredentialMalformed(_) => C::CredentialMalformed,
            Self::RequestMalformed(_) => C::RequestMalformed,
            Self::RequestUnsupported(_) => C::RequestUnsupported,
            Self::VerifierUnreachable(_) => C::VerifierUnreachable,
            Self::VerifierRefused(_) => C::VerifierRefused,
            Self::RequestSignatureInvalid(_) => C::RequestSignatureInvalid,
            Self::VerifierUnknown(_) => C::VerifierNotOnChain,
            Self::RequestExpired => C::RequestExpired,
            Self::ResponseUnknown => C::ResponseUnknown,
            Self::ResponseInvalid(_) => C::ResponseInvalid,
            Self::Vc(e) => {
                use citywallet_vc::VcError as V;
                match e {
                    V::DcqlInvalid(_) => C::RequestMalformed,
                    V::DcqlUnsatisfiable => C::RequestUnsatisfiable,
                    V::ProofInvalid(_) => C::CredentialProofInvalid,
                    V::TooLarge { .. } | V::TooComplex { .. } => C::CredentialTooLarge,
                    V::UnknownContext(_) => C::CredentialUnknownContext,
                    V::Rng => C::Internal,
                    _ => C::CredentialMalformed,
                }
            }
            Self::Io { .. } => return ErrorCode::Core(citywallet_core::ErrorCode::Io),
            Self::Encode(_) => C::Internal,
            Self::Core(e) => return ErrorCode::Core(e.error_code()),
            Self::Chain(e) => return e.chain_code().map_or(ErrorCode::INTERNAL, ErrorCode::Chain),
        })
    }

    /// True when the user can fix it by changing their input or configuration.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Io { .. } | Self::Encode(_) | Self::Vc(citywallet_vc::VcError::Rng) => false,
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

/// The step name of a refresh token request to an issuer.
pub(crate) const REFRESH_STEP: &str = "refresh";

/// `Result` with the wallet's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself_and_the_texts_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::all() {
            assert_eq!(ErrorCode::of(code.as_str()), code, "{}", code.as_str());
            let json = serde_json::to_string(&code).expect("json");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
        }
        assert_eq!(ErrorCode::of("no such code"), ErrorCode::INTERNAL);
    }

    #[test]
    fn a_field_refusal_names_its_field() {
        let e: Error = citywallet_light_client::Error::Field(citywallet_protocol::FieldError {
            field: citywallet_protocol::Field::LocationCell,
            problem: citywallet_protocol::Problem::NotAnId,
        })
        .into();
        assert_eq!(e.code().as_str(), "field_not_an_id");
        assert_eq!(e.field(), Some("location_cell"));
        assert!(e.is_user_error());
    }
}
