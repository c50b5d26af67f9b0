//! The app's service without a window, against a real devnet: onboarding, demo credentials,
//! present and verify (online, offline, tampered), a report, a grant, batch provisioning,
//! lock and a wrong passphrase, export and import.

use citywallet_app::dto::{DeviceIn, GrantIn, ReportIn, WordCheck};
use citywallet_app::service::{Network, Service};
use citywallet_chain_tests::Net;
use citywallet_core::vault::{KdfParams, Passphrase};

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const PASS: &str = "tram lantern harbour 42";

fn service(net: &Net, dir: &std::path::Path) -> Service {
    Service::new(
        dir.to_path_buf(),
        Network {
            primary: net.primary.clone(),
            witnesses: vec![net.witness.clone()],
            embedded: false,
            devnet_data: Some(net.data_dir().to_path_buf()),
        },
        FAST,
    )
}

#[test]
fn the_app_flows_work_against_the_devnet() {
    let net = Net::start(4);
    let dir = tempfile::tempdir().expect("dir");
    let mut s = service(&net, dir.path());
    assert!(!s.status().expect("status").vault_exists);
    assert!(!Service::strength("short").acceptable);
    assert!(Service::strength(PASS).score >= 3);

    s.create(Passphrase::from(PASS)).expect("create");
    let words = s.reveal_words(Passphrase::from(PASS)).expect("words").words;
    assert_eq!(words.len(), 24);
    s.confirm_words(&[
        WordCheck {
            position: 2,
            word: words[1].clone(),
        },
        WordCheck {
            position: 24,
            word: words[23].clone(),
        },
    ])
    .expect("confirm");
    assert_eq!(
        s.confirm_words(&[WordCheck {
            position: 1,
            word: "zzz".into()
        }])
        .expect_err("wrong word")
        .code,
        "phrase_mismatch"
    );
    let status = s.sync(&mut |_| {}).expect("sync");
    assert!(status.trusted.expect("trusted").height >= 2);

    // Credentials, and the officer role that comes with an officer credential.
    s.request_demo_credential("credit").expect("credit");
    s.request_demo_credential("officer").expect("officer");
    let st = s.status().expect("status");
    assert!(st.officer && !st.technician);
    let credit = s
        .credentials()
        .expect("list")
        .into_iter()
        .find(|c| c.kind == "credit")
        .expect("credit held");
    let challenge = s.new_challenge().expect("challenge");
    let p = s
        .present(&credit.id, &["tier".into()], &challenge.text)
        .expect("present");
    assert!(p.qr_svg.starts_with("<?xml") || p.qr_svg.contains("<svg"));
    let v = s
        .verify(&p.text, &challenge.text, false)
        .expect("valid online");
    assert_eq!(
        (v.issuer_name.as_str(), v.mode.as_str()),
        ("City Credit Bureau", "online")
    );
    assert_eq!(v.disclosed[0].value, "A");
    s.sync(&mut |_| {}).expect("snapshot");
    assert_eq!(
        s.verify(&p.text, &challenge.text, true)
            .expect("offline")
            .mode,
        "offline"
    );
    let mut tampered = p.text.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let e = s
        .verify(
            &String::from_utf8(tampered).expect("utf8"),
            &challenge.text,
            false,
        )
        .expect_err("tampered");
    assert!(
        [
            "proof_invalid",
            "holder_binding_invalid",
            "presentation_malformed"
        ]
        .contains(&e.code.as_str()),
        "{e:?}"
    );

    // A report and a grant, each with a receipt that checks offline.
    let r = s
        .submit_report(&ReportIn {
            category: "pothole".into(),
            location: "cell-8a2b".into(),
            description: "deep".into(),
            evidence_sha256: Some("ab".repeat(32)),
        })
        .expect("report");
    assert_eq!(r.action, "submit_report");
    let reports = s.reports().expect("reports");
    assert_eq!(reports.reports[0].status, "submitted");
    s.receipt(&reports.reports[0].id).expect("receipt checks");
    assert_eq!(s.pending_reports().expect("pending").len(), 1);
    let orgs = s.organisations().expect("orgs");
    assert_eq!(orgs.len(), 2);
    s.create_grant(&GrantIn {
        org: "health-research".into(),
        categories: vec!["health".into()],
        purpose: "asthma study".into(),
        expires: "2031-01-01".into(),
    })
    .expect("grant");
    assert_eq!(s.grants().expect("grants")[0].status, "active");
    let e = s
        .create_grant(&GrantIn {
            org: "transit-authority".into(),
            categories: vec!["health".into()],
            purpose: "p".into(),
            expires: "2031-01-01".into(),
        })
        .expect_err("not accredited");
    assert_eq!(e.code, "org_not_accredited");

    // Technician: a CSV with two good rows and a bad one.
    assert_eq!(
        s.provision(&DeviceIn {
            id: "x-1".into(),
            public_key: None,
            kind: "k".into(),
            location: "cell-1".into(),
            department: "d".into(),
        })
        .expect_err("no role")
        .code,
        "missing_role"
    );
    s.request_demo_credential("technician").expect("technician");
    let mut seen = 0;
    let rows = s
        .provision_csv(
            "id,kind,location,department\naq-1,air-quality,cell-1,environment\nbad\ntc-2,traffic,cell-2,transport\n",
            &mut |_| seen += 1,
        )
        .expect("csv");
    assert_eq!(seen, 3);
    assert_eq!(rows.iter().filter(|r| r.ok).count(), 2);
    assert_eq!(rows[1].error.as_ref().expect("bad row").code, "csv_row");
    let devices = s.devices().expect("devices");
    assert_eq!(devices.len(), 2);
    let bundle = dir.path().join("aq-1.cwbundle");
    s.export_bundle("aq-1", Passphrase::from("device pass 1"), &bundle)
        .expect("bundle");
    assert!(bundle.exists());
    let activity = s.activity().expect("activity");
    assert!(activity.iter().any(|a| a.kind == "credential_presented"));

    // Export, lock, a wrong passphrase, unlock.
    let export = dir.path().join("backup.cwexport");
    s.export_vault(&export).expect("export");
    s.lock();
    assert_eq!(s.identity().expect_err("locked").code, "locked");
    assert_eq!(
        s.unlock(Passphrase::from("wrong passphrase"))
            .expect_err("wrong")
            .code,
        "wrong_passphrase"
    );
    s.unlock(Passphrase::from(PASS)).expect("unlock");
    let did = s.identity().expect("identity").did;
    let other = tempfile::tempdir().expect("dir");
    let mut restored = service(&net, other.path());
    restored
        .import_vault(&export, Passphrase::from(PASS))
        .expect("import");
    assert_eq!(restored.identity().expect("identity").did, did);
}
