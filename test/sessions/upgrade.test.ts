import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, useLocalStack } from '../support/stack.js';
import {
  costOf,
  guestSession,
  identityToken,
  newGuest,
  type SessionBody,
  storeOf,
  verify,
  withLogs,
} from './support.js';

const stack = useLocalStack();

/** A guest's room with two messages of theirs (a sender has read what they sent), over the HTTP API. */
async function guestRoom(guest: SessionBody): Promise<string> {
  const http = api(stack.current, guest.token);
  const opened = await http.post('/rooms/', { subject: 'Where is my order?' });
  expect(opened.status).toBe(201);
  for (const content of ['Hello?', 'Is anyone there?']) {
    expect((await http.post(`/rooms/${opened.body.id}/send_message/`, { content })).status).toBe(201);
  }
  return opened.body.id;
}

async function roomIdsOf(userId: string): Promise<string[]> {
  const page = await storeOf(stack.current).listCustomerRooms(userId, { limit: 100 });
  return page.items.map((room) => room.id);
}

describe('upgrading a guest with an identity token', () => {
  it('moves the guest’s room to the verified user: owner, list, read pointer; messages keep their sender', async () => {
    const guest = await newGuest(stack.current);
    const roomId = await guestRoom(guest);
    const sub = `u-${randomUUID()}`;

    const cost = await costOf(stack.current, async () =>
      guestSession(
        stack.current,
        { identity_token: await identityToken(stack.current, { sub, name: 'Grace Hopper' }) },
        { authorization: `Bearer ${guest.token}` },
      ),
    );
    expect(cost.result.status).toBe(201);
    expect(cost.result.body).toMatchObject({
      user_id: `site_${sub}`,
      kind: 'verified',
      upgraded_from: guest.user_id,
    });
    // The jti and the refresh secret (puts); the verified profile and its name on the user's open rooms (none
    // yet: a query); the link; the guest's rooms (a query), the room item and its list entry; then the moved
    // room shows the verified name (the shown profile, the user's open rooms, one rename).
    expect(cost.dynamodb).toEqual({ PutItem: 2, UpdateItem: 5, Query: 3, GetItem: 1 });
    expect(cost.units).toEqual({ read: 2, write: 7 });
    // The guest's token is verified against the session key, which the container read once already, for the
    // guest's own calls (the local runtime's handlers share one process, as one container).
    expect([cost.sign, cost.publicKey]).toEqual([1, 0]);

    const store = storeOf(stack.current);
    const room = await store.getRoom(roomId);
    expect(room?.customerId).toBe(`site_${sub}`);
    expect(room?.customerName).toBe('Grace Hopper');
    expect(room?.reads).toEqual(new Map([[`site_${sub}`, 2]]));
    expect(await roomIdsOf(`site_${sub}`)).toEqual([roomId]);
    expect(await roomIdsOf(guest.user_id)).toEqual([]);
    const history = await store.listMessages(roomId, { limit: 10 });
    expect(history.items.map((m) => [m.senderId, m.content])).toEqual([
      [guest.user_id, 'Hello?'],
      [guest.user_id, 'Is anyone there?'],
    ]);
    // The guest shows as the verified person: its profile is linked to theirs.
    expect(await store.getProfile(guest.user_id)).toMatchObject({ linkedTo: `site_${sub}` });
    expect(await store.getProfile(`site_${sub}`)).toMatchObject({ name: 'Grace Hopper', verified: true });
  });

  it('is harmless to repeat: a second upgrade of the same guest moves nothing and keeps the owner', async () => {
    const guest = await newGuest(stack.current);
    const roomId = await guestRoom(guest);
    const first = await verify(stack.current, 'repeat', guest.token);
    const second = await verify(stack.current, 'repeat', guest.token);
    expect([first.upgraded_from, second.upgraded_from]).toEqual([guest.user_id, guest.user_id]);
    expect((await storeOf(stack.current).getRoom(roomId))?.customerId).toBe('site_repeat');
    expect(await roomIdsOf('site_repeat')).toEqual([roomId]);
  });

  it('never gives an upgraded guest’s rooms to a second identity', async () => {
    const guest = await newGuest(stack.current);
    const roomId = await guestRoom(guest);
    await verify(stack.current, 'first-owner', guest.token);
    const other = await verify(stack.current, 'second-comer', guest.token);
    expect(other.user_id).toBe('site_second-comer');
    expect(other).not.toHaveProperty('upgraded_from');
    expect((await storeOf(stack.current).getRoom(roomId))?.customerId).toBe('site_first-owner');
    expect(await roomIdsOf('site_second-comer')).toEqual([]);
  });

  it('gives the rooms of a guest upgraded into two identities at once to exactly one of them', async () => {
    const guest = await newGuest(stack.current);
    const rooms = [await guestRoom(guest), await guestRoom(guest)];
    const [left, right] = await Promise.all([
      verify(stack.current, 'race-left', guest.token),
      verify(stack.current, 'race-right', guest.token),
    ]);
    const winners = [left, right].filter((session) => session.upgraded_from === guest.user_id);
    expect(winners).toHaveLength(1);
    const owner = winners[0]?.user_id as string;
    const store = storeOf(stack.current);
    for (const roomId of rooms) expect((await store.getRoom(roomId))?.customerId).toBe(owner);
    expect((await roomIdsOf(owner)).sort()).toEqual([...rooms].sort());
    expect(await roomIdsOf(guest.user_id)).toEqual([]);
  });

  it('moves only the rooms of the guest whose token it is', async () => {
    const [alice, bob] = [await newGuest(stack.current), await newGuest(stack.current)];
    const [aliceRoom, bobRoom] = [await guestRoom(alice), await guestRoom(bob)];
    await verify(stack.current, 'bob-verified', bob.token);
    expect((await storeOf(stack.current).getRoom(aliceRoom))?.customerId).toBe(alice.user_id);
    expect(await roomIdsOf(alice.user_id)).toEqual([aliceRoom]);
    expect(await roomIdsOf('site_bob-verified')).toEqual([bobRoom]);
  });

  it('finishes a move that failed halfway when the upgrade is retried: one owner throughout', async () => {
    const guest = await newGuest(stack.current);
    const roomId = await guestRoom(guest);
    // The list entry's update fails (a write DynamoDB refuses outright), after the room item moved.
    const fault = stack.current.dynamo.injectFault({
      match: (operation, request) =>
        operation === 'UpdateItem' && JSON.stringify(request.Key).includes('"CUSTOMER"'),
      type: 'AccessDeniedException',
    });
    const identity = await identityToken(stack.current, { sub: 'half-moved' });
    const { result: failed, logs } = await withLogs(() =>
      guestSession(stack.current, { identity_token: identity }, { authorization: `Bearer ${guest.token}` }),
    );
    await fault;
    expect(failed.status).toBe(500);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'Unhandled error' }));
    // The room item names its one owner already; its list entry is still the guest's, where a retry looks.
    expect((await storeOf(stack.current).getRoom(roomId))?.customerId).toBe('site_half-moved');
    expect(await roomIdsOf(guest.user_id)).toEqual([roomId]);

    const retried = await verify(stack.current, 'half-moved', guest.token);
    expect(retried.upgraded_from).toBe(guest.user_id);
    expect(await roomIdsOf('site_half-moved')).toEqual([roomId]);
    expect(await roomIdsOf(guest.user_id)).toEqual([]);
  });
});
