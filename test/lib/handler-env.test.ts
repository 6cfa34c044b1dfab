import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { httpRoutes, webSocketAuthorizer } from '../../lambdas/contract/routes.js';
import { repoRoot } from '../../local/lambda-runtime.js';
import { logicalId, type Synthesized, synthesize } from './synth.js';

const run = promisify(execFile);

/**
 * Every function that verifies bearer tokens, started as Lambda would start it: with exactly the environment
 * the template gives it and nothing more (locally every handler shares one process environment, which is how a
 * missing JWT_ISSUER once hid until deploy), then asked once with a token that is no JWT. Each must answer the
 * bad token itself (401, or Unauthorized at `$connect`), with no ERROR line: no setting it needs is missing.
 */
let s: Synthesized;

beforeAll(() => {
  s = synthesize({ bundle: false });
});

/** A template value as a string: intrinsics become stand-ins of the right shape (ids, ARNs, URLs). */
function resolved(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return `ref-${String(intrinsic.Ref).replace('AWS::', '')}`;
  if ('Fn::GetAtt' in intrinsic) return (intrinsic['Fn::GetAtt'] as string[]).join('.');
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(resolved).join(separator);
  }
  throw new Error(`No stand-in for ${JSON.stringify(value)}`);
}

function environmentOf(handler: string): Record<string, string> {
  const fn = s.json.Resources[logicalId(s.stack.functions.of(handler))];
  if (!fn) throw new Error(`No function for ${handler} in the template`);
  const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  return {
    ...Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolved(value)])),
    // What Lambda itself sets.
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: handler,
    AWS_ACCESS_KEY_ID: 'env-check',
    AWS_SECRET_ACCESS_KEY: 'env-check',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

async function startAsDeployed(handler: string, kind: 'http' | 'ws-authorizer') {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'test', 'lib', 'handler-env-child.ts'), handler, kind],
    { cwd: repoRoot, env: environmentOf(handler), timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
    status?: number;
    threw?: string | null;
    loadFailed?: string;
    errors: string[];
  };
}

const verifying = [...new Set(httpRoutes.filter((r) => r.auth === 'function').map((r) => r.handler))];

describe('functions started with the environment the template gives them', () => {
  it.each(verifying)('%s answers a bad bearer token 401, with every setting it needs', async (handler) => {
    expect(await startAsDeployed(handler, 'http')).toEqual({ status: 401, errors: [] });
  });

  it('the WebSocket authorizer refuses a bad token at $connect, with every setting it needs', async () => {
    expect(await startAsDeployed(webSocketAuthorizer.handler, 'ws-authorizer')).toEqual({
      threw: 'Unauthorized',
      errors: [],
    });
  });
});
