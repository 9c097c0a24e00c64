import { request } from 'node:http';
import { envText } from '../envText.js';
import type { Env } from '../options.js';

/** What one metadata read answered: the status and the body (a 404 is an answer, not an error). */
export interface ImdsAnswer {
  readonly status: number;
  readonly text: string;
}

/** Reads instance metadata items that are polled for a long time; `read` throws only when IMDS did not answer. */
export interface ImdsReader {
  read(item: string, signal?: AbortSignal): Promise<ImdsAnswer>;
}

const DEFAULT_ENDPOINT = 'http://169.254.169.254';
// EC2's maximum: one token for six hours of polling.
const TOKEN_TTL_SECONDS = 21_600;
// A token is renewed this long before it expires, so a read never carries one that dies in flight.
const TOKEN_RENEW_MARGIN_MS = 60_000;

/**
 * IMDSv2 for pollers: one session token reused until shortly before it expires (renewed at once after a 401), every
 * request bounded by `timeoutMs` and the caller's signal. When the token request itself is refused (IMDSv1-only
 * setups) reads go without a token. Not `@aws-sdk/ec2-metadata-service`: it fetches a new token for every read
 * (two requests per poll for the process's whole life), its timeout only logs, and it cannot tell a 404 (the notice
 * is not there) from a failure without parsing its message.
 */
export function createImdsReader(input: { env: Env; timeoutMs: number }): ImdsReader {
  const base = new URL(envText(input.env.AWS_EC2_METADATA_SERVICE_ENDPOINT) ?? DEFAULT_ENDPOINT);
  const prefix = base.pathname.replace(/\/+$/, '');
  let token: { value: string | undefined; renewAt: number } | undefined;

  const call = (method: 'GET' | 'PUT', path: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<ImdsAnswer> =>
    new Promise((resolve, reject) => {
      const req = request(
        { protocol: base.protocol, hostname: base.hostname, port: base.port, method, path: `${prefix}/latest/${path}`, headers, timeout: input.timeoutMs, signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`IMDS did not answer ${path} within ${input.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });

  const sessionToken = async (signal: AbortSignal | undefined): Promise<string | undefined> => {
    if (token !== undefined && Date.now() < token.renewAt) return token.value;
    const answer = await call('PUT', 'api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) }, signal);
    // Refused (403 metadata off, 404/405 an IMDSv1-only endpoint): read without a token; 401s will say if that is wrong.
    token = { value: answer.status === 200 ? answer.text.trim() : undefined, renewAt: Date.now() + TOKEN_TTL_SECONDS * 1000 - TOKEN_RENEW_MARGIN_MS };
    return token.value;
  };

  return {
    async read(item, signal) {
      for (let attempt = 0; ; attempt++) {
        const value = await sessionToken(signal);
        const answer = await call('GET', item, value === undefined ? {} : { 'x-aws-ec2-metadata-token': value }, signal);
        if (answer.status !== 401 || attempt > 0) return answer;
        token = undefined; // expired or revoked (an IMDS restart): one new token, one more try
      }
    },
  };
}
