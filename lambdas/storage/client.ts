import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The document client's command names, as the DynamoDB operations they call. */
const OPERATIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
};
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

/** DynamoDB calls and request units, counted per operation. */
export interface DynamoUsage {
  calls: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

/**
 * Counts every DynamoDB call a container makes, with the capacity DynamoDB reports for it. Handlers log the
 * usage of each invocation, so the cost of a request shows in the logs; tests and the bench read it too.
 */
export class DynamoMeter {
  private usage: DynamoUsage = { calls: {}, readUnits: 0, writeUnits: 0 };

  record(command: string, consumed: unknown): void {
    const base = command.replace(/Command$/, '');
    const operation = OPERATIONS[base] ?? base;
    this.usage.calls[operation] = (this.usage.calls[operation] ?? 0) + 1;
    const isRead = READS.has(operation);
    for (const item of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
      const units = (item as { CapacityUnits?: number }).CapacityUnits ?? 0;
      if (isRead) this.usage.readUnits += units;
      else this.usage.writeUnits += units;
    }
  }

  /** The usage since the last reset, and a fresh count from now on. */
  take(): DynamoUsage {
    const usage = this.usage;
    this.usage = { calls: {}, readUnits: 0, writeUnits: 0 };
    return usage;
  }
}

/**
 * A document client that asks DynamoDB for consumed capacity on every call and records it in `meter`.
 * The endpoint comes from the SDK's own configuration (`AWS_ENDPOINT_URL_DYNAMODB` locally).
 */
export function createDocumentClient(meter: DynamoMeter): DynamoDBDocumentClient {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        // A refused conditional write is a call too (DynamoDB bills it), though it reports no capacity.
        meter.record(String(context.commandName), undefined);
        throw error;
      }
      const output = result.output as { ConsumedCapacity?: unknown };
      meter.record(String(context.commandName), output.ConsumedCapacity);
      return result;
    },
    { step: 'initialize', name: 'consumedCapacityMeter' },
  );
  return client;
}
