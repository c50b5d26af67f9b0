//! What the issuer's tests share: the service as a process on a devnet, the operator's
//! commands, a citizen's wallet.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use citywallet_chain_tests::Net;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_wallet::{HttpConnect, Network, SystemClock, Wallet};
use serde_json::Value;

pub const PASS: &str = "bureau vault passphrase 77";
pub const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

pub struct Service {
    pub data: PathBuf,
    pub child: Child,
    pub url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn issuer_cmd(data: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_citywallet-issuer"));
    c.arg("--data")
        .arg(data)
        .arg("--json")
        .args(args)
        .env("CITYWALLET_ISSUER_PASSPHRASE", PASS);
    c
}

/// Run an operator command; its JSON, or its error line.
pub fn operator(data: &Path, args: &[&str]) -> Result<Value, String> {
    let out = issuer_cmd(data, args)
        .output()
        .expect("run citywallet-issuer");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("json output"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

pub fn start(net: &Net, dir: &Path) -> Service {
    start_bureau(net, dir, &[])
}

/// The devnet's credit bureau (its keys), with `init_extra` options for its `init`.
pub fn start_bureau(net: &Net, dir: &Path, init_extra: &[&str]) -> Service {
    let key = net
        .data_dir()
        .join(citywallet_node::devnet::CREDIT_BUREAU_KEY_FILE);
    start_issuer_with(
        net,
        dir,
        "city-credit-bureau",
        Some(&key),
        r#"{"score": 731, "tier": "B", "bureau": "City Credit Bureau", "date": "2026-11-30"}"#,
        init_extra,
    )
}

/// An issuer service `id` in its own folder of `dir` (keys imported from `key`, else new),
/// on `net`, with citizen alice entitled to a credit credential with `claims`.
pub fn start_issuer(net: &Net, dir: &Path, id: &str, key: Option<&Path>, claims: &str) -> Service {
    start_issuer_with(net, dir, id, key, claims, &[])
}

fn start_issuer_with(
    net: &Net,
    dir: &Path,
    id: &str,
    key: Option<&Path>,
    claims: &str,
    init_extra: &[&str],
) -> Service {
    let data = dir.join(format!(
        "issuer-{}",
        SERVICES.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let mut init = vec![
        "init",
        "--id",
        id,
        "--name",
        "City Credit Bureau",
        "--credential",
        "credit",
        "--node",
        &net.primary,
        "--witness",
        &net.witness,
        "--test-kdf",
    ];
    let key = key.map(|k| k.to_str().expect("path").to_owned());
    if let Some(k) = &key {
        init.extend_from_slice(&["--import-key", k]);
    }
    init.extend_from_slice(init_extra);
    operator(&data, &init).expect("init");
    operator(
        &data,
        &[
            "citizen",
            "add",
            "--id",
            "alice",
            "--name",
            "Alice Citizen",
            "--credential",
            "credit",
            "--claims",
            claims,
        ],
    )
    .expect("citizen");
    let mut child = issuer_cmd(&data, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let url = serde_json::from_str::<Value>(&line).expect("json")["url"]
        .as_str()
        .expect("url")
        .to_owned();
    Service { data, child, url }
}

static SERVICES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn offer(s: &Service, extra: &[&str]) -> Value {
    let mut args = vec![
        "offer",
        "create",
        "--citizen",
        "alice",
        "--credential",
        "credit",
    ];
    args.extend_from_slice(extra);
    operator(&s.data, &args).expect("offer")
}

pub fn citizen(net: &Net, dir: &Path) -> Wallet {
    wallet_named(net, dir, "alice")
}

/// A new wallet named `name` on `net`, unlocked.
pub fn wallet_named(net: &Net, dir: &Path, name: &str) -> Wallet {
    let mut w = Wallet::new(
        &dir.join(format!("{name}.db")),
        FAST,
        Network {
            primary: net.primary.clone(),
            witnesses: vec![net.witness.clone()],
        },
        Arc::new(HttpConnect),
        Arc::new(SystemClock),
    );
    w.create(&Passphrase::from("alice wallet passphrase 1"), "")
        .expect("create");
    w
}
