import { describe, expect, it } from 'vitest';
import { parseLimits } from '../../../lambdas/runtime/limits-config.js';

describe('parseLimits', () => {
  it('defaults to what a person does, and staff ten times that', () => {
    expect(parseLimits(undefined)).toEqual({
      customer: {
        rooms_opened: [{ max: 5, seconds: 600 }],
        messages: [
          { max: 20, seconds: 10 },
          { max: 60, seconds: 60 },
        ],
        typing: [{ max: 2, seconds: 1 }],
      },
      staff: {
        rooms_opened: [{ max: 50, seconds: 600 }],
        messages: [
          { max: 200, seconds: 10 },
          { max: 600, seconds: 60 },
        ],
        typing: [{ max: 20, seconds: 1 }],
      },
      perAddress: {
        guest_sessions: [
          { max: 20, seconds: 1800 },
          { max: 100, seconds: 86_400 },
        ],
      },
      sockets: { customer: 10, staff: 100 },
    });
  });

  it('counts guest sessions per address without the staff factor', () => {
    const limits = parseLimits('{"guest_sessions": [[3, 86400]], "staff_factor": 5}');
    expect(limits.perAddress.guest_sessions).toEqual([{ max: 3, seconds: 86_400 }]);
  });

  it('overrides only the fields given; an empty list turns a limit off', () => {
    const limits = parseLimits('{"typing": [], "sockets": 3, "staff_factor": 2}');
    expect(limits.customer.typing).toEqual([]);
    expect(limits.customer.messages).toHaveLength(2);
    expect(limits.sockets).toEqual({ customer: 3, staff: 6 });
  });

  it.each([
    ['not JSON', 'nope', 'RATE_LIMITS must be JSON'],
    ['an unknown field', '{"message": [[1, 1]]}', /RATE_LIMITS/],
    ['a window that does not divide the longest', '{"messages": [[1, 7], [2, 60]]}', /divide the longest/],
    ['a zero max', '{"messages": [[0, 10]]}', /RATE_LIMITS messages/],
    ['a fraction', '{"sockets": 2.5}', /RATE_LIMITS sockets/],
    ['four windows', '{"messages": [[1, 1], [2, 2], [3, 4], [4, 8]]}', /at most 3 windows/],
    ['two windows of one length', '{"messages": [[20, 10], [30, 10]]}', /same length/],
    [
      'a window with too many slots in the longest',
      '{"messages": [[5, 1], [3600, 3600]]}',
      /at most 60 times/,
    ],
  ])('refuses %s', (_case, text, message) => {
    expect(() => parseLimits(text)).toThrow(message);
  });
});
