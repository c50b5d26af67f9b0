//! Pseudonyms: BBS per-verifier linkability as draft -01 of
//! draft-irtf-cfrg-bbs-per-verifier-linkability defines it, the version the W3C `bbs-2023`
//! `pseudonym` and `holder_binding_pseudonym` features and their test vectors use.
//!
//! The holder commits to its own half of a secret (`prover_nym`, with any other committed
//! messages such as the holder secret); the issuer adds its half (`signer_nym_entropy`) into
//! the blind signature, so neither chooses the sum, the `nym_secret`, alone. A proof for a
//! verifier context shows `Pseudonym = hash_to_curve_g1(context_id) * nym_secret` and proves
//! it comes from the signed secret: the same credential gives the same pseudonym in one
//! context and unrelated ones across contexts.
//!
//! Why our own code: zkryptium's `bbsplus_nym` implements draft -03, which changes the
//! header (a nym-vector length) and the proof challenge, so nothing it makes verifies
//! against the W3C vectors (see ARCHITECTURE.md). This module keeps to what -01 adds to blind
//! BBS and builds on zkryptium's generators and hash-to-scalar and the `bls12_381_plus` group
//! they use; the IETF-style fixtures of an independent -01 implementation (grotto,
//! `core/tests/fixtures/bbs-nym`) and the W3C vectors check it byte for byte.

use bls12_381_plus::elliptic_curve::hash2curve::ExpandMsgXmd;
use bls12_381_plus::ff::Field;
use bls12_381_plus::group::{Curve, Group};
use bls12_381_plus::{G1Affine, G1Projective, G2Affine, G2Prepared, G2Projective, Scalar};
use sha2::Sha256;
use zeroize::Zeroizing;
use zkryptium::bbsplus::ciphersuites::Bls12381Sha256;
use zkryptium::bbsplus::generators::Generators;

use super::bbs::{IssuerPublicKey, IssuerSecretKey, SIGNATURE_BYTES};
use crate::{Error, Result};

/// The API id of the pseudonym operations (BLS12-381-SHA-256).
pub const API_ID: &[u8] = b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_H2G_HM2S_PSEUDONYM_";
/// Bytes of a pseudonym (a compressed G1 point).
pub const PSEUDONYM_BYTES: usize = 48;
/// Most committed messages besides `prover_nym` (the holder secret is one).
pub const MAX_COMMITTED: usize = 8;
/// Most signer messages a proof is checked against.
pub const MAX_MESSAGES: usize = 4096;
/// Most bytes of a verifier context id.
pub const MAX_CONTEXT_BYTES: usize = 1024;

const POINT: usize = 48;
const SCALAR: usize = 32;
/// Abar, Bbar, D, ê, r̂1, r̂3 and the challenge.
const PROOF_FLOOR: usize = 3 * POINT + 4 * SCALAR;

type Cs = Bls12381Sha256;

/// A holder's commitment to its committed messages and `prover_nym`: what goes to the issuer
/// and the secret prover blind the holder keeps. `Debug` shows the length only.
pub struct NymCommitment {
    /// Commitment ‖ proof, for the issuer.
    pub with_proof: Vec<u8>,
    /// The secret prover blind (a scalar), kept by the holder.
    pub blind: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for NymCommitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NymCommitment")
            .field("bytes", &self.with_proof.len())
            .finish_non_exhaustive()
    }
}

/// A proof with its pseudonym.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NymProof {
    /// The BBS proof.
    pub proof: Vec<u8>,
    /// The pseudonym for the proof's context (compressed G1).
    pub pseudonym: [u8; PSEUDONYM_BYTES],
}

/// A scalar from 32 big-endian bytes, `None` unless below the group order.
pub fn scalar(bytes: &[u8; 32]) -> Option<Scalar> {
    Option::from(Scalar::from_be_bytes(bytes))
}

/// A uniform scalar from 32 secret bytes (a key derived from the recovery phrase): the
/// drafts' hash-to-scalar with this crate's own domain separation tag.
pub fn scalar_from_secret(secret: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(h2s(secret, b"CITYWALLET_PROVER_NYM_H2S_").to_be_bytes())
}

/// A fresh random scalar's 32 bytes (a `prover_nym`, a `signer_nym_entropy`).
pub fn random_scalar_bytes() -> Result<Zeroizing<[u8; 32]>> {
    Ok(Zeroizing::new(random_scalars(1)?[0].to_be_bytes()))
}

/// `nym_secret = prover_nym + signer_nym_entropy`, the secret a pseudonym is made from.
pub fn nym_secret(
    prover_nym: &[u8; 32],
    signer_nym_entropy: &[u8; 32],
) -> Result<Zeroizing<[u8; 32]>> {
    let (Some(p), Some(s)) = (scalar(prover_nym), scalar(signer_nym_entropy)) else {
        return Err(Error::InvalidCredential {
            reason: "a pseudonym secret part is not a scalar",
        });
    };
    Ok(Zeroizing::new((p + s).to_be_bytes()))
}

/// `count` fresh scalars from the operating system's randomness.
fn random_scalars(count: usize) -> Result<Vec<Scalar>> {
    let rng = ring::rand::SystemRandom::new();
    let mut okm = Zeroizing::new([0u8; 48]);
    (0..count)
        .map(|_| {
            ring::rand::SecureRandom::fill(&rng, okm.as_mut()).map_err(|_| Error::Rng)?;
            Ok(Scalar::from_okm(&okm))
        })
        .collect()
}

/// Octets for hashing, as the drafts' `serialize` lays them out.
#[derive(Default)]
struct Octets(Vec<u8>);

impl Octets {
    fn point(mut self, p: &G1Projective) -> Self {
        self.0.extend_from_slice(&p.to_affine().to_compressed());
        self
    }
    fn scalar(mut self, s: &Scalar) -> Self {
        self.0.extend_from_slice(&s.to_be_bytes());
        self
    }
    fn int(mut self, n: usize) -> Self {
        self.0.extend_from_slice(&(n as u64).to_be_bytes());
        self
    }
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    /// `I2OSP(length(b), 8) ‖ b`.
    fn sized(self, b: &[u8]) -> Self {
        self.int(b.len()).raw(b)
    }
}

fn h2s(msg: &[u8], dst: &[u8]) -> Scalar {
    // Every DST here is an API id and a short suffix, under the 255 bytes the hash takes.
    zkryptium::utils::util::bbsplus_utils::hash_to_scalar::<Cs>(msg, dst)
        .unwrap_or_else(|_| unreachable!("a DST under 255 bytes"))
}

fn challenge_dst(api_id: &[u8]) -> Vec<u8> {
    [api_id, b"H2S_"].concat()
}

fn messages_to_scalars(messages: &[Vec<u8>], api_id: &[u8]) -> Vec<Scalar> {
    let dst = [api_id, b"MAP_MSG_TO_SCALAR_AS_HASH_"].concat();
    messages.iter().map(|m| h2s(m, &dst)).collect()
}

/// `count` signer generators (`Q_1, H_1, ...`) and the base point `P1`.
fn generators(count: usize, api_id: &[u8]) -> Generators {
    Generators::create::<Cs>(count, Some(api_id))
}

/// `count` blind generators (`Q_2, J_1, ...`).
fn blind_generators(count: usize, api_id: &[u8]) -> Vec<G1Projective> {
    generators(count, &[b"BLIND_", api_id].concat()).values
}

fn point(bytes: &[u8]) -> Option<G1Projective> {
    let raw: &[u8; POINT] = bytes.try_into().ok()?;
    let p: Option<G1Affine> = G1Affine::from_compressed(raw).into();
    let p = G1Projective::from(p?);
    (!bool::from(p.is_identity())).then_some(p)
}

/// Scalars of 32 bytes each (none left over), every one in `[1, r)`.
fn scalars(bytes: &[u8]) -> Option<Vec<Scalar>> {
    if !bytes.len().is_multiple_of(SCALAR) {
        return None;
    }
    bytes
        .chunks_exact(SCALAR)
        .map(|c| {
            let s = scalar(c.try_into().ok()?)?;
            (!bool::from(s.is_zero())).then_some(s)
        })
        .collect()
}

fn sum(points: &[G1Projective], scalars: &[Scalar]) -> G1Projective {
    points
        .iter()
        .zip(scalars)
        .fold(G1Projective::IDENTITY, |acc, (p, s)| acc + p * s)
}

fn blind_challenge(
    c: &G1Projective,
    cbar: &G1Projective,
    gens: &[G1Projective],
    api_id: &[u8],
) -> Scalar {
    let mut o = Octets::default().int(gens.len() - 1);
    for g in gens {
        o = o.point(g);
    }
    h2s(&o.point(c).point(cbar).0, &challenge_dst(api_id))
}

/// CoreCommit with the given randomness (`secret_prover_blind, s̃, m̃_1..m̃_M`).
fn core_commit(
    gens: &[G1Projective],
    committed: &[Scalar],
    rand: &[Scalar],
    api_id: &[u8],
) -> (Vec<u8>, Scalar) {
    let (blind, s_tilde, m_tilde) = (rand[0], rand[1], &rand[2..]);
    let c = gens[0] * blind + sum(&gens[1..], committed);
    let cbar = gens[0] * s_tilde + sum(&gens[1..], m_tilde);
    let ch = blind_challenge(&c, &cbar, gens, api_id);
    let mut o = Octets::default().point(&c).scalar(&(s_tilde + blind * ch));
    for (m, t) in committed.iter().zip(m_tilde) {
        o = o.scalar(&(t + m * ch));
    }
    (o.scalar(&ch).0, blind)
}

fn nym_commit_with(
    committed: &[Vec<u8>],
    prover_nym: &Scalar,
    rand: &[Scalar],
    api_id: &[u8],
) -> (Vec<u8>, Scalar) {
    let mut s = messages_to_scalars(committed, api_id);
    s.push(*prover_nym);
    let gens = blind_generators(s.len() + 1, api_id);
    core_commit(&gens, &s, rand, api_id)
}

/// NymCommit: a commitment to `committed` (octet strings, the holder secret for holder
/// binding) and `prover_nym`, with its proof. Fresh randomness.
pub fn nym_commit(committed: &[Vec<u8>], prover_nym: &[u8; 32]) -> Result<NymCommitment> {
    if committed.len() > MAX_COMMITTED {
        return Err(Error::InvalidCredential {
            reason: "a commitment holds at most eight messages",
        });
    }
    let nym = scalar(prover_nym).ok_or(Error::InvalidCredential {
        reason: "the prover's pseudonym part is not a scalar",
    })?;
    let rand = random_scalars(committed.len() + 3)?;
    let (with_proof, blind) = nym_commit_with(committed, &nym, &rand, API_ID);
    Ok(NymCommitment {
        with_proof,
        blind: Zeroizing::new(blind.to_be_bytes()),
    })
}

/// The number of committed scalars (`prover_nym` included) a commitment with proof of `len`
/// bytes carries, if its length is well formed and it carries at least `prover_nym`.
pub fn committed_count(len: usize) -> Option<usize> {
    let rest = len.checked_sub(POINT)?;
    if !rest.is_multiple_of(SCALAR) {
        return None;
    }
    let m = (rest / SCALAR).checked_sub(2)?;
    (1..=MAX_COMMITTED + 1).contains(&m).then_some(m)
}

/// The number of committed scalars (`prover_nym` included) of `with_proof` if it is well
/// formed and its proof verifies: what an issuer checks before it spends anything on a
/// request.
pub fn checked_commitment(with_proof: &[u8]) -> Option<usize> {
    let m = committed_count(with_proof.len())?;
    validate_commit(with_proof, &blind_generators(m + 1, API_ID), API_ID).map(|_| m)
}

/// The commitment, after checking its proof against `gens` (`Q_2, J_1..J_M`).
fn validate_commit(
    with_proof: &[u8],
    gens: &[G1Projective],
    api_id: &[u8],
) -> Option<G1Projective> {
    let c = point(with_proof.get(..POINT)?)?;
    let s = scalars(&with_proof[POINT..])?;
    if s.len() < 2 {
        return None;
    }
    let (s_hat, m_hat, cp) = (s[0], &s[1..s.len() - 1], s[s.len() - 1]);
    if gens.len() != m_hat.len() + 1 {
        return None;
    }
    let cbar = gens[0] * s_hat + sum(&gens[1..], m_hat) - c * cp;
    (blind_challenge(&c, &cbar, gens, api_id) == cp).then_some(c)
}

fn calculate_domain(
    pk: &[u8],
    q1: &G1Projective,
    h: &[G1Projective],
    header: &[u8],
    api_id: &[u8],
) -> Scalar {
    let mut o = Octets::default().raw(pk).int(h.len()).point(q1);
    for g in h {
        o = o.point(g);
    }
    h2s(&o.raw(api_id).sized(header).0, &challenge_dst(api_id))
}

fn g2(pk: &[u8]) -> Option<G2Affine> {
    let raw: &[u8; 96] = pk.try_into().ok()?;
    let w: Option<G2Affine> = G2Affine::from_compressed(raw).into();
    w.filter(|w| !bool::from(w.is_identity()))
}

/// `e(a, w) * e(b, q) == 1`.
fn pairing_is_one(a: &G1Projective, w: &G2Affine, b: &G1Projective, q: &G2Affine) -> bool {
    let (a, b) = (a.to_affine(), b.to_affine());
    let (w, q) = (G2Prepared::from(*w), G2Prepared::from(*q));
    bool::from(
        bls12_381_plus::multi_miller_loop(&[(&a, &w), (&b, &q)])
            .final_exponentiation()
            .is_identity(),
    )
}

#[allow(clippy::too_many_arguments)]
fn blind_sign_with_nym_in(
    sk: &Scalar,
    pk: &[u8],
    commitment_with_proof: &[u8],
    header: &[u8],
    messages: &[Vec<u8>],
    signer_nym_entropy: &Scalar,
    api_id: &[u8],
) -> Option<[u8; SIGNATURE_BYTES]> {
    let m = committed_count(commitment_with_proof.len())?;
    let gens = generators(messages.len() + 1, api_id);
    let (q1, h) = (gens.values[0], &gens.values[1..]);
    let blind = blind_generators(m + 1, api_id);
    let commit = validate_commit(commitment_with_proof, &blind, api_id)?;
    let msgs = messages_to_scalars(messages, api_id);
    let nym_generator = blind[m];
    let mut b = gens.g1_base_point + sum(h, &msgs) + commit + nym_generator * signer_nym_entropy;
    let all: Vec<G1Projective> = h.iter().chain(&blind).copied().collect();
    b += q1 * calculate_domain(pk, &q1, &all, header, api_id);
    let e = h2s(
        &Octets::default().scalar(sk).point(&b).0,
        &challenge_dst(api_id),
    );
    let inv = Option::<Scalar>::from((sk + e).invert())?;
    let a = b * inv;
    if bool::from(a.is_identity()) {
        return None;
    }
    let mut sig = [0u8; SIGNATURE_BYTES];
    sig[..POINT].copy_from_slice(&a.to_affine().to_compressed());
    sig[POINT..].copy_from_slice(&e.to_be_bytes());
    Some(sig)
}

impl IssuerSecretKey {
    /// BlindSignWithNym: a blind signature over `messages` with `header`, the holder's
    /// `commitment_with_proof` (from [`nym_commit`], checked first) and the issuer's
    /// `signer_nym_entropy` added to the holder's `prover_nym`.
    pub fn blind_sign_with_nym(
        &self,
        public: &IssuerPublicKey,
        commitment_with_proof: &[u8],
        header: &[u8],
        messages: &[Vec<u8>],
        signer_nym_entropy: &[u8; 32],
    ) -> Result<[u8; SIGNATURE_BYTES]> {
        let sk = scalar(&self.to_bytes()).ok_or(Error::InvalidIssuerKey)?;
        let entropy = scalar(signer_nym_entropy).ok_or(Error::InvalidCredential {
            reason: "the signer's pseudonym entropy is not a scalar",
        })?;
        blind_sign_with_nym_in(
            &sk,
            &public.to_bytes(),
            commitment_with_proof,
            header,
            messages,
            &entropy,
            API_ID,
        )
        .ok_or(Error::InvalidCredential {
            reason: "the holder's commitment does not verify",
        })
    }
}

/// Every scalar a signature with a pseudonym covers, with its generators after `Q_1`:
/// the signer's messages, the secret prover blind, the committed messages, the nym secret.
struct Signed {
    p1: G1Projective,
    q1: G1Projective,
    h: Vec<G1Projective>,
}

impl Signed {
    fn new(l: usize, committed: usize, api_id: &[u8]) -> Self {
        let gens = generators(l + 1, api_id);
        let mut h = gens.values[1..].to_vec();
        h.extend(blind_generators(committed + 2, api_id));
        Self {
            p1: gens.g1_base_point,
            q1: gens.values[0],
            h,
        }
    }
}

fn all_scalars(
    messages: &[Vec<u8>],
    committed: &[Vec<u8>],
    blind: &Scalar,
    nym: &Scalar,
    api_id: &[u8],
) -> Vec<Scalar> {
    let mut s = messages_to_scalars(messages, api_id);
    s.push(*blind);
    s.extend(messages_to_scalars(committed, api_id));
    s.push(*nym);
    s
}

fn signature(bytes: &[u8]) -> Option<(G1Projective, Scalar)> {
    if bytes.len() != SIGNATURE_BYTES {
        return None;
    }
    let a = point(&bytes[..POINT])?;
    let e = scalars(&bytes[POINT..])?[0];
    Some((a, e))
}

#[allow(clippy::too_many_arguments)]
fn verify_in(
    pk: &[u8],
    sig: &[u8],
    header: &[u8],
    messages: &[Vec<u8>],
    committed: &[Vec<u8>],
    nym: &Scalar,
    blind: &Scalar,
    api_id: &[u8],
) -> bool {
    let (Some(w), Some((a, e))) = (g2(pk), signature(sig)) else {
        return false;
    };
    let g = Signed::new(messages.len(), committed.len(), api_id);
    let s = all_scalars(messages, committed, blind, nym, api_id);
    let domain = calculate_domain(pk, &g.q1, &g.h, header, api_id);
    let b = g.p1 + g.q1 * domain + sum(&g.h, &s);
    let lhs = G2Projective::from(w) + G2Projective::GENERATOR * e;
    pairing_is_one(&a, &lhs.to_affine(), &b, &-G2Affine::generator())
}

/// What a proof's challenge covers besides the disclosed messages.
struct Commitments<'a> {
    abar: &'a G1Projective,
    bbar: &'a G1Projective,
    d: &'a G1Projective,
    t1: G1Projective,
    t2: G1Projective,
    pseudonym: &'a G1Projective,
    op: &'a G1Projective,
    u: G1Projective,
    domain: Scalar,
}

fn nym_challenge(
    c: &Commitments<'_>,
    disclosed: &[usize],
    msgs: &[Scalar],
    ph: &[u8],
    api_id: &[u8],
) -> Scalar {
    let mut o = Octets::default().int(disclosed.len());
    for (i, m) in disclosed.iter().zip(msgs) {
        o = o.int(*i).scalar(m);
    }
    let o = o
        .point(c.abar)
        .point(c.bbar)
        .point(c.d)
        .point(&c.t1)
        .point(&c.t2)
        .point(c.pseudonym)
        .point(c.op)
        .point(&c.u)
        .scalar(&c.domain)
        .sized(ph);
    h2s(&o.0, &challenge_dst(api_id))
}

fn context_point(context_id: &[u8], api_id: &[u8]) -> G1Projective {
    G1Projective::hash::<ExpandMsgXmd<Sha256>>(context_id, api_id)
}

/// The pseudonym of `nym_secret` in the verifier context `context_id`.
pub fn pseudonym(nym_secret: &[u8; 32], context_id: &[u8]) -> Option<[u8; PSEUDONYM_BYTES]> {
    let nym = scalar(nym_secret)?;
    let p = context_point(context_id, API_ID) * nym;
    (!bool::from(p.is_identity())).then(|| p.to_affine().to_compressed())
}

struct ProofInput<'a> {
    pk: &'a [u8],
    signature: &'a [u8],
    header: &'a [u8],
    ph: &'a [u8],
    context_id: &'a [u8],
    messages: &'a [Vec<u8>],
    committed: &'a [Vec<u8>],
    disclosed: &'a [usize],
}

/// ProofGenWithNym with the given randomness (`r1, r2, ẽ, r̃1, r̃3, m̃_j...`, 5 + U).
fn proof_gen_in(
    i: &ProofInput<'_>,
    nym: &Scalar,
    blind: &Scalar,
    rand: &[Scalar],
    api_id: &[u8],
) -> Option<NymProof> {
    let (a, e) = signature(i.signature)?;
    let l = i.messages.len();
    if i.disclosed.windows(2).any(|w| w[0] >= w[1]) || i.disclosed.last().is_some_and(|d| *d >= l) {
        return None;
    }
    let g = Signed::new(l, i.committed.len(), api_id);
    let s = all_scalars(i.messages, i.committed, blind, nym, api_id);
    let undisclosed: Vec<usize> = (0..s.len()).filter(|j| !i.disclosed.contains(j)).collect();
    if rand.len() != 5 + undisclosed.len() {
        return None;
    }
    let (r1, r2, e_t, r1_t, r3_t, m_t) = (rand[0], rand[1], rand[2], rand[3], rand[4], &rand[5..]);
    let domain = calculate_domain(i.pk, &g.q1, &g.h, i.header, api_id);
    let b = g.p1 + g.q1 * domain + sum(&g.h, &s);
    let d = b * r2;
    let abar = a * (r1 * r2);
    let bbar = d * r1 - abar * e;
    let t1 = abar * e_t + d * r1_t;
    let hu: Vec<G1Projective> = undisclosed.iter().map(|j| g.h[*j]).collect();
    let t2 = d * r3_t + sum(&hu, m_t);
    let op = context_point(i.context_id, api_id);
    let nym_point = op * nym;
    // The nym secret is the last scalar and never disclosed: its blinding is the last one.
    let ut = op * m_t[m_t.len() - 1];
    if bool::from(nym_point.is_identity()) {
        return None;
    }
    let disclosed_scalars: Vec<Scalar> = i.disclosed.iter().map(|j| s[*j]).collect();
    let c = nym_challenge(
        &Commitments {
            abar: &abar,
            bbar: &bbar,
            d: &d,
            t1,
            t2,
            pseudonym: &nym_point,
            op: &op,
            u: ut,
            domain,
        },
        i.disclosed,
        &disclosed_scalars,
        i.ph,
        api_id,
    );
    let r3 = Option::<Scalar>::from(r2.invert())?;
    let mut o = Octets::default()
        .point(&abar)
        .point(&bbar)
        .point(&d)
        .scalar(&(e_t + e * c))
        .scalar(&(r1_t - r1 * c))
        .scalar(&(r3_t - r3 * c));
    for (j, t) in undisclosed.iter().zip(m_t) {
        o = o.scalar(&(t + s[*j] * c));
    }
    Some(NymProof {
        proof: o.scalar(&c).0,
        pseudonym: nym_point.to_affine().to_compressed(),
    })
}

struct VerifyInput<'a> {
    pk: &'a [u8],
    proof: &'a [u8],
    header: &'a [u8],
    ph: &'a [u8],
    pseudonym: &'a [u8],
    context_id: &'a [u8],
    signer_messages: usize,
    disclosed_messages: &'a [Vec<u8>],
    disclosed: &'a [usize],
}

fn proof_verify_in(i: &VerifyInput<'_>, api_id: &[u8]) -> bool {
    proof_verify_checked(i, api_id).unwrap_or(false)
}

fn proof_verify_checked(i: &VerifyInput<'_>, api_id: &[u8]) -> Option<bool> {
    let l = i.signer_messages;
    if l > MAX_MESSAGES
        || i.context_id.len() > MAX_CONTEXT_BYTES
        || i.disclosed.len() != i.disclosed_messages.len()
        || i.disclosed.windows(2).any(|w| w[0] >= w[1])
        || i.disclosed.last().is_some_and(|d| *d >= l)
        || i.proof.len() < PROOF_FLOOR
        || !(i.proof.len() - PROOF_FLOOR).is_multiple_of(SCALAR)
    {
        return None;
    }
    let w = g2(i.pk)?;
    let nym_point = point(i.pseudonym)?;
    let abar = point(&i.proof[..POINT])?;
    let bbar = point(&i.proof[POINT..2 * POINT])?;
    let d = point(&i.proof[2 * POINT..3 * POINT])?;
    let sc = scalars(&i.proof[3 * POINT..])?;
    let (e_h, r1_h, r3_h) = (sc[0], sc[1], sc[2]);
    let m_h = &sc[3..sc.len() - 1];
    let c = sc[sc.len() - 1];
    // Every scalar: the signer's L, the prover blind, the committed ones, the nym secret.
    let total = i.disclosed.len() + m_h.len();
    let committed = total.checked_sub(l + 2)?;
    if committed > MAX_COMMITTED {
        return None;
    }
    let g = Signed::new(l, committed, api_id);
    let undisclosed: Vec<usize> = (0..total).filter(|j| !i.disclosed.contains(j)).collect();
    let domain = calculate_domain(i.pk, &g.q1, &g.h, i.header, api_id);
    let msgs = messages_to_scalars(i.disclosed_messages, api_id);
    let hd: Vec<G1Projective> = i.disclosed.iter().map(|j| g.h[*j]).collect();
    let hu: Vec<G1Projective> = undisclosed.iter().map(|j| g.h[*j]).collect();
    let bv = g.p1 + g.q1 * domain + sum(&hd, &msgs);
    let t1 = bbar * c + abar * e_h + d * r1_h;
    let t2 = bv * c + d * r3_h + sum(&hu, m_h);
    let op = context_point(i.context_id, api_id);
    let uv = op * m_h[m_h.len() - 1] - nym_point * c;
    if bool::from(uv.is_identity()) {
        return None;
    }
    let cv = nym_challenge(
        &Commitments {
            abar: &abar,
            bbar: &bbar,
            d: &d,
            t1,
            t2,
            pseudonym: &nym_point,
            op: &op,
            u: uv,
            domain,
        },
        i.disclosed,
        &msgs,
        i.ph,
        api_id,
    );
    Some(cv == c && pairing_is_one(&abar, &w, &bbar, &-G2Affine::generator()))
}

impl IssuerPublicKey {
    /// The holder's check of a signature from [`IssuerSecretKey::blind_sign_with_nym`]
    /// over `messages` and its `committed` messages, with its `nym_secret` and `blind`.
    pub fn verify_blind_signature_with_nym(
        &self,
        signature: &[u8],
        header: &[u8],
        messages: &[Vec<u8>],
        committed: &[Vec<u8>],
        nym_secret: &[u8; 32],
        blind: &[u8; 32],
    ) -> bool {
        let (Some(nym), Some(blind)) = (scalar(nym_secret), scalar(blind)) else {
            return false;
        };
        committed.len() <= MAX_COMMITTED
            && verify_in(
                &self.to_bytes(),
                signature,
                header,
                messages,
                committed,
                &nym,
                &blind,
                API_ID,
            )
    }

    /// ProofGenWithNym: a proof of the signature disclosing the signer's `messages` at
    /// `disclosed` (ascending; committed messages and the nym secret never), bound to
    /// `presentation_header`, with the pseudonym for `context_id`. The signature is checked
    /// first: a credential copied without its holder's secrets proves nothing. Fresh
    /// randomness every call.
    #[allow(clippy::too_many_arguments)]
    pub fn nym_proof_gen(
        &self,
        signature: &[u8],
        header: &[u8],
        presentation_header: &[u8],
        context_id: &[u8],
        messages: &[Vec<u8>],
        committed: &[Vec<u8>],
        disclosed: &[usize],
        nym_secret: &[u8; 32],
        blind: &[u8; 32],
    ) -> Result<NymProof> {
        let refused = Error::InvalidCredential {
            reason: "the signature does not match the credential and its holder",
        };
        if context_id.len() > MAX_CONTEXT_BYTES
            || !self.verify_blind_signature_with_nym(
                signature, header, messages, committed, nym_secret, blind,
            )
        {
            return Err(refused);
        }
        let (Some(nym), Some(blind)) = (scalar(nym_secret), scalar(blind)) else {
            return Err(refused);
        };
        let Some(undisclosed) = (messages.len() + committed.len() + 2).checked_sub(disclosed.len())
        else {
            return Err(refused);
        };
        let rand = random_scalars(5 + undisclosed)?;
        let pk = self.to_bytes();
        proof_gen_in(
            &ProofInput {
                pk: &pk,
                signature,
                header,
                ph: presentation_header,
                context_id,
                messages,
                committed,
                disclosed,
            },
            &nym,
            &blind,
            &rand,
            API_ID,
        )
        .ok_or(refused)
    }

    /// ProofVerifyWithNym for a signature over `signer_messages` messages of the issuer.
    /// `true` only for a valid proof whose pseudonym for `context_id` is `pseudonym`.
    #[allow(clippy::too_many_arguments)]
    pub fn nym_proof_verify(
        &self,
        proof: &[u8],
        header: &[u8],
        presentation_header: &[u8],
        pseudonym: &[u8],
        context_id: &[u8],
        signer_messages: usize,
        disclosed_messages: &[Vec<u8>],
        disclosed_indexes: &[usize],
    ) -> bool {
        let pk = self.to_bytes();
        proof_verify_in(
            &VerifyInput {
                pk: &pk,
                proof,
                header,
                ph: presentation_header,
                pseudonym,
                context_id,
                signer_messages,
                disclosed_messages,
                disclosed: disclosed_indexes,
            },
            API_ID,
        )
    }
}

/// The drafts' mocked random scalars (`seeded_random_scalars`), for fixtures made with them.
#[cfg(test)]
fn seeded_scalars(seed: &[u8], dst: &[u8], count: usize) -> Vec<Scalar> {
    use bls12_381_plus::elliptic_curve::hash2curve::{ExpandMsg, Expander};
    let mut v = vec![0u8; 48 * count];
    ExpandMsgXmd::<Sha256>::expand_message(&[seed], &[dst], v.len())
        .expect("expand")
        .fill_bytes(&mut v);
    v.chunks_exact(48)
        .map(|c| Scalar::from_okm(c.try_into().expect("48")))
        .collect()
}

#[cfg(test)]
mod tests;
