import { fileURLToPath } from 'node:url';
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatStack } from './chat-stack.js';
import { CONTEXT, readConfig } from './config.js';

/** The folder holding `lambdas/`, `package-lock.json` and `dist/`. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const DEFAULT_STACK_NAME = 'LiveChat';

/**
 * Adds the chat stack to an app, configured from the app's context, with the cdk-nag AwsSolutions rules
 * registered as a validation plugin (an unacknowledged error fails the synth). `bin/app.ts` and the tests
 * both build the app this way, so the tests check what `cdk deploy` deploys.
 *
 * The stack is environment-agnostic (no account or region, no lookups): it synthesizes offline.
 */
export function addChatStack(app: App, projectRoot: string = PROJECT_ROOT): ChatStack {
  const config = readConfig(app.node, projectRoot);
  const stackName = (app.node.tryGetContext(CONTEXT.stackName) as string | undefined) ?? DEFAULT_STACK_NAME;
  const stack = new ChatStack(app, stackName, {
    config,
    projectRoot,
    description: 'Live chat for customer support: API Gateway HTTP + WebSocket, Lambda, DynamoDB',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
