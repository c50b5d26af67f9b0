//! The wallet over HTTP against a real devnet: what only a real transport shows. The flows
//! themselves are tested on the in-memory chain (`wallet/tests/flows.rs`); here a citizen
//! files a report and grants access through a proxy that counts broadcasts, and a node that
//! stalls after the broadcast does not end the wait for the effect.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use citywallet_chain_tests::{Net, Tamper, file_report, session, session_with, settings, wallet};
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_light_client::act::Receipt;
use citywallet_light_client::session::Settings;
use citywallet_wallet::dto::{GrantIn, ReportIn};
use citywallet_wallet::{HttpConnect, Network, SystemClock, Wallet};

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

#[test]
fn a_citizen_files_a_report_and_grants_access_over_http_with_receipts() {
    let net = Net::start(4);
    let proxy = net.proxy(Tamper::Honest);
    let dir = tempfile::tempdir().expect("dir");
    let mut w = Wallet::new(
        &dir.path().join("wallet.db"),
        FAST,
        Network {
            primary: proxy.url.clone(),
            witnesses: vec![net.witness.clone()],
        },
        Arc::new(HttpConnect),
        Arc::new(SystemClock),
    );
    w.create(&Passphrase::from("a test passphrase"), "")
        .expect("create");
    w.set_setting("effect_wait_secs", 20).expect("setting");

    let receipt = w
        .submit_report(&ReportIn {
            category: "pothole".into(),
            location: "cell-8a2b".into(),
            description: "deep pothole by the school gate".into(),
            evidence_sha256: Some("ab".repeat(32)),
            residency: None,
        })
        .expect("report");
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 1);
    assert!(
        receipt
            .value
            .as_deref()
            .is_some_and(|v| v.contains("pothole"))
    );
    let grant = w
        .create_grant(&GrantIn {
            org: "health-research".into(),
            categories: vec!["health".into()],
            purpose: "asthma study".into(),
            expires: "2099-12-31".into(),
        })
        .expect("grant");
    w.revoke_grant(&grant.subject).expect("revoke");
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 3);

    // A refused field never reaches the node.
    let e = w
        .submit_report(&ReportIn {
            category: "pothole".into(),
            location: "Main St 12".into(),
            description: "d".into(),
            evidence_sha256: None,
            residency: None,
        })
        .expect_err("an address is not a cell");
    assert_eq!(e.field(), Some("location_cell"));
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 3);

    // Every receipt verifies again from the vault, with no network.
    w.lock();
    w.unlock(&Passphrase::from("a test passphrase"))
        .expect("unlock");
    for subject in [receipt.subject.as_str(), grant.subject.as_str()] {
        w.receipt(subject).expect("offline receipt");
    }
}

/// After the broadcast the primary holds its next answers past the wallet's request
/// timeout: the wallet keeps watching and still proves the report landed, once.
#[test]
fn a_node_that_stalls_after_the_broadcast_does_not_end_the_wait() {
    let net = Net::start(4);
    let proxy = net.proxy(Tamper::StallAfterBroadcast {
        requests: 3,
        hold: Duration::from_secs(6),
    });
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    session(&mut vault, &net.primary, &[&net.witness])
        .anchor_genesis(None)
        .expect("anchor");
    // Short enough for the three holds to fit in the effect wait (20 s), long enough for
    // the requests before the broadcast on a busy machine.
    let quick = Settings {
        request_timeout: Duration::from_secs(3),
        ..settings()
    };
    let mut s = session_with(&mut vault, &proxy.url, &[&net.witness], quick);
    let receipt: Receipt = file_report(&mut s).expect("the report lands despite the stalls");
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 1, "sent once");
    assert_eq!(
        proxy.stalled.load(Ordering::SeqCst),
        3,
        "all three requests were held"
    );
    receipt.verify_offline(s.vault()).expect("receipt verifies");
}
