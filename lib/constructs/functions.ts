import { join } from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS } from '../../lambdas/contract/functions.js';
import {
  allHandlers,
  type HttpRoute,
  httpRoutes,
  queueConsumers,
  type RouteAccess,
  streamConsumers,
  webSocketAuthorizer,
  webSocketRoutes,
} from '../../lambdas/contract/routes.js';
import { ENV } from '../../lambdas/runtime/config.js';
import type { Attachments } from './attachments.js';
import type { JwtSettings } from './identity.js';
import type { SessionIssuer } from './session-issuer.js';

/**
 * Where the session issuer's public documents live on the stack's origin (the JWKS, the discovery document):
 * their functions are told the issuer, and the edge caches them.
 */
export const WELL_KNOWN_PREFIX = '/.well-known/';

/** The Lambda runtime of every handler (DESIGN.md: Node.js 22). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;

/** Longest a function may run; the local runtime takes the same constant (see its TSDoc). */
export const FUNCTION_TIMEOUT = Duration.seconds(FUNCTION_TIMEOUT_SECONDS);

/**
 * Lets CommonJS dependencies bundled into an ES module call `require` for Node built-ins
 * (esbuild's ESM output has no `require` of its own).
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __chatCreateRequire } from 'node:module'; const require = __chatCreateRequire(import.meta.url);";

/** Settings every handler reads (see `lambdas/runtime/config.ts`). */
export interface HandlerSettings {
  readonly userIdClaim: string;
  readonly staffClaim: string;
  readonly staffGroup: string;
  readonly maxMessageLength: number;
  readonly openRoomShards: number;
  /** `list`: keep the legacy open-rooms index up and list from it (OPEN_ROOMS_LEGACY_INDEX); docs/deploy.md. */
  readonly legacyOpenRoomsIndex: 'list' | 'keep' | 'none';
  /** RATE_LIMITS (JSON); absent: the functions' defaults. */
  readonly rateLimits: string | undefined;
  /** AUTO_ASSIGN; absent: off. */
  readonly autoAssign: string | undefined;
  /** POWERTOOLS_LOG_LEVEL. */
  readonly logLevel: string;
}

export interface FunctionsProps {
  /** Folder holding `lambdas/` and the lock file. */
  readonly projectRoot: string;
  readonly table: ITable;
  /** The table's indexes: the reading functions may query these, by name. */
  readonly indexNames: readonly string[];
  /** Where the pushing functions queue the frames they could not deliver. */
  readonly redeliveryQueue: IQueue;
  /** The secret origin header the stack's distribution adds (`ORIGIN_VERIFY`, a deploy-time reference). */
  readonly originVerify: string;
  /** Stage whose management API the pushing functions call. */
  readonly webSocketStage: WebSocketStage;
  /** Given to the WebSocket authorizer only. */
  readonly jwt: JwtSettings;
  /**
   * The session issuer: its `iss` (the distribution's URL, resolved lazily: the distribution is built after
   * the functions) and its key and identity secret, granted to the functions the route table names.
   */
  readonly sessions: { readonly issuer: string; readonly issuerResources: SessionIssuer };
  readonly settings: HandlerSettings;
  readonly logRetention: RetentionDays;
  /** What the functions that send email (`access.email`) are told and granted (notifications.ts). */
  readonly email?: {
    readonly environment: Record<string, string>;
    grantSend(grantee: IGrantable): void;
  };
  /** The attachments bucket, granted to the functions whose route access names `files`. */
  readonly attachments?: { readonly files: Attachments; readonly maxBytes: number };
}

/** The parts of the route table that name handlers and their access (lambdas/contract/routes.ts). */
export interface RouteTable {
  readonly httpRoutes: readonly Pick<HttpRoute, 'handler' | 'auth' | 'access'>[];
  readonly webSocketAuthorizer: { readonly handler: string; readonly access: RouteAccess };
  readonly webSocketRoutes: readonly { readonly handler: string; readonly access: RouteAccess }[];
  readonly queueConsumers: readonly { readonly handler: string; readonly access: RouteAccess }[];
  readonly streamConsumers: readonly { readonly handler: string; readonly access: RouteAccess }[];
}

const ROUTE_TABLE: RouteTable = {
  httpRoutes,
  webSocketAuthorizer,
  webSocketRoutes,
  queueConsumers,
  streamConsumers,
};

/**
 * The access of every handler, from the route table (a handler serving several routes gets the union). Every
 * `auth: 'function'` route and the WebSocket authorizer verify session tokens themselves, so they get the
 * session key's `verify` whatever their entry says; `sign` includes `verify`.
 */
export function handlerAccess(table: RouteTable = ROUTE_TABLE): Map<string, RouteAccess> {
  const rank = { none: 0, tickets: 1, read: 2, readwrite: 3 } as const;
  const keyRank = { none: 0, verify: 1, sign: 2 } as const;
  const access = new Map<string, RouteAccess>();
  const entries: { handler: string; access: RouteAccess; verifies: boolean }[] = [
    ...table.httpRoutes.map((r) => ({
      handler: r.handler,
      access: r.access,
      verifies: r.auth === 'function',
    })),
    { handler: table.webSocketAuthorizer.handler, access: table.webSocketAuthorizer.access, verifies: true },
    ...[...table.webSocketRoutes, ...table.queueConsumers, ...table.streamConsumers].map((r) => ({
      handler: r.handler,
      access: r.access,
      verifies: false,
    })),
  ];
  for (const { handler, access: a, verifies } of entries) {
    const seen = access.get(handler);
    // `tickets` is not part of `read`: the union of the two has no level of its own.
    if (seen && seen.table !== a.table && [seen.table, a.table].includes('tickets')) {
      throw new Error(`handler ${handler} mixes table access tickets with ${seen.table} and ${a.table}`);
    }
    const keys = [seen?.sessionKey, a.sessionKey, verifies ? 'verify' : undefined] as const;
    const sessionKey = keys.reduce<RouteAccess['sessionKey']>(
      (best, k) => (k && keyRank[k] > keyRank[best ?? 'none'] ? k : best),
      undefined,
    );
    const identitySecret = (seen?.identitySecret ?? false) || (a.identitySecret ?? false);
    const email = (seen?.email ?? false) || (a.email ?? false);
    const files = [...new Set([...(seen?.files ?? []), ...(a.files ?? [])])].sort();
    access.set(handler, {
      table: seen && rank[seen.table] > rank[a.table] ? seen.table : a.table,
      push: (seen?.push ?? false) || a.push,
      ...(sessionKey ? { sessionKey } : {}),
      ...(identitySecret ? { identitySecret } : {}),
      ...(email ? { email } : {}),
      ...(files.length > 0 ? { files } : {}),
    });
  }
  return access;
}

/**
 * The DynamoDB actions of each table access level, on the table itself. Narrower than `grantReadData` and
 * `grantReadWriteData`, which add Scan, ConditionCheckItem, DescribeTable and the stream actions: the
 * storage module uses none of them.
 */
export const TABLE_ACTIONS: Record<RouteAccess['table'], readonly string[]> = {
  none: [],
  tickets: ['dynamodb:DeleteItem'],
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  readwrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
};

/**
 * Grants one table access level: its actions on the table, and Query alone on the named indexes (read levels).
 */
export function grantTableAccess(
  grantee: IGrantable,
  table: ITable,
  level: RouteAccess['table'],
  indexNames: readonly string[],
): void {
  const actions = TABLE_ACTIONS[level];
  if (actions.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: [...actions], resources: [table.tableArn] }),
  );
  if (actions.includes('dynamodb:Query')) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexNames.map((name) => `${table.tableArn}/index/${name}`),
      }),
    );
  }
}

/** `ws/send-message` → `WsSendMessage`: a stable construct id per handler. */
export function handlerId(handler: string): string {
  return handler
    .split(/[/-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * One `NodejsFunction` per handler of the route table: bundled by the local esbuild (no Docker) as a minified
 * ES module with the AWS SDK inside, arm64 on Node.js 22, a log group with retention, and IAM grants taken
 * from the route table's `access` and nothing else ({@link TABLE_ACTIONS}).
 */
export class Functions extends Construct {
  /** Every function, keyed by handler (`http/list-rooms`). */
  public readonly byHandler: ReadonlyMap<string, NodejsFunction>;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const access = handlerAccess();
    const common: Record<string, string> = {
      [ENV.tableName]: props.table.tableName,
      [ENV.userIdClaim]: props.settings.userIdClaim,
      [ENV.staffClaim]: props.settings.staffClaim,
      [ENV.staffGroup]: props.settings.staffGroup,
      [ENV.maxMessageLength]: String(props.settings.maxMessageLength),
      [ENV.openRoomShards]: String(props.settings.openRoomShards),
      ...(props.settings.legacyOpenRoomsIndex === 'list' ? { [ENV.legacyOpenRoomsIndex]: 'true' } : {}),
      ...(props.settings.rateLimits ? { [ENV.rateLimits]: props.settings.rateLimits } : {}),
      ...(props.settings.autoAssign ? { [ENV.autoAssign]: props.settings.autoAssign } : {}),
      [ENV.originVerify]: props.originVerify,
      POWERTOOLS_SERVICE_NAME: 'live-chat',
      POWERTOOLS_LOG_LEVEL: props.settings.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };
    // The issuer's discovery document names the issuer without using its key: told the issuer, granted nothing.
    const publishesIssuer = new Set(
      httpRoutes.filter((r) => r.path.startsWith(WELL_KNOWN_PREFIX)).map((r) => r.handler),
    );
    const functions = new Map<string, NodejsFunction>();
    for (const handler of allHandlers()) {
      const a = access.get(handler)!;
      const cid = handlerId(handler);
      const environment: Record<string, string> = { ...common };
      if (a.push) {
        environment[ENV.webSocketCallbackUrl] = props.webSocketStage.callbackUrl;
        environment[ENV.redeliveryQueueUrl] = props.redeliveryQueue.queueUrl;
      }
      const { issuer, issuerResources } = props.sessions;
      if (a.sessionKey || publishesIssuer.has(handler)) {
        environment[ENV.sessionIssuer] = issuer;
        environment[ENV.sessionKeyId] = issuerResources.key.keyArn;
      }
      if (a.identitySecret) environment[ENV.identitySecretId] = issuerResources.identitySecret.secretArn;
      if (a.email) Object.assign(environment, props.email?.environment);
      if (a.files && props.attachments) {
        environment[ENV.attachmentBucket] = props.attachments.files.bucket.bucketName;
        environment[ENV.attachmentMaxBytes] = String(props.attachments.maxBytes);
      }
      // Every function that verifies a bearer token (the `function` routes, guest-sessions' upgrade, the
      // WebSocket authorizer) checks the staff issuer too: lambdas/runtime/verifier.ts refuses to start without it.
      if (a.sessionKey || handler === webSocketAuthorizer.handler) {
        environment[ENV.jwtIssuer] = props.jwt.issuer;
        // Comma-separated, like the HTTP authorizer's audience list (client ids and audiences have no comma).
        environment[ENV.jwtAudience] = [props.jwt.audience, ...(props.jwt.extraAudiences ?? [])].join(',');
        environment[ENV.jwtJwksUri] = props.jwt.jwksUri;
      }
      const logGroup = new LogGroup(this, `${cid}Logs`, {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // An own role instead of AWSLambdaBasicExecutionRole: the function writes to its own log group only.
      const role = new Role(this, `${cid}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `live chat: ${handler}`,
      });
      logGroup.grantWrite(role);
      const fn = new NodejsFunction(this, cid, {
        role,
        entry: join(props.projectRoot, 'lambdas', `${handler}.ts`),
        handler: 'handler',
        depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
        projectRoot: props.projectRoot,
        runtime: FUNCTION_RUNTIME,
        architecture: Architecture.ARM_64,
        // A function that never touches the table (ping) does no I/O; the others spend most of their time
        // waiting on DynamoDB, and 256 MB gives the bundled SDK's cold start enough CPU.
        memorySize: a.table === 'none' ? 128 : 256,
        timeout: FUNCTION_TIMEOUT,
        description: `live chat: ${handler}`,
        environment,
        logGroup,
        bundling: {
          format: OutputFormat.ESM,
          target: 'node22',
          minify: true,
          sourceMap: true,
          // Stack traces need the mappings, not a copy of the sources.
          sourcesContent: false,
          // Bundle the AWS SDK: importing it minified from the bundle is faster than the runtime's copy.
          externalModules: [],
          mainFields: ['module', 'main'],
          banner: ESM_REQUIRE_BANNER,
          // Sizes are in cdk.out; keep synth and test output to warnings.
          logLevel: LogLevel.WARNING,
        },
      });
      grantTableAccess(fn, props.table, a.table, props.indexNames);
      if (a.push) {
        props.webSocketStage.grantManagementApiAccess(fn);
        props.redeliveryQueue.grantSendMessages(fn);
      }
      if (a.sessionKey === 'sign') props.sessions.issuerResources.grantSign(fn);
      if (a.sessionKey === 'verify') props.sessions.issuerResources.grantVerify(fn);
      if (a.identitySecret) props.sessions.issuerResources.grantReadIdentitySecret(fn);
      if (a.email) props.email?.grantSend(fn);
      const files = props.attachments?.files;
      if (files && a.files?.includes('upload')) files.grantUpload(fn);
      if (files && a.files?.includes('download')) files.grantDownload(fn);
      // Upload already includes tagging.
      if (files && a.files?.includes('tag') && !a.files.includes('upload')) files.grantTag(fn);
      functions.set(handler, fn);
    }
    this.byHandler = functions;
    this.acknowledgeFindings(props);
  }

  /** The cdk-nag findings that remain, each for a stated reason, matched by exact finding id. */
  private acknowledgeFindings(props: FunctionsProps): void {
    const stack = Stack.of(this);
    const logicalId = (c: CfnResource): string => stack.resolve(stack.getLogicalId(c)) as string;
    const apiId = logicalId(props.webSocketStage.api.node.defaultChild as CfnResource);
    const stage = props.webSocketStage.stageName;
    const acknowledge = (id: string, reason: string) => Validations.of(this).acknowledge({ id, reason });
    acknowledge(
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/${stage}/*/@connections/*]`,
      'grantManagementApiAccess: the connection ids are only known at run time; the grant is limited to ' +
        'this API and stage.',
    );
    if (props.attachments) {
      const bucketId = logicalId(props.attachments.files.bucket.node.defaultChild as CfnResource);
      acknowledge(
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/rooms/*]`,
        'Attachments: object keys (rooms/<room>/<attachment>) are made at run time; the grant is limited to ' +
          'the prefix and to the one or two object actions each function needs (PutObject and ' +
          'PutObjectTagging to sign uploads, GetObject to sign downloads, PutObjectTagging to mark one sent).',
      );
    }
    acknowledge(
      'AwsSolutions-L1',
      'The design pins Node.js 22 (docs and local runtime match it); moving to a newer runtime is a ' +
        'deliberate change of FUNCTION_RUNTIME in lib/constructs/functions.ts, tested locally first.',
    );
  }

  /** The function of a handler of the route table; throws for a handler the table does not name. */
  public of(handler: string): NodejsFunction {
    const fn = this.byHandler.get(handler);
    if (!fn) throw new Error(`no function for handler ${handler}: is it in lambdas/contract/routes.ts?`);
    return fn;
  }
}
