//! The Tauri commands: each takes typed input, runs one [`Service`] method off the UI thread,
//! and returns its typed result or a tagged [`AppError`]. No logic lives here.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use citywallet_core::vault::Passphrase;
use tauri::{AppHandle, Emitter, State};
use zeroize::Zeroizing;

use crate::dto::*;
use crate::error::{AppResult, fail};
use crate::service::Service;

/// The service, shared by the commands and the auto-lock timer.
#[derive(Clone, Debug)]
pub struct AppState(pub Arc<Mutex<Service>>);

async fn run<T: Send + 'static>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Service) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let svc = state.0.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut s = svc
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Lock first when the user was away too long (a phone resumed from the background
        // may run a command before any timer fires), then count this as activity.
        s.lock_if_idle();
        s.touch();
        f(&mut s)
    })
    .await
    .map_err(|e| fail("internal", e.to_string()))?
}

fn secret(s: String) -> Passphrase {
    Passphrase::new(s)
}

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> AppResult<AppStatus> {
    // The UI asks for the status as its first screen mounts: the cold-start figure.
    static FIRST: std::sync::Once = std::sync::Once::new();
    FIRST.call_once(|| {
        if std::env::var_os("CITYWALLET_STARTUP_LOG").is_some()
            && let Some(t) = crate::STARTED.get()
        {
            eprintln!(
                "citywallet-app: first screen after {} ms",
                t.elapsed().as_millis()
            );
        }
    });
    run(&state, Service::status).await
}

#[tauri::command]
pub fn passphrase_strength(passphrase: String) -> Strength {
    let p = Zeroizing::new(passphrase);
    Service::strength(&p)
}

#[tauri::command]
pub async fn create_wallet(state: State<'_, AppState>, passphrase: String) -> AppResult<()> {
    run(&state, move |s| s.create(secret(passphrase))).await
}

#[tauri::command]
pub async fn recover_wallet(
    state: State<'_, AppState>,
    phrase: String,
    passphrase: String,
) -> AppResult<()> {
    run(&state, move |s| {
        s.recover(Zeroizing::new(phrase), secret(passphrase))
    })
    .await
}

#[tauri::command]
pub async fn enable_biometric(
    state: State<'_, AppState>,
    passphrase: String,
    prompt: PromptIn,
) -> AppResult<()> {
    run(&state, move |s| {
        s.enable_biometric(secret(passphrase), &prompt.to_prompt())
    })
    .await
}

#[tauri::command]
pub async fn disable_biometric(state: State<'_, AppState>) -> AppResult<()> {
    run(&state, Service::disable_biometric).await
}

#[tauri::command]
pub async fn unlock_biometric(state: State<'_, AppState>, prompt: PromptIn) -> AppResult<()> {
    run(&state, move |s| s.unlock_biometric(&prompt.to_prompt())).await
}

#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, passphrase: String) -> AppResult<()> {
    run(&state, move |s| s.unlock(secret(passphrase))).await
}

#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> AppResult<()> {
    run(&state, |s| {
        s.lock();
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn change_passphrase(
    state: State<'_, AppState>,
    current: String,
    new: String,
) -> AppResult<()> {
    run(&state, move |s| {
        s.change_passphrase(secret(current), secret(new))
    })
    .await
}

#[tauri::command]
pub async fn reveal_words(state: State<'_, AppState>, passphrase: String) -> AppResult<Words> {
    run(&state, move |s| s.reveal_words(secret(passphrase))).await
}

#[tauri::command]
pub async fn confirm_words(state: State<'_, AppState>, checks: Vec<WordCheck>) -> AppResult<()> {
    run(&state, move |s| s.confirm_words(&checks)).await
}

#[tauri::command]
pub async fn set_auto_lock(state: State<'_, AppState>, minutes: u32) -> AppResult<()> {
    run(&state, move |s| s.set_auto_lock(minutes)).await
}

#[tauri::command]
pub async fn identity(state: State<'_, AppState>) -> AppResult<Identity> {
    run(&state, Service::identity).await
}

#[tauri::command]
pub async fn credentials(state: State<'_, AppState>) -> AppResult<Vec<CredentialItem>> {
    run(&state, Service::credentials).await
}

#[tauri::command]
pub async fn credential(state: State<'_, AppState>, id: String) -> AppResult<CredentialDetail> {
    run(&state, move |s| s.credential(&id)).await
}

#[tauri::command]
pub async fn request_demo_credential(
    state: State<'_, AppState>,
    kind: String,
) -> AppResult<CredentialItem> {
    run(&state, move |s| s.request_demo_credential(&kind)).await
}

#[tauri::command]
pub async fn present(
    state: State<'_, AppState>,
    credential_id: String,
    disclose: Vec<String>,
    challenge: String,
) -> AppResult<PresentationOut> {
    run(&state, move |s| {
        s.present(&credential_id, &disclose, &challenge)
    })
    .await
}

#[tauri::command]
pub async fn new_challenge(state: State<'_, AppState>) -> AppResult<ChallengeOut> {
    run(&state, Service::new_challenge).await
}

#[tauri::command]
pub async fn verify_presentation(
    state: State<'_, AppState>,
    presentation: String,
    challenge: String,
    offline: bool,
) -> AppResult<VerdictOut> {
    run(&state, move |s| {
        s.verify(&presentation, &challenge, offline)
    })
    .await
}

#[tauri::command]
pub async fn sync_chain(app: AppHandle, state: State<'_, AppState>) -> AppResult<ChainStatus> {
    run(&state, move |s| {
        s.sync(&mut |p| {
            let _ = app.emit("sync-progress", p);
        })
    })
    .await
}

#[tauri::command]
pub async fn chain_status(state: State<'_, AppState>) -> AppResult<ChainStatus> {
    run(&state, Service::chain_status).await
}

#[tauri::command]
pub async fn reanchor(state: State<'_, AppState>) -> AppResult<ChainStatus> {
    run(&state, Service::reanchor).await
}

#[tauri::command]
pub async fn submit_report(state: State<'_, AppState>, report: ReportIn) -> AppResult<ReceiptOut> {
    run(&state, move |s| s.submit_report(&report)).await
}

#[tauri::command]
pub async fn reports(state: State<'_, AppState>) -> AppResult<ReportsOut> {
    run(&state, Service::reports).await
}

#[tauri::command]
pub async fn receipt(state: State<'_, AppState>, subject: String) -> AppResult<ReceiptOut> {
    run(&state, move |s| s.receipt(&subject)).await
}

#[tauri::command]
pub async fn organisations(state: State<'_, AppState>) -> AppResult<Vec<OrgItem>> {
    run(&state, Service::organisations).await
}

#[tauri::command]
pub async fn create_grant(state: State<'_, AppState>, grant: GrantIn) -> AppResult<ReceiptOut> {
    run(&state, move |s| s.create_grant(&grant)).await
}

#[tauri::command]
pub async fn revoke_grant(state: State<'_, AppState>, id: String) -> AppResult<ReceiptOut> {
    run(&state, move |s| s.revoke_grant(&id)).await
}

#[tauri::command]
pub async fn grants(state: State<'_, AppState>) -> AppResult<Vec<GrantItem>> {
    run(&state, Service::grants).await
}

#[tauri::command]
pub async fn activity(state: State<'_, AppState>) -> AppResult<Vec<ActivityItem>> {
    run(&state, Service::activity).await
}

#[tauri::command]
pub async fn export_vault(state: State<'_, AppState>) -> AppResult<String> {
    run(&state, |s| {
        let dest = s.exports_dir()?.join(format!(
            "citywallet-{}.cwexport",
            tendermint::Time::now().unix_timestamp()
        ));
        s.export_vault(&dest)?;
        Ok(dest.display().to_string())
    })
    .await
}

#[tauri::command]
pub async fn import_vault(
    state: State<'_, AppState>,
    path: String,
    passphrase: String,
) -> AppResult<()> {
    run(&state, move |s| {
        s.import_vault(&PathBuf::from(path), secret(passphrase))
    })
    .await
}

#[tauri::command]
pub async fn pending_reports(state: State<'_, AppState>) -> AppResult<Vec<ChainReportItem>> {
    run(&state, Service::pending_reports).await
}

#[tauri::command]
pub async fn review_report(
    state: State<'_, AppState>,
    id: String,
    accept: bool,
    reward: u64,
) -> AppResult<ReceiptOut> {
    run(&state, move |s| s.review_report(&id, accept, reward)).await
}

#[tauri::command]
pub async fn provision_device(
    state: State<'_, AppState>,
    device: DeviceIn,
) -> AppResult<DeviceItem> {
    run(&state, move |s| s.provision(&device)).await
}

#[tauri::command]
pub async fn provision_csv(
    app: AppHandle,
    state: State<'_, AppState>,
    csv: String,
) -> AppResult<Vec<ProvisionRow>> {
    run(&state, move |s| {
        s.provision_csv(&csv, &mut |p| {
            let _ = app.emit("provision-progress", p);
        })
    })
    .await
}

#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> AppResult<Vec<DeviceItem>> {
    run(&state, Service::devices).await
}

#[tauri::command]
pub async fn revoke_device(state: State<'_, AppState>, id: String) -> AppResult<ReceiptOut> {
    run(&state, move |s| s.revoke_device(&id)).await
}

#[tauri::command]
pub async fn export_bundle(
    state: State<'_, AppState>,
    device_id: String,
    device_passphrase: String,
) -> AppResult<String> {
    run(&state, move |s| {
        let dest = s.exports_dir()?.join(format!("{device_id}.cwbundle"));
        s.export_bundle(&device_id, secret(device_passphrase), &dest)?;
        Ok(dest.display().to_string())
    })
    .await
}
