//! The Tauri commands: each takes typed input, makes one wallet (or app) call off the UI
//! thread, and returns its typed result or an [`ErrorInfo`]. No logic lives here.

use std::path::PathBuf;

use citywallet_core::vault::{NodeRole, Passphrase};
use citywallet_wallet::dto::*;
use citywallet_wallet::{Check, ErrorCode, Wallet};
use tauri::{AppHandle, Emitter, State};
use zeroize::Zeroizing;

use crate::app::{App, AppResult};
use crate::dto::{AppStatus, PromptIn};

/// The app, shared by the commands and the auto-lock timer.
pub type AppState = crate::app::Shared;

async fn run<T: Send + 'static>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut App) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let shared = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut a = shared.app();
        // Lock first when the user was away too long (a phone resumed from the background
        // may run a command before any timer fires), then count this as activity.
        a.lock_if_idle();
        a.touch();
        f(&mut a)
    })
    .await
    .map_err(|e| ErrorInfo::new(ErrorCode::INTERNAL, e.to_string()))?
}

/// [`run`] for an officer's wallet call ([`App::as_officer`]).
async fn officer<T: Send + 'static>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Wallet) -> citywallet_wallet::Result<T> + Send + 'static,
) -> AppResult<T> {
    run(state, move |a| f(a.as_officer()?).map_err(ErrorInfo::from)).await
}

/// [`run`] for a technician's wallet call ([`App::as_technician`]).
async fn technician<T: Send + 'static>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Wallet) -> citywallet_wallet::Result<T> + Send + 'static,
) -> AppResult<T> {
    run(state, move |a| {
        f(a.as_technician()?).map_err(ErrorInfo::from)
    })
    .await
}

/// [`run`] for a wallet call.
async fn wallet<T: Send + 'static>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Wallet) -> citywallet_wallet::Result<T> + Send + 'static,
) -> AppResult<T> {
    run(state, move |a| f(&mut a.wallet).map_err(ErrorInfo::from)).await
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
    run(&state, |a| a.status()).await
}

#[tauri::command]
pub fn passphrase_strength(passphrase: String) -> Strength {
    citywallet_wallet::strength(&Zeroizing::new(passphrase))
}

#[tauri::command]
pub async fn create_wallet(state: State<'_, AppState>, passphrase: String) -> AppResult<()> {
    run(&state, move |a| a.create(secret(passphrase))).await
}

#[tauri::command]
pub async fn recover_wallet(
    state: State<'_, AppState>,
    phrase: String,
    passphrase: String,
) -> AppResult<()> {
    wallet(&state, move |w| {
        w.recover(&Zeroizing::new(phrase), &secret(passphrase), "")
    })
    .await
}

#[tauri::command]
pub async fn enable_biometric(
    state: State<'_, AppState>,
    passphrase: String,
    prompt: PromptIn,
) -> AppResult<()> {
    run(&state, move |a| {
        a.enable_biometric(secret(passphrase), &prompt.to_prompt())
    })
    .await
}

#[tauri::command]
pub async fn disable_biometric(state: State<'_, AppState>) -> AppResult<()> {
    run(&state, App::disable_biometric).await
}

#[tauri::command]
pub async fn unlock_biometric(state: State<'_, AppState>, prompt: PromptIn) -> AppResult<()> {
    run(&state, move |a| a.unlock_biometric(&prompt.to_prompt())).await
}

#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, passphrase: String) -> AppResult<()> {
    run(&state, move |a| a.unlock(secret(passphrase))).await
}

/// Lock at once, stopping a running sync or action first (it does not wait for it).
#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> AppResult<()> {
    let shared = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || shared.lock_now())
        .await
        .map(|_| ())
        .map_err(|e| ErrorInfo::new(ErrorCode::INTERNAL, e.to_string()))
}

#[tauri::command]
pub async fn change_passphrase(
    state: State<'_, AppState>,
    current: String,
    new: String,
) -> AppResult<()> {
    run(&state, move |a| {
        a.change_passphrase(secret(current), secret(new))
    })
    .await
}

#[tauri::command]
pub async fn reveal_words(state: State<'_, AppState>, passphrase: String) -> AppResult<Words> {
    wallet(&state, move |w| w.reveal_words(&secret(passphrase))).await
}

#[tauri::command]
pub async fn confirm_words(state: State<'_, AppState>, checks: Vec<WordCheck>) -> AppResult<()> {
    wallet(&state, move |w| w.confirm_words(&checks)).await
}

#[tauri::command]
pub async fn set_auto_lock(state: State<'_, AppState>, minutes: u32) -> AppResult<()> {
    run(&state, move |a| a.set_auto_lock(minutes)).await
}

#[tauri::command]
pub async fn identity(state: State<'_, AppState>) -> AppResult<Identity> {
    wallet(&state, |w| w.identity()).await
}

#[tauri::command]
pub async fn credentials(state: State<'_, AppState>) -> AppResult<Vec<CredentialItem>> {
    wallet(&state, |w| w.credentials()).await
}

#[tauri::command]
pub async fn credential(state: State<'_, AppState>, id: String) -> AppResult<CredentialDetail> {
    wallet(&state, move |w| w.credential(&id)).await
}

#[tauri::command]
pub async fn import_credential(
    state: State<'_, AppState>,
    json: String,
) -> AppResult<CredentialItem> {
    wallet(&state, move |w| w.import_credential(json.trim().as_bytes())).await
}

#[tauri::command]
pub async fn preview_offer(state: State<'_, AppState>, offer: String) -> AppResult<OfferPreview> {
    wallet(&state, move |w| w.preview_offer(&offer)).await
}

#[tauri::command]
pub async fn accept_offer(
    state: State<'_, AppState>,
    offer: String,
    tx_code: Option<String>,
    private: bool,
) -> AppResult<CredentialItem> {
    wallet(&state, move |w| {
        w.take_offer(&offer, tx_code.as_deref(), private)
    })
    .await
}

#[tauri::command]
pub async fn renew_credential(state: State<'_, AppState>, id: String) -> AppResult<CredentialItem> {
    wallet(&state, move |w| w.refresh_private(&id)).await
}

#[tauri::command]
pub async fn preview_request(
    state: State<'_, AppState>,
    request: String,
) -> AppResult<citywallet_wallet::oid4vp::RequestPreview> {
    wallet(&state, move |w| w.preview_request(&request)).await
}

#[tauri::command]
pub async fn preview_challenge(
    state: State<'_, AppState>,
    challenge: String,
) -> AppResult<citywallet_wallet::oid4vp::ChallengePreview> {
    wallet(&state, move |w| w.preview_challenge(&challenge)).await
}

#[tauri::command]
pub async fn answer_request(
    state: State<'_, AppState>,
    request: String,
    choose: std::collections::BTreeMap<String, String>,
) -> AppResult<Vec<citywallet_wallet::oid4vp::Candidate>> {
    wallet(&state, move |w| w.answer_request(&request, &choose)).await
}

#[tauri::command]
pub async fn refuse_request(state: State<'_, AppState>, request: String) -> AppResult<()> {
    wallet(&state, move |w| w.refuse_request(&request)).await
}

#[tauri::command]
pub async fn delete_credential(state: State<'_, AppState>, id: String) -> AppResult<()> {
    wallet(&state, move |w| w.delete_credential(&id)).await
}

#[tauri::command]
pub async fn request_demo_credential(
    state: State<'_, AppState>,
    kind: String,
    private: bool,
) -> AppResult<CredentialItem> {
    run(&state, move |a| a.demo_credential(&kind, private)).await
}

#[tauri::command]
pub async fn present(
    state: State<'_, AppState>,
    credential_id: String,
    disclose: Vec<String>,
    challenge: String,
) -> AppResult<PresentationOut> {
    wallet(&state, move |w| {
        w.present_qr(&credential_id, &disclose, &challenge)
    })
    .await
}

#[tauri::command]
pub async fn new_challenge(state: State<'_, AppState>) -> AppResult<ChallengeOut> {
    officer(&state, |w| w.new_challenge(None).map(|(_, out)| out)).await
}

#[tauri::command]
pub async fn verify_presentation(
    state: State<'_, AppState>,
    presentation: String,
    challenge: String,
    offline: bool,
) -> AppResult<VerdictOut> {
    let check = if offline {
        Check::Offline
    } else {
        Check::Online
    };
    officer(&state, move |w| {
        w.verify_text(&presentation, &challenge, check)
    })
    .await
}

#[tauri::command]
pub fn ask_forms() -> Vec<citywallet_wallet::verifier::Ask> {
    citywallet_wallet::verifier::ask_forms()
}

/// An officer's OpenID4VP request, served by the app's verifier desk.
#[tauri::command]
pub async fn officer_ask(
    state: State<'_, AppState>,
    asks: Vec<citywallet_wallet::verifier::Ask>,
) -> AppResult<citywallet_wallet::verifier::CreatedRequest> {
    let url = state.inner().desk_url()?;
    officer(&state, move |w| w.ask(&asks, &url)).await
}

/// What became of an officer's request. A look, not the user's activity: it does not
/// hold off the auto-lock.
#[tauri::command]
pub async fn request_outcome(
    state: State<'_, AppState>,
    id: String,
) -> AppResult<citywallet_wallet::verifier::RequestOutcome> {
    let shared = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        shared
            .app()
            .wallet
            .request_outcome(&id)
            .map_err(ErrorInfo::from)
    })
    .await
    .map_err(|e| ErrorInfo::new(ErrorCode::INTERNAL, e.to_string()))?
}

#[tauri::command]
pub async fn sync_chain(app: AppHandle, state: State<'_, AppState>) -> AppResult<ChainStatus> {
    wallet(&state, move |w| {
        w.sync(&mut |p| {
            let _ = app.emit("sync-progress", p);
        })?;
        w.chain_status()
    })
    .await
}

#[tauri::command]
pub async fn chain_status(state: State<'_, AppState>) -> AppResult<ChainStatus> {
    wallet(&state, |w| w.chain_status()).await
}

#[tauri::command]
pub async fn reanchor(state: State<'_, AppState>) -> AppResult<ChainStatus> {
    wallet(&state, |w| w.reanchor()).await
}

#[tauri::command]
pub async fn trust_at(
    state: State<'_, AppState>,
    height: u64,
    hash: String,
) -> AppResult<TrustedOut> {
    wallet(&state, move |w| w.trust_at(height, &hash)).await
}

#[tauri::command]
pub async fn trust_anchor(state: State<'_, AppState>, anchor: String) -> AppResult<TrustedOut> {
    wallet(&state, move |w| w.trust_anchor(&anchor)).await
}

#[tauri::command]
pub async fn nodes(state: State<'_, AppState>) -> AppResult<NodesOut> {
    wallet(&state, |w| w.nodes_out()).await
}

#[tauri::command]
pub async fn add_node(
    state: State<'_, AppState>,
    url: String,
    witness: bool,
) -> AppResult<NodesOut> {
    let role = if witness {
        NodeRole::Witness
    } else {
        NodeRole::Primary
    };
    wallet(&state, move |w| {
        w.add_node(&url, role)?;
        w.nodes_out()
    })
    .await
}

#[tauri::command]
pub async fn remove_node(state: State<'_, AppState>, url: String) -> AppResult<NodesOut> {
    wallet(&state, move |w| {
        w.remove_node(&url)?;
        w.nodes_out()
    })
    .await
}

#[tauri::command]
pub async fn settings(state: State<'_, AppState>) -> AppResult<Vec<SettingItem>> {
    wallet(&state, |w| w.settings()).await
}

#[tauri::command]
pub async fn set_setting(
    state: State<'_, AppState>,
    name: String,
    value: u64,
) -> AppResult<Vec<SettingItem>> {
    wallet(&state, move |w| w.set_setting(&name, value)).await
}

#[tauri::command]
pub async fn report_form(state: State<'_, AppState>) -> AppResult<ReportForm> {
    wallet(&state, |w| w.report_form()).await
}

#[tauri::command]
pub async fn submit_report(state: State<'_, AppState>, report: ReportIn) -> AppResult<ReceiptOut> {
    wallet(&state, move |w| w.submit_report(&report)).await
}

#[tauri::command]
pub async fn reports(state: State<'_, AppState>) -> AppResult<ReportsOut> {
    wallet(&state, |w| w.reports()).await
}

#[tauri::command]
pub async fn receipt(state: State<'_, AppState>, subject: String) -> AppResult<ReceiptOut> {
    wallet(&state, move |w| w.receipt(&subject)).await
}

#[tauri::command]
pub async fn organisations(state: State<'_, AppState>) -> AppResult<Vec<OrgItem>> {
    wallet(&state, |w| w.organisations()).await
}

#[tauri::command]
pub async fn create_grant(state: State<'_, AppState>, grant: GrantIn) -> AppResult<ReceiptOut> {
    wallet(&state, move |w| w.create_grant(&grant)).await
}

#[tauri::command]
pub async fn restore_from_chain(
    state: State<'_, AppState>,
) -> AppResult<citywallet_wallet::dto::RestoredOut> {
    wallet(&state, |w| w.restore_from_chain()).await
}

#[tauri::command]
pub async fn grant_uses(
    state: State<'_, AppState>,
    grant: String,
) -> AppResult<citywallet_wallet::dto::GrantUsesOut> {
    wallet(&state, move |w| w.grant_uses(&grant)).await
}

#[tauri::command]
pub async fn revoke_grant(state: State<'_, AppState>, id: String) -> AppResult<ReceiptOut> {
    wallet(&state, move |w| w.revoke_grant(&id)).await
}

#[tauri::command]
pub async fn grants(
    state: State<'_, AppState>,
) -> AppResult<Vec<citywallet_core::vault::GrantEntry>> {
    wallet(&state, |w| w.grants()).await
}

#[tauri::command]
pub async fn activity(state: State<'_, AppState>) -> AppResult<Vec<ActivityItem>> {
    wallet(&state, |w| w.activity()).await
}

#[tauri::command]
pub async fn export_vault(state: State<'_, AppState>) -> AppResult<String> {
    run(&state, |a| {
        let name = format!(
            "citywallet-{}.cwexport",
            tendermint::Time::now().unix_timestamp()
        );
        let dest = a.export_path(&name)?;
        a.wallet.export_vault(&dest)?;
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
    wallet(&state, move |w| {
        w.import_vault(&PathBuf::from(path), &secret(passphrase))
    })
    .await
}

#[tauri::command]
pub async fn pending_reports(
    state: State<'_, AppState>,
    older: Option<String>,
) -> AppResult<PendingReportsOut> {
    officer(&state, move |w| w.pending_reports(older.as_deref())).await
}

#[tauri::command]
pub async fn review_report(
    state: State<'_, AppState>,
    id: String,
    accept: bool,
    reward: u64,
) -> AppResult<ReceiptOut> {
    officer(&state, move |w| w.review_report(&id, accept, reward)).await
}

#[tauri::command]
pub async fn provision_device(
    state: State<'_, AppState>,
    device: DeviceIn,
) -> AppResult<DeviceItem> {
    technician(&state, move |w| w.provision(&device)).await
}

#[tauri::command]
pub async fn provision_csv(
    app: AppHandle,
    state: State<'_, AppState>,
    csv: String,
) -> AppResult<Vec<ProvisionRow>> {
    technician(&state, move |w| {
        w.provision_csv(&csv, &mut |p| {
            let _ = app.emit("provision-progress", p);
        })
    })
    .await
}

#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> AppResult<Vec<DeviceItem>> {
    technician(&state, |w| w.devices()).await
}

#[tauri::command]
pub async fn department_devices(
    state: State<'_, AppState>,
    from: u64,
) -> AppResult<citywallet_wallet::dto::DepartmentDevicesOut> {
    technician(&state, move |w| w.department_devices(from)).await
}

#[tauri::command]
pub async fn revoke_device(state: State<'_, AppState>, id: String) -> AppResult<ReceiptOut> {
    technician(&state, move |w| w.revoke_device(&id)).await
}

#[tauri::command]
pub async fn export_bundle(
    state: State<'_, AppState>,
    device_id: String,
    device_passphrase: String,
) -> AppResult<String> {
    run(&state, move |a| {
        let dest = a.export_bundle(&device_id, &secret(device_passphrase))?;
        Ok(dest.display().to_string())
    })
    .await
}
