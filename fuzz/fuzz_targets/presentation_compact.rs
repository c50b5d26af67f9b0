//! A presentation's compact form, as an officer scans it from a QR code: parsed (by the
//! same entry point the scanner uses), round-tripped through both forms, then verified.
#![no_main]

use citywallet_core::credentials::Presentation;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Presentation::parse(data) {
        assert_eq!(
            Presentation::from_compact(&p.to_compact()).expect("compact"),
            p
        );
        assert_eq!(Presentation::from_json(&p.to_json()).expect("json"), p);
        citywallet_fuzz::verify_presentation(&p);
    }
});
