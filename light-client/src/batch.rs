//! Commit signatures verified in batches.
//!
//! `ProdVotingPowerCalculator` checks precommit signatures one at a time, stopping once the
//! threshold is met. [`BatchVotingPower`] gathers exactly the signatures the reference would
//! check (each set's voters in set order until its threshold) and verifies them in one
//! `ed25519-consensus` batch, split over two threads when large (the same ZIP-215 rules
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

/// The votes the reference would check: walking each set in order, the voters met until
/// that set's threshold is reached (a vote counted for both sets is checked once).
fn needed<'a>(votes: &'a [Vote1], sets: &[(&ValidatorSet, TrustThreshold)]) -> Vec<&'a Vote1> {
    let mut out: Vec<&Vote1> = Vec::new();
    let mut chosen: Vec<account::Id> = Vec::new();
    for (set, threshold) in sets {
        let total: u64 = set.validators().iter().map(|v| v.power()).sum();
        let mut tallied = 0u64;
        let mut counted = std::collections::HashSet::new();
        for v in set.validators() {
            // Each validator counts once, however often its address appears.
            if !counted.insert(v.address) {
                continue;
            }
            let Ok(i) = votes.binary_search_by_key(&v.address, |x| x.address) else {
                continue;
            };
            if !chosen.contains(&v.address) {
                chosen.push(v.address);
                out.push(&votes[i]);
            }
            tallied += v.power();
            if threshold.is_enough_power(tallied, total) {
                break;
            }
        }
    }
    out
}

/// Below this many signatures one thread does the whole batch.
const PARALLEL_FROM: usize = 32;

fn verify_chunk(
    items: &[(
        ed25519_consensus::VerificationKeyBytes,
        ed25519_consensus::Signature,
        &[u8],
    )],
) -> bool {
    let mut batch = ed25519_consensus::batch::Verifier::new();
    for (vk, sig, msg) in items {
        batch.queue((*vk, *sig, *msg));
    }
    batch.verify(rand_core::OsRng).is_ok()
}

/// Whether the votes the reference would check all verify: in one batch, or two batches on
/// two threads when there are many.
fn batch_ok(votes: &[Vote1], sets: &[(&ValidatorSet, TrustThreshold)]) -> bool {
    let mut items = Vec::new();
    for vote in needed(votes, sets) {
        let Some(member) = sets.iter().find_map(|(s, _)| s.validator(vote.address)) else {
            return false;
        };
        let Some(key) = member.pub_key.ed25519() else {
            return false;
        };
        let Ok(vk) = ed25519_consensus::VerificationKeyBytes::try_from(key.as_bytes()) else {
            return false;
        };
        items.push((vk, vote.signature, vote.sign_bytes.as_slice()));
    }
    if items.len() < PARALLEL_FROM {
        return items.is_empty() || verify_chunk(&items);
    }
    let (a, b) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| verify_chunk(b));
        let here = verify_chunk(a);
        here && other.join().unwrap_or(false)
    })
}

/// The full tally of `set`'s voters among `votes` (all already verified).
fn tally(votes: &[Vote1], set: &ValidatorSet, threshold: TrustThreshold) -> VotingPowerTally {
    let total = set.validators().iter().map(|v| v.power()).sum();
    let mut power = VotingPowerTally {
        total,
        tallied: 0,
        trust_threshold: threshold,
    };
    let mut counted = std::collections::HashSet::new();
    for v in set.validators() {
        if counted.insert(v.address)
            && votes
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
            Some(v) if batch_ok(&v, &[(validator_set, trust_threshold)]) => {
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
            Some(v) if batch_ok(&v, &[first, second]) => {
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
