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

use base64::Engine as _;
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{BlankNode, Dataset, GraphName, NamedOrBlankNode, Quad, QuadRef, Term};

use crate::select::{self, SKOLEM_PREFIX};
use crate::{Result, VcError, jsonld};

/// The largest document accepted (bytes of JSON).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// The most RDF statements a document may have.
pub const MAX_STATEMENTS: usize = 1_024;
/// The most blank nodes a document may have (canonicalisation's cost grows with them).
pub const MAX_BLANK_NODES: usize = 64;

/// A document's RDF statements, expanded with the shipped contexts only; IRIs of skolemized
/// nodes ([`select::SKOLEM_PREFIX`]) are blank nodes again.
pub fn to_rdf(document: &[u8]) -> Result<Dataset> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(VcError::TooLarge {
            bytes: document.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let mut dataset = Dataset::new();
    for quad in jsonld::quads(document)? {
        dataset.insert(&deskolemize(quad)?);
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

/// The canonical label of each of `dataset`'s blank nodes (RDFC-1.0, SHA-256: `c14n0` …),
/// or with `hmac_key` the shuffled label (`b0` …), keyed by the dataset's own label.
pub fn label_map(dataset: &Dataset, hmac_key: Option<&[u8; 32]>) -> BTreeMap<String, String> {
    let canonical: BTreeMap<String, String> = dataset
        .canonicalize_blank_nodes(CanonicalizationAlgorithm::Rdfc10 {
            hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
        })
        .into_iter()
        .map(|(from, to)| (from.as_str().to_owned(), to.as_str().to_owned()))
        .collect();
    let Some(key) = hmac_key else {
        return canonical;
    };
    let shuffled = shuffled_labels(canonical.values().map(String::as_str), key);
    canonical
        .into_iter()
        .map(|(from, c14n)| {
            let to = shuffled.get(&c14n).cloned().unwrap_or(c14n);
            (from, to)
        })
        .collect()
}

/// The document's canonical N-Quads, sorted, each line ending in `\n`.
pub fn canonical_nquads(document: &[u8]) -> Result<Vec<String>> {
    let dataset = to_rdf(document)?;
    Ok(nquads(&dataset, &label_map(&dataset, None)))
}

/// The document's canonical N-Quads with `bbs-2023`'s HMAC-shuffled labels, sorted
/// (`labelReplacementCanonicalizeNQuads` with `createShuffledIdLabelMapFunction`).
pub fn hmac_nquads(document: &[u8], hmac_key: &[u8; 32]) -> Result<Vec<String>> {
    let dataset = to_rdf(document)?;
    Ok(nquads(&dataset, &label_map(&dataset, Some(hmac_key))))
}

/// Statements of one group: by their position in the canonical N-Quads, those a group's
/// pointers select and the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// Selected statements.
    pub matching: BTreeMap<usize, String>,
    /// The rest.
    pub non_matching: BTreeMap<usize, String>,
    /// The selection's statements with the skolemized document's blank-node labels (the
    /// spec's `deskolemizedNQuads`).
    pub selection: Dataset,
}

/// What [`canonicalize_and_group`] gives.
#[derive(Debug, Clone)]
pub struct Grouped {
    /// The document's HMAC-shuffled canonical N-Quads, sorted.
    pub nquads: Vec<String>,
    /// Each group by name.
    pub groups: BTreeMap<String, Group>,
    /// The skolemized document's blank-node labels → the shuffled labels (`b0` …).
    pub labels: BTreeMap<String, String>,
}

/// `canonicalizeAndGroup` (DI-ECDSA §3.4.x, as `bbs-2023` uses it): the document's
/// HMAC-shuffled canonical N-Quads, and for each named list of JSON pointers the statements
/// it selects and the rest.
pub fn canonicalize_and_group(
    document: &serde_json::Value,
    hmac_key: &[u8; 32],
    groups: &[(&str, &[String])],
) -> Result<Grouped> {
    let skolemized = select::skolemize(document, &nonce()?);
    let dataset = to_rdf(&json_bytes(&skolemized)?)?;
    let labels = label_map(&dataset, Some(hmac_key));
    let all = nquads(&dataset, &labels);
    let mut out = BTreeMap::new();
    for (name, pointers) in groups {
        let selection = match select::select_json_ld(&skolemized, pointers)? {
            Some(selection) => to_rdf(&json_bytes(&selection)?)?,
            None => Dataset::new(),
        };
        let selected: BTreeSet<String> = nquads(&selection, &labels).into_iter().collect();
        let mut group = Group {
            selection,
            ..Group::default()
        };
        for (i, q) in all.iter().enumerate() {
            let side = if selected.contains(q) {
                &mut group.matching
            } else {
                &mut group.non_matching
            };
            side.insert(i, q.clone());
        }
        out.insert((*name).to_owned(), group);
    }
    Ok(Grouped {
        nquads: all,
        groups: out,
        labels,
    })
}

fn json_bytes(value: &serde_json::Value) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| VcError::JsonLd(e.to_string()))
}

/// 16 random bytes as hex: skolem identifiers no document can guess.
fn nonce() -> Result<String> {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| VcError::Rng)?;
    Ok(hex::encode(b))
}

/// A skolem IRI back to its blank node.
fn deskolemize(mut quad: Quad) -> Result<Quad> {
    let node = |iri: &str| -> Result<Option<BlankNode>> {
        iri.strip_prefix(SKOLEM_PREFIX)
            .map(|label| {
                BlankNode::new(label)
                    .map_err(|_| VcError::JsonLd(format!("bad blank node {label:?}")))
            })
            .transpose()
    };
    if let NamedOrBlankNode::NamedNode(n) = &quad.subject
        && let Some(b) = node(n.as_str())?
    {
        quad.subject = NamedOrBlankNode::BlankNode(b);
    }
    if let Term::NamedNode(n) = &quad.object
        && let Some(b) = node(n.as_str())?
    {
        quad.object = Term::BlankNode(b);
    }
    if let GraphName::NamedNode(n) = &quad.graph_name
        && let Some(b) = node(n.as_str())?
    {
        quad.graph_name = GraphName::BlankNode(b);
    }
    Ok(quad)
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
pub fn nquads(dataset: &Dataset, labels: &BTreeMap<String, String>) -> Vec<String> {
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
