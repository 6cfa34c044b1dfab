import { EMAIL_DEFAULTS } from '../contract/notify.js';
import { ENV } from './config.js';

/** Who hears of a new room while no staff member is online. */
export type TeamChannelSetting =
  | { readonly kind: 'email'; readonly address: string }
  | { readonly kind: 'sns'; readonly topicArn: string }
  | { readonly kind: 'off' };

/**
 * The email settings (`NOTIFY_TEAM`, `EMAIL_FROM`, `PUBLIC_URL`, `NOTIFY_TOPIC_ARN`, `EMAIL_THROTTLE_SECONDS`,
 * `EMAIL_CONFIRMATION_TTL_SECONDS`), apart from `config.ts` because only the functions that send read them.
 */
export interface EmailConfig {
  readonly team: TeamChannelSetting;
  /** The sender; absent: no email is sent (team notices by SNS still are). */
  readonly from: string | undefined;
  /** The stack's public origin, without a trailing slash; absent: emails carry no link, none is sent. */
  readonly publicUrl: string | undefined;
  readonly replyThrottleMs: number;
  readonly confirmationTtlSeconds: number;
}

/** One `@`, something either side, no white space or angle brackets: what SES takes as an address. */
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of seconds ≥ 1`);
  return value;
}

function team(env: NodeJS.ProcessEnv, from: string | undefined): TeamChannelSetting {
  const raw = (env[ENV.notifyTeam] ?? '').trim();
  if (raw === '' || raw === 'off') return { kind: 'off' };
  if (raw === 'sns') {
    const topicArn = env[ENV.notifyTopicArn];
    if (!topicArn) throw new Error(`${ENV.notifyTeam}=sns needs ${ENV.notifyTopicArn}`);
    return { kind: 'sns', topicArn };
  }
  if (raw.startsWith('email:')) {
    const address = raw.slice('email:'.length).trim();
    if (!ADDRESS.test(address)) throw new Error(`${ENV.notifyTeam}=email:<address> needs an address`);
    if (!from) throw new Error(`${ENV.notifyTeam}=email:… needs ${ENV.emailFrom}`);
    return { kind: 'email', address };
  }
  throw new Error(`${ENV.notifyTeam} must be email:<address>, sns or off, got "${raw}"`);
}

/**
 * Reads the email settings. Cheap, and called per use rather than once per container: locally the public
 * URL is known only once the HTTP gateway listens, after the handlers are loaded.
 */
export function loadEmailConfig(env: NodeJS.ProcessEnv = process.env): EmailConfig {
  const from = env[ENV.emailFrom] || undefined;
  if (from !== undefined && !ADDRESS.test(from.replace(/^.*<(.*)>\s*$/, '$1'))) {
    throw new Error(`${ENV.emailFrom} must be an address, or "Name <address>", got "${from}"`);
  }
  const publicUrl = env[ENV.publicUrl] ? (env[ENV.publicUrl] as string).replace(/\/+$/, '') : undefined;
  return {
    team: team(env, from),
    from,
    publicUrl,
    replyThrottleMs: seconds(env, ENV.emailThrottleSeconds, EMAIL_DEFAULTS.replyThrottleSeconds) * 1000,
    confirmationTtlSeconds: seconds(
      env,
      ENV.emailConfirmationTtlSeconds,
      EMAIL_DEFAULTS.confirmationTtlSeconds,
    ),
  };
}
