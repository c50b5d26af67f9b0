//! The blind BBS signature fixtures (draft-irtf-cfrg-bbs-blind-signatures, as zkryptium
//! ships them; `tests/fixtures/bbs-blind/SOURCES.md`), one test per file, through the core's
//! `bbs::blind` API: every signature is reproduced byte for byte from its commitment (the
//! blind signature is deterministic) and verified by the holder; every proof verifies, and
//! one changed byte does not. Commitments and proofs use the draft's mocked randomness,
//! which only zkryptium's own test build has: they are checked, not regenerated. Then the
//! refusals the core adds to zkryptium's (no commitment, a malformed one, a proof whose
//! counts would underflow).

use citywallet_core::credentials::IssuerSecretKey;
use citywallet_core::credentials::bbs::blind;
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bbs-blind/");

fn fixture(name: &str) -> Value {
    let bytes = std::fs::read(format!("{DIR}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_slice(&bytes).expect("json")
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap_or_default()).expect("hex")
}

fn list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(bytes).collect())
        .unwrap_or_default()
}

/// `{"index": hex}` as ascending indexes and their messages.
fn revealed(v: &Value) -> (Vec<usize>, Vec<Vec<u8>>) {
    let mut pairs: Vec<(usize, Vec<u8>)> = v
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, m)| (k.parse().expect("index"), bytes(m)))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort_by_key(|(i, _)| *i);
    pairs.into_iter().unzip()
}

fn blind32(v: &Value) -> [u8; 32] {
    bytes(v).try_into().expect("32 bytes")
}

fn signature_case(name: &str) {
    let f = fixture(&format!("signature/{name}.json"));
    let (sk, pk) =
        IssuerSecretKey::from_bytes(&bytes(&f["signerKeyPair"]["secretKey"])).expect("secret key");
    assert_eq!(
        pk.to_bytes().to_vec(),
        bytes(&f["signerKeyPair"]["publicKey"])
    );
    let cwp = bytes(&f["commitmentWithProof"]);
    let header = bytes(&f["header"]);
    let messages = list(&f["messages"]);
    let signed = sk.blind_sign(&pk, &cwp, &header, &messages);
    if cwp.is_empty() {
        // The draft signs without a commitment; the core refuses: a blind signature with
        // nothing blinded binds the credential to no holder.
        assert!(signed.is_err(), "{name}: signed without a commitment");
        return;
    }
    let sig = signed.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        sig.to_vec(),
        bytes(&f["signature"]),
        "{name}: the signature"
    );
    let committed = list(&f["committedMessages"]);
    let blind = blind32(&f["proverBlind"]);
    assert!(pk.verify_blind_signature(&sig, &header, &messages, &committed, &blind));
    let mut other = committed.clone();
    other.push(b"one more".to_vec());
    assert!(!pk.verify_blind_signature(&sig, &header, &messages, &other, &blind));
}

fn proof_case(name: &str) {
    let f = fixture(&format!("proof/{name}.json"));
    let pk =
        citywallet_core::credentials::IssuerPublicKey::from_bytes(&bytes(&f["signerPublicKey"]))
            .expect("public key");
    let proof = bytes(&f["proof"]);
    let header = bytes(&f["header"]);
    let ph = bytes(&f["presentationHeader"]);
    let l = f["L"].as_u64().expect("L") as usize;
    let (idx, msgs) = revealed(&f["revealedMessages"]);
    let (cidx, cmsgs) = revealed(&f["revealedCommittedMessages"]);
    let ok = pk.blind_proof_verify(&proof, &header, &ph, l, &msgs, &cmsgs, &idx, &cidx);
    assert_eq!(ok, f["result"]["valid"].as_bool().expect("valid"), "{name}");
    let mut tampered = proof.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    assert!(!pk.blind_proof_verify(&tampered, &header, &ph, l, &msgs, &cmsgs, &idx, &cidx));
    assert!(
        !pk.blind_proof_verify(&proof, &header, b"another", l, &msgs, &cmsgs, &idx, &cidx),
        "{name}: bound to its presentation header"
    );
}

fn commit_case(name: &str) {
    let f = fixture(&format!("commit/{name}.json"));
    let cwp = bytes(&f["commitmentWithProof"]);
    let committed = list(&f["committedMessages"]);
    assert_eq!(
        blind::committed_count(cwp.len()),
        Some(committed.len()),
        "{name}"
    );
    // A fresh commitment to the same messages has the same shape, and an issuer signs it.
    let fresh = blind::commit(&committed).expect("commit");
    assert_eq!(fresh.with_proof.len(), cwp.len());
    let (sk, pk) = IssuerSecretKey::from_key_material(&[7; 32], None, None).expect("key");
    let sig = sk
        .blind_sign(&pk, &fresh.with_proof, b"header", &[b"m".to_vec()])
        .expect("signed");
    assert!(pk.verify_blind_signature(&sig, b"header", &[b"m".to_vec()], &committed, &fresh.blind));
    // The fixture's commitment (made for the draft's mocked randomness) is accepted too.
    sk.blind_sign(&pk, &cwp, b"header", &[])
        .expect("the fixture's commitment");
}

macro_rules! cases {
    ($run:ident: $($name:ident),+) => {
        $(
            #[test]
            fn $name() {
                $run(stringify!($name));
            }
        )+
    };
}

cases!(signature_case: signature001, signature002, signature003, signature004, signature005);
cases!(proof_case: proof001, proof002, proof003, proof004, proof005, proof006, proof007, proof008);
cases!(commit_case: commit001, commit002);

#[test]
fn malformed_commitments_and_counts_that_would_underflow_are_refused() {
    let (sk, pk) = IssuerSecretKey::from_key_material(&[7; 32], None, None).expect("key");
    for len in [0, 1, 47, 48, 111, 113, 48 + 32 * 11] {
        assert!(
            sk.blind_sign(&pk, &vec![0xa0; len], b"h", &[]).is_err(),
            "{len} bytes"
        );
    }
    let c = blind::commit(&[b"holder secret".to_vec()]).expect("commit");
    let mut bad = c.with_proof.clone();
    bad[60] ^= 1;
    assert!(
        sk.blind_sign(&pk, &bad, b"h", &[]).is_err(),
        "a broken proof"
    );
    let messages: Vec<Vec<u8>> = (0..4).map(|i| vec![i]).collect();
    let sig = sk
        .blind_sign(&pk, &c.with_proof, b"h", &messages)
        .expect("sign");
    let proof = pk
        .blind_proof_gen(
            &sig,
            b"h",
            b"ph",
            &messages,
            &[b"holder secret".to_vec()],
            &[1],
            &[],
            &c.blind,
        )
        .expect("proof");
    assert!(pk.blind_proof_verify(&proof, b"h", b"ph", 4, &[vec![1]], &[], &[1], &[]));
    // Claiming more issuer messages than the proof can hold, or the wrong message.
    assert!(!pk.blind_proof_verify(&proof, b"h", b"ph", 400, &[vec![1]], &[], &[1], &[]));
    assert!(!pk.blind_proof_verify(&proof, b"h", b"ph", 4, &[vec![2]], &[], &[1], &[]));
    // Without the holder's blind (a copied credential), no proof can be made.
    assert!(
        pk.blind_proof_gen(
            &sig,
            b"h",
            b"ph",
            &messages,
            &[b"holder secret".to_vec()],
            &[1],
            &[],
            &[0; 32]
        )
        .is_err()
    );
    assert!(
        pk.blind_proof_gen(
            &sig,
            b"h",
            b"ph",
            &messages,
            &[b"a guess".to_vec()],
            &[1],
            &[],
            &c.blind
        )
        .is_err()
    );
}
