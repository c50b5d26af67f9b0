//! `credential`, `present`, `verify`, `challenge` and `issuer`: argument definitions and
//! handlers that make one wallet call each.

use std::io::Write;
use std::path::{Path, PathBuf};

use citywallet_core::credentials::{Challenge, qr, trusted_issuers};
use citywallet_wallet::input::{MAX_INPUT_BYTES, read_file};
use citywallet_wallet::oid4vp::VerifierKind;
use citywallet_wallet::{
    Check, DEFAULT_CHALLENGE_AGE_SECS, IssueArgs, Wallet, issue_credential, issuer_keygen,
};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::{Output, open, text};

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
    /// Show who offers what in an OpenID4VCI credential offer (`openid-credential-offer://`).
    Offer {
        /// The offer URI (or @FILE holding it).
        offer: String,
    },
    /// Take an OpenID4VCI credential offer: fetch the credential, check it against the
    /// issuer's key on the chain, keep it.
    Accept {
        /// The offer URI (or @FILE holding it).
        offer: String,
        /// The transaction code the issuer sent another way, when the offer needs one.
        #[arg(long)]
        tx_code: Option<String>,
        /// Take it as a private credential: signed blindly, shown with no DID and no id,
        /// renewed from the issuer (`credential renew`).
        #[arg(long)]
        private: bool,
    },
    /// Renew a private credential from its issuer for the current window.
    Renew { id: String },
    /// Ask the local devnet's demo issuers for a credential (officer and technician ones
    /// also enrol this wallet's key in that role, by the devnet's admin).
    Demo {
        /// credit, biometric, residency, officer or technician.
        #[arg(long = "type")]
        kind: String,
        /// The devnet's data directory (its demo issuers' list and admin key).
        #[arg(long, env = "CITYWALLET_DEVNET_DATA")]
        devnet_data: PathBuf,
        /// A private credential (credit, biometric or residency).
        #[arg(long)]
        private: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RequestCmd {
    /// Who asks for what, and what each of your credentials would disclose.
    Show {
        /// The request URI (or @FILE holding it).
        request: String,
    },
    /// Answer it: the presentations go to the verifier.
    Answer {
        /// The request URI (or @FILE holding it).
        request: String,
        /// Which credential answers which query: QUERY_ID=CREDENTIAL_ID (repeat; default the
        /// first that can).
        #[arg(long = "use")]
        choose: Vec<String>,
    },
    /// Refuse it: the verifier is told, nothing is disclosed.
    Refuse {
        /// The request URI (or @FILE holding it).
        request: String,
    },
}

/// The `request` commands.
pub fn request(cmd: RequestCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let mut w = open(vault)?;
    match cmd {
        RequestCmd::Show { request } => {
            let p = w.preview_request(&offer_text(&request)?)?;
            out.show(&p, || {
                let v = &p.verifier;
                let who = match (v.kind, &v.name) {
                    (VerifierKind::Organisation, Some(name)) => {
                        format!("{name} (an organisation registered on the city chain)")
                    }
                    (VerifierKind::Officer, Some(department)) => {
                        format!("A city officer ({department})")
                    }
                    (VerifierKind::Officer, None) => "A city officer".to_owned(),
                    _ => format!("{} (not vouched for by the city chain)", v.client_id),
                };
                let mut lines = vec![format!("{who} asks for:")];
                for a in &p.asked {
                    let kinds: Vec<&str> = a.kinds.iter().map(|k| k.as_str()).collect();
                    lines.push(format!(
                        "  {} ({}){}",
                        a.id,
                        kinds.join(" or "),
                        if a.required { "" } else { ", optional" }
                    ));
                    for c in &a.candidates {
                        lines.push(format!(
                            "    {} would show: {}",
                            c.credential,
                            c.disclose.join(", ")
                        ));
                    }
                }
                if !p.answerable {
                    lines.push("none of your credentials answers it".into());
                }
                lines.join("\n")
            })
        }
        RequestCmd::Answer { request, choose } => {
            let choose = choose
                .iter()
                .map(|c| {
                    c.split_once('=')
                        .map(|(q, id)| (q.to_owned(), id.to_owned()))
                        .ok_or_else(|| anyhow::anyhow!("--use QUERY_ID=CREDENTIAL_ID"))
                })
                .collect::<anyhow::Result<_>>()?;
            let shown = w.answer_request(&offer_text(&request)?, &choose)?;
            out.show(&shown, || {
                shown
                    .iter()
                    .map(|c| format!("answered with {}: {}", c.credential, c.disclose.join(", ")))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        RequestCmd::Refuse { request } => {
            w.refuse_request(&offer_text(&request)?)?;
            out.show(&json!({ "refused": true }), || "refused".to_owned())
        }
    }
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
    #[arg(long, default_value_t = DEFAULT_CHALLENGE_AGE_SECS)]
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
    Revoke(RevokeArgs),
    /// Issue a signed credential.
    Issue(IssueCmdArgs),
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Issuer key file (with its operator key).
    #[arg(long)]
    key: PathBuf,
    /// Credential id.
    #[arg(long)]
    credential: String,
    /// Why.
    #[arg(long)]
    reason: String,
}

#[derive(Debug, Args)]
pub struct IssueCmdArgs {
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
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    Ok(read_file(path, MAX_INPUT_BYTES)?)
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

fn unix_now() -> i64 {
    tendermint::Time::now().unix_timestamp()
}

pub fn credential(cmd: CredentialCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let mut w = open(vault)?;
    match cmd {
        CredentialCmd::List => {
            let list = w.credentials()?;
            out.show(&list, || text::credentials(&list))
        }
        CredentialCmd::Show { id } => show(&w, &id, out),
        CredentialCmd::Import { file } => {
            let c = w.import_credential(&read(&file)?)?;
            out.show(&c, || {
                format!("imported {} ({} from {})", c.id, c.kind.as_str(), c.issuer)
            })
        }
        CredentialCmd::Delete { id } => {
            w.delete_credential(&id)?;
            out.show(&json!({ "id": id, "deleted": true }), || {
                format!("deleted {id}")
            })
        }
        CredentialCmd::Offer { offer } => {
            let p = w.preview_offer(&offer_text(&offer)?)?;
            out.show(&p, || {
                let kinds: Vec<&str> = p.kinds.iter().map(|k| k.as_str()).collect();
                let code = p
                    .tx_code_length
                    .map(|n| format!("\nit needs a {n}-digit transaction code (--tx-code)"))
                    .unwrap_or_default();
                format!(
                    "{} ({}) offers: {}{code}",
                    p.issuer_name,
                    p.issuer_url,
                    kinds.join(", ")
                )
            })
        }
        CredentialCmd::Accept {
            offer,
            tx_code,
            private,
        } => {
            let c = w.take_offer(&offer_text(&offer)?, tx_code.as_deref(), private)?;
            out.show(&c, || received(&c))
        }
        CredentialCmd::Renew { id } => {
            let c = w.refresh_private(&id)?;
            out.show(&c, || received(&c))
        }
        CredentialCmd::Demo {
            kind,
            devnet_data,
            private,
        } => demo(&mut w, &kind, &devnet_data, private, out),
    }
}

fn received(c: &citywallet_wallet::dto::CredentialItem) -> String {
    let private = if c.private { "a private " } else { "" };
    format!(
        "received {} ({private}{} from {})",
        c.id,
        c.kind.as_str(),
        c.issuer
    )
}

/// An offer given on the command line, or `@FILE`.
fn offer_text(arg: &str) -> anyhow::Result<String> {
    match arg.strip_prefix('@') {
        Some(file) => Ok(String::from_utf8(read(Path::new(file))?)?.trim().to_owned()),
        None => Ok(arg.to_owned()),
    }
}

fn show(w: &Wallet, id: &str, out: &Output) -> anyhow::Result<()> {
    let c = w.credential(id)?;
    let claims: serde_json::Map<String, serde_json::Value> = c
        .claims
        .iter()
        .map(|cl| (cl.name.clone(), json!(cl.value)))
        .collect();
    let shown = json!({
        "id": c.id, "issuer": c.issuer, "type": c.kind, "holder": c.holder,
        "validFrom": c.valid_from, "validUntil": c.valid_until, "claims": claims,
    });
    out.show(&shown, || text::credential(&c))
}

fn demo(
    w: &mut Wallet,
    kind: &str,
    devnet_data: &Path,
    private: bool,
    out: &Output,
) -> anyhow::Result<()> {
    let primary = w.nodes_out()?.primary;
    let demo = citywallet_demo::Demo::new(devnet_data, &primary);
    let c = citywallet_demo::request_as(&demo, w, kind, private, unix_now())?;
    out.show(&c, || received(&c))
}

pub fn present(args: PresentArgs, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let challenge = String::from_utf8(read(&args.challenge)?)?;
    let p = open(vault)?.present_shown(&args.credential, &args.disclose, &challenge)?;
    let compact = p.compact.clone();
    if let Some(path) = &args.compact_out {
        write(path, &compact)?;
    }
    qr_out(&args, &compact)?;
    match &args.out {
        Some(path) => {
            write(path, &p.json)?;
            let shown = json!({ "out": path, "compactBytes": compact.len() });
            out.show(&shown, || {
                format!("presentation written to {}", path.display())
            })
        }
        None => {
            std::io::stdout().write_all(&p.json)?;
            println!();
            Ok(())
        }
    }
}

/// The compact form as a QR code: on the terminal, as SVG, or both.
fn qr_out(args: &PresentArgs, compact: &[u8]) -> anyhow::Result<()> {
    if !args.qr && args.qr_svg.is_none() {
        return Ok(());
    }
    let code = qr::encode(compact)?;
    if let Some(path) = &args.qr_svg {
        write(path, qr::to_svg(&code).as_bytes())?;
    }
    if args.qr {
        eprintln!("{}", qr::to_terminal(&code));
        eprintln!(
            "{} bytes, QR version {} (level M)",
            compact.len(),
            qr::version(&code)
        );
    }
    Ok(())
}

pub fn verify(args: VerifyArgs, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let challenge = read(&args.challenge)?;
    let presentation = read(&args.presentation)?;
    if args.online || args.offline {
        let check = if args.offline {
            Check::Offline
        } else {
            Check::Online
        };
        let mut w = open(vault)?;
        let v = w.verify_on_chain(&presentation, &challenge, check, args.max_age)?;
        out.notices(&mut w);
        let shown = json!({ "valid": true, "presentation": v.presentation, "chain": v.chain });
        return out.show(&shown, || text::verdict(&v, args.offline));
    }
    let mut issuers = Vec::new();
    for file in &args.issuers {
        issuers.extend(trusted_issuers(&read(file)?)?);
    }
    let v = crate::wallet(vault).verify_with_issuers(
        &presentation,
        &challenge,
        &issuers,
        args.max_age,
    )?;
    let disclosed: serde_json::Map<String, serde_json::Value> = v
        .disclosed
        .iter()
        .map(|(k, val)| (k.clone(), json!(val)))
        .collect();
    let shown = json!({
        "valid": true, "issuer": v.issuer, "credentialId": v.credential_id, "type": v.kind,
        "holder": v.holder, "validUntil": v.valid_until, "disclosed": disclosed,
    });
    out.show(&shown, || text::verified(&v))
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
            write(&p, &bytes)?;
            out.show(&c, || format!("challenge written to {}", p.display()))
        }
        None => {
            println!("{}", String::from_utf8_lossy(&bytes));
            Ok(())
        }
    }
}

pub fn issuer(cmd: IssuerCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    match cmd {
        IssuerCmd::Revoke(a) => revoke(vault, &a, out),
        IssuerCmd::Keygen { out: path, id } => {
            let public = issuer_keygen(&path, &id)?;
            out.show(&json!({ "id": id, "publicKey": public }), || {
                format!(
                    "issuer {id}: key written to {}\npublic key {public}",
                    path.display()
                )
            })
        }
        IssuerCmd::Issue(a) => issue(&a, out),
    }
}

fn revoke(vault: &Path, a: &RevokeArgs, out: &Output) -> anyhow::Result<()> {
    let key = zeroize::Zeroizing::new(read(&a.key)?);
    let mut w = open(vault)?;
    let r = w.revoke_credential(&key, &a.credential, &a.reason)?;
    out.notices(&mut w);
    out.show(&r, || text::receipt("credential", &r))
}

fn issue(a: &IssueCmdArgs, out: &Output) -> anyhow::Result<()> {
    let claims = match a.claims.strip_prefix('@') {
        Some(file) => String::from_utf8(read(Path::new(file))?)?,
        None => a.claims.clone(),
    };
    let args = IssueArgs {
        kind: &a.kind,
        holder: &a.holder,
        claims: &claims,
        id: a.id.as_deref(),
        valid_days: a.valid_days,
        now: unix_now(),
    };
    let key = zeroize::Zeroizing::new(read(&a.key)?);
    let c = issue_credential(&key, &args)?;
    write(&a.out, &c.to_json())?;
    out.show(&json!({ "id": c.id, "out": a.out }), || {
        format!("credential {} written to {}", c.id, a.out.display())
    })
}
