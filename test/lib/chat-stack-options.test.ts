import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { allHandlers, webSocketAuthorizer } from '../../lambdas/contract/routes.js';
import { ENV } from '../../lambdas/runtime/config.js';
import {
  builtWebDir,
  cfnLint,
  deployedWebConfig,
  logicalId,
  resourcesOfType,
  type Synthesized,
  synthesize,
} from './synth.js';

// The context options, synthesized without bundling (the default test bundles): each variant still passes
// cdk-nag (synthesize throws otherwise) and cfn-lint.

describe('a second stack: another name, hosted web pages, console origin, alarm e-mail and a web ACL', () => {
  const consoleOrigin = 'https://console.example.com';
  const webAclArn =
    'arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/0123abcd-4567-89ef-0123-456789abcdef';
  let s: Synthesized;
  beforeAll(() => {
    const webDir = builtWebDir();
    s = synthesize({
      bundle: false,
      context: {
        stackName: 'Support-Chat-EU',
        retainData: 'false',
        hosting: 'true',
        webDir,
        corsOrigins: consoleOrigin,
        callbackUrls: `${consoleOrigin}/`,
        logoutUrls: `${consoleOrigin}/`,
        alarmEmail: 'ops@example.com',
        webAclArn,
      },
    });
  }, 60_000);

  const distributionDomain = () => ({
    'Fn::GetAtt': [logicalId(s.stack.edge.distribution), 'DomainName'],
  });
  const hostedUrl = (suffix: string) => ({
    'Fn::Join': ['', ['https://', distributionDomain(), ...(suffix ? [suffix] : [])]],
  });

  it('serves the pages from a private bucket through CloudFront with origin access control', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    s.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const distribution = s.json.Resources[logicalId(s.stack.edge.distribution)]?.Properties
      .DistributionConfig as {
      DefaultRootObject: string;
      Origins: { Id: string; OriginAccessControlId?: unknown }[];
      DefaultCacheBehavior: { TargetOriginId: string; ViewerProtocolPolicy: string };
    };
    expect(distribution.DefaultRootObject).toBe('index.html');
    const pages = distribution.Origins.find((o) => o.OriginAccessControlId !== undefined);
    expect(distribution.DefaultCacheBehavior).toMatchObject({
      TargetOriginId: pages?.Id,
      ViewerProtocolPolicy: 'redirect-to-https',
    });
  });

  it('deploys a config.json that points the pages at this stack', () => {
    const [deployment] = Object.values(resourcesOfType(s.json, 'Custom::CDKBucketDeployment'));
    const text = JSON.stringify(deployment?.Properties);
    expect(deployment?.Properties.SourceObjectKeys).toHaveLength(2);
    // The APIs on the pages' own origin: the distribution's /api/ and /ws.
    expect(text).toContain(`{"Fn::GetAtt":["${logicalId(s.stack.edge.distribution)}","DomainName"]}`);
    expect(deployedWebConfig(s)).toMatchObject({
      httpApiUrl: 'https://token/',
      webSocketUrl: 'wss://token/ws',
    });
    for (const construct of [s.stack.identity.userPool!, s.stack.identity.userPoolClient!]) {
      expect(text).toContain(`{"Ref":"${logicalId(construct)}"}`);
    }
    // The pages accept it, and sign in with the user pool.
    expect(deployedWebConfig(s)).toMatchObject({ cognito: expect.any(Object) });
    expect(deployedWebConfig(s).oidc).toBeUndefined();
  });

  it('lets the hosted pages and the console sign in and call the HTTP API', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: [`${consoleOrigin}/`, hostedUrl('/')],
      LogoutURLs: [`${consoleOrigin}/`, hostedUrl('/')],
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        // The hosted pages call the API through the distribution, on their own origin.
        AllowOrigins: [consoleOrigin],
        AllowHeaders: ['authorization', 'content-type'],
      }),
    });
  });

  // Lambda creates a log group that never expires for a function that names none, CDK's own providers
  // (bucket deployment, auto-delete objects) included.
  it('gives every function, CDK providers included, a log group with the retention of the stack', () => {
    const functions = Object.entries(resourcesOfType(s.json, 'AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(allHandlers().length);
    for (const [id, fn] of functions) {
      const logGroup = (fn.Properties.LoggingConfig as { LogGroup?: { Ref: string } } | undefined)?.LogGroup;
      expect(logGroup, id).toBeDefined();
      expect(s.json.Resources[logGroup!.Ref]?.Properties.RetentionInDays, id).toBe(30);
    }
  });

  it.each([
    'AWS::Cognito::UserPool',
    'AWS::Cognito::UserPoolGroup',
    'AWS::Cognito::UserPoolClient',
    'AWS::Cognito::UserPoolDomain',
  ])('lets %s go with the stack when retainData=false', (type) => {
    s.template.hasResource(type, { DeletionPolicy: 'Delete' });
  });

  it("lets the session issuer's key (after its 7-day pending window) and the identity secret go too", () => {
    const issuer = s.stack.sessionIssuer;
    expect(s.json.Resources[logicalId(issuer.key)]).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: { PendingWindowInDays: 7 },
    });
    expect(s.json.Resources[logicalId(issuer.identitySecret)]?.DeletionPolicy).toBe('Delete');
  });

  it('puts the web ACL given in front of the distribution', () => {
    s.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ WebACLId: webAclArn }),
    });
  });

  it('does not warn about sign-in origins when it hosts the pages', () => {
    Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('hosts no web pages'));
  });

  it('subscribes the e-mail address to the alarm topic and outputs the web URL', () => {
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalId(s.stack.observability.topic) },
    });
    expect(s.json.Outputs?.WebUrl?.Value).toEqual(hostedUrl('/'));
  });

  it('gives the Cognito hosted UI a domain of its own, derived from the stack name', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['support-chat-eu-', { Ref: 'AWS::AccountId' }]] },
    });
  });

  it('passes cfn-lint', () => {
    expect(cfnLint(s.templateFile)).toEqual([]);
  }, 90_000);
});

describe("the smoke test's app client (smokeTestClient=true)", () => {
  let s: Synthesized;
  beforeAll(() => {
    const callbackUrls = 'https://console.example.com/';
    s = synthesize({ bundle: false, context: { hosting: 'false', callbackUrls, smokeTestClient: 'true' } });
  }, 60_000);

  const ref = (construct: Parameters<typeof logicalId>[0]) => ({ Ref: logicalId(construct) });

  it("allows administrators' password sign-in only, with five-minute tokens and no OAuth", () => {
    s.template.resourceCountIs('AWS::Cognito::UserPoolClient', 2);
    expect(s.json.Resources[logicalId(s.stack.identity.smokeTestClient!)]?.Properties).toEqual({
      UserPoolId: ref(s.stack.identity.userPool!),
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 5,
      IdTokenValidity: 5,
      RefreshTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
      SupportedIdentityProviders: ['COGNITO'],
    });
  });

  it("has both APIs accept its tokens besides the web client's, and outputs its id", () => {
    const web = ref(s.stack.identity.userPoolClient!);
    const smoke = ref(s.stack.identity.smokeTestClient!);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: Match.objectLike({ Audience: [web, smoke] }),
    });
    const authorizer = s.json.Resources[logicalId(s.stack.functions.of(webSocketAuthorizer.handler))];
    const variables = (authorizer!.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables[ENV.jwtAudience]).toEqual({ 'Fn::Join': ['', [web, ',', smoke]] });
    expect(s.json.Outputs?.SmokeTestClientId?.Value).toEqual(smoke);
  });

  it('is refused with a bring-your-own issuer, which has no pool to put it in', () => {
    expect(() =>
      synthesize({
        bundle: false,
        context: {
          hosting: 'false',
          oidcIssuer: 'https://id.example.com/',
          oidcAudience: 'a',
          smokeTestClient: 'true',
        },
      }),
    ).toThrow(/smokeTestClient needs the stack's Cognito user pool/);
  });

  it('passes cfn-lint', () => {
    expect(cfnLint(s.templateFile)).toEqual([]);
  });
});

describe('bring-your-own OIDC issuer, throw-away data, another stage', () => {
  const issuer = 'https://id.example.com/';
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({
      bundle: false,
      context: {
        hosting: 'false',
        oidcIssuer: issuer,
        oidcAudience: 'chat-api',
        staffClaim: 'groups',
        staffGroup: 'support',
        openRoomShards: '4',
        legacyOpenRoomsIndex: 'list',
        retainData: 'false',
        stageName: 'live',
        apiGatewayAccountRole: 'false',
      },
    });
  }, 60_000);

  const props = (id: string) => s.json.Resources[id]?.Properties ?? {};
  const env = (handler: string) =>
    (
      props(logicalId(s.stack.functions.of(handler))).Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;

  it('creates no user pool and checks tokens against the issuer and audience given', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: issuer, Audience: ['chat-api'] },
    });
    expect(env(webSocketAuthorizer.handler)).toMatchObject({
      [ENV.jwtIssuer]: issuer,
      [ENV.jwtAudience]: 'chat-api',
      [ENV.jwtJwksUri]: 'https://id.example.com/.well-known/jwks.json',
    });
    expect(Object.keys(s.json.Outputs ?? {})).not.toContain('UserPoolId');
  });

  it.each(allHandlers())('passes the claim settings and shard count to %s', (handler) => {
    expect(env(handler)).toMatchObject({
      [ENV.staffClaim]: 'groups',
      [ENV.staffGroup]: 'support',
      [ENV.openRoomShards]: '4',
    });
  });

  it('keeps the legacy open-rooms index beside gsi3, lists from it and lets the readers query it', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'gsi1', Projection: { ProjectionType: 'ALL' } }),
        Match.objectLike({ IndexName: 'gsi3', Projection: { ProjectionType: 'KEYS_ONLY' } }),
        Match.objectLike({ IndexName: 'gsi2', Projection: { ProjectionType: 'ALL' } }),
      ],
    });
    expect(env('http/active-rooms')).toMatchObject({ [ENV.legacyOpenRoomsIndex]: 'true' });
    const policies = JSON.stringify(resourcesOfType(s.json, 'AWS::IAM::Policy'));
    expect(policies).toContain('/index/gsi2');
    expect(policies).toContain('/index/gsi3');
  });

  it('lets the table go with the stack', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it('names the WebSocket stage and its callback URL from the context', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'live' });
    expect(JSON.stringify(env('ws/message')[ENV.webSocketCallbackUrl])).toMatch(/\/live"\]\]\}$/);
    s.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('passes cfn-lint', () => {
    expect(cfnLint(s.templateFile)).toEqual([]);
  }, 90_000);
});

describe('bring-your-own OIDC issuer with the hosted web pages', () => {
  const issuer = 'https://id.example.com/';
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({
      bundle: false,
      context: {
        hosting: 'true',
        webDir: builtWebDir(),
        oidcIssuer: issuer,
        oidcAudience: 'chat-api',
        oidcClientId: 'chat-web',
        oidcScope: 'openid profile groups',
        staffClaim: 'groups',
      },
    });
  }, 60_000);

  it('tells the pages to sign in at the issuer with the public client given', () => {
    const config = deployedWebConfig(s);
    expect(config.cognito).toBeUndefined();
    expect(config.oidc).toEqual({ authority: issuer, clientId: 'chat-web', scope: 'openid profile groups' });
    expect(config).toMatchObject({ oidcIssuer: issuer, staffClaim: 'groups' });
  });

  it("lets the pages fetch from the issuer's origin to sign in (CSP connect-src), and from no Cognito host", () => {
    for (const policy of [s.stack.edge.headers!.widget, s.stack.edge.headers!.pages]) {
      const config = s.json.Resources[logicalId(policy)]?.Properties.ResponseHeadersPolicyConfig as {
        SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: unknown } };
      };
      // A join around the attachments bucket's name (the stack's id), read as text.
      const csp = JSON.stringify(config.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
      expect(csp).toContain("; connect-src 'self' https://id.example.com https://chat-files-");
      expect(csp).not.toContain('amazoncognito');
    }
  });

  it('creates no user pool and outputs the web URL to register at the issuer', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(s.json.Outputs?.WebUrl?.Value).toEqual({
      'Fn::Join': [
        '',
        ['https://', { 'Fn::GetAtt': [logicalId(s.stack.edge.distribution), 'DomainName'] }, '/'],
      ],
    });
  });

  it('passes cfn-lint', () => {
    expect(cfnLint(s.templateFile)).toEqual([]);
  }, 90_000);
});
