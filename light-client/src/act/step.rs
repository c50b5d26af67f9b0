//! The pure half of verify-before-act: proven facts and the user's input in, the action to
//! sign and the effect that will prove it landed out, or a typed refusal. No IO, no clock:
//! everything it judges is an argument.

use citywallet_protocol::{
    Action, AnchorRecord, DataUseRecord, DeviceRecord, GrantRecord, IssuerRecord, OrgRecord,
    ReportRecord, ReportStatus, Role, Status, TxBody, check_fields, keys,
};

use crate::client::ProvenRead;
use crate::error::{Error, Precondition, Result};

use super::{NewAnchor, NewDevice, NewGrant, NewReport, NewUse, report_evidence_hash};

/// How long a submitted transaction stays valid, seconds.
pub const TX_LIFETIME_SECS: u64 = 600;

/// What must be proven on the chain for an action to count as landed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// `report/{id}` exists, filed by `reporter` (hex key).
    ReportFiled {
        /// Report id.
        id: String,
        /// The reporter's key, hex.
        reporter: String,
    },
    /// `grant/{id}` is this citizen's and active.
    GrantActive {
        /// Grant id.
        id: String,
        /// The citizen's key, hex.
        citizen: String,
    },
    /// `grant/{id}` is inactive.
    GrantRevoked {
        /// Grant id.
        id: String,
    },
    /// `device/{id}` is active with this key.
    DeviceActive {
        /// Device id.
        id: String,
        /// Its key, hex.
        public_key: String,
    },
    /// `device/{id}` is inactive.
    DeviceRevoked {
        /// Device id.
        id: String,
    },
    /// `revoked/{issuer}/{credential}` exists.
    CredentialRevoked {
        /// Issuer id.
        issuer: String,
        /// Credential id.
        credential_id: String,
    },
    /// `role/{role}/{key}` exists.
    RoleHeld {
        /// The role.
        role: Role,
        /// The key.
        key: [u8; 32],
    },
    /// `report/{id}` has this status.
    ReportReviewed {
        /// Report id.
        id: String,
        /// The status it must have.
        status: ReportStatus,
    },
    /// `datause/{id}` exists under this grant.
    UseRecorded {
        /// Use id.
        id: String,
        /// Grant id.
        grant: String,
    },
    /// `anchors/{device}/{seq}` holds this digest.
    Anchored {
        /// Device id.
        device: String,
        /// Batch sequence number.
        seq: u64,
        /// The batch's digest, hex.
        digest: String,
    },
}

impl Effect {
    /// The state key whose proven value shows the effect.
    pub fn key(&self) -> Vec<u8> {
        match self {
            Self::ReportFiled { id, .. } | Self::ReportReviewed { id, .. } => keys::report(id),
            Self::GrantActive { id, .. } | Self::GrantRevoked { id } => keys::grant(id),
            Self::DeviceActive { id, .. } | Self::DeviceRevoked { id } => keys::device(id),
            Self::CredentialRevoked {
                issuer,
                credential_id,
            } => keys::revoked(issuer, credential_id),
            Self::RoleHeld { role, key } => keys::role(*role, key),
            Self::UseRecorded { id, .. } => keys::data_use(id),
            Self::Anchored { device, seq, .. } => keys::anchor_at(device, *seq),
        }
    }

    /// Whether `read` (a proven read of [`Effect::key`]) shows the effect.
    pub fn holds(&self, read: &ProvenRead) -> Result<bool> {
        Ok(match self {
            Self::ReportFiled { reporter, .. } => read
                .decode::<ReportRecord>()?
                .is_some_and(|r| &r.reporter == reporter),
            Self::ReportReviewed { status, .. } => read
                .decode::<ReportRecord>()?
                .is_some_and(|r| r.status == *status),
            Self::GrantActive { citizen, .. } => read
                .decode::<GrantRecord>()?
                .is_some_and(|g| &g.citizen == citizen && g.status == Status::Active),
            Self::GrantRevoked { .. } => read
                .decode::<GrantRecord>()?
                .is_some_and(|g| g.status == Status::Inactive),
            Self::DeviceActive { public_key, .. } => read
                .decode::<DeviceRecord>()?
                .is_some_and(|d| &d.public_key == public_key && d.status == Status::Active),
            Self::DeviceRevoked { .. } => read
                .decode::<DeviceRecord>()?
                .is_some_and(|d| d.status == Status::Inactive),
            Self::CredentialRevoked { .. } | Self::RoleHeld { .. } => read.value.is_some(),
            Self::UseRecorded { grant, .. } => read
                .decode::<DataUseRecord>()?
                .is_some_and(|u| &u.grant == grant),
            Self::Anchored { device, digest, .. } => read
                .decode::<AnchorRecord>()?
                .is_some_and(|a| &a.device == device && &a.digest == digest),
        })
    }
}

/// An action the facts allow: what to sign, what it is about, and its effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The action.
    pub action: Action,
    /// The report, grant, device or credential id (or key) it is about.
    pub subject: String,
    /// What proves it landed.
    pub effect: Effect,
}

impl Step {
    fn new(action: Action, subject: &str, effect: Effect) -> Result<Self> {
        check_fields(&action).map_err(Error::Field)?;
        Ok(Self {
            action,
            subject: subject.to_owned(),
            effect,
        })
    }

    /// The transaction body: on `chain_id`, by `signer` with its proven `nonce`, valid for
    /// [`TX_LIFETIME_SECS`] from `now` (Unix seconds).
    pub fn body(&self, chain_id: &str, signer: [u8; 32], nonce: u64, now: u64) -> TxBody {
        TxBody {
            chain_id: chain_id.to_owned(),
            signer,
            nonce,
            expires_at: now.saturating_add(TX_LIFETIME_SECS),
            action: self.action.clone(),
        }
    }
}

fn exists(kind: &'static str, id: &str) -> Error {
    Precondition::AlreadyExists {
        kind,
        id: id.to_owned(),
    }
    .into()
}

fn not_on_chain(kind: &'static str, id: &str) -> Error {
    Precondition::NotOnChain {
        kind,
        id: id.to_owned(),
    }
    .into()
}

fn not_active(kind: &'static str, id: &str) -> Error {
    Precondition::NotActive {
        kind,
        id: id.to_owned(),
    }
    .into()
}

/// File report `id` as `reporter`; `existing` is the proven record at that id.
pub fn submit_report(
    id: &str,
    report: &NewReport<'_>,
    reporter: &[u8; 32],
    existing: Option<&ReportRecord>,
) -> Result<Step> {
    if existing.is_some() {
        return Err(exists("report", id));
    }
    let evidence_hash = report_evidence_hash(report.description, report.evidence_sha256.as_ref());
    let action = match report.residency {
        None => Action::SubmitReport {
            id: id.to_owned(),
            category: report.category.to_owned(),
            location_cell: report.location.to_owned(),
            evidence_hash,
        },
        Some(p) => Action::SubmitPrivateReport {
            id: id.to_owned(),
            category: report.category.to_owned(),
            location_cell: report.location.to_owned(),
            evidence_hash,
            presentation: p.to_vec(),
        },
    };
    Step::new(
        action,
        id,
        Effect::ReportFiled {
            id: id.to_owned(),
            reporter: hex::encode(reporter),
        },
    )
}

/// Grant `id` as `citizen` at `now`; `org` and `existing` are proven.
pub fn create_grant(
    id: &str,
    grant: &NewGrant<'_>,
    citizen: &[u8; 32],
    now: u64,
    org: Option<&OrgRecord>,
    existing: Option<&GrantRecord>,
) -> Result<Step> {
    if grant.expires_at <= now {
        return Err(Precondition::ExpiryInPast.into());
    }
    let org = org.ok_or_else(|| Precondition::OrgUnknown(grant.org.to_owned()))?;
    if org.status != Status::Active {
        return Err(Precondition::OrgInactive(org.id.clone()).into());
    }
    if let Some(c) = grant
        .categories
        .iter()
        .find(|c| !org.categories.contains(c))
    {
        return Err(Precondition::OrgNotAccredited {
            org: org.id.clone(),
            category: c.clone(),
        }
        .into());
    }
    if existing.is_some() {
        return Err(exists("grant", id));
    }
    Step::new(
        Action::GrantAccess {
            id: id.to_owned(),
            org: grant.org.to_owned(),
            categories: grant.categories.to_vec(),
            purpose: grant.purpose.to_owned(),
            expires_at: grant.expires_at,
        },
        id,
        Effect::GrantActive {
            id: id.to_owned(),
            citizen: hex::encode(citizen),
        },
    )
}

/// Revoke grant `id` as `citizen`; `grant` is proven.
pub fn revoke_grant(id: &str, citizen: &[u8; 32], grant: Option<&GrantRecord>) -> Result<Step> {
    let g = grant.ok_or_else(|| not_on_chain("grant", id))?;
    if g.citizen != hex::encode(citizen) {
        return Err(Precondition::NotYours {
            kind: "grant",
            id: id.to_owned(),
        }
        .into());
    }
    if g.status != Status::Active {
        return Err(not_active("grant", id));
    }
    Step::new(
        Action::RevokeGrant { id: id.to_owned() },
        id,
        Effect::GrantRevoked { id: id.to_owned() },
    )
}

/// Record use `id` (`new`) under its grant (proven as `grant`, with its organisation's
/// proven record `org`) as the organisation key `signer` at `now`; `existing` is the proven
/// use of that id.
pub fn record_data_use(
    id: &str,
    new: &NewUse<'_>,
    signer: &[u8; 32],
    now: u64,
    grant: Option<&GrantRecord>,
    org: Option<&OrgRecord>,
    existing: Option<&DataUseRecord>,
) -> Result<Step> {
    let (grant_id, category) = (new.grant, new.category);
    let g = grant.ok_or_else(|| not_on_chain("grant", grant_id))?;
    let org = org.ok_or_else(|| Precondition::OrgUnknown(g.org.clone()))?;
    if org.key != hex::encode(signer) {
        return Err(Precondition::NotYours {
            kind: "grant",
            id: grant_id.to_owned(),
        }
        .into());
    }
    if org.status != Status::Active {
        return Err(Precondition::OrgInactive(org.id.clone()).into());
    }
    if g.status != Status::Active {
        return Err(not_active("grant", grant_id));
    }
    if g.expires_at <= now {
        return Err(Precondition::GrantExpired(grant_id.to_owned()).into());
    }
    if !g.categories.iter().any(|c| c == category) {
        return Err(Precondition::GrantNotCovering {
            grant: grant_id.to_owned(),
            category: category.to_owned(),
        }
        .into());
    }
    if existing.is_some() {
        return Err(exists("data use", id));
    }
    Step::new(
        Action::RecordDataUse {
            id: id.to_owned(),
            grant: grant_id.to_owned(),
            category: category.to_owned(),
            purpose: new.purpose.to_owned(),
        },
        id,
        Effect::UseRecorded {
            id: id.to_owned(),
            grant: grant_id.to_owned(),
        },
    )
}

/// Anchor batch `new` as the device key `signer`; `device` is the device's proven record
/// and `last` its proven latest anchor.
pub fn anchor_readings(
    new: &NewAnchor<'_>,
    signer: &[u8; 32],
    device: Option<&DeviceRecord>,
    last: Option<&AnchorRecord>,
) -> Result<Step> {
    let d = device.ok_or_else(|| not_on_chain("device", new.device))?;
    if d.public_key != hex::encode(signer) {
        return Err(Precondition::NotYours {
            kind: "device",
            id: new.device.to_owned(),
        }
        .into());
    }
    if d.status != Status::Active {
        return Err(not_active("device", new.device));
    }
    if let Some(l) = last.filter(|l| new.seq <= l.seq) {
        return Err(Precondition::BatchNotNewer {
            device: new.device.to_owned(),
            seq: new.seq,
            last: l.seq,
        }
        .into());
    }
    Step::new(
        Action::AnchorReadings {
            device: new.device.to_owned(),
            seq: new.seq,
            digest: new.digest,
            count: new.count,
            taken_at: new.taken_at,
        },
        &format!("{}/{}", new.device, new.seq),
        Effect::Anchored {
            device: new.device.to_owned(),
            seq: new.seq,
            digest: hex::encode(new.digest),
        },
    )
}

/// A technician may touch devices of their own department only: `technician` is the
/// signer's proven department (`None`: not a technician; `""`: none recorded, which matches
/// no device).
fn in_department(technician: Option<&str>, id: &str, device: &str) -> Result<()> {
    let own = technician.ok_or(Precondition::MissingRole("technician"))?;
    if own.is_empty() || own != device {
        return Err(Precondition::OtherDepartment {
            id: id.to_owned(),
            device: device.to_owned(),
            own: own.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Register a device, as a technician of its department (the signer's department proven,
/// `None` when the signer is proven not to be a technician); `existing` is proven.
pub fn register_device(
    device: &NewDevice<'_>,
    technician: Option<&str>,
    existing: Option<&DeviceRecord>,
) -> Result<Step> {
    in_department(technician, device.id, device.department)?;
    if existing.is_some() {
        return Err(exists("device", device.id));
    }
    Step::new(
        Action::ProvisionDevice {
            id: device.id.to_owned(),
            public_key: device.public_key,
            kind: device.kind.to_owned(),
            location: device.location.to_owned(),
            department: device.department.to_owned(),
        },
        device.id,
        Effect::DeviceActive {
            id: device.id.to_owned(),
            public_key: hex::encode(device.public_key),
        },
    )
}

/// Revoke device `id`, as a technician of its department (as in [`register_device`]);
/// `device` is proven.
pub fn revoke_device(
    id: &str,
    technician: Option<&str>,
    device: Option<&DeviceRecord>,
) -> Result<Step> {
    technician.ok_or(Precondition::MissingRole("technician"))?;
    let d = device.ok_or_else(|| not_on_chain("device", id))?;
    in_department(technician, id, &d.department)?;
    if d.status != Status::Active {
        return Err(not_active("device", id));
    }
    Step::new(
        Action::RevokeDevice { id: id.to_owned() },
        id,
        Effect::DeviceRevoked { id: id.to_owned() },
    )
}

/// Revoke a credential as issuer `issuer` with `operator`; the issuer record and whether
/// the credential is already revoked are proven.
pub fn revoke_credential(
    issuer: &str,
    credential_id: &str,
    reason: &str,
    operator: &[u8; 32],
    record: Option<&IssuerRecord>,
    already_revoked: bool,
) -> Result<Step> {
    let rec = record.ok_or_else(|| Precondition::IssuerUnknown(issuer.to_owned()))?;
    if rec.status != Status::Active {
        return Err(Precondition::IssuerInactive(issuer.to_owned()).into());
    }
    if rec.operator_key != hex::encode(operator) {
        return Err(Precondition::NotIssuerOperator(issuer.to_owned()).into());
    }
    if already_revoked {
        return Err(Precondition::CredentialRevoked(credential_id.to_owned()).into());
    }
    Step::new(
        Action::RevokeCredential {
            issuer: issuer.to_owned(),
            credential_id: credential_id.to_owned(),
            reason: reason.to_owned(),
        },
        credential_id,
        Effect::CredentialRevoked {
            issuer: issuer.to_owned(),
            credential_id: credential_id.to_owned(),
        },
    )
}

/// Give `key` a role in `department`, as a city admin (proven or not); `has_role` is proven.
pub fn register_role(
    role: Role,
    key: [u8; 32],
    department: &str,
    is_admin: bool,
    has_role: bool,
) -> Result<Step> {
    if !is_admin {
        return Err(Precondition::MissingRole("admin").into());
    }
    let subject = hex::encode(key);
    if has_role {
        return Err(exists("role", &format!("{}/{subject}", role.as_str())));
    }
    Step::new(
        Action::RegisterRole {
            role,
            key,
            department: department.to_owned(),
        },
        &subject,
        Effect::RoleHeld { role, key },
    )
}

/// Accept (with `reward`, at most the chain's proven `cap`) or reject report `id`, as an
/// officer; `report` is proven.
pub fn review_report(
    id: &str,
    accept: bool,
    reward: u64,
    cap: u64,
    is_officer: bool,
    report: Option<&ReportRecord>,
) -> Result<Step> {
    if !is_officer {
        return Err(Precondition::MissingRole("officer").into());
    }
    if accept && reward > cap {
        return Err(Precondition::RewardOverCap { reward, cap }.into());
    }
    let r = report.ok_or_else(|| not_on_chain("report", id))?;
    if r.status != ReportStatus::Submitted {
        return Err(not_active("report", id));
    }
    Step::new(
        Action::ReviewReport {
            id: id.to_owned(),
            accept,
            reward,
        },
        id,
        Effect::ReportReviewed {
            id: id.to_owned(),
            status: if accept {
                ReportStatus::Accepted
            } else {
                ReportStatus::Rejected
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(categories: &[&str], status: Status) -> OrgRecord {
        OrgRecord {
            id: "health-research".into(),
            name: "City Health Research Institute".into(),
            key: "00".into(),
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            status,
        }
    }

    fn grant<'a>(categories: &'a [String], expires_at: u64) -> NewGrant<'a> {
        NewGrant {
            org: "health-research",
            categories,
            purpose: "asthma study",
            expires_at,
        }
    }

    #[test]
    fn a_grant_needs_an_active_accredited_org_and_a_future_expiry() {
        let health = vec!["health".to_owned()];
        let me = [7; 32];
        let ok = create_grant(
            "g-1",
            &grant(&health, 200),
            &me,
            100,
            Some(&org(&["health"], Status::Active)),
            None,
        )
        .expect("allowed");
        assert_eq!(ok.effect.key(), b"grant/g-1".to_vec());
        let code = |r: Result<Step>| r.expect_err("refused").code();
        assert_eq!(
            code(create_grant(
                "g-1",
                &grant(&health, 100),
                &me,
                100,
                Some(&org(&["health"], Status::Active)),
                None
            )),
            "expiry_in_past"
        );
        assert_eq!(
            code(create_grant(
                "g-1",
                &grant(&health, 200),
                &me,
                100,
                None,
                None
            )),
            "org_unknown"
        );
        assert_eq!(
            code(create_grant(
                "g-1",
                &grant(&health, 200),
                &me,
                100,
                Some(&org(&["health"], Status::Inactive)),
                None
            )),
            "org_inactive"
        );
        assert_eq!(
            code(create_grant(
                "g-1",
                &grant(&health, 200),
                &me,
                100,
                Some(&org(&["mobility"], Status::Active)),
                None
            )),
            "org_not_accredited"
        );
    }

    #[test]
    fn a_field_the_node_refuses_is_refused_before_signing() {
        let r = NewReport {
            residency: None,
            category: "pothole",
            location: "Main St 12",
            description: "deep",
            evidence_sha256: None,
        };
        let e = submit_report("report-1", &r, &[1; 32], None).expect_err("not a cell");
        assert_eq!(e.code(), "field_not_an_id");
        assert!(matches!(
            e,
            Error::Field(f) if f.field == citywallet_protocol::Field::LocationCell
        ));
    }

    #[test]
    fn the_body_expires_after_its_lifetime() {
        let device = DeviceRecord {
            id: "aq-1".into(),
            public_key: "00".into(),
            kind: "k".into(),
            location: "l".into(),
            department: "d".into(),
            technician: "t".into(),
            status: Status::Active,
        };
        let step = revoke_device("aq-1", Some("d"), Some(&device)).expect("step");
        let body = step.body("city", [2; 32], 5, 1_000);
        assert_eq!((body.nonce, body.expires_at), (5, 1_000 + TX_LIFETIME_SECS));
        assert_eq!(
            revoke_device("aq-1", None, None).expect_err("role").code(),
            "missing_role"
        );
        // Another department's device, or a technician with no department recorded.
        for own in ["other", ""] {
            assert_eq!(
                revoke_device("aq-1", Some(own), Some(&device))
                    .expect_err("department")
                    .code(),
                "other_department"
            );
        }
    }

    #[test]
    fn a_reward_above_the_cap_is_refused_before_signing() {
        let report = ReportRecord {
            id: "r".into(),
            reporter: "00".repeat(32),
            category: "pothole".into(),
            location_cell: "cell-1".into(),
            evidence_hash: "00".repeat(32),
            time: 1,
            status: ReportStatus::Submitted,
            pseudonym: None,
        };
        assert!(review_report("r", true, 1_000, 1_000, true, Some(&report)).is_ok());
        assert_eq!(
            review_report("r", true, 1_001, 1_000, true, Some(&report))
                .expect_err("cap")
                .code(),
            "reward_over_cap"
        );
        // A rejection credits nothing, whatever the field says.
        assert!(review_report("r", false, 5_000, 1_000, true, Some(&report)).is_ok());
    }
}
