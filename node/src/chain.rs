//! The devnet's block producer: it drives [`App`] like CometBFT does and makes blocks whose
//! headers and commits are CometBFT 0.38's, byte for byte in what a light client checks:
//! header hashes, validator-set hashes and precommit sign bytes all come from the
//! `tendermint` crate, and every validator key the devnet holds signs each block.
//!
//! It is not consensus: one process proposes and every key votes. Heights follow CometBFT:
//! header *h* carries the app hash and results of block *h − 1*; validator updates returned
//! while executing block *h* take effect at *h + 2*.

use std::collections::BTreeMap;

use ed25519_dalek::{Signer, SigningKey};
use sha2::Sha256;
use tendermint::block::{self, Commit, CommitSig, Header, Height, Round, parts};
use tendermint::merkle::simple_hash_from_byte_vectors;
use tendermint::validator::{Info, Set};
use tendermint::vote::{SignedVote, Type, ValidatorIndex, Vote};
use tendermint::{AppHash, Block, Hash, Time, account, chain, evidence};
use tendermint_proto::Protobuf;

use crate::app::{App, TxResult, ValidatorUpdate};
use crate::{NodeError, Result};

/// CometBFT's block part size.
const BLOCK_PART_SIZE: usize = 65_536;
/// Consensus parameters the devnet announces (CometBFT's defaults).
pub const BLOCK_MAX_BYTES: i64 = 22_020_096;
/// No gas limit, as in CometBFT's defaults.
pub const BLOCK_MAX_GAS: i64 = -1;

/// One produced block with everything the RPC and light clients ask about it.
#[derive(Debug, Clone)]
pub struct ChainBlock {
    /// The block (header, transactions, evidence, last commit).
    pub block: Block,
    /// Its id: header hash and part-set header.
    pub block_id: block::Id,
    /// The commit for this block: every held validator key's precommit.
    pub commit: Commit,
    /// Validators of this height.
    pub validators: Set,
    /// Validators of the next height.
    pub next_validators: Set,
    /// Result of each transaction.
    pub results: Vec<TxResult>,
}

/// What is stored per block: the block and the validator updates it made.
struct Record {
    block: ChainBlock,
    pending_updates: Vec<ValidatorUpdate>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RecordJson {
    block: Block,
    block_id: block::Id,
    commit: Commit,
    validators: Set,
    next_validators: Set,
    results: Vec<TxResult>,
    pending_updates: Vec<ValidatorUpdate>,
}

impl From<&Record> for RecordJson {
    fn from(r: &Record) -> Self {
        Self {
            block: r.block.block.clone(),
            block_id: r.block.block_id,
            commit: r.block.commit.clone(),
            validators: r.block.validators.clone(),
            next_validators: r.block.next_validators.clone(),
            results: r.block.results.clone(),
            pending_updates: r.pending_updates.clone(),
        }
    }
}

impl Record {
    fn decode(bytes: &[u8]) -> Result<Self> {
        let json: RecordJson = serde_json::from_slice(bytes).map_err(chain_err)?;
        Self::try_from(json)
    }
}

impl TryFrom<RecordJson> for Record {
    type Error = NodeError;
    fn try_from(j: RecordJson) -> Result<Self> {
        Ok(Self {
            block: ChainBlock {
                block: j.block,
                block_id: j.block_id,
                commit: j.commit,
                validators: j.validators,
                next_validators: j.next_validators,
                results: j.results,
            },
            pending_updates: j.pending_updates,
        })
    }
}

fn powers_of(set: &Set) -> BTreeMap<[u8; 32], u64> {
    set.validators()
        .iter()
        .filter_map(|v| Some((<[u8; 32]>::try_from(v.pub_key.to_bytes()).ok()?, v.power())))
        .collect()
}

/// Produces blocks over an [`App`] whose genesis is written.
pub struct Producer {
    app: App,
    chain_id: chain::Id,
    keys: BTreeMap<account::Id, SigningKey>,
    /// The newest block; older ones are read from the store's block records.
    latest: Option<ChainBlock>,
    /// Block 1, which every `/status` names as the earliest.
    first: Option<ChainBlock>,
    /// Validator powers by Ed25519 key, per height they are in force from.
    schedule: BTreeMap<u64, BTreeMap<[u8; 32], u64>>,
    genesis_time: Time,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("chain_id", &self.chain_id)
            .field("height", &self.height())
            .field("validator_keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

fn chain_err(e: impl std::fmt::Display) -> NodeError {
    NodeError::Tree(format!("block production: {e}"))
}

fn set_of(powers: &BTreeMap<[u8; 32], u64>) -> Result<Set> {
    let infos = powers
        .iter()
        .filter(|(_, p)| **p > 0)
        .map(|(k, p)| {
            let pk = tendermint::PublicKey::from_raw_ed25519(k)
                .ok_or_else(|| chain_err("not an Ed25519 key"))?;
            Ok(Info::new(pk, (*p).try_into().map_err(chain_err)?))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Set::without_proposer(infos))
}

/// CometBFT's `merkle.HashFromByteSlices` (RFC 6962 leaves and inner nodes).
fn merkle(items: &[impl AsRef<[u8]>]) -> Hash {
    Hash::Sha256(simple_hash_from_byte_vectors::<Sha256>(items))
}

/// CometBFT's `ConsensusParams.Hash`: SHA-256 of the protobuf `HashedParams`.
fn consensus_hash() -> Hash {
    use prost_tm::Message;
    let bytes = tendermint_proto::v0_38::types::HashedParams {
        block_max_bytes: BLOCK_MAX_BYTES,
        block_max_gas: BLOCK_MAX_GAS,
    }
    .encode_to_vec();
    Hash::Sha256(<Sha256 as sha2::Digest>::digest(bytes).into())
}

/// Merkle root of SHA-256 hashes of `items` (CometBFT's `Txs.Hash`).
fn txs_hash(txs: &[Vec<u8>]) -> Hash {
    let hashes: Vec<Vec<u8>> = txs
        .iter()
        .map(|t| <Sha256 as sha2::Digest>::digest(t).to_vec())
        .collect();
    merkle(&hashes)
}

/// CometBFT's `ABCIResults.Hash`: Merkle root of the deterministic part of each result.
fn results_hash(results: &[TxResult]) -> Hash {
    use prost_tm::Message;
    let encoded: Vec<Vec<u8>> = results
        .iter()
        .map(|r| {
            tendermint_proto::v0_38::abci::ExecTxResult {
                code: r.code.value(),
                ..Default::default()
            }
            .encode_to_vec()
        })
        .collect();
    merkle(&encoded)
}

/// CometBFT's `Commit.Hash`: Merkle root of the protobuf commit signatures.
fn commit_hash(commit: &Commit) -> Hash {
    use prost_tm::Message;
    let encoded: Vec<Vec<u8>> = commit
        .signatures
        .iter()
        .map(|s| tendermint_proto::v0_38::types::CommitSig::from(s.clone()).encode_to_vec())
        .collect();
    merkle(&encoded)
}

impl Producer {
    /// A producer over `app` (genesis written, no blocks yet) whose validators at genesis are
    /// `genesis_validators`, signing with `keys`.
    pub fn new(
        app: App,
        keys: Vec<SigningKey>,
        genesis_validators: &[ValidatorUpdate],
        genesis_time: Time,
    ) -> Result<Self> {
        let chain_id = chain::Id::try_from(app.chain_id().to_owned()).map_err(chain_err)?;
        let mut powers = BTreeMap::new();
        for v in genesis_validators {
            let k: [u8; 32] = hex::decode(&v.public_key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(NodeError::Genesis("a validator key is not 32 bytes of hex"))?;
            powers.insert(k, v.power);
        }
        if powers.values().all(|p| *p == 0) {
            return Err(NodeError::Genesis("no validator has power"));
        }
        let keys = keys
            .into_iter()
            .map(|k| {
                let pk = tendermint::PublicKey::from_raw_ed25519(k.verifying_key().as_bytes())
                    .ok_or_else(|| chain_err("bad validator key"))?;
                Ok((account::Id::from(pk), k))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            app,
            chain_id,
            keys,
            latest: None,
            first: None,
            schedule: BTreeMap::from([(1, powers)]),
            genesis_time,
        })
    }

    /// The application.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The application, for CheckTx.
    pub fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    /// The chain id.
    pub fn chain_id(&self) -> &chain::Id {
        &self.chain_id
    }

    /// The height of the newest block (0 before the first).
    pub fn height(&self) -> u64 {
        self.latest
            .as_ref()
            .map_or(0, |b| b.block.header.height.value())
    }

    /// The latest block.
    pub fn latest(&self) -> Option<&ChainBlock> {
        self.latest.as_ref()
    }

    /// Block 1.
    pub fn first(&self) -> Option<&ChainBlock> {
        self.first.as_ref()
    }

    /// Block `height`: the newest and block 1 from memory, the others from the store
    /// (nothing else is held in memory, however long the chain).
    pub fn block(&self, height: u64) -> Result<Option<ChainBlock>> {
        let held = [self.latest.as_ref(), self.first.as_ref()]
            .into_iter()
            .flatten()
            .find(|b| b.block.header.height.value() == height);
        if let Some(b) = held {
            return Ok(Some(b.clone()));
        }
        if height == 0 || height > self.height() {
            return Ok(None);
        }
        match self.app.store().block_record(height)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(Record::decode(&bytes)?.block)),
        }
    }

    fn powers_at(&self, height: u64) -> BTreeMap<[u8; 32], u64> {
        self.schedule
            .range(..=height)
            .next_back()
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
    }

    /// Produce the next block with `txs` at `time` (later than the previous block's).
    pub fn produce(&mut self, txs: Vec<Vec<u8>>, time: Time) -> Result<&ChainBlock> {
        let height = self.height() + 1;
        let validators = set_of(&self.powers_at(height))?;
        let next_validators = set_of(&self.powers_at(height + 1))?;
        let (app_hash, last_results_hash, last_block_id, last_commit) = match &self.latest {
            None => {
                let root = self.app.store().root(0)?;
                (root, None, None, None)
            }
            Some(prev) => {
                let root = self.app.store().root(height - 1)?;
                (
                    root,
                    Some(results_hash(&prev.results)),
                    Some(prev.block_id),
                    Some(prev.commit.clone()),
                )
            }
        };
        let earliest = self
            .latest
            .as_ref()
            .map_or(self.genesis_time, |b| b.block.header.time);
        if time <= earliest && height > 1 {
            return Err(chain_err("block time must increase"));
        }
        let proposer = validators
            .validators()
            .get((height as usize) % validators.validators().len().max(1))
            .map(|v| v.address)
            .ok_or_else(|| chain_err("empty validator set"))?;
        let header = Header {
            version: block::header::Version { block: 11, app: 1 },
            chain_id: self.chain_id.clone(),
            height: Height::try_from(height).map_err(chain_err)?,
            time,
            last_block_id,
            last_commit_hash: Some(
                last_commit
                    .as_ref()
                    .map_or_else(|| merkle(&Vec::<Vec<u8>>::new()), commit_hash),
            ),
            data_hash: Some(txs_hash(&txs)),
            validators_hash: validators.hash(),
            next_validators_hash: next_validators.hash(),
            consensus_hash: consensus_hash(),
            app_hash: AppHash::try_from(app_hash.to_vec()).map_err(chain_err)?,
            last_results_hash,
            evidence_hash: Some(merkle(&Vec::<Vec<u8>>::new())),
            proposer_address: proposer,
        };

        // The block, its id and its commit depend only on the previous state; the app hash
        // of executing it goes into the next header.
        let block = Block::new(header, txs, evidence::List::default(), last_commit);
        let encoded = Protobuf::<tendermint_proto::v0_38::types::Block>::encode_vec(block.clone());
        let parts: Vec<&[u8]> = encoded.chunks(BLOCK_PART_SIZE).collect();
        let block_id = block::Id {
            hash: block.header.hash(),
            part_set_header: parts::Header::new(parts.len() as u32, merkle(&parts))
                .map_err(chain_err)?,
        };
        let commit = self.sign_commit(&validators, block.header.height, block_id, time)?;

        let mut results = Vec::with_capacity(block.data.len());
        let secs = u64::try_from(time.unix_timestamp()).unwrap_or(0);
        for tx in &block.data {
            results.push(self.app.deliver_tx(tx, height, secs)?);
        }
        let chain_block = ChainBlock {
            block,
            block_id,
            commit,
            validators,
            next_validators,
            results,
        };
        let record = Record {
            block: chain_block.clone(),
            pending_updates: self.app.pending_validator_updates().to_vec(),
        };
        let bytes = serde_json::to_vec(&RecordJson::from(&record)).map_err(chain_err)?;
        let hashes: Vec<[u8; 32]> = chain_block
            .block
            .data
            .iter()
            .map(|t| <Sha256 as sha2::Digest>::digest(t).into())
            .collect();
        let (_, updates) = self.app.commit_with_record(
            height,
            Some(crate::store::BlockRecord {
                bytes: &bytes,
                txs: &hashes,
            }),
        )?;
        self.schedule_updates(height, &updates);
        if height == 1 {
            self.first = Some(chain_block.clone());
        }
        self.latest = Some(chain_block);
        self.latest.as_ref().ok_or_else(|| chain_err("no block"))
    }

    /// Updates returned by block `height` take effect at `height + 2`.
    fn schedule_updates(&mut self, height: u64, updates: &[ValidatorUpdate]) {
        if updates.is_empty() {
            return;
        }
        let mut powers = self.powers_at(height + 2);
        for u in updates {
            if let Some(k) = hex::decode(&u.public_key)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
            {
                if u.power == 0 {
                    powers.remove(&k);
                } else {
                    powers.insert(k, u.power);
                }
            }
        }
        self.schedule.insert(height + 2, powers);
    }

    /// Continue a chain whose blocks were recorded in `app`'s store (a restart): only the
    /// newest record is read, so a restart takes the same time at any height.
    pub fn restore(
        app: App,
        keys: Vec<SigningKey>,
        genesis_validators: &[ValidatorUpdate],
        genesis_time: Time,
    ) -> Result<Self> {
        let newest = app.store().latest_block_record()?;
        let mut producer = Self::new(app, keys, genesis_validators, genesis_time)?;
        if let Some((height, bytes)) = newest {
            let record = Record::decode(&bytes)?;
            if record.block.block.header.height.value() != height {
                return Err(chain_err("the newest block record is not for its height"));
            }
            // In force: this block's set, the next one's (updates of the block before take
            // effect there), and this block's own updates from height + 2.
            producer
                .schedule
                .insert(height, powers_of(&record.block.validators));
            producer
                .schedule
                .insert(height + 1, powers_of(&record.block.next_validators));
            producer.schedule_updates(height, &record.pending_updates);
            producer.latest = Some(record.block);
            producer.first = producer.block(1)?;
        }
        let state_height = producer.app.latest()?.map_or(0, |(h, _)| h);
        if state_height != producer.height() {
            return Err(chain_err("state and block records disagree"));
        }
        Ok(producer)
    }

    /// Precommits of every held key in `validators` for `block_id`, in validator-set order;
    /// validators whose key the devnet does not hold are absent.
    fn sign_commit(
        &self,
        validators: &Set,
        height: Height,
        block_id: block::Id,
        time: Time,
    ) -> Result<Commit> {
        sign_commit(
            &self.keys,
            &self.chain_id,
            validators,
            height,
            block_id,
            time,
        )
    }
}

/// A commit for `block_id` at `height`, signed (round 0, at `time`) by every validator of
/// `validators` whose key is in `keys`, exactly as CometBFT validators sign precommits.
/// Absent keys are absent signatures.
pub fn sign_commit(
    keys: &BTreeMap<account::Id, SigningKey>,
    chain_id: &chain::Id,
    validators: &Set,
    height: Height,
    block_id: block::Id,
    time: Time,
) -> Result<Commit> {
    let signatures = validators
        .validators()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let Some(key) = keys.get(&v.address) else {
                return Ok(CommitSig::BlockIdFlagAbsent);
            };
            let vote = Vote {
                vote_type: Type::Precommit,
                height,
                round: Round::default(),
                block_id: Some(block_id),
                timestamp: Some(time),
                validator_address: v.address,
                validator_index: ValidatorIndex::try_from(i as u32).map_err(chain_err)?,
                signature: None,
                extension: Vec::new(),
                extension_signature: None,
            };
            let sign_bytes = SignedVote::from_vote(
                Vote {
                    // from_vote needs a signature slot; the bytes signed exclude it.
                    signature: tendermint::Signature::new([0u8; 64]).map_err(chain_err)?,
                    ..vote
                },
                chain_id.clone(),
            )
            .ok_or_else(|| chain_err("vote without signature"))?
            .sign_bytes();
            let signature = key.sign(&sign_bytes).to_bytes();
            Ok(CommitSig::BlockIdFlagCommit {
                validator_address: v.address,
                timestamp: time,
                signature: tendermint::Signature::new(signature).map_err(chain_err)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Commit {
        height,
        round: Round::default(),
        block_id,
        signatures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real CometBFT 0.38 block (kvstore, height 10) from `../shared/vectors`.
    fn fixture_block() -> (Block, serde_json::Value) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/vectors/cometbft/rpc/kvstore_v0_38/block_at_height_10.json"
        );
        let text = std::fs::read_to_string(path).expect("fixture");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let block: Block = serde_json::from_value(json["result"]["block"].clone()).expect("block");
        (block, json["result"]["block_id"].clone())
    }

    #[test]
    fn our_hashes_match_a_real_cometbft_block() {
        let (block, block_id) = fixture_block();
        let h = &block.header;
        assert_eq!(
            h.consensus_hash,
            consensus_hash(),
            "default consensus params"
        );
        assert_eq!(h.data_hash, Some(txs_hash(&[])));
        assert_eq!(h.evidence_hash, Some(merkle(&Vec::<Vec<u8>>::new())));
        assert_eq!(h.last_results_hash, Some(results_hash(&[])));
        let last_commit = block.last_commit.as_ref().expect("last commit");
        assert_eq!(h.last_commit_hash, Some(commit_hash(last_commit)));

        let encoded = Protobuf::<tendermint_proto::v0_38::types::Block>::encode_vec(block.clone());
        let parts: Vec<&[u8]> = encoded.chunks(BLOCK_PART_SIZE).collect();
        assert_eq!(
            merkle(&parts).to_string(),
            block_id["parts"]["hash"].as_str().expect("parts hash"),
            "block part-set hash"
        );
        assert_eq!(
            h.hash().to_string(),
            block_id["hash"].as_str().expect("hash")
        );
    }
}
