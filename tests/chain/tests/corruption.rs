//! Property tests: valid light blocks and proofs from a real devnet, corrupted field by
//! field. No corruption may verify, and both signature engines must agree.

use std::sync::OnceLock;
use std::time::Duration;

use citywallet_chain_tests::{Net, session, wallet};
use citywallet_light_client::client::ProvenRead;
use citywallet_light_client::rpc::HttpNode;
use citywallet_light_client::sync::Provider;
use citywallet_light_client::verify::{Engine, Verdict, options, verify_update};
use proptest::prelude::*;
use tendermint::Time;
use tendermint_light_client_verifier::types::LightBlock;

struct Fixture {
    trusted: LightBlock,
    adjacent: LightBlock,
    skipping: LightBlock,
    reads: Vec<(ProvenRead, LightBlock)>,
    now: Time,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let net = Net::start_devnet(4);
        for _ in 0..4 {
            net.devnet().produce_block().expect("block");
        }
        let node = HttpNode::new(&net.primary, Duration::from_secs(5)).expect("node");
        let block = |h| node.light_block(Some(h)).expect("block");
        let dir = tempfile::tempdir().expect("dir");
        let mut vault = wallet(dir.path());
        let mut s = session(&mut vault, &net.primary, &[&net.witness]);
        s.anchor_genesis(None).expect("anchor");
        let at = s.sync(&mut |_| {}).expect("sync");
        let reads = [
            b"issuer/city-credit-bureau".as_slice(),
            b"org/health-research",
            b"issuer/nobody",
            b"revoked/city-credit-bureau/x",
        ]
        .iter()
        .map(|k| (s.read(&at, k).expect("read"), at.clone()))
        .collect();
        Fixture {
            trusted: block(1),
            adjacent: block(2),
            skipping: block(5),
            reads,
            now: Time::now(),
        }
    })
}

fn flip(bytes: &mut [u8], at: usize, mask: u8) {
    let i = at % bytes.len();
    bytes[i] ^= mask;
}

fn hash_flip(h: &tendermint::Hash, at: usize, mask: u8) -> tendermint::Hash {
    let mut b = h.as_bytes().to_vec();
    flip(&mut b, at, mask);
    tendermint::Hash::Sha256(b.try_into().expect("32"))
}

/// Corrupt one field of `b` (chosen by `field`), at byte `at` with `mask` where it applies.
/// Returns whether the corruption touched a signature beyond the first quorum (which a
/// verifier that stops at 2/3 need not read).
fn corrupt(b: &mut LightBlock, field: u8, at: usize, mask: u8) -> bool {
    use tendermint::block::CommitSig;
    let h = &mut b.signed_header.header;
    let one_sec = Duration::from_secs(1);
    match field {
        0 => h.chain_id = format!("{}x", h.chain_id).parse().expect("id"),
        1 => h.height = h.height.increment(),
        2 => h.time = (h.time + one_sec).expect("time"),
        3 => {
            let mut a = h.app_hash.as_bytes().to_vec();
            flip(&mut a, at, mask);
            h.app_hash = a.try_into().expect("app hash");
        }
        4 => h.validators_hash = hash_flip(&h.validators_hash, at, mask),
        5 => h.next_validators_hash = hash_flip(&h.next_validators_hash, at, mask),
        6 => h.consensus_hash = hash_flip(&h.consensus_hash, at, mask),
        7 => h.data_hash = h.data_hash.map(|d| hash_flip(&d, at, mask)),
        8 => h.last_results_hash = h.last_results_hash.map(|d| hash_flip(&d, at, mask)),
        9 => h.evidence_hash = h.evidence_hash.map(|d| hash_flip(&d, at, mask)),
        10 => {
            if let Some(id) = h.last_block_id.as_mut() {
                id.hash = hash_flip(&id.hash, at, mask);
            }
        }
        11 => {
            let mut p = h.proposer_address.as_bytes().to_vec();
            flip(&mut p, at, mask);
            h.proposer_address = tendermint::account::Id::try_from(p).expect("address");
        }
        12 => h.version.app += 1,
        13 => b.signed_header.commit.height = b.signed_header.commit.height.increment(),
        14 => {
            b.signed_header.commit.round =
                tendermint::block::Round::try_from(b.signed_header.commit.round.value() + 1)
                    .expect("round");
        }
        15 => {
            let id = &mut b.signed_header.commit.block_id;
            id.hash = hash_flip(&id.hash, at, mask);
        }
        16 | 17 => {
            let n = b.signed_header.commit.signatures.len();
            let i = at % n;
            if let CommitSig::BlockIdFlagCommit {
                signature,
                timestamp,
                ..
            } = &mut b.signed_header.commit.signatures[i]
            {
                if field == 16 {
                    if let Some(s) = signature.as_mut() {
                        let mut bytes = s.as_bytes().to_vec();
                        flip(&mut bytes, at / n, mask);
                        *s = tendermint::Signature::new(bytes)
                            .expect("sig")
                            .expect("some");
                    }
                } else {
                    *timestamp = (*timestamp + one_sec).expect("time");
                }
            }
            // Four validators of equal power: any three carry more than 2/3.
            return i >= 3;
        }
        18 | 19 => {
            let set = if field == 18 {
                &mut b.validators
            } else {
                &mut b.next_validators
            };
            let mut vals = set.validators().clone();
            let i = at % vals.len();
            vals[i].power = (vals[i].power.value() + 1).try_into().expect("power");
            *set = tendermint::validator::Set::without_proposer(vals);
        }
        _ => {
            let mut vals = b.validators.validators().clone();
            vals.pop();
            b.validators = tendermint::validator::Set::without_proposer(vals);
        }
    }
    false
}

const FIELDS: u8 = 21;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn a_corrupted_light_block_never_verifies(
        field in 0..FIELDS, at in 0usize..4096, mask in 1u8..=255, skip in any::<bool>()
    ) {
        let f = fixture();
        let mut block = if skip { f.skipping.clone() } else { f.adjacent.clone() };
        let spare_signature = corrupt(&mut block, field, at, mask);
        let opts = options(Duration::from_secs(14 * 24 * 3600), Duration::from_secs(10));
        let batch = verify_update(&f.trusted, &block, &opts, f.now, Engine::Batch);
        let reference = verify_update(&f.trusted, &block, &opts, f.now, Engine::Reference);
        prop_assert_eq!(batch, reference, "engines disagree on field {}", field);
        if !spare_signature {
            prop_assert_ne!(batch, Verdict::Verified, "field {} corrupted yet verified", field);
        }
    }

    #[test]
    fn a_corrupted_proof_never_proves_a_false_statement(
        which in 0usize..4, at in 0usize..4096, mask in 1u8..=255, truncate in any::<bool>()
    ) {
        let (read, header) = &fixture().reads[which];
        let mut p = hex::decode(&read.proof).expect("hex");
        if truncate {
            p.truncate(at % p.len());
        } else {
            flip(&mut p, at, mask);
        }
        let corrupted = ProvenRead { proof: hex::encode(p), ..read.clone() };
        for lie in false_statements(read, at, mask) {
            prop_assert!(
                ProvenRead { proof: corrupted.proof.clone(), ..lie }.verify(header).is_err(),
                "a corrupted proof proved a false statement"
            );
        }
    }

    #[test]
    fn a_valid_proof_never_proves_a_false_statement(
        which in 0usize..4, at in 0usize..4096, mask in 1u8..=255
    ) {
        let (read, header) = &fixture().reads[which];
        for lie in false_statements(read, at, mask) {
            prop_assert!(lie.verify(header).is_err(), "a false statement verified: {:?}", lie);
        }
    }
}

/// Statements about the same key that the state contradicts: another value, absence of a
/// present key, presence of an absent one, or the same value under another key.
fn false_statements(read: &ProvenRead, at: usize, mask: u8) -> Vec<ProvenRead> {
    let mut out = Vec::new();
    match &read.value {
        Some(v) => {
            let mut b = v.clone().into_bytes();
            flip(&mut b, at, mask & 0x3f | 1);
            out.push(ProvenRead {
                value: Some(String::from_utf8_lossy(&b).into_owned()),
                ..read.clone()
            });
            out.push(ProvenRead {
                value: None,
                ..read.clone()
            });
            let mut key = read.key.clone();
            key.push(char::from(b'a' + (mask % 26)));
            out.push(ProvenRead {
                key,
                ..read.clone()
            });
        }
        None => out.push(ProvenRead {
            value: Some("{}".into()),
            ..read.clone()
        }),
    }
    out
}

#[test]
fn the_uncorrupted_fixture_verifies() {
    let f = fixture();
    let opts = options(Duration::from_secs(14 * 24 * 3600), Duration::from_secs(10));
    for b in [&f.adjacent, &f.skipping] {
        for e in [Engine::Batch, Engine::Reference] {
            assert_eq!(
                verify_update(&f.trusted, b, &opts, f.now, e),
                Verdict::Verified
            );
        }
    }
    for (r, h) in &f.reads {
        r.verify(h).expect("read verifies");
    }
}
