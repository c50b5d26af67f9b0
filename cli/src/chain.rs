//! Chain commands: nodes, trust, sync, status, reports, grants, device registration and the
//! officer's chain-backed verification. Each handler parses input, calls the light client
//! (`citywallet-light-client`) and prints the result.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use citywallet_core::credentials::Challenge;
use citywallet_core::keys::KeyPath;
use citywallet_core::vault::{NodeRole, Vault};
use citywallet_light_client::act::{NewDevice, NewGrant, NewReport, Receipt, Signer};
use citywallet_light_client::client::signed_power;
use citywallet_light_client::officer::{self, OfficerVerdict};
use citywallet_light_client::rpc::HttpNode;
use citywallet_light_client::session::{SETTING_NAMES, Session, Settings};
use clap::{Args, Subcommand};
use serde_json::json;
use tendermint_light_client_verifier::types::LightBlock;

use crate::creds::{read_input, unix_now};
use crate::secrets::UserError;
use crate::{Output, open};

/// The embedded devnet's RPC addresses: the target when no node is configured.
pub const DEVNET_PRIMARY: &str = "http://127.0.0.1:26657";
/// The devnet's witness RPC.
pub const DEVNET_WITNESS: &str = "http://127.0.0.1:26658";

#[derive(Debug, Subcommand)]
pub enum NodeCmd {
    /// Add a node: the primary (replacing any other), or a witness with --witness.
    Add {
        /// Its CometBFT JSON-RPC URL.
        url: String,
        /// Cross-check the primary against it instead.
        #[arg(long)]
        witness: bool,
    },
    /// List nodes (the local devnet when none is configured).
    List,
    /// Remove a node.
    Remove {
        /// Its URL.
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrustCmd {
    /// Anchor trust in the primary's genesis (trust on first use).
    Genesis {
        /// The chain id to expect.
        #[arg(long)]
        chain_id: Option<String>,
    },
    /// Anchor trust at a height whose header hash you got from a trusted source.
    Set {
        /// Height.
        #[arg(long)]
        height: u64,
        /// Header hash, hex.
        #[arg(long)]
        hash: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// File a signed report: verified first, its receipt kept.
    Submit {
        /// Category, such as pothole or streetlight.
        #[arg(long)]
        category: String,
        /// Location cell or address.
        #[arg(long)]
        location: String,
        /// What you saw (kept in the vault; only its hash goes on chain).
        #[arg(long)]
        description: String,
        /// Evidence file: hashed here, never uploaded.
        #[arg(long)]
        evidence: Option<PathBuf>,
    },
    /// Your reports with their proven status, and your reward points.
    List,
    /// Check a report's receipt again, offline.
    Receipt {
        /// Report id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum GrantCmd {
    /// Grant an organisation access to data categories.
    Create {
        /// Organisation id.
        #[arg(long)]
        org: String,
        /// Categories, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        categories: Vec<String>,
        /// Purpose.
        #[arg(long)]
        purpose: String,
        /// Expiry: YYYY-MM-DD (end of day, UTC) or RFC 3339.
        #[arg(long)]
        expires: String,
    },
    /// Revoke a grant.
    Revoke {
        /// Grant id.
        id: String,
    },
    /// Your grants.
    List,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Device id on the chain.
    #[arg(long)]
    pub id: String,
    /// Register the wallet's device key with this index (`citywallet device new`).
    #[arg(long, conflicts_with = "public_key")]
    pub index: Option<u32>,
    /// Or the device's own public key (hex), when the device keeps its secret.
    #[arg(long)]
    pub public_key: Option<String>,
    /// Kind, such as air-quality-sensor.
    #[arg(long)]
    pub kind: String,
    /// Location.
    #[arg(long)]
    pub location: String,
    /// Owning department.
    #[arg(long)]
    pub department: String,
}

#[derive(Debug, Args)]
pub struct ChainVerifyArgs {
    /// Presentation file: JSON or compact binary.
    pub presentation: PathBuf,
    /// The challenge this verifier issued.
    pub challenge: PathBuf,
    /// Oldest acceptable challenge, in seconds.
    pub max_age: i64,
    /// Offline: use the last verified snapshot.
    pub offline: bool,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// Show every setting.
    List,
    /// Change a setting.
    Set {
        /// Name (see `settings list`).
        name: String,
        /// Whole number.
        value: u64,
    },
}

fn nodes(vault: &Vault) -> anyhow::Result<(String, Vec<String>)> {
    let list = vault.nodes()?;
    if list.is_empty() {
        return Ok((DEVNET_PRIMARY.into(), vec![DEVNET_WITNESS.into()]));
    }
    let primary = list
        .iter()
        .find(|n| n.role == NodeRole::Primary)
        .map(|n| n.url.clone())
        .ok_or(UserError::new(
            "no_primary",
            "no primary node: `citywallet node add URL`",
        ))?;
    let witnesses = list
        .iter()
        .filter(|n| n.role == NodeRole::Witness)
        .map(|n| n.url.clone())
        .collect();
    Ok((primary, witnesses))
}

fn session(vault: &mut Vault) -> anyhow::Result<Session<'_>> {
    let (primary, witnesses) = nodes(vault)?;
    Ok(Session::over_http(vault, &primary, &witnesses)?)
}

/// Anchor at the genesis when the wallet has no trust yet, and say so on stderr. Actions
/// then sync by themselves.
fn anchored(s: &mut Session<'_>) -> anyhow::Result<()> {
    if let Some(b) = s.ensure_anchor()? {
        eprintln!(
            "no trust anchor yet: trusting the genesis of {} (block 1 {})",
            b.signed_header.header.chain_id,
            b.signed_header.header.hash()
        );
    }
    Ok(())
}

/// Sync with a progress line, anchoring first when needed.
fn synced(s: &mut Session<'_>, progress: bool) -> anyhow::Result<LightBlock> {
    anchored(s)?;
    let start = s.trusted()?.map_or(0, |b| b.height().value());
    let mut bar = |h: u64| {
        if progress {
            eprint!("\rverifying headers: height {h:>8} (from {start})");
            let _ = std::io::stderr().flush();
        }
    };
    let b = s.sync(&mut bar)?;
    if progress {
        eprintln!();
    }
    Ok(b)
}

fn header_json(b: &LightBlock) -> serde_json::Value {
    let h = &b.signed_header.header;
    let (signed, total) = signed_power(b);
    json!({
        "chainId": h.chain_id.as_str(), "height": h.height.value(),
        "time": h.time.to_rfc3339(), "hash": h.hash().to_string(),
        "signedPower": signed, "totalPower": total,
    })
}

fn receipt_json(r: &Receipt) -> serde_json::Value {
    json!({ "id": r.tx_hash, "action": r.action, "subject": r.subject,
            "height": r.header.height().value(), "key": r.read.key })
}

pub fn node(cmd: NodeCmd, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    match cmd {
        NodeCmd::Add { url, witness } => {
            HttpNode::new(&url, Duration::from_secs(1))?;
            let role = if witness {
                NodeRole::Witness
            } else {
                NodeRole::Primary
            };
            vault.add_node(url.trim_end_matches('/'), role)?;
            out.show(&json!({ "url": url, "role": role }), || {
                format!(
                    "added {url} as {}",
                    if witness { "witness" } else { "primary" }
                )
            });
        }
        NodeCmd::Remove { url } => {
            vault.remove_node(url.trim_end_matches('/'))?;
            out.show(&json!({ "url": url, "removed": true }), || {
                format!("removed {url}")
            });
        }
        NodeCmd::List => {
            let (primary, witnesses) = nodes(&vault)?;
            let default = vault.nodes()?.is_empty();
            out.show(
                &json!({ "primary": primary, "witnesses": witnesses, "defaultDevnet": default }),
                || {
                    let mut text = format!("primary  {primary}");
                    for w in &witnesses {
                        text.push_str(&format!("\nwitness  {w}"));
                    }
                    if default {
                        text.push_str("\n(no node configured: the local devnet)");
                    }
                    text
                },
            );
        }
    }
    Ok(())
}

pub fn trust(cmd: TrustCmd, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    let mut s = session(&mut vault)?;
    let b = match cmd {
        TrustCmd::Genesis { chain_id } => s.anchor_genesis(chain_id.as_deref())?,
        TrustCmd::Set { height, hash } => {
            let hash = hex::decode(hash.trim())
                .map_err(|_| UserError::new("invalid_input", "the hash is not hexadecimal"))?;
            s.anchor_at(height, &hash)?
        }
    };
    let v = header_json(&b);
    out.show(&v, || {
        format!(
            "trust anchored at height {} ({})",
            b.height().value(),
            b.signed_header.header.hash()
        )
    });
    Ok(())
}

pub fn sync(vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    let mut s = session(&mut vault)?;
    let b = synced(&mut s, !out.json)?;
    let (height, issuers, revoked) = s.refresh_snapshot()?;
    let mut v = header_json(&b);
    v["snapshot"] = json!({ "height": height, "issuers": issuers, "revoked": revoked });
    out.show(&v, || {
        let (signed, total) = signed_power(&b);
        format!(
            "verified height {} at {} ({signed}/{total} power signed)\nregistry snapshot: {issuers} issuers, {revoked} revoked credentials",
            b.height().value(),
            b.signed_header.header.time.to_rfc3339()
        )
    });
    Ok(())
}

pub fn status(vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let vault = open(vault_path)?;
    let (primary, witnesses) = nodes(&vault)?;
    let trusted = vault
        .latest_trusted_header()?
        .map(|h| citywallet_light_client::act::block_from_json(&h.body))
        .transpose()?;
    let divergence = vault.open_divergence()?;
    let snapshot = vault.snapshot(officer::SNAPSHOT)?;
    let settings = Settings::load(&vault)?;
    let now = unix_now();
    let expired = trusted.as_ref().is_some_and(|b| {
        now - b.signed_header.header.time.unix_timestamp()
            > settings.trusting_period.as_secs() as i64
    });
    let v = json!({
        "primary": primary, "witnesses": witnesses,
        "trusted": trusted.as_ref().map(header_json),
        "trustExpired": expired,
        "divergence": divergence.as_ref().map(|d| json!({
            "height": d.height, "witness": d.witness_url, "detectedAt": d.detected_at,
            "evidenceSubmitted": d.submitted,
        })),
        "snapshot": snapshot.as_ref().map(|s| json!({
            "height": s.height, "ageSecs": now - s.header_time,
        })),
    });
    out.show(&v, || {
        let mut text = format!("primary  {primary}\n");
        for w in &witnesses {
            text.push_str(&format!("witness  {w}\n"));
        }
        match &trusted {
            None => text.push_str("trusted  none yet: `citywallet sync`\n"),
            Some(b) => {
                let (signed, total) = signed_power(b);
                text.push_str(&format!(
                    "trusted  height {} at {} ({signed}/{total} power signed){}\n",
                    b.height().value(),
                    b.signed_header.header.time.to_rfc3339(),
                    if expired {
                        ": EXPIRED, set a new anchor with `citywallet trust`"
                    } else {
                        ""
                    }
                ));
            }
        }
        if let Some(d) = &divergence {
            text.push_str(&format!(
                "DIVERGENCE at height {} with witness {}: every action is stopped. Evidence kept; set a new trust anchor with `citywallet trust` once resolved.\n",
                d.height, d.witness_url
            ));
        }
        if let Some(s) = &snapshot {
            text.push_str(&format!(
                "snapshot height {}, {} s old\n",
                s.height,
                now - s.header_time
            ));
        }
        text.trim_end().to_owned()
    });
    Ok(())
}

pub fn report(cmd: ReportCmd, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    match cmd {
        ReportCmd::Submit {
            category,
            location,
            description,
            evidence,
        } => {
            let evidence_sha256 = evidence.as_deref().map(sha256_file).transpose()?;
            let mut s = session(&mut vault)?;
            anchored(&mut s)?;
            let (id, r) = s.submit_report(&NewReport {
                category: &category,
                location: &location,
                description: &description,
                evidence_sha256,
            })?;
            let mut v = receipt_json(&r);
            v["report"] = json!(id);
            out.show(&v, || {
                format!(
                    "report {id} filed; proven at height {} (receipt {})",
                    r.header.height().value(),
                    r.tx_hash
                )
            });
        }
        ReportCmd::List => {
            let mut s = session(&mut vault)?;
            anchored(&mut s)?;
            let (reports, points) = s.refresh_reports()?;
            let list: Vec<_> = reports
                .iter()
                .map(|r| {
                    let body: serde_json::Value =
                        serde_json::from_str(&r.body).unwrap_or_default();
                    json!({ "id": r.id, "status": r.status, "createdAt": r.created_at, "details": body })
                })
                .collect();
            out.show(&json!({ "reports": list, "rewardPoints": points }), || {
                let mut text = reports
                    .iter()
                    .map(|r| format!("{}  {}", r.id, r.status))
                    .collect::<Vec<_>>()
                    .join("\n");
                text.push_str(&format!("\nreward points: {points}"));
                text.trim_start().to_owned()
            });
        }
        ReportCmd::Receipt { id } => {
            let stored = vault.receipts(Some(&id))?;
            let r = stored.first().ok_or(citywallet_core::Error::NotFound {
                kind: "receipt for",
                id: id.clone(),
            })?;
            let check = Receipt::from_stored(r)?.verify_offline(&vault)?;
            out.show(&check, || {
                format!(
                    "receipt {} verifies: {} of {} proven at height {} ({}), header {}",
                    check.id,
                    check.action,
                    check.subject,
                    check.height,
                    check.header_time,
                    check.header_hash
                )
            });
        }
    }
    Ok(())
}

fn parse_expiry(s: &str) -> anyhow::Result<u64> {
    let text = if s.len() == 10 {
        format!("{s}T23:59:59Z")
    } else {
        s.to_owned()
    };
    let t = tendermint::Time::parse_from_rfc3339(&text).map_err(|_| {
        UserError::new(
            "invalid_date",
            "the expiry is not a date (YYYY-MM-DD) or an RFC 3339 time",
        )
    })?;
    Ok(t.unix_timestamp().max(0) as u64)
}

pub fn grant(cmd: GrantCmd, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    match cmd {
        GrantCmd::Create {
            org,
            categories,
            purpose,
            expires,
        } => {
            let expires_at = parse_expiry(&expires)?;
            let mut s = session(&mut vault)?;
            anchored(&mut s)?;
            let (id, r) = s.create_grant(&NewGrant {
                org: &org,
                categories: &categories,
                purpose: &purpose,
                expires_at,
            })?;
            let mut v = receipt_json(&r);
            v["grant"] = json!(id);
            out.show(&v, || {
                format!(
                    "grant {id} to {org} created; proven at height {}",
                    r.header.height().value()
                )
            });
        }
        GrantCmd::Revoke { id } => {
            let mut s = session(&mut vault)?;
            anchored(&mut s)?;
            let r = s.revoke_grant(&id)?;
            out.show(&receipt_json(&r), || {
                format!(
                    "grant {id} revoked; proven at height {}",
                    r.header.height().value()
                )
            });
        }
        GrantCmd::List => {
            let grants = vault.own("grants")?;
            let list: Vec<_> = grants
                .iter()
                .map(|g| {
                    let body: serde_json::Value =
                        serde_json::from_str(&g.body).unwrap_or_default();
                    json!({ "id": g.id, "status": g.status, "createdAt": g.created_at, "details": body })
                })
                .collect();
            out.show(&list, || {
                if grants.is_empty() {
                    return "no grants yet".into();
                }
                grants
                    .iter()
                    .map(|g| format!("{}  {}  {}", g.id, g.status, g.body))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

pub fn device_register(args: RegisterArgs, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    let public_key: [u8; 32] = match (&args.public_key, args.index) {
        (Some(hex_key), _) => hex::decode(hex_key.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(UserError::new(
                "invalid_input",
                "the public key is not 32 bytes of hex",
            ))?,
        (None, Some(i)) => vault
            .key_pair(KeyPath::device(u64::from(i))?)?
            .public()
            .to_bytes(),
        (None, None) => {
            return Err(UserError::new(
                "invalid_input",
                "give --index (a wallet device key) or --public-key",
            )
            .into());
        }
    };
    let mut s = session(&mut vault)?;
    anchored(&mut s)?;
    let r = s.register_device(&NewDevice {
        id: &args.id,
        public_key,
        kind: &args.kind,
        location: &args.location,
        department: &args.department,
    })?;
    out.show(&receipt_json(&r), || {
        format!(
            "device {} registered; proven at height {}",
            args.id,
            r.header.height().value()
        )
    });
    Ok(())
}

pub fn device_revoke(id: &str, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    let mut s = session(&mut vault)?;
    anchored(&mut s)?;
    let r = s.revoke_device(id)?;
    out.show(&receipt_json(&r), || {
        format!(
            "device {id} revoked; proven at height {}",
            r.header.height().value()
        )
    });
    Ok(())
}

/// Revoke a credential with the issuer's operator key (from the issuer key file).
pub fn issuer_revoke(
    operator: &ed25519_dalek::SigningKey,
    issuer: &str,
    credential: &str,
    reason: &str,
    vault_path: &Path,
    out: &Output,
) -> anyhow::Result<()> {
    use ed25519_dalek::Signer as _;
    let mut vault = open(vault_path)?;
    let mut s = session(&mut vault)?;
    anchored(&mut s)?;
    let sign = |m: &[u8]| operator.sign(m).to_bytes();
    let signer = Signer {
        public: operator.verifying_key().to_bytes(),
        sign: Box::new(sign),
    };
    let r = s.revoke_credential(&signer, issuer, credential, reason)?;
    out.show(&receipt_json(&r), || {
        format!(
            "credential {credential} revoked; proven at height {}",
            r.header.height().value()
        )
    });
    Ok(())
}

pub fn verify_on_chain(
    args: ChainVerifyArgs,
    vault_path: &Path,
    out: &Output,
) -> anyhow::Result<()> {
    let challenge = Challenge::from_json(&read_input(&args.challenge)?)?;
    let presentation = read_input(&args.presentation)?;
    let mut vault = open(vault_path)?;
    let v: OfficerVerdict = if args.offline {
        let limit = Settings::load(&vault)?.snapshot_max_age.as_secs();
        officer::verify_presentation_offline(
            &vault,
            &presentation,
            &challenge,
            args.max_age,
            limit,
        )?
    } else {
        let mut s = session(&mut vault)?;
        anchored(&mut s)?;
        s.verify_presentation_online(&presentation, &challenge, args.max_age)?
    };
    out.show(
        &json!({ "valid": true, "presentation": v.presentation, "chain": v.chain }),
        || {
            let mut text = format!(
                "VALID: {} credential {} from {} ({}), holder {}\n",
                v.presentation.kind.as_str(),
                v.presentation.credential_id,
                v.chain.issuer_name,
                v.presentation.issuer,
                v.presentation.holder
            );
            for (k, val) in &v.presentation.disclosed {
                text.push_str(&format!("  {k:<14} {val}\n"));
            }
            text.push_str(&format!(
                "chain: issuer active and credential not revoked, proven at height {}{}",
                v.chain.height,
                if args.offline {
                    format!(" (offline snapshot, {} s old)", v.chain.age_secs)
                } else {
                    String::new()
                }
            ));
            text
        },
    );
    Ok(())
}

pub fn settings(cmd: SettingsCmd, vault_path: &Path, out: &Output) -> anyhow::Result<()> {
    let mut vault = open(vault_path)?;
    if let SettingsCmd::Set { name, value } = &cmd {
        if !SETTING_NAMES.iter().any(|(n, _)| n == name) {
            return Err(
                UserError::new("invalid_input", "no such setting: see `settings list`").into(),
            );
        }
        vault.set_setting(name, &value.to_string())?;
    }
    let s = Settings::load(&vault)?;
    let values = [
        s.trusting_period.as_secs(),
        s.clock_drift.as_secs(),
        s.request_timeout.as_millis() as u64,
        s.effect_wait.as_secs(),
        s.snapshot_max_age.as_secs(),
    ];
    let map: serde_json::Map<String, serde_json::Value> = SETTING_NAMES
        .iter()
        .zip(values)
        .map(|((n, _), v)| ((*n).to_owned(), json!(v)))
        .collect();
    out.show(&map, || {
        SETTING_NAMES
            .iter()
            .zip(values)
            .map(|((n, what), v)| format!("{n:<24} {v:>10}  {what}"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// SHA-256 of a file, read in pieces (evidence files can be large; they never leave the
/// device).
fn sha256_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(h.finalize().into())
}
