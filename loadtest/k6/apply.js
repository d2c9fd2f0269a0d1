// The original's k6 test as its README describes it (the script itself is not in the seed), re-created
// for terning: 1,500 virtual users, one apply each, all at once.
// Every VU mints its own token per the token contract (docs/api.md) (HS256, sub = its email, iss, aud, iat,
// exp) with k6's crypto module, applies once, and expects 202 (PENDING) or 409 (SOLD_OUT).
//
//   k6 run -e BASE_URL=http://127.0.0.1:3000 -e EVENT=<event id> loadtest/k6/apply.js
//
// Env: BASE_URL, EVENT (unset: the default event's /api/event/apply), JWT_SECRET, JWT_ISSUER,
// JWT_AUDIENCE (terning's defaults), VUS (1500), RUN (a tag that makes the emails new each run).
import http from 'k6/http';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import { check } from 'k6';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:3000';
const PATH = __ENV.EVENT ? `/api/events/${__ENV.EVENT}/apply` : '/api/event/apply';
const SECRET = __ENV.JWT_SECRET || 'terning-dev-secret-change-me-in-production';
const ISSUER = __ENV.JWT_ISSUER || 'terning';
const AUDIENCE = __ENV.JWT_AUDIENCE || 'terning-api';
const VUS = Number(__ENV.VUS || 1500);
const RUN = __ENV.RUN || String(Date.now());

export const options = {
  scenarios: {
    herd: { executor: 'per-vu-iterations', vus: VUS, iterations: 1, maxDuration: '60s' },
  },
  thresholds: {
    http_req_duration: ['p(95)<1000'],
    checks: ['rate==1'],
  },
};

function token(email) {
  const now = Math.floor(Date.now() / 1000);
  const header = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl');
  const claims = encoding.b64encode(JSON.stringify({ sub: email, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 600 }), 'rawurl');
  const signature = crypto.hmac('sha256', SECRET, `${header}.${claims}`, 'base64rawurl');
  return `${header}.${claims}.${signature}`;
}

export default function () {
  const email = `k6-${RUN}-${__VU}@bench.test`;
  const res = http.post(`${BASE_URL}${PATH}`, null, { headers: { Authorization: `Bearer ${token(email)}` } });
  check(res, { '202 or 409': (r) => r.status === 202 || r.status === 409 });
}
