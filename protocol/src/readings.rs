//! Device readings: the batch file a device writes and anchors, and the digest the anchor
//! carries. A batch file is JSON Lines: a header line
//! `{"format":"citywallet-readings/1","device":…,"seq":…,"takenAt":…,"count":…}`, then
//! `count` lines of one reading each, as the device emitted them. The digest covers the
//! device, the sequence number and every reading line's exact bytes, so anyone holding the
//! file can check it against the device's anchor on the chain, and a changed, added,
//! dropped or reordered reading (or one moved to another batch) no longer matches.

use sha2::{Digest, Sha256};

/// The header's `format`.
pub const READINGS_FORMAT: &str = "citywallet-readings/1";
/// Longest reading line, bytes.
pub const MAX_READING_BYTES: usize = 4096;
/// Largest batch file read, bytes.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// The digest of batch `seq` of `device` holding `readings` (each line's bytes, without
/// its newline): SHA-256 over a domain tag, the device id and each reading, each with its
/// length (u32 big-endian), and the sequence number (u64 big-endian).
pub fn batch_digest<'a>(
    device: &str,
    seq: u64,
    readings: impl IntoIterator<Item = &'a [u8]>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"citywallet readings v1\0");
    h.update((device.len() as u32).to_be_bytes());
    h.update(device.as_bytes());
    h.update(seq.to_be_bytes());
    for r in readings {
        h.update((r.len() as u32).to_be_bytes());
        h.update(r);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_of_a_batch_changes_its_digest() {
        let d = |dev: &str, seq, rs: &[&[u8]]| batch_digest(dev, seq, rs.iter().copied());
        let base = d("aq-1", 3, &[b"{\"v\":1}", b"{\"v\":2}"]);
        assert_ne!(base, d("aq-2", 3, &[b"{\"v\":1}", b"{\"v\":2}"]));
        assert_ne!(base, d("aq-1", 4, &[b"{\"v\":1}", b"{\"v\":2}"]));
        assert_ne!(base, d("aq-1", 3, &[b"{\"v\":2}", b"{\"v\":1}"]));
        assert_ne!(base, d("aq-1", 3, &[b"{\"v\":1}"]));
        // Lengths are framed: moving bytes between readings changes the digest.
        assert_ne!(base, d("aq-1", 3, &[b"{\"v\":1}{", b"\"v\":2}"]));
        assert_eq!(base, d("aq-1", 3, &[b"{\"v\":1}", b"{\"v\":2}"]));
    }
}
