//! The data-use log as the citizen reads it, and as an organisation writes it: each use an
//! organisation recorded on the chain under one of the citizen's grants, proven (the log's
//! count, its pages and each record against a header verified now) and kept in the vault
//! with its proof and header as a receipt, so the history stays checkable offline. A use
//! not seen at the previous look is marked new.

use citywallet_light_client::act::{NewUse, Signer};
use citywallet_light_client::client::ProvenRead;
use serde::{Deserialize, Serialize};
use tendermint_light_client_verifier::types::LightBlock;

use crate::dto::{DataUseItem, GrantUsesOut, ReceiptOut};
use crate::error::{Error, Result};
use crate::{Spend, Wallet};

/// The vault space of the kept uses (name: `{grant}.{seq}`, `seq` zero-padded).
pub const USE_SPACE: &str = "grant.uses";
/// The vault space of how many uses of each grant the citizen has seen (name: the grant).
pub const SEEN_SPACE: &str = "grant.uses.seen";
/// A use this close to its grant's expiry (or after it) is marked, seconds.
pub const NEAR_EXPIRY_SECS: u64 = 3 * 24 * 3600;

/// One use as kept: the proven read of `datause/{id}` and the verified header it was
/// proven against.
#[derive(Serialize, Deserialize)]
struct KeptUse {
    read: ProvenRead,
    header: LightBlock,
}

fn name(grant: &str, seq: u64) -> String {
    format!("{grant}.{seq:010}")
}

impl Wallet {
    /// The uses organisations recorded under the citizen's grant `grant`, proven now: the
    /// ones not kept yet are read (the log's count, its pages, each record), checked and
    /// kept with their proofs; the whole history is returned, the ones unseen at the
    /// previous look marked new, and uses near or after the grant's expiry marked.
    pub fn grant_uses(&mut self, grant: &str) -> Result<GrantUsesOut> {
        let entry = self
            .grants()?
            .into_iter()
            .find(|g| g.id == grant)
            .ok_or_else(|| citywallet_core::Error::NotFound {
                kind: "grant",
                id: grant.to_owned(),
            })?;
        let seen: u64 = self
            .vault()?
            .document(SEEN_SPACE, grant)?
            .and_then(|d| serde_json::from_slice(&d.body).ok())
            .unwrap_or(0);
        let kept = self.kept_uses(grant)?;
        let from = kept.len() as u64;
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.fresh()?;
        let (count, fresh) = s.data_uses(&at, grant, from)?;
        drop(s);
        let height = at.height().value();
        let v = self.vault_mut()?;
        let mut all = kept;
        for (rec, read) in fresh {
            let body = serde_json::to_vec(&KeptUse {
                read,
                header: at.clone(),
            })
            .map_err(|_| Error::Encode("a data use's receipt"))?;
            v.replace_document(USE_SPACE, &name(grant, rec.seq), &body)?;
            all.push((rec, height));
        }
        v.replace_document(
            SEEN_SPACE,
            grant,
            &serde_json::to_vec(&(all.len() as u64)).map_err(|_| Error::Encode("a count"))?,
        )?;
        let uses = all
            .into_iter()
            .map(|(rec, height)| DataUseItem {
                new: rec.seq >= seen,
                near_expiry: rec.time.saturating_add(NEAR_EXPIRY_SECS) >= entry.expires_at,
                after_expiry: rec.time >= entry.expires_at,
                id: rec.id,
                category: rec.category,
                purpose: rec.purpose,
                time: rec.time,
                seq: rec.seq,
                height,
            })
            .collect::<Vec<_>>();
        Ok(GrantUsesOut {
            grant: grant.to_owned(),
            new_uses: uses.iter().filter(|u| u.new).count() as u32,
            total: count,
            uses,
        })
    }

    /// The uses of `grant` kept in the vault, in order, with the height each was proven at.
    fn kept_uses(&self, grant: &str) -> Result<Vec<(citywallet_protocol::DataUseRecord, u64)>> {
        let prefix = format!("{grant}.");
        let mut out = Vec::new();
        for d in self.vault()?.documents(USE_SPACE)? {
            if !d.name.starts_with(&prefix) {
                continue;
            }
            let kept: KeptUse =
                serde_json::from_slice(&d.body).map_err(|_| Error::Encode("a kept data use"))?;
            let rec: citywallet_protocol::DataUseRecord = kept
                .read
                .decode()?
                .ok_or(Error::Encode("a kept data use"))?;
            out.push((rec, kept.header.height().value()));
        }
        Ok(out)
    }

    /// As the organisation whose key `org` signs: record a use of a citizen's data under
    /// `new.grant` (the grant proven active, unexpired and covering the category, the key
    /// proven the organisation's), and prove it landed.
    pub fn record_data_use_as(&mut self, org: &Signer<'_>, new: &NewUse<'_>) -> Result<ReceiptOut> {
        let receipt = self.anchored(Spend::Action)?.record_data_use(org, new)?;
        Ok(crate::acts::receipt_out(&receipt))
    }
}
