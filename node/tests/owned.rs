//! Each key's own logs: the grants its citizen made, the reports it filed and the devices
//! its technician registered, in order, for a wallet recovered from its phrase alone to
//! rebuild from. A refused transaction adds nothing.

mod common;

use citywallet_node::app::App;
use citywallet_protocol::{Action, Code, Owned, keys};
use common::*;

fn get<T: serde::de::DeserializeOwned>(app: &App, key: &[u8]) -> Option<T> {
    app.query(key, None)
        .expect("query")
        .value
        .map(|v| serde_json::from_slice(&v).expect("json"))
}

fn owned(app: &App, what: Owned, owner: &[u8; 32]) -> (Option<u64>, Option<Vec<String>>) {
    (
        get(app, &keys::owned_count(what, owner)),
        get(app, &keys::owned_page(what, owner, 0)),
    )
}

#[test]
fn grants_reports_and_devices_are_listed_under_the_key_that_made_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    let device = Action::ProvisionDevice {
        id: "aq-1".into(),
        public_key: [20; 32],
        kind: "air-quality-sensor".into(),
        location: "cell-8a2a".into(),
        department: "environment".into(),
    };
    assert_eq!(
        block(
            &mut app,
            1,
            &[
                tx(&k.citizen, 0, grant("g-1", "health-research", &["health"])),
                tx(&k.citizen, 1, grant("g-1", "health-research", &["health"])),
                tx(&k.citizen, 1, report("r-1")),
                tx(
                    &k.citizen,
                    2,
                    grant("g-2", "health-research", &["mobility"])
                ),
                tx(&k.technician, 0, device),
            ]
        ),
        [Code::Ok, Code::Duplicate, Code::Ok, Code::Ok, Code::Ok]
    );
    let ids = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    assert_eq!(
        owned(&app, Owned::Grants, &pk(&k.citizen)),
        (Some(2), ids(&["g-1", "g-2"]))
    );
    assert_eq!(
        owned(&app, Owned::Reports, &pk(&k.citizen)),
        (Some(1), ids(&["r-1"]))
    );
    assert_eq!(
        owned(&app, Owned::Devices, &pk(&k.technician)),
        (Some(1), ids(&["aq-1"]))
    );
    assert_eq!(owned(&app, Owned::Grants, &pk(&k.technician)), (None, None));
}
