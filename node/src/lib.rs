//! The city node: the city's registries (issuers, revocations, devices, organisations, grants,
//! reports, rewards, accounts) as a state machine over a Jellyfish Merkle tree whose root is
//! the app hash, with ICS23 membership and non-membership proofs for every read.
//!
//! * [`store`]: the versioned tree on disk (redb): one version per block height.
//! * [`app`]: transaction checks and effects, block execution, queries with proofs.
//! * [`chain`]: the devnet's block producer: CometBFT headers and commits signed by N
//!   validator keys over the same application.
//! * [`devnet`]: a demo genesis, a mempool and the block loop around [`chain`].
//! * [`rpc`]: CometBFT's JSON-RPC (GET and POST) over the devnet.
//! * [`abci`]: the application behind CometBFT's ABCI 0.38 socket protocol.
//! * [`localnet`]: real CometBFT validators on loopback, each beside its own application.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod abci;
pub mod app;
pub mod chain;
pub mod devnet;
mod error;
pub mod localnet;
pub mod rpc;
pub mod store;

pub use error::{NodeError, Result};
