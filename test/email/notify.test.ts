import { describe, expect, it } from 'vitest';
import { LOCAL_TEAM_ADDRESS } from '../../local/mail.js';
import { verify } from '../sessions/support.js';
import { TestSocket } from '../support/socket.js';
import { api, useCast, useLocalStack } from '../support/stack.js';
import { openRoom, say, tableOf } from './support.js';

// The stream's second consumer (stream/notify): the team hears of rooms opened while nobody is online, and a
// customer with a verified address who is away gets staff replies by email, one per conversation per window.
// One shard and batches cut by flush(), so every count below is exact.

const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 1 } });
const cast = useCast(stack);

const teamMail = () => stack.current.mail.to(LOCAL_TEAM_ADDRESS);
const flush = () => stack.current.stream.flush();

/** A host site's user whose address the identity token vouched for. */
async function verifiedCustomer(sub: string, email: string) {
  const session = await verify(stack.current, sub, undefined, { name: 'Dana Reyes', email });
  return session.token as string;
}

describe('team notices', () => {
  it('emails the team once when a room opens while no staff member is online', async () => {
    const before = teamMail().length;
    const roomId = await openRoom(stack.current, cast.tokens.alice, 'Refund for order 1234');
    await flush();
    const sent = teamMail().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toBe('New chat while nobody is online: Refund for order 1234');
    expect(sent[0]?.text).toContain(`${stack.current.httpUrl}/console.html#/rooms/${roomId}`);
    // The same room changing again (a message, a read) is no new room.
    await say(stack.current, cast.tokens.alice, roomId, 'hello?');
    await flush();
    expect(teamMail()).toHaveLength(before + 1);
  });

  it('tells nobody while a staff member is online', async () => {
    const sam = await cast.open('sam');
    try {
      const before = stack.current.mail.messages().length;
      await openRoom(stack.current, cast.tokens.alice);
      await flush();
      expect(stack.current.mail.messages()).toHaveLength(before);
    } finally {
      await sam.close();
    }
  });

  it('tells of the rooms of one batch in one notice', async () => {
    const before = teamMail().length;
    await openRoom(stack.current, cast.tokens.alice, 'First');
    await openRoom(stack.current, cast.tokens.carol, 'Second');
    await flush();
    const sent = teamMail().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toBe('2 new chats while nobody is online');
    expect(sent[0]?.text).toContain('First');
    expect(sent[0]?.text).toContain('Second');
  });

  it('sends a notice whose send failed with the batch retry, and only once', async () => {
    const before = teamMail().length;
    const failed = stack.current.stream.stats().failedInvocations;
    // The SDK tries three times: all three fail, so the invocation fails and the mapping retries the batch.
    stack.current.mail.failNext(3);
    await openRoom(stack.current, cast.tokens.alice, 'Retried');
    await flush();
    expect(stack.current.stream.stats().failedInvocations).toBe(failed + 1);
    expect(
      teamMail()
        .slice(before)
        .map((mail) => mail.subject),
    ).toEqual(['New chat while nobody is online: Retried']);
  });
});

describe('staff replies by email', () => {
  it('emails a reply to a verified customer who is not connected: exactly what is meant for them', async () => {
    const dana = await verifiedCustomer('dana-1', 'dana@example.com');
    const roomId = await openRoom(stack.current, dana, 'Parcel');
    await say(stack.current, dana, roomId, 'My card ending 4242 was charged twice');
    await flush();
    const before = stack.current.mail.to('dana@example.com').length;
    await say(stack.current, cast.tokens.sam, roomId, 'Sorry about that, refund on its way.');
    await flush();
    const sent = stack.current.mail.to('dana@example.com').slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toBe('Support replied to your conversation about "Parcel"');
    // The whole text, so nothing else rides along: no staff id, no other message, no room internals.
    expect(sent[0]?.text).toBe(
      [
        'Support replied about "Parcel":',
        '',
        'Sorry about that, refund on its way.',
        '',
        `Continue the conversation: ${stack.current.httpUrl}/widget.html?room=${roomId}`,
        '',
        'You get at most one email per conversation every 5 minutes, and none while the chat is open.',
        '',
      ].join('\n'),
    );
    expect(sent[0]?.from).toBe('support@live-chat.local.invalid');
  });

  it('names the staff member who replied, by their display name', async () => {
    const dana = await verifiedCustomer('dana-2', 'dana2@example.com');
    const roomId = await openRoom(stack.current, dana, 'Sizes');
    expect((await api(stack.current, cast.tokens.tess).post('/profile/', { name: 'Tess' })).status).toBe(200);
    await say(stack.current, cast.tokens.tess, roomId, 'We have it in M.');
    await flush();
    expect(stack.current.mail.to('dana2@example.com').map((mail) => mail.subject)).toEqual([
      'Tess replied to your conversation about "Sizes"',
    ]);
  });

  it('sends at most one email per conversation per window, whatever the replies', async () => {
    const dana = await verifiedCustomer('dana-3', 'dana3@example.com');
    const roomId = await openRoom(stack.current, dana);
    for (const reply of ['One', 'Two', 'Three']) {
      await say(stack.current, cast.tokens.sam, roomId, reply);
      await flush();
    }
    expect(stack.current.mail.to('dana3@example.com').map((mail) => mail.text.split('\n')[2])).toEqual([
      'One',
    ]);
    // Another conversation of hers has a window of its own.
    const other = await openRoom(stack.current, dana, 'Other');
    await say(stack.current, cast.tokens.sam, other, 'Elsewhere');
    await flush();
    expect(stack.current.mail.to('dana3@example.com')).toHaveLength(2);
    // Once the window has gone by, the next reply is emailed again.
    await tableOf(stack.current).expireReplyWindow(roomId);
    await say(stack.current, cast.tokens.sam, roomId, 'Four');
    await flush();
    expect(stack.current.mail.to('dana3@example.com').map((mail) => mail.text.split('\n')[2])).toEqual([
      'One',
      'Elsewhere',
      'Four',
    ]);
  });

  it('emails a customer who follows the room on a live socket nothing, and once they are gone, the reply', async () => {
    const dana = await verifiedCustomer('dana-4', 'dana4@example.com');
    const roomId = await openRoom(stack.current, dana);
    const socket = await TestSocket.open(stack.current, { token: dana, room_id: roomId });
    await say(stack.current, cast.tokens.sam, roomId, 'Are you there?');
    await socket.next('message', (data) => data.content === 'Are you there?');
    await flush();
    expect(stack.current.mail.to('dana4@example.com')).toHaveLength(0);
    await socket.close();
    await say(stack.current, cast.tokens.sam, roomId, 'I will email you then.');
    await flush();
    expect(stack.current.mail.to('dana4@example.com').map((mail) => mail.text.split('\n')[2])).toEqual([
      'I will email you then.',
    ]);
  });

  it('emails nobody whose address is not verified: self-asserted, or a guest who never confirmed', async () => {
    const before = stack.current.mail.messages().filter((mail) => mail.via === 'ses').length;
    expect(
      (await api(stack.current, cast.tokens.carol).post('/profile/', { email: 'carol@example.com' })).status,
    ).toBe(200);
    const roomId = await openRoom(stack.current, cast.tokens.carol);
    await flush();
    await say(stack.current, cast.tokens.sam, roomId, 'Hello Carol');
    await flush();
    expect(stack.current.mail.to('carol@example.com')).toHaveLength(0);
    // Only the team notice of the room went out.
    expect(stack.current.mail.messages().filter((mail) => mail.via === 'ses')).toHaveLength(before + 1);
  });

  it('emails nothing for what is not a new staff message: the customer writing, staff joining or reading', async () => {
    const dana = await verifiedCustomer('dana-5', 'dana5@example.com');
    const roomId = await openRoom(stack.current, dana);
    await say(stack.current, dana, roomId, 'Anyone?');
    const as = api(stack.current, cast.tokens.sam);
    expect((await as.post(`/rooms/${roomId}/join/`)).status).toBe(200);
    expect((await as.post(`/rooms/${roomId}/mark_read/`, {})).status).toBe(200);
    await flush();
    expect(stack.current.mail.to('dana5@example.com')).toHaveLength(0);
    // A reply answered by the customer within the same batch: she is there.
    await say(stack.current, cast.tokens.sam, roomId, 'Yes?');
    await say(stack.current, dana, roomId, 'Great');
    await flush();
    expect(stack.current.mail.to('dana5@example.com')).toHaveLength(0);
  });

  it('never emails a message marked internal, even one that took the newest id', async () => {
    const dana = await verifiedCustomer('dana-7', 'dana7@example.com');
    const roomId = await openRoom(stack.current, dana);
    await say(stack.current, dana, roomId, 'Hello');
    await flush();
    await tableOf(stack.current).putInternalStaffMessage(
      roomId,
      2,
      'Internal: customer is a known fraudster',
    );
    await flush();
    expect(stack.current.mail.to('dana7@example.com')).toHaveLength(0);
    expect(stack.current.mail.messages().some((mail) => mail.text.includes('fraudster'))).toBe(false);
  });

  it('sends a reply whose send failed with the retry, and gives the window back meanwhile', async () => {
    const dana = await verifiedCustomer('dana-6', 'dana6@example.com');
    const roomId = await openRoom(stack.current, dana);
    await flush();
    stack.current.mail.failNext(3);
    await say(stack.current, cast.tokens.sam, roomId, 'Second try');
    await flush();
    expect(stack.current.mail.to('dana6@example.com').map((mail) => mail.text.split('\n')[2])).toEqual([
      'Second try',
    ]);
  });
});

describe('cost', () => {
  /** DynamoDB requests of one flush of the stream (both consumers), by operation. */
  async function flushCost(): Promise<Record<string, number>> {
    stack.current.dynamo.resetStats();
    await flush();
    return stack.current.dynamo.stats();
  }
  /** What the notifications add to a flush: the flush of `reply` less that of a customer's message. */
  const minus = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      [...new Set([...Object.keys(a), ...Object.keys(b)])]
        .map((op) => [op, (a[op] ?? 0) - (b[op] ?? 0)] as const)
        .filter(([, n]) => n !== 0),
    );

  it.each([
    [
      'a verified customer who is away: the reply context, her sockets, the window',
      true,
      { BatchGetItem: 1, Query: 1, PutItem: 1 },
    ],
    ['an unverified customer: the reply context alone', false, { BatchGetItem: 1 }],
  ])('costs a staff reply to %s', async (_, verified, cost) => {
    const token = verified
      ? await verifiedCustomer(`cost-${Math.random()}`, `cost-${Date.now()}@example.com`)
      : cast.tokens.carol;
    const roomId = await openRoom(stack.current, token);
    await say(stack.current, token, roomId, 'hi');
    await flush();
    await say(stack.current, token, roomId, 'a customer message');
    const baseline = await flushCost();
    await say(stack.current, cast.tokens.sam, roomId, 'a staff reply');
    expect(minus(await flushCost(), baseline)).toEqual(cost);
  });
});
