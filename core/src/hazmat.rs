//! Low-level access that is easy to misuse, for checking published test vectors.
//! Behind the `hazmat` feature; the app and CLI never enable it.

use crate::Result;
use crate::keys::Seed;

/// The raw 64 seed bytes.
pub fn seed_bytes(seed: &Seed) -> &[u8; 64] {
    seed.as_bytes()
}

/// SLIP-0010 Ed25519 derivation from any master `seed` along hardened `indices`
/// (each with the 2^31 bit set), returning the 32-byte private key.
pub fn slip10_ed25519_secret(seed: &[u8], indices: &[u32]) -> Result<[u8; 32]> {
    Ok(crate::keys::derive_at(seed, indices)?.to_bytes())
}
