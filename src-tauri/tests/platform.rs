//! The phone builds' shared logic, run on the host: biometric unlock through a keystore,
//! its failure paths (cancelled, stale after a passphrase change, turned off), the desktop
//! fallback, and the re-lock after suspend and resume.
//!
//! The real keystores (Android Keystore through the biometric plugin, the iOS Keychain)
//! exist only in the phone builds; `cargo xtask mobile-check` compiles the Android one.
//! Here [`HeldKey`] plays the platform's part behind the same `KeyStore` trait: it keeps the
//! secret in memory and can be told to answer as a cancelled prompt would.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use citywallet_app::app::{App, AppNetwork};
use citywallet_app::dto::PromptIn;
use citywallet_core::vault::{KdfParams, Passphrase, Vault};
use citywallet_mobile::keystore::{Availability, Error, KeyStore, Prompt, Result};
use citywallet_wallet::Network;
use zeroize::Zeroizing;

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const PASS: &str = "tram lantern harbour 42";

#[derive(Debug, Default)]
struct Held {
    secret: Option<String>,
    cancel_next: bool,
    prompts: Vec<String>,
}

/// The platform keystore's part, in memory (see the module comment).
#[derive(Debug, Clone, Default)]
struct HeldKey(Arc<Mutex<Held>>);

impl HeldKey {
    fn state(&self) -> std::sync::MutexGuard<'_, Held> {
        self.0.lock().expect("lock")
    }
}

impl KeyStore for HeldKey {
    fn availability(&self) -> Availability {
        Availability {
            available: true,
            kind: citywallet_mobile::keystore::BiometricKind::Fingerprint,
            reason: None,
        }
    }
    fn holds(&self) -> bool {
        self.state().secret.is_some()
    }
    fn store(&self, secret: &str, prompt: &Prompt) -> Result<()> {
        let mut s = self.state();
        s.prompts.push(prompt.reason.clone());
        s.secret = Some(secret.to_owned());
        Ok(())
    }
    fn release(&self, prompt: &Prompt) -> Result<Zeroizing<String>> {
        let mut s = self.state();
        s.prompts.push(prompt.reason.clone());
        if std::mem::take(&mut s.cancel_next) {
            return Err(Error::Cancelled);
        }
        s.secret
            .clone()
            .map(Zeroizing::new)
            .ok_or(Error::NotEnabled)
    }
    fn forget(&self) -> Result<()> {
        self.state().secret = None;
        Ok(())
    }
}

fn service(dir: &std::path::Path) -> App {
    // No node is contacted by anything these tests do.
    App::new(
        dir.to_path_buf(),
        AppNetwork {
            nodes: Network {
                primary: "http://127.0.0.1:9".into(),
                witnesses: vec![],
            },
            embedded: false,
            devnet_data: None,
        },
        FAST,
    )
}

fn prompt() -> PromptIn {
    PromptIn {
        reason: "Unlock your CityWallet".into(),
        title: "Unlock".into(),
        cancel: "Use passphrase".into(),
    }
}

#[test]
fn biometric_unlock_releases_the_vault_key() {
    let dir = tempfile::tempdir().expect("dir");
    let keys = HeldKey::default();
    let mut s = service(dir.path()).with_keystore(Box::new(keys.clone()));
    s.create(Passphrase::from(PASS)).expect("create");
    let did = s.status().expect("status").did.expect("did");
    let p = s.status().expect("status").platform;
    assert!(p.biometric_available && !p.biometric_enabled);
    assert!(!p.mobile && !p.camera_scan, "a desktop test build");

    // The passphrase is asked again; a wrong one stores nothing.
    let err = s
        .enable_biometric(
            Passphrase::from("not the passphrase"),
            &prompt().to_prompt(),
        )
        .expect_err("wrong passphrase");
    assert_eq!(err.code.as_str(), "wrong_passphrase");
    assert!(!keys.holds());

    s.enable_biometric(Passphrase::from(PASS), &prompt().to_prompt())
        .expect("enable");
    assert!(s.status().expect("status").platform.biometric_enabled);
    let stored = keys.state().secret.clone().expect("stored");
    assert_eq!(stored.len(), 64, "the raw vault key, as hex");
    assert!(!stored.contains(PASS));

    s.wallet.lock();
    assert!(!s.status().expect("status").unlocked);
    s.unlock_biometric(&prompt().to_prompt()).expect("unlock");
    let st = s.status().expect("status");
    assert!(st.unlocked);
    assert_eq!(st.did.as_deref(), Some(did.as_str()));
    assert_eq!(
        keys.state().prompts.last().map(String::as_str),
        Some("Unlock your CityWallet")
    );
    assert!(
        s.wallet
            .activity()
            .expect("activity")
            .iter()
            .any(|a| a.kind.as_str() == "biometric_on")
    );

    // Turned off: the key is forgotten and the passphrase is the way in.
    s.disable_biometric().expect("disable");
    assert!(!keys.holds());
    s.wallet.lock();
    let err = s.unlock_biometric(&prompt().to_prompt()).expect_err("off");
    assert_eq!(err.code.as_str(), "biometric_not_enabled");
    s.unlock(Passphrase::from(PASS)).expect("passphrase");
}

/// A new wallet with biometric unlock turned on, unlocked.
fn with_biometric_on() -> (tempfile::TempDir, HeldKey, App) {
    let dir = tempfile::tempdir().expect("dir");
    let keys = HeldKey::default();
    let mut s = service(dir.path()).with_keystore(Box::new(keys.clone()));
    s.create(Passphrase::from(PASS)).expect("create");
    s.enable_biometric(Passphrase::from(PASS), &prompt().to_prompt())
        .expect("enable");
    (dir, keys, s)
}

#[test]
fn a_cancelled_prompt_leaves_the_wallet_locked_and_the_passphrase_works() {
    let (_dir, keys, mut s) = with_biometric_on();
    s.wallet.lock();
    keys.state().cancel_next = true;
    let err = s
        .unlock_biometric(&prompt().to_prompt())
        .expect_err("cancelled");
    assert_eq!(err.code.as_str(), "biometric_cancelled");
    assert!(!s.status().expect("status").unlocked);
    assert!(keys.holds(), "a cancel keeps biometric unlock on");
    s.unlock(Passphrase::from(PASS)).expect("passphrase");
}

#[test]
fn a_passphrase_change_turns_biometric_unlock_off() {
    let (dir, keys, mut s) = with_biometric_on();

    // A wrong current passphrase changes nothing and leaves the wallet unlocked.
    let err = s
        .change_passphrase(
            Passphrase::from("not it at all"),
            Passphrase::from("x2 x2 x2 x2"),
        )
        .expect_err("wrong current");
    assert_eq!(err.code.as_str(), "wrong_passphrase");
    assert!(s.status().expect("status").unlocked);
    assert!(keys.holds());

    // Through the app (while unlocked, as the Backup view does): the stale key is
    // forgotten at once.
    s.change_passphrase(
        Passphrase::from(PASS),
        Passphrase::from("second passphrase 77"),
    )
    .expect("change");
    assert!(!keys.holds());
    assert!(!s.status().expect("status").platform.biometric_enabled);

    // Behind the app's back (another copy of the app, an import): the key the keystore
    // still holds is refused as stale, forgotten, and nothing else changes.
    s.enable_biometric(
        Passphrase::from("second passphrase 77"),
        &prompt().to_prompt(),
    )
    .expect("enable again");
    s.wallet.lock();
    let path = dir.path().join("vault.db");
    Vault::open(&path, &Passphrase::from("second passphrase 77"))
        .expect("open")
        .change_passphrase(&Passphrase::from("third passphrase 99"), FAST)
        .expect("change elsewhere");
    let err = s
        .unlock_biometric(&prompt().to_prompt())
        .expect_err("stale");
    assert_eq!(err.code.as_str(), "unlock_key_stale");
    assert!(!keys.holds());
    assert!(!s.status().expect("status").unlocked);
    s.unlock(Passphrase::from("third passphrase 99"))
        .expect("the new passphrase");
}

#[test]
fn desktop_builds_fall_back_to_the_passphrase() {
    let dir = tempfile::tempdir().expect("dir");
    let mut s = service(dir.path());
    s.create(Passphrase::from(PASS)).expect("create");
    let p = s.status().expect("status").platform;
    assert!(!p.biometric_available && !p.biometric_enabled && !p.camera_scan);
    assert_eq!(p.os, citywallet_app::dto::Os::of(std::env::consts::OS));
    assert_eq!(p.biometric_kind, citywallet_app::dto::Biometric::None);
    let err = s
        .enable_biometric(Passphrase::from(PASS), &prompt().to_prompt())
        .expect_err("no keystore");
    assert_eq!(err.code.as_str(), "biometric_unavailable");
    s.wallet.lock();
    let err = s.unlock_biometric(&prompt().to_prompt()).expect_err("none");
    assert_eq!(err.code.as_str(), "biometric_not_enabled");
}

#[test]
fn suspend_and_resume_relock_after_the_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let mut s = service(dir.path());
    s.create(Passphrase::from(PASS)).expect("create");
    s.set_auto_lock(5).expect("five minutes");
    let t0 = SystemTime::now();

    // A minute in the background: still unlocked when the app comes back.
    s.suspended_at(t0);
    assert!(!s.resumed_at(t0 + Duration::from_secs(60)));
    assert!(s.status().expect("status").unlocked);

    // Longer than the timeout in the background: locked on resume.
    s.touch();
    let t1 = SystemTime::now();
    s.suspended_at(t1);
    assert!(s.resumed_at(t1 + Duration::from_secs(6 * 60)));
    assert!(!s.status().expect("status").unlocked);
    assert_eq!(
        s.wallet.identity().expect_err("locked").code().as_str(),
        "locked"
    );

    // The idle check alone, and a clock set back by an hour, lock as well.
    s.unlock(Passphrase::from(PASS)).expect("unlock");
    let t2 = SystemTime::now();
    assert!(!s.lock_if_idle_at(t2 + Duration::from_secs(60)));
    assert!(s.lock_if_idle_at(t2 + Duration::from_secs(5 * 60 + 1)));
    s.unlock(Passphrase::from(PASS)).expect("unlock");
    assert!(s.lock_if_idle_at(SystemTime::now() - Duration::from_secs(3600)));
}

#[test]
fn prompt_texts_are_cut_to_a_sane_length() {
    let long = PromptIn {
        reason: "x".repeat(10_000),
        title: "t".into(),
        cancel: "c".into(),
    };
    assert_eq!(long.to_prompt().reason.chars().count(), PromptIn::MAX_CHARS);
}
