//! A node's answer to `broadcast_tx_sync`: its claim about CheckTx and the hash it gives.
#![no_main]

use citywallet_light_client::rpc::answer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = answer::result(data).and_then(answer::broadcast_tx_sync) {
        assert!(s.log.chars().count() <= 200, "the log is shortened");
    }
});
