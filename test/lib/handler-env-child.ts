/**
 * Runs one handler the way its deployed function would start: with exactly the environment the template
 * gives it (intrinsics resolved to stand-ins) and nothing else, then one request whose bearer token is no JWT.
 * Prints one JSON line: the answer's status (or what it threw) and the log lines at level ERROR.
 *
 * `node --import tsx test/lib/handler-env-child.ts <handler> <kind>`, the environment set by the parent
 * (test/lib/handler-env.test.ts). Nothing here reaches AWS: a refused token is answered before any key fetch.
 */
const [handler, kind] = process.argv.slice(2) as [string, 'http' | 'ws-authorizer'];
const errors: string[] = [];
const write = process.stdout.write.bind(process.stdout);
// Keep the ERROR lines of whatever is written, print only the verdict.
process.stdout.write = ((chunk: string | Uint8Array) => {
  const text = String(chunk);
  for (const line of text.split('\n')) if (line.includes('"level":"ERROR"')) errors.push(line.slice(0, 400));
  return true;
}) as typeof process.stdout.write;
// Powertools writes ERROR lines to stderr (its own Console on both streams).
process.stderr.write = process.stdout.write;
// In Lambda (AWS_LAMBDA_FUNCTION_NAME set) Powertools logs through the global console.
const keepErrors = (...args: unknown[]) => {
  const text = args.map(String).join(' ');
  if (text.includes('"level":"ERROR"')) errors.push(text.slice(0, 400));
};
console.log = keepErrors;
console.info = keepErrors;
console.warn = keepErrors;
console.error = (...args: unknown[]) => errors.push(args.map(String).join(' ').slice(0, 400));

const context = {
  functionName: handler,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${handler}`,
  memoryLimitInMB: '256',
  awsRequestId: 'env-check',
  getRemainingTimeInMillis: () => 10_000,
};

let verdict: Record<string, unknown>;
try {
  const module = (await import(`../../lambdas/${handler}.ts`)) as {
    handler: (event: unknown, context: unknown) => Promise<{ statusCode?: number }>;
  };
  if (kind === 'ws-authorizer') {
    try {
      await module.handler(
        {
          type: 'REQUEST',
          methodArn: 'arn:aws:execute-api:us-east-1:0:api/stage/$connect',
          queryStringParameters: { token: 'a.b.c' },
          headers: {},
          requestContext: {},
        },
        context,
      );
      verdict = { threw: null };
    } catch (error) {
      verdict = { threw: (error as Error).message };
    }
  } else {
    const answer = await module.handler(
      {
        version: '2.0',
        routeKey: 'POST /env-check',
        rawPath: '/env-check',
        rawQueryString: '',
        headers: { authorization: 'Bearer a.b.c', 'content-type': 'application/json' },
        body: '{}',
        isBase64Encoded: false,
        requestContext: {
          requestId: 'env-check',
          routeKey: 'POST /env-check',
          http: {
            method: 'POST',
            path: '/env-check',
            sourceIp: '192.0.2.1',
            protocol: 'HTTP/1.1',
            userAgent: 'check',
          },
        },
      },
      context,
    );
    verdict = { status: answer.statusCode };
  }
} catch (error) {
  verdict = { loadFailed: String(error) };
}
write(`${JSON.stringify({ ...verdict, errors })}\n`);
process.exit(0);
