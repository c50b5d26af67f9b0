//! The light client proper: a primary node, witnesses, and the rules. It brings trust
//! forward from a trusted light block, cross-checks the primary against the witnesses, and
//! checks state reads against verified app hashes. It holds no state of its own: the trusted
//! block comes in and verified blocks go out (the [`crate::session`] keeps them in the vault).

use std::time::Duration;

use tendermint::Time;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::LightBlock;

use crate::error::{Error, FetchError, Result};
use crate::proof::{city_spec, verify_read};
use crate::rpc::ChainNode;
use crate::sync::sync;
use crate::verify::{Engine, Rejection, Verdict, verify_alone};
use crate::witness;

/// How many blocks a witness may be ahead of the primary before the primary counts as
/// lagging (nodes a block or two apart are normal).
pub const LAG_BLOCKS: u64 = 2;

/// The proof operation type the city node attaches to state reads.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

/// How the light client judges time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// How long a verified header can anchor trust (CometBFT's trusting period).
    pub trusting_period: Duration,
    /// How far ahead of our clock a header's time may be.
    pub clock_drift: Duration,
    /// Signature engine.
    pub engine: Engine,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            // Two weeks, CometBFT's usual choice for a three-week unbonding period.
            trusting_period: Duration::from_secs(14 * 24 * 3600),
            clock_drift: Duration::from_secs(10),
            engine: Engine::Batch,
        }
    }
}

impl Rules {
    /// As the verifier's options (trust threshold 1/3).
    pub fn options(&self) -> Options {
        crate::verify::options(self.trusting_period, self.clock_drift)
    }
}

/// A state read checked against a verified header: `value` (or proven absence) of `key` in
/// the state after block `version`, under the app hash of `header` (block `version + 1`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProvenRead {
    /// State key (UTF-8 path).
    pub key: String,
    /// The value, or `None` for proven absence.
    pub value: Option<String>,
    /// The ICS23 commitment proof, protobuf bytes in hex.
    pub proof: String,
    /// State version (block height) read.
    pub version: u64,
}

impl ProvenRead {
    /// Check this read against `header` (whose app hash commits to state `version`). Pure.
    pub fn verify(&self, header: &LightBlock) -> Result<()> {
        let h = &header.signed_header.header;
        if h.height.value() != self.version + 1 {
            return Err(Error::Unproven {
                key: self.key.clone(),
                what: "the proof is for another height",
            });
        }
        let proof = hex::decode(&self.proof).map_err(|_| Error::Proof {
            key: self.key.clone(),
            reason: crate::proof::ProofRejection::Malformed,
        })?;
        verify_read(
            &city_spec(),
            h.app_hash.as_bytes(),
            self.key.as_bytes(),
            self.value.as_deref().map(str::as_bytes),
            &proof,
        )
        .map_err(|reason| Error::Proof {
            key: self.key.clone(),
            reason,
        })
    }

    /// The read a node answered for `key` at state `version`, checked for shape (the key,
    /// the height, one proof of the city's type for this key, a UTF-8 value) but not yet
    /// against a header ([`ProvenRead::verify`] does that). Pure.
    pub fn from_answer(raw: crate::rpc::RawRead, key: &[u8], version: u64) -> Result<Self> {
        let shown = String::from_utf8_lossy(key).into_owned();
        let unproven = |what| Error::Unproven {
            key: shown.clone(),
            what,
        };
        if raw.key != key {
            return Err(unproven("the node answered for another key"));
        }
        if raw.height != version {
            return Err(unproven("the node answered for another height"));
        }
        let [(op_type, op_key, data)] = raw.ops.as_slice() else {
            return Err(unproven("the answer carries no single proof"));
        };
        if op_type != PROOF_OP_TYPE || op_key.as_slice() != key {
            return Err(unproven("the proof is of another type or key"));
        }
        let value = raw
            .value
            .map(|v| String::from_utf8(v).map_err(|_| Error::BadRecord(shown.clone())))
            .transpose()?;
        Ok(ProvenRead {
            key: shown,
            value,
            proof: hex::encode(data),
            version,
        })
    }

    /// Decode the proven value as `T` (`None` when absence was proven).
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>> {
        self.value
            .as_deref()
            .map(|v| serde_json::from_str(v).map_err(|_| Error::BadRecord(self.key.clone())))
            .transpose()
    }
}

/// The voting power that signed `b`'s commit, and its validator set's total power.
pub fn signed_power(b: &LightBlock) -> (u64, u64) {
    let signers: std::collections::HashSet<_> = b
        .signed_header
        .commit
        .signatures
        .iter()
        .filter(|s| s.is_commit())
        .filter_map(|s| s.validator_address())
        .collect();
    let signed = b
        .validators
        .validators()
        .iter()
        .filter(|v| signers.contains(&v.address))
        .map(|v| v.power.value())
        .sum();
    (signed, b.validators.total_voting_power().value())
}

/// A primary, its witnesses and the rules.
pub struct LightClient {
    primary: Box<dyn ChainNode>,
    witnesses: Vec<Box<dyn ChainNode>>,
    rules: Rules,
}

impl std::fmt::Debug for LightClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LightClient")
            .field("primary", &self.primary.url())
            .field(
                "witnesses",
                &self.witnesses.iter().map(|w| w.url()).collect::<Vec<_>>(),
            )
            .field("rules", &self.rules)
            .finish()
    }
}

/// The outcome of [`LightClient::update`].
#[derive(Debug, Clone)]
pub struct Update {
    /// Blocks verified on the way, ending with the newest (empty when nothing was newer).
    pub verified: Vec<LightBlock>,
    /// The newest trusted block.
    pub latest: LightBlock,
    /// Witnesses that confirmed the newest header.
    pub confirmed_by: Vec<String>,
}

impl LightClient {
    /// A client of `primary`, cross-checked against `witnesses`.
    pub fn new(
        primary: Box<dyn ChainNode>,
        witnesses: Vec<Box<dyn ChainNode>>,
        rules: Rules,
    ) -> Self {
        Self {
            primary,
            witnesses,
            rules,
        }
    }

    /// The primary node.
    pub fn primary(&self) -> &dyn ChainNode {
        self.primary.as_ref()
    }

    /// Whether `e` says the primary cannot serve the chain now: it did not answer (timed
    /// out, unreachable), refused the request or lacks the block (a node restarting and
    /// catching up answers so), or is behind the chain. Only then may the client move to
    /// another node: a wrong answer (a bad proof, a bad signature) is refused, not failed
    /// over.
    pub fn primary_down(&self, e: &Error) -> bool {
        match e {
            Error::Fetch {
                node,
                reason:
                    FetchError::Timeout
                    | FetchError::Unreachable
                    | FetchError::Rpc { .. }
                    | FetchError::Missing(_),
            } => node == self.primary.url(),
            Error::PrimaryLagging { .. } => true,
            _ => false,
        }
    }

    /// Make the first witness that answers the primary, and drop the old primary for the
    /// rest of this client's life (asking it again as a witness would only cost timeouts).
    /// Refused (`None`) unless another witness remains to cross-check the new primary.
    /// Returns the new primary's URL.
    pub fn fail_over(&mut self) -> Option<String> {
        if self.witnesses.len() < 2 {
            return None;
        }
        let i = self
            .witnesses
            .iter()
            .position(|w| w.latest_height().is_ok())?;
        self.primary = self.witnesses.remove(i);
        Some(self.primary.url().to_owned())
    }

    /// Whether a witness answers with a newest height below `height`: it has not got that
    /// block yet, and may confirm it in a moment.
    pub fn a_witness_is_behind(&self, height: u64) -> bool {
        self.witnesses
            .iter()
            .any(|w| w.latest_height().is_ok_and(|h| h < height))
    }

    /// How many witnesses it has.
    pub fn witness_count(&self) -> usize {
        self.witnesses.len()
    }

    /// The rules.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// An anchor from the genesis: block 1 must be signed by more than 2/3 of the genesis
    /// validators and belong to the genesis chain. `chain_id`, when given, must match.
    pub fn anchor_from_genesis(&self, chain_id: Option<&str>, now: Time) -> Result<LightBlock> {
        let url = self.primary.url();
        let (genesis_chain, validators) = self.primary.genesis().map_err(Error::fetch(url))?;
        if chain_id.is_some_and(|c| c != genesis_chain) {
            return Err(Error::AnchorMismatch(
                "the node's genesis is for another chain",
            ));
        }
        let block = self
            .primary
            .light_block(Some(1))
            .map_err(Error::fetch(url))?;
        let set = crate::verify::validator_set(validators)
            .map_err(|reason| Error::HeaderInvalid { height: 1, reason })?;
        if block.signed_header.header.validators_hash != set.hash() {
            return Err(Error::AnchorMismatch(
                "block 1 is not signed by the genesis validators",
            ));
        }
        if block.signed_header.header.chain_id.as_str() != genesis_chain {
            return Err(Error::AnchorMismatch("block 1 is for another chain"));
        }
        self.accept_anchor(block, now)
    }

    /// An anchor at `height` whose header hash the user vouches for.
    pub fn anchor_at(&self, height: u64, hash: &[u8], now: Time) -> Result<LightBlock> {
        let block = self
            .primary
            .light_block(Some(height))
            .map_err(Error::fetch(self.primary.url()))?;
        if block.signed_header.header.hash().as_bytes() != hash {
            return Err(Error::AnchorMismatch(
                "the block at that height has another hash",
            ));
        }
        self.accept_anchor(block, now)
    }

    fn accept_anchor(&self, block: LightBlock, now: Time) -> Result<LightBlock> {
        let height = block.height().value();
        match verify_alone(&block, &self.rules.options(), Some(now), self.rules.engine) {
            Verdict::Verified => Ok(block),
            Verdict::Invalid(Rejection::TrustExpired) => Err(Error::TrustExpired { height }),
            Verdict::Invalid(reason) => Err(Error::HeaderInvalid { height, reason }),
            Verdict::NotEnoughTrust => Err(Error::HeaderInvalid {
                height,
                reason: Rejection::InsufficientPower,
            }),
        }
    }

    /// Bring trust from `trusted` to the primary's latest block and have a witness confirm
    /// it. A witness serving a conflicting block that also verifies is a divergence
    /// ([`Error::Divergence`], with evidence, already submitted to both nodes).
    ///
    /// `now` is read after the newest block has arrived: a node slow to answer must not
    /// make an honest header look as if it came from the future.
    pub fn update(
        &self,
        trusted: &LightBlock,
        now: &dyn Fn() -> Time,
        on_verified: &mut dyn FnMut(u64),
    ) -> Result<Update> {
        if self.witnesses.is_empty() {
            return Err(Error::NoWitness);
        }
        let url = self.primary.url();
        let options = self.rules.options();
        let newest = self.primary.light_block(None).map_err(Error::fetch(url))?;
        let now = now();
        let target = newest.height().value();
        let verified = if target > trusted.height().value() {
            sync(
                self.primary.as_ref(),
                trusted,
                target,
                &options,
                now,
                self.rules.engine,
                on_verified,
            )?
        } else {
            // Nothing newer: the trusted block must still be within the trusting period.
            if verify_alone(trusted, &options, Some(now), self.rules.engine)
                == Verdict::Invalid(Rejection::TrustExpired)
            {
                return Err(Error::TrustExpired {
                    height: trusted.height().value(),
                });
            }
            Vec::new()
        };
        let latest = verified.last().cloned().unwrap_or_else(|| trusted.clone());
        let confirmed_by = witness::cross_check(
            self.primary.as_ref(),
            &self.witnesses,
            trusted,
            &latest,
            &options,
            now,
            self.rules.engine,
        )?;
        self.check_not_lagging(latest.height().value())?;
        Ok(Update {
            verified,
            latest,
            confirmed_by,
        })
    }

    /// Refuse a primary whose newest height is well behind what a witness says it has: its
    /// answers describe an old state of the chain.
    fn check_not_lagging(&self, verified_height: u64) -> Result<()> {
        // The primary's newest height now: the cross-check may have taken a while (a
        // witness that times out), and the chain went on meanwhile.
        let mut primary_now = None;
        for w in &self.witnesses {
            if let Ok(h) = w.latest_height()
                && h > verified_height.saturating_add(LAG_BLOCKS)
            {
                let now = *primary_now.get_or_insert_with(|| {
                    self.primary
                        .latest_height()
                        .unwrap_or(verified_height)
                        .max(verified_height)
                });
                if h > now.saturating_add(LAG_BLOCKS) {
                    return Err(Error::PrimaryLagging {
                        primary_height: verified_height,
                        witness: w.url().to_owned(),
                        witness_height: h,
                    });
                }
            }
        }
        Ok(())
    }

    /// Read `key` from the state committed by `header` (the state after block
    /// `header.height - 1`) and check the proof against its app hash.
    pub fn read(&self, header: &LightBlock, key: &[u8]) -> Result<ProvenRead> {
        let shown = String::from_utf8_lossy(key).into_owned();
        let version = header
            .height()
            .value()
            .checked_sub(1)
            .filter(|v| *v > 0)
            .ok_or_else(|| Error::Unproven {
                key: shown.clone(),
                what: "no state before block 1 can be read",
            })?;
        let url = self.primary.url();
        let raw = self
            .primary
            .query(key, version)
            .map_err(Error::fetch(url))?;
        let read = ProvenRead::from_answer(raw, key, version)?;
        read.verify(header)?;
        Ok(read)
    }

    /// Submit a transaction to the primary.
    pub fn broadcast(&self, tx: &[u8]) -> Result<crate::rpc::Submitted> {
        self.primary
            .broadcast_tx(tx)
            .map_err(Error::fetch(self.primary.url()))
    }

    /// Wrap a fetch failure from the primary.
    pub fn primary_error(&self, e: FetchError) -> Error {
        Error::fetch(self.primary.url())(e)
    }
}
