//! Every CometBFT light-client case in `../shared/vectors/cometbft/light_client` (model-based
//! single steps from tendermint-rs, and the derived invalid ones) as its own test: each step
//! gets the expected verdict from both engines, and the engines agree at every step.

use std::path::PathBuf;
use std::time::Duration;

use citywallet_light_client::verify::{Engine, Verdict, options, verify_update};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use tendermint::Time;
use tendermint_light_client_verifier::types::{LightBlock, SignedHeader, ValidatorSet};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/cometbft/light_client")
}

fn run(file: &PathBuf) -> Result<(), Failed> {
    let case: Value = serde_json::from_str(&std::fs::read_to_string(file)?)?;
    let initial = &case["initial"];
    let signed_header: SignedHeader = serde_json::from_value(initial["signed_header"].clone())?;
    let next: ValidatorSet = serde_json::from_value(initial["next_validator_set"].clone())?;
    let period_ns: u64 = match &initial["trusting_period"] {
        Value::String(s) => s.parse()?,
        v => v.as_u64().ok_or("trusting_period")?,
    };
    let inputs = case["input"].as_array().ok_or("input")?;
    let first: LightBlock =
        serde_json::from_value(inputs.first().ok_or("no input")?["block"].clone())?;
    let mut trusted = LightBlock::new(signed_header, next.clone(), next, first.provider);
    let opts = options(Duration::from_nanos(period_ns), Duration::ZERO);
    for (i, input) in inputs.iter().enumerate() {
        let block: LightBlock = serde_json::from_value(input["block"].clone())?;
        let now = Time::parse_from_rfc3339(input["now"].as_str().ok_or("now")?)?;
        let want = input["verdict"].as_str().ok_or("verdict")?;
        let batch = verify_update(&trusted, &block, &opts, now, Engine::Batch);
        let reference = verify_update(&trusted, &block, &opts, now, Engine::Reference);
        if batch != reference {
            return Err(format!("step {i}: batch {batch:?} but reference {reference:?}").into());
        }
        let ok = matches!(
            (want, batch),
            ("SUCCESS", Verdict::Verified)
                | ("NOT_ENOUGH_TRUST", Verdict::NotEnoughTrust)
                | ("INVALID", Verdict::Invalid(_))
        );
        if !ok {
            return Err(format!("step {i}: expected {want}, got {batch:?}").into());
        }
        if batch == Verdict::Verified {
            trusted = block;
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for sub in ["model_based_single_step", "derived_invalid"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join(sub))
            .unwrap_or_else(|e| panic!("{sub}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let name = format!(
                "{sub}::{}",
                f.file_stem().and_then(|s| s.to_str()).unwrap_or("?")
            );
            trials.push(Trial::test(name, move || run(&f)));
        }
    }
    assert_eq!(trials.len(), 42, "38 model-based and 4 derived cases");
    libtest_mimic::run(&args, trials).exit();
}
