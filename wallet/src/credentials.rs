//! Credentials: hold them, present them for a verifier's challenge, and verify
//! presentations as an officer (against chosen issuer keys, or against the chain online or
//! from the last verified snapshot offline).

use base64::Engine as _;
use citywallet_core::credentials::{
    Challenge, CredentialType, IssuerPublicKey, Presentation, Verified, qr,
};
use citywallet_core::vault::CredentialSummary;
use citywallet_light_client::officer::{self, Mode, OfficerVerdict};
use citywallet_light_client::session::Settings;

use crate::dto::{
    ChallengeOut, Claim, CredentialDetail, CredentialItem, PresentationOut, VerdictMode, VerdictOut,
};
use crate::error::{Error, Result};
use crate::input;
use crate::{Spend, Wallet};

/// How old a challenge may be, seconds, unless a verifier says otherwise.
pub const DEFAULT_CHALLENGE_AGE_SECS: i64 = 300;

/// Where an officer's check takes its chain facts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Proven against a header verified now.
    Online,
    /// From the last verified snapshot.
    Offline,
}

fn item(c: &CredentialSummary) -> CredentialItem {
    CredentialItem {
        id: c.id.clone(),
        issuer: c.issuer.clone(),
        issuer_name: None,
        kind: c.kind,
        claims: c.claims.clone(),
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        w3c: false,
        private: false,
    }
}

/// A presentation made, in both forms: JSON, and the compact bytes a QR code carries.
#[derive(Debug, Clone)]
pub struct Shown {
    /// Its JSON.
    pub json: Vec<u8>,
    /// Its compact form.
    pub compact: Vec<u8>,
}

impl From<&OfficerVerdict> for VerdictOut {
    fn from(v: &OfficerVerdict) -> Self {
        let time = tendermint::Time::from_unix_timestamp(v.chain.header_time, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        Self {
            kind: v.presentation.kind,
            credential_id: v.presentation.credential_id.clone(),
            issuer: v.presentation.issuer.clone(),
            issuer_name: v.chain.issuer_name.clone(),
            holder: v.presentation.holder.clone(),
            disclosed: v
                .presentation
                .disclosed
                .iter()
                .map(|(name, value)| Claim {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            mode: match v.chain.mode {
                Mode::Online => VerdictMode::Online,
                Mode::Offline => VerdictMode::Offline,
            },
            height: v.chain.height,
            header_time: time,
            age_secs: v.chain.age_secs,
            revocation_bound_secs: v.chain.revocation_bound_secs,
            pseudonym: v.pseudonym.clone(),
        }
    }
}

impl Wallet {
    /// Held credentials, without claim values: the private ones, the W3C ones, then the
    /// earlier JSON ones.
    pub fn credentials(&self) -> Result<Vec<CredentialItem>> {
        let mut all = self.private_vcs()?;
        all.extend(self.vcs()?);
        all.extend(self.vault()?.held_credentials()?.iter().map(item));
        let names = self.issuer_names()?;
        for c in &mut all {
            c.issuer_name = names.get(&c.issuer).cloned();
        }
        Ok(all)
    }

    /// The chain's names of the issuers, from the registry snapshot verified at the last
    /// sync (empty before the first).
    fn issuer_names(&self) -> Result<std::collections::BTreeMap<String, String>> {
        Ok(officer::snapshot_issuer_names(self.vault()?)?)
    }

    /// One held credential with its claims.
    pub fn credential(&self, id: &str) -> Result<CredentialDetail> {
        let mut d = self.credential_unnamed(id)?;
        d.issuer_name = self.issuer_names()?.remove(&d.issuer);
        Ok(d)
    }

    fn credential_unnamed(&self, id: &str) -> Result<CredentialDetail> {
        let w3c = if self.holds_vc(id)? {
            Some((self.vc(id)?, false))
        } else {
            self.private_vc(id)?.map(|vc| (vc, true))
        };
        if let Some((vc, private)) = w3c {
            let s = if private {
                crate::issuance::private_summary(id, &vc)?
            } else {
                crate::issuance::summary(&vc)?
            };
            let subject = &vc["credentialSubject"];
            return Ok(CredentialDetail {
                id: s.id,
                issuer: s.issuer,
                issuer_name: None,
                kind: s.kind,
                holder: subject["id"].as_str().unwrap_or_default().to_owned(),
                valid_from: s.valid_from,
                valid_until: s.valid_until,
                claims: s
                    .claims
                    .iter()
                    .map(|name| Claim {
                        name: name.clone(),
                        value: match &subject[citywallet_vc::city::term(name)] {
                            serde_json::Value::String(t) => t.clone(),
                            other => other.to_string(),
                        },
                    })
                    .collect(),
                w3c: true,
                private,
            });
        }
        let c = self.vault()?.held_credential(id)?;
        Ok(CredentialDetail {
            id: c.id.clone(),
            issuer: c.issuer.clone(),
            issuer_name: None,
            kind: c.kind,
            holder: c.holder.clone(),
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            claims: c
                .claims
                .iter()
                .map(|cl| Claim {
                    name: cl.name.clone(),
                    value: cl.value.clone(),
                })
                .collect(),
            w3c: false,
            private: false,
        })
    }

    fn holds_vc(&self, id: &str) -> Result<bool> {
        Ok(self
            .vault()?
            .document(crate::issuance::VC_SPACE, id)?
            .is_some())
    }

    /// Check credential JSON completely (schema, the issuer's signature, the holder) and
    /// keep it.
    /// A W3C credential (JSON-LD, with `@context`) goes through [`Wallet::import_vc`].
    pub fn import_credential(&mut self, json: &[u8]) -> Result<CredentialItem> {
        if serde_json::from_slice::<serde_json::Value>(json)
            .is_ok_and(|v| v.get("@context").is_some())
        {
            return self.import_vc(json);
        }
        let c = self.vault_mut()?.import_credential(json)?;
        Ok(item(&CredentialSummary::from(&c)))
    }

    /// Delete a held credential (a private one with its blind and refresh token).
    pub fn delete_credential(&mut self, id: &str) -> Result<()> {
        use crate::issuance::{PRIVATE_BLIND_SPACE, PRIVATE_SOURCE_SPACE, PRIVATE_VC_SPACE};
        let v = self.vault_mut()?;
        if v.take_document(crate::issuance::VC_SPACE, id)?.is_some() {
            return Ok(());
        }
        if v.take_document(PRIVATE_VC_SPACE, id)?.is_some() {
            for space in [PRIVATE_BLIND_SPACE, PRIVATE_SOURCE_SPACE] {
                v.take_document(space, id)?;
            }
            return Ok(());
        }
        Ok(v.delete_credential(id)?)
    }

    /// Present held credential `id` (either form) for `challenge` (its JSON text),
    /// disclosing `disclose`: a W3C credential as a verifiable presentation (derived with
    /// `bbs-2023`, signed by the identity key), a private one as a private presentation (no
    /// DID, no signature, nothing stable), an earlier one as the core's presentation.
    pub fn present_shown(&self, id: &str, disclose: &[String], challenge: &str) -> Result<Shown> {
        let private = self.private_vc(id)?;
        if private.is_none() && !self.holds_vc(id)? {
            let p = self.present(id, disclose, challenge)?;
            return Ok(Shown {
                json: p.to_json(),
                compact: p.to_compact(),
            });
        }
        let challenge = Challenge::from_json(challenge.trim().as_bytes())?;
        let kind = match &private {
            Some(vc) => crate::issuance::private_summary(id, vc)?.kind,
            None => crate::issuance::summary(&self.vc(id)?)?.kind,
        };
        let disclose: Vec<&str> = disclose
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if disclose
            .iter()
            .any(|d| !kind.claims().iter().any(|c| c.name == *d))
        {
            return Err(citywallet_core::Error::UnknownClaim.into());
        }
        // A private credential is shown to the challenge's verifier with no DID, no holder
        // signature and a pseudonym for a fresh context (the officer asks for none).
        let vp = if private.is_some() {
            self.present_private(id, &disclose, &challenge.nonce, &challenge.verifier, None)?
        } else {
            let now = tendermint::Time::from_unix_timestamp(self.now_secs(), 0)
                .map(|t| t.to_rfc3339())
                .map_err(|_| Error::Encode("the time"))?;
            let key = self
                .vault()?
                .key_pair(citywallet_core::keys::KeyPath::IDENTITY)?;
            citywallet_vc::presentation::present(&self.vc(id)?, &disclose, &challenge, &key, &now)?
        };
        self.vault()?.log_activity(
            citywallet_core::vault::VaultEvent::CredentialPresented,
            &serde_json::json!({ "credential": id, "verifier": challenge.verifier, "disclosed": disclose }),
        )?;
        Ok(Shown {
            json: serde_json::to_vec(&vp).map_err(|_| Error::Encode("the presentation"))?,
            compact: citywallet_vc::presentation::to_compact(&vp)?,
        })
    }

    /// Present held credential `id` for `challenge` (its JSON text), disclosing `disclose`.
    pub fn present(&self, id: &str, disclose: &[String], challenge: &str) -> Result<Presentation> {
        let challenge = Challenge::from_json(challenge.trim().as_bytes())?;
        let disclose: Vec<&str> = disclose
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        Ok(self.vault()?.present(id, &disclose, &challenge)?)
    }

    /// [`Wallet::present`], as its compact form in base64 with its QR code.
    pub fn present_qr(
        &self,
        id: &str,
        disclose: &[String],
        challenge: &str,
    ) -> Result<PresentationOut> {
        let compact = self.present_shown(id, disclose, challenge)?.compact;
        let code = qr::encode(&compact)?;
        Ok(PresentationOut {
            text: base64::engine::general_purpose::STANDARD.encode(&compact),
            qr_svg: qr::to_svg(&code),
            bytes: u32::try_from(compact.len()).unwrap_or(u32::MAX),
        })
    }

    /// A fresh challenge from `verifier` (by default this wallet's DID), with its QR code.
    pub fn new_challenge(&self, verifier: Option<&str>) -> Result<(Challenge, ChallengeOut)> {
        let verifier = match verifier {
            Some(v) => v.to_owned(),
            None => self.vault()?.identity()?.did,
        };
        let c = Challenge::new(&verifier, self.now_secs())?;
        let text = String::from_utf8_lossy(&c.to_bytes()).into_owned();
        let code = qr::encode(text.as_bytes())?;
        Ok((
            c,
            ChallengeOut {
                text,
                qr_svg: qr::to_svg(&code),
            },
        ))
    }

    /// Verify `presentation` (JSON or compact bytes) for `challenge` against chosen issuer
    /// keys, with no chain and no vault.
    pub fn verify_with_issuers(
        &self,
        presentation: &[u8],
        challenge: &[u8],
        issuers: &[(String, IssuerPublicKey)],
        max_age_secs: i64,
    ) -> Result<Verified> {
        let challenge = Challenge::from_json(challenge)?;
        let p = Presentation::parse(presentation)?;
        Ok(p.verify(&challenge, issuers, self.now_secs(), max_age_secs)?)
    }

    /// An officer's check of `presentation` (JSON or compact bytes) for `challenge`, with
    /// the issuer and the revocation status proven on the chain now, or taken from the
    /// last verified snapshot.
    pub fn verify_on_chain(
        &mut self,
        presentation: &[u8],
        challenge: &[u8],
        check: Check,
        max_age_secs: i64,
    ) -> Result<OfficerVerdict> {
        let challenge = Challenge::from_json(challenge)?;
        match check {
            Check::Offline => {
                let now = self.clock.now();
                let vault = self.vault()?;
                let limit = Settings::load(vault)?.snapshot_max_age.as_secs();
                Ok(officer::verify_presentation_offline(
                    vault,
                    presentation,
                    &challenge,
                    max_age_secs,
                    limit,
                    now,
                )?)
            }
            Check::Online => Ok(self.anchored(Spend::Sync)?.verify_presentation_online(
                presentation,
                &challenge,
                max_age_secs,
            )?),
        }
    }

    /// [`Wallet::verify_on_chain`] for pasted or scanned text (presentation JSON or the
    /// compact form in base64, and the challenge JSON), as a front end shows it.
    pub fn verify_text(
        &mut self,
        presentation: &str,
        challenge: &str,
        check: Check,
    ) -> Result<VerdictOut> {
        let bytes = input::presentation_bytes(presentation)?;
        let v = self.verify_on_chain(
            &bytes,
            challenge.trim().as_bytes(),
            check,
            DEFAULT_CHALLENGE_AGE_SECS,
        )?;
        Ok(VerdictOut::from(&v))
    }

    /// Whether this wallet holds an officer credential.
    pub fn is_officer(&self) -> Result<bool> {
        self.holds(CredentialType::Officer)
    }

    /// Whether this wallet holds a technician credential.
    pub fn is_technician(&self) -> Result<bool> {
        self.holds(CredentialType::Technician)
    }
}
