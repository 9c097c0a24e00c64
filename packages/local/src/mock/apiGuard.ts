import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { AwsQueryError } from './errors.js';

/**
 * Keeps the local ELB's control port (Query API, IMDS, /_local/*) to local tools. A web page open in the developer's
 * browser can send a form POST to 127.0.0.1 (no preflight for `application/x-www-form-urlencoded`), and through DNS
 * rebinding a page on `evil.example` can even read the answers. Three checks close that:
 * - the Host header must name the address the local ELB listens on (or a name configured for it): a rebound name is
 *   refused;
 * - a browser's cross-site request is refused: `Sec-Fetch-Site` other than same-origin/none, or an `Origin` that is
 *   not the local ELB's own;
 * - a Query API call must carry an `Authorization` header of the AWS Signature V4 form (every SDK and CLI sends one; a
 *   browser form cannot set it). The signature itself is not verified: the local ELB has no secrets to check it with.
 */
export interface ApiGuard {
  /** Host and cross-site checks, for every request on the control port. Returns the refusal, or undefined. */
  checkOrigin(req: IncomingMessage): AwsQueryError | undefined;
  /** The SigV4 form of the Authorization header, for Query API calls. Returns the refusal, or undefined. */
  checkAuthorization(req: IncomingMessage): AwsQueryError | undefined;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=…, Signature=<64 hex>` */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[^\s/,]+\/\d{8}\/[a-z0-9-]+\/[a-z0-9-]+\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

/** What a browser sends for a request a page of the same origin made, or one the user typed in the address bar. */
const ALLOWED_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * `host`: the address the control port is bound to; `port`: the bound port; `hostNames`: further names clients may
 * use in the Host header (e.g. a docker-compose service name). On a loopback address `localhost` is accepted too: no
 * page can rebind it.
 */
export function createApiGuard(options: { host: string; port: number; hostNames: readonly string[] }): ApiGuard {
  const names = new Set([normaliseHost(options.host), ...options.hostNames.map(normaliseHost)]);
  if (isLoopback(options.host)) for (const name of ['localhost', '127.0.0.1', '::1']) names.add(name);
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  const port = String(options.port);

  /** An IP literal cannot be rebound; on a wildcard bind any of this machine's addresses may be the one used. */
  const hostAllowed = (hostname: string, hostPort: string | undefined): boolean => {
    if (hostPort !== undefined && hostPort !== port) return false;
    return names.has(hostname) || (wildcard && isIP(hostname) !== 0);
  };

  return {
    checkOrigin(req) {
      const host = req.headers.host;
      const parsed = host === undefined ? undefined : splitHost(host);
      if (!parsed || !hostAllowed(parsed.hostname, parsed.port)) {
        return new AwsQueryError(
          'AccessDenied',
          `Host ${JSON.stringify(host ?? '')} is not an address of this local ELB (${[...names].join(', ')} on port ${port}); ` +
            'add a name with --api-host-name (or `apiHostNames`) if you reach it by another one',
          403,
        );
      }
      const site = headerText(req.headers['sec-fetch-site']);
      if (site !== undefined && !ALLOWED_FETCH_SITES.has(site.toLowerCase())) {
        return new AwsQueryError('AccessDenied', `A browser's ${site} request is refused: the local ELB takes calls from local tools only`, 403);
      }
      const origin = headerText(req.headers.origin);
      if (origin !== undefined) {
        let allowed = false;
        try {
          const url = new URL(origin);
          allowed = (url.protocol === 'http:' || url.protocol === 'https:') && hostAllowed(normaliseHost(url.hostname), url.port || (url.protocol === 'https:' ? '443' : '80'));
        } catch {
          allowed = false; // `Origin: null` (sandboxed frames, file: pages) and anything unparsable
        }
        if (!allowed) return new AwsQueryError('AccessDenied', `Origin ${JSON.stringify(origin)} is refused: the local ELB takes calls from local tools only`, 403);
      }
      return undefined;
    },

    checkAuthorization(req) {
      const authorization = headerText(req.headers.authorization);
      if (authorization === undefined) {
        return new AwsQueryError('MissingAuthenticationToken', 'Request is missing Authentication Token (an AWS Signature V4 Authorization header; any AWS SDK or CLI sends one)', 403);
      }
      if (!SIGV4_AUTHORIZATION.test(authorization)) {
        return new AwsQueryError('IncompleteSignature', 'The Authorization header is not of the AWS Signature Version 4 form (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…)', 400);
      }
      return undefined;
    },
  };
}

function headerText(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

/** `127.0.0.1:4566` → 127.0.0.1 / 4566; `[::1]:4566` → ::1 / 4566; no port → undefined. */
function splitHost(host: string): { hostname: string; port: string | undefined } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!match) return undefined;
  return { hostname: normaliseHost(match[1]!), port: match[2] };
}

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** 127.0.0.0/8, ::1 or localhost: only this machine can reach it. */
export function isLoopback(host: string): boolean {
  const h = normaliseHost(host);
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}
