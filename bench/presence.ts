/**
 * `npm run bench:presence`: what "is support online" costs per open widget, and how fast a widget learns.
 *
 * On the local stack (one container per function, as a warm Lambda; no CloudFront, which only lowers the
 * reads further), N widgets poll at random phases for one minute while a staff socket stays online:
 *
 * - now: `GET /api/chat/support-status/` every 10 s (public, one shared reading per container per 5 s);
 * - before: `GET /api/chat/online-staff/` every 60 s (one checked reading per request).
 *
 * Reads are the Queries DynamoDB saw (the local proxy's `stats()`): in this quiet system each is a Query of
 * the staff presence partition made by a poll. Then, with the new route, the time each widget takes to see a
 * staff socket that opens, and then closes, measured from the end of its `$connect` / its close.
 *
 * Not part of `npm test`: it takes about eight minutes.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startLocalStack } from '../local/stack.js';

const WIDGETS = [1, 10, 50];
const WINDOW_MS = 60_000;
const MODES = {
  now: { path: '/api/chat/support-status/', everyMs: 10_000, token: false },
  before: { path: '/api/chat/online-staff/', everyMs: 60_000, token: true },
} as const;
type Mode = keyof typeof MODES;

const keyDir = await mkdtemp(path.join(tmpdir(), 'live-chat-bench-presence-'));
const stack = await startLocalStack({ httpPort: 0, wsPort: 0, keyDir, log: () => undefined });
const customer = await stack.issuer.mint({ userId: 'bench-widget' });
const staffToken = await stack.issuer.mint({ userId: 'bench-agent', staff: true });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A staff socket that pings like the typed client, so presence checks keep it online. */
async function staffSocket(): Promise<{ close: () => Promise<void> }> {
  const ws = new WebSocket(`${stack.wsUrl}?token=${staffToken}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const ping = setInterval(() => ws.send(JSON.stringify({ type: 'ping' })), 20_000);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ping);
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}

async function isOnline(mode: Mode): Promise<boolean> {
  const { path: route, token } = MODES[mode];
  const response = await fetch(`${stack.httpUrl}${route}`, {
    headers: token ? { authorization: `Bearer ${customer}` } : {},
  });
  const body = (await response.json()) as { online?: boolean; results?: unknown[] };
  return body.online ?? (body.results?.length ?? 0) > 0;
}

/** N widgets polling at random phases; each poll's answer goes to `onAnswer(widget, online, at)`. */
function startWidgets(mode: Mode, n: number, onAnswer: (widget: number, online: boolean) => void) {
  const timers: NodeJS.Timeout[] = [];
  const { everyMs } = MODES[mode];
  for (let widget = 0; widget < n; widget++) {
    const poll = () =>
      void isOnline(mode).then(
        (online) => onAnswer(widget, online),
        (error: unknown) => console.error('poll failed', error),
      );
    timers.push(
      setTimeout(() => {
        poll();
        timers.push(setInterval(poll, everyMs));
      }, Math.random() * everyMs),
    );
  }
  return () => {
    for (const timer of timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
  };
}

async function readsPerMinute(mode: Mode, n: number): Promise<number> {
  const agent = await staffSocket();
  // Let a first round of polls run before counting, so the window sees the steady state.
  const stop = startWidgets(mode, n, () => undefined);
  await sleep(MODES[mode].everyMs);
  stack.dynamo.resetStats();
  await sleep(WINDOW_MS);
  const reads = stack.dynamo.stats().Query ?? 0;
  stop();
  await agent.close();
  await sleep(500);
  return reads;
}

/** Milliseconds until every widget has seen `expected`, one figure per widget. */
function learnTimes(n: number, expected: boolean, answers: Map<number, boolean>, since: () => number) {
  const times = new Map<number, number>();
  return {
    answer(widget: number, online: boolean) {
      answers.set(widget, online);
      if (online === expected && !times.has(widget) && since() > 0) times.set(widget, Date.now() - since());
    },
    async done(): Promise<number[]> {
      while (times.size < n) await sleep(100);
      return [...times.values()];
    },
  };
}

async function learning(n: number): Promise<{ online: number[]; away: number[] }> {
  const answers = new Map<number, boolean>();
  let changedAt = 0;
  let learner = learnTimes(n, true, answers, () => changedAt);
  const stop = startWidgets('now', n, (widget, online) => learner.answer(widget, online));
  await sleep(MODES.now.everyMs + 1_000);
  const agent = await staffSocket();
  changedAt = Date.now();
  const online = await learner.done();
  changedAt = 0;
  learner = learnTimes(n, false, answers, () => changedAt);
  await agent.close();
  changedAt = Date.now();
  const away = await learner.done();
  stop();
  return { online, away };
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return `${(mean / 1000).toFixed(1)} s mean, ${((sorted.at(-1) ?? 0) / 1000).toFixed(1)} s max`;
};

console.log('| widgets | mode | polls a minute | Queries of staff presence a minute | per widget a minute |');
console.log('| ---: | --- | ---: | ---: | ---: |');
for (const n of WIDGETS) {
  for (const mode of ['before', 'now'] as const) {
    const reads = await readsPerMinute(mode, n);
    const polls = (n * WINDOW_MS) / MODES[mode].everyMs;
    console.log(`| ${n} | ${mode} | ${polls} | ${reads} | ${(reads / n).toFixed(2)} |`);
  }
}
console.log('\n| widgets | learns "online" | learns "away" |');
console.log('| ---: | --- | --- |');
for (const n of WIDGETS) {
  const { online, away } = await learning(n);
  console.log(`| ${n} | ${stats(online)} | ${stats(away)} |`);
}
await stack.stop();
