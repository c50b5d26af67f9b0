//! A device provisioning bundle as a device reads it, before its passphrase is asked for.
#![no_main]

use citywallet_core::vault::DeviceBundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = DeviceBundle::from_json(data) {
        let again = serde_json::to_vec(&b).expect("json");
        assert_eq!(DeviceBundle::from_json(&again).expect("re-parses"), b);
    }
});
