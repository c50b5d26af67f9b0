//! The city application: every transaction kind, every refusal code, state untouched by
//! refusals, ICS23 proofs that verify (and fail when tampered), persistence across restarts.

mod common;

use citywallet_node::app::{App, ValidatorUpdate};
use citywallet_node::store::Store;
use citywallet_protocol::{
    Action, Code, GrantRecord, IssuerRecord, ReportStatus, Role, Status, TxBody, keys,
};
use common::*;
use ed25519_dalek::Signer;

fn get<T: serde::de::DeserializeOwned>(app: &App, key: &[u8]) -> Option<T> {
    app.query(key, None)
        .expect("query")
        .value
        .map(|v| serde_json::from_slice(&v).expect("json"))
}

#[test]
fn every_action_applies_for_its_authorised_signer() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    let codes = block(
        &mut app,
        1,
        &[
            tx(&k.citizen, 0, report("r-1")),
            tx(&k.citizen, 1, grant("g-1", "health-research", &["health"])),
            tx(
                &k.technician,
                0,
                Action::ProvisionDevice {
                    id: "aq-0001".into(),
                    public_key: [8u8; 32],
                    kind: "air-quality-sensor".into(),
                    location: "bus stop 12".into(),
                    department: "environment".into(),
                },
            ),
            tx(
                &k.issuer_op,
                0,
                Action::RevokeCredential {
                    issuer: "city-credit-bureau".into(),
                    credential_id: "urn:uuid:credit-0001".into(),
                    reason: "superseded".into(),
                },
            ),
            tx(
                &k.admin,
                0,
                Action::RegisterOrg {
                    id: "transit-lab".into(),
                    name: "Transit Lab".into(),
                    key: [6u8; 32],
                    categories: vec!["mobility".into()],
                },
            ),
            tx(
                &k.admin,
                1,
                Action::RegisterRole {
                    role: Role::Officer,
                    key: [6u8; 32],
                    department: String::new(),
                },
            ),
            tx(
                &k.admin,
                2,
                Action::SetValidator {
                    public_key: pk(&key(8)),
                    power: 5,
                },
            ),
            tx(
                &k.admin,
                3,
                Action::SetRevocationBound {
                    issuer: "city-credit-bureau".into(),
                    max_delay_secs: 7 * 24 * 3600,
                },
            ),
        ],
    );
    let issuer: IssuerRecord = get(&app, &keys::issuer("city-credit-bureau")).expect("issuer");
    assert_eq!(issuer.max_revocation_delay_secs, Some(7 * 24 * 3600));
    assert!(codes.iter().all(|c| *c == Code::Ok), "{codes:?}");
    let codes = block(
        &mut app,
        2,
        &[
            tx(
                &k.officer,
                0,
                Action::ReviewReport {
                    id: "r-1".into(),
                    accept: true,
                    reward: 25,
                },
            ),
            tx(&k.citizen, 2, Action::RevokeGrant { id: "g-1".into() }),
            tx(
                &k.technician,
                1,
                Action::RevokeDevice {
                    id: "aq-0001".into(),
                },
            ),
            tx(
                &k.admin,
                4,
                Action::DeactivateIssuer {
                    id: "city-credit-bureau".into(),
                },
            ),
        ],
    );
    assert!(codes.iter().all(|c| *c == Code::Ok), "{codes:?}");

    let r: citywallet_protocol::ReportRecord = get(&app, &keys::report("r-1")).expect("report");
    assert_eq!(r.status, ReportStatus::Accepted);
    assert_eq!(r.reporter, hex::encode(pk(&k.citizen)));
    let reward: citywallet_protocol::RewardRecord =
        get(&app, &keys::reward(&pk(&k.citizen))).expect("reward");
    assert_eq!(reward.points, 25);
    let g: GrantRecord = get(&app, &keys::grant("g-1")).expect("grant");
    assert_eq!(g.status, Status::Inactive);
    let issuer: IssuerRecord = get(&app, &keys::issuer("city-credit-bureau")).expect("issuer");
    assert_eq!(issuer.status, Status::Inactive);
    assert!(
        app.query(
            &keys::revoked("city-credit-bureau", "urn:uuid:credit-0001"),
            None
        )
        .expect("q")
        .value
        .is_some()
    );
    let nonce: citywallet_protocol::Account =
        get(&app, &keys::account(&pk(&k.citizen))).expect("account");
    assert_eq!(nonce.nonce, 3);
}

#[test]
fn each_refusal_has_its_code_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    block(&mut app, 1, &[tx(&k.citizen, 0, report("r-1"))]);

    let mut bad_sig = tx(&k.citizen, 1, report("r-2"));
    let n = bad_sig.len();
    bad_sig[n - 5] ^= 1;
    let forged = TxBody {
        chain_id: CHAIN.into(),
        signer: pk(&k.admin),
        nonce: 0,
        expires_at: 0,
        action: Action::RegisterRole {
            role: Role::Technician,
            key: pk(&k.citizen),
            department: "environment".into(),
        },
    }
    .sign_with(|m| k.citizen.sign(m).to_bytes())
    .encode();
    let wrong_chain = TxBody {
        chain_id: "other-chain".into(),
        signer: pk(&k.citizen),
        nonce: 1,
        expires_at: 0,
        action: report("r-3"),
    }
    .sign_with(|m| k.citizen.sign(m).to_bytes())
    .encode();
    let expired = TxBody {
        chain_id: CHAIN.into(),
        signer: pk(&k.citizen),
        nonce: 1,
        expires_at: T0,
        action: report("r-4"),
    }
    .sign_with(|m| k.citizen.sign(m).to_bytes())
    .encode();
    let cases: Vec<(Vec<u8>, Code)> = vec![
        (b"garbage".to_vec(), Code::Malformed),
        (vec![0u8; 9000], Code::TooLarge),
        (bad_sig, Code::BadSignature),
        (forged, Code::BadSignature),
        (wrong_chain, Code::WrongChain),
        (expired, Code::Expired),
        (tx(&k.citizen, 0, report("r-5")), Code::BadNonce),
        (tx(&k.citizen, 7, report("r-5")), Code::BadNonce),
        (tx(&k.citizen, 1, report("r-1")), Code::Duplicate),
        (
            tx(
                &k.citizen,
                1,
                Action::ProvisionDevice {
                    id: "x".into(),
                    public_key: [1; 32],
                    kind: "k".into(),
                    location: "l".into(),
                    department: "d".into(),
                },
            ),
            Code::Unauthorized,
        ),
        (
            tx(
                &k.citizen,
                1,
                Action::ReviewReport {
                    id: "r-1".into(),
                    accept: true,
                    reward: 1_000_000,
                },
            ),
            Code::Unauthorized,
        ),
        (
            tx(
                &k.citizen,
                1,
                Action::SetValidator {
                    public_key: pk(&k.citizen),
                    power: 100,
                },
            ),
            Code::Unauthorized,
        ),
        (
            tx(&k.citizen, 1, grant("g-1", "no-such-org", &["health"])),
            Code::UnknownTarget,
        ),
        (
            tx(&k.citizen, 1, grant("g-1", "health-research", &["finance"])),
            Code::Unauthorized,
        ),
        (
            tx(&k.citizen, 1, Action::RevokeGrant { id: "nope".into() }),
            Code::UnknownTarget,
        ),
        (
            tx(
                &k.citizen,
                1,
                Action::RevokeCredential {
                    issuer: "city-credit-bureau".into(),
                    credential_id: "c".into(),
                    reason: "r".into(),
                },
            ),
            Code::Unauthorized,
        ),
        (tx(&k.citizen, 1, report("has/slash")), Code::InvalidField),
        (
            tx(
                &k.citizen,
                1,
                Action::SetRevocationBound {
                    issuer: "city-credit-bureau".into(),
                    max_delay_secs: 3600,
                },
            ),
            Code::Unauthorized,
        ),
        (
            tx(
                &k.admin,
                0,
                Action::SetRevocationBound {
                    issuer: "city-credit-bureau".into(),
                    max_delay_secs: 60,
                },
            ),
            Code::InvalidField,
        ),
        (
            tx(
                &k.admin,
                0,
                Action::SetRevocationBound {
                    issuer: "no-such-issuer".into(),
                    max_delay_secs: 3600,
                },
            ),
            Code::UnknownTarget,
        ),
        (
            tx(
                &k.officer,
                0,
                Action::ReviewReport {
                    id: "missing".into(),
                    accept: false,
                    reward: 0,
                },
            ),
            Code::UnknownTarget,
        ),
    ];
    let before = app.latest().expect("latest").expect("height");

    // A twin application gets the same height with no transactions: refusals must leave
    // the state identical to it.
    let twin_dir = tempfile::tempdir().expect("tmp");
    let mut twin = new_app(twin_dir.path(), &k);
    block(&mut twin, 1, &[tx(&k.citizen, 0, report("r-1"))]);
    assert_eq!(twin.latest().expect("latest"), Some(before));

    let txs: Vec<Vec<u8>> = cases.iter().map(|(t, _)| t.clone()).collect();
    for (i, (t, want)) in cases.iter().enumerate() {
        let r = app.check_tx(t, T0 + 2).expect("check");
        assert_eq!(r.code, *want, "case {i} in CheckTx: {}", r.log);
        assert!(!r.log.is_empty());
    }
    let codes = block(&mut app, 2, &txs);
    let wanted: Vec<Code> = cases.iter().map(|(_, c)| *c).collect();
    assert_eq!(codes, wanted);
    block(&mut twin, 2, &[]);
    assert_eq!(
        app.latest().expect("latest"),
        twin.latest().expect("latest"),
        "refused transactions changed state"
    );
}

#[test]
fn check_tx_tracks_pending_nonces_until_commit() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    assert_eq!(
        app.check_tx(&tx(&k.citizen, 0, report("a")), T0)
            .expect("c")
            .code,
        Code::Ok
    );
    assert_eq!(
        app.check_tx(&tx(&k.citizen, 1, report("b")), T0)
            .expect("c")
            .code,
        Code::Ok
    );
    assert_eq!(
        app.check_tx(&tx(&k.citizen, 1, report("c")), T0)
            .expect("c")
            .code,
        Code::BadNonce
    );
    // CheckTx changes no state.
    assert!(
        app.query(&keys::report("a"), None)
            .expect("q")
            .value
            .is_none()
    );
    block(&mut app, 1, &[tx(&k.citizen, 0, report("a"))]);
    assert_eq!(
        app.check_tx(&tx(&k.citizen, 1, report("b")), T0)
            .expect("c")
            .code,
        Code::Ok
    );
}

#[test]
fn proofs_verify_against_the_app_hash_and_fail_when_tampered() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    block(&mut app, 1, &[tx(&k.citizen, 0, report("r-1"))]);
    let (height, root) = app.latest().expect("latest").expect("height");
    let spec = jmt::ics23_spec();

    let key = keys::report("r-1");
    let p = app.query(&key, None).expect("query");
    assert_eq!((p.height, p.root), (height, root));
    let value = p.value.clone().expect("present");
    assert!(ics23::verify_membership::<ics23::HostFunctionsManager>(
        &p.proof,
        &spec,
        &root.to_vec(),
        &key,
        &value
    ));
    let mut other = value.clone();
    other[5] ^= 1;
    assert!(!ics23::verify_membership::<ics23::HostFunctionsManager>(
        &p.proof,
        &spec,
        &root.to_vec(),
        &key,
        &other
    ));
    let mut wrong_root = root;
    wrong_root[0] ^= 1;
    assert!(!ics23::verify_membership::<ics23::HostFunctionsManager>(
        &p.proof,
        &spec,
        &wrong_root.to_vec(),
        &key,
        &value
    ));

    // Absence is proven, not assumed.
    let absent = keys::revoked("city-credit-bureau", "urn:uuid:never-revoked");
    let p = app.query(&absent, None).expect("query");
    assert!(p.value.is_none());
    assert!(ics23::verify_non_membership::<ics23::HostFunctionsManager>(
        &p.proof,
        &spec,
        &root.to_vec(),
        &absent
    ));
    assert!(
        !ics23::verify_non_membership::<ics23::HostFunctionsManager>(
            &p.proof,
            &spec,
            &root.to_vec(),
            &key
        )
    );

    // Proofs at an earlier height verify against that height's root.
    let genesis_root = app.store().root(0).expect("root");
    let p = app.query(&key, Some(0)).expect("query");
    assert!(p.value.is_none());
    assert!(ics23::verify_non_membership::<ics23::HostFunctionsManager>(
        &p.proof,
        &spec,
        &genesis_root.to_vec(),
        &key
    ));
    assert!(app.query(&key, Some(99)).is_err());
}

#[test]
fn state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    block(&mut app, 1, &[tx(&k.citizen, 0, report("r-1"))]);
    let latest = app.latest().expect("latest");
    drop(app);

    let mut app = App::new(
        Store::open(&dir.path().join("state.redb")).expect("store"),
        CHAIN,
    );
    assert_eq!(app.latest().expect("latest"), latest);
    assert!(app.init_chain(&genesis(&k)).is_err(), "genesis runs once");
    assert!(
        app.query(&keys::report("r-1"), None)
            .expect("q")
            .value
            .is_some()
    );
    assert_eq!(
        block(&mut app, 2, &[tx(&k.citizen, 1, report("r-2"))]),
        [Code::Ok]
    );
}

#[test]
fn validator_changes_are_reported_by_commit() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    let new_validator = pk(&key(8));
    app.deliver_tx(
        &tx(
            &k.admin,
            0,
            Action::SetValidator {
                public_key: new_validator,
                power: 5,
            },
        ),
        1,
        T0,
    )
    .expect("d");
    let (_, updates) = app.commit(1).expect("commit");
    assert_eq!(
        updates,
        [ValidatorUpdate {
            public_key: hex::encode(new_validator),
            power: 5
        }]
    );
    app.deliver_tx(
        &tx(
            &k.admin,
            1,
            Action::SetValidator {
                public_key: new_validator,
                power: 0,
            },
        ),
        2,
        T0,
    )
    .expect("d");
    let (_, updates) = app.commit(2).expect("commit");
    assert_eq!(updates[0].power, 0);
    assert!(
        app.query(&keys::validator(&new_validator), None)
            .expect("q")
            .value
            .is_none()
    );
}
