import { describe, expect, it } from 'vitest';
import { verifiedAddress } from '../../../lambdas/domain/email.js';
import { oneLine, replyEmail, teamNotice } from '../../../lambdas/domain/email-content.js';
import type { Profile } from '../../../lambdas/domain/profiles.js';
import { loadEmailConfig } from '../../../lambdas/runtime/email-config.js';
import { sampleRoom } from '../../support/table.js';

// What the emails say and to whom they may go, as pure functions.

const profile = (overrides: Partial<Profile>): Profile => ({
  userId: 'alice',
  kind: 'account',
  name: null,
  email: 'alice@example.com',
  verified: false,
  verifiedFields: [],
  linkedTo: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...overrides,
});

describe('email content', () => {
  it.each([
    [
      'line breaks, which would start a header',
      'Help\r\nBcc: evil@example.com',
      'Help Bcc: evil@example.com',
    ],
    ['format and control characters', 'a\u0000b\u200bc\u2028d', 'a b c d'],
    ['runs of white space', '  a \t  b  ', 'a b'],
  ])('makes a subject of one line: %s', (_, input, output) => {
    expect(oneLine(input)).toBe(output);
  });

  it('cuts a long subject to fewer than 100 characters with an ellipsis, an emoji counting two, never split', () => {
    expect([...oneLine('é'.repeat(150))]).toHaveLength(99);
    expect(oneLine('é'.repeat(150)).endsWith('…')).toBe(true);
    const emoji = oneLine('\u{1F4E6}'.repeat(80));
    expect(emoji).toBe(`${'\u{1F4E6}'.repeat(49)}…`);
    expect(emoji.length).toBe(99);
  });

  it("puts a room's subject on one line in the team's notice, and the console link when there is a public URL", () => {
    const room = sampleRoom({ subject: 'Broken\nSubject: hi', customerName: 'Dana' });
    const notice = teamNotice([room], 'https://chat.example.com');
    expect(notice.subject).toBe('New chat while nobody is online: Broken Subject: hi');
    expect(notice.text).toContain(
      `- Dana: Broken Subject: hi\n  https://chat.example.com/console.html#/rooms/${room.id}`,
    );
    expect(teamNotice([room], undefined).text).not.toContain('http');
  });

  it("keeps a reply's text as it is: plain text, never markup", () => {
    const email = replyEmail({
      to: 'a@example.com',
      room: sampleRoom({ subject: '' }),
      senderName: null,
      content: '<img src=x onerror=alert(1)>\nline two',
      publicUrl: 'https://chat.example.com',
      throttleMinutes: 1,
    });
    expect(email.subject).toBe('Support replied to your conversation');
    expect(email.text.split('\n').slice(0, 4)).toEqual([
      'Support replied:',
      '',
      '<img src=x onerror=alert(1)>',
      'line two',
    ]);
    expect(email.text).toContain('every 1 minute,');
  });
});

describe('verifiedAddress', () => {
  it.each([
    ['an address the identity token set', profile({ verifiedFields: ['email'] }), null, 'alice@example.com'],
    ['an address a link proved', profile({}), 'alice@example.com', 'alice@example.com'],
    ['an address changed since a link proved another', profile({}), 'old@example.com', null],
    ['a self-asserted address', profile({}), null, null],
    ['no address', profile({ email: null }), 'alice@example.com', null],
  ])('%s', (_, p, confirmed, expected) => {
    expect(verifiedAddress({ profile: p, confirmedEmail: confirmed })).toBe(expected);
  });
});

describe('email settings', () => {
  it.each([
    [{}, { kind: 'off' }],
    [{ NOTIFY_TEAM: 'off' }, { kind: 'off' }],
    [
      { NOTIFY_TEAM: 'sns', NOTIFY_TOPIC_ARN: 'arn:t' },
      { kind: 'sns', topicArn: 'arn:t' },
    ],
    [
      { NOTIFY_TEAM: 'email:team@example.com', EMAIL_FROM: 'a@example.com' },
      { kind: 'email', address: 'team@example.com' },
    ],
  ])('reads NOTIFY_TEAM %j', (env, team) => {
    expect(loadEmailConfig(env).team).toEqual(team);
  });

  it.each([
    [{ NOTIFY_TEAM: 'sns' }, /needs NOTIFY_TOPIC_ARN/],
    [{ NOTIFY_TEAM: 'email:team@example.com' }, /needs EMAIL_FROM/],
    [{ NOTIFY_TEAM: 'slack' }, /must be email:<address>, sns or off/],
    [{ EMAIL_FROM: 'not an address' }, /EMAIL_FROM must be an address/],
    [{ EMAIL_THROTTLE_SECONDS: '0' }, /EMAIL_THROTTLE_SECONDS/],
  ])('refuses %j', (env, message) => {
    expect(() => loadEmailConfig(env)).toThrow(message);
  });

  it('takes "Name <address>" as the sender, and the public URL without its trailing slash', () => {
    const config = loadEmailConfig({
      EMAIL_FROM: 'Support <help@example.com>',
      PUBLIC_URL: 'https://x.example/',
    });
    expect([config.from, config.publicUrl, config.replyThrottleMs]).toEqual([
      'Support <help@example.com>',
      'https://x.example',
      300_000,
    ]);
  });
});
