//! `cargo bench -p citywallet-core --bench credentials`: BBS sign, proof generation and
//! verification for 8 messages disclosing 2 and 20 disclosing 5, raw zkryptium beside our
//! wrapper on identical inputs; then the full credit presentation (canonical encoding, proof,
//! holder signature) against raw calls on the same 5 messages; then presentation sizes.

use std::hint::black_box;

use citywallet_core::credentials::{
    Challenge, Credential, CredentialDraft, CredentialType, IssuerSecretKey, present, qr,
};
use citywallet_core::keys::{KeyPath, RecoveryPhrase};
use criterion::{Criterion, criterion_group, criterion_main};
use zkryptium::bbsplus::keys::{BBSplusPublicKey, BBSplusSecretKey};
use zkryptium::schemes::algorithms::BbsBls12381Sha256 as Suite;
use zkryptium::schemes::generics::{PoKSignature, Signature};

const HEADER: &[u8] = b"{\"v\":1,\"id\":\"urn:uuid:bench\"}";
const PH: &[u8] = b"{\"nonce\":\"00112233445566778899aabbccddeeff\"}";

fn bbs(c: &mut Criterion) {
    let (sk, pk) = IssuerSecretKey::generate().expect("keygen");
    let raw_sk = BBSplusSecretKey::from_bytes(sk.to_bytes().as_slice()).expect("sk");
    let raw_pk = BBSplusPublicKey::from_bytes(&pk.to_bytes()).expect("pk");
    for (n, k) in [(8usize, 2usize), (20, 5)] {
        let messages: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("claim{i}=value number {i}").into_bytes())
            .collect();
        let disclosed: Vec<usize> = (0..k).map(|i| i * 3).collect();
        let disclosed_msgs: Vec<Vec<u8>> = disclosed.iter().map(|&i| messages[i].clone()).collect();
        let sig = sk.sign(&pk, HEADER, &messages).expect("sign");
        let proof = pk
            .proof_gen(&sig, HEADER, PH, &messages, &disclosed)
            .expect("proof");
        let raw_sig = Signature::<Suite>::from_bytes(&sig).expect("sig");

        let mut g = c.benchmark_group(format!("bbs {n} messages, {k} disclosed"));
        g.sample_size(20);
        g.bench_function("sign: zkryptium", |b| {
            b.iter(|| {
                Signature::<Suite>::sign(Some(&messages), &raw_sk, &raw_pk, Some(HEADER))
                    .expect("sign")
            })
        });
        g.bench_function("sign: citywallet", |b| {
            b.iter(|| sk.sign(&pk, HEADER, black_box(&messages)).expect("sign"))
        });
        g.bench_function("proof gen: zkryptium", |b| {
            b.iter(|| {
                PoKSignature::<Suite>::proof_gen(
                    &raw_pk,
                    &raw_sig.to_bytes(),
                    Some(HEADER),
                    Some(PH),
                    Some(&messages),
                    Some(&disclosed),
                )
                .expect("proof")
            })
        });
        g.bench_function("proof gen: citywallet", |b| {
            b.iter(|| {
                pk.proof_gen(&sig, HEADER, PH, black_box(&messages), &disclosed)
                    .expect("proof")
            })
        });
        g.bench_function("proof verify: zkryptium", |b| {
            b.iter(|| {
                PoKSignature::<Suite>::from_bytes(&proof)
                    .and_then(|p| {
                        p.proof_verify(
                            &raw_pk,
                            Some(&disclosed_msgs),
                            Some(&disclosed),
                            Some(HEADER),
                            Some(PH),
                        )
                    })
                    .expect("valid")
            })
        });
        g.bench_function("proof verify: citywallet", |b| {
            b.iter(|| {
                assert!(pk.proof_verify(black_box(&proof), HEADER, PH, &disclosed_msgs, &disclosed))
            })
        });
        g.finish();
        println!("proof bytes, {n} messages, {k} disclosed: {}", proof.len());
    }
}

fn presentations(c: &mut Criterion) {
    let (sk, pk) = IssuerSecretKey::generate().expect("keygen");
    let holder = RecoveryPhrase::generate()
        .expect("rng")
        .to_seed("")
        .derive(KeyPath::IDENTITY)
        .expect("key");
    let claims = serde_json::json!({"score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-01"});
    let credential = Credential::issue(
        &CredentialDraft {
            id: "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
            issuer: "city-credit-bureau",
            kind: CredentialType::Credit,
            holder: &holder.public().did_key(),
            valid_from: 1_700_000_000,
            valid_until: 1_900_000_000,
            claims: claims.as_object().expect("object"),
        },
        &sk,
        &pk,
    )
    .expect("issue");
    let challenge = Challenge::new("officer-17", 1_780_000_000).expect("challenge");
    let trusted = vec![("city-credit-bureau".to_owned(), pk)];
    let p = present(&credential, &holder, &["tier", "bureau"], &challenge).expect("present");
    let compact = p.to_compact();

    let mut g = c.benchmark_group("credit presentation, 2 of 4 claims");
    g.sample_size(20);
    g.bench_function("present (proof + holder signature)", |b| {
        b.iter(|| present(&credential, &holder, &["tier", "bureau"], &challenge).expect("present"))
    });
    g.bench_function("verify compact (parse, proof, binding, schema)", |b| {
        b.iter(|| {
            citywallet_core::credentials::Presentation::from_compact(black_box(&compact))
                .and_then(|p| p.verify(&challenge, &trusted, 1_780_000_010, 300))
                .expect("valid")
        })
    });
    g.finish();
    let code = qr::encode(&compact).expect("qr");
    println!(
        "credit presentation, 2 of 4 claims: JSON {} bytes, compact {} bytes, QR version {} at level M",
        p.to_json().len(),
        compact.len(),
        qr::version(&code)
    );
}

criterion_group!(benches, bbs, presentations);
criterion_main!(benches);
