import { createHash } from 'node:crypto';
import { type AwsJsonService, answer, type JsonAnswer, startAwsJsonService } from './aws-json-service.js';
import {
  type IdentitySecretVersions,
  LOCAL_IDENTITY_SECRET_ID,
  loadLocalIdentitySecret,
  rotateLocalIdentitySecret,
} from './identity-secret.js';

/** The local secret's ARN, as Secrets Manager names a secret (its name and six random characters). */
export const LOCAL_IDENTITY_SECRET_ARN = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${LOCAL_IDENTITY_SECRET_ID}-AbCdEf`;
const STAGES = { current: 'AWSCURRENT', previous: 'AWSPREVIOUS' } as const;

export interface LocalSecretsManagerOptions {
  /** Where the identity secret's file is kept (beside the development issuer's keys). */
  readonly keyDir: string;
  readonly host?: string;
  /** One line per call. */
  readonly log?: (line: string) => void;
}

/**
 * Secrets Manager, locally: `GetSecretValue` in its JSON protocol (`x-amz-target: secretsmanager.GetSecretValue`)
 * for the one secret the stack has, the host site's identity secret, so the handlers' SDK code runs as in AWS
 * with `AWS_ENDPOINT_URL_SECRETS_MANAGER` pointing here. Its two staging labels, AWSCURRENT and AWSPREVIOUS, are
 * read from local/identity-secret.ts's file on every call, so a rotation by another process (or
 * {@link rotate}) shows at once, as `put-secret-value` does in AWS. Unknown secrets, stages and versions are
 * answered `ResourceNotFoundException`, as AWS answers them.
 */
export class LocalSecretsManager {
  readonly secretId = LOCAL_IDENTITY_SECRET_ID;
  readonly arn = LOCAL_IDENTITY_SECRET_ARN;
  private service: AwsJsonService | undefined;
  /** Calls answered, by operation (refusals included, as AWS bills them). */
  readonly calls = { GetSecretValue: 0 };

  constructor(private readonly options: LocalSecretsManagerOptions) {}

  get url(): string {
    return this.service?.url ?? '';
  }

  /** The secret's versions now. */
  versions(): Promise<IdentitySecretVersions> {
    return loadLocalIdentitySecret(this.options.keyDir);
  }

  /** Rotates the secret as `put-secret-value` does: a new AWSCURRENT, the old one becomes AWSPREVIOUS. */
  rotate(next?: string): Promise<IdentitySecretVersions> {
    return rotateLocalIdentitySecret(this.options.keyDir, next);
  }

  /** Listens on `port` (0: a free one; a test that stopped it may start it again where it was). */
  async start(port = 0): Promise<void> {
    await this.versions();
    this.service = await startAwsJsonService({
      targetPrefix: 'secretsmanager',
      internalErrorType: 'InternalServiceError',
      port,
      ...(this.options.host ? { host: this.options.host } : {}),
      handle: (operation, body) => this.handle(operation, body),
    });
  }

  async close(): Promise<void> {
    await this.service?.close();
  }

  private async handle(operation: string, body: Record<string, unknown>): Promise<JsonAnswer> {
    this.options.log?.(
      `SecretsManager ${operation} ${String(body.SecretId ?? '')} ${String(body.VersionStage ?? '')}`,
    );
    if (operation !== 'GetSecretValue') {
      return answer(400, { __type: 'InvalidRequestException', Message: `Unsupported ${operation}` });
    }
    this.calls.GetSecretValue++;
    if (body.SecretId !== this.secretId && body.SecretId !== this.arn) {
      return answer(400, notFound("Secrets Manager can't find the specified secret."));
    }
    const versions = await this.versions();
    const all = [
      { value: versions.current, stage: STAGES.current },
      ...(versions.previous === undefined ? [] : [{ value: versions.previous, stage: STAGES.previous }]),
    ].map((version) => ({ ...version, id: versionId(version.value) }));
    const stage = typeof body.VersionStage === 'string' ? body.VersionStage : undefined;
    const id = typeof body.VersionId === 'string' ? body.VersionId : undefined;
    const found = all.find(
      (version) =>
        (id === undefined || version.id === id) &&
        (stage === undefined
          ? id !== undefined || version.stage === STAGES.current
          : version.stage === stage),
    );
    if (!found) {
      return answer(
        400,
        notFound(
          id === undefined
            ? `Secrets Manager can't find the specified secret value for staging label: ${stage}`
            : `Secrets Manager can't find the specified secret value for VersionId: ${id}`,
        ),
      );
    }
    return answer(200, {
      ARN: this.arn,
      Name: this.secretId,
      VersionId: found.id,
      SecretString: found.value,
      VersionStages: [found.stage],
      CreatedDate: 1_764_547_200,
    });
  }
}

const notFound = (message: string) => ({ __type: 'ResourceNotFoundException', Message: message });

/** A version's id, as Secrets Manager gives one (a UUID), derived from its value so that it stays put. */
function versionId(value: string): string {
  const hex = createHash('sha256').update(value).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
