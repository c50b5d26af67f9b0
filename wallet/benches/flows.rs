//! Whole wallet flows on the in-memory chain (no HTTP, blocks on demand, a test clock): the
//! cost of the wallet itself per action, apart from the network and block time.

use std::sync::Arc;

use citywallet_chain_tests::memory::{MemoryNet, PRIMARY, WITNESS};
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_wallet::dto::ReportIn;
use citywallet_wallet::{Check, Network, Wallet};
use criterion::{Criterion, criterion_group, criterion_main};

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

fn wallet(net: &MemoryNet, dir: &std::path::Path, name: &str) -> Wallet {
    let mut w = Wallet::new(
        &dir.join(format!("{name}.db")),
        FAST,
        Network {
            primary: PRIMARY.into(),
            witnesses: vec![WITNESS.into()],
        },
        Arc::new(net.connect()),
        net.wallet_clock(),
    );
    w.create(&Passphrase::from("bench passphrase 1"), "")
        .expect("create");
    w.sync(&mut |_| {}).expect("sync");
    w
}

fn flows(c: &mut Criterion) {
    let net = MemoryNet::start(4);
    let dir = tempfile::tempdir().expect("dir");
    let mut citizen = wallet(&net, dir.path(), "citizen");
    let report = ReportIn {
        category: "pothole".into(),
        location: "cell-8a2b".into(),
        description: "deep pothole".into(),
        evidence_sha256: None,
        residency: None,
    };
    let mut g = c.benchmark_group("wallet on the in-memory chain");
    g.sample_size(20);
    g.bench_function(
        "file a report: verify, submit, prove, keep the receipt",
        |b| b.iter(|| citizen.submit_report(&report).expect("report")),
    );
    g.bench_function(
        "sync with nothing new (witness cross-check included)",
        |b| b.iter(|| citizen.sync(&mut |_| {}).expect("sync")),
    );
    let mut officer = wallet(&net, dir.path(), "officer");
    let (_, challenge) = officer.new_challenge(None).expect("challenge");
    let key = std::fs::read(
        net.data_dir()
            .join(citywallet_node::devnet::CREDIT_BUREAU_KEY_FILE),
    )
    .expect("key");
    let holder = citizen.identity_info().expect("identity").did;
    let credential = citywallet_wallet::issue_credential(
        &key,
        &citywallet_wallet::IssueArgs {
            kind: "credit",
            holder: &holder,
            claims: r#"{"score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-01"}"#,
            id: None,
            valid_days: 365,
            now: net.devnet.genesis_time().unix_timestamp(),
        },
    )
    .expect("issue");
    let id = citizen
        .import_credential(&credential.to_json())
        .expect("import")
        .id;
    let shown = citizen
        .present_qr(&id, &["tier".into()], &challenge.text)
        .expect("present");
    g.bench_function(
        "officer check online: sync, issuer and revocation proven, BBS",
        |b| {
            b.iter(|| {
                officer
                    .verify_text(&shown.text, &challenge.text, Check::Online)
                    .expect("valid")
            })
        },
    );
    g.bench_function("officer check offline, from the snapshot", |b| {
        b.iter(|| {
            officer
                .verify_text(&shown.text, &challenge.text, Check::Offline)
                .expect("valid")
        })
    });
    g.finish();
}

criterion_group!(benches, flows);
criterion_main!(benches);
