import { describe, expect, it } from 'vitest';
import { fillPlaceholders } from '../../client/staff-http.js';

describe('fillPlaceholders', () => {
  it.each([
    ['both names', { customerName: 'Ada', agentName: 'Sam' }, 'Hi Ada, Sam here. Ada?'],
    ['no customer name', { customerName: null, agentName: 'Sam' }, 'Hi there, Sam here. there?'],
    ['blank names', { customerName: '  ', agentName: '' }, 'Hi there, the support team here. there?'],
  ])('fills every placeholder with %s', (_, names, expected) => {
    expect(fillPlaceholders('Hi {customer_name}, {agent_name} here. {customer_name}?', names)).toBe(expected);
  });

  it('leaves other braces and a name that looks like a placeholder as they are', () => {
    expect(fillPlaceholders('{x} {customer_name}', { customerName: '{agent_name}', agentName: 'Sam' })).toBe(
      '{x} {agent_name}',
    );
  });
});
