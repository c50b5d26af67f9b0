//! What crosses the IPC boundary: the commands' inputs and outputs. TypeScript types are
//! generated from these (`ts-rs`, into `ui/src/lib/bindings/`), and a check in CI fails when
//! the committed ones are stale. Nothing here holds a secret except [`Words`], the recovery
//! phrase on an explicit, confirmed reveal.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A refusal or failure, tagged with a stable code the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppError {
    /// Stable code, such as `wrong_passphrase` or `header_bad_signature`.
    pub code: String,
    /// An English sentence (the UI shows its own translation of `code` when it has one).
    pub message: String,
    /// When a retry is possible after a delay (throttled unlocks).
    #[ts(type = "number | null")]
    pub retry_after_secs: Option<u64>,
}

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

/// Passphrase strength, from zxcvbn.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Strength {
    /// 0 (weak) to 4 (strong).
    pub score: u8,
    /// Long enough for the vault's policy.
    pub acceptable: bool,
    /// zxcvbn's warning, if any.
    pub warning: Option<String>,
    /// zxcvbn's suggestions.
    pub suggestions: Vec<String>,
}

/// The recovery phrase, for an explicit, confirmed reveal only.
#[derive(Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Words {
    /// The words, in order.
    pub words: Vec<String>,
}

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Words([redacted])")
    }
}

/// A word given back during onboarding.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct WordCheck {
    /// 1-based position.
    pub position: u32,
    /// The word typed.
    pub word: String,
}

/// The citizen's identity.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Identity {
    /// `did:key:z6Mk…`.
    pub did: String,
    /// Ed25519 public key, hex.
    pub public_key_hex: String,
    /// Derivation path.
    pub path: String,
    /// The DID as a QR code (SVG).
    pub qr_svg: String,
}

/// A claim name and value.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Claim {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A held credential in a list.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CredentialItem {
    /// Id.
    pub id: String,
    /// Issuer id.
    pub issuer: String,
    /// Type.
    pub kind: String,
    /// Claim names.
    pub claims: Vec<String>,
}

/// A held credential with its claims.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CredentialDetail {
    /// Id.
    pub id: String,
    /// Issuer id.
    pub issuer: String,
    /// Type.
    pub kind: String,
    /// Holder DID.
    pub holder: String,
    /// Unix seconds.
    #[ts(type = "number")]
    pub valid_from: i64,
    /// Unix seconds.
    #[ts(type = "number")]
    pub valid_until: i64,
    /// Claims in schema order.
    pub claims: Vec<Claim>,
}

/// A presentation to show.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PresentationOut {
    /// The compact form in base64: what the QR code holds, and the copyable text.
    pub text: String,
    /// The QR code (SVG).
    pub qr_svg: String,
    /// Size of the compact form.
    pub bytes: u32,
}

/// An officer's challenge.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChallengeOut {
    /// The challenge JSON (what the citizen scans or pastes).
    pub text: String,
    /// As a QR code (SVG).
    pub qr_svg: String,
}

/// A valid presentation and the chain facts behind it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerdictOut {
    /// Credential type.
    pub kind: String,
    /// Credential id.
    pub credential_id: String,
    /// Issuer id.
    pub issuer: String,
    /// Issuer name from the chain's registry.
    pub issuer_name: String,
    /// Holder DID.
    pub holder: String,
    /// Disclosed claims.
    pub disclosed: Vec<Claim>,
    /// `online` or `offline`.
    pub mode: String,
    /// Height of the verified header the facts are proven at.
    #[ts(type = "number")]
    pub height: u64,
    /// That header's time (RFC 3339).
    pub header_time: String,
    /// Age of the facts, seconds (offline snapshot age; 0 online).
    #[ts(type = "number")]
    pub age_secs: u64,
}

/// The light client's state.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChainStatus {
    /// Primary URL.
    pub primary: String,
    /// Witness URLs.
    pub witnesses: Vec<String>,
    /// The newest verified header.
    pub trusted: Option<TrustedOut>,
    /// The trusted header is past the trusting period.
    pub trust_expired: bool,
    /// An unresolved divergence between nodes.
    pub divergence: Option<DivergenceOut>,
    /// Age of the officer's registry snapshot, seconds.
    #[ts(type = "number | null")]
    pub snapshot_age_secs: Option<u64>,
}

/// A verified header.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TrustedOut {
    /// Chain id.
    pub chain_id: String,
    /// Height.
    #[ts(type = "number")]
    pub height: u64,
    /// Time (RFC 3339).
    pub time: String,
    /// Header hash.
    pub hash: String,
    /// Power that signed it.
    #[ts(type = "number")]
    pub signed_power: u64,
    /// Total power of its validator set.
    #[ts(type = "number")]
    pub total_power: u64,
}

/// A recorded divergence.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DivergenceOut {
    /// Height.
    #[ts(type = "number")]
    pub height: u64,
    /// The witness that disagreed.
    pub witness: String,
    /// Unix seconds.
    #[ts(type = "number")]
    pub detected_at: i64,
    /// What the nodes answered to the evidence.
    pub evidence_submitted: String,
}

/// Sync progress, sent as the `sync-progress` event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncProgress {
    /// Height just verified.
    #[ts(type = "number")]
    pub height: u64,
    /// Where the sync started.
    #[ts(type = "number")]
    pub from: u64,
}

/// A new report.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportIn {
    /// Category.
    pub category: String,
    /// Location cell.
    pub location: String,
    /// Description (kept in the vault).
    pub description: String,
    /// SHA-256 of the evidence file, hex, computed in the app (the file is not sent).
    #[ts(optional)]
    pub evidence_sha256: Option<String>,
}

/// One of the citizen's reports.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportItem {
    /// Id.
    pub id: String,
    /// Proven status.
    pub status: String,
    /// Category.
    pub category: String,
    /// Location.
    pub location: String,
    /// Description.
    pub description: String,
    /// Unix seconds.
    #[ts(type = "number")]
    pub created_at: i64,
    /// Receipt id.
    pub receipt: Option<String>,
}

/// The citizen's reports and rewards.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportsOut {
    /// Reports, newest first.
    pub reports: Vec<ReportItem>,
    /// Proven reward points.
    #[ts(type = "number")]
    pub reward_points: u64,
}

/// A receipt, checked.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReceiptOut {
    /// Receipt id (transaction hash).
    pub id: String,
    /// Action.
    pub action: String,
    /// What it is about.
    pub subject: String,
    /// Height of the header proving it.
    #[ts(type = "number")]
    pub height: u64,
    /// That header's time, Unix seconds.
    #[ts(type = "number")]
    pub header_time: i64,
    /// That header's hash.
    pub header_hash: String,
}

/// A registered organisation.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OrgItem {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Accredited categories.
    pub categories: Vec<String>,
    /// Active.
    pub active: bool,
}

/// A new grant.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GrantIn {
    /// Organisation id.
    pub org: String,
    /// Categories.
    pub categories: Vec<String>,
    /// Purpose.
    pub purpose: String,
    /// Expiry date, YYYY-MM-DD.
    pub expires: String,
}

/// One of the citizen's grants.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GrantItem {
    /// Id.
    pub id: String,
    /// `active` or `revoked`.
    pub status: String,
    /// Organisation id.
    pub org: String,
    /// Organisation name.
    pub org_name: String,
    /// Categories.
    pub categories: Vec<String>,
    /// Purpose.
    pub purpose: String,
    /// Unix seconds.
    #[ts(type = "number")]
    pub expires_at: u64,
    /// Receipt id.
    pub receipt: Option<String>,
}

/// An activity log entry.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActivityItem {
    /// Sequence.
    #[ts(type = "number")]
    pub id: i64,
    /// Unix seconds.
    #[ts(type = "number")]
    pub at: i64,
    /// Kind, such as `credential_presented`.
    pub kind: String,
    /// JSON details.
    pub detail: String,
}

/// A report on chain, for officers.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChainReportItem {
    /// Id.
    pub id: String,
    /// Category.
    pub category: String,
    /// Location cell.
    pub location_cell: String,
    /// Unix seconds.
    #[ts(type = "number")]
    pub time: u64,
    /// Status.
    pub status: String,
}

/// A device to provision.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeviceIn {
    /// Device id on the chain.
    pub id: String,
    /// The device's own public key (hex); absent: a key is made in the wallet.
    #[ts(optional)]
    pub public_key: Option<String>,
    /// Kind.
    pub kind: String,
    /// Location.
    pub location: String,
    /// Department.
    pub department: String,
}

/// A device the technician provisioned.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeviceItem {
    /// Device id on the chain.
    pub id: String,
    /// Public key, hex.
    pub public_key_hex: String,
    /// Wallet key index, when the wallet made the key.
    pub index: Option<u32>,
    /// Kind.
    pub kind: String,
    /// Location.
    pub location: String,
    /// `active`, `revoked`, or `not registered`.
    pub status: String,
    /// Receipt id.
    pub receipt: Option<String>,
}

/// One row of a CSV batch.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProvisionRow {
    /// Line number in the file (1 = header).
    pub line: u32,
    /// Device id (as far as it could be read).
    pub id: String,
    /// Registered with a receipt.
    pub ok: bool,
    /// Why not.
    pub error: Option<AppError>,
    /// Height of the receipt.
    #[ts(type = "number | null")]
    pub height: Option<u64>,
}

/// Batch progress, sent as the `provision-progress` event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProvisionProgress {
    /// Rows done.
    pub done: u32,
    /// Rows in all.
    pub total: u32,
    /// The row just finished.
    pub row: ProvisionRow,
}
