//! The wallet answering a verifier the way the ecosystem asks: an OpenID4VP 1.0
//! authorization request (`response_type` `vp_token`, a DCQL query, `response_mode`
//! `direct_post`) read and shown in plain terms (who asks, for what, which held credentials
//! can answer, what each would disclose), then answered with a `vp_token` of presentations
//! (`vc::presentation::present_for`: derived `bbs-2023` for the nonce, the holder's proof
//! with `domain` the client id) posted to the verifier's response URI, or refused with
//! `access_denied`. Every answer is logged with the verifier and what was disclosed.
//!
//! Requests are taken by value with the `redirect_uri:` client id prefix (the response URI
//! names the verifier); signed request objects are refused for now (`request_unsupported`).

use std::collections::BTreeMap;
use std::time::Duration;

use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::VaultEvent;
use citywallet_vc::dcql::{self, Query};
use serde::Serialize;
use serde_json::{Map, Value, json};
use ts_rs::TS;

use crate::Wallet;
#[cfg(test)]
use crate::WalletErrorCode;
use crate::error::{Error, Result};
use crate::issuance::{PRIVATE_VC_SPACE, VC_SPACE};
use citywallet_light_client::session::unix;

/// Longest request read (the URI, or the request object it points to).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
const TIMEOUT: Duration = Duration::from_secs(15);
/// The media type of a signed request object (RFC 9101).
pub const REQUEST_OBJECT_TYPE: &str = "oauth-authz-req+jwt";
/// The `aud` of a request object for a wallet found by static discovery (OpenID4VP 1.0 §5.8).
pub const SELF_ISSUED_AUDIENCE: &str = "https://self-issued.me/v2";
/// The client id prefix of a verifier named by its DID (here: an Ed25519 `did:key`).
pub const DID_PREFIX: &str = "decentralized_identifier:";
/// The `verifier_info` format naming the organisation record a verifier's key is registered
/// under on the city chain (`data`: the organisation id).
pub const ORG_INFO_FORMAT: &str = "urn:citywallet:org";
/// How far ahead of the wallet's clock a request's `iat` may be, seconds.
const MAX_IAT_AHEAD_SECS: i64 = 60;

/// How the verifier is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asker {
    /// `redirect_uri:` client id, unsigned: named by its response URI only; the chain does
    /// not vouch for it.
    Unverified,
    /// `decentralized_identifier:did:key:…`, the request signed by that key: an officer's or
    /// (with `verifier_info`) an organisation's key, checked on the chain.
    Signed {
        /// Its Ed25519 key.
        key: [u8; 32],
        /// The organisation it says it is.
        org: Option<String>,
    },
}

/// A verifier's request, read.
#[derive(Debug, Clone)]
pub struct Request {
    /// The client id.
    pub client_id: String,
    /// Who signed, if anyone.
    pub asker: Asker,
    /// Where the answer goes.
    pub response_uri: String,
    /// The nonce the answer is bound to.
    pub nonce: String,
    /// Echoed back.
    pub state: Option<String>,
    /// What is asked.
    pub query: Query,
}

fn malformed(what: &'static str) -> Error {
    Error::RequestMalformed(what)
}

/// The parameters of an `openid4vp://?…` URI (or any URI with its parameters in the query).
fn uri_params(text: &str) -> Result<Map<String, Value>> {
    let text = text.trim();
    if text.len() > MAX_REQUEST_BYTES {
        return Err(Error::TooLarge {
            what: "the presentation request",
            limit: MAX_REQUEST_BYTES as u64,
        });
    }
    let query = text
        .split_once('?')
        .map(|(_, q)| q)
        .ok_or(malformed("not a request URI"))?;
    let mut params = Map::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if params
            .insert(k.into_owned(), Value::String(v.into_owned()))
            .is_some()
        {
            return Err(malformed("a parameter is given twice"));
        }
    }
    Ok(params)
}

/// Read a request given by value without a signature (`redirect_uri:` client ids only).
pub fn parse_request(text: &str) -> Result<Request> {
    let params = uri_params(text)?;
    if params.contains_key("request") || params.contains_key("request_uri") {
        return Err(Error::RequestUnsupported("fetching a signed request here"));
    }
    from_params(&params, Asker::Unverified)
}

/// The request object `jwt` for the client id `client_id` the URI named, checked at `now`:
/// signed by the client id's `did:key`, for this wallet, not expired. Returns its claims
/// and who signed.
fn check_request_object(
    jwt: &str,
    client_id: Option<&str>,
    now: i64,
) -> Result<(Map<String, Value>, Asker)> {
    if jwt.len() > MAX_REQUEST_BYTES {
        return Err(Error::TooLarge {
            what: "the presentation request",
            limit: MAX_REQUEST_BYTES as u64,
        });
    }
    let signed = crate::jws::check(jwt, REQUEST_OBJECT_TYPE)?;
    let claims = signed.payload;
    let inner = claims.get("client_id").and_then(Value::as_str);
    if inner.is_none() || (client_id.is_some() && client_id != inner) {
        return Err(malformed("the client id differs inside the signed request"));
    }
    if inner.and_then(|c| c.strip_prefix(DID_PREFIX)) != Some(signed.did.as_str()) {
        return Err(Error::RequestSignatureInvalid(
            "the request is not signed by the client id's key",
        ));
    }
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err(malformed("a request inside the request"));
    }
    match claims.get("aud") {
        None => {}
        Some(Value::String(a)) if a == SELF_ISSUED_AUDIENCE => {}
        Some(_) => return Err(malformed("the request is addressed to another wallet")),
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(malformed("the request has no expiry"))?;
    if exp <= now {
        return Err(Error::RequestExpired);
    }
    if claims
        .get("iat")
        .and_then(Value::as_i64)
        .is_some_and(|iat| iat > now + MAX_IAT_AHEAD_SECS)
    {
        return Err(malformed("the request was issued in the future"));
    }
    let org = match claims.get("verifier_info") {
        None => None,
        Some(Value::Array(list)) => {
            let mut org = None;
            for item in list {
                if item.get("format").and_then(Value::as_str) == Some(ORG_INFO_FORMAT) {
                    let id = item
                        .get("data")
                        .and_then(Value::as_str)
                        .filter(|id| citywallet_protocol::is_valid_id(id))
                        .ok_or(malformed("the verifier info"))?;
                    if org.replace(id.to_owned()).is_some() {
                        return Err(malformed("the verifier info"));
                    }
                }
            }
            org
        }
        Some(_) => return Err(malformed("the verifier info")),
    };
    Ok((
        claims,
        Asker::Signed {
            key: signed.key.to_bytes(),
            org,
        },
    ))
}

/// The request's fields from its parameters (URI) or claims (request object).
fn from_params(params: &Map<String, Value>, asker: Asker) -> Result<Request> {
    let get = |k: &str| params.get(k).and_then(Value::as_str);
    if get("response_type") != Some("vp_token") {
        return Err(malformed("response_type is not vp_token"));
    }
    match get("response_mode") {
        Some("direct_post") => {}
        None => return Err(malformed("no response_mode")),
        Some(_) => {
            return Err(Error::RequestUnsupported(
                "response modes other than direct_post",
            ));
        }
    }
    let response_uri = get("response_uri")
        .ok_or(malformed("no response_uri"))?
        .to_owned();
    crate::issuance::check_url(&response_uri)
        .map_err(|_| Error::RequestMalformed("the response URI is not https"))?;
    let client_id = get("client_id")
        .ok_or(malformed("no client_id"))?
        .to_owned();
    match (client_id.split_once(':'), &asker) {
        (Some(("redirect_uri", uri)), Asker::Unverified) if uri == response_uri => {}
        (Some(("redirect_uri", _)), Asker::Unverified) => {
            return Err(malformed("the client id is not the response URI"));
        }
        (Some(("decentralized_identifier", _)), Asker::Signed { .. }) => {}
        (Some(("decentralized_identifier", _)), Asker::Unverified) => {
            return Err(Error::RequestSignatureInvalid(
                "a request from a DID client id must be signed",
            ));
        }
        _ => return Err(Error::RequestUnsupported("this client id prefix")),
    }
    let nonce = get("nonce")
        .filter(|n| {
            (1..=256).contains(&n.len())
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        })
        .ok_or(malformed("the nonce"))?
        .to_owned();
    let state = match params.get("state") {
        None => None,
        Some(Value::String(s)) if s.len() <= 256 => Some(s.clone()),
        Some(_) => return Err(malformed("the state")),
    };
    let dcql = match params.get("dcql_query") {
        Some(Value::String(text)) => {
            serde_json::from_str(text).map_err(|_| malformed("the dcql_query is not JSON"))?
        }
        Some(v @ Value::Object(_)) => v.clone(),
        _ => return Err(malformed("no dcql_query")),
    };
    let query = Query::parse(&dcql)?;
    // A verifier may ask only for a pseudonym of its own: one naming another verifier's
    // context would let it recognise the citizen as that verifier does.
    for q in &query.credentials {
        if let dcql::Privacy::Pseudonym(c) = &q.privacy
            && !citywallet_vc::private::is_context_of(c, &client_id)
        {
            return Err(malformed("a pseudonym context that is not this verifier's"));
        }
    }
    Ok(Request {
        client_id,
        asker,
        response_uri,
        nonce,
        state,
        query,
    })
}

/// Who is asking, as the chain names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerifierOut {
    /// The client id.
    pub client_id: String,
    /// What the chain says it is.
    pub kind: VerifierKind,
    /// Its registered name (an organisation's name, an officer's department), if any.
    pub name: Option<String>,
    /// The height of the verified header the chain facts are proven at.
    pub height: Option<u64>,
    /// For an organisation: the data categories this citizen's active grants give it
    /// (from the grants this wallet made).
    pub granted: Vec<String>,
}

/// What the chain says a verifier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum VerifierKind {
    /// Named only by its web address; the chain does not vouch for it.
    Unverified,
    /// A key holding the officer role.
    Officer,
    /// A registered, active organisation's key.
    Organisation,
}

/// One thing a verifier asks for, as a citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AskedCredential {
    /// The query's id.
    pub id: String,
    /// The credential types that would do.
    pub kinds: Vec<CredentialType>,
    /// The held credentials that can answer it, by id, with the claims each would disclose
    /// (beyond issuer, type, validity and holder, which every presentation shows).
    pub candidates: Vec<Candidate>,
    /// Whether it must be answered.
    pub required: bool,
}

/// A held credential that can answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Candidate {
    /// Credential id.
    pub credential: String,
    /// Its type.
    pub kind: CredentialType,
    /// The claims it would disclose (core names).
    pub disclose: Vec<String>,
    /// Its claims it would not disclose (core names).
    pub withhold: Vec<String>,
    /// What the answer would let the verifier recognise.
    pub recognition: Recognition,
}

/// What an answer lets a verifier recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Recognition {
    /// Nothing: a private credential, no DID, no id, a pseudonym for a random context.
    Nothing,
    /// The citizen, next time, by a pseudonym for this verifier's context (not who they
    /// are).
    Pseudonym,
    /// This credential (its id) and the citizen's DID: an ordinary credential.
    Credential,
}

impl Candidate {
    fn new(
        credential: String,
        kind: CredentialType,
        disclose: Vec<String>,
        recognition: Recognition,
    ) -> Self {
        let withhold = kind
            .claims()
            .iter()
            .map(|c| c.name.to_owned())
            .filter(|c| !disclose.contains(c))
            .collect();
        Self {
            credential,
            kind,
            disclose,
            withhold,
            recognition,
        }
    }
}

/// A credential held, as requests are matched against it: private ones first, so an
/// answer is private whenever it can be.
pub(crate) struct Held {
    id: String,
    vc: Value,
    types: Vec<String>,
    private: bool,
}

fn recognition(held: &Held, q: &dcql::CredentialQuery) -> Recognition {
    match (&q.privacy, held.private) {
        (_, false) => Recognition::Credential,
        (dcql::Privacy::Pseudonym(_), true) => Recognition::Pseudonym,
        (_, true) => Recognition::Nothing,
    }
}

/// An officer's challenge, as a citizen sees it before showing anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChallengePreview {
    /// Who asks.
    pub verifier: VerifierOut,
    /// How old the challenge is, seconds (an officer's check refuses one past 5 minutes).
    #[ts(type = "number")]
    pub age_secs: u64,
}

/// A verifier's request, as a citizen sees it before answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestPreview {
    /// Who asks.
    pub verifier: VerifierOut,
    /// What it asks for.
    pub asked: Vec<AskedCredential>,
    /// Whether the held credentials can answer.
    pub answerable: bool,
}

fn kinds_of(q: &dcql::CredentialQuery) -> Vec<CredentialType> {
    q.type_values
        .iter()
        .flatten()
        .filter_map(|t| t.strip_prefix(dcql::CITY_VOCAB))
        .filter_map(citywallet_vc::city::kind_of)
        .collect()
}

/// A held credential's type (a private one has no id of its own: its local one is used).
fn kind_of_held(h: &Held) -> Result<CredentialType> {
    if h.private {
        Ok(crate::issuance::private_summary(&h.id, &h.vc)?.kind)
    } else {
        Ok(crate::issuance::summary(&h.vc)?.kind)
    }
}

/// Core claim names from `/credentialSubject/term` pointers.
fn claim_names(kind: CredentialType, pointers: &[String]) -> Vec<String> {
    kind.claims()
        .iter()
        .filter(|c| {
            pointers
                .iter()
                .any(|p| p == &citywallet_vc::city::claim_pointer(c.name))
        })
        .map(|c| c.name.to_owned())
        .collect()
}

/// The verifier's HTTP client: no redirects, a time limit.
fn client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::VerifierUnreachable(e.to_string()))
}

/// Fetch the request object at `uri` (GET, no redirects, at most [`MAX_REQUEST_BYTES`]).
fn fetch_request_object(uri: &str) -> Result<String> {
    crate::issuance::check_url(uri)
        .map_err(|_| Error::RequestMalformed("the request URI is not https"))?;
    let resp = client()?
        .get(uri)
        .header(
            reqwest::header::ACCEPT,
            format!("application/{REQUEST_OBJECT_TYPE}"),
        )
        .send()
        .map_err(|e| Error::VerifierUnreachable(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(Error::VerifierRefused(resp.status().as_u16()));
    }
    let mut body = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(resp, MAX_REQUEST_BYTES as u64 + 1),
        &mut body,
    )
    .map_err(|e| Error::VerifierUnreachable(e.to_string()))?;
    if body.len() > MAX_REQUEST_BYTES {
        return Err(Error::TooLarge {
            what: "the presentation request",
            limit: MAX_REQUEST_BYTES as u64,
        });
    }
    String::from_utf8(body).map_err(|_| malformed("the request object is not text"))
}

impl Wallet {
    /// Read `text`: a request by value (unsigned, `redirect_uri:` client id), a signed
    /// request object by value (`request`) or by reference (`request_uri`, fetched with
    /// GET). A signed request is checked against its client id's `did:key` and this
    /// wallet's clock.
    pub fn resolve_request(&self, text: &str) -> Result<Request> {
        let params = uri_params(text)?;
        let outer = params.get("client_id").and_then(Value::as_str);
        let jwt = match (params.get("request"), params.get("request_uri")) {
            (None, None) => return from_params(&params, Asker::Unverified),
            (Some(_), Some(_)) => return Err(malformed("both request and request_uri")),
            (Some(Value::String(jwt)), None) => jwt.clone(),
            (None, Some(Value::String(uri))) => {
                match params.get("request_uri_method").and_then(Value::as_str) {
                    None | Some("get") => {}
                    Some(_) => return Err(Error::RequestUnsupported("request_uri_method post")),
                }
                if !outer.is_some_and(|c| c.starts_with(DID_PREFIX)) {
                    return Err(Error::RequestUnsupported("this client id prefix"));
                }
                fetch_request_object(uri)?
            }
            _ => return Err(malformed("the request parameter")),
        };
        let (claims, asker) = check_request_object(&jwt, outer, self.now_secs())?;
        from_params(&claims, asker)
    }

    /// Who asks, from the chain at a header verified now: the signing key must hold the
    /// officer role, or be the key of the active organisation the request names. A request
    /// by value names only its response URI.
    pub fn who_asks(&mut self, r: &Request) -> Result<VerifierOut> {
        let Asker::Signed { key, org } = &r.asker else {
            return Ok(VerifierOut {
                client_id: r.client_id.clone(),
                kind: VerifierKind::Unverified,
                name: None,
                height: None,
                granted: Vec::new(),
            });
        };
        let mut s = self.anchored(crate::Spend::Sync)?;
        let at = s.fresh()?;
        let height = Some(at.height().value());
        let unknown = || Error::VerifierUnknown(r.client_id.clone());
        let mut granted = Vec::new();
        let (kind, name) = match org {
            Some(id) => {
                let rec = s.org(&at, id)?.ok_or_else(unknown)?;
                if rec.status != citywallet_protocol::Status::Active
                    || !rec.key.eq_ignore_ascii_case(&hex::encode(key))
                {
                    return Err(unknown());
                }
                let now = u64::try_from(unix(s.now())).unwrap_or(0);
                for g in s.vault().grants()? {
                    if g.org == *id
                        && g.status == citywallet_core::vault::GrantState::Active
                        && g.expires_at > now
                    {
                        granted.extend(g.categories);
                    }
                }
                granted.sort();
                granted.dedup();
                (VerifierKind::Organisation, Some(rec.name))
            }
            None => {
                let department = s
                    .role_department(&at, citywallet_protocol::Role::Officer, key)?
                    .ok_or_else(unknown)?;
                (
                    VerifierKind::Officer,
                    Some(department).filter(|d| !d.is_empty()),
                )
            }
        };
        Ok(VerifierOut {
            client_id: r.client_id.clone(),
            kind,
            name,
            height,
            granted,
        })
    }

    /// Who gave an officer's challenge (its JSON text), from the chain at a header verified
    /// now, before anything is shown to them: a challenge naming a key that holds the
    /// officer role is an officer's (with the department); any other verifier is
    /// unverified, and the citizen decides.
    pub fn preview_challenge(&mut self, challenge: &str) -> Result<ChallengePreview> {
        let c = citywallet_core::credentials::Challenge::from_json(challenge.trim().as_bytes())?;
        let age_secs = u64::try_from(self.now_secs() - c.issued_at).unwrap_or(0);
        let unverified = VerifierOut {
            client_id: c.verifier.clone(),
            kind: VerifierKind::Unverified,
            name: None,
            height: None,
            granted: Vec::new(),
        };
        let Ok(key) = citywallet_core::keys::parse_did_key(&c.verifier) else {
            return Ok(ChallengePreview {
                verifier: unverified,
                age_secs,
            });
        };
        let mut s = self.anchored(crate::Spend::Sync)?;
        let at = s.fresh()?;
        let department =
            s.role_department(&at, citywallet_protocol::Role::Officer, &key.to_bytes())?;
        let verifier = match department {
            Some(d) => VerifierOut {
                kind: VerifierKind::Officer,
                name: Some(d).filter(|d| !d.is_empty()),
                height: Some(at.height().value()),
                ..unverified
            },
            None => VerifierOut {
                height: Some(at.height().value()),
                ..unverified
            },
        };
        Ok(ChallengePreview { verifier, age_secs })
    }

    /// The W3C credentials held: id, JSON, expanded types.
    pub(crate) fn held_vcs(&self) -> Result<Vec<(String, Value, Vec<String>)>> {
        self.vault()?
            .documents(VC_SPACE)?
            .iter()
            .map(|d| {
                let v: Value = serde_json::from_slice(&d.body)
                    .map_err(|_| Error::CredentialMalformed("stored"))?;
                let types = dcql::expanded_types(&v);
                Ok((d.name.clone(), v, types))
            })
            .collect()
    }

    /// Every credential a request can be answered with: the private ones, then the
    /// ordinary ones.
    fn held_for_requests(&self) -> Result<Vec<Held>> {
        let mut out = Vec::new();
        for d in self.vault()?.documents(PRIVATE_VC_SPACE)? {
            let vc: Value = serde_json::from_slice(&d.body)
                .map_err(|_| Error::CredentialMalformed("stored"))?;
            let types = dcql::expanded_types(&vc);
            out.push(Held {
                id: d.name.clone(),
                vc,
                types,
                private: true,
            });
        }
        for (id, vc, types) in self.held_vcs()? {
            out.push(Held {
                id,
                vc,
                types,
                private: false,
            });
        }
        Ok(out)
    }

    /// Read `request` and say who asks for what, what each held credential would disclose
    /// and what it would let the verifier recognise. Nothing is sent.
    pub fn preview_request(&mut self, request: &str) -> Result<RequestPreview> {
        let r = self.resolve_request(request)?;
        let verifier = self.who_asks(&r)?;
        let held = self.held_for_requests()?;
        let pairs: Vec<(Value, Vec<String>)> = held
            .iter()
            .map(|h| (h.vc.clone(), h.types.clone()))
            .collect();
        let matched = r.query.query(&pairs);
        let required = |id: &str| match &r.query.credential_sets {
            None => true,
            Some(sets) => sets
                .iter()
                .any(|s| s.required && s.options.iter().any(|o| o.iter().any(|x| x == id))),
        };
        let asked = r
            .query
            .credentials
            .iter()
            .map(|q| {
                let candidates = held
                    .iter()
                    .filter_map(|h| {
                        let pointers = q.matches(&h.vc, &h.types)?;
                        let kind = kind_of_held(h).ok()?;
                        Some(Candidate::new(
                            h.id.clone(),
                            kind,
                            claim_names(kind, &pointers),
                            recognition(h, q),
                        ))
                    })
                    .collect();
                AskedCredential {
                    id: q.id.clone(),
                    kinds: kinds_of(q),
                    candidates,
                    required: required(&q.id),
                }
            })
            .collect();
        Ok(RequestPreview {
            verifier,
            asked,
            answerable: matched.is_ok(),
        })
    }

    /// Answer `request`: for each credential query to answer, the credential `choose` names
    /// for it (else the first that can: a private one when one is held), presented for the
    /// verifier's nonce and client id (a private credential with no DID, with the pseudonym
    /// for the verifier's context when it asked for one), posted to its response URI. A
    /// request the held credentials cannot answer is refused to the verifier with
    /// `access_denied` (nothing disclosed) and is `request_unsatisfiable` here.
    pub fn answer_request(
        &mut self,
        request: &str,
        choose: &BTreeMap<String, String>,
    ) -> Result<Vec<Candidate>> {
        let r = self.resolve_request(request)?;
        let verifier = self.who_asks(&r)?;
        let held = self.held_for_requests()?;
        let pairs: Vec<(Value, Vec<String>)> = held
            .iter()
            .map(|h| (h.vc.clone(), h.types.clone()))
            .collect();
        let matched = match r.query.query(&pairs) {
            Ok(m) => m,
            Err(e) => {
                post(&r, &[("error", "access_denied".to_owned())])?;
                return Err(e.into());
            }
        };
        let key = self
            .vault()?
            .key_pair(citywallet_core::keys::KeyPath::IDENTITY)?;
        let now = tendermint::Time::from_unix_timestamp(self.now_secs(), 0)
            .map(|t| t.to_rfc3339())
            .map_err(|_| Error::Encode("the time"))?;
        let mut token = serde_json::Map::new();
        let mut shown = Vec::new();
        for id in &matched.to_answer {
            let list = &matched.candidates[id];
            let pick = match choose.get(id) {
                Some(want) => list.iter().find(|c| &held[c.index].id == want).ok_or(
                    Error::RequestMalformed("the chosen credential does not answer the query"),
                )?,
                None => list
                    .first()
                    .ok_or(Error::Vc(citywallet_vc::VcError::DcqlUnsatisfiable))?,
            };
            let q = r
                .query
                .credentials
                .iter()
                .find(|q| &q.id == id)
                .ok_or(Error::Vc(citywallet_vc::VcError::DcqlUnsatisfiable))?;
            let h = &held[pick.index];
            let kind = kind_of_held(h)?;
            let names = claim_names(kind, &pick.disclose);
            let vp = if h.private {
                let context = match &q.privacy {
                    dcql::Privacy::Pseudonym(c) => Some(c.as_str()),
                    _ => None,
                };
                let claims: Vec<&str> = names.iter().map(String::as_str).collect();
                self.present_private(&h.id, &claims, &r.nonce, &r.client_id, context)?
            } else {
                citywallet_vc::presentation::present_for(
                    &h.vc,
                    &pick.disclose,
                    &r.nonce,
                    &r.client_id,
                    &key,
                    &now,
                )?
            };
            token.insert(id.clone(), json!([vp]));
            shown.push(Candidate::new(h.id.clone(), kind, names, recognition(h, q)));
        }
        let vp_token = Value::Object(token).to_string();
        post(&r, &[("vp_token", vp_token)])?;
        self.vault_mut()?.log_activity(
            VaultEvent::CredentialPresented,
            &json!({ "verifier": r.client_id, "verifierName": verifier.name,
                "verifierKind": verifier.kind, "answered": shown.iter().map(|c| json!({
                "credential": c.credential, "disclosed": c.disclose,
                "recognition": c.recognition })).collect::<Vec<_>>() }),
        )?;
        Ok(shown)
    }

    /// Refuse `request`: the verifier is told `access_denied`; nothing is disclosed.
    pub fn refuse_request(&mut self, request: &str) -> Result<()> {
        let r = self.resolve_request(request)?;
        post(&r, &[("error", "access_denied".to_owned())])
    }
}

/// Post `fields` (with the request's state) to the verifier, as `direct_post` does.
fn post(r: &Request, fields: &[(&str, String)]) -> Result<()> {
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(s) = &r.state {
        form.push(("state", s));
    }
    let resp = client()?
        .post(&r.response_uri)
        .form(&form)
        .send()
        .map_err(|e| Error::VerifierUnreachable(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(Error::VerifierRefused(resp.status().as_u16()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer as _, SigningKey};

    const NOW: i64 = 1_800_000_000;

    fn public(k: &SigningKey) -> citywallet_core::keys::PublicKey {
        citywallet_core::keys::PublicKey::from_bytes(&k.verifying_key().to_bytes()).expect("key")
    }

    fn client_id(k: &SigningKey) -> String {
        format!("{DID_PREFIX}{}", public(k).did_key())
    }

    fn claims(k: &SigningKey) -> Value {
        json!({
            "client_id": client_id(k),
            "aud": SELF_ISSUED_AUDIENCE,
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "response_uri": "https://verifier.example/response",
            "nonce": "n0nce",
            "state": "s",
            "dcql_query": { "credentials": [{ "id": "c", "format": "ldp_vc",
                "meta": { "type_values": [["https://w3id.org/citywallet#CreditScoreCredential"]] } }] },
            "iat": NOW,
            "exp": NOW + 300,
            "verifier_info": [{ "format": ORG_INFO_FORMAT, "data": "health-research" }],
        })
    }

    fn jwt(k: &SigningKey, claims: &Value) -> String {
        crate::jws::sign(REQUEST_OBJECT_TYPE, claims, &public(k), &|m| k.sign(m))
    }

    fn check(jwt: &str, outer: Option<&str>) -> Result<Request> {
        let (claims, asker) = check_request_object(jwt, outer, NOW)?;
        from_params(&claims, asker)
    }

    #[test]
    fn a_pseudonym_of_the_verifiers_own_context_is_taken() {
        let k = SigningKey::from_bytes(&[3; 32]);
        let mut c = claims(&k);
        let context = citywallet_vc::private::verifier_context(&client_id(&k), "survey");
        c["dcql_query"]["credentials"][0]["meta"][dcql::PSEUDONYM_META] = json!(context);
        let r = check(&jwt(&k, &c), Some(&client_id(&k))).expect("request");
        assert_eq!(
            r.query.credentials[0].privacy,
            dcql::Privacy::Pseudonym(context)
        );
    }

    #[test]
    fn a_signed_request_names_its_key_and_organisation() {
        let k = SigningKey::from_bytes(&[3; 32]);
        let r = check(&jwt(&k, &claims(&k)), Some(&client_id(&k))).expect("request");
        assert_eq!(
            r.asker,
            Asker::Signed {
                key: k.verifying_key().to_bytes(),
                org: Some("health-research".into())
            }
        );
        assert_eq!(r.nonce, "n0nce");
        assert_eq!(r.query.credentials[0].id, "c");
    }

    #[test]
    fn signed_requests_that_do_not_check_are_refused() {
        let k = SigningKey::from_bytes(&[3; 32]);
        let other = SigningKey::from_bytes(&[4; 32]);
        let id = client_id(&k);
        let with = |f: &dyn Fn(&mut Value)| {
            let mut c = claims(&k);
            f(&mut c);
            jwt(&k, &c)
        };
        let cases: Vec<(&str, String, Option<String>, WalletErrorCode)> = vec![
            (
                "expired",
                with(&|c| c["exp"] = json!(NOW)),
                Some(id.clone()),
                WalletErrorCode::RequestExpired,
            ),
            (
                "for another wallet",
                with(&|c| c["aud"] = json!("https://other.example")),
                Some(id.clone()),
                WalletErrorCode::RequestMalformed,
            ),
            (
                "issued in the future",
                with(&|c| c["iat"] = json!(NOW + 3600)),
                Some(id.clone()),
                WalletErrorCode::RequestMalformed,
            ),
            (
                "outer client id differs",
                jwt(&k, &claims(&k)),
                Some(client_id(&other)),
                WalletErrorCode::RequestMalformed,
            ),
            (
                "signed by another key",
                jwt(&other, &claims(&k)),
                Some(id.clone()),
                WalletErrorCode::RequestSignatureInvalid,
            ),
            (
                "no expiry",
                with(&|c| {
                    c.as_object_mut().expect("obj").remove("exp");
                }),
                Some(id.clone()),
                WalletErrorCode::RequestMalformed,
            ),
            (
                "a bad organisation id",
                with(&|c| c["verifier_info"][0]["data"] = json!("Not An Id!")),
                Some(id.clone()),
                WalletErrorCode::RequestMalformed,
            ),
            (
                "a response mode not taken",
                with(&|c| c["response_mode"] = json!("direct_post.jwt")),
                Some(id.clone()),
                WalletErrorCode::RequestUnsupported,
            ),
            (
                "another verifier's pseudonym context",
                with(&|c| {
                    c["dcql_query"]["credentials"][0]["meta"][dcql::PSEUDONYM_META] = json!(
                        citywallet_vc::private::verifier_context(&client_id(&other), "p")
                    );
                }),
                Some(id.clone()),
                WalletErrorCode::RequestMalformed,
            ),
            (
                "a pseudonym context with no purpose",
                with(&|c| {
                    c["dcql_query"]["credentials"][0]["meta"][dcql::PSEUDONYM_META] =
                        json!(citywallet_vc::private::verifier_context(&id, ""));
                }),
                Some(id.clone()),
                WalletErrorCode::RequestMalformed,
            ),
        ];
        for (label, jwt, outer, want) in cases {
            let e = check(&jwt, outer.as_deref()).expect_err(label);
            assert_eq!(e.code(), crate::ErrorCode::Wallet(want), "{label}: {e}");
        }
        // An unsigned request may not use a DID client id.
        let uri = format!(
            "openid4vp://?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", &id)
                .append_pair("response_type", "vp_token")
                .append_pair("response_mode", "direct_post")
                .append_pair("response_uri", "https://verifier.example/response")
                .append_pair("nonce", "n")
                .append_pair("dcql_query", &claims(&k)["dcql_query"].to_string())
                .finish()
        );
        let e = parse_request(&uri).expect_err("unsigned DID client");
        assert_eq!(
            e.code(),
            crate::ErrorCode::Wallet(WalletErrorCode::RequestSignatureInvalid)
        );
    }
}
