//! The device simulator: stands in for a sensor's hardware (its clock and its readings)
//! around what its firmware runs, `citywallet_wallet::anchors::Device`: the provisioning
//! bundle opened with the device passphrase, its own state started from the bundle's trust
//! anchor, and every interval a batch of readings written to a file and anchored on the
//! chain with the device key, each proven landed before the next.

use std::path::{Path, PathBuf};
use std::time::Duration;

use citywallet_core::vault::MAX_BUNDLE_BYTES;
use citywallet_wallet::anchors::{Device, ReadingBatch};
use citywallet_wallet::input::read_file;
use clap::Args;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{Output, secrets};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The device's provisioning bundle (its passphrase from CITYWALLET_DEVICE_PASSPHRASE
    /// or a prompt).
    #[arg(long)]
    pub bundle: PathBuf,
    /// How many batches to anchor.
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    /// Milliseconds between batches.
    #[arg(long, default_value_t = 10_000)]
    pub interval: u64,
    /// Readings per batch.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub readings: u32,
    /// Where the batch files go (default: `batches` in the state folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The device's state folder (default: the bundle's path with `.state`).
    #[arg(long)]
    pub state: Option<PathBuf>,
}

/// `n` air-quality readings of batch `seq`, the last at `at` (Unix seconds), one a
/// second; values derived from the device, batch and place so each batch differs.
fn readings(device: &str, seq: u64, at: u64, n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            let h = Sha256::new()
                .chain_update(device.as_bytes())
                .chain_update(seq.to_be_bytes())
                .chain_update(i.to_be_bytes())
                .finalize();
            let t = at.saturating_sub(u64::from(n - 1 - i));
            json!({
                "t": t,
                "pm25": f64::from(h[0] % 200) / 4.0,
                "no2": u32::from(h[1]) % 120,
                "tempC": f64::from(h[2] % 80) / 2.0 - 5.0,
            })
            .to_string()
        })
        .collect()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub fn simulate(a: SimulateArgs, out: &Output) -> anyhow::Result<()> {
    let pass = secrets::existing("CITYWALLET_DEVICE_PASSPHRASE", "Device passphrase")?;
    let state = a.state.unwrap_or_else(|| a.bundle.with_extension("state"));
    let bundle = read_file(&a.bundle, MAX_BUNDLE_BYTES as u64)?;
    let mut device = Device::open(&bundle, &pass, &state)?;
    let dir = a.out.unwrap_or_else(|| state.join("batches"));
    citywallet_files::create_private_dirs(&dir)?;
    let id = device.id().to_owned();
    let first = device.next_seq()?;
    let mut anchored = Vec::new();
    for seq in first..first + u64::from(a.count) {
        if seq > first {
            std::thread::sleep(Duration::from_millis(a.interval));
        }
        let taken_at = unix_now();
        let batch = ReadingBatch {
            device: id.clone(),
            seq,
            taken_at,
            readings: readings(&id, seq, taken_at, a.readings),
        };
        let file = batch_path(&dir, &id, seq);
        citywallet_files::write_new(&file, &batch.to_file()?)?;
        let receipt = device.anchor(&batch)?;
        let digest = hex::encode(batch.digest());
        if !out.json {
            println!(
                "batch {seq}: {} readings, digest {digest}, anchored at height {} ({})",
                batch.readings.len(),
                receipt.height,
                file.display()
            );
        }
        anchored.push(json!({
            "seq": seq, "file": file, "digest": digest,
            "count": batch.readings.len(), "receipt": receipt,
        }));
    }
    if out.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "device": id, "batches": anchored }))?
        );
    }
    Ok(())
}

fn batch_path(dir: &Path, device: &str, seq: u64) -> PathBuf {
    dir.join(format!("{device}-{seq:08}.jsonl"))
}
