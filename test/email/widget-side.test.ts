import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { verify } from '../sessions/support.js';
import { api, useLocalStack } from '../support/stack.js';
import { openRoom, tokenIn } from './support.js';

// What the widget and the console read of email: `email_confirmed` on the caller's profile (the widget's
// "Email me replies" line) and on a room's customer (the console's customer panel), true exactly when a staff
// reply would be emailed to the address; and the confirmation link's GET, which sends browsers and programs
// alike to the widget page (where a Confirm button spends it) and changes nothing.

const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 1 } });

/** Opens a confirmation link without following the redirect; `accept` as a browser's or a program's. */
const open = (s: LocalStack, link: string, accept = '*/*') =>
  fetch(`${s.httpUrl}/api/chat/email-confirmations/${link}/`, { redirect: 'manual', headers: { accept } });

/** A browser's `Accept` for a page (Chromium's). */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** Spends a link as the widget page's Confirm button does (a POST, no bearer token). */
const spend = (s: LocalStack, link: string) =>
  fetch(`${s.httpUrl}/api/chat/email-confirmations/${link}/`, { method: 'POST' });

/** Asks for a link as `token`'s customer and confirms it, as the person would; asserted confirmed. */
async function confirm(s: LocalStack, token: string, email: string): Promise<string> {
  const before = s.mail.to(email).length;
  expect((await api(s, token).post('/email-confirmations/')).status).toBe(202);
  const link = tokenIn(s.mail.to(email)[before]?.text ?? '');
  expect((await open(s, link)).status).toBe(303);
  expect((await spend(s, link)).status).toBe(200);
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

  it('sends a browser and a program alike to the widget page, before and after the link is spent', async () => {
    const s = stack.current;
    const gil = await s.issuer.mint({ userId: 'gil' });
    expect((await api(s, gil).post('/profile/', { email: 'gil@example.com' })).status).toBe(200);
    expect((await api(s, gil).post('/email-confirmations/')).status).toBe(202);
    const link = tokenIn(s.mail.to('gil@example.com')[0]?.text ?? '');
    const page = `${s.httpUrl}/widget.html?email_confirmation_token=${link}`;
    for (const accept of [BROWSER, '*/*', BROWSER]) {
      const opened = await open(s, link, accept);
      expect([opened.status, opened.headers.get('location')]).toEqual([303, page]);
      expect((await opened.json()).status).toBe('confirm');
    }
    expect((await api(s, gil).get('/profile/')).body.email_confirmed).toBe(false);
    expect((await spend(s, link)).status).toBe(200);
    expect((await api(s, gil).get('/profile/')).body.email_confirmed).toBe(true);
    // Spent: the GET still only redirects (the page's Confirm is then told "used already").
    const again = await open(s, link, BROWSER);
    expect([again.status, again.headers.get('location')]).toEqual([303, page]);
    const used = await spend(s, link);
    expect([used.status, (await used.json()).error.code]).toEqual([410, 'confirmation_used']);
    // Whatever follows the path is only carried to the page, encoded, never into a header as it came.
    const odd = await open(s, 'a%0d%0aSet-Cookie:x=1', BROWSER);
    expect(odd.headers.get('location')).toBe(
      `${s.httpUrl}/widget.html?email_confirmation_token=a%0D%0ASet-Cookie%3Ax%3D1`,
    );
    expect(odd.headers.get('set-cookie')).toBeNull();
  });
});
