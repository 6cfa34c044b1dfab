import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../client/backoff.js';
import { ChatGatewayError } from '../../client/errors.js';
import { readFrame } from '../../client/frames.js';

describe('readFrame', () => {
  it.each([
    {
      name: 'a throttled route',
      raw: '{"message": "Too Many Requests", "connectionId":"Qyi07eCbtjMCJKw=", "requestId":"Qyi3UG41tjMFlUg="}',
      code: 'throttled',
    },
    {
      name: 'a failed integration',
      raw: '{"message": "Internal server error", "connectionId":"Qyi07eCbtjMCJKw=", "requestId":"Qyi3jGF9NjMFoqA="}',
      code: 'internal_error',
    },
    {
      name: 'a frame no route takes',
      raw: '{"message":"Forbidden","connectionId":"Qyi07eCbtjMCJKw=","requestId":"Qyi3jGF9NjMFoqA="}',
      code: 'forbidden',
    },
    {
      name: 'any other gateway message',
      raw: '{"message":"Endpoint request timed out"}',
      code: 'gateway_error',
    },
  ])('reads API Gateway’s frame for $name as a ChatGatewayError $code', ({ raw, code }) => {
    const read = readFrame(raw);
    expect(read.kind).toBe('gateway_error');
    const error = read.kind === 'gateway_error' ? read.error : undefined;
    expect(error).toBeInstanceOf(ChatGatewayError);
    expect(error).toMatchObject({ code, message: JSON.parse(raw).message });
  });

  it('keeps the request and connection ids API Gateway sends', () => {
    const read = readFrame('{"message":"Too Many Requests","connectionId":"c1=","requestId":"r1="}');
    expect(read.kind === 'gateway_error' && read.error).toMatchObject({
      requestId: 'r1=',
      connectionId: 'c1=',
    });
  });

  it.each([
    { raw: '{"type":"pong","data":{"time":"2025-01-01T00:00:00.000Z"}}', kind: 'frame' },
    { raw: '{"type":"error","data":{"code":"room_closed","message":"closed"}}', kind: 'frame' },
    { raw: 'not json', kind: 'unknown' },
    { raw: '[1,2]', kind: 'unknown' },
    { raw: '"text"', kind: 'unknown' },
    { raw: '{"data":{}}', kind: 'unknown' },
  ])('reads $raw as $kind', ({ raw, kind }) => {
    expect(readFrame(raw).kind).toBe(kind);
  });
});

describe('backoffDelay', () => {
  it.each([
    { attempt: 0, random: 0.999, max: 499 },
    { attempt: 1, random: 0.999, max: 999 },
    { attempt: 3, random: 0.5, max: 2_000 },
    { attempt: 10, random: 0.999, max: 29_970 },
    { attempt: 1_000, random: 0.5, max: 15_000 },
    { attempt: 4, random: 0, max: 0 },
  ])('waits floor(random · min(30 s, 0.5 s · 2^$attempt)) = $max ms', ({ attempt, random, max }) => {
    expect(backoffDelay(attempt, { baseMs: 500, maxMs: 30_000 }, () => random)).toBe(max);
  });
});
