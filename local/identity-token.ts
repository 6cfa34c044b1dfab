import { parseArgs } from 'node:util';
import { loadLocalIdentitySecret, signIdentityToken } from './identity-secret.js';
import { defaultKeyDir } from './issuer.js';

const USAGE =
  'usage: npm run identity-token -- <user_id> [--name N] [--email E] [--ttl <seconds, at most 600>]\n';

/**
 * `npm run identity-token -- <user_id> [--name N] [--email E] [--ttl S]`: prints one identity token for the
 * local stack (what a host site's backend signs for its signed-in user, HS256 with the local identity secret)
 * and nothing else on stdout, so `ID_TOKEN=$(npm run -s identity-token -- u42 --name Ada)` works. Each token
 * works once; exchange it at `POST /api/chat/guest-sessions/` as `{"identity_token": …}`.
 */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      email: { type: 'string' },
      ttl: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub || rest.length > 0) {
    process.stderr.write(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const ttlSeconds = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds > 0 && ttlSeconds <= 600)) {
    process.stderr.write('--ttl must be a whole number of seconds from 1 to 600\n');
    process.exit(2);
  }
  const { current } = await loadLocalIdentitySecret(defaultKeyDir);
  const token = await signIdentityToken(current, {
    sub,
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values.email === undefined ? {} : { email: values.email }),
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
  });
  process.stdout.write(`${token}\n`);
}

await main();
