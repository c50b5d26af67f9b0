//! Light-client throughput against blocks from a real devnet (4, 21 and 100 validators),
//! printed as a table: headers per second sequential and skipping (batch engine vs
//! `ProdVerifier`), syncing 10,000 blocks from a trusted header, and state-proof checks.
//!
//! `cargo bench -p citywallet-chain-tests --bench light_client`

use std::time::{Duration, Instant};

use citywallet_chain_tests::{Net, session, wallet};
use citywallet_light_client::rpc::HttpNode;
use citywallet_light_client::sync::{InMemoryProvider, Provider, sync};
use citywallet_light_client::verify::{Engine, Verdict, options, verify_update};
use tendermint::Time;
use tendermint_light_client_verifier::types::LightBlock;

const CHAIN: u64 = 201;
const SYNC_BLOCKS: u64 = 10_000;

fn blocks(net: &Net, n: u64) -> Vec<LightBlock> {
    while net.devnet().produce_block().expect("block") < n + 1 {}
    let node = HttpNode::new(&net.primary, Duration::from_secs(30)).expect("node");
    (1..=n)
        .map(|h| node.light_block(Some(h)).expect("block"))
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median over `runs` of the time `f` takes.
fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    let opts = options(Duration::from_secs(14 * 24 * 3600), Duration::from_secs(10));
    println!("| validators | mode | ProdVerifier headers/s | batch headers/s | speed-up |");
    println!("|---|---|---|---|---|");
    for validators in [4usize, 21, 100] {
        let net = Net::start_devnet(validators);
        let chain = blocks(&net, CHAIN);
        let now = Time::now();
        let runs = if validators == 100 { 3 } else { 7 };
        for mode in ["sequential", "skipping"] {
            let mut rate = [0.0f64; 2];
            for (i, engine) in [Engine::Reference, Engine::Batch].into_iter().enumerate() {
                let d = time(runs, || {
                    for k in 1..chain.len() {
                        let trusted = if mode == "sequential" {
                            &chain[k - 1]
                        } else {
                            &chain[0]
                        };
                        let v = verify_update(trusted, &chain[k], &opts, now, engine);
                        assert_eq!(v, Verdict::Verified);
                    }
                });
                rate[i] = per_sec(CHAIN - 1, d);
            }
            println!(
                "| {validators} | {mode} | {:.0} | {:.0} | {:.2}x |",
                rate[0],
                rate[1],
                rate[1] / rate[0]
            );
        }
    }

    println!("\n| sync of {SYNC_BLOCKS} blocks (4 validators) | time |");
    println!("|---|---|");
    let net = Net::start_devnet(4);
    let t = Instant::now();
    let chain = blocks(&net, SYNC_BLOCKS + 1);
    eprintln!(
        "(setup: {SYNC_BLOCKS} blocks produced and fetched in {:?})",
        t.elapsed()
    );
    let now = Time::now();
    for engine in [Engine::Reference, Engine::Batch] {
        let d = time(3, || {
            for k in 1..chain.len() {
                let v = verify_update(&chain[k - 1], &chain[k], &opts, now, engine);
                assert_eq!(v, Verdict::Verified);
            }
        });
        println!(
            "| every header in turn, {engine:?} | {:.2} s |",
            d.as_secs_f64()
        );
    }
    let provider = InMemoryProvider::new(chain.clone());
    let d = time(7, || {
        sync(
            &provider,
            &chain[0],
            SYNC_BLOCKS + 1,
            &opts,
            now,
            Engine::Batch,
            &mut |_| {},
        )
        .expect("sync");
    });
    println!(
        "| bisection from block 1, in memory | {:.2} ms |",
        d.as_secs_f64() * 1e3
    );
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    let d = time(5, || {
        let mut s = session(&mut vault, &net.primary, &[&net.witness]);
        s.anchor_genesis(None).expect("anchor");
        s.sync(&mut |_| {}).expect("sync");
    });
    println!(
        "| anchor + bisection over HTTP with a witness cross-check, into the vault | {:.1} ms |",
        d.as_secs_f64() * 1e3
    );

    println!("\n| state proof | verify time |");
    println!("|---|---|");
    let mut s = session(&mut vault, &net.primary, &[&net.witness]);
    let at = s.sync(&mut |_| {}).expect("sync");
    for (what, key) in [
        ("membership (issuer record)", "issuer/city-credit-bureau"),
        (
            "non-membership (revocation)",
            "revoked/city-credit-bureau/nobody",
        ),
    ] {
        let read = s.read(&at, key.as_bytes()).expect("read");
        let n = 2_000u32;
        let d = time(5, || {
            for _ in 0..n {
                read.verify(&at).expect("verifies");
            }
        });
        println!(
            "| {what}, {} B proof | {:.1} µs |",
            read.proof.len() / 2,
            d.as_secs_f64() * 1e6 / f64::from(n)
        );
        let d = time(5, || {
            s.read(&at, key.as_bytes()).expect("read");
        });
        println!(
            "| {what}, fetched over HTTP and verified | {:.0} µs |",
            d.as_secs_f64() * 1e6
        );
    }
}
