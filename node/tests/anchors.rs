//! Device data anchoring: a registered, active device anchors batches of its readings with
//! its own key, each with a sequence number above its last. An unknown device, another
//! key, a revoked device, a replayed or older batch, a batch dated ahead of the chain and a
//! count out of range are each refused with their code and change nothing; a flood from
//! unregistered keys is refused in CheckTx.

mod common;

use citywallet_node::app::App;
use citywallet_protocol::{Action, AnchorRecord, Code, keys};
use common::*;

fn get<T: serde::de::DeserializeOwned>(app: &App, key: &[u8]) -> Option<T> {
    app.query(key, None)
        .expect("query")
        .value
        .map(|v| serde_json::from_slice(&v).expect("json"))
}

fn anchor(device: &str, seq: u64, taken_at: u64) -> Action {
    Action::AnchorReadings {
        device: device.into(),
        seq,
        digest: [seq as u8; 32],
        count: 60,
        taken_at,
    }
}

fn provision(id: &str, device_key: [u8; 32]) -> Action {
    Action::ProvisionDevice {
        id: id.into(),
        public_key: device_key,
        kind: "air-quality-sensor".into(),
        location: "cell-8a2a".into(),
        department: "environment".into(),
    }
}

#[test]
fn only_a_registered_active_device_anchors_and_each_batch_only_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    let (dev, other) = (key(20), key(21));
    assert_eq!(
        block(
            &mut app,
            1,
            &[tx(&k.technician, 0, provision("aq-1", pk(&dev)))]
        ),
        [Code::Ok]
    );

    // The department's log lists it, for its technicians' view.
    assert_eq!(
        get::<u64>(&app, &keys::department_device_count("environment")),
        Some(1)
    );
    assert_eq!(
        get::<Vec<String>>(&app, &keys::department_device_page("environment", 0)),
        Some(vec!["aq-1".to_owned()])
    );

    let at = T0 + 2;
    let mut too_many = anchor("aq-1", 1, at);
    if let Action::AnchorReadings { count, .. } = &mut too_many {
        *count = citywallet_protocol::MAX_READINGS_PER_ANCHOR + 1;
    }
    let mut height = 1;
    for (t, code) in [
        (tx(&dev, 0, anchor("aq-none", 1, at)), Code::UnknownTarget),
        (tx(&other, 0, anchor("aq-1", 1, at)), Code::Unauthorized),
        (
            tx(&dev, 0, anchor("aq-1", 1, at + 3600)),
            Code::InvalidField,
        ),
        (tx(&dev, 0, too_many), Code::InvalidField),
        (tx(&dev, 0, anchor("aq/1", 1, at)), Code::InvalidField),
    ] {
        height += 1;
        assert_eq!(block(&mut app, height, &[t]), [code]);
    }
    assert_eq!(get::<AnchorRecord>(&app, &keys::anchor("aq-1")), None);

    // The device's key: batches 1 and 3 taken, a replay of 1 and an older 2 refused.
    height += 1;
    assert_eq!(
        block(
            &mut app,
            height,
            &[
                tx(&dev, 0, anchor("aq-1", 1, at)),
                tx(&dev, 1, anchor("aq-1", 1, at)),
                tx(&dev, 1, anchor("aq-1", 3, at)),
                tx(&dev, 2, anchor("aq-1", 2, at)),
            ]
        ),
        [Code::Ok, Code::Duplicate, Code::Ok, Code::Duplicate]
    );
    let latest: AnchorRecord = get(&app, &keys::anchor("aq-1")).expect("anchored");
    assert_eq!(
        (
            latest.seq,
            latest.digest.clone(),
            latest.height,
            latest.time
        ),
        (3, hex::encode([3u8; 32]), height, T0 + height)
    );
    let first: AnchorRecord = get(&app, &keys::anchor_at("aq-1", 1)).expect("batch 1");
    assert_eq!((first.seq, first.count, first.taken_at), (1, 60, at));
    assert_eq!(get::<AnchorRecord>(&app, &keys::anchor_at("aq-1", 2)), None);

    // Revoked: the next batch is refused in the very next block, and nothing changes.
    height += 1;
    assert_eq!(
        block(
            &mut app,
            height,
            &[
                tx(&k.technician, 1, Action::RevokeDevice { id: "aq-1".into() }),
                tx(&dev, 2, anchor("aq-1", 4, at)),
            ]
        ),
        [Code::Ok, Code::Unauthorized]
    );
    assert_eq!(
        get::<AnchorRecord>(&app, &keys::anchor("aq-1")).map(|a| a.seq),
        Some(3)
    );
    assert_eq!(get::<AnchorRecord>(&app, &keys::anchor_at("aq-1", 4)), None);
}

#[test]
fn a_flood_from_unregistered_keys_stops_at_check_tx() {
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    for seed in 100..=200u8 {
        let r = app
            .check_tx(&tx(&key(seed), 0, anchor("aq-1", 1, T0)), T0)
            .expect("check");
        assert_eq!(r.code, Code::UnknownTarget);
    }
    // Nothing was admitted, so nothing is remembered for the next block.
    let r = app
        .check_tx(&tx(&key(100), 1, anchor("aq-1", 1, T0)), T0)
        .expect("check");
    assert_eq!(r.code, Code::BadNonce);
}
