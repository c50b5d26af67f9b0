//! Our `bbs-2023` against Digital Bazaar's (`@digitalbazaar/bbs-2023-cryptosuite` 2.0.1 with
//! `data-integrity` and `jsonld-signatures`, `tests/interop/bbs2023.mjs`, installed by
//! `scripts/setup.sh`, no network): a credential we sign and a proof we derive verify there,
//! and changed they do not; it derives from our base proof a proof we verify; a base proof
//! it signs derives with us and verifies in both.

use std::path::{Path, PathBuf};
use std::process::Command;

use citywallet_core::credentials::{IssuerPublicKey, IssuerSecretKey};
use citywallet_vc::{base, derived};
use serde_json::{Value, json};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/bbs2023.mjs")
}

/// Run the script with `args` after writing `doc` to a file; its standard output and
/// whether it succeeded.
fn node(doc: &Value, args: &[&str]) -> (String, bool) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("doc.json");
    std::fs::write(&file, serde_json::to_vec(doc).expect("json")).expect("write");
    let out = Command::new("node")
        .arg(script())
        .arg(args[0])
        .arg(&file)
        .args(&args[1..])
        .output()
        .expect("node must be installed: run scripts/setup.sh");
    (
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        out.status.success(),
    )
}

fn credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://city.example/vocab#"}],
        "type": ["VerifiableCredential"],
        "issuer": "https://city.example/issuers/bureau",
        "validFrom": "2026-12-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:key:z6MkinteropHolder",
            "creditTier": "A",
            "score": 742,
            "bureau": "City Credit Bureau",
            "residentSince": "2019-04-01"
        }
    })
}

fn options() -> Value {
    base::proof_options(
        "https://city.example/issuers/bureau#bbs-key-1",
        "2026-12-01T00:00:00Z",
    )
}

fn keys() -> (IssuerSecretKey, IssuerPublicKey, String) {
    let (sk, pk) = IssuerSecretKey::from_key_material(&[42u8; 32], None, None).expect("key");
    let hex = pk.to_hex();
    (sk, pk, hex)
}

/// The interop credential signed by us (the issuer mandatory).
fn our_signed(sk: &IssuerSecretKey, pk: &IssuerPublicKey) -> Value {
    base::sign_document(
        &credential(),
        &options(),
        &pointers(&["/issuer"]),
        sk,
        pk,
        &[9u8; 32],
    )
    .expect("sign")
}

fn pointers(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn our_derived_proof_verifies_with_digital_bazaar() {
    let (sk, pk, pk_hex) = keys();
    let signed = our_signed(&sk, &pk);
    let shown = derived::derive(
        &signed,
        &pointers(&["/credentialSubject/creditTier"]),
        b"nonce-1",
    )
    .expect("derive");
    assert!(shown["credentialSubject"].get("score").is_none());
    assert_eq!(node(&shown, &["verify", &pk_hex]), ("valid".into(), true));
    let mut changed = shown.clone();
    changed["credentialSubject"]["creditTier"] = "B".into();
    assert!(!node(&changed, &["verify", &pk_hex]).1);
    let (_, other) = IssuerSecretKey::from_key_material(&[43u8; 32], None, None).expect("key");
    let other_hex = other.to_hex();
    assert!(!node(&shown, &["verify", &other_hex]).1, "another key");
}

#[test]
fn digital_bazaar_derives_from_our_base_proof_and_we_verify_it() {
    let (sk, pk, pk_hex) = keys();
    let signed = our_signed(&sk, &pk);
    let (out, ok) = node(
        &signed,
        &["derive", &pk_hex, r#"["/credentialSubject/score"]"#],
    );
    assert!(ok, "{out}");
    let theirs: Value = serde_json::from_str(&out).expect("a derived document");
    assert_eq!(theirs["credentialSubject"]["score"], 742);
    assert!(theirs["credentialSubject"].get("creditTier").is_none());
    derived::verify(&theirs, &pk).expect("their derived proof verifies here");
}

#[test]
fn a_base_proof_digital_bazaar_signs_derives_here_and_verifies_in_both() {
    let (sk, pk, pk_hex) = keys();
    let sk_hex = hex::encode(sk.to_bytes().as_slice());
    let options = serde_json::to_string(&options()).expect("json");
    let (out, ok) = node(
        &credential(),
        &["sign", &pk_hex, &sk_hex, &options, r#"["/issuer"]"#],
    );
    assert!(ok, "{out}");
    let signed: Value = serde_json::from_str(&out).expect("a signed document");
    let shown = derived::derive(
        &signed,
        &pointers(&["/credentialSubject/bureau"]),
        b"nonce-2",
    )
    .expect("our derivation from their base proof");
    derived::verify(&shown, &pk).expect("verifies here");
    assert_eq!(node(&shown, &["verify", &pk_hex]), ("valid".into(), true));
}

/// A city credit credential (the city's context, shipped to the script as the wallet ships
/// it): our presentation of its tier verifies there.
#[test]
fn a_city_credit_credential_verifies_with_digital_bazaar() {
    use citywallet_core::credentials::CredentialType;
    use citywallet_vc::city::{self, Draft};
    let (sk, pk, pk_hex) = keys();
    let claims = [
        ("score", "742"),
        ("tier", "A"),
        ("bureau", "City Credit Bureau"),
        ("date", "2026-11-30"),
    ];
    let doc = city::document(&Draft {
        kind: CredentialType::Credit,
        id: "urn:uuid:7d1e4b7c-0d3a-4e5b-9c8d-1a2b3c4d5e6f",
        issuer: "https://city.example/issuers/bureau",
        holder: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        claims: &claims,
        valid_from: "2026-12-01T00:00:00Z",
        valid_until: "2027-12-01T00:00:00Z",
    })
    .expect("document");
    let mandatory = city::mandatory_pointers();
    let signed =
        base::sign_document(&doc, &options(), &mandatory, &sk, &pk, &[3u8; 32]).expect("sign");
    let shown =
        derived::derive(&signed, &[city::claim_pointer("tier")], b"nonce-3").expect("derive");
    assert_eq!(node(&shown, &["verify", &pk_hex]), ("valid".into(), true));
}
