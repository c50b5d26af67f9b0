//! Device anchoring at city scale: D registered devices each anchor a batch every 10 s (as
//! firmware does: sign with the device key, `broadcast_tx_sync`, no wallet), against the
//! CometBFT localnet (four validators, each beside its own app process) and the devnet;
//! then the same with a flood of anchors from unregistered keys beside it. Prints a table:
//! anchors accepted per second, the node processes' CPU, and what the flood cost.
//!
//! `cargo xtask bench-anchors` (or `cargo bench -p citywallet-chain-tests --bench anchors`);
//! `ANCHOR_DEVICES=1000`, `ANCHOR_ROUNDS=6` (of 10 s) and `ANCHOR_FLOOD=200` (unregistered
//! anchors a second) choose the sizes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use citywallet_chain_tests::{Net, localnet};
use citywallet_protocol::{Action, Code, TxBody};
use common::*;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::json;

const INTERVAL: Duration = Duration::from_secs(10);
const SENDERS: usize = 4;

fn device_key(i: usize, salt: u8) -> SigningKey {
    let mut b = [salt; 32];
    b[..8].copy_from_slice(&(i as u64).to_be_bytes());
    SigningKey::from_bytes(&b)
}

fn signed(chain_id: &str, key: &SigningKey, nonce: u64, action: Action) -> Vec<u8> {
    TxBody {
        chain_id: chain_id.into(),
        signer: key.verifying_key().to_bytes(),
        nonce,
        expires_at: 0,
        action,
    }
    .sign_with(|m| key.sign(m).to_bytes())
    .encode()
}

fn anchor(device: String, seq: u64) -> Action {
    Action::AnchorReadings {
        device,
        seq,
        digest: [seq as u8; 32],
        count: 60,
        taken_at: 0,
    }
}

/// Send `tx` with `broadcast_tx_sync`: CheckTx's code (`None`: no usable answer).
fn broadcast(client: &reqwest::blocking::Client, url: &str, tx: &[u8]) -> Option<u32> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "broadcast_tx_sync",
        "params": { "tx": base64::engine::general_purpose::STANDARD.encode(tx) } });
    let v: serde_json::Value = client.post(url).json(&body).send().ok()?.json().ok()?;
    v["result"]["code"].as_u64().map(|c| c as u32)
}

/// Wait (polling, at most `within`) until `want` transactions after height `from` are in
/// blocks; the height reached.
fn await_committed(url: &str, from: u64, want: u64, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    let (mut got, mut to) = (0, from);
    while Instant::now() < deadline && got < want {
        let now = latest_height(url);
        if now > to {
            got += committed(url, to + 1, now).0;
            to = now;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    to
}

/// Register `devices` devices, signed by the chain's technician; returns their ids.
fn provision(t: &Target, technician: &SigningKey, devices: usize) -> Vec<String> {
    let client = reqwest::blocking::Client::new();
    let ids: Vec<String> = (0..devices)
        .map(|i| format!("load-{}-{i}", t.name))
        .collect();
    let from = latest_height(&t.urls[0]);
    for (i, id) in ids.iter().enumerate() {
        let tx = signed(
            &t.chain_id,
            technician,
            i as u64,
            Action::ProvisionDevice {
                id: id.clone(),
                public_key: device_key(i, 0xd1).verifying_key().to_bytes(),
                kind: "air-quality-sensor".into(),
                location: format!("cell-{}", i % 64),
                department: citywallet_node::devnet::DEVNET_TECHNICIAN_DEPARTMENT.into(),
            },
        );
        assert_eq!(
            broadcast(&client, &t.urls[0], &tx),
            Some(0),
            "provisioning {id}"
        );
    }
    await_committed(&t.urls[0], from, devices as u64, Duration::from_secs(300));
    ids
}

struct Phase {
    target: &'static str,
    flood_rate: u64,
    devices: usize,
    sent: u64,
    accepted: u64,
    committed: u64,
    wall: f64,
    flood_sent: u64,
    flood_refused: u64,
    cpu: Vec<(String, f64)>,
}

/// `rounds` rounds of 10 s in which every device anchors one batch (spread evenly over the
/// round), with `flood_rate` anchors a second from unregistered keys beside them.
fn run(t: &Target, ids: &[String], first_round: u64, rounds: u64, flood_rate: u64) -> Phase {
    let n = ids.len();
    let sent = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let flood_sent = Arc::new(AtomicU64::new(0));
    let flood_refused = Arc::new(AtomicU64::new(0));
    let total = INTERVAL * rounds as u32;
    // The flood's transactions are signed before the clock starts: from keys no device is
    // registered with, half for devices that do not exist (`unknown_target`), half for
    // registered ones (`unauthorized`, one read more).
    let flood: Vec<Vec<u8>> = (0..flood_rate * total.as_secs())
        .map(|i| {
            let key = device_key(i as usize, 0xf1 ^ first_round as u8);
            let device = if i % 2 == 0 {
                format!("no-such-device-{i}")
            } else {
                ids[i as usize % n].clone()
            };
            signed(&t.chain_id, &key, 0, anchor(device, 1))
        })
        .collect();
    let from = latest_height(&t.urls[0]);
    let cpu0: Vec<f64> = t.pids.iter().map(|(_, p)| cpu_secs(*p)).collect();
    let started = Instant::now();
    let mut handles = Vec::new();
    for s in 0..SENDERS {
        let (ids, url, chain) = (
            ids.to_vec(),
            t.urls[s % t.urls.len()].clone(),
            t.chain_id.clone(),
        );
        let (sent, accepted) = (sent.clone(), accepted.clone());
        handles.push(std::thread::spawn(move || {
            let client = reqwest::blocking::Client::new();
            for r in 0..rounds {
                let round = first_round + r;
                for i in (s..n).step_by(SENDERS) {
                    let due = INTERVAL * r as u32 + INTERVAL.mul_f64(i as f64 / n as f64);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    let tx = signed(
                        &chain,
                        &device_key(i, 0xd1),
                        round,
                        anchor(ids[i].clone(), round + 1),
                    );
                    sent.fetch_add(1, Ordering::Relaxed);
                    if broadcast(&client, &url, &tx) == Some(Code::Ok.value()) {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    if flood_rate > 0 {
        let url = t.urls[0].clone();
        let (flood_sent, flood_refused) = (flood_sent.clone(), flood_refused.clone());
        handles.push(std::thread::spawn(move || {
            let client = reqwest::blocking::Client::new();
            for (k, tx) in flood.iter().enumerate() {
                let due = Duration::from_secs_f64(k as f64 / flood_rate as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
                flood_sent.fetch_add(1, Ordering::Relaxed);
                if broadcast(&client, &url, tx).is_some_and(|c| c != Code::Ok.value()) {
                    flood_refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for h in handles {
        let _ = h.join();
    }
    let want = accepted.load(Ordering::Relaxed);
    let to = await_committed(&t.urls[0], from, want, Duration::from_secs(120));
    let wall = started.elapsed().as_secs_f64();
    let cpu = t
        .pids
        .iter()
        .zip(cpu0)
        .map(|((name, p), c0)| (name.clone(), cpu_secs(*p) - c0))
        .collect();
    Phase {
        target: t.name,
        flood_rate,
        devices: n,
        sent: sent.load(Ordering::Relaxed),
        accepted: want,
        committed: committed(&t.urls[0], from + 1, to).0,
        wall,
        flood_sent: flood_sent.load(Ordering::Relaxed),
        flood_refused: flood_refused.load(Ordering::Relaxed),
        cpu,
    }
}

fn print(rows: &[Phase]) {
    println!(
        "\n| chain | devices | flood /s | anchors sent | accepted (CheckTx) | in blocks | anchors/s in blocks | flood sent | refused in CheckTx | node CPU (share of one core) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let share = |suffix: &str| -> f64 {
            r.cpu
                .iter()
                .filter(|(n, _)| n.ends_with(suffix))
                .map(|(_, c)| c)
                .sum::<f64>()
                / r.wall
                * 100.0
        };
        let cpu = if r.cpu.len() > 1 {
            format!(
                "apps {:.0}%, cometbft {:.0}%, senders {:.0}%",
                share(" app"),
                share(" cometbft"),
                share("senders")
            )
        } else {
            format!("devnet and senders {:.0}%", share(""))
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {} | {} | {} |",
            r.target,
            r.devices,
            r.flood_rate,
            r.sent,
            r.accepted,
            r.committed,
            r.committed as f64 / r.wall,
            r.flood_sent,
            r.flood_refused,
            cpu
        );
    }
}

/// CPU seconds of the node processes in a phase (all but the localnet's senders; the
/// devnet's process holds both).
fn node_cpu(p: &Phase) -> f64 {
    p.cpu
        .iter()
        .filter(|(n, _)| n != "senders")
        .map(|(_, c)| c)
        .sum()
}

fn main() {
    let devices = env_list("ANCHOR_DEVICES", &[1000])[0];
    let rounds = env_list("ANCHOR_ROUNDS", &[6])[0] as u64;
    let flood = env_list("ANCHOR_FLOOD", &[200])[0] as u64;
    println!(
        "anchors: {} cores; {devices} devices, one batch each every 10 s for {rounds} rounds; flood {flood}/s",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut rows = Vec::new();
    let mut phases = |t: &Target, technician: &SigningKey| {
        let ids = provision(t, technician, devices);
        let quiet = run(t, &ids, 0, rounds, 0);
        print(std::slice::from_ref(&quiet));
        let flooded = run(t, &ids, rounds, rounds, flood);
        print(std::slice::from_ref(&flooded));
        let extra = node_cpu(&flooded) - node_cpu(&quiet);
        println!(
            "{}: the flood's {} refusals cost the nodes {:.1} CPU s more ({:.0} µs each)",
            t.name,
            flooded.flood_refused,
            extra,
            extra / flooded.flood_refused.max(1) as f64 * 1e6
        );
        rows.push(quiet);
        rows.push(flooded);
    };
    {
        let (net, _dir) = localnet::start(4, 0);
        let t = localnet_target(&net, "senders");
        phases(&t, &localnet::demo_keys().technician);
    }
    {
        let net = Net::start_devnet_with_block_time(4, Duration::from_millis(500));
        let t = devnet_target(&net, "devnet and senders");
        let technician = net.keys.technician.clone();
        phases(&t, &technician);
    }
    println!("\nDevice anchoring, {devices} devices, a batch each every 10 s:");
    print(&rows);
}
