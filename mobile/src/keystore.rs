//! The vault key in the platform keystore, released after biometric authentication.
//!
//! The vault is keyed by Argon2id over the passphrase. With biometric unlock turned on, the
//! app hands the resulting database key (64 hex digits, see `citywallet_core::vault::UnlockKey`)
//! to the platform, which releases it only after the owner's biometrics:
//!
//! * **Android**: the official biometric plugin's `biometric_cipher` encrypts the key with
//!   an AES-256-GCM key held in the Android Keystore that requires biometric authentication
//!   for every use. The ciphertext (`data;iv`, Base64) is kept beside the vault in
//!   `<vault>.biometric`; it is useless without the Keystore key on that device.
//! * **iOS**: the key is a Keychain item readable only on this device while a passcode is
//!   set, with the `biometryCurrentSet` access control: reading it shows Face ID or Touch ID,
//!   and enrolling new biometrics deletes it. `<vault>.biometric` only records that it exists.
//! * **Desktop**: no keystore ([`Unsupported`]); the passphrase is the only way in.
//!
//! Whatever fails, the passphrase still unlocks the vault.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zeroize::Zeroizing;

/// What can go wrong with the keystore. Each variant has a stable [`Error::code`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// This device or build has no biometric keystore (desktop, no sensor, none enrolled).
    #[error("biometric unlock is not available on this device: {reason}")]
    Unavailable {
        /// The platform's reason, for the log (no secret).
        reason: String,
    },
    /// Biometric unlock was not turned on, or its stored key is gone.
    #[error("biometric unlock is not turned on")]
    NotEnabled,
    /// The user cancelled the prompt, or the system did.
    #[error("biometric authentication was cancelled")]
    Cancelled,
    /// The biometrics were not recognised, or the sensor is locked out after failures.
    #[error("biometric authentication failed")]
    Failed,
    /// The stored key can no longer be used (new biometrics were enrolled, or the keystore
    /// key was removed); it has been forgotten.
    #[error("the biometric key was invalidated by a change to the device's biometrics")]
    Invalidated,
    /// The platform answered in a way this app does not understand.
    #[error("keystore error: {0}")]
    Platform(String),
    /// The file beside the vault could not be read or written.
    #[error("keystore file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Every code [`Error::code`] gives, as a value: the app's error codes are checked against
/// this list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// `biometric_unavailable`.
    BiometricUnavailable,
    /// `biometric_not_enabled`.
    BiometricNotEnabled,
    /// `biometric_cancelled`.
    BiometricCancelled,
    /// `biometric_failed`.
    BiometricFailed,
    /// `biometric_invalidated`.
    BiometricInvalidated,
    /// `biometric_platform`.
    BiometricPlatform,
    /// `io`.
    Io,
}

impl ErrorCode {
    /// The code's text.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Error {
    /// A stable machine-readable code, for the app's IPC.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => ErrorCode::BiometricUnavailable.as_str(),
            Self::NotEnabled => ErrorCode::BiometricNotEnabled.as_str(),
            Self::Cancelled => ErrorCode::BiometricCancelled.as_str(),
            Self::Failed => ErrorCode::BiometricFailed.as_str(),
            Self::Invalidated => ErrorCode::BiometricInvalidated.as_str(),
            Self::Platform(_) => ErrorCode::BiometricPlatform.as_str(),
            Self::Io { .. } => ErrorCode::Io.as_str(),
        }
    }

    /// Map an error code of the official biometric plugin (the Android and iOS plugins
    /// reject with the same codes).
    pub fn from_plugin_code(code: Option<&str>, message: &str) -> Self {
        match code {
            Some("userCancel" | "systemCancel" | "appCancel") => Self::Cancelled,
            Some("authenticationFailed" | "biometryLockout") => Self::Failed,
            Some("biometryNotAvailable" | "biometryNotEnrolled" | "passcodeNotSet") => {
                Self::Unavailable {
                    reason: message.to_owned(),
                }
            }
            _ => Self::Platform(match code {
                Some(c) => format!("{c}: {message}"),
                None => message.to_owned(),
            }),
        }
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, Error>;

/// What kind of biometric the platform offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BiometricKind {
    /// Face ID or face unlock.
    Face,
    /// Touch ID or a fingerprint sensor.
    Fingerprint,
    /// None here.
    None,
}

/// What the device offers, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    /// Biometric unlock can be turned on.
    pub available: bool,
    /// `face`, `fingerprint` or `none`.
    pub kind: BiometricKind,
    /// Why not, when not available (the platform's words; no secret).
    pub reason: Option<String>,
}

impl Availability {
    /// Not available, for `reason`.
    pub fn none(reason: impl Into<String>) -> Self {
        Self {
            available: false,
            kind: BiometricKind::None,
            reason: Some(reason.into()),
        }
    }
}

/// The text the platform shows in its prompt.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// Why the app asks (shown by the system prompt).
    pub reason: String,
    /// The prompt's title (Android).
    pub title: String,
    /// The cancel button's label, which leads back to the passphrase.
    pub cancel: String,
}

/// A place that keeps one secret (the vault key) and gives it back only to the device's owner.
pub trait KeyStore: Send + fmt::Debug {
    /// What the device offers.
    fn availability(&self) -> Availability;
    /// Whether a key is stored (without prompting).
    fn holds(&self) -> bool;
    /// Keep `secret`, replacing any earlier one. May prompt (Android encrypts with a key
    /// that needs biometric authentication).
    fn store(&self, secret: &str, prompt: &Prompt) -> Result<()>;
    /// Prompt for biometrics and give the secret back.
    fn release(&self, prompt: &Prompt) -> Result<Zeroizing<String>>;
    /// Forget the secret (nothing happens when none is stored).
    fn forget(&self) -> Result<()>;
}

/// The file beside the vault that holds the Android ciphertext or the iOS marker.
pub fn sidecar(vault: &Path) -> PathBuf {
    let mut name = vault.as_os_str().to_owned();
    name.push(".biometric");
    PathBuf::from(name)
}

/// Larger sidecar files are refused unread (the real one is about 100 bytes).
pub const MAX_SIDECAR_BYTES: u64 = 4096;

/// Read the sidecar; `Ok(None)` when there is none.
pub fn read_sidecar(path: &Path) -> Result<Option<Zeroizing<String>>> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    if meta.len() > MAX_SIDECAR_BYTES {
        return Err(Error::Invalidated);
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
    Ok(Some(text))
}

/// Write the sidecar atomically (temporary file, fsync, rename, mode 0600).
pub fn write_sidecar(path: &Path, text: &str) -> Result<()> {
    citywallet_files::replace(path, text.as_bytes()).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// Remove the sidecar; a missing one is fine.
pub fn remove_sidecar(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// No keystore: the desktop builds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unsupported;

impl KeyStore for Unsupported {
    fn availability(&self) -> Availability {
        Availability::none("this build has no biometric keystore")
    }
    fn holds(&self) -> bool {
        false
    }
    fn store(&self, _: &str, _: &Prompt) -> Result<()> {
        Err(Error::Unavailable {
            reason: "this build has no biometric keystore".into(),
        })
    }
    fn release(&self, _: &Prompt) -> Result<Zeroizing<String>> {
        Err(Error::NotEnabled)
    }
    fn forget(&self) -> Result<()> {
        Ok(())
    }
}

/// The keystore of the platform this app runs on, for the vault at `vault`.
pub fn platform<R: tauri::Runtime>(app: &tauri::AppHandle<R>, vault: &Path) -> Box<dyn KeyStore> {
    #[cfg(mobile)]
    {
        Box::new(mobile::PlatformKeyStore::new(app.clone(), sidecar(vault)))
    }
    #[cfg(desktop)]
    {
        let _ = (app, vault);
        Box::new(Unsupported)
    }
}

#[cfg(mobile)]
mod mobile {
    use super::*;
    use tauri::plugin::mobile::PluginInvokeError;
    use tauri_plugin_biometric::{BiometricExt, BiometryType};

    /// The Android Keystore (through the biometric plugin) or the iOS Keychain.
    pub(super) struct PlatformKeyStore<R: tauri::Runtime> {
        app: tauri::AppHandle<R>,
        sidecar: PathBuf,
    }

    impl<R: tauri::Runtime> fmt::Debug for PlatformKeyStore<R> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("PlatformKeyStore")
                .field("sidecar", &self.sidecar)
                .finish_non_exhaustive()
        }
    }

    impl<R: tauri::Runtime> PlatformKeyStore<R> {
        pub(super) fn new(app: tauri::AppHandle<R>, sidecar: PathBuf) -> Self {
            Self { app, sidecar }
        }
    }

    fn plugin_error(e: tauri_plugin_biometric::Error) -> Error {
        match e {
            tauri_plugin_biometric::Error::PluginInvoke(PluginInvokeError::InvokeRejected(r)) => {
                Error::from_plugin_code(r.code.as_deref(), r.message.as_deref().unwrap_or(""))
            }
            other => Error::Platform(other.to_string()),
        }
    }

    impl<R: tauri::Runtime> KeyStore for PlatformKeyStore<R> {
        fn availability(&self) -> Availability {
            match self.app.biometric().status() {
                Ok(s) if s.is_available => Availability {
                    available: true,
                    kind: match s.biometry_type {
                        BiometryType::FaceID => BiometricKind::Face,
                        BiometryType::TouchID => BiometricKind::Fingerprint,
                        BiometryType::None => BiometricKind::None,
                    },
                    reason: None,
                },
                Ok(s) => Availability::none(s.error.unwrap_or_default()),
                Err(e) => Availability::none(e.to_string()),
            }
        }

        fn holds(&self) -> bool {
            self.sidecar.is_file()
        }

        fn store(&self, secret: &str, prompt: &Prompt) -> Result<()> {
            if !self.availability().available {
                return Err(Error::Unavailable {
                    reason: self.availability().reason.unwrap_or_default(),
                });
            }
            #[cfg(target_os = "android")]
            {
                let out = self
                    .app
                    .biometric()
                    .biometric_cipher(prompt.reason.clone(), options(prompt, Some(secret), None))
                    .map_err(plugin_error)?;
                write_sidecar(&self.sidecar, &out.data)
            }
            #[cfg(target_os = "ios")]
            {
                let _ = prompt;
                ios::store(secret)?;
                write_sidecar(&self.sidecar, "keychain")
            }
        }

        fn release(&self, prompt: &Prompt) -> Result<Zeroizing<String>> {
            let Some(stored) = read_sidecar(&self.sidecar)? else {
                return Err(Error::NotEnabled);
            };
            #[cfg(target_os = "android")]
            let out = self
                .app
                .biometric()
                .biometric_cipher(prompt.reason.clone(), options(prompt, None, Some(&stored)))
                .map(|o| Zeroizing::new(o.data))
                .map_err(plugin_error);
            #[cfg(target_os = "ios")]
            let out = {
                let _ = (prompt, stored);
                ios::release()
            };
            if matches!(out, Err(Error::Invalidated)) {
                self.forget()?;
            }
            out
        }

        fn forget(&self) -> Result<()> {
            #[cfg(target_os = "ios")]
            ios::forget()?;
            remove_sidecar(&self.sidecar)
        }
    }

    #[cfg(target_os = "android")]
    fn options(
        prompt: &Prompt,
        encrypt: Option<&str>,
        decrypt: Option<&str>,
    ) -> tauri_plugin_biometric::AuthOptions {
        tauri_plugin_biometric::AuthOptions {
            // Device credentials cannot unlock a Keystore key bound to biometrics.
            allow_device_credential: false,
            cancel_title: Some(prompt.cancel.clone()),
            title: Some(prompt.title.clone()),
            data_to_encrypt: encrypt.map(str::to_owned),
            data_to_decrypt: decrypt.map(str::to_owned),
            ..Default::default()
        }
    }

    #[cfg(target_os = "ios")]
    mod ios {
        use super::*;
        use security_framework::access_control::{ProtectionMode, SecAccessControl};
        use security_framework::passwords::{
            AccessControlOptions, PasswordOptions, delete_generic_password_options,
            generic_password, set_generic_password_options,
        };

        const SERVICE: &str = "org.citywallet.app.vault";
        const ACCOUNT: &str = "unlock-key";
        const ERR_USER_CANCELED: i32 = -128;
        const ERR_ITEM_NOT_FOUND: i32 = -25300;
        const ERR_AUTH_FAILED: i32 = -25293;

        fn keychain_error(e: security_framework::base::Error) -> Error {
            match e.code() {
                ERR_USER_CANCELED => Error::Cancelled,
                ERR_AUTH_FAILED => Error::Failed,
                // With biometryCurrentSet, new biometrics delete the item.
                ERR_ITEM_NOT_FOUND => Error::Invalidated,
                _ => Error::Platform(e.to_string()),
            }
        }

        pub(super) fn store(secret: &str) -> Result<()> {
            forget()?;
            let access = SecAccessControl::create_with_protection(
                Some(ProtectionMode::AccessibleWhenPasscodeSetThisDeviceOnly),
                AccessControlOptions::BIOMETRY_CURRENT_SET.bits(),
            )
            .map_err(keychain_error)?;
            let mut options = PasswordOptions::new_generic_password(SERVICE, ACCOUNT);
            options.set_access_control(access);
            set_generic_password_options(secret.as_bytes(), options).map_err(keychain_error)
        }

        pub(super) fn release() -> Result<Zeroizing<String>> {
            let bytes = Zeroizing::new(
                generic_password(PasswordOptions::new_generic_password(SERVICE, ACCOUNT))
                    .map_err(keychain_error)?,
            );
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| Error::Platform("the keychain item is not text".into()))?;
            Ok(Zeroizing::new(text.to_owned()))
        }

        pub(super) fn forget() -> Result<()> {
            match delete_generic_password_options(PasswordOptions::new_generic_password(
                SERVICE, ACCOUNT,
            )) {
                Ok(()) => Ok(()),
                Err(e) if e.code() == ERR_ITEM_NOT_FOUND => Ok(()),
                Err(e) => Err(keychain_error(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_codes_map_to_typed_errors() {
        for (code, want) in [
            (Some("userCancel"), "biometric_cancelled"),
            (Some("systemCancel"), "biometric_cancelled"),
            (Some("authenticationFailed"), "biometric_failed"),
            (Some("biometryLockout"), "biometric_failed"),
            (Some("biometryNotEnrolled"), "biometric_unavailable"),
            (Some("passcodeNotSet"), "biometric_unavailable"),
            (Some("invalidContext"), "biometric_platform"),
            (None, "biometric_platform"),
        ] {
            assert_eq!(Error::from_plugin_code(code, "m").code(), want, "{code:?}");
        }
    }

    #[test]
    fn desktop_has_no_keystore() {
        let k = Unsupported;
        assert!(!k.availability().available);
        assert!(!k.holds());
        let prompt = Prompt {
            reason: "r".into(),
            title: "t".into(),
            cancel: "c".into(),
        };
        assert_eq!(
            k.store("00", &prompt).expect_err("refused").code(),
            "biometric_unavailable"
        );
        assert_eq!(
            k.release(&prompt).expect_err("refused").code(),
            "biometric_not_enabled"
        );
        k.forget().expect("nothing to forget");
    }

    #[test]
    fn sidecar_round_trip_and_limits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = dir.path().join("vault.db");
        let path = sidecar(&vault);
        assert_eq!(path, dir.path().join("vault.db.biometric"));
        assert!(read_sidecar(&path).expect("read").is_none());
        write_sidecar(&path, "c2VjcmV0;aXY=").expect("write");
        assert_eq!(
            read_sidecar(&path)
                .expect("read")
                .as_deref()
                .map(String::as_str),
            Some("c2VjcmV0;aXY=")
        );
        std::fs::write(&path, vec![b'x'; 5000]).expect("write");
        assert_eq!(
            read_sidecar(&path).expect_err("refused").code(),
            "biometric_invalidated"
        );
        remove_sidecar(&path).expect("remove");
        remove_sidecar(&path).expect("a missing file is fine");
    }
}
