import { expect } from 'vitest';
import type { ChatSocket } from '../../client/socket.js';
import type { Message } from '../../client/wire.js';
import type { FaultSchedule } from '../../local/faults.js';
import type { LocalStack } from '../../local/stack.js';
import { eventually, inbox, type TestUser, user } from '../client/support.js';

/** The fault kinds a conversation runs under, each with a share that makes it happen many times. */
export const FAULT_CASES: readonly (readonly [string, string, FaultSchedule])[] = [
  ['500 InternalServerError', 'error', { seed: 42, error: 0.2 }],
  ['ProvisionedThroughputExceededException', 'throttle', { seed: 43, throttle: 0.1 }],
  ['dropped connections', 'drop', { seed: 44, drop: 0.1 }],
  ['writes applied, answers lost', 'lost', { seed: 45, lost: 0.1 }],
  ['latency', 'latency', { seed: 46, latencyMs: 40 }],
  ['all of them', 'mixed', { seed: 47, error: 0.08, throttle: 0.04, drop: 0.04, lost: 0.04, latencyMs: 15 }],
];

/**
 * Client options for conversations under faults: quick retries and a room check often enough that a
 * message whose push was lost is caught up within the test's patience.
 */
export const CLIENT_OPTIONS = {
  backoff: { baseMs: 50, maxMs: 400 },
  retry: { baseMs: 50, maxMs: 400 },
  ackTimeoutMs: 3_000,
  requestTimeoutMs: 3_000,
  maxAttempts: 10,
  gapCheckMs: 300,
  roomCheckMs: 500,
  // Inside the shortest presence window a test uses (kill.test.ts), so live staff sockets stay online.
  heartbeatMs: 500,
} as const;

export interface Participant {
  readonly user: TestUser;
  readonly socket: ChatSocket;
  /** What the socket delivered, in delivery order. */
  readonly received: Message[];
}

export interface Conversation {
  readonly roomId: string;
  readonly people: readonly Participant[];
  /** Every send's outcome: the stored message the ack carried, or the error it ended with. */
  readonly outcomes: readonly {
    readonly clientMessageId: string;
    readonly acked?: Message;
    readonly error?: unknown;
  }[];
}

/** Opens a room (a customer and a staff member who joined it) with no faults, each following it on a socket. */
export async function openConversation(
  stack: LocalStack,
  tag: string,
): Promise<Omit<Conversation, 'outcomes'>> {
  const [customer, staff] = await Promise.all([
    user(stack, `cust-${tag}`),
    user(stack, `staff-${tag}`, true),
  ]);
  const room = await customer.http.createRoom({ subject: tag });
  await staff.http.joinRoom(room.id);
  const people = [customer, staff].map((person) => {
    const socket = person.socket(CLIENT_OPTIONS);
    const received = inbox(socket);
    socket.connect();
    return { user: person, socket, received };
  });
  await Promise.all(people.map(({ socket }) => socket.follow(room.id, { after: 0 })));
  return { roomId: room.id, people };
}

/** Both sides send `perPerson` messages at once, each socket's in order; resolves when every send has ended. */
export async function talk(
  conversation: Omit<Conversation, 'outcomes'>,
  perPerson: number,
  tag: string,
): Promise<Conversation['outcomes']> {
  const sends = conversation.people.flatMap(({ user: person, socket }) =>
    Array.from({ length: perPerson }, (_, i) => {
      const clientMessageId = `${tag}-${person.userId}-${i}`;
      return socket.send(conversation.roomId, `${person.userId} says ${i}`, clientMessageId).then(
        (acked) => ({ clientMessageId, acked }),
        (error: unknown) => ({ clientMessageId, error }),
      );
    }),
  );
  return Promise.all(sends);
}

/** The room's stored history, read without faults. */
export async function storedHistory(conversation: Pick<Conversation, 'roomId' | 'people'>) {
  const reader = conversation.people[0]?.user;
  if (!reader) throw new Error('no participant');
  return reader.http.messagesAfter(conversation.roomId, 0);
}

/**
 * The facts that must hold whatever failed: no acked message lost, none stored twice, and every client
 * delivers the stored history, each message once, in id order.
 */
export async function expectConverged(conversation: Conversation): Promise<Message[]> {
  // Read again until it holds: a handler that was still running when the faults stopped may store late.
  return eventually(async () => {
    const stored = await storedHistory(conversation);
    const byClientId = new Map<string, Message[]>();
    for (const message of stored) {
      const key = message.client_message_id ?? '';
      byClientId.set(key, [...(byClientId.get(key) ?? []), message]);
    }
    // None stored twice.
    expect([...byClientId.values()].filter((copies) => copies.length > 1)).toEqual([]);
    // No acked message lost, and stored as its ack said.
    for (const { clientMessageId, acked } of conversation.outcomes) {
      if (acked) expect(byClientId.get(clientMessageId)).toEqual([acked]);
    }
    const ids = stored.map((m) => m.id);
    expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
    // Every client converges on it: each message once; in id order once ordered by id, as clients show
    // them (delivery order is not id order: frames of one room travel concurrently, as in AWS).
    for (const { received } of conversation.people) {
      const seen = received.map((m) => [m.id, m.client_message_id]);
      expect(seen.sort(([a], [b]) => Number(a) - Number(b))).toEqual(
        stored.map((m) => [m.id, m.client_message_id]),
      );
    }
    return stored;
  }, 15_000);
}
