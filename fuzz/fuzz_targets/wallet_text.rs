//! Text a user pastes or scans into the wallet: a published trust anchor, a technician's
//! device CSV, claims JSON, and a presentation as text (JSON, or the compact form in base64).
#![no_main]

use citywallet_core::credentials::Presentation;
use citywallet_wallet::input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = input::anchor(text) {
        assert!(a.height > 0 && a.hash.len() == 32);
    }
    if let Ok(rows) = input::devices_csv(text) {
        for (line, _) in &rows {
            let _ = input::csv_first_cell(text, *line);
        }
    }
    let _ = input::claims(text);
    if let Ok(Ok(p)) = input::presentation_bytes(text).map(|b| Presentation::parse(&b)) {
        citywallet_fuzz::verify_presentation(&p);
    }
});
