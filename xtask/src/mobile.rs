//! `cargo xtask mobile-check`: how far the phone builds get on this machine.
//!
//! 1. Always: the platform layer (`citywallet-mobile`, with the official biometric and
//!    barcode-scanner plugins) is compiled and linted for `aarch64-linux-android`. Checking
//!    needs only the Rust target, not the NDK, because that crate builds no C.
//! 2. The Android APK, when the Android SDK, NDK, a JDK and the Rust targets are here:
//!    `tauri android init`, this project's manifest settings, `tauri android build`.
//!    Otherwise it lists exactly what is missing and how to install it, and fails.
//! 3. iOS needs macOS with Xcode; elsewhere it prints the steps.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, cargo, root};

/// The Rust targets of the four Android ABIs (`tauri android build` without `--target`).
const ANDROID_TARGETS: [&str; 4] = [
    "aarch64-linux-android",
    "armv7-linux-androideabi",
    "i686-linux-android",
    "x86_64-linux-android",
];
const IOS_TARGETS: [&str; 3] = [
    "aarch64-apple-ios",
    "aarch64-apple-ios-sim",
    "x86_64-apple-ios",
];
/// The NDK the Tauri 2 CLI installs itself when asked to (`tauri android init`).
const NDK_VERSION: &str = "29.0.13846066";

fn installed_targets() -> Vec<String> {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

fn env_dir(names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .find(|p| p.is_dir())
}

/// The Android SDK: `ANDROID_HOME`, `ANDROID_SDK_ROOT`, or `~/Android/Sdk` (the CLI's order).
fn android_sdk() -> Option<PathBuf> {
    env_dir(&["ANDROID_HOME", "ANDROID_SDK_ROOT"]).or_else(|| {
        let home = PathBuf::from(std::env::var_os("HOME")?);
        Some(home.join("Android/Sdk")).filter(|p| p.is_dir())
    })
}

/// The NDK: `NDK_HOME`, or the newest under `<sdk>/ndk/`.
fn android_ndk(sdk: Option<&Path>) -> Option<PathBuf> {
    env_dir(&["NDK_HOME"]).or_else(|| {
        let mut all: Vec<PathBuf> = std::fs::read_dir(sdk?.join("ndk"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("toolchains").is_dir())
            .collect();
        all.sort();
        all.pop()
    })
}

fn has_subdir_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

/// What the Android build lacks here, each with how to get it.
fn android_missing() -> Vec<(String, String)> {
    let mut missing = Vec::new();
    let java = env_dir(&["JAVA_HOME"]).is_some() || on_path("java");
    if !java {
        missing.push((
            "a JDK (17 or newer)".into(),
            "apt-get install -y openjdk-17-jdk, or Android Studio's bundled JBR: export JAVA_HOME=/opt/android-studio/jbr".into(),
        ));
    }
    let sdk = android_sdk();
    match &sdk {
        None => missing.push((
            "the Android SDK (ANDROID_HOME)".into(),
            "install Android Studio (https://developer.android.com/studio) or the command-line tools; then \
             export ANDROID_HOME=$HOME/Android/Sdk and \
             sdkmanager \"platform-tools\" \"platforms;android-35\" \"build-tools;35.0.0\" \"ndk;29.0.13846066\""
                .into(),
        )),
        Some(sdk) => {
            for (sub, what, pkg) in [
                ("platforms", "an SDK platform", "platforms;android-35"),
                ("build-tools", "the SDK build tools", "build-tools;35.0.0"),
                ("platform-tools", "the SDK platform tools", "platform-tools"),
            ] {
                if !has_subdir_entries(&sdk.join(sub)) {
                    missing.push((
                        format!("{what} ({})", sdk.join(sub).display()),
                        format!("sdkmanager \"{pkg}\""),
                    ));
                }
            }
        }
    }
    if android_ndk(sdk.as_deref()).is_none() {
        missing.push((
            "the Android NDK (NDK_HOME)".into(),
            format!(
                "sdkmanager \"ndk;{NDK_VERSION}\" and export NDK_HOME=$ANDROID_HOME/ndk/{NDK_VERSION}"
            ),
        ));
    }
    // The check builds for aarch64 only; a release for every ABI needs all four.
    let have = installed_targets();
    let lacking: Vec<&str> = ANDROID_TARGETS[..1]
        .iter()
        .copied()
        .filter(|t| !have.iter().any(|h| h == t))
        .collect();
    if !lacking.is_empty() {
        missing.push((
            format!("the Rust targets {}", lacking.join(", ")),
            format!("rustup target add {}", lacking.join(" ")),
        ));
    }
    missing
}

/// Compile and lint the platform layer for Android (no NDK needed). Adds the Rust target
/// with rustup when it is missing.
pub fn host_check() -> Result {
    let target = ANDROID_TARGETS[0];
    if !installed_targets().iter().any(|t| t == target) {
        eprintln!("$ rustup target add {target}");
        crate::run(Command::new("rustup").args(["target", "add", target])).map_err(|e| {
            format!("{e}\nthe Rust standard library for {target} could not be installed")
        })?;
    }
    cargo(&[
        "clippy",
        "--locked",
        "-p",
        "citywallet-mobile",
        "--target",
        target,
        "--",
        "-D",
        "warnings",
    ])
}

/// Settings of this project for the generated Android manifest (see
/// `mobile/android/manifest-overrides.xml`): no backup of the app's data, and the camera and
/// biometric permissions stated by the app itself. Idempotent.
pub fn patch_manifest(xml: &str) -> String {
    let mut out = xml.to_owned();
    for permission in [
        "android.permission.CAMERA",
        "android.permission.USE_BIOMETRIC",
    ] {
        if !out.contains(&format!("android:name=\"{permission}\""))
            && let Some(at) = out.find("<application")
        {
            out.insert_str(
                at,
                &format!("<uses-permission android:name=\"{permission}\" />\n    "),
            );
        }
    }
    if !out.contains("android.hardware.camera.any")
        && let Some(at) = out.find("<application")
    {
        out.insert_str(
                at,
                "<uses-feature android:name=\"android.hardware.camera.any\" android:required=\"false\" />\n    ",
            );
    }
    if !out.contains("android:allowBackup")
        && let Some(at) = out.find("<application")
    {
        out.insert_str(
            at + "<application".len(),
            "\n        android:allowBackup=\"false\"\n        android:fullBackupContent=\"false\"",
        );
    }
    out
}

fn tauri_cli() -> Command {
    let mut cmd = Command::new(root().join("ui/node_modules/.bin/tauri"));
    cmd.current_dir(root().join("src-tauri"));
    cmd
}

fn android_build() -> Result {
    let gen_dir = root().join("src-tauri/gen/android");
    let config = "../mobile/tauri.android.conf.json";
    if !gen_dir.is_dir() {
        eprintln!("$ tauri android init --ci --config {config}");
        crate::run(tauri_cli().args(["android", "init", "--ci", "--config", config]))?;
    }
    let manifest = gen_dir.join("app/src/main/AndroidManifest.xml");
    let xml =
        std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    std::fs::write(&manifest, patch_manifest(&xml))
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    eprintln!("$ tauri android build --ci --debug --apk --target aarch64 --config {config}");
    crate::run(tauri_cli().args([
        "android", "build", "--ci", "--debug", "--apk", "--target", "aarch64", "--config", config,
    ]))
}

fn ios_steps() -> &'static str {
    "iOS builds need macOS with Xcode (and CocoaPods):\n\
     \x20 xcode-select --install; brew install cocoapods\n\
     \x20 rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios\n\
     \x20 npm --prefix ui ci\n\
     \x20 cd src-tauri && ../ui/node_modules/.bin/tauri ios init --config ../mobile/tauri.ios.conf.json\n\
     \x20 ../ui/node_modules/.bin/tauri ios build --config ../mobile/tauri.ios.conf.json\n\
     \x20 (signing: set APPLE_DEVELOPMENT_TEAM or bundle.iOS.developmentTeam)"
}

/// The whole check; fails when the Android APK could not be built.
pub fn check() -> Result {
    host_check()?;
    eprintln!(
        "mobile-check: the platform layer compiles and is lint-clean for aarch64-linux-android"
    );

    let missing = android_missing();
    let android = if missing.is_empty() {
        android_build().map(|()| "built (debug APK, aarch64)".to_owned())
    } else {
        let mut msg = String::from("NOT BUILT: the Android build needs what this machine lacks:\n");
        for (what, how) in &missing {
            msg.push_str(&format!("  - {what}\n      install: {how}\n"));
        }
        msg.push_str("  then run `cargo xtask mobile-check` again.");
        Err(msg)
    };

    if cfg!(target_os = "macos") && on_path("xcrun") {
        let have = installed_targets();
        if IOS_TARGETS.iter().all(|t| have.iter().any(|h| h == t)) {
            cargo(&[
                "check",
                "--locked",
                "-p",
                "citywallet-mobile",
                "--target",
                IOS_TARGETS[0],
            ])?;
        }
        eprintln!("mobile-check: {}", ios_steps());
    } else {
        eprintln!("mobile-check: iOS NOT BUILT on this host. {}", ios_steps());
    }

    match android {
        Ok(what) => {
            eprintln!("mobile-check: Android {what}");
            Ok(())
        }
        Err(e) => Err(format!("Android {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android">
    <uses-permission android:name="android.permission.INTERNET" />
    <application
        android:icon="@mipmap/ic_launcher"
        android:label="@string/app_name">
    </application>
</manifest>
"#;

    #[test]
    fn the_manifest_patch_adds_our_settings_once() {
        let once = patch_manifest(TEMPLATE);
        for needle in [
            "android:name=\"android.permission.CAMERA\"",
            "android:name=\"android.permission.USE_BIOMETRIC\"",
            "android:name=\"android.hardware.camera.any\" android:required=\"false\"",
            "<application\n        android:allowBackup=\"false\"",
            "android:fullBackupContent=\"false\"",
        ] {
            assert!(once.contains(needle), "{needle} missing in:\n{once}");
        }
        assert_eq!(
            patch_manifest(&once),
            once,
            "patching twice changes nothing"
        );
        assert!(once.find("CAMERA") < once.find("<application"));
    }
}
