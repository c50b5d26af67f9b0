//! Private reports on a devnet, with the demo issuers as services: a resident's report
//! carries a private presentation of their residency credential (no DID, no credential id)
//! bound to the report and to the week's pseudonym context; the node checks it in CheckTx
//! after the cheap checks, lets one resident file at most `MAX_PER_WINDOW` such reports a
//! week, and rewards one of them. A proof copied onto another report is refused.

use std::path::Path;
use std::sync::Arc;

use citywallet_chain_tests::Net;
use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::{KdfParams, Passphrase};
use citywallet_protocol::{Action, Code, TxBody, reports};
use citywallet_wallet::dto::ReportIn;
use citywallet_wallet::{HttpConnect, Network, SystemClock, Wallet};
use ed25519_dalek::Signer as _;

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

fn network(net: &Net) -> Network {
    Network {
        primary: net.primary.clone(),
        witnesses: vec![net.witness.clone()],
    }
}

fn wallet(net: &Net, dir: &Path, name: &str) -> Wallet {
    let mut w = Wallet::new(
        &dir.join(format!("{name}.db")),
        FAST,
        network(net),
        Arc::new(HttpConnect),
        Arc::new(SystemClock),
    );
    w.create(&Passphrase::from("report wallet passphrase 7"), "")
        .expect("create");
    w.set_setting("effect_wait_secs", 30).expect("setting");
    w
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn report(cell: &str, residency: Option<&str>) -> ReportIn {
    ReportIn {
        category: "pothole".into(),
        location: cell.into(),
        description: format!("a pothole at {cell}"),
        evidence_sha256: None,
        residency: residency.map(str::to_owned),
    }
}

#[test]
fn a_resident_files_private_reports_limited_and_rewarded_per_week_with_no_did() {
    let net = Net::start_devnet(1);
    let _issuers =
        citywallet_issuer::demo::serve_in_background(net.data_dir(), &network(&net), FAST)
            .expect("demo issuers");
    let dir = tempfile::tempdir().expect("dir");
    let demo = citywallet_demo::Demo::new(net.data_dir(), &net.primary);
    let mut alice = wallet(&net, dir.path(), "alice");
    let did = alice.identity_info().expect("identity").did;
    let residency = citywallet_demo::request_private(&demo, &mut alice, "residency")
        .expect("private residency credential");
    assert!(residency.private);
    // An officer's credential names its holder: its issuer does not offer it privately,
    // and the wallet does not ask.
    let officer_offer = demo.offer(CredentialType::Officer).expect("offer");
    assert!(
        !alice
            .preview_offer(&officer_offer)
            .expect("preview")
            .private_supported
    );
    let refused = alice
        .accept_offer_private(&officer_offer, None)
        .expect_err("not private");
    assert_eq!(refused.code().as_str(), "credential_unsupported");
    assert!(alice.credentials().expect("list").len() == 1);

    // Three private reports this week: filed, each naming one pseudonym and no DID.
    let mut ids = Vec::new();
    for cell in ["cell-1", "cell-2", "cell-3"] {
        let r = alice
            .submit_report(&report(cell, Some(&residency.id)))
            .expect("private report");
        ids.push(r.subject.clone());
    }
    let mut officer = wallet(&net, dir.path(), "officer");
    citywallet_demo::request(&demo, &mut officer, "officer", now()).expect("officer");
    let pending = officer.pending_reports(None).expect("pending");
    let mine: Vec<_> = pending
        .reports
        .iter()
        .filter(|r| ids.contains(&r.id))
        .collect();
    assert_eq!(mine.len(), 3, "in the review log");
    let record = |id: &str| {
        let bytes = net
            .devnet()
            .query(&citywallet_protocol::keys::report(id), net.height())
            .expect("query")
            .value
            .expect("a record");
        let text = String::from_utf8(bytes.clone()).expect("utf8");
        assert!(!text.contains(&did), "no DID on the chain: {text}");
        serde_json::from_slice::<citywallet_protocol::ReportRecord>(&bytes).expect("record")
    };
    let nyms: Vec<Option<String>> = ids.iter().map(|id| record(id).pseudonym).collect();
    assert!(nyms[0].is_some());
    assert!(
        nyms.iter().all(|n| n == &nyms[0]),
        "one resident, one pseudonym a week"
    );

    // A fourth is over the week's limit: refused, and nothing is recorded.
    let e = alice
        .submit_report(&report("cell-4", Some(&residency.id)))
        .expect_err("over the limit");
    assert_eq!(e.code().as_str(), "tx_refused", "{e}");
    assert!(e.to_string().contains("rate_limited"), "{e}");
    assert_eq!(
        alice.reports().expect("reports").reports.len(),
        3,
        "the refused report is not kept"
    );

    // The officer accepts two with a reward each: the resident is rewarded once a week.
    officer.review_report(&ids[0], true, 10).expect("accept");
    officer.review_report(&ids[1], true, 10).expect("accept");
    assert_eq!(alice.reports().expect("reports").reward_points, 10);

    // A proof made for one report, copied onto another (another id, another key): refused.
    let key = ed25519_dalek::SigningKey::from_bytes(&[77; 32]);
    let signer = key.verifying_key().to_bytes();
    let made_for = reports::nonce(&signer, "report-a", "pothole", "cell-9", &[0; 32]);
    let start = reports::window_start(u64::try_from(now()).expect("time"));
    let vp = alice
        .present_private(
            &residency.id,
            &[],
            &made_for,
            reports::CLIENT_ID,
            Some(&reports::context(start)),
        )
        .expect("present");
    let presentation = citywallet_vc::presentation::to_compact(&vp).expect("compact");
    let tx = |id: &str| {
        TxBody {
            chain_id: net.devnet().genesis().chain_id.clone(),
            signer,
            nonce: 0,
            expires_at: 0,
            action: Action::SubmitPrivateReport {
                id: id.into(),
                category: "pothole".into(),
                location_cell: "cell-9".into(),
                evidence_hash: [0; 32],
                presentation: presentation.clone(),
            },
        }
        .sign_with(|m| key.sign(m).to_bytes())
        .encode()
    };
    let copied = net.devnet().broadcast(tx("report-b")).expect("broadcast");
    assert_eq!(copied.code, Code::InvalidField, "{}", copied.log);
    // The same proof for the report it was made for verifies, but it is the same resident's
    // fourth this week (from another key): over the limit.
    let fourth = net.devnet().broadcast(tx("report-a")).expect("broadcast");
    assert_eq!(fourth.code, Code::RateLimited, "{}", fourth.log);
}
