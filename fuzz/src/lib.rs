//! What the fuzz targets share: each parser's result is checked the way the wallet goes on
//! to use it, so a value that parses but breaks a later step is found too.

use citywallet_core::credentials::{Challenge, IssuerPublicKey, Presentation};

/// Verify a parsed presentation with everything it names taken as trusted (its issuer and
/// key, its own challenge, the challenge's time as now), so that every check, down to the
/// BBS proof and the holder binding, runs on the fuzzed bytes. Only the absence of a panic
/// is asserted: almost every input is rightly refused.
pub fn verify_presentation(p: &Presentation) {
    let Some(key) = IssuerPublicKey::from_bytes(&p.signer_public_key) else {
        return;
    };
    let Ok(challenge) = Challenge::from_json(&p.presentation_header) else {
        return;
    };
    let _ = p.verify(
        &challenge,
        &[(p.issuer.clone(), key)],
        challenge.issued_at,
        300,
    );
}
