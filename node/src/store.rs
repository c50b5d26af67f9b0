//! The versioned Jellyfish Merkle tree on disk, in one redb file.
//!
//! Tables: `nodes` (borsh `NodeKey` → borsh `Node`), `values` (key hash ‖ version u64 BE →
//! 0x00 deleted | 0x01 ‖ value), `preimages` (key hash → key), `meta` (`height`, `app_hash`,
//! `oldest`), and the stale indexes `stale_nodes` / `stale_values` (version u64 BE ‖ the
//! node's or value's key → nothing): what each version made stale, from jmt's stale-node index
//! and from the value each write superseded. The devnet's blocks go beside them: `blocks`
//! (height → record), `txs` (transaction hash → height and index) and `block_txs` (height →
//! its transactions' hashes).
//!
//! A block's nodes, values, stale entries, pruning and meta are written in one redb
//! transaction, so a crash leaves the previous block or the new one. [`Retention`] says how
//! many versions are kept: with `Keep(k)`, writing version `h` deletes every node and value
//! that only versions older than `h + 1 - k` needed, so the disk grows with the live state,
//! not with history; proofs at kept heights work, and a query at a pruned height is refused
//! ([`NodeError::Pruned`]); the devnet's block records and transaction index keep the same
//! window (and block 1). `Archive` keeps every version and every block.

use std::path::{Path, PathBuf};

use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, RootHash, Version};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use sha2::Sha256;

use crate::{NodeError, Result};

const NODES: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("nodes");
const VALUES: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("values");
const PREIMAGES: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("preimages");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("blocks");
const STALE_NODES: TableDefinition<'_, &[u8], ()> = TableDefinition::new("stale_nodes");
/// The devnet's transaction index: SHA-256 of a transaction → height (u64 BE) ‖ index in its
/// block (u32 BE).
const TXS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("txs");
/// The hashes of each block's transactions (height → 32-byte hashes, in order), so pruning
/// a block removes its entries from [`TXS`].
const BLOCK_TXS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("block_txs");

/// A devnet block as stored beside the state it produced: its record and the hashes of its
/// transactions, in order.
#[derive(Debug, Clone, Copy)]
pub struct BlockRecord<'a> {
    /// The serialised block.
    pub bytes: &'a [u8],
    /// SHA-256 of each transaction.
    pub txs: &'a [[u8; 32]],
}
const STALE_VALUES: TableDefinition<'_, &[u8], ()> = TableDefinition::new("stale_values");

/// redb's page cache. Its default (1 GiB) let a long-running devnet's memory grow with its
/// file: 307 MiB resident after 100,000 blocks. Reads past the cache go to the OS's page
/// cache.
pub const CACHE_BYTES: usize = 64 << 20;

/// How many state versions a node keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// The newest `k` versions (at least 2: a light client reads the state under the newest
    /// header, one version behind the newest state).
    Keep(u64),
    /// Every version (a node that serves old proofs).
    Archive,
}

/// The versions a node keeps by default: about a quarter of an hour of one-second blocks.
pub const DEFAULT_KEEP_HEIGHTS: u64 = 1_000;

impl Default for Retention {
    fn default() -> Self {
        Self::Keep(DEFAULT_KEEP_HEIGHTS)
    }
}

impl Retention {
    /// The oldest height still kept once `latest` is written.
    fn oldest(self, latest: u64) -> u64 {
        match self {
            Self::Keep(k) => (latest + 1).saturating_sub(k.max(2)),
            Self::Archive => 0,
        }
    }
}

/// A proven read: the value (or `None`) and the ICS23 proof of it against the root at
/// `height`.
#[derive(Debug, Clone)]
pub struct ProvenValue {
    /// The value, or `None` when the key is absent.
    pub value: Option<Vec<u8>>,
    /// ICS23 membership or non-membership proof (`jmt::ics23_spec()`).
    pub proof: ics23::CommitmentProof,
    /// The height (tree version) the proof is for.
    pub height: u64,
    /// The root the proof leads to: the app hash after block `height`.
    pub root: [u8; 32],
}

/// Entries in the store's tables ([`Store::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
    /// Tree nodes.
    pub nodes: u64,
    /// Value versions (deletions included).
    pub values: u64,
    /// Stale-index entries waiting for their version to leave the window.
    pub stale: u64,
    /// Block records kept (the devnet's).
    pub blocks: u64,
    /// Bytes of keys and values live in the file (redb's `stored_bytes`): what the state
    /// and the kept blocks hold. The file itself keeps its high-water mark and reuses the
    /// pages pruning frees.
    pub live_bytes: u64,
    /// Bytes of the file's pages in use (allocated pages × page size).
    pub allocated_bytes: u64,
}

/// A version's writes: key → new value, or `None` to delete.
pub type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// A version computed but not yet written ([`Store::stage`]).
pub struct Staged {
    height: u64,
    root: [u8; 32],
    batch: jmt::storage::NodeBatch,
    stale: jmt::storage::StaleNodeIndexBatch,
    changes: Writes,
}

impl Staged {
    /// Its height.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Its root: the app hash it will have.
    pub fn root(&self) -> [u8; 32] {
        self.root
    }
}

impl std::fmt::Debug for Staged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staged")
            .field("height", &self.height)
            .field("root", &hex::encode(self.root))
            .field("changes", &self.changes.len())
            .finish_non_exhaustive()
    }
}

/// The state tree.
pub struct Store {
    db: Database,
    path: PathBuf,
    retention: Retention,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn value_key(key_hash: &KeyHash, version: Version) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(&key_hash.0);
    k[32..].copy_from_slice(&version.to_be_bytes());
    k
}

fn tree_err(e: impl std::fmt::Display) -> NodeError {
    NodeError::Tree(e.to_string())
}

impl Store {
    /// Open or create the state database at `path`, keeping the default number of
    /// versions ([`Retention::default`]).
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, Retention::default())
    }

    /// Open or create the state database at `path` with `retention`. A smaller retention
    /// than before takes effect at the next write.
    pub fn open_with(path: &Path, retention: Retention) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| NodeError::Db(e.to_string()))?;
        }
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)?;
        let tx = db.begin_write()?;
        tx.open_table(NODES)?;
        tx.open_table(VALUES)?;
        tx.open_table(PREIMAGES)?;
        tx.open_table(META)?;
        tx.open_table(BLOCKS)?;
        tx.open_table(STALE_NODES)?;
        tx.open_table(STALE_VALUES)?;
        tx.open_table(TXS)?;
        tx.open_table(BLOCK_TXS)?;
        tx.commit()?;
        Ok(Self {
            db,
            path: path.to_owned(),
            retention,
        })
    }

    /// How many versions it keeps.
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// The oldest height whose state is kept (0 before any pruning).
    pub fn oldest(&self) -> Result<u64> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(META)?;
        match meta.get("oldest")? {
            None => Ok(0),
            Some(v) => {
                let b: [u8; 8] = v.value().try_into().map_err(|_| self.corrupt("oldest"))?;
                Ok(u64::from_be_bytes(b))
            }
        }
    }

    /// The latest committed height and its root, or `None` before genesis.
    pub fn latest(&self) -> Result<Option<(u64, [u8; 32])>> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(META)?;
        let height = meta.get("height")?.map(|v| v.value().to_vec());
        let root = meta.get("app_hash")?.map(|v| v.value().to_vec());
        match (height, root) {
            (None, None) => Ok(None),
            (Some(h), Some(r)) => {
                let h: [u8; 8] = h.try_into().map_err(|_| self.corrupt("height"))?;
                let r: [u8; 32] = r.try_into().map_err(|_| self.corrupt("app hash"))?;
                Ok(Some((u64::from_be_bytes(h), r)))
            }
            _ => Err(self.corrupt("meta")),
        }
    }

    fn corrupt(&self, what: &'static str) -> NodeError {
        NodeError::Corrupt {
            path: self.path.clone(),
            what,
        }
    }

    /// Write `changes` (key → new value, or `None` to delete) as version `height`, durably,
    /// and return the new root. `height` must be the next height (0 for genesis).
    pub fn commit(&self, height: u64, changes: &[(Vec<u8>, Option<Vec<u8>>)]) -> Result<[u8; 32]> {
        self.commit_with_record(height, changes, None)
    }

    /// [`Store::commit`], also writing `record` (the devnet's block) under `height` in the
    /// same transaction, so state and block history never disagree after a crash.
    pub fn commit_with_record(
        &self,
        height: u64,
        changes: &[(Vec<u8>, Option<Vec<u8>>)],
        record: Option<BlockRecord<'_>>,
    ) -> Result<[u8; 32]> {
        let staged = self.stage(height, changes.to_vec())?;
        self.write(staged, record)
    }

    /// Compute version `height` from `changes` without writing anything: its root and the
    /// tree nodes that [`Store::write`] will store. `height` must be the next height (0 for
    /// genesis).
    pub fn stage(&self, height: u64, changes: Writes) -> Result<Staged> {
        let expected = self.latest()?.map_or(0, |(h, _)| h + 1);
        if height != expected {
            return Err(NodeError::UnknownHeight {
                height,
                latest: expected.saturating_sub(1),
            });
        }
        self.compute(height, changes)
    }

    /// The root `changes` give as version `height` over the versions below it, written or not.
    fn compute(&self, height: u64, changes: Writes) -> Result<Staged> {
        let tree = JellyfishMerkleTree::<_, Sha256>::new(self);
        let set: Vec<(KeyHash, Option<OwnedValue>)> = changes
            .iter()
            .map(|(k, v)| (KeyHash::with::<Sha256>(k), v.clone()))
            .collect();
        let (root, batch): (RootHash, _) = tree.put_value_set(set, height).map_err(tree_err)?;
        Ok(Staged {
            height,
            root: root.0,
            batch: batch.node_batch,
            stale: batch.stale_node_index_batch,
            changes,
        })
    }

    /// The root the genesis `changes` give, without writing, to compare with a stored
    /// genesis (CometBFT sends InitChain again while the app reports height 0).
    pub fn genesis_root(&self, changes: Writes) -> Result<[u8; 32]> {
        self.compute(0, changes).map(|s| s.root)
    }

    /// Write `staged` durably, with `record` (the devnet's block) under its height in the
    /// same transaction, and return its root. Refused unless it is still the next height.
    pub fn write(&self, staged: Staged, record: Option<BlockRecord<'_>>) -> Result<[u8; 32]> {
        let Staged {
            height,
            root,
            batch,
            stale,
            changes,
        } = staged;
        let expected = self.latest()?.map_or(0, |(h, _)| h + 1);
        if height != expected {
            return Err(NodeError::UnknownHeight {
                height,
                latest: expected.saturating_sub(1),
            });
        }
        let tx = self.db.begin_write()?;
        {
            let mut nodes = tx.open_table(NODES)?;
            for (key, node) in batch.nodes() {
                let k = borsh::to_vec(key).map_err(tree_err)?;
                let v = borsh::to_vec(node).map_err(tree_err)?;
                nodes.insert(k.as_slice(), v.as_slice())?;
            }
            let mut stale_nodes = tx.open_table(STALE_NODES)?;
            for s in &stale {
                let mut k = s.stale_since_version.to_be_bytes().to_vec();
                k.extend(borsh::to_vec(&s.node_key).map_err(tree_err)?);
                stale_nodes.insert(k.as_slice(), ())?;
            }
            let mut values = tx.open_table(VALUES)?;
            let mut stale_values = tx.open_table(STALE_VALUES)?;
            for (k, _) in &changes {
                // The value this write supersedes, if any, is stale from this height on.
                let hash = KeyHash::with::<Sha256>(k);
                let (start, end) = (value_key(&hash, 0), value_key(&hash, height));
                let previous = values
                    .range(start.as_slice()..end.as_slice())?
                    .next_back()
                    .transpose()?
                    .map(|(k, _)| k.value().to_vec());
                if let Some(previous) = previous {
                    let mut s = height.to_be_bytes().to_vec();
                    s.extend_from_slice(&previous);
                    stale_values.insert(s.as_slice(), ())?;
                }
            }
            for ((version, key_hash), value) in batch.values() {
                let mut stored = Vec::with_capacity(1 + value.as_ref().map_or(0, Vec::len));
                match value {
                    Some(v) => {
                        stored.push(1);
                        stored.extend_from_slice(v);
                    }
                    None => stored.push(0),
                }
                values.insert(value_key(key_hash, *version).as_slice(), stored.as_slice())?;
            }
            let mut preimages = tx.open_table(PREIMAGES)?;
            for (k, _) in &changes {
                preimages.insert(KeyHash::with::<Sha256>(k).0.as_slice(), k.as_slice())?;
            }
            let oldest = self.retention.oldest(height);
            if let Some(record) = record {
                let mut blocks = tx.open_table(BLOCKS)?;
                let mut txs = tx.open_table(TXS)?;
                let mut block_txs = tx.open_table(BLOCK_TXS)?;
                blocks.insert(height, record.bytes)?;
                for (i, hash) in record.txs.iter().enumerate() {
                    let mut at = height.to_be_bytes().to_vec();
                    at.extend_from_slice(&u32::try_from(i).unwrap_or(u32::MAX).to_be_bytes());
                    txs.insert(hash.as_slice(), at.as_slice())?;
                }
                if !record.txs.is_empty() {
                    block_txs.insert(height, record.txs.concat().as_slice())?;
                }
                prune_blocks(&mut blocks, &mut txs, &mut block_txs, oldest)?;
            }
            prune(&mut stale_nodes, &mut nodes, oldest)?;
            prune(&mut stale_values, &mut values, oldest)?;
            let mut meta = tx.open_table(META)?;
            meta.insert("height", height.to_be_bytes().as_slice())?;
            meta.insert("app_hash", root.as_slice())?;
            meta.insert("oldest", oldest.to_be_bytes().as_slice())?;
        }
        tx.commit()?;
        Ok(root)
    }

    /// How many entries its tables hold.
    pub fn stats(&self) -> Result<StoreStats> {
        // redb counts pages in a write transaction only; this one writes nothing.
        let write = self.db.begin_write()?;
        let pages = write.stats()?;
        write.abort()?;
        let tx = self.db.begin_read()?;
        Ok(StoreStats {
            nodes: tx.open_table(NODES)?.len()?,
            values: tx.open_table(VALUES)?.len()?,
            stale: tx.open_table(STALE_NODES)?.len()? + tx.open_table(STALE_VALUES)?.len()?,
            blocks: tx.open_table(BLOCKS)?.len()?,
            live_bytes: pages.stored_bytes(),
            allocated_bytes: pages.allocated_pages() * pages.page_size() as u64,
        })
    }

    /// The block record at `height`.
    pub fn block_record(&self, height: u64) -> Result<Option<Vec<u8>>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BLOCKS)?;
        Ok(table.get(height)?.map(|v| v.value().to_vec()))
    }

    /// The newest block record and its height.
    pub fn latest_block_record(&self) -> Result<Option<(u64, Vec<u8>)>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BLOCKS)?;
        Ok(table.last()?.map(|(k, v)| (k.value(), v.value().to_vec())))
    }

    /// Where the transaction with SHA-256 `hash` is: its block's height and its index there.
    pub fn tx_location(&self, hash: &[u8; 32]) -> Result<Option<(u64, u32)>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(TXS)?;
        let Some(v) = table.get(hash.as_slice())? else {
            return Ok(None);
        };
        let v = v.value();
        let (h, i) = (v.get(..8), v.get(8..12));
        match (h, i) {
            (Some(h), Some(i)) => Ok(Some((
                u64::from_be_bytes(h.try_into().map_err(|_| self.corrupt("tx index"))?),
                u32::from_be_bytes(i.try_into().map_err(|_| self.corrupt("tx index"))?),
            ))),
            _ => Err(self.corrupt("tx index")),
        }
    }

    /// The value of `key` at `height` (committed), without a proof.
    pub fn get(&self, key: &[u8], height: u64) -> Result<Option<Vec<u8>>> {
        self.get_value_option(height, KeyHash::with::<Sha256>(key))
            .map_err(tree_err)
    }

    /// The value of `key` at `height` with its ICS23 proof against that height's root.
    pub fn get_proven(&self, key: &[u8], height: u64) -> Result<ProvenValue> {
        let latest = self.latest()?.map_or(0, |(h, _)| h);
        if self.latest()?.is_none() || height > latest {
            return Err(NodeError::UnknownHeight { height, latest });
        }
        let oldest = self.oldest()?;
        if height < oldest {
            return Err(NodeError::Pruned { height, oldest });
        }
        let tree = JellyfishMerkleTree::<_, Sha256>::new(self);
        let (value, proof) = tree
            .get_with_ics23_proof(key.to_vec(), height)
            .map_err(tree_err)?;
        let root = tree.get_root_hash(height).map_err(tree_err)?;
        Ok(ProvenValue {
            value,
            proof,
            height,
            root: root.0,
        })
    }

    /// The root (app hash) at `height`.
    pub fn root(&self, height: u64) -> Result<[u8; 32]> {
        JellyfishMerkleTree::<_, Sha256>::new(self)
            .get_root_hash(height)
            .map(|r| r.0)
            .map_err(tree_err)
    }
}

/// Delete the block records below `oldest`, except block 1 (every `/status` names it as the
/// earliest, and a wallet anchors on it), and their transactions' index entries. Under
/// [`Retention::Keep`] the devnet's block history then stays within the state's window; a
/// write removes the one block that left it.
fn prune_blocks(
    blocks: &mut redb::Table<'_, u64, &[u8]>,
    txs: &mut redb::Table<'_, &[u8], &[u8]>,
    block_txs: &mut redb::Table<'_, u64, &[u8]>,
    oldest: u64,
) -> Result<()> {
    if oldest <= 2 {
        return Ok(());
    }
    let gone: Vec<u64> = blocks
        .range(2..oldest)?
        .map(|e| e.map(|(k, _)| k.value()))
        .collect::<std::result::Result<_, _>>()?;
    for h in gone {
        blocks.remove(h)?;
        let hashes = block_txs.remove(h)?.map(|v| v.value().to_vec());
        for hash in hashes.iter().flat_map(|b| b.chunks_exact(32)) {
            txs.remove(hash)?;
        }
    }
    Ok(())
}

/// Delete every entry of `index` stale since a version at or below `oldest` (an
/// 8-byte big-endian version, then the key in `table`), and those keys from `table`.
fn prune(
    index: &mut redb::Table<'_, &[u8], ()>,
    table: &mut redb::Table<'_, &[u8], &[u8]>,
    oldest: u64,
) -> Result<()> {
    if oldest == 0 {
        return Ok(());
    }
    // Every key whose 8-byte version prefix is at most `oldest` sorts below `oldest + 1`.
    let next = (oldest + 1).to_be_bytes();
    let mut done = Vec::new();
    for entry in index.range(..next.as_slice())? {
        let (k, _) = entry?;
        done.push(k.value().to_vec());
    }
    for k in &done {
        table.remove(&k[8..])?;
        index.remove(k.as_slice())?;
    }
    Ok(())
}

impl TreeReader for Store {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow_compat::Result<Option<Node>> {
        let tx = self.db.begin_read().map_err(anyhow_compat::wrap)?;
        let nodes = tx.open_table(NODES).map_err(anyhow_compat::wrap)?;
        let key = borsh::to_vec(node_key).map_err(anyhow_compat::wrap)?;
        match nodes.get(key.as_slice()).map_err(anyhow_compat::wrap)? {
            Some(v) => Ok(Some(
                borsh::from_slice(v.value()).map_err(anyhow_compat::wrap)?,
            )),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow_compat::Result<Option<OwnedValue>> {
        let tx = self.db.begin_read().map_err(anyhow_compat::wrap)?;
        let values = tx.open_table(VALUES).map_err(anyhow_compat::wrap)?;
        let start = value_key(&key_hash, 0);
        let end = value_key(&key_hash, max_version);
        let last = values
            .range(start.as_slice()..=end.as_slice())
            .map_err(anyhow_compat::wrap)?
            .next_back();
        match last {
            None => Ok(None),
            Some(entry) => {
                let (_, v) = entry.map_err(anyhow_compat::wrap)?;
                match v.value() {
                    [1, rest @ ..] => Ok(Some(rest.to_vec())),
                    _ => Ok(None),
                }
            }
        }
    }

    /// Used only by jmt's state-sync restore, which the node does not offer; a full scan.
    fn get_rightmost_leaf(&self) -> anyhow_compat::Result<Option<(NodeKey, LeafNode)>> {
        let tx = self.db.begin_read().map_err(anyhow_compat::wrap)?;
        let nodes = tx.open_table(NODES).map_err(anyhow_compat::wrap)?;
        let mut best: Option<(NodeKey, LeafNode)> = None;
        for entry in nodes.iter().map_err(anyhow_compat::wrap)? {
            let (k, v) = entry.map_err(anyhow_compat::wrap)?;
            if let Node::Leaf(leaf) =
                borsh::from_slice::<Node>(v.value()).map_err(anyhow_compat::wrap)?
            {
                let key: NodeKey = borsh::from_slice(k.value()).map_err(anyhow_compat::wrap)?;
                if best
                    .as_ref()
                    .is_none_or(|(_, b)| leaf.key_hash() > b.key_hash())
                {
                    best = Some((key, leaf));
                }
            }
        }
        Ok(best)
    }
}

impl HasPreimage for Store {
    fn preimage(&self, key_hash: KeyHash) -> anyhow_compat::Result<Option<Vec<u8>>> {
        let tx = self.db.begin_read().map_err(anyhow_compat::wrap)?;
        let table = tx.open_table(PREIMAGES).map_err(anyhow_compat::wrap)?;
        Ok(table
            .get(key_hash.0.as_slice())
            .map_err(anyhow_compat::wrap)?
            .map(|v| v.value().to_vec()))
    }
}

/// jmt's reader trait speaks `anyhow::Result`.
mod anyhow_compat {
    pub(super) type Result<T> = std::result::Result<T, anyhow::Error>;
    pub(super) fn wrap(e: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("{e}")
    }
}
