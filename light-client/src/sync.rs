//! Bringing trust forward: fetch light blocks through a [`Provider`] and verify them from
//! the trusted one, bisecting when a skip lacks trust (as CometBFT's light client does).
//! The network sits behind the trait; verification stays pure.

use std::collections::BTreeMap;

use tendermint::Time;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::LightBlock;

use crate::error::{Error, FetchError, Result};
use crate::verify::{Engine, Rejection, Verdict, verify_update};

/// Where light blocks come from: a node's RPC, or memory in tests.
pub trait Provider {
    /// The light block at `height`, or the latest with `None`.
    fn light_block(&self, height: Option<u64>) -> Result<LightBlock, FetchError>;

    /// Where the blocks come from, for messages.
    fn url(&self) -> &str {
        "memory"
    }
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

/// Verify the block at `target` from `trusted`, bisecting as needed. Returns every block
/// verified on the way, ending with the target's; the caller stores the last as its new
/// trusted state. `on_verified` sees each verified height (for progress). A trusted header
/// past the trusting period is [`Error::TrustExpired`]: the caller needs a new anchor.
pub fn sync(
    provider: &(impl Provider + ?Sized),
    trusted: &LightBlock,
    target: u64,
    options: &Options,
    now: Time,
    engine: Engine,
    on_verified: &mut dyn FnMut(u64),
) -> Result<Vec<LightBlock>> {
    let start = trusted.height().value();
    if target <= start {
        return Err(Error::InvalidInput(format!(
            "the target height {target} is not above the trusted height {start}"
        )));
    }
    let fetch = Error::fetch;
    let mut verified = Vec::new();
    let mut current = trusted.clone();
    // Heights still to reach, nearest last.
    let mut pending = vec![target];
    while let Some(&next) = pending.last() {
        let block = provider
            .light_block(Some(next))
            .map_err(fetch(provider.url()))?;
        if block.height().value() != next {
            return Err(fetch(provider.url())(FetchError::Malformed));
        }
        match verify_update(&current, &block, options, now, engine) {
            Verdict::Verified => {
                pending.pop();
                on_verified(next);
                current = block.clone();
                verified.push(block);
            }
            Verdict::NotEnoughTrust => {
                let from = current.height().value();
                let pivot = from + (next - from) / 2;
                if pivot == from {
                    // Adjacent blocks never lack trust; a node claiming so is lying.
                    return Err(Error::HeaderInvalid {
                        height: next,
                        reason: Rejection::Inconsistent,
                    });
                }
                pending.push(pivot);
            }
            Verdict::Invalid(Rejection::TrustExpired) => {
                return Err(Error::TrustExpired {
                    height: current.height().value(),
                });
            }
            Verdict::Invalid(reason) => {
                return Err(Error::HeaderInvalid {
                    height: next,
                    reason,
                });
            }
        }
    }
    Ok(verified)
}
