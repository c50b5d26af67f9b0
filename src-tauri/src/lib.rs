//! The CityWallet app: Tauri 2 around `citywallet-wallet`, which does every flow.
//!
//! * [`app`]: the wallet with what only the app has (idle lock, keystore, demo issuers).
//! * [`commands`]: thin typed commands, one wallet call each.
//! * [`dto`]: the app's own IPC types (the rest are the wallet's); TypeScript types are
//!   generated from both.
//! * [`devnet`]: the embedded local devnet, used when no city node is configured.
#![forbid(unsafe_code)]

pub mod app;
pub mod commands;
pub mod desk;
#[cfg(desktop)]
pub mod devnet;
#[cfg(mobile)]
#[path = "devnet_phone.rs"]
pub mod devnet;
pub mod dto;

use std::path::PathBuf;
use std::time::Duration;

use citywallet_core::vault::KdfParams;
use tauri::{Emitter, Manager};

use app::{App, AppNetwork};
use commands::AppState;

/// Where the chain is: `CITYWALLET_NODES` (primary first, comma-separated) with
/// `CITYWALLET_DEVNET_DATA` (a devnet's data directory, for demo credentials), or else the
/// embedded devnet.
fn network(data_dir: &std::path::Path) -> Result<AppNetwork, String> {
    if let Ok(nodes) = std::env::var("CITYWALLET_NODES") {
        let mut urls = nodes
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        let primary = urls.next().ok_or("CITYWALLET_NODES names no node")?;
        return Ok(AppNetwork {
            nodes: citywallet_wallet::Network {
                primary,
                witnesses: urls.collect(),
            },
            embedded: false,
            devnet_data: std::env::var_os("CITYWALLET_DEVNET_DATA").map(PathBuf::from),
        });
    }
    let e = devnet::start(data_dir)?;
    Ok(AppNetwork {
        nodes: citywallet_wallet::Network {
            primary: e.primary,
            witnesses: vec![e.witness],
        },
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

/// Phones: note when the app goes to the background; on return, lock when it was away
/// longer than the auto-lock period (measured by the wall clock, which keeps counting while
/// the device sleeps).
fn on_lifecycle<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    event: citywallet_mobile::lifecycle::Lifecycle,
) {
    use citywallet_mobile::lifecycle::Lifecycle;
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let now = std::time::SystemTime::now();
    // This runs on the UI thread: never wait behind a long command (a sync). A busy app is
    // in use, and the timer thread and the next command check the idle lock anyway.
    let Ok(mut s) = state.app.try_lock() else {
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
}

/// The app's state, and the auto-lock timer: a check every second (it never waits behind a
/// running command), and the UI told when it locked.
fn setup<R: tauri::Runtime>(app: &mut tauri::App<R>) -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = data_dir(app)?;
    // The data folder is the wallet's own: owner only (0700), even if an older version or
    // the platform made it 0755.
    citywallet_files::own_private_dir(&data_dir)?;
    let network = network(&data_dir)?;
    let inner = App::new(data_dir, network, KdfParams::RECOMMENDED);
    let keystore = citywallet_mobile::keystore::platform(app.handle(), inner.wallet.vault_path());
    let state = AppState::new(inner.with_keystore(keystore));
    app.manage(state.clone());
    let handle = app.handle().clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let just_locked = state.lock_if_idle_at(std::time::SystemTime::now());
            if just_locked {
                locked(&handle);
            }
        }
    });
    Ok(())
}

/// Start the app.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    let builder = citywallet_mobile::plugins(tauri::Builder::default());
    citywallet_mobile::lifecycle::on_lifecycle(builder, on_lifecycle)
        .setup(setup)
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
            commands::import_credential,
            commands::preview_offer,
            commands::accept_offer,
            commands::renew_credential,
            commands::preview_request,
            commands::preview_challenge,
            commands::answer_request,
            commands::refuse_request,
            commands::delete_credential,
            commands::request_demo_credential,
            commands::present,
            commands::new_challenge,
            commands::verify_presentation,
            commands::ask_forms,
            commands::officer_ask,
            commands::request_outcome,
            commands::sync_chain,
            commands::chain_status,
            commands::reanchor,
            commands::trust_at,
            commands::trust_anchor,
            commands::nodes,
            commands::add_node,
            commands::remove_node,
            commands::settings,
            commands::set_setting,
            commands::report_form,
            commands::submit_report,
            commands::reports,
            commands::receipt,
            commands::organisations,
            commands::create_grant,
            commands::revoke_grant,
            commands::grant_uses,
            commands::restore_from_chain,
            commands::grants,
            commands::activity,
            commands::export_vault,
            commands::import_vault,
            commands::pending_reports,
            commands::review_report,
            commands::provision_device,
            commands::provision_csv,
            commands::devices,
            commands::department_devices,
            commands::revoke_device,
            commands::export_bundle,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("citywallet-app: {e}");
            std::process::exit(1);
        });
}
