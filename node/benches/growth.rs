//! State growth: with N keys in state (reports, as the chain stores them), pruned (the
//! newest 2 versions: what a long-running node's window holds once its history is far longer
//! than the window, less the window's own changes) or not (an archive): bytes on disk per key, proven-read latency (present and absent)
//! and proof size, executing a block of 1,000 report transactions, and reopening the
//! store. Each size gets ten blocks that rewrite 1% of the keys first, so pruning has
//! history to prune. Prints a table.
//!
//! `cargo xtask bench-growth`; `GROWTH_SIZES=10000,100000,1000000,5000000` and
//! `GROWTH_ARCHIVE=1000000` (sizes also measured without pruning) choose the rows.

use std::time::Instant;

use citywallet_node::app::{App, Genesis, ValidatorUpdate};
use citywallet_node::store::{Retention, Store};
use citywallet_protocol::{Action, ReportRecord, ReportStatus, TxBody, keys};
use ed25519_dalek::{Signer, SigningKey};
use prost_ics23::Message;

const CHAIN: &str = "growth-chain";
const T0: u64 = 1_780_000_000;
/// Keys written per version while filling.
const FILL_BATCH: u64 = 100_000;

fn env_list(name: &str, default: &[u64]) -> Vec<u64> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn record(n: u64, version: u64) -> Vec<u8> {
    serde_json::to_vec(&ReportRecord {
        id: format!("fill-{n}"),
        reporter: hex::encode([(n % 251) as u8; 32]),
        category: "pothole".into(),
        location_cell: "8a2a1072b59ffff".into(),
        evidence_hash: hex::encode([(version % 251) as u8; 32]),
        time: T0 + version,
        status: ReportStatus::Submitted,
        pseudonym: None,
    })
    .expect("json")
}

fn file_bytes(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn key(n: u64) -> SigningKey {
    let mut seed = [9u8; 32];
    seed[..8].copy_from_slice(&n.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

struct Row {
    keys: u64,
    retention: &'static str,
    fill_secs: f64,
    bytes_per_key: f64,
    live_per_key: f64,
    read_present_us: f64,
    read_absent_us: f64,
    proof_bytes: usize,
    block_ms: f64,
    reopen_ms: f64,
}

fn measure(n: u64, retention: Retention, label: &'static str) -> Row {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("state.redb");
    let started = Instant::now();
    let mut version = 0u64;
    let live;
    {
        let store = Store::open_with(&path, retention).expect("store");
        // Genesis at version 0 holds the chain's own keys, then the fill.
        let genesis = Genesis {
            chain_id: CHAIN.into(),
            admins: vec![hex::encode(key(u64::MAX).verifying_key().as_bytes())],
            validators: vec![ValidatorUpdate {
                public_key: hex::encode(key(u64::MAX - 1).verifying_key().as_bytes()),
                power: 10,
            }],
            ..Genesis::default()
        };
        let mut app = App::new(store, CHAIN);
        app.init_chain(&genesis).expect("genesis");
        let store = app.store();
        let mut written = 0u64;
        while written < n {
            let batch: Vec<(Vec<u8>, Option<Vec<u8>>)> = (written..(written + FILL_BATCH).min(n))
                .map(|i| {
                    (
                        keys::report(&format!("fill-{i}")),
                        Some(record(i, version + 1)),
                    )
                })
                .collect();
            written += batch.len() as u64;
            version += 1;
            store.commit(version, &batch).expect("fill");
        }
        // Ten blocks rewriting 1% of the keys each.
        for b in 0..10u64 {
            let step = 100;
            let batch: Vec<(Vec<u8>, Option<Vec<u8>>)> = (0..n)
                .filter(|i| i % step == b % step)
                .map(|i| {
                    (
                        keys::report(&format!("fill-{i}")),
                        Some(record(i, version + 1)),
                    )
                })
                .collect();
            version += 1;
            store.commit(version, &batch).expect("rewrite");
        }
        live = store.stats().expect("stats").live_bytes;
    }
    let fill_secs = started.elapsed().as_secs_f64();
    let bytes_per_key = file_bytes(&path) as f64 / n as f64;
    let live_per_key = live as f64 / n as f64;

    let t = Instant::now();
    let store = Store::open_with(&path, retention).expect("reopen");
    let mut app = App::open(store).expect("app");
    let latest = app.latest().expect("latest").expect("state").0;
    let reopen_ms = t.elapsed().as_secs_f64() * 1e3;

    let reads = 1_000u64;
    let mut proof_bytes = 0;
    let t = Instant::now();
    for i in 0..reads {
        let k = keys::report(&format!("fill-{}", (i * 7_919) % n));
        let p = app.store().get_proven(&k, latest).expect("read");
        assert!(p.value.is_some());
        proof_bytes = proof_bytes.max(p.proof.encode_to_vec().len());
    }
    let read_present_us = t.elapsed().as_secs_f64() * 1e6 / reads as f64;
    let t = Instant::now();
    for i in 0..reads {
        let k = keys::report(&format!("absent-{i}"));
        let p = app.store().get_proven(&k, latest).expect("read");
        assert!(p.value.is_none());
    }
    let read_absent_us = t.elapsed().as_secs_f64() * 1e6 / reads as f64;

    // Blocks of 1,000 signed reports from fresh citizens through the application: two to
    // bring the pruning window to blocks of this size (each block prunes what the block
    // before the window made stale), then the one measured.
    let block_of = |first: u64| -> Vec<Vec<u8>> {
        (first..first + 1_000)
            .map(|i| {
                let signer = key(i);
                TxBody {
                    chain_id: CHAIN.into(),
                    signer: signer.verifying_key().to_bytes(),
                    nonce: 0,
                    expires_at: 0,
                    action: Action::SubmitReport {
                        id: format!("new-{i}"),
                        category: "pothole".into(),
                        location_cell: "8a2a1072b59ffff".into(),
                        evidence_hash: [4; 32],
                    },
                }
                .sign_with(|m| signer.sign(m).to_bytes())
                .encode()
            })
            .collect()
    };
    let mut block_ms = 0.0;
    for (b, first) in [0u64, 1_000, 2_000].into_iter().enumerate() {
        let txs = block_of(first);
        let height = latest + 1 + b as u64;
        let t = Instant::now();
        for tx in &txs {
            let r = app.deliver_tx(tx, height, T0 + height).expect("deliver");
            assert_eq!(r.code, citywallet_protocol::Code::Ok, "{}", r.log);
        }
        app.commit(height).expect("commit");
        block_ms = t.elapsed().as_secs_f64() * 1e3;
    }
    Row {
        keys: n,
        retention: label,
        fill_secs,
        bytes_per_key,
        live_per_key,
        read_present_us,
        read_absent_us,
        proof_bytes,
        block_ms,
        reopen_ms,
    }
}

fn main() {
    let sizes = env_list("GROWTH_SIZES", &[10_000, 100_000, 1_000_000, 5_000_000]);
    let archive = env_list("GROWTH_ARCHIVE", &[1_000_000]);
    println!(
        "growth: state of N report keys, filled {FILL_BATCH} a version, then ten versions rewriting 1% each"
    );
    println!(
        "\n| keys | versions kept | fill + rewrites | disk per key | live bytes per key | proven read, present | proven read, absent | largest proof | block of 1,000 reports | reopen |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let runs = sizes
        .iter()
        .map(|&n| (n, Retention::Keep(2), "newest 2"))
        .chain(
            archive
                .iter()
                .map(|&n| (n, Retention::Archive, "all (archive)")),
        );
    for (n, retention, label) in runs {
        let r = measure(n, retention, label);
        println!(
            "| {} | {} | {:.1} s | {:.0} B | {:.0} B | {:.0} µs | {:.0} µs | {} B | {:.0} ms | {:.1} ms |",
            r.keys,
            r.retention,
            r.fill_secs,
            r.bytes_per_key,
            r.live_per_key,
            r.read_present_us,
            r.read_absent_us,
            r.proof_bytes,
            r.block_ms,
            r.reopen_ms
        );
    }
}
