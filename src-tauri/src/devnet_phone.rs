//! The embedded devnet on a phone, where the app cannot start other programs: the city
//! node's devnet runs in the app's process, on loopback, and the app talks to it over
//! JSON-RPC like to any node. Its genesis keys are made in this process, so a phone build
//! runs no demo issuers (demo credentials need a desktop devnet or a city's issuers); the
//! desktop starts the devnet and its issuers as separate programs (`devnet.rs`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use citywallet_node::devnet::{Devnet, DevnetConfig, resolve_seed};

/// Where the embedded devnet serves.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// Primary RPC URL.
    pub primary: String,
    /// Witness RPC URL (the same chain on a second address).
    pub witness: String,
    /// Its data directory (demo issuer and admin keys).
    pub data: PathBuf,
}

/// Milliseconds between blocks.
const BLOCK_MS: u64 = 1000;

async fn bind(devnet: Devnet, preferred: u16) -> Result<SocketAddr, String> {
    let first = citywallet_node::rpc::serve(
        devnet.clone(),
        SocketAddr::from(([127, 0, 0, 1], preferred)),
    )
    .await;
    let (addr, _) = match first {
        Ok(ok) => ok,
        // The port is taken (another devnet?): any free one.
        Err(_) => citywallet_node::rpc::serve(devnet, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| format!("serving the devnet: {e}"))?,
    };
    Ok(addr)
}

/// The devnet in `dir`: continued when it exists, else created with a random seed.
fn open_or_create(dir: &Path) -> Result<Devnet, String> {
    let mut config = DevnetConfig {
        chain_id: "citywallet-devnet".into(),
        validators: 4,
        seed: None,
        data: dir.to_owned(),
        retention: citywallet_node::store::Retention::default(),
    };
    if Devnet::exists(&config) {
        return Devnet::open(&config).map_err(|e| e.to_string());
    }
    config.seed = Some(resolve_seed(&config).map_err(|e| e.to_string())?);
    let (d, _) = Devnet::create(&config).map_err(|e| e.to_string())?;
    d.produce_block().map_err(|e| e.to_string())?;
    Ok(d)
}

/// A block every [`BLOCK_MS`], off the async threads, until production fails.
fn produce_blocks(devnet: Devnet) {
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(BLOCK_MS));
        loop {
            tick.tick().await;
            let d = devnet.clone();
            if tauri::async_runtime::spawn_blocking(move || d.produce_block())
                .await
                .map(|r| r.is_err())
                .unwrap_or(true)
            {
                break;
            }
        }
    });
}

/// Start (or continue) the devnet in `data_dir/devnet`.
pub fn start(data_dir: &Path) -> Result<Embedded, String> {
    let dir = data_dir.join("devnet");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let devnet = open_or_create(&dir)?;
    devnet.produce_block().map_err(|e| e.to_string())?;
    let (primary, witness) = tauri::async_runtime::block_on(async {
        let p = bind(devnet.clone(), 26657).await?;
        let w = bind(devnet.clone(), 26658).await?;
        Ok::<_, String>((p, w))
    })?;
    produce_blocks(devnet);
    Ok(Embedded {
        primary: format!("http://{primary}"),
        witness: format!("http://{witness}"),
        data: dir,
    })
}
