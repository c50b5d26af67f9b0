//! An issuer's tools, for demo and test issuers: make a key file, and issue a credential
//! from it. These touch no vault and no chain; a department's issuer service does the same
//! with its keys kept encrypted.

use std::path::Path;

use citywallet_core::credentials::{Credential, CredentialDraft, CredentialType, IssuerKey};

use crate::error::{Error, Result};
use crate::input;

/// Make a new issuer key file at `path` (mode 0600; it must not exist) for issuer `id`;
/// returns the public key, hex.
pub fn issuer_keygen(path: &Path, id: &str) -> Result<String> {
    let key = IssuerKey::generate(id)?;
    let bytes = key
        .to_file()
        .to_json()
        .map_err(|_| Error::Encode("the issuer key file"))?;
    citywallet_files::write_new(path, &bytes).map_err(Error::io(path))?;
    Ok(key.public.to_hex())
}

/// What to issue.
#[derive(Debug, Clone)]
pub struct IssueArgs<'a> {
    /// Credential type name.
    pub kind: &'a str,
    /// The holder's `did:key`.
    pub holder: &'a str,
    /// Claims as a JSON object.
    pub claims: &'a str,
    /// Credential id (a random `urn:uuid` when `None`).
    pub id: Option<&'a str>,
    /// Days of validity from `now` (at least 1).
    pub valid_days: i64,
    /// Unix seconds.
    pub now: i64,
}

/// Issue a credential with the keys in `key_file` (its bytes).
pub fn issue_credential(key_file: &[u8], args: &IssueArgs<'_>) -> Result<Credential> {
    let key = IssuerKey::from_file(key_file)?;
    let claims = input::claims(args.claims)?;
    let id = match args.id {
        Some(id) => id.to_owned(),
        None => citywallet_core::credentials::new_credential_id()?,
    };
    Ok(Credential::issue(
        &CredentialDraft {
            id: &id,
            issuer: &key.id,
            kind: CredentialType::parse(args.kind)?,
            holder: args.holder,
            valid_from: args.now,
            valid_until: args
                .now
                .saturating_add(args.valid_days.max(1).saturating_mul(86_400)),
            claims: &claims,
        },
        &key.secret,
        &key.public,
    )?)
}
