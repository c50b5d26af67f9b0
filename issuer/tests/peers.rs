//! The issuer and the wallet against independent OpenID4VCI peers built on
//! `@openid4vc/openid4vci` 0.4.6 (`tests/interop/oid4vci-client.mjs` and
//! `oid4vci-issuer.mjs`, installed by `scripts/setup.sh`, no network), with Digital Bazaar's
//! `bbs-2023` cryptosuite on the credentials: the library's wallet obtains a credential from
//! our issuer service and it verifies with us and, derived, with Digital Bazaar; our wallet
//! obtains one from an issuer built on the library, whose base proof Digital Bazaar signed,
//! and derives from it a proof both stacks verify.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use citywallet_chain_tests::Net;
use citywallet_core::credentials::{IssuerPublicKey, IssuerSecretKey};
use citywallet_protocol::Action;
use citywallet_vc::{base, city, derived};
use common::{citizen, offer, start};
use serde_json::Value;

fn interop(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/interop")
        .join(script)
}

fn node(script: &str, args: &[&str], env: &[(&str, &str)]) -> (String, bool) {
    let out = Command::new("node")
        .arg(interop(script))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("node must be installed: run scripts/setup.sh");
    (
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        out.status.success(),
    )
}

/// `doc` through `bbs2023.mjs MODE` (Digital Bazaar's cryptosuite).
fn bbs2023(mode: &str, doc: &Value, args: &[&str]) -> (String, bool) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("doc.json");
    std::fs::write(&file, serde_json::to_vec(doc).expect("json")).expect("write");
    let mut all = vec![mode, file.to_str().expect("path")];
    all.extend_from_slice(args);
    node("bbs2023.mjs", &all, &[])
}

#[test]
fn the_librarys_wallet_obtains_a_credential_from_our_issuer_service() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let s = start(&net, dir.path());
    let o = offer(&s, &[]);
    let seed = hex::encode([0x42u8; 32]);
    let (out, ok) = node(
        "oid4vci-client.mjs",
        &[o["uri"].as_str().expect("uri"), &seed],
        &[("OID4VCI_CLIENT_REPLAY", "1")],
    );
    assert!(ok, "the library's wallet failed: {out}");
    let got: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(got["replay"], "invalid_grant", "the code is single use");
    let credential = &got["credential"];
    assert_eq!(credential["credentialSubject"]["id"], got["holder"]);
    assert_eq!(credential["credentialSubject"]["score"], 731);

    // Its base proof verifies with the key on the chain; Digital Bazaar derives from it,
    // and the derived proof verifies there and with us.
    let public_hex = operator_key(&s);
    let public = IssuerPublicKey::from_bytes(&hex::decode(&public_hex).expect("hex")).expect("key");
    base::verify_document(credential, &public).expect("our base check");
    let (derived_text, ok) = bbs2023(
        "derive",
        credential,
        &[&public_hex, r#"["/credentialSubject/tier"]"#],
    );
    assert!(ok, "{derived_text}");
    let d: Value = serde_json::from_str(&derived_text).expect("derived");
    assert_eq!(d["credentialSubject"]["tier"], "B");
    assert!(d["credentialSubject"].get("score").is_none());
    assert_eq!(
        bbs2023("verify", &d, &[&public_hex]),
        ("valid".into(), true)
    );
    derived::verify(&d, &public).expect("we verify Digital Bazaar's derived proof");
}

fn operator_key(s: &common::Service) -> String {
    let status = common::operator(&s.data, &["status"]).expect("status");
    assert_eq!(status["keyMatches"], true);
    status["record"]["bbs_public_key"]
        .as_str()
        .expect("key")
        .to_owned()
}

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn our_wallet_obtains_a_credential_from_an_issuer_built_on_the_library() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let (secret, public) = IssuerSecretKey::generate().expect("key");
    // The city registers the library's issuer, as it would any department's.
    let tx = citywallet_chain_tests::admin_tx(
        net.devnet(),
        &net.keys,
        0,
        Action::RegisterIssuer {
            id: "library-bureau".into(),
            name: "Library Bureau".into(),
            bbs_public_key: public.to_bytes(),
            operator_key: [3; 32],
            credential_types: vec!["credit".into()],
        },
    );
    assert_eq!(
        net.devnet().broadcast(tx).expect("broadcast").code,
        citywallet_protocol::Code::Ok
    );
    let mut w = citizen(&net, dir.path());
    let deadline = Instant::now() + Duration::from_secs(30);
    while w.proven_issuer("library-bureau").expect("read").0.is_none() {
        assert!(Instant::now() < deadline, "the registration never landed");
        std::thread::sleep(Duration::from_millis(50));
    }

    let mut child = Command::new("node")
        .arg(interop("oid4vci-issuer.mjs"))
        .args([
            "0",
            "library-bureau",
            &public.to_hex(),
            &hex::encode(secret.to_bytes().as_slice()),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed: run scripts/setup.sh");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let _peer = Peer(child);
    let started: Value = serde_json::from_str(&line).expect("json");
    let uri = started["offer"].as_str().expect("offer");

    let preview = w.preview_offer(uri).expect("preview");
    assert_eq!(
        preview.kinds,
        [citywallet_core::credentials::CredentialType::Credit]
    );
    let item = w
        .accept_offer(uri, None)
        .expect("our wallet takes the library's credential");
    assert_eq!(item.issuer, "library-bureau");
    let vc = w.vc(&item.id).expect("kept");
    assert_eq!(vc["credentialSubject"]["score"], 742);

    // A proof we derive from Digital Bazaar's base proof verifies in both stacks.
    let d =
        derived::derive(&vc, &[city::claim_pointer("tier")], b"verifier nonce").expect("derive");
    assert_eq!(
        derived::verify(&d, &public).expect("ours"),
        b"verifier nonce"
    );
    assert_eq!(
        bbs2023("verify", &d, &[&public.to_hex()]),
        ("valid".into(), true)
    );
    assert_eq!(
        w.accept_offer(uri, None).expect_err("used").code(),
        "offer_used_or_expired"
    );
}

/// An OpenID4VP verifier built on `@openid4vc/openid4vp` 0.4.6 and `dcql` 3.0.0
/// (`tests/interop/oid4vp-verifier.mjs`, checking both proofs with Digital Bazaar's
/// cryptosuites) asks; `oid4vp-verifier.mjs` prints its request, then what it concluded.
struct Verifier {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    request: String,
}

impl Verifier {
    fn start(public_hex: &str, query: &Value, dir: &Path) -> Self {
        let file = dir.join(format!("query-{}.json", std::process::id() ^ rand_suffix()));
        std::fs::write(&file, query.to_string()).expect("query");
        let mut child = Command::new("node")
            .arg(interop("oid4vp-verifier.mjs"))
            .args([
                public_hex,
                "city-credit-bureau",
                file.to_str().expect("path"),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("node must be installed: run scripts/setup.sh");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first: Value =
            serde_json::from_str(&lines.next().expect("a line").expect("read")).expect("json");
        let request = first["request"].as_str().expect("request").to_owned();
        Self {
            child,
            lines,
            request,
        }
    }

    /// What it concluded from the answer it got.
    fn verdict(mut self) -> Value {
        let line = self.lines.next().expect("a verdict").expect("read");
        let _ = self.child.wait();
        serde_json::from_str(&line).expect("json")
    }
}

fn rand_suffix() -> u32 {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn an_openid4vp_verifier_built_on_the_library_accepts_our_wallets_answer() {
    let net = Net::start_devnet(1);
    let dir = tempfile::tempdir().expect("dir");
    let s = start(&net, dir.path());
    let mut w = citizen(&net, dir.path());
    let item = w
        .accept_offer(offer(&s, &[])["uri"].as_str().expect("uri"), None)
        .expect("credential");
    let public_hex = operator_key(&s);
    let credit = serde_json::json!({ "credentials": [{
        "id": "credit", "format": "ldp_vc",
        "meta": { "type_values": [["https://w3id.org/citywallet#CreditScoreCredential"]] },
        "claims": [{ "path": ["credentialSubject", "tier"] }]
    }] });

    // The citizen sees who asks and what would be shown, then answers.
    let v = Verifier::start(&public_hex, &credit, dir.path());
    let preview = w.preview_request(&v.request).expect("preview");
    assert!(
        preview
            .verifier
            .client_id
            .starts_with("redirect_uri:http://127.0.0.1:")
    );
    assert_eq!(
        preview.verifier.kind,
        citywallet_wallet::oid4vp::VerifierKind::Unverified,
        "an unsigned request is named by its address only"
    );
    assert!(preview.answerable);
    assert_eq!(preview.asked[0].candidates[0].credential, item.id);
    assert_eq!(preview.asked[0].candidates[0].disclose, ["tier"]);
    let shown = w
        .answer_request(&v.request, &std::collections::BTreeMap::new())
        .expect("answered");
    assert_eq!(shown[0].disclose, ["tier"]);
    let verdict = v.verdict();
    assert_eq!(verdict["verified"], true, "{verdict}");
    assert_eq!(verdict["disclosed"]["credit"][0]["tier"], "B");
    assert!(
        verdict["disclosed"]["credit"][0].get("score").is_none(),
        "only what was asked"
    );
    let log = w.activity().expect("activity");
    assert!(
        serde_json::to_string(&log)
            .expect("json")
            .contains(&preview.verifier.client_id),
        "the disclosure is in the activity log with the verifier"
    );

    // Asked for what the citizen does not hold: the verifier is told access_denied.
    let biometric = serde_json::json!({ "credentials": [{
        "id": "face", "format": "ldp_vc",
        "meta": { "type_values": [["https://w3id.org/citywallet#BiometricTemplateCredential"]] }
    }] });
    let v = Verifier::start(&public_hex, &biometric, dir.path());
    assert!(!w.preview_request(&v.request).expect("preview").answerable);
    let e = w
        .answer_request(&v.request, &std::collections::BTreeMap::new())
        .expect_err("unanswerable");
    assert_eq!(e.code(), "request_unsatisfiable");
    assert_eq!(v.verdict()["error"], "access_denied");

    // The citizen refuses.
    let v = Verifier::start(&public_hex, &credit, dir.path());
    w.refuse_request(&v.request).expect("refused");
    assert_eq!(v.verdict()["error"], "access_denied");

    // Requests that are not right, refused before anything is sent.
    for (bad, code) in [
        ("openid4vp://?response_type=vp_token", "request_malformed"),
        (
            "openid4vp://?client_id=x&request_uri=https%3A%2F%2Fv.example%2Fr",
            "request_unsupported",
        ),
        (
            "openid4vp://?response_type=vp_token&response_mode=direct_post&client_id=redirect_uri%3Ahttps%3A%2F%2Fother.example%2Fr&response_uri=https%3A%2F%2Fv.example%2Fr&nonce=n1&dcql_query=%7B%7D",
            "request_malformed",
        ),
    ] {
        assert_eq!(w.preview_request(bad).expect_err(bad).code(), code, "{bad}");
    }
}
