//! What the verifier's tests and bench share: a devnet's network, and the health research
//! institute's verifier service set up from the devnet's organisation key file, served over
//! HTTP from a thread of this process.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use citywallet_chain_tests::Net;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_verifier::Service;
use citywallet_verifier::http::Server;
use citywallet_wallet::Network;

pub const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

pub fn network(net: &Net) -> Network {
    Network {
        primary: net.primary.clone(),
        witnesses: vec![net.witness.clone()],
    }
}

/// The institute's verifier in `dir/verifier`, serving on a free loopback port.
pub fn institute(net: &Net, dir: &Path) -> (Arc<Mutex<Service>>, Server) {
    let key = std::fs::read(
        net.data_dir()
            .join(citywallet_node::devnet::org_key_file("health-research")),
    )
    .expect("org key file");
    let data = dir.join("verifier");
    std::fs::create_dir_all(&data).expect("dir");
    let mut s = Service::init(
        &data,
        &Passphrase::from("institute verifier passphrase 9"),
        FAST,
        &key,
        &network(net),
    )
    .expect("init");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    s.set_url(&format!("http://{}", listener.local_addr().expect("addr")))
        .expect("url");
    let s = Arc::new(Mutex::new(s));
    let server = Server::spawn(listener, s.clone()).expect("serve");
    (s, server)
}
