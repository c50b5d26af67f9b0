//! Test support: a real chain (the devnet: the node's block producer and CometBFT JSON-RPC,
//! in this process, on free loopback ports; or, with `CITYWALLET_CHAIN_BACKEND=localnet`,
//! real CometBFT validators, see [`localnet`]), a tampering HTTP proxy in front of it, and
//! wallets.
//!
//! The proxy is a hostile node as the wallet sees it: it forwards JSON-RPC to the devnet
//! and rewrites answers. Some rewrites re-sign headers with the devnet's validator keys,
//! the way a malicious validator majority would, so that the wallet's later checks (clock,
//! app hash against proofs) are what refuses them.

pub mod localnet;
pub mod memory;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use citywallet_core::keys::KeyPath;
use citywallet_core::keys::RecoveryPhrase;
use citywallet_core::vault::{KdfParams, Passphrase, Vault};
use citywallet_light_client::act::{NewReport, Receipt, Signer};
use citywallet_light_client::client::LightClient;
use citywallet_light_client::clock::SystemClock;
use citywallet_light_client::rpc::{ChainNode, HttpNode};
use citywallet_light_client::session::{Session, Settings};
use citywallet_node::devnet::{DemoKeys, Devnet, DevnetConfig};
use citywallet_protocol::{Action, TxBody};
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{Value, json};
use tendermint::block::signed_header::SignedHeader;
use tendermint::{account, block, validator};

/// Milliseconds between devnet blocks in tests.
pub const BLOCK_MS: u64 = 100;

/// The chain a [`Net`] runs: the devnet by default, real CometBFT validators with
/// `CITYWALLET_CHAIN_BACKEND=localnet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The node's in-process block producer.
    Devnet,
    /// A CometBFT localnet: four validators, each beside its own application process.
    Localnet,
}

impl Backend {
    /// The backend `CITYWALLET_CHAIN_BACKEND` names (`devnet`, the default, or `localnet`).
    pub fn from_env() -> Self {
        match std::env::var("CITYWALLET_CHAIN_BACKEND").as_deref() {
            Ok("localnet") => Self::Localnet,
            Ok("devnet") | Ok("") | Err(_) => Self::Devnet,
            Ok(other) => panic!("CITYWALLET_CHAIN_BACKEND={other}: use devnet or localnet"),
        }
    }
}

/// A running chain with a primary RPC and a witness RPC (the same chain, or a fork).
pub struct Net {
    /// The runtime serving RPC and proxies.
    pub rt: tokio::runtime::Runtime,
    /// Its demo keys (admin, validators, issuer).
    pub keys: Arc<DemoKeys>,
    /// Primary RPC URL.
    pub primary: String,
    /// Witness RPC URL.
    pub witness: String,
    chain: Chain,
}

enum Chain {
    Devnet {
        devnet: Devnet,
        stop: Arc<AtomicBool>,
        producer: Option<std::thread::JoinHandle<()>>,
        dir: tempfile::TempDir,
    },
    /// One localnet per test process, shared by its tests (each has its own vaults).
    Localnet(&'static localnet::Shared),
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net")
            .field("primary", &self.primary)
            .field("witness", &self.witness)
            .finish_non_exhaustive()
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        if let Chain::Devnet { stop, producer, .. } = &mut self.chain {
            stop.store(true, Ordering::SeqCst);
            if let Some(p) = producer.take() {
                let _ = p.join();
            }
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    runtime_with(1)
}

fn runtime_with(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

impl Net {
    /// A chain with `validators` validators on the configured [`Backend`]; the witness
    /// serves the same chain. The localnet has four.
    pub fn start(validators: usize) -> Self {
        match Backend::from_env() {
            Backend::Devnet => Self::start_devnet(validators),
            Backend::Localnet => {
                assert_eq!(validators, 4, "the test localnet has four validators");
                Self::start_localnet()
            }
        }
    }

    /// The test process's localnet (started by the first test that asks).
    pub fn start_localnet() -> Self {
        let shared = localnet::shared();
        let nodes = shared.nodes();
        Self {
            rt: runtime(),
            keys: Arc::new(localnet::demo_keys()),
            primary: nodes[0].url(),
            witness: nodes[1].url(),
            chain: Chain::Localnet(shared),
        }
    }

    /// A devnet whatever the configured backend (tests of what only it can stage).
    pub fn start_devnet(validators: usize) -> Self {
        Self::start_with(
            validators,
            false,
            Duration::ZERO,
            Duration::from_millis(BLOCK_MS),
            1,
        )
    }

    /// A devnet making a block every `block_time`, its RPC on as many threads as the
    /// machine has cores, as `citywallet-node devnet` serves it (the load bench, at
    /// CometBFT's pace).
    pub fn start_devnet_with_block_time(validators: usize, block_time: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::start_with(validators, false, Duration::ZERO, block_time, cores)
    }

    /// A devnet whose witness serves a conflicting fork signed by the same validators (a
    /// real network cannot stage one: devnet only).
    pub fn start_forked() -> Self {
        Self::start_with(4, true, Duration::ZERO, Duration::from_millis(BLOCK_MS), 1)
    }

    /// A devnet whose first two blocks were made `age` ago (later ones now): a node frozen
    /// at block 2 serves an old chain (devnet only).
    pub fn start_aged(validators: usize, age: Duration) -> Self {
        Self::start_with(validators, false, age, Duration::from_millis(BLOCK_MS), 1)
    }

    fn start_with(
        validators: usize,
        forked: bool,
        age: Duration,
        block_time: Duration,
        workers: usize,
    ) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let config = DevnetConfig {
            chain_id: "citywallet-test".into(),
            validators,
            seed: Some(7),
            data: dir.path().to_path_buf(),
            retention: citywallet_node::store::Retention::default(),
        };
        let (devnet, keys) = Devnet::create(&config).expect("devnet");
        let early = (tendermint::Time::now() - age).expect("time");
        devnet.produce_block_at(early).expect("block 1");
        devnet.produce_block_at(early).expect("block 2");
        let fork = forked.then(|| {
            let (f, k) = Devnet::create_fork(&config).expect("fork");
            f.produce_fork_block(&k).expect("fork 1");
            f.produce_fork_block(&k).expect("fork 2");
            (f, k)
        });
        let rt = runtime_with(workers);
        let (primary, witness) = rt.block_on(async {
            let (p, _) = citywallet_node::rpc::serve(devnet.clone(), loopback())
                .await
                .expect("serve");
            let served = fork
                .as_ref()
                .map_or_else(|| devnet.clone(), |(f, _)| f.clone());
            let (w, _) = citywallet_node::rpc::serve(served, loopback())
                .await
                .expect("serve witness");
            (p, w)
        });
        let stop = Arc::new(AtomicBool::new(false));
        let producer = {
            let (devnet, stop) = (devnet.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(block_time);
                    // The fork first: a wallet that has just seen the primary's newest
                    // height finds it at the forked witness too.
                    if let Some((f, k)) = &fork {
                        f.produce_fork_block(k).expect("fork block");
                    }
                    devnet.produce_block().expect("block");
                }
            })
        };
        if !age.is_zero() {
            // The aged blocks are 1 and 2: wait for the first block made now.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while devnet.latest().map_or(0, |(h, _)| h) < 3 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the devnet makes blocks"
                );
                std::thread::yield_now();
            }
        }
        Self {
            rt,
            keys: Arc::new(keys),
            primary: format!("http://{primary}"),
            witness: format!("http://{witness}"),
            chain: Chain::Devnet {
                devnet,
                stop,
                producer: Some(producer),
                dir,
            },
        }
    }

    /// The backend this net runs on.
    pub fn backend(&self) -> Backend {
        match self.chain {
            Chain::Devnet { .. } => Backend::Devnet,
            Chain::Localnet(_) => Backend::Localnet,
        }
    }

    /// The devnet behind this net. Panics on the localnet: for tests that drive the
    /// devnet's block producer themselves.
    pub fn devnet(&self) -> &Devnet {
        match &self.chain {
            Chain::Devnet { devnet, .. } => devnet,
            Chain::Localnet(_) => panic!("this test drives the devnet's blocks: devnet only"),
        }
    }

    /// The chain's data directory, with the demo key files (`devnet-issuer-key.json`,
    /// ...), on either backend.
    pub fn data_dir(&self) -> &Path {
        match &self.chain {
            Chain::Devnet { dir, .. } => dir.path(),
            Chain::Localnet(shared) => shared.dir(),
        }
    }

    /// The primary's latest height (its `/status`).
    pub fn height(&self) -> u64 {
        self.primary
            .trim_start_matches("http://")
            .parse()
            .ok()
            .and_then(citywallet_node::localnet::status)
            .map_or(0, |s| s.height)
    }

    /// Wait until the primary reports at least `height`, within `within`.
    pub fn wait_height(&self, height: u64, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        while self.height() < height {
            assert!(
                std::time::Instant::now() < deadline,
                "the chain did not reach height {height} within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A tampering proxy in front of the primary.
    pub fn proxy(&self, tamper: Tamper) -> Proxy {
        self.proxy_to(&self.primary, tamper)
    }

    /// A tampering proxy in front of `upstream`.
    pub fn proxy_to(&self, upstream: &str, tamper: Tamper) -> Proxy {
        let state = ProxyState {
            upstream: upstream.to_owned(),
            client: reqwest::Client::new(),
            tamper,
            requests: Arc::new(AtomicUsize::new(0)),
            broadcasts: Arc::new(AtomicUsize::new(0)),
            stalls_left: AtomicUsize::new(0),
            stalled: Arc::new(AtomicUsize::new(0)),
        };
        let (requests, broadcasts, stalled) = (
            state.requests.clone(),
            state.broadcasts.clone(),
            state.stalled.clone(),
        );
        let addr = self.rt.block_on(async {
            let listener = tokio::net::TcpListener::bind(loopback())
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            let app = axum::Router::new()
                .route("/", post(forward))
                .with_state(Arc::new(state));
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            addr
        });
        Proxy {
            url: format!("http://{addr}"),
            requests,
            broadcasts,
            stalled,
        }
    }

    /// The validator keys by address, for re-signing.
    pub fn validator_keys(&self) -> BTreeMap<account::Id, SigningKey> {
        self.keys
            .validators
            .iter()
            .map(|k| {
                let pk = tendermint::PublicKey::from_raw_ed25519(k.verifying_key().as_bytes())
                    .expect("key");
                (account::Id::from(pk), k.clone())
            })
            .collect()
    }

    /// The validator set (every demo validator, power 10).
    pub fn validator_set(&self) -> validator::Set {
        validator::Set::without_proposer(
            self.keys
                .validators
                .iter()
                .map(|k| {
                    let pk = tendermint::PublicKey::from_raw_ed25519(k.verifying_key().as_bytes())
                        .expect("key");
                    validator::Info::new(pk, 10u32.into())
                })
                .collect(),
        )
    }

    /// A function that re-signs a tampered header as the validators would.
    pub fn resigner(&self) -> Resigner {
        Resigner {
            keys: self.validator_keys(),
            set: self.validator_set(),
        }
    }
}

/// Re-signs headers with the devnet's validator keys.
#[derive(Clone)]
#[allow(missing_debug_implementations)] // holds validator secrets
pub struct Resigner {
    keys: BTreeMap<account::Id, SigningKey>,
    set: validator::Set,
}

impl Resigner {
    /// Change a light block's header with `change` and sign it again.
    pub fn resign_block(
        &self,
        block: &mut tendermint_light_client_verifier::types::LightBlock,
        change: impl FnOnce(&mut tendermint::block::Header),
    ) {
        let mut result = json!({ "signed_header": block.signed_header });
        self.resign(&mut result, change);
        block.signed_header =
            serde_json::from_value(result["signed_header"].take()).expect("signed header");
    }

    /// Change the header in a `/commit` result with `change` and sign it again.
    pub fn resign(&self, result: &mut Value, change: impl FnOnce(&mut tendermint::block::Header)) {
        let Ok(signed) = serde_json::from_value::<SignedHeader>(result["signed_header"].clone())
        else {
            return;
        };
        let mut header = signed.header.clone();
        change(&mut header);
        let block_id = block::Id {
            hash: header.hash(),
            part_set_header: signed.commit.block_id.part_set_header,
        };
        let commit = citywallet_node::chain::sign_commit(
            &self.keys,
            &header.chain_id,
            &self.set,
            header.height,
            block_id,
            header.time,
        )
        .expect("sign");
        let signed = SignedHeader::new(header, commit).expect("signed header");
        result["signed_header"] = serde_json::to_value(signed).expect("json");
    }
}

/// Rewrites a method's `result`: (method, params, result).
pub type Rewriter = dyn Fn(&str, &Value, &mut Value) + Send + Sync;

/// How a proxy lies.
#[derive(Clone)]
#[allow(missing_debug_implementations)] // holds a closure
pub enum Tamper {
    /// It does not.
    Honest,
    /// Rewrites the `result` of a method: (method, params, result).
    Rewrite(Arc<Rewriter>),
    /// Answers every request with a body of this many bytes.
    Huge(usize),
    /// Never answers.
    Silent,
    /// Answers truly, but one byte every `every` (each read gets a byte in time, the whole
    /// answer takes for ever).
    Trickle {
        /// The pause between bytes.
        every: Duration,
    },
    /// Serves the chain as it was at `height`: a request for the newest commit gets that
    /// height's, and `status` says it is the newest (a frozen or cut-off node).
    FreezeAt(u64),
    /// Passes everything on, but holds each of the `requests` requests that follow a
    /// broadcast for `hold` before answering (a node busy right after taking a transaction).
    StallAfterBroadcast {
        /// How many requests after each broadcast are held.
        requests: usize,
        /// For how long.
        hold: Duration,
    },
}

impl Tamper {
    /// A rewrite from a closure.
    pub fn rewrite(f: impl Fn(&str, &Value, &mut Value) + Send + Sync + 'static) -> Self {
        Self::Rewrite(Arc::new(f))
    }
}

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    /// Its URL.
    pub url: String,
    /// How many requests reached it.
    pub requests: Arc<AtomicUsize>,
    /// How many `broadcast_tx*` requests reached it.
    pub broadcasts: Arc<AtomicUsize>,
    /// How many requests it held ([`Tamper::StallAfterBroadcast`]).
    pub stalled: Arc<AtomicUsize>,
}

struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    tamper: Tamper,
    requests: Arc<AtomicUsize>,
    broadcasts: Arc<AtomicUsize>,
    stalls_left: AtomicUsize,
    stalled: Arc<AtomicUsize>,
}

async fn forward(State(s): State<Arc<ProxyState>>, body: Bytes) -> Response {
    let mut req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let body = match &s.tamper {
        Tamper::FreezeAt(h) if req["method"] == "commit" && req["params"]["height"].is_null() => {
            req["params"]["height"] = json!(h.to_string());
            Bytes::from(req.to_string())
        }
        _ => body,
    };
    s.requests.fetch_add(1, Ordering::SeqCst);
    let method = req["method"].as_str().unwrap_or_default().to_owned();
    let broadcast = method.starts_with("broadcast_tx");
    if broadcast {
        s.broadcasts.fetch_add(1, Ordering::SeqCst);
    }
    match &s.tamper {
        Tamper::StallAfterBroadcast { requests, hold } => {
            if broadcast {
                s.stalls_left.store(*requests, Ordering::SeqCst);
            } else if s
                .stalls_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                s.stalled.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(*hold).await;
            }
        }
        Tamper::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return "".into_response();
        }
        Tamper::Huge(n) => {
            let filler = "x".repeat(*n);
            return json!({ "jsonrpc": "2.0", "id": 1, "result": { "filler": filler } })
                .to_string()
                .into_response();
        }
        _ => {}
    }
    let upstream = s
        .client
        .post(&s.upstream)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await;
    let Ok(resp) = upstream else {
        return axum::http::StatusCode::BAD_GATEWAY.into_response();
    };
    let mut v: Value = resp.json().await.unwrap_or(Value::Null);
    if let (Tamper::Rewrite(f), Some(result)) = (&s.tamper, v.get_mut("result")) {
        f(&method, &req["params"], result);
    }
    if let (Tamper::FreezeAt(h), true) = (&s.tamper, method == "status") {
        v["result"]["sync_info"]["latest_block_height"] = json!(h.to_string());
    }
    if let Tamper::Trickle { every } = &s.tamper {
        return trickle(v.to_string().into_bytes(), *every);
    }
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// An admin transaction of `devnet`, signed by its demo admin key with `nonce`.
pub fn admin_tx(devnet: &Devnet, keys: &DemoKeys, nonce: u64, action: Action) -> Vec<u8> {
    let admin = &keys.admin;
    TxBody {
        chain_id: devnet.genesis().chain_id.clone(),
        signer: admin.verifying_key().to_bytes(),
        nonce,
        expires_at: 0,
        action,
    }
    .sign_with(|m| admin.sign(m).to_bytes())
    .encode()
}

/// `bytes` as a response body sent one byte at a time, `every` apart.
fn trickle(bytes: Vec<u8>, every: Duration) -> Response {
    let stream = futures_util::stream::unfold(0usize, move |i| {
        let next = bytes.get(i).copied();
        async move {
            tokio::time::sleep(every).await;
            next.map(|b| (Ok::<_, std::io::Error>(Bytes::from(vec![b])), i + 1))
        }
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// A new wallet vault in `dir` (a fast key-derivation setting: tests are not about it).
pub fn wallet(dir: &Path) -> Vault {
    Vault::create(
        &dir.join("wallet.db"),
        &Passphrase::new("a test passphrase".into()),
        KdfParams {
            m_cost_kib: 256,
            t_cost: 1,
            p_cost: 1,
        },
        &RecoveryPhrase::generate().expect("phrase"),
        "",
    )
    .expect("vault")
}

/// A light client of `primary` with `witnesses`.
pub fn client(primary: &str, witnesses: &[&str], settings: &Settings) -> LightClient {
    let node = |url: &str| -> Box<dyn ChainNode> {
        Box::new(HttpNode::new(url, settings.request_timeout).expect("node"))
    };
    LightClient::new(
        node(primary),
        witnesses.iter().map(|w| node(w)).collect(),
        settings.rules(),
    )
}

/// Settings for tests: the effect wait is short; the request timeout is the app's, since
/// a busy 2-core machine can hold a devnet answer up for more than a second or two (the
/// silent-node and stall tests set shorter ones of their own).
pub fn settings() -> Settings {
    Settings {
        request_timeout: Duration::from_secs(10),
        effect_wait: Duration::from_secs(20),
        ..Settings::default()
    }
}

/// A session of `vault` against `primary` with `witnesses`.
pub fn session<'v>(vault: &'v mut Vault, primary: &str, witnesses: &[&str]) -> Session<'v> {
    session_with(vault, primary, witnesses, settings())
}

/// A session with other settings (a short request timeout, for nodes that stall).
pub fn session_with<'v>(
    vault: &'v mut Vault,
    primary: &str,
    witnesses: &[&str],
    settings: Settings,
) -> Session<'v> {
    Session::new(
        vault,
        client(primary, witnesses, &settings),
        settings,
        Arc::new(SystemClock),
    )
}

/// File a streetlight report through `s`, signed by its vault's report key.
pub fn file_report(s: &mut Session<'_>) -> citywallet_light_client::Result<Receipt> {
    let key = s.vault().key_pair(KeyPath::report(0)?)?;
    s.submit_report(
        &Signer::from_key(key),
        &NewReport {
            residency: None,
            category: "streetlight",
            location: "cell-77",
            description: "light out",
            evidence_sha256: None,
        },
    )
}
