//! Verifiers on a real devnet over HTTP: the health research institute's verifier service
//! (its registered key signs the request) and an officer's wallet ask a citizen's wallet
//! with OpenID4VP 1.0 and DCQL; the citizen sees who asks as the chain names them and what
//! will be shown; the answer is checked with the light client. And what must be refused: a
//! signer the chain does not name, a replayed answer, an answer made for another client id
//! or another request's nonce, an oversized or malformed answer.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use citywallet_chain_tests::Net;
use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::Passphrase;
use citywallet_verifier::http::Server;
use citywallet_wallet::oid4vp::VerifierKind;
use citywallet_wallet::verifier::{Ask, RequestOutcome};
use citywallet_wallet::{Error, HttpConnect, SystemClock, Wallet, WalletErrorCode};
use common::{FAST, institute, network};

fn wallet(net: &Net, dir: &Path, name: &str) -> Wallet {
    let mut w = Wallet::new(
        &dir.join(format!("{name}.db")),
        FAST,
        network(net),
        Arc::new(HttpConnect),
        Arc::new(SystemClock),
    );
    w.create(&Passphrase::from("citizen wallet passphrase 5"), "")
        .expect("create");
    w.set_setting("effect_wait_secs", 30).expect("setting");
    w
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A citizen holding the demo credit credential (from the devnet's demo issuer).
fn citizen(net: &Net, dir: &Path, name: &str) -> Wallet {
    let mut w = wallet(net, dir, name);
    let demo = citywallet_demo::Demo::new(net.data_dir(), &net.primary);
    citywallet_demo::request(&demo, &mut w, "credit", now()).expect("credit credential");
    w
}

fn tier() -> Vec<Ask> {
    vec![Ask {
        kind: CredentialType::Credit,
        claims: vec!["tier".into()],
        privacy: Default::default(),
    }]
}

fn code(e: &Error) -> WalletErrorCode {
    match e.code() {
        citywallet_wallet::ErrorCode::Wallet(c) => c,
        other => panic!("not a wallet code: {other:?} ({e})"),
    }
}

fn post(url: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{url}/response"))
        .form(form)
        .send()
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(serde_json::Value::Null))
}

#[test]
fn an_organisation_asks_and_the_citizen_sees_its_registered_name_and_answers_once() {
    let net = Net::start_devnet(1);
    let _issuers =
        citywallet_issuer::demo::serve_in_background(net.data_dir(), &network(&net), FAST)
            .expect("demo issuers");
    let dir = tempfile::tempdir().expect("dir");
    let (service, server) = institute(&net, dir.path());
    let mut alice = citizen(&net, dir.path(), "alice");

    let (rec, matches) = service.lock().expect("lock").status().expect("status");
    assert!(matches, "the key file's key is the org record's: {rec:?}");

    let r = service.lock().expect("lock").ask(&tier()).expect("ask");
    assert!(
        r.uri
            .starts_with("openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3Az6Mk")
    );
    assert!(r.qr_svg.starts_with("<?xml") || r.qr_svg.starts_with("<svg"));
    assert!(matches!(
        service
            .lock()
            .expect("lock")
            .outcome(&r.id)
            .expect("outcome"),
        RequestOutcome::Pending { .. }
    ));

    // Before any grant, the citizen sees the institute has none; after one, its categories.
    let preview = alice.preview_request(&r.uri).expect("preview");
    assert!(preview.verifier.granted.is_empty());
    alice
        .create_grant(&citywallet_wallet::dto::GrantIn {
            org: "health-research".into(),
            categories: vec!["health".into()],
            purpose: "asthma study".into(),
            expires: "2099-12-31".into(),
        })
        .expect("grant");
    let preview = alice.preview_request(&r.uri).expect("preview");
    assert_eq!(preview.verifier.granted, ["health"]);
    assert_eq!(preview.verifier.kind, VerifierKind::Organisation);
    assert_eq!(
        preview.verifier.name.as_deref(),
        Some("City Health Research Institute")
    );
    assert!(preview.answerable);
    assert_eq!(preview.asked[0].candidates[0].disclose, ["tier"]);

    let shown = alice
        .answer_request(&r.uri, &BTreeMap::new())
        .expect("answer");
    assert_eq!(shown[0].disclose, ["tier"]);
    let RequestOutcome::Verified { answers } = service
        .lock()
        .expect("lock")
        .outcome(&r.id)
        .expect("outcome")
    else {
        panic!("not verified");
    };
    let verdict = &answers["credit-0"][0];
    assert_eq!(verdict.issuer, "city-credit-bureau");
    let disclosed: Vec<&str> = verdict.disclosed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(disclosed, ["tier"], "only what was asked and shown");
    let log = serde_json::to_string(&alice.activity().expect("activity")).expect("json");
    assert!(log.contains("City Health Research Institute"), "{log}");

    // The nonce is used once: the same request answered again is refused, and the first
    // outcome stands.
    let again = alice
        .answer_request(&r.uri, &BTreeMap::new())
        .expect_err("refused");
    assert!(
        matches!(again, Error::VerifierRefused(_) | Error::RequestExpired),
        "{again}"
    );
    assert!(matches!(
        service
            .lock()
            .expect("lock")
            .outcome(&r.id)
            .expect("outcome"),
        RequestOutcome::Verified { .. }
    ));
    let (status, body) = post(&server.url(), &[("state", &r.id), ("vp_token", "{}")]);
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");

    // An answer too large for the endpoint is refused before it is read.
    let big = "x".repeat(citywallet_wallet::verifier::MAX_RESPONSE_BYTES + 1);
    let (status, _) = post(
        &server.url(),
        &[("state", &"0".repeat(32)), ("vp_token", &big)],
    );
    assert_eq!(status, 413);
}

#[test]
fn an_officer_asks_from_a_wallet_and_strangers_are_refused_before_anything_is_sent() {
    let net = Net::start_devnet(1);
    let _issuers =
        citywallet_issuer::demo::serve_in_background(net.data_dir(), &network(&net), FAST)
            .expect("demo issuers");
    let dir = tempfile::tempdir().expect("dir");
    let demo = citywallet_demo::Demo::new(net.data_dir(), &net.primary);
    let mut officer = wallet(&net, dir.path(), "officer");
    citywallet_demo::request(&demo, &mut officer, "officer", now()).expect("officer role");
    let officer = Arc::new(Mutex::new(officer));
    let server = Server::spawn(
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
        officer.clone(),
    )
    .expect("serve");
    let mut bob = citizen(&net, dir.path(), "bob");

    let r = officer
        .lock()
        .expect("lock")
        .ask(&tier(), &server.url())
        .expect("ask");
    let preview = bob.preview_request(&r.uri).expect("preview");
    assert_eq!(preview.verifier.kind, VerifierKind::Officer);
    bob.answer_request(&r.uri, &BTreeMap::new())
        .expect("answer");
    assert!(matches!(
        officer
            .lock()
            .expect("lock")
            .request_outcome(&r.id)
            .expect("outcome"),
        RequestOutcome::Verified { .. }
    ));

    // A wallet without the officer role asks: the citizen's wallet refuses to answer, and
    // the stranger hears nothing.
    let stranger = Arc::new(Mutex::new(wallet(&net, dir.path(), "stranger")));
    let stranger_server = Server::spawn(
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
        stranger.clone(),
    )
    .expect("serve");
    let s = stranger
        .lock()
        .expect("lock")
        .ask(&tier(), &stranger_server.url())
        .expect("ask");
    let e = bob.preview_request(&s.uri).expect_err("refused");
    assert_eq!(code(&e), WalletErrorCode::VerifierNotOnChain, "{e}");
    let e = bob
        .answer_request(&s.uri, &BTreeMap::new())
        .expect_err("refused");
    assert_eq!(code(&e), WalletErrorCode::VerifierNotOnChain, "{e}");
    assert!(matches!(
        stranger
            .lock()
            .expect("lock")
            .request_outcome(&s.id)
            .expect("outcome"),
        RequestOutcome::Pending { .. }
    ));

    // A stranger's key claiming to be the institute.
    let claimed = {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let public = citywallet_core::keys::PublicKey::from_bytes(&key.verifying_key().to_bytes())
            .expect("key");
        let sign = |m: &[u8]| ed25519_dalek::Signer::sign(&key, m);
        stranger
            .lock()
            .expect("lock")
            .ask_as(
                &citywallet_wallet::verifier::VerifierKey {
                    public,
                    sign: &sign,
                    org: Some("health-research"),
                },
                &tier(),
                &stranger_server.url(),
            )
            .expect("ask")
    };
    let e = bob.preview_request(&claimed.uri).expect_err("refused");
    assert_eq!(code(&e), WalletErrorCode::VerifierNotOnChain, "{e}");

    // A relay: someone copies the officer's nonce into a request of its own (unsigned, in
    // its own name) and forwards the citizen's answer to the officer. The answer is bound
    // to the relay's client id, so the officer refuses it; the request is used up and kept
    // as failed.
    let r = officer
        .lock()
        .expect("lock")
        .ask(&tier(), &server.url())
        .expect("ask");
    let nonce = bob.resolve_request(&r.uri).expect("resolve").nonce;
    let (relay, answer) = capture_one();
    let relay_request = format!(
        "openid4vp://?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &format!("redirect_uri:{relay}"))
            .append_pair("response_type", "vp_token")
            .append_pair("response_mode", "direct_post")
            .append_pair("response_uri", &relay)
            .append_pair("nonce", &nonce)
            .append_pair(
                "dcql_query",
                &citywallet_wallet::verifier::dcql_for(&tier(), &format!("redirect_uri:{relay}"))
                    .expect("dcql")
                    .to_string()
            )
            .finish()
    );
    assert_eq!(
        bob.preview_request(&relay_request)
            .expect("preview")
            .verifier
            .kind,
        VerifierKind::Unverified
    );
    bob.answer_request(&relay_request, &BTreeMap::new())
        .expect("answered the relay");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&answer.recv().expect("body"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let token = &form
        .iter()
        .find(|(k, _)| k == "vp_token")
        .expect("vp_token")
        .1;
    let (status, body) = post(&server.url(), &[("state", &r.id), ("vp_token", token)]);
    assert_eq!(status, 400, "{body}");
    let RequestOutcome::Failed { code, .. } = officer
        .lock()
        .expect("lock")
        .request_outcome(&r.id)
        .expect("outcome")
    else {
        panic!("the relayed answer was not refused");
    };
    assert_eq!(
        serde_json::to_value(code).expect("code"),
        "challenge_mismatch"
    );

    // Malformed answers.
    let r = officer
        .lock()
        .expect("lock")
        .ask(&tier(), &server.url())
        .expect("ask");
    let (status, body) = post(&server.url(), &[("state", &r.id), ("vp_token", "[1]")]);
    assert_eq!(status, 400, "{body}");
    let (status, _) = post(&server.url(), &[("vp_token", "{}")]);
    assert_eq!(status, 400, "no state");
    let (status, _) = post(&server.url(), &[("state", "not-a-request")]);
    assert_eq!(status, 400, "unknown state");
}

/// A one-shot HTTP endpoint on the loopback: its URL, and the body of the first POST it
/// gets (answered 200 `{}`).
fn capture_one() -> (String, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::{BufRead as _, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/response", listener.local_addr().expect("addr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = std::io::BufReader::new(stream);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_ok() {
            let _ = reader.get_mut().write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
            );
            let _ = tx.send(body);
        }
    });
    (url, rx)
}

fn ask_tier(privacy: citywallet_wallet::verifier::AskPrivacy) -> Vec<Ask> {
    vec![Ask {
        kind: CredentialType::Credit,
        claims: vec!["tier".into()],
        privacy,
    }]
}

/// The verdicts of request `id` at the institute, which must have verified.
fn verdicts(
    service: &Arc<Mutex<citywallet_verifier::service::Service>>,
    id: &str,
) -> Vec<citywallet_wallet::dto::VerdictOut> {
    match service.lock().expect("lock").outcome(id).expect("outcome") {
        RequestOutcome::Verified { answers } => answers.into_values().flatten().collect(),
        other => panic!("not verified: {other:?}"),
    }
}

#[test]
fn an_organisation_asks_privately_for_a_pseudonym_or_for_the_linkable_credential() {
    use citywallet_wallet::oid4vp::Recognition;
    use citywallet_wallet::verifier::AskPrivacy;
    let net = Net::start_devnet(1);
    let _issuers =
        citywallet_issuer::demo::serve_in_background(net.data_dir(), &network(&net), FAST)
            .expect("demo issuers");
    let dir = tempfile::tempdir().expect("dir");
    let (service, server) = institute(&net, dir.path());
    // Alice holds the ordinary credit credential and the private one.
    let mut alice = citizen(&net, dir.path(), "alice");
    let did = alice.identity_info().expect("identity").did;
    let demo = citywallet_demo::Demo::new(net.data_dir(), &net.primary);
    let private = alice
        .accept_offer_private(&demo.offer(CredentialType::Credit).expect("offer"), None)
        .expect("private credential");
    let ask = |privacy: AskPrivacy| {
        service
            .lock()
            .expect("lock")
            .ask(&ask_tier(privacy))
            .expect("ask")
    };
    let study = || AskPrivacy::Pseudonym {
        purpose: "asthma-study".into(),
    };

    // A pseudonym for the institute's study: only the private credential can answer, and
    // the citizen is told the institute will recognise them next time.
    let r = ask(study());
    let preview = alice.preview_request(&r.uri).expect("preview");
    let candidates = &preview.asked[0].candidates;
    assert_eq!(candidates.len(), 1, "{candidates:?}");
    assert_eq!(candidates[0].credential, private.id);
    assert_eq!(candidates[0].recognition, Recognition::Pseudonym);
    let shown = alice
        .answer_request(&r.uri, &BTreeMap::new())
        .expect("answer");
    assert_eq!(shown[0].recognition, Recognition::Pseudonym);
    let first = verdicts(&service, &r.id);
    assert_eq!(first[0].holder, "", "no DID");
    assert_eq!(first[0].credential_id, "", "no credential id");
    assert_eq!(first[0].disclosed.len(), 1, "only the tier");
    assert_eq!(first[0].disclosed[0].name, "tier");
    let nym = first[0].pseudonym.clone().expect("a pseudonym");
    assert_eq!(nym.len(), 96);

    // The same study again: the same pseudonym (recognised, still not named); another
    // purpose: another pseudonym.
    let r = ask(study());
    alice
        .answer_request(&r.uri, &BTreeMap::new())
        .expect("answer");
    assert_eq!(
        verdicts(&service, &r.id)[0].pseudonym.as_deref(),
        Some(nym.as_str())
    );
    let r = ask(AskPrivacy::Pseudonym {
        purpose: "transit-survey".into(),
    });
    alice
        .answer_request(&r.uri, &BTreeMap::new())
        .expect("answer");
    let other = verdicts(&service, &r.id)[0]
        .pseudonym
        .clone()
        .expect("pseudonym");
    assert_ne!(other, nym);

    // Nothing asked of linkability: the private credential is offered first and answers
    // by default; the verdict carries no pseudonym, no DID, no id.
    let r = ask(AskPrivacy::Unlinkable);
    let preview = alice.preview_request(&r.uri).expect("preview");
    let recognitions: Vec<Recognition> = preview.asked[0]
        .candidates
        .iter()
        .map(|c| c.recognition)
        .collect();
    assert_eq!(
        recognitions,
        [Recognition::Nothing, Recognition::Credential]
    );
    alice
        .answer_request(&r.uri, &BTreeMap::new())
        .expect("answer");
    let v = &verdicts(&service, &r.id)[0];
    assert_eq!((v.holder.as_str(), v.pseudonym.as_ref()), ("", None));

    // The linkable credential asked for: only the ordinary credential answers, and the
    // citizen is told the institute can recognise it; the verdict names the holder.
    let r = ask(AskPrivacy::Linkable);
    let preview = alice.preview_request(&r.uri).expect("preview");
    let candidates = &preview.asked[0].candidates;
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].recognition, Recognition::Credential);
    alice
        .answer_request(&r.uri, &BTreeMap::new())
        .expect("answer");
    assert_eq!(verdicts(&service, &r.id)[0].holder, did);

    // A pseudonym asked for, answered by a wallet that dodges it (its pseudonym for a
    // random context instead): the institute refuses the answer.
    let r = ask(study());
    let req = alice.resolve_request(&r.uri).expect("resolve");
    let vp = alice
        .present_private(&private.id, &["tier"], &req.nonce, &req.client_id, None)
        .expect("present");
    let token = serde_json::json!({ "credit-0": [vp] }).to_string();
    let (status, _) = post(&server.url(), &[("state", &r.id), ("vp_token", &token)]);
    assert_eq!(status, 400);
    assert!(matches!(
        service
            .lock()
            .expect("lock")
            .outcome(&r.id)
            .expect("outcome"),
        RequestOutcome::Failed { .. }
    ));
}
