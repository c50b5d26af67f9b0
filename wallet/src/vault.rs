//! The vault's own flows: create, recover, unlock, lock, passphrase change, the phrase,
//! export and import, the identity, device keys and the activity log.

use std::path::Path;

use citywallet_core::credentials::qr;
use citywallet_core::keys::RecoveryPhrase;
use citywallet_core::vault::{
    DeviceRecord, IdentityInfo, Passphrase, UnlockKey, Vault, VaultEvent,
};
use zeroize::Zeroizing;

use crate::Wallet;
use crate::dto::{ActivityItem, Identity, Strength, WordCheck, Words};
use crate::error::{Error, Result};
use crate::input::MAX_PHRASE_BYTES;

/// How many times words may be given back after the phrase was created or revealed.
pub const CONFIRM_TRIES: u8 = 3;

/// zxcvbn's view of a passphrase, with the vault's rule (`core`'s, the one creation and a
/// passphrase change apply).
pub fn strength(passphrase: &str) -> Strength {
    let s = citywallet_core::vault::passphrase_strength(passphrase);
    Strength {
        score: s.score,
        acceptable: s.acceptable,
        warning: s.warning,
        suggestions: s.suggestions,
    }
}

impl Wallet {
    fn make_parent(&self) -> Result<()> {
        match self.vault_path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => {
                citywallet_files::create_private_dirs(dir).map_err(Error::io(dir))
            }
            _ => Ok(()),
        }
    }

    /// A new vault for `phrase`, unlocked (its directory made first).
    fn create_from(
        &mut self,
        phrase: &RecoveryPhrase,
        passphrase: &Passphrase,
        bip39: &str,
    ) -> Result<()> {
        self.make_parent()?;
        let vault = Vault::create(&self.vault_path, passphrase, self.kdf, phrase, bip39)?;
        self.vault = Some(vault);
        Ok(())
    }

    /// zxcvbn's view of a passphrase.
    pub fn strength(passphrase: &str) -> Strength {
        strength(passphrase)
    }

    /// Create a vault for a new 24-word phrase (with an optional BIP39 passphrase) and
    /// unlock it. The phrase is returned once, for the user to write down; later it comes
    /// only from [`Wallet::reveal_words`].
    pub fn create(&mut self, passphrase: &Passphrase, bip39: &str) -> Result<RecoveryPhrase> {
        let phrase = RecoveryPhrase::generate()?;
        self.create_from(&phrase, passphrase, bip39)?;
        self.confirm_tries = Some(CONFIRM_TRIES);
        Ok(phrase)
    }

    /// Restore a vault from a recovery phrase (at most 4 KiB of text) and unlock it.
    pub fn recover(
        &mut self,
        phrase: &Zeroizing<String>,
        passphrase: &Passphrase,
        bip39: &str,
    ) -> Result<()> {
        if phrase.len() as u64 > MAX_PHRASE_BYTES {
            return Err(Error::PhraseTooLong {
                limit: MAX_PHRASE_BYTES,
            });
        }
        self.create_from(&RecoveryPhrase::parse(phrase)?, passphrase, bip39)
    }

    /// Open the vault with its passphrase.
    pub fn unlock(&mut self, passphrase: &Passphrase) -> Result<()> {
        self.vault = Some(Vault::open(&self.vault_path, passphrase)?);
        Ok(())
    }

    /// Open the vault with a key a platform keystore kept. A key from before a passphrase
    /// change is `unlock_key_stale`, and nothing changes.
    pub fn unlock_with_key(&mut self, key: &UnlockKey) -> Result<()> {
        self.vault = Some(Vault::open_with_key(&self.vault_path, key)?);
        Ok(())
    }

    /// The vault's key for a platform keystore, after the passphrase is given again.
    pub fn unlock_key(&mut self, passphrase: &Passphrase) -> Result<UnlockKey> {
        self.vault()?;
        Ok(Vault::open(&self.vault_path, passphrase)?.unlock_key())
    }

    /// Close the vault.
    pub fn lock(&mut self) {
        self.vault = None;
        self.confirm_tries = None;
    }

    /// Change the passphrase (the current one is asked again). SQLCipher re-keys only a
    /// file no other connection holds, so the open connection is closed first and, when
    /// the change is refused (a wrong current passphrase), opened again with its key.
    pub fn change_passphrase(&mut self, current: &Passphrase, new: &Passphrase) -> Result<()> {
        let open_key = self.vault.take().map(|v| v.unlock_key());
        let changed = Vault::open(&self.vault_path, current).and_then(|mut v| {
            v.change_passphrase(new, self.kdf)?;
            Ok(v)
        });
        match changed {
            Ok(v) => {
                self.vault = Some(v);
                Ok(())
            }
            Err(e) => {
                if let Some(key) = open_key {
                    self.vault = Vault::open_with_key(&self.vault_path, &key).ok();
                }
                Err(e.into())
            }
        }
    }

    /// Note in the activity log (details must hold no secret).
    pub fn log(&mut self, kind: VaultEvent, detail: &serde_json::Value) -> Result<()> {
        Ok(self.vault_mut()?.log_activity(kind, detail)?)
    }

    /// The recovery phrase, after the passphrase is given again (an explicit reveal, logged).
    pub fn reveal_words(&mut self, passphrase: &Passphrase) -> Result<Words> {
        let v = Vault::open(&self.vault_path, passphrase)?;
        let phrase = v.reveal_phrase()?;
        let text = phrase.phrase();
        // The words were just shown (with the passphrase): the user may now prove they
        // wrote them down.
        self.confirm_tries = Some(CONFIRM_TRIES);
        Ok(Words {
            words: text.split(' ').map(str::to_owned).collect(),
        })
    }

    /// Check words given back right after the phrase was created or revealed, at most
    /// [`CONFIRM_TRIES`] times; otherwise it is `confirm_closed`. (Open at any time, it would
    /// read the phrase out a word at a time without the passphrase.)
    pub fn confirm_words(&mut self, checks: &[WordCheck]) -> Result<()> {
        let tries = self.confirm_tries.ok_or(Error::ConfirmClosed)?;
        let pairs: Vec<(usize, &str)> = checks
            .iter()
            .map(|c| (c.position as usize, c.word.as_str()))
            .collect();
        let outcome = self.vault_mut()?.confirm_phrase_words(&pairs);
        self.confirm_tries = match &outcome {
            Ok(()) => None,
            Err(_) => tries.checked_sub(1).filter(|t| *t > 0),
        };
        Ok(outcome?)
    }

    /// Write an encrypted export of the vault to `dest` (which must not exist).
    pub fn export_vault(&self, dest: &Path) -> Result<()> {
        Ok(self.vault()?.export_to(dest)?)
    }

    /// Put an export in place of a missing vault and unlock it.
    pub fn import_vault(&mut self, src: &Path, passphrase: &Passphrase) -> Result<()> {
        self.make_parent()?;
        self.vault = Some(Vault::import_from(src, &self.vault_path, passphrase)?);
        Ok(())
    }

    /// The identity.
    pub fn identity_info(&self) -> Result<IdentityInfo> {
        Ok(self.vault()?.identity()?)
    }

    /// The identity with its QR code.
    pub fn identity(&self) -> Result<Identity> {
        let id = self.identity_info()?;
        let code = qr::encode(id.did.as_bytes())?;
        Ok(Identity {
            qr_svg: qr::to_svg(&code),
            did: id.did,
            public_key_hex: id.public_key_hex,
            path: id.path,
        })
    }

    /// Derive the next device key.
    pub fn new_device_key(&mut self, label: Option<&str>) -> Result<DeviceRecord> {
        Ok(self.vault_mut()?.new_device(label)?)
    }

    /// The device keys the wallet derived.
    pub fn device_keys(&self) -> Result<Vec<DeviceRecord>> {
        Ok(self.vault()?.devices()?)
    }

    /// The activity log, newest first (at most 200 entries).
    pub fn activity(&self) -> Result<Vec<ActivityItem>> {
        Ok(self
            .vault()?
            .activity(200)?
            .into_iter()
            .map(|a| ActivityItem {
                id: a.id,
                at: a.at,
                kind: a.kind,
                detail: a.detail,
            })
            .collect())
    }

    /// Whether the wallet holds a credential of `kind` (the officer and technician views).
    pub fn holds(&self, kind: citywallet_core::credentials::CredentialType) -> Result<bool> {
        Ok(self.vcs()?.iter().any(|c| c.kind == kind)
            || self
                .vault()?
                .credentials()?
                .iter()
                .any(|c| c.kind == kind.as_str()))
    }

    /// `Ok` when the wallet holds a credential of the role `kind` (officer or technician),
    /// else [`Error::RoleCredentialMissing`]: the gate a front end puts before that role's
    /// operations. The chain still decides whether the key holds the role.
    pub fn require_credential(
        &self,
        kind: citywallet_core::credentials::CredentialType,
    ) -> Result<()> {
        if self.holds(kind)? {
            Ok(())
        } else {
            Err(Error::RoleCredentialMissing {
                role: kind.as_str(),
            })
        }
    }
}
