import { describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import { ensureDisplayName } from '../../client/profile.js';
import { createDocumentClient, DynamoMeter } from '../../lambdas/storage/client.js';
import { DynamoStore } from '../../lambdas/storage/dynamo-store.js';
import { sessionToken, uniqueId } from '../auth/tokens.js';
import type { Frame, TestSocket } from '../support/socket.js';
import { api, useCast, useLocalStack } from '../support/stack.js';

// Profiles over the local stack's HTTP API, and the customer's name through the table's stream into the
// staff queue. Batches are cut only by a flush, so no stream consumer adds to the counts; one shard.
const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 1 } });
const cast = useCast(stack);
const { as, open } = cast;

let people = 0;
/** A customer of the test's own (an account id: the staff issuer refuses guest_ and site_ ids). */
async function newCustomer() {
  return api(stack.current, await stack.current.issuer.mint({ userId: `customer-${++people}` }));
}

async function queueFollower(): Promise<TestSocket> {
  const socket = await open('sam');
  socket.send({ type: 'subscribe', queue: true });
  await socket.next('room', (d) => d.queue && d.event === 'subscribed');
  return socket;
}

async function flush(socket: TestSocket): Promise<void> {
  await stack.current.stream.flush();
  await socket.roundTrip();
}

const summaryOf = (socket: TestSocket, roomId: string) =>
  socket
    .all('queue')
    .flatMap(
      (frame: Frame) => frame.data.rooms as { id: string; customer_name: string | null; version: number }[],
    )
    .filter((room) => room.id === roomId)
    .at(-1);

describe('GET and POST /api/chat/profile/', () => {
  it('answers an empty profile for someone who never set one, without writing', async () => {
    const customer = await newCustomer();
    stack.current.dynamo.resetStats();
    const response = await customer.get('/profile/');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      user_id: `customer-${people}`,
      kind: 'account',
      name: null,
      email: null,
      verified: false,
      email_confirmed: false,
    });
    expect(stack.current.dynamo.stats()).toEqual({ GetItem: 1 });
  });

  it('sets the name (trimmed) and email, each on its own, and reads them back', async () => {
    const customer = await newCustomer();
    const named = await customer.post('/profile/', { name: '  Ada Lovelace ' });
    expect(named.status).toBe(200);
    expect(named.body).toMatchObject({ name: 'Ada Lovelace', email: null, verified: false });
    const mailed = await customer.post('/profile', { email: 'ada@example.com' });
    expect(mailed.body).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
    expect((await customer.get('/profile/')).body).toEqual(mailed.body);
    // Nothing to change: the profile as it is.
    expect((await customer.post('/profile/', {})).body).toEqual(mailed.body);
  });

  it('takes 80 characters as people count them (emoji included), and staff set theirs the same way', async () => {
    const name = `${'😀'.repeat(40)}${'é'.repeat(40)}`;
    expect((await (await newCustomer()).post('/profile/', { name })).body.name).toBe(name);
    expect((await as('tess').post('/profile/', { name: 'Tess from Support' })).body).toMatchObject({
      user_id: 'tess',
      kind: 'account',
      name: 'Tess from Support',
    });
  });

  it.each([
    ['an empty name', { name: '' }, 'name', 'name must not be empty'],
    ['a blank name', { name: ' \u200b ' }, 'name', 'name must not be empty'],
    ['81 characters', { name: 'a'.repeat(81) }, 'name', 'name must be at most 80 characters'],
    ['a control character', { name: 'Ada\u0007' }, 'name', 'name must not contain control characters'],
    ['a new line inside', { name: 'Ada\nLovelace' }, 'name', 'name must not contain control characters'],
    ['a number', { name: 7 }, 'name', 'name must be a string'],
    ['a lone surrogate', { name: 'Ada \ud800' }, 'name', 'name must be valid Unicode text'],
    [
      'an email without @',
      { email: 'ada.example.com' },
      'email',
      'email must be an address such as name@example.com',
    ],
    ['an email with two @', { email: 'a@b@c' }, 'email', 'email must be an address such as name@example.com'],
    [
      'an email with a space',
      { email: 'a b@c.d' },
      'email',
      'email must be an address such as name@example.com',
    ],
    [
      'a 255-character email',
      { email: `${'a'.repeat(243)}@example.com` },
      'email',
      'email must be at most 254 characters',
    ],
  ])('refuses %s with a typed 400', async (_, body, field, message) => {
    const customer = await newCustomer();
    const response = await customer.post('/profile/', body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: { code: 'invalid_request', message, details: [{ field, message }] },
    });
    expect((await customer.get('/profile/')).body.name).toBeNull();
  });

  it('refuses a body that is not JSON', async () => {
    const response = await api(stack.current, cast.tokens.alice).postRaw('/profile/', '{"name":');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_json');
  });

  it('refuses a request without a token', async () => {
    expect((await api(stack.current).get('/profile/')).status).toBe(401);
    expect((await api(stack.current).post('/profile/', { name: 'x' })).status).toBe(401);
  });
});

describe('Profiles of session users (guests and a host site’s verified users)', () => {
  /** The verified profile an identity exchange writes (the sessions helper's endpoint), through the store. */
  const verify = (userId: string, fields: { name?: string; email?: string }) =>
    new DynamoStore(createDocumentClient(new DynamoMeter()), {
      tableName: stack.current.tableName,
      openRoomShards: 1,
    }).putVerifiedProfile(userId, fields, new Date().toISOString());

  it('answers a guest’s own profile as a guest’s, and takes the name a pre-chat form sends', async () => {
    const guestId = uniqueId('guest_');
    const guest = api(stack.current, await sessionToken(stack.current, guestId, 'guest'));
    expect((await guest.get('/profile/')).body).toEqual({
      user_id: guestId,
      kind: 'guest',
      name: null,
      email: null,
      verified: false,
      email_confirmed: false,
    });
    expect((await guest.post('/profile/', { name: 'Visitor', email: 'v@example.com' })).body).toMatchObject({
      kind: 'guest',
      name: 'Visitor',
      verified: false,
    });
    const room = (await guest.post('/rooms/', { page_url: 'https://shop.example.com/' })).body;
    expect(room.customer_name).toBe('Visitor');
    expect((await as('sam').get(`/rooms/${room.id}/`)).body.customer).toEqual({
      user_id: guestId,
      name: 'Visitor',
      email: 'v@example.com',
      kind: 'guest',
      verified: false,
      verified_fields: [],
      email_confirmed: false,
      page_url: 'https://shop.example.com/',
    });
  });

  it('refuses a verified user’s change of what the identity token said with 409 profile_verified', async () => {
    const siteId = uniqueId('site_');
    await verify(siteId, { name: 'Grace Hopper' });
    const user = api(stack.current, await sessionToken(stack.current, siteId, 'verified'));
    const refused = await user.post('/profile/', { name: 'Amazing Grace' });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: {
        code: 'profile_verified',
        message: 'The name came from your sign-in on the website and cannot be changed here',
      },
    });
    // The same name again, with an email the token did not carry: taken.
    const taken = await user.post('/profile/', { name: 'Grace Hopper', email: 'grace@example.com' });
    expect(taken.status).toBe(200);
    expect(taken.body).toEqual({
      user_id: siteId,
      kind: 'verified',
      name: 'Grace Hopper',
      email: 'grace@example.com',
      verified: true,
      email_confirmed: false,
    });
    const room = (await user.post('/rooms/', {})).body;
    expect((await as('sam').get(`/rooms/${room.id}/`)).body.customer).toMatchObject({
      name: 'Grace Hopper',
      kind: 'verified',
      verified: true,
    });
  });
});

describe('ensureDisplayName (what the console and the widget page call after sign-in)', () => {
  const client = async (userId: string) => {
    const token = await stack.current.issuer.mint({ userId });
    return new ChatHttp({ baseUrl: stack.current.httpUrl, getToken: () => token });
  };

  it('names a profile without a name, trimmed and cut to 80 characters, control characters as spaces', async () => {
    const http = await client(`named-${++people}`);
    const long = `  Dr.\tJane ${'Q'.repeat(100)}`;
    expect((await ensureDisplayName(http, long, 'x')).name).toBe(`Dr. Jane ${'Q'.repeat(71)}`);
  });

  it('keeps a name the profile has, and stores no user id or blank as a name', async () => {
    const userId = `kept-${++people}`;
    const http = await client(userId);
    expect((await ensureDisplayName(http, userId, userId)).name).toBeNull();
    expect((await ensureDisplayName(http, '   ', userId)).name).toBeNull();
    await http.updateProfile({ name: 'Chosen Name' });
    stack.current.dynamo.resetStats();
    expect((await ensureDisplayName(http, 'jane@example.com', userId)).name).toBe('Chosen Name');
    expect(stack.current.dynamo.stats()).toEqual({ GetItem: 1 });
  });
});

describe('Names and context on rooms', () => {
  it('opens a room under the customer’s name, and keeps the page URL beside it for staff and the owner', async () => {
    const customer = await newCustomer();
    const userId = `customer-${people}`;
    await customer.post('/profile/', { name: 'Grace Hopper', email: 'grace@example.com' });
    const pageUrl = 'https://shop.example.com/orders/42?tab=tracking#parcel';
    const created = await customer.post('/rooms/', { subject: 'Parcel', page_url: pageUrl });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ customer_id: userId, customer_name: 'Grace Hopper' });
    await as('sam').post(`/rooms/${created.body.id}/join/`);
    for (const who of [customer, api(stack.current, cast.tokens.sam)]) {
      const detail = await who.get(`/rooms/${created.body.id}/`);
      expect(detail.body.customer).toEqual({
        user_id: userId,
        name: 'Grace Hopper',
        email: 'grace@example.com',
        kind: 'account',
        verified: false,
        verified_fields: [],
        email_confirmed: false,
        page_url: pageUrl,
      });
      expect(detail.body.customer_name).toBe('Grace Hopper');
      expect(
        detail.body.members.map((m: { user_id: string; name: string | null }) => [m.user_id, m.name]),
      ).toEqual([
        [userId, 'Grace Hopper'],
        ['sam', null],
      ]);
    }
    // Another customer still finds no such room.
    expect((await as('carol').get(`/rooms/${created.body.id}/`)).status).toBe(404);
  });

  it('shows a staff member by the name of their profile', async () => {
    await as('sam').post('/profile/', { name: 'Sam Support' });
    const customer = await newCustomer();
    const room = (await customer.post('/rooms/', {})).body.id;
    await as('sam').post(`/rooms/${room}/send_message/`, { content: 'Hello' });
    const detail = await customer.get(`/rooms/${room}/`);
    expect(detail.body.members[1]).toMatchObject({ user_id: 'sam', role: 'staff', name: 'Sam Support' });
    expect(detail.body.customer).toMatchObject({ name: null, email: null, page_url: null });
  });

  it.each([
    ['a relative URL', '/orders/42'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a data: URL', 'data:text/html,<b>x</b>'],
    ['an ftp URL', 'ftp://example.com/file'],
    ['a URL with a space', 'https://example.com/a b'],
    ['a URL with a new line', 'https://example.com/a\nb'],
    ['a URL of 2049 characters', `https://example.com/${'a'.repeat(2029)}`],
    ['a number', 42],
  ])('refuses a page_url that is %s with a typed 400', async (_, pageUrl) => {
    const response = await (await newCustomer()).post('/rooms/', { page_url: pageUrl });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'page_url' }] });
  });

  it('takes an http URL of exactly 2048 characters', async () => {
    const pageUrl = `http://example.com/${'a'.repeat(2029)}`;
    expect(pageUrl).toHaveLength(2048);
    const customer = await newCustomer();
    const room = (await customer.post('/rooms/', { page_url: pageUrl })).body.id;
    expect((await customer.get(`/rooms/${room}/`)).body.customer.page_url).toBe(pageUrl);
  });

  it('carries the customer’s name, and a new one, into the staff queue through the stream', async () => {
    const console = await queueFollower();
    const customer = await newCustomer();
    await customer.post('/profile/', { name: 'Ada' });
    const [open1, open2, closed] = [
      (await customer.post('/rooms/', { subject: 'one' })).body,
      (await customer.post('/rooms/', { subject: 'two' })).body,
      (await customer.post('/rooms/', { subject: 'three' })).body,
    ];
    await customer.post(`/rooms/${closed.id}/close/`);
    await flush(console);
    expect(summaryOf(console, open1.id)).toMatchObject({ customer_name: 'Ada', version: 1 });

    stack.current.dynamo.resetStats();
    const renamed = await customer.post('/profile/', { name: 'Ada Lovelace' });
    expect(renamed.status).toBe(200);
    // The profile; the customer's open rooms (gsi1); each open room, a new version of it.
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 3, Query: 1 });
    await flush(console);
    expect(summaryOf(console, open1.id)).toMatchObject({ customer_name: 'Ada Lovelace', version: 2 });
    expect(summaryOf(console, open2.id)).toMatchObject({ customer_name: 'Ada Lovelace', version: 2 });
    expect(summaryOf(console, closed.id)).toMatchObject({ customer_name: 'Ada', status: 'closed' });
    expect((await customer.get(`/rooms/${closed.id}/`)).body.customer_name).toBe('Ada');

    // The same name again changes no room (each refused by its condition), and the queue hears nothing.
    const frames = console.all('queue').length;
    stack.current.dynamo.resetStats();
    await customer.post('/profile/', { name: 'Ada Lovelace' });
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 3, Query: 1 });
    await flush(console);
    expect(console.all('queue')).toHaveLength(frames);
    await console.close();
  });

  it('keeps a long name whole in the profile and the room detail, and clipped in the room item', async () => {
    const customer = await newCustomer();
    const name = `Maximilian ${'von '.repeat(17)}Name`.slice(0, 80);
    await customer.post('/profile/', { name });
    const room = (await customer.post('/rooms/', {})).body;
    expect(room.customer_name).toBe(`${name.slice(0, 45).trimEnd()}…`);
    expect((await customer.get(`/rooms/${room.id}/`)).body.customer.name).toBe(name);
  });
});

describe('Cost per request with names', () => {
  it('opens a room with one more read (the profile), and one more write with a page URL', async () => {
    const customer = await newCustomer();
    await customer.post('/profile/', { name: 'Counted' });
    stack.current.dynamo.resetStats();
    await customer.post('/rooms/', {});
    // Before profiles: the limit, the customer's entry and the room ({UpdateItem: 1, PutItem: 2}, 3 write units).
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 1, GetItem: 1, PutItem: 2 });
    expect(stack.current.dynamo.units()).toEqual({ read: 1, write: 3 });
    stack.current.dynamo.resetStats();
    await customer.post('/rooms/', { page_url: 'https://shop.example.com/checkout' });
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 1, GetItem: 1, PutItem: 3 });
    expect(stack.current.dynamo.units()).toEqual({ read: 1, write: 4 });
  });

  it('sends a message in a room with the longest name at the cost it had: the room item is still one unit', async () => {
    const customer = await newCustomer();
    await customer.post('/profile/', { name: 'W'.repeat(80) });
    const room = (await customer.post('/rooms/', {})).body.id;
    stack.current.dynamo.resetStats();
    // A preview as long as a preview gets (160 bytes) beside the longest name the room keeps (48 bytes).
    const content = 'é'.repeat(300);
    expect((await customer.post(`/rooms/${room}/send_message/`, { content })).status).toBe(201);
    // As test/http/api.test.ts counts it for a room without a name: the room, the sender's limit, the message
    // and the room's sockets, one write unit each.
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 2, PutItem: 1, Query: 1 });
    expect(stack.current.dynamo.units()).toEqual({ read: 0, write: 3 });
  });

  it('reads a room’s people and context in one BatchGetItem beside the room and the presence Queries', async () => {
    const customer = await newCustomer();
    await customer.post('/profile/', { name: 'Counted' });
    const room = (await customer.post('/rooms/', { page_url: 'https://shop.example.com/' })).body.id;
    await as('sam').post(`/rooms/${room}/join/`);
    await as('tess').post(`/rooms/${room}/join/`);
    stack.current.dynamo.resetStats();
    await as('sam').get(`/rooms/${room}/`);
    // Before profiles: {GetItem: 1, Query: 3} (the room; each member's presence).
    expect(stack.current.dynamo.stats()).toEqual({ GetItem: 1, BatchGetItem: 1, Query: 3 });
    expect(stack.current.dynamo.units()).toEqual({ read: 3, write: 0 });
  });
});
