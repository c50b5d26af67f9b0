//! `cargo bench -p citywallet-node --bench private_report`: what a private report costs the
//! node in CheckTx (the residency proof: a BBS pseudonym proof over the credential's
//! canonical JSON-LD), beside an ordinary report. Each transaction is a new reporter's, with
//! its own presentation (made outside the measurement).

use std::hint::black_box;

use citywallet_core::credentials::pseudonym;
use citywallet_core::credentials::{CredentialType, IssuerSecretKey};
use citywallet_node::app::{App, Genesis};
use citywallet_node::store::Store;
use citywallet_protocol::{Action, IssuerRecord, Status, TxBody, reports};
use citywallet_vc::derived::NymHolder;
use citywallet_vc::{base, city, private};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer, SigningKey};

const CHAIN: &str = "bench-chain";
const T0: u64 = 1_796_100_000;

struct Resident {
    signed: serde_json::Value,
    committed: Vec<Vec<u8>>,
    blind: [u8; 32],
    nym: [u8; 32],
}

fn resident(sk: &IssuerSecretKey, pk: &citywallet_core::credentials::IssuerPublicKey) -> Resident {
    let start = reports::window_start(T0);
    let iso = |t: u64| {
        tendermint::Time::from_unix_timestamp(t as i64, 0)
            .expect("time")
            .to_rfc3339()
    };
    let issuer = city::issuer_iri("city-hall");
    let doc = city::private_document(&city::Draft {
        kind: CredentialType::Residency,
        id: "",
        issuer: &issuer,
        holder: "",
        claims: &[("district", "Harbour District"), ("since", "2020-01-01")],
        valid_from: &iso(start),
        valid_until: &iso(start + reports::WINDOW_SECS),
    })
    .expect("document");
    let committed = vec![vec![1; 32]];
    let prover = pseudonym::random_scalar_bytes().expect("nym");
    let entropy = pseudonym::random_scalar_bytes().expect("entropy");
    let c = pseudonym::nym_commit(&committed, &prover).expect("commit");
    let signed = base::sign_document_nym(
        &doc,
        &base::proof_options(&city::verification_method("city-hall"), &iso(start)),
        &city::private_mandatory_pointers(),
        sk,
        pk,
        &[0x42; 32],
        &c.with_proof,
        &entropy,
    )
    .expect("sign");
    Resident {
        signed,
        committed,
        blind: *c.blind,
        nym: *pseudonym::nym_secret(&prover, &entropy).expect("nym secret"),
    }
}

fn bench(c: &mut Criterion) {
    let (sk, pk) = IssuerSecretKey::from_key_material(&[5u8; 32], None, None).expect("key");
    let genesis = Genesis {
        chain_id: CHAIN.into(),
        admins: vec![hex::encode([3u8; 32])],
        issuers: vec![IssuerRecord {
            id: "city-hall".into(),
            name: "City Hall".into(),
            bbs_public_key: hex::encode(pk.to_bytes()),
            operator_key: hex::encode([4u8; 32]),
            credential_types: vec!["residency".into()],
            status: Status::Active,
            max_revocation_delay_secs: Some(reports::WINDOW_SECS),
        }],
        ..Genesis::default()
    };
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::new(
        Store::open(&dir.path().join("state.redb")).expect("store"),
        CHAIN,
    );
    app.init_chain(&genesis).expect("genesis");
    let r = resident(&sk, &pk);
    let mut n = 0u64;
    let mut tx = |private: bool| {
        n += 1;
        let mut seed = [9u8; 32];
        seed[..8].copy_from_slice(&n.to_be_bytes());
        let key = SigningKey::from_bytes(&seed);
        let signer = key.verifying_key().to_bytes();
        let id = format!("report-{n}");
        let action = if private {
            let nonce = reports::nonce(&signer, &id, "pothole", "cell-1", &[1; 32]);
            let holder = NymHolder {
                committed: &r.committed,
                blind: &r.blind,
                nym_secret: &r.nym,
            };
            let context = reports::context(reports::window_start(T0));
            let vp = private::present(
                &r.signed,
                &[],
                &nonce,
                reports::CLIENT_ID,
                holder,
                Some(&context),
            )
            .expect("present");
            Action::SubmitPrivateReport {
                id,
                category: "pothole".into(),
                location_cell: "cell-1".into(),
                evidence_hash: [1; 32],
                presentation: citywallet_vc::presentation::to_compact(&vp).expect("compact"),
            }
        } else {
            Action::SubmitReport {
                id,
                category: "pothole".into(),
                location_cell: "cell-1".into(),
                evidence_hash: [1; 32],
            }
        };
        TxBody {
            chain_id: CHAIN.into(),
            signer,
            nonce: 0,
            expires_at: 0,
            action,
        }
        .sign_with(|m| key.sign(m).to_bytes())
        .encode()
    };
    let sample = tx(true);
    let answer = app.check_tx(&sample, T0 + 10).expect("check");
    assert_eq!(answer.code, citywallet_protocol::Code::Ok, "{}", answer.log);
    println!("private report transaction: {} B", sample.len());

    let mut g = c.benchmark_group("check_tx");
    g.sample_size(20);
    g.bench_function("report", |b| {
        b.iter_batched(
            || tx(false),
            |t| black_box(app.check_tx(&t, T0 + 10).expect("check")),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("private_report", |b| {
        b.iter_batched(
            || tx(true),
            |t| black_box(app.check_tx(&t, T0 + 10).expect("check")),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
