import path from 'node:path';
import { parseArgs } from 'node:util';
import { isOrigin } from '../web/config.js';
import { startDemoHost } from './demo-host.js';
import { parseFaults } from './faults.js';
import { MAIL_PAGE_PATH, mailLine } from './mail.js';
import { type LocalStack, startLocalStack } from './stack.js';
import { createLocalWeb } from './web.js';

/**
 * `npm start`: the whole system in one process, no AWS account and no Docker.
 *
 *   --data-dir <dir>   keep the data on disk (also DATA_DIR); in memory by default
 *   --verbose          print one line per request and frame
 *   --faults <spec>    fail a seeded share of DynamoDB requests, e.g.
 *                      seed=42,error=0.2,throttle=0.1,drop=0.05,lost=0.05,latency=20 (see local/faults.ts)
 *   --stream-shards N  shards of the table's stream (default 2); its consumers get the deployed 1 s window
 *   --embed-origin <o> one more origin that may embed the widget (repeatable; also EMBED_ORIGINS, comma
 *                      separated); the demo host page's own origin is always allowed
 * HTTP_PORT, WS_PORT and DYNAMODB_ENDPOINT change the ports and the database; DEMO_PORT the demo host page
 * (3002), served as http://localhost:<DEMO_PORT>: another origin than the stack's http://127.0.0.1:<port>.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      faults: { type: 'string' },
      'stream-shards': { type: 'string' },
      'embed-origin': { type: 'string', multiple: true },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm start -- [--data-dir <dir>] [--verbose] [--faults <spec>] [--stream-shards N]\n' +
        '                    [--embed-origin <origin>]...\n' +
        '  --faults seed=42,error=0.2,throttle=0.1,drop=0.05,lost=0.05,latency=20\n' +
        'env: HTTP_PORT (3000), WS_PORT (3001), DEMO_PORT (3002), EMBED_ORIGINS, DATA_DIR, DYNAMODB_ENDPOINT,\n' +
        '     TABLE_NAME\n',
    );
    return;
  }
  const dataDir = values['data-dir'] ?? process.env.DATA_DIR;
  const port = (name: string, fallback: number) => {
    const raw = process.env[name];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535)
      throw new Error(`${name} must be a port number`);
    return value;
  };
  const faults = values.faults === undefined ? undefined : parseFaults(values.faults);
  const shards = values['stream-shards'] === undefined ? undefined : Number(values['stream-shards']);
  if (shards !== undefined && (!Number.isInteger(shards) || shards < 1)) {
    throw new Error('--stream-shards must be a positive integer');
  }
  const extraOrigins = [
    ...(process.env.EMBED_ORIGINS ?? '').split(',').map((origin) => origin.trim()),
    ...(values['embed-origin'] ?? []),
  ].filter(Boolean);
  const wrongOrigin = extraOrigins.find((origin) => !isOrigin(origin));
  if (wrongOrigin !== undefined) {
    throw new Error(`--embed-origin ${wrongOrigin} is not an origin (scheme://host[:port], no path)`);
  }
  const demo = await startDemoHost({ port: port('DEMO_PORT', 3002) });
  const embedOrigins = [...new Set([demo.url, ...extraOrigins])];
  const web = await createLocalWeb({ rebuildOnRequest: true, embedOrigins });
  const stack = await startLocalStack({
    fallback: web.fallback,
    httpPort: port('HTTP_PORT', 3000),
    wsPort: port('WS_PORT', 3001),
    dataDir: dataDir ? path.resolve(dataDir) : undefined,
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    faults,
    ...(shards === undefined ? {} : { stream: { shards } }),
    ...(process.env.TABLE_NAME ? { tableName: process.env.TABLE_NAME } : {}),
    ...(values.verbose ? { log: (line: string) => process.stdout.write(`${line}\n`) } : {}),
    mail: { onMail: (mail) => process.stdout.write(`${mailLine(mail)}\n`) },
  });
  web.attach(stack);
  demo.attach(stack.httpUrl);
  process.stdout.write(
    [
      'Live chat is running locally.',
      `  Staff console   ${stack.httpUrl}/console.html`,
      `  Customer widget ${stack.httpUrl}/widget.html`,
      `  Demo website    ${demo.url}/  (embeds ${stack.httpUrl}/embed.js; sign in there as a shop user)`,
      `  Embed origins   ${embedOrigins.join(' ')}`,
      `  HTTP API        ${stack.httpUrl}/api/chat/`,
      `  WebSocket       ${stack.httpUrl.replace(/^http/, 'ws')}/ws?token=<jwt>  (or /ws/chat/<room_id>/?token=, as the edge serves it)`,
      `  WebSocket API   ${stack.wsUrl}?token=<jwt>  (the API itself)`,
      `  Management API  ${stack.callbackUrl}/@connections/{id}`,
      `  DynamoDB        ${stack.dynamo.endpoint} (table ${stack.tableName}, ${
        process.env.DYNAMODB_ENDPOINT
          ? 'external'
          : dataDir
            ? `data in ${path.resolve(dataDir)}`
            : 'in memory'
      })`,
      `  Stream          ${streamLine(stack)}`,
      `  Captured mail   ${stack.httpUrl}${MAIL_PAGE_PATH}  (local SES and SNS: nothing is sent)`,
      `  S3              ${stack.s3.url}/${stack.s3.bucket} (attachments; checks POST policies and signatures as S3 does)`,
      ...(faults ? [`  Faults          ${values.faults} (DynamoDB requests)`] : []),
      '  Tokens          npm run token -- <user_id> [--staff]',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping...\n');
    await stack.stop();
    await demo.close();
    await web.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** What the table's stream does here: who reads it and how, or why nothing does. */
function streamLine(stack: LocalStack): string {
  const { consumers, config } = stack.stream;
  if (process.env.DYNAMODB_ENDPOINT) return 'not emulated (external DynamoDB)';
  if (consumers.length === 0) return 'no consumers';
  const window = config.batchWindowMs === 'manual' ? 'manual' : `${config.batchWindowMs} ms`;
  return `${consumers.join(', ')} (${config.shards} shards, window ${window}, batch ${config.batchSize})`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
