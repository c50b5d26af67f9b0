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
use serde_json::{Value, json};
use ts_rs::TS;

use crate::Wallet;
use crate::error::{Error, Result};
use crate::issuance::VC_SPACE;

/// Longest request read (the URI).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
const TIMEOUT: Duration = Duration::from_secs(15);

/// A verifier's request, read.
#[derive(Debug, Clone)]
pub struct Request {
    /// The client id (`redirect_uri:` and the response URI).
    pub client_id: String,
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

/// Read an `openid4vp://?…` request (or any URI with its parameters in the query).
pub fn parse_request(text: &str) -> Result<Request> {
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
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if params.insert(k.into_owned(), v.into_owned()).is_some() {
            return Err(malformed("a parameter is given twice"));
        }
    }
    if params.contains_key("request") || params.contains_key("request_uri") {
        return Err(Error::RequestUnsupported("signed request objects"));
    }
    let get = |k: &str| params.get(k).map(String::as_str);
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
    match client_id.split_once(':') {
        Some(("redirect_uri", uri)) if uri == response_uri => {}
        Some(("redirect_uri", _)) => {
            return Err(malformed("the client id is not the response URI"));
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
    let state = match get("state") {
        Some(s) if s.len() > 256 => return Err(malformed("the state")),
        s => s.map(str::to_owned),
    };
    let dcql: Value = serde_json::from_str(get("dcql_query").ok_or(malformed("no dcql_query"))?)
        .map_err(|_| malformed("the dcql_query is not JSON"))?;
    let query = Query::parse(&dcql)?;
    Ok(Request {
        client_id,
        response_uri,
        nonce,
        state,
        query,
    })
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
}

/// A verifier's request, as a citizen sees it before answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestPreview {
    /// Who asks (its client id).
    pub verifier: String,
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

impl Wallet {
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

    /// Read `request` and say who asks for what, and what each held credential would
    /// disclose. Nothing is sent.
    pub fn preview_request(&self, request: &str) -> Result<RequestPreview> {
        let r = parse_request(request)?;
        let held = self.held_vcs()?;
        let pairs: Vec<(Value, Vec<String>)> = held
            .iter()
            .map(|(_, v, t)| (v.clone(), t.clone()))
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
                let candidates = pairs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (v, t))| {
                        let pointers = q.matches(v, t)?;
                        let kind = crate::issuance::summary(v).ok()?.kind;
                        Some(Candidate {
                            credential: held[i].0.clone(),
                            kind,
                            disclose: claim_names(kind, &pointers),
                        })
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
            verifier: r.client_id,
            asked,
            answerable: matched.is_ok(),
        })
    }

    /// Answer `request`: for each credential query to answer, the credential `choose` names
    /// for it (else the first that can), presented for the verifier's nonce and client id,
    /// posted to its response URI. A request the held credentials cannot answer is refused
    /// to the verifier with `access_denied` (nothing disclosed) and is
    /// `request_unsatisfiable` here.
    pub fn answer_request(
        &mut self,
        request: &str,
        choose: &BTreeMap<String, String>,
    ) -> Result<Vec<Candidate>> {
        let r = parse_request(request)?;
        let held = self.held_vcs()?;
        let pairs: Vec<(Value, Vec<String>)> = held
            .iter()
            .map(|(_, v, t)| (v.clone(), t.clone()))
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
                Some(want) => list.iter().find(|c| &held[c.index].0 == want).ok_or(
                    Error::RequestMalformed("the chosen credential does not answer the query"),
                )?,
                None => list
                    .first()
                    .ok_or(Error::Vc(citywallet_vc::VcError::DcqlUnsatisfiable))?,
            };
            let (credential, vc, _) = &held[pick.index];
            let vp = citywallet_vc::presentation::present_for(
                vc,
                &pick.disclose,
                &r.nonce,
                &r.client_id,
                &key,
                &now,
            )?;
            token.insert(id.clone(), json!([vp]));
            let kind = crate::issuance::summary(vc)?.kind;
            shown.push(Candidate {
                credential: credential.clone(),
                kind,
                disclose: claim_names(kind, &pick.disclose),
            });
        }
        let vp_token = Value::Object(token).to_string();
        post(&r, &[("vp_token", vp_token)])?;
        self.vault_mut()?.log_activity(
            VaultEvent::CredentialPresented,
            &json!({ "verifier": r.client_id, "answered": shown.iter().map(|c| json!({
                "credential": c.credential, "disclosed": c.disclose })).collect::<Vec<_>>() }),
        )?;
        Ok(shown)
    }

    /// Refuse `request`: the verifier is told `access_denied`; nothing is disclosed.
    pub fn refuse_request(&mut self, request: &str) -> Result<()> {
        let r = parse_request(request)?;
        post(&r, &[("error", "access_denied".to_owned())])
    }
}

/// Post `fields` (with the request's state) to the verifier, as `direct_post` does.
fn post(r: &Request, fields: &[(&str, String)]) -> Result<()> {
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(s) = &r.state {
        form.push(("state", s));
    }
    let client = reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::VerifierUnreachable(e.to_string()))?;
    let resp = client
        .post(&r.response_uri)
        .form(&form)
        .send()
        .map_err(|e| Error::VerifierUnreachable(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(Error::VerifierRefused(resp.status().as_u16()));
    }
    Ok(())
}
