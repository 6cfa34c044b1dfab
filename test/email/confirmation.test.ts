import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { verify } from '../sessions/support.js';
import { api, useLocalStack } from '../support/stack.js';
import { openRoom, say, tableOf, tokenIn } from './support.js';

// A customer's address, proved by a one-time link the first time they give it (POST to ask; the link's GET
// only sends the browser to the widget page, whose Confirm button POSTs to spend it), after which staff
// replies reach them by email while they are away.

const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 1 } });

/** A customer of the staff issuer with a self-asserted address; their token. */
async function customer(userId: string, email: string): Promise<string> {
  const token = await stack.current.issuer.mint({ userId });
  expect((await api(stack.current, token).post('/profile/', { email })).status).toBe(200);
  return token;
}

/** Asks for a link and returns its token, read from the one email it sent. */
async function askForLink(s: LocalStack, token: string, email: string): Promise<string> {
  const before = s.mail.to(email).length;
  const response = await api(s, token).post('/email-confirmations/');
  expect(response.status).toBe(202);
  expect(response.body).toEqual({ status: 'sent', email, expires_at: expect.any(Number) });
  const sent = s.mail.to(email).slice(before);
  expect(sent).toHaveLength(1);
  expect(sent[0]?.subject).toBe('Confirm your email address for chat replies');
  return tokenIn(sent[0]?.text ?? '');
}

/** Opens the link as a mail client (or a mail scanner) would: a GET with no token, redirects not followed. */
const open = (s: LocalStack, token: string) =>
  fetch(`${s.httpUrl}/api/chat/email-confirmations/${token}/`, { redirect: 'manual' });

/** Spends the link as the widget page's Confirm button does: a POST with no bearer token. */
const spend = (s: LocalStack, token: string) =>
  fetch(`${s.httpUrl}/api/chat/email-confirmations/${token}/`, {
    method: 'POST',
    headers: { accept: 'application/json' },
  });

/** Whether a staff reply in a new room of `token`'s customer reaches `email`. */
async function replyReaches(token: string, email: string): Promise<boolean> {
  const s = stack.current;
  const staff = await s.issuer.mint({ userId: 'sam', staff: true });
  const roomId = await openRoom(s, token);
  await s.stream.flush();
  const before = s.mail.to(email).length;
  await say(s, staff, roomId, 'Here is your answer');
  await s.stream.flush();
  return s.mail.to(email).length > before;
}

describe('email confirmation', () => {
  it('confirms an address by its link once, after which replies are emailed to it', async () => {
    const alice = await customer('alice', 'alice@example.com');
    expect(await replyReaches(alice, 'alice@example.com')).toBe(false);
    const token = await askForLink(stack.current, alice, 'alice@example.com');
    const spent = await spend(stack.current, token);
    expect(spent.status).toBe(200);
    expect(await spent.json()).toEqual({ status: 'confirmed', email: 'alice@example.com' });
    expect(await replyReaches(alice, 'alice@example.com')).toBe(true);
    // The link works once.
    const again = await spend(stack.current, token);
    expect(again.status).toBe(410);
    expect((await again.json()).error.code).toBe('confirmation_used');
    // Nothing more to confirm: asking again sends nothing.
    const before = stack.current.mail.to('alice@example.com').length;
    const asked = await api(stack.current, alice).post('/email-confirmations/');
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual({ status: 'verified', email: 'alice@example.com' });
    expect(stack.current.mail.to('alice@example.com')).toHaveLength(before);
  });

  it('confirms nothing when the link is only opened (GET), as a mail scanner opens it: the POST does', async () => {
    // Mallory puts Vic's address on her own profile and asks for a link; Vic's mail scanner opens it, twice.
    const mallory = await customer('mallory', 'vic@example.com');
    const token = await askForLink(stack.current, mallory, 'vic@example.com');
    for (let i = 0; i < 2; i++) {
      const opened = await open(stack.current, token);
      expect(opened.status).toBe(303);
      expect(opened.headers.get('location')).toBe(
        `${stack.current.httpUrl}/widget.html?email_confirmation_token=${token}`,
      );
      expect(await opened.json()).toEqual({
        status: 'confirm',
        message: expect.stringContaining('a GET confirms nothing'),
        confirm: { method: 'POST', path: `/api/chat/email-confirmations/${token}` },
      });
    }
    expect((await api(stack.current, mallory).get('/profile/')).body.email_confirmed).toBe(false);
    expect(await replyReaches(mallory, 'vic@example.com')).toBe(false);
    // Only pressing Confirm (the POST) spends it, once; a GET after that still only redirects.
    expect((await spend(stack.current, token)).status).toBe(200);
    expect((await spend(stack.current, token)).status).toBe(410);
    expect((await open(stack.current, token)).status).toBe(303);
  });

  it('refuses an expired link, which confirms nothing', async () => {
    const bob = await customer('bob', 'bob@example.com');
    const token = await askForLink(stack.current, bob, 'bob@example.com');
    await tableOf(stack.current).expireConfirmation(token);
    const opened = await spend(stack.current, token);
    expect(opened.status).toBe(410);
    expect((await opened.json()).error.code).toBe('confirmation_expired');
    expect(await replyReaches(bob, 'bob@example.com')).toBe(false);
  });

  it('refuses a link for an address the customer has since changed, and forgets a proof when it changes', async () => {
    const carl = await customer('carl', 'carl@example.com');
    const token = await askForLink(stack.current, carl, 'carl@example.com');
    expect((await api(stack.current, carl).post('/profile/', { email: 'carl@work.example' })).status).toBe(
      200,
    );
    const opened = await spend(stack.current, token);
    expect(opened.status).toBe(409);
    expect((await opened.json()).error.code).toBe('email_changed');
    expect(await replyReaches(carl, 'carl@work.example')).toBe(false);
    // Proved, then changed: the new address is not proved, and the old one gets nothing either.
    const second = await askForLink(stack.current, carl, 'carl@work.example');
    expect((await spend(stack.current, second)).status).toBe(200);
    expect(await replyReaches(carl, 'carl@work.example')).toBe(true);
    expect((await api(stack.current, carl).post('/profile/', { email: 'carl@home.example' })).status).toBe(
      200,
    );
    expect(await replyReaches(carl, 'carl@home.example')).toBe(false);
    expect(await replyReaches(carl, 'carl@work.example')).toBe(false);
  });

  it.each([
    ['a token never issued', 'A'.repeat(43)],
    ['a malformed token', 'not-a-token'],
  ])('answers 404 for %s', async (_, token) => {
    const opened = await spend(stack.current, token);
    expect(opened.status).toBe(404);
    expect((await opened.json()).error.code).toBe('confirmation_not_found');
  });

  it('sends a verified user of the host site no link: the identity token vouched for the address', async () => {
    const dana = await verify(stack.current, 'dana', undefined, { email: 'dana@example.com' });
    const response = await api(stack.current, dana.token).post('/email-confirmations/');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'verified', email: 'dana@example.com' });
    expect(stack.current.mail.to('dana@example.com')).toHaveLength(0);
  });

  it('refuses staff (403), a customer without an address (409), and a fourth link within the hour (429)', async () => {
    const sam = await stack.current.issuer.mint({ userId: 'sam', staff: true });
    const staff = await api(stack.current, sam).post('/email-confirmations/');
    expect([staff.status, staff.body.error.code]).toEqual([403, 'customers_only']);
    const nobody = await stack.current.issuer.mint({ userId: 'nobody' });
    const none = await api(stack.current, nobody).post('/email-confirmations/');
    expect([none.status, none.body.error.code]).toEqual([409, 'no_email']);
    const eve = await customer('eve', 'eve@example.com');
    for (let i = 0; i < 3; i++) await askForLink(stack.current, eve, 'eve@example.com');
    const fourth = await api(stack.current, eve).post('/email-confirmations/');
    expect([fourth.status, fourth.body.error.code]).toEqual([429, 'rate_limited']);
    expect(stack.current.mail.to('eve@example.com')).toHaveLength(3);
  });

  it('sends one address at most three links an hour, however many people ask for it (429 past that)', async () => {
    // Anyone can say an address is theirs: each new guest or account gets its own three links an hour, so the
    // address itself is counted too, or one stranger's inbox gets every link a script asks for.
    const victim = 'victim@example.com';
    for (const who of ['mallory-1', 'mallory-2', 'mallory-3']) {
      await askForLink(stack.current, await customer(who, victim), victim);
    }
    const fourth = await api(stack.current, await customer('mallory-4', victim)).post(
      '/email-confirmations/',
    );
    expect([fourth.status, fourth.body.error.code]).toEqual([429, 'rate_limited']);
    // The same address written otherwise is the same inbox.
    const shouted = await api(stack.current, await customer('mallory-5', 'VICTIM@example.com')).post(
      '/email-confirmations/',
    );
    expect([shouted.status, shouted.body.error.code]).toEqual([429, 'rate_limited']);
    expect(stack.current.mail.to(victim)).toHaveLength(3);
  });

  it('needs a token: 401 without one', async () => {
    const response = await api(stack.current).post('/email-confirmations/');
    expect(response.status).toBe(401);
  });
});
