//! Acting on the chain: reports, grants, devices (one by one or from a CSV batch), report
//! review and credential revocation, each verified before it is sent and proven after; and
//! the receipts that prove them, kept with the wallet's own records in one vault write.

use citywallet_core::credentials::CredentialType;
use citywallet_core::keys::KeyPath;
use citywallet_core::vault::{
    DeviceKeyState, GrantEntry, GrantState, OwnChange, ReportEntry, ReportState,
};
use citywallet_light_client::act::{NewDevice, NewGrant, NewReport, Receipt, Signer};
use citywallet_protocol::rules::ID_PATTERN;
use citywallet_protocol::{ActionKind, ReportStatus, Status};

use crate::dto::{
    ChainReportItem, DeviceIn, DeviceItem, DeviceStatus, ErrorInfo, GrantIn, OrgItem,
    PendingReportsOut, ProvisionProgress, ProvisionRow, ReceiptOut, ReportForm, ReportIn,
    ReportsOut,
};
use crate::error::{Error, Result};
use crate::{Spend, Wallet, input};

/// The categories the report form offers.
pub const REPORT_CATEGORIES: [&str; 6] = [
    "pothole",
    "streetlight",
    "graffiti",
    "waste",
    "flooding",
    "noise",
];

pub(crate) fn receipt_out(r: &Receipt) -> ReceiptOut {
    let h = &r.header.signed_header.header;
    ReceiptOut {
        id: r.tx_hash.clone(),
        action: r.action,
        subject: r.subject.clone(),
        height: h.height.value(),
        header_time: h.time.unix_timestamp(),
        header_hash: h.hash().to_string(),
        value: r.read.value.clone(),
    }
}

/// Reports on one page of the officer's review queue.
pub const REVIEW_PAGE: usize = 50;

fn report_state(s: ReportStatus) -> ReportState {
    match s {
        ReportStatus::Submitted => ReportState::Submitted,
        ReportStatus::Accepted => ReportState::Accepted,
        ReportStatus::Rejected => ReportState::Rejected,
    }
}

impl Wallet {
    pub(crate) fn signer(&self, path: KeyPath) -> Result<Signer<'static>> {
        Ok(Signer::from_key(self.vault()?.key_pair(path)?))
    }

    /// Keep `receipt` and `change` in the vault, in one write.
    pub(crate) fn keep(&mut self, receipt: &Receipt, change: OwnChange<'_>) -> Result<()> {
        let now = self.now_secs();
        let stored = receipt.to_stored(now)?;
        self.vault_mut()?.record_receipt(&stored, change)?;
        Ok(())
    }

    /// What the report form offers.
    pub fn report_form(&self) -> Result<ReportForm> {
        let mut recent: Vec<String> = Vec::new();
        for r in self.vault()?.reports()? {
            if !recent.contains(&r.location) {
                recent.push(r.location);
            }
        }
        let now = self.now_secs();
        let residency = self
            .private_vcs()?
            .into_iter()
            .find(|c| c.kind == CredentialType::Residency && c.valid_until > now)
            .map(|c| c.id);
        Ok(ReportForm {
            categories: REPORT_CATEGORIES.iter().map(|c| (*c).to_owned()).collect(),
            recent_cells: recent,
            cell_pattern: ID_PATTERN.to_owned(),
            max_description_bytes: input::MAX_DESCRIPTION_BYTES as u32,
            residency,
            resident_limit: u32::try_from(citywallet_protocol::reports::MAX_PER_WINDOW)
                .unwrap_or(u32::MAX),
            resident_window_days: u32::try_from(citywallet_protocol::reports::WINDOW_SECS / 86_400)
                .unwrap_or(u32::MAX),
        })
    }

    /// File a report, signed by the report key (`m/7083'/0'/1'/0'`, so reports and rewards
    /// are not linked to the identity key). Its fields are checked with the node's rules
    /// before anything is sent.
    pub fn submit_report(&mut self, r: &ReportIn) -> Result<ReceiptOut> {
        if r.description.len() > input::MAX_DESCRIPTION_BYTES {
            return Err(Error::TooLarge {
                what: "the description",
                limit: input::MAX_DESCRIPTION_BYTES as u64,
            });
        }
        let evidence_sha256 = r
            .evidence_sha256
            .as_deref()
            .filter(|h| !h.trim().is_empty())
            .map(|h| input::hex32(h, "the evidence hash"))
            .transpose()?;
        let mut report = NewReport {
            category: r.category.trim(),
            location: r.location.trim(),
            description: &r.description,
            evidence_sha256,
            residency: None,
        };
        let signer = self.signer(KeyPath::report(0)?)?;
        let id = citywallet_light_client::act::random_id("report")?;
        // A private report: the residency credential proves one resident files it, with
        // the pseudonym for this window (the chain limits and rewards per resident), bound
        // to this report of this report key. Nothing names the citizen.
        let residency = match &r.residency {
            None => None,
            Some(credential) => {
                let evidence_hash = citywallet_light_client::act::report_evidence_hash(
                    report.description,
                    report.evidence_sha256.as_ref(),
                );
                let nonce = citywallet_protocol::reports::nonce(
                    &signer.public,
                    &id,
                    report.category,
                    report.location,
                    &evidence_hash,
                );
                let now = u64::try_from(self.now_secs()).unwrap_or(0);
                let context = citywallet_protocol::reports::context(
                    citywallet_protocol::reports::window_start(now),
                );
                let vp = self.present_private(
                    credential,
                    &[],
                    &nonce,
                    citywallet_protocol::reports::CLIENT_ID,
                    Some(&context),
                )?;
                Some(citywallet_vc::presentation::to_compact(&vp)?)
            }
        };
        report.residency = residency.as_deref();
        let receipt = self
            .anchored(Spend::Action)?
            .submit_report_as(&signer, &report, &id)?;
        let evidence_hash = citywallet_light_client::act::report_evidence_hash(
            report.description,
            report.evidence_sha256.as_ref(),
        );
        let entry = ReportEntry {
            id: receipt.subject.clone(),
            status: ReportState::Submitted,
            category: report.category.to_owned(),
            location: report.location.to_owned(),
            description: report.description.to_owned(),
            evidence_hash: hex::encode(evidence_hash),
            receipt: receipt.tx_hash.clone(),
            created_at: self.now_secs(),
        };
        self.keep(&receipt, OwnChange::NewReport(&entry))?;
        Ok(receipt_out(&receipt))
    }

    /// The wallet's reports with their proven status, and the report key's proven rewards.
    pub fn reports(&mut self) -> Result<ReportsOut> {
        let key = self
            .vault()?
            .key_pair(KeyPath::report(0)?)?
            .public()
            .to_bytes();
        let own = self.vault()?.reports()?;
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.sync(&mut |_| {})?;
        let mut changed = Vec::new();
        for r in &own {
            // Proven absent after its receipt proved it landed: the chain let it expire.
            let state = match s.report(&at, &r.id)? {
                Some(rec) => report_state(rec.status),
                None if r.status == ReportState::Submitted => ReportState::Expired,
                None => r.status,
            };
            if state != r.status {
                changed.push((r.id.clone(), state));
            }
        }
        let points = s.rewards(&at, &key)?;
        drop(s);
        for (id, state) in &changed {
            self.vault_mut()?.set_report_state(id, *state)?;
        }
        Ok(ReportsOut {
            reports: self.vault()?.reports()?,
            reward_points: points,
        })
    }

    /// Check the newest receipt about `subject` (a report, grant, device or credential id)
    /// again, with no network.
    pub fn receipt(&self, subject: &str) -> Result<ReceiptOut> {
        let vault = self.vault()?;
        let stored = vault.receipts(Some(subject))?;
        let r = stored
            .first()
            .ok_or_else(|| citywallet_core::Error::NotFound {
                kind: "receipt for",
                id: subject.to_owned(),
            })?;
        let receipt = Receipt::from_stored(r)?;
        receipt.verify_offline(vault)?;
        Ok(receipt_out(&receipt))
    }

    /// Every registered organisation, proven.
    pub fn organisations(&mut self) -> Result<Vec<OrgItem>> {
        Ok(self
            .anchored(Spend::Sync)?
            .organisations()?
            .into_iter()
            .map(|o| OrgItem {
                active: o.status == Status::Active,
                id: o.id,
                name: o.name,
                categories: o.categories,
            })
            .collect())
    }

    /// Grant an organisation access, signed by the identity key (the organisation proven
    /// registered, active and accredited for every category first).
    pub fn create_grant(&mut self, g: &GrantIn) -> Result<ReceiptOut> {
        let expires_at = input::expiry(&g.expires)?;
        let categories: Vec<String> = g
            .categories
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        let grant = NewGrant {
            org: g.org.trim(),
            categories: &categories,
            purpose: g.purpose.trim(),
            expires_at,
        };
        let signer = self.signer(KeyPath::IDENTITY)?;
        let (receipt, org) = self
            .anchored(Spend::Action)?
            .create_grant(&signer, &grant)?;
        let entry = GrantEntry {
            id: receipt.subject.clone(),
            status: GrantState::Active,
            org: org.id,
            org_name: org.name,
            categories: categories.clone(),
            purpose: grant.purpose.to_owned(),
            expires_at,
            receipt: receipt.tx_hash.clone(),
            created_at: self.now_secs(),
        };
        self.keep(&receipt, OwnChange::NewGrant(&entry))?;
        Ok(receipt_out(&receipt))
    }

    /// Revoke one of the wallet's grants.
    pub fn revoke_grant(&mut self, id: &str) -> Result<ReceiptOut> {
        let signer = self.signer(KeyPath::IDENTITY)?;
        let receipt = self
            .anchored(Spend::Action)?
            .revoke_grant(&signer, id.trim())?;
        self.keep(
            &receipt,
            OwnChange::GrantState(id.trim(), GrantState::Revoked),
        )?;
        Ok(receipt_out(&receipt))
    }

    /// The wallet's grants, newest first.
    pub fn grants(&self) -> Result<Vec<GrantEntry>> {
        Ok(self.vault()?.grants()?)
    }

    /// The public key a device is registered with, and the wallet key index when the
    /// wallet holds its secret: the device's own key, a wallet key by index, or a new one.
    fn device_key(&mut self, d: &DeviceIn) -> Result<([u8; 32], Option<u32>)> {
        if let Some(k) = d.public_key.as_deref().filter(|k| !k.trim().is_empty()) {
            return Ok((input::hex32(k, "the device public key")?, None));
        }
        if let Some(i) = d.key_index {
            let key = self.vault()?.key_pair(KeyPath::device(u64::from(i))?)?;
            return Ok((key.public().to_bytes(), Some(i)));
        }
        citywallet_protocol::rules::check_id(d.id.trim(), citywallet_protocol::Field::DeviceId)
            .map_err(citywallet_light_client::Error::Field)?;
        let rec = self.vault_mut()?.new_device(Some(d.id.trim()))?;
        Ok((
            input::hex32(&rec.public_key_hex, "the device key")?,
            Some(rec.index),
        ))
    }

    /// Technician: register a device on the chain (the technician role proven, the id
    /// proven unused), with the device's own key, a wallet key, or a new wallet key.
    pub fn provision(&mut self, d: &DeviceIn) -> Result<DeviceItem> {
        let (public_key, index) = self.device_key(d)?;
        let device = NewDevice {
            id: d.id.trim(),
            public_key,
            kind: d.kind.trim(),
            location: d.location.trim(),
            department: d.department.trim(),
        };
        let signer = self.signer(KeyPath::IDENTITY)?;
        let receipt = self
            .anchored(Spend::Action)?
            .register_device(&signer, &device)?;
        self.keep(
            &receipt,
            OwnChange::DeviceKey(&public_key, DeviceKeyState::Registered),
        )?;
        Ok(DeviceItem {
            id: device.id.to_owned(),
            public_key_hex: hex::encode(public_key),
            index,
            kind: device.kind.to_owned(),
            location: device.location.to_owned(),
            status: DeviceStatus::Active,
            receipt: Some(receipt.tx_hash),
            department: device.department.to_owned(),
            latest_anchor: None,
        })
    }

    /// Technician: register every row of a CSV batch
    /// (`id,kind,location,department[,public_key]` with a header line), each row on its own;
    /// `progress` sees each row as it finishes.
    pub fn provision_csv(
        &mut self,
        csv: &str,
        progress: &mut dyn FnMut(ProvisionProgress),
    ) -> Result<Vec<ProvisionRow>> {
        let rows = input::devices_csv(csv)?;
        let total = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let mut out = Vec::new();
        for (i, (line, row)) in rows.into_iter().enumerate() {
            let result = row.and_then(|d| self.provision(&d));
            let row = match result {
                Ok(item) => ProvisionRow {
                    line,
                    height: self.receipt(&item.id).map(|r| r.height).ok(),
                    id: item.id,
                    ok: true,
                    error: None,
                },
                Err(e) => ProvisionRow {
                    line,
                    id: input::csv_first_cell(csv, line),
                    ok: false,
                    error: Some(ErrorInfo::from(&e)),
                    height: None,
                },
            };
            progress(ProvisionProgress {
                done: u32::try_from(i + 1).unwrap_or(u32::MAX),
                total,
                row: row.clone(),
            });
            out.push(row);
        }
        Ok(out)
    }

    /// Technician: the devices this wallet registered, with their proven status.
    pub fn devices(&mut self) -> Result<Vec<DeviceItem>> {
        let local = self.vault()?.devices()?;
        let mut registered: Vec<(String, String)> = Vec::new();
        for r in self.vault()?.receipts(None)? {
            if r.kind == ActionKind::ProvisionDevice
                && !registered.iter().any(|(s, _)| *s == r.subject)
            {
                registered.push((r.subject, r.id));
            }
        }
        let now = self.now_secs().max(0) as u64;
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.sync(&mut |_| {})?;
        let mut out = Vec::new();
        for (subject, receipt) in registered {
            let Some(d) = s.device(&at, &subject)? else {
                continue;
            };
            let latest_anchor = s
                .latest_anchor(&at, &d.id)?
                .map(|a| crate::anchors::anchor_item(a, now));
            out.push(DeviceItem {
                index: local
                    .iter()
                    .find(|l| l.public_key_hex == d.public_key)
                    .map(|l| l.index),
                status: crate::anchors::device_status(d.status),
                id: d.id,
                public_key_hex: d.public_key,
                kind: d.kind,
                location: d.location,
                receipt: Some(receipt),
                department: d.department,
                latest_anchor,
            });
        }
        Ok(out)
    }

    /// Technician: revoke a device.
    pub fn revoke_device(&mut self, id: &str) -> Result<ReceiptOut> {
        let signer = self.signer(KeyPath::IDENTITY)?;
        let receipt = self
            .anchored(Spend::Action)?
            .revoke_device(&signer, id.trim())?;
        let key = receipt
            .read
            .decode::<citywallet_protocol::DeviceRecord>()?
            .and_then(|d| input::hex32(&d.public_key, "the device key").ok());
        let change = match &key {
            Some(k) => OwnChange::DeviceKey(k, DeviceKeyState::Revoked),
            None => OwnChange::None,
        };
        self.keep(&receipt, change)?;
        Ok(receipt_out(&receipt))
    }

    /// The index of the device key this wallet made for `device_id`.
    fn device_index(&self, device_id: &str) -> Result<u32> {
        self.vault()?
            .devices()?
            .into_iter()
            .find(|d| d.label.as_deref() == Some(device_id))
            .map(|d| d.index)
            .ok_or_else(|| {
                citywallet_core::Error::NotFound {
                    kind: "device key made in this wallet for",
                    id: device_id.to_owned(),
                }
                .into()
            })
    }

    /// The file name of device `device_id`'s bundle, `{id}.cwbundle`, once the device is
    /// found among this wallet's device keys and its id is a registry id (so it holds no
    /// path separator): a front end that picks the folder builds the path from this, never
    /// from what it was given.
    pub fn bundle_file_name(&self, device_id: &str) -> Result<String> {
        self.device_index(device_id)?;
        citywallet_protocol::rules::check_id(device_id, citywallet_protocol::Field::DeviceId)
            .map_err(citywallet_light_client::Error::Field)?;
        Ok(format!("{device_id}.cwbundle"))
    }

    /// Technician: the encrypted provisioning bundle of a wallet-made device key, written
    /// to `dest` (which must not exist), with the trust anchor the device should start
    /// from.
    pub fn export_bundle(
        &mut self,
        device_id: &str,
        device_passphrase: &citywallet_core::vault::Passphrase,
        dest: &std::path::Path,
    ) -> Result<()> {
        let status = self.chain_status()?;
        let trusted = status
            .trusted
            .ok_or(citywallet_light_client::Error::NoTrustAnchor)?;
        let index = self.device_index(device_id)?;
        let vault = self.vault()?;
        let anchor = serde_json::json!({
            "chainId": trusted.chain_id, "height": trusted.height, "hash": trusted.hash,
            "primary": status.primary, "witnesses": status.witnesses,
        });
        let bundle = vault.device_bundle(index, device_id, device_passphrase, anchor)?;
        let bytes =
            serde_json::to_vec_pretty(&bundle).map_err(|_| Error::Encode("the device bundle"))?;
        citywallet_files::write_new(dest, &bytes).map_err(Error::io(dest))
    }

    /// Officer: reports on chain waiting for review, newest first, [`REVIEW_PAGE`] at a
    /// time, each proven; from `older` (a page's cursor) or from the newest.
    pub fn pending_reports(&mut self, older: Option<&str>) -> Result<PendingReportsOut> {
        let before = older.map(input::report_cursor).transpose()?;
        let page = self
            .anchored(Spend::Sync)?
            .chain_reports(true, REVIEW_PAGE, before)?;
        Ok(PendingReportsOut {
            reports: page
                .reports
                .into_iter()
                .map(|r| ChainReportItem {
                    id: r.id,
                    category: r.category,
                    location_cell: r.location_cell,
                    time: r.time,
                    status: r.status,
                })
                .collect(),
            older: page.older.map(|c| format!("{}.{}", c.standing, c.fresh)),
        })
    }

    /// Officer: accept (crediting `reward` points) or reject a report.
    pub fn review_report(&mut self, id: &str, accept: bool, reward: u64) -> Result<ReceiptOut> {
        let signer = self.signer(KeyPath::IDENTITY)?;
        let receipt =
            self.anchored(Spend::Action)?
                .review_report(&signer, id.trim(), accept, reward)?;
        self.keep(&receipt, OwnChange::None)?;
        Ok(receipt_out(&receipt))
    }

    /// Issuer: revoke a credential with the issuer's operator key (from its key file). The
    /// receipt is kept in this vault.
    pub fn revoke_credential(
        &mut self,
        issuer_key_file: &[u8],
        credential_id: &str,
        reason: &str,
    ) -> Result<ReceiptOut> {
        let key = citywallet_core::credentials::IssuerKey::from_file(issuer_key_file)?;
        let operator = key.operator()?.clone();
        let signer = Signer {
            public: operator.verifying_key().to_bytes(),
            sign: Box::new(move |m| ed25519_dalek::Signer::sign(&operator, m).to_bytes()),
        };
        let receipt = self.anchored(Spend::Action)?.revoke_credential(
            &signer,
            &key.id,
            credential_id.trim(),
            reason.trim(),
        )?;
        self.keep(&receipt, OwnChange::None)?;
        Ok(receipt_out(&receipt))
    }

    /// Wait until this wallet's identity key is proven to hold `role` (someone else, the
    /// city admin, gives it).
    pub fn await_role(&mut self, role: citywallet_protocol::Role) -> Result<()> {
        let me = self
            .vault()?
            .key_pair(KeyPath::IDENTITY)?
            .public()
            .to_bytes();
        self.anchored(Spend::Action)?.await_role(role, &me)?;
        Ok(())
    }

    /// Whether this wallet's identity key holds `role` on the chain, proven now.
    pub fn has_role(&mut self, role: citywallet_protocol::Role) -> Result<bool> {
        let me = self
            .vault()?
            .key_pair(KeyPath::IDENTITY)?
            .public()
            .to_bytes();
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.sync(&mut |_| {})?;
        Ok(s.has_role(&at, role, &me)?)
    }
}
