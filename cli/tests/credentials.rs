//! The credential flow through the `citywallet` binary: an issuer issues a credit credential,
//! the citizen imports it and shows tier and bureau for an officer's challenge, the officer
//! verifies; tampered variants get precise reasons.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const PASS: &str = "correct horse battery";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tmp"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run_in(&self, vault: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_citywallet"))
            .arg("--vault")
            .arg(self.path(vault))
            .args(args)
            .env("CITYWALLET_PASSPHRASE", PASS)
            .env_remove("CITYWALLET_VAULT")
            .stdin(Stdio::null())
            .output()
            .expect("run")
    }

    fn ok(&self, vault: &str, args: &[&str]) -> Value {
        let out = self.run_in(vault, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// Run and expect a refusal with `code`.
    fn refused(&self, vault: &str, args: &[&str], code: &str) {
        let out = self.run_in(vault, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err: Value = serde_json::from_slice(&out.stderr).expect("json error");
        assert_eq!(err["error"]["code"], code, "{args:?}: {err}");
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

fn setup() -> (Env, String) {
    let env = Env::new();
    env.ok("citizen.db", &["--json", "init"]);
    let did = env.ok("citizen.db", &["--json", "identity", "show"])["did"]
        .as_str()
        .expect("did")
        .to_owned();
    env.ok(
        "-",
        &[
            "--json",
            "issuer",
            "keygen",
            "--id",
            "city-credit-bureau",
            "--out",
            &env.s("issuer.json"),
        ],
    );
    let claims =
        json!({"score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-01"})
            .to_string();
    env.ok(
        "-",
        &[
            "--json",
            "issuer",
            "issue",
            "--key",
            &env.s("issuer.json"),
            "--type",
            "credit",
            "--holder",
            &did,
            "--claims",
            &claims,
            "--id",
            "urn:uuid:credit-0001",
            "--out",
            &env.s("credit.json"),
        ],
    );
    (env, did)
}

/// The citizen imports the credit credential, the officer writes `challenge.json`, and the
/// citizen presents `disclose` into `p.json`.
fn imported_and_presented(disclose: &str) -> Env {
    let (env, _) = setup();
    env.ok(
        "citizen.db",
        &["--json", "credential", "import", &env.s("credit.json")],
    );
    env.ok(
        "-",
        &[
            "--json",
            "challenge",
            "new",
            "--verifier",
            "officer-17",
            "--out",
            &env.s("challenge.json"),
        ],
    );
    env.ok(
        "citizen.db",
        &[
            "--json",
            "present",
            "--credential",
            "urn:uuid:credit-0001",
            "--disclose",
            disclose,
            "--challenge",
            &env.s("challenge.json"),
            "--out",
            &env.s("p.json"),
            "--compact-out",
            &env.s("p.bin"),
        ],
    );
    env
}

#[test]
fn citizen_shows_tier_and_bureau_and_the_officer_verifies() {
    let (env, did) = setup();
    let imported = env.ok(
        "citizen.db",
        &["--json", "credential", "import", &env.s("credit.json")],
    );
    assert_eq!(imported["id"], "urn:uuid:credit-0001");
    let list = env.ok("citizen.db", &["--json", "credential", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], "urn:uuid:credit-0001");
    assert_eq!(
        list[0]["claims"],
        json!(["score", "tier", "bureau", "date"])
    );
    assert!(list[0].get("score").is_none());
    let shown = env.ok(
        "citizen.db",
        &["--json", "credential", "show", "urn:uuid:credit-0001"],
    );
    assert_eq!(shown["claims"]["score"], "742");

    env.ok(
        "-",
        &[
            "--json",
            "challenge",
            "new",
            "--verifier",
            "officer-17",
            "--out",
            &env.s("challenge.json"),
        ],
    );
    let out = env.run_in(
        "citizen.db",
        &[
            "present",
            "--credential",
            "urn:uuid:credit-0001",
            "--disclose",
            "tier,bureau",
            "--challenge",
            &env.s("challenge.json"),
            "--out",
            &env.s("p.json"),
            "--compact-out",
            &env.s("p.bin"),
            "--qr",
            "--qr-svg",
            &env.s("p.svg"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let terminal = String::from_utf8_lossy(&out.stderr);
    assert!(
        terminal.contains('█') || terminal.contains('▀'),
        "a QR code is drawn"
    );
    assert!(
        std::fs::read_to_string(env.path("p.svg"))
            .expect("svg")
            .contains("<svg")
    );

    for file in ["p.json", "p.bin"] {
        let v = env.ok(
            "-",
            &[
                "--json",
                "verify",
                "--presentation",
                &env.s(file),
                "--challenge",
                &env.s("challenge.json"),
                "--issuers",
                &env.s("issuer.json"),
            ],
        );
        assert_eq!(v["valid"], true);
        assert_eq!(
            v["disclosed"],
            json!({"tier": "A", "bureau": "City Credit Bureau"})
        );
        assert_eq!(v["holder"], did);
        assert_eq!(v["credentialId"], "urn:uuid:credit-0001");
    }
    // The issuer key file's secret never reaches the verifier's output, nor does the score.
    let p = std::fs::read_to_string(env.path("p.json")).expect("p");
    assert!(!p.contains(&hex::encode("score=742")));
}

#[test]
fn tampered_presentations_get_precise_reasons() {
    let env = imported_and_presented("tier,bureau");
    let verify = |presentation: &str, challenge: &str, issuers: &[&str], code: &str| {
        let mut args = vec![
            "--json",
            "verify",
            "--presentation",
            presentation,
            "--challenge",
            challenge,
        ];
        for i in issuers {
            args.extend(["--issuers", i]);
        }
        env.refused("-", &args, code);
    };
    let (p, ch, iss) = (
        env.s("p.json"),
        env.s("challenge.json"),
        env.s("issuer.json"),
    );

    env.ok(
        "-",
        &[
            "--json",
            "challenge",
            "new",
            "--verifier",
            "officer-17",
            "--out",
            &env.s("other.json"),
        ],
    );
    verify(&p, &env.s("other.json"), &[&iss], "challenge_mismatch");
    // A proof too short for BBS is a malformed presentation (it used to panic, exit 101).
    let mut short: Value =
        serde_json::from_slice(&std::fs::read(env.path("p.json")).expect("read")).expect("json");
    short["proof"] = json!("00");
    std::fs::write(env.path("short.json"), short.to_string()).expect("write");
    verify(&env.s("short.json"), &ch, &[&iss], "presentation_malformed");
    verify(&p, &ch, &[], "issuer_unknown");
    env.ok(
        "-",
        &[
            "--json",
            "issuer",
            "keygen",
            "--id",
            "city-credit-bureau",
            "--out",
            &env.s("impostor.json"),
        ],
    );
    verify(&p, &ch, &[&env.s("impostor.json")], "issuer_unknown");

    let original: Value =
        serde_json::from_slice(&std::fs::read(env.path("p.json")).expect("read")).expect("json");
    let write = |name: &str, v: &Value| {
        std::fs::write(env.path(name), serde_json::to_vec(v).expect("json")).expect("write")
    };
    let mut t = original.clone();
    t["disclosedMessages"][1] = json!(hex::encode("tier=E"));
    write("t1.json", &t);
    verify(&env.s("t1.json"), &ch, &[&iss], "proof_invalid");
    let mut t = original.clone();
    t["holderSignature"] = json!("00".repeat(64));
    write("t2.json", &t);
    verify(&env.s("t2.json"), &ch, &[&iss], "holder_binding_invalid");
    let mut t = original.clone();
    t["proof"] = json!("zz");
    write("t3.json", &t);
    verify(&env.s("t3.json"), &ch, &[&iss], "presentation_malformed");
    let compact = std::fs::read(env.path("p.bin")).expect("read");
    std::fs::write(env.path("t4.bin"), &compact[..compact.len() - 1]).expect("write");
    verify(&env.s("t4.bin"), &ch, &[&iss], "presentation_malformed");

    // A challenge from 20 minutes ago: the officer's 5-minute window has passed.
    let mut old: Value =
        serde_json::from_slice(&std::fs::read(env.path("challenge.json")).expect("read"))
            .expect("json");
    old["issued_at"] = json!(old["issued_at"].as_i64().expect("time") - 1200);
    write("old.json", &old);
    env.ok(
        "citizen.db",
        &[
            "--json",
            "present",
            "--credential",
            "urn:uuid:credit-0001",
            "--disclose",
            "tier",
            "--challenge",
            &env.s("old.json"),
            "--out",
            &env.s("stale.json"),
        ],
    );
    verify(
        &env.s("stale.json"),
        &env.s("old.json"),
        &[&iss],
        "challenge_stale",
    );
}

#[test]
fn imports_refuse_foreign_and_tampered_credentials() {
    let (env, _) = setup();
    env.ok("other.db", &["--json", "init"]);
    env.refused(
        "other.db",
        &["--json", "credential", "import", &env.s("credit.json")],
        "invalid_credential",
    );
    let mut c: Value =
        serde_json::from_slice(&std::fs::read(env.path("credit.json")).expect("read"))
            .expect("json");
    c["claims"][0]["value"] = json!("850");
    std::fs::write(
        env.path("edited.json"),
        serde_json::to_vec(&c).expect("json"),
    )
    .expect("write");
    env.refused(
        "citizen.db",
        &["--json", "credential", "import", &env.s("edited.json")],
        "invalid_credential",
    );
    assert_eq!(
        env.ok("citizen.db", &["--json", "credential", "list"]),
        json!([])
    );

    env.ok(
        "citizen.db",
        &["--json", "credential", "import", &env.s("credit.json")],
    );
    env.refused(
        "citizen.db",
        &["--json", "credential", "import", &env.s("credit.json")],
        "duplicate",
    );
    env.refused(
        "citizen.db",
        &[
            "--json",
            "present",
            "--credential",
            "urn:uuid:credit-0001",
            "--disclose",
            "income",
            "--challenge",
            &env.s("credit.json"),
        ],
        "invalid_challenge",
    );
    env.ok(
        "citizen.db",
        &["--json", "credential", "delete", "urn:uuid:credit-0001"],
    );
    env.refused(
        "citizen.db",
        &["--json", "credential", "show", "urn:uuid:credit-0001"],
        "not_found",
    );

    let bad_claims =
        json!({"score": 901, "tier": "A", "bureau": "X", "date": "2026-11-01"}).to_string();
    env.refused(
        "-",
        &[
            "--json",
            "issuer",
            "issue",
            "--key",
            &env.s("issuer.json"),
            "--type",
            "credit",
            "--holder",
            "did:key:z6Mkbogus",
            "--claims",
            &bad_claims,
            "--out",
            &env.s("x.json"),
        ],
        "invalid_did",
    );
    assert!(!Path::new(&env.s("x.json")).exists());
}

/// The presentation JSON alone lets an independent IETF BBS implementation
/// (`@digitalbazaar/bbs-signatures`, installed by `scripts/setup.sh`) check the proof.
#[test]
fn an_independent_bbs_implementation_verifies_the_presentation() {
    let env = imported_and_presented("tier,bureau");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/verify.mjs");
    let node = |file: &str| {
        let out = Command::new("node")
            .arg(&script)
            .arg(env.path(file))
            .output()
            .expect("node must be installed: run scripts/setup.sh");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(
        node("p.json"),
        "valid",
        "run scripts/setup.sh to install the interop package"
    );

    let mut t: Value =
        serde_json::from_slice(&std::fs::read(env.path("p.json")).expect("read")).expect("json");
    t["disclosedMessages"][2] = json!(hex::encode("bureau=Another Bureau"));
    std::fs::write(env.path("t.json"), serde_json::to_vec(&t).expect("json")).expect("write");
    assert_eq!(node("t.json"), "invalid");
}
