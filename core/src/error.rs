use std::path::PathBuf;

/// Why a recovery phrase was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MnemonicProblem {
    /// The phrase has a word count BIP39 does not allow (12, 15, 18, 21 or 24 words).
    WordCount {
        /// How many words were given.
        count: usize,
    },
    /// A word is not in the BIP39 English word list. `position` counts from 1.
    UnknownWord {
        /// 1-based position of the word in the phrase.
        position: usize,
    },
    /// Every word is valid but the checksum does not match: a word is wrong or out of order.
    Checksum,
}

impl std::fmt::Display for MnemonicProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WordCount { count } => write!(
                f,
                "the phrase has {count} words; a recovery phrase has 12, 15, 18, 21 or 24"
            ),
            Self::UnknownWord { position } => write!(
                f,
                "word {position} is not in the BIP39 English word list (check its spelling)"
            ),
            Self::Checksum => f.write_str(
                "the checksum does not match: one of the words is wrong or out of order",
            ),
        }
    }
}

/// Every code [`Error::code`] gives, as a value (the app's error codes are checked against
/// this list, and every one has a translated sentence).
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
    ts(export, rename = "CoreErrorCode")
)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `presentation_malformed`.
    PresentationMalformed,
    /// `challenge_mismatch`.
    ChallengeMismatch,
    /// `challenge_stale`.
    ChallengeStale,
    /// `issuer_unknown`.
    IssuerUnknown,
    /// `proof_invalid`.
    ProofInvalid,
    /// `holder_binding_invalid`.
    HolderBindingInvalid,
    /// `credential_expired`.
    CredentialExpired,
    /// `credential_not_yet_valid`.
    CredentialNotYetValid,
    /// `mnemonic_word_count`.
    MnemonicWordCount,
    /// `mnemonic_unknown_word`.
    MnemonicUnknownWord,
    /// `mnemonic_checksum`.
    MnemonicChecksum,
    /// `wrong_passphrase`.
    WrongPassphrase,
    /// `unlock_key_stale`.
    UnlockKeyStale,
    /// `unlock_key_malformed`.
    UnlockKeyMalformed,
    /// `throttled`.
    Throttled,
    /// `weak_passphrase`.
    WeakPassphrase,
    /// `vault_exists`.
    VaultExists,
    /// `vault_not_found`.
    VaultNotFound,
    /// `index_out_of_range`.
    IndexOutOfRange,
    /// `not_found`.
    NotFound,
    /// `duplicate`.
    Duplicate,
    /// `invalid_did`.
    InvalidDid,
    /// `invalid_credential`.
    InvalidCredential,
    /// `invalid_issuer_key`.
    InvalidIssuerKey,
    /// `invalid_challenge`.
    InvalidChallenge,
    /// `unknown_claim`.
    UnknownClaim,
    /// `too_large_for_qr`.
    TooLargeForQr,
    /// `invalid_export`.
    InvalidExport,
    /// `phrase_mismatch`.
    PhraseMismatch,
    /// `kdf_file_invalid`.
    KdfFileInvalid,
    /// `vault_corrupt`.
    VaultCorrupt,
    /// `vault_in_use`.
    VaultInUse,
    /// `schema_too_new`.
    SchemaTooNew,
    /// `vault_record_invalid`.
    VaultRecordInvalid,
    /// `kdf_params_out_of_range`.
    KdfParamsOutOfRange,
    /// `storage`.
    Storage,
    /// `io`.
    Io,
    /// `rng`.
    Rng,
    /// `derivation`.
    Derivation,
}

impl ErrorCode {
    /// The code's text.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Why a presentation was refused. Crypto failures are deliberately coarse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The bytes are not a well-formed presentation (or a disclosed claim is not one of the
    /// credential type's).
    Malformed,
    /// The presentation answers another challenge.
    ChallengeMismatch,
    /// The challenge is older than the verifier allows, or from the future.
    ChallengeStale {
        /// Seconds since the challenge was issued (negative: ahead of the verifier's clock).
        age_secs: i64,
    },
    /// The issuer, or this key for it, is not one the verifier trusts.
    IssuerUnknown,
    /// The BBS proof does not verify.
    ProofInvalid,
    /// The holder's signature is missing or does not verify.
    HolderBindingInvalid,
    /// The credential is expired.
    Expired,
    /// The credential is not yet valid.
    NotYetValid,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed => f.write_str("the presentation is malformed"),
            Self::ChallengeMismatch => {
                f.write_str("the presentation answers a different challenge")
            }
            Self::ChallengeStale { age_secs } => {
                write!(f, "the challenge is stale ({age_secs} s old)")
            }
            Self::IssuerUnknown => f.write_str("the issuer is not trusted"),
            Self::ProofInvalid => f.write_str("the proof is invalid"),
            Self::HolderBindingInvalid => {
                f.write_str("the holder's signature over the challenge is invalid")
            }
            Self::Expired => f.write_str("the credential has expired"),
            Self::NotYetValid => f.write_str("the credential is not yet valid"),
        }
    }
}

impl Rejection {
    /// Stable machine-readable code.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::Malformed => ErrorCode::PresentationMalformed,
            Self::ChallengeMismatch => ErrorCode::ChallengeMismatch,
            Self::ChallengeStale { .. } => ErrorCode::ChallengeStale,
            Self::IssuerUnknown => ErrorCode::IssuerUnknown,
            Self::ProofInvalid => ErrorCode::ProofInvalid,
            Self::HolderBindingInvalid => ErrorCode::HolderBindingInvalid,
            Self::Expired => ErrorCode::CredentialExpired,
            Self::NotYetValid => ErrorCode::CredentialNotYetValid,
        }
    }

    /// The code's text.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

/// Everything that can go wrong in `citywallet-core`.
///
/// Variants are grouped by fault: the user's input, the vault file on disk, and our own
/// storage layer. No variant carries secret material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // --- the user gave bad input ---
    /// The recovery phrase is not a valid BIP39 mnemonic.
    #[error("invalid recovery phrase: {0}")]
    InvalidMnemonic(MnemonicProblem),
    /// The passphrase does not unlock this vault. Nothing was changed.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// Too many wrong passphrases in a row; the vault refuses attempts for a while.
    #[error("too many wrong passphrases: try again in {retry_after_secs} s")]
    Throttled {
        /// Seconds until the next attempt is accepted.
        retry_after_secs: u64,
    },
    /// A new passphrase is shorter than the policy allows, or too easy to guess.
    #[error(
        "the passphrase is too short or too easy to guess: at least {min_chars} characters, such as a few unrelated words"
    )]
    WeakPassphrase {
        /// The minimum number of characters.
        min_chars: usize,
    },
    /// A vault already exists at this path; it is never overwritten.
    #[error("a vault already exists at {path}")]
    VaultExists {
        /// The vault path.
        path: PathBuf,
    },
    /// An unlock key kept by the platform keystore no longer opens the vault: the
    /// passphrase was changed after it was stored. Nothing was changed.
    #[error("the stored unlock key is out of date; unlock with the passphrase")]
    UnlockKeyStale,
    /// Bytes handed back as an unlock key are not one.
    #[error("the stored unlock key is malformed")]
    UnlockKeyMalformed,
    /// No vault exists at this path.
    #[error("no vault at {path}")]
    VaultNotFound {
        /// The vault path.
        path: PathBuf,
    },
    /// A derivation index is outside the hardened range (0 ..= 2^31 - 1).
    #[error("key index {index} is out of range (at most 2147483647)")]
    IndexOutOfRange {
        /// The refused index.
        index: u64,
    },
    /// No record with this id.
    #[error("no {kind} with id {id}")]
    NotFound {
        /// What kind of record was looked up.
        kind: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// A record with this id already exists.
    #[error("a {kind} with id {id} already exists")]
    Duplicate {
        /// What kind of record.
        kind: &'static str,
        /// The id.
        id: String,
    },

    /// A `did:key` is not an Ed25519 did:key.
    #[error("not an Ed25519 did:key")]
    InvalidDid,
    /// A credential is malformed, fails its schema or its signature.
    #[error("invalid credential: {reason}")]
    InvalidCredential {
        /// What is wrong.
        reason: &'static str,
    },
    /// An issuer key is not a valid BBS key.
    #[error("invalid issuer key")]
    InvalidIssuerKey,
    /// A challenge is not valid challenge JSON (nonce, verifier, issued_at).
    #[error(
        "invalid challenge: expected {{\"nonce\": 32+ hex digits, \"verifier\", \"issued_at\"}}"
    )]
    InvalidChallenge,
    /// A claim to disclose is not in the credential.
    #[error("the credential has no claim of that name")]
    UnknownClaim,
    /// The data does not fit one QR code at error-correction level M.
    #[error("{bytes} bytes do not fit one QR code at level M")]
    TooLargeForQr {
        /// Size of the data.
        bytes: usize,
    },
    /// A presentation was refused.
    #[error("presentation rejected: {0}")]
    Rejected(Rejection),
    /// A file is not a CityWallet vault export.
    #[error("the file is not a CityWallet vault export")]
    InvalidExport,
    /// Some of the recovery phrase words given for confirmation are wrong.
    #[error("the words do not match the recovery phrase")]
    PhraseMismatch,

    // --- the vault on disk is not what we expect ---
    /// The key-derivation file beside the vault is missing or unreadable.
    #[error("the vault's key file {path} is missing or malformed")]
    KdfFileInvalid {
        /// The key-derivation file.
        path: PathBuf,
    },
    /// The passphrase matched but the database did not decrypt: the file is damaged.
    #[error("the vault file is damaged, cut short or empty, and cannot be opened")]
    VaultCorrupt,
    /// A passphrase change was asked for while the vault is open elsewhere (another
    /// process, or another handle): that connection would keep the old key. Nothing changed.
    #[error(
        "the vault is open in another CityWallet window or process; close it, then change the passphrase"
    )]
    VaultInUse,
    /// SQLite did not switch the vault's journal to the mode asked for (something else holds
    /// the database). Nothing was changed.
    #[error("the vault's journal could not be switched to {wanted} mode (it stays {got})")]
    JournalMode {
        /// The mode asked for.
        wanted: &'static str,
        /// The mode SQLite reported.
        got: String,
    },
    /// A row of the vault does not decode as its record type (a status or body this build
    /// does not know): the vault was changed by something other than CityWallet.
    #[error("the vault's {table} record {id} is not valid")]
    BadRecord {
        /// The table.
        table: &'static str,
        /// The row's id.
        id: String,
    },
    /// A key file (beside a vault, or in an export) asks for Argon2id costs past the limits,
    /// which would exhaust memory or time: it is refused unread.
    #[error(
        "the key file asks for Argon2id with {m_cost_kib} KiB, {t_cost} passes and {p_cost} lanes; at most 262144 KiB, 16 passes and 8 lanes are accepted"
    )]
    KdfParamsOutOfRange {
        /// Memory asked for.
        m_cost_kib: u32,
        /// Passes asked for.
        t_cost: u32,
        /// Lanes asked for.
        p_cost: u32,
    },
    /// The vault was written by a newer CityWallet.
    #[error("the vault has schema version {found}; this CityWallet understands up to {supported}")]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },

    // --- our storage failed ---
    /// SQLCipher reported an error.
    #[error("vault storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A file operation failed.
    #[error("file error on {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Rng,
    /// Key derivation failed internally (never for valid input).
    #[error("key derivation failed")]
    Derivation,
}

impl Error {
    /// A stable machine-readable code for this error, for the CLI's JSON and the app's IPC.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::InvalidMnemonic(MnemonicProblem::WordCount { .. }) => {
                ErrorCode::MnemonicWordCount
            }
            Self::InvalidMnemonic(MnemonicProblem::UnknownWord { .. }) => {
                ErrorCode::MnemonicUnknownWord
            }
            Self::InvalidMnemonic(MnemonicProblem::Checksum) => ErrorCode::MnemonicChecksum,
            Self::WrongPassphrase => ErrorCode::WrongPassphrase,
            Self::UnlockKeyStale => ErrorCode::UnlockKeyStale,
            Self::UnlockKeyMalformed => ErrorCode::UnlockKeyMalformed,
            Self::Throttled { .. } => ErrorCode::Throttled,
            Self::WeakPassphrase { .. } => ErrorCode::WeakPassphrase,
            Self::VaultExists { .. } => ErrorCode::VaultExists,
            Self::VaultNotFound { .. } => ErrorCode::VaultNotFound,
            Self::IndexOutOfRange { .. } => ErrorCode::IndexOutOfRange,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Duplicate { .. } => ErrorCode::Duplicate,
            Self::InvalidDid => ErrorCode::InvalidDid,
            Self::InvalidCredential { .. } => ErrorCode::InvalidCredential,
            Self::InvalidIssuerKey => ErrorCode::InvalidIssuerKey,
            Self::InvalidChallenge => ErrorCode::InvalidChallenge,
            Self::UnknownClaim => ErrorCode::UnknownClaim,
            Self::TooLargeForQr { .. } => ErrorCode::TooLargeForQr,
            Self::Rejected(r) => r.error_code(),
            Self::InvalidExport => ErrorCode::InvalidExport,
            Self::PhraseMismatch => ErrorCode::PhraseMismatch,
            Self::KdfFileInvalid { .. } => ErrorCode::KdfFileInvalid,
            Self::VaultCorrupt => ErrorCode::VaultCorrupt,
            Self::VaultInUse => ErrorCode::VaultInUse,
            Self::JournalMode { .. } => ErrorCode::Storage,
            Self::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            Self::BadRecord { .. } => ErrorCode::VaultRecordInvalid,
            Self::KdfParamsOutOfRange { .. } => ErrorCode::KdfParamsOutOfRange,
            Self::Storage(_) => ErrorCode::Storage,
            Self::Io { .. } => ErrorCode::Io,
            Self::Rng => ErrorCode::Rng,
            Self::Derivation => ErrorCode::Derivation,
        }
    }

    /// The code's text.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// True when the user can fix this by changing their input; false for internal failures.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::InvalidMnemonic(_)
                | Self::WrongPassphrase
                | Self::UnlockKeyStale
                | Self::Throttled { .. }
                | Self::WeakPassphrase { .. }
                | Self::VaultExists { .. }
                | Self::VaultNotFound { .. }
                | Self::IndexOutOfRange { .. }
                | Self::NotFound { .. }
                | Self::Duplicate { .. }
                | Self::InvalidDid
                | Self::InvalidCredential { .. }
                | Self::InvalidIssuerKey
                | Self::InvalidChallenge
                | Self::UnknownClaim
                | Self::TooLargeForQr { .. }
                | Self::Rejected(_)
                | Self::InvalidExport
                | Self::PhraseMismatch
                | Self::VaultInUse
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
