import { request as httpRequest, type Server as HttpServer } from 'node:http';
import { request as httpsRequest, Server as HttpsServer } from 'node:https';
import { HealthCheckFailedError } from './lifecycleErrors.js';
import { pollUntil } from './poll.js';

export interface HealthProbeInput {
  readonly server: HttpServer | HttpsServer;
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface HealthProbeResult {
  readonly url: string;
  readonly attempts: number;
  readonly status: number;
}

/**
 * Resolves once the server's own health route answers 2xx on the loopback, probing every `intervalMs`;
 * rejects with HealthCheckFailedError after `timeoutMs`. The server must already be listening.
 */
export function probeHealth(input: HealthProbeInput): Promise<HealthProbeResult> {
  const url = loopbackUrl(input.server, input.path);
  const secure = input.server instanceof HttpsServer;
  let lastStatus: number | undefined;
  let attempts = 0;
  return pollUntil(
    async () => {
      attempts++;
      lastStatus = await getStatus(url, secure, input.requestTimeoutMs, input.signal);
      return lastStatus >= 200 && lastStatus < 300 ? { url: url.href, attempts, status: lastStatus } : undefined;
    },
    {
      intervalMs: input.intervalMs,
      timeoutMs: input.timeoutMs,
      signal: input.signal,
      timeoutError: (cause) => new HealthCheckFailedError(url.href, input.timeoutMs, lastStatus, { cause }),
    },
  );
}

/** The URL of `path` on the server's listening port, over the loopback when it listens on every interface. */
export function loopbackUrl(server: HttpServer | HttpsServer, path: string): URL {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new HealthCheckFailedError(`(server listening on ${address ?? 'nothing'})`, 0, undefined, {
      cause: new Error('the server must listen on a TCP port for the balancer to reach it'),
    });
  }
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheme = server instanceof HttpsServer ? 'https' : 'http';
  return new URL(`${scheme}://${host}:${address.port}${path}`);
}

function getStatus(url: URL, secure: boolean, timeoutMs: number, signal: AbortSignal | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = {
      method: 'GET',
      timeout: timeoutMs,
      agent: false as const,
      headers: { 'user-agent': 'graceful-elb-health-probe' },
      ...(signal !== undefined && { signal }),
      // The certificate names the service's public host, not 127.0.0.1, and the peer is this very process on the
      // loopback: there is nobody to authenticate, only the question whether the app answers.
      ...(secure && { rejectUnauthorized: false }),
    };
    const req = (secure ? httpsRequest : httpRequest)(url, options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`health probe timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
