import { Annotations, Aws, CfnOutput, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { queueConsumers, streamConsumers } from '../lambdas/contract/routes.js';
import { STREAM_MAPPING } from '../lambdas/contract/stream.js';
import type { ChatConfig } from './config.js';
import { Attachments } from './constructs/attachments.js';
import { Data } from './constructs/data.js';
import { createOriginVerifySecret, Edge } from './constructs/edge.js';
import { Functions, WELL_KNOWN_PREFIX } from './constructs/functions.js';
import { Hosting, type WebConfig } from './constructs/hosting.js';
import { ChatHttpApi } from './constructs/http-api.js';
import { Identity } from './constructs/identity.js';
import { Notifications } from './constructs/notifications.js';
import { Observability } from './constructs/observability.js';
import { QueueFeed } from './constructs/queue-feed.js';
import { Redelivery } from './constructs/redelivery.js';
import { SessionIssuer } from './constructs/session-issuer.js';
import { RealtimeApi, type WebSocketThrottling } from './constructs/websocket-api.js';

/**
 * Request rates the APIs accept (steady requests per second, burst). A stage's limit applies to each of its
 * routes that has no limit of its own. The account-wide limit is 10,000 r/s shared by the HTTP API,
 * WebSocket frames and every PostToConnection; docs/operations.md shows the budget.
 */
export const THROTTLING: { readonly http: ThrottleSettings; readonly webSocket: WebSocketThrottling } = {
  http: { rateLimit: 200, burstLimit: 400 },
  webSocket: {
    stage: { rateLimit: 500, burstLimit: 1000 },
    routes: {
      // New sockets: the region allows ~500 a second per account; leave room for reconnect storms elsewhere.
      $connect: { rateLimit: 100, burstLimit: 200 },
      // Message, typing and read-receipt frames fan out to the room's followers through the management API.
      message: { rateLimit: 200, burstLimit: 400 },
      typing: { rateLimit: 200, burstLimit: 400 },
      read: { rateLimit: 200, burstLimit: 400 },
    },
  },
};

/** When the pages are not hosted here, the OAuth client still accepts a console served locally. */
export const LOCAL_CONSOLE_URL = 'http://localhost:3000/';
/** Where the session issuer publishes its public keys, on the stack's public origin. */
export const SESSION_JWKS_PATH = `${WELL_KNOWN_PREFIX}jwks.json`;
/** Stands for the hosted pages' URL in the callback lists until the distribution exists. */
const LAZY_HOSTED = '<hosted pages>';

export interface ChatStackProps extends StackProps {
  readonly config: ChatConfig;
  /** Folder holding `lambdas/`, `package-lock.json` and `dist/`. */
  readonly projectRoot: string;
}

/**
 * The whole live chat: table, identity, the two APIs, one function per handler, alarms and dashboard, and
 * (when built) the web pages.
 */
export class ChatStack extends Stack {
  public readonly data: Data;
  public readonly identity: Identity;
  public readonly realtime: RealtimeApi;
  public readonly functions: Functions;
  public readonly http: ChatHttpApi;
  public readonly observability: Observability;
  public readonly hosting?: Hosting;
  public readonly edge: Edge;
  public readonly redelivery: Redelivery;
  public readonly queueFeed: QueueFeed;
  public readonly sessionIssuer: SessionIssuer;
  public readonly notifications: Notifications;
  /** The notifications' feed: the table stream's second mapping, to stream/notify. */
  public readonly notifyFeed: QueueFeed;
  public readonly attachments: Attachments;

  constructor(scope: Construct, id: string, props: ChatStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.data = new Data(this, 'Data', {
      retain: config.retainData,
      legacyOpenRoomsIndex: config.legacyOpenRoomsIndex !== 'none',
    });

    const hosting = config.webDir
      ? new Hosting(this, 'Hosting', { webDir: config.webDir, logRetention })
      : undefined;
    // The distribution fronts the APIs, whose authorizer needs the Cognito client, whose callbacks need the
    // distribution's URL: resolved lazily, once the distribution exists (no cycle in CloudFormation: the
    // distribution references the APIs, not their authorizer).
    let edge: Edge | undefined;
    const hostedUrl = () => (hosting && edge ? [`${edge.url}/`] : []);
    const callbackUrls = [...config.callbackUrls, ...(hosting ? [LAZY_HOSTED] : [])];
    const logoutUrls = [...config.logoutUrls, ...(hosting ? [LAZY_HOSTED] : [])];
    const resolveUrls = (urls: string[]) =>
      Lazy.list({ produce: () => urls.flatMap((u) => (u === LAZY_HOSTED ? hostedUrl() : [u])) });

    this.identity = new Identity(this, 'Identity', {
      ...(config.oidc ? { oidc: config.oidc } : {}),
      staffGroup: config.staffGroup,
      ...(config.cognitoDomainPrefix ? { domainPrefix: config.cognitoDomainPrefix } : {}),
      callbackUrls: callbackUrls.length > 0 ? resolveUrls(callbackUrls) : [LOCAL_CONSOLE_URL],
      logoutUrls: logoutUrls.length > 0 ? resolveUrls(logoutUrls) : [LOCAL_CONSOLE_URL],
      plus: config.cognitoPlus,
      smokeTestClient: config.smokeTestClient,
      retain: config.retainData,
    });
    if (!config.oidc && callbackUrls.length === 0) {
      // A deploy that forgot the pages would otherwise succeed with a sign-in that works from nowhere.
      Annotations.of(this).addWarningV2(
        'live-chat:no-sign-in-origin',
        `This stack hosts no web pages and its Cognito app client calls back only to ${LOCAL_CONSOLE_URL}, ` +
          'so no deployed page can sign in. Let bin/app.ts build the pages (the default, hosting=auto), ' +
          'or give the pages you host elsewhere with -c callbackUrls=<url> -c logoutUrls=<url>.',
      );
    }

    this.realtime = new RealtimeApi(this, 'WebSocket', {
      stageName: config.stageName,
      throttling: THROTTLING.webSocket,
      logRetention,
      createAccountRole: config.apiGatewayAccountRole,
    });

    this.sessionIssuer = new SessionIssuer(this, 'SessionIssuer', { retain: config.retainData });
    // Uploads come from the hosted pages (the widget framed by a host site is one of them) and from any page
    // served elsewhere that signs in (corsOrigins); the console served by npm start, when nothing else is.
    this.attachments = new Attachments(this, 'Attachments', {
      retain: config.retainData,
      corsOrigins: () => {
        const origins = [...(hosting && edge ? [edge.url] : []), ...config.corsOrigins];
        return origins.length > 0 ? [...new Set(origins)] : [new URL(LOCAL_CONSOLE_URL).origin];
      },
    });
    const originVerify = createOriginVerifySecret(this, 'OriginVerify');
    this.redelivery = new Redelivery(this, 'Redelivery');
    this.notifications = new Notifications(this, 'Notifications', {
      settings: config.email,
      publicUrl: Lazy.string({ produce: () => edge?.url }),
    });
    this.functions = new Functions(this, 'Functions', {
      projectRoot: props.projectRoot,
      redeliveryQueue: this.redelivery.queue,
      originVerify: originVerify.secretValue.unsafeUnwrap(),
      table: this.data.table,
      indexNames: this.data.indexNames,
      webSocketStage: this.realtime.stage,
      jwt: this.identity.jwt,
      // The issuer is the stack's public origin, whose /.well-known/ serves its JWKS. No cycle: the
      // distribution refers to the APIs' ids only, never to a function.
      sessions: {
        issuer: Lazy.string({ produce: () => edge?.url }),
        issuerResources: this.sessionIssuer,
      },
      settings: config,
      logRetention,
      email: this.notifications,
      attachments: { files: this.attachments, maxBytes: config.attachmentMaxBytes },
    });
    this.realtime.addRoutes(this.functions);
    for (const consumer of queueConsumers) this.redelivery.feed(this.functions.of(consumer.handler));
    const queueSummaries = streamConsumers.find((c) => c.handler === 'stream/queue-summaries');
    const notify = streamConsumers.find((c) => c.handler === 'stream/notify');
    if (!queueSummaries || !notify) {
      throw new Error('Expected the stream consumers stream/queue-summaries and stream/notify');
    }
    this.queueFeed = new QueueFeed(this, 'QueueFeed', {
      table: this.data.table,
      consumer: this.functions.of(queueSummaries.handler),
      filter: queueSummaries.filter,
      batchWindowSeconds: config.queueBatchWindowSeconds,
    });

    // Email goes out off the request path, within about a second of the change that calls for it.
    this.notifyFeed = new QueueFeed(this, 'NotifyFeed', {
      table: this.data.table,
      consumer: this.functions.of(notify.handler),
      filter: notify.filter,
      batchWindowSeconds: STREAM_MAPPING.batchWindowSeconds,
    });

    this.http = new ChatHttpApi(this, 'Http', {
      functions: this.functions,
      jwt: this.identity.jwt,
      // The hosted pages (the widget framed by a host site included) call the API on their own origin,
      // through the distribution: no CORS for them. The host sites themselves may call it too.
      corsOrigins: [...new Set([...config.corsOrigins, ...config.embedOrigins])],
      throttle: THROTTLING.http,
      logRetention,
    });

    this.observability = new Observability(this, 'Observability', {
      functions: this.functions.byHandler,
      httpApi: this.http.api,
      webSocketStage: this.realtime.stage,
      table: this.data.table,
      deadLetters: this.redelivery.deadLetters,
      queueFeed: {
        consumer: this.functions.of(queueSummaries.handler),
        failures: this.queueFeed.failures,
      },
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    this.notifications.alarmOn(
      this.functions.of(notify.handler),
      this.notifyFeed.failures,
      this.observability.topic,
    );

    edge = new Edge(this, 'Edge', {
      httpApi: this.http.api,
      webSocketApi: this.realtime.api,
      webSocketStageName: config.stageName,
      originVerify,
      ...(hosting ? { pages: hosting.origin } : {}),
      embedOrigins: config.embedOrigins,
      connectSources: this.signInOrigins(config),
      fileSources: this.attachments.origins,
      ...(config.webAclArn ? { webAclArn: config.webAclArn } : {}),
    });
    this.edge = edge;

    const { userPool, userPoolClient, domain } = this.identity;
    if (hosting) {
      hosting.deploy(
        {
          httpApiUrl: `${edge.url}/`,
          webSocketUrl: edge.webSocketUrl,
          ...this.webSignIn(config),
          oidcIssuer: this.identity.jwt.issuer,
          staffGroup: config.staffGroup,
          staffClaim: config.staffClaim,
          userIdClaim: config.userIdClaim,
          maxMessageLength: config.maxMessageLength,
          embedOrigins: config.embedOrigins,
          preChat: config.preChat,
        },
        edge.distribution,
      );
      this.hosting = hosting;
      new CfnOutput(this, 'WebUrl', { value: `${edge.url}/`, description: 'The web pages' });
    }
    new CfnOutput(this, 'PublicApiUrl', {
      value: `${edge.url}/api/chat/`,
      description: "The HTTP API on the stack's public origin (the seed's paths, with or without the slash)",
    });
    new CfnOutput(this, 'PublicWebSocketUrl', {
      value: edge.webSocketUrl,
      description: 'The WebSocket API on the public origin; also /ws/chat/{room_id}/ and /ws/presence/',
    });

    new CfnOutput(this, 'HttpApiUrl', { value: this.http.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebSocketUrl', {
      value: this.realtime.stage.url,
      description: 'WebSocket endpoint; connect with ?ticket= (or ?token=)',
    });
    new CfnOutput(this, 'JwtIssuer', {
      value: this.identity.jwt.issuer,
      description: 'Tokens must carry this iss',
    });
    if (userPool && userPoolClient && domain) {
      new CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: userPoolClient.userPoolClientId });
      new CfnOutput(this, 'CognitoDomain', { value: domain.baseUrl(), description: 'Hosted sign-in pages' });
    }
    if (this.identity.smokeTestClient) {
      new CfnOutput(this, 'SmokeTestClientId', {
        value: this.identity.smokeTestClient.userPoolClientId,
        description: 'App client npm run smoke signs its temporary users in with',
      });
    }
    new CfnOutput(this, 'SessionIssuerUrl', {
      value: edge.url,
      description: `The iss of guest and verified-user session tokens; public keys at ${SESSION_JWKS_PATH}`,
    });
    new CfnOutput(this, 'SessionJwksUrl', {
      value: `${edge.url}${SESSION_JWKS_PATH}`,
      description: "The session issuer's public keys (JWKS), for anyone verifying its tokens",
    });
    const { identitySecret } = this.sessionIssuer;
    new CfnOutput(this, 'IdentitySecretArn', {
      value: identitySecret.secretArn,
      description:
        "The host site's identity secret: its backend signs identity tokens with it (docs/deploy.md); " +
        'read it with the IdentitySecretCommand output',
    });
    new CfnOutput(this, 'IdentitySecretCommand', {
      value: `aws secretsmanager get-secret-value --secret-id ${identitySecret.secretArn} --query SecretString --output text`,
      description: "Prints the host site's identity secret (AWSCURRENT); give it to the site's backend only",
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn });
    new CfnOutput(this, 'TeamTopicArn', {
      value: this.notifications.topic.topicArn,
      description:
        'New chats while nobody from support is online (NOTIFY_TEAM=sns): subscribe the team to it',
    });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName });
  }

  /**
   * The origins the hosted pages fetch from to sign in (their CSP's connect-src): with Cognito the issuer's
   * discovery document and keys (cognito-idp, as web/oidc.ts builds the authority) and the hosted UI domain's
   * token endpoint; with another issuer its own origin and its keys'.
   */
  private signInOrigins(config: ChatConfig): string[] {
    const { domain } = this.identity;
    if (domain) return [`https://cognito-idp.${Aws.REGION}.amazonaws.com`, domain.baseUrl()];
    if (!config.oidc) return [];
    return [...new Set([config.oidc.issuer, config.oidc.jwksUri].map((url) => new URL(url).origin))];
  }

  /**
   * How the hosted pages sign people in: the stack's user pool, or else the bring-your-own issuer with its
   * public web client. The pages refuse a config.json that names neither.
   */
  private webSignIn(config: ChatConfig): Pick<WebConfig, 'cognito' | 'oidc'> {
    const { userPool, userPoolClient, domain } = this.identity;
    if (userPool && userPoolClient && domain) {
      return {
        cognito: {
          region: Aws.REGION,
          userPoolId: userPool.userPoolId,
          clientId: userPoolClient.userPoolClientId,
          domain: domain.baseUrl(),
        },
      };
    }
    if (!config.oidc?.clientId) {
      throw new Error(
        'The hosted web pages need a way to sign in: give the OIDC web client (context oidcClientId).',
      );
    }
    return {
      oidc: {
        authority: config.oidc.issuer,
        clientId: config.oidc.clientId,
        ...(config.oidc.scope ? { scope: config.oidc.scope } : {}),
      },
    };
  }
}
