//! The W3C `vc-di-bbs` anonymous holder binding vectors
//! (`../shared/vectors/vc-di-bbs/HolderBinding`, with `FeatureInputs`) at the BBS layer, one
//! test per vector file: the holder's commitment to its secret is one an issuer takes; the
//! issuer's blind signature over the 23 non-mandatory statements is reproduced byte for
//! byte; the holder verifies it with its secret and blind; the vector's derived BBS proof
//! verifies with the 23 issuer messages and the selected ones, and fails with anything else.
//! Then the proof values: the vector's base proof value (`d9 5d 04`) and derived proof
//! value (`d9 5d 05`, with the number of issuer messages) are parsed and written again
//! byte for byte.

use citywallet_core::credentials::bbs::blind;
use citywallet_core::credentials::{IssuerPublicKey, IssuerSecretKey};
use citywallet_vc::base::{BaseProof, Feature};
use citywallet_vc::derived::DerivedProof;
use serde_json::Value;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/vc-di-bbs/"
);

fn json(name: &str) -> Value {
    let bytes = std::fs::read(format!("{DIR}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_slice(&bytes).expect("json")
}

fn hex_of(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

fn keys() -> (IssuerSecretKey, IssuerPublicKey) {
    let k = json("BBSKeyMaterial.json");
    let (sk, pk) = IssuerSecretKey::from_bytes(&hex_of(&k["privateKeyHex"])).expect("key");
    assert_eq!(pk.to_bytes().to_vec(), hex_of(&k["publicKeyHex"]));
    (sk, pk)
}

/// The issuer's messages: the non-mandatory statements, in index order.
fn messages() -> Vec<Vec<u8>> {
    let t = json("HolderBinding/addBaseTransform.json");
    let mut pairs: Vec<(u64, String)> = t["nonMandatory"]["value"]
        .as_array()
        .expect("map")
        .iter()
        .map(|p| {
            (
                p[0].as_u64().expect("index"),
                p[1].as_str().expect("nquad").to_owned(),
            )
        })
        .collect();
    pairs.sort_by_key(|(i, _)| *i);
    pairs.into_iter().map(|(_, q)| q.into_bytes()).collect()
}

fn header() -> Vec<u8> {
    hex_of(&json("HolderBinding/addRawBaseSignatureInfo.json")["bbsHeader"])
}

fn holder_secret() -> Vec<Vec<u8>> {
    vec![hex_of(
        &json("FeatureInputs/holderSecret.json")["holderSecretHex"],
    )]
}

fn prover_blind() -> [u8; 32] {
    hex_of(&json("HolderBinding/commitmentInfo.json")["secretProverBlind"])
        .try_into()
        .expect("32 bytes")
}

fn commitment() -> Vec<u8> {
    hex_of(&json("HolderBinding/commitmentInfo.json")["commitmentWithProof"])
}

fn numbers(v: &Value) -> Vec<usize> {
    let text = v
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string());
    serde_json::from_str::<Vec<usize>>(&text).expect("index list")
}

#[test]
fn add_hash_data_is_the_bbs_header() {
    let h = json("HolderBinding/addHashData.json");
    let mut expected = hex_of(&h["proofHash"]);
    expected.extend(hex_of(&h["mandatoryHash"]));
    assert_eq!(header(), expected);
}

#[test]
fn commitment_info_is_one_committed_message_an_issuer_takes() {
    let c = commitment();
    assert_eq!(
        blind::committed_count(c.len()),
        Some(1),
        "the holder secret alone"
    );
    let (sk, pk) = keys();
    sk.blind_sign(&pk, &c, &header(), &messages())
        .expect("a commitment the issuer takes");
    let mut broken = c.clone();
    broken[100] ^= 1;
    assert!(sk.blind_sign(&pk, &broken, &header(), &messages()).is_err());
}

#[test]
fn add_raw_base_signature_info_blind_signature_reproduced() {
    let (sk, pk) = keys();
    let info = json("HolderBinding/addRawBaseSignatureInfo.json");
    assert_eq!(info["featureOption"], "anonymous_holder_binding");
    let messages = messages();
    assert_eq!(messages.len(), 23);
    let sig = sk
        .blind_sign(&pk, &commitment(), &header(), &messages)
        .expect("blind sign");
    assert_eq!(sig.to_vec(), hex_of(&info["bbsSignature"]));
    assert!(pk.verify_blind_signature(
        &sig,
        &header(),
        &messages,
        &holder_secret(),
        &prover_blind()
    ));
    assert!(!pk.verify_blind_signature(
        &sig,
        &header(),
        &messages,
        &[b"not the holder secret".to_vec()],
        &prover_blind()
    ));
}

#[test]
fn derived_disclosure_data_proof_verifies() {
    let (_, pk) = keys();
    let d = json("HolderBinding/derivedDisclosureData.json");
    assert_eq!(d["featureOption"], "anonymous_holder_binding");
    let l: usize = d["lengthBBSMessages"]
        .as_str()
        .map(|s| s.parse().expect("number"))
        .or_else(|| d["lengthBBSMessages"].as_u64().map(|n| n as usize))
        .expect("lengthBBSMessages");
    assert_eq!(l, 23);
    let selected = numbers(&d["adjSelectiveIndexes"]);
    assert_eq!(
        selected,
        numbers(&json("HolderBinding/derivedAdjIndexes.json")["adjSelectiveIndexes"])
    );
    let ph = presentation_header(&d);
    let messages = messages();
    let disclosed: Vec<Vec<u8>> = selected.iter().map(|i| messages[*i].clone()).collect();
    let proof = hex_of(&d["bbsProof"]);
    assert!(pk.blind_proof_verify(&proof, &header(), &ph, l, &disclosed, &[], &selected, &[]));
    // The holder secret is not among the disclosed messages, and nothing else passes.
    let mut changed = disclosed.clone();
    changed[0] = b"_:b0 <urn:x> <urn:y> .\n".to_vec();
    assert!(!pk.blind_proof_verify(&proof, &header(), &ph, l, &changed, &[], &selected, &[]));
    assert!(!pk.blind_proof_verify(
        &proof,
        &header(),
        b"other",
        l,
        &disclosed,
        &[],
        &selected,
        &[]
    ));
    assert!(!pk.blind_proof_verify(
        &proof,
        &header(),
        &ph,
        l + 1,
        &disclosed,
        &[],
        &selected,
        &[]
    ));
}

#[test]
fn a_fresh_proof_from_the_vector_signature_with_the_holder_secret_verifies() {
    let (_, pk) = keys();
    let sig = hex_of(&json("HolderBinding/addRawBaseSignatureInfo.json")["bbsSignature"]);
    let messages = messages();
    let selected = numbers(&json("HolderBinding/derivedAdjIndexes.json")["adjSelectiveIndexes"]);
    let disclosed: Vec<Vec<u8>> = selected.iter().map(|i| messages[*i].clone()).collect();
    let proof = pk
        .blind_proof_gen(
            &sig,
            &header(),
            b"ph",
            &messages,
            &holder_secret(),
            &selected,
            &[],
            &prover_blind(),
        )
        .expect("proof");
    assert_eq!(
        proof.len(),
        hex_of(&json("HolderBinding/derivedDisclosureData.json")["bbsProof"]).len()
    );
    assert!(pk.blind_proof_verify(
        &proof,
        &header(),
        b"ph",
        23,
        &disclosed,
        &[],
        &selected,
        &[]
    ));
    // A copy of the credential without the holder's secret cannot make one.
    assert!(
        pk.blind_proof_gen(
            &sig,
            &header(),
            b"ph",
            &messages,
            &[vec![0; 32]],
            &selected,
            &[],
            &prover_blind()
        )
        .is_err()
    );
}

fn presentation_header(d: &Value) -> Vec<u8> {
    let o = d["presentationHeader"].as_object().expect("bytes");
    (0..o.len())
        .map(|i| o[&i.to_string()].as_u64().expect("byte") as u8)
        .collect()
}

#[test]
fn add_signed_sd_base_proof_value_written_and_read_again() {
    let info = json("HolderBinding/addRawBaseSignatureInfo.json");
    let pointers: Vec<String> =
        serde_json::from_value(json("FeatureInputs/licenseMandatory.json")).expect("pointers");
    let proof = BaseProof {
        signature: hex_of(&info["bbsSignature"]).try_into().expect("80 bytes"),
        header: header().try_into().expect("64 bytes"),
        public_key: hex_of(&info["publicKey"]).try_into().expect("96 bytes"),
        hmac_key: hex_of(&info["hmacKey"]).try_into().expect("32 bytes"),
        mandatory_pointers: pointers,
        feature: Feature::AnonymousHolderBinding,
    };
    let vector = json("HolderBinding/addSignedSDBase.json")["proof"]["proofValue"].clone();
    assert_eq!(proof.to_proof_value().expect("write"), vector);
    assert_eq!(
        BaseProof::from_proof_value(vector.as_str().expect("text")).expect("read"),
        proof
    );
    // The same parts with the baseline header are another proof value.
    let baseline = BaseProof {
        feature: Feature::Baseline,
        ..proof
    };
    assert_ne!(baseline.to_proof_value().expect("write"), vector);
}

#[test]
fn derived_reveal_document_proof_value_written_and_read_again() {
    let d = json("HolderBinding/derivedDisclosureData.json");
    let vector = json("HolderBinding/derivedRevealDocument.json")["proof"]["proofValue"].clone();
    let parsed = DerivedProof::from_proof_value(vector.as_str().expect("text")).expect("read");
    assert_eq!(parsed.bbs_proof, hex_of(&d["bbsProof"]));
    assert_eq!(parsed.length_bbs_messages, Some(23));
    assert_eq!(parsed.mandatory_indexes, numbers(&d["mandatoryIndexes"]));
    assert_eq!(parsed.selective_indexes, numbers(&d["adjSelectiveIndexes"]));
    assert_eq!(parsed.presentation_header, presentation_header(&d));
    let pairs: Vec<(String, String)> =
        serde_json::from_value(d["labelMap"]["value"].clone()).expect("map");
    assert_eq!(parsed.label_map, pairs.into_iter().collect());
    assert_eq!(parsed.to_proof_value().expect("write"), vector);
    // A holder binding proof value that claims no issuer messages, or too many, is refused.
    for l in [0, citywallet_vc::derived::MAX_BBS_MESSAGES + 1] {
        let bad = DerivedProof {
            length_bbs_messages: Some(l),
            ..parsed.clone()
        };
        let text = bad.to_proof_value().expect("write");
        assert!(DerivedProof::from_proof_value(&text).is_err(), "{l}");
    }
}

#[test]
fn the_baseline_paths_refuse_a_holder_binding_credential() {
    let signed = json("HolderBinding/addSignedSDBase.json");
    let (_, pk) = keys();
    assert!(matches!(
        citywallet_vc::base::verify_document(&signed, &pk),
        Err(citywallet_vc::VcError::ProofValue(_))
    ));
    assert!(matches!(
        citywallet_vc::derived::derive(&signed, &[], b"ph"),
        Err(citywallet_vc::VcError::ProofValue(_))
    ));
}

#[test]
fn derived_reveal_document_verifies_and_a_changed_one_does_not() {
    let (_, pk) = keys();
    let reveal = json("HolderBinding/derivedRevealDocument.json");
    let ph = citywallet_vc::derived::verify(&reveal, &pk).expect("the W3C reveal document");
    assert_eq!(
        ph,
        presentation_header(&json("HolderBinding/derivedDisclosureData.json"))
    );
    let mut changed = reveal.clone();
    changed["credentialSubject"]["driversLicense"]["issuing_country"] = "CA".into();
    assert!(citywallet_vc::derived::verify(&changed, &pk).is_err());
}

/// The whole issuer side at once: `license.json` signed with the vector's proof options,
/// mandatory pointers and the holder's commitment is `addSignedSDBase.json`, byte for byte
/// (the blind signature is deterministic).
#[test]
fn add_signed_sd_base_from_the_document() {
    let (sk, pk) = keys();
    let want = json("HolderBinding/addSignedSDBase.json");
    let mut options = want["proof"].clone();
    options.as_object_mut().expect("proof").remove("proofValue");
    let pointers: Vec<String> =
        serde_json::from_value(json("FeatureInputs/licenseMandatory.json")).expect("pointers");
    let hmac: [u8; 32] = hex_of(&json("HolderBinding/addRawBaseSignatureInfo.json")["hmacKey"])
        .try_into()
        .expect("32 bytes");
    let doc = json("FeatureInputs/license.json");
    let signed = citywallet_vc::base::sign_document_bound(
        &doc,
        &options,
        &pointers,
        &sk,
        &pk,
        &hmac,
        &commitment(),
    )
    .expect("sign");
    assert_eq!(signed["proof"], want["proof"]);
    // A commitment to two messages is not a holder binding.
    let two = blind::commit(&[vec![1; 32], vec![2; 32]]).expect("commit");
    assert!(
        citywallet_vc::base::sign_document_bound(
            &doc,
            &options,
            &pointers,
            &sk,
            &pk,
            &hmac,
            &two.with_proof
        )
        .is_err()
    );
}

/// The holder's side: from the vector's signed credential, a proof with the holder's secret
/// for the vector's selective pointers verifies; without the secret none is made.
#[test]
fn our_derived_proof_with_the_holder_secret_verifies() {
    let (_, pk) = keys();
    let signed = json("HolderBinding/addSignedSDBase.json");
    let selective: Vec<String> =
        serde_json::from_value(json("FeatureInputs/licenseSelective.json")).expect("pointers");
    let secret = holder_secret().remove(0);
    let blind = prover_blind();
    let holder = citywallet_vc::derived::Holder {
        secret: &secret,
        blind: &blind,
    };
    let derived = citywallet_vc::derived::derive_bound(&signed, &selective, b"nonce-1", holder)
        .expect("derive");
    assert_eq!(
        citywallet_vc::derived::verify(&derived, &pk).expect("verify"),
        b"nonce-1"
    );
    // What the vector's reveal document shows, this one shows (the proof differs).
    let vector = json("HolderBinding/derivedRevealDocument.json");
    assert_eq!(derived["credentialSubject"], vector["credentialSubject"]);
    let wrong = [0u8; 32];
    let copied = citywallet_vc::derived::Holder {
        secret: &wrong,
        blind: &blind,
    };
    assert!(citywallet_vc::derived::derive_bound(&signed, &selective, b"nonce-1", copied).is_err());
}
