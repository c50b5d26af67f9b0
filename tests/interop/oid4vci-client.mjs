// A wallet built on @openid4vc/openid4vci's Openid4vciClient (OpenID for Verifiable Credential
// Issuance 1.0, pre-authorized code flow), an independent peer for CityWallet's issuer.
//   node oid4vci-client.mjs OFFER_URI HOLDER_SEED_HEX [TX_CODE]
// resolves the offer (credential_offer by value), fetches the issuer's and its authorization
// server's metadata, gets an access token with the pre-authorized code (and TX_CODE), a c_nonce
// from the nonce endpoint, signs the proof JWT (EdDSA, kid did:key:z6Mk…#z6Mk…) with the
// Ed25519 key of the 32-byte seed and asks for the first offered credential configuration.
// Prints {"holder": DID, "credential": {...}} on one line, exit 0. On an error: the details on
// stderr, "error: CODE" on stdout when the peer answered with an OAuth error code, exit 1.
//   OID4VCI_CLIENT_REPLAY=1: after the credential, asks for a token again with the same
// pre-authorized code and adds "replay": the error code it got (null if it got a token).
import {
  Openid4vciClient, Openid4vciVersion, setGlobalConfig
} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {
  didKeyFor, didKeyUrl, ed25519Key, generateRandom, hash, signCompactJwt
} from './oid4vci-keys.mjs';

const [offerUri, seedHex, txCode] = process.argv.slice(2);
const replay = process.env.OID4VCI_CLIENT_REPLAY === '1';

// The issuer under test listens on plain http on the loopback; the library refuses http://
// URLs unless told otherwise.
setGlobalConfig({allowInsecureUrls: true});

/** The OAuth error code a library error carries from the peer's response, if any. */
async function errorCode(error) {
  // Token endpoint (Oauth2ClientErrorResponseError) and server-side library errors.
  if(typeof error?.errorResponse?.error === 'string') {
    return error.errorResponse.error;
  }
  // Credential endpoint (Openid4vciRetrieveCredentialsError): the JSON body, else the
  // WWW-Authenticate challenge (401).
  const notOk = error?.response;
  const fromBody = notOk?.credentialErrorResponseResult?.data?.error;
  if(typeof fromBody === 'string') {
    return fromBody;
  }
  const fromChallenge = notOk?.wwwAuthenticate?.find(c => c.error)?.error;
  if(typeof fromChallenge === 'string') {
    return fromChallenge;
  }
  // Nonce or metadata endpoints (InvalidFetchResponseError): the raw body.
  if(typeof error?.textResponse === 'string') {
    try {
      const body = JSON.parse(error.textResponse);
      if(typeof body?.error === 'string') {
        return body.error;
      }
    } catch {}
  }
  return undefined;
}

/** The HTTP status and body of the response behind a library error, if there is one. */
async function responseDetails(error) {
  const response = typeof error?.response?.clone === 'function' ? error.response :
    error?.response?.response;
  if(!response || typeof response.clone !== 'function') {
    return undefined;
  }
  const body = await response.clone().text().catch(() => '');
  return `HTTP ${response.status} ${response.url}: ${body}`;
}

async function fail(error) {
  console.error(`oid4vci-client: ${error?.stack ?? error}`);
  if(error?.cause) {
    console.error(`cause: ${error.cause?.stack ?? error.cause}`);
  }
  const details = await responseDetails(error);
  if(details) {
    console.error(details);
  }
  const code = await errorCode(error);
  if(code) {
    console.log(`error: ${code}`);
  }
  process.exit(1);
}

try {
  if(!offerUri || !/^[0-9a-fA-F]{64}$/.test(seedHex ?? '')) {
    throw new Error('usage: node oid4vci-client.mjs OFFER_URI HOLDER_SEED_HEX(32 bytes) [TX_CODE]');
  }
  const holderKey = ed25519Key(Buffer.from(seedHex, 'hex'));
  const holder = didKeyFor(holderKey.publicKey);

  const client = new Openid4vciClient({
    callbacks: {
      fetch: (url, init) => fetch(url, init),
      hash,
      generateRandom,
      // The pre-authorized code flow without client authentication
      // (pre-authorized_grant_anonymous_access_supported).
      clientAuthentication: clientAuthenticationAnonymous(),
      // Only the holder's key signs here: the proof JWT.
      signJwt: (signer, {header, payload}) => {
        if(signer.method !== 'did' || signer.didUrl !== didKeyUrl(holder)) {
          throw new Error(`no key for signer ${JSON.stringify(signer)}`);
        }
        return {jwt: signCompactJwt({header, payload}, holderKey.privateKey),
          signerJwk: holderKey.publicJwk};
      }
    }
  });

  const credentialOffer = await client.resolveCredentialOffer(offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  // The library guesses the draft from the metadata's shape, and an ldp_vc configuration
  // without `credential_metadata` reads as draft 14, for which it would send a format-based
  // request (format + credential_definition). The peer speaks OpenID4VCI 1.0, so a credential
  // request by credential_configuration_id.
  if(issuerMetadata.originalDraftVersion !== Openid4vciVersion.V1) {
    issuerMetadata.originalDraftVersion = Openid4vciVersion.V1;
  }
  const [credentialConfigurationId] = credentialOffer.credential_configuration_ids;

  const token = () => client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, txCode
  });
  const {accessTokenResponse} = await token();

  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  const {jwt} = await client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId,
    nonce,
    signer: {method: 'did', didUrl: didKeyUrl(holder), alg: 'EdDSA'}
  });
  const {credentialResponse} = await client.retrieveCredentials({
    issuerMetadata,
    credentialConfigurationId,
    accessToken: accessTokenResponse.access_token,
    proofs: {jwt: [jwt]}
  });
  const [first] = credentialResponse.credentials ?? [];
  const credential = first?.credential ?? first ?? credentialResponse.credential;
  if(!credential || typeof credential !== 'object') {
    throw new Error(`no credential object in ${JSON.stringify(credentialResponse)}`);
  }

  const out = {holder, credential};
  if(replay) {
    try {
      await token();
      console.error('oid4vci-client: the replayed pre-authorized code got a token');
      out.replay = null;
    } catch(error) {
      out.replay = (await errorCode(error)) ?? null;
      if(out.replay === null) {
        await fail(error);
      }
    }
  }
  console.log(JSON.stringify(out));
} catch(error) {
  await fail(error);
}
