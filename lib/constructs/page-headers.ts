import { Aws, Duration, Names } from 'aws-cdk-lib';
import { HeadersFrameOption, HeadersReferrerPolicy, ResponseHeadersPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';
import { contentSecurityPolicy } from '../../web/csp.js';

export { type CspOptions, contentSecurityPolicy } from '../../web/csp.js';

/**
 * The longest Content-Security-Policy value CloudFront takes in a response headers policy (its quota, the same
 * for any custom header value; the CSP one can be raised through Service Quotas, the synth does not assume so).
 */
export const CSP_MAX_LENGTH = 1783;

/**
 * What an unresolved token in a CSP can stand for at most: the Cognito domain prefix (≤ 63 characters) is the
 * longest; a region name is far shorter.
 */
const TOKEN_MAX_LENGTH = 63;

/** How long browsers keep `embed.js` before they ask again (each deploy invalidates CloudFront's copy). */
export const EMBED_SCRIPT_MAX_AGE = Duration.minutes(5);

/** HSTS of every page, as CloudFront's managed SecurityHeadersPolicy had it: a year, no subdomains. */
const HSTS_MAX_AGE = Duration.days(365);

/** The length a CSP may reach once deployed: each unresolved token counted at its longest. */
export function cspLengthBound(csp: string): number {
  return csp.replace(/\$\{Token\[[^\]]+\]\}/g, 'x'.repeat(TOKEN_MAX_LENGTH)).length;
}

export interface PageHeadersProps {
  /** Host sites allowed to frame the widget (the `embedOrigins` context option). */
  readonly embedOrigins: readonly string[];
  /** Origins the pages fetch from besides their own: the sign-in provider's discovery, keys and token endpoint. */
  readonly connectSources: readonly string[];
  /** The attachments bucket's origins (uploads and images). @default none */
  readonly fileSources?: readonly string[];
}

/**
 * The response headers policies of the hosted pages, in place of CloudFront's managed SecurityHeadersPolicy
 * (whose `X-Frame-Options: SAMEORIGIN` would stop every host site from framing the widget):
 *
 * - {@link PageHeaders.widget} (`/widget*`): the strict CSP with `frame-ancestors 'self'` and the embed origins,
 *   and no X-Frame-Options (which cannot list origins, and would override nothing a CSP-aware browser obeys);
 * - {@link PageHeaders.pages} (everything else): the same CSP with `frame-ancestors 'none'` and
 *   `X-Frame-Options: DENY`;
 * - {@link PageHeaders.embedScript} (`/embed.js`, loaded by host pages on other origins): no CSP (it is a
 *   script, not a document), `Cross-Origin-Resource-Policy: cross-origin` so a host page with
 *   `Cross-Origin-Embedder-Policy` may still load it, and a short browser cache so a deploy reaches visitors
 *   within minutes.
 *
 * All three send HSTS (a year), `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
 */
export class PageHeaders extends Construct {
  public readonly widget: ResponseHeadersPolicy;
  public readonly pages: ResponseHeadersPolicy;
  public readonly embedScript: ResponseHeadersPolicy;
  /** The two CSP values, as deployed (with tokens for the sign-in origins). */
  public readonly widgetCsp: string;
  public readonly pagesCsp: string;

  constructor(scope: Construct, id: string, props: PageHeadersProps) {
    super(scope, id);
    this.widgetCsp = contentSecurityPolicy({
      frameAncestors: ["'self'", ...props.embedOrigins],
      connectSources: props.connectSources,
      ...(props.fileSources ? { fileSources: props.fileSources } : {}),
    });
    this.pagesCsp = contentSecurityPolicy({
      frameAncestors: ["'none'"],
      connectSources: props.connectSources,
      ...(props.fileSources ? { fileSources: props.fileSources } : {}),
    });
    const length = cspLengthBound(this.widgetCsp);
    if (length > CSP_MAX_LENGTH) {
      throw new Error(
        `context embedOrigins: the widget's Content-Security-Policy would be up to ${length} characters with ` +
          `these ${props.embedOrigins.length} origins, over the ${CSP_MAX_LENGTH} CloudFront accepts in a ` +
          'response headers policy: list fewer origins (a wildcard such as https://*.example.com counts as one)',
      );
    }
    const common = {
      strictTransportSecurity: { accessControlMaxAge: HSTS_MAX_AGE, override: true },
      contentTypeOptions: { override: true },
      referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
    };
    // Policy names are unique per account, across regions: CDK's default name leaves the region out.
    const name = (suffix: string) =>
      `${Names.uniqueResourceName(this, { maxLength: 90 })}-${suffix}-${Aws.REGION}`;
    this.widget = new ResponseHeadersPolicy(this, 'Widget', {
      responseHeadersPolicyName: name('widget'),
      comment: 'Live chat widget: strict CSP, framed by the embed origins only',
      securityHeadersBehavior: {
        ...common,
        contentSecurityPolicy: { contentSecurityPolicy: this.widgetCsp, override: true },
      },
      // An X-Frame-Options the pages' origin sent (S3 sends none) would forbid the host sites' frames.
      removeHeaders: ['X-Frame-Options'],
    });
    this.pages = new ResponseHeadersPolicy(this, 'Pages', {
      responseHeadersPolicyName: name('pages'),
      comment: 'Live chat pages: strict CSP, never framed',
      securityHeadersBehavior: {
        ...common,
        contentSecurityPolicy: { contentSecurityPolicy: this.pagesCsp, override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      },
    });
    this.embedScript = new ResponseHeadersPolicy(this, 'EmbedScript', {
      responseHeadersPolicyName: name('embed'),
      comment: 'Live chat embed.js: loadable by host pages on other origins, cached briefly',
      securityHeadersBehavior: common,
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cross-Origin-Resource-Policy', value: 'cross-origin', override: true },
          {
            header: 'Cache-Control',
            value: `public, max-age=${EMBED_SCRIPT_MAX_AGE.toSeconds()}`,
            override: true,
          },
        ],
      },
    });
  }
}
