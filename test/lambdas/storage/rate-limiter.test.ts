import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoMeter } from '../../../lambdas/storage/client.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { DynamoRateLimiter } from '../../../lambdas/storage/rate-limiter.js';
import { useTable } from '../../support/table.js';

const TABLE = 'limits-test';
const meter = new DynamoMeter();
const table = useTable(TABLE);
let limiter: DynamoRateLimiter;
let subject = 0;
let user: string;

beforeAll(() => {
  limiter = new DynamoRateLimiter(table.db(meter), TABLE);
});
beforeEach(() => {
  subject += 1;
  user = `user-${subject}`;
  meter.take();
});

// The default message limit: 20 per 10 s and 60 per minute, in windows aligned to the epoch.
const messages = [
  { max: 20, seconds: 10 },
  { max: 60, seconds: 60 },
];
const minute = Date.UTC(2026, 11, 1, 12, 0, 0);
const at = (seconds: number) => minute + seconds * 1000;

async function takeMany(count: number, nowMs: number) {
  const verdicts = [];
  for (let i = 0; i < count; i++) verdicts.push(await limiter.take('messages', user, messages, nowMs));
  return verdicts;
}

describe('DynamoRateLimiter', () => {
  it('allows 20 in a 10 s window and refuses the 21st until the window rolls over', async () => {
    expect((await takeMany(20, at(2))).every((v) => v.allowed)).toBe(true);
    expect(await limiter.take('messages', user, messages, at(3))).toEqual({
      allowed: false,
      retryAfterSeconds: 7,
    });
    expect(await limiter.take('messages', user, messages, at(10))).toEqual({ allowed: true });
  });

  it('refuses by the minute once three 10 s windows used it up, until the minute ends', async () => {
    for (const second of [0, 10, 20]) {
      expect((await takeMany(20, at(second))).every((v) => v.allowed)).toBe(true);
    }
    expect(await limiter.take('messages', user, messages, at(35))).toEqual({
      allowed: false,
      retryAfterSeconds: 25,
    });
    expect(await limiter.take('messages', user, messages, at(60))).toEqual({ allowed: true });
  });

  it('counts a refused use nowhere', async () => {
    await takeMany(20, at(0));
    await takeMany(5, at(1));
    const { Item } = await table
      .db()
      .send(new GetCommand({ TableName: TABLE, Key: keys.limit('messages', user, minute / 1000) }));
    expect(Item).toEqual({
      ...keys.limit('messages', user, minute / 1000),
      c10_0: 20,
      c60_0: 20,
      ttl: minute / 1000 + 60 + 60,
    });
  });

  it('costs one UpdateItem per use, allowed or refused', async () => {
    await takeMany(21, at(0));
    expect(meter.take().calls).toEqual({ UpdateItem: 21 });
  });

  it('allows exactly the limit of 50 concurrent uses, whichever container runs them', async () => {
    const verdicts = await Promise.all(
      Array.from({ length: 50 }, () => limiter.take('messages', user, messages, at(0))),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(20);
  });

  it('keeps subjects and limits apart', async () => {
    await takeMany(20, at(0));
    expect(await limiter.take('messages', `${user}-other`, messages, at(0))).toEqual({ allowed: true });
    expect(await limiter.take('typing', user, messages, at(0))).toEqual({ allowed: true });
  });
});
