//! A node's answer to `abci_query`, with the state root it must prove against: the input is
//! 32 bytes of app hash, then the answer. The read is checked for shape as the light client
//! does, then its ICS23 proof is verified against the root.
#![no_main]

use citywallet_light_client::client::ProvenRead;
use citywallet_light_client::proof::{city_spec, verify_read};
use citywallet_light_client::rpc::answer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((root, rest)) = data.split_at_checked(32) else {
        return;
    };
    let Ok(raw) = answer::result(rest).and_then(answer::abci_query) else {
        return;
    };
    let (key, height) = (raw.key.clone(), raw.height);
    let Ok(read) = ProvenRead::from_answer(raw, &key, height) else {
        return;
    };
    let proof = hex::decode(&read.proof).expect("the read's proof is hex it made");
    let _ = verify_read(
        &city_spec(),
        root,
        read.key.as_bytes(),
        read.value.as_deref().map(str::as_bytes),
        &proof,
    );
});
