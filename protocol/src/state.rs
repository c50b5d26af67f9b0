//! State keys and the values stored under them. Values are JSON (serde, fixed field order),
//! so a wallet can decode what a proof proves; keys are UTF-8 paths.

use serde::{Deserialize, Serialize};

/// Longest id (issuer, organisation, device, report, grant).
pub const MAX_ID_CHARS: usize = 64;

/// Whether `id` is a valid registry id: 1 to [`MAX_ID_CHARS`] characters of
/// `a-z A-Z 0-9 : . _ -` (so never a `/`, which keeps state keys unambiguous).
pub fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&id.chars().count())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":._-".contains(&b))
}

/// Longest credential id.
pub const MAX_CREDENTIAL_ID_CHARS: usize = 128;

/// Whether `id` is a valid credential id, the one rule for issuing a credential and for
/// revoking it: 1 to [`MAX_CREDENTIAL_ID_CHARS`] characters of `a-z A-Z 0-9 : . _ - /` (a
/// `urn:uuid:` or a path-like URL). A `/` is safe in state keys because the credential id is
/// always the last segment, after an issuer id that cannot hold one.
pub fn is_valid_credential_id(id: &str) -> bool {
    (1..=MAX_CREDENTIAL_ID_CHARS).contains(&id.chars().count())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":._-/".contains(&b))
}

/// Reward points an officer may credit for one report when the genesis sets no cap.
pub const DEFAULT_MAX_REWARD: u64 = 1_000;

/// A role the city admin can give a key.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reviews reports and verifies citizens' proofs.
    Officer,
    /// Provisions and revokes IoT devices.
    Technician,
}

impl Role {
    pub(crate) fn tag(self) -> u8 {
        match self {
            Self::Officer => 0,
            Self::Technician => 1,
        }
    }

    pub(crate) fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(Self::Officer),
            1 => Some(Self::Technician),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::Technician => "technician",
        }
    }
}

/// Whether a registry entry is in force.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In force.
    Active,
    /// Deactivated or revoked.
    Inactive,
}

/// `issuer/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerRecord {
    /// Issuer id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// BBS public key, hex.
    pub bbs_public_key: String,
    /// Ed25519 key that signs its transactions, hex.
    pub operator_key: String,
    /// Credential types it may issue.
    pub credential_types: Vec<String>,
    /// Status.
    pub status: Status,
    /// The longest a revoked credential of this issuer may still pass a check, seconds
    /// ([`crate::Action::SetRevocationBound`]); private credentials carry no id to revoke, so
    /// verifiers refuse one valid for longer than this past the proven time. `None`: not
    /// set, and its private credentials are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_revocation_delay_secs: Option<u64>,
}

/// `revoked/{issuer}/{credential id}`: present means revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationRecord {
    /// Issuer id.
    pub issuer: String,
    /// Credential id.
    pub credential_id: String,
    /// Why.
    pub reason: String,
    /// Block height of the revocation.
    pub height: u64,
}

/// `device/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Device id.
    pub id: String,
    /// Device key, hex.
    pub public_key: String,
    /// Kind.
    pub kind: String,
    /// Location.
    pub location: String,
    /// Owning department.
    pub department: String,
    /// The technician who provisioned it, hex key.
    pub technician: String,
    /// Status.
    pub status: Status,
}

/// `org/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRecord {
    /// Organisation id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its key, hex.
    pub key: String,
    /// Accredited data categories.
    pub categories: Vec<String>,
    /// Status.
    pub status: Status,
}

/// `grant/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    /// Grant id.
    pub id: String,
    /// The granting citizen's key, hex.
    pub citizen: String,
    /// Organisation id.
    pub org: String,
    /// Categories granted.
    pub categories: Vec<String>,
    /// Purpose.
    pub purpose: String,
    /// Unix seconds.
    pub expires_at: u64,
    /// Status.
    pub status: Status,
}

/// `datause/{id}`: one use of a citizen's data an organisation recorded under a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataUseRecord {
    /// The use's id.
    pub id: String,
    /// The grant it was made under.
    pub grant: String,
    /// The organisation that made it.
    pub org: String,
    /// The data category used.
    pub category: String,
    /// What it was used for.
    pub purpose: String,
    /// Block time (Unix seconds) it was recorded at.
    pub time: u64,
    /// Its place in the grant's log of uses (0 first).
    pub seq: u64,
}

/// Most uses one grant's log holds: past it the organisation's records are refused
/// (`rate_limited`), so no organisation grows a citizen's history without bound.
pub const MAX_USES_PER_GRANT: u64 = 100_000;

/// `anchor/{device}` (the device's latest) and `anchors/{device}/{seq}` (each one): a batch
/// of readings a registered device anchored, signed by its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRecord {
    /// The device's id.
    pub device: String,
    /// The batch's sequence number.
    pub seq: u64,
    /// SHA-256 of the batch, hex (see [`crate::readings`]).
    pub digest: String,
    /// How many readings it holds.
    pub count: u64,
    /// When the device closed the batch, by its clock (Unix seconds).
    pub taken_at: u64,
    /// Block time (Unix seconds) it was anchored at.
    pub time: u64,
    /// Block height it was anchored at.
    pub height: u64,
}

/// Most readings one anchor may count (a batch of a minute at 1 kHz is well below it).
pub const MAX_READINGS_PER_ANCHOR: u64 = 100_000;

/// How far ahead of the block time a device's clock may put a batch, seconds: a batch
/// closed later than that is refused (`invalid_field`).
pub const DEVICE_CLOCK_SKEW_SECS: u64 = 300;

/// Where a report stands.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waiting for an officer.
    Submitted,
    /// Accepted; the reporter was rewarded.
    Accepted,
    /// Rejected.
    Rejected,
}

/// `report/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    /// Report id.
    pub id: String,
    /// The reporter's key, hex.
    pub reporter: String,
    /// Category.
    pub category: String,
    /// Location cell.
    pub location_cell: String,
    /// SHA-256 of the evidence, hex.
    pub evidence_hash: String,
    /// Block time (Unix seconds) of submission.
    pub time: u64,
    /// Status.
    pub status: ReportStatus,
    /// A private report's pseudonym (hex) for its window's context: the same resident's
    /// reports in one window share it; it names no one, and differs across windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudonym: Option<String>,
}

/// `reward/{citizen key hex}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RewardRecord {
    /// Points.
    pub points: u64,
}

/// `account/{key hex}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Account {
    /// The next nonce the key must use.
    pub nonce: u64,
}

/// What a key's own log lists ([`keys::owned_count`]): what a wallet restores after a
/// recovery from the phrase alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owned {
    /// The grants a citizen's identity key made.
    Grants,
    /// The reports a report key filed.
    Reports,
    /// The devices a technician's key registered.
    Devices,
}

impl Owned {
    /// Lower-case name (the state key's segment).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grants => "grants",
            Self::Reports => "reports",
            Self::Devices => "devices",
        }
    }
}

/// Most ids one key's own log holds: past it the key's next grant, report or registration
/// is refused (`rate_limited`), so no key grows its log without bound.
pub const MAX_OWNED: u64 = 100_000;

/// State key paths. Ids never contain `/` (the node refuses them), so keys are unambiguous;
/// a credential id may, and is always the last segment.
pub mod keys {
    use super::Role;

    fn key(parts: &[&str]) -> Vec<u8> {
        parts.join("/").into_bytes()
    }

    /// `issuer/{id}`
    pub fn issuer(id: &str) -> Vec<u8> {
        key(&["issuer", id])
    }
    /// `revoked/{issuer}/{credential id}`
    pub fn revoked(issuer: &str, credential_id: &str) -> Vec<u8> {
        key(&["revoked", issuer, credential_id])
    }
    /// `device/{id}`
    pub fn device(id: &str) -> Vec<u8> {
        key(&["device", id])
    }
    /// `org/{id}`
    pub fn org(id: &str) -> Vec<u8> {
        key(&["org", id])
    }
    /// `grant/{id}`
    pub fn grant(id: &str) -> Vec<u8> {
        key(&["grant", id])
    }
    /// `report/{id}`
    pub fn report(id: &str) -> Vec<u8> {
        key(&["report", id])
    }
    /// `nymreports/{window start}/{pseudonym hex}`: how many private reports the resident
    /// behind a pseudonym filed in a window.
    pub fn nym_reports(window: u64, pseudonym: &str) -> Vec<u8> {
        key(&["nymreports", &window.to_string(), pseudonym])
    }
    /// `nymrewarded/{window start}/{pseudonym hex}`: present once the resident behind a
    /// pseudonym was rewarded for a report of that window.
    pub fn nym_rewarded(window: u64, pseudonym: &str) -> Vec<u8> {
        key(&["nymrewarded", &window.to_string(), pseudonym])
    }
    /// `reward/{citizen key hex}`
    pub fn reward(citizen: &[u8; 32]) -> Vec<u8> {
        key(&["reward", &hex::encode(citizen)])
    }
    /// `account/{key hex}`
    pub fn account(signer: &[u8; 32]) -> Vec<u8> {
        key(&["account", &hex::encode(signer)])
    }
    /// `role/{officer|technician}/{key hex}`
    pub fn role(role: Role, k: &[u8; 32]) -> Vec<u8> {
        key(&["role", role.as_str(), &hex::encode(k)])
    }
    /// `admin/{key hex}` (set at genesis, moved by `RotateAdmin`)
    pub fn admin(k: &[u8; 32]) -> Vec<u8> {
        key(&["admin", &hex::encode(k)])
    }
    /// `department/{role}/{key hex}` → the department (JSON string) a role is held in.
    pub fn department(role: Role, k: &[u8; 32]) -> Vec<u8> {
        key(&["department", role.as_str(), &hex::encode(k)])
    }
    /// `meta/max_reward` → the most points one accepted report may be credited (genesis).
    pub fn max_reward() -> Vec<u8> {
        key(&["meta", "max_reward"])
    }
    /// `index/issuers` → JSON list of every issuer id ever registered, in order: lets a
    /// verifier snapshot the whole issuer registry with proofs.
    pub fn issuer_index() -> Vec<u8> {
        key(&["index", "issuers"])
    }
    /// `index/orgs` → JSON list of every organisation id, in order of registration.
    pub fn org_index() -> Vec<u8> {
        key(&["index", "orgs"])
    }
    /// Ids per page of a paged log (the reports, each issuer's revocations): a log is a
    /// count and pages of at most this many ids, in order, so an append rewrites one
    /// bounded page and the count however long the log is, and a reader proves the whole
    /// log complete from the count and each page.
    pub const LOG_PAGE: u64 = 256;
    /// How many pages a log of `count` ids has.
    pub fn log_pages(count: u64) -> u64 {
        count.div_ceil(LOG_PAGE)
    }
    /// `index/reports/count` → how many reports keys with standing (reward points from an
    /// accepted report, or a role) have filed (JSON number).
    pub fn report_count() -> Vec<u8> {
        key(&["index", "reports", "count"])
    }
    /// `index/reports/page/{p}` → JSON list of the report ids `p × LOG_PAGE` onwards, in
    /// order of submission (an officer's review queue is read from the newest page back).
    pub fn report_page(page: u64) -> Vec<u8> {
        key(&["index", "reports", "page", &page.to_string()])
    }
    /// Pages kept of the log of reports from keys without standing
    /// ([`new_reporter_report_page`]): the newest `NEW_REPORTER_PAGES × LOG_PAGE` of them.
    pub const NEW_REPORTER_PAGES: u64 = 40;
    /// `index/reports-new/count` → how many reports keys without standing (no reward
    /// points, no role) have ever filed.
    pub fn new_reporter_report_count() -> Vec<u8> {
        key(&["index", "reports-new", "count"])
    }
    /// `index/reports-new/page/{slot}` → the ids of log page `p` of reports from keys
    /// without standing, at slot `p mod NEW_REPORTER_PAGES`: a ring, so a flood from fresh
    /// keys overwrites its own oldest pages and never grows what an officer reads.
    pub fn new_reporter_report_page(page: u64) -> Vec<u8> {
        key(&[
            "index",
            "reports-new",
            "page",
            &(page % NEW_REPORTER_PAGES).to_string(),
        ])
    }
    /// The log pages of reports from keys without standing that are still kept, newest
    /// first, when `count` were ever filed.
    pub fn new_reporter_pages_kept(count: u64) -> impl Iterator<Item = u64> {
        let pages = log_pages(count);
        (pages.saturating_sub(NEW_REPORTER_PAGES)..pages).rev()
    }
    /// `revocations/{issuer}/count` → how many credentials the issuer has revoked.
    pub fn revocation_count(issuer: &str) -> Vec<u8> {
        key(&["revocations", issuer, "count"])
    }
    /// `revocations/{issuer}/page/{p}` → JSON list of revoked credential ids, in order of
    /// revocation: an officer keeps every page, proven, for offline checks.
    pub fn revocation_page(issuer: &str, page: u64) -> Vec<u8> {
        key(&["revocations", issuer, "page", &page.to_string()])
    }
    /// `datause/{id}` → [`super::DataUseRecord`].
    pub fn data_use(id: &str) -> Vec<u8> {
        key(&["datause", id])
    }
    /// `uses/{grant}/count` → how many uses were recorded under the grant (JSON number).
    pub fn use_count(grant: &str) -> Vec<u8> {
        key(&["uses", grant, "count"])
    }
    /// `uses/{grant}/page/{p}` → JSON list of the use ids `p × LOG_PAGE` onwards, in order
    /// of recording: the citizen proves the grant's whole history from the count and pages.
    pub fn use_page(grant: &str, page: u64) -> Vec<u8> {
        key(&["uses", grant, "page", &page.to_string()])
    }
    /// `deptdevices/{department hex}/count` → how many devices were registered in the
    /// department (JSON number); the department is hex-encoded, as it is free text.
    pub fn department_device_count(department: &str) -> Vec<u8> {
        key(&["deptdevices", &hex::encode(department), "count"])
    }
    /// `deptdevices/{department hex}/page/{p}` → JSON list of the department's device ids
    /// `p × LOG_PAGE` onwards, in order of registration: its technicians read every device
    /// of the department from the count and pages, proven complete.
    pub fn department_device_page(department: &str, page: u64) -> Vec<u8> {
        key(&[
            "deptdevices",
            &hex::encode(department),
            "page",
            &page.to_string(),
        ])
    }
    /// `owned/{key hex}/{what}/count` → how many ids the key's own log of `what` holds.
    pub fn owned_count(what: super::Owned, owner: &[u8; 32]) -> Vec<u8> {
        key(&["owned", &hex::encode(owner), what.as_str(), "count"])
    }
    /// `owned/{key hex}/{what}/page/{p}` → JSON list of the ids `p × LOG_PAGE` onwards of
    /// what the key made, in order: a recovered wallet proves the whole list complete from
    /// the count and each page.
    pub fn owned_page(what: super::Owned, owner: &[u8; 32], page: u64) -> Vec<u8> {
        key(&[
            "owned",
            &hex::encode(owner),
            what.as_str(),
            "page",
            &page.to_string(),
        ])
    }
    /// `anchor/{device}` → the device's latest [`super::AnchorRecord`].
    pub fn anchor(device: &str) -> Vec<u8> {
        key(&["anchor", device])
    }
    /// `anchors/{device}/{seq}` → the [`super::AnchorRecord`] of batch `seq`.
    pub fn anchor_at(device: &str, seq: u64) -> Vec<u8> {
        key(&["anchors", device, &seq.to_string()])
    }
    /// `validator/{key hex}` → power
    pub fn validator(k: &[u8; 32]) -> Vec<u8> {
        key(&["validator", &hex::encode(k)])
    }
}
