import { describe, expect, it } from 'vitest';
import { parseAutoAssign } from '../../../lambdas/runtime/auto-assign-config.js';

describe('AUTO_ASSIGN', () => {
  it.each([
    [undefined, { kind: 'off' }],
    ['', { kind: 'off' }],
    ['off', { kind: 'off' }],
    ['round-robin:1', { kind: 'round-robin', cap: 1 }],
    ['round-robin:100', { kind: 'round-robin', cap: 100 }],
  ])('reads %j', (raw, policy) => {
    expect(parseAutoAssign(raw)).toEqual(policy);
  });

  it.each([
    'on',
    'round-robin',
    'round-robin:0',
    'round-robin:101',
    'round-robin:-1',
    'round-robin:2.5',
    'Off',
  ])('refuses %j at start', (raw) => {
    expect(() => parseAutoAssign(raw)).toThrow(/^AUTO_ASSIGN must be off or round-robin:<cap>/);
  });
});
