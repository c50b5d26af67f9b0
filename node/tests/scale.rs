//! The node at city scale. Pruning: a store keeping the newest k versions has the same roots and the same proofs at
//! kept heights as an archive, refuses queries at pruned heights with a code, and its tables
//! grow with the live keys, not with the versions written.
//! The paged logs: an append writes the count and one page, however long the log.

mod common;

use citywallet_node::NodeError;
use citywallet_node::abci::CityAbci;
use citywallet_node::app::App;
use citywallet_node::store::{Retention, Store};
use common::*;

const KEEP: u64 = 5;

/// Version `v`'s writes: 20 of 50 hot keys rewritten, 2 new keys, one hot key deleted every
/// fifth version.
fn writes(v: u64) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let mut w: Vec<(Vec<u8>, Option<Vec<u8>>)> = (0..20)
        .map(|i| {
            let k = format!("hot/{}", (v * 7 + i) % 50);
            (k.into_bytes(), Some(format!("{v}:{i}").into_bytes()))
        })
        .collect();
    for n in 0..2 {
        w.push((format!("new/{v}/{n}").into_bytes(), Some(b"x".to_vec())));
    }
    if v % 5 == 4 {
        w.push((format!("hot/{}", v % 50).into_bytes(), None));
    }
    w.sort();
    w.dedup_by(|a, b| a.0 == b.0);
    w
}

fn verify(store: &Store, key: &[u8], height: u64) {
    let p = store.get_proven(key, height).expect("proven read");
    let spec = jmt::ics23_spec();
    let ok = match &p.value {
        Some(v) => ics23::verify_membership::<ics23::HostFunctionsManager>(
            &p.proof,
            &spec,
            &p.root.to_vec(),
            key,
            v,
        ),
        None => ics23::verify_non_membership::<ics23::HostFunctionsManager>(
            &p.proof,
            &spec,
            &p.root.to_vec(),
            key,
        ),
    };
    assert!(ok, "proof of {} at {height}", String::from_utf8_lossy(key));
}

#[test]
fn a_pruned_store_matches_an_archive_where_it_keeps_state_and_stays_small() {
    let dir = tempfile::tempdir().expect("tmp");
    let pruned =
        Store::open_with(&dir.path().join("pruned.redb"), Retention::Keep(KEEP)).expect("store");
    let archive =
        Store::open_with(&dir.path().join("archive.redb"), Retention::Archive).expect("store");
    let mut at_30 = None;
    for v in 0..=60 {
        let w = writes(v);
        let a = archive.commit(v, &w).expect("archive");
        let p = pruned.commit(v, &w).expect("pruned");
        assert_eq!(a, p, "the same root at {v}");
        if v == 30 {
            at_30 = Some(pruned.stats().expect("stats"));
        }
    }
    let (at_30, at_60) = (at_30.expect("30"), pruned.stats().expect("stats"));
    let full = archive.stats().expect("stats");
    // Live keys grow by 2 a version (the new ones); history does not count.
    assert!(
        at_60.nodes < full.nodes / 3,
        "pruned {at_60:?} vs archive {full:?}"
    );
    assert!(
        at_60.nodes < at_30.nodes + 30 * 2 * 3,
        "pruned tree grows with live keys: {at_30:?} then {at_60:?}"
    );
    assert!(at_60.values < full.values / 3, "{at_60:?} vs {full:?}");
    assert_eq!(pruned.oldest().expect("oldest"), 60 + 1 - KEEP);

    // Every kept height proves what the archive proves, present and absent.
    for h in (60 + 1 - KEEP)..=60 {
        for key in ["hot/3", "hot/49", "new/58/1", "new/59/0", "never/written"] {
            verify(&pruned, key.as_bytes(), h);
            assert_eq!(
                pruned.get_proven(key.as_bytes(), h).expect("pruned").value,
                archive
                    .get_proven(key.as_bytes(), h)
                    .expect("archive")
                    .value,
            );
        }
    }
    for h in [0, 10, 60 - KEEP] {
        match pruned.get_proven(b"hot/3", h) {
            Err(NodeError::Pruned { height, oldest }) => {
                assert_eq!((height, oldest), (h, 60 + 1 - KEEP));
            }
            other => panic!("height {h}: {other:?}"),
        }
        verify(&archive, b"hot/3", h);
    }

    // Reopened, the window is where it was.
    drop(pruned);
    let pruned =
        Store::open_with(&dir.path().join("pruned.redb"), Retention::Keep(KEEP)).expect("reopen");
    verify(&pruned, b"hot/7", 60);
    assert_eq!(pruned.oldest().expect("oldest"), 60 + 1 - KEEP);
}

#[test]
fn a_query_at_a_pruned_height_is_answered_with_its_code() {
    use tendermint_proto::v0_38::abci::{Request, RequestQuery, request, response};
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let store =
        Store::open_with(&dir.path().join("state.redb"), Retention::Keep(3)).expect("store");
    let mut app = App::new(store, CHAIN);
    app.init_chain(&genesis(&k)).expect("genesis");
    for h in 1..=8 {
        block(
            &mut app,
            h,
            &[tx(&k.citizen, h - 1, report(&format!("r-{h}")))],
        );
    }
    let abci = CityAbci::new(app);
    let ask = |height| {
        let r = abci
            .handle(Request {
                value: Some(request::Value::Query(RequestQuery {
                    data: citywallet_protocol::keys::report("r-1").into(),
                    path: "/key".into(),
                    height,
                    prove: true,
                })),
            })
            .expect("answer");
        match r.value {
            Some(response::Value::Query(q)) => q,
            other => panic!("{other:?}"),
        }
    };
    let old = ask(2);
    assert_eq!(
        old.code,
        citywallet_protocol::QUERY_HEIGHT_PRUNED,
        "{}",
        old.log
    );
    assert!(old.log.contains("oldest kept is 6"), "{}", old.log);
    let kept = ask(7);
    assert_eq!(kept.code, 0, "{}", kept.log);
    assert!(!kept.value.is_empty());
}

/// The report logs: a count and pages of at most `LOG_PAGE` ids. Filing report 301 writes
/// the count and one page, however many came before. A key without standing (no points,
/// no role) files into the ring of new reporters; once an officer accepts one of its
/// reports with a reward, its next report goes to the review log.
#[test]
fn the_report_log_is_paged_and_an_append_writes_one_page() {
    use citywallet_protocol::keys;
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    let per_block = 50u64;
    for h in 1..=6 {
        let txs: Vec<Vec<u8>> = (0..per_block)
            .map(|i| {
                let n = (h - 1) * per_block + i;
                tx(&k.citizen, n, report(&format!("r-{n}")))
            })
            .collect();
        assert!(
            block(&mut app, h, &txs)
                .iter()
                .all(|c| *c == citywallet_protocol::Code::Ok)
        );
    }
    let get = |key: Vec<u8>| -> Option<Vec<u8>> {
        let (h, _) = app.latest().expect("latest").expect("some");
        app.store().get(&key, h).expect("get")
    };
    let count: u64 =
        serde_json::from_slice(&get(keys::new_reporter_report_count()).expect("count"))
            .expect("json");
    assert_eq!(count, 300);
    assert_eq!(keys::log_pages(count), 2);
    assert!(
        get(keys::report_count()).is_none(),
        "no report with standing yet"
    );
    let page = |p| -> Vec<String> {
        serde_json::from_slice(&get(keys::new_reporter_report_page(p)).expect("page"))
            .expect("json")
    };
    let (first, second) = (page(0), page(1));
    assert_eq!(first.len() as u64, keys::LOG_PAGE);
    assert_eq!(second.len(), 300 - keys::LOG_PAGE as usize);
    assert_eq!(first[0], "r-0");
    assert_eq!(second.last().map(String::as_str), Some("r-299"));
    assert!(get(keys::new_reporter_report_page(2)).is_none());

    // An officer accepts report r-0 with 5 points: the reporter now has standing.
    let review = citywallet_protocol::Action::ReviewReport {
        id: "r-0".into(),
        accept: true,
        reward: 5,
    };
    assert_eq!(
        block(&mut app, 7, &[tx(&k.officer, 0, review)]),
        [citywallet_protocol::Code::Ok]
    );
    assert_eq!(
        block(&mut app, 8, &[tx(&k.citizen, 300, report("r-300"))]),
        [citywallet_protocol::Code::Ok]
    );
    let get = |key: Vec<u8>| -> Option<Vec<u8>> {
        let (h, _) = app.latest().expect("latest").expect("some");
        app.store().get(&key, h).expect("get")
    };
    let reviewed: Vec<String> =
        serde_json::from_slice(&get(keys::report_page(0)).expect("page")).expect("json");
    assert_eq!(reviewed, ["r-300"]);
}

/// The ring of new reporters keeps the newest pages: its slots are reused, and a reader
/// asks only for the pages still kept.
#[test]
fn the_new_reporter_ring_keeps_the_newest_pages() {
    use citywallet_protocol::keys::{
        LOG_PAGE, NEW_REPORTER_PAGES, new_reporter_pages_kept, new_reporter_report_page,
    };
    assert_eq!(new_reporter_pages_kept(0).count(), 0);
    assert_eq!(new_reporter_pages_kept(1).collect::<Vec<_>>(), [0]);
    let flood = (NEW_REPORTER_PAGES + 3) * LOG_PAGE;
    let kept: Vec<u64> = new_reporter_pages_kept(flood).collect();
    assert_eq!(kept.len() as u64, NEW_REPORTER_PAGES);
    assert_eq!(kept[0], NEW_REPORTER_PAGES + 2, "newest first");
    assert_eq!(*kept.last().expect("last"), 3);
    // Page 3 and page 3 + NEW_REPORTER_PAGES share a slot: the newer overwrote the older.
    assert_eq!(
        new_reporter_report_page(3),
        new_reporter_report_page(3 + NEW_REPORTER_PAGES)
    );
}

/// A flood from a fresh key turns the ring over, and what falls out of it leaves the state:
/// once page `NEW_REPORTER_PAGES` starts in page 0's slot, page 0's unreviewed reports are
/// deleted (proven absent), a report an officer already reviewed stays, and the reports
/// still in the ring stay. However long the flood, the state holds at most the ring's worth.
#[test]
fn a_flood_from_fresh_keys_expires_what_falls_out_of_the_ring() {
    use citywallet_protocol::{Action, Code, ReportRecord, ReportStatus, keys};
    let dir = tempfile::tempdir().expect("tmp");
    let k = keys_();
    let mut app = new_app(dir.path(), &k);
    let review = Action::ReviewReport {
        id: "r-1".into(),
        accept: false,
        reward: 0,
    };
    assert_eq!(
        block(
            &mut app,
            1,
            &[
                tx(&k.citizen, 0, report("r-0")),
                tx(&k.citizen, 1, report("r-1"))
            ]
        ),
        [Code::Ok, Code::Ok]
    );
    assert_eq!(block(&mut app, 2, &[tx(&k.officer, 0, review)]), [Code::Ok]);
    let total = keys::NEW_REPORTER_PAGES * keys::LOG_PAGE + 1;
    let mut next = 2u64;
    let mut height = 3;
    while next < total {
        let txs: Vec<Vec<u8>> = (next..total.min(next + 1000))
            .map(|n| tx(&k.citizen, n, report(&format!("r-{n}"))))
            .collect();
        next += txs.len() as u64;
        assert!(block(&mut app, height, &txs).iter().all(|c| *c == Code::Ok));
        height += 1;
    }
    let (h, _) = app.latest().expect("latest").expect("some");
    let record = |id: &str| -> Option<ReportRecord> {
        verify(app.store(), &keys::report(id), h);
        let p = app
            .store()
            .get_proven(&keys::report(id), h)
            .expect("proven");
        p.value.map(|v| serde_json::from_slice(&v).expect("json"))
    };
    assert!(record("r-0").is_none(), "unreviewed and out of the ring");
    assert!(record("r-255").is_none(), "the last of page 0");
    assert_eq!(
        record("r-1").expect("reviewed").status,
        ReportStatus::Rejected
    );
    assert!(record("r-256").is_some(), "page 1 is still in the ring");
    let last = format!("r-{}", total - 1);
    assert!(record(&last).is_some(), "the newest");
    let slot: Vec<String> = serde_json::from_slice(
        &app.store()
            .get(&keys::new_reporter_report_page(0), h)
            .expect("get")
            .expect("slot 0"),
    )
    .expect("json");
    assert_eq!(slot, [last], "page 0's slot now holds the newest page");
}
