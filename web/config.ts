/**
 * `/config.json`: what the pages read at start-up to find their endpoints and sign people in. The CDK stack
 * writes it beside the hosted pages (lib/constructs/hosting.ts); `npm start` serves a local one
 * (local/web.ts). docs/web.md documents every field.
 */
export interface WebConfig {
  /** Base URL of the HTTP API, without `/api/chat`. */
  readonly httpApiUrl: string;
  /** URL of the WebSocket API stage, `wss://…/{stage}`. */
  readonly webSocketUrl: string;
  /** The stack's Cognito user pool: sign-in with the hosted UI, authorization code + PKCE. */
  readonly cognito?: {
    readonly region: string;
    readonly userPoolId: string;
    readonly clientId: string;
    /** Hosted UI base URL, `https://<prefix>.auth.<region>.amazoncognito.com`. */
    readonly domain: string;
  };
  /** Any other OIDC provider with a public client (authorization code + PKCE); used when `cognito` is absent. */
  readonly oidc?: {
    /** Issuer URL; its `/.well-known/openid-configuration` must be reachable from browsers. */
    readonly authority: string;
    readonly clientId: string;
    /** @default 'openid email profile' */
    readonly scope?: string;
  };
  /** The server's MAX_MESSAGE_LENGTH, so the composer warns before the server refuses. @default 4000 */
  readonly maxMessageLength?: number;
  /** `iss` of the tokens the APIs accept (informational). */
  readonly oidcIssuer?: string;
  /** Group that makes a user staff. @default 'staff' */
  readonly staffGroup?: string;
  /** Claim of the id token that lists the user's groups. @default 'cognito:groups' */
  readonly staffClaim?: string;
  /**
   * Which token the pages send as the bearer: Cognito access tokens carry `client_id` and the groups claim;
   * id tokens carry `aud`. Both pass the APIs' checks. @default 'access'
   */
  readonly tokenType?: 'access' | 'id';
  /** Claim of the id token that carries the user id. @default 'sub' */
  readonly userIdClaim?: string;
  /** Host origins allowed to embed the widget; the widget talks to no other parent (the stack's `embedOrigins`). */
  readonly embedOrigins?: readonly string[];
  /** Whether the widget asks for a name and an e-mail before the first message. @default 'optional' */
  readonly preChat?: 'off' | 'optional' | 'required';
  /** Local development only: an endpoint that mints tokens for a user id and role (`npm start`). */
  readonly localSignIn?: { readonly url: string };
}

/**
 * `preChat`: `off` asks only the topic, `optional` offers a name and an email, `required` needs both
 * (docs/web.md, "Pre-chat and offline").
 */
export type PreChat = NonNullable<WebConfig['preChat']>;
export const PRE_CHAT: readonly PreChat[] = ['off', 'optional', 'required'];

/** Whether `value` is an origin exactly as `URL.origin` writes it (scheme, host, port; no path). */
export function isOrigin(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

export class ConfigError extends Error {}

const isUrl = (value: unknown, protocols: readonly string[]): value is string => {
  if (typeof value !== 'string') return false;
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

/** Checks a parsed `config.json`; throws a {@link ConfigError} naming the first field at fault. */
export function validateConfig(value: unknown): WebConfig {
  if (!value || typeof value !== 'object') throw new ConfigError('config.json is not a JSON object');
  const config = value as Record<string, unknown>;
  if (!isUrl(config.httpApiUrl, ['http:', 'https:']))
    throw new ConfigError('httpApiUrl must be an http(s) URL');
  if (!isUrl(config.webSocketUrl, ['ws:', 'wss:'])) throw new ConfigError('webSocketUrl must be a ws(s) URL');
  const cognito = config.cognito as Record<string, unknown> | undefined;
  if (cognito !== undefined) {
    for (const field of ['region', 'userPoolId', 'clientId'] as const) {
      if (typeof cognito[field] !== 'string' || cognito[field] === '')
        throw new ConfigError(`cognito.${field} must be a string`);
    }
    if (!isUrl(cognito.domain, ['https:'])) throw new ConfigError('cognito.domain must be an https URL');
  }
  const oidc = config.oidc as Record<string, unknown> | undefined;
  if (oidc !== undefined) {
    if (!isUrl(oidc.authority, ['https:'])) throw new ConfigError('oidc.authority must be an https URL');
    if (typeof oidc.clientId !== 'string' || oidc.clientId === '')
      throw new ConfigError('oidc.clientId must be a string');
  }
  if (
    config.maxMessageLength !== undefined &&
    !(Number.isInteger(config.maxMessageLength) && (config.maxMessageLength as number) > 0)
  ) {
    throw new ConfigError('maxMessageLength must be a positive whole number');
  }
  if (config.tokenType !== undefined && config.tokenType !== 'access' && config.tokenType !== 'id') {
    throw new ConfigError("tokenType must be 'access' or 'id'");
  }
  const local = config.localSignIn as Record<string, unknown> | undefined;
  if (local !== undefined && typeof local.url !== 'string')
    throw new ConfigError('localSignIn.url must be a string');
  if (config.embedOrigins !== undefined) {
    if (!Array.isArray(config.embedOrigins)) throw new ConfigError('embedOrigins must be a list of origins');
    const wrong = config.embedOrigins.find((origin) => !isOrigin(origin));
    if (wrong !== undefined) {
      throw new ConfigError(
        `embedOrigins: ${JSON.stringify(wrong)} is not an origin (scheme://host[:port], no path or slash)`,
      );
    }
  }
  if (config.preChat !== undefined && !PRE_CHAT.includes(config.preChat as PreChat)) {
    throw new ConfigError("preChat must be 'off', 'optional' or 'required'");
  }
  if (!cognito && !oidc && !local) {
    throw new ConfigError('config.json names no way to sign in: give cognito, oidc or localSignIn');
  }
  return config as unknown as WebConfig;
}

/** Fetches and checks `/config.json`. */
export async function loadConfig(url = '/config.json'): Promise<WebConfig> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new ConfigError(`${url} answered ${response.status}`);
  return validateConfig(await response.json());
}
