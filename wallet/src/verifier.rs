//! The wallet as an OpenID4VP 1.0 verifier: an officer's app, or an organisation's verifier
//! service over its own vault. It asks with a signed request object (RFC 9101, `typ`
//! `oauth-authz-req+jwt`) whose client id is `decentralized_identifier:` + the signing key's
//! `did:key`; the key is one the chain vouches for (the officer role, or an organisation's
//! registered key, named in `verifier_info`), which is how the citizen's wallet knows who
//! asks. The request (`response_type` `vp_token`, a DCQL query, a fresh nonce, `state`,
//! `response_mode` `direct_post`) is served by reference at `{base}/request/{id}` and the
//! answer comes to `{base}/response`; the HTTP side is the caller's (the app, or
//! `citywallet-verifier`).
//!
//! A request is kept in the vault until its answer comes: the first response that names its
//! `state` takes it (so its nonce is used once), and its outcome is kept for the asker to
//! read. Each presentation is checked as the officer checks (light client: issuer
//! registered, active, allowed the type, not revoked, at a header verified now; the derived
//! proof bound to the nonce, the holder's proof to the nonce and the client id), then the
//! disclosed credentials against the DCQL query.

use std::collections::BTreeMap;

use citywallet_core::credentials::{Challenge, CredentialType, qr};
use citywallet_core::keys::{KeyPath, PublicKey};
use citywallet_vc::{city, dcql};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use crate::dto::VerdictOut;
use crate::error::{Error, ErrorCode, Result};
use crate::oid4vp::{DID_PREFIX, ORG_INFO_FORMAT, REQUEST_OBJECT_TYPE, SELF_ISSUED_AUDIENCE};
use crate::{Spend, Wallet};

/// The vault space of open requests.
pub const REQUESTS: &str = "verifier.requests";
/// The vault space of their outcomes.
pub const OUTCOMES: &str = "verifier.outcomes";
/// How long a request may wait for its answer, seconds.
pub const REQUEST_TTL_SECS: i64 = 300;
/// Largest response read (the `direct_post` form).
pub const MAX_RESPONSE_BYTES: usize = 512 * 1024;
/// Most credential queries in one request.
pub const MAX_ASKS: usize = 4;

/// What a verifier asks for: a credential type and the claims it wants disclosed (core
/// names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Ask {
    /// The credential type.
    pub kind: CredentialType,
    /// The claims wanted.
    pub claims: Vec<String>,
    /// Whether the verifier may recognise the citizen or the credential.
    #[serde(default)]
    pub privacy: AskPrivacy,
}

/// What a verifier asks of an answer's linkability.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(tag = "mode", rename_all = "snake_case")]
#[ts(export)]
pub enum AskPrivacy {
    /// Nothing that recognises anyone (a private credential when the citizen holds one).
    #[default]
    Unlinkable,
    /// A pseudonym for this verifier's `purpose`: it recognises the citizen next time,
    /// without learning who they are.
    Pseudonym {
        /// The purpose (an id: `a-z A-Z 0-9 : . _ -`, up to 64).
        purpose: String,
    },
    /// The ordinary, linkable credential: its id and holder are shown.
    Linkable,
}

/// The key a verifier signs its requests with, and the organisation it is registered as
/// (none for an officer).
pub struct VerifierKey<'a> {
    /// The public half.
    pub public: PublicKey,
    /// Signs with the secret half.
    pub sign: &'a dyn Fn(&[u8]) -> ed25519_dalek::Signature,
    /// The organisation id, for an organisation's key.
    pub org: Option<&'a str>,
}

impl std::fmt::Debug for VerifierKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierKey")
            .field("public", &self.public)
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

/// A request just made: what the citizen scans or opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CreatedRequest {
    /// The request's id (its `state`).
    pub id: String,
    /// `openid4vp://?client_id=…&request_uri=…`.
    pub uri: String,
    /// The URI as a QR code (SVG).
    pub qr_svg: String,
    /// The client id.
    pub client_id: String,
    /// Unix seconds.
    #[ts(type = "number")]
    pub expires_at: i64,
}

/// What became of a request.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
#[ts(export)]
pub enum RequestOutcome {
    /// No answer yet.
    Pending {
        /// Unix seconds.
        #[ts(type = "number")]
        #[serde(rename = "expiresAt")]
        expires_at: i64,
    },
    /// Answered, and every presentation checked out.
    Verified {
        /// Per credential query id, what its presentations established.
        answers: BTreeMap<String, Vec<VerdictOut>>,
    },
    /// The citizen's wallet said no (the OAuth error code it sent).
    Refused {
        /// `access_denied`, or another code.
        error: String,
    },
    /// Answered, but the answer did not check out.
    Failed {
        /// Why.
        code: ErrorCode,
        /// In English, for the log.
        reason: String,
    },
    /// No answer came in time.
    Expired,
}

/// An open request, as kept.
#[derive(Serialize, Deserialize)]
struct Open {
    client_id: String,
    nonce: String,
    query: Value,
    created: i64,
    expires: i64,
    jwt: String,
}

fn random_hex() -> Result<String> {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| Error::Encode("random bytes"))?;
    Ok(hex::encode(b))
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Every credential type a verifier can ask for, with all its claims (what an officer's
/// form offers to pick from).
pub fn ask_forms() -> Vec<Ask> {
    CredentialType::ALL
        .iter()
        .map(|k| Ask {
            kind: *k,
            claims: k.claims().iter().map(|c| c.name.to_owned()).collect(),
            privacy: AskPrivacy::default(),
        })
        .collect()
}

/// The DCQL query of verifier `client_id` for `asks`: one `ldp_vc` credential query per
/// ask, all required, with the linkability each asks for (`meta`: a pseudonym context of
/// this verifier's, or the linkable flag).
pub fn dcql_for(asks: &[Ask], client_id: &str) -> Result<Value> {
    if asks.is_empty() || asks.len() > MAX_ASKS {
        return Err(Error::InvalidClaims);
    }
    let credentials: Vec<Value> = asks
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let known = a.kind.claims();
            if a.claims.is_empty()
                || a.claims
                    .iter()
                    .any(|c| !known.iter().any(|k| k.name == c.as_str()))
            {
                return Err(Error::InvalidClaims);
            }
            let claims: Vec<Value> = a
                .claims
                .iter()
                .map(|c| json!({ "path": ["credentialSubject", city::term(c)] }))
                .collect();
            let mut meta = json!({ "type_values": [[format!("{}{}", dcql::CITY_VOCAB, city::type_name(a.kind))]] });
            match &a.privacy {
                AskPrivacy::Unlinkable => {}
                AskPrivacy::Pseudonym { purpose } => {
                    if !citywallet_protocol::is_valid_id(purpose) {
                        return Err(Error::InvalidClaims);
                    }
                    meta[dcql::PSEUDONYM_META] =
                        Value::from(citywallet_vc::private::verifier_context(client_id, purpose));
                }
                AskPrivacy::Linkable => meta[dcql::LINKABLE_META] = Value::Bool(true),
            }
            Ok(json!({
                "id": format!("{}-{i}", a.kind.as_str()),
                "format": "ldp_vc",
                "meta": meta,
                "claims": claims,
            }))
        })
        .collect::<Result<_>>()?;
    Ok(json!({ "credentials": credentials }))
}

impl Wallet {
    /// Ask for `asks` as this wallet's officer: the request is signed with the identity key
    /// (the one the officer role is registered for) and served under `base` (the URL the
    /// caller serves `/request/{id}` and `/response` at).
    pub fn ask(&mut self, asks: &[Ask], base: &str) -> Result<CreatedRequest> {
        let key = self.vault()?.key_pair(KeyPath::IDENTITY)?;
        let sign = |m: &[u8]| key.sign(m);
        self.ask_as(
            &VerifierKey {
                public: key.public(),
                sign: &sign,
                org: None,
            },
            asks,
            base,
        )
    }

    /// Ask for `asks` as `signer` (an officer's or an organisation's key).
    pub fn ask_as(
        &mut self,
        signer: &VerifierKey<'_>,
        asks: &[Ask],
        base: &str,
    ) -> Result<CreatedRequest> {
        let base = base.trim_end_matches('/');
        crate::issuance::check_url(base)
            .map_err(|_| Error::RequestMalformed("the verifier's address is not https"))?;
        let client_id = format!("{DID_PREFIX}{}", signer.public.did_key());
        let query = dcql_for(asks, &client_id)?;
        dcql::Query::parse(&query)?;
        let id = random_hex()?;
        let nonce = random_hex()?;
        let now = self.now_secs();
        let expires = now + REQUEST_TTL_SECS;
        // No `iss` (RFC 9101 only recommends it): with a client id prefix it is not the DID
        // the key id names, and wallets on @openid4vc/openid4vp then refuse the signer.
        let mut claims = json!({
            "aud": SELF_ISSUED_AUDIENCE,
            "client_id": client_id,
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "response_uri": format!("{base}/response"),
            "nonce": nonce,
            "state": id,
            "dcql_query": query,
            "client_metadata": { "vp_formats_supported": { "ldp_vc": {
                "proof_type_values": ["DataIntegrityProof"],
                "cryptosuite_values": ["bbs-2023", "eddsa-rdfc-2022"],
            } } },
            "iat": now,
            "exp": expires,
        });
        if let Some(org) = signer.org {
            claims["verifier_info"] = json!([{ "format": ORG_INFO_FORMAT, "data": org }]);
        }
        let jwt = crate::jws::sign(REQUEST_OBJECT_TYPE, &claims, &signer.public, signer.sign);
        let open = Open {
            client_id: client_id.clone(),
            nonce,
            query,
            created: now,
            expires,
            jwt,
        };
        let body = serde_json::to_vec(&open).map_err(|_| Error::Encode("the request"))?;
        let vault = self.vault_mut()?;
        vault.expire_documents(REQUESTS, now - REQUEST_TTL_SECS)?;
        vault.put_document(REQUESTS, &id, &body)?;
        let uri = format!(
            "openid4vp://?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", &client_id)
                .append_pair("request_uri", &format!("{base}/request/{id}"))
                .finish()
        );
        let code = qr::encode(uri.as_bytes())?;
        Ok(CreatedRequest {
            id,
            qr_svg: qr::to_svg(&code),
            uri,
            client_id,
            expires_at: expires,
        })
    }

    fn open_request(&self, id: &str) -> Result<Option<Open>> {
        if !valid_id(id) {
            return Ok(None);
        }
        self.vault()?
            .document(REQUESTS, id)?
            .map(|d| serde_json::from_slice(&d.body).map_err(|_| Error::Encode("the request")))
            .transpose()
    }

    /// The signed request object of the open request `id` (what `{base}/request/{id}`
    /// serves).
    pub fn request_object(&self, id: &str) -> Result<String> {
        let open = self.open_request(id)?.ok_or(Error::ResponseUnknown)?;
        if open.expires <= self.now_secs() {
            return Err(Error::RequestExpired);
        }
        Ok(open.jwt)
    }

    /// What became of request `id`.
    pub fn request_outcome(&self, id: &str) -> Result<RequestOutcome> {
        if let Some(open) = self.open_request(id)? {
            if open.expires <= self.now_secs() {
                return Ok(RequestOutcome::Expired);
            }
            return Ok(RequestOutcome::Pending {
                expires_at: open.expires,
            });
        }
        let kept = if valid_id(id) {
            self.vault()?.document(OUTCOMES, id)?
        } else {
            None
        };
        match kept {
            Some(d) => serde_json::from_slice(&d.body).map_err(|_| Error::Encode("the outcome")),
            None => Err(Error::ResponseUnknown),
        }
    }

    /// Take a `direct_post` answer (its form fields): the open request its `state` names is
    /// used up, the answer checked, and the outcome kept and returned. An answer that does
    /// not check out is an error (and kept as [`RequestOutcome::Failed`]); an answer for no
    /// open request changes nothing.
    pub fn receive_response(&mut self, form: &[(String, String)]) -> Result<RequestOutcome> {
        let size: usize = form.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > MAX_RESPONSE_BYTES {
            return Err(Error::TooLarge {
                what: "the response",
                limit: MAX_RESPONSE_BYTES as u64,
            });
        }
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        for (k, v) in form {
            if fields.insert(k, v).is_some() {
                return Err(Error::ResponseInvalid("a field is given twice"));
            }
        }
        let state = fields
            .get("state")
            .ok_or(Error::ResponseInvalid("no state"))?;
        if !valid_id(state) {
            return Err(Error::ResponseUnknown);
        }
        let Some(doc) = self.vault_mut()?.take_document(REQUESTS, state)? else {
            return Err(Error::ResponseUnknown);
        };
        let open: Open =
            serde_json::from_slice(&doc.body).map_err(|_| Error::Encode("the request"))?;
        let outcome = if open.expires <= self.now_secs() {
            Err(Error::RequestExpired)
        } else {
            self.check_answer(&open, &fields)
        };
        let kept = match &outcome {
            Ok(o) => o.clone(),
            Err(Error::RequestExpired) => RequestOutcome::Expired,
            Err(e) => RequestOutcome::Failed {
                code: e.code(),
                reason: e.to_string(),
            },
        };
        let body = serde_json::to_vec(&kept).map_err(|_| Error::Encode("the outcome"))?;
        self.vault_mut()?.replace_document(OUTCOMES, state, &body)?;
        outcome
    }

    fn check_answer(
        &mut self,
        open: &Open,
        fields: &BTreeMap<&str, &str>,
    ) -> Result<RequestOutcome> {
        match (fields.get("error"), fields.get("vp_token")) {
            (Some(error), None) => {
                let error = error
                    .chars()
                    .filter(char::is_ascii_graphic)
                    .take(64)
                    .collect();
                return Ok(RequestOutcome::Refused { error });
            }
            (None, Some(_)) => {}
            _ => return Err(Error::ResponseInvalid("neither an answer nor an error")),
        }
        let token: serde_json::Map<String, Value> = fields
            .get("vp_token")
            .and_then(|t| serde_json::from_str(t).ok())
            .ok_or(Error::ResponseInvalid("the vp_token is not a JSON object"))?;
        let query = dcql::Query::parse(&open.query)?;
        let challenge = Challenge {
            nonce: open.nonce.clone(),
            verifier: open.client_id.clone(),
            issued_at: open.created,
        };
        let mut answers = BTreeMap::new();
        let mut presented = BTreeMap::new();
        for (id, list) in &token {
            let list = list
                .as_array()
                .filter(|l| !l.is_empty())
                .ok_or(Error::ResponseInvalid("a query's answer is not a list"))?;
            // The pseudonym context this query asked for, if any: its presentations must be
            // private ones with the pseudonym for it.
            let context = match query.credentials.iter().find(|q| &q.id == id) {
                Some(q) => match &q.privacy {
                    dcql::Privacy::Pseudonym(c) => Some(c.clone()),
                    _ => None,
                },
                None => None,
            };
            let mut verdicts = Vec::new();
            let mut credentials = Vec::new();
            for vp in list {
                if !vp.is_object() {
                    return Err(Error::ResponseInvalid("a presentation is not an object"));
                }
                let bytes = serde_json::to_vec(vp).map_err(|_| Error::Encode("a presentation"))?;
                let v = self.anchored(Spend::Sync)?.verify_presentation_online_in(
                    &bytes,
                    &challenge,
                    REQUEST_TTL_SECS,
                    context.as_deref().map(str::as_bytes),
                )?;
                verdicts.push(VerdictOut::from(&v));
                // The proofs checked: the credential's disclosed values are the issuer's.
                let vc = vp
                    .get("verifiableCredential")
                    .and_then(|c| c.get(0))
                    .cloned()
                    .ok_or(Error::ResponseInvalid(
                        "a presentation without a credential",
                    ))?;
                let types = dcql::expanded_types(&vc);
                credentials.push((vc, types));
            }
            answers.insert(id.clone(), verdicts);
            presented.insert(id.clone(), credentials);
        }
        query.check_presented(&presented)?;
        Ok(RequestOutcome::Verified { answers })
    }
}
