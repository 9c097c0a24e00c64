// A balancer API endpoint that fails the way a stale keep-alive socket or a wedged proxy does: it accepts the
// connection and never answers ('silent'), or answers the headers and then stalls the body ('headers-then-stall').
// In 'pass' mode it forwards each request to a real endpoint (the local ELB), so a test can switch a working API
// into a hanging one mid-lifecycle; the mode is decided per request, so reused keep-alive sockets hang too.
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type StallMode = 'pass' | 'silent' | 'headers-then-stall';

export interface StallingApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  mode: StallMode;
  /** Requests received, per mode they met. */
  readonly received: Record<StallMode, number>;
  close(): Promise<void>;
}

export async function startStallingApi(mode: StallMode, target?: string): Promise<StallingApi> {
  const sockets = new Set<Socket>();
  const received: Record<StallMode, number> = { pass: 0, silent: 0, 'headers-then-stall': 0 };
  const api = { mode } as { mode: StallMode };
  const server = createServer((req, res) => {
    const current = api.mode;
    received[current]++;
    if (current === 'silent') {
      req.resume();
      return;
    }
    if (current === 'headers-then-stall') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/xml', 'content-length': '4096' });
      res.write('<DescribeInstanceHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/">');
      return;
    }
    if (target === undefined) throw new Error('pass mode needs a target');
    const url = new URL(req.url ?? '/', target);
    // A forward proxy names the upstream in Host: the local ELB answers only requests addressed to itself.
    const forward = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (upstream: IncomingMessage) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return api.mode;
    },
    set mode(next: StallMode) {
      api.mode = next;
    },
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
