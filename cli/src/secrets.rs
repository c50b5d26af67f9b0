//! Where passphrases come from: an environment variable for scripts, else a terminal prompt.
//! They are held in zeroizing buffers and never printed.

use std::io::IsTerminal;

use citywallet_core::vault::Passphrase;
use citywallet_wallet::Error;
use zeroize::Zeroizing;

fn from_env(var: &str) -> Option<Zeroizing<String>> {
    std::env::var(var).ok().map(Zeroizing::new)
}

fn prompt(label: &str) -> anyhow::Result<Zeroizing<String>> {
    if !std::io::stderr().is_terminal() && !std::io::stdin().is_terminal() {
        return Err(Error::PassphraseRequired.into());
    }
    Ok(Zeroizing::new(rpassword::prompt_password(format!(
        "{label}: "
    ))?))
}

/// The passphrase in `var`, else asked once with `label`.
pub fn existing(var: &str, label: &str) -> anyhow::Result<Passphrase> {
    let text = match from_env(var) {
        Some(p) => p,
        None => prompt(label)?,
    };
    Ok(Passphrase::new(text.to_string()))
}

/// The vault's passphrase.
pub fn vault_passphrase() -> anyhow::Result<Passphrase> {
    existing("CITYWALLET_PASSPHRASE", "Vault passphrase")
}

/// A new passphrase: from `var`, else typed twice.
pub fn new_passphrase(var: &str, label: &str) -> anyhow::Result<Passphrase> {
    if let Some(p) = from_env(var) {
        return Ok(Passphrase::new(p.to_string()));
    }
    let first = prompt(label)?;
    let second = prompt("Repeat it")?;
    if *first != *second {
        return Err(Error::PassphraseMismatch.into());
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
