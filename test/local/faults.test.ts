import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultPlan, parseFaults } from '../../local/faults.js';
import { useDynamo } from '../support/table.js';

const local = useDynamo();
const TableName = 'faults-test';

beforeAll(async () => {
  await local.client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
});
afterEach(() => local.dynamo.faults(undefined));

const put = (pk: string) => local.client.send(new PutItemCommand({ TableName, Item: { pk: { S: pk } } }));
const stored = async (pk: string) =>
  (await local.client.send(new GetItemCommand({ TableName, Key: { pk: { S: pk } }, ConsistentRead: true })))
    .Item !== undefined;

/** The outcome of each of `n` puts: ok, or the error's name. */
async function outcomes(prefix: string, n: number): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < n; i++) {
    results.push(
      await put(`${prefix}-${i}`).then(
        () => 'ok',
        (error: Error) => error.name,
      ),
    );
  }
  return results;
}

describe('seeded fault schedules', () => {
  it.each([
    ['error', 'InternalServerError', 500],
    ['throttle', 'ProvisionedThroughputExceededException', 400],
  ] as const)(
    'answers every request with %s in DynamoDB’s JSON error format, never applied',
    async (kind, name, status) => {
      local.dynamo.faults({ [kind]: 1 });
      await expect(put(`${kind}-1`)).rejects.toMatchObject({
        name,
        message: 'Injected fault',
        $metadata: { httpStatusCode: status },
      });
      local.dynamo.faults(undefined);
      expect(await stored(`${kind}-1`)).toBe(false);
    },
  );

  it('drops the connection before any answer, without applying the request', async () => {
    local.dynamo.faults({ drop: 1 });
    // The SDK sees the socket hang up, and classes it as transient (it retries it).
    await expect(put('drop-1')).rejects.toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
    expect(local.dynamo.faultCounts().drop).toBe(1);
    local.dynamo.faults(undefined);
    expect(await stored('drop-1')).toBe(false);
  });

  it('applies a request and then loses its answer (500)', async () => {
    local.dynamo.faults({ lost: 1 });
    await expect(put('lost-1')).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500 },
    });
    local.dynamo.faults(undefined);
    expect(await stored('lost-1')).toBe(true);
  });

  it('gives the n-th request the same fate for the same seed, and other fates for another seed', async () => {
    const schedule = { seed: 42, error: 0.3, throttle: 0.2 };
    local.dynamo.faults(schedule);
    const first = await outcomes('seed-a', 30);
    local.dynamo.faults(schedule);
    const second = await outcomes('seed-b', 30);
    local.dynamo.faults({ ...schedule, seed: 7 });
    const other = await outcomes('seed-c', 30);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(new Set(first)).toEqual(
      new Set(['ok', 'InternalServerError', 'ProvisionedThroughputExceededException']),
    );
    expect(local.dynamo.faultCounts()).toEqual({
      pass: other.filter((o) => o === 'ok').length,
      error: other.filter((o) => o === 'InternalServerError').length,
      throttle: other.filter((o) => o === 'ProvisionedThroughputExceededException').length,
      drop: 0,
      lost: 0,
    });
  });

  it('touches only the requests its match picks, and lets one-shot faults go first', async () => {
    local.dynamo.faults({ error: 1, match: (operation) => operation === 'GetItem' });
    await expect(put('match-1')).resolves.toBeDefined();
    await expect(stored('match-1')).rejects.toMatchObject({ name: 'InternalServerError' });
    const fired = local.dynamo.injectFault({
      match: (operation) => operation === 'PutItem',
      type: 'AccessDeniedException',
    });
    await expect(put('match-2')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await fired;
    expect(local.dynamo.faultCounts()).toMatchObject({ error: 1, pass: 0 });
  });

  it('adds a seeded latency to each request, within the bound', () => {
    const plan = new FaultPlan({ seed: 3, latencyMs: 20 });
    const delays = Array.from({ length: 200 }, () => plan.next().delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(20);
    expect(new Set(delays).size).toBeGreaterThan(10);
    expect(plan.counts()).toMatchObject({ pass: 200 });
  });
});

describe('parseFaults (npm start --faults)', () => {
  it('reads the shares, the seed and the latency', () => {
    expect(parseFaults('seed=42,error=0.2,throttle=0.1,drop=0.05,lost=0.05,latency=20')).toEqual({
      seed: 42,
      error: 0.2,
      throttle: 0.1,
      drop: 0.05,
      lost: 0.05,
      latencyMs: 20,
    });
  });

  it.each([
    ['errors=0.2'],
    ['error'],
    ['error=abc'],
    ['error=1.5'],
    ['error=0.6,throttle=0.6'],
    ['latency=-1'],
  ])('refuses %s', (spec) => {
    expect(() => parseFaults(spec)).toThrow();
  });
});
