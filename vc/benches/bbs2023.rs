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

criterion_group!(benches, suite);
criterion_main!(benches);
