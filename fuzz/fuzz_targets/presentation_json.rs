//! A presentation's JSON form, as an officer receives it: parsed, printed back and parsed
//! again to the same value, then verified.
#![no_main]

use citywallet_core::credentials::Presentation;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Presentation::from_json(data) {
        let again = Presentation::from_json(&p.to_json()).expect("a parsed presentation re-parses");
        assert_eq!(again, p);
        assert_eq!(
            Presentation::from_compact(&p.to_compact()).expect("compact"),
            p
        );
        citywallet_fuzz::verify_presentation(&p);
    }
});
