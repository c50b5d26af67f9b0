//! `citywallet`: the CityWallet command line. A presenter over `citywallet-wallet`: each
//! handler parses its arguments, makes one wallet call and prints the result as text or
//! JSON. The flows, their rules and the file formats live in the wallet crate.
//!
//! Exit codes: 0 success, 2 the user's input was refused (wrong passphrase, bad phrase,
//! usage error, a refusal by the chain's rules), 1 internal failure.

mod chain;
mod creds;
mod secrets;
mod simulate;
mod text;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use citywallet_wallet::{Network, Wallet, input};
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "citywallet",
    version,
    about = "CityWallet: your city identity wallet"
)]
#[command(
    after_help = "Passphrases come from a prompt, or from CITYWALLET_PASSPHRASE \
    (and CITYWALLET_NEW_PASSPHRASE, CITYWALLET_BIP39_PASSPHRASE, CITYWALLET_DEVICE_PASSPHRASE) for scripts.\n\
    Exit codes: 0 success, 1 internal failure, 2 input refused."
)]
struct Cli {
    /// Vault file (default: $CITYWALLET_VAULT, else the user data directory).
    #[arg(long, global = true, value_name = "PATH", env = "CITYWALLET_VAULT")]
    vault: Option<PathBuf>,
    /// Machine-readable JSON output (errors too, on stderr).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a vault with a new 24-word recovery phrase, shown once.
    Init {
        /// Also protect the seed with a BIP39 passphrase (the "25th word").
        #[arg(long)]
        bip39_passphrase: bool,
    },
    /// Create a vault from an existing recovery phrase read from stdin.
    Recover {
        /// The phrase was made with a BIP39 passphrase.
        #[arg(long)]
        bip39_passphrase: bool,
    },
    /// The citizen identity.
    #[command(subcommand)]
    Identity(IdentityCmd),
    /// Device keys for IoT devices, and their registration on the chain.
    #[command(subcommand)]
    Device(chain::DeviceCmd),
    /// The vault passphrase.
    #[command(subcommand)]
    Passphrase(PassphraseCmd),
    /// The recovery phrase.
    #[command(subcommand)]
    Phrase(PhraseCmd),
    /// Encrypted exports of the vault.
    #[command(subcommand, name = "vault")]
    VaultFile(VaultCmd),
    /// Held credentials.
    #[command(subcommand)]
    Credential(creds::CredentialCmd),
    /// Present a credential for a verifier's challenge, disclosing chosen claims.
    Present(creds::PresentArgs),
    /// Verify a presentation against your challenge.
    Verify(creds::VerifyArgs),
    /// A verifier's OpenID4VP request (`openid4vp://…`): show it, answer it, or refuse it.
    #[command(subcommand)]
    Request(creds::RequestCmd),
    /// Verifier challenges.
    #[command(subcommand)]
    Challenge(creds::ChallengeCmd),
    /// Issuer tools: key generation, issuing, revocation.
    #[command(subcommand)]
    Issuer(creds::IssuerCmd),
    /// City nodes: the primary and its witnesses (default: the local devnet).
    #[command(subcommand)]
    Node(chain::NodeCmd),
    /// The light client's trust anchor.
    #[command(subcommand)]
    Trust(chain::TrustCmd),
    /// Verify the chain's headers up to the newest, cross-checked by a witness, and refresh
    /// the registry snapshot for offline checks.
    Sync,
    /// Trusted height and time, signing power, nodes, divergences, snapshot age.
    Status,
    /// Reports about the city, and (officers) their review.
    #[command(subcommand)]
    Report(chain::ReportCmd),
    /// Data-access grants to organisations.
    #[command(subcommand)]
    Grant(chain::GrantCmd),
    /// Registered organisations.
    #[command(subcommand)]
    Org(chain::OrgCmd),
    /// Light-client settings (trusting period, timeouts, snapshot age limit).
    #[command(subcommand)]
    Settings(chain::SettingsCmd),
    /// The activity log, newest first.
    Activity,
    /// After `recover` from the phrase alone: rebuild from proven chain state the grants,
    /// reports (and reward points) and registered devices of this wallet's keys.
    Restore,
}

#[derive(Debug, Subcommand)]
enum IdentityCmd {
    /// Show the did:key, public key and derivation path.
    Show,
}

#[derive(Debug, Subcommand)]
enum PassphraseCmd {
    /// Re-key the vault under a new passphrase.
    Change,
}

#[derive(Debug, Subcommand)]
enum PhraseCmd {
    /// Show the recovery phrase (the passphrase is asked for; the reveal is logged).
    Show,
}

#[derive(Debug, Subcommand)]
enum VaultCmd {
    /// Write an encrypted export (it opens with the vault passphrase).
    Export {
        /// File to write (it must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a vault from an export, where none exists yet.
    Import {
        /// The export file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(&err, json),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let path = match cli.vault {
        Some(p) => p,
        None => default_vault_path()?,
    };
    let out = Output { json: cli.json };
    match cli.command {
        Command::Init { bip39_passphrase } => init(&path, bip39_passphrase, &out),
        Command::Recover { bip39_passphrase } => recover(&path, bip39_passphrase, &out),
        Command::Identity(IdentityCmd::Show) => {
            let id = open(&path)?.identity_info()?;
            out.show(&id, || text::identity(&id))
        }
        Command::Passphrase(PassphraseCmd::Change) => change_passphrase(&path, &out),
        Command::Phrase(PhraseCmd::Show) => {
            let words = wallet(&path).reveal_words(&secrets::vault_passphrase()?)?;
            out.show(&words, || text::words(&words.words))
        }
        Command::VaultFile(cmd) => vault_file(cmd, &path, &out),
        Command::Credential(cmd) => creds::credential(cmd, &path, &out),
        Command::Present(args) => creds::present(args, &path, &out),
        Command::Request(cmd) => creds::request(cmd, &path, &out),
        Command::Verify(args) => creds::verify(args, &path, &out),
        Command::Challenge(cmd) => creds::challenge(cmd, &out),
        Command::Issuer(cmd) => creds::issuer(cmd, &path, &out),
        Command::Device(cmd) => chain::device(cmd, &path, &out),
        Command::Node(cmd) => chain::node(cmd, &path, &out),
        Command::Trust(cmd) => chain::trust(cmd, &path, &out),
        Command::Sync => chain::sync(&path, &out),
        Command::Status => chain::status(&path, &out),
        Command::Report(cmd) => chain::report(cmd, &path, &out),
        Command::Grant(cmd) => chain::grant(cmd, &path, &out),
        Command::Org(cmd) => chain::org(cmd, &path, &out),
        Command::Settings(cmd) => chain::settings(cmd, &path, &out),
        Command::Restore => {
            let r = open(&path)?.restore_from_chain()?;
            out.show(&r, || {
                format!(
                    "restored from the chain (proven at height {}): {} grants, {} reports, {} devices; {} reward points",
                    r.height, r.grants, r.reports, r.devices, r.reward_points
                )
            })
        }
        Command::Activity => {
            let list = open(&path)?.activity()?;
            out.show(&list, || text::activity(&list))
        }
    }
}

fn change_passphrase(path: &Path, out: &Output) -> anyhow::Result<()> {
    let current = secrets::vault_passphrase()?;
    let new = secrets::new_passphrase("CITYWALLET_NEW_PASSPHRASE", "New passphrase")?;
    wallet(path).change_passphrase(&current, &new)?;
    out.show(&json!({ "changed": true }), || {
        "Passphrase changed; the vault is re-keyed.".into()
    })
}

fn init(path: &Path, bip39: bool, out: &Output) -> anyhow::Result<()> {
    let extra = secrets::bip39_passphrase(bip39)?;
    let passphrase = secrets::new_passphrase("CITYWALLET_PASSPHRASE", "New vault passphrase")?;
    let mut w = wallet(path);
    let phrase = w.create(&passphrase, &extra)?;
    let id = w.identity_info()?;
    let shown = json!({
        "vault": path, "did": id.did, "public_key_hex": id.public_key_hex, "path": id.path,
        "mnemonic": phrase.phrase().as_str(),
        "warning": "Write the mnemonic down offline. It is shown only this once.",
    });
    out.show(&shown, || text::created(path, &id.did, &phrase.phrase()))
}

fn recover(path: &Path, bip39: bool, out: &Output) -> anyhow::Result<()> {
    let mut input = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .take(input::MAX_PHRASE_BYTES + 1)
        .read_to_string(&mut input)
        .context("reading the recovery phrase from stdin")?;
    let extra = secrets::bip39_passphrase(bip39)?;
    let passphrase = secrets::new_passphrase("CITYWALLET_PASSPHRASE", "New vault passphrase")?;
    let mut w = wallet(path);
    w.recover(&input, &passphrase, &extra)?;
    let id = w.identity_info()?;
    out.show(&id, || {
        format!(
            "Vault restored at {}\nYour identity: {}",
            path.display(),
            id.did
        )
    })
}

fn vault_file(cmd: VaultCmd, path: &Path, out: &Output) -> anyhow::Result<()> {
    match cmd {
        VaultCmd::Export { out: dest } => {
            open(path)?.export_vault(&dest)?;
            out.show(&json!({ "out": dest }), || {
                format!("encrypted export written to {}", dest.display())
            })
        }
        VaultCmd::Import { file } => {
            let mut w = wallet(path);
            w.import_vault(&file, &secrets::vault_passphrase()?)?;
            let id = w.identity_info()?;
            out.show(&id, || {
                format!("vault restored at {}: {}", path.display(), id.did)
            })
        }
    }
}

/// The wallet of the vault at `path`, over HTTP, with the local devnet as the default
/// network.
fn wallet(path: &Path) -> Wallet {
    Wallet::over_http(path, Network::local_devnet())
}

/// [`wallet`], unlocked with the passphrase.
fn open(path: &Path) -> anyhow::Result<Wallet> {
    let mut w = wallet(path);
    w.unlock(&secrets::vault_passphrase()?)?;
    Ok(w)
}

fn default_vault_path() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "CityWallet", "citywallet")
        .context("no home directory: pass --vault PATH")?;
    // The data folder is the wallet's own: owner only, even if an older version made it 0755.
    let dir = dirs.data_dir();
    citywallet_files::own_private_dir(dir).with_context(|| dir.display().to_string())?;
    Ok(dir.join("vault.db"))
}

/// How results are printed.
struct Output {
    json: bool,
}

impl Output {
    fn show<T: serde::Serialize>(
        &self,
        v: &T,
        human: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{:#}", serde_json::to_value(v)?);
        } else {
            println!("{}", human());
        }
        Ok(())
    }

    /// Say on stderr what the wallet did on its own (a trust anchor set on first use, a
    /// primary that did not answer replaced by another node).
    fn notices(&self, w: &mut Wallet) {
        for n in w.take_notices() {
            match n {
                citywallet_wallet::Notice::AnchoredAtGenesis(t) => eprintln!(
                    "no trust anchor yet: trusting the genesis of {} (block 1 {})",
                    t.chain_id, t.hash
                ),
                citywallet_wallet::Notice::PrimaryFailover { from, to, reason } => {
                    eprintln!("the primary {from} did not answer ({reason}): used {to} instead")
                }
                _ => {}
            }
        }
    }
}

/// Print the error (typed code in JSON mode) and choose the exit code.
fn report(err: &anyhow::Error, json: bool) -> ExitCode {
    use citywallet_wallet::dto::ErrorInfo;
    let (info, user) = if let Some(e) = err.downcast_ref::<citywallet_wallet::Error>() {
        (Some(ErrorInfo::from(e)), e.is_user_error())
    } else if let Some(e) = err.downcast_ref::<citywallet_demo::Error>() {
        let code = citywallet_wallet::ErrorCode::of(e.code());
        (Some(ErrorInfo::new(code, e.to_string())), e.is_user_error())
    } else {
        (None, false)
    };
    let message = format!("{err:#}");
    if json {
        let mut body = json!({
            "code": info.as_ref().map_or("internal", |i| i.code.as_str()), "message": message,
        });
        if let Some(secs) = info.as_ref().and_then(|i| i.retry_after_secs) {
            body["retry_after_secs"] = json!(secs);
        }
        if let Some(field) = info.as_ref().and_then(|i| i.field.clone()) {
            body["field"] = json!(field);
        }
        eprintln!("{}", json!({ "error": body }));
    } else {
        eprintln!("error: {message}");
    }
    ExitCode::from(if user { 2 } else { 1 })
}
