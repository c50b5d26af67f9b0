//! The chain, as the wallet sees it: which nodes, the trust anchor, syncing (headers
//! verified and cross-checked, then the officer's registry snapshot), the light client's
//! state and its settings.

use std::time::Duration;

use citywallet_core::vault::NodeRole;
use citywallet_light_client::act::block_from_json;
use citywallet_light_client::officer;
use citywallet_light_client::session::{SETTING_NAMES, Settings};

use crate::dto::{
    ChainStatus, DivergenceOut, NodesOut, SettingItem, SnapshotOut, SyncOut, SyncProgress,
    TrustedOut,
};
use crate::error::{Error, Result};
use crate::{Spend, Wallet, trusted_out};

impl Wallet {
    /// Add a node: the primary (replacing any other), or a witness. The URL must be http(s).
    pub fn add_node(&mut self, url: &str, role: NodeRole) -> Result<()> {
        let url = url.trim().trim_end_matches('/');
        self.connect
            .connect(url, Duration::from_secs(1), &self.budget)?;
        Ok(self.vault_mut()?.add_node(url, role)?)
    }

    /// The issuer record `id` on the chain, proven against a header verified now, with that
    /// header's height.
    pub fn proven_issuer(
        &mut self,
        id: &str,
    ) -> Result<(Option<citywallet_protocol::IssuerRecord>, u64)> {
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.fresh()?;
        Ok((s.issuer(&at, id)?, at.height().value()))
    }

    /// The organisation record `id` on the chain, proven against a header verified now,
    /// with that header's height.
    pub fn proven_org(
        &mut self,
        id: &str,
    ) -> Result<(Option<citywallet_protocol::OrgRecord>, u64)> {
        let mut s = self.anchored(Spend::Sync)?;
        let at = s.fresh()?;
        Ok((s.org(&at, id)?, at.height().value()))
    }

    /// Remove a node.
    pub fn remove_node(&mut self, url: &str) -> Result<()> {
        Ok(self
            .vault_mut()?
            .remove_node(url.trim().trim_end_matches('/'))?)
    }

    /// The nodes in use.
    pub fn nodes_out(&self) -> Result<NodesOut> {
        let (primary, witnesses, configured) = self.nodes()?;
        Ok(NodesOut {
            primary,
            witnesses,
            default_devnet: !configured,
        })
    }

    /// Anchor trust in the primary's genesis (trust on first use). `chain_id`, when given,
    /// must match. Resets the trust store and clears recorded divergences.
    pub fn trust_genesis(&mut self, chain_id: Option<&str>) -> Result<TrustedOut> {
        let b = self.session(Spend::Sync)?.anchor_genesis(chain_id)?;
        Ok(trusted_out(&b))
    }

    /// Anchor trust at `height` with the header hash (hex) the user got from a trusted
    /// source. Receipts and the officer's snapshot keep verifying.
    pub fn trust_at(&mut self, height: u64, hash_hex: &str) -> Result<TrustedOut> {
        let hash = hex::decode(hash_hex.trim()).map_err(|_| Error::InvalidHex {
            what: "the header hash",
            bytes: 32,
        })?;
        let b = self.session(Spend::Sync)?.anchor_at(height, &hash, None)?;
        Ok(trusted_out(&b))
    }

    /// Anchor trust with the anchor a city publishes (its JSON, pasted or scanned from a QR
    /// code, or a height and hash): the block at that height must have that hash, on the
    /// named chain. What the user trusts from then on rests on that one header.
    pub fn trust_anchor(&mut self, text: &str) -> Result<TrustedOut> {
        let a = crate::input::anchor(text)?;
        let b = self
            .session(Spend::Sync)?
            .anchor_at(a.height, &a.hash, a.chain_id.as_deref())?;
        Ok(trusted_out(&b))
    }

    /// Verify headers up to the primary's newest (anchoring at the genesis first when the
    /// wallet has no trust), have a witness confirm it, and take the registry snapshot for
    /// offline checks. `progress` sees each verified height.
    pub fn sync(&mut self, progress: &mut dyn FnMut(SyncProgress)) -> Result<SyncOut> {
        let before = self.notices.len();
        let mut s = self.anchored(Spend::Sync)?;
        let from = s.trusted()?.map_or(0, |b| b.height().value());
        let latest = s.sync(&mut |height| progress(SyncProgress { height, from }))?;
        let (height, issuers, revoked) = s.refresh_snapshot()?;
        drop(s);
        let anchored = self.notices[before..]
            .iter()
            .find_map(crate::Notice::anchor)
            .cloned();
        Ok(SyncOut {
            trusted: trusted_out(&latest),
            anchored,
            snapshot: SnapshotOut {
                height,
                issuers: u32::try_from(issuers).unwrap_or(u32::MAX),
                revoked: u32::try_from(revoked).unwrap_or(u32::MAX),
            },
        })
    }

    /// Set a new trust anchor at the genesis (after a divergence or an expired anchor).
    pub fn reanchor(&mut self) -> Result<ChainStatus> {
        self.trust_genesis(None)?;
        self.chain_status()
    }

    /// The light client's state, without network.
    pub fn chain_status(&self) -> Result<ChainStatus> {
        let (primary, witnesses, configured) = self.nodes()?;
        let vault = self.vault()?;
        let trusted = vault
            .latest_trusted_header()?
            .map(|h| block_from_json(&h.body))
            .transpose()?;
        let settings = Settings::load(vault)?;
        let now = self.now_secs();
        let trust_expired = trusted.as_ref().is_some_and(|b| {
            now - b.signed_header.header.time.unix_timestamp()
                > i64::try_from(settings.trusting_period.as_secs()).unwrap_or(i64::MAX)
        });
        Ok(ChainStatus {
            primary,
            witnesses,
            configured,
            trusted: trusted.as_ref().map(trusted_out),
            trust_expired,
            divergence: vault.open_divergence()?.map(|d| DivergenceOut {
                height: d.height,
                witness: d.witness_url,
                detected_at: d.detected_at,
                evidence_submitted: d.submitted,
            }),
            snapshot_age_secs: vault
                .snapshot(officer::SNAPSHOT)?
                .map(|s| u64::try_from(now - s.header_time).unwrap_or(0)),
        })
    }

    /// Every light-client setting with its value.
    pub fn settings(&self) -> Result<Vec<SettingItem>> {
        let s = Settings::load(self.vault()?)?;
        let values = [
            s.trusting_period.as_secs(),
            s.clock_drift.as_secs(),
            u64::try_from(s.request_timeout.as_millis()).unwrap_or(u64::MAX),
            s.effect_wait.as_secs(),
            s.snapshot_max_age.as_secs(),
            s.max_header_age.as_secs(),
            s.max_block_gap.as_secs(),
            s.sync_budget.as_secs(),
            s.action_budget.as_secs(),
        ];
        Ok(SETTING_NAMES
            .iter()
            .zip(values)
            .map(|((name, what), value)| SettingItem {
                name: (*name).to_owned(),
                value,
                description: (*what).to_owned(),
            })
            .collect())
    }

    /// Change a setting.
    pub fn set_setting(&mut self, name: &str, value: u64) -> Result<Vec<SettingItem>> {
        if !SETTING_NAMES.iter().any(|(n, _)| *n == name) {
            return Err(Error::UnknownSetting(name.to_owned()));
        }
        self.vault_mut()?.set_setting(name, &value.to_string())?;
        self.settings()
    }
}
