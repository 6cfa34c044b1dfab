import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  CSP_MAX_LENGTH,
  contentSecurityPolicy,
  cspLengthBound,
  PageHeaders,
} from '../../lib/constructs/page-headers.js';

describe('page headers', () => {
  it('builds the strict CSP of local/web.ts with the frame ancestors and sign-in origins given', () => {
    expect(
      contentSecurityPolicy({
        frameAncestors: ["'self'", 'https://shop.example.com'],
        connectSources: ['https://id.example.com'],
      }),
    ).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self' https://id.example.com; object-src 'none'; base-uri 'none'; form-action 'self'; " +
        "frame-ancestors 'self' https://shop.example.com",
    );
  });

  it('counts each unresolved token at its longest when bounding the deployed length', () => {
    const stack = new Stack(new App(), 'Bound');
    const csp = contentSecurityPolicy({
      frameAncestors: ["'none'"],
      connectSources: [`https://${stack.region}`],
    });
    expect(cspLengthBound(csp)).toBe(csp.replace(stack.region, '').length + 63);
  });

  it('refuses at synth more embed origins than the CSP quota holds, naming the option', () => {
    const origins = (n: number) => Array.from({ length: n }, (_, i) => `https://shop-${i}.example.com`);
    const fits = Math.floor((CSP_MAX_LENGTH - 300) / (origins(1)[0]!.length + 1));
    const make = (n: number) =>
      new PageHeaders(new Stack(new App(), 'Headers'), 'Headers', {
        embedOrigins: origins(n),
        connectSources: ['https://id.example.com'],
      });
    expect(() => make(fits)).not.toThrow();
    expect(() => make(100)).toThrow(
      /^context embedOrigins: the widget's Content-Security-Policy would be up to \d+ characters with these 100 origins, over the 1783/,
    );
  });
});
