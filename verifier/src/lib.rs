//! A verifier an organisation runs (the health research institute asking a citizen for a
//! credential it has a grant for), and the HTTP face the officer's app serves too. The
//! logic is the wallet's ([`citywallet_wallet::verifier`]: signed OpenID4VP 1.0 requests with
//! a DCQL query, answers checked with the light client); this crate keeps the organisation's
//! key in an encrypted vault and serves the two endpoints a citizen's wallet calls.
//!
//! * [`service`]: the organisation's verifier over its vault.
//! * [`http`]: `GET /request/{id}` and `POST /response`, on axum, for any [`http::Backend`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod http;
pub mod service;

pub use error::{Result, VerifierError};
pub use service::Service;
