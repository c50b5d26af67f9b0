//! `cargo bench -p citywallet-verifier --bench presentation`: an OpenID4VP exchange end to
//! end on a devnet (in this process, on loopback): the health research institute's verifier
//! service (served over HTTP from a thread of this process) makes a signed request; the
//! citizen's wallet fetches it, checks the signature, proves the organisation's key on the
//! chain, derives the presentation and posts it; the verifier checks it with the light
//! client and DCQL. Also the parts: the request made, and the request read and checked
//! (fetch + signature + chain) without answering.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use citywallet_chain_tests::Net;
use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_verifier::Service;
use citywallet_verifier::http::Server;
use citywallet_wallet::verifier::{Ask, RequestOutcome};
use citywallet_wallet::{HttpConnect, Network, SystemClock, Wallet};
use criterion::{Criterion, criterion_group, criterion_main};

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

fn presentation(c: &mut Criterion) {
    let net = Net::start_devnet(4);
    let network = Network {
        primary: net.primary.clone(),
        witnesses: vec![net.witness.clone()],
    };
    let _issuers = citywallet_issuer::demo::serve_in_background(net.data_dir(), &network, FAST)
        .expect("issuers");
    let dir = tempfile::tempdir().expect("dir");
    let mut w = Wallet::new(
        &dir.path().join("citizen.db"),
        FAST,
        network.clone(),
        Arc::new(HttpConnect),
        Arc::new(SystemClock),
    );
    w.create(&Passphrase::from("bench wallet passphrase 1"), "")
        .expect("create");
    let demo = citywallet_demo::Demo::new(net.data_dir(), &net.primary);
    w.accept_offer(&demo.offer(CredentialType::Credit).expect("offer"), None)
        .expect("credential");

    let key = std::fs::read(
        net.data_dir()
            .join(citywallet_node::devnet::org_key_file("health-research")),
    )
    .expect("org key file");
    let data = dir.path().join("verifier");
    std::fs::create_dir_all(&data).expect("dir");
    let mut s = Service::init(
        &data,
        &Passphrase::from("bench verifier 1"),
        FAST,
        &key,
        &network,
    )
    .expect("init");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    s.set_url(&format!("http://{}", listener.local_addr().expect("addr")))
        .expect("url");
    let s = Arc::new(Mutex::new(s));
    let _server = Server::spawn(listener, s.clone()).expect("serve");
    let asks = [Ask {
        kind: CredentialType::Credit,
        claims: vec!["tier".into()],
    }];
    let ask = || s.lock().expect("lock").ask(&asks).expect("ask");

    let mut g = c.benchmark_group("OpenID4VP, credit tier from the institute's verifier");
    g.sample_size(20);
    g.bench_function("request made (DCQL, signed, kept)", |b| b.iter(ask));
    g.bench_function(
        "request read (fetch, signature, organisation proven on chain)",
        |b| {
            b.iter_batched(
                ask,
                |r| w.preview_request(&r.uri).expect("preview"),
                criterion::BatchSize::PerIteration,
            )
        },
    );
    g.bench_function(
        "request answered and verified (read, derive, post, light-client check, DCQL)",
        |b| {
            b.iter_batched(
                ask,
                |r| {
                    w.answer_request(&r.uri, &BTreeMap::new()).expect("answer");
                    let o = s.lock().expect("lock").outcome(&r.id).expect("outcome");
                    assert!(matches!(o, RequestOutcome::Verified { .. }));
                },
                criterion::BatchSize::PerIteration,
            )
        },
    );
    g.finish();
}

criterion_group!(benches, presentation);
criterion_main!(benches);
