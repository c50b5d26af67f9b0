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
    /// `android`, `ios`, `linux`, `macos` or `windows`.
    pub os: String,
    /// A phone build.
    pub mobile: bool,
    /// QR codes can be scanned with the camera.
    pub camera_scan: bool,
    /// Biometric unlock can be turned on here.
    pub biometric_available: bool,
    /// `face`, `fingerprint` or `none`.
    pub biometric_kind: String,
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
