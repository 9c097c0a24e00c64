import autocannon, { type AutocannonClient, type AutocannonInstance } from 'autocannon';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { WorkMixEntry } from './defaults.js';
import { KeepAliveAccounting } from './keepAliveAccounting.js';
import { instanceFromHeaders, type TrafficRecorder } from './trafficRecorder.js';

export interface LoadOptions {
  /** The balancer listener, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly ratePerSecond: number;
  /** 0..1: the share of the rate sent over kept-alive connections (autocannon); the rest opens one connection per request. */
  readonly keepAliveShare: number;
  readonly ratePerKeepAliveConnection: number;
  readonly keepAliveStagger: number;
  readonly workMix: readonly WorkMixEntry[];
  readonly requestTimeoutSeconds: number;
  readonly recorder: TrafficRecorder;
  readonly random?: () => number;
}

export interface LoadStats {
  readonly keepAliveRate: number;
  readonly keepAliveConnections: number;
  readonly freshRate: number;
  /** Requests still unanswered when the load stopped: neither counted as answered nor as failed. */
  readonly inFlightAtStop: number;
}

export interface LoadHandle {
  /** Stops sending; waits (bounded) for fresh-connection requests in flight; returns what ran. */
  stop(): Promise<LoadStats>;
}

/** A `/work?ms=N` path with N drawn from the weighted mix. */
export function pickWorkPath(mix: readonly WorkMixEntry[], random: () => number): string {
  const total = mix.reduce((sum, entry) => sum + entry.weight, 0);
  let point = random() * total;
  for (const entry of mix) {
    point -= entry.weight;
    if (point < 0) return `/work?ms=${entry.ms}`;
  }
  return `/work?ms=${mix.at(-1)?.ms ?? 0}`;
}

/** Splits `total` into `parts` whole numbers that differ by at most one. */
export function spread(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/**
 * Puts a fixed rate of mixed load on the balancer:
 * - kept-alive connections through autocannon's programmatic API (its rate limiter, per connection);
 * - fresh connections, one per request (`Connection: close`), through node:http with `agent: false`.
 *
 * Why not autocannon for the fresh connections too: its client writes the next request as soon as a response
 * ends, before it notices the server closing the socket, so with `Connection: close` half the requests vanish
 * unanswered and uncounted; and its `reconnectRate` reconnects before reporting the response. node:http
 * without an agent is exactly "a new client per request", as curl or a cold browser would be.
 *
 * autocannon's limiter lets each connection send its quota at the start of each second; the kept-alive share
 * is split over a few autocannon instances started a fraction of a second apart so the bursts interleave.
 */
export function startLoad(options: LoadOptions): LoadHandle {
  const random = options.random ?? Math.random;
  const { recorder } = options;
  const keepAliveRate = Math.round(options.ratePerSecond * options.keepAliveShare);
  const freshRate = options.ratePerSecond - keepAliveRate;
  const keepAliveConnections = keepAliveRate > 0 ? Math.max(1, Math.ceil(keepAliveRate / options.ratePerKeepAliveConnection)) : 0;
  const staggerCount = Math.max(1, Math.min(options.keepAliveStagger, keepAliveConnections));
  const instances: AutocannonInstance[] = [];
  const timers: NodeJS.Timeout[] = [];
  const accounts = new Map<AutocannonClient, KeepAliveAccounting>();
  let stopped = false;
  const isStopped = (): boolean => stopped;

  const rates = spread(keepAliveRate, staggerCount);
  const connections = spread(keepAliveConnections, staggerCount);
  for (let i = 0; i < staggerCount; i++) {
    const rate = rates[i] ?? 0;
    const conns = connections[i] ?? 0;
    if (rate === 0 || conns === 0) continue;
    const launch = (): void => {
      if (stopped) return;
      const instance = autocannon({
        url: options.url,
        connections: conns,
        overallRate: rate,
        // Runs until stop(); the demo decides how long the load lasts.
        duration: 24 * 3600,
        timeout: options.requestTimeoutSeconds,
        requests: [
          {
            setupRequest: (req) => ({ ...req, path: pickWorkPath(options.workMix, random) }),
            onResponse: (status, _body, _context, headers) => {
              if (stopped) return;
              recorder.response(status, instanceFromHeaders(headers));
            },
          },
        ],
        setupClient: (client) => {
          accounts.set(client, new KeepAliveAccounting(client, recorder, isStopped));
        },
        skipAggregateResult: true,
      });
      // The status and instance are recorded in onResponse; this event names the connection it came on.
      instance.on('response', (client: AutocannonClient) => accounts.get(client)?.answered());
      instance.on('error', (err: Error) => recorder.error(`autocannon: ${err.message}`));
      instances.push(instance);
    };
    const delay = Math.round((i * 1000) / staggerCount);
    if (delay === 0) launch();
    else timers.push(setTimeout(launch, delay));
  }

  const inFlight = new Set<ClientRequest>();
  const target = new URL(options.url);
  if (freshRate > 0) {
    let credit = 0;
    let last = performance.now();
    const tick = (): void => {
      const now = performance.now();
      credit += ((now - last) / 1000) * freshRate;
      last = now;
      for (; credit >= 1; credit--) sendFresh();
    };
    const pacer = setInterval(tick, 10);
    timers.push(pacer);
  }

  function sendFresh(): void {
    recorder.sent();
    const req = httpRequest({
      hostname: target.hostname,
      port: target.port,
      path: pickWorkPath(options.workMix, random),
      agent: false,
      timeout: options.requestTimeoutSeconds * 1000,
    });
    inFlight.add(req);
    let done = false;
    const finish = (record: () => void): void => {
      if (done) return;
      done = true;
      inFlight.delete(req);
      if (!stopped) record();
    };
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const instance = instanceFromHeaders(res.headers);
      res.resume();
      res.on('end', () => finish(() => recorder.response(status, instance)));
      res.on('error', (err: NodeJS.ErrnoException) => finish(() => recorder.error(err.code ?? 'socket')));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'timeout' })));
    req.on('error', (err: NodeJS.ErrnoException) => finish(() => recorder.error(err.code ?? 'socket')));
    req.end();
  }

  return {
    async stop(): Promise<LoadStats> {
      for (const timer of timers) clearTimeout(timer);
      // autocannon stops at its next one-second tick and then drops what is in flight without a word;
      // what is still outstanding per connection once it has stopped is what it dropped.
      const finished = instances.map((instance) => new Promise<void>((resolve) => instance.once('done', () => resolve())));
      for (const instance of instances) instance.stop();
      // Fresh requests are waited for (their answers still count), at most one request timeout.
      const deadline = Date.now() + options.requestTimeoutSeconds * 1000;
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(finished);
      stopped = true;
      const keepAliveInFlight = [...accounts.values()].reduce((sum, account) => sum + account.outstanding, 0);
      const freshInFlight = inFlight.size;
      for (const req of inFlight) req.destroy();
      return { keepAliveRate, keepAliveConnections, freshRate, inFlightAtStop: keepAliveInFlight + freshInFlight };
    },
  };
}
