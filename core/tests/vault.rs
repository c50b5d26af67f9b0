//! The vault against real files: unlock, wrong passphrase, back-off, re-keying, no plaintext
//! on disk, and a writer process killed with SIGKILL.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use citywallet_core::keys::{KeyPath, KeyRole, RecoveryPhrase};
use citywallet_core::vault::{KdfParams, Passphrase, StoredCredential, UnlockKey, Vault};
use citywallet_core::{Error, MnemonicProblem};

// Secret types can never be serialized, cloned into JSON or sent anywhere by accident.
static_assertions::assert_not_impl_any!(RecoveryPhrase: serde::Serialize);
static_assertions::assert_not_impl_any!(citywallet_core::keys::Seed: serde::Serialize);
static_assertions::assert_not_impl_any!(citywallet_core::keys::KeyPair: serde::Serialize, Clone);
static_assertions::assert_not_impl_any!(Passphrase: serde::Serialize, Clone);

/// Cheap Argon2id parameters so the suite stays fast; production uses RECOMMENDED.
const TEST_KDF: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const PASS: &str = "correct horse battery";
const MARKER: &str = "CREDIT-SCORE-742-MARKER";

fn new_vault(dir: &Path) -> (PathBuf, RecoveryPhrase, Vault) {
    let path = dir.join("vault.db");
    let phrase = RecoveryPhrase::generate().expect("rng");
    let vault = Vault::create(&path, &PASS.into(), TEST_KDF, &phrase, "").expect("create");
    (path, phrase, vault)
}

fn credential(id: &str) -> StoredCredential {
    StoredCredential {
        id: id.into(),
        issuer: "city-credit-bureau".into(),
        kind: "credit".into(),
        body: format!("{{\"score\":742,\"note\":\"{MARKER}\",\"id\":\"{id}\"}}").into_bytes(),
        received_at: 1_700_000_000,
    }
}

fn unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn files_of(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().expect("parent");
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    out.sort();
    out
}

fn snapshot(path: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files_of(path)
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn create_then_open_gives_the_same_identity() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, phrase, vault) = new_vault(dir.path());
    let identity = vault.identity().expect("identity");
    drop(vault);

    let vault = Vault::open(&path, &PASS.into()).expect("open");
    assert_eq!(vault.identity().expect("identity"), identity);
    assert_eq!(identity.path, "m/7083'/0'/0'/0'");
    assert!(identity.did.starts_with("did:key:z6Mk"));
    let revealed = vault.reveal_phrase().expect("reveal");
    assert_eq!(revealed.entropy(), phrase.entropy());
    assert_eq!(vault.key_count(KeyRole::Identity).expect("count"), 1);
}

#[test]
fn the_holder_secret_comes_back_with_the_recovery_phrase_and_is_no_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_, phrase, vault) = new_vault(dir.path());
    let secret = vault.holder_secret().expect("secret");
    let restored = Vault::create(
        &dir.path().join("restored.db"),
        &PASS.into(),
        TEST_KDF,
        &phrase,
        "",
    )
    .expect("recover");
    assert_eq!(
        restored.holder_secret().expect("secret").as_bytes(),
        secret.as_bytes()
    );
    let other = Vault::create(
        &dir.path().join("other.db"),
        &PASS.into(),
        TEST_KDF,
        &RecoveryPhrase::generate().expect("rng"),
        "",
    )
    .expect("create");
    assert_ne!(
        other.holder_secret().expect("secret").as_bytes(),
        secret.as_bytes()
    );
    // Not the identity key's secret, and not shown in Debug.
    let identity = vault.identity().expect("identity");
    assert_ne!(hex::encode(secret.as_bytes()), identity.public_key_hex);
    assert_eq!(format!("{secret:?}"), "HolderSecret([redacted])");
}

#[test]
fn the_prover_nym_comes_back_with_the_recovery_phrase_and_is_a_scalar_of_its_own() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_, phrase, vault) = new_vault(dir.path());
    let nym = vault.prover_nym().expect("nym");
    assert!(citywallet_core::credentials::pseudonym::scalar(nym.as_bytes()).is_some());
    let restored = Vault::create(
        &dir.path().join("restored.db"),
        &PASS.into(),
        TEST_KDF,
        &phrase,
        "",
    )
    .expect("recover");
    assert_eq!(
        restored.prover_nym().expect("nym").as_bytes(),
        nym.as_bytes()
    );
    let other = Vault::create(
        &dir.path().join("other.db"),
        &PASS.into(),
        TEST_KDF,
        &RecoveryPhrase::generate().expect("rng"),
        "",
    )
    .expect("create");
    assert_ne!(other.prover_nym().expect("nym").as_bytes(), nym.as_bytes());
    // Neither the holder secret nor the identity key, and not shown in Debug.
    assert_ne!(
        vault.holder_secret().expect("secret").as_bytes(),
        nym.as_bytes()
    );
    assert_ne!(
        hex::encode(nym.as_bytes()),
        vault.identity().expect("identity").public_key_hex
    );
    assert_eq!(format!("{nym:?}"), "ProverNym([redacted])");
}

#[test]
fn a_bip39_passphrase_gives_a_different_identity() {
    let dir = tempfile::tempdir().expect("tmp");
    let phrase = RecoveryPhrase::generate().expect("rng");
    let plain = Vault::create(
        &dir.path().join("a.db"),
        &PASS.into(),
        TEST_KDF,
        &phrase,
        "",
    )
    .expect("create");
    let salted = Vault::create(
        &dir.path().join("b.db"),
        &PASS.into(),
        TEST_KDF,
        &phrase,
        "extra",
    )
    .expect("create");
    assert_ne!(
        plain.identity().expect("id").did,
        salted.identity().expect("id").did
    );
}

#[test]
fn wrong_passphrase_is_typed_and_changes_no_vault_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, mut vault) = new_vault(dir.path());
    vault.insert_credential(&credential("c1")).expect("insert");
    drop(vault);
    let without_count = |files: Vec<(PathBuf, Vec<u8>)>| -> Vec<_> {
        files
            .into_iter()
            .filter(|(p, _)| !p.to_string_lossy().ends_with(".attempts"))
            .collect()
    };
    let before = without_count(snapshot(&path));

    let err = Vault::open(&path, &"not the passphrase".into()).expect_err("must fail");
    assert!(matches!(err, Error::WrongPassphrase), "{err:?}");
    assert_eq!(err.code(), "wrong_passphrase");
    assert!(err.is_user_error());

    // Only the failure counter changes; the database and key file are byte-identical.
    assert_eq!(before, without_count(snapshot(&path)));
    let vault = Vault::open(&path, &PASS.into()).expect("open");
    assert_eq!(vault.credentials().expect("list").len(), 1);
}

#[test]
fn repeated_wrong_passphrases_are_throttled() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, vault) = new_vault(dir.path());
    drop(vault);
    let started = unix();
    for _ in 0..3 {
        assert!(matches!(
            Vault::open(&path, &"guess guess".into()),
            Err(Error::WrongPassphrase)
        ));
    }
    let attempts = path.with_file_name("vault.db.attempts");
    let counted: serde_json::Value =
        serde_json::from_slice(&fs::read(&attempts).expect("attempts")).expect("json");
    assert_eq!(counted["failures"], 3);
    let last = counted["last_failure_unix"].as_u64().expect("time");
    assert!((started..=unix()).contains(&last));
    // Even the right passphrase waits out the delay. The check is made with five failures
    // counted just now (an 8 s delay), so that a slow machine cannot outlast the first
    // delay (2 s) before it.
    fs::write(
        &attempts,
        format!(r#"{{"failures":5,"last_failure_unix":{}}}"#, unix()),
    )
    .expect("write");
    match Vault::open(&path, &PASS.into()) {
        Err(Error::Throttled { retry_after_secs }) => assert!((1..=8).contains(&retry_after_secs)),
        other => panic!("expected Throttled, got {other:?}"),
    }
    // Move the last failure into the past, as the clock would: the right passphrase opens
    // and the counter is cleared.
    fs::write(&attempts, br#"{"failures":3,"last_failure_unix":1000}"#).expect("write");
    Vault::open(&path, &PASS.into()).expect("open after the delay");
    let cleared: serde_json::Value =
        serde_json::from_slice(&fs::read(&attempts).expect("attempts")).expect("json");
    assert_eq!(cleared["failures"], 0, "a success counts from zero again");
}

#[test]
fn weak_passphrase_and_existing_vault_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let phrase = RecoveryPhrase::generate().expect("rng");
    let path = dir.path().join("vault.db");
    assert!(matches!(
        Vault::create(&path, &"short".into(), TEST_KDF, &phrase, ""),
        Err(Error::WeakPassphrase { min_chars: 8 })
    ));
    assert!(!path.exists());
    // Long enough but guessed at once: zxcvbn scores these below 3.
    for guessable in ["password", "password123", "qwertyuiop", "aaaaaaaaaaaa"] {
        assert!(
            matches!(
                Vault::create(&path, &guessable.into(), TEST_KDF, &phrase, ""),
                Err(Error::WeakPassphrase { min_chars: 8 })
            ),
            "{guessable}"
        );
        assert!(!path.exists());
    }
    let (path, _, _vault) = new_vault(dir.path());
    assert!(matches!(
        Vault::create(&path, &PASS.into(), TEST_KDF, &phrase, ""),
        Err(Error::VaultExists { .. })
    ));
    assert!(matches!(
        Vault::open(&dir.path().join("absent.db"), &PASS.into()),
        Err(Error::VaultNotFound { .. })
    ));
}

#[test]
fn no_plaintext_reaches_the_disk() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, phrase, mut vault) = new_vault(dir.path());
    let batch: Vec<_> = (0..50).map(|i| credential(&format!("cred-{i}"))).collect();
    vault.insert_credentials(&batch).expect("insert");
    for _ in 0..3 {
        vault
            .new_device(Some("air-quality-sensor"))
            .expect("device");
    }
    let identity = vault.key_pair(KeyPath::IDENTITY).expect("key");
    let identity_public = identity.public().to_bytes();

    let words = phrase.phrase();
    let entropy = phrase.entropy();
    let scan = |stage: &str| {
        let files = snapshot(&path);
        assert!(files.iter().any(|(p, _)| p.ends_with("vault.db-wal")) || stage == "closed");
        for (file, bytes) in files {
            let name = file.display();
            assert!(
                !bytes.starts_with(b"SQLite format 3"),
                "{stage}: {name} has an SQLite header"
            );
            assert!(
                !contains(&bytes, words.as_bytes()),
                "{stage}: phrase in {name}"
            );
            // The key file's public labels hold English words ("vault" is a BIP39 word):
            // single words are searched with them taken out.
            let mut unlabelled = bytes.clone();
            for label in [
                "citywallet-vault-kdf/1",
                "argon2id-v19",
                "format",
                "algorithm",
                "salt",
                "key_check",
            ] {
                while let Some(i) = unlabelled
                    .windows(label.len())
                    .position(|x| x == label.as_bytes())
                {
                    unlabelled.drain(i..i + label.len());
                }
            }
            for word in words.split(' ').filter(|w| w.len() >= 5) {
                assert!(
                    !contains(&unlabelled, word.as_bytes()),
                    "{stage}: word {word} in {name}"
                );
            }
            assert!(!contains(&bytes, &entropy), "{stage}: entropy in {name}");
            assert!(
                !contains(&bytes, MARKER.as_bytes()),
                "{stage}: credential in {name}"
            );
            assert!(
                !contains(&bytes, b"air-quality-sensor"),
                "{stage}: label in {name}"
            );
            assert!(
                !contains(&bytes, &identity_public),
                "{stage}: key in {name}"
            );
        }
    };
    scan("open");
    drop(vault);
    scan("closed");
}

#[test]
fn duplicate_in_a_batch_stores_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_, _, mut vault) = new_vault(dir.path());
    vault.insert_credential(&credential("c-2")).expect("insert");
    let batch = vec![credential("c-1"), credential("c-2"), credential("c-3")];
    let err = vault.insert_credentials(&batch).expect_err("duplicate");
    assert!(
        matches!(err, Error::Duplicate { ref id, .. } if id == "c-2"),
        "{err:?}"
    );
    let ids: Vec<_> = vault
        .credentials()
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["c-2"]);
    assert!(matches!(
        vault.credential("c-1"),
        Err(Error::NotFound { .. })
    ));
    vault.delete_credential("c-2").expect("delete");
    assert!(matches!(
        vault.delete_credential("c-2"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn devices_get_consecutive_indices_and_stable_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, phrase, mut vault) = new_vault(dir.path());
    let made: Vec<_> = (0..3)
        .map(|i| {
            vault
                .new_device(Some(&format!("sensor {i}")))
                .expect("device")
        })
        .collect();
    assert_eq!(made.iter().map(|d| d.index).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(made[2].path, "m/7083'/0'/2'/2'");
    drop(vault);

    let vault = Vault::open(&path, &PASS.into()).expect("open");
    assert_eq!(vault.devices().expect("list"), made);
    // The same phrase derives the same device keys anywhere.
    let seed = phrase.to_seed("");
    for d in &made {
        let key = seed
            .derive(KeyPath::device(d.index.into()).expect("path"))
            .expect("derive");
        assert_eq!(key.public().to_hex(), d.public_key_hex);
    }
}

#[test]
fn passphrase_change_rekeys_the_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, mut vault) = new_vault(dir.path());
    vault
        .insert_credential(&credential("kept"))
        .expect("insert");
    let identity = vault.identity().expect("id");
    let db_before = fs::read(&path).expect("read");
    let new_pass: Passphrase = "a brand new passphrase".into();
    assert!(matches!(
        vault.change_passphrase(&"short".into(), TEST_KDF),
        Err(Error::WeakPassphrase { .. })
    ));
    vault
        .change_passphrase(&new_pass, TEST_KDF)
        .expect("change");
    drop(vault);

    assert_ne!(fs::read(&path).expect("read")[..4096], db_before[..4096]);
    assert!(matches!(
        Vault::open(&path, &PASS.into()),
        Err(Error::WrongPassphrase)
    ));
    let vault = Vault::open(&path, &new_pass).expect("open with new");
    assert_eq!(vault.identity().expect("id"), identity);
    assert_eq!(vault.credential("kept").expect("get").id, "kept");
}

/// The two moments a crash can interrupt a passphrase change, rebuilt from real files:
/// (a) the new key file is written but the database still has the old key;
/// (b) the database has the new key but the new key file was not yet renamed into place.
#[test]
fn interrupted_passphrase_change_recovers_with_either_passphrase() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, mut vault) = new_vault(dir.path());
    vault
        .insert_credential(&credential("kept"))
        .expect("insert");
    drop(vault);
    let kdf = path.with_file_name("vault.db.kdf");
    let next = path.with_file_name("vault.db.kdf.next");
    let old_db = fs::read(&path).expect("read");
    let old_kdf = fs::read(&kdf).expect("read");

    let new_pass: Passphrase = "a brand new passphrase".into();
    let mut vault = Vault::open(&path, &PASS.into()).expect("open");
    vault
        .change_passphrase(&new_pass, TEST_KDF)
        .expect("change");
    drop(vault);
    let new_db = fs::read(&path).expect("read");
    let new_kdf = fs::read(&kdf).expect("read");

    // (a): old database, old key file, new key file pending.
    fs::write(&path, &old_db).expect("write");
    fs::write(&kdf, &old_kdf).expect("write");
    fs::write(&next, &new_kdf).expect("write");
    assert!(matches!(
        Vault::open(&path, &new_pass),
        Err(Error::WrongPassphrase)
    ));
    let vault = Vault::open(&path, &PASS.into()).expect("old passphrase still opens");
    assert_eq!(vault.credential("kept").expect("get").id, "kept");
    drop(vault);
    assert!(!next.exists(), "the stale pending key file is removed");

    // (b): new database, old key file, new key file pending.
    fs::write(&path, &new_db).expect("write");
    fs::write(&next, &new_kdf).expect("write");
    assert!(matches!(
        Vault::open(&path, &PASS.into()),
        Err(Error::WrongPassphrase)
    ));
    let vault = Vault::open(&path, &new_pass).expect("new passphrase opens");
    assert_eq!(vault.credential("kept").expect("get").id, "kept");
    drop(vault);
    assert!(!next.exists());
    assert_eq!(
        fs::read(&kdf).expect("read"),
        new_kdf,
        "the change was completed"
    );
}

#[test]
fn damaged_key_file_and_database_are_typed_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, vault) = new_vault(dir.path());
    drop(vault);
    let kdf = path.with_file_name("vault.db.kdf");
    let good = fs::read(&kdf).expect("read");
    fs::write(&kdf, b"{not json").expect("write");
    assert!(matches!(
        Vault::open(&path, &PASS.into()),
        Err(Error::KdfFileInvalid { .. })
    ));
    fs::write(&kdf, vec![b' '; 1 << 20]).expect("write");
    assert!(matches!(
        Vault::open(&path, &PASS.into()),
        Err(Error::KdfFileInvalid { .. })
    ));
    fs::write(&kdf, &good).expect("write");

    let mut db = fs::read(&path).expect("read");
    for b in &mut db[100..200] {
        *b ^= 0x5a;
    }
    fs::write(&path, &db).expect("write");
    let err = Vault::open(&path, &PASS.into()).expect_err("damaged");
    assert!(matches!(err, Error::VaultCorrupt), "{err:?}");
    assert!(!err.is_user_error());
}

#[test]
fn recovery_phrase_errors_name_the_problem() {
    let err = RecoveryPhrase::parse(
        "legal winner thank year wave sausage worth useful legal winner thank yelow",
    )
    .expect_err("misspelled");
    assert!(matches!(
        err,
        Error::InvalidMnemonic(MnemonicProblem::UnknownWord { position: 12 })
    ));
    assert!(err.to_string().contains("word 12"), "{err}");
    let err = RecoveryPhrase::parse(
        "legal winner thank year wave sausage worth useful legal winner thank thank",
    )
    .expect_err("checksum");
    assert_eq!(err.code(), "mnemonic_checksum");
}

const CHILD_ENV: &str = "CITYWALLET_TEST_CRASH_CHILD_VAULT";

/// Not a test on its own: the writer process for `sigkill_mid_write_loses_no_committed_record`.
/// It commits credentials one transaction at a time and reports each after its commit.
/// Ignored in normal runs; the parent starts it with `--include-ignored`.
#[test]
#[ignore = "child process of sigkill_mid_write_loses_no_committed_record"]
fn crash_child_writer() {
    let path = std::env::var_os(CHILD_ENV).expect("started by the SIGKILL test");
    let start: usize = std::env::var("CITYWALLET_TEST_CRASH_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut vault = Vault::open(Path::new(&path), &PASS.into()).expect("child open");
    for i in start.. {
        vault
            .insert_credential(&credential(&format!("w-{i}")))
            .expect("insert");
        println!("committed w-{i}");
    }
}

#[test]
fn sigkill_mid_write_loses_no_committed_record() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, vault) = new_vault(dir.path());
    drop(vault);
    let exe = std::env::current_exe().expect("exe");
    let mut committed: Vec<String> = Vec::new();
    for (round, kill_after) in [40usize, 173, 311].into_iter().enumerate() {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_writer",
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .env("CITYWALLET_TEST_CRASH_START", (round * 100_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let mut seen = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            if let Some(id) = line.strip_prefix("committed ") {
                committed.push(id.to_owned());
                seen += 1;
                if seen == kill_after {
                    child.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
                    break;
                }
            }
        }
        let status = child.wait().expect("wait");
        assert!(
            !status.success(),
            "round {round}: the writer must have been killed"
        );

        let vault = Vault::open(&path, &PASS.into()).expect("opens after SIGKILL");
        let stored: std::collections::HashSet<String> = vault
            .credentials()
            .expect("list")
            .into_iter()
            .map(|c| c.id)
            .collect();
        for id in &committed {
            assert!(
                stored.contains(id),
                "round {round}: committed {id} was lost"
            );
        }
        assert!(stored.len() >= committed.len());
    }
}

#[test]
fn an_unlock_key_opens_the_vault_until_the_passphrase_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _, mut vault) = new_vault(dir.path());
    let did = vault.identity().expect("identity").did;
    let key = vault.unlock_key();
    assert_eq!(format!("{key:?}"), "UnlockKey([redacted])");
    let hex = key.to_hex();
    assert_eq!(hex.len(), 64);

    // The key handed back by a keystore opens the same vault, without the passphrase.
    let again = Vault::open_with_key(&path, &UnlockKey::from_hex(&hex).expect("parse"))
        .expect("open with key");
    assert_eq!(again.identity().expect("identity").did, did);
    drop(again);

    // After a passphrase change the stored key is refused as stale and nothing changes.
    vault
        .change_passphrase(&"a new passphrase".into(), TEST_KDF)
        .expect("change");
    drop(vault);
    let before = snapshot(&path);
    let err = Vault::open_with_key(&path, &key).expect_err("stale key");
    assert!(matches!(err, Error::UnlockKeyStale), "{err:?}");
    assert_eq!(err.code(), "unlock_key_stale");
    assert_eq!(snapshot(&path), before);
    let fresh = Vault::open(&path, &"a new passphrase".into()).expect("new passphrase");
    let new_key = fresh.unlock_key();
    drop(fresh);
    Vault::open_with_key(&path, &new_key).expect("the new key opens it");
}

#[test]
fn malformed_unlock_keys_are_typed_errors() {
    for text in ["", "00", &"zz".repeat(32), &"00".repeat(33)] {
        let err = UnlockKey::from_hex(text).expect_err("malformed");
        assert!(
            matches!(err, Error::UnlockKeyMalformed),
            "{text:?}: {err:?}"
        );
    }
    // A well-formed key that is not this vault's is stale, and counts no failed attempt.
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _, vault) = new_vault(dir.path());
    drop(vault);
    let other = UnlockKey::from_hex(&"ab".repeat(32)).expect("parse");
    for _ in 0..8 {
        let err = Vault::open_with_key(&path, &other).expect_err("not this vault's key");
        assert!(matches!(err, Error::UnlockKeyStale), "{err:?}");
    }
    Vault::open(&path, &PASS.into()).expect("no back-off from key attempts");
}

/// A key file beside the vault that asks for costs past the limits (4 GB, a million passes)
/// is refused before any derivation, and the files are left as they were.
#[test]
fn a_key_file_asking_for_huge_argon2_costs_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, vault) = new_vault(dir.path());
    drop(vault);
    let kdf_path = path.with_file_name("vault.db.kdf");
    let kdf: serde_json::Value =
        serde_json::from_slice(&fs::read(&kdf_path).expect("kdf")).expect("json");
    for (field, value) in [("m_cost_kib", 4_000_000_000u32), ("t_cost", 1_000_000)] {
        let mut hostile = kdf.clone();
        hostile[field] = serde_json::json!(value);
        fs::write(&kdf_path, serde_json::to_vec(&hostile).expect("json")).expect("write");
        let before = snapshot(&path);
        let err = Vault::open(&path, &PASS.into()).expect_err(field);
        assert!(
            matches!(err, Error::KdfParamsOutOfRange { .. }),
            "{field}: {err:?}"
        );
        assert_eq!(snapshot(&path), before, "{field}: nothing changed");
    }
}

#[cfg(unix)]
#[test]
fn vault_files_are_owner_only_and_old_ones_are_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    let dir = tempfile::tempdir().expect("tmp");
    let folder = dir.path().join("new/wallet");
    let path = folder.join("vault.db");
    let phrase = RecoveryPhrase::generate().expect("rng");
    let mut vault = Vault::create(&path, &PASS.into(), TEST_KDF, &phrase, "").expect("create");
    vault.insert_credential(&credential("c1")).expect("insert");
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    let files = files_of(&path);
    assert!(files.len() >= 5, "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    // A vault an older version left readable by everyone is tightened at the next unlock.
    drop(vault);
    for f in files_of(&path) {
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let _vault = Vault::open(&path, &PASS.into()).expect("open");
    for f in files_of(&path) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

fn attempts_of(path: &Path) -> serde_json::Value {
    let bytes = fs::read(path.with_file_name("vault.db.attempts")).expect("attempts");
    serde_json::from_slice(&bytes).expect("json")
}

/// Eight processes' worth of wrong guesses at once take turns on the count: with one try
/// left before a long delay, exactly one is tried and the others wait.
#[test]
fn parallel_wrong_passphrases_take_turns_on_the_count() {
    // Costly enough (8 MiB, 2 passes) that every guess starts before the first one ends.
    const SLOWER: KdfParams = KdfParams {
        m_cost_kib: 8 * 1024,
        t_cost: 2,
        p_cost: 1,
    };
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("vault.db");
    let phrase = RecoveryPhrase::generate().expect("rng");
    drop(Vault::create(&path, &PASS.into(), SLOWER, &phrase, "").expect("create"));
    // Eight failures counted, the last 64 s ago: the delay after eight (64 s) is over, the
    // next failure makes it 128 s.
    fs::write(
        path.with_file_name("vault.db.attempts"),
        format!(r#"{{"failures":8,"last_failure_unix":{}}}"#, unix() - 64),
    )
    .expect("write");
    let start = std::sync::Barrier::new(8);
    let results: Vec<Result<Vault, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (path, start) = (&path, &start);
                s.spawn(move || {
                    start.wait();
                    Vault::open(path, &format!("guess number {i}").as_str().into())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let wrong = results
        .iter()
        .filter(|r| matches!(r, Err(Error::WrongPassphrase)))
        .count();
    let throttled = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Throttled { .. })))
        .count();
    assert_eq!((wrong, throttled), (1, 7), "{results:?}");
    assert_eq!(attempts_of(&path)["failures"], 9);
}

/// Deleting or editing the count does not give the free attempts back.
#[test]
fn a_deleted_or_damaged_count_starts_at_the_back_off() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, vault) = new_vault(dir.path());
    drop(vault);
    let attempts = path.with_file_name("vault.db.attempts");
    assert_eq!(
        attempts_of(&path)["failures"],
        0,
        "a new vault has its count"
    );
    for tamper in ["delete", "damage"] {
        if tamper == "delete" {
            fs::remove_file(&attempts).expect("rm");
        } else {
            fs::write(&attempts, b"{\"failures\":").expect("write");
        }
        // Even the right passphrase waits out the first delay, counted from now.
        match Vault::open(&path, &PASS.into()) {
            Err(Error::Throttled { retry_after_secs }) => {
                assert!((1..=2).contains(&retry_after_secs), "{tamper}")
            }
            other => panic!("{tamper}: expected Throttled, got {other:?}"),
        }
        let counted = attempts_of(&path);
        assert_eq!(counted["failures"], 3, "{tamper}");
        assert!(counted["last_failure_unix"].as_u64().expect("time") + 5 >= unix());
        // Once the delay is over (moved into the past, as the clock would), it opens.
        fs::write(&attempts, br#"{"failures":3,"last_failure_unix":1000}"#).expect("write");
        Vault::open(&path, &PASS.into()).expect("open after the delay");
    }
}

/// An empty or cut-short vault file is `vault_corrupt` whatever the passphrase, and is left
/// as it was: never taken for a new, empty database.
#[test]
fn an_empty_or_cut_short_vault_is_corrupt_and_left_alone() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, mut vault) = new_vault(dir.path());
    for i in 0..40 {
        let mut c = credential(&format!("c{i}"));
        c.body.extend(std::iter::repeat_n(b'x', 2000));
        vault.insert_credential(&c).expect("insert");
    }
    drop(vault);
    let whole = fs::read(&path).expect("read");
    assert!(whole.len() >= 40 * 4096, "{} bytes", whole.len());
    let cuts = [
        ("empty", 0),
        ("mid-page", whole.len() - 100),
        ("half", whole.len() / 2 / 4096 * 4096),
        ("first page only", 4096),
    ];
    for (what, len) in cuts {
        fs::write(&path, &whole[..len]).expect("cut");
        for passphrase in [PASS, "not the passphrase"] {
            if len % 512 != 0 || len == 0 || passphrase == PASS {
                let err = Vault::open(&path, &passphrase.into()).expect_err(what);
                assert!(matches!(err, Error::VaultCorrupt), "{what}: {err:?}");
                assert_eq!(err.code(), "vault_corrupt");
            }
        }
        assert_eq!(
            fs::read(&path).expect("read").len(),
            len,
            "{what}: unchanged"
        );
        assert!(
            !path.with_file_name("vault.db-wal").exists(),
            "{what}: nothing written"
        );
    }
    fs::write(&path, &whole).expect("restore");
    let vault = Vault::open(&path, &PASS.into()).expect("whole again");
    assert_eq!(vault.credentials().expect("list").len(), 40);
}

const HOLD_ENV: &str = "CITYWALLET_TEST_HOLD_OPEN_VAULT";

/// Not a test on its own: a second process that holds the vault open until its stdin closes,
/// for `a_passphrase_change_is_refused_while_another_process_has_the_vault`.
#[test]
#[ignore = "child process of a_passphrase_change_is_refused_while_another_process_has_the_vault"]
fn hold_open_child() {
    use std::io::Read;
    let path = std::env::var_os(HOLD_ENV).expect("started by the passphrase-change test");
    let vault = Vault::open(Path::new(&path), &PASS.into()).expect("child open");
    println!("open {}", vault.credentials().expect("list").len());
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    println!("still {}", vault.credentials().expect("list").len());
}

#[test]
fn a_passphrase_change_is_refused_while_another_process_has_the_vault() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, mut vault) = new_vault(dir.path());
    vault.insert_credential(&credential("c1")).expect("insert");
    let exe = std::env::current_exe().expect("exe");
    let mut child = Command::new(&exe)
        .args([
            "--exact",
            "hold_open_child",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLD_ENV, &path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // The child's lines, as they come (libtest writes "test … " before the first one). A
    // child that never answers fails the test at the deadline instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let said = |marker: &str| -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = rx.recv_timeout(left).expect("the child answers in time");
            if let Some(at) = line.find(marker) {
                return line[at..].to_owned();
            }
        }
    };
    assert_eq!(said("open "), "open 1");

    let before = snapshot(&path);
    let err = vault
        .change_passphrase(&"a new long passphrase".into(), TEST_KDF)
        .expect_err("in use");
    assert!(matches!(err, Error::VaultInUse), "{err:?}");
    assert_eq!(err.code(), "vault_in_use");
    assert_eq!(snapshot(&path), before, "nothing changed");
    // Both handles still read the vault with the old key.
    assert_eq!(vault.credentials().expect("list").len(), 1);
    drop(child.stdin.take());
    assert_eq!(said("still "), "still 1");
    assert!(child.wait().expect("wait").success());

    // Alone, the change goes through.
    vault
        .change_passphrase(&"a new long passphrase".into(), TEST_KDF)
        .expect("alone");
    drop(vault);
    Vault::open(&path, &"a new long passphrase".into()).expect("new passphrase");
}

#[test]
fn documents_are_kept_by_name_taken_once_and_bounded() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _, mut v) = new_vault(dir.path());
    v.put_document("offers", "a", MARKER.as_bytes())
        .expect("put");
    assert!(matches!(
        v.put_document("offers", "a", b"other"),
        Err(Error::Duplicate { kind: "offers", .. })
    ));
    assert_eq!(
        v.document("offers", "a")
            .expect("get")
            .expect("kept")
            .body
            .as_slice(),
        MARKER.as_bytes(),
        "a refused duplicate changes nothing"
    );
    v.replace_document("offers", "b", b"one").expect("replace");
    v.replace_document("offers", "b", b"two").expect("replace");
    let names: Vec<String> = v
        .documents("offers")
        .expect("list")
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert!(v.documents("other").expect("list").is_empty());

    assert_eq!(
        v.take_document("offers", "b")
            .expect("take")
            .expect("there")
            .body
            .as_slice(),
        b"two"
    );
    assert!(
        v.take_document("offers", "b").expect("take").is_none(),
        "single use"
    );

    let big = vec![0u8; citywallet_core::vault::MAX_DOCUMENT_BYTES + 1];
    assert!(matches!(
        v.put_document("offers", "big", &big),
        Err(Error::BadRecord { .. })
    ));
    assert!(matches!(
        v.put_document("offers", "", b"x"),
        Err(Error::BadRecord { .. })
    ));
    assert!(v.document("offers", "big").expect("get").is_none());

    assert_eq!(v.expire_documents("offers", i64::MAX).expect("expire"), 1);
    drop(v);
    // Encrypted like every other row.
    let raw = fs::read(&path).expect("read");
    assert!(!raw.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
}
