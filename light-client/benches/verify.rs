//! `cargo bench -p citywallet-light-client`: one header verification, batched signatures
//! against `ProdVerifier`, for 4, 21 and 100 validators, adjacent (h → h+1) and skipping
//! (h → h+2), in the same run.

use std::time::Duration;

use citywallet_light_client::verify::{Engine, Verdict, options, verify_update};
use criterion::{Criterion, criterion_group, criterion_main};
use tendermint::Time;
use tendermint_testgen::{Generator, Header, LightBlock, Validator};

fn chain(n: usize) -> Vec<tendermint_light_client_verifier::types::LightBlock> {
    let validators: Vec<Validator> = (0..n)
        .map(|i| Validator::new(&format!("v{i}")).voting_power(10))
        .collect();
    let header = Header::new(&validators)
        .height(1)
        .chain_id("bench-chain")
        .next_validators(&validators)
        .time(Time::from_unix_timestamp(1_780_000_000, 0).expect("time"));
    let first = LightBlock::new_default_with_header(header);
    let second = first.next();
    let third = second.next();
    [first, second, third]
        .iter()
        .map(|b| {
            let tm = b.generate().expect("light block");
            tendermint_light_client_verifier::types::LightBlock::new(
                tm.signed_header,
                tm.validators,
                tm.next_validators,
                tm.provider,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let opts = options(Duration::from_secs(14 * 24 * 3600), Duration::from_secs(10));
    for n in [4usize, 21, 100] {
        let blocks = chain(n);
        let now = (blocks[2].signed_header.header.time + Duration::from_secs(1)).expect("time");
        let mut g = c.benchmark_group(format!("verify header, {n} validators"));
        g.sample_size(30);
        for (label, to) in [("adjacent", 1usize), ("skipping", 2)] {
            for (engine, name) in [
                (Engine::Reference, "ProdVerifier"),
                (Engine::Batch, "batch"),
            ] {
                assert_eq!(
                    verify_update(&blocks[0], &blocks[to], &opts, now, engine),
                    Verdict::Verified
                );
                g.bench_function(format!("{label}: {name}"), |b| {
                    b.iter(|| verify_update(&blocks[0], &blocks[to], &opts, now, engine))
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
