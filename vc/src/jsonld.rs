//! JSON-LD to RDF with `json-ld` 0.21 (a complete JSON-LD 1.1 processor), behind a document
//! loader that answers with the shipped contexts only, and its statements as `oxrdf`
//! quads for canonicalisation. `json-ld` is asynchronous; nothing here waits on IO (the
//! loader answers from memory), so its futures are run to completion on this thread.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use json_ld::iref::{Iri, IriBuf};
use json_ld::rdf_types::{self, Id, LiteralType, Term as LdTerm};
use json_ld::syntax::{Parse, Value};
use json_ld::{JsonLdProcessor, LoadError, Loader, RemoteDocument};
use oxrdf::{BlankNode, GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};

use crate::{Result, VcError, contexts};

/// The shipped contexts, parsed once.
fn shipped() -> &'static BTreeMap<&'static str, Value> {
    static PARSED: OnceLock<BTreeMap<&'static str, Value>> = OnceLock::new();
    PARSED.get_or_init(|| {
        contexts::SHIPPED
            .iter()
            .filter_map(|(url, text)| Value::parse_str(text).ok().map(|(v, _)| (*url, v)))
            .collect()
    })
}

#[derive(Debug, thiserror::Error)]
#[error("this context is not shipped")]
struct NotShipped;

/// Answers with a shipped context, and remembers a URL it refused.
struct Shipped {
    refused: Mutex<Option<String>>,
}

impl Loader for Shipped {
    async fn load(&self, url: &Iri) -> std::result::Result<RemoteDocument<IriBuf>, LoadError> {
        match shipped().get(url.as_str()) {
            Some(document) => Ok(RemoteDocument::new(
                Some(url.to_owned()),
                None,
                document.clone(),
            )),
            None => {
                if let Ok(mut r) = self.refused.lock() {
                    *r = Some(url.as_str().to_owned());
                }
                Err(LoadError::new(url.to_owned(), NotShipped))
            }
        }
    }
}

/// Whether every `%XX` sequence in `s` decodes, with the bytes around it, to UTF-8.
fn percent_decodes_to_utf8(s: &str) -> bool {
    if !s.contains('%') {
        return true;
    }
    let bytes = s.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                decoded.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// Deepest nesting [`unreadable`] walks.
const MAX_DEPTH: usize = 128;

/// Why `v` is not handed to the JSON-LD processor, if it is not: it nests deeper than
/// [`MAX_DEPTH`], or a string (key or value) has a percent-encoding that is not UTF-8.
fn unreadable(v: &Value, depth: usize) -> Option<&'static str> {
    if depth > MAX_DEPTH {
        return Some("the document nests too deep");
    }
    let bad = "a percent-encoded sequence that is not UTF-8";
    match v {
        Value::String(s) => (!percent_decodes_to_utf8(s)).then_some(bad),
        Value::Array(items) => items.iter().find_map(|i| unreadable(i, depth + 1)),
        Value::Object(o) => o.iter().find_map(|e| {
            if percent_decodes_to_utf8(&e.key) {
                unreadable(&e.value, depth + 1)
            } else {
                Some(bad)
            }
        }),
        _ => None,
    }
}

/// The document's RDF statements.
///
/// `json-ld`'s IRI type (`iref` over `pct-str`) panics on a percent-encoded sequence that is
/// not UTF-8 (one changed byte in a presentation makes one), so such a string is refused
/// first; and any other panic inside the processor on hostile input is caught here and
/// refused the same way, with a typed error, instead of ending the caller's thread.
pub fn quads(document: &[u8]) -> Result<Vec<Quad>> {
    let text = std::str::from_utf8(document).map_err(|_| VcError::JsonLd("not UTF-8".into()))?;
    let (value, _) = Value::parse_str(text).map_err(|e| VcError::JsonLd(e.to_string()))?;
    if let Some(why) = unreadable(&value, 0) {
        return Err(VcError::JsonLd(why.into()));
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| quads_of(value))).unwrap_or_else(
        |_| {
            Err(VcError::JsonLd(
                "the JSON-LD processor could not read this document".into(),
            ))
        },
    )
}

fn quads_of(value: Value) -> Result<Vec<Quad>> {
    let input = RemoteDocument::new(None, None, value);
    let loader = Shipped {
        refused: Mutex::new(None),
    };
    let mut generator = rdf_types::generator::Blank::new();
    let mut rdf = futures_executor::block_on(input.to_rdf(&mut generator, &loader)).map_err(
        |e| match loader.refused.lock().ok().and_then(|mut r| r.take()) {
            Some(url) => VcError::UnknownContext(url),
            None => VcError::JsonLd(e.to_string()),
        },
    )?;
    rdf.cloned_quads()
        .map(|rdf_types::Quad(s, p, o, g)| {
            let predicate = match p {
                Id::Iri(i) => named(i.as_str())?,
                Id::Blank(_) => return Err(VcError::JsonLd("a blank node predicate".into())),
            };
            let object = match o {
                LdTerm::Id(id) => match node(id)? {
                    NamedOrBlankNode::NamedNode(n) => Term::NamedNode(n),
                    NamedOrBlankNode::BlankNode(b) => Term::BlankNode(b),
                },
                LdTerm::Literal(l) => Term::Literal(match l.type_ {
                    LiteralType::Any(t) => Literal::new_typed_literal(l.value, named(t.as_str())?),
                    LiteralType::LangString(tag) => {
                        Literal::new_language_tagged_literal(l.value, tag.as_str())
                            .map_err(|e| VcError::JsonLd(e.to_string()))?
                    }
                }),
            };
            let graph_name = match g {
                None => GraphName::DefaultGraph,
                Some(id) => match node(id)? {
                    NamedOrBlankNode::NamedNode(n) => GraphName::NamedNode(n),
                    NamedOrBlankNode::BlankNode(b) => GraphName::BlankNode(b),
                },
            };
            Ok(Quad::new(node(s)?, predicate, object, graph_name))
        })
        .collect()
}

fn named(iri: &str) -> Result<NamedNode> {
    NamedNode::new(iri).map_err(|e| VcError::JsonLd(e.to_string()))
}

fn node(id: Id) -> Result<NamedOrBlankNode> {
    Ok(match id {
        Id::Iri(i) => NamedOrBlankNode::NamedNode(named(i.as_str())?),
        Id::Blank(b) => NamedOrBlankNode::BlankNode(
            BlankNode::new(b.suffix()).map_err(|e| VcError::JsonLd(e.to_string()))?,
        ),
    })
}
