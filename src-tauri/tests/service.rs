//! The app around its wallet, without a window, against a real devnet over HTTP: the shell's
//! status, demo credentials over OpenID4VCI from the devnet's issuer services (the officer and technician roles
//! enrolled by its admin and proven by the wallet), and the typed error codes with a
//! sentence in every UI language. The flows themselves are the wallet's, tested on the
//! in-memory chain in `wallet/tests/flows.rs`.

use citywallet_app::app::{App, AppNetwork};
use citywallet_chain_tests::Net;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_wallet::dto::ReportIn;
use citywallet_wallet::{ErrorCode, Network};
use strum::IntoEnumIterator;

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const PASS: &str = "tram lantern harbour 42";

/// The devnet's demo issuers, served from this test's process, until dropped.
fn demo_issuers(net: &Net) -> citywallet_issuer::demo::Background {
    citywallet_issuer::demo::serve_in_background(
        net.data_dir(),
        &Network {
            primary: net.primary.clone(),
            witnesses: vec![net.witness.clone()],
        },
        FAST,
    )
    .expect("demo issuers")
}

fn app(net: &Net, dir: &std::path::Path, demo: bool) -> App {
    App::new(
        dir.to_path_buf(),
        AppNetwork {
            nodes: Network {
                primary: net.primary.clone(),
                witnesses: vec![net.witness.clone()],
            },
            embedded: false,
            devnet_data: demo.then(|| net.data_dir().to_path_buf()),
        },
        FAST,
    )
}

#[test]
fn demo_credentials_come_with_their_role_and_the_status_shows_the_views() {
    let net = Net::start(4);
    let _issuers = demo_issuers(&net);
    let dir = tempfile::tempdir().expect("dir");
    let mut a = app(&net, dir.path(), true);
    let st = a.status().expect("status");
    assert!(!st.vault_exists && !st.unlocked && st.network.demo_issuers);
    a.create(Passphrase::from(PASS)).expect("create");
    a.wallet
        .set_setting("effect_wait_secs", 20)
        .expect("setting");
    a.demo_credential("credit", false).expect("credit");
    a.demo_credential("officer", false).expect("officer");
    let st = a.status().expect("status");
    assert!(st.officer && !st.technician);
    assert!(st.did.is_some_and(|d| d.starts_with("did:key:")));
    // The role is proven on the chain: the officer's queue opens (and holds this report;
    // on a shared localnet other tests' reports are there too).
    let filed = a
        .wallet
        .submit_report(&ReportIn {
            category: "pothole".into(),
            location: "cell-1".into(),
            description: "d".into(),
            evidence_sha256: None,
            residency: None,
        })
        .expect("report");
    assert!(
        a.wallet
            .pending_reports(None)
            .expect("pending")
            .reports
            .iter()
            .any(|r| r.id == filed.subject)
    );
    assert_eq!(
        a.demo_credential("passport", false)
            .expect_err("no such type")
            .code,
        "invalid_credential"
    );

    let dir2 = tempfile::tempdir().expect("dir");
    let mut plain = app(&net, dir2.path(), false);
    plain.create(Passphrase::from(PASS)).expect("create");
    assert_eq!(
        plain
            .demo_credential("credit", false)
            .expect_err("no devnet keys")
            .code,
        "no_demo_issuer"
    );
}

/// A private demo credential as the app's commands take it: listed and shown as private
/// (no holder), presented to an officer's challenge with no DID (the verdict names no
/// holder, no credential and no pseudonym, and states the issuer's revocation bound), offered to the report form to vouch with,
/// not renewed twice in one window, and deleted with its secrets. A role credential cannot
/// be private.
#[test]
fn a_private_demo_credential_is_held_shown_vouched_with_and_deleted() {
    let net = Net::start(4);
    let _issuers = demo_issuers(&net);
    let dir = tempfile::tempdir().expect("dir");
    let mut a = app(&net, dir.path(), true);
    a.create(Passphrase::from(PASS)).expect("create");
    a.wallet
        .set_setting("effect_wait_secs", 20)
        .expect("setting");
    assert_eq!(a.wallet.report_form().expect("form").residency, None);
    let item = a
        .demo_credential("residency", true)
        .expect("private residency");
    assert!(item.private && item.w3c, "{item:?}");
    let listed = a.wallet.credentials().expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].private && listed[0].id == item.id);
    let detail = a.wallet.credential(&item.id).expect("detail");
    assert!(detail.private && detail.holder.is_empty(), "{detail:?}");
    assert!(detail.claims.iter().any(|c| c.name == "district"));
    assert_eq!(
        a.demo_credential("officer", true)
            .expect_err("a role credential names its holder")
            .code,
        "credential_unsupported"
    );

    // The officer (this same app, with the role) checks it from the QR code's text.
    a.demo_credential("officer", false).expect("officer");
    let (_, challenge) = a
        .wallet
        .new_challenge(Some("officer-7"))
        .expect("challenge");
    let shown = a
        .wallet
        .present_qr(&item.id, &["district".to_owned()], &challenge.text)
        .expect("present");
    let v = a
        .wallet
        .verify_text(
            &shown.text,
            &challenge.text,
            citywallet_wallet::Check::Online,
        )
        .expect("verdict");
    assert!(v.holder.is_empty() && v.credential_id.is_empty(), "{v:?}");
    // The officer asked for no pseudonym: the one for a fresh random context is not kept.
    assert!(v.pseudonym.is_none());
    assert_eq!(
        v.revocation_bound_secs,
        Some(citywallet_node::devnet::DEVNET_REVOCATION_DELAY_SECS)
    );
    assert_eq!(v.disclosed.len(), 1);
    let did = a.status().expect("status").did.expect("did");
    let text = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &shown.text)
            .expect("base64"),
    )
    .unwrap_or_default();
    assert!(!text.contains(&did));

    // The report form offers it, and the report is vouched with it.
    let form = a.wallet.report_form().expect("form");
    assert_eq!(form.residency.as_deref(), Some(item.id.as_str()));
    a.wallet
        .submit_report(&ReportIn {
            category: "pothole".into(),
            location: "cell-2".into(),
            description: "a resident's report".into(),
            evidence_sha256: None,
            residency: form.residency.clone(),
        })
        .expect("a resident's report");

    // One private credential a window: renewing now is refused and keeps it.
    let refused = a.wallet.refresh_private(&item.id).expect_err("same window");
    assert_eq!(refused.code(), "credential_already_issued");
    assert!(a.wallet.credential(&item.id).is_ok());
    a.wallet.delete_credential(&item.id).expect("delete");
    assert!(
        a.wallet
            .credentials()
            .expect("list")
            .iter()
            .all(|c| !c.private)
    );
    assert_eq!(a.wallet.report_form().expect("form").residency, None);
}

/// The officer's and technician's operations are refused in Rust without the role's
/// credential, whatever the web view calls; a bundle's file is named from the device found,
/// never from the id given.
#[test]
fn role_operations_need_the_role_credential_and_bundles_stay_in_their_folder() {
    let net = Net::start(4);
    let _issuers = demo_issuers(&net);
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let mut a = app(&net, &data, true);
    a.create(Passphrase::from(PASS)).expect("create");
    a.wallet
        .set_setting("effect_wait_secs", 20)
        .expect("setting");
    let code =
        |r: Result<&mut citywallet_wallet::Wallet, citywallet_wallet::dto::ErrorInfo>| match r {
            Ok(_) => "granted".to_owned(),
            Err(e) => e.code.as_str().to_owned(),
        };
    assert_eq!(code(a.as_officer()), "role_credential_missing");
    assert_eq!(code(a.as_technician()), "role_credential_missing");
    let device_pass = Passphrase::from("device passphrase 2026");
    let escape = "../../escaped";
    assert_eq!(
        a.export_bundle(escape, &device_pass)
            .expect_err("no technician credential")
            .code,
        "role_credential_missing"
    );

    a.demo_credential("technician", false).expect("technician");
    assert_eq!(code(a.as_officer()), "role_credential_missing");
    assert_eq!(code(a.as_technician()), "granted");
    // No device is called that: refused before any path is built.
    assert_eq!(
        a.export_bundle(escape, &device_pass)
            .expect_err("no such device")
            .code,
        "not_found"
    );
    assert!(!dir.path().join("escaped.cwbundle").exists());
    assert!(!data.join("escaped.cwbundle").exists());

    let item = a
        .as_technician()
        .expect("technician")
        .provision(&citywallet_wallet::dto::DeviceIn {
            id: "aq-bundle-1".into(),
            public_key: None,
            key_index: None,
            kind: "air-quality-sensor".into(),
            location: "cell-1".into(),
            department: "environment".into(),
        })
        .expect("provision");
    assert_eq!(item.id, "aq-bundle-1");
    let path = a
        .export_bundle("aq-bundle-1", &device_pass)
        .expect("bundle");
    assert_eq!(path, data.join("exports").join("aq-bundle-1.cwbundle"));
    assert!(path.is_file());
}

fn locale(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../ui/src/locales/{name}.json"));
    serde_json::from_slice(&std::fs::read(&path).expect("locale")).expect("json")
}

#[test]
fn every_error_code_has_a_sentence_in_each_language() {
    let keys = |name| {
        let v = locale(name);
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys("en"),
        keys("zh-CN"),
        "both languages have the same strings"
    );
    for name in ["en", "zh-CN"] {
        let strings = locale(name);
        let missing: Vec<&str> = ErrorCode::all()
            .map(ErrorCode::as_str)
            .filter(|c| !strings[format!("error.{c}")].is_string())
            .collect();
        assert!(missing.is_empty(), "{name} lacks sentences for {missing:?}");
        let kinds = citywallet_core::vault::VaultEvent::iter()
            .map(|e| citywallet_core::vault::ActivityKind::from(e).as_str())
            .chain(
                citywallet_protocol::ActionKind::ALL
                    .iter()
                    .map(|a| a.as_str()),
            );
        let missing: Vec<&str> = kinds
            .filter(|k| !strings[format!("activity.{k}")].is_string())
            .collect();
        assert!(
            missing.is_empty(),
            "{name} lacks activity sentences for {missing:?}"
        );
    }
}

#[test]
fn every_keystore_code_is_a_wallet_code() {
    for c in citywallet_mobile::keystore::ErrorCode::iter() {
        assert_eq!(
            ErrorCode::of(c.as_str()).as_str(),
            c.as_str(),
            "{} is missing from the wallet's ErrorCode",
            c.as_str()
        );
    }
}

/// A sync is waiting on a node that never answers (its request would time out only after
/// 10 s): locking does not wait for it. The sync is stopped and ends with
/// `operation_cancelled`, and the wallet is locked, long before the node's timeout.
#[test]
fn locking_stops_a_running_sync_instead_of_waiting_for_it() {
    use citywallet_app::app::Shared;
    use citywallet_chain_tests::Tamper;
    use std::sync::atomic::Ordering;
    let net = Net::start(4);
    let dir = tempfile::tempdir().expect("dir");
    let mut a = app(&net, dir.path(), false);
    a.create(Passphrase::from(PASS)).expect("create");
    a.wallet.sync(&mut |_| {}).expect("first sync, honest");
    let silent = net.proxy(Tamper::Silent);
    a.wallet
        .add_node(&silent.url, citywallet_core::vault::NodeRole::Primary)
        .expect("primary");
    a.wallet
        .add_node(&net.witness, citywallet_core::vault::NodeRole::Witness)
        .expect("witness");
    let shared = Shared::new(a);
    let running = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.app().wallet.sync(&mut |_| {}).map(|_| ()))
    };
    let started = std::time::Instant::now();
    while silent.requests.load(Ordering::SeqCst) == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the sync reaches the node"
        );
        std::thread::yield_now();
    }
    assert!(
        shared.lock_now(),
        "the wallet was unlocked and is now locked"
    );
    let outcome = running.join().expect("the sync thread");
    assert_eq!(
        outcome.expect_err("stopped").code().as_str(),
        "operation_cancelled"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "stopped, not timed out"
    );
    assert!(!shared.app().wallet.is_unlocked());
}
