//! A verifier's trusted-issuer file and an issuer key file, as the CLI reads them.
#![no_main]

use citywallet_core::credentials::{IssuerKey, trusted_issuers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = trusted_issuers(data) {
        assert!(!list.is_empty() || data.trim_ascii().starts_with(b"["));
    }
    if let Ok(key) = IssuerKey::from_file(data) {
        let again = serde_json::to_vec(&key.to_file()).expect("json");
        let back = IssuerKey::from_file(&again).expect("a key file re-reads");
        assert_eq!(back.id, key.id);
    }
});
