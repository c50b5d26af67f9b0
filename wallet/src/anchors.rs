//! Device data anchoring, as a device does it and as anyone checks it: a device writes its
//! readings as a batch file ([`citywallet_protocol::readings`]), signs the batch's digest
//! with its own key and anchors it on the chain; a technician sees each device's latest
//! proven anchor and its age; anyone holding a batch file checks it against the device's
//! anchor with the light client.

use citywallet_core::keys::KeyPath;
use citywallet_light_client::act::{NewAnchor, Signer};
pub use citywallet_protocol::readings::MAX_BATCH_BYTES;
use citywallet_protocol::readings::{MAX_READING_BYTES, READINGS_FORMAT, batch_digest};
use citywallet_protocol::{AnchorRecord, DeviceRecord, MAX_READINGS_PER_ANCHOR, Status};
use serde::{Deserialize, Serialize};

use crate::dto::{
    AnchorItem, DepartmentDevicesOut, DeviceItem, DeviceStatus, ReadingCheckOut, ReceiptOut,
};
use crate::error::{Error, Result};
use crate::{Spend, Wallet};

/// A batch file's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Header {
    format: String,
    device: String,
    seq: u64,
    taken_at: u64,
    count: u64,
}

/// A batch of a device's readings: each reading one line of JSON, as the device emitted
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingBatch {
    /// The device's id.
    pub device: String,
    /// The batch's sequence number.
    pub seq: u64,
    /// When the device closed it (Unix seconds).
    pub taken_at: u64,
    /// The readings, one JSON object each.
    pub readings: Vec<String>,
}

impl ReadingBatch {
    /// Its digest, as the anchor carries it.
    pub fn digest(&self) -> [u8; 32] {
        batch_digest(
            &self.device,
            self.seq,
            self.readings.iter().map(String::as_bytes),
        )
    }

    /// The batch file: the header line, then one line per reading.
    pub fn to_file(&self) -> Result<Vec<u8>> {
        let header = Header {
            format: READINGS_FORMAT.into(),
            device: self.device.clone(),
            seq: self.seq,
            taken_at: self.taken_at,
            count: self.readings.len() as u64,
        };
        let mut out =
            serde_json::to_vec(&header).map_err(|_| Error::Encode("a readings header"))?;
        for r in &self.readings {
            out.push(b'\n');
            out.extend_from_slice(r.as_bytes());
        }
        out.push(b'\n');
        Ok(out)
    }

    /// Read a batch file (at most [`MAX_BATCH_BYTES`]): the header, then exactly its count
    /// of readings, each one JSON object on its own line of at most [`MAX_READING_BYTES`].
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_BATCH_BYTES {
            return Err(Error::TooLarge {
                what: "the readings file",
                limit: MAX_BATCH_BYTES as u64,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| Error::ReadingsMalformed("not UTF-8"))?;
        let body = text
            .strip_suffix('\n')
            .ok_or(Error::ReadingsMalformed("it does not end with a newline"))?;
        let mut lines = body.split('\n');
        let header: Header = lines
            .next()
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or(Error::ReadingsMalformed("the first line is not its header"))?;
        if header.format != READINGS_FORMAT {
            return Err(Error::ReadingsMalformed("an unknown format"));
        }
        citywallet_protocol::rules::check_id(&header.device, citywallet_protocol::Field::DeviceId)
            .map_err(|_| Error::ReadingsMalformed("the device id is not an id"))?;
        if !(1..=MAX_READINGS_PER_ANCHOR).contains(&header.count) {
            return Err(Error::ReadingsMalformed(
                "the count is not 1 to 100000 readings",
            ));
        }
        let mut readings = Vec::new();
        for line in lines {
            if line.len() > MAX_READING_BYTES {
                return Err(Error::ReadingsMalformed(
                    "a reading is longer than 4096 bytes",
                ));
            }
            if !serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object()) {
                return Err(Error::ReadingsMalformed("a reading is not a JSON object"));
            }
            readings.push(line.to_owned());
        }
        if readings.len() as u64 != header.count {
            return Err(Error::ReadingsMalformed(
                "it holds another number of readings than its header says",
            ));
        }
        Ok(Self {
            device: header.device,
            seq: header.seq,
            taken_at: header.taken_at,
            readings,
        })
    }
}

/// The device's key from its provisioning bundle, as a signer (the key is wiped with it).
pub fn device_signer(secret: &zeroize::Zeroizing<[u8; 32]>) -> Signer<'static> {
    let key = ed25519_dalek::SigningKey::from_bytes(secret);
    Signer {
        public: key.verifying_key().to_bytes(),
        sign: Box::new(move |m| ed25519_dalek::Signer::sign(&key, m).to_bytes()),
    }
}

pub(crate) fn anchor_item(rec: AnchorRecord, now: u64) -> AnchorItem {
    AnchorItem {
        age_secs: now.saturating_sub(rec.time),
        device: rec.device,
        seq: rec.seq,
        digest: rec.digest,
        count: rec.count,
        taken_at: rec.taken_at,
        time: rec.time,
        height: rec.height,
    }
}

pub(crate) fn device_status(s: Status) -> DeviceStatus {
    match s {
        Status::Active => DeviceStatus::Active,
        Status::Inactive => DeviceStatus::Revoked,
    }
}

/// A device, as its firmware runs: its key from its provisioning bundle, and its own state
/// (its nodes and the headers it verified, started from the bundle's trust anchor) in a
/// vault sealed with the device passphrase. It signs with the bundle's key only.
pub struct Device {
    wallet: Wallet,
    signer: Signer<'static>,
    id: String,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Open the device of bundle `bundle` (the file's bytes) with its passphrase, its state
    /// in the folder `state` (made on first start, from the bundle's anchor).
    pub fn open(
        bundle: &[u8],
        passphrase: &citywallet_core::vault::Passphrase,
        state: &std::path::Path,
    ) -> Result<Self> {
        let bundle = citywallet_core::vault::DeviceBundle::from_json(bundle)?;
        let signer = device_signer(&bundle.open(passphrase)?);
        let mut wallet = Wallet::for_service(
            &state.join("device.db"),
            citywallet_core::vault::KdfParams::RECOMMENDED,
        );
        if wallet.vault_exists() {
            wallet.unlock(passphrase)?;
        } else {
            // The vault needs an identity of its own; the device never signs with it.
            drop(wallet.create(passphrase, "")?);
            wallet.start_from_bundle(&bundle)?;
        }
        Ok(Self {
            wallet,
            signer,
            id: bundle.device_id,
        })
    }

    /// The device's id on the chain.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The number of its next batch: one above its latest anchored one, proven.
    pub fn next_seq(&mut self) -> Result<u64> {
        let id = self.id.clone();
        Ok(self.wallet.latest_anchor(&id)?.map_or(0, |a| a.seq) + 1)
    }

    /// Anchor `batch` with the device key and prove it landed.
    pub fn anchor(&mut self, batch: &ReadingBatch) -> Result<ReceiptOut> {
        self.wallet.anchor_batch_as(&self.signer, batch)
    }
}

impl Wallet {
    /// A device's own state, started from its provisioning bundle's trust anchor
    /// (`{chainId, height, hash, primary, witnesses}`): its nodes and its trusted header.
    /// The vault must be open and name no node yet.
    pub fn start_from_bundle(
        &mut self,
        bundle: &citywallet_core::vault::DeviceBundle,
    ) -> Result<()> {
        let a = &bundle.trust_anchor;
        let primary = a
            .get("primary")
            .and_then(serde_json::Value::as_str)
            .ok_or(Error::InvalidAnchor)?;
        self.add_node(primary, citywallet_core::vault::NodeRole::Primary)?;
        for w in a
            .get("witnesses")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
        {
            let url = w.as_str().ok_or(Error::InvalidAnchor)?;
            self.add_node(url, citywallet_core::vault::NodeRole::Witness)?;
        }
        self.trust_anchor(&a.to_string())?;
        Ok(())
    }

    /// As the device whose key `device` signs: anchor `batch` (the device proven
    /// registered with that key and active, the batch proven above its last anchored one),
    /// and prove it landed.
    pub fn anchor_batch_as(
        &mut self,
        device: &Signer<'_>,
        batch: &ReadingBatch,
    ) -> Result<ReceiptOut> {
        let new = NewAnchor {
            device: &batch.device,
            seq: batch.seq,
            digest: batch.digest(),
            count: batch.readings.len() as u64,
            taken_at: batch.taken_at,
        };
        let receipt = self
            .anchored(Spend::Action)?
            .anchor_readings(device, &new)?;
        Ok(crate::acts::receipt_out(&receipt))
    }

    /// Device `device`'s latest anchored batch, proven now (`None`: none yet).
    pub fn latest_anchor(&mut self, device: &str) -> Result<Option<AnchorItem>> {
        citywallet_protocol::rules::check_id(device, citywallet_protocol::Field::DeviceId)
            .map_err(citywallet_light_client::Error::Field)?;
        let now = self.now_secs().max(0) as u64;
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.fresh()?;
        Ok(s.latest_anchor(&at, device)?.map(|a| anchor_item(a, now)))
    }

    /// Check a batch file against its device's anchor of that batch, proven now: whether
    /// the chain holds that batch's anchor with the file's digest and count.
    pub fn check_reading(&mut self, file: &[u8]) -> Result<ReadingCheckOut> {
        let batch = ReadingBatch::parse(file)?;
        let digest = hex::encode(batch.digest());
        let now = self.now_secs().max(0) as u64;
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.fresh()?;
        let device: Option<DeviceRecord> = s.device(&at, &batch.device)?;
        let (anchor, _) = s.device_anchor(&at, &batch.device, batch.seq)?;
        let count = batch.readings.len() as u64;
        Ok(ReadingCheckOut {
            matches: anchor
                .as_ref()
                .is_some_and(|a| a.digest == digest && a.count == count),
            anchor: anchor.map(|a| anchor_item(a, now)),
            device_active: device.map(|d| d.status == Status::Active),
            device: batch.device,
            seq: batch.seq,
            count,
            digest,
            height: at.height().value(),
        })
    }

    /// Technician: the devices of the technician's own department (proven) from place
    /// `from` in its log on, each with its proven status and latest anchor.
    pub fn department_devices(&mut self, from: u64) -> Result<DepartmentDevicesOut> {
        let me = self.signer(KeyPath::IDENTITY)?.public;
        let local = self.vault()?.devices()?;
        let now = self.now_secs().max(0) as u64;
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.fresh()?;
        let department = s
            .technician_department(&at, &me)?
            .ok_or(citywallet_light_client::Precondition::MissingRole(
                "technician",
            ))
            .map_err(citywallet_light_client::Error::from)?;
        let (total, records) = s.department_devices(&at, &department, from)?;
        let mut devices = Vec::with_capacity(records.len());
        for d in records {
            let latest_anchor = s.latest_anchor(&at, &d.id)?.map(|a| anchor_item(a, now));
            devices.push(DeviceItem {
                index: local
                    .iter()
                    .find(|l| l.public_key_hex == d.public_key)
                    .map(|l| l.index),
                status: device_status(d.status),
                id: d.id,
                public_key_hex: d.public_key,
                kind: d.kind,
                location: d.location,
                receipt: None,
                department: d.department,
                latest_anchor,
            });
        }
        let end = from.saturating_add(devices.len() as u64);
        Ok(DepartmentDevicesOut {
            department,
            total,
            next: (end < total && !devices.is_empty()).then_some(end),
            devices,
        })
    }
}
