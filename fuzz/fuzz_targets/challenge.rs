//! A verifier's challenge, as the citizen's wallet reads it before presenting.
#![no_main]

use citywallet_core::credentials::Challenge;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Challenge::from_json(data) {
        assert_eq!(Challenge::from_json(&c.to_bytes()).expect("re-parses"), c);
    }
});
