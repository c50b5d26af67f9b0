//! Keys, genesis, transaction builders and a block runner shared by the node tests.
#![allow(dead_code)]

use citywallet_node::app::{App, Genesis, TechnicianEntry, ValidatorUpdate};
use citywallet_node::store::Store;
use citywallet_protocol::{Action, Code, IssuerRecord, OrgRecord, Status, TxBody};
use ed25519_dalek::{Signer, SigningKey};

pub const CHAIN: &str = "citywallet-test";
pub const T0: u64 = 1_780_000_000;

pub struct Keys {
    pub admin: SigningKey,
    pub officer: SigningKey,
    pub technician: SigningKey,
    pub citizen: SigningKey,
    pub issuer_op: SigningKey,
}

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn keys_() -> Keys {
    Keys {
        admin: key(1),
        officer: key(2),
        technician: key(3),
        citizen: key(4),
        issuer_op: key(5),
    }
}

pub fn pk(k: &SigningKey) -> [u8; 32] {
    k.verifying_key().to_bytes()
}

pub fn genesis(k: &Keys) -> Genesis {
    Genesis {
        chain_id: CHAIN.into(),
        admins: vec![hex::encode(pk(&k.admin))],
        issuers: vec![IssuerRecord {
            id: "city-credit-bureau".into(),
            name: "City Credit Bureau".into(),
            bbs_public_key: "ab".repeat(96),
            operator_key: hex::encode(pk(&k.issuer_op)),
            credential_types: vec!["credit".into()],
            status: Status::Active,
            max_revocation_delay_secs: None,
        }],
        orgs: vec![OrgRecord {
            id: "health-research".into(),
            name: "Health Research Institute".into(),
            key: hex::encode([9u8; 32]),
            categories: vec!["health".into(), "mobility".into()],
            status: Status::Active,
        }],
        officers: vec![hex::encode(pk(&k.officer))],
        technicians: vec![TechnicianEntry::new(
            hex::encode(pk(&k.technician)),
            "environment",
        )],
        max_reward: 1_000,
        validators: vec![ValidatorUpdate {
            public_key: hex::encode(pk(&key(7))),
            power: 10,
        }],
    }
}

pub fn new_app(dir: &std::path::Path, k: &Keys) -> App {
    let mut app = App::new(Store::open(&dir.join("state.redb")).expect("store"), CHAIN);
    app.init_chain(&genesis(k)).expect("genesis");
    app
}

pub fn tx(signer: &SigningKey, nonce: u64, action: Action) -> Vec<u8> {
    TxBody {
        chain_id: CHAIN.into(),
        signer: pk(signer),
        nonce,
        expires_at: 0,
        action,
    }
    .sign_with(|m| signer.sign(m).to_bytes())
    .encode()
}

pub fn report(id: &str) -> Action {
    Action::SubmitReport {
        id: id.into(),
        category: "pothole".into(),
        location_cell: "8a2a1072b59ffff".into(),
        evidence_hash: [3u8; 32],
    }
}

pub fn grant(id: &str, org: &str, categories: &[&str]) -> Action {
    Action::GrantAccess {
        id: id.into(),
        org: org.into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        purpose: "air quality and asthma study".into(),
        expires_at: T0 + 86_400 * 90,
    }
}

/// One block at `height` with `txs`; each result's code.
pub fn block(app: &mut App, height: u64, txs: &[Vec<u8>]) -> Vec<Code> {
    let codes = txs
        .iter()
        .map(|t| {
            app.deliver_tx(t, height, T0 + height)
                .expect("deliver")
                .code
        })
        .collect();
    app.commit(height).expect("commit");
    codes
}
