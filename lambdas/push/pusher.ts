import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { FRAME_NOT_DELIVERED } from '../contract/log-lines.js';
import type { SocketProbe } from '../domain/ports.js';
import type { FoundBy } from '../domain/types.js';
import type { Frame } from '../protocol/frames.js';
import { logger } from '../runtime/logger.js';

/** A frame's JSON, built by the caller. */
export class SerializedFrame {
  constructor(readonly json: string) {}
}

/** A socket to deliver to. */
export interface Target {
  readonly connectionId: string;
  readonly userId: string;
  readonly role: 'customer' | 'staff';
  /** Epoch ms; a socket younger than the connect grace is never treated as gone. */
  readonly connectedAt: number;
  /**
   * The items that led to this socket (a room's subscription, the queue, staff presence), so a gone socket's
   * items are removed by their own keys even when its connection item is already gone.
   */
  readonly foundBy?: readonly FoundBy[];
}

export interface PushReport {
  readonly delivered: number;
  /** Sockets the management API no longer knows (HTTP 410). */
  readonly gone: readonly string[];
  /** Deliveries that failed for another reason after the SDK's retries. */
  readonly failed: number;
}

export interface PusherOptions {
  /** PostToConnection calls in flight at once. @default 32 */
  readonly concurrency?: number;
  /** Called once per gone socket, after the fan-out, to forget it. */
  readonly onGone?: (target: Target) => Promise<void>;
  /**
   * A socket whose `$connect` is still running answers 410 too; one younger than this is left alone.
   * @default 30_000 (API Gateway gives `$connect` at most 29 s)
   */
  readonly connectGraceMs?: number;
  readonly now?: () => number;
  /**
   * Called once per fan-out with the frames the management API refused for another reason than a gone
   * socket (429, 5xx, after the SDK's retries), to be posted again outside this invocation.
   * @default - they are only logged (`Frame not delivered`)
   */
  readonly onUndelivered?: (undelivered: readonly Undelivered[]) => Promise<void>;
}

/** A frame that could not be posted, with the socket it was for. */
export interface Undelivered {
  readonly target: Target;
  /** The frame's JSON, exactly as it was to be posted. */
  readonly data: string;
}

/** True for the management API's "this connection is gone" answer, however the SDK surfaces it. */
export function isGone(error: unknown): boolean {
  return (
    error instanceof GoneException ||
    (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === 410
  );
}

/**
 * Delivers frames through the WebSocket management API: in parallel with a bounded concurrency, each socket
 * on its own, so one dead or slow socket never fails or holds up the others. Throttling
 * (`LimitExceededException`) is retried by the SDK's standard retry strategy with jittered backoff; a 410
 * deletes that socket (the target, never the sender) through `onGone`.
 */
export class Pusher implements SocketProbe {
  private readonly concurrency: number;
  private readonly connectGraceMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    private readonly options: PusherOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 32;
    this.connectGraceMs = options.connectGraceMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Sends one frame per target; `frame` may be built per target (a room seen by that user), or given as its
   * JSON already (a frame assembled from parts serialized once for every target).
   */
  async send(
    targets: readonly Target[],
    frame: Frame | ((target: Target) => Frame | SerializedFrame),
  ): Promise<PushReport> {
    const unique = dedupe(targets);
    const gone: Target[] = [];
    let delivered = 0;
    let failed = 0;
    const undelivered: Undelivered[] = [];
    await forEachLimited(unique, this.concurrency, async (target) => {
      const built = typeof frame === 'function' ? frame(target) : frame;
      const body = built instanceof SerializedFrame ? built.json : JSON.stringify(built);
      try {
        await this.client.send(
          new PostToConnectionCommand({ ConnectionId: target.connectionId, Data: body }),
        );
        delivered += 1;
      } catch (error) {
        if (isGone(error)) {
          gone.push(target);
          return;
        }
        failed += 1;
        undelivered.push({ target, data: body });
        logger.warn(FRAME_NOT_DELIVERED, { connectionId: target.connectionId, error });
      }
    });
    logger.debug('Fan-out', { targets: unique.length, delivered, gone: gone.length, failed });
    if (undelivered.length > 0 && this.options.onUndelivered) {
      try {
        await this.options.onUndelivered(undelivered);
      } catch (error) {
        logger.error('Could not queue undelivered frames', { count: undelivered.length, error });
      }
    }
    const stale = gone.filter((target) => this.now() - target.connectedAt > this.connectGraceMs);
    const { onGone } = this.options;
    if (onGone) {
      await forEachLimited(stale, this.concurrency, async (target) => {
        try {
          await onGone(target);
        } catch (error) {
          logger.error('Could not forget a gone connection', { connectionId: target.connectionId, error });
        }
      });
    }
    return { delivered, gone: gone.map((target) => target.connectionId), failed };
  }

  /** `GET @connections/{id}`: when the socket's client last sent a frame, or `gone` (410). */
  async lastActiveAt(connectionId: string): Promise<number | 'gone'> {
    try {
      const { LastActiveAt, ConnectedAt } = await this.client.send(
        new GetConnectionCommand({ ConnectionId: connectionId }),
      );
      const at = LastActiveAt ?? ConnectedAt;
      if (!at) throw new Error(`GetConnection answered no time for ${connectionId}`);
      return at.getTime();
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }

  /**
   * Closes a socket through the management API (`DELETE @connections/{id}`); API Gateway then runs
   * `$disconnect`, which forgets it. A socket that is already gone is fine.
   */
  async disconnect(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}

/** One target per socket, found by everything that led to it (a console follows a room and the queue). */
function dedupe(targets: readonly Target[]): Target[] {
  const bySocket = new Map<string, Target>();
  for (const target of targets) {
    const seen = bySocket.get(target.connectionId);
    bySocket.set(
      target.connectionId,
      seen ? { ...seen, foundBy: [...(seen.foundBy ?? []), ...(target.foundBy ?? [])] } : target,
    );
  }
  return [...bySocket.values()];
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
