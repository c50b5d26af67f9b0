//! The issuer's HTTP face (axum on tokio): OpenID4VCI 1.0's well-known metadata, token,
//! nonce and credential endpoints, with bodies capped and every refusal an OAuth error
//! object (`{"error", "error_description"}`). With `demo` on, `POST /demo/offer` makes an
//! offer for the demo citizen, so the devnet's app can ask for one without an operator.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::service::{Issuer, TokenRequest};
use crate::{IssuerError, Result};

/// Largest request body taken.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// The demo citizen's record id.
pub const DEMO_CITIZEN: &str = "demo-citizen";

#[derive(Clone)]
struct Shared {
    issuer: Arc<Mutex<Issuer>>,
}

fn error_response(e: &IssuerError) -> Response {
    let (code, status) = e.oauth_code();
    let description = match e {
        // Internal failures are not described to the wallet.
        _ if status >= 500 => "the issuer could not complete the request".to_owned(),
        e => e.to_string(),
    };
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(json!({ "error": code, "error_description": description })),
    )
        .into_response();
    if status == 401 {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    no_store(r)
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn run(
    shared: Shared,
    f: impl FnOnce(&mut Issuer) -> Result<Value> + Send + 'static,
) -> Response {
    let issuer = shared.issuer.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut i = issuer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut i)
    })
    .await;
    match out {
        Ok(Ok(v)) => no_store(axum::Json(v).into_response()),
        Ok(Err(e)) => error_response(&e),
        Err(_) => error_response(&IssuerError::Damaged("request")),
    }
}

async fn metadata(State(s): State<Shared>) -> Response {
    run(s, |i| Ok(i.metadata())).await
}

async fn authorization_metadata(State(s): State<Shared>) -> Response {
    run(s, |i| Ok(i.authorization_metadata())).await
}

async fn token(State(s): State<Shared>, body: axum::body::Bytes) -> Response {
    let req: TokenRequest = match serde_urlencoded_form(&body) {
        Ok(r) => r,
        Err(e) => return error_response(&e),
    };
    run(s, move |i| i.token(&req)).await
}

/// A form body; a field given twice is refused.
fn serde_urlencoded_form(body: &[u8]) -> Result<TokenRequest> {
    let mut req = TokenRequest::default();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let decode = |x: &[u8]| -> Result<String> {
            let plus: Vec<u8> = x
                .iter()
                .map(|b| if *b == b'+' { b' ' } else { *b })
                .collect();
            percent_encoding::percent_decode(&plus)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| IssuerError::InvalidRequest("the form is not UTF-8"))
        };
        let value = decode(v)?;
        let slot = match decode(k)?.as_str() {
            "grant_type" => &mut req.grant_type,
            "pre-authorized_code" => &mut req.pre_authorized_code,
            "tx_code" => &mut req.tx_code,
            "refresh_token" => &mut req.refresh_token,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(IssuerError::InvalidRequest("a form field is given twice"));
        }
    }
    Ok(req)
}

async fn nonce(State(s): State<Shared>) -> Response {
    run(s, |i| i.nonce()).await
}

async fn credential(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return error_response(&IssuerError::InvalidRequest("the body is not JSON")),
    };
    run(s, move |i| i.credential(bearer.as_deref(), &request)).await
}

async fn demo_offer(State(s): State<Shared>, body: axum::body::Bytes) -> Response {
    let kind = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("credential")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(kind) = kind else {
        return error_response(&IssuerError::InvalidRequest(
            "expected {\"credential\": TYPE}",
        ));
    };
    run(s, move |i| {
        let offer = i.create_offer(DEMO_CITIZEN, &kind, false, Some(600))?;
        Ok(json!({ "offer": offer.uri }))
    })
    .await
}

/// The issuer's routes; `demo` adds `POST /demo/offer`.
pub fn router(issuer: Arc<Mutex<Issuer>>, demo: bool) -> Router {
    let mut r = Router::new()
        .route("/.well-known/openid-credential-issuer", get(metadata))
        .route(
            "/.well-known/oauth-authorization-server",
            get(authorization_metadata),
        )
        .route("/token", post(token))
        .route("/nonce", post(nonce))
        .route("/credential", post(credential));
    if demo {
        r = r.route("/demo/offer", post(demo_offer));
    }
    r.layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(Shared { issuer })
}
