import { describe, expect, it } from 'vitest';
import type { StaffPresenceReader } from '../../../lambdas/domain/ports.js';
import type { OnlineUser } from '../../../lambdas/domain/types.js';
import { SupportStatus } from '../../../lambdas/push/support-status.js';

const sam: OnlineUser = {
  userId: 'sam',
  role: 'staff',
  connections: 1,
  onlineSince: '2026-01-01T00:00:00.000Z',
};

function setup(answers: (OnlineUser[] | Error)[]) {
  let clock = 1_000_000;
  let reads = 0;
  const presence: StaffPresenceReader = {
    onlineStaff: async () => {
      const answer = answers[Math.min(reads, answers.length - 1)] as OnlineUser[] | Error;
      reads += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  const status = new SupportStatus(presence, { ttlMs: 5_000, now: () => clock });
  return {
    status,
    reads: () => reads,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('SupportStatus', () => {
  it('answers concurrent callers with one reading, taken at the time of the first', async () => {
    const t = setup([[sam]]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => t.status.read()));
    expect(t.reads()).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify({ online: true, checkedAt: 1_000_000, freshUntil: 1_005_000 })]),
    );
  });

  it.each([
    [4_999, 1],
    [5_000, 2],
    [12_000, 2],
  ])('after %i ms, has read %i time(s)', async (later, reads) => {
    const t = setup([[sam], []]);
    await t.status.read();
    t.advance(later);
    const answer = await t.status.read();
    expect(t.reads()).toBe(reads);
    expect(answer.online).toBe(reads === 1);
  });

  it('does not keep a failed reading: the next caller reads again', async () => {
    const t = setup([new Error('throttled'), [sam]]);
    await expect(t.status.read()).rejects.toThrow('throttled');
    expect(await t.status.read()).toMatchObject({ online: true });
    expect(t.reads()).toBe(2);
  });
});
