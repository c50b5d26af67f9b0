//! `citywallet-node`: the city node.
//!
//! `citywallet-node abci --addr 127.0.0.1:26658 --data DIR` serves the city application over
//! the ABCI 0.38 socket protocol for a CometBFT node (`proxy_app = "tcp://..."`); the genesis
//! comes from CometBFT's `app_state` (a [`citywallet_node::app::Genesis`] in JSON).

use std::path::PathBuf;

use anyhow::Context;
use citywallet_node::abci::CityAbci;
use citywallet_node::app::App;
use citywallet_node::store::Store;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "citywallet-node", version, about = "The CityWallet city node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Abci { addr, data } => {
            let store = Store::open(&data.join("state.redb")).context("opening the state")?;
            let app = App::open(store)?;
            let server = tendermint_abci::ServerBuilder::default()
                .bind(&addr, CityAbci::new(app))
                .with_context(|| format!("binding {addr}"))?;
            eprintln!("citywallet-node: ABCI on {}", server.local_addr());
            server.listen().context("serving ABCI")?;
        }
    }
    Ok(())
}
