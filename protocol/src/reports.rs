//! Private reports: a report that carries a private presentation of a residency credential
//! ([`crate::Action::SubmitPrivateReport`]), so the chain knows one resident filed it, and
//! which reports are one resident's within a window (by a pseudonym for the window's
//! context), without knowing who. The wallet and the node compute the binding the same way
//! from here.

use sha2::{Digest, Sha256};

/// The verifier client id a private report's presentation answers.
pub const CLIENT_ID: &str = "urn:citywallet:reports";
/// The length of a report window, seconds: a week, the demo issuers' window for private
/// credentials, so a citizen holds one residency credential (one prover nym) per window.
pub const WINDOW_SECS: u64 = 7 * 24 * 3600;
/// Most private reports one resident may file in a window.
pub const MAX_PER_WINDOW: u64 = 3;
/// Largest presentation a private report carries.
pub const MAX_PRESENTATION_BYTES: usize = 4 * 1024;
/// The credential type a private report is vouched for with.
pub const CREDENTIAL_TYPE: &str = "residency";

/// The start of the window `time` (Unix seconds) falls in.
pub fn window_start(time: u64) -> u64 {
    time - time % WINDOW_SECS
}

/// The pseudonym context of the window starting at `start`.
pub fn context(start: u64) -> String {
    format!("urn:citywallet:nym:{CLIENT_ID}:{start}")
}

/// The nonce a private report's presentation answers: SHA-256 over a domain tag and the
/// report's signer and fields (each with its length), hex, so the proof vouches for this
/// report of this signer only.
pub fn nonce(
    signer: &[u8; 32],
    id: &str,
    category: &str,
    location_cell: &str,
    evidence_hash: &[u8; 32],
) -> String {
    let mut h = Sha256::new();
    h.update(b"CityWallet private report v1\0");
    for part in [
        &signer[..],
        id.as_bytes(),
        category.as_bytes(),
        location_cell.as_bytes(),
        &evidence_hash[..],
    ] {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_binds_every_field_and_the_window_is_aligned() {
        let base = nonce(&[1; 32], "r", "pothole", "cell-1", &[2; 32]);
        for other in [
            nonce(&[3; 32], "r", "pothole", "cell-1", &[2; 32]),
            nonce(&[1; 32], "r2", "pothole", "cell-1", &[2; 32]),
            nonce(&[1; 32], "r", "graffiti", "cell-1", &[2; 32]),
            nonce(&[1; 32], "r", "pothole", "cell-2", &[2; 32]),
            nonce(&[1; 32], "r", "pothole", "cell-1", &[4; 32]),
            nonce(&[1; 32], "rp", "othole", "cell-1", &[2; 32]),
        ] {
            assert_ne!(base, other);
        }
        assert_eq!(window_start(WINDOW_SECS * 5 + 17), WINDOW_SECS * 5);
        assert_ne!(context(0), context(WINDOW_SECS));
    }
}
