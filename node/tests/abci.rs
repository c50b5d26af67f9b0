//! The application through the real ABCI socket protocol: a `tendermint-abci` server on a
//! loopback port, driven by `tendermint-abci`'s client as CometBFT would drive it.

mod common;

use citywallet_node::abci::{CityAbci, PROOF_OP_TYPE};
use citywallet_node::app::App;
use citywallet_node::store::Store;
use citywallet_protocol::{Action, Code, keys};
use common::*;
use prost_ics23::Message;
use tendermint_abci::{ClientBuilder, ServerBuilder};
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    RequestCheckTx, RequestFinalizeBlock, RequestInfo, RequestInitChain, RequestQuery,
};

fn serve(dir: &std::path::Path) -> tendermint_abci::Client {
    let app = App::open(Store::open(&dir.join("state.redb")).expect("store")).expect("app");
    let server = ServerBuilder::default()
        .bind("127.0.0.1:0", CityAbci::new(app))
        .expect("bind");
    let addr = server.local_addr();
    std::thread::spawn(move || {
        if let Err(e) = server.listen() {
            eprintln!("ABCI server stopped: {e}");
        }
    });
    ClientBuilder::default().connect(addr).expect("connect")
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
