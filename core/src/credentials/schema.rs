//! Credential types and their claims, and the canonical text of every claim value.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The schema version every credential type is at today.
pub const SCHEMA_VERSION: u32 = 1;
const MAX_TEXT_CHARS: usize = 128;

/// The credential types the city issues.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialType {
    /// A credit score from a bureau: score, tier, bureau, date.
    Credit,
    /// A salted SHA-256 hash of a biometric template (never the template): template_hash,
    /// modality, office.
    Biometric,
    /// Residency in a district: district, since.
    Residency,
    /// A field officer's role: department, badge, scopes.
    Officer,
    /// An IoT technician's licence: department, licence, scopes.
    Technician,
}

/// How a claim's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Decimal integer in a range, no sign or leading zeros.
    Integer {
        /// Smallest value.
        min: u32,
        /// Largest value.
        max: u32,
    },
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Text of 1 to 128 characters, no control characters, no surrounding spaces.
    Text,
    /// 32 bytes as 64 lower-case hex digits.
    Hex32,
    /// Comma-separated tokens of `a-z 0-9 : . _ -`, no spaces.
    Scopes,
}

/// A claim of a credential type: its name and how its value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimSpec {
    /// Claim name.
    pub name: &'static str,
    /// Value format.
    pub kind: ValueKind,
}

const fn spec(name: &'static str, kind: ValueKind) -> ClaimSpec {
    ClaimSpec { name, kind }
}

const CREDIT: &[ClaimSpec] = &[
    spec("score", ValueKind::Integer { min: 300, max: 850 }),
    spec("tier", ValueKind::OneOf(&["A", "B", "C", "D", "E"])),
    spec("bureau", ValueKind::Text),
    spec("date", ValueKind::Date),
];
const BIOMETRIC: &[ClaimSpec] = &[
    spec("template_hash", ValueKind::Hex32),
    spec(
        "modality",
        ValueKind::OneOf(&["face", "fingerprint", "iris", "palm", "voice"]),
    ),
    spec("office", ValueKind::Text),
];
const RESIDENCY: &[ClaimSpec] = &[
    spec("district", ValueKind::Text),
    spec("since", ValueKind::Date),
];
const OFFICER: &[ClaimSpec] = &[
    spec("department", ValueKind::Text),
    spec("badge", ValueKind::Text),
    spec("scopes", ValueKind::Scopes),
];
const TECHNICIAN: &[ClaimSpec] = &[
    spec("department", ValueKind::Text),
    spec("licence", ValueKind::Text),
    spec("scopes", ValueKind::Scopes),
];

impl CredentialType {
    /// Every type.
    pub const ALL: [Self; 5] = [
        Self::Credit,
        Self::Biometric,
        Self::Residency,
        Self::Officer,
        Self::Technician,
    ];

    /// The claims, in message order (after the holder message).
    pub fn claims(self) -> &'static [ClaimSpec] {
        match self {
            Self::Credit => CREDIT,
            Self::Biometric => BIOMETRIC,
            Self::Residency => RESIDENCY,
            Self::Officer => OFFICER,
            Self::Technician => TECHNICIAN,
        }
    }

    /// The type's name, as in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Biometric => "biometric",
            Self::Residency => "residency",
            Self::Officer => "officer",
            Self::Technician => "technician",
        }
    }

    /// Whether a credential of this type may be private (signed blindly, shown with no DID
    /// and no id): a citizen's credential may. An officer's or technician's credential is
    /// shown with the key the chain holds the role under, so it always names its holder.
    pub fn may_be_private(self) -> bool {
        !matches!(self, Self::Officer | Self::Technician)
    }

    /// Parse a type name.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or(Error::InvalidCredential {
                reason: "unknown credential type",
            })
    }
}

/// Check that `value` is the canonical text of a `kind` value.
pub fn check_value(kind: ValueKind, value: &str) -> Result<()> {
    let ok = match kind {
        ValueKind::Integer { min, max } => {
            !value.is_empty()
                && value.len() <= 10
                && value.bytes().all(|b| b.is_ascii_digit())
                && (value == "0" || !value.starts_with('0'))
                && value.parse::<u32>().is_ok_and(|v| (min..=max).contains(&v))
        }
        ValueKind::OneOf(words) => words.contains(&value),
        ValueKind::Date => is_date(value),
        ValueKind::Text => {
            let chars = value.chars().count();
            (1..=MAX_TEXT_CHARS).contains(&chars)
                && !value.chars().any(char::is_control)
                && value.trim() == value
        }
        ValueKind::Hex32 => {
            value.len() == 64
                && value
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }
        ValueKind::Scopes => {
            value.len() <= 512
                && value.split(',').all(|t| {
                    !t.is_empty()
                        && t.bytes().all(|b| {
                            b.is_ascii_lowercase()
                                || b.is_ascii_digit()
                                || matches!(b, b':' | b'.' | b'_' | b'-')
                        })
                })
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidCredential {
            reason: match kind {
                ValueKind::Integer { .. } => "a number claim is out of range or not canonical",
                ValueKind::OneOf(_) => "a claim is not one of its allowed values",
                ValueKind::Date => "a date claim is not a YYYY-MM-DD date",
                ValueKind::Text => "a text claim is empty, too long or has control characters",
                ValueKind::Hex32 => "a hash claim is not 64 lower-case hex digits",
                ValueKind::Scopes => "a scopes claim is not a comma-separated list of tokens",
            },
        })
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1900 && (1..=days).contains(&d)
}

/// The hex SHA-256 of `salt || template`: the only form of a biometric template the city
/// issues or the wallet keeps. The template itself is never stored or accepted.
pub fn biometric_template_hash(salt: &[u8], template: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(salt);
    ctx.update(template);
    hex::encode(ctx.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_must_be_canonical() {
        let score = ValueKind::Integer { min: 300, max: 850 };
        for good in ["300", "742", "850"] {
            assert!(check_value(score, good).is_ok(), "{good}");
        }
        for bad in [
            "299",
            "851",
            "0742",
            "+742",
            "742 ",
            "",
            "7e2",
            "99999999999",
        ] {
            assert!(check_value(score, bad).is_err(), "{bad}");
        }
        assert!(check_value(ValueKind::Date, "2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "2024-01-32",
            "20ab-01-01",
        ] {
            assert!(check_value(ValueKind::Date, bad).is_err(), "{bad}");
        }
        assert!(check_value(ValueKind::Text, "Equifax City").is_ok());
        for bad in ["", " padded", "line\nbreak", &"x".repeat(129)] {
            assert!(check_value(ValueKind::Text, bad).is_err(), "{bad:?}");
        }
        assert!(check_value(ValueKind::Scopes, "verify:credit,verify:residency").is_ok());
        assert!(check_value(ValueKind::Scopes, "verify:credit,,x").is_err());
        assert!(check_value(ValueKind::Scopes, "Verify").is_err());
    }

    #[test]
    fn a_raw_template_is_not_a_hash() {
        let hash = biometric_template_hash(b"enrolment-salt-16", b"minutiae bytes ...");
        assert!(check_value(ValueKind::Hex32, &hash).is_ok());
        assert!(check_value(ValueKind::Hex32, &hex::encode([7u8; 600])).is_err());
        assert!(check_value(ValueKind::Hex32, &hash.to_uppercase()).is_err());
    }
}
