//! Bringing trust forward: fetch light blocks through a [`Provider`] and verify them from
//! the trusted one, bisecting when a skip lacks trust (as CometBFT's light client does).
//! The network sits behind the trait; verification stays pure.

use std::collections::BTreeMap;

use tendermint::Time;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::LightBlock;

use crate::verify::{Engine, Rejection, Verdict, verify_update};

/// Why a fetch failed. The provider's fault, never a verdict about the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The node did not answer in time.
    #[error("the node did not answer in time")]
    Timeout,
    /// The node has no block at this height.
    #[error("the node has no block at height {0}")]
    Missing(u64),
    /// The answer is not a light block (undecodable, inconsistent or too large).
    #[error("the node's answer is malformed")]
    Malformed,
}

/// Where light blocks come from: a node's RPC, or memory in tests.
pub trait Provider {
    /// The light block at `height`, or the latest with `None`.
    fn light_block(&self, height: Option<u64>) -> Result<LightBlock, FetchError>;
}

/// A provider over blocks held in memory.
#[derive(Debug, Default, Clone)]
pub struct InMemoryProvider {
    blocks: BTreeMap<u64, LightBlock>,
}

impl InMemoryProvider {
    /// Serve `blocks`.
    pub fn new(blocks: impl IntoIterator<Item = LightBlock>) -> Self {
        Self {
            blocks: blocks
                .into_iter()
                .map(|b| (b.height().value(), b))
                .collect(),
        }
    }
}

impl Provider for InMemoryProvider {
    fn light_block(&self, height: Option<u64>) -> Result<LightBlock, FetchError> {
        match height {
            Some(h) => self.blocks.get(&h).cloned().ok_or(FetchError::Missing(h)),
            None => self
                .blocks
                .values()
                .next_back()
                .cloned()
                .ok_or(FetchError::Missing(0)),
        }
    }
}

/// Why trust could not be brought to the target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// A block on the way was refused.
    #[error("the header at height {height} is invalid: {reason}")]
    Invalid {
        /// Its height.
        height: u64,
        /// Why.
        reason: Rejection,
    },
    /// A block could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The target is not above the trusted height.
    #[error("the target height {target} is not above the trusted height {trusted}")]
    NotForward {
        /// Trusted height.
        trusted: u64,
        /// Target height.
        target: u64,
    },
}

/// Verify the block at `target` from `trusted`, bisecting as needed. Returns every block
/// verified on the way, ending with the target's; the caller stores the last as its new
/// trusted state.
pub fn sync(
    provider: &impl Provider,
    trusted: &LightBlock,
    target: u64,
    options: &Options,
    now: Time,
    engine: Engine,
) -> Result<Vec<LightBlock>, SyncError> {
    let start = trusted.height().value();
    if target <= start {
        return Err(SyncError::NotForward {
            trusted: start,
            target,
        });
    }
    let mut verified = Vec::new();
    let mut current = trusted.clone();
    // Heights still to reach, nearest last.
    let mut pending = vec![target];
    while let Some(&next) = pending.last() {
        let block = provider.light_block(Some(next))?;
        if block.height().value() != next {
            return Err(FetchError::Malformed.into());
        }
        match verify_update(&current, &block, options, now, engine) {
            Verdict::Verified => {
                pending.pop();
                current = block.clone();
                verified.push(block);
            }
            Verdict::NotEnoughTrust => {
                let from = current.height().value();
                let pivot = from + (next - from) / 2;
                if pivot == from {
                    // Adjacent blocks never lack trust; a node claiming so is lying.
                    return Err(SyncError::Invalid {
                        height: next,
                        reason: Rejection::Inconsistent,
                    });
                }
                pending.push(pivot);
            }
            Verdict::Invalid(reason) => {
                return Err(SyncError::Invalid {
                    height: next,
                    reason,
                });
            }
        }
    }
    Ok(verified)
}
