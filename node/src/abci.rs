//! The application behind CometBFT's ABCI 0.38 socket protocol (`tendermint-abci`).
//!
//! FinalizeBlock executes the block and writes it durably (the tree version and the app hash
//! it returns are the same write); Commit has nothing left to do. After a crash, Info reports
//! the last written height and CometBFT replays from there.
//!
//! Queries: path `/key` with the state key as `data`; with `prove`, `proof_ops` holds one op
//! of type `ics23:jmt` whose data is the protobuf `ics23.CommitmentProof` (membership, or
//! non-membership when `value` is empty), against the app hash of block `height`.

use std::sync::{Arc, Mutex, MutexGuard};

use citywallet_protocol::{Code, QUERY_PATH_KEY};
use prost_ics23::Message;
use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::{
    ExecTxResult, RequestCheckTx, RequestFinalizeBlock, RequestInfo, RequestInitChain,
    RequestQuery, ResponseCheckTx, ResponseCommit, ResponseFinalizeBlock, ResponseInfo,
    ResponseInitChain, ResponseQuery, ValidatorUpdate as AbciValidatorUpdate,
};
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps, PublicKey, public_key};

use crate::app::{App, Genesis, ValidatorUpdate};

/// The ICS23 proof op type in query responses.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

/// The city application as an ABCI application. Clones share one [`App`].
#[derive(Clone, Debug)]
pub struct CityAbci {
    app: Arc<Mutex<App>>,
}

impl CityAbci {
    /// Serve `app`.
    pub fn new(app: App) -> Self {
        Self {
            app: Arc::new(Mutex::new(app)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, App> {
        // A panic while holding the lock cannot leave a half-applied block: blocks are
        // written in one database transaction. Keep serving.
        self.app
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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

impl Application for CityAbci {
    fn info(&self, _request: RequestInfo) -> ResponseInfo {
        let latest = self.lock().latest().ok().flatten();
        ResponseInfo {
            data: "citywallet-node".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: 1,
            last_block_height: latest.map_or(0, |(h, _)| h as i64),
            last_block_app_hash: latest.map(|(_, r)| r.to_vec()).unwrap_or_default().into(),
        }
    }

    fn init_chain(&self, request: RequestInitChain) -> ResponseInitChain {
        let mut app = self.lock();
        let genesis: Genesis = match serde_json::from_slice(&request.app_state_bytes) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("citywallet-node: app_state is not a CityWallet genesis: {e}");
                return ResponseInitChain::default();
            }
        };
        match app.init_chain(&genesis) {
            Ok(root) => ResponseInitChain {
                app_hash: root.to_vec().into(),
                ..Default::default()
            },
            Err(e) => {
                eprintln!("citywallet-node: init_chain refused: {e}");
                ResponseInitChain::default()
            }
        }
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

    fn finalize_block(&self, request: RequestFinalizeBlock) -> ResponseFinalizeBlock {
        let mut app = self.lock();
        let height = u64::try_from(request.height).unwrap_or(0);
        let time = request
            .time
            .map(|t| u64::try_from(t.seconds).unwrap_or(0))
            .unwrap_or(0);
        let tx_results = request
            .txs
            .iter()
            .map(|tx| match app.deliver_tx(tx, height, time) {
                Ok(r) => ExecTxResult {
                    code: r.code.value(),
                    log: r.log,
                    ..Default::default()
                },
                Err(e) => ExecTxResult {
                    code: Code::Malformed.value(),
                    log: format!("internal error: {e}"),
                    ..Default::default()
                },
            })
            .collect();
        match app.commit(height) {
            Ok((root, updates)) => ResponseFinalizeBlock {
                tx_results,
                validator_updates: updates.iter().filter_map(abci_validator).collect(),
                app_hash: root.to_vec().into(),
                ..Default::default()
            },
            Err(e) => {
                // The block cannot be stored: stop rather than sign off a wrong app hash.
                eprintln!("citywallet-node: cannot commit block {height}: {e}");
                std::process::exit(70);
            }
        }
    }

    fn commit(&self) -> ResponseCommit {
        ResponseCommit { retain_height: 0 }
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
            Err(e) => ResponseQuery {
                code: Code::UnknownTarget.value(),
                log: e.to_string(),
                ..Default::default()
            },
        }
    }
}
