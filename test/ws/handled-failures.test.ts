import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../support/logs.js';
import { TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

// The stack alarms on handled failures through a metric filter on `{ $.level = "ERROR" }` in every
// function's log group (lib/constructs/observability.ts). These tests hold the handlers to their side: a
// failure they catch and answer is logged as a Powertools JSON line at level ERROR.

const stack = useLocalStack();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('handled failures', () => {
  it('logs a denied write on the message path at ERROR, answers internal_error and keeps the socket', async () => {
    const token = await stack.current.issuer.mint({ userId: 'denied-alice' });
    const { body: room } = await api(stack.current, token).post('/rooms/', { subject: 'Help' });
    const socket = await TestSocket.open(stack.current, { token, room_id: room.id });
    const logs = captureLogs();
    // An IAM change that denies UpdateItem on the table, as DynamoDB answers it.
    const denied = stack.current.dynamo.injectFault({
      match: (operation, request) => operation === 'UpdateItem' && JSON.stringify(request).includes(room.id),
      type: 'AccessDeniedException',
    });
    socket.send({ type: 'message', content: 'hello?', client_message_id: 'denied-1' });
    await denied;
    expect((await socket.next('error')).data).toMatchObject({
      code: 'internal_error',
      frame_type: 'message',
      client_message_id: 'denied-1',
      request_id: expect.any(String),
    });
    expect(logs().filter((l) => l.level === 'ERROR')).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'Unhandled error', routeKey: 'message' }),
    ]);
    socket.send({ type: 'message', content: 'hello again', client_message_id: 'denied-2' });
    expect((await socket.next('ack')).data.client_message_id).toBe('denied-2');
    await socket.close();
  });

  it('logs a denied write on the HTTP API at ERROR and answers 500', async () => {
    const token = await stack.current.issuer.mint({ userId: 'denied-carol' });
    const logs = captureLogs();
    const denied = stack.current.dynamo.injectFault({
      match: (operation) => operation === 'PutItem',
      type: 'AccessDeniedException',
    });
    const response = await api(stack.current, token).post('/rooms/', { subject: 'Help' });
    await denied;
    expect(response.status).toBe(500);
    expect(logs().filter((l) => l.level === 'ERROR')).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'Unhandled error' }),
    ]);
  });
});
