//! What the app does, without Tauri: each method takes typed input, calls `citywallet-core` or
//! `citywallet-light-client`, and returns a DTO. The commands in `commands.rs` only move
//! values across IPC; this module is tested without a window.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use citywallet_core::credentials::{
    Challenge, Credential, CredentialDraft, CredentialType, IssuerSecretKey, qr,
};
use citywallet_core::keys::{KeyPath, RecoveryPhrase};
use citywallet_core::vault::{KdfParams, NodeRole, Passphrase, UnlockKey, Vault};
use citywallet_light_client::act::{NewDevice, NewGrant, NewReport, Receipt, Signer};
use citywallet_light_client::client::signed_power;
use citywallet_light_client::officer;
use citywallet_light_client::session::{Session, Settings};
use citywallet_mobile::keystore::{self, KeyStore, Prompt};
use citywallet_mobile::lifecycle::IdleClock;
use citywallet_protocol::{Role, Status};
use serde_json::json;
use tendermint_light_client_verifier::types::LightBlock;
use zeroize::Zeroizing;

use crate::dto::*;
use crate::error::{AppResult, fail};

/// Where the chain is, as the app was started.
#[derive(Debug, Clone)]
pub struct Network {
    /// Primary URL.
    pub primary: String,
    /// Witness URLs.
    pub witnesses: Vec<String>,
    /// The app runs this devnet itself.
    pub embedded: bool,
    /// The devnet's data directory (its demo issuer and admin keys), when known.
    pub devnet_data: Option<PathBuf>,
}

/// The app's state: the vault (when unlocked) and where things are.
pub struct Service {
    data_dir: PathBuf,
    kdf: KdfParams,
    vault: Option<Vault>,
    idle: IdleClock,
    network: Network,
    keystore: Box<dyn KeyStore>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("data_dir", &self.data_dir)
            .field("unlocked", &self.vault.is_some())
            .field("network", &self.network)
            .field("keystore", &self.keystore)
            .finish_non_exhaustive()
    }
}

const PRESENT_MAX_AGE_SECS: i64 = 300;

fn now_secs() -> i64 {
    tendermint::Time::now().unix_timestamp()
}

fn trusted_out(b: &LightBlock) -> TrustedOut {
    let h = &b.signed_header.header;
    let (signed_power, total_power) = signed_power(b);
    TrustedOut {
        chain_id: h.chain_id.to_string(),
        height: h.height.value(),
        time: h.time.to_rfc3339(),
        hash: h.hash().to_string(),
        signed_power,
        total_power,
    }
}

fn receipt_out(r: &Receipt) -> ReceiptOut {
    let h = &r.header.signed_header.header;
    ReceiptOut {
        id: r.tx_hash.clone(),
        action: r.action.clone(),
        subject: r.subject.clone(),
        height: h.height.value(),
        header_time: h.time.unix_timestamp(),
        header_hash: h.hash().to_string(),
    }
}

fn hex32(s: &str, what: &str) -> AppResult<[u8; 32]> {
    hex::decode(s.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| fail("invalid_input", format!("{what} is not 32 bytes of hex")))
}

/// The demo claims the devnet's issuers put in each credential type.
fn demo_claims(kind: CredentialType, today: &str) -> serde_json::Value {
    match kind {
        CredentialType::Credit => {
            json!({ "score": 742, "tier": "A", "bureau": "City Credit Bureau", "date": today })
        }
        CredentialType::Residency => json!({ "district": "Harbour District", "since": today }),
        CredentialType::Biometric => json!({
            "template_hash": citywallet_core::credentials::biometric_template_hash(
                b"demo-salt-0001", b"demo face template"),
            "modality": "face", "office": "City Hall enrolment desk",
        }),
        CredentialType::Officer => {
            json!({ "department": "Field Services", "badge": "FS-1042", "scopes": "verify,review" })
        }
        CredentialType::Technician => {
            json!({ "department": "Environment", "licence": "IOT-7731", "scopes": "provision" })
        }
    }
}

impl Service {
    /// A service keeping its vault in `data_dir`, using `network`.
    pub fn new(data_dir: PathBuf, network: Network, kdf: KdfParams) -> Self {
        Self {
            data_dir,
            kdf,
            vault: None,
            idle: IdleClock::new(Duration::from_secs(5 * 60), SystemTime::now()),
            network,
            keystore: Box::new(keystore::Unsupported),
        }
    }

    /// Use `keystore` for biometric unlock (the phone builds pass the platform's).
    pub fn with_keystore(mut self, keystore: Box<dyn KeyStore>) -> Self {
        self.keystore = keystore;
        self
    }

    /// The vault's path (`vault.db` in the data directory).
    pub fn vault_file(&self) -> PathBuf {
        self.vault_path()
    }

    fn vault_path(&self) -> PathBuf {
        self.data_dir.join("vault.db")
    }

    /// Where exports and device bundles are written.
    pub fn exports_dir(&self) -> AppResult<PathBuf> {
        let d = self.data_dir.join("exports");
        std::fs::create_dir_all(&d).map_err(|e| fail("io", format!("{}: {e}", d.display())))?;
        Ok(d)
    }

    /// Note user activity (resets the auto-lock timer).
    pub fn touch(&mut self) {
        self.idle.touch(SystemTime::now());
    }

    /// Lock when idle for longer than the auto-lock period; true when it just locked.
    pub fn lock_if_idle(&mut self) -> bool {
        self.lock_if_idle_at(SystemTime::now())
    }

    /// [`Service::lock_if_idle`] at a given wall-clock time.
    pub fn lock_if_idle_at(&mut self, now: SystemTime) -> bool {
        if self.vault.is_some() && self.idle.expired(now) {
            self.vault = None;
            return true;
        }
        false
    }

    /// The app went to the background.
    pub fn suspended_at(&mut self, now: SystemTime) {
        self.idle.suspend(now);
    }

    /// The app came back; locks when it was away (or idle) past the timeout. True when
    /// it just locked.
    pub fn resumed_at(&mut self, now: SystemTime) -> bool {
        if self.idle.resume(now) && self.vault.is_some() {
            self.vault = None;
            return true;
        }
        false
    }

    fn vault(&mut self) -> AppResult<&mut Vault> {
        self.vault
            .as_mut()
            .ok_or_else(|| fail("locked", "the wallet is locked"))
    }

    /// The app's state.
    pub fn status(&mut self) -> AppResult<AppStatus> {
        let network = self.network_info()?;
        let auto_lock_minutes = (self.idle.timeout().as_secs() / 60) as u32;
        let platform = self.platform_info();
        let vault_exists = self.vault_path().exists();
        let (did, officer, technician) = match &self.vault {
            None => (None, false, false),
            Some(v) => {
                let kinds: Vec<String> = v.credentials()?.into_iter().map(|c| c.kind).collect();
                (
                    Some(v.identity()?.did),
                    kinds.iter().any(|k| k == "officer"),
                    kinds.iter().any(|k| k == "technician"),
                )
            }
        };
        Ok(AppStatus {
            vault_exists,
            unlocked: self.vault.is_some(),
            did,
            officer,
            technician,
            auto_lock_minutes,
            network,
            platform,
        })
    }

    fn nodes(&self) -> AppResult<(String, Vec<String>)> {
        if let Some(v) = &self.vault {
            let list = v.nodes()?;
            if let Some(p) = list.iter().find(|n| n.role == NodeRole::Primary) {
                let w = list
                    .iter()
                    .filter(|n| n.role == NodeRole::Witness)
                    .map(|n| n.url.clone())
                    .collect();
                return Ok((p.url.clone(), w));
            }
        }
        Ok((self.network.primary.clone(), self.network.witnesses.clone()))
    }

    fn network_info(&self) -> AppResult<NetworkInfo> {
        let (primary, witnesses) = self.nodes()?;
        Ok(NetworkInfo {
            primary,
            witnesses,
            embedded_devnet: self.network.embedded,
            demo_issuers: self.network.devnet_data.is_some(),
        })
    }

    /// zxcvbn's view of a passphrase.
    pub fn strength(passphrase: &str) -> Strength {
        let acceptable = passphrase.chars().count() >= citywallet_core::vault::MIN_PASSPHRASE_CHARS;
        let e = zxcvbn::zxcvbn(passphrase, &[]);
        let fb = e.feedback();
        Strength {
            score: e.score() as u8,
            acceptable,
            warning: fb.and_then(|f| f.warning()).map(|w| w.to_string()),
            suggestions: fb
                .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        }
    }

    /// Create a wallet with a new 24-word phrase; the phrase is revealed by the next call,
    /// [`Service::reveal_words`], which onboarding makes at once.
    pub fn create(&mut self, passphrase: Passphrase) -> AppResult<()> {
        let phrase = RecoveryPhrase::generate()?;
        let path = self.vault_path();
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| fail("io", format!("creating {}: {e}", self.data_dir.display())))?;
        self.vault = Some(Vault::create(&path, &passphrase, self.kdf, &phrase, "")?);
        self.touch();
        Ok(())
    }

    /// Restore a wallet from its phrase.
    pub fn recover(&mut self, phrase: Zeroizing<String>, passphrase: Passphrase) -> AppResult<()> {
        let phrase = RecoveryPhrase::parse(&phrase)?;
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| fail("io", format!("creating {}: {e}", self.data_dir.display())))?;
        self.vault = Some(Vault::create(
            &self.vault_path(),
            &passphrase,
            self.kdf,
            &phrase,
            "",
        )?);
        self.touch();
        Ok(())
    }

    /// Unlock.
    pub fn unlock(&mut self, passphrase: Passphrase) -> AppResult<()> {
        self.vault = Some(Vault::open(&self.vault_path(), &passphrase)?);
        self.touch();
        Ok(())
    }

    /// Lock.
    pub fn lock(&mut self) {
        self.vault = None;
    }

    /// Change the passphrase (the current one is asked again). A key kept for biometric
    /// unlock no longer opens the vault afterwards, so it is forgotten; the user turns
    /// biometric unlock on again.
    pub fn change_passphrase(&mut self, current: Passphrase, new: Passphrase) -> AppResult<()> {
        let path = self.vault_path();
        // SQLCipher re-keys only a file no other connection holds: close ours first, and
        // reopen it with its key when the change is refused (a wrong current passphrase).
        let open_key = self.vault.take().map(|v| v.unlock_key());
        let changed = Vault::open(&path, &current).and_then(|mut v| {
            v.change_passphrase(&new, self.kdf)?;
            Ok(v)
        });
        let mut v = match changed {
            Ok(v) => v,
            Err(e) => {
                if let Some(key) = open_key {
                    self.vault = Vault::open_with_key(&path, &key).ok();
                }
                return Err(e.into());
            }
        };
        if self.keystore.holds() {
            self.keystore.forget()?;
            v.log_activity("biometric_off", &json!({ "why": "passphrase_changed" }))?;
        }
        self.vault = Some(v);
        Ok(())
    }

    /// This build's platform and its biometric keystore.
    pub fn platform_info(&self) -> PlatformInfo {
        let p = citywallet_mobile::Platform::current();
        let a = self.keystore.availability();
        PlatformInfo {
            os: p.os.to_owned(),
            mobile: p.mobile,
            camera_scan: p.camera_scan,
            biometric_available: a.available,
            biometric_kind: a.kind.to_owned(),
            biometric_enabled: self.keystore.holds(),
        }
    }

    /// Turn biometric unlock on: the passphrase is asked again, then the vault key goes to
    /// the platform keystore (which may prompt for biometrics).
    pub fn enable_biometric(&mut self, passphrase: Passphrase, prompt: &Prompt) -> AppResult<()> {
        self.vault()?;
        let mut v = Vault::open(&self.vault_path(), &passphrase)?;
        let key = v.unlock_key();
        self.keystore.store(&key.to_hex(), prompt)?;
        v.log_activity("biometric_on", &json!({}))?;
        Ok(())
    }

    /// Turn biometric unlock off: the platform forgets the key.
    pub fn disable_biometric(&mut self) -> AppResult<()> {
        self.keystore.forget()?;
        if let Some(v) = &mut self.vault {
            v.log_activity("biometric_off", &json!({ "why": "user" }))?;
        }
        Ok(())
    }

    /// Unlock with biometrics: the platform releases the vault key after the prompt. A key
    /// from before a passphrase change is forgotten and `unlock_key_stale` returned; the
    /// passphrase always remains the way in.
    pub fn unlock_biometric(&mut self, prompt: &Prompt) -> AppResult<()> {
        let hex = self.keystore.release(prompt)?;
        let key = UnlockKey::from_hex(&hex)?;
        match Vault::open_with_key(&self.vault_path(), &key) {
            Ok(v) => {
                self.vault = Some(v);
                self.touch();
                Ok(())
            }
            Err(e @ citywallet_core::Error::UnlockKeyStale) => {
                self.keystore.forget()?;
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The recovery phrase, after the passphrase is given again (an explicit reveal).
    pub fn reveal_words(&mut self, passphrase: Passphrase) -> AppResult<Words> {
        let v = Vault::open(&self.vault_path(), &passphrase)?;
        let phrase = v.reveal_phrase()?;
        let text = phrase.phrase();
        Ok(Words {
            words: text.split(' ').map(str::to_owned).collect(),
        })
    }

    /// Check words given back during onboarding.
    pub fn confirm_words(&mut self, checks: &[WordCheck]) -> AppResult<()> {
        let pairs: Vec<(usize, &str)> = checks
            .iter()
            .map(|c| (c.position as usize, c.word.as_str()))
            .collect();
        self.vault()?.confirm_phrase_words(&pairs)?;
        Ok(())
    }

    /// Set the auto-lock period.
    pub fn set_auto_lock(&mut self, minutes: u32) -> AppResult<()> {
        if !(1..=240).contains(&minutes) {
            return Err(fail("invalid_input", "auto-lock is 1 to 240 minutes"));
        }
        self.idle
            .set_timeout(Duration::from_secs(u64::from(minutes) * 60));
        Ok(())
    }

    /// The identity with its QR code.
    pub fn identity(&mut self) -> AppResult<Identity> {
        let id = self.vault()?.identity()?;
        let code = qr::encode(id.did.as_bytes())?;
        Ok(Identity {
            qr_svg: qr::to_svg(&code),
            did: id.did,
            public_key_hex: id.public_key_hex,
            path: id.path,
        })
    }

    /// Held credentials.
    pub fn credentials(&mut self) -> AppResult<Vec<CredentialItem>> {
        Ok(self
            .vault()?
            .held_credentials()?
            .into_iter()
            .map(|c| CredentialItem {
                id: c.id,
                issuer: c.issuer,
                kind: c.kind.as_str().to_owned(),
                claims: c.claims,
            })
            .collect())
    }

    /// One credential with its claims.
    pub fn credential(&mut self, id: &str) -> AppResult<CredentialDetail> {
        let c = self.vault()?.held_credential(id)?;
        Ok(CredentialDetail {
            id: c.id.clone(),
            issuer: c.issuer.clone(),
            kind: c.kind.as_str().to_owned(),
            holder: c.holder.clone(),
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            claims: c
                .claims
                .iter()
                .map(|cl| Claim {
                    name: cl.name.clone(),
                    value: cl.value.clone(),
                })
                .collect(),
        })
    }

    fn devnet_file(&self, name: &str) -> AppResult<Vec<u8>> {
        let dir = self.network.devnet_data.as_ref().ok_or_else(|| {
            fail(
                "no_demo_issuer",
                "demo credentials come from the local devnet, which this app is not using",
            )
        })?;
        std::fs::read(dir.join(name)).map_err(|e| {
            fail(
                "no_demo_issuer",
                format!("reading the devnet's {name}: {e}"),
            )
        })
    }

    /// Ask the devnet's issuers for a demo credential of `kind`, and import it. Officer and
    /// technician credentials also enrol the wallet's key in that role on the chain (with
    /// the devnet admin's key), so the views they open can act.
    pub fn request_demo_credential(&mut self, kind: &str) -> AppResult<CredentialItem> {
        let kind = CredentialType::parse(kind)?;
        let file = match kind {
            CredentialType::Credit => "devnet-issuer-key.json",
            _ => "devnet-cityhall-key.json",
        };
        let key: serde_json::Value = serde_json::from_slice(&self.devnet_file(file)?)
            .map_err(|_| fail("no_demo_issuer", "the devnet's issuer key file is damaged"))?;
        let issuer = key["id"].as_str().unwrap_or_default().to_owned();
        let secret = Zeroizing::new(
            hex::decode(key["secretKey"].as_str().unwrap_or_default())
                .map_err(|_| fail("no_demo_issuer", "the devnet's issuer key is damaged"))?,
        );
        let (sk, pk) = IssuerSecretKey::from_bytes(&secret)?;
        let holder = self.vault()?.identity()?.did;
        let now = now_secs();
        let today = tendermint::Time::now().to_rfc3339()[..10].to_owned();
        let claims = demo_claims(kind, &today);
        let id = citywallet_core::credentials::new_credential_id()?;
        let credential = Credential::issue(
            &CredentialDraft {
                id: &id,
                issuer: &issuer,
                kind,
                holder: &holder,
                valid_from: now - 60,
                valid_until: now + 365 * 24 * 3600,
                claims: claims
                    .as_object()
                    .ok_or_else(|| fail("internal", "claims"))?,
            },
            &sk,
            &pk,
        )?;
        if let Some(role) = match kind {
            CredentialType::Officer => Some(Role::Officer),
            CredentialType::Technician => Some(Role::Technician),
            _ => None,
        } {
            self.enrol(role)?;
        }
        let c = self.vault()?.import_credential(&credential.to_json())?;
        Ok(CredentialItem {
            id: c.id.clone(),
            issuer: c.issuer.clone(),
            kind: c.kind.as_str().to_owned(),
            claims: c.claims.iter().map(|cl| cl.name.clone()).collect(),
        })
    }

    fn enrol(&mut self, role: Role) -> AppResult<()> {
        let keys: serde_json::Value =
            serde_json::from_slice(&self.devnet_file("devnet-keys.json")?)
                .map_err(|_| fail("no_demo_issuer", "the devnet's key file is damaged"))?;
        let admin = ed25519_dalek::SigningKey::from_bytes(&hex32(
            keys["admin"].as_str().unwrap_or_default(),
            "the devnet admin key",
        )?);
        let me = self
            .vault()?
            .key_pair(KeyPath::IDENTITY)?
            .public()
            .to_bytes();
        let mut s = self.session()?;
        s.ensure_anchor()?;
        let at = s.sync(&mut |_| {})?;
        if s.has_role(&at, role, &me)? {
            return Ok(());
        }
        let signer = Signer {
            public: admin.verifying_key().to_bytes(),
            sign: Box::new(move |m| ed25519_dalek::Signer::sign(&admin, m).to_bytes()),
        };
        s.register_role(&signer, role, me)?;
        Ok(())
    }

    /// Present a held credential for a challenge (pasted or scanned text).
    pub fn present(
        &mut self,
        credential_id: &str,
        disclose: &[String],
        challenge: &str,
    ) -> AppResult<PresentationOut> {
        let challenge = Challenge::from_json(challenge.trim().as_bytes())?;
        let disclose: Vec<&str> = disclose.iter().map(String::as_str).collect();
        let p = self
            .vault()?
            .present(credential_id, &disclose, &challenge)?;
        let compact = p.to_compact();
        let code = qr::encode(&compact)?;
        Ok(PresentationOut {
            text: base64::engine::general_purpose::STANDARD.encode(&compact),
            qr_svg: qr::to_svg(&code),
            bytes: compact.len() as u32,
        })
    }

    /// A new challenge from this officer.
    pub fn new_challenge(&mut self) -> AppResult<ChallengeOut> {
        let verifier = self.vault()?.identity()?.did;
        let c = Challenge::new(&verifier, now_secs())?;
        let text = String::from_utf8_lossy(&c.to_bytes()).into_owned();
        let code = qr::encode(text.as_bytes())?;
        Ok(ChallengeOut {
            text,
            qr_svg: qr::to_svg(&code),
        })
    }

    /// Verify a presentation (base64 compact or JSON text) for `challenge`, online against
    /// the chain or offline from the snapshot.
    pub fn verify(
        &mut self,
        presentation: &str,
        challenge: &str,
        offline: bool,
    ) -> AppResult<VerdictOut> {
        let challenge = Challenge::from_json(challenge.trim().as_bytes())?;
        let text = presentation.trim();
        let bytes = if text.starts_with('{') {
            text.as_bytes().to_vec()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| {
                    citywallet_core::Error::Rejected(citywallet_core::Rejection::Malformed)
                })?
        };
        let v = if offline {
            let limit = Settings::load(self.vault()?)?.snapshot_max_age.as_secs();
            officer::verify_presentation_offline(
                self.vault()?,
                &bytes,
                &challenge,
                PRESENT_MAX_AGE_SECS,
                limit,
            )?
        } else {
            let mut s = self.session()?;
            s.ensure_anchor()?;
            s.verify_presentation_online(&bytes, &challenge, PRESENT_MAX_AGE_SECS)?
        };
        let time = tendermint::Time::from_unix_timestamp(v.chain.header_time, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        Ok(VerdictOut {
            kind: v.presentation.kind.as_str().to_owned(),
            credential_id: v.presentation.credential_id,
            issuer: v.presentation.issuer,
            issuer_name: v.chain.issuer_name,
            holder: v.presentation.holder,
            disclosed: v
                .presentation
                .disclosed
                .into_iter()
                .map(|(name, value)| Claim { name, value })
                .collect(),
            mode: match v.chain.mode {
                officer::Mode::Online => "online".into(),
                officer::Mode::Offline => "offline".into(),
            },
            height: v.chain.height,
            header_time: time,
            age_secs: v.chain.age_secs,
        })
    }

    fn session(&mut self) -> AppResult<Session<'_>> {
        let (primary, witnesses) = self.nodes()?;
        Ok(Session::over_http(self.vault()?, &primary, &witnesses)?)
    }

    /// Sync the light client and refresh the registry snapshot; `progress` sees each height.
    pub fn sync(&mut self, progress: &mut dyn FnMut(SyncProgress)) -> AppResult<ChainStatus> {
        {
            let mut s = self.session()?;
            s.ensure_anchor()?;
            let from = s.trusted()?.map_or(0, |b| b.height().value());
            s.sync(&mut |height| progress(SyncProgress { height, from }))?;
            s.refresh_snapshot()?;
        }
        self.chain_status()
    }

    /// The light client's state, without network.
    pub fn chain_status(&mut self) -> AppResult<ChainStatus> {
        let (primary, witnesses) = self.nodes()?;
        let vault = self.vault()?;
        let trusted = vault
            .latest_trusted_header()?
            .map(|h| citywallet_light_client::act::block_from_json(&h.body))
            .transpose()?;
        let settings = Settings::load(vault)?;
        let now = now_secs();
        let trust_expired = trusted.as_ref().is_some_and(|b| {
            now - b.signed_header.header.time.unix_timestamp()
                > settings.trusting_period.as_secs() as i64
        });
        Ok(ChainStatus {
            primary,
            witnesses,
            trusted: trusted.as_ref().map(trusted_out),
            trust_expired,
            divergence: vault.open_divergence()?.map(|d| DivergenceOut {
                height: d.height,
                witness: d.witness_url,
                detected_at: d.detected_at,
                evidence_submitted: d.submitted,
            }),
            snapshot_age_secs: vault
                .snapshot(officer::SNAPSHOT)?
                .map(|s| (now - s.header_time).max(0) as u64),
        })
    }

    /// Set a new trust anchor at the genesis (after a divergence or an expired anchor).
    pub fn reanchor(&mut self) -> AppResult<ChainStatus> {
        {
            let mut s = self.session()?;
            s.anchor_genesis(None)?;
        }
        self.chain_status()
    }

    /// File a report.
    pub fn submit_report(&mut self, r: &ReportIn) -> AppResult<ReceiptOut> {
        let evidence_sha256 = r
            .evidence_sha256
            .as_deref()
            .map(|h| hex32(h, "the evidence hash"))
            .transpose()?;
        let mut s = self.session()?;
        s.ensure_anchor()?;
        let (_, receipt) = s.submit_report(&NewReport {
            category: &r.category,
            location: &r.location,
            description: &r.description,
            evidence_sha256,
        })?;
        Ok(receipt_out(&receipt))
    }

    /// The citizen's reports with proven status and rewards.
    pub fn reports(&mut self) -> AppResult<ReportsOut> {
        let mut s = self.session()?;
        s.ensure_anchor()?;
        let (list, points) = s.refresh_reports()?;
        Ok(ReportsOut {
            reward_points: points,
            reports: list
                .into_iter()
                .map(|r| {
                    let b: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
                    let text = |k: &str| b[k].as_str().unwrap_or_default().to_owned();
                    ReportItem {
                        category: text("category"),
                        location: text("location"),
                        description: text("description"),
                        receipt: b["receipt"].as_str().map(str::to_owned),
                        id: r.id,
                        status: r.status,
                        created_at: r.created_at,
                    }
                })
                .collect(),
        })
    }

    /// Check the receipt for `subject` (a report, grant or device id) again, offline.
    pub fn receipt(&mut self, subject: &str) -> AppResult<ReceiptOut> {
        let vault = self.vault()?;
        let stored = vault.receipts(Some(subject))?;
        let r = stored
            .first()
            .ok_or_else(|| fail("not_found", format!("no receipt for {subject}")))?;
        let receipt = Receipt::from_stored(r)?;
        receipt.verify_offline(vault)?;
        Ok(receipt_out(&receipt))
    }

    /// Registered organisations, proven.
    pub fn organisations(&mut self) -> AppResult<Vec<OrgItem>> {
        let mut s = self.session()?;
        s.ensure_anchor()?;
        Ok(s.organisations()?
            .into_iter()
            .map(|o| OrgItem {
                active: o.status == Status::Active,
                id: o.id,
                name: o.name,
                categories: o.categories,
            })
            .collect())
    }

    /// Grant access.
    pub fn create_grant(&mut self, g: &GrantIn) -> AppResult<ReceiptOut> {
        let t = tendermint::Time::parse_from_rfc3339(&format!("{}T23:59:59Z", g.expires.trim()))
            .map_err(|_| fail("invalid_date", "the expiry is not a date (YYYY-MM-DD)"))?;
        let mut s = self.session()?;
        s.ensure_anchor()?;
        let (_, receipt) = s.create_grant(&NewGrant {
            org: &g.org,
            categories: &g.categories,
            purpose: &g.purpose,
            expires_at: t.unix_timestamp().max(0) as u64,
        })?;
        Ok(receipt_out(&receipt))
    }

    /// Revoke a grant.
    pub fn revoke_grant(&mut self, id: &str) -> AppResult<ReceiptOut> {
        let mut s = self.session()?;
        s.ensure_anchor()?;
        Ok(receipt_out(&s.revoke_grant(id)?))
    }

    /// The citizen's grants.
    pub fn grants(&mut self) -> AppResult<Vec<GrantItem>> {
        Ok(self
            .vault()?
            .own("grants")?
            .into_iter()
            .map(|g| {
                let b: serde_json::Value = serde_json::from_str(&g.body).unwrap_or_default();
                GrantItem {
                    org: b["org"].as_str().unwrap_or_default().to_owned(),
                    org_name: b["orgName"].as_str().unwrap_or_default().to_owned(),
                    categories: b["categories"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|c| c.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    purpose: b["purpose"].as_str().unwrap_or_default().to_owned(),
                    expires_at: b["expiresAt"].as_u64().unwrap_or(0),
                    receipt: b["receipt"].as_str().map(str::to_owned),
                    id: g.id,
                    status: g.status,
                }
            })
            .collect())
    }

    /// The activity log, newest first.
    pub fn activity(&mut self) -> AppResult<Vec<ActivityItem>> {
        Ok(self
            .vault()?
            .activity(200)?
            .into_iter()
            .map(|a| ActivityItem {
                id: a.id,
                at: a.at,
                kind: a.kind,
                detail: a.detail,
            })
            .collect())
    }

    /// Write an encrypted export of the vault to `dest`.
    pub fn export_vault(&mut self, dest: &Path) -> AppResult<()> {
        self.vault()?.export_to(dest)?;
        Ok(())
    }

    /// Replace a missing vault with an export.
    pub fn import_vault(&mut self, src: &Path, passphrase: Passphrase) -> AppResult<()> {
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| fail("io", format!("creating {}: {e}", self.data_dir.display())))?;
        self.vault = Some(Vault::import_from(src, &self.vault_path(), &passphrase)?);
        self.touch();
        Ok(())
    }

    /// Officer: reports on chain waiting for review.
    pub fn pending_reports(&mut self) -> AppResult<Vec<ChainReportItem>> {
        let mut s = self.session()?;
        s.ensure_anchor()?;
        Ok(s.chain_reports(true, 50)?
            .into_iter()
            .map(|r| ChainReportItem {
                id: r.id,
                category: r.category,
                location_cell: r.location_cell,
                time: r.time,
                status: "submitted".into(),
            })
            .collect())
    }

    /// Officer: accept (with reward points) or reject a report.
    pub fn review_report(&mut self, id: &str, accept: bool, reward: u64) -> AppResult<ReceiptOut> {
        let mut s = self.session()?;
        s.ensure_anchor()?;
        Ok(receipt_out(&s.review_report(id, accept, reward)?))
    }

    /// Technician: provision one device, with a wallet-made key unless one is given.
    pub fn provision(&mut self, d: &DeviceIn) -> AppResult<DeviceItem> {
        if !citywallet_protocol::is_valid_id(&d.id) {
            return Err(fail(
                "invalid_input",
                "a device id has 1 to 64 letters, digits or : . _ -",
            ));
        }
        let (public_key, index) = match &d.public_key {
            Some(k) if !k.trim().is_empty() => (hex32(k, "the device public key")?, None),
            _ => {
                let rec = self.vault()?.new_device(Some(&d.id))?;
                (
                    hex32(&rec.public_key_hex, "the device key")?,
                    Some(rec.index),
                )
            }
        };
        let mut s = self.session()?;
        s.ensure_anchor()?;
        let receipt = s.register_device(&NewDevice {
            id: &d.id,
            public_key,
            kind: &d.kind,
            location: &d.location,
            department: &d.department,
        })?;
        Ok(DeviceItem {
            id: d.id.clone(),
            public_key_hex: hex::encode(public_key),
            index,
            kind: d.kind.clone(),
            location: d.location.clone(),
            status: "active".into(),
            receipt: Some(receipt.tx_hash),
        })
    }

    /// Technician: the devices this wallet registered, with their proven status.
    pub fn devices(&mut self) -> AppResult<Vec<DeviceItem>> {
        let local = self.vault()?.devices()?;
        let registered: Vec<_> = self
            .vault()?
            .receipts(None)?
            .into_iter()
            .filter(|r| r.kind == "provision_device")
            .collect();
        let mut s = self.session()?;
        s.ensure_anchor()?;
        let at = s.sync(&mut |_| {})?;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in registered {
            if !seen.insert(r.subject.clone()) {
                continue;
            }
            let Some(d) = s.device(&at, &r.subject)? else {
                continue;
            };
            out.push(DeviceItem {
                index: local
                    .iter()
                    .find(|l| l.public_key_hex == d.public_key)
                    .map(|l| l.index),
                status: match d.status {
                    Status::Active => "active".into(),
                    Status::Inactive => "revoked".into(),
                },
                id: d.id,
                public_key_hex: d.public_key,
                kind: d.kind,
                location: d.location,
                receipt: Some(r.id),
            });
        }
        Ok(out)
    }

    /// Technician: revoke a device.
    pub fn revoke_device(&mut self, id: &str) -> AppResult<ReceiptOut> {
        let mut s = self.session()?;
        s.ensure_anchor()?;
        Ok(receipt_out(&s.revoke_device(id)?))
    }

    /// Technician: the provisioning bundle of a wallet-made device key, written to `dest`.
    pub fn export_bundle(
        &mut self,
        device_id: &str,
        device_passphrase: Passphrase,
        dest: &Path,
    ) -> AppResult<()> {
        let status = self.chain_status()?;
        let trusted = status
            .trusted
            .ok_or_else(|| fail("no_trust_anchor", "sync once before exporting a bundle"))?;
        let vault = self.vault()?;
        let index = vault
            .devices()?
            .into_iter()
            .find(|d| d.label.as_deref() == Some(device_id))
            .map(|d| d.index)
            .ok_or_else(|| {
                fail(
                    "not_found",
                    format!("{device_id} has no key made in this wallet (its own key stays on the device)"),
                )
            })?;
        let anchor = json!({
            "chainId": trusted.chain_id, "height": trusted.height, "hash": trusted.hash,
            "primary": status.primary, "witnesses": status.witnesses,
        });
        let bundle = vault.device_bundle(index, device_id, &device_passphrase, anchor)?;
        let bytes =
            serde_json::to_vec_pretty(&bundle).map_err(|e| fail("internal", e.to_string()))?;
        write_new(dest, &bytes)
    }

    /// Technician: provision every row of a CSV (`id,kind,location,department[,public_key]`,
    /// with a header line), reporting each row.
    pub fn provision_csv(
        &mut self,
        csv: &str,
        progress: &mut dyn FnMut(ProvisionProgress),
    ) -> AppResult<Vec<ProvisionRow>> {
        let rows = crate::csv::parse_devices(csv)?;
        let total = rows.len() as u32;
        let mut out = Vec::new();
        for (i, (line, row)) in rows.into_iter().enumerate() {
            let result = match row {
                Ok(d) => self.provision(&d).map(|item| (d.id.clone(), item)),
                Err(e) => Err(e),
            };
            let row = match result {
                Ok((id, _)) => {
                    let height = self.receipt(&id).map(|r| r.height).ok();
                    ProvisionRow {
                        line,
                        id,
                        ok: true,
                        error: None,
                        height,
                    }
                }
                Err(e) => ProvisionRow {
                    line,
                    id: crate::csv::id_of_line(csv, line),
                    ok: false,
                    error: Some(e),
                    height: None,
                },
            };
            progress(ProvisionProgress {
                done: i as u32 + 1,
                total,
                row: row.clone(),
            });
            out.push(row);
        }
        Ok(out)
    }
}

fn write_new(dest: &Path, bytes: &[u8]) -> AppResult<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dest)
        .map_err(|e| fail("io", format!("{}: {e}", dest.display())))?;
    f.write_all(bytes)
        .map_err(|e| fail("io", format!("{}: {e}", dest.display())))
}
