// Ed25519 keys, did:key and compact JWS with node:crypto for the OpenID4VCI interop scripts
// (oid4vci-client.mjs, oid4vci-issuer.mjs), and the callbacks @openid4vc/* asks for that are
// not about keys: hashing and random bytes.
//   did:key = "did:key:z" + base58btc(0xed 0x01 ‖ 32-byte Ed25519 public key); its key's id is
//   the DID + "#" + the same multibase value.
import crypto from 'node:crypto';

export const b64url = bytes => Buffer.from(bytes).toString('base64url');
export const fromB64url = text => new Uint8Array(Buffer.from(text, 'base64url'));

// Base58 with the Bitcoin alphabet (multibase prefix 'z'), written out here: byte-wise long
// division, leading zero bytes as leading '1's.
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58btcEncode(bytes) {
  const digits = [];
  for(const byte of bytes) {
    let carry = byte;
    for(let i = 0; i < digits.length; i++) {
      carry += digits[i] << 8;
      digits[i] = carry % 58;
      carry = (carry / 58) | 0;
    }
    while(carry > 0) {
      digits.push(carry % 58);
      carry = (carry / 58) | 0;
    }
  }
  let out = '';
  for(let i = 0; i < bytes.length && bytes[i] === 0; i++) {
    out += '1';
  }
  for(let i = digits.length - 1; i >= 0; i--) {
    out += ALPHABET[digits[i]];
  }
  return out;
}

export function base58btcDecode(text) {
  const bytes = [];
  for(const char of text) {
    let carry = ALPHABET.indexOf(char);
    if(carry < 0) {
      throw new Error(`not base58btc: '${char}'`);
    }
    for(let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while(carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  let zeros = 0;
  while(zeros < text.length && text[zeros] === '1') {
    zeros++;
  }
  return Uint8Array.from([...new Array(zeros).fill(0), ...bytes.reverse()]);
}

const ED25519_MULTICODEC = [0xed, 0x01];
// PKCS #8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function didKeyFor(publicKey) {
  return `did:key:z${base58btcEncode(Uint8Array.from([...ED25519_MULTICODEC, ...publicKey]))}`;
}

/** The DID URL naming the did:key's only key: did:key:z6Mk…#z6Mk… */
export function didKeyUrl(did) {
  return `${did}#${did.slice('did:key:'.length)}`;
}

/**
 * The Ed25519 public key of a did:key DID or DID URL. If there is a fragment it must be the
 * did:key's own multibase value (the only key such a DID document has).
 */
export function publicKeyFromDidKey(didUrl) {
  const [did, fragment, ...rest] = didUrl.split('#');
  if(!did.startsWith('did:key:z') || rest.length > 0) {
    throw new Error(`not a did:key with a base58btc multibase key: ${didUrl}`);
  }
  const multibase = did.slice('did:key:'.length);
  if(fragment !== undefined && fragment !== multibase) {
    throw new Error(`did:key fragment '${fragment}' is not the key ${multibase}`);
  }
  const bytes = base58btcDecode(multibase.slice(1));
  if(bytes.length !== 34 || bytes[0] !== ED25519_MULTICODEC[0] ||
    bytes[1] !== ED25519_MULTICODEC[1]) {
    throw new Error(`did:key is not an Ed25519 key (0xed01 + 32 bytes): ${did}`);
  }
  return bytes.slice(2);
}

export function jwkFromPublicKey(publicKey) {
  return {kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey)};
}

/** An Ed25519 key pair from a 32-byte seed, or a fresh one. */
export function ed25519Key(seed = crypto.randomBytes(32)) {
  if(seed.length !== 32) {
    throw new Error(`an Ed25519 seed is 32 bytes, not ${seed.length}`);
  }
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8'
  });
  const publicJwk = crypto.createPublicKey(privateKey).export({format: 'jwk'});
  const publicKey = fromB64url(publicJwk.x);
  return {privateKey, publicKey, publicJwk: jwkFromPublicKey(publicKey)};
}

/** A compact JWS (alg EdDSA) of header and payload, signed with a node:crypto private key. */
export function signCompactJwt({header, payload}, privateKey) {
  if(header.alg !== 'EdDSA') {
    throw new Error(`only EdDSA is signed here, not '${header.alg}'`);
  }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = crypto.sign(null, Buffer.from(input), privateKey);
  return `${input}.${b64url(signature)}`;
}

/** Whether `compact` is an EdDSA JWS that verifies with the Ed25519 JWK `publicJwk`. */
export function verifyCompactJwt(compact, publicJwk) {
  const parts = compact.split('.');
  if(parts.length !== 3) {
    return false;
  }
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  if(header.alg !== 'EdDSA' || publicJwk.kty !== 'OKP' || publicJwk.crv !== 'Ed25519') {
    return false;
  }
  const key = crypto.createPublicKey({key: {kty: 'OKP', crv: 'Ed25519', x: publicJwk.x}, format: 'jwk'});
  return crypto.verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), key,
    Buffer.from(parts[2], 'base64url'));
}

const HASHES = {'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512'};

/** The library's `hash` callback (algorithm names as in its HashAlgorithm enum). */
export function hash(data, alg) {
  const name = HASHES[alg];
  if(!name) {
    throw new Error(`unsupported hash algorithm ${alg}`);
  }
  return new Uint8Array(crypto.createHash(name).update(data).digest());
}

/** The library's `generateRandom` callback. */
export function generateRandom(byteLength) {
  return new Uint8Array(crypto.randomBytes(byteLength));
}
