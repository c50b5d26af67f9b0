//! JSON-LD to RDF, RDF Dataset Canonicalization 1.0, and `bbs-2023`'s HMAC-shuffled blank
//! node labels.
//!
//! A document is expanded with the shipped contexts only ([`crate::contexts`]), turned into
//! RDF statements, and canonicalised with RDFC-1.0 (SHA-256): blank nodes get the canonical
//! labels `c14n0`, `c14n1`, …, and the statements are written as N-Quads, one per line, sorted.
//! `bbs-2023` then relabels them ([`hmac_nquads`], the spec's
//! `createShuffledIdLabelMapFunction` with `labelReplacementCanonicalizeNQuads`): each
//! canonical label's HMAC-SHA-256 under the issuer's HMAC key, sorted, gives the new labels
//! `b0`, `b1`, …, so the labels a holder later reveals say nothing about the credential's
//! shape.
//!
//! Canonicalisation is exponential in the worst case (RDFC-1.0 §"dataset poisoning"), and
//! neither library bounds its input: documents are capped here first.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{BlankNode, Dataset, GraphName, NamedOrBlankNode, Quad, QuadRef, Term};

use crate::{Result, VcError, contexts};

/// The largest document accepted (bytes of JSON).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// The most RDF statements a document may have.
pub const MAX_STATEMENTS: usize = 1_024;
/// The most blank nodes a document may have (canonicalisation's cost grows with them).
pub const MAX_BLANK_NODES: usize = 64;

/// A document's RDF statements, expanded with the shipped contexts only.
pub fn to_rdf(document: &[u8]) -> Result<Dataset> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(VcError::TooLarge {
            bytes: document.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let refused: Arc<Mutex<Option<String>>> = Arc::default();
    let asked = Arc::clone(&refused);
    let parser = JsonLdParser::new()
        .for_slice(document)
        .with_load_document_callback(move |url, _| match contexts::document(url) {
            Some(d) => Ok(JsonLdRemoteDocument {
                document: d.as_bytes().to_vec(),
                document_url: url.to_owned(),
            }),
            None => {
                if let Ok(mut a) = asked.lock() {
                    *a = Some(url.to_owned());
                }
                Err(format!("{url} is not shipped").into())
            }
        });
    let mut dataset = Dataset::new();
    for quad in parser {
        let quad = quad.map_err(|e| match refused.lock().ok().and_then(|mut r| r.take()) {
            Some(url) => VcError::UnknownContext(url),
            None => VcError::JsonLd(e.to_string()),
        })?;
        dataset.insert(&quad);
        if dataset.len() > MAX_STATEMENTS {
            return Err(VcError::TooComplex {
                what: "statements",
                limit: MAX_STATEMENTS,
            });
        }
    }
    if blank_nodes(&dataset).len() > MAX_BLANK_NODES {
        return Err(VcError::TooComplex {
            what: "blank nodes",
            limit: MAX_BLANK_NODES,
        });
    }
    Ok(dataset)
}

/// The document canonicalised (RDFC-1.0, SHA-256): its blank nodes are `c14n0` ….
pub fn canonical(document: &[u8]) -> Result<Dataset> {
    let mut dataset = to_rdf(document)?;
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    Ok(dataset)
}

/// The document's canonical N-Quads, sorted, each line ending in `\n`.
pub fn canonical_nquads(document: &[u8]) -> Result<Vec<String>> {
    Ok(nquads(&canonical(document)?, &BTreeMap::new()))
}

/// The document's canonical N-Quads with `bbs-2023`'s HMAC-shuffled labels, sorted, and the
/// label map used (canonical label → new label, both without `_:`).
pub fn hmac_nquads(
    document: &[u8],
    hmac_key: &[u8; 32],
) -> Result<(Vec<String>, BTreeMap<String, String>)> {
    let dataset = canonical(document)?;
    let labels = shuffled_labels(blank_nodes(&dataset).iter().map(String::as_str), hmac_key);
    Ok((nquads(&dataset, &labels), labels))
}

/// `createShuffledIdLabelMapFunction`: for each canonical label, `u` + base64url of its
/// HMAC-SHA-256 under `hmac_key`; the digests sorted give the labels `b0`, `b1`, ….
pub fn shuffled_labels<'a>(
    canonical_labels: impl IntoIterator<Item = &'a str>,
    hmac_key: &[u8; 32],
) -> BTreeMap<String, String> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, hmac_key);
    let digests: BTreeMap<String, String> = canonical_labels
        .into_iter()
        .map(|label| {
            let tag = ring::hmac::sign(&key, label.as_bytes());
            let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref());
            (label.to_owned(), format!("u{digest}"))
        })
        .collect();
    let mut sorted: Vec<&String> = digests.values().collect();
    sorted.sort();
    digests
        .iter()
        .map(|(label, digest)| {
            let position = sorted.partition_point(|d| *d < digest);
            (label.clone(), format!("b{position}"))
        })
        .collect()
}

/// The labels of every blank node in `dataset`.
fn blank_nodes(dataset: &Dataset) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for q in dataset {
        if let oxrdf::NamedOrBlankNodeRef::BlankNode(b) = q.subject {
            out.insert(b.as_str().to_owned());
        }
        if let oxrdf::TermRef::BlankNode(b) = q.object {
            out.insert(b.as_str().to_owned());
        }
        if let oxrdf::GraphNameRef::BlankNode(b) = q.graph_name {
            out.insert(b.as_str().to_owned());
        }
    }
    out
}

/// `dataset` as sorted N-Quads lines, blank nodes renamed by `labels` (unchanged when absent).
fn nquads(dataset: &Dataset, labels: &BTreeMap<String, String>) -> Vec<String> {
    let mut lines: Vec<String> = dataset
        .iter()
        .map(|q| format!("{} .\n", relabel(q, labels)))
        .collect();
    lines.sort();
    lines
}

fn relabel(q: QuadRef<'_>, labels: &BTreeMap<String, String>) -> Quad {
    let node = |b: &str| {
        let label = labels.get(b).map_or(b, String::as_str);
        BlankNode::new_unchecked(label)
    };
    let mut quad = q.into_owned();
    if let NamedOrBlankNode::BlankNode(b) = &quad.subject {
        quad.subject = NamedOrBlankNode::BlankNode(node(b.as_str()));
    }
    if let Term::BlankNode(b) = &quad.object {
        quad.object = Term::BlankNode(node(b.as_str()));
    }
    if let GraphName::BlankNode(b) = &quad.graph_name {
        quad.graph_name = GraphName::BlankNode(node(b.as_str()));
    }
    quad
}
