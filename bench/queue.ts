/**
 * The staff queue at scale, part of `npm run bench` (run.ts starts it in a process of its own, because the
 * handlers read their settings from `process.env` and one process holds one stack).
 *
 * 1. The issue's scenario: 20 consoles follow the queue while 10 customers send 300 messages across 10 rooms
 *    within about 3 s. Frames per console, queue frames per console in any one second, and the time from the
 *    last send until every console's summaries show every room's newest message.
 * 2. Queue followers 1 / 10 / 100 under a steady message rate: posts per message to room sockets, queue
 *    frames per console per second, DynamoDB units per message (everything the sends and the stream's
 *    consumer asked for), and the account-throttle headroom that follows.
 *
 * Prints Markdown to stdout; `--shards N` sets the emulated stream's shard count.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { ChatHttp } from '../client/index.js';
import { startLocalStack } from '../local/stack.js';
import { BENCH_RATE_LIMITS, table } from './report.js';

/** API Gateway's account-wide request limit per region (HTTP API requests, WebSocket frames and posts). */
const ACCOUNT_LIMIT = 10_000;
const shardsArg = process.argv.indexOf('--shards');
const SHARDS = shardsArg > 0 ? Number(process.argv[shardsArg + 1]) : 1;

const keyDir = await mkdtemp(path.join(tmpdir(), 'live-chat-bench-queue-'));
/** PostToConnection calls by target socket, off the local management API's request log. */
const postsTo = new Map<string, number>();
const stack = await startLocalStack({
  httpPort: 0,
  wsPort: 0,
  keyDir,
  stream: { shards: SHARDS },
  environment: {
    RATE_LIMITS: BENCH_RATE_LIMITS,
  },
  log: (line) => {
    const post = /^POST \S*@connections\/([^\s/]+)/.exec(line);
    if (post?.[1]) {
      const id = decodeURIComponent(post[1]);
      postsTo.set(id, (postsTo.get(id) ?? 0) + 1);
    }
  },
});

interface Frame {
  readonly type: string;
  readonly data: any;
}

/** A raw socket that records what it receives and when. */
class Recorder {
  readonly frames: { at: number; frame: Frame }[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => this.frames.push({ at: performance.now(), frame: JSON.parse(String(raw)) }));
  }

  static async open(token: string): Promise<Recorder> {
    const ws = new WebSocket(`${stack.wsUrl}?${new URLSearchParams({ token })}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Recorder(ws);
  }

  async send(frame: unknown, answered: (frame: Frame) => boolean): Promise<void> {
    const before = this.frames.length;
    this.ws.send(JSON.stringify(frame));
    const deadline = Date.now() + 10_000;
    while (!this.frames.slice(before).some(({ frame }) => answered(frame))) {
      if (Date.now() > deadline) throw new Error(`no answer to ${JSON.stringify(frame)}`);
      await sleep(5);
    }
  }

  count(type: string, since = 0): number {
    return this.frames.filter(({ at, frame }) => at >= since && frame.type === type).length;
  }

  close() {
    this.ws.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function consoles(count: number, prefix: string): Promise<Recorder[]> {
  const opened: Recorder[] = [];
  for (let i = 0; i < count; i += 25) {
    opened.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(25, count - i) }, async (_, j) => {
          const token = await stack.issuer.mint({ userId: `${prefix}-staff-${i + j}`, staff: true });
          const socket = await Recorder.open(token);
          await socket.send({ type: 'subscribe', queue: true }, (f) => f.type === 'room' && f.data.queue);
          return socket;
        }),
      )),
    );
  }
  return opened;
}

interface Room {
  readonly id: string;
  readonly http: ChatHttp;
  readonly socket: Recorder;
}

/** Rooms of their own customers, each customer's socket following its room. */
async function rooms(count: number, prefix: string): Promise<Room[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const token = await stack.issuer.mint({ userId: `${prefix}-customer-${i}` });
      const http = new ChatHttp({ baseUrl: stack.httpUrl, getToken: () => token });
      const id = (await http.createRoom({ subject: `${prefix} ${i}` })).id;
      const socket = await Recorder.open(token);
      await socket.send(
        { type: 'subscribe', room_id: id },
        (f) => f.type === 'room' && f.data.room_id === id,
      );
      return { id, http, socket };
    }),
  );
}

/** Sends `perRoom` messages in every room at `perSecond` in all, spread evenly; resolves after the last. */
async function sendSteadily(all: readonly Room[], perRoom: number, perSecond: number, tag: string) {
  const gapMs = (1000 * all.length) / perSecond;
  await Promise.all(
    all.map(async (room, r) => {
      await sleep((gapMs * r) / all.length);
      for (let m = 0; m < perRoom; m++) {
        const due = performance.now() + gapMs;
        await room.http.sendMessage(room.id, `${tag} message ${m} in room ${r}`, `${tag}-${r}-${m}`);
        await sleep(Math.max(0, due - performance.now()));
      }
    }),
  );
}

/** The newest `last_message_id` each console's queue summaries show, per room. */
function newestSeen(socket: Recorder): Map<string, number> {
  const seen = new Map<string, number>();
  for (const { frame } of socket.frames) {
    if (frame.type !== 'queue') continue;
    for (const room of frame.data.rooms as { id: string; last_message_id: number }[]) {
      seen.set(room.id, Math.max(seen.get(room.id) ?? 0, room.last_message_id));
    }
  }
  return seen;
}

/** Most queue frames one console received within any one-second span. */
function peakPerSecond(socket: Recorder, from: number): number {
  const times = socket.frames
    .filter(({ at, frame }) => at >= from && frame.type === 'queue')
    .map((f) => f.at);
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

async function converged(followers: readonly Recorder[], all: readonly Room[], perRoom: number) {
  const deadline = performance.now() + 30_000;
  while (
    !followers.every((socket) => {
      const seen = newestSeen(socket);
      return all.every((room) => seen.get(room.id) === perRoom);
    })
  ) {
    if (performance.now() > deadline) throw new Error('the consoles never saw every newest message');
    await sleep(10);
  }
  return performance.now();
}

async function issueScenario() {
  const followers = await consoles(20, 'issue');
  const all = await rooms(10, 'issue');
  await stack.stream.flush();
  const started = performance.now();
  await sendSteadily(all, 30, 100, 'issue');
  const lastSent = performance.now();
  const done = await converged(followers, all, 30);
  const perConsole = (type: string) => Math.max(...followers.map((socket) => socket.count(type, started)));
  const row = [
    String(SHARDS),
    fmt((lastSent - started) / 1000, 1),
    String(perConsole('queue')),
    String(Math.max(...followers.map((socket) => peakPerSecond(socket, started)))),
    String(perConsole('message') + perConsole('typing') + perConsole('read_receipt')),
    fmt((done - lastSent) / 1000, 2),
  ];
  for (const socket of [...followers, ...all.map((room) => room.socket)]) socket.close();
  return row;
}

async function followersRow(count: number) {
  const RATE = 50;
  const PER_ROOM = 20;
  const ROOMS = 10;
  const followers = await consoles(count, `f${count}`);
  const all = await rooms(ROOMS, `f${count}`);
  await stack.stream.flush();
  await sleep(1500);
  postsTo.clear();
  stack.dynamo.resetStats();
  const started = performance.now();
  await sendSteadily(all, PER_ROOM, RATE, `f${count}`);
  await converged(followers, all, PER_ROOM);
  await sleep(1500);
  const seconds = (performance.now() - started) / 1000;
  const messages = ROOMS * PER_ROOM;
  const roomPosts = all.reduce((sum, room) => sum + room.socket.count('message', started), 0);
  const queueFrames = followers.reduce((sum, socket) => sum + socket.count('queue', started), 0);
  const framesPerConsolePerSecond = queueFrames / count / seconds;
  const units = stack.dynamo.units();
  // Per second at this rate: the send requests, the posts to the rooms' sockets, the queue frames.
  const used = RATE * (1 + roomPosts / messages) + count * framesPerConsolePerSecond;
  const before = RATE * (1 + roomPosts / messages + count);
  for (const socket of [...followers, ...all.map((room) => room.socket)]) socket.close();
  return [
    String(count),
    String(RATE),
    fmt(roomPosts / messages, 1),
    fmt(framesPerConsolePerSecond, 2),
    fmt(units.read / messages),
    fmt(units.write / messages),
    `${fmt(used, 0)} (${fmt((100 * used) / ACCOUNT_LIMIT, 1)} %)`,
    `${fmt(before, 0)} (${fmt((100 * before) / ACCOUNT_LIMIT, 1)} %)`,
  ];
}

const issue = await issueScenario();
const rows: string[][] = [];
for (const count of [1, 10, 100]) rows.push(await followersRow(count));
await stack.stop();

console.log(`### ${SHARDS} stream shard${SHARDS === 1 ? '' : 's'}

${table(
  [
    'stream shards',
    'sending took (s)',
    'queue frames / console',
    'peak queue frames / console / s',
    'per-message frames / console',
    'last send → every console current (s)',
  ],
  [issue],
)}

${table(
  [
    'queue followers',
    'messages / s',
    'posts / msg to room sockets',
    'queue frames / console / s',
    'read units / msg',
    'write units / msg',
    'API Gateway requests / s (of 10,000)',
    'before: one frame per console per message',
  ],
  rows,
)}
`);
process.exit(0);
