import { parseArgs } from 'node:util';
import { loadLocalIssuer } from '../local/issuer.js';
import { type CognitoAdmin, createTemporaryUsers, type TemporaryUsers } from './cognito-users.js';
import { formatStep, runConversation, type SmokeTarget } from './conversation.js';
import { readStackEndpoints, type StackReader } from './stack-outputs.js';

export const USAGE = `usage: npm run smoke -- --stack <name> | --http-url <url> --ws-url <url> | --local
  --stack <name>           read PublicApiUrl and PublicWebSocketUrl (else HttpApiUrl and WebSocketUrl) from the
                           stack's outputs (AWS credentials and region from the environment, as for the AWS
                           CLI); without tokens, and deployed with
                           -c smokeTestClient=true, creates a temporary customer and staff member in its user
                           pool, and deletes them afterwards
  --staff-group <name>     the staff group of those users (default staff)
  --http-url, --ws-url     the endpoints themselves
  --customer-token <jwt>   a customer's token (default: $SMOKE_CUSTOMER_TOKEN)
  --staff-token <jwt>      a staff member's token (default: $SMOKE_STAFF_TOKEN)
  --local                  against npm start: endpoints default to http://127.0.0.1:3000 and ws://127.0.0.1:3000/ws,
                           tokens are minted by the development issuer
  --step-timeout <ms>      how long one step may take (default 15000)
`;

export interface CliIo {
  readonly out: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the stack's outputs (a fake in tests). @default a CloudFormation client */
  readonly stackReader?: StackReader;
  /** Cognito's admin API, for temporary users (a fake in tests). @default a Cognito client */
  readonly cognito?: CognitoAdmin;
  /** Where `--local` finds the development issuer's key. @default `.local/keys` */
  readonly keyDir?: string;
}

/**
 * `npm run smoke`: runs the smoke conversation against a deployed stack or `npm start`, prints one line per
 * step and a summary, and returns the exit code: 0 when every step passed, 1 when one failed, 2 for bad
 * arguments.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    io.out(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const stepTimeoutMs = values['step-timeout'] === undefined ? undefined : Number(values['step-timeout']);
  if (stepTimeoutMs !== undefined && !(Number.isInteger(stepTimeoutMs) && stepTimeoutMs > 0)) {
    io.out(`--step-timeout must be a positive number of milliseconds\n${USAGE}`);
    return 2;
  }

  let resolved: Resolved;
  try {
    resolved = await resolveTarget(values, io);
  } catch (error) {
    io.out(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  io.out(`Smoke test against ${resolved.httpUrl} and ${resolved.wsUrl}`);
  const started = performance.now();
  let users: TemporaryUsers | undefined;
  let target: SmokeTarget;
  if ('pool' in resolved) {
    try {
      users = await createTemporaryUsers(
        {
          userPoolId: resolved.pool.userPoolId,
          clientId: resolved.pool.clientId,
          staffGroup: values['staff-group'] ?? 'staff',
        },
        io.cognito,
      );
    } catch (error) {
      io.out(`FAIL  create temporary users: ${(error as Error).message}`);
      io.out('FAILED: no conversation without users');
      return 1;
    }
    io.out(`Created temporary users ${users.usernames.join(' and ')}`);
    const { customerToken, staffToken } = users;
    target = { ...resolved, customerToken: () => customerToken, staffToken: () => staffToken };
  } else {
    target = resolved;
  }
  let ok: boolean;
  let summary: string;
  try {
    const report = await runConversation(target, {
      ...(stepTimeoutMs === undefined ? {} : { stepTimeoutMs }),
      onStep: (step) => io.out(formatStep(step)),
    });
    const passed = report.steps.filter((s) => s.status === 'pass').length;
    ok = report.ok;
    summary = `${passed} of ${report.steps.length} steps`;
  } finally {
    if (users) {
      try {
        await users.remove();
        io.out(`Deleted temporary users ${users.usernames.join(' and ')}`);
      } catch (error) {
        // The conversation may have passed, but users left behind are a failure the operator must see.
        io.out(`FAIL  delete temporary users: ${(error as Error).message}`);
        ok = false;
      }
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  io.out(`${ok ? 'PASSED' : 'FAILED'}: ${summary} in ${seconds} s`);
  return ok ? 0 : 1;
}

/** Endpoints with tokens, or endpoints with the pool and client to create temporary users in. */
type Resolved =
  | SmokeTarget
  | {
      readonly httpUrl: string;
      readonly wsUrl: string;
      readonly pool: { userPoolId: string; clientId: string };
    };

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      stack: { type: 'string' },
      'http-url': { type: 'string' },
      'ws-url': { type: 'string' },
      'customer-token': { type: 'string' },
      'staff-token': { type: 'string' },
      'staff-group': { type: 'string' },
      local: { type: 'boolean', default: false },
      'step-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

async function resolveTarget(values: Values, io: CliIo): Promise<Resolved> {
  const given = values['http-url'] !== undefined || values['ws-url'] !== undefined;
  if (values.stack !== undefined && given) throw new Error('give --stack or --http-url/--ws-url, not both');
  let endpoints: { httpUrl: string; wsUrl: string };
  let pool: { userPoolId: string; clientId: string } | undefined;
  if (values.stack !== undefined) {
    const outputs = await readStackEndpoints(values.stack, io.stackReader);
    endpoints = { httpUrl: outputs.httpUrl, wsUrl: outputs.wsUrl };
    if (outputs.userPoolId && outputs.smokeTestClientId) {
      pool = { userPoolId: outputs.userPoolId, clientId: outputs.smokeTestClientId };
    }
  } else if (values['http-url'] && values['ws-url']) {
    endpoints = { httpUrl: values['http-url'], wsUrl: values['ws-url'] };
  } else if (values.local && !given) {
    // npm start's public origin, as deployed clients use CloudFront's.
    endpoints = { httpUrl: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3000/ws' };
  } else {
    throw new Error('give --stack <name>, or both --http-url and --ws-url, or --local');
  }

  if (values.local) {
    // Fresh ids per run: a run never meets what an earlier run left behind.
    const issuer = await loadLocalIssuer(io.keyDir);
    const run = `smoke-${Date.now().toString(36)}`;
    const [customer, staff] = await Promise.all([
      issuer.mint({ userId: `${run}-customer`, ttlSeconds: 600 }),
      issuer.mint({ userId: `${run}-staff`, staff: true, ttlSeconds: 600 }),
    ]);
    return { ...endpoints, customerToken: () => customer, staffToken: () => staff };
  }
  const customer = values['customer-token'] ?? io.env.SMOKE_CUSTOMER_TOKEN;
  const staff = values['staff-token'] ?? io.env.SMOKE_STAFF_TOKEN;
  if (!customer && !staff && pool) return { ...endpoints, pool };
  if (!customer || !staff) {
    throw new Error(
      'needs a customer token and a staff token: --customer-token and --staff-token, or SMOKE_CUSTOMER_TOKEN ' +
        'and SMOKE_STAFF_TOKEN, or --stack with a stack deployed with -c smokeTestClient=true (see ' +
        'docs/deploy.md, "After a deploy")',
    );
  }
  return { ...endpoints, customerToken: () => customer, staffToken: () => staff };
}
