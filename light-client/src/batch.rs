//! Commit signatures verified in batches.
//!
//! `ProdVotingPowerCalculator` checks precommit signatures one at a time, stopping once the
//! threshold is met. [`BatchVotingPower`] gathers the signatures of every voter in the sets
//! being tallied and verifies them in one `ed25519-consensus` batch (the same ZIP-215 rules
//! tendermint applies to single signatures, so a batch accepts exactly what single checks
//! accept). When the batch holds, every vote is valid and the tally is the reference's. When
//! it fails, the reference calculator runs instead and finds (and reports) the bad signature
//! exactly as it would have: the verdict is the reference's in every case.

use tendermint::account;
use tendermint::block::{CommitSig, signed_header::SignedHeader};
use tendermint::trust_threshold::{TrustThreshold as _, TrustThresholdFraction as TrustThreshold};
use tendermint::validator::Set as ValidatorSet;
use tendermint::vote::{SignedVote, ValidatorIndex, Vote};
use tendermint_light_client_verifier::errors::VerificationError;
use tendermint_light_client_verifier::operations::{
    ProdVotingPowerCalculator, VotingPowerCalculator, VotingPowerTally,
};

/// A [`VotingPowerCalculator`] that verifies commit signatures in one batch.
#[derive(Debug, Default, Clone, Copy)]
pub struct BatchVotingPower;

/// One precommit: who, what was signed, the signature.
struct Vote1 {
    address: account::Id,
    sign_bytes: Vec<u8>,
    signature: ed25519_consensus::Signature,
}

/// The non-absent, non-nil precommits of `header`, by validator address; `None` when the
/// reference would refuse them for a reason it reports itself (a missing or malformed
/// signature, a duplicate voter).
fn votes(header: &SignedHeader) -> Option<Vec<Vote1>> {
    let commit = &header.commit;
    let mut out = Vec::with_capacity(commit.signatures.len());
    for (i, sig) in commit.signatures.iter().enumerate() {
        let CommitSig::BlockIdFlagCommit {
            validator_address,
            timestamp,
            signature,
        } = sig
        else {
            continue;
        };
        let signature = signature.as_ref()?;
        let vote = Vote {
            vote_type: tendermint::vote::Type::Precommit,
            height: commit.height,
            round: commit.round,
            block_id: Some(commit.block_id),
            timestamp: Some(*timestamp),
            validator_address: *validator_address,
            validator_index: ValidatorIndex::try_from(i).ok()?,
            signature: Some(signature.clone()),
            extension: Vec::new(),
            extension_signature: None,
        };
        let signed = SignedVote::from_vote(vote, header.header.chain_id.clone())?;
        out.push(Vote1 {
            address: *validator_address,
            sign_bytes: signed.sign_bytes(),
            signature: ed25519_consensus::Signature::try_from(signature.as_bytes()).ok()?,
        });
    }
    out.sort_unstable_by_key(|v| v.address);
    if out.windows(2).any(|w| w[0].address == w[1].address) {
        return None;
    }
    Some(out)
}

/// Whether every vote cast by a member of `sets` verifies, in one batch.
fn batch_ok(votes: &[Vote1], sets: &[&ValidatorSet]) -> bool {
    let mut batch = ed25519_consensus::batch::Verifier::new();
    let mut queued = 0usize;
    for v in votes {
        let Some(member) = sets.iter().find_map(|s| s.validator(v.address)) else {
            continue;
        };
        let Some(key) = member.pub_key.ed25519() else {
            return false;
        };
        let Ok(vk) = ed25519_consensus::VerificationKeyBytes::try_from(key.as_bytes()) else {
            return false;
        };
        batch.queue((vk, v.signature, &v.sign_bytes));
        queued += 1;
    }
    queued == 0 || batch.verify(rand_core::OsRng).is_ok()
}

/// The full tally of `set`'s voters among `votes` (all already verified).
fn tally(votes: &[Vote1], set: &ValidatorSet, threshold: TrustThreshold) -> VotingPowerTally {
    let total = set.validators().iter().map(|v| v.power()).sum();
    let mut power = VotingPowerTally {
        total,
        tallied: 0,
        trust_threshold: threshold,
    };
    for v in set.validators() {
        if votes
            .binary_search_by_key(&v.address, |x| x.address)
            .is_ok()
        {
            power.tallied += v.power();
            // Stop where the reference stops, so tallies (and error details) match it.
            if threshold.is_enough_power(power.tallied, power.total) {
                break;
            }
        }
    }
    power
}

impl VotingPowerCalculator for BatchVotingPower {
    fn voting_power_in(
        &self,
        signed_header: &SignedHeader,
        validator_set: &ValidatorSet,
        trust_threshold: TrustThreshold,
    ) -> Result<VotingPowerTally, VerificationError> {
        match votes(signed_header) {
            Some(v) if batch_ok(&v, &[validator_set]) => {
                Ok(tally(&v, validator_set, trust_threshold))
            }
            _ => ProdVotingPowerCalculator::default().voting_power_in(
                signed_header,
                validator_set,
                trust_threshold,
            ),
        }
    }

    fn voting_power_in_sets(
        &self,
        signed_header: &SignedHeader,
        first: (&ValidatorSet, TrustThreshold),
        second: (&ValidatorSet, TrustThreshold),
    ) -> Result<(VotingPowerTally, VotingPowerTally), VerificationError> {
        match votes(signed_header) {
            Some(v) if batch_ok(&v, &[first.0, second.0]) => {
                Ok((tally(&v, first.0, first.1), tally(&v, second.0, second.1)))
            }
            _ => ProdVotingPowerCalculator::default().voting_power_in_sets(
                signed_header,
                first,
                second,
            ),
        }
    }
}
