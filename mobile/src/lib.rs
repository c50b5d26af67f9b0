//! CityWallet's platform layer: what differs between the phone and desktop builds of one app.
//!
//! * [`keystore`]: the vault key kept by the platform keystore and released after biometric
//!   authentication (Android Keystore through the official biometric plugin, the iOS
//!   Keychain with a biometry access control); desktop has none and uses the passphrase.
//! * [`lifecycle`]: suspend and resume, and the wall-clock idle timer that re-locks the vault.
//! * [`plugins`]: the official Tauri plugins the phone builds register (barcode scanner,
//!   biometric); QR scanning itself runs in the web view through the barcode-scanner plugin.
//!
//! Everything here compiles on the desktop host; the `cfg(mobile)` parts compile for
//! `aarch64-linux-android` and `aarch64-apple-ios` with `cargo xtask mobile-check`.
#![forbid(unsafe_code)]

pub mod keystore;
pub mod lifecycle;

use serde::Serialize;

/// What this build of the app can do on this device, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    /// `android`, `ios`, `linux`, `macos` or `windows`.
    pub os: &'static str,
    /// A phone build.
    pub mobile: bool,
    /// QR codes can be scanned with the camera (phone builds).
    pub camera_scan: bool,
}

impl Platform {
    /// The platform this binary was built for.
    pub const fn current() -> Self {
        Self {
            os: std::env::consts::OS,
            mobile: cfg!(mobile),
            camera_scan: cfg!(mobile),
        }
    }
}

/// Register the official plugins the phone builds use; on desktop the builder is unchanged.
pub fn plugins<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    #[cfg(mobile)]
    {
        builder
            .plugin(tauri_plugin_barcode_scanner::init())
            .plugin(tauri_plugin_biometric::init())
    }
    #[cfg(desktop)]
    {
        builder
    }
}
