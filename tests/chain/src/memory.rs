//! An in-memory city chain for flow tests: the node's application and block producer (the
//! devnet's, in this process) behind the light client's [`ChainNode`] trait, with no HTTP
//! and no timer. Blocks are made on demand: when the wallet asks [`PRIMARY`] for the newest
//! block and transactions are waiting, or the last block carried some (whose effects only the
//! next header commits to), or the last block is [`BLOCK_TIME`] old on the test clock (a
//! chain keeps making empty blocks), one block is made at the clock's time. [`WITNESS`]
//! serves the same chain and never makes a block, so as a primary it is a frozen node. The
//! wallet and the chain share one [`ManualClock`], so every flow runs deterministically in
//! milliseconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use citywallet_light_client::clock::{Clock, ManualClock};
use citywallet_light_client::rpc::{ChainNode, Connect, RawRead, Submitted};
use citywallet_light_client::sync::Provider;
use citywallet_light_client::{Error, FetchError};
use citywallet_node::devnet::{DemoKeys, Devnet, DevnetConfig};
use citywallet_protocol::{Action, Role};
use sha2::{Digest, Sha256};
use tendermint::evidence::Evidence;
use tendermint::validator;
use tendermint_light_client_verifier::types::{LightBlock, PeerId};

/// The URL the wallet is given for the chain's primary.
pub const PRIMARY: &str = "memory://primary";
/// The URL of a witness that serves the same chain.
pub const WITNESS: &str = "memory://witness";
/// How often, on the test clock, the chain makes a block when asked.
pub const BLOCK_TIME: Duration = Duration::from_secs(1);

/// A devnet in memory, with its clock.
pub struct MemoryNet {
    /// The chain.
    pub devnet: Devnet,
    /// Its demo keys.
    pub keys: Arc<DemoKeys>,
    /// The clock the chain and the wallet share.
    pub clock: Arc<ManualClock>,
    /// How many transactions the primary accepted for broadcast.
    pub broadcasts: Arc<AtomicUsize>,
    admin_nonce: AtomicU64,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for MemoryNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryNet")
            .field("devnet", &self.devnet)
            .finish_non_exhaustive()
    }
}

impl MemoryNet {
    /// A chain with `validators` validators and two blocks (a read needs the header after
    /// the state it reads). The clock starts just after the genesis.
    pub fn start(validators: usize) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let config = DevnetConfig {
            chain_id: "citywallet-test".into(),
            validators,
            seed: Some(7),
            data: dir.path().to_path_buf(),
            retention: citywallet_node::store::Retention::default(),
        };
        let (devnet, keys) = Devnet::create(&config).expect("devnet");
        let start = (devnet.genesis_time() + Duration::from_secs(1)).expect("time");
        let clock = Arc::new(ManualClock::at(start));
        let net = Self {
            devnet,
            keys: Arc::new(keys),
            clock,
            broadcasts: Arc::new(AtomicUsize::new(0)),
            admin_nonce: AtomicU64::new(0),
            dir,
        };
        net.block();
        net.block();
        net
    }

    /// The devnet's data directory (its key files).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Make one block now (on the shared clock).
    pub fn block(&self) -> u64 {
        self.devnet
            .produce_block_at(self.clock.now())
            .expect("block")
    }

    /// What connects the wallet to this chain: [`PRIMARY`] and [`WITNESS`].
    pub fn connect(&self) -> MemoryConnect {
        MemoryConnect {
            devnet: self.devnet.clone(),
            clock: self.clock.clone(),
            broadcasts: self.broadcasts.clone(),
            answer: Answer::Truly,
        }
    }

    /// The clock, as the wallet takes it.
    pub fn wallet_clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Submit an admin transaction (the devnet's admin key) and make the two blocks that
    /// make its effect provable.
    pub fn admin(&self, action: Action) {
        let nonce = self.admin_nonce.fetch_add(1, Ordering::SeqCst);
        self.accept(crate::admin_tx(&self.devnet, &self.keys, nonce, action));
        self.block();
        self.block();
    }

    /// Broadcast `tx` at the test clock's time; CheckTx must accept it.
    fn accept(&self, tx: Vec<u8>) {
        let r = self
            .devnet
            .broadcast_at(tx, self.clock.now())
            .expect("broadcast");
        assert_eq!(r.code, citywallet_protocol::Code::Ok, "{}", r.log);
    }

    /// The credit bureau revokes `n` credentials (`filler-0` …), from its operator key's
    /// first nonces, in one block; then the block that proves them. Fills its revocation
    /// log past a page for tests of the officer's snapshot.
    pub fn bureau_revokes(&self, n: u64) {
        use ed25519_dalek::Signer as _;
        let operator = &self.keys.issuer_operator;
        for nonce in 0..n {
            let tx = citywallet_protocol::TxBody {
                chain_id: self.devnet.genesis().chain_id.clone(),
                signer: operator.verifying_key().to_bytes(),
                nonce,
                expires_at: 0,
                action: Action::RevokeCredential {
                    issuer: "city-credit-bureau".into(),
                    credential_id: format!("filler-{nonce}"),
                    reason: "test".into(),
                },
            }
            .sign_with(|m| operator.sign(m).to_bytes())
            .encode();
            self.accept(tx);
        }
        self.block();
        self.block();
    }

    /// A fresh key (its seed all `seed` bytes) files `n` reports, `{prefix}-0` …, up to
    /// 2,000 to a block; then the block that proves the last. A flood into the ring of
    /// reports from keys without standing.
    pub fn fresh_reports(&self, seed: u8, prefix: &str, n: u64) {
        use ed25519_dalek::Signer as _;
        let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        for nonce in 0..n {
            let tx = citywallet_protocol::TxBody {
                chain_id: self.devnet.genesis().chain_id.clone(),
                signer: key.verifying_key().to_bytes(),
                nonce,
                expires_at: 0,
                action: Action::SubmitReport {
                    id: format!("{prefix}-{nonce}"),
                    category: "pothole".into(),
                    location_cell: "cell-flood".into(),
                    evidence_hash: [0; 32],
                },
            }
            .sign_with(|m| key.sign(m).to_bytes())
            .encode();
            self.accept(tx);
            if nonce % 2_000 == 1_999 {
                self.block();
            }
        }
        self.block();
        self.block();
    }

    /// Give `key` a role on the chain: a technician's in the devnet technician's department,
    /// an officer's in none.
    pub fn give_role(&self, role: Role, key: [u8; 32]) {
        let department = match role {
            Role::Technician => citywallet_node::devnet::DEVNET_TECHNICIAN_DEPARTMENT,
            Role::Officer => "",
        };
        self.admin(Action::RegisterRole {
            role,
            key,
            department: department.into(),
        });
    }
}

/// How the primary answers a broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Answer {
    /// Truly (CheckTx's verdict).
    #[default]
    Truly,
    /// "Refused", but the transaction goes to the mempool anyway.
    RefusedButRelayed,
    /// "Refused", and the transaction is dropped.
    RefusedAndDropped,
}

/// Connects [`PRIMARY`] and [`WITNESS`] to the in-memory chain.
#[derive(Clone)]
pub struct MemoryConnect {
    devnet: Devnet,
    clock: Arc<ManualClock>,
    broadcasts: Arc<AtomicUsize>,
    answer: Answer,
}

impl MemoryConnect {
    /// The same chain, with the primary answering broadcasts as `answer` says.
    pub fn answering(mut self, answer: Answer) -> Self {
        self.answer = answer;
        self
    }
}

impl std::fmt::Debug for MemoryConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryConnect")
    }
}

impl Connect for MemoryConnect {
    fn connect(
        &self,
        url: &str,
        _timeout: Duration,
        _budget: &Arc<citywallet_light_client::budget::Budget>,
    ) -> Result<Box<dyn ChainNode>, Error> {
        let produces = match url {
            PRIMARY => true,
            WITNESS => false,
            _ => return Err(Error::InvalidInput(format!("{url:?} is not a memory node"))),
        };
        Ok(Box::new(MemoryNode {
            devnet: self.devnet.clone(),
            clock: self.clock.clone(),
            broadcasts: self.broadcasts.clone(),
            produces,
            answer: self.answer,
            url: url.to_owned(),
        }))
    }
}

/// One node of the in-memory chain.
pub struct MemoryNode {
    devnet: Devnet,
    clock: Arc<ManualClock>,
    broadcasts: Arc<AtomicUsize>,
    produces: bool,
    answer: Answer,
    url: String,
}

impl std::fmt::Debug for MemoryNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryNode")
            .field("url", &self.url)
            .finish()
    }
}

impl MemoryNode {
    fn block_due(&self) -> bool {
        let last_time = self
            .devnet
            .light_block_parts(None)
            .map(|(h, _, _)| h.header.time);
        let idle = last_time
            .is_some_and(|t| self.clock.now().duration_since(t).unwrap_or_default() >= BLOCK_TIME);
        self.devnet.pending() > 0 || self.devnet.latest().is_some_and(|(_, txs)| txs) || idle
    }
}

impl Provider for MemoryNode {
    fn light_block(&self, height: Option<u64>) -> Result<LightBlock, FetchError> {
        if height.is_none() && self.produces && self.block_due() {
            self.devnet
                .produce_block_at(self.clock.now())
                .map_err(|_| FetchError::Malformed)?;
        }
        let (signed, validators, next) = self
            .devnet
            .light_block_parts(height)
            .ok_or(FetchError::Missing(height.unwrap_or(0)))?;
        Ok(LightBlock::new(
            signed,
            validators,
            next,
            PeerId::new([0; 20]),
        ))
    }

    fn url(&self) -> &str {
        &self.url
    }
}

impl ChainNode for MemoryNode {
    fn genesis(&self) -> Result<(String, Vec<validator::Info>), FetchError> {
        let g = self.devnet.genesis();
        let validators = g
            .validators
            .iter()
            .map(|v| {
                let pk = hex::decode(&v.public_key).map_err(|_| FetchError::Malformed)?;
                let key =
                    tendermint::PublicKey::from_raw_ed25519(&pk).ok_or(FetchError::Malformed)?;
                let power = u32::try_from(v.power).map_err(|_| FetchError::Malformed)?;
                Ok(validator::Info::new(key, power.into()))
            })
            .collect::<Result<_, FetchError>>()?;
        Ok((g.chain_id.clone(), validators))
    }

    fn query(&self, key: &[u8], height: u64) -> Result<RawRead, FetchError> {
        use prost_ics23::Message as _;
        let p = self
            .devnet
            .query(key, height)
            .map_err(|_| FetchError::Missing(height))?;
        Ok(RawRead {
            key: key.to_vec(),
            value: p.value,
            height: p.height,
            ops: vec![(
                citywallet_light_client::client::PROOF_OP_TYPE.to_owned(),
                key.to_vec(),
                p.proof.encode_to_vec(),
            )],
        })
    }

    fn broadcast_tx(&self, tx: &[u8]) -> Result<Submitted, FetchError> {
        let hash = Sha256::digest(tx).into();
        let refused = |log: &str| Submitted {
            code: citywallet_protocol::Code::BadNonce.value(),
            log: log.to_owned(),
            hash,
        };
        if self.answer == Answer::RefusedAndDropped {
            return Ok(refused("nonce 0 is not the signer's next nonce (a lie)"));
        }
        let r = self
            .devnet
            .broadcast_at(tx.to_vec(), self.clock.now())
            .map_err(|_| FetchError::Malformed)?;
        if r.code == citywallet_protocol::Code::Ok {
            self.broadcasts.fetch_add(1, Ordering::SeqCst);
        }
        if self.answer == Answer::RefusedButRelayed {
            return Ok(refused("refused (a lie: it was relayed)"));
        }
        Ok(Submitted {
            code: r.code.value(),
            log: r.log,
            hash,
        })
    }

    fn submit_evidence(&self, _evidence: &Evidence) -> Result<String, FetchError> {
        Err(FetchError::Unsupported)
    }
}
