//! State-proof checks on the published ICS23 vectors (`../shared/vectors/ics23`: IAVL,
//! Tendermint and SMT specs, membership and non-membership, left/middle/right), each its own
//! case: the stated read verifies, a changed value, key, root or claim does not.

use std::path::PathBuf;

use citywallet_light_client::proof::{ProofRejection, verify_read};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

fn check(spec_name: &str, file: &PathBuf) -> Result<(), Failed> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(file)?)?;
    let h = |k: &str| hex::decode(v[k].as_str().unwrap_or_default());
    let (key, value, proof, root) = (h("key")?, h("value")?, h("proof")?, h("root")?);
    let spec = match spec_name {
        "iavl" => ics23::iavl_spec(),
        "tendermint" => ics23::tendermint_spec(),
        _ => ics23::smt_spec(),
    };
    let exists = file
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("exist"));
    let claimed = exists.then_some(value.as_slice());
    verify_read(&spec, &root, &key, claimed, &proof)
        .map_err(|e| format!("the stated read failed: {e}"))?;

    // Anything else must fail.
    let mut other_root = root.clone();
    other_root[0] ^= 1;
    if verify_read(&spec, &other_root, &key, claimed, &proof).is_ok() {
        return Err("accepted under another root".into());
    }
    if exists {
        let mut other = value.clone();
        other.push(b'!');
        if verify_read(&spec, &root, &key, Some(&other), &proof).is_ok() {
            return Err("accepted another value".into());
        }
        if verify_read(&spec, &root, &key, None, &proof).is_ok() {
            return Err("a membership proof proved absence".into());
        }
    } else if verify_read(&spec, &root, &key, Some(b"anything"), &proof).is_ok() {
        return Err("a non-membership proof proved a value".into());
    }
    if verify_read(&spec, &root, &key, claimed, &proof[..proof.len() / 2]).is_ok() {
        return Err("a truncated proof was accepted".into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/ics23");
    let mut trials = Vec::new();
    for spec in ["iavl", "tendermint", "smt"] {
        for case in [
            "exist_left",
            "exist_middle",
            "exist_right",
            "nonexist_left",
            "nonexist_middle",
            "nonexist_right",
        ] {
            let file = dir.join(spec).join(format!("{case}.json"));
            let spec = spec.to_owned();
            trials.push(Trial::test(format!("ics23::{spec}::{case}"), move || {
                check(&spec, &file)
            }));
        }
    }
    trials.push(Trial::test("ics23::oversized_and_garbage_proofs", || {
        let spec = citywallet_light_client::proof::city_spec();
        if verify_read(&spec, &[0; 32], b"k", None, &vec![0; 70_000])
            != Err(ProofRejection::TooLarge)
        {
            return Err("oversized".into());
        }
        if verify_read(&spec, &[0; 32], b"k", None, b"\xff\xff\xff garbage")
            != Err(ProofRejection::Malformed)
        {
            return Err("garbage".into());
        }
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}
