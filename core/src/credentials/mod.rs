//! Credentials: BBS-signed claims from city departments, selective-disclosure presentations
//! bound to a verifier's challenge and to the holder, and their verification.

pub mod bbs;
mod credential;
mod issuer_key;
mod presentation;
pub mod pseudonym;
pub mod qr;
pub mod schema;

pub use bbs::{CIPHERSUITE, IssuerPublicKey, IssuerSecretKey};
pub use credential::{
    Claim, Credential, CredentialDraft, MAX_CREDENTIAL_BYTES, MAX_ID_CHARS, new_credential_id,
};
pub use issuer_key::{IssuerKey, MAX_TRUSTED_ISSUERS_BYTES, trusted_issuers};
pub use presentation::{
    Challenge, MAX_CHALLENGE_BYTES, MAX_CLOCK_DRIFT_SECS, MAX_PRESENTATION_BYTES, Presentation,
    Verified, binding_message, present,
};
pub use schema::{CredentialType, biometric_template_hash};
