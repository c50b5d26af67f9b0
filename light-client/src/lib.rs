//! CityWallet's light client. This crate does no IO: verification takes the trusted state,
//! the untrusted data and `now`, and returns a verdict.
//!
//! * [`verify`]: header verification with `tendermint-light-client-verifier`'s predicates
//!   (trust threshold, trusting period, clock drift, validator-set hashes), three outcomes.
//! * [`proof`]: ICS23 state proofs checked against a verified app hash; absence is proven,
//!   never assumed.
//! * [`sync`]: bisection over a [`sync::Provider`] (the only way blocks come in).
//! * [`batch`]: commit signatures checked in one Ed25519 batch, falling back to the
//!   reference's one-by-one check when the batch fails, so verdicts stay identical.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod batch;
pub mod proof;
pub mod sync;
pub mod verify;

pub use verify::{Engine, Rejection, Verdict, verify_update};
