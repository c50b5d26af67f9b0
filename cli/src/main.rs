//! `citywallet`: the CityWallet command line. Every handler parses input, calls one core
//! function and prints the result; the logic lives in `citywallet-core`.
//!
//! Exit codes: 0 success, 2 the user's input was refused (wrong passphrase, bad phrase,
//! usage error), 1 internal failure.

mod chain;
mod creds;
mod secrets;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use citywallet_core::keys::RecoveryPhrase;
use citywallet_core::vault::{KdfParams, Vault};
use clap::{Parser, Subcommand};
use serde_json::json;

use secrets::{UserError, bip39_passphrase, existing_passphrase, new_passphrase};

/// Longest recovery phrase input accepted on stdin.
const MAX_PHRASE_BYTES: u64 = 4096;

#[derive(Debug, Parser)]
#[command(
    name = "citywallet",
    version,
    about = "CityWallet: your city identity wallet"
)]
#[command(
    after_help = "Passphrases come from a prompt, or from CITYWALLET_PASSPHRASE \
    (and CITYWALLET_NEW_PASSPHRASE, CITYWALLET_BIP39_PASSPHRASE) for scripts.\n\
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
    /// Device keys for IoT devices.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// The vault passphrase.
    #[command(subcommand)]
    Passphrase(PassphraseCmd),
    /// Held credentials.
    #[command(subcommand)]
    Credential(creds::CredentialCmd),
    /// Present a credential for a verifier's challenge, disclosing chosen claims.
    Present(creds::PresentArgs),
    /// Verify a presentation against your challenge (no vault needed).
    Verify(creds::VerifyArgs),
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
    /// Reports about the city.
    #[command(subcommand)]
    Report(chain::ReportCmd),
    /// Data-access grants to organisations.
    #[command(subcommand)]
    Grant(chain::GrantCmd),
    /// Light-client settings (trusting period, timeouts, snapshot age limit).
    #[command(subcommand)]
    Settings(chain::SettingsCmd),
}

#[derive(Debug, Subcommand)]
enum IdentityCmd {
    /// Show the did:key, public key and derivation path.
    Show,
}

#[derive(Debug, Subcommand)]
enum DeviceCmd {
    /// Derive the next device key.
    New {
        /// A name for the device.
        #[arg(long)]
        label: Option<String>,
    },
    /// List device keys.
    List,
    /// Technician: register a device key on the chain (verified first, receipt kept).
    Register(chain::RegisterArgs),
    /// Technician: revoke a device on the chain.
    Revoke {
        /// Device id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum PassphraseCmd {
    /// Re-key the vault under a new passphrase.
    Change,
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
        Command::Init {
            bip39_passphrase: b,
        } => {
            let phrase = RecoveryPhrase::generate()?;
            let vault = create_vault(&path, &phrase, b)?;
            let identity = vault.identity()?;
            if out.json {
                out.value(&json!({
                    "vault": path,
                    "did": identity.did,
                    "public_key_hex": identity.public_key_hex,
                    "path": identity.path,
                    "mnemonic": phrase.phrase().as_str(),
                    "warning": "Write the mnemonic down offline. It is shown only this once.",
                }));
            } else {
                println!("Vault created at {}", path.display());
                println!("Your identity: {}\n", identity.did);
                println!(
                    "RECOVERY PHRASE: write these {} words down, in order, on paper.",
                    phrase.word_count()
                );
                println!(
                    "Anyone who has them controls your identity. They are shown only this once.\n"
                );
                let phrase_text = phrase.phrase();
                for (row, words) in phrase_text
                    .split(' ')
                    .collect::<Vec<_>>()
                    .chunks(4)
                    .enumerate()
                {
                    let cells: Vec<String> = words
                        .iter()
                        .enumerate()
                        .map(|(i, w)| format!("{:>2}. {:<10}", row * 4 + i + 1, w))
                        .collect();
                    println!("  {}", cells.join(" ").trim_end());
                }
            }
        }
        Command::Recover {
            bip39_passphrase: b,
        } => {
            let mut input = zeroize::Zeroizing::new(String::new());
            std::io::stdin()
                .take(MAX_PHRASE_BYTES + 1)
                .read_to_string(&mut input)
                .context("reading the recovery phrase from stdin")?;
            if input.len() as u64 > MAX_PHRASE_BYTES {
                return Err(UserError::new(
                    "phrase_too_long",
                    "the recovery phrase input is too long",
                )
                .into());
            }
            let phrase = RecoveryPhrase::parse(&input)?;
            let vault = create_vault(&path, &phrase, b)?;
            let identity = vault.identity()?;
            out.show(&identity, || {
                format!(
                    "Vault restored at {}\nYour identity: {}",
                    path.display(),
                    identity.did
                )
            });
        }
        Command::Identity(IdentityCmd::Show) => {
            let identity = open(&path)?.identity()?;
            out.show(&identity, || {
                format!(
                    "did:        {}\npublic key: {}\npath:       {}",
                    identity.did, identity.public_key_hex, identity.path
                )
            });
        }
        Command::Device(DeviceCmd::New { label }) => {
            let device = open(&path)?.new_device(label.as_deref())?;
            out.show(&device, || {
                format!(
                    "device {}  {}  {}",
                    device.index, device.path, device.public_key_hex
                )
            });
        }
        Command::Device(DeviceCmd::List) => {
            let devices = open(&path)?.devices()?;
            out.show(&devices, || {
                if devices.is_empty() {
                    return "no devices yet: `citywallet device new`".into();
                }
                devices
                    .iter()
                    .map(|d| {
                        format!(
                            "{:>4}  {:<20}  {}  {}",
                            d.index,
                            d.path,
                            d.public_key_hex,
                            d.label.as_deref().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Passphrase(PassphraseCmd::Change) => {
            let mut vault = open(&path)?;
            let new = new_passphrase("CITYWALLET_NEW_PASSPHRASE", "New passphrase")?;
            vault.change_passphrase(&new, KdfParams::RECOMMENDED)?;
            out.show(&json!({ "changed": true }), || {
                "Passphrase changed; the vault is re-keyed.".into()
            });
        }
        Command::Credential(cmd) => creds::credential(cmd, &path, &out)?,
        Command::Present(args) => creds::present(args, &path, &out)?,
        Command::Verify(args) => creds::verify(args, &path, &out)?,
        Command::Challenge(cmd) => creds::challenge(cmd, &out)?,
        Command::Issuer(cmd) => creds::issuer(cmd, &path, &out)?,
        Command::Device(DeviceCmd::Register(args)) => chain::device_register(args, &path, &out)?,
        Command::Device(DeviceCmd::Revoke { id }) => chain::device_revoke(&id, &path, &out)?,
        Command::Node(cmd) => chain::node(cmd, &path, &out)?,
        Command::Trust(cmd) => chain::trust(cmd, &path, &out)?,
        Command::Sync => chain::sync(&path, &out)?,
        Command::Status => chain::status(&path, &out)?,
        Command::Report(cmd) => chain::report(cmd, &path, &out)?,
        Command::Grant(cmd) => chain::grant(cmd, &path, &out)?,
        Command::Settings(cmd) => chain::settings(cmd, &path, &out)?,
    }
    Ok(())
}

/// A new vault for `phrase`, asking for its passphrase and, if wanted, a BIP39 passphrase.
fn create_vault(
    path: &std::path::Path,
    phrase: &RecoveryPhrase,
    bip39: bool,
) -> anyhow::Result<Vault> {
    let extra = bip39_passphrase(bip39)?;
    let passphrase = new_passphrase("CITYWALLET_PASSPHRASE", "New vault passphrase")?;
    Ok(Vault::create(
        path,
        &passphrase,
        KdfParams::RECOMMENDED,
        phrase,
        &extra,
    )?)
}

fn open(path: &std::path::Path) -> anyhow::Result<Vault> {
    Ok(Vault::open(path, &existing_passphrase()?)?)
}

fn default_vault_path() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "CityWallet", "citywallet")
        .context("no home directory: pass --vault PATH")?;
    Ok(dirs.data_dir().join("vault.db"))
}

struct Output {
    json: bool,
}

impl Output {
    fn value(&self, v: &serde_json::Value) {
        println!("{v:#}");
    }

    fn show<T: serde::Serialize>(&self, v: &T, human: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_value(v) {
                Ok(v) => self.value(&v),
                Err(e) => eprintln!("error: {e}"),
            }
        } else {
            println!("{}", human());
        }
    }
}

/// Print the error (typed code in JSON mode) and choose the exit code.
fn report(err: &anyhow::Error, json: bool) -> ExitCode {
    let (code, user) = if let Some(e) = err.downcast_ref::<citywallet_core::Error>() {
        (e.code(), e.is_user_error())
    } else if let Some(e) = err.downcast_ref::<citywallet_light_client::Error>() {
        (e.code(), e.is_user_error())
    } else if let Some(e) = err.downcast_ref::<UserError>() {
        (e.code, true)
    } else {
        ("internal", false)
    };
    let message = format!("{err:#}");
    if json {
        let mut body = json!({ "code": code, "message": message });
        if let Some(citywallet_core::Error::Throttled { retry_after_secs }) = err.downcast_ref() {
            body["retry_after_secs"] = json!(retry_after_secs);
        }
        eprintln!("{}", json!({ "error": body }));
    } else {
        eprintln!("error: {message}");
    }
    ExitCode::from(if user { 2 } else { 1 })
}
