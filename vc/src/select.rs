//! Choosing statements by JSON pointer (DI-ECDSA §3.4, which `bbs-2023` uses): skolemize a
//! compact document (every node object gets an IRI in a scheme of its own, so its blank
//! node can be recognised in a selection), select the pointed-at values with the `id` and
//! `type` of every node on the way (`selectJsonLd`), and read the selection's statements
//! back with those IRIs as blank nodes again ([`crate::canon`] does that last step).
//!
//! Skolemization works on the compact document: a node object is any JSON object outside
//! `@context` that is not a value object (`@value`) or a list or set (`@list`, `@set`).
//! Documents must alias `id` to `@id`, or use `@id` (the VC 2.0 context does); a new
//! identifier is written as `@id`. A property a shipped context types `@json` holds a JSON
//! literal, not nodes: its value is left as it is (the spec skolemizes the expanded
//! document, where such a value is a value object; here the terms come from the shipped
//! contexts, the only ones a document may use).

use serde_json::{Map, Value};

use crate::{Result, VcError};

/// The IRI scheme of skolemized blank nodes; [`crate::canon::to_rdf`] turns these IRIs back
/// into blank nodes.
pub const SKOLEM_PREFIX: &str = "urn:custom-scheme:";

/// `document` with every node object named: a blank node identifier `_:x` becomes
/// `urn:custom-scheme:x`, an unnamed node `urn:custom-scheme:_{nonce}_{n}`.
pub fn skolemize(document: &Value, nonce: &str) -> Value {
    let mut out = document.clone();
    let mut count = 0u64;
    name_nodes(&mut out, nonce, &mut count);
    out
}

/// The terms any shipped context types `@json` (`driving_privileges`, `jsonSchema`, …).
fn json_literal_terms() -> &'static std::collections::BTreeSet<String> {
    static TERMS: std::sync::OnceLock<std::collections::BTreeSet<String>> =
        std::sync::OnceLock::new();
    TERMS.get_or_init(|| {
        fn walk(v: &Value, out: &mut std::collections::BTreeSet<String>) {
            match v {
                Value::Object(map) => {
                    for (term, def) in map {
                        if def.get("@type").and_then(Value::as_str) == Some("@json") {
                            out.insert(term.clone());
                        }
                        walk(def, out);
                    }
                }
                Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
                _ => {}
            }
        }
        let mut out = std::collections::BTreeSet::new();
        for (_, text) in crate::contexts::SHIPPED {
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                walk(&v, &mut out);
            }
        }
        out
    })
}

fn name_nodes(value: &mut Value, nonce: &str, count: &mut u64) {
    match value {
        Value::Array(items) => {
            for item in items {
                name_nodes(item, nonce, count);
            }
        }
        Value::Object(map) => {
            if map.contains_key("@value") {
                return;
            }
            if !map.contains_key("@list") && !map.contains_key("@set") {
                name_node(map, nonce, count);
            }
            for (key, child) in map.iter_mut() {
                if key != "@context" && !json_literal_terms().contains(key) {
                    name_nodes(child, nonce, count);
                }
            }
        }
        _ => {}
    }
}

fn name_node(map: &mut Map<String, Value>, nonce: &str, count: &mut u64) {
    for key in ["id", "@id"] {
        if let Some(Value::String(id)) = map.get_mut(key) {
            if let Some(label) = id.strip_prefix("_:") {
                *id = format!("{SKOLEM_PREFIX}{label}");
            }
            return;
        }
    }
    map.insert(
        "@id".into(),
        Value::String(format!("{SKOLEM_PREFIX}_{nonce}_{count}")),
    );
    *count += 1;
}

/// `selectJsonLd`: a document with the root's `@context`, `id` and `type`, and for each
/// pointer the value it points at with the `id` and `type` of every node on the way. `None`
/// when there are no pointers. A pointer that does not match the document is refused.
pub fn select_json_ld(document: &Value, pointers: &[String]) -> Result<Option<Value>> {
    if pointers.is_empty() {
        return Ok(None);
    }
    let mut selection = initial_selection(document);
    if let (Value::Object(s), Some(context)) = (&mut selection, document.get("@context")) {
        s.insert("@context".into(), context.clone());
    }
    for pointer in pointers {
        select_path(document, pointer, &mut selection)?;
    }
    make_dense(&mut selection);
    Ok(Some(selection))
}

/// Drop the holes a selection left in arrays (the specification's "sparse arrays made
/// dense"). Holes are `null`s; a `null` the document itself had in an array goes too, which
/// changes nothing JSON-LD reads (it drops `null`s in arrays).
fn make_dense(value: &mut Value) {
    match value {
        Value::Array(items) => {
            items.retain(|v| !v.is_null());
            items.iter_mut().for_each(make_dense);
        }
        Value::Object(map) => map.values_mut().for_each(make_dense),
        _ => {}
    }
}

/// What a selection starts from for `source`: its identifier unless a blank node's, and its
/// types.
fn initial_selection(source: &Value) -> Value {
    let mut out = Map::new();
    for key in ["id", "@id"] {
        if let Some(Value::String(id)) = source.get(key)
            && !id.starts_with("_:")
        {
            out.insert(key.into(), Value::String(id.clone()));
        }
    }
    for key in ["type", "@type"] {
        if let Some(t) = source.get(key) {
            out.insert(key.into(), t.clone());
        }
    }
    Value::Object(out)
}

/// The segments of a JSON pointer (RFC 6901): `/a/b~1c/0` is `a`, `b/c`, `0`.
fn segments(pointer: &str) -> Result<Vec<String>> {
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| VcError::BadPointer(pointer.to_owned()))?;
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn child<'a>(value: &'a Value, segment: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

/// The selection's slot for `segment` under `parent`, made from `fresh` when missing (an
/// array grows with `null` holes, dropped at the end by [`make_dense`]).
fn slot<'a>(
    parent: &'a mut Value,
    segment: &str,
    fresh: impl FnOnce() -> Value,
) -> Option<&'a mut Value> {
    match parent {
        Value::Object(map) => Some(map.entry(segment).or_insert_with(fresh)),
        Value::Array(items) => {
            let i = segment.parse::<usize>().ok()?;
            if items.len() <= i {
                items.resize(i + 1, Value::Null);
            }
            let s = items.get_mut(i)?;
            if s.is_null() {
                *s = fresh();
            }
            Some(s)
        }
        _ => None,
    }
}

fn select_path(document: &Value, pointer: &str, selection: &mut Value) -> Result<()> {
    let bad = || VcError::BadPointer(pointer.to_owned());
    let paths = segments(pointer)?;
    let mut value = document;
    let mut selected = selection;
    for (i, segment) in paths.iter().enumerate() {
        let next = child(value, segment).ok_or_else(bad)?;
        let fresh = || match next {
            Value::Array(_) => Value::Array(Vec::new()),
            other => initial_selection(other),
        };
        let target = slot(selected, segment, fresh).ok_or_else(bad)?;
        if i + 1 == paths.len() {
            *target = match (next, std::mem::take(target)) {
                (Value::Object(full), Value::Object(mut partial)) => {
                    for (k, v) in full {
                        partial.insert(k.clone(), v.clone());
                    }
                    Value::Object(partial)
                }
                (other, _) => other.clone(),
            };
        }
        value = next;
        selected = target;
    }
    Ok(())
}
