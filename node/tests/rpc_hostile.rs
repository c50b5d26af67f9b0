//! The devnet RPC against clients that misbehave: a web page (an `Origin` header, a rebound
//! `Host`), a head or a body that trickles, more connections than the cap, and an admin
//! who removes the last validator. Each is refused or bounded, and the node keeps serving.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use citywallet_node::devnet::{Devnet, DevnetConfig};
use citywallet_node::rpc::ServeOptions;
use citywallet_protocol::{Action, Code, TxBody};
use ed25519_dalek::Signer;
use serde_json::Value;

const CHAIN: &str = "citywallet-devnet";

async fn start(
    dir: &std::path::Path,
    validators: usize,
    options: ServeOptions,
) -> (Devnet, SocketAddr) {
    let config = DevnetConfig {
        chain_id: CHAIN.into(),
        validators,
        seed: Some(11),
        data: dir.to_owned(),
        retention: citywallet_node::store::Retention::default(),
    };
    let (devnet, _keys) = Devnet::create(&config).expect("devnet");
    devnet.produce_block().expect("block");
    let (addr, _task) = citywallet_node::rpc::serve_with(
        devnet.clone(),
        "127.0.0.1:0".parse().expect("addr"),
        options,
    )
    .await
    .expect("serve");
    (devnet, addr)
}

/// Write `request` and read until the server closes, within `deadline` (the test fails
/// past it). The status code and the parsed body.
fn exchange(addr: SocketAddr, request: &[u8], deadline: Duration) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(deadline)).expect("timeout");
    s.write_all(request).expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("the server answers and closes in time");
    let text = String::from_utf8_lossy(&out);
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn status_request(headers: &str) -> Vec<u8> {
    format!("GET /status HTTP/1.1\r\n{headers}Connection: close\r\n\r\n").into_bytes()
}

const DEADLINE: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn web_pages_and_rebound_host_names_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_devnet, addr) = start(dir.path(), 1, ServeOptions::default()).await;
    let port = addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "localhost".to_owned(),
    ] {
        let (code, body) = exchange(
            addr,
            &status_request(&format!("Host: {host}\r\n")),
            DEADLINE,
        );
        assert_eq!(code, 200, "{host}");
        assert_eq!(body["result"]["node_info"]["network"], CHAIN);
    }
    // DNS rebinding: a page's own name now resolves to 127.0.0.1.
    let (code, body) = exchange(
        addr,
        &status_request(&format!("Host: attacker.example:{port}\r\n")),
        DEADLINE,
    );
    assert_eq!(code, 403);
    assert_eq!(body["error"]["code"], -32600);
    // A page's fetch carries its Origin, even to the right host.
    let tx = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"broadcast_tx_sync\",\"params\":{\"tx\":\"AAAA\"}}";
    let post = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: https://attacker.example\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{tx}",
        tx.len()
    );
    let (code, body) = exchange(addr, post.as_bytes(), DEADLINE);
    assert_eq!(code, 403);
    assert!(
        body["error"]["data"]
            .as_str()
            .expect("data")
            .contains("Origin")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trickling_head_or_body_is_cut_off() {
    let dir = tempfile::tempdir().expect("tmp");
    let options = ServeOptions {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let (_devnet, addr) = start(dir.path(), 1, options).await;

    // Half a request line, then nothing: the connection is closed.
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(DEADLINE)).expect("timeout");
    s.write_all(b"GET /sta").expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(started.elapsed() < DEADLINE, "the head deadline closed it");

    // A connection that never sends a byte is closed too.
    let mut idle = TcpStream::connect(addr).expect("connect");
    idle.set_read_timeout(Some(DEADLINE)).expect("timeout");
    let n = idle.read(&mut [0u8; 64]).unwrap_or(0);
    assert_eq!(n, 0, "closed without an answer");

    // The head in full, a tenth of the body, then nothing: 408.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{}",
        "{\"jsonrpc\""
    );
    let (code, body) = exchange(addr, head.as_bytes(), DEADLINE);
    assert_eq!(code, 408);
    assert_eq!(body["error"]["code"], -32600);

    // And it still serves.
    let (code, _) = exchange(addr, &status_request("Host: 127.0.0.1\r\n"), DEADLINE);
    assert_eq!(code, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_past_the_cap_wait_their_turn() {
    let dir = tempfile::tempdir().expect("tmp");
    let options = ServeOptions {
        max_connections: 2,
        header_timeout: Duration::from_secs(60),
        ..Default::default()
    };
    let (_devnet, addr) = start(dir.path(), 1, options).await;
    let hold = [
        TcpStream::connect(addr).expect("connect"),
        TcpStream::connect(addr).expect("connect"),
    ];
    // Both slots are taken by silent connections: a third is queued, not answered.
    let mut third = TcpStream::connect(addr).expect("connect (queued by the kernel)");
    third
        .write_all(&status_request("Host: 127.0.0.1\r\n"))
        .expect("write");
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let queued = third.read(&mut [0u8; 16]);
    assert!(
        matches!(&queued, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "no answer while the slots are held: {queued:?}"
    );
    // One slot frees: the queued request is served.
    drop(hold);
    third.set_read_timeout(Some(DEADLINE)).expect("timeout");
    let mut out = Vec::new();
    third.read_to_end(&mut out).expect("answered");
    assert!(
        out.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_validator_cannot_be_removed_and_status_never_panics() {
    let dir = tempfile::tempdir().expect("tmp");
    let (devnet, addr) = start(dir.path(), 1, ServeOptions::default()).await;
    let admin = citywallet_node::devnet::admin_key(dir.path()).expect("admin");
    let only: [u8; 32] = hex::decode(&devnet.genesis().validators[0].public_key)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let tx = TxBody {
        chain_id: CHAIN.into(),
        signer: admin.verifying_key().to_bytes(),
        nonce: 0,
        expires_at: 0,
        action: Action::SetValidator {
            public_key: only,
            power: 0,
        },
    }
    .sign_with(|m| admin.sign(m).to_bytes())
    .encode();
    let r = devnet.broadcast(tx).expect("broadcast");
    assert_eq!(r.code, Code::InvalidField, "{}", r.log);
    assert!(r.log.contains("last validator"), "{}", r.log);
    // The chain goes on and status answers.
    for _ in 0..3 {
        devnet.produce_block().expect("block");
    }
    let (code, body) = exchange(addr, &status_request("Host: 127.0.0.1\r\n"), DEADLINE);
    assert_eq!(code, 200);
    assert_eq!(body["result"]["sync_info"]["latest_block_height"], "4");
}
