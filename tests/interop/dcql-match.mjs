// DCQL matching with the `dcql` npm package (3.0.0), an independent implementation, for
// CityWallet's DCQL tests. Reads one JSON object from standard input:
//   {"query": DCQL_QUERY, "held": [{"type": [expanded type IRIs], "credential": VC}, ...]}
// and prints one line: {"valid": false} when the package refuses the query, else
//   {"valid": true, "satisfied": bool, "matches": {"<credential query id>": [held indexes]}}
import {readFileSync} from 'node:fs';
import {DcqlQuery} from 'dcql';

const {query, held} = JSON.parse(readFileSync(0, 'utf8'));
const inputs = held.map(h => ({
  credential_format: 'ldp_vc',
  type: h.type,
  claims: h.credential,
  cryptographic_holder_binding: true
}));
let q;
try {
  q = DcqlQuery.parse(query);
  DcqlQuery.validate(q);
} catch {
  console.log(JSON.stringify({valid: false}));
  process.exit(0);
}
const r = DcqlQuery.query(q, inputs);
const matches = {};
for(const [id, m] of Object.entries(r.credential_matches)) {
  matches[id] = (m.valid_credentials ?? []).map(c => c.input_credential_index).sort((a, b) => a - b);
}
console.log(JSON.stringify({valid: true, satisfied: r.can_be_satisfied, matches}));
