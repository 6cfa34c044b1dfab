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
import { httpRoutes, type RouteAuth } from '../../lambdas/contract/routes.js';
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
  // Filled on `jwt` routes only: `function` and `none` routes have no authorizer at API Gateway, and an HTTP
  // API has no context variable a Lambda integration could set. Their user id is in the function's own log
  // line, which carries this requestId.
  userId: '$context.authorizer.claims.sub',
  authorizerError: '$context.authorizer.error',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  integrationLatency: '$context.integrationLatency',
  error: '$context.error.message',
} as const;

/** Why a route has no authorizer at API Gateway, per auth mode of the route table (see `RouteAuth`). */
export const NO_AUTHORIZER_REASONS: Record<Exclude<RouteAuth, 'jwt'>, string> = {
  function:
    'The function verifies the bearer token itself, against both issuers (the staff issuer and the ' +
    "stack's session issuer, lambdas/runtime/http.ts), and answers 401 without a valid one: API Gateway's JWT " +
    'authorizer takes a single issuer, and a Lambda authorizer would answer 403 to a bad token and add an ' +
    'invocation per cache miss (docs/architecture.md, "Who signs").',
  none:
    "Public on purpose: the answer is the same for everyone (support status, the session issuer's JWKS and " +
    'discovery document, cached by CloudFront), or the route checks what it is given itself (guest-sessions: ' +
    'an identity token, a refresh token, or nothing for a new guest, limited per source address; revoke: the ' +
    'refresh token it revokes). A visitor has no token before the first of these calls.',
};

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
 * The HTTP API of the staff console, the customer pages and the widget: the `jwt` routes of the route table
 * behind API Gateway's native JWT authorizer (staff issuer alone, no Lambda in the auth path), the `function`
 * routes verified by their function (both issuers) and the public `none` routes without an authorizer; CORS
 * for the console's and the host sites' origins, one `$default` stage with throttling and JSON access logs.
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
              allowMethods: [
                CorsHttpMethod.GET,
                CorsHttpMethod.POST,
                CorsHttpMethod.PUT,
                CorsHttpMethod.DELETE,
                CorsHttpMethod.OPTIONS,
              ],
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
        // `jwt` routes keep the default (native JWT) authorizer; the others opt out of it at API Gateway.
        ...(route.auth === 'jwt' ? {} : { authorizer: new HttpNoneAuthorizer() }),
        integration: new HttpLambdaIntegration(
          `${handlerId(route.handler)}Integration`,
          props.functions.of(route.handler),
        ),
      });
      if (route.auth === 'jwt') continue;
      for (const unauthorized of added) {
        Validations.of(unauthorized).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: NO_AUTHORIZER_REASONS[route.auth],
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
