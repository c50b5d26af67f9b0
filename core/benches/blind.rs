//! `cargo bench -p citywallet-core --bench blind`: anonymous holder binding at the BBS layer
//! beside the baseline, for 8 messages disclosing 2 and 20 disclosing 5: the holder's
//! commitment to its secret, the issuer's blind signature (which checks the commitment's
//! proof), the holder's proof (which first checks the signature with its secret and blind),
//! and the verifier's check; the baseline's sign, proof and verify on the same messages.
//! Then pseudonyms with holder binding (per-verifier linkability -01, our own code): the
//! holder's commitment to its secret and `prover_nym`, the issuer's blind signature with its
//! nym entropy, the holder's proof with a pseudonym (signature checked first), the
//! verifier's check.

use std::hint::black_box;

use citywallet_core::credentials::IssuerSecretKey;
use citywallet_core::credentials::bbs::blind;
use citywallet_core::credentials::pseudonym;
use criterion::{Criterion, criterion_group, criterion_main};

const HEADER: &[u8] = &[0x3a; 64];
const PH: &[u8] = b"00112233445566778899aabbccddeeff";

fn holder_binding(c: &mut Criterion) {
    let (sk, pk) = IssuerSecretKey::generate().expect("keygen");
    let secret = vec![vec![0x8f; 32]];
    for (n, k) in [(8usize, 2usize), (20, 5)] {
        let messages: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                format!("_:b0 <https://w3id.org/citywallet#claim{i}> \"value {i}\" .\n")
                    .into_bytes()
            })
            .collect();
        let disclosed: Vec<usize> = (0..k).map(|i| i * 3).collect();
        let disclosed_msgs: Vec<Vec<u8>> = disclosed.iter().map(|&i| messages[i].clone()).collect();
        let commitment = blind::commit(&secret).expect("commit");
        let sig = sk
            .blind_sign(&pk, &commitment.with_proof, HEADER, &messages)
            .expect("blind sign");
        let proof = pk
            .blind_proof_gen(
                &sig,
                HEADER,
                PH,
                &messages,
                &secret,
                &disclosed,
                &[],
                &commitment.blind,
            )
            .expect("proof");
        let plain = sk.sign(&pk, HEADER, &messages).expect("sign");
        let plain_proof = pk
            .proof_gen(&plain, HEADER, PH, &messages, &disclosed)
            .expect("proof");

        let mut g = c.benchmark_group(format!("holder binding, {n} messages, {k} disclosed"));
        g.sample_size(20);
        g.bench_function("holder: commit to the secret", |b| {
            b.iter(|| blind::commit(black_box(&secret)).expect("commit"))
        });
        g.bench_function("issuer: blind sign (commitment checked)", |b| {
            b.iter(|| {
                sk.blind_sign(&pk, black_box(&commitment.with_proof), HEADER, &messages)
                    .expect("sign")
            })
        });
        g.bench_function("holder: blind proof (signature checked first)", |b| {
            b.iter(|| {
                pk.blind_proof_gen(
                    &sig,
                    HEADER,
                    PH,
                    &messages,
                    &secret,
                    &disclosed,
                    &[],
                    &commitment.blind,
                )
                .expect("proof")
            })
        });
        g.bench_function("verifier: blind proof verify", |b| {
            b.iter(|| {
                assert!(pk.blind_proof_verify(
                    black_box(&proof),
                    HEADER,
                    PH,
                    n,
                    &disclosed_msgs,
                    &[],
                    &disclosed,
                    &[]
                ))
            })
        });
        g.bench_function("baseline: sign", |b| {
            b.iter(|| sk.sign(&pk, HEADER, black_box(&messages)).expect("sign"))
        });
        g.bench_function("baseline: proof", |b| {
            b.iter(|| {
                pk.proof_gen(&plain, HEADER, PH, black_box(&messages), &disclosed)
                    .expect("proof")
            })
        });
        g.bench_function("baseline: verify", |b| {
            b.iter(|| {
                assert!(pk.proof_verify(
                    black_box(&plain_proof),
                    HEADER,
                    PH,
                    &disclosed_msgs,
                    &disclosed
                ))
            })
        });
        g.finish();
        println!(
            "sizes, {n} messages: commitment {} B, blind proof {} B, baseline proof {} B",
            commitment.with_proof.len(),
            proof.len(),
            plain_proof.len()
        );
    }
}

fn messages(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            format!("_:b0 <https://w3id.org/citywallet#claim{i}> \"value {i}\" .\n").into_bytes()
        })
        .collect()
}

fn pseudonyms(c: &mut Criterion) {
    let (sk, pk) = IssuerSecretKey::generate().expect("keygen");
    let secret = vec![vec![0x8f; 32]];
    let context = b"https://city.example/reports/2026-12";
    for (n, k) in [(8usize, 2usize), (20, 5)] {
        let messages = messages(n);
        let disclosed: Vec<usize> = (0..k).map(|i| i * 3).collect();
        let disclosed_msgs: Vec<Vec<u8>> = disclosed.iter().map(|&i| messages[i].clone()).collect();
        let prover_nym = pseudonym::random_scalar_bytes().expect("nym");
        let entropy = pseudonym::random_scalar_bytes().expect("entropy");
        let nym = pseudonym::nym_secret(&prover_nym, &entropy).expect("nym secret");
        let commitment = pseudonym::nym_commit(&secret, &prover_nym).expect("commit");
        let sig = sk
            .blind_sign_with_nym(&pk, &commitment.with_proof, HEADER, &messages, &entropy)
            .expect("sign");
        let prove = || {
            pk.nym_proof_gen(
                &sig,
                HEADER,
                PH,
                context,
                &messages,
                &secret,
                &disclosed,
                &nym,
                &commitment.blind,
            )
            .expect("proof")
        };
        let proof = prove();
        let mut g = c.benchmark_group(format!(
            "pseudonym with holder binding, {n} messages, {k} disclosed"
        ));
        g.sample_size(20);
        g.bench_function("holder: commit to the secret and prover nym", |b| {
            b.iter(|| pseudonym::nym_commit(black_box(&secret), &prover_nym).expect("commit"))
        });
        g.bench_function(
            "issuer: blind sign with nym entropy (commitment checked)",
            |b| {
                b.iter(|| {
                    sk.blind_sign_with_nym(
                        &pk,
                        black_box(&commitment.with_proof),
                        HEADER,
                        &messages,
                        &entropy,
                    )
                    .expect("sign")
                })
            },
        );
        g.bench_function(
            "holder: proof with pseudonym (signature checked first)",
            |b| b.iter(prove),
        );
        g.bench_function("verifier: proof with pseudonym verify", |b| {
            b.iter(|| {
                assert!(pk.nym_proof_verify(
                    black_box(&proof.proof),
                    HEADER,
                    PH,
                    &proof.pseudonym,
                    context,
                    n,
                    &disclosed_msgs,
                    &disclosed
                ))
            })
        });
        g.finish();
        println!(
            "sizes, {n} messages: nym commitment {} B, proof {} B + pseudonym {} B",
            commitment.with_proof.len(),
            proof.proof.len(),
            proof.pseudonym.len()
        );
    }
}

criterion_group!(benches, holder_binding, pseudonyms);
criterion_main!(benches);
