//! The verifier's HTTP face (axum on tokio): `GET /request/{id}` serves a signed request
//! object (`application/oauth-authz-req+jwt`), `POST /response` takes a `direct_post` answer
//! (`application/x-www-form-urlencoded`, at most
//! [`citywallet_wallet::verifier::MAX_RESPONSE_BYTES`]). Refusals are OAuth error objects;
//! nothing of a refused answer is echoed back beyond the reason.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use citywallet_wallet::verifier::{MAX_RESPONSE_BYTES, RequestOutcome};
use serde_json::json;

/// Whoever keeps the requests: the organisation's service, or the officer's app.
pub trait Backend: Send + Sync + 'static {
    /// The signed request object of open request `id`.
    fn request_object(&self, id: &str) -> citywallet_wallet::Result<String>;
    /// Take a `direct_post` answer.
    fn respond(&self, form: Vec<(String, String)>) -> citywallet_wallet::Result<RequestOutcome>;
}

type Shared = Arc<dyn Backend>;

fn refusal(status: StatusCode, e: &citywallet_wallet::Error) -> Response {
    let mut r = (
        status,
        axum::Json(json!({ "error": "invalid_request", "error_description": e.to_string() })),
    )
        .into_response();
    no_store(&mut r);
    r
}

fn no_store(r: &mut Response) {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> citywallet_wallet::Result<T> + Send + 'static,
) -> citywallet_wallet::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or(Err(citywallet_wallet::Error::Encode(
            "the verifier's worker",
        )))
}

async fn request_object(State(b): State<Shared>, Path(id): Path<String>) -> Response {
    match blocking(move || b.request_object(&id)).await {
        Ok(jwt) => {
            let mut r = jwt.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/oauth-authz-req+jwt"),
            );
            no_store(&mut r);
            r
        }
        Err(e) => refusal(StatusCode::NOT_FOUND, &e),
    }
}

async fn response(State(b): State<Shared>, body: axum::body::Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match blocking(move || b.respond(form)).await {
        Ok(_) => {
            let mut r = axum::Json(json!({})).into_response();
            no_store(&mut r);
            r
        }
        Err(e) => refusal(StatusCode::BAD_REQUEST, &e),
    }
}

/// The two endpoints over `backend`.
pub fn router(backend: Arc<dyn Backend>) -> Router {
    Router::new()
        .route("/request/{id}", get(request_object))
        .route("/response", post(response))
        .layer(DefaultBodyLimit::max(MAX_RESPONSE_BYTES))
        .with_state(backend)
}

/// A server on its own thread; stops when dropped.
#[derive(Debug)]
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serve `backend` on `listener` (bound already) on a thread of its own.
    pub fn spawn(
        listener: std::net::TcpListener,
        backend: Arc<dyn Backend>,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("verifier-http".into())
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let _ = axum::serve(listener, router(backend))
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://` and the address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An officer's wallet behind the endpoints (its requests, signed with its identity key).
impl Backend for std::sync::Mutex<citywallet_wallet::Wallet> {
    fn request_object(&self, id: &str) -> citywallet_wallet::Result<String> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .request_object(id)
    }

    fn respond(&self, form: Vec<(String, String)>) -> citywallet_wallet::Result<RequestOutcome> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .receive_response(&form)
    }
}
