//! The Digital Credentials Query Language (OpenID4VP 1.0 §6, §7 and Annex B.1) for W3C
//! credentials (`ldp_vc`): a verifier's query read and checked, the wallet's matching of
//! held credentials against it (which credentials can answer which query, and the claim
//! paths each would disclose), and the verifier's check that what was presented answers it.
//!
//! Written here rather than taken from a crate: the Rust DCQL crates on crates.io are
//! placeholders or need a newer compiler (see the issue 16 notes); the subset is small and
//! is tested against the `dcql` npm package (`vc/tests/dcql.rs`).
//!
//! Types are compared as fully expanded IRIs (§B.1.1): [`expanded_types`] gives a city
//! credential's.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::city;

/// Largest query read (its JSON).
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Most credential queries in one query.
pub const MAX_CREDENTIAL_QUERIES: usize = 16;
/// Most claims queries in one credential query.
pub const MAX_CLAIMS: usize = 32;
/// Longest claims path.
pub const MAX_PATH: usize = 16;

/// The expanded IRI of VC 2.0's `VerifiableCredential` type.
pub const VERIFIABLE_CREDENTIAL_IRI: &str =
    "https://www.w3.org/2018/credentials#VerifiableCredential";
/// The city context's vocabulary.
pub const CITY_VOCAB: &str = "https://w3id.org/citywallet#";

use crate::{Result, VcError};

/// One step of a claims path (§7): a key, an array index, or every array element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
    /// Every element of an array.
    All,
}

/// One claims query.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimsQuery {
    /// Its id (needed by claim sets).
    pub id: Option<String>,
    /// The path from the credential's root.
    pub path: Vec<Step>,
    /// Values one of which the claim must have, if given.
    pub values: Option<Vec<Value>>,
}

/// The `meta` member of a credential query naming a pseudonym context: the answer must be
/// a private presentation with the pseudonym for it (the verifier will recognise the
/// citizen next time).
pub const PSEUDONYM_META: &str = "citywallet_pseudonym_context";
/// The `meta` member of a credential query asking for the baseline (linkable) form: the
/// answer must be an ordinary credential, whose id and holder the verifier sees.
pub const LINKABLE_META: &str = "citywallet_linkable";
/// Longest pseudonym context taken.
pub const MAX_CONTEXT_BYTES: usize = 256;

/// What a credential query asks of the answer's linkability.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Privacy {
    /// Either form; the wallet answers with a private credential when it holds one (no
    /// stable value: nothing recognises the citizen).
    #[default]
    Any,
    /// A private credential with the pseudonym for this context.
    Pseudonym(String),
    /// An ordinary credential (its id and holder shown).
    Linkable,
}

impl Privacy {
    /// Whether `credential` is of the form this asks for: a private credential carries no
    /// id and no subject id, an ordinary one both.
    pub fn admits(&self, credential: &Value) -> bool {
        let private =
            credential.get("id").is_none() && credential.pointer("/credentialSubject/id").is_none();
        match self {
            Self::Any => true,
            Self::Pseudonym(_) => private,
            Self::Linkable => !private,
        }
    }
}

/// One credential query.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialQuery {
    /// Its id.
    pub id: String,
    /// Whether several credentials may answer it.
    pub multiple: bool,
    /// Alternatives of expanded type IRIs; a credential matches one if it has all of them.
    pub type_values: Vec<Vec<String>>,
    /// The claims asked for (none: only what every presentation discloses).
    pub claims: Vec<ClaimsQuery>,
    /// Alternative sets of claim ids, in the verifier's order of preference.
    pub claim_sets: Option<Vec<Vec<String>>>,
    /// Whether the answer must be bound to the holder's key (the default).
    pub require_holder_binding: bool,
    /// The linkability asked for (this project's `meta` members).
    pub privacy: Privacy,
}

/// One credential set: options (sets of credential query ids), one of which answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSet {
    /// The options.
    pub options: Vec<Vec<String>>,
    /// Whether the set must be answered.
    pub required: bool,
}

/// A DCQL query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The credential queries.
    pub credentials: Vec<CredentialQuery>,
    /// The credential sets, if any (else every credential query is required).
    pub credential_sets: Option<Vec<CredentialSet>>,
}

fn invalid(what: &'static str) -> VcError {
    VcError::DcqlInvalid(what)
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn strings(v: &Value, what: &'static str) -> Result<Vec<String>> {
    v.as_array()
        .filter(|a| !a.is_empty() && a.len() <= 16)
        .ok_or(invalid(what))?
        .iter()
        .map(|s| {
            s.as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or(invalid(what))
        })
        .collect()
}

fn claims_query(v: &Value) -> Result<ClaimsQuery> {
    let o = v
        .as_object()
        .ok_or(invalid("a claims query is not an object"))?;
    let id = match o.get("id") {
        None => None,
        Some(Value::String(s)) if is_id(s) => Some(s.clone()),
        Some(_) => return Err(invalid("a claims query id")),
    };
    let path = o
        .get("path")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty() && p.len() <= MAX_PATH)
        .ok_or(invalid("a claims path"))?
        .iter()
        .map(|s| match s {
            Value::String(k) => Ok(Step::Key(k.clone())),
            Value::Null => Ok(Step::All),
            Value::Number(n) => n
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .map(Step::Index)
                .ok_or(invalid("a claims path index")),
            _ => Err(invalid("a claims path element")),
        })
        .collect::<Result<_>>()?;
    let values = match o.get("values") {
        None => None,
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= 32 => {
            if a.iter()
                .any(|x| !(x.is_string() || x.is_number() || x.is_boolean()))
            {
                return Err(invalid("a claims value is not a string, number or boolean"));
            }
            Some(a.clone())
        }
        Some(_) => return Err(invalid("claims values")),
    };
    Ok(ClaimsQuery { id, path, values })
}

fn credential_query(v: &Value) -> Result<CredentialQuery> {
    let o = v
        .as_object()
        .ok_or(invalid("a credential query is not an object"))?;
    let id = o
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| is_id(s))
        .ok_or(invalid("a credential query id"))?
        .to_owned();
    if o.get("format").and_then(Value::as_str) != Some("ldp_vc") {
        return Err(invalid("only the ldp_vc format is supported"));
    }
    let bool_or = |k: &str, default: bool| match o.get(k) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid("a boolean member")),
    };
    let type_values = o
        .get("meta")
        .and_then(|m| m.get("type_values"))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty() && a.len() <= 16)
        .ok_or(invalid("meta.type_values (required for ldp_vc)"))?
        .iter()
        .map(|t| strings(t, "a type_values entry"))
        .collect::<Result<_>>()?;
    let meta = o.get("meta");
    let privacy = match (
        meta.and_then(|m| m.get(PSEUDONYM_META)),
        meta.and_then(|m| m.get(LINKABLE_META)),
    ) {
        (None, None | Some(Value::Bool(false))) => Privacy::Any,
        (None, Some(Value::Bool(true))) => Privacy::Linkable,
        (Some(Value::String(c)), None)
            if !c.is_empty()
                && c.len() <= MAX_CONTEXT_BYTES
                && !c.chars().any(char::is_control) =>
        {
            Privacy::Pseudonym(c.clone())
        }
        (Some(_), Some(_)) => return Err(invalid("a pseudonym and the linkable form both")),
        _ => return Err(invalid("a pseudonym context or the linkable flag")),
    };
    let claims: Vec<ClaimsQuery> = match o.get("claims") {
        None => Vec::new(),
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_CLAIMS => {
            a.iter().map(claims_query).collect::<Result<_>>()?
        }
        Some(_) => return Err(invalid("claims")),
    };
    let ids: Vec<&str> = claims.iter().filter_map(|c| c.id.as_deref()).collect();
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err(invalid("two claims queries with one id"));
    }
    let claim_sets = match o.get("claim_sets") {
        None => None,
        Some(v) => {
            if claims.is_empty() || claims.iter().any(|c| c.id.is_none()) {
                return Err(invalid("claim_sets need claims with ids"));
            }
            let sets: Vec<Vec<String>> = v
                .as_array()
                .filter(|a| !a.is_empty() && a.len() <= 16)
                .ok_or(invalid("claim_sets"))?
                .iter()
                .map(|s| strings(s, "a claim set"))
                .collect::<Result<_>>()?;
            if sets.iter().flatten().any(|c| !ids.contains(&c.as_str())) {
                return Err(invalid("a claim set names no claims query"));
            }
            Some(sets)
        }
    };
    Ok(CredentialQuery {
        id,
        multiple: bool_or("multiple", false)?,
        type_values,
        claims,
        claim_sets,
        require_holder_binding: bool_or("require_cryptographic_holder_binding", true)?,
        privacy,
    })
}

impl Query {
    /// Read a query (the `dcql_query` parameter's JSON). Unknown members are ignored, as
    /// §6 asks.
    pub fn parse(v: &Value) -> Result<Self> {
        if serde_json::to_vec(v).map_or(true, |b| b.len() > MAX_QUERY_BYTES) {
            return Err(invalid("the query is too large"));
        }
        let credentials: Vec<CredentialQuery> = v
            .get("credentials")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty() && a.len() <= MAX_CREDENTIAL_QUERIES)
            .ok_or(invalid("credentials"))?
            .iter()
            .map(credential_query)
            .collect::<Result<_>>()?;
        let ids: BTreeSet<&str> = credentials.iter().map(|c| c.id.as_str()).collect();
        if ids.len() != credentials.len() {
            return Err(invalid("two credential queries with one id"));
        }
        let credential_sets = match v.get("credential_sets") {
            None => None,
            Some(sets) => Some(
                sets.as_array()
                    .filter(|a| !a.is_empty() && a.len() <= 16)
                    .ok_or(invalid("credential_sets"))?
                    .iter()
                    .map(|s| {
                        let options: Vec<Vec<String>> = s
                            .get("options")
                            .and_then(Value::as_array)
                            .filter(|a| !a.is_empty() && a.len() <= 16)
                            .ok_or(invalid("credential set options"))?
                            .iter()
                            .map(|o| strings(o, "a credential set option"))
                            .collect::<Result<_>>()?;
                        if options
                            .iter()
                            .flatten()
                            .any(|id| !ids.contains(id.as_str()))
                        {
                            return Err(invalid("a credential set names no credential query"));
                        }
                        let required = match s.get("required") {
                            None => true,
                            Some(Value::Bool(b)) => *b,
                            Some(_) => return Err(invalid("required")),
                        };
                        Ok(CredentialSet { options, required })
                    })
                    .collect::<Result<_>>()?,
            ),
        };
        Ok(Self {
            credentials,
            credential_sets,
        })
    }
}

/// The expanded type IRIs of a city credential (VC 2.0 with the city's context).
pub fn expanded_types(credential: &Value) -> Vec<String> {
    credential
        .get("type")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(|t| match t {
                    "VerifiableCredential" => VERIFIABLE_CREDENTIAL_IRI.to_owned(),
                    t if city::kind_of(t).is_some() => format!("{CITY_VOCAB}{t}"),
                    t => t.to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The values a path selects (§7.1), each with the JSON pointer that discloses it; `None`
/// when the path selects nothing.
fn select(root: &Value, path: &[Step]) -> Option<Vec<(String, Value)>> {
    let mut current: Vec<(String, &Value)> = vec![(String::new(), root)];
    for step in path {
        let mut next = Vec::new();
        for (pointer, v) in current {
            match (step, v) {
                (Step::Key(k), Value::Object(o)) => {
                    if let Some(x) = o.get(k) {
                        let key = k.replace('~', "~0").replace('/', "~1");
                        next.push((format!("{pointer}/{key}"), x));
                    }
                }
                (Step::Index(i), Value::Array(a)) => {
                    if let Some(x) = a.get(*i) {
                        next.push((format!("{pointer}/{i}"), x));
                    }
                }
                (Step::All, Value::Array(a)) => {
                    next.extend(
                        a.iter()
                            .enumerate()
                            .map(|(i, x)| (format!("{pointer}/{i}"), x)),
                    );
                }
                _ => return None,
            }
        }
        if next.is_empty() {
            return None;
        }
        current = next;
    }
    Some(current.into_iter().map(|(p, v)| (p, v.clone())).collect())
}

/// The pointers that disclose `claim` of `credential`, when it matches (present, and one of
/// the values asked for when some are).
fn claim_pointers(credential: &Value, claim: &ClaimsQuery) -> Option<Vec<String>> {
    let selected = select(credential, &claim.path)?;
    let selected: Vec<(String, Value)> = match &claim.values {
        None => selected,
        Some(wanted) => selected
            .into_iter()
            .filter(|(_, v)| wanted.contains(v))
            .collect(),
    };
    (!selected.is_empty()).then(|| selected.into_iter().map(|(p, _)| p).collect())
}

impl CredentialQuery {
    /// Whether `credential` (with its expanded `types`, of the form the query's privacy
    /// admits) answers this query, and if so the
    /// JSON pointers of what it would disclose: the claims asked for (the first claim set,
    /// in the verifier's order, that it can answer).
    pub fn matches(&self, credential: &Value, types: &[String]) -> Option<Vec<String>> {
        if !self.privacy.admits(credential) {
            return None;
        }
        if !self
            .type_values
            .iter()
            .any(|want| want.iter().all(|t| types.contains(t)))
        {
            return None;
        }
        if self.claims.is_empty() {
            return Some(Vec::new());
        }
        let answer = |claims: &[&ClaimsQuery]| -> Option<Vec<String>> {
            let mut pointers = Vec::new();
            for c in claims {
                pointers.extend(claim_pointers(credential, c)?);
            }
            Some(pointers)
        };
        match &self.claim_sets {
            None => answer(&self.claims.iter().collect::<Vec<_>>()),
            Some(sets) => sets.iter().find_map(|set| {
                let claims: Vec<&ClaimsQuery> = set
                    .iter()
                    .filter_map(|id| self.claims.iter().find(|c| c.id.as_deref() == Some(id)))
                    .collect();
                answer(&claims)
            }),
        }
    }
}

/// A held credential that can answer a credential query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its position among the credentials given.
    pub index: usize,
    /// What it would disclose (JSON pointers), beside what every presentation discloses.
    pub disclose: Vec<String>,
}

/// What the held credentials can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matches {
    /// Per credential query id, the credentials that can answer it.
    pub candidates: BTreeMap<String, Vec<Candidate>>,
    /// The credential query ids to answer: every required set's first option the wallet can
    /// answer, and the optional sets' likewise when it can.
    pub to_answer: Vec<String>,
}

impl Query {
    /// Match `held` (each a credential and its expanded types) against the query; a query
    /// they cannot answer is [`VcError::DcqlUnsatisfiable`] (the wallet then answers
    /// `access_denied` and discloses nothing, §6.4.2).
    pub fn query(&self, held: &[(Value, Vec<String>)]) -> Result<Matches> {
        let candidates: BTreeMap<String, Vec<Candidate>> = self
            .credentials
            .iter()
            .map(|q| {
                let list = held
                    .iter()
                    .enumerate()
                    .filter_map(|(index, (c, types))| {
                        q.matches(c, types)
                            .map(|disclose| Candidate { index, disclose })
                    })
                    .collect();
                (q.id.clone(), list)
            })
            .collect();
        let answerable = |id: &String| candidates.get(id).is_some_and(|c| !c.is_empty());
        let mut to_answer: Vec<String> = Vec::new();
        match &self.credential_sets {
            None => {
                if !self.credentials.iter().all(|q| answerable(&q.id)) {
                    return Err(VcError::DcqlUnsatisfiable);
                }
                to_answer = self.credentials.iter().map(|q| q.id.clone()).collect();
            }
            Some(sets) => {
                for set in sets {
                    match set.options.iter().find(|o| o.iter().all(answerable)) {
                        Some(option) => to_answer.extend(option.iter().cloned()),
                        None if set.required => return Err(VcError::DcqlUnsatisfiable),
                        None => {}
                    }
                }
                to_answer.sort();
                to_answer.dedup();
            }
        }
        Ok(Matches {
            candidates,
            to_answer,
        })
    }

    /// The verifier's check (§8.6) that `presented` (per credential query id, the verified
    /// credentials and their expanded types) answers the query: known ids, none empty, one
    /// each unless `multiple`, each matching its query, and every required credential set
    /// (or, without sets, every query) answered.
    pub fn check_presented(
        &self,
        presented: &BTreeMap<String, Vec<(Value, Vec<String>)>>,
    ) -> Result<()> {
        for (id, list) in presented {
            let q =
                self.credentials
                    .iter()
                    .find(|q| &q.id == id)
                    .ok_or(VcError::DcqlNotAnswered(
                        "a presentation for no credential query",
                    ))?;
            if list.is_empty() || (list.len() > 1 && !q.multiple) {
                return Err(VcError::DcqlNotAnswered(
                    "the wrong number of presentations",
                ));
            }
            if list.iter().any(|(c, t)| q.matches(c, t).is_none()) {
                return Err(VcError::DcqlNotAnswered(
                    "a presentation does not match its query",
                ));
            }
        }
        let answered = |id: &String| presented.contains_key(id);
        let ok = match &self.credential_sets {
            None => self.credentials.iter().all(|q| answered(&q.id)),
            Some(sets) => sets
                .iter()
                .filter(|s| s.required)
                .all(|s| s.options.iter().any(|o| o.iter().all(answered))),
        };
        if ok {
            Ok(())
        } else {
            Err(VcError::DcqlNotAnswered("a required credential is missing"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(meta: Value) -> Result<Query> {
        let mut m = json!({ "type_values": [[format!("{CITY_VOCAB}CreditScoreCredential")]] });
        if let (Some(m), Some(extra)) = (m.as_object_mut(), meta.as_object()) {
            m.extend(extra.clone());
        }
        Query::parse(&json!({ "credentials": [{ "id": "c", "format": "ldp_vc", "meta": m }] }))
    }

    #[test]
    fn the_linkability_asked_for_admits_only_its_form() {
        let private = json!({ "type": ["VerifiableCredential", "CreditScoreCredential"] });
        let ordinary = json!({ "id": "urn:uuid:1", "type": ["VerifiableCredential", "CreditScoreCredential"],
            "credentialSubject": { "id": "did:key:z6Mk" } });
        let types = expanded_types(&private);
        for (meta, private_ok, ordinary_ok) in [
            (json!({}), true, true),
            (json!({ LINKABLE_META: false }), true, true),
            (json!({ LINKABLE_META: true }), false, true),
            (
                json!({ PSEUDONYM_META: "urn:citywallet:nym:v:p" }),
                true,
                false,
            ),
        ] {
            let q = query(meta.clone()).expect("query");
            let c = &q.credentials[0];
            assert_eq!(c.matches(&private, &types).is_some(), private_ok, "{meta}");
            assert_eq!(
                c.matches(&ordinary, &types).is_some(),
                ordinary_ok,
                "{meta}"
            );
        }
        for bad in [
            json!({ LINKABLE_META: "yes" }),
            json!({ PSEUDONYM_META: "" }),
            json!({ PSEUDONYM_META: 7 }),
            json!({ PSEUDONYM_META: "x".repeat(MAX_CONTEXT_BYTES + 1) }),
            json!({ PSEUDONYM_META: "a\nb" }),
            json!({ PSEUDONYM_META: "urn:x", LINKABLE_META: true }),
        ] {
            assert!(
                matches!(query(bad.clone()), Err(VcError::DcqlInvalid(_))),
                "{bad}"
            );
        }
    }
}
