//! A department's issuer service (the credit bureau, the civil registry, City Hall): it
//! keeps its BBS key and its records in an encrypted vault, issues W3C VC 2.0 credentials
//! with `bbs-2023` base proofs over OpenID4VCI 1.0 (pre-authorized code flow, proof of
//! possession of the holder's `did:key`), decides who is entitled from the department's own
//! records, and revokes on the city chain through the light client. Verifiers trust it
//! through its issuer record on the chain, never through this service.
//!
//! * [`service`]: the issuer and every step's logic, synchronous.
//! * [`http`]: the endpoints, on axum.
//! * [`jwt`]: the holder's proof of possession.
//! * [`store`]: what it keeps in its vault.
//! * [`demo`]: the devnet's demo issuers, served as instances of this service.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod demo;
mod error;
pub mod http;
pub mod jwt;
pub mod service;
pub mod store;

pub use error::{IssuerError, Result};
pub use service::{CreatedOffer, Issuer, Setup};
