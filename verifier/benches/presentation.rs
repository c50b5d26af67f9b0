//! `cargo bench -p citywallet-verifier --bench presentation`: an OpenID4VP exchange end to
//! end on a devnet (in this process, on loopback): the health research institute's verifier
//! service (served over HTTP from a thread of this process) makes a signed request; the
//! citizen's wallet fetches it, checks the signature, proves the organisation's key on the
//! chain, derives the presentation and posts it; the verifier checks it with the light
//! client and DCQL. Also the parts: the request made, and the request read and checked
//! (fetch + signature + chain) without answering.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use citywallet_chain_tests::Net;
use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::Passphrase;
use citywallet_wallet::verifier::{Ask, RequestOutcome};
use citywallet_wallet::{HttpConnect, SystemClock, Wallet};
use common::FAST;
use criterion::{Criterion, criterion_group, criterion_main};

fn presentation(c: &mut Criterion) {
    let net = Net::start_devnet(4);
    let network = common::network(&net);
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

    let (s, _server) = common::institute(&net, dir.path());
    let asks = [Ask {
        kind: CredentialType::Credit,
        claims: vec!["tier".into()],
        privacy: Default::default(),
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
