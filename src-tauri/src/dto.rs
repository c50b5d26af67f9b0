//! What crosses the IPC boundary that only the app has: its status, the platform and the
//! biometric prompt. Every other input and output is the wallet's (`citywallet_wallet::dto`);
//! TypeScript types are generated from both (`ts-rs`, into `ui/src/lib/bindings/`), and a
//! check in CI fails when the committed ones are stale.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The app's state for the shell: is there a vault, is it unlocked, which views.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppStatus {
    /// A vault exists.
    pub vault_exists: bool,
    /// It is unlocked.
    pub unlocked: bool,
    /// The citizen's DID when unlocked.
    pub did: Option<String>,
    /// Holds an officer credential.
    pub officer: bool,
    /// Holds a technician credential.
    pub technician: bool,
    /// Minutes of inactivity before the vault locks.
    pub auto_lock_minutes: u32,
    /// The nodes the wallet uses.
    pub network: NetworkInfo,
    /// What this build can do on this device.
    pub platform: PlatformInfo,
}

/// The text of the platform's biometric prompt, in the UI's language.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PromptIn {
    /// Why the app asks.
    pub reason: String,
    /// The prompt's title.
    pub title: String,
    /// The label of the button that goes back to the passphrase.
    pub cancel: String,
}

impl PromptIn {
    /// Prompt texts longer than this are cut (the system prompts show a line or two).
    pub const MAX_CHARS: usize = 200;

    /// The keystore's prompt.
    pub fn to_prompt(&self) -> citywallet_mobile::keystore::Prompt {
        let cut = |s: &str| s.chars().take(Self::MAX_CHARS).collect::<String>();
        citywallet_mobile::keystore::Prompt {
            reason: cut(&self.reason),
            title: cut(&self.title),
            cancel: cut(&self.cancel),
        }
    }
}

/// The platform the app runs on and what it offers.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PlatformInfo {
    /// The operating system.
    pub os: Os,
    /// A phone build.
    pub mobile: bool,
    /// QR codes can be scanned with the camera.
    pub camera_scan: bool,
    /// Biometric unlock can be turned on here.
    pub biometric_available: bool,
    /// The kind of biometric offered.
    pub biometric_kind: Biometric,
    /// Biometric unlock is on (a key is in the platform keystore).
    pub biometric_enabled: bool,
}

/// Where the chain is.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NetworkInfo {
    /// Primary node URL.
    pub primary: String,
    /// Witness URLs.
    pub witnesses: Vec<String>,
    /// The app runs its own devnet.
    pub embedded_devnet: bool,
    /// Demo credentials can be requested (the devnet's issuer keys are at hand).
    pub demo_issuers: bool,
}

/// The operating system the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Os {
    /// Android.
    Android,
    /// iOS.
    Ios,
    /// Linux.
    Linux,
    /// macOS.
    Macos,
    /// Windows.
    Windows,
    /// Another system.
    Other,
}

impl Os {
    /// The system named `os` (`std::env::consts::OS`).
    pub fn of(os: &str) -> Self {
        match os {
            "android" => Self::Android,
            "ios" => Self::Ios,
            "linux" => Self::Linux,
            "macos" => Self::Macos,
            "windows" => Self::Windows,
            _ => Self::Other,
        }
    }
}

/// The kind of biometric the platform offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Biometric {
    /// Face ID or face unlock.
    Face,
    /// Touch ID or a fingerprint sensor.
    Fingerprint,
    /// None.
    None,
}

impl From<citywallet_mobile::keystore::BiometricKind> for Biometric {
    fn from(k: citywallet_mobile::keystore::BiometricKind) -> Self {
        use citywallet_mobile::keystore::BiometricKind as K;
        match k {
            K::Face => Self::Face,
            K::Fingerprint => Self::Fingerprint,
            K::None => Self::None,
        }
    }
}
