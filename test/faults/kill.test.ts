import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { defaultKeyDir, type LocalIssuer, loadLocalIssuer } from '../../local/issuer.js';
import type { LocalStack } from '../../local/stack.js';
import { eventually } from '../client/support.js';
import { type Conversation, expectConverged, openConversation, talk } from './conversation.js';

// `npm start --data-dir` as a child process, killed with SIGKILL mid-conversation and started again on the
// same data and ports: nothing runs $disconnect, nothing flushes on the way out.
const repoRoot = path.resolve(import.meta.dirname, '../..');
let dataDir: string;
let issuer: LocalIssuer;
let ports: { http: number; ws: number };
let child: ChildProcess | undefined;
const open: Conversation['people'][number]['socket'][] = [];

/** A port that was free a moment ago (the kernel hands out ephemeral ports in turn, so it stays free). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `local/start.ts` (what `npm start` runs) and resolves once it says it is running. */
function start(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', '--data-dir', dataDir], {
      cwd: repoRoot,
      env: {
        ...process.env,
        HTTP_PORT: String(ports.http),
        WS_PORT: String(ports.ws),
        PRESENCE_WINDOW_SECONDS: '2',
        GONE_GRACE_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Press Ctrl-C to stop.')) resolve(proc);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    proc.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
  });
}

function kill9(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/** The child's URLs and signing key: all that the typed-client helpers use of a stack. */
const remote = () =>
  ({
    issuer,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    wsUrl: `ws://127.0.0.1:${ports.ws}/`,
  }) as unknown as LocalStack;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'live-chat-kill-'));
  issuer = await loadLocalIssuer(defaultKeyDir);
  ports = { http: await freePort(), ws: await freePort() };
  child = await start();
});

afterAll(async () => {
  for (const socket of open.splice(0)) socket.close();
  if (child && child.exitCode === null) await kill9(child);
  await rm(dataDir, { recursive: true, force: true });
});

const onlineStaff = async (token: string) => {
  const response = await fetch(`${remote().httpUrl}/api/chat/online-staff/`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await response.json()) as { results: { user_id: string; connections: number }[] }).results;
};

describe('npm start killed with kill -9 mid-conversation', () => {
  it('keeps every acked message, and the typed clients reconnect to the restarted stack and converge', async () => {
    const room = await openConversation(remote(), 'kill');
    open.push(...room.people.map((p) => p.socket));
    // A staff console that never comes back: its presence items are left behind by the killed process.
    const ghostToken = await issuer.mint({ userId: 'ghost-kill', staff: true });
    const ghost = new WebSocket(`${remote().wsUrl}?token=${ghostToken}`);
    await new Promise((resolve, reject) => ghost.once('open', resolve).once('error', reject));
    ghost.on('error', () => undefined);
    expect((await onlineStaff(ghostToken)).map((u) => u.user_id)).toContain('ghost-kill');

    const sending = talk(room, 8, 'kill');
    await eventually(() => room.people.every(({ received }) => received.length >= 3));
    if (!child) throw new Error('not running');
    await kill9(child);
    // Killed mid-conversation: sends were still on their way.
    expect(room.people.some(({ received }) => received.length < 16)).toBe(true);
    ghost.terminate();
    child = await start();
    const outcomes = await sending;

    const stored = await expectConverged({ ...room, outcomes });
    expect(outcomes.filter((o) => o.acked).length).toBeGreaterThanOrEqual(12);
    expect(stored.length).toBeGreaterThanOrEqual(outcomes.filter((o) => o.acked).length);
    // Presence: the ghost's items outlived the process; the restarted gateway knows no such socket (410),
    // so within the window it is forgotten; the staff member who reconnected counts one socket, not two.
    const staffId = room.people[1]?.user.userId;
    await eventually(async () => {
      const online = await onlineStaff(ghostToken);
      expect(online.map((u) => u.user_id)).not.toContain('ghost-kill');
      expect(online.find((u) => u.user_id === staffId)?.connections).toBe(1);
    }, 10_000);
  });
});
