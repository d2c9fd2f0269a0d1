import test from 'ava';
import { startSystem, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { emailsTo, readCode } from './support/ses.ts';

// Mail bombing and the mail sender's reputation: sends count per person (every alias of an inbox is
// one), and every send counts against one budget a minute, whoever asks.
let sys: System;
let ipSeq = 0;
const newIp = () => ({ 'X-Forwarded-For': `192.0.2.${++ipSeq}` });
const SENDS_PER_MINUTE = 6;

test.before(async () => {
  sys = await startSystem({
    consumer: false,
    env: { TRUST_PROXY: 'true', CODE_RESEND_SECONDS: '600', LIMIT_CODE_SENDS_PER_MINUTE: String(SENDS_PER_MINUTE) },
  });
});
test.after.always(async () => {
  await sys?.stop();
});

const send = (email: string, from: Record<string, string>) =>
  http(sys.url, 'POST', '/api/auth/send-verification-code', { body: { email }, headers: from });
const codeMails = async (addresses: string[]) =>
  (await Promise.all(addresses.map(emailsTo))).flat().filter((m) => /verification code/.test(m.subject));

test.serial('five aliases of one inbox asked for at once get one code', async (t) => {
  const user = randomEmail('bomb').split('@')[0]!.replaceAll('-', '');
  const aliases = [
    `${user}@gmail.com`,
    `${user}+1@gmail.com`,
    `${user}+2@googlemail.com`,
    `${user.slice(0, 2)}.${user.slice(2)}@gmail.com`,
    `${user.toUpperCase()}@GMAIL.COM`,
  ];
  const from = newIp();
  const answers = await Promise.all(aliases.map((a) => send(a, from)));
  t.deepEqual(answers.map((a) => a.status).sort(), [200, 429, 429, 429, 429]);
  t.true(answers.filter((a) => a.status === 429).every((a) => a.body.error.code === 'CODE_RECENTLY_SENT'));
  await readCode(aliases[answers.findIndex((a) => a.status === 200)]!, 60_000);
  t.is((await codeMails(aliases)).length, 1, 'one email reached the inbox');
});

test.serial(
  'past the budget of sends a minute, everyone is told 503 with Retry-After and nothing is mailed; a moment later sends go on',
  async (t) => {
    const startedAt = Date.now();
    const burst = await Promise.all(Array.from({ length: SENDS_PER_MINUTE * 2 }, () => send(randomEmail('budget'), newIp())));
    // The bucket earns one send back every 60 / SENDS_PER_MINUTE s while the burst is answered.
    const earned = Math.ceil((Date.now() - startedAt) / (60_000 / SENDS_PER_MINUTE));
    const taken = burst.filter((a) => a.status === 200).length;
    t.true(
      taken <= SENDS_PER_MINUTE + earned,
      `${taken} of ${burst.length} sent at once were taken (budget ${SENDS_PER_MINUTE}, ${earned} earned back meanwhile)`,
    );
    const refused = burst.find((a) => a.status !== 200);
    t.truthy(refused, 'some were refused');
    t.is(refused!.status, 503);
    t.deepEqual(Object.keys(refused!.body), ['error']);
    t.is(refused!.body.error.code, 'CODE_SENDS_BUSY');
    const wait = Number(refused!.headers.get('retry-after'));
    t.true(wait >= 1 && wait <= 60 / SENDS_PER_MINUTE, `Retry-After ${wait}`);

    let late = randomEmail('late');
    let answer = await send(late, newIp());
    for (let i = 0; answer.status === 200 && i < SENDS_PER_MINUTE * 2; i++) answer = await send((late = randomEmail('late')), newIp());
    t.is(answer.status, 503, 'spent again');
    t.deepEqual(await codeMails([late]), [], 'nothing mailed to a refused address');
    await new Promise((r) => setTimeout(r, Number(answer.headers.get('retry-after')) * 1_000 + 300));
    t.is((await send(late, newIp())).status, 200, 'a send earned back');
  },
);
