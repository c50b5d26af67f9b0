//! A long devnet run: resident memory while it makes `LONG_RUN_BLOCKS` blocks (default
//! 100,000; a citizen's report every tenth block), the state's size on disk with pruning
//! on, and the time a restart takes at the end. Prints a table.
//!
//! `cargo bench -p citywallet-node --bench long_run` (`cargo xtask bench-long`).

use std::time::Instant;

use citywallet_node::devnet::{Devnet, DevnetConfig};
use ed25519_dalek::Signer as _;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn disk_mib(dir: &std::path::Path) -> f64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0) as f64
        / (1 << 20) as f64
}

fn main() {
    let blocks: u64 = std::env::var("LONG_RUN_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("dir");
    let config = DevnetConfig {
        chain_id: "citywallet-long-run".into(),
        validators: 4,
        seed: Some(7),
        data: dir.path().to_path_buf(),
        retention: citywallet_node::store::Retention::default(),
    };
    let (devnet, keys) = Devnet::create(&config).expect("devnet");
    let citizen = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let mut nonce = 0u64;
    let marks: Vec<u64> = [1_000, 10_000, 25_000, 50_000, 75_000, 100_000]
        .into_iter()
        .filter(|m| *m <= blocks)
        .chain(std::iter::once(blocks))
        .collect();
    println!("long run: {blocks} blocks, 4 validators, a report every tenth block");
    println!(
        "\n| blocks | RSS | redb file (state, block records, tx index) | pages in use | live keys and values | block records kept | tree nodes | value versions | blocks/s since the last row |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let started = Instant::now();
    let mut last = (0u64, Instant::now());
    for h in 1..=blocks {
        if h % 10 == 0 {
            let tx = citywallet_protocol::TxBody {
                chain_id: config.chain_id.clone(),
                signer: citizen.verifying_key().to_bytes(),
                nonce,
                expires_at: 0,
                action: citywallet_protocol::Action::SubmitReport {
                    id: format!("long-{nonce}"),
                    category: "pothole".into(),
                    location_cell: "cell-1".into(),
                    evidence_hash: [1; 32],
                },
            }
            .sign_with(|m| citizen.sign(m).to_bytes())
            .encode();
            let r = devnet.broadcast(tx).expect("broadcast");
            assert_eq!(r.code, citywallet_protocol::Code::Ok, "{}", r.log);
            nonce += 1;
        }
        devnet.produce_block().expect("block");
        if marks.contains(&h) && h != last.0 {
            let rate = (h - last.0) as f64 / last.1.elapsed().as_secs_f64();
            let stats = devnet.store_stats().expect("stats");
            println!(
                "| {h} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.1} MiB | {} | {} | {} | {rate:.0} |",
                rss_mib(),
                disk_mib(dir.path()),
                stats.allocated_bytes as f64 / (1 << 20) as f64,
                stats.live_bytes as f64 / (1 << 20) as f64,
                stats.blocks,
                stats.nodes,
                stats.values
            );
            last = (h, Instant::now());
        }
    }
    let made = started.elapsed();
    drop(devnet);
    drop(keys);
    let t = Instant::now();
    let reopened = Devnet::open(&config).expect("reopen");
    let restart = t.elapsed();
    assert_eq!(reopened.latest().map(|(h, _)| h), Some(blocks));
    let t = Instant::now();
    let parts = reopened
        .light_block_parts(Some(1))
        .expect("block 1 from the store");
    let old_block = t.elapsed();
    assert_eq!(parts.0.header.height.value(), 1);
    println!(
        "\n{blocks} blocks in {:.0} s; restart (open, newest record only) {:.1} ms; block 1 read back from the store in {:.2} ms; RSS after restart {:.1} MiB",
        made.as_secs_f64(),
        restart.as_secs_f64() * 1e3,
        old_block.as_secs_f64() * 1e3,
        rss_mib()
    );
}
