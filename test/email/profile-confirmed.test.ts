import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { verify } from '../sessions/support.js';
import { api, useLocalStack } from '../support/stack.js';
import { openRoom, tokenIn } from './support.js';

// `email_confirmed` on the caller's profile (what the widget shows) and on a room's customer (what the
// console's customer panel shows): true exactly when a staff reply would be emailed to the address.

const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 1 } });

/** Asks for a link as `token`'s customer and opens it, as their mail client would; asserted confirmed. */
async function confirm(s: LocalStack, token: string, email: string): Promise<void> {
  const before = s.mail.to(email).length;
  expect((await api(s, token).post('/email-confirmations/')).status).toBe(202);
  const link = tokenIn(s.mail.to(email)[before]?.text ?? '');
  const opened = await fetch(`${s.httpUrl}/api/chat/email-confirmations/${link}/`, { redirect: 'manual' });
  expect(opened.status).toBe(303);
}

describe('email_confirmed', () => {
  it('is false for a typed address, true once its link is opened, and false again when the address changes', async () => {
    const s = stack.current;
    const ada = await s.issuer.mint({ userId: 'ada' });
    const sam = await s.issuer.mint({ userId: 'sam', staff: true });
    const typed = await api(s, ada).post('/profile/', { email: 'ada@example.com' });
    expect(typed.body).toMatchObject({ email: 'ada@example.com', email_confirmed: false });
    const roomId = await openRoom(s, ada);
    expect((await api(s, sam).get(`/rooms/${roomId}/`)).body.customer.email_confirmed).toBe(false);

    await confirm(s, ada, 'ada@example.com');
    s.dynamo.resetStats();
    expect((await api(s, ada).get('/profile/')).body).toMatchObject({
      email: 'ada@example.com',
      email_confirmed: true,
    });
    // Still one read: the proof is on the profile item.
    expect(s.dynamo.stats()).toEqual({ GetItem: 1 });
    expect((await api(s, sam).get(`/rooms/${roomId}/`)).body.customer.email_confirmed).toBe(true);
    // A write of the name alone answers the proof it leaves in place.
    expect((await api(s, ada).post('/profile/', { name: 'Ada' })).body.email_confirmed).toBe(true);

    const changed = await api(s, ada).post('/profile/', { email: 'ada@work.example' });
    expect(changed.body).toMatchObject({ email: 'ada@work.example', email_confirmed: false });
    expect((await api(s, ada).get('/profile/')).body.email_confirmed).toBe(false);
    expect((await api(s, sam).get(`/rooms/${roomId}/`)).body.customer.email_confirmed).toBe(false);
  });

  it('is true for an address the host site’s identity token vouched for, and false without an address', async () => {
    const s = stack.current;
    const dana = await verify(s, 'dana-confirmed', undefined, { email: 'dana@example.com' });
    expect((await api(s, dana.token).get('/profile/')).body).toMatchObject({
      email: 'dana@example.com',
      verified: true,
      email_confirmed: true,
    });
    const nobody = await s.issuer.mint({ userId: 'nobody' });
    expect((await api(s, nobody).get('/profile/')).body).toMatchObject({
      email: null,
      email_confirmed: false,
    });
  });
});
