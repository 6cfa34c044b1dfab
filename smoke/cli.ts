import { parseArgs } from 'node:util';
import { loadLocalIssuer } from '../local/issuer.js';
import { formatStep, runConversation, type SmokeTarget } from './conversation.js';
import { readStackEndpoints, type StackReader } from './stack-outputs.js';

export const USAGE = `usage: npm run smoke -- --stack <name> | --http-url <url> --ws-url <url> | --local
  --stack <name>           read HttpApiUrl and WebSocketUrl from the stack's outputs (AWS credentials and region
                           from the environment, as for the AWS CLI)
  --http-url, --ws-url     the endpoints themselves
  --customer-token <jwt>   a customer's token (default: $SMOKE_CUSTOMER_TOKEN)
  --staff-token <jwt>      a staff member's token (default: $SMOKE_STAFF_TOKEN)
  --local                  against npm start: endpoints default to http://127.0.0.1:3000 and ws://127.0.0.1:3001,
                           tokens are minted by the development issuer
  --step-timeout <ms>      how long one step may take (default 15000)
`;

export interface CliIo {
  readonly out: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the stack's outputs (a fake in tests). @default a CloudFormation client */
  readonly stackReader?: StackReader;
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

  let target: SmokeTarget;
  try {
    target = await resolveTarget(values, io);
  } catch (error) {
    io.out(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  io.out(`Smoke test against ${target.httpUrl} and ${target.wsUrl}`);
  const started = performance.now();
  const report = await runConversation(target, {
    ...(stepTimeoutMs === undefined ? {} : { stepTimeoutMs }),
    onStep: (step) => io.out(formatStep(step)),
  });
  const passed = report.steps.filter((s) => s.status === 'pass').length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  io.out(`${report.ok ? 'PASSED' : 'FAILED'}: ${passed} of ${report.steps.length} steps in ${seconds} s`);
  return report.ok ? 0 : 1;
}

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
      local: { type: 'boolean', default: false },
      'step-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

async function resolveTarget(values: Values, io: CliIo): Promise<SmokeTarget> {
  const given = values['http-url'] !== undefined || values['ws-url'] !== undefined;
  if (values.stack !== undefined && given) throw new Error('give --stack or --http-url/--ws-url, not both');
  let endpoints: { httpUrl: string; wsUrl: string };
  if (values.stack !== undefined) {
    endpoints = await readStackEndpoints(values.stack, io.stackReader);
  } else if (values['http-url'] && values['ws-url']) {
    endpoints = { httpUrl: values['http-url'], wsUrl: values['ws-url'] };
  } else if (values.local && !given) {
    endpoints = { httpUrl: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001' };
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
  if (!customer || !staff) {
    throw new Error(
      'needs a customer token and a staff token: --customer-token and --staff-token, or SMOKE_CUSTOMER_TOKEN ' +
        'and SMOKE_STAFF_TOKEN (see docs/deploy.md, "After a deploy")',
    );
  }
  return { ...endpoints, customerToken: () => customer, staffToken: () => staff };
}
