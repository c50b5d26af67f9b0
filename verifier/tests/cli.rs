//! The `citywallet-verifier` binary as an organisation's operator runs it: set up from the
//! devnet's organisation key file, served, asked from another process while it serves, the
//! outcome read back, and its chain record proven.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use citywallet_chain_tests::Net;
use citywallet_core::vault::Passphrase;
use citywallet_wallet::{HttpConnect, SystemClock, Wallet};
use common::{FAST, network};
use serde_json::Value;

const PASS: &str = "institute verifier passphrase 9";

fn verifier(data: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_citywallet-verifier"));
    c.arg("--data")
        .arg(data)
        .arg("--json")
        .args(args)
        .env("CITYWALLET_VERIFIER_PASSPHRASE", PASS);
    c
}

fn run(data: &Path, args: &[&str]) -> Result<Value, String> {
    let out = verifier(data, args)
        .output()
        .expect("run citywallet-verifier");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("json output"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_operator_sets_up_serves_asks_and_reads_the_outcome() {
    let net = Net::start_devnet(1);
    let _issuers =
        citywallet_issuer::demo::serve_in_background(net.data_dir(), &network(&net), FAST)
            .expect("demo issuers");
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("institute");
    let key = net
        .data_dir()
        .join(citywallet_node::devnet::org_key_file("health-research"));
    let key = key.to_str().expect("path");
    let init = [
        "init",
        "--key-file",
        key,
        "--node",
        &net.primary,
        "--witness",
        &net.witness,
        "--test-kdf",
    ];
    assert_eq!(run(&data, &init).expect("init")["org"], "health-research");
    assert!(
        run(&data, &init)
            .expect_err("twice")
            .contains("already set up"),
        "a second set-up is refused"
    );
    assert_eq!(run(&data, &["status"]).expect("status")["keyMatches"], true);
    let e = run(&data, &["ask", "--credential", "credit", "--claim", "tier"]).expect_err("no url");
    assert!(e.contains("serve it once"), "{e}");

    let mut child = verifier(&data, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let _serving = Serving(child);
    assert!(serde_json::from_str::<Value>(&line).expect("json")["listening"].is_string());

    let qr = dir.path().join("request.svg");
    let r = run(
        &data,
        &[
            "ask",
            "--credential",
            "credit",
            "--claim",
            "tier",
            "--qr",
            qr.to_str().expect("path"),
        ],
    )
    .expect("ask");
    assert!(std::fs::read_to_string(&qr).expect("qr").contains("<svg"));
    let id = r["id"].as_str().expect("id");
    assert_eq!(
        run(&data, &["outcome", id]).expect("outcome")["status"],
        "pending"
    );
    let e = run(
        &data,
        &["ask", "--credential", "credit", "--claim", "nonsense"],
    )
    .expect_err("claim");
    assert!(e.contains("(invalid_claims)"), "{e}");

    let mut w = Wallet::new(
        &dir.path().join("citizen.db"),
        FAST,
        network(&net),
        Arc::new(HttpConnect),
        Arc::new(SystemClock),
    );
    w.create(&Passphrase::from("citizen wallet passphrase 5"), "")
        .expect("create");
    let demo = citywallet_demo::Demo::new(net.data_dir(), &net.primary);
    w.accept_offer(
        &demo
            .offer(citywallet_core::credentials::CredentialType::Credit)
            .expect("offer"),
        None,
    )
    .expect("credential");
    w.answer_request(r["uri"].as_str().expect("uri"), &BTreeMap::new())
        .expect("answer");
    let o = run(&data, &["outcome", id]).expect("outcome");
    assert_eq!(o["status"], "verified", "{o}");
    assert_eq!(o["answers"]["credit-0"][0]["disclosed"][0]["name"], "tier");

    // The citizen grants the institute health data; the operator records a use of it, and
    // the citizen sees it, proven. A category the grant does not cover is refused.
    w.set_setting("effect_wait_secs", 20).expect("setting");
    let grant = w
        .create_grant(&citywallet_wallet::dto::GrantIn {
            org: "health-research".into(),
            categories: vec!["health".into()],
            purpose: "asthma study".into(),
            expires: "2099-12-31".into(),
        })
        .expect("grant")
        .subject;
    let used = run(
        &data,
        &[
            "use",
            "--grant",
            &grant,
            "--category",
            "health",
            "--purpose",
            "asthma cohort extract",
        ],
    )
    .expect("use");
    assert_eq!(used["action"], "record_data_use");
    let e = run(
        &data,
        &[
            "use",
            "--grant",
            &grant,
            "--category",
            "mobility",
            "--purpose",
            "travel study",
        ],
    )
    .expect_err("not covered");
    assert!(e.contains("grant_not_covering"), "{e}");
    let uses = w.grant_uses(&grant).expect("uses");
    assert_eq!(uses.uses.len(), 1);
    assert_eq!(uses.uses[0].id, used["subject"].as_str().expect("id"));
    assert_eq!(uses.uses[0].purpose, "asthma cohort extract");
}
