//! The chain commands through the `citywallet` binary against a real chain (a devnet started
//! in this process on free loopback ports, or the CometBFT localnet: see
//! `citywallet_chain_tests::Backend`): nodes, sync, status, a report and a grant with
//! receipts, an officer's online and offline checks, a revocation, and refusals with codes.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use citywallet_chain_tests::Net;
use serde_json::Value;

const PASS: &str = "correct horse battery";
const DEVICE_PASS: &str = "sensor on the tram stop 9";

/// The devnet's demo issuers (issuer services, served from this test's process: they are
/// the issuers' business, not the command line's), until dropped.
fn demo_issuers(net: &Net) -> citywallet_issuer::demo::Background {
    citywallet_issuer::demo::serve_in_background(
        net.data_dir(),
        &citywallet_wallet::Network {
            primary: net.primary.clone(),
            witnesses: vec![net.witness.clone()],
        },
        citywallet_core::vault::KdfParams {
            m_cost_kib: 256,
            t_cost: 1,
            p_cost: 1,
        },
    )
    .expect("demo issuers")
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    fn run(&self, vault: &str, args: &[&str]) -> Output {
        self.run_with(vault, args, DEVICE_PASS)
    }

    /// As [`Env::run`], with `device_pass` as the device passphrase.
    fn run_with(&self, vault: &str, args: &[&str], device_pass: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_citywallet"))
            .arg("--vault")
            .arg(self.path(vault))
            .arg("--json")
            .args(args)
            .env("CITYWALLET_PASSPHRASE", PASS)
            .env("CITYWALLET_DEVICE_PASSPHRASE", device_pass)
            .env_remove("CITYWALLET_VAULT")
            .stdin(Stdio::null())
            .output()
            .expect("run")
    }

    fn ok(&self, vault: &str, args: &[&str]) -> Value {
        let out = self.run(vault, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    fn refused(&self, vault: &str, args: &[&str], code: &str) {
        let out = self.run(vault, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err: Value = serde_json::from_slice(&out.stderr).expect("json error");
        assert_eq!(err["error"]["code"], code, "{args:?}: {err}");
    }

    fn wallet(&self, vault: &str, net: &Net) {
        self.ok(vault, &["init"]);
        self.ok(vault, &["node", "add", &net.primary]);
        self.ok(vault, &["node", "add", &net.witness, "--witness"]);
    }
}

#[test]
fn citizen_and_officer_flows_against_the_chain() {
    let net = Net::start(4);
    let env = Env {
        dir: tempfile::tempdir().expect("tmp"),
    };
    env.wallet("citizen.db", &net);
    let nodes = env.ok("citizen.db", &["node", "list"]);
    assert_eq!(nodes["primary"], net.primary.as_str());
    assert_eq!(nodes["defaultDevnet"], false);

    let synced = env.ok("citizen.db", &["sync"]);
    assert!(synced["height"].as_u64().expect("height") >= 2);
    // More than two thirds signed (all of them on the devnet; on CometBFT, late votes miss
    // the commit).
    let signed = synced["signedPower"].as_u64().expect("signed");
    assert!(3 * signed > 2 * synced["totalPower"].as_u64().expect("total"));
    assert_eq!(synced["snapshot"]["issuers"], 2);
    let status = env.ok("citizen.db", &["status"]);
    assert_eq!(status["trustExpired"], false);
    assert!(status["divergence"].is_null());

    // A report with an evidence file, its receipt checked offline.
    std::fs::write(env.path("photo.jpg"), b"not really a jpeg").expect("write");
    let filed = env.ok(
        "citizen.db",
        &[
            "report",
            "submit",
            "--category",
            "pothole",
            "--location",
            "cell-8a2b",
            "--description",
            "deep pothole",
            "--evidence",
            &env.s("photo.jpg"),
        ],
    );
    let report = filed["report"].as_str().expect("id").to_owned();
    let list = env.ok("citizen.db", &["report", "list"]);
    assert_eq!(list["reports"][0]["id"], report.as_str());
    assert_eq!(list["reports"][0]["status"], "submitted");
    let receipt = env.ok("citizen.db", &["report", "receipt", &report]);
    assert_eq!(receipt["action"], "submit_report");

    // A grant, listed and revoked; an unaccredited one is refused with its code.
    let granted = env.ok(
        "citizen.db",
        &[
            "grant",
            "create",
            "--org",
            "health-research",
            "--categories",
            "health,mobility",
            "--purpose",
            "asthma study",
            "--expires",
            "2031-01-01",
        ],
    );
    let grant = granted["grant"].as_str().expect("id").to_owned();
    assert_eq!(
        env.ok("citizen.db", &["grant", "list"])[0]["status"],
        "active"
    );
    env.ok("citizen.db", &["grant", "revoke", &grant]);
    assert_eq!(
        env.ok("citizen.db", &["grant", "list"])[0]["status"],
        "revoked"
    );
    env.refused(
        "citizen.db",
        &[
            "grant",
            "create",
            "--org",
            "transit-authority",
            "--categories",
            "health",
            "--purpose",
            "p",
            "--expires",
            "2031-01-01",
        ],
        "org_not_accredited",
    );
    env.refused(
        "citizen.db",
        &[
            "device",
            "register",
            "--id",
            "aq-1",
            "--public-key",
            &"ab".repeat(32),
            "--kind",
            "sensor",
            "--location",
            "cell-1",
            "--department",
            "environment",
        ],
        "missing_role",
    );

    // The devnet's credit bureau issues a credential; the citizen presents it.
    let did = env.ok("citizen.db", &["identity", "show"])["did"]
        .as_str()
        .expect("did")
        .to_owned();
    let issuer_key = net.data_dir().join("devnet-issuer-key.json");
    let issuer_key = issuer_key.to_string_lossy();
    env.ok(
        "citizen.db",
        &[
            "issuer",
            "issue",
            "--key",
            &issuer_key,
            "--type",
            "credit",
            "--holder",
            &did,
            "--claims",
            r#"{"score": 731, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-20"}"#,
            "--out",
            &env.s("credit.json"),
            "--id",
            "urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427",
        ],
    );
    env.ok(
        "citizen.db",
        &["credential", "import", &env.s("credit.json")],
    );
    env.wallet("officer.db", &net);
    env.ok(
        "officer.db",
        &[
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
            "present",
            "--credential",
            "urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427",
            "--disclose",
            "tier",
            "--challenge",
            &env.s("challenge.json"),
            "--out",
            &env.s("p.json"),
            "--compact-out",
            &env.s("p.bin"),
        ],
    );
    let verify = |mode: &str| -> Vec<String> {
        vec![
            "verify".into(),
            mode.into(),
            "--presentation".into(),
            env.s("p.bin"),
            "--challenge".into(),
            env.s("challenge.json"),
        ]
    };
    let args = verify("--online");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let online = env.ok("officer.db", &args);
    assert_eq!(online["chain"]["mode"], "online");
    assert_eq!(online["chain"]["issuer_name"], "City Credit Bureau");
    assert_eq!(online["presentation"]["disclosed"][0][1], "A");
    env.ok("officer.db", &["sync"]);
    let offline_args = verify("--offline");
    let offline_args: Vec<&str> = offline_args.iter().map(String::as_str).collect();
    assert_eq!(
        env.ok("officer.db", &offline_args)["chain"]["mode"],
        "offline"
    );

    // The issuer revokes it; the officer's online check refuses it with the reason.
    env.ok(
        "citizen.db",
        &[
            "issuer",
            "revoke",
            "--key",
            &issuer_key,
            "--credential",
            "urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427",
            "--reason",
            "superseded",
        ],
    );
    env.refused("officer.db", &args, "credential_revoked");
    env.ok(
        "officer.db",
        &["settings", "set", "snapshot_max_age_secs", "0"],
    );
    env.refused("officer.db", &offline_args, "snapshot_too_old");
}

/// The flows the command line gained with the wallet crate: a refused location before
/// anything is sent, an officer's review queue, CSV provisioning, the activity log and an
/// encrypted export, and a demo credential from the devnet's issuers.
#[test]
fn review_batch_provisioning_and_backups_from_the_command_line() {
    let net = Net::start(4);
    let env = Env {
        dir: tempfile::tempdir().expect("dir"),
    };
    env.wallet("citizen.db", &net);
    env.wallet("staff.db", &net);
    let submit = |location: &str| {
        vec![
            "report",
            "submit",
            "--category",
            "pothole",
            "--location",
            location,
            "--description",
            "deep pothole",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let args = submit("Main St 12");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run("citizen.db", &args);
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stderr).expect("json error");
    assert_eq!(err["error"]["code"], "field_not_an_id");
    assert_eq!(err["error"]["field"], "location_cell");
    let args = submit("cell-8a2b");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = env.ok("citizen.db", &args)["report"]
        .as_str()
        .expect("report id")
        .to_owned();

    // Staff get the officer and technician credentials from City Hall's issuer service
    // and the roles from the devnet's demo admin.
    let _issuers = demo_issuers(&net);
    let data = net.data_dir().to_string_lossy().into_owned();
    for kind in ["officer", "technician"] {
        let c = env.ok(
            "staff.db",
            &["credential", "demo", "--type", kind, "--devnet-data", &data],
        );
        assert_eq!(c["kind"], kind);
    }
    let pending = env.ok("staff.db", &["report", "pending"]);
    assert_eq!(pending["reports"][0]["id"], report.as_str());
    assert_eq!(pending["older"], serde_json::Value::Null, "one page");
    env.ok(
        "staff.db",
        &["report", "review", &report, "--accept", "--reward", "3"],
    );
    assert_eq!(env.ok("citizen.db", &["report", "list"])["rewardPoints"], 3);

    let orgs = env.ok("citizen.db", &["org", "list"]);
    assert_eq!(orgs.as_array().map(Vec::len), Some(2));

    std::fs::write(
        env.path("devices.csv"),
        "id,kind,location,department\nsensor-1,air-quality,cell-1,environment\nbroken\n",
    )
    .expect("csv");
    let rows = env.ok(
        "staff.db",
        &["device", "provision-csv", &env.s("devices.csv")],
    );
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(rows[1]["error"]["code"], "csv_row");
    let status = env.ok("staff.db", &["device", "status"]);
    assert_eq!(status[0]["status"], "active");

    let activity = env.ok("citizen.db", &["activity"]);
    assert!(
        activity
            .as_array()
            .expect("list")
            .iter()
            .any(|a| a["kind"] == "submit_report")
    );
    env.ok(
        "citizen.db",
        &["vault", "export", "--out", &env.s("backup.cwexport")],
    );
    let restored = Command::new(env!("CARGO_BIN_EXE_citywallet"))
        .arg("--vault")
        .arg(env.path("restored.db"))
        .args(["--json", "vault", "import", &env.s("backup.cwexport")])
        .env("CITYWALLET_PASSPHRASE", PASS)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let words = env.ok("citizen.db", &["phrase", "show"]);
    assert_eq!(words["words"].as_array().map(Vec::len), Some(24));
}

#[test]
fn a_simulated_device_anchors_from_its_bundle_until_revoked_and_a_batch_file_is_checked() {
    let net = Net::start(4);
    let env = Env {
        dir: tempfile::tempdir().expect("dir"),
    };
    env.wallet("citizen.db", &net);
    env.wallet("staff.db", &net);
    let _issuers = demo_issuers(&net);
    let data = net.data_dir().to_string_lossy().into_owned();
    env.ok(
        "staff.db",
        &[
            "credential",
            "demo",
            "--type",
            "technician",
            "--devnet-data",
            &data,
        ],
    );
    let device = format!("sim-{}", std::process::id());
    env.ok(
        "staff.db",
        &[
            "device",
            "register",
            "--id",
            &device,
            "--kind",
            "air-quality-sensor",
            "--location",
            "cell-8a2b",
            "--department",
            "environment",
        ],
    );
    let bundle = env.s("sim.cwbundle");
    env.ok(
        "staff.db",
        &["device", "bundle", "--id", &device, "--out", &bundle],
    );

    // The simulator has the bundle and its passphrase only (its own state beside it).
    let out_dir = env.s("batches");
    let simulate = |count: &str| {
        env.run(
            "unused.db",
            &[
                "device",
                "simulate",
                "--bundle",
                &bundle,
                "--count",
                count,
                "--interval",
                "0",
                "--readings",
                "5",
                "--out",
                &out_dir,
            ],
        )
    };
    let wrong = env.run_with(
        "unused.db",
        &["device", "simulate", "--bundle", &bundle, "--count", "1"],
        "not the device passphrase",
    );
    assert_eq!(wrong.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&wrong.stderr).expect("json error");
    assert_eq!(err["error"]["code"], "wrong_passphrase");
    let ran = simulate("2");
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let ran: Value = serde_json::from_slice(&ran.stdout).expect("json");
    let batches = ran["batches"].as_array().expect("batches");
    assert_eq!(batches.len(), 2);
    assert_eq!(
        (batches[0]["seq"].as_u64(), batches[1]["seq"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(
        !env.path("unused.db").exists(),
        "the simulator uses no wallet vault"
    );
    let file = batches[1]["file"].as_str().expect("file").to_owned();

    // Anyone with the light client checks the file; a changed reading is refused.
    let check = env.ok("citizen.db", &["device", "check-reading", &file]);
    assert_eq!(
        (check["matches"].as_bool(), check["seq"].as_u64()),
        (Some(true), Some(2))
    );
    let text = std::fs::read_to_string(&file).expect("read");
    let tampered = env.path("tampered.jsonl");
    std::fs::write(&tampered, text.replacen("\"pm25\":", "\"pm25\":1", 1)).expect("write");
    env.refused(
        "citizen.db",
        &["device", "check-reading", &tampered.to_string_lossy()],
        "readings_not_anchored",
    );

    // The department's view shows the latest proven anchor; a revoked device anchors no more.
    let dept = env.ok("staff.db", &["device", "department"]);
    let listed = dept["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["id"] == device.as_str())
        .expect("listed")
        .clone();
    assert_eq!(listed["latestAnchor"]["seq"], 2);
    env.ok("staff.db", &["device", "revoke", &device]);
    let after = simulate("1");
    assert_eq!(after.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&after.stderr).expect("json error");
    assert_eq!(err["error"]["code"], "not_active");
}
