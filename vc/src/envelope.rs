//! The envelope both `bbs-2023` proof values share: three header bytes naming the kind and
//! feature, a CBOR array of components (no tags), all multibase base64url-no-pad (`u…`).

use base64::Engine as _;
use ciborium::Value;

use crate::{Result, VcError};

/// `u` + base64url(`header` ‖ CBOR of `components`).
pub fn encode(header: [u8; 3], components: Vec<Value>) -> Result<String> {
    let mut bytes = header.to_vec();
    ciborium::into_writer(&Value::Array(components), &mut bytes)
        .map_err(|_| VcError::ProofValue("cannot be encoded"))?;
    Ok(format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The header `value` starts with (one of `headers`) and its components, if it is at most
/// `max_chars` long (`kind` names what was expected in the error otherwise).
pub fn decode_any(
    value: &str,
    headers: &[[u8; 3]],
    max_chars: usize,
    kind: &'static str,
) -> Result<([u8; 3], Vec<Value>)> {
    if value.len() > max_chars {
        return Err(VcError::ProofValue("too long"));
    }
    let encoded = value
        .strip_prefix('u')
        .ok_or(VcError::ProofValue("not multibase base64url"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| VcError::ProofValue("not base64url"))?;
    let (header, cbor) = headers
        .iter()
        .find_map(|h| bytes.strip_prefix(&h[..]).map(|rest| (*h, rest)))
        .ok_or(VcError::ProofValue(kind))?;
    let value: Value = ciborium::from_reader(cbor).map_err(|_| VcError::ProofValue("not CBOR"))?;
    let Value::Array(parts) = value else {
        return Err(VcError::ProofValue("not an array"));
    };
    Ok((header, parts))
}
