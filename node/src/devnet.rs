//! The devnet: a demo genesis (reproducible from a seed), a mempool fed through CheckTx, and
//! blocks produced on a timer by [`Producer`]. Not consensus: one process, N validator keys.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use citywallet_protocol::keyfile::IssuerKeyFile;
use citywallet_protocol::{IssuerRecord, OrgRecord, Status};
use ed25519_dalek::SigningKey;
use serde::Serialize;
use zeroize::Zeroizing;

#[derive(Serialize, serde::Deserialize)]
struct GenesisFile {
    genesis: Genesis,
    genesis_time: Time,
}
use sha2::{Digest, Sha256};
use tendermint::Time;

use crate::app::{App, Genesis, TechnicianEntry, TxResult, ValidatorUpdate};
use crate::chain::Producer;
use crate::store::{Retention, Store};
use crate::{NodeError, Result};

/// The department of the devnet's own technician (and of the demo technician credential).
pub const DEVNET_TECHNICIAN_DEPARTMENT: &str = "environment";
/// The demo issuers' revocation bound on the chain: a week, the issuer service's window for
/// private credentials (`citywallet_issuer::PRIVATE_WINDOW_SECS`; a test checks they agree).
pub const DEVNET_REVOCATION_DELAY_SECS: u64 = 7 * 24 * 3600;
/// Most transactions waiting in the mempool; CheckTx refuses more.
pub const MAX_MEMPOOL: usize = 10_000;
/// The devnet's own keys file (validators, admin, demo participants; secrets, mode 0600).
pub const KEYS_FILE: &str = "devnet-keys.json";
/// The credit bureau's issuer key file.
pub const CREDIT_BUREAU_KEY_FILE: &str = "devnet-issuer-key.json";
/// City Hall's issuer key file.
pub const CITY_HALL_KEY_FILE: &str = "devnet-cityhall-key.json";
/// The demo organisations (id, key label); each one's key file is
/// `devnet-org-{id}-key.json` ([`org_key_file`]).
const ORG_KEY_LABELS: [(&str, &str); 2] = [
    ("health-research", "org-health"),
    ("transit-authority", "org-transit"),
];

/// The key file the devnet writes for demo organisation `id` (an
/// [`citywallet_protocol::keyfile::OrgKeyFile`]).
pub fn org_key_file(id: &str) -> String {
    format!("devnet-org-{id}-key.json")
}

/// Devnet settings.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// Chain id.
    pub chain_id: String,
    /// Number of validators (all keys held by the devnet).
    pub validators: usize,
    /// Seed for every demo key; random when `None`.
    pub seed: Option<u64>,
    /// State directory (a fresh one per start).
    pub data: PathBuf,
    /// How many heights of state and blocks it keeps.
    pub retention: Retention,
}

/// The seed for `config`: its own, or a random one.
pub fn resolve_seed(config: &DevnetConfig) -> Result<u64> {
    match config.seed {
        Some(s) => Ok(s),
        None => {
            let mut b = [0u8; 8];
            getrandom_fill(&mut b)?;
            Ok(u64::from_be_bytes(b))
        }
    }
}

/// The demo participants' keys. Secrets, shown only to the devnet's operator (written to
/// `devnet-keys.json` with mode 0600): the devnet is a development tool.
pub struct DemoKeys {
    /// City admin.
    pub admin: SigningKey,
    /// A field officer.
    pub officer: SigningKey,
    /// An IoT technician.
    pub technician: SigningKey,
    /// The credit bureau's transaction key.
    pub issuer_operator: SigningKey,
    /// The credit bureau's BBS secret key.
    pub issuer_bbs_secret: [u8; 32],
    /// City hall's transaction key (it issues officer, technician, residency and biometric
    /// credentials).
    pub cityhall_operator: SigningKey,
    /// City hall's BBS secret key.
    pub cityhall_bbs_secret: [u8; 32],
    /// Validators.
    pub validators: Vec<SigningKey>,
    /// The demo organisations' keys, by id.
    pub orgs: Vec<(String, SigningKey)>,
}

impl std::fmt::Debug for DemoKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoKeys([redacted])")
    }
}

#[derive(Serialize, serde::Deserialize)]
struct DemoKeysFile {
    admin: String,
    officer: String,
    technician: String,
    issuer_operator: String,
    issuer_bbs_secret: String,
    validators: Vec<String>,
}

fn derive(seed: u64, label: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"citywallet devnet key\0")
        .chain_update(seed.to_be_bytes())
        .chain_update(label.as_bytes())
        .finalize()
        .into()
}

/// The demo genesis and its keys, all derived from `seed`.
pub fn demo_genesis(chain_id: &str, seed: u64, validators: usize) -> Result<(Genesis, DemoKeys)> {
    let key = |label: &str| SigningKey::from_bytes(&derive(seed, label));
    let hex_pk = |k: &SigningKey| hex::encode(k.verifying_key().as_bytes());
    let keys = DemoKeys {
        admin: key("admin"),
        officer: key("officer"),
        technician: key("technician"),
        issuer_operator: key("issuer-operator"),
        issuer_bbs_secret: [0; 32],
        cityhall_operator: key("cityhall-operator"),
        cityhall_bbs_secret: [0; 32],
        validators: (0..validators)
            .map(|i| key(&format!("validator-{i}")))
            .collect(),
        orgs: ORG_KEY_LABELS
            .iter()
            .map(|(id, label)| ((*id).to_owned(), key(label)))
            .collect(),
    };
    let bbs = zkryptium::keys::pair::KeyPair::<zkryptium::schemes::algorithms::BbsBls12381Sha256>::generate(
        &derive(seed, "issuer-bbs"),
        None,
        None,
    )
    .map_err(|_| NodeError::Genesis("BBS key generation failed"))?;
    let cityhall = zkryptium::keys::pair::KeyPair::<
        zkryptium::schemes::algorithms::BbsBls12381Sha256,
    >::generate(&derive(seed, "cityhall-bbs"), None, None)
    .map_err(|_| NodeError::Genesis("BBS key generation failed"))?;
    let keys = DemoKeys {
        issuer_bbs_secret: bbs.private_key().to_bytes(),
        cityhall_bbs_secret: cityhall.private_key().to_bytes(),
        ..keys
    };
    let genesis = Genesis {
        chain_id: chain_id.into(),
        admins: vec![hex_pk(&keys.admin)],
        issuers: vec![
            IssuerRecord {
                id: "city-credit-bureau".into(),
                name: "City Credit Bureau".into(),
                bbs_public_key: hex::encode(bbs.public_key().to_bytes()),
                operator_key: hex_pk(&keys.issuer_operator),
                credential_types: vec!["credit".into(), "residency".into()],
                status: Status::Active,
                max_revocation_delay_secs: Some(DEVNET_REVOCATION_DELAY_SECS),
            },
            IssuerRecord {
                id: "city-hall".into(),
                name: "City Hall".into(),
                bbs_public_key: hex::encode(cityhall.public_key().to_bytes()),
                operator_key: hex_pk(&keys.cityhall_operator),
                credential_types: vec![
                    "officer".into(),
                    "technician".into(),
                    "residency".into(),
                    "biometric".into(),
                ],
                status: Status::Active,
                max_revocation_delay_secs: Some(DEVNET_REVOCATION_DELAY_SECS),
            },
        ],
        orgs: vec![
            OrgRecord {
                id: "health-research".into(),
                name: "City Health Research Institute".into(),
                key: hex_pk(&key(ORG_KEY_LABELS[0].1)),
                categories: vec!["health".into(), "mobility".into()],
                status: Status::Active,
            },
            OrgRecord {
                id: "transit-authority".into(),
                name: "Metropolitan Transit Authority".into(),
                key: hex_pk(&key(ORG_KEY_LABELS[1].1)),
                categories: vec!["mobility".into()],
                status: Status::Active,
            },
        ],
        officers: vec![hex_pk(&keys.officer)],
        technicians: vec![TechnicianEntry::new(
            hex_pk(&keys.technician),
            DEVNET_TECHNICIAN_DEPARTMENT,
        )],
        max_reward: citywallet_protocol::DEFAULT_MAX_REWARD,
        validators: keys
            .validators
            .iter()
            .map(|k| ValidatorUpdate {
                public_key: hex_pk(k),
                power: 10,
            })
            .collect(),
    };
    Ok((genesis, keys))
}

pub(crate) struct State {
    pub(crate) producer: Producer,
    pub(crate) mempool: Vec<Vec<u8>>,
}

/// A running devnet. Clones share it.
#[derive(Clone)]
pub struct Devnet {
    state: Arc<Mutex<State>>,
    genesis: Arc<Genesis>,
    genesis_time: Time,
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("chain_id", &self.genesis.chain_id)
            .finish_non_exhaustive()
    }
}

fn now() -> Time {
    Time::now()
}

impl Devnet {
    /// Create the devnet in `config.data` (which must hold no earlier devnet state) and
    /// return it with the demo keys.
    pub fn create(config: &DevnetConfig) -> Result<(Self, DemoKeys)> {
        let seed = resolve_seed(config)?;
        let (genesis, keys) = demo_genesis(&config.chain_id, seed, config.validators.max(1))?;
        let path = config.data.join("devnet-state.redb");
        if path.exists() {
            return Err(NodeError::Genesis(
                "the data directory already holds a devnet: give a new --data directory",
            ));
        }
        let mut app = App::new(Store::open_with(&path, config.retention)?, &config.chain_id);
        app.init_chain(&genesis)?;
        let genesis_time = now();
        let validator_keys = keys
            .validators
            .iter()
            .map(|k| SigningKey::from_bytes(&k.to_bytes()))
            .collect();
        let producer = Producer::new(app, validator_keys, &genesis.validators, genesis_time)?;
        let issuer_public: Vec<String> = genesis
            .issuers
            .iter()
            .map(|i| i.bbs_public_key.clone())
            .collect();
        write_keys(&config.data, &keys, &issuer_public)?;
        let genesis_file = serde_json::to_vec_pretty(&GenesisFile {
            genesis: genesis.clone(),
            genesis_time,
        })
        .map_err(|e| NodeError::Db(e.to_string()))?;
        std::fs::write(config.data.join("devnet-genesis.json"), genesis_file)
            .map_err(|e| NodeError::Db(e.to_string()))?;
        let devnet = Self {
            state: Arc::new(Mutex::new(State {
                producer,
                mempool: Vec::new(),
            })),
            genesis: Arc::new(genesis),
            genesis_time,
        };
        Ok((devnet, keys))
    }

    /// Whether `config.data` holds a devnet to [`Devnet::open`].
    pub fn exists(config: &DevnetConfig) -> bool {
        config.data.join("devnet-state.redb").exists()
    }

    /// Continue the devnet in `config.data` after a restart: its state, blocks, genesis and
    /// validator keys are read back; the next block follows the last one recorded.
    pub fn open(config: &DevnetConfig) -> Result<Self> {
        let read = |name: &str| {
            std::fs::read(config.data.join(name)).map_err(|e| NodeError::Db(format!("{name}: {e}")))
        };
        let g: GenesisFile = serde_json::from_slice(&read("devnet-genesis.json")?)
            .map_err(|_| NodeError::Genesis("devnet-genesis.json is damaged"))?;
        let k: DemoKeysFile = serde_json::from_slice(&read(KEYS_FILE)?)
            .map_err(|_| NodeError::Genesis("devnet-keys.json is damaged"))?;
        let validator_keys = k
            .validators
            .iter()
            .map(|h| {
                hex::decode(h)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .map(|b| SigningKey::from_bytes(&b))
                    .ok_or(NodeError::Genesis(
                        "a validator key in devnet-keys.json is damaged",
                    ))
            })
            .collect::<Result<Vec<_>>>()?;
        let app = App::open(Store::open_with(
            &config.data.join("devnet-state.redb"),
            config.retention,
        )?)?;
        if app.chain_id() != g.genesis.chain_id {
            return Err(NodeError::Genesis("the state belongs to another chain"));
        }
        let producer =
            Producer::restore(app, validator_keys, &g.genesis.validators, g.genesis_time)?;
        Ok(Self {
            state: Arc::new(Mutex::new(State {
                producer,
                mempool: Vec::new(),
            })),
            genesis: Arc::new(g.genesis),
            genesis_time: g.genesis_time,
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// When the chain started.
    pub fn genesis_time(&self) -> Time {
        self.genesis_time
    }

    /// CheckTx, and into the mempool when accepted.
    pub fn broadcast(&self, tx: Vec<u8>) -> Result<TxResult> {
        self.broadcast_at(tx, now())
    }

    /// [`Devnet::broadcast`], with CheckTx's clock at `at` (tests drive a devnet on a test
    /// clock).
    pub fn broadcast_at(&self, tx: Vec<u8>, at: Time) -> Result<TxResult> {
        let mut state = self.lock();
        if state.mempool.len() >= MAX_MEMPOOL {
            return Ok(TxResult {
                code: citywallet_protocol::Code::TooLarge,
                log: "mempool is full".into(),
            });
        }
        let secs = u64::try_from(at.unix_timestamp()).unwrap_or(0);
        let result = state.producer.app_mut().check_tx(&tx, secs)?;
        if result.code == citywallet_protocol::Code::Ok {
            state.mempool.push(tx);
        }
        Ok(result)
    }

    /// Produce one block with the mempool's transactions; returns its height.
    pub fn produce_block(&self) -> Result<u64> {
        self.produce_block_with(Vec::new(), now())
    }

    /// [`Devnet::produce_block`] with the block time `at` (moved 1 ms past the previous
    /// block's when it is not later).
    pub fn produce_block_at(&self, at: Time) -> Result<u64> {
        self.produce_block_with(Vec::new(), at)
    }

    /// Transactions waiting for the next block.
    pub fn pending(&self) -> usize {
        self.lock().mempool.len()
    }

    /// The newest block's height and whether it carried transactions (whose effects only
    /// the next header's app hash commits to).
    pub fn latest(&self) -> Option<(u64, bool)> {
        self.lock()
            .producer
            .latest()
            .map(|b| (b.block.header.height.value(), !b.block.data.is_empty()))
    }

    /// Entries in the state store's tables.
    pub fn store_stats(&self) -> Result<crate::store::StoreStats> {
        self.lock().producer.app().store().stats()
    }

    /// The signed header of block `height` (the newest when `None`) with its validator
    /// set and the next height's: what a light client asks a node for.
    pub fn light_block_parts(
        &self,
        height: Option<u64>,
    ) -> Option<(
        tendermint::block::signed_header::SignedHeader,
        tendermint::validator::Set,
        tendermint::validator::Set,
    )> {
        let state = self.lock();
        let b = match height {
            None => state.producer.latest()?.clone(),
            Some(h) => state.producer.block(h).ok()??,
        };
        let signed = tendermint::block::signed_header::SignedHeader::new(
            b.block.header.clone(),
            b.commit.clone(),
        )
        .ok()?;
        Some((signed, b.validators.clone(), b.next_validators.clone()))
    }

    /// A proven read of `key` in the state after block `height`.
    pub fn query(&self, key: &[u8], height: u64) -> Result<crate::store::ProvenValue> {
        self.lock().producer.app().query(key, Some(height))
    }

    /// Test-only: a devnet with the same genesis and validator keys as `config`'s (same
    /// seed), in `config.data/fork`, meant to serve as a lying witness. Drive it with
    /// [`Devnet::produce_fork_block`]: every block then carries a transaction the primary's
    /// lacks, so each height has a different header, validly signed by the same validators.
    pub fn create_fork(config: &DevnetConfig) -> Result<(Self, DemoKeys)> {
        let fork = DevnetConfig {
            data: config.data.join("fork"),
            retention: config.retention,
            ..config.clone()
        };
        std::fs::create_dir_all(&fork.data).map_err(|e| NodeError::Db(e.to_string()))?;
        Self::create(&fork)
    }

    /// Produce a fork block: the mempool plus a report only this chain has.
    pub fn produce_fork_block(&self, keys: &DemoKeys) -> Result<u64> {
        use ed25519_dalek::Signer;
        let height = self.lock().producer.height() + 1;
        let signer = &keys.officer;
        let nonce = height - 1;
        let tx = citywallet_protocol::TxBody {
            chain_id: self.genesis.chain_id.clone(),
            signer: signer.verifying_key().to_bytes(),
            nonce,
            expires_at: 0,
            action: citywallet_protocol::Action::SubmitReport {
                id: format!("fork-{height}"),
                category: "fork".into(),
                location_cell: "nowhere".into(),
                evidence_hash: [0xf0; 32],
            },
        }
        .sign_with(|m| signer.sign(m).to_bytes())
        .encode();
        self.produce_block_with(vec![tx], now())
    }

    fn produce_block_with(&self, extra: Vec<Vec<u8>>, at: Time) -> Result<u64> {
        let mut state = self.lock();
        let mut txs = std::mem::take(&mut state.mempool);
        txs.extend(extra);
        let last = state.producer.latest().map(|b| b.block.header.time);
        let mut time = at;
        if let Some(last) = last
            && time <= last
        {
            time = (last + std::time::Duration::from_millis(1))
                .map_err(|e| NodeError::Tree(e.to_string()))?;
        }
        let height = state
            .producer
            .produce(txs, time)?
            .block
            .header
            .height
            .value();
        Ok(height)
    }
}

fn getrandom_fill(buf: &mut [u8]) -> Result<()> {
    // The operating system's randomness.
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .map_err(|e| NodeError::Db(format!("no randomness: {e}")))
}

/// Write the demo keys (`devnet-keys.json`) and the demo issuers' key files into `dir`.
pub(crate) fn write_keys(
    dir: &std::path::Path,
    keys: &DemoKeys,
    issuer_public_hex: &[String],
) -> Result<()> {
    let file = DemoKeysFile {
        admin: hex::encode(keys.admin.to_bytes()),
        officer: hex::encode(keys.officer.to_bytes()),
        technician: hex::encode(keys.technician.to_bytes()),
        issuer_operator: hex::encode(keys.issuer_operator.to_bytes()),
        issuer_bbs_secret: hex::encode(keys.issuer_bbs_secret),
        validators: keys
            .validators
            .iter()
            .map(|k| hex::encode(k.to_bytes()))
            .collect(),
    };
    let bytes =
        Zeroizing::new(serde_json::to_vec_pretty(&file).map_err(|e| NodeError::Db(e.to_string()))?);
    write_secret(&dir.join(KEYS_FILE), &bytes)?;
    // The demo issuers as issuer key files, the format the wallet's issuer tools read
    // (`citywallet issuer issue|revoke --key`).
    for (file, id, public, secret, operator) in [
        (
            CREDIT_BUREAU_KEY_FILE,
            "city-credit-bureau",
            issuer_public_hex[0].as_str(),
            &keys.issuer_bbs_secret,
            &keys.issuer_operator,
        ),
        (
            CITY_HALL_KEY_FILE,
            "city-hall",
            issuer_public_hex[1].as_str(),
            &keys.cityhall_bbs_secret,
            &keys.cityhall_operator,
        ),
    ] {
        let issuer = IssuerKeyFile::new(
            id,
            public.to_owned(),
            Zeroizing::new(hex::encode(secret)),
            Some(Zeroizing::new(hex::encode(operator.to_bytes()))),
        );
        let bytes = issuer.to_json().map_err(|e| NodeError::Db(e.to_string()))?;
        write_secret(&dir.join(file), &bytes)?;
    }
    for (id, secret) in &keys.orgs {
        let org = citywallet_protocol::keyfile::OrgKeyFile::new(
            id,
            Zeroizing::new(hex::encode(secret.to_bytes())),
        );
        let bytes = org.to_json().map_err(|e| NodeError::Db(e.to_string()))?;
        write_secret(&dir.join(org_key_file(id)), &bytes)?;
    }
    Ok(())
}

fn write_secret(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    citywallet_files::replace(path, bytes)
        .map_err(|e| NodeError::Db(format!("{}: {e}", path.display())))
}

/// The city admin's key of the devnet whose data directory is `data` (from its keys file):
/// what the devnet's demo tools sign admin transactions with.
pub fn admin_key(data: &std::path::Path) -> Result<SigningKey> {
    let bytes = Zeroizing::new(
        std::fs::read(data.join(KEYS_FILE))
            .map_err(|e| NodeError::Db(format!("{KEYS_FILE}: {e}")))?,
    );
    let k: DemoKeysFile = serde_json::from_slice(&bytes)
        .map_err(|_| NodeError::Genesis("devnet-keys.json is damaged"))?;
    let raw = Zeroizing::new(
        hex::decode(&k.admin).map_err(|_| NodeError::Genesis("the admin key is damaged"))?,
    );
    let bytes: [u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| NodeError::Genesis("the admin key is damaged"))?;
    Ok(SigningKey::from_bytes(&bytes))
}
