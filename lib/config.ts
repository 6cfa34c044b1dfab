import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Node } from 'constructs';
import { STREAM_MAPPING } from '../lambdas/contract/stream.js';
import { ATTACHMENT_LIMITS } from '../lambdas/domain/attachments.js';
import { parseAutoAssign } from '../lambdas/runtime/auto-assign-config.js';
import { DEFAULTS } from '../lambdas/runtime/config.js';
import { parseLimits } from '../lambdas/runtime/limits-config.js';

/**
 * Deployment settings, read once from CDK context (`cdk.json` or `-c key=value`).
 *
 * Every value arrives as a string from the command line, so booleans, numbers and lists are parsed here and
 * nowhere else. docs/deploy.md lists each key.
 */
export interface ChatConfig {
  /** Stage of the WebSocket API (also the path segment of its URL). */
  readonly stageName: string;
  /** Keep the table (deletion protection + RETAIN) when the stack is deleted. */
  readonly retainData: boolean;
  /** Bring-your-own OIDC issuer; absent means the stack creates a Cognito user pool. */
  readonly oidc: OidcConfig | undefined;
  /** Claim with the user id. */
  readonly userIdClaim: string;
  /** Claim that lists the user's groups. */
  readonly staffClaim: string;
  /** Group in `staffClaim` that makes a user staff. */
  readonly staffGroup: string;
  /** Cognito hosted UI domain prefix; absent means `<stack name>-<account id>` (see {@link stackDomainPrefix}). */
  readonly cognitoDomainPrefix: string | undefined;
  /** Cognito feature plan: `essentials` (default) or `plus` (threat protection, billed per MAU). */
  readonly cognitoPlus: boolean;
  /** Create the app client `npm run smoke` signs its temporary users in with (Cognito only). */
  readonly smokeTestClient: boolean;
  /** OAuth callback URLs of the web pages, besides the hosted one. */
  readonly callbackUrls: string[];
  /** OAuth sign-out URLs of the web pages, besides the hosted one. */
  readonly logoutUrls: string[];
  /** Origins allowed by the HTTP API's CORS, besides the hosted one. */
  readonly corsOrigins: string[];
  /**
   * Host sites allowed to embed the widget (`embed.js`): the widget page's CSP `frame-ancestors`, CORS origins
   * of the HTTP API (beside `corsOrigins`) and `embedOrigins` of the hosted `config.json`.
   */
  readonly embedOrigins: string[];
  /** Whether the widget asks for a name and an e-mail before the first message. */
  readonly preChat: PreChat;
  /** An AWS WAF web ACL (scope CLOUDFRONT, made in us-east-1) for the distribution; absent: none. */
  readonly webAclArn: string | undefined;
  /** E-mail address subscribed to the alarm topic. */
  readonly alarmEmail: string | undefined;
  /** Folder of the built web pages, when they are hosted by this stack. */
  readonly webDir: string | undefined;
  readonly maxMessageLength: number;
  /** The largest attachment accepted, in bytes (`ATTACHMENT_MAX_BYTES`; docs/attachments.md). */
  readonly attachmentMaxBytes: number;
  readonly openRoomShards: number;
  /** Seconds the table stream's records gather before the queue's consumer gets a batch (0-300). */
  readonly queueBatchWindowSeconds: number;
  /**
   * The legacy open-rooms index (gsi2) while a stack from before gsi3 moves onto it (docs/deploy.md): `list`
   * keeps it beside gsi3 and the functions keep it up and list from it; `keep` keeps it while the functions use
   * gsi3 alone; `none` (the default) drops it.
   */
  readonly legacyOpenRoomsIndex: LegacyOpenRoomsIndex;
  /** Per-user limits as `RATE_LIMITS` JSON (validated at synth); absent means the functions' defaults. */
  readonly rateLimits: string | undefined;
  /** `AUTO_ASSIGN` of the functions: `off` or `round-robin:<cap>` (docs/assignment.md); absent means off. */
  readonly autoAssign: string | undefined;
  /** Retention of every log group the stack creates, in days. */
  readonly logRetentionDays: number;
  /** Create the regional API Gateway CloudWatch role (WebSocket access logs need one per account and region). */
  readonly apiGatewayAccountRole: boolean;
  /** POWERTOOLS_LOG_LEVEL of every function. */
  readonly logLevel: string;
  /** Email and team notices (docs/email.md): see {@link readEmailSettings}. */
  readonly email: EmailSettings;
}

export const PRE_CHAT = ['off', 'optional', 'required'] as const;
export type PreChat = (typeof PRE_CHAT)[number];

export const LEGACY_OPEN_ROOMS_INDEX = ['list', 'keep', 'none'] as const;
export type LegacyOpenRoomsIndex = (typeof LEGACY_OPEN_ROOMS_INDEX)[number];

export interface OidcConfig {
  /** `iss` of the tokens, e.g. `https://example.eu.auth0.com/` (kept exactly as given). */
  readonly issuer: string;
  /** `aud` (or Cognito `client_id`) of the tokens. */
  readonly audience: string;
  /** @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUri: string;
  /**
   * Public OAuth client (authorization code + PKCE) the hosted pages sign in with at the issuer. Required
   * when the stack hosts the pages; without hosting the stack does not use it.
   */
  readonly clientId?: string;
  /** Scopes the pages ask for; must include `openid`. @default the pages' own, `openid email profile` */
  readonly scope?: string;
}

/** The context keys, so docs and tests name them the same way. */
export const CONTEXT = {
  stackName: 'stackName',
  stageName: 'stageName',
  retainData: 'retainData',
  oidcIssuer: 'oidcIssuer',
  oidcAudience: 'oidcAudience',
  oidcJwksUri: 'oidcJwksUri',
  oidcClientId: 'oidcClientId',
  oidcScope: 'oidcScope',
  userIdClaim: 'userIdClaim',
  staffClaim: 'staffClaim',
  staffGroup: 'staffGroup',
  cognitoDomainPrefix: 'cognitoDomainPrefix',
  cognitoPlus: 'cognitoPlus',
  smokeTestClient: 'smokeTestClient',
  callbackUrls: 'callbackUrls',
  logoutUrls: 'logoutUrls',
  corsOrigins: 'corsOrigins',
  embedOrigins: 'embedOrigins',
  preChat: 'preChat',
  webAclArn: 'webAclArn',
  alarmEmail: 'alarmEmail',
  hosting: 'hosting',
  webDir: 'webDir',
  maxMessageLength: 'maxMessageLength',
  attachmentMaxBytes: 'attachmentMaxBytes',
  openRoomShards: 'openRoomShards',
  queueBatchWindowSeconds: 'queueBatchWindowSeconds',
  legacyOpenRoomsIndex: 'legacyOpenRoomsIndex',
  rateLimits: 'rateLimits',
  autoAssign: 'autoAssign',
  logRetentionDays: 'logRetentionDays',
  apiGatewayAccountRole: 'apiGatewayAccountRole',
  logLevel: 'logLevel',
  notifyTeam: 'notifyTeam',
  emailFrom: 'emailFrom',
  emailIdentity: 'emailIdentity',
  createEmailIdentity: 'createEmailIdentity',
  sesSandboxRecipients: 'sesSandboxRecipients',
} as const;

/** Default web page folder, relative to the project root. */
export const DEFAULT_WEB_DIR = join('dist', 'web');

/** Retention values CloudWatch Logs accepts. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Words Cognito refuses anywhere in a domain prefix. */
const COGNITO_RESERVED_WORDS = /aws|amazon|cognito/;

/**
 * Why Cognito would refuse a hosted UI domain prefix, or `undefined` when it is fine: lowercase letters,
 * digits and hyphens, 1-63 characters, no hyphen first or last, and none of `aws`, `amazon`, `cognito`.
 */
export function cognitoDomainPrefixProblem(prefix: string): string | undefined {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix)) {
    return 'must be 1-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen';
  }
  if (COGNITO_RESERVED_WORDS.test(prefix)) return "must not contain 'aws', 'amazon' or 'cognito'";
  return undefined;
}

/**
 * The stack's part of the default Cognito domain prefix (`<this>-<account id>`): the stack name lowercased,
 * runs of other characters turned into one hyphen, the reserved words taken out, and cut to 50 characters so
 * that the account id still fits in Cognito's 63. Two stacks in one account and region get two domains.
 */
export function stackDomainPrefix(stackName: string): string {
  let name = stackName.toLowerCase();
  // Taking a word out can join two halves into another one ("amazawson"), so repeat until none is left.
  while (COGNITO_RESERVED_WORDS.test(name)) name = name.replace(new RegExp(COGNITO_RESERVED_WORDS, 'g'), '');
  name = name
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return name === '' ? 'livechat' : name;
}

/** Log levels the functions accept as POWERTOOLS_LOG_LEVEL. */
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Whether a string is exactly a web origin: http(s), host, optional port; no path, query or trailing slash. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

type Raw = (key: string) => unknown;

/** A list of web origins (see {@link isOrigin}); the error names the key and every value at fault. */
function origins(raw: Raw, key: string, example: string): string[] {
  const values = list(raw, key);
  const bad = values.filter((o) => !isOrigin(o));
  if (bad.length > 0) {
    throw new Error(
      `context ${key} must be origins, scheme://host[:port] in lowercase without a path or trailing ` +
        `slash (e.g. ${example}), got ${bad.map((o) => `"${o}"`).join(', ')}`,
    );
  }
  return values;
}

function str(raw: Raw, key: string): string | undefined {
  const value = raw(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  }
  return String(value).trim();
}

function bool(raw: Raw, key: string, fallback: boolean): boolean {
  const value = str(raw, key);
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`context ${key} must be true or false, got "${value}"`);
}

function preChat(raw: Raw): PreChat {
  const value = str(raw, CONTEXT.preChat) ?? 'optional';
  const known = PRE_CHAT.find((option) => option === value);
  if (!known) throw new Error(`context preChat must be off, optional or required, got "${value}"`);
  return known;
}

/** A CloudFront web ACL lives in us-east-1 with scope CLOUDFRONT, which its ARN says (`global/webacl/`). */
function webAclArn(raw: Raw): string | undefined {
  const value = str(raw, CONTEXT.webAclArn);
  if (value === undefined) return undefined;
  if (!/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[\w-]+\/[0-9a-f-]+$/.test(value)) {
    throw new Error(
      'context webAclArn must be the ARN of a WAF web ACL with scope CLOUDFRONT (made in us-east-1), ' +
        `arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>, got "${value}"`,
    );
  }
  return value;
}

function legacyIndex(raw: Raw): LegacyOpenRoomsIndex {
  const value = str(raw, CONTEXT.legacyOpenRoomsIndex) ?? 'none';
  const known = LEGACY_OPEN_ROOMS_INDEX.find((option) => option === value);
  if (!known) throw new Error(`context legacyOpenRoomsIndex must be list, keep or none, got "${value}"`);
  return known;
}

function int(raw: Raw, key: string, fallback: number): number {
  const value = str(raw, key);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`context ${key} must be a positive integer, got "${value}"`);
  return n;
}

/** Lambda takes a batching window of 0 to 300 whole seconds. */
function batchWindow(raw: Raw): number {
  const value = str(raw, CONTEXT.queueBatchWindowSeconds);
  if (value === undefined) return STREAM_MAPPING.batchWindowSeconds;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 300) {
    throw new Error(
      `context ${CONTEXT.queueBatchWindowSeconds} must be a whole number of seconds 0-300, got "${value}"`,
    );
  }
  return n;
}

/** A list given as a JSON array in cdk.json or as a comma-separated string on the command line. */
function list(raw: Raw, key: string): string[] {
  const value = raw(key);
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Whether the stack hosts the web pages: `hosting=true` demands the folder, `hosting=false` skips it, and
 * by default (`auto`) the pages are hosted when the folder has been built, so a synth on a fresh clone
 * never needs it.
 */
function webDir(raw: Raw, projectRoot: string): string | undefined {
  const mode = str(raw, CONTEXT.hosting) ?? 'auto';
  const dir = str(raw, CONTEXT.webDir) ?? DEFAULT_WEB_DIR;
  const abs = isAbsolute(dir) ? dir : join(projectRoot, dir);
  const built = existsSync(join(abs, 'index.html'));
  switch (mode) {
    case 'false':
      return undefined;
    case 'auto':
      return built ? abs : undefined;
    case 'true':
      if (!built)
        throw new Error(
          `context hosting=true but ${abs}/index.html does not exist: build the web pages first`,
        );
      return abs;
    default:
      throw new Error(`context hosting must be auto, true or false, got "${mode}"`);
  }
}

/**
 * The `rateLimits` context: a JSON text (`-c rateLimits='{"messages":[[10,10]]}'`) or an object in cdk.json,
 * checked here with the functions' own parser so that a bad value fails the synth, not the first request.
 */
function rateLimits(raw: Raw): string | undefined {
  const value = raw(CONTEXT.rateLimits);
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    parseLimits(text);
  } catch (error) {
    throw new Error(`context rateLimits: ${(error as Error).message.replace(/^RATE_LIMITS:? ?/, '')}`);
  }
  return text;
}

/** The `autoAssign` context, checked with the functions' own parser so that a bad value fails the synth. */
function autoAssign(raw: Raw): string | undefined {
  const value = str(raw, CONTEXT.autoAssign);
  if (value === undefined || value === '') return undefined;
  try {
    parseAutoAssign(value);
  } catch (error) {
    throw new Error(`context autoAssign: ${(error as Error).message.replace(/^AUTO_ASSIGN /, '')}`);
  }
  return value;
}

/** Reads and validates the deployment settings from a construct's context. */
export function readConfig(node: Node, projectRoot: string): ChatConfig {
  const raw: Raw = (key) => node.tryGetContext(key);
  const issuer = str(raw, CONTEXT.oidcIssuer);
  const audience = str(raw, CONTEXT.oidcAudience);
  if ((issuer === undefined) !== (audience === undefined)) {
    throw new Error('context oidcIssuer and oidcAudience go together: give both or neither');
  }
  if (issuer !== undefined && !issuer.startsWith('https://')) {
    throw new Error(`context oidcIssuer must be an https URL, got "${issuer}"`);
  }
  const clientId = str(raw, CONTEXT.oidcClientId);
  const scope = str(raw, CONTEXT.oidcScope);
  if (issuer === undefined && (clientId !== undefined || scope !== undefined)) {
    throw new Error('context oidcClientId and oidcScope go with oidcIssuer: they configure its web client');
  }
  if (scope !== undefined && !scope.split(/\s+/).includes('openid')) {
    throw new Error(`context oidcScope must include openid (the pages read the id token), got "${scope}"`);
  }
  const web = webDir(raw, projectRoot);
  if (issuer !== undefined && web !== undefined && clientId === undefined) {
    throw new Error(
      `context oidcClientId is required with oidcIssuer when the stack hosts the web pages (${web}): ` +
        'they sign in at the issuer with this public client (authorization code + PKCE). Give ' +
        '-c oidcClientId=<client id>, or -c hosting=false to deploy without the pages.',
    );
  }
  const oidc =
    issuer !== undefined && audience !== undefined
      ? {
          issuer,
          audience,
          jwksUri: str(raw, CONTEXT.oidcJwksUri) ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
          ...(clientId !== undefined ? { clientId } : {}),
          ...(scope !== undefined ? { scope } : {}),
        }
      : undefined;
  const logRetentionDays = int(raw, CONTEXT.logRetentionDays, 30);
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    throw new Error(`context logRetentionDays must be one of ${RETENTION_DAYS.join(', ')}`);
  }
  const cognitoDomainPrefix = str(raw, CONTEXT.cognitoDomainPrefix);
  const prefixProblem =
    cognitoDomainPrefix === undefined ? undefined : cognitoDomainPrefixProblem(cognitoDomainPrefix);
  if (prefixProblem) {
    throw new Error(`context cognitoDomainPrefix ${prefixProblem}, got "${cognitoDomainPrefix}"`);
  }
  const corsOrigins = origins(raw, CONTEXT.corsOrigins, 'https://console.example.com');
  const embedOrigins = origins(raw, CONTEXT.embedOrigins, 'https://www.example.com');
  const logLevel = (str(raw, CONTEXT.logLevel) ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(
      `context logLevel must be DEBUG, INFO, WARN or ERROR, got "${str(raw, CONTEXT.logLevel)}"`,
    );
  }
  const smokeTestClient = bool(raw, CONTEXT.smokeTestClient, false);
  if (smokeTestClient && oidc) {
    throw new Error(
      "context smokeTestClient needs the stack's Cognito user pool; it cannot be used with oidcIssuer",
    );
  }
  const stageName = str(raw, CONTEXT.stageName) ?? 'prod';
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(stageName)) {
    throw new Error(`context stageName must be letters, digits, - or _, got "${stageName}"`);
  }
  return {
    stageName,
    retainData: bool(raw, CONTEXT.retainData, true),
    oidc,
    userIdClaim: str(raw, CONTEXT.userIdClaim) ?? DEFAULTS.userIdClaim,
    staffClaim: str(raw, CONTEXT.staffClaim) ?? DEFAULTS.staffClaim,
    staffGroup: str(raw, CONTEXT.staffGroup) ?? DEFAULTS.staffGroup,
    cognitoDomainPrefix,
    cognitoPlus: bool(raw, CONTEXT.cognitoPlus, false),
    smokeTestClient,
    callbackUrls: list(raw, CONTEXT.callbackUrls),
    logoutUrls: list(raw, CONTEXT.logoutUrls),
    corsOrigins,
    embedOrigins,
    preChat: preChat(raw),
    webAclArn: webAclArn(raw),
    alarmEmail: str(raw, CONTEXT.alarmEmail),
    webDir: web,
    maxMessageLength: int(raw, CONTEXT.maxMessageLength, DEFAULTS.maxMessageLength),
    attachmentMaxBytes: int(raw, CONTEXT.attachmentMaxBytes, ATTACHMENT_LIMITS.maxBytes),
    openRoomShards: int(raw, CONTEXT.openRoomShards, DEFAULTS.openRoomShards),
    queueBatchWindowSeconds: batchWindow(raw),
    legacyOpenRoomsIndex: legacyIndex(raw),
    rateLimits: rateLimits(raw),
    autoAssign: autoAssign(raw),
    logRetentionDays,
    apiGatewayAccountRole: bool(raw, CONTEXT.apiGatewayAccountRole, true),
    logLevel,
    email: readEmailSettings(raw),
  };
}

/** How the stack emails (docs/email.md). */
export interface EmailSettings {
  /** `NOTIFY_TEAM`: `sns` (the stack's team topic, the default), `email:<address>`, or `off`. */
  readonly notifyTeam: string;
  /** The sender of every email (`EMAIL_FROM`); absent: no email at all (team notices by SNS still go). */
  readonly from: string | undefined;
  /** The SES identity that covers the sender: its domain (the default) or the address itself. */
  readonly identity: string | undefined;
  /** Create that identity in the stack (a domain then needs its DKIM records in DNS); else it exists already. */
  readonly createIdentity: boolean;
  /**
   * Verified recipients while the account is in the SES sandbox: SES checks the sender's permission on each
   * recipient's identity too there, so they are added to the grant.
   */
  readonly sandboxRecipients: string[];
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

/** The email context keys, checked here so that a bad value fails the synth rather than the first email. */
function readEmailSettings(raw: Raw): EmailSettings {
  const notifyTeam = str(raw, CONTEXT.notifyTeam) ?? 'sns';
  const from = str(raw, CONTEXT.emailFrom);
  const address = from?.replace(/^.*<(.*)>\s*$/, '$1');
  if (address !== undefined && !ADDRESS.test(address)) {
    throw new Error(`context emailFrom must be an address, or "Name <address>", got "${from}"`);
  }
  if (notifyTeam !== 'sns' && notifyTeam !== 'off') {
    if (!notifyTeam.startsWith('email:') || !ADDRESS.test(notifyTeam.slice('email:'.length))) {
      throw new Error(`context notifyTeam must be sns, off or email:<address>, got "${notifyTeam}"`);
    }
    if (!from) throw new Error('context notifyTeam=email:… needs emailFrom, the sender');
  }
  const identity = str(raw, CONTEXT.emailIdentity) ?? address?.split('@')[1];
  if (
    identity !== undefined &&
    address !== undefined &&
    identity !== address &&
    !address.endsWith(`@${identity}`)
  ) {
    throw new Error(`context emailIdentity ${identity} does not cover emailFrom ${address}`);
  }
  const createIdentity = bool(raw, CONTEXT.createEmailIdentity, false);
  if (createIdentity && identity === undefined) {
    throw new Error('context createEmailIdentity needs emailFrom (or emailIdentity)');
  }
  return {
    notifyTeam,
    from,
    identity: from ? identity : undefined,
    createIdentity,
    sandboxRecipients: list(raw, CONTEXT.sesSandboxRecipients),
  };
}
