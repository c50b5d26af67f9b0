//! The local devnet: when no city node is configured, the app starts the city node's devnet
//! (`citywallet-node devnet`) and the devnet's demo issuers (`citywallet-issuer demo`) as
//! its own child processes on loopback, and talks to them like to any node and any issuer:
//! JSON-RPC verified by the light client, OpenID4VCI. No validator, admin or issuer key is
//! generated or held in the app's process. Their state lives in the app's data directory
//! and continues across restarts; both stop when the app's process ends (they watch their
//! standard input, which the app holds open).
//!
//! The two programs are looked for beside the app's executable (the cargo target folder,
//! or the bundle's binaries), or at `CITYWALLET_NODE_BIN` and `CITYWALLET_ISSUER_BIN`.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the devnet serves.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// Primary RPC URL.
    pub primary: String,
    /// Witness RPC URL (the same chain on a second address).
    pub witness: String,
    /// Its data directory (the demo issuers' list, the demo admin key).
    pub data: PathBuf,
}

/// The children, with their standard input held open for the app's life.
static CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());

/// How long the devnet and the issuers may take to come up.
const START_WITHIN: Duration = Duration::from_secs(90);

fn program(env: &str, name: &str) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| format!("the app's own path: {e}"))?;
    let beside = exe.with_file_name(name);
    if beside.exists() {
        Ok(beside)
    } else {
        Err(format!(
            "{} is not beside the app: build it (cargo build -p {}) or set {env}",
            beside.display(),
            if name == "citywallet-node" {
                "citywallet-node"
            } else {
                "citywallet-issuer"
            }
        ))
    }
}

/// `preferred` when it is free, else any free port.
fn port(preferred: u16) -> u16 {
    if TcpListener::bind(("127.0.0.1", preferred)).is_ok() {
        return preferred;
    }
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_or(0, |a| a.port())
}

fn spawn(cmd: &mut Command) -> Result<Child, String> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {:?}: {e}", cmd.get_program()))
}

/// Read `child`'s standard output until `want` has seen every line it needs (it returns
/// true), within [`START_WITHIN`]; the rest of the output is drained in the background.
fn read_until(
    child: &mut Child,
    what: &str,
    mut want: impl FnMut(&str) -> bool,
) -> Result<(), String> {
    let out = child.stdout.take().ok_or("no standard output")?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                // Nobody listens any more: keep draining so the child never blocks.
                continue;
            }
        }
    });
    let deadline = Instant::now() + START_WITHIN;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if want(&line) => return Ok(()),
            Ok(_) => {}
            Err(_) => return Err(format!("{what} did not start")),
        }
    }
}

/// Start (or continue) the devnet in `data_dir/devnet`, and its demo issuers.
pub fn start(data_dir: &Path) -> Result<Embedded, String> {
    let dir = data_dir.join("devnet");
    citywallet_files::create_private_dirs(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (rpc, witness_rpc) = (port(26657), port(26658));
    let mut node = spawn(
        Command::new(program("CITYWALLET_NODE_BIN", "citywallet-node")?)
            .args(["devnet", "--validators", "4", "--block-time", "1000"])
            .arg("--rpc")
            .arg(format!("127.0.0.1:{rpc}"))
            .arg("--witness-rpc")
            .arg(format!("127.0.0.1:{witness_rpc}"))
            .arg("--data")
            .arg(&dir)
            .arg("--exit-on-stdin-close"),
    )?;
    let (mut primary, mut witness) = (None, None);
    let ready = read_until(&mut node, "the devnet", |line| {
        if let Some(url) = line.strip_prefix("RPC: ") {
            primary = Some(url.trim().to_owned());
        } else if let Some(url) = line.strip_prefix("witness RPC: ") {
            witness = Some(url.trim().to_owned());
        }
        primary.is_some() && witness.is_some()
    });
    CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(node);
    ready?;
    let (primary, witness) = (primary.unwrap_or_default(), witness.unwrap_or_default());

    let mut issuers = spawn(
        Command::new(program("CITYWALLET_ISSUER_BIN", "citywallet-issuer")?)
            .arg("demo")
            .arg("--devnet-data")
            .arg(&dir)
            .args([
                "--node",
                &primary,
                "--witness",
                &witness,
                "--exit-on-stdin-close",
            ]),
    )?;
    let ready = read_until(&mut issuers, "the demo issuers", |line| {
        line.contains("serving OpenID4VCI")
    });
    CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(issuers);
    ready?;
    Ok(Embedded {
        primary,
        witness,
        data: dir,
    })
}
