//! Every wallet flow on the in-memory chain (the node's application and block producer in
//! this process, blocks made on demand) with a test clock shared by the chain and the
//! wallets: deterministic, and nothing waits on real time.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use citywallet_chain_tests::memory::{MemoryNet, PRIMARY, WITNESS};
use citywallet_core::credentials::CredentialType;
use citywallet_core::vault::{GrantState, KdfParams, NodeRole, Passphrase, ReportState};
use citywallet_light_client::clock::Clock;
use citywallet_node::devnet::CREDIT_BUREAU_KEY_FILE;
use citywallet_protocol::{ActionKind, Role};
use citywallet_wallet::dto::{DeviceIn, DeviceStatus, GrantIn, ReportIn, VerdictMode, WordCheck};
use citywallet_wallet::oid4vp::VerifierKind;
use citywallet_wallet::{Check, IssueArgs, Network, Wallet, issue_credential};
use zeroize::Zeroizing;

const FAST: KdfParams = KdfParams {
    m_cost_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const PASS: &str = "tram lantern harbour 42";

struct Env {
    net: MemoryNet,
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            net: MemoryNet::start(4),
            dir: tempfile::tempdir().expect("dir"),
        }
    }

    fn wallet_on(&self, name: &str, primary: &str) -> Wallet {
        Wallet::new(
            &self.dir.path().join(format!("{name}.db")),
            FAST,
            Network {
                primary: primary.into(),
                witnesses: vec![WITNESS.into()],
            },
            Arc::new(self.net.connect()),
            self.net.wallet_clock(),
        )
    }

    /// A new wallet with a vault, unlocked.
    fn wallet(&self, name: &str) -> Wallet {
        let mut w = self.wallet_on(name, PRIMARY);
        w.create(&Passphrase::from(PASS), "").expect("create");
        w
    }

    fn broadcasts(&self) -> usize {
        self.net.broadcasts.load(Ordering::SeqCst)
    }

    fn identity_key(&self, w: &Wallet) -> [u8; 32] {
        let hex = w.identity_info().expect("identity").public_key_hex;
        hex::decode(hex).expect("hex").try_into().expect("32")
    }

    /// The devnet's credit bureau issues a credit credential to `w`.
    fn credit_credential(&self, w: &mut Wallet) -> String {
        let key = std::fs::read(self.net.data_dir().join(CREDIT_BUREAU_KEY_FILE)).expect("key");
        let holder = w.identity_info().expect("identity").did;
        let c = issue_credential(
            &key,
            &IssueArgs {
                kind: "credit",
                holder: &holder,
                claims: r#"{"score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": "2026-11-01"}"#,
                id: None,
                valid_days: 365,
                now: self.net.clock.now().unix_timestamp(),
            },
        )
        .expect("issue");
        w.import_credential(&c.to_json()).expect("import").id
    }
}

fn report(location: &str) -> ReportIn {
    ReportIn {
        category: "pothole".into(),
        location: location.into(),
        description: "deep pothole by the school gate".into(),
        evidence_sha256: Some("ab".repeat(32)),
        residency: None,
    }
}

fn grant(org: &str, categories: &[&str], expires: &str) -> GrantIn {
    GrantIn {
        org: org.into(),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        purpose: "asthma study".into(),
        expires: expires.into(),
    }
}

#[test]
fn onboarding_lock_passphrase_recovery_and_export() {
    let env = Env::new();
    let mut w = env.wallet_on("citizen", PRIMARY);
    assert!(!w.vault_exists());
    assert_eq!(w.identity().expect_err("locked").code(), "locked");
    let phrase = w.create(&Passphrase::from(PASS), "").expect("create");
    let did = w.identity().expect("identity").did;
    let words = w
        .reveal_words(&Passphrase::from(PASS))
        .expect("reveal")
        .words
        .clone();
    assert_eq!(words.len(), 24);
    assert_eq!(words.join(" "), phrase.phrase().as_str());
    let check = |position: u32, word: &str| WordCheck {
        position,
        word: word.into(),
    };
    let wrong = |w: &mut Wallet, position: u32, word: &str| {
        w.confirm_words(&[check(position, word)])
            .expect_err("refused")
            .code()
            .as_str()
    };
    assert_eq!(wrong(&mut w, 1, "zzz"), "phrase_mismatch");
    w.confirm_words(&[check(2, &words[1]), check(24, &words[23])])
        .expect("confirm");
    // Done: no more answers about the phrase, right or wrong, without showing it again.
    assert_eq!(wrong(&mut w, 2, &words[1]), "confirm_closed");
    // Three wrong tries close it too; showing the phrase again (passphrase) reopens it.
    w.reveal_words(&Passphrase::from(PASS)).expect("reveal");
    for _ in 0..3 {
        assert_eq!(wrong(&mut w, 3, "zzz"), "phrase_mismatch");
    }
    assert_eq!(wrong(&mut w, 3, &words[2]), "confirm_closed");
    assert_eq!(
        w.reveal_words(&Passphrase::from("not it at all"))
            .expect_err("wrong")
            .code(),
        "wrong_passphrase"
    );

    w.lock();
    assert_eq!(
        w.unlock(&Passphrase::from("not it at all"))
            .expect_err("wrong")
            .code(),
        "wrong_passphrase"
    );
    w.unlock(&Passphrase::from(PASS)).expect("unlock");
    assert_eq!(
        wrong(&mut w, 1, &words[0]),
        "confirm_closed",
        "an unlocked wallet does not answer questions about its phrase"
    );
    assert_eq!(
        w.change_passphrase(
            &Passphrase::from("not it at all"),
            &Passphrase::from("a new one 123")
        )
        .expect_err("wrong current")
        .code(),
        "wrong_passphrase"
    );
    assert!(w.is_unlocked(), "a refused change leaves the wallet open");
    w.change_passphrase(&Passphrase::from(PASS), &Passphrase::from("a new one 123"))
        .expect("change");
    w.lock();
    w.unlock(&Passphrase::from("a new one 123"))
        .expect("new passphrase");

    // The phrase restores the same identity elsewhere; an export restores the vault.
    let mut restored = env.wallet_on("restored", PRIMARY);
    restored
        .recover(
            &Zeroizing::new(words.join(" ")),
            &Passphrase::from(PASS),
            "",
        )
        .expect("recover");
    assert_eq!(restored.identity().expect("identity").did, did);
    let export = env.dir.path().join("citizen.cwexport");
    w.export_vault(&export).expect("export");
    let mut imported = env.wallet_on("imported", PRIMARY);
    imported
        .import_vault(&export, &Passphrase::from("a new one 123"))
        .expect("import");
    assert_eq!(imported.identity().expect("identity").did, did);
    let e = env
        .wallet_on("bad", PRIMARY)
        .recover(
            &Zeroizing::new("abandon ".repeat(11)),
            &Passphrase::from(PASS),
            "",
        )
        .expect_err("11 words");
    assert_eq!(e.code(), "mnemonic_word_count");
}

#[test]
fn a_citizen_presents_and_an_officer_verifies_online_and_offline() {
    let env = Env::new();
    let mut citizen = env.wallet("citizen");
    let mut officer = env.wallet("officer");
    let credential = env.credit_credential(&mut citizen);
    let listed = citizen.credentials().expect("list");
    assert_eq!(listed[0].kind, CredentialType::Credit);
    assert_eq!(
        citizen
            .credential(&credential)
            .expect("detail")
            .claims
            .len(),
        4
    );

    let sync = officer.sync(&mut |_| {}).expect("sync");
    assert!(sync.anchored.is_some(), "the first sync trusts the genesis");
    assert_eq!(sync.snapshot.issuers, 2);
    let (_, challenge) = officer.new_challenge(None).expect("challenge");
    let shown = citizen
        .present_qr(&credential, &["tier".into()], &challenge.text)
        .expect("present");
    let online = officer
        .verify_text(&shown.text, &challenge.text, Check::Online)
        .expect("valid online");
    assert_eq!(online.mode, VerdictMode::Online);
    assert_eq!(online.issuer_name, "City Credit Bureau");
    assert_eq!(online.disclosed.len(), 1);
    let offline = officer
        .verify_text(&shown.text, &challenge.text, Check::Offline)
        .expect("valid offline");
    assert_eq!(offline.mode, VerdictMode::Offline);

    // A tampered presentation is refused with its reason.
    let mut bytes = citywallet_wallet::input::presentation_bytes(&shown.text).expect("bytes");
    let at = bytes.len() - 70;
    bytes[at] ^= 1;
    let e = officer
        .verify_on_chain(&bytes, challenge.text.as_bytes(), Check::Online, 300)
        .expect_err("tampered");
    assert!(
        matches!(
            e.code().as_str(),
            "proof_invalid" | "holder_binding_invalid" | "presentation_malformed"
        ),
        "{e:?}"
    );

    // The bureau revokes it: online checks see it at once, offline after a fresh snapshot.
    // Its revocation log already holds 300 others, so the snapshot spans two pages and
    // the revocation lands on the second.
    env.net.bureau_revokes(300);
    let key = std::fs::read(env.net.data_dir().join(CREDIT_BUREAU_KEY_FILE)).expect("key");
    let revoked = officer
        .revoke_credential(&key, &credential, "superseded")
        .expect("revoke");
    assert_eq!(revoked.action, ActionKind::RevokeCredential);
    let code = |w: &mut Wallet, check| {
        w.verify_text(&shown.text, &challenge.text, check)
            .expect_err("refused")
            .code()
    };
    assert_eq!(code(&mut officer, Check::Online), "credential_revoked");
    officer
        .verify_text(&shown.text, &challenge.text, Check::Offline)
        .expect("the old snapshot predates the revocation");
    let synced = officer.sync(&mut |_| {}).expect("sync");
    assert_eq!(synced.snapshot.revoked, 301, "every page, proven");
    assert_eq!(code(&mut officer, Check::Offline), "credential_revoked");

    // Time passes (on the test clock): the challenge goes stale, then the snapshot.
    env.net.clock.advance(Duration::from_secs(301));
    assert_eq!(code(&mut officer, Check::Offline), "challenge_stale");
    officer
        .set_setting("snapshot_max_age_secs", 60)
        .expect("setting");
    let (_, fresh) = officer.new_challenge(None).expect("challenge");
    let again = citizen
        .present_qr(&credential, &["tier".into()], &fresh.text)
        .expect("present");
    let e = officer
        .verify_text(&again.text, &fresh.text, Check::Offline)
        .expect_err("too old");
    assert_eq!(e.code(), "snapshot_too_old");
}

#[test]
fn a_citizen_sees_who_gave_a_challenge_and_the_chain_names_its_issuers() {
    let env = Env::new();
    let mut citizen = env.wallet("citizen");
    let officer = env.wallet("officer");
    let credential = env.credit_credential(&mut citizen);
    // The issuer's name comes from the registry verified at a sync; before one, none.
    let name = |w: &Wallet| w.credential(&credential).expect("detail").issuer_name;
    let synced = citizen.sync(&mut |_| {}).expect("sync");
    assert_eq!(synced.snapshot.issuers, 2);
    assert_eq!(name(&citizen).as_deref(), Some("City Credit Bureau"));
    assert_eq!(
        citizen.credentials().expect("list")[0]
            .issuer_name
            .as_deref(),
        Some("City Credit Bureau")
    );

    // A challenge from a key with no officer role: unverified, proven at a fresh header.
    let (_, challenge) = officer.new_challenge(None).expect("challenge");
    let seen = citizen.preview_challenge(&challenge.text).expect("preview");
    assert_eq!(seen.verifier.kind, VerifierKind::Unverified);
    assert_eq!(
        seen.verifier.client_id,
        officer.identity_info().expect("identity").did
    );
    assert!(seen.verifier.height.is_some());
    // Once the city gives that key the officer role, the same challenge is an officer's.
    env.net.give_role(Role::Officer, env.identity_key(&officer));
    let seen = citizen.preview_challenge(&challenge.text).expect("preview");
    assert_eq!(seen.verifier.kind, VerifierKind::Officer);
    assert!(seen.age_secs < 300);
    // A challenge naming something that is not a did:key is unverified without a lookup.
    let (_, other) = officer.new_challenge(Some("desk-7")).expect("challenge");
    let seen = citizen.preview_challenge(&other.text).expect("preview");
    assert_eq!(seen.verifier.kind, VerifierKind::Unverified);
    assert_eq!(seen.verifier.height, None);
    let e = citizen
        .preview_challenge("{\"nonce\": 1}")
        .expect_err("malformed");
    assert_eq!(e.code(), "invalid_challenge");
}

#[test]
fn a_report_is_filed_reviewed_and_rewarded_and_a_refused_field_is_never_sent() {
    let env = Env::new();
    let mut citizen = env.wallet("citizen");
    let mut officer = env.wallet("officer");

    let e = citizen
        .submit_report(&report("Main St 12"))
        .expect_err("an address");
    assert_eq!(e.code(), "field_not_an_id");
    assert_eq!(e.field(), Some("location_cell"));
    assert_eq!(env.broadcasts(), 0, "refused before broadcast");
    let mut long = report("cell-8a2b");
    long.description = "x".repeat(4097);
    assert_eq!(
        citizen.submit_report(&long).expect_err("long").code(),
        "input_too_large"
    );

    let receipt = citizen.submit_report(&report("cell-8a2b")).expect("report");
    assert_eq!(receipt.action, ActionKind::SubmitReport);
    assert_eq!(env.broadcasts(), 1);
    assert_eq!(
        citizen.receipt(&receipt.subject).expect("receipt").id,
        receipt.id
    );
    assert_eq!(
        citizen.report_form().expect("form").recent_cells,
        vec!["cell-8a2b".to_owned()]
    );

    assert_eq!(
        officer
            .review_report(&receipt.subject, true, 5)
            .expect_err("no role")
            .code(),
        "missing_role"
    );
    env.net.give_role(Role::Officer, env.identity_key(&officer));
    let pending = officer.pending_reports(None).expect("pending");
    assert_eq!(pending.reports.len(), 1);
    assert_eq!(pending.reports[0].location_cell, "cell-8a2b");
    assert_eq!(pending.older, None);
    officer
        .review_report(&receipt.subject, true, 5)
        .expect("accept");
    assert!(
        officer
            .pending_reports(None)
            .expect("pending")
            .reports
            .is_empty()
    );
    assert_eq!(
        officer
            .review_report(&receipt.subject, false, 0)
            .expect_err("twice")
            .code(),
        "not_active"
    );

    let mine = citizen.reports().expect("reports");
    assert_eq!(mine.reward_points, 5);
    assert_eq!(mine.reports[0].status, ReportState::Accepted);
}

#[test]
fn grants_are_made_and_revoked_and_refusals_send_nothing() {
    let env = Env::new();
    let mut citizen = env.wallet("citizen");
    let orgs = citizen.organisations().expect("orgs");
    assert_eq!(orgs.len(), 2);

    let sent = env.broadcasts();
    for (g, code) in [
        (
            grant("transit-authority", &["health"], "2099-12-31"),
            "org_not_accredited",
        ),
        (
            grant("no-such-org", &["health"], "2099-12-31"),
            "org_unknown",
        ),
        (
            grant("health-research", &["health"], "2001-01-01"),
            "expiry_in_past",
        ),
        (
            grant("health-research", &["health"], "next week"),
            "invalid_date",
        ),
        (grant("health-research", &[], "2099-12-31"), "field_empty"),
        (
            grant("Health Research", &["health"], "2099-12-31"),
            "field_not_an_id",
        ),
    ] {
        assert_eq!(citizen.create_grant(&g).expect_err("refused").code(), code);
    }
    assert_eq!(env.broadcasts(), sent, "nothing sent");

    let made = citizen
        .create_grant(&grant("health-research", &["health"], "2099-12-31"))
        .expect("grant");
    let list = citizen.grants().expect("grants");
    assert_eq!(list[0].org_name, "City Health Research Institute");
    assert_eq!(list[0].status, GrantState::Active);
    citizen.revoke_grant(&made.subject).expect("revoke");
    assert_eq!(
        citizen.grants().expect("grants")[0].status,
        GrantState::Revoked
    );
    assert_eq!(
        citizen
            .revoke_grant(&made.subject)
            .expect_err("twice")
            .code(),
        "not_active"
    );
    assert_eq!(
        citizen.revoke_grant("grant-nope").expect_err("none").code(),
        "not_on_chain"
    );
    let checked = citizen
        .receipt(&made.subject)
        .expect("receipt verifies offline");
    assert_eq!(
        checked.action,
        ActionKind::RevokeGrant,
        "the newest receipt of the grant"
    );
}

/// The organisation's key from the devnet's key file, as a signer.
fn org_signer(env: &Env, org: &str) -> citywallet_light_client::act::Signer<'static> {
    let bytes = std::fs::read(
        env.net
            .data_dir()
            .join(citywallet_node::devnet::org_key_file(org)),
    )
    .expect("org key file");
    let (_, secret) = citywallet_protocol::keyfile::OrgKeyFile::parse(&bytes).expect("parse");
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    citywallet_light_client::act::Signer {
        public: key.verifying_key().to_bytes(),
        sign: Box::new(move |m| ed25519_dalek::Signer::sign(&key, m).to_bytes()),
    }
}

fn use_of<'a>(grant: &'a str, category: &'a str) -> citywallet_light_client::act::NewUse<'a> {
    citywallet_light_client::act::NewUse {
        grant,
        category,
        purpose: "asthma cohort, monthly extract",
    }
}

#[test]
fn an_organisation_records_uses_and_the_citizen_sees_them_proven_and_new() {
    let env = Env::new();
    let mut citizen = env.wallet("citizen");
    let mut operator = env.wallet("health-research-operator");
    let org = org_signer(&env, "health-research");
    let made = citizen
        .create_grant(&grant("health-research", &["health"], "2099-12-31"))
        .expect("grant");
    let id = made.subject.clone();
    let none = citizen.grant_uses(&id).expect("uses");
    assert!(none.uses.is_empty() && none.new_uses == 0 && none.total == 0);

    let first = operator
        .record_data_use_as(&org, &use_of(&id, "health"))
        .expect("use");
    assert_eq!(first.action, ActionKind::RecordDataUse);
    let seen = citizen.grant_uses(&id).expect("uses");
    assert_eq!((seen.uses.len(), seen.new_uses, seen.total), (1, 1, 1));
    let u = &seen.uses[0];
    assert!(u.new && !u.near_expiry && !u.after_expiry);
    assert_eq!(
        (u.id.as_str(), u.category.as_str()),
        (first.subject.as_str(), "health")
    );
    assert!(u.height >= first.height);
    // Seen once: no longer new; a second use is.
    assert_eq!(citizen.grant_uses(&id).expect("uses").new_uses, 0);
    operator
        .record_data_use_as(&org, &use_of(&id, "health"))
        .expect("use");
    let seen = citizen.grant_uses(&id).expect("uses");
    assert_eq!((seen.uses.len(), seen.new_uses), (2, 1));
    assert!(!seen.uses[0].new && seen.uses[1].new && seen.uses[1].seq == 1);

    // Refused before anything is sent: a category the grant does not cover, a key that is
    // not the organisation's, a grant that does not exist.
    let sent = env.broadcasts();
    let citizen_key = citywallet_light_client::act::Signer {
        public: env.identity_key(&citizen),
        sign: Box::new(|_| [0u8; 64]),
    };
    for (signer, u, code) in [
        (&org, use_of(&id, "mobility"), "grant_not_covering"),
        (&citizen_key, use_of(&id, "health"), "not_yours"),
        (&org, use_of("grant-nope", "health"), "not_on_chain"),
    ] {
        assert_eq!(
            operator
                .record_data_use_as(signer, &u)
                .expect_err("refused")
                .code(),
            code
        );
    }
    assert_eq!(env.broadcasts(), sent, "nothing sent");

    // Revoked: no more uses, and the history stays.
    citizen.revoke_grant(&id).expect("revoke");
    assert_eq!(
        operator
            .record_data_use_as(&org, &use_of(&id, "health"))
            .expect_err("revoked")
            .code(),
        "not_active"
    );
    assert_eq!(citizen.grant_uses(&id).expect("uses").uses.len(), 2);
}

#[test]
fn a_use_near_a_grants_expiry_is_marked_and_none_is_taken_after_it() {
    let env = Env::new();
    let mut citizen = env.wallet("citizen");
    let mut operator = env.wallet("health-research-operator");
    let org = org_signer(&env, "health-research");
    let expires =
        tendermint::Time::from_unix_timestamp(env.net.clock.now().unix_timestamp() + 2 * 86_400, 0)
            .expect("time")
            .to_rfc3339();
    let id = citizen
        .create_grant(&grant("health-research", &["health"], &expires))
        .expect("grant")
        .subject;
    operator
        .record_data_use_as(&org, &use_of(&id, "health"))
        .expect("use");
    let seen = citizen.grant_uses(&id).expect("uses");
    assert!(seen.uses[0].near_expiry && !seen.uses[0].after_expiry);
    env.net.clock.advance(Duration::from_secs(3 * 86_400));
    assert_eq!(
        operator
            .record_data_use_as(&org, &use_of(&id, "health"))
            .expect_err("expired")
            .code(),
        "grant_expired"
    );
}

#[test]
fn a_technician_provisions_devices_one_by_one_and_from_a_csv() {
    let env = Env::new();
    let mut tech = env.wallet("technician");
    let device = |id: &str| DeviceIn {
        id: id.into(),
        kind: "air-quality-sensor".into(),
        location: "cell-8a2b".into(),
        department: "environment".into(),
        ..DeviceIn::default()
    };
    assert_eq!(
        tech.provision(&device("aq-0001"))
            .expect_err("no role")
            .code(),
        "missing_role"
    );
    env.net.give_role(Role::Technician, env.identity_key(&tech));
    let made = tech.provision(&device("aq-0001")).expect("provision");
    assert_eq!(made.status, DeviceStatus::Active);
    assert!(made.index.is_some(), "a key made in the wallet");
    assert_eq!(
        tech.provision(&device("aq-0001"))
            .expect_err("twice")
            .code(),
        "already_exists"
    );
    let own_key = DeviceIn {
        public_key: Some(hex::encode([9u8; 32])),
        ..device("aq-0002")
    };
    assert_eq!(tech.provision(&own_key).expect("own key").index, None);

    let csv = "id,kind,location,department,public_key\n\
               tc-1,traffic-counter,cell-1,environment\n\
               bad-row\n\
               tc-2,traffic-counter,cell-2,environment\n";
    let mut seen = Vec::new();
    let rows = tech
        .provision_csv(csv, &mut |p| seen.push((p.done, p.total)))
        .expect("batch");
    assert_eq!(seen, vec![(1, 3), (2, 3), (3, 3)]);
    assert_eq!(
        rows.iter().map(|r| (r.line, r.ok)).collect::<Vec<_>>(),
        vec![(2, true), (3, false), (4, true)]
    );
    assert_eq!(
        rows[1].error.as_ref().map(|e| e.code.as_str()),
        Some("csv_row")
    );
    assert!(rows[0].height.is_some());

    tech.revoke_device("aq-0001").expect("revoke");
    let devices = tech.devices().expect("devices");
    assert_eq!(devices.len(), 4);
    let aq = devices.iter().find(|d| d.id == "aq-0001").expect("aq-0001");
    assert_eq!(aq.status, DeviceStatus::Revoked);
    assert_eq!(
        tech.revoke_device("aq-0001").expect_err("twice").code(),
        "not_active"
    );

    let bundle = env.dir.path().join("tc-1.cwbundle");
    tech.export_bundle("tc-1", &Passphrase::from("device passphrase"), &bundle)
        .expect("bundle");
    assert!(bundle.exists());
    assert_eq!(
        tech.export_bundle("aq-0002", &Passphrase::from("device passphrase"), &bundle)
            .expect_err("its key is the device's own")
            .code(),
        "not_found"
    );
}

#[test]
fn nodes_are_chosen_one_way_and_trust_expires_on_the_clock() {
    let env = Env::new();
    let mut w = env.wallet("citizen");
    assert!(!w.chain_status().expect("status").configured);
    w.add_node(WITNESS, NodeRole::Witness).expect("witness");
    assert_eq!(w.nodes_out().expect_err("no primary").code(), "no_primary");
    assert_eq!(
        w.sync(&mut |_| {}).expect_err("no primary").code(),
        "no_primary"
    );
    w.add_node(PRIMARY, NodeRole::Primary).expect("primary");
    let nodes = w.nodes_out().expect("nodes");
    assert_eq!(
        (nodes.primary.as_str(), nodes.default_devnet),
        (PRIMARY, false)
    );
    let mut heights = Vec::new();
    w.sync(&mut |p| heights.push(p.height)).expect("sync");

    // Fifteen days later the trusted header is past the trusting period (14 days).
    env.net.clock.advance(Duration::from_secs(15 * 24 * 3600));
    assert!(w.chain_status().expect("status").trust_expired);
    assert_eq!(
        w.submit_report(&report("cell-1"))
            .expect_err("expired")
            .code(),
        "trust_expired"
    );
    // A new anchor from a trusted source brings service back.
    env.net.block();
    let latest = env.net.block();
    let (header, _, _) = env
        .net
        .devnet
        .light_block_parts(Some(latest))
        .expect("block");
    w.trust_at(latest, &header.header.hash().to_string())
        .expect("anchor");
    w.submit_report(&report("cell-1")).expect("report");
    assert_eq!(
        w.trust_at(latest, &"00".repeat(32))
            .expect_err("another hash")
            .code(),
        "anchor_mismatch"
    );
}

#[test]
fn an_effect_never_proven_ends_the_wait_on_the_clock() {
    let env = Env::new();
    // A primary that takes transactions but never makes blocks.
    let mut w = env.wallet_on("citizen", WITNESS);
    w.create(&Passphrase::from(PASS), "").expect("create");
    let started = env.net.clock.now();
    let e = w
        .submit_report(&report("cell-1"))
        .expect_err("never proven");
    assert_eq!(e.code(), "effect_not_seen");
    let waited = env.net.clock.now().duration_since(started).expect("later");
    assert!(waited >= Duration::from_secs(30), "{waited:?}");
    assert!(w.reports().expect("reports").reports.is_empty());
}

#[test]
fn a_frozen_chain_is_stale_online_while_the_offline_check_says_its_age() {
    let env = Env::new();
    let mut citizen = env.wallet("citizen");
    let credential = env.credit_credential(&mut citizen);
    // The officer's primary makes no block any more (a frozen node); so does its witness.
    let mut officer = env.wallet_on("officer", WITNESS);
    officer.create(&Passphrase::from(PASS), "").expect("create");
    officer.sync(&mut |_| {}).expect("sync");
    env.net.clock.advance(Duration::from_secs(180));
    let (_, challenge) = officer.new_challenge(None).expect("challenge");
    let shown = citizen
        .present_qr(&credential, &["tier".into()], &challenge.text)
        .expect("present");
    let e = officer
        .verify_text(&shown.text, &challenge.text, Check::Online)
        .expect_err("stale");
    assert_eq!(e.code(), "header_stale");
    assert_eq!(
        officer
            .submit_report(&report("cell-1"))
            .expect_err("no action on a stale chain")
            .code(),
        "header_stale"
    );
    let offline = officer
        .verify_text(&shown.text, &challenge.text, Check::Offline)
        .expect("the offline check works and says how old it is");
    assert!(offline.age_secs >= 179, "{}", offline.age_secs);
    // A chain that moves: the online check rests on a header seconds old, and says so.
    let mut live = env.wallet("live-officer");
    let verdict = live
        .verify_text(&shown.text, &challenge.text, Check::Online)
        .expect("fresh");
    assert!(verdict.age_secs <= 1, "{}", verdict.age_secs);
}

#[test]
fn a_city_s_published_anchor_renews_trust_and_old_receipts_still_verify() {
    let env = Env::new();
    let mut w = env.wallet("citizen");
    let filed = w.submit_report(&report("cell-3")).expect("report");
    w.sync(&mut |_| {}).expect("sync and snapshot");
    // Fifteen days idle: trust has expired, and the genesis is too old to anchor again.
    env.net.clock.advance(Duration::from_secs(15 * 24 * 3600));
    assert!(w.chain_status().expect("status").trust_expired);
    assert_eq!(
        w.reanchor().expect_err("genesis too old").code(),
        "trust_expired"
    );
    // The city publishes its newest block as an anchor.
    let height = env.net.block();
    let (header, _, _) = env
        .net
        .devnet
        .light_block_parts(Some(height))
        .expect("block");
    let published = format!(
        r#"{{"chainId": "citywallet-test", "height": {height}, "hash": "{}"}}"#,
        header.header.hash()
    );
    let other_chain = published.replace("citywallet-test", "another-city");
    assert_eq!(
        w.trust_anchor(&other_chain)
            .expect_err("another chain")
            .code(),
        "anchor_mismatch"
    );
    assert_eq!(
        w.trust_anchor("12 34").expect_err("not one").code(),
        "invalid_anchor"
    );
    let t = w.trust_anchor(&published).expect("anchor");
    assert_eq!(t.height, height);
    assert!(!w.chain_status().expect("status").trust_expired);
    // What rested on the old headers still verifies; the chain works again.
    assert_eq!(w.receipt(&filed.subject).expect("old receipt").id, filed.id);
    w.submit_report(&report("cell-4")).expect("a new report");
}

#[test]
fn what_a_node_says_to_a_broadcast_is_a_claim_and_the_chain_decides() {
    use citywallet_chain_tests::memory::Answer;
    let env = Env::new();
    let on = |name: &str, answer: Answer| {
        let mut w = Wallet::new(
            &env.dir.path().join(format!("{name}.db")),
            FAST,
            Network {
                primary: PRIMARY.into(),
                witnesses: vec![WITNESS.into()],
            },
            Arc::new(env.net.connect().answering(answer)),
            env.net.wallet_clock(),
        );
        w.create(&Passphrase::from(PASS), "").expect("create");
        w
    };
    // "Refused", yet relayed: the grant is active on chain, and the wallet knows it.
    let mut relayed = on("relayed", Answer::RefusedButRelayed);
    let r = relayed
        .create_grant(&grant("health-research", &["health"], "2099-12-31"))
        .expect("it landed, whatever the node said");
    assert_eq!(relayed.grants().expect("grants")[0].id, r.subject);
    relayed.receipt(&r.subject).expect("proven");
    // "Refused", and dropped: not landed, proven absent blocks later, the claim shown as one.
    let mut dropped = on("dropped", Answer::RefusedAndDropped);
    let e = dropped
        .create_grant(&grant("health-research", &["health"], "2099-12-31"))
        .expect_err("not landed");
    assert_eq!(e.code(), "tx_refused");
    assert!(e.to_string().contains("did not land"), "{e}");
    assert!(dropped.grants().expect("grants").is_empty());
}

/// The officer's queue a page at a time: a citizen with standing (an accepted report) files
/// one into the review log, a newcomer one and a fresh key 120 into the ring; the 122
/// waiting come back merged newest first, 50, 50 and 22, each page's cursor going on where
/// the last stopped, with no report twice; a cursor the wallet did not hand out is refused.
/// Then a flood of a ring's worth from another fresh key pushes the newcomer's unread
/// report out: the chain proves it gone and the newcomer's list says it expired, while the
/// citizen's report in the review log still waits.
#[test]
fn the_review_queue_pages_and_a_flood_expires_unread_reports() {
    use citywallet_protocol::keys::{LOG_PAGE, NEW_REPORTER_PAGES};
    let env = Env::new();
    let citizen = &mut env.wallet("citizen");
    let newcomer = &mut env.wallet("newcomer");
    let officer = &mut env.wallet("officer");
    env.net.give_role(Role::Officer, env.identity_key(officer));
    let first = citizen.submit_report(&report("cell-8a2b")).expect("report");
    officer
        .review_report(&first.subject, true, 5)
        .expect("accept");
    let early = newcomer
        .submit_report(&report("cell-8a2c"))
        .expect("report");
    env.net.fresh_reports(7, "fresh", 120);
    let late = citizen.submit_report(&report("cell-8a2d")).expect("report");
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut older = None;
    loop {
        let page = officer.pending_reports(older.as_deref()).expect("page");
        sizes.push(page.reports.len());
        seen.extend(page.reports.into_iter().map(|r| (r.id, r.time)));
        match page.older {
            Some(c) => older = Some(c),
            None => break,
        }
    }
    assert_eq!(sizes, [50, 50, 22]);
    assert_eq!(seen[0].0, late.subject, "newest first, from the review log");
    assert_eq!(seen[1].0, "fresh-119");
    assert_eq!(
        seen.last().map(|r| r.0.as_str()),
        Some(early.subject.as_str())
    );
    assert!(
        seen.windows(2).all(|w| w[0].1 >= w[1].1),
        "by time, newest first"
    );
    let mut ids: Vec<&str> = seen.iter().map(|r| r.0.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 122, "no report twice");
    for bad in ["", "12", "1.x", "-1.2", "1.2.3", "99999999999999999999.1"] {
        assert_eq!(
            officer.pending_reports(Some(bad)).expect_err(bad).code(),
            "invalid_cursor"
        );
    }

    // A second later (report times are in seconds), the flood.
    env.net.clock.advance(Duration::from_secs(1));
    env.net
        .fresh_reports(8, "flood", NEW_REPORTER_PAGES * LOG_PAGE);
    let status = |list: Vec<citywallet_core::vault::ReportEntry>, id: &str| {
        list.into_iter().find(|r| r.id == id).map(|r| r.status)
    };
    let theirs = newcomer.reports().expect("reports").reports;
    assert_eq!(status(theirs, &early.subject), Some(ReportState::Expired));
    let mine = citizen.reports().expect("reports").reports;
    assert_eq!(status(mine, &late.subject), Some(ReportState::Submitted));
    let page = officer.pending_reports(None).expect("page");
    assert_eq!(
        page.reports[0].id,
        format!("flood-{}", NEW_REPORTER_PAGES * LOG_PAGE - 1)
    );
    assert!(page.older.is_some(), "the flood fills many pages");
    // The citizen's report is older than the flood, and still there to review.
    officer
        .review_report(&late.subject, true, 1)
        .expect("still waiting");
    assert_eq!(
        officer
            .review_report(&early.subject, true, 1)
            .expect_err("expired")
            .code(),
        "not_on_chain"
    );
}

#[test]
fn a_device_anchors_its_batches_until_revoked_and_anyone_checks_a_batch() {
    use citywallet_wallet::anchors::{ReadingBatch, device_signer};
    let env = Env::new();
    let mut tech = env.wallet("technician");
    env.net.give_role(Role::Technician, env.identity_key(&tech));
    let made = tech
        .provision(&DeviceIn {
            id: "aq-0001".into(),
            kind: "air-quality-sensor".into(),
            location: "cell-8a2b".into(),
            department: "environment".into(),
            ..DeviceIn::default()
        })
        .expect("provision");
    assert_eq!(made.latest_anchor.map(|a| a.seq), None);
    let bundle_file = env.dir.path().join("aq-0001.cwbundle");
    let pass = Passphrase::from("device passphrase 7");
    tech.export_bundle("aq-0001", &pass, &bundle_file)
        .expect("bundle");

    // The device: its bundle, its key, its own state started from the bundle's anchor.
    let bundle = citywallet_core::vault::DeviceBundle::from_json(
        &std::fs::read(&bundle_file).expect("read"),
    )
    .expect("bundle");
    let signer = device_signer(&bundle.open(&pass).expect("open"));
    let mut device = env.wallet_on("device-state", PRIMARY);
    device.create(&pass, "").expect("state");
    device.start_from_bundle(&bundle).expect("start");
    let batch = |seq: u64| ReadingBatch {
        device: "aq-0001".into(),
        seq,
        taken_at: env.net.clock.now().unix_timestamp() as u64,
        readings: (0..5)
            .map(|i| format!(r#"{{"t":{i},"pm25":{}}}"#, 10 + seq + i))
            .collect(),
    };
    for seq in [1, 2] {
        let r = device
            .anchor_batch_as(&signer, &batch(seq))
            .expect("anchor");
        assert_eq!(
            (r.action, r.subject),
            (ActionKind::AnchorReadings, format!("aq-0001/{seq}"))
        );
    }
    let sent = env.broadcasts();
    assert_eq!(
        device
            .anchor_batch_as(&signer, &batch(2))
            .expect_err("replayed")
            .code(),
        "batch_not_newer"
    );
    let other = device_signer(&Zeroizing::new([42u8; 32]));
    assert_eq!(
        device
            .anchor_batch_as(&other, &batch(3))
            .expect_err("another key")
            .code(),
        "not_yours"
    );
    assert_eq!(env.broadcasts(), sent, "a refused anchor is never sent");

    // Anyone with the light client checks a batch file; a changed reading does not match.
    let mut citizen = env.wallet("citizen");
    let file = batch(2).to_file().expect("file");
    let check = citizen.check_reading(&file).expect("check");
    assert!(check.matches && check.device_active == Some(true));
    assert_eq!(check.anchor.as_ref().map(|a| a.count), Some(5));
    let tampered = String::from_utf8(file)
        .expect("utf8")
        .replace(r#""pm25":12"#, r#""pm25":11"#);
    let check = citizen
        .check_reading(tampered.as_bytes())
        .expect("check tampered");
    assert!(!check.matches);
    let unanchored = citizen
        .check_reading(&batch(9).to_file().expect("file"))
        .expect("check");
    assert!(!unanchored.matches && unanchored.anchor.is_none());
    assert_eq!(
        citizen
            .check_reading(b"{\"format\":\"x\"}\n")
            .expect_err("not a batch")
            .code(),
        "readings_malformed"
    );

    // The technician's views: the latest proven anchor per device.
    let listed = tech.devices().expect("devices");
    assert_eq!(listed[0].latest_anchor.as_ref().map(|a| a.seq), Some(2));
    let dept = tech.department_devices(0).expect("department");
    assert_eq!((dept.department.as_str(), dept.total), ("environment", 1));
    assert_eq!(
        dept.devices[0].latest_anchor.as_ref().map(|a| a.seq),
        Some(2)
    );

    // Revoked: the device's next batch is refused before it is sent.
    tech.revoke_device("aq-0001").expect("revoke");
    let sent = env.broadcasts();
    assert_eq!(
        device
            .anchor_batch_as(&signer, &batch(3))
            .expect_err("revoked")
            .code(),
        "not_active"
    );
    assert_eq!(env.broadcasts(), sent);
    let check = citizen
        .check_reading(&batch(2).to_file().expect("file"))
        .expect("check");
    assert!(check.matches && check.device_active == Some(false));
}

#[test]
fn a_wallet_recovered_from_its_phrase_alone_restores_its_grants_reports_and_devices_from_the_chain()
{
    let env = Env::new();
    let mut old = env.wallet_on("old-phone", PRIMARY);
    let phrase = old.create(&Passphrase::from(PASS), "").expect("create");
    let mut officer = env.wallet("officer");
    env.net.give_role(Role::Officer, env.identity_key(&officer));
    env.net.give_role(Role::Technician, env.identity_key(&old));

    let kept = old
        .create_grant(&grant("health-research", &["health"], "2099-12-31"))
        .expect("grant")
        .subject;
    let revoked = old
        .create_grant(&grant("health-research", &["mobility"], "2099-12-31"))
        .expect("grant")
        .subject;
    old.revoke_grant(&revoked).expect("revoke");
    let filed = old
        .submit_report(&report("cell-8a2b"))
        .expect("report")
        .subject;
    officer.review_report(&filed, true, 5).expect("review");
    old.provision(&DeviceIn {
        id: "aq-restore-1".into(),
        kind: "air-quality-sensor".into(),
        location: "cell-8a2b".into(),
        department: "environment".into(),
        ..DeviceIn::default()
    })
    .expect("device");
    // Someone else's grant is not this wallet's.
    env.wallet("neighbour")
        .create_grant(&grant("health-research", &["health"], "2099-12-31"))
        .expect("grant");

    // A new phone, the phrase alone.
    let mut new = env.wallet_on("new-phone", PRIMARY);
    new.recover(&phrase.phrase(), &Passphrase::from(PASS), "")
        .expect("recover");
    assert!(new.grants().expect("grants").is_empty());
    let back = new.restore_from_chain().expect("restore");
    assert_eq!(
        (back.grants, back.reports, back.devices, back.reward_points),
        (2, 1, 1, 5)
    );
    let grants = new.grants().expect("grants");
    let states: Vec<_> = grants.iter().map(|g| (g.id.clone(), g.status)).collect();
    assert!(states.contains(&(kept.clone(), GrantState::Active)));
    assert!(states.contains(&(revoked.clone(), GrantState::Revoked)));
    assert_eq!(grants[0].org_name, "City Health Research Institute");
    let reports = new.reports().expect("reports");
    assert_eq!(
        (
            reports.reports[0].id.as_str(),
            reports.reports[0].status,
            reports.reward_points
        ),
        (filed.as_str(), ReportState::Accepted, 5)
    );
    let devices = new.devices().expect("devices");
    assert_eq!(
        (devices[0].id.as_str(), devices[0].status, devices[0].index),
        ("aq-restore-1", DeviceStatus::Active, Some(0))
    );
    // Its wallet-made key came back with it: the bundle can be exported again.
    new.export_bundle(
        "aq-restore-1",
        &Passphrase::from("device passphrase 8"),
        &env.dir.path().join("restored.cwbundle"),
    )
    .expect("bundle again");
    // Each came back as a proven read kept as a receipt, checkable offline.
    for subject in [&kept, &revoked, &filed, &"aq-restore-1".to_owned()] {
        let r = new.receipt(subject).expect("receipt");
        assert!(r.id.starts_with("restored:"), "{}", r.id);
    }
    // Again: nothing new to bring back.
    let again = new.restore_from_chain().expect("restore again");
    assert_eq!((again.grants, again.reports, again.devices), (0, 0, 0));
}
