//! `citywallet-verifier`: run an organisation's OpenID4VP verifier, and its operator's
//! commands.
//!
//! ```text
//! citywallet-verifier --data DIR init --key-file ORG-KEY.json --node URL [--witness URL]
//! citywallet-verifier --data DIR serve [--listen 127.0.0.1:8490] [--url URL]
//! citywallet-verifier --data DIR ask --credential credit --claim tier [--claim …] [--qr FILE.svg]
//! citywallet-verifier --data DIR outcome ID
//! citywallet-verifier --data DIR status
//! ```
//! The vault's passphrase comes from `CITYWALLET_VERIFIER_PASSPHRASE` or
//! `--passphrase-file`.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_verifier::http::Server;
use citywallet_verifier::{Service, VerifierError};
use citywallet_wallet::Network;
use citywallet_wallet::verifier::{Ask, AskPrivacy};
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "citywallet-verifier",
    about = "An organisation's OpenID4VP verifier of city credentials"
)]
struct Cli {
    /// The verifier's data directory (its encrypted vault).
    #[arg(long, env = "CITYWALLET_VERIFIER_DATA")]
    data: PathBuf,
    /// A file holding the vault's passphrase (else CITYWALLET_VERIFIER_PASSPHRASE).
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
    /// Set up the verifier: its vault, the organisation's key and the chain's nodes.
    Init {
        /// The organisation key file (its key registered on the chain).
        #[arg(long)]
        key_file: PathBuf,
        /// The primary city node's RPC.
        #[arg(long)]
        node: String,
        /// A witness node's RPC (repeat).
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// Cheap key derivation, for tests only.
        #[arg(long, hide = true)]
        test_kdf: bool,
    },
    /// Serve the request and response endpoints until stopped.
    Serve {
        /// Address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8490")]
        listen: String,
        /// The public URL (default: http:// and the address listened on).
        #[arg(long)]
        url: Option<String>,
        /// Stop when standard input closes.
        #[arg(long)]
        exit_on_stdin_close: bool,
    },
    /// Ask a citizen for a credential: prints the request URI (and writes its QR code).
    Ask {
        /// The credential type.
        #[arg(long)]
        credential: String,
        /// A claim wanted (repeat).
        #[arg(long = "claim", required = true)]
        claims: Vec<String>,
        /// Ask for a pseudonym for this purpose: the citizen's wallet shows that this
        /// verifier will recognise them next time (without learning who they are).
        #[arg(long, conflicts_with = "linkable")]
        pseudonym: Option<String>,
        /// Ask for the ordinary, linkable credential (its id and the holder's DID); the
        /// citizen's wallet shows that this verifier can recognise the credential.
        #[arg(long)]
        linkable: bool,
        /// Write the QR code (SVG) here.
        #[arg(long)]
        qr: Option<PathBuf>,
    },
    /// What became of a request.
    Outcome {
        /// The request id.
        id: String,
    },
    /// The organisation's record on the chain, proven.
    Status,
    /// Record on the chain one use of a citizen's data under a grant made to this
    /// organisation (the citizen's wallet shows it).
    Use {
        /// The grant's id.
        #[arg(long)]
        grant: String,
        /// The data category used (one the grant covers).
        #[arg(long)]
        category: String,
        /// What it was used for.
        #[arg(long)]
        purpose: String,
    },
}

fn passphrase(cli: &Cli) -> anyhow::Result<Passphrase> {
    citywallet_wallet::input::service_passphrase(
        cli.passphrase_file.as_deref(),
        "CITYWALLET_VERIFIER_PASSPHRASE",
    )
    .context("set CITYWALLET_VERIFIER_PASSPHRASE or pass --passphrase-file")
}

fn show(cli: &Cli, value: &serde_json::Value, text: impl FnOnce() -> String) {
    let mut out = std::io::stdout().lock();
    let _ = if cli.json {
        writeln!(out, "{value}")
    } else {
        writeln!(out, "{}", text())
    };
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let pass = passphrase(cli)?;
    match &cli.cmd {
        Cmd::Init {
            key_file,
            node,
            witnesses,
            test_kdf,
        } => {
            let bytes = std::fs::read(key_file).with_context(|| key_file.display().to_string())?;
            std::fs::create_dir_all(&cli.data)?;
            let kdf = if *test_kdf {
                KdfParams {
                    m_cost_kib: 256,
                    t_cost: 1,
                    p_cost: 1,
                }
            } else {
                KdfParams::RECOMMENDED
            };
            let s = Service::init(
                &cli.data,
                &pass,
                kdf,
                &bytes,
                &Network {
                    primary: node.clone(),
                    witnesses: witnesses.clone(),
                },
            )?;
            show(cli, &json!({ "org": s.org() }), || {
                format!("verifier of {} set up in {}", s.org(), cli.data.display())
            });
        }
        Cmd::Serve {
            listen,
            url,
            exit_on_stdin_close,
        } => {
            let mut s = Service::open(&cli.data, &pass)?;
            let listener = std::net::TcpListener::bind(listen).with_context(|| listen.clone())?;
            let addr = listener.local_addr()?;
            let url = url.clone().unwrap_or_else(|| format!("http://{addr}"));
            s.set_url(&url)?;
            let server = Server::spawn(listener, Arc::new(Mutex::new(s)))?;
            show(cli, &json!({ "listening": url }), || {
                format!("serving at {url}")
            });
            if *exit_on_stdin_close {
                for line in std::io::stdin().lock().lines() {
                    if line.is_err() {
                        break;
                    }
                }
            } else {
                loop {
                    std::thread::park();
                }
            }
            drop(server);
        }
        Cmd::Ask {
            credential,
            claims,
            pseudonym,
            linkable,
            qr,
        } => {
            let mut s = Service::open(&cli.data, &pass)?;
            let kind = CredentialType::parse(credential)?;
            let privacy = match (pseudonym, linkable) {
                (Some(purpose), _) => AskPrivacy::Pseudonym {
                    purpose: purpose.clone(),
                },
                (None, true) => AskPrivacy::Linkable,
                (None, false) => AskPrivacy::Unlinkable,
            };
            let r = s.ask(&[Ask {
                kind,
                claims: claims.clone(),
                privacy,
            }])?;
            if let Some(path) = qr {
                std::fs::write(path, &r.qr_svg).with_context(|| path.display().to_string())?;
            }
            show(
                cli,
                &json!({ "id": r.id, "uri": r.uri, "expiresAt": r.expires_at }),
                || format!("request {}\n{}", r.id, r.uri),
            );
        }
        Cmd::Outcome { id } => {
            let s = Service::open(&cli.data, &pass)?;
            let o = serde_json::to_value(s.outcome(id)?)?;
            show(cli, &o, || o.to_string());
        }
        Cmd::Status => {
            let mut s = Service::open(&cli.data, &pass)?;
            let (rec, matches) = s.status()?;
            let v = json!({ "org": s.org(), "record": rec, "keyMatches": matches });
            show(cli, &v, || match &rec {
                Some(r) => format!(
                    "{} ({}): {:?}, key {}",
                    r.name,
                    r.id,
                    r.status,
                    if matches { "matches" } else { "DOES NOT match" }
                ),
                None => format!("{} is not registered on the chain", s.org()),
            });
        }
        Cmd::Use {
            grant,
            category,
            purpose,
        } => {
            let mut s = Service::open(&cli.data, &pass)?;
            let r = s.record_use(grant, category, purpose)?;
            show(cli, &serde_json::to_value(&r)?, || {
                format!(
                    "use {} of {category} under {grant} is proven on chain at height {}",
                    r.subject, r.height
                )
            });
        }
    }
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        let code = e
            .downcast_ref::<VerifierError>()
            .map(VerifierError::code)
            .unwrap_or_else(|| "error".into());
        eprintln!("citywallet-verifier: {e:#} ({code})");
        std::process::exit(1);
    }
}
