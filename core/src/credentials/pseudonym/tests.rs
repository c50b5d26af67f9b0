//! The -01 pseudonym fixtures of an independent implementation (grotto, see
//! `core/tests/fixtures/bbs-nym/SOURCES.md`), reproduced byte for byte, one test per file,
//! and the refusals around them.

use serde_json::Value;

use super::*;

const GROTTO_API_ID: &[u8] = API_ID;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/bbs-nym/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex")).expect("hex")
}

fn sc(v: &Value) -> Scalar {
    let hex = format!("{:0>64}", v.as_str().expect("hex"));
    scalar(&hex::decode(hex).expect("hex").try_into().expect("32")).expect("scalar")
}

fn messages() -> Vec<Vec<u8>> {
    fixture("messages.json")
        .as_array()
        .expect("list")
        .iter()
        .map(bytes)
        .collect()
}

fn seeded(f: &Value, op: &str, count: usize) -> Vec<Scalar> {
    let rng = &f["mockRngParameters"];
    seeded_scalars(
        rng["SEED"].as_str().expect("seed").as_bytes(),
        rng[op]["DST"].as_str().expect("dst").as_bytes(),
        count,
    )
}

#[test]
fn nym_commit001_the_commitment_is_reproduced_and_validates() {
    let f = fixture("nym_commit001.json");
    assert!(f["committedMessages"].as_array().expect("list").is_empty());
    let rand = seeded(&f, "commit", 3);
    assert_eq!(rand[0], sc(&f["proverBlind"]));
    let (with_proof, blind) = nym_commit_with(&[], &sc(&f["proverNym"]), &rand, GROTTO_API_ID);
    assert_eq!(
        hex::encode(&with_proof),
        f["commitmentWithProof"].as_str().expect("hex")
    );
    assert_eq!(blind, sc(&f["proverBlind"]));
    assert_eq!(committed_count(with_proof.len()), Some(1));

    let gens = blind_generators(2, GROTTO_API_ID);
    assert!(validate_commit(&with_proof, &gens, GROTTO_API_ID).is_some());
    // A changed scalar, a wrong number of generators, a short one: refused.
    let mut changed = with_proof.clone();
    changed[60] ^= 1;
    assert!(validate_commit(&changed, &gens, GROTTO_API_ID).is_none());
    assert!(
        validate_commit(
            &with_proof,
            &blind_generators(3, GROTTO_API_ID),
            GROTTO_API_ID
        )
        .is_none()
    );
    assert!(validate_commit(&with_proof[..POINT], &gens, GROTTO_API_ID).is_none());
}

/// zkryptium's draft -03 commitment fixtures with one prover nym, which -01 computes the
/// same way (see the fixtures' SOURCES.md).
fn zkryptium_commitment_reproduced(name: &str) {
    let f = fixture(&format!("zkryptium-03/{name}"));
    let committed: Vec<Vec<u8>> = f["committedMessages"]
        .as_array()
        .expect("list")
        .iter()
        .map(bytes)
        .collect();
    let nyms = f["proverNyms"].as_array().expect("nyms");
    assert_eq!(nyms.len(), 1);
    let rand = seeded(&f, "commit", committed.len() + 3);
    let (with_proof, blind) = nym_commit_with(&committed, &sc(&nyms[0]), &rand, GROTTO_API_ID);
    assert_eq!(
        hex::encode(&with_proof),
        f["commitmentWithProof"].as_str().expect("hex")
    );
    assert_eq!(blind, sc(&f["proverBlind"]));
    assert_eq!(committed_count(with_proof.len()), Some(committed.len() + 1));
    let gens = blind_generators(committed.len() + 2, GROTTO_API_ID);
    assert!(validate_commit(&with_proof, &gens, GROTTO_API_ID).is_some());
}

#[test]
fn zkryptium_nym_commit001_reproduced() {
    zkryptium_commitment_reproduced("nymCommit001.json");
}

#[test]
fn zkryptium_nym_commit002_with_five_committed_messages_reproduced() {
    zkryptium_commitment_reproduced("nymCommit002.json");
}

#[test]
fn nym_signature001_the_signature_is_reproduced_and_verifies_with_the_nym_secret() {
    let f = fixture("nymSignature001.json");
    let sk = sc(&f["signerKeyPair"]["secretKey"]);
    let pk = bytes(&f["signerKeyPair"]["publicKey"]);
    let header = bytes(&f["header"]);
    let entropy = sc(&f["signer_nym_entropy"]);
    let commitment = bytes(&f["commitmentWithProof"]);
    let msgs = messages();
    let sig = blind_sign_with_nym_in(
        &sk,
        &pk,
        &commitment,
        &header,
        &msgs,
        &entropy,
        GROTTO_API_ID,
    )
    .expect("sign");
    assert_eq!(hex::encode(sig), f["signature"].as_str().expect("hex"));

    let nym = sc(&f["proverNym"]) + entropy;
    assert_eq!(nym, sc(&f["nym_secret"]));
    let blind = sc(&f["proverBlind"]);
    assert!(verify_in(
        &pk,
        &sig,
        &header,
        &msgs,
        &[],
        &nym,
        &blind,
        GROTTO_API_ID
    ));
    // The prover's part alone, another blind, another message: not this signature.
    assert!(!verify_in(
        &pk,
        &sig,
        &header,
        &msgs,
        &[],
        &sc(&f["proverNym"]),
        &blind,
        GROTTO_API_ID
    ));
    assert!(!verify_in(
        &pk,
        &sig,
        &header,
        &msgs,
        &[],
        &nym,
        &(blind + Scalar::ONE),
        GROTTO_API_ID
    ));
    let mut other = msgs.clone();
    other[3][0] ^= 1;
    assert!(!verify_in(
        &pk,
        &sig,
        &header,
        &other,
        &[],
        &nym,
        &blind,
        GROTTO_API_ID
    ));
    // A commitment whose proof fails is not signed.
    let mut bad = commitment.clone();
    bad[70] ^= 1;
    assert!(
        blind_sign_with_nym_in(&sk, &pk, &bad, &header, &msgs, &entropy, GROTTO_API_ID).is_none()
    );
}

#[test]
fn nym_proof001_the_proof_and_pseudonym_are_reproduced_and_verify() {
    let f = fixture("nymProof001.json");
    let pk = bytes(&f["signerPublicKey"]);
    let sig = bytes(&f["signature"]);
    let header = bytes(&f["header"]);
    let ph = bytes(&f["presentationHeader"]);
    let context = bytes(&f["context_id"]);
    let msgs = messages();
    assert_eq!(f["L"].as_u64(), Some(msgs.len() as u64));
    let disclosed: Vec<usize> = serde_json::from_value(f["disclosedIndexes"].clone()).expect("idx");
    let nym = sc(&f["nym_secret"]);
    let blind = sc(&f["proverBlind"]);
    let undisclosed = msgs.len() + 2 - disclosed.len();
    let rand = seeded(&f, "proof", 5 + undisclosed);
    assert_eq!(rand[0], sc(&f["trace"]["randomScalars"]["r1"]));

    let input = ProofInput {
        pk: &pk,
        signature: &sig,
        header: &header,
        ph: &ph,
        context_id: &context,
        messages: &msgs,
        committed: &[],
        disclosed: &disclosed,
    };
    let made = proof_gen_in(&input, &nym, &blind, &rand, GROTTO_API_ID).expect("proof");
    assert_eq!(
        hex::encode(made.pseudonym),
        f["pseudonym"].as_str().expect("hex")
    );
    assert_eq!(hex::encode(&made.proof), f["proof"].as_str().expect("hex"));

    let shown: Vec<Vec<u8>> = disclosed.iter().map(|i| msgs[*i].clone()).collect();
    let verify = |proof: &[u8], pseudonym: &[u8], context: &[u8], ph: &[u8], shown: &[Vec<u8>]| {
        proof_verify_in(
            &VerifyInput {
                pk: &pk,
                proof,
                header: &header,
                ph,
                pseudonym,
                context_id: context,
                signer_messages: msgs.len(),
                disclosed_messages: shown,
                disclosed: &disclosed,
            },
            GROTTO_API_ID,
        )
    };
    assert!(verify(&made.proof, &made.pseudonym, &context, &ph, &shown));
    // Another context's pseudonym, another context, presentation header or message, a
    // changed proof byte, a cut proof: each refused.
    let other = context_point(b"another verifier", GROTTO_API_ID) * nym;
    assert!(!verify(
        &made.proof,
        &other.to_affine().to_compressed(),
        &context,
        &ph,
        &shown
    ));
    assert!(!verify(
        &made.proof,
        &made.pseudonym,
        b"another verifier",
        &ph,
        &shown
    ));
    assert!(!verify(
        &made.proof,
        &made.pseudonym,
        &context,
        b"another",
        &shown
    ));
    let mut changed_msg = shown.clone();
    changed_msg[1][0] ^= 1;
    assert!(!verify(
        &made.proof,
        &made.pseudonym,
        &context,
        &ph,
        &changed_msg
    ));
    for at in [0, 50, 100, 150, 200, made.proof.len() - 1] {
        let mut p = made.proof.clone();
        p[at] ^= 1;
        assert!(
            !verify(&p, &made.pseudonym, &context, &ph, &shown),
            "byte {at}"
        );
    }
    assert!(!verify(
        &made.proof[..made.proof.len() - 32],
        &made.pseudonym,
        &context,
        &ph,
        &shown
    ));
    assert!(!verify(
        &made.proof[..100],
        &made.pseudonym,
        &context,
        &ph,
        &shown
    ));
}

#[test]
fn a_fresh_credential_with_a_pseudonym_from_commitment_to_proof() {
    let (sk, pk) = IssuerSecretKey::from_key_material(&[7u8; 32], None, None).expect("key");
    let msgs: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 9]).collect();
    let holder_secret = vec![42u8; 32];
    let prover_nym = random_scalar_bytes().expect("nym");
    let commitment = nym_commit(std::slice::from_ref(&holder_secret), &prover_nym).expect("commit");
    let entropy = random_scalar_bytes().expect("entropy");
    let sig = sk
        .blind_sign_with_nym(&pk, &commitment.with_proof, b"header", &msgs, &entropy)
        .expect("sign");
    let secret = nym_secret(&prover_nym, &entropy).expect("secret");
    let committed = [holder_secret.clone()];
    assert!(pk.verify_blind_signature_with_nym(
        &sig,
        b"header",
        &msgs,
        &committed,
        &secret,
        &commitment.blind
    ));
    let prove = |context: &[u8]| {
        pk.nym_proof_gen(
            &sig,
            b"header",
            b"ph",
            context,
            &msgs,
            &committed,
            &[1, 4],
            &secret,
            &commitment.blind,
        )
        .expect("proof")
    };
    let (a1, a2, b) = (
        prove(b"verifier A"),
        prove(b"verifier A"),
        prove(b"verifier B"),
    );
    assert_eq!(a1.pseudonym, a2.pseudonym, "stable in one context");
    assert_ne!(a1.pseudonym, b.pseudonym, "unrelated across contexts");
    assert_ne!(a1.proof, a2.proof, "fresh randomness");
    assert_eq!(Some(a1.pseudonym), pseudonym(&secret, b"verifier A"));
    let shown = [msgs[1].clone(), msgs[4].clone()];
    for (p, ctx) in [(&a1, &b"verifier A"[..]), (&b, &b"verifier B"[..])] {
        assert!(pk.nym_proof_verify(
            &p.proof,
            b"header",
            b"ph",
            &p.pseudonym,
            ctx,
            6,
            &shown,
            &[1, 4]
        ));
    }
    assert!(!pk.nym_proof_verify(
        &a1.proof,
        b"header",
        b"ph",
        &b.pseudonym,
        b"verifier A",
        6,
        &shown,
        &[1, 4]
    ));
    // A wrong L, indexes out of order or out of range: refused, no panic.
    assert!(!pk.nym_proof_verify(
        &a1.proof,
        b"header",
        b"ph",
        &a1.pseudonym,
        b"verifier A",
        7,
        &shown,
        &[1, 4]
    ));
    assert!(!pk.nym_proof_verify(
        &a1.proof,
        b"header",
        b"ph",
        &a1.pseudonym,
        b"verifier A",
        6,
        &shown,
        &[4, 1]
    ));
    assert!(!pk.nym_proof_verify(
        &a1.proof,
        b"header",
        b"ph",
        &a1.pseudonym,
        b"verifier A",
        3,
        &shown,
        &[1, 4]
    ));
    assert!(!pk.nym_proof_verify(
        &a1.proof,
        b"header",
        b"ph",
        &a1.pseudonym,
        b"verifier A",
        100,
        &shown,
        &[1, 4]
    ));

    // A copy of the credential without the holder's secret, or with another nym secret,
    // proves nothing.
    let other_secret = [vec![43u8; 32]];
    assert!(
        pk.nym_proof_gen(
            &sig,
            b"header",
            b"ph",
            b"verifier A",
            &msgs,
            &other_secret,
            &[1],
            &secret,
            &commitment.blind
        )
        .is_err()
    );
    let guessed = nym_secret(&prover_nym, &random_scalar_bytes().expect("r")).expect("s");
    assert!(
        pk.nym_proof_gen(
            &sig,
            b"header",
            b"ph",
            b"verifier A",
            &msgs,
            &committed,
            &[1],
            &guessed,
            &commitment.blind
        )
        .is_err()
    );
}

mod hostile {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever a verifier or an issuer is handed, the answer is a refusal, never a
        /// panic: proofs and pseudonyms of any length, any message counts and indexes, any
        /// commitment.
        #[test]
        fn random_inputs_are_refused_without_a_panic(
            proof in vec(any::<u8>(), 0..1200),
            nym in vec(any::<u8>(), 0..60),
            commitment in vec(any::<u8>(), 0..420),
            l in 0usize..40,
            disclosed in vec(0usize..50, 0..6),
        ) {
            let (sk, pk) = IssuerSecretKey::from_key_material(&[9u8; 32], None, None).expect("key");
            let shown: Vec<Vec<u8>> = disclosed.iter().map(|i| vec![*i as u8]).collect();
            prop_assert!(!pk.nym_proof_verify(&proof, b"h", b"ph", &nym, b"ctx", l, &shown, &disclosed));
            let msgs: Vec<Vec<u8>> = (0..l).map(|i| vec![i as u8]).collect();
            prop_assert!(sk.blind_sign_with_nym(&pk, &commitment, b"h", &msgs, &[1u8; 32]).is_err());
        }
    }
}
