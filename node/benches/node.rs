//! `cargo bench -p citywallet-node`: transactions through CheckTx + FinalizeBlock (signature
//! checks included), blocks per second with 4 and 100 validators, a proven query with
//! 1,000,000 keys in state, and the CheckTx refusal of an anchor from an unregistered key.

use std::hint::black_box;
use std::time::{Duration, Instant};

use citywallet_node::app::{App, Genesis, ValidatorUpdate};
use citywallet_node::chain::Producer;
use citywallet_node::store::Store;
use citywallet_protocol::{Action, OrgRecord, Status, TxBody, keys};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer, SigningKey};
use tendermint::Time;

const CHAIN: &str = "bench-chain";
const T0: u64 = 1_780_000_000;
const BLOCK_TXS: usize = 1_000;

fn key(n: u64) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&n.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

fn genesis(validators: &[SigningKey]) -> Genesis {
    Genesis {
        chain_id: CHAIN.into(),
        admins: vec![hex::encode(key(u64::MAX).verifying_key().as_bytes())],
        orgs: vec![OrgRecord {
            id: "health-research".into(),
            name: "Health Research".into(),
            key: hex::encode([9u8; 32]),
            categories: vec!["health".into(), "mobility".into()],
            status: Status::Active,
        }],
        validators: validators
            .iter()
            .map(|k| ValidatorUpdate {
                public_key: hex::encode(k.verifying_key().as_bytes()),
                power: 10,
            })
            .collect(),
        ..Genesis::default()
    }
}

fn app(dir: &std::path::Path, validators: &[SigningKey]) -> App {
    let mut app = App::new(Store::open(&dir.join("state.redb")).expect("store"), CHAIN);
    app.init_chain(&genesis(validators)).expect("genesis");
    app
}

/// `BLOCK_TXS` signed transactions from fresh citizens, each their first.
fn txs(first_signer: u64, grant: bool) -> Vec<Vec<u8>> {
    (0..BLOCK_TXS as u64)
        .map(|i| {
            let signer = key(first_signer + i);
            let id = format!("x-{}", first_signer + i);
            let action = if grant {
                Action::GrantAccess {
                    id,
                    org: "health-research".into(),
                    categories: vec!["health".into()],
                    purpose: "asthma study".into(),
                    expires_at: T0 + 86_400,
                }
            } else {
                Action::SubmitReport {
                    id,
                    category: "pothole".into(),
                    location_cell: "8a2a1072b59ffff".into(),
                    evidence_hash: [1; 32],
                }
            };
            TxBody {
                chain_id: CHAIN.into(),
                signer: signer.verifying_key().to_bytes(),
                nonce: 0,
                expires_at: 0,
                action,
            }
            .sign_with(|m| signer.sign(m).to_bytes())
            .encode()
        })
        .collect()
}

fn throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut app = app(dir.path(), &[key(1 << 40)]);
    let mut next_signer = 0u64;
    let mut height = 0u64;
    let mut g = c.benchmark_group(format!(
        "{BLOCK_TXS} transactions: CheckTx + FinalizeBlock + commit"
    ));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, grant) in [("reports", false), ("grants", true)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    next_signer += BLOCK_TXS as u64;
                    txs(next_signer, grant)
                },
                |block| {
                    height += 1;
                    for t in &block {
                        assert!(app.check_tx(t, T0).expect("check").code.value() == 0);
                    }
                    for t in &block {
                        assert!(app.deliver_tx(t, height, T0).expect("deliver").code.value() == 0);
                    }
                    app.commit(height).expect("commit")
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn blocks(c: &mut Criterion) {
    let mut g = c.benchmark_group("empty blocks produced (header, execution, commit signatures)");
    g.sample_size(20);
    for n in [4u64, 100] {
        let dir = tempfile::tempdir().expect("tmp");
        let validators: Vec<SigningKey> = (0..n).map(|i| key(1 << 50 | i)).collect();
        let app = app(dir.path(), &validators);
        let g0 = genesis(&validators);
        let t0 = Time::from_unix_timestamp(T0 as i64, 0).expect("time");
        let mut producer = Producer::new(app, validators, &g0.validators, t0).expect("producer");
        let mut secs = 0i64;
        g.bench_function(format!("{n} validators"), |b| {
            b.iter(|| {
                secs += 1;
                let t = Time::from_unix_timestamp(T0 as i64 + secs, 0).expect("time");
                producer
                    .produce(vec![], t)
                    .expect("block")
                    .block
                    .header
                    .height
            })
        });
    }
    g.finish();
}

fn queries(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&dir.path().join("big.redb")).expect("store");
    let started = Instant::now();
    let total = 1_000_000u64;
    let batch = 100_000u64;
    for v in 0..total / batch {
        let changes: Vec<(Vec<u8>, Option<Vec<u8>>)> = (v * batch..(v + 1) * batch)
            .map(|i| {
                (
                    keys::report(&format!("r-{i}")),
                    Some(format!("{{\"n\":{i}}}").into_bytes()),
                )
            })
            .collect();
        store.commit(v, &changes).expect("commit");
    }
    println!(
        "loaded {total} keys in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let latest = total / batch - 1;
    let root = store.root(latest).expect("root");
    let spec = jmt::ics23_spec();
    let mut g = c.benchmark_group("proven read, 1,000,000 keys in state");
    g.sample_size(50);
    let mut i = 0u64;
    g.bench_function("present key: value + ICS23 membership proof", |b| {
        b.iter(|| {
            i = (i + 7919) % total;
            black_box(
                store
                    .get_proven(&keys::report(&format!("r-{i}")), latest)
                    .expect("query"),
            )
        })
    });
    g.bench_function("absent key: ICS23 non-membership proof", |b| {
        b.iter(|| {
            i += 1;
            black_box(
                store
                    .get_proven(&keys::report(&format!("absent-{i}")), latest)
                    .expect("query"),
            )
        })
    });
    let p = store
        .get_proven(&keys::report("r-12345"), latest)
        .expect("query");
    g.bench_function("verify membership proof (ics23)", |b| {
        b.iter(|| {
            assert!(ics23::verify_membership::<ics23::HostFunctionsManager>(
                &p.proof,
                &spec,
                &root.to_vec(),
                &keys::report("r-12345"),
                p.value.as_deref().expect("value")
            ))
        })
    });
    g.finish();
    let size = std::fs::metadata(dir.path().join("big.redb"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "state file with {total} keys: {:.0} MiB",
        size as f64 / (1024.0 * 1024.0)
    );
}

/// What a flood of anchors from unregistered keys costs: the CheckTx refusal of one, for a
/// device that does not exist and for a registered one (from a key not its own).
fn anchor_refusals(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let technician = key(1 << 41);
    let mut g = genesis(&[key(1 << 40)]);
    g.technicians = vec![citywallet_node::app::TechnicianEntry::new(
        hex::encode(technician.verifying_key().as_bytes()),
        "environment",
    )];
    let mut app = App::new(
        Store::open(&dir.path().join("state.redb")).expect("store"),
        CHAIN,
    );
    app.init_chain(&g).expect("genesis");
    let provision = TxBody {
        chain_id: CHAIN.into(),
        signer: technician.verifying_key().to_bytes(),
        nonce: 0,
        expires_at: 0,
        action: Action::ProvisionDevice {
            id: "aq-1".into(),
            public_key: [20; 32],
            kind: "air-quality-sensor".into(),
            location: "cell-1".into(),
            department: "environment".into(),
        },
    }
    .sign_with(|m| technician.sign(m).to_bytes())
    .encode();
    assert_eq!(
        app.deliver_tx(&provision, 1, T0)
            .expect("deliver")
            .code
            .value(),
        0
    );
    app.commit(1).expect("commit");
    let mut next = 0u64;
    let mut grp = c.benchmark_group("CheckTx of an anchor from an unregistered key (refused)");
    for (name, device) in [
        ("unknown device", "aq-none"),
        ("registered device, not its key", "aq-1"),
    ] {
        grp.bench_function(name, |b| {
            b.iter_batched(
                || {
                    next += 1;
                    let k = key(1 << 42 | next);
                    TxBody {
                        chain_id: CHAIN.into(),
                        signer: k.verifying_key().to_bytes(),
                        nonce: 0,
                        expires_at: 0,
                        action: Action::AnchorReadings {
                            device: device.into(),
                            seq: 1,
                            digest: [3; 32],
                            count: 60,
                            taken_at: T0,
                        },
                    }
                    .sign_with(|m| k.sign(m).to_bytes())
                    .encode()
                },
                |tx| {
                    let r = app.check_tx(&tx, T0).expect("check");
                    assert_ne!(r.code.value(), 0);
                    r
                },
                BatchSize::SmallInput,
            )
        });
    }
    grp.finish();
}

criterion_group!(benches, throughput, blocks, queries, anchor_refusals);
criterion_main!(benches);
