//! Private credentials from the issuer service as a process, on a devnet: the citizen's
//! wallet asks with a commitment to its holder secret and prover nym (both from its
//! recovery phrase), the issuer signs blindly a credential without ids for the current
//! window, the wallet keeps it once the signature verifies with its secrets and the chain's
//! key, and presents it with no DID; the verifier checks it with the chain's key. Two
//! credentials of one citizen (the same window) give the same pseudonym in one context; a
//! malformed, unproven or too small commitment is refused before the proof of possession
//! is even read, and nothing is issued.

mod common;

use base64::Engine as _;
use citywallet_chain_tests::Net;
use citywallet_core::credentials::IssuerPublicKey;
use citywallet_vc::private;
use common::{citizen, offer, start};
use serde_json::Value;

fn chain_key(w: &mut citywallet_wallet::Wallet) -> IssuerPublicKey {
    let (record, _) = w.proven_issuer("city-credit-bureau").expect("record");
    IssuerPublicKey::from_bytes(
        &hex::decode(record.expect("registered").bbs_public_key).expect("hex"),
    )
    .expect("key")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[test]
fn a_private_credential_is_issued_blindly_kept_and_shown_with_no_did() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let s = start(&net, dir.path());
    let mut w = citizen(&net, dir.path());
    let did = w.identity_info().expect("id").did;

    let o = offer(&s, &[]);
    let item = w
        .accept_offer_private(o["uri"].as_str().expect("uri"), None)
        .expect("accept");
    assert!(item.id.starts_with("private-"));
    assert_eq!(item.claims, ["score", "tier", "bureau", "date"]);
    let window = citywallet_issuer::service::PRIVATE_WINDOW_SECS;
    assert_eq!(item.valid_from % window, 0, "a window's start");
    assert_eq!(item.valid_until - item.valid_from, window);
    let held = w.private_vcs().expect("list");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].id, item.id);
    assert!(w.vcs().expect("list").is_empty(), "kept apart");

    let key = chain_key(&mut w);
    let vp = w
        .present_private(&item.id, &["tier"], "nonce-1", "officer-7", None)
        .expect("present");
    let bytes = serde_json::to_vec(&vp).expect("json");
    let text = String::from_utf8(bytes.clone()).expect("utf8");
    assert!(
        !text.contains(&did) && !text.contains("did:key"),
        "no DID: {text}"
    );
    let shown = private::parse(&bytes)
        .expect("parse")
        .verify_for("nonce-1", "officer-7", &key, now(), None)
        .expect("verifies with the chain's key");
    assert_eq!(shown.issuer, "city-credit-bureau");
    assert_eq!(shown.disclosed, [("tier".to_owned(), "B".to_owned())]);

    // A second credential for the same citizen and window: the same pseudonym in a context.
    let second = w
        .accept_offer_private(offer(&s, &[])["uri"].as_str().expect("uri"), None)
        .expect("accept");
    let ctx = "urn:citywallet:nym:city-credit-bureau:test";
    let nym = |w: &citywallet_wallet::Wallet, id: &str, nonce: &str| {
        let vp = w
            .present_private(id, &[], nonce, "verifier", Some(ctx))
            .expect("present");
        private::parse(&serde_json::to_vec(&vp).expect("json"))
            .expect("parse")
            .verify_for(nonce, "verifier", &key, now(), Some(ctx.as_bytes()))
            .expect("verifies")
            .pseudonym
    };
    assert_eq!(nym(&w, &item.id, "a"), nym(&w, &second.id, "b"));

    // An officer checks a presentation for its challenge, online and offline, from the
    // compact form a QR code carries: valid, and it names no holder and no credential.
    let mut officer = common::wallet_named(&net, dir.path(), "officer");
    officer.sync(&mut |_| {}).expect("officer sync");
    let (_, challenge) = officer.new_challenge(Some("officer-7")).expect("challenge");
    let c = citywallet_core::credentials::Challenge::from_json(challenge.text.as_bytes())
        .expect("challenge");
    let vp = w
        .present_private(&item.id, &["tier"], &c.nonce, &c.verifier, None)
        .expect("present");
    let compact = citywallet_vc::presentation::to_compact(&vp).expect("compact");
    let qr = base64::engine::general_purpose::STANDARD.encode(&compact);
    for check in [
        citywallet_wallet::Check::Online,
        citywallet_wallet::Check::Offline,
    ] {
        let v = officer
            .verify_text(&qr, &challenge.text, check)
            .expect("the officer's check");
        assert_eq!(v.issuer, "city-credit-bureau");
        assert_eq!(v.holder, "", "no holder named");
        assert_eq!(v.disclosed.len(), 1);
        assert_eq!(v.disclosed[0].value, "B");
    }
    let (_, other) = officer.new_challenge(Some("officer-7")).expect("challenge");
    assert_eq!(
        officer
            .verify_text(&qr, &other.text, citywallet_wallet::Check::Online)
            .expect_err("another challenge")
            .code(),
        "challenge_mismatch"
    );
    println!(
        "private presentation for an officer: {} B compact",
        compact.len()
    );

    // The operator's list has both, by the issuer's own ids (none is in the credentials).
    let issued = common::operator(&s.data, &["issued"]).expect("issued");
    assert_eq!(issued.as_array().expect("list").len(), 2);
    assert!(!text.contains(issued[0]["id"].as_str().unwrap_or("-")));
}

#[test]
fn a_bad_commitment_is_refused_and_spends_nothing() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let s = start(&net, dir.path());
    let url = s.url.clone();
    let post = |path: &str, form: &[(&str, &str)]| -> Value {
        reqwest::blocking::Client::new()
            .post(format!("{url}{path}"))
            .form(form)
            .send()
            .expect("post")
            .json()
            .expect("json")
    };
    let o = offer(&s, &[]);
    let uri = o["uri"].as_str().expect("uri");
    let offer_json: Value = serde_json::from_str(
        &reqwest::Url::parse(uri)
            .expect("uri")
            .query_pairs()
            .find(|(k, _)| k == "credential_offer")
            .expect("offer")
            .1,
    )
    .expect("json");
    let code = offer_json
        .pointer("/grants/urn:ietf:params:oauth:grant-type:pre-authorized_code/pre-authorized_code")
        .and_then(Value::as_str)
        .expect("code")
        .to_owned();
    let token = post(
        "/token",
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            ),
            ("pre-authorized_code", &code),
        ],
    );
    let access = token["access_token"].as_str().expect("token").to_owned();
    let credential = |commitment: &str| {
        let body = serde_json::json!({
            "credential_configuration_id": "CreditScoreCredential",
            "proofs": { "jwt": ["not.checked.yet"] },
            "citywallet_holder_commitment": commitment,
        });
        let r = reqwest::blocking::Client::new()
            .post(format!("{url}/credential"))
            .bearer_auth(&access)
            .json(&body)
            .send()
            .expect("post");
        (
            r.status().as_u16(),
            r.json::<Value>().unwrap_or(Value::Null),
        )
    };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let good = citywallet_core::credentials::pseudonym::nym_commit(&[vec![1; 32]], &[2; 32])
        .expect("commit");
    let mut broken = good.with_proof.clone();
    broken[60] ^= 1;
    let only_nym =
        citywallet_core::credentials::pseudonym::nym_commit(&[], &[2; 32]).expect("commit");
    for bad in [
        "not base64!".to_owned(),
        b64.encode(&broken),
        b64.encode(&only_nym.with_proof),
        b64.encode(&good.with_proof[..100]),
    ] {
        let (status, body) = credential(&bad);
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_request", "{body}");
    }
    // Nothing was issued.
    let issued = common::operator(&s.data, &["issued"]).expect("issued");
    assert!(issued.as_array().expect("list").is_empty());
}
