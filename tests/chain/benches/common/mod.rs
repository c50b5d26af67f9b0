//! What the chain benchmarks share: the chain under test, CPU of its processes, heights
//! and committed transactions read over RPC.
#![allow(dead_code)]

use std::time::Duration;

use citywallet_chain_tests::Net;
use citywallet_node::localnet::{rpc_get, status};
use serde_json::Value;

/// A chain under test: its RPC URLs, the processes whose CPU is counted, its chain id.
pub struct Target {
    pub name: &'static str,
    pub urls: Vec<String>,
    pub pids: Vec<(String, u32)>,
    pub chain_id: String,
}

pub fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

pub fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds (user + system) a process has used.
pub fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / ticks_per_second()
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `GET path` on the node at `url` (`http://host:port`): its JSON-RPC result.
pub fn get(url: &str, path: &str) -> Option<Value> {
    rpc_get(url.trim_start_matches("http://").parse().ok()?, path)
}

pub fn latest_height(url: &str) -> u64 {
    url.trim_start_matches("http://")
        .parse()
        .ok()
        .and_then(status)
        .map_or(0, |s| s.height)
}

/// Transactions in blocks `from..=to` and the seconds between the first and last block
/// that carry some.
pub fn committed(url: &str, from: u64, to: u64) -> (u64, f64) {
    let mut txs = 0u64;
    let mut first: Option<tendermint::Time> = None;
    let mut last: Option<tendermint::Time> = None;
    for h in from..=to {
        let Some(b) = get(url, &format!("/block?height={h}")) else {
            continue;
        };
        let n = b["block"]["data"]["txs"].as_array().map_or(0, Vec::len) as u64;
        if n == 0 {
            continue;
        }
        let t: Option<tendermint::Time> = b["block"]["header"]["time"]
            .as_str()
            .and_then(|s| s.parse().ok());
        txs += n;
        if first.is_none() {
            first = t;
        }
        last = t.or(last);
    }
    let span = match (first, last) {
        (Some(a), Some(b)) => b.duration_since(a).map_or(0.0, |d| d.as_secs_f64()),
        _ => 0.0,
    };
    (txs, span)
}

/// The localnet's nodes, counting each CometBFT and app process and this process as
/// `own` (the load's senders).
pub fn localnet_target(net: &citywallet_node::localnet::Localnet, own: &str) -> Target {
    Target {
        name: "localnet",
        urls: net.nodes().iter().map(|n| n.url()).collect(),
        pids: net
            .nodes()
            .iter()
            .filter_map(|n| n.pids.map(|(c, a)| (n.name.clone(), c, a)))
            .flat_map(|(name, c, a)| [(format!("{name} cometbft"), c), (format!("{name} app"), a)])
            .chain([(own.to_owned(), std::process::id())])
            .collect(),
        chain_id: net.genesis().chain_id.clone(),
    }
}

/// The devnet in this process (its CPU counted with the load's, as `own`).
pub fn devnet_target(net: &Net, own: &str) -> Target {
    Target {
        name: "devnet",
        urls: vec![net.primary.clone(), net.witness.clone()],
        pids: vec![(own.into(), std::process::id())],
        chain_id: net.devnet().genesis().chain_id.clone(),
    }
}
