//! Faults on a real CometBFT localnet (four validators, each beside its own application
//! process): a validator killed and restarted, one paused, two of four stopped, a node
//! restarted in the middle of an action. The wallet is the product's (`citywallet-wallet`
//! over HTTP), configured with every validator: a primary and three witnesses. And one
//! node whose application lets CometBFT prune its blocks (`--retain-blocks`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use citywallet_chain_tests::localnet;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_light_client::budget::Budget;
use citywallet_light_client::rpc::{ChainNode, Connect, HttpConnect, RawRead, Submitted};
use citywallet_light_client::sync::Provider;
use citywallet_light_client::{Error as ChainError, FetchError};
use citywallet_node::localnet::{Localnet, app_hash_at, rpc_get, status};
use citywallet_wallet::dto::{ReceiptOut, ReportIn};
use citywallet_wallet::{Network, Notice, SystemClock, Wallet};
use tendermint::evidence::Evidence;
use tendermint::validator;
use tendermint_light_client_verifier::types::LightBlock;

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const PASS: &str = "a test passphrase";

/// A wallet whose primary is node `primary` and whose witnesses are the other nodes.
fn wallet_on(
    dir: &std::path::Path,
    net: &Localnet,
    primary: usize,
    connect: Arc<dyn Connect>,
) -> Wallet {
    let urls: Vec<String> = net.nodes().iter().map(|n| n.url()).collect();
    let mut w = Wallet::new(
        &dir.join("wallet.db"),
        FAST,
        Network {
            primary: urls[primary].clone(),
            witnesses: urls
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != primary)
                .map(|(_, u)| u.clone())
                .collect(),
        },
        connect,
        Arc::new(SystemClock),
    );
    w.create(&Passphrase::from(PASS), "").expect("create");
    w.set_setting("effect_wait_secs", 30).expect("setting");
    // Short enough that a paused node is given up quickly, long enough for a busy machine.
    w.set_setting("request_timeout_ms", 3000).expect("setting");
    w
}

fn report(w: &mut Wallet) -> Result<ReceiptOut, citywallet_wallet::Error> {
    w.submit_report(&ReportIn {
        category: "streetlight".into(),
        location: "cell-77".into(),
        description: "light out".into(),
        evidence_sha256: None,
        residency: None,
    })
}

fn failovers(w: &mut Wallet) -> Vec<(String, String, &'static str)> {
    w.take_notices()
        .into_iter()
        .filter_map(|n| match n {
            Notice::PrimaryFailover { from, to, reason } => Some((from, to, reason)),
            _ => None,
        })
        .collect()
}

/// Poll `cond` until it holds, within `within`.
fn eventually(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn height(net: &Localnet, i: usize) -> u64 {
    status(net.nodes()[i].rpc).map_or(0, |s| s.height)
}

/// Every node serves the same app hash in its header at one height.
fn same_app_hash_everywhere(net: &Localnet) {
    let target = (0..net.nodes().len())
        .map(|i| height(net, i))
        .max()
        .unwrap_or(0)
        + 1;
    eventually(
        "every node reaches the target height",
        Duration::from_secs(90),
        || (0..net.nodes().len()).all(|i| height(net, i) >= target),
    );
    let hashes: Vec<Option<String>> = net
        .nodes()
        .iter()
        .map(|n| app_hash_at(n.rpc, target))
        .collect();
    assert!(hashes[0].is_some(), "node0 serves /commit at {target}");
    assert!(
        hashes.iter().all(|h| h == &hashes[0]),
        "app hashes at {target}: {hashes:?}"
    );
}

/// Node 0, the wallet's primary, is killed (SIGKILL, its app too): the other three keep
/// making blocks, the wallet moves to another configured node, says so, and files its
/// report. Node 0 restarts and catches up to the same app hash as the others.
#[test]
fn a_killed_primary_is_failed_over_and_catches_up_after_restart() {
    let (mut net, _dir) = localnet::start(4, 0);
    let dir = tempfile::tempdir().expect("dir");
    let mut w = wallet_on(dir.path(), &net, 0, Arc::new(HttpConnect));
    report(&mut w).expect("a report while all are up");
    assert!(failovers(&mut w).is_empty());

    net.kill(0).expect("kill node0");
    let before = height(&net, 1);
    eventually(
        "blocks continue without node0",
        Duration::from_secs(30),
        || height(&net, 1) >= before + 3,
    );
    let receipt = report(&mut w).expect("completes through another node");
    let moved = failovers(&mut w);
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].0, net.nodes()[0].url());
    assert_ne!(moved[0].1, net.nodes()[0].url());
    assert_eq!(moved[0].2, "node_unreachable");
    w.receipt(&receipt.subject).expect("the receipt verifies");

    net.start(0).expect("restart node0");
    same_app_hash_everywhere(&net);
    // The restarted node serves the report filed while it was down.
    let stored = rpc_get(
        net.nodes()[0].rpc,
        &format!(
            "/abci_query?path=%22/key%22&data=0x{}",
            hex::encode(format!("report/{}", receipt.subject))
        ),
    )
    .expect("abci_query");
    assert!(
        stored["response"]["value"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{stored}"
    );
}

/// Node 0 paused (SIGSTOP) while it is the primary: each request to it times out, the
/// wallet gives up on it at its request deadline and files through another node.
#[test]
fn a_paused_primary_is_given_up_at_its_deadline() {
    let (net, _dir) = localnet::start(4, 0);
    let dir = tempfile::tempdir().expect("dir");
    let mut w = wallet_on(dir.path(), &net, 0, Arc::new(HttpConnect));
    report(&mut w).expect("a report while all are up");

    net.pause(0).expect("pause node0");
    let receipt = report(&mut w).expect("completes through another node");
    let moved = failovers(&mut w);
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].0, net.nodes()[0].url());
    assert_eq!(moved[0].2, "node_timeout");
    w.receipt(&receipt.subject).expect("the receipt verifies");
    net.resume(0).expect("resume node0");
    same_app_hash_everywhere(&net);
}

/// Two of four validators stopped: a third of the power or more is gone, no block can be
/// committed. The wallet says the chain is not advancing and sends nothing (no node holds
/// a transaction from it); when the two return, the same wallet files its report.
#[test]
fn two_of_four_stopped_halts_the_chain_and_the_wallet_waits_it_out() {
    let (mut net, _dir) = localnet::start(4, 0);
    let dir = tempfile::tempdir().expect("dir");
    let mut w = wallet_on(dir.path(), &net, 0, Arc::new(HttpConnect));
    w.set_setting("max_block_gap_secs", 5).expect("setting");
    report(&mut w).expect("a report while all are up");

    net.kill(2).expect("kill node2");
    net.kill(3).expect("kill node3");
    let rpc = net.nodes()[0].rpc;
    let newest_block_age = || {
        let v = rpc_get(rpc, "/status")?;
        let t: tendermint::Time = v["sync_info"]["latest_block_time"].as_str()?.parse().ok()?;
        tendermint::Time::now().duration_since(t).ok()
    };
    eventually(
        "the chain stops (no block for 6 s)",
        Duration::from_secs(60),
        || newest_block_age().is_some_and(|a| a > Duration::from_secs(6)),
    );
    let stuck = height(&net, 0);
    let e = report(&mut w).expect_err("no block can confirm it");
    assert_eq!(e.code(), "chain_not_advancing", "{e:?}");
    for n in &net.nodes()[..2] {
        let pending = rpc_get(n.rpc, "/num_unconfirmed_txs").expect("mempool");
        assert_eq!(pending["n_txs"], "0", "{}: nothing was sent", n.name);
    }
    assert_eq!(height(&net, 0), stuck, "still no block");

    net.start(2).expect("restart node2");
    net.start(3).expect("restart node3");
    eventually("blocks resume", Duration::from_secs(60), || {
        height(&net, 0) > stuck + 1
    });
    let receipt = report(&mut w).expect("the same wallet files once blocks resume");
    w.receipt(&receipt.subject).expect("the receipt verifies");
}

/// What runs once, right after the first transaction a hooked node relays.
type AfterBroadcast = Box<dyn FnOnce() + Send>;

/// The hook of a node: taken by the first broadcast.
#[derive(Clone)]
struct Hook(Arc<Mutex<Option<AfterBroadcast>>>);

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hook")
    }
}

/// HTTP nodes, the one at `url` with a hook after its first broadcast.
#[derive(Debug)]
struct HookedConnect {
    url: String,
    hook: Hook,
}

struct HookedNode {
    inner: Box<dyn ChainNode>,
    hook: Hook,
}

impl Provider for HookedNode {
    fn light_block(&self, height: Option<u64>) -> Result<LightBlock, FetchError> {
        self.inner.light_block(height)
    }
    fn url(&self) -> &str {
        self.inner.url()
    }
}

impl ChainNode for HookedNode {
    fn genesis(&self) -> Result<(String, Vec<validator::Info>), FetchError> {
        self.inner.genesis()
    }
    fn query(&self, key: &[u8], height: u64) -> Result<RawRead, FetchError> {
        self.inner.query(key, height)
    }
    fn broadcast_tx(&self, tx: &[u8]) -> Result<Submitted, FetchError> {
        let r = self.inner.broadcast_tx(tx);
        let hook = self
            .hook
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(h) = hook {
            h();
        }
        r
    }
    fn submit_evidence(&self, evidence: &Evidence) -> Result<String, FetchError> {
        self.inner.submit_evidence(evidence)
    }
    fn latest_height(&self) -> Result<u64, FetchError> {
        self.inner.latest_height()
    }
}

impl Connect for HookedConnect {
    fn connect(
        &self,
        url: &str,
        timeout: Duration,
        budget: &Arc<Budget>,
    ) -> Result<Box<dyn ChainNode>, ChainError> {
        let inner = HttpConnect.connect(url, timeout, budget)?;
        Ok(if url == self.url {
            Box::new(HookedNode {
                inner,
                hook: self.hook.clone(),
            })
        } else {
            inner
        })
    }
}

/// The primary takes the report's transaction and is then killed and restarted (CometBFT
/// and its app) before the wallet sees the effect: the wallet still finds the effect,
/// proven, keeps the receipt, and the restarted node has the report too.
#[test]
fn a_node_restarted_mid_action_does_not_lose_the_action() {
    let (net, _dir) = localnet::start(4, 0);
    let net = Arc::new(Mutex::new(net));
    let (url, rpc) = {
        let n = net.lock().expect("net");
        (n.nodes()[0].url(), n.nodes()[0].rpc)
    };
    let restarted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hook = {
        let (net, restarted) = (net.clone(), restarted.clone());
        Hook(Arc::new(Mutex::new(Some(Box::new(move || {
            let mut n = net.lock().expect("net");
            n.kill(0).expect("kill node0");
            n.start(0).expect("restart node0");
            restarted.store(true, std::sync::atomic::Ordering::SeqCst);
        })))))
    };
    let dir = tempfile::tempdir().expect("dir");
    let mut w = {
        let n = net.lock().expect("net");
        wallet_on(
            dir.path(),
            &n,
            0,
            Arc::new(HookedConnect {
                url: url.clone(),
                hook,
            }),
        )
    };
    w.sync(&mut |_| {}).expect("anchor and sync");
    let receipt = report(&mut w).expect("the effect is found despite the restart");
    assert!(restarted.load(std::sync::atomic::Ordering::SeqCst));
    w.lock();
    w.unlock(&Passphrase::from(PASS)).expect("unlock");
    w.receipt(&receipt.subject).expect("the receipt is kept");

    let key = hex::encode(format!("report/{}", receipt.subject));
    eventually(
        "the restarted node serves the report",
        Duration::from_secs(90),
        || {
            rpc_get(rpc, &format!("/abci_query?path=%22/key%22&data=0x{key}"))
                .and_then(|v| v["response"]["value"].as_str().map(|s| !s.is_empty()))
                .unwrap_or(false)
        },
    );
    same_app_hash_everywhere(&net.lock().expect("net"));
}

/// With `citywallet-node abci --retain-blocks 6` each Commit answers a retain height, and
/// CometBFT itself prunes: its earliest block rises past 1, block 1 is gone, and the
/// newest blocks, commits and state proofs are still served.
#[test]
fn cometbft_prunes_its_blocks_to_the_window_the_application_answers() {
    let tmp = tempfile::tempdir().expect("dir");
    let mut config = localnet::config(tmp.path(), "citywallet-localnet-retain", 1, 0);
    config.retain_blocks = 6;
    let net = localnet::launch(config);
    let rpc = net.nodes()[0].rpc;
    let earliest = || {
        rpc_get(rpc, "/status")
            .and_then(|v| {
                v["sync_info"]["earliest_block_height"]
                    .as_str()?
                    .parse()
                    .ok()
            })
            .unwrap_or(0u64)
    };
    eventually(
        "CometBFT prunes below its window",
        Duration::from_secs(60),
        || earliest() > 3,
    );
    assert!(
        rpc_get(rpc, "/block?height=1").is_none(),
        "block 1 is pruned"
    );
    let (low, high) = (earliest(), height(&net, 0));
    assert!(high + 1 - low <= 6 + 2, "kept {low}..={high}");
    assert!(rpc_get(rpc, &format!("/block?height={high}")).is_some());
    assert!(app_hash_at(rpc, high).is_some(), "the newest commit");
    let key = hex::encode(citywallet_protocol::keys::issuer("city-credit-bureau"));
    let proof = rpc_get(
        rpc,
        &format!("/abci_query?path=%22/key%22&data=0x{key}&prove=true"),
    )
    .expect("a proven query");
    assert_eq!(proof["response"]["code"], 0, "{proof}");
}
