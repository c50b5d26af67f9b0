//! Published third-party vectors from `../shared/vectors`, each its own test case:
//! BIP39 (trezor/python-mnemonic), SLIP-0010 ed25519 (satoshilabs/slips), did:key
//! (w3c-ccg/did-method-key).

use std::path::PathBuf;

use citywallet_core::hazmat;
use citywallet_core::keys::{PublicKey, RecoveryPhrase};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors")
}

fn load(rel: &str) -> Value {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), Failed> {
    if ok { Ok(()) } else { Err(what().into()) }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn bip39_trials() -> Vec<Trial> {
    let data = load("bip39/vectors_english.json");
    let passphrase = text(&data["passphrase"]);
    let entries = data["english"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 24, "the English BIP39 set has 24 vectors");
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let passphrase = passphrase.clone();
            Trial::test(format!("bip39::english_{i:02}"), move || {
                let entropy = hex::decode(text(&entry[0]))?;
                let words = text(&entry[1]);
                let seed = hex::decode(text(&entry[2]))?;

                let made = RecoveryPhrase::from_entropy(&entropy)?;
                check(*made.phrase() == words, || {
                    "entropy → phrase differs".into()
                })?;
                let parsed = RecoveryPhrase::parse(&words)?;
                check(*parsed.entropy() == entropy, || {
                    "phrase → entropy differs".into()
                })?;
                let derived = parsed.to_seed(&passphrase);
                check(hazmat::seed_bytes(&derived)[..] == seed[..], || {
                    "phrase + passphrase → seed differs".into()
                })
            })
        })
        .collect()
}

fn slip10_trials() -> Vec<Trial> {
    let data = load("slip10/slip10_ed25519.json");
    let mut trials = Vec::new();
    for (v, vector) in data["vectors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let seed = text(&vector["seed"]);
        for chain in vector["chains"].as_array().cloned().unwrap_or_default() {
            let seed = seed.clone();
            let name = format!("slip10::vector{}::{}", v + 1, text(&chain["path"]));
            trials.push(Trial::test(name, move || {
                let seed = hex::decode(seed)?;
                let indices: Vec<u32> = chain["path_indices"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| i.as_u64())
                            .map(|i| i as u32)
                            .collect()
                    })
                    .unwrap_or_default();
                let secret = hazmat::slip10_ed25519_secret(&seed, &indices)?;
                check(hex::encode(secret) == text(&chain["private_key"]), || {
                    format!("private key {} differs", hex::encode(secret))
                })?;
                let public = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
                check(
                    hex::encode(public.as_bytes()) == text(&chain["public_key_raw"]),
                    || "public key differs".into(),
                )
            }));
        }
    }
    assert_eq!(
        trials.len(),
        12,
        "SLIP-0010 has 2 ed25519 vectors of 6 chains"
    );
    trials
}

fn did_key_trials() -> Vec<Trial> {
    let data = load("did-key/ed25519-x25519.json");
    let entries = data.as_object().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 5, "the did:key Ed25519 set has 5 vectors");
    entries
        .into_iter()
        .map(|(did, entry)| {
            Trial::test(format!("did_key::{did}"), move || {
                let seed: [u8; 32] = hex::decode(text(&entry["seed"]))?
                    .try_into()
                    .map_err(|_| "seed is not 32 bytes")?;
                let vk = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
                let public = PublicKey::from_bytes(vk.as_bytes()).ok_or("not a point")?;
                check(public.did_key() == did, || {
                    format!("got {}", public.did_key())
                })?;
                let method = &entry["verificationKeyPair"];
                if let Some(b58) = method["publicKeyBase58"].as_str() {
                    check(bs58_decode(b58)? == public.to_bytes(), || {
                        "publicKeyBase58 differs".into()
                    })?;
                }
                check(text(&method["controller"]) == did, || {
                    "controller differs".into()
                })
            })
        })
        .collect()
}

/// Base58 (Bitcoin alphabet), written out here so the check does not share code with the
/// encoder under test.
fn bs58_decode(s: &str) -> Result<Vec<u8>, Failed> {
    const ALPHABET: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut bytes: Vec<u8> = Vec::new();
    for c in s.chars() {
        let mut carry = ALPHABET.find(c).ok_or("not base58")? as u32;
        for b in bytes.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.chars().take_while(|&c| c == '1').count();
    let mut out = vec![0u8; zeros];
    out.extend(bytes);
    Ok(out)
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = bip39_trials();
    trials.extend(slip10_trials());
    trials.extend(did_key_trials());
    libtest_mimic::run(&args, trials).exit();
}
