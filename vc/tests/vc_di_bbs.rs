//! The W3C `vc-di-bbs` test vectors (`../shared/vectors/vc-di-bbs`, the baseline wind-surf
//! credential), one test per step: the issuer's base proof (each step fed by the vector
//! files of the steps before it, then the whole of it from the document), the holder's
//! disclosure data and derived proof value, the verifier's check of the vector's reveal
//! document. BBS proofs are fresh randomness, so derived proofs are checked by verifying
//! them. Then what hostile documents and proof values get.

use std::collections::BTreeMap;

use citywallet_core::credentials::IssuerSecretKey;
use citywallet_vc::base::{self, BaseProof};
use citywallet_vc::{VcError, canon};
use serde_json::Value;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/vc-di-bbs/"
);

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&read(name)).expect("json")
}

/// One set of vectors: the wind-surf credential (top level) or the permanent resident card
/// (`prc/`), with its input document and pointers. Key material and the presentation header
/// are the top level's for both.
struct Set {
    dir: &'static str,
    /// The input document; `None`: the set's signed base without its proof (the
    /// permanent resident card's vectors were made from a later version of
    /// `prCredUnsigned.json`).
    doc: Option<&'static str>,
    mandatory: &'static str,
    selective: &'static str,
    /// A string the reveal document discloses (changed, the proof must fail).
    revealed: &'static str,
    /// A value disclosed only by the selective pointers (absent when none are chosen).
    selective_only: &'static str,
}

const WIND: Set = Set {
    dir: "",
    doc: Some("windDoc.json"),
    mandatory: "windMandatory.json",
    selective: "windSelective.json",
    revealed: "/credentialSubject/sailNumber",
    selective_only: "/credentialSubject/boards/1",
};

const PRC: Set = Set {
    dir: "prc/",
    doc: None,
    mandatory: "../prCredMandatory.json",
    selective: "../prCredSelective.json",
    revealed: "/credentialSubject/birthCountry",
    selective_only: "/credentialSubject/birthCountry",
};

impl Set {
    fn read(&self, name: &str) -> Vec<u8> {
        read(&format!("{}{name}", self.dir))
    }
    fn json(&self, name: &str) -> Value {
        serde_json::from_slice(&self.read(name)).expect("json")
    }
    fn document(&self) -> Value {
        match self.doc {
            Some(name) => self.json(name),
            None => {
                let mut signed = self.json("addSignedSDBase.json");
                signed.as_object_mut().expect("doc").remove("proof");
                signed
            }
        }
    }
    fn document_bytes(&self) -> Vec<u8> {
        match self.doc {
            Some(name) => self.read(name),
            None => serde_json::to_vec(&self.document()).expect("json"),
        }
    }
}

/// The optional features' sets (the driver's licence of `FeatureInputs`), for the steps
/// that do not depend on the feature: canonicalisation, HMAC labels, the base transform, the
/// hashes and the holder's grouping are the baseline's for all three. Their feature-specific
/// steps are in `vc_di_bbs_holder_binding.rs` (holder binding; the pseudonym features are
/// not implemented yet).
const fn feature_set(dir: &'static str) -> Set {
    Set {
        dir,
        doc: Some("../FeatureInputs/license.json"),
        mandatory: "../FeatureInputs/licenseMandatory.json",
        selective: "../FeatureInputs/licenseSelective.json",
        revealed: "/credentialSubject/driversLicense/issuing_country",
        selective_only: "/credentialSubject/driversLicense/issuing_country",
    }
}

const HOLDER_BINDING: Set = feature_set("HolderBinding/");
const PSEUDONYM: Set = feature_set("Pseudonym/");
const PSEUDONYM_HB: Set = feature_set("PseudonymHB/");

/// Each feature-independent step is a test for each feature set:
/// `features::step::holder_binding`, `…::pseudonym`, `…::pseudonym_hb`.
mod features {
    macro_rules! for_each_feature_set {
        ($($step:ident),* $(,)?) => {$(
            mod $step {
                #[test]
                fn holder_binding() {
                    super::super::$step(&super::super::HOLDER_BINDING);
                }
                #[test]
                fn pseudonym() {
                    super::super::$step(&super::super::PSEUDONYM);
                }
                #[test]
                fn pseudonym_hb() {
                    super::super::$step(&super::super::PSEUDONYM_HB);
                }
            }
        )*};
    }

    for_each_feature_set!(
        add_proof_config_canon,
        add_hash_data_proof_hash,
        add_base_doc_canon,
        add_base_doc_hmac_canon,
        add_base_transform,
        add_hash_data_mandatory_hash,
        derived_group_indexes,
    );
}

/// Each step is a test for each set: `step::wind`, `step::prc`.
macro_rules! for_each_set {
    ($($step:ident),* $(,)?) => {$(
        mod $step {
            #[test]
            fn wind() {
                super::$step(&super::WIND);
            }
            #[test]
            fn prc() {
                super::$step(&super::PRC);
            }
        }
    )*};
}

for_each_set!(
    add_base_doc_canon,
    add_base_doc_hmac_canon,
    add_base_transform,
    add_signed_sd_base_from_the_document,
    add_hash_data_mandatory_hash,
    derived_group_indexes,
    derived_adj_indexes_disclosure_data_and_unsigned_reveal,
    derived_reveal_document_verifies,
    our_derived_proof_verifies,
    add_proof_config_canon,
    add_hash_data_proof_hash,
    add_raw_base_signature_info,
    add_signed_sd_base,
    derived_recovered_base_data,
    derived_reveal_document_proof_value,
    signed_sd_base_verifies_and_tampering_does_not,
);

/// A node with two types, each with a scoped context defining one term, keeps both terms
/// (JSON-LD 1.1 type-scoped contexts; expansion step 11.2 applies them in turn). The
/// permanent resident card's subject needs it; `oxjsonld` 0.2.7, tried first, kept only
/// the last type's terms.
#[test]
fn two_type_scoped_contexts_both_apply() {
    let doc = br#"{"@context": {
        "A": {"@id": "http://x.example/A", "@context": {"a": "http://x.example/a"}},
        "B": {"@id": "http://x.example/B", "@context": {"b": "http://x.example/b"}}},
      "@id": "http://x.example/s", "@type": ["A", "B"], "a": "1", "b": "2"}"#;
    let quads = canon::canonical_nquads(doc).expect("canon");
    assert!(
        quads.iter().any(|q| q.contains("<http://x.example/a>")),
        "{quads:?}"
    );
    assert!(
        quads.iter().any(|q| q.contains("<http://x.example/b>")),
        "{quads:?}"
    );
}

fn unhex<const N: usize>(v: &Value) -> [u8; N] {
    hex::decode(v.as_str().expect("hex string"))
        .expect("hex")
        .try_into()
        .expect("length")
}

fn lines(v: &Value) -> Vec<String> {
    serde_json::from_value(v.clone()).expect("lines")
}

/// `addBaseTransform.json`'s `mandatory` or `nonMandatory` (a `Map` of index → N-Quad), in
/// index order.
fn group(s: &Set, name: &str) -> Vec<String> {
    let t = s.json("addBaseTransform.json");
    let pairs: Vec<(u64, String)> = serde_json::from_value(t[name]["value"].clone()).expect("map");
    let map: BTreeMap<u64, String> = pairs.into_iter().collect();
    map.into_values().collect()
}

fn hmac_key() -> [u8; 32] {
    unhex(&json("BBSKeyMaterial.json")["hmacKeyString"])
}

#[test]
fn bbs_key_material() {
    let keys = json("BBSKeyMaterial.json");
    let sk: [u8; 32] = unhex(&keys["privateKeyHex"]);
    let (_, public) = IssuerSecretKey::from_bytes(&sk).expect("secret key");
    assert_eq!(hex::encode(public.to_bytes()), keys["publicKeyHex"]);
}

fn add_proof_config_canon(s: &Set) {
    let got = canon::canonical_nquads(&s.read("addProofConfig.json")).expect("canon");
    let want = String::from_utf8(s.read("addProofConfigCanon.txt")).expect("utf-8");
    assert_eq!(got.concat().trim_end(), want.trim_end());
}

fn add_hash_data_proof_hash(s: &Set) {
    let hash = base::proof_hash(&s.read("addProofConfig.json")).expect("hash");
    assert_eq!(hex::encode(hash), s.json("addHashData.json")["proofHash"]);
}

fn add_base_doc_canon(s: &Set) {
    let got = canon::canonical_nquads(&s.document_bytes()).expect("canon");
    assert_eq!(got, lines(&s.json("addBaseDocCanon.json")));
}

fn add_base_doc_hmac_canon(s: &Set) {
    let got = canon::hmac_nquads(&s.document_bytes(), &hmac_key()).expect("canon");
    assert_eq!(got, lines(&s.json("addBaseDocHMACCanon.json")));
}

/// The transform's mandatory statements (from `addBaseTransform.json`) hash to the vector's
/// `mandatoryHash`; the two groups are all the HMAC-canonical statements.
/// The base transformation: `windMandatory.json`'s pointers select the vector's mandatory
/// statements from `windDoc.json`, at the same positions, and leave the others.
fn add_base_transform(s: &Set) {
    let t = s.json("addBaseTransform.json");
    assert_eq!(t["mandatoryPointers"], s.json(s.mandatory));
    let group = base::transform(&s.document(), &lines(&s.json(s.mandatory)), &hmac_key())
        .expect("transform");
    let map = |name: &str| -> BTreeMap<usize, String> {
        let pairs: Vec<(usize, String)> =
            serde_json::from_value(t[name]["value"].clone()).expect("map");
        pairs.into_iter().collect()
    };
    assert_eq!(group.matching, map("mandatory"));
    assert_eq!(group.non_matching, map("nonMandatory"));
}

/// The whole issuer side at once: `windDoc.json` signed with the proof options and
/// mandatory pointers of the vector is `addSignedSDBase.json`.
fn add_signed_sd_base_from_the_document(s: &Set) {
    let keys = json("BBSKeyMaterial.json");
    let (secret, public) =
        IssuerSecretKey::from_bytes(&unhex::<32>(&keys["privateKeyHex"])).expect("key");
    let want = s.json("addSignedSDBase.json");
    let mut options = want["proof"].clone();
    options.as_object_mut().expect("proof").remove("proofValue");
    let signed = base::sign_document(
        &s.document(),
        &options,
        &lines(&s.json(s.mandatory)),
        &secret,
        &public,
        &hmac_key(),
    )
    .expect("sign");
    // The proof byte for byte; the rest is the document as given (the vector file writes
    // windDoc's `7.0` as `7`, one JSON number either way).
    assert_eq!(signed["proof"], want["proof"]);
    let mut unsigned = signed.clone();
    unsigned.as_object_mut().expect("doc").remove("proof");
    assert_eq!(unsigned, s.document());
    // A pointer to nothing is refused, and a signed document is not signed again.
    let e = base::sign_document(
        &s.document(),
        &options,
        &["/credentialSubject/nothing".to_owned()],
        &secret,
        &public,
        &hmac_key(),
    )
    .expect_err("no such value");
    assert_eq!(e.code(), "credential_bad_pointer");
    let e = base::sign_document(&want, &options, &[], &secret, &public, &hmac_key())
        .expect_err("signed");
    assert_eq!(e.code(), "credential_not_json_ld");
}

fn add_hash_data_mandatory_hash(s: &Set) {
    let mandatory = group(s, "mandatory");
    let hash = base::mandatory_hash(&mandatory);
    assert_eq!(
        hex::encode(hash),
        s.json("addHashData.json")["mandatoryHash"]
    );
    let all = canon::hmac_nquads(&s.document_bytes(), &hmac_key()).expect("canon");
    let mut both = [mandatory, group(s, "nonMandatory")].concat();
    both.sort();
    assert_eq!(both, all);
}

fn add_raw_base_signature_info(s: &Set) {
    let keys = json("BBSKeyMaterial.json");
    let (secret, public) =
        IssuerSecretKey::from_bytes(&unhex::<32>(&keys["privateKeyHex"])).expect("key");
    let hashes = s.json("addHashData.json");
    let header = base::bbs_header(
        &unhex(&hashes["proofHash"]),
        &unhex(&hashes["mandatoryHash"]),
    );
    let signature = base::sign(&secret, &public, &header, &group(s, "nonMandatory")).expect("sign");
    let info = s.json("addRawBaseSignatureInfo.json");
    assert_eq!(hex::encode(signature), info["bbsSignature"]);
}

fn add_signed_sd_base(s: &Set) {
    let keys = json("BBSKeyMaterial.json");
    let hashes = s.json("addHashData.json");
    let proof = BaseProof {
        signature: unhex(&s.json("addRawBaseSignatureInfo.json")["bbsSignature"]),
        header: base::bbs_header(
            &unhex(&hashes["proofHash"]),
            &unhex(&hashes["mandatoryHash"]),
        ),
        public_key: unhex(&keys["publicKeyHex"]),
        hmac_key: hmac_key(),
        mandatory_pointers: lines(&s.json(s.mandatory)),
        feature: base::Feature::Baseline,
    };
    let signed = s.json("addSignedSDBase.json");
    let value = proof.to_proof_value().expect("serialise");
    assert_eq!(value, signed["proof"]["proofValue"]);
    assert_eq!(BaseProof::from_proof_value(&value).expect("parse"), proof);
    assert!(
        !format!("{proof:?}").contains(&hex::encode(hmac_key())),
        "HMAC key redacted"
    );
}

/// The holder's check of the vector's signed base: it verifies with the issuer's key, not
/// with another, and not once a claim is changed.
fn signed_sd_base_verifies_and_tampering_does_not(s: &Set) {
    let signed = s.json("addSignedSDBase.json");
    let base = base::verify_document(&signed, &issuer_public()).expect("verifies");
    assert_eq!(base.mandatory_pointers, lines(&s.json(s.mandatory)));

    let (_, other) = citywallet_core::credentials::IssuerSecretKey::generate().expect("key");
    assert!(matches!(
        base::verify_document(&signed, &other),
        Err(citywallet_vc::VcError::ProofInvalid(_))
    ));
    let mut tampered = signed.clone();
    *tampered.pointer_mut(s.revealed).expect("claim") = Value::from("tampered");
    assert!(matches!(
        base::verify_document(&tampered, &issuer_public()),
        Err(citywallet_vc::VcError::ProofInvalid(_))
    ));
}

/// The vector's recovered base data is what parsing its signed base gives (the holder's
/// first step).
fn derived_recovered_base_data(s: &Set) {
    let signed = s.json("addSignedSDBase.json");
    let proof = BaseProof::from_proof_value(signed["proof"]["proofValue"].as_str().expect("str"))
        .expect("parse");
    let r = s.json("derivedRecoveredBaseData.json");
    assert_eq!(hex::encode(proof.signature), r["bbsSignature"]);
    assert_eq!(hex::encode(proof.hmac_key), r["hmacKey"]);
    // The file holds these three; the header and key are the signing inputs.
    let hashes = s.json("addHashData.json");
    let header = base::bbs_header(
        &unhex(&hashes["proofHash"]),
        &unhex(&hashes["mandatoryHash"]),
    );
    assert_eq!(proof.header, header);
    assert_eq!(
        hex::encode(proof.public_key),
        json("BBSKeyMaterial.json")["publicKeyHex"]
    );
    assert_eq!(proof.mandatory_pointers, lines(&r["mandatoryPointers"]));
}

#[test]
fn hostile_documents_get_typed_errors() {
    let code = |doc: &[u8]| canon::canonical_nquads(doc).expect_err("refused");
    let other = br#"{"@context": "https://evil.example/context", "name": "x"}"#;
    assert_eq!(
        code(other),
        VcError::UnknownContext("https://evil.example/context".into())
    );
    assert_eq!(code(b"{not json").code(), "credential_not_json_ld");
    let big = vec![b' '; canon::MAX_DOCUMENT_BYTES + 1];
    assert_eq!(code(&big).code(), "credential_too_large");
    // Many blank nodes (each object without an id is one): refused before canonicalising.
    let nodes: Vec<String> = (0..=canon::MAX_BLANK_NODES)
        .map(|i| format!(r#"{{"@vocab": "https://x.example/", "v": {i}}}"#))
        .collect();
    let doc = format!(
        r#"{{"@context": {{"@vocab": "https://x.example/"}}, "n": [{}]}}"#,
        nodes.join(",")
    );
    assert_eq!(
        code(doc.as_bytes()),
        VcError::TooComplex {
            what: "blank nodes",
            limit: canon::MAX_BLANK_NODES
        }
    );
}

#[test]
fn hostile_proof_values_get_typed_errors() {
    let signed = json("addSignedSDBase.json");
    let good = signed["proof"]["proofValue"]
        .as_str()
        .expect("str")
        .to_owned();
    let bad = |v: &str| BaseProof::from_proof_value(v).expect_err(v).code();
    for v in [
        "",
        "z2V0C",
        "u***",
        &good[..good.len() / 2],
        &format!("u{}", &good[5..]),
        &"u".repeat(base::MAX_PROOF_VALUE_CHARS + 1),
    ] {
        assert_eq!(bad(v), "credential_proof_value_malformed", "{v:.20}");
    }
    // A derived proof value (d9 5d 03) is not a base proof.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = b64.decode(&good[1..]).expect("b64");
    bytes[2] = 0x03;
    assert_eq!(
        bad(&format!("u{}", b64.encode(&bytes))),
        "credential_proof_value_malformed"
    );
}

fn signed_base(s: &Set) -> Value {
    s.json("addSignedSDBase.json")
}

fn presentation_header() -> Vec<u8> {
    hex::decode(
        json("BBSDeriveMaterial.json")["presentationHeaderHex"]
            .as_str()
            .expect("hex"),
    )
    .expect("hex")
}

fn issuer_public() -> citywallet_core::credentials::IssuerPublicKey {
    let pk: [u8; 96] = unhex(&json("BBSKeyMaterial.json")["publicKeyHex"]);
    citywallet_core::credentials::IssuerPublicKey::from_bytes(&pk).expect("public key")
}

/// The holder's grouping: mandatory, selective and combined pointers over the credential
/// select the vector's statements.
fn derived_group_indexes(s: &Set) {
    let (mandatory, selective) = (lines(&s.json(s.mandatory)), lines(&s.json(s.selective)));
    let combined = [mandatory.clone(), selective.clone()].concat();
    let g = canon::canonicalize_and_group(
        &s.document(),
        &hmac_key(),
        &[
            ("mandatory", &mandatory),
            ("selective", &selective),
            ("combined", &combined),
        ],
    )
    .expect("group");
    let keys = |name: &str, matching: bool| -> Vec<usize> {
        let group = &g.groups[name];
        let side = if matching {
            &group.matching
        } else {
            &group.non_matching
        };
        side.keys().copied().collect()
    };
    let want = s.json("derivedGroupIndexes.json");
    let list = |k: &str| -> Vec<usize> { serde_json::from_value(want[k].clone()).expect("list") };
    assert_eq!(keys("combined", true), list("combinedIndexes"));
    assert_eq!(keys("mandatory", true), list("mandatoryIndexes"));
    assert_eq!(keys("mandatory", false), list("nonMandatoryIndexes"));
    assert_eq!(keys("selective", true), list("selectiveIndexes"));
}

/// The disclosure data from the signed base and `windSelective.json`: the adjusted indexes,
/// the verifier's label map, the presentation header and the reveal document are the
/// vector's (the BBS proof itself is fresh randomness, so it is checked by verifying).
fn derived_adj_indexes_disclosure_data_and_unsigned_reveal(s: &Set) {
    let (derived, reveal) = citywallet_vc::derived::disclosure_data(
        &signed_base(s),
        &lines(&s.json(s.selective)),
        &presentation_header(),
    )
    .expect("disclose");
    let adj = s.json("derivedAdjIndexes.json");
    let list = |v: &Value| -> Vec<usize> { serde_json::from_value(v.clone()).expect("list") };
    assert_eq!(derived.mandatory_indexes, list(&adj["adjMandatoryIndexes"]));
    assert_eq!(derived.selective_indexes, list(&adj["adjSelectiveIndexes"]));
    let data = s.json("derivedDisclosureData.json");
    let pairs: Vec<(String, String)> =
        serde_json::from_value(data["labelMap"]["value"].clone()).expect("map");
    assert_eq!(
        derived.label_map,
        pairs.into_iter().collect::<BTreeMap<_, _>>()
    );
    assert_eq!(derived.mandatory_indexes, list(&data["mandatoryIndexes"]));
    assert_eq!(derived.presentation_header, presentation_header());
    assert_eq!(reveal, s.json("derivedUnsignedReveal.json"));
}

/// `serializeDerivedProofValue` of the vector's disclosure data is the reveal document's
/// proof value, byte for byte; parsing it gives the data back.
fn derived_reveal_document_proof_value(s: &Set) {
    use citywallet_vc::derived::DerivedProof;
    let data = s.json("derivedDisclosureData.json");
    let pairs: Vec<(String, String)> =
        serde_json::from_value(data["labelMap"]["value"].clone()).expect("map");
    let list = |v: &Value| -> Vec<usize> { serde_json::from_value(v.clone()).expect("list") };
    let proof = DerivedProof {
        bbs_proof: hex::decode(data["bbsProof"].as_str().expect("hex")).expect("hex"),
        label_map: pairs.into_iter().collect(),
        mandatory_indexes: list(&data["mandatoryIndexes"]),
        selective_indexes: list(&data["adjSelectiveIndexes"]),
        presentation_header: presentation_header(),
        length_bbs_messages: None,
        pseudonym: None,
    };
    let value = proof.to_proof_value().expect("serialise");
    assert_eq!(
        value,
        s.json("derivedRevealDocument.json")["proof"]["proofValue"]
    );
    assert_eq!(
        DerivedProof::from_proof_value(&value).expect("parse"),
        proof
    );
}

/// The vector's reveal document verifies against the issuer's key; changed in any way, it
/// does not.
fn derived_reveal_document_verifies(s: &Set) {
    use citywallet_vc::derived::verify;
    let doc = s.json("derivedRevealDocument.json");
    let public = issuer_public();
    assert_eq!(
        verify(&doc, &public).expect("verifies"),
        presentation_header()
    );
    let mut changed = doc.clone();
    *changed.pointer_mut(s.revealed).expect("revealed") = "changed".into();
    assert_eq!(
        verify(&changed, &public).expect_err("changed").code(),
        "credential_proof_invalid"
    );
    let mut later = doc.clone();
    later["proof"]["created"] = "2024-01-01T00:00:00Z".into();
    assert_eq!(
        verify(&later, &public).expect_err("options").code(),
        "credential_proof_invalid"
    );
    let (_, other) = IssuerSecretKey::from_key_material(&[7u8; 32], None, None).expect("key");
    assert_eq!(
        verify(&doc, &other).expect_err("other key").code(),
        "credential_proof_invalid"
    );
}

/// Our own derivation: a fresh proof over the same choice verifies, carries the
/// presentation header it was made for, and reveals what the vector's reveal document does.
fn our_derived_proof_verifies(s: &Set) {
    use citywallet_vc::derived::{derive, verify};
    let ours = derive(
        &signed_base(s),
        &lines(&s.json(s.selective)),
        b"a verifier's challenge",
    )
    .expect("derive");
    assert_eq!(
        verify(&ours, &issuer_public()).expect("verifies"),
        b"a verifier's challenge"
    );
    let strip = |mut v: Value| {
        v["proof"]
            .as_object_mut()
            .expect("proof")
            .remove("proofValue");
        v
    };
    assert_eq!(
        strip(ours.clone()),
        strip(s.json("derivedRevealDocument.json"))
    );
    // Disclosing nothing optional: only the mandatory statements.
    let bare = derive(&signed_base(s), &[], b"ph").expect("derive");
    assert!(ours.pointer(s.selective_only).is_some());
    assert!(bare.pointer(s.selective_only).is_none(), "{bare}");
    verify(&bare, &issuer_public()).expect("verifies");
}

/// Derived proof values that are not what `serializeDerivedProofValue` writes, and a label
/// map that leaves a blank node out, are refused with typed errors.
#[test]
fn hostile_derived_proofs_get_typed_errors() {
    use base64::Engine as _;
    use citywallet_vc::derived::{DerivedProof, verify};
    let doc = json("derivedRevealDocument.json");
    let good = doc["proof"]["proofValue"].as_str().expect("str").to_owned();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut base_header = b64.decode(&good[1..]).expect("b64");
    base_header[2] = 0x02;
    for v in [
        String::new(),
        "u".into(),
        good[..good.len() - 40].to_owned(),
        format!("u{}", b64.encode(&base_header)),
        "u".repeat(citywallet_vc::derived::MAX_PROOF_VALUE_CHARS + 1),
    ] {
        assert_eq!(
            DerivedProof::from_proof_value(&v).expect_err("bad").code(),
            "credential_proof_value_malformed",
            "{v:.20}"
        );
    }
    let public = issuer_public();
    let mut proof = DerivedProof::from_proof_value(&good).expect("parse");
    proof.label_map.remove("c14n0");
    let mut short = doc.clone();
    short["proof"]["proofValue"] = proof.to_proof_value().expect("serialise").into();
    assert_eq!(
        verify(&short, &public).expect_err("label").code(),
        "credential_proof_invalid"
    );
    let mut proof = DerivedProof::from_proof_value(&good).expect("parse");
    proof.mandatory_indexes.push(999);
    let mut far = doc.clone();
    far["proof"]["proofValue"] = proof.to_proof_value().expect("serialise").into();
    assert_eq!(
        verify(&far, &public).expect_err("index").code(),
        "credential_proof_invalid"
    );
    let mut proof = DerivedProof::from_proof_value(&good).expect("parse");
    proof.presentation_header = b"another challenge".to_vec();
    let mut other = doc.clone();
    other["proof"]["proofValue"] = proof.to_proof_value().expect("serialise").into();
    assert_eq!(
        verify(&other, &public).expect_err("ph").code(),
        "credential_proof_invalid"
    );
    let mut suite = doc.clone();
    suite["proof"]["cryptosuite"] = "ecdsa-sd-2023".into();
    assert_eq!(
        verify(&suite, &public).expect_err("suite").code(),
        "credential_proof_value_malformed"
    );
}
