import WebSocket from 'ws';
import { ChatHttp } from '../client/http.js';
import { ChatSocket, type ChatSocketEvents, ticketAuth, type WebSocketFactory } from '../client/socket.js';
import type { Room } from '../client/wire.js';

/** Where the stack is and who talks: one customer and one staff member, each with a bearer token. */
export interface SmokeTarget {
  /** Base of the HTTP API (`HttpApiUrl`), without `/api/chat`. */
  readonly httpUrl: string;
  /** The WebSocket API (`WebSocketUrl`). */
  readonly wsUrl: string;
  readonly customerToken: () => string | Promise<string>;
  readonly staffToken: () => string | Promise<string>;
}

export interface SmokeOptions {
  /** How long each step may take before it fails. @default 15_000 */
  readonly stepTimeoutMs?: number;
  /** Receives each step's line as soon as it is known (`PASS  create room  (84 ms)`). */
  readonly onStep?: (step: StepResult) => void;
}

export type StepStatus = 'pass' | 'fail' | 'skip';

export interface StepResult {
  readonly name: string;
  readonly status: StepStatus;
  /** How long the step took; 0 when skipped. */
  readonly ms: number;
  /** Why it failed. */
  readonly error?: string;
}

export interface SmokeReport {
  readonly ok: boolean;
  readonly steps: readonly StepResult[];
}

/** The steps, in order; a failed step skips the rest (they depend on it), cleanup still runs. */
export const SMOKE_STEPS = [
  'create room',
  'customer connects with a ticket',
  'staff sees the room in the queue',
  'staff joins',
  'customer message reaches staff',
  'staff reply reaches customer',
  'typing reaches customer',
  'read receipt reaches staff',
  'close reaches customer',
] as const;

type StepName = (typeof SMOKE_STEPS)[number];

/** One line of the report, e.g. `PASS  staff joins  (41 ms)`. */
export function formatStep(step: StepResult): string {
  const label = step.status.toUpperCase().padEnd(4);
  const detail = step.status === 'skip' ? '' : `  (${step.ms} ms)`;
  return `${label}  ${step.name}${detail}${step.error ? `: ${step.error}` : ''}`;
}

/**
 * A short end-to-end conversation through the typed client, against a deployed stack or `npm start`: the
 * customer opens a room and connects with a one-time ticket, the staff member finds the room in the queue,
 * joins, both exchange messages, typing and a read receipt arrive, and the staff member closes the room.
 * Resolves with every step's outcome (it never throws); closes its sockets and, if the flow stopped early,
 * the room it opened.
 *
 * @example
 * const report = await runConversation({ httpUrl, wsUrl, customerToken: () => c, staffToken: () => s });
 * for (const step of report.steps) console.log(formatStep(step));
 */
export async function runConversation(target: SmokeTarget, options: SmokeOptions = {}): Promise<SmokeReport> {
  const timeoutMs = options.stepTimeoutMs ?? 15_000;
  const customerHttp = new ChatHttp({ baseUrl: target.httpUrl, getToken: target.customerToken });
  const staffHttp = new ChatHttp({ baseUrl: target.httpUrl, getToken: target.staffToken });
  const socketOf = (http: ChatHttp) =>
    new ChatSocket({
      url: target.wsUrl,
      http,
      auth: ticketAuth(http),
      WebSocket: WebSocket as unknown as WebSocketFactory,
      maxAttempts: 2,
      requestTimeoutMs: timeoutMs,
    });
  const customer = socketOf(customerHttp);
  const staff = socketOf(staffHttp);
  const steps: StepResult[] = [];
  let failed = false;
  let room: Room | undefined;
  let closed = false;

  const step = async (name: StepName, run: () => Promise<void>): Promise<void> => {
    let result: StepResult;
    if (failed) {
      result = { name, status: 'skip', ms: 0 };
    } else {
      const started = performance.now();
      try {
        await withTimeout(run(), timeoutMs, name);
        result = { name, status: 'pass', ms: Math.round(performance.now() - started) };
      } catch (error) {
        failed = true;
        const message = describeError(error);
        result = { name, status: 'fail', ms: Math.round(performance.now() - started), error: message };
      }
    }
    steps.push(result);
    options.onStep?.(result);
  };
  const roomId = () => {
    if (!room) throw new Error('no room');
    return room.id;
  };

  try {
    await step('create room', async () => {
      room = await customerHttp.createRoom({
        room_type: 'general',
        subject: `Smoke test ${new Date().toISOString()}`,
      });
    });
    await step('customer connects with a ticket', async () => {
      customer.connect();
      await customer.follow(roomId());
    });
    await step('staff sees the room in the queue', async () => {
      const queue = await staffHttp.activeRooms({ limit: 100 });
      if (!queue.results.some((r) => r.id === roomId())) throw new Error('the room is not in active-rooms');
    });
    await step('staff joins', async () => {
      const joined = await staffHttp.joinRoom(roomId());
      if (joined.staff_ids.length === 0) throw new Error('the room names no staff after the join');
      staff.connect();
      await staff.follow(roomId());
    });
    await step('customer message reaches staff', async () => {
      const content = 'Hello, my order has not arrived (smoke test)';
      const arrived = next(staff, 'message', (m) => m.room_id === roomId() && m.content === content);
      await customer.send(roomId(), content);
      await arrived;
    });
    let reply = 0;
    await step('staff reply reaches customer', async () => {
      const content = 'Sorry about that, let me check (smoke test)';
      const arrived = next(customer, 'message', (m) => m.room_id === roomId() && m.content === content);
      reply = (await staff.send(roomId(), content)).id;
      await arrived;
    });
    await step('typing reaches customer', async () => {
      const arrived = next(
        customer,
        'typing',
        (t) => t.room_id === roomId() && t.role === 'staff' && t.is_typing,
      );
      staff.typing(roomId());
      await arrived;
      staff.stopTyping(roomId());
    });
    await step('read receipt reaches staff', async () => {
      const arrived = next(staff, 'read_receipt', (r) => r.room_id === roomId() && r.message_id === reply);
      customer.markRead(roomId(), reply);
      await arrived;
    });
    await step('close reaches customer', async () => {
      const arrived = next(customer, 'room', (r) => r.room_id === roomId() && r.event === 'closed');
      await staffHttp.closeRoom(roomId());
      closed = true;
      await arrived;
    });
  } finally {
    customer.close();
    staff.close();
    // A room left open by a failed run would stay in every staff member's queue.
    if (room && !closed) await customerHttp.closeRoom(room.id).catch(() => undefined);
  }
  return { ok: steps.every((s) => s.status === 'pass'), steps };
}

/** The next event of `type` that `match` accepts. */
function next<K extends keyof ChatSocketEvents>(
  socket: ChatSocket,
  type: K,
  match: (event: ChatSocketEvents[K]) => boolean,
): Promise<ChatSocketEvents[K]> {
  return new Promise((resolve) => {
    const off = socket.on(type, (event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

function withTimeout<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** An error's message and its causes' (a network error says only which request failed; its cause says why). */
function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message || e.name : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(': ');
}
