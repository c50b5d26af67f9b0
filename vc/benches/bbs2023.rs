//! `cargo bench -p citywallet-vc --bench bbs2023`: the `bbs-2023` cryptosuite on a VC 2.0
//! credential of 8 and of 20 claims (mandatory: the issuer; disclosed: a quarter of the
//! claims): the issuer's base proof, the holder's derived proof, the verifier's check, each
//! with its JSON-LD expansion and canonicalisation. Then the sizes of a derived proof value
//! and document, and the QR version a derived document would need; then the holder binding
//! and pseudonym features beside them on the same documents.

use std::hint::black_box;

use citywallet_core::credentials::{IssuerSecretKey, qr};
use citywallet_vc::{base, derived};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

fn credential(claims: usize) -> Value {
    let mut subject = serde_json::Map::new();
    subject.insert("id".into(), "did:key:z6MkbenchHolder".into());
    for i in 0..claims {
        subject.insert(format!("claim{i}"), format!("value number {i}").into());
    }
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://city.example/vocab#"}],
        "type": ["VerifiableCredential"],
        "issuer": "https://city.example/issuers/bureau",
        "validFrom": "2026-12-01T00:00:00Z",
        "credentialSubject": subject,
    })
}

fn options() -> Value {
    base::proof_options(
        "https://city.example/issuers/bureau#bbs",
        "2026-12-01T00:00:00Z",
    )
}

fn suite(c: &mut Criterion) {
    let (sk, pk) = IssuerSecretKey::generate().expect("keygen");
    let hmac_key = [7u8; 32];
    let mandatory = vec!["/issuer".to_owned()];
    for claims in [8usize, 20] {
        let doc = credential(claims);
        let selective: Vec<String> = (0..claims / 4)
            .map(|i| format!("/credentialSubject/claim{}", i * 4))
            .collect();
        let signed =
            base::sign_document(&doc, &options(), &mandatory, &sk, &pk, &hmac_key).expect("sign");
        let shown = derived::derive(&signed, &selective, b"challenge").expect("derive");
        derived::verify(&shown, &pk).expect("verify");

        let mut g = c.benchmark_group(format!(
            "bbs-2023 {claims} claims, {} disclosed",
            selective.len()
        ));
        g.sample_size(20);
        g.bench_function("issue (base proof)", |b| {
            b.iter(|| {
                base::sign_document(black_box(&doc), &options(), &mandatory, &sk, &pk, &hmac_key)
                    .expect("sign")
            });
        });
        g.bench_function("derive", |b| {
            b.iter(|| {
                derived::derive(black_box(&signed), &selective, b"challenge").expect("derive")
            });
        });
        g.bench_function("verify", |b| {
            b.iter(|| derived::verify(black_box(&shown), &pk).expect("verify"));
        });
        g.finish();

        let value = shown["proof"]["proofValue"].as_str().map_or(0, str::len);
        let text = serde_json::to_vec(&shown).expect("json");
        let version = qr::encode(&text).map(|q| qr::version(&q));
        eprintln!(
            "sizes, {claims} claims: base proof value {} chars; derived proof value {value} chars; derived document {} bytes; QR of the document: {}",
            signed["proof"]["proofValue"].as_str().map_or(0, str::len),
            text.len(),
            version.map_or_else(
                |_| "too large for one QR code".to_owned(),
                |v| format!("version {v}")
            ),
        );
    }
}

/// A citizen's presentation of a city credit credential (4 claims, one disclosed): made
/// (derived proof and the holder's eddsa-rdfc-2022 proof) and checked (both), with the
/// sizes of its JSON and compact forms and their QR codes.
fn presentation(c: &mut Criterion) {
    use citywallet_core::credentials::{Challenge, CredentialType};
    use citywallet_vc::{city, presentation};
    let (sk, pk) = IssuerSecretKey::generate().expect("keygen");
    let holder = citywallet_core::keys::Seed::from_bytes([3; 64])
        .derive(citywallet_core::keys::KeyPath::IDENTITY)
        .expect("key");
    let did = holder.public().did_key();
    let issuer = city::issuer_iri("city-credit-bureau");
    let claims = [
        ("score", "742"),
        ("tier", "A"),
        ("bureau", "City Credit Bureau"),
        ("date", "2026-11-30"),
    ];
    let doc = city::document(&city::Draft {
        kind: CredentialType::Credit,
        id: "urn:uuid:2f1e4b7c-0d3a-4e5b-9c8d-1a2b3c4d5e6f",
        issuer: &issuer,
        holder: &did,
        claims: &claims,
        valid_from: "2026-11-01T00:00:00Z",
        valid_until: "2027-12-01T00:00:00Z",
    })
    .expect("document");
    let options = base::proof_options(
        &city::verification_method("city-credit-bureau"),
        "2026-11-01T00:00:00Z",
    );
    let signed = base::sign_document(
        &doc,
        &options,
        &city::mandatory_pointers(),
        &sk,
        &pk,
        &[9; 32],
    )
    .expect("sign");
    let challenge = Challenge::new("officer-7", 1_796_000_000).expect("challenge");
    let vp = presentation::present(
        &signed,
        &["tier"],
        &challenge,
        &holder,
        "2026-12-01T00:00:00Z",
    )
    .expect("present");
    let json = serde_json::to_vec(&vp).expect("json");
    let compact = presentation::to_compact(&vp).expect("compact");

    let mut g = c.benchmark_group("city credit credential presentation (1 of 4 claims)");
    g.sample_size(20);
    g.bench_function("holder: present (derive + holder proof)", |b| {
        b.iter(|| {
            presentation::present(
                black_box(&signed),
                &["tier"],
                &challenge,
                &holder,
                "2026-12-01T00:00:00Z",
            )
            .expect("present")
        });
    });
    g.bench_function("officer: verify (both proofs, compact form)", |b| {
        b.iter(|| {
            presentation::parse(black_box(&compact))
                .expect("parse")
                .verify(&challenge, &pk, 1_796_000_010, 300)
                .expect("verify")
        });
    });
    g.finish();
    let qr_of = |bytes: &[u8]| {
        qr::encode(bytes).map_or_else(
            |_| "too large for one QR code".to_owned(),
            |q| format!("QR version {}", qr::version(&q)),
        )
    };
    eprintln!(
        "sizes, city credit presentation: JSON {} bytes ({}); compact {} bytes ({})",
        json.len(),
        qr_of(&json),
        compact.len(),
        qr_of(&compact)
    );
}

/// The optional features beside the baseline on the same documents (8 and 20 claims, a
/// quarter disclosed), each step with its JSON-LD work: the issuer's blind signature over
/// the holder's commitment (holder binding; pseudonym with holder binding), the holder's
/// derived proof (knowledge of the holder secret; and the pseudonym for a verifier
/// context), the verifier's check. The holder's commitment itself is made once per
/// issuance and is in `core`'s `blind` bench.
fn features(c: &mut Criterion) {
    use citywallet_core::credentials::bbs::blind;
    use citywallet_core::credentials::pseudonym;
    let (sk, pk) = IssuerSecretKey::generate().expect("keygen");
    let hmac_key = [7u8; 32];
    let mandatory = vec!["/issuer".to_owned()];
    let secret = vec![vec![1u8; 32]];
    let bound = blind::commit(&secret).expect("commit");
    let prover = pseudonym::random_scalar_bytes().expect("prover nym");
    let entropy = pseudonym::random_scalar_bytes().expect("signer entropy");
    let nym = pseudonym::nym_commit(&secret, &prover).expect("nym commit");
    let nym_secret = pseudonym::nym_secret(&prover, &entropy).expect("nym secret");
    let context = b"urn:citywallet:nym:bench-verifier:entry";
    for claims in [8usize, 20] {
        let mut doc = credential(claims);
        if let Some(s) = doc["credentialSubject"].as_object_mut() {
            s.remove("id");
        }
        let selective: Vec<String> = (0..claims / 4)
            .map(|i| format!("/credentialSubject/claim{}", i * 4))
            .collect();
        let sign_bound = || {
            base::sign_document_bound(
                &doc,
                &options(),
                &mandatory,
                &sk,
                &pk,
                &hmac_key,
                &bound.with_proof,
            )
            .expect("sign bound")
        };
        let sign_nym = || {
            base::sign_document_nym(
                &doc,
                &options(),
                &mandatory,
                &sk,
                &pk,
                &hmac_key,
                &nym.with_proof,
                &entropy,
            )
            .expect("sign nym")
        };
        let holder = derived::Holder {
            secret: &secret[0],
            blind: &bound.blind,
        };
        let nym_holder = derived::NymHolder {
            committed: &secret,
            blind: &nym.blind,
            nym_secret: &nym_secret,
        };
        let (signed_bound, signed_nym) = (sign_bound(), sign_nym());
        let shown_bound =
            derived::derive_bound(&signed_bound, &selective, b"challenge", holder).expect("derive");
        let shown_nym =
            derived::derive_nym(&signed_nym, &selective, b"challenge", nym_holder, context)
                .expect("derive");
        derived::verify(&shown_bound, &pk).expect("verify bound");
        derived::verify_nym(&shown_nym, &pk, context).expect("verify nym");

        let mut g = c.benchmark_group(format!(
            "bbs-2023 features, {claims} claims, {} disclosed",
            selective.len()
        ));
        g.sample_size(20);
        g.bench_function("holder binding: issue (blind base proof)", |b| {
            b.iter(|| black_box(sign_bound()));
        });
        g.bench_function("holder binding: derive", |b| {
            b.iter(|| {
                derived::derive_bound(black_box(&signed_bound), &selective, b"challenge", holder)
                    .expect("derive")
            });
        });
        g.bench_function("holder binding: verify", |b| {
            b.iter(|| derived::verify(black_box(&shown_bound), &pk).expect("verify"));
        });
        g.bench_function("pseudonym + HB: issue (blind base proof)", |b| {
            b.iter(|| black_box(sign_nym()));
        });
        g.bench_function("pseudonym + HB: derive", |b| {
            b.iter(|| {
                derived::derive_nym(
                    black_box(&signed_nym),
                    &selective,
                    b"challenge",
                    nym_holder,
                    context,
                )
                .expect("derive")
            });
        });
        g.bench_function("pseudonym + HB: verify", |b| {
            b.iter(|| derived::verify_nym(black_box(&shown_nym), &pk, context).expect("verify"));
        });
        g.finish();
        eprintln!(
            "sizes, {claims} claims: derived document {} bytes with holder binding, {} bytes with pseudonym + HB",
            serde_json::to_vec(&shown_bound).map_or(0, |v| v.len()),
            serde_json::to_vec(&shown_nym).map_or(0, |v| v.len()),
        );
    }
}

criterion_group!(benches, suite, presentation, features);
criterion_main!(benches);
