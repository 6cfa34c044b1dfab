import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** The part of a CloudFormation client this module uses (a test hands it a fake: no CloudFormation here). */
export interface StackReader {
  send(
    command: DescribeStacksCommand,
  ): Promise<{ Stacks?: { Outputs?: { OutputKey?: string; OutputValue?: string }[] }[] }>;
}

/** What the smoke test needs from a deployed stack. */
export interface StackEndpoints {
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** Cognito stacks only. */
  readonly userPoolId?: string;
  /** Only when the stack was deployed with `-c smokeTestClient=true`. */
  readonly smokeTestClientId?: string;
}

/**
 * Reads the endpoints clients use from the outputs of the stack `stackName` (`cdk deploy` prints the same
 * outputs): `PublicApiUrl` and `PublicWebSocketUrl`, or `HttpApiUrl` and `WebSocketUrl` for a stack without a
 * public origin; and `UserPoolId` and `SmokeTestClientId` where present. With the caller's AWS credentials
 * and region unless a reader is given.
 */
export async function readStackEndpoints(
  stackName: string,
  reader: StackReader = new CloudFormationClient({}),
): Promise<StackEndpoints> {
  const { Stacks } = await reader.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  // What clients use: the public origin (CloudFront) when the stack has one, else the APIs themselves.
  const publicApi = outputs.get('PublicApiUrl');
  const httpUrl = publicApi ? publicApi.replace(/\/?api\/chat\/?$/, '') : outputs.get('HttpApiUrl');
  const wsUrl = outputs.get('PublicWebSocketUrl') ?? outputs.get('WebSocketUrl');
  if (!httpUrl || !wsUrl) {
    throw new Error(
      `stack ${stackName} has no HttpApiUrl and WebSocketUrl outputs: is it a live chat stack?`,
    );
  }
  const userPoolId = outputs.get('UserPoolId');
  const smokeTestClientId = outputs.get('SmokeTestClientId');
  return {
    httpUrl,
    wsUrl,
    ...(userPoolId ? { userPoolId } : {}),
    ...(smokeTestClientId ? { smokeTestClientId } : {}),
  };
}
