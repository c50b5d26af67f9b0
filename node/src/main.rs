//! `citywallet-node`: the city node.
//!
//! `citywallet-node abci --addr 127.0.0.1:26658 --data DIR` serves the city application over
//! the ABCI 0.38 socket protocol for a CometBFT node (`proxy_app = "tcp://..."`); the genesis
//! comes from CometBFT's `app_state` (a [`citywallet_node::app::Genesis`] in JSON).
//!
//! `citywallet-node devnet --validators 4 --rpc 127.0.0.1:26657 --block-time 1000 --data DIR`
//! runs the same application as a local chain with a demo genesis and serves CometBFT's
//! JSON-RPC.
//!
//! `citywallet-node localnet --dir DIR --cometbft PATH` starts real CometBFT validators on
//! loopback, each beside its own `citywallet-node abci`, and leaves them running;
//! `citywallet-node localnet --dir DIR --stop` stops them.

use std::path::PathBuf;

use anyhow::Context;
use citywallet_node::abci::CityAbci;
use citywallet_node::app::App;
use citywallet_node::devnet::{Devnet, DevnetConfig};
use citywallet_node::store::{Retention, Store};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "citywallet-node", version, about = "The CityWallet city node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How much history a node keeps.
#[derive(Debug, Clone, Copy, clap::Args)]
struct Keep {
    /// Heights to keep (the newest ones): older tree nodes and values are pruned as blocks
    /// are written, and a devnet drops its older block records too (block 1 stays). At
    /// least 2.
    #[arg(long, default_value_t = citywallet_node::store::DEFAULT_KEEP_HEIGHTS,
          value_parser = clap::value_parser!(u64).range(2..))]
    keep_heights: u64,
    /// Keep every height (a node that serves proofs and blocks at old heights).
    #[arg(long, conflicts_with = "keep_heights")]
    archive: bool,
}

impl Keep {
    fn retention(self) -> Retention {
        if self.archive {
            Retention::Archive
        } else {
            Retention::Keep(self.keep_heights)
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the application over ABCI for a CometBFT 0.38 node.
    Abci {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:26658")]
        addr: String,
        /// State directory.
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        keep: Keep,
        /// Let CometBFT prune its blocks below the newest N (0: keep every block, so
        /// nodes can block-sync from genesis and wallets anchor on block 1).
        #[arg(long, default_value_t = 0)]
        retain_blocks: u64,
    },
    /// Run a local devnet: N validator keys, blocks on a timer, CometBFT JSON-RPC.
    Devnet {
        /// Number of validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// RPC address.
        #[arg(long, default_value = "127.0.0.1:26657")]
        rpc: std::net::SocketAddr,
        /// A second RPC address serving the same chain (a witness for light clients).
        #[arg(long)]
        witness_rpc: Option<std::net::SocketAddr>,
        /// Milliseconds between blocks.
        #[arg(long, default_value_t = 1000)]
        block_time: u64,
        /// State directory (must be new).
        #[arg(long)]
        data: PathBuf,
        /// Seed for the demo keys, for reproducible runs.
        #[arg(long)]
        seed: Option<u64>,
        /// Chain id.
        #[arg(long, default_value = "citywallet-devnet")]
        chain_id: String,
        /// Test only: the witness serves a conflicting fork (same validators, different
        /// blocks), for light-client fork detection tests.
        #[arg(long, hide = true, requires = "witness_rpc")]
        witness_fork: bool,
        /// A host name clients may use for this node (repeatable), when it serves beyond
        /// loopback; other `Host` headers are refused (DNS rebinding).
        #[arg(long = "rpc-allowed-host")]
        rpc_allowed_hosts: Vec<String>,
        /// Stop when standard input closes (the process that started this one is gone).
        #[arg(long)]
        exit_on_stdin_close: bool,
        #[command(flatten)]
        keep: Keep,
    },
    /// Start a localnet of real CometBFT validators (left running), or stop one.
    Localnet {
        /// Its directory.
        #[arg(long)]
        dir: PathBuf,
        /// Stop the localnet in `--dir`.
        #[arg(long)]
        stop: bool,
        /// Number of validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Non-validator RPC nodes.
        #[arg(long, default_value_t = 0)]
        rpc_nodes: usize,
        /// The cometbft binary (default: $CITYWALLET_COMETBFT, else the one setup builds in
        /// ~/.cache/citywallet/go/bin, else cometbft on the PATH).
        #[arg(long)]
        cometbft: Option<PathBuf>,
        /// Milliseconds CometBFT waits after each block (`timeout_commit`).
        #[arg(long, default_value_t = 300)]
        block_time: u64,
        /// First port: node i serves RPC on base + 10 i, P2P on +1, ABCI on +2.
        #[arg(long, default_value_t = citywallet_node::localnet::DEFAULT_BASE_PORT)]
        base_port: u16,
        /// Seed for the demo keys.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Chain id.
        #[arg(long, default_value = "citywallet-localnet")]
        chain_id: String,
        #[command(flatten)]
        keep: Keep,
        /// Blocks each CometBFT keeps (the newest; 0: all).
        #[arg(long, default_value_t = 0)]
        retain_blocks: u64,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Abci {
            addr,
            data,
            keep,
            retain_blocks,
        } => {
            let store = Store::open_with(&data.join("state.redb"), keep.retention())
                .context("opening the state")?;
            let app = App::open(store)?;
            let listener =
                std::net::TcpListener::bind(&addr).with_context(|| format!("binding {addr}"))?;
            eprintln!("citywallet-node: ABCI on {}", listener.local_addr()?);
            citywallet_node::abci::serve(listener, CityAbci::new(app).retain_blocks(retain_blocks))
                .context("serving ABCI")?;
        }
        Command::Localnet {
            dir,
            stop,
            validators,
            rpc_nodes,
            cometbft,
            block_time,
            base_port,
            seed,
            chain_id,
            keep,
            retain_blocks,
        } => localnet(
            dir,
            stop,
            citywallet_node::localnet::LocalnetConfig {
                dir: PathBuf::new(),
                chain_id,
                validators,
                rpc_nodes,
                seed,
                cometbft: cometbft.unwrap_or_else(citywallet_node::localnet::cometbft_binary),
                app: std::env::current_exe().context("finding this binary")?,
                block_time: std::time::Duration::from_millis(block_time),
                base_port: Some(base_port),
                retention: keep.retention(),
                retain_blocks,
            },
        )?,
        Command::Devnet {
            validators,
            rpc,
            witness_rpc,
            block_time,
            data,
            seed,
            chain_id,
            witness_fork,
            rpc_allowed_hosts,
            exit_on_stdin_close,
            keep,
        } => {
            std::fs::create_dir_all(&data)
                .with_context(|| format!("creating {}", data.display()))?;
            let mut config = DevnetConfig {
                chain_id,
                validators,
                seed,
                data: data.clone(),
                retention: keep.retention(),
            };
            config.seed = Some(citywallet_node::devnet::resolve_seed(&config)?);
            let devnet = if Devnet::exists(&config) {
                let d = Devnet::open(&config)?;
                println!("continuing the devnet in {}", data.display());
                d
            } else {
                let (d, _keys) = Devnet::create(&config)?;
                d.produce_block()?;
                d
            };
            let fork = if witness_fork {
                anyhow::ensure!(
                    !Devnet::exists(&DevnetConfig {
                        data: data.join("fork"),
                        ..config.clone()
                    }),
                    "--witness-fork needs a new --data directory"
                );
                Some(Devnet::create_fork(&config)?)
            } else {
                None
            };
            if let Some((f, k)) = &fork {
                f.produce_fork_block(k)?;
            }
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async move {
                let options = citywallet_node::rpc::ServeOptions {
                    allowed_hosts: rpc_allowed_hosts,
                    ..Default::default()
                };
                let (addr, _rpc) =
                    citywallet_node::rpc::serve_with(devnet.clone(), rpc, options.clone()).await?;
                println!(
                    "citywallet-node devnet: chain {} with {validators} validators",
                    devnet.genesis().chain_id
                );
                println!("RPC: http://{addr}");
                if let Some(w) = witness_rpc {
                    let served = fork
                        .as_ref()
                        .map_or_else(|| devnet.clone(), |(f, _)| f.clone());
                    let (waddr, _witness) =
                        citywallet_node::rpc::serve_with(served, w, options).await?;
                    let what = if fork.is_some() {
                        "witness RPC (serving a conflicting fork)"
                    } else {
                        "witness RPC"
                    };
                    println!("{what}: http://{waddr}");
                }
                println!("demo keys: {}", data.join("devnet-keys.json").display());
                let mut tick =
                    tokio::time::interval(std::time::Duration::from_millis(block_time.max(10)));
                let mut parent_gone = Box::pin(async move {
                    if !exit_on_stdin_close {
                        return std::future::pending().await;
                    }
                    // A thread, not a blocking task: the runtime does not wait for it on exit.
                    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
                        let _ = tx.send(());
                    });
                    let _ = rx.await;
                });
                loop {
                    tokio::select! {
                        _ = &mut parent_gone => break,
                        _ = tick.tick() => {
                            let d = devnet.clone();
                            tokio::task::spawn_blocking(move || d.produce_block()).await??;
                            if let Some((f, k)) = &fork {
                                f.produce_fork_block(k)?;
                            }
                        }
                        _ = tokio::signal::ctrl_c() => break,
                    }
                }
                anyhow::Ok(())
            })?;
        }
    }
    Ok(())
}

fn localnet(
    dir: PathBuf,
    stop: bool,
    mut config: citywallet_node::localnet::LocalnetConfig,
) -> anyhow::Result<()> {
    use citywallet_node::localnet;
    if stop {
        let n = localnet::stop_dir(&dir, std::time::Duration::from_secs(10))?;
        println!("stopped {n} processes of the localnet in {}", dir.display());
        return Ok(());
    }
    config.dir = dir;
    let mut net = localnet::Localnet::create(config)?;
    net.start_all()?;
    net.wait_height(2, std::time::Duration::from_secs(120))?;
    println!(
        "localnet: chain {} on CometBFT {}, {} nodes",
        net.genesis().chain_id,
        localnet::COMETBFT_VERSION,
        net.nodes().len()
    );
    for n in net.nodes() {
        let role = if n.validator { "validator" } else { "rpc node" };
        println!(
            "{} ({role}): RPC {}  logs {}",
            n.name,
            n.url(),
            n.home.join("cometbft.log").display()
        );
    }
    println!(
        "demo keys: {}",
        net.dir().join(citywallet_node::devnet::KEYS_FILE).display()
    );
    println!(
        "stop: citywallet-node localnet --dir {} --stop",
        net.dir().display()
    );
    net.detach();
    Ok(())
}
