//! The network: a city node's CometBFT JSON-RPC behind the [`ChainNode`] trait, implemented
//! with `reqwest` ([`HttpNode`]). Nothing here decides anything: answers are decoded into
//! `tendermint` types and handed to the pure verification code, which judges them.
//!
//! Every answer is bounded: a response larger than [`MAX_RESPONSE_BYTES`] is refused before
//! it is parsed, and every request has a timeout.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tendermint::{evidence::Evidence, validator};
use tendermint_light_client_verifier::types::{LightBlock, PeerId};
use tendermint_rpc::endpoint;

use crate::budget::Budget;
use crate::error::FetchError;
use crate::sync::Provider;

/// Largest response accepted (a 100-validator commit is about 30 KiB).
pub const MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;
/// Most validators read for one height.
pub const MAX_VALIDATORS: usize = 10_000;
const PER_PAGE: usize = 100;

/// A state read as a node answered it, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRead {
    /// The key the node says it answered for.
    pub key: Vec<u8>,
    /// The value (`None` when the node says the key is absent).
    pub value: Option<Vec<u8>>,
    /// The state version (block height) the node says it read.
    pub height: u64,
    /// Proof operations: (type, key, data).
    pub ops: Vec<(String, Vec<u8>, Vec<u8>)>,
}

/// What a node said about a broadcast transaction (CheckTx's verdict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// ABCI code (0 accepted).
    pub code: u32,
    /// The node's log.
    pub log: String,
    /// Transaction hash.
    pub hash: [u8; 32],
}

/// A city node: light blocks, proven state reads, transaction and evidence submission.
pub trait ChainNode: Provider + Send + Sync {
    /// The node's chain id and genesis validators.
    fn genesis(&self) -> Result<(String, Vec<validator::Info>), FetchError>;
    /// Read `key` from the state after block `height`, with a proof.
    fn query(&self, key: &[u8], height: u64) -> Result<RawRead, FetchError>;
    /// Submit a transaction (broadcast_tx_sync).
    fn broadcast_tx(&self, tx: &[u8]) -> Result<Submitted, FetchError>;
    /// Submit evidence of misbehaviour; the node's answer (an evidence hash) as text.
    fn submit_evidence(&self, evidence: &Evidence) -> Result<String, FetchError>;
    /// The height of the newest block the node says it has (unverified: a claim, used only
    /// to notice a primary that lags behind its witnesses).
    fn latest_height(&self) -> Result<u64, FetchError> {
        self.light_block(None).map(|b| b.height().value())
    }
}

/// Makes the [`ChainNode`] for a node's URL: over HTTP in the wallet ([`HttpConnect`]), over
/// an in-memory chain in tests.
pub trait Connect: Send + Sync + std::fmt::Debug {
    /// The node at `url`: each request ends within `timeout`, and within the operation's
    /// `budget`.
    fn connect(
        &self,
        url: &str,
        timeout: Duration,
        budget: &Arc<Budget>,
    ) -> Result<Box<dyn ChainNode>, crate::Error>;
}

/// Connects over CometBFT JSON-RPC ([`HttpNode`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpConnect;

impl Connect for HttpConnect {
    fn connect(
        &self,
        url: &str,
        timeout: Duration,
        budget: &Arc<Budget>,
    ) -> Result<Box<dyn ChainNode>, crate::Error> {
        Ok(Box::new(
            HttpNode::new(url, timeout)?.with_budget(budget.clone()),
        ))
    }
}

/// A node reached over HTTP(S) JSON-RPC.
#[derive(Debug, Clone)]
pub struct HttpNode {
    url: String,
    client: reqwest::blocking::Client,
    timeout: Duration,
    budget: Arc<Budget>,
}

/// How often a waiting request looks at its deadline and the budget's cancel.
const TICK: Duration = Duration::from_millis(100);

/// One request on its own thread: the answer's bytes, at most [`MAX_RESPONSE_BYTES`], read
/// until `stop` is set (the caller gave up on it).
fn fetch(
    client: &reqwest::blocking::Client,
    url: &str,
    body: String,
    stop: &AtomicBool,
) -> Result<Vec<u8>, FetchError> {
    let mut resp = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .map_err(classify)?;
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES)
    {
        return Err(FetchError::TooLarge);
    }
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if stop.load(Ordering::SeqCst) {
            return Err(FetchError::Timeout);
        }
        let n = resp.read(&mut chunk).map_err(|e| {
            if e.to_string().contains("timed out") {
                FetchError::Timeout
            } else {
                FetchError::Malformed
            }
        })?;
        if n == 0 {
            return Ok(bytes);
        }
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.len() as u64 > MAX_RESPONSE_BYTES {
            return Err(FetchError::TooLarge);
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

impl HttpNode {
    /// A node at `url` (`http://` or `https://`), with `timeout` per request.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, crate::Error> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| crate::Error::InvalidInput(format!("{url:?} is not a URL")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(crate::Error::InvalidInput(format!(
                "{url:?} is not an http:// or https:// URL"
            )));
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| crate::Error::InvalidInput(format!("HTTP client: {e}")))?;
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            client,
            timeout,
            budget: Arc::new(Budget::new()),
        })
    }

    /// The same node, spending from `budget`.
    pub fn with_budget(mut self, budget: Arc<Budget>) -> Self {
        self.budget = budget;
        self
    }

    /// Send one request and wait for the whole answer until its deadline (the request
    /// timeout, or the budget's end if sooner): a node that trickles bytes is given up at the
    /// deadline, not kept alive by each byte, and a cancelled budget ends the wait at once.
    /// The request runs on its own thread, which stops reading when it is given up.
    fn exchange(&self, body: String) -> Result<Vec<u8>, FetchError> {
        if self.budget.is_cancelled() {
            return Err(FetchError::Cancelled);
        }
        if self.budget.spent() {
            return Err(FetchError::OutOfTime);
        }
        let own = Instant::now() + self.timeout;
        let deadline = self.budget.clamp(own);
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::sync_channel(1);
        let (client, url, flag) = (self.client.clone(), self.url.clone(), stop.clone());
        std::thread::spawn(move || {
            let _ = tx.send(fetch(&client, &url, body, &flag));
        });
        let give_up = |e| {
            stop.store(true, Ordering::SeqCst);
            Err(e)
        };
        loop {
            match rx.recv_timeout(TICK) {
                Ok(answer) => return answer,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(FetchError::Malformed),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if self.budget.is_cancelled() {
                return give_up(FetchError::Cancelled);
            }
            if Instant::now() >= deadline {
                return give_up(if deadline < own {
                    FetchError::OutOfTime
                } else {
                    FetchError::Timeout
                });
            }
        }
    }

    /// Call `method` and return its `result`.
    fn call(&self, method: &str, params: Value) -> Result<Value, FetchError> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        answer::result(&self.exchange(body.to_string())?)
    }

    fn validators(&self, height: u64) -> Result<Vec<validator::Info>, FetchError> {
        let mut all = Vec::new();
        for page in 1.. {
            let params = json!({ "height": height.to_string(), "page": page.to_string(),
                                 "per_page": PER_PAGE.to_string() });
            let (total, validators) = answer::validators(self.call("validators", params)?, height)?;
            let got = validators.len();
            all.extend(validators);
            if all.len() >= total || got == 0 {
                break;
            }
            if page * PER_PAGE >= total + PER_PAGE {
                return Err(FetchError::Malformed);
            }
        }
        Ok(all)
    }
}

fn classify(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else if e.is_connect() {
        FetchError::Unreachable
    } else {
        FetchError::Malformed
    }
}

fn peer() -> PeerId {
    // The verifier's block type names the peer it came from; the wallet does not use it.
    PeerId::new([0; 20])
}

impl Provider for HttpNode {
    fn light_block(&self, height: Option<u64>) -> Result<LightBlock, FetchError> {
        let params = match height {
            Some(h) => json!({ "height": h.to_string() }),
            None => json!({}),
        };
        let signed = answer::commit(self.call("commit", params)?, height)?;
        let h = signed.header.height.value();
        let set = |infos| crate::verify::validator_set(infos).map_err(|_| FetchError::Malformed);
        let validators = set(self.validators(h)?)?;
        let next = set(self.validators(h + 1)?)?;
        Ok(LightBlock::new(signed, validators, next, peer()))
    }

    fn url(&self) -> &str {
        &self.url
    }
}

impl ChainNode for HttpNode {
    fn latest_height(&self) -> Result<u64, FetchError> {
        let status = self.call("status", json!({}))?;
        status["sync_info"]["latest_block_height"]
            .as_str()
            .and_then(|h| h.parse().ok())
            .ok_or(FetchError::Malformed)
    }

    fn genesis(&self) -> Result<(String, Vec<validator::Info>), FetchError> {
        answer::genesis(self.call("genesis", json!({}))?)
    }

    fn query(&self, key: &[u8], height: u64) -> Result<RawRead, FetchError> {
        answer::abci_query(self.call(
            "abci_query",
            json!({ "path": citywallet_protocol::QUERY_PATH_KEY, "data": hex::encode(key),
                    "height": height.to_string(), "prove": true }),
        )?)
    }

    fn broadcast_tx(&self, tx: &[u8]) -> Result<Submitted, FetchError> {
        answer::broadcast_tx_sync(self.call(
            "broadcast_tx_sync",
            json!({ "tx": base64::engine::general_purpose::STANDARD.encode(tx) }),
        )?)
    }

    fn submit_evidence(&self, evidence: &Evidence) -> Result<String, FetchError> {
        let request = endpoint::evidence::Request::<tendermint_rpc::dialect::v0_38::Dialect>::new(
            evidence.clone(),
        );
        let params = serde_json::to_value(&request).map_err(|_| FetchError::Malformed)?;
        let r: endpoint::evidence::Response =
            answer::decode(self.call("broadcast_evidence", params)?)?;
        Ok(r.hash.to_string())
    }
}

/// The pure decoders of a node's answers, as [`HttpNode`] applies them: bytes in, typed
/// values or [`FetchError::Malformed`] out, never a panic. They decide nothing about trust
/// (the verification code does), and are public so that they can be fuzzed on their own.
pub mod answer {
    use super::{MAX_RESPONSE_BYTES, MAX_VALIDATORS, RawRead, Submitted, short};
    use crate::error::FetchError;
    use serde_json::Value;
    use tendermint::{block::signed_header::SignedHeader, validator};
    use tendermint_rpc::endpoint;

    /// The `result` of a JSON-RPC answer; an `error` member becomes [`FetchError::Rpc`]
    /// (or [`FetchError::Unsupported`] for "method not found").
    pub fn result(bytes: &[u8]) -> Result<Value, FetchError> {
        if bytes.len() as u64 > MAX_RESPONSE_BYTES {
            return Err(FetchError::TooLarge);
        }
        let mut v: Value = serde_json::from_slice(bytes).map_err(|_| FetchError::Malformed)?;
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
            if code == -32601 {
                return Err(FetchError::Unsupported);
            }
            let message = [err.get("message"), err.get("data")]
                .iter()
                .filter_map(|m| m.and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(": ");
            return Err(FetchError::Rpc {
                code,
                message: short(&message),
            });
        }
        v.get_mut("result")
            .map(Value::take)
            .ok_or(FetchError::Malformed)
    }

    /// A `result` as an endpoint's typed response.
    ///
    /// `tendermint` decodes base64 (keys, signatures, proof bytes, and any hash that is not
    /// hex) with `subtle-encoding` 0.5, which panics on some misplaced `=` padding (found by
    /// the `node_*` fuzz targets: `"NA===="`, a 45-character key ending in `=`). So a string
    /// with a `=` in it must be canonical base64 before the answer is decoded; free text
    /// (`log`, `info`, `codespace`) and the genesis `app_state` are never decoded as bytes and
    /// are not checked.
    pub fn decode<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, FetchError> {
        if !padding_sound(&v) {
            return Err(FetchError::Malformed);
        }
        serde_json::from_value(v).map_err(|_| FetchError::Malformed)
    }

    /// Every string under `v` either has no `=` or is canonical standard base64.
    fn padding_sound(v: &Value) -> bool {
        use base64::Engine as _;
        match v {
            Value::String(s) => {
                !s.contains('=') || base64::engine::general_purpose::STANDARD.decode(s).is_ok()
            }
            Value::Array(items) => items.iter().all(padding_sound),
            Value::Object(fields) => fields.iter().all(|(k, v)| {
                matches!(k.as_str(), "log" | "info" | "codespace" | "app_state") || padding_sound(v)
            }),
            _ => true,
        }
    }

    /// A `genesis` answer: the chain id and the first validators. CometBFT leaves
    /// `app_state` out when it is empty; it is not needed here.
    pub fn genesis(mut result: Value) -> Result<(String, Vec<validator::Info>), FetchError> {
        if let Some(g) = result.get_mut("genesis").and_then(Value::as_object_mut) {
            g.entry("app_state").or_insert(Value::Null);
        }
        let g: endpoint::genesis::Response<Value> = decode(result)?;
        Ok((g.genesis.chain_id.to_string(), g.genesis.validators))
    }

    /// A `commit` answer: its signed header, which must be at `want` when a height was asked.
    pub fn commit(result: Value, want: Option<u64>) -> Result<SignedHeader, FetchError> {
        let commit: endpoint::commit::Response = decode(result)?;
        let signed = commit.signed_header;
        if want.is_some_and(|want| want != signed.header.height.value()) {
            return Err(FetchError::Malformed);
        }
        Ok(signed)
    }

    /// One page of a `validators` answer for `height`: the total the node claims (at most
    /// [`MAX_VALIDATORS`]) and the page's validators.
    pub fn validators(
        result: Value,
        height: u64,
    ) -> Result<(usize, Vec<validator::Info>), FetchError> {
        let r: endpoint::validators::Response = decode(result)?;
        let total = usize::try_from(r.total).map_err(|_| FetchError::Malformed)?;
        if total > MAX_VALIDATORS
            || r.validators.len() > MAX_VALIDATORS
            || r.block_height.value() != height
        {
            return Err(FetchError::Malformed);
        }
        Ok((total, r.validators))
    }

    /// An `abci_query` answer: the read as the node gave it, its proof not yet checked; a
    /// non-zero code is the node's refusal.
    pub fn abci_query(result: Value) -> Result<RawRead, FetchError> {
        let r: endpoint::abci_query::Response = decode(result)?;
        let q = r.response;
        if q.code.value() == citywallet_protocol::QUERY_HEIGHT_PRUNED {
            // The node no longer keeps that state: another node may (the client moves on
            // from a primary that lacks what it asks for).
            return Err(FetchError::Missing(q.height.value()));
        }
        if q.code.is_err() {
            return Err(FetchError::Rpc {
                code: i64::from(q.code.value()),
                message: short(&q.log),
            });
        }
        Ok(RawRead {
            key: q.key,
            value: (!q.value.is_empty()).then_some(q.value),
            height: q.height.value(),
            ops: q
                .proof
                .map(|p| {
                    p.ops
                        .into_iter()
                        .map(|o| (o.field_type, o.key, o.data))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// A `broadcast_tx_sync` answer: the node's claim about CheckTx, and the hash it gives.
    pub fn broadcast_tx_sync(result: Value) -> Result<Submitted, FetchError> {
        let r: endpoint::broadcast::tx_sync::Response = decode(result)?;
        let hash: [u8; 32] = r
            .hash
            .as_bytes()
            .try_into()
            .map_err(|_| FetchError::Malformed)?;
        Ok(Submitted {
            code: r.code.value(),
            log: short(&r.log),
            hash,
        })
    }
}
