/**
 * `npm run bench:auth`: what verifying a bearer token in the function costs per request, once the
 * keys are cached (a warm container): lambdas/runtime/verifier.ts on a staff-issuer token and on a session token
 * (both RS256, 2048-bit keys), beside the `jwt` routes' re-read of the header API Gateway verified
 * (actorFromHttpAuthorizer: a decode, no signature). docs/architecture.md, "Who signs", quotes the medians.
 *
 * Not part of `npm test`: times depend on the machine.
 */
import { randomUUID } from 'node:crypto';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DEFAULTS } from '../lambdas/runtime/config.js';
import { SESSION_AUDIENCE, SESSION_TOKEN_USE } from '../lambdas/runtime/session-tokens.js';

process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
const { createVerifier } = await import('../lambdas/runtime/verifier.js');
const { actorFromHttpAuthorizer } = await import('../lambdas/runtime/identity.js');
const { flattenClaims } = await import('../local/http-gateway.js');

const ROUNDS = 5_000;
const STAFF_ISSUER = 'https://issuer.bench.invalid';
const SESSION_ISSUER = 'https://sessions.bench.invalid';

async function issuerKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, jwks: { keys: [jwk] } as unknown as Jwks };
}

const staffKey = await issuerKey('staff-1');
const sessionKey = await issuerKey('session-1');
const claims = {
  userIdClaim: DEFAULTS.userIdClaim,
  staffClaim: DEFAULTS.staffClaim,
  staffGroup: DEFAULTS.staffGroup,
};
const verify = createVerifier({
  staff: { issuer: STAFF_ISSUER, audiences: ['bench'], jwks: staffKey.jwks },
  session: { issuer: SESSION_ISSUER, keyId: 'bench-key' },
  claims,
  sessionKeys: async () => sessionKey.jwks,
});

const staffToken = await new SignJWT({ 'cognito:groups': ['staff'], token_use: 'id', jti: randomUUID() })
  .setProtectedHeader({ alg: 'RS256', kid: 'staff-1' })
  .setIssuer(STAFF_ISSUER)
  .setAudience('bench')
  .setSubject('sam')
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(staffKey.privateKey);
const sessionToken = await new SignJWT({ kind: 'guest', token_use: SESSION_TOKEN_USE, jti: randomUUID() })
  .setProtectedHeader({ alg: 'RS256', kid: 'session-1' })
  .setIssuer(SESSION_ISSUER)
  .setAudience(SESSION_AUDIENCE)
  .setSubject('guest_bench')
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(sessionKey.privateKey);
const staffPayload = JSON.parse(Buffer.from(staffToken.split('.')[1] as string, 'base64url').toString());

async function measure(name: string, run: () => unknown): Promise<void> {
  for (let i = 0; i < 200; i++) await run(); // warm: keys loaded, JIT settled
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = process.hrtime.bigint();
    const result = await run();
    times.push(Number(process.hrtime.bigint() - started) / 1000);
    if (!result) throw new Error(`${name}: refused`);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number).toFixed(0);
  console.log(
    `${name.padEnd(44)} median ${at(0.5).padStart(5)} µs   p90 ${at(0.9).padStart(5)} µs   p99 ${at(0.99).padStart(5)} µs`,
  );
}

console.log(`${ROUNDS} rounds each, Node ${process.version}, keys cached`);
await measure('verifier, staff-issuer token (RS256)', () => verify(staffToken));
await measure('verifier, session token (RS256)', () => verify(sessionToken));
await measure('jwt route re-read (decode, no signature)', () =>
  actorFromHttpAuthorizer(`Bearer ${staffToken}`, flattenClaims(staffPayload), claims),
);
