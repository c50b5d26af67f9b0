//! The officer's verifier desk: the two OpenID4VP endpoints a citizen's wallet calls
//! (`GET /request/{id}`, `POST /response`, from `citywallet-verifier`'s HTTP face), served
//! by the app itself over the app's wallet, started on the officer's first request. It
//! listens on `CITYWALLET_DESK_LISTEN` (default `127.0.0.1:0`, any free port on this
//! device) and names itself `CITYWALLET_DESK_URL` (default `http://` and that address): an
//! officer whose citizens answer from their own phones sets both to an address they reach.

use std::sync::{Arc, Mutex, Weak};

use citywallet_verifier::http::{Backend, Server};
use citywallet_wallet::dto::ErrorInfo;
use citywallet_wallet::verifier::RequestOutcome;
use citywallet_wallet::{ErrorCode, WalletErrorCode};

use crate::app::{App, AppResult};

/// The desk's server, once started.
#[derive(Debug, Default)]
pub struct Desk {
    server: Mutex<Option<(Server, String)>>,
}

/// The app's wallet behind the endpoints; holds the app weakly (the app's state owns the
/// desk).
struct OverApp(Weak<Mutex<App>>);

impl OverApp {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut App) -> citywallet_wallet::Result<T>,
    ) -> citywallet_wallet::Result<T> {
        let app = self.0.upgrade().ok_or(citywallet_wallet::Error::Locked)?;
        let mut a = app
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut a)
    }
}

impl Backend for OverApp {
    fn request_object(&self, id: &str) -> citywallet_wallet::Result<String> {
        self.with(|a| a.wallet.request_object(id))
    }

    fn respond(&self, form: Vec<(String, String)>) -> citywallet_wallet::Result<RequestOutcome> {
        self.with(|a| a.wallet.receive_response(&form))
    }
}

impl Desk {
    /// The desk's URL, starting its server over `app` first if needed.
    pub fn url(&self, app: &Arc<Mutex<App>>) -> AppResult<String> {
        let mut server = self
            .server
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, url)) = server.as_ref() {
            return Ok(url.clone());
        }
        let listen =
            std::env::var("CITYWALLET_DESK_LISTEN").unwrap_or_else(|_| "127.0.0.1:0".into());
        let unreachable = |e: std::io::Error| {
            ErrorInfo::new(
                ErrorCode::Wallet(WalletErrorCode::VerifierUnreachable),
                format!("the verifier desk cannot listen on {listen}: {e}"),
            )
        };
        let listener = std::net::TcpListener::bind(&listen).map_err(unreachable)?;
        let addr = listener.local_addr().map_err(unreachable)?;
        let url = std::env::var("CITYWALLET_DESK_URL").unwrap_or_else(|_| format!("http://{addr}"));
        let s =
            Server::spawn(listener, Arc::new(OverApp(Arc::downgrade(app)))).map_err(unreachable)?;
        *server = Some((s, url.clone()));
        Ok(url)
    }
}
