//! `citywallet-issuer`: run a department's issuer, and its operator's commands.
//!
//! ```text
//! citywallet-issuer --data DIR init --id ID --name NAME --credential credit [--import-key FILE] --node URL [--witness URL]
//! citywallet-issuer --data DIR serve [--listen 127.0.0.1:8480] [--url URL] [--demo]
//! citywallet-issuer --data DIR citizen add --id ID --name NAME --credential TYPE --claims JSON
//! citywallet-issuer --data DIR citizen list
//! citywallet-issuer --data DIR offer create --citizen ID --credential TYPE [--tx-code] [--qr FILE.svg]
//! citywallet-issuer --data DIR offer list
//! citywallet-issuer --data DIR issued
//! citywallet-issuer --data DIR revoke --credential ID --reason TEXT
//! citywallet-issuer --data DIR status
//! ```
//! The vault's passphrase comes from `CITYWALLET_ISSUER_PASSPHRASE` or `--passphrase-file`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_issuer::store::Citizen;
use citywallet_issuer::{Issuer, IssuerError, Setup, http};
use citywallet_wallet::Network;
use clap::{Parser, Subcommand};
use serde_json::json;
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "citywallet-issuer",
    about = "A department's OpenID4VCI issuer of W3C VC 2.0 bbs-2023 credentials"
)]
struct Cli {
    /// The issuer's data directory (its encrypted vault).
    #[arg(long, env = "CITYWALLET_ISSUER_DATA")]
    data: Option<PathBuf>,
    /// A file holding the vault's passphrase (else CITYWALLET_ISSUER_PASSPHRASE).
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Set up an issuer: its vault, identity, keys and the chain's nodes.
    Init {
        /// Its id in the chain's issuer registry.
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// A credential type it offers (repeat).
        #[arg(long = "credential", required = true)]
        credentials: Vec<String>,
        /// Import this issuer key file (with its operator key) instead of making new keys.
        #[arg(long)]
        import_key: Option<PathBuf>,
        /// The primary city node's RPC.
        #[arg(long)]
        node: String,
        /// A witness node's RPC (repeat).
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// The validity window of private credentials, seconds (default a week; at most the
        /// revocation bound of the issuer's record on the chain).
        #[arg(long)]
        private_window_secs: Option<i64>,
        /// Cheap key derivation, for tests only.
        #[arg(long, hide = true)]
        test_kdf: bool,
    },
    /// Serve OpenID4VCI until stopped.
    Serve {
        /// Address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: String,
        /// The public credential issuer URL (default: http:// and the address listened on).
        #[arg(long)]
        url: Option<String>,
        /// Serve `POST /demo/offer` for the demo citizen (devnets only).
        #[arg(long)]
        demo: bool,
    },
    /// The department's records.
    #[command(subcommand)]
    Citizen(CitizenCmd),
    /// Credential offers.
    #[command(subcommand)]
    Offer(OfferCmd),
    /// Credentials issued.
    Issued,
    /// Revoke a credential on the chain.
    Revoke {
        /// Credential id.
        #[arg(long)]
        credential: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Revoke a citizen's private credential of a type (it has no id on the chain): it is
    /// refreshed no more and stops passing within the chain's revocation bound.
    RevokePrivate {
        /// Citizen id.
        #[arg(long)]
        citizen: String,
        /// Credential type.
        #[arg(long)]
        kind: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// This issuer's record on the chain, proven.
    Status,
    /// Serve a devnet's demo issuers (the credit bureau and City Hall), set up from its
    /// key files, and write where they listen to DEVNET/demo-issuers.json.
    Demo {
        /// The devnet's data directory.
        #[arg(long)]
        devnet_data: PathBuf,
        /// The devnet's primary RPC.
        #[arg(long)]
        node: String,
        /// Its witness RPC (repeat).
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// Stop when standard input closes (the process that started this one is gone).
        #[arg(long)]
        exit_on_stdin_close: bool,
    },
}

#[derive(Subcommand)]
enum CitizenCmd {
    /// Add (or replace) a citizen's entitlement to one credential type.
    Add {
        /// Record id.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Credential type.
        #[arg(long)]
        credential: String,
        /// The claims, as a JSON object of strings or numbers.
        #[arg(long)]
        claims: String,
    },
    /// Every record.
    List,
}

#[derive(Subcommand)]
enum OfferCmd {
    /// Offer a citizen a credential their record entitles them to.
    Create {
        /// Record id.
        #[arg(long)]
        citizen: String,
        /// Credential type.
        #[arg(long)]
        credential: String,
        /// Require a transaction code, printed here to send another way.
        #[arg(long)]
        tx_code: bool,
        /// Seconds the offer waits.
        #[arg(long)]
        ttl: Option<i64>,
        /// Also write the offer's QR code as SVG here.
        #[arg(long)]
        qr: Option<PathBuf>,
    },
    /// Every offer.
    List,
}

fn passphrase(cli: &Cli) -> anyhow::Result<Passphrase> {
    citywallet_wallet::input::service_passphrase(
        cli.passphrase_file.as_deref(),
        "CITYWALLET_ISSUER_PASSPHRASE",
    )
    .context("set CITYWALLET_ISSUER_PASSPHRASE or pass --passphrase-file")
}

fn show(cli: &Cli, value: &serde_json::Value, text: impl FnOnce() -> String) {
    let mut out = std::io::stdout().lock();
    let _ = if cli.json {
        writeln!(out, "{value}")
    } else {
        writeln!(out, "{}", text())
    };
}

fn claims(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let v: serde_json::Value = serde_json::from_str(text).context("--claims is not JSON")?;
    let obj = v.as_object().context("--claims is not a JSON object")?;
    obj.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Ok((k.clone(), n.to_string())),
            _ => anyhow::bail!("claim {k} is not a string or a number"),
        })
        .collect()
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    if let Cmd::Demo {
        devnet_data,
        node,
        witnesses,
        exit_on_stdin_close,
    } = &cli.cmd
    {
        return demo(cli, devnet_data, node, witnesses, *exit_on_stdin_close);
    }
    let pass = passphrase(cli)?;
    let data = cli.data.clone().context("--data DIR is required")?;
    match &cli.cmd {
        Cmd::Init {
            id,
            name,
            credentials,
            import_key,
            node,
            witnesses,
            private_window_secs,
            test_kdf,
        } => {
            let kinds = credentials
                .iter()
                .map(|c| CredentialType::parse(c))
                .collect::<Result<Vec<_>, _>>()?;
            let key = import_key
                .as_ref()
                .map(|p| {
                    std::fs::read(p)
                        .map(Zeroizing::new)
                        .with_context(|| p.display().to_string())
                })
                .transpose()?;
            let kdf = if *test_kdf {
                KdfParams {
                    m_cost_kib: 256,
                    t_cost: 1,
                    p_cost: 1,
                }
            } else {
                KdfParams::RECOMMENDED
            };
            let issuer = Issuer::init(
                &data,
                &pass,
                kdf,
                &Setup {
                    id,
                    name,
                    kinds: &kinds,
                    key_file: key.as_deref().map(Vec::as_slice),
                    network: Network {
                        primary: node.clone(),
                        witnesses: witnesses.clone(),
                    },
                    private_window_secs: *private_window_secs,
                },
            )?;
            let identity = issuer.identity();
            show(cli, &serde_json::to_value(identity)?, || {
                format!(
                    "issuer {} set up in {}\nBBS public key {}\nits chain record must hold this key",
                    identity.id,
                    data.display(),
                    identity.bbs_public_key
                )
            });
        }
        Cmd::Demo { .. } => unreachable!("handled above"),
        Cmd::Serve { listen, url, demo } => {
            serve(cli, &data, &pass, listen, url.as_deref(), *demo)?
        }
        Cmd::Citizen(CitizenCmd::Add {
            id,
            name,
            credential,
            claims: text,
        }) => {
            let mut issuer = Issuer::open(&data, &pass)?;
            let mut record = issuer
                .citizens()?
                .into_iter()
                .find(|c| &c.id == id)
                .unwrap_or(Citizen {
                    id: id.clone(),
                    name: name.clone(),
                    entitlements: BTreeMap::new(),
                });
            record.name = name.clone();
            let kind = CredentialType::parse(credential)?;
            record
                .entitlements
                .insert(kind.as_str().to_owned(), claims(text)?);
            issuer.put_citizen(&record)?;
            show(cli, &serde_json::to_value(&record)?, || {
                format!("citizen {id}: entitled to {}", kind.as_str())
            });
        }
        Cmd::Citizen(CitizenCmd::List) => {
            let list = Issuer::open(&data, &pass)?.citizens()?;
            show(cli, &serde_json::to_value(&list)?, || {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}  {}  {}",
                            c.id,
                            c.name,
                            c.entitlements.keys().cloned().collect::<Vec<_>>().join(",")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Cmd::Offer(OfferCmd::Create {
            citizen,
            credential,
            tx_code,
            ttl,
            qr,
        }) => {
            let mut issuer = Issuer::open(&data, &pass)?;
            let offer = issuer.create_offer(citizen, credential, *tx_code, *ttl)?;
            let code = qrcode::QrCode::new(offer.uri.as_bytes())
                .context("the offer does not fit a QR code")?;
            if let Some(path) = qr {
                let svg = code
                    .render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(256, 256)
                    .build();
                std::fs::write(path, svg).with_context(|| path.display().to_string())?;
            }
            show(cli, &serde_json::to_value(&offer)?, || {
                let picture = code
                    .render::<qrcode::render::unicode::Dense1x2>()
                    .quiet_zone(true)
                    .build();
                let pin = offer
                    .tx_code
                    .as_deref()
                    .map(|p| format!("\ntransaction code (send it another way): {p}"))
                    .unwrap_or_default();
                format!(
                    "{picture}\n{}\noffer {} for {citizen}, until {}{pin}",
                    offer.uri, offer.id, offer.expires_at
                )
            });
        }
        Cmd::Offer(OfferCmd::List) => {
            let list = Issuer::open(&data, &pass)?.offers()?;
            show(cli, &serde_json::to_value(&list)?, || {
                list.iter()
                    .map(|o| {
                        format!(
                            "{}  {}  {}  {}  {}",
                            o.id,
                            o.citizen,
                            o.kind,
                            o.state,
                            o.credential_id.as_deref().unwrap_or("-")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Cmd::Issued => {
            let list = Issuer::open(&data, &pass)?.issued()?;
            show(cli, &serde_json::to_value(&list)?, || {
                list.iter()
                    .map(|c| format!("{}  {}  {}  {}", c.id, c.kind, c.citizen, c.holder))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Cmd::Revoke { credential, reason } => {
            let r = Issuer::open(&data, &pass)?.revoke(credential, reason)?;
            show(cli, &serde_json::to_value(&r)?, || {
                format!(
                    "credential {credential} revoked, proven at height {}",
                    r.height
                )
            });
        }
        Cmd::RevokePrivate {
            citizen,
            kind,
            reason,
        } => {
            Issuer::open(&data, &pass)?.revoke_private(citizen, kind, reason)?;
            show(
                cli,
                &json!({ "citizen": citizen, "kind": kind, "revoked": true }),
                || {
                    format!(
                        "{kind} credential of {citizen} revoked: not refreshed from now on; the one held stops passing at its window's end"
                    )
                },
            );
        }
        Cmd::Status => {
            let mut issuer = Issuer::open(&data, &pass)?;
            let (record, height) = issuer.chain_record()?;
            let key = issuer.identity().bbs_public_key.clone();
            let matches = record.as_ref().is_some_and(|r| r.bbs_public_key == key);
            show(
                cli,
                &json!({ "record": record, "height": height, "keyMatches": matches }),
                || match &record {
                    None => format!(
                        "no issuer record {} on the chain (proven absent at height {height})",
                        issuer.identity().id
                    ),
                    Some(r) => format!(
                        "issuer {} ({}) is {:?} at height {height}; its key {} this service's",
                        r.id,
                        r.name,
                        r.status,
                        if matches { "is" } else { "is NOT" }
                    ),
                },
            );
        }
    }
    Ok(())
}

fn serve(
    cli: &Cli,
    data: &std::path::Path,
    pass: &Passphrase,
    listen: &str,
    url: Option<&str>,
    demo: bool,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| listen.to_owned())?;
        let addr = listener.local_addr()?;
        let mut issuer = Issuer::open(data, pass)?;
        let url = url.map(str::to_owned).unwrap_or_else(|| format!("http://{addr}"));
        issuer.set_url(&url)?;
        if demo {
            citywallet_issuer::demo::put_demo_citizen(&mut issuer)?;
        }
        show(cli, &json!({ "url": url, "issuer": issuer.identity().id }), || {
            format!("issuer {} serving OpenID4VCI at {url}", issuer.identity().id)
        });
        let app = http::router(Arc::new(Mutex::new(issuer)), demo);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
                }
            })
            .await?;
        anyhow::Ok(())
    })
}

fn demo(
    cli: &Cli,
    devnet_data: &std::path::Path,
    node: &str,
    witnesses: &[String],
    exit_on_stdin_close: bool,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let network = Network {
        primary: node.to_owned(),
        witnesses: witnesses.to_vec(),
    };
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let file = devnet_data.join(citywallet_issuer::demo::DEMO_ISSUERS_FILE);
    let json = cli.json;
    let watcher = std::thread::spawn(move || {
        // Say where they listen once the file is written.
        while started_rx.try_recv().is_err() {
            if let Some(list) = std::fs::read(&file).ok().and_then(|b| {
                serde_json::from_slice::<Vec<citywallet_issuer::demo::DemoIssuer>>(&b).ok()
            }) {
                let mut out = std::io::stdout().lock();
                let _ = if json {
                    writeln!(out, "{}", serde_json::to_string(&list).unwrap_or_default())
                } else {
                    writeln!(
                        out,
                        "{}",
                        list.iter()
                            .map(|i| format!("{} serving OpenID4VCI at {}", i.id, i.url))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )
                };
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    let stop = async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let stdin_closed = async move {
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
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
            _ = stdin_closed => {}
        }
    };
    let out = rt.block_on(citywallet_issuer::demo::serve_demo_issuers(
        devnet_data,
        &network,
        KdfParams::RECOMMENDED,
        stop,
    ));
    let _ = started_tx.send(());
    let _ = watcher.join();
    out.map(|_| ())
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        let code = e
            .downcast_ref::<IssuerError>()
            .map(IssuerError::code)
            .or_else(|| e.downcast_ref::<citywallet_core::Error>().map(|e| e.code()))
            .unwrap_or("error");
        eprintln!("citywallet-issuer: {e:#} ({code})");
        std::process::exit(1);
    }
}
