//! The application behind CometBFT's ABCI 0.38 socket protocol.
//!
//! FinalizeBlock executes the block and computes its app hash without writing anything;
//! Commit writes it durably. A node killed between the two restarts with the previous
//! height, and CometBFT replays the block (ABCI 2.0). InitChain, sent again while Info says
//! height 0, is answered with the stored genesis root. A storage error is answered with an
//! ABCI exception: CometBFT stops cleanly, and this process keeps serving for its restart.
//!
//! Queries: path `/key` with the state key as `data`; with `prove`, `proof_ops` holds one op
//! of type `ics23:jmt` whose data is the protobuf `ics23.CommitmentProof` (membership, or
//! non-membership when `value` is empty), against the app hash of block `height`.
//!
//! The socket server is our own ([`serve`]): `tendermint-abci`'s server has no way to answer
//! with an exception (its handlers return responses only), so a failed Commit could only
//! drop the connection by a panic. Its client still drives the tests.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

use citywallet_protocol::{Code, QUERY_PATH_KEY};
use prost_ics23::Message;
use prost_tm::Message as _;
use tendermint_proto::v0_38::abci::{
    ExecTxResult, Request, RequestCheckTx, RequestFinalizeBlock, RequestInfo, RequestInitChain,
    RequestPrepareProposal, RequestQuery, Response, ResponseCheckTx, ResponseCommit, ResponseEcho,
    ResponseException, ResponseFinalizeBlock, ResponseFlush, ResponseInfo, ResponseInitChain,
    ResponsePrepareProposal, ResponseProcessProposal, ResponseQuery,
    ValidatorUpdate as AbciValidatorUpdate, request, response, response_process_proposal,
};
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps, PublicKey, public_key};

use crate::app::{App, Genesis, ValidatorUpdate};
use crate::{NodeError, Result};

/// The ICS23 proof op type in query responses.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

/// The largest ABCI message read (a FinalizeBlock carries the block's transactions;
/// CometBFT's default block is at most 21 MiB).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// The city application as an ABCI application. Clones share one [`App`].
#[derive(Clone, Debug)]
pub struct CityAbci {
    app: Arc<Mutex<App>>,
    retain_blocks: u64,
}

impl CityAbci {
    /// Serve `app`; CometBFT keeps every block.
    pub fn new(app: App) -> Self {
        Self {
            app: Arc::new(Mutex::new(app)),
            retain_blocks: 0,
        }
    }

    /// Let CometBFT prune its blocks below the newest `n` (0: keep all): each Commit
    /// answers `retain_height` = height + 1 − n, so the block store stays within a window
    /// as the state does. A node joining later can no longer block-sync from genesis off
    /// such nodes, and a wallet cannot anchor on block 1 there: the city's archive nodes
    /// keep everything.
    #[must_use]
    pub fn retain_blocks(mut self, n: u64) -> Self {
        self.retain_blocks = n;
        self
    }

    fn lock(&self) -> MutexGuard<'_, App> {
        // A panic while holding the lock cannot leave a half-written block: blocks are
        // written in one database transaction. Keep serving.
        self.app
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Answer one request; an error is for an exception response.
    pub fn handle(&self, request: Request) -> Result<Response> {
        use request::Value as Q;
        use response::Value as A;
        let value = match request.value {
            None => return Err(NodeError::OutOfOrder("an empty ABCI request")),
            Some(Q::Echo(r)) => A::Echo(ResponseEcho { message: r.message }),
            Some(Q::Flush(_)) => A::Flush(ResponseFlush {}),
            Some(Q::Info(r)) => A::Info(self.info(r)?),
            Some(Q::InitChain(r)) => A::InitChain(self.init_chain(r)?),
            Some(Q::Query(r)) => A::Query(self.query(r)),
            Some(Q::CheckTx(r)) => A::CheckTx(self.check_tx(r)),
            Some(Q::PrepareProposal(r)) => A::PrepareProposal(prepare_proposal(r)),
            Some(Q::ProcessProposal(_)) => A::ProcessProposal(ResponseProcessProposal {
                status: response_process_proposal::ProposalStatus::Accept.into(),
            }),
            Some(Q::FinalizeBlock(r)) => A::FinalizeBlock(self.finalize_block(r)?),
            Some(Q::Commit(_)) => A::Commit(self.commit()?),
            Some(Q::ExtendVote(_)) => A::ExtendVote(Default::default()),
            Some(Q::VerifyVoteExtension(_)) => A::VerifyVoteExtension(
                tendermint_proto::v0_38::abci::ResponseVerifyVoteExtension {
                    status: tendermint_proto::v0_38::abci::response_verify_vote_extension::VerifyStatus::Accept
                        .into(),
                },
            ),
            // State sync is not offered: no snapshots.
            Some(Q::ListSnapshots(_)) => A::ListSnapshots(Default::default()),
            Some(Q::OfferSnapshot(_)) => A::OfferSnapshot(Default::default()),
            Some(Q::LoadSnapshotChunk(_)) => A::LoadSnapshotChunk(Default::default()),
            Some(Q::ApplySnapshotChunk(_)) => A::ApplySnapshotChunk(Default::default()),
        };
        Ok(Response { value: Some(value) })
    }

    fn info(&self, _request: RequestInfo) -> Result<ResponseInfo> {
        let latest = self.lock().latest()?;
        Ok(ResponseInfo {
            data: "citywallet-node".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: 1,
            last_block_height: latest.map_or(0, |(h, _)| h as i64),
            last_block_app_hash: latest.map(|(_, r)| r.to_vec()).unwrap_or_default().into(),
        })
    }

    fn init_chain(&self, request: RequestInitChain) -> Result<ResponseInitChain> {
        let genesis: Genesis = serde_json::from_slice(&request.app_state_bytes)
            .map_err(|_| NodeError::Genesis("app_state is not a CityWallet genesis"))?;
        if genesis.chain_id != request.chain_id {
            return Err(NodeError::Genesis(
                "app_state's chain id is not the genesis document's",
            ));
        }
        let root = self.lock().init_chain(&genesis)?;
        Ok(ResponseInitChain {
            app_hash: root.to_vec().into(),
            ..Default::default()
        })
    }

    fn check_tx(&self, request: RequestCheckTx) -> ResponseCheckTx {
        match self.lock().check_tx(&request.tx, now()) {
            Ok(r) => ResponseCheckTx {
                code: r.code.value(),
                log: r.log,
                ..Default::default()
            },
            Err(e) => ResponseCheckTx {
                code: Code::Malformed.value(),
                log: format!("internal error: {e}"),
                codespace: "citywallet".into(),
                ..Default::default()
            },
        }
    }

    fn finalize_block(&self, request: RequestFinalizeBlock) -> Result<ResponseFinalizeBlock> {
        let mut app = self.lock();
        app.discard_block();
        let height = u64::try_from(request.height)
            .map_err(|_| NodeError::OutOfOrder("a negative block height"))?;
        let time = request
            .time
            .map(|t| u64::try_from(t.seconds).unwrap_or(0))
            .unwrap_or(0);
        // An error leaves a half-executed block behind; it is an exception, CometBFT
        // stops, and the next FinalizeBlock (after its restart) discards it first.
        let mut tx_results = Vec::with_capacity(request.txs.len());
        for tx in &request.txs {
            let r = app.deliver_tx(tx, height, time)?;
            tx_results.push(ExecTxResult {
                code: r.code.value(),
                log: r.log,
                ..Default::default()
            });
        }
        let updates = app.finalize(height)?;
        let root = app
            .finalized_root()
            .ok_or(NodeError::OutOfOrder("no block finalized"))?;
        Ok(ResponseFinalizeBlock {
            tx_results,
            validator_updates: updates.iter().filter_map(abci_validator).collect(),
            app_hash: root.to_vec().into(),
            ..Default::default()
        })
    }

    fn commit(&self) -> Result<ResponseCommit> {
        let mut app = self.lock();
        app.persist(None)?;
        let height = app.latest()?.map_or(0, |(h, _)| h);
        let retain = match self.retain_blocks {
            0 => 0,
            n => (height + 1).saturating_sub(n),
        };
        Ok(ResponseCommit {
            retain_height: i64::try_from(retain).unwrap_or(0),
        })
    }

    fn query(&self, request: RequestQuery) -> ResponseQuery {
        if request.path != QUERY_PATH_KEY {
            return ResponseQuery {
                code: Code::Malformed.value(),
                log: format!(
                    "unknown query path {:?}; use {QUERY_PATH_KEY}",
                    request.path
                ),
                ..Default::default()
            };
        }
        let height = u64::try_from(request.height).ok().filter(|h| *h > 0);
        match self.lock().query(&request.data, height) {
            Ok(p) => ResponseQuery {
                code: 0,
                log: if p.value.is_some() {
                    "exists"
                } else {
                    "does not exist"
                }
                .into(),
                key: request.data.clone(),
                value: p.value.unwrap_or_default().into(),
                proof_ops: request.prove.then(|| ProofOps {
                    ops: vec![ProofOp {
                        r#type: PROOF_OP_TYPE.into(),
                        key: request.data.to_vec(),
                        data: p.proof.encode_to_vec(),
                    }],
                }),
                height: p.height as i64,
                ..Default::default()
            },
            Err(e @ NodeError::Pruned { height, .. }) => ResponseQuery {
                code: citywallet_protocol::QUERY_HEIGHT_PRUNED,
                log: e.to_string(),
                height: height as i64,
                ..Default::default()
            },
            Err(e) => ResponseQuery {
                code: Code::UnknownTarget.value(),
                log: e.to_string(),
                ..Default::default()
            },
        }
    }
}

/// The proposer's block: the transactions CometBFT offers, up to its byte limit.
fn prepare_proposal(request: RequestPrepareProposal) -> ResponsePrepareProposal {
    let limit = usize::try_from(request.max_tx_bytes).unwrap_or(0);
    let mut used = 0usize;
    let txs = request
        .txs
        .into_iter()
        .take_while(|tx| {
            used = used.saturating_add(tx.len());
            used <= limit
        })
        .collect();
    ResponsePrepareProposal { txs }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn abci_validator(v: &ValidatorUpdate) -> Option<AbciValidatorUpdate> {
    Some(AbciValidatorUpdate {
        pub_key: Some(PublicKey {
            sum: Some(public_key::Sum::Ed25519(hex::decode(&v.public_key).ok()?)),
        }),
        power: i64::try_from(v.power).ok()?,
    })
}

/// Serve `abci` on `listener`: one thread per connection (CometBFT opens four: consensus,
/// mempool, query, snapshot). Returns only when accepting fails.
pub fn serve(listener: TcpListener, abci: CityAbci) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept()?;
        let abci = abci.clone();
        std::thread::spawn(move || {
            if let Err(e) = connection(stream, &abci) {
                eprintln!("citywallet-node: ABCI connection from {peer} ended: {e}");
            }
        });
    }
}

/// Read length-delimited requests and answer each; an application error is answered with
/// an exception, after which CometBFT closes the connection and stops.
fn connection(mut stream: TcpStream, abci: &CityAbci) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        while let Some((request, used)) = next_request(&buf)? {
            buf.drain(..used);
            let (response, failed) = match abci.handle(request) {
                Ok(r) => (r, false),
                Err(e) => {
                    eprintln!("citywallet-node: {e}");
                    let exception = ResponseException {
                        error: e.to_string(),
                    };
                    (
                        Response {
                            value: Some(response::Value::Exception(exception)),
                        },
                        true,
                    )
                }
            };
            stream.write_all(&response.encode_length_delimited_to_vec())?;
            if failed {
                return Ok(());
            }
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The first whole request in `buf` and the bytes it takes, or `None` for more bytes.
fn next_request(buf: &[u8]) -> std::io::Result<Option<(Request, usize)>> {
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    if buf.is_empty() {
        return Ok(None);
    }
    let mut cursor = buf;
    let len = match prost_tm::decode_length_delimiter(&mut cursor) {
        Ok(len) => len,
        // A varint is at most 10 bytes: fewer means it is not all here yet.
        Err(_) if buf.len() < 10 && buf.iter().all(|b| b & 0x80 != 0) => return Ok(None),
        Err(e) => return Err(bad(format!("bad length prefix: {e}"))),
    };
    if len > MAX_MESSAGE_BYTES {
        return Err(bad(format!("a {len}-byte request is past the limit")));
    }
    let prefix = buf.len() - cursor.len();
    if cursor.len() < len {
        return Ok(None);
    }
    let request = Request::decode(&cursor[..len]).map_err(|e| bad(e.to_string()))?;
    Ok(Some((request, prefix + len)))
}
