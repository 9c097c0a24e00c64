import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createProxyServer, type ProxyServer, type ServerOptions } from 'http-proxy-3';
import type { Logger } from 'pino';
import { LOCAL_ELB_DEFAULTS } from './defaults.js';
import type { ListenerRoute, RouteDecision } from './store.js';
import { createTcpPassthrough, type TcpCounters } from './tcpDataPlane.js';

export interface ServedListener extends TcpCounters {
  id: string;
  balancer: string;
  type: 'classic' | 'application' | 'network';
  /** The port the balancer declares (config or API). */
  declaredPort: number;
  /** The port actually listened on (differs in 'ephemeral' mode or after a bind failure). */
  port: number;
  url: string;
  requests: number;
  noTarget503: number;
  badGateway502: number;
  timeout504: number;
}

interface Served {
  info: ServedListener;
  route: ListenerRoute;
  /** An HTTP proxy, or (TCP listeners) a passthrough that never parses HTTP. */
  server: NetServer;
  sockets: Set<Socket>;
}

/** Hop-by-hop: a balancer manages its client and backend connections separately and forwards neither. */
const kClientConnection = Symbol('clientConnection');
type ProxiedRequest = IncomingMessage & { [kClientConnection]?: string };

/**
 * The data plane: one HTTP server per listener, forwarding each request round-robin to a member in service,
 * over pooled keep-alive connections per instance address (as a balancer pools backend connections).
 * No member in service → 503; a backend that refuses or resets → 502 (never retried, like a real balancer);
 * no answer within the idle timeout → 504. Counts requests routed and in flight per member.
 */
export class DataPlane {
  private readonly served = new Map<string, Served>();
  /** Per backend address: its keep-alive pool and the (immutable) proxy options, built once, not per request. */
  private readonly upstreams = new Map<string, { agent: Agent; options: ServerOptions }>();
  private readonly proxy: ProxyServer;
  private readonly logger: Logger;
  private readonly host: string;
  private readonly ephemeral: boolean;
  private pending: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: { host: string; listenerPorts: 'config' | 'ephemeral'; logger: Logger }) {
    this.host = options.host;
    this.ephemeral = options.listenerPorts === 'ephemeral';
    this.logger = options.logger;
    this.proxy = createProxyServer({ xfwd: true });
    // Errors are answered in the per-request callback; this only keeps a stray emit from becoming fatal.
    this.proxy.on('error', () => undefined);
    this.proxy.on('proxyRes', (proxyRes, req) => {
      const clientConnection = (req as ProxiedRequest)[kClientConnection];
      delete proxyRes.headers['keep-alive'];
      if (clientConnection === undefined) delete proxyRes.headers.connection;
      else proxyRes.headers.connection = clientConnection;
    });
  }

  /** Starts servers for new listeners, stops those gone, refreshes the rest; resolves when all are bound. */
  sync(routes: ListenerRoute[]): Promise<void> {
    this.pending = this.pending.then(() => this.apply(routes));
    return this.pending;
  }

  /** Resolves once every requested listener change has been applied. */
  settled(): Promise<void> {
    return this.pending;
  }

  listeners(): ServedListener[] {
    return [...this.served.values()].map((s) => ({ ...s.info }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pending;
    await Promise.all([...this.served.values()].map((s) => this.stop(s)));
    this.served.clear();
    for (const upstream of this.upstreams.values()) upstream.agent.destroy();
    this.upstreams.clear();
  }

  private async apply(routes: ListenerRoute[]): Promise<void> {
    if (this.closed) return;
    const wanted = new Map(routes.map((r) => [r.id, r]));
    for (const [id, served] of this.served) {
      if (!wanted.has(id)) {
        this.served.delete(id);
        await this.stop(served);
        this.logger.info({ balancer: served.info.balancer, port: served.info.port }, 'listener stopped');
      }
    }
    for (const route of routes) {
      const existing = this.served.get(route.id);
      if (existing) {
        existing.route = route;
        continue;
      }
      const served = await this.start(route);
      if (served) this.served.set(route.id, served);
    }
  }

  private async start(route: ListenerRoute): Promise<Served | undefined> {
    const info: ServedListener = {
      id: route.id,
      balancer: route.balancer,
      type: route.type,
      declaredPort: route.port,
      port: 0,
      url: '',
      requests: 0,
      noTarget503: 0,
      badGateway502: 0,
      timeout504: 0,
      flows: 0,
      resets: 0,
    };
    const sockets = new Set<Socket>();
    const served: Served = { info, route, server: undefined as unknown as NetServer, sockets };
    const server = route.protocol === 'TCP' ? createTcpPassthrough({ route: () => served.route, counters: info, logger: this.logger }) : this.httpServer(served);
    served.server = server;
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const port = this.ephemeral ? 0 : route.port;
    try {
      await listen(server, port, this.host);
    } catch (cause) {
      // A taken or privileged port must not take the whole local ELB down: serve on a free port and say so.
      this.logger.warn({ balancer: route.balancer, port, err: (cause as Error).message }, 'listener port unavailable: using a free port instead');
      try {
        await listen(server, 0, this.host);
      } catch (again) {
        this.logger.error({ balancer: route.balancer, err: (again as Error).message }, 'listener could not start');
        return undefined;
      }
    }
    info.port = (server.address() as AddressInfo).port;
    info.url = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${info.port}`;
    this.logger.info({ balancer: route.balancer, type: route.type, protocol: route.protocol, port: info.port, url: info.url }, 'listener started');
    return served;
  }

  private httpServer(served: Served): Server {
    const server = createServer((req, res) => this.forward(served, req, res));
    const idleMs = served.route.idleTimeoutSeconds() * 1000;
    // A balancer keeps client connections open for its idle timeout (Node's default would close them after 5 s).
    server.keepAliveTimeout = idleMs;
    server.headersTimeout = idleMs + 1000;
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
    return server;
  }

  private forward(served: Served, req: IncomingMessage, res: ServerResponse): void {
    const info = served.info;
    info.requests += 1;
    const decision = decide(served.route, req, served.info.port);
    if (decision.kind === 'fixed-response') {
      return this.answer(res, decision.statusCode, decision.body, decision.contentType ?? 'text/plain; charset=utf-8');
    }
    if (decision.kind === 'redirect') {
      res.writeHead(decision.statusCode, { location: decision.location, 'content-type': 'text/html', 'content-length': 0 });
      res.end();
      return;
    }
    const picked = decision.kind === 'forward' ? decision : undefined;
    if (!picked) {
      info.noTarget503 += 1;
      const body =
        info.type === 'classic'
          ? '<html><body><b>503 Service Unavailable: Back-end server is at capacity</b></body></html>'
          : '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>';
      return this.answer(res, 503, body);
    }
    const { member, address } = picked;
    const proxied = req as ProxiedRequest;
    const clientConnection = req.headers.connection;
    if (typeof clientConnection === 'string' && clientConnection.toLowerCase() === 'close') proxied[kClientConnection] = 'close';
    delete req.headers.connection;
    delete req.headers['keep-alive'];

    const started = performance.now();
    let cut = false;
    const abort = (): void => {
      cut = true;
      res.destroy();
    };
    member.requestStarted(abort);
    res.once('close', () => member.requestEnded(abort));

    const timeoutMs = Math.min(served.route.idleTimeoutSeconds() * 1000, LOCAL_ELB_DEFAULTS.upstreamTimeoutMs);
    const onError = (err: Error): void => {
      if (cut) return;
      const code = (err as NodeJS.ErrnoException).code;
      // http-proxy reports its own upstream timeout as a reset: tell the two apart by how long the request ran.
      const timedOut = code === 'ECONNRESET' && performance.now() - started >= timeoutMs - 5;
      if (res.headersSent) {
        // The backend failed mid-response: all a balancer can do is cut the client connection too.
        res.destroy();
        return;
      }
      if (timedOut) {
        info.timeout504 += 1;
        return this.answer(res, 504, '<html><body><h1>504 Gateway Time-out</h1></body></html>');
      }
      info.badGateway502 += 1;
      if (this.logger.isLevelEnabled('debug')) this.logger.debug({ balancer: info.balancer, instanceId: member.instanceId, address, code }, 'backend failed: 502');
      this.answer(res, 502, '<html><body><h1>502 Bad Gateway</h1></body></html>');
    };
    try {
      this.proxy.web(req, res, this.upstreamOptions(address, timeoutMs), onError);
    } catch (err) {
      // A request Node accepted but the proxy cannot forward costs that request (502), never the process.
      onError(err as Error);
    }
  }

  private upstreamOptions(address: string, timeoutMs: number): ServerOptions {
    let upstream = this.upstreams.get(address);
    if (!upstream || upstream.options.proxyTimeout !== timeoutMs) {
      const agent = upstream?.agent ?? new Agent({ keepAlive: true, maxFreeSockets: 256 });
      upstream = { agent, options: { target: new URL(`http://${address}`), agent, proxyTimeout: timeoutMs } };
      this.upstreams.set(address, upstream);
    }
    return upstream.options;
  }

  private answer(res: ServerResponse, status: number, body: string, contentType = 'text/html'): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private async stop(served: Served): Promise<void> {
    await new Promise<void>((resolve) => {
      served.server.close(() => resolve());
      for (const socket of served.sockets) socket.destroy();
    });
  }
}

/** ALB listeners decide through their rules; Classic and NLB listeners forward to the next member in service. */
function decide(route: ListenerRoute, req: IncomingMessage, port: number): RouteDecision {
  const now = Date.now();
  if (!route.dispatch) {
    const picked = route.pick(now);
    return picked ? { kind: 'forward', ...picked } : { kind: 'unavailable' };
  }
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  return route.dispatch(
    {
      method: req.method ?? 'GET',
      host,
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      query: queryAt === -1 ? [] : [...new URLSearchParams(url.slice(queryAt + 1))],
      headers: req.headers,
      sourceIp: req.socket.remoteAddress ?? '',
      port,
    },
    now,
  );
}

function listen(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
