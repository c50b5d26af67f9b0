//! The data-use log: an organisation records a use of a citizen's data under a grant made
//! to it, and the node takes it only from that organisation's registered key, while the
//! grant is active, unexpired and covers the category; every refusal has its code and
//! changes nothing. Accepted uses are appended, in order, to the grant's paged log.

mod common;

use citywallet_node::app::App;
use citywallet_node::store::Store;
use citywallet_protocol::{Action, Code, DataUseRecord, keys};
use common::*;

fn get<T: serde::de::DeserializeOwned>(app: &App, key: &[u8]) -> Option<T> {
    app.query(key, None)
        .expect("query")
        .value
        .map(|v| serde_json::from_slice(&v).expect("json"))
}

fn use_of(id: &str, grant: &str, category: &str) -> Action {
    Action::RecordDataUse {
        id: id.into(),
        grant: grant.into(),
        category: category.into(),
        purpose: "asthma cohort, monthly extract".into(),
    }
}

#[test]
fn a_use_is_recorded_only_by_the_grants_organisation_while_the_grant_covers_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let org = key(9);
    let mut g = genesis(&k);
    g.orgs[0].key = hex::encode(pk(&org));
    let mut app = App::new(
        Store::open(&dir.path().join("state.redb")).expect("store"),
        CHAIN,
    );
    app.init_chain(&g).expect("genesis");
    assert_eq!(
        block(
            &mut app,
            1,
            &[
                tx(&k.citizen, 0, grant("g-1", "health-research", &["health"])),
                tx(&k.citizen, 1, grant("g-2", "health-research", &["health"])),
            ]
        ),
        [Code::Ok, Code::Ok]
    );
    assert_eq!(
        block(
            &mut app,
            2,
            &[tx(&k.citizen, 2, Action::RevokeGrant { id: "g-2".into() })]
        ),
        [Code::Ok]
    );

    // Refusals: none takes the organisation's nonce, none writes anything.
    let mut height = 2;
    for (t, code) in [
        (
            tx(&org, 0, use_of("u-1", "g-none", "health")),
            Code::UnknownTarget,
        ),
        (
            tx(&k.citizen, 3, use_of("u-1", "g-1", "health")),
            Code::Unauthorized,
        ),
        (
            tx(&org, 0, use_of("u-1", "g-1", "mobility")),
            Code::Unauthorized,
        ),
        (
            tx(&org, 0, use_of("u-1", "g-2", "health")),
            Code::Unauthorized,
        ),
        (
            tx(&org, 0, use_of("u/1", "g-1", "health")),
            Code::InvalidField,
        ),
    ] {
        height += 1;
        assert_eq!(block(&mut app, height, &[t]), [code]);
    }
    assert_eq!(get::<DataUseRecord>(&app, &keys::data_use("u-1")), None);
    assert_eq!(get::<u64>(&app, &keys::use_count("g-1")), None);

    // The organisation's key, the grant active and covering health: taken, in order.
    assert_eq!(
        block(
            &mut app,
            height + 1,
            &[
                tx(&org, 0, use_of("u-1", "g-1", "health")),
                tx(&org, 1, use_of("u-1", "g-1", "health")),
                tx(&org, 1, use_of("u-2", "g-1", "health")),
            ]
        ),
        [Code::Ok, Code::Duplicate, Code::Ok]
    );
    let first: DataUseRecord = get(&app, &keys::data_use("u-1")).expect("recorded");
    assert_eq!(
        (
            first.grant.as_str(),
            first.org.as_str(),
            first.seq,
            first.time
        ),
        ("g-1", "health-research", 0, T0 + height + 1)
    );
    let second: DataUseRecord = get(&app, &keys::data_use("u-2")).expect("recorded");
    assert_eq!(second.seq, 1);
    assert_eq!(get::<u64>(&app, &keys::use_count("g-1")), Some(2));
    assert_eq!(
        get::<Vec<String>>(&app, &keys::use_page("g-1", 0)),
        Some(vec!["u-1".to_owned(), "u-2".to_owned()])
    );

    // Past the grant's expiry: refused, nothing written.
    let expired = T0 + 86_400 * 90;
    let r = app
        .deliver_tx(
            &tx(&org, 2, use_of("u-3", "g-1", "health")),
            height + 2,
            expired,
        )
        .expect("deliver");
    assert_eq!(r.code, Code::Expired);
    app.commit(height + 2).expect("commit");
    assert_eq!(get::<u64>(&app, &keys::use_count("g-1")), Some(2));
    assert_eq!(get::<DataUseRecord>(&app, &keys::data_use("u-3")), None);
}
