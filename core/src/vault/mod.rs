//! The vault: one SQLCipher database holding the seed, key metadata, credentials, device,
//! report and grant records, trusted headers and an activity log.
//!
//! Files for a vault at `PATH`:
//! * `PATH`: the SQLCipher 4 database, keyed with a raw 256-bit key (no plaintext header).
//! * `PATH.kdf`: Argon2id salt and parameters and a key-check value (not secret).
//! * `PATH.kdf.next`: present only while a passphrase change is in flight.
//! * `PATH.attempts`: the count of recent wrong passphrases, for back-off.
//! * `PATH.lock`, `PATH.inuse`: empty files for the locks between processes ([`lock`]).
//! * `PATH-wal`, `PATH-shm`: SQLite's write-ahead log (encrypted like the database).
//!
//! Every file is mode 0600 and a folder the vault creates is 0700 (files an older version
//! left open are tightened on the next unlock).

mod chain;
mod documents;
mod held;
mod kdf;
mod lock;
mod own;
mod portable;
mod records;
mod schema;
pub mod throttle;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use zeroize::Zeroizing;

pub use chain::{Divergence, NodeEntry, NodeRole, Snapshot, TrustedHeader};
pub use documents::{Document, MAX_DOCUMENT_BYTES};
pub use held::CredentialSummary;
pub use kdf::KdfParams;
pub use own::{
    DeviceKeyState, GrantEntry, GrantState, OwnChange, ReportEntry, ReportState, StoredReceipt,
};
pub use portable::{BundleKdf, DeviceBundle, Export, MAX_BUNDLE_BYTES};
pub use records::{
    ActivityEntry, ActivityKind, DeviceRecord, IdentityInfo, StoredCredential, VaultEvent,
};
pub use schema::SCHEMA_VERSION;

use crate::keys::{KeyPath, RecoveryPhrase, Seed};
use crate::{Error, Result};
use kdf::{DbKey, KdfFile, rename_durably, sibling};
use lock::{AttemptLock, InUse};
use throttle::{Attempts, unix_now};

/// Shortest passphrase accepted for a new vault or a passphrase change.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
/// The lowest zxcvbn score (0-4) accepted: 3, "safely unguessable" against an offline
/// attack on a slow hash, which Argon2id is.
pub const MIN_PASSPHRASE_SCORE: u8 = 3;

/// How strong a passphrase is, by zxcvbn, and whether the vault accepts it. The app's meter
/// shows this; the vault applies the same rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassphraseStrength {
    /// 0 (weak) to 4 (strong).
    pub score: u8,
    /// At least [`MIN_PASSPHRASE_CHARS`] long and scoring [`MIN_PASSPHRASE_SCORE`].
    pub acceptable: bool,
    /// zxcvbn's warning, if any.
    pub warning: Option<String>,
    /// zxcvbn's suggestions.
    pub suggestions: Vec<String>,
}

/// Judge `passphrase` by the vault's rule.
pub fn passphrase_strength(passphrase: &str) -> PassphraseStrength {
    let e = zxcvbn::zxcvbn(passphrase, &[]);
    let score = e.score() as u8;
    let fb = e.feedback();
    PassphraseStrength {
        score,
        acceptable: passphrase.chars().count() >= MIN_PASSPHRASE_CHARS
            && score >= MIN_PASSPHRASE_SCORE,
        warning: fb.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: fb
            .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

/// The passphrase that unlocks a vault. Zeroized on drop; `Debug` is redacted.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wrap a passphrase; `s` is moved in and wiped with the wrapper.
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    fn check_policy(&self) -> Result<()> {
        if !passphrase_strength(&self.0).acceptable {
            return Err(Error::WeakPassphrase {
                min_chars: MIN_PASSPHRASE_CHARS,
            });
        }
        Ok(())
    }
}

impl From<&str> for Passphrase {
    fn from(s: &str) -> Self {
        Self::new(s.to_owned())
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([redacted])")
    }
}

/// An unlocked vault.
pub struct Vault {
    conn: Connection,
    path: PathBuf,
    kdf_params: KdfParams,
    /// The database key, kept so that [`Vault::unlock_key`] can hand it to a platform
    /// keystore (SQLCipher holds it in memory for the connection's life anyway).
    key: DbKey,
    /// The shared lock that says the vault is open (dropped after the connection).
    in_use: InUse,
}

/// The vault's database key, for a platform keystore that releases it after biometric
/// authentication ([`Vault::unlock_key`], [`Vault::open_with_key`]). Zeroized on drop;
/// `Debug` is redacted. It stops opening the vault when the passphrase changes.
pub struct UnlockKey(DbKey);

impl UnlockKey {
    /// The key as 64 hex digits, the form handed to the keystore.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.bytes()))
    }

    /// Parse a key handed back by the keystore; anything but 64 hex digits is
    /// [`Error::UnlockKeyMalformed`].
    pub fn from_hex(text: &str) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), bytes.as_mut()).map_err(|_| Error::UnlockKeyMalformed)?;
        Ok(Self(DbKey::from_bytes(*bytes)))
    }
}

impl fmt::Debug for UnlockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UnlockKey([redacted])")
    }
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("kdf_params", &self.kdf_params)
            .finish_non_exhaustive()
    }
}

/// The sidecar file paths of a vault.
struct Files {
    db: PathBuf,
    kdf: PathBuf,
    kdf_next: PathBuf,
    attempts: PathBuf,
    lock: PathBuf,
    in_use: PathBuf,
}

impl Files {
    fn of(path: &Path) -> Self {
        Self {
            db: path.to_owned(),
            kdf: sibling(path, ".kdf"),
            kdf_next: sibling(path, ".kdf.next"),
            attempts: sibling(path, ".attempts"),
            lock: sibling(path, ".lock"),
            in_use: sibling(path, ".inuse"),
        }
    }

    /// The database file exists and could be a database: SQLite writes whole pages (512
    /// bytes at the least), so an empty file or a partial page means it was truncated. An
    /// empty file is never opened: SQLite would take it for a new, empty database.
    fn check_db(&self) -> Result<()> {
        let not_found = || Error::VaultNotFound {
            path: self.db.clone(),
        };
        let meta = match fs::metadata(&self.db) {
            Ok(m) if m.is_file() => m,
            Ok(_) => return Err(not_found()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
            Err(e) => return Err(Error::io(&self.db)(e)),
        };
        if meta.len() == 0 || meta.len() % 512 != 0 {
            return Err(Error::VaultCorrupt);
        }
        Ok(())
    }

    /// Mode 0600 for every file of the vault (one an older version wrote with the umask).
    fn make_private(&self) -> Result<()> {
        let wal = sibling(&self.db, "-wal");
        let shm = sibling(&self.db, "-shm");
        for p in [
            &self.db,
            &self.kdf,
            &self.attempts,
            &self.lock,
            &self.in_use,
            &wal,
            &shm,
        ] {
            citywallet_files::make_private(p).map_err(Error::io(p))?;
        }
        Ok(())
    }
}

impl Vault {
    /// Create a new vault at `path` holding `phrase` (with an optional BIP39 passphrase, ""
    /// for none), locked with `passphrase`. Refuses to overwrite anything.
    ///
    /// The database is built under a temporary name and renamed into place once committed,
    /// so a crash leaves either no vault or a complete one.
    pub fn create(
        path: &Path,
        passphrase: &Passphrase,
        params: KdfParams,
        phrase: &RecoveryPhrase,
        bip39_passphrase: &str,
    ) -> Result<Self> {
        let files = Files::of(path);
        if files.db.exists() {
            return Err(Error::VaultExists {
                path: files.db.clone(),
            });
        }
        passphrase.check_policy()?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            citywallet_files::create_private_dirs(parent).map_err(Error::io(parent))?;
        }
        let (kdf_file, key) = KdfFile::new(passphrase, params)?;

        let building = sibling(path, ".creating");
        remove_if_exists(&building)?;
        // Made empty with mode 0600 first: SQLite would create it with 0644, and gives its
        // journal files the database's mode.
        citywallet_files::write_new(&building, b"").map_err(Error::io(&building))?;
        {
            let mut conn = open_connection(
                &building,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.execute_batch(&key_statement("key", &key))?;
            conn.pragma_update(None, "temp_store", "MEMORY")?;
            schema::migrate(&mut conn)?;
            let seed = phrase.to_seed(bip39_passphrase);
            let identity = seed.derive(KeyPath::IDENTITY)?;
            let now = unix_now() as i64;
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO wallet (id, entropy, seed, bip39_passphrase_used, created_at)
                 VALUES (1, ?1, ?2, ?3, ?4)",
                rusqlite::params![
                    phrase.entropy().as_slice(),
                    seed.as_bytes().as_slice(),
                    !bip39_passphrase.is_empty(),
                    now
                ],
            )?;
            records::insert_key(&tx, &identity, None, now)?;
            records::log(&tx, now, VaultEvent::VaultCreated, &serde_json::json!({}))?;
            tx.commit()?;
            conn.close().map_err(|(_, e)| e)?;
        }
        kdf_file.write(&files.kdf)?;
        remove_if_exists(&files.kdf_next)?;
        let _attempt = AttemptLock::take(&files.lock)?;
        Attempts::reset(&files.attempts)?;
        let in_use = InUse::take(&files.in_use)?;
        rename_durably(&building, &files.db)?;
        Self::connect(&files.db, key, params, in_use)
    }

    /// Unlock the vault at `path`. A wrong passphrase is [`Error::WrongPassphrase`] and
    /// leaves the database untouched; after several in a row, attempts are refused with
    /// [`Error::Throttled`] for a growing delay (see [`throttle`]).
    ///
    /// One attempt at a time: the count is read, checked and written under `PATH.lock`, and
    /// the attempt is counted before the passphrase is tried (a success sets it back to zero;
    /// an error that is not a wrong passphrase gives the count back).
    pub fn open(path: &Path, passphrase: &Passphrase) -> Result<Self> {
        let files = Files::of(path);
        files.check_db()?;
        let _attempt = AttemptLock::take(&files.lock)?;
        let now = unix_now();
        let before = Attempts::read(&files.attempts, now)?;
        before.check(now)?;
        before.counted(&files.attempts, now)?;
        match Self::open_trying(&files, |kdf_file| kdf_file.derive(passphrase)) {
            Ok(Some(vault)) => Ok(vault),
            Ok(None) => Err(Error::WrongPassphrase),
            Err(e) => {
                before.write(&files.attempts)?;
                Err(e)
            }
        }
    }

    /// The key this vault is open with, for a platform keystore.
    pub fn unlock_key(&self) -> UnlockKey {
        UnlockKey(self.key.clone())
    }

    /// Unlock with a key a platform keystore released ([`Vault::unlock_key`]). A key from
    /// before a passphrase change is [`Error::UnlockKeyStale`] and touches nothing. The
    /// wrong-passphrase back-off does not apply (a 256-bit key cannot be guessed), and a
    /// success clears it: the platform has just checked that the owner is present.
    pub fn open_with_key(path: &Path, key: &UnlockKey) -> Result<Self> {
        let files = Files::of(path);
        files.check_db()?;
        let _attempt = AttemptLock::take(&files.lock)?;
        Self::open_trying(&files, |kdf_file| {
            Ok(kdf_file.matches(&key.0).then(|| key.0.clone()))
        })?
        .ok_or(Error::UnlockKeyStale)
    }

    /// Try the current key file, then one a passphrase change left pending, each with the key
    /// `key_for` gives for it (`None`: not this file's key). On success, finish or discard a
    /// passphrase change a crash interrupted and clear the failed attempts. `Ok(None)` when
    /// no key matched, or the only match is the old key of a re-key that crashed;
    /// [`Error::VaultCorrupt`] when the key is right but the file does not decrypt.
    ///
    /// The caller holds the [`AttemptLock`]. The vault's shared lock is taken before the key
    /// files are read, so a passphrase change running elsewhere finishes first.
    fn open_trying(
        files: &Files,
        mut key_for: impl FnMut(&KdfFile) -> Result<Option<DbKey>>,
    ) -> Result<Option<Self>> {
        let mut in_use = Some(InUse::take(&files.in_use)?);
        let current = KdfFile::read(&files.kdf)?;
        let pending = KdfFile::read(&files.kdf_next)?;
        if current.is_none() && pending.is_none() {
            return Err(Error::KdfFileInvalid {
                path: files.kdf.clone(),
            });
        }
        let mut key_matched = false;
        for (kdf_file, is_pending) in [(current, false), (pending.clone(), true)] {
            let Some(kdf_file) = kdf_file else { continue };
            let Some(key) = key_for(&kdf_file)? else {
                continue;
            };
            key_matched = true;
            match connection(&files.db, &key) {
                Ok(conn) => {
                    if is_pending {
                        rename_durably(&files.kdf_next, &files.kdf)?;
                    } else if pending.is_some() {
                        remove_if_exists(&files.kdf_next)?;
                    }
                    Attempts::reset(&files.attempts)?;
                    files.make_private()?;
                    let in_use = in_use.take().ok_or(Error::Derivation)?;
                    return Ok(Some(Self::configure(
                        conn,
                        &files.db,
                        key,
                        kdf_file.params(),
                        in_use,
                    )?));
                }
                // With a change pending, the file may already have the other key.
                Err(Error::VaultCorrupt) => continue,
                Err(e) => return Err(e),
            }
        }
        if key_matched && pending.is_none() {
            return Err(Error::VaultCorrupt);
        }
        Ok(None)
    }

    /// Open the database with `key` and make it the vault: [`connection`], then
    /// [`Vault::configure`].
    fn connect(path: &Path, key: DbKey, kdf_params: KdfParams, in_use: InUse) -> Result<Self> {
        let conn = connection(path, &key)?;
        Self::configure(conn, path, key, kdf_params, in_use)
    }

    /// Configure a connection that decrypts (write-ahead log, full sync, foreign keys) and
    /// migrate it.
    fn configure(
        mut conn: Connection,
        path: &Path,
        key: DbKey,
        kdf_params: KdfParams,
        in_use: InUse,
    ) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        set_journal_mode(&conn, "wal")?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA secure_delete = ON;",
        )?;
        schema::migrate(&mut conn)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            kdf_params,
            key,
            in_use,
        })
    }

    /// Re-key the vault under `new` with a fresh salt. Crash-safe: the new key file is
    /// written as `PATH.kdf.next` first, and [`Vault::open`] finishes or discards an
    /// interrupted change, so either passphrase opens the vault at every moment.
    ///
    /// The vault must be open nowhere else (another process, or another handle in this one):
    /// the other connection would keep the old key. That is [`Error::VaultInUse`], and
    /// nothing changes. An unlock started elsewhere meanwhile waits for the change to end.
    pub fn change_passphrase(&mut self, new: &Passphrase, params: KdfParams) -> Result<()> {
        new.check_policy()?;
        let files = Files::of(&self.path);
        let (kdf_file, key) = KdfFile::new(new, params)?;
        let conn = &self.conn;
        self.in_use.alone(|| {
            kdf_file.write(&files.kdf_next)?;
            // SQLCipher cannot re-key a database in WAL mode: fold the log in and leave WAL
            // for the duration. The mode actually set is checked: a re-key in WAL mode would
            // leave the log under the old key.
            let left_wal = conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .map_err(Error::from)
                .and_then(|()| set_journal_mode(conn, "delete"));
            if let Err(e) = left_wal {
                remove_if_exists(&files.kdf_next)?;
                let _ = set_journal_mode(conn, "wal");
                return Err(e);
            }
            conn.execute_batch(&key_statement("rekey", &key))?;
            rename_durably(&files.kdf_next, &files.kdf)?;
            // Back to the log. Should it not switch (nothing else has the vault open, so it
            // does), the vault works on in rollback mode and the next unlock switches it.
            let _ = set_journal_mode(conn, "wal");
            Ok(())
        })?;
        self.kdf_params = params;
        self.key = key;
        records::log(
            &self.conn,
            unix_now() as i64,
            VaultEvent::PassphraseChanged,
            &serde_json::json!({}),
        )?;
        Ok(())
    }

    /// The vault's database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The Argon2id parameters the vault is keyed with.
    pub fn kdf_params(&self) -> KdfParams {
        self.kdf_params
    }

    /// The recovery phrase, for an explicit, confirmed reveal only.
    pub fn reveal_phrase(&self) -> Result<RecoveryPhrase> {
        let entropy: Zeroizing<Vec<u8>> = Zeroizing::new(self.conn.query_row(
            "SELECT entropy FROM wallet WHERE id = 1",
            [],
            |r| r.get(0),
        )?);
        let phrase = RecoveryPhrase::from_entropy(&entropy)?;
        records::log(
            &self.conn,
            unix_now() as i64,
            VaultEvent::PhraseRevealed,
            &serde_json::json!({}),
        )?;
        Ok(phrase)
    }

    /// Check words of the recovery phrase given back by the user (1-based positions), as
    /// onboarding asks after showing the phrase. Logs nothing and reveals nothing.
    pub fn confirm_phrase_words(&self, words: &[(usize, &str)]) -> Result<()> {
        let entropy: Zeroizing<Vec<u8>> = Zeroizing::new(self.conn.query_row(
            "SELECT entropy FROM wallet WHERE id = 1",
            [],
            |r| r.get(0),
        )?);
        let phrase = RecoveryPhrase::from_entropy(&entropy)?;
        let text = phrase.phrase();
        let all: Vec<&str> = text.split(' ').collect();
        let mut ok = !words.is_empty();
        for (pos, word) in words {
            let expected = pos.checked_sub(1).and_then(|i| all.get(i));
            ok &= expected.is_some_and(|w| {
                subtle::ConstantTimeEq::ct_eq(w.as_bytes(), word.trim().as_bytes()).into()
            });
        }
        if ok {
            Ok(())
        } else {
            Err(Error::PhraseMismatch)
        }
    }

    /// The BIP39 seed, read from the database for one derivation and wiped after.
    pub(crate) fn seed(&self) -> Result<Seed> {
        let bytes: Zeroizing<Vec<u8>> = Zeroizing::new(
            self.conn
                .query_row("SELECT seed FROM wallet WHERE id = 1", [], |r| r.get(0))
                .optional()?
                .ok_or(Error::VaultCorrupt)?,
        );
        Seed::from_slice(&bytes).ok_or(Error::VaultCorrupt)
    }
}

/// Open the database at `path` with `key` and check that it is a whole vault: it decrypts,
/// has tables, and SQLite's quick check finds every page (a file cut short fails here, a
/// wrong key or a damaged page earlier; both are [`Error::VaultCorrupt`]).
fn connection(path: &Path, key: &DbKey) -> Result<Connection> {
    let conn = open_connection(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch(&key_statement("key", key))?;
    let corrupt = |e: rusqlite::Error| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt
            ) =>
        {
            Error::VaultCorrupt
        }
        e => e.into(),
    };
    // The first read decrypts page 1; a wrong key or a damaged file fails here.
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(corrupt)?;
    let check: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(corrupt)?;
    if tables == 0 || check != "ok" {
        return Err(Error::VaultCorrupt);
    }
    Ok(conn)
}

/// Set the journal mode and check that SQLite did: it answers with the mode in force, which
/// stays the old one when the switch is not possible.
fn set_journal_mode(conn: &Connection, mode: &'static str) -> Result<()> {
    let now: String = conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get(0))?;
    if now.eq_ignore_ascii_case(mode) {
        Ok(())
    } else {
        Err(Error::JournalMode {
            wanted: mode,
            got: now,
        })
    }
}

/// Open a database file for keying, once SQLCipher is ready ([`sqlcipher_ready`]).
fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection> {
    sqlcipher_ready()?;
    let conn = Connection::open_with_flags(path, flags)?;
    quiet(&conn)?;
    Ok(conn)
}

/// SQLCipher logs decryption failures to stderr by default; we report them as typed errors.
fn quiet(conn: &Connection) -> Result<()> {
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    Ok(())
}

/// Wait, once per process, until SQLCipher has finished its process-wide set-up.
///
/// SQLite marks itself initialised and lets other threads through before it runs SQLCipher's
/// set-up (`sqlcipher_extra_init`, after `sqlite3Initialize` drops its init mutex). A
/// connection keyed on another thread in that window fails with SQLCipher's generic "An
/// error occurred with PRAGMA key or rekey": several vaults opened at once by a new process
/// did (`tests/first_open.rs`). Keying fails in exactly that window, so an in-memory
/// database, which holds nothing and is never written, is keyed until it succeeds, which
/// takes microseconds; a set-up that failed for good is reported after about a second.
fn sqlcipher_ready() -> Result<()> {
    static READY: OnceLock<()> = OnceLock::new();
    const TRIES: u32 = 1000;
    if READY.get().is_some() {
        return Ok(());
    }
    let mut tries = 0;
    loop {
        let probe = Connection::open_in_memory()?;
        quiet(&probe)?;
        match probe.execute_batch(PROBE_KEY) {
            Ok(()) => {
                let _ = READY.set(());
                return Ok(());
            }
            Err(_) if tries < TRIES => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The key of [`sqlcipher_ready`]'s empty in-memory probe; it protects nothing.
const PROBE_KEY: &str =
    "PRAGMA key = \"x'0000000000000000000000000000000000000000000000000000000000000000'\";";

fn key_statement(pragma: &str, key: &DbKey) -> Zeroizing<String> {
    let value = key.pragma_value();
    let mut sql = Zeroizing::new(String::with_capacity(80));
    sql.push_str("PRAGMA ");
    sql.push_str(pragma);
    sql.push_str(" = \"");
    sql.push_str(&value);
    sql.push_str("\";");
    sql
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path)(e)),
        _ => Ok(()),
    }
}
