//! The city's credential types as VC 2.0 documents with `bbs-2023` proofs: each type signs,
//! derives a presentation disclosing one claim beside the mandatory ones, and verifies;
//! claims outside the type's rules are refused.

use citywallet_core::credentials::{CredentialType, IssuerSecretKey};
use citywallet_vc::city::{self, Draft};
use citywallet_vc::{base, derived};
use serde_json::json;

fn sample(kind: CredentialType) -> Vec<(&'static str, &'static str)> {
    match kind {
        CredentialType::Credit => vec![
            ("score", "742"),
            ("tier", "A"),
            ("bureau", "City Credit Bureau"),
            ("date", "2026-11-30"),
        ],
        CredentialType::Biometric => vec![
            (
                "template_hash",
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            ),
            ("modality", "face"),
            ("office", "Civil Registry, North"),
        ],
        CredentialType::Residency => vec![("district", "Harbour"), ("since", "2019-04-01")],
        CredentialType::Officer => vec![
            ("department", "police"),
            ("badge", "PD-4471"),
            ("scopes", "verify:credit,verify:residency"),
        ],
        CredentialType::Technician => vec![
            ("department", "environment"),
            ("licence", "T-2231"),
            ("scopes", "devices:provision"),
        ],
    }
}

fn draft<'a>(kind: CredentialType, claims: &'a [(&'a str, &'a str)]) -> Draft<'a> {
    Draft {
        kind,
        id: "urn:uuid:2f1e4b7c-0d3a-4e5b-9c8d-1a2b3c4d5e6f",
        issuer: "https://city.example/issuers/bureau",
        holder: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        claims,
        valid_from: "2026-12-01T00:00:00Z",
        valid_until: "2027-12-01T00:00:00Z",
    }
}

fn options() -> serde_json::Value {
    base::proof_options(
        "https://city.example/issuers/bureau#bbs-key-1",
        "2026-12-01T00:00:00Z",
    )
}

#[test]
fn every_city_credential_type_signs_derives_and_verifies() {
    let (sk, pk) = IssuerSecretKey::from_key_material(&[5u8; 32], None, None).expect("key");
    let mandatory = city::mandatory_pointers();
    for kind in CredentialType::ALL {
        let claims = sample(kind);
        let doc = city::document(&draft(kind, &claims)).expect("document");
        let signed =
            base::sign_document(&doc, &options(), &mandatory, &sk, &pk, &[1u8; 32]).expect("sign");
        let (first, value) = claims[0];
        let shown =
            derived::derive(&signed, &[city::claim_pointer(first)], b"nonce").expect("derive");
        assert_eq!(derived::verify(&shown, &pk).expect("verifies"), b"nonce");
        let subject = &shown["credentialSubject"];
        let disclosed = subject[city::term(first)].clone();
        assert!(
            disclosed == json!(value) || disclosed == json!(value.parse::<u32>().unwrap_or(0)),
            "{kind:?}: {disclosed}"
        );
        for (name, _) in &claims[1..] {
            assert!(
                subject.get(city::term(name)).is_none(),
                "{kind:?} {name} stays hidden"
            );
        }
        assert_eq!(shown["id"], doc["id"], "the id is mandatory (revocation)");
        assert_eq!(shown["type"][1], city::type_name(kind));
    }
}

#[test]
fn claims_outside_the_rules_are_refused() {
    let code = |claims: &[(&str, &str)]| {
        city::document(&draft(CredentialType::Credit, claims))
            .expect_err("refused")
            .code()
    };
    let good = sample(CredentialType::Credit);
    let mut low = good.clone();
    low[0] = ("score", "120");
    assert_eq!(code(&low), "credential_invalid_claim");
    let mut unknown = good.clone();
    unknown.push(("income", "1"));
    assert_eq!(code(&unknown), "credential_invalid_claim");
    assert_eq!(
        code(&good[1..]),
        "credential_invalid_claim",
        "score missing"
    );
    let mut twice = good.clone();
    twice.push(("tier", "B"));
    assert_eq!(code(&twice), "credential_invalid_claim");
}
