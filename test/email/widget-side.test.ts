import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { verify } from '../sessions/support.js';
import { api, useLocalStack } from '../support/stack.js';
import { openRoom, tokenIn } from './support.js';

// What the widget and the console read of email: `email_confirmed` on the caller's profile (the widget's
// "Email me replies" line) and on a room's customer (the console's customer panel), true exactly when a staff
// reply would be emailed to the address; and a refused confirmation link, opened in a browser, sent to the
// widget page to be told in words.

const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 1 } });

/** Opens a confirmation link without following the redirect; `accept` as a browser's or a program's. */
const open = (s: LocalStack, link: string, accept = '*/*') =>
  fetch(`${s.httpUrl}/api/chat/email-confirmations/${link}/`, { redirect: 'manual', headers: { accept } });

/** A browser's `Accept` for a page (Chromium's). */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** Asks for a link as `token`'s customer and opens it, as their mail client would; asserted confirmed. */
async function confirm(s: LocalStack, token: string, email: string): Promise<string> {
  const before = s.mail.to(email).length;
  expect((await api(s, token).post('/email-confirmations/')).status).toBe(202);
  const link = tokenIn(s.mail.to(email)[before]?.text ?? '');
  expect((await open(s, link)).status).toBe(303);
  return link;
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

  it('sends a browser whose link is refused to the widget page, and a program the JSON error', async () => {
    const s = stack.current;
    const gil = await s.issuer.mint({ userId: 'gil' });
    expect((await api(s, gil).post('/profile/', { email: 'gil@example.com' })).status).toBe(200);
    const link = await confirm(s, gil, 'gil@example.com');
    const again = await open(s, link, BROWSER);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(
      `${s.httpUrl}/widget.html?email_confirmation=confirmation_used`,
    );
    expect((await again.json()).error.code).toBe('confirmation_used');
    const unknown = await open(s, 'A'.repeat(43), BROWSER);
    expect(unknown.headers.get('location')).toBe(
      `${s.httpUrl}/widget.html?email_confirmation=confirmation_not_found`,
    );
    const program = await open(s, link);
    expect(program.status).toBe(410);
    expect((await program.json()).error.code).toBe('confirmation_used');
  });
});
