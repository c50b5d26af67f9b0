// A credential issuer built on @openid4vc/openid4vci's Openid4vciIssuer and @openid4vc/oauth2's
// authorization and resource server (OpenID for Verifiable Credential Issuance 1.0,
// pre-authorized code flow), an independent peer for CityWallet's wallet. It is its own
// authorization server, serves plain http on 127.0.0.1 and issues CreditScoreCredential as a
// VC 2.0 JSON-LD credential with a bbs-2023 base proof (Digital Bazaar's cryptosuite, static
// document loader, no network).
//   node oid4vci-issuer.mjs PORT ISSUER_ID PK_HEX SK_HEX
// PORT 0 takes any free port; PK_HEX/SK_HEX: the BBS key (96-byte compressed G2 public key,
// 32-byte secret key). When listening it prints one line
//   {"issuer": "http://127.0.0.1:PORT", "offer": "openid-credential-offer://?credential_offer=…"}
// (one CreditScoreCredential, a fresh pre-authorized code, no tx_code) and serves until killed
// (SIGTERM/SIGINT: exit 0).
//   GET  /.well-known/openid-credential-issuer    credential issuer metadata
//   GET  /.well-known/oauth-authorization-server  authorization server metadata
//   GET  /jwks                                     the key that signs access tokens
//   POST /token       pre-authorized code → Bearer access token (JWT, EdDSA, key made at start)
//   POST /nonce       {"c_nonce": …}
//   POST /credential  {"credential_configuration_id", "proofs": {"jwt": [JWT]}} → {"credentials": [{"credential": VC}]}
// Codes and nonces are single use. Errors (400 unless said): invalid_grant (unknown, used or
// expired code), invalid_proof (no proofs, a proof that does not verify or has no nonce, kid
// not did:key, alg not EdDSA, iat off by more than 5 minutes), invalid_nonce (a nonce not
// issued here, used or expired), unknown_credential_configuration, invalid_credential_request,
// invalid_token (401 with WWW-Authenticate). OID4VCI_ISSUER_DEBUG=1 logs requests (and the
// token and credential request bodies) on stderr.
import http from 'node:http';
import crypto from 'node:crypto';
import * as bbs2023 from '@digitalbazaar/bbs-2023-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import jsigs from 'jsonld-signatures';
import {Openid4vciIssuer, Openid4vciVersion, setGlobalConfig} from '@openid4vc/openid4vci';
import {
  Oauth2AuthorizationServer, Oauth2ErrorCodes, Oauth2ResourceServer,
  Oauth2ServerErrorResponseError, SupportedAuthenticationScheme, clientAuthenticationAnonymous,
  decodeJwt, preAuthorizedCodeGrantIdentifier
} from '@openid4vc/oauth2';
import {CITY_CONTEXT_URL, bbsKey, documentLoaderFor} from './bbs-loader.mjs';
import {
  b64url, ed25519Key, generateRandom, hash, jwkFromPublicKey, publicKeyFromDidKey,
  signCompactJwt, verifyCompactJwt
} from './oid4vci-keys.mjs';

const {purposes: {AssertionProofPurpose}} = jsigs;
const [portArg, issuerId, pkHex, skHex] = process.argv.slice(2);
if(portArg === undefined || !issuerId || !/^[0-9a-fA-F]{192}$/.test(pkHex ?? '') ||
  !/^[0-9a-fA-F]{64}$/.test(skHex ?? '')) {
  console.error('usage: node oid4vci-issuer.mjs PORT ISSUER_ID PK_HEX(96 bytes) SK_HEX(32 bytes)');
  process.exit(2);
}
const debug = process.env.OID4VCI_ISSUER_DEBUG === '1';

// Plain http on the loopback: the library refuses http:// URLs unless told otherwise.
setGlobalConfig({allowInsecureUrls: true});

const CONFIGURATION_ID = 'CreditScoreCredential';
const VC_CONTEXT_URL = 'https://www.w3.org/ns/credentials/v2';
const MANDATORY_POINTERS = ['/issuer', '/id', '/type', '/validUntil', '/credentialSubject/id'];
const CODE_SECONDS = 600;
const NONCE_SECONDS = 300;
const TOKEN_SECONDS = 300;
const IAT_SKEW_SECONDS = 300;
const VALID_DAYS = 365;
const MAX_BODY = 64 * 1024;

const issuerIri = `urn:citywallet:issuer:${issuerId}`;
const bbsIssuerKey = await bbsKey({vm: `${issuerIri}#bbs-2023`, pkHex, skHex});
const documentLoader = await documentLoaderFor(bbsIssuerKey);

// The authorization server's access-token key, made at start.
const tokenKey = ed25519Key();
const tokenJwk = {...tokenKey.publicJwk, kid: 'access-token', use: 'sig', alg: 'EdDSA'};

// State: offered codes, the offers behind access tokens, live nonces.
const codes = new Map(); // pre-authorized code → {id, configurationIds, expiresAt}
const granted = new Map(); // offer id (the access token's sub) → offer
const nonces = new Map(); // c_nonce → expiresAt (ms)

let issuerUrl; // http://127.0.0.1:PORT, known once listening
let jwksUri;

const callbacks = {
  hash,
  generateRandom,
  clientAuthentication: clientAuthenticationAnonymous(),
  // The resource server reads the authorization server's keys from jwks_uri; that is this
  // process, answered here without a request.
  fetch: async (url, init) => {
    if(String(url) === jwksUri) {
      return new Response(JSON.stringify({keys: [tokenJwk]}),
        {status: 200, headers: {'Content-Type': 'application/jwk-set+json'}});
    }
    throw new Error(`no network here (${init?.method ?? 'GET'} ${url})`);
  },
  // Only access tokens are signed here.
  signJwt: (signer, {header, payload}) => {
    if(signer.method !== 'jwk' || signer.publicJwk.x !== tokenJwk.x) {
      throw new Error(`no key for signer ${JSON.stringify(signer)}`);
    }
    return {jwt: signCompactJwt({header, payload}, tokenKey.privateKey), signerJwk: tokenJwk};
  },
  // Proof JWTs name their key with a did:key kid (decoded here); access tokens are ours.
  verifyJwt: (signer, {compact}) => {
    let jwk;
    if(signer.method === 'did') {
      jwk = jwkFromPublicKey(publicKeyFromDidKey(signer.didUrl));
    } else if(signer.method === 'jwk' && signer.publicJwk?.x === tokenJwk.x) {
      jwk = tokenJwk;
    } else {
      return {verified: false};
    }
    const verified = signer.alg === 'EdDSA' && verifyCompactJwt(compact, jwk);
    return verified ? {verified: true, signerJwk: jwk} : {verified: false, signerJwk: jwk};
  }
};
const issuer = new Openid4vciIssuer({callbacks});
const authorizationServer = new Oauth2AuthorizationServer({callbacks});
const resourceServer = new Oauth2ResourceServer({callbacks});

let credentialIssuerMetadata;
let authorizationServerMetadata;
let issuerMetadata; // the library's IssuerMetadataResult for this issuer

function buildMetadata() {
  jwksUri = `${issuerUrl}/jwks`;
  credentialIssuerMetadata = issuer.createCredentialIssuerMetadata({
    credential_issuer: issuerUrl,
    credential_endpoint: `${issuerUrl}/credential`,
    nonce_endpoint: `${issuerUrl}/nonce`,
    display: [{name: 'City Credit Bureau (interop issuer)', locale: 'en'}],
    credential_configurations_supported: {
      [CONFIGURATION_ID]: {
        format: 'ldp_vc',
        credential_definition: {
          '@context': [VC_CONTEXT_URL, CITY_CONTEXT_URL],
          type: ['VerifiableCredential', CONFIGURATION_ID]
        },
        cryptographic_binding_methods_supported: ['did:key'],
        credential_signing_alg_values_supported: ['bbs-2023'],
        proof_types_supported: {jwt: {proof_signing_alg_values_supported: ['EdDSA']}},
        // OpenID4VCI 1.0's place for display data; it also makes the library's clients read
        // this metadata as 1.0 (they guess the version from the metadata's shape).
        credential_metadata: {display: [{name: 'City credit score', locale: 'en'}]}
      }
    }
  });
  authorizationServerMetadata = authorizationServer.createAuthorizationServerMetadata({
    issuer: issuerUrl,
    token_endpoint: `${issuerUrl}/token`,
    jwks_uri: jwksUri,
    grant_types_supported: [preAuthorizedCodeGrantIdentifier],
    'pre-authorized_grant_anonymous_access_supported': true
  });
  issuerMetadata = {
    originalDraftVersion: Openid4vciVersion.V1,
    credentialIssuer: credentialIssuerMetadata,
    authorizationServers: [authorizationServerMetadata],
    knownCredentialConfigurations:
      issuer.getKnownCredentialConfigurationsSupported(credentialIssuerMetadata)
  };
}

const oauthError = (error, description, status = 400) =>
  new Oauth2ServerErrorResponseError({error, error_description: description}, {status});

/** The request as the library reads it (RequestLike). */
function requestLike(req) {
  const headers = new Headers();
  for(const [name, value] of Object.entries(req.headers)) {
    for(const v of [value].flat()) {
      headers.append(name, v);
    }
  }
  return {method: req.method, url: `${issuerUrl}${req.url}`, headers};
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if(size > MAX_BODY) {
      throw oauthError(Oauth2ErrorCodes.InvalidRequest, 'request body too large', 413);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function contentType(req) {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

async function token(req) {
  if(contentType(req) !== 'application/x-www-form-urlencoded') {
    throw oauthError(Oauth2ErrorCodes.InvalidRequest,
      'the token request is application/x-www-form-urlencoded');
  }
  const request = requestLike(req);
  const raw = await readBody(req);
  if(debug) {
    console.error(`POST /token body: ${raw}`);
  }
  const form = Object.fromEntries(new URLSearchParams(raw));
  const {grant, accessTokenRequest} =
    authorizationServer.parseAccessTokenRequest({request, accessTokenRequest: form});
  if(grant.grantType !== preAuthorizedCodeGrantIdentifier) {
    throw oauthError(Oauth2ErrorCodes.UnsupportedGrantType,
      `only ${preAuthorizedCodeGrantIdentifier} is granted here`);
  }
  if(accessTokenRequest.resource !== undefined && accessTokenRequest.resource !== issuerUrl) {
    throw oauthError(Oauth2ErrorCodes.InvalidTarget, `the only resource here is ${issuerUrl}`);
  }
  const offer = codes.get(grant.preAuthorizedCode);
  if(!offer) {
    throw oauthError(Oauth2ErrorCodes.InvalidGrant, 'unknown or already used pre-authorized_code');
  }
  codes.delete(grant.preAuthorizedCode); // single use, whatever comes next
  await authorizationServer.verifyPreAuthorizedCodeAccessTokenRequest({
    grant,
    accessTokenRequest,
    request,
    authorizationServerMetadata,
    expectedPreAuthorizedCode: grant.preAuthorizedCode,
    expectedTxCode: undefined, // the offers made here have no tx_code
    preAuthorizedCodeExpiresAt: new Date(offer.expiresAt)
  });
  granted.set(offer.id, offer);
  return authorizationServer.createAccessTokenResponse({
    authorizationServer: issuerUrl,
    audience: issuerUrl,
    subject: offer.id,
    expiresInSeconds: TOKEN_SECONDS,
    signer: {method: 'jwk', alg: 'EdDSA', publicJwk: tokenJwk}
  });
}

function nonce() {
  const cNonce = b64url(generateRandom(32));
  nonces.set(cNonce, Date.now() + NONCE_SECONDS * 1000);
  return issuer.createNonceResponse({cNonce});
}

const seconds = date => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

async function credential(req) {
  const request = requestLike(req);
  const {tokenPayload} = await resourceServer.verifyResourceRequest({
    request,
    resourceServer: issuerUrl,
    authorizationServers: [authorizationServerMetadata],
    allowedAuthenticationSchemes: [SupportedAuthenticationScheme.Bearer]
  });
  const offer = granted.get(tokenPayload.sub);
  if(!offer) {
    throw oauthError(Oauth2ErrorCodes.InvalidToken, 'no grant behind this access token', 401);
  }
  if(contentType(req) !== 'application/json') {
    throw oauthError(Oauth2ErrorCodes.InvalidCredentialRequest,
      'the credential request is application/json');
  }
  let body;
  try {
    const raw = await readBody(req);
    if(debug) {
      console.error(`POST /credential body: ${raw}`);
    }
    body = JSON.parse(raw);
  } catch(e) {
    if(e instanceof Oauth2ServerErrorResponseError) {
      throw e;
    }
    throw oauthError(Oauth2ErrorCodes.InvalidCredentialRequest, 'the body is not JSON');
  }
  if(typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw oauthError(Oauth2ErrorCodes.InvalidCredentialRequest, 'the body is not a JSON object');
  }
  const id = body.credential_configuration_id;
  if(typeof id === 'string' &&
    !Object.hasOwn(credentialIssuerMetadata.credential_configurations_supported, id)) {
    throw oauthError(Oauth2ErrorCodes.UnknownCredentialConfiguration,
      `no credential configuration '${id}' here`);
  }
  const parsed = issuer.parseCredentialRequest({issuerMetadata, credentialRequest: body});
  if(parsed.credentialConfigurationId === undefined) {
    throw oauthError(Oauth2ErrorCodes.InvalidCredentialRequest,
      'ask by credential_configuration_id (OpenID4VCI 1.0)');
  }
  if(!offer.configurationIds.includes(parsed.credentialConfigurationId)) {
    throw oauthError(Oauth2ErrorCodes.InvalidCredentialRequest,
      `'${parsed.credentialConfigurationId}' was not offered with this grant`);
  }
  // OpenID4VCI 1.0: `proofs` (the single `proof` of the drafts is gone).
  const jwts = body.proof === undefined ? parsed.proofs?.jwt : undefined;
  if(!jwts || jwts.length === 0) {
    throw oauthError(Oauth2ErrorCodes.InvalidProof, 'no proofs.jwt in the request');
  }
  if(jwts.length !== 1) {
    throw oauthError(Oauth2ErrorCodes.InvalidCredentialRequest,
      'one jwt proof: this issuer has no batch issuance');
  }
  const [jwt] = jwts;
  let proofNonce;
  try {
    proofNonce = decodeJwt({jwt}).payload.nonce;
  } catch(e) {
    throw oauthError(Oauth2ErrorCodes.InvalidProof, `the proof is not a JWT: ${e.message}`);
  }
  if(typeof proofNonce !== 'string') {
    throw oauthError(Oauth2ErrorCodes.InvalidProof, 'the proof has no nonce');
  }
  // Signature, typ, aud (this issuer) and time claims by the library (invalid_proof); whether
  // the nonce is one of ours and still unused is kept here.
  const {payload, signer} = await issuer.verifyCredentialRequestJwtProof({
    issuerMetadata, jwt, expectedNonce: proofNonce
  });
  if(signer.method !== 'did') {
    throw oauthError(Oauth2ErrorCodes.InvalidProof, 'the proof names its key by a did:key kid');
  }
  const now = Date.now() / 1000;
  if(Math.abs(now - payload.iat) > IAT_SKEW_SECONDS) {
    throw oauthError(Oauth2ErrorCodes.InvalidProof, 'the proof iat is not current');
  }
  const nonceExpiresAt = nonces.get(proofNonce);
  nonces.delete(proofNonce);
  if(nonceExpiresAt === undefined || nonceExpiresAt < Date.now()) {
    throw oauthError(Oauth2ErrorCodes.InvalidNonce, 'the c_nonce is unknown, used or expired');
  }
  const holder = signer.didUrl.split('#')[0];

  const issued = new Date();
  const validFrom = seconds(issued);
  const document = {
    '@context': [VC_CONTEXT_URL, CITY_CONTEXT_URL],
    id: `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', CONFIGURATION_ID],
    issuer: issuerIri,
    validFrom,
    validUntil: seconds(new Date(issued.getTime() + VALID_DAYS * 86400 * 1000)),
    credentialSubject: {
      id: holder,
      score: 742,
      tier: 'A',
      bureau: 'City Credit Bureau',
      date: validFrom.slice(0, 10)
    }
  };
  // (Digital Bazaar's bbs-2023 sign cryptosuite leaves `created` out of the proof.)
  const suite = new DataIntegrityProof({
    signer: bbsIssuerKey.signer(),
    cryptosuite: bbs2023.createSignCryptosuite({mandatoryPointers: MANDATORY_POINTERS})
  });
  const signed = await jsigs.sign(document, {
    suite, purpose: new AssertionProofPurpose(), documentLoader
  });
  return issuer.createCredentialResponse({
    credentialRequest: parsed,
    credentials: [{credential: signed}]
  });
}

const routes = {
  'GET /.well-known/openid-credential-issuer': async () => credentialIssuerMetadata,
  'GET /.well-known/oauth-authorization-server': async () => authorizationServerMetadata,
  'GET /jwks': async () => ({keys: [tokenJwk]}),
  'POST /token': token,
  'POST /nonce': async () => nonce(),
  'POST /credential': credential
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    ...headers
  });
  res.end(JSON.stringify(body));
}

async function handle(req, res) {
  const path = new URL(req.url, 'http://localhost').pathname;
  const route = routes[`${req.method} ${path}`];
  if(!route) {
    const known = Object.keys(routes).some(r => r.endsWith(` ${path}`));
    return send(res, known ? 405 : 404, {error: known ? 'method_not_allowed' : 'not_found'});
  }
  try {
    const body = await route(req);
    if(debug) {
      console.error(`${req.method} ${path} → 200`);
    }
    send(res, 200, body);
  } catch(error) {
    if(error instanceof Oauth2ServerErrorResponseError) {
      if(debug) {
        console.error(`${req.method} ${path} → ${error.status} ${JSON.stringify(error.errorResponse)}` +
          (error.cause ? ` (${error.cause.message ?? error.cause})` : ''));
      }
      const headers = error.status === 401 ?
        {'WWW-Authenticate': `Bearer error="${error.errorResponse.error}"`} : {};
      return send(res, error.status, error.errorResponse, headers);
    }
    if(Array.isArray(error?.wwwAuthenticateHeaders)) { // Oauth2ResourceUnauthorizedError
      const challenge = error.wwwAuthenticateHeaders.find(c => c.error) ?? {};
      if(debug) {
        console.error(`${req.method} ${path} → 401 ${error.message}`);
      }
      // RFC 6750 §3 by hand: the library's toHeaderValue() also writes the unset parameters.
      const params = ['error', 'error_description'].filter(p => challenge[p])
        .map(p => `${p}="${String(challenge[p]).replace(/["\\]/g, '')}"`);
      return send(res, 401, {
        error: challenge.error ?? Oauth2ErrorCodes.InvalidToken,
        ...challenge.error_description ? {error_description: challenge.error_description} : {}
      }, {'WWW-Authenticate': ['Bearer', params.join(', ')].filter(Boolean).join(' ')});
    }
    console.error(`oid4vci-issuer: ${req.method} ${path}: ${error?.stack ?? error}`);
    send(res, 500, {error: Oauth2ErrorCodes.ServerError});
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch(error => {
    console.error(`oid4vci-issuer: ${error?.stack ?? error}`);
    res.destroy();
  });
});
for(const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
server.on('error', error => {
  console.error(`oid4vci-issuer: ${error.stack ?? error}`);
  process.exit(1);
});
server.listen(Number(portArg), '127.0.0.1', async () => {
  try {
    issuerUrl = `http://127.0.0.1:${server.address().port}`;
    buildMetadata();
    const {credentialOffer, credentialOfferObject} = await issuer.createCredentialOffer({
      issuerMetadata,
      credentialConfigurationIds: [CONFIGURATION_ID],
      // The library draws the pre-authorized code (32 random bytes, base64url).
      grants: {[preAuthorizedCodeGrantIdentifier]: {}}
    });
    const code = credentialOfferObject.grants[preAuthorizedCodeGrantIdentifier]['pre-authorized_code'];
    codes.set(code, {
      id: crypto.randomUUID(),
      configurationIds: credentialOfferObject.credential_configuration_ids,
      expiresAt: Date.now() + CODE_SECONDS * 1000
    });
    console.log(JSON.stringify({issuer: issuerUrl, offer: credentialOffer}));
  } catch(error) {
    console.error(`oid4vci-issuer: ${error?.stack ?? error}`);
    process.exit(1);
  }
});
