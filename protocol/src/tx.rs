//! Transactions: body, action, signature, and the canonical encoding.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::codec::{DecodeError, Reader, Writer};
use crate::state::Role;

/// Largest encoded transaction accepted.
pub const MAX_TX_BYTES: usize = 8 * 1024;
const MAGIC: &[u8; 3] = b"CWT";
const VERSION: u8 = 1;
const DOMAIN: &[u8] = b"CityWallet tx v1\0";

/// What a transaction does. The tag of each variant is its position here (0, 1, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// 0, admin: register an issuer with its BBS key and the Ed25519 key that signs its
    /// transactions. Fields: id str, name str, bbs_public_key bytes96, operator_key bytes32,
    /// credential_types list<str>.
    RegisterIssuer {
        /// Issuer id.
        id: String,
        /// Display name.
        name: String,
        /// BBS public key (BLS12-381 G2, compressed).
        bbs_public_key: [u8; 96],
        /// Ed25519 key that signs the issuer's transactions (revocations).
        operator_key: [u8; 32],
        /// Credential types it may issue.
        credential_types: Vec<String>,
    },
    /// 1, admin: deactivate an issuer. Fields: id str.
    DeactivateIssuer {
        /// Issuer id.
        id: String,
    },
    /// 2, admin: register an organisation (data consumer). Fields: id str, name str,
    /// key bytes32, categories list<str>.
    RegisterOrg {
        /// Organisation id.
        id: String,
        /// Display name.
        name: String,
        /// Its Ed25519 key.
        key: [u8; 32],
        /// Data categories it is accredited for.
        categories: Vec<String>,
    },
    /// 3, admin: deactivate an organisation. Fields: id str.
    DeactivateOrg {
        /// Organisation id.
        id: String,
    },
    /// 4, admin: give a key the officer or technician role, in a department. Fields: role
    /// u8, key bytes32, department str (required for a technician, who provisions and
    /// revokes devices of that department only; may be empty for an officer).
    RegisterRole {
        /// The role.
        role: Role,
        /// The Ed25519 key.
        key: [u8; 32],
        /// The department the role is held in.
        department: String,
    },
    /// 5, technician: register a device key. Fields: id str, public_key bytes32, kind str,
    /// location str, department str.
    ProvisionDevice {
        /// Device id.
        id: String,
        /// The device's Ed25519 key.
        public_key: [u8; 32],
        /// Kind, such as `air-quality-sensor`.
        kind: String,
        /// Location (cell id or address).
        location: String,
        /// Owning department.
        department: String,
    },
    /// 6, technician: revoke a device. Fields: id str.
    RevokeDevice {
        /// Device id.
        id: String,
    },
    /// 7, the issuer's operator key: revoke a credential. Fields: issuer str,
    /// credential_id str, reason str.
    RevokeCredential {
        /// Issuer id.
        issuer: String,
        /// Credential id.
        credential_id: String,
        /// Why.
        reason: String,
    },
    /// 8, citizen: file a report. Fields: id str, category str, location_cell str,
    /// evidence_hash bytes32.
    SubmitReport {
        /// Report id.
        id: String,
        /// Category, such as `pothole`.
        category: String,
        /// Location cell.
        location_cell: String,
        /// SHA-256 of the evidence.
        evidence_hash: [u8; 32],
    },
    /// 9, officer: accept (crediting `reward` points) or reject a report. Fields: id str,
    /// accept u8 (0 or 1), reward u64.
    ReviewReport {
        /// Report id.
        id: String,
        /// Accept or reject.
        accept: bool,
        /// Points credited to the reporter on acceptance.
        reward: u64,
    },
    /// 10, citizen: grant an organisation access to data categories. Fields: id str, org str,
    /// categories list<str>, purpose str, expires_at u64 (Unix seconds).
    GrantAccess {
        /// Grant id.
        id: String,
        /// Organisation id.
        org: String,
        /// Categories granted.
        categories: Vec<String>,
        /// Purpose stated by the organisation.
        purpose: String,
        /// When the grant ends.
        expires_at: u64,
    },
    /// 11, the citizen who granted it: revoke a grant. Fields: id str.
    RevokeGrant {
        /// Grant id.
        id: String,
    },
    /// 12, admin: set a validator's voting power (0 removes it). Fields: public_key bytes32,
    /// power u64.
    SetValidator {
        /// Validator Ed25519 key.
        public_key: [u8; 32],
        /// Voting power.
        power: u64,
    },
    /// 13, admin: take a role away from a key (and its department). Fields: role u8, key
    /// bytes32.
    RemoveRole {
        /// The role.
        role: Role,
        /// The Ed25519 key.
        key: [u8; 32],
    },
    /// 14, admin: hand the signer's admin standing to a new key (the signer's stops).
    /// Fields: new_key bytes32.
    RotateAdmin {
        /// The admin's new Ed25519 key.
        new_key: [u8; 32],
    },
    /// 15, admin: set the longest an issuer's revoked credential may still pass a check, in
    /// seconds (verifiers refuse a private credential valid for longer than this past the
    /// proven time, and show the bound). Fields: issuer str, max_delay_secs u64.
    SetRevocationBound {
        /// Issuer id.
        issuer: String,
        /// The bound, seconds.
        max_delay_secs: u64,
    },
    /// 16, citizen: file a report vouched for by a private residency credential (see
    /// [`crate::reports`]). Fields: id str, category str, location_cell str, evidence_hash
    /// bytes32, presentation blob (a compact private presentation, u16 length).
    SubmitPrivateReport {
        /// Report id.
        id: String,
        /// Category.
        category: String,
        /// Location cell.
        location_cell: String,
        /// SHA-256 of the evidence.
        evidence_hash: [u8; 32],
        /// The private presentation of a residency credential, for this report's nonce
        /// and the window's pseudonym context.
        presentation: Vec<u8>,
    },
    /// 17, the organisation a grant names (its registered key): record one use of the
    /// citizen's data under the grant, at the block's time. Fields: id str, grant str,
    /// category str, purpose str.
    RecordDataUse {
        /// The use's id (the organisation's).
        id: String,
        /// The grant it is made under.
        grant: String,
        /// The data category used (one of the grant's).
        category: String,
        /// What it was used for.
        purpose: String,
    },
    /// 18, a registered device (its own key, from its provisioning bundle): anchor a batch
    /// of its readings. Fields: device str, seq u64, digest bytes32, count u64, taken_at
    /// u64.
    AnchorReadings {
        /// The device's id.
        device: String,
        /// The batch's sequence number: above the device's last anchored one.
        seq: u64,
        /// SHA-256 of the batch (see `citywallet_protocol::readings`).
        digest: [u8; 32],
        /// How many readings the batch holds.
        count: u64,
        /// When the device closed the batch, by its clock (Unix seconds).
        taken_at: u64,
    },
}

/// What kind of action a transaction is, without its fields (receipts and logs name it).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// [`Action::RegisterIssuer`].
    RegisterIssuer,
    /// [`Action::DeactivateIssuer`].
    DeactivateIssuer,
    /// [`Action::RegisterOrg`].
    RegisterOrg,
    /// [`Action::DeactivateOrg`].
    DeactivateOrg,
    /// [`Action::RegisterRole`].
    RegisterRole,
    /// [`Action::ProvisionDevice`].
    ProvisionDevice,
    /// [`Action::RevokeDevice`].
    RevokeDevice,
    /// [`Action::RevokeCredential`].
    RevokeCredential,
    /// [`Action::SubmitReport`].
    SubmitReport,
    /// [`Action::ReviewReport`].
    ReviewReport,
    /// [`Action::GrantAccess`].
    GrantAccess,
    /// [`Action::RevokeGrant`].
    RevokeGrant,
    /// [`Action::SetValidator`].
    SetValidator,
    /// [`Action::RemoveRole`].
    RemoveRole,
    /// [`Action::RotateAdmin`].
    RotateAdmin,
    /// [`Action::SetRevocationBound`].
    SetRevocationBound,
    /// [`Action::SubmitPrivateReport`].
    SubmitPrivateReport,
    /// [`Action::RecordDataUse`].
    RecordDataUse,
    /// [`Action::AnchorReadings`].
    AnchorReadings,
}

impl ActionKind {
    /// Every kind, in tag order.
    pub const ALL: [Self; 19] = [
        Self::RegisterIssuer,
        Self::DeactivateIssuer,
        Self::RegisterOrg,
        Self::DeactivateOrg,
        Self::RegisterRole,
        Self::ProvisionDevice,
        Self::RevokeDevice,
        Self::RevokeCredential,
        Self::SubmitReport,
        Self::ReviewReport,
        Self::GrantAccess,
        Self::RevokeGrant,
        Self::SetValidator,
        Self::RemoveRole,
        Self::RotateAdmin,
        Self::SetRevocationBound,
        Self::SubmitPrivateReport,
        Self::RecordDataUse,
        Self::AnchorReadings,
    ];

    /// A stable snake_case name, for logs, events and receipts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegisterIssuer => "register_issuer",
            Self::DeactivateIssuer => "deactivate_issuer",
            Self::RegisterOrg => "register_org",
            Self::DeactivateOrg => "deactivate_org",
            Self::RegisterRole => "register_role",
            Self::ProvisionDevice => "provision_device",
            Self::RevokeDevice => "revoke_device",
            Self::RevokeCredential => "revoke_credential",
            Self::SubmitReport => "submit_report",
            Self::ReviewReport => "review_report",
            Self::GrantAccess => "grant_access",
            Self::RevokeGrant => "revoke_grant",
            Self::SetValidator => "set_validator",
            Self::RemoveRole => "remove_role",
            Self::RotateAdmin => "rotate_admin",
            Self::SetRevocationBound => "set_revocation_bound",
            Self::SubmitPrivateReport => "submit_private_report",
            Self::RecordDataUse => "record_data_use",
            Self::AnchorReadings => "anchor_readings",
        }
    }

    /// The kind named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl Action {
    /// Its kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::RegisterIssuer { .. } => ActionKind::RegisterIssuer,
            Self::DeactivateIssuer { .. } => ActionKind::DeactivateIssuer,
            Self::RegisterOrg { .. } => ActionKind::RegisterOrg,
            Self::DeactivateOrg { .. } => ActionKind::DeactivateOrg,
            Self::RegisterRole { .. } => ActionKind::RegisterRole,
            Self::ProvisionDevice { .. } => ActionKind::ProvisionDevice,
            Self::RevokeDevice { .. } => ActionKind::RevokeDevice,
            Self::RevokeCredential { .. } => ActionKind::RevokeCredential,
            Self::SubmitReport { .. } => ActionKind::SubmitReport,
            Self::ReviewReport { .. } => ActionKind::ReviewReport,
            Self::GrantAccess { .. } => ActionKind::GrantAccess,
            Self::RevokeGrant { .. } => ActionKind::RevokeGrant,
            Self::SetValidator { .. } => ActionKind::SetValidator,
            Self::RemoveRole { .. } => ActionKind::RemoveRole,
            Self::RotateAdmin { .. } => ActionKind::RotateAdmin,
            Self::SetRevocationBound { .. } => ActionKind::SetRevocationBound,
            Self::SubmitPrivateReport { .. } => ActionKind::SubmitPrivateReport,
            Self::RecordDataUse { .. } => ActionKind::RecordDataUse,
            Self::AnchorReadings { .. } => ActionKind::AnchorReadings,
        }
    }

    /// A stable name, for logs and events.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    fn encode(&self, w: &mut Writer) {
        match self {
            Self::RegisterIssuer {
                id,
                name,
                bbs_public_key,
                operator_key,
                credential_types,
            } => {
                w.u8(0);
                w.str(id);
                w.str(name);
                w.bytes(bbs_public_key);
                w.bytes(operator_key);
                w.list(credential_types);
            }
            Self::DeactivateIssuer { id } => {
                w.u8(1);
                w.str(id);
            }
            Self::RegisterOrg {
                id,
                name,
                key,
                categories,
            } => {
                w.u8(2);
                w.str(id);
                w.str(name);
                w.bytes(key);
                w.list(categories);
            }
            Self::DeactivateOrg { id } => {
                w.u8(3);
                w.str(id);
            }
            Self::RegisterRole {
                role,
                key,
                department,
            } => {
                w.u8(4);
                w.u8(role.tag());
                w.bytes(key);
                w.str(department);
            }
            Self::ProvisionDevice {
                id,
                public_key,
                kind,
                location,
                department,
            } => {
                w.u8(5);
                w.str(id);
                w.bytes(public_key);
                w.str(kind);
                w.str(location);
                w.str(department);
            }
            Self::RevokeDevice { id } => {
                w.u8(6);
                w.str(id);
            }
            Self::RevokeCredential {
                issuer,
                credential_id,
                reason,
            } => {
                w.u8(7);
                w.str(issuer);
                w.str(credential_id);
                w.str(reason);
            }
            Self::SubmitReport {
                id,
                category,
                location_cell,
                evidence_hash,
            } => {
                w.u8(8);
                w.str(id);
                w.str(category);
                w.str(location_cell);
                w.bytes(evidence_hash);
            }
            Self::ReviewReport { id, accept, reward } => {
                w.u8(9);
                w.str(id);
                w.u8(u8::from(*accept));
                w.u64(*reward);
            }
            Self::GrantAccess {
                id,
                org,
                categories,
                purpose,
                expires_at,
            } => {
                w.u8(10);
                w.str(id);
                w.str(org);
                w.list(categories);
                w.str(purpose);
                w.u64(*expires_at);
            }
            Self::RevokeGrant { id } => {
                w.u8(11);
                w.str(id);
            }
            Self::SetValidator { public_key, power } => {
                w.u8(12);
                w.bytes(public_key);
                w.u64(*power);
            }
            Self::RemoveRole { role, key } => {
                w.u8(13);
                w.u8(role.tag());
                w.bytes(key);
            }
            Self::RotateAdmin { new_key } => {
                w.u8(14);
                w.bytes(new_key);
            }
            Self::SetRevocationBound {
                issuer,
                max_delay_secs,
            } => {
                w.u8(15);
                w.str(issuer);
                w.u64(*max_delay_secs);
            }
            Self::SubmitPrivateReport {
                id,
                category,
                location_cell,
                evidence_hash,
                presentation,
            } => {
                w.u8(16);
                w.str(id);
                w.str(category);
                w.str(location_cell);
                w.bytes(evidence_hash);
                w.blob(presentation);
            }
            Self::RecordDataUse {
                id,
                grant,
                category,
                purpose,
            } => {
                w.u8(17);
                w.str(id);
                w.str(grant);
                w.str(category);
                w.str(purpose);
            }
            Self::AnchorReadings {
                device,
                seq,
                digest,
                count,
                taken_at,
            } => {
                w.u8(18);
                w.str(device);
                w.u64(*seq);
                w.bytes(digest);
                w.u64(*count);
                w.u64(*taken_at);
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8()? {
            0 => Self::RegisterIssuer {
                id: r.str()?,
                name: r.str()?,
                bbs_public_key: r.array()?,
                operator_key: r.array()?,
                credential_types: r.list()?,
            },
            1 => Self::DeactivateIssuer { id: r.str()? },
            2 => Self::RegisterOrg {
                id: r.str()?,
                name: r.str()?,
                key: r.array()?,
                categories: r.list()?,
            },
            3 => Self::DeactivateOrg { id: r.str()? },
            4 => Self::RegisterRole {
                role: Role::from_tag(r.u8()?).ok_or(DecodeError::UnknownAction(4))?,
                key: r.array()?,
                department: r.str()?,
            },
            5 => Self::ProvisionDevice {
                id: r.str()?,
                public_key: r.array()?,
                kind: r.str()?,
                location: r.str()?,
                department: r.str()?,
            },
            6 => Self::RevokeDevice { id: r.str()? },
            7 => Self::RevokeCredential {
                issuer: r.str()?,
                credential_id: r.str()?,
                reason: r.str()?,
            },
            8 => Self::SubmitReport {
                id: r.str()?,
                category: r.str()?,
                location_cell: r.str()?,
                evidence_hash: r.array()?,
            },
            9 => Self::ReviewReport {
                id: r.str()?,
                accept: match r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err(DecodeError::UnknownAction(9)),
                },
                reward: r.u64()?,
            },
            10 => Self::GrantAccess {
                id: r.str()?,
                org: r.str()?,
                categories: r.list()?,
                purpose: r.str()?,
                expires_at: r.u64()?,
            },
            11 => Self::RevokeGrant { id: r.str()? },
            12 => Self::SetValidator {
                public_key: r.array()?,
                power: r.u64()?,
            },
            13 => Self::RemoveRole {
                role: Role::from_tag(r.u8()?).ok_or(DecodeError::UnknownAction(13))?,
                key: r.array()?,
            },
            14 => Self::RotateAdmin {
                new_key: r.array()?,
            },
            15 => Self::SetRevocationBound {
                issuer: r.str()?,
                max_delay_secs: r.u64()?,
            },
            16 => Self::SubmitPrivateReport {
                id: r.str()?,
                category: r.str()?,
                location_cell: r.str()?,
                evidence_hash: r.array()?,
                presentation: r.blob()?,
            },
            17 => Self::RecordDataUse {
                id: r.str()?,
                grant: r.str()?,
                category: r.str()?,
                purpose: r.str()?,
            },
            18 => Self::AnchorReadings {
                device: r.str()?,
                seq: r.u64()?,
                digest: r.array()?,
                count: r.u64()?,
                taken_at: r.u64()?,
            },
            tag => return Err(DecodeError::UnknownAction(tag)),
        })
    }
}

/// Everything a transaction says, before its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxBody {
    /// The chain it is for.
    pub chain_id: String,
    /// The acting Ed25519 key.
    pub signer: [u8; 32],
    /// The signer's next nonce (starts at 0).
    pub nonce: u64,
    /// Unix seconds after which the transaction is refused; 0 for never.
    pub expires_at: u64,
    /// What it does.
    pub action: Action,
}

impl TxBody {
    fn encode(&self, w: &mut Writer) {
        w.str(&self.chain_id);
        w.bytes(&self.signer);
        w.u64(self.nonce);
        w.u64(self.expires_at);
        self.action.encode(w);
    }

    /// Sign with `sign`, which must return the signer's Ed25519 signature of its argument.
    pub fn sign_with(self, sign: impl FnOnce(&[u8]) -> [u8; 64]) -> SignedTx {
        let signature = sign(&signing_bytes(&self));
        SignedTx {
            body: self,
            signature,
        }
    }
}

/// The bytes the signer signs: `"CityWallet tx v1\0"` then the encoded body.
pub fn signing_bytes(body: &TxBody) -> Vec<u8> {
    let mut w = Writer(DOMAIN.to_vec());
    body.encode(&mut w);
    w.0
}

/// A signed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    /// The body.
    pub body: TxBody,
    /// Ed25519 signature of [`signing_bytes`] by `body.signer`.
    pub signature: [u8; 64],
}

impl SignedTx {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(256));
        w.bytes(MAGIC);
        w.u8(VERSION);
        self.body.encode(&mut w);
        w.bytes(&self.signature);
        w.0
    }

    /// Decode, refusing oversized, truncated, trailing or non-canonical bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(DecodeError::TooLarge);
        }
        let mut r = Reader(bytes);
        if r.take(3)? != MAGIC || r.u8()? != VERSION {
            return Err(DecodeError::BadHeader);
        }
        let body = TxBody {
            chain_id: r.str()?,
            signer: r.array()?,
            nonce: r.u64()?,
            expires_at: r.u64()?,
            action: Action::decode(&mut r)?,
        };
        let signature = r.array()?;
        r.end()?;
        let tx = Self { body, signature };
        // Lists and strings can only be encoded one way; this catches anything else.
        if tx.encode() != bytes {
            return Err(DecodeError::Trailing);
        }
        Ok(tx)
    }

    /// Whether the signature verifies for the signer (strict Ed25519).
    pub fn signature_valid(&self) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.body.signer) else {
            return false;
        };
        key.verify_strict(
            &signing_bytes(&self.body),
            &Signature::from_bytes(&self.signature),
        )
        .is_ok()
    }
}
