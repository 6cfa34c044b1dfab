/**
 * Stops a timed-out invocation's effects, the way Lambda does by freezing (then replacing) the sandbox.
 *
 * Handlers run in this process, so a handler the runtime has given up on keeps running; without this gate its
 * later DynamoDB writes and management-API posts would still happen, and a local test would see effects that
 * AWS never produces. Each invocation runs inside an AsyncLocalStorage scope, and every request an AWS SDK
 * client sends goes through the SDK's Node.js HTTP handler, which this module wraps: a request from an
 * invocation that has timed out is refused before it leaves, whatever the endpoint (the embedded DynamoDB,
 * `DYNAMODB_ENDPOINT`, the local management API). A request that left before the deadline completes, as a
 * request sent before Lambda froze the sandbox may still be applied.
 *
 * `lambdas/` never imports this: the local runtime installs the wrapper once, before it loads any handler.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** One invocation, as the gate sees it. */
export interface InvocationScope {
  readonly requestId: string;
  /** Set by the runtime when the invocation's timeout has passed. */
  timedOut: boolean;
}

/** What a timed-out invocation's SDK call fails with (not retryable: it has no status and no error code). */
export class InvocationTimedOut extends Error {
  override readonly name = 'InvocationTimedOut';
  constructor(readonly requestId: string) {
    super(`Invocation ${requestId} timed out: the request was not sent`);
  }
}

const scopes = new AsyncLocalStorage<InvocationScope>();
let installed = false;

/** Wraps the SDK's Node.js HTTP handler (once per process) so that it refuses timed-out invocations. */
export function installInvocationGate(): void {
  if (installed) return;
  installed = true;
  const handle = NodeHttpHandler.prototype.handle;
  NodeHttpHandler.prototype.handle = function gatedHandle(
    this: NodeHttpHandler,
    ...args: Parameters<NodeHttpHandler['handle']>
  ) {
    const scope = scopes.getStore();
    if (scope?.timedOut) return Promise.reject(new InvocationTimedOut(scope.requestId));
    return handle.apply(this, args);
  };
}

/** Runs `fn` as the invocation `scope`: every SDK request it makes, now or later, is checked against it. */
export function runInScope<T>(scope: InvocationScope, fn: () => T): T {
  return scopes.run(scope, fn);
}
