import test from 'ava';
import { startSystem, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { emailsTo, readCode } from './support/ses.ts';

// A stranger attacks someone else's address from addresses of its own: the owner must still get a code
// and log in with it, and the stranger must still be throttled.
let sys: System;
let ipSeq = 0;
/** A client address of its own (X-Forwarded-For is trusted here): the owner's, or each of a stranger's. */
const newIp = () => ({ 'X-Forwarded-For': `203.0.113.${++ipSeq}` });
const cooldownPassed = () => new Promise((r) => setTimeout(r, 2_100));

test.before(async () => {
  sys = await startSystem({
    consumer: false,
    env: {
      TRUST_PROXY: 'true',
      CODE_RESEND_SECONDS: '2',
      CODE_MAX_ATTEMPTS: '3',
      CODE_MAX_ATTEMPTS_TOTAL: '12',
      LIMIT_CODE_SENDS_PER_ADDRESS_PER_HOUR: '2',
      LIMIT_CODE_SENDS_PER_IP_PER_HOUR: '4',
      LIMIT_FAILED_CODE_CHECKS_PER_IP_PER_HOUR: '5',
    },
  });
});
test.after.always(async () => {
  await sys?.stop();
});

const send = (email: string, from: Record<string, string>) =>
  http(sys.url, 'POST', '/api/auth/send-verification-code', { body: { email }, headers: from });
const verify = (email: string, code: string, from: Record<string, string>) =>
  http(sys.url, 'POST', '/api/auth/verify-code', { body: { email, code }, headers: from });
const outcome = (a: { status: number; body: { error?: { code: string } } }) => a.body?.error?.code ?? a.status;
const codesMailedTo = async (email: string) =>
  (await emailsTo(email)).map((m) => m.body.text?.match(/code is (\d{6})/)?.[1]);

test('a stranger asking for codes to an address and guessing against it from other IPs keeps its owner from nothing', async (t) => {
  const victim = randomEmail('victim');
  const owner = newIp();
  t.is((await send(victim, owner)).status, 200);
  const code = await readCode(victim);
  const wrong = code === '000000' ? '111111' : '000000';

  const strangers = [newIp(), newIp()];
  for (const stranger of strangers) {
    await cooldownPassed();
    const answered = await send(victim, stranger);
    t.is(outcome(await send(victim, stranger)), 'CODE_RECENTLY_SENT', 'one code a cooldown per address, whoever asks');
    t.is(outcome(await send(victim, stranger)), 'TOO_MANY_CODES', 'the stranger used up its own quota for the address');
    t.deepEqual(answered.body, (await send(randomEmail('fresh'), newIp())).body, 'the answer is the one any address gets');
  }
  t.deepEqual(await codesMailedTo(victim), [code, code, code], 'every email the stranger caused carries the code the owner holds');

  for (const stranger of [...strangers, newIp()]) {
    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push(outcome(await verify(victim, wrong, stranger)));
    t.deepEqual(guesses, ['CODE_INVALID', 'CODE_INVALID', 'CODE_ATTEMPTS_EXCEEDED', 'CODE_ATTEMPTS_EXCEEDED'], 'the stranger spends its own tries');
  }

  const loggedIn = await verify(victim, code, owner);
  t.is(loggedIn.status, 200, 'the owner logs in with the code it received first');
  t.truthy(loggedIn.body.token);
  await cooldownPassed();
  t.is((await send(victim, owner)).status, 200, 'and can still ask for a code: the stranger\'s sends were counted against the stranger');
  const next = await readCode(victim);
  t.not(next, code, 'a used code is not sent again');
  t.is((await verify(victim, next, owner)).status, 200);
});

test('brute force stays bounded: past the total of wrong tries from every IP the code is void, and its owner gets a new one', async (t) => {
  const victim = randomEmail('brute');
  const owner = newIp();
  await send(victim, owner);
  const code = await readCode(victim);
  const wrong = code === '000000' ? '111111' : '000000';
  const guesses = [];
  for (let i = 0; i < 4; i++) {
    const stranger = newIp();
    for (let j = 0; j < 3; j++) guesses.push(outcome(await verify(victim, wrong, stranger)));
  }
  t.deepEqual(guesses.slice(0, 3), ['CODE_INVALID', 'CODE_INVALID', 'CODE_ATTEMPTS_EXCEEDED']);
  t.is(guesses.at(-1), 'CODE_ATTEMPTS_EXCEEDED', 'the twelfth wrong try in total voids the code');
  t.is(outcome(await verify(victim, code, owner)), 'CODE_EXPIRED', 'void for everyone: twelve guesses is all a code ever takes');

  t.is((await send(victim, owner)).status, 200, 'the owner asks again and gets a new code');
  const fresh = await readCode(victim);
  t.not(fresh, code);
  t.is((await verify(victim, fresh, owner)).status, 200);

  const prober = newIp();
  const probes = [];
  for (let i = 0; i < 6; i++) probes.push(outcome(await verify(randomEmail('probe'), '123456', prober)));
  t.deepEqual(probes, ['CODE_EXPIRED', 'CODE_EXPIRED', 'CODE_EXPIRED', 'CODE_EXPIRED', 'CODE_EXPIRED', 'TOO_MANY_FAILED_CODES'], 'one IP fails at most five checks an hour, whatever the address');
});

test('a burst of wrong codes sent at once is checked no more often than the limit allows', async (t) => {
  const prober = newIp();
  const victims = Array.from({ length: 140 }, () => randomEmail('burst'));
  const answers = await Promise.all(victims.map((v) => verify(v, '123456', prober)));
  const checked = answers.filter((a) => outcome(a) !== 'TOO_MANY_FAILED_CODES');
  t.true(checked.length <= 5, `${checked.length} of 140 were checked against codes; the limit is 5 failed checks an hour`);
  t.is(checked.length, 5, 'and the limit is reached, not refused early');
});

test('every alias of one mailbox is one person: one code, one cooldown, one budget of tries', async (t) => {
  const user = randomEmail('alias').split('@')[0]!.replaceAll('-', '');
  const aliases = [`${user}@gmail.com`, `${user}+a@gmail.com`, `${user.slice(0, 3)}.${user.slice(3)}@googlemail.com`];
  const owner = newIp();
  t.is((await send(aliases[0]!, owner)).status, 200);
  const code = await readCode(aliases[0]!);
  t.is(outcome(await send(aliases[1]!, newIp())), 'CODE_RECENTLY_SENT', 'another alias waits out the same cooldown');
  const wrong = code === '000000' ? '111111' : '000000';
  const stranger = newIp();
  t.is(outcome(await verify(aliases[1]!, wrong, stranger)), 'CODE_INVALID');
  t.is(outcome(await verify(aliases[2]!, wrong, stranger)), 'CODE_INVALID');
  t.is(outcome(await verify(aliases[0]!, wrong, stranger)), 'CODE_ATTEMPTS_EXCEEDED', 'the tries of all aliases are one budget (3 per address here)');
  const signedIn = await verify(aliases[2]!, code, owner);
  t.is(signedIn.status, 200, 'the code mailed to one alias signs in any of them: one mailbox');
});
