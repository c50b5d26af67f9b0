//! The W3C `vc-di-bbs` pseudonym vectors (`../shared/vectors/vc-di-bbs/Pseudonym` and
//! `PseudonymHB`, with `FeatureInputs`) at the BBS layer, one test per vector file and set:
//! the holder's commitment (to `prover_nym`, and to the holder secret in the HB set) is one
//! an issuer takes; the nym secret is the prover's and the signer's parts summed; the
//! issuer's blind signature with its nym entropy is reproduced byte for byte; the vector's
//! pseudonym is the nym secret's for the verifier id; the vector's derived proof verifies
//! with it and fails with anything else. Then the proof values: the vectors write both sets'
//! base proofs with header `d9 5d 08` and the signer entropy as a CBOR bignum, and both
//! derived proofs with `d9 5d 09` and no `nym_domain`; both are read.

use citywallet_core::credentials::pseudonym;
use citywallet_core::credentials::{IssuerPublicKey, IssuerSecretKey};
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

/// A 32-byte scalar from hex the vectors sometimes write without its leading zero.
fn scalar_hex(v: &Value) -> [u8; 32] {
    let text = format!("{:0>64}", v.as_str().expect("hex"));
    hex::decode(text)
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

fn keys() -> (IssuerSecretKey, IssuerPublicKey) {
    let k = json("BBSKeyMaterial.json");
    let (sk, pk) = IssuerSecretKey::from_bytes(&hex_of(&k["privateKeyHex"])).expect("key");
    assert_eq!(pk.to_bytes().to_vec(), hex_of(&k["publicKeyHex"]));
    (sk, pk)
}

/// One of the two sets.
#[derive(Clone, Copy)]
struct Set {
    dir: &'static str,
    feature: &'static str,
    /// The committed messages besides `prover_nym`: the holder secret in the HB set.
    holder_bound: bool,
}

const PSEUDONYM: Set = Set {
    dir: "Pseudonym",
    feature: "pseudonym",
    holder_bound: false,
};
const PSEUDONYM_HB: Set = Set {
    dir: "PseudonymHB",
    feature: "holder_binding_pseudonym",
    holder_bound: true,
};

impl Set {
    fn json(self, name: &str) -> Value {
        json(&format!("{}/{name}", self.dir))
    }

    /// The issuer's messages: the non-mandatory statements, in index order.
    fn messages(self) -> Vec<Vec<u8>> {
        let t = self.json("addBaseTransform.json");
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

    fn header(self) -> Vec<u8> {
        hex_of(&self.json("addRawBaseSignatureInfo.json")["bbsHeader"])
    }

    fn committed(self) -> Vec<Vec<u8>> {
        if self.holder_bound {
            vec![hex_of(
                &json("FeatureInputs/holderSecret.json")["holderSecretHex"],
            )]
        } else {
            Vec::new()
        }
    }

    fn commitment(self) -> Vec<u8> {
        hex_of(&self.json("commitmentInfo.json")["commitmentWithProof"])
    }

    fn blind(self) -> [u8; 32] {
        scalar_hex(&self.json("commitmentInfo.json")["secretProverBlind"])
    }

    fn nym_secret(self) -> [u8; 32] {
        scalar_hex(&self.json("nymSecret.json")["nymSecretHex"])
    }
}

fn prover_nym() -> [u8; 32] {
    scalar_hex(&json("FeatureInputs/proverNym.json")["proverNymHex"])
}

fn signer_nym_entropy() -> [u8; 32] {
    scalar_hex(&json("FeatureInputs/signerNymEntropy.json")["signerNymEntropyHex"])
}

fn verifier_id() -> Vec<u8> {
    json("FeatureInputs/verifierInfo.json")["verifierId"]
        .as_str()
        .expect("text")
        .as_bytes()
        .to_vec()
}

fn numbers(v: &Value) -> Vec<usize> {
    let text = v
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string());
    serde_json::from_str::<Vec<usize>>(&text).expect("index list")
}

fn presentation_header(d: &Value) -> Vec<u8> {
    let o = d["presentationHeader"].as_object().expect("bytes");
    (0..o.len())
        .map(|i| o[&i.to_string()].as_u64().expect("byte") as u8)
        .collect()
}

fn commitment_info_is_taken(set: Set) {
    let c = set.commitment();
    let expected = set.committed().len() + 1;
    assert_eq!(
        pseudonym::committed_count(c.len()),
        Some(expected),
        "prover_nym last"
    );
    let (sk, pk) = keys();
    sk.blind_sign_with_nym(
        &pk,
        &c,
        &set.header(),
        &set.messages(),
        &signer_nym_entropy(),
    )
    .expect("a commitment the issuer takes");
    let mut broken = c.clone();
    broken[100] ^= 1;
    assert!(
        sk.blind_sign_with_nym(
            &pk,
            &broken,
            &set.header(),
            &set.messages(),
            &signer_nym_entropy()
        )
        .is_err()
    );
}

#[test]
fn pseudonym_commitment_info_is_taken() {
    commitment_info_is_taken(PSEUDONYM);
}

#[test]
fn pseudonym_hb_commitment_info_is_taken() {
    commitment_info_is_taken(PSEUDONYM_HB);
}

fn nym_secret_is_the_sum(set: Set) {
    let sum = pseudonym::nym_secret(&prover_nym(), &signer_nym_entropy()).expect("sum");
    assert_eq!(*sum, set.nym_secret());
}

#[test]
fn pseudonym_nym_secret_is_the_two_parts() {
    nym_secret_is_the_sum(PSEUDONYM);
}

#[test]
fn pseudonym_hb_nym_secret_is_the_two_parts() {
    nym_secret_is_the_sum(PSEUDONYM_HB);
}

fn signature_reproduced(set: Set) {
    let (sk, pk) = keys();
    let info = set.json("addRawBaseSignatureInfo.json");
    assert_eq!(info["featureOption"], set.feature);
    assert_eq!(
        scalar_hex(&info["signerNymEntropyHex"]),
        signer_nym_entropy()
    );
    let messages = set.messages();
    assert_eq!(messages.len(), 23);
    let sig = sk
        .blind_sign_with_nym(
            &pk,
            &set.commitment(),
            &set.header(),
            &messages,
            &signer_nym_entropy(),
        )
        .expect("sign");
    assert_eq!(sig.to_vec(), hex_of(&info["bbsSignature"]));
    let committed = set.committed();
    assert!(pk.verify_blind_signature_with_nym(
        &sig,
        &set.header(),
        &messages,
        &committed,
        &set.nym_secret(),
        &set.blind()
    ));
    // The prover's part alone is not the signed secret; nor is another holder secret.
    assert!(!pk.verify_blind_signature_with_nym(
        &sig,
        &set.header(),
        &messages,
        &committed,
        &prover_nym(),
        &set.blind()
    ));
    let other: Vec<Vec<u8>> = committed.iter().map(|_| vec![7u8; 32]).collect();
    assert_eq!(
        pk.verify_blind_signature_with_nym(
            &sig,
            &set.header(),
            &messages,
            &other,
            &set.nym_secret(),
            &set.blind()
        ),
        !set.holder_bound
    );
}

#[test]
fn pseudonym_add_raw_base_signature_info_reproduced() {
    signature_reproduced(PSEUDONYM);
}

#[test]
fn pseudonym_hb_add_raw_base_signature_info_reproduced() {
    signature_reproduced(PSEUDONYM_HB);
}

fn derived_proof_verifies(set: Set) {
    let (_, pk) = keys();
    let d = set.json("derivedDisclosureData.json");
    assert_eq!(d["featureOption"], set.feature);
    let l = d["lengthBBSMessages"].as_u64().expect("length") as usize;
    assert_eq!(l, 23);
    let selected = numbers(&d["adjSelectiveIndexes"]);
    assert_eq!(
        selected,
        numbers(&set.json("derivedAdjIndexes.json")["adjSelectiveIndexes"])
    );
    let messages = set.messages();
    let disclosed: Vec<Vec<u8>> = selected.iter().map(|i| messages[*i].clone()).collect();
    let ph = presentation_header(&d);
    let proof = hex_of(&d["bbsProof"]);
    let nym = hex_of(&d["pseudonym"]);
    assert_eq!(
        pseudonym::pseudonym(&set.nym_secret(), &verifier_id())
            .expect("pseudonym")
            .to_vec(),
        nym,
        "the nym secret's pseudonym for the verifier id"
    );
    let verify =
        |proof: &[u8], nym: &[u8], context: &[u8], ph: &[u8], l: usize, disclosed: &[Vec<u8>]| {
            pk.nym_proof_verify(
                proof,
                &set.header(),
                ph,
                nym,
                context,
                l,
                disclosed,
                &selected,
            )
        };
    assert!(verify(&proof, &nym, &verifier_id(), &ph, l, &disclosed));
    let other_nym =
        pseudonym::pseudonym(&set.nym_secret(), b"https://other.verifier.example/").expect("p");
    assert!(!verify(
        &proof,
        &other_nym,
        &verifier_id(),
        &ph,
        l,
        &disclosed
    ));
    assert!(!verify(
        &proof,
        &nym,
        b"https://other.verifier.example/",
        &ph,
        l,
        &disclosed
    ));
    assert!(!verify(
        &proof,
        &nym,
        &verifier_id(),
        b"other",
        l,
        &disclosed
    ));
    assert!(!verify(
        &proof,
        &nym,
        &verifier_id(),
        &ph,
        l + 1,
        &disclosed
    ));
    let mut changed = disclosed.clone();
    changed[0] = b"_:b0 <urn:x> <urn:y> .\n".to_vec();
    assert!(!verify(&proof, &nym, &verifier_id(), &ph, l, &changed));
}

#[test]
fn pseudonym_derived_disclosure_data_proof_verifies() {
    derived_proof_verifies(PSEUDONYM);
}

#[test]
fn pseudonym_hb_derived_disclosure_data_proof_verifies() {
    derived_proof_verifies(PSEUDONYM_HB);
}

fn fresh_proof_verifies(set: Set) {
    let (_, pk) = keys();
    let sig = hex_of(&set.json("addRawBaseSignatureInfo.json")["bbsSignature"]);
    let messages = set.messages();
    let selected = numbers(&set.json("derivedAdjIndexes.json")["adjSelectiveIndexes"]);
    let disclosed: Vec<Vec<u8>> = selected.iter().map(|i| messages[*i].clone()).collect();
    let committed = set.committed();
    let made = pk
        .nym_proof_gen(
            &sig,
            &set.header(),
            b"ph",
            &verifier_id(),
            &messages,
            &committed,
            &selected,
            &set.nym_secret(),
            &set.blind(),
        )
        .expect("proof");
    let vector = set.json("derivedDisclosureData.json");
    assert_eq!(made.proof.len(), hex_of(&vector["bbsProof"]).len());
    assert_eq!(
        made.pseudonym.to_vec(),
        hex_of(&vector["pseudonym"]),
        "the same context, the same pseudonym"
    );
    assert!(pk.nym_proof_verify(
        &made.proof,
        &set.header(),
        b"ph",
        &made.pseudonym,
        &verifier_id(),
        23,
        &disclosed,
        &selected
    ));
    // Another context: another pseudonym, and the proof verifies only with it.
    let other = pk
        .nym_proof_gen(
            &sig,
            &set.header(),
            b"ph",
            b"urn:another",
            &messages,
            &committed,
            &selected,
            &set.nym_secret(),
            &set.blind(),
        )
        .expect("proof");
    assert_ne!(other.pseudonym, made.pseudonym);
    assert!(pk.nym_proof_verify(
        &other.proof,
        &set.header(),
        b"ph",
        &other.pseudonym,
        b"urn:another",
        23,
        &disclosed,
        &selected
    ));
    // Without the nym secret, or (HB) the holder secret, no proof is made.
    assert!(
        pk.nym_proof_gen(
            &sig,
            &set.header(),
            b"ph",
            &verifier_id(),
            &messages,
            &committed,
            &selected,
            &prover_nym(),
            &set.blind()
        )
        .is_err()
    );
    if set.holder_bound {
        assert!(
            pk.nym_proof_gen(
                &sig,
                &set.header(),
                b"ph",
                &verifier_id(),
                &messages,
                &[vec![0; 32]],
                &selected,
                &set.nym_secret(),
                &set.blind()
            )
            .is_err()
        );
    }
}

#[test]
fn pseudonym_a_fresh_proof_from_the_vector_signature_verifies() {
    fresh_proof_verifies(PSEUDONYM);
}

#[test]
fn pseudonym_hb_a_fresh_proof_from_the_vector_signature_verifies() {
    fresh_proof_verifies(PSEUDONYM_HB);
}

fn base_proof_value_read(set: Set) {
    use citywallet_vc::base::{BaseProof, Feature};
    let info = set.json("addRawBaseSignatureInfo.json");
    let vector = set.json("addSignedSDBase.json")["proof"]["proofValue"].clone();
    let parsed = BaseProof::from_proof_value(vector.as_str().expect("text")).expect("read");
    assert_eq!(parsed.signature.to_vec(), hex_of(&info["bbsSignature"]));
    assert_eq!(parsed.header.to_vec(), set.header());
    assert_eq!(parsed.public_key.to_vec(), hex_of(&info["publicKey"]));
    assert_eq!(parsed.hmac_key.to_vec(), hex_of(&info["hmacKey"]));
    assert_eq!(
        parsed.mandatory_pointers,
        serde_json::from_value::<Vec<String>>(info["mandatoryPointers"].clone()).expect("pointers")
    );
    // Both sets carry `d9 5d 08` (the holder binding pseudonym header) in the vectors.
    assert_eq!(
        parsed.feature,
        Feature::Pseudonym {
            holder_bound: true,
            signer_nym_entropy: signer_nym_entropy(),
        }
    );
    // Written our way (the specification's header for the feature, the entropy as a byte
    // string), it reads back the same.
    let ours = BaseProof {
        feature: Feature::Pseudonym {
            holder_bound: set.holder_bound,
            signer_nym_entropy: signer_nym_entropy(),
        },
        ..parsed.clone()
    };
    let text = ours.to_proof_value().expect("write");
    assert_eq!(BaseProof::from_proof_value(&text).expect("read"), ours);
}

#[test]
fn pseudonym_add_signed_sd_base_proof_value_read() {
    base_proof_value_read(PSEUDONYM);
}

#[test]
fn pseudonym_hb_add_signed_sd_base_proof_value_read() {
    base_proof_value_read(PSEUDONYM_HB);
}

/// The whole issuer side: `license.json` signed with the vector's proof options, mandatory
/// pointers, HMAC key, the holder's commitment and the signer's entropy gives the vector's
/// signature and header.
fn signed_from_the_document(set: Set) {
    use citywallet_vc::base::BaseProof;
    let (sk, pk) = keys();
    let want = set.json("addSignedSDBase.json");
    let mut options = want["proof"].clone();
    options.as_object_mut().expect("proof").remove("proofValue");
    let pointers: Vec<String> =
        serde_json::from_value(json("FeatureInputs/licenseMandatory.json")).expect("pointers");
    let hmac: [u8; 32] = hex_of(&set.json("addRawBaseSignatureInfo.json")["hmacKey"])
        .try_into()
        .expect("32 bytes");
    let signed = citywallet_vc::base::sign_document_nym(
        &json("FeatureInputs/license.json"),
        &options,
        &pointers,
        &sk,
        &pk,
        &hmac,
        &set.commitment(),
        &signer_nym_entropy(),
    )
    .expect("sign");
    let ours = BaseProof::from_proof_value(signed["proof"]["proofValue"].as_str().expect("text"))
        .expect("read");
    let theirs = BaseProof::from_proof_value(want["proof"]["proofValue"].as_str().expect("text"))
        .expect("read");
    assert_eq!(ours.signature, theirs.signature);
    assert_eq!(ours.header, theirs.header);
    assert_eq!(ours.mandatory_pointers, theirs.mandatory_pointers);
    // A holder binding commitment (no prover nym) is not a pseudonym commitment's size for
    // the other feature, and a broken one is refused.
    let mut broken = set.commitment();
    broken[60] ^= 1;
    assert!(
        citywallet_vc::base::sign_document_nym(
            &json("FeatureInputs/license.json"),
            &options,
            &pointers,
            &sk,
            &pk,
            &hmac,
            &broken,
            &signer_nym_entropy()
        )
        .is_err()
    );
}

#[test]
fn pseudonym_add_signed_sd_base_from_the_document() {
    signed_from_the_document(PSEUDONYM);
}

#[test]
fn pseudonym_hb_add_signed_sd_base_from_the_document() {
    signed_from_the_document(PSEUDONYM_HB);
}

fn reveal_document_verifies(set: Set) {
    use citywallet_vc::derived::{self, DerivedProof};
    let (_, pk) = keys();
    let d = set.json("derivedDisclosureData.json");
    let reveal = set.json("derivedRevealDocument.json");
    let parsed =
        DerivedProof::from_proof_value(reveal["proof"]["proofValue"].as_str().expect("text"))
            .expect("read");
    let nym = parsed.pseudonym.clone().expect("a pseudonym");
    assert_eq!(nym.value.to_vec(), hex_of(&d["pseudonym"]));
    assert_eq!(nym.domain, None, "the vectors carry no nym_domain");
    assert_eq!(parsed.length_bbs_messages, Some(23));
    assert_eq!(parsed.bbs_proof, hex_of(&d["bbsProof"]));
    let (ph, value) =
        derived::verify_nym(&reveal, &pk, &verifier_id()).expect("the W3C reveal document");
    assert_eq!(ph, presentation_header(&d));
    assert_eq!(value, nym.value);
    // Without a context, for another context, or changed: refused.
    assert!(derived::verify(&reveal, &pk).is_err());
    assert!(derived::verify_nym(&reveal, &pk, b"https://other.verifier.example/").is_err());
    let mut changed = reveal.clone();
    changed["credentialSubject"]["driversLicense"]["issuing_country"] = "CA".into();
    assert!(derived::verify_nym(&changed, &pk, &verifier_id()).is_err());
}

#[test]
fn pseudonym_derived_reveal_document_verifies_for_the_verifier() {
    reveal_document_verifies(PSEUDONYM);
}

#[test]
fn pseudonym_hb_derived_reveal_document_verifies_for_the_verifier() {
    reveal_document_verifies(PSEUDONYM_HB);
}

/// The holder's side: from the vector's signed credential, a proof for the vector's verifier
/// has the vector's pseudonym, names its context, and verifies only for it.
fn our_derived_proof(set: Set) {
    use citywallet_vc::derived::{self, NymHolder};
    let (_, pk) = keys();
    let signed = set.json("addSignedSDBase.json");
    let selective: Vec<String> =
        serde_json::from_value(json("FeatureInputs/licenseSelective.json")).expect("pointers");
    let committed = set.committed();
    let (blind, secret) = (set.blind(), set.nym_secret());
    let holder = NymHolder {
        committed: &committed,
        blind: &blind,
        nym_secret: &secret,
    };
    let shown = derived::derive_nym(&signed, &selective, b"nonce-1", holder, &verifier_id())
        .expect("derive");
    let (ph, value) = derived::verify_nym(&shown, &pk, &verifier_id()).expect("verify");
    assert_eq!(ph, b"nonce-1");
    assert_eq!(
        value.to_vec(),
        hex_of(&set.json("derivedDisclosureData.json")["pseudonym"])
    );
    assert!(derived::verify_nym(&shown, &pk, b"https://other.verifier.example/").is_err());
    let vector = set.json("derivedRevealDocument.json");
    assert_eq!(shown["credentialSubject"], vector["credentialSubject"]);
    // Another verifier: another pseudonym.
    let other =
        derived::derive_nym(&signed, &selective, b"nonce-2", holder, b"urn:other").expect("derive");
    let (_, other_value) = derived::verify_nym(&other, &pk, b"urn:other").expect("verify");
    assert_ne!(other_value, value);
    // Without the nym secret no proof is made; the baseline paths refuse the credential.
    let wrong = prover_nym();
    let copied = NymHolder {
        nym_secret: &wrong,
        ..holder
    };
    assert!(derived::derive_nym(&signed, &selective, b"nonce-1", copied, &verifier_id()).is_err());
    assert!(derived::derive(&signed, &selective, b"nonce-1").is_err());
}

#[test]
fn pseudonym_our_derived_proof_has_the_vector_pseudonym() {
    our_derived_proof(PSEUDONYM);
}

#[test]
fn pseudonym_hb_our_derived_proof_has_the_vector_pseudonym() {
    our_derived_proof(PSEUDONYM_HB);
}

/// What two showings give away. The licence of the vectors (no credential id, no subject
/// id) signed with holder binding and pseudonyms for two citizens, under one HMAC key (as one
/// issuer, type and window share one): two presentations of one credential to two verifiers
/// share nothing but what is disclosed and the issuer's public data; two citizens'
/// presentations of the same claims have the same shape and length.
#[test]
fn presentations_share_only_the_disclosed_claims_and_the_issuer_data() {
    use citywallet_vc::derived::{self, DerivedProof, NymHolder};
    let (sk, pk) = keys();
    let mut options = PSEUDONYM_HB.json("addSignedSDBase.json")["proof"].clone();
    options.as_object_mut().expect("proof").remove("proofValue");
    let pointers: Vec<String> =
        serde_json::from_value(json("FeatureInputs/licenseMandatory.json")).expect("pointers");
    let selective: Vec<String> =
        serde_json::from_value(json("FeatureInputs/licenseSelective.json")).expect("pointers");
    let hmac = [0x42u8; 32];
    // A citizen: its secrets, its commitment, the issuer's signature over it.
    let citizen = |n: u8| {
        let secret = vec![vec![n; 32]];
        let prover = pseudonym::random_scalar_bytes().expect("nym");
        let entropy = pseudonym::random_scalar_bytes().expect("entropy");
        let c = pseudonym::nym_commit(&secret, &prover).expect("commit");
        let signed = citywallet_vc::base::sign_document_nym(
            &json("FeatureInputs/license.json"),
            &options,
            &pointers,
            &sk,
            &pk,
            &hmac,
            &c.with_proof,
            &entropy,
        )
        .expect("sign");
        let nym = pseudonym::nym_secret(&prover, &entropy).expect("nym secret");
        (signed, secret, *c.blind, *nym)
    };
    let show = |c: &(Value, Vec<Vec<u8>>, [u8; 32], [u8; 32]), context: &[u8], nonce: &[u8]| {
        let holder = NymHolder {
            committed: &c.1,
            blind: &c.2,
            nym_secret: &c.3,
        };
        let shown = derived::derive_nym(&c.0, &selective, nonce, holder, context).expect("derive");
        derived::verify_nym(&shown, &pk, context).expect("verify");
        let value = shown["proof"]["proofValue"]
            .as_str()
            .expect("text")
            .to_owned();
        let mut document = shown.clone();
        document.as_object_mut().expect("doc").remove("proof");
        (
            document,
            DerivedProof::from_proof_value(&value).expect("read"),
            value,
        )
    };
    let alice = citizen(1);
    let (doc_a, proof_a, text_a) = show(&alice, b"urn:verifier:a", b"nonce a");
    let (doc_b, proof_b, _) = show(&alice, b"urn:verifier:b", b"nonce b");
    // The documents are the disclosed claims and the issuer's data, the same both times.
    assert_eq!(doc_a, doc_b);
    // The structure is the issuer's (the same for every holder of this type and window).
    assert_eq!(proof_a.label_map, proof_b.label_map);
    assert_eq!(proof_a.mandatory_indexes, proof_b.mandatory_indexes);
    assert_eq!(proof_a.selective_indexes, proof_b.selective_indexes);
    // The BBS proofs share no 32-byte scalar or 48-byte point, and the pseudonyms differ.
    let chunks = |p: &[u8]| -> std::collections::HashSet<Vec<u8>> {
        let mut set: std::collections::HashSet<Vec<u8>> =
            p[..144].chunks(48).map(<[u8]>::to_vec).collect();
        set.extend(p[144..].chunks(32).map(<[u8]>::to_vec));
        set
    };
    assert!(chunks(&proof_a.bbs_proof).is_disjoint(&chunks(&proof_b.bbs_proof)));
    let (nym_a, nym_b) = (
        proof_a.pseudonym.expect("nym"),
        proof_b.pseudonym.expect("nym"),
    );
    assert_ne!(nym_a.value, nym_b.value);
    // The same verifier again: the same pseudonym, a fresh proof.
    let (_, again, _) = show(&alice, b"urn:verifier:a", b"nonce c");
    assert_eq!(again.pseudonym.expect("nym").value, nym_a.value);
    assert!(chunks(&again.bbs_proof).is_disjoint(&chunks(&proof_a.bbs_proof)));

    // Another citizen, the same claims, the same verifier: the same document, the same shape
    // and length, another pseudonym.
    let bob = citizen(2);
    let (doc_bob, proof_bob, text_bob) = show(&bob, b"urn:verifier:a", b"nonce a");
    assert_eq!(doc_bob, doc_a);
    assert_eq!(text_bob.len(), text_a.len());
    assert_eq!(proof_bob.bbs_proof.len(), proof_a.bbs_proof.len());
    assert_eq!(proof_bob.label_map, proof_a.label_map);
    assert_ne!(proof_bob.pseudonym.expect("nym").value, nym_a.value);
}
