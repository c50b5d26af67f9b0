//! A vault export file as import reads it, before anything is written or derived.
#![no_main]

use citywallet_core::vault::{Export, KdfParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Export::parse(data) {
        assert!(!e.database.is_empty() && e.database.len() % 512 == 0);
        let params: KdfParams = serde_json::from_slice(&e.kdf).expect("a checked key file");
        assert!(params.check_bounds().is_ok());
    }
});
