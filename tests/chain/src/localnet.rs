//! The localnet backend: real CometBFT 0.38 validators (the binary `scripts/setup.sh`
//! builds), each beside its own `citywallet-node abci` process, on free loopback ports.
//!
//! [`shared`] is one localnet per test process, started by the first test that asks and
//! killed when the process ends (the node's reaper, however the process ends); its tests
//! share the chain and nothing else. [`start`] makes a localnet a test owns, for the fault
//! tests that kill, pause and restart its nodes.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use citywallet_node::devnet::{DemoKeys, demo_genesis};
use citywallet_node::localnet::{Localnet, LocalnetConfig, NodeInfo, cometbft_binary};

/// The test localnet's chain id.
pub const CHAIN_ID: &str = "citywallet-localnet-test";
/// Its demo-key seed (the devnet tests' too).
pub const SEED: u64 = 7;
/// CometBFT's pause after each block in tests.
pub const BLOCK_TIME: Duration = Duration::from_millis(200);
/// How long a localnet may take to make its first blocks.
pub const START_WITHIN: Duration = Duration::from_secs(90);

/// A localnet shared by the tests of one process.
#[derive(Debug)]
pub struct Shared {
    net: Mutex<Localnet>,
    nodes: Vec<NodeInfo>,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Shared {
    /// Its nodes (node0 and node1 are the tests' primary and witness).
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// Its directory (the demo key files are there, as in a devnet's).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The localnet itself.
    pub fn lock(&self) -> MutexGuard<'_, Localnet> {
        self.net
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The demo keys of the test localnet (the validators' are its CometBFT validator keys).
pub fn demo_keys() -> DemoKeys {
    demo_genesis(CHAIN_ID, SEED, 4).expect("demo genesis").1
}

/// The `citywallet-node` binary: `$CITYWALLET_NODE_BIN`, else beside the test binary's
/// directory (`target/debug/citywallet-node`, which `cargo test --workspace` builds).
pub fn node_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CITYWALLET_NODE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test binary");
    let debug = exe.parent().and_then(Path::parent).expect("target/debug");
    debug.join("citywallet-node")
}

/// A localnet of `validators` validators and `rpc_nodes` RPC nodes in `dir` on chain
/// `chain_id`, started, with four blocks made (past the first blocks, which wait on the
/// peers' first dials).
pub fn start_in(dir: &Path, chain_id: &str, validators: usize, rpc_nodes: usize) -> Localnet {
    launch(config(dir, chain_id, validators, rpc_nodes))
}

/// The configuration [`start_in`] starts, for a test that changes it first.
pub fn config(dir: &Path, chain_id: &str, validators: usize, rpc_nodes: usize) -> LocalnetConfig {
    let app = node_binary();
    assert!(
        app.exists(),
        "{} is missing: build it with `cargo build -p citywallet-node`",
        app.display()
    );
    LocalnetConfig {
        dir: dir.to_path_buf(),
        chain_id: chain_id.into(),
        validators,
        rpc_nodes,
        seed: SEED,
        cometbft: cometbft_binary(),
        app,
        block_time: BLOCK_TIME,
        base_port: None,
        retention: citywallet_node::store::Retention::default(),
        retain_blocks: 0,
    }
}

/// Start the localnet of `config`, with four blocks made.
pub fn launch(config: LocalnetConfig) -> Localnet {
    let cometbft = config.cometbft.clone();
    let mut net = Localnet::create(config).unwrap_or_else(|e| {
        panic!(
            "{e} (is CometBFT built? `bash scripts/setup.sh` builds it; tried {})",
            cometbft.display()
        )
    });
    net.start_all().expect("start the localnet");
    net.wait_height(4, START_WITHIN)
        .expect("the localnet makes blocks");
    net
}

/// A localnet this test owns (killed when dropped), in its own temporary directory, on a
/// chain id of its own (`CHAIN_ID-N`): CometBFT refuses peers of another network, so two
/// localnets of one process, with the same keys, never join.
pub fn start(validators: usize, rpc_nodes: usize) -> (Localnet, tempfile::TempDir) {
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    start_on(&format!("{CHAIN_ID}-{n}"), validators, rpc_nodes)
}

fn start_on(chain_id: &str, validators: usize, rpc_nodes: usize) -> (Localnet, tempfile::TempDir) {
    let tmp = tempfile::tempdir().expect("dir");
    let net = start_in(tmp.path(), chain_id, validators, rpc_nodes);
    (net, tmp)
}

/// The process's shared four-validator localnet.
pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (net, tmp) = start_on(CHAIN_ID, 4, 0);
        Shared {
            nodes: net.nodes().to_vec(),
            dir: tmp.path().to_path_buf(),
            net: Mutex::new(net),
            _tmp: tmp,
        }
    })
}
