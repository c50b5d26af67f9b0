//! Where passphrases come from: an environment variable for scripts, else a terminal prompt.
//! They are held in zeroizing buffers and never printed.

use std::io::IsTerminal;

use citywallet_core::vault::Passphrase;
use zeroize::Zeroizing;

/// An input problem the CLI itself detects, with a stable code.
#[derive(Debug)]
pub struct UserError {
    pub code: &'static str,
    message: &'static str,
}

impl UserError {
    pub fn new(code: &'static str, message: &'static str) -> Self {
        Self { code, message }
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for UserError {}

fn from_env(var: &str) -> Option<Zeroizing<String>> {
    std::env::var(var).ok().map(Zeroizing::new)
}

fn prompt(label: &str) -> anyhow::Result<Zeroizing<String>> {
    if !std::io::stderr().is_terminal() && !std::io::stdin().is_terminal() {
        return Err(UserError::new(
            "passphrase_required",
            "no terminal to ask for the passphrase: set CITYWALLET_PASSPHRASE",
        )
        .into());
    }
    Ok(Zeroizing::new(rpassword::prompt_password(format!(
        "{label}: "
    ))?))
}

/// The passphrase of an existing vault.
pub fn existing_passphrase() -> anyhow::Result<Passphrase> {
    let text = match from_env("CITYWALLET_PASSPHRASE") {
        Some(p) => p,
        None => prompt("Vault passphrase")?,
    };
    Ok(Passphrase::new(text.to_string()))
}

/// A new passphrase: from `var`, else typed twice.
pub fn new_passphrase(var: &str, label: &str) -> anyhow::Result<Passphrase> {
    if let Some(p) = from_env(var) {
        return Ok(Passphrase::new(p.to_string()));
    }
    let first = prompt(label)?;
    let second = prompt("Repeat it")?;
    if *first != *second {
        return Err(UserError::new("passphrase_mismatch", "the two passphrases differ").into());
    }
    Ok(Passphrase::new(first.to_string()))
}

/// The optional BIP39 passphrase: "" unless asked for.
pub fn bip39_passphrase(wanted: bool) -> anyhow::Result<Zeroizing<String>> {
    if !wanted {
        return Ok(Zeroizing::new(String::new()));
    }
    match from_env("CITYWALLET_BIP39_PASSPHRASE") {
        Some(p) => Ok(p),
        None => prompt("BIP39 passphrase"),
    }
}
