//! Devnet blocks are CometBFT blocks: `tendermint-light-client-verifier`'s `ProdVerifier`
//! accepts them, adjacent and skipping, across validator-set changes, and refuses tampering.

mod common;

use std::time::Duration;

use citywallet_node::app::{App, ValidatorUpdate};
use citywallet_node::chain::{ChainBlock, Producer};
use citywallet_node::store::Store;
use citywallet_protocol::Action;
use common::*;
use ed25519_dalek::SigningKey;
use tendermint::Time;
use tendermint::block::signed_header::SignedHeader;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::{
    TrustThreshold, TrustedBlockState, UntrustedBlockState,
};
use tendermint_light_client_verifier::{ProdVerifier, Verdict, Verifier};

fn validator_key(i: u32) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&i.to_be_bytes());
    seed[31] = 0xee;
    SigningKey::from_bytes(&seed)
}

/// A chain with `n` validators of which the devnet holds the keys `held`.
fn producer(dir: &std::path::Path, n: u32, held: impl Fn(u32) -> bool) -> Producer {
    let k = keys_();
    let mut g = genesis(&k);
    g.validators = (0..n)
        .map(|i| ValidatorUpdate {
            public_key: hex::encode(validator_key(i).verifying_key().as_bytes()),
            power: 10,
        })
        .collect();
    let mut app = App::new(Store::open(&dir.join("state.redb")).expect("store"), CHAIN);
    app.init_chain(&g).expect("genesis");
    // The devnet also holds keys for two validators that may join later.
    let keys = (0..n + 2).filter(|i| held(*i)).map(validator_key).collect();
    Producer::new(app, keys, &g.validators, time(0)).expect("producer")
}

fn time(secs: i64) -> Time {
    Time::from_unix_timestamp(T0 as i64 + secs, 0).expect("time")
}

fn options() -> Options {
    Options {
        trust_threshold: TrustThreshold::ONE_THIRD,
        trusting_period: Duration::from_secs(14 * 24 * 3600),
        clock_drift: Duration::from_secs(5),
    }
}

fn verify(trusted: &ChainBlock, untrusted: &ChainBlock) -> Verdict {
    let signed = SignedHeader::new(untrusted.block.header.clone(), untrusted.commit.clone())
        .expect("signed header");
    let untrusted_state = UntrustedBlockState {
        signed_header: &signed,
        validators: &untrusted.validators,
        next_validators: Some(&untrusted.next_validators),
    };
    let trusted_state = TrustedBlockState {
        chain_id: &trusted.block.header.chain_id,
        header_time: trusted.block.header.time,
        height: trusted.block.header.height,
        next_validators: &trusted.next_validators,
        next_validators_hash: trusted.block.header.next_validators_hash,
    };
    ProdVerifier::default().verify_update_header(
        untrusted_state,
        trusted_state,
        &options(),
        (untrusted.block.header.time + Duration::from_secs(1)).expect("time"),
    )
}

/// Every block so far, the newest from memory and the others from the store's records.
fn blocks(p: &citywallet_node::chain::Producer) -> Vec<citywallet_node::chain::ChainBlock> {
    (1..=p.height())
        .map(|h| p.block(h).expect("read").expect("block"))
        .collect()
}

#[test]
fn prod_verifier_accepts_adjacent_and_skipping_headers() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut p = producer(dir.path(), 4, |_| true);
    for h in 1..=6u64 {
        let txs = vec![tx(&k.citizen, h - 1, report(&format!("r-{h}")))];
        let b = p.produce(txs, time(h as i64 * 2)).expect("block");
        assert_eq!(b.results[0].code, citywallet_protocol::Code::Ok);
    }
    let blocks = blocks(&p);
    for pair in blocks.windows(2) {
        assert_eq!(
            verify(&pair[0], &pair[1]),
            Verdict::Success,
            "adjacent {}",
            pair[1].block.header.height
        );
        assert_eq!(pair[1].block.header.last_block_id, Some(pair[0].block_id));
    }
    assert_eq!(
        verify(&blocks[0], &blocks[5]),
        Verdict::Success,
        "skipping 1 → 6"
    );
    // Header h carries the app hash after block h − 1.
    for b in &blocks[1..] {
        let h = b.block.header.height.value();
        assert_eq!(
            b.block.header.app_hash.as_bytes(),
            p.app().store().root(h - 1).expect("root")
        );
    }
}

#[test]
fn validator_set_changes_take_effect_two_blocks_later_and_stay_verifiable() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut p = producer(dir.path(), 4, |_| true);
    p.produce(vec![], time(1)).expect("1");
    // Admin adds validator 4 (held) with high power and removes validator 0, in block 2.
    let add = tx(
        &k.admin,
        0,
        Action::SetValidator {
            public_key: validator_key(4).verifying_key().to_bytes(),
            power: 30,
        },
    );
    let remove = tx(
        &k.admin,
        1,
        Action::SetValidator {
            public_key: validator_key(0).verifying_key().to_bytes(),
            power: 0,
        },
    );
    p.produce(vec![add, remove], time(2)).expect("2");
    for h in 3..=6 {
        p.produce(vec![], time(h)).expect("block");
    }
    let b = blocks(&p);
    assert_eq!(
        b[2].validators.validators().len(),
        4,
        "height 3 still has the old set"
    );
    assert_eq!(
        b[2].next_validators.validators().len(),
        4,
        "height 3's next set is the new one (4 members)"
    );
    assert_ne!(
        b[2].block.header.next_validators_hash,
        b[2].block.header.validators_hash
    );
    assert_eq!(
        b[3].validators.total_voting_power().value(),
        60,
        "height 4: validators 1-3 and 4"
    );
    for pair in b.windows(2) {
        assert_eq!(
            verify(&pair[0], &pair[1]),
            Verdict::Success,
            "adjacent {}",
            pair[1].block.header.height
        );
    }
    // Skipping across the change: the old set (30 of 40 power still there) gives enough trust.
    assert_eq!(verify(&b[0], &b[5]), Verdict::Success);
    // Validator updates change the app state too: the devnet keeps the set in proven state.
    let q = p
        .app()
        .query(
            &citywallet_protocol::keys::validator(&validator_key(4).verifying_key().to_bytes()),
            None,
        )
        .expect("q");
    assert!(q.value.is_some());
}

#[test]
fn tampered_or_underpowered_commits_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut p = producer(dir.path(), 4, |_| true);
    p.produce(vec![], time(1)).expect("1");
    p.produce(vec![], time(2)).expect("2");
    let b = blocks(&p);

    let mut forged = b[1].clone();
    if let tendermint::block::CommitSig::BlockIdFlagCommit {
        signature: Some(sig),
        ..
    } = &mut forged.commit.signatures[0]
    {
        let mut bytes = sig.as_bytes().to_vec();
        bytes[0] ^= 1;
        *sig = tendermint::Signature::try_from(bytes.as_slice()).expect("sig");
    }
    assert!(matches!(verify(&b[0], &forged), Verdict::Invalid(_)));

    let mut other_app_hash = b[1].clone();
    other_app_hash.block.header.app_hash =
        tendermint::AppHash::try_from(vec![7u8; 32]).expect("hash");
    assert!(
        matches!(verify(&b[0], &other_app_hash), Verdict::Invalid(_)),
        "header no longer matches its commit"
    );

    // Only 2 of 4 equal validators sign: less than 2/3 of the power.
    let dir2 = tempfile::tempdir().expect("tmp");
    let mut weak = producer(dir2.path(), 4, |i| i < 2);
    weak.produce(vec![], time(1)).expect("1");
    weak.produce(vec![], time(2)).expect("2");
    let w = blocks(&weak);
    assert!(matches!(verify(&w[0], &w[1]), Verdict::Invalid(_)));
    // 3 of 4 sign: more than 2/3.
    let dir3 = tempfile::tempdir().expect("tmp");
    let mut enough = producer(dir3.path(), 4, |i| i < 3);
    enough.produce(vec![], time(1)).expect("1");
    enough.produce(vec![], time(2)).expect("2");
    let e = blocks(&enough);
    assert_eq!(verify(&e[0], &e[1]), Verdict::Success);
}

#[test]
fn a_hundred_validators() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut p = producer(dir.path(), 100, |_| true);
    p.produce(vec![], time(1)).expect("1");
    p.produce(vec![], time(2)).expect("2");
    let b = blocks(&p);
    assert_eq!(b[1].commit.signatures.len(), 100);
    assert_eq!(verify(&b[0], &b[1]), Verdict::Success);
}
