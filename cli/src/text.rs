//! The human-readable forms of the wallet's results (`--json` prints the results
//! themselves).

use std::path::Path;

use citywallet_core::credentials::Verified;
use citywallet_core::vault::{DeviceRecord, IdentityInfo};
use citywallet_light_client::officer::OfficerVerdict;
use citywallet_wallet::dto::{
    ActivityItem, ChainStatus, CredentialDetail, CredentialItem, DepartmentDevicesOut, DeviceItem,
    NodesOut, OrgItem, PendingReportsOut, ProvisionRow, ReadingCheckOut, ReceiptOut, ReportsOut,
    SettingItem, SyncOut, TrustedOut,
};

pub fn identity(id: &IdentityInfo) -> String {
    format!(
        "did:        {}\npublic key: {}\npath:       {}",
        id.did, id.public_key_hex, id.path
    )
}

/// The phrase in rows of four numbered words.
pub fn words(words: &[String]) -> String {
    words
        .chunks(4)
        .enumerate()
        .map(|(row, ws)| {
            let cells: Vec<String> = ws
                .iter()
                .enumerate()
                .map(|(i, w)| format!("{:>2}. {:<10}", row * 4 + i + 1, w))
                .collect();
            format!("  {}", cells.join(" ").trim_end())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn created(path: &Path, did: &str, phrase: &str) -> String {
    let list: Vec<String> = phrase.split(' ').map(str::to_owned).collect();
    format!(
        "Vault created at {}\nYour identity: {did}\n\n\
         RECOVERY PHRASE: write these {} words down, in order, on paper.\n\
         Anyone who has them controls your identity. They are shown only this once.\n\n{}",
        path.display(),
        list.len(),
        words(&list)
    )
}

pub fn device_keys(devices: &[DeviceRecord]) -> String {
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
}

fn device_line(d: &DeviceItem) -> String {
    let anchor = match &d.latest_anchor {
        Some(a) => format!(
            "batch {} at height {}, {} ago",
            a.seq,
            a.height,
            age(a.age_secs)
        ),
        None => "no anchor yet".into(),
    };
    format!(
        "{:<20} {:?}  {}  {}  {anchor}",
        d.id, d.status, d.kind, d.location
    )
}

/// A duration as people read it: seconds, minutes, hours or days.
fn age(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

pub fn devices(devices: &[DeviceItem]) -> String {
    if devices.is_empty() {
        return "no devices registered by this wallet".into();
    }
    devices
        .iter()
        .map(device_line)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn department(d: &DepartmentDevicesOut) -> String {
    let mut lines = vec![format!(
        "department {}: {} devices on the chain",
        d.department, d.total
    )];
    lines.extend(d.devices.iter().map(device_line));
    if let Some(next) = d.next {
        lines.push(format!("more: --from {next}"));
    }
    lines.join("\n")
}

pub fn reading_check(c: &ReadingCheckOut) -> String {
    let anchor = match &c.anchor {
        Some(a) if c.matches => format!(
            "matches the anchor at height {} ({} readings, anchored {} ago)",
            a.height,
            a.count,
            age(a.age_secs)
        ),
        Some(a) => format!(
            "DOES NOT MATCH the anchor at height {} (digest {}, {} readings)",
            a.height, a.digest, a.count
        ),
        None => "DOES NOT MATCH: the chain holds no anchor of this batch".into(),
    };
    let device = match c.device_active {
        Some(true) => "active",
        Some(false) => "revoked",
        None => "not registered",
    };
    format!(
        "device {} ({device}), batch {}: {} readings, digest {}\n{anchor}\n(proven at height {})",
        c.device, c.seq, c.count, c.digest, c.height
    )
}

pub fn rows(rows: &[ProvisionRow]) -> String {
    rows.iter()
        .map(|r| match (&r.error, r.height) {
            (None, h) => format!(
                "line {:>4}  {:<20} registered at height {}",
                r.line,
                r.id,
                h.unwrap_or(0)
            ),
            (Some(e), _) => format!("line {:>4}  {:<20} refused: {}", r.line, r.id, e.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn header(t: &TrustedOut) -> String {
    format!(
        "height {} at {} ({}/{} power signed)",
        t.height, t.time, t.signed_power, t.total_power
    )
}

pub fn synced(s: &SyncOut) -> String {
    format!(
        "verified {}\nregistry snapshot: {} issuers, {} revoked credentials",
        header(&s.trusted),
        s.snapshot.issuers,
        s.snapshot.revoked
    )
}

pub fn status(s: &ChainStatus) -> String {
    let mut text = format!("primary  {}\n", s.primary);
    for w in &s.witnesses {
        text.push_str(&format!("witness  {w}\n"));
    }
    match &s.trusted {
        None => text.push_str("trusted  none yet: `citywallet sync`\n"),
        Some(t) => text.push_str(&format!(
            "trusted  {}{}\n",
            header(t),
            if s.trust_expired {
                ": EXPIRED, set a new anchor with `citywallet trust`"
            } else {
                ""
            }
        )),
    }
    if let Some(d) = &s.divergence {
        text.push_str(&format!(
            "DIVERGENCE at height {} with witness {}: every action is stopped. Evidence kept; set a new trust anchor with `citywallet trust` once resolved.\n",
            d.height, d.witness
        ));
    }
    if let Some(age) = s.snapshot_age_secs {
        text.push_str(&format!("snapshot {age} s old\n"));
    }
    text.trim_end().to_owned()
}

pub fn receipt(what: &str, r: &ReceiptOut) -> String {
    format!(
        "{what} {}: {} proven at height {} (receipt {}, header {})",
        r.subject,
        r.action.as_str(),
        r.height,
        r.id,
        r.header_hash
    )
}

pub fn reports(r: &ReportsOut) -> String {
    let mut text = r
        .reports
        .iter()
        .map(|r| format!("{}  {}  {}", r.id, r.status.as_str(), r.location))
        .collect::<Vec<_>>()
        .join("\n");
    text.push_str(&format!("\nreward points: {}", r.reward_points));
    text.trim_start().to_owned()
}

pub fn pending(page: &PendingReportsOut) -> String {
    if page.reports.is_empty() && page.older.is_none() {
        return "no report waits for review".into();
    }
    let mut lines: Vec<String> = page
        .reports
        .iter()
        .map(|r| format!("{}  {}  {}", r.id, r.category, r.location_cell))
        .collect();
    if let Some(c) = &page.older {
        lines.push(format!(
            "older reports: citywallet report pending --older {c}"
        ));
    }
    lines.join("\n")
}

pub fn grants(list: &[citywallet_core::vault::GrantEntry]) -> String {
    if list.is_empty() {
        return "no grants yet".into();
    }
    list.iter()
        .map(|g| {
            format!(
                "{}  {}  {} ({})  {}",
                g.id,
                g.status.as_str(),
                g.org_name,
                g.categories.join(","),
                g.purpose
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn orgs(list: &[OrgItem]) -> String {
    list.iter()
        .map(|o| {
            format!(
                "{:<20} {}  [{}]{}",
                o.id,
                o.name,
                o.categories.join(","),
                if o.active { "" } else { "  (inactive)" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn settings(list: &[SettingItem]) -> String {
    list.iter()
        .map(|s| format!("{:<24} {:>10}  {}", s.name, s.value, s.description))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn activity(list: &[ActivityItem]) -> String {
    list.iter()
        .map(|a| {
            format!(
                "{:>6}  {}  {:<24} {}",
                a.id,
                a.at,
                a.kind.as_str(),
                a.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn verdict(v: &OfficerVerdict, offline: bool) -> String {
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
        if offline {
            format!(" (offline snapshot, {} s old)", v.chain.age_secs)
        } else {
            String::new()
        }
    ));
    text
}

pub fn credentials(list: &[CredentialItem]) -> String {
    if list.is_empty() {
        return "no credentials yet: `citywallet credential import FILE`".into();
    }
    list.iter()
        .map(|c| {
            format!(
                "{}  {:<10} {:<24} {}{}",
                c.id,
                c.kind.as_str(),
                c.issuer,
                c.claims.join(","),
                if c.private { "  (private)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn credential(c: &CredentialDetail) -> String {
    let head = format!("{}  ({} from {})", c.id, c.kind.as_str(), c.issuer);
    let lines = c
        .claims
        .iter()
        .map(|cl| format!("  {:<14} {}", cl.name, cl.value));
    std::iter::once(head)
        .chain(lines)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn verified(v: &Verified) -> String {
    let head = format!(
        "valid: {} credential {} from {}\nholder: {}",
        v.kind.as_str(),
        v.credential_id,
        v.issuer,
        v.holder
    );
    let lines = v
        .disclosed
        .iter()
        .map(|(k, val)| format!("  {k:<14} {val}"));
    std::iter::once(head)
        .chain(lines)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn nodes(n: &NodesOut) -> String {
    let mut text = format!("primary  {}", n.primary);
    for w in &n.witnesses {
        text.push_str(&format!("\nwitness  {w}"));
    }
    if n.default_devnet {
        text.push_str("\n(no node configured: the local devnet)");
    }
    text
}

pub fn anchored(t: &TrustedOut) -> String {
    format!(
        "trust anchored at height {} of chain {} (header {}, signed {}/{}).\n\
         Everything this wallet verifies from now on rests on that header: it must come from a \
         source you trust, such as your city's published notice.",
        t.height, t.chain_id, t.hash, t.signed_power, t.total_power
    )
}
