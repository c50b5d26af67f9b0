//! Who may do what: the reward cap and checked sums, technicians bound to their department,
//! the admin removing roles and rotating its own key, and one credential id rule. Every
//! refusal leaves the state as it was.

mod common;

use citywallet_node::app::{App, Genesis, TechnicianEntry};
use citywallet_node::store::Store;
use citywallet_protocol::{Action, Code, DeviceRecord, RewardRecord, Role, Status, keys};
use common::*;

/// The application under test and a twin that is given only the transactions the first
/// accepted: after every block both must have the same app hash, so a refusal changed
/// nothing.
struct Pair {
    app: App,
    twin: App,
    _dirs: [tempfile::TempDir; 2],
}

impl Pair {
    fn new(genesis: &Genesis) -> Self {
        let dirs = [
            tempfile::tempdir().expect("tmp"),
            tempfile::tempdir().expect("tmp"),
        ];
        Self {
            app: app_with(dirs[0].path(), genesis),
            twin: app_with(dirs[1].path(), genesis),
            _dirs: dirs,
        }
    }

    /// `txs` in one block at `height`; their codes.
    fn block(&mut self, height: u64, txs: &[Vec<u8>]) -> Vec<Code> {
        let codes = block(&mut self.app, height, txs);
        let accepted: Vec<Vec<u8>> = txs
            .iter()
            .zip(&codes)
            .filter(|(_, c)| **c == Code::Ok)
            .map(|(t, _)| t.clone())
            .collect();
        assert_eq!(
            block(&mut self.twin, height, &accepted),
            vec![Code::Ok; accepted.len()]
        );
        assert_eq!(
            self.app.latest().expect("latest"),
            self.twin.latest().expect("latest"),
            "a refused transaction changed the state"
        );
        codes
    }

    /// One transaction in its own block.
    fn one(&mut self, height: u64, tx: Vec<u8>) -> Code {
        self.block(height, &[tx])[0]
    }
}

fn get<T: serde::de::DeserializeOwned>(app: &App, key: &[u8]) -> Option<T> {
    app.query(key, None)
        .expect("query")
        .value
        .map(|v| serde_json::from_slice(&v).expect("json"))
}

fn app_with(dir: &std::path::Path, genesis: &Genesis) -> App {
    let mut app = App::new(Store::open(&dir.join("state.redb")).expect("store"), CHAIN);
    app.init_chain(genesis).expect("genesis");
    app
}

fn review(id: &str, reward: u64) -> Action {
    Action::ReviewReport {
        id: id.into(),
        accept: true,
        reward,
    }
}

fn device(id: &str, department: &str) -> Action {
    Action::ProvisionDevice {
        id: id.into(),
        public_key: [7; 32],
        kind: "air-quality-sensor".into(),
        location: "cell-1".into(),
        department: department.into(),
    }
}

fn points(app: &App, k: &Keys) -> u64 {
    get::<RewardRecord>(app, &keys::reward(&pk(&k.citizen))).map_or(0, |r| r.points)
}

#[test]
fn an_officer_credits_at_most_the_genesis_cap() {
    let k = keys_();
    let mut p = Pair::new(&genesis(&k)); // cap 1,000
    let codes = p.block(
        1,
        &[
            tx(&k.citizen, 0, report("r-1")),
            tx(&k.citizen, 1, report("r-2")),
        ],
    );
    assert_eq!(codes, [Code::Ok, Code::Ok]);
    let r = p
        .app
        .check_tx(&tx(&k.officer, 0, review("r-1", 1_001)), T0 + 2)
        .expect("check");
    assert_eq!(r.code, Code::InvalidField, "{}", r.log);
    assert!(r.log.contains("cap of 1000"), "{}", r.log);
    assert_eq!(
        p.one(2, tx(&k.officer, 0, review("r-1", 1_001))),
        Code::InvalidField
    );
    assert_eq!(points(&p.app, &k), 0);
    assert_eq!(p.one(3, tx(&k.officer, 0, review("r-1", 1_000))), Code::Ok);
    assert_eq!(points(&p.app, &k), 1_000);
    // A rejection credits nothing, so its reward field is not held to the cap.
    let reject = Action::ReviewReport {
        id: "r-2".into(),
        accept: false,
        reward: 5_000,
    };
    assert_eq!(p.one(4, tx(&k.officer, 1, reject)), Code::Ok);
    assert_eq!(points(&p.app, &k), 1_000);
}

#[test]
fn points_that_would_overflow_are_refused_not_saturated() {
    let k = keys_();
    let mut genesis = genesis(&k);
    genesis.max_reward = u64::MAX;
    let mut p = Pair::new(&genesis);
    p.block(
        1,
        &[
            tx(&k.citizen, 0, report("r-1")),
            tx(&k.citizen, 1, report("r-2")),
        ],
    );
    let half = u64::MAX / 2 + 1;
    assert_eq!(p.one(2, tx(&k.officer, 0, review("r-1", half))), Code::Ok);
    assert_eq!(
        p.one(3, tx(&k.officer, 1, review("r-2", half))),
        Code::InvalidField
    );
    assert_eq!(points(&p.app, &k), half);
}

#[test]
fn a_technician_touches_devices_of_their_own_department_only() {
    let k = keys_();
    let transport = key(21);
    let mut p = Pair::new(&genesis(&k)); // k.technician is of "environment"
    let give = Action::RegisterRole {
        role: Role::Technician,
        key: pk(&transport),
        department: "transport".into(),
    };
    assert_eq!(p.one(1, tx(&k.admin, 0, give)), Code::Ok);
    assert_eq!(
        get::<String>(&p.app, &keys::department(Role::Technician, &pk(&transport))).as_deref(),
        Some("transport")
    );

    // Provisioning into another department is refused; into one's own, accepted.
    assert_eq!(
        p.one(2, tx(&k.technician, 0, device("tc-1", "transport"))),
        Code::Unauthorized
    );
    assert!(get::<DeviceRecord>(&p.app, &keys::device("tc-1")).is_none());
    assert_eq!(
        p.one(3, tx(&transport, 0, device("tc-1", "transport"))),
        Code::Ok
    );
    assert_eq!(
        p.one(4, tx(&k.technician, 0, device("aq-1", "environment"))),
        Code::Ok
    );

    // Revoking another department's device is refused, and the device stays active.
    let revoke = |id: &str| Action::RevokeDevice { id: id.into() };
    let r = p
        .app
        .check_tx(&tx(&k.technician, 1, revoke("tc-1")), T0 + 5)
        .expect("check");
    assert_eq!(r.code, Code::Unauthorized, "{}", r.log);
    assert!(
        r.log.contains("environment") && r.log.contains("transport"),
        "{}",
        r.log
    );
    assert_eq!(
        p.one(5, tx(&k.technician, 1, revoke("tc-1"))),
        Code::Unauthorized
    );
    let tc = get::<DeviceRecord>(&p.app, &keys::device("tc-1")).expect("device");
    assert_eq!(tc.status, Status::Active);
    assert_eq!(
        p.one(6, tx(&transport, 1, revoke("aq-1"))),
        Code::Unauthorized
    );
    // Each revokes their own department's.
    assert_eq!(p.one(7, tx(&transport, 1, revoke("tc-1"))), Code::Ok);
    assert_eq!(p.one(8, tx(&k.technician, 1, revoke("aq-1"))), Code::Ok);
}

#[test]
fn a_technician_without_a_department_provisions_and_revokes_nothing() {
    let k = keys_();
    // A genesis file from before departments: the technician is a bare key.
    let mut genesis = genesis(&k);
    genesis.technicians = vec![TechnicianEntry::KeyOnly(hex::encode(pk(&k.technician)))];
    let json = serde_json::to_string(&genesis).expect("json");
    let parsed: Genesis = serde_json::from_str(&json).expect("old format still parses");
    assert_eq!(parsed.technicians, genesis.technicians);
    let mut p = Pair::new(&parsed);
    assert_eq!(
        p.one(1, tx(&k.technician, 0, device("aq-1", "environment"))),
        Code::Unauthorized
    );
    // A department is required when the admin gives the role.
    let no_department = Action::RegisterRole {
        role: Role::Technician,
        key: pk(&key(22)),
        department: String::new(),
    };
    assert_eq!(p.one(2, tx(&k.admin, 0, no_department)), Code::InvalidField);
}

#[test]
fn the_admin_removes_roles_and_rotates_its_own_key() {
    let k = keys_();
    let mut p = Pair::new(&genesis(&k));
    p.block(1, &[tx(&k.citizen, 0, report("r-1"))]);
    let remove = |role, key| Action::RemoveRole { role, key };

    // Only an admin removes a role, and only one that is held.
    assert_eq!(
        p.one(2, tx(&k.citizen, 1, remove(Role::Officer, pk(&k.officer)))),
        Code::Unauthorized
    );
    assert_eq!(
        p.one(3, tx(&k.admin, 0, remove(Role::Officer, pk(&k.citizen)))),
        Code::UnknownTarget
    );
    assert_eq!(
        p.one(4, tx(&k.admin, 0, remove(Role::Officer, pk(&k.officer)))),
        Code::Ok
    );
    assert_eq!(
        p.one(5, tx(&k.officer, 0, review("r-1", 10))),
        Code::Unauthorized,
        "a removed officer reviews nothing"
    );
    // A removed technician loses the department with the role.
    assert_eq!(
        p.one(
            6,
            tx(&k.admin, 1, remove(Role::Technician, pk(&k.technician)))
        ),
        Code::Ok
    );
    assert!(
        get::<String>(
            &p.app,
            &keys::department(Role::Technician, &pk(&k.technician))
        )
        .is_none()
    );
    assert_eq!(
        p.one(7, tx(&k.technician, 0, device("aq-1", "environment"))),
        Code::Unauthorized
    );

    // Rotation: to a key that is already an admin is a duplicate; to a new key moves the
    // standing, and the old key can do nothing an admin does.
    let new_admin = key(30);
    let rotate = |new_key| Action::RotateAdmin { new_key };
    assert_eq!(
        p.one(8, tx(&k.admin, 2, rotate(pk(&k.admin)))),
        Code::Duplicate
    );
    assert_eq!(
        p.one(9, tx(&k.citizen, 1, rotate(pk(&k.citizen)))),
        Code::Unauthorized
    );
    assert_eq!(p.one(10, tx(&k.admin, 2, rotate(pk(&new_admin)))), Code::Ok);
    let give = |key| Action::RegisterRole {
        role: Role::Officer,
        key,
        department: String::new(),
    };
    assert_eq!(
        p.one(11, tx(&k.admin, 3, give(pk(&k.officer)))),
        Code::Unauthorized,
        "the old admin key is no admin"
    );
    assert_eq!(p.one(12, tx(&new_admin, 0, give(pk(&k.officer)))), Code::Ok);
    assert_eq!(p.one(13, tx(&k.officer, 0, review("r-1", 10))), Code::Ok);
}

#[test]
fn a_credential_id_that_issuance_accepts_can_be_revoked() {
    let k = keys_();
    let mut p = Pair::new(&genesis(&k));
    let id = "https://credit.city.example/credentials/2026/42";
    let revoke = |credential_id: &str| Action::RevokeCredential {
        issuer: "city-credit-bureau".into(),
        credential_id: credential_id.into(),
        reason: "score recomputed".into(),
    };
    assert_eq!(p.one(1, tx(&k.issuer_op, 0, revoke(id))), Code::Ok);
    let stored: citywallet_protocol::RevocationRecord =
        get(&p.app, &keys::revoked("city-credit-bureau", id)).expect("revoked");
    assert_eq!(stored.credential_id, id);
    let page: Vec<String> =
        get(&p.app, &keys::revocation_page("city-credit-bureau", 0)).expect("page");
    assert_eq!(page, [id]);
    let count: u64 = get(&p.app, &keys::revocation_count("city-credit-bureau")).expect("count");
    assert_eq!(count, 1);
    // Outside the rule (a space, 129 characters): refused by the field rule.
    for (height, bad) in [(2, "has space".to_owned()), (3, "c".repeat(129))] {
        assert_eq!(
            p.one(height, tx(&k.issuer_op, 1, revoke(&bad))),
            Code::InvalidField,
            "{bad}"
        );
    }
}
