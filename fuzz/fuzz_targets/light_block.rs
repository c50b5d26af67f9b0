//! A light block as a node serves it, three answers in a JSON array (`commit`, `validators`
//! at its height, `validators` at the next), verified on its own by the batch engine and by
//! the reference verifier: the two must agree on whether it is valid.
#![no_main]

use std::time::Duration;

use citywallet_light_client::Verdict;
use citywallet_light_client::rpc::answer;
use citywallet_light_client::verify::{self, Engine, verify_alone};
use libfuzzer_sys::fuzz_target;
use tendermint_light_client_verifier::types::{LightBlock, PeerId};

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Array(mut parts)) = serde_json::from_slice(data) else {
        return;
    };
    if parts.len() != 3 {
        return;
    }
    let (next, this, commit) = (parts.pop(), parts.pop(), parts.pop());
    let (Some(commit), Some(this), Some(next)) = (commit, this, next) else {
        return;
    };
    let Ok(signed) = answer::commit(commit, None) else {
        return;
    };
    let h = signed.header.height.value();
    let set = |result, height| {
        answer::validators(result, height)
            .ok()
            .and_then(|(_, v)| verify::validator_set(v).ok())
    };
    let (Some(validators), Some(next)) = (set(this, h), set(next, h.saturating_add(1))) else {
        return;
    };
    let block = LightBlock::new(signed, validators, next, PeerId::new([0; 20]));
    let options = verify::options(Duration::from_secs(14 * 86_400), Duration::from_secs(10));
    let batch = verify_alone(&block, &options, None, Engine::Batch);
    let reference = verify_alone(&block, &options, None, Engine::Reference);
    assert_eq!(
        batch == Verdict::Verified,
        reference == Verdict::Verified,
        "batch {batch:?}, reference {reference:?}"
    );
});
