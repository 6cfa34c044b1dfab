import { beforeAll, describe, expect, it } from 'vitest';
import { BAD_TOKENS } from '../support/bad-tokens.js';
import { api, people, useLocalStack } from '../support/stack.js';

// The stream's batches are cut only by a flush (none here), so its consumer never adds to the counts.
const stack = useLocalStack({ stream: { batchWindowMs: 'manual' } });
let tokens: Awaited<ReturnType<typeof people>>;

beforeAll(async () => {
  tokens = await people(stack.current);
});

const as = (who: keyof typeof tokens) => api(stack.current, tokens[who]);

async function openRoom(subject = 'Help needed'): Promise<string> {
  const response = await as('alice').post('/rooms/', { room_type: 'general', subject });
  expect(response.status).toBe(201);
  return response.body.id;
}

describe('HTTP API authentication', () => {
  // `function` routes (rooms) verify the token themselves and answer the typed error; `jwt` routes
  // (active-rooms) have API Gateway's JWT authorizer, which answers with its own body.
  const unauthorized = {
    error: { code: 'unauthorized', message: 'The bearer token is missing, invalid or expired' },
  };
  const gatewayUnauthorized = { message: 'Unauthorized' };

  it('refuses a request without a token', async () => {
    const response = await api(stack.current).get('/rooms/');
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthorized);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    const staffRoute = await api(stack.current).get('/active-rooms/');
    expect([staffRoute.status, staffRoute.body]).toEqual([401, gatewayUnauthorized]);
  });

  it.each(BAD_TOKENS)('refuses a token %s with 401', async (name, mint) => {
    const token = await mint(stack.current);
    const response = await api(stack.current, token).get('/rooms/');
    expect(response.status).toBe(401);
    expect(response.body).toEqual(unauthorized);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    // API Gateway's authorizer does not require `sub`; the handler refuses a token that names no user.
    const staffRoute = await api(stack.current, token).get('/active-rooms/');
    expect([staffRoute.status, staffRoute.body]).toEqual([
      401,
      name === 'without a subject'
        ? { error: { code: 'unauthorized', message: 'The bearer token is missing, invalid or expired' } }
        : gatewayUnauthorized,
    ]);
  });

  it('accepts a token whose audience is in client_id, like a Cognito access token', async () => {
    const token = await stack.current.issuer.mint({
      userId: 'alice',
      extraClaims: { aud: undefined, client_id: stack.current.issuer.audience, token_use: 'access' },
    });
    expect((await api(stack.current, token).get('/rooms/')).status).toBe(200);
  });
});

describe('HTTP API routing', () => {
  it.each(['/rooms', '/rooms/'])('serves %s with and without the trailing slash', async (path) => {
    expect((await as('alice').get(path)).status).toBe(200);
  });

  it('answers an unknown route like API Gateway', async () => {
    const response = await as('alice').get('/nothing-here/');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Not Found' });
  });

  it('answers CORS preflights', async () => {
    const response = await fetch(`${stack.current.httpUrl}/api/chat/rooms/`, {
      method: 'OPTIONS',
      headers: { origin: 'http://console.test', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('HTTP API access rules', () => {
  // Each case gets its own room owned by alice. carol is another customer, sam is staff.
  const cases: [
    string,
    (room: string) => [method: 'get' | 'post', path: string, body?: unknown],
    Record<string, number>,
  ][] = [
    ['list rooms', () => ['get', '/rooms/'], { alice: 200, carol: 200, sam: 200 }],
    ['create a room', () => ['post', '/rooms/', { subject: 'x' }], { alice: 201, carol: 201, sam: 403 }],
    ['get a room', (r) => ['get', `/rooms/${r}/`], { alice: 200, carol: 404, sam: 200 }],
    ['read history', (r) => ['get', `/rooms/${r}/messages/`], { alice: 200, carol: 404, sam: 200 }],
    ['join', (r) => ['post', `/rooms/${r}/join/`], { alice: 403, carol: 404, sam: 200 }],
    ['leave', (r) => ['post', `/rooms/${r}/leave/`], { alice: 403, carol: 404, sam: 200 }],
    ['close', (r) => ['post', `/rooms/${r}/close/`], { alice: 200, carol: 404, sam: 200 }],
    [
      'send a message',
      (r) => ['post', `/rooms/${r}/send_message/`, { content: 'hi' }],
      { alice: 201, carol: 404, sam: 201 },
    ],
    ['mark read', (r) => ['post', `/rooms/${r}/mark_read/`, {}], { alice: 200, carol: 404, sam: 200 }],
    ['list online staff', () => ['get', '/online-staff/'], { alice: 200, carol: 200, sam: 200 }],
    ['list active rooms', () => ['get', '/active-rooms/'], { alice: 403, carol: 403, sam: 200 }],
    ['get a WebSocket ticket', () => ['post', '/ws-ticket/', {}], { alice: 201, carol: 201, sam: 201 }],
  ];
  const matrix = cases.flatMap(([name, request, expected]) =>
    (['alice', 'carol', 'sam'] as const).map((who) => [name, who, request, expected[who]] as const),
  );

  it.each(matrix)('%s as %s', async (_, who, request, status) => {
    const room = await openRoom();
    const [method, path, body] = request(room);
    const client = as(who);
    const response = method === 'get' ? await client.get(path) : await client.post(path, body);
    expect(response.status).toBe(status);
    if (status === 404)
      expect(response.body).toEqual({ error: { code: 'room_not_found', message: 'Room not found' } });
    if (status === 403) expect(response.body.error.code).toMatch(/^(staff_only|customers_only)$/);
  });

  it('lists only the caller’s own rooms for a customer', async () => {
    const room = await openRoom('mine');
    const mine = await as('alice').get('/rooms/?limit=100');
    const theirs = await as('carol').get('/rooms/?limit=100');
    expect(mine.body.results.map((r: { id: string }) => r.id)).toContain(room);
    expect(theirs.body.results.map((r: { id: string }) => r.id)).not.toContain(room);
  });
});

describe('HTTP API lists', () => {
  it.each([
    ['/rooms/', 'alice', []],
    ['/active-rooms/', 'sam', []],
    // Plus when it was read, to compare with presence frames.
    ['/online-staff/', 'alice', ['checked_at']],
  ] as const)('answers %s as a page with results and next_cursor', async (path, who, extra) => {
    const { body } = await as(who).get(path);
    expect(Object.keys(body).sort()).toEqual([...extra, 'next_cursor', 'results']);
  });
});

describe('HTTP API bad input', () => {
  let room: string;
  beforeAll(async () => {
    room = await openRoom('bad input');
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'the only message' });
  });

  const send = (body: unknown) => as('alice').post(`/rooms/${room}/send_message/`, body);

  it.each([
    ['a number as content', { content: 123 }, 'content'],
    ['no content', {}, 'content'],
    ['empty content', { content: '' }, 'content'],
    ['blank content', { content: ' \n\t ' }, 'content'],
    ['content of zero-width spaces only', { content: '\u200b\u200b' }, 'content'],
    ['content of a zero-width joiner and a byte-order mark only', { content: '\u200d\ufeff' }, 'content'],
    ['content of a NUL only', { content: '\u0000' }, 'content'],
    ['content of control characters only', { content: '\u0007\u001b\u007f\u0085' }, 'content'],
    ['content of format characters only', { content: '\u00ad\u2060\u202e\u2066\u{e0041}' }, 'content'],
    ['content of separators only', { content: '\u00a0\u3000\u2028\u2029' }, 'content'],
    ['content of variation selectors only', { content: '\ufe0f\u{e0100}' }, 'content'],
    ['content of a Hangul filler only', { content: '\u3164' }, 'content'],
    ['4,001 characters', { content: 'x'.repeat(4001) }, 'content'],
    ['a bad client_message_id', { content: 'hi', client_message_id: 'has spaces' }, 'client_message_id'],
    ['a non-string client_message_id', { content: 'hi', client_message_id: 7 }, 'client_message_id'],
  ])('refuses %s with 400 naming the field', async (_, body, field) => {
    const response = await send(body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it.each([
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
  ])('refuses %s as a body', async (_, raw) => {
    const response = await as('alice').postRaw(`/rooms/${room}/send_message/`, raw);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
  });

  it('refuses malformed JSON with invalid_json', async () => {
    const response = await as('alice').postRaw(`/rooms/${room}/send_message/`, '{"content": "hi"');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: { code: 'invalid_json', message: 'Body is not valid JSON' } });
  });

  it('counts characters, not bytes or UTF-16 units', async () => {
    expect((await send({ content: '😀'.repeat(4000) })).status).toBe(201);
    expect((await send({ content: '😀'.repeat(4001) })).status).toBe(400);
  });

  it.each([
    ['room_type with capitals', { room_type: 'General' }],
    ['room_type too long', { room_type: 'a'.repeat(33) }],
    ['a subject of 201 characters', { subject: 's'.repeat(201) }],
    ['a numeric subject', { subject: 5 }],
  ])('refuses a room with %s', async (_, body) => {
    const response = await as('alice').post('/rooms/', body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
  });

  it.each([
    ['limit=0', '?limit=0'],
    ['limit=101', '?limit=101'],
    ['limit=ten', '?limit=ten'],
    ['before and after together', '?before=5&after=1'],
    ['a negative before', '?before=-1'],
  ])('refuses history with %s', async (_, query) => {
    const response = await as('alice').get(`/rooms/${room}/messages/${query}`);
    expect(response.status).toBe(400);
  });

  it.each([
    ['a word', { message_id: 'abc' }, 'invalid_request'],
    ['zero', { message_id: 0 }, 'invalid_request'],
    ['a fraction', { message_id: 1.5 }, 'invalid_request'],
    ['an id past the newest message', { message_id: 999 }, 'message_id_out_of_range'],
  ])('refuses mark_read with %s', async (_, body, code) => {
    const response = await as('alice').post(`/rooms/${room}/mark_read/`, body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
  });

  it.each([
    ['1e308', '{"message_id": 1e308}'],
    ['2^53 + 1', '{"message_id": 9007199254740993}'],
    ['2^53', '{"message_id": 9007199254740992}'],
  ])('refuses mark_read with message_id %s as a number it cannot hold exactly', async (_, raw) => {
    const response = await as('alice').postRaw(`/rooms/${room}/mark_read/`, raw);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'invalid_request',
      details: [{ field: 'message_id', message: 'message_id must be a whole number below 2^53' }],
    });
  });

  const cursor = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
  it.each([
    ['not JSON', 'bm90LWEta2V5'],
    [
      'a key of another customer',
      cursor({ pk: 'ROOM#x', sk: 'ROOM', gsi1pk: 'CUSTOMER#carol', gsi1sk: 'a' }),
    ],
    ['a key with attributes missing', cursor({ gsi1pk: 'CUSTOMER#alice' })],
    ['a key with wrong types', cursor({ pk: 1, sk: 'ROOM', gsi1pk: 'CUSTOMER#alice', gsi1sk: 'a' })],
    [
      'a key with extra attributes',
      cursor({ pk: 'a', sk: 'b', gsi1pk: 'CUSTOMER#alice', gsi1sk: 'c', seq: 'd' }),
    ],
  ])('refuses a cursor that is %s', async (_, value) => {
    const response = await as('alice').get(`/rooms/?cursor=${value}`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_cursor');
  });

  it('refuses content that is not valid Unicode text', async () => {
    const response = await as('alice').postRaw(
      `/rooms/${room}/send_message/`,
      '{"content": "broken \\ud800 text"}',
    );
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toBe('content');
  });

  it.each([
    ['a lone high surrogate', '{"subject": "broken \\ud800 subject"}'],
    ['a lone low surrogate', '{"subject": "\\udc00"}'],
  ])('refuses a subject with %s and stores no room', async (_, raw) => {
    const before = (await as('alice').get('/rooms/?limit=100')).body.results.length;
    const response = await as('alice').postRaw('/rooms/', raw);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'invalid_request',
      details: [{ field: 'subject', message: 'subject must be valid Unicode text' }],
    });
    expect((await as('alice').get('/rooms/?limit=100')).body.results).toHaveLength(before);
  });

  it('refuses content with a lone low surrogate', async () => {
    const response = await as('alice').postRaw(`/rooms/${room}/send_message/`, '{"content": "\\udc00 text"}');
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      { field: 'content', message: 'content must be valid Unicode text' },
    ]);
  });

  it('refuses a path with broken percent-encoding', async () => {
    expect((await as('alice').get('/rooms/%E0%A4%A/')).status).toBe(400);
  });

  it.each(['00000000-0000-4000-8000-000000000000', 'not-a-room-id', '..%2F..%2Fetc'])(
    'answers 404 for room %s',
    async (id) => {
      const response = await as('sam').get(`/rooms/${id}/`);
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('room_not_found');
    },
  );

  it('stored nothing for any refused request', async () => {
    const history = await as('alice').get(`/rooms/${room}/messages/?limit=100`);
    expect(history.body.results.map((m: { content: string }) => m.content.slice(0, 16))).toEqual([
      'the only message',
      '😀'.repeat(4000).slice(0, 16),
    ]);
  });

  it('refuses a message to a closed room with 409 and keeps its history', async () => {
    const closed = await openRoom('to close');
    await as('alice').post(`/rooms/${closed}/send_message/`, { content: 'before closing' });
    expect((await as('sam').post(`/rooms/${closed}/close/`)).body.status).toBe('closed');
    const refused = await as('alice').post(`/rooms/${closed}/send_message/`, { content: 'too late' });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: { code: 'room_closed', message: 'The room is closed' } });
    expect((await as('sam').post(`/rooms/${closed}/join/`)).status).toBe(409);
    const history = await as('alice').get(`/rooms/${closed}/messages/`);
    expect(history.body.results.map((m: { content: string }) => m.content)).toEqual(['before closing']);
    expect(history.body.results[0].id).toBe(1);
  });
});

describe('HTTP API visible content', () => {
  it.each([
    ['a family emoji (a ZWJ sequence)', '👨‍👩‍👧'],
    ['a heart with its variation selector', '❤️'],
    ['a rainbow flag', '🏳️‍🌈'],
    ['a keycap', '1️⃣'],
    ['text with a zero-width joiner inside', 'a\u200db'],
    ['a letter with a combining mark', 'e\u0301'],
  ])('stores %s exactly as sent', async (_, content) => {
    const room = await openRoom('visible');
    const response = await as('alice').post(`/rooms/${room}/send_message/`, { content });
    expect(response.status).toBe(201);
    expect(response.body.content).toBe(content);
    const history = await as('alice').get(`/rooms/${room}/messages/`);
    expect(history.body.results.map((m: { content: string }) => m.content)).toEqual([content]);
  });
});

describe('HTTP API user ids that name Object.prototype members', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'keeps rooms, read pointers and unread counts right for customer %s',
    async (userId) => {
      const customer = api(stack.current, await stack.current.issuer.mint({ userId }));
      const created = await customer.post('/rooms/', { subject: `I am ${userId}` });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ customer_id: userId, unread_count: 0, last_message_id: 0 });
      const room = created.body.id;
      for (const content of ['one', 'two', 'three']) {
        expect((await as('sam').post(`/rooms/${room}/send_message/`, { content })).status).toBe(201);
      }
      const listed = (await customer.get('/rooms/')).body.results.find((r: { id: string }) => r.id === room);
      expect(listed).toMatchObject({ customer_id: userId, unread_count: 3 });
      expect((await customer.post(`/rooms/${room}/mark_read/`, { message_id: 1 })).body).toEqual({
        room_id: room,
        user_id: userId,
        last_read: 1,
        unread_count: 2,
      });
      const detail = await customer.get(`/rooms/${room}/`);
      expect(detail.status).toBe(200);
      expect(detail.body.unread_count).toBe(2);
      expect(detail.body.members).toEqual([
        { user_id: userId, role: 'customer', last_read: 1, is_online: false, name: null },
        { user_id: 'sam', role: 'staff', last_read: 3, is_online: false, name: null },
      ]);
      expect((await customer.post(`/rooms/${room}/send_message/`, { content: 'mine' })).status).toBe(201);
      expect((await customer.get(`/rooms/${room}/`)).body).toMatchObject({
        last_message_id: 4,
        unread_count: 0,
      });
    },
  );

  it.each(['__proto__', 'constructor', 'toString'])(
    'keeps read pointers and unread counts right for staff %s',
    async (userId) => {
      const staff = api(stack.current, await stack.current.issuer.mint({ userId, staff: true }));
      const room = await openRoom(`for staff ${userId}`);
      await as('alice').post(`/rooms/${room}/send_message/`, { content: 'hello?' });
      // Not a member yet: no read pointer of their own, so everything is unread.
      expect((await staff.get(`/rooms/${room}/`)).body).toMatchObject({ unread_count: 1 });
      const queue = (await staff.get('/active-rooms/?limit=100')).body.results;
      expect(queue.find((r: { id: string }) => r.id === room)).toMatchObject({ unread_count: 1 });
      const joined = await staff.post(`/rooms/${room}/join/`);
      expect(joined.status).toBe(200);
      expect(joined.body).toMatchObject({ staff_ids: [userId], unread_count: 1 });
      expect((await staff.post(`/rooms/${room}/send_message/`, { content: 'hi' })).status).toBe(201);
      expect((await staff.get(`/rooms/${room}/`)).body).toMatchObject({ unread_count: 0 });
      expect((await as('alice').get(`/rooms/${room}/`)).body).toMatchObject({ unread_count: 1 });
      const listed = (await staff.get('/rooms/')).body.results.map((r: { id: string }) => r.id);
      expect(listed).toContain(room);
    },
  );
});

describe('HTTP API messages', () => {
  it('gives concurrent sends distinct, gap-free ids', async () => {
    const room = await openRoom('burst');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        as('alice').post(`/rooms/${room}/send_message/`, {
          content: `m${i}`,
          client_message_id: `burst-${i}`,
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(responses.map((r) => r.body.id).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const history = await as('alice').get(`/rooms/${room}/messages/?limit=100`);
    expect(history.body.results.map((m: { id: number }) => m.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('returns the stored message for a resend with the same client_message_id', async () => {
    const room = await openRoom('resend');
    const first = await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'once',
      client_message_id: 'r-1',
    });
    const again = await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'once',
      client_message_id: 'r-1',
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(first.body).toMatchObject({
      id: 1,
      room_id: room,
      sender_id: 'alice',
      sender_role: 'customer',
      content: 'once',
      client_message_id: 'r-1',
    });
    expect((await as('alice').get(`/rooms/${room}/messages/`)).body.results).toHaveLength(1);
  });

  it('pages history backwards with before and forwards with after', async () => {
    const room = await openRoom('pages');
    for (let i = 1; i <= 12; i++)
      await as('alice').post(`/rooms/${room}/send_message/`, { content: `n${i}` });
    const ids = (r: { body: { results: { id: number }[] } }) => r.body.results.map((m) => m.id);
    const latest = await as('sam').get(`/rooms/${room}/messages/?limit=5`);
    expect([ids(latest), latest.body.has_more]).toEqual([[8, 9, 10, 11, 12], true]);
    const older = await as('sam').get(`/rooms/${room}/messages/?limit=5&before=8`);
    expect([ids(older), older.body.has_more]).toEqual([[3, 4, 5, 6, 7], true]);
    const oldest = await as('sam').get(`/rooms/${room}/messages/?limit=5&before=3`);
    expect([ids(oldest), oldest.body.has_more]).toEqual([[1, 2], false]);
    const newer = await as('sam').get(`/rooms/${room}/messages/?limit=5&after=5`);
    expect([ids(newer), newer.body.has_more]).toEqual([[6, 7, 8, 9, 10], true]);
    const newest = await as('sam').get(`/rooms/${room}/messages/?limit=5&after=10`);
    expect([ids(newest), newest.body.has_more]).toEqual([[11, 12], false]);
  });

  it('counts unread messages from read pointers', async () => {
    const room = await openRoom('unread');
    for (const content of ['a', 'b', 'c'])
      await as('alice').post(`/rooms/${room}/send_message/`, { content });
    const queue = await as('sam').get('/active-rooms/?limit=100');
    const entry = queue.body.results.find((r: { id: string }) => r.id === room);
    expect(entry).toMatchObject({
      unread_count: 3,
      last_message_id: 3,
      last_message: { preview: 'c', sender_id: 'alice' },
    });
    expect((await as('alice').get(`/rooms/${room}/`)).body.unread_count).toBe(0);
    expect((await as('sam').post(`/rooms/${room}/mark_read/`, { message_id: 2 })).body).toEqual({
      room_id: room,
      user_id: 'sam',
      last_read: 2,
      unread_count: 1,
    });
    await as('sam').post(`/rooms/${room}/send_message/`, { content: 'hello from staff' });
    const detail = await as('alice').get(`/rooms/${room}/`);
    expect(detail.body.unread_count).toBe(1);
    expect(detail.body.staff_ids).toEqual(['sam']);
    expect(detail.body.members).toEqual([
      { user_id: 'alice', role: 'customer', last_read: 3, is_online: false, name: null },
      { user_id: 'sam', role: 'staff', last_read: 4, is_online: false, name: null },
    ]);
  });

  it('lists rooms page by page with a cursor', async () => {
    const dora = await stack.current.issuer.mint({ userId: 'dora' });
    const created: string[] = [];
    for (let i = 0; i < 5; i++)
      created.push((await api(stack.current, dora).post('/rooms/', { subject: `${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { results: { id: string }[]; next_cursor: string | null } } = await api(
        stack.current,
        dora,
      ).get(`/rooms/?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.results.map((r) => r.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
  });

  it('treats repeated joins, reads, leaves and closes as no change', async () => {
    const room = await openRoom('repeat');
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'one' });
    expect((await as('sam').post(`/rooms/${room}/join/`)).status).toBe(200);
    const again = await as('sam').post(`/rooms/${room}/join/`);
    expect([again.status, again.body.staff_ids]).toEqual([200, ['sam']]);
    expect((await as('alice').post(`/rooms/${room}/mark_read/`, { message_id: 1 })).body.last_read).toBe(1);
    expect((await as('alice').post(`/rooms/${room}/mark_read/`, { message_id: 1 })).body).toEqual({
      room_id: room,
      user_id: 'alice',
      last_read: 1,
      unread_count: 0,
    });
    expect((await as('sam').post(`/rooms/${room}/leave/`)).body.staff_ids).toEqual([]);
    const leftAgain = await as('sam').post(`/rooms/${room}/leave/`);
    expect([leftAgain.status, leftAgain.body.id, leftAgain.body.staff_ids]).toEqual([200, room, []]);
    expect((await as('alice').post(`/rooms/${room}/close/`)).body.status).toBe('closed');
    const closedAgain = await as('alice').post(`/rooms/${room}/close/`);
    expect([closedAgain.status, closedAgain.body.id, closedAgain.body.status]).toEqual([200, room, 'closed']);
    const staffClose = await as('sam').post(`/rooms/${room}/close/`);
    expect([staffClose.status, staffClose.body.closed_by]).toEqual([200, 'alice']);
  });

  it('keeps a staff member’s joined rooms in their list until the room closes', async () => {
    const tess = api(stack.current, tokens.tess);
    const room = await openRoom('joined');
    await tess.post(`/rooms/${room}/join/`);
    expect((await tess.get('/rooms/')).body.results.map((r: { id: string }) => r.id)).toContain(room);
    await as('alice').post(`/rooms/${room}/close/`);
    expect((await tess.get('/rooms/')).body.results.map((r: { id: string }) => r.id)).not.toContain(room);
  });
});

describe('HTTP API cost per request', () => {
  it('sends a message with two UpdateItems (the room, the sender’s limit), one PutItem and a Query of the room’s sockets', async () => {
    const room = await openRoom('cost');
    stack.current.dynamo.resetStats();
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'counted' });
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 2, PutItem: 1, Query: 1 });
    expect(stack.current.dynamo.units()).toEqual({ read: 0, write: 3 });
  });

  it('sends a message with a client_message_id with one more write (the claim), and a resend with a refused claim and two reads', async () => {
    const room = await openRoom('cost-cmid');
    stack.current.dynamo.resetStats();
    await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'counted',
      client_message_id: 'cost-c',
    });
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 2, PutItem: 2, Query: 1 });
    expect(stack.current.dynamo.units()).toEqual({ read: 0, write: 4 });
    stack.current.dynamo.resetStats();
    await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'counted',
      client_message_id: 'cost-c',
    });
    // The limit, the refused claim, the room item (its last sends' tokens give the id), the stored message,
    // and the fan-out again (a resend is pushed again).
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 1, PutItem: 1, GetItem: 2, Query: 1 });
  });

  it('lists the staff queue with one Query per open-room shard and one batch read of the page’s rooms', async () => {
    stack.current.dynamo.resetStats();
    await as('sam').get('/active-rooms/?limit=50');
    expect(stack.current.dynamo.stats()).toEqual({ Query: 1, BatchGetItem: 1 });
  });
});

describe('HTTP API failures', () => {
  it('answers 500 without internals when DynamoDB is down', async () => {
    await stack.current.dynamo.close();
    const response = await as('alice').get('/rooms/');
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe('internal_error');
    expect(response.body.error.message).toBe('Something went wrong on our side');
    expect(JSON.stringify(response.body)).not.toMatch(/ECONNREFUSED|dynamo|stack|at /i);
  });
});
