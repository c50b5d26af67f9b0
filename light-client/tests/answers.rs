//! The decoders of node answers (`rpc::answer`) on real CometBFT v0.38 answers from
//! `../shared/vectors/cometbft/rpc`, and on the misplaced base64 padding that made
//! `tendermint`'s decoder panic (found by the `node_*` fuzz targets): refused as malformed.

use std::path::PathBuf;

use citywallet_light_client::FetchError;
use citywallet_light_client::rpc::answer;
use serde_json::Value;

fn vector(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/cometbft/rpc/kvstore_v0_38")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&vector(name)).expect("vector JSON")
}

/// `answer` with the string at `pointer` replaced by `with`, as bytes.
fn changed(mut answer: Value, pointer: &str, with: &str) -> Vec<u8> {
    *answer.pointer_mut(pointer).expect(pointer) = Value::String(with.into());
    serde_json::to_vec(&answer).expect("json")
}

/// Each of these made `subtle-encoding`'s base64 decoder index past its buffer.
const BAD_PADDING: [&str; 4] = [
    "NA====",
    "=",
    "AAAAAAAA=",
    "5nOm7V7fsRXFNOxPo4YrBqZrkSPWn9bKgCK0N1w2FH4k=",
];

#[test]
fn a_real_commit_decodes_and_misplaced_padding_in_it_is_malformed() {
    let commit = json("commit_at_height_10.json");
    let signed = answer::result(&serde_json::to_vec(&commit).expect("json"))
        .and_then(|r| answer::commit(r, Some(10)))
        .expect("CometBFT's own commit decodes");
    assert_eq!(signed.header.height.value(), 10);
    for bad in BAD_PADDING {
        for pointer in [
            "/result/signed_header/commit/signatures/0/signature",
            "/result/signed_header/commit/block_id/hash",
            "/result/signed_header/header/last_commit_hash",
        ] {
            let bytes = changed(commit.clone(), pointer, bad);
            let r = answer::result(&bytes).and_then(|r| answer::commit(r, None));
            assert!(
                matches!(r, Err(FetchError::Malformed)),
                "{pointer} = {bad}: {r:?}"
            );
        }
    }
}

#[test]
fn a_real_query_answer_decodes_and_misplaced_padding_in_it_is_malformed() {
    let query = json("abci_query_with_existing_key.json");
    let read = answer::result(&vector("abci_query_with_existing_key.json"))
        .and_then(answer::abci_query)
        .expect("CometBFT's own answer decodes");
    assert_eq!(
        (read.key.as_slice(), read.value.as_deref()),
        (&b"tx0"[..], Some(&b"value"[..]))
    );
    for bad in BAD_PADDING {
        for pointer in ["/result/response/key", "/result/response/value"] {
            let bytes = changed(query.clone(), pointer, bad);
            let r = answer::result(&bytes).and_then(answer::abci_query);
            assert!(
                matches!(r, Err(FetchError::Malformed)),
                "{pointer} = {bad}: {r:?}"
            );
        }
    }
    // Free text is never decoded as bytes: an `=` in a log is no defect.
    let logged = changed(query, "/result/response/log", "height=254 key=");
    assert!(answer::result(&logged).and_then(answer::abci_query).is_ok());
}

#[test]
fn a_real_genesis_decodes_and_misplaced_padding_in_a_validator_key_is_malformed() {
    let genesis = json("genesis.json");
    let (chain_id, validators) = answer::genesis(genesis["result"].clone())
        .expect("CometBFT's own genesis (no app_state) decodes");
    assert_eq!((chain_id.as_str(), validators.len()), ("dockerchain", 1));
    for bad in BAD_PADDING {
        let bytes = changed(
            genesis.clone(),
            "/result/genesis/validators/0/pub_key/value",
            bad,
        );
        let r = answer::result(&bytes).and_then(answer::genesis);
        assert!(matches!(r, Err(FetchError::Malformed)), "{bad}: {r:?}");
    }
}
