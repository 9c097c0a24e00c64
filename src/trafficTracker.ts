import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export interface OpenRequest {
  readonly method: string;
  readonly url: string;
  readonly ageMs: number;
  /** Headers sent, body still being written: a stream (SSE, a long download) rather than a request being worked on. */
  readonly streaming: boolean;
}

export interface TrafficTracker {
  /** Requests received and not yet answered (health checks excluded). */
  readonly inFlight: number;
  /** When the last request (health checks excluded) arrived, epoch ms; undefined before the first. */
  readonly lastRequestAt: number | undefined;
  /** Requests whose socket closed before the response finished, after `startDraining()` (cut by the deadline). */
  readonly cutAfterSignal: number;
  /** Of those, the ones whose headers had been sent (streams cut mid-body). */
  readonly cutStreamsAfterSignal: number;
  /** The requests still open, oldest first, for the log line of a forced exit. */
  openRequests(): OpenRequest[];
  /**
   * From now on: the health route answers 503 without reaching the app, and every response (including those
   * already running whose headers are not sent yet) carries `Connection: close`, so keep-alive clients reconnect
   * elsewhere.
   */
  startDraining(): void;
  /** Puts the server's `emit` back. */
  close(): void;
}

export interface TrafficTrackerInput {
  readonly server: HttpServer | HttpsServer;
  readonly healthPath: string;
  readonly now?: () => number;
}

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;

/**
 * Watches every request the server receives, ahead of the app's own 'request' listeners.
 *
 * Why intercept `emit` rather than prepend a 'request' listener: a prepended listener cannot stop the app's
 * listeners from running, and we must answer the health route ourselves after the signal. Replacing the listeners
 * with one dispatcher would miss listeners added later (some frameworks attach on listen). Node's http server
 * announces each request with `server.emit('request', req, res)`, so an own-property `emit` on this one server
 * sees all of them, first, and is removed again in close().
 */
export function trackTraffic(input: TrafficTrackerInput): TrafficTracker {
  const { server, healthPath } = input;
  const now = input.now ?? Date.now;
  // Per request this is the whole cost the library adds on the hot path: one Map entry holding a number and one
  // shared 'close' listener (no closure, no object); method and URL are read from `res.req` only when logged.
  const open = new Map<ServerResponse, number>();
  let lastRequestAt: number | undefined;
  let cutAfterSignal = 0;
  let cutStreamsAfterSignal = 0;
  let draining = false;

  const hadOwnEmit = Object.prototype.hasOwnProperty.call(server, 'emit');
  const originalEmit = server.emit as Emit;

  function onClose(this: ServerResponse): void {
    open.delete(this);
    if (draining && !this.writableFinished) {
      cutAfterSignal++;
      if (this.headersSent) cutStreamsAfterSignal++;
    }
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    const isHealth = isPath(req.url, healthPath);
    if (draining) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      if (isHealth) {
        // The balancer must see this instance as unhealthy now, even if the app's own route would still say 200.
        res.writeHead(503, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('draining');
        return true;
      }
    }
    // Health checks (the balancer's and our probe) are not traffic: counting them would keep the quiet window open forever.
    if (!isHealth) {
      lastRequestAt = now();
      open.set(res, lastRequestAt);
      // 'close' fires once per response, so `on` (no once-wrapper) is enough.
      res.on('close', onClose);
    }
    return originalEmit.call(server, 'request', req, res);
  };

  // `arguments` rather than rest parameters: emit runs for every event of every socket, and this allocates nothing.
  const emit = function (this: unknown, event: string | symbol, req?: unknown, res?: unknown): boolean {
    if (event === 'request') return onRequest(req as IncomingMessage, res as ServerResponse);
    return Reflect.apply(originalEmit, this, arguments) as boolean;
  } as Emit;
  (server as { emit: Emit }).emit = emit;

  return {
    get inFlight() {
      return open.size;
    },
    get lastRequestAt() {
      return lastRequestAt;
    },
    get cutAfterSignal() {
      return cutAfterSignal;
    },
    get cutStreamsAfterSignal() {
      return cutStreamsAfterSignal;
    },
    openRequests() {
      const at = now();
      return [...open].map(([res, since]) => ({ method: res.req?.method ?? 'GET', url: res.req?.url ?? '', ageMs: at - since, streaming: res.headersSent }));
    },
    startDraining() {
      if (draining) return;
      draining = true;
      for (const res of open.keys()) if (!res.headersSent) res.setHeader('Connection', 'close');
    },
    close() {
      // If someone wrapped emit after us, theirs stays in place and ours becomes a pass-through.
      if (server.emit !== (emit as unknown)) {
        draining = false;
        return;
      }
      if (hadOwnEmit) (server as { emit: Emit }).emit = originalEmit;
      else delete (server as { emit?: Emit }).emit;
    },
  };
}

/** `url` is `path` with or without a query string; compared in place, since slicing would allocate per request. */
function isPath(url: string | undefined, path: string): boolean {
  if (url === undefined || !url.startsWith(path)) return false;
  return url.length === path.length || url.charCodeAt(path.length) === 63; // '?'
}
