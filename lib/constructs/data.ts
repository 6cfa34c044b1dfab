import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { STREAM_MAPPING } from '../../lambdas/contract/stream.js';
import { legacyOpenRoomsIndex, tableSchema } from '../../lambdas/contract/table-schema.js';

const attributeTypes = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;

function key(k: { readonly name: string; readonly type: keyof typeof attributeTypes }) {
  return { name: k.name, type: attributeTypes[k.type] };
}

export interface DataProps {
  /**
   * Keep the table when the stack is deleted: deletion protection on and removal policy RETAIN.
   * Turn it off only for throw-away stacks.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * Keep the open-rooms index gsi3 replaced (gsi2) for one more deploy, while gsi3 is created and filled:
   * CloudFormation creates or deletes one index per update (docs/deploy.md).
   * @default false
   */
  readonly legacyOpenRoomsIndex?: boolean;
}

const projections = {
  ALL: ProjectionType.ALL,
  KEYS_ONLY: ProjectionType.KEYS_ONLY,
} as const;

/**
 * The chat table, built from the shared schema (`lambdas/contract/table-schema.ts`), the same one the local
 * runtime creates: on-demand, point-in-time recovery, TTL on the schema's attribute, encrypted with the
 * AWS-managed key (`aws/dynamodb`).
 */
export class Data extends Construct {
  public readonly table: Table;
  /** The table's global secondary indexes, which the reading functions may query. */
  public readonly indexNames: readonly string[];

  constructor(scope: Construct, id: string, props: DataProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.table = new Table(this, 'Table', {
      partitionKey: key(tableSchema.partitionKey),
      sortKey: key(tableSchema.sortKey),
      timeToLiveAttribute: tableSchema.timeToLiveAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      // The staff queue's summaries are made from it (lib/constructs/queue-feed.ts).
      stream: StreamViewType[STREAM_MAPPING.viewType],
    });
    const indexes = [
      ...tableSchema.globalSecondaryIndexes,
      ...(props.legacyOpenRoomsIndex ? [legacyOpenRoomsIndex] : []),
    ];
    for (const index of indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: key(index.partitionKey),
        sortKey: key(index.sortKey),
        projectionType: projections[index.projection],
      });
    }
    this.indexNames = indexes.map((index) => index.indexName);
  }
}
