//! The `citywallet` binary as a user or script runs it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const PASS: &str = "correct horse battery";
const PURPOSE: u32 = 7083;
const H: u32 = 0x8000_0000;

struct Wallet {
    _dir: tempfile::TempDir,
    vault: PathBuf,
}

impl Wallet {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let vault = dir.path().join("wallet").join("vault.db");
        Self { _dir: dir, vault }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_citywallet"));
        cmd.arg("--vault")
            .arg(&self.vault)
            .args(args)
            .env_remove("CITYWALLET_VAULT")
            .env_remove("CITYWALLET_NEW_PASSPHRASE")
            .env_remove("CITYWALLET_BIP39_PASSPHRASE")
            .env("CITYWALLET_PASSPHRASE", PASS)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run citywallet")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json on stdout")
    }

    fn recover(&self, phrase: &str, extra_env: &[(&str, &str)]) -> Output {
        let mut args = vec!["--json", "recover"];
        if extra_env
            .iter()
            .any(|(k, _)| *k == "CITYWALLET_BIP39_PASSPHRASE")
        {
            args.push("--bip39-passphrase");
        }
        let mut cmd = self.cmd(&args);
        cmd.envs(extra_env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(phrase.as_bytes())
            .expect("write phrase");
        child.wait_with_output().expect("wait")
    }
}

/// The error object the CLI prints on stderr with `--json`.
fn error_of(out: &Output) -> Value {
    let err: Value = serde_json::from_slice(&out.stderr).expect("json error on stderr");
    err["error"].clone()
}

/// An independent SLIP-0010 implementation (`slip10_ed25519` crate) over the BIP39 seed.
fn independent_public_key(phrase: &str, bip39_passphrase: &str, path: [u32; 4]) -> String {
    let seed = bip39::Mnemonic::parse(phrase)
        .expect("phrase")
        .to_seed(bip39_passphrase);
    let secret = slip10_ed25519::derive_ed25519_private_key(&seed, &path);
    let public = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
    hex::encode(public.as_bytes())
}

/// Parse `m/a'/b'/c'/d'` as printed by the CLI into hardened indices.
fn parse_path(path: &str) -> [u32; 4] {
    let levels: Vec<u32> = path
        .strip_prefix("m/")
        .expect("m/")
        .split('/')
        .map(|l| {
            l.strip_suffix('\'')
                .expect("hardened")
                .parse::<u32>()
                .expect("number")
                | H
        })
        .collect();
    levels.try_into().expect("four levels")
}

#[test]
fn init_prints_the_phrase_once_and_identity_matches_an_independent_slip10() {
    let w = Wallet::new();
    let init = w.json(&["--json", "init"]);
    let phrase = init["mnemonic"].as_str().expect("mnemonic");
    assert_eq!(phrase.split(' ').count(), 24);

    let id = w.json(&["--json", "identity", "show"]);
    assert_eq!(id["did"], init["did"]);
    assert_eq!(id["path"], "m/7083'/0'/0'/0'");
    assert!(id.get("mnemonic").is_none());
    let path = parse_path(id["path"].as_str().expect("path"));
    assert_eq!(path, [PURPOSE | H, H, H, H]);
    assert_eq!(
        id["public_key_hex"],
        independent_public_key(phrase, "", path)
    );

    // The phrase never appears again, in any output.
    for args in [&["identity", "show"][..], &["device", "list"][..]] {
        let out = w.run(args);
        assert!(!String::from_utf8_lossy(&out.stdout).contains(phrase));
    }
    let human = w.run(&["identity", "show"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("did:key:z6Mk"));
}

#[test]
fn recover_restores_the_same_keys_and_honours_a_bip39_passphrase() {
    let phrase = "void come effort suffer camp survey warrior heavy shoot primary clutch crush \
                  open amazing screen patrol group space point ten exist slush involve unfold";
    let plain = Wallet::new();
    let out = plain.recover(&format!("  {}\n", phrase.to_uppercase()), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = plain.json(&["--json", "identity", "show"]);
    let path = parse_path(id["path"].as_str().expect("path"));
    assert_eq!(
        id["public_key_hex"],
        independent_public_key(phrase, "", path)
    );

    let salted = Wallet::new();
    let out = salted.recover(phrase, &[("CITYWALLET_BIP39_PASSPHRASE", "TREZOR")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id2 = salted.json(&["--json", "identity", "show"]);
    assert_eq!(
        id2["public_key_hex"],
        independent_public_key(phrase, "TREZOR", path)
    );
    assert_ne!(id["did"], id2["did"]);
}

#[test]
fn bad_phrases_are_refused_with_the_problem_named() {
    let w = Wallet::new();
    let cases = [
        (
            "legal winner thank year wave sausage worth useful legal winner thank yelow",
            "mnemonic_unknown_word",
            "word 12",
        ),
        (
            "legal winner thank year wave sausage worth useful legal winner thank thank",
            "mnemonic_checksum",
            "checksum",
        ),
        ("legal winner thank", "mnemonic_word_count", "3 words"),
    ];
    for (phrase, code, text) in cases {
        let out = w.recover(phrase, &[]);
        assert_eq!(out.status.code(), Some(2), "{phrase}");
        let err = error_of(&out);
        assert_eq!(err["code"], code);
        assert!(
            err["message"].as_str().expect("message").contains(text),
            "{err}"
        );
        assert!(!w.vault.exists(), "a refused phrase creates nothing");
    }
    let huge = "abandon ".repeat(1000);
    let out = w.recover(&huge, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_of(&out)["code"], "phrase_too_long");
}

#[test]
fn wrong_passphrase_and_missing_vault_are_user_errors() {
    let w = Wallet::new();
    let out = w.run(&["--json", "identity", "show"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_of(&out)["code"], "vault_not_found");

    w.json(&["--json", "init"]);
    let out = w
        .cmd(&["--json", "identity", "show"])
        .env("CITYWALLET_PASSPHRASE", "wrong passphrase")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_of(&out)["code"], "wrong_passphrase");

    let out = w.run(&["--json", "init"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_of(&out)["code"], "vault_exists");

    let out = w
        .cmd(&["identity", "show"])
        .env_remove("CITYWALLET_PASSPHRASE")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CITYWALLET_PASSPHRASE"));
}

#[test]
fn usage_errors_exit_2_and_internal_failures_exit_1() {
    let w = Wallet::new();
    assert_eq!(w.run(&["identity", "frobnicate"]).status.code(), Some(2));
    // A vault directory that cannot exist: the OS refuses, which is not the user's input.
    let out = Command::new(env!("CARGO_BIN_EXE_citywallet"))
        .args(["--json", "--vault", "/dev/null/vault.db", "init"])
        .env("CITYWALLET_PASSPHRASE", PASS)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(error_of(&out)["code"], "io");
}

#[test]
fn devices_are_derived_by_index_on_documented_paths() {
    let w = Wallet::new();
    let init = w.json(&["--json", "init"]);
    let phrase = init["mnemonic"].as_str().expect("mnemonic").to_owned();
    let first = w.json(&[
        "--json",
        "device",
        "new",
        "--label",
        "bus stop 12 air sensor",
    ]);
    let second = w.json(&["--json", "device", "new"]);
    assert_eq!(first["index"], 0);
    assert_eq!(second["index"], 1);
    assert_eq!(second["path"], "m/7083'/0'/2'/1'");

    let list = w.json(&["--json", "device", "list"]);
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["label"], "bus stop 12 air sensor");
    for device in list {
        let path = parse_path(device["path"].as_str().expect("path"));
        assert_eq!(
            device["public_key_hex"],
            independent_public_key(&phrase, "", path)
        );
        assert_eq!(device["id"], device["public_key_hex"]);
    }
    let human = String::from_utf8_lossy(&w.run(&["device", "list"]).stdout).into_owned();
    assert!(human.contains("m/7083'/0'/2'/0'"), "{human}");
}

#[test]
fn passphrase_change_switches_which_passphrase_opens_the_vault() {
    let w = Wallet::new();
    let init = w.json(&["--json", "init"]);
    let out = w
        .cmd(&["--json", "passphrase", "change"])
        .env("CITYWALLET_NEW_PASSPHRASE", "short")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_of(&out)["code"], "weak_passphrase");

    let out = w
        .cmd(&["--json", "passphrase", "change"])
        .env("CITYWALLET_NEW_PASSPHRASE", "the new city passphrase")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let old = w.run(&["--json", "identity", "show"]);
    assert_eq!(error_of(&old)["code"], "wrong_passphrase");
    let new = w
        .cmd(&["--json", "identity", "show"])
        .env("CITYWALLET_PASSPHRASE", "the new city passphrase")
        .output()
        .expect("run");
    assert!(new.status.success());
    let id: Value = serde_json::from_slice(&new.stdout).expect("json");
    assert_eq!(id["did"], init["did"]);
}

#[test]
fn vault_file_has_no_header_and_no_phrase() {
    let w = Wallet::new();
    let init = w.json(&["--json", "init"]);
    let phrase = init["mnemonic"].as_str().expect("mnemonic");
    let dir: &Path = w.vault.parent().expect("dir");
    // The key file's public labels contain English words (its format is
    // "citywallet-vault-kdf/1", and "vault" is a BIP39 word): they are not searched.
    let labels = [
        "citywallet-vault-kdf/1",
        "argon2id-v19",
        "format",
        "algorithm",
        "salt",
        "key_check",
    ];
    for entry in std::fs::read_dir(dir).expect("dir") {
        let mut bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        assert!(!bytes.starts_with(b"SQLite format 3"));
        for label in labels {
            while let Some(i) = bytes
                .windows(label.len())
                .position(|x| x == label.as_bytes())
            {
                bytes.drain(i..i + label.len());
            }
        }
        for word in phrase.split(' ').filter(|w| w.len() >= 5) {
            assert!(
                !bytes.windows(word.len()).any(|x| x == word.as_bytes()),
                "{word}"
            );
        }
    }
}
