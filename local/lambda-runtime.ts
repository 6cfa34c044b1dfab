import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { FUNCTION_TIMEOUT_SECONDS } from '../lambdas/contract/functions.js';
import { TASK_TIMED_OUT } from '../lambdas/contract/log-lines.js';
import { type InvocationScope, installInvocationGate, runInScope } from './invocation-gate.js';

/** The repository root, whichever folder the local runtime was started from. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// biome-ignore lint/suspicious/noExplicitAny: a Lambda handler takes whatever event its trigger sends.
type Handler = (event: any, context: Context) => Promise<unknown>;

export interface InvokeResult {
  /** The handler's return value, when it returned. */
  readonly value?: unknown;
  /** The error it threw or the timeout, when it failed. */
  readonly error?: Error;
  /** Set when the invocation failed by outliving its timeout (Lambda's `Sandbox.Timedout`). */
  readonly timedOut?: boolean;
}

export interface LambdaRuntimeOptions {
  /**
   * The function timeout: a handler still running after it fails the invocation.
   * @default the deployed functions' timeout, `FUNCTION_TIMEOUT_SECONDS` of `lambdas/contract/functions.ts`
   */
  readonly timeoutMs?: number;
  /** Where failed invocations are reported. @default console.error */
  readonly onError?: (handler: string, error: Error) => void;
  /**
   * Where the lines Lambda itself writes to a function's log stream go (`<time> <request id> Task timed out
   * after 10.00 seconds`), the lines the stack's metric filters count. @default console.log
   */
  readonly platformLog?: (line: string) => void;
  /** The folder handler names are resolved in. @default `<repo>/lambdas` */
  readonly handlersDir?: string;
}

/**
 * Runs the handler files of `lambdas/` the way Lambda does: the module is loaded once (module scope is the
 * container's, so clients are reused), each call gets a fresh context with its own request id, and a call
 * that outlives the timeout fails: the gateway is answered as on a Lambda timeout, the timeout is logged as
 * Lambda logs it, and the handler's later AWS SDK calls are refused (see `invocation-gate.ts`), so its late
 * writes and pushes never happen. Invocations are never serialized: like Lambda, two calls run concurrently.
 */
export class LambdaRuntime {
  private readonly modules = new Map<string, Promise<Handler>>();
  /** The function timeout every invocation gets, in milliseconds. */
  readonly timeoutMs: number;
  private readonly onError: (handler: string, error: Error) => void;
  private readonly platformLog: (line: string) => void;
  private readonly handlersDir: string;

  constructor(options: LambdaRuntimeOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? FUNCTION_TIMEOUT_SECONDS * 1000;
    this.handlersDir = options.handlersDir ?? path.join(repoRoot, 'lambdas');
    this.onError = options.onError ?? ((handler, error) => console.error(`[lambda ${handler}]`, error));
    this.platformLog = options.platformLog ?? ((line) => console.log(line));
    installInvocationGate();
  }

  /** Loads every named handler now, so the first request does not pay for it. */
  async preload(handlers: readonly string[]): Promise<void> {
    await Promise.all(handlers.map((name) => this.load(name)));
  }

  /** Invokes `<handlersDir>/<handler>.ts` with the event; never throws. */
  async invoke(handler: string, event: unknown): Promise<InvokeResult> {
    const requestId = randomUUID();
    const deadline = Date.now() + this.timeoutMs;
    const context = createContext(handler, requestId, deadline);
    const scope: InvocationScope = { requestId, timedOut: false };
    const seconds = (this.timeoutMs / 1000).toFixed(2);
    let timer: NodeJS.Timeout | undefined;
    try {
      const fn = await this.load(handler);
      const timeout = new Promise<'timed out'>((resolve) => {
        timer = setTimeout(() => {
          scope.timedOut = true;
          resolve('timed out');
        }, this.timeoutMs);
      });
      const outcome = await Promise.race([runInScope(scope, () => fn(event, context)), timeout]);
      if (outcome === 'timed out' && scope.timedOut) {
        // Lambda's own line, with the stack's metric filter phrase in it (lambdas/contract/log-lines.ts).
        this.platformLog(
          `${new Date().toISOString()} ${requestId} ${TASK_TIMED_OUT} after ${seconds} seconds`,
        );
        return { error: new Error(`${TASK_TIMED_OUT} after ${seconds} seconds`), timedOut: true };
      }
      return { value: outcome };
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      this.onError(handler, error);
      return { error };
    } finally {
      clearTimeout(timer);
    }
  }

  private load(handler: string): Promise<Handler> {
    let loaded = this.modules.get(handler);
    if (!loaded) {
      const file = path.join(this.handlersDir, `${handler}.ts`);
      loaded = import(pathToFileURL(file).href).then((mod: { handler?: unknown }) => {
        if (typeof mod.handler !== 'function') throw new Error(`${file} does not export a handler function`);
        return mod.handler as Handler;
      });
      this.modules.set(handler, loaded);
    }
    return loaded;
  }
}

function createContext(handler: string, requestId: string, deadline: number): Context {
  const functionName = `local-${handler.replace(/\W+/g, '-')}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
