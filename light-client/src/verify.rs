//! Header verification: valid, invalid (with the reason), or not enough trust yet.

use std::time::Duration;

use tendermint::Time;
use tendermint_light_client_verifier::errors::VerificationErrorDetail;
use tendermint_light_client_verifier::operations::ProdCommitValidator;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::predicates::ProdPredicates;
use tendermint_light_client_verifier::types::LightBlock;
use tendermint_light_client_verifier::{
    PredicateVerifier, ProdVerifier, Verdict as RefVerdict, Verifier,
};

use crate::batch::BatchVotingPower;

/// The verifier with batched signature checks.
pub type BatchVerifier = PredicateVerifier<ProdPredicates, BatchVotingPower, ProdCommitValidator>;

/// Which signature engine to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// One batch per commit ([`crate::batch`]).
    Batch,
    /// `tendermint-light-client-verifier`'s `ProdVerifier`, one signature at a time.
    Reference,
}

/// Why a header was refused. Coarse on purpose: which signature failed is not the caller's
/// business, that one did is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// A commit signature does not verify.
    #[error("a commit signature is invalid")]
    BadSignature,
    /// Less than 2/3 of the new validator set's power signed.
    #[error("less than two thirds of the validator power signed")]
    InsufficientPower,
    /// The validator set does not hash to the header's `validators_hash` (or the next set to
    /// `next_validators_hash`).
    #[error("the validator set does not match the header")]
    ValidatorSetMismatch,
    /// The trusted header is older than the trusting period.
    #[error("the trusted header is outside the trusting period: a new trust anchor is needed")]
    TrustExpired,
    /// The header's time is ahead of now plus the allowed clock drift.
    #[error("the header is from the future")]
    FromTheFuture,
    /// Height or time does not move forward from the trusted header.
    #[error("the header does not move forward from the trusted one")]
    NotMonotonic,
    /// The header is for another chain, or the commit does not match it.
    #[error("the header or its commit is inconsistent")]
    Inconsistent,
    /// A validator set (this height's or the next) has a validator whose address is not its
    /// key's, a duplicated address or key, or a total power past the limit.
    #[error(
        "a validator set is malformed (an address not its key's, a duplicate, or too much power)"
    )]
    ValidatorSetMalformed,
}

impl Rejection {
    /// Stable code.
    pub fn error_code(&self) -> crate::ErrorCode {
        match self {
            Self::BadSignature => crate::ErrorCode::HeaderBadSignature,
            Self::InsufficientPower => crate::ErrorCode::HeaderInsufficientPower,
            Self::ValidatorSetMismatch => crate::ErrorCode::HeaderValidatorSetMismatch,
            Self::TrustExpired => crate::ErrorCode::TrustExpired,
            Self::FromTheFuture => crate::ErrorCode::HeaderFromFuture,
            Self::NotMonotonic => crate::ErrorCode::HeaderNotMonotonic,
            Self::Inconsistent => crate::ErrorCode::HeaderInconsistent,
            Self::ValidatorSetMalformed => crate::ErrorCode::HeaderValidatorSetMalformed,
        }
    }

    /// The code's text.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

/// The outcome of verifying one header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The header is verified: it becomes trusted.
    Verified,
    /// The header is refused.
    Invalid(Rejection),
    /// Too little of the trusted validator set signed it: verify an intermediate header first.
    NotEnoughTrust,
}

fn rejection(e: &VerificationErrorDetail) -> Rejection {
    match e {
        VerificationErrorDetail::InvalidSignature(_)
        | VerificationErrorDetail::MissingSignature(_) => Rejection::BadSignature,
        VerificationErrorDetail::InsufficientSignersOverlap(_) => Rejection::InsufficientPower,
        VerificationErrorDetail::InvalidValidatorSet(_)
        | VerificationErrorDetail::InvalidNextValidatorSet(_) => Rejection::ValidatorSetMismatch,
        VerificationErrorDetail::NotWithinTrustPeriod(_) => Rejection::TrustExpired,
        VerificationErrorDetail::HeaderFromTheFuture(_) => Rejection::FromTheFuture,
        VerificationErrorDetail::NonIncreasingHeight(_)
        | VerificationErrorDetail::NonMonotonicBftTime(_) => Rejection::NotMonotonic,
        _ => Rejection::Inconsistent,
    }
}

/// Refuse a validator set a node could bend without changing its hash (which covers each
/// validator's key and power, not its address): every address must be its key's, no address
/// or key may appear twice, and the total power must stay within CometBFT's limit. Pure.
pub fn check_set(set: &tendermint::validator::Set) -> Result<(), Rejection> {
    let mut addresses = std::collections::HashSet::new();
    let mut keys = std::collections::HashSet::new();
    let mut total: u64 = 0;
    for v in set.validators() {
        if tendermint::account::Id::from(v.pub_key) != v.address
            || !addresses.insert(v.address)
            || !keys.insert(v.pub_key.to_bytes())
        {
            return Err(Rejection::ValidatorSetMalformed);
        }
        total = total
            .checked_add(v.power())
            .filter(|t| *t <= tendermint::validator::Set::MAX_TOTAL_VOTING_POWER)
            .ok_or(Rejection::ValidatorSetMalformed)?;
    }
    Ok(())
}

/// A validator set from what a node sent, refusing a total power past CometBFT's limit
/// (`Set::without_proposer` would panic on it).
pub fn validator_set(
    validators: Vec<tendermint::validator::Info>,
) -> Result<tendermint::validator::Set, Rejection> {
    let total = validators
        .iter()
        .try_fold(0u64, |acc, v| acc.checked_add(v.power()))
        .filter(|t| *t <= tendermint::validator::Set::MAX_TOTAL_VOTING_POWER);
    match total {
        Some(_) => Ok(tendermint::validator::Set::without_proposer(validators)),
        None => Err(Rejection::ValidatorSetMalformed),
    }
}

/// [`check_set`] for a light block's validator set and next validator set.
pub fn check_block_sets(block: &LightBlock) -> Result<(), Rejection> {
    check_set(&block.validators)?;
    check_set(&block.next_validators)
}

fn from_reference(v: RefVerdict) -> Verdict {
    match v {
        RefVerdict::Success => Verdict::Verified,
        RefVerdict::NotEnoughTrust(_) => Verdict::NotEnoughTrust,
        RefVerdict::Invalid(e) => Verdict::Invalid(rejection(&e)),
    }
}

/// Verify `untrusted` from `trusted` at time `now` (adjacent or skipping). Pure.
pub fn verify_update(
    trusted: &LightBlock,
    untrusted: &LightBlock,
    options: &Options,
    now: Time,
    engine: Engine,
) -> Verdict {
    if let Err(r) = check_block_sets(trusted).and_then(|()| check_block_sets(untrusted)) {
        return Verdict::Invalid(r);
    }
    let (t, u) = (trusted.as_trusted_state(), untrusted.as_untrusted_state());
    from_reference(match engine {
        Engine::Batch => BatchVerifier::default().verify_update_header(u, t, options, now),
        Engine::Reference => ProdVerifier::default().verify_update_header(u, t, options, now),
    })
}

/// Verify one light block on its own: its validator sets match the header, its commit is
/// for this header and carries more than 2/3 of the set's power in valid signatures, and
/// (with `now`) it is within the trusting period and not from the future. Used for a trust
/// anchor (whose hash the user vouches for) and for receipts checked offline. Pure.
pub fn verify_alone(
    block: &LightBlock,
    options: &Options,
    now: Option<Time>,
    engine: Engine,
) -> Verdict {
    if let Err(r) = check_block_sets(block) {
        return Verdict::Invalid(r);
    }
    let u = block.as_untrusted_state();
    let checks = |verdicts: [RefVerdict; 2]| {
        verdicts
            .into_iter()
            .map(from_reference)
            .find(|v| *v != Verdict::Verified)
            .unwrap_or(Verdict::Verified)
    };
    let time = match now {
        None => Verdict::Verified,
        Some(now) => {
            let p = ProdPredicates;
            use tendermint_light_client_verifier::predicates::VerificationPredicates;
            if p.is_within_trust_period(
                block.signed_header.header.time,
                options.trusting_period,
                now,
            )
            .is_err()
            {
                Verdict::Invalid(Rejection::TrustExpired)
            } else if p
                .is_header_from_past(block.signed_header.header.time, options.clock_drift, now)
                .is_err()
            {
                Verdict::Invalid(Rejection::FromTheFuture)
            } else {
                Verdict::Verified
            }
        }
    };
    let sigs = match engine {
        Engine::Batch => {
            let v = BatchVerifier::default();
            checks([v.verify_validator_sets(&u), v.verify_commit(&u)])
        }
        Engine::Reference => {
            let v = ProdVerifier::default();
            checks([v.verify_validator_sets(&u), v.verify_commit(&u)])
        }
    };
    match sigs {
        Verdict::Verified => time,
        // A lone block lacking >2/3 of its own set is invalid, not "not enough trust".
        Verdict::NotEnoughTrust => Verdict::Invalid(Rejection::InsufficientPower),
        other => other,
    }
}

/// Options with CometBFT's usual trust threshold (1/3).
pub fn options(trusting_period: Duration, clock_drift: Duration) -> Options {
    Options {
        trust_threshold: tendermint::trust_threshold::TrustThresholdFraction::ONE_THIRD,
        trusting_period,
        clock_drift,
    }
}
