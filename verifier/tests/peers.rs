//! Our verifier against an independent wallet: `tests/interop/oid4vp-wallet.mjs`, built on
//! `@openid4vc/openid4vp` 0.4.6's `Openid4vpClient` (it fetches and checks the signed
//! request object against the client id's `did:key`), the `dcql` package, and Digital
//! Bazaar's `bbs-2023` and `eddsa-rdfc-2022` cryptosuites (installed by `scripts/setup.sh`,
//! no network). The library's wallet gets its credential from the devnet's demo issuer with
//! `@openid4vc/openid4vci` (`oid4vci-client.mjs`), answers the health research institute's
//! request, and the institute's verifier accepts the answer once.

mod common;

use citywallet_chain_tests::Net;
use citywallet_core::credentials::CredentialType;
use citywallet_wallet::verifier::{Ask, RequestOutcome};
use common::{FAST, institute, network};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn interop(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/interop")
        .join(script)
}

fn node(script: &str, args: &[&str], env: &[(&str, &str)]) -> (Value, bool) {
    let out = Command::new("node")
        .arg(interop(script))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("node must be installed: run scripts/setup.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    (
        serde_json::from_str(line).unwrap_or_else(|_| {
            panic!(
                "{script} printed no JSON: {text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        }),
        out.status.success(),
    )
}

#[test]
fn the_librarys_wallet_answers_our_organisations_signed_request() {
    let net = Net::start_devnet(1);
    let _issuers =
        citywallet_issuer::demo::serve_in_background(net.data_dir(), &network(&net), FAST)
            .expect("demo issuers");
    let dir = tempfile::tempdir().expect("dir");

    // The library's wallet takes a credit credential from the demo issuer.
    let offer = citywallet_demo::Demo::new(net.data_dir(), &net.primary)
        .offer(CredentialType::Credit)
        .expect("offer");
    let seed = hex::encode([0x5au8; 32]);
    let (got, ok) = node("oid4vci-client.mjs", &[&offer, &seed], &[]);
    assert!(ok, "the library's wallet got no credential: {got}");
    let credential = dir.path().join("credential.json");
    std::fs::write(&credential, got.to_string()).expect("write");

    // The institute's verifier asks for the tier.
    let (s, _server) = institute(&net, dir.path());
    let r = s
        .lock()
        .expect("lock")
        .ask(&[Ask {
            kind: CredentialType::Credit,
            claims: vec!["tier".into()],
            privacy: Default::default(),
        }])
        .expect("ask");

    let (answer, ok) = node(
        "oid4vp-wallet.mjs",
        &[&r.uri, &seed, credential.to_str().expect("path")],
        &[("OID4VP_WALLET_REPLAY", "1")],
    );
    assert!(ok, "the library's wallet's answer was refused: {answer}");
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(
        answer["replay"]["status"], 400,
        "the same answer twice is refused: {answer}"
    );
    let RequestOutcome::Verified { answers } =
        s.lock().expect("lock").outcome(&r.id).expect("outcome")
    else {
        panic!("not verified");
    };
    let v = &answers["credit-0"][0];
    assert_eq!(v.holder, got["holder"].as_str().expect("holder"));
    let names: Vec<&str> = v.disclosed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["tier"], "only what was asked");
}
