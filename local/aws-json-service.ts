import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What an operation answers: an HTTP status and the JSON body (an error is `{__type, message}`). */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

export const answer = (status: number, body: unknown): JsonAnswer => ({ status, body });

export interface AwsJsonServiceOptions {
  /** The service's `x-amz-target` prefix, e.g. `TrentService` (KMS) or `secretsmanager`. */
  readonly targetPrefix: string;
  /** The `__type` of an answer to a failure of the handler itself. */
  readonly internalErrorType: string;
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Answers one call: the operation (the target without its prefix) and the parsed body. */
  handle(operation: string, body: Record<string, unknown>): Promise<JsonAnswer> | JsonAnswer;
}

export interface AwsJsonService {
  /** `http://host:port`, for `AWS_ENDPOINT_URL_<SERVICE>`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An AWS service that speaks the JSON protocol 1.1 (`POST /`, `x-amz-target: <prefix>.<Operation>`, a JSON
 * body), locally: the shell that local/kms.ts and local/secrets.ts share, so each is only its operations.
 */
export async function startAwsJsonService(options: AwsJsonServiceOptions): Promise<AwsJsonService> {
  const server: Server = createServer((request, response) => {
    const reply = ({ status, body }: JsonAnswer) =>
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(`${options.targetPrefix}.`)
        ? target.slice(options.targetPrefix.length + 1)
        : target;
      reply(await options.handle(operation, body));
    })().catch((error: unknown) =>
      reply(answer(500, { __type: options.internalErrorType, message: String(error) })),
    );
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
