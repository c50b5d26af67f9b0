use std::path::PathBuf;

/// Failures of the node's own machinery. Refused transactions are not errors: they are
/// results with a [`citywallet_protocol::Code`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The state database failed.
    #[error("state database error: {0}")]
    Db(String),
    /// The Merkle tree failed.
    #[error("state tree error: {0}")]
    Tree(String),
    /// The state on disk is not what this node wrote.
    #[error("state database at {path} is damaged: {what}")]
    Corrupt {
        /// Database path.
        path: PathBuf,
        /// What is wrong.
        what: &'static str,
    },
    /// A query asked for a height the node does not have.
    #[error("no state at height {height} (latest is {latest})")]
    UnknownHeight {
        /// Asked for.
        height: u64,
        /// Latest committed height.
        latest: u64,
    },
    /// A query asked for a height whose state this node has pruned.
    #[error("the state at height {height} is pruned (the oldest kept is {oldest})")]
    Pruned {
        /// Asked for.
        height: u64,
        /// The oldest height kept.
        oldest: u64,
    },
    /// The genesis document is not usable.
    #[error("invalid genesis: {0}")]
    Genesis(&'static str),
    /// A local CometBFT network could not be set up or driven.
    #[error("localnet: {0}")]
    Localnet(String),
    /// CometBFT asked for something out of the ABCI order (Commit with no block finalized).
    #[error("ABCI call out of order: {0}")]
    OutOfOrder(&'static str),
}

macro_rules! from_db {
    ($($t:ty),*) => {$(
        impl From<$t> for NodeError {
            fn from(e: $t) -> Self {
                Self::Db(e.to_string())
            }
        }
    )*};
}
from_db!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// `Result` with [`NodeError`].
pub type Result<T, E = NodeError> = std::result::Result<T, E>;
