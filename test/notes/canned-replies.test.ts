import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/storage/keys.js';
import type { LocalStack } from '../../local/stack.js';
import { type Person, useCast, useLocalStack } from '../support/stack.js';

// Canned replies: a staff-only API over one small partition. A low limit, so the bound is tried for real.
const MAX = 5;
const stack = useLocalStack({ environment: { CANNED_REPLIES_MAX: String(MAX) } });
const cast = useCast(stack);

/** `api()` of test/support/stack.ts, with the two methods only these routes use. */
function client(s: LocalStack, token: string) {
  return async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', route: string, body?: unknown) => {
    const response = await fetch(`${s.httpUrl}/api/chat${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}
const as = (who: Person) => client(stack.current, cast.tokens[who]);

let counter = 0;
const fresh = (over: Record<string, unknown> = {}) => ({
  title: `Reply ${++counter}`,
  shortcut: `reply-${counter}`,
  text: 'Hello {customer_name}, this is {agent_name}.',
  ...over,
});

async function deleteAll() {
  const list = await as('sam')('GET', '/canned-replies/');
  for (const reply of list.body.results) await as('sam')('DELETE', `/canned-replies/${reply.id}/`);
}

describe('canned replies', () => {
  it('creates, lists, replaces and deletes a reply (staff)', async () => {
    await deleteAll();
    const created = await as('sam')('POST', '/canned-replies/', {
      title: '  Where is my order ',
      shortcut: '/Order',
      text: 'Hi {customer_name}, I am {agent_name} and I will check your order.',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: 'Where is my order',
      shortcut: 'order',
      text: 'Hi {customer_name}, I am {agent_name} and I will check your order.',
      created_by: 'sam',
    });
    const id = created.body.id;
    // A colleague sees it: the replies are the team's.
    const listed = await as('tess')('GET', '/canned-replies');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ results: [created.body], next_cursor: null });

    const replaced = await as('tess')('PUT', `/canned-replies/${id}/`, {
      title: 'Order status',
      shortcut: 'status',
      text: 'Your order is on its way.',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, title: 'Order status', shortcut: 'status', created_by: 'sam' });
    // The old shortcut is free again.
    const reuse = await as('sam')('POST', '/canned-replies/', fresh({ shortcut: 'order' }));
    expect(reuse.status).toBe(201);

    expect((await as('sam')('DELETE', `/canned-replies/${id}/`)).status).toBe(204);
    expect((await as('sam')('DELETE', `/canned-replies/${id}/`)).status).toBe(404);
    const put = await as('sam')('PUT', `/canned-replies/${id}/`, fresh());
    expect([put.status, put.body.error.code]).toEqual([404, 'canned_reply_not_found']);
    const left = await as('sam')('GET', '/canned-replies/');
    expect(left.body.results.map((r: { shortcut: string }) => r.shortcut)).toEqual(['order']);
  });

  it('keeps shortcuts unique: a second reply with one, or a rename onto one, is 409 shortcut_taken', async () => {
    await deleteAll();
    const first = await as('sam')('POST', '/canned-replies/', fresh({ shortcut: 'refund' }));
    const again = await as('tess')('POST', '/canned-replies/', fresh({ shortcut: 'REFUND' }));
    expect([again.status, again.body.error.code]).toEqual([409, 'shortcut_taken']);
    const other = await as('sam')('POST', '/canned-replies/', fresh({ shortcut: 'delay' }));
    const rename = await as('sam')('PUT', `/canned-replies/${other.body.id}/`, fresh({ shortcut: 'refund' }));
    expect([rename.status, rename.body.error.code]).toEqual([409, 'shortcut_taken']);
    // Keeping its own shortcut is no conflict.
    const keep = await as('sam')('PUT', `/canned-replies/${first.body.id}/`, fresh({ shortcut: 'refund' }));
    expect(keep.status).toBe(200);
  });

  it('lets exactly one of two replies created at once with one shortcut have it', async () => {
    await deleteAll();
    const results = await Promise.all(
      ['sam', 'tess', 'sam', 'tess'].map((who) =>
        as(who as Person)('POST', '/canned-replies/', fresh({ shortcut: 'race' })),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    expect((await as('sam')('GET', '/canned-replies/')).body.results).toHaveLength(1);
  });

  it('takes over a shortcut left by a create that died between its two writes, but not one still being written', async () => {
    await deleteAll();
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
    const leftover = (shortcut: string, claimedAt: number) =>
      db.send(
        new PutCommand({
          TableName: stack.current.tableName,
          Item: {
            ...keys.cannedShortcut(shortcut),
            shortcut,
            reply_id: '11111111-1111-4111-8111-111111111111',
            claimed_at: claimedAt,
          },
        }),
      );
    const nowSeconds = Math.floor(Date.now() / 1000);
    await leftover('stale', nowSeconds - 120);
    await leftover('inflight', nowSeconds);
    expect((await as('sam')('POST', '/canned-replies/', fresh({ shortcut: 'stale' }))).status).toBe(201);
    const busy = await as('sam')('POST', '/canned-replies/', fresh({ shortcut: 'inflight' }));
    expect([busy.status, busy.body.error.code]).toEqual([409, 'shortcut_taken']);
  });

  it(`keeps at most ${MAX} replies, and counts a deleted one out`, async () => {
    await deleteAll();
    for (let i = 0; i < MAX; i++) {
      expect((await as('sam')('POST', '/canned-replies/', fresh())).status).toBe(201);
    }
    const full = await as('sam')('POST', '/canned-replies/', fresh());
    expect([full.status, full.body.error.code]).toEqual([409, 'canned_replies_full']);
    // A refused shortcut gives its count back too.
    const list = await as('sam')('GET', '/canned-replies/');
    await as('sam')('DELETE', `/canned-replies/${list.body.results[0].id}/`);
    const taken = await as('sam')(
      'POST',
      '/canned-replies/',
      fresh({ shortcut: list.body.results[1].shortcut }),
    );
    expect(taken.status).toBe(409);
    expect((await as('sam')('POST', '/canned-replies/', fresh())).status).toBe(201);
    expect((await as('sam')('POST', '/canned-replies/', fresh())).status).toBe(409);
  });

  it.each([
    ['an unknown placeholder', { text: 'Hi {customer}' }, 'text'],
    ['an empty title', { title: '   ' }, 'title'],
    ['a shortcut with spaces', { shortcut: 'two words' }, 'shortcut'],
    ['a shortcut too long', { shortcut: 'x'.repeat(33) }, 'shortcut'],
    ['an empty text', { text: ' ' }, 'text'],
    ['a missing field', { title: undefined }, 'title'],
  ])('refuses %s with 400', async (_, over, field) => {
    const response = await as('sam')('POST', '/canned-replies/', fresh(over));
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].field).toBe(field);
  });

  it('answers 404 for a reply id that is no id', async () => {
    const response = await as('sam')('DELETE', '/canned-replies/not-a-uuid/');
    expect([response.status, response.body.error.code]).toEqual([404, 'canned_reply_not_found']);
  });

  it.each(['alice', 'carol'] as const)('refuses every route to a customer (%s) with 403', async (who) => {
    await deleteAll();
    const { body } = await as('sam')('POST', '/canned-replies/', fresh());
    const customer = as(who);
    const answers = [
      await customer('GET', '/canned-replies/'),
      await customer('POST', '/canned-replies/', fresh()),
      await customer('POST', '/canned-replies/', { nonsense: true }),
      await customer('PUT', `/canned-replies/${body.id}/`, fresh()),
      await customer('DELETE', `/canned-replies/${body.id}/`),
    ];
    expect(answers.map((a) => [a.status, a.body.error.code])).toEqual(answers.map(() => [403, 'staff_only']));
    expect((await as('sam')('GET', '/canned-replies/')).body.results).toEqual([body]);
  });

  it('answers CORS preflights for PUT and DELETE', async () => {
    const response = await fetch(`${stack.current.httpUrl}/api/chat/canned-replies/x/`, {
      method: 'OPTIONS',
      headers: { origin: 'http://console.test', 'access-control-request-method': 'DELETE' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(response.headers.get('access-control-allow-methods')).toContain('PUT');
  });

  it('lists the replies with one Query, and creates one with three writes', async () => {
    await deleteAll();
    stack.current.dynamo.resetStats();
    await as('sam')('POST', '/canned-replies/', fresh());
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 1, PutItem: 2 });
    stack.current.dynamo.resetStats();
    await as('sam')('GET', '/canned-replies/');
    expect(stack.current.dynamo.stats()).toEqual({ Query: 1 });
  });
});
