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
    let uri = o["uri"].as_str().expect("uri");
    assert!(w.preview_offer(uri).expect("preview").private_supported);
    let item = w.accept_offer_private(uri, None).expect("accept");
    assert!(item.id.starts_with("private-") && item.private);
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

    // A second private credential for the same citizen, type and window is refused (it
    // would give the citizen a second set of pseudonyms), and so is a refresh in the window.
    let again = w
        .accept_offer_private(offer(&s, &[])["uri"].as_str().expect("uri"), None)
        .expect_err("one per window");
    assert_eq!(again.code().as_str(), "credential_already_issued");
    let again = w.refresh_private(&item.id).expect_err("one per window");
    assert_eq!(again.code().as_str(), "credential_already_issued");
    assert_eq!(
        w.private_vcs().expect("list").len(),
        1,
        "the held one stays"
    );

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
        assert_eq!(
            v.revocation_bound_secs,
            Some(citywallet_node::devnet::DEVNET_REVOCATION_DELAY_SECS),
            "the verdict states the issuer's revocation bound"
        );
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

    // The city shortens the bureau's revocation bound to an hour: a credential valid for
    // longer than that (and the clock allowance) no longer passes an online check.
    let tx = citywallet_chain_tests::admin_tx(
        net.devnet(),
        &net.keys,
        0,
        citywallet_protocol::Action::SetRevocationBound {
            issuer: "city-credit-bureau".into(),
            max_delay_secs: 3600,
        },
    );
    assert_eq!(
        net.devnet().broadcast(tx).expect("broadcast").code,
        citywallet_protocol::Code::Ok
    );
    poll("the new bound", || {
        officer
            .proven_issuer("city-credit-bureau")
            .expect("read")
            .0
            .is_some_and(|r| r.max_revocation_delay_secs == Some(3600))
            .then_some(())
    });
    let (_, fresh) = officer.new_challenge(Some("officer-7")).expect("challenge");
    let c = citywallet_core::credentials::Challenge::from_json(fresh.text.as_bytes())
        .expect("challenge");
    let vp = w
        .present_private(&item.id, &["tier"], &c.nonce, &c.verifier, None)
        .expect("present");
    let qr = base64::engine::general_purpose::STANDARD
        .encode(citywallet_vc::presentation::to_compact(&vp).expect("compact"));
    let checked = officer.verify_text(&qr, &fresh.text, citywallet_wallet::Check::Online);
    let ahead = item.valid_until - now();
    if ahead > 3600 + citywallet_light_client::officer::CLOCK_SKEW_SECS {
        assert_eq!(
            checked.expect_err("beyond the bound").code().as_str(),
            "credential_outlives_revocation_bound"
        );
    } else {
        // The window ends within the hour: the credential is within the new bound.
        assert_eq!(
            checked.expect("within the bound").revocation_bound_secs,
            Some(3600)
        );
    }

    // The operator's list has it, by the issuer's own id (not in the credential).
    let issued = common::operator(&s.data, &["issued"]).expect("issued");
    assert_eq!(issued.as_array().expect("list").len(), 1);
    assert!(!text.contains(issued[0]["id"].as_str().unwrap_or("-")));
}

/// The window a private credential holds for: an issuer set up with a short one (here 8 s)
/// lets the test see the next window come, by polling with a deadline.
const SHORT_WINDOW: i64 = 8;

/// Poll `f` every 100 ms until it gives a value, for at most 30 s.
fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not by the deadline"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_private_credential_is_refreshed_each_window_with_the_same_pseudonyms_until_revoked() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let window = SHORT_WINDOW.to_string();
    let s = common::start_bureau(&net, dir.path(), &["--private-window-secs", &window]);
    let mut w = citizen(&net, dir.path());
    let key = chain_key(&mut w);
    // Start in a window's first quarter, so it is still in force through the checks below.
    poll("a window's start", || {
        (now().rem_euclid(SHORT_WINDOW) < SHORT_WINDOW / 4).then_some(())
    });
    let first = w
        .accept_offer_private(offer(&s, &[])["uri"].as_str().expect("uri"), None)
        .expect("accept");
    assert_eq!(first.valid_until - first.valid_from, SHORT_WINDOW);
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
    let before = nym(&w, &first.id, "a");

    // Refreshed (the refresh token kept with it, a new commitment to the same secrets) once
    // the next window has come: a new credential replaces the old, with the same pseudonym.
    let second = poll("the next window", || match w.refresh_private(&first.id) {
        Ok(item) => Some(item),
        Err(e) if e.code().as_str() == "credential_already_issued" => None,
        Err(e) => panic!("refresh: {e}"),
    });
    assert!(second.valid_from >= first.valid_until, "a later window");
    assert_ne!(second.id, first.id);
    let held = w.private_vcs().expect("list");
    assert_eq!(held.len(), 1, "replaced");
    assert_eq!(held[0].id, second.id);
    assert_eq!(nym(&w, &second.id, "b"), before, "the same pseudonym");

    // Revoked at the issuer: refreshing is refused from then on, and the held credential
    // stays (it stops passing at its window's end).
    common::operator(
        &s.data,
        &[
            "revoke-private",
            "--citizen",
            "alice",
            "--kind",
            "credit",
            "--reason",
            "fraud",
        ],
    )
    .expect("revoke");
    let refused = w.refresh_private(&second.id).expect_err("revoked");
    assert_eq!(refused.code().as_str(), "credential_not_renewed");
    assert_eq!(w.private_vcs().expect("list")[0].id, second.id);
    // And a fresh offer gives no private credential either.
    let refused = w
        .accept_offer_private(offer(&s, &[])["uri"].as_str().expect("uri"), None)
        .expect_err("revoked");
    assert_eq!(refused.code().as_str(), "issuer_not_entitled");
}

#[test]
fn the_devnet_bound_covers_the_issuer_window() {
    assert!(
        citywallet_issuer::service::PRIVATE_WINDOW_SECS as u64
            <= citywallet_node::devnet::DEVNET_REVOCATION_DELAY_SECS
    );
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
