import { randomBytes } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';

type AdminCommand =
  | AdminCreateUserCommand
  | AdminSetUserPasswordCommand
  | AdminAddUserToGroupCommand
  | AdminInitiateAuthCommand
  | AdminDeleteUserCommand;

/** The part of a Cognito client this module uses (a test hands it a fake: no Cognito here). */
export interface CognitoAdmin {
  send(command: AdminCommand): Promise<{ AuthenticationResult?: { AccessToken?: string } }>;
}

export interface TemporaryUsersOptions {
  readonly userPoolId: string;
  /** An app client that allows `ADMIN_USER_PASSWORD_AUTH` (the stack's `SmokeTestClientId` output). */
  readonly clientId: string;
  /** @default 'staff' */
  readonly staffGroup?: string;
  /** Tells this run's users apart from any other's. @default a random suffix */
  readonly runId?: string;
}

/** A customer and a staff member that exist for one smoke run. */
export interface TemporaryUsers {
  readonly customerToken: string;
  readonly staffToken: string;
  /** The usernames, for the report. */
  readonly usernames: readonly string[];
  /** Deletes both users; tries each even if the other fails, and throws if either could not be deleted. */
  remove(): Promise<void>;
}

/** A password the pool's policy accepts (12+ characters, upper, lower, digit, symbol), never shown. */
export function generatePassword(): string {
  return `Aa1!${randomBytes(24).toString('base64url')}`;
}

/**
 * Creates a temporary customer and staff member in the pool and signs them in: `AdminCreateUser` (no
 * invitation is sent), `AdminSetUserPassword` with a generated permanent password, `AdminAddUserToGroup` for
 * the staff member, then `AdminInitiateAuth` with `ADMIN_USER_PASSWORD_AUTH`. If any of it fails, the users
 * already created are deleted before the error is thrown; otherwise the caller deletes them with `remove()`.
 */
export async function createTemporaryUsers(
  options: TemporaryUsersOptions,
  admin: CognitoAdmin = new CognitoIdentityProviderClient({}),
): Promise<TemporaryUsers> {
  const runId = options.runId ?? randomBytes(4).toString('hex');
  const { userPoolId } = options;
  const created: string[] = [];
  const remove = async () => {
    const results = await Promise.allSettled(
      created.map((Username) => admin.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username }))),
    );
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${created[i]}: ${String(r.reason)}`] : [],
    );
    if (failed.length > 0) throw new Error(`could not delete the temporary users ${failed.join('; ')}`);
  };
  const signIn = async (role: 'customer' | 'staff'): Promise<string> => {
    // The pool signs in by e-mail; `.invalid` (RFC 2606) can never receive mail, and none is sent anyway.
    const username = `live-chat-smoke-${runId}-${role}@example.invalid`;
    const password = generatePassword();
    await admin.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: username,
        MessageAction: 'SUPPRESS',
        TemporaryPassword: generatePassword(),
        UserAttributes: [
          { Name: 'email', Value: username },
          { Name: 'email_verified', Value: 'true' },
        ],
      }),
    );
    created.push(username);
    await admin.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: userPoolId,
        Username: username,
        Password: password,
        Permanent: true,
      }),
    );
    if (role === 'staff') {
      await admin.send(
        new AdminAddUserToGroupCommand({
          UserPoolId: userPoolId,
          Username: username,
          GroupName: options.staffGroup ?? 'staff',
        }),
      );
    }
    const { AuthenticationResult } = await admin.send(
      new AdminInitiateAuthCommand({
        UserPoolId: userPoolId,
        ClientId: options.clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    );
    if (!AuthenticationResult?.AccessToken) throw new Error(`Cognito signed ${username} in without tokens`);
    return AuthenticationResult.AccessToken;
  };
  try {
    const customerToken = await signIn('customer');
    const staffToken = await signIn('staff');
    return { customerToken, staffToken, usernames: [...created], remove };
  } catch (error) {
    await remove().catch(() => undefined);
    throw error;
  }
}
