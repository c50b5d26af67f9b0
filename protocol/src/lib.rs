//! The city chain's wire format, shared by the wallet and the node: transactions and their
//! signing bytes, state keys and values, query paths and result codes. No IO.
//!
//! # Transaction encoding (version 1)
//!
//! All integers are big-endian. `str` is a u16 length then UTF-8 bytes; `bytes32` and
//! `bytes96` are fixed-size; `list<T>` is a u16 count then the items.
//!
//! ```text
//! tx        = "CWT" | version u8 = 1 | body | signature bytes64
//! body      = chain_id str | signer bytes32 | nonce u64 | expires_at u64 | action
//! action    = tag u8 | fields (see [`Action`]; one tag per variant, in declaration order)
//! ```
//!
//! The signer signs [`signing_bytes`]: the domain tag `"CityWallet tx v1\0"` followed by the
//! encoded `body`. Everything after the signature is refused, as is any encoding that does not
//! re-encode to the same bytes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod codec;
pub mod keyfile;
pub mod readings;
pub mod reports;
pub mod rules;
mod state;
mod tx;

pub use codec::DecodeError;
pub use rules::{Field, FieldError, Problem, check_fields};
pub use state::{
    Account, AnchorRecord, DEFAULT_MAX_REWARD, DEVICE_CLOCK_SKEW_SECS, DataUseRecord, DeviceRecord,
    GrantRecord, IssuerRecord, MAX_CREDENTIAL_ID_CHARS, MAX_ID_CHARS, MAX_OWNED,
    MAX_READINGS_PER_ANCHOR, MAX_USES_PER_GRANT, OrgRecord, Owned, ReportRecord, ReportStatus,
    RevocationRecord, RewardRecord, Role, Status, is_valid_credential_id, is_valid_id, keys,
};
pub use tx::{Action, ActionKind, MAX_TX_BYTES, SignedTx, TxBody, signing_bytes};

/// Result codes of CheckTx and FinalizeBlock (`code` in CometBFT's responses). Zero is
/// success; each refusal has its own code and a log message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum Code {
    /// Accepted.
    Ok = 0,
    /// The bytes are not a transaction.
    Malformed = 1,
    /// Larger than [`MAX_TX_BYTES`], or a field longer than its limit.
    TooLarge = 2,
    /// The transaction names another chain.
    WrongChain = 3,
    /// The signature does not verify for the signer.
    BadSignature = 4,
    /// The nonce is not the signer's next nonce (a replay or a gap).
    BadNonce = 5,
    /// The transaction's `expires_at` has passed.
    Expired = 6,
    /// The signer may not perform this action.
    Unauthorized = 7,
    /// The action names an issuer, organisation, device, report or grant that does not exist
    /// or is not active.
    UnknownTarget = 8,
    /// The action would create something that already exists.
    Duplicate = 9,
    /// A field's value is not acceptable (empty id, unknown category, zero power, ...).
    InvalidField = 10,
    /// The citizen behind a private report has filed as many as a window allows.
    RateLimited = 11,
}

impl Code {
    /// The numeric code.
    pub fn value(self) -> u32 {
        self as u32
    }

    /// A stable name for logs and the wallet's typed errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
            Self::WrongChain => "wrong_chain",
            Self::BadSignature => "bad_signature",
            Self::BadNonce => "bad_nonce",
            Self::Expired => "expired",
            Self::Unauthorized => "unauthorized",
            Self::UnknownTarget => "unknown_target",
            Self::Duplicate => "duplicate",
            Self::InvalidField => "invalid_field",
            Self::RateLimited => "rate_limited",
        }
    }

    /// The code for a numeric value, if it is one of ours.
    pub fn from_value(v: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.value() == v)
    }

    /// Every code.
    pub const ALL: [Self; 12] = [
        Self::Ok,
        Self::Malformed,
        Self::TooLarge,
        Self::WrongChain,
        Self::BadSignature,
        Self::BadNonce,
        Self::Expired,
        Self::Unauthorized,
        Self::UnknownTarget,
        Self::Duplicate,
        Self::InvalidField,
        Self::RateLimited,
    ];
}

/// ABCI query path for a proven read of one state key: `data` is the key's bytes.
pub const QUERY_PATH_KEY: &str = "/key";

/// The query answer code for a height whose state the node has pruned (its `log` names the
/// oldest height kept): ask a node that keeps it, or at a newer height.
pub const QUERY_HEIGHT_PRUNED: u32 = 20;
