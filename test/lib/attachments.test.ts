import { beforeAll, describe, expect, it } from 'vitest';
import { allHandlers } from '../../lambdas/contract/routes.js';
import { ENV } from '../../lambdas/runtime/config.js';
import { handlerAccess } from '../../lib/constructs/functions.js';
import { contentSecurityPolicy } from '../../web/csp.js';
import { logicalId, resourcesOfType, type Synthesized, synthesize } from './synth.js';

/**
 * The attachments bucket in the template (lib/constructs/attachments.ts): private, encrypted, TLS only,
 * expiring uploads no message cites, CORS for the pages alone, and reachable only by the functions whose
 * route access names it, each with the one or two actions it needs on `rooms/*`.
 */
let s: Synthesized;
const PAGES = 'https://support.example.com';

beforeAll(() => {
  s = synthesize({ bundle: false, context: { hosting: 'false', corsOrigins: PAGES } });
});

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const bucketId = () => logicalId(s.stack.attachments.bucket);
const bucket = () =>
  s.json.Resources[bucketId()] as { Properties: Record<string, any>; DeletionPolicy?: string };
const actionsOf = (st: Statement) => [st.Action].flat();
const s3Statements = (handler: string): Statement[] => {
  const roleId = logicalId(s.stack.functions.of(handler).role!);
  return Object.values(resourcesOfType(s.json, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`{"Ref":"${roleId}"}`))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
};

describe('the attachments bucket', () => {
  it('blocks every kind of public access and takes no ACLs', () => {
    expect(bucket().Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket().Properties.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
  });

  it('encrypts at rest (SSE-S3) and refuses requests without TLS', () => {
    expect(bucket().Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    const policy = Object.values(resourcesOfType(s.json, 'AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId() }),
    );
    const statements = (policy!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]);
  });

  it('expires uploads tagged unsent after a day, and is kept when the stack is deleted', () => {
    expect(bucket().Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        {
          Id: 'expire-unsent-uploads',
          Status: 'Enabled',
          ExpirationInDays: 1,
          TagFilters: [{ Key: 'state', Value: 'unsent' }],
        },
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
    expect(bucket().DeletionPolicy).toBe('Retain');
  });

  it("lets only the pages' origins upload from a browser", () => {
    expect(bucket().Properties.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({ AllowedOrigins: [PAGES], AllowedMethods: ['POST', 'GET', 'HEAD'] }),
    ]);
  });

  it("is named after the stack's id, so the pages' CSP can name it without a cycle", () => {
    expect(JSON.stringify(bucket().Properties.BucketName)).toContain('chat-files-');
    expect(JSON.stringify(bucket().Properties.BucketName)).toContain('AWS::StackId');
  });
});

describe('who may touch the attachments bucket', () => {
  const access = handlerAccess();
  const expected: Record<string, string[]> = {
    'http/create-attachment': ['s3:PutObject', 's3:PutObjectTagging'],
    'http/get-attachment': ['s3:GetObject'],
    'http/send-message': ['s3:PutObjectTagging'],
    'ws/message': ['s3:PutObjectTagging'],
  };

  it.each(allHandlers())('grants %s exactly the S3 actions its route needs, on rooms/* only', (handler) => {
    const statements = s3Statements(handler);
    const actions = statements.flatMap(actionsOf).sort();
    expect(actions).toEqual(expected[handler] ?? []);
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, '/rooms/*']] };
    for (const statement of statements) expect(statement.Resource).toEqual(objects);
    expect(Boolean(access.get(handler)?.files)).toBe(handler in expected);
  });

  it('tells only those functions the bucket and the size limit', () => {
    for (const handler of allHandlers()) {
      const fn = s.json.Resources[logicalId(s.stack.functions.of(handler))];
      const vars = (fn!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars[ENV.attachmentBucket] !== undefined).toBe(handler in expected);
      if (handler in expected) {
        expect(vars[ENV.attachmentBucket]).toEqual({ Ref: bucketId() });
        expect(vars[ENV.attachmentMaxBytes]).toBe(String(10 * 1024 * 1024));
      }
    }
  });

  it('grants no one a wildcard, ListBucket or DeleteObject on it', () => {
    const actions = Object.values(resourcesOfType(s.json, 'AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.flatMap(actionsOf),
    );
    const s3 = actions.filter((a) => a.startsWith('s3:'));
    expect(s3.length).toBeGreaterThan(0);
    for (const action of s3)
      expect(['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject']).toContain(action);
  });
});

describe("the pages' CSP with attachments", () => {
  it('adds the bucket to img-src (with blob: for previews) and connect-src, and nothing else', () => {
    const csp = contentSecurityPolicy({
      frameAncestors: ["'none'"],
      connectSources: [],
      fileSources: ['https://b.s3.eu-west-1.amazonaws.com'],
    });
    expect(csp).toContain("img-src 'self' data: blob: https://b.s3.eu-west-1.amazonaws.com;");
    expect(csp).toContain("connect-src 'self' https://b.s3.eu-west-1.amazonaws.com;");
    expect(csp).toContain("script-src 'self';");
  });
});
