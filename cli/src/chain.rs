//! Chain commands: nodes, trust, sync, status, reports and their review, grants,
//! organisations, devices and settings. Argument definitions, and handlers that make one
//! wallet call each.

use std::io::Write;
use std::path::{Path, PathBuf};

use citywallet_core::vault::NodeRole;
use citywallet_wallet::dto::{DeviceIn, GrantIn, ReceiptOut, ReportIn, SyncProgress};
use citywallet_wallet::input::{self, MAX_CSV_BYTES, read_file};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::{Output, open, secrets, text};

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
    /// Anchor trust with the anchor your city publishes: its JSON
    /// (`{"chainId", "height", "hash"}`, as in its QR code) or "HEIGHT HASH"; `@FILE` reads
    /// it from a file.
    Anchor {
        /// The anchor, or @FILE.
        anchor: String,
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
    Submit(SubmitArgs),
    /// Your reports with their proven status, and your reward points.
    List,
    /// Check a report's receipt again, offline.
    Receipt {
        /// Report id.
        id: String,
    },
    /// Officer: reports on the chain waiting for review, newest first, a page at a time.
    Pending {
        /// Go on with older reports: the cursor the previous page printed.
        #[arg(long)]
        older: Option<String>,
    },
    /// Officer: accept (with reward points) or reject a report.
    Review(ReviewArgs),
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Category, such as pothole or streetlight.
    #[arg(long)]
    pub category: String,
    /// Location cell (letters, digits and : . _ -, such as cell-8a2b).
    #[arg(long)]
    pub location: String,
    /// What you saw (kept in the vault; only its hash goes on chain).
    #[arg(long)]
    pub description: String,
    /// Evidence file: hashed here, never uploaded.
    #[arg(long)]
    pub evidence: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Report id.
    pub id: String,
    /// Accept it.
    #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
    pub accept: bool,
    /// Reject it.
    #[arg(long)]
    pub reject: bool,
    /// Reward points for the reporter (with --accept).
    #[arg(long, default_value_t = 0)]
    pub reward: u64,
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

#[derive(Debug, Subcommand)]
pub enum OrgCmd {
    /// Every registered organisation, proven.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCmd {
    /// Derive the next device key.
    New {
        /// A name for the device.
        #[arg(long)]
        label: Option<String>,
    },
    /// List device keys.
    List,
    /// Technician: register a device key on the chain (verified first, receipt kept).
    Register(RegisterArgs),
    /// Technician: register every device of a CSV file
    /// (`id,kind,location,department[,public_key]`, with a header line), row by row.
    ProvisionCsv {
        /// The CSV file.
        file: PathBuf,
    },
    /// Technician: the devices this wallet registered, with their proven status.
    Status,
    /// Technician: revoke a device on the chain.
    Revoke {
        /// Device id.
        id: String,
    },
    /// Technician: write the encrypted provisioning bundle of a wallet-made device key
    /// (its passphrase from CITYWALLET_DEVICE_PASSPHRASE or a prompt).
    Bundle {
        /// Device id (the label its key was made with).
        #[arg(long)]
        id: String,
        /// File to write (it must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Stand in for a device's firmware: from its provisioning bundle alone, write batches
    /// of readings and anchor each on the chain with the device key (no wallet vault used).
    Simulate(crate::simulate::SimulateArgs),
    /// Check a device's readings file against the device's anchor of that batch on the
    /// chain (proven by this wallet's light client); fails when they differ.
    CheckReading {
        /// The batch file.
        file: PathBuf,
    },
    /// Technician: every device of your department, with its proven status and latest
    /// anchor and its age.
    Department {
        /// Start at this place in the department's log.
        #[arg(long, default_value_t = 0)]
        from: u64,
    },
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Device id on the chain.
    #[arg(long)]
    pub id: String,
    /// Register the wallet's device key with this index (`citywallet device new`); with
    /// neither this nor --public-key, a new wallet key is made.
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

/// A receipt's JSON with the subject also under `name` (`report`, `grant`), as printed
/// before the wallet crate existed.
fn receipt_json(r: &ReceiptOut, name: &str) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(r)?;
    v[name] = json!(r.subject);
    Ok(v)
}

pub fn node(cmd: NodeCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let mut w = open(vault)?;
    match cmd {
        NodeCmd::Add { url, witness } => {
            let role = if witness {
                NodeRole::Witness
            } else {
                NodeRole::Primary
            };
            w.add_node(&url, role)?;
            out.show(&json!({ "url": url, "role": role }), || {
                format!("added {url} as {}", role.as_str())
            })
        }
        NodeCmd::Remove { url } => {
            w.remove_node(&url)?;
            out.show(&json!({ "url": url, "removed": true }), || {
                format!("removed {url}")
            })
        }
        NodeCmd::List => {
            let n = w.nodes_out()?;
            out.show(&n, || text::nodes(&n))
        }
    }
}

pub fn trust(cmd: TrustCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let mut w = open(vault)?;
    let t = match cmd {
        TrustCmd::Genesis { chain_id } => w.trust_genesis(chain_id.as_deref())?,
        TrustCmd::Set { height, hash } => w.trust_at(height, &hash)?,
        TrustCmd::Anchor { anchor } => {
            let text = match anchor.strip_prefix('@') {
                Some(file) => String::from_utf8(read_file(Path::new(file), 4096)?)?,
                None => anchor,
            };
            w.trust_anchor(&text)?
        }
    };
    out.show(&t, || text::anchored(&t))
}

pub fn sync(vault: &Path, out: &Output) -> anyhow::Result<()> {
    let mut w = open(vault)?;
    let bar = !out.json;
    let mut progress = |p: SyncProgress| {
        if bar {
            eprint!(
                "\rverifying headers: height {:>8} (from {})",
                p.height, p.from
            );
            let _ = std::io::stderr().flush();
        }
    };
    let s = w.sync(&mut progress)?;
    if bar {
        eprintln!();
    }
    out.notices(&mut w);
    out.show(&s, || text::synced(&s))
}

pub fn status(vault: &Path, out: &Output) -> anyhow::Result<()> {
    let s = open(vault)?.chain_status()?;
    out.show(&s, || text::status(&s))
}

pub fn report(cmd: ReportCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let mut w = open(vault)?;
    match cmd {
        ReportCmd::Submit(a) => submit(&mut w, a, out),
        ReportCmd::List => {
            let r = w.reports()?;
            out.notices(&mut w);
            out.show(&r, || text::reports(&r))
        }
        ReportCmd::Receipt { id } => {
            let r = w.receipt(&id)?;
            out.show(&r, || {
                format!("receipt verifies: {}", text::receipt("", &r).trim())
            })
        }
        ReportCmd::Pending { older } => {
            let list = w.pending_reports(older.as_deref())?;
            out.show(&list, || text::pending(&list))
        }
        ReportCmd::Review(a) => {
            let r = w.review_report(&a.id, a.accept, a.reward)?;
            out.show(&receipt_json(&r, "report")?, || text::receipt("report", &r))
        }
    }
}

fn submit(w: &mut citywallet_wallet::Wallet, a: SubmitArgs, out: &Output) -> anyhow::Result<()> {
    let evidence_sha256 = a
        .evidence
        .as_deref()
        .map(input::sha256_file)
        .transpose()?
        .map(hex::encode);
    let report = ReportIn {
        category: a.category,
        location: a.location,
        description: a.description,
        evidence_sha256,
        residency: None,
    };
    let r = w.submit_report(&report)?;
    out.notices(w);
    out.show(&receipt_json(&r, "report")?, || text::receipt("report", &r))
}

pub fn grant(cmd: GrantCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let mut w = open(vault)?;
    match cmd {
        GrantCmd::Create {
            org,
            categories,
            purpose,
            expires,
        } => {
            let r = w.create_grant(&GrantIn {
                org,
                categories,
                purpose,
                expires,
            })?;
            out.notices(&mut w);
            out.show(&receipt_json(&r, "grant")?, || text::receipt("grant", &r))
        }
        GrantCmd::Revoke { id } => {
            let r = w.revoke_grant(&id)?;
            out.show(&receipt_json(&r, "grant")?, || text::receipt("grant", &r))
        }
        GrantCmd::List => {
            let list = w.grants()?;
            out.show(&list, || text::grants(&list))
        }
    }
}

pub fn org(cmd: OrgCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let OrgCmd::List = cmd;
    let mut w = open(vault)?;
    let list = w.organisations()?;
    out.notices(&mut w);
    out.show(&list, || text::orgs(&list))
}

pub fn device(cmd: DeviceCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    if let DeviceCmd::Simulate(a) = cmd {
        return crate::simulate::simulate(a, out);
    }
    let mut w = open(vault)?;
    match cmd {
        DeviceCmd::Simulate(_) => unreachable!("handled above"),
        DeviceCmd::CheckReading { file } => {
            let bytes = read_file(&file, citywallet_wallet::anchors::MAX_BATCH_BYTES as u64)?;
            let c = w.check_reading(&bytes)?;
            out.show(&c, || text::reading_check(&c))?;
            if c.matches {
                Ok(())
            } else {
                Err(citywallet_wallet::Error::ReadingsNotAnchored {
                    device: c.device,
                    seq: c.seq,
                }
                .into())
            }
        }
        DeviceCmd::Department { from } => {
            let d = w.department_devices(from)?;
            out.show(&d, || text::department(&d))
        }
        DeviceCmd::New { label } => {
            let d = w.new_device_key(label.as_deref())?;
            out.show(&d, || {
                format!("device {}  {}  {}", d.index, d.path, d.public_key_hex)
            })
        }
        DeviceCmd::List => {
            let list = w.device_keys()?;
            out.show(&list, || text::device_keys(&list))
        }
        DeviceCmd::Register(a) => register(&mut w, a, out),
        DeviceCmd::ProvisionCsv { file } => {
            let csv = String::from_utf8(read_file(&file, MAX_CSV_BYTES)?)?;
            let rows = w.provision_csv(&csv, &mut |p| {
                eprintln!("{}/{} {}", p.done, p.total, p.row.id)
            })?;
            out.show(&rows, || text::rows(&rows))
        }
        DeviceCmd::Status => {
            let list = w.devices()?;
            out.show(&list, || text::devices(&list))
        }
        DeviceCmd::Revoke { id } => {
            let r = w.revoke_device(&id)?;
            out.show(&receipt_json(&r, "device")?, || text::receipt("device", &r))
        }
        DeviceCmd::Bundle { id, out: dest } => bundle(&mut w, &id, &dest, out),
    }
}

fn register(
    w: &mut citywallet_wallet::Wallet,
    a: RegisterArgs,
    out: &Output,
) -> anyhow::Result<()> {
    let d = DeviceIn {
        id: a.id,
        public_key: a.public_key,
        key_index: a.index,
        kind: a.kind,
        location: a.location,
        department: a.department,
    };
    let item = w.provision(&d)?;
    out.notices(w);
    let r = w.receipt(&item.id)?;
    out.show(&receipt_json(&r, "device")?, || text::receipt("device", &r))
}

fn bundle(
    w: &mut citywallet_wallet::Wallet,
    id: &str,
    dest: &Path,
    out: &Output,
) -> anyhow::Result<()> {
    let pass = secrets::new_passphrase("CITYWALLET_DEVICE_PASSPHRASE", "Device bundle passphrase")?;
    w.export_bundle(id, &pass, dest)?;
    out.show(&json!({ "device": id, "out": dest }), || {
        format!("bundle written to {}", dest.display())
    })
}

pub fn settings(cmd: SettingsCmd, vault: &Path, out: &Output) -> anyhow::Result<()> {
    let mut w = open(vault)?;
    let list = match cmd {
        SettingsCmd::List => w.settings()?,
        SettingsCmd::Set { name, value } => w.set_setting(&name, value)?,
    };
    let map: serde_json::Map<String, serde_json::Value> = list
        .iter()
        .map(|s| (s.name.clone(), json!(s.value)))
        .collect();
    out.show(&map, || text::settings(&list))
}
