//! `credential`, `present`, `verify`, `challenge` and `issuer`: parse, call core, print.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use citywallet_core::credentials::{
    Challenge, Credential, CredentialDraft, CredentialType, IssuerPublicKey, IssuerSecretKey,
    Presentation, qr,
};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::json;
use zeroize::Zeroizing;

use crate::secrets::UserError;
use crate::{Output, open};

/// Largest file read as input (credentials, presentations, challenges, key files).
const MAX_INPUT_BYTES: u64 = 256 * 1024;
/// Default freshness window for challenges.
const DEFAULT_MAX_AGE_SECS: i64 = 300;

#[derive(Debug, Subcommand)]
pub enum CredentialCmd {
    /// List held credentials (without claim values).
    List,
    /// Show one credential with its claims.
    Show { id: String },
    /// Check a credential file (schema, issuer signature, holder) and store it.
    Import { file: PathBuf },
    /// Delete a credential.
    Delete { id: String },
}

#[derive(Debug, Args)]
pub struct PresentArgs {
    /// Credential id.
    #[arg(long)]
    credential: String,
    /// Claims to disclose, comma-separated (the holder is always disclosed).
    #[arg(long, value_delimiter = ',')]
    disclose: Vec<String>,
    /// The verifier's challenge JSON.
    #[arg(long)]
    challenge: PathBuf,
    /// Write the presentation JSON here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the compact binary form here.
    #[arg(long)]
    compact_out: Option<PathBuf>,
    /// Print the compact form as a QR code in the terminal.
    #[arg(long)]
    qr: bool,
    /// Write the QR code as SVG here.
    #[arg(long)]
    qr_svg: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Presentation file: JSON or compact binary.
    #[arg(long)]
    presentation: PathBuf,
    /// The challenge this verifier issued.
    #[arg(long)]
    challenge: PathBuf,
    /// Trusted issuer keys: JSON `{"id", "publicKey"}` (an issuer key file works) or an
    /// array of them. Repeatable.
    #[arg(long = "issuers", value_name = "FILE")]
    issuers: Vec<PathBuf>,
    /// Oldest acceptable challenge, in seconds.
    #[arg(long, default_value_t = DEFAULT_MAX_AGE_SECS)]
    max_age: i64,
    /// Check the issuer and revocation against the chain, with proofs (officer; needs the
    /// vault).
    #[arg(long, conflicts_with_all = ["offline", "issuers"])]
    online: bool,
    /// Check against the last verified registry snapshot (officer; needs the vault).
    #[arg(long, conflicts_with = "issuers")]
    offline: bool,
}

#[derive(Debug, Subcommand)]
pub enum ChallengeCmd {
    /// Make a fresh challenge: nonce, verifier, issued_at.
    New {
        /// The verifier's id.
        #[arg(long)]
        verifier: String,
        /// Write it here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum IssuerCmd {
    /// Make an issuer BBS key pair (demo and test issuers).
    Keygen {
        /// Key file to write (mode 0600; holds the secret key).
        #[arg(long)]
        out: PathBuf,
        /// Issuer id.
        #[arg(long, default_value = "demo-issuer")]
        id: String,
    },
    /// Revoke a credential on the chain with the issuer's operator key (verified first,
    /// receipt kept in the vault).
    Revoke {
        /// Issuer key file (with its operator key).
        #[arg(long)]
        key: PathBuf,
        /// Credential id.
        #[arg(long)]
        credential: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Issue a signed credential.
    Issue {
        /// Issuer key file.
        #[arg(long)]
        key: PathBuf,
        /// Credential type: credit, biometric, residency, officer, technician.
        #[arg(long = "type")]
        kind: String,
        /// Holder did:key.
        #[arg(long)]
        holder: String,
        /// Claims as a JSON object, or @FILE.
        #[arg(long)]
        claims: String,
        /// Credential file to write.
        #[arg(long)]
        out: PathBuf,
        /// Credential id (default: a random urn:uuid).
        #[arg(long)]
        id: Option<String>,
        /// Days of validity from now.
        #[arg(long, default_value_t = 365)]
        valid_days: i64,
    },
}

/// The issuer key file. The secret is hex inside a zeroizing string.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyFile {
    format: String,
    id: String,
    ciphersuite: String,
    public_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_key: Option<Zeroizing<String>>,
    /// The Ed25519 key that signs the issuer's transactions (revocations), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operator_secret_key: Option<Zeroizing<String>>,
}

/// A trusted issuer entry: what `--issuers` reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrustedIssuer {
    id: String,
    public_key: String,
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(
            UserError::new("input_too_large", "the input file is larger than 256 KiB").into(),
        );
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

pub fn credential(cmd: CredentialCmd, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    match cmd {
        CredentialCmd::List => {
            let list = vault.held_credentials()?;
            out.show(&list, || {
                if list.is_empty() {
                    return "no credentials yet: `citywallet credential import FILE`".into();
                }
                list.iter()
                    .map(|c| {
                        format!(
                            "{}  {:<10} {:<24} {}",
                            c.id,
                            c.kind.as_str(),
                            c.issuer,
                            c.claims.join(",")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        CredentialCmd::Show { id } => {
            let c = vault.held_credential(&id)?;
            let claims: serde_json::Map<String, serde_json::Value> = c
                .claims
                .iter()
                .map(|cl| (cl.name.clone(), json!(cl.value)))
                .collect();
            let shown = json!({
                "id": c.id, "issuer": c.issuer, "type": c.kind, "holder": c.holder,
                "validFrom": c.valid_from, "validUntil": c.valid_until, "claims": claims,
            });
            out.show(&shown, || {
                let mut text = format!("{}  ({} from {})\n", c.id, c.kind.as_str(), c.issuer);
                for cl in &c.claims {
                    text.push_str(&format!("  {:<14} {}\n", cl.name, cl.value));
                }
                text.trim_end().to_owned()
            });
        }
        CredentialCmd::Import { file } => {
            let c = vault.import_credential(&read_input(&file)?)?;
            let summary = citywallet_core::vault::CredentialSummary::from(&c);
            out.show(&summary, || {
                format!("imported {} ({} from {})", c.id, c.kind.as_str(), c.issuer)
            });
        }
        CredentialCmd::Delete { id } => {
            vault.delete_credential(&id)?;
            out.show(&json!({ "id": id, "deleted": true }), || {
                format!("deleted {id}")
            });
        }
    }
    Ok(())
}

pub fn present(args: PresentArgs, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let challenge = Challenge::from_json(&read_input(&args.challenge)?)?;
    let disclose: Vec<&str> = args
        .disclose
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let p = open(vault_path)?.present(&args.credential, &disclose, &challenge)?;
    let compact = p.to_compact();
    if let Some(path) = &args.compact_out {
        write_output(path, &compact)?;
    }
    if args.qr || args.qr_svg.is_some() {
        let code = qr::encode(&compact)?;
        if let Some(path) = &args.qr_svg {
            write_output(path, qr::to_svg(&code).as_bytes())?;
        }
        if args.qr {
            eprintln!("{}", qr::to_terminal(&code));
            eprintln!(
                "{} bytes, QR version {} (level M)",
                compact.len(),
                qr::version(&code)
            );
        }
    }
    match &args.out {
        Some(path) => {
            write_output(path, &p.to_json())?;
            out.show(
                &json!({ "out": path, "compactBytes": compact.len() }),
                || format!("presentation written to {}", path.display()),
            );
        }
        None => {
            std::io::stdout().write_all(&p.to_json())?;
            println!();
        }
    }
    Ok(())
}

fn trusted_issuers(files: &[PathBuf]) -> anyhow::Result<Vec<(String, IssuerPublicKey)>> {
    let bad = || {
        UserError::new(
            "invalid_issuers",
            "an issuers file is not {\"id\", \"publicKey\"} JSON or an array of them",
        )
    };
    let mut out = Vec::new();
    for file in files {
        let value: serde_json::Value =
            serde_json::from_slice(&read_input(file)?).map_err(|_| bad())?;
        let entries = match value {
            serde_json::Value::Array(items) => items,
            one => vec![one],
        };
        for entry in entries {
            let t: TrustedIssuer = serde_json::from_value(entry).map_err(|_| bad())?;
            let key = hex::decode(&t.public_key)
                .ok()
                .and_then(|b| IssuerPublicKey::from_bytes(&b))
                .ok_or_else(bad)?;
            out.push((t.id, key));
        }
    }
    Ok(out)
}

pub fn verify(args: VerifyArgs, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    if args.online || args.offline {
        return crate::chain::verify_on_chain(
            crate::chain::ChainVerifyArgs {
                presentation: args.presentation,
                challenge: args.challenge,
                max_age: args.max_age,
                offline: args.offline,
            },
            vault_path,
            out,
        );
    }
    let challenge = Challenge::from_json(&read_input(&args.challenge)?)?;
    let issuers = trusted_issuers(&args.issuers)?;
    let presentation = Presentation::parse(&read_input(&args.presentation)?)?;
    let v = presentation.verify(&challenge, &issuers, unix_now(), args.max_age)?;
    let disclosed: serde_json::Map<String, serde_json::Value> = v
        .disclosed
        .iter()
        .map(|(k, val)| (k.clone(), json!(val)))
        .collect();
    let shown = json!({
        "valid": true, "issuer": v.issuer, "credentialId": v.credential_id, "type": v.kind,
        "holder": v.holder, "validUntil": v.valid_until, "disclosed": disclosed,
    });
    out.show(&shown, || {
        let mut text = format!(
            "valid: {} credential {} from {}\nholder: {}\n",
            v.kind.as_str(),
            v.credential_id,
            v.issuer,
            v.holder
        );
        for (k, val) in &v.disclosed {
            text.push_str(&format!("  {k:<14} {val}\n"));
        }
        text.trim_end().to_owned()
    });
    Ok(())
}

pub fn challenge(cmd: ChallengeCmd, out: &Output) -> anyhow::Result<()> {
    let ChallengeCmd::New {
        verifier,
        out: path,
    } = cmd;
    let c = Challenge::new(&verifier, unix_now())?;
    let bytes = serde_json::to_vec_pretty(&c)?;
    match path {
        Some(p) => {
            write_output(&p, &bytes)?;
            out.show(&c, || format!("challenge written to {}", p.display()));
        }
        None => println!("{}", String::from_utf8_lossy(&bytes)),
    }
    Ok(())
}

fn load_issuer_key(path: &Path) -> anyhow::Result<(String, IssuerSecretKey, IssuerPublicKey)> {
    let bad = || {
        UserError::new(
            "invalid_issuer_key",
            "not an issuer key file with a secret key",
        )
    };
    let raw = Zeroizing::new(read_input(path)?);
    let file: KeyFile = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let secret = Zeroizing::new(
        hex::decode(file.secret_key.as_deref().ok_or_else(bad)?.as_str()).map_err(|_| bad())?,
    );
    let (sk, pk) = IssuerSecretKey::from_bytes(&secret)?;
    if pk.to_hex() != file.public_key {
        return Err(bad().into());
    }
    Ok((file.id, sk, pk))
}

pub fn issuer(cmd: IssuerCmd, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    match cmd {
        IssuerCmd::Revoke {
            key,
            credential,
            reason,
        } => {
            let bad = || {
                UserError::new(
                    "invalid_issuer_key",
                    "not an issuer key file with an operator key",
                )
            };
            let raw = Zeroizing::new(read_input(&key)?);
            let file: KeyFile = serde_json::from_slice(&raw).map_err(|_| bad())?;
            let secret: Zeroizing<Vec<u8>> = Zeroizing::new(
                hex::decode(
                    file.operator_secret_key
                        .as_deref()
                        .ok_or_else(bad)?
                        .as_str(),
                )
                .map_err(|_| bad())?,
            );
            let bytes: [u8; 32] = secret.as_slice().try_into().map_err(|_| bad())?;
            let operator = ed25519_dalek::SigningKey::from_bytes(&bytes);
            crate::chain::issuer_revoke(
                &operator,
                &file.id,
                &credential,
                &reason,
                vault_path,
                out,
            )?;
        }
        IssuerCmd::Keygen { out: path, id } => {
            let (sk, pk) = IssuerSecretKey::generate()?;
            let file = KeyFile {
                format: "citywallet-bbs-issuer-key/1".into(),
                id: id.clone(),
                ciphersuite: citywallet_core::credentials::CIPHERSUITE.into(),
                public_key: pk.to_hex(),
                secret_key: Some(Zeroizing::new(hex::encode(sk.to_bytes().as_slice()))),
                operator_secret_key: Some(Zeroizing::new(hex::encode(
                    ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng).to_bytes(),
                ))),
            };
            let bytes = Zeroizing::new(serde_json::to_vec_pretty(&file)?);
            write_secret_file(&path, &bytes)?;
            out.show(&json!({ "id": id, "publicKey": pk.to_hex() }), || {
                format!(
                    "issuer {id}: key written to {}\npublic key {}",
                    path.display(),
                    pk.to_hex()
                )
            });
        }
        IssuerCmd::Issue {
            key,
            kind,
            holder,
            claims,
            out: path,
            id,
            valid_days,
        } => {
            let (issuer_id, sk, pk) = load_issuer_key(&key)?;
            let claims_text = match claims.strip_prefix('@') {
                Some(file) => String::from_utf8(read_input(Path::new(file))?)?,
                None => claims,
            };
            let claims: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&claims_text).map_err(|_| {
                    UserError::new("invalid_claims", "--claims must be a JSON object")
                })?;
            let id = match id {
                Some(id) => id,
                None => citywallet_core::credentials::new_credential_id()?,
            };
            let from = unix_now();
            let credential = Credential::issue(
                &CredentialDraft {
                    id: &id,
                    issuer: &issuer_id,
                    kind: CredentialType::parse(&kind)?,
                    holder: &holder,
                    valid_from: from,
                    valid_until: from.saturating_add(valid_days.max(1).saturating_mul(86_400)),
                    claims: &claims,
                },
                &sk,
                &pk,
            )?;
            write_output(&path, &credential.to_json())?;
            out.show(&json!({ "id": id, "out": path }), || {
                format!("credential {id} written to {}", path.display())
            });
        }
    }
    Ok(())
}

fn write_secret_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
