import { parseArgs } from 'node:util';
import { loadLocalIssuer } from './issuer.js';

/**
 * `npm run token -- <user_id> [--staff] [--ttl <seconds>]`: prints one JWT for the local stack and nothing
 * else on stdout, so `TOKEN=$(npm run -s token -- alice)` works.
 */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      staff: { type: 'boolean', default: false },
      ttl: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [userId, ...rest] = positionals;
  if (values.help || !userId || rest.length > 0) {
    process.stderr.write('usage: npm run token -- <user_id> [--staff] [--ttl <seconds>]\n');
    process.exit(values.help ? 0 : 2);
  }
  const ttlSeconds = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds > 0)) {
    process.stderr.write('--ttl must be a positive number of seconds\n');
    process.exit(2);
  }
  const issuer = await loadLocalIssuer();
  process.stdout.write(
    `${await issuer.mint({ userId, staff: values.staff, ...(ttlSeconds ? { ttlSeconds } : {}) })}\n`,
  );
}

await main();
