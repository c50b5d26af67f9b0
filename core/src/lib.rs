//! CityWallet core: the citizen's keys, the encrypted vault and the records kept in it.
//!
//! This crate does no IO beyond the vault file and never depends on a UI framework.
//! Secret types zeroize on drop, print `[redacted]` in `Debug` and implement no `Serialize`.
//!
//! * [`keys`]: BIP39 recovery phrases, SLIP-0010 Ed25519 derivation on fixed paths, `did:key`.
//! * [`credentials`]: BBS credentials, selective-disclosure presentations, verification.
//! * [`vault`]: the SQLCipher vault keyed with Argon2id, its schema and records.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod credentials;
mod error;
pub mod keys;
pub mod vault;

#[cfg(feature = "hazmat")]
pub mod hazmat;

pub use error::{Error, ErrorCode, MnemonicProblem, Rejection, Result};
