//! The application through the real ABCI socket protocol: a `tendermint-abci` server on a
//! loopback port, driven by `tendermint-abci`'s client as CometBFT would drive it.

mod common;

use citywallet_node::abci::{CityAbci, PROOF_OP_TYPE};
use citywallet_node::app::App;
use citywallet_node::store::Store;
use citywallet_protocol::{Action, Code, keys};
use common::*;
use prost_ics23::Message;
use tendermint_abci::ClientBuilder;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    RequestCheckTx, RequestFinalizeBlock, RequestInfo, RequestInitChain, RequestQuery,
};

fn serve(dir: &std::path::Path) -> tendermint_abci::Client {
    connect(serve_at(dir))
}

fn connect(addr: std::net::SocketAddr) -> tendermint_abci::Client {
    ClientBuilder::default().connect(addr).expect("connect")
}

/// A server over the state in `dir`, on a free loopback port.
fn serve_at(dir: &std::path::Path) -> std::net::SocketAddr {
    let app = App::open(Store::open(&dir.join("state.redb")).expect("store")).expect("app");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        if let Err(e) = citywallet_node::abci::serve(listener, CityAbci::new(app)) {
            eprintln!("ABCI server stopped: {e}");
        }
    });
    addr
}

#[test]
fn a_block_and_a_proven_query_over_the_abci_wire() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut client = serve(dir.path());

    let info = client.info(RequestInfo::default()).expect("info");
    assert_eq!(info.last_block_height, 0);
    assert!(
        info.last_block_app_hash.is_empty(),
        "no state before InitChain"
    );

    let init = client
        .init_chain(RequestInitChain {
            chain_id: CHAIN.into(),
            app_state_bytes: serde_json::to_vec(&genesis(&k)).expect("json").into(),
            initial_height: 1,
            ..Default::default()
        })
        .expect("init");
    assert_eq!(init.app_hash.len(), 32);

    let garbage = client
        .check_tx(RequestCheckTx {
            tx: b"not a transaction".to_vec().into(),
            ..Default::default()
        })
        .expect("check");
    assert_eq!(garbage.code, Code::Malformed.value());
    let good = tx(&k.citizen, 0, report("r-1"));
    let checked = client
        .check_tx(RequestCheckTx {
            tx: good.clone().into(),
            ..Default::default()
        })
        .expect("check");
    assert_eq!(checked.code, 0, "{}", checked.log);

    let block = client
        .finalize_block(RequestFinalizeBlock {
            txs: vec![
                good.into(),
                b"garbage".to_vec().into(),
                tx(
                    &k.admin,
                    0,
                    Action::SetValidator {
                        public_key: pk(&key(8)),
                        power: 3,
                    },
                )
                .into(),
            ],
            height: 1,
            time: Some(Timestamp {
                seconds: T0 as i64,
                nanos: 0,
            }),
            ..Default::default()
        })
        .expect("finalize");
    let codes: Vec<u32> = block.tx_results.iter().map(|r| r.code).collect();
    assert_eq!(codes, [0, Code::Malformed.value(), 0]);
    assert_eq!(block.validator_updates.len(), 1);
    assert_eq!(block.validator_updates[0].power, 3);
    client.commit().expect("commit");

    let info = client.info(RequestInfo::default()).expect("info");
    assert_eq!(info.last_block_height, 1);
    assert_eq!(info.last_block_app_hash, block.app_hash);

    let spec = jmt::ics23_spec();
    let root = block.app_hash.to_vec();
    for (key, present) in [(keys::report("r-1"), true), (keys::report("r-404"), false)] {
        let q = client
            .query(RequestQuery {
                data: key.clone().into(),
                path: "/key".into(),
                height: 0,
                prove: true,
            })
            .expect("query");
        assert_eq!(q.code, 0, "{}", q.log);
        assert_eq!(q.height, 1);
        let ops = q.proof_ops.expect("proof requested");
        assert_eq!(ops.ops.len(), 1);
        assert_eq!(ops.ops[0].r#type, PROOF_OP_TYPE);
        let proof =
            ics23::CommitmentProof::decode(ops.ops[0].data.as_slice()).expect("protobuf proof");
        let ok = if present {
            ics23::verify_membership::<ics23::HostFunctionsManager>(
                &proof, &spec, &root, &key, &q.value,
            )
        } else {
            assert!(q.value.is_empty());
            ics23::verify_non_membership::<ics23::HostFunctionsManager>(&proof, &spec, &root, &key)
        };
        assert!(
            ok,
            "proof for {} does not verify",
            String::from_utf8_lossy(&key)
        );
    }

    let bad = client
        .query(RequestQuery {
            data: b"x".to_vec().into(),
            path: "/store/raw".into(),
            height: 0,
            prove: false,
        })
        .expect("query");
    assert_eq!(bad.code, Code::Malformed.value());
    let future = client
        .query(RequestQuery {
            data: keys::report("r-1").into(),
            path: "/key".into(),
            height: 50,
            prove: true,
        })
        .expect("query");
    assert_ne!(future.code, 0);
}

#[test]
fn a_restarted_server_reports_its_height_and_keeps_serving() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    {
        let mut client = serve(dir.path());
        client
            .init_chain(RequestInitChain {
                chain_id: CHAIN.into(),
                app_state_bytes: serde_json::to_vec(&genesis(&k)).expect("json").into(),
                ..Default::default()
            })
            .expect("init");
        client
            .finalize_block(RequestFinalizeBlock {
                txs: vec![tx(&k.citizen, 0, report("r-1")).into()],
                height: 1,
                ..Default::default()
            })
            .expect("finalize");
        client.commit().expect("commit");
    }
    // The first server thread still holds the database; a restart is a new process in real
    // life. Copying the file gives the second server its own view of the same bytes.
    let copy = tempfile::tempdir().expect("tmp");
    std::fs::copy(
        dir.path().join("state.redb"),
        copy.path().join("state.redb"),
    )
    .expect("copy");
    let mut client = serve(copy.path());
    let info = client.info(RequestInfo::default()).expect("info");
    assert_eq!(info.last_block_height, 1);
    let next = client
        .finalize_block(RequestFinalizeBlock {
            txs: vec![tx(&k.citizen, 1, report("r-2")).into()],
            height: 2,
            ..Default::default()
        })
        .expect("finalize");
    assert_eq!(next.tx_results[0].code, 0, "{}", next.tx_results[0].log);
}

fn init(client: &mut tendermint_abci::Client, k: &Keys) -> Vec<u8> {
    client
        .init_chain(RequestInitChain {
            chain_id: CHAIN.into(),
            app_state_bytes: serde_json::to_vec(&genesis(k)).expect("json").into(),
            ..Default::default()
        })
        .expect("init")
        .app_hash
        .to_vec()
}

fn finalize(
    client: &mut tendermint_abci::Client,
    height: i64,
    txs: Vec<Vec<u8>>,
) -> tendermint_proto::v0_38::abci::ResponseFinalizeBlock {
    client
        .finalize_block(RequestFinalizeBlock {
            txs: txs.into_iter().map(Into::into).collect(),
            height,
            ..Default::default()
        })
        .expect("finalize")
}

/// The state directory copied: what a node killed at this point finds on restart.
fn crash_copy(dir: &std::path::Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("tmp");
    std::fs::copy(dir.join("state.redb"), copy.path().join("state.redb")).expect("copy");
    copy
}

/// ABCI 2.0: FinalizeBlock writes nothing. A node killed before Commit restarts at the
/// previous height, and the block CometBFT replays gives the same app hash.
#[test]
fn a_node_killed_between_finalize_and_commit_replays_the_block() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut client = serve(dir.path());
    init(&mut client, &k);
    let one = finalize(&mut client, 1, vec![tx(&k.citizen, 0, report("r-1"))]);
    client.commit().expect("commit");
    let two = finalize(&mut client, 2, vec![tx(&k.citizen, 1, report("r-2"))]);
    assert_ne!(one.app_hash, two.app_hash);

    let copy = crash_copy(dir.path());
    let mut restarted = serve(copy.path());
    let info = restarted.info(RequestInfo::default()).expect("info");
    assert_eq!(info.last_block_height, 1, "block 2 was never committed");
    assert_eq!(info.last_block_app_hash, one.app_hash);
    let replayed = finalize(&mut restarted, 2, vec![tx(&k.citizen, 1, report("r-2"))]);
    assert_eq!(replayed.app_hash, two.app_hash);
    assert_eq!(
        replayed.tx_results[0].code, 0,
        "{}",
        replayed.tx_results[0].log
    );
    restarted.commit().expect("commit");
    let info = restarted.info(RequestInfo::default()).expect("info");
    assert_eq!(info.last_block_height, 2);
    assert_eq!(info.last_block_app_hash, two.app_hash);
}

/// CometBFT sends InitChain again while Info says height 0: the same genesis is answered
/// with the stored root; another genesis is an exception, and nothing changes.
#[test]
fn init_chain_again_at_height_zero_answers_with_the_stored_root() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let first = {
        let mut client = serve(dir.path());
        init(&mut client, &k)
    };
    let copy = crash_copy(dir.path());
    let restarted = serve_at(copy.path());
    let mut client = connect(restarted);
    let info = client.info(RequestInfo::default()).expect("info");
    assert_eq!(info.last_block_height, 0);
    assert_eq!(info.last_block_app_hash.to_vec(), first);
    assert_eq!(
        init(&mut client, &k),
        first,
        "the same genesis, the same root"
    );

    let mut other = genesis(&k);
    other.max_reward += 1;
    let refused = client.init_chain(RequestInitChain {
        chain_id: CHAIN.into(),
        app_state_bytes: serde_json::to_vec(&other).expect("json").into(),
        ..Default::default()
    });
    assert!(refused.is_err(), "another genesis is an exception");
    let mut client = connect(restarted);
    let info = client.info(RequestInfo::default()).expect("info");
    assert_eq!(info.last_block_app_hash.to_vec(), first, "nothing changed");
}

/// Two updates of one validator in a block reach CometBFT as one (the last); CometBFT
/// halts on duplicates.
#[test]
fn validator_updates_are_one_per_key_per_block() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut client = serve(dir.path());
    init(&mut client, &k);
    let set = |nonce, power| {
        tx(
            &k.admin,
            nonce,
            Action::SetValidator {
                public_key: pk(&key(8)),
                power,
            },
        )
    };
    let block = finalize(&mut client, 1, vec![set(0, 3), set(1, 5)]);
    let codes: Vec<u32> = block.tx_results.iter().map(|r| r.code).collect();
    assert_eq!(codes, [0, 0]);
    assert_eq!(block.validator_updates.len(), 1);
    assert_eq!(block.validator_updates[0].power, 5);
}

/// An application error is an ABCI exception on the connection (CometBFT then stops
/// cleanly); the process keeps serving, and its state is unchanged.
#[test]
fn an_application_error_is_an_exception_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let addr = serve_at(dir.path());
    let mut client = connect(addr);
    let root = init(&mut client, &k);
    assert!(client.commit().is_err(), "Commit with no block finalized");
    let mut again = connect(addr);
    let info = again.info(RequestInfo::default()).expect("info");
    assert_eq!(info.last_block_height, 0);
    assert_eq!(info.last_block_app_hash.to_vec(), root);
}
