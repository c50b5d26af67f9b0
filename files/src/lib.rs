//! Private files, written the one way CityWallet writes them. Every crate that writes a key
//! file, an export, a bundle or a keystore sidecar uses these, so there is one writer with
//! one set of guarantees:
//!
//! * created with mode 0600 (owner only) on Unix, before any byte is written;
//! * durable: the file is fsynced, then its directory, so a crash after return loses nothing;
//! * [`write_new`] never overwrites; [`replace`] swaps the content atomically (a crash leaves
//!   the old or the new content, never a mix).
//!
//! No dependencies, so the phone platform layer can use it without C code.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Create `path` (it must not exist) with `bytes`, mode 0600, durably.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = private(OpenOptions::new().write(true).create_new(true)).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    sync_parent(path)
}

/// Replace `path` with `bytes` (mode 0600) so that a crash leaves either the old or the new
/// content: a temporary sibling is written and fsynced, then renamed over `path`.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = sibling(path, ".tmp");
    {
        let mut f =
            private(OpenOptions::new().write(true).create(true).truncate(true)).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    rename_durably(&tmp, path)
}

/// `rename(2)` followed by an fsync of the target's directory.
pub fn rename_durably(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    sync_parent(to)
}

/// Fsync the directory holding `path`, so that a new or renamed entry survives a crash.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    File::open(parent)?.sync_all()
}

/// Create `dir` and any missing parents, each new one with mode 0700 (owner only) on Unix.
/// A directory that already exists is left as it is: it may be one the user chose.
pub fn create_private_dirs(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// [`create_private_dirs`], then `dir` itself set to 0700 even if it existed: for a folder
/// CityWallet owns (its data folder), which an older version may have left open (0755).
pub fn own_private_dir(dir: &Path) -> io::Result<()> {
    create_private_dirs(dir)?;
    restrict(dir, 0o700)
}

/// Take away group and other permissions from `path` if it exists (a file an older version
/// wrote with the umask's 0644). A missing file is not an error.
pub fn make_private(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => restrict(path, 0o600),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = fs::metadata(path)?.permissions().mode() & 0o777;
    if current & 0o077 != 0 {
        fs::set_permissions(
            path,
            fs::Permissions::from_mode(current & 0o700 | mode & 0o700),
        )?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Open (creating it, mode 0600) a file that exists only to be locked with
/// [`File::lock`] and its kind; its content is never read.
pub fn lock_file(path: &Path) -> io::Result<File> {
    private(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(path)
}

/// `path` with `suffix` appended to its file name.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Why [`read_limited`] gave nothing.
#[derive(Debug)]
pub enum ReadError {
    /// The file is larger than the limit (nothing past the limit was read).
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file could not be read.
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "the file is larger than {limit} bytes"),
            Self::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {}

/// Read `path` whole, refusing a file larger than `limit` bytes without reading past it.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let f = File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_refuses_an_existing_file_and_keeps_it() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("key.json");
        write_new(&p, b"first").expect("write");
        let e = write_new(&p, b"second").expect_err("exists");
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).expect("read"), b"first");
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        for (name, f) in [
            ("a", write_new as fn(&Path, &[u8]) -> io::Result<()>),
            ("b", replace),
        ] {
            let p = dir.path().join(name);
            f(&p, b"secret").expect("write");
            let mode = fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn folders_are_private_and_old_files_are_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        let dir = tempfile::tempdir().expect("dir");
        let nested = dir.path().join("a/b");
        create_private_dirs(&nested).expect("dirs");
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        let open = dir.path().join("open");
        fs::create_dir(&open).expect("dir");
        fs::set_permissions(&open, fs::Permissions::from_mode(0o755)).expect("chmod");
        create_private_dirs(&open).expect("exists");
        assert_eq!(mode(&open), 0o755, "a folder the user chose is left alone");
        own_private_dir(&open).expect("own");
        assert_eq!(mode(&open), 0o700);
        let file = open.join("vault.db");
        fs::write(&file, b"x").expect("write");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
        make_private(&file).expect("tighten");
        assert_eq!(mode(&file), 0o600);
        make_private(&open.join("absent")).expect("absent is fine");
    }

    #[test]
    fn replace_swaps_the_content_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("sidecar");
        replace(&p, b"old").expect("first");
        replace(&p, b"new").expect("second");
        assert_eq!(fs::read(&p).expect("read"), b"new");
        assert!(!sibling(&p, ".tmp").exists());
    }

    #[test]
    fn read_limited_refuses_a_larger_file() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("input");
        fs::write(&p, [7u8; 11]).expect("write");
        assert_eq!(read_limited(&p, 11).expect("fits").len(), 11);
        assert!(matches!(
            read_limited(&p, 10),
            Err(ReadError::TooLarge { limit: 10 })
        ));
        assert!(matches!(
            read_limited(&dir.path().join("missing"), 10),
            Err(ReadError::Io(_))
        ));
    }
}
