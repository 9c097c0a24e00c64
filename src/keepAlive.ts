import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

// Node's defaults (http.createServer without options, Node 20). A server still holding them was, as far as anyone
// can tell, not configured by the app; any other value was, and is left alone. (Fastify, for one, sets 72 s itself.)
export const NODE_DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5000;
export const NODE_DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
/** AWS's default idle timeout of Classic ELB and ALB, used when the balancer's own cannot be read. */
export const AWS_DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
/** How far above the balancer's idle timeout the server keeps idle sockets open. */
export const KEEP_ALIVE_MARGIN_MS = 5000;

export interface KeepAliveChange {
  readonly keepAliveTimeout: { readonly from: number; readonly to: number } | undefined;
  readonly headersTimeout: { readonly from: number; readonly to: number } | undefined;
}

/**
 * The balancer reuses idle connections for up to its idle timeout (60 s by default); Node closes them after 5 s.
 * A request the balancer sends on a socket Node is closing at that instant fails with a 502. The server must keep
 * idle sockets open longer than the balancer does: keepAliveTimeout = idle + 5 s, headersTimeout just above it
 * (older Nodes measured headersTimeout from the socket's last use, and a lower one cut reused sockets).
 */
export function raiseKeepAlive(server: HttpServer | HttpsServer, idleTimeoutSeconds: number): KeepAliveChange {
  const wantKeepAlive = idleTimeoutSeconds * 1000 + KEEP_ALIVE_MARGIN_MS;
  let keepAliveTimeout: KeepAliveChange['keepAliveTimeout'];
  if (server.keepAliveTimeout === NODE_DEFAULT_KEEP_ALIVE_TIMEOUT_MS && wantKeepAlive > server.keepAliveTimeout) {
    keepAliveTimeout = { from: server.keepAliveTimeout, to: wantKeepAlive };
    server.keepAliveTimeout = wantKeepAlive;
  }
  // Node requires headersTimeout <= requestTimeout (when the latter is on); never cross it.
  const ceiling = server.requestTimeout > 0 ? server.requestTimeout : Number.POSITIVE_INFINITY;
  const wantHeaders = Math.min(server.keepAliveTimeout + 1000, ceiling);
  let headersTimeout: KeepAliveChange['headersTimeout'];
  if (server.headersTimeout === NODE_DEFAULT_HEADERS_TIMEOUT_MS && wantHeaders > server.headersTimeout) {
    headersTimeout = { from: server.headersTimeout, to: wantHeaders };
    server.headersTimeout = wantHeaders;
  }
  return { keepAliveTimeout, headersTimeout };
}
