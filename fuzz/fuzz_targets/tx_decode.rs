//! A transaction as the node decodes it: only the canonical encoding is accepted, so a
//! decoded transaction encodes back to exactly the input.
#![no_main]

use citywallet_protocol::SignedTx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = SignedTx::decode(data) {
        assert_eq!(tx.encode(), data);
        let _ = tx.signature_valid();
    }
});
