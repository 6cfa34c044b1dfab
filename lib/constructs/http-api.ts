import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { httpRoutes } from '../../lambdas/contract/routes.js';
import type { Functions } from './functions.js';
import { handlerId } from './functions.js';
import type { JwtSettings } from './identity.js';

/** Access log line of the HTTP API: one JSON object per request. */
export const HTTP_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  routeKey: '$context.routeKey',
  status: '$context.status',
  requestTime: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  userId: '$context.authorizer.claims.sub',
  authorizerError: '$context.authorizer.error',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  integrationLatency: '$context.integrationLatency',
  error: '$context.error.message',
} as const;

export interface ChatHttpApiProps {
  readonly functions: Functions;
  readonly jwt: JwtSettings;
  /**
   * Origins allowed to call the API from a browser.
   * @default - no CORS configuration (same-origin or non-browser callers only)
   */
  readonly corsOrigins?: string[];
  readonly throttle: ThrottleSettings;
  readonly logRetention: RetentionDays;
}

/**
 * The HTTP API of the staff console and the customer pages: every route of the route table behind API
 * Gateway's native JWT authorizer (no Lambda in the auth path) but the public ones (`auth: 'none'`), CORS for the console's origins, one `$default`
 * stage with throttling and JSON access logs.
 */
export class ChatHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly authorizer: HttpJwtAuthorizer;
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ChatHttpApiProps) {
    super(scope, id);
    this.authorizer = new HttpJwtAuthorizer('Jwt', props.jwt.issuer, {
      jwtAudience: [props.jwt.audience, ...(props.jwt.extraAudiences ?? [])],
      identitySource: ['$request.header.Authorization'],
    });
    const origins = props.corsOrigins ?? [];
    this.api = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-http`,
      description: 'Live chat: rooms, history and the staff console',
      createDefaultStage: false,
      defaultAuthorizer: this.authorizer,
      // With CORS configured API Gateway answers preflight OPTIONS itself, before any route or authorizer.
      ...(origins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: origins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
              allowHeaders: ['authorization', 'content-type'],
              maxAge: Duration.days(1),
            },
          }
        : {}),
    });
    for (const route of httpRoutes) {
      const added = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        // A public route (one answer for everyone, kept by CloudFront) opts out of the default authorizer.
        ...(route.auth === 'none' ? { authorizer: new HttpNoneAuthorizer() } : {}),
        integration: new HttpLambdaIntegration(
          `${handlerId(route.handler)}Integration`,
          props.functions.of(route.handler),
        ),
      });
      if (route.auth !== 'none') continue;
      for (const publicRoute of added) {
        Validations.of(publicRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Public on purpose: it says only whether anyone from support is online (no ids, no count), the ' +
            'same for everyone, so CloudFront can share one answer among every widget, which no authorizer ' +
            'would see anyway; it reads no input, and the function shares one reading per few seconds.',
        });
      }
    }
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FORMAT)),
      },
    });
  }

  /** Base URL of the API, ending in `/`. */
  public get url(): string {
    return this.stage.url;
  }
}
