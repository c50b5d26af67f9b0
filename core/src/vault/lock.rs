//! Locks between processes that share a vault: advisory locks (`flock(2)` on Unix, through
//! [`std::fs::File::lock`]) on two empty sidecar files.
//!
//! * `PATH.lock` is held exclusively for one unlock attempt, so the wrong-passphrase count is
//!   read, checked and written back by one process at a time: parallel processes cannot each
//!   write back the count they read.
//! * `PATH.inuse` is held shared by every open vault for its whole life. A passphrase change
//!   needs it alone (exclusive): with the vault open elsewhere it is refused
//!   ([`Error::VaultInUse`]), since the other connection would keep the old key. An open
//!   waits while a change holds it, then reads the new key file.
//!
//! The locks are released when the file is closed, so a killed process leaves none behind.

use std::fs::{File, TryLockError};
use std::path::Path;

use crate::{Error, Result};

/// The exclusive lock on `PATH.lock` for one unlock attempt; released on drop.
pub(crate) struct AttemptLock(#[allow(dead_code)] File);

impl AttemptLock {
    /// Wait until no other process is making an attempt, then take the lock.
    pub(crate) fn take(path: &Path) -> Result<Self> {
        let f = citywallet_files::lock_file(path).map_err(Error::io(path))?;
        f.lock().map_err(Error::io(path))?;
        Ok(Self(f))
    }
}

/// The shared lock on `PATH.inuse` an open vault holds.
pub(crate) struct InUse {
    file: File,
    path: std::path::PathBuf,
}

impl InUse {
    /// Take the shared lock, waiting while a passphrase change holds it.
    pub(crate) fn take(path: &Path) -> Result<Self> {
        let file = citywallet_files::lock_file(path).map_err(Error::io(path))?;
        file.lock_shared().map_err(Error::io(path))?;
        Ok(Self {
            file,
            path: path.to_owned(),
        })
    }

    /// Hold the vault alone for `f` (a passphrase change), or refuse with
    /// [`Error::VaultInUse`] when another process (or another handle in this one) has it open.
    /// The shared lock is taken back afterwards, whatever `f` returned.
    pub(crate) fn alone<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        match self.file.try_lock() {
            Ok(()) => {}
            // A refused conversion may have dropped the shared lock (Linux removes it
            // first): take it back before saying no.
            Err(TryLockError::WouldBlock) => {
                self.file.lock_shared().map_err(Error::io(&self.path))?;
                return Err(Error::VaultInUse);
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&self.path)(e)),
        }
        let out = f();
        self.file.lock_shared().map_err(Error::io(&self.path))?;
        out
    }
}
