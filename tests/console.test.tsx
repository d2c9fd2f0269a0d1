import test from 'ava';
import { render } from 'ink-testing-library';
import { Console, type ConsoleProps } from '../console/Console.tsx';
import { emptyConsole, countdown, sparkline, pushRate, stateLine, type ConsoleData } from '../console/model.ts';
import type { EventSnapshot } from '../core/domain/event.ts';

const NOW = Date.parse('2026-12-01T00:59:00.000Z');
const ok = <T,>(value: T) => ({ value, at: NOW - 500, error: null });

const event = (over: Partial<EventSnapshot> = {}): EventSnapshot => ({
  id: 'spring-sale',
  name: 'Spring gift',
  state: 'scheduled',
  opensAt: '2026-12-01T01:00:00.000Z',
  closesAt: null,
  totalStock: 1000,
  remainingStock: 1000,
  applied: 0,
  won: 0,
  pending: 0,
  ...over,
});

const live = (over: Partial<ConsoleData> = {}): ConsoleData => ({
  ...emptyConsole('spring-sale', NOW),
  api: ok({ latencyMs: 3 }),
  event: ok(event()),
  kafka: ok({
    lag: [
      { partition: 0, lag: 12 },
      { partition: 1, lag: 0 },
    ],
    deadLetters: 2,
  }),
  mysql: ok({ outbox: { sent: 500, queued: 88, failed: 1 }, replayedDeadLetters: 1 }),
  redis: ok({ pingMs: 1 }),
  ...over,
});

/** Waits (with a deadline) until the frame matches: keys reach the component asynchronously. */
async function frame(ui: { lastFrame(): string | undefined }, re: RegExp): Promise<string> {
  const until = Date.now() + 5_000;
  for (;;) {
    const f = ui.lastFrame() ?? '';
    if (re.test(f)) return f;
    if (Date.now() > until) throw new Error(`no frame matched ${re}; the last one:\n${f}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function settled(calls: string[], n: number): Promise<void> {
  const until = Date.now() + 5_000;
  while (calls.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

function show(data: ConsoleData, calls: string[] = []) {
  const props: ConsoleProps = {
    data,
    onOpen: () => calls.push('open'),
    onClose: () => calls.push('close'),
    onQuit: () => calls.push('quit'),
  };
  return render(<Console {...props} />);
}

test('a scheduled event: the countdown to opening, the full stock, the health of every service', (t) => {
  const frame = show(live()).lastFrame()!;
  t.regex(frame, /terning watch {2}spring-sale · Spring gift/);
  t.regex(frame, /State\s+SCHEDULED · opens in 00:01:00/);
  t.regex(frame, /Stock\s+█{30} {2}1,000 of 1,000 left/);
  t.regex(frame, /Consumer lag\s+p0 12 {3}p1 0 {3}\(total 12\)/);
  t.regex(frame, /Dead letters\s+2 {3}replayed 1 {3}not replayed 1/);
  t.regex(frame, /Emails\s+sent 500 {3}queued 88 {3}failed 1/);
  t.regex(frame, /Health\s+API ok 3 ms {3}Redis ok 1 ms {3}MySQL ok {3}Kafka ok/);
  t.regex(frame, /\[o\] open {3}\[c\] close {3}\[q\] quit/);
  t.notRegex(frame, /DOWN/);
});

test('an open event mid-rush: the bar, PENDING, the rates as sparklines, the countdown to closing', (t) => {
  const data = live({
    event: ok(
      event({
        state: 'open',
        opensAt: null,
        closesAt: '2026-12-01T02:00:00.000Z',
        remainingStock: 250,
        applied: 5210,
        won: 750,
        pending: 460,
      }),
    ),
    rates: { applications: [0, 100, 400, 800, 1203], decisions: [0, 0, 0, 0, 0] },
  });
  const frame = show(data).lastFrame()!;
  t.regex(frame, /State\s+OPEN · closes in 01:01:00/);
  t.regex(frame, /Stock\s+█{8}░{22} {2}250 of 1,000 left/);
  t.regex(frame, /Applied\s+5,210 {3}won 750 {3}PENDING 460/);
  t.regex(frame, /Apply\/s\s+▁▁▃▅█ {2}1,203\/s/);
  t.regex(frame, /Decide\/s\s+▁▁▁▁▁ {2}0\/s/);
});

test('sold out and closed', (t) => {
  const frame = show(live({ event: ok(event({ state: 'closed', remainingStock: 0, won: 1000 })) })).lastFrame()!;
  t.regex(frame, /State\s+CLOSED/);
  t.regex(frame, /░{30} {2}0 of 1,000 left · SOLD OUT/);
});

test('a service that is down is named with its error; the last values stay, marked with their time', (t) => {
  const at = Date.parse('2026-12-01T00:58:50.000Z');
  const frame = show(
    live({
      api: { value: { latencyMs: 3 }, at, error: 'fetch failed' },
      event: { value: event(), at, error: 'the API does not answer' },
      redis: { value: null, at: null, error: 'connect ECONNREFUSED 127.0.0.1:6390' },
    }),
  ).lastFrame()!;
  t.regex(frame, /API DOWN {3}Redis DOWN {3}MySQL ok {3}Kafka ok/);
  t.regex(frame, /API: fetch failed/);
  t.regex(frame, /Redis: connect ECONNREFUSED 127\.0\.0\.1:6390/);
  t.regex(frame, new RegExp(`State\\s+SCHEDULED · opens in 00:01:00 \\(as of ${new Date(at).toTimeString().slice(0, 8)}\\)`));
  t.regex(frame, /1,000 of 1,000 left/);
  t.regex(frame, /Emails\s+sent 500/, 'MySQL still live');
});

test('before the first answers: waiting, and unknown health', (t) => {
  const frame = show(emptyConsole(null, NOW)).lastFrame()!;
  t.regex(frame, /terning watch {2}the default event/);
  t.regex(frame, /Event\s+waiting for the API…/);
  t.regex(frame, /API … {3}Redis … {3}MySQL … {3}Kafka …/);
});

test('an unknown event: the API is up and says so', (t) => {
  const frame = show(live({ event: { value: null, at: null, error: 'there is no event "nope" (EVENT_NOT_FOUND)' } })).lastFrame()!;
  t.regex(frame, /Event\s+there is no event "nope" \(EVENT_NOT_FOUND\)/);
  t.regex(frame, /API ok/);
});

test('o asks first; y opens, n does not', async (t) => {
  const calls: string[] = [];
  const ui = show(live(), calls);
  ui.stdin.write('o');
  await frame(ui, /Open spring-sale now\? \[y\] yes {2}\[n\] no/);
  ui.stdin.write('n');
  await frame(ui, /\[o\] open/);
  t.deepEqual(calls, []);
  ui.stdin.write('o');
  await frame(ui, /Open spring-sale now\?/);
  ui.stdin.write('y');
  await frame(ui, /\[o\] open/);
  await settled(calls, 1);
  t.deepEqual(calls, ['open']);
});

test('c asks first; y closes; other keys while asking do nothing; q quits', async (t) => {
  const calls: string[] = [];
  const ui = show(live(), calls);
  ui.stdin.write('c');
  await frame(ui, /Close spring-sale now\? \[y\] yes {2}\[n\] no/);
  ui.stdin.write('q');
  ui.stdin.write('o');
  ui.stdin.write('y');
  await frame(ui, /\[o\] open/);
  await settled(calls, 1);
  t.deepEqual(calls, ['close'], 'q and o waited for the answer; y closed');
  ui.stdin.write('x');
  ui.stdin.write('q');
  await settled(calls, 2);
  t.deepEqual(calls, ['close', 'quit']);
});

test('the result of an open or close is shown', (t) => {
  t.regex(
    show(live({ notice: { ok: true, text: 'opened spring-sale at 10:00:01 as alice' } })).lastFrame()!,
    /opened spring-sale at 10:00:01 as alice/,
  );
  t.regex(
    show(live({ notice: { ok: false, text: 'could not open: the terning server did not answer' } })).lastFrame()!,
    /could not open: the terning server did not answer/,
  );
});

test('model: countdown, sparkline, rates, state line', (t) => {
  t.is(countdown(3_725_000), '01:02:05');
  t.is(countdown(90_061_000), '1d 01:01:01');
  t.is(countdown(-5), '00:00:00');
  t.is(countdown(400), '00:00:01', 'rounds up: 0.4 s left is not zero');
  t.is(sparkline([], 4), '    ');
  t.is(sparkline([0, 0], 2), '▁▁');
  t.is(sparkline([1, 2, 4, 8], 4), '▁▂▄█');
  t.is(sparkline([5, 1, 2, 4, 8], 4), '▁▂▄█', 'the last samples that fit');
  t.deepEqual(pushRate([], 10, 30, 2), [10]);
  t.deepEqual(pushRate([1], 30, 10, 1), [1, 0], 'never negative');
  t.is(pushRate(Array(40).fill(1), 0, 5, 1).length, 40);
  t.is(stateLine({ state: 'draft', opensAt: null, closesAt: null }, NOW), 'DRAFT');
  t.is(stateLine({ state: 'open', opensAt: null, closesAt: null }, NOW), 'OPEN');
});
