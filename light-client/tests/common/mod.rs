//! Light blocks made with `tendermint-testgen`, shared by the light client's tests.

use tendermint::Time;
use tendermint_light_client_verifier::types::LightBlock;
use tendermint_testgen::{Commit, Generator, Header, LightBlock as Gen, Validator};

/// Unix seconds of height 0; height `h` is `T0 + h`.
pub const T0: i64 = 1_780_000_000;

/// The block at `h` of chain `chain_id`, signed by all of `vals`, naming `next` as the next set.
pub fn block(chain_id: &str, h: u64, vals: &[Validator], next: &[Validator]) -> LightBlock {
    let header = Header::new(vals)
        .height(h)
        .chain_id(chain_id)
        .next_validators(next)
        .time(Time::from_unix_timestamp(T0 + h as i64, 0).expect("time"));
    let commit = Commit::new(header.clone(), 1);
    let tm = Gen::new(header, commit)
        .validators(vals)
        .next_validators(next)
        .generate()
        .expect("block");
    LightBlock::new(
        tm.signed_header,
        tm.validators,
        tm.next_validators,
        tm.provider,
    )
}
