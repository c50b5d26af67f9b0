//! Back-off after wrong passphrases.
//!
//! Failures are counted in `<vault>.attempts` (not secret, not encrypted) so that the count
//! survives across processes: the CLI makes one attempt per run. The count is read, checked
//! and written under a lock (`<vault>.lock`), so parallel processes take turns. This slows
//! down guessing through the wallet itself; someone holding a copy of the files faces
//! Argon2id instead.

use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::kdf::write_atomic;
use crate::{Error, Result};

/// Wrong attempts allowed before any delay.
pub const FREE_ATTEMPTS: u32 = 3;
/// The longest delay, in seconds.
pub const MAX_DELAY_SECS: u64 = 300;

/// Seconds to wait after `failures` consecutive wrong passphrases: none for the first
/// [`FREE_ATTEMPTS`], then 2, 4, 8, … seconds, capped at [`MAX_DELAY_SECS`].
pub fn delay_after(failures: u32) -> u64 {
    if failures < FREE_ATTEMPTS {
        return 0;
    }
    let exp = failures - FREE_ATTEMPTS + 1;
    if exp >= 20 {
        MAX_DELAY_SECS
    } else {
        (1u64 << exp).min(MAX_DELAY_SECS)
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Attempts {
    failures: u32,
    last_failure_unix: u64,
}

impl Attempts {
    /// The count beside an existing vault, read under the [`AttemptLock`]. The file is
    /// always there (a success writes zero, it is never removed), so a missing or damaged
    /// one means it was deleted or edited: the count starts at the back-off
    /// ([`FREE_ATTEMPTS`] failures, the last one now), and that is written down at once so
    /// the delay runs from this moment rather than restarting at each attempt.
    ///
    /// [`AttemptLock`]: super::lock::AttemptLock
    pub(crate) fn read(path: &Path, now: u64) -> Result<Attempts> {
        let read = fs::read(path)
            .ok()
            .filter(|b| b.len() < 1024)
            .and_then(|b| serde_json::from_slice(&b).ok());
        match read {
            Some(a) => Ok(a),
            None => {
                let a = Attempts {
                    failures: FREE_ATTEMPTS,
                    last_failure_unix: now,
                };
                a.write(path)?;
                Ok(a)
            }
        }
    }

    /// `Err(Throttled)` when an attempt now is too early.
    pub(crate) fn check(&self, now: u64) -> Result<()> {
        let ready_at = self
            .last_failure_unix
            .saturating_add(delay_after(self.failures));
        if now < ready_at {
            return Err(Error::Throttled {
                retry_after_secs: ready_at - now,
            });
        }
        Ok(())
    }

    /// Count one more failure at `now` and write it down. An attempt is counted before its
    /// passphrase is tried, so a process killed while deriving has still used its try.
    pub(crate) fn counted(self, path: &Path, now: u64) -> Result<Attempts> {
        let next = Attempts {
            failures: self.failures.saturating_add(1),
            last_failure_unix: now,
        };
        next.write(path)?;
        Ok(next)
    }

    /// Write the count (mode 0600, atomically).
    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec(self).map_err(|_| Error::Derivation)?;
        write_atomic(path, &bytes)
    }

    /// No failures: after a success, and for a new vault.
    pub(crate) fn reset(path: &Path) -> Result<()> {
        Attempts::default().write(path)
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_cap() {
        let delays: Vec<u64> = (0..12).map(delay_after).collect();
        assert_eq!(delays, [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY_SECS);
    }

    #[test]
    fn check_refuses_until_the_delay_has_passed() {
        let a = Attempts {
            failures: 5,
            last_failure_unix: 1_000,
        };
        assert!(matches!(
            a.check(1_003),
            Err(Error::Throttled {
                retry_after_secs: 5
            })
        ));
        assert!(a.check(1_008).is_ok());
        assert!(Attempts::default().check(0).is_ok());
    }
}
