//! Cross-checking the primary against witnesses, and the evidence kept when they diverge.
//!
//! A witness confirms the primary's newest verified header when it serves the same header
//! hash at that height. When it serves a different header, the wallet verifies the
//! witness's header from the same trusted block: if it also verifies, two validly signed
//! histories exist (a fork or a light-client attack), so the wallet stops, keeps both
//! blocks, and submits `LightClientAttackEvidence` against each side to the other. If the
//! witness's header does not verify, the witness is faulty and is not counted.

use tendermint::Time;
use tendermint::evidence::{ConflictingBlock, Evidence, LightClientAttackEvidence};
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::LightBlock;

use crate::error::{Error, FetchError, Result};
use crate::rpc::ChainNode;
use crate::sync::sync;
use crate::verify::{Engine, Verdict, verify_alone};

/// What the wallet keeps about a divergence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DivergenceEvidence {
    /// Height of the conflicting headers.
    pub height: u64,
    /// The last block both histories share (the wallet's trusted block).
    pub common: LightBlock,
    /// The primary's block.
    pub primary_block: LightBlock,
    /// The witness's block.
    pub witness_block: LightBlock,
    /// The primary's URL.
    pub primary_url: String,
    /// The witness's URL.
    pub witness_url: String,
    /// What each node answered when given the evidence.
    pub submissions: Vec<String>,
}

/// Light-client attack evidence that `conflicting` contradicts the chain from `common`.
pub fn attack_evidence(common: &LightBlock, conflicting: &LightBlock) -> Evidence {
    let signers: std::collections::HashSet<_> = conflicting
        .signed_header
        .commit
        .signatures
        .iter()
        .filter_map(|s| s.validator_address())
        .collect();
    let byzantine = common
        .validators
        .validators()
        .iter()
        .filter(|v| signers.contains(&v.address))
        .cloned()
        .collect();
    Evidence::LightClientAttack(Box::new(LightClientAttackEvidence {
        conflicting_block: ConflictingBlock {
            signed_header: conflicting.signed_header.clone(),
            validator_set: conflicting.validators.clone(),
        },
        common_height: common.signed_header.header.height,
        byzantine_validators: byzantine,
        total_voting_power: common.validators.total_voting_power(),
        timestamp: common.signed_header.header.time,
    }))
}

fn submission(node: &dyn ChainNode, evidence: &Evidence) -> String {
    match node.submit_evidence(evidence) {
        Ok(hash) => format!("{}: evidence accepted ({hash})", node.url()),
        Err(FetchError::Unsupported) => format!("{}: does not accept evidence", node.url()),
        Err(e) => format!("{}: evidence not accepted: {e}", node.url()),
    }
}

/// Have the witnesses confirm `latest` (verified from `trusted`). Returns the URLs of the
/// witnesses that confirmed it; refuses when none did or when one diverges.
pub fn cross_check(
    primary: &dyn ChainNode,
    witnesses: &[Box<dyn ChainNode>],
    trusted: &LightBlock,
    latest: &LightBlock,
    options: &Options,
    now: Time,
    engine: Engine,
) -> Result<Vec<String>> {
    let height = latest.height().value();
    let hash = latest.signed_header.header.hash();
    let mut confirmed = Vec::new();
    for w in witnesses {
        let Ok(theirs) = w.light_block(Some(height)) else {
            // Unreachable, behind or broken: it confirms nothing.
            continue;
        };
        if theirs.signed_header.header.hash() == hash {
            confirmed.push(w.url().to_owned());
            continue;
        }
        let valid = if height > trusted.height().value() {
            sync(
                w.as_ref(),
                trusted,
                height,
                options,
                now,
                engine,
                &mut |_| {},
            )
            .is_ok()
        } else {
            // A second header at a height the wallet already trusts: conflicting when it
            // is validly signed by the validator set the wallet trusts there.
            theirs.validators.hash() == latest.validators.hash()
                && verify_alone(&theirs, options, Some(now), engine) == Verdict::Verified
        };
        if !valid {
            // A witness serving an unverifiable header is faulty, not evidence of a fork.
            continue;
        }
        let mut evidence = DivergenceEvidence {
            height,
            common: trusted.clone(),
            primary_block: latest.clone(),
            witness_block: theirs.clone(),
            primary_url: primary.url().to_owned(),
            witness_url: w.url().to_owned(),
            submissions: Vec::new(),
        };
        evidence
            .submissions
            .push(submission(w.as_ref(), &attack_evidence(trusted, latest)));
        evidence
            .submissions
            .push(submission(primary, &attack_evidence(trusted, &theirs)));
        return Err(Error::Divergence {
            height,
            witness: w.url().to_owned(),
            evidence: Box::new(evidence),
        });
    }
    if confirmed.is_empty() {
        return Err(Error::NoWitnessAnswered { height });
    }
    Ok(confirmed)
}
