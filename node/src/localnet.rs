//! A local network of real CometBFT 0.38: N validators, each with its own
//! `citywallet-node abci` process, and optional non-validator RPC nodes, on loopback.
//!
//! Every node gets a home made by `cometbft init` and then given the demo keys of
//! [`crate::devnet::demo_genesis`] (the same admin, issuers, organisations, officer and
//! technician as the devnet; the validators' keys are CometBFT's `priv_validator_key.json`),
//! one genesis document with the demo genesis as `app_state`, loopback ports, a short block
//! time and persistent peers. Logs go to `cometbft.log` and `app.log` in each home.
//!
//! The processes are started in their own process group, so a localnet can outlive the
//! command that started it ([`Localnet::detach`], `cargo xtask localnet`) and be stopped
//! later from its directory ([`stop_dir`]). An attached [`Localnet`] kills its processes
//! when dropped.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use rustix::process::{Pid, Signal, kill_process, test_kill_process};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::app::Genesis;
use crate::devnet::{DemoKeys, demo_genesis};
use crate::store::Retention;
use crate::{NodeError, Result};

/// The first RPC port of `cargo xtask localnet`; node `i` uses `base + 10 i` for RPC, `+1`
/// for P2P and `+2` for its app's ABCI socket.
pub const DEFAULT_BASE_PORT: u16 = 27000;
/// The file in a localnet's directory that lists its nodes and processes.
pub const STATE_FILE: &str = "localnet.json";
/// The CometBFT release the localnet is built and tested with.
pub const COMETBFT_VERSION: &str = "v0.38.25";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How to make a localnet.
#[derive(Debug, Clone)]
pub struct LocalnetConfig {
    /// Its directory (new, or empty).
    pub dir: PathBuf,
    /// Chain id.
    pub chain_id: String,
    /// Validators.
    pub validators: usize,
    /// Non-validator RPC nodes (reads scale there).
    pub rpc_nodes: usize,
    /// Seed of the demo keys.
    pub seed: u64,
    /// The `cometbft` binary.
    pub cometbft: PathBuf,
    /// The `citywallet-node` binary.
    pub app: PathBuf,
    /// CometBFT's `timeout_commit`: the pause after a block.
    pub block_time: Duration,
    /// Ports from this base ([`DEFAULT_BASE_PORT`]), or free ones when `None`.
    pub base_port: Option<u16>,
    /// How many heights of state each node's application keeps.
    pub retention: Retention,
    /// Blocks each CometBFT keeps (the newest; 0: all).
    pub retain_blocks: u64,
}

/// One node of a localnet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeInfo {
    /// `node0`, `node1`, …
    pub name: String,
    /// Its CometBFT home (with `app/`, the application's state).
    pub home: PathBuf,
    /// Whether it validates.
    pub validator: bool,
    /// CometBFT RPC.
    pub rpc: SocketAddr,
    /// CometBFT P2P.
    pub p2p: SocketAddr,
    /// The application's ABCI socket.
    pub abci: SocketAddr,
    /// CometBFT node id.
    pub node_id: String,
    /// Process ids of CometBFT and the application, while running.
    #[serde(default)]
    pub pids: Option<(u32, u32)>,
}

impl NodeInfo {
    /// `http://` RPC URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.rpc)
    }
}

struct Procs {
    comet: Child,
    app: Child,
}

/// A `sh` child that kills every process id written to its stdin once that pipe closes:
/// when this process ends, however it ends (a test binary's statics are never dropped, and
/// a killed test run drops nothing), the localnet it started goes with it.
struct Reaper {
    child: Child,
    pids: std::process::ChildStdin,
}

const REAPER: &str = "pids=; while read -r p; do pids=\"$pids $p\"; done; [ -z \"$pids\" ] || kill -9 $pids 2>/dev/null; exit 0";

impl Reaper {
    fn spawn() -> Result<Self> {
        use std::os::unix::process::CommandExt as _;
        let mut child = Command::new("sh")
            .args(["-c", REAPER])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| err(format!("starting the reaper: {e}")))?;
        let pids = child
            .stdin
            .take()
            .ok_or_else(|| err("the reaper has no stdin"))?;
        Ok(Self { child, pids })
    }

    fn watch(&mut self, pids: [u32; 2]) -> Result<()> {
        writeln!(self.pids, "{}\n{}", pids[0], pids[1]).map_err(err)?;
        self.pids.flush().map_err(err)
    }
}

/// A localnet and the processes this handle started.
pub struct Localnet {
    config: LocalnetConfig,
    nodes: Vec<NodeInfo>,
    procs: Vec<Option<Procs>>,
    genesis: Genesis,
    keys: DemoKeys,
    /// Kills the processes when this process ends; `None` once detached.
    reaper: Option<Reaper>,
}

impl std::fmt::Debug for Localnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Localnet")
            .field("dir", &self.config.dir)
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

fn err(what: impl std::fmt::Display) -> NodeError {
    NodeError::Localnet(what.to_string())
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> NodeError + '_ {
    move |e| err(format!("{}: {e}", path.display()))
}

/// CometBFT's address of an Ed25519 key: the first 20 bytes of its SHA-256.
fn address(key: &SigningKey) -> [u8; 20] {
    let digest = Sha256::digest(key.verifying_key().as_bytes());
    let mut a = [0u8; 20];
    a.copy_from_slice(&digest[..20]);
    a
}

/// A key in CometBFT's JSON: `{"type": …, "value": base64}`.
#[derive(Serialize)]
struct KeyJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    value: &'a str,
}

/// `node_key.json`.
#[derive(Serialize)]
struct NodeKeyFile<'a> {
    priv_key: KeyJson<'a>,
}

/// `priv_validator_key.json`.
#[derive(Serialize)]
struct ValidatorKeyFile<'a> {
    address: String,
    pub_key: KeyJson<'a>,
    priv_key: KeyJson<'a>,
}

/// CometBFT's base64 of an Ed25519 private key (seed ‖ public key), wiped when dropped.
fn priv_key_b64(key: &SigningKey) -> zeroize::Zeroizing<String> {
    let mut raw = zeroize::Zeroizing::new([0u8; 64]);
    raw[..32].copy_from_slice(&key.to_bytes());
    raw[32..].copy_from_slice(key.verifying_key().as_bytes());
    zeroize::Zeroizing::new(B64.encode(raw.as_slice()))
}

fn priv_key_json(b64: &str) -> KeyJson<'_> {
    KeyJson {
        kind: "tendermint/PrivKeyEd25519",
        value: b64,
    }
}

fn pub_key_json(key: &SigningKey) -> Value {
    json!({ "type": "tendermint/PubKeyEd25519", "value": B64.encode(key.verifying_key().as_bytes()) })
}

fn node_key(seed: u64, i: usize) -> SigningKey {
    let bytes: [u8; 32] = Sha256::new()
        .chain_update(b"citywallet localnet node key\0")
        .chain_update(seed.to_be_bytes())
        .chain_update((i as u64).to_be_bytes())
        .finalize()
        .into();
    SigningKey::from_bytes(&bytes)
}

/// A loopback port free now and never handed out before by this process: two localnets
/// started at once must not be given one port (the OS may offer a port again once its
/// first listener is closed, before CometBFT binds it), or their nodes, which share ids
/// when they share a seed, would dial into each other's network.
fn free_port() -> Result<u16> {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for _ in 0..100 {
        let l = TcpListener::bind(("127.0.0.1", 0)).map_err(err)?;
        let port = l.local_addr().map_err(err)?.port();
        if !given.contains(&port) {
            given.push(port);
            return Ok(port);
        }
    }
    Err(err("no fresh loopback port"))
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(err)?;
    std::fs::write(path, bytes).map_err(io(path))
}

/// Write a secret file readable by its owner only; its JSON is built in a buffer that is
/// wiped (reserved up front, so it does not move while it grows).
fn write_secret_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(4096));
    serde_json::to_writer_pretty(&mut *bytes, value).map_err(err)?;
    citywallet_files::replace(path, &bytes).map_err(|e| err(format!("{}: {e}", path.display())))
}

impl Localnet {
    /// Make the localnet's homes, keys and genesis in `config.dir` (started by
    /// [`Localnet::start_all`]).
    pub fn create(config: LocalnetConfig) -> Result<Self> {
        if config.validators == 0 {
            return Err(err("a localnet needs at least one validator"));
        }
        if config.dir.join(STATE_FILE).exists() {
            return Err(err(format!(
                "{} already holds a localnet: stop it and give a new directory",
                config.dir.display()
            )));
        }
        std::fs::create_dir_all(&config.dir).map_err(io(&config.dir))?;
        let (genesis, keys) = demo_genesis(&config.chain_id, config.seed, config.validators)?;
        let total = config.validators + config.rpc_nodes;
        let mut nodes = Vec::with_capacity(total);
        for i in 0..total {
            let port = |offset: u16| -> Result<u16> {
                match config.base_port {
                    Some(b) => u16::try_from(i * 10)
                        .ok()
                        .and_then(|d| b.checked_add(d)?.checked_add(offset))
                        .ok_or_else(|| err("the ports run past 65535")),
                    None => free_port(),
                }
            };
            let at = |p: u16| SocketAddr::from(([127, 0, 0, 1], p));
            nodes.push(NodeInfo {
                name: format!("node{i}"),
                home: config.dir.join(format!("node{i}")),
                validator: i < config.validators,
                rpc: at(port(0)?),
                p2p: at(port(1)?),
                abci: at(port(2)?),
                node_id: hex::encode(address(&node_key(config.seed, i))),
                pids: None,
            });
        }
        for n in &nodes {
            let out = Command::new(&config.cometbft)
                .args(["init", "--home"])
                .arg(&n.home)
                .stdout(Stdio::null())
                .output()
                .map_err(|e| err(format!("{}: {e}", config.cometbft.display())))?;
            if !out.status.success() {
                return Err(err(format!(
                    "cometbft init failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
        }
        let doc = cometbft_genesis(&config, &nodes, &genesis, &keys)?;
        for (i, n) in nodes.iter().enumerate() {
            let cfg = n.home.join("config");
            write_json(&cfg.join("genesis.json"), &doc)?;
            let secret = priv_key_b64(&node_key(config.seed, i));
            write_secret_json(
                &cfg.join("node_key.json"),
                &NodeKeyFile {
                    priv_key: priv_key_json(&secret),
                },
            )?;
            if let Some(k) = keys.validators.get(i) {
                let secret = priv_key_b64(k);
                let public = B64.encode(k.verifying_key().as_bytes());
                write_secret_json(
                    &cfg.join("priv_validator_key.json"),
                    &ValidatorKeyFile {
                        address: hex::encode_upper(address(k)),
                        pub_key: KeyJson {
                            kind: "tendermint/PubKeyEd25519",
                            value: &public,
                        },
                        priv_key: priv_key_json(&secret),
                    },
                )?;
            }
            let peers: Vec<String> = nodes
                .iter()
                .filter(|p| p.name != n.name)
                .map(|p| format!("{}@{}", p.node_id, p.p2p))
                .collect();
            edit_config(
                &cfg.join("config.toml"),
                n,
                &peers.join(","),
                config.block_time,
            )?;
        }
        let issuer_public: Vec<String> = genesis
            .issuers
            .iter()
            .map(|i| i.bbs_public_key.clone())
            .collect();
        crate::devnet::write_keys(&config.dir, &keys, &issuer_public)?;
        let net = Self {
            procs: nodes.iter().map(|_| None).collect(),
            nodes,
            config,
            genesis,
            keys,
            reaper: Some(Reaper::spawn()?),
        };
        net.save()?;
        Ok(net)
    }

    /// The nodes.
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// The application's genesis (CometBFT's `app_state`).
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The demo keys (the validators' are the CometBFT validator keys).
    pub fn keys(&self) -> &DemoKeys {
        &self.keys
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.config.dir
    }

    fn save(&self) -> Result<()> {
        let path = self.config.dir.join(STATE_FILE);
        write_json(&path, &serde_json::to_value(&self.nodes).map_err(err)?)
    }

    /// Start every node that is not running.
    pub fn start_all(&mut self) -> Result<()> {
        for i in 0..self.nodes.len() {
            if self.procs[i].is_none() {
                self.start(i)?;
            }
        }
        Ok(())
    }

    /// Start node `i` (its application, then CometBFT), on its existing state.
    pub fn start(&mut self, i: usize) -> Result<()> {
        let n = self
            .nodes
            .get(i)
            .ok_or_else(|| err("no such node"))?
            .clone();
        if self.procs[i].is_some() {
            return Err(err(format!("{} is running", n.name)));
        }
        let log = |name: &str| -> Result<std::fs::File> {
            let path = n.home.join(name);
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io(&path))
        };
        let spawn = |cmd: &mut Command, name: &str| -> Result<Child> {
            use std::os::unix::process::CommandExt as _;
            let out = log(name)?;
            let errs = out.try_clone().map_err(err)?;
            cmd.stdin(Stdio::null())
                .stdout(out)
                .stderr(errs)
                .process_group(0)
                .spawn()
                .map_err(|e| err(format!("starting {cmd:?}: {e}")))
        };
        let app = spawn(
            Command::new(&self.config.app)
                .arg("abci")
                .arg("--addr")
                .arg(n.abci.to_string())
                .arg("--data")
                .arg(n.home.join("app"))
                .args(match self.config.retention {
                    Retention::Keep(k) => vec!["--keep-heights".to_owned(), k.to_string()],
                    Retention::Archive => vec!["--archive".to_owned()],
                })
                .arg("--retain-blocks")
                .arg(self.config.retain_blocks.to_string()),
            "app.log",
        )?;
        let comet = match spawn(
            Command::new(&self.config.cometbft)
                .arg("start")
                .arg("--home")
                .arg(&n.home),
            "cometbft.log",
        ) {
            Ok(c) => c,
            Err(e) => {
                let mut app = app;
                let _ = app.kill();
                let _ = app.wait();
                return Err(e);
            }
        };
        self.nodes[i].pids = Some((comet.id(), app.id()));
        let pids = [comet.id(), app.id()];
        self.procs[i] = Some(Procs { comet, app });
        if let Some(r) = &mut self.reaper {
            r.watch(pids)?;
        }
        self.save()
    }

    fn signal(&self, i: usize, signal: Signal) -> Result<()> {
        let p = self
            .procs
            .get(i)
            .and_then(Option::as_ref)
            .ok_or_else(|| err(format!("node {i} is not running")))?;
        for pid in [p.comet.id(), p.app.id()] {
            send(pid, signal)?;
        }
        Ok(())
    }

    /// Kill node `i` (CometBFT and its application) with SIGKILL, as a crash would.
    pub fn kill(&mut self, i: usize) -> Result<()> {
        self.signal(i, Signal::KILL)?;
        if let Some(mut p) = self.procs[i].take() {
            let _ = p.comet.wait();
            let _ = p.app.wait();
        }
        self.nodes[i].pids = None;
        self.save()
    }

    /// Pause node `i` (SIGSTOP to both processes): it holds its connections and answers
    /// nothing.
    pub fn pause(&self, i: usize) -> Result<()> {
        self.signal(i, Signal::STOP)
    }

    /// Resume a paused node (SIGCONT).
    pub fn resume(&self, i: usize) -> Result<()> {
        self.signal(i, Signal::CONT)
    }

    /// Kill every running node.
    pub fn stop_all(&mut self) {
        for i in 0..self.procs.len() {
            if self.procs[i].is_some() {
                let _ = self.resume(i);
                let _ = self.kill(i);
            }
        }
    }

    /// Leave the processes running when this handle is dropped (`cargo xtask localnet`;
    /// [`stop_dir`] stops them).
    pub fn detach(mut self) {
        // Killed before its stdin closes, the reaper kills nothing; without it, dropping
        // this handle leaves the processes (in their own process groups) running.
        if let Some(mut r) = self.reaper.take() {
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
    }

    /// Wait until every running node reports at least height `height`.
    pub fn wait_height(&self, height: u64, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        for (i, n) in self.nodes.iter().enumerate() {
            if self.procs[i].is_none() {
                continue;
            }
            loop {
                if status(n.rpc).is_some_and(|s| s.height >= height) {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(err(format!(
                        "{} did not reach height {height} within {within:?} (see {})",
                        n.name,
                        n.home.join("cometbft.log").display()
                    )));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        if let Some(r) = self.reaper.take() {
            self.stop_all();
            let Reaper { mut child, pids } = r;
            drop(pids);
            let _ = child.wait();
        }
    }
}

/// The `cometbft` binary: `$CITYWALLET_COMETBFT`, else the one `scripts/setup.sh` builds
/// (`~/.cache/citywallet/go/bin/cometbft`), else `cometbft` on the `PATH`.
pub fn cometbft_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CITYWALLET_COMETBFT") {
        return PathBuf::from(p);
    }
    let cached = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/citywallet/go/bin/cometbft"));
    match cached {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("cometbft"),
    }
}

fn pid(pid: u32) -> Result<Pid> {
    i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| err(format!("{pid} is not a process id")))
}

fn send(p: u32, signal: Signal) -> Result<()> {
    kill_process(pid(p)?, signal).map_err(err)
}

fn alive(p: u32) -> bool {
    pid(p).is_ok_and(|p| test_kill_process(p).is_ok())
}

/// Stop the localnet in `dir` that [`Localnet::detach`] left running: SIGTERM to every
/// process, then SIGKILL to those still there after `grace`. Returns how many it signalled.
pub fn stop_dir(dir: &Path, grace: Duration) -> Result<usize> {
    let path = dir.join(STATE_FILE);
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    let mut nodes: Vec<NodeInfo> = serde_json::from_slice(&bytes).map_err(err)?;
    let pids: Vec<u32> = nodes
        .iter()
        .filter_map(|n| n.pids)
        .flat_map(|(c, a)| [c, a])
        .collect();
    let mut signalled = 0;
    for &pid in &pids {
        if send(pid, Signal::CONT).is_ok() && send(pid, Signal::TERM).is_ok() {
            signalled += 1;
        }
    }
    let deadline = Instant::now() + grace;
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for &pid in &pids {
        if alive(pid) {
            let _ = send(pid, Signal::KILL);
        }
    }
    for n in &mut nodes {
        n.pids = None;
    }
    write_json(&path, &serde_json::to_value(&nodes).map_err(err)?)?;
    Ok(signalled)
}

/// The localnet nodes listed in `dir`.
pub fn read_nodes(dir: &Path) -> Result<Vec<NodeInfo>> {
    let path = dir.join(STATE_FILE);
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    serde_json::from_slice(&bytes).map_err(err)
}

/// CometBFT's genesis document: node0's from `cometbft init` (its consensus parameters),
/// with the chain id, the demo validators and the application's genesis as `app_state`.
fn cometbft_genesis(
    config: &LocalnetConfig,
    nodes: &[NodeInfo],
    genesis: &Genesis,
    keys: &DemoKeys,
) -> Result<Value> {
    let path = nodes[0].home.join("config").join("genesis.json");
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(&path).map_err(io(&path))?).map_err(err)?;
    let powers: BTreeMap<String, u64> = genesis
        .validators
        .iter()
        .map(|v| (v.public_key.clone(), v.power))
        .collect();
    let validators: Vec<Value> = keys
        .validators
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let power = powers
                .get(&hex::encode(k.verifying_key().as_bytes()))
                .copied()
                .unwrap_or(0);
            json!({
                "address": hex::encode_upper(address(k)),
                "pub_key": pub_key_json(k),
                "power": power.to_string(),
                "name": format!("node{i}"),
            })
        })
        .collect();
    doc["chain_id"] = json!(config.chain_id);
    doc["initial_height"] = json!("1");
    doc["validators"] = json!(validators);
    doc["app_hash"] = json!("");
    doc["app_state"] = serde_json::to_value(genesis).map_err(err)?;
    Ok(doc)
}

/// Loopback ports, peers, a short block time and the settings a loopback network needs.
fn edit_config(path: &Path, node: &NodeInfo, peers: &str, block_time: Duration) -> Result<()> {
    use toml_edit::value;
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(err)?;
    let ms = |d: Duration| format!("{}ms", d.as_millis());
    doc["moniker"] = value(node.name.as_str());
    doc["proxy_app"] = value(format!("tcp://{}", node.abci));
    doc["rpc"]["laddr"] = value(format!("tcp://{}", node.rpc));
    doc["p2p"]["laddr"] = value(format!("tcp://{}", node.p2p));
    doc["p2p"]["persistent_peers"] = value(peers);
    doc["p2p"]["addr_book_strict"] = value(false);
    doc["p2p"]["allow_duplicate_ip"] = value(true);
    doc["consensus"]["timeout_commit"] = value(ms(block_time));
    // A dead proposer costs one propose timeout per round it would have led.
    doc["consensus"]["timeout_propose"] = value("1s");
    doc["consensus"]["timeout_prevote"] = value("500ms");
    doc["consensus"]["timeout_precommit"] = value("500ms");
    std::fs::write(path, doc.to_string()).map_err(io(path))
}

/// A node's `/status`: latest height and app hash (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// `latest_block_height`.
    pub height: u64,
    /// `latest_app_hash`.
    pub app_hash: String,
}

/// `GET path` on a CometBFT RPC at `addr`, the JSON-RPC `result`, within two seconds.
pub fn rpc_get(addr: SocketAddr, path: &str) -> Option<Value> {
    let timeout = Duration::from_secs(2);
    let mut conn = TcpStream::connect_timeout(&addr, timeout).ok()?;
    conn.set_read_timeout(Some(timeout)).ok()?;
    conn.set_write_timeout(Some(timeout)).ok()?;
    // HTTP/1.0: the answer is not chunked and ends when the connection closes.
    conn.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .ok()?;
    let mut response = Vec::new();
    conn.read_to_end(&mut response).ok()?;
    let text = String::from_utf8(response).ok()?;
    let body = text.split_once("\r\n\r\n")?.1;
    let mut v: Value = serde_json::from_str(body).ok()?;
    Some(v.get_mut("result")?.take())
}

/// A node's `/status`, or `None` when it does not answer.
pub fn status(addr: SocketAddr) -> Option<NodeStatus> {
    let v = rpc_get(addr, "/status")?;
    Some(NodeStatus {
        height: v["sync_info"]["latest_block_height"]
            .as_str()?
            .parse()
            .ok()?,
        app_hash: v["sync_info"]["latest_app_hash"].as_str()?.to_owned(),
    })
}

/// The app hash in the header at `height` (`/commit`), or `None`.
pub fn app_hash_at(addr: SocketAddr, height: u64) -> Option<String> {
    let v = rpc_get(addr, &format!("/commit?height={height}"))?;
    v["signed_header"]["header"]["app_hash"]
        .as_str()
        .map(str::to_owned)
}
