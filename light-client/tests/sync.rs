//! Bisection over an in-memory provider: a chain whose validator set slides one validator per
//! height, so distant headers share no signers and only bisection reaches them.

use std::time::Duration;

use citywallet_light_client::sync::{InMemoryProvider, sync as sync_with};
use citywallet_light_client::verify::{Engine, options};
use citywallet_light_client::{Error, FetchError};
mod common;

use common::T0;
use tendermint::Time;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::LightBlock;
use tendermint_testgen::Validator;

fn sync(
    provider: &InMemoryProvider,
    trusted: &LightBlock,
    target: u64,
    options: &Options,
    now: Time,
    engine: Engine,
) -> Result<Vec<LightBlock>, Error> {
    sync_with(provider, trusted, target, options, now, engine, &mut |_| {})
}

fn window(h: u64) -> Vec<Validator> {
    (h..h + 4)
        .map(|i| Validator::new(&format!("val-{i:03}")).voting_power(10))
        .collect()
}

fn block(h: u64) -> LightBlock {
    common::block("sliding-chain", h, &window(h), &window(h + 1))
}

fn now() -> Time {
    Time::from_unix_timestamp(T0 + 1_000, 0).expect("time")
}

#[test]
fn bisection_reaches_a_header_that_shares_no_signers_with_the_trusted_one() {
    let chain: Vec<LightBlock> = (1..=32).map(block).collect();
    let provider = InMemoryProvider::new(chain.clone());
    let opts = options(Duration::from_secs(86_400), Duration::from_secs(5));
    for engine in [Engine::Batch, Engine::Reference] {
        let trace = sync(&provider, &chain[0], 32, &opts, now(), engine).expect("sync");
        let heights: Vec<u64> = trace.iter().map(|b| b.height().value()).collect();
        assert_eq!(heights.last(), Some(&32));
        assert!(heights.len() > 1, "a direct skip lacks trust: {heights:?}");
        assert!(heights.windows(2).all(|w| w[0] < w[1]), "{heights:?}");
    }
    // Close enough, no bisection: 3 of 4 trusted signers remain.
    let trace = sync(&provider, &chain[0], 2, &opts, now(), Engine::Batch).expect("sync");
    assert_eq!(trace.len(), 1);
}

#[test]
fn a_bad_block_on_the_way_or_a_missing_one_stops_the_sync_with_its_reason() {
    let mut chain: Vec<LightBlock> = (1..=16).map(block).collect();
    let opts = options(Duration::from_secs(86_400), Duration::from_secs(5));
    // Tamper with a block bisection must pass through: its commit no longer matches it.
    let trusted = chain[0].clone();
    let direct = sync(
        &InMemoryProvider::new(chain.clone()),
        &trusted,
        16,
        &opts,
        now(),
        Engine::Batch,
    )
    .expect("sync");
    let pivot = direct[0].height().value();
    let victim = &mut chain[(pivot - 1) as usize];
    victim.signed_header.header.app_hash =
        tendermint::AppHash::try_from(vec![9u8; 32]).expect("hash");
    let err = sync(
        &InMemoryProvider::new(chain.clone()),
        &trusted,
        16,
        &opts,
        now(),
        Engine::Batch,
    )
    .expect_err("tampered");
    assert!(
        matches!(err, Error::HeaderInvalid { height, .. } if height == pivot),
        "{err:?}"
    );

    let sparse = InMemoryProvider::new(vec![chain[0].clone(), chain[15].clone()]);
    let err = sync(&sparse, &trusted, 16, &opts, now(), Engine::Batch).expect_err("missing");
    assert!(
        matches!(
            err,
            Error::Fetch {
                reason: FetchError::Missing(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        sync(&sparse, &trusted, 1, &opts, now(), Engine::Batch),
        Err(Error::InvalidInput(_))
    ));

    // Trust that has expired is refused with that reason, not bisected around.
    let late = Time::from_unix_timestamp(T0 + 200_000, 0).expect("time");
    let err = sync(
        &InMemoryProvider::new(chain),
        &trusted,
        2,
        &opts,
        late,
        Engine::Batch,
    )
    .expect_err("expired");
    assert!(matches!(err, Error::TrustExpired { height: 1 }), "{err:?}");
}
