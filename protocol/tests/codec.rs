//! The transaction encoding: round trips for every action, refusal of anything else.

use citywallet_protocol::{Action, DecodeError, Role, SignedTx, TxBody, signing_bytes};
use proptest::prelude::*;

fn actions() -> Vec<Action> {
    vec![
        Action::RegisterIssuer {
            id: "i".into(),
            name: "I".into(),
            bbs_public_key: [1; 96],
            operator_key: [2; 32],
            credential_types: vec!["credit".into()],
        },
        Action::DeactivateIssuer { id: "i".into() },
        Action::RegisterOrg {
            id: "o".into(),
            name: "O".into(),
            key: [3; 32],
            categories: vec!["health".into(), "mobility".into()],
        },
        Action::DeactivateOrg { id: "o".into() },
        Action::RegisterRole {
            role: Role::Technician,
            key: [4; 32],
            department: "environment".into(),
        },
        Action::ProvisionDevice {
            id: "d".into(),
            public_key: [5; 32],
            kind: "k".into(),
            location: "l".into(),
            department: "e".into(),
        },
        Action::RevokeDevice { id: "d".into() },
        Action::RevokeCredential {
            issuer: "i".into(),
            credential_id: "c".into(),
            reason: "r".into(),
        },
        Action::SubmitReport {
            id: "r".into(),
            category: "pothole".into(),
            location_cell: "8a".into(),
            evidence_hash: [6; 32],
        },
        Action::ReviewReport {
            id: "r".into(),
            accept: true,
            reward: 10,
        },
        Action::GrantAccess {
            id: "g".into(),
            org: "o".into(),
            categories: vec!["health".into()],
            purpose: "p".into(),
            expires_at: 99,
        },
        Action::RevokeGrant { id: "g".into() },
        Action::SetValidator {
            public_key: [7; 32],
            power: 3,
        },
        Action::RemoveRole {
            role: Role::Officer,
            key: [4; 32],
        },
        Action::RotateAdmin { new_key: [5; 32] },
        Action::SetRevocationBound {
            issuer: "i".into(),
            max_delay_secs: 604_800,
        },
        Action::SubmitPrivateReport {
            id: "r".into(),
            category: "pothole".into(),
            location_cell: "cell-1".into(),
            evidence_hash: [6; 32],
            presentation: vec![1, 2, 3],
        },
        Action::RecordDataUse {
            id: "u".into(),
            grant: "g".into(),
            category: "health".into(),
            purpose: "study".into(),
        },
        Action::AnchorReadings {
            device: "d".into(),
            seq: 7,
            digest: [10; 32],
            count: 60,
            taken_at: 1_700_000_000,
        },
    ]
}

fn signed(action: Action) -> SignedTx {
    TxBody {
        chain_id: "c".into(),
        signer: [9; 32],
        nonce: 4,
        expires_at: 0,
        action,
    }
    .sign_with(|_| [8; 64])
}

#[test]
fn every_action_round_trips_with_its_own_tag() {
    for (tag, action) in actions().into_iter().enumerate() {
        let tx = signed(action);
        let bytes = tx.encode();
        assert_eq!(bytes[..4], *b"CWT\x01");
        assert_eq!(SignedTx::decode(&bytes), Ok(tx.clone()));
        let body_start = 4 + 2 + 1 + 32 + 8 + 8;
        assert_eq!(bytes[body_start] as usize, tag, "{}", tx.body.action.name());
        assert!(signing_bytes(&tx.body).starts_with(b"CityWallet tx v1\0"));
    }
}

#[test]
fn truncation_trailing_bytes_and_bad_headers_are_refused() {
    let bytes = signed(actions().remove(10)).encode();
    for len in 0..bytes.len() {
        assert!(
            SignedTx::decode(&bytes[..len]).is_err(),
            "truncated to {len}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(SignedTx::decode(&longer), Err(DecodeError::Trailing));
    let mut bad = bytes.clone();
    bad[3] = 2;
    assert_eq!(SignedTx::decode(&bad), Err(DecodeError::BadHeader));
    assert_eq!(SignedTx::decode(&vec![0; 9000]), Err(DecodeError::TooLarge));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = SignedTx::decode(&bytes);
        let mut framed = b"CWT\x01".to_vec();
        framed.extend_from_slice(&bytes);
        if let Ok(tx) = SignedTx::decode(&framed) {
            prop_assert_eq!(tx.encode(), framed);
        }
    }
}
