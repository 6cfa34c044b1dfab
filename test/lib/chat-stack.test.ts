import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  allHandlers,
  httpRoutes,
  queueConsumers,
  type RouteAccess,
  streamConsumers,
  webSocketAuthorizer,
  webSocketRouteSelectionExpression,
  webSocketRoutes,
} from '../../lambdas/contract/routes.js';
import { tableSchema } from '../../lambdas/contract/table-schema.js';
import { ENV } from '../../lambdas/runtime/config.js';
import { LOCAL_CONSOLE_URL, THROTTLING } from '../../lib/chat-stack.js';
import { ESM_REQUIRE_BANNER, FUNCTION_TIMEOUT, handlerAccess } from '../../lib/constructs/functions.js';
import { ALARM_THRESHOLDS } from '../../lib/constructs/observability.js';
import { viewerRequestCode } from '../../local/edge.js';
import { cfnLint, logicalId, resourcesOfType, type Synthesized, synthesize } from './synth.js';

/** Packages the SDK requires lazily inside try/catch, for SigV4a only; neither DynamoDB nor the management API uses it. */
const OPTIONAL_SDK_REQUIRES = ['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'];

/** API Gateway's integration timeout for Lambda, WebSocket and HTTP alike. */
const INTEGRATION_TIMEOUT_MS = 29_000;

let s: Synthesized;
beforeAll(() => {
  // The default deployment: Cognito, no hosting, real esbuild bundles as `cdk synth` makes them.
  s = synthesize({ context: { hosting: 'false' } });
}, 120_000);

const fnId = (handler: string) => logicalId(s.stack.functions.of(handler));
const props = (id: string) => s.json.Resources[id]?.Properties ?? {};
/** Whether a CloudFormation value (an ARN join, a GetAtt) points at the function with this logical id. */
const refersTo = (value: unknown, id: string) =>
  JSON.stringify(value).includes(`{"Fn::GetAtt":["${id}","Arn"]}`);
const refId = (value: unknown) => (value as { Ref: string }).Ref;
/** `{"Fn::Join":["",["integrations/",{"Ref":"X"}]]}` → `X`. */
const targetId = (target: unknown) => {
  const match = /"integrations\/",\{"Ref":"([^"]+)"\}/.exec(JSON.stringify(target));
  if (!match?.[1]) throw new Error(`unexpected route target ${JSON.stringify(target)}`);
  return match[1];
};
const routesOf = (apiId: string) =>
  Object.entries(resourcesOfType(s.json, 'AWS::ApiGatewayV2::Route')).filter(
    ([, r]) => refId(r.Properties.ApiId) === apiId,
  );

describe('table', () => {
  it('has the keys, indexes and TTL of the shared schema', () => {
    const key = (k: { name: string }, keyType: string) => ({ AttributeName: k.name, KeyType: keyType });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [key(tableSchema.partitionKey, 'HASH'), key(tableSchema.sortKey, 'RANGE')],
      GlobalSecondaryIndexes: tableSchema.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [key(index.partitionKey, 'HASH'), key(index.sortKey, 'RANGE')],
        Projection: { ProjectionType: index.projection },
      })),
      TimeToLiveSpecification: { AttributeName: tableSchema.timeToLiveAttribute, Enabled: true },
    });
    const attributes: { name: string; type: string }[] = [
      tableSchema.partitionKey,
      tableSchema.sortKey,
      ...tableSchema.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
    ];
    const [table] = Object.values(resourcesOfType(s.json, 'AWS::DynamoDB::Table'));
    expect(table?.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type }))),
    );
    expect(table?.Properties.AttributeDefinitions).toHaveLength(attributes.length);
  });

  it('is on demand, with point-in-time recovery, AWS-managed encryption, deletion protection and RETAIN', () => {
    s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });
});

describe('HTTP API', () => {
  const apiId = () => logicalId(s.stack.http.api);
  const authorizerId = () => {
    const [id] = Object.entries(resourcesOfType(s.json, 'AWS::ApiGatewayV2::Authorizer')).find(
      ([, a]) => a.Properties.AuthorizerType === 'JWT',
    ) ?? [''];
    return id;
  };

  it.each(httpRoutes.map((r) => [`${r.method} ${r.path}`, r.handler, r.auth]))(
    'routes %s to the function of %s (auth %s: JWT authorizer for jwt, none at API Gateway otherwise)',
    (routeKey, handler, auth) => {
      const found = routesOf(apiId()).filter(([, r]) => r.Properties.RouteKey === routeKey);
      expect(found).toHaveLength(1);
      const route = found[0]![1].Properties;
      expect(route.AuthorizationType).toBe(auth === 'jwt' ? 'JWT' : 'NONE');
      if (auth === 'jwt') expect(refId(route.AuthorizerId)).toBe(authorizerId());
      else expect(route.AuthorizerId).toBeUndefined();
      const integration = props(targetId(route.Target));
      expect(integration.IntegrationType).toBe('AWS_PROXY');
      expect(integration.PayloadFormatVersion).toBe('2.0');
      expect(refersTo(integration.IntegrationUri, fnId(handler))).toBe(true);
    },
  );

  it('has exactly the routes of the route table; only the staff routes (jwt) behind the JWT authorizer', () => {
    const keys = routesOf(apiId()).map(([, r]) => r.Properties.RouteKey as string);
    expect(keys.sort()).toEqual(httpRoutes.map((r) => `${r.method} ${r.path}`).sort());
    const jwtKeys = httpRoutes.filter((r) => r.auth === 'jwt').map((r) => `${r.method} ${r.path}`);
    expect(jwtKeys.sort()).toEqual(
      [
        'GET /api/chat/active-rooms',
        'GET /api/chat/closed-rooms',
        'GET /api/chat/customers/{id}/rooms',
        'POST /api/chat/rooms/{id}/assign',
        'POST /api/chat/rooms/{id}/join',
        'POST /api/chat/rooms/{id}/leave',
      ].sort(),
    );
    const jwtRoutes = routesOf(apiId()).filter(([, r]) => r.Properties.AuthorizationType === 'JWT');
    expect(jwtRoutes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(jwtKeys.sort());
  });

  it('verifies tokens of the user pool: its issuer, the web client as audience', () => {
    const issuer = props(authorizerId()).JwtConfiguration as { Issuer: unknown; Audience: unknown[] };
    expect(JSON.stringify(issuer.Issuer)).toContain(logicalId(s.stack.identity.userPool!));
    expect(issuer.Audience).toEqual([{ Ref: logicalId(s.stack.identity.userPoolClient!) }]);
    expect(props(authorizerId()).IdentitySource).toEqual(['$request.header.Authorization']);
  });

  it('has no CORS configuration when no origin is given', () => {
    expect(props(apiId()).CorsConfiguration).toBeUndefined();
  });

  it('deploys one $default stage with throttling and JSON access logs', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: apiId() },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: THROTTLING.http.rateLimit,
        ThrottlingBurstLimit: THROTTLING.http.burstLimit,
      },
    });
    const [, stage] = Object.entries(resourcesOfType(s.json, 'AWS::ApiGatewayV2::Stage')).find(
      ([, st]) => refId(st.Properties.ApiId) === apiId(),
    )!;
    const format = JSON.parse((stage.Properties.AccessLogSettings as { Format: string }).Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationError: '$context.integrationErrorMessage',
    });
  });
});

describe('WebSocket API', () => {
  const apiId = () => logicalId(s.stack.realtime.api);

  it('selects routes by the expression of the contract', () => {
    expect(props(apiId())).toMatchObject({
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: webSocketRouteSelectionExpression,
    });
  });

  it.each(webSocketRoutes.map((r) => [r.routeKey, r.handler]))(
    'routes %s to the function of %s',
    (routeKey, handler) => {
      const found = routesOf(apiId()).filter(([, r]) => r.Properties.RouteKey === routeKey);
      expect(found).toHaveLength(1);
      const route = found[0]![1].Properties;
      expect(route.AuthorizationType).toBe(routeKey === '$connect' ? 'CUSTOM' : 'NONE');
      const integration = props(targetId(route.Target));
      expect(integration.IntegrationType).toBe('AWS_PROXY');
      expect(refersTo(integration.IntegrationUri, fnId(handler))).toBe(true);
    },
  );

  it('has exactly the routes of the route table', () => {
    const keys = routesOf(apiId()).map(([, r]) => r.Properties.RouteKey as string);
    expect(keys.sort()).toEqual(webSocketRoutes.map((r) => r.routeKey).sort());
  });

  it.each(webSocketRoutes.map((r) => [r.routeKey, r.returnResponse ?? false]))(
    'gives %s a route response: %s',
    (routeKey, twoWay) => {
      const [routeId, route] = routesOf(apiId()).find(([, r]) => r.Properties.RouteKey === routeKey)!;
      const responses = Object.values(resourcesOfType(s.json, 'AWS::ApiGatewayV2::RouteResponse')).filter(
        (r) => refId(r.Properties.RouteId) === routeId,
      );
      expect(responses).toHaveLength(twoWay ? 1 : 0);
      expect(route.Properties.RouteResponseSelectionExpression).toBe(twoWay ? '$default' : undefined);
    },
  );

  it('authorizes $connect with the authorizer function, without identity sources', () => {
    const [connectId, connect] = routesOf(apiId()).find(([, r]) => r.Properties.RouteKey === '$connect')!;
    const authorizer = props(refId(connect.Properties.AuthorizerId));
    expect(authorizer.AuthorizerType).toBe('REQUEST');
    expect(refersTo(authorizer.AuthorizerUri, fnId(webSocketAuthorizer.handler))).toBe(true);
    // Either ?token= or ?ticket= may be present; a listed source that is missing would be a 401 from
    // API Gateway before the function runs.
    expect(authorizer).not.toHaveProperty('IdentitySource');
    expect(connectId).toBeTruthy();
  });

  it('deploys the prod stage with stage and route throttling and JSON access logs', () => {
    const [stageId, stage] = Object.entries(resourcesOfType(s.json, 'AWS::ApiGatewayV2::Stage')).find(
      ([, st]) => refId(st.Properties.ApiId) === apiId(),
    )!;
    expect(stage.Properties).toMatchObject({
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: THROTTLING.webSocket.stage.rateLimit,
        ThrottlingBurstLimit: THROTTLING.webSocket.stage.burstLimit,
      },
    });
    const routeSettings = stage.Properties.RouteSettings as Record<string, unknown>;
    expect(Object.keys(routeSettings).sort()).toEqual(Object.keys(THROTTLING.webSocket.routes).sort());
    for (const [key, t] of Object.entries(THROTTLING.webSocket.routes)) {
      expect(routeSettings[key]).toEqual({
        ThrottlingRateLimit: t.rateLimit,
        ThrottlingBurstLimit: t.burstLimit,
      });
    }
    // Route settings name route keys: the stage must wait for the routes.
    const dependsOn = s.json.Resources[stageId]?.DependsOn as string[];
    for (const [routeId] of routesOf(apiId())) expect(dependsOn).toContain(routeId);
    const format = JSON.parse((stage.Properties.AccessLogSettings as { Format: string }).Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      connectionId: '$context.connectionId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationError: '$context.integration.error',
    });
  });

  it('sets the region API Gateway CloudWatch role the access logs need, and keeps it', () => {
    s.template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
  });
});

describe('functions', () => {
  const access = handlerAccess();
  const fnProps = (handler: string) => props(fnId(handler));
  const env = (handler: string) =>
    (fnProps(handler).Environment as { Variables: Record<string, unknown> }).Variables;

  it('deploys one function per handler of the route table', () => {
    s.template.resourceCountIs('AWS::Lambda::Function', allHandlers().length);
  });

  it.each(allHandlers())(
    'runs %s as an arm64 Node.js 22 ES module within the integration timeout',
    (handler) => {
      const p = fnProps(handler);
      expect(p).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(p.Timeout).toBe(FUNCTION_TIMEOUT.toSeconds());
      expect((p.Timeout as number) * 1000).toBeLessThan(INTEGRATION_TIMEOUT_MS);
      expect(p.MemorySize).toBe(access.get(handler)!.table === 'none' ? 128 : 256);
      const logGroupId = refId((p.LoggingConfig as { LogGroup: unknown }).LogGroup);
      expect(s.json.Resources[logGroupId]?.Properties.RetentionInDays).toBe(30);
    },
  );

  it('leaves every API integration timeout above the function timeout', () => {
    for (const integration of Object.values(resourcesOfType(s.json, 'AWS::ApiGatewayV2::Integration'))) {
      const timeout =
        (integration.Properties.TimeoutInMillis as number | undefined) ?? INTEGRATION_TIMEOUT_MS;
      expect(timeout).toBeGreaterThan(FUNCTION_TIMEOUT.toMilliseconds());
    }
  });

  it.each(allHandlers())('gives %s the environment the handlers read', (handler) => {
    const vars = env(handler);
    for (const name of Object.keys(vars)) expect(name.length).toBeGreaterThanOrEqual(2);
    expect(vars[ENV.tableName]).toEqual({ Ref: logicalId(s.stack.data.table) });
    expect(vars).toMatchObject({
      [ENV.userIdClaim]: 'sub',
      [ENV.staffClaim]: 'cognito:groups',
      [ENV.staffGroup]: 'staff',
      [ENV.maxMessageLength]: '4000',
      [ENV.openRoomShards]: '1',
      POWERTOOLS_SERVICE_NAME: 'live-chat',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(vars[ENV.legacyOpenRoomsIndex]).toBeUndefined();
    const callback = vars[ENV.webSocketCallbackUrl];
    if (access.get(handler)!.push) {
      const url = JSON.stringify(callback);
      expect(url).toContain('"https://"');
      expect(url).toContain(`{"Ref":"${logicalId(s.stack.realtime.api)}"}`);
      expect(url).toMatch(/\/prod"\]\]\}$/);
    } else {
      expect(callback).toBeUndefined();
    }
    const a = access.get(handler)!;
    const distributionDomain = { 'Fn::GetAtt': [logicalId(s.stack.edge.distribution), 'DomainName'] };
    const publishesIssuer = httpRoutes.some(
      (r) => r.handler === handler && r.path.startsWith('/.well-known/'),
    );
    if (a.sessionKey || publishesIssuer) {
      expect(vars[ENV.sessionIssuer]).toEqual({ 'Fn::Join': ['', ['https://', distributionDomain]] });
      expect(vars[ENV.sessionKeyId]).toEqual({ 'Fn::GetAtt': [logicalId(s.stack.sessionIssuer.key), 'Arn'] });
    } else {
      expect([vars[ENV.sessionIssuer], vars[ENV.sessionKeyId]]).toEqual([undefined, undefined]);
    }
    expect(vars[ENV.identitySecretId]).toEqual(
      a.identitySecret ? { Ref: logicalId(s.stack.sessionIssuer.identitySecret) } : undefined,
    );
    const jwtVars = [ENV.jwtIssuer, ENV.jwtAudience, ENV.jwtJwksUri].map((name) => vars[name]);
    // Whoever verifies a bearer token checks both issuers (lambdas/runtime/verifier.ts), so it is told the
    // staff issuer too: the WebSocket authorizer, every `function` route, and guest-sessions (an upgrade's bearer).
    if (handler === webSocketAuthorizer.handler || a.sessionKey) {
      expect(JSON.stringify(jwtVars[0])).toContain(logicalId(s.stack.identity.userPool!));
      expect(jwtVars[1]).toEqual({ Ref: logicalId(s.stack.identity.userPoolClient!) });
      expect(JSON.stringify(jwtVars[2])).toContain('/.well-known/jwks.json');
    } else {
      expect(jwtVars).toEqual([undefined, undefined, undefined]);
    }
  });

  /** The DynamoDB actions each table access level allows: exactly these, nothing broader. */
  /** What a stream event source mapping needs of its consumer's role (granted by CDK, on the stream). */
  const STREAM_READ_ACTIONS = [
    'dynamodb:DescribeStream',
    'dynamodb:GetRecords',
    'dynamodb:GetShardIterator',
    'dynamodb:ListStreams',
  ];
  const TABLE_ACTIONS: Record<RouteAccess['table'], string[]> = {
    none: [],
    tickets: ['dynamodb:DeleteItem'],
    read: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
    readwrite: [
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ],
  };
  type Statement = { Action: string | string[]; Resource: unknown };
  const statementsOf = (handler: string): Statement[] => {
    const roleId = logicalId(s.stack.functions.of(handler).role!);
    return Object.values(resourcesOfType(s.json, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(`{"Ref":"${roleId}"}`))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };
  const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
  const tableArn = () => ({ 'Fn::GetAtt': [logicalId(s.stack.data.table), 'Arn'] });
  const indexArns = () =>
    tableSchema.globalSecondaryIndexes.map((index) => ({
      'Fn::Join': ['', [tableArn(), `/index/${index.indexName}`]],
    }));

  it.each(
    [...access].map(([handler, a]) => [
      handler,
      a.table,
      a.push,
      a.sessionKey ?? 'no',
      a.identitySecret ?? false,
      a.email ?? false,
    ]),
  )(
    'grants %s table access %s, push %s, session key %s and identity secret %s, nothing more',
    (handler, table, push, sessionKey, identitySecret, email) => {
      const roleId = logicalId(s.stack.functions.of(handler).role!);
      const actions = statementsOf(handler).flatMap(actionsOf);
      const services = new Set(actions.map((a) => a.split(':')[0]));
      expect([...services].sort()).toEqual(
        [
          'logs',
          ...(table === 'none' ? [] : ['dynamodb']),
          ...(push ? ['execute-api', 'sqs'] : []),
          ...(sessionKey === 'no' ? [] : ['kms']),
          ...(identitySecret ? ['secretsmanager'] : []),
          // A sender publishes to the team topic (the default, NOTIFY_TEAM=sns; test/lib/notifications.test.ts).
          ...(email ? ['sns'] : []),
          // The attachments bucket: test/lib/attachments.test.ts checks these grants action by action.
          ...(access.get(handler)?.files ? ['s3'] : []),
        ].sort(),
      );
      // A pusher may queue what it could not deliver; only the queue's consumer may take from it.
      const consumer = queueConsumers.some((c) => c.handler === handler);
      const sqs = [...new Set(actions.filter((a) => a.startsWith('sqs:')))].sort();
      expect(sqs).toEqual(
        push
          ? [
              ...(consumer ? ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage'] : []),
              'sqs:GetQueueAttributes',
              'sqs:GetQueueUrl',
              ...(consumer ? ['sqs:ReceiveMessage'] : []),
              'sqs:SendMessage',
            ]
          : [],
      );
      // The stream's consumer reads the stream too (granted by its event source mapping), nothing else does.
      const streamReader = streamConsumers.some((c) => c.handler === handler);
      expect([...new Set(actions.filter((a) => a.startsWith('dynamodb:')))].sort()).toEqual(
        [...TABLE_ACTIONS[table], ...(streamReader ? STREAM_READ_ACTIONS : [])].sort(),
      );
      expect(actions.includes('execute-api:ManageConnections')).toBe(push);
      // The role carries no managed policy: only the statements above.
      expect(props(roleId).ManagedPolicyArns).toBeUndefined();
    },
  );

  it.each(
    [...access].filter(([, a]) => a.table === 'read' || a.table === 'readwrite').map(([handler]) => handler),
  )('lets %s query the indexes by name, and do nothing else on them', (handler) => {
    for (const st of statementsOf(handler)) {
      const resources = [st.Resource].flat();
      if (!JSON.stringify(resources).includes('/index/')) continue;
      expect(resources).toEqual(indexArns());
      expect(actionsOf(st)).toEqual(['dynamodb:Query']);
    }
    const onIndexes = statementsOf(handler).filter((st) => JSON.stringify(st.Resource).includes('/index/'));
    expect(onIndexes).toHaveLength(1);
  });

  it('lets the WebSocket authorizer only take tickets: DeleteItem on the table itself', () => {
    const dynamo = statementsOf(webSocketAuthorizer.handler).filter((st) =>
      actionsOf(st).some((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo).toEqual([{ Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: tableArn() }]);
  });

  it('allows no Scan, wildcard, or table-management action on the table to anyone', () => {
    const actions = Object.values(resourcesOfType(s.json, 'AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.flatMap(actionsOf),
    );
    const dynamo = actions.filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const action of dynamo)
      expect([...TABLE_ACTIONS.readwrite, ...STREAM_READ_ACTIONS]).toContain(action);
    expect(dynamo).not.toContain('dynamodb:Scan');
  });

  it("grants the stream's read actions on the table's stream alone (ListStreams takes no resource)", () => {
    const statements = statementsOf(streamConsumers[0]!.handler).filter((st) =>
      actionsOf(st).some((a) => STREAM_READ_ACTIONS.includes(a)),
    );
    expect(statements.length).toBeGreaterThan(0);
    const streamArn = { 'Fn::GetAtt': [logicalId(s.stack.data.table), 'StreamArn'] };
    for (const statement of statements) {
      const actions = actionsOf(statement);
      expect(statement.Resource).toEqual(actions.includes('dynamodb:ListStreams') ? '*' : streamArn);
      if (actions.includes('dynamodb:ListStreams')) expect(actions).toEqual(['dynamodb:ListStreams']);
    }
  });
});

describe('identity', () => {
  // A retained pool whose staff group were deleted would make every staff member a customer once reused.
  it.each(['AWS::Cognito::UserPoolGroup', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolDomain'])(
    'retains %s with the pool',
    (type) => {
      s.template.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    },
  );

  it('warns at synth when no deployed page could sign in (no hosting, callbacks only to localhost)', () => {
    Annotations.fromStack(s.stack).hasWarning(
      `/${s.stack.stackName}`,
      Match.stringLikeRegexp(
        'hosts no web pages and its Cognito app client calls back only to http://localhost',
      ),
    );
  });

  it('creates a user pool without self sign-up, signing in by e-mail, with a strong password policy', () => {
    s.template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UsernameAttributes: ['email'],
        MfaConfiguration: 'OPTIONAL',
        Policies: {
          PasswordPolicy: Match.objectLike({
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          }),
        },
      }),
    });
  });

  it('has a staff group', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'staff' });
  });

  it('has a public web client for the authorization code grant with PKCE', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid']),
      CallbackURLs: [LOCAL_CONSOLE_URL],
      SupportedIdentityProviders: ['COGNITO'],
    });
    s.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });

  it('names the hosted UI domain after the stack and the account', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['livechat-', { Ref: 'AWS::AccountId' }]] },
    });
  });

  it('allows no sign-in flow besides the hosted UI: only refreshing tokens through the API', () => {
    // Without ExplicitAuthFlows Cognito would also allow SRP and custom auth on the client.
    s.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
    });
  });

  it('has no smoke-test client unless asked (smokeTestClient)', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    expect(Object.keys(s.json.Outputs ?? {})).not.toContain('SmokeTestClientId');
  });
});

describe('redelivery', () => {
  it('keeps undelivered frames in an encrypted queue with a dead-letter queue after 3 receives', () => {
    const dlq = logicalId(s.stack.redelivery.deadLetters);
    s.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      MessageRetentionPeriod: 900,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 3 },
    });
  });

  it('feeds the consumer, which reports failed frames one by one', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId('queue/redeliver') },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(s.stack.redelivery.queue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('alarms on any dead letter', () => {
    const found = Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties)
      .filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')
      .filter((a) => JSON.stringify(a.Dimensions).includes(logicalId(s.stack.redelivery.deadLetters)));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      Threshold: ALARM_THRESHOLDS.redeliveryDeadLetters,
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(s.stack.redelivery.deadLetters), 'QueueName'] },
        },
      ],
    });
  });
});

describe('edge (the public origin)', () => {
  type Behavior = {
    PathPattern?: string;
    TargetOriginId: string;
    CachePolicyId: string;
    OriginRequestPolicyId: string;
    ViewerProtocolPolicy: string;
    AllowedMethods: string[];
    FunctionAssociations?: { EventType: string; FunctionARN: unknown }[];
  };
  const config = () =>
    props(logicalId(s.stack.edge.distribution)).DistributionConfig as {
      Origins: {
        Id: string;
        DomainName: unknown;
        OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
      }[];
      DefaultCacheBehavior: Behavior;
      CacheBehaviors: Behavior[];
    };
  const functionId = () => Object.keys(resourcesOfType(s.json, 'AWS::CloudFront::Function'))[0]!;
  const originVerifyId = () =>
    Object.keys(resourcesOfType(s.json, 'AWS::SecretsManager::Secret')).find((id) =>
      id.startsWith('OriginVerify'),
    );
  const secretRef = () => ({
    'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: originVerifyId() }, ':SecretString:::}}']],
  });
  // CloudFront's managed policies: CachingDisabled and AllViewerExceptHostHeader.
  const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
  const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

  it.each([
    ['/api/*', 'http', ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']],
    ['/ws*', 'websocket', ['GET', 'HEAD']],
  ])(
    'sends %s to the %s API uncached, with every viewer header but Host, through the viewer-request function',
    (path, api, methods) => {
      const behavior = config().CacheBehaviors.find((b) => b.PathPattern === path);
      const origin = config().Origins.find((o) => o.Id === behavior?.TargetOriginId);
      const apiId = logicalId(api === 'http' ? s.stack.http.api : s.stack.realtime.api);
      expect(JSON.stringify(origin?.DomainName)).toContain(`{"Ref":"${apiId}"},".execute-api."`);
      expect(behavior).toMatchObject({
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: methods,
        FunctionAssociations: [
          { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId(), 'FunctionARN'] } },
        ],
      });
      expect(origin?.OriginCustomHeaders).toEqual([
        { HeaderName: 'x-origin-verify', HeaderValue: secretRef() },
      ]);
    },
  );

  it('caches the public support status, before /api/*, keyed on nothing of the viewer', () => {
    const behaviors = config().CacheBehaviors;
    const index = behaviors.findIndex((b) => b.PathPattern === '/api/chat/support-status*');
    expect(index).toBeGreaterThanOrEqual(0);
    expect(index).toBeLessThan(behaviors.findIndex((b) => b.PathPattern === '/api/*'));
    const behavior = behaviors[index]!;
    expect(behavior.TargetOriginId).toBe(behaviors.find((b) => b.PathPattern === '/api/*')?.TargetOriginId);
    expect(behavior.OriginRequestPolicyId).toBeUndefined();
    expect(behavior).toMatchObject({
      AllowedMethods: ['GET', 'HEAD'],
      FunctionAssociations: [{ EventType: 'viewer-request' }],
    });
    expect(props(refId(behavior.CachePolicyId)).CachePolicyConfig).toMatchObject({
      MinTTL: 0,
      DefaultTTL: 0,
      MaxTTL: 10,
      ParametersInCacheKeyAndForwardedToOrigin: {
        HeadersConfig: { HeaderBehavior: 'none' },
        CookiesConfig: { CookieBehavior: 'none' },
        QueryStringsConfig: { QueryStringBehavior: 'none' },
      },
    });
  });

  it('sends the rest to the HTTP API when it hosts no pages', () => {
    const api = config().CacheBehaviors.find((b) => b.PathPattern === '/api/*');
    expect(config().DefaultCacheBehavior.TargetOriginId).toBe(api?.TargetOriginId);
  });

  it('runs lib/edge/viewer-request.js as it is, with the stage filled in: the code the local gateway runs', () => {
    const fn = props(functionId());
    expect(fn.FunctionCode).toBe(viewerRequestCode('prod'));
    expect(fn.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0' });
  });

  it.each(allHandlers())('hands %s the secret origin header value, resolved at deploy time', (handler) => {
    expect(
      (props(fnId(handler)).Environment as { Variables: Record<string, unknown> }).Variables[
        ENV.originVerify
      ],
    ).toEqual(secretRef());
  });

  it('outputs the public URLs', () => {
    const domain = { 'Fn::GetAtt': [logicalId(s.stack.edge.distribution), 'DomainName'] };
    expect(s.json.Outputs?.PublicApiUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', domain, '/api/chat/']],
    });
    expect(s.json.Outputs?.PublicWebSocketUrl?.Value).toEqual({
      'Fn::Join': ['', ['wss://', domain, '/ws']],
    });
  });
});

describe('outputs', () => {
  it('names the endpoints and the user pool', () => {
    const outputs = s.json.Outputs ?? {};
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'HttpApiUrl',
        'WebSocketUrl',
        'UserPoolId',
        'UserPoolClientId',
        'CognitoDomain',
      ]),
    );
    expect(JSON.stringify(outputs.WebSocketUrl?.Value)).toMatch(/^\{"Fn::Join":\["",\["wss:\/\//);
    expect(outputs.WebUrl).toBeUndefined();
  });
});

describe('template checks', () => {
  it('passes cdk-nag AwsSolutions and CloudFormation validation with nothing unacknowledged', () => {
    // synthesize() throws on a violation; the report it leaves must be empty too.
    const report = JSON.parse(readFileSync(join(s.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations?: { ruleName: string }[] }[];
    };
    // This stack hosts no pages on purpose; the warning that says so is tested under "identity".
    const expected = 'Annotation::live-chat:no-sign-in-origin';
    expect(
      report.pluginReports.flatMap((r) => r.violations ?? []).filter((v) => v.ruleName !== expected),
    ).toEqual([]);
  });

  it('passes cfn-lint', () => {
    expect(cfnLint(s.templateFile)).toEqual([]);
  }, 90_000);
});

describe('bundles', () => {
  const bundleOf = (handler: string) => {
    const code = fnProps(handler).Code as { S3Key: string };
    const dir = join(s.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    return { dir, source: readFileSync(join(dir, 'index.mjs'), 'utf8') };
  };
  const fnProps = (handler: string) => props(fnId(handler));

  it.each(allHandlers())(
    'bundles %s as a minified ES module with a source map and the AWS SDK inside',
    (handler) => {
      const { dir, source } = bundleOf(handler);
      expect(source.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      // An import the bundle leaves to the runtime would load the runtime's unbundled SDK. The SDK's own
      // guarded require of the SigV4a signers (multi-region access points only) is the one exception.
      const external = (
        source.match(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\(\s*)["']@aws-sdk\/[^"']+["']/g) ?? []
      )
        .map((m) => m.replace(/^.*["']@aws-sdk\//, '@aws-sdk/').replace(/["']$/, ''))
        .filter((name) => !OPTIONAL_SDK_REQUIRES.includes(name));
      expect(external).toEqual([]);
      const files = readdirSync(dir);
      expect(files.sort()).toEqual(['index.mjs', 'index.mjs.map']);
      expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(1_500_000);
    },
  );

  it.each(allHandlers())('leaves the tools’ AWS SDK clients (npm run smoke) out of %s', (handler) => {
    const { dir } = bundleOf(handler);
    const { sources } = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(sources.some((file) => file.includes(`lambdas/${handler}.ts`))).toBe(true);
    expect(
      sources.filter((file) => /client-cloudformation|client-cognito-identity-provider/.test(file)),
    ).toEqual([]);
  });
});
