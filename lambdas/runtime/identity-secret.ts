import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import * as v from 'valibot';
import { siteUserId } from '../domain/namespaces.js';
import { type IdentityClaims, InvalidIdentityToken } from '../domain/sessions.js';
import { displayName, emailAddress } from '../protocol/schemas.js';
import { isUsableUserId } from './identity.js';

/**
 * Identity tokens: what a host site's backend signs to say who its signed-in user is (HS256 with the site's
 * identity secret, kept in Secrets Manager). The stack checks them here and nowhere else.
 */

/** How far ahead an identity token's `exp` may be: a token is meant to be used at once, and only once. */
export const IDENTITY_TOKEN_MAX_TTL_SECONDS = 600;
/** Secrets Manager's staging labels: a site signs with the current one; the previous one still works. */
const STAGES = ['AWSCURRENT', 'AWSPREVIOUS'] as const;

export interface IdentitySecretsOptions {
  /** The secret's id or ARN. */
  readonly secretId: string;
  /** @default a client configured from the environment */
  readonly client?: SecretsManagerClient;
  /** How long fetched versions answer every token. @default 5 minutes */
  readonly cacheMs?: number;
  /**
   * A token that no cached version signed makes the versions be fetched again, at most once, when they are
   * older than this: a rotation shows within this long of the first token that needs it, and forged tokens
   * cost at most one fetch per container per this long. @default 30 s
   */
  readonly refetchAfterMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface Fetched {
  readonly keys: readonly Uint8Array[];
  readonly at: number;
}

/**
 * The identity secret's versions (AWSCURRENT and AWSPREVIOUS, two GetSecretValue calls) cached per container,
 * and the check of a token against them. A rotation (`put-secret-value`) needs no downtime: tokens signed with
 * the old secret keep working as AWSPREVIOUS, and the new one is fetched as soon as a token needs it (see
 * `refetchAfterMs`). Failing to reach Secrets Manager is an error of ours (thrown, so a 500), never a 401.
 */
export class IdentitySecrets {
  private readonly client: SecretsManagerClient;
  private readonly cacheMs: number;
  private readonly refetchAfterMs: number;
  private readonly now: () => number;
  private fetched: Fetched | undefined;
  private fetching: Promise<Fetched> | undefined;

  constructor(private readonly options: IdentitySecretsOptions) {
    this.client = options.client ?? new SecretsManagerClient({});
    this.cacheMs = options.cacheMs ?? 5 * 60_000;
    this.refetchAfterMs = options.refetchAfterMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The token's claims if one of the secret's versions signed it and its claims hold; throws otherwise. */
  async verify(token: string): Promise<IdentityClaims> {
    let versions = await this.versions(false);
    let payload = await this.verifyWith(token, versions.keys);
    if (payload === null && this.now() - versions.at >= this.refetchAfterMs) {
      versions = await this.versions(true);
      payload = await this.verifyWith(token, versions.keys);
    }
    if (payload === null) throw new InvalidIdentityToken('its signature does not match the identity secret');
    return claimsOf(payload, Math.floor(this.now() / 1000));
  }

  /** The payload if one of `keys` signed the token (null if none did); throws when its claims are refused. */
  private async verifyWith(token: string, keys: readonly Uint8Array[]): Promise<JWTPayload | null> {
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          requiredClaims: ['sub', 'jti', 'exp'],
          currentDate: new Date(this.now()),
        });
        return payload;
      } catch (error) {
        if (error instanceof errors.JWSSignatureVerificationFailed) continue;
        if (error instanceof errors.JWTExpired) throw new InvalidIdentityToken('it has expired');
        if (error instanceof errors.JOSEError) throw new InvalidIdentityToken(reasonOf(error));
        throw error;
      }
    }
    return null;
  }

  private async versions(refetch: boolean): Promise<Fetched> {
    const fetched = this.fetched;
    if (!refetch && fetched && this.now() - fetched.at < this.cacheMs) return fetched;
    // Concurrent callers of one container share one fetch.
    this.fetching ??= this.fetch().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetch(): Promise<Fetched> {
    const at = this.now();
    const values = await Promise.all(STAGES.map((stage) => this.secretValue(stage)));
    const [current] = values;
    if (current === undefined)
      throw new Error(`The identity secret ${this.options.secretId} has no AWSCURRENT`);
    const keys = values.flatMap((value) => (value === undefined ? [] : [new TextEncoder().encode(value)]));
    this.fetched = { keys, at };
    return this.fetched;
  }

  /** One version's value; undefined when the secret has no such stage (before its first rotation). */
  private async secretValue(stage: (typeof STAGES)[number]): Promise<string | undefined> {
    try {
      const answer = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.options.secretId, VersionStage: stage }),
      );
      if (answer.SecretString === undefined || answer.SecretString === '')
        throw new Error(`The identity secret ${this.options.secretId} (${stage}) holds no string`);
      return answer.SecretString;
    } catch (error) {
      if (stage === 'AWSPREVIOUS' && error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}

/** Why jose refused a token, in a sentence a site's developer can act on. */
function reasonOf(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} is missing or invalid`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'only HS256 is accepted';
  return 'it is not a well-formed JWT';
}

/** The checks jose does not make: how far ahead `exp` is, and what `sub`, `jti`, `name` and `email` hold. */
function claimsOf(payload: JWTPayload, nowSeconds: number): IdentityClaims {
  const { sub, jti, exp, name, email } = payload as JWTPayload & { name?: unknown; email?: unknown };
  if (typeof exp !== 'number' || exp - nowSeconds > IDENTITY_TOKEN_MAX_TTL_SECONDS)
    throw new InvalidIdentityToken(`exp is more than ${IDENTITY_TOKEN_MAX_TTL_SECONDS} s ahead`);
  if (typeof sub !== 'string' || sub === '' || !isUsableUserId(siteUserId(sub)))
    throw new InvalidIdentityToken('sub must be a non-empty string of at most 250 bytes without controls');
  if (typeof jti !== 'string' || !isUsableUserId(jti))
    throw new InvalidIdentityToken('jti must be a non-empty string of at most 255 bytes without controls');
  const claims: { -readonly [K in keyof IdentityClaims]: IdentityClaims[K] } = { sub, jti, exp };
  // The same checks as a name or email a person states (POST /api/chat/profile/): what a site vouches for is
  // shown in the same places.
  if (name !== undefined) {
    const checked = v.safeParse(displayName, name);
    if (!checked.success) throw new InvalidIdentityToken(checked.issues[0].message);
    claims.name = checked.output;
  }
  if (email !== undefined) {
    const checked = v.safeParse(emailAddress, email);
    if (!checked.success) throw new InvalidIdentityToken(checked.issues[0].message);
    claims.email = checked.output;
  }
  return claims;
}
