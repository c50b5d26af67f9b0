//! The first vault connections of a process, opened on several threads at once.
//!
//! SQLite marks itself initialised and releases its init mutex before it runs SQLCipher's
//! own set-up, so a thread that keys its first connection in that window gets SQLCipher's
//! generic "An error occurred with PRAGMA key or rekey". The window is only there once per
//! process, so the test runs its burst of opens in fresh processes: it starts this same test
//! binary again with `FIRST_OPEN_DIR` set, and in that role the test opens the vaults the
//! first role created.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Barrier};

use citywallet_core::keys::RecoveryPhrase;
use citywallet_core::vault::{KdfParams, Passphrase, UnlockKey, Vault};

const TEST_KDF: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const THREADS: usize = 8;
const PROCESSES: usize = 40;
const CHILD: &str = "FIRST_OPEN_DIR";
const TEST: &str = "vaults_opened_at_once_by_a_new_process_all_open";

#[test]
fn vaults_opened_at_once_by_a_new_process_all_open() {
    if let Some(dir) = std::env::var_os(CHILD) {
        open_all_at_once(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let mut keys = String::new();
    for i in 0..THREADS {
        let vault = Vault::create(
            &dir.path().join(format!("vault-{i}.db")),
            &Passphrase::from("tram lantern harbour 42"),
            TEST_KDF,
            &RecoveryPhrase::generate().expect("rng"),
            "",
        )
        .expect("create");
        keys.push_str(&vault.unlock_key().to_hex());
        keys.push('\n');
    }
    std::fs::write(dir.path().join("keys"), keys).expect("keys");

    let exe = std::env::current_exe().expect("exe");
    for run in 0..PROCESSES {
        let out = Command::new(&exe)
            .args([TEST, "--exact", "--nocapture"])
            .env(CHILD, dir.path())
            .output()
            .expect("spawn");
        assert!(
            out.status.success(),
            "process {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The child role: every vault opened on its own thread, all released at once.
fn open_all_at_once(dir: &Path) {
    let keys = std::fs::read_to_string(dir.join("keys")).expect("keys");
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = keys
        .lines()
        .enumerate()
        .map(|(i, hex)| {
            let key = UnlockKey::from_hex(hex).expect("key");
            let path = dir.join(format!("vault-{i}.db"));
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                Vault::open_with_key(&path, &key).map(drop)
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        if let Err(e) = t.join().expect("thread") {
            panic!("vault {i}: {e}");
        }
    }
}
