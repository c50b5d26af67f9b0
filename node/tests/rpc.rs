//! The devnet's JSON-RPC read by an off-the-shelf CometBFT client (`tendermint-rpc`,
//! CompatMode 0.38): its commits verify with `ProdVerifier`, its proofs with ICS23, its
//! response shapes match real CometBFT 0.38 responses, and bad requests get JSON-RPC errors.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use citywallet_node::devnet::{Devnet, DevnetConfig};
use citywallet_node::store::Retention;
use citywallet_protocol::{Action, TxBody, keys};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::{
    TrustThreshold, TrustedBlockState, UntrustedBlockState,
};
use tendermint_light_client_verifier::{ProdVerifier, Verdict, Verifier};
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::{Client, HttpClient, Paging};

const CHAIN: &str = "citywallet-devnet";

/// A devnet on [`CHAIN`] in `dir` with `validators` keys from `seed`, keeping `retention`.
fn devnet_config(
    dir: &std::path::Path,
    validators: usize,
    seed: u64,
    retention: Retention,
) -> DevnetConfig {
    DevnetConfig {
        chain_id: CHAIN.into(),
        validators,
        seed: Some(seed),
        data: dir.to_owned(),
        retention,
    }
}

/// Serve `devnet`'s RPC on a free loopback port of the current runtime.
async fn serve(devnet: &Devnet) -> SocketAddr {
    let (addr, _task) =
        citywallet_node::rpc::serve(devnet.clone(), "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("serve");
    addr
}

async fn start(dir: &std::path::Path, validators: usize) -> (Devnet, SocketAddr) {
    let config = devnet_config(dir, validators, 7, Retention::default());
    let (devnet, _keys) = Devnet::create(&config).expect("devnet");
    for _ in 0..3 {
        devnet.produce_block().expect("block");
    }
    let addr = serve(&devnet).await;
    (devnet, addr)
}

fn client(addr: SocketAddr) -> HttpClient {
    HttpClient::builder(format!("http://{addr}").parse().expect("url"))
        .compat_mode(CompatMode::V0_38)
        .build()
        .expect("client")
}

/// A raw HTTP exchange, for shapes and hostile requests.
fn http(addr: SocketAddr, request: &[u8]) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // A server may answer and close before it has read the whole request (a body over its
    // limit): the write then fails and the answer is still there to read.
    if let Err(e) = s.write_all(request) {
        use std::io::ErrorKind::{BrokenPipe, ConnectionReset};
        assert!(
            matches!(e.kind(), BrokenPipe | ConnectionReset),
            "write: {e}"
        );
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn get(addr: SocketAddr, path: &str) -> Value {
    http(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .1
}

fn post(addr: SocketAddr, body: &str) -> (u16, Value) {
    http(addr, format!("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes())
}

fn options() -> Options {
    Options {
        trust_threshold: TrustThreshold::ONE_THIRD,
        trusting_period: Duration::from_secs(86_400),
        clock_drift: Duration::from_secs(5),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_off_the_shelf_client_reads_and_verifies_the_devnet() {
    let dir = tempfile::tempdir().expect("tmp");
    let (devnet, addr) = start(dir.path(), 4).await;
    let c = client(addr);

    let status = c.status().await.expect("status");
    assert_eq!(status.node_info.network.as_str(), CHAIN);
    assert_eq!(status.sync_info.latest_block_height.value(), 3);

    // Verify block 3 from block 2 with what the RPC gave, as a light client would.
    let c2 = c.commit(2u32).await.expect("commit 2");
    let c3 = c.commit(3u32).await.expect("commit 3");
    let v3 = c.validators(3u32, Paging::All).await.expect("validators 3");
    // As CometBFT: the set of the height after the latest is known (block 3's next set).
    let v4 = c.validators(4u32, Paging::All).await.expect("validators 4");
    assert_eq!(
        tendermint::validator::Set::without_proposer(v4.validators).hash(),
        c3.signed_header.header.next_validators_hash
    );
    assert!(
        c.validators(5u32, Paging::All).await.is_err(),
        "nothing two heights ahead"
    );
    let set3 = tendermint::validator::Set::without_proposer(v3.validators.clone());
    let trusted = TrustedBlockState {
        chain_id: &c2.signed_header.header.chain_id,
        header_time: c2.signed_header.header.time,
        height: c2.signed_header.header.height,
        next_validators: &set3,
        next_validators_hash: c2.signed_header.header.next_validators_hash,
    };
    let untrusted = UntrustedBlockState {
        signed_header: &c3.signed_header,
        validators: &set3,
        next_validators: None,
    };
    let now = (c3.signed_header.header.time + Duration::from_secs(1)).expect("time");
    assert_eq!(
        ProdVerifier::default().verify_update_header(untrusted, trusted, &options(), now),
        Verdict::Success
    );

    let block = c.block(3u32).await.expect("block");
    assert_eq!(block.block_id.hash, c3.signed_header.commit.block_id.hash);
    assert_eq!(block.block.header.hash(), block.block_id.hash);

    let page = c
        .validators(
            3u32,
            Paging::Specific {
                page_number: 2usize.into(),
                per_page: 3u8.into(),
            },
        )
        .await
        .expect("page");
    assert_eq!((page.validators.len(), page.total), (1, 4));
    let genesis: tendermint::Genesis<Value> = c.genesis().await.expect("genesis");
    assert_eq!(genesis.chain_id.as_str(), CHAIN);
    assert_eq!(genesis.app_state["issuers"][0]["id"], "city-credit-bureau");

    // A citizen's report goes through broadcast_tx_sync, lands, and is findable by hash.
    let citizen = SigningKey::from_bytes(&[42; 32]);
    let tx = TxBody {
        chain_id: CHAIN.into(),
        signer: citizen.verifying_key().to_bytes(),
        nonce: 0,
        expires_at: 0,
        action: Action::SubmitReport {
            id: "r-1".into(),
            category: "pothole".into(),
            location_cell: "8a2a1072b59ffff".into(),
            evidence_hash: [1; 32],
        },
    }
    .sign_with(|m| citizen.sign(m).to_bytes())
    .encode();
    let sent = c.broadcast_tx_sync(tx.clone()).await.expect("broadcast");
    assert!(sent.code.is_ok(), "{}", sent.log);
    let garbage = c
        .broadcast_tx_sync(b"garbage".to_vec())
        .await
        .expect("broadcast");
    assert_eq!(
        garbage.code.value(),
        citywallet_protocol::Code::Malformed.value()
    );
    let h = devnet.produce_block().expect("block");
    devnet.produce_block().expect("block");
    let found = c.tx(sent.hash, false).await.expect("tx");
    assert_eq!((found.height.value(), found.tx_result.code.value()), (h, 0));
    assert_eq!(found.tx, tx);

    // Proven reads: the state after block h is committed by the app hash in header h + 1.
    let header = c
        .commit((h + 1) as u32)
        .await
        .expect("commit")
        .signed_header
        .header;
    let root = header.app_hash.as_bytes().to_vec();
    let spec = jmt::ics23_spec();
    for (key, present) in [
        (keys::report("r-1"), true),
        (keys::revoked("city-credit-bureau", "urn:uuid:x"), false),
    ] {
        let q = c
            .abci_query(
                Some("/key".into()),
                key.clone(),
                Some((h as u32).into()),
                true,
            )
            .await
            .expect("query");
        assert_eq!(q.height.value(), h);
        let ops = q.proof.expect("proof");
        let proof =
            <ics23::CommitmentProof as prost_ics23::Message>::decode(ops.ops[0].data.as_slice())
                .expect("proof bytes");
        let ok = if present {
            ics23::verify_membership::<ics23::HostFunctionsManager>(
                &proof, &spec, &root, &key, &q.value,
            )
        } else {
            ics23::verify_non_membership::<ics23::HostFunctionsManager>(&proof, &spec, &root, &key)
        };
        assert!(ok);
    }
}

/// Every field a real CometBFT 0.38 response has (`../shared/vectors/cometbft/rpc/kvstore_v0_38`)
/// is in ours, with the same JSON type.
fn same_shape(ours: &Value, theirs: &Value, path: &str) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                let mine = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}.{k} missing: {ours}"));
                same_shape(mine, v, &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                same_shape(x, y, &format!("{path}[0]"));
            }
        }
        (_, Value::Null) | (Value::Null, _) => {}
        (a, b) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "{path}: {a} vs {b}"
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_have_cometbft_shapes_and_bad_requests_get_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_devnet, addr) = start(dir.path(), 4).await;
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/cometbft/rpc/kvstore_v0_38/"
    );
    let fixture = |name: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(format!("{fixtures}{name}")).expect("fixture"),
        )
        .expect("json")
    };
    let data = hex::encode(keys::issuer("city-credit-bureau"));
    for (ours, theirs) in [
        ("/status", "status.json"),
        ("/commit?height=2", "commit_at_height_10.json"),
        ("/block?height=2", "block_at_height_10.json"),
        ("/genesis", "genesis.json"),
        (
            &*format!("/abci_query?path=\"/key\"&data=0x{data}"),
            "abci_query_with_existing_key.json",
        ),
    ] {
        same_shape(&get(addr, ours)["result"], &fixture(theirs)["result"], ours);
    }
    let legacy: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/vectors/cometbft/rpc/legacy_tm034/validators.json"
        ))
        .expect("fixture"),
    )
    .expect("json");
    same_shape(
        &get(addr, "/validators?height=2")["result"],
        &legacy["result"],
        "/validators",
    );

    let (_, r) = post(addr, "{not json");
    assert_eq!(r["error"]["code"], -32700);
    let (_, r) = post(
        addr,
        r#"{"jsonrpc":"2.0","id":5,"method":"launch_missiles","params":{}}"#,
    );
    assert_eq!(
        (r["error"]["code"].clone(), r["id"].clone()),
        (Value::from(-32601), Value::from(5))
    );
    let (_, r) = post(
        addr,
        r#"{"jsonrpc":"2.0","id":6,"method":"commit","params":{"height":"abc"}}"#,
    );
    assert_eq!(r["error"]["code"], -32602);
    let (_, r) = post(
        addr,
        r#"{"jsonrpc":"2.0","id":7,"method":"block","params":{"height":"99999"}}"#,
    );
    assert_eq!(r["error"]["code"], -32602);
    let (_, r) = post(
        addr,
        r#"{"jsonrpc":"2.0","id":8,"method":"validators","params":{"page":"9"}}"#,
    );
    assert_eq!(r["error"]["code"], -32602);
    let (_, r) = post(
        addr,
        r#"{"jsonrpc":"2.0","id":9,"method":"broadcast_tx_sync","params":{"tx":"%%%"}}"#,
    );
    assert_eq!(r["error"]["code"], -32602);
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"status","params":{{"x":"{}"}}}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    let (code, _) = post(addr, &huge);
    assert_eq!(code, 413, "an oversized body is refused");
    // Still serving.
    assert_eq!(
        get(addr, "/status")["result"]["node_info"]["network"],
        CHAIN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_witness_serves_conflicting_headers_signed_by_the_same_validators() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = devnet_config(dir.path(), 4, 11, Retention::default());
    let (primary, _) = Devnet::create(&config).expect("primary");
    let (fork, fork_keys) = Devnet::create_fork(&config).expect("fork");
    for _ in 0..3 {
        primary.produce_block().expect("block");
        fork.produce_fork_block(&fork_keys).expect("fork block");
    }
    let (p_addr, _p) = citywallet_node::rpc::serve(primary, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let (f_addr, _f) = citywallet_node::rpc::serve(fork, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let (p, f) = (client(p_addr), client(f_addr));

    let trusted = p.commit(1u32).await.expect("commit");
    let trusted_next = p.validators(2u32, Paging::All).await.expect("validators");
    let trusted_set = tendermint::validator::Set::without_proposer(trusted_next.validators);
    let honest = p.commit(3u32).await.expect("commit");
    let lying = f.commit(3u32).await.expect("commit");
    assert_ne!(
        honest.signed_header.header.hash(),
        lying.signed_header.header.hash(),
        "a real fork"
    );
    assert_ne!(
        honest.signed_header.header.app_hash,
        lying.signed_header.header.app_hash
    );

    for sh in [&honest.signed_header, &lying.signed_header] {
        let vals = tendermint::validator::Set::without_proposer(
            if sh.header.hash() == honest.signed_header.header.hash() {
                &p
            } else {
                &f
            }
            .validators(3u32, Paging::All)
            .await
            .expect("validators")
            .validators,
        );
        let verdict = ProdVerifier::default().verify_update_header(
            UntrustedBlockState {
                signed_header: sh,
                validators: &vals,
                next_validators: None,
            },
            TrustedBlockState {
                chain_id: &trusted.signed_header.header.chain_id,
                header_time: trusted.signed_header.header.time,
                height: trusted.signed_header.header.height,
                next_validators: &trusted_set,
                next_validators_hash: trusted.signed_header.header.next_validators_hash,
            },
            &options(),
            (sh.header.time + Duration::from_secs(1)).expect("time"),
        );
        assert_eq!(
            verdict,
            Verdict::Success,
            "both sides verify alone: only a cross-check finds the fork"
        );
    }
}

#[test]
fn a_restarted_devnet_continues_its_chain() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = devnet_config(dir.path(), 4, 3, Retention::default());
    let (devnet, keys) = Devnet::create(&config).expect("devnet");
    let admin = &keys.admin;
    let add = TxBody {
        chain_id: CHAIN.into(),
        signer: admin.verifying_key().to_bytes(),
        nonce: 0,
        expires_at: 0,
        action: Action::SetValidator {
            public_key: SigningKey::from_bytes(&[5; 32]).verifying_key().to_bytes(),
            power: 1,
        },
    }
    .sign_with(|m| admin.sign(m).to_bytes())
    .encode();
    devnet.produce_block().expect("1");
    assert!(devnet.broadcast(add).expect("broadcast").code.value() == 0);
    devnet.produce_block().expect("2");
    let genesis = devnet.genesis().clone();
    drop(devnet);

    assert!(Devnet::exists(&config));
    assert!(
        Devnet::create(&config).is_err(),
        "create refuses an existing devnet"
    );
    let devnet = Devnet::open(&config).expect("reopen");
    assert_eq!(devnet.genesis().validators, genesis.validators);
    assert_eq!(devnet.produce_block().expect("3"), 3);
    assert_eq!(devnet.produce_block().expect("4"), 4);
    // The update from block 2 is in force at height 4, and blocks verify across the restart.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let c = client(serve(&devnet).await);
        assert_eq!(c.validators(4u32, Paging::All).await.expect("v").total, 5);
        let c2 = c.commit(2u32).await.expect("commit");
        let c3 = c.commit(3u32).await.expect("commit");
        assert_eq!(
            c3.signed_header.header.last_block_id.map(|b| b.hash),
            Some(c2.signed_header.commit.block_id.hash)
        );
        let v3 = tendermint::validator::Set::without_proposer(
            c.validators(3u32, Paging::All).await.expect("v").validators,
        );
        let verdict = ProdVerifier::default().verify_update_header(
            UntrustedBlockState {
                signed_header: &c3.signed_header,
                validators: &v3,
                next_validators: None,
            },
            TrustedBlockState {
                chain_id: &c2.signed_header.header.chain_id,
                header_time: c2.signed_header.header.time,
                height: c2.signed_header.header.height,
                next_validators: &v3,
                next_validators_hash: c2.signed_header.header.next_validators_hash,
            },
            &options(),
            (c3.signed_header.header.time + Duration::from_secs(1)).expect("time"),
        );
        assert_eq!(verdict, Verdict::Success);
    });
}

/// A devnet keeping 4 heights drops older block records and their transactions' index
/// entries as it goes (block 1 stays), serves what it keeps, and after a restart goes on
/// pruning from where it was.
#[test]
fn a_devnet_keeps_its_window_of_blocks_and_transactions() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = devnet_config(dir.path(), 1, 3, Retention::Keep(4));
    let (devnet, _keys) = Devnet::create(&config).expect("devnet");
    let reporter = SigningKey::from_bytes(&[9; 32]);
    let report = |nonce: u64| {
        TxBody {
            chain_id: CHAIN.into(),
            signer: reporter.verifying_key().to_bytes(),
            nonce,
            expires_at: 0,
            action: Action::SubmitReport {
                id: format!("window-{nonce}"),
                category: "pothole".into(),
                location_cell: "cell-8a2b".into(),
                evidence_hash: [1; 32],
            },
        }
        .sign_with(|m| reporter.sign(m).to_bytes())
        .encode()
    };
    let hash = |tx: &[u8]| {
        use sha2::Digest as _;
        tendermint::Hash::Sha256(sha2::Sha256::digest(tx).into())
    };
    let send = |tx: &[u8]| {
        let r = devnet.broadcast(tx.to_vec()).expect("broadcast");
        assert_eq!(r.code.value(), 0, "{}", r.log);
    };
    let early = report(0);
    devnet.produce_block().expect("1");
    send(&early);
    assert_eq!(devnet.produce_block().expect("2"), 2);
    for h in 3..=9 {
        assert_eq!(devnet.produce_block().expect("block"), h);
    }
    let late = report(1);
    send(&late);
    assert_eq!(devnet.produce_block().expect("10"), 10);
    // Its own runtime each time: dropped, it stops the server and lets go of the devnet.
    let check = |devnet: &Devnet, newest: u32| {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let c = client(serve(devnet).await);
            assert_eq!(
                c.block(1u32)
                    .await
                    .expect("block 1 stays")
                    .block
                    .header
                    .height
                    .value(),
                1
            );
            for h in 2..=newest - 4 {
                assert!(c.block(h).await.is_err(), "block {h} is pruned");
                assert!(c.commit(h).await.is_err(), "commit {h} is pruned");
            }
            for h in newest - 3..=newest {
                assert_eq!(
                    c.block(h).await.expect("kept").block.header.height.value(),
                    u64::from(h)
                );
            }
            assert!(
                c.tx(hash(&early), false).await.is_err(),
                "its block is pruned"
            );
            c.tx(hash(&late), false)
                .await
                .expect("a kept block's transaction")
        })
    };
    assert_eq!(check(&devnet, 10).height.value(), 10);
    drop(devnet);
    let devnet = Devnet::open(&config).expect("reopen");
    assert_eq!(devnet.produce_block().expect("11"), 11);
    assert_eq!(devnet.produce_block().expect("12"), 12);
    assert_eq!(check(&devnet, 12).height.value(), 10);
}
