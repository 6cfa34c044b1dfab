import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynamo } from '../../local/dynamo.js';

let dynamo: LocalDynamo;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynamo();
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

describe('local DynamoDB faults', () => {
  it('fails only the matching requests, as many times as asked, in DynamoDB’s error format', async () => {
    const fired = dynamo.injectFault({
      match: (operation, request) => operation === 'ListTables' && request.Limit === 7,
      type: 'AccessDeniedException',
      times: 2,
    });
    await expect(client.send(new ListTablesCommand({ Limit: 5 }))).resolves.toMatchObject({ TableNames: [] });
    for (let i = 0; i < 2; i++) {
      await expect(client.send(new ListTablesCommand({ Limit: 7 }))).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: 'Injected fault',
        $metadata: { httpStatusCode: 400 },
      });
    }
    await fired;
    await expect(client.send(new ListTablesCommand({ Limit: 7 }))).resolves.toMatchObject({ TableNames: [] });
  });

  it('answers an InternalServerError with 500, which the SDK retries', async () => {
    const fired = dynamo.injectFault({ match: (operation) => operation === 'ListTables' });
    const retrying = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    dynamo.resetStats();
    await expect(retrying.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
    await fired;
    expect(dynamo.stats()).toEqual({ ListTables: 2 });
    retrying.destroy();
  });
});

describe('local DynamoDB faults after the fact', () => {
  it('applies the write and answers 500 anyway when asked to fail after it', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'after-faults',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const fired = dynamo.injectFault({ match: (operation) => operation === 'PutItem', after: true });
    await expect(
      client.send(new PutItemCommand({ TableName: 'after-faults', Item: { pk: { S: 'applied' } } })),
    ).rejects.toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    await fired;
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'after-faults', Key: { pk: { S: 'applied' } }, ConsistentRead: true }),
    );
    expect(Item).toEqual({ pk: { S: 'applied' } });
  });
});
