//! Private presentations: a credit credential issued with holder binding and pseudonyms and
//! without ids, shown with no DID and no holder signature. It verifies for the verifier's
//! nonce and client id only; a copy without the holder's secrets proves nothing; a verifier
//! that asks for a pseudonym context gets the same pseudonym each time, one that does not
//! gets an unrelated one each time; every change is refused.

use citywallet_core::Rejection;
use citywallet_core::credentials::pseudonym;
use citywallet_core::credentials::{CredentialType, IssuerPublicKey, IssuerSecretKey};
use citywallet_vc::derived::NymHolder;
use citywallet_vc::presentation::{from_compact, to_compact};
use citywallet_vc::{VcError, base, city, private};
use serde_json::Value;

const NOW: i64 = 1_796_000_000; // 2026-12-01

struct Citizen {
    signed: Value,
    committed: Vec<Vec<u8>>,
    blind: [u8; 32],
    nym: [u8; 32],
}

impl Citizen {
    fn holder(&self) -> NymHolder<'_> {
        NymHolder {
            committed: &self.committed,
            blind: &self.blind,
            nym_secret: &self.nym,
        }
    }
}

fn issuer() -> (IssuerSecretKey, IssuerPublicKey) {
    IssuerSecretKey::from_key_material(&[5u8; 32], None, None).expect("key")
}

/// The bureau issues a private credit credential to a citizen with holder secret `n`.
fn citizen(n: u8) -> Citizen {
    let (sk, pk) = issuer();
    let claims = [
        ("score", "742"),
        ("tier", "A"),
        ("bureau", "City Credit Bureau"),
        ("date", "2026-11-30"),
    ];
    let issuer = city::issuer_iri("city-credit-bureau");
    let doc = city::private_document(&city::Draft {
        kind: CredentialType::Credit,
        id: "",
        issuer: &issuer,
        holder: "",
        claims: &claims,
        valid_from: "2026-11-30T00:00:00Z",
        valid_until: "2026-12-07T00:00:00Z",
    })
    .expect("document");
    assert!(doc.get("id").is_none() && doc["credentialSubject"].get("id").is_none());
    let committed = vec![vec![n; 32]];
    let prover = pseudonym::random_scalar_bytes().expect("nym");
    let entropy = pseudonym::random_scalar_bytes().expect("entropy");
    let c = pseudonym::nym_commit(&committed, &prover).expect("commit");
    let signed = base::sign_document_nym(
        &doc,
        &base::proof_options(
            &city::verification_method("city-credit-bureau"),
            "2026-11-30T00:00:00Z",
        ),
        &city::private_mandatory_pointers(),
        &sk,
        &pk,
        &[0x42; 32],
        &c.with_proof,
        &entropy,
    )
    .expect("sign");
    Citizen {
        signed,
        committed,
        blind: *c.blind,
        nym: *pseudonym::nym_secret(&prover, &entropy).expect("nym secret"),
    }
}

fn tier() -> Vec<String> {
    vec![city::claim_pointer("tier")]
}

fn rejection(e: VcError) -> Rejection {
    match e {
        VcError::Rejected(r) => r,
        e => panic!("not a rejection: {e:?}"),
    }
}

fn show(c: &Citizen, nonce: &str, client: &str, context: Option<&str>) -> Vec<u8> {
    let vp =
        private::present(&c.signed, &tier(), nonce, client, c.holder(), context).expect("present");
    serde_json::to_vec(&vp).expect("json")
}

#[test]
fn a_private_presentation_verifies_for_its_nonce_and_verifier_only_and_names_no_one() {
    let (_, pk) = issuer();
    let alice = citizen(1);
    let bytes = show(&alice, "n-1", "officer-7", None);
    let text = String::from_utf8(bytes.clone()).expect("utf8");
    assert!(
        !text.contains("did:") && !text.contains("\"holder\""),
        "{text}"
    );
    let parsed = private::parse(&bytes).expect("parse");
    assert_eq!(parsed.issuer, "city-credit-bureau");
    let shown = parsed
        .verify_for("n-1", "officer-7", &pk, NOW, None)
        .expect("verifies");
    assert_eq!(shown.kind, CredentialType::Credit);
    assert_eq!(shown.disclosed, [("tier".to_owned(), "A".to_owned())]);
    assert!(String::from_utf8_lossy(&shown.context).starts_with(private::RANDOM_CONTEXT_PREFIX));
    // Another nonce or verifier: refused.
    for (nonce, client) in [("n-2", "officer-7"), ("n-1", "officer-8")] {
        assert_eq!(
            rejection(
                parsed
                    .verify_for(nonce, client, &pk, NOW, None)
                    .expect_err("other")
            ),
            Rejection::ChallengeMismatch
        );
    }
    // Expired by the time it is checked.
    assert_eq!(
        rejection(
            parsed
                .verify_for("n-1", "officer-7", &pk, 1_796_700_000, None)
                .expect_err("expired")
        ),
        Rejection::Expired
    );
    // The compact form is the same presentation.
    let vp: Value = serde_json::from_slice(&bytes).expect("json");
    let compact = to_compact(&vp).expect("compact");
    assert_eq!(from_compact(&compact).expect("back"), vp);
    private::parse(&compact)
        .expect("parse")
        .verify_for("n-1", "officer-7", &pk, NOW, None)
        .expect("compact verifies");
}

#[test]
fn a_copy_without_the_holder_secrets_proves_nothing() {
    let alice = citizen(1);
    let wrong_secret = vec![vec![9u8; 32]];
    let copied = NymHolder {
        committed: &wrong_secret,
        ..alice.holder()
    };
    assert!(private::present(&alice.signed, &tier(), "n", "v", copied, None).is_err());
    let wrong_nym = [3u8; 32];
    let copied = NymHolder {
        nym_secret: &wrong_nym,
        ..alice.holder()
    };
    assert!(private::present(&alice.signed, &tier(), "n", "v", copied, None).is_err());
}

#[test]
fn a_pseudonym_context_asked_for_recognises_the_citizen_and_only_there() {
    let (_, pk) = issuer();
    let (alice, bob) = (citizen(1), citizen(2));
    let ctx = "urn:citywallet:nym:org-transit-authority:season-pass";
    let nym = |c: &Citizen, nonce: &str, context: Option<&str>| {
        private::parse(&show(c, nonce, "org-transit-authority", context))
            .expect("parse")
            .verify_for(
                nonce,
                "org-transit-authority",
                &pk,
                NOW,
                context.map(str::as_bytes),
            )
            .expect("verifies")
            .pseudonym
    };
    let first = nym(&alice, "n-1", Some(ctx));
    assert_eq!(
        nym(&alice, "n-2", Some(ctx)),
        first,
        "recognised in its context"
    );
    assert_ne!(nym(&bob, "n-3", Some(ctx)), first, "another citizen");
    assert_ne!(nym(&alice, "n-4", Some("urn:citywallet:nym:other")), first);
    // Unasked, every presentation's pseudonym is another.
    assert_ne!(nym(&alice, "n-5", None), nym(&alice, "n-6", None));
    // A proof for another context does not pass as this context's.
    let elsewhere = private::parse(&show(&alice, "n-7", "org-transit-authority", Some("urn:x")))
        .expect("parse");
    assert!(
        elsewhere
            .verify_for(
                "n-7",
                "org-transit-authority",
                &pk,
                NOW,
                Some(ctx.as_bytes())
            )
            .is_err()
    );
}

#[test]
fn changed_or_mixed_up_presentations_are_refused() {
    let (_, pk) = issuer();
    let alice = citizen(1);
    let vp: Value = serde_json::from_slice(&show(&alice, "n-1", "v", None)).expect("json");
    let check = |v: &Value| {
        private::parse(&serde_json::to_vec(v).expect("json"))
            .and_then(|p| p.verify_for("n-1", "v", &pk, NOW, None))
    };
    check(&vp).expect("as made");
    let mut changed = vp.clone();
    changed["verifiableCredential"][0]["credentialSubject"]["tier"] = "B".into();
    assert!(check(&changed).is_err());
    // A holder, a presentation proof or an id added: not a private presentation.
    for (key, value) in [("holder", "did:key:z6Mk"), ("proof", "x")] {
        let mut with = vp.clone();
        with[key] = value.into();
        assert_eq!(
            rejection(check(&with).expect_err(key)),
            Rejection::Malformed
        );
    }
    let mut with_id = vp.clone();
    with_id["verifiableCredential"][0]["id"] = "urn:uuid:1".into();
    assert!(check(&with_id).is_err());
    // A baseline credential with ids is not presented this way.
    let mut not_private = alice.signed.clone();
    not_private["id"] = "urn:uuid:2".into();
    assert!(private::present(&not_private, &tier(), "n", "v", alice.holder(), None).is_err());
}

/// Two citizens showing the same claims to the same verifier: the same size.
#[test]
fn two_citizens_presentations_of_the_same_claims_have_the_same_length() {
    let (alice, bob) = (citizen(1), citizen(2));
    let a = show(&alice, "n-1", "officer-7", None);
    let b = show(&bob, "n-1", "officer-7", None);
    assert_eq!(a.len(), b.len());
    let compact = |bytes: &[u8]| {
        to_compact(&serde_json::from_slice(bytes).expect("json"))
            .expect("compact")
            .len()
    };
    assert_eq!(compact(&a), compact(&b));
    println!(
        "private presentation: {} B JSON, {} B compact",
        a.len(),
        compact(&a)
    );
}
