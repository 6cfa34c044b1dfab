import { timingSafeEqual } from 'node:crypto';
import { EDGE_HEADERS } from '../contract/edge-headers.js';

/**
 * The caller's address. Behind CloudFront, `sourceIp` is an edge server's, and the viewer's travels in
 * `x-chat-viewer-address`; that header is believed only with the distribution's secret origin header, so a
 * caller that goes around CloudFront to the execute-api URL cannot forge it (and is known by its own
 * `sourceIp`, which is then the real one).
 */
export function clientAddress(
  headers: Readonly<Record<string, string | undefined>>,
  sourceIp: string,
  originVerify: string | undefined,
): string {
  const proof = headers[EDGE_HEADERS.originVerify];
  const viewer = headers[EDGE_HEADERS.viewerAddress];
  if (!originVerify || !proof || !viewer) return sourceIp;
  const expected = Buffer.from(originVerify);
  const given = Buffer.from(proof);
  return expected.length === given.length && timingSafeEqual(expected, given) ? viewer : sourceIp;
}
