//! The devnet's demo issuers as issuer services: the City Credit Bureau and City Hall, each
//! an [`Issuer`] with its own encrypted vault under `DEVNET/demo-issuers/{id}`, set up once
//! from the devnet's issuer key files (the keys its genesis registered), served on loopback
//! with `POST /demo/offer` for the demo citizen. Where they listen is written to
//! `DEVNET/demo-issuers.json` for the app, the command line and the tests to find them.
//!
//! This runs in the issuer's process (`citywallet-issuer demo`), never in a citizen's: the
//! wallet only ever talks OpenID4VCI to the URLs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_wallet::Network;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::service::{Issuer, Setup, demo_claims, rfc3339};
use crate::store::Citizen;
use crate::{IssuerError, Result, http};

/// The file, in the devnet's data directory, that says where the demo issuers listen.
pub const DEMO_ISSUERS_FILE: &str = "demo-issuers.json";

/// One demo issuer, as [`DEMO_ISSUERS_FILE`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoIssuer {
    /// Registry id.
    pub id: String,
    /// Its credential issuer URL.
    pub url: String,
    /// The credential types it offers.
    pub credentials: Vec<String>,
}

/// The devnet's demo issuers: (id, name, key file in the devnet's data, credential types).
/// The key file names are `citywallet_node::devnet`'s.
pub const DEMO_ISSUERS: [(&str, &str, &str, &[&str]); 2] = [
    (
        "city-credit-bureau",
        "City Credit Bureau",
        "devnet-issuer-key.json",
        &["credit", "residency"],
    ),
    (
        "city-hall",
        "City Hall",
        "devnet-cityhall-key.json",
        &["officer", "technician", "residency", "biometric"],
    ),
];

/// The demo issuers listed in `devnet_data`, if they were started for it.
pub fn read_demo_issuers(devnet_data: &Path) -> Option<Vec<DemoIssuer>> {
    let bytes = std::fs::read(devnet_data.join(DEMO_ISSUERS_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn passphrase(dir: &Path) -> Result<Passphrase> {
    let file = dir.join("passphrase");
    let setup = |e: std::io::Error| IssuerError::Setup(format!("{}: {e}", file.display()));
    if !file.exists() {
        citywallet_files::create_private_dirs(dir).map_err(setup)?;
        // A local demo's vault passphrase, kept beside it (owner only).
        let text = crate::store::random_text(24)?;
        citywallet_files::write_new(&file, text.as_bytes()).map_err(setup)?;
    }
    let text = Zeroizing::new(std::fs::read_to_string(&file).map_err(setup)?);
    Ok(Passphrase::new(text.trim().to_owned()))
}

/// Open (setting up the first time) the demo issuer `index` of [`DEMO_ISSUERS`] for the
/// devnet in `devnet_data`, with its demo citizen's record.
pub fn open_demo_issuer(
    devnet_data: &Path,
    index: usize,
    network: &Network,
    kdf: KdfParams,
) -> Result<Issuer> {
    let (id, name, key_file, kinds) = DEMO_ISSUERS[index];
    let dir: PathBuf = devnet_data.join("demo-issuers").join(id);
    let pass = passphrase(&dir)?;
    let mut issuer = if dir.join(crate::service::VAULT_FILE).exists() {
        Issuer::open(&dir, &pass)?
    } else {
        let key = Zeroizing::new(
            std::fs::read(devnet_data.join(key_file))
                .map_err(|e| IssuerError::Setup(format!("{key_file}: {e}")))?,
        );
        let kinds: Vec<CredentialType> = kinds
            .iter()
            .map(|k| CredentialType::parse(k))
            .collect::<std::result::Result<_, _>>()?;
        Issuer::init(
            &dir,
            &pass,
            kdf,
            &Setup {
                id,
                name,
                kinds: &kinds,
                key_file: Some(&key),
                network: network.clone(),
                private_window_secs: None,
            },
        )?
    };
    put_demo_citizen(&mut issuer)?;
    Ok(issuer)
}

/// Give the demo citizen's record every credential `issuer` offers, with the demo claims
/// dated today.
pub fn put_demo_citizen(issuer: &mut Issuer) -> Result<()> {
    let today = rfc3339(crate::service::unix_now())?;
    let entitlements = issuer
        .identity()
        .kinds
        .iter()
        .filter_map(|k| CredentialType::parse(k).ok())
        .map(|k| (k.as_str().to_owned(), demo_claims(k, &today[..10])))
        .collect();
    issuer.put_citizen(&Citizen {
        id: http::DEMO_CITIZEN.into(),
        name: "Demo Citizen".into(),
        entitlements,
    })
}

/// Serve every demo issuer of the devnet in `devnet_data` on a free loopback port, write
/// [`DEMO_ISSUERS_FILE`], and run until `stop` resolves.
pub async fn serve_demo_issuers(
    devnet_data: &Path,
    network: &Network,
    kdf: KdfParams,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Vec<DemoIssuer>> {
    let file = devnet_data.join(DEMO_ISSUERS_FILE);
    if file.exists() {
        // An earlier run's ports: nobody should find those.
        std::fs::remove_file(&file)?;
    }
    let mut listed = Vec::new();
    let mut servers = Vec::new();
    let (tx, _) = tokio::sync::broadcast::channel::<()>(1);
    for index in 0..DEMO_ISSUERS.len() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let data = devnet_data.to_owned();
        let net = network.clone();
        let mut issuer =
            tokio::task::spawn_blocking(move || open_demo_issuer(&data, index, &net, kdf))
                .await??;
        issuer.set_url(&url)?;
        listed.push(DemoIssuer {
            id: issuer.identity().id.clone(),
            url,
            credentials: issuer.identity().kinds.clone(),
        });
        let app = http::router(Arc::new(Mutex::new(issuer)), true);
        let mut rx = tx.subscribe();
        servers.push(tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.recv().await;
                })
                .await
        }));
    }
    citywallet_files::replace(&file, &serde_json::to_vec_pretty(&listed)?)?;
    let out = listed.clone();
    tokio::spawn(async move {
        stop.await;
        let _ = tx.send(());
    });
    for s in servers {
        s.await??;
    }
    Ok(out)
}

/// The demo issuers served from a thread of this process until the last handle to them is
/// dropped: for tests, which play the issuers' part beside the wallet under test. Tests of
/// one process that share a devnet (the localnet backend) share its demo issuers.
#[derive(Debug, Clone)]
pub struct Background(#[allow(dead_code)] Arc<Running>);

#[derive(Debug)]
struct Running {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

type Shared = Mutex<Vec<(PathBuf, std::sync::Weak<Running>)>>;
static RUNNING: Shared = Mutex::new(Vec::new());

/// [`serve_demo_issuers`] on a thread with its own runtime, or the ones already serving
/// `devnet_data` in this process; returns once [`DEMO_ISSUERS_FILE`] lists them (within a
/// minute).
pub fn serve_in_background(
    devnet_data: &Path,
    network: &Network,
    kdf: KdfParams,
) -> anyhow::Result<Background> {
    let mut running = RUNNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    running.retain(|(_, r)| r.strong_count() > 0);
    if let Some(r) = running
        .iter()
        .find(|(p, _)| p == devnet_data)
        .and_then(|(_, r)| r.upgrade())
    {
        return Ok(Background(r));
    }
    let _ = std::fs::remove_file(devnet_data.join(DEMO_ISSUERS_FILE));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (data, net) = (devnet_data.to_owned(), network.clone());
    let thread = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
        else {
            return;
        };
        let _ = rt.block_on(serve_demo_issuers(&data, &net, kdf, async {
            let _ = stopped.await;
        }));
    });
    let r = Arc::new(Running {
        stop: Some(stop),
        thread: Some(thread),
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while read_demo_issuers(devnet_data).is_none() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline
                && !r.thread.as_ref().is_some_and(|t| t.is_finished()),
            "the demo issuers did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    running.push((devnet_data.to_owned(), Arc::downgrade(&r)));
    Ok(Background(r))
}
