//! What the wallet hands to a front end and takes from it: plain, serialisable types. The
//! app sends them across IPC (ts-rs writes their TypeScript twins into
//! `ui/src/lib/bindings/`, and CI fails when those are stale); the command line prints them
//! as JSON. Nothing here holds a secret except [`Words`], the recovery phrase on an
//! explicit, confirmed reveal.

use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::ReportEntry;
use citywallet_protocol::{ActionKind, ReportStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, ErrorCode};

/// A refusal or failure as a front end shows it: a code it translates, an English sentence,
/// and the details a sentence may need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ErrorInfo {
    /// Stable code.
    pub code: ErrorCode,
    /// An English sentence (the UI shows its own translation of `code`).
    pub message: String,
    /// When a retry is possible after a delay (throttled unlocks).
    #[ts(type = "number | null")]
    pub retry_after_secs: Option<u64>,
    /// The transaction field a field refusal is about (`location_cell`, ...).
    pub field: Option<String>,
}

impl From<&Error> for ErrorInfo {
    fn from(e: &Error) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            retry_after_secs: e.retry_after_secs(),
            field: e.field().map(str::to_owned),
        }
    }
}

impl From<Error> for ErrorInfo {
    fn from(e: Error) -> Self {
        Self::from(&e)
    }
}

impl ErrorInfo {
    /// An error with `code` and `message` (front ends' own refusals).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_secs: None,
            field: None,
        }
    }
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for ErrorInfo {}

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

impl Drop for Words {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.words.zeroize();
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
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
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
    /// The issuer's name as the city chain registers it (from the registry verified at the
    /// last sync), or `None` when that registry does not name it.
    pub issuer_name: Option<String>,
    /// Type.
    pub kind: CredentialType,
    /// Claim names.
    pub claims: Vec<String>,
    /// Unix seconds.
    #[ts(type = "number")]
    pub valid_from: i64,
    /// Unix seconds.
    #[ts(type = "number")]
    pub valid_until: i64,
    /// A W3C VC 2.0 credential with a `bbs-2023` proof (from an OpenID4VCI issuer), or
    /// the wallet's earlier JSON form.
    pub w3c: bool,
    /// A private credential (signed blindly, shown with no DID, no id and a pseudonym per
    /// verifier context), renewed from its issuer before it expires.
    pub private: bool,
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
    /// The issuer's name as the city chain registers it (from the registry verified at the
    /// last sync), or `None` when that registry does not name it.
    pub issuer_name: Option<String>,
    /// Type.
    pub kind: CredentialType,
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
    /// A W3C VC 2.0 credential (see [`CredentialItem::w3c`]).
    pub w3c: bool,
    /// A private credential (see [`CredentialItem::private`]): it names no holder.
    pub private: bool,
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

/// How an officer's check established the chain facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum VerdictMode {
    /// Against a header verified just now.
    Online,
    /// From the last verified snapshot.
    Offline,
}

/// A valid presentation and the chain facts behind it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerdictOut {
    /// Credential type.
    pub kind: CredentialType,
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
    /// Online or offline.
    pub mode: VerdictMode,
    /// Height of the verified header the facts are proven at.
    #[ts(type = "number")]
    pub height: u64,
    /// That header's time (RFC 3339).
    pub header_time: String,
    /// Age of the facts, seconds (offline snapshot age; 0 online).
    #[ts(type = "number")]
    pub age_secs: u64,
    /// A private credential's issuer's revocation bound, seconds: a revoked one stops
    /// passing within it (a credential with an id is looked up instead: none).
    #[ts(type = "number | null")]
    pub revocation_bound_secs: Option<u64>,
    /// The pseudonym (hex) of a private presentation for the context the verifier asked
    /// for: the same citizen gives the same one to it again.
    pub pseudonym: Option<String>,
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
    /// False when no node is configured and the default (the local devnet) is used.
    pub configured: bool,
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

/// Sync progress (the app sends it as the `sync-progress` event).
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

/// What a sync established.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncOut {
    /// The newest verified header (its fields at the top level).
    #[serde(flatten)]
    pub trusted: TrustedOut,
    /// A trust anchor this sync set first (trust on first use of the genesis), if any.
    pub anchored: Option<TrustedOut>,
    /// The registry snapshot taken for offline checks.
    pub snapshot: SnapshotOut,
}

/// The officer's registry snapshot.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SnapshotOut {
    /// Height of the header it is proven at.
    #[ts(type = "number")]
    pub height: u64,
    /// Issuers in it.
    pub issuers: u32,
    /// Revoked credentials in it.
    pub revoked: u32,
}

/// A new report.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportIn {
    /// Category (an id, such as `pothole`).
    pub category: String,
    /// Location cell (an id, such as `cell-8a2b`).
    pub location: String,
    /// Description (kept in the vault; only its hash goes on chain).
    pub description: String,
    /// SHA-256 of the evidence file, hex, computed on the device (the file is not sent).
    #[ts(optional)]
    pub evidence_sha256: Option<String>,
    /// A held private residency credential (its local id) to vouch for the report with:
    /// the chain then knows one resident filed it (and limits and rewards per resident per
    /// week) without knowing who.
    #[ts(optional)]
    #[serde(default)]
    pub residency: Option<String>,
}

/// What the report form offers: what the node accepts.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportForm {
    /// Categories to choose from.
    pub categories: Vec<String>,
    /// Location cells this wallet reported before, newest first.
    pub recent_cells: Vec<String>,
    /// The node's id rule as an HTML `pattern`.
    pub cell_pattern: String,
    /// Longest description, bytes.
    pub max_description_bytes: u32,
    /// A private residency credential in force (its local id) the report may be vouched
    /// with: one resident files it, the chain limits and rewards per resident, nothing
    /// names the citizen.
    pub residency: Option<String>,
    /// How many reports one resident may vouch for in a window (the chain's rule).
    pub resident_limit: u32,
    /// That window, in days.
    pub resident_window_days: u32,
}

/// The citizen's reports and rewards.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportsOut {
    /// Reports, newest first, with their last proven status.
    pub reports: Vec<ReportEntry>,
    /// Proven reward points.
    #[ts(type = "number")]
    pub reward_points: u64,
}

/// One use of the citizen's data an organisation recorded under a grant, proven.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DataUseItem {
    /// The use's id.
    pub id: String,
    /// The data category used.
    pub category: String,
    /// What the organisation says it was for.
    pub purpose: String,
    /// Block time it was recorded at, Unix seconds.
    #[ts(type = "number")]
    pub time: u64,
    /// Its place in the grant's log (0 first).
    #[ts(type = "number")]
    pub seq: u64,
    /// Height of the verified header it was proven against.
    #[ts(type = "number")]
    pub height: u64,
    /// Not seen at the previous look.
    pub new: bool,
    /// Within three days of the grant's expiry.
    pub near_expiry: bool,
    /// At or after the grant's expiry (the node refuses these: a sign of a faulty chain).
    pub after_expiry: bool,
}

/// The proven history of uses under one grant.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GrantUsesOut {
    /// Grant id.
    pub grant: String,
    /// Every use, oldest first.
    pub uses: Vec<DataUseItem>,
    /// How many are new since the previous look.
    pub new_uses: u32,
    /// How many the chain's log holds (more than `uses` when a look reads only part).
    #[ts(type = "number")]
    pub total: u64,
}

/// A receipt, checked.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReceiptOut {
    /// Receipt id (transaction hash).
    pub id: String,
    /// Action.
    pub action: ActionKind,
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
    /// The proven value (JSON of the record).
    pub value: Option<String>,
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
    /// Expiry: `YYYY-MM-DD` (end of that day, UTC) or an RFC 3339 time.
    pub expires: String,
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
    /// What happened.
    pub kind: citywallet_core::vault::ActivityKind,
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
    /// Proven status.
    pub status: ReportStatus,
}

/// A page of the officer's review queue, newest first.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PendingReportsOut {
    /// The reports waiting for review on this page.
    pub reports: Vec<ChainReportItem>,
    /// Give this back for the next, older page; absent when none is left.
    pub older: Option<String>,
}

/// A device to provision.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeviceIn {
    /// Device id on the chain.
    pub id: String,
    /// The device's own public key (hex), when the device keeps its secret.
    #[ts(optional)]
    pub public_key: Option<String>,
    /// Or the index of a device key this wallet made earlier. With neither, the wallet
    /// makes a new key.
    #[ts(optional)]
    pub key_index: Option<u32>,
    /// Kind.
    pub kind: String,
    /// Location.
    pub location: String,
    /// Department.
    pub department: String,
}

/// A device's status on the chain, proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeviceStatus {
    /// Registered and active.
    Active,
    /// Revoked.
    Revoked,
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
    /// Proven status.
    pub status: DeviceStatus,
    /// Receipt id.
    pub receipt: Option<String>,
    /// Its department.
    pub department: String,
    /// Its latest anchored batch of readings, proven (`None`: it has anchored none).
    pub latest_anchor: Option<AnchorItem>,
}

/// A batch of readings a device anchored on the chain, proven.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AnchorItem {
    /// The device's id.
    pub device: String,
    /// The batch's sequence number.
    #[ts(type = "number")]
    pub seq: u64,
    /// Its digest, hex.
    pub digest: String,
    /// How many readings it holds.
    #[ts(type = "number")]
    pub count: u64,
    /// When the device closed it (its clock), Unix seconds.
    #[ts(type = "number")]
    pub taken_at: u64,
    /// Block time it was anchored at, Unix seconds.
    #[ts(type = "number")]
    pub time: u64,
    /// Block height it was anchored at.
    #[ts(type = "number")]
    pub height: u64,
    /// Seconds from its anchoring to now (the wallet's clock).
    #[ts(type = "number")]
    pub age_secs: u64,
}

/// A device's devices-of-the-department list, as a technician reads it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DepartmentDevicesOut {
    /// The technician's department, proven.
    pub department: String,
    /// How many devices the department's log holds, proven.
    #[ts(type = "number")]
    pub total: u64,
    /// The devices read, in order of registration, from `from`.
    pub devices: Vec<DeviceItem>,
    /// Where the next look starts, `None` when this one reached the end.
    #[ts(type = "number | null")]
    pub next: Option<u64>,
}

/// What a recovery from the chain brought back, proven at one header.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RestoredOut {
    /// Height of the verified header everything was proven against.
    #[ts(type = "number")]
    pub height: u64,
    /// Grants restored.
    pub grants: u32,
    /// Reports restored.
    pub reports: u32,
    /// Registered devices restored.
    pub devices: u32,
    /// The report key's reward points, proven.
    #[ts(type = "number")]
    pub reward_points: u64,
}

/// A readings file checked against its device's anchor on the chain.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReadingCheckOut {
    /// The device the file names.
    pub device: String,
    /// The batch number it names.
    #[ts(type = "number")]
    pub seq: u64,
    /// How many readings it holds.
    #[ts(type = "number")]
    pub count: u64,
    /// The file's digest, hex.
    pub digest: String,
    /// The file is the batch the device anchored: same digest and count.
    pub matches: bool,
    /// The device's anchor of that batch, proven (`None`: the chain proves there is none).
    pub anchor: Option<AnchorItem>,
    /// The device's record, proven (`None`: no such device).
    pub device_active: Option<bool>,
    /// Height of the verified header the check was proven against.
    #[ts(type = "number")]
    pub height: u64,
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
    pub error: Option<ErrorInfo>,
    /// Height of the receipt.
    #[ts(type = "number | null")]
    pub height: Option<u64>,
}

/// Batch progress (the app sends it as the `provision-progress` event).
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

/// The nodes the wallet talks to.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NodesOut {
    /// Primary URL.
    pub primary: String,
    /// Witness URLs.
    pub witnesses: Vec<String>,
    /// No node is configured: the default network (the local devnet) is used.
    pub default_devnet: bool,
}

/// One light-client setting.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SettingItem {
    /// Name, such as `trusting_period_secs`.
    pub name: String,
    /// Whole-number value.
    #[ts(type = "number")]
    pub value: u64,
    /// What it holds.
    pub description: String,
}

/// A credential offer, as the citizen sees it before accepting: who offers what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OfferPreview {
    /// The credential issuer's URL.
    pub issuer_url: String,
    /// Its display name, from its metadata.
    pub issuer_name: String,
    /// The credential types offered.
    pub kinds: Vec<CredentialType>,
    /// Whether a transaction code (sent another way) is needed, and its length.
    #[ts(type = "number | null")]
    pub tx_code_length: Option<u32>,
    /// What the issuer says about the code.
    pub tx_code_description: Option<String>,
    /// Whether the issuer signs what it offers privately (to take with
    /// `accept_offer_private`): a private credential is shown with no DID and no id.
    pub private_supported: bool,
}
