//! `cargo bench -p citywallet-issuer --bench issuance`: OpenID4VCI issuance end to end on a
//! devnet (in this process, on loopback), the issuer service served over HTTP from a thread
//! of this process: an offer from the demo endpoint, then the wallet's whole flow (issuer
//! and authorization server metadata, token, nonce, proof of possession, credential, the
//! issuer's key proven on the chain with a fresh verified header, the base proof checked,
//! the credential kept in the encrypted vault).

use std::sync::Arc;

use citywallet_chain_tests::Net;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_wallet::{HttpConnect, Network, SystemClock, Wallet};
use criterion::{Criterion, criterion_group, criterion_main};

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

fn offer(url: &str, kind: &str) -> String {
    let body = reqwest::blocking::Client::new()
        .post(format!("{url}/demo/offer"))
        .header("content-type", "application/json")
        .body(serde_json::json!({ "credential": kind }).to_string())
        .send()
        .expect("offer")
        .bytes()
        .expect("body");
    let answer: serde_json::Value = serde_json::from_slice(&body).expect("json");
    answer["offer"].as_str().expect("offer").to_owned()
}

fn issuance(c: &mut Criterion) {
    let net = Net::start_devnet(4);
    let network = Network {
        primary: net.primary.clone(),
        witnesses: vec![net.witness.clone()],
    };
    let _issuers = citywallet_issuer::demo::serve_in_background(net.data_dir(), &network, FAST)
        .expect("issuers");
    let bureau = citywallet_issuer::demo::read_demo_issuers(net.data_dir()).expect("listed")[0]
        .url
        .clone();
    let dir = tempfile::tempdir().expect("dir");
    let mut w = Wallet::new(
        &dir.path().join("bench.db"),
        FAST,
        network,
        Arc::new(HttpConnect),
        Arc::new(SystemClock),
    );
    w.create(&Passphrase::from("bench wallet passphrase 1"), "")
        .expect("create");
    w.accept_offer(&offer(&bureau, "credit"), None)
        .expect("first");

    let mut g = c.benchmark_group("OpenID4VCI issuance, credit credential");
    g.sample_size(20);
    g.bench_function(
        "offer + accept (metadata, token, nonce, credential, chain check, kept)",
        |b| {
            b.iter(|| {
                w.accept_offer(&offer(&bureau, "credit"), None)
                    .expect("accept")
            });
        },
    );
    g.finish();
}

criterion_group!(benches, issuance);
criterion_main!(benches);
