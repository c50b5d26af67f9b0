// bbs-2023 with Digital Bazaar's cryptosuite, an independent implementation, for
// CityWallet's interoperability tests. No network: every context and the issuer's key come
// from a static document loader.
//   node bbs2023.mjs verify DOC.json PK_HEX             prints "valid" (exit 0) or "invalid" (exit 1)
//   node bbs2023.mjs derive BASE.json PK_HEX POINTERS   prints the derived document (POINTERS: JSON array)
//   node bbs2023.mjs sign DOC.json PK_HEX SK_HEX OPTIONS MANDATORY
//                                                     prints the document with a base proof
//                                                     (OPTIONS: the proof's JSON object, MANDATORY: a JSON array)
import {readFileSync} from 'node:fs';
import * as bbs2023 from '@digitalbazaar/bbs-2023-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import jsigs from 'jsonld-signatures';
import {bbsKey, documentLoaderFor} from './bbs-loader.mjs';

const {purposes: {AssertionProofPurpose}} = jsigs;
const [mode, file, pkHex, arg4, arg5, arg6] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(file, 'utf8'));

const vm = mode === 'sign' ? JSON.parse(arg5).verificationMethod : doc.proof.verificationMethod;
const key = await bbsKey({vm, pkHex, skHex: mode === 'sign' ? arg4 : undefined});
// The city's own context as the wallet ships it, and the issuer's key (bbs-loader.mjs).
const documentLoader = await documentLoaderFor(key);

try {
  if(mode === 'verify') {
    const suite = new DataIntegrityProof({cryptosuite: bbs2023.createVerifyCryptosuite()});
    const result = await jsigs.verify(doc, {
      suite, purpose: new AssertionProofPurpose(), documentLoader
    });
    if(!result.verified && process.env.BBS2023_DEBUG) {
      console.error(result.error);
    }
    console.log(result.verified ? 'valid' : 'invalid');
    process.exit(result.verified ? 0 : 1);
  } else if(mode === 'derive') {
    const suite = new DataIntegrityProof({
      cryptosuite: bbs2023.createDiscloseCryptosuite({selectivePointers: JSON.parse(arg4)})
    });
    const derived = await jsigs.derive(doc, {
      suite, purpose: new AssertionProofPurpose(), documentLoader
    });
    console.log(JSON.stringify(derived));
  } else if(mode === 'sign') {
    const options = JSON.parse(arg5);
    const suite = new DataIntegrityProof({
      signer: key.signer(),
      date: options.created,
      cryptosuite: bbs2023.createSignCryptosuite({mandatoryPointers: JSON.parse(arg6)})
    });
    const signed = await jsigs.sign(doc, {
      suite, purpose: new AssertionProofPurpose(), documentLoader
    });
    console.log(JSON.stringify(signed));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch(e) {
  console.error(e);
  console.log('invalid');
  process.exit(1);
}
