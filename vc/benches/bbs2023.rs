//! `cargo bench -p citywallet-vc --bench bbs2023`: the `bbs-2023` cryptosuite on a VC 2.0
//! credential of 8 and of 20 claims (mandatory: the issuer; disclosed: a quarter of the
//! claims): the issuer's base proof, the holder's derived proof, the verifier's check, each
//! with its JSON-LD expansion and canonicalisation. Then the sizes of a derived proof value
//! and document, and the QR version a derived document would need.

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

criterion_group!(benches, suite, presentation);
criterion_main!(benches);
