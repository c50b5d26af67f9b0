//! Files that leave the vault: the encrypted export and the device provisioning bundle.

use citywallet_core::Error;
use citywallet_core::keys::{KeyPath, RecoveryPhrase};
use citywallet_core::vault::{DeviceBundle, Export, KdfParams, Passphrase, Vault};

const TEST_KDF: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const PASS: &str = "correct horse battery";

fn vault(dir: &std::path::Path) -> Vault {
    Vault::create(
        &dir.join("vault.db"),
        &PASS.into(),
        TEST_KDF,
        &RecoveryPhrase::generate().expect("rng"),
        "",
    )
    .expect("create")
}

#[test]
fn an_export_restores_the_same_wallet_and_only_with_its_passphrase() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut v = vault(dir.path());
    v.new_device(Some("sensor")).expect("device");
    let did = v.identity().expect("id").did;
    let export = dir.path().join("backup.cwexport");
    v.export_to(&export).expect("export");
    assert!(
        matches!(v.export_to(&export), Err(Error::Io { .. })),
        "never overwritten"
    );
    let bytes = std::fs::read(&export).expect("read");
    assert!(
        !bytes.windows(15).any(|w| w == b"SQLite format 3"),
        "encrypted"
    );

    let restored = dir.path().join("restored/vault.db");
    let err = Vault::import_from(&export, &restored, &"wrong passphrase".into())
        .expect_err("wrong passphrase");
    assert!(matches!(err, Error::WrongPassphrase), "{err:?}");
    assert!(!restored.exists(), "a failed import leaves nothing");
    let r = Vault::import_from(&export, &restored, &PASS.into()).expect("import");
    assert_eq!(r.identity().expect("id").did, did);
    assert_eq!(r.devices().expect("devices").len(), 1);

    std::fs::write(dir.path().join("junk"), b"{\"format\":\"nope\"}").expect("write");
    let err = Vault::import_from(
        &dir.path().join("junk"),
        &dir.path().join("other.db"),
        &PASS.into(),
    )
    .expect_err("junk");
    assert!(matches!(err, Error::InvalidExport), "{err:?}");
}

#[test]
fn a_device_bundle_opens_only_with_the_device_passphrase_and_unchanged() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut v = vault(dir.path());
    let d = v.new_device(None).expect("device");
    let anchor = serde_json::json!({ "chainId": "c", "height": 5, "hash": "AB" });
    let device_pass = Passphrase::from("device pass 123");
    assert!(matches!(
        v.device_bundle(d.index, "aq-1", &"short".into(), anchor.clone()),
        Err(Error::WeakPassphrase { .. })
    ));
    assert!(matches!(
        v.device_bundle(
            d.index,
            "aq-1",
            &device_pass,
            serde_json::json!({ "height": 0.5 })
        ),
        Err(Error::InvalidCredential { .. })
    ));
    let bundle = v
        .device_bundle(d.index, "aq-1", &device_pass, anchor)
        .expect("bundle");
    assert_eq!(bundle.public_key, d.public_key_hex);
    let json = serde_json::to_string(&bundle).expect("json");
    let back = DeviceBundle::from_json(json.as_bytes()).expect("parse");
    // The shape is checked on parsing, before any key derivation.
    let mut short_seal = back.clone();
    short_seal.sealed_secret_key.truncate(40);
    let mut costly = back.clone();
    costly.kdf.m_cost_kib = 4_000_000;
    let mut float_anchor = back.clone();
    float_anchor.trust_anchor["height"] = serde_json::json!(5.5e32);
    let oversized = vec![b' '; citywallet_core::vault::MAX_BUNDLE_BYTES + 1];
    for (what, bytes) in [
        (
            "a short seal",
            serde_json::to_vec(&short_seal).expect("json"),
        ),
        ("other costs", serde_json::to_vec(&costly).expect("json")),
        // A float need not read back to the text the seal covered.
        (
            "a float in the anchor",
            serde_json::to_vec(&float_anchor).expect("json"),
        ),
        ("too large", oversized),
        ("not JSON", b"{\"format\":".to_vec()),
    ] {
        assert!(
            matches!(
                DeviceBundle::from_json(&bytes),
                Err(Error::InvalidCredential { .. })
            ),
            "{what}"
        );
    }
    let secret = back.open(&device_pass).expect("open");
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    assert_eq!(
        hex::encode(key.verifying_key().to_bytes()),
        d.public_key_hex
    );
    let same = v
        .key_pair(KeyPath::device(u64::from(d.index)).expect("path"))
        .expect("key");
    assert_eq!(same.public().to_hex(), d.public_key_hex);

    assert!(matches!(
        back.open(&"wrong device pass".into()),
        Err(Error::WrongPassphrase)
    ));
    let mut renamed = back.clone();
    renamed.device_id = "aq-2".into();
    assert!(renamed.open(&device_pass).is_err(), "the id is bound");
    // Every other field is bound too: the trust anchor and the nodes the device will trust,
    // the parameters, the nonce.
    type Change = fn(&mut DeviceBundle);
    let tampered: [(&str, Change); 4] = [
        ("anchor hash", |b| {
            b.trust_anchor["hash"] = serde_json::json!("CD")
        }),
        ("anchor node", |b| {
            b.trust_anchor["primary"] = serde_json::json!("http://attacker.example")
        }),
        ("anchor height", |b| {
            b.trust_anchor["height"] = serde_json::json!(6)
        }),
        ("format", |b| b.format = "citywallet-device-bundle/1".into()),
    ];
    for (what, change) in tampered {
        let mut b = back.clone();
        change(&mut b);
        assert!(b.open(&device_pass).is_err(), "the {what} is bound");
    }
    let mut flipped = back;
    let mut sealed = hex::decode(&flipped.sealed_secret_key).expect("hex");
    sealed[3] ^= 1;
    flipped.sealed_secret_key = hex::encode(sealed);
    assert!(flipped.open(&device_pass).is_err(), "tampering is caught");
}

#[test]
fn onboarding_word_checks_pass_only_for_the_right_words() {
    let dir = tempfile::tempdir().expect("tmp");
    let phrase = RecoveryPhrase::generate().expect("rng");
    let v = Vault::create(
        &dir.path().join("v.db"),
        &PASS.into(),
        TEST_KDF,
        &phrase,
        "",
    )
    .expect("create");
    let text = phrase.phrase();
    let words: Vec<&str> = text.split(' ').collect();
    v.confirm_phrase_words(&[(3, words[2]), (17, words[16])])
        .expect("right words");
    // A word that is not the third (a phrase may repeat a word, so not simply the fourth).
    let wrong = if words[2] == "abandon" {
        "zoo"
    } else {
        "abandon"
    };
    assert!(matches!(
        v.confirm_phrase_words(&[(3, wrong)]),
        Err(Error::PhraseMismatch)
    ));
    assert!(matches!(
        v.confirm_phrase_words(&[(25, "abandon")]),
        Err(Error::PhraseMismatch)
    ));
    assert!(v.confirm_phrase_words(&[]).is_err());
}

/// The bytes of an export of a new vault in `dir`.
fn exported(dir: &std::path::Path) -> Vec<u8> {
    let export = dir.join("backup.cwexport");
    vault(dir).export_to(&export).expect("export");
    std::fs::read(&export).expect("read")
}

/// An export whose key file asks for 4 GB of Argon2id memory is refused at once, before
/// anything is written or derived.
#[test]
fn an_export_asking_for_huge_argon2_costs_is_refused_unread() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().expect("tmp");
    let mut file: serde_json::Value = serde_json::from_slice(&exported(dir.path())).expect("json");
    let kdf = b64
        .decode(file["kdf"].as_str().expect("kdf"))
        .expect("base64");
    let kdf: serde_json::Value = serde_json::from_slice(&kdf).expect("kdf json");
    for (field, value) in [
        ("m_cost_kib", 4_000_000_000u32),
        ("t_cost", 1_000_000),
        ("p_cost", 0),
    ] {
        let mut hostile = kdf.clone();
        hostile[field] = serde_json::json!(value);
        file["kdf"] = serde_json::json!(b64.encode(serde_json::to_vec(&hostile).expect("json")));
        let path = dir.path().join(format!("hostile-{field}.cwexport"));
        std::fs::write(&path, serde_json::to_vec(&file).expect("json")).expect("write");
        let restored = dir.path().join(format!("restored-{field}/vault.db"));
        let err = Vault::import_from(&path, &restored, &PASS.into()).expect_err(field);
        assert!(
            matches!(err, Error::KdfParamsOutOfRange { .. }),
            "{field}: {err:?}"
        );
        assert_eq!(err.code(), "kdf_params_out_of_range");
        assert!(
            !restored.parent().expect("dir").exists(),
            "{field}: nothing written"
        );
    }
}

/// An export is parsed whole before anything is written: a database cut short of a page,
/// bad base64 or another format is `invalid_export`.
#[test]
fn an_export_is_checked_before_anything_is_written() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().expect("tmp");
    let raw = exported(dir.path());
    let parsed = Export::parse(&raw).expect("a real export parses");
    assert_eq!(parsed.database.len() % 512, 0);
    let file: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    let cut = {
        let mut f = file.clone();
        f["database"] = serde_json::json!(b64.encode(&parsed.database[..1000]));
        f
    };
    let other_format = {
        let mut f = file.clone();
        f["format"] = serde_json::json!("citywallet-vault-export/9");
        f
    };
    let bad_base64 = {
        let mut f = file;
        f["kdf"] = serde_json::json!("not base64!");
        f
    };
    for (what, f) in [
        ("cut short", cut),
        ("format", other_format),
        ("base64", bad_base64),
    ] {
        let bytes = serde_json::to_vec(&f).expect("json");
        let err = Export::parse(&bytes).expect_err(what);
        assert_eq!(err.code(), "invalid_export", "{what}");
        let path = dir
            .path()
            .join(format!("{}.cwexport", what.replace(' ', "-")));
        std::fs::write(&path, &bytes).expect("write");
        let restored = dir
            .path()
            .join(format!("r-{}/vault.db", what.replace(' ', "-")));
        assert!(Vault::import_from(&path, &restored, &PASS.into()).is_err());
        assert!(
            !restored.parent().expect("dir").exists(),
            "{what}: nothing written"
        );
    }
}
