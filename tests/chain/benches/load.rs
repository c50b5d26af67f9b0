//! Load: W concurrent wallets (each its own vault, the product's `citywallet-wallet` over
//! HTTP) filing reports and grants through the light client, against the CometBFT localnet
//! (four validators, each beside its own app process) and against the devnet, side by side;
//! then raw throughput, signed transactions committed per second without wallets. Prints
//! tables.
//!
//! `cargo xtask bench-load` (or `cargo bench -p citywallet-chain-tests --bench load`);
//! `LOAD_WALLETS=10,50,200` and `LOAD_ACTIONS=2` (per wallet) choose the sizes.

mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use citywallet_chain_tests::{Net, localnet};
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_protocol::{Action, TxBody};
use citywallet_wallet::dto::{GrantIn, ReportIn};
use citywallet_wallet::{HttpConnect, Network, SystemClock, Wallet};
use common::*;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::json;

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

struct Row {
    target: &'static str,
    wallets: usize,
    actions: usize,
    failed: usize,
    wall: Duration,
    p50: Duration,
    p99: Duration,
    txs: u64,
    tx_span: f64,
    cpu: Vec<(String, f64)>,
}

/// `wallets` wallets, each its own vault, anchored and synced first; then all at once, each
/// files `actions` actions (a report, a grant, alternately) and records each latency from
/// the call to the stored receipt.
fn run_wallets(t: &Target, wallets: usize, actions: usize) -> Row {
    let dirs: Vec<tempfile::TempDir> = (0..wallets)
        .map(|_| tempfile::tempdir().expect("dir"))
        .collect();
    let ready = Arc::new(Barrier::new(wallets + 1));
    let go = Arc::new(Barrier::new(wallets + 1));
    let n = t.urls.len();
    let handles: Vec<_> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let path = dir.path().join("wallet.db");
            let network = Network {
                primary: t.urls[i % n].clone(),
                witnesses: vec![t.urls[(i + 1) % n].clone()],
            };
            let (ready, go) = (ready.clone(), go.clone());
            std::thread::spawn(move || {
                let mut w = Wallet::new(
                    &path,
                    FAST,
                    network,
                    Arc::new(HttpConnect),
                    Arc::new(SystemClock),
                );
                let setup = (|| {
                    w.create(&Passphrase::from("a load test passphrase"), "")?;
                    for (name, v) in [
                        ("effect_wait_secs", 300),
                        ("action_budget_secs", 600),
                        ("sync_budget_secs", 600),
                        ("request_timeout_ms", 30_000),
                        ("max_header_age_secs", 600),
                        ("max_block_gap_secs", 600),
                    ] {
                        w.set_setting(name, v)?;
                    }
                    w.sync(&mut |_| {})?;
                    Ok::<_, citywallet_wallet::Error>(())
                })();
                ready.wait();
                go.wait();
                let mut out = Vec::new();
                if let Err(e) = setup {
                    // Its actions count as failed.
                    return (0..actions)
                        .map(|_| Err(format!("wallet {i}: setup failed: {e}")))
                        .collect();
                }
                for a in 0..actions {
                    let started = Instant::now();
                    let r = if a % 2 == 0 {
                        w.submit_report(&ReportIn {
                            category: "streetlight".into(),
                            location: format!("cell-{i}"),
                            description: "light out".into(),
                            evidence_sha256: None,
                            residency: None,
                        })
                        .map(|_| ())
                    } else {
                        w.create_grant(&GrantIn {
                            org: "health-research".into(),
                            categories: vec!["health".into()],
                            purpose: "load test".into(),
                            expires: "2099-12-31".into(),
                        })
                        .map(|_| ())
                    };
                    out.push(r.map(|()| started.elapsed()).map_err(|e| e.to_string()));
                }
                out
            })
        })
        .collect();
    ready.wait();
    let from = latest_height(&t.urls[0]);
    let cpu0: Vec<f64> = t.pids.iter().map(|(_, p)| cpu_secs(*p)).collect();
    let started = Instant::now();
    go.wait();
    let results: Vec<Result<Duration, String>> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    let wall = started.elapsed();
    let cpu: Vec<(String, f64)> = t
        .pids
        .iter()
        .zip(cpu0)
        .map(|((name, p), c0)| (name.clone(), (cpu_secs(*p) - c0) / wall.as_secs_f64()))
        .collect();
    let to = latest_height(&t.urls[0]);
    let (txs, tx_span) = committed(&t.urls[0], from + 1, to);
    let mut ok: Vec<Duration> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    ok.sort();
    for e in results.iter().filter_map(|r| r.as_ref().err()).take(3) {
        eprintln!("  an action failed: {e}");
    }
    Row {
        target: t.name,
        wallets,
        actions: ok.len(),
        failed: results.len() - ok.len(),
        wall,
        p50: percentile(&ok, 0.5),
        p99: percentile(&ok, 0.99),
        txs,
        tx_span,
        cpu,
    }
}

/// Signed reports from `signers` keys, `per_signer` each (nonces 0..), sent concurrently
/// (each signer's in order, to one node) with `broadcast_tx_sync`; timed until the last
/// is committed. Returns (transactions committed, seconds from the first send to the
/// block holding the last, blocks).
fn raw_throughput(t: &Target, signers: usize, per_signer: usize) -> (u64, f64, u64) {
    use base64::Engine as _;
    let txs: Vec<Vec<Vec<u8>>> = (0..signers)
        .map(|s| {
            let key = SigningKey::from_bytes(&[s as u8 + 1; 32]);
            (0..per_signer)
                .map(|n| {
                    TxBody {
                        chain_id: t.chain_id.clone(),
                        signer: key.verifying_key().to_bytes(),
                        nonce: n as u64,
                        expires_at: 0,
                        action: Action::SubmitReport {
                            id: format!("raw-{s}-{n}"),
                            category: "pothole".into(),
                            location_cell: "cell-1".into(),
                            evidence_hash: [7u8; 32],
                        },
                    }
                    .sign_with(|m| key.sign(m).to_bytes())
                    .encode()
                })
                .collect()
        })
        .collect();
    let from = latest_height(&t.urls[0]);
    let started = Instant::now();
    let handles: Vec<_> = txs
        .into_iter()
        .enumerate()
        .map(|(s, list)| {
            let url = t.urls[s % t.urls.len()].clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                for tx in list {
                    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "broadcast_tx_sync",
                        "params": { "tx": base64::engine::general_purpose::STANDARD.encode(&tx) } });
                    let _ = client.post(&url).json(&body).send();
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    let want = (signers * per_signer) as u64;
    let deadline = Instant::now() + Duration::from_secs(300);
    let (mut got, mut to) = (0, from);
    while Instant::now() < deadline {
        let now = latest_height(&t.urls[0]);
        if now > to {
            got += committed(&t.urls[0], to + 1, now).0;
            to = now;
        }
        if got >= want {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (got, started.elapsed().as_secs_f64(), to - from)
}

fn print_rows(rows: &[Row]) {
    println!(
        "\n| chain | wallets | actions ok | failed | verified actions/s | p50 | p99 | committed tx/s | CPU (share of one core, 2 cores = 200%) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let tps = if r.tx_span > 0.0 {
            format!("{:.1}", r.txs as f64 / r.tx_span)
        } else {
            "-".into()
        };
        let share = |suffix: &str| -> f64 {
            r.cpu
                .iter()
                .filter(|(n, _)| n.ends_with(suffix))
                .map(|(_, c)| c)
                .sum()
        };
        let cpu = if r.cpu.len() > 1 {
            format!(
                "apps {:.0}%, cometbft {:.0}%, wallets {:.0}%",
                share(" app") * 100.0,
                share(" cometbft") * 100.0,
                share("wallets") * 100.0
            )
        } else {
            format!("devnet and wallets {:.0}%", share("") * 100.0)
        };
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.2} s | {:.2} s | {} | {} |",
            r.target,
            r.wallets,
            r.actions,
            r.failed,
            r.actions as f64 / r.wall.as_secs_f64(),
            r.p50.as_secs_f64(),
            r.p99.as_secs_f64(),
            tps,
            cpu
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used.
    let sizes = env_list("LOAD_WALLETS", &[10, 50, 200]);
    let actions = env_list("LOAD_ACTIONS", &[2])[0];
    let (signers, per_signer) = (50, 40);
    println!(
        "load: {} cores; wallets {sizes:?}, {actions} actions each; raw: {signers} signers x {per_signer} reports",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let mut rows = Vec::new();
    let mut raw = Vec::new();
    {
        let (net, _dir) = localnet::start(4, 0);
        let t = localnet_target(&net, "wallets");
        for &w in &sizes {
            rows.push(run_wallets(&t, w, actions));
            print_rows(&rows[rows.len() - 1..]);
        }
        raw.push((t.name, raw_throughput(&t, signers, per_signer)));
    }
    {
        let net = Net::start_devnet_with_block_time(4, Duration::from_millis(500));
        let t = devnet_target(&net, "devnet and wallets");
        for &w in &sizes {
            rows.push(run_wallets(&t, w, actions));
            print_rows(&rows[rows.len() - 1..]);
        }
        raw.push((t.name, raw_throughput(&t, signers, per_signer)));
    }
    println!(
        "\nWallet load (each action: verify headers, prove its facts, submit, wait for the effect, store the receipt):"
    );
    print_rows(&rows);
    println!("\nRaw throughput, signed reports sent with broadcast_tx_sync, no wallets:");
    println!("| chain | transactions committed | seconds | blocks | committed tx/s |");
    println!("|---|---:|---:|---:|---:|");
    for (name, (got, secs, blocks)) in raw {
        println!(
            "| {name} | {got} | {secs:.1} | {blocks} | {:.0} |",
            got as f64 / secs
        );
    }
}
