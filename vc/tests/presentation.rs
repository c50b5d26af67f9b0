//! A holder's presentation of a city credential: derived with `bbs-2023` for the verifier's
//! challenge and signed by the holder's `did:key` with `eddsa-rdfc-2022`; it verifies for
//! that challenge only, from its holder only, with the issuer's key only, in JSON or in its
//! compact form, and every change is refused with a typed rejection.

use citywallet_core::Rejection;
use citywallet_core::credentials::{Challenge, CredentialType, IssuerSecretKey};
use citywallet_core::keys::{KeyPath, Seed};
use citywallet_vc::presentation::{self, MAX_PRESENTATION_BYTES};
use citywallet_vc::{VcError, base, city};
use serde_json::Value;

const NOW: i64 = 1_796_000_000; // 2026-12-01

fn holder(n: u8) -> citywallet_core::keys::KeyPair {
    Seed::from_bytes([n; 64])
        .derive(KeyPath::IDENTITY)
        .expect("key")
}

fn credential(holder_did: &str) -> (Value, citywallet_core::credentials::IssuerPublicKey) {
    let (sk, pk) = IssuerSecretKey::from_key_material(&[5u8; 32], None, None).expect("key");
    let claims = [
        ("score", "742"),
        ("tier", "A"),
        ("bureau", "City Credit Bureau"),
        ("date", "2026-11-30"),
    ];
    let issuer = city::issuer_iri("city-credit-bureau");
    let doc = city::document(&city::Draft {
        kind: CredentialType::Credit,
        id: "urn:uuid:2f1e4b7c-0d3a-4e5b-9c8d-1a2b3c4d5e6f",
        issuer: &issuer,
        holder: holder_did,
        claims: &claims,
        valid_from: "2026-11-01T00:00:00Z",
        valid_until: "2027-12-01T00:00:00Z",
    })
    .expect("document");
    let signed = base::sign_document(
        &doc,
        &base::proof_options(
            &city::verification_method("city-credit-bureau"),
            "2026-11-01T00:00:00Z",
        ),
        &city::mandatory_pointers(),
        &sk,
        &pk,
        &[1u8; 32],
    )
    .expect("sign");
    (signed, pk)
}

fn rejection(e: VcError) -> Rejection {
    match e {
        VcError::Rejected(r) => r,
        e => panic!("not a rejection: {e:?}"),
    }
}

#[test]
fn a_presentation_verifies_for_its_challenge_and_holder_only() {
    let alice = holder(1);
    let did = alice.public().did_key();
    let (signed, pk) = credential(&did);
    let challenge = Challenge::new("officer-7", NOW).expect("challenge");
    let vp = presentation::present(
        &signed,
        &["score"],
        &challenge,
        &alice,
        "2026-12-01T00:00:00Z",
    )
    .expect("present");
    let bytes = serde_json::to_vec(&vp).expect("json");
    let parsed = presentation::parse(&bytes).expect("parse");
    assert_eq!(parsed.issuer, "city-credit-bureau");
    let v = parsed
        .verify(&challenge, &pk, NOW + 5, 300)
        .expect("verifies");
    assert_eq!(v.kind, CredentialType::Credit);
    assert_eq!(v.holder, did);
    assert_eq!(v.disclosed, [("score".to_owned(), "742".to_owned())]);
    assert_eq!(
        v.credential_id,
        "urn:uuid:2f1e4b7c-0d3a-4e5b-9c8d-1a2b3c4d5e6f"
    );

    // The compact form is the same presentation, smaller.
    let compact = presentation::to_compact(&vp).expect("compact");
    assert!(
        compact.len() < bytes.len(),
        "{} >= {}",
        compact.len(),
        bytes.len()
    );
    assert_eq!(presentation::from_compact(&compact).expect("back"), vp);
    presentation::parse(&compact)
        .expect("parse compact")
        .verify(&challenge, &pk, NOW + 5, 300)
        .expect("compact verifies");

    // Another challenge, another verifier, a stale one.
    let other = Challenge::new("officer-7", NOW).expect("challenge");
    assert_eq!(
        rejection(parsed.verify(&other, &pk, NOW, 300).expect_err("nonce")),
        Rejection::ChallengeMismatch
    );
    let mut elsewhere = challenge.clone();
    elsewhere.verifier = "officer-8".into();
    assert_eq!(
        rejection(
            parsed
                .verify(&elsewhere, &pk, NOW, 300)
                .expect_err("domain")
        ),
        Rejection::ChallengeMismatch
    );
    assert!(matches!(
        rejection(
            parsed
                .verify(&challenge, &pk, NOW + 301, 300)
                .expect_err("stale")
        ),
        Rejection::ChallengeStale { .. }
    ));
    // Another issuer key.
    let (_, other_pk) = IssuerSecretKey::generate().expect("key");
    assert_eq!(
        rejection(
            parsed
                .verify(&challenge, &other_pk, NOW, 300)
                .expect_err("key")
        ),
        Rejection::ProofInvalid
    );
    // Expired.
    assert_eq!(
        rejection(
            parsed
                .verify(&challenge, &pk, 1_830_000_000, i64::MAX)
                .expect_err("expired")
        ),
        Rejection::Expired
    );
}

#[test]
fn changed_or_stolen_presentations_are_refused() {
    let alice = holder(1);
    let (signed, pk) = credential(&alice.public().did_key());
    let challenge = Challenge::new("officer-7", NOW).expect("challenge");
    let vp = presentation::present(
        &signed,
        &["score"],
        &challenge,
        &alice,
        "2026-12-01T00:00:00Z",
    )
    .expect("present");
    let check = |v: &Value| {
        presentation::parse(&serde_json::to_vec(v).expect("json"))
            .and_then(|p| p.verify(&challenge, &pk, NOW, 300))
            .expect_err("refused")
    };

    // A disclosed claim changed: the BBS proof fails (the holder's signature first).
    let mut changed = vp.clone();
    changed["verifiableCredential"][0]["credentialSubject"]["score"] = 800.into();
    assert_eq!(rejection(check(&changed)), Rejection::HolderBindingInvalid);

    // Mallory presents Alice's credential with her own key: the subject is not her.
    let mallory = holder(2);
    let stolen = presentation::present(
        &signed,
        &["score"],
        &challenge,
        &mallory,
        "2026-12-01T00:00:00Z",
    )
    .expect("present");
    assert_eq!(rejection(check(&stolen)), Rejection::HolderBindingInvalid);
    // Or re-signs Alice's presentation as its holder.
    let mut resigned = stolen.clone();
    resigned["holder"] = vp["holder"].clone();
    assert_eq!(rejection(check(&resigned)), Rejection::HolderBindingInvalid);

    // A derived credential presented for one challenge, re-wrapped for another.
    let later = Challenge::new("officer-7", NOW).expect("challenge");
    let mut rewrapped =
        presentation::present(&signed, &["score"], &later, &alice, "2026-12-01T00:00:00Z")
            .expect("present");
    rewrapped["verifiableCredential"] = vp["verifiableCredential"].clone();
    let err = presentation::parse(&serde_json::to_vec(&rewrapped).expect("json"))
        .and_then(|p| p.verify(&later, &pk, NOW, 300))
        .expect_err("refused");
    assert_eq!(rejection(err), Rejection::HolderBindingInvalid);

    // Shapes.
    for bad in [&b"{}"[..], b"[]", b"not json", b"CWVP\xff\xff"] {
        assert_eq!(
            rejection(presentation::parse(bad).expect_err("bad")),
            Rejection::Malformed
        );
    }
    let huge = vec![b' '; MAX_PRESENTATION_BYTES + 1];
    assert!(matches!(
        presentation::parse(&huge),
        Err(VcError::TooLarge { .. })
    ));
}

/// What the end-to-end test does to a presentation, at every position of its text: one
/// base64 character of the compact form replaced (`A`, or `B` where it is an `A`). Each
/// one is refused with a typed error, never a panic and never a pass. (A change that
/// put a percent-encoded sequence that is not UTF-8 into an IRI once panicked inside the
/// JSON-LD processor.)
#[test]
fn every_single_character_change_of_a_compact_presentation_is_a_typed_refusal() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let alice = holder(1);
    let (signed, pk) = credential(&alice.public().did_key());
    let challenge = Challenge::new("officer-7", NOW).expect("challenge");
    let vp = presentation::present(
        &signed,
        &["tier"],
        &challenge,
        &alice,
        "2026-12-01T00:00:00Z",
    )
    .expect("present");
    let text = b64.encode(presentation::to_compact(&vp).expect("compact"));
    let mut refused = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..text.len() {
        let mut chars: Vec<char> = text.chars().collect();
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let changed: String = chars.into_iter().collect();
        let Ok(bytes) = b64.decode(&changed) else {
            *refused.entry("not base64".into()).or_default() += 1;
            continue;
        };
        let outcome = std::panic::catch_unwind(|| {
            presentation::parse(&bytes).and_then(|p| p.verify(&challenge, &pk, NOW + 5, 300))
        });
        match outcome {
            Err(_) => panic!("position {i}: a panic"),
            Ok(Ok(_)) => panic!("position {i}: a changed presentation passed"),
            Ok(Err(e)) => {
                let kind = match e {
                    VcError::Rejected(r) => format!("{r:?}"),
                    other => format!("{other:?}")
                        .split('(')
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                };
                *refused.entry(kind).or_default() += 1;
            }
        }
    }
    assert_eq!(refused.values().sum::<usize>(), text.len(), "{refused:?}");
}

/// An IRI with a percent-encoded sequence that is not UTF-8 (`%ff`, `%c3(`) anywhere a
/// JSON-LD processor reads IRIs: the credential id, the holder's id, a type, a context
/// entry, a property name. Each is a typed refusal; the processor's IRI type (`iref` over
/// `pct-str`) once panicked on them, which one changed byte of a presentation can make.
#[test]
fn an_iri_whose_percent_encoding_is_not_utf8_is_refused_without_a_panic() {
    let alice = holder(1);
    let (signed, pk) = credential(&alice.public().did_key());
    let challenge = Challenge::new("officer-7", NOW).expect("challenge");
    let vp = presentation::present(
        &signed,
        &["tier"],
        &challenge,
        &alice,
        "2026-12-01T00:00:00Z",
    )
    .expect("present");
    type Edit = (&'static str, fn(&mut Value));
    let edits: [Edit; 5] = [
        ("credential id", |v| {
            v["verifiableCredential"][0]["id"] = "urn:uuid:%ff".into()
        }),
        ("holder", |v| v["holder"] = "did:key:z6Mk%c3(".into()),
        ("subject id", |v| {
            v["verifiableCredential"][0]["credentialSubject"]["id"] = "did:key:%e9".into()
        }),
        ("type", |v| {
            v["verifiableCredential"][0]["type"][1] = "urn:x:%ff".into()
        }),
        ("property", |v| {
            v["verifiableCredential"][0]["credentialSubject"]["urn:x:%ff"] = "1".into()
        }),
    ];
    for (what, edit) in edits {
        let mut changed = vp.clone();
        if changed["verifiableCredential"].is_object() {
            let one = changed["verifiableCredential"].take();
            changed["verifiableCredential"] = Value::Array(vec![one]);
        }
        edit(&mut changed);
        let bytes = serde_json::to_vec(&changed).expect("json");
        let outcome = std::panic::catch_unwind(|| {
            presentation::parse(&bytes).and_then(|p| p.verify(&challenge, &pk, NOW + 5, 300))
        });
        match outcome {
            Err(_) => panic!("{what}: a panic"),
            Ok(r) => assert!(r.is_err(), "{what}: passed"),
        }
    }
}
