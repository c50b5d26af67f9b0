//! Recovery from the chain: a wallet recovered from its phrase alone (no export file)
//! rebuilds what the chain holds of it. Its keys' own logs on the chain (`owned/{key}/…`,
//! proven complete from their counts and pages) list the grants its identity key made, the
//! reports its report key filed and the devices its identity key registered; each record is
//! read proven against one header verified now and kept with that proof and header as a
//! receipt (its id `restored:{state key}`: the proof is of the state, not of a transaction).
//! What never went on the chain (a report's description, evidence files, credentials) does
//! not come back. Running it again adds only what is new.

use citywallet_core::keys::KeyPath;
use citywallet_core::vault::{
    DeviceKeyState, GrantEntry, GrantState, OwnChange, ReportEntry, ReportState,
};
use citywallet_light_client::act::Receipt;
use citywallet_light_client::client::ProvenRead;
use citywallet_protocol::{
    ActionKind, DeviceRecord, GrantRecord, Owned, ReportRecord, ReportStatus, Status, keys,
};
use tendermint_light_client_verifier::types::LightBlock;

use crate::dto::RestoredOut;
use crate::error::{Error, Result};
use crate::{Spend, Wallet};

/// The receipt of a record read proven at `at`.
fn restored_receipt(
    action: ActionKind,
    subject: &str,
    read: ProvenRead,
    at: &LightBlock,
) -> Receipt {
    Receipt {
        action,
        subject: subject.to_owned(),
        tx_hash: format!("restored:{}", read.key),
        read,
        header: at.clone(),
    }
}

/// Every id of `owner`'s own log of `what`, look by look.
fn all_owned(
    s: &citywallet_light_client::session::Session<'_>,
    at: &LightBlock,
    what: Owned,
    owner: &[u8; 32],
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    loop {
        let (count, more) = s.owned(at, what, owner, ids.len() as u64)?;
        let done = more.is_empty();
        ids.extend(more);
        if done || ids.len() as u64 >= count {
            return Ok(ids);
        }
    }
}

/// The records `owner`'s own log of `what` lists and the vault does not `have`, each with
/// its proven read (`key` makes a record's state key); `mine` gives a record's id when it is
/// the owner's. A listed record that is absent (expired) is skipped; one that is not the
/// owner's, or not under its id, is refused.
fn owned_records<T: serde::de::DeserializeOwned>(
    s: &citywallet_light_client::session::Session<'_>,
    at: &LightBlock,
    what: Owned,
    owner: &[u8; 32],
    have: &[String],
    key: fn(&str) -> Vec<u8>,
    mine: impl Fn(&T) -> Option<String>,
) -> Result<Vec<(T, ProvenRead)>> {
    let mut out = Vec::new();
    for id in all_owned(s, at, what, owner)? {
        if have.contains(&id) {
            continue;
        }
        let read = s.read(at, &key(&id))?;
        let Some(rec) = read.decode::<T>()? else {
            continue;
        };
        if mine(&rec).as_deref() != Some(id.as_str()) {
            return Err(citywallet_light_client::Error::BadRecord(read.key).into());
        }
        out.push((rec, read));
    }
    Ok(out)
}

/// How many device key indices a restore looks through for the keys of the devices it
/// brings back.
pub const DEVICE_KEY_SCAN: u64 = 256;

impl Wallet {
    /// Make again, in order and labelled with their device ids, the wallet's device keys
    /// (`m/7083'/0'/2'/i'`, `i` below [`DEVICE_KEY_SCAN`]) that restored `devices` are
    /// registered with, so their bundles can be exported again.
    fn rederive_device_keys(&mut self, devices: &[(DeviceRecord, ProvenRead)]) -> Result<()> {
        let vault = self.vault_mut()?;
        let mut found: Vec<(u64, String)> = Vec::new();
        for i in 0..DEVICE_KEY_SCAN {
            let public = vault.key_pair(KeyPath::device(i)?)?.public().to_hex();
            if let Some((d, _)) = devices.iter().find(|(d, _)| d.public_key == public) {
                found.push((i, d.id.clone()));
            }
        }
        let Some(last) = found.iter().map(|(i, _)| *i).max() else {
            return Ok(());
        };
        let next = vault
            .devices()?
            .iter()
            .map(|d| u64::from(d.index) + 1)
            .max()
            .unwrap_or(0);
        for i in next..=last {
            let label = found
                .iter()
                .find(|(f, _)| *f == i)
                .map(|(_, id)| id.as_str());
            vault.new_device(label)?;
        }
        Ok(())
    }

    /// Rebuild from proven chain state what this wallet's keys made: grants, reports (with
    /// the report key's reward points) and registered devices, each kept with its proof.
    /// Items the vault holds already are left as they are.
    pub fn restore_from_chain(&mut self) -> Result<RestoredOut> {
        let identity = self.signer(KeyPath::IDENTITY)?.public;
        let reporter = self.signer(KeyPath::report(0)?)?.public;
        let identity_hex = hex::encode(identity);
        let reporter_hex = hex::encode(reporter);
        let have_grants: Vec<String> = self.vault()?.grants()?.into_iter().map(|g| g.id).collect();
        let have_reports: Vec<String> =
            self.vault()?.reports()?.into_iter().map(|r| r.id).collect();
        let have_devices: Vec<String> = self
            .vault()?
            .receipts(None)?
            .into_iter()
            .filter(|r| r.kind == ActionKind::ProvisionDevice)
            .map(|r| r.subject)
            .collect();
        let now = self.now_secs();

        let mut s = self.anchored(Spend::Sync)?;
        let at = s.sync(&mut |_| {})?;
        let grants: Vec<(GrantRecord, ProvenRead)> = owned_records(
            &s,
            &at,
            Owned::Grants,
            &identity,
            &have_grants,
            keys::grant,
            |g: &GrantRecord| (g.citizen == identity_hex).then(|| g.id.clone()),
        )?;
        let grants = grants
            .into_iter()
            .map(|(g, read)| {
                let name = s
                    .org(&at, &g.org)?
                    .map_or_else(|| g.org.clone(), |o| o.name);
                Ok((g, name, read))
            })
            .collect::<Result<Vec<_>>>()?;
        // A report the chain let expire (from a key without standing, unread) is absent.
        let reports: Vec<(ReportRecord, ProvenRead)> = owned_records(
            &s,
            &at,
            Owned::Reports,
            &reporter,
            &have_reports,
            keys::report,
            |r: &ReportRecord| (r.reporter == reporter_hex).then(|| r.id.clone()),
        )?;
        let devices: Vec<(DeviceRecord, ProvenRead)> = owned_records(
            &s,
            &at,
            Owned::Devices,
            &identity,
            &have_devices,
            keys::device,
            |d: &DeviceRecord| (d.technician == identity_hex).then(|| d.id.clone()),
        )?;
        let reward_points = s.rewards(&at, &reporter)?;
        drop(s);

        let out = RestoredOut {
            height: at.height().value(),
            grants: grants.len() as u32,
            reports: reports.len() as u32,
            devices: devices.len() as u32,
            reward_points,
        };
        for (g, org_name, read) in grants {
            let receipt = restored_receipt(ActionKind::GrantAccess, &g.id, read, &at);
            let entry = GrantEntry {
                id: g.id.clone(),
                status: match g.status {
                    Status::Active => GrantState::Active,
                    Status::Inactive => GrantState::Revoked,
                },
                org: g.org,
                org_name,
                categories: g.categories,
                purpose: g.purpose,
                expires_at: g.expires_at,
                receipt: receipt.tx_hash.clone(),
                created_at: now,
            };
            self.keep(&receipt, OwnChange::NewGrant(&entry))?;
        }
        for (r, read) in reports {
            let receipt = restored_receipt(ActionKind::SubmitReport, &r.id, read, &at);
            let entry = ReportEntry {
                id: r.id.clone(),
                status: match r.status {
                    ReportStatus::Submitted => ReportState::Submitted,
                    ReportStatus::Accepted => ReportState::Accepted,
                    ReportStatus::Rejected => ReportState::Rejected,
                },
                category: r.category,
                location: r.location_cell,
                // Only its hash is on the chain: the description stayed on the old device.
                description: String::new(),
                evidence_hash: r.evidence_hash,
                receipt: receipt.tx_hash.clone(),
                created_at: i64::try_from(r.time).map_err(|_| Error::Encode("a report's time"))?,
            };
            self.keep(&receipt, OwnChange::NewReport(&entry))?;
        }
        self.rederive_device_keys(&devices)?;
        for (d, read) in devices {
            let receipt = restored_receipt(ActionKind::ProvisionDevice, &d.id, read, &at);
            let key = crate::input::hex32(&d.public_key, "the device key")?;
            let state = match d.status {
                Status::Active => DeviceKeyState::Registered,
                Status::Inactive => DeviceKeyState::Revoked,
            };
            // A device key this wallet made comes back with it (a no-op for the device's own).
            self.keep(&receipt, OwnChange::DeviceKey(&key, state))?;
        }
        Ok(out)
    }
}
