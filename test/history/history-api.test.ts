import { beforeAll, describe, expect, it } from 'vitest';
import { api, people, useLocalStack } from '../support/stack.js';

// Past conversations over the real local API: who may list them, what a page says, and the paging.
const stack = useLocalStack({ stream: { batchWindowMs: 'manual' } });
let tokens: Awaited<ReturnType<typeof people>>;

beforeAll(async () => {
  tokens = await people(stack.current);
});

const as = (who: keyof typeof tokens) => api(stack.current, tokens[who]);

async function openRoom(who: 'alice' | 'carol', subject: string): Promise<string> {
  const response = await as(who).post('/rooms/', { room_type: 'general', subject });
  expect(response.status).toBe(201);
  return response.body.id;
}

async function close(who: keyof typeof tokens, roomId: string): Promise<void> {
  expect((await as(who).post(`/rooms/${roomId}/close/`)).status).toBe(200);
}

describe('GET /api/chat/closed-rooms/', () => {
  it('lists closed rooms newest close first, with who closed each by name, paged', async () => {
    expect((await as('sam').post('/profile/', { name: 'Sam Agent' })).status).toBe(200);
    const first = await openRoom('alice', 'Parcel late');
    const second = await openRoom('carol', 'Refund');
    const third = await openRoom('alice', 'Still open');
    await close('sam', first);
    await close('carol', second);

    const page = await as('sam').get('/closed-rooms/?limit=1');
    expect(page.status).toBe(200);
    expect(page.body.results.map((r: { id: string }) => r.id)).toEqual([second]);
    expect(page.body.results[0]).toMatchObject({ status: 'closed', closed_by: 'carol', subject: 'Refund' });
    expect(page.body.closers).toEqual({ carol: null });
    expect(page.body.next_cursor).toEqual(expect.any(String));

    const next = await as('sam').get(`/closed-rooms/?limit=1&cursor=${page.body.next_cursor}`);
    expect(next.body.results.map((r: { id: string }) => r.id)).toEqual([first]);
    expect(next.body.closers).toEqual({ sam: 'Sam Agent' });
    // The stack's table holds only this file's rooms: nothing older, and the open one never.
    expect(next.body.next_cursor).toBeNull();
    expect(JSON.stringify([page.body, next.body])).not.toContain(third);
  });

  it('answers a customer of the staff issuer 403 staff_only, and a bad cursor 400', async () => {
    const customer = await as('alice').get('/closed-rooms/');
    expect([customer.status, customer.body.error.code]).toEqual([403, 'staff_only']);
    const bad = await as('sam').get(`/closed-rooms/?cursor=${Buffer.from('nope').toString('base64url')}`);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_cursor']);
  });

  it('is behind the staff issuer’s JWT authorizer: 401 without a token', async () => {
    const response = await api(stack.current).get('/closed-rooms/');
    expect([response.status, response.body]).toEqual([401, { message: 'Unauthorized' }]);
  });
});

describe('GET /api/chat/customers/{id}/rooms/', () => {
  it('lists one customer’s rooms, open and closed, newest first, and nobody else’s', async () => {
    const dora = await stack.current.issuer.mint({ userId: 'guest:dora' });
    const asDora = api(stack.current, dora);
    const older = (await asDora.post('/rooms/', { subject: 'First visit' })).body.id as string;
    expect((await asDora.post(`/rooms/${older}/close/`)).status).toBe(200);
    const newer = (await asDora.post('/rooms/', { subject: 'Back again' })).body.id as string;

    const page = await as('tess').get(`/customers/${encodeURIComponent('guest:dora')}/rooms/`);
    expect(page.status).toBe(200);
    expect(page.body.results.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
      [newer, 'open'],
      [older, 'closed'],
    ]);
    expect(page.body.closers).toEqual({ 'guest:dora': null });
    expect(page.body.next_cursor).toBeNull();

    const paged = await as('tess').get(`/customers/${encodeURIComponent('guest:dora')}/rooms/?limit=1`);
    expect(paged.body.results.map((r: { id: string }) => r.id)).toEqual([newer]);
    const rest = await as('tess').get(
      `/customers/${encodeURIComponent('guest:dora')}/rooms/?limit=1&cursor=${paged.body.next_cursor}`,
    );
    expect(rest.body.results.map((r: { id: string }) => r.id)).toEqual([older]);

    const nobody = await as('tess').get('/customers/nobody/rooms/');
    expect([nobody.status, nobody.body.results]).toEqual([200, []]);
  });

  it('answers a customer 403 staff_only, even for their own id, and an unusable id 400', async () => {
    const own = await as('alice').get('/customers/alice/rooms/');
    expect([own.status, own.body.error.code]).toEqual([403, 'staff_only']);
    const control = await as('sam').get(`/customers/${encodeURIComponent('a\u0001b')}/rooms/`);
    expect([control.status, control.body.error.code]).toEqual([400, 'invalid_customer_id']);
  });
});
