//! Compact JWS with EdDSA (Ed25519) and a `did:key` as the key id, the one form the wallet
//! signs and reads: its OpenID4VCI proof of possession, and the OpenID4VP request objects a
//! verifier signs (RFC 9101, `typ` `oauth-authz-req+jwt`). Signatures are ed25519-dalek's
//! strict verification; a JOSE crate would add a second signature stack for one algorithm.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use citywallet_core::keys::{PublicKey, parse_did_key};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// Sign `payload` with `sign` (the Ed25519 key whose public half is `public`) under a header
/// of `typ`, `alg` `EdDSA` and the key's `did:key` URL as `kid`.
pub(crate) fn sign(
    typ: &str,
    payload: &Value,
    public: &PublicKey,
    sign: &dyn Fn(&[u8]) -> ed25519_dalek::Signature,
) -> String {
    let did = public.did_key();
    let fragment = did.strip_prefix("did:key:").unwrap_or_default();
    let header = json!({ "typ": typ, "alg": "EdDSA", "kid": format!("{did}#{fragment}") });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let signature = sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// A JWS whose signature checked out.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    /// The signer's `did:key`.
    pub did: String,
    /// Its key.
    pub key: PublicKey,
    /// The claims.
    pub payload: Map<String, Value>,
}

fn bad(what: &'static str) -> Error {
    Error::RequestSignatureInvalid(what)
}

fn object(part: &str, what: &'static str) -> Result<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| bad(what))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(bad(what)),
    }
}

/// Check `jwt`: a compact JWS of `typ` with `alg` `EdDSA`, a `kid` that is a `did:key` URL
/// (`did:key:z…#z…`) and a signature by that key. Returns the signer and the claims.
pub(crate) fn check(jwt: &str, typ: &str) -> Result<Checked> {
    let mut parts = jwt.trim().split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a compact JWS"));
    };
    let header = object(h, "the header")?;
    let text = |k: &str| header.get(k).and_then(Value::as_str);
    if text("alg") != Some("EdDSA") {
        return Err(bad("the algorithm is not EdDSA"));
    }
    if text("typ") != Some(typ) {
        return Err(bad("the type"));
    }
    if header.contains_key("crit") {
        return Err(bad("a critical header this wallet does not know"));
    }
    let (did, fragment) = text("kid")
        .and_then(|k| k.split_once('#'))
        .ok_or(bad("the key id is not a did:key URL"))?;
    if did.strip_prefix("did:key:") != Some(fragment) {
        return Err(bad("the key id is not a did:key URL"));
    }
    let key = parse_did_key(did).map_err(|_| bad("the key id is not a did:key URL"))?;
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(bad("the signature encoding"))?;
    let signing_input = &jwt.trim()[..h.len() + 1 + p.len()];
    if !key.verify(
        signing_input.as_bytes(),
        &ed25519_dalek::Signature::from_bytes(&signature),
    ) {
        return Err(bad("the signature does not verify"));
    }
    Ok(Checked {
        did: did.to_owned(),
        key,
        payload: object(p, "the claims")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use ed25519_dalek::{Signer as _, SigningKey};

    fn public(k: &SigningKey) -> PublicKey {
        PublicKey::from_bytes(&k.verifying_key().to_bytes()).expect("test value")
    }

    fn signed(seed: u8, payload: &Value) -> String {
        let k = SigningKey::from_bytes(&[seed; 32]);
        sign("oauth-authz-req+jwt", payload, &public(&k), &|m| k.sign(m))
    }

    #[test]
    fn signed_then_checked() {
        let jwt = signed(7, &json!({ "nonce": "n" }));
        let c = check(&jwt, "oauth-authz-req+jwt").expect("test value");
        assert_eq!(c.did, public(&SigningKey::from_bytes(&[7; 32])).did_key());
        assert_eq!(c.payload["nonce"], "n");
    }

    #[test]
    fn tampered_wrong_type_and_other_key_refused() {
        let jwt = signed(7, &json!({ "nonce": "n" }));
        let (hp, sig) = jwt.rsplit_once('.').expect("test value");
        let (h, _) = hp.split_once('.').expect("test value");
        let other = URL_SAFE_NO_PAD.encode(json!({ "nonce": "m" }).to_string());
        let tampered = format!("{h}.{other}.{sig}");
        assert!(matches!(
            check(&tampered, "oauth-authz-req+jwt"),
            Err(Error::RequestSignatureInvalid(
                "the signature does not verify"
            ))
        ));
        assert!(matches!(
            check(&jwt, "openid4vci-proof+jwt"),
            Err(Error::RequestSignatureInvalid("the type"))
        ));
        // A header naming another key than the one that signed.
        let other_did = public(&SigningKey::from_bytes(&[8; 32])).did_key();
        let frag = other_did.strip_prefix("did:key:").expect("test value");
        let header = URL_SAFE_NO_PAD.encode(
            json!({ "typ": "oauth-authz-req+jwt", "alg": "EdDSA", "kid": format!("{other_did}#{frag}") })
                .to_string(),
        );
        let (_, rest) = jwt.split_once('.').expect("test value");
        assert!(check(&format!("{header}.{rest}"), "oauth-authz-req+jwt").is_err());
        for junk in ["", "a.b", "a.b.c.d", "!.!.!"] {
            assert!(check(junk, "oauth-authz-req+jwt").is_err(), "{junk}");
        }
    }
}
