//! Credential JSON as the wallet imports it: shape, schema and the issuer's BBS signature.
#![no_main]

use citywallet_core::credentials::Credential;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Credential::from_json(data) {
        let again = Credential::from_json(&c.to_json()).expect("an imported credential re-imports");
        assert!(again == c, "the round trip changed the credential");
    }
});
