//! Hostile nodes: a tampering proxy in front of a real devnet, one lie per test. In every
//! case the wallet refuses the action with the exact reason, submits nothing, and the same
//! process then files a report through honest nodes.

use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine as _;
use citywallet_chain_tests::{Net, Tamper, file_report, session, session_with, settings, wallet};
use citywallet_core::vault::{TrustedHeader, Vault};
use citywallet_light_client::act::block_json;
use citywallet_light_client::proof::ProofRejection;
use citywallet_light_client::rpc::HttpNode;
use citywallet_light_client::session::Settings;
use citywallet_light_client::sync::Provider;
use citywallet_light_client::{Error, FetchError, Rejection};
use serde_json::{Value, json};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A vault anchored at the devnet's genesis through the honest primary.
fn anchored(net: &Net) -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    session(&mut vault, &net.primary, &[&net.witness])
        .anchor_genesis(None)
        .expect("anchor");
    (dir, vault)
}

/// File a report through `primary` (a proxy) and `witnesses`: it must fail with an error
/// that `expected` accepts, and nothing may reach the primary's broadcast. Then the same
/// vault files a report through honest nodes.
fn refused(net: &Net, tamper: Tamper, tamper_witness: bool, expected: impl Fn(&Error) -> bool) {
    refused_with(net, tamper, tamper_witness, settings(), expected);
}

/// [`refused`], with the hostile session's settings given.
fn refused_with(
    net: &Net,
    tamper: Tamper,
    tamper_witness: bool,
    hostile: Settings,
    expected: impl Fn(&Error) -> bool,
) {
    let (_dir, mut vault) = anchored(net);
    let proxy = net.proxy(tamper.clone());
    let witness = if tamper_witness {
        net.proxy_to(&net.witness, tamper)
    } else {
        net.proxy_to(&net.witness, Tamper::Honest)
    };
    let err = file_report(&mut session_with(
        &mut vault,
        &proxy.url,
        &[&witness.url],
        hostile,
    ))
    .expect_err("a hostile node must be refused");
    assert!(expected(&err), "unexpected refusal: {err:?}");
    assert_eq!(
        proxy.broadcasts.load(Ordering::SeqCst),
        0,
        "nothing submitted"
    );
    let mut honest = session(&mut vault, &net.primary, &[&net.witness]);
    if tamper_witness {
        // Primary and witness colluded with validly signed headers: the wallet may have
        // trusted one, so service resumes from a new anchor.
        honest.anchor_genesis(None).expect("new anchor");
    }
    file_report(&mut honest).expect("the wallet keeps working with honest nodes");
}

fn signatures(result: &mut Value) -> &mut Vec<Value> {
    result["signed_header"]["commit"]["signatures"]
        .as_array_mut()
        .expect("signatures")
}

#[test]
fn a_forged_commit_signature_is_refused() {
    let net = Net::start(4);
    let tamper = Tamper::rewrite(|method, _, result| {
        if method == "commit" {
            // The first signature present (on CometBFT a late validator's is absent).
            let Some(sig) = signatures(result)
                .iter_mut()
                .map(|s| &mut s["signature"])
                .find(|s| s.is_string())
            else {
                return;
            };
            let mut bytes = B64.decode(sig.as_str().expect("sig")).expect("b64");
            bytes[7] ^= 0x01;
            *sig = json!(B64.encode(bytes));
        }
    });
    refused(&net, tamper, false, |e| {
        matches!(
            e,
            Error::HeaderInvalid {
                reason: Rejection::BadSignature,
                ..
            }
        )
    });
}

#[test]
fn a_validator_set_not_matching_the_header_is_refused() {
    let net = Net::start(4);
    let tamper = Tamper::rewrite(|method, _, result| {
        if method == "validators" {
            result["validators"][0]["voting_power"] = json!("11");
        }
    });
    refused(&net, tamper, false, |e| {
        matches!(
            e,
            Error::HeaderInvalid {
                reason: Rejection::ValidatorSetMismatch,
                ..
            }
        )
    });
}

/// The set hash covers keys and powers, not addresses: a node puts the one validator that
/// signed on every entry's address and drops the other signatures. One key must not count
/// for four.
#[test]
fn one_signature_on_every_validator_address_is_refused() {
    let net = Net::start(4);
    let tamper = Tamper::rewrite(|method, _, result| match method {
        "commit" => {
            for sig in signatures(result).iter_mut().skip(1) {
                *sig = json!({ "block_id_flag": 1, "validator_address": "",
                                   "timestamp": "0001-01-01T00:00:00Z", "signature": null });
            }
        }
        "validators" => {
            let first = result["validators"][0]["address"].clone();
            for v in result["validators"].as_array_mut().expect("validators") {
                v["address"] = first.clone();
            }
        }
        _ => {}
    });
    refused(&net, tamper, false, |e| {
        matches!(
            e,
            Error::HeaderInvalid {
                reason: Rejection::ValidatorSetMalformed,
                ..
            }
        )
    });
}

/// A total voting power past CometBFT's limit: refused as a malformed answer, not a panic.
#[test]
fn a_validator_power_past_the_limit_is_refused() {
    let net = Net::start(4);
    let tamper = Tamper::rewrite(|method, _, result| {
        if method == "validators" {
            result["validators"][0]["voting_power"] = json!("2305843009213693952");
        }
    });
    refused(&net, tamper, false, |e| {
        matches!(
            e,
            Error::Fetch {
                reason: FetchError::Malformed,
                ..
            }
        )
    });
}

/// Primary and witness both frozen at block 2, made ten minutes ago: the headers verify and
/// agree, but nothing online may rest on a chain that old.
#[test]
fn a_frozen_primary_and_witness_are_refused_as_stale() {
    let net = Net::start_aged(4, Duration::from_secs(600));
    refused(&net, Tamper::FreezeAt(2), true, |e| {
        matches!(e, Error::HeaderStale { height: 2, .. })
    });
}

/// The primary frozen at block 2 while its witness follows the chain: the primary lags.
#[test]
fn a_primary_behind_its_witness_is_refused_as_lagging() {
    let net = Net::start(4);
    net.wait_height(8, Duration::from_secs(30));
    refused(&net, Tamper::FreezeAt(2), false, |e| {
        matches!(
            e,
            Error::PrimaryLagging {
                primary_height: 2,
                ..
            }
        )
    });
}

/// A node that answers one byte every 400 ms: each read gets its byte within the request
/// timeout, the whole answer would take minutes. It is given up at the request's deadline.
#[test]
fn a_trickling_node_is_given_up_at_its_deadline() {
    let net = Net::start(4);
    let quick = Settings {
        request_timeout: Duration::from_millis(1500),
        ..settings()
    };
    let tamper = Tamper::Trickle {
        every: Duration::from_millis(400),
    };
    refused_with(&net, tamper, false, quick, |e| {
        matches!(
            e,
            Error::Fetch {
                reason: FetchError::Timeout,
                ..
            }
        )
    });
}

/// The primary answers "refused" to the broadcast but relays it: the report lands, and the
/// wallet goes by the chain, not by the claim.
#[test]
fn a_lying_checktx_does_not_hide_a_report_that_landed() {
    let net = Net::start(4);
    let (_dir, mut vault) = anchored(&net);
    let proxy = net.proxy(Tamper::rewrite(|method, _, result| {
        if method == "broadcast_tx_sync" {
            result["code"] = json!(5);
            result["log"] = json!("nonce 9 is not the signer's next nonce (a lie)");
        }
    }));
    let mut s = session(&mut vault, &proxy.url, &[&net.witness]);
    let receipt = file_report(&mut s).expect("landed, whatever the node said");
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 1);
    receipt.verify_offline(s.vault()).expect("proven");
}

#[test]
fn a_commit_with_less_than_two_thirds_of_the_power_is_refused() {
    let net = Net::start(4);
    let tamper = Tamper::rewrite(|method, _, result| {
        if method == "commit" {
            for sig in signatures(result).iter_mut().skip(2) {
                *sig = json!({ "block_id_flag": 1, "validator_address": "",
                               "timestamp": "0001-01-01T00:00:00Z", "signature": null });
            }
        }
    });
    refused(&net, tamper, false, |e| {
        matches!(
            e,
            Error::HeaderInvalid {
                reason: Rejection::InsufficientPower,
                ..
            }
        )
    });
}

#[test]
fn a_header_from_the_future_is_refused_even_when_validly_signed() {
    let net = Net::start(4);
    let resigner = net.resigner();
    let tamper = Tamper::rewrite(move |method, _, result| {
        if method == "commit" {
            resigner.resign(result, |h| {
                h.time = (h.time + Duration::from_secs(3600)).expect("time");
            });
        }
    });
    refused(&net, tamper, false, |e| {
        matches!(
            e,
            Error::HeaderInvalid {
                reason: Rejection::FromTheFuture,
                ..
            }
        )
    });
}

#[test]
fn a_trusted_header_past_the_trusting_period_needs_a_new_anchor() {
    let net = Net::start(4);
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    // The wallet's trusted block, as if verified 30 days ago.
    let mut old = HttpNode::new(&net.primary, Duration::from_secs(5))
        .expect("node")
        .light_block(Some(1))
        .expect("block 1");
    net.resigner().resign_block(&mut old, |h| {
        h.time = (h.time - Duration::from_secs(30 * 24 * 3600)).expect("time");
    });
    let h = &old.signed_header.header;
    vault
        .put_trusted_header(&TrustedHeader {
            chain_id: h.chain_id.to_string(),
            height: 1,
            hash: h.hash().as_bytes().to_vec(),
            body: block_json(&old).expect("json"),
            verified_at: 0,
        })
        .expect("store");
    let proxy = net.proxy(Tamper::Honest);
    let err = file_report(&mut session(&mut vault, &proxy.url, &[&net.witness]))
        .expect_err("expired trust");
    assert!(matches!(err, Error::TrustExpired { height: 1 }), "{err:?}");
    assert_eq!(err.code(), "trust_expired");
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 0);
    // A new anchor restores service.
    let mut s = session(&mut vault, &net.primary, &[&net.witness]);
    s.anchor_genesis(None).expect("new anchor");
    file_report(&mut s).expect("report");
}

#[test]
fn an_app_hash_that_does_not_match_the_proofs_is_refused() {
    let net = Net::start(4);
    let resigner = net.resigner();
    // Primary and witness collude: both serve validly re-signed headers with a forged app
    // hash, so only the state proofs can tell.
    let tamper = Tamper::rewrite(move |method, _, result| {
        if method == "commit" {
            resigner.resign(result, |h| {
                h.app_hash = tendermint::AppHash::try_from(vec![0x5a; 32]).expect("hash");
            });
        }
    });
    refused(&net, tamper, true, |e| {
        matches!(
            e,
            Error::Proof {
                reason: ProofRejection::Mismatch,
                ..
            }
        )
    });
}

#[test]
fn a_truncated_proof_is_refused() {
    let net = Net::start(4);
    let tamper = Tamper::rewrite(|method, _, result| {
        if method == "abci_query" {
            let data = &mut result["response"]["proofOps"]["ops"][0]["data"];
            let bytes = B64.decode(data.as_str().expect("data")).expect("b64");
            *data = json!(B64.encode(&bytes[..bytes.len() / 2]));
        }
    });
    refused(&net, tamper, false, |e| {
        matches!(
            e,
            Error::Proof {
                reason: ProofRejection::Malformed,
                ..
            }
        )
    });
}

#[test]
fn an_answer_without_a_proof_is_refused() {
    let net = Net::start(4);
    let tamper = Tamper::rewrite(|method, _, result| {
        if method == "abci_query" {
            result["response"]["proofOps"] = Value::Null;
        }
    });
    refused(&net, tamper, false, |e| matches!(e, Error::Unproven { .. }));
}

#[test]
fn a_value_hidden_as_absent_is_refused() {
    // The node drops the value of an existing key (the account nonce, once the wallet has
    // one): its membership proof does not prove absence.
    let net = Net::start(4);
    let (_dir, mut vault) = anchored(&net);
    file_report(&mut session(&mut vault, &net.primary, &[&net.witness]))
        .expect("first report sets a nonce");
    let tamper = Tamper::rewrite(|method, _, result| {
        if method == "abci_query" {
            result["response"]["value"] = Value::Null;
        }
    });
    let proxy = net.proxy(tamper);
    let err = file_report(&mut session(&mut vault, &proxy.url, &[&net.witness]))
        .expect_err("hidden value");
    assert!(
        matches!(
            err,
            Error::Proof {
                reason: ProofRejection::Mismatch,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 0);
}

#[test]
fn a_diverging_witness_stops_every_action_and_the_evidence_is_kept() {
    let net = Net::start_forked();
    let (_dir, mut vault) = anchored_without_witness_check(&net);
    let proxy = net.proxy(Tamper::Honest);
    let err =
        file_report(&mut session(&mut vault, &proxy.url, &[&net.witness])).expect_err("divergence");
    let Error::Divergence { evidence, .. } = &err else {
        panic!("{err:?}");
    };
    assert_ne!(
        evidence.primary_block.signed_header.header.hash(),
        evidence.witness_block.signed_header.header.hash()
    );
    assert!(
        evidence
            .submissions
            .iter()
            .all(|s| s.contains("does not accept evidence")),
        "{:?}",
        evidence.submissions
    );
    let kept = vault.open_divergence().expect("read").expect("kept");
    assert_eq!(kept.witness_url, net.witness);
    assert!(!kept.evidence.is_empty());
    // Every later action is refused until the user sets a new trust anchor.
    let err = file_report(&mut session(&mut vault, &proxy.url, &[&net.witness]))
        .expect_err("still stopped");
    assert_eq!(err.code(), "divergence_open");
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 0);
}

/// With a forked witness the genesis anchor comes from the primary alone.
fn anchored_without_witness_check(net: &Net) -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    session(&mut vault, &net.primary, &[])
        .anchor_genesis(None)
        .expect("anchor");
    (dir, vault)
}

#[test]
fn a_response_too_large_is_refused() {
    let net = Net::start(4);
    refused(&net, Tamper::Huge(5 * 1024 * 1024), false, |e| {
        matches!(
            e,
            Error::Fetch {
                reason: FetchError::TooLarge,
                ..
            }
        )
    });
}

#[test]
fn a_node_that_never_answers_times_out() {
    let net = Net::start(4);
    let quick = Settings {
        request_timeout: Duration::from_millis(1500),
        ..settings()
    };
    refused_with(&net, Tamper::Silent, false, quick, |e| {
        matches!(
            e,
            Error::Fetch {
                reason: FetchError::Timeout,
                ..
            }
        )
    });
}
