import { describe, expect, it } from 'vitest';
import { type ErrorContext, routeError } from '../../client/error-routing.js';
import type { ErrorData } from '../../client/wire.js';

const error = (overrides: Partial<ErrorData>): ErrorData => ({
  code: 'room_closed',
  message: 'x',
  ...overrides,
});

/** Room r1 is followed with c-1 in flight, r2 is followed with nothing in flight, r3 is not followed. */
const context = (queueRequested = true): ErrorContext => ({
  queueRequested,
  inFlight: (roomId) => ({ r1: 'c-1', r2: null })[roomId],
});

describe('routeError', () => {
  it.each([
    {
      name: 'a queue subscribe throttled',
      data: error({ code: 'throttled', frame_type: 'subscribe' }),
      route: { to: 'queue', retry: true },
    },
    {
      name: 'a queue subscribe refused',
      data: error({ code: 'staff_only', frame_type: 'subscribe' }),
      route: { to: 'queue', retry: false },
    },
    {
      name: 'a room subscribe that failed',
      data: error({ code: 'internal_error', frame_type: 'subscribe', room_id: 'r2' }),
      route: { to: 'subscribe', roomId: 'r2', retry: true },
    },
    {
      name: 'a room subscribe rate limited',
      data: error({ code: 'rate_limited', frame_type: 'subscribe', room_id: 'r2' }),
      route: { to: 'subscribe', roomId: 'r2', retry: true },
    },
    {
      name: 'a room subscribe refused',
      data: error({ code: 'room_not_found', frame_type: 'subscribe', room_id: 'r1' }),
      route: { to: 'subscribe', roomId: 'r1', retry: false },
    },
    {
      name: 'a lost subscription',
      data: error({ code: 'not_subscribed', frame_type: 'read', room_id: 'r2' }),
      route: { to: 'resubscribe', roomId: 'r2' },
    },
    {
      name: 'the send in flight refused',
      data: error({ code: 'room_closed', frame_type: 'message', room_id: 'r1', client_message_id: 'c-1' }),
      route: { to: 'send', roomId: 'r1', clientMessageId: 'c-1' },
    },
    {
      name: 'a send no longer in flight',
      data: error({ code: 'internal_error', frame_type: 'message', room_id: 'r1', client_message_id: 'c-0' }),
      route: { to: 'nobody' },
    },
    {
      name: 'a refused typing frame',
      data: error({ code: 'invalid_request', frame_type: 'typing', room_id: 'r1' }),
      route: { to: 'nobody' },
    },
    {
      name: 'a room not followed',
      data: error({ code: 'internal_error', frame_type: 'subscribe', room_id: 'r3' }),
      route: { to: 'nobody' },
    },
    { name: 'an error without a room', data: error({ code: 'invalid_request' }), route: { to: 'nobody' } },
  ])('routes $name', ({ data, route }) => {
    expect(routeError(data, context())).toEqual(route);
  });

  it('routes a queue subscribe error nowhere when the queue is not followed', () => {
    expect(routeError(error({ code: 'throttled', frame_type: 'subscribe' }), context(false))).toEqual({
      to: 'nobody',
    });
  });
});
