//! The field officer's check of a presentation against the chain.
//!
//! Online: the issuer's registry entry (registered, active, allowed to issue the type, this
//! BBS key) and the credential's revocation status (absence proven) are read with proofs
//! against a header verified just now, then the presentation itself is verified.
//!
//! Offline: the same facts come from the last verified snapshot of the issuer registry and
//! the issuers' revocation lists (`index/issuers`, `issuer/{id}`, `revocations/{id}`, all
//! proven against one verified header and checked again on use). The answer says how old
//! the snapshot is, and the check is refused when it is older than the configured limit.
//!
//! Three presentation forms are taken: the core's (a BBS proof over the credential's
//! messages), the W3C one (a VC 2.0 credential derived with `bbs-2023` inside a
//! presentation the holder signed, JSON or compact; see `citywallet_vc::presentation`), and
//! the private one (a credential without ids, holder binding and a pseudonym, no DID and
//! no holder signature; `citywallet_vc::private`). A private presentation names no holder
//! and no credential id: its `holder` and `credential_id` are empty, and no revocation list
//! can be looked up for it. It is short-lived instead: its issuer's record on the chain
//! holds a revocation bound (`max_revocation_delay_secs`), the issuer stops refreshing a
//! revoked credential, and a private credential still valid for longer than the bound (with
//! [`CLOCK_SKEW_SECS`]) is refused, so a revocation takes effect within the bound, online and
//! offline; the verdict states the bound.

use std::collections::BTreeMap;

use citywallet_core::credentials::{Challenge, IssuerPublicKey, Presentation, Verified};
use citywallet_core::vault::{Snapshot, Vault};
use citywallet_protocol::{IssuerRecord, Status, keys};
use tendermint_light_client_verifier::types::LightBlock;

use crate::client::ProvenRead;
use crate::error::{Error, Precondition, Result};
use crate::session::{Session, unix};
use tendermint::Time;

/// How far the verifier's clock may be behind the issuer's when a private credential's
/// validity is held against its issuer's revocation bound.
pub const CLOCK_SKEW_SECS: i64 = citywallet_protocol::rules::REVOCATION_CLOCK_SKEW_SECS as i64;

/// The vault's name for the registry snapshot.
pub const SNAPSHOT: &str = "issuer_registry";

/// How the chain facts were established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Against a header verified just now.
    Online,
    /// From the stored snapshot.
    Offline,
}

/// The chain facts behind a verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainFacts {
    /// Online or offline.
    pub mode: Mode,
    /// Height of the verified header the facts are proven against.
    pub height: u64,
    /// That header's time, Unix seconds.
    pub header_time: i64,
    /// Age of the facts in seconds: the age of the header they are proven at (the
    /// snapshot's, offline).
    pub age_secs: u64,
    /// The issuer's registered name.
    pub issuer_name: String,
    /// Whether the credential is revoked (always false in a valid verdict).
    pub revoked: bool,
    /// For a private credential (no id, no revocation list): its issuer's revocation bound,
    /// seconds: a revoked one stops passing within it.
    pub revocation_bound_secs: Option<u64>,
}

/// A presentation that passed, with the facts behind it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OfficerVerdict {
    /// What the presentation established.
    pub presentation: Verified,
    /// What the chain established.
    pub chain: ChainFacts,
    /// The pseudonym (compressed G1, hex) of a private presentation for the context the
    /// verifier asked for: the same citizen gives the same one in that context.
    pub pseudonym: Option<String>,
}

/// The snapshot's body: one header and the proven reads.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SnapshotBody {
    header: LightBlock,
    reads: Vec<ProvenRead>,
}

/// The hash of the header the vault's registry snapshot rests on, if there is one.
pub fn snapshot_header_hash(vault: &Vault) -> Result<Option<Vec<u8>>> {
    let Some(snap) = vault.snapshot(SNAPSHOT)? else {
        return Ok(None);
    };
    let body: SnapshotBody = serde_json::from_slice(&snap.body)
        .map_err(|_| Error::BadRecord("the registry snapshot".into()))?;
    Ok(Some(
        body.header.signed_header.header.hash().as_bytes().to_vec(),
    ))
}

/// The registered names of the issuers in the vault's registry snapshot (issuer id to
/// name), each record checked again against the snapshot's header, which must still be one
/// this wallet verified. Empty when the wallet has no snapshot yet: names are shown as the
/// chain gave them at the last sync, and a credential whose issuer is not in it shows its
/// id only.
pub fn snapshot_issuer_names(vault: &Vault) -> Result<BTreeMap<String, String>> {
    let Some(snap) = vault.snapshot(SNAPSHOT)? else {
        return Ok(BTreeMap::new());
    };
    let body: SnapshotBody = serde_json::from_slice(&snap.body)
        .map_err(|_| Error::BadRecord("the registry snapshot".into()))?;
    let hash = body.header.signed_header.header.hash();
    if vault.trusted_header_by_hash(hash.as_bytes())?.is_none() {
        return Err(Error::BadRecord("the registry snapshot's header".into()));
    }
    let prefix = String::from_utf8_lossy(&keys::issuer("")).into_owned();
    let mut names = BTreeMap::new();
    for r in body.reads.iter().filter(|r| r.key.starts_with(&prefix)) {
        r.verify(&body.header)?;
        if let Some(rec) = r.decode::<IssuerRecord>()? {
            names.insert(rec.id, rec.name);
        }
    }
    Ok(names)
}

/// A presentation in either form, read but not yet checked.
enum Shown {
    Core(Presentation),
    W3c(citywallet_vc::presentation::Parsed),
    Private(citywallet_vc::private::Parsed),
}

impl Shown {
    fn parse(bytes: &[u8]) -> Result<Self> {
        let w3c = bytes.starts_with(citywallet_vc::presentation::COMPACT_MAGIC)
            || serde_json::from_slice::<serde_json::Value>(bytes)
                .is_ok_and(|v| v.get("verifiableCredential").is_some());
        if w3c {
            // A VerifiablePresentation with a holder is the signed form; without, the
            // private one.
            match citywallet_vc::presentation::parse(bytes) {
                Ok(p) => Ok(Self::W3c(p)),
                Err(first) => match citywallet_vc::private::parse(bytes) {
                    Ok(p) => Ok(Self::Private(p)),
                    Err(_) => Err(vc_error(first)),
                },
            }
        } else {
            Ok(Self::Core(Presentation::parse(bytes)?))
        }
    }

    fn issuer(&self) -> &str {
        match self {
            Self::Core(p) => &p.issuer,
            Self::W3c(p) => &p.issuer,
            Self::Private(p) => &p.issuer,
        }
    }

    /// What the presentation establishes, and the pseudonym of a private one for
    /// `context` when one was asked for. A pseudonym context is answered by a private
    /// presentation only.
    fn verify(
        &self,
        challenge: &Challenge,
        key: IssuerPublicKey,
        now: i64,
        max_age_secs: i64,
        context: Option<&[u8]>,
    ) -> Result<(Verified, Option<String>)> {
        let not_private = || {
            Error::Core(citywallet_core::Error::Rejected(
                citywallet_core::Rejection::Malformed,
            ))
        };
        match self {
            Self::Core(_) | Self::W3c(_) if context.is_some() => Err(not_private()),
            Self::Core(p) => Ok((
                p.verify(challenge, &[(p.issuer.clone(), key)], now, max_age_secs)?,
                None,
            )),
            Self::W3c(p) => Ok((
                p.verify(challenge, &key, now, max_age_secs)
                    .map_err(vc_error)?,
                None,
            )),
            Self::Private(p) => {
                let shown = p
                    .verify(challenge, &key, now, max_age_secs, context)
                    .map_err(vc_error)?;
                Ok((
                    Verified {
                        issuer: shown.issuer,
                        credential_id: String::new(),
                        kind: shown.kind,
                        holder: String::new(),
                        disclosed: shown.disclosed,
                        valid_until: shown.valid_until,
                    },
                    context.map(|_| hex::encode(shown.pseudonym)),
                ))
            }
        }
    }

    /// A private presentation carries no credential id to look a revocation up by.
    fn has_credential_id(&self) -> bool {
        !matches!(self, Self::Private(_))
    }
}

/// A W3C presentation's refusal as the core's: the same rejections, and anything the
/// credential layer refuses (too large, an unknown context) is a malformed presentation.
fn vc_error(e: citywallet_vc::VcError) -> Error {
    use citywallet_core::Rejection;
    let r = match e {
        citywallet_vc::VcError::Rejected(r) => r,
        citywallet_vc::VcError::ProofInvalid(_) => Rejection::ProofInvalid,
        _ => Rejection::Malformed,
    };
    Error::Core(citywallet_core::Error::Rejected(r))
}

fn check_issuer(rec: Option<IssuerRecord>, p: &Shown) -> Result<(String, IssuerPublicKey)> {
    let rec = rec.ok_or_else(|| Precondition::IssuerUnknown(p.issuer().to_owned()))?;
    if rec.status != Status::Active {
        return Err(Precondition::IssuerInactive(rec.id).into());
    }
    let key = hex::decode(&rec.bbs_public_key)
        .ok()
        .and_then(|b| IssuerPublicKey::from_bytes(&b))
        .ok_or_else(|| Error::BadRecord(format!("issuer/{}", rec.id)))?;
    Ok((rec.name, key))
}

/// A private credential's validity held against its issuer's revocation bound at `now`;
/// the bound, or `None` for a credential with an id (its revocation is looked up).
fn check_bound(p: &Shown, bound: Option<u64>, v: &Verified, now: i64) -> Result<Option<u64>> {
    if p.has_credential_id() {
        return Ok(None);
    }
    let bound =
        bound.ok_or_else(|| Precondition::IssuerNoRevocationBound(p.issuer().to_owned()))?;
    if citywallet_protocol::rules::outlives_revocation_bound(v.valid_until, now, bound) {
        return Err(Precondition::CredentialOutlivesRevocationBound {
            ahead_secs: v.valid_until.saturating_sub(now),
            bound_secs: bound,
        }
        .into());
    }
    Ok(Some(bound))
}

fn check_type(rec_types: &[String], v: &Verified) -> Result<()> {
    if rec_types.iter().any(|t| t == v.kind.as_str()) {
        Ok(())
    } else {
        Err(Precondition::IssuerNotForType {
            issuer: v.issuer.clone(),
            kind: v.kind.as_str().to_owned(),
        }
        .into())
    }
}

impl Session<'_> {
    /// Verify `presentation` against `challenge` with facts proven at a header verified now.
    pub fn verify_presentation_online(
        &mut self,
        presentation: &[u8],
        challenge: &Challenge,
        max_challenge_age_secs: i64,
    ) -> Result<OfficerVerdict> {
        self.verify_presentation_online_in(presentation, challenge, max_challenge_age_secs, None)
    }

    /// [`Session::verify_presentation_online`] for a verifier that asked for a pseudonym for
    /// `context`: the presentation must be a private one with the pseudonym for it, which
    /// the verdict carries.
    pub fn verify_presentation_online_in(
        &mut self,
        presentation: &[u8],
        challenge: &Challenge,
        max_challenge_age_secs: i64,
        context: Option<&[u8]>,
    ) -> Result<OfficerVerdict> {
        let p = Shown::parse(presentation)?;
        let at = self.fresh()?;
        let rec: Option<IssuerRecord> = self.read(&at, &keys::issuer(p.issuer()))?.decode()?;
        let types = rec.as_ref().map(|r| r.credential_types.clone());
        let bound = rec.as_ref().and_then(|r| r.max_revocation_delay_secs);
        let (issuer_name, key) = check_issuer(rec, &p)?;
        let now = unix(self.now());
        let (v, pseudonym) = p.verify(challenge, key, now, max_challenge_age_secs, context)?;
        check_type(&types.unwrap_or_default(), &v)?;
        let revocation_bound_secs = check_bound(&p, bound, &v, now)?;
        if p.has_credential_id() && self.revocation(&at, &v.issuer, &v.credential_id)?.is_some() {
            return Err(Precondition::CredentialRevoked(v.credential_id).into());
        }
        Ok(OfficerVerdict {
            chain: ChainFacts {
                mode: Mode::Online,
                height: at.height().value(),
                header_time: unix(at.signed_header.header.time),
                age_secs: self
                    .now()
                    .duration_since(at.signed_header.header.time)
                    .unwrap_or_default()
                    .as_secs(),
                issuer_name,
                revoked: false,
                revocation_bound_secs,
            },
            presentation: v,
            pseudonym,
        })
    }

    /// Take a new snapshot of the issuer registry and revocation lists, proven against a
    /// header verified now. Returns (height, issuers, revoked credential ids).
    pub fn refresh_snapshot(&mut self) -> Result<(u64, usize, usize)> {
        let at = self.sync(&mut |_| {})?;
        let index = self.read(&at, &keys::issuer_index())?;
        let ids: Vec<String> = index.decode()?.unwrap_or_default();
        let mut reads = vec![index];
        let mut revoked = 0;
        for id in &ids {
            reads.push(self.read(&at, &keys::issuer(id))?);
            // The whole revocation log: its count, then every page, each proven.
            let count = self.read(&at, &keys::revocation_count(id))?;
            let n: u64 = count.decode()?.unwrap_or(0);
            reads.push(count);
            for p in 0..keys::log_pages(n) {
                let page = self.read(&at, &keys::revocation_page(id, p))?;
                revoked += page.decode::<Vec<String>>()?.map_or(0, |l| l.len());
                reads.push(page);
            }
        }
        let body = SnapshotBody {
            header: at.clone(),
            reads,
        };
        let encoded =
            serde_json::to_vec(&body).map_err(|_| Error::Encode("the registry snapshot"))?;
        let taken_at = unix(self.now());
        self.vault.put_snapshot(
            SNAPSHOT,
            &Snapshot {
                height: at.height().value(),
                header_time: unix(at.signed_header.header.time),
                body: encoded,
                taken_at,
            },
        )?;
        Ok((at.height().value(), ids.len(), revoked))
    }
}

/// Verify `presentation` offline at `now`, from the vault's snapshot, refusing a snapshot
/// older than `max_snapshot_age_secs`.
pub fn verify_presentation_offline(
    vault: &Vault,
    presentation: &[u8],
    challenge: &Challenge,
    max_challenge_age_secs: i64,
    max_snapshot_age_secs: u64,
    now: Time,
) -> Result<OfficerVerdict> {
    let snap = vault.snapshot(SNAPSHOT)?.ok_or(Error::NoSnapshot)?;
    let now_time = now;
    let now_secs = unix(now_time);
    let body: SnapshotBody = serde_json::from_slice(&snap.body)
        .map_err(|_| Error::BadRecord("the registry snapshot".into()))?;
    // Age from the verified header's own time, to the millisecond.
    let age = now_time
        .duration_since(body.header.signed_header.header.time)
        .unwrap_or_default();
    if age > std::time::Duration::from_secs(max_snapshot_age_secs) {
        return Err(Error::SnapshotTooOld {
            age_secs: age.as_secs(),
            limit_secs: max_snapshot_age_secs,
        });
    }
    let age_secs = age.as_secs();
    // The header was verified when the snapshot was taken; it must still be one this
    // wallet verified, and every read must still match its app hash.
    let hash = body.header.signed_header.header.hash();
    if vault.trusted_header_by_hash(hash.as_bytes())?.is_none() {
        return Err(Error::BadRecord("the registry snapshot's header".into()));
    }
    let find = |key: Vec<u8>| -> Result<&ProvenRead> {
        let key = String::from_utf8_lossy(&key).into_owned();
        let r = body
            .reads
            .iter()
            .find(|r| r.key == key)
            .ok_or(Error::Unproven {
                key,
                what: "the snapshot does not cover it",
            })?;
        r.verify(&body.header)?;
        Ok(r)
    };
    let p = Shown::parse(presentation)?;
    let ids: Vec<String> = find(keys::issuer_index())?.decode()?.unwrap_or_default();
    if !ids.iter().any(|id| id == p.issuer()) {
        return Err(Precondition::IssuerUnknown(p.issuer().to_owned()).into());
    }
    let rec: Option<IssuerRecord> = find(keys::issuer(p.issuer()))?.decode()?;
    let types = rec.as_ref().map(|r| r.credential_types.clone());
    let bound = rec.as_ref().and_then(|r| r.max_revocation_delay_secs);
    let (issuer_name, key) = check_issuer(rec, &p)?;
    let (v, _) = p.verify(challenge, key, now_secs, max_challenge_age_secs, None)?;
    check_type(&types.unwrap_or_default(), &v)?;
    let revocation_bound_secs = check_bound(&p, bound, &v, now_secs)?;
    // Every page of the issuer's revocation log must be in the snapshot: a missing page
    // is refused, never read as "not revoked".
    let count: u64 = if p.has_credential_id() {
        find(keys::revocation_count(&v.issuer))?
            .decode()?
            .unwrap_or(0)
    } else {
        0
    };
    for p in 0..keys::log_pages(count) {
        let page: Vec<String> = find(keys::revocation_page(&v.issuer, p))?
            .decode()?
            .unwrap_or_default();
        if page.contains(&v.credential_id) {
            return Err(Precondition::CredentialRevoked(v.credential_id).into());
        }
    }
    Ok(OfficerVerdict {
        chain: ChainFacts {
            mode: Mode::Offline,
            height: snap.height,
            header_time: snap.header_time,
            age_secs,
            issuer_name,
            revoked: false,
            revocation_bound_secs,
        },
        presentation: v,
        pseudonym: None,
    })
}
