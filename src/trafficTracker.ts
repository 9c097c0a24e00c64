import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

export interface OpenRequest {
  readonly method: string;
  readonly url: string;
  /** Since the request arrived; for one already running at the signal, since the signal (a lower bound). */
  readonly ageMs: number;
  /** Headers sent, body still being written: a stream (SSE, a long download) rather than a request being worked on. */
  readonly streaming: boolean;
}

export interface TrafficTracker {
  /** Requests received and not yet answered (health checks excluded), counted on the server's connections. */
  readonly inFlight: number;
  /**
   * When the last request (health checks excluded) arrived after `startDraining()`, epoch ms; undefined before one
   * did. Requests before the signal are not timed: the drain's quiet window starts after the signal anyway.
   */
  readonly lastRequestAt: number | undefined;
  /** Requests whose socket closed before the response finished, after `startDraining()` (cut by the deadline). */
  readonly cutAfterSignal: number;
  /** Of those, the ones that had sent their headers: streams (SSE, long downloads) cut rather than requests. */
  readonly cutStreamsAfterSignal: number;
  /** The requests still open, oldest first, for the log line of a forced exit. */
  openRequests(): OpenRequest[];
  /**
   * From now on: the health route answers 503 without reaching the app, and every response (including those
   * already running whose headers are not sent yet) carries `Connection: close`, so keep-alive clients reconnect
   * elsewhere.
   */
  startDraining(): void;
  /** Removes every listener and puts the server's `emit` back. */
  close(): void;
}

export interface TrafficTrackerInput {
  readonly server: HttpServer | HttpsServer;
  readonly healthPath: string;
  readonly now?: () => number;
}

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;
/** Node's http server keeps the response being written on its socket (http-terminator reads it the same way). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * Knows what is in flight without costing anything per request until the signal.
 *
 * Before `startDraining()` the only work is per connection (a Set entry and one shared 'close' listener, as
 * http-terminator does): a request in flight is a socket whose `_httpMessage` (the response Node is writing on it)
 * is set, read when asked. Nothing runs per request, so the app's request path is the plain server's.
 *
 * From `startDraining()` on, an own-property `emit` on this server sees each new request ahead of the app's
 * listeners: it answers the health route 503 itself (a prepended listener could not stop the app's own route from
 * answering 200), marks the response `Connection: close`, and times it for the quiet window. Per-request work
 * after the signal is fine: that traffic is what the drain waits out. Pipelined requests queued behind the one on
 * their socket are counted once they reach it.
 */
export function trackTraffic(input: TrafficTrackerInput): TrafficTracker {
  const { server, healthPath } = input;
  const now = input.now ?? Date.now;
  // An https server's requests run on the TLS sockets of 'secureConnection', not on the TCP sockets of 'connection'.
  const connectionEvent = server instanceof TlsServer ? 'secureConnection' : 'connection';
  const sockets = new Set<HttpSocket>();
  const arrivedAt = new WeakMap<ServerResponse, number>();
  let lastRequestAt: number | undefined;
  let cutAfterSignal = 0;
  let cutStreamsAfterSignal = 0;
  let drainingSince: number | undefined;
  let installedEmit: Emit | undefined;
  let hadOwnEmit = false;
  let originalEmit = server.emit as Emit;

  function forgetSocket(this: HttpSocket): void {
    sockets.delete(this);
  }
  const addSocket = (socket: HttpSocket): void => {
    if (sockets.has(socket)) return;
    sockets.add(socket);
    socket.on('close', forgetSocket);
  };
  function onResponseClose(this: ServerResponse): void {
    if (this.writableFinished) return;
    cutAfterSignal++;
    if (this.headersSent) cutStreamsAfterSignal++;
  }
  const isTraffic = (res: ServerResponse | null | undefined): res is ServerResponse => res != null && !isPath(res.req?.url, healthPath);
  const openResponses = (): ServerResponse[] => {
    const open: ServerResponse[] = [];
    for (const socket of sockets) if (isTraffic(socket._httpMessage)) open.push(socket._httpMessage);
    return open;
  };

  const onDrainingRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
    if (isPath(req.url, healthPath)) {
      // The balancer must see this instance as unhealthy now, even if the app's own route would still say 200.
      res.writeHead(503, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('draining');
      return true;
    }
    // Health checks (the balancer's and our probe) are not traffic: counting them would keep the quiet window open forever.
    lastRequestAt = now();
    arrivedAt.set(res, lastRequestAt);
    // A connection opened before the tracker existed is learnt from its first request after the signal.
    addSocket(req.socket as HttpSocket);
    res.on('close', onResponseClose);
    return originalEmit.call(server, 'request', req, res);
  };

  server.on(connectionEvent, addSocket);

  return {
    get inFlight() {
      return openResponses().length;
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
      return openResponses()
        .map((res) => ({ method: res.req?.method ?? 'GET', url: res.req?.url ?? '', ageMs: at - (arrivedAt.get(res) ?? drainingSince ?? at), streaming: res.headersSent }))
        .sort((a, b) => b.ageMs - a.ageMs);
    },
    startDraining() {
      if (drainingSince !== undefined) return;
      drainingSince = now();
      for (const res of openResponses()) {
        if (!res.headersSent) res.setHeader('Connection', 'close');
        res.on('close', onResponseClose);
      }
      hadOwnEmit = Object.prototype.hasOwnProperty.call(server, 'emit');
      originalEmit = server.emit as Emit;
      // `arguments` rather than rest parameters: emit runs for every event of every socket, and this allocates nothing.
      installedEmit = function (this: unknown, event: string | symbol, req?: unknown, res?: unknown): boolean {
        if (event === 'request' && drainingSince !== undefined) return onDrainingRequest(req as IncomingMessage, res as ServerResponse);
        return Reflect.apply(originalEmit, this, arguments) as boolean;
      } as Emit;
      (server as { emit: Emit }).emit = installedEmit;
    },
    close() {
      server.off(connectionEvent, addSocket);
      for (const socket of sockets) socket.off('close', forgetSocket);
      sockets.clear();
      if (installedEmit === undefined) return;
      // If someone wrapped emit after us, theirs stays in place and ours becomes a pass-through.
      if (server.emit !== (installedEmit as unknown)) {
        drainingSince = undefined;
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
