//! A node's answer to `commit`: the JSON-RPC envelope, then the signed header.
#![no_main]

use citywallet_light_client::rpc::answer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(result) = answer::result(data) {
        if let Ok(signed) = answer::commit(result.clone(), None) {
            let h = signed.header.height.value();
            assert!(answer::commit(result, Some(h)).is_ok());
        }
    }
});
