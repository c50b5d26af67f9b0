//! The app's errors as the UI sees them: a tagged [`AppError`] with a stable code, built from
//! the crates' typed errors. Messages never hold secrets (the crates' errors do not).

use crate::dto::AppError;

/// `Result` with [`AppError`].
pub type AppResult<T> = Result<T, AppError>;

/// An error with `code` and `message`.
pub fn fail(code: &str, message: impl Into<String>) -> AppError {
    AppError {
        code: code.to_owned(),
        message: message.into(),
        retry_after_secs: None,
    }
}

impl From<citywallet_core::Error> for AppError {
    fn from(e: citywallet_core::Error) -> Self {
        let retry_after_secs = match &e {
            citywallet_core::Error::Throttled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        Self {
            code: e.code().to_owned(),
            message: e.to_string(),
            retry_after_secs,
        }
    }
}

impl From<citywallet_light_client::Error> for AppError {
    fn from(e: citywallet_light_client::Error) -> Self {
        match e {
            citywallet_light_client::Error::Core(c) => c.into(),
            e => fail(e.code(), e.to_string()),
        }
    }
}

impl From<citywallet_mobile::keystore::Error> for AppError {
    fn from(e: citywallet_mobile::keystore::Error) -> Self {
        fail(e.code(), e.to_string())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for AppError {}
