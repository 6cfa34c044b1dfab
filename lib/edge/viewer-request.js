// CloudFront Function (runtime cloudfront-js-2.0), on viewer request of the stack's distribution. The local
// gateway runs this same file (local/edge.ts), so what normalizes in AWS normalizes locally.
//
// - HTTP API paths: an HTTP API does not route `/x/` to the route `/x`, and a route key cannot end in `/`, so
//   the seed's `/api/chat/rooms/` reaches the API as `/api/chat/rooms`.
// - The seed's WebSocket URLs: `/ws/chat/{room_id}/?token=` becomes the stage with `room_id` in the query
//   (API Gateway cannot route a WebSocket by path), `/ws/presence/` and `/ws` the stage itself.
// - The viewer's address travels in `x-chat-viewer-address`, set here from CloudFront's own view of the
//   connection (whatever the viewer sent under that name is replaced). The origins trust it only with the
//   distribution's secret origin header, which a caller going around CloudFront does not have.
//
// STAGE is replaced with the WebSocket stage's name when the stack is synthesized.
const STAGE = '__WEBSOCKET_STAGE__';

// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls it by this name.
function handler(event) {
  const request = event.request;
  const uri = request.uri;
  request.headers['x-chat-viewer-address'] = { value: event.viewer.ip };

  const chat = /^\/ws\/chat\/([^/]+)\/?$/.exec(uri);
  if (chat) {
    request.querystring.room_id = { value: chat[1] };
    request.uri = `/${STAGE}`;
    return request;
  }
  if (uri === '/ws' || /^\/ws\/(presence\/?)?$/.test(uri)) {
    request.uri = `/${STAGE}`;
    return request;
  }
  if (uri.length > 1 && uri.charAt(uri.length - 1) === '/' && uri.indexOf('/api/') === 0) {
    request.uri = uri.slice(0, -1);
  }
  return request;
}
