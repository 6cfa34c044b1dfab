import { beforeAll, describe, expect, it } from 'vitest';
import {
  allHandlers,
  httpRoutes,
  queueConsumers,
  streamConsumers,
  webSocketAuthorizer,
  webSocketRoutes,
} from '../../lambdas/contract/routes.js';
import { ENV } from '../../lambdas/runtime/config.js';
import { WELL_KNOWN_TTL } from '../../lib/constructs/edge.js';
import { EMBED_SCRIPT_MAX_AGE } from '../../lib/constructs/page-headers.js';
import {
  builtWebDir,
  cfnLint,
  deployedWebConfig,
  logicalId,
  resourcesOfType,
  type Synthesized,
  synthesize,
} from './synth.js';

// The website front door as deployed: the hosted pages with host sites allowed to embed the widget, the
// session issuer's key and the host site's identity secret, and who may use them.

const embedOrigins = ['https://shop.example.com', 'http://localhost:8080'];
const consoleOrigin = 'https://console.example.com';

let s: Synthesized;
beforeAll(() => {
  s = synthesize({
    bundle: false,
    context: {
      hosting: 'true',
      webDir: builtWebDir(),
      embedOrigins: embedOrigins.join(','),
      corsOrigins: `${consoleOrigin},https://shop.example.com`,
      preChat: 'required',
    },
  });
}, 60_000);

const props = (id: string) => s.json.Resources[id]?.Properties ?? {};
const keyArn = () => ({ 'Fn::GetAtt': [logicalId(s.stack.sessionIssuer.key), 'Arn'] });
const secretArn = () => ({ Ref: logicalId(s.stack.sessionIssuer.identitySecret) });

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const policies = () => Object.values(resourcesOfType(s.json, 'AWS::IAM::Policy'));
const statementsOfRole = (roleId: string): Statement[] =>
  policies()
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`{"Ref":"${roleId}"}`))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const statementsOf = (handler: string) => statementsOfRole(logicalId(s.stack.functions.of(handler).role!));

/**
 * The session key actions of each handler, read from the route table here (not through the stack's own
 * handlerAccess): `sign` routes sign and read the public key; `function` routes, `verify` routes and the
 * WebSocket authorizer only read the public key.
 */
function expectedKeyActions(handler: string): string[] {
  const entries = [
    ...httpRoutes,
    ...webSocketRoutes,
    webSocketAuthorizer,
    ...queueConsumers,
    ...streamConsumers,
  ].filter((r) => r.handler === handler);
  if (entries.some((r) => 'sessionKey' in r.access && r.access.sessionKey === 'sign')) {
    return ['kms:GetPublicKey', 'kms:Sign'];
  }
  const verifies =
    handler === webSocketAuthorizer.handler ||
    httpRoutes.some(
      (r) => r.handler === handler && (r.auth === 'function' || r.access.sessionKey === 'verify'),
    );
  return verifies ? ['kms:GetPublicKey'] : [];
}
const readsIdentitySecret = (handler: string) =>
  httpRoutes.some((r) => r.handler === handler && r.access.identitySecret === true);

describe('session issuer key', () => {
  it('is an RSA 2048 signing key whose policy leaves administration to the account, kept with the data', () => {
    const key = s.json.Resources[logicalId(s.stack.sessionIssuer.key)]!;
    expect(key).toMatchObject({
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', PendingWindowInDays: 7 },
    });
    expect(key.Properties.EnableKeyRotation).toBeUndefined();
    const root = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
    };
    expect(key.Properties.KeyPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'kms:*', Effect: 'Allow', Principal: { AWS: root }, Resource: '*' }],
    });
    s.template.resourceCountIs('AWS::KMS::Key', 1);
  });

  it.each(allHandlers())('gives %s the key actions the route table names, on that key alone', (handler) => {
    const kms = statementsOf(handler).filter((st) => actionsOf(st).some((a) => a.startsWith('kms:')));
    const expected = expectedKeyActions(handler);
    expect(kms.flatMap(actionsOf).sort()).toEqual(expected);
    for (const st of kms) expect(st).toEqual({ Effect: 'Allow', Action: st.Action, Resource: keyArn() });
  });

  it('lets every function route and the WebSocket authorizer verify, and no staff-only route', () => {
    const verifiers = allHandlers().filter((h) => expectedKeyActions(h).length > 0);
    for (const route of httpRoutes.filter((r) => r.auth === 'function'))
      expect(verifiers).toContain(route.handler);
    expect(verifiers).toContain(webSocketAuthorizer.handler);
    for (const route of httpRoutes.filter((r) => r.auth === 'jwt' && !r.access.sessionKey)) {
      expect(verifiers).not.toContain(route.handler);
    }
  });

  it.each(allHandlers())(
    'tells %s the staff issuer exactly when it verifies bearer tokens (verifier.ts needs both issuers)',
    (handler) => {
      const vars = (
        props(logicalId(s.stack.functions.of(handler))).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      const verifies =
        handler === webSocketAuthorizer.handler ||
        httpRoutes.some(
          (r) => r.handler === handler && (r.auth === 'function' || r.access.sessionKey === 'sign'),
        );
      for (const name of [ENV.jwtIssuer, ENV.jwtAudience, ENV.jwtJwksUri]) {
        if (verifies) expect(vars[name], `${handler} ${name}`).toBeDefined();
      }
      if (verifies) expect(JSON.stringify(vars[ENV.jwtJwksUri])).toContain('/.well-known/jwks.json');
    },
  );

  it.each(allHandlers())(
    'tells %s the issuer and the key exactly when it signs, verifies or publishes the issuer, and no key material',
    (handler) => {
      const vars = (
        props(logicalId(s.stack.functions.of(handler))).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      const domain = { 'Fn::GetAtt': [logicalId(s.stack.edge.distribution), 'DomainName'] };
      // The discovery document's function names the issuer without using the key.
      const publishes = httpRoutes.some((r) => r.handler === handler && r.path.startsWith('/.well-known/'));
      const uses = expectedKeyActions(handler).length > 0 || publishes;
      expect(vars[ENV.sessionIssuer]).toEqual(uses ? { 'Fn::Join': ['', ['https://', domain]] } : undefined);
      expect(vars[ENV.sessionKeyId]).toEqual(uses ? keyArn() : undefined);
      // The secret's id (its ARN), never its value (a dynamic reference would put the value in the env).
      expect(vars[ENV.identitySecretId]).toEqual(readsIdentitySecret(handler) ? secretArn() : undefined);
      const { [ENV.identitySecretId]: _id, ...others } = vars;
      expect(JSON.stringify(others)).not.toContain(logicalId(s.stack.sessionIssuer.identitySecret));
      expect(JSON.stringify(vars)).not.toMatch(/PRIVATE KEY/);
    },
  );

  it('lets guest-sessions alone sign; the JWKS reads the public key; discovery and revoke touch no key', () => {
    const keyActions = (handler: string) =>
      statementsOf(handler)
        .filter((st) => actionsOf(st).some((a) => a.startsWith('kms:')))
        .flatMap(actionsOf)
        .sort();
    expect(allHandlers().filter((h) => keyActions(h).includes('kms:Sign'))).toEqual(['http/guest-sessions']);
    expect(keyActions('http/guest-sessions')).toEqual(['kms:GetPublicKey', 'kms:Sign']);
    expect(keyActions('http/session-jwks')).toEqual(['kms:GetPublicKey']);
    expect(keyActions('http/openid-configuration')).toEqual([]);
    expect(keyActions('http/revoke-guest-session')).toEqual([]);
    for (const staffOnly of [
      'http/join-room',
      'http/leave-room',
      'http/active-rooms',
      'http/closed-rooms',
      'http/customer-rooms',
    ]) {
      expect(keyActions(staffOnly)).toEqual([]);
    }
  });

  it('grants KMS actions to the functions alone, and no other KMS action anywhere', () => {
    const functionRoles = new Set(allHandlers().map((h) => logicalId(s.stack.functions.of(h).role!)));
    for (const policy of policies()) {
      const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      const kms = statements.flatMap(actionsOf).filter((a) => a.startsWith('kms:'));
      if (kms.length === 0) continue;
      const roles = (policy.Properties.Roles as { Ref: string }[]).map((r) => r.Ref);
      for (const role of roles) expect(functionRoles.has(role)).toBe(true);
      for (const action of kms) expect(['kms:GetPublicKey', 'kms:Sign']).toContain(action);
    }
  });
});

describe("host site's identity secret", () => {
  it('is generated by the stack: 48 letters and digits, kept with the data', () => {
    expect(s.json.Resources[logicalId(s.stack.sessionIssuer.identitySecret)]).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      DeletionPolicy: 'Retain',
      Properties: { GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true } },
    });
    // No rotation function: the site owner rotates it (docs/deploy.md).
    s.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it.each(allHandlers())(
    'lets %s read it only if its route says identitySecret, on its ARN alone',
    (handler) => {
      const secrets = statementsOf(handler).filter((st) =>
        actionsOf(st).some((a) => a.startsWith('secretsmanager:')),
      );
      expect(secrets).toEqual(
        readsIdentitySecret(handler)
          ? [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArn() }]
          : [],
      );
    },
  );

  it('is read by guest-sessions alone', () => {
    expect(allHandlers().filter(readsIdentitySecret)).toEqual(['http/guest-sessions']);
  });

  it('is read by nothing else in the stack', () => {
    const readers = policies().filter((p) =>
      JSON.stringify(p.Properties).includes(JSON.stringify(secretArn())),
    );
    const expected = allHandlers().filter(readsIdentitySecret);
    expect(readers).toHaveLength(expected.length);
  });

  it('is output with its ARN and the command that reads it', () => {
    expect(s.json.Outputs?.IdentitySecretArn?.Value).toEqual(secretArn());
    expect(s.json.Outputs?.IdentitySecretCommand?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'aws secretsmanager get-secret-value --secret-id ',
          secretArn(),
          ' --query SecretString --output text',
        ],
      ],
    });
  });
});

/** A CloudFormation string as text: `{"Ref":"X"}` becomes `<X>`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(text).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref) return `<${ref}>`;
  // The attachments bucket is named after the stack's id (lib/constructs/attachments.ts).
  if ((value as { 'Fn::Select'?: unknown })['Fn::Select']) return '<stack uuid>';
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

describe('edge: the pages, the widget, embed.js and the JWKS', () => {
  type Behavior = {
    PathPattern?: string;
    TargetOriginId: string;
    CachePolicyId: unknown;
    OriginRequestPolicyId?: unknown;
    ResponseHeadersPolicyId?: unknown;
    ViewerProtocolPolicy: string;
    AllowedMethods: string[];
    FunctionAssociations?: unknown[];
  };
  type Config = {
    Origins: { Id: string; DomainName: unknown; S3OriginConfig?: unknown; OriginAccessControlId?: unknown }[];
    DefaultCacheBehavior: Behavior;
    CacheBehaviors: Behavior[];
  };
  const config = () => props(logicalId(s.stack.edge.distribution)).DistributionConfig as Config;
  const behavior = (path: string) => config().CacheBehaviors.find((b) => b.PathPattern === path)!;
  const pagesOrigin = () => config().Origins.find((o) => o.OriginAccessControlId !== undefined)!.Id;
  const headers = () => s.stack.edge.headers!;
  const policy = (construct: import('constructs').IConstruct) =>
    props(logicalId(construct)).ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: {
        ContentSecurityPolicy?: { ContentSecurityPolicy: unknown; Override: boolean };
        FrameOptions?: { FrameOption: string };
        StrictTransportSecurity: unknown;
        ContentTypeOptions: unknown;
        ReferrerPolicy: unknown;
      };
      RemoveHeadersConfig?: { Items: { Header: string }[] };
      CustomHeadersConfig?: { Items: { Header: string; Value: string; Override: boolean }[] };
    };
  const csp = (construct: import('constructs').IConstruct) =>
    text(policy(construct).SecurityHeadersConfig.ContentSecurityPolicy?.ContentSecurityPolicy);
  const domainId = () => logicalId(s.stack.identity.domain!);
  const signIn = () =>
    `https://cognito-idp.<AWS::Region>.amazonaws.com https://<${domainId()}>.auth.<AWS::Region>.amazoncognito.com`;
  const files = () =>
    'https://chat-files-<stack uuid>.s3.<AWS::Region>.amazonaws.com https://chat-files-<stack uuid>.s3.amazonaws.com';
  const strict = (frameAncestors: string) =>
    `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: ${files()}; ` +
    `connect-src 'self' ${signIn()} ${files()}; object-src 'none'; base-uri 'none'; form-action 'self'; ` +
    `frame-ancestors ${frameAncestors}`;

  it('serves the widget with a strict CSP that the embed origins may frame, and no X-Frame-Options', () => {
    expect(behavior('/widget*')).toMatchObject({
      TargetOriginId: pagesOrigin(),
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
      ResponseHeadersPolicyId: { Ref: logicalId(headers().widget) },
    });
    expect(csp(headers().widget)).toBe(strict(`'self' ${embedOrigins.join(' ')}`));
    expect(policy(headers().widget).SecurityHeadersConfig.FrameOptions).toBeUndefined();
    expect(policy(headers().widget).RemoveHeadersConfig?.Items).toEqual([{ Header: 'X-Frame-Options' }]);
  });

  it('serves every other page with the same CSP, never framed: frame-ancestors none and X-Frame-Options DENY', () => {
    expect(config().DefaultCacheBehavior).toMatchObject({
      TargetOriginId: pagesOrigin(),
      ResponseHeadersPolicyId: { Ref: logicalId(headers().pages) },
    });
    expect(csp(headers().pages)).toBe(strict("'none'"));
    expect(policy(headers().pages).SecurityHeadersConfig.FrameOptions).toEqual({
      FrameOption: 'DENY',
      Override: true,
    });
  });

  it('serves embed.js from the pages, loadable from other origins and kept by browsers a few minutes', () => {
    expect(behavior('/embed.js')).toMatchObject({
      TargetOriginId: pagesOrigin(),
      AllowedMethods: ['GET', 'HEAD'],
      ResponseHeadersPolicyId: { Ref: logicalId(headers().embedScript) },
    });
    expect(policy(headers().embedScript).SecurityHeadersConfig.ContentSecurityPolicy).toBeUndefined();
    expect(policy(headers().embedScript).CustomHeadersConfig?.Items).toEqual([
      { Header: 'Cross-Origin-Resource-Policy', Value: 'cross-origin', Override: true },
      {
        Header: 'Cache-Control',
        Value: `public, max-age=${EMBED_SCRIPT_MAX_AGE.toSeconds()}`,
        Override: true,
      },
    ]);
  });

  it('sends HSTS, nosniff and no-referrer with every page and embed.js, and uses no managed headers policy', () => {
    for (const construct of [headers().widget, headers().pages, headers().embedScript]) {
      expect(policy(construct).SecurityHeadersConfig).toMatchObject({
        StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, Override: true },
        ContentTypeOptions: { Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      });
    }
    const ids = [config().DefaultCacheBehavior, ...config().CacheBehaviors].map(
      (b) => b.ResponseHeadersPolicyId,
    );
    for (const id of ids.filter((i) => i !== undefined)) expect(id).toHaveProperty('Ref');
    s.template.resourceCountIs('AWS::CloudFront::ResponseHeadersPolicy', 3);
  });

  it('sends /.well-known/* to the HTTP API, cached 1-10 minutes and keyed on nothing of the viewer', () => {
    const wellKnown = behavior('/.well-known/*');
    expect(wellKnown.TargetOriginId).toBe(behavior('/api/*').TargetOriginId);
    expect(wellKnown).toMatchObject({ AllowedMethods: ['GET', 'HEAD'], ViewerProtocolPolicy: 'https-only' });
    expect(wellKnown.OriginRequestPolicyId).toBeUndefined();
    expect(props(text(wellKnown.CachePolicyId).slice(1, -1)).CachePolicyConfig).toMatchObject({
      MinTTL: 60,
      DefaultTTL: WELL_KNOWN_TTL.default.toSeconds(),
      MaxTTL: WELL_KNOWN_TTL.max.toSeconds(),
      ParametersInCacheKeyAndForwardedToOrigin: {
        HeadersConfig: { HeaderBehavior: 'none' },
        CookiesConfig: { CookieBehavior: 'none' },
        QueryStringsConfig: { QueryStringBehavior: 'none' },
      },
    });
  });

  it('has no web ACL unless one is given (webAclArn)', () => {
    expect(config()).not.toHaveProperty('WebACLId');
  });

  it('stays well within CloudFront limits: behaviors per distribution, CSP length', () => {
    expect(config().CacheBehaviors.map((b) => b.PathPattern)).toEqual([
      '/api/chat/support-status*',
      '/api/*',
      '/ws*',
      '/.well-known/*',
      '/widget*',
      '/embed.js',
    ]);
    expect(config().CacheBehaviors.length + 1).toBeLessThanOrEqual(25);
    expect(csp(headers().widget).length).toBeLessThan(1783);
  });

  it("allows the console and the embed origins in the HTTP API's CORS, each once", () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: [consoleOrigin, ...embedOrigins],
        AllowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        AllowHeaders: ['authorization', 'content-type'],
        MaxAge: 86_400,
      },
    });
  });

  it('writes the embed origins and the pre-chat setting into config.json', () => {
    expect(deployedWebConfig(s)).toMatchObject({ embedOrigins, preChat: 'required' });
  });

  it('outputs the session issuer and where its keys are', () => {
    const domain = { 'Fn::GetAtt': [logicalId(s.stack.edge.distribution), 'DomainName'] };
    expect(s.json.Outputs?.SessionIssuerUrl?.Value).toEqual({ 'Fn::Join': ['', ['https://', domain]] });
    expect(s.json.Outputs?.SessionJwksUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', domain, '/.well-known/jwks.json']],
    });
  });

  it('passes cfn-lint', () => {
    expect(cfnLint(s.templateFile)).toEqual([]);
  }, 90_000);
});
