export interface CspOptions {
  /** Who may frame the page: `'self'`, `'none'` or origins. */
  readonly frameAncestors: readonly string[];
  /** Origins the page may fetch from besides its own (the sign-in provider's). */
  readonly connectSources: readonly string[];
  /**
   * Where attachments live (the bucket's origin): the pages post uploads there and show its presigned images,
   * and show a picked image before it is sent (`blob:`). @default none
   */
  readonly fileSources?: readonly string[];
}

/**
 * The strict Content-Security-Policy of the hosted pages, the one the stack's CloudFront sends
 * (lib/constructs/page-headers.ts) and `npm start` serves (local/web.ts): only the
 * pages' own scripts, styles and requests, `data:` images, no plugins, no `<base>`, forms to the same origin.
 * In AWS `connect-src 'self'` covers the WebSocket too: the pages reach it through the distribution's `/ws` on
 * their own origin, and CSP Level 3 matches `wss:` on that host with `'self'` (Chrome 71+, Safari 16+); naming
 * the `wss://` origin there would make the policy depend on the distribution that refers to it, a cycle.
 * Locally the pages connect to the WebSocket API's own port, which `connectSources` names.
 */
export function contentSecurityPolicy(options: CspOptions): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data:", ...(options.fileSources?.length ? ['blob:', ...options.fileSources] : [])].join(
      ' ',
    ),
    ["connect-src 'self'", ...options.connectSources, ...(options.fileSources ?? [])].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    ['frame-ancestors', ...options.frameAncestors].join(' '),
  ].join('; ');
}
