//! The app's state around the wallet: the [`Wallet`] itself (every flow), the idle lock,
//! the platform keystore for biometric unlock, and the devnet's demo issuers when the app
//! knows a devnet. No flow lives here: each method is one wallet call plus what only the
//! app has (the keystore, the idle clock, its data directory).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::{KdfParams, Passphrase, UnlockKey, VaultEvent};
use citywallet_demo::Demo;
use citywallet_mobile::keystore::{self, KeyStore, Prompt};
use citywallet_mobile::lifecycle::IdleClock;
use citywallet_wallet::dto::{CredentialItem, ErrorInfo};
use citywallet_wallet::{ErrorCode, HttpConnect, Network, SystemClock, Wallet, WalletErrorCode};
use serde_json::json;

use crate::dto::{AppStatus, NetworkInfo, PlatformInfo};

/// `Result` with the error the UI gets.
pub type AppResult<T> = Result<T, ErrorInfo>;

/// A keystore refusal as the UI gets it.
pub fn keystore_error(e: keystore::Error) -> ErrorInfo {
    ErrorInfo::new(ErrorCode::of(e.code()), e.to_string())
}

fn demo_error(e: citywallet_demo::Error) -> ErrorInfo {
    ErrorInfo::new(ErrorCode::of(e.code()), e.to_string())
}

/// Where the chain is, as the app was started.
#[derive(Debug, Clone)]
pub struct AppNetwork {
    /// The nodes used while the vault names none.
    pub nodes: Network,
    /// The app runs this devnet itself.
    pub embedded: bool,
    /// The devnet's data directory (its demo issuers and admin), when known.
    pub devnet_data: Option<PathBuf>,
}

/// The app's state.
pub struct App {
    /// The wallet: every flow.
    pub wallet: Wallet,
    data_dir: PathBuf,
    network: AppNetwork,
    idle: Arc<Mutex<IdleClock>>,
    keystore: Box<dyn KeyStore>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("wallet", &self.wallet)
            .field("network", &self.network)
            .field("keystore", &self.keystore)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The app with its vault in `data_dir/vault.db`, on `network`.
    pub fn new(data_dir: PathBuf, network: AppNetwork, kdf: KdfParams) -> Self {
        let wallet = Wallet::new(
            &data_dir.join("vault.db"),
            kdf,
            network.nodes.clone(),
            Arc::new(HttpConnect),
            Arc::new(SystemClock),
        );
        Self {
            wallet,
            data_dir,
            network,
            idle: Arc::new(Mutex::new(IdleClock::new(
                Duration::from_secs(5 * 60),
                SystemTime::now(),
            ))),
            keystore: Box::new(keystore::Unsupported),
        }
    }

    /// Use `keystore` for biometric unlock (the phone builds pass the platform's).
    pub fn with_keystore(mut self, keystore: Box<dyn KeyStore>) -> Self {
        self.keystore = keystore;
        self
    }

    /// The wallet for an officer's operation (the challenge, a verification, the review
    /// queue, a review): refused with `role_credential_missing` unless the wallet holds an
    /// officer credential. Every such command goes through here, so what the UI hides is
    /// refused in Rust as well.
    pub fn as_officer(&mut self) -> AppResult<&mut Wallet> {
        self.as_role(CredentialType::Officer)
    }

    /// The wallet for a technician's operation (provisioning, the device list, a
    /// revocation, a bundle), as [`App::as_officer`] for the technician credential.
    pub fn as_technician(&mut self) -> AppResult<&mut Wallet> {
        self.as_role(CredentialType::Technician)
    }

    fn as_role(&mut self, kind: CredentialType) -> AppResult<&mut Wallet> {
        self.wallet.require_credential(kind)?;
        Ok(&mut self.wallet)
    }

    /// As a technician, write device `device_id`'s bundle into the exports folder and
    /// return its path. The device is looked up first and the file named from its stored
    /// id, so a `device_id` such as `../../x` names no device and no path.
    pub fn export_bundle(
        &mut self,
        device_id: &str,
        device_passphrase: &Passphrase,
    ) -> AppResult<PathBuf> {
        let name = self.as_technician()?.bundle_file_name(device_id)?;
        let dest = self.export_path(&name)?;
        self.wallet
            .export_bundle(device_id, device_passphrase, &dest)?;
        Ok(dest)
    }

    /// Where exports and device bundles are written, `name` in it.
    pub fn export_path(&self, name: &str) -> AppResult<PathBuf> {
        let d = self.data_dir.join("exports");
        citywallet_files::own_private_dir(&d).map_err(|e| {
            ErrorInfo::new(
                ErrorCode::Core(citywallet_core::ErrorCode::Io),
                format!("{}: {e}", d.display()),
            )
        })?;
        Ok(d.join(name))
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, IdleClock> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Note user activity (resets the auto-lock timer).
    pub fn touch(&mut self) {
        self.idle().touch(SystemTime::now());
    }

    /// Lock when idle for longer than the auto-lock period; true when it just locked.
    pub fn lock_if_idle(&mut self) -> bool {
        self.lock_if_idle_at(SystemTime::now())
    }

    /// [`App::lock_if_idle`] at a given wall-clock time.
    pub fn lock_if_idle_at(&mut self, now: SystemTime) -> bool {
        let locks = self.wallet.is_unlocked() && self.idle().expired(now);
        if locks {
            self.wallet.lock();
        }
        locks
    }

    /// The app went to the background.
    pub fn suspended_at(&mut self, now: SystemTime) {
        self.idle().suspend(now);
    }

    /// The app came back; locks when it was away (or idle) past the timeout. True when
    /// it just locked.
    pub fn resumed_at(&mut self, now: SystemTime) -> bool {
        let locks = self.idle().resume(now) && self.wallet.is_unlocked();
        if locks {
            self.wallet.lock();
        }
        locks
    }

    /// Set the auto-lock period.
    pub fn set_auto_lock(&mut self, minutes: u32) -> AppResult<()> {
        if !(1..=240).contains(&minutes) {
            return Err(citywallet_wallet::Error::AutoLockRange { min: 1, max: 240 }.into());
        }
        self.idle()
            .set_timeout(Duration::from_secs(u64::from(minutes) * 60));
        Ok(())
    }

    /// The app's state for the shell.
    pub fn status(&self) -> AppResult<AppStatus> {
        let unlocked = self.wallet.is_unlocked();
        let nodes = match unlocked {
            true => self.wallet.nodes_out().ok(),
            false => None,
        };
        Ok(AppStatus {
            vault_exists: self.wallet.vault_exists(),
            unlocked,
            did: unlocked
                .then(|| self.wallet.identity_info().map(|i| i.did))
                .transpose()?,
            officer: unlocked && self.wallet.is_officer()?,
            technician: unlocked && self.wallet.is_technician()?,
            auto_lock_minutes: (self.idle().timeout().as_secs() / 60) as u32,
            network: NetworkInfo {
                primary: nodes
                    .as_ref()
                    .map_or(self.network.nodes.primary.clone(), |n| n.primary.clone()),
                witnesses: nodes.map_or(self.network.nodes.witnesses.clone(), |n| n.witnesses),
                embedded_devnet: self.network.embedded,
                demo_issuers: self.network.devnet_data.is_some(),
            },
            platform: self.platform_info(),
        })
    }

    /// Create a wallet with a new phrase; onboarding reveals it next (`reveal_words`).
    pub fn create(&mut self, passphrase: Passphrase) -> AppResult<()> {
        self.wallet.create(&passphrase, "")?;
        self.touch();
        Ok(())
    }

    /// Unlock with the passphrase.
    pub fn unlock(&mut self, passphrase: Passphrase) -> AppResult<()> {
        self.wallet.unlock(&passphrase)?;
        self.touch();
        Ok(())
    }

    /// Change the passphrase. A key kept for biometric unlock no longer opens the vault
    /// afterwards, so it is forgotten; the user turns biometric unlock on again.
    pub fn change_passphrase(&mut self, current: Passphrase, new: Passphrase) -> AppResult<()> {
        self.wallet.change_passphrase(&current, &new)?;
        if self.keystore.holds() {
            self.keystore.forget().map_err(keystore_error)?;
            self.wallet.log(
                VaultEvent::BiometricOff,
                &json!({ "why": "passphrase_changed" }),
            )?;
        }
        Ok(())
    }

    /// This build's platform and its biometric keystore.
    pub fn platform_info(&self) -> PlatformInfo {
        let p = citywallet_mobile::Platform::current();
        let a = self.keystore.availability();
        PlatformInfo {
            os: crate::dto::Os::of(p.os),
            mobile: p.mobile,
            camera_scan: p.camera_scan,
            biometric_available: a.available,
            biometric_kind: a.kind.into(),
            biometric_enabled: self.keystore.holds(),
        }
    }

    /// Turn biometric unlock on: the passphrase is asked again, then the vault key goes to
    /// the platform keystore (which may prompt for biometrics).
    pub fn enable_biometric(&mut self, passphrase: Passphrase, prompt: &Prompt) -> AppResult<()> {
        let key = self.wallet.unlock_key(&passphrase)?;
        self.keystore
            .store(&key.to_hex(), prompt)
            .map_err(keystore_error)?;
        Ok(self.wallet.log(VaultEvent::BiometricOn, &json!({}))?)
    }

    /// Turn biometric unlock off: the platform forgets the key.
    pub fn disable_biometric(&mut self) -> AppResult<()> {
        self.keystore.forget().map_err(keystore_error)?;
        if self.wallet.is_unlocked() {
            self.wallet
                .log(VaultEvent::BiometricOff, &json!({ "why": "user" }))?;
        }
        Ok(())
    }

    /// Unlock with biometrics. A key from before a passphrase change is forgotten and
    /// `unlock_key_stale` returned; the passphrase always remains the way in.
    pub fn unlock_biometric(&mut self, prompt: &Prompt) -> AppResult<()> {
        let hex = self.keystore.release(prompt).map_err(keystore_error)?;
        let key = UnlockKey::from_hex(&hex).map_err(citywallet_wallet::Error::from)?;
        match self.wallet.unlock_with_key(&key) {
            Ok(()) => {
                self.touch();
                Ok(())
            }
            Err(e) => {
                if e.code() == ErrorCode::Core(citywallet_core::ErrorCode::UnlockKeyStale) {
                    self.keystore.forget().map_err(keystore_error)?;
                }
                Err(e.into())
            }
        }
    }

    /// Ask the devnet's demo issuers for a credential of `kind`, a `private` one or not
    /// (officer and technician ones come with the role, enrolled by the devnet's admin and
    /// proven by the wallet).
    pub fn demo_credential(&mut self, kind: &str, private: bool) -> AppResult<CredentialItem> {
        let data = self.network.devnet_data.as_ref().ok_or_else(|| {
            ErrorInfo::new(
                WalletErrorCode::NoDemoIssuer.into(),
                "demo credentials come from a local devnet, which this app is not using",
            )
        })?;
        let primary = self.wallet.nodes_out()?.primary;
        let demo = Demo::new(data, &primary);
        let now = tendermint::Time::now().unix_timestamp();
        citywallet_demo::request_as(&demo, &mut self.wallet, kind, private, now).map_err(demo_error)
    }
}

/// The app as the commands and the auto-lock timer share it. The idle clock and the wallet's
/// network budget sit beside the app's lock, so locking never waits behind a sync or an
/// action: it stops the running operation first ([`Shared::lock_now`]).
#[derive(Clone, Debug)]
pub struct Shared {
    /// The app; a command holds this for its whole run.
    pub app: Arc<Mutex<App>>,
    /// The officer's verifier desk.
    pub desk: Arc<crate::desk::Desk>,
    idle: Arc<Mutex<IdleClock>>,
    budget: Arc<citywallet_wallet::Budget>,
}

impl Shared {
    /// Share `app`.
    pub fn new(app: App) -> Self {
        Self {
            idle: app.idle.clone(),
            budget: app.wallet.budget(),
            app: Arc::new(Mutex::new(app)),
            desk: Arc::default(),
        }
    }

    /// The officer's desk URL (its server started on first use).
    pub fn desk_url(&self) -> AppResult<String> {
        self.desk.url(&self.app)
    }

    /// The app, for one command (waits for the one running).
    pub fn app(&self) -> std::sync::MutexGuard<'_, App> {
        self.app
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lock now, even while a sync or an action runs: its network wait is stopped first
    /// (it ends with `operation_cancelled` at its next look, within a tenth of a second of
    /// waiting), then the vault is closed. True when the wallet was unlocked.
    pub fn lock_now(&self) -> bool {
        self.budget.cancel();
        let mut app = self.app();
        let was = app.wallet.is_unlocked();
        app.wallet.lock();
        was
    }

    /// Lock when idle past the auto-lock period, judged without waiting for a running
    /// command; true when it just locked.
    pub fn lock_if_idle_at(&self, now: SystemTime) -> bool {
        let expired = self.idle.lock().map(|i| i.expired(now)).unwrap_or(true);
        expired && self.lock_now()
    }
}
