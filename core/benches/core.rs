//! `cargo bench -p citywallet-core`: vault unlock with the production Argon2id parameters,
//! opening a full and an empty vault with a cheap key, inserting and listing 10,000
//! credentials, deriving 1,000 device keys.

use std::hint::black_box;
use std::time::Duration;

use citywallet_core::keys::{KeyPath, RecoveryPhrase};
use citywallet_core::vault::{KdfParams, StoredCredential, Vault};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const PASS: &str = "benchmark passphrase";

fn credentials(n: usize) -> Vec<StoredCredential> {
    (0..n)
        .map(|i| StoredCredential {
            id: format!("urn:uuid:bench-{i:08}"),
            issuer: "city-credit-bureau".into(),
            kind: if i % 2 == 0 { "credit" } else { "residency" }.into(),
            // About the size of a BBS credential with 8 claims and its signature.
            body: vec![(i % 251) as u8; 640],
            received_at: 1_700_000_000 + i as i64,
        })
        .collect()
}

fn vault_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let phrase = RecoveryPhrase::generate().expect("rng");

    let path = dir.path().join("unlock.db");
    drop(Vault::create(&path, &PASS.into(), KdfParams::RECOMMENDED, &phrase, "").expect("create"));
    let mut group = c.benchmark_group("vault");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("unlock (Argon2id 64 MiB, t=3, p=1)", |b| {
        b.iter(|| Vault::open(black_box(&path), &PASS.into()).expect("open"))
    });

    let fast = KdfParams {
        m_cost_kib: 256,
        t_cost: 1,
        p_cost: 1,
    };
    let batch = credentials(10_000);
    let mut n = 0;
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("insert 10,000 credentials (one transaction)", |b| {
        b.iter_batched(
            || {
                n += 1;
                let p = dir.path().join(format!("insert-{n}.db"));
                Vault::create(&p, &PASS.into(), fast, &phrase, "").expect("create")
            },
            |mut vault| vault.insert_credentials(black_box(&batch)).expect("insert"),
            BatchSize::PerIteration,
        )
    });

    let list_path = dir.path().join("list.db");
    let mut vault = Vault::create(&list_path, &PASS.into(), fast, &phrase, "").expect("create");
    vault.insert_credentials(&batch).expect("insert");
    group.bench_function("list 10,000 credentials", |b| {
        b.iter(|| assert_eq!(vault.credentials().expect("list").len(), 10_000))
    });
    // What an unlock costs besides Argon2id, with a full vault: SQLCipher, the quick check
    // of every page (a vault cut short is refused), the locks, the count, the schema check.
    let full_path = dir.path().join("full.db");
    Vault::create(&full_path, &PASS.into(), fast, &phrase, "")
        .expect("create")
        .insert_credentials(&batch)
        .expect("insert");
    group.bench_function("open a vault of 10,000 credentials (256 KiB key)", |b| {
        b.iter(|| Vault::open(black_box(&full_path), &PASS.into()).expect("open"))
    });
    let empty_path = dir.path().join("empty.db");
    drop(Vault::create(&empty_path, &PASS.into(), fast, &phrase, "").expect("create"));
    group.bench_function("open an empty vault (256 KiB key)", |b| {
        b.iter(|| Vault::open(black_box(&empty_path), &PASS.into()).expect("open"))
    });
    group.sample_size(20);
    let mut i = 0;
    group.bench_function("insert 1 credential (own transaction, fsync)", |b| {
        b.iter(|| {
            i += 1;
            let c = StoredCredential {
                id: format!("single-{i}"),
                ..batch[0].clone()
            };
            vault.insert_credential(&c).expect("insert")
        })
    });
    group.finish();
}

fn key_benches(c: &mut Criterion) {
    let seed = RecoveryPhrase::generate().expect("rng").to_seed("");
    let mut group = c.benchmark_group("keys");
    group.sample_size(20);
    group.bench_function("derive 1,000 device keys (SLIP-0010)", |b| {
        b.iter(|| {
            for i in 0..1_000u64 {
                black_box(
                    seed.derive(KeyPath::device(i).expect("path"))
                        .expect("derive"),
                );
            }
        })
    });
    group.finish();
}

criterion_group!(benches, vault_benches, key_benches);
criterion_main!(benches);
