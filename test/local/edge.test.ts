import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { httpRoutes } from '../../lambdas/contract/routes.js';
import { clientAddress } from '../../lambdas/runtime/edge.js';
import { createViewerRequest } from '../../local/edge.js';
import { startHttpGateway } from '../../local/http-gateway.js';
import { eventually } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

const viewerRequest = createViewerRequest('prod');
const edge = (url: string, headers: Record<string, string> = {}) =>
  viewerRequest({ method: 'GET', url, headers }, '203.0.113.7');

describe('the viewer-request function (lib/edge/viewer-request.js, as CloudFront runs it)', () => {
  it.each([
    ['/api/chat/rooms/', '/api/chat/rooms'],
    ['/api/chat/rooms', '/api/chat/rooms'],
    ['/api/chat/rooms/abc/messages/?before=5&limit=2', '/api/chat/rooms/abc/messages?before=5&limit=2'],
    ['/api/chat/online-staff/', '/api/chat/online-staff'],
    ['/', '/'],
    ['/console.html', '/console.html'],
    ['/assets/app.js', '/assets/app.js'],
    [
      '/ws/chat/00000000-0000-4000-8000-000000000001/?token=t',
      '/prod?token=t&room_id=00000000-0000-4000-8000-000000000001',
    ],
    ['/ws/chat/r1?token=t&room_id=other', '/prod?token=t&room_id=r1'],
    ['/ws/presence/?token=t', '/prod?token=t'],
    ['/ws/presence?token=t', '/prod?token=t'],
    ['/ws?ticket=x', '/prod?ticket=x'],
    ['/ws/', '/prod'],
  ])('turns %s into %s', (from, to) => {
    expect(edge(from).url).toBe(to);
  });

  it('sets the viewer address from CloudFront, replacing what the viewer sent under that name', () => {
    expect(edge('/api/chat/rooms/', { 'x-chat-viewer-address': '10.0.0.1' }).headers).toMatchObject({
      'x-chat-viewer-address': '203.0.113.7',
    });
  });
});

describe('clientAddress', () => {
  const secret = 'edge-secret';
  it.each([
    [
      'the viewer address, with the edge secret',
      { 'x-origin-verify': secret, 'x-chat-viewer-address': '203.0.113.7' },
      '203.0.113.7',
    ],
    [
      'the source, without the secret (a caller around CloudFront)',
      { 'x-chat-viewer-address': '203.0.113.7' },
      '198.51.100.1',
    ],
    [
      'the source, with a wrong secret',
      { 'x-origin-verify': 'guess', 'x-chat-viewer-address': '203.0.113.7' },
      '198.51.100.1',
    ],
    ['the source, without a viewer address', { 'x-origin-verify': secret }, '198.51.100.1'],
  ])('is %s', (_case, headers, address) => {
    expect(clientAddress(headers, '198.51.100.1', secret)).toBe(address);
  });

  it('believes no edge when none is configured', () => {
    expect(
      clientAddress(
        { 'x-origin-verify': '', 'x-chat-viewer-address': '203.0.113.7' },
        '198.51.100.1',
        undefined,
      ),
    ).toBe('198.51.100.1');
  });
});

const stack = useLocalStack();

describe('the local stack behind its edge', () => {
  it('answers 404 for a path with a trailing slash on the raw HTTP API, as AWS does, and routes it through the edge', async () => {
    const token = await stack.current.issuer.mint({ userId: 'alice' });
    const raw = await startHttpGateway({
      runtime: stack.current.runtime,
      routes: httpRoutes,
      authorizer: stack.current.issuer,
      port: 0,
    });
    try {
      const get = (base: string, path: string) =>
        fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect((await get(raw.url, '/api/chat/rooms/')).status).toBe(404);
      expect((await get(raw.url, '/api/chat/rooms')).status).toBe(200);
      expect((await get(stack.current.httpUrl, '/api/chat/rooms/')).status).toBe(200);
      expect((await get(stack.current.httpUrl, '/api/chat/rooms')).status).toBe(200);
    } finally {
      await raw.close();
    }
  });

  it("serves the seed's WebSocket URLs on the pages' own origin: /ws/chat/{room_id}/ follows that room", async () => {
    const token = await stack.current.issuer.mint({ userId: 'seed-client' });
    const { body: room } = await api(stack.current, token).post('/rooms/', { subject: 'Seed' });
    const httpOrigin = stack.current.httpUrl.replace(/^http/, 'ws');
    const frames: { type: string; data: { content?: string } }[] = [];
    const seed = new WebSocket(`${httpOrigin}/ws/chat/${room.id}/?token=${token}`);
    seed.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
    await new Promise((resolve, reject) => {
      seed.once('open', resolve);
      seed.once('error', reject);
    });
    await api(stack.current, token).post(`/rooms/${room.id}/send_message/`, { content: 'over the edge' });
    await eventually(() =>
      expect(frames.some((f) => f.type === 'message' && f.data.content === 'over the edge')).toBe(true),
    );
    seed.close();
    const viaPresence = new WebSocket(`${httpOrigin}/ws/presence/?token=${token}`);
    await new Promise((resolve, reject) => {
      viaPresence.once('open', resolve);
      viaPresence.once('error', reject);
    });
    viaPresence.close();
  });

  it('refuses an upgrade on a path no behavior forwards', async () => {
    const socket = new WebSocket(`${stack.current.httpUrl.replace(/^http/, 'ws')}/api/chat/rooms`);
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });
});
