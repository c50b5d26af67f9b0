// The issuer's BBS key and a static JSON-LD document loader (no network), shared by the
// interop scripts (bbs2023.mjs, oid4vci-issuer.mjs). The loader knows the security contexts
// (@digitalbazaar/security-document-loader), the city's context as the wallet ships it
// (../../vc/contexts/citywallet-v1.jsonld) and the issuer's verification method with its
// controller document.
import {readFileSync} from 'node:fs';
import * as Bls12381Multikey from '@digitalbazaar/bls12-381-multikey';
import {securityLoader} from '@digitalbazaar/security-document-loader';

export const CITY_CONTEXT_URL = 'https://w3id.org/citywallet/v1';

export const hexBytes = hex => Uint8Array.from(Buffer.from(hex, 'hex'));

/** The city's JSON-LD context document. */
export function cityContext() {
  return JSON.parse(readFileSync(
    new URL('../../vc/contexts/citywallet-v1.jsonld', import.meta.url), 'utf8'));
}

/**
 * A BBS (BLS12-381-SHA-256) key from raw bytes given as hex (96-byte compressed G2 public key,
 * optional 32-byte secret key), identified as the verification method `vm`, whose controller
 * is the part of `vm` before '#'.
 */
export async function bbsKey({vm, pkHex, skHex}) {
  const key = await Bls12381Multikey.fromRaw({
    algorithm: Bls12381Multikey.ALGORITHMS.BBS_BLS12381_SHA256,
    publicKey: hexBytes(pkHex),
    secretKey: skHex === undefined ? undefined : hexBytes(skHex)
  });
  key.id = vm;
  key.controller = vm.split('#')[0];
  return key;
}

/** The static document loader that also resolves `key` (from bbsKey) and its controller. */
export async function documentLoaderFor(key) {
  const method = await key.export({publicKey: true, includeContext: true});
  const loader = securityLoader();
  loader.addStatic(CITY_CONTEXT_URL, cityContext());
  loader.addStatic(key.id, method);
  loader.addStatic(key.controller, {
    '@context': 'https://www.w3.org/ns/did/v1',
    id: key.controller,
    assertionMethod: [method]
  });
  return loader.build();
}
