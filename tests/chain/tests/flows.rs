//! Verify-before-act against a real devnet over HTTP: reports, grants, devices, revocations,
//! officer checks online and offline, each with receipts checked again offline.

use citywallet_chain_tests::{Net, Tamper, session, session_with, settings, wallet};
use citywallet_core::credentials::{
    Challenge, Credential, CredentialDraft, CredentialType, IssuerSecretKey,
};
use citywallet_core::keys::KeyPath;
use citywallet_light_client::act::{NewDevice, NewGrant, NewReport};
use citywallet_light_client::act::{Receipt, Signer};
use citywallet_light_client::officer::{Mode, verify_presentation_offline};
use citywallet_light_client::session::Settings;
use citywallet_light_client::{Error, Precondition};
use citywallet_protocol::Role;
use ed25519_dalek::Signer as _;
use sha2::Digest as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn now() -> i64 {
    tendermint::Time::now().unix_timestamp()
}

fn in_a_year() -> u64 {
    now() as u64 + 365 * 24 * 3600
}

#[test]
fn a_citizen_files_a_report_and_grants_access_with_receipts() {
    let net = Net::start(4);
    let proxy = net.proxy(Tamper::Honest);
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    let mut s = session(&mut vault, &proxy.url, &[&net.witness]);
    s.anchor_genesis(Some("citywallet-test")).expect("anchor");

    let (report_id, receipt) = s
        .submit_report(&NewReport {
            category: "pothole",
            location: "cell-8a2b",
            description: "deep pothole by the school gate",
            evidence_sha256: Some(sha2::Sha256::digest(b"photo bytes").into()),
        })
        .expect("report");
    assert_eq!(receipt.subject, report_id);
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 1);
    let check = receipt.verify_offline(s.vault()).expect("receipt verifies");
    assert!(
        check
            .value
            .as_deref()
            .is_some_and(|v| v.contains("pothole"))
    );

    let categories = vec!["health".to_owned()];
    let (grant_id, grant_receipt) = s
        .create_grant(&NewGrant {
            org: "health-research",
            categories: &categories,
            purpose: "asthma study",
            expires_at: in_a_year(),
        })
        .expect("grant");
    grant_receipt
        .verify_offline(s.vault())
        .expect("grant receipt");
    let revoked = s.revoke_grant(&grant_id).expect("revoke");
    assert!(
        revoked
            .read
            .value
            .as_deref()
            .is_some_and(|v| v.contains("inactive"))
    );
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 3);

    // Receipts survive in the vault and verify again, without the network.
    drop(s);
    let stored = vault.receipts(None).expect("receipts");
    assert_eq!(stored.len(), 3);
    for r in &stored {
        Receipt::from_stored(r)
            .expect("decode")
            .verify_offline(&vault)
            .expect("offline");
    }
    // A receipt whose proven value was changed does not verify.
    let mut forged = Receipt::from_stored(&stored[0]).expect("decode");
    forged.read.value = forged.read.value.map(|v| v.replace("inactive", "active"));
    assert!(matches!(
        forged.verify_offline(&vault),
        Err(Error::ReceiptInvalid(_))
    ));
}

/// After the broadcast the primary holds its next answers past the wallet's request
/// timeout: the wallet keeps watching and still proves the report landed, once.
#[test]
fn a_node_that_stalls_after_the_broadcast_does_not_end_the_wait() {
    let net = Net::start(4);
    let proxy = net.proxy(Tamper::StallAfterBroadcast {
        requests: 3,
        hold: Duration::from_secs(6),
    });
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    session(&mut vault, &net.primary, &[&net.witness])
        .anchor_genesis(None)
        .expect("anchor");
    // Short enough for the three holds to fit in the effect wait (20 s), long enough for
    // the requests before the broadcast on a busy machine.
    let quick = Settings {
        request_timeout: Duration::from_secs(3),
        ..settings()
    };
    let mut s = session_with(&mut vault, &proxy.url, &[&net.witness], quick);
    let (report_id, receipt) = s
        .submit_report(&NewReport {
            category: "streetlight",
            location: "cell-77",
            description: "light out",
            evidence_sha256: None,
        })
        .expect("the report lands despite the stalls");
    assert_eq!(receipt.subject, report_id);
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 1, "sent once");
    assert_eq!(
        proxy.stalled.load(Ordering::SeqCst),
        3,
        "all three requests were held"
    );
    receipt.verify_offline(s.vault()).expect("receipt verifies");
}

#[test]
fn an_unaccredited_or_unknown_organisation_is_refused_before_anything_is_sent() {
    let net = Net::start(4);
    let proxy = net.proxy(Tamper::Honest);
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    let mut s = session(&mut vault, &proxy.url, &[&net.witness]);
    s.anchor_genesis(None).expect("anchor");
    let health = vec!["health".to_owned()];
    let e = s
        .create_grant(&NewGrant {
            org: "transit-authority",
            categories: &health,
            purpose: "p",
            expires_at: in_a_year(),
        })
        .expect_err("not accredited");
    assert!(
        matches!(&e, Error::Precondition(Precondition::OrgNotAccredited { category, .. }) if category == "health"),
        "{e:?}"
    );
    let e = s
        .create_grant(&NewGrant {
            org: "no-such-org",
            categories: &health,
            purpose: "p",
            expires_at: in_a_year(),
        })
        .expect_err("unknown");
    assert!(
        matches!(e, Error::Precondition(Precondition::OrgUnknown(_))),
        "{e:?}"
    );
    let e = s.revoke_grant("grant-nope").expect_err("no grant");
    assert_eq!(e.code(), "not_on_chain");
    assert_eq!(proxy.broadcasts.load(Ordering::SeqCst), 0);
}

#[test]
fn a_technician_registers_and_revokes_a_device() {
    let net = Net::start(4);
    let dir = tempfile::tempdir().expect("dir");
    let mut vault = wallet(dir.path());
    let me = vault
        .key_pair(KeyPath::IDENTITY)
        .expect("id")
        .public()
        .to_bytes();
    let device = vault.new_device(Some("sensor")).expect("device");
    let device_key: [u8; 32] = hex::decode(&device.public_key_hex)
        .expect("hex")
        .try_into()
        .expect("32");
    let mut s = session(&mut vault, &net.primary, &[&net.witness]);
    s.anchor_genesis(None).expect("anchor");
    let new = NewDevice {
        id: "aq-0001",
        public_key: device_key,
        kind: "air-quality-sensor",
        location: "cell-8a2b",
        department: "environment",
    };
    let e = s.register_device(&new).expect_err("no role yet");
    assert!(
        matches!(
            e,
            Error::Precondition(Precondition::MissingRole("technician"))
        ),
        "{e:?}"
    );
    net.give_role(Role::Technician, me);
    let receipt = s.register_device(&new).expect("register");
    receipt.verify_offline(s.vault()).expect("receipt");
    let e = s.register_device(&new).expect_err("twice");
    assert_eq!(e.code(), "already_exists");
    s.revoke_device("aq-0001").expect("revoke");
    assert_eq!(
        s.revoke_device("aq-0001").expect_err("twice").code(),
        "not_active"
    );
}

#[test]
fn an_officer_checks_a_presentation_online_and_offline_and_sees_revocation() {
    let net = Net::start(4);
    let (citizen_dir, officer_dir) = (
        tempfile::tempdir().expect("d"),
        tempfile::tempdir().expect("d"),
    );
    let mut citizen = wallet(citizen_dir.path());
    let mut officer = wallet(officer_dir.path());

    // The devnet's credit bureau issues a credential to the citizen.
    let (sk, pk) = IssuerSecretKey::from_bytes(&net.keys.issuer_bbs_secret).expect("bbs key");
    let holder = citizen.identity().expect("identity").did;
    let claims = serde_json::json!({ "score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-01" });
    let credential = Credential::issue(
        &CredentialDraft {
            id: "urn:uuid:4f1c2a9e-6b3d-4c1e-9a7b-1d2e3f405060",
            issuer: "city-credit-bureau",
            kind: CredentialType::Credit,
            holder: &holder,
            valid_from: now() - 60,
            valid_until: now() + 3600,
            claims: claims.as_object().expect("object"),
        },
        &sk,
        &pk,
    )
    .expect("issue");
    citizen
        .import_credential(&credential.to_json())
        .expect("import");

    let challenge = Challenge::new("officer-17", now()).expect("challenge");
    let presentation = citizen
        .present(&credential.id, &["tier"], &challenge)
        .expect("present")
        .to_compact();

    let mut s = session(&mut officer, &net.primary, &[&net.witness]);
    s.anchor_genesis(None).expect("anchor");
    let v = s
        .verify_presentation_online(&presentation, &challenge, 300)
        .expect("valid online");
    assert_eq!(v.chain.mode, Mode::Online);
    assert_eq!(v.chain.issuer_name, "City Credit Bureau");
    let (_, issuers, revoked) = s.refresh_snapshot().expect("snapshot");
    assert_eq!((issuers, revoked), (2, 0));
    drop(s);
    let v = verify_presentation_offline(&officer, &presentation, &challenge, 300, 3600)
        .expect("valid offline");
    assert_eq!(v.chain.mode, Mode::Offline);

    // A tampered presentation is refused with its reason.
    let mut tampered = presentation.clone();
    let last = tampered.len() - 70;
    tampered[last] ^= 1;
    let mut s = session(&mut officer, &net.primary, &[&net.witness]);
    let e = s
        .verify_presentation_online(&tampered, &challenge, 300)
        .expect_err("tampered");
    assert!(
        matches!(
            e.code(),
            "proof_invalid" | "holder_binding_invalid" | "presentation_malformed"
        ),
        "{e:?}"
    );

    // The issuer revokes it: online checks see it at once.
    let operator = net.keys.issuer_operator.clone();
    let sign = move |m: &[u8]| operator.sign(m).to_bytes();
    let signer = Signer {
        public: net.keys.issuer_operator.verifying_key().to_bytes(),
        sign: Box::new(sign),
    };
    s.revoke_credential(&signer, "city-credit-bureau", &credential.id, "superseded")
        .expect("revoke");
    let e = s
        .verify_presentation_online(&presentation, &challenge, 300)
        .expect_err("revoked");
    assert!(
        matches!(e, Error::Precondition(Precondition::CredentialRevoked(_))),
        "{e:?}"
    );
    // Offline, the old snapshot predates the revocation; a fresh one knows it.
    s.refresh_snapshot().expect("snapshot");
    drop(s);
    let e = verify_presentation_offline(&officer, &presentation, &challenge, 300, 3600)
        .expect_err("revoked offline");
    assert_eq!(e.code(), "credential_revoked");

    // A snapshot older than the limit is refused, with its age.
    let e = verify_presentation_offline(&officer, &presentation, &challenge, 300, 0)
        .expect_err("too old");
    assert!(
        matches!(e, Error::SnapshotTooOld { limit_secs: 0, .. }),
        "{e:?}"
    );
}
