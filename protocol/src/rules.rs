//! Field rules: what the node accepts in each action's fields. The node refuses a
//! transaction that breaks one with the rule's [`Code`]; the wallet runs the same function
//! before it signs anything, so a field the node would refuse never leaves the wallet.

use crate::Code;
use crate::state::{
    MAX_CREDENTIAL_ID_CHARS, MAX_ID_CHARS, Role, is_valid_credential_id, is_valid_id,
};
use crate::tx::Action;

/// Longest free-text field (names, purposes, kinds, locations, departments, reasons).
pub const MAX_TEXT_CHARS: usize = 256;
/// Most items in a list field (categories, credential types).
pub const MAX_LIST_ITEMS: usize = 32;
/// Highest voting power one validator may be given.
pub const MAX_VALIDATOR_POWER: u64 = 1 << 40;
/// Shortest revocation bound an issuer may be given (an hour: below it credentials would
/// expire faster than a wallet can refresh them).
pub const MIN_REVOCATION_DELAY_SECS: u64 = 3600;
/// Longest revocation bound an issuer may be given (31 days).
pub const MAX_REVOCATION_DELAY_SECS: u64 = 31 * 24 * 3600;
/// How far a private credential's end may pass its issuer's revocation bound ahead of the
/// checker's time (clocks differ), seconds.
pub const REVOCATION_CLOCK_SKEW_SECS: u64 = 300;

/// Whether a private credential valid until `valid_until` is, at `now` (Unix seconds), valid
/// for longer ahead than its issuer's revocation bound `bound_secs` allows: then a revocation
/// would not take effect within the bound, and the credential is refused.
pub fn outlives_revocation_bound(valid_until: i64, now: i64, bound_secs: u64) -> bool {
    let ahead = u64::try_from(valid_until.saturating_sub(now)).unwrap_or(0);
    ahead > bound_secs.saturating_add(REVOCATION_CLOCK_SKEW_SECS)
}

/// The id rule as an HTML `pattern` (for forms that offer what the node accepts).
pub const ID_PATTERN: &str = "[A-Za-z0-9:._\\-]{1,64}";

/// A field of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// An issuer's id.
    IssuerId,
    /// An organisation's id.
    OrgId,
    /// A device's id.
    DeviceId,
    /// A report's id.
    ReportId,
    /// A grant's id.
    GrantId,
    /// A display name.
    Name,
    /// The credential types an issuer may issue.
    CredentialTypes,
    /// Data categories (an organisation's accreditation, a grant's scope).
    Categories,
    /// A report's category.
    Category,
    /// A report's location cell.
    LocationCell,
    /// A device's kind.
    Kind,
    /// A device's location.
    Location,
    /// A device's department.
    Department,
    /// A credential id being revoked.
    CredentialId,
    /// Why a credential is revoked.
    Reason,
    /// A grant's purpose.
    Purpose,
    /// A validator's public key.
    ValidatorKey,
    /// A validator's power.
    Power,
    /// An issuer's revocation bound.
    RevocationBound,
    /// A private report's presentation.
    Presentation,
    /// A data use's id.
    UseId,
    /// How many readings an anchored batch holds.
    ReadingCount,
}

impl Field {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IssuerId => "issuer_id",
            Self::OrgId => "org_id",
            Self::DeviceId => "device_id",
            Self::ReportId => "report_id",
            Self::GrantId => "grant_id",
            Self::Name => "name",
            Self::CredentialTypes => "credential_types",
            Self::Categories => "categories",
            Self::Category => "category",
            Self::LocationCell => "location_cell",
            Self::Kind => "kind",
            Self::Location => "location",
            Self::Department => "department",
            Self::CredentialId => "credential_id",
            Self::Reason => "reason",
            Self::Purpose => "purpose",
            Self::ValidatorKey => "validator_key",
            Self::Power => "power",
            Self::RevocationBound => "revocation_bound",
            Self::Presentation => "presentation",
            Self::UseId => "use_id",
            Self::ReadingCount => "reading_count",
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Not 1 to [`MAX_ID_CHARS`] characters of `a-z A-Z 0-9 : . _ -`.
    NotAnId,
    /// Empty.
    Empty,
    /// Longer than [`MAX_TEXT_CHARS`].
    TooLong,
    /// Holds a control character.
    ControlCharacter,
    /// More than [`MAX_LIST_ITEMS`] items.
    TooMany,
    /// Not 1 to [`MAX_CREDENTIAL_ID_CHARS`] characters of `a-z A-Z 0-9 : . _ - /`.
    NotACredentialId,
    /// Not an Ed25519 public key.
    NotAKey,
    /// Above [`MAX_VALIDATOR_POWER`].
    TooMuchPower,
    /// Outside [`MIN_REVOCATION_DELAY_SECS`] to [`MAX_REVOCATION_DELAY_SECS`].
    OutOfRange,
    /// Not 1 to [`crate::MAX_READINGS_PER_ANCHOR`] readings.
    BadCount,
}

impl Problem {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAnId => "not_an_id",
            Self::Empty => "empty",
            Self::TooLong => "too_long",
            Self::ControlCharacter => "control_character",
            Self::TooMany => "too_many",
            Self::NotACredentialId => "not_a_credential_id",
            Self::NotAKey => "not_a_key",
            Self::TooMuchPower => "too_much_power",
            Self::OutOfRange => "out_of_range",
            Self::BadCount => "bad_count",
        }
    }
}

/// A field the node refuses, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", field.as_str(), describe(*problem))]
pub struct FieldError {
    /// The field.
    pub field: Field,
    /// Its problem.
    pub problem: Problem,
}

fn describe(p: Problem) -> String {
    match p {
        Problem::NotAnId => {
            format!("must be 1-{MAX_ID_CHARS} characters of a-z A-Z 0-9 : . _ -")
        }
        Problem::Empty => "is empty".into(),
        Problem::TooLong => format!("is longer than {MAX_TEXT_CHARS} characters"),
        Problem::ControlCharacter => "has a control character".into(),
        Problem::TooMany => format!("has more than {MAX_LIST_ITEMS} items"),
        Problem::NotACredentialId => {
            format!("must be 1-{MAX_CREDENTIAL_ID_CHARS} characters of a-z A-Z 0-9 : . _ - /")
        }
        Problem::NotAKey => "is not an Ed25519 public key".into(),
        Problem::TooMuchPower => format!("is above {MAX_VALIDATOR_POWER}"),
        Problem::OutOfRange => {
            format!("must be {MIN_REVOCATION_DELAY_SECS} to {MAX_REVOCATION_DELAY_SECS} seconds")
        }
        Problem::BadCount => {
            format!("must be 1 to {} readings", crate::MAX_READINGS_PER_ANCHOR)
        }
    }
}

impl FieldError {
    /// The result code the node refuses it with.
    pub fn code(&self) -> Code {
        match self.problem {
            Problem::TooLong | Problem::TooMany => Code::TooLarge,
            _ => Code::InvalidField,
        }
    }
}

fn fail(field: Field, problem: Problem) -> Result<(), FieldError> {
    Err(FieldError { field, problem })
}

/// An id field.
pub fn check_id(id: &str, field: Field) -> Result<(), FieldError> {
    if is_valid_id(id) {
        Ok(())
    } else {
        fail(field, Problem::NotAnId)
    }
}

/// A free-text field: 1 to [`MAX_TEXT_CHARS`] characters, no control characters.
pub fn check_text(text: &str, field: Field) -> Result<(), FieldError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return fail(field, Problem::TooLong);
    }
    if text.is_empty() {
        return fail(field, Problem::Empty);
    }
    if text.chars().any(char::is_control) {
        return fail(field, Problem::ControlCharacter);
    }
    Ok(())
}

/// A list of ids: 1 to [`MAX_LIST_ITEMS`] of them.
pub fn check_list(items: &[String], field: Field) -> Result<(), FieldError> {
    if items.len() > MAX_LIST_ITEMS {
        return fail(field, Problem::TooMany);
    }
    if items.is_empty() {
        return fail(field, Problem::Empty);
    }
    items.iter().try_for_each(|i| check_id(i, field))
}

/// A credential id, by the rule issuance uses too ([`is_valid_credential_id`]).
pub fn check_credential_id(id: &str) -> Result<(), FieldError> {
    if is_valid_credential_id(id) {
        Ok(())
    } else {
        fail(Field::CredentialId, Problem::NotACredentialId)
    }
}

/// Every field rule of `action`, in field order; the first broken one is the answer.
pub fn check_fields(action: &Action) -> Result<(), FieldError> {
    use Field as F;
    match action {
        Action::RegisterIssuer {
            id,
            name,
            credential_types,
            ..
        } => {
            check_id(id, F::IssuerId)?;
            check_text(name, F::Name)?;
            check_list(credential_types, F::CredentialTypes)
        }
        Action::DeactivateIssuer { id } => check_id(id, F::IssuerId),
        Action::RegisterOrg {
            id,
            name,
            categories,
            ..
        } => {
            check_id(id, F::OrgId)?;
            check_text(name, F::Name)?;
            check_list(categories, F::Categories)
        }
        Action::DeactivateOrg { id } => check_id(id, F::OrgId),
        // A technician's department scopes the devices they may touch: it must be named.
        Action::RegisterRole {
            role, department, ..
        } => match role {
            Role::Technician => check_text(department, F::Department),
            Role::Officer if department.is_empty() => Ok(()),
            Role::Officer => check_text(department, F::Department),
        },
        Action::RemoveRole { .. } | Action::RotateAdmin { .. } => Ok(()),
        Action::ProvisionDevice {
            id,
            kind,
            location,
            department,
            ..
        } => {
            check_id(id, F::DeviceId)?;
            check_text(kind, F::Kind)?;
            check_text(location, F::Location)?;
            check_text(department, F::Department)
        }
        Action::RevokeDevice { id } => check_id(id, F::DeviceId),
        Action::RevokeCredential {
            issuer,
            credential_id,
            reason,
        } => {
            check_id(issuer, F::IssuerId)?;
            check_credential_id(credential_id)?;
            check_text(reason, F::Reason)
        }
        Action::SubmitReport {
            id,
            category,
            location_cell,
            ..
        } => {
            check_id(id, F::ReportId)?;
            check_id(category, F::Category)?;
            check_id(location_cell, F::LocationCell)
        }
        Action::RecordDataUse {
            id,
            grant,
            category,
            purpose,
        } => {
            check_id(id, F::UseId)?;
            check_id(grant, F::GrantId)?;
            check_id(category, F::Categories)?;
            check_text(purpose, F::Purpose)
        }
        Action::AnchorReadings { device, count, .. } => {
            check_id(device, F::DeviceId)?;
            if !(1..=crate::MAX_READINGS_PER_ANCHOR).contains(count) {
                return fail(F::ReadingCount, Problem::BadCount);
            }
            Ok(())
        }
        Action::SubmitPrivateReport {
            id,
            category,
            location_cell,
            presentation,
            ..
        } => {
            check_id(id, F::ReportId)?;
            check_id(category, F::Category)?;
            check_id(location_cell, F::LocationCell)?;
            if presentation.len() > crate::reports::MAX_PRESENTATION_BYTES {
                return fail(F::Presentation, Problem::TooLong);
            }
            if presentation.is_empty() {
                return fail(F::Presentation, Problem::Empty);
            }
            Ok(())
        }
        Action::ReviewReport { id, .. } => check_id(id, F::ReportId),
        Action::GrantAccess {
            id,
            org,
            categories,
            purpose,
            ..
        } => {
            check_id(id, F::GrantId)?;
            check_id(org, F::OrgId)?;
            check_list(categories, F::Categories)?;
            check_text(purpose, F::Purpose)
        }
        Action::RevokeGrant { id } => check_id(id, F::GrantId),
        Action::SetValidator { public_key, power } => {
            if ed25519_dalek::VerifyingKey::from_bytes(public_key).is_err() {
                return fail(F::ValidatorKey, Problem::NotAKey);
            }
            if *power > MAX_VALIDATOR_POWER {
                return fail(F::Power, Problem::TooMuchPower);
            }
            Ok(())
        }
        Action::SetRevocationBound {
            issuer,
            max_delay_secs,
        } => {
            check_id(issuer, F::IssuerId)?;
            if !(MIN_REVOCATION_DELAY_SECS..=MAX_REVOCATION_DELAY_SECS).contains(max_delay_secs) {
                return fail(F::RevocationBound, Problem::OutOfRange);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(cell: &str) -> Action {
        Action::SubmitReport {
            id: "report-1".into(),
            category: "pothole".into(),
            location_cell: cell.into(),
            evidence_hash: [0; 32],
        }
    }

    #[test]
    fn a_street_address_is_not_a_location_cell() {
        assert_eq!(check_fields(&report("cell-8a2b")), Ok(()));
        let e = check_fields(&report("Main St 12")).expect_err("address");
        assert_eq!(
            (e.field, e.problem, e.code()),
            (Field::LocationCell, Problem::NotAnId, Code::InvalidField)
        );
    }

    #[test]
    fn limits_give_too_large_and_shapes_invalid_field() {
        let grant = |purpose: String, n: usize| Action::GrantAccess {
            id: "g".into(),
            org: "org".into(),
            categories: vec!["health".into(); n],
            purpose,
            expires_at: 1,
        };
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            check_fields(&grant(long, 1)).map_err(|e| e.code()),
            Err(Code::TooLarge)
        );
        assert_eq!(
            check_fields(&grant("p".into(), MAX_LIST_ITEMS + 1)).map_err(|e| e.code()),
            Err(Code::TooLarge)
        );
        assert_eq!(
            check_fields(&grant("p".into(), 0)).map_err(|e| e.problem),
            Err(Problem::Empty)
        );
        assert_eq!(
            check_fields(&grant("a\nb".into(), 1)).map_err(|e| e.problem),
            Err(Problem::ControlCharacter)
        );
        // One credential id rule, the one issuance uses: a path-like id is revocable.
        let revoke = |credential_id: &str| Action::RevokeCredential {
            issuer: "i".into(),
            credential_id: credential_id.into(),
            reason: "r".into(),
        };
        for ok in ["a/b", "https:/city.example/credentials/42", "urn:uuid:1-2"] {
            assert_eq!(check_fields(&revoke(ok)), Ok(()), "{ok}");
        }
        let long = "c".repeat(MAX_CREDENTIAL_ID_CHARS + 1);
        for bad in ["", "a b", "a?b", long.as_str()] {
            assert_eq!(
                check_fields(&revoke(bad)).map_err(|e| (e.field, e.problem)),
                Err((Field::CredentialId, Problem::NotACredentialId)),
                "{bad}"
            );
        }
        // A technician's department must be named; an officer's may be left empty.
        let role = |role, department: &str| Action::RegisterRole {
            role,
            key: [1; 32],
            department: department.into(),
        };
        assert_eq!(
            check_fields(&role(Role::Technician, "")).map_err(|e| (e.field, e.problem)),
            Err((Field::Department, Problem::Empty))
        );
        assert_eq!(check_fields(&role(Role::Technician, "environment")), Ok(()));
        assert_eq!(check_fields(&role(Role::Officer, "")), Ok(()));
    }
}
