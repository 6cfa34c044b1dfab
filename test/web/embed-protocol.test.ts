import { describe, expect, it } from 'vitest';
import { CHANNEL, parseFrameMessage, parseHostMessage, wire } from '../../web/embed/protocol.js';

const tagged = (message: object) => ({ channel: CHANNEL, ...message });

describe('the messages between embed.js and the widget', () => {
  it.each([
    [{ type: 'hello', pageUrl: 'https://shop.example/chairs', open: false }],
    [{ type: 'visibility', pageUrl: 'https://shop.example/', open: true }],
    [{ type: 'identify', identityToken: 'a.b.c' }],
    [{ type: 'logout' }],
  ])('the widget takes the host’s %j', (message) => {
    expect(parseHostMessage(wire(message as never))).toEqual(message);
  });

  it.each([
    ['no channel', { type: 'logout' }],
    ['another channel', { channel: 'intercom', type: 'logout' }],
    ['an unknown type', tagged({ type: 'eval', code: 'alert(1)' })],
    [
      'open that is not a boolean',
      tagged({ type: 'visibility', pageUrl: 'https://x.example/', open: 'yes' }),
    ],
    ['no page URL', tagged({ type: 'hello', open: true })],
    ['an empty identity token', tagged({ type: 'identify', identityToken: '' })],
    ['an identity token of 8 KiB and more', tagged({ type: 'identify', identityToken: 'x'.repeat(8193) })],
    ['a string', 'logout'],
    ['null', null],
  ])('the widget drops a message with %s', (_, data) => {
    expect(parseHostMessage(data)).toBeUndefined();
  });

  it.each([
    [{ type: 'ready' }],
    [{ type: 'close' }],
    [{ type: 'logged_out' }],
    [{ type: 'unread', count: 0 }],
    [{ type: 'unread', count: 12 }],
    [{ type: 'identified', userId: 'site_ada', name: 'Ada Lovelace' }],
    [{ type: 'identified', userId: 'site_ada', name: null }],
    [{ type: 'identify_failed', code: 'invalid_identity_token', message: 'The identity token is not valid' }],
  ])('embed.js takes the widget’s %j', (message) => {
    expect(parseFrameMessage(wire(message as never))).toEqual(message);
  });

  it.each([
    ['a negative count', tagged({ type: 'unread', count: -1 })],
    ['a fractional count', tagged({ type: 'unread', count: 1.5 })],
    ['a count that is a string', tagged({ type: 'unread', count: '3' })],
    ['a name that is not a string', tagged({ type: 'identified', userId: 'site_ada', name: 7 })],
    ['no code', tagged({ type: 'identify_failed', message: 'no' })],
    ['a host message', tagged({ type: 'logout' })],
  ])('embed.js drops a message with %s', (_, data) => {
    expect(parseFrameMessage(data)).toBeUndefined();
  });

  it('keeps only the fields it knows', () => {
    expect(parseFrameMessage(tagged({ type: 'unread', count: 2, html: '<img src=x>' }))).toEqual({
      type: 'unread',
      count: 2,
    });
  });
});
