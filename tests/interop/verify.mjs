// Verifies a CityWallet presentation's BBS proof with @digitalbazaar/bbs-signatures, an
// independent IETF BBS implementation, using only the presentation JSON's own fields.
// Usage: node verify.mjs PRESENTATION.json   Prints "valid" (exit 0) or "invalid" (exit 1).
import {readFileSync} from 'node:fs';
import {CIPHERSUITES, verifyProof} from '@digitalbazaar/bbs-signatures';

const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const bytes = hex => Uint8Array.from(Buffer.from(hex, 'hex'));
if(p.ciphersuite !== 'BLS12-381-SHA-256') {
  console.log('invalid: unsupported ciphersuite');
  process.exit(1);
}
let valid = false;
try {
  valid = await verifyProof({
    publicKey: bytes(p.signerPublicKey),
    proof: bytes(p.proof),
    header: bytes(p.header),
    presentationHeader: bytes(p.presentationHeader),
    disclosedMessages: p.disclosedMessages.map(bytes),
    disclosedMessageIndexes: p.disclosedIndexes,
    ciphersuite: CIPHERSUITES.BLS12381_SHA256
  });
} catch(e) {
  valid = false;
}
console.log(valid ? 'valid' : 'invalid');
process.exit(valid ? 0 : 1);
