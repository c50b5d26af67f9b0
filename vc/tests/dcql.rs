//! DCQL for W3C credentials (OpenID4VP 1.0 §6–7, B.1): our matching against the `dcql` npm
//! package's (3.0.0, `tests/interop/dcql-match.mjs`, an independent implementation), query by
//! query over three held city credentials; the claim paths we would disclose; malformed and
//! unanswerable queries; and the verifier's check of what was presented.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use citywallet_core::credentials::CredentialType;
use citywallet_vc::dcql::{self, CITY_VOCAB, Query, VERIFIABLE_CREDENTIAL_IRI};
use citywallet_vc::{VcError, city};
use serde_json::{Value, json};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

fn credential(kind: CredentialType, claims: &[(&str, &str)]) -> Value {
    let issuer = city::issuer_iri("city-hall");
    city::document(&city::Draft {
        kind,
        id: "urn:uuid:2f1e4b7c-0d3a-4e5b-9c8d-1a2b3c4d5e6f",
        issuer: &issuer,
        holder: HOLDER,
        claims,
        valid_from: "2026-11-01T00:00:00Z",
        valid_until: "2027-12-01T00:00:00Z",
    })
    .expect("document")
}

fn held() -> Vec<(Value, Vec<String>)> {
    [
        credential(
            CredentialType::Credit,
            &[
                ("score", "712"),
                ("tier", "A"),
                ("bureau", "City Credit Bureau"),
                ("date", "2026-11-30"),
            ],
        ),
        credential(
            CredentialType::Residency,
            &[("district", "Harbour"), ("since", "2019-04-01")],
        ),
        credential(
            CredentialType::Officer,
            &[
                ("department", "police"),
                ("badge", "PD-4471"),
                ("scopes", "verify"),
            ],
        ),
    ]
    .into_iter()
    .map(|c| {
        let t = dcql::expanded_types(&c);
        (c, t)
    })
    .collect()
}

fn t(name: &str) -> String {
    format!("{CITY_VOCAB}{name}")
}

/// The npm package's answer for `query` over `held`.
fn theirs(query: &Value, held: &[(Value, Vec<String>)]) -> Value {
    let input = json!({
        "query": query,
        "held": held.iter().map(|(c, t)| json!({ "type": t, "credential": c })).collect::<Vec<_>>(),
    });
    let mut child = Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/interop/dcql-match.mjs"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed: run scripts/setup.sh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Ours, in the same shape.
fn ours(query: &Value, held: &[(Value, Vec<String>)]) -> Value {
    let Ok(q) = Query::parse(query) else {
        return json!({ "valid": false });
    };
    let mut matches = serde_json::Map::new();
    let satisfied = match q.query(held) {
        Ok(m) => {
            for (id, c) in m.candidates {
                matches.insert(id, c.iter().map(|c| c.index).collect::<Vec<_>>().into());
            }
            true
        }
        Err(VcError::DcqlUnsatisfiable) => {
            for cq in &q.credentials {
                let list: Vec<usize> = held
                    .iter()
                    .enumerate()
                    .filter(|(_, (c, t))| cq.matches(c, t).is_some())
                    .map(|(i, _)| i)
                    .collect();
                matches.insert(cq.id.clone(), list.into());
            }
            false
        }
        Err(e) => panic!("{e}"),
    };
    json!({ "valid": true, "satisfied": satisfied, "matches": matches })
}

fn cq(id: &str, types: &[&str], claims: Value) -> Value {
    let mut q = json!({
        "id": id,
        "format": "ldp_vc",
        "meta": { "type_values": [types.iter().map(|x| t(x)).collect::<Vec<_>>()] },
    });
    if !claims.is_null() {
        q["claims"] = claims;
    }
    q
}

#[test]
fn our_matching_agrees_with_the_dcql_package_query_by_query() {
    let held = held();
    let queries = [
        (
            "one claim",
            json!({ "credentials": [cq("credit", &["CreditScoreCredential"], json!([{ "path": ["credentialSubject", "tier"] }]))] }),
        ),
        (
            "two types required",
            json!({ "credentials": [{
            "id": "credit", "format": "ldp_vc",
            "meta": { "type_values": [[VERIFIABLE_CREDENTIAL_IRI, t("CreditScoreCredential")]] },
            "claims": [{ "path": ["credentialSubject", "score"] }]
        }] }),
        ),
        (
            "short type names do not match",
            json!({ "credentials": [{
            "id": "credit", "format": "ldp_vc", "meta": { "type_values": [["CreditScoreCredential"]] }
        }] }),
        ),
        (
            "a value that matches",
            json!({ "credentials": [cq("credit", &["CreditScoreCredential"], json!([{ "path": ["credentialSubject", "tier"], "values": ["A", "B"] }]))] }),
        ),
        (
            "a value that does not",
            json!({ "credentials": [cq("credit", &["CreditScoreCredential"], json!([{ "path": ["credentialSubject", "tier"], "values": ["C"] }]))] }),
        ),
        (
            "a number value",
            json!({ "credentials": [cq("credit", &["CreditScoreCredential"], json!([{ "path": ["credentialSubject", "score"], "values": [712] }]))] }),
        ),
        (
            "a number as text does not match",
            json!({ "credentials": [cq("credit", &["CreditScoreCredential"], json!([{ "path": ["credentialSubject", "score"], "values": ["712"] }]))] }),
        ),
        (
            "a missing claim",
            json!({ "credentials": [cq("credit", &["CreditScoreCredential"], json!([{ "path": ["credentialSubject", "income"] }]))] }),
        ),
        (
            "claim sets, the first unanswerable",
            json!({ "credentials": [{
            "id": "credit", "format": "ldp_vc",
            "meta": { "type_values": [[t("CreditScoreCredential")]] },
            "claims": [
                { "id": "t", "path": ["credentialSubject", "tier"] },
                { "id": "i", "path": ["credentialSubject", "income"] },
                { "id": "b", "path": ["credentialSubject", "bureau"] }
            ],
            "claim_sets": [["t", "i"], ["b"]]
        }] }),
        ),
        (
            "credential sets with alternatives",
            json!({
                "credentials": [
                    cq("tech", &["TechnicianCredential"], Value::Null),
                    cq("residency", &["ResidencyCredential"], json!([{ "path": ["credentialSubject", "district"] }])),
                    cq("officer", &["OfficerCredential"], json!([{ "path": ["credentialSubject", "badge"] }])),
                    cq("credit", &["CreditScoreCredential"], Value::Null)
                ],
                "credential_sets": [
                    { "options": [["tech"], ["residency", "officer"]] },
                    { "options": [["credit"]], "required": false }
                ]
            }),
        ),
        (
            "a required set nobody answers",
            json!({
                "credentials": [cq("tech", &["TechnicianCredential"], Value::Null), cq("credit", &["CreditScoreCredential"], Value::Null)],
                "credential_sets": [{ "options": [["tech"]] }]
            }),
        ),
        (
            "two queries, one unanswerable",
            json!({ "credentials": [
            cq("credit", &["CreditScoreCredential"], Value::Null),
            cq("biometric", &["BiometricTemplateCredential"], Value::Null)
        ] }),
        ),
        (
            "a type alternative",
            json!({ "credentials": [{
            "id": "any", "format": "ldp_vc",
            "meta": { "type_values": [[t("BiometricTemplateCredential")], [t("ResidencyCredential")]] }
        }] }),
        ),
        (
            "no meta: refused",
            json!({ "credentials": [{ "id": "credit", "format": "ldp_vc" }] }),
        ),
        (
            "a bad id: refused",
            json!({ "credentials": [cq("credit score", &["CreditScoreCredential"], Value::Null)] }),
        ),
        (
            "a set naming no query: refused",
            json!({
                "credentials": [cq("credit", &["CreditScoreCredential"], Value::Null)],
                "credential_sets": [{ "options": [["nope"]] }]
            }),
        ),
        (
            "two queries with one id: refused",
            json!({ "credentials": [
            cq("credit", &["CreditScoreCredential"], Value::Null),
            cq("credit", &["ResidencyCredential"], Value::Null)
        ] }),
        ),
        (
            "a claim set naming no claim: refused",
            json!({ "credentials": [{
            "id": "credit", "format": "ldp_vc", "meta": { "type_values": [[t("CreditScoreCredential")]] },
            "claims": [{ "id": "t", "path": ["credentialSubject", "tier"] }],
            "claim_sets": [["x"]]
        }] }),
        ),
    ];
    for (name, query) in &queries {
        assert_eq!(ours(query, &held), theirs(query, &held), "{name}: {query}");
    }
}

#[test]
fn matching_gives_the_pointers_to_disclose_and_the_queries_to_answer() {
    let held = held();
    let q = Query::parse(&json!({ "credentials": [{
        "id": "credit", "format": "ldp_vc",
        "meta": { "type_values": [[t("CreditScoreCredential")]] },
        "claims": [
            { "id": "t", "path": ["credentialSubject", "tier"] },
            { "id": "i", "path": ["credentialSubject", "income"] },
            { "id": "b", "path": ["credentialSubject", "bureau"] }
        ],
        "claim_sets": [["t", "i"], ["b"]]
    }] }))
    .expect("query");
    let m = q.query(&held).expect("answerable");
    assert_eq!(m.to_answer, ["credit"]);
    assert_eq!(m.candidates["credit"].len(), 1);
    assert_eq!(m.candidates["credit"][0].index, 0);
    assert_eq!(
        m.candidates["credit"][0].disclose,
        ["/credentialSubject/bureau"]
    );

    let too_much = Query::parse(&json!({ "credentials": [
        { "id": "b", "format": "ldp_vc", "meta": { "type_values": [[t("BiometricTemplateCredential")]] } }
    ] }))
    .expect("query");
    assert_eq!(too_much.query(&held), Err(VcError::DcqlUnsatisfiable));
    assert_eq!(VcError::DcqlUnsatisfiable.code(), "dcql_unsatisfiable");

    let huge = json!({ "credentials": [cq("x", &["CreditScoreCredential"], json!([{ "path": ["a".repeat(20_000)] }]))] });
    assert!(matches!(Query::parse(&huge), Err(VcError::DcqlInvalid(_))));
    assert!(matches!(
        Query::parse(&json!("not an object")),
        Err(VcError::DcqlInvalid(_))
    ));
    assert!(matches!(
        Query::parse(
            &json!({ "credentials": [{ "id": "x", "format": "jwt_vc_json", "meta": { "type_values": [["a"]] } }] })
        ),
        Err(VcError::DcqlInvalid(_))
    ));
}

#[test]
fn the_verifier_checks_what_was_presented_against_its_query() {
    let held = held();
    let q = Query::parse(&json!({
        "credentials": [
            cq("credit", &["CreditScoreCredential"], json!([{ "path": ["credentialSubject", "tier"] }])),
            cq("residency", &["ResidencyCredential"], Value::Null)
        ],
        "credential_sets": [{ "options": [["credit"]] }, { "options": [["residency"]], "required": false }]
    }))
    .expect("query");
    let presented = |pairs: &[(&str, &[usize])]| -> BTreeMap<String, Vec<(Value, Vec<String>)>> {
        pairs
            .iter()
            .map(|(id, ix)| {
                (
                    (*id).to_owned(),
                    ix.iter().map(|i| held[*i].clone()).collect(),
                )
            })
            .collect()
    };
    q.check_presented(&presented(&[("credit", &[0])]))
        .expect("the required set");
    q.check_presented(&presented(&[("credit", &[0]), ("residency", &[1])]))
        .expect("both");
    for (bad, why) in [
        (presented(&[("residency", &[1])]), "required missing"),
        (presented(&[("credit", &[1])]), "the wrong credential"),
        (presented(&[("credit", &[0, 0])]), "two without multiple"),
        (presented(&[("credit", &[])]), "empty"),
        (
            presented(&[("credit", &[0]), ("other", &[0])]),
            "an unknown id",
        ),
    ] {
        assert!(
            matches!(q.check_presented(&bad), Err(VcError::DcqlNotAnswered(_))),
            "{why}"
        );
    }
    // A presented credential without the claim asked for does not answer.
    let mut bare = held[0].clone();
    bare.0["credentialSubject"]
        .as_object_mut()
        .expect("subject")
        .remove("tier");
    let mut map = BTreeMap::new();
    map.insert("credit".to_owned(), vec![bare]);
    assert!(q.check_presented(&map).is_err());
}
