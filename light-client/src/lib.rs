//! CityWallet's light client: the wallet never takes a city node's word.
//!
//! Verification is pure (it takes the trusted state, the untrusted data and `now`):
//! * [`verify`]: header verification with `tendermint-light-client-verifier`'s predicates
//!   (trust threshold, trusting period, clock drift, validator-set hashes), three outcomes.
//! * [`batch`]: commit signatures checked in Ed25519 batches, falling back to the
//!   reference's one-by-one check when a batch fails, so verdicts stay identical.
//! * [`proof`]: ICS23 state proofs checked against a verified app hash; absence is proven,
//!   never assumed.
//! * [`sync`]: bisection over a [`sync::Provider`].
//!
//! On top, with IO behind traits:
//! * [`rpc`]: the [`rpc::ChainNode`] trait and its CometBFT JSON-RPC implementation.
//! * [`client`]: primary and witnesses, anchors, updates and proven reads.
//! * [`witness`]: cross-checks and fork evidence.
//! * [`session`]: the client with its trust store in the vault and its [`clock`].
//! * [`act`]: verify-before-act: pure steps ([`act::step`]) and the driver that submits and
//!   waits for the effect, with receipts.
//! * [`officer`]: presentation checks against the chain, online and offline.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod act;
pub mod batch;
pub mod budget;
pub mod client;
pub mod clock;
mod error;
pub mod officer;
pub mod proof;
pub mod rpc;
pub mod session;
pub mod sync;
pub mod verify;
pub mod witness;

pub use error::{Error, ErrorCode, FetchError, Precondition, Result, field_code};
pub use verify::{Engine, Rejection, Verdict, verify_update};
