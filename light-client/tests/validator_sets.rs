//! Validator sets a node can bend without changing their hash: the set hash covers each
//! validator's key and power, not its address, and the next set is only hashed. Every such
//! set must be refused before a signature is counted, by both engines alike.

use citywallet_light_client::verify::{
    Engine, Rejection, Verdict, options, verify_alone, verify_update,
};
mod common;

use common::T0;
use tendermint::Time;
use tendermint::block::CommitSig;
use tendermint_light_client_verifier::types::LightBlock;
use tendermint_testgen::Validator;

fn validators() -> Vec<Validator> {
    (0..4)
        .map(|i| Validator::new(&format!("val-{i}")).voting_power(10))
        .collect()
}

fn block(h: u64) -> LightBlock {
    let vals = validators();
    common::block("city", h, &vals, &vals)
}

fn now() -> Time {
    Time::from_unix_timestamp(T0 + 100, 0).expect("time")
}

fn both(trusted: &LightBlock, untrusted: &LightBlock) -> (Verdict, Verdict) {
    let o = options(
        std::time::Duration::from_secs(3600),
        std::time::Duration::from_secs(10),
    );
    (
        verify_update(trusted, untrusted, &o, now(), Engine::Batch),
        verify_update(trusted, untrusted, &o, now(), Engine::Reference),
    )
}

/// Only the first validator signs; every validator entry carries its address.
fn one_key_on_every_address(b: &mut LightBlock) {
    let first = b.signed_header.commit.signatures[0].clone();
    let CommitSig::BlockIdFlagCommit {
        validator_address, ..
    } = first
    else {
        panic!("the first validator signed");
    };
    for sig in b.signed_header.commit.signatures.iter_mut().skip(1) {
        *sig = CommitSig::BlockIdFlagAbsent;
    }
    let mut set = b.validators.validators().clone();
    for v in &mut set {
        v.address = validator_address;
    }
    b.validators = tendermint::validator::Set::without_proposer(set);
}

#[test]
fn one_key_cannot_sign_for_every_address() {
    let trusted = block(1);
    let mut forged = block(2);
    assert_eq!(
        both(&trusted, &forged),
        (Verdict::Verified, Verdict::Verified)
    );
    one_key_on_every_address(&mut forged);
    let (batch, reference) = both(&trusted, &forged);
    assert!(matches!(batch, Verdict::Invalid(_)), "batch: {batch:?}");
    assert!(
        matches!(reference, Verdict::Invalid(_)),
        "reference: {reference:?}"
    );
    assert_eq!(batch, Verdict::Invalid(Rejection::ValidatorSetMalformed));
    assert_eq!(batch, reference, "both engines refuse it the same way");
    let o = options(
        std::time::Duration::from_secs(3600),
        std::time::Duration::from_secs(10),
    );
    assert_eq!(
        verify_alone(&forged, &o, Some(now()), Engine::Batch),
        Verdict::Invalid(Rejection::ValidatorSetMalformed)
    );
}

#[test]
fn a_next_set_validator_on_another_address_is_refused() {
    let trusted = block(1);
    let mut forged = block(2);
    let mut next = forged.next_validators.validators().clone();
    next[1].address = next[0].address;
    forged.next_validators = tendermint::validator::Set::without_proposer(next);
    let (batch, reference) = both(&trusted, &forged);
    assert_eq!(batch, Verdict::Invalid(Rejection::ValidatorSetMalformed));
    assert_eq!(reference, batch);
}

#[test]
fn a_duplicated_key_is_refused() {
    let trusted = block(1);
    let mut forged = block(2);
    let mut set = forged.validators.validators().clone();
    set[1] = set[0].clone();
    forged.validators = tendermint::validator::Set::without_proposer(set);
    let (batch, reference) = both(&trusted, &forged);
    assert_eq!(batch, Verdict::Invalid(Rejection::ValidatorSetMalformed));
    assert_eq!(reference, batch);
}

#[test]
fn a_total_power_past_the_limit_is_a_refusal_not_a_panic() {
    let key = |seed: u8| {
        let sk = ed25519_consensus::SigningKey::from([seed; 32]);
        tendermint::PublicKey::from_raw_ed25519(sk.verification_key().as_bytes()).expect("key")
    };
    let huge = tendermint::vote::Power::try_from(1u64 << 61).expect("power");
    let infos = vec![
        tendermint::validator::Info::new(key(1), huge),
        tendermint::validator::Info::new(key(2), huge),
    ];
    assert_eq!(
        citywallet_light_client::verify::validator_set(infos).map(|_| ()),
        Err(Rejection::ValidatorSetMalformed)
    );
}
