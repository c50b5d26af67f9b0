//! A node's answer to `validators`: the page, then the set the light client builds from it
//! and the checks it makes on that set.
#![no_main]

use citywallet_light_client::rpc::answer;
use citywallet_light_client::verify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(result) = answer::result(data) else {
        return;
    };
    let height = result["block_height"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .unwrap_or(0);
    if let Ok((total, validators)) = answer::validators(result, height) {
        assert!(total <= citywallet_light_client::rpc::MAX_VALIDATORS);
        if let Ok(set) = verify::validator_set(validators) {
            let _ = verify::check_set(&set);
            let _ = set.hash();
        }
    }
});
