//! Credentials the citizen holds: imported after a full check, presented with the identity key.

use serde::Serialize;

use super::Vault;
use super::records::VaultEvent;
use super::records::log;
use super::throttle::unix_now;
use crate::credentials::{Challenge, Credential, CredentialType, Presentation, present};
use crate::keys::KeyPath;
use crate::vault::StoredCredential;
use crate::{Error, Result};

/// A held credential without its claim values, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialSummary {
    /// Credential id.
    pub id: String,
    /// Issuer id.
    pub issuer: String,
    /// Credential type.
    #[serde(rename = "type")]
    pub kind: CredentialType,
    /// Claim names, in order.
    pub claims: Vec<String>,
    /// Unix seconds.
    pub valid_from: i64,
    /// Unix seconds.
    pub valid_until: i64,
}

impl From<&Credential> for CredentialSummary {
    fn from(c: &Credential) -> Self {
        Self {
            id: c.id.clone(),
            issuer: c.issuer.clone(),
            kind: c.kind,
            claims: c.claims.iter().map(|c| c.name.clone()).collect(),
            valid_from: c.valid_from,
            valid_until: c.valid_until,
        }
    }
}

impl Vault {
    /// Check credential JSON completely (schema, the issuer's signature, and that it was
    /// issued to this wallet's identity) and store it. Nothing is stored on any failure.
    pub fn import_credential(&mut self, json: &[u8]) -> Result<Credential> {
        let credential = Credential::from_json(json)?;
        if credential.holder != self.identity()?.did {
            return Err(Error::InvalidCredential {
                reason: "the credential was issued to another holder",
            });
        }
        self.insert_credential(&StoredCredential {
            id: credential.id.clone(),
            issuer: credential.issuer.clone(),
            kind: credential.kind.as_str().into(),
            body: credential.to_json(),
            received_at: unix_now() as i64,
        })?;
        Ok(credential)
    }

    /// A held credential, parsed.
    pub fn held_credential(&self, id: &str) -> Result<Credential> {
        // Checked on import; the vault is authenticated encryption, so it is parsed, not
        // re-verified (BBS verification costs ~10 ms a credential).
        let stored = self.credential(id)?;
        serde_json::from_slice(&stored.body).map_err(|_| Error::VaultCorrupt)
    }

    /// Every held credential, newest first, without claim values.
    pub fn held_credentials(&self) -> Result<Vec<CredentialSummary>> {
        self.credentials()?
            .iter()
            .map(|s| {
                serde_json::from_slice::<Credential>(&s.body)
                    .map(|c| CredentialSummary::from(&c))
                    .map_err(|_| Error::VaultCorrupt)
            })
            .collect()
    }

    /// Present held credential `id`, disclosing the claims named in `disclose`, for
    /// `challenge`, signed with the identity key. The presentation is logged (which claims,
    /// to which verifier), never its content.
    pub fn present(
        &self,
        id: &str,
        disclose: &[&str],
        challenge: &Challenge,
    ) -> Result<Presentation> {
        let credential = self.held_credential(id)?;
        let identity = self.key_pair(KeyPath::IDENTITY)?;
        let presentation = present(&credential, &identity, disclose, challenge)?;
        log(
            &self.conn,
            unix_now() as i64,
            VaultEvent::CredentialPresented,
            &serde_json::json!({
                "credential": id,
                "verifier": challenge.verifier,
                "disclosed": disclose,
            }),
        )?;
        Ok(presentation)
    }
}
