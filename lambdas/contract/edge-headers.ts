/**
 * Headers between the CloudFront distribution and the APIs (lib/edge/viewer-request.js sets the first, the
 * distribution's origins add the second): spelled once for the stack, the functions and the local edge.
 */
export const EDGE_HEADERS = {
  /** The viewer's address as CloudFront saw it; whatever a viewer sends under this name is replaced. */
  viewerAddress: 'x-chat-viewer-address',
  /** A secret only the distribution sends: proof that a request came through it. */
  originVerify: 'x-origin-verify',
} as const;
