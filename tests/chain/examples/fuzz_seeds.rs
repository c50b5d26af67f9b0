//! Writes the fuzz targets' seed corpus (`fuzz/corpus/<target>/`) from real values: a devnet's
//! own answers to `commit`, `validators`, `abci_query` and `broadcast_tx_sync`, a credential
//! and its presentations, transactions, a vault export and a device bundle. The corpus is
//! checked in; run this again when a format changes:
//!
//! ```text
//! cargo run -p citywallet-chain-tests --example fuzz_seeds -- fuzz/corpus
//! ```

use std::path::{Path, PathBuf};

use citywallet_chain_tests::{Net, admin_tx, wallet};
use citywallet_core::credentials::{
    Challenge, Credential, CredentialDraft, CredentialType, IssuerSecretKey, present,
};
use citywallet_core::keys::KeyPath;
use citywallet_core::vault::Passphrase;
use citywallet_protocol::{Action, Role};
use serde_json::{Value, json};

const NOW: i64 = 1_790_000_000;

fn write(root: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    std::fs::write(dir.join(name), bytes).expect("seed");
}

fn main() {
    let root = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus".into()),
    );
    credentials(&root);
    node(&root);
    println!("seeds written under {}", root.display());
}

fn credentials(root: &Path) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut vault = wallet(dir.path());
    let holder = vault.key_pair(KeyPath::IDENTITY).expect("identity");
    let (secret, public) = IssuerSecretKey::generate().expect("issuer key");
    let drafts = [
        (
            CredentialType::Credit,
            json!({ "score": 720, "tier": "B", "bureau": "City Credit Bureau", "date": "2026-11-30" }),
        ),
        (
            CredentialType::Biometric,
            json!({ "template_hash": "ab".repeat(32), "modality": "face", "office": "Civil Registry" }),
        ),
    ];
    for (n, (kind, claims)) in drafts.into_iter().enumerate() {
        let claims = claims.as_object().cloned().expect("claims");
        let credential = Credential::issue(
            &CredentialDraft {
                id: &format!("urn:uuid:00000000-0000-4000-8000-00000000000{n}"),
                issuer: "city-credit-bureau",
                kind,
                holder: &holder.public().did_key(),
                valid_from: NOW - 60,
                valid_until: NOW + 365 * 86_400,
                claims: &claims,
            },
            &secret,
            &public,
        )
        .expect("issue");
        write(
            root,
            "credential_import",
            &format!("{}.json", kind.as_str()),
            &credential.to_json(),
        );
        let challenge = Challenge::new("officer-7", NOW).expect("challenge");
        write(
            root,
            "challenge",
            &format!("{n}.json"),
            &challenge.to_bytes(),
        );
        let first = credential.claims[0].name.clone();
        let p = present(&credential, &holder, &[first.as_str()], &challenge).expect("present");
        write(
            root,
            "presentation_json",
            &format!("{}.json", kind.as_str()),
            &p.to_json(),
        );
        write(
            root,
            "presentation_compact",
            &format!("{}.bin", kind.as_str()),
            &p.to_compact(),
        );
        let b64 =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, p.to_compact());
        write(
            root,
            "wallet_text",
            &format!("presentation-{}.txt", kind.as_str()),
            b64.as_bytes(),
        );
    }
    let text_seeds: [(&str, String); 5] = [
        (
            "anchor.json",
            json!({ "chainId": "citywallet-devnet", "height": 1234, "hash": "AB".repeat(32) }).to_string(),
        ),
        ("anchor.txt", format!("1234 {}", "cd".repeat(32))),
        (
            "devices.csv",
            "id,kind,location,department,public_key\naq-1,air-quality-sensor,cell-8a2b,environment,\n\
             tc-2,traffic-counter,cell-77,environment,".to_owned() + &"ab".repeat(32) + "\n",
        ),
        ("claims.json", json!({ "score": 742, "tier": "A", "bureau": "City Credit Bureau" }).to_string()),
        ("presentation.json", String::from_utf8(
            std::fs::read(root.join("presentation_json/credit.json")).expect("written above"),
        ).expect("utf-8")),
    ];
    for (name, text) in text_seeds {
        write(root, "wallet_text", name, text.as_bytes());
    }
    let issuer =
        citywallet_core::credentials::IssuerKey::generate("city-credit-bureau").expect("key");
    let file = serde_json::to_vec_pretty(&issuer.to_file()).expect("json");
    write(root, "issuer_files", "key-file.json", &file);
    let list = json!([
        { "id": "city-credit-bureau", "publicKey": public.to_hex() },
        { "id": "civil-registry", "publicKey": issuer.public.to_hex() },
    ]);
    write(
        root,
        "issuer_files",
        "trusted.json",
        list.to_string().as_bytes(),
    );
    let export = dir.path().join("backup.cwexport");
    vault.new_device(Some("sensor")).expect("device");
    vault.export_to(&export).expect("export");
    write(
        root,
        "vault_export",
        "export.json",
        &std::fs::read(&export).expect("read"),
    );
    let device = vault.new_device(None).expect("device");
    let anchor = json!({ "chainId": "citywallet-devnet", "height": 5, "hash": "AB".repeat(32),
                         "primary": "http://127.0.0.1:26657", "witnesses": [] });
    let bundle = vault
        .device_bundle(
            device.index,
            "aq-0001",
            &Passphrase::from("device passphrase 42"),
            anchor,
        )
        .expect("bundle");
    write(
        root,
        "device_bundle",
        "bundle.json",
        &serde_json::to_vec_pretty(&bundle).expect("json"),
    );
}

fn node(root: &Path) {
    let net = Net::start_devnet(4);
    let http = reqwest::Client::new();
    let call = |method: &str, params: Value| -> Vec<u8> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        net.rt.block_on(async {
            http.post(&net.primary)
                .header("host", "127.0.0.1")
                .json(&body)
                .send()
                .await
                .expect("send")
                .bytes()
                .await
                .expect("body")
                .to_vec()
        })
    };
    let result = |bytes: &[u8]| -> Value {
        serde_json::from_slice::<Value>(bytes).expect("json")["result"].clone()
    };
    let tx = admin_tx(
        net.devnet(),
        &net.keys,
        0,
        Action::RegisterRole {
            role: Role::Officer,
            key: [9; 32],
            department: String::new(),
        },
    );
    let b64 = |t: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, t);
    let accepted = call("broadcast_tx_sync", json!({ "tx": b64(&tx) }));
    write(root, "node_broadcast_tx_sync", "accepted.json", &accepted);
    let refused = call(
        "broadcast_tx_sync",
        json!({ "tx": b64(b"not a transaction") }),
    );
    write(root, "node_broadcast_tx_sync", "refused.json", &refused);
    for (n, action) in [
        Action::RegisterRole {
            role: Role::Technician,
            key: [3; 32],
            department: "environment".into(),
        },
        Action::RemoveRole {
            role: Role::Officer,
            key: [9; 32],
        },
        Action::RotateAdmin { new_key: [4; 32] },
        Action::GrantAccess {
            id: "g-1".into(),
            org: "health-institute".into(),
            categories: vec!["air".into(), "noise".into()],
            purpose: "research".into(),
            expires_at: 1_800_000_000,
        },
        Action::SetValidator {
            public_key: [5; 32],
            power: 10,
        },
    ]
    .into_iter()
    .enumerate()
    {
        write(
            root,
            "tx_decode",
            &format!("{n}.bin"),
            &admin_tx(net.devnet(), &net.keys, 1, action),
        );
    }
    write(root, "tx_decode", "register.bin", &tx);

    // Wait until the registration is in a block with a header after it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let h = loop {
        let status = result(&call("status", json!({})));
        let h: u64 = status["sync_info"]["latest_block_height"]
            .as_str()
            .and_then(|h| h.parse().ok())
            .unwrap_or(0);
        if h >= 6 {
            break h - 1;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the devnet makes blocks"
        );
        std::thread::yield_now();
    };
    let at = |height: u64| json!({ "height": height.to_string() });
    let commit = call("commit", at(h));
    let validators = call(
        "validators",
        json!({ "height": h.to_string(), "page": "1", "per_page": "100" }),
    );
    let next = call(
        "validators",
        json!({ "height": (h + 1).to_string(), "page": "1", "per_page": "100" }),
    );
    write(root, "node_commit", "commit.json", &commit);
    write(root, "node_validators", "validators.json", &validators);
    let block = json!([result(&commit), result(&validators), result(&next)]);
    write(
        root,
        "light_block",
        "block.json",
        &serde_json::to_vec(&block).expect("json"),
    );

    // The state after block h-1 is under the app hash of header h.
    let header = result(&commit)["signed_header"]["header"].clone();
    let app_hash = hex::decode(header["app_hash"].as_str().expect("app hash")).expect("hex");
    for (name, key) in [
        ("present", "meta/validators".to_string()),
        ("absent", "account/none".to_string()),
        ("role", format!("role/officer/{}", hex::encode([9u8; 32]))),
    ] {
        let answer = call(
            "abci_query",
            json!({ "path": citywallet_protocol::QUERY_PATH_KEY, "data": hex::encode(&key),
                    "height": (h - 1).to_string(), "prove": true }),
        );
        write(
            root,
            "node_abci_query",
            &format!("{name}.bin"),
            &[app_hash.as_slice(), &answer].concat(),
        );
    }
}
