// A verifier built on @openid4vc/openid4vp's Openid4vpVerifier and the dcql package (OpenID for
// Verifiable Presentations 1.0, DCQL, unsigned request, direct_post), an independent peer for
// CityWallet's wallet. Digital Bazaar's cryptosuites check the presentations; the static
// document loader of bbs-loader.mjs serves every context and key (no network).
//   node oid4vp-verifier.mjs ISSUER_PK_HEX ISSUER_ID QUERY_FILE
// ISSUER_PK_HEX: the accepted issuer's BBS key (96-byte compressed G2 public key), whose
// credentials say "issuer": "urn:citywallet:issuer:ISSUER_ID" and are signed by its verification
// method "urn:citywallet:issuer:ISSUER_ID#bbs-2023". QUERY_FILE: JSON, the DCQL query itself or
// an object holding it as "dcql_query". Listens on 127.0.0.1 (any free port) and prints one line
//   {"request": "openid4vp://?…"}
// (client_id redirect_uri:http://127.0.0.1:PORT/response, a fresh nonce and state), then waits
// for one POST /response (application/x-www-form-urlencoded) and prints one line:
//   {"error": CODE}                           an error response (state checked); answers 200 {}, exit 0
//   {"verified": true, "disclosed": {"<credential query id>": [credentialSubject, …]}}
//                                             answers 200 {}, exit 0
//   {"verified": false, "reason": "…"}       answers 400 {"error": "invalid_request"}, exit 1
// Each presentation must be a VP with one eddsa-rdfc-2022 proof by its holder (challenge = the
// nonce, domain = the full client_id) embedding one credential from the issuer with a bbs-2023
// derived proof whose presentation header is the nonce's UTF-8 bytes, within its validity
// period, whose credentialSubject.id is the holder; then the dcql package checks the answer
// against the query (types expanded with JSON-LD). The process exits once the answer is sent,
// so a second response is refused. Usage errors: exit 2. OID4VP_VERIFIER_DEBUG=1 logs the
// response body and failures on stderr.
import http from 'node:http';
import crypto from 'node:crypto';
import {readFileSync} from 'node:fs';
import {Openid4vpVerifier} from '@openid4vc/openid4vp';
import {setGlobalConfig} from '@openid4vc/oauth2';
import {DcqlPresentationResult, DcqlQuery} from 'dcql';
import * as bbs2023 from '@digitalbazaar/bbs-2023-cryptosuite';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import jsigs from 'jsonld-signatures';
import jsonld from 'jsonld';
import {bbsKey, documentLoaderFor} from './bbs-loader.mjs';

const {purposes: {AssertionProofPurpose, AuthenticationProofPurpose}} = jsigs;
const [pkHex, issuerId, queryFile] = process.argv.slice(2);
if(!/^[0-9a-fA-F]{192}$/.test(pkHex ?? '') || !issuerId || !queryFile) {
  console.error('usage: node oid4vp-verifier.mjs ISSUER_PK_HEX(96 bytes) ISSUER_ID QUERY_FILE');
  process.exit(2);
}
const debug = process.env.OID4VP_VERIFIER_DEBUG === '1';
const MAX_BODY = 1024 * 1024;

// Plain http on the loopback: the library refuses http:// URLs unless told otherwise.
setGlobalConfig({allowInsecureUrls: true});

const firstLine = error => String(error?.message ?? error).split('\n')[0];

// The query as given goes into the request; the parsed one is what dcql checks against.
let queryJson;
let dcqlQuery;
try {
  const json = JSON.parse(readFileSync(queryFile, 'utf8'));
  queryJson = json.dcql_query ?? json;
  dcqlQuery = DcqlQuery.parse(queryJson);
  DcqlQuery.validate(dcqlQuery);
} catch(error) {
  console.error(`oid4vp-verifier: ${queryFile}: not a valid DCQL query: ${firstLine(error)}`);
  process.exit(2);
}

const issuerIri = `urn:citywallet:issuer:${issuerId}`;
const issuerVm = `${issuerIri}#bbs-2023`;
const documentLoader = await documentLoaderFor(await bbsKey({vm: issuerVm, pkHex}));

const verifier = new Openid4vpVerifier({callbacks: {}});
let request; // the authorization request payload, known once listening
let answered = false;

const isObject = x => typeof x === 'object' && x !== null && !Array.isArray(x);
const asArray = x => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const idOf = x => (isObject(x) ? x.id : x);
const random = () => crypto.randomBytes(16).toString('base64url');

/** The first reason jsigs.verify gives for a failure. */
function why(result) {
  const error = result.error;
  const first = error?.errors?.[0] ?? (Array.isArray(error) ? error[0] : error);
  return first ? firstLine(first) : 'not verified';
}

/** The credential's types as full IRIs (what DCQL type_values are matched against). */
async function expandedTypes(vc) {
  const {proof, ...document} = vc;
  const [expanded] = await jsonld.expand(document, {documentLoader, safe: true});
  return asArray(expanded?.['@type']);
}

/** Checks one presentation (see the header) and returns its credential. */
async function checkPresentation(vp) {
  if(!isObject(vp) || !asArray(vp.type).includes('VerifiablePresentation')) {
    throw new Error('a presentation is not a VerifiablePresentation object');
  }
  const holder = idOf(vp.holder);
  if(typeof holder !== 'string') {
    throw new Error('the presentation has no holder');
  }
  if(!isObject(vp.proof)) {
    throw new Error('the presentation must have exactly one proof');
  }
  const vpResult = await jsigs.verify(vp, {
    suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    purpose: new AuthenticationProofPurpose({challenge: request.nonce, domain: request.client_id}),
    documentLoader
  });
  if(!vpResult.verified) {
    throw new Error(`presentation proof (eddsa-rdfc-2022): ${why(vpResult)}`);
  }

  const credentials = asArray(vp.verifiableCredential);
  if(credentials.length !== 1 || !isObject(credentials[0])) {
    throw new Error('a presentation must embed exactly one credential');
  }
  const [vc] = credentials;
  if(idOf(vc.issuer) !== issuerIri) {
    throw new Error(`credential issuer ${JSON.stringify(idOf(vc.issuer))} is not accepted`);
  }
  if(!isObject(vc.proof) || vc.proof.verificationMethod !== issuerVm) {
    throw new Error(`the credential must have exactly one proof, by ${issuerVm}`);
  }
  const expectedPresentationHeader = new TextEncoder().encode(request.nonce);
  const vcResult = await jsigs.verify(vc, {
    suite: new DataIntegrityProof({
      cryptosuite: bbs2023.createVerifyCryptosuite({expectedPresentationHeader})
    }),
    purpose: new AssertionProofPurpose(),
    documentLoader
  });
  if(!vcResult.verified) {
    // The cryptosuite fails obscurely on another presentation header: tell that case apart.
    const plain = bbs2023.createVerifyCryptosuite();
    const plainResult = await jsigs.verify(vc, {
      suite: new DataIntegrityProof({cryptosuite: plain}),
      purpose: new AssertionProofPurpose(),
      documentLoader
    });
    const header = plain.results.lastParsedProof?.presentationHeader;
    throw new Error(plainResult.verified && header ?
      `credential proof (bbs-2023): presentation header ${Buffer.from(header).toString('hex')} ` +
        'is not the UTF-8 of the nonce' :
      `credential proof (bbs-2023): ${why(vcResult)}`);
  }
  const now = Date.now();
  if(vc.validFrom !== undefined && !(Date.parse(vc.validFrom) <= now)) {
    throw new Error('the credential is not valid yet');
  }
  if(vc.validUntil !== undefined && !(Date.parse(vc.validUntil) > now)) {
    throw new Error('the credential has expired');
  }

  if(!isObject(vc.credentialSubject) || vc.credentialSubject.id !== holder) {
    throw new Error('holder binding: credentialSubject.id is not the presentation holder');
  }
  if(typeof vp.proof.verificationMethod !== 'string' ||
    !vp.proof.verificationMethod.startsWith(`${holder}#`)) {
    throw new Error('holder binding: the presentation proof is not by the holder');
  }
  return vc;
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if(size > MAX_BODY) {
      throw new Error('response body too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The outcome of the authorization response: the line to print, the HTTP answer, exit code. */
async function onResponse(req) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if(type !== 'application/x-www-form-urlencoded') {
    throw new Error(`content type "${type}", not application/x-www-form-urlencoded`);
  }
  const body = await readBody(req);
  if(debug) {
    console.error(`oid4vp-verifier: POST /response body: ${body}`);
  }
  const params = new URLSearchParams(body);
  const form = Object.fromEntries(params);
  if(Object.keys(form).length !== [...params.keys()].length) {
    throw new Error('a parameter occurs more than once');
  }

  // The library does not parse error responses.
  if(form.error !== undefined) {
    if(form.state !== request.state) {
      throw new Error('state mismatch in the error response');
    }
    return {line: {error: form.error}, status: 200, body: {}, code: 0};
  }

  // Checks state and parses vp_token (a JSON object of arrays of presentations).
  const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
    authorizationResponse: form, authorizationRequestPayload: request, callbacks: {}
  });
  if(parsed.type !== 'dcql') {
    throw new Error('not a DCQL response');
  }
  // The library also takes a bare presentation per query id (older drafts); 1.0 wants arrays.
  const vpToken = typeof form.vp_token === 'string' ? JSON.parse(form.vp_token) : form.vp_token;
  const record = {};
  const disclosed = {};
  for(const [id, presentations] of Object.entries(parsed.dcql.presentations)) {
    if(!Array.isArray(vpToken[id])) {
      throw new Error(`vp_token["${id}"] is not an array`);
    }
    record[id] = [];
    disclosed[id] = [];
    for(const vp of presentations) {
      const vc = await checkPresentation(vp);
      record[id].push({
        credential_format: 'ldp_vc',
        type: await expandedTypes(vc),
        claims: vc,
        cryptographic_holder_binding: true
      });
      disclosed[id].push(vc.credentialSubject);
    }
  }
  let result;
  try {
    result = DcqlPresentationResult.fromDcqlPresentation(record, {dcqlQuery});
    DcqlPresentationResult.validate(result);
  } catch(error) {
    const failed = Object.entries(result?.credential_matches ?? {})
      .filter(([, match]) => !match.success).map(([id]) => id);
    throw new Error(`DCQL: ${firstLine(error)}` +
      (failed.length ? ` (not satisfied: ${failed.join(', ')})` : ''));
  }
  return {line: {verified: true, disclosed}, status: 200, body: {}, code: 0};
}

function send(res, status, body, then) {
  res.writeHead(status, {'content-type': 'application/json', 'cache-control': 'no-store'});
  res.end(JSON.stringify(body), then);
}

async function handle(req, res) {
  if(new URL(req.url, 'http://127.0.0.1').pathname !== '/response') {
    return send(res, 404, {error: 'not_found'});
  }
  if(req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return send(res, 405, {error: 'invalid_request'});
  }
  if(answered) {
    return send(res, 400, {error: 'invalid_request', error_description: 'already answered'});
  }
  answered = true;
  let outcome;
  try {
    outcome = await onResponse(req);
  } catch(error) {
    if(debug) {
      console.error(`oid4vp-verifier: ${error?.stack ?? error}`);
    }
    outcome = {
      line: {verified: false, reason: firstLine(error)},
      status: 400, body: {error: 'invalid_request'}, code: 1
    };
  }
  server.close();
  res.setHeader('connection', 'close');
  // Exit only once the line is written and the answer handed to the OS.
  process.stdout.write(`${JSON.stringify(outcome.line)}\n`, () => {
    send(res, outcome.status, outcome.body, () => process.exit(outcome.code));
  });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch(error => {
    console.error(`oid4vp-verifier: ${error?.stack ?? error}`);
    res.destroy();
  });
});
server.on('error', error => {
  console.error(`oid4vp-verifier: ${error.stack ?? error}`);
  process.exit(1);
});
server.listen(0, '127.0.0.1', async () => {
  try {
    const base = `http://127.0.0.1:${server.address().port}`;
    const {authorizationRequest, authorizationRequestPayload} =
      await verifier.createOpenId4vpAuthorizationRequest({
        authorizationRequestPayload: {
          response_type: 'vp_token',
          client_id: `redirect_uri:${base}/response`,
          response_uri: `${base}/response`,
          response_mode: 'direct_post',
          nonce: random(),
          state: random(),
          dcql_query: queryJson,
          client_metadata: {
            vp_formats_supported: {
              ldp_vc: {
                proof_type_values: ['DataIntegrityProof'],
                cryptosuite_values: ['bbs-2023', 'eddsa-rdfc-2022']
              }
            }
          }
        }
      });
    request = authorizationRequestPayload;
    console.log(JSON.stringify({request: authorizationRequest}));
  } catch(error) {
    console.error(`oid4vp-verifier: ${error?.stack ?? error}`);
    process.exit(1);
  }
});
