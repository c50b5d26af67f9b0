//! Credentials, presentations and verification. The IETF BBS fixtures for
//! BLS12-381-SHA-256 in `../shared/vectors/bbs` run first, each its own test case.

use std::path::PathBuf;

use citywallet_core::credentials::{
    Challenge, Credential, CredentialDraft, CredentialType, IssuerPublicKey, IssuerSecretKey,
    Presentation, biometric_template_hash, present, qr,
};
use citywallet_core::keys::{KeyPair, KeyPath, RecoveryPhrase};
use citywallet_core::{Error, Rejection};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};
use zkryptium::bbsplus::ciphersuites::{BbsCiphersuite, Bls12381Sha256};
use zkryptium::bbsplus::generators::Generators;
use zkryptium::utils::util::bbsplus_utils::hash_to_scalar;

type Outcome = Result<(), Failed>;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/bbs/bls12-381-sha-256")
}

fn load(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("hex {v}: {e}"))
}

fn unhex_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(unhex).collect())
        .unwrap_or_default()
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Outcome {
    if ok { Ok(()) } else { Err(what().into()) }
}

fn public_key(v: &Value) -> Option<IssuerPublicKey> {
    IssuerPublicKey::from_bytes(&unhex(v))
}

fn ietf_trials() -> Vec<Trial> {
    let mut trials = Vec::new();

    let keypair = load(fixtures().join("keypair.json"));
    trials.push(Trial::test("ietf::keypair", move || {
        let (sk, pk) = IssuerSecretKey::from_key_material(
            &unhex(&keypair["keyMaterial"]),
            Some(&unhex(&keypair["keyInfo"])),
            Some(&unhex(&keypair["keyDst"])),
        )?;
        ensure(
            sk.to_bytes().as_slice() == unhex(&keypair["keyPair"]["secretKey"]),
            || "secret key differs".into(),
        )?;
        ensure(
            pk.to_bytes().as_slice() == unhex(&keypair["keyPair"]["publicKey"]),
            || "public key differs".into(),
        )
    }));

    let h2s = load(fixtures().join("h2s.json"));
    trials.push(Trial::test("ietf::hash_to_scalar", move || {
        let scalar = hash_to_scalar::<Bls12381Sha256>(&unhex(&h2s["message"]), &unhex(&h2s["dst"]))
            .map_err(|e| format!("{e:?}"))?;
        ensure(
            scalar.to_be_bytes().as_slice() == unhex(&h2s["scalar"]),
            || "scalar differs".into(),
        )
    }));

    let map = load(fixtures().join("MapMessageToScalarAsHash.json"));
    let dst = unhex(&map["dst"]);
    for (i, case) in map["cases"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let dst = dst.clone();
        trials.push(Trial::test(
            format!("ietf::map_message_to_scalar_{i:02}"),
            move || {
                let scalar = hash_to_scalar::<Bls12381Sha256>(&unhex(&case["message"]), &dst)
                    .map_err(|e| format!("{e:?}"))?;
                ensure(
                    scalar.to_be_bytes().as_slice() == unhex(&case["scalar"]),
                    || "scalar differs".into(),
                )
            },
        ));
    }

    let generators = load(fixtures().join("generators.json"));
    trials.push(Trial::test("ietf::generators", move || {
        let msg: Vec<Value> = generators["MsgGenerators"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let made =
            Generators::create::<Bls12381Sha256>(msg.len() + 1, Some(Bls12381Sha256::API_ID));
        let hex_of = |p: &bls12_381_plus::G1Projective| {
            hex::encode(bls12_381_plus::G1Affine::from(p).to_compressed())
        };
        ensure(
            hex_of(&made.g1_base_point) == generators["P1"].as_str().unwrap_or_default(),
            || "P1 differs".into(),
        )?;
        ensure(
            hex_of(&made.values[0]) == generators["Q1"].as_str().unwrap_or_default(),
            || "Q1 differs".into(),
        )?;
        for (i, g) in msg.iter().enumerate() {
            ensure(
                hex_of(&made.values[i + 1]) == g.as_str().unwrap_or_default(),
                || format!("H_{i} differs"),
            )?;
        }
        Ok(())
    }));

    for n in 1..=10 {
        let case = load(fixtures().join(format!("signature/signature{n:03}.json")));
        let name = format!(
            "ietf::signature{n:03} ({})",
            case["caseName"].as_str().unwrap_or_default()
        );
        trials.push(Trial::test(name, move || {
            let messages: Vec<Vec<u8>> = unhex_list(&case["messages"]);
            let header = unhex(&case["header"]);
            let signature = unhex(&case["signature"]);
            let valid = case["result"]["valid"].as_bool().unwrap_or(false);
            let verified = public_key(&case["signerKeyPair"]["publicKey"])
                .is_some_and(|pk| pk.verify_signature(&signature, &header, &messages));
            ensure(verified == valid, || {
                format!("verify gave {verified}, fixture says {valid}")
            })?;
            if valid {
                // Signing is deterministic: the same inputs give the fixture's bytes.
                let (sk, pk) =
                    IssuerSecretKey::from_bytes(&unhex(&case["signerKeyPair"]["secretKey"]))?;
                let made = sk.sign(&pk, &header, &messages)?;
                ensure(made.as_slice() == signature, || "signature differs".into())?;
            }
            Ok(())
        }));
    }

    for n in 1..=15 {
        let case = load(fixtures().join(format!("proof/proof{n:03}.json")));
        let name = format!(
            "ietf::proof{n:03} ({})",
            case["caseName"].as_str().unwrap_or_default()
        );
        trials.push(Trial::test(name, move || {
            let messages: Vec<Vec<u8>> = unhex_list(&case["messages"]);
            let indexes: Vec<usize> = case["disclosedIndexes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_u64)
                        .map(|i| i as usize)
                        .collect()
                })
                .unwrap_or_default();
            let disclosed: Option<Vec<Vec<u8>>> =
                indexes.iter().map(|&i| messages.get(i).cloned()).collect();
            let header = unhex(&case["header"]);
            let ph = unhex(&case["presentationHeader"]);
            let proof = unhex(&case["proof"]);
            let valid = case["result"]["valid"].as_bool().unwrap_or(false);
            let pk = public_key(&case["signerPublicKey"]);
            let verified = match (&pk, &disclosed) {
                (Some(pk), Some(d)) => pk.proof_verify(&proof, &header, &ph, d, &indexes),
                _ => false,
            };
            ensure(verified == valid, || {
                format!("verify gave {verified}, fixture says {valid}")
            })?;
            if let (true, Some(pk), Some(d)) = (valid, pk, disclosed) {
                // A fresh proof (fresh randomness) from the fixture's signature verifies too.
                let fresh = pk.proof_gen(
                    &unhex(&case["signature"]),
                    &header,
                    &ph,
                    &messages,
                    &indexes,
                )?;
                ensure(fresh != proof, || "proofs must be randomised".into())?;
                ensure(pk.proof_verify(&fresh, &header, &ph, &d, &indexes), || {
                    "fresh proof fails".into()
                })?;
            }
            Ok(())
        }));
    }
    trials
}

// ---------------------------------------------------------------------------------------------

const NOW: i64 = 1_780_000_000;
const MAX_AGE: i64 = 300;

struct World {
    issuer_sk: IssuerSecretKey,
    issuer_pk: IssuerPublicKey,
    holder: KeyPair,
    credit: Credential,
}

impl World {
    fn new() -> Self {
        let (issuer_sk, issuer_pk) = IssuerSecretKey::generate().expect("keygen");
        let holder = RecoveryPhrase::generate()
            .expect("rng")
            .to_seed("")
            .derive(KeyPath::IDENTITY)
            .expect("derive");
        let credit = issue(
            &issuer_sk,
            &issuer_pk,
            &holder,
            CredentialType::Credit,
            json!({
                "score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-01"
            }),
            NOW - 86_400,
            NOW + 365 * 86_400,
        );
        Self {
            issuer_sk,
            issuer_pk,
            holder,
            credit,
        }
    }

    fn trusted(&self) -> Vec<(String, IssuerPublicKey)> {
        vec![("city-credit-bureau".into(), self.issuer_pk)]
    }

    fn challenge(&self) -> Challenge {
        Challenge::new("officer-17", NOW - 10).expect("challenge")
    }
}

fn issue(
    sk: &IssuerSecretKey,
    pk: &IssuerPublicKey,
    holder: &KeyPair,
    kind: CredentialType,
    claims: Value,
    from: i64,
    until: i64,
) -> Credential {
    let claims = claims.as_object().cloned().expect("object");
    Credential::issue(
        &CredentialDraft {
            id: "urn:uuid:7d0c2a9e-credit-0001",
            issuer: "city-credit-bureau",
            kind,
            holder: &holder.public().did_key(),
            valid_from: from,
            valid_until: until,
            claims: &claims,
        },
        sk,
        pk,
    )
    .expect("issue")
}

fn rejection(result: Result<impl std::fmt::Debug, Error>) -> Result<Rejection, Failed> {
    match result {
        Err(Error::Rejected(r)) => Ok(r),
        other => Err(format!("expected a rejection, got {other:?}").into()),
    }
}

fn credential_trials() -> Vec<Trial> {
    let t = |name: &str, f: fn() -> Outcome| Trial::test(format!("credentials::{name}"), f);
    vec![
        t("credit_tier_and_bureau_verify_and_fit_a_qr_code", || {
            let w = World::new();
            let stored = Credential::from_json(&w.credit.to_json())?;
            ensure(stored == w.credit, || {
                "JSON round trip changed the credential".into()
            })?;
            let challenge = w.challenge();
            let p = present(&stored, &w.holder, &["tier", "bureau"], &challenge)?;
            for bytes in [p.to_json(), p.to_compact()] {
                let parsed = Presentation::parse(&bytes)?;
                let v = parsed.verify(&challenge, &w.trusted(), NOW, MAX_AGE)?;
                ensure(
                    v.disclosed
                        == [
                            ("tier".to_owned(), "A".to_owned()),
                            ("bureau".to_owned(), "City Credit Bureau".to_owned()),
                        ],
                    || format!("{:?}", v.disclosed),
                )?;
                ensure(v.holder == w.holder.public().did_key(), || {
                    "holder differs".into()
                })?;
                ensure(v.credential_id == "urn:uuid:7d0c2a9e-credit-0001", || {
                    "id differs".into()
                })?;
            }
            let compact = p.to_compact();
            let code = qr::encode(&compact)?;
            eprintln!(
                "credit, 2 of 4 claims: JSON {} bytes, compact {} bytes, QR version {} at level M",
                p.to_json().len(),
                compact.len(),
                qr::version(&code)
            );
            ensure(qr::to_svg(&code).starts_with("<?xml"), || "svg".into())
        }),
        t("presentation_json_uses_the_ietf_field_names", || {
            let w = World::new();
            let p = present(&w.credit, &w.holder, &["score"], &w.challenge())?;
            let j: Value = serde_json::from_slice(&p.to_json())?;
            for field in [
                "ciphersuite",
                "issuer",
                "signerPublicKey",
                "header",
                "presentationHeader",
                "disclosedIndexes",
                "disclosedMessages",
                "proof",
            ] {
                ensure(j.get(field).is_some(), || format!("{field} missing"))?;
            }
            ensure(j["ciphersuite"] == "BLS12-381-SHA-256", || {
                "ciphersuite".into()
            })?;
            ensure(j["disclosedIndexes"] == json!([0, 1]), || {
                format!("{}", j["disclosedIndexes"])
            })?;
            ensure(
                j["disclosedMessages"][1] == hex::encode("score=742"),
                || "message bytes".into(),
            )?;
            // Undisclosed claims appear nowhere.
            let text = String::from_utf8(p.to_json())?;
            ensure(
                !text.contains(&hex::encode("bureau=")) && !text.contains(&hex::encode("tier=")),
                || "an undisclosed claim leaked".into(),
            )
        }),
        t(
            "a_proof_of_any_wrong_length_is_malformed_never_a_panic",
            || {
                let w = World::new();
                let challenge = w.challenge();
                let p = present(&w.credit, &w.holder, &["score"], &challenge)?;
                let mut j: Value = serde_json::from_slice(&p.to_json())?;
                let full = hex::decode(j["proof"].as_str().unwrap_or_default())?;
                // Shorter than the fixed part, a partial scalar, and one scalar too few or many.
                let mut lengths = vec![0, 1, 100, 239, 240, 271, full.len() - 1, full.len() + 1];
                lengths.extend([full.len() - 32, full.len() + 32]);
                for len in lengths {
                    let mut bytes = full.clone();
                    bytes.resize(len, 7);
                    j["proof"] = json!(hex::encode(&bytes));
                    let outcome = Presentation::parse(&serde_json::to_vec(&j)?)
                        .and_then(|p| p.verify(&challenge, &w.trusted(), NOW, 300));
                    let refused = matches!(
                        outcome,
                        Err(Error::Rejected(
                            Rejection::Malformed | Rejection::ProofInvalid
                        ))
                    );
                    ensure(refused, || format!("a {len}-byte proof: {outcome:?}"))?;
                }
                Ok(())
            },
        ),
        t("each_tampered_variant_gets_its_reason", || {
            let w = World::new();
            let challenge = w.challenge();
            let p = present(&w.credit, &w.holder, &["tier", "bureau"], &challenge)?;
            let trusted = w.trusted();
            let check = |p: &Presentation, c: &Challenge, now: i64, want: Rejection| -> Outcome {
                let got = rejection(p.verify(c, &trusted, now, MAX_AGE))?;
                ensure(got == want, || format!("expected {want:?}, got {got:?}"))
            };
            // Another verifier's challenge: a copied presentation replayed elsewhere.
            check(
                &p,
                &Challenge::new("officer-17", NOW - 10)?,
                NOW,
                Rejection::ChallengeMismatch,
            )?;
            check(
                &p,
                &challenge,
                NOW + MAX_AGE,
                Rejection::ChallengeStale {
                    age_secs: MAX_AGE + 10,
                },
            )?;
            check(
                &p,
                &challenge,
                NOW - 200,
                Rejection::ChallengeStale { age_secs: -190 },
            )?;
            let got = rejection(p.verify(&challenge, &[], NOW, MAX_AGE))?;
            ensure(got == Rejection::IssuerUnknown, || format!("{got:?}"))?;
            let (_, other_pk) = IssuerSecretKey::generate()?;
            let got = rejection(p.verify(
                &challenge,
                &[("city-credit-bureau".into(), other_pk)],
                NOW,
                MAX_AGE,
            ))?;
            ensure(got == Rejection::IssuerUnknown, || format!("{got:?}"))?;

            let mut changed = p.clone();
            changed.disclosed_messages[1] = b"tier=B".to_vec();
            check(&changed, &challenge, NOW, Rejection::ProofInvalid)?;
            let mut changed = p.clone();
            changed.proof[40] ^= 1;
            check(&changed, &challenge, NOW, Rejection::ProofInvalid)?;
            let mut changed = p.clone();
            changed.holder_signature[5] ^= 1;
            check(&changed, &challenge, NOW, Rejection::HolderBindingInvalid)?;
            // A thief with a copy of the credential but not the key signs with their own.
            let thief = RecoveryPhrase::generate()?
                .to_seed("")
                .derive(KeyPath::IDENTITY)?;
            let mut stolen = p.clone();
            let msg = citywallet_core::credentials::binding_message(
                &p.header,
                &p.presentation_header,
                &p.proof,
            );
            stolen.holder_signature = thief.sign(&msg).to_bytes();
            check(&stolen, &challenge, NOW, Rejection::HolderBindingInvalid)?;
            ensure(
                matches!(
                    present(&w.credit, &thief, &["tier"], &challenge),
                    Err(Error::InvalidCredential { .. })
                ),
                || "a thief must not present".into(),
            )?;
            let mut changed = p.clone();
            changed.header = changed.header.replace_spaces();
            check(&changed, &challenge, NOW, Rejection::Malformed)
        }),
        t("expired_and_not_yet_valid_credentials_are_refused", || {
            let w = World::new();
            let claims = json!({ "district": "Harbour", "since": "2019-04-01" });
            for (from, until, want) in [
                (NOW - 1000, NOW - 100, Rejection::Expired),
                (NOW + 1000, NOW + 9000, Rejection::NotYetValid),
            ] {
                let c = issue(
                    &w.issuer_sk,
                    &w.issuer_pk,
                    &w.holder,
                    CredentialType::Residency,
                    claims.clone(),
                    from,
                    until,
                );
                let challenge = w.challenge();
                let p = present(&c, &w.holder, &["district"], &challenge)?;
                let got = rejection(p.verify(&challenge, &w.trusted(), NOW, MAX_AGE))?;
                ensure(got == want, || format!("expected {want:?}, got {got:?}"))?;
            }
            Ok(())
        }),
        t("flipping_any_byte_of_a_presentation_is_rejected", || {
            let w = World::new();
            let challenge = w.challenge();
            let p = present(&w.credit, &w.holder, &["tier", "bureau"], &challenge)?;
            let compact = p.to_compact();
            for i in 0..compact.len() {
                for bit in [0x01u8, 0x80] {
                    let mut bytes = compact.clone();
                    bytes[i] ^= bit;
                    let outcome = Presentation::parse(&bytes)
                        .and_then(|p| p.verify(&challenge, &w.trusted(), NOW, MAX_AGE));
                    ensure(outcome.is_err(), || {
                        format!("byte {i} ^ {bit:#x} was accepted")
                    })?;
                }
            }
            let json = p.to_json();
            for i in (0..json.len()).step_by(3) {
                let mut bytes = json.clone();
                bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
                let outcome = Presentation::parse(&bytes)
                    .and_then(|p| p.verify(&challenge, &w.trusted(), NOW, MAX_AGE));
                ensure(outcome.is_err() || bytes == json, || {
                    format!("JSON byte {i} change was accepted")
                })?;
            }
            Ok(())
        }),
        t("changing_any_disclosed_claim_is_rejected", || {
            let w = World::new();
            let challenge = w.challenge();
            let p = present(
                &w.credit,
                &w.holder,
                &["score", "tier", "bureau", "date"],
                &challenge,
            )?;
            for i in 0..p.disclosed_messages.len() {
                for replacement in [
                    b"score=743".to_vec(),
                    b"tier=E".to_vec(),
                    b"date=2026-11-02".to_vec(),
                    Vec::new(),
                    p.disclosed_messages[(i + 1) % 5].clone(),
                ] {
                    if replacement == p.disclosed_messages[i] {
                        continue;
                    }
                    let mut changed = p.clone();
                    changed.disclosed_messages[i] = replacement;
                    ensure(
                        changed
                            .verify(&challenge, &w.trusted(), NOW, MAX_AGE)
                            .is_err(),
                        || format!("message {i} change accepted"),
                    )?;
                }
            }
            // Claiming a hidden message is disclosed, or dropping a disclosed one.
            let mut changed = p.clone();
            changed.disclosed_indexes.pop();
            changed.disclosed_messages.pop();
            let got = rejection(changed.verify(&challenge, &w.trusted(), NOW, MAX_AGE))?;
            ensure(got == Rejection::ProofInvalid, || format!("{got:?}"))
        }),
        t("random_bytes_never_panic", || {
            use proptest::prelude::*;
            let w = World::new();
            let challenge = w.challenge();
            let p = present(&w.credit, &w.holder, &["tier"], &challenge)?;
            let compact = p.to_compact();
            let mut runner =
                proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
                    failure_persistence: None,
                    ..Default::default()
                });
            runner
                .run(&proptest::collection::vec(any::<u8>(), 0..2048), |bytes| {
                    prop_assert!(
                        Presentation::parse(&bytes)
                            .and_then(|p| p.verify(&challenge, &w.trusted(), NOW, MAX_AGE))
                            .is_err()
                    );
                    prop_assert!(Credential::from_json(&bytes).is_err());
                    prop_assert!(Challenge::from_json(&bytes).is_err());
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            // Truncations and extensions of a valid compact form.
            for len in 0..compact.len() {
                ensure(Presentation::from_compact(&compact[..len]).is_err(), || {
                    format!("truncated to {len}")
                })?;
            }
            let mut longer = compact.clone();
            longer.push(0);
            ensure(Presentation::from_compact(&longer).is_err(), || {
                "trailing byte".into()
            })?;
            ensure(Presentation::parse(&vec![b'{'; 1 << 20]).is_err(), || {
                "oversized".into()
            })
        }),
        t("schemas_refuse_bad_claims_and_raw_templates", || {
            let w = World::new();
            let (sk, pk) = (&w.issuer_sk, &w.issuer_pk);
            let did = w.holder.public().did_key();
            let try_issue = |kind: CredentialType, claims: Value| {
                let claims = claims.as_object().cloned().unwrap_or_default();
                Credential::issue(
                    &CredentialDraft {
                        id: "c-1",
                        issuer: "city-credit-bureau",
                        kind,
                        holder: &did,
                        valid_from: NOW,
                        valid_until: NOW + 10,
                        claims: &claims,
                    },
                    sk,
                    pk,
                )
            };
            let hash = biometric_template_hash(b"enrolment salt 0001", b"template bytes");
            ensure(try_issue(CredentialType::Biometric, json!({"template_hash": hash, "modality": "face", "office": "District 4 office"})).is_ok(), || "biometric".into())?;
            for (kind, claims) in [
                (
                    CredentialType::Credit,
                    json!({"score": 742, "tier": "A", "bureau": "X"}),
                ),
                (
                    CredentialType::Credit,
                    json!({"score": 742, "tier": "A", "bureau": "X", "date": "2026-01-01", "extra": 1}),
                ),
                (
                    CredentialType::Credit,
                    json!({"score": 900, "tier": "A", "bureau": "X", "date": "2026-01-01"}),
                ),
                (
                    CredentialType::Biometric,
                    json!({"template_hash": hex::encode([1u8; 512]), "modality": "face", "office": "X"}),
                ),
                (
                    CredentialType::Officer,
                    json!({"department": "Traffic", "badge": "T-1", "scopes": "Verify Credit"}),
                ),
            ] {
                ensure(
                    matches!(
                        try_issue(kind, claims.clone()),
                        Err(Error::InvalidCredential { .. })
                    ),
                    || format!("{claims} was accepted"),
                )?;
            }
            for kind in CredentialType::ALL {
                ensure(kind.claims().len() >= 2, || format!("{kind:?}"))?;
            }
            // A stored credential whose claim was edited no longer verifies on import.
            let mut text: Value = serde_json::from_slice(&w.credit.to_json())?;
            text["claims"][0]["value"] = json!("850");
            let edited = serde_json::to_vec(&text)?;
            ensure(
                matches!(
                    Credential::from_json(&edited),
                    Err(Error::InvalidCredential { .. })
                ),
                || "edited credential imported".into(),
            )?;
            ensure(
                matches!(
                    present(&w.credit, &w.holder, &["income"], &w.challenge()),
                    Err(Error::UnknownClaim)
                ),
                || "unknown claim".into(),
            )
        }),
        t("secrets_stay_out_of_debug_output", || {
            let w = World::new();
            let printed = format!("{:?} {:?}", w.issuer_sk, w.credit);
            ensure(
                !printed.contains(&hex::encode(w.issuer_sk.to_bytes().as_slice())),
                || "secret key printed".into(),
            )?;
            ensure(
                !printed.contains("742") && !printed.contains("City Credit Bureau"),
                || printed.clone(),
            )
        }),
    ]
}

trait ReplaceSpaces {
    fn replace_spaces(&self) -> Vec<u8>;
}

impl ReplaceSpaces for Vec<u8> {
    /// The same header JSON with a space after the first colon: not canonical.
    fn replace_spaces(&self) -> Vec<u8> {
        let text = String::from_utf8_lossy(self).replacen(':', ": ", 1);
        text.into_bytes()
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = ietf_trials();
    trials.extend(credential_trials());
    libtest_mimic::run(&args, trials).exit();
}
