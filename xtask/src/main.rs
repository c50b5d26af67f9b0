//! `cargo xtask <task>`: the project's longer recipes.
//!
//! * `ci`: format check, clippy with warnings denied, every test, benchmarks compiled, each
//!   fuzz target for a few seconds.
//! * `demo`: the CLI walkthrough on a throw-away vault (the main job until the app lands).
//! * `devnet`: the local devnet on its default ports with its demo issuers (issuer services),
//!   until Ctrl-C; its data stays in `target/devnet`.
//! * `bench`: the criterion benchmarks.
//! * `bench-growth`: the state at 10k to 5M keys, pruned and not (a table).
//! * `bench-long`: a devnet over 100,000 blocks: memory, disk and restart time (a table).
//! * `bench-load`: concurrent wallets against the CometBFT localnet and the devnet, and raw
//!   transaction throughput (a table; `LOAD_WALLETS`, `LOAD_ACTIONS`).
//! * `bench-anchors`: 1,000 devices anchoring every 10 s against the localnet and the devnet,
//!   then beside a flood from unregistered keys (`tests/chain/benches/anchors.rs`).
//! * `fuzz [seconds] [target…]`: the fuzz targets, each for `seconds` (see `fuzz.rs`).
//! * `mobile-check`: the phone builds as far as this machine allows (see `mobile.rs`).
//! * `localnet [--stop] [--validators N] [--rpc-nodes K] [--block-time MS] [--dir DIR]`: real
//!   CometBFT validators on loopback, each beside its own `citywallet-node abci`, left
//!   running until `--stop`.

mod fuzz;
mod mobile;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "demo" => demo(),
        "devnet" => devnet(),
        "app" => app(),
        "ui" => ui(),
        "e2e" => e2e(),
        "bench" => cargo(&[
            "bench",
            "--locked",
            "-p",
            "citywallet-core",
            "-p",
            "citywallet-vc",
            "-p",
            "citywallet-issuer",
        ]),
        "bench-app" => bench_app(),
        "bench-load" => chain_bench("load"),
        "bench-anchors" => chain_bench("anchors"),
        "bench-growth" => cargo(&[
            "bench",
            "--locked",
            "-p",
            "citywallet-node",
            "--bench",
            "growth",
        ]),
        "bench-long" => cargo(&[
            "bench",
            "--locked",
            "-p",
            "citywallet-node",
            "--bench",
            "long_run",
        ]),
        "mobile-check" => mobile::check(),
        "fuzz" => fuzz::fuzz(&std::env::args().skip(2).collect::<Vec<_>>()),
        "localnet" => localnet(&std::env::args().skip(2).collect::<Vec<_>>()),
        _ => Err(
            "usage: cargo xtask <ci|demo|devnet|app|ui|e2e|bench|bench-app|bench-load|bench-anchors|bench-long|bench-growth|mobile-check|fuzz|localnet>"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

fn cargo(args: &[&str]) -> Result {
    eprintln!("$ cargo {}", args.join(" "));
    run(Command::new(env!("CARGO")).args(args).current_dir(root()))
}

/// Run `cmd` without echoing it: the demo's commands carry passphrases in their environment.
fn run(cmd: &mut Command) -> Result {
    let status = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

fn npm(dir: &str, args: &[&str]) -> Result {
    eprintln!("$ npm --prefix {dir} {}", args.join(" "));
    run(Command::new("npm")
        .args(["--prefix", dir])
        .args(args)
        .current_dir(root()))
}

/// Build the web UI into `ui/dist` (the app embeds it at compile time).
fn ui() -> Result {
    npm("ui", &["run", "build", "--silent"])
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The local devnet (4 validators, a witness RPC) and its demo issuers, until Ctrl-C.
fn devnet() -> Result {
    cargo(&[
        "build",
        "--locked",
        "-p",
        "citywallet-node",
        "-p",
        "citywallet-issuer",
    ])?;
    let bin = target_dir().join("debug");
    let data = target_dir().join("devnet");
    let _node = start_devnet(&bin.join("citywallet-node"), &data, 1000, 1)?;
    run(Command::new(bin.join("citywallet-issuer"))
        .arg("demo")
        .arg("--devnet-data")
        .arg(&data)
        .args([
            "--node",
            "http://127.0.0.1:26657",
            "--witness",
            "http://127.0.0.1:26658",
        ]))
}

/// Build and start the desktop app (it runs its own devnet when no node is configured).
fn app() -> Result {
    // The app starts the devnet and its demo issuers from the binaries beside it.
    build_app_and_node()?;
    let bin = target_dir().join("debug").join("citywallet-app");
    eprintln!("$ {}", bin.display());
    run(&mut Command::new(bin))
}

/// The UI, then the app, node and issuer binaries the end-to-end suite and the app bench
/// start.
fn build_app_and_node() -> Result {
    ui()?;
    cargo(&[
        "build",
        "--locked",
        "-p",
        "citywallet-app",
        "-p",
        "citywallet-node",
        "-p",
        "citywallet-issuer",
    ])
}

/// The end-to-end suite: the real app under Xvfb, over WebDriver, against a devnet.
fn e2e() -> Result {
    build_app_and_node()?;
    npm("tests/e2e", &["test", "--silent"])
}

/// Cold start and memory of the app (a table).
fn bench_app() -> Result {
    build_app_and_node()?;
    run(Command::new("node")
        .arg("tests/e2e/bench.mjs")
        .current_dir(root()))
}

/// A chain bench of `tests/chain/benches/` (`load`: wallets under load on both chains;
/// `anchors`: devices anchoring), with the node's release build beside the bench binary.
fn chain_bench(name: &str) -> Result {
    cargo(&["build", "--locked", "--release", "-p", "citywallet-node"])?;
    cargo(&[
        "bench",
        "--locked",
        "-p",
        "citywallet-chain-tests",
        "--bench",
        name,
    ])
}

/// The TypeScript bindings in `ui/src/lib/bindings` must be what the Rust types generate
/// (cargo test regenerates them).
fn bindings_fresh() -> Result {
    let out = Command::new("git")
        .args(["status", "--porcelain", "--", "ui/src/lib/bindings"])
        .current_dir(root())
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if out.stdout.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the TypeScript bindings are stale; commit what `cargo test -p citywallet-app` wrote:\n{}",
            String::from_utf8_lossy(&out.stdout)
        ))
    }
}

fn ci() -> Result {
    ui()?;
    npm("ui", &["run", "check", "--silent"])?;
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&["fmt", "--manifest-path", "fuzz/Cargo.toml", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--locked",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // Every benchmark compiles, with the test build's profile and artifacts: a release
    // build of every dependency cost a fresh CI machine minutes for no test. Running them
    // (release) is `cargo xtask bench`, `bench-load` and `bench-app`.
    cargo(&["test", "--locked", "--workspace", "--benches", "--no-run"])?;
    test_with_summary()?;
    localnet_suite()?;
    bindings_fresh()?;
    // Every fuzz target, briefly, from its checked-in corpus (which holds the inputs of the
    // crashes found so far): longer runs are `cargo xtask fuzz <seconds>`.
    fuzz::fuzz(&["8".to_string()])?;
    // The phone builds' platform layer, compiled and linted for Android (no SDK needed).
    mobile::host_check()?;
    e2e()
}

/// `cargo test` for the workspace, echoing its output, then one closing line with the totals
/// of every test binary ("N passed, N failed"), so the last line speaks for the whole run.
fn test_with_summary() -> Result {
    use std::io::{BufRead, BufReader};
    let args = ["test", "--locked", "--workspace"];
    eprintln!("$ cargo {}", args.join(" "));
    let mut child = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cargo test: {e}"))?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out)
            .lines()
            .map_while(std::result::Result::ok)
        {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                for part in rest.split([';', '.']) {
                    let mut words = part.split_whitespace();
                    if let (Some(n), Some(what)) = (words.next(), words.next()) {
                        let n: u64 = n.parse().unwrap_or(0);
                        match what {
                            "passed" => passed += n,
                            "failed" => failed += n,
                            "ignored" => ignored += n,
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cargo test: {e}"))?;
    println!("\nworkspace tests: {passed} passed, {failed} failed, {ignored} skipped");
    if status.success() && failed == 0 {
        Ok(())
    } else {
        Err(format!("cargo test failed: {status}"))
    }
}

/// The cometbft binary that `scripts/setup.sh` builds (or `$CITYWALLET_COMETBFT`).
fn cometbft() -> PathBuf {
    std::env::var_os("CITYWALLET_COMETBFT")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/citywallet/go/bin/cometbft"))
        })
        .unwrap_or_else(|| PathBuf::from("cometbft"))
}

/// `cargo xtask localnet`: a fresh localnet in `--dir` (default `target/localnet`), left
/// running; `--stop` stops it. The other arguments go to `citywallet-node localnet`.
fn localnet(args: &[String]) -> Result {
    let mut dir = target_dir().join("localnet");
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--dir" {
            dir = PathBuf::from(it.next().ok_or("--dir needs a directory")?);
        } else {
            rest.push(a.clone());
        }
    }
    cargo(&["build", "--locked", "--quiet", "-p", "citywallet-node"])?;
    let node = target_dir().join("debug").join("citywallet-node");
    let stop = || {
        run(Command::new(&node)
            .args(["localnet", "--stop", "--dir"])
            .arg(&dir))
    };
    if rest.iter().any(|a| a == "--stop") {
        return stop();
    }
    if dir.exists() {
        eprintln!("xtask: replacing the localnet in {}", dir.display());
        if dir.join("localnet.json").exists() {
            stop()?;
        }
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let comet = cometbft();
    if !comet.exists() {
        eprintln!("xtask: CometBFT is not built yet; scripts/setup.sh builds it");
        run(Command::new("bash")
            .arg("scripts/setup.sh")
            .current_dir(root()))?;
    }
    run(Command::new(&node)
        .args(["localnet", "--dir"])
        .arg(&dir)
        .arg("--cometbft")
        .arg(&comet)
        .args(&rest))
}

/// The chain suites again on real CometBFT: the wallet's HTTP flows and the hostile-node
/// tests (`tests/chain`), the command line's chain flows (`cli/tests/chain.rs`) and the
/// app's service flows, each test binary against one localnet it starts (the fault tests ran
/// with the workspace: they always use the localnet). Selected by name across the
/// workspace, so the build is the workspace's (a `-p` selection resolves features anew and
/// rebuilds); the other binaries of those names (the in-memory wallet flows, the node's
/// chain tests) start no chain of their own and run again in a second.
fn localnet_suite() -> Result {
    let args = [
        "test",
        "--locked",
        "--workspace",
        "--test",
        "flows",
        "--test",
        "hostile",
        "--test",
        "chain",
        "--test",
        "service",
    ];
    eprintln!(
        "$ CITYWALLET_CHAIN_BACKEND=localnet cargo {}",
        args.join(" ")
    );
    run(Command::new(env!("CARGO"))
        .args(args)
        .env("CITYWALLET_CHAIN_BACKEND", "localnet")
        .current_dir(root()))
}

/// One demo step: title, arguments, extra environment.
type Step<'a> = dyn Fn(&str, &[&str], &[(&str, &str)]) -> Result + 'a;

/// Stops the demo devnet however the demo ends.
struct Devnet(std::process::Child);

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `citywallet-node devnet` on the default ports (4 validators, a witness RPC) with its data
/// in `data`, a block every `block_ms`; returned once the witness serves `height` blocks.
fn start_devnet(bin: &Path, data: &Path, block_ms: u64, height: u64) -> Result<Devnet> {
    let child = Command::new(bin)
        .args([
            "devnet",
            "--validators",
            "4",
            "--block-time",
            &block_ms.to_string(),
        ])
        .args([
            "--rpc",
            "127.0.0.1:26657",
            "--witness-rpc",
            "127.0.0.1:26658",
        ])
        .arg("--data")
        .arg(data)
        .spawn()
        .map_err(|e| format!("starting the devnet: {e}"))?;
    let devnet = Devnet(child);
    let started = std::time::Instant::now();
    while latest_height(26658).unwrap_or(0) < height {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            return Err("the devnet did not start within 60 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(devnet)
}

/// The devnet's latest height from `GET /status` on `port`.
fn latest_height(port: u16) -> Option<u64> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .ok()?;
    conn.write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    conn.read_to_string(&mut response).ok()?;
    let body = response.split("\r\n\r\n").nth(1)?;
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v["result"]["sync_info"]["latest_block_height"]
        .as_str()?
        .parse()
        .ok()
}

/// The chain part of the demo: the embedded devnet on its default ports (the wallet's
/// default target when no node is configured), then sync, a report, a grant and an
/// officer's check against the chain.
fn chain_demo(
    target: &std::path::Path,
    dir: &std::path::Path,
    step: &Step<'_>,
    file: &dyn Fn(&str) -> String,
) -> Result {
    for port in [26657, 26658] {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Err(format!(
                "port {port} is in use: stop whatever runs there (an earlier devnet?) and retry"
            ));
        }
    }
    let data = dir.join("devnet");
    println!("\n== Start the local city devnet (4 validators, a witness RPC)");
    // Ready when the chain has two blocks (a read needs the header after the state it
    // reads).
    let _devnet = start_devnet(&target.join("debug").join("citywallet-node"), &data, 500, 2)?;
    let env = [("CITYWALLET_PASSPHRASE", "new demo city passphrase")];
    step(
        "No node configured: the wallet targets the local devnet",
        &["node", "list"],
        &env,
    )?;
    step(
        "Verify the chain: headers (>2/3 signed), a witness cross-check, the registry snapshot",
        &["sync"],
        &env,
    )?;
    step("Chain status", &["status"], &env)?;
    step(
        "File a report: facts proven first, then submitted, then its effect proven",
        &[
            "report",
            "submit",
            "--category",
            "pothole",
            "--location",
            "cell-8a2b",
            "--description",
            "deep pothole by the school gate",
        ],
        &env,
    )?;
    step(
        "Reports, with proven status and rewards",
        &["report", "list"],
        &env,
    )?;
    step(
        "Grant a research institute access to health data",
        &[
            "grant",
            "create",
            "--org",
            "health-research",
            "--categories",
            "health",
            "--purpose",
            "asthma study",
            "--expires",
            "2027-12-31",
        ],
        &env,
    )?;
    step("Grants", &["grant", "list"], &env)?;
    println!(
        "\n== Start the devnet's demo issuers: the credit bureau and City Hall, as issuer services"
    );
    let issuers = Command::new(target.join("debug").join("citywallet-issuer"))
        .arg("demo")
        .arg("--devnet-data")
        .arg(&data)
        .args([
            "--node",
            "http://127.0.0.1:26657",
            "--witness",
            "http://127.0.0.1:26658",
        ])
        .spawn()
        .map_err(|e| format!("starting the demo issuers: {e}"))?;
    let _issuers = Devnet(issuers);
    let listed = data.join("demo-issuers.json");
    let started = std::time::Instant::now();
    while !listed.exists() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            return Err("the demo issuers did not start within 60 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The bureau's operator: a citizen's record, then an offer with a transaction code.
    let bureau = data.join("demo-issuers").join("city-credit-bureau");
    let operator = |title: &str, args: &[&str]| -> Result<serde_json::Value> {
        println!("\n== {title}\n$ citywallet-issuer {}", args.join(" "));
        let out = Command::new(target.join("debug").join("citywallet-issuer"))
            .arg("--data")
            .arg(&bureau)
            .arg("--passphrase-file")
            .arg(bureau.join("passphrase"))
            .arg("--json")
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        println!("{}", String::from_utf8_lossy(&out.stdout).trim());
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
    };
    operator(
        "The bureau's records: this citizen's credit score",
        &[
            "citizen",
            "add",
            "--id",
            "resident-0002",
            "--name",
            "Demo Resident",
            "--credential",
            "credit",
            "--claims",
            r#"{"score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-01"}"#,
        ],
    )?;
    let offer = operator(
        "The bureau offers it (OpenID4VCI; the code goes to the citizen another way)",
        &[
            "offer",
            "create",
            "--citizen",
            "resident-0002",
            "--credential",
            "credit",
            "--tx-code",
        ],
    )?;
    let uri = offer["uri"].as_str().ok_or("no offer URI")?.to_owned();
    let pin = offer["txCode"]
        .as_str()
        .ok_or("no transaction code")?
        .to_owned();
    step(
        "The citizen reads the offer",
        &["credential", "offer", &uri],
        &env,
    )?;
    let accepted = Command::new(target.join("debug").join("citywallet"))
        .args([
            "--vault",
            &file("vault.db"),
            "--json",
            "credential",
            "accept",
            &uri,
            "--tx-code",
            &pin,
        ])
        .envs(env.iter().copied())
        .output()
        .map_err(|e| e.to_string())?;
    println!(
        "\n== The citizen takes it: token, proof of possession, credential, its proof checked against the bureau's key on the chain\n$ citywallet credential accept OFFER --tx-code {pin}\n{}",
        String::from_utf8_lossy(&accepted.stdout).trim()
    );
    if !accepted.status.success() {
        return Err(String::from_utf8_lossy(&accepted.stderr).into_owned());
    }
    let accepted: serde_json::Value =
        serde_json::from_slice(&accepted.stdout).map_err(|e| e.to_string())?;
    let credential = accepted["id"]
        .as_str()
        .ok_or("no credential id")?
        .to_owned();
    step(
        "The citizen answers the officer's challenge",
        &[
            "present",
            "--credential",
            &credential,
            "--disclose",
            "tier",
            "--challenge",
            &file("challenge.json"),
            "--compact-out",
            &file("presentation2.bin"),
            "--out",
            &file("presentation2.json"),
        ],
        &env,
    )?;
    for (title, mode) in [
        (
            "The officer verifies online: issuer registered and credential not revoked, proven",
            "--online",
        ),
        ("And offline, from the last verified snapshot", "--offline"),
    ] {
        step(
            title,
            &[
                "verify",
                mode,
                "--presentation",
                &file("presentation2.bin"),
                "--challenge",
                &file("challenge.json"),
            ],
            &env,
        )?;
    }
    Ok(())
}

fn demo() -> Result {
    cargo(&[
        "build",
        "--locked",
        "--quiet",
        "-p",
        "citywallet",
        "-p",
        "citywallet-node",
        "-p",
        "citywallet-issuer",
    ])?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let bin = target.join("debug").join("citywallet");
    let dir = target.join("demo");
    let _ = std::fs::remove_dir_all(&dir);
    let vault = dir.join("vault.db");
    let vault_arg = vault.to_string_lossy().into_owned();

    let step = |title: &str, args: &[&str], env: &[(&str, &str)]| -> Result {
        println!("\n== {title}\n$ citywallet {}", args.join(" "));
        run(Command::new(&bin)
            .args(["--vault", &vault_arg])
            .args(args)
            .env("CITYWALLET_PASSPHRASE", "demo city passphrase")
            .envs(env.iter().copied()))
    };
    step(
        "Create a vault: the recovery phrase is shown once",
        &["init"],
        &[],
    )?;
    step("Show the citizen identity", &["identity", "show"], &[])?;
    step(
        "The same, for scripts",
        &["--json", "identity", "show"],
        &[],
    )?;
    step(
        "Derive a key for an air-quality sensor",
        &["device", "new", "--label", "air sensor, bus stop 12"],
        &[],
    )?;
    step(
        "And one for a traffic counter",
        &["device", "new", "--label", "traffic counter, 5th av"],
        &[],
    )?;
    step("List device keys", &["device", "list"], &[])?;
    step(
        "Change the passphrase: the vault file is re-keyed",
        &["passphrase", "change"],
        &[("CITYWALLET_NEW_PASSPHRASE", "new demo city passphrase")],
    )?;
    step(
        "Open it with the new passphrase",
        &["identity", "show"],
        &[("CITYWALLET_PASSPHRASE", "new demo city passphrase")],
    )?;
    // Credentials: a bureau issues a credit credential; the citizen shows only tier and
    // bureau to an officer, as a QR code; the officer verifies.
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let out = Command::new(&bin)
        .args(["--vault", &vault_arg, "identity", "show"])
        .env("CITYWALLET_PASSPHRASE", "new demo city passphrase")
        .output()
        .map_err(|e| e.to_string())?;
    let did = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("did:key:"))
        .ok_or("no did in identity output")?
        .to_owned();
    let env = [("CITYWALLET_PASSPHRASE", "new demo city passphrase")];
    step(
        "The credit bureau makes its BBS key (demo issuer tool)",
        &[
            "issuer",
            "keygen",
            "--id",
            "city-credit-bureau",
            "--out",
            &file("bureau.json"),
        ],
        &env,
    )?;
    step(
        "It issues a credit credential to the citizen",
        &[
            "issuer",
            "issue",
            "--key",
            &file("bureau.json"),
            "--type",
            "credit",
            "--holder",
            &did,
            "--claims",
            r#"{"score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-01"}"#,
            "--id",
            "urn:uuid:demo-credit-0001",
            "--out",
            &file("credit.json"),
        ],
        &env,
    )?;
    step(
        "The citizen imports it (signature and holder checked)",
        &["credential", "import", &file("credit.json")],
        &env,
    )?;
    step("Held credentials", &["credential", "list"], &env)?;
    step(
        "An officer makes a challenge",
        &[
            "challenge",
            "new",
            "--verifier",
            "officer-17",
            "--out",
            &file("challenge.json"),
        ],
        &env,
    )?;
    step(
        "The citizen shows tier and bureau only, as a QR code",
        &[
            "present",
            "--credential",
            "urn:uuid:demo-credit-0001",
            "--disclose",
            "tier,bureau",
            "--challenge",
            &file("challenge.json"),
            "--out",
            &file("presentation.json"),
            "--compact-out",
            &file("presentation.bin"),
            "--qr",
            "--qr-svg",
            &file("presentation.svg"),
        ],
        &env,
    )?;
    step(
        "The officer verifies the scanned QR payload",
        &[
            "verify",
            "--presentation",
            &file("presentation.bin"),
            "--challenge",
            &file("challenge.json"),
            "--issuers",
            &file("bureau.json"),
        ],
        &env,
    )?;

    chain_demo(&target, &dir, &step, &file)?;

    println!("\n== A wrong passphrase is refused (exit code 2) and changes nothing");
    println!("$ citywallet identity show");
    let status = Command::new(&bin)
        .args(["--vault", &vault_arg, "identity", "show"])
        .env("CITYWALLET_PASSPHRASE", "demo city passphrase")
        .status()
        .map_err(|e| e.to_string())?;
    if status.code() != Some(2) {
        return Err(format!("expected exit code 2, got {status}"));
    }
    println!("\nDemo vault: {}", vault.display());
    Ok(())
}
