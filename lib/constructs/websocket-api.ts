import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnAuthorizer,
  type CfnStage,
  LogGroupLogDestination,
  type ThrottleSettings,
  WebSocketApi,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  webSocketAuthorizer,
  webSocketRouteSelectionExpression,
  webSocketRoutes,
} from '../../lambdas/contract/routes.js';
import type { Functions } from './functions.js';
import { handlerId } from './functions.js';

/**
 * Access log line of the WebSocket stage: one JSON object per connect, frame and disconnect. The query string
 * (which may hold `?token=`) is deliberately not logged.
 */
export const WEBSOCKET_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  messageId: '$context.messageId',
  status: '$context.status',
  requestTime: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  authorizerStatus: '$context.authorizer.status',
  authorizerError: '$context.authorizer.error',
  integrationStatus: '$context.integration.status',
  integrationError: '$context.integration.error',
  integrationLatency: '$context.integration.latency',
  error: '$context.error.message',
} as const;

export interface WebSocketThrottling {
  /** Every route without a setting of its own. */
  readonly stage: ThrottleSettings;
  /** Per route key; a key that is not in the route table is an error. */
  readonly routes: Readonly<Record<string, ThrottleSettings>>;
}

export interface RealtimeApiProps {
  /** @default 'prod' */
  readonly stageName?: string;
  readonly throttling: WebSocketThrottling;
  readonly logRetention: RetentionDays;
  /**
   * Create the region's API Gateway CloudWatch role (`AWS::ApiGateway::Account`). WebSocket stages refuse
   * access logging until the account has one ("CloudWatch Logs role ARN must be set in account settings").
   * Turn off when the account already has one.
   * @default true
   */
  readonly createAccountRole?: boolean;
}

/**
 * The WebSocket API: route selection and routes from the route table, a Lambda REQUEST authorizer on
 * `$connect`, one stage with stage- and route-level throttling and JSON access logs.
 *
 * Created in two steps because the functions need the stage's callback URL: construct it, build the
 * functions, then {@link RealtimeApi.addRoutes}.
 */
export class RealtimeApi extends Construct {
  public readonly api: WebSocketApi;
  public readonly stage: WebSocketStage;
  public readonly accessLogs: LogGroup;
  private readonly throttling: WebSocketThrottling;

  constructor(scope: Construct, id: string, props: RealtimeApiProps) {
    super(scope, id);
    this.throttling = props.throttling;
    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-websocket`,
      description: 'Live chat: frames from browsers and the staff console',
      routeSelectionExpression: webSocketRouteSelectionExpression,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName ?? 'prod',
      autoDeploy: true,
      throttle: props.throttling.stage,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(WEBSOCKET_ACCESS_LOG_FORMAT)),
      },
    });
    if (props.createAccountRole ?? true) {
      // Account-wide and shared with every other API in the region, so both outlive this stack (as RestApi's
      // own cloudWatchRole does by default).
      const role = new Role(this, 'CloudWatchRole', {
        assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
        managedPolicies: [
          ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
        ],
      });
      role.applyRemovalPolicy(RemovalPolicy.RETAIN);
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The policy AWS documents for the API Gateway account role; it only writes CloudWatch Logs.',
      });
      const account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
      account.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.stage.node.addDependency(account);
    }
  }

  /** Adds every route of the route table, each to its function, and the authorizer on `$connect`. */
  public addRoutes(functions: Functions): void {
    const authorizer = new WebSocketLambdaAuthorizer(
      'Authorizer',
      functions.of(webSocketAuthorizer.handler),
      {
        // No identity source: the authorizer accepts either ?token= or ?ticket=, and API Gateway answers 401
        // without calling it when any listed source is missing. Without a source, authorizer results are
        // not cached, which a one-time ticket requires anyway.
        identitySource: [],
      },
    );
    const routeKeys = new Set(webSocketRoutes.map((r) => r.routeKey));
    for (const key of Object.keys(this.throttling.routes)) {
      if (!routeKeys.has(key))
        throw new Error(`throttling for route ${key}, which the route table does not have`);
    }
    for (const route of webSocketRoutes) {
      const fn = functions.of(route.handler);
      const added = this.api.addRoute(route.routeKey, {
        integration: new WebSocketLambdaIntegration(`${handlerId(route.handler)}Integration`, fn),
        ...(route.routeKey === '$connect' ? { authorizer } : {}),
        ...(route.returnResponse ? { returnResponse: true } : {}),
      });
      if (route.routeKey !== '$connect') {
        Validations.of(added).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'API Gateway WebSocket APIs authorize only $connect; every later frame runs on the identity the ' +
            '$connect authorizer attached to the connection.',
        });
      }
      // Route settings name route keys, so the stage must be updated after the routes exist.
      this.stage.node.addDependency(added);
    }
    // CDK writes `IdentitySource: []`; leave the property out, which CloudFormation documents as the way to
    // have a REQUEST authorizer without identity sources.
    const cfnAuthorizer = this.api.node.findChild('Authorizer').node.defaultChild as CfnAuthorizer;
    cfnAuthorizer.addPropertyDeletionOverride('IdentitySource');
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      Object.entries(this.throttling.routes).map(([key, t]) => [
        key,
        // RouteSettings is untyped JSON in the L1, so CDK does not capitalize its keys: write them as CloudFormation does.
        { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit },
      ]),
    );
  }
}
