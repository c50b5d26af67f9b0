//! The issuer service as a process (`citywallet-issuer`), on a devnet: the operator sets it
//! up with the devnet's credit bureau keys, adds a citizen's record and makes offers; a
//! citizen's wallet takes them with OpenID4VCI and keeps the credential once its base proof
//! verifies with the key on the chain; codes, tokens and nonces are single use; bad proofs
//! get typed errors; the operator revokes on the chain.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use citywallet_chain_tests::Net;
use citywallet_wallet::Check;
use common::{citizen, offer, operator, start};
use ed25519_dalek::Signer as _;
use serde_json::{Value, json};

#[test]
fn a_citizen_takes_an_offer_and_the_credential_verifies_against_the_chain() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let s = start(&net, dir.path());
    let mut w = citizen(&net, dir.path());
    let did = w.identity_info().expect("id").did;

    let o = offer(&s, &[]);
    let uri = o["uri"].as_str().expect("uri");
    assert!(uri.starts_with("openid-credential-offer://?credential_offer="));
    let preview = w.preview_offer(uri).expect("preview");
    assert_eq!(preview.issuer_name, "City Credit Bureau");
    assert_eq!(
        preview.kinds,
        [citywallet_core::credentials::CredentialType::Credit]
    );
    assert_eq!(preview.tx_code_length, None);

    let item = w.accept_offer(uri, None).expect("accept");
    assert_eq!(item.issuer, "city-credit-bureau");
    assert_eq!(item.claims, ["score", "tier", "bureau", "date"]);
    let vc = w.vc(&item.id).expect("kept");
    assert_eq!(vc["credentialSubject"]["id"], did.as_str());
    assert_eq!(vc["credentialSubject"]["score"], 731);
    assert_eq!(vc["proof"]["cryptosuite"], "bbs-2023");

    // The code is single use: the same offer again changes nothing.
    let again = w.accept_offer(uri, None).expect_err("replayed");
    assert_eq!(again.code(), "offer_used_or_expired", "{again}");
    assert_eq!(w.vcs().expect("list").len(), 1);

    // A derived proof disclosing the score verifies with the chain's key, and is bound to
    // the presentation header.
    let (record, _) = w.proven_issuer("city-credit-bureau").expect("record");
    let public = citywallet_core::credentials::IssuerPublicKey::from_bytes(
        &hex::decode(record.expect("registered").bbs_public_key).expect("hex"),
    )
    .expect("key");
    let derived = citywallet_vc::derived::derive(
        &vc,
        &[citywallet_vc::city::claim_pointer("score")],
        b"officer-nonce-1",
    )
    .expect("derive");
    assert_eq!(derived["credentialSubject"]["score"], 731);
    assert!(derived["credentialSubject"].get("tier").is_none());
    assert_eq!(
        citywallet_vc::derived::verify(&derived, &public).expect("verify"),
        b"officer-nonce-1"
    );

    // An officer checks a presentation of it, online and offline, from its compact form.
    let mut officer = common::wallet_named(&net, dir.path(), "officer");
    officer.sync(&mut |_| {}).expect("officer sync");
    let (_, challenge) = officer.new_challenge(Some("officer-7")).expect("challenge");
    let shown = w
        .present_shown(&item.id, &["score".into()], &challenge.text)
        .expect("present");
    let text = base64::engine::general_purpose::STANDARD.encode(&shown.compact);
    for check in [Check::Online, Check::Offline] {
        let v = officer
            .verify_text(&text, &challenge.text, check)
            .expect("verifies");
        assert_eq!(v.issuer, "city-credit-bureau");
        assert_eq!(v.holder, did);
        assert_eq!(v.disclosed.len(), 1);
        assert_eq!(
            (v.disclosed[0].name.as_str(), v.disclosed[0].value.as_str()),
            ("score", "731")
        );
    }
    let json = String::from_utf8(shown.json.clone()).expect("utf8");
    officer
        .verify_text(&json, &challenge.text, Check::Online)
        .expect("the JSON form verifies too");
    let (_, other) = officer.new_challenge(Some("officer-7")).expect("challenge");
    assert_eq!(
        officer
            .verify_text(&text, &other.text, Check::Online)
            .expect_err("another challenge")
            .code(),
        "challenge_mismatch"
    );

    // The operator sees what became of the offer, and revokes on the chain.
    let offers = operator(&s.data, &["offer", "list"]).expect("list");
    assert_eq!(offers[0]["state"], "issued");
    assert_eq!(offers[0]["credentialId"], item.id.as_str());
    let issued = operator(&s.data, &["issued"]).expect("issued");
    assert_eq!(issued[0]["holder"], did.as_str());
    let receipt = operator(
        &s.data,
        &[
            "revoke",
            "--credential",
            &item.id,
            "--reason",
            "test revocation",
        ],
    )
    .expect("revoke");
    assert!(receipt["height"].as_u64().expect("height") > 0);
    let status = operator(&s.data, &["status"]).expect("status");
    assert_eq!(status["keyMatches"], true);
    assert_eq!(
        officer
            .verify_text(&text, &challenge.text, Check::Online)
            .expect_err("revoked")
            .code(),
        "credential_revoked"
    );
}

#[test]
fn transaction_codes_entitlements_and_bad_offers_are_refused_with_typed_errors() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let s = start(&net, dir.path());
    let mut w = citizen(&net, dir.path());

    let o = offer(&s, &["--tx-code"]);
    let uri = o["uri"].as_str().expect("uri");
    let pin = o["txCode"].as_str().expect("pin");
    assert_eq!(pin.len(), 6);
    assert_eq!(
        w.preview_offer(uri).expect("preview").tx_code_length,
        Some(6)
    );
    assert_eq!(
        w.accept_offer(uri, None).expect_err("no pin").code(),
        "tx_code_required"
    );
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    assert_eq!(
        w.accept_offer(uri, Some(wrong))
            .expect_err("wrong pin")
            .code(),
        "offer_used_or_expired"
    );
    w.accept_offer(uri, Some(pin)).expect("right pin");

    // The records decide: alice has no residency entitlement, and this issuer offers none.
    let refused = operator(
        &s.data,
        &[
            "offer",
            "create",
            "--citizen",
            "alice",
            "--credential",
            "residency",
        ],
    )
    .expect_err("not offered");
    assert!(refused.contains("invalid_input"), "{refused}");
    let refused = operator(
        &s.data,
        &[
            "offer",
            "create",
            "--citizen",
            "bob",
            "--credential",
            "credit",
        ],
    )
    .expect_err("no record");
    assert!(refused.contains("unknown_citizen"), "{refused}");

    for (bad, code) in [
        ("openid-credential-offer://?nothing=1", "offer_malformed"),
        (
            "openid-credential-offer://?credential_offer=%7B",
            "offer_malformed",
        ),
        (
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx.example%2Fo",
            "offer_malformed",
        ),
        (
            r#"{"credential_issuer":"http://city.example","credential_configuration_ids":["CreditScoreCredential"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"x"}}}"#,
            "issuer_url_insecure",
        ),
    ] {
        assert_eq!(
            w.accept_offer(bad, None).expect_err(bad).code(),
            code,
            "{bad}"
        );
    }
    let huge = format!(
        "openid-credential-offer://?credential_offer={}",
        "a".repeat(10_000)
    );
    assert_eq!(
        w.accept_offer(&huge, None).expect_err("huge").code(),
        "input_too_large"
    );
    assert_eq!(w.vcs().expect("list").len(), 1, "nothing else kept");
}

/// A holder's proof JWT, signed by `signer`, naming `kid_key`'s did:key.
fn proof(
    signer: &ed25519_dalek::SigningKey,
    kid_key: &ed25519_dalek::VerifyingKey,
    aud: &str,
    nonce: &str,
) -> String {
    let did = citywallet_core::keys::PublicKey::from_bytes(&kid_key.to_bytes())
        .expect("key")
        .did_key();
    let key = did.strip_prefix("did:key:").expect("did");
    let header =
        json!({ "typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": format!("{did}#{key}") });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let payload = json!({ "aud": aud, "iat": now, "nonce": nonce });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let sig = signer.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

#[test]
fn the_endpoints_refuse_replays_foreign_proofs_and_oversized_bodies() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let s = start(&net, dir.path());
    // No kept-alive connections: the server closes the one it refused an oversized body
    // on, and a pooled client would send the next request down it.
    let http = reqwest::blocking::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let code = |o: &Value| -> String {
        let uri = o["uri"].as_str().expect("uri");
        let q = uri.split_once("credential_offer=").expect("offer").1;
        let offer: Value = serde_json::from_str(
            &percent_encoding::percent_decode_str(q)
                .decode_utf8()
                .expect("utf8"),
        )
        .expect("offer json");
        offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
            .as_str()
            .expect("code")
            .to_owned()
    };
    let token = |c: &str| -> (u16, Value) {
        let r = http
            .post(format!("{}/token", s.url))
            .form(&[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                ),
                ("pre-authorized_code", c),
            ])
            .send()
            .expect("token");
        (r.status().as_u16(), r.json().expect("json"))
    };
    let nonce = || -> String {
        let r: Value = http
            .post(format!("{}/nonce", s.url))
            .send()
            .expect("nonce")
            .json()
            .expect("json");
        r["c_nonce"].as_str().expect("nonce").to_owned()
    };
    let credential = |access: &str, jwt: &str| -> (u16, Value) {
        let r = http
            .post(format!("{}/credential", s.url))
            .bearer_auth(access)
            .header("content-type", "application/json")
            .body(json!({ "credential_configuration_id": "CreditScoreCredential", "proofs": { "jwt": [jwt] } }).to_string())
            .send()
            .expect("credential");
        (r.status().as_u16(), r.json().expect("json"))
    };

    let c = code(&offer(&s, &[]));
    let (status, t) = token(&c);
    assert_eq!(status, 200, "{t}");
    let access = t["access_token"].as_str().expect("token").to_owned();
    let (status, again) = token(&c);
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant")),
        "code replay"
    );

    let holder = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let other = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    // Signed by one key, naming another.
    let n = nonce();
    let (status, e) = credential(&access, &proof(&other, &holder.verifying_key(), &s.url, &n));
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_proof")),
        "{e}"
    );
    // For another issuer.
    let (status, e) = credential(
        &access,
        &proof(
            &holder,
            &holder.verifying_key(),
            "https://other.example",
            &nonce(),
        ),
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_proof")),
        "{e}"
    );
    // A nonce this issuer never gave.
    let (status, e) = credential(
        &access,
        &proof(&holder, &holder.verifying_key(), &s.url, "made-up"),
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_nonce")),
        "{e}"
    );
    // Right at last; then the nonce and the token are spent.
    let n = nonce();
    let good = proof(&holder, &holder.verifying_key(), &s.url, &n);
    let (status, ok) = credential(&access, &good);
    assert_eq!(status, 200, "{ok}");
    assert!(ok["credentials"][0]["credential"]["proof"]["proofValue"].is_string());
    let (status, e) = credential(&access, &good);
    assert_eq!(
        (status, e["error"].as_str()),
        (401, Some("invalid_token")),
        "token replay"
    );

    let c = code(&offer(&s, &[]));
    let access = token(&c).1["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (status, e) = credential(&access, &good);
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_nonce")),
        "nonce replay: {e}"
    );
    let (status, e) = credential("not-a-token", &good);
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_token")));

    let big = http
        .post(format!("{}/credential", s.url))
        .bearer_auth(&access)
        .header("content-type", "application/json")
        .body(vec![b' '; 64 * 1024])
        .send()
        .expect("big");
    assert_eq!(big.status().as_u16(), 413);
    // The token survived all of that: refusals change nothing.
    let n = nonce();
    let (status, _) = credential(
        &access,
        &proof(&holder, &holder.verifying_key(), &s.url, &n),
    );
    assert_eq!(status, 200);
}

/// An issuer service the chain does not know, one whose key is not the chain's, and one the
/// city deactivated: each credential is refused with its code, and nothing is kept.
#[test]
fn credentials_the_chain_does_not_back_are_refused_and_nothing_is_kept() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let mut w = citizen(&net, dir.path());
    let claims = r#"{"score": 700, "tier": "B", "bureau": "Somewhere", "date": "2026-11-30"}"#;

    // Not registered: a service calling itself an issuer the chain has never heard of.
    let rogue = common::start_issuer(&net, dir.path(), "rogue-bureau", None, claims);
    let e = w
        .accept_offer(offer(&rogue, &[])["uri"].as_str().expect("uri"), None)
        .expect_err("unregistered");
    assert_eq!(e.code(), "issuer_not_registered", "{e}");

    // The registered id, but new keys: the proof does not verify with the chain's key.
    let impostor = common::start_issuer(&net, dir.path(), "city-credit-bureau", None, claims);
    let e = w
        .accept_offer(offer(&impostor, &[])["uri"].as_str().expect("uri"), None)
        .expect_err("other key");
    assert_eq!(e.code(), "credential_proof_invalid", "{e}");

    // The real bureau, deactivated by the city.
    let real = start(&net, dir.path());
    let tx = citywallet_chain_tests::admin_tx(
        net.devnet(),
        &net.keys,
        0,
        citywallet_protocol::Action::DeactivateIssuer {
            id: "city-credit-bureau".into(),
        },
    );
    assert_eq!(
        net.devnet().broadcast(tx).expect("broadcast").code,
        citywallet_protocol::Code::Ok
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while w
        .proven_issuer("city-credit-bureau")
        .expect("read")
        .0
        .is_some_and(|r| r.status == citywallet_protocol::Status::Active)
    {
        assert!(std::time::Instant::now() < deadline, "never deactivated");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let e = w
        .accept_offer(offer(&real, &[])["uri"].as_str().expect("uri"), None)
        .expect_err("inactive");
    assert_eq!(e.code(), "issuer_inactive", "{e}");

    // An oversized credential pasted in.
    let big = format!(
        "{{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"], \"pad\": \"{}\"}}",
        "x".repeat(citywallet_core::vault::MAX_DOCUMENT_BYTES)
    );
    assert_eq!(
        w.import_credential(big.as_bytes()).expect_err("big").code(),
        "input_too_large"
    );
    assert!(w.vcs().expect("list").is_empty(), "nothing was kept");
}
