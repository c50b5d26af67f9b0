//! `cargo xtask fuzz [seconds] [target…]`: the fuzz targets of `fuzz/` (cargo fuzz, libFuzzer
//! with coverage, no sanitizer: nightly is not available, and `--sanitizer none` builds on
//! stable), each run for `seconds` from its checked-in corpus, then a table of executions
//! and crashes. New inputs go to a working corpus under the fuzz build directory, never
//! into the checked-in one; a crash leaves its input in `fuzz/artifacts/<target>/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Result, root, run};

/// Every target, as `fuzz/Cargo.toml` lists them.
pub const TARGETS: [&str; 14] = [
    "presentation_json",
    "presentation_compact",
    "credential_import",
    "challenge",
    "tx_decode",
    "node_commit",
    "node_validators",
    "node_abci_query",
    "node_broadcast_tx_sync",
    "light_block",
    "vault_export",
    "device_bundle",
    "wallet_text",
    "issuer_files",
];

/// The instrumented build has its own cache (its flags differ from the workspace's).
fn fuzz_target_dir() -> PathBuf {
    std::env::var_os("CITYWALLET_FUZZ_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/citywallet/fuzz-target"))
        })
        .unwrap_or_else(|| root().join("fuzz/target"))
}

/// `cargo-fuzz` from `scripts/setup.sh`'s cache, or from the PATH.
fn cargo_fuzz() -> PathBuf {
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/citywallet/cargo-fuzz/bin/cargo-fuzz"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("cargo-fuzz"))
}

/// One target's run, from libFuzzer's final statistics.
struct Outcome {
    target: &'static str,
    executions: u64,
    per_second: u64,
    corpus: usize,
    crashed: bool,
}

pub fn fuzz(args: &[String]) -> Result {
    let seconds: u64 = match args.first() {
        Some(s) => s.parse().map_err(|_| {
            format!("usage: cargo xtask fuzz [seconds] [target…]; not a number: {s}")
        })?,
        None => 60,
    };
    let chosen: Vec<&'static str> = if args.len() > 1 {
        let mut v = Vec::new();
        for a in &args[1..] {
            let t = TARGETS
                .iter()
                .find(|t| **t == a.as_str())
                .ok_or_else(|| format!("no fuzz target {a}; targets: {}", TARGETS.join(", ")))?;
            v.push(*t);
        }
        v
    } else {
        TARGETS.to_vec()
    };
    let target_dir = fuzz_target_dir();
    eprintln!("$ cargo fuzz build --sanitizer none (in fuzz/)");
    run(Command::new(cargo_fuzz())
        .args(["fuzz", "build", "--sanitizer", "none"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .current_dir(root().join("fuzz")))?;
    let bin_dir = target_dir.join("x86_64-unknown-linux-gnu/release");
    let mut outcomes = Vec::new();
    for target in chosen {
        outcomes.push(run_target(&bin_dir, &target_dir, target, seconds)?);
    }
    println!("\n| target | seconds | executions | per second | corpus | crashes |");
    println!("|---|---:|---:|---:|---:|---:|");
    for o in &outcomes {
        println!(
            "| {} | {seconds} | {} | {} | {} | {} |",
            o.target,
            o.executions,
            o.per_second,
            o.corpus,
            u8::from(o.crashed)
        );
    }
    let crashed: Vec<_> = outcomes
        .iter()
        .filter(|o| o.crashed)
        .map(|o| o.target)
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz targets crashed: {} (inputs in fuzz/artifacts/)",
            crashed.join(", ")
        ))
    }
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.filter_map(std::result::Result::ok).count())
}

fn run_target(
    bin_dir: &Path,
    target_dir: &Path,
    target: &'static str,
    seconds: u64,
) -> Result<Outcome> {
    let seeds = root().join("fuzz/corpus").join(target);
    let work = target_dir.join("corpus").join(target);
    let artifacts = root().join("fuzz/artifacts").join(target);
    for d in [&work, &artifacts] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    eprintln!("$ fuzz {target} for {seconds} s");
    let out = Command::new(bin_dir.join(target))
        .arg(format!("-max_total_time={seconds}"))
        // An input that takes a second is a hang worth reporting (BBS checks take ~10 ms).
        .arg("-timeout=10")
        .arg("-rss_limit_mb=2048")
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(&work)
        .arg(&seeds)
        .output()
        .map_err(|e| format!("{target}: {e} (was it built?)"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let stat = |name: &str| -> u64 {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let crashed = !out.status.success();
    if crashed {
        eprintln!("{log}");
    }
    Ok(Outcome {
        target,
        executions: stat("number_of_executed_units"),
        per_second: stat("average_exec_per_sec"),
        corpus: count_files(&work) + count_files(&seeds),
        crashed,
    })
}
