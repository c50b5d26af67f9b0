// A wallet built on @openid4vc/openid4vp's Openid4vpClient (OpenID for Verifiable Presentations
// 1.0: signed request by reference, decentralized_identifier client ids, DCQL, direct_post), an
// independent peer for CityWallet's verifier. The dcql package matches the query; Digital
// Bazaar's cryptosuites derive the bbs-2023 proof and sign the presentation (eddsa-rdfc-2022);
// contexts come from a static document loader (no network but the verifier's endpoints).
//   node oid4vp-wallet.mjs REQUEST_URI HOLDER_SEED_HEX CREDENTIAL_FILE
// REQUEST_URI: openid4vp://?client_id=decentralized_identifier:did:key:z6Mk…&request_uri=http…
// (request_uri_method absent: GET). The library fetches the request object, checks that
// client_id outside and inside agree, that the JWS (typ oauth-authz-req+jwt) is signed by the
// client_id's DID (the key named by kid, resolved here: did:key Ed25519 only), its exp, and
// the request parameters (response_type vp_token, a nonce, response_uri with direct_post…).
// The wallet also wants: the request object served as application/oauth-authz-req+jwt, aud
// (when present) https://self-issued.me/v2, iat not in the future, response_mode direct_post
// (not .jwt), a dcql_query, no transaction_data, and client_metadata.vp_formats_supported
// (when present) taking ldp_vc DataIntegrityProof with bbs-2023 and eddsa-rdfc-2022.
// HOLDER_SEED_HEX: the holder's 32-byte Ed25519 seed (did:key as in oid4vci-keys.mjs).
// CREDENTIAL_FILE: a VC 2.0 credential with a bbs-2023 base proof whose credentialSubject.id is
// the holder, bare or as oid4vci-client.mjs prints it ({"holder": …, "credential": {…}}).
// The credential answers each credential query the dcql package matches it to (per credential
// set, its first matching option): a bbs-2023 proof derived with the pointers of the claims
// asked for (the first claim set it satisfies) and the nonce's UTF-8 bytes as BBS presentation
// header, in a VerifiablePresentation by the holder signed with eddsa-rdfc-2022
// (authentication, challenge = nonce, domain = the full client_id); vp_token
// {"<credential query id>": [VP]} and state are posted to response_uri. Prints one line:
//   {"submitted": true, "status": N, "body": JSON|null}  exit 0 on a 2xx answer, else exit 1
//   {"refused": "reason"}                                 nothing sent (the request or the
//                                                         credential would not do), exit 1
//   {"error": "reason"}                                   the response could not be sent, exit 1
// OID4VP_WALLET_REPLAY=1: after a 2xx answer, posts the same form body again and adds
// "replay": {"status": N, "body": JSON|null}. Usage errors (and an unusable credential file):
// exit 2. OID4VP_WALLET_DEBUG=1 logs the request, the match and the exchanges on stderr.
import crypto from 'node:crypto';
import {readFileSync} from 'node:fs';
import {Openid4vpClient} from '@openid4vc/openid4vp';
import {setGlobalConfig} from '@openid4vc/oauth2';
import {DcqlPresentationResult, DcqlQuery} from 'dcql';
import * as bbs2023 from '@digitalbazaar/bbs-2023-cryptosuite';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {securityLoader} from '@digitalbazaar/security-document-loader';
import jsigs from 'jsonld-signatures';
import jsonld from 'jsonld';
import {CITY_CONTEXT_URL, cityContext} from './bbs-loader.mjs';
import {
  didKeyFor, didKeyUrl, ed25519Key, hash, jwkFromPublicKey, publicKeyFromDidKey, verifyCompactJwt
} from './oid4vci-keys.mjs';

const {purposes: {AssertionProofPurpose, AuthenticationProofPurpose}} = jsigs;
const VC_CONTEXT_URL = 'https://www.w3.org/ns/credentials/v2';
const REQUEST_OBJECT_TYPE = 'application/oauth-authz-req+jwt';
const SELF_ISSUED = 'https://self-issued.me/v2';
const IAT_SKEW_SECONDS = 60;

const debug = process.env.OID4VP_WALLET_DEBUG === '1';
const replay = process.env.OID4VP_WALLET_REPLAY === '1';
const log = (what, value) => {
  if(debug) {
    console.error(`oid4vp-wallet: ${what}${value === undefined ? '' :
      `: ${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}`}`);
  }
};

const isObject = x => typeof x === 'object' && x !== null && !Array.isArray(x);
const asArray = x => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const firstLine = text => String(text).split('\n')[0];

/** Ends with one line on stdout, once it is written. */
function finish(line, code) {
  process.stdout.write(`${JSON.stringify(line)}\n`, () => process.exit(code));
}

function usage(message) {
  console.error(`oid4vp-wallet: ${message}`);
  console.error('usage: node oid4vp-wallet.mjs REQUEST_URI HOLDER_SEED_HEX(32 bytes) CREDENTIAL_FILE');
  process.exit(2);
}

/** A reason to answer nothing. */
class Refusal extends Error {}

const refuse = message => {
  throw new Refusal(message);
};

/** A library error's reason: its message, with its cause's when the message leaves it out. */
function reasonOf(error) {
  const message = String(error?.message ?? error);
  const cause = error?.cause?.message;
  return cause && !message.includes(cause) ? `${message} ${cause}` : message;
}

// ---- arguments ----------------------------------------------------------------------------

const [requestUri, seedHex, credentialFile, ...extra] = process.argv.slice(2);
if(!requestUri || !credentialFile || extra.length > 0) {
  usage('three arguments are needed');
}
if(!/^[0-9a-fA-F]{64}$/.test(seedHex)) {
  usage('HOLDER_SEED_HEX must be 64 hex digits');
}
const holderKey = ed25519Key(Buffer.from(seedHex, 'hex'));
const holder = didKeyFor(holderKey.publicKey);
const holderVm = didKeyUrl(holder);

let credential;
try {
  const json = JSON.parse(readFileSync(credentialFile, 'utf8'));
  credential = isObject(json?.credential) ? json.credential : json;
} catch(error) {
  usage(`${credentialFile}: ${firstLine(error?.message ?? error)}`);
}
if(!isObject(credential) || !isObject(credential.proof) ||
  credential.proof.cryptosuite !== 'bbs-2023') {
  usage(`${credentialFile}: not a credential with one bbs-2023 proof`);
}
if(credential.credentialSubject?.id !== holder) {
  usage(`${credentialFile}: credentialSubject.id is not the holder ${holder}`);
}

// ---- the library's callbacks --------------------------------------------------------------

// The verifier under test listens on plain http on the loopback; the library refuses http://
// URLs unless told otherwise.
setGlobalConfig({allowInsecureUrls: true});

// Every exchange the library makes, for the checks it leaves out and for the replay.
const exchanges = [];

async function recordingFetch(input, init = {}) {
  const url = String(input instanceof Request ? input.url : input);
  const method = (init.method ?? 'GET').toUpperCase();
  const exchange = {url, method, headers: {...init.headers}, body: init.body};
  exchanges.push(exchange);
  log(`${method} ${url}`, init.body === undefined ? undefined : String(init.body));
  const response = await fetch(input, init);
  exchange.status = response.status;
  exchange.contentType = response.headers.get('content-type');
  log(`${method} ${url} → ${response.status} ${exchange.contentType ?? ''}`);
  return response;
}

/**
 * The library's verifyJwt callback: the request object's signer is a DID URL (kid), which must
 * be an Ed25519 did:key (its fragment, if any, the key itself); the library checks that its DID
 * is the client_id's.
 */
function verifyJwt(signer, {header, compact}) {
  if(signer.method !== 'did') {
    throw new Error(`the request object is not signed by a DID key (signer method ${signer.method})`);
  }
  if(signer.alg !== 'EdDSA' || header.alg !== 'EdDSA') {
    throw new Error(`the request object is signed with ${header.alg}, not EdDSA`);
  }
  const publicJwk = jwkFromPublicKey(publicKeyFromDidKey(signer.didUrl));
  if(!verifyCompactJwt(compact, publicJwk)) {
    throw new Error(`the request object's signature does not verify with ${signer.didUrl}`);
  }
  log('request object signature verified', signer.didUrl);
  return {verified: true, signerJwk: publicJwk};
}

const client = new Openid4vpClient({callbacks: {fetch: recordingFetch, verifyJwt, hash}});

// Contexts only: deriving and signing resolve no keys.
const loader = securityLoader();
loader.addStatic(CITY_CONTEXT_URL, cityContext());
const documentLoader = loader.build();

// ---- the request --------------------------------------------------------------------------

async function resolveRequest() {
  let parsed;
  let resolved;
  try {
    parsed = client.parseOpenid4vpAuthorizationRequest({authorizationRequest: requestUri});
    log(`request URI parsed (${parsed.type}, ${parsed.provided})`, parsed.params);
    resolved = await client.resolveOpenId4vpAuthorizationRequest({
      authorizationRequestPayload: parsed.params
    });
  } catch(error) {
    log('the library refused the request', error?.stack ?? String(error));
    refuse(reasonOf(error));
  }
  const request = resolved.authorizationRequestPayload;
  log(`request object (OpenID4VP version ${resolved.version})`, {
    header: resolved.jar?.jwt.header, payload: resolved.jar?.jwt.payload
  });

  if(!resolved.jar || resolved.jar.sendBy !== 'reference') {
    refuse('the request is not a signed request object passed by reference (request_uri)');
  }
  const served = exchanges.find(e => e.url === parsed.params.request_uri);
  const servedType = (served?.contentType ?? '').split(';')[0].trim().toLowerCase();
  if(servedType !== REQUEST_OBJECT_TYPE) {
    refuse(`the request object came as "${servedType}", not ${REQUEST_OBJECT_TYPE}`);
  }
  if(resolved.client.prefix !== 'decentralized_identifier') {
    refuse(`client_id prefix ${resolved.client.prefix}: this wallet takes decentralized_identifier`);
  }
  const {payload} = resolved.jar.jwt;
  if(payload.aud !== undefined && !asArray(payload.aud).includes(SELF_ISSUED)) {
    refuse(`the request object's aud ${JSON.stringify(payload.aud)} is not ${SELF_ISSUED}`);
  }
  if(typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + IAT_SKEW_SECONDS) {
    refuse('the request object\'s iat is in the future');
  }
  if(request.response_mode !== 'direct_post') {
    refuse(`response_mode ${JSON.stringify(request.response_mode)}: this wallet answers direct_post`);
  }
  if(!resolved.dcql) {
    refuse('the request has no dcql_query');
  }
  if(request.transaction_data !== undefined) {
    refuse('the request has transaction_data, which this wallet does not support');
  }
  const formats = request.client_metadata?.vp_formats_supported;
  if(formats !== undefined) {
    const ldp = formats.ldp_vc;
    if(!isObject(ldp)) {
      refuse('client_metadata.vp_formats_supported has no ldp_vc');
    }
    if(ldp.proof_type_values && !ldp.proof_type_values.includes('DataIntegrityProof')) {
      refuse('the verifier does not take DataIntegrityProof (ldp_vc proof_type_values)');
    }
    for(const suite of ['bbs-2023', 'eddsa-rdfc-2022']) {
      if(ldp.cryptosuite_values && !ldp.cryptosuite_values.includes(suite)) {
        refuse(`the verifier does not take ${suite} (ldp_vc cryptosuite_values)`);
      }
    }
  }
  return {request, query: resolved.dcql.query};
}

// ---- DCQL ---------------------------------------------------------------------------------

/** The credential's types as full IRIs (what DCQL type_values are matched against). */
async function expandedTypes(vc) {
  const {proof, ...document} = vc;
  const [expanded] = await jsonld.expand(document, {documentLoader, safe: true});
  return asArray(expanded?.['@type']);
}

const dcqlInput = async vc => ({
  credential_format: 'ldp_vc',
  type: await expandedTypes(vc),
  claims: vc,
  cryptographic_holder_binding: true
});

const escapePointer = key => String(key).replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The JSON pointers of what a DCQL claims path selects in `root` (a string a member, a number an
 * array element, null every element), keeping only the values asked for when some are.
 */
function claimPointers(root, {path, values}) {
  let current = [['', root]];
  for(const step of path) {
    const next = [];
    for(const [pointer, value] of current) {
      if(typeof step === 'string' && isObject(value) && Object.hasOwn(value, step)) {
        next.push([`${pointer}/${escapePointer(step)}`, value[step]]);
      } else if(typeof step === 'number' && Array.isArray(value) && step < value.length) {
        next.push([`${pointer}/${step}`, value[step]]);
      } else if(step === null && Array.isArray(value)) {
        next.push(...value.map((x, i) => [`${pointer}/${i}`, x]));
      }
    }
    current = next;
  }
  return current
    .filter(([, value]) => values === undefined || values.includes(value))
    .map(([pointer]) => pointer);
}

/** Which credential queries to answer, each with the pointers of the claims it asks for. */
async function match(queryJson) {
  let query;
  try {
    query = DcqlQuery.parse(queryJson);
    DcqlQuery.validate(query);
  } catch(error) {
    refuse(`invalid dcql_query: ${reasonOf(error)}`);
  }
  const result = DcqlQuery.query(query, [await dcqlInput(credential)]);
  log('DCQL match', {
    can_be_satisfied: result.can_be_satisfied,
    credential_sets: result.credential_sets,
    credential_matches: Object.fromEntries(Object.entries(result.credential_matches)
      .map(([id, m]) => [id, m.success ? m.valid_credentials[0].claims : m.failed_credentials]))
  });
  if(!result.can_be_satisfied) {
    const failed = Object.entries(result.credential_matches)
      .filter(([, m]) => !m.success).map(([id]) => id);
    refuse(`the credential cannot answer the DCQL query (not matched: ${failed.join(', ')})`);
  }
  const ids = result.credential_sets ?
    result.credential_sets.flatMap(set => set.matching_options?.[0] ?? []) :
    query.credentials.map(c => c.id);
  const answers = [];
  for(const id of [...new Set(ids)]) {
    const claimsQuery = query.credentials.find(c => c.id === id).claims ?? [];
    const claims = result.credential_matches[id].valid_credentials[0].claims;
    // valid_claim_sets come in the query's order: the first is the verifier's preference.
    const indexes = claims.valid_claim_sets[0]?.valid_claim_indexes ?? [];
    const pointers = indexes.flatMap(i => claimPointers(credential, claimsQuery[i]));
    answers.push({id, pointers: [...new Set(pointers)]});
  }
  return {query, answers};
}

// ---- the presentation ---------------------------------------------------------------------

async function derive(pointers, nonce) {
  const suite = new DataIntegrityProof({
    cryptosuite: bbs2023.createDiscloseCryptosuite({
      selectivePointers: pointers,
      presentationHeader: new TextEncoder().encode(nonce)
    })
  });
  return jsigs.derive(credential, {suite, purpose: new AssertionProofPurpose(), documentLoader});
}

async function present(derived, {nonce, client_id: clientId}) {
  const others = asArray(credential['@context']).filter(c => c !== VC_CONTEXT_URL);
  const presentation = {
    '@context': [VC_CONTEXT_URL, ...others],
    type: ['VerifiablePresentation'],
    holder,
    verifiableCredential: [derived]
  };
  const signer = {
    id: holderVm,
    algorithm: 'Ed25519',
    sign: async ({data}) => new Uint8Array(crypto.sign(null, data, holderKey.privateKey))
  };
  return jsigs.sign(presentation, {
    suite: new DataIntegrityProof({signer, cryptosuite: eddsaRdfc2022}),
    purpose: new AuthenticationProofPurpose({challenge: nonce, domain: clientId}),
    documentLoader
  });
}

// ---- the answer ---------------------------------------------------------------------------

const jsonOrNull = text => {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
};

async function main() {
  const {request, query: queryJson} = await resolveRequest();
  const {query, answers} = await match(queryJson);
  if(typeof request.nonce !== 'string' || request.nonce === '') {
    refuse('the request has no nonce');
  }

  const vpToken = {};
  const check = {};
  for(const {id, pointers} of answers) {
    log(`credential query "${id}": disclosing`, pointers);
    const derived = await derive(pointers, request.nonce);
    vpToken[id] = [await present(derived, request)];
    check[id] = [await dcqlInput(derived)];
  }
  // What is sent must still answer the query (the verifier checks the same).
  try {
    DcqlPresentationResult.validate(
      DcqlPresentationResult.fromDcqlPresentation(check, {dcqlQuery: query}));
  } catch(error) {
    refuse(`the derived credentials do not answer the query: ${reasonOf(error)}`);
  }
  log('vp_token', vpToken);

  const {authorizationResponsePayload} = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: {vp_token: vpToken}
  });

  let submitted;
  sending = true;
  try {
    const {response} = await client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request, authorizationResponsePayload
    });
    const text = await response.text();
    log(`response_uri answered ${response.status}`, text);
    submitted = {submitted: true, status: response.status, body: jsonOrNull(text)};
  } catch(error) {
    log('sending the response failed', error?.stack ?? String(error));
    return finish({error: firstLine(reasonOf(error))}, 1);
  }
  const ok = submitted.status >= 200 && submitted.status < 300;

  if(replay && ok) {
    const sent = exchanges.findLast(e => e.method === 'POST' && e.url === request.response_uri);
    try {
      const again = await recordingFetch(request.response_uri, {
        method: 'POST', headers: sent.headers, body: sent.body
      });
      const text = await again.text();
      log(`the replay was answered ${again.status}`, text);
      submitted.replay = {status: again.status, body: jsonOrNull(text)};
    } catch(error) {
      log('sending the replay failed', error?.stack ?? String(error));
      return finish({error: `replay: ${firstLine(reasonOf(error))}`}, 1);
    }
  }
  return finish(submitted, ok ? 0 : 1);
}

let sending = false; // once true, a failure is an "error", before it a refusal
try {
  await main();
} catch(error) {
  if(!(error instanceof Refusal)) {
    console.error(`oid4vp-wallet: ${error?.stack ?? error}`);
  }
  log('refused', error?.message ?? String(error));
  const reason = firstLine(error instanceof Refusal ? error.message : reasonOf(error));
  finish(sending ? {error: reason} : {refused: reason}, 1);
}
