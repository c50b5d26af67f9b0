//! CometBFT's JSON-RPC over the devnet: `status`, `commit`, `validators` (paged), `block`,
//! `abci_query`, `broadcast_tx_sync`, `tx` and `genesis`, as JSON-RPC 2.0 POST to `/` and as
//! GET `/{method}?param=value`. Answers are serialized with `tendermint`/`tendermint-rpc`
//! types, or (status, genesis) shaped after real CometBFT 0.38 responses.
//!
//! Parameter encodings follow CometBFT: heights as numbers or strings (0 or absent: latest),
//! `abci_query.data` hex, `broadcast_tx_sync.tx` and `tx.hash` base64 in POST; in GET, a
//! `0x` prefix means hex and quotes are stripped. Bad input gets a JSON-RPC error, never a
//! crash: -32700 unparseable, -32600 not a request, -32601 unknown method, -32602 bad params.
//!
//! The server holds against clients that misbehave ([`ServeOptions`]): a request's head must
//! arrive within a deadline and its body within another, at most so many connections are
//! served at once (more wait in the listen queue), and a request from a web page is refused:
//! one with an `Origin` header, or whose `Host` is not a name of this node (DNS rebinding,
//! where a page's own host name resolves to 127.0.0.1).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use citywallet_protocol::QUERY_PATH_KEY;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tendermint::block::signed_header::SignedHeader;

use crate::abci::PROOF_OP_TYPE;
use crate::chain::ChainBlock;
use crate::devnet::Devnet;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest page of `validators`.
pub const MAX_PER_PAGE: usize = 100;

/// A JSON-RPC error.
#[derive(Debug)]
struct RpcError {
    code: i64,
    message: &'static str,
    data: String,
}

fn invalid(data: impl Into<String>) -> RpcError {
    RpcError {
        code: -32602,
        message: "Invalid params",
        data: data.into(),
    }
}

fn internal(data: impl std::fmt::Display) -> RpcError {
    RpcError {
        code: -32603,
        message: "Internal error",
        data: data.to_string(),
    }
}

/// How the server bounds its clients.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The request line and headers must arrive within this (an idle kept-alive connection
    /// is closed after it too).
    pub header_timeout: Duration,
    /// The body must arrive within this once the head has.
    pub body_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Host names (besides `localhost` and loopback and the bound addresses) requests may
    /// name in `Host`: the names a city publishes for a node that serves beyond loopback.
    pub allowed_hosts: Vec<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 64,
            allowed_hosts: Vec::new(),
        }
    }
}

/// What the guard in front of every route checks, for one bound address.
#[derive(Debug)]
struct Guard {
    bound: SocketAddr,
    body_timeout: Duration,
    allowed_hosts: Vec<String>,
}

impl Guard {
    /// Whether `host` (a `Host` header: a name or address, maybe a port) is this node.
    fn host_allowed(&self, host: &str) -> bool {
        let name = match host.strip_prefix('[') {
            // `[v6]:port`
            Some(rest) => rest.split(']').next().unwrap_or_default(),
            None => host.rsplit_once(':').map_or(host, |(n, _)| n),
        };
        if name.eq_ignore_ascii_case("localhost") {
            return true;
        }
        if let Ok(ip) = name.parse::<IpAddr>() {
            return ip.is_loopback() || ip == self.bound.ip();
        }
        self.allowed_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// A refusal before any method runs, as a JSON-RPC error with an HTTP status.
fn refusal(status: StatusCode, data: &str) -> Response {
    let body = json!({
        "jsonrpc": "2.0", "id": Value::Null,
        "error": { "code": -32600, "message": "Invalid Request", "data": data },
    });
    (status, axum::Json(body)).into_response()
}

/// Refuse requests from web pages and bodies that trickle or are too large; pass the rest
/// on with their body read.
async fn guard(State(g): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    if request.headers().contains_key(header::ORIGIN) {
        return refusal(
            StatusCode::FORBIDDEN,
            "requests from web pages (with an Origin header) are not served",
        );
    }
    if let Some(host) = request.headers().get(header::HOST) {
        let ok = host.to_str().is_ok_and(|h| g.host_allowed(h));
        if !ok {
            return refusal(
                StatusCode::FORBIDDEN,
                "the Host header does not name this node",
            );
        }
    }
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(
        g.body_timeout,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than the limit",
            );
        }
        Err(_) => {
            return refusal(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            );
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The router: POST `/` and GET `/{method}`, behind the guard for `bound`.
pub fn router(devnet: Devnet, bound: SocketAddr, options: &ServeOptions) -> Router {
    let g = Arc::new(Guard {
        bound,
        body_timeout: options.body_timeout,
        allowed_hosts: options.allowed_hosts.clone(),
    });
    Router::new()
        .route("/", post(json_rpc))
        .route("/{method}", get(uri_rpc))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(g, guard))
        .with_state(devnet)
}

/// Bind `addr` and serve with the default [`ServeOptions`] until the task is dropped;
/// returns the bound address.
pub async fn serve(
    devnet: Devnet,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    serve_with(devnet, addr, ServeOptions::default()).await
}

/// [`serve`] with `options`.
pub async fn serve_with(
    devnet: Devnet,
    addr: SocketAddr,
    options: ServeOptions,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = router(devnet, bound, &options);
    let slots = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
    let header_timeout = options.header_timeout;
    let handle = tokio::spawn(async move {
        loop {
            // A slot first: past the cap, connections wait in the listen queue.
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of descriptors and the like: try again once a slot frees.
                Err(_) => continue,
            };
            let service = TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let _slot = slot;
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((bound, handle))
}

fn envelope(id: Value, result: Result<Value, RpcError>) -> Response {
    let body = match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(e) => json!({
            "jsonrpc": "2.0", "id": id,
            "error": { "code": e.code, "message": e.message, "data": e.data },
        }),
    };
    axum::Json(body).into_response()
}

async fn json_rpc(State(devnet): State<Devnet>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return envelope(
            Value::Null,
            Err(RpcError {
                code: -32700,
                message: "Parse error",
                data: "the body is not JSON".into(),
            }),
        );
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return envelope(
            id,
            Err(RpcError {
                code: -32600,
                message: "Invalid Request",
                data: "no method".into(),
            }),
        );
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return envelope(id, Err(invalid("params must be an object"))),
    };
    let method = method.to_owned();
    let result = tokio::task::spawn_blocking(move || dispatch(&devnet, &method, &params, false))
        .await
        .unwrap_or_else(|e| Err(internal(e)));
    envelope(id, result)
}

async fn uri_rpc(
    State(devnet): State<Devnet>,
    Path(method): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let params: Map<String, Value> = query
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let result = tokio::task::spawn_blocking(move || dispatch(&devnet, &method, &params, true))
        .await
        .unwrap_or_else(|e| Err(internal(e)));
    envelope(json!(-1), result)
}

/// A height parameter: number or string; absent or 0 means latest.
fn height(params: &Map<String, Value>, latest: u64) -> Result<u64, RpcError> {
    height_up_to(params, latest, latest)
}

/// [`height`], accepting heights up to `max` (absent or 0 still means `latest`).
fn height_up_to(params: &Map<String, Value>, latest: u64, max: u64) -> Result<u64, RpcError> {
    let h = match params.get("height") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| invalid("height must be a non-negative integer"))?,
        Some(Value::String(s)) => {
            let s = s.trim_matches('"');
            if s.is_empty() {
                0
            } else {
                s.parse()
                    .map_err(|_| invalid("height must be a non-negative integer"))?
            }
        }
        Some(_) => return Err(invalid("height must be a number")),
    };
    let h = if h == 0 { latest } else { h };
    if h == 0 || h > max {
        return Err(invalid(format!(
            "height {h} is not available: the latest is {latest}"
        )));
    }
    Ok(h)
}

/// A bytes parameter: hex (`hex_default`) or base64 in POST; `0x…` hex in GET.
fn bytes(
    params: &Map<String, Value>,
    name: &str,
    uri: bool,
    hex_default: bool,
) -> Result<Vec<u8>, RpcError> {
    let raw = params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{name} is required")))?;
    let raw = raw.trim_matches('"');
    if uri && let Some(h) = raw.strip_prefix("0x") {
        return hex::decode(h).map_err(|_| invalid(format!("{name} is not hex")));
    }
    if hex_default {
        hex::decode(raw).map_err(|_| invalid(format!("{name} is not hex")))
    } else {
        B64.decode(raw)
            .map_err(|_| invalid(format!("{name} is not base64")))
    }
}

fn to_value(v: impl serde::Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(internal)
}

fn block_at(producer: &crate::chain::Producer, h: u64) -> Result<ChainBlock, RpcError> {
    producer
        .block(h)
        .map_err(|e| internal(e.to_string()))?
        .ok_or_else(|| invalid(format!("no block {h}")))
}

fn dispatch(
    devnet: &Devnet,
    method: &str,
    params: &Map<String, Value>,
    uri: bool,
) -> Result<Value, RpcError> {
    match method {
        "broadcast_tx_sync" => {
            let tx = bytes(params, "tx", uri, false)?;
            let r = devnet.broadcast(tx.clone()).map_err(internal)?;
            return Ok(json!({
                "code": r.code.value(), "data": "", "log": r.log, "codespace": "",
                "hash": hex::encode_upper(Sha256::digest(&tx)),
            }));
        }
        "genesis" => return genesis(devnet),
        _ => {}
    }
    let state = devnet.lock();
    let producer = &state.producer;
    let latest = producer.height();
    match method {
        "status" => {
            let (Some(first), Some(last)) = (producer.first(), producer.latest()) else {
                return Err(invalid("no block yet"));
            };
            let v = last
                .validators
                .validators()
                .first()
                .ok_or_else(|| internal("the latest block has an empty validator set"))?;
            Ok(json!({
                "node_info": {
                    "protocol_version": { "p2p": "8", "block": "11", "app": "1" },
                    "id": hex::encode(&Sha256::digest(devnet.genesis().chain_id.as_bytes())[..20]),
                    "listen_addr": "tcp://127.0.0.1:0",
                    "network": devnet.genesis().chain_id,
                    "version": "0.38.0",
                    "channels": "40202122233038606100",
                    "moniker": "citywallet-devnet",
                    "other": { "tx_index": "on", "rpc_address": "" },
                },
                "sync_info": {
                    "earliest_block_hash": first.block_id.hash,
                    "earliest_app_hash": hex::encode_upper(first.block.header.app_hash.as_bytes()),
                    "earliest_block_height": first.block.header.height,
                    "earliest_block_time": first.block.header.time,
                    "latest_block_hash": last.block_id.hash,
                    "latest_app_hash": hex::encode_upper(last.block.header.app_hash.as_bytes()),
                    "latest_block_height": last.block.header.height,
                    "latest_block_time": last.block.header.time,
                    "catching_up": false,
                },
                "validator_info": validator_json(v, false)?,
            }))
        }
        "commit" => {
            let b = block_at(producer, height(params, latest)?)?;
            let signed =
                SignedHeader::new(b.block.header.clone(), b.commit.clone()).map_err(internal)?;
            Ok(json!({ "signed_header": to_value(signed)?, "canonical": true }))
        }
        "validators" => {
            // As CometBFT: the set for the height after the latest is known (the latest
            // block's next validators).
            let h = height_up_to(params, latest, latest + 1)?;
            let set = if h == latest + 1 {
                block_at(producer, latest)?.next_validators
            } else {
                block_at(producer, h)?.validators
            };
            let all = set.validators();
            let number = |name: &str, default: usize| -> Result<usize, RpcError> {
                match params.get(name) {
                    None | Some(Value::Null) => Ok(default),
                    Some(Value::Number(n)) => n
                        .as_u64()
                        .map(|n| n as usize)
                        .ok_or_else(|| invalid(format!("{name} must be a positive integer"))),
                    Some(Value::String(s)) => s
                        .trim_matches('"')
                        .parse()
                        .map_err(|_| invalid(format!("{name} must be a positive integer"))),
                    Some(_) => Err(invalid(format!("{name} must be a number"))),
                }
            };
            let per_page = number("per_page", 30)?.clamp(1, MAX_PER_PAGE);
            let page = number("page", 1)?;
            let pages = all.len().div_ceil(per_page).max(1);
            if page == 0 || page > pages {
                return Err(invalid(format!("page must be between 1 and {pages}")));
            }
            let slice: Vec<Value> = all
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|v| validator_json(v, true))
                .collect::<Result<_, _>>()?;
            Ok(json!({
                "block_height": h.to_string(),
                "validators": slice,
                "count": slice.len().to_string(),
                "total": all.len().to_string(),
            }))
        }
        "block" => {
            let b = block_at(producer, height(params, latest)?)?;
            Ok(json!({ "block_id": to_value(b.block_id)?, "block": to_value(&b.block)? }))
        }
        "abci_query" => {
            let path = params
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or(QUERY_PATH_KEY)
                .trim_matches('"');
            let data = bytes(params, "data", uri, true)?;
            let prove = match params.get("prove") {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s.trim_matches('"') == "true",
                _ => false,
            };
            if path != QUERY_PATH_KEY {
                return Ok(json!({ "response": {
                    "code": citywallet_protocol::Code::Malformed.value(), "log": format!("unknown path {path:?}"),
                    "info": "", "index": "0", "key": null, "value": null, "proofOps": null, "height": "0", "codespace": "",
                }}));
            }
            let h = height(params, latest)?;
            let p = match state.producer.app().query(&data, Some(h)) {
                Ok(p) => p,
                // As the application answers CometBFT: a code, not a JSON-RPC error.
                Err(e @ crate::NodeError::Pruned { .. }) => {
                    return Ok(json!({ "response": {
                        "code": citywallet_protocol::QUERY_HEIGHT_PRUNED, "log": e.to_string(),
                        "info": "", "index": "0", "key": null, "value": null, "proofOps": null,
                        "height": h.to_string(), "codespace": "",
                    }}));
                }
                Err(e) => return Err(invalid(e.to_string())),
            };
            use prost_ics23::Message;
            let proof = prove.then(|| json!({ "ops": [{
                "type": PROOF_OP_TYPE, "key": B64.encode(&data), "data": B64.encode(p.proof.encode_to_vec()),
            }]}));
            Ok(json!({ "response": {
                "code": 0, "log": if p.value.is_some() { "exists" } else { "does not exist" }, "info": "",
                "index": "0", "key": B64.encode(&data), "value": p.value.map(|v| B64.encode(v)),
                "proofOps": proof, "height": h.to_string(), "codespace": "",
            }}))
        }
        "tx" => {
            let hash = bytes(params, "hash", uri, false)?;
            let key: [u8; 32] = hash
                .try_into()
                .map_err(|_| invalid("hash must be 32 bytes"))?;
            let (h, index) = producer
                .app()
                .store()
                .tx_location(&key)
                .map_err(|e| internal(e.to_string()))?
                .ok_or_else(|| invalid(format!("tx {} not found", hex::encode_upper(key))))?;
            let b = block_at(producer, h)?;
            let tx = &b.block.data[index as usize];
            let result = &b.results[index as usize];
            Ok(json!({
                "hash": hex::encode_upper(key), "height": h.to_string(), "index": index,
                "tx_result": { "code": result.code.value(), "data": null, "log": result.log, "info": "",
                    "gas_wanted": "0", "gas_used": "0", "events": [], "codespace": "" },
                "tx": B64.encode(tx),
            }))
        }
        _ => Err(RpcError {
            code: -32601,
            message: "Method not found",
            data: format!("{method} is not served"),
        }),
    }
}

/// A validator as CometBFT's `/validators` and `/status` print it.
fn validator_json(v: &tendermint::validator::Info, with_priority: bool) -> Result<Value, RpcError> {
    let mut out = json!({
        "address": v.address,
        "pub_key": to_value(v.pub_key)?,
        "voting_power": v.power().to_string(),
    });
    if with_priority {
        out["proposer_priority"] = json!(v.proposer_priority.value().to_string());
    }
    Ok(out)
}

fn genesis(devnet: &Devnet) -> Result<Value, RpcError> {
    let g = devnet.genesis();
    let validators: Vec<Value> = g
        .validators
        .iter()
        .map(|v| {
            let pk = hex::decode(&v.public_key).map_err(internal)?;
            let key = tendermint::PublicKey::from_raw_ed25519(&pk)
                .ok_or_else(|| internal("validator key"))?;
            Ok(json!({
                "address": tendermint::account::Id::from(key),
                "pub_key": to_value(key)?,
                "power": v.power.to_string(),
                "name": "",
            }))
        })
        .collect::<Result<_, RpcError>>()?;
    Ok(json!({ "genesis": {
        "genesis_time": devnet.genesis_time(),
        "chain_id": g.chain_id,
        "initial_height": "1",
        "consensus_params": {
            "block": { "max_bytes": crate::chain::BLOCK_MAX_BYTES.to_string(), "max_gas": crate::chain::BLOCK_MAX_GAS.to_string() },
            "evidence": { "max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576" },
            "validator": { "pub_key_types": ["ed25519"] },
            "version": { "app": "1" },
            "abci": { "vote_extensions_enable_height": "0" },
        },
        "validators": validators,
        "app_hash": "",
        "app_state": to_value(g)?,
    }}))
}
