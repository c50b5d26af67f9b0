//! The CityWallet app: Tauri 2 around `citywallet-core` and `citywallet-light-client`.
//!
//! * [`service`]: everything the app does, without Tauri (tested without a window).
//! * [`commands`]: thin typed commands over the service.
//! * [`dto`]: the IPC types; TypeScript types are generated from them.
//! * [`devnet`]: the embedded local devnet, used when no city node is configured.
#![forbid(unsafe_code)]

pub mod commands;
pub mod csv;
pub mod devnet;
pub mod dto;
pub mod error;
pub mod service;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use citywallet_core::vault::KdfParams;
use tauri::{Emitter, Manager};

use commands::AppState;
use service::{Network, Service};

/// Where the chain is: `CITYWALLET_NODES` (primary first, comma-separated) with
/// `CITYWALLET_DEVNET_DATA` (a devnet's data directory, for demo credentials), or else the
/// embedded devnet.
fn network(data_dir: &std::path::Path) -> Result<Network, String> {
    if let Ok(nodes) = std::env::var("CITYWALLET_NODES") {
        let mut urls = nodes
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        let primary = urls.next().ok_or("CITYWALLET_NODES names no node")?;
        return Ok(Network {
            primary,
            witnesses: urls.collect(),
            embedded: false,
            devnet_data: std::env::var_os("CITYWALLET_DEVNET_DATA").map(PathBuf::from),
        });
    }
    let e = devnet::start(data_dir)?;
    Ok(Network {
        primary: e.primary,
        witnesses: vec![e.witness],
        embedded: true,
        devnet_data: Some(e.data),
    })
}

/// When the process started, for the startup figure (`CITYWALLET_STARTUP_LOG=1`).
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// The data directory: on desktop `--data-dir PATH`, else `CITYWALLET_DATA_DIR`, else the
/// platform's app data directory (~/.local/share/org.citywallet.app on Linux). The phone
/// builds always use the app's private data directory (Android `/data/user/0/<app id>`,
/// iOS `Library/Application Support/<app id>` in the app's sandbox).
fn data_dir<R: tauri::Runtime>(app: &tauri::App<R>) -> tauri::Result<PathBuf> {
    #[cfg(desktop)]
    {
        let args: Vec<String> = std::env::args().collect();
        let chosen = args
            .iter()
            .position(|a| a == "--data-dir")
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("CITYWALLET_DATA_DIR").map(PathBuf::from));
        if let Some(d) = chosen {
            return Ok(d);
        }
    }
    app.path().app_data_dir()
}

/// Tell the UI the vault locked.
fn locked<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    let _ = app.emit("locked", ());
}

/// Start the app.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    let builder = citywallet_mobile::plugins(tauri::Builder::default());
    // Phones: note when the app goes to the background; on return, lock when it was away
    // longer than the auto-lock period (measured by the wall clock, which keeps counting
    // while the device sleeps).
    let builder = citywallet_mobile::lifecycle::on_lifecycle(builder, |app, event| {
        use citywallet_mobile::lifecycle::Lifecycle;
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        let now = std::time::SystemTime::now();
        // This runs on the UI thread: never wait behind a long command (a sync). A busy
        // service is in use, and the timer thread and the next command check the idle
        // lock anyway.
        let Ok(mut s) = state.0.try_lock() else {
            return;
        };
        let just_locked = match event {
            Lifecycle::Suspended => {
                s.suspended_at(now);
                false
            }
            Lifecycle::Resumed => s.resumed_at(now),
        };
        drop(s);
        if just_locked {
            locked(app);
        }
    });
    builder
        .setup(|app| {
            let data_dir = data_dir(app)?;
            std::fs::create_dir_all(&data_dir)?;
            let network = network(&data_dir)?;
            let service = Service::new(data_dir, network, KdfParams::RECOMMENDED);
            let keystore =
                citywallet_mobile::keystore::platform(app.handle(), &service.vault_file());
            let state = AppState(Arc::new(Mutex::new(service.with_keystore(keystore))));
            app.manage(state.clone());
            // Auto-lock: check every few seconds; tell the UI when it locked.
            let handle = app.handle().clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    let just_locked = state
                        .0
                        .lock()
                        .map(|mut s| s.lock_if_idle())
                        .unwrap_or(false);
                    if just_locked {
                        locked(&handle);
                    }
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::passphrase_strength,
            commands::create_wallet,
            commands::recover_wallet,
            commands::unlock,
            commands::unlock_biometric,
            commands::enable_biometric,
            commands::disable_biometric,
            commands::lock,
            commands::change_passphrase,
            commands::reveal_words,
            commands::confirm_words,
            commands::set_auto_lock,
            commands::identity,
            commands::credentials,
            commands::credential,
            commands::request_demo_credential,
            commands::present,
            commands::new_challenge,
            commands::verify_presentation,
            commands::sync_chain,
            commands::chain_status,
            commands::reanchor,
            commands::submit_report,
            commands::reports,
            commands::receipt,
            commands::organisations,
            commands::create_grant,
            commands::revoke_grant,
            commands::grants,
            commands::activity,
            commands::export_vault,
            commands::import_vault,
            commands::pending_reports,
            commands::review_report,
            commands::provision_device,
            commands::provision_csv,
            commands::devices,
            commands::revoke_device,
            commands::export_bundle,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("citywallet-app: {e}");
            std::process::exit(1);
        });
}
